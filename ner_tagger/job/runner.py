"""One training job, whichever door it comes in by: data -> vocabularies -> estimator run -> export -> report.

The doors only turn their own settings into a :class:`JobSettings` and call :func:`run`:

- ``python -m ner_tagger.train`` (:mod:`ner_tagger.train`): flags and a config file;
- script mode (:mod:`ner_tagger.sagemaker.script_mode`): the toolkit's flags and ``SM_*`` variables;
- the bring-your-own container's ``train`` (:mod:`ner_tagger.container.byoc_train`): ``/opt/ml/input/config``.

The SageMaker doors end through :func:`contained`, their one catch-all: the exit code and the failure file
come from :mod:`ner_tagger.job.failure`, so a job fails the same way whichever door it took.

Everything that can be wrong with the input (files, tags, hyperparameters, embeddings) is checked before
the first step, so a bad run fails in seconds and writes nothing under the export directory.
"""
import dataclasses
import logging
import os
import shutil
import time
from typing import Callable, Iterable, Optional, Sequence

from ner_tagger.corpus import dataset
from ner_tagger.errors import HParamsError, ModelNotFoundError
from ner_tagger.hparams import HParams
from ner_tagger.job import cluster, failure, model_params
from ner_tagger.job import report as report_stage
from ner_tagger.serving import core

log = logging.getLogger("ner_tagger")


@dataclasses.dataclass(frozen=True)
class JobSettings:
    """What a door decided; everything after that is the same job."""
    hparams: HParams
    data_dir: str
    model_dir: str  # local checkpoint folder; a run finding checkpoints there resumes from the newest
    export_dir: str  # the SavedModel goes to <export_dir>/<version>/
    output_dir: Optional[str] = None  # eval_report.json
    eval_dir: Optional[str] = None  # a separate folder holding the dev file (an eval channel)
    # What SageMaker tars into model.tar.gz: the chief fails the job unless a servable model is there.
    servable_dir: Optional[str] = None
    embeddings_dir: Optional[str] = None  # an ``embeddings`` channel: its one vectors file is used


def run(settings: JobSettings) -> dict:
    """The job in this process: SIGTERM checkpoints and stops it (the same job run again resumes), the
    chief exports and reports, a parameter-server worker stays up until the master is done."""
    role = cluster.current_role()
    if role.is_chief and settings.servable_dir:
        require_export_in(settings.servable_dir, settings.export_dir)
    plain_cpu_kernels()
    from ner_tagger.job import interruption  # TensorFlow

    log.info("job: %s; checkpoints in %s", role.describe(), settings.model_dir)
    hook = interruption.SigtermCheckpointHook(settings.model_dir, role.is_chief,
                                              settings.hparams.keep_checkpoint_max)
    with hook.installed():
        report = pipeline(hparams=settings.hparams, data_dir=settings.data_dir, model_dir=settings.model_dir,
                          export_dir=settings.export_dir, output_dir=settings.output_dir,
                          eval_dir=settings.eval_dir, embeddings_dir=settings.embeddings_dir, extra_hooks=[hook])
    if role.is_chief:
        if settings.servable_dir:
            check_servable(settings.servable_dir)
    elif role.master:
        cluster.wait_for_master(role.master)
    return report


def pipeline(*, hparams: HParams, data_dir: str, model_dir: str, export_dir: str,
             output_dir: Optional[str] = None, eval_dir: Optional[str] = None,
             embeddings_dir: Optional[str] = None, extra_hooks: Sequence = ()) -> dict:
    """Data -> vocabularies -> estimator run -> export -> report, in this process, whatever its role.

    The folders are :class:`JobSettings`' (keyword-only: four of them are strings in a row).
    Trains on ``data_dir``, exports to ``export_dir/<version>``, returns (and writes) the report.

    ``eval_dir`` is an optional separate directory (e.g. a SageMaker ``eval`` channel) holding the
    dev file; ``embeddings_dir`` an optional ``embeddings`` channel. ``model_dir`` holds checkpoints; an
    existing one is resumed from its newest checkpoint.
    Distributed (parameter-server) training is set up by ``RunConfig`` from ``TF_CONFIG``.
    """
    from ner_tagger.job import estimator_run  # TensorFlow
    from ner_tagger.job.export import export_model
    from ner_tagger.job.hooks import best_checkpoint

    started = time.time()
    hparams = model_params.with_embeddings_channel(hparams, embeddings_dir)
    data = dataset.load_data(hparams, data_dir, eval_dir)
    params = model_params.prepare_model_dir(hparams, data, model_dir)
    estimator = estimator_run.make_estimator(hparams, model_dir, params)
    estimator_run.log_resume_point(model_dir)
    history = estimator_run.train_and_evaluate(estimator, hparams, data, params, extra_hooks)
    if not estimator.config.is_chief:
        # Distributed training: only the chief (PS ``master``, worker 0) has the checkpoints to export.
        log.info("train: done on %s %d (not the chief; it exports)", estimator.config.task_type,
                 estimator.config.task_id)
        return {"evaluations": history, "chief": False}
    best = best_checkpoint(model_dir) or estimator.latest_checkpoint()
    version_dir = export_model(estimator, best, export_dir, params)
    log.info("export: %s (checkpoint %s)", version_dir, best)
    report = report_stage.build_report(hparams, data, model_dir, version_dir, history, time.time() - started)
    if output_dir:
        report_stage.write_json(os.path.join(output_dir, report_stage.REPORT), report)
    return report


def plain_cpu_kernels() -> None:
    """TensorFlow's own CPU kernels instead of oneDNN's for the training process, unless the environment
    already says (``TF_ENABLE_ONEDNN_OPTS``). This model's ops are small (batches of 16 sentences, 100-unit
    LSTMs): oneDNN's layout conversions and transposes cost more than its kernels save, 1.1-1.3x training
    sentences/s without them (docs/benchmark.md). TensorFlow reads the setting once, when it is imported:
    every training door reaches here before that; a program that imported it already keeps its kernels."""
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def require_export_in(servable_dir: str, export_dir: str) -> None:
    """Before training: the chief's export must land in what SageMaker tars (``SM_MODEL_DIR``), or the job
    would train for hours and then fail in :func:`check_servable`."""
    if os.path.realpath(export_dir) != os.path.realpath(servable_dir):
        raise HParamsError(f"--export_dir {export_dir}: the job's model.tar.gz would hold no servable model "
                           f"(SageMaker uploads only {servable_dir}, SM_MODEL_DIR; leave --export_dir unset)")


def check_servable(servable_dir: str) -> str:
    """The chief fails the job rather than let SageMaker upload a ``model.tar.gz`` without a servable model.

    ``servable_dir`` is what SageMaker tars (``SM_MODEL_DIR``), which is not where the export went when
    ``--export_dir`` names another folder; TensorFlow Serving needs ``<integer version>/saved_model.pb``.
    """
    try:
        return core.latest_version(servable_dir)
    except ModelNotFoundError as err:
        raise ModelNotFoundError(f"the chief finished training but {err}: the job's model.tar.gz would "
                                 f"hold no servable model (--export_dir must be {servable_dir}, SM_MODEL_DIR)"
                                 ) from None


def contained(work: Callable[[], dict], failure_file: str, model_dir: Optional[str],
              secrets: Callable[[], Iterable[str]], create_failure_folder: bool = False) -> int:
    """Run ``work`` (a door's set-up and :func:`run`) as a SageMaker job: 0 on success, else the exit code of
    :func:`ner_tagger.job.failure.exit_code` with the reason, secrets masked, in ``failure_file``.

    The one catch-all of the SageMaker doors; nothing else swallows errors. A stale failure file goes first
    (success leaves none), and whatever a failed job added to ``model_dir`` goes too: a failure after the
    export (the final dev evaluation, say) must not leave a model that looks like a finished job's.
    """
    before = _listing(model_dir)
    try:
        _remove(failure_file)
        report = work()
        if report and report.get("model"):
            log.info("train: model in %s", report["model"])
        return failure.EXIT_OK
    except BaseException as err:  # noqa: B902 - the contract: every failure is reported, then exits
        _remove_new_models(model_dir, before)
        return failure.report(err, failure_file, secrets(), create_failure_folder)


def _listing(folder: Optional[str]) -> set:
    return set(os.listdir(folder)) if folder and os.path.isdir(folder) else set()


def _remove_new_models(model_dir: Optional[str], before: set) -> None:
    for name in _listing(model_dir) - before:
        target = os.path.join(model_dir, name)
        shutil.rmtree(target, ignore_errors=True) if os.path.isdir(target) else _remove(target)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
