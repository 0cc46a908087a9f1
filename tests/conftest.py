"""Fixtures and hooks: the synthetic data folders, one shared trained model, vocabularies; how pytest-xdist
groups and orders the files; the optional CPU log. Helpers live in tests/support/."""
import json
import os

import pytest
from support.processes import exclusive, run_shared_folder
from support.synthetic import TINY, TRAINED_EVAL_EVERY, TRAINED_STEPS, synthetic_sentences, write_conll

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# One intra-op thread for this process and every TensorFlow subprocess a test starts (they inherit the
# environment): the test models are tiny, so a second spinning thread per process buys no speed on these
# 2 cores and costs CPU (test_model_fn alone: 57 -> 53 CPU-s, one run each, a noisy machine). Two inter-op
# threads (TensorFlow's default here), not one, so that an op that blocks (a ps variable read, a dataset's
# GetNext) cannot starve the rest of its step.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")

@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """A data dir with train.txt, dev.txt and test.txt of the synthetic task."""
    root = tmp_path_factory.mktemp("synthetic")
    write_conll(root / "train.txt", synthetic_sentences(300, 1))
    write_conll(root / "dev.txt", synthetic_sentences(60, 2))
    write_conll(root / "test.txt", synthetic_sentences(60, 3))
    return root


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
            from ner_tagger.job import runner

            report = runner.pipeline(hparams=hp, data_dir=str(synthetic_dir), model_dir=str(root / "ckpt"),
                                  export_dir=str(root / "export"), output_dir=str(root / "output"))
            (root / "report.tmp").write_text(json.dumps(report), encoding="utf-8")
            os.replace(root / "report.tmp", done)  # a worker that sees report.json sees a finished run
    report = json.loads(done.read_text(encoding="utf-8"))
    return {"report": report, "root": root, "export": root / "export", "hparams": hp}


@pytest.fixture(scope="module")
def vocab_dir(tmp_path_factory):
    """Vocabularies built from 50 synthetic sentences."""
    from ner_tagger.corpus import conll, vocab

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


# CPU-seconds per test file in a recorded run (benchmarks/suite_cpu.py --write-costs; how to refresh it is
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
