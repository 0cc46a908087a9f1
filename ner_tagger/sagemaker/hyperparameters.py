"""``/opt/ml/input/config/hyperparameters.json`` -> :class:`ner_tagger.hparams.HParams`.

The contract (CreateTrainingJob ``HyperParameters``): a flat JSON object whose values are strings of at most
256 characters. The SageMaker Python SDK v2 JSON-encodes each value (``"\\"PER\\""``, ``"3"``); the console,
the CLI and hand-written files use plain strings (``PER``, ``3``, ``True``). Both are accepted; the typing
and range checks are :meth:`HParams.from_dict`'s, so a message names the key and the value.

Keys SageMaker itself adds are dropped before validation: ``sagemaker_*`` (the SDK's framework keys) and
``_tuning_objective_metric`` (added by hyperparameter tuning jobs). Any other unknown key is an error.
A missing file means "all defaults" (SageMaker always writes one, possibly ``{}``).
"""
import json
import logging
import os
from typing import Dict

from ner_tagger.errors import HParamsError
from ner_tagger.hparams import HParams, read_json_object

log = logging.getLogger("ner_tagger")
MAX_VALUE_CHARS = 256
RESERVED_PREFIXES = ("sagemaker_", "_tuning_")


def read_raw(path: str) -> Dict[str, str]:
    """The file's flat mapping, checked against the contract but not yet typed."""
    if not os.path.exists(path):
        return {}
    values = read_json_object(path, "hyperparameters", "hyperparameters must be a JSON object")
    for key, value in values.items():
        # Values are never echoed here: a key may be misspelt secret, and the length alone is the problem.
        if isinstance(value, (dict, list)):
            raise HParamsError(f"{path}: hyperparameter {key!r}: nested values are not allowed "
                               "(SageMaker passes flat strings)")
        if value is None:
            raise HParamsError(f"{path}: hyperparameter {key!r}: null is not a value")
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > MAX_VALUE_CHARS:
            raise HParamsError(f"{path}: hyperparameter {key!r}: value of {len(text)} characters; SageMaker "
                               f"allows at most {MAX_VALUE_CHARS}")
    return values


def split_reserved(values: Dict[str, str]):
    """(ours, reserved): keys SageMaker adds for its own use are not hyperparameters of the model."""
    ours = {k: v for k, v in values.items() if not k.startswith(RESERVED_PREFIXES)}
    reserved = sorted(set(values) - set(ours))
    return ours, reserved


def load(path: str) -> HParams:
    """Typed, validated hyperparameters from ``path`` (defaults for every key it does not set)."""
    return typed(read_raw(path), path)


def typed(values: Dict[str, str], path: str) -> HParams:
    """:func:`read_raw`'s mapping as :class:`HParams`, SageMaker's own keys dropped; errors name ``path``."""
    ours, reserved = split_reserved(values)
    if reserved:
        log.info("hyperparameters: ignoring SageMaker's own keys %s", ", ".join(reserved))
    return HParams.from_dict(ours, strings=True, source=path)

