"""One entry point for reading a data file into sentences, whatever its format.

``conll`` (token and tag columns), ``manifest`` (a Ground Truth augmented manifest) or ``jsonl`` (text and
character-offset spans; see :mod:`ner_tagger.corpus.json_records`). The format is told by content, not by name: a
first non-blank line that is a JSON object (or array) makes a JSON file, ``source`` in its first record a
manifest. Sentences come one at a time, tags converted to ``hp.tag_encoding``.
"""
import json
from typing import Iterator, List

from ner_tagger.corpus import conll, json_records, offsets, tagging
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams

FORMATS = ("conll", "jsonl", "manifest")


def detect(path: str) -> str:
    """``conll``, ``jsonl`` or ``manifest``, from the first non-blank line of ``path``."""
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                line = raw.lstrip(b"\xef\xbb\xbf").strip()
                if line:
                    return _format_of(line)
    except OSError as err:
        raise DataError(f"cannot read: {err.strerror}", path) from None
    return "conll"  # an empty file: conll.read_conll says so


def _format_of(line: bytes) -> str:
    if line.startswith(b"["):
        return "manifest" if b'"source"' in line.split(b"}", 1)[0] else "jsonl"
    if not line.startswith(b"{"):
        return "conll"
    try:
        record = json.loads(line)
    except ValueError:
        return "conll"  # a CoNLL token "{": conll's reader judges the line
    return "manifest" if isinstance(record, dict) and "source" in record else "jsonl"


def iter_sentences(path: str, hp: HParams, file_format: str = "auto") -> Iterator[conll.Sentence]:
    """The sentences of ``path``; ``file_format`` is one of :data:`FORMATS` or ``auto``."""
    if file_format not in ("auto",) + FORMATS:
        raise ValueError(f"unknown file format {file_format!r}; expected auto or one of {', '.join(FORMATS)}")
    file_format = detect(path) if file_format == "auto" else file_format
    if file_format == "conll":
        yield from conll.iter_conll(path, hp.tag_scheme, hp.tag_encoding)
        return
    counts = offsets.SpanCounts(path)
    tokenize = offsets.tokenizer(hp.offsets_tokenizer)
    attribute = hp.label_attribute
    for place, record in json_records.iter_records(path):
        given = json_records.token_record(record, place)
        if given is not None and file_format == "jsonl":
            yield _tagged(given, hp, place)
            continue
        text, entities, attribute = json_records.offsets_record(record, file_format == "manifest", attribute,
                                                                place)
        yield offsets.to_sentence(text, entities, tokenize, hp.tag_encoding, hp.span_mismatch, counts, place)
    counts.log()


def read_sentences(path: str, hp: HParams, file_format: str = "auto") -> List[conll.Sentence]:
    """:func:`iter_sentences` as a list; a file without sentences is an error."""
    sentences = list(iter_sentences(path, hp, file_format))
    if not sentences:
        raise DataError("no sentences (the file is empty)", path)
    return sentences


def _tagged(given, hp: HParams, place: json_records.Place) -> conll.Sentence:
    tokens, tags = given
    try:
        converted = tagging.convert(tags, "iob2", hp.tag_encoding)
    except tagging.TagError as err:
        raise place.error(f"field 'tags[{err.index}]': {err} (expected IOB2)") from None
    return conll.Sentence(tuple(tokens), tuple(converted), place.number)
