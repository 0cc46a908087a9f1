"""Latency by sentence length and batch throughput, ner_tagger and spaCy timed in turns (docs/benchmark.md).

    .venv-bench/bin/python scripts/benchmark.py by_length --data_dir DATA \\
        --tagger_model EXPORT --spacy_model MODEL_DIR [--http] --out runs/by_length

Both trained models (ner_tagger's export, spaCy's ``model-best``) each run in its own interpreter behind a
pipe (``benchmarks/length_worker.py``). For every round and every length (1, 5, 10, 20, 40, 80 tokens; the
sentences from ``benchmarks/lengths.py`` over the test file), each variant times ``--count`` sentences one
at a time: ner_tagger with scores, ner_tagger tags only, spaCy. The order of the variants rotates from one
(round, length) to the next, so a burst of load on a shared machine lands on all of them alike.
Then ``--batch_rounds`` rounds of the whole test file at ``--batch_size`` a call, sides alternating.
``--http`` repeats the latency rounds over HTTP on loopback against ner_tagger's ``serve`` (one gunicorn
worker) and ``benchmarks/spacy_server.py`` (a minimal standard-library server: spaCy ships none), the
client here timing a request from connect to parsed answer.

Writes ``<out>/by_length.json`` (every sample) and ``<out>/by_length.md``: per length and variant, p50 and
p99 over all rounds, the lowest and highest round's p50 and p99 (the spread), and ratios to spaCy.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import conll_io, lengths, timing  # noqa: E402
from benchmarks.settings import Settings, split_path  # noqa: E402

OURS, OURS_TAGS, SPACY = "ner_tagger", "ner_tagger tags only", "spaCy"
VARIANTS = ((OURS, "ner_tagger", True), (OURS_TAGS, "ner_tagger", False), (SPACY, "spacy", True))


class Worker:
    """``benchmarks.length_worker`` in a subprocess of ``python``; :meth:`ask` sends one request."""

    def __init__(self, python: str, side: str, model: str, env=None):
        self.process = subprocess.Popen([python, "-m", "benchmarks.length_worker", side, model], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        env=dict(os.environ, **(env or {}), PYTHONPATH=ROOT))
        if json.loads(self._line()) != {"ready": True}:
            raise RuntimeError(f"{side} worker did not start")

    def ask(self, **request) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self._line())

    def _line(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker exited ({self.process.wait()}); its stderr is above")
        return line

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


def rotated(items, shift):
    shift %= len(items)
    return list(items[shift:]) + list(items[:shift])


def latency_rounds(time_one, sets: Dict[int, List[List[str]]], rounds: int) -> Dict[str, Dict[int, list]]:
    """``{variant: {length: [samples of round 0, of round 1, ...]}}``; ``time_one(variant, sentences)``
    returns one sample (ms) per sentence."""
    samples = {label: {length: [] for length in sets} for label, _, _ in VARIANTS}
    for round_index in range(rounds):
        for length_index, (length, sentences) in enumerate(sets.items()):
            for variant in rotated(VARIANTS, round_index + length_index):
                samples[variant[0]][length].append(time_one(variant, sentences))
    return samples


def summarize(samples: Dict[str, Dict[int, list]]) -> Dict[str, Dict[int, dict]]:
    """Per variant and length: p50/p99 over all rounds' samples, and the range of the per-round figures."""
    out = {}
    for label, per_length in samples.items():
        out[label] = {}
        for length, per_round in per_length.items():
            pooled = [s for r in per_round for s in r]
            p50s = [timing.percentile(r, 50) for r in per_round]
            p99s = [timing.percentile(r, 99) for r in per_round]
            out[label][length] = {"p50_ms": timing.percentile(pooled, 50), "p99_ms": timing.percentile(pooled, 99),
                                  "p50_rounds": [min(p50s), max(p50s)], "p99_rounds": [min(p99s), max(p99s)],
                                  "samples": len(pooled)}
    return out


def round_ratios(samples, label, peer=SPACY, q=50):
    """Per length: ``label``'s percentile ``q`` over ``peer``'s, round by round (the rounds are interleaved,
    so each ratio compares figures taken in the same minute): ``[min, median, max]``."""
    out = {}
    for length, per_round in samples[label].items():
        ratios = sorted(timing.percentile(a, q) / timing.percentile(b, q)
                        for a, b in zip(per_round, samples[peer][length]))
        out[length] = [ratios[0], timing.percentile(ratios, 50), ratios[-1]]
    return out


def batch_rounds(ours: Worker, theirs: Worker, sentences, batch_size: int, rounds: int) -> Dict[str, list]:
    """Words/s of whole passes over ``sentences``, sides alternating (who goes first alternates too)."""
    words = sum(map(len, sentences))
    calls = {OURS: (ours, True), OURS_TAGS: (ours, False), SPACY: (theirs, True)}
    for worker, scores in calls.values():  # warm-up: every batch shape once
        worker.ask(op="batch", sentences=sentences, batch_size=batch_size, scores=scores)
    rates = {label: [] for label in calls}
    for round_index in range(rounds):
        for label in rotated(list(calls), round_index):
            worker, scores = calls[label]
            seconds = worker.ask(op="batch", sentences=sentences, batch_size=batch_size, scores=scores)["seconds"]
            rates[label].append(words / seconds)
    return rates


def http_post(url: str, sentences, scores=True):
    body = {"instances": sentences} if scores else {"instances": sentences, "scores": False}
    request = urllib.request.Request(url + "/invocations", data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def http_timer(urls: Dict[str, str]):
    """``time_one`` for :func:`latency_rounds` over HTTP: the client's time from connect to parsed answer."""
    def time_one(variant, sentences):
        label, side, scores = variant
        for words in sentences[:3]:
            http_post(urls[side], [words], scores)
        out = []
        for words in sentences:
            started = time.perf_counter()
            http_post(urls[side], [words], scores)
            out.append((time.perf_counter() - started) * 1000)
        return out
    return time_one


def start_servers(args, work):
    """ner_tagger's ``serve`` (one worker, every core, as benchmarks/serve_side.py) and the spaCy server."""
    from ner_tagger.serving.local_server import LOOPBACK, ServeProcess, free_port, ping

    ml_root = os.path.join(work, "ml")
    os.makedirs(ml_root, exist_ok=True)
    link = os.path.join(ml_root, "model")
    if os.path.islink(link):
        os.remove(link)
    os.symlink(os.path.abspath(args.tagger_model), link)
    threads = len(os.sched_getaffinity(0))
    ours = ServeProcess(ml_root, workers=1, python=args.tagger_python, log_path=os.path.join(work, "serve.log"),
                        env={"NER_TAGGER_TF_THREADS": threads, "NER_TAGGER_PREDICT_BATCH": args.batch_size})
    port = free_port()
    theirs = subprocess.Popen([args.spacy_python, "-m", "benchmarks.spacy_server", args.spacy_model, str(port)],
                              cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    url = f"http://{LOOPBACK}:{port}"
    ours.wait_ready(180)
    deadline = time.monotonic() + 120
    while not ping(url):
        if theirs.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the spaCy server did not start")
        time.sleep(0.3)
    return ours, theirs, {"ner_tagger": ours.url, "spacy": url}


def run(args) -> dict:
    test = [words for words, _ in conll_io.read_conll(split_path(args.data_dir, "test"))]
    wanted = [int(n) for n in args.lengths.split(",")]
    sets = lengths.by_length(test, wanted, args.count)
    ours = Worker(args.tagger_python, "ner_tagger", args.tagger_model)
    theirs = Worker(args.spacy_python, "spacy", args.spacy_model)
    workers = {"ner_tagger": ours, "spacy": theirs}
    try:
        def in_process(variant, sentences):
            _, side, scores = variant
            return workers[side].ask(op="latency", sentences=sentences, scores=scores)["ms"]

        started = time.monotonic()
        samples = latency_rounds(in_process, sets, args.rounds)
        result = {"latency": _figures(samples), "latency_seconds": time.monotonic() - started}
        if args.batch_rounds:
            rates = batch_rounds(ours, theirs, test, args.batch_size, args.batch_rounds)
            result["batch"] = {label: {"words_per_s": timing.percentile(r, 50), "rounds": [min(r), max(r)],
                                       "per_round": r} for label, r in rates.items()}
            result["batch"]["ratio_rounds"] = sorted(a / b for a, b in zip(rates[OURS], rates[SPACY]))
    finally:
        ours.close()
        theirs.close()
    if args.http:
        server, spacy_server, urls = start_servers(args, args.out)
        try:
            result["http"] = _figures(latency_rounds(http_timer(urls), sets, args.rounds))
        finally:
            server.stop()
            spacy_server.terminate()
            spacy_server.wait()
    result.update(sets={n: {"sentences": len(s), "natural": lengths.natural_share(test, n, args.count)}
                        for n, s in sets.items()},
                  machine=f"{platform.machine()} cpus={len(os.sched_getaffinity(0))}",
                  data=os.path.basename(args.data_dir.rstrip("/")), rounds=args.rounds, count=args.count,
                  batch_size=args.batch_size, command=" ".join(sys.argv))
    return result


def _figures(samples):
    return {"summary": summarize(samples),
            "ratio_p50_rounds": {label: round_ratios(samples, label, q=50) for label in (OURS, OURS_TAGS)},
            "ratio_p99_rounds": {label: round_ratios(samples, label, q=99) for label in (OURS, OURS_TAGS)},
            "samples": samples}


def markdown(result) -> str:
    lines = [f"{result['data']}, {result['rounds']} rounds x {result['count']} sentences a length, "
             f"{result['machine']}", ""]
    for key, title in (("latency", "in process"), ("http", "over HTTP (loopback)")):
        if key not in result:
            continue
        lines += [latency_table(result[key], title), ""]
    if "batch" in result:
        b = result["batch"]
        lines += [f"batch {result['batch_size']}, whole test file, words/s: median over rounds [lowest, highest]",
                  "", "| side | words/s | ratio to spaCy (per round: min, median, max) |", "|---|---|---|"]
        for label in (OURS, OURS_TAGS, SPACY):
            per = sorted(a / s for a, s in zip(b[label]["per_round"], b[SPACY]["per_round"]))
            lines.append(f"| {label} | {b[label]['words_per_s']:,.0f} [{b[label]['rounds'][0]:,.0f}, "
                         f"{b[label]['rounds'][1]:,.0f}] | {per[0]:.2f}, {timing.percentile(per, 50):.2f}, "
                         f"{per[-1]:.2f} |")
        lines.append("")
    return "\n".join(lines)


def latency_table(figures, title) -> str:
    summary = figures["summary"]
    rows = [f"latency {title}, ms: p50 and p99 over all rounds [lowest, highest round]; ratio ner_tagger/spaCy "
            "per round (min-max)", "",
            "| tokens | ner_tagger p50 | p99 | tags only p50 | p99 | spaCy p50 | p99 | ratio p50 | ratio p99 |",
            "|---|---|---|---|---|---|---|---|---|"]
    for length in summary[SPACY]:
        cells = []
        for label in (OURS, OURS_TAGS, SPACY):
            f = summary[label][length]
            cells += [f"{f['p50_ms']:.2f} [{f['p50_rounds'][0]:.2f}, {f['p50_rounds'][1]:.2f}]",
                      f"{f['p99_ms']:.2f} [{f['p99_rounds'][0]:.2f}, {f['p99_rounds'][1]:.2f}]"]
        r50 = figures["ratio_p50_rounds"][OURS][length]
        r99 = figures["ratio_p99_rounds"][OURS][length]
        cells += [f"{summary[OURS][length]['p50_ms'] / summary[SPACY][length]['p50_ms']:.2f} "
                  f"({r50[0]:.2f}-{r50[2]:.2f})",
                  f"{summary[OURS][length]['p99_ms'] / summary[SPACY][length]['p99_ms']:.2f} "
                  f"({r99[0]:.2f}-{r99[2]:.2f})"]
        rows.append(f"| {length} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", required=True, help="corpus folder; its test file gives the sentences")
    parser.add_argument("--tagger_model", required=True, help="ner_tagger export folder")
    parser.add_argument("--spacy_model", required=True, help="spaCy pipeline folder (model-best)")
    parser.add_argument("--out", default=os.path.join(ROOT, "runs", "by_length"))
    parser.add_argument("--lengths", default=",".join(map(str, lengths.LENGTHS)))
    parser.add_argument("--count", type=int, default=200, help="sentences a length, per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--batch_rounds", type=int, default=5, help="0: no batch figures")
    parser.add_argument("--http", action="store_true", help="also over HTTP (ner_tagger serve, spaCy stdlib server)")
    parser.add_argument("--tagger_python", default=Settings.tagger_python)
    parser.add_argument("--spacy_python", default=Settings.spacy_python)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    result = run(args)
    with open(os.path.join(args.out, "by_length.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
    text = markdown(result)
    with open(os.path.join(args.out, "by_length.md"), "w", encoding="utf-8") as fh:
        fh.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
