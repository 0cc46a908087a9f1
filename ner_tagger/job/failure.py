"""How every door ends a failed job: one exit-code map and one writer of ``/opt/ml/output/failure``.

Exit codes (the same for ``python -m ner_tagger.train``, script mode and the BYOC ``train``):

- 0: done. 1: anything unexpected (its traceback, secrets masked, is in the log).
- 2: a problem with the input that the message names (:class:`~ner_tagger.errors.NerTaggerError`).
- 143: stopped by SIGTERM after a checkpoint (:class:`~ner_tagger.errors.TrainingInterrupted`); the same
  job run again resumes from it.

The failure file becomes the training job's ``FailureReason``, visible to anyone who can describe the job,
so what goes in it is redacted (:mod:`ner_tagger.job.redaction`) and cut to what SageMaker keeps.
"""
import os
import signal
import sys
import traceback
from typing import Iterable

from ner_tagger.errors import NerTaggerError, TrainingInterrupted
from ner_tagger.job import redaction

EXIT_OK, EXIT_ERROR, EXIT_USER_ERROR = 0, 1, 2
EXIT_TERMINATED = 128 + signal.SIGTERM  # the conventional "terminated by SIGTERM" status
# CreateTrainingJob's FailureReason holds 1024 characters; the full traceback is in the log.
MAX_FAILURE_CHARS = 1024


def exit_code(err: BaseException) -> int:
    if isinstance(err, TrainingInterrupted):
        return EXIT_TERMINATED
    if isinstance(err, NerTaggerError):
        return EXIT_USER_ERROR
    if isinstance(err, SystemExit) and isinstance(err.code, int) and err.code:
        return err.code
    return EXIT_ERROR


def reason(err: BaseException) -> str:
    """One line for a person: our own errors already name the file, line, key or value at fault."""
    if isinstance(err, (NerTaggerError, TrainingInterrupted)):
        return str(err)
    if isinstance(err, KeyboardInterrupt):
        return "training interrupted"
    return f"{type(err).__name__}: {err}"


def write_failure(path: str, text: str, create_folder: bool = False) -> None:
    """Record why the job failed, cut to ``MAX_FAILURE_CHARS``, unless something already did (the first
    writer wins, as in the toolkit). Without ``create_folder`` nothing is written where ``output/`` is
    missing: a script run outside a job has no ``/opt/ml`` to fill."""
    folder = os.path.dirname(path)
    if create_folder:
        os.makedirs(folder, exist_ok=True)
    if os.path.exists(path) or not os.path.isdir(folder):
        return
    if len(text) > MAX_FAILURE_CHARS:
        text = text[:MAX_FAILURE_CHARS - 3] + "..."
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")


def report(err: BaseException, failure_path: str, secrets: Iterable[str], create_folder: bool = False) -> int:
    """Log ``err`` (with its traceback when unexpected), write the failure file, return the exit code."""
    secrets = set(secrets)
    code = exit_code(err)
    if code == EXIT_ERROR:
        print(redaction.redact(traceback.format_exc(), secrets), file=sys.stderr)
    text = redaction.redact(reason(err), secrets)
    print(f"error: {text}", file=sys.stderr)
    write_failure(failure_path, text, create_folder)
    return code
