"""Training steps per second and where a step's time goes, for variants (hyperparameters, environment, checkout).

    .venv/bin/python scripts/benchmark.py train_steps ner_tagger/datasets/wnut17 --rounds 3 \\
        --variant 'b16={}' --variant 'b32={"hparams": {"batch_size": 32}}' \\
        --variant 'no_onednn={"env": {"TF_ENABLE_ONEDNN_OPTS": "0"}}' \\
        --variant 'before={"pythonpath": "/path/to/another/checkout"}'
    .venv/bin/python scripts/benchmark.py train_steps ner_tagger/datasets/wnut17 --profile

Each variant trains ``--steps`` steps of ``--config`` in its own process (``ner_tagger.model.model_fn`` under
``tf.estimator``, the job's own input function, no dev evaluation, no checkpoints), one variant after the
other in rotating order for ``--rounds`` rounds, so the machine's load falls on all of them. A variant is
JSON: ``hparams`` (overrides of the config), ``env`` (set before TensorFlow is imported) and
``pythonpath`` (another checkout's ``ner_tagger``, for before/after figures). Per run, after ``--skip``
warm-up steps: sentences per wall second (step start to step start: the session and hook overhead
included) and per CPU second of the process (all its threads; on a shared machine the steadier figure).

``--profile``: also traces every 25th step (TensorFlow step stats) and prints each layer's op time per step,
summed over threads, forward and gradient apart.
"""
import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Op name -> the part of the model it belongs to, first match wins (the gradient of a part is "grad:" + it).
PARTS = [("optimizer", r"^(Adam|clip_by_global_norm|global_norm)|/Adam"),
         ("crf", r"crf|CrfLogLikelihood|while"), ("char", r"char"), ("bilstm", r"bilstm|BlockLSTM"),
         ("word embedding", r"word_embeddings|lookup|normalize|Lower|RegexReplace"), ("dropout", r"dropout"),
         ("tag scores", r"tag_scores"), ("input", r"Iterator")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("data_dir")
    parser.add_argument("--config", default=os.path.join(ROOT, "configs", "wnut17.json"))
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=JSON",
                        help="repeatable; default one variant, the config as it is")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--skip", type=int, default=30, help="warm-up steps left out of the rates")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return _child(args, json.loads(args.child))
    variants = [_variant(text) for text in args.variant] or [("config", {})]
    runs = []
    for round_ in range(args.rounds):
        for name, variant in variants[round_ % len(variants):] + variants[:round_ % len(variants)]:
            result = _run(args, variant)
            result.update(variant=name, round=round_, load=os.getloadavg()[0])
            runs.append(result)
            print(json.dumps(result), flush=True)
    print(json.dumps({"summary": summary(runs)}, indent=1))
    return 0


def summary(runs):
    """Per variant: median and range over rounds of each rate."""
    out = {}
    for name in dict.fromkeys(r["variant"] for r in runs):
        mine = [r for r in runs if r["variant"] == name]
        out[name] = {key: {"median": round(statistics.median(r[key] for r in mine), 1),
                           "min": round(min(r[key] for r in mine), 1), "max": round(max(r[key] for r in mine), 1)}
                     for key in ("sentences_per_wall_s", "sentences_per_cpu_s")}
    return out


def _variant(text):
    name, _, spec = text.partition("=")
    return name, json.loads(spec or "{}")


def _run(args, variant):
    env = dict(os.environ, **variant.get("env", {}))
    code = variant.get("pythonpath", ROOT)
    env["PYTHONPATH"] = code
    command = [sys.executable, os.path.abspath(__file__), os.path.abspath(args.data_dir), "--config",
               os.path.abspath(args.config), "--steps", str(args.steps), "--skip", str(args.skip),
               "--child", json.dumps(variant.get("hparams", {}))] + (["--profile"] if args.profile else [])
    done = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"variant {variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(args, overrides):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    from ner_tagger.corpus import dataset
    from ner_tagger.hparams import HParams
    from ner_tagger.job import estimator_run, model_params
    from ner_tagger.model import input_fns

    tf.get_logger().setLevel("ERROR")
    work = tempfile.mkdtemp(prefix="train_steps-")
    try:
        base = HParams.from_json_file(args.config)
        hp = HParams.from_dict(dict(overrides, eval_every_steps=10 ** 9, checkpoint_secs=0), base=base)
        data = dataset.load_data(hp, args.data_dir, work_dir=os.path.join(work, "corpus"))
        params = model_params.prepare_model_dir(hp, data, os.path.join(work, "model"))
        estimator = estimator_run.make_estimator(hp, os.path.join(work, "model"), params)
        timer = _step_timer(tf, 25 if args.profile else 0)
        estimator.train(lambda: input_fns.train_input_fn(data.train, params), max_steps=args.steps,
                        hooks=[timer])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    steps = timer.steps[args.skip:]
    sentences = sum(s["sentences"] for s in steps)
    wall = steps[-1]["start"] + steps[-1]["wall"] - steps[0]["start"]
    result = {"hparams": overrides, "steps": len(steps), "sentences_per_step": round(sentences / len(steps), 2),
              "sentences_per_wall_s": round(sentences / wall, 1),
              "sentences_per_cpu_s": round(sentences / sum(s["cpu"] for s in steps), 1),
              "tokens_per_wall_s": round(sum(s["tokens"] for s in steps) / wall, 1)}
    if args.profile:
        result["ms_per_step_by_part"] = op_time_by_part(timer.traces)
    print(json.dumps(result))
    return 0


def _step_timer(tf, trace_every):
    """A hook recording each step's wall and CPU time, sentences and tokens; with ``trace_every``, the step
    stats of every such step after the first two (graph warm-up)."""

    class StepTimer(tf.estimator.SessionRunHook):
        def __init__(self):
            self.steps, self.traces, self.count = [], [], 0

        def begin(self):
            graph = tf.compat.v1.get_default_graph()
            self.fetches = {"sentences": graph.get_tensor_by_name("progress/sentences:0"),
                            "tokens": graph.get_tensor_by_name("progress/tokens:0")}

        def before_run(self, run_context):
            self.count += 1
            self.started, self.cpu = time.monotonic(), time.process_time()
            options = None
            if self._traced():
                options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
            return tf.estimator.SessionRunArgs(self.fetches, options=options)

        def after_run(self, run_context, run_values):
            self.steps.append({"start": self.started, "wall": time.monotonic() - self.started,
                               "cpu": time.process_time() - self.cpu, **run_values.results})
            if self._traced() and self.count > 2 * trace_every:
                self.traces.append(run_values.run_metadata.step_stats)

        def _traced(self):
            return bool(trace_every) and self.count % trace_every == 0

    return StepTimer()


def op_time_by_part(traces):
    """``{part: ms per step}`` from step stats: every op's time, summed over the threads that ran them."""
    total = collections.Counter()
    for stats in traces:
        for device in stats.dev_stats:
            for node in device.node_stats:
                name = node.node_name
                prefix = "grad:" if name.startswith("gradients") else ""
                total[prefix + part_of(name)] += (node.all_end_rel_micros or node.op_end_rel_micros)
    return {part: round(micros / len(traces) / 1000, 2) for part, micros in total.most_common()}


def part_of(op_name):
    for part, pattern in PARTS:
        if re.search(pattern, op_name, re.I):
            return part
    return "other"


if __name__ == "__main__":
    sys.exit(main())
