"""A fake ``/opt/ml`` and the REAL SageMaker TensorFlow training toolkit, run in a fresh interpreter.

``sagemaker_training.environment`` reads ``SAGEMAKER_BASE_DIR`` at import time, so every job runs in its own
process. The runner below is the container's ``train`` command (``sagemaker_training.trainer.train`` with
``SAGEMAKER_TRAINING_MODULE=sagemaker_tensorflow_container.training:main``) with two stubs, nothing more:

- ``s3_utils._s3_region``: the one AWS call (``GetBucketLocation`` on the ``s3://`` model_dir bucket).
- ``training.MODEL_DIR``: the toolkit's after-job servability check walks the hard-coded ``/opt/ml/model``
  (not ``SAGEMAKER_BASE_DIR``); pointed at the stand-in so the check inspects what the job exported.
"""
import json
import os
import subprocess
import sys
import tarfile

from support.processes import exclusive
from support.synthetic import synthetic_sentences, write_conll

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
JOB = "ner-tagger-test-job"

RUNNER = """
import os
from sagemaker_tensorflow_container import s3_utils, training
s3_utils._s3_region = lambda job_region, model_dir: job_region or "us-east-1"
training.MODEL_DIR = os.path.join(os.environ["SAGEMAKER_BASE_DIR"], "model")
from sagemaker_training import trainer
trainer.train()
"""


def prepare_source(dest, *args, **kwargs):
    """``source.prepare`` with the repository's wheel cache (``build/``), under a lock: pytest-xdist workers
    staging the same target at once would otherwise empty each other's half-downloaded cache."""
    from ner_tagger.sagemaker import source

    os.makedirs(BUILD, exist_ok=True)
    with exclusive(os.path.join(BUILD, ".wheels.lock")):
        return source.prepare(dest, *args, build_dir=BUILD, **kwargs)


def this_python_target():
    """A staging target for this interpreter and the stand-in's glibc: the test venv stands in for the image."""
    from ner_tagger.sagemaker import source

    return source.Target(f"{sys.version_info.major}.{sys.version_info.minor}", "2.36")


def prepare_source_for_this_python(dest):
    """The launcher's staged folder for this interpreter, with the image packages. Its pins must be what this
    venv has: the toolkit's pip would otherwise install the wheels into the test venv."""
    from importlib import metadata

    folder = prepare_source(dest, this_python_target(), image_packages=True)
    with open(os.path.join(folder, "requirements.txt"), encoding="utf-8") as fh:
        pins = [line.strip().split("==") for line in fh if "==" in line]
    for name, version in pins:
        assert metadata.version(name) == version, f"the test venv has {name} {metadata.version(name)}"
    return folder


def write_training_data(root):
    """A training channel's folder: 300 synthetic training sentences and 60 dev ones."""
    write_conll(root / "train.txt", synthetic_sentences(300, 1))
    write_conll(root / "dev.txt", synthetic_sentences(60, 2))
    return str(root)


def mock_session(region="us-east-1"):
    """The SDK v2 ``Session`` with AWS mocked (what the launcher is handed instead of a real one)."""
    from unittest import mock

    from sagemaker.session_settings import SessionSettings

    sess = mock.MagicMock(name="Session")
    sess.boto_region_name = region
    sess.default_bucket.return_value = "ner-bucket"
    sess.default_bucket_prefix = None
    sess.local_mode = False
    sess.sagemaker_config = {}
    sess.settings = SessionSettings()
    return sess


def source_tarball(path):
    """``sourcedir.tar.gz`` as SDK v2 builds it for ``source_dir="sagemaker_entry"``,
    ``dependencies=["ner_tagger"]``: the source dir's files at the root, each dependency folder beside them."""
    skip = lambda info: None if "__pycache__" in info.name or info.name.endswith(".pyc") else info  # noqa: E731
    with tarfile.open(path, "w:gz") as tar:
        entry = os.path.join(ROOT, "sagemaker_entry")
        for name in sorted(os.listdir(entry)):
            tar.add(os.path.join(entry, name), arcname=name, filter=skip)
        tar.add(os.path.join(ROOT, "ner_tagger"), arcname="ner_tagger", filter=skip)
    return str(path)


def staged_tarball(path, folder):
    """``sourcedir.tar.gz`` as SDK v2 builds it for ``source_dir=<folder>`` and no ``dependencies``: the
    folder's files at the root (what the launcher uploads: ``ner_tagger.sagemaker.source``)."""
    skip = lambda info: None if "__pycache__" in info.name or info.name.endswith(".pyc") else info  # noqa: E731
    with tarfile.open(path, "w:gz") as tar:
        for name in sorted(os.listdir(folder)):
            tar.add(os.path.join(folder, name), arcname=name, filter=skip)
    return str(path)


def sdk_hyperparameters(user, submit_dir, job=JOB, distribution=None):
    """``hyperparameters.json`` as SDK v2 writes it: every value ``json.dumps``-ed, plus the framework's own."""
    values = dict(user)
    values.update({"sagemaker_program": "train_entry.py", "sagemaker_submit_directory": submit_dir,
                   "sagemaker_container_log_level": 20, "sagemaker_job_name": job,
                   "sagemaker_region": "us-east-1", "model_dir": f"s3://ner-bucket/{job}/model"})
    values.update(distribution or {})
    return {key: json.dumps(value) for key, value in values.items()}


def make_base(base, data_dir, hyperparameters, checkpoints=True, hosts=("localhost",)):
    """The ``/opt/ml`` tree SageMaker prepares before the container starts."""
    config = os.path.join(base, "input", "config")
    os.makedirs(config, exist_ok=True)
    _write(os.path.join(config, "hyperparameters.json"), hyperparameters)
    _write(os.path.join(config, "resourceconfig.json"),
           {"current_host": hosts[0], "hosts": list(hosts), "network_interface_name": "lo",
            "current_instance_type": "local"})
    _write(os.path.join(config, "inputdataconfig.json"),
           {"training": {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                         "RecordWrapperType": "None"}})
    channel = os.path.join(base, "input", "data", "training")
    os.makedirs(channel, exist_ok=True)
    for name in os.listdir(data_dir):
        with open(os.path.join(data_dir, name), "rb") as src, open(os.path.join(channel, name), "wb") as dst:
            dst.write(src.read())
    for folder in ("model", "output"):
        os.makedirs(os.path.join(base, folder), exist_ok=True)
    if checkpoints:  # exists only when the job has checkpoint_s3_uri (SageMaker syncs it)
        os.makedirs(os.path.join(base, "checkpoints"), exist_ok=True)
    return str(base)


def run_job(base, timeout=240):
    """Run the toolkit like the container's ``train`` command; returns the CompletedProcess (text)."""
    env = dict(os.environ, SAGEMAKER_BASE_DIR=str(base),
               SAGEMAKER_TRAINING_MODULE="sagemaker_tensorflow_container.training:main",
               # Offline-safe: requirements.txt must already be satisfied, pip may not download.
               PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", TF_CPP_MIN_LOG_LEVEL="2",
               AWS_DEFAULT_REGION="us-east-1")
    env.pop("TF_CONFIG", None)
    return subprocess.run([sys.executable, "-c", RUNNER], env=env, cwd=str(base), capture_output=True,
                          text=True, timeout=timeout)


def _write(path, value):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(value, fh)
