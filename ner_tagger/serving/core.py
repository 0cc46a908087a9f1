"""Calling an exported model, whoever runs it: batches by length, the signature to call, the answers.

:class:`ner_tagger.serving.exported_model.Predictor` runs the SavedModel in a TensorFlow session (``predict``,
``evaluate``, the job's report, the BYOC endpoint); ``serving_entry/inference.py`` posts the same signatures
to TF Serving's REST API. Both batch, choose and answer here, so the two endpoints give the same answer.

Also the one rule for where a servable model is: :func:`newest_saved_model`.

Standard library and :mod:`ner_tagger.serving.answers` only: this module is shipped beside the TF Serving
container's ``inference.py`` (``code/lib/ner_tagger``), where neither TensorFlow nor numpy is installed.
"""
import json
import os
from typing import Callable, Collection, Dict, List, Optional, Sequence, Tuple, TypeVar

from ner_tagger.errors import ModelNotFoundError
from ner_tagger.serving.answers import sentence_answer

# Written by the export beside the vocabularies: the hyperparameters a loader needs (tag scheme, limits).
PARAMS = os.path.join("assets.extra", "params.json")

T = TypeVar("T")
TEXT, TOKENS_LENGTHS = "text", "tokens_lengths"
TAGS_OUTPUT = "tags"  # the export output of the tags-only signatures
SAVED_MODEL = "saved_model.pb"


def tags_only(signature: str) -> str:
    """The name of ``signature``'s tags-only twin (``text`` -> ``text_tags``)."""
    return TAGS_OUTPUT if signature == "serving_default" else f"{signature}_{TAGS_OUTPUT}"


def signature(name: str, scores: bool, available: Optional[Collection[str]] = None) -> str:
    """The signature that answers ``name``'s inputs: the tags-only twin when no ``scores`` are wanted (it skips
    the CRF's forward-backward pass), unless ``available`` lists the export's signatures and the twin is not
    among them (an export older than the twins: its scores are then computed and dropped)."""
    if scores:
        return name
    twin = tags_only(name)
    return twin if available is None or twin in available else name


def by_length(items: Sequence[T], size: int, predict: Callable[[List[T]], List[dict]]) -> List[dict]:
    """``predict(batch)`` over batches of at most ``size`` items of similar length (padding, and so LSTM work,
    stays small); the answers in input order."""
    order = sorted(range(len(items)), key=lambda i: len(items[i]))
    answered: List[Optional[dict]] = [None] * len(items)
    for start in range(0, len(order), size):
        batch = order[start:start + size]
        for i, answer in zip(batch, predict([items[i] for i in batch])):
            answered[i] = answer
    return answered


def padded(rows: Sequence[Sequence[str]]) -> Tuple[List[List[str]], List[int]]:
    """``tokens`` and ``lengths`` inputs of the ``tokens_lengths`` signatures: rows padded with ``""``."""
    width = max([1] + [len(tokens) for tokens in rows])
    return [list(tokens) + [""] * (width - len(tokens)) for tokens in rows], [len(tokens) for tokens in rows]


def text_answers(texts: Sequence[str], outputs, scores: bool, encoding: str = "iobes") -> List[Dict]:
    """One answer a row of a ``text`` signature's ``outputs`` (lists or arrays; strings or UTF-8 bytes)."""
    answered = []
    for row, text in enumerate(texts):
        tokens = [_str(t) for t in outputs["tokens"][row][:int(outputs["lengths"][row])]]
        answered.append(_answer(text, tokens, outputs, row, scores, encoding))
    return answered


def tokens_answers(rows: Sequence[Sequence[str]], outputs, scores: bool, encoding: str = "iobes") -> List[Dict]:
    """One answer a row of a ``tokens_lengths`` signature's ``outputs``; character spans refer to the tokens
    joined by single spaces."""
    return [_answer(" ".join(tokens), list(tokens), outputs, row, scores, encoding)
            for row, tokens in enumerate(rows)]


def _answer(text: str, tokens: List[str], outputs, row: int, scores: bool, encoding: str) -> Dict:
    n = len(tokens)
    tags = [_str(t) for t in outputs["tags"][row][:n]]
    if not scores or "scores" not in outputs:
        return sentence_answer(text, tokens, tags, None, None, encoding)
    return sentence_answer(text, tokens, tags, outputs["scores"][row][:n], outputs["sequence_score"][row],
                           encoding)


def _str(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def newest_saved_model(folder: str) -> Optional[str]:
    """What TensorFlow Serving would load from ``folder``: ``folder`` itself if it holds ``saved_model.pb``,
    else its highest numeric version folder that does; ``None`` if neither."""
    if os.path.isfile(os.path.join(folder, SAVED_MODEL)):
        return folder
    if not os.path.isdir(folder):
        return None
    versions = [int(name) for name in os.listdir(folder)
                if name.isdigit() and os.path.isfile(os.path.join(folder, name, SAVED_MODEL))]
    return os.path.join(folder, str(max(versions))) if versions else None


def latest_version(export_dir: str) -> str:
    """The highest numeric version folder under ``export_dir`` (``export_dir`` itself if it is one):
    :func:`newest_saved_model`, or :class:`ModelNotFoundError` saying why not."""
    found = newest_saved_model(export_dir)
    if found:
        return found
    if not os.path.isdir(export_dir):
        raise ModelNotFoundError(f"{export_dir}: no such model folder")
    raise ModelNotFoundError(f"{export_dir}: no SavedModel (no numeric version folder with saved_model.pb)")


def read_params(version_dir: str) -> dict:
    with open(os.path.join(version_dir, PARAMS), encoding="utf-8") as fh:
        return json.load(fh)
