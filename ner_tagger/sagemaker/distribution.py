"""This process's role in a distributed job, from the ``TF_CONFIG`` the toolkit exports.

``sagemaker-tensorflow-training`` builds ``TF_CONFIG`` itself (``training._build_tf_config_for_ps`` and
``_build_tf_config_for_mwms``):

- ``distribution={"parameter_server": {"enabled": True}}`` on N > 1 hosts: ``cluster`` has ``master``
  (host 1, port 2222), ``worker`` (hosts 2..N, 2222) and ``ps`` (every host, 2223); ``environment`` is
  ``cloud``. The toolkit starts the ps servers itself; the entry point only ever runs as ``master`` or
  ``worker``. ``tf.estimator.RunConfig`` reads this natively (``master`` is the chief).
- ``distribution={"multi_worker_mirrored_strategy": {"enabled": True}}``: every host is a ``worker``
  (port 8890), worker 0 is the chief; the estimator needs ``train_distribute`` set to the strategy.
"""
import dataclasses
import json
import os
from typing import Optional

SINGLE, PARAMETER_SERVER, MULTI_WORKER_MIRRORED = "single", "parameter_server", "multi_worker_mirrored"


@dataclasses.dataclass(frozen=True)
class Role:
    mode: str
    task_type: Optional[str] = None
    task_index: int = 0
    num_workers: int = 1

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
    if not tf_config or not tf_config.get("cluster"):
        return Role(SINGLE)
    cluster, task = tf_config["cluster"], tf_config.get("task", {})
    task_type, index = task.get("type"), int(task.get("index", 0))
    trainers = len(cluster.get("master", [])) + len(cluster.get("chief", [])) + len(cluster.get("worker", []))
    if "ps" in cluster or "master" in cluster:
        return Role(PARAMETER_SERVER, task_type, index, trainers)
    return Role(MULTI_WORKER_MIRRORED, task_type, index, trainers)


def current_role() -> Role:
    raw = os.environ.get("TF_CONFIG")
    return role_from_tf_config(json.loads(raw) if raw else None)


def train_distribute(role: Role):
    """The ``RunConfig(train_distribute=...)`` strategy: only multi-worker mirrored needs one.

    Parameter-server training with the estimator is between-graph replication through the
    ``replica_device_setter`` that ``RunConfig`` sets up from ``TF_CONFIG``, no strategy object.
    """
    if role.mode != MULTI_WORKER_MIRRORED:
        return None
    import tensorflow as tf

    return tf.distribute.experimental.MultiWorkerMirroredStrategy()
