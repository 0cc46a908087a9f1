"""The text signature's tokenizer as data, and its pure-Python mirror (no TensorFlow).

The serving ``text`` signature splits sentences in the graph (:func:`ner_tagger.model.text.split_text`) with
:data:`SPLIT_RULES` run by ``tf.strings.regex_replace`` (RE2), then ``tf.strings.split`` on whitespace.
Training data with character offsets (:mod:`ner_tagger.corpus.offsets`) must be tokenized exactly the same way, or
the model would learn tokens it never sees when serving; :func:`split` runs the same rules with Python's
``re``. Where the two engines differ, the patterns are translated here:

- RE2's ``\\s`` is ASCII ``[\\t\\n\\f\\r ]``, Python's is any Unicode space: spelled out.
- RE2's ``$`` (no multi-line flag) is the end of the text; Python's also matches before a final ``\\n``:
  ``\\Z``.
- ``tf.strings.split`` without a separator splits on ASCII whitespace (``\\t\\n\\v\\f\\r`` and space) only, so
  a no-break space stays inside a token.

``tests/test_corpus_text_rules.py`` checks that both give identical tokens on every WNUT-17 sentence and on
edge cases.
"""
import re
from typing import List, Sequence, Tuple

# Tweet-friendly rules that only insert spaces, so every token stays a substring of the text (which is
# what lets ``align_tokens`` recover character spans). They follow the WNUT-17/PTB conventions: clitics
# ("It 's", "do n't") and sentence punctuation split off, URLs, @handles, #tags and emoticons kept whole.
SPLIT_RULES = (
    (r"(?i)([a-z])(n['’]t)(\s|$)", r"\1 \2\3"),
    (r"(?i)([a-z])(['’](?:s|m|d|re|ve|ll))(\s|$)", r"\1 \2\3"),
    (r"([^\s.,!?;:\"”)\]…])([.,!?;:\"”)\]…]+)(\s|$)", r"\1 \2\3"),
    (r"(^|\s)([\"“(\[]+)([^\s])", r"\1\2 \3"),
)

_RE2_SPACE = "\t\n\f\r "
_SPLIT_SPACE = re.compile("[\t\n\v\f\r ]+")


def python_pattern(re2_pattern: str) -> "re.Pattern":
    """``re2_pattern`` (one of :data:`SPLIT_RULES`) as a Python pattern that matches the same strings."""
    out, in_class, i = [], False, 0
    while i < len(re2_pattern):
        char = re2_pattern[i]
        if char == "\\":
            pair = re2_pattern[i:i + 2]
            if pair == r"\s":
                pair = _RE2_SPACE if in_class else f"[{_RE2_SPACE}]"
            out.append(pair)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


_PYTHON_RULES = tuple((python_pattern(pattern), rewrite) for pattern, rewrite in SPLIT_RULES)


def split(text: str) -> List[str]:
    """The tokens the ``text`` signature makes of ``text``."""
    for pattern, rewrite in _PYTHON_RULES:
        text = pattern.sub(rewrite, text)
    return [token for token in _SPLIT_SPACE.split(text) if token]


def align_tokens(text: str, tokens: Sequence[str]) -> List[Tuple[int, int]]:
    """Character spans ``(start, end)`` of ``tokens`` found in order in ``text``.

    A token not found (the caller's own tokenisation differs from the text) gets the span where it would
    have been, of zero width, so spans stay monotonic.
    """
    spans, position = [], 0
    for token in tokens:
        start = text.find(token, position)
        if start < 0:
            spans.append((position, position))
            continue
        position = start + len(token)
        spans.append((start, position))
    return spans
