"""The ner_tagger side: train with ``python -m ner_tagger.train`` in a subprocess, then time inference.

``train`` runs in the driver and only launches processes (interpreter: ``Settings.tagger_python``).
``python -m benchmarks.tagger_side infer EXPORT TEST`` runs in ner_tagger's venv and prints one JSON object.

Budget mode: the run gets an epoch count it cannot reach and is interrupted at the budget; a second, short
``ner_tagger.train`` on the same model dir with ``--max_steps`` = its last checkpoint trains nothing and
exports the kept best-on-dev checkpoint (and writes eval_report.json), as a finished run would. That second
process is timed apart (``finish_seconds``) and is not part of the training time.
"""
import argparse
import importlib.util
import json
import os
import sys

from benchmarks import conll_io, logparse, process, timing
from benchmarks.process import run_json, thread_env
from benchmarks.settings import ROOT, DataFacts, Settings, split_path, tagger_eval_steps

UNREACHABLE_EPOCHS = 10000  # HParams.epochs upper bound


def train(settings: Settings, facts: DataFacts, seed: int, work: str) -> dict:
    os.makedirs(work, exist_ok=True)
    command = train_command(settings, facts, seed, work)
    run = process.run(command, os.path.join(work, "train.log"), env=thread_env(settings.threads),
                      budget=settings.budget, cwd=ROOT)
    if run.returncode != 0 and not run.stopped_at_budget:
        raise RuntimeError(f"ner_tagger.train failed ({run.returncode}); see {work}/train.log")
    finish_seconds = finish(command, work, settings) if run.stopped_at_budget else 0.0
    report = _read_json(os.path.join(work, "output", "eval_report.json"))
    evaluations = logparse.tagger_evaluations(run.lines)
    return {"seed": seed, "command": command, "returncode": run.returncode,
            "stopped_at_budget": run.stopped_at_budget, "train_wall_s": run.wall_seconds,
            "finish_seconds": finish_seconds, "peak_rss_mb": run.peak_rss_mb,
            "speed": logparse.tagger_speed(run.lines), "evaluations": evaluations,
            "best_dev_f1": max((e["f1"] for e in evaluations), default=None),
            "test": report.get("test", {}).get("overall"), "model": os.path.join(work, "export")}


def train_command(settings: Settings, facts: DataFacts, seed: int, work: str) -> list:
    config = _read_json(settings.config)
    eval_steps = tagger_eval_steps(settings, facts, config.get("batch_size", 32))
    epochs = UNREACHABLE_EPOCHS if settings.budget else settings.epochs
    command = [settings.tagger_python, "-m", "ner_tagger.train", "--data_dir", settings.data_dir,
               "--config", settings.config, "--model_dir", os.path.join(work, "model"),
               "--export_dir", os.path.join(work, "export"), "--output_dir", os.path.join(work, "output"),
               "--seed", str(seed), "--epochs", str(epochs), "--eval_every_steps", str(eval_steps),
               # Several progress lines between evaluations, so the median rate has samples to choose from.
               "--log_every_steps", str(max(1, eval_steps // 4)),
               # The same stopping rule as the spaCy side: the epochs or the budget, never early stopping.
               "--early_stopping_patience", "0"]
    if settings.threads:
        command += ["--intra_op_threads", str(settings.threads)]
    return command


def finish(command: list, work: str, settings: Settings) -> float:
    """Export the best checkpoint of an interrupted run; returns the seconds it took."""
    with open(os.path.join(work, "model", "checkpoint"), encoding="utf-8") as fh:
        step = logparse.latest_checkpoint_step(fh.read())
    if step is None:
        raise RuntimeError(f"{work}/model: no checkpoint to export (budget too short to reach one)")
    run = process.run(command + ["--max_steps", str(step)], os.path.join(work, "finish.log"),
                      env=thread_env(settings.threads), cwd=ROOT)
    if run.returncode != 0:
        raise RuntimeError(f"exporting the interrupted run failed; see {work}/finish.log")
    return run.wall_seconds


def infer(settings: Settings, model: str, work: str) -> dict:
    """Runs :func:`main` in ner_tagger's interpreter; returns its JSON."""
    command = [settings.tagger_python, "-m", "benchmarks.tagger_side", "infer", model,
               split_path(settings.data_dir, "test"), "--batch_size", str(settings.batch_size),
               "--repeats", str(settings.repeats), "--latency_count", str(settings.latency_count)]
    return run_json(command, os.path.join(work, "infer.log"), thread_env(settings.threads))


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return {}


def main(argv=None):
    parser = argparse.ArgumentParser(description="ner_tagger inference timing (run in ner_tagger's venv)")
    parser.add_argument("command", choices=["infer"])
    parser.add_argument("model", help="export folder")
    parser.add_argument("conll", help="test file: its words are the input")
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency_count", type=int, default=300)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from ner_tagger.serving.exported_model import Predictor

    predict = _benchmark_predict()
    sentences = [words for words, _ in conll_io.read_conll(args.conll)]
    batch = predict.measure(Predictor.load(args.model, batch_size=args.batch_size), sentences, args.repeats)
    single = Predictor.load(args.model, batch_size=1)
    result = {"batch": batch,
              # Pre-tokenised, as the spaCy side is given gold words: the comparable latency.
              "latency": timing.latency(lambda words: single.predict_tokens([words]), sentences,
                                        args.latency_count),
              # Tags and entities only, as spaCy's `ner` answers: the signature without the CRF marginals.
              "latency_tags_only": timing.latency(lambda words: single.predict_tokens([words], scores=False),
                                                  sentences, args.latency_count),
              # Raw text through the in-graph splitter, as benchmarks/predict.py reports it.
              "latency_text": predict.latency(single, [" ".join(s) for s in sentences], args.latency_count)}
    json.dump(result, sys.stdout)


def _benchmark_predict():
    """benchmarks/predict.py as a module: its measure() is the project's batch-throughput protocol."""
    spec = importlib.util.spec_from_file_location("benchmark_predict",
                                                  os.path.join(ROOT, "benchmarks", "predict.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
