#!/usr/bin/env python
"""A Batch Transform job's traffic, run locally against the real ``serve``: throughput, and line-for-line output.

    python scripts/benchmark.py batch_transform --model EXPORT_DIR [--lines 100000] [--max-payload-mb 6]
        [--workers 2] [--content-type application/jsonlines] [--input FILE] [--output FILE]

What SageMaker does with ``SplitType=Line``, ``BatchStrategy=MultiRecord`` and ``AssembleWith=Line``, done
here on loopback:

1. ``serve`` starts as a transform container does (``SAGEMAKER_BATCH=true``,
   ``SAGEMAKER_MAX_PAYLOAD_IN_MB``), and is asked ``GET /execution-parameters``;
2. the input file is cut at newlines into mini-batches of whole records, each at most ``MaxPayloadInMB``;
3. up to ``MaxConcurrentTransforms`` mini-batches are posted at a time (``Accept: application/jsonlines``);
4. the answers are assembled in input order, a newline after each mini-batch's answer.

The input is ``--input`` (one record a line, in ``--content-type``), or WNUT-17's training sentences
repeated to ``--lines`` lines, as JSON strings. The check: as many output lines as input lines, and each
output line's tokens spell its input line (whitespace aside), or the line is the error object of a record
that could not be tagged. The JSON report on stdout gives lines/s, MB/s, the lines tagged in windows
(records over the per-sentence limits) and refused, and the machine; the exit code is 1 when the check
fails or a request is refused.

Standard library and TF-free ner_tagger modules only, so the client does not compete with the server for
a TensorFlow.
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import platform
import sys
import tempfile
import time
import urllib.parse
from typing import Iterable, Iterator, List

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from ner_tagger.corpus import conll  # noqa: E402
from ner_tagger.serving.local_server import ServeProcess  # noqa: E402

JSONLINES, TEXT = "application/jsonlines", "text/plain"
DEFAULT_DATA = os.path.join(REPO, "ner_tagger", "datasets", "wnut17", "train.conll")
MB = 1024 * 1024


def wnut_records(path: str, lines: int, content_type: str) -> List[bytes]:
    """``lines`` records: the file's sentences, tokens joined by spaces, over and over."""
    sentences = [" ".join(s.tokens) for s in conll.read_conll(path)]
    encode = (lambda s: json.dumps(s, ensure_ascii=False)) if content_type == JSONLINES else (lambda s: s)
    return [(encode(sentences[i % len(sentences)]) + "\n").encode("utf-8") for i in range(lines)]


def file_records(path: str) -> List[bytes]:
    with open(path, "rb") as fh:
        data = fh.read()
    records = data.split(b"\n")
    if records[-1] == b"":
        records.pop()
    return [record + b"\n" for record in records]


def mini_batches(records: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    """Whole records packed in order into bodies of at most ``max_bytes`` (MultiRecord)."""
    batch, size = [], 0
    for number, record in enumerate(records, 1):
        if len(record) > max_bytes:
            raise ValueError(f"record {number} is {len(record)} bytes, over MaxPayloadInMB ({max_bytes} bytes)")
        if size + len(record) > max_bytes:
            yield b"".join(batch)
            batch, size = [], 0
        batch.append(record)
        size += len(record)
    if batch:
        yield b"".join(batch)


def post(url: str, body: bytes, content_type: str, timeout: float) -> bytes:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", "/invocations", body, {"Content-Type": content_type, "Accept": JSONLINES})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"/invocations answered {response.status}: {data[:500].decode('utf-8', 'replace')}")
        return data
    finally:
        conn.close()


def execution_parameters(url: str) -> dict:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/execution-parameters")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def assemble(answers: Iterable[bytes]) -> bytes:
    """AssembleWith=Line: each mini-batch's answer, then a newline."""
    return b"".join(answer + b"\n" for answer in answers)


def output_lines(output: bytes) -> List[dict]:
    lines = output.decode("utf-8").split("\n")
    if lines[-1] == "":
        lines.pop()
    return [json.loads(line) for line in lines]


def mismatches(records: List[bytes], output: bytes, content_type: str, limit: int = 5) -> List[str]:
    """Where the output does not line up with the input (at most ``limit`` descriptions). An error object
    answers its own line (``"line"`` counts within the mini-batch), so it is in line by position."""
    lines = output_lines(output)
    if len(lines) != len(records):
        return [f"{len(lines)} output lines for {len(records)} input lines"]
    found = []
    for number, (record, line) in enumerate(zip(records, lines), 1):
        if "error" in line:
            continue
        text = record.decode("utf-8").rstrip("\n")
        if content_type == JSONLINES and text.strip():
            value = json.loads(text)
            if isinstance(value, dict):
                value = value.get("text", value.get("tokens"))
            text = value if isinstance(value, str) else " ".join(value)
        spelled = "".join("".join(line["tokens"]).split())
        if spelled != "".join(text.split()):
            found.append(f"line {number}: tokens {spelled[:60]!r} for input {text[:60]!r}")
            if len(found) == limit:
                break
    return found


def run(url: str, records: List[bytes], max_bytes: int, concurrency: int, content_type: str,
        timeout: float) -> dict:
    bodies = list(mini_batches(records, max_bytes))
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(lambda body: post(url, body, content_type, timeout), bodies))
    seconds = time.perf_counter() - started
    output = assemble(answers)
    size = sum(len(body) for body in bodies)
    return {"output": output, "mini_batches": len(bodies), "seconds": round(seconds, 2),
            "lines_per_s": round(len(records) / seconds, 1), "input_mb_per_s": round(size / MB / seconds, 3)}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="export folder (or version folder) to serve")
    parser.add_argument("--input", help="records to tag, one a line (default: WNUT-17 sentences repeated)")
    parser.add_argument("--lines", type=int, default=100000, help="without --input: lines to generate")
    parser.add_argument("--content-type", default=JSONLINES, choices=(JSONLINES, TEXT))
    parser.add_argument("--max-payload-mb", type=int, default=6, help="MaxPayloadInMB (1-100)")
    parser.add_argument("--workers", type=int, default=2, help="SAGEMAKER_MODEL_SERVER_WORKERS")
    parser.add_argument("--concurrency", type=int, default=0,
                        help="MaxConcurrentTransforms; 0: what /execution-parameters suggests")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per mini-batch (the job's "
                                                                    "InvocationsTimeoutInSeconds)")
    parser.add_argument("--output", help="write the assembled output here")
    args = parser.parse_args(argv)
    if not 1 <= args.max_payload_mb <= 100:
        parser.error("--max-payload-mb must be from 1 to 100")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    records = file_records(args.input) if args.input else wnut_records(DEFAULT_DATA, args.lines, args.content_type)
    root = tempfile.mkdtemp(prefix="batch-transform-")
    os.symlink(os.path.abspath(args.model), os.path.join(root, "model"))
    server = ServeProcess(root, args.workers, env={"SAGEMAKER_BATCH": "true",
                                                  "SAGEMAKER_MAX_PAYLOAD_IN_MB": args.max_payload_mb})
    try:
        url = server.wait_ready().url
        parameters = execution_parameters(url)
        concurrency = args.concurrency or parameters["MaxConcurrentTransforms"]
        result = run(url, records, args.max_payload_mb * MB, concurrency, args.content_type, args.timeout)
    finally:
        server.stop()
    output = result.pop("output")
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(output)
    problems = mismatches(records, output, args.content_type)
    answered = output_lines(output)
    refused = [line for line in answered if "error" in line]
    report = dict(result, lines=len(records), content_type=args.content_type,
                  windowed_lines=sum(1 for line in answered if line.get("windows", 1) > 1),
                  refused_lines=len(refused), refusals=refused[:5],
                  max_payload_mb=args.max_payload_mb, workers=args.workers, concurrency=concurrency,
                  execution_parameters=parameters, output_lines_match=not problems, problems=problems,
                  machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(json.dumps(report, indent=2))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
