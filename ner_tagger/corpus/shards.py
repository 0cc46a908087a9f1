"""A channel's sentences written once per job as shard files that ``tf.data`` reads, with what the job needs
to know about them counted on the way: one streaming pass, so neither Python nor the graph holds the corpus.

A shard holds one sentence a line: its tokens then its tags, all TAB-separated (a CoNLL token or tag never
holds a TAB or a newline: those split columns and lines). ``tf.data.TextLineDataset`` reads it; lines were
chosen over TFRecord ``tf.train.Example``s because writing them is a string join per sentence instead of a
protobuf per sentence, in the pass that comes before the first training step.

The pass is skipped when the folder for the same sources (path, size, modification time) and settings is
already there: a resumed job on the same machine reuses it. Written to a staging folder and renamed, so a
reader never sees half a corpus. No TensorFlow here.
"""
import collections
import dataclasses
import hashlib
import json
import os
import random
import shutil
import tempfile
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence

from ner_tagger.corpus.conll import Sentence
from ner_tagger.errors import DataError

FORMAT = 1  # bump when the shard layout changes: older folders are then rewritten, not misread
SUFFIX = ".sentences"
MANIFEST = "manifest.json"


@dataclasses.dataclass
class Corpus:
    """Shard files and their counts: sentences, sentence lengths, raw tokens and tags (for vocabularies)."""
    files: List[str]
    sentences: int
    lengths: Dict[int, int]
    words: Dict[str, int]
    tags: Dict[str, int]

    def __len__(self) -> int:
        return self.sentences

    def __iter__(self) -> Iterator[Sentence]:
        """The sentences again, read from the shards one at a time (``line`` is the shard's line)."""
        for path in self.files:
            with open(path, encoding="utf-8", newline="\n") as fh:
                for number, line in enumerate(fh, 1):
                    yield decode(line, number)


def from_shard(path: str) -> Corpus:
    """The corpus of one shard file: its counts from the manifest beside it, else from reading it once."""
    folder, name = os.path.split(os.path.abspath(path))
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as fh:
            parts = json.load(fh)["parts"].values()
        part = next(p for p in parts if p["files"] == [name])
        return Corpus([path], part["sentences"], {int(n): c for n, c in part["lengths"].items()},
                      part["words"], part["tags"])
    except (OSError, ValueError, KeyError, StopIteration):
        pass
    counts = _Counts(os.devnull)
    for sentence in Corpus([path], 0, {}, {}, {}):
        counts.add(sentence)
    summary = counts.summary()
    if not summary["sentences"]:
        raise DataError("shard file holds no sentences", path)
    return Corpus([path], summary["sentences"], summary["lengths"], summary["words"], summary["tags"])


def encode(sentence: Sentence) -> str:
    return "\t".join(sentence.tokens + sentence.tags) + "\n"


def decode(line: str, number: int = 0) -> Sentence:
    parts = line.rstrip("\n").split("\t")
    half = len(parts) // 2
    return Sentence(tuple(parts[:half]), tuple(parts[half:]), number)


def stream(sources: Sequence[str], read: Callable[[str], Iterable[Sentence]], settings: dict, work_dir: str,
           hold_out: float = 0.0, seed: int = 0) -> Dict[str, Corpus]:
    """The corpus of ``sources`` (files of one channel, read by ``read``) as ``{"train": ...}``, plus
    ``"dev"`` when ``hold_out`` > 0: that fraction of the sentences, drawn with ``seed``.

    ``settings`` (what changes the shards' content, e.g. the tag scheme) joins the sources' identity in the
    folder's name, so a changed file or setting gets a new folder.
    """
    key = {"format": FORMAT, "sources": [_identity(p) for p in sources], "settings": settings,
           "hold_out": hold_out, "seed": seed}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    folder = os.path.join(work_dir, digest)
    found = _load(folder, key)
    if found is not None:
        return found
    os.makedirs(work_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{digest}-", dir=work_dir)
    try:
        parts = _write(staging, sources, read, hold_out, seed)
        _save_manifest(staging, key, parts)
        try:
            os.rename(staging, folder)
        except OSError:
            # Another task on this machine got there first (the same sources, so the same content), or a
            # stale folder without a matching manifest is in the way.
            found = _load(folder, key)
            if found is not None:
                return found
            shutil.rmtree(folder, ignore_errors=True)
            os.rename(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _load(folder, key)


def _identity(path: str) -> list:
    stat = os.stat(path)
    return [os.path.abspath(path), stat.st_size, stat.st_mtime_ns]


class _Counts:
    """One shard being written and its counts."""

    def __init__(self, path: str):
        self.path, self.fh = path, open(path, "w", encoding="utf-8", newline="\n")
        self.sentences, self.lengths = 0, collections.Counter()
        self.words, self.tags = collections.Counter(), collections.Counter()

    def add(self, sentence: Sentence) -> None:
        self.fh.write(encode(sentence))
        self.sentences += 1
        self.lengths[len(sentence.tokens)] += 1
        self.words.update(sentence.tokens)
        self.tags.update(sentence.tags)

    def summary(self) -> dict:
        self.fh.close()
        return {"files": [os.path.basename(self.path)], "sentences": self.sentences,
                "lengths": dict(self.lengths), "words": dict(self.words), "tags": dict(self.tags)}


def _write(folder, sources, read, hold_out, seed) -> dict:
    train = _Counts(os.path.join(folder, "train" + SUFFIX))
    dev = _Counts(os.path.join(folder, "dev" + SUFFIX)) if hold_out > 0 else None
    draw = random.Random(seed).random
    # The last training sentence is written one step late: if the draw left dev empty, it becomes dev's
    # one sentence instead (a tiny file must still have something to evaluate on).
    pending = None
    for path in sources:
        for sentence in read(path):
            if dev is not None and draw() < hold_out:
                dev.add(sentence)
                continue
            if pending is not None:
                train.add(pending)
            pending = sentence
    if dev is not None and not dev.sentences and pending is not None:
        dev.add(pending)
        pending = None
    if pending is not None:
        train.add(pending)
    if not train.sentences:
        train.fh.close()
        raise DataError("no dev file and only one training sentence: nothing left to train on after holding "
                        "out dev", sources[0])
    return {"train": train.summary(), **({"dev": dev.summary()} if dev else {})}


def _save_manifest(folder: str, key: dict, parts: dict) -> None:
    with open(os.path.join(folder, MANIFEST), "w", encoding="utf-8") as fh:
        json.dump({"key": key, "parts": parts}, fh)


def _load(folder: str, key: dict) -> Optional[Dict[str, Corpus]]:
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        return None
    if manifest.get("key") != key:
        return None
    corpora = {}
    for name, part in manifest["parts"].items():
        files = [os.path.join(folder, f) for f in part["files"]]
        if not all(os.path.isfile(f) for f in files):
            return None
        lengths = {int(n): c for n, c in part["lengths"].items()}
        corpora[name] = Corpus(files, part["sentences"], lengths, part["words"], part["tags"])
    return corpora
