"""A parameter-server job on loopback, as SageMaker's toolkit sets one up: per-host stand-in ``/opt/ml``
folders, the environment and ``TF_CONFIG`` each process gets, and the ps server the toolkit starts.
Shared by tests/test_sagemaker_distribution.py and tests/test_reliability_distributed.py."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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


def cluster_env(base, cluster, task_type, host):
    env = dict(os.environ, SAGEMAKER_BASE_DIR=str(base), SM_CHANNEL_TRAINING=str(base / "input/data/training"),
               SM_MODEL_DIR=str(base / "model"), SM_OUTPUT_DATA_DIR=str(base / "output/data"),
               SM_HOSTS=json.dumps(["algo-1", "algo-2"]), SM_CURRENT_HOST=host, SM_HPS="{}",
               PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3",
               TF_CONFIG=json.dumps({"cluster": cluster, "environment": "cloud",
                                     "task": {"type": task_type, "index": 0}}))
    return env
