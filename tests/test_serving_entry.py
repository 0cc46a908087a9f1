"""``serving_entry/inference.py`` as the TF Serving container runs it: ``code/inference.py`` beside
``code/lib/ner_tagger`` (what ``launch.make_model`` ships), in a Python without TensorFlow or numpy; and
its time budget against a slow stand-in TF Serving on a real socket."""
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

from ner_tagger.sagemaker import launch
from ner_tagger.serving.payload import RequestError

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


def test_make_model_ships_the_package_as_a_dependency(tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlowModel", lambda **kwargs: captured.update(kwargs))
    launch.make_model("s3://bucket/model.tar.gz", {}, "arn:aws:iam::1:role/r")
    (package,) = captured["dependencies"]
    assert os.path.basename(package) == "ner_tagger"  # the SDK copies it to code/lib/ner_tagger
    shipped = {os.path.relpath(os.path.join(d, f), package) for d, _, files in os.walk(package) for f in files}
    assert shipped == set(launch.SERVE_MODULES)


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


def _inference_module():
    spec = importlib.util.spec_from_file_location("inference_under_test",
                                                  os.path.join(launch.SERVE_SOURCE, launch.SERVE_ENTRY))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _context(url, content_type="application/json"):
    return types.SimpleNamespace(rest_uri=url, request_content_type=content_type, accept_header="application/json")


def test_a_slow_tf_serving_gets_a_clear_error_before_the_gunicorn_timeout(monkeypatch):
    monkeypatch.setenv("SAGEMAKER_GUNICORN_TIMEOUT_SECONDS", "3")  # budget: 3 s less 1 s
    monkeypatch.delenv("SAGEMAKER_BATCH", raising=False)
    monkeypatch.delenv("SAGEMAKER_MAX_PAYLOAD_IN_MB", raising=False)
    inference = _inference_module()
    tf_serving = SlowTFServing(delay=6)  # longer than gunicorn's 3 s
    try:
        began = time.monotonic()
        with pytest.raises(RequestError) as err:
            inference.handler(io.BytesIO(b'{"instances": ["Alice met Bob"]}'), _context(tf_serving.url))
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
    inference = _inference_module()
    tf_serving = SlowTFServing(delay=0.5)  # each call well within the budget, ten of them well over it
    try:
        began = time.monotonic()
        with pytest.raises(RequestError, match="of 10 sentences tagged"):
            inference.handler(io.BytesIO(json.dumps([f"Name{i} left" for i in range(10)]).encode()),
                              _context(tf_serving.url))
        waited = time.monotonic() - began
    finally:
        tf_serving.close()
    assert waited < 3 and 1 <= tf_serving.calls < 10


def test_the_budget_follows_the_containers_timeouts_and_the_launchers_transform_settings():
    inference = _inference_module()
    assert inference.request_budget_s({}) == 27  # the container's default 30 s gunicorn timeout
    assert inference.request_budget_s({"SAGEMAKER_GUNICORN_TIMEOUT_SECONDS": "120"}) == 54  # real time: 60 s
    transform = dict(launch.TRANSFORM_ENV, SAGEMAKER_BATCH="true")
    assert inference.request_budget_s(transform) == 540 < launch.TRANSFORM_TIMEOUT_S
    assert int(launch.TRANSFORM_ENV["SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS"]) >= \
        int(launch.TRANSFORM_ENV["SAGEMAKER_GUNICORN_TIMEOUT_SECONDS"])
