"""Helpers for the container tests: a scaffolded /opt/ml, the `train`/`serve` executables as subprocesses,
and a small HTTP client. Everything runs without Docker: NER_TAGGER_ML_ROOT stands in for /opt/ml."""
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

from ner_tagger.serving.local_server import ServeProcess
from support.synthetic import TINY, synthetic_sentences, write_conll

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_DIR = os.path.join(REPO, "test_dir")
TRAIN = os.path.join(REPO, "container", "train")
SERVE = os.path.join(REPO, "container", "serve")

# hyperparameters.json as SageMaker writes it: every value a string. Half plain (console, CLI, hand-written),
# half JSON-encoded (SageMaker Python SDK v2), so both decodings are exercised in one run.
STRING_HPARAMS = {
    "word_dim": str(TINY["word_dim"]), "char_dim": json.dumps(str(TINY["char_dim"])),
    "char_filters": str(TINY["char_filters"]), "lstm_units": json.dumps(str(TINY["lstm_units"])),
    "batch_size": str(TINY["batch_size"]), "dropout": json.dumps(str(TINY["dropout"])),
    "learning_rate": str(TINY["learning_rate"]), "eval_every_steps": "75", "max_steps": json.dumps("150"),
    "early_stopping_patience": "0", "char_representation": json.dumps("cnn"), "lowercase": "True",
    "normalize_digits": json.dumps("true"), "tag_scheme": json.dumps("iob2"),
}


def scaffold(root, hyperparameters=None, train=None, dev=None):
    """A copy of test_dir's shape under ``root``, with synthetic data unless ``train``/``dev`` are given."""
    config = os.path.join(root, "input", "config")
    channel = os.path.join(root, "input", "data", "training")
    os.makedirs(channel, exist_ok=True)
    shutil.copytree(os.path.join(TEST_DIR, "input", "config"), config, dirs_exist_ok=True)
    with open(os.path.join(config, "hyperparameters.json"), "w", encoding="utf-8") as fh:
        json.dump(STRING_HPARAMS if hyperparameters is None else hyperparameters, fh, indent=2)
    write_conll(os.path.join(channel, "train.txt"), train or synthetic_sentences(300, 1))
    write_conll(os.path.join(channel, "dev.txt"), dev or synthetic_sentences(60, 2))
    return str(root)


def container_env(root, **extra):
    env = dict(os.environ, NER_TAGGER_ML_ROOT=str(root), NER_TAGGER_PYTHON=sys.executable,
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)  # a cluster description from elsewhere would make `train` wait for its peers
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_train(root, timeout=240, **env):
    return subprocess.run([TRAIN], env=container_env(root, **env), cwd=str(root), capture_output=True,
                          text=True, timeout=timeout)


def model_files(root):
    folder = os.path.join(root, "model")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def failure(root):
    path = os.path.join(root, "output", "failure")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def Server(root, workers=None, **env):  # noqa: N802 (the tests' name for it)
    """`serve` as a real process (gunicorn) on a free loopback port, logging to <root>/serve.log; ``workers``
    None: serve's default (one process, threads)."""
    return ServeProcess(root, workers, env=env)


def request(url, body=None, content_type=None, method=None, timeout=60, headers=None):
    """(status, parsed JSON body) for one HTTP request; 4xx/5xx are returned, not raised."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    if content_type:
        req.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
