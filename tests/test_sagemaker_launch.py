"""``scripts/launch_sagemaker.py`` and :mod:`ner_tagger.sagemaker.launch` with the real SDK v2; only AWS is
mocked (the SDK's ``Session`` and its boto session, and the SDK's telemetry request)."""
import json
import os
import subprocess
import sys
import venv
from unittest import mock

import pytest
from support import sagemaker_harness as harness

from ner_tagger.errors import HParamsError
from ner_tagger.sagemaker import channels, launch, metric_definitions

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
    return harness.mock_session()


@pytest.fixture
def config():
    return launch.load_config(CONFIG)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The source folder the launcher stages (wheels cached under build/ after the first run)."""
    return harness.prepare_source(str(tmp_path_factory.mktemp("sm-source") / "src"))


def test_shipped_config_is_valid_and_spot_safe(config):
    assert config["use_spot_instances"] and config["max_wait"] >= config["max_run"]
    assert config["checkpoint_s3_uri"].startswith("s3://")


def test_shipped_config_trains_as_the_wnut17_config_chose():
    """configs/wnut17.json holds the settings the benchmarks chose (learning rate, fused BiLSTM, ...); the
    SageMaker job must train the same model, not the defaults."""
    with open(os.path.join(launch.ROOT, "configs", "wnut17.json"), encoding="utf-8") as fh:
        chosen = json.load(fh)
    shipped = launch.load_config(CONFIG)["hyperparameters"]
    assert {k: shipped.get(k) for k in chosen} == chosen


def test_bad_config_hyperparameters_are_refused_before_launch():
    with pytest.raises(HParamsError, match="'lstm_units'='many'"):
        launch.check_hyperparameters({"lstm_units": "many"})
    with pytest.raises(HParamsError, match="shell"):
        launch.check_hyperparameters({"train_file": "my train.txt"})


def test_training_job_request(config, session, staged):
    estimator = launch.make_estimator(config, ROLE, session, job_name="ner-job-1", source_dir=staged)
    assert estimator.training_image_uri() == \
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.14-cpu-py310"
    estimator.fit({"training": "s3://ner-bucket/data"}, wait=False, job_name=estimator.ner_job_name)
    request = session.train.call_args.kwargs
    assert request["use_spot_instances"] is True
    assert request["checkpoint_s3_uri"] == config["checkpoint_s3_uri"] + "/ner-job-1"
    assert request["stop_condition"] == {"MaxRuntimeInSeconds": config["max_run"],
                                         "MaxWaitTimeInSeconds": config["max_wait"]}
    assert request["metric_definitions"] == metric_definitions.METRIC_DEFINITIONS
    assert request["resource_config"]["InstanceType"] == config["instance_type"]
    hps = request["hyperparameters"]
    # What the SDK writes is what the toolkit tests feed the real container (tests/support/sagemaker_harness.py).
    expected = harness.sdk_hyperparameters(config["hyperparameters"], "s3://x", job="ner-job-1")
    assert {k: hps[k] for k in config["hyperparameters"]} == {k: expected[k] for k in config["hyperparameters"]}
    assert hps["tag_scheme"] == '"auto"' and hps["sagemaker_program"] == '"train_entry.py"'
    assert "model_dir" not in hps  # model_dir=False (tests/test_sagemaker_network_isolation.py)
    uploads = [c for c in session.mock_calls if "upload_file" in str(c)]
    assert uploads  # sourcedir.tar.gz (the staged folder) went to the (mocked) S3
    # Under the config's code_location, not at the root of the output bucket (the SDK's default).
    assert json.loads(hps["sagemaker_submit_directory"]) == \
        config["code_location"] + "/ner-job-1/source/sourcedir.tar.gz"


def test_each_job_gets_its_own_checkpoint_prefix(config, session, staged):
    """SageMaker restores checkpoint_s3_uri into /opt/ml/checkpoints of every job given it: two jobs from
    one config must not share it; the job name (picked by the launcher, so known before the job exists)
    keys it, so a spot restart of the same job finds its own checkpoints."""
    uris = []
    for _ in range(2):
        estimator = launch.make_estimator(config, ROLE, session, source_dir=staged)
        estimator.fit({"training": "s3://ner-bucket/data"}, wait=False, job_name=estimator.ner_job_name)
        request = session.train.call_args.kwargs
        assert request["job_name"] == estimator.ner_job_name
        assert estimator.ner_job_name.startswith(config["base_job_name"] + "-")
        uris.append(request["checkpoint_s3_uri"])
    assert uris[0] != uris[1]
    assert all(u == f"{config['checkpoint_s3_uri']}/{u.rsplit('/', 1)[1]}" for u in uris)
    same = launch.make_estimator(config, ROLE, session, job_name="ner-job-7", source_dir=staged)
    assert same.checkpoint_s3_uri == launch.make_estimator(config, ROLE, session, job_name="ner-job-7",
                                                           source_dir=staged).checkpoint_s3_uri
    with pytest.raises(HParamsError, match="checkpoint_s3_uri='/tmp/x'"):
        launch.make_estimator(dict(config, checkpoint_s3_uri="/tmp/x"), ROLE, session, source_dir=staged)


def test_code_location_follows_an_s3_output_path_only(config, session, staged, tmp_path):
    no_code = {k: v for k, v in config.items() if k != "code_location"}
    estimator = launch.make_estimator(no_code, ROLE, session, job_name="ner-job-9", source_dir=staged)
    assert estimator.code_location == config["output_path"]
    local = dict(no_code, output_path="file:///tmp/out")  # local mode: the SDK's default applies
    session.local_mode = True
    assert launch.make_estimator(local, ROLE, session, source_dir=staged).code_location is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(config, code_location="/srv/code")))
    with pytest.raises(HParamsError, match=r"bad\.json: code_location='/srv/code': must be an s3:// URI"):
        launch.load_config(str(bad))


@pytest.mark.parametrize("instance_type", ["local", "local_gpu"])
def test_local_mode_estimator_leaves_out_spot_and_checkpoints(config, session, staged, tmp_path, instance_type):
    """The shipped config (spot, checkpoint_s3_uri) with a local instance type: the SDK's local mode raises
    "Spot training is not supported in local mode." (then the same for checkpoint_s3_uri) at fit()."""
    from sagemaker.local import LocalSession

    cloud = launch.make_estimator(config, ROLE, session, job_name="ner-job-cloud", source_dir=staged)
    assert cloud.use_spot_instances and cloud.checkpoint_s3_uri.endswith("/ner-job-cloud")  # kept there
    session.__class__ = LocalSession  # the mock passes the SDK's isinstance check for local instance types
    session.local_mode = True
    session.config = {"local": {"local_code": True}}
    local = dict(config, instance_type=instance_type, output_path=f"file://{tmp_path}/out")
    estimator = launch.make_estimator(local, ROLE, session, job_name="ner-job-local", source_dir=staged)
    assert not estimator.use_spot_instances and estimator.max_wait is None
    assert estimator.checkpoint_s3_uri is None
    estimator.fit({"training": f"file://{tmp_path}"}, wait=False, job_name="ner-job-local")
    assert not session.train.call_args.kwargs.get("use_spot_instances")
    assert not session.train.call_args.kwargs.get("checkpoint_s3_uri")


def test_source_dir_is_the_staged_folder_without_dependencies(config, session, staged):
    estimator = launch.make_estimator(config, ROLE, session, job_name="ner-job-8", source_dir=staged)
    assert estimator.source_dir == staged and not estimator.dependencies
    assert os.path.isfile(os.path.join(staged, estimator.entry_point))
    assert os.path.isfile(os.path.join(staged, "ner_tagger", "__init__.py"))
    with open(os.path.join(staged, "requirements.txt"), encoding="utf-8") as fh:
        assert "--no-index" in fh.read().split("\n")


def test_distribution(config, session, staged):
    # multi_worker_mirrored_strategy is refused by load_config (tests/test_job_cluster.py).
    estimator = launch.make_estimator(dict(config, distribution="parameter_server", instance_count=2), ROLE,
                                      session, source_dir=staged)
    assert estimator.distribution == {"parameter_server": {"enabled": True}}
    estimator.fit({"training": "s3://ner-bucket/data"}, wait=False, job_name="ner-job-2")
    hps = session.train.call_args.kwargs["hyperparameters"]
    assert hps["sagemaker_parameter_server_enabled"] == "true"


def test_tuner_maximises_dev_f1(config, session, staged):
    tuner = launch.make_tuner(config, ROLE, session, source_dir=staged)
    assert tuner.objective_metric_name == "dev:f1" and tuner.objective_type == "Maximize"
    assert set(tuner._hyperparameter_ranges) == set(config["tuning"]["ranges"])
    assert tuner.metric_definitions == metric_definitions.METRIC_DEFINITIONS


def test_tuning_job_checkpoints_under_its_own_name(config, session, staged):
    """The SDK copies the estimator's checkpoint_s3_uri into the tuning job's one TrainingJobDefinition
    (every trial gets it): the prefix is the tuning job's own, the trials part in per-job subfolders
    (tests/test_sagemaker_environment.py)."""
    tuner = launch.make_tuner(config, ROLE, session, source_dir=staged)
    assert len(tuner.ner_job_name) <= 32 and tuner.ner_job_name.startswith(config["base_job_name"])
    tuner.fit({"training": "s3://ner-bucket/data"}, job_name=tuner.ner_job_name)
    request = session.create_tuning_job.call_args.kwargs
    assert request["job_name"] == tuner.ner_job_name
    assert request["training_config"]["checkpoint_s3_uri"] == f"{config['checkpoint_s3_uri']}/{tuner.ner_job_name}"


def test_serving_model_uses_the_tfs_image_and_handlers(config, session):
    model = launch.make_model("s3://ner-bucket/job/output/model.tar.gz", config, ROLE, session)
    assert model.entry_point == "inference.py" and model.source_dir.endswith("serving_entry")
    assert "tensorflow-inference:2.14" in model.serving_image_uri("us-east-1", "ml.c5.large")


def test_make_model_ships_the_package_as_a_dependency(tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlowModel", lambda **kwargs: captured.update(kwargs))
    launch.make_model("s3://bucket/model.tar.gz", {}, "arn:aws:iam::1:role/r")
    (package,) = captured["dependencies"]
    assert os.path.basename(package) == "ner_tagger"  # the SDK copies it to code/lib/ner_tagger
    shipped = {os.path.relpath(os.path.join(d, f), package) for d, _, files in os.walk(package) for f in files}
    assert shipped == set(launch.SERVE_MODULES)


def test_script_trains_then_deploys(monkeypatch, tmp_path, staged):
    estimator_cls, model_cls = mock.MagicMock(name="TensorFlow"), mock.MagicMock(name="TensorFlowModel")
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlow", estimator_cls)
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlowModel", model_cls)
    estimator_cls.return_value.model_data = "s3://ner-bucket/job/output/model.tar.gz"
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--training", "s3://b/data",
                                  "--job_name", "ner-job-3", "--source-dir", staged]) == 0
    kwargs = estimator_cls.call_args.kwargs
    assert (kwargs["entry_point"], kwargs["source_dir"]) == ("train_entry.py", staged)
    assert "dependencies" not in kwargs  # the staged folder carries the package
    assert (kwargs["framework_version"], kwargs["py_version"]) == ("2.14", "py310")
    assert kwargs["metric_definitions"] == metric_definitions.METRIC_DEFINITIONS and kwargs["role"] == ROLE
    estimator_cls.return_value.fit.assert_called_once_with({"training": "s3://b/data"}, job_name="ner-job-3",
                                                           wait=True)
    assert model_cls.call_args.kwargs["model_data"] == "s3://ner-bucket/job/output/model.tar.gz"
    assert model_cls.call_args.kwargs["entry_point"] == "inference.py"
    model_cls.return_value.deploy.assert_called_once_with(initial_instance_count=1, instance_type="ml.c5.large",
                                                          endpoint_name=None)


def test_script_no_deploy_and_missing_role(monkeypatch, staged):
    estimator_cls, model_cls = mock.MagicMock(name="TensorFlow"), mock.MagicMock(name="TensorFlowModel")
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlow", estimator_cls)
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlowModel", model_cls)
    monkeypatch.delenv("SAGEMAKER_ROLE", raising=False)
    assert launch_sagemaker.main(["--config", CONFIG]) == 2
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--no-deploy", "--source-dir", staged]) == 0
    estimator_cls.return_value.fit.assert_called_once()
    model_cls.assert_not_called()


def test_dry_run_prints_the_job_definition(capsys, staged):
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--dry-run", "--source-dir", staged,
                                  "--job_name", "ner-dry-1", "--region", "eu-west-1"]) == 0
    definition = json.loads(capsys.readouterr().out)
    assert definition["image_uri"] == \
        "763104351884.dkr.ecr.eu-west-1.amazonaws.com/tensorflow-training:2.14-cpu-py310"
    assert definition["checkpoint_s3_uri"] == "s3://YOUR-BUCKET/ner-tagger/checkpoints/ner-dry-1"
    assert definition["code_location"] == "s3://YOUR-BUCKET/ner-tagger/code"
    assert definition["hyperparameters"]["lstm_implementation"] == '"fused"'
    assert definition["metric_definitions"] == metric_definitions.METRIC_DEFINITIONS
    assert "requirements.txt" in definition["source_files"]


def test_dry_run_of_a_tuning_job(capsys, staged):
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--dry-run", "--tune", "--source-dir", staged,
                                  "--job_name", "ner-tune-1"]) == 0
    definition = json.loads(capsys.readouterr().out)
    assert definition["tuning_job_name"] == "ner-tune-1" and "job_name" not in definition
    assert definition["checkpoint_s3_uri"] == "s3://YOUR-BUCKET/ner-tagger/checkpoints/ner-tune-1"
    assert definition["objective_metric"] == "dev:f1"


def test_launcher_module_imports_no_tensorflow():
    """Fast lane of the no-TensorFlow launch: the import graph of the launcher (what -X importtime lists)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import ner_tagger.sagemaker.launch"],
                          cwd=launch.ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line]
    assert "ner_tagger.sagemaker.launch" in imported
    assert not [m for m in imported if m.split(".")[0] in ("tensorflow", "tensorflow_addons", "seqeval")]


@pytest.mark.slow
def test_launcher_dry_run_in_a_venv_without_tensorflow(tmp_path, staged):
    """A user with only ``sagemaker<3`` (no TensorFlow, no numpy pin, nothing of ours installed) runs the
    launcher for real, up to the point AWS would be called. (``staged`` fills the wheel cache under build/
    first, under the test lock, so the launcher reuses it: downloading wheels is tests/test_sagemaker_source.py's
    subject, and this venv has no pip of its own.)"""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = str(env_dir / "bin" / "python")
    # This venv's pip installs into the bare one (pip --python): installing pip itself there took 5 s. And
    # --no-compile: byte-compiling the SDK and botocore was half of the install's CPU; the launcher compiles
    # what it imports anyway.
    install = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-compile",
                              "sagemaker>=2.257,<3"], capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    check = subprocess.run([python, "-c", "import importlib.util as u; print(u.find_spec('tensorflow'))"],
                           capture_output=True, text=True)
    assert check.stdout.strip() == "None"
    env = dict(os.environ, SAGEMAKER_SUPPRESS_V2_WARNING="1", PYTHONPATH="")
    env.pop("SAGEMAKER_ROLE", None)
    proc = subprocess.run([python, os.path.join(launch.ROOT, "scripts", "launch_sagemaker.py"), "--dry-run",
                           "--role", ROLE, "--job_name", "ner-no-tf-1", "--region", "us-west-2"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    # The SDK logs its config look-up ("sagemaker.config INFO - ...") to stdout first; the JSON follows.
    definition = json.loads(proc.stdout[proc.stdout.index("{\n"):])
    assert definition["image_uri"].endswith("/tensorflow-training:2.14-cpu-py310")
    assert definition["checkpoint_s3_uri"].endswith("/checkpoints/ner-no-tf-1")
    assert any(f.startswith("wheels/tensorflow_addons-") for f in definition["source_files"])


def test_embeddings_channel_is_launched_and_unknown_channels_refused(capsys, staged, tmp_path):
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--dry-run", "--source-dir", staged,
                                  "--training", "s3://b/data", "--embeddings", "s3://b/glove.6B.100d.txt.gz",
                                  "--region", "eu-west-1"]) == 0
    inputs = json.loads(capsys.readouterr().out)["inputs"]
    assert inputs == {"training": "s3://b/data", "embeddings": "s3://b/glove.6B.100d.txt.gz"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(launch.load_config(CONFIG), inputs={"training": "s3://b", "vectors": "s3://v"})))
    with pytest.raises(HParamsError, match=r"bad\.json: inputs: unknown channel\(s\) 'vectors'; the job reads "):
        launch.load_config(str(bad))


def test_tensorboard_output_goes_to_a_prefix_per_job(config, session, staged):
    estimator = launch.make_estimator(config, ROLE, session, job_name="ner-job-tb", source_dir=staged)
    estimator.fit({"training": "s3://ner-bucket/data"}, wait=False, job_name=estimator.ner_job_name)
    request = session.train.call_args.kwargs
    # No LocalPath: SageMaker's default, /opt/ml/output/tensorboard, which the job reads back from
    # input/config/tensorboardoutputconfig.json (ner_tagger.sagemaker.environment.MLPaths.tensorboard).
    assert request["tensorboard_output_config"] == {"S3OutputPath": config["tensorboard_s3_uri"] + "/ner-job-tb"}
    untracked = launch.make_estimator(dict(config, tensorboard_s3_uri=None), ROLE, session, job_name="j",
                                      source_dir=staged)
    assert untracked.tensorboard_output_config is None


def test_bad_tensorboard_and_transform_settings_are_refused(tmp_path, config):
    for change, message in [({"tensorboard_s3_uri": "/tmp/tb"}, "tensorboard_s3_uri"),
                            ({"transform": {"max_payload_mb": 101}}, "max_payload_mb=101"),
                            ({"transform": {"content_type": "text/csv"}}, "content_type='text/csv'"),
                            ({"transform": {"split": "Line"}}, "unknown key(s) split"),
                            ({"transform": {"output_path": "out/"}}, "output_path='out/'")]:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(dict(config, **change)))
        with pytest.raises(HParamsError, match=message.replace("(", r"\(").replace(")", r"\)")):
            launch.load_config(str(path))


def test_transform_request_splits_by_line_and_assembles_by_line(config, session):
    """The real SDK ``Transformer`` turns the launcher's arguments into a CreateTransformJob request."""
    from sagemaker.transformer import Transformer

    transformer = Transformer("ner-model", sagemaker_session=session, **launch.transformer_kwargs(config))
    transformer.transform("s3://ner-bucket/to-tag/", job_name="ner-transform-1", wait=False,
                          **launch.transform_kwargs(config))
    request = session.transform.call_args.kwargs
    assert (request["strategy"], request["max_payload"]) == ("MultiRecord", 1)
    assert request["input_config"]["SplitType"] == "Line"
    assert request["input_config"]["ContentType"] == "application/jsonlines"
    assert request["output_config"] == {"S3OutputPath": config["transform"]["output_path"], "Accept":
                                        "application/jsonlines", "AssembleWith": "Line"}
    assert request["resource_config"] == {"InstanceCount": 1, "InstanceType": "ml.c5.xlarge"}
    # The TF Serving container's own request timeouts (30 s, 60 s) raised to the transform job's 600 s.
    assert request["env"] == {"SAGEMAKER_GUNICORN_TIMEOUT_SECONDS": "600",
                              "SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS": "600"}


def test_script_transforms_with_a_trained_model(monkeypatch):
    model_cls = mock.MagicMock(name="TensorFlowModel")
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlowModel", model_cls)
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--transform", "s3://b/to-tag/",
                                  "--model-data", "s3://b/model.tar.gz", "--job_name", "ner-tr-1"]) == 0
    assert model_cls.call_args.kwargs["model_data"] == "s3://b/model.tar.gz"
    model = model_cls.return_value
    model.transformer.assert_called_once_with(**launch.transformer_kwargs(launch.load_config(CONFIG)))
    model.transformer.return_value.transform.assert_called_once_with(
        "s3://b/to-tag/", job_name="ner-tr-1", wait=True, content_type="application/jsonlines", split_type="Line")
    model.deploy.assert_not_called()
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--model-data", "s3://b/m.tar.gz"]) == 2


def test_dry_run_of_a_transform_job(capsys):
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--dry-run", "--transform", "s3://b/in/",
                                  "--model-data", "s3://b/model.tar.gz"]) == 0
    definition = json.loads(capsys.readouterr().out)
    assert definition["transformer"]["strategy"] == "MultiRecord"
    assert definition["transformer"]["assemble_with"] == "Line"
    assert definition["transform"] == {"content_type": "application/jsonlines", "split_type": "Line"}


def test_dry_run_shows_the_tensorboard_prefix(capsys, staged):
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--dry-run", "--source-dir", staged,
                                  "--job_name", "ner-dry-tb", "--transform", "s3://b/in/"]) == 0
    definition = json.loads(capsys.readouterr().out)
    assert definition["tensorboard_s3_uri"] == "s3://YOUR-BUCKET/ner-tagger/tensorboard/ner-dry-tb"
    assert definition["transform"]["data"] == "s3://b/in/"


def test_request_has_no_model_dir_profiler_or_debugger_hook(config, session, staged):
    """No s3:// model_dir: the toolkit's main would ask S3 for its bucket's region (GetBucketLocation), which a
    job under network isolation cannot reach. No profiler or debugger hook: the TF 2.14 images have no smdebug.
    What the SDK would send, for a single host and for parameter-server jobs."""
    for changes in ({}, {"distribution": "parameter_server", "instance_count": 2}):
        estimator = launch.make_estimator(dict(config, **changes), ROLE, session, job_name="ner-job-nd",
                                          source_dir=staged)
        assert estimator.model_dir is False
        assert (estimator.disable_profiler, estimator.debugger_hook_config) == (True, False)
        estimator.fit({"training": "s3://ner-bucket/data"}, wait=False, job_name=estimator.ner_job_name)
        request = session.train.call_args.kwargs
        assert "model_dir" not in request["hyperparameters"]
        assert "debugger_hook_config" not in request and not request.get("debugger_rule_configs")
        assert request["profiler_config"] == {"DisableProfiler": True}
        assert not request.get("profiler_rule_configs")


def test_region_is_honoured_for_a_launch(monkeypatch, staged, config):
    """--region builds the SDK session on a boto3 session for that region, for a real launch too: the
    training image and every API call are that region's."""
    from sagemaker.tensorflow import TensorFlow

    estimator_cls = mock.MagicMock(name="TensorFlow")
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlow", estimator_cls)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert launch_sagemaker.main(["--config", CONFIG, "--role", ROLE, "--training", "s3://b/data", "--no-deploy",
                                  "--job_name", "ner-job-eu", "--source-dir", staged, "--region", "eu-west-2"]) == 0
    session = estimator_cls.call_args.kwargs["sagemaker_session"]
    assert session.boto_region_name == "eu-west-2" and session.boto_session.region_name == "eu-west-2"
    # That session (AWS itself mocked: its SageMaker client and S3) under the real SDK: the request's image.
    monkeypatch.setattr("sagemaker.tensorflow.TensorFlow", TensorFlow)
    session.sagemaker_client, session.s3_resource = mock.MagicMock(name="sagemaker"), mock.MagicMock(name="s3")
    estimator = launch.make_estimator(config, ROLE, session, job_name="ner-job-eu", source_dir=staged)
    estimator.fit({"training": "s3://b/data"}, wait=False, job_name=estimator.ner_job_name)
    request = session.sagemaker_client.create_training_job.call_args.kwargs
    assert request["AlgorithmSpecification"]["TrainingImage"] == \
        "763104351884.dkr.ecr.eu-west-2.amazonaws.com/tensorflow-training:2.14-cpu-py310"
    assert "DebugHookConfig" not in request and request["ProfilerConfig"] == {"DisableProfiler": True}


def test_several_instances_need_a_distribution(config, session, staged, tmp_path):
    """instance_count > 1 with no distribution would run N independent trainings into one output."""
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(dict(config, instance_count=3, distribution=None)))
    with pytest.raises(HParamsError, match=r"cluster\.json: instance_count=3 with no distribution: each host would "
                                           r"train its own model.*\"distribution\": \"parameter_server\""):
        launch.load_config(str(path))
    with pytest.raises(HParamsError, match="instance_count=2 with no distribution"):
        launch.make_estimator(dict(config, instance_count=2), ROLE, session, source_dir=staged)
    path.write_text(json.dumps(dict(config, instance_count=0)))
    with pytest.raises(HParamsError, match="instance_count=0: must be a positive integer"):
        launch.load_config(str(path))
    path.write_text(json.dumps(dict(config, instance_count=2, distribution="parameter_server")))
    assert launch.load_config(str(path))["instance_count"] == 2


def test_the_launcher_checks_the_channel_table_every_door_reads(tmp_path, capsys, staged):
    assert launch.CHANNELS == channels.NAMES
    config = launch.load_config(CONFIG)
    for name in channels.NAMES:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(dict(config, inputs={name: "s3://b/x"})))
        assert launch.load_config(str(path))["inputs"] == {name: "s3://b/x"}
    path = tmp_path / "both.json"
    path.write_text(json.dumps(dict(config, inputs={"training": "s3://b/a", "train": "s3://b/b"})))
    with pytest.raises(HParamsError, match=r"both\.json: inputs: channels 'training' and 'train' both hold the "
                                           r"training data"):
        launch.load_config(str(path))
    # The command line's --training and a config's "train" would be two training channels as well.
    path.write_text(json.dumps(dict(config, inputs={"train": "s3://b/a", "validation": "s3://b/v"})))
    argv = ["--config", str(path), "--role", ROLE, "--dry-run", "--source-dir", staged]
    assert launch_sagemaker.main(argv + ["--training", "s3://b/t"]) == 2
    assert "channels 'training' and 'train' both hold the training data" in capsys.readouterr().err
    assert launch_sagemaker.main(argv) == 0  # "train" is a training channel: no --training needed
    assert json.loads(capsys.readouterr().out)["inputs"] == {"train": "s3://b/a", "validation": "s3://b/v"}


def describe_jobs(session, jobs):
    """DescribeTrainingJob answers (AWS mocked) for the named jobs, and a finished model for any other."""
    def describe(TrainingJobName):
        return jobs.get(TrainingJobName, {"ModelArtifacts": {"S3ModelArtifacts": f"s3://b/{TrainingJobName}/m.tgz"}})
    session.sagemaker_client.describe_training_job.side_effect = describe


RESUME_ARGS = ["--config", CONFIG, "--role", ROLE, "--training", "s3://b/data", "--no-deploy"]


def test_resume_from_continues_the_old_jobs_checkpoints(session, staged):
    """The new job gets the old job's checkpoint prefix (SageMaker restores it into /opt/ml/checkpoints) and
    resume_from = the old job's folder in it, as the SDK sends them."""
    describe_jobs(session, {"ner-old-1": {"CheckpointConfig": {"S3Uri": "s3://b/ckpt/ner-old-1"},
                                          "HyperParameters": {"epochs": "40"}}})
    assert launch_sagemaker.main(RESUME_ARGS + ["--source-dir", staged, "--job_name", "ner-new-1",
                                                "--resume-from", "ner-old-1"], session=session) == 0
    session.sagemaker_client.describe_training_job.assert_any_call(TrainingJobName="ner-old-1")
    request = session.train.call_args.kwargs
    assert request["job_name"] == "ner-new-1"
    assert request["checkpoint_s3_uri"] == "s3://b/ckpt/ner-old-1"
    assert request["hyperparameters"]["resume_from"] == '"ner-old-1"'


def test_resuming_a_resumed_job_continues_the_first_jobs_folder(session, staged):
    describe_jobs(session, {"ner-new-1": {"CheckpointConfig": {"S3Uri": "s3://b/ckpt/ner-old-1"},
                                          "HyperParameters": {"resume_from": '"ner-old-1"'}}})
    assert launch_sagemaker.main(RESUME_ARGS + ["--source-dir", staged, "--job_name", "ner-new-2",
                                                "--resume-from", "ner-new-1"], session=session) == 0
    request = session.train.call_args.kwargs
    assert request["checkpoint_s3_uri"] == "s3://b/ckpt/ner-old-1"
    assert request["hyperparameters"]["resume_from"] == '"ner-old-1"'


def test_resume_from_refusals(session, staged, tmp_path, capsys):
    describe_jobs(session, {"ner-nockpt": {"HyperParameters": {}}})
    assert launch_sagemaker.main(RESUME_ARGS + ["--source-dir", staged, "--resume-from", "ner-nockpt"],
                                 session=session) == 2
    assert "ner-nockpt: the job has no CheckpointConfig" in capsys.readouterr().err
    from botocore.exceptions import ClientError

    session.sagemaker_client.describe_training_job.side_effect = ClientError(
        {"Error": {"Code": "ValidationException", "Message": "Requested resource not found."}}, "DescribeTrainingJob")
    assert launch_sagemaker.main(RESUME_ARGS + ["--source-dir", staged, "--resume-from", "ner-gone"],
                                 session=session) == 2
    assert "ner-gone: An error occurred (ValidationException)" in capsys.readouterr().err
    assert launch_sagemaker.main(RESUME_ARGS + ["--source-dir", staged, "--resume-from", "../etc"],
                                 session=session) == 2
    assert "'../etc' is not a SageMaker training job name" in capsys.readouterr().err
    assert launch_sagemaker.main(RESUME_ARGS + ["--source-dir", staged, "--resume-from", "ner-old-1", "--tune"],
                                 session=session) == 2
    assert "--resume-from with --tune: every trial" in capsys.readouterr().err
    local = tmp_path / "local.json"
    local.write_text(json.dumps(dict(launch.load_config(CONFIG), instance_type="local")))
    assert launch_sagemaker.main(["--config", str(local)] + RESUME_ARGS[2:] + ["--source-dir", staged,
                                                                               "--resume-from", "ner-old-1"],
                                 session=session) == 2
    assert "instance type 'local'" in capsys.readouterr().err
    session.train.assert_not_called()
    assert session.sagemaker_client.describe_training_job.call_args_list == \
        [mock.call(TrainingJobName="ner-nockpt"), mock.call(TrainingJobName="ner-gone")]


def test_dry_run_of_a_resumed_job_asks_no_aws(session, staged, capsys):
    assert launch_sagemaker.main(RESUME_ARGS + ["--source-dir", staged, "--job_name", "ner-new-3", "--dry-run",
                                                "--resume-from", "ner-old-3"], session=session) == 0
    definition = json.loads(capsys.readouterr().out)
    assert definition["checkpoint_s3_uri"] == "s3://YOUR-BUCKET/ner-tagger/checkpoints/ner-old-3"
    assert definition["hyperparameters"]["resume_from"] == '"ner-old-3"'
    assert "dry run: AWS not asked" in definition["resume"]["found_by"]
    session.sagemaker_client.describe_training_job.assert_not_called()
    session.train.assert_not_called()
