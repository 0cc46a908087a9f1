"""The training flags every door parses: paths, ``--config`` and one ``--<name>`` per hyperparameter.

``python -m ner_tagger.train`` and script mode (the toolkit passes each hyperparameter as ``--name value``)
share this parser, so a hyperparameter is spelled and checked the same way on a laptop and in a job. Path
defaults come from the SageMaker environment (:class:`ner_tagger.sagemaker.environment.SageMakerEnvironment`):
the job's channels, ``SM_MODEL_DIR`` and ``SM_OUTPUT_DATA_DIR``; outside a job they are empty.
"""
import argparse
import os

from ner_tagger.hparams import HParams
from ner_tagger.sagemaker import channels
from ner_tagger.sagemaker.environment import SageMakerEnvironment


def build_parser(description: str = "") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ner_tagger.train", description=description or None,
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
    reads (:mod:`ner_tagger.sagemaker.channels`)."""
    return channels.environ_default(role, os.environ)


def checkpoint_dir(requested, resume_from: str = "") -> str:
    """A local ``requested`` path, else the SageMaker-synced ``checkpoints/`` if present (a folder per job, or
    ``resume_from``'s), else a fresh folder (the same rule as under SageMaker script mode)."""
    return SageMakerEnvironment.from_environ().checkpoint_dir(requested, resume_from=resume_from or None)


def parse_hparams(args) -> HParams:
    base = HParams.from_json_file(args.config) if args.config else HParams()
    flags = {name: getattr(args, name) for name in HParams.describe_names() if getattr(args, name) is not None}
    return HParams.from_dict(flags, strings=True, source="command line", base=base)
