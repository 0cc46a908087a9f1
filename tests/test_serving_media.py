"""Choosing and writing the /invocations response body: one JSON document or JSON lines."""
import json

import pytest

from ner_tagger.serving.media import render, response_type
from ner_tagger.serving.payload import RequestError

JSON, JSONL, TEXT = "application/json", "application/jsonlines", "text/plain"


@pytest.mark.parametrize("accept,content_type,answer", [
    ("", JSON, JSON),
    ("", TEXT, JSON),
    ("", JSONL, JSONL),
    ("*/*", JSONL, JSONL),
    (JSON, JSONL, JSONL),  # the TF Serving container's stand-in for a missing Accept
    (JSONL, TEXT, JSONL),
    ("application/jsonlines; q=1, application/json; q=0.5", JSON, JSONL),
    ("text/html, application/*", TEXT, JSON),
    ("application/x-jsonlines", TEXT, JSONL),
])
def test_response_type(accept, content_type, answer):
    assert response_type(accept, content_type) == answer


def test_unanswerable_accept_is_406():
    with pytest.raises(RequestError, match="cannot answer in 'text/csv'") as err:
        response_type("text/csv", JSONL)
    assert err.value.status == 406


def test_render_jsonlines_is_one_line_an_answer_without_a_final_newline():
    results = [{"tokens": ["Zürich"]}, {"tokens": []}, {"tokens": ["a\u2028b"]}]
    body = render(results, "predictions", JSONL)
    assert body.split("\n") == [json.dumps(r, ensure_ascii=False) for r in results]
    assert json.loads(render(results, "outputs", JSON)) == {"outputs": results}
