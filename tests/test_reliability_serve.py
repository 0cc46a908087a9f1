"""`serve` under load, under fuzzing and at its limits, over real HTTP: the shared tiny model (conftest
``trained``) in a stand-in /opt/ml/model, gunicorn as `serve` starts it by default (one worker process serving
concurrent requests from threads), small limits so the oversize cases stay cheap. (`train` writing that
folder is tests/test_container_end_to_end.py's subject.)

The load test is benchmarks/loadtest.py's own code (imported from the file; scripts/ is not a package)."""
import http.client
import importlib.util
import json
import os
import shutil
import string
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.container_harness import REPO, Server, request

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

JSON, TEXT = "application/json", "text/plain"
LIMITS = {"NER_TAGGER_MAX_BODY_BYTES": 30000, "NER_TAGGER_MAX_BATCH": 8, "NER_TAGGER_MAX_SENTENCE_TOKENS": 120,
          "NER_TAGGER_MAX_SENTENCE_CHARS": 5000, "NER_TAGGER_MAX_REQUEST_TOKENS": 400}
# The load test's bodies (1-3 wnut17 sentences of at most 105 tokens each) fit under every limit above.


def _load_script():
    spec = importlib.util.spec_from_file_location("loadtest_serve", os.path.join(REPO, "benchmarks", "loadtest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


loadtest = _load_script()


@pytest.fixture(scope="module")
def server(trained, tmp_path_factory):
    root = tmp_path_factory.mktemp("opt_ml")
    shutil.copytree(trained["export"], root / "model")  # /opt/ml/model as `train` leaves it
    server = Server(str(root), **LIMITS)
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def post(server, body: bytes, content_type=None, chunked=False):
    """(status, raw body) with exactly the headers given: no Content-Type unless asked (urllib adds one)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        headers = {"Content-Type": content_type} if content_type is not None else {}
        conn.request("POST", "/invocations", iter([body]) if chunked else body, headers, encode_chunked=chunked)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ----- load -----

def test_concurrent_load_answers_like_sequential_requests(server):
    requests = loadtest.build_requests(loadtest.read_sentences(loadtest.DEFAULT_DATA), 40, seed=3)
    workers = server.workers()
    report = loadtest.load_test(server.url, server.process.pid, requests, concurrency=6, duration_s=10,
                                max_requests=300, warmup_s=2, max_rss_growth_mib=50)
    print(json.dumps(report, indent=1))
    assert report["requests"] >= 50
    assert report["status"] == {"200": report["requests"]}
    assert report["errors_5xx"] == report["transport_errors"] == report["mismatches"] == 0
    assert report["workers_restarted"] == 0 and server.workers() == workers
    # One process with the model served all six clients (the master holds no model).
    roles = sorted(p["role"] for p in report["rss_mib"].values())
    assert roles == ["master", "worker"] and report["processes"] == 2 and len(workers) == 1
    assert report["words_per_s"] > 0 and report["rss_total_mib"] >= max(p["max"] for p in report["rss_mib"].values())
    assert all(p["samples"] >= 2 and p["growth"] <= 50 for p in report["rss_mib"].values())
    assert report["problems"] == []


def test_load_counts_answers_that_differ_from_the_reference(server):
    requests = loadtest.build_requests(loadtest.read_sentences(loadtest.DEFAULT_DATA), 2, seed=4)
    answers = loadtest.references(server.url, requests)
    wrong = [answers[0], {"predictions": []}]
    load = loadtest.Load(server.url, requests, wrong, seed=5)
    elapsed = load.run(concurrency=2, duration_s=10, max_requests=12)
    summary = loadtest.summarize(load, elapsed, 2)
    sent_second = sum(1 for index, *_ in load.records if index == 1)
    assert summary["requests"] == 12 and sent_second > 0
    assert summary["mismatches"] == sent_second
    assert loadtest.verdict(dict(summary, rss_max_growth_mib=60.0), 50) == [
        f"mismatches: {sent_second}", "RSS grew by 60.0 MiB in one process after the warm-up; the bound is 50"]


def test_percentile_is_an_observed_value():
    values = sorted(float(v) for v in range(1, 101))
    assert [loadtest.percentile(values, q) for q in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert loadtest.percentile([7.0], 99) == 7.0 and loadtest.percentile([], 50) is None


# ----- fuzz -----

TEXTS = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=60)
LONG_TOKEN = st.text(min_size=1000, max_size=4000)
LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | TEXTS
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXTS, inner, max_size=4),
                      max_leaves=20)
TOKENS = st.lists(TEXTS | LONG_TOKEN, max_size=6) | st.lists(VALUES, max_size=4)
INSTANCES = st.lists(TEXTS | TOKENS | VALUES | st.builds(lambda v: {"text": v}, TEXTS | VALUES)
                     | st.builds(lambda v: {"tokens": v}, TOKENS | VALUES), max_size=6)
DOCUMENTS = (st.builds(lambda v: {"instances": v}, INSTANCES | VALUES)
             | st.builds(lambda v: {"inputs": v}, INSTANCES | VALUES | TEXTS
                         | st.dictionaries(st.sampled_from(["text", "tokens", "words"]), INSTANCES | VALUES,
                                           max_size=2))
             | VALUES)
JSON_BODIES = st.builds(lambda doc, ascii: json.dumps(doc, ensure_ascii=ascii).encode("utf-8", "surrogatepass"),
                        DOCUMENTS, st.booleans())
HUGE_NUMBERS = st.integers(4301, 9000).map(lambda n: b'{"instances": [' + b"7" * n + b"]}")
DEEP = st.integers(10, 40000).map(lambda n: b"[" * n)
# JSON twice: the branch that reaches the model deserves more of the examples than raw bytes do.
BODIES = (JSON_BODIES | JSON_BODIES | st.binary(max_size=2000)
          | TEXTS.map(lambda t: t.encode("utf-8", "surrogatepass")) | HUGE_NUMBERS | DEEP | st.just(b"")
          | st.sampled_from([b"\n\n", b'{"instances": [""]}', b'[[""]]']))
CHARSETS = ["utf-8", "latin-1", "utf-16", "utf-32", "ascii", "undefined", "punycode", "idna", "unicode_escape",
            "utf-7", "rot13", "base64", "", "no-such-codec", "utf\\0"]
CONTENT_TYPES = (st.sampled_from([JSON, TEXT, "application/json; charset=latin-1", "Application/JSON"])
                 | st.sampled_from([JSON, TEXT, "*/*", "text/csv", "image/png", ""])
                 | st.builds(lambda media, cs: f"{media}; charset={cs}", st.sampled_from([JSON, TEXT]),
                             st.sampled_from(CHARSETS))
                 | st.text(st.sampled_from(string.printable.strip() + " "), max_size=40)
                 | st.none())


def check_answer(status, data):
    """2xx with a list of results, or 4xx with a JSON error naming its status: never 5xx, never HTML."""
    assert 200 <= status < 300 or 400 <= status < 500, (status, data[:300])
    answer = json.loads(data)
    if status >= 400:
        assert isinstance(answer["error"], str) and answer["error"] and answer["status"] == status
    else:
        (key, results), = answer.items()
        assert key in ("predictions", "outputs") and isinstance(results, list)


def test_fuzzed_invocations_are_2xx_or_json_4xx_and_no_worker_dies(server):
    workers, statuses = server.workers(), {}

    @settings(max_examples=500, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=BODIES, content_type=CONTENT_TYPES)
    def fuzz(body, content_type):
        status, data = post(server, body, content_type)
        statuses[status] = statuses.get(status, 0) + 1
        check_answer(status, data)

    fuzz()
    print("fuzz examples by status:", dict(sorted(statuses.items())))
    assert sum(statuses.values()) >= 500 and 200 in statuses and 400 in statuses
    assert request(server.url + "/ping") == (200, {"status": "ok"})
    assert server.workers() == workers
    log = server.output()
    assert "invocation failed" not in log and "Traceback" not in log and "WORKER TIMEOUT" not in log


@pytest.mark.parametrize("body,content_type", [
    (b'{"instances": [' + b"1" * 5000 + b"]}", JSON),  # Python's 4300-digit integer limit: a ValueError
    (b"Alice met Bob", "text/plain; charset=undefined"),  # codecs that raise UnicodeError, not a decode error
    (b"abc-9999999", "text/plain; charset=punycode"),
    (b'{"instances": ["Alice \\ud800 met Bob"]}', JSON),  # a lone surrogate: no UTF-8 form for the model
    (b'{"instances": [["Alice", "\\udfff"]]}', JSON),
    (b"Alice \\ud800", "text/plain; charset=unicode_escape"),
])
def test_fuzz_findings_are_400_over_http(server, body, content_type):
    status, data = post(server, body, content_type)
    assert status == 400, data
    check_answer(status, data)


# ----- limits -----

def error(status_and_data):
    status, data = status_and_data
    return status, json.loads(data)["error"]


def sentences(n, tokens):
    return json.dumps({"instances": [["w"] * tokens for _ in range(n)]}).encode()


@pytest.mark.parametrize("variable,ok,over,code", [
    ("NER_TAGGER_MAX_BODY_BYTES", b'{"instances": ["Alice"]}'.ljust(30000), b'{"instances": ["Alice"]}'.ljust(30001),
     413),
    ("NER_TAGGER_MAX_BATCH", sentences(8, 1), sentences(9, 1), 413),
    ("NER_TAGGER_MAX_SENTENCE_TOKENS", sentences(1, 120), sentences(1, 121), 400),
    ("NER_TAGGER_MAX_SENTENCE_CHARS", json.dumps(["x" * 5000]).encode(), json.dumps(["x" * 5001]).encode(), 400),
    ("NER_TAGGER_MAX_REQUEST_TOKENS", sentences(4, 100), sentences(4, 101), 413),
])
def test_each_limit_is_configured_by_its_variable_and_named_when_hit(server, variable, ok, over, code):
    assert post(server, ok, JSON)[0] == 200
    status, message = error(post(server, over, JSON))
    assert status == code and variable in message and str(LIMITS[variable]) in message


def test_body_limit_holds_for_chunked_uploads(server):
    status, message = error(post(server, b" " * 30001, JSON, chunked=True))
    assert status == 413 and "NER_TAGGER_MAX_BODY_BYTES" in message
    assert post(server, json.dumps(["Alice met Bob"]).encode(), JSON, chunked=True)[0] == 200


# ----- time -----

# Loaded by every Python that `serve` starts (on PYTHONPATH): once a gunicorn worker imports the model code,
# each sentence holding the word "slowly" takes the model a second more, as a big batch on a busy CPU would,
# and the file $SLOW_MARK is written when such a sentence starts. The master never imports that module, so
# it stays free of TensorFlow.
SLOW_MODEL = """
import importlib.util, os, sys, time

class SlowModel:
    def find_spec(self, name, path=None, target=None):
        if name != "ner_tagger.serving.exported_model":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            predict = module.Predictor.predict_text

            def slow(self, texts, scores=True):
                if any("slowly" in text for text in texts):
                    open(os.environ["SLOW_MARK"], "a").close()
                time.sleep(sum(1.0 for text in texts if "slowly" in text))
                return predict(self, texts, scores)

            module.Predictor.predict_text = slow

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, SlowModel())
"""
WORKER_TIMEOUT = 12  # gunicorn --timeout: long enough for a worker to boot (TensorFlow, the model)


@pytest.fixture(scope="module")
def slow_server(trained, tmp_path_factory):
    root = tmp_path_factory.mktemp("opt_ml_slow")
    shutil.copytree(trained["export"], root / "model")
    site = root / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_MODEL, encoding="utf-8")
    server = Server(str(root), SAGEMAKER_MODEL_SERVER_TIMEOUT=WORKER_TIMEOUT, NER_TAGGER_PREDICT_BATCH=1,
                    SLOW_MARK=str(root / "slow-started"),
                    PYTHONPATH=os.pathsep.join([str(site), REPO, os.environ.get("PYTHONPATH", "")]))
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_a_request_over_the_worker_timeout_is_a_json_503_and_the_worker_lives(slow_server):
    workers = slow_server.workers()
    body = json.dumps([f"Alice left slowly {i}" for i in range(30)]).encode()  # 30 s of model time
    began = time.monotonic()
    status, data = post(slow_server, body, JSON)
    waited = time.monotonic() - began
    assert status == 503, data[:300]
    answer = json.loads(data)
    assert answer["status"] == 503 and f"SAGEMAKER_MODEL_SERVER_TIMEOUT={WORKER_TIMEOUT}" in answer["error"]
    assert "of 30 sentences tagged" in answer["error"]
    assert waited < WORKER_TIMEOUT
    status, data = post(slow_server, json.dumps(["Alice met Bob"]).encode(), JSON)
    assert status == 200 and json.loads(data)["predictions"][0]["tokens"] == ["Alice", "met", "Bob"]
    assert slow_server.workers() == workers and len(workers) == 1
    assert "WORKER TIMEOUT" not in slow_server.output()


def test_while_a_slow_request_runs_the_same_process_answers_others_and_then_the_slow_one_503(slow_server):
    """Threads: a slow request holds one thread, not the process. Its 503 still comes from the request's budget
    (a threaded worker's --timeout never fires for a slow request)."""
    workers, mark = slow_server.workers(), os.path.join(os.path.dirname(slow_server.log.name), "slow-started")
    if os.path.exists(mark):
        os.remove(mark)
    slow = {}
    body = json.dumps([f"Alice left slowly {i}" for i in range(30)]).encode()
    thread = threading.Thread(target=lambda: slow.update(answer=post(slow_server, body, JSON)))
    thread.start()
    for _ in range(600):  # until the slow request is inside the model (at most a minute)
        if os.path.exists(mark):
            break
        time.sleep(0.1)
    assert os.path.exists(mark), slow_server.output()[-2000:]
    for sentence in ("Alice met Bob", "Bob met Alice in Paris"):
        status, data = post(slow_server, json.dumps([sentence]).encode(), JSON)
        assert status == 200 and json.loads(data)["predictions"][0]["tokens"] == sentence.split()
    assert thread.is_alive() and not slow  # answered while the slow one was still in the model
    thread.join(60)
    status, data = slow["answer"]
    assert status == 503 and "of 30 sentences tagged" in json.loads(data)["error"]
    assert slow_server.workers() == workers and len(workers) == 1
