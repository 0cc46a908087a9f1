"""Several hosts in ``resourceconfig.json``: parameter-server training with ``tf.estimator``.

Mirrors SageMaker's own TensorFlow training toolkit (``sagemaker_tensorflow_container/training.py``,
``_build_tf_config_for_ps``): the first host is ``master``, the others are ``worker``, every host also runs a
parameter server, and the cluster reaches the estimator through ``TF_CONFIG``. ``master`` (not ``chief``)
matters: ``train_and_evaluate`` evaluates (and so keeps the best checkpoint) only on a ``master`` task.
Ports 2222 (master/worker) and 2223 (ps) are the toolkit's; SageMaker opens all ports between the hosts of
one job. The same ``TF_CONFIG`` shape is what :mod:`ner_tagger.sagemaker.distribution` reads in script mode.

Only the master writes ``/opt/ml/model``: SageMaker uploads the model folder of every host into one
``model.tar.gz``, so a worker's export would race the master's.
"""
import json
import logging
import multiprocessing
import os

from ner_tagger.container.environment import ResourceConfig
from ner_tagger.sagemaker.distribution import MASTER_WAIT_SECONDS, wait_until_closed

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
    os.environ["TF_CONFIG"] = json.dumps(tf_config(resource))
    log.info("distributed: %s is %s of %d hosts", resource.current_host,
             "the master" if resource.is_chief else "a worker", len(resource.hosts))


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


def wait_for_master(resource: ResourceConfig, timeout: float = MASTER_WAIT_SECONDS,
                    poll_seconds: float = 10.0) -> bool:
    """Keep a worker host (and so its ps, which holds a share of the variables) up until the master is done.

    A worker reaches ``max_steps`` as soon as the shared global step does, while the master still evaluates
    and exports from variables that live partly on this host's ps. Bounded by ``timeout`` (logged), so a
    hung master cannot hold this host forever; a plain TCP probe, not the toolkit's ``curl`` (see
    :func:`ner_tagger.sagemaker.distribution.wait_until_closed`). True once the master is gone.
    """
    master = f"{resource.hosts[0]}:{WORKER_PORT}"
    log.info("distributed: worker %s waits for master %s to finish", resource.current_host, master)
    done = wait_until_closed(master, timeout, poll_seconds)
    if done:
        log.info("distributed: master %s is done; worker %s exits", master, resource.current_host)
    return done
