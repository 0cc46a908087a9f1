"""``python -m ner_tagger.train``: train, evaluate on dev, export the best checkpoint.

Hyperparameters: defaults < ``--config`` JSON file < ``--<name> value`` flags. Under SageMaker (script mode)
the data, export and output directories default to the training channel (``SM_CHANNEL_TRAINING``, any
name :mod:`ner_tagger.channels` accepts), ``SM_MODEL_DIR`` and
``SM_OUTPUT_DATA_DIR``, and an ``s3://`` ``--model_dir`` is never written to (checkpoints stay local, in
``/opt/ml/checkpoints`` when SageMaker syncs that folder).
"""
import argparse
import os
import sys

from ner_tagger import channels
from ner_tagger.cli import exits_cleanly, setup_logging
from ner_tagger.errors import HParamsError, TrainingInterrupted
from ner_tagger.failure import EXIT_OK, EXIT_TERMINATED
from ner_tagger.hparams import HParams
from ner_tagger.opt_ml import SageMakerEnvironment


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ner_tagger.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    paths = parser.add_argument_group("paths")
    paths.add_argument("--data_dir", "--data-dir", default=_channel("training"),
                       help="Folder with the train (and dev, test) files. Default: the job's training channel "
                            "($SM_CHANNEL_TRAINING or $SM_CHANNEL_TRAIN).")
    paths.add_argument("--eval_dir", "--eval-dir", default=_channel("eval"),
                       help="Optional separate folder holding the dev file. Default: the job's eval channel "
                            "($SM_CHANNEL_EVAL, $SM_CHANNEL_VALIDATION or $SM_CHANNEL_DEV) if set.")
    paths.add_argument("--embeddings_dir", "--embeddings-dir", default=_channel("embeddings"),
                       help="Optional folder holding one pretrained vectors file, used when embeddings_file is "
                            "empty (or names a file in it). Default: $SM_CHANNEL_EMBEDDINGS.")
    paths.add_argument("--model_dir", "--model-dir", default=None,
                       help="Checkpoint folder (resumed if it has checkpoints). An s3:// URI (as SageMaker "
                            "passes) or none: /opt/ml/checkpoints when it exists, else a temporary folder.")
    paths.add_argument("--export_dir", "--export-dir", default=os.environ.get("SM_MODEL_DIR"),
                       help="Where the SavedModel goes, as <export_dir>/<version>/. Default: $SM_MODEL_DIR.")
    paths.add_argument("--output_dir", "--output-dir", default=os.environ.get("SM_OUTPUT_DATA_DIR"),
                       help="Where eval_report.json goes. Default: $SM_OUTPUT_DATA_DIR, else the model dir.")
    paths.add_argument("--config", help="JSON file of hyperparameters (see configs/).")
    paths.add_argument("--verbose", action="store_true", help="Show TensorFlow's own INFO log.")
    group = parser.add_argument_group("hyperparameters (each overrides --config)")
    for name, kind, default, help_text, choices in HParams.describe():
        extra = f" Choices: {', '.join(choices)}." if choices else ""
        group.add_argument(f"--{name}", metavar=kind.__name__.upper(), default=None,
                           help=f"{help_text}{extra} Default: {default!r}.")
    return parser


def _channel(role):
    """The role's folder from the toolkit's ``SM_CHANNEL_*`` variables, by the one channel table every door
    reads (:mod:`ner_tagger.channels`)."""
    return channels.environ_default(role, os.environ)


def checkpoint_dir(requested, resume_from: str = "") -> str:
    """A local ``requested`` path, else the SageMaker-synced ``checkpoints/`` if present (a folder per job, or
    ``resume_from``'s), else a fresh folder (the same rule as under SageMaker script mode)."""
    return SageMakerEnvironment.from_environ().checkpoint_dir(requested, resume_from=resume_from or None)


def parse_hparams(args) -> HParams:
    base = HParams.from_json_file(args.config) if args.config else HParams()
    flags = {name: getattr(args, name) for name in HParams.describe_names() if getattr(args, name) is not None}
    return HParams.from_dict(flags, strings=True, source="command line", base=base)


@exits_cleanly
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    channels.from_environ(os.environ)  # two channels for one role: refused, naming both
    hparams = parse_hparams(args)
    if not args.data_dir:
        raise HParamsError("--data_dir is required (or set SM_CHANNEL_TRAINING)")
    if not args.export_dir:
        raise HParamsError("--export_dir is required (or set SM_MODEL_DIR)")
    setup_logging(args.verbose)
    from ner_tagger import job

    model_dir = checkpoint_dir(args.model_dir, hparams.resume_from)
    try:
        job.run(job.JobSettings(hparams, args.data_dir, model_dir, args.export_dir, args.output_dir or model_dir,
                                eval_dir=args.eval_dir, embeddings_dir=args.embeddings_dir))
    except TrainingInterrupted as stop:
        # SIGTERM (Ctrl-C's batch-system cousin, spot reclaim) checkpointed after the current step.
        again = "the same command" if args.model_dir else f"the same command with --model_dir {model_dir}"
        print(f"stopped: {stop}; run {again} again to resume", file=sys.stderr)
        return EXIT_TERMINATED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
