"""Inference timing shared by both sides, so batch and latency figures are measured the same way."""
import time
from typing import Callable, Dict, Sequence


def throughput(run: Callable[[], object], sentences: int, words: int, repeats: int) -> Dict[str, float]:
    """Sentences/s and words/s of ``run()`` over the whole set: one warm-up call (graph tracing, caches),
    then the best of ``repeats`` timed calls (the least disturbed by other work on a shared machine)."""
    run()
    best = float("inf")
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return {"sentences_per_s": round(sentences / best, 1), "words_per_s": round(words / best, 1),
            "seconds": round(best, 3)}


def latency(call: Callable[[object], object], items: Sequence, count: int, warmup: int = 5) -> Dict:
    """p50/p99 milliseconds of ``call(item)`` for the first ``count`` items, one at a time."""
    for item in items[:warmup]:
        call(item)
    samples = []
    for item in items[:count]:
        started = time.perf_counter()
        call(item)
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(samples, 50), 2), "p99_ms": round(percentile(samples, 99), 2),
            "sentences": len(samples)}


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), without needing numpy."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
