"""The answer for one sentence, the same from ``predict``, the BYOC endpoint and the TF Serving endpoint.

One dict a sentence: ``tokens``, ``tags`` (IOB2), ``scores`` (per token), ``score`` (whole sequence) and
``entities`` (``type``, ``text``, ``start``/``end`` character offsets, ``token_start``/``token_end``,
``score``). Character offsets refer to the sentence as sent, or for a token list to the tokens joined by
single spaces.

Asked without scores (``scores`` ``None``; the request field ``"scores": false``) the answer has no
``scores``, ``score`` or entity ``score``: the model skipped computing them.

Standard library and :mod:`ner_tagger.corpus.tagging` only: this module is shipped beside the TF Serving
container's ``inference.py`` (``code/lib/ner_tagger``), where neither TensorFlow nor the rest of the
package is installed.
"""
from typing import Callable, Dict, List, Optional, Sequence, Union

from ner_tagger.corpus import tagging, text_rules

Sentence = Union[str, List[str]]  # raw text, or pre-tokenised
EMPTY = {"tokens": [], "tags": [], "scores": [], "score": 1.0, "entities": []}
EMPTY_TAGS_ONLY = {"tokens": [], "tags": [], "entities": []}


def sentence_answer(text: str, tokens: List[str], tags: Sequence[str], scores: Optional[Sequence[float]],
                    sequence_score: Optional[float], encoding: str = "iobes") -> Dict:
    """The answer for one sentence from the model's outputs for its row, cut to its length.

    ``tags`` are in the model's ``encoding``; the default reads IOBES and IOB2 alike (non-strict IOBES
    decoding of IOB2 tags gives the IOB2 spans), for callers that do not know the model's hyperparameters.
    ``scores`` ``None``: a tags-only answer (no score keys).
    """
    iob2 = tagging.convert(list(tags), encoding, "iob2", strict=False)
    spans = text_rules.align_tokens(text, tokens)
    entities = []
    for kind, start, end in tagging.to_spans(iob2, "iob2"):
        first, last = spans[start][0], spans[end - 1][1]
        entities.append({"type": kind, "text": text[first:last], "start": first, "end": last,
                         "token_start": start, "token_end": end})
    if scores is None:
        return {"tokens": list(tokens), "tags": iob2, "entities": entities}
    scores = [round(float(s), 4) for s in scores]
    for entity in entities:
        start, end = entity["token_start"], entity["token_end"]
        entity["score"] = round(sum(scores[start:end]) / (end - start), 4)
    return {"tokens": list(tokens), "tags": iob2, "scores": scores, "score": round(float(sequence_score), 4),
            "entities": entities}


def in_request_order(sentences: Sequence[Sentence], predict_text: Callable[[List[str]], List[Dict]],
                     predict_tokens: Callable[[List[List[str]]], List[Dict]], scores: bool = True) -> List[Dict]:
    """One call for the texts and one for the token lists (the model has a signature for each); answers
    in request order, :data:`EMPTY` (or :data:`EMPTY_TAGS_ONLY` without ``scores``) for a blank text or an
    empty token list."""
    answers = [None] * len(sentences)
    texts = [i for i, s in enumerate(sentences) if isinstance(s, str) and s.strip()]
    tokens = [i for i, s in enumerate(sentences) if isinstance(s, list) and s]
    for ids, run in ((texts, predict_text), (tokens, predict_tokens)):
        if ids:
            for i, answer in zip(ids, run([sentences[i] for i in ids])):
                answers[i] = answer
    empty = EMPTY if scores else EMPTY_TAGS_ONLY
    return [a if a is not None else dict(empty) for a in answers]
