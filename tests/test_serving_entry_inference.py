"""``serving_entry/inference.py``, the TF Serving endpoint's handler.

- As the TF Serving container runs it: ``code/inference.py`` beside ``code/lib/ner_tagger`` (what
  ``launch.make_model`` ships), in a Python without TensorFlow or numpy.
- Against a real exported model, and against the BYOC endpoint's answers. No TensorFlow Serving binary here:
  each request the handler posts to TF Serving's REST predict API is run on the SavedModel loaded
  in-process, and answered as TF Serving answers a columnar (``inputs``) request: ``{"outputs": {name: nested
  lists}}``, strings as UTF-8 text, in a real ``requests.Response``.
- Its time budget against a slow stand-in TF Serving on a real socket.
"""
import collections
import http.server
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import types

import pytest
import requests

from ner_tagger.sagemaker import launch
from ner_tagger.serving import core
from ner_tagger.serving.app import InvocationsApp
from ner_tagger.serving.payload import Limits, RequestError

# The container's handler context (sagemaker-tensorflow-serving-container python_service.Context).
Context = collections.namedtuple("Context", "model_name model_version method rest_uri grpc_port channel "
                                            "custom_attributes request_content_type accept_header "
                                            "content_length")
REST_URI = "http://localhost:8501/v1/models/model:predict"
JSON, JSONL = "application/json", "application/jsonlines"


def _load_handler():
    """The shipped file, loaded as a module (it reads its settings from the environment at each request)."""
    spec = importlib.util.spec_from_file_location("inference", os.path.join(launch.SERVE_SOURCE,
                                                                           launch.SERVE_ENTRY))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inference = _load_handler()


def _context(content_type, accept=JSON, rest_uri=REST_URI):
    # The container passes Accept, or application/json when the request has none (tfs_utils.parse_request).
    return Context("model", None, "POST", rest_uri, 9000, None, None, content_type, accept or JSON, None)


# Run in the container's layout: both folders on the path (gunicorn --pythonpath code,code/lib), imports of
# TensorFlow and numpy refused, and a stand-in TF Serving answering the two signatures.
SCRIPT = r"""
import importlib.abc, io, json, sys, types
code, lib = sys.argv[1], sys.argv[2]
sys.path[:0] = [code, lib]

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "numpy"):
            raise ImportError(f"{name} is not in the TF Serving container's Python")

sys.meta_path.insert(0, Refuse())
import importlib.util
spec = importlib.util.spec_from_file_location("inference", code + "/inference.py")
inference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inference)

def post(url, data, timeout):
    request = json.loads(data)
    if request["signature_name"] == "text":
        rows = [t.split() for t in request["inputs"]["text"]]
    else:
        rows = [r[:n] for r, n in zip(request["inputs"]["tokens"], request["inputs"]["lengths"])]
    width = max(len(r) for r in rows)
    outputs = {"tokens": [r + [""] * (width - len(r)) for r in rows], "lengths": [len(r) for r in rows],
               "tags": [["S-PER" if t[:1].isupper() else "O" for t in r] + ["O"] * (width - len(r)) for r in rows],
               "scores": [[1.0] * width for r in rows], "sequence_score": [1.0 for r in rows]}
    return types.SimpleNamespace(status_code=200, content=json.dumps({"outputs": outputs}).encode())

inference.requests = types.SimpleNamespace(post=post)
context = types.SimpleNamespace(rest_uri="http://tfs", request_content_type="application/json",
                                accept_header="application/json")
body = json.dumps({"instances": ["Alice met Bob", ["Carol", "left"]]}).encode()
answer, media = inference.handler(io.BytesIO(body), context)
loaded = sorted(m for m in sys.modules if m.startswith("ner_tagger"))
print(json.dumps({"answer": json.loads(answer), "media": media, "loaded": loaded,
                  "package": sys.modules["ner_tagger"].__file__}))
"""


def test_the_shipped_modules_serve_without_tensorflow(tmp_path):
    code = tmp_path / "code"
    shutil.copytree(launch.SERVE_SOURCE, code)
    package = launch.stage_serving_package(str(code / "lib"))
    assert package == str(code / "lib" / "ner_tagger")
    proc = subprocess.run([sys.executable, "-I", "-c", SCRIPT, str(code), str(code / "lib")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["package"].startswith(package + os.sep)
    assert out["media"] == "application/json"
    first, second = out["answer"]["predictions"]
    assert [(e["type"], e["text"], e["start"]) for e in first["entities"]] == [("PER", "Alice", 0),
                                                                             ("PER", "Bob", 10)]
    assert second["tags"] == ["B-PER", "O"] and second["entities"][0]["token_end"] == 1
    assert set(out["loaded"]) == {"ner_tagger", "ner_tagger.serving", "ner_tagger.serving.answers",
                                  "ner_tagger.serving.core", "ner_tagger.corpus", "ner_tagger.corpus.tagging",
                                  "ner_tagger.corpus.text_rules", "ner_tagger.errors",
                                  "ner_tagger.serving.payload",
                                  "ner_tagger.serving.media", "ner_tagger.serving.records",
                                  "ner_tagger.serving.windows", "ner_tagger.serving.deadline"}


# ----- time: the handler answers before the container's gunicorn would cut the request off -----

class SlowTFServing:
    """A stand-in TF Serving REST API on a real loopback socket that waits ``delay`` seconds per call, then
    answers like the stub above (each whitespace token tagged, capitalised ones as PER)."""

    def __init__(self, delay):
        self.delay, self.calls, self.release = delay, 0, threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.calls += 1
                outer.release.wait(outer.delay)
                rows = [t.split() for t in request["inputs"]["text"]]
                width = max(len(r) for r in rows)
                outputs = {"tokens": [r + [""] * (width - len(r)) for r in rows], "lengths": [len(r) for r in rows],
                           "tags": [["B-PER" if t[:1].isupper() else "O" for t in r] + ["O"] * (width - len(r))
                                    for r in rows],
                           "scores": [[1.0] * width for _ in rows], "sequence_score": [1.0 for _ in rows]}
                data = json.dumps({"outputs": outputs}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the handler stopped waiting

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/models/model:predict"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_slow_tf_serving_gets_a_clear_error_before_the_gunicorn_timeout(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_GUNICORN_TIMEOUT_SECONDS", "3")  # budget: 3 s less 1 s
    monkeypatch.delenv("SAGEMAKER_BATCH", raising=False)
    monkeypatch.delenv("SAGEMAKER_MAX_PAYLOAD_IN_MB", raising=False)
    tf_serving = SlowTFServing(delay=6)  # longer than gunicorn's 3 s
    try:
        began = time.monotonic()
        with pytest.raises(RequestError) as err:
            inference.handler(io.BytesIO(b'{"instances": ["Alice met Bob"]}'),
                              _context(JSON, rest_uri=tf_serving.url))
        waited = time.monotonic() - began
    finally:
        tf_serving.close()
    assert waited < 3, waited  # answered before gunicorn (sync) or nginx would cut the request off
    assert err.value.status == 503
    # The container answers a handler's exception as 500 {"error": str(exception)}: this text.
    assert "SAGEMAKER_GUNICORN_TIMEOUT_SECONDS=3" in str(err.value) and "0 of 1 sentences tagged" in str(err.value)


def test_the_deadline_covers_the_whole_request_not_each_tf_serving_call(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_GUNICORN_TIMEOUT_SECONDS", "3")
    monkeypatch.setenv("NER_TAGGER_PREDICT_BATCH", "1")
    tf_serving = SlowTFServing(delay=0.5)  # each call well within the budget, ten of them well over it
    try:
        began = time.monotonic()
        with pytest.raises(RequestError, match="of 10 sentences tagged"):
            inference.handler(io.BytesIO(json.dumps([f"Name{i} left" for i in range(10)]).encode()),
                              _context(JSON, rest_uri=tf_serving.url))
        waited = time.monotonic() - began
    finally:
        tf_serving.close()
    assert waited < 3 and 1 <= tf_serving.calls < 10


def test_the_budget_follows_the_containers_timeouts_and_the_launchers_transform_settings():
    assert inference.request_budget_s({}) == 27  # the container's default 30 s gunicorn timeout
    assert inference.request_budget_s({"SAGEMAKER_GUNICORN_TIMEOUT_SECONDS": "120"}) == 54  # real time: 60 s
    transform = dict(launch.TRANSFORM_ENV, SAGEMAKER_BATCH="true")
    assert inference.request_budget_s(transform) == 540 < launch.TRANSFORM_TIMEOUT_S
    assert int(launch.TRANSFORM_ENV["SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS"]) >= \
        int(launch.TRANSFORM_ENV["SAGEMAKER_GUNICORN_TIMEOUT_SECONDS"])


# ----- against a real exported model, and the BYOC endpoint's answers -----

@pytest.fixture(scope="module")
def model(trained):
    import tensorflow as tf

    return tf.saved_model.load(core.latest_version(str(trained["export"])))


@pytest.fixture()
def tf_serving(model, monkeypatch):
    """``requests.post(rest_uri, data=body)`` answered by the real SavedModel; records the requests."""
    import tensorflow as tf

    posted = []

    def post(url, data, timeout):
        assert url == REST_URI
        request = json.loads(data)
        posted.append(request)
        signature = model.signatures[request["signature_name"]]
        inputs = {k: tf.constant(v, tf.int32 if k == "lengths" else tf.string)
                  for k, v in request["inputs"].items()}
        outputs = {k: _json_value(v.numpy().tolist()) for k, v in signature(**inputs).items()}
        response = requests.models.Response()
        response.status_code, response._content = 200, json.dumps({"outputs": outputs}).encode()
        return response

    monkeypatch.setattr(inference, "requests", types.SimpleNamespace(post=post))
    return posted


@pytest.fixture(scope="module")
def byoc(trained):
    from ner_tagger.serving.exported_model import Predictor

    return InvocationsApp(Predictor.load(str(trained["export"])))


def _json_value(value):
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _tf_serving_answer(body, content_type, accept=None):
    answer, media = inference.handler(io.BytesIO(body), _context(content_type, accept))
    return _decoded(answer, media)


def _byoc_answer(app, body, content_type, accept=None):
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/invocations", "wsgi.input": io.BytesIO(body),
               "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    if accept:
        environ["HTTP_ACCEPT"] = accept
    seen = {}
    data = b"".join(app(environ, lambda status, headers: seen.update(status=status, headers=dict(headers))))
    assert seen["status"] == "200 OK", data
    return _decoded(data.decode("utf-8"), seen["headers"]["Content-Type"])


def _decoded(body, media):
    """A JSON answer as its value; JSON lines as ``{"lines": [one value a line]}``."""
    if media == JSONL:
        return {"lines": [json.loads(line) for line in body.split("\n")]}
    assert media == JSON
    return json.loads(body)


PAYLOADS = [
    (b"Alice met Bob in Quebec City .\nGlobex   hired Hiro last week .\n\n", "text/plain"),
    (b'"Eve works for Initech ."', JSON),
    (b'["Eve works for Initech .", ["Carol", "flew", "to", "New", "York"], "", []]', JSON),
    (b'{"instances": ["Eve works for Initech .", {"tokens": ["Umbrella", "Group"]}, {"text": "hi Bob"}]}',
     "application/json; charset=utf-8"),
    (b'{"inputs": {"tokens": [["Carol", "flew", "to", "New", "York"], ["Umbrella", "Group"]]}}', JSON),
    (b'{"inputs": {"text": ["Dmitri met Farah in Oslo ."]}}', JSON),
    ('{"inputs": "Gustavo flew to Lagos \u2014 with Eve ."}'.encode(), JSON),
    (b'{"instances": ["Eve works for Initech .", ["Umbrella", "Group"], ""], "scores": false}', JSON),
    (b'{"inputs": {"tokens": [["Carol", "flew", "to", "New", "York"]]}, "scores": false}', JSON),
]


@pytest.mark.slow  # the session's trained model
@pytest.mark.parametrize("body, content_type", PAYLOADS)
def test_tf_serving_and_byoc_give_the_same_answer(tf_serving, byoc, body, content_type):
    assert _tf_serving_answer(body, content_type) == _byoc_answer(byoc, body, content_type)


# Batch Transform mini-batches (SplitType=Line): one record a line, a blank line kept as a record.
BATCH_PAYLOADS = [
    (b'"Alice met Bob in Quebec City ."\n["Carol", "flew", "to", "New", "York"]\n\n{"text": "hi Bob"}\n'
     b'{"tokens": ["Umbrella", "Group"]}\n', JSONL, None),
    (b'"Alice met Bob in Quebec City ."\n["Carol", "flew", "to", "New", "York"]\n', JSONL, JSONL),
    (b"Globex   hired Hiro last week .\n\nDmitri met Farah in Oslo .\r\n", "text/plain", JSONL),
    ('"Gustavo flew to Lagos \u2014 with Eve \u2028 ."\n'.encode(), "application/x-jsonlines", None),
]


@pytest.mark.slow  # the session's trained model
@pytest.mark.parametrize("body, content_type, accept", BATCH_PAYLOADS)
def test_batch_transform_lines_get_the_same_answer_line_for_line(tf_serving, byoc, body, content_type, accept):
    answer = _tf_serving_answer(body, content_type, accept)
    assert answer == _byoc_answer(byoc, body, content_type, accept)
    assert len(answer["lines"]) == len(body.decode("utf-8").rstrip("\n").split("\n"))


@pytest.mark.slow  # the session's trained model
def test_plain_text_lines_give_entities_with_character_spans(tf_serving):
    texts = ["Alice met Bob in Quebec City .", "Globex   hired Hiro last week ."]
    result = _tf_serving_answer(("\n".join(texts) + "\n\n").encode(), "text/plain")["predictions"]
    assert len(result) == 3 and result[2]["tokens"] == []  # a blank line is a sentence, as BYOC has it
    city = [e for e in result[0]["entities"] if e["type"] == "LOC"][0]
    assert texts[0][city["start"]:city["end"]] == "Quebec City"
    assert result[1]["entities"][0] == {**result[1]["entities"][0], "text": "Globex", "start": 0, "end": 6}


@pytest.mark.slow  # the session's trained model
def test_one_tf_serving_call_per_signature(tf_serving):
    body = json.dumps({"instances": ["Eve works for Initech .", ["Carol", "flew", "to", "New", "York"],
                                     ["Umbrella", "Group"]]}).encode()
    first, second, third = _tf_serving_answer(body, JSON)["predictions"]
    assert [p["signature_name"] for p in tf_serving] == ["text", "tokens_lengths"]
    assert tf_serving[1]["inputs"]["lengths"] == [2, 5]  # sorted by length: less padding
    assert [(e["type"], e["text"]) for e in first["entities"]] == [("PER", "Eve"), ("ORG", "Initech")]
    assert [(e["type"], e["text"], e["start"]) for e in second["entities"]] == [("PER", "Carol", 0),
                                                                              ("LOC", "New York", 14)]
    assert third["tokens"] == ["Umbrella", "Group"]


@pytest.mark.slow  # the session's trained model
def test_without_scores_the_tags_only_signatures_answer_with_the_same_tags(tf_serving):
    instances = ["Eve works for Initech .", ["Carol", "flew", "to", "New", "York"]]
    scored = _tf_serving_answer(json.dumps({"instances": instances}).encode(), JSON)["predictions"]
    bare = _tf_serving_answer(json.dumps({"instances": instances, "scores": False}).encode(), JSON)["predictions"]
    assert [p["signature_name"] for p in tf_serving] == ["text", "tokens_lengths", "text_tags",
                                                        "tokens_lengths_tags"]
    assert [a["tags"] for a in bare] == [a["tags"] for a in scored]
    assert all(set(a) == {"tokens", "tags", "entities"} for a in bare)


@pytest.mark.slow  # the session's trained model
def test_large_requests_go_to_tf_serving_in_batches_and_answer_in_order(tf_serving, byoc, monkeypatch):
    monkeypatch.setenv("NER_TAGGER_PREDICT_BATCH", "2")
    lines = ["Eve works for Initech .", "hi", "Alice met Bob in Quebec City .", "Oslo", "Hiro left ."]
    body = "\n".join(lines).encode()
    answer = _tf_serving_answer(body, "text/plain", JSONL)
    assert [len(p["inputs"]["text"]) for p in tf_serving] == [2, 2, 1]
    assert [" ".join(a["tokens"]) for a in answer["lines"]] == lines
    assert answer == _byoc_answer(byoc, body, "text/plain", JSONL)


def test_bad_requests_are_refused_as_byoc_refuses_them():
    with pytest.raises(RequestError, match="unsupported content type") as err:
        inference.handler(io.BytesIO(b"x"), _context("text/csv"))
    assert err.value.status == 415
    with pytest.raises(RequestError, match="exactly one of"):
        inference.handler(io.BytesIO(b'{"text": 3}'), _context(JSON))
    with pytest.raises(RequestError, match="'scores' must be true or false") as err:
        inference.handler(io.BytesIO(b'{"instances": ["a"], "scores": 1}'), _context(JSON))
    assert err.value.status == 400


def test_serving_errors_are_raised(monkeypatch):
    response = requests.models.Response()
    response.status_code, response._content = 400, b'{"error": "bad input"}'
    monkeypatch.setattr(inference, "requests", types.SimpleNamespace(post=lambda url, data, timeout: response))
    with pytest.raises(ValueError, match="bad input"):
        inference.handler(io.BytesIO(b"Alice"), _context("text/plain"))


@pytest.mark.slow  # the session's trained model
def test_a_transform_mini_batch_with_a_long_and_a_malformed_record_answers_every_line(tf_serving, byoc,
                                                                                       monkeypatch):
    record = " ".join(["Alice met Bob in Quebec City ."] * 8)  # 56 tokens, 247 characters
    whole = _tf_serving_answer(json.dumps([record]).encode(), JSON)["predictions"][0]  # within the limits
    monkeypatch.setenv("NER_TAGGER_MAX_SENTENCE_TOKENS", "16")
    monkeypatch.setenv("NER_TAGGER_MAX_SENTENCE_CHARS", "90")
    body = "\n".join([json.dumps(record), '{"text": ', json.dumps(record.split()), '"Eve works for Initech ."',
                      ""]).encode()
    answer = _tf_serving_answer(body, JSONL)
    assert answer == _byoc_answer(InvocationsApp(byoc.predictor, Limits.from_env()), body, JSONL)
    text, error, tokens, short = answer["lines"]
    assert error["line"] == 2 and error["error"].startswith("line 2: invalid JSON")
    for windowed in (text, tokens):
        assert windowed["windows"] > 1 and windowed["tokens"] == whole["tokens"]
        assert all(record[e["start"]:e["end"]] == e["text"] for e in windowed["entities"])
    assert text["tags"] == whole["tags"]  # the overlap gave each window enough context
    assert "windows" not in short and short["tokens"] == ["Eve", "works", "for", "Initech", "."]
