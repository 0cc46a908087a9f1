"""``main`` of the script-mode entry point (``sagemaker_entry/train_entry.py``).

What the toolkit (``sagemaker_tensorflow_container.training.main``) hands over:

- argv: each hyperparameter from ``hyperparameters.json``, JSON-decoded and ``str()``-ed, as ``--name value``
  (``"true"`` arrives as ``True``, ``"\\"PER\\""`` as ``PER``), plus ``--model_dir s3://<bucket>/<job>/model``
  which the SDK adds (a tuning job's ``_tuning_objective_metric`` is not among them: the toolkit keeps
  SageMaker's own hyperparameters off the command line; ``without_internal_flags`` covers a script run by
  hand with such flags). Values pass
  through ``/bin/sh`` unquoted, so the launcher refuses values that a shell would split
  (``launch.check_hyperparameters``). An unknown ``--name`` fails the job naming it, like a bad value.
- TensorBoard: summaries go to the job's TensorBoardOutputConfig ``LocalPath`` (default
  ``/opt/ml/output/tensorboard``, :attr:`ner_tagger.opt_ml.MLPaths.tensorboard`), or ``--tensorboard_dir``.
- environment: ``SM_CHANNEL_TRAINING`` (train and dev files), optionally ``SM_CHANNEL_EVAL``/``_DEV`` and
  ``SM_CHANNEL_EMBEDDINGS`` (one vectors file), ``SM_MODEL_DIR`` (``/opt/ml/model``), ``SM_OUTPUT_DATA_DIR``,
  ``SM_HPS``, ``SM_HOSTS``, ``TF_CONFIG``.

Exit codes and the failure file are the job's (:mod:`ner_tagger.failure`): 0 done, 2 bad input or no
SavedModel in ``SM_MODEL_DIR`` after training, 143 interrupted after a checkpoint, 1 anything else; the reason,
secrets masked, in ``/opt/ml/output/failure``. A ``TF_CONFIG`` of ``multi_worker_mirrored_strategy``'s shape
is refused (exit 2): see :mod:`ner_tagger.cluster`. A parameter-server worker returns only once the master's
port closes (bounded wait).
"""
import dataclasses
import logging
import os
import sys

from ner_tagger import job, redaction, train
from ner_tagger.cli import setup_logging
from ner_tagger.errors import DataError, HParamsError
from ner_tagger.opt_ml import SageMakerEnvironment, refuse_sharded_channels

log = logging.getLogger("ner_tagger")


def main(argv=None) -> int:
    env = SageMakerEnvironment.from_environ()
    argv = sys.argv[1:] if argv is None else argv
    return job.contained(lambda: _train(argv, env), env.failure_file, env.model_dir,
                         lambda: redaction.secret_values(dict(env.hyperparameters, **_flags(argv)), os.environ))


def _train(argv, env: SageMakerEnvironment) -> dict:
    args, unknown = train.build_parser().parse_known_args(without_internal_flags(argv))
    if unknown:
        raise HParamsError(f"command line: unknown hyperparameter(s) or argument(s): {' '.join(unknown)} "
                           f"(see python -m ner_tagger.train --help)")
    # TensorBoard summaries where TensorBoardOutputConfig collects them, unless the job names a folder.
    hparams = train.parse_hparams(args)
    hparams = dataclasses.replace(hparams, tensorboard_dir=hparams.tensorboard_dir or env.paths.tensorboard)
    if not args.data_dir:
        raise HParamsError("no training data: set --data_dir or give the job a 'training' channel")
    if not args.export_dir:
        raise HParamsError("no export folder: set --export_dir (SageMaker sets SM_MODEL_DIR)")
    refused = refuse_sharded_channels(env.input_data_config, len(env.hosts))
    if refused:
        raise DataError(refused)
    setup_logging(args.verbose)
    model_dir = env.checkpoint_dir(args.model_dir, resume_from=hparams.resume_from)
    log.info("sagemaker: host %s of %s; checkpoints in %s (model_dir argument %s)", env.current_host,
             env.hosts or "-", model_dir, args.model_dir)
    return job.run(job.JobSettings(hparams, args.data_dir, model_dir, args.export_dir,
                                   args.output_dir or model_dir, eval_dir=args.eval_dir,
                                   servable_dir=env.model_dir or args.export_dir,
                                   embeddings_dir=args.embeddings_dir))


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
