"""Shared fixtures: a synthetic NER task small enough to learn perfectly in seconds."""
import contextlib
import fcntl
import json
import os
import queue
import random
import re
import signal
import threading
import time

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# One intra-op thread for this process and every TensorFlow subprocess a test starts (they inherit the
# environment): the test models are tiny, so a second spinning thread per process buys no speed on these
# 2 cores and costs CPU (test_model_fn alone: 57 -> 53 CPU-s, one run each, a noisy machine). Two inter-op
# threads (TensorFlow's default here), not one, so that an op that blocks (a ps variable read, a dataset's
# GetNext) cannot starve the rest of its step.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")

PEOPLE = ["Alice", "Bob", "Carol", "Dmitri", "Eve", "Farah", "Gustavo", "Hiro"]
PLACES = ["Paris", "Lagos", "Lima", "Oslo", "Kyoto", "Quebec City", "New York"]
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella Group"]
TEMPLATES = [
    "{PER} met {PER} in {LOC} .",
    "{PER} works for {ORG} .",
    "{ORG} opened an office in {LOC} .",
    "yesterday {PER} flew to {LOC} with {PER} .",
    "the weather was nice .",
    "{ORG} hired {PER} last week .",
]
FILLERS = {"PER": PEOPLE, "LOC": PLACES, "ORG": ORGS}

# Small enough to train in seconds on 2 cores, large enough to learn the task.
TINY = {"word_dim": 16, "char_dim": 8, "char_filters": 16, "lstm_units": 16, "batch_size": 16,
        "eval_batch_size": 64, "dropout": 0.1, "learning_rate": 0.01, "eval_every_steps": 100,
        "log_every_steps": 50, "early_stopping_patience": 0}


def synthetic_sentences(n, seed):
    """``n`` (tokens, IOB2 tags) pairs from the templates."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens, tags = [], []
        for piece in rng.choice(TEMPLATES).split():
            kind = piece.strip("{}") if piece.startswith("{") else None
            if kind:
                words = rng.choice(FILLERS[kind]).split()
                tokens += words
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(words) - 1)
            else:
                tokens.append(piece)
                tags.append("O")
        out.append((tokens, tags))
    return out


def write_conll(path, sentences, sep="\t"):
    with open(path, "w", encoding="utf-8") as fh:
        for tokens, tags in sentences:
            fh.writelines(f"{t}{sep}{g}\n" for t, g in zip(tokens, tags))
            fh.write("\n")
    return str(path)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """A data dir with train.txt, dev.txt and test.txt of the synthetic task."""
    root = tmp_path_factory.mktemp("synthetic")
    write_conll(root / "train.txt", synthetic_sentences(300, 1))
    write_conll(root / "dev.txt", synthetic_sentences(60, 2))
    write_conll(root / "test.txt", synthetic_sentences(60, 3))
    return root


# The shared run's schedule: 300 is not a multiple of 80, so the run also shows that the last step is evaluated.
TRAINED_STEPS, TRAINED_EVAL_EVERY = 300, 80


@contextlib.contextmanager
def exclusive(lock_path):
    """Hold an exclusive lock on ``lock_path`` (created if missing): pytest-xdist workers are separate
    processes, so what they share (one trained model, the wheel cache under build/) is built under a lock."""
    with open(lock_path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_shared_folder(tmp_path_factory, name):
    """A folder for one test run: the same for every pytest-xdist worker of the run (their base temps share a
    parent), a fresh one without xdist."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / name
        folder.mkdir(exist_ok=True)
        return folder
    return tmp_path_factory.mktemp(name)


@pytest.fixture(scope="session")
def trained(synthetic_dir, tmp_path_factory):
    """One real training run (train -> eval -> export) shared by every test that needs *a* trained model: its
    report, checkpoints (``root/ckpt``), export and hyperparameters. Read-only: a test that changes a model
    folder works on a copy. Under pytest-xdist the first worker to get here trains; the others wait and read."""
    from ner_tagger.hparams import HParams

    root = run_shared_folder(tmp_path_factory, "trained")
    hp = HParams.from_dict(dict(TINY, max_steps=TRAINED_STEPS, eval_every_steps=TRAINED_EVAL_EVERY))
    done = root / "report.json"
    with exclusive(root / ".lock"):
        if not done.exists():
            from ner_tagger import job

            report = job.pipeline(hparams=hp, data_dir=str(synthetic_dir), model_dir=str(root / "ckpt"),
                                  export_dir=str(root / "export"), output_dir=str(root / "output"))
            (root / "report.tmp").write_text(json.dumps(report), encoding="utf-8")
            os.replace(root / "report.tmp", done)  # a worker that sees report.json sees a finished run
    report = json.loads(done.read_text(encoding="utf-8"))
    return {"report": report, "root": root, "export": root / "export", "hparams": hp}


def tensorboard_scalars(folder):
    """{tag: [(step, value), ...]} from the event files in ``folder``, read as TensorBoard reads them."""
    import glob

    import tensorflow as tf

    found = {}
    for path in sorted(glob.glob(os.path.join(str(folder), "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                found.setdefault(value.tag, []).append((event.step, round(value.simple_value, 5)))
    return found


def _line_queue(proc):
    """``proc``'s output lines through a queue that one reader thread fills (``None`` at the end), so that a
    wait for a line is bounded even when ``proc`` goes silent without exiting."""
    lines = getattr(proc, "_test_lines", None)
    if lines is None:
        lines = proc._test_lines = queue.Queue()

        def pump():
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)
        threading.Thread(target=pump, daemon=True).start()
    return lines


def read_until(proc, pattern, timeout):
    """Lines of ``proc``'s output up to the first that matches ``pattern``; kills ``proc`` and fails the test
    if none does within ``timeout`` seconds (or ``proc``'s output ends first)."""
    lines, source, deadline = [], _line_queue(proc), time.monotonic() + timeout
    while True:
        try:
            line = source.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
        if re.search(pattern, line):
            return lines
    proc.kill()
    pytest.fail("never saw %r:\n%s" % (pattern, "".join(lines)[-3000:]))


def sigterm_after(proc, pattern, timeout, wait=90):
    """Send SIGTERM once ``proc`` logs ``pattern`` (a training process well under way); its whole log once it
    exited (killed if it outlives ``wait`` seconds)."""
    try:
        lines = read_until(proc, pattern, timeout)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=wait)
    finally:
        if proc.poll() is None:
            proc.kill()
    source = _line_queue(proc)
    while (line := source.get(timeout=30)) is not None:
        lines.append(line)
    return "".join(lines)


# Two sentences, the second padded; "Zorblax" and its "Z"/"x"... are out of vocabulary on purpose (model_fn
# and network tests).
WORDS = [["Alice", "met", "Zorblax", "in", "Paris", "."], ["Ωmega", "works", "", "", "", ""]]
TAGS = [["B-PER", "O", "B-PER", "O", "B-LOC", "O"], ["B-ORG", "O", "O", "O", "O", "O"]]
LENGTHS = [6, 2]


@pytest.fixture(scope="module")
def vocab_dir(tmp_path_factory):
    """Vocabularies built from 50 synthetic sentences."""
    from ner_tagger import conll, vocab

    sentences = [conll.Sentence(tuple(t), tuple(g), 1) for t, g in synthetic_sentences(50, 5)]
    directory = str(tmp_path_factory.mktemp("vocab"))
    vocab.build(sentences, lambda words: list(words)).save(directory)
    return directory


def pytest_itemcollected(item):
    """Whole files go to one pytest-xdist worker (``--dist loadgroup``): a file's module fixtures (a trained
    job, a staged source, a running server) are then built once, not once per worker. Every container test
    shares one group: they share the Docker engine, its ``sagemaker-local`` network and the images' names.
    (Marked here, as each test is collected: pytest-xdist reads the groups in its own modifyitems hook.)"""
    group = "container" if item.get_closest_marker("container") else item.module.__name__
    item.add_marker(pytest.mark.xdist_group(group))


# CPU-seconds per test file in a recorded run (scripts/test_cpu_table.py --write-costs; how to refresh it is
# in that script). Only the order files are handed out in depends on it: a stale table costs balance, not
# correctness.
FILE_COSTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "file_costs.json")
UNRECORDED_SLOW_FILE = 10.0  # CPU-seconds assumed for a file with slow tests that the table lacks


def pytest_collection_modifyitems(items):
    """Costliest files first (longest processing time first), so that under pytest-xdist each worker's last
    files are short ones and the workers finish together; the container tests, one group that runs for
    minutes, before everything. (scripts/test.sh passes ``--no-loadscope-reorder``, without which pytest-xdist
    orders files by their number of tests instead.)"""
    with open(FILE_COSTS, encoding="utf-8") as fh:
        costs = json.load(fh)
    slow_files = {item.module.__file__ for item in items if item.get_closest_marker("slow")}

    def cost(item):
        default = UNRECORDED_SLOW_FILE if item.module.__file__ in slow_files else 0.0
        return costs.get(os.path.basename(item.module.__file__), default)

    # Stable: the tests of a file keep their order, and files of equal cost keep theirs.
    items.sort(key=lambda item: (item.get_closest_marker("container") is None, -cost(item)))


def _cpu_seconds():
    """User + system CPU of this process and of every child it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """With NER_TEST_CPU_LOG=<file>, append each test's CPU-seconds (setup, call, teardown, its subprocesses)
    as ``nodeid<TAB>seconds``: on a shared machine CPU is the comparable cost, wall time is not."""
    log = os.environ.get("NER_TEST_CPU_LOG")
    before = _cpu_seconds()
    yield
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{item.nodeid}\t{_cpu_seconds() - before:.2f}\n")
