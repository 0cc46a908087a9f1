"""ner_tagger through its HTTP server (``ner_tagger.container.serve``: gunicorn, SageMaker's contract).

The server runs in ner_tagger's interpreter with one worker on a free loopback port, the exported model
mounted as ``<work>/ml/model``; the client here is plain ``urllib``, one connection per request (a new
connection's cost is in every figure, as for a caller that does not keep connections alive; the threaded
worker would keep them). The figures include JSON encoding and HTTP on both ends,
which is what a caller of the endpoint pays; the in-process figures are the model's own.
"""
import json
import os
import urllib.request

from benchmarks import conll_io, process, timing
from benchmarks.process import thread_env
from benchmarks.settings import Settings, split_path
from ner_tagger.serving.local_server import ServeProcess

READY_SECONDS = 180


def infer(settings: Settings, model: str, work: str) -> dict:
    sentences = [words for words, _ in conll_io.read_conll(split_path(settings.data_dir, "test"))]
    server = _start(settings, model, work)
    try:
        server.wait_ready(READY_SECONDS)
        chunks = [sentences[i:i + settings.batch_size] for i in range(0, len(sentences), settings.batch_size)]
        words = sum(map(len, sentences))
        return {"batch": timing.throughput(lambda: [_invoke(server.url, c) for c in chunks], len(sentences),
                                           words, settings.repeats),
                "latency": timing.latency(lambda s: _invoke(server.url, [s]), sentences, settings.latency_count),
                "latency_tags_only": timing.latency(lambda s: _invoke(server.url, [s], scores=False), sentences,
                                                    settings.latency_count),
                # After the requests above: what a warm worker holds (its model, TF's pools and caches).
                "worker_rss_mb": [process.rss_mb(pid) for pid in server.workers()]}
    finally:
        server.stop()  # gunicorn drains its worker and exits


def _start(settings, model, work):
    ml_root = os.path.join(work, "ml")
    os.makedirs(ml_root, exist_ok=True)
    link = os.path.join(ml_root, "model")
    if not os.path.islink(link):
        os.symlink(os.path.abspath(model), link)
    threads = settings.threads or len(os.sched_getaffinity(0))
    # One worker with every core: the in-process figures use one model with every core too.
    env = dict(thread_env(settings.threads), NER_TAGGER_TF_THREADS=threads,
               NER_TAGGER_PREDICT_BATCH=settings.batch_size)
    return ServeProcess(ml_root, workers=1, env=env, log_path=os.path.join(work, "serve.log"),
                        python=settings.tagger_python)


def _invoke(url, sentences, scores=True):
    body = json.dumps({"instances": sentences} if scores else {"instances": sentences, "scores": False})
    body = body.encode("utf-8")
    request = urllib.request.Request(url + "/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())
