"""ner_tagger against spaCy's ``ner`` pipeline on the same CoNLL data, machine and budget (docs/benchmark.md).

    bash benchmarks/bench_env.sh                      # once: .venv-bench with spaCy, seqeval, psutil, matplotlib
    .venv-bench/bin/python scripts/benchmark.py compare --epochs 2 --seeds 1          # a quick check
    .venv-bench/bin/python scripts/benchmark.py compare --budget 900 --seeds 1,2,3    # the comparison

Each side trains and is timed in its own subprocess and interpreter (ner_tagger in .venv, spaCy in
.venv-bench). Writes <out>/result.json, <out>/result.md (both sides, ratios ner_tagger/spaCy, the
targets) and <out>/dev_f1.png; every run's logs and models stay under <out>/<side>-seed<N>/.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import process, report, serve_side, spacy_side, tagger_side  # noqa: E402
from benchmarks import settings as settings_mod  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "ner_tagger", "datasets", "wnut17"),
                        help="Folder with train, dev and test .conll files. Default: bundled WNUT-17.")
    parser.add_argument("--config", default=_default_config(),
                        help="ner_tagger config. Default: configs/wnut17.json if present, else default.json.")
    parser.add_argument("--out", default=os.path.join(ROOT, "runs", "benchmark"), help="Output folder.")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, default=10, help="Epochs for both sides (default 10).")
    budget.add_argument("--budget", type=float,
                        help="Training wall-clock seconds per side instead of epochs (recommended 600-1800).")
    parser.add_argument("--seeds", default="1", help="Comma-separated seeds, e.g. 1,2,3.")
    parser.add_argument("--evals_per_epoch", type=float, default=2.0,
                        help="Dev evaluations per (first) epoch, both sides. Default 2.")
    parser.add_argument("--threads", type=int, default=0,
                        help="Thread cap for both sides (TF intra-op, OMP/BLAS); 0: each side's default.")
    parser.add_argument("--batch_size", type=int, default=128, help="Inference batch, both sides.")
    parser.add_argument("--repeats", type=int, default=3, help="Timed passes over test (best is kept).")
    parser.add_argument("--latency_count", type=int, default=300, help="Sentences timed one by one.")
    parser.add_argument("--tagger_python", default=settings_mod.Settings.tagger_python)
    parser.add_argument("--spacy_python", default=settings_mod.Settings.spacy_python)
    parser.add_argument("--quick", action="store_true",
                        help="Development run: 1 epoch, 1 seed, 1 timed pass, 100 sentences timed one by one.")
    parser.add_argument("--scale", default="",
                        help="e.g. 1,10,100,1000: also run benchmarks/scale.py at these corpus sizes "
                             "(WNUT-17 train replicated; ~6 min for 1000x) into <out>/scale.json")
    parser.add_argument("--scale_results", default=os.path.join(ROOT, "docs", "scale_results.json"),
                        help="scale records to report when --scale is not given (default: the docs' run)")
    parser.add_argument("--serve", action="store_true",
                        help="Also time ner_tagger through its HTTP server (ner_tagger.container.serve; "
                             "needs gunicorn in ner_tagger's venv).")
    return parser


def _default_config():
    wnut = os.path.join(ROOT, "configs", "wnut17.json")
    return wnut if os.path.isfile(wnut) else os.path.join(ROOT, "configs", "default.json")


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.quick:
        args.epochs, args.budget, args.seeds, args.repeats, args.latency_count = 1, None, "1", 1, 100
    settings = settings_mod.Settings(
        data_dir=os.path.abspath(args.data_dir), out_dir=os.path.abspath(args.out),
        config=os.path.abspath(args.config), epochs=args.epochs, budget=args.budget,
        evals_per_epoch=args.evals_per_epoch, threads=args.threads, batch_size=args.batch_size,
        repeats=args.repeats, latency_count=args.latency_count, tagger_python=args.tagger_python,
        spacy_python=args.spacy_python)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    os.makedirs(settings.out_dir, exist_ok=True)
    result = run_all(settings, seeds, args.serve)
    result["scale"] = scale_records(args, settings)
    write_outputs(settings, result)
    return 0


def run_all(settings, seeds, serve=False):
    facts = settings_mod.data_facts(settings.data_dir)
    runs = {side: [] for side in report.SIDES}
    for seed in seeds:
        # Sides alternate within a seed, so a change in the machine's load touches both.
        for side, module in (("ner_tagger", tagger_side), ("spacy", spacy_side)):
            work = os.path.join(settings.out_dir, f"{side}-seed{seed}")
            _say(f"{side} seed {seed}: training ({work})")
            train = module.train(settings, facts, seed, work)
            _say(f"{side} seed {seed}: inference")
            infer = module.infer(settings, train["model"], work)
            runs[side].append({"seed": seed, "train": train, "infer": infer})
            if serve and side == "ner_tagger":
                _say(f"{side} seed {seed}: inference over HTTP")
                runs[side][-1]["serve"] = serve_side.infer(settings, train["model"], work)
    floors = {"ner_tagger": process.import_floor_mb(settings.tagger_python, "tensorflow"),
              "spacy": process.import_floor_mb(settings.spacy_python, "spacy")}
    per_seed = {side: [] for side in report.SIDES}
    for ours, theirs in zip(runs["ner_tagger"], runs["spacy"]):
        spacy_best = theirs["train"]["best_dev_f1"]
        for side, run in (("ner_tagger", ours), ("spacy", theirs)):
            run["figures"] = report.figures(run["train"], run["infer"], spacy_best, run.get("serve"),
                                            floors[side])
            per_seed[side].append(run["figures"])
    summary = {side: report.summarize(per_seed[side]) for side in report.SIDES}
    return {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": _machine(), "settings": settings.__dict__,
            "data": {"name": os.path.basename(settings.data_dir.rstrip("/")), **facts.__dict__},
            "versions": _versions(settings), "command": " ".join(sys.argv), "seeds": seeds,
            "runs": runs, "summary": summary, "targets": report.targets(summary)}


def scale_records(args, settings):
    """The scale figures (ner_tagger only: spaCy has none): run now with --scale, else read from
    --scale_results if that file exists."""
    if args.scale:
        path = os.path.join(settings.out_dir, "scale.json")
        sizes = [s.strip() for s in args.scale.split(",") if s.strip()]
        _say(f"scale: {', '.join(sizes)}x ({path})")
        subprocess.run([settings.tagger_python, os.path.join(ROOT, "benchmarks", "scale.py"), "run",
                        "--label", "this run", "--results", path, "--scales", *sizes], cwd=ROOT, check=True)
    else:
        path = args.scale_results
    if not path or not os.path.isfile(path):
        return {"source": path, "records": []}
    with open(path, encoding="utf-8") as fh:
        return {"source": path, "records": json.load(fh)}


def write_outputs(settings, result):
    path = os.path.join(settings.out_dir, "result.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
    table = (f"{result['data']['name']}, seeds {','.join(map(str, result['seeds']))}, "
             f"{_budget_text(settings)}, {result['machine']}\n\n"
             + report.markdown_table(result["summary"]) + "\n" + report.targets_markdown(result["targets"]))
    scale = result.get("scale") or {}
    if scale.get("records"):
        table += (f"\nScale (ner_tagger; spaCy has no such figure), from {os.path.relpath(scale['source'], ROOT)}"
                  f" (benchmarks/scale.py, docs/scale.md):\n\n" + report.scale_markdown(scale["records"]))
    with open(os.path.join(settings.out_dir, "result.md"), "w", encoding="utf-8") as fh:
        fh.write(table)
    png = os.path.join(settings.out_dir, "dev_f1.png")
    plotted = subprocess.run([settings.spacy_python, "-m", "benchmarks.report", "plot", path, png], cwd=ROOT)
    print(table)
    print(f"wrote {path}, result.md{'' if plotted.returncode else ' and dev_f1.png'}")


def _budget_text(settings):
    return f"budget {settings.budget:g} s a side" if settings.budget else f"{settings.epochs} epochs a side"


def _machine():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.machine()} {platform.processor() or ''} cpus={cpus}".replace("  ", " ")


def _versions(settings):
    probe = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
    out = {}
    for python, package in ((settings.tagger_python, "tensorflow"), (settings.spacy_python, "spacy")):
        done = subprocess.run([python, "-c", probe, package], capture_output=True, text=True)
        out[package] = done.stdout.strip() or None
    return out


def _say(message):
    print(f"{datetime.datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
