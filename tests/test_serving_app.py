"""The WSGI app behind `serve`, called in-process with a stand-in predictor (no TensorFlow, no server)."""
import io
import json
import logging
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from ner_tagger.serving.app import InvocationsApp
from ner_tagger.serving.payload import Limits


class FakePredictor:
    """Tags every capitalised token as a one-token PER entity; records the batches it is given."""

    def __init__(self):
        self.calls = []

    def _result(self, tokens, scores):
        tags = ["B-PER" if t[:1].isupper() else "O" for t in tokens]
        answer = {"tokens": tokens, "tags": tags, "entities": [{"type": "PER", "text": t} for t in tokens
                                                                 if t[:1].isupper()]}
        return dict(answer, scores=[1.0] * len(tokens), score=1.0) if scores else answer

    def predict_text(self, texts, scores=True):
        self.calls.append(("text", list(texts), scores))
        return [self._result(t.split(), scores) for t in texts]

    def predict_tokens(self, sentences, scores=True):
        self.calls.append(("tokens", [list(s) for s in sentences], scores))
        return [self._result(list(s), scores) for s in sentences]


class SlowPredictor(FakePredictor):
    """Takes ``seconds`` a call, as a big batch on a busy CPU would."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def predict_text(self, texts, scores=True):
        time.sleep(self.seconds)
        return super().predict_text(texts, scores)


class BrokenPredictor(FakePredictor):
    def predict_text(self, texts, scores=True):
        raise RuntimeError("model exploded")


def call(app, method="GET", path="/ping", body=b"", content_type=None, headers=None, length=True):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body)}
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if length:
        environ["CONTENT_LENGTH"] = str(len(body))
    environ.update(headers or {})
    seen = {}

    def start_response(status, response_headers):
        seen["status"], seen["headers"] = status, dict(response_headers)

    data = b"".join(app(environ, start_response))
    code = int(seen["status"].split()[0])
    if seen["headers"]["Content-Type"] == "application/jsonlines":
        assert code == 200 and not data.endswith(b"\n")  # SageMaker's AssembleWith=Line adds the newline
        return code, [json.loads(line) for line in data.decode("utf-8").split("\n")]
    assert seen["headers"]["Content-Type"] == "application/json"
    return code, json.loads(data)


def invoke(app, value, content_type="application/json", **kwargs):
    body = value if isinstance(value, bytes) else json.dumps(value).encode()
    return call(app, "POST", "/invocations", body, content_type, **kwargs)


def test_ping_and_routes():
    app = InvocationsApp(FakePredictor())
    assert call(app) == (200, {"status": "ok"})
    assert call(app, "HEAD")[0] == 200
    assert call(app, path="/nope")[0] == 404
    assert call(app, "GET", "/invocations")[0] == 405
    assert call(app, "POST", "/ping")[0] == 405
    assert call(app, path="/execution-parameters")[1]["BatchStrategy"] == "MULTI_RECORD"


def test_one_batched_call_per_kind_results_in_request_order():
    predictor = FakePredictor()
    app = InvocationsApp(predictor)
    code, body = invoke(app, {"instances": ["Alice met Bob", ["Carol", "left"], "", "see Eve", []]})
    assert code == 200
    assert [r["tokens"] for r in body["predictions"]] == [
        ["Alice", "met", "Bob"], ["Carol", "left"], [], ["see", "Eve"], []]
    # Shortest first: chunks of similar length pad less.
    assert predictor.calls == [("text", ["see Eve", "Alice met Bob"], True),
                               ("tokens", [["Carol", "left"]], True)]


def test_scores_false_reaches_the_predictor_and_blank_answers_drop_scores_too():
    predictor = FakePredictor()
    app = InvocationsApp(predictor)
    code, body = invoke(app, {"instances": ["Alice met Bob", ["Carol"], ""], "scores": False})
    assert code == 200
    assert [call[2] for call in predictor.calls] == [False, False]
    assert [sorted(r) for r in body["predictions"]] == [["entities", "tags", "tokens"]] * 3
    assert invoke(app, {"instances": ["a"], "scores": "no"})[0] == 400


def test_text_plain_and_inputs_shapes():
    app = InvocationsApp(FakePredictor())
    code, body = invoke(app, b"Alice met Bob\nhello", "text/plain")
    assert code == 200 and [len(r["entities"]) for r in body["predictions"]] == [2, 0]
    code, body = invoke(app, {"inputs": {"tokens": [["Zoe"]]}})
    assert code == 200 and body["outputs"][0]["tags"] == ["B-PER"]


def test_body_limits_with_and_without_content_length():
    app = InvocationsApp(FakePredictor(), Limits(max_body_bytes=100))
    big = json.dumps({"instances": ["word " * 40]}).encode()
    code, body = invoke(app, big)
    assert code == 413 and "NER_TAGGER_MAX_BODY_BYTES" in body["error"] and body["status"] == 413
    assert invoke(app, big, length=False)[0] == 413  # chunked upload: no Content-Length
    assert invoke(app, b'["ok"]', length=False)[0] == 200
    assert invoke(app, b"[]", headers={"CONTENT_LENGTH": "ten"})[0] == 400


def test_accept_header():
    app = InvocationsApp(FakePredictor())
    assert invoke(app, ["a"], headers={"HTTP_ACCEPT": "text/csv"})[0] == 406
    assert invoke(app, ["a"], headers={"HTTP_ACCEPT": "text/html, */*;q=0.1"})[0] == 200


def test_jsonlines_request_is_answered_one_line_a_record_in_order():
    predictor = FakePredictor()
    body = b'"Alice met Bob"\n["Carol", "left"]\n\n{"text": "see Eve"}\n{"tokens": ["Zoe"]}\n'
    code, lines = invoke(InvocationsApp(predictor), body, "application/jsonlines")
    assert code == 200
    assert [r["tokens"] for r in lines] == [["Alice", "met", "Bob"], ["Carol", "left"], [], ["see", "Eve"],
                                            ["Zoe"]]
    # Shortest first: chunks of similar length pad less.
    assert predictor.calls == [("text", ["see Eve", "Alice met Bob"], True),
                                ("tokens", [["Zoe"], ["Carol", "left"]], True)]


def test_accept_jsonlines_answers_text_plain_one_line_a_record():
    app = InvocationsApp(FakePredictor())
    code, lines = invoke(app, b"Alice\n\nBob met Eve\n", "text/plain",
                         headers={"HTTP_ACCEPT": "application/jsonlines"})
    assert code == 200 and [len(r["entities"]) for r in lines] == [1, 0, 2]
    code, body = invoke(app, b"Alice\n\nBob met Eve\n", "text/plain")  # no Accept: one JSON document
    assert code == 200 and len(body["predictions"]) == 3


def test_a_bad_jsonlines_record_gets_its_error_line_and_the_others_their_answers(caplog):
    app = InvocationsApp(FakePredictor())
    with caplog.at_level(logging.INFO, "ner_tagger.serve"):
        code, lines = invoke(app, b'"ok"\n["fine"]\n{"text": 3}\n{bad\n"Eve"\n', "application/jsonlines")
    assert code == 200 and len(lines) == 5
    assert [line.get("tokens") for line in lines] == [["ok"], ["fine"], None, None, ["Eve"]]
    assert lines[2] == {"error": "line 3: 'text' must be a string", "line": 3}
    assert lines[3]["line"] == 4 and lines[3]["error"].startswith("line 4: invalid JSON")
    assert "5 record(s): 3 tagged (0 in windows), 2 refused" in caplog.text


def test_a_line_format_request_fails_only_when_no_record_could_be_tagged():
    code, body = invoke(InvocationsApp(FakePredictor()), b'{"text": 3}\n{bad\n', "application/jsonlines")
    assert code == 400 and body["error"] == "line 1: 'text' must be a string"
    code, lines = invoke(InvocationsApp(FakePredictor()), b"\n\n", "application/jsonlines")
    assert code == 200 and [line["tokens"] for line in lines] == [[], []]  # blank records are not errors


def test_an_over_long_record_is_tagged_in_windows_with_offsets_into_the_record():
    limits = Limits(max_sentence_tokens=8, max_sentence_chars=60)
    record = " ".join(f"Name{i} went home ." for i in range(12))  # 48 tokens, 240 characters
    app = InvocationsApp(FakePredictor(), limits)
    code, lines = invoke(app, json.dumps(record).encode() + b'\n["Short", "one"]\n', "application/jsonlines")
    assert code == 200 and len(lines) == 2
    answer = lines[0]
    assert answer["tokens"] == record.split() and answer["windows"] > 1
    assert [e["text"] for e in answer["entities"]] == [f"Name{i}" for i in range(12)]
    assert all(record[e["start"]:e["end"]] == e["text"] for e in answer["entities"])
    assert lines[1]["tokens"] == ["Short", "one"] and "windows" not in lines[1]
    # The same in text/plain, and for a token list; a JSON body keeps its 400.
    assert invoke(app, record.encode(), "text/plain")[1]["predictions"][0]["tokens"] == record.split()
    assert invoke(app, json.dumps(record.split()).encode() + b"\n", "application/jsonlines")[1][0]["windows"] > 1
    code, body = invoke(app, [record])
    assert code == 400 and "NER_TAGGER_MAX_SENTENCE_CHARS" in body["error"]


def test_a_request_over_its_time_budget_is_a_json_503_and_the_app_lives_on():
    app = InvocationsApp(SlowPredictor(0.2), budget_s=1.0, budget_setting="SAGEMAKER_MODEL_SERVER_TIMEOUT=2",
                         batch_size=1)
    began = time.monotonic()
    code, body = invoke(app, [f"sentence {i}" for i in range(20)])  # 20 calls of 0.2 s: 4 s
    assert time.monotonic() - began < 1.0
    assert code == 503 and body["status"] == 503
    assert "SAGEMAKER_MODEL_SERVER_TIMEOUT=2" in body["error"] and "of 20 sentences tagged" in body["error"]
    assert invoke(app, ["Alice", "Bob"]) == (200, {"predictions": [
        {"tokens": ["Alice"], "tags": ["B-PER"], "entities": [{"type": "PER", "text": "Alice"}], "scores": [1.0],
         "score": 1.0},
        {"tokens": ["Bob"], "tags": ["B-PER"], "entities": [{"type": "PER", "text": "Bob"}], "scores": [1.0],
         "score": 1.0}]})


def test_batch_transform_execution_parameters_follow_the_payload_limit():
    app = InvocationsApp(FakePredictor(), Limits.from_env({"SAGEMAKER_BATCH": "true",
                                                           "SAGEMAKER_MAX_PAYLOAD_IN_MB": "20"}), concurrency=3)
    assert call(app, path="/execution-parameters")[1] == {"MaxConcurrentTransforms": 3,
                                                          "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 20}
    records = b"Alice met Bob\n" * 20000  # over the real-time limits of 512 sentences and 50000 tokens
    code, lines = invoke(app, records, "text/plain", headers={"HTTP_ACCEPT": "application/jsonlines"})
    assert code == 200 and len(lines) == 20000
    assert invoke(InvocationsApp(FakePredictor()), records, "text/plain")[0] == 413


def test_a_model_failure_is_a_json_500_and_the_app_lives_on():
    app = InvocationsApp(BrokenPredictor())
    code, body = invoke(app, ["Alice"])
    assert code == 500 and "model exploded" not in body["error"]
    assert call(app) == (200, {"status": "ok"})


CONTENT_TYPES = st.sampled_from(["application/json", "text/plain", "application/json; charset=latin-1",
                                 "application/jsonlines", "application/x-jsonlines; charset=utf-16",
                                 "text/plain; charset=bogus", "application/x-www-form-urlencoded", "", "*/*"])
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                           st.sampled_from(["instances", "inputs", "text", "tokens", "x"]), inner, max_size=3),
                       max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(st.binary(max_size=200), JSONISH.map(lambda v: json.dumps(v).encode())),
       content_type=CONTENT_TYPES)
def test_fuzzed_bodies_get_2xx_or_4xx_never_5xx(body, content_type):
    code, answer = invoke(InvocationsApp(FakePredictor(), Limits(max_batch=8)), body, content_type)
    assert 200 <= code < 300 or (400 <= code < 500 and answer["error"])
