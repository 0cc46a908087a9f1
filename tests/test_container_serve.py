"""`serve`'s settings from the environment, the gunicorn command line, and refusing to start without a model."""
import json
import os
import pwd
import subprocess
import sys

import pytest

from ner_tagger.container import serve
from ner_tagger.container.serve import ServeSettings, SettingsError
from ner_tagger.serving.local_server import REPO, SERVE

HEAVY = ("tensorflow", "tensorflow_addons", "numpy")


def test_defaults_follow_sagemaker():
    settings = ServeSettings.from_env({})
    cores = os.cpu_count() or 1
    assert (settings.port, settings.workers, settings.timeout) == (8080, 1, 60)
    assert settings.model_dir == "/opt/ml/model"
    # One process: its request threads share one model, its TensorFlow pools every core.
    assert (settings.threads, settings.tf_threads) == (4 * cores, cores)
    assert settings.concurrency == cores  # Batch Transform: a request a core at once


def test_sagemaker_variables():
    settings = ServeSettings.from_env({
        "SAGEMAKER_BIND_TO_PORT": "9000", "SAGEMAKER_MODEL_SERVER_WORKERS": "3",
        "SAGEMAKER_MODEL_SERVER_TIMEOUT": "120", "NER_TAGGER_ML_ROOT": "/tmp/ml", "NER_TAGGER_MAX_BATCH": "9",
        "NER_TAGGER_TF_THREADS": "2", "NER_TAGGER_SERVE_THREADS": "5"})
    assert (settings.port, settings.workers, settings.timeout, settings.tf_threads) == (9000, 3, 120, 2)
    assert settings.threads == 5
    assert settings.model_dir == "/tmp/ml/model" and settings.limits.max_batch == 9


@pytest.mark.parametrize("name,value", [("SAGEMAKER_BIND_TO_PORT", "70000"), ("SAGEMAKER_MODEL_SERVER_WORKERS", "0"),
                                        ("SAGEMAKER_MODEL_SERVER_TIMEOUT", "soon"), ("NER_TAGGER_MAX_BODY_BYTES", "x"),
                                        ("NER_TAGGER_SERVE_THREADS", "0")])
def test_bad_settings_are_named(name, value):
    with pytest.raises(SettingsError, match=name):
        ServeSettings.from_env({name: value})


def test_gunicorn_command_line():
    argv = serve.gunicorn_argv(ServeSettings(host="127.0.0.1", port=8123, workers=1, threads=8, timeout=30))
    assert argv[:3] == [sys.executable, "-m", "gunicorn"] and argv[-1] == serve.APP
    joined = " ".join(argv)
    for part in ("--bind 127.0.0.1:8123", "--workers 1", "--timeout 30", "--worker-class gthread --threads 8"):
        assert part in joined
    assert "--preload" not in argv  # the app (and TensorFlow) must load in the workers, not the master


def test_one_thread_is_the_sync_worker():
    argv = serve.gunicorn_argv(ServeSettings(workers=3, threads=1))
    assert "--workers 3 --worker-class sync" in " ".join(argv) and "--threads" not in argv


@pytest.mark.parametrize("workers,threads,cores,expected", [
    (1, 8, 2, 2),   # one process, threads: a request a core
    (1, 1, 2, 1),   # one sync worker: one request at a time
    (4, 1, 2, 4),   # sync workers, as many as asked
    (2, 8, 16, 16),
    (1, 2, 16, 2),  # never more than can run at once
])
def test_concurrency_is_what_runs_in_parallel(monkeypatch, workers, threads, cores, expected):
    monkeypatch.setattr(serve.os, "cpu_count", lambda: cores)
    assert ServeSettings(workers=workers, threads=threads).concurrency == expected


def test_refuses_to_start_without_a_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NER_TAGGER_ML_ROOT", str(tmp_path))
    monkeypatch.setattr(serve.os, "execv", lambda *a: pytest.fail("must not start gunicorn"))
    assert serve.main() == 2
    assert "no SavedModel" in capsys.readouterr().err


def test_privileges_dropped_only_when_root_and_asked(monkeypatch):
    calls = []
    monkeypatch.setattr(serve.os, "setuid", calls.append)
    monkeypatch.setattr(serve.os, "setgid", calls.append)
    monkeypatch.setattr(serve.os, "setgroups", calls.append)
    serve.drop_privileges("")
    monkeypatch.setattr(serve.os, "geteuid", lambda: 1000)
    serve.drop_privileges("nobody")
    assert calls == []
    monkeypatch.setattr(serve.os, "geteuid", lambda: 0)
    with pytest.raises(SettingsError, match="no such user"):
        serve.drop_privileges("no-such-user-here")
    monkeypatch.setenv("HOME", os.environ.get("HOME", "/root"))
    monkeypatch.setenv("USER", os.environ.get("USER", "root"))
    serve.drop_privileges("nobody")
    nobody = pwd.getpwnam("nobody")
    assert calls == [[], nobody.pw_gid, nobody.pw_uid]


def test_the_serve_executable_imports_no_tensorflow(tmp_path):
    """``container/serve`` as the image runs it, under ``-X importtime`` (PYTHONPROFILEIMPORTTIME): an empty
    /opt/ml makes it stop before the exec, after every module-level import."""
    env = dict(os.environ, NER_TAGGER_ML_ROOT=str(tmp_path), NER_TAGGER_PYTHON=sys.executable,
               PYTHONPATH=REPO, PYTHONPROFILEIMPORTTIME="1")
    proc = subprocess.run([SERVE], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == serve.EXIT_USER_ERROR and "no SavedModel" in proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "import time:" in line}
    assert "ner_tagger.serving.payload" in imported  # serve itself runs as __main__
    assert not {name for name in imported if name.split(".")[0] in HEAVY}


def test_serve_reaches_the_exec_of_gunicorn_without_tensorflow(tmp_path):
    """The whole of ``main`` with a model present, up to ``os.execv`` (stubbed): the gunicorn master that
    replaces this process must start without TensorFlow (its workers fork from it)."""
    os.makedirs(tmp_path / "model" / "1")
    (tmp_path / "model" / "1" / "saved_model.pb").write_bytes(b"")
    script = ("import json, os, sys\n"
              "from ner_tagger.container import serve\n"
              "def execv(path, argv):\n"
              "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in %r)\n"
              "    print(json.dumps({'argv': argv, 'heavy': heavy}))\n"
              "    sys.exit(0)\n"
              "os.execv = execv\n"
              "sys.exit(serve.main())\n") % (HEAVY,)
    env = dict(os.environ, NER_TAGGER_ML_ROOT=str(tmp_path), PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["argv"][-1] == serve.APP and out["heavy"] == []


def test_batch_transform_gets_a_longer_request_timeout():
    batch = ServeSettings.from_env({"SAGEMAKER_BATCH": "true", "SAGEMAKER_MAX_PAYLOAD_IN_MB": "20"})
    assert batch.timeout == serve.BATCH_TRANSFORM_TIMEOUT and batch.limits.max_body_bytes == 20 * 1024 * 1024
    assert ServeSettings.from_env({"SAGEMAKER_BATCH": "true", "SAGEMAKER_MODEL_SERVER_TIMEOUT": "90"}).timeout == 90
    with pytest.raises(SettingsError, match="SAGEMAKER_MAX_PAYLOAD_IN_MB"):
        ServeSettings.from_env({"SAGEMAKER_MAX_PAYLOAD_IN_MB": "many"})
