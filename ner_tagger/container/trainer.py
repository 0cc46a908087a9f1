"""``train``: the training half of the SageMaker container contract.

Reads ``/opt/ml/input/config/*.json`` and ``/opt/ml/input/data/<channel>/``, writes the SavedModel (its
vocabularies are assets inside it) to ``/opt/ml/model/<version>/``, checkpoints to ``/opt/ml/checkpoints``
(a restarted or spot-resumed job continues from them) and ``eval_report.json`` to ``/opt/ml/output/data``.

On any failure the reason goes to ``/opt/ml/output/failure`` (SageMaker shows it as the job's
``FailureReason``), nothing is left in ``/opt/ml/model``, and the exit code is non-zero: 2 for a problem
with the input (hyperparameters, channels, data), 1 for anything else, 143 when stopped by SIGTERM.
Success removes a stale failure file and leaves none. This module holds the container's one catch-all.
"""
import logging
import os
import shutil
import sys
import traceback

from ner_tagger.container import environment, hyperparameters, redaction
from ner_tagger.container.paths import MLPaths
from ner_tagger.errors import NerTaggerError
from ner_tagger.sagemaker import interruption

log = logging.getLogger("ner_tagger")
EXIT_ERROR, EXIT_USER_ERROR, EXIT_TERMINATED = 1, 2, interruption.EXIT_CODE
# CreateTrainingJob's FailureReason holds 1024 characters; the full traceback is in the log.
MAX_FAILURE_CHARS = 1024


def train(paths: MLPaths) -> dict:
    """Everything a training job does; raises on any problem (``main`` turns that into the contract)."""
    hparams = hyperparameters.load(paths.hyperparameters)
    resource = environment.read_resource_config(paths.resource_config)
    channels = environment.find_channels(paths, environment.read_input_data_config(paths.input_data_config),
                                         resource.distributed)
    os.makedirs(paths.checkpoints, exist_ok=True)
    os.makedirs(paths.model_dir, exist_ok=True)
    from ner_tagger.cli import setup_logging

    setup_logging(verbose=bool(os.environ.get("NER_TAGGER_VERBOSE")))
    if resource.distributed:
        from ner_tagger.container import distributed

        distributed.configure(resource)
        distributed.start_parameter_server(resource)
    from ner_tagger import training

    # SIGTERM (StopTrainingJob, spot reclaim, max runtime) saves a checkpoint after the current step, so a
    # restarted job resumes from /opt/ml/checkpoints without losing the steps since the last periodic save.
    hook = interruption.SigtermCheckpointHook(paths.checkpoints, resource.is_chief, hparams.keep_checkpoint_max)
    with hook.installed():
        report = training.run(hparams, channels.training, paths.checkpoints, paths.model_dir,
                              output_dir=paths.output_data, eval_dir_path=channels.eval, extra_hooks=[hook])
    if resource.distributed and not resource.is_chief:
        distributed.wait_for_master(resource)
    return report


def main(paths: MLPaths = None) -> int:
    paths = paths or MLPaths.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    before = _listing(paths.model_dir)
    try:
        _remove(paths.failure)
        report = train(paths)
        if report.get("model"):
            log.info("train: model in %s", report["model"])
        return 0
    except BaseException as err:  # noqa: B902 - the contract: every failure is reported, then exits
        code = _exit_code(err)
        secrets = redaction.secret_values(_raw_hyperparameters(paths), os.environ)
        if code == EXIT_ERROR:
            print(redaction.redact(traceback.format_exc(), secrets), file=sys.stderr)
        reason = redaction.redact(_reason(err), secrets)
        print(f"error: {reason}", file=sys.stderr)
        _remove_new_models(paths.model_dir, before)
        write_failure(paths.failure, reason)
        return code


def _exit_code(err: BaseException) -> int:
    if isinstance(err, interruption.TrainingInterrupted):
        return EXIT_TERMINATED
    if isinstance(err, NerTaggerError):
        return EXIT_USER_ERROR
    if isinstance(err, SystemExit) and isinstance(err.code, int) and err.code:
        return err.code
    return EXIT_ERROR


def _reason(err: BaseException) -> str:
    if isinstance(err, (NerTaggerError, interruption.TrainingInterrupted)):
        return str(err)
    if isinstance(err, KeyboardInterrupt):
        return "training interrupted"
    return f"{type(err).__name__}: {err}"


def _raw_hyperparameters(paths: MLPaths) -> dict:
    try:
        return hyperparameters.read_raw(paths.hyperparameters)
    except Exception:  # noqa: BLE001 - the file is already known to be bad; mask what can be read
        return {}


def write_failure(path: str, reason: str) -> None:
    if len(reason) > MAX_FAILURE_CHARS:
        reason = reason[:MAX_FAILURE_CHARS - 3] + "..."
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(reason + "\n")


def _listing(folder: str) -> set:
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def _remove_new_models(model_dir: str, before: set) -> None:
    # A failure after export (the final dev evaluation, say) must not leave a model that SageMaker
    # would upload as if the job had succeeded.
    for name in _listing(model_dir) - before:
        target = os.path.join(model_dir, name)
        shutil.rmtree(target, ignore_errors=True) if os.path.isdir(target) else _remove(target)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


if __name__ == "__main__":
    sys.exit(main())
