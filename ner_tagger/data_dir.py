"""Finding the train, dev and test files in a data directory (SageMaker's training channel).

The channel holds the training file and usually a dev file. Names are configurable (``train_file``,
``dev_file``, ``test_file``); left empty, the usual names of CoNLL-style corpora are tried in order.
"""
import glob
import os
from typing import Optional, Sequence

from ner_tagger.errors import DataError

SUFFIXES = ("", ".txt", ".conll", ".tsv", ".iob", ".bio", ".jsonl", ".manifest", ".json")
TRAIN_NAMES = ("train", "eng.train", "training")
DEV_NAMES = ("dev", "valid", "validation", "testa", "eng.testa", "devel")
TEST_NAMES = ("test", "testb", "eng.testb")


def find_file(data_dir: str, requested: str, defaults: Sequence[str], role: str,
              required: bool) -> Optional[str]:
    """Path of the ``role`` file in ``data_dir``.

    ``requested`` (a name or glob relative to ``data_dir``) must match exactly one file inside it. With no
    request, the first existing default name wins; none found is an error only when ``required``.
    """
    root = os.path.realpath(data_dir)
    if not os.path.isdir(root):
        raise DataError("data directory does not exist or is not a directory", data_dir)
    if requested:
        matches = sorted(p for p in glob.glob(os.path.join(root, requested)) if os.path.isfile(p))
        inside = [p for p in matches if _inside(root, p)]
        if len(inside) != 1:
            found = "no file" if not inside else f"{len(inside)} files ({', '.join(map(os.path.basename, inside))})"
            raise DataError(f"{role}_file={requested!r} matches {found} in the data directory", data_dir)
        return inside[0]
    for base in defaults:
        for suffix in SUFFIXES:
            path = os.path.join(root, base + suffix)
            if os.path.isfile(path):
                return path
    if required:
        names = ", ".join(d + s for d in defaults for s in SUFFIXES[:3])
        raise DataError(f"no {role} file found (tried {names}); name it with --{role}_file", data_dir)
    return None


def _inside(root: str, path: str) -> bool:
    """Refuse names like ``../secret`` or symlinks that lead out of the channel."""
    real = os.path.realpath(path)
    return os.path.commonpath([root, real]) == root
