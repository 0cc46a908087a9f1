"""This process's role in a distributed job, from ``TF_CONFIG``, and what a parameter-server worker does
after its own training. The one place that decides who is chief, for every door.

Script mode gets ``TF_CONFIG`` from the toolkit; the bring-your-own container builds the same shape here
(:func:`tf_config_for_hosts`, set by :mod:`ner_tagger.container.distributed`); ``python -m ner_tagger.train``
takes whatever the shell set.
``sagemaker-tensorflow-training`` builds ``TF_CONFIG`` itself (``training._build_tf_config_for_ps`` and
``_build_tf_config_for_mwms``):

- ``distribution={"parameter_server": {"enabled": True}}`` on N > 1 hosts: ``cluster`` has ``master``
  (host 1, port 2222), ``worker`` (hosts 2..N, 2222) and ``ps`` (every host, 2223); ``environment`` is
  ``cloud``. The toolkit starts the ps servers itself; the entry point only ever runs as ``master`` or
  ``worker``. ``tf.estimator.RunConfig`` reads this natively (``master`` is the chief).
- ``distribution={"multi_worker_mirrored_strategy": {"enabled": True}}``: every host is a ``worker`` (port
  8890), nothing else. Not supported, and refused here with the reason (:data:`MWMS_REFUSAL`): under
  ``train_distribute`` the estimator evaluates only on an ``evaluator`` task, which this ``TF_CONFIG`` never
  has, so there would be no dev evaluation, early stopping or best checkpoint, and the workers other than
  worker 0 fail at export. The estimator is end-of-life; parameter-server training covers multi-host CPU jobs.
"""
import dataclasses
import json
import logging
import os
import socket
import time
from typing import Optional, Sequence

from ner_tagger.errors import HParamsError

log = logging.getLogger("ner_tagger")
SINGLE, PARAMETER_SERVER = "single", "parameter_server"
MWMS_REFUSAL = (
    "distribution multi_worker_mirrored_strategy is not supported: with tf.estimator it evaluates only on an "
    "'evaluator' task, which SageMaker's TF_CONFIG never has (no dev evaluation, early stopping or best "
    "checkpoint), and its non-chief workers fail at export. Use distribution parameter_server for several "
    "hosts (or one larger instance)")
# How long a worker waits for the master after its own training: far longer than the master's last
# evaluation and export take, but finite, so a master that hangs does not hold the worker's host forever.
MASTER_WAIT_SECONDS = 6 * 3600
# How often the worker looks: a TCP connect costs nothing, and the worker's host is billed until it exits
# (the toolkit's own wait looks every 10 s).
MASTER_POLL_SECONDS = 2.0


# The toolkit's ports; SageMaker opens all ports between the hosts of one job.
WORKER_PORT, PS_PORT = 2222, 2223


def cluster_spec(hosts: Sequence[str]) -> dict:
    """The toolkit's parameter-server cluster (``_build_tf_config_for_ps``): the first host is ``master``,
    the others ``worker``, every host runs a ``ps``. ``master`` (not ``chief``) matters:
    ``train_and_evaluate`` evaluates (and so keeps the best checkpoint) only on a ``master`` task."""
    hosts = list(hosts)
    spec = {"master": [f"{hosts[0]}:{WORKER_PORT}"], "ps": [f"{h}:{PS_PORT}" for h in hosts]}
    if len(hosts) > 1:
        spec["worker"] = [f"{h}:{WORKER_PORT}" for h in hosts[1:]]
    return spec


def tf_config_for_hosts(hosts: Sequence[str], current_host: str) -> dict:
    """The ``TF_CONFIG`` the toolkit would give ``current_host`` (the BYOC ``train`` sets it itself)."""
    index = list(hosts).index(current_host)
    task = {"type": "master", "index": 0} if index == 0 else {"type": "worker", "index": index - 1}
    return {"cluster": cluster_spec(hosts), "environment": "cloud", "task": task}


@dataclasses.dataclass(frozen=True)
class Role:
    mode: str
    task_type: Optional[str] = None
    task_index: int = 0
    num_workers: int = 1
    master: Optional[str] = None  # "host:port" of the master task (parameter-server jobs)

    @property
    def is_chief(self) -> bool:
        """Only the chief evaluates, exports and writes the report; the others just train."""
        if self.mode == PARAMETER_SERVER:
            return self.task_type == "master"
        return self.task_index == 0

    def describe(self) -> str:
        if self.mode == SINGLE:
            return "single process"
        return (f"{self.mode}: {self.task_type} {self.task_index} of {self.num_workers} training tasks"
                f"{' (chief)' if self.is_chief else ''}")


def role_from_tf_config(tf_config: Optional[dict]) -> Role:
    """The role this ``TF_CONFIG`` gives; raises ``HParamsError`` for the multi-worker mirrored shape."""
    if not tf_config or not tf_config.get("cluster"):
        return Role(SINGLE)
    cluster, task = tf_config["cluster"], tf_config.get("task", {})
    task_type, index = task.get("type"), int(task.get("index", 0))
    trainers = len(cluster.get("master", [])) + len(cluster.get("chief", [])) + len(cluster.get("worker", []))
    if "ps" in cluster or "master" in cluster:
        master = (cluster.get("master") or [None])[0]
        return Role(PARAMETER_SERVER, task_type, index, trainers, master)
    # Workers with no master and no ps: what the toolkit builds for multi_worker_mirrored_strategy (one host
    # included: RunConfig itself would reject a cluster without a chief, with a less useful message).
    raise HParamsError(f"TF_CONFIG lists only workers ({', '.join(cluster.get('worker', [])) or '-'}): "
                       f"{MWMS_REFUSAL}")


def current_role() -> Role:
    raw = os.environ.get("TF_CONFIG")
    return role_from_tf_config(json.loads(raw) if raw else None)


def wait_until_closed(address: str, timeout: float = MASTER_WAIT_SECONDS, poll_seconds: float = MASTER_POLL_SECONDS,
                      log_every: float = 600.0) -> bool:
    """Block while ``host:port`` accepts TCP connections; True once it does not, False after ``timeout``.

    This is how a parameter-server worker outlives the master: the master evaluates and exports from
    variables that live partly on this host's ps, and in the SDK's local mode compose stops every container
    once one exits. The toolkit's own wait (``curl`` on port 2222) ends at once with curl 7.66 or later,
    which rejects a gRPC port's answer ("HTTP/0.9 when not allowed"), so only a plain TCP connect is a
    reliable probe. Any failure to connect (refused, unreachable, unknown host) means the master is gone.
    """
    host, port = address.rsplit(":", 1)
    started = time.monotonic()
    last_log = started
    while _accepts(host, int(port)):
        now = time.monotonic()
        if now - started >= timeout:
            log.warning("distributed: master %s still up after %.0f s; this task stops waiting", address,
                        now - started)
            return False
        if now - last_log >= log_every:
            log.info("distributed: waiting for master %s (%.0f s so far)", address, now - started)
            last_log = now
        time.sleep(min(poll_seconds, max(0.0, timeout - (now - started))))
    return True


def wait_for_master(master: str, timeout: float = MASTER_WAIT_SECONDS,
                    poll_seconds: float = MASTER_POLL_SECONDS) -> bool:
    """A parameter-server worker stays up until the master is gone (see :func:`wait_until_closed`): the
    master evaluates and exports from variables that live partly on this host's ps. True once it is gone."""
    log.info("train: waiting for master %s to finish (its evaluation and export read this host's ps)", master)
    done = wait_until_closed(master, timeout, poll_seconds)
    if done:
        log.info("train: master %s is done; worker exits", master)
    return done


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=5):
            return True
    except OSError:
        return False
