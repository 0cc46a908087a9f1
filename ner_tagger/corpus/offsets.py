"""Entities given as character offsets -> tokens and tags, split the way the serving ``text`` signature splits.

An entity must start where a token starts and end where a token ends (after whitespace at its edges is
trimmed: annotation tools often select a trailing space). One that does not (``#Paris`` labelled from
``P``; half of ``S.F.``) cannot be expressed as tags without moving its boundary, so it is never shifted:
with ``span_mismatch=drop`` it is left out and counted, and :class:`SpanCounts` logs the count with samples
once the file is read; with ``span_mismatch=error`` the first one stops the run naming its file and line.
Overlapping entities cannot be tagged at all and are always an error.
"""
import collections
import dataclasses
import logging
import re
from typing import Callable, Dict, List, Sequence

from ner_tagger.corpus import conll, tagging, text_rules
from ner_tagger.corpus.text_rules import align_tokens

log = logging.getLogger("ner_tagger")

Entity = collections.namedtuple("Entity", ["start", "end", "label", "field", "text"], defaults=(None,))
Entity.__doc__ = ("A labelled character span ``[start, end)``; ``field`` says where the record holds it; "
                  "``text``, when the record gives it, is what the span must cover.")

SAMPLES = 5
_WHITESPACE = re.compile("[\t\n\v\f\r ]+")


def tokenizer(name: str) -> Callable[[str], List[str]]:
    """``text_signature``: the serving graph's rules (:mod:`ner_tagger.corpus.text_rules`); ``whitespace``: split on
    whitespace only, for text that is already tokens joined by spaces."""
    if name == "whitespace":
        return lambda text: [t for t in _WHITESPACE.split(text) if t]
    if name == "text_signature":
        return text_rules.split
    raise ValueError(f"unknown tokenizer {name!r}")


@dataclasses.dataclass
class SpanCounts:
    """Entities read from one file, and those dropped for not falling on token boundaries (with samples)."""
    path: str
    entities: int = 0
    dropped: int = 0
    samples: List[str] = dataclasses.field(default_factory=list)

    def add_mismatch(self, description: str) -> None:
        self.dropped += 1
        if len(self.samples) < SAMPLES:
            self.samples.append(description)

    def log(self) -> None:
        if self.dropped:
            log.warning("data: %s: %d of %d entities are not on token boundaries and were dropped "
                        "(span_mismatch=error stops instead); e.g. %s", self.path, self.dropped, self.entities,
                        "; ".join(self.samples))
        elif self.entities:
            log.info("data: %s: all %d entities fall on token boundaries", self.path, self.entities)


def to_sentence(text: str, entities: Sequence[Entity], tokenize: Callable[[str], List[str]], encoding: str,
                on_mismatch: str, counts: SpanCounts, place) -> conll.Sentence:
    """The sentence ``text`` as tokens and tags in ``encoding`` (iob2 or iobes).

    ``place`` (a :class:`ner_tagger.corpus.json_records.Place`) numbers the sentence and words its errors.
    """
    tokens = tokenize(text)
    if not tokens:
        raise place.error("the text is empty (no tokens)")
    ordered = checked(text, entities, place)
    spans = align_tokens(text, tokens)
    starts = {start: i for i, (start, _) in enumerate(spans)}
    ends = {end: i + 1 for i, (_, end) in enumerate(spans)}
    token_spans = []
    for entity in ordered:
        counts.entities += 1
        start, end = _trimmed(text, entity.start, entity.end)
        if start in starts and end in ends:
            token_spans.append((entity.label, starts[start], ends[end]))
        else:
            _mismatch(text, tokens, entity, on_mismatch, counts, place)
    tags = tagging.from_spans(token_spans, len(tokens), encoding)
    return conll.Sentence(tuple(tokens), tuple(tags), place.number)


def _mismatch(text: str, tokens: List[str], entity: Entity, on_mismatch: str, counts: SpanCounts, place) -> None:
    covered = text[entity.start:entity.end]
    if on_mismatch == "error":
        raise place.error(f"field {entity.field!r}: entity {entity.label} [{entity.start}, {entity.end}) "
                          f"{covered!r} does not start and end on token boundaries (tokens: "
                          f"{' | '.join(tokens)}); span_mismatch=drop drops such entities")
    counts.add_mismatch(f"{place.where()} {entity.field} {entity.label} [{entity.start}, {entity.end}) "
                        f"{covered!r} in {_around(text, entity.start, entity.end)!r}")


def checked(text: str, entities: Sequence[Entity], place) -> List[Entity]:
    """Entities with offsets inside the text and a usable label, sorted; overlapping ones refused."""
    for entity in entities:
        if not (0 <= entity.start < entity.end <= len(text)):
            raise place.error(f"field {entity.field!r}: offsets [{entity.start}, {entity.end}) are not a "
                              f"non-empty span of the text (length {len(text)})")
        if entity.text is not None and text[entity.start:entity.end] != entity.text:
            # Tools written in JavaScript may count UTF-16 units: after an emoji every offset is off by one.
            raise place.error(f"field {entity.field!r}: offsets [{entity.start}, {entity.end}) cover "
                              f"{text[entity.start:entity.end]!r} but the entity's text is {entity.text!r} "
                              f"(offsets must count characters, not UTF-16 units or bytes)")
        if not entity.label or _WHITESPACE.search(entity.label) or entity.label == tagging.OUTSIDE:
            raise place.error(f"field {entity.field!r}: label {entity.label!r} must be a non-empty name "
                              f"without spaces (and not 'O')")
    ordered = sorted(entities, key=lambda e: (e.start, e.end))
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end:
            raise place.error(f"entities overlap: {before.field} {before.label} [{before.start}, "
                              f"{before.end}) and {after.field} {after.label} [{after.start}, {after.end}); "
                              f"tags hold one entity per token")
    return ordered


def _trimmed(text: str, start: int, end: int):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _around(text: str, start: int, end: int, width: int = 20) -> str:
    return text[max(0, start - width):end + width]


def entity_offsets(tokens: Sequence[str], tags: Sequence[str], scheme: str = "iob2") -> Dict[str, object]:
    """``tokens`` joined by single spaces, and their entities as ``[start, end, label]`` character offsets
    into that text (the inverse of :func:`to_sentence` with the ``whitespace`` tokenizer)."""
    text = " ".join(tokens)
    positions, offset = [], 0
    for token in tokens:
        positions.append((offset, offset + len(token)))
        offset += len(token) + 1
    entities = [[positions[start][0], positions[end - 1][1], kind]
                for kind, start, end in tagging.to_spans(list(tags), scheme, strict=False)]
    return {"text": text, "entities": entities}
