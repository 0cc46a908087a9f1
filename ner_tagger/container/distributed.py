"""Several hosts in ``resourceconfig.json``: parameter-server training with ``tf.estimator``.

Mirrors SageMaker's own TensorFlow training toolkit (``sagemaker_tensorflow_container/training.py``,
``_build_tf_config_for_ps``): the first host is ``master``, the others are ``worker``, every host also runs a
parameter server, and the cluster reaches the estimator through ``TF_CONFIG``. ``master`` (not ``chief``)
matters: ``train_and_evaluate`` evaluates (and so keeps the best checkpoint) only on a ``master`` task.
Ports 2222 (master/worker) and 2223 (ps) are the toolkit's; SageMaker opens all ports between the hosts of
one job. The same ``TF_CONFIG`` shape is what script mode gets from the toolkit; :mod:`ner_tagger.cluster`
reads it for both (the role, who is chief, a worker's wait for the master).

Only the master writes ``/opt/ml/model``: SageMaker uploads the model folder of every host into one
``model.tar.gz``, so a worker's export would race the master's.
"""
import json
import logging
import multiprocessing
import os

from ner_tagger.container.environment import ResourceConfig

log = logging.getLogger("ner_tagger")
WORKER_PORT, PS_PORT = 2222, 2223


def cluster_spec(resource: ResourceConfig) -> dict:
    hosts = list(resource.hosts)
    spec = {"master": [f"{hosts[0]}:{WORKER_PORT}"], "ps": [f"{h}:{PS_PORT}" for h in hosts]}
    if len(hosts) > 1:
        spec["worker"] = [f"{h}:{WORKER_PORT}" for h in hosts[1:]]
    return spec


def tf_config(resource: ResourceConfig) -> dict:
    index = resource.hosts.index(resource.current_host)
    task = {"type": "master", "index": 0} if index == 0 else {"type": "worker", "index": index - 1}
    return {"cluster": cluster_spec(resource), "environment": "cloud", "task": task}


def configure(resource: ResourceConfig) -> None:
    """Set ``TF_CONFIG`` before the estimator's RunConfig reads it."""
    config = tf_config(resource)
    os.environ["TF_CONFIG"] = json.dumps(config)
    log.info("distributed: %s is %s of %d hosts", resource.current_host, config["task"]["type"],
             len(resource.hosts))


def start_parameter_server(resource: ResourceConfig) -> multiprocessing.Process:
    """This host's ps task, in a fresh interpreter (spawn: a forked TensorFlow runtime is not safe)."""
    index = resource.hosts.index(resource.current_host)
    process = multiprocessing.get_context("spawn").Process(
        target=_serve_ps, args=(cluster_spec(resource), index), name="ps", daemon=True)
    process.start()
    log.info("distributed: parameter server ps:%d started (pid %d)", index, process.pid)
    return process


def _serve_ps(cluster: dict, index: int) -> None:  # pragma: no cover - runs in the child process
    import tensorflow as tf

    # Keep the ps off the GPU: two TensorFlow processes sharing one GPU is not safe.
    config = tf.compat.v1.ConfigProto(device_count={"GPU": 0})
    tf.distribute.Server(tf.train.ClusterSpec(cluster), job_name="ps", task_index=index,
                         config=config).join()
