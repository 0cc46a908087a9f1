"""The REAL ``sagemaker_tensorflow_container.training.main`` runs ``sagemaker_entry/train_entry.py``.

One fake ``/opt/ml`` (``SAGEMAKER_BASE_DIR``) with SDK-v2-encoded hyperparameters and a ``checkpoints/``
folder (as with ``checkpoint_s3_uri``): a first job trains 100 steps and exports; a second job (a restarted
spot job) resumes at step 100 and goes on to 150. A third job has a bad hyperparameter and must fail cleanly.
"""
import json
import os
import re

import pytest
from support import sagemaker_harness as harness
from support.events import tensorboard_scalars
from support.synthetic import TINY, synthetic_sentences, write_conll

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

HYPERPARAMETERS = dict(TINY, lowercase=True, tag_scheme="auto", tag_encoding="iobes", dropout=0.1)
NOT_SERVABLE = ("NOT be servable", "No model artifact")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return harness.write_training_data(tmp_path_factory.mktemp("sm-data"))


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """The source folder the launcher stages (entry, package, wheels, no-index requirements.txt), built for
    this interpreter. Its pins must be what this venv has: the toolkit's pip would otherwise install the
    wheels into the test venv."""
    folder = harness.prepare_source_for_this_python(str(tmp_path_factory.mktemp("sm-src") / "src"))
    return harness.staged_tarball(tmp_path_factory.mktemp("sm-tar") / "sourcedir.tar.gz", folder)


@pytest.fixture(scope="module")
def jobs(tmp_path_factory, data_dir, tarball):
    """First job (100 steps), then the same /opt/ml restarted with max_steps=150."""
    base = str(tmp_path_factory.mktemp("opt_ml"))
    harness.make_base(base, data_dir, harness.sdk_hyperparameters(dict(HYPERPARAMETERS, max_steps=100),
                                                                  tarball))
    first = harness.run_job(base)
    first_versions = _versions(base)
    # A tuning job's own hyperparameter is in hyperparameters.json; the toolkit keeps it off the command line.
    harness.make_base(base, data_dir, harness.sdk_hyperparameters(
        dict(HYPERPARAMETERS, max_steps=150, _tuning_objective_metric="dev:f1"), tarball))
    second = harness.run_job(base)
    return {"base": base, "first": first, "second": second, "first_versions": first_versions}


def _versions(base):
    model = os.path.join(base, "model")
    return sorted(n for n in os.listdir(model) if n.isdigit())


def _log(proc):
    return proc.stdout + proc.stderr


def test_job_succeeds_with_the_toolkits_command_line(jobs):
    proc = jobs["first"]
    assert proc.returncode == 0, _log(proc)[-4000:]
    log = _log(proc)
    assert "Reporting training SUCCESS" in log
    command = re.search(r"Invoking script with the following command:\s+(.+)", log).group(1)
    # SDK v2's JSON encoding decoded and str()-ed by the toolkit, plus the SDK's s3:// model_dir.
    assert command.split()[1] == "train_entry.py"
    assert "--lowercase True" in command and "--tag_scheme auto" in command and "--max_steps 100" in command
    assert "--model_dir s3://ner-bucket/" in command
    assert os.path.isfile(os.path.join(jobs["base"], "output", "success"))


def test_requirements_are_satisfied_without_reinstalling_tensorflow(jobs):
    log = _log(jobs["first"])
    assert "Requirement already satisfied: tensorflow-addons" in log
    assert "Installing collected packages" not in log
    assert not re.search(r"^Collecting tensorflow", log, re.M)
    with open(os.path.join(harness.ROOT, "sagemaker_entry", "requirements.txt"), encoding="utf-8") as fh:
        required = [line.split("<")[0].split(">")[0].split("=")[0].strip() for line in fh
                    if line.strip() and not line.startswith("#")]
    assert "tensorflow" not in required


def test_model_is_servable_in_a_numeric_folder(jobs):
    versions = jobs["first_versions"]
    assert len(versions) == 1
    assert os.path.isfile(os.path.join(jobs["base"], "model", versions[0], "saved_model.pb"))
    for proc in (jobs["first"], jobs["second"]):
        assert not any(warning in _log(proc) for warning in NOT_SERVABLE)


def test_report_lands_in_the_output_data_dir(jobs):
    with open(os.path.join(jobs["base"], "output", "data", "eval_report.json"), encoding="utf-8") as fh:
        report = json.load(fh)
    assert set(report["dev"]) >= {"overall", "PER", "LOC", "ORG"}
    assert report["dev"]["overall"]["f1"] > 0.9


def test_checkpoints_go_to_the_synced_folder_not_s3(jobs):
    log = _log(jobs["first"])
    assert f"checkpoints in {os.path.join(jobs['base'], 'checkpoints')}" in log
    assert "starting at global step 0" in log


def test_restarted_job_resumes_the_global_step(jobs):
    proc = jobs["second"]
    assert proc.returncode == 0, _log(proc)[-4000:]
    log = _log(proc)
    command = re.search(r"Invoking script with the following command:\s+(.+)", log).group(1)
    assert "_tuning_objective_metric" not in command  # sagemaker_training.params.SAGEMAKER_HYPERPARAMETERS
    assert re.search(r"resuming from \S+model\.ckpt-100 \(global step 100\)", log)
    steps = [int(s) for s in re.findall(r"train: step=(\d+)/150", log)]
    assert steps and min(steps) > 100  # no step before the checkpoint was trained again
    assert "eval: step=150 " in log
    assert len(_versions(jobs["base"])) == 2


def test_bad_hyperparameter_fails_the_job_naming_key_and_value(tmp_path, data_dir, tarball):
    base = str(tmp_path / "opt_ml")
    harness.make_base(base, data_dir, harness.sdk_hyperparameters(dict(HYPERPARAMETERS, lstm_units="many"),
                                                                  tarball))
    proc = harness.run_job(base)
    assert proc.returncode != 0
    with open(os.path.join(base, "output", "failure"), encoding="utf-8") as fh:
        failure = fh.read()
    assert "'lstm_units'='many'" in failure and "expected an integer" in failure
    assert len(failure) < 1024  # all of it reaches DescribeTrainingJob's FailureReason
    log = _log(proc)
    assert "Reporting training FAILURE" in log and "Failure file exists" in log
    assert not _versions(base)


def test_metric_definitions_match_the_jobs_log(jobs):
    from ner_tagger.sagemaker.metric_definitions import METRIC_DEFINITIONS

    log = _log(jobs["first"])
    line = re.search(r"^.*eval: step=100 .*$", log, re.M).group(0)
    values = {d["Name"]: re.search(d["Regex"], line) for d in METRIC_DEFINITIONS}
    for name in ("dev:f1", "dev:precision", "dev:recall", "dev:loss"):
        assert 0 <= float(values[name].group(1)) < 100
    assert values["dev:f1"].group(1) == re.search(r" f1=([0-9.]+)", line).group(1)
    assert values["train:step"] is None  # the step and training loss come from the progress line
    progress = re.search(r"^.*train: step=100/100 .*$", log, re.M).group(0)
    train = {d["Name"]: re.search(d["Regex"], progress) for d in METRIC_DEFINITIONS}
    assert train["train:step"].group(1) == "100" and float(train["train:loss"].group(1)) >= 0
    assert not [n for n in ("dev:f1", "dev:precision", "dev:recall", "dev:loss") if train[n]]


def test_objectives_last_value_is_the_exported_models_dev_f1(jobs):
    """SageMaker's final objective value is the last one emitted: the final line, after the export, with
    the exported model's dev F1 (the report's), not the last evaluation's."""
    from ner_tagger.sagemaker.metric_definitions import METRIC_DEFINITIONS, OBJECTIVE_METRIC

    [objective] = [d["Regex"] for d in METRIC_DEFINITIONS if d["Name"] == OBJECTIVE_METRIC]
    for proc in (jobs["first"], jobs["second"]):
        lines = _log(proc).splitlines()
        matching = [ln for ln in lines if re.search(objective, ln)]
        assert "eval: step=" in matching[0] and "final: f1=" in matching[-1]
        export_at = next(i for i, ln in enumerate(lines) if "export: " in ln)
        assert lines.index(matching[-1]) > export_at
    with open(os.path.join(jobs["base"], "output", "data", "eval_report.json"), encoding="utf-8") as fh:
        report = json.load(fh)
    assert float(re.search(objective, matching[-1]).group(1)) == round(report["dev"]["overall"]["f1"], 4)


def test_unknown_flag_fails_naming_it(tmp_path, monkeypatch, data_dir):
    from ner_tagger.sagemaker import script_mode

    (tmp_path / "output").mkdir()
    monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(tmp_path))
    argv = ["--data_dir", data_dir, "--export_dir", str(tmp_path / "model"), "--lstm_unitz", "8"]
    assert script_mode.main(argv) == 2
    assert "--lstm_unitz 8" in (tmp_path / "output" / "failure").read_text()


def test_sagemaker_internal_flags_are_dropped():
    from ner_tagger.sagemaker.script_mode import without_internal_flags

    argv = ["--_tuning_objective_metric", "dev:f1", "--epochs", "3", "--_x=1", "--model_dir", "s3://b/m"]
    assert without_internal_flags(argv) == ["--epochs", "3", "--model_dir", "s3://b/m"]


def test_tensorboard_summaries_land_where_sagemaker_collects_them(jobs):
    """No TensorBoardOutputConfig file in this /opt/ml: the SDK's default local path, output/tensorboard."""
    folder = os.path.join(jobs["base"], "output", "tensorboard")
    train, dev = tensorboard_scalars(os.path.join(folder, "train")), tensorboard_scalars(os.path.join(folder, "eval"))
    assert {"loss", "learning_rate"} <= set(train)
    assert [step for step, _ in train["loss"]] == [50, 100, 150]  # log_every_steps 50, over both jobs
    assert {value for _, value in train["learning_rate"]} == {TINY["learning_rate"]}
    assert {"f1", "precision", "recall", "loss", "f1/PER", "f1/LOC", "f1/ORG"} <= set(dev)
    # Both jobs (the first, and the restarted one that resumed at step 100) wrote their evaluations.
    assert [step for step, _ in dev["f1"]] == [100, 150]


def test_model_dirs_the_platform_makes_up_mean_none_given():
    """SDK v2's s3:// default, and the toolkit's rewrite for a tuning trial with no model_dir
    (``"{}/{}/model".format(None, job)``); tests/test_sagemaker_network_isolation.py runs both for real."""
    from ner_tagger.sagemaker.script_mode import requested_model_dir

    for made_up in ("s3://ner-bucket/ner-job/model", "None/ner-tune-001-0a1b2c3d/model", "", None):
        assert requested_model_dir(made_up) is None
    for asked in ("/opt/ml/checkpoints/x", "runs/ckpt", "None/a/b/model", "None"):
        assert requested_model_dir(asked) == asked


def entry_env(monkeypatch, base, hosts=("algo-1",), **channel_dirs):
    """The environment the toolkit gives the entry point on a temporary /opt/ml; no TF_CONFIG."""
    for key in [k for k in os.environ if k.startswith(("SM_", "TF_CONFIG"))]:
        monkeypatch.delenv(key)
    for folder in ("model", "output/data"):
        os.makedirs(os.path.join(base, folder), exist_ok=True)
    env = dict(SAGEMAKER_BASE_DIR=str(base), SM_MODEL_DIR=os.path.join(base, "model"),
               SM_OUTPUT_DATA_DIR=os.path.join(base, "output/data"), SM_HPS="{}", SM_HOSTS=json.dumps(hosts),
               SM_CURRENT_HOST=hosts[0], **{f"SM_CHANNEL_{k.upper()}": v for k, v in channel_dirs.items()})
    for key, value in env.items():
        monkeypatch.setenv(key, value)


TINY_FLAGS = [a for k, v in dict(TINY, max_steps=20, eval_every_steps=20).items() for a in (f"--{k}", str(v))]


def test_train_and_validation_channels_are_read(tmp_path, monkeypatch):
    """The launcher accepts ``train`` and ``validation`` (ner_tagger.sagemaker.channels); the job reads both."""
    from ner_tagger.sagemaker import script_mode

    train_dir, validation_dir = tmp_path / "train", tmp_path / "validation"
    train_dir.mkdir(), validation_dir.mkdir()
    write_conll(train_dir / "train.txt", synthetic_sentences(100, 1))
    write_conll(validation_dir / "dev.txt", synthetic_sentences(20, 2))
    base = tmp_path / "opt_ml"
    entry_env(monkeypatch, base, train=str(train_dir), validation=str(validation_dir))
    assert script_mode.main(TINY_FLAGS) == 0, (base / "output" / "failure").read_text()
    with open(base / "output" / "data" / "eval_report.json", encoding="utf-8") as fh:
        files = json.load(fh)["files"]
    assert (files["train"], files["dev"]) == (str(train_dir / "train.txt"), str(validation_dir / "dev.txt"))


def test_two_channels_for_one_role_fail_the_job_naming_both(tmp_path, monkeypatch, data_dir):
    from ner_tagger.sagemaker import script_mode

    base = tmp_path / "opt_ml"
    entry_env(monkeypatch, base, training=data_dir, train=data_dir)
    assert script_mode.main(TINY_FLAGS) == 2
    assert "channels 'training' and 'train' both hold the training data" in \
        (base / "output" / "failure").read_text()
    assert not os.listdir(base / "model")


def test_several_hosts_without_tf_config_are_refused(tmp_path, monkeypatch, data_dir):
    """instance_count 2 with no distribution: the toolkit builds no TF_CONFIG, and each host would train its
    own model into the same output."""
    from ner_tagger.sagemaker import script_mode

    base = tmp_path / "opt_ml"
    entry_env(monkeypatch, base, hosts=("algo-1", "algo-2"), training=data_dir)
    assert script_mode.main(TINY_FLAGS) == 2
    failure = (base / "output" / "failure").read_text()
    assert "2 hosts (algo-1, algo-2) but no TF_CONFIG: each host would train its own model" in failure
    assert '"parameter_server"' in failure
    assert not os.listdir(base / "model")


def test_several_hosts_under_sdk3s_driver_are_refused_pointing_to_sdk2(tmp_path, monkeypatch, data_dir):
    """SDK v3's driver (``SM_ENTRY_SCRIPT`` from its environment.py) never builds a TF_CONFIG: the advice to
    set a parameter_server distribution would not help there."""
    from ner_tagger.sagemaker import script_mode

    base = tmp_path / "opt_ml"
    entry_env(monkeypatch, base, hosts=("algo-1", "algo-2"), training=data_dir, code=str(tmp_path))
    monkeypatch.setenv("SM_ENTRY_SCRIPT", "train_entry.py")
    assert script_mode.main(TINY_FLAGS) == 2
    failure = (base / "output" / "failure").read_text()
    assert "SDK v3's ModelTrainer runs the script with its own driver" in failure
    assert "SDK v2's TensorFlow estimator" in failure
    assert not os.listdir(base / "model")
