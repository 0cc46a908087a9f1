"""A parameter-server job on loopback, as SageMaker's toolkit sets one up: per-host stand-in ``/opt/ml``
folders, the environment and ``TF_CONFIG`` each process gets, and the ps server the toolkit starts.
Shared by tests/test_reliability_distributed.py and, for one host, tests/test_reliability_interruption.py."""
import json
import os
import sys

from ner_tagger.serving.local_server import free_ports
from support.synthetic import TINY, synthetic_sentences, write_conll

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PS_SERVER = """
import json, os
import tensorflow as tf
config = json.loads(os.environ["TF_CONFIG"])
# What sagemaker_tensorflow_container.training._run_ps starts on every host.
server = tf.distribute.Server(tf.train.ClusterSpec(config["cluster"]), job_name="ps", task_index=0,
                              config=tf.compat.v1.ConfigProto(device_count={"GPU": 0}))
server.join()
"""


def host_dir(tmp_path, name, data, checkpoints):
    """One host's /opt/ml: its own copy of the channel, model and output folders."""
    base = tmp_path / name
    channel = base / "input" / "data" / "training"
    channel.mkdir(parents=True)
    for file_name in os.listdir(data):
        (channel / file_name).write_bytes((data / file_name).read_bytes())
    for folder in ("model", "output/data") + (("checkpoints",) if checkpoints else ()):
        (base / folder).mkdir(parents=True)
    return base


def entry_env(base):
    """The environment the toolkit gives the script-mode entry point on one host's ``/opt/ml`` (``base``),
    with no cluster."""
    env = dict(os.environ, SAGEMAKER_BASE_DIR=str(base), SM_CHANNEL_TRAINING=str(base / "input/data/training"),
               SM_MODEL_DIR=str(base / "model"), SM_OUTPUT_DATA_DIR=str(base / "output/data"), SM_HPS="{}",
               PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    return env


def cluster_env(base, cluster, task_type, host):
    return dict(entry_env(base), SM_HOSTS=json.dumps(["algo-1", "algo-2"]), SM_CURRENT_HOST=host,
                TF_CONFIG=json.dumps({"cluster": cluster, "environment": "cloud",
                                      "task": {"type": task_type, "index": 0}}))


def entry_command(**flags):
    """The entry point's command line as the toolkit builds it: ``TINY`` with ``flags`` over it, and the
    SDK's ``s3://`` model_dir."""
    return [sys.executable, os.path.join(ROOT, "sagemaker_entry", "train_entry.py"),
            *[a for k, v in dict(TINY, **flags).items() for a in (f"--{k}", str(v))],
            "--model_dir", "s3://bucket/job/model"]


def two_host_job(tmp_path, dev_sentences, **flags):
    """A master host and a worker host (``algo-1``, ``algo-2``) with one ps on loopback ports: the cluster,
    each host's ``/opt/ml`` (the same data in each) and the script-mode command both run."""
    data = tmp_path / "data"
    data.mkdir()
    write_conll(data / "train.txt", synthetic_sentences(200, 1))
    write_conll(data / "dev.txt", synthetic_sentences(dev_sentences, 2))
    master_port, worker_port, ps_port = free_ports(3)
    cluster = {"master": [f"127.0.0.1:{master_port}"], "worker": [f"127.0.0.1:{worker_port}"],
               "ps": [f"127.0.0.1:{ps_port}"]}
    master, worker = host_dir(tmp_path, "algo-1", data, True), host_dir(tmp_path, "algo-2", data, False)
    return cluster, master, worker, entry_command(**flags)
