"""How training's start-up, memory, graph and speed grow with the corpus (docs/scale.md).

WNUT-17 train replicated 1x, 10x, 100x, 1000x (the file's text repeated, so the vocabularies and the model
are the same at every size and only the corpus grows; the dev file is WNUT-17 dev). Each measurement is a
fresh child process running the package found at ``--code`` (this tree, or another checkout to compare
with), which reads the data, builds the vocabularies and trains ``--steps`` steps:

- pass_s: reading, checking and counting the data (and writing shards, where the code does) + vocabularies;
- first_step_s: from the child's start (TensorFlow imported) to the end of the first training step;
- peak_rss_mib: the child's peak resident memory (``ru_maxrss``);
- graph_mib: the training GraphDef's serialised size;
- sentences_per_s: training sentences per second over the steps after the first ``--warmup``.

    python scripts/benchmark.py scale run --scales 1 10 100 1000 --label after --results /tmp/scale.json
    python scripts/benchmark.py scale run --scales 1 10 --label before --code /tmp/ner_before --results ...
    python scripts/benchmark.py scale report --results /tmp/scale.json   # docs/scale.md table, docs/scale.png

Results accumulate in the JSON file (one record per run), so the sizes can run one at a time. Generated data
goes under ``--data_root`` (default /tmp), never into the repository.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WNUT = os.path.join(ROOT, "ner_tagger", "datasets", "wnut17")
CONFIG = os.path.join(ROOT, "configs", "wnut17.json")
sys.path.insert(0, ROOT)  # benchmarks.report, run as a script from anywhere


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100, 1000])
    run.add_argument("--code", default=ROOT, help="root of the ner_tagger checkout to measure")
    run.add_argument("--label", default="after")
    run.add_argument("--steps", type=int, default=300)
    run.add_argument("--warmup", type=int, default=50)
    run.add_argument("--timeout", type=int, default=3600)
    run.add_argument("--data_root", default=os.path.join(tempfile.gettempdir(), "ner_scale"))
    run.add_argument("--results", required=True)
    report = sub.add_parser("report")
    report.add_argument("--results", required=True)
    report.add_argument("--markdown", default=os.path.join(ROOT, "docs", "scale.md"))
    report.add_argument("--figure", default=os.path.join(ROOT, "docs", "scale.png"))
    child = sub.add_parser("child")
    child.add_argument("--data_dir", required=True)
    child.add_argument("--work_dir", required=True)
    child.add_argument("--steps", type=int, required=True)
    child.add_argument("--warmup", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "child":
        print("RESULT " + json.dumps(measure(args.data_dir, args.work_dir, args.steps, args.warmup)), flush=True)
    elif args.command == "run":
        for scale in args.scales:
            record = run_one(args, scale)
            print(json.dumps(record), flush=True)
            append(args.results, record)
    else:
        write_report(load(args.results), args.markdown, args.figure)


def replicate(data_root: str, scale: int) -> str:
    """``<data_root>/x<scale>/`` with WNUT-17 train repeated ``scale`` times and WNUT-17 dev."""
    folder = os.path.join(data_root, f"x{scale}")
    train = os.path.join(folder, "train.conll")
    if not os.path.isfile(train):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(WNUT, "train.conll"), "rb") as fh:
            text = fh.read().rstrip(b"\n") + b"\n\n"
        with open(train + ".tmp", "wb") as fh:
            for _ in range(scale):
                fh.write(text)
        os.replace(train + ".tmp", train)
        with open(os.path.join(WNUT, "dev.conll"), "rb") as src, open(os.path.join(folder, "dev.conll"), "wb") as dst:
            dst.write(src.read())
    return folder


def run_one(args, scale: int) -> dict:
    data_dir = replicate(args.data_root, scale)
    work_dir = os.path.join(args.data_root, "work", f"{args.label}-x{scale}-{os.getpid()}")
    command = [sys.executable, os.path.abspath(__file__), "child", "--data_dir", data_dir, "--work_dir", work_dir,
               "--steps", str(args.steps), "--warmup", str(args.warmup)]
    env = dict(os.environ, PYTHONPATH=os.path.abspath(args.code), TF_CPP_MIN_LOG_LEVEL="2")
    record = {"label": args.label, "scale": scale, "tokens": count_tokens(data_dir), "machine": machine()}
    started = time.monotonic()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return dict(record, error=f"timed out after {args.timeout} s")
    finally:
        subprocess.run(["rm", "-rf", work_dir])
    record["wall_s"] = round(time.monotonic() - started, 1)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return dict(record, error=f"exit {done.returncode}: {' | '.join(tail)[-400:]}",
                    peak_rss_mib=children_peak_rss_mib())
    return dict(record, **json.loads(lines[-1][len("RESULT "):]))


def count_tokens(data_dir: str) -> int:
    with open(os.path.join(WNUT, "train.conll"), encoding="utf-8") as fh:
        once = sum(1 for line in fh if line.strip() and not line.startswith("-DOCSTART-"))
    return once * int(os.path.basename(data_dir)[1:])


def children_peak_rss_mib() -> float:
    """A child that died (out of memory, say) still counts here: the largest child's peak."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def machine() -> str:
    return f"{os.cpu_count()}-core {os.uname().machine}, shared"


def measure(data_dir: str, work_dir: str, steps: int, warmup: int) -> dict:
    """In the child: the package on PYTHONPATH reads ``data_dir`` and trains ``steps`` steps."""
    started = time.monotonic()
    import inspect

    import tensorflow as tf

    from ner_tagger.corpus import dataset
    from ner_tagger.hparams import HParams
    from ner_tagger.job import estimator_run, model_params
    from ner_tagger.model import input_fns

    with open(CONFIG, encoding="utf-8") as fh:
        config = json.load(fh)
    hp = HParams.from_dict(dict(config, max_steps=steps, eval_every_steps=10 * steps, log_every_steps=10 * steps))
    model_dir = os.path.join(work_dir, "model")
    pass_started = time.monotonic()
    extra = {"work_dir": os.path.join(work_dir, "corpus")} \
        if "work_dir" in inspect.signature(dataset.load_data).parameters else {}
    data = dataset.load_data(hp, data_dir, **extra)
    params = model_params.prepare_model_dir(hp, data, model_dir)
    pass_s = time.monotonic() - pass_started
    estimator = estimator_run.make_estimator(hp, model_dir, params)
    hook = _clock_hook_class()(started, warmup)
    estimator.train(lambda: input_fns.train_input_fn(data.train, params), max_steps=steps, hooks=[hook])
    return {"pass_s": round(pass_s, 1), "first_step_s": round(hook.first_step_s, 1),
            "graph_mib": round(hook.graph_bytes / 2 ** 20, 2),
            "sentences_per_s": round(hook.sentences / hook.busy, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "tf": tf.__version__}


def _clock_hook_class():
    import tensorflow as tf

    class ClockHook(tf.estimator.SessionRunHook):
        """First step's end, the graph's size, sentences over the steady steps."""

        def __init__(self, started, warmup):
            self.started, self.warmup = started, warmup
            self.first_step_s, self.graph_bytes, self.sentences, self.busy, self.steps = None, 0, 0, 0.0, 0

        def begin(self):
            self._sentences = tf.compat.v1.get_default_graph().get_tensor_by_name("progress/sentences:0")

        def after_create_session(self, session, coord):
            self.graph_bytes = session.graph.as_graph_def().ByteSize()

        def before_run(self, run_context):
            self._step_started = time.monotonic()
            return tf.estimator.SessionRunArgs(self._sentences)

        def after_run(self, run_context, run_values):
            now = time.monotonic()
            self.steps += 1
            if self.first_step_s is None:
                self.first_step_s = now - self.started
            if self.steps > self.warmup:
                self.busy += now - self._step_started
                self.sentences += int(run_values.results)

    return ClockHook


def append(path: str, record: dict) -> None:
    records = load(path) if os.path.isfile(path) else []
    records.append(record)
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(records, fh, indent=1)
    os.replace(path + ".tmp", path)


def load(path: str) -> list:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


FIGURES = [("first_step_s", "time to first step (s)"), ("peak_rss_mib", "peak RSS (MiB)"),
           ("graph_mib", "GraphDef (MiB)"), ("sentences_per_s", "training sentences/s")]


def write_report(records: list, markdown: str, figure: str) -> None:
    from benchmarks.report import scale_markdown, scale_rows

    rows = scale_rows(records)  # the last run of each (label, scale)
    table = scale_markdown(records)
    print(table)
    os.makedirs(os.path.dirname(markdown), exist_ok=True)
    _replace_table(markdown, table)
    _plot(rows, figure)


def _replace_table(markdown: str, table: str) -> None:
    """The table goes between the markers in ``markdown``, the prose around it kept."""
    begin, end = "<!-- scale-table -->\n", "<!-- /scale-table -->\n"
    text = open(markdown, encoding="utf-8").read() if os.path.isfile(markdown) else begin + end
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(markdown, "w", encoding="utf-8") as fh:
        fh.write(head + begin + table + end + tail)


def _plot(rows: list, figure: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    for ax, (key, title) in zip(axes, FIGURES):
        for label, style in (("before", "o--"), ("after", "s-")):
            points = [(r["tokens"], r[key]) for r in rows if r["label"] == label and key in r]
            if points:
                ax.plot(*zip(*points), style, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("training tokens")
        ax.set_title(title)
        if key != "sentences_per_s":
            ax.set_yscale("log")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(figure, dpi=110)


if __name__ == "__main__":
    main()
