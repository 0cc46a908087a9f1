"""Tag schemes: detection, conversion between IOB1, IOB2 and IOBES, and entity spans.

Internally the model predicts IOB2 or IOBES (``tag_encoding``). IOB1 (CoNLL-2003's original files) uses
``B-`` only to split two adjacent entities of the same type; IOB2 starts every entity with ``B-``; IOBES adds
``E-`` (end) and ``S-`` (single-token entity).
"""
from typing import Iterable, List, Sequence, Tuple

OUTSIDE = "O"
PREFIXES = {"iob1": "BI", "iob2": "BI", "iobes": "BIES"}


class TagError(ValueError):
    """A tag that does not fit the scheme; ``index`` is the token's position in its sentence."""

    def __init__(self, message, index):
        super().__init__(message)
        self.index = index


def split_tag(tag: str, index: int = 0) -> Tuple[str, str]:
    """``B-PER`` -> (``B``, ``PER``); ``O`` -> (``O``, ``""``). Accepts ``-`` or ``_`` after the prefix."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    if len(tag) > 2 and tag[1] in "-_" and tag[0] in "BIES":
        return tag[0], tag[2:]
    raise TagError(f"tag {tag!r} is not O nor PREFIX-TYPE with prefix B, I, E or S", index)


def detect_scheme(tags: Iterable[str]) -> str:
    """Guess a file's scheme: IOBES if it has E-/S-; IOB1 if entities start with I- and never with B-
    (IOB1 uses B- only between two same-type entities); else IOB2, whose strict reading then reports any
    stray I- by line."""
    previous = (OUTSIDE, "")
    saw_iobes = i_starts = b_starts = False
    for i, tag in enumerate(tags):
        prefix, kind = split_tag(tag, i)
        saw_iobes |= prefix in ("E", "S")
        starts = previous[0] == OUTSIDE or previous[1] != kind
        i_starts |= prefix == "I" and starts
        b_starts |= prefix == "B" and starts
        previous = (prefix, kind)
    if saw_iobes:
        return "iobes"
    return "iob1" if i_starts and not b_starts else "iob2"


def to_spans(tags: Sequence[str], scheme: str = "iob2", strict: bool = True) -> List[Tuple[str, int, int]]:
    """Entity spans ``(type, start, end)`` (end exclusive) from a tag sequence in ``scheme``.

    ``strict`` raises :class:`TagError` on sequences the scheme forbids (IOB2 ``I-`` without ``B-``, IOBES
    ``B-`` without ``E-``); non-strict mode repairs them the way decoders usually do: a stray ``I-`` starts
    an entity, an unclosed one ends where the next begins.
    """
    if scheme not in PREFIXES:
        raise ValueError(f"unknown tag scheme {scheme!r}; expected one of {', '.join(PREFIXES)}")
    spans, start, kind = [], None, None
    for i, tag in enumerate(tags):
        prefix, tag_type = split_tag(tag, i)
        if prefix != OUTSIDE and prefix not in PREFIXES[scheme]:
            raise TagError(f"tag {tag!r} has a prefix the {scheme.upper()} scheme does not use", i)
        continues = start is not None and tag_type == kind and prefix in ("I", "E")
        if scheme == "iob1" and prefix == "B" and not (start is not None and tag_type == kind):
            if strict:
                raise TagError(f"IOB1 tag {tag!r} does not follow an entity of its type", i)
        if prefix in ("I", "E") and not continues:
            if strict and scheme != "iob1":
                raise TagError(f"tag {tag!r} continues an entity that was not begun", i)
        if start is not None and not continues:
            if strict and scheme == "iobes":
                raise TagError(f"entity {kind!r} begun at token {start + 1} is not closed with E-/S-", i)
            spans.append((kind, start, i))
            start = None
        if prefix != OUTSIDE and start is None:
            start, kind = i, tag_type
        if start is not None and prefix in ("E", "S"):
            spans.append((kind, start, i + 1))
            start = None
    if start is not None:
        if strict and scheme == "iobes":
            raise TagError(f"entity {kind!r} begun at token {start + 1} is not closed with E-/S-", len(tags) - 1)
        spans.append((kind, start, len(tags)))
    return spans


def from_spans(spans: Iterable[Tuple[str, int, int]], length: int, scheme: str = "iob2") -> List[str]:
    """Tags in ``scheme`` (iob1, iob2 or iobes) for the given non-overlapping spans."""
    tags = [OUTSIDE] * length
    previous_end, previous_kind = None, None
    for kind, start, end in sorted(spans, key=lambda span: span[1]):
        for i in range(start, end):
            tags[i] = f"I-{kind}"
        if scheme == "iob1":
            # IOB1 (CoNLL-2003's original files) uses B- only where an entity touches one of its type.
            if previous_end == start and previous_kind == kind:
                tags[start] = f"B-{kind}"
        elif scheme == "iobes":
            if end - start == 1:
                tags[start] = f"S-{kind}"
            else:
                tags[start], tags[end - 1] = f"B-{kind}", f"E-{kind}"
        else:
            tags[start] = f"B-{kind}"
        previous_end, previous_kind = end, kind
    return tags


def convert(tags: Sequence[str], source: str, target: str, strict: bool = True) -> List[str]:
    """Convert a sentence's tags from scheme ``source`` to ``target`` (iob1, iob2 or iobes)."""
    if target not in ("iob1", "iob2", "iobes"):
        raise ValueError(f"unknown target tag scheme {target!r}; expected iob1, iob2 or iobes")
    return from_spans(to_spans(tags, source, strict=strict), len(tags), target)


def entity_types(tags: Iterable[str]) -> List[str]:
    """Sorted entity types named in ``tags``."""
    return sorted({split_tag(tag)[1] for tag in tags} - {""})
