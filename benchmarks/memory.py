"""Where ner_tagger's training memory goes, and what the process-wide levers change (docs/benchmark.md).

    .venv/bin/python scripts/benchmark.py memory --epochs 1 --out /tmp/memory

1. Import floors: peak RSS of an interpreter that only imports ``tensorflow``, then ``tensorflow_addons``,
   then ``ner_tagger.model.model_fn`` (what training needs before it builds anything).
2. One ``python -m ner_tagger.train`` per variant (WNUT-17, ``configs/wnut17.json``, ``--epochs``), its
   process RSS sampled every 0.1 s and attributed to the stage its last log line names (``vocab``,
   ``train``, ``eval``, ``export``, ``dev``, ``test``...): the peak per stage and overall.

Variants: ``baseline``; ``arena2`` (``MALLOC_ARENA_MAX=2``: glibc keeps one malloc arena per thread
otherwise, up to 8 per core); ``threads1`` (TensorFlow intra- and inter-op pools of one thread);
``arena2+threads1``; ``onednn`` (oneDNN's kernels, which jobs turn off unless the environment sets
``TF_ENABLE_ONEDNN_OPTS``). Prints one JSON object; runs are alternated over ``--repeats``.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import process  # noqa: E402

VARIANTS = {
    "baseline": ({}, []),
    "arena2": ({"MALLOC_ARENA_MAX": "2"}, []),
    "threads1": ({}, ["--intra_op_threads", "1", "--inter_op_threads", "1"]),
    "arena2+threads1": ({"MALLOC_ARENA_MAX": "2"}, ["--intra_op_threads", "1", "--inter_op_threads", "1"]),
    "onednn": ({"TF_ENABLE_ONEDNN_OPTS": "1"}, []),
}
FLOORS = ("tensorflow", "tensorflow_addons", "ner_tagger.model.model_fn")


def train_profile(python, data_dir, config, epochs, work, env, flags):
    """Peak RSS (MiB) overall and per stage of one training process."""
    command = [python, "-m", "ner_tagger.train", "--data_dir", data_dir, "--config", config, "--epochs",
               str(epochs), "--early_stopping_patience", "0", "--model_dir", os.path.join(work, "model"),
               "--export_dir", os.path.join(work, "export"), "--output_dir", os.path.join(work, "output")] + flags
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                            env=dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2", **env))
    stage, peaks, lines = ["start"], {}, []

    def sample():
        while proc.poll() is None:
            try:
                rss = process.rss_mb(proc.pid)
            except (OSError, RuntimeError):  # the process ended between poll and read
                break
            peaks[stage[0]] = max(peaks.get(stage[0], 0.0), rss)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in proc.stdout:
        lines.append(line)
        # "09:01:02 train: step=..." -> "train" (TensorFlow's own "2026-.. 09:01:02.123: W ..." lines are not)
        words = line.split()
        if len(words) > 1 and re.fullmatch(r"[a-z_]+:", words[1]):
            stage[0] = words[1][:-1]
    proc.wait()
    sampler.join(timeout=5)
    if proc.returncode != 0:
        raise RuntimeError(f"training failed ({proc.returncode}):\n{''.join(lines[-30:])}")
    return {"peak_rss_mb": max(peaks.values()), "stage_peak_rss_mb": peaks}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="ner_tagger's interpreter")
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "ner_tagger", "datasets", "wnut17"))
    parser.add_argument("--config", default=os.path.join(ROOT, "configs", "wnut17.json"))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {list(VARIANTS)}")
    parser.add_argument("--out", default=os.path.join(ROOT, "runs", "memory"), help="training runs go here")
    args = parser.parse_args(argv)
    names = [n for n in args.variants.split(",") if n]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"--variants: unknown {unknown}; choose from {list(VARIANTS)}")
    floors = {module: process.import_floor_mb(args.python, module, {"PYTHONPATH": ROOT}) for module in FLOORS}
    runs = {name: [] for name in names}
    for repeat in range(args.repeats):
        for name in names:
            env, flags = VARIANTS[name]
            work = os.path.join(args.out, f"{name}-{repeat}")
            runs[name].append(train_profile(args.python, args.data_dir, args.config, args.epochs, work, env, flags))
    print(json.dumps({"import_floor_mb": floors, "runs": runs,
                      "peak_rss_mb": {n: min(r["peak_rss_mb"] for r in rs) for n, rs in runs.items()}}, indent=2))


if __name__ == "__main__":
    main()
