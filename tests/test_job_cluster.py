"""Roles from the toolkit's own ``TF_CONFIG`` and the worker's wait for its master (what each task trains on and
its session config: tests/test_job_estimator_run.py)."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from support.synthetic import TINY, synthetic_sentences, write_conll

from ner_tagger.job import cluster

# The toolkit imports sagemaker_training, which reads SAGEMAKER_BASE_DIR (and may create folders) at import
# time: ask it for its TF_CONFIGs in a separate interpreter.
TOOLKIT_CONFIGS = """
import json
from sagemaker_tensorflow_container import training as t
hosts = ["algo-1", "algo-2", "algo-3"]
print(json.dumps({"ps": [t._build_tf_config_for_ps(hosts, h) for h in hosts],
                  "mwms": [t._build_tf_config_for_mwms(hosts, h) for h in hosts],
                  "ps_single": t._build_tf_config_for_ps(["algo-1"], "algo-1")}))
"""


@pytest.fixture(scope="module")
def toolkit_configs(tmp_path_factory):
    env = dict(os.environ, SAGEMAKER_BASE_DIR=str(tmp_path_factory.mktemp("opt_ml")), TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", TOOLKIT_CONFIGS], env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_parameter_server_roles(toolkit_configs):
    roles = [cluster.role_from_tf_config(c) for c in toolkit_configs["ps"]]
    assert [(r.mode, r.task_type, r.task_index) for r in roles] == [
        ("parameter_server", "master", 0), ("parameter_server", "worker", 0), ("parameter_server", "worker", 1)]
    assert [r.is_chief for r in roles] == [True, False, False]
    assert roles[0].num_workers == 3
    assert all(r.master == "algo-1:2222" for r in roles)  # what a worker waits on after its training


def test_one_host_parameter_server_config_is_still_chief(toolkit_configs):
    role = cluster.role_from_tf_config(toolkit_configs["ps_single"])
    assert role.is_chief and role.task_type == "master"


def test_no_tf_config_is_a_single_process(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    role = cluster.current_role()
    assert role.mode == cluster.SINGLE and role.is_chief
    assert cluster.role_from_tf_config({"cluster": {}}).mode == cluster.SINGLE


# The real parameter-server job (processes, roles, export, the worker outliving the master) is in
# tests/test_reliability_distributed.py, which also kills and restarts its worker.


# ----- multi_worker_mirrored_strategy is refused, not half-supported -----

def test_toolkit_multi_worker_mirrored_tf_config_is_refused_with_the_reason(toolkit_configs):
    from ner_tagger.errors import HParamsError

    # The toolkit's MWMS TF_CONFIG (workers only, port 8890): the estimator would train but never evaluate
    # (no evaluator task), and the non-chief workers would fail at export.
    for config in toolkit_configs["mwms"]:
        with pytest.raises(HParamsError, match="multi_worker_mirrored_strategy.*parameter_server"):
            cluster.role_from_tf_config(config)


def test_launcher_refuses_multi_worker_mirrored_strategy(tmp_path):
    from ner_tagger.errors import HParamsError
    from ner_tagger.sagemaker import launch

    assert set(launch.DISTRIBUTIONS) == {"parameter_server"}
    path = tmp_path / "sagemaker.json"
    path.write_text(json.dumps({"distribution": "multi_worker_mirrored_strategy", "instance_count": 2}))
    with pytest.raises(HParamsError, match="not supported.*parameter_server"):
        launch.load_config(str(path))


def _entry_env(monkeypatch, base, data, tf_config):
    """The environment the toolkit gives the script, on a temporary /opt/ml."""
    (base / "model").mkdir(parents=True)
    (base / "output" / "data").mkdir(parents=True)
    for key, value in dict(SAGEMAKER_BASE_DIR=str(base), SM_CHANNEL_TRAINING=str(data),
                           SM_MODEL_DIR=str(base / "model"), SM_OUTPUT_DATA_DIR=str(base / "output/data"),
                           SM_HPS="{}").items():
        monkeypatch.setenv(key, value)
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))


def test_entry_refuses_a_multi_worker_mirrored_tf_config(toolkit_configs, tmp_path, monkeypatch):
    from ner_tagger.sagemaker import script_mode

    data = tmp_path / "data"
    data.mkdir()
    write_conll(data / "train.txt", synthetic_sentences(50, 1))
    write_conll(data / "dev.txt", synthetic_sentences(10, 2))
    base = tmp_path / "opt_ml"
    _entry_env(monkeypatch, base, data, toolkit_configs["mwms"][1])
    flags = dict(TINY, max_steps=5)
    code = script_mode.main([a for k, v in flags.items() for a in (f"--{k}", str(v))])
    assert code == 2
    failure = (base / "output" / "failure").read_text()
    assert "multi_worker_mirrored_strategy" in failure and "parameter_server" in failure
    assert not os.listdir(base / "model")


# ----- a worker waits for the master itself; no chief ends without a model -----

def _listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    return server, f"127.0.0.1:{server.getsockname()[1]}"


def test_worker_waits_while_the_master_port_accepts_connections():
    server, address = _listener()
    closer = threading.Timer(1.5, server.close)
    started = time.monotonic()
    closer.start()
    try:
        assert cluster.wait_until_closed(address, timeout=60, poll_seconds=0.1) is True
    finally:
        closer.cancel()
        server.close()
    assert 1.4 <= time.monotonic() - started < 30


def test_worker_whose_master_is_gone_returns_at_once():
    server, address = _listener()
    server.close()
    started = time.monotonic()
    assert cluster.wait_until_closed(address, timeout=60, poll_seconds=5) is True
    assert time.monotonic() - started < 2


def test_worker_wait_is_bounded(caplog):
    server, address = _listener()
    started = time.monotonic()
    try:
        with caplog.at_level("WARNING", logger="ner_tagger"):
            assert cluster.wait_until_closed(address, timeout=1.0, poll_seconds=0.2) is False
    finally:
        server.close()
    assert 1.0 <= time.monotonic() - started < 10
    assert "stops waiting" in caplog.text


def test_chief_exporting_outside_sm_model_dir_fails_before_training(tmp_path, monkeypatch):
    from ner_tagger.sagemaker import script_mode

    data = tmp_path / "data"
    data.mkdir()
    write_conll(data / "train.txt", synthetic_sentences(40, 1))
    write_conll(data / "dev.txt", synthetic_sentences(10, 2))
    base = tmp_path / "opt_ml"
    _entry_env(monkeypatch, base, data, None)
    # The export lands outside SM_MODEL_DIR, which is all SageMaker tars into model.tar.gz.
    flags = dict(TINY, max_steps=3, eval_every_steps=3, export_dir=str(tmp_path / "elsewhere"))
    code = script_mode.main([a for k, v in flags.items() for a in (f"--{k}", str(v))])
    assert code == 2
    failure = (base / "output" / "failure").read_text()
    assert f"--export_dir {tmp_path / 'elsewhere'}: the job's model.tar.gz would hold no servable model" in failure
    assert "SM_MODEL_DIR" in failure
    assert not list(tmp_path.rglob("checkpoint")) and not list(tmp_path.rglob("*.index"))  # never trained
    assert not (tmp_path / "elsewhere").exists()
