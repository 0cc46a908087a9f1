"""Command-line plumbing every door shares (:mod:`ner_tagger.cli`): our errors become one line and exit 2,
anything else keeps its traceback; and the log set-up."""
import json
import logging
import subprocess
import sys
import textwrap

import pytest

from ner_tagger import cli
from ner_tagger.errors import DataError, HParamsError, ModelNotFoundError, TrainingInterrupted
from ner_tagger.serving.local_server import REPO


def test_a_main_that_returns_passes_its_argv_and_its_code_through():
    @cli.exits_cleanly
    def main(argv=None):
        """Counts its arguments."""
        return len(argv)

    assert main(["a", "b", "c"]) == 3
    assert (main.__name__, main.__doc__) == ("main", "Counts its arguments.")


@pytest.mark.parametrize("error, line", [
    (DataError("bad tag 'B-'", "train.txt", 3), "error: train.txt:3: bad tag 'B-'"),
    (HParamsError("command line: hyperparameter 'dropout'='lots': not a number"),
     "error: command line: hyperparameter 'dropout'='lots': not a number"),
    (ModelNotFoundError("runs/export: no SavedModel version"), "error: runs/export: no SavedModel version"),
])
def test_our_errors_print_one_line_and_exit_2(capsys, error, line):
    @cli.exits_cleanly
    def main(argv=None):
        raise error

    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.err == line + "\n" and captured.out == ""


@pytest.mark.parametrize("error", [RuntimeError("boom"), TrainingInterrupted(40, "/ckpt/model.ckpt-40"),
                                   KeyError("key")])
def test_errors_other_than_input_errors_are_not_swallowed(capsys, error):
    """A bug keeps its traceback; an interrupted run is the door's to answer (exit 143 and how to resume)."""
    @cli.exits_cleanly
    def main(argv=None):
        raise error

    with pytest.raises(type(error)):
        main([])
    assert capsys.readouterr().err == ""


SCRIPT = textwrap.dedent("""
    import sys
    from ner_tagger.cli import exits_cleanly
    from ner_tagger.errors import DataError

    @exits_cleanly
    def main(argv=None):
        if argv == ["data"]:
            raise DataError("bad tag", "dev.txt", 12)
        raise RuntimeError("boom")

    sys.exit(main(sys.argv[1:]))
""")


def test_in_a_real_process_an_input_error_is_one_line_and_a_bug_its_traceback():
    ours = subprocess.run([sys.executable, "-c", SCRIPT, "data"], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert (ours.returncode, ours.stderr) == (2, "error: dev.txt:12: bad tag\n")
    bug = subprocess.run([sys.executable, "-c", SCRIPT, "other"], cwd=REPO, capture_output=True, text=True,
                         timeout=60)
    assert bug.returncode == 1
    assert bug.stderr.startswith("Traceback") and bug.stderr.rstrip().endswith("RuntimeError: boom")


LOGGING = textwrap.dedent("""
    import json, logging, sys
    from ner_tagger.cli import setup_logging
    import tensorflow as tf

    levels = {}
    for verbose in (False, True):
        setup_logging(verbose)
        levels[str(verbose)] = [logging.getLogger().level, tf.get_logger().level,
                                logging.getLogger("absl").level, logging.getLogger().handlers[0].stream.name]
    logging.getLogger("ner_tagger").info("a line of ours")
    print(json.dumps(levels))
""")


@pytest.mark.slow  # imports TensorFlow in a subprocess
def test_setup_logging_shows_our_lines_and_tensorflows_only_when_verbose():
    done = subprocess.run([sys.executable, "-c", LOGGING], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    levels = json.loads(done.stdout.strip().splitlines()[-1])
    assert levels == {"False": [logging.INFO, logging.ERROR, logging.WARNING, "<stderr>"],
                      "True": [logging.INFO, logging.INFO, logging.INFO, "<stderr>"]}
    assert done.stderr.rstrip().endswith("a line of ours")

