"""Several hosts -> the TF_CONFIG of SageMaker's parameter-server set-up."""
import json
import os
import socket
import threading
import time

from ner_tagger.container import distributed
from ner_tagger.job import cluster
from ner_tagger.job.cluster import role_from_tf_config
from ner_tagger.sagemaker.environment import ResourceConfig

HOSTS = ("algo-1", "algo-2", "algo-3")


def test_master_workers_and_a_ps_per_host():
    config = cluster.tf_config_for_hosts(HOSTS, "algo-1")
    assert config["cluster"] == {"master": ["algo-1:2222"], "worker": ["algo-2:2222", "algo-3:2222"],
                                 "ps": ["algo-1:2223", "algo-2:2223", "algo-3:2223"]}
    assert config["task"] == {"type": "master", "index": 0}
    assert cluster.tf_config_for_hosts(HOSTS, "algo-3")["task"] == {"type": "worker", "index": 1}


def test_only_the_first_host_is_chief_for_the_estimator():
    for host in HOSTS:
        role = role_from_tf_config(cluster.tf_config_for_hosts(HOSTS, host))
        assert role.is_chief == (host == "algo-1") and role.num_workers == 3


def test_configure_sets_tf_config(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "")  # recorded, so the value configure() sets is undone after the test
    distributed.configure(ResourceConfig("algo-2", HOSTS[:2]))
    assert json.loads(os.environ["TF_CONFIG"])["task"] == {"type": "worker", "index": 0}


def _master_of(resource):
    """The master a worker host waits for: the one its TF_CONFIG names (as ``job.run`` reads it)."""
    return role_from_tf_config(cluster.tf_config_for_hosts(resource.hosts, resource.current_host)).master


def test_worker_waits_until_the_master_port_closes(monkeypatch):
    # A real listening socket stands in for the master's port 2222; it closes after a second.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    monkeypatch.setattr(cluster, "WORKER_PORT", server.getsockname()[1])
    closer = threading.Timer(1.0, server.close)
    started = time.monotonic()
    closer.start()
    try:
        master = _master_of(ResourceConfig("algo-2", ("127.0.0.1", "algo-2")))
        assert cluster.wait_for_master(master, timeout=60, poll_seconds=0.1)
    finally:
        closer.cancel()
        server.close()
    assert time.monotonic() - started >= 0.9


def test_worker_wait_for_a_hung_master_is_bounded(monkeypatch):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    monkeypatch.setattr(cluster, "WORKER_PORT", server.getsockname()[1])
    try:
        master = _master_of(ResourceConfig("algo-2", ("127.0.0.1", "algo-2")))
        assert not cluster.wait_for_master(master, timeout=0.5, poll_seconds=0.1)
    finally:
        server.close()
