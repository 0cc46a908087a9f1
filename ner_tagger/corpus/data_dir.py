"""Finding the train, dev and test files in a data directory (SageMaker's training channel).

The channel holds the training file and usually a dev file. Names are configurable (``train_file``,
``dev_file``, ``test_file``); left empty, the usual names of CoNLL-style corpora are tried in order.
"""
import glob
import os
from typing import List, Optional, Sequence

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
    root = _root(data_dir)
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


def find_files(data_dir: str, requested: str, defaults: Sequence[str], role: str) -> List[str]:
    """The ``role`` channel's files, in name order: a channel may hold its data as several files (shards).

    ``requested`` is a name or glob inside ``data_dir``; a folder it names contributes the files in it.
    With no request: the first default name found as a file (``train.txt``), as a folder of files
    (``train/``) or as prefixed files (``train-00000.conll``, ``train_1.txt``).
    """
    root = _root(data_dir)
    if requested:
        files = _files(root, sorted(glob.glob(os.path.join(root, requested))))
        if not files:
            raise DataError(f"{role}_file={requested!r} matches no file in the data directory", data_dir)
        return files
    single = find_file(data_dir, "", defaults, role, False)
    if single:
        return [single]
    for base in defaults:
        folder = os.path.join(root, base)
        found = _files(root, [folder] if os.path.isdir(folder) else
                       sorted(glob.glob(os.path.join(root, glob.escape(base) + "[-_]*"))))
        if found:
            return found
    names = ", ".join(d + s for d in defaults for s in SUFFIXES[:3])
    raise DataError(f"no {role} file found (tried {names}, a {defaults[0]}/ folder and {defaults[0]}-* files); "
                    f"name it with --{role}_file", data_dir)


def _files(root: str, matches: Sequence[str]) -> List[str]:
    """Files among ``matches`` and inside the folders among them (one level, hidden names skipped), all
    inside ``root``."""
    files = []
    for match in matches:
        if os.path.isdir(match):
            files += sorted(os.path.join(match, n) for n in os.listdir(match) if not n.startswith("."))
        else:
            files.append(match)
    return [f for f in files if os.path.isfile(f) and _inside(root, f)]


def _root(data_dir: str) -> str:
    """``data_dir`` resolved (links followed), which must be a folder."""
    root = os.path.realpath(data_dir)
    if not os.path.isdir(root):
        raise DataError("data directory does not exist or is not a directory", data_dir)
    return root
