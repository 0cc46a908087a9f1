"""This process's role in a distributed job, from the ``TF_CONFIG`` the toolkit exports.

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
import os
from typing import Optional

from ner_tagger.errors import HParamsError

SINGLE, PARAMETER_SERVER = "single", "parameter_server"
MWMS_REFUSAL = (
    "distribution multi_worker_mirrored_strategy is not supported: with tf.estimator it evaluates only on an "
    "'evaluator' task, which SageMaker's TF_CONFIG never has (no dev evaluation, early stopping or best "
    "checkpoint), and its non-chief workers fail at export. Use distribution parameter_server for several "
    "hosts (or one larger instance)")
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
    """The role this ``TF_CONFIG`` gives; raises ``HParamsError`` for the multi-worker mirrored shape."""
    if not tf_config or not tf_config.get("cluster"):
        return Role(SINGLE)
    cluster, task = tf_config["cluster"], tf_config.get("task", {})
    task_type, index = task.get("type"), int(task.get("index", 0))
    trainers = len(cluster.get("master", [])) + len(cluster.get("chief", [])) + len(cluster.get("worker", []))
    if "ps" in cluster or "master" in cluster:
        return Role(PARAMETER_SERVER, task_type, index, trainers)
    # Workers with no master and no ps: what the toolkit builds for multi_worker_mirrored_strategy (one host
    # included: RunConfig itself would reject a cluster without a chief, with a less useful message).
    raise HParamsError(f"TF_CONFIG lists only workers ({', '.join(cluster.get('worker', [])) or '-'}): "
                       f"{MWMS_REFUSAL}")


def current_role() -> Role:
    raw = os.environ.get("TF_CONFIG")
    return role_from_tf_config(json.loads(raw) if raw else None)
