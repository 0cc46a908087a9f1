"""Reading and writing CoNLL files: one token a line, token in the first column, tag in the last.

Columns are TAB-separated when the line has a TAB, else whitespace-separated (CoNLL-2003 style). A blank
(or whitespace-only) line ends a sentence; ``-DOCSTART-`` lines are document markers, not tokens. Files are
UTF-8 (a BOM is tolerated); ``\\r\\n`` line ends are accepted.
"""
import collections
import os
from typing import Iterable, Iterator, List, Sequence

from ner_tagger.corpus import tagging
from ner_tagger.errors import DataError

Sentence = collections.namedtuple("Sentence", ["tokens", "tags", "line"])
Sentence.__doc__ = "A sentence: parallel token and tag tuples, and the 1-based line of its first token."

DOCSTART = "-DOCSTART-"


def read_conll(path: str, scheme: str = "auto", encoding: str = "iob2") -> List[Sentence]:
    """All of ``path``'s sentences as a list (small files: dev, test, a prediction's input).

    See :func:`iter_conll`; training data goes through :mod:`ner_tagger.corpus.shards`, which never holds it whole.
    """
    return list(iter_conll(path, scheme, encoding))


def iter_conll(path: str, scheme: str = "auto", encoding: str = "iob2") -> Iterator[Sentence]:
    """``path``'s sentences one at a time, tags converted to ``encoding`` (iob2 or iobes).

    ``scheme`` is the file's tag scheme (iob1, iob2, iobes) or ``auto``, which reads the file's tags once
    more beforehand to detect it (a scheme needs the whole file: IOB1 and IOB2 differ only where an entity
    starts with ``I-``). Raises :class:`DataError` naming the file and line for anything that is not a
    CoNLL file in that scheme; the sentences before it have already been yielded.
    """
    if scheme == "auto":
        scheme = detect_file_scheme([path])
    for sentence in _parse(path):
        yield convert(sentence, path, scheme, encoding)


def convert(sentence: Sentence, path: str, scheme: str, encoding: str) -> Sentence:
    """``sentence`` (read from ``path`` in ``scheme``) with its tags in ``encoding``."""
    try:
        tags = tagging.convert(sentence.tags, scheme, encoding)
    except tagging.TagError as err:
        raise DataError(f"{err} (scheme {scheme})", path, sentence.line + err.index) from None
    return sentence._replace(tags=tuple(tags))


def detect_file_scheme(paths: Sequence[str]) -> str:
    """``tagging.detect_scheme`` over the tags of ``paths`` (one channel), streamed, its errors turned into
    ``path:line`` ones."""
    where = [None, None, 0]  # path, sentence, index of its first tag in the stream

    def tags():
        offset = 0
        for path in paths:
            for sentence in _parse(path):
                where[:] = [path, sentence, offset]
                yield from sentence.tags
                offset += len(sentence.tags)

    try:
        return tagging.detect_scheme(tags())
    except tagging.TagError as err:
        path, sentence, offset = where
        raise DataError(str(err), path, sentence.line + err.index - offset) from None


def _parse(path: str) -> Iterator[Sentence]:
    """Sentences with the file's own tags, read a line at a time; a file without any is an error."""
    try:
        # Text mode split on "\n" only (as tf.data's readers do), the BOM dropped: decoding in the reader's
        # chunks made the pass a third faster than decoding each line; a bad byte is then found by line.
        fh = open(path, encoding="utf-8-sig", newline="\n")
    except OSError as err:
        raise DataError(f"cannot read: {err.strerror}", path) from None
    with fh:
        try:
            yield from _sentences(fh, path)
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        except OSError as err:
            raise DataError(f"cannot read: {err.strerror}", path) from None


def _sentences(lines: Iterable[str], path: str) -> Iterator[Sentence]:
    tokens, tags, start, found = [], [], None, False
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if "\x00" in line:
            raise DataError("NUL byte in line", path, number)
        if not line or line.isspace() or (DOCSTART in line and line.split(None, 1)[0] == DOCSTART):
            if tokens:
                found = True
                yield Sentence(tuple(tokens), tuple(tags), start)
            tokens, tags, start = [], [], None
            continue
        columns = line.split("\t") if "\t" in line else line.split()
        token, tag = columns[0].strip(), columns[-1].strip()
        if len(columns) < 2 or not token or not tag:
            raise DataError(f"expected 'token<TAB>tag', got {line[:80]!r}", path, number)
        tokens.append(token)
        tags.append(tag)
        start = start or number
    if tokens:
        yield Sentence(tuple(tokens), tuple(tags), start)
    elif not found:
        raise DataError("no sentences (the file is empty or holds only blank and -DOCSTART- lines)", path)


def _not_utf8(path: str) -> DataError:
    """The error naming the first line that is not UTF-8 (read again as bytes: the slow path, once)."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                return DataError(f"not UTF-8 (byte {line[err.start]:#04x} at column {err.start + 1})", path,
                                 number)
    return DataError("not UTF-8", path)


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
