"""``main`` of the script-mode entry point (``sagemaker_entry/train_entry.py``).

What the toolkit (``sagemaker_tensorflow_container.training.main``) hands over:

- argv: each hyperparameter from ``hyperparameters.json``, JSON-decoded and ``str()``-ed, as ``--name value``
  (``"true"`` arrives as ``True``, ``"\\"PER\\""`` as ``PER``). The launcher says ``model_dir=False``, so the
  SDK adds no ``model_dir`` and the toolkit asks S3 nothing (network isolation); an estimator built without
  it adds ``--model_dir s3://<bucket>/<job>/model``, and a tuning trial without it gets the toolkit's
  ``--model_dir None/<job>/model``: both mean "none given" here (:func:`requested_model_dir`). A tuning job's
  ``_tuning_objective_metric`` is not among the flags: the toolkit keeps SageMaker's own hyperparameters off
  the command line; ``without_internal_flags`` covers a script run by hand with such flags. Values pass
  through ``/bin/sh`` unquoted, so the launcher refuses values that a shell would split
  (``launch.check_hyperparameters``). An unknown ``--name`` fails the job naming it, like a bad value.
- TensorBoard: summaries go to the job's TensorBoardOutputConfig ``LocalPath`` (default
  ``/opt/ml/output/tensorboard``, :attr:`ner_tagger.sagemaker.environment.MLPaths.tensorboard`), or
  ``--tensorboard_dir``.
- environment: ``SM_CHANNEL_<NAME>`` for each channel, read by the table every door shares
  (:mod:`ner_tagger.sagemaker.channels`: ``training``/``train`` with the train and dev files, optionally
  ``eval``/``validation``/``dev`` and ``embeddings``; two channels for one role are refused), ``SM_MODEL_DIR``
  (``/opt/ml/model``), ``SM_OUTPUT_DATA_DIR``, ``SM_HPS``, ``SM_HOSTS``, ``TF_CONFIG``.

Under SDK v3 (``ModelTrainer`` with ``SourceCode``) the image's entry point is replaced by v3's driver
(``sm_drivers/sm_train.sh`` -> ``sm_drivers/scripts/environment.py`` -> ``distributed_drivers/basic_script_driver.py``),
and neither toolkit runs. What changes for this entry point, none of which needs a code path of its own:

- argv: each hyperparameter JSON-decoded if it can be, then ``json.dumps``-ed unless a string
  (``True`` arrives as ``true``, which the flags accept), passed without a shell; no ``model_dir`` is ever
  added, and a tuning job's ``_tuning_objective_metric`` is not kept off the command line
  (:func:`without_internal_flags` drops it).
- the working directory is the ``code`` channel (``/opt/ml/input/data/code``), and ``SM_CHANNEL_CODE`` and
  ``SM_CHANNEL_SM_DRIVERS`` are set beside the data channels (:mod:`ner_tagger.sagemaker.channels` ignores both).
- ``requirements.txt`` is installed (``pip install -r`` from the code channel) only when ``SourceCode``
  names it: the launcher does.
- no ``TF_CONFIG`` on any number of hosts: several hosts are refused, pointing to SDK v2 for parameter servers.
- v3's driver writes a traceback to the failure file, and ``sm_train.sh`` a generic line, only when the
  file is missing or empty: ours, written first, stays.

Exit codes and the failure file are the job's (:mod:`ner_tagger.job.failure`): 0 done, 2 bad input or no
SavedModel in ``SM_MODEL_DIR`` after training, 143 interrupted after a checkpoint, 1 anything else; the reason,
secrets masked, in ``/opt/ml/output/failure``. A ``TF_CONFIG`` of ``multi_worker_mirrored_strategy``'s shape
is refused (exit 2): see :mod:`ner_tagger.job.cluster`; so are several hosts without a ``TF_CONFIG``
(:func:`refuse_independent_hosts`). A parameter-server worker returns only once the master's port closes
(bounded wait).
"""
import dataclasses
import logging
import os
import re
import sys
from typing import Mapping, Optional

from ner_tagger import flags
from ner_tagger.cli import setup_logging
from ner_tagger.errors import HParamsError
from ner_tagger.job import redaction, runner
from ner_tagger.sagemaker import channels
from ner_tagger.sagemaker.environment import JobEnvironment

log = logging.getLogger("ner_tagger")
# Set by SDK v3's sm_drivers/scripts/environment.py (sagemaker-train), never by the v2 training toolkit.
SDK3_ENTRY_VARIABLE = "SM_ENTRY_SCRIPT"


def main(argv=None) -> int:
    env = JobEnvironment.from_toolkit()
    argv = sys.argv[1:] if argv is None else argv
    return runner.contained(lambda: _train(argv, env), env.failure_file, env.model_dir,
                         lambda: redaction.secret_values(dict(env.hyperparameters, **_flags(argv)), os.environ))


def _train(argv, env: JobEnvironment) -> dict:
    env.channel_roles()  # two channels for one role: refused, naming both
    args, unknown = flags.build_parser(env=env).parse_known_args(without_internal_flags(argv))
    if unknown:
        raise HParamsError(f"command line: unknown hyperparameter(s) or argument(s): {' '.join(unknown)} "
                           f"(see python -m ner_tagger.train --help)")
    # TensorBoard summaries where TensorBoardOutputConfig collects them, unless the job names a folder.
    hparams = flags.parse_hparams(args)
    hparams = dataclasses.replace(hparams, tensorboard_dir=hparams.tensorboard_dir or env.paths.tensorboard)
    if not args.data_dir:
        raise HParamsError(f"no training data: set --data_dir or give the job a training channel "
                           f"({' or '.join(channels.ROLES['training'])})")
    if not args.export_dir:
        raise HParamsError("no export folder: set --export_dir (SageMaker sets SM_MODEL_DIR)")
    refuse_unlaunchable(env)
    setup_logging(args.verbose)
    requested = requested_model_dir(args.model_dir)
    model_dir = env.checkpoint_dir(requested, resume_from=hparams.resume_from)
    log.info("sagemaker: host %s of %s; checkpoints in %s (model_dir argument %s)", env.current_host,
             env.hosts or "-", model_dir, args.model_dir)
    return runner.run(runner.JobSettings(hparams, args.data_dir, model_dir, args.export_dir,
                                   args.output_dir or model_dir, eval_dir=args.eval_dir,
                                   servable_dir=env.model_dir or args.export_dir,
                                   embeddings_dir=args.embeddings_dir))


# training.main's tuning rewrite with no model_dir: "{}/{}/model".format(None, job_name).
_TOOLKIT_TUNING_REWRITE = re.compile(r"None/[^/]+/model")


def requested_model_dir(value: Optional[str]) -> Optional[str]:
    """The ``--model_dir`` the job really asked for: None for the two values the platform makes up.

    - ``s3://...``: SDK v2's ``TensorFlow`` adds ``model_dir=s3://<output>/<job>/model`` unless told
      ``model_dir=False``. Never written to: TensorFlow 2.14 has no S3 filesystem.
    - ``None/<job>/model``: with no ``model_dir`` (the launcher's ``model_dir=False``) a tuning trial still
      gets one from the toolkit. ``sagemaker_tensorflow_container.training.main`` (20.4.1) sees
      ``_tuning_objective_metric`` and sets ``model_dir = _model_dir_with_training_job(
      hyperparameters.get("model_dir"), env.job_name)``, which returns ``"{}/{}/model".format(model_dir,
      job_name)`` for a value not under ``/opt/ml``: the string ``None/<job>/model``, a path relative to the
      entry's working directory ``/opt/ml/code``. Taken as a path it would put the trial's checkpoints
      there, outside the synced ``checkpoints/`` folder.
    """
    if not value or "://" in value or _TOOLKIT_TUNING_REWRITE.fullmatch(value):
        return None
    return value


def under_sdk3_driver(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether SDK v3's container driver started us: its ``environment.py`` exports ``SM_ENTRY_SCRIPT`` and
    ``SM_SOURCE_DIR`` (the ``code`` channel), which the v2 toolkit never sets."""
    return bool(environ.get(SDK3_ENTRY_VARIABLE))


def refuse_unlaunchable(env: JobEnvironment, environ: Mapping[str, str] = os.environ) -> None:
    """Refuse a job that cannot train one model as launched (:meth:`JobEnvironment.refusal`): several hosts
    need a ``TF_CONFIG``, which the toolkit builds only for ``distribution={"parameter_server": ...}``
    (multi-worker mirrored is refused by :mod:`ner_tagger.job.cluster`). Without it each host would train its
    own model from scratch and export it into the same output: N independent jobs billed as one, the last
    upload winning. Under SDK v3's driver no distribution builds one, so the fix named is another."""
    if len(env.hosts) > 1 and not env.tf_config and under_sdk3_driver(environ):
        raise HParamsError(f"{len(env.hosts)} hosts ({', '.join(env.hosts)}) but no TF_CONFIG: SDK v3's ModelTrainer "
                           f"runs the script with its own driver, not the TensorFlow toolkit that sets up parameter "
                           f"servers, so each host would train its own model independently. Train on one instance "
                           f"(instance_count 1), or on several with SDK v2's TensorFlow estimator and distribution "
                           f'{{"parameter_server": {{"enabled": True}}}}')
    refused = env.refusal()
    if refused:
        raise HParamsError(refused)


def _flags(argv) -> dict:
    """``--name value`` pairs of the command line: their values are masked in the failure file like those
    of ``SM_HPS`` (a secret-named hyperparameter may come either way)."""
    return {a[2:]: b for a, b in zip(argv, argv[1:]) if a.startswith("--") and not b.startswith("--")}


def without_internal_flags(argv):
    """Drop ``--_name value`` pairs: SageMaker's own hyperparameters have a leading underscore (a tuning job
    adds ``_tuning_objective_metric``). The toolkit already leaves them out of the command line
    (``sagemaker_training.params.SAGEMAKER_HYPERPARAMETERS``); this covers the script run by hand with a
    job's hyperparameters."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg.startswith("--_"):
            skip = "=" not in arg
        else:
            kept.append(arg)
    return kept
