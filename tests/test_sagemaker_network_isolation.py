"""A job under network isolation: the REAL SageMaker TensorFlow toolkit, nothing of it stubbed, fed exactly what
the REAL SDK v2 asks SageMaker for with the launcher's own estimator and tuner, in a process with no network
and no AWS credentials.

What comes from the SDK (AWS itself mocked: the ``Session``'s API calls and its S3 upload): the training job's
hyperparameters (``Session.train``'s ``hyperparameters``), the tuning job's ``static_hyperparameters`` and
parameter ranges (``Session.create_tuning_job``), and ``sourcedir.tar.gz`` as the SDK built and "uploaded" it.
The one substitution: ``sagemaker_submit_directory`` names that tarball on disk instead of its S3 URI.

What rests on reading, not running (SageMaker's side of a tuning job): a trial's ``hyperparameters.json`` is
the definition's static hyperparameters, one value per tuned range as listed in the range (categorical values
JSON-encoded by the SDK; a continuous value as a decimal string, here the range's minimum), and
``_tuning_objective_metric`` set to the objective metric's name; the trial is named ``<tuning job>-NNN-<8 hex>``
and gets it as ``TRAINING_JOB_NAME``.

The sandbox: ``unshare -n`` (a network namespace with no interface up), no ``AWS_*`` variables, AWS config and
credentials files that do not exist, and no EC2 metadata look-up. The toolkit's ``main`` calls S3
``GetBucketLocation`` whenever its ``model_dir`` is an ``s3://`` URI (``s3_utils._s3_region``), which is what
the SDK adds unless the estimator says ``model_dir=False``.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from unittest import mock

import pytest
from support import sagemaker_harness as harness
from support.synthetic import TINY

from ner_tagger.sagemaker import launch, metric_definitions

pytestmark = pytest.mark.slow  # trains two models in subprocesses

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
sagemaker = pytest.importorskip("sagemaker")
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
JOB, TUNING_JOB = "ner-isolated-1", "ner-iso-tune"
TRIAL = f"{TUNING_JOB}-001-0a1b2c3d"
RUNNER = "from sagemaker_training import trainer; trainer.train()"  # the container's `train` command


@pytest.fixture(scope="module")
def sandbox():
    """The command prefix and environment of a process that can reach no AWS endpoint and has no credentials."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a process without network (unshare -n): {probe.stderr.strip()}")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "SM_", "SAGEMAKER_")) and k not in ("TF_CONFIG", "TRAINING_JOB_NAME")}
    env.update(AWS_CONFIG_FILE="/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
               AWS_EC2_METADATA_DISABLED="true", PIP_DISABLE_PIP_VERSION_CHECK="1", TF_CPP_MIN_LOG_LEVEL="2")
    return ["unshare", "-n"], env


def test_the_sandbox_reaches_no_aws(sandbox):
    """What the toolkit's s3_utils does with an s3:// model_dir fails here, so the jobs below prove it is not
    called."""
    prefix, env = sandbox
    call = ("import boto3; boto3.client('s3', region_name='us-east-1').get_bucket_location(Bucket='ner-bucket')")
    proc = subprocess.run(prefix + [sys.executable, "-c", call], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    assert "NoCredentialsError" in proc.stderr or "EndpointConnectionError" in proc.stderr, proc.stderr[-2000:]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return harness.write_training_data(tmp_path_factory.mktemp("iso-data"))


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The launcher's source folder for this interpreter."""
    return harness.prepare_source_for_this_python(str(tmp_path_factory.mktemp("iso-src") / "src"))


@pytest.fixture
def session(tmp_path, monkeypatch):
    """The SDK's ``Session`` with AWS mocked; the S3 upload of ``sourcedir.tar.gz`` keeps a copy on disk."""
    from sagemaker.telemetry import telemetry_logging

    monkeypatch.setattr(telemetry_logging, "_requests_helper", mock.Mock(name="telemetry"))
    sess = harness.mock_session()
    sess.uploaded = str(tmp_path / "sourcedir.tar.gz")
    sess.s3_resource.Object.return_value.upload_file.side_effect = \
        lambda path, ExtraArgs=None: shutil.copy(path, sess.uploaded)
    return sess


@pytest.fixture(scope="module")
def config():
    """configs/sagemaker.json as shipped, with tiny hyperparameters on top so that a job takes seconds."""
    shipped = launch.load_config(os.path.join(launch.ROOT, "configs", "sagemaker.json"))
    shipped["hyperparameters"] = dict(shipped["hyperparameters"], **dict(TINY, max_steps=60, eval_every_steps=60))
    return shipped


def local_submit_directory(hyperparameters, tarball):
    """The one substitution: the SDK's S3 URI of sourcedir.tar.gz becomes the copy its upload left on disk."""
    assert json.loads(hyperparameters["sagemaker_submit_directory"]).startswith("s3://")
    return dict(hyperparameters, sagemaker_submit_directory=json.dumps(tarball))


def run_isolated(sandbox, tmp_path, data_dir, hyperparameters, job_name):
    """SageMaker's /opt/ml for this request (checkpoints/ exists: the job has a CheckpointConfig), then the
    container's ``train`` in the sandbox, with the environment the platform sets."""
    base = harness.make_base(str(tmp_path / "opt_ml"), data_dir, hyperparameters, checkpoints=True)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    prefix, env = sandbox
    env = dict(env, SAGEMAKER_BASE_DIR=base, TRAINING_JOB_NAME=job_name,
               SAGEMAKER_TRAINING_MODULE="sagemaker_tensorflow_container.training:main")
    proc = subprocess.run(prefix + [sys.executable, "-c", RUNNER], env=env, cwd=str(cwd), capture_output=True,
                          text=True, timeout=600)
    return base, str(cwd), proc


def assert_exported_and_no_none_folder(base, cwd, proc):
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert "Reporting training SUCCESS" in log
    versions = [n for n in os.listdir(os.path.join(base, "model")) if n.isdigit()]
    assert len(versions) == 1 and os.path.isfile(os.path.join(base, "model", versions[0], "saved_model.pb"))
    for root in (base, cwd):
        nones = [os.path.join(d, n) for d, names, _ in os.walk(root) for n in names if n == "None"]
        assert not nones, f"written under a folder named None: {nones}"
    where = re.search(r"checkpoints in (\S+)", log).group(1)
    assert where.startswith(os.path.join(base, "checkpoints")), where
    return log


def test_training_job_exports_without_network_or_credentials(sandbox, tmp_path, data_dir, staged, session, config):
    estimator = launch.make_estimator(config, ROLE, session, job_name=JOB, source_dir=staged)
    estimator.fit({"training": "s3://ner-bucket/data"}, wait=False, job_name=estimator.ner_job_name)
    sent = session.train.call_args.kwargs["hyperparameters"]
    assert "model_dir" not in sent  # what the toolkit would ask S3 about
    base, cwd, proc = run_isolated(sandbox, tmp_path, data_dir, local_submit_directory(sent, session.uploaded), JOB)
    log = assert_exported_and_no_none_folder(base, cwd, proc)
    command = re.search(r"Invoking script with the following command:\s+(.+)", log).group(1)
    assert "--model_dir" not in command and "--max_steps 60" in command


def test_tuning_trial_exports_without_network_or_credentials(sandbox, tmp_path, data_dir, staged, session, config):
    tuner = launch.make_tuner(config, ROLE, session, job_name=TUNING_JOB, source_dir=staged)
    tuner.fit({"training": "s3://ner-bucket/data"}, job_name=tuner.ner_job_name)
    request = session.create_tuning_job.call_args.kwargs
    definition, ranges = request["training_config"], request["tuning_config"]["parameter_ranges"]
    trial = dict(definition["static_hyperparameters"])
    assert "model_dir" not in trial
    for kind in ("ContinuousParameterRanges", "IntegerParameterRanges"):
        trial.update({r["Name"]: r["MinValue"] for r in ranges[kind]})
    trial.update({r["Name"]: r["Values"][0] for r in ranges["CategoricalParameterRanges"]})
    assert set(config["tuning"]["ranges"]) <= set(trial)
    trial["_tuning_objective_metric"] = request["tuning_config"]["objective_metric_name"]
    assert trial["_tuning_objective_metric"] == metric_definitions.OBJECTIVE_METRIC
    base, cwd, proc = run_isolated(sandbox, tmp_path, data_dir, local_submit_directory(trial, session.uploaded),
                                   TRIAL)
    log = assert_exported_and_no_none_folder(base, cwd, proc)
    command = re.search(r"Invoking script with the following command:\s+(.+)", log).group(1)
    # The toolkit's rewrite for a trial with no model_dir, which the entry point must not take as a path.
    assert f"--model_dir None/{TRIAL}/model" in command
    assert "--lstm_units 100" in command
