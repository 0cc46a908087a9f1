#!/usr/bin/env python
"""Load test of ``serve`` on loopback: throughput, latency, answers under concurrency, and worker memory.

    python scripts/benchmark.py loadtest --model EXPORT_DIR [--workers 2] [--env NAME=VALUE] [--concurrency 8]
    python scripts/benchmark.py loadtest --url http://127.0.0.1:8080 [--pid GUNICORN_MASTER_PID]
    python scripts/benchmark.py loadtest --model EXPORT_DIR --config NAME[:VAR=VALUE,...] --config ... \
        [--levels 1,2,4,8,16] [--rounds 3] [--burst 4] [--join 4] [--out FILE.json]

With ``--model`` it starts ``container/serve`` itself (:class:`ner_tagger.serving.local_server.ServeProcess`, as the
tests do) on a free loopback port, and stops it at the end. Then:

1. every distinct request body is sent alone, one after the other: that answer is the reference;
2. ``--concurrency`` client threads send the same bodies (JSON token lists, JSON sentences, text/plain) in a
   seeded random order until ``--duration`` seconds or ``--requests`` requests, whichever comes first;
3. meanwhile the RSS of the gunicorn master and its workers is sampled every 0.5 s.

The JSON report on stdout gives requests/s, words/s, latency percentiles, the count by status, 5xx, answers
that differ from the reference, RSS per process and the whole tree's (master and workers together, at its
largest). The exit code is 1 on any 5xx, transport error, mismatch, restarted worker or RSS growth (after
``--warmup`` seconds of load) above ``--max-rss-growth-mib``.

With ``--config`` (repeated), a sweep: one server per configuration (its variables, e.g.
``before-w2:SAGEMAKER_MODEL_SERVER_WORKERS=2,NER_TAGGER_SERVE_THREADS=1``), all started at once, then for
each round and each ``--levels`` client count a ``--burst`` of seconds against each server in turn
(order reversed every other round), so that a neighbour's noise on a shared machine falls on every
configuration alike. It prints one row per configuration and level: the median over rounds with the
range, and exits 1 on any error or mismatch. ``--join N`` makes each sentence of ``--data`` N of its
sentences in a row (longer sentences from the same corpus).
Only the standard library, psutil and TF-free ner_tagger modules (the CoNLL reader, the server process), so
the client does not compete with the server for a TensorFlow.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from typing import Dict, List, Optional, Tuple

import psutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from ner_tagger.corpus import conll  # noqa: E402
from ner_tagger.serving.local_server import ServeProcess  # noqa: E402

DEFAULT_DATA = os.path.join(REPO, "ner_tagger", "datasets", "wnut17", "test.conll")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIB = 1024 * 1024
KINDS = ("json-tokens", "json-text", "text-plain")

Request = Tuple[str, bytes]  # (content type, body)


# ----- inputs -----

def read_sentences(path: str) -> List[List[str]]:
    """Token lists of a CoNLL file."""
    return [list(sentence.tokens) for sentence in conll.read_conll(path)]


def joined(sentences: List[List[str]], n: int) -> List[List[str]]:
    """Each ``n`` consecutive sentences as one: a longer-sentence corpus with the same words."""
    return [[token for sentence in sentences[i:i + n] for token in sentence] for i in range(0, len(sentences), n)]


def words_in(request: Request) -> int:
    """Tokens in a body of :func:`build_requests` (whitespace-split for text)."""
    content_type, body = request
    if content_type.startswith("text/plain"):
        return sum(len(line.split()) for line in body.decode("utf-8").splitlines())
    return sum(len(x) if isinstance(x, list) else len(x.split()) for x in json.loads(body)["instances"])


def build_requests(sentences: List[List[str]], count: int, seed: int = 0, max_batch: int = 3) -> List[Request]:
    """``count`` distinct bodies of 1..``max_batch`` sentences, the three kinds in turn, so each is exercised."""
    rng = random.Random(seed)
    requests = []
    for i in range(count):
        batch = rng.sample(sentences, rng.randint(1, max_batch))
        kind = KINDS[i % len(KINDS)]
        if kind == "json-tokens":
            requests.append(("application/json", json.dumps({"instances": batch}).encode()))
        elif kind == "json-text":
            texts = [" ".join(tokens) for tokens in batch]
            requests.append(("application/json", json.dumps({"instances": texts}, ensure_ascii=False).encode()))
        else:
            requests.append(("text/plain; charset=utf-8", "\n".join(" ".join(t) for t in batch).encode()))
    return requests


# ----- HTTP -----

class Client:
    """One connection per thread, kept alive by a threaded worker; a sync worker closes it after each answer
    and http.client reopens. ``close``: ask for a new connection every request (``Connection: close``), as a
    client that does not keep connections alive would."""

    def __init__(self, url: str, timeout: float = 60, close: bool = False):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        self.headers = {"Connection": "close"} if close else {}

    def post(self, content_type: str, body: bytes, path: str = "/invocations") -> Tuple[int, bytes]:
        for attempt in (0, 1):
            try:
                self.conn.request("POST", path, body, {"Content-Type": content_type, **self.headers})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed a kept-alive connection between two requests: retry once on a new one.
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def references(url: str, requests: List[Request]) -> List[object]:
    """Each body's answer when it is the only request in flight: what every concurrent answer must equal."""
    client = Client(url)
    try:
        answers = []
        for content_type, body in requests:
            status, data = client.post(content_type, body)
            if status != 200:
                raise RuntimeError(f"reference request answered {status}: {data[:300]!r}")
            answers.append(json.loads(data))
        return answers
    finally:
        client.close()


# ----- memory -----

class RssSampler(threading.Thread):
    """RSS of the master and its children every ``interval`` s: {pid: [(seconds since start, bytes)]}."""

    def __init__(self, master_pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.master, self.interval = psutil.Process(master_pid), interval
        self.samples: Dict[int, List[Tuple[float, int]]] = {}
        self.totals: List[int] = []  # the whole tree's RSS at each sample
        self.roles: Dict[int, str] = {master_pid: "master"}
        self.start_time = time.monotonic()
        self._stop_event = threading.Event()

    def sample(self) -> None:
        now = time.monotonic() - self.start_time
        try:
            processes = [self.master] + self.master.children()
        except psutil.NoSuchProcess:
            return
        total = 0
        for process in processes:
            try:
                rss = process.memory_info().rss
            except psutil.NoSuchProcess:
                continue  # a worker that died between listing and reading: its pid is gone from the next sample
            self.roles.setdefault(process.pid, "worker")
            self.samples.setdefault(process.pid, []).append((now, rss))
            total += rss
        self.totals.append(total)

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()


def rss_report(sampler: RssSampler, warmup_s: float) -> Dict[str, dict]:
    """first/baseline/last/max MiB per process; growth is last minus the first sample after the warm-up,
    since a worker's first requests of new shapes legitimately grow TensorFlow's caches."""
    report = {}
    for pid, samples in sampler.samples.items():
        values = [rss for _, rss in samples]
        baseline = next((rss for t, rss in samples if t >= warmup_s), values[-1])
        report[str(pid)] = {"role": sampler.roles[pid], "samples": len(values),
                            "first": _mib(values[0]), "baseline": _mib(baseline),
                            "last": _mib(values[-1]), "max": _mib(max(values)),
                            "growth": _mib(values[-1] - baseline)}
    return report


def _mib(n: int) -> float:
    return round(n / MIB, 1)


# ----- load -----

class Load:
    """Client threads sharing one request budget and one deadline; each record is
    (request index, status or exception name, latency s, answer equals the reference)."""

    def __init__(self, url: str, requests: List[Request], answers: List[object], seed: int = 1,
                 close: bool = False):
        self.url, self.requests, self.answers, self.seed, self.close = url, requests, answers, seed, close
        self.words = [words_in(request) for request in requests]
        self.records: List[Tuple[int, object, float, bool]] = []
        self._lock = threading.Lock()
        self._issued = 0

    def _ticket(self, max_requests: int, deadline: float) -> bool:
        with self._lock:
            if self._issued >= max_requests or time.monotonic() >= deadline:
                return False
            self._issued += 1
            return True

    def worker(self, thread: int, max_requests: int, deadline: float) -> None:
        rng, client = random.Random(self.seed * 1000 + thread), Client(self.url, close=self.close)
        try:
            while self._ticket(max_requests, deadline):
                index = rng.randrange(len(self.requests))
                record = self._one(client, index)
                with self._lock:
                    self.records.append(record)
        finally:
            client.close()

    def _one(self, client: Client, index: int) -> Tuple[int, object, float, bool]:
        content_type, body = self.requests[index]
        start = time.perf_counter()
        try:
            status, data = client.post(content_type, body)
        except (OSError, http.client.HTTPException) as err:
            client.close()
            return index, type(err).__name__, time.perf_counter() - start, False
        latency = time.perf_counter() - start
        return index, status, latency, status == 200 and _parsed(data) == self.answers[index]

    def run(self, concurrency: int, duration_s: float, max_requests: int) -> float:
        """Seconds the load took."""
        deadline, start = time.monotonic() + duration_s, time.perf_counter()
        threads = [threading.Thread(target=self.worker, args=(i, max_requests, deadline), daemon=True)
                   for i in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - start


def _parsed(data: bytes) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return None


def percentile(sorted_values: List[float], q: float) -> Optional[float]:
    """Nearest-rank percentile: an observed latency, never an interpolation between two."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def summarize(load: Load, elapsed: float, concurrency: int) -> dict:
    latencies = sorted(r[2] * 1000 for r in load.records)
    by_status: Dict[str, int] = {}
    for _, status, _, _ in load.records:
        by_status[str(status)] = by_status.get(str(status), 0) + 1
    return {"distinct_inputs": len(load.requests), "concurrency": concurrency, "requests": len(load.records),
            "seconds": round(elapsed, 2), "requests_per_s": round(len(load.records) / elapsed, 1) if elapsed else 0,
            "words_per_s": round(sum(load.words[r[0]] for r in load.records if r[1] == 200) / elapsed)
            if elapsed else 0,
            "latency_ms": {f"p{q}": round(percentile(latencies, q), 1) if latencies else None
                           for q in (50, 90, 99)} | {"max": round(latencies[-1], 1) if latencies else None},
            "status": dict(sorted(by_status.items())),
            "errors_5xx": sum(n for s, n in by_status.items() if s.isdigit() and int(s) >= 500),
            "transport_errors": sum(n for s, n in by_status.items() if not s.isdigit()),
            "mismatches": sum(1 for _, status, _, same in load.records if status == 200 and not same)}


def verdict(report: dict, max_rss_growth_mib: float) -> List[str]:
    """What makes the run fail, in words; empty means it passed."""
    problems = []
    for key in ("errors_5xx", "transport_errors", "mismatches", "workers_restarted"):
        if report.get(key):
            problems.append(f"{key}: {report[key]}")
    if not report["requests"]:
        problems.append("no request completed")
    growth = report.get("rss_max_growth_mib")
    if growth is not None and growth > max_rss_growth_mib:
        problems.append(f"RSS grew by {growth} MiB in one process after the warm-up; the bound is "
                        f"{max_rss_growth_mib}")
    return problems


def load_test(url: str, master_pid: Optional[int], requests: List[Request], concurrency: int = 8,
              duration_s: float = 30, max_requests: int = 10 ** 9, warmup_s: float = 2.0,
              max_rss_growth_mib: float = 50, seed: int = 1) -> dict:
    """References, then the concurrent load with RSS sampled: the whole report, ``problems`` included."""
    answers = references(url, requests)
    sampler = RssSampler(master_pid) if master_pid else None
    workers_before = _workers(master_pid)
    if sampler:
        sampler.start()
    load = Load(url, requests, answers, seed)
    try:
        elapsed = load.run(concurrency, duration_s, max_requests)
    finally:
        if sampler:
            sampler.stop()
    report = summarize(load, elapsed, concurrency)
    report["url"] = url
    if sampler:
        report["rss_mib"] = rss_report(sampler, warmup_s)
        report["rss_total_mib"] = _mib(max(sampler.totals))
        report["processes"] = len(sampler.samples)
        report["rss_max_growth_mib"] = max(p["growth"] for p in report["rss_mib"].values())
        report["workers_restarted"] = len(workers_before - _workers(master_pid))
    report["problems"] = verdict(report, max_rss_growth_mib)
    return report


def _workers(master_pid: Optional[int]) -> set:
    if not master_pid:
        return set()
    try:
        return {p.pid for p in psutil.Process(master_pid).children()}
    except psutil.NoSuchProcess:
        return set()


# ----- serve -----

def stand_in_root(model_dir: str) -> str:
    """A temporary stand-in for /opt/ml whose model/ links to the export."""
    root = tempfile.mkdtemp(prefix="loadtest-serve-")
    os.symlink(os.path.abspath(model_dir), os.path.join(root, "model"))
    return root


# ----- sweep -----

Config = Tuple[str, Dict[str, str]]  # (name, serve's environment variables)


def parse_config(text: str) -> Config:
    """``NAME`` or ``NAME:VAR=VALUE,VAR=VALUE``."""
    name, _, assignments = text.partition(":")
    env = {}
    for item in filter(None, assignments.split(",")):
        var, sep, value = item.partition("=")
        if not sep or not var:
            raise ValueError(f"--config {text!r}: {item!r} is not VAR=VALUE")
        env[var] = value
    if not name:
        raise ValueError(f"--config {text!r}: no name before the colon")
    return name, env


def burst(url: str, pid: int, requests: List[Request], answers: List[object], concurrency: int,
          seconds: float, seed: int, close: bool = False) -> dict:
    """``seconds`` of load by ``concurrency`` clients: :func:`summarize`'s figures, the tree's RSS at its
    largest and how many processes the server ran."""
    sampler = RssSampler(pid)
    sampler.start()
    load = Load(url, requests, answers, seed, close)
    try:
        elapsed = load.run(concurrency, seconds, 10 ** 9)
    finally:
        sampler.stop()
    return dict(summarize(load, elapsed, concurrency), rss_total_mib=_mib(max(sampler.totals)),
                processes=len(sampler.samples))


def sweep(model: str, configs: List[Config], requests: List[Request], levels: List[int], rounds: int,
          seconds: float, seed: int = 1, close: bool = False) -> Tuple[List[dict], bool]:
    """Every configuration's server at once, bursts interleaved (see the module's docstring): one row per
    burst, and whether every configuration answered every body alike when alone."""
    servers, rows = [], []
    try:
        for name, env in configs:
            root = stand_in_root(model)
            servers.append((name, root, ServeProcess(root, env=env, log_path=os.path.join(root, "serve.log"))))
        for _, _, server in servers:
            server.wait_ready()
        answers = {name: references(server.url, requests) for name, _, server in servers}
        same = all(found == answers[configs[0][0]] for found in answers.values())
        for round_ in range(rounds):
            for concurrency in levels:
                for name, _, server in (servers if round_ % 2 == 0 else servers[::-1]):
                    row = burst(server.url, server.process.pid, requests, answers[name], concurrency, seconds,
                                seed + round_, close)
                    rows.append(dict(row, config=name, round=round_))
                    print(json.dumps({k: rows[-1][k] for k in ("config", "round", "concurrency", "requests_per_s",
                                                               "words_per_s", "rss_total_mib")}),
                          file=sys.stderr, flush=True)
    finally:
        for _, root, server in servers:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)
    return rows, same


def sweep_table(rows: List[dict]) -> str:
    """Markdown: per configuration and client count, the median over rounds and [min-max]."""
    def cell(values, digits=0):
        values = sorted(values)
        mid = statistics.median(values)
        return f"{mid:.{digits}f} [{values[0]:.{digits}f}-{values[-1]:.{digits}f}]"

    lines = ["| config | clients | requests/s | words/s | p50 ms | p99 ms | total RSS MiB | processes |",
             "|---|---|---|---|---|---|---|---|"]
    keys = list(dict.fromkeys((row["config"], row["concurrency"]) for row in rows))
    for name, concurrency in sorted(keys, key=lambda k: (k[1], [c for c, _ in keys].index(k[0]))):
        chosen = [row for row in rows if row["config"] == name and row["concurrency"] == concurrency]
        lines.append(f"| {name} | {concurrency} | {cell([r['requests_per_s'] for r in chosen], 1)} | "
                     f"{cell([r['words_per_s'] for r in chosen])} | "
                     f"{cell([r['latency_ms']['p50'] for r in chosen], 1)} | "
                     f"{cell([r['latency_ms']['p99'] for r in chosen], 1)} | "
                     f"{cell([r['rss_total_mib'] for r in chosen])} | {max(r['processes'] for r in chosen)} |")
    return "\n".join(lines)


# ----- command line -----

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--model", help="export folder (or version folder) to serve")
    target.add_argument("--url", help="an already running serve, on loopback")
    parser.add_argument("--pid", type=int, help="with --url: gunicorn master pid, to sample RSS")
    parser.add_argument("--workers", type=int, help="with --model: SAGEMAKER_MODEL_SERVER_WORKERS (default: serve's)")
    parser.add_argument("--env", action="append", default=[], metavar="VAR=VALUE",
                        help="with --model: a variable for serve (repeatable)")
    parser.add_argument("--config", action="append", default=[], metavar="NAME[:VAR=VALUE,...]",
                        help="with --model: sweep these configurations of serve against each other (repeatable)")
    parser.add_argument("--levels", default="1,2,4,8,16", help="with --config: client counts")
    parser.add_argument("--rounds", type=int, default=3, help="with --config: rounds over every level and config")
    parser.add_argument("--burst", type=float, default=4, help="with --config: seconds of load per burst")
    parser.add_argument("--join", type=int, default=1, help="make each sentence N sentences of --data in a row")
    parser.add_argument("--out", help="with --config: write every burst's report here (JSON)")
    parser.add_argument("--close", action="store_true",
                        help="with --config: a new connection every request (Connection: close)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (upper bound)")
    parser.add_argument("--requests", type=int, default=100000, help="requests of load (upper bound)")
    parser.add_argument("--data", default=DEFAULT_DATA, help="CoNLL file whose sentences make the requests")
    parser.add_argument("--distinct", type=int, default=60, help="distinct request bodies")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before the RSS baseline")
    parser.add_argument("--max-rss-growth-mib", type=float, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.url and urllib.parse.urlsplit(args.url).hostname not in LOOPBACK:
        parser.error("--url must be on loopback (127.0.0.1, localhost or ::1): this tool floods what it targets")
    if args.duration <= 0 or args.requests < 1 or args.concurrency < 1 or args.join < 1 or args.rounds < 1:
        parser.error("--duration, --requests, --concurrency, --join and --rounds must be positive")
    try:
        args.env = dict(parse_config("env:" + ",".join(args.env))[1])
        args.config = [parse_config(text) for text in args.config]
        args.levels = [int(level) for level in args.levels.split(",")]
    except ValueError as err:
        parser.error(str(err))
    if args.config and not args.model:
        parser.error("--config needs --model: the sweep starts its own servers")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    requests = build_requests(joined(read_sentences(args.data), args.join), args.distinct, args.seed)
    if args.config:
        rows, same = sweep(args.model, args.config, requests, args.levels, args.rounds, args.burst, args.seed,
                           args.close)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as fh:
                json.dump({"rows": rows, "same_answers_across_configs": same}, fh, indent=1)
        print(sweep_table(rows))
        bad = sum(row["errors_5xx"] + row["transport_errors"] + row["mismatches"] for row in rows)
        print(f"\nanswers alike across configurations: {same}; errors or mismatches under load: {bad}")
        return 0 if same and not bad else 1
    root = stand_in_root(args.model) if args.model else None
    server = ServeProcess(root, args.workers, env=args.env) if root else None
    try:
        url, pid = (server.wait_ready().url, server.process.pid) if server else (args.url, args.pid)
        report = load_test(url, pid, requests, args.concurrency, args.duration, args.requests, args.warmup,
                           args.max_rss_growth_mib, args.seed)
    finally:
        if server:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)
    if server:
        report["workers"] = args.workers
    print(json.dumps(report, indent=2))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
