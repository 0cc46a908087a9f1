"""``serving_entry/inference.py`` against a real exported model.

No TensorFlow Serving binary here: the request ``input_handler`` builds is run on the SavedModel loaded
in-process, and the outputs are shaped as TF Serving's REST API returns a columnar (``inputs``) request:
``{"outputs": {name: nested lists}}``, strings as UTF-8 text. The response is a real ``requests.Response``
carrying the request it answers, as the container's ``requests.post`` returns it.
"""
import collections
import importlib.util
import io
import json
import os

import pytest
import requests
import tensorflow as tf

from ner_tagger import export
from ner_tagger.predictor import Predictor

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The container's handler context (sagemaker-tensorflow-serving-container python_service.Context).
Context = collections.namedtuple("Context", "model_name model_version method rest_uri grpc_port channel "
                                            "custom_attributes request_content_type accept_header "
                                            "content_length")
REST_URI = "http://localhost:8501/v1/models/model:predict"


def _load_handlers():
    spec = importlib.util.spec_from_file_location("inference", os.path.join(ROOT, "serving_entry",
                                                                           "inference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inference = _load_handlers()


def _context(content_type):
    return Context("model", None, "POST", REST_URI, 9000, None, None, content_type, "application/json", None)


@pytest.fixture(scope="module")
def serve(trained):
    """``requests.post(rest_uri, data=body)`` answered by the real SavedModel."""
    model = tf.saved_model.load(export.latest_version(str(trained["export"])))

    def post(body):
        request = json.loads(body)
        signature = model.signatures[request["signature_name"]]
        inputs = {k: tf.constant(v, tf.int32 if k == "lengths" else tf.string)
                  for k, v in request["inputs"].items()}
        outputs = {k: _json_value(v.numpy().tolist()) for k, v in signature(**inputs).items()}
        response = requests.models.Response()
        response.status_code, response._content = 200, json.dumps({"outputs": outputs}).encode()
        response.request = requests.Request("POST", REST_URI, data=body).prepare()
        return response

    return post


def _json_value(value):
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _round_trip(serve, body, content_type):
    context = _context(content_type)
    request = inference.input_handler(io.BytesIO(body.encode("utf-8")), context)
    result, accept = inference.output_handler(serve(request), context)
    assert accept == "application/json"
    return json.loads(result)


def test_plain_text_lines_give_entities_with_character_spans(serve, trained):
    texts = ["Alice met Bob in Quebec City .", "Globex   hired Hiro last week ."]
    result = _round_trip(serve, "\n".join(texts) + "\n\n", "text/plain")
    assert [r["text"] for r in result] == texts
    expected = Predictor.load(str(trained["export"])).predict_text(texts)
    for got, want in zip(result, expected):
        assert got["tags"] == want["tags"]
        assert [(e["type"], e["start"], e["end"], e["text"]) for e in got["entities"]] == \
            [(e["type"], e["start"], e["end"], e["text"]) for e in want["entities"]]
    city = [e for e in result[0]["entities"] if e["type"] == "LOC"][0]
    assert texts[0][city["start"]:city["end"]] == "Quebec City"
    assert result[1]["entities"][0] == {**result[1]["entities"][0], "text": "Globex", "start": 0, "end": 6}


@pytest.mark.parametrize("payload", ['"Eve works for Initech ."', '["Eve works for Initech ."]',
                                     '{"text": "Eve works for Initech ."}',
                                     '{"instances": ["Eve works for Initech ."]}'])
def test_json_text_forms(serve, payload):
    (result,) = _round_trip(serve, payload, "application/json; charset=utf-8")
    assert [(e["type"], e["text"]) for e in result["entities"]] == [("PER", "Eve"), ("ORG", "Initech")]


def test_tokens_of_different_lengths(serve):
    body = json.dumps({"tokens": [["Carol", "flew", "to", "New", "York"], ["Umbrella", "Group"]]})
    first, second = _round_trip(serve, body, "application/json")
    assert first["text"] == "Carol flew to New York"
    assert [(e["type"], e["text"], e["start"]) for e in first["entities"]] == [("PER", "Carol", 0),
                                                                             ("LOC", "New York", 14)]
    assert second["tokens"] == ["Umbrella", "Group"]


def test_bad_requests_are_refused():
    with pytest.raises(ValueError, match="unsupported content type"):
        inference.input_handler(io.BytesIO(b"x"), _context("text/csv"))
    with pytest.raises(ValueError, match="expected a string"):
        inference.input_handler(io.BytesIO(b'{"text": 3}'), _context("application/json"))


def test_serving_errors_are_raised():
    response = requests.models.Response()
    response.status_code, response._content = 400, b'{"error": "bad input"}'
    with pytest.raises(ValueError, match="bad input"):
        inference.output_handler(response, _context("text/plain"))


@pytest.mark.parametrize("tags, iob2", [
    (["S-PER", "O", "B-LOC", "E-LOC"], ["B-PER", "O", "B-LOC", "I-LOC"]),
    (["B-PER", "I-PER", "I-LOC", "S-ORG", "S-ORG"], ["B-PER", "I-PER", "B-LOC", "B-ORG", "B-ORG"]),
    (["I-PER", "E-PER", "O", "E-LOC"], ["B-PER", "I-PER", "O", "B-LOC"]),
])
def test_tag_decoding(tags, iob2):
    assert inference.to_iob2(tags) == iob2
