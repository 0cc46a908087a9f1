"""A/B single-sentence latency of exported models, interleaved, in one process (docs/benchmark.md).

    .venv/bin/python scripts/benchmark.py latency ner_tagger/datasets/wnut17/test.conll before=EXPORT_A after=EXPORT_B

For each model and each answer kind (with per-token scores, and tags only where the export has the tags-only
signatures) it times ``Predictor.predict_tokens([words])`` one sentence at a time over the first
``--count`` test sentences, in ``--rounds`` rounds that alternate the variants, so a change in the shared
machine's load touches every variant alike; ``--lengths 1,5,...`` does that per sentence length
(benchmarks/lengths.py). Prints one JSON object: p50/p99 ms per variant (over all rounds), the range of the
per-round p50 and of its per-round ratio to the first variant's, and batch words/s per model (passes
alternating between models, median and range over ``--batch_rounds``, per-round ratios to the first).

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

from benchmarks import conll_io, lengths, timing  # noqa: E402


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
    """Per variant, the samples (ms) of each round: ``{label: [[round 0...], [round 1...], ...]}``. Each
    sentence is timed by every variant in turn (the order rotating from sentence to sentence), so a burst of
    load on the shared machine lands on all alike."""
    samples = {label: [] for label, _, _ in runs}
    for _, predictor, scores in runs:  # warm-up: tracing, table initialisation, this length's shapes
        for words in sentences[:5]:
            predictor.predict_tokens([words], scores=scores)
    for _ in range(rounds):
        for label in samples:
            samples[label].append([])
        for index, words in enumerate(sentences):
            for label, predictor, scores in runs[index % len(runs):] + runs[:index % len(runs)]:
                started = time.perf_counter()
                predictor.predict_tokens([words], scores=scores)
                samples[label][-1].append((time.perf_counter() - started) * 1000)
    return samples


def figures(samples, base_label):
    """p50/p99 over all rounds, and per round: the lowest and highest p50, and the lowest and highest ratio
    of the p50 to the first variant's in the same round (its spread)."""
    out = {}
    for label, per_round in samples.items():
        pooled = [s for r in per_round for s in r]
        p50s = [timing.percentile(r, 50) for r in per_round]
        ratios = [timing.percentile(r, 50) / timing.percentile(b, 50) for r, b in zip(per_round, samples[base_label])]
        out[label] = {"p50_ms": round(timing.percentile(pooled, 50), 3),
                      "p99_ms": round(timing.percentile(pooled, 99), 3),
                      "p50_rounds_ms": [round(min(p50s), 3), round(max(p50s), 3)],
                      "p50_ratio_rounds": [round(min(ratios), 3), round(max(ratios), 3)]}
    return out


def batch_rounds(models, sentences, rounds, batch_size=128):
    """Words/s of whole passes over ``sentences`` at ``batch_size``, with scores, the models alternating
    (who goes first rotates); median and range over rounds, and each round's ratio to the first model."""
    from ner_tagger.serving.exported_model import Predictor

    predictors = [(label, Predictor.load(path, batch_size=batch_size)) for label, path in models]
    words = sum(map(len, sentences))
    for _, predictor in predictors:
        predictor.predict_tokens(sentences)  # warm-up: every batch shape once
    rates = {label: [] for label, _ in predictors}
    for round_index in range(rounds):
        shift = round_index % len(predictors)
        for label, predictor in predictors[shift:] + predictors[:shift]:
            started = time.perf_counter()
            predictor.predict_tokens(sentences)
            rates[label].append(words / (time.perf_counter() - started))
    base = rates[predictors[0][0]]
    return {label: {"words_per_s": round(timing.percentile(r, 50)), "rounds": [round(min(r)), round(max(r))],
                    "ratio_rounds": [round(min(a / b for a, b in zip(r, base)), 3),
                                     round(max(a / b for a, b in zip(r, base)), 3)]}
            for label, r in rates.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("conll", help="test file: its words are the input")
    parser.add_argument("models", nargs="+", help="LABEL=EXPORT_DIR, one per model (the first is the baseline)")
    parser.add_argument("--count", type=int, default=200, help="sentences timed one at a time, per round (and length)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lengths", default="",
                        help="e.g. 1,5,10,20,40,80: time sentences of exactly these lengths (benchmarks/lengths.py) "
                             "instead of the file's first --count")
    parser.add_argument("--batch_rounds", type=int, default=3, help="interleaved batch passes (0: none)")
    parser.add_argument("--threads", type=int, default=0, help="TF intra- and inter-op threads; 0: TF's default")
    args = parser.parse_args(argv)
    models = [m.split("=", 1) if "=" in m else (m, m) for m in args.models]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    sentences = [words for words, _ in conll_io.read_conll(args.conll)]
    if args.lengths:
        groups = lengths.by_length(sentences, [int(n) for n in args.lengths.split(",")], args.count)
    else:
        groups = {"test": sentences[:args.count]}
    runs = variants(models)
    latency = {key: figures(interleaved(runs, group, args.rounds), runs[0][0]) for key, group in groups.items()}
    batch = batch_rounds(models, sentences, args.batch_rounds) if args.batch_rounds else {}
    print(json.dumps({"machine": f"{platform.machine()} cpus={len(os.sched_getaffinity(0))}",
                      "threads": args.threads or "default", "xla_flags": os.environ.get("TF_XLA_FLAGS", ""),
                      "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
                      "sentences": args.count, "rounds": args.rounds, "latency": latency, "batch": batch},
                     indent=1))


if __name__ == "__main__":
    main()
