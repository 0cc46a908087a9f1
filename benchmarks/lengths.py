"""Sentences of exactly N tokens from any corpus, for latency by sentence length (standard library only).

A corpus has few sentences of 1 or 80 tokens, and which ones it has depends on the corpus, so a length's
set is built the same way everywhere: first the corpus's own sentences of exactly that length, in file
order; then, to fill up to ``count``, windows of that many tokens over the corpus's tokens joined end to
end (each window starts at a sentence start, runs on into the following sentences and is cut at the
length). Deterministic: the same file and arguments give the same sentences.
"""
from typing import Dict, List, Sequence

LENGTHS = (1, 5, 10, 20, 40, 80)


def at_length(sentences: Sequence[Sequence[str]], length: int, count: int) -> List[List[str]]:
    """``count`` sentences of exactly ``length`` tokens (fewer only if the whole corpus has fewer tokens
    than one window needs)."""
    if length < 1 or count < 1:
        raise ValueError(f"length and count must be >= 1 (got length={length}, count={count})")
    chosen = [list(s) for s in sentences if len(s) == length][:count]
    stream: List[str] = []
    starts = []
    for sentence in sentences:
        if sentence:
            starts.append(len(stream))
            stream.extend(sentence)
    for start in starts:
        if len(chosen) >= count:
            break
        window = stream[start:start + length]
        if len(window) == length and window not in chosen:
            chosen.append(window)
    return chosen


def by_length(sentences: Sequence[Sequence[str]], lengths: Sequence[int] = LENGTHS,
              count: int = 100) -> Dict[int, List[List[str]]]:
    """``{length: at_length(sentences, length, count)}``."""
    return {length: at_length(sentences, length, count) for length in lengths}


def natural_share(sentences: Sequence[Sequence[str]], length: int, count: int) -> int:
    """How many of ``at_length``'s sentences are the corpus's own (the rest are joined and cut)."""
    return min(count, sum(1 for s in sentences if len(s) == length))
