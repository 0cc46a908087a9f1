"""Reading and writing CoNLL files: one token a line, token in the first column, tag in the last.

Columns are TAB-separated when the line has a TAB, else whitespace-separated (CoNLL-2003 style). A blank
(or whitespace-only) line ends a sentence; ``-DOCSTART-`` lines are document markers, not tokens. Files are
UTF-8 (a BOM is tolerated); ``\\r\\n`` line ends are accepted.
"""
import collections
import os
from typing import Iterable, List, Sequence

from ner_tagger import tagging
from ner_tagger.errors import DataError

Sentence = collections.namedtuple("Sentence", ["tokens", "tags", "line"])
Sentence.__doc__ = "A sentence: parallel token and tag tuples, and the 1-based line of its first token."

DOCSTART = "-DOCSTART-"


def read_conll(path: str, scheme: str = "auto", encoding: str = "iob2") -> List[Sentence]:
    """Read ``path`` and return its sentences with tags converted to ``encoding`` (iob2 or iobes).

    ``scheme`` is the file's tag scheme (iob1, iob2, iobes) or ``auto`` to detect it. Raises
    :class:`DataError` naming the file and line for anything that is not a CoNLL file in that scheme.
    """
    sentences = list(_parse(path))
    if not sentences:
        raise DataError("no sentences (the file is empty or holds only blank and -DOCSTART- lines)", path)
    if scheme == "auto":
        scheme = _detect_scheme(path, sentences)
    converted = []
    for sentence in sentences:
        try:
            tags = tagging.convert(sentence.tags, scheme, encoding)
        except tagging.TagError as err:
            raise DataError(f"{err} (scheme {scheme})", path, sentence.line + err.index) from None
        converted.append(sentence._replace(tags=tuple(tags)))
    return converted


def _detect_scheme(path: str, sentences: List[Sentence]) -> str:
    """``tagging.detect_scheme`` over the whole file, its errors turned into ``path:line`` ones."""
    try:
        return tagging.detect_scheme(tag for s in sentences for tag in s.tags)
    except tagging.TagError as err:
        index = err.index  # position in the file's stream of tags
        for sentence in sentences:
            if index < len(sentence.tags):
                raise DataError(str(err), path, sentence.line + index) from None
            index -= len(sentence.tags)
        raise


def _parse(path: str) -> Iterable[Sentence]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise DataError(f"cannot read: {err.strerror}", path) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    tokens, tags, start = [], [], None
    for number, line_bytes in enumerate(raw.split(b"\n"), 1):
        line = _decode(line_bytes, path, number).rstrip("\r")
        if "\x00" in line:
            raise DataError("NUL byte in line", path, number)
        if not line.strip() or line.split(None, 1)[0] == DOCSTART:
            if tokens:
                yield Sentence(tuple(tokens), tuple(tags), start)
            tokens, tags, start = [], [], None
            continue
        columns = line.split("\t") if "\t" in line else line.split()
        columns = [c.strip() for c in columns]
        if len(columns) < 2 or not columns[0] or not columns[-1]:
            raise DataError(f"expected 'token<TAB>tag', got {line[:80]!r}", path, number)
        tokens.append(columns[0])
        tags.append(columns[-1])
        start = start or number
    if tokens:
        yield Sentence(tuple(tokens), tuple(tags), start)


def _decode(line_bytes: bytes, path: str, number: int) -> str:
    try:
        return line_bytes.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 (byte {line_bytes[err.start]:#04x} at column {err.start + 1})",
                        path, number) from None


def write_conll(path: str, sentences: Iterable[Sequence], append_tags: Iterable[Sequence[str]] = None) -> None:
    """Write sentences as ``token<TAB>tag`` lines; with ``append_tags`` a third column holds predictions.

    Written to a temporary file and renamed, so a reader never sees half a file.
    """
    tmp = f"{path}.tmp-{os.getpid()}"
    extra = iter(append_tags) if append_tags is not None else None
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for sentence in sentences:
            predicted = next(extra) if extra is not None else None
            for i, (token, tag) in enumerate(zip(sentence.tokens, sentence.tags)):
                columns = [token, tag] + ([predicted[i]] if predicted is not None else [])
                fh.write("\t".join(columns) + "\n")
            fh.write("\n")
    os.replace(tmp, path)
