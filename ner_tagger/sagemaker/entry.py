"""``main`` of the script-mode entry point (``sagemaker_entry/train_entry.py``).

What the toolkit (``sagemaker_tensorflow_container.training.main``) hands over:

- argv: each hyperparameter from ``hyperparameters.json``, JSON-decoded and ``str()``-ed, as ``--name value``
  (``"true"`` arrives as ``True``, ``"\\"PER\\""`` as ``PER``), plus ``--model_dir s3://<bucket>/<job>/model``
  which the SDK adds (a tuning job's ``_tuning_objective_metric`` is not among them: the toolkit keeps
  SageMaker's own hyperparameters off the command line; ``without_internal_flags`` covers a script run by
  hand with such flags). Values pass
  through ``/bin/sh`` unquoted, so the launcher refuses values that a shell would split
  (``launch.check_hyperparameters``). An unknown ``--name`` fails the job naming it, like a bad value.
- environment: ``SM_CHANNEL_TRAINING`` (train and dev files), optionally ``SM_CHANNEL_EVAL``/``_DEV``,
  ``SM_MODEL_DIR`` (``/opt/ml/model``), ``SM_OUTPUT_DATA_DIR``, ``SM_HPS``, ``SM_HOSTS``, ``TF_CONFIG``.

Exit codes: 0 done, 2 bad input or no SavedModel in ``SM_MODEL_DIR`` after training (reason in
``/opt/ml/output/failure``), 143 interrupted after a checkpoint. A ``TF_CONFIG`` of
``multi_worker_mirrored_strategy``'s shape is refused (exit 2): see :mod:`ner_tagger.sagemaker.distribution`.
A parameter-server worker returns only once the master's port closes (bounded wait).
"""
import logging
import sys

from ner_tagger import train
from ner_tagger.cli import EXIT_USER_ERROR, setup_logging
from ner_tagger.errors import HParamsError, ModelNotFoundError, NerTaggerError
from ner_tagger.sagemaker import distribution, interruption
from ner_tagger.sagemaker.environment import SageMakerEnvironment

log = logging.getLogger("ner_tagger")


def main(argv=None) -> int:
    env = SageMakerEnvironment.from_environ()
    try:
        return _train(argv, env)
    except NerTaggerError as err:
        message = f"{type(err).__name__}: {err}"
        print(f"error: {message}", file=sys.stderr)
        env.write_failure(message)
        return EXIT_USER_ERROR
    except interruption.TrainingInterrupted as stop:
        log.warning("interruption: %s", stop)
        return interruption.EXIT_CODE


def _train(argv, env: SageMakerEnvironment) -> int:
    from ner_tagger import training

    args, unknown = train.build_parser().parse_known_args(
        without_internal_flags(sys.argv[1:] if argv is None else argv))
    if unknown:
        raise HParamsError(f"command line: unknown hyperparameter(s) or argument(s): {' '.join(unknown)} "
                           f"(see python -m ner_tagger.train --help)")
    hparams = train.parse_hparams(args)
    if not args.data_dir:
        raise HParamsError("no training data: set --data_dir or give the job a 'training' channel")
    if not args.export_dir:
        raise HParamsError("no export folder: set --export_dir (SageMaker sets SM_MODEL_DIR)")
    setup_logging(args.verbose)
    role = distribution.current_role()
    model_dir = env.checkpoint_dir(args.model_dir)
    log.info("sagemaker: host %s of %s, %s; checkpoints in %s (model_dir argument %s)", env.current_host,
             env.hosts or "-", role.describe(), model_dir, args.model_dir)
    hook = interruption.SigtermCheckpointHook(model_dir, role.is_chief, hparams.keep_checkpoint_max)
    with hook.installed():
        training.run(hparams, args.data_dir, model_dir, args.export_dir, args.output_dir or model_dir,
                     eval_dir_path=args.eval_dir, extra_hooks=[hook])
    if role.is_chief:
        check_model(env.model_dir or args.export_dir)
    elif role.master:
        wait_for_master(role.master)
    return 0


def check_model(model_dir: str) -> str:
    """The chief fails the job rather than let SageMaker upload a ``model.tar.gz`` without a servable model.

    ``model_dir`` is what SageMaker tars (``SM_MODEL_DIR``), which is not where the export went when
    ``--export_dir`` names another folder; TensorFlow Serving needs ``<integer version>/saved_model.pb``.
    """
    from ner_tagger import export  # TensorFlow: imported only once training has run

    try:
        return export.latest_version(model_dir)
    except ModelNotFoundError as err:
        raise ModelNotFoundError(f"the chief finished training but {err}: the job's model.tar.gz would "
                                 f"hold no servable model (--export_dir must be {model_dir}, SM_MODEL_DIR)"
                                 ) from None


def wait_for_master(master: str) -> None:
    """A parameter-server worker stays up until the master is gone (see ``distribution.wait_until_closed``):
    the toolkit's own wait ends at once with a current curl, and then the master's export can be cut off."""
    log.info("train: waiting for master %s to finish (its evaluation and export read this host's ps)", master)
    if distribution.wait_until_closed(master):
        log.info("train: master %s is done; worker exits", master)


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
