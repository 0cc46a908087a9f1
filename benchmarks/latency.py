"""A/B single-sentence latency of exported models, interleaved, in one process (docs/benchmark.md).

    .venv/bin/python scripts/benchmark.py latency ner_tagger/datasets/wnut17/test.conll before=EXPORT_A after=EXPORT_B

For each model and each answer kind (with per-token scores, and tags only where the export has the tags-only
signatures) it times ``Predictor.predict_tokens([words])`` one sentence at a time over the first
``--count`` test sentences, in ``--rounds`` rounds that alternate the variants, so a change in the shared
machine's load touches every variant alike. Prints one JSON object: p50/p99 ms per variant (over all
rounds), batch sentences/s per model, and each variant's p50/p99 as a ratio of the first one's.

Thread settings and XLA are process-wide: compare them by running the script again with ``--threads N`` or
``TF_XLA_FLAGS="--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit"`` in the environment.
"""
import argparse
import json
import os
import platform
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import conll_io, timing  # noqa: E402


def variants(models):
    """``[(label, predictor, scores)]``: every model with scores, and tags only where it has the twins."""
    from ner_tagger.serving.exported_model import Predictor

    out = []
    for label, path in models:
        predictor = Predictor.load(path, batch_size=1)
        out.append((f"{label} scores", predictor, True))
        if predictor.has_tags_only:
            out.append((f"{label} tags only", predictor, False))
    return out


def interleaved(runs, sentences, rounds):
    """Per variant, the samples (ms) of every round. Each sentence is timed by every variant in turn (the
    order rotating from sentence to sentence), so a burst of load on the shared machine lands on all alike."""
    samples = {label: [] for label, _, _ in runs}
    for _, predictor, scores in runs:  # warm-up: tracing, table initialisation
        for words in sentences[:5]:
            predictor.predict_tokens([words], scores=scores)
    for _ in range(rounds):
        for index, words in enumerate(sentences):
            for label, predictor, scores in runs[index % len(runs):] + runs[:index % len(runs)]:
                started = time.perf_counter()
                predictor.predict_tokens([words], scores=scores)
                samples[label].append((time.perf_counter() - started) * 1000)
    return samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("conll", help="test file: its words are the input")
    parser.add_argument("models", nargs="+", help="LABEL=EXPORT_DIR, one per model (the first is the baseline)")
    parser.add_argument("--count", type=int, default=200, help="sentences timed one at a time, per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="TF intra- and inter-op threads; 0: TF's default")
    args = parser.parse_args(argv)
    models = [m.split("=", 1) if "=" in m else (m, m) for m in args.models]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    sentences = [words for words, _ in conll_io.read_conll(args.conll)]
    runs = variants(models)
    samples = interleaved(runs, sentences[:args.count], args.rounds)
    latency = {label: {"p50_ms": round(timing.percentile(v, 50), 2), "p99_ms": round(timing.percentile(v, 99), 2)}
               for label, v in samples.items()}
    base = latency[runs[0][0]]
    ratios = {label: {k: round(v[k] / base[k], 2) for k in v} for label, v in latency.items()}
    batch = {}
    for label, path in models:
        from ner_tagger.serving.exported_model import Predictor

        predictor = Predictor.load(path, batch_size=128)
        batch[label] = timing.throughput(lambda p=predictor: p.predict_tokens(sentences), len(sentences),
                                         sum(map(len, sentences)), 3)
    print(json.dumps({"machine": f"{platform.machine()} cpus={len(os.sched_getaffinity(0))}",
                      "threads": args.threads or "default", "xla_flags": os.environ.get("TF_XLA_FLAGS", ""),
                      "sentences": len(sentences[:args.count]), "rounds": args.rounds, "latency": latency,
                      "ratio_to_first": ratios, "batch": batch}, indent=2))


if __name__ == "__main__":
    main()
