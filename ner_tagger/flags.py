"""The training flags every door parses: paths, ``--config`` and one ``--<name>`` per hyperparameter.

``python -m ner_tagger.train`` and script mode (the toolkit passes each hyperparameter as ``--name value``)
share this parser, so a hyperparameter is spelled and checked the same way on a laptop and in a job. Path
defaults come from the SageMaker environment (:class:`ner_tagger.sagemaker.environment.JobEnvironment`):
the job's channels, ``SM_MODEL_DIR`` and ``SM_OUTPUT_DATA_DIR``; outside a job they are empty.
"""
import argparse
from typing import Optional

from ner_tagger.hparams import HParams
from ner_tagger.sagemaker.environment import JobEnvironment


def build_parser(description: str = "", env: Optional[JobEnvironment] = None) -> argparse.ArgumentParser:
    """The parser; path defaults from ``env`` (default: the toolkit's variables of this process)."""
    env = JobEnvironment.from_toolkit() if env is None else env
    parser = argparse.ArgumentParser(prog="python -m ner_tagger.train", description=description or None,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    paths = parser.add_argument_group("paths")
    paths.add_argument("--data_dir", "--data-dir", default=env.channel_default("training"),
                       help="Folder with the train (and dev, test) files. Default: the job's training channel "
                            "($SM_CHANNEL_TRAINING or $SM_CHANNEL_TRAIN).")
    paths.add_argument("--eval_dir", "--eval-dir", default=env.channel_default("eval"),
                       help="Optional separate folder holding the dev file. Default: the job's eval channel "
                            "($SM_CHANNEL_EVAL, $SM_CHANNEL_VALIDATION or $SM_CHANNEL_DEV) if set.")
    paths.add_argument("--embeddings_dir", "--embeddings-dir", default=env.channel_default("embeddings"),
                       help="Optional folder holding one pretrained vectors file, used when embeddings_file is "
                            "empty (or names a file in it). Default: $SM_CHANNEL_EMBEDDINGS.")
    paths.add_argument("--model_dir", "--model-dir", default=None,
                       help="Checkpoint folder (resumed if it has checkpoints). An s3:// URI (as SageMaker "
                            "passes) or none: /opt/ml/checkpoints when it exists, else a temporary folder.")
    paths.add_argument("--export_dir", "--export-dir", default=env.model_dir,
                       help="Where the SavedModel goes, as <export_dir>/<version>/. Default: $SM_MODEL_DIR.")
    paths.add_argument("--output_dir", "--output-dir", default=env.output_data_dir,
                       help="Where eval_report.json goes. Default: $SM_OUTPUT_DATA_DIR, else the model dir.")
    paths.add_argument("--config", help="JSON file of hyperparameters (see configs/).")
    paths.add_argument("--verbose", action="store_true", help="Show TensorFlow's own INFO log.")
    group = parser.add_argument_group("hyperparameters (each overrides --config)")
    for name, kind, default, help_text, choices in HParams.describe():
        extra = f" Choices: {', '.join(choices)}." if choices else ""
        group.add_argument(f"--{name}", metavar=kind.__name__.upper(), default=None,
                           help=f"{help_text}{extra} Default: {default!r}.")
    return parser


def parse_hparams(args) -> HParams:
    base = HParams.from_json_file(args.config) if args.config else HParams()
    flags = {name: getattr(args, name) for name in HParams.describe_names() if getattr(args, name) is not None}
    return HParams.from_dict(flags, strings=True, source="command line", base=base)
