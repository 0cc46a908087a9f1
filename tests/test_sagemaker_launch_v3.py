"""``scripts/launch_sagemaker.py`` with SDK v3 installed: the requests it sends, AWS answered at the boto client.

The launcher runs in SDK v3's venv (tests/support/sdk3_harness.py) through
``tests/support/sdk3_launch_capture.py``, which answers every AWS call locally and prints the requests; the
SDK's own logic builds them.
"""
import json
import os
import subprocess
import sys

import pytest
from support import sagemaker_harness
from support import sdk3_harness as harness

from ner_tagger.sagemaker.metric_definitions import METRIC_DEFINITIONS

pytestmark = pytest.mark.slow  # builds SDK v3's venv (downloads packages) and stages wheels

CAPTURE = os.path.join(harness.ROOT, "tests", "support", "sdk3_launch_capture.py")
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
CONFIG = {
    "role": ROLE, "base_job_name": "ner-tagger", "instance_type": "ml.c5.2xlarge", "instance_count": 1,
    "use_spot_instances": True, "max_run": 14400, "max_wait": 28800,
    "checkpoint_s3_uri": "s3://ner-bucket/ner/checkpoints", "output_path": "s3://ner-bucket/ner/output",
    "code_location": "s3://ner-bucket/ner/code", "tensorboard_s3_uri": "s3://ner-bucket/ner/tensorboard",
    "distribution": None, "inputs": {"training": "s3://ner-bucket/ner/data/wnut17"},
    "hyperparameters": {"tag_scheme": "auto", "word_dropout": 0.2, "batch_size": 16, "lowercase": True},
    "tuning": {"max_jobs": 4, "max_parallel_jobs": 2, "ranges": {
        "learning_rate": {"type": "continuous", "min": 0.0003, "max": 0.003, "scaling": "Logarithmic"},
        "lstm_units": {"type": "categorical", "values": [100, 200]}}},
}


@pytest.fixture(scope="module")
def sdk3():
    return harness.sdk3_python()


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory):
    from ner_tagger.sagemaker import source

    target = source.Target(f"{sys.version_info.major}.{sys.version_info.minor}", "2.36")
    return sagemaker_harness.prepare_source(str(tmp_path_factory.mktemp("v3-launch-src") / "src"), target,
                                            image_packages=True)


def launch(sdk3, tmp_path, source_dir, *args, config=None):
    path = tmp_path / "sagemaker.json"
    path.write_text(json.dumps(config or CONFIG), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=harness.ROOT)
    env.pop("SAGEMAKER_VALIDATE_ROLE", None)
    proc = subprocess.run([sdk3, CAPTURE, "--config", str(path), "--source-dir", source_dir, *args],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"')]
    calls = [line for line in lines if "call" in line]
    exits = [line["exit"] for line in lines if "exit" in line]
    return proc, calls, exits[0] if exits else None


def _requests(calls, name):
    return [c["params"] for c in calls if c["call"] == name]


@pytest.fixture(scope="module")
def training(sdk3, tmp_path_factory, source_dir):
    proc, calls, code = launch(sdk3, tmp_path_factory.mktemp("v3-launch"), source_dir, "--no-deploy")
    assert code == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    [request] = _requests(calls, "sagemaker.CreateTrainingJob")
    return {"request": request, "calls": calls}


def test_the_managed_tf_image_runs_v3s_driver(training):
    spec = training["request"]["AlgorithmSpecification"]
    assert spec["TrainingImage"] == "763104351884.dkr.ecr.us-west-2.amazonaws.com/tensorflow-training:2.14-cpu-py310"
    assert spec["ContainerEntrypoint"] == ["/bin/bash"]
    assert spec["ContainerArguments"][-1].endswith("/opt/ml/input/data/sm_drivers/sm_train.sh")


def test_channels_are_the_data_the_staged_folder_and_the_drivers(training, source_dir):
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"]
                for c in training["request"]["InputDataConfig"]}
    assert set(channels) == {"training", "code", "sm_drivers"}
    assert channels["training"] == CONFIG["inputs"]["training"]
    job = training["request"]["TrainingJobName"]
    assert channels["code"].startswith("s3://ner-bucket/ner/code/") and job in channels["code"]
    uploaded = {c["params"]["Key"] for c in training["calls"] if c["call"] == "s3.PutObject"}
    code_keys = {k.split("/input/code/", 1)[1] for k in uploaded if "/input/code/" in k}
    assert {"train_entry.py", "requirements.txt", "ner_tagger/sagemaker/script_mode.py"} <= code_keys
    assert any(k.startswith("wheels/") and k.endswith(".whl") for k in code_keys)


def test_hyperparameters_are_the_configs_as_v3_encodes_them(training):
    assert training["request"]["HyperParameters"] == {"tag_scheme": "auto", "word_dropout": "0.2",
                                                      "batch_size": "16", "lowercase": "true"}


def test_spot_and_a_checkpoint_prefix_of_this_job(training):
    request = training["request"]
    job = request["TrainingJobName"]
    stem = job.rsplit("-", 1)[0]  # v3 appends -<timestamp> to the base name the launcher picked
    assert stem.startswith("ner-tagger-") and len(stem) == len("ner-tagger-") + 8
    assert request["CheckpointConfig"] == {"S3Uri": f"s3://ner-bucket/ner/checkpoints/{stem}",
                                           "LocalPath": "/opt/ml/checkpoints"}
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 14400, "MaxWaitTimeInSeconds": 28800}
    assert request["ResourceConfig"]["InstanceCount"] == 1
    assert request["OutputDataConfig"]["S3OutputPath"] == "s3://ner-bucket/ner/output"


def test_metric_definitions_and_tensorboard_output(training):
    request = training["request"]
    assert request["AlgorithmSpecification"]["MetricDefinitions"] == METRIC_DEFINITIONS
    stem = request["TrainingJobName"].rsplit("-", 1)[0]
    assert request["TensorBoardOutputConfig"] == {"S3OutputPath": f"s3://ner-bucket/ner/tensorboard/{stem}",
                                                  "LocalPath": "/opt/ml/output/tensorboard"}


def test_two_launches_get_two_checkpoint_prefixes(sdk3, tmp_path, source_dir, training):
    proc, calls, code = launch(sdk3, tmp_path, source_dir, "--no-deploy")
    assert code == 0, proc.stderr[-3000:]
    [request] = _requests(calls, "sagemaker.CreateTrainingJob")
    assert request["CheckpointConfig"]["S3Uri"] != training["request"]["CheckpointConfig"]["S3Uri"]


def test_several_hosts_are_refused_with_the_reason_and_the_v2_call(sdk3, tmp_path, source_dir):
    config = dict(CONFIG, instance_count=2, distribution="parameter_server")
    proc, calls, code = launch(sdk3, tmp_path, source_dir, "--no-deploy", config=config)
    assert code == 2, proc.stderr[-3000:]
    assert "instance_count=2 with SDK v3" in proc.stderr and "no TF_CONFIG or parameter servers" in proc.stderr
    assert 'sagemaker>=2.257,<3' in proc.stderr and '"parameter_server"' in proc.stderr
    assert not calls


def test_deploying_is_refused_pointing_to_sdk2(sdk3, tmp_path, source_dir):
    proc, calls, code = launch(sdk3, tmp_path, source_dir)
    assert code == 2 and "--no-deploy" in proc.stderr and "TensorFlowModel" in proc.stderr
    assert not calls


def test_dry_run_prints_the_request_and_asks_aws_nothing(sdk3, tmp_path, source_dir):
    proc, calls, code = launch(sdk3, tmp_path, source_dir, "--no-deploy", "--dry-run")
    assert code == 0, proc.stderr[-3000:]
    assert not calls
    definition = json.loads(proc.stdout.rsplit('\n{"exit"', 1)[0])
    assert definition["sdk"] == "v3 ModelTrainer"
    assert definition["image_uri"] == "763104351884.dkr.ecr.us-west-2.amazonaws.com/tensorflow-training:2.14-cpu-py310"
    assert definition["source_code"]["requirements"] == "requirements.txt"
    assert definition["hyperparameters"]["lowercase"] == "true"
    assert definition["checkpoint_config"]["s3_uri"].startswith("s3://ner-bucket/ner/checkpoints/ner-tagger-")


def test_tuning_uses_v3s_tuner_on_the_image_toolkit(sdk3, tmp_path, source_dir):
    """v3's tuner cannot set a container entry point (the tuning API has none), so its trials run the
    image's own toolkit on a ``sourcedir.tar.gz`` of the same folder (``sagemaker_program``,
    ``sagemaker_submit_directory``): the v2 script-mode path the entry point already serves."""
    proc, calls, code = launch(sdk3, tmp_path, source_dir, "--tune")
    assert code == 0, proc.stderr[-3000:]
    [request] = _requests(calls, "sagemaker.CreateHyperParameterTuningJob")
    name = request["HyperParameterTuningJobName"]
    config = request["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "dev:f1"}
    assert config["ResourceLimits"] == {"MaxParallelTrainingJobs": 2, "MaxNumberOfTrainingJobs": 4}
    definition = request["TrainingJobDefinition"]
    assert "ContainerEntrypoint" not in definition["AlgorithmSpecification"]
    assert definition["AlgorithmSpecification"]["MetricDefinitions"] == METRIC_DEFINITIONS
    static = definition["StaticHyperParameters"]
    assert static["sagemaker_program"] == "train_entry.py"
    tarball = static["sagemaker_submit_directory"]
    uploaded = {f"s3://{c['params']['Bucket']}/{c['params']['Key']}" for c in calls
                if c["call"] in ("s3.PutObject", "s3.CreateMultipartUpload")}
    assert tarball.endswith("/sourcedir.tar.gz") and tarball in uploaded
    assert definition["CheckpointConfig"]["S3Uri"] == f"s3://ner-bucket/ner/checkpoints/{name}"
    assert definition["EnableManagedSpotTraining"] is True


def test_resume_from_continues_the_old_jobs_checkpoints(sdk3, tmp_path, source_dir):
    """--resume-from asks SageMaker where the old job kept its checkpoints; the new job gets that prefix and
    keeps writing the old job's folder (``resume_from``), which v3's driver passes like any hyperparameter."""
    old = "ner-tagger-0a1b2c3d-20260101000000"
    proc, calls, code = launch(sdk3, tmp_path, source_dir, "--no-deploy", "--resume-from", old)
    assert code == 0, proc.stderr[-3000:]
    assert _requests(calls, "sagemaker.DescribeTrainingJob")[0] == {"TrainingJobName": old}
    [request] = _requests(calls, "sagemaker.CreateTrainingJob")
    assert request["CheckpointConfig"]["S3Uri"] == "s3://ner-bucket/ner/checkpoints/ner-tagger-0a1b2c3d"
    assert request["HyperParameters"]["resume_from"] == old
