"""ner_tagger through its HTTP server (``ner_tagger.container.serve``: gunicorn, SageMaker's contract).

The server runs in ner_tagger's interpreter with one worker on a free loopback port, the exported model
mounted as ``<work>/ml/model``; the client here is plain ``urllib`` (one connection per request: gunicorn's
sync workers do not keep connections alive). The figures include JSON encoding and HTTP on both ends,
which is what a caller of the endpoint pays; the in-process figures are the model's own.
"""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from benchmarks import conll_io, timing
from benchmarks.process import thread_env
from benchmarks.settings import ROOT, Settings, split_path

READY_SECONDS = 180


def infer(settings: Settings, model: str, work: str) -> dict:
    sentences = [words for words, _ in conll_io.read_conll(split_path(settings.data_dir, "test"))]
    port = _free_port()
    server = _start(settings, model, work, port)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, server, work)
        chunks = [sentences[i:i + settings.batch_size] for i in range(0, len(sentences), settings.batch_size)]
        words = sum(map(len, sentences))
        return {"batch": timing.throughput(lambda: [_invoke(url, c) for c in chunks], len(sentences), words,
                                           settings.repeats),
                "latency": timing.latency(lambda s: _invoke(url, [s]), sentences, settings.latency_count)}
    finally:
        server.send_signal(signal.SIGTERM)  # gunicorn drains its worker and exits
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _start(settings, model, work, port):
    ml_root = os.path.join(work, "ml")
    os.makedirs(ml_root, exist_ok=True)
    link = os.path.join(ml_root, "model")
    if not os.path.islink(link):
        os.symlink(os.path.abspath(model), link)
    threads = settings.threads or len(os.sched_getaffinity(0))
    env = dict(os.environ, **thread_env(settings.threads), NER_TAGGER_ML_ROOT=ml_root,
               NER_TAGGER_BIND_HOST="127.0.0.1", SAGEMAKER_BIND_TO_PORT=str(port),
               # One worker with every core: the in-process figures use one model with every core too.
               SAGEMAKER_MODEL_SERVER_WORKERS="1", NER_TAGGER_TF_THREADS=str(threads),
               NER_TAGGER_PREDICT_BATCH=str(settings.batch_size), TF_CPP_MIN_LOG_LEVEL="3")
    log = open(os.path.join(work, "serve.log"), "w", encoding="utf-8")
    return subprocess.Popen([settings.tagger_python, "-m", "ner_tagger.container.serve"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)


def _wait_ready(url, server, work):
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"serve exited ({server.returncode}); see {work}/serve.log")
        try:
            with urllib.request.urlopen(url + "/ping", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"serve not ready after {READY_SECONDS} s; see {work}/serve.log")


def _invoke(url, sentences):
    body = json.dumps({"instances": sentences}).encode("utf-8")
    request = urllib.request.Request(url + "/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
