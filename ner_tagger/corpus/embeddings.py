"""Pretrained word vectors from a GloVe, word2vec or fastText text file, as an initial embedding matrix.

Formats: GloVe (``word v1 ... vd`` per line), word2vec text and fastText ``.vec`` (the same, after a
``count dim`` header); any of them gzip-compressed (told by content, whatever the name). Words are matched
after the model's normalisation; the first vector of a normalised form wins, since the files list frequent
(usually lowercase) forms first.

A SageMaker ``embeddings`` channel (``SM_CHANNEL_EMBEDDINGS``, ``/opt/ml/input/data/embeddings``) holding one
such file is used without naming it (:func:`channel_file`).
"""
import gzip
import os
from typing import Callable, Dict, List

import numpy as np

from ner_tagger.errors import DataError

CHANNEL = "embeddings"


def channel_file(directory: str) -> str:
    """The one vectors file in the ``embeddings`` channel ``directory`` (hidden files ignored)."""
    try:
        names = sorted(n for n in os.listdir(directory)
                       if not n.startswith(".") and os.path.isfile(os.path.join(directory, n)))
    except OSError as err:
        raise DataError(f"cannot read the {CHANNEL!r} channel: {err.strerror}", directory) from None
    if len(names) != 1:
        found = ", ".join(names) if names else "no file"
        raise DataError(f"the {CHANNEL!r} channel must hold exactly one vectors file (GloVe, word2vec or "
                        f"fastText text, optionally .gz), found {found}; or name one with embeddings_file",
                        directory)
    return os.path.join(directory, names[0])


def read_words(path: str) -> List[str]:
    """The words of an embeddings file in file order, each once (a cheap pass: which words have vectors)."""
    return list(dict.fromkeys(word for word, _ in _entries(path, want=None, dim=None)))


def load_matrix(path: str, vocabulary: List[str], dim: int, normalize: Callable, seed: int) -> np.ndarray:
    """A ``[len(vocabulary) + 1, dim]`` matrix: pretrained rows where found, small random rows elsewhere
    (the last row is the OOV id)."""
    index: Dict[str, int] = {w: i for i, w in enumerate(vocabulary)}
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-0.1, 0.1, size=(len(vocabulary) + 1, dim)).astype(np.float32)
    found = set()
    raw_words, vectors = [], []
    for word, vector in _entries(path, want=True, dim=dim):
        raw_words.append(word)
        vectors.append(vector)
    for form, vector in zip(normalize(raw_words) if raw_words else [], vectors):
        i = index.get(form)
        if i is not None and i not in found:
            matrix[i] = vector
            found.add(i)
    return matrix, len(found)


def _open(path):
    try:
        with open(path, "rb") as fh:
            compressed = fh.read(2) == b"\x1f\x8b"
        opener = gzip.open if compressed else open
        return opener(path, "rt", encoding="utf-8", errors="replace")
    except OSError as err:
        raise DataError(f"cannot read embeddings file: {err.strerror}", path) from None


def _entries(path, want, dim):
    fh = _open(path)
    with fh:
        lines = enumerate(fh, 1)
        while True:
            try:
                number, line = next(lines)
            except StopIteration:
                return
            except (OSError, EOFError) as err:  # a truncated or corrupt .gz
                raise DataError(f"cannot read embeddings file: {err}", path) from None
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header
            if len(parts) < 2:
                raise DataError("expected 'word v1 v2 ...'", path, number)
            if want is None:
                yield parts[0], None
                continue
            if len(parts) - 1 != dim:
                raise DataError(f"vector has {len(parts) - 1} values, word_dim is {dim}", path, number)
            try:
                yield parts[0], np.asarray(parts[1:], dtype=np.float32)
            except ValueError:
                raise DataError("vector has a value that is not a number", path, number) from None
