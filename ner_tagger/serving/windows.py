"""A record over the per-sentence limits, tagged in overlapping windows and stitched back into one answer.

A Batch Transform record has no size of its own choosing: a paragraph, a whole document on one line. The
per-sentence limits (:class:`ner_tagger.serving.payload.Limits`) bound one model call, not a record, so
a long record is cut into windows that each pass those limits, the windows are tagged like any sentence,
and their answers are joined into the record's answer: ``tokens``, ``tags``, ``scores`` and ``entities``
with character offsets into the record as sent, plus ``windows`` (how many) and ``score``, the lowest of
the windows' sequence scores (the least certain part).

Windows overlap by up to :data:`OVERLAP` whitespace tokens, and each is cut only at whitespace:

- The BiLSTM reads context both ways, so a token at a window's edge is tagged with half its context.
  In the overlap both windows have seen every token with context on each side; the answer takes each
  token from one window and switches windows at a token both tag ``O``, nearest the overlap's middle. An
  entity therefore never straddles the switch: the tokens before it come from one window's reading,
  after it from the other's, and each entity is whole in one of them. Only where the two windows agree on
  no ``O`` in the whole overlap (an entity longer than the overlap) does it switch at the middle.
- Sentence boundaries would be a weaker guide: tweets and OCR'd text often have none for hundreds of
  tokens, and an overlap works without them.
- The model's text splitter (:mod:`ner_tagger.corpus.text_rules`) only splits inside a whitespace-delimited
  unit, and its rules look no further than the whitespace or text edge around it, so a unit is split the
  same in a window as in the whole record: the windows' tokens line up in the overlap.

One whitespace-free run longer than ``max_sentence_chars`` (or holding more than ``max_sentence_tokens``
tokens by ``str.split``, through Unicode spaces the model does not split at) cannot be windowed without
cutting a token: :func:`split` refuses it with a :class:`RequestError` naming the limit.

Standard library only: shipped beside the TF Serving handler.
"""
import dataclasses
import re
from typing import Dict, List, Sequence, Tuple

from ner_tagger.corpus.text_rules import align_tokens
from ner_tagger.serving.answers import Sentence, sentence_answer
from ner_tagger.serving.payload import Limits, RequestError, token_count

# Whitespace tokens two neighbouring windows share: 16 tokens of context either side of the switch, far
# more than an entity spans, for ~7% more model work on a 512-token window (long records only).
OVERLAP = 32
# Where a window may end: the ASCII whitespace the text signature's rules treat as a unit boundary (RE2's
# \s). tf.strings.split also splits at \v, which the rules do not see as a boundary: never cut there.
_UNIT = re.compile(r"[^\t\n\f\r ]+")


@dataclasses.dataclass(frozen=True)
class Window:
    sentence: Sentence  # what the model is asked to tag
    start: int          # its first character in the record's text (a token list's: tokens joined by spaces)
    end: int            # one past its last character


def fits(sentence: Sentence, limits: Limits) -> bool:
    chars = len(sentence) if isinstance(sentence, str) else 0
    return chars <= limits.max_sentence_chars and token_count(sentence) <= limits.max_sentence_tokens


def split(sentence: Sentence, limits: Limits, where: str) -> List[Window]:
    """``sentence`` as windows within ``limits`` (one, itself, when it fits); ``where`` names it in errors."""
    if fits(sentence, limits):
        return [Window(sentence, 0, len(sentence) if isinstance(sentence, str) else len(" ".join(sentence)))]
    if isinstance(sentence, list):
        starts = _token_starts(sentence)
        units = [(start, start + len(token), 1) for start, token in zip(starts, sentence)]
        spans = _spans(units, limits.max_sentence_tokens, float("inf"))
        return [Window(sentence[i:j], units[i][0], units[j - 1][1]) for i, j in spans]
    units = [(m.start(), m.end(), len(m.group().split())) for m in _UNIT.finditer(sentence)]
    for start, end, count in units:
        if end - start > limits.max_sentence_chars:
            raise RequestError(400, f"{where}: a run of {end - start} characters without a space at character "
                                    f"{start}; the limit is {limits.max_sentence_chars} "
                                    "(NER_TAGGER_MAX_SENTENCE_CHARS)")
        if count > limits.max_sentence_tokens:
            raise RequestError(400, f"{where}: {count} tokens between two spaces at character {start}; the "
                                    f"limit is {limits.max_sentence_tokens} (NER_TAGGER_MAX_SENTENCE_TOKENS)")
    spans = _spans(units, limits.max_sentence_tokens, limits.max_sentence_chars)
    return [Window(sentence[units[i][0]:units[j - 1][1]], units[i][0], units[j - 1][1]) for i, j in spans]


def _token_starts(tokens: Sequence[str]) -> List[int]:
    starts, position = [], 0
    for token in tokens:
        starts.append(position)
        position += len(token) + 1
    return starts


def _spans(units: List[Tuple[int, int, int]], max_tokens: int, max_chars: float) -> List[Tuple[int, int]]:
    """Unit ranges ``[i, j)``, each as long as the limits allow, the next starting up to :data:`OVERLAP`
    units (at most half the window) before the previous one ends, never before the one before it ends."""
    counts = [0]
    for _, _, count in units:
        counts.append(counts[-1] + count)

    def fit(i, j):
        return counts[j] - counts[i] <= max_tokens and units[j - 1][1] - units[i][0] <= max_chars

    spans, start, floor = [], 0, 0
    while True:
        end = start + 1
        while end < len(units) and fit(start, end + 1):
            end += 1
        spans.append((start, end))
        if end >= len(units):
            return spans
        # Never back into the window before this one: overlaps stay between neighbours.
        start, floor = max(end - min(OVERLAP, (end - start) // 2), floor, start + 1), end


def stitch(sentence: Sentence, windows: List[Window], answers: List[Dict]) -> Dict:
    """The record's answer from its windows' answers (each a :func:`ner_tagger.serving.answers.sentence_answer`)."""
    if len(windows) == 1:
        return answers[0]
    text = sentence if isinstance(sentence, str) else " ".join(sentence)
    scored = "scores" in answers[0]
    merged = _items(windows[0], answers[0], scored)
    for before, window, answer in zip(windows, windows[1:], answers[1:]):
        items = _items(window, answer, scored)
        cut = _switch(merged, items, before, window)
        merged = [item for item in merged if item[0] < cut] + [item for item in items if item[0] >= cut]
    tokens = [item[1] for item in merged]
    tags = [item[2] for item in merged]
    scores = [item[3] for item in merged] if scored else None
    score = min(answer["score"] for answer in answers) if scored else None
    result = sentence_answer(text, tokens, tags, scores, score, encoding="iob2")
    result["windows"] = len(windows)
    return result


def _items(window: Window, answer: Dict, scored: bool) -> List[Tuple[int, str, str, float]]:
    """(character offset in the record, token, tag, score) for each token of one window's answer."""
    text = window.sentence if isinstance(window.sentence, str) else " ".join(window.sentence)
    spans = align_tokens(text, answer["tokens"])
    scores = answer["scores"] if scored else [None] * len(spans)
    return [(window.start + start, token, tag, score)
            for (start, _), token, tag, score in zip(spans, answer["tokens"], answer["tags"], scores)]


def _switch(merged, items, before: Window, window: Window) -> int:
    """The character offset from which ``items`` (window) replace ``merged`` (up to window ``before``)."""
    left = [item for item in merged if item[0] >= window.start]
    right = [item for item in items if item[0] < before.end]
    middle = (window.start + before.end) // 2
    if [item[:2] for item in left] != [item[:2] for item in right]:
        # Not expected (see the module docstring); still a valid answer, switching mid-overlap.
        return middle
    agreed = [i for i, (a, b) in enumerate(zip(left, right)) if a[2] == "O" and b[2] == "O"]
    if not agreed:
        return middle
    best = min(agreed, key=lambda i: abs(2 * i + 1 - len(left)))
    return left[best][0]
