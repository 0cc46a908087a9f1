"""From per-seed results to the summary, the ratio table (Markdown) and the dev-F1-over-time plot.

Everything but :func:`plot` is pure and tested; ``python -m benchmarks.report plot <result.json> <out.png>``
draws the plot in .venv-bench, which has matplotlib.
"""
import statistics
import sys
from typing import Dict, List, Optional, Sequence

from benchmarks import logparse

SIDES = ("ner_tagger", "spacy")
# (key, label, higher is better); every key is a number in each seed's flattened figures.
FIGURES = [
    ("test_f1", "test F1 (seqeval, entity level)", True),
    ("best_dev_f1", "best dev F1", True),
    ("seconds_to_spacy_best_dev", "training seconds to reach spaCy's best dev F1", False),
    ("train_seconds", "training time to the last dev evaluation (s)", False),
    ("train_wall_s", "training process wall time, export included (s)", False),
    ("train_sentences_per_s", "training sentences/s (steady state)", True),
    ("train_tokens_per_s", "training tokens/s (steady state)", True),
    ("peak_rss_mb", "peak training RSS (MiB)", False),
    ("infer_sentences_per_s", "batch inference sentences/s", True),
    ("infer_words_per_s", "batch inference words/s", True),
    ("latency_p50_ms", "single-sentence latency p50 (ms)", False),
    ("latency_p99_ms", "single-sentence latency p99 (ms)", False),
    # ner_tagger without per-token scores (``scores=False``); spaCy's ``ner`` gives none, so its row is its
    # one latency: the like-for-like comparison.
    ("latency_tags_only_p50_ms", "single-sentence latency p50, tags only (ms)", False),
    ("latency_tags_only_p99_ms", "single-sentence latency p99, tags only (ms)", False),
    ("import_floor_mb", "framework import RSS (MiB; import tensorflow / import spacy)", False),
    ("rss_above_floor_mb", "peak training RSS above that floor (MiB)", False),
    # ner_tagger through its HTTP server (--serve); spaCy has no server here, so these rows have no ratio.
    ("http_words_per_s", "HTTP batch words/s (ner_tagger serve)", True),
    ("http_latency_p50_ms", "HTTP single-sentence latency p50 (ms)", False),
    ("http_latency_p99_ms", "HTTP single-sentence latency p99 (ms)", False),
    ("http_latency_tags_only_p50_ms", "HTTP single-sentence latency p50, tags only (ms)", False),
    ("serve_worker_rss_mb", "serving worker RSS, per worker (MiB)", False),
]


def figures(train: Dict, infer: Dict, spacy_best: Optional[float],
            serve: Optional[Dict] = None, import_floor_mb: Optional[float] = None) -> Dict[str, Optional[float]]:
    """One seed of one side, flattened to the FIGURES keys."""
    test = train.get("test") or infer.get("test") or {}
    serve = serve or {"batch": {}, "latency": {}}
    tags_only = infer.get("latency_tags_only", infer["latency"])  # spaCy: its only latency
    http_tags_only = serve.get("latency_tags_only", {})
    workers = serve.get("worker_rss_mb") or []
    return {"test_f1": test.get("f1"), "best_dev_f1": train.get("best_dev_f1"),
            "seconds_to_spacy_best_dev": (logparse.seconds_to_reach(train["evaluations"], spacy_best)
                                          if spacy_best is not None else None),
            "train_seconds": max((e["seconds"] for e in train["evaluations"]), default=None),
            "train_wall_s": train["train_wall_s"],
            "train_sentences_per_s": train["speed"]["sentences_per_s"],
            "train_tokens_per_s": train["speed"]["tokens_per_s"], "peak_rss_mb": train["peak_rss_mb"],
            "infer_sentences_per_s": infer["batch"]["sentences_per_s"],
            "infer_words_per_s": infer["batch"]["words_per_s"],
            "latency_p50_ms": infer["latency"]["p50_ms"], "latency_p99_ms": infer["latency"]["p99_ms"],
            "latency_tags_only_p50_ms": tags_only["p50_ms"], "latency_tags_only_p99_ms": tags_only["p99_ms"],
            "import_floor_mb": import_floor_mb,
            "rss_above_floor_mb": (round(train["peak_rss_mb"] - import_floor_mb, 1)
                                   if import_floor_mb is not None else None),
            "http_words_per_s": serve["batch"].get("words_per_s"),
            "http_latency_p50_ms": serve["latency"].get("p50_ms"),
            "http_latency_p99_ms": serve["latency"].get("p99_ms"),
            "http_latency_tags_only_p50_ms": http_tags_only.get("p50_ms"),
            "serve_worker_rss_mb": sum(workers) / len(workers) if workers else None}


def summarize(per_seed: Sequence[Dict[str, Optional[float]]]) -> Dict[str, Dict[str, Optional[float]]]:
    """``{key: {"mean", "std", "n"}}`` over seeds; std is the sample std (0 for one seed); a figure
    missing in some seed (e.g. a dev F1 never reached) is averaged over the seeds that have it."""
    out = {}
    for key, _, _ in FIGURES:
        values = [s[key] for s in per_seed if s.get(key) is not None]
        out[key] = {"mean": statistics.mean(values) if values else None,
                    "std": statistics.stdev(values) if len(values) > 1 else 0.0 if values else None,
                    "n": len(values)}
    return out


def ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    if ours is None or theirs is None or theirs == 0:
        return None
    return ours / theirs


def markdown_table(summary: Dict[str, Dict]) -> str:
    """Both sides and ner_tagger/spaCy per figure; the last column says whether the ratio favours us."""
    rows = ["| figure | ner_tagger | spaCy | ner_tagger/spaCy | better |", "|---|---|---|---|---|"]
    for key, label, higher in FIGURES:
        ours, theirs = summary["ner_tagger"][key], summary["spacy"][key]
        r = ratio(ours["mean"], theirs["mean"])
        better = "" if r is None else ("yes" if (r >= 1 if higher else r <= 1) else "no")
        rows.append(f"| {label} | {_cell(key, ours)} | {_cell(key, theirs)} | "
                    f"{'-' if r is None else f'{r:.2f}'} | {better} |")
    return "\n".join(rows) + "\n"


def _cell(key, figure):
    if figure["mean"] is None:
        return "not reached" if key == "seconds_to_spacy_best_dev" else "-"
    digits = 4 if key.endswith("f1") else 1
    text = f"{figure['mean']:.{digits}f}"
    if figure["n"] > 1:
        text += f" ± {figure['std']:.{digits}f}"
    return text


def targets(summary: Dict[str, Dict]) -> List[Dict]:
    """The targets (docs/benchmark.md), each with the figures it was judged on."""
    ours, theirs = summary["ner_tagger"], summary["spacy"]

    def mean(side, key):
        return side[key]["mean"]

    checks = [
        ("test F1 >= spaCy's", mean(ours, "test_f1"), mean(theirs, "test_f1"), lambda a, b: a >= b),
        ("time to spaCy's best dev F1 <= spaCy's", mean(ours, "seconds_to_spacy_best_dev"),
         mean(theirs, "seconds_to_spacy_best_dev"), lambda a, b: a <= b),
        ("batch words/s >= spaCy's", mean(ours, "infer_words_per_s"), mean(theirs, "infer_words_per_s"),
         lambda a, b: a >= b),
        ("latency p50 < 10 ms", mean(ours, "latency_p50_ms"), 10.0, lambda a, b: a < b),
        ("peak training RSS < 2 GiB", mean(ours, "peak_rss_mb"), 2048.0, lambda a, b: a < b),
        ("latency p50 <= spaCy's (with scores)", mean(ours, "latency_p50_ms"), mean(theirs, "latency_p50_ms"),
         lambda a, b: a <= b),
        ("latency p99 <= spaCy's (with scores)", mean(ours, "latency_p99_ms"), mean(theirs, "latency_p99_ms"),
         lambda a, b: a <= b),
        ("latency p50 <= spaCy's (tags only)", mean(ours, "latency_tags_only_p50_ms"),
         mean(theirs, "latency_tags_only_p50_ms"), lambda a, b: a <= b),
        ("latency p99 <= spaCy's (tags only)", mean(ours, "latency_tags_only_p99_ms"),
         mean(theirs, "latency_tags_only_p99_ms"), lambda a, b: a <= b),
        # Without --serve there is no HTTP figure: not measured, not failed.
        ("HTTP latency p50 < 5 ms", mean(ours, "http_latency_p50_ms"),
         None if mean(ours, "http_latency_p50_ms") is None else 5.0, lambda a, b: a < b),
        ("peak training RSS <= 2x spaCy's", mean(ours, "peak_rss_mb"),
         None if mean(theirs, "peak_rss_mb") is None else 2 * mean(theirs, "peak_rss_mb"), lambda a, b: a <= b),
    ]
    return [{"target": name, "ner_tagger": a, "reference": b, "met": _met(a, b, test)}
            for name, a, b, test in checks]


def _met(ours, reference, test):
    if reference is None:
        return None  # nothing to compare with (e.g. spaCy logged no evaluation)
    if ours is None:
        return False  # e.g. ner_tagger never reached spaCy's best dev F1
    return bool(test(ours, reference))


def targets_markdown(rows: Sequence[Dict]) -> str:
    lines = ["| target | met |", "|---|---|"]
    for row in rows:
        lines.append(f"| {row['target']} | {'-' if row['met'] is None else 'yes' if row['met'] else 'no'} |")
    return "\n".join(lines) + "\n"


def scale_rows(records: Sequence[Dict]) -> List[Dict]:
    """``benchmarks/scale.py`` records, the last run of each (code label, corpus size) only,
    "before" rows first, then by label and size."""
    latest = {}
    for record in records:
        latest[(record["label"], record["scale"])] = record
    return [latest[key] for key in sorted(latest, key=lambda k: (k[0] != "before", k[0], k[1]))]


def scale_markdown(records: Sequence[Dict]) -> str:
    """The scale table of :func:`scale_rows`. spaCy has no such figure."""
    rows = scale_rows(records)
    lines = ["| code | corpus | tokens | data pass + vocab (s) | first step (s) | peak RSS (MiB) | GraphDef (MiB) "
             "| sentences/s |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['label']} | {r['scale']}x | {r['tokens']:,} | failed: {r['error']} |||||")
            continue
        lines.append(f"| {r['label']} | {r['scale']}x | {r['tokens']:,} | {r['pass_s']} | {r['first_step_s']} "
                     f"| {r['peak_rss_mib']:.0f} | {r['graph_mib']} | {r['sentences_per_s']} |")
    return "\n".join(lines) + "\n"


def plot(result: Dict, path: str) -> None:
    """Dev F1 against training seconds, one line per side and seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for side, colour in zip(SIDES, ("tab:blue", "tab:orange")):
        for index, run in enumerate(result["runs"][side]):
            points = run["train"]["evaluations"]
            ax.plot([p["seconds"] for p in points], [p["f1"] for p in points], marker="o", markersize=3,
                    color=colour, linestyle=("-", "--", ":", "-.")[index % 4], alpha=0.8,
                    label=f"{side} seed {run['seed']}")
    ax.set_xlabel("training wall time (s, from process start)")
    ax.set_ylabel("dev F1 (entity level)")
    ax.set_title(f"dev F1 over training time: {result['data']['name']}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None):
    import json

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3 or argv[0] != "plot":
        sys.exit("usage: python -m benchmarks.report plot RESULT.json OUT.png")
    with open(argv[1], encoding="utf-8") as fh:
        plot(json.load(fh), argv[2])


if __name__ == "__main__":
    main()
