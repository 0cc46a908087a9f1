"""A line-format request answered record by record (:mod:`ner_tagger.serving.records`), with a pure-Python
stand-in model; through the endpoints: tests/test_serving_app.py, tests/test_serving_entry_inference.py."""
import json
import logging

import pytest

from ner_tagger.serving import records
from ner_tagger.serving.answers import sentence_answer
from ner_tagger.serving.payload import Limits, RequestError, parse_request

JSONL = "application/jsonlines"


class StandIn:
    """Tags capitalised tokens PER; records every batch of sentences it is given."""

    def __init__(self):
        self.calls = []

    def __call__(self, sentences):
        self.calls.append(list(sentences))
        answered = []
        for sentence in sentences:
            text = sentence if isinstance(sentence, str) else " ".join(sentence)
            tokens = sentence.split() if isinstance(sentence, str) else list(sentence)
            tags = ["B-PER" if t[:1].isupper() else "O" for t in tokens]
            answered.append(sentence_answer(text, tokens, tags, [0.9] * len(tokens), 0.9, encoding="iob2"))
        return answered


def _answer(lines, limits=None, predict=None):
    limits = limits or Limits()
    body = "\n".join(lines).encode() + b"\n"
    return records.answer(parse_request(body, JSONL, limits), limits, predict or StandIn())


def test_one_answer_a_record_in_order_from_one_model_call(caplog):
    predict = StandIn()
    with caplog.at_level(logging.INFO, logger="ner_tagger.serve"):
        answered = _answer(['"Alice met Bob"', '["Carol", "left"]', '{"text": "see Eve"}'], predict=predict)
    assert [a["tokens"] for a in answered] == [["Alice", "met", "Bob"], ["Carol", "left"], ["see", "Eve"]]
    assert [[e["text"] for e in a["entities"]] for a in answered] == [["Alice", "Bob"], ["Carol"], ["Eve"]]
    assert predict.calls == [["Alice met Bob", ["Carol", "left"], "see Eve"]]
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == "invocation: 3 record(s): 3 tagged (0 in windows), 0 refused"


def test_a_record_that_cannot_be_tagged_is_answered_with_its_error_on_its_line(caplog):
    predict = StandIn()
    limits = Limits(max_sentence_tokens=8, max_sentence_chars=20)
    with caplog.at_level(logging.INFO, logger="ner_tagger.serve"):
        answered = _answer(['"Alice"', "{bad", '{"text": 3}', json.dumps("x" * 25), '"Bob"'], limits, predict)
    assert answered[0]["tokens"] == ["Alice"] and answered[4]["tokens"] == ["Bob"]
    assert answered[1]["line"] == 2 and answered[1]["error"].startswith("line 2: invalid JSON")
    assert answered[2] == {"error": "line 3: 'text' must be a string", "line": 3}
    assert answered[3] == {"line": 4, "error": "line 4: a run of 25 characters without a space at character 0; the "
                                              "limit is 20 (NER_TAGGER_MAX_SENTENCE_CHARS)"}
    assert predict.calls == [["Alice", "Bob"]]  # refused records never reach the model
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "invocation: 5 record(s): 2 tagged (0 in windows), 3 refused"


def test_the_request_fails_with_the_first_error_only_when_no_record_could_be_tagged(caplog):
    predict = StandIn()
    with caplog.at_level(logging.INFO, logger="ner_tagger.serve"):
        with pytest.raises(RequestError) as err:
            _answer(['{"text": 3}', "{bad"], predict=predict)
    assert err.value.status == 400 and str(err.value) == "line 1: 'text' must be a string"
    assert predict.calls == [] and "2 record(s): 0 tagged (0 in windows), 2 refused" in caplog.text
    assert [a["tokens"] for a in _answer(["", ""])] == [[], []]  # blank records are records, not errors


def test_a_record_over_the_sentence_limits_is_one_answer_tagged_in_windows(caplog):
    predict = StandIn()
    limits = Limits(max_sentence_tokens=8, max_sentence_chars=60)
    record = " ".join(f"Name{i} went home ." for i in range(12))  # 48 tokens, 240 characters
    with caplog.at_level(logging.INFO, logger="ner_tagger.serve"):
        long, short = _answer([json.dumps(record), '["Short", "one"]'], limits, predict)
    assert long["tokens"] == record.split() and long["windows"] > 1 and "windows" not in short
    assert [e["text"] for e in long["entities"]] == [f"Name{i}" for i in range(12)]
    assert all(record[e["start"]:e["end"]] == e["text"] for e in long["entities"])
    [pieces] = predict.calls
    assert len(pieces) == long["windows"] + 1 and pieces[-1] == ["Short", "one"]
    assert all(len(p.split()) <= 8 and len(p) <= 60 for p in pieces[:-1])
    assert "2 record(s): 2 tagged (1 in windows), 0 refused" in caplog.text
