"""``scripts/launch_sagemaker.py`` and :mod:`ner_tagger.sagemaker.launch` with the real SDK v2; only AWS is
mocked (the SDK's ``Session`` and its boto session, and the SDK's telemetry request)."""
import json
import os
import sys
from unittest import mock

import pytest

from ner_tagger.errors import HParamsError
from ner_tagger.sagemaker import launch, metrics
import sagemaker_harness as harness

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
sagemaker = pytest.importorskip("sagemaker")
CONFIG = os.path.join(launch.ROOT, "configs", "sagemaker.json")
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
sys.path.insert(0, os.path.join(launch.ROOT, "scripts"))
import launch_sagemaker  # noqa: E402


@pytest.fixture(autouse=True)
def no_telemetry(monkeypatch):
    from sagemaker.telemetry import telemetry_logging

    monkeypatch.setattr(telemetry_logging, "_requests_helper", mock.Mock(name="telemetry"))


@pytest.fixture
def session():
    from sagemaker.session_settings import SessionSettings

    sess = mock.MagicMock(name="Session")
    sess.boto_region_name = "us-east-1"
    sess.default_bucket.return_value = "ner-bucket"
    sess.default_bucket_prefix = None
    sess.local_mode = False
    sess.sagemaker_config = {}
    sess.settings = SessionSettings()
    return sess


@pytest.fixture
def config():
    return launch.load_config(CONFIG)


def test_shipped_config_is_valid_and_spot_safe(config):
    assert config["use_spot_instances"] and config["max_wait"] >= config["max_run"]
    assert config["checkpoint_s3_uri"].startswith("s3://")


def test_bad_config_hyperparameters_are_refused_before_launch():
    with pytest.raises(HParamsError, match="'lstm_units'='many'"):
        launch.check_hyperparameters({"lstm_units": "many"})
    with pytest.raises(HParamsError, match="shell"):
        launch.check_hyperparameters({"train_file": "my train.txt"})


def test_training_job_request(config, session):
    estimator = launch.make_estimator(config, ROLE, session)
    assert estimator.training_image_uri() == \
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.14-cpu-py310"
    estimator.fit({"training": "s3://ner-bucket/data"}, wait=False, job_name="ner-job-1")
    request = session.train.call_args.kwargs
    assert request["use_spot_instances"] is True and request["checkpoint_s3_uri"] == config["checkpoint_s3_uri"]
    assert request["stop_condition"] == {"MaxRuntimeInSeconds": config["max_run"],
                                         "MaxWaitTimeInSeconds": config["max_wait"]}
    assert request["metric_definitions"] == metrics.METRIC_DEFINITIONS
    assert request["resource_config"]["InstanceType"] == config["instance_type"]
    hps = request["hyperparameters"]
    # What the SDK writes is what the toolkit tests feed the real container (tests/sagemaker_harness.py).
    expected = harness.sdk_hyperparameters(config["hyperparameters"], "s3://x", job="ner-job-1")
    assert {k: hps[k] for k in config["hyperparameters"]} == {k: expected[k] for k in config["hyperparameters"]}
    assert hps["tag_scheme"] == '"auto"' and hps["sagemaker_program"] == '"train_entry.py"'
    assert json.loads(hps["model_dir"]).startswith("s3://")
    uploads = [c for c in session.mock_calls if "upload_file" in str(c)]
    assert uploads  # sourcedir.tar.gz (sagemaker_entry + ner_tagger) went to the (mocked) S3
    assert json.loads(hps["sagemaker_submit_directory"]).endswith("/ner-job-1/source/sourcedir.tar.gz")


def test_distribution(config, session):
    # multi_worker_mirrored_strategy is refused by load_config (tests/test_sagemaker_distribution.py).
    estimator = launch.make_estimator(dict(config, distribution="parameter_server", instance_count=2), ROLE,
                                      session)
    assert estimator.distribution == {"parameter_server": {"enabled": True}}
    estimator.fit({"training": "s3://ner-bucket/data"}, wait=False, job_name="ner-job-2")
    hps = session.train.call_args.kwargs["hyperparameters"]
    assert hps["sagemaker_parameter_server_enabled"] == "true"


def test_tuner_maximises_dev_f1(config, session):
    tuner = launch.make_tuner(launch.make_estimator(config, ROLE, session), config)
    assert tuner.objective_metric_name == "dev:f1" and tuner.objective_type == "Maximize"
    assert set(tuner._hyperparameter_ranges) == set(config["tuning"]["ranges"])
    assert tuner.metric_definitions == metrics.METRIC_DEFINITIONS


def test_serving_model_uses_the_tfs_image_and_handlers(config, session):
    model = launch.make_model("s3://ner-bucket/job/output/model.tar.gz", config, ROLE, session)
    assert model.entry_point == "inference.py" and model.source_dir.endswith("serving_entry")
    assert "tensorflow-inference:2.14" in model.serving_image_uri("us-east-1", "ml.c5.large")


def test_script_trains_then_deploys(monkeypatch, tmp_path):
    estimator_cls, model_cls = mock.MagicMock(name="TensorFlow"), mock.MagicMock(name="TensorFlowModel")
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlow", estimator_cls)
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlowModel", model_cls)
    estimator_cls.return_value.model_data = "s3://ner-bucket/job/output/model.tar.gz"
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--training", "s3://b/data",
                                  "--job_name", "ner-job-3"]) == 0
    kwargs = estimator_cls.call_args.kwargs
    assert (kwargs["entry_point"], os.path.basename(kwargs["source_dir"])) == ("train_entry.py", "sagemaker_entry")
    assert [os.path.basename(d) for d in kwargs["dependencies"]] == ["ner_tagger"]
    assert (kwargs["framework_version"], kwargs["py_version"]) == ("2.14", "py310")
    assert kwargs["metric_definitions"] == metrics.METRIC_DEFINITIONS and kwargs["role"] == ROLE
    estimator_cls.return_value.fit.assert_called_once_with({"training": "s3://b/data"}, job_name="ner-job-3",
                                                           wait=True)
    assert model_cls.call_args.kwargs["model_data"] == "s3://ner-bucket/job/output/model.tar.gz"
    assert model_cls.call_args.kwargs["entry_point"] == "inference.py"
    model_cls.return_value.deploy.assert_called_once_with(initial_instance_count=1, instance_type="ml.c5.large",
                                                          endpoint_name=None)


def test_script_no_deploy_and_missing_role(monkeypatch):
    estimator_cls, model_cls = mock.MagicMock(name="TensorFlow"), mock.MagicMock(name="TensorFlowModel")
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlow", estimator_cls)
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlowModel", model_cls)
    monkeypatch.delenv("SAGEMAKER_ROLE", raising=False)
    assert launch_sagemaker.main(["--config", CONFIG]) == 2
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--no-deploy"]) == 0
    estimator_cls.return_value.fit.assert_called_once()
    model_cls.assert_not_called()
