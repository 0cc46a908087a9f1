"""Vocabularies of words, characters and tags, built from the training file only and saved with the model.

Files are UTF-8, one entry a line (``words.txt``, ``chars.txt``, ``tags.txt``); the line number is the id.
Every table has one extra out-of-vocabulary id after the last line. Words are stored normalised (see
``text.normalize_words``); characters are not.
"""
import collections
import dataclasses
import os
from typing import Iterable, List, Mapping, Optional, Set

from ner_tagger.corpus import tagging
from ner_tagger.errors import DataError

WORDS, CHARS, TAGS = "words.txt", "chars.txt", "tags.txt"


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    words: List[str]
    chars: List[str]
    tags: List[str]

    @property
    def entity_types(self) -> List[str]:
        return tagging.entity_types(self.tags)

    def paths(self, directory: str) -> dict:
        return {name: os.path.join(directory, f) for name, f in (("words", WORDS), ("chars", CHARS),
                                                                 ("tags", TAGS))}

    def save(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        for name, path in self.paths(directory).items():
            tmp = f"{path}.tmp-{os.getpid()}"
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                fh.writelines(entry + "\n" for entry in getattr(self, name))
            os.replace(tmp, path)

    @classmethod
    def load(cls, directory: str) -> "Vocabulary":
        entries = {}
        for name, path in cls([], [], []).paths(directory).items():
            try:
                with open(path, encoding="utf-8", newline="\n") as fh:
                    # split on "\n" only: str.splitlines would also split on U+2028 and friends.
                    entries[name] = fh.read().split("\n")[:-1]
            except OSError as err:
                raise DataError(f"cannot read vocabulary: {err.strerror}", path) from None
        return cls(**entries)


def build(sentences, normalize, min_count: int = 1, keep: Optional[Set[str]] = None,
          extra: Iterable[str] = ()) -> Vocabulary:
    """Build vocabularies from training ``sentences`` (see :func:`from_counts`)."""
    sentences = list(sentences)
    return from_counts(collections.Counter(token for s in sentences for token in s.tokens),
                       collections.Counter(tag for s in sentences for tag in s.tags), normalize, min_count, keep,
                       extra)


def from_counts(raw_counts: Mapping[str, int], tag_counts: Mapping[str, int], normalize, min_count: int = 1,
                keep: Optional[Set[str]] = None, extra: Iterable[str] = ()) -> Vocabulary:
    """Vocabularies from the training data's raw token and tag counts (one streaming pass counts them).

    ``normalize`` maps a list of raw tokens to their lookup forms (the same op the graph applies). Words
    seen fewer than ``min_count`` times are left out unless they are in ``keep`` (words of a pretrained
    embeddings file), so rare words with a pretrained vector still get it. ``extra`` (normalised forms)
    join the words whether or not train has them: pretrained words, known at test time.
    """
    raw = sorted(raw_counts)
    counts = collections.Counter()
    for token, form in zip(raw, normalize(raw)):
        counts[form] += raw_counts[token]
    keep = keep or set()
    words = {w for w, c in counts.items() if c >= min_count or w in keep} | set(extra)
    words = sorted(w for w in words if _storable(w))
    chars = sorted({ch for token in raw for ch in token if _storable(ch)})
    return Vocabulary(words=words, chars=chars, tags=_tag_order(tag_counts))


def _storable(entry: str) -> bool:
    # TensorFlow's text-file tables split lines on "\n" and strip a trailing "\r".
    return entry != "" and "\n" not in entry and "\r" not in entry


def _tag_order(tags: Iterable[str]) -> List[str]:
    """O first (id 0), then the rest sorted by type and prefix, so ids are stable across runs."""
    unique = set(tags) | {tagging.OUTSIDE}
    rest = sorted(unique - {tagging.OUTSIDE}, key=lambda t: (tagging.split_tag(t)[1], t))
    return [tagging.OUTSIDE] + rest
