"""``python -m ner_tagger.train``: train, evaluate on dev, export the best checkpoint.

Hyperparameters: defaults < ``--config`` JSON file < ``--<name> value`` flags. Under SageMaker (script mode)
the data, export and output directories default to the training channel (``SM_CHANNEL_TRAINING``, any
name :mod:`ner_tagger.sagemaker.channels` accepts), ``SM_MODEL_DIR`` and
``SM_OUTPUT_DATA_DIR``, and an ``s3://`` ``--model_dir`` is never written to (checkpoints stay local, in
``/opt/ml/checkpoints`` when SageMaker syncs that folder).
"""
import sys

from ner_tagger import flags
from ner_tagger.cli import exits_cleanly, setup_logging
from ner_tagger.errors import HParamsError, TrainingInterrupted
from ner_tagger.job.failure import EXIT_OK, EXIT_TERMINATED
from ner_tagger.sagemaker.environment import JobEnvironment


@exits_cleanly
def main(argv=None) -> int:
    env = JobEnvironment.from_toolkit()
    args = flags.build_parser(__doc__, env).parse_args(argv)
    env.channel_roles()  # two channels for one role: refused, naming both
    hparams = flags.parse_hparams(args)
    if not args.data_dir:
        raise HParamsError("--data_dir is required (or set SM_CHANNEL_TRAINING)")
    if not args.export_dir:
        raise HParamsError("--export_dir is required (or set SM_MODEL_DIR)")
    setup_logging(args.verbose)
    from ner_tagger.job import runner

    model_dir = env.checkpoint_dir(args.model_dir, hparams.resume_from or None)
    try:
        runner.run(runner.JobSettings(hparams, args.data_dir, model_dir, args.export_dir, args.output_dir or model_dir,
                                eval_dir=args.eval_dir, embeddings_dir=args.embeddings_dir))
    except TrainingInterrupted as stop:
        # SIGTERM (Ctrl-C's batch-system cousin, spot reclaim) checkpointed after the current step.
        again = "the same command" if args.model_dir else f"the same command with --model_dir {model_dir}"
        print(f"stopped: {stop}; run {again} again to resume", file=sys.stderr)
        return EXIT_TERMINATED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
