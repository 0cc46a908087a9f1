"""Every hyperparameter in one typed place, validated once.

Downstream code receives an :class:`HParams` (or its ``params`` dict inside ``model_fn``) and trusts it.
Values arrive from four sources, all funnelled through :meth:`HParams.from_dict`: a JSON config file in
``configs/``, command-line flags, SageMaker's ``hyperparameters.json`` (every value a string, plain or
JSON-encoded) and the ``params.json`` written beside an exported model.
"""
import dataclasses
import json
import math
from typing import Any, Dict, Mapping, Optional, Union

from ner_tagger.errors import HParamsError

TAG_SCHEMES = ("auto", "iob1", "iob2", "iobes")
ENCODINGS = ("iob2", "iobes")
CHAR_REPRESENTATIONS = ("cnn", "lstm", "none")
LSTM_IMPLEMENTATIONS = ("keras", "fused")
OPTIMIZERS = ("adam", "lazy_adam")
SPAN_MISMATCH = ("drop", "error")
OFFSETS_TOKENIZERS = ("text_signature", "whitespace")


def _field(default, help, choices=None, low=None, high=None, secret=False):
    meta = {"help": help, "choices": choices, "low": low, "high": high, "secret": secret}
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class HParams:
    # --- data ---
    train_file: str = _field("", "Training file in the data dir (name or glob). Empty: train.txt, train.conll, "
                                 "train, eng.train, ... are tried in turn.")
    dev_file: str = _field("", "Dev file in the data dir. Empty: dev/valid/testa names are tried; if none "
                               "exists, dev_fraction of train is held out. A name given here must exist.")
    test_file: str = _field("", "Optional test file in the data dir, evaluated once with the exported model.")
    dev_fraction: float = _field(0.1, "Fraction of train held out (seeded) when there is no dev file.",
                                 low=0.0, high=0.5)
    tag_scheme: str = _field("auto", "Tag scheme of the input files; auto detects it per file.",
                             choices=TAG_SCHEMES)
    tag_encoding: str = _field("iobes", "Scheme the model predicts in. IOBES gives the CRF explicit "
                                        "entity ends (Lample et al., 2016); outputs are also given as IOB2.",
                               choices=ENCODINGS)
    label_attribute: str = _field("", "Ground Truth manifests: the label attribute (the labeling job's name) that "
                                      "holds the entities. Empty: the one attribute besides source and "
                                      "*-metadata.")
    span_mismatch: str = _field("drop", "Files with character offsets: an entity that does not start and end on "
                                        "token boundaries is dropped (counted, logged with a sample, in the "
                                        "report) or stops the run (error).", choices=SPAN_MISMATCH)
    offsets_tokenizer: str = _field("text_signature", "How text with character offsets is split into tokens: "
                                                      "the serving text signature's rules (what raw text "
                                                      "gets at prediction), or whitespace only (text that "
                                                      "is already tokens joined by spaces).",
                                    choices=OFFSETS_TOKENIZERS)
    min_word_count: int = _field(1, "Train words seen fewer times map to the OOV id (unless present in the "
                                    "embeddings file). Recommended 1-2 on small data sets.", low=1)
    lowercase: bool = _field(True, "Lowercase words before the word lookup (characters keep their case).")
    normalize_digits: bool = _field(True, "Map ASCII digits to 0 before the word lookup.")
    max_word_chars: int = _field(30, "Characters per word fed to the char representation; longer words "
                                     "(URLs) are cut, which bounds the char tensor.", low=1, high=1000)
    # --- model ---
    word_dim: int = _field(100, "Word embedding size (must equal the embeddings file's if one is given).",
                           low=1, high=2048)
    embeddings_file: str = _field("", "GloVe, word2vec or fastText (.vec) text file, optionally .gz, to "
                                      "initialise word embeddings. Empty: the one file of the 'embeddings' "
                                      "channel if the job has one, else random initialisation.")
    embeddings_vocab_max: int = _field(100000, "Words with a pretrained vector that are not in train join the "
                                                "vocabulary (so they are known at test time), the file's first "
                                                "(most frequent) ones up to this many; each costs word_dim "
                                                "floats in the export. 0: train words only.", low=0)
    embeddings_trainable: bool = _field(True, "Fine-tune the word embeddings.")
    char_representation: str = _field("cnn", "Character features: cnn (fast), lstm (Lample et al.) or none.",
                                       choices=CHAR_REPRESENTATIONS)
    char_dim: int = _field(30, "Character embedding size. Recommended 25-50.", low=1, high=512)
    char_filters: int = _field(50, "char CNN: number of filters.", low=1, high=2048)
    char_kernel_size: int = _field(3, "char CNN: kernel width.", low=1, high=15)
    char_lstm_units: int = _field(25, "char BiLSTM: units per direction.", low=1, high=1024)
    lstm_units: int = _field(100, "Word BiLSTM units per direction. Recommended 100-300.", low=1, high=4096)
    lstm_layers: int = _field(1, "Stacked word BiLSTM layers.", low=1, high=4)
    lstm_implementation: str = _field("keras", "Word BiLSTM kernel: keras (a loop of small ops on a CPU, "
                                               "cuDNN on a GPU) or fused (one BlockLSTM kernel per sequence "
                                               "and direction: faster on a CPU). Same weights either way.",
                                      choices=LSTM_IMPLEMENTATIONS)
    dropout: float = _field(0.5, "Dropout rate on embeddings and BiLSTM outputs.", low=0.0, high=0.95)
    word_dropout: float = _field(0.1, "Training-time chance of replacing a word by the OOV id, so the model "
                                       "learns to tag unseen words from their characters and context.",
                                 low=0.0, high=0.9)
    # --- training ---
    batch_size: int = _field(32, "Sentences per training batch.", low=1, high=4096)
    eval_batch_size: int = _field(128, "Sentences per evaluation and prediction batch.", low=1, high=8192)
    epochs: int = _field(25, "Passes over the training data (upper bound when early stopping is on).",
                         low=1, high=10000)
    max_steps: int = _field(0, "Stop after this many steps; 0: epochs decide.", low=0)
    learning_rate: float = _field(0.001, "Adam learning rate.", low=1e-7, high=1.0)
    optimizer: str = _field("adam", "adam, or lazy_adam (tensorflow-addons LazyAdam: moments of embedding "
                                    "rows are updated only for the words in the batch; faster per step).",
                            choices=OPTIMIZERS)
    ema_decay: float = _field(0.0, "Evaluate and export an exponential moving average of the weights with "
                                   "this decay (e.g. 0.99); 0: the raw weights.", low=0.0, high=0.99999)
    clip_norm: float = _field(5.0, "Global gradient-norm clip; 0 disables.", low=0.0)
    shuffle_buffer: int = _field(10000, "Sentences in the shuffle buffer.", low=1)
    bucket_width: int = _field(5, "Sentence-length bucket width for batching; 0 disables bucketing.", low=0)
    eval_every_steps: int = _field(300, "Checkpoint and evaluate on dev every N steps (checkpoint_secs also "
                                        "checkpoints by time).", low=1)
    early_stopping_patience: int = _field(5, "Stop after this many evaluations without a dev F1 gain; "
                                             "0 disables.", low=0)
    checkpoint_secs: int = _field(60, "Also checkpoint once this many seconds of training have passed since "
                                      "the last checkpoint, so a job killed without warning (SIGKILL; under "
                                      "the managed TensorFlow container a spot reclaim or StopTrainingJob "
                                      "never reaches the training process as SIGTERM) loses at most about "
                                      "this much training. Well under SageMaker's 120 s spot notice; 10-600 "
                                      "is sensible, 0 turns it off (checkpoints only every eval_every_steps). "
                                      "One save of the WNUT-17 model (18 MB) took 0.02-0.13 s on a shared "
                                      "2-core CPU: about 0.2 percent of training at 60 s.", low=0, high=86400)
    keep_checkpoint_max: int = _field(3, "Recent checkpoints kept, periodic and time-bounded alike (the best "
                                         "one is kept apart).", low=1)
    resume_from: str = _field("", "A SageMaker training job name whose checkpoint folder this job continues "
                                  "(after MaxRuntimeExceeded, StopTrainingJob or a failure); the job's "
                                  "checkpoint_s3_uri must be that job's so SageMaker restores it; the "
                                  "launcher's --resume-from sets both.")
    log_every_steps: int = _field(50, "Progress line (and TensorBoard train loss) every N steps.", low=1)
    tensorboard_dir: str = _field("", "Folder for TensorBoard summaries: train/ (loss, learning rate) and eval/ "
                                      "(dev f1, precision, recall, f1/<type>, loss). Empty: none besides "
                                      "<model_dir>'s own, except in SageMaker jobs, which write where "
                                      "TensorBoardOutputConfig collects them (/opt/ml/output/tensorboard).")
    seed: int = _field(42, "Seed for initialisation, shuffling and the dev hold-out.", low=0)
    intra_op_threads: int = _field(0, "TensorFlow intra-op threads; 0: one per core.", low=0)
    inter_op_threads: int = _field(0, "TensorFlow inter-op threads; 0: TensorFlow's default.", low=0)
    mixed_precision: bool = _field(False, "Train with float16 compute in the embeddings, character features, "
                                          "BiLSTM and tag scores (Keras mixed_float16), float32 weights, CRF "
                                          "and loss, and dynamic loss scaling. For GPUs with tensor cores "
                                          "(scripts/benchmark.py gpu_check); slower on a CPU. Exports compute in "
                                          "float32. Needs optimizer adam.")

    def __post_init__(self):
        for f in dataclasses.fields(self):
            problem = _range_problem(f, getattr(self, f.name))
            if problem:
                raise HParamsError(f"hyperparameter {f.name!r}={getattr(self, f.name)!r}: {problem}")
        if self.mixed_precision and self.optimizer != "adam":
            # Loss scaling wraps the v1 Adam optimizer; LazyAdam would apply unscaled-but-unchecked steps.
            raise HParamsError(f"hyperparameter 'mixed_precision'=True: needs optimizer 'adam', not "
                               f"{self.optimizer!r}")

    # ----- construction -----
    @classmethod
    def from_dict(cls, values: Mapping[str, Any], strings: bool = False, source: str = "hyperparameters",
                  base: Optional["HParams"] = None) -> "HParams":
        """Build from ``values`` over ``base`` (defaults if None).

        ``strings=True`` accepts SageMaker's encoding: every value a string, either plain (``3``, ``True``,
        ``PER``) or JSON-encoded (``"3"``, ``"true"``, ``"\\"PER\\""``). Unknown keys and bad values raise
        :class:`HParamsError` naming ``source``, the key and the value.
        """
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise HParamsError(f"{source}: unknown hyperparameter(s) {', '.join(map(repr, unknown))}; "
                               f"known: {', '.join(sorted(fields))}")
        updates = {}
        for key, raw in values.items():
            f = fields[key]
            try:
                value = _decode_string(raw) if strings and isinstance(raw, str) else raw
                updates[key] = coerce(f.type, value)
                problem = _range_problem(f, updates[key])
                if problem:
                    raise ValueError(problem)
            except (TypeError, ValueError) as err:
                raise HParamsError(f"{source}: hyperparameter {key!r}={_shown(f, raw)}: {err}") from None
        return dataclasses.replace(base or cls(), **updates)

    @classmethod
    def from_params(cls, params: Union["HParams", Mapping[str, Any]]) -> "HParams":
        """The typed hyperparameters inside an estimator's ``params``: the flat :meth:`to_dict` plus the keys
        the job adds beside them (``vocab_dir``, ``embeddings_npy``), which are not hyperparameters. An
        :class:`HParams` is returned as it is."""
        if isinstance(params, HParams):
            return params
        names = set(cls.describe_names())
        return cls.from_dict({k: v for k, v in params.items() if k in names}, source="params")

    @classmethod
    def from_json_file(cls, path: str, base: Optional["HParams"] = None) -> "HParams":
        values = read_json_object(path, "config", "a config must be a JSON object of hyperparameters")
        return cls.from_dict(values, source=path, base=base)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2, sort_keys=True)

    @classmethod
    def describe(cls):
        """(name, type, default, help, choices) for each field, in declaration order (for CLI help)."""
        return [(f.name, f.type, f.default, f.metadata["help"], f.metadata["choices"])
                for f in dataclasses.fields(cls)]

    @classmethod
    def describe_names(cls):
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def secret_names(cls):
        return {f.name for f in dataclasses.fields(cls) if f.metadata["secret"]}


def _shown(f, raw):
    return "'***'" if f.metadata["secret"] else repr(raw)


def _decode_string(raw: str):
    """SageMaker SDK v2 JSON-encodes every value; the console and BYOC users write plain strings."""
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, ValueError):
        return raw


_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def coerce(kind, value):
    """Convert ``value`` to ``kind`` (bool, int, float or str), refusing lossy conversions."""
    if kind in (bool, "bool"):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError("expected a boolean (true/false, 1/0, yes/no)")
    if kind in (int, "int"):
        if isinstance(value, bool):
            raise ValueError("expected an integer, got a boolean")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValueError("expected an integer")
    if kind in (float, "float"):
        if isinstance(value, bool):
            raise ValueError("expected a number, got a boolean")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("expected a number") from None
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    if kind in (str, "str"):
        if isinstance(value, (dict, list)):
            raise ValueError("expected a string, got a nested value")
        return str(value)
    raise TypeError(f"unsupported hyperparameter type {kind!r}")


def _range_problem(f, value):
    meta = f.metadata
    if meta["choices"] and value not in meta["choices"]:
        return f"must be one of {', '.join(meta['choices'])}"
    if meta["low"] is not None and value < meta["low"]:
        return f"must be >= {meta['low']}"
    if meta["high"] is not None and value > meta["high"]:
        return f"must be <= {meta['high']}"
    return None


# Hyperparameters a checkpoint (or the vocabularies beside it) was built with and cannot be resumed without:
# each changes a variable's shape or set (the optimizer's slots, the moving averages), or what the saved
# vocabularies and tag ids mean. Value: how to compare (``bool`` for ema_decay: any two non-zero decays
# keep the same variables). Not listed, and free to change on resume: learning rate, dropout, batch size,
# epochs, lstm_implementation (same weights either way), min_word_count and embeddings_vocab_max (a resumed
# run reuses its vocab), and where and how often checkpoints go (checkpoint_secs, resume_from).
RESUME_KEYS = {
    "word_dim": None, "embeddings_file": None, "char_representation": None, "char_dim": None,
    "char_filters": None, "char_kernel_size": None, "char_lstm_units": None, "lstm_units": None,
    "lstm_layers": None, "tag_encoding": None, "lowercase": None, "normalize_digits": None,
    "optimizer": None, "ema_decay": bool,
    "mixed_precision": None,  # its loss-scale optimizer keeps variables of its own in the checkpoint
}


def resume_conflicts(saved: Mapping[str, Any], current: "HParams") -> Dict[str, tuple]:
    """``{key: (saved value, current value)}`` for the :data:`RESUME_KEYS` that differ. A key missing from
    ``saved`` (an older params.json) counts as its default."""
    conflicts = {}
    defaults = HParams()
    for key, compare in RESUME_KEYS.items():
        old, new = saved.get(key, getattr(defaults, key)), getattr(current, key)
        same = compare(old) == compare(new) if compare else old == new
        if not same:
            conflicts[key] = (old, new)
    return conflicts


def check_resumable(params_path: str, current: "HParams") -> None:
    """Refuse, naming the file and each key, to continue a model dir trained with other shape-changing
    hyperparameters: TensorFlow would otherwise fail deep in the restore with a shape mismatch, or (for
    the vocabulary's normalisation) silently train on ids that mean something else."""
    try:
        with open(params_path, encoding="utf-8") as fh:
            saved = json.load(fh)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as err:
        raise HParamsError(f"{params_path}: cannot read the saved hyperparameters of the checkpoints "
                           f"being resumed: {err}") from None
    if not isinstance(saved, dict):
        raise HParamsError(f"{params_path}: the saved hyperparameters are not a JSON object")
    conflicts = resume_conflicts(saved, current)
    if conflicts:
        listed = ", ".join(f"{key}: saved {old!r}, now {new!r}" for key, (old, new) in conflicts.items())
        raise HParamsError(
            f"{params_path}: cannot resume these checkpoints with other shape-changing hyperparameters "
            f"({listed}). Use a new model dir (for SageMaker: a new job name or checkpoint_s3_uri), or the "
            f"saved values.")


def read_json_object(path: str, what: str, not_object: str) -> Dict[str, Any]:
    """A JSON file holding one object (a config, ``hyperparameters.json``); errors name the file, and the
    line for a syntax error. ``not_object``: the message when it holds something else."""
    try:
        with open(path, encoding="utf-8") as fh:
            values = json.load(fh)
    except json.JSONDecodeError as err:
        raise HParamsError(f"{path}:{err.lineno}: not valid JSON: {err.msg}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise HParamsError(f"{path}: cannot read {what}: {getattr(err, 'strerror', None) or err}") from None
    if not isinstance(values, dict):
        raise HParamsError(f"{path}: {not_object}, got {type(values).__name__}")
    return values
