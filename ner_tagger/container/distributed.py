"""Several hosts in ``resourceconfig.json``: parameter-server training with ``tf.estimator``.

As SageMaker's own TensorFlow training toolkit does for script mode, every host runs a parameter server and
the cluster reaches the estimator through ``TF_CONFIG`` (its shape, and who is chief: :mod:`ner_tagger.job.cluster`).

Only the master writes ``/opt/ml/model``: SageMaker uploads the model folder of every host into one
``model.tar.gz``, so a worker's export would race the master's.
"""
import json
import logging
import multiprocessing
import os

from ner_tagger.job import cluster
from ner_tagger.sagemaker.environment import ResourceConfig

log = logging.getLogger("ner_tagger")


def configure(resource: ResourceConfig) -> None:
    """Set ``TF_CONFIG`` before the estimator's RunConfig reads it."""
    config = cluster.tf_config_for_hosts(resource.hosts, resource.current_host)
    os.environ["TF_CONFIG"] = json.dumps(config)
    log.info("distributed: %s is %s of %d hosts", resource.current_host, config["task"]["type"],
             len(resource.hosts))


def start_parameter_server(resource: ResourceConfig) -> multiprocessing.Process:
    """This host's ps task, in a fresh interpreter (spawn: a forked TensorFlow runtime is not safe)."""
    index = resource.hosts.index(resource.current_host)
    process = multiprocessing.get_context("spawn").Process(
        target=_serve_ps, args=(cluster.cluster_spec(resource.hosts), index), name="ps", daemon=True)
    process.start()
    log.info("distributed: parameter server ps:%d started (pid %d)", index, process.pid)
    return process


def _serve_ps(spec: dict, index: int) -> None:  # pragma: no cover - runs in the child process
    import tensorflow as tf

    # Keep the ps off the GPU: two TensorFlow processes sharing one GPU is not safe.
    config = tf.compat.v1.ConfigProto(device_count={"GPU": 0})
    tf.distribute.Server(tf.train.ClusterSpec(spec), job_name="ps", task_index=index,
                         config=config).join()
