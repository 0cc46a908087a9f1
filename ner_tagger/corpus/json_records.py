"""Records with character offsets: a SageMaker Ground Truth augmented manifest, or JSONL with text and spans.

Both are JSON lines (UTF-8, one object a line, blank lines skipped); a file holding one JSON array of such
objects (Label Studio's JSON-MIN export) is read too, its records numbered from 1 instead of lines.

**Ground Truth named-entity manifest** (the output of a labeling job of the ``groundtruth/text-span``
type)::

    {"source": "Taylor Swift played Paris",
     "my-ner-job": {"annotations": {"entities": [{"startOffset": 0, "endOffset": 12, "label": "PER"}, ...],
                                    "labels": [{"label": "PER"}, {"label": "LOC"}]}},
     "my-ner-job-metadata": {"type": "groundtruth/text-span", "entities": [{"confidence": 0.9}], ...}}

The label attribute is the job's name: the ``label_attribute`` hyperparameter, or, when empty, the one key
besides ``source``, ``source-ref`` and ``*-metadata`` (more than one is an error naming them).

**JSONL with spans**: ``text`` and one list of entities under ``entities`` (spaCy), ``spans`` (Prodigy) or
``label`` (Label Studio JSON-MIN); an empty list is a sentence without entities. An entity is
``[start, end, label]`` or an object with ``start``/``end`` (or ``startOffset``/``endOffset``) and
``label`` (a string), ``labels`` (a list of one string, Label Studio) or ``type`` (``predict``'s output).
A record with ``tokens`` and ``tags`` (IOB2, as ``python -m ner_tagger.predict`` writes) is taken as is.

Offsets count characters (Python ``str`` indices, i.e. Unicode code points), end exclusive. An entity object
that also gives its ``text`` (Label Studio, ``predict``) must cover exactly that text: tools that count UTF-16
units (JavaScript) would otherwise shift every entity after an emoji without anyone noticing.
"""
import json
from typing import Iterator, List, Optional, Tuple

from ner_tagger.corpus.offsets import Entity
from ner_tagger.errors import DataError

SPAN_KEYS = ("entities", "spans", "label")
MANIFEST_SKIP = ("source", "source-ref")


class Place:
    """Where a record is, for errors: ``path:line:`` for JSON lines, ``path: record N:`` in a JSON array."""

    def __init__(self, path: str, number: int, array: bool = False):
        self.path, self.number, self.array = path, number, array

    @property
    def line(self) -> Optional[int]:
        return None if self.array else self.number

    def where(self) -> str:
        return f"record {self.number}" if self.array else f"line {self.number}"

    def error(self, message: str) -> DataError:
        if self.array:
            return DataError(f"record {self.number}: {message}", self.path)
        return DataError(message, self.path, self.number)


def iter_records(path: str) -> Iterator[Tuple[Place, dict]]:
    """``(place, object)`` for each record of a JSON-lines file or JSON-array file."""
    try:
        fh = open(path, "rb")
    except OSError as err:
        raise DataError(f"cannot read: {err.strerror}", path) from None
    with fh:
        first = True
        for number, raw in enumerate(fh, 1):
            if first and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as err:
                raise DataError(f"not UTF-8 (byte {raw[err.start]:#04x} at column {err.start + 1})", path,
                                number) from None
            if not line:
                continue
            if first and line.startswith("["):
                try:
                    rest = fh.read().decode("utf-8")
                except UnicodeDecodeError as err:
                    raise DataError(f"not UTF-8 (byte {err.object[err.start]:#04x})", path) from None
                yield from _array_records(path, line + rest)
                return
            first = False
            yield Place(path, number), _object(line, Place(path, number))


def _array_records(path: str, content: str) -> Iterator[Tuple[Place, dict]]:
    try:
        records = json.loads(content)
    except json.JSONDecodeError as err:
        raise DataError(f"not valid JSON: {err.msg}", path, err.lineno) from None
    for number, record in enumerate(records, 1):
        place = Place(path, number, array=True)
        if not isinstance(record, dict):
            raise place.error("expected a JSON object")
        yield place, record


def _object(line: str, place: Place) -> dict:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        raise place.error(f"not valid JSON: {err.msg} (column {err.colno})") from None
    if not isinstance(value, dict):
        raise place.error("expected a JSON object a line")
    return value


def label_attribute(record: dict, place: Place) -> str:
    """The one label attribute of a Ground Truth record (the key that is not source nor metadata)."""
    names = [k for k in record if k not in MANIFEST_SKIP and not k.endswith("-metadata")]
    if len(names) != 1:
        found = ", ".join(map(repr, names)) or "none"
        raise place.error(f"cannot tell the label attribute (found {found}); set the label_attribute "
                          f"hyperparameter to the labeling job's attribute name")
    return names[0]


def manifest_record(record: dict, attribute: str, place: Place) -> Tuple[str, List[Entity]]:
    """Text and entities of one Ground Truth named-entity record."""
    text = _text(record, "source", place)
    if attribute not in record:
        raise place.error(f"no label attribute {attribute!r} (keys: {', '.join(sorted(record))})")
    annotations = record[attribute].get("annotations") if isinstance(record[attribute], dict) else None
    if not isinstance(annotations, dict):
        raise place.error(f"field '{attribute}.annotations' is missing or not an object")
    entities = annotations.get("entities")
    if not isinstance(entities, list):
        raise place.error(f"field '{attribute}.annotations.entities' is missing or not a list")
    return text, [_entity(item, f"{attribute}.annotations.entities[{i}]", place)
                  for i, item in enumerate(entities)]


def offsets_record(record: dict, manifest: bool, attribute: str, place: Place) -> Tuple[str, List[Entity], str]:
    """(text, entities, attribute) of a manifest line (``manifest``) or a JSONL spans record. A manifest's
    label attribute, when not given, is found on its first record and kept for the rest (returned)."""
    if manifest:
        attribute = attribute or label_attribute(record, place)
        text, entities = manifest_record(record, attribute, place)
        return text, entities, attribute
    text, entities = span_record(record, place)
    return text, entities, attribute


def span_record(record: dict, place: Place) -> Tuple[str, List[Entity]]:
    """Text and entities of one JSONL record (spaCy, Prodigy, Label Studio JSON-MIN, ``predict`` output)."""
    text = _text(record, "text", place)
    key = next((k for k in SPAN_KEYS if k in record), None)
    if key is None:
        raise place.error(f"no entity list: expected a field {' or '.join(map(repr, SPAN_KEYS))} "
                          f"(an empty list for a sentence without entities)")
    if not isinstance(record[key], list):
        raise place.error(f"field {key!r} must be a list of entities")
    return text, [_entity(item, f"{key}[{i}]", place) for i, item in enumerate(record[key])]


def token_record(record: dict, place: Place) -> Optional[Tuple[List[str], List[str]]]:
    """``(tokens, tags)`` of a record that carries them (``predict``'s output), else None."""
    if "tokens" not in record or "tags" not in record:
        return None
    tokens, tags = record["tokens"], record["tags"]
    for name, values in (("tokens", tokens), ("tags", tags)):
        if not isinstance(values, list) or not all(isinstance(v, str) and v and not v.isspace()
                                                   for v in values):
            raise place.error(f"field {name!r} must be a list of non-blank strings")
    if len(tokens) != len(tags):
        raise place.error(f"fields 'tokens' and 'tags' differ in length ({len(tokens)} and {len(tags)})")
    return tokens, tags


def _text(record: dict, key: str, place: Place) -> str:
    if key not in record:
        raise place.error(f"no field {key!r} (keys: {', '.join(sorted(record)) or 'none'})")
    if not isinstance(record[key], str):
        raise place.error(f"field {key!r} must be a string")
    return record[key]


def _entity(item, field: str, place: Place) -> Entity:
    if isinstance(item, list):
        if len(item) != 3:
            raise place.error(f"field {field!r}: expected [start, end, label], got {len(item)} values")
        (start, end, label), covered = item, None
    elif isinstance(item, dict):
        start = _first(item, ("start", "startOffset"), field, place)
        end = _first(item, ("end", "endOffset"), field, place)
        label = _label(item, field, place)
        covered = item.get("text")
        if covered is not None and not isinstance(covered, str):
            raise place.error(f"field '{field}.text' must be a string")
    else:
        raise place.error(f"field {field!r}: expected [start, end, label] or an object")
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise place.error(f"field {field!r}: {name} {value!r} is not an integer character offset")
    if not isinstance(label, str):
        raise place.error(f"field {field!r}: label {label!r} is not a string")
    return Entity(start, end, label, field, covered)


def _first(item: dict, keys, field: str, place: Place):
    for key in keys:
        if key in item:
            return item[key]
    raise place.error(f"field {field!r}: no {' or '.join(map(repr, keys))}")


def _label(item: dict, field: str, place: Place):
    if "label" in item:
        return item["label"]
    if "labels" in item:
        labels = item["labels"]
        if not isinstance(labels, list) or len(labels) != 1:
            raise place.error(f"field '{field}.labels': expected a list of exactly one label, got {labels!r}")
        return labels[0]
    if "type" in item:
        return item["type"]
    raise place.error(f"field {field!r}: no 'label', 'labels' or 'type'")
