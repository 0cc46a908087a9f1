"""Pretrained word vectors from a GloVe or word2vec text file, as an initial embedding matrix.

Formats: GloVe (``word v1 ... vd`` per line) and word2vec text (the same, after a ``count dim`` header).
Words are matched after the model's normalisation; the first vector of a normalised form wins, since the
files list frequent (usually lowercase) forms first.
"""
from typing import Callable, Dict, List, Set

import numpy as np

from ner_tagger.errors import DataError


def read_words(path: str) -> Set[str]:
    """The words of an embeddings file (cheap pass used to keep rare train words that have vectors)."""
    return {word for word, _ in _entries(path, want=None, dim=None)}


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


def _entries(path, want, dim):
    try:
        fh = open(path, encoding="utf-8", errors="replace")
    except OSError as err:
        raise DataError(f"cannot read embeddings file: {err.strerror}", path) from None
    with fh:
        for number, line in enumerate(fh, 1):
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
