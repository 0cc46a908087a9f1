"""Inference speed of an exported model: batch throughput and single-sentence latency, in process.

    .venv/bin/python scripts/benchmark.py predict runs/wnut17/export ner_tagger/datasets/wnut17/test.conll

Prints one JSON object: sentences/s and words/s over the whole file (tokens in, after one warm-up pass) for
each batch size, and p50/p99 latency of one sentence at a time (raw text through the in-graph splitter).
"""
import argparse
import json
import platform
import time

import numpy as np


def measure(predictor, sentences, repeats):
    predictor.predict_tokens(sentences)  # warm-up: graph tracing, table initialisation
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        predictor.predict_tokens(sentences)
        best = min(best, time.perf_counter() - started)
    words = sum(len(s) for s in sentences)
    return {"sentences_per_s": round(len(sentences) / best, 1), "words_per_s": round(words / best, 1),
            "seconds": round(best, 3)}


def latency(predictor, texts, count):
    predictor.predict_text(texts[:5])
    samples = []
    for text in texts[:count]:
        started = time.perf_counter()
        predictor.predict_text([text])
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(samples, 50)), 2),
            "p99_ms": round(float(np.percentile(samples, 99)), 2), "sentences": len(samples)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("conll")
    parser.add_argument("--batch_sizes", default="32,128,512")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency_count", type=int, default=300)
    args = parser.parse_args()
    from ner_tagger.corpus import conll
    from ner_tagger.serving.exported_model import Predictor

    sentences = [list(s.tokens) for s in conll.read_conll(args.conll)]
    result = {"machine": f"{platform.machine()} {platform.processor() or ''} cpus={_cpus()}".strip(),
              "sentences": len(sentences), "words": sum(map(len, sentences)), "batch": {}}
    for size in map(int, args.batch_sizes.split(",")):
        result["batch"][size] = measure(Predictor.load(args.model, batch_size=size), sentences, args.repeats)
    result["latency"] = latency(Predictor.load(args.model), [" ".join(s) for s in sentences],
                                args.latency_count)
    print(json.dumps(result, indent=2))


def _cpus():
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    main()
