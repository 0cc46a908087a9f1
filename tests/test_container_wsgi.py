"""gunicorn's application module (:mod:`ner_tagger.container.wsgi`): importing it loads the model from the
model folder with ``serve``'s settings, or fails. Each test imports it in a fresh interpreter, as a gunicorn
worker does after the fork: TensorFlow's thread pools can be sized only before its first op. The server
itself (gunicorn, workers, timeouts): tests/test_reliability_serve.py."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from ner_tagger.serving import core, deadline
from ner_tagger.serving.local_server import REPO

pytestmark = pytest.mark.slow  # imports TensorFlow and loads a model in a subprocess

WORKER = """
import dataclasses, io, json
import tensorflow as tf
from ner_tagger.container import wsgi

app = wsgi.application

def call(method, path, body=b""):
    seen = {}
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body),
               "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body))}
    data = b"".join(app(environ, lambda status, headers: seen.update(status=status)))
    return seen["status"], json.loads(data)

print(json.dumps({"app": type(app).__name__, "version_dir": app.predictor.version_dir,
                  "batch_size": app.batch_size, "concurrency": app.concurrency, "budget_s": app.budget_s,
                  "budget_setting": app.budget_setting, "limits": dataclasses.asdict(app.limits),
                  "threads": [tf.config.threading.get_intra_op_parallelism_threads(),
                              tf.config.threading.get_inter_op_parallelism_threads()],
                  "ping": call("GET", "/ping"),
                  "invocation": call("POST", "/invocations", b'["Bob works for Globex ."]')}))
"""


def _worker(root, **settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "NER_TAGGER_"))}
    env.update(NER_TAGGER_ML_ROOT=str(root), PYTHONPATH=REPO, **{k: str(v) for k, v in settings.items()})
    return subprocess.run([sys.executable, "-c", WORKER], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_application_serves_the_model_folder_with_serves_settings(trained, tmp_path):
    shutil.copytree(trained["export"], tmp_path / "model")
    # Three one-thread workers: three requests worth sending at once, whatever the machine's cores.
    done = _worker(tmp_path, SAGEMAKER_MODEL_SERVER_WORKERS=3, NER_TAGGER_SERVE_THREADS=1,
                   SAGEMAKER_MODEL_SERVER_TIMEOUT=20, NER_TAGGER_TF_THREADS=2, NER_TAGGER_PREDICT_BATCH=7,
                   NER_TAGGER_MAX_SENTENCE_TOKENS=40)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["app"] == "InvocationsApp"
    assert out["version_dir"] == core.latest_version(str(tmp_path / "model"))
    assert (out["batch_size"], out["concurrency"], out["threads"]) == (7, 3, [2, 2])
    assert out["budget_s"] == deadline.budget(20, False)
    assert out["budget_setting"] == "SAGEMAKER_MODEL_SERVER_TIMEOUT=20 less a margin"
    assert out["limits"]["max_sentence_tokens"] == 40
    assert out["ping"] == ["200 OK", {"status": "ok"}]
    status, answer = out["invocation"]
    assert status == "200 OK"
    [prediction] = answer["predictions"]
    assert prediction["tags"] == ["B-PER", "O", "O", "B-ORG", "O"]
    assert f"serve: worker loaded {out['version_dir']}" in done.stderr


def test_a_folder_without_a_model_stops_the_worker_at_import(tmp_path):
    (tmp_path / "model").mkdir()
    done = _worker(tmp_path)
    assert done.returncode == 1
    assert f"ModelNotFoundError: {tmp_path / 'model'}: no SavedModel" in done.stderr
