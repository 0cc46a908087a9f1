"""Keeping secrets out of ``/opt/ml/output/failure`` and the logs.

The failure file becomes the training job's ``FailureReason``, visible to anyone who can describe the job,
so it must never carry a hyperparameter marked secret (``HParams.secret_names()``) or a credential the
container received in its environment (``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, any ``*_TOKEN``,
``*_PASSWORD``, ...). Values are replaced wherever they occur in the text, however they got there.
"""
import re
from typing import Iterable, Mapping, Set

from ner_tagger.hparams import HParams

MASK = "***"
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE_?KEY|ACCESS_KEY|AUTH",
                         re.IGNORECASE)
# Shapes of credentials that leak through error text even when their variable is unknown to us.
CREDENTIAL_SHAPES = (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),)
# Shorter values ("1", "yes") would mask innocent text without protecting anything.
MIN_SECRET_CHARS = 4


def secret_values(hyperparameters: Mapping[str, object], environ: Mapping[str, str]) -> Set[str]:
    """Every value that must not be shown: secret or secret-looking hyperparameters and env variables."""
    declared = HParams.secret_names()
    found = set()
    for key, value in hyperparameters.items():
        if key in declared or SECRET_NAME.search(key):
            found.update(_forms(str(value)))
    for key, value in environ.items():
        if SECRET_NAME.search(key):
            found.update(_forms(value))
    return {v for v in found if len(v) >= MIN_SECRET_CHARS}


def _forms(value: str) -> Iterable[str]:
    # A JSON-encoded hyperparameter ("\"s3cr3t\"") may surface decoded, or repr'd with its quotes.
    yield value
    if len(value) >= 2 and value[0] == value[-1] == '"':
        yield value[1:-1]


def redact(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(value, MASK)
    for shape in CREDENTIAL_SHAPES:
        text = shape.sub(MASK, text)
    return text
