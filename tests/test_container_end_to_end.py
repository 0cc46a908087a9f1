"""`train` then `serve`, as SageMaker runs them, without Docker: a scaffolded /opt/ml (NER_TAGGER_ML_ROOT),
string hyperparameters in both encodings, a real training run, then gunicorn on a free loopback port."""
import json
import os

import pytest
from support.container_harness import STRING_HPARAMS, Server, failure, model_files, request, run_train, scaffold
from support.events import tensorboard_scalars

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

JSON, TEXT = "application/json", "text/plain"
# Small limits so the oversize cases stay cheap; everything else in this file fits under them.
LIMITS = {"NER_TAGGER_MAX_BODY_BYTES": 20000, "NER_TAGGER_MAX_BATCH": 64, "NER_TAGGER_MAX_SENTENCE_TOKENS": 50}


@pytest.fixture(scope="module")
def trained_root(tmp_path_factory):
    root = scaffold(tmp_path_factory.mktemp("opt_ml"))
    os.makedirs(os.path.join(root, "output"))
    with open(os.path.join(root, "output", "failure"), "w", encoding="utf-8") as fh:
        fh.write("left by an earlier failed run\n")
    # A TensorBoardOutputConfig with its own container_local_output_path, as SageMaker writes it.
    with open(os.path.join(root, "input", "config", "tensorboardoutputconfig.json"), "w", encoding="utf-8") as fh:
        json.dump({"LocalPath": os.path.join(root, "tb-local"), "S3OutputPath": "s3://bucket/tb"}, fh)
    result = run_train(root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root, result


@pytest.fixture(scope="module")
def server(trained_root):
    root, _ = trained_root
    server = Server(root, workers=2, **LIMITS)
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_train_writes_the_contract_outputs(trained_root):
    root, result = trained_root
    assert failure(root) is None  # success removes a stale failure file and writes none
    versions = model_files(root)
    assert len(versions) == 1 and versions[0].isdigit()
    version = os.path.join(root, "model", versions[0])
    assert os.path.isfile(os.path.join(version, "saved_model.pb"))
    assert {"words.txt", "chars.txt"} <= set(os.listdir(os.path.join(version, "assets")))
    with open(os.path.join(version, "assets.extra", "params.json"), encoding="utf-8") as fh:
        params = json.load(fh)
    # Both encodings decoded to the declared types.
    assert (params["lstm_units"], params["dropout"], params["char_representation"], params["lowercase"]) == (
        int(json.loads(STRING_HPARAMS["lstm_units"])), 0.1, "cnn", True)
    assert any(name.startswith("model.ckpt-150") for name in os.listdir(os.path.join(root, "checkpoints")))
    with open(os.path.join(root, "output", "data", "eval_report.json"), encoding="utf-8") as fh:
        assert json.load(fh)["dev"]["overall"]["f1"] > 0.9


def test_tensorboard_summaries_go_to_the_configured_local_path(trained_root):
    root, _ = trained_root
    train = tensorboard_scalars(os.path.join(root, "tb-local", "train"))
    dev = tensorboard_scalars(os.path.join(root, "tb-local", "eval"))
    assert {"loss", "learning_rate"} <= set(train) and train["loss"][-1][0] == 150
    assert {"f1", "precision", "recall", "loss", "f1/PER", "f1/LOC", "f1/ORG"} <= set(dev)
    assert dev["f1"][-1] == (150, dev["f1"][-1][1]) and dev["f1"][-1][1] > 0.9
    assert not os.path.exists(os.path.join(root, "output", "tensorboard"))


def test_ping(server):
    assert request(server.url + "/ping") == (200, {"status": "ok"})


def entities(result):
    return {(e["type"], e["text"]) for e in result["entities"]}


def assert_spans_match(text, result):
    for entity in result["entities"]:
        assert text[entity["start"]:entity["end"]] == entity["text"]


def test_json_instances_text_and_tokens(server):
    text = "Alice met Bob in Paris ."
    code, body = request(server.url + "/invocations",
                         json.dumps({"instances": [text, ["Globex", "hired", "Eve", "last", "week", "."]]}), JSON)
    assert code == 200 and len(body["predictions"]) == 2
    first, second = body["predictions"]
    assert {("PER", "Alice"), ("PER", "Bob"), ("LOC", "Paris")} <= entities(first)
    assert first["tags"][:2] == ["B-PER", "O"] and len(first["scores"]) == 6
    assert_spans_match(text, first)
    assert {("ORG", "Globex"), ("PER", "Eve")} <= entities(second)
    assert all(0 <= e["score"] <= 1 for r in body["predictions"] for e in r["entities"])


def test_json_inputs(server):
    code, body = request(server.url + "/invocations", json.dumps({"inputs": {"text": ["Carol works for Initech ."]}}),
                         JSON)
    assert code == 200 and {("PER", "Carol"), ("ORG", "Initech")} <= entities(body["outputs"][0])


def test_text_plain_one_sentence_a_line(server):
    lines = ["Hiro works for Acme Corp .", "", "yesterday Eve flew to New York with Bob ."]
    code, body = request(server.url + "/invocations", "\n".join(lines), TEXT + "; charset=utf-8")
    assert code == 200 and len(body["predictions"]) == 3
    assert ("ORG", "Acme Corp") in entities(body["predictions"][0])
    assert body["predictions"][1]["entities"] == []
    assert ("LOC", "New York") in entities(body["predictions"][2])
    assert_spans_match(lines[2], body["predictions"][2])


def test_a_jsonlines_mini_batch_is_answered_one_line_a_record(server):
    """As Batch Transform sends a file split by line: JSON lines in, JSON lines out, blank line kept."""
    import urllib.request

    records = ['"Hiro works for Acme Corp ."', '["Eve", "flew", "to", "New", "York"]', "",
               '{"text": "Dmitri met Farah in Oslo ."}', '{"tokens": ["Umbrella", "Group"]}']
    req = urllib.request.Request(server.url + "/invocations", data=("\n".join(records) + "\n").encode(),
                                 headers={"Content-Type": "application/jsonlines"})
    with urllib.request.urlopen(req, timeout=60) as response:
        assert response.headers["Content-Type"] == "application/jsonlines"
        lines = response.read().decode("utf-8").split("\n")
    answers = [json.loads(line) for line in lines]
    assert [a["tokens"][:1] for a in answers] == [["Hiro"], ["Eve"], [], ["Dmitri"], ["Umbrella"]]
    assert ("LOC", "New York") in entities(answers[1]) and ("ORG", "Umbrella Group") in entities(answers[4])
    # A record that cannot be tagged is answered on its own line; only a mini-batch of nothing else fails.
    req = urllib.request.Request(server.url + "/invocations", data=b'"ok"\n{"text": 3}\n',
                                 headers={"Content-Type": "application/jsonlines"})
    with urllib.request.urlopen(req, timeout=60) as response:
        ok, refused = [json.loads(line) for line in response.read().decode("utf-8").split("\n")]
    assert ok["tokens"] == ["ok"] and refused == {"error": "line 2: 'text' must be a string", "line": 2}
    code, body = request(server.url + "/invocations", '{"text": 3}\n', "application/jsonlines")
    assert code == 400 and body["error"] == "line 1: 'text' must be a string"


def test_a_batch_answers_like_single_requests(server):
    from support.synthetic import synthetic_sentences

    texts = [" ".join(tokens) for tokens, _ in synthetic_sentences(40, 7)]
    code, batch = request(server.url + "/invocations", json.dumps({"instances": texts}), JSON)
    assert code == 200
    for text, result in zip(texts[:5], batch["predictions"]):
        assert request(server.url + "/invocations", json.dumps([text]), JSON)[1]["predictions"][0]["tags"] == \
            result["tags"]


@pytest.mark.parametrize("body,content_type,code", [
    ("{not json", JSON, 400),
    ("", JSON, 400),
    ("Alice met Bob", "text/csv", 415),
    (json.dumps({"instances": ["word"] * 65}), JSON, 413),
    (json.dumps({"instances": ["word " * 5000]}), JSON, 413),
    (json.dumps({"instances": [["w"] * 51]}), JSON, 400),
    (json.dumps({"instances": [[1, 2]]}), JSON, 400),
])
def test_bad_requests_are_4xx_json_and_workers_survive(server, body, content_type, code):
    workers = server.workers()
    status, answer = request(server.url + "/invocations", body, content_type)
    assert status == code and answer["status"] == code and answer["error"]
    assert request(server.url + "/ping")[0] == 200
    assert server.workers() == workers


def test_tensorflow_only_in_the_workers(server):
    def has_tensorflow(pid):
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as fh:
            return "tensorflow" in fh.read()

    assert not has_tensorflow(server.process.pid)
    assert len(server.workers()) == 2 and all(has_tensorflow(pid) for pid in server.workers())
