"""SDK v3's REAL container drivers run ``sagemaker_entry/train_entry.py`` from the staged source folder.

``ModelTrainer`` (LOCAL_CONTAINER mode, in SDK v3's own venv) prepares the job with its own code: the
``code`` channel (the staged folder the launcher uploads), the ``sm_drivers`` channel (its drivers,
``sm_train.sh``), ``/opt/ml/input/config``; ``tests/support/sdk3_harness.py`` then runs the service's entry point on
that ``/opt/ml`` without Docker, with the platform's ``/opt/ml/checkpoints`` (a ``CheckpointConfig``) beside it.
No ``SM_*`` variable is written here: v3's ``environment.py`` computes them in the run.
"""
import json
import os
import re

import pytest
from support import sagemaker_harness
from support import sdk3_harness as harness
from support.synthetic import TINY

pytestmark = pytest.mark.slow  # trains in a subprocess

IMAGE = "763104351884.dkr.ecr.us-west-2.amazonaws.com/tensorflow-training:2.14-cpu-py310"
# Python values, as a ModelTrainer takes them (the SDK serialises them itself).
HYPERPARAMETERS = dict(TINY, lowercase=True, tag_scheme="auto", tag_encoding="iobes", dropout=0.1, max_steps=100)


@pytest.fixture(scope="module")
def sdk3():
    return harness.sdk3_python()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return sagemaker_harness.write_training_data(tmp_path_factory.mktemp("v3-data"))


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory):
    """The folder the launcher stages, built for this interpreter (which stands in for the image's)."""
    return sagemaker_harness.prepare_source(str(tmp_path_factory.mktemp("v3-src") / "src"),
                                            sagemaker_harness.this_python_target(), image_packages=True)


def _job(sdk3, workdir, source_dir, data_dir, hyperparameters):
    job = harness.prepare_local_job(sdk3, str(workdir), image=IMAGE, source_dir=source_dir,
                                    entry_script="train_entry.py", requirements="requirements.txt",
                                    hyperparameters=hyperparameters, channels={"training": data_dir})
    checkpoints = workdir / "checkpoints"
    checkpoints.mkdir()
    proc = harness.run_service(job["service"], [f"{checkpoints}:/opt/ml/checkpoints"])
    return dict(job, proc=proc, log=proc.stdout + proc.stderr, checkpoints=str(checkpoints),
                model=harness.host_path(job["service"], "/opt/ml/model"),
                output=harness.host_path(job["service"], "/opt/ml/output"))


@pytest.fixture(scope="module")
def job(sdk3, tmp_path_factory, source_dir, data_dir):
    return _job(sdk3, tmp_path_factory.mktemp("v3-job"), source_dir, data_dir, HYPERPARAMETERS)


def test_the_sdk_adds_its_code_and_drivers_channels(job):
    assert job["channels"] == ["training", "code", "sm_drivers"]
    assert job["service"]["entrypoint"][-1].endswith("/opt/ml/input/data/sm_drivers/sm_train.sh")


def test_job_succeeds_under_the_v3_driver_with_its_command_line(job):
    assert job["proc"].returncode == 0, job["log"][-4000:]
    log = job["log"]
    assert "Running Basic Script driver" in log and "Training Container Execution Completed" in log
    command = re.search(r"Executing command: (\S+) train_entry\.py (.+)", log).group(2)
    # v3's rules: JSON-decoded, then json.dumps'ed unless a string: True arrives as "true", not "True".
    assert "--lowercase true" in command and "--tag_scheme auto" in command and "--max_steps 100" in command
    assert "--model_dir" not in command
    assert not os.path.exists(os.path.join(job["output"], "failure"))


def test_the_named_requirements_install_from_the_staged_wheels(job):
    log = job["log"]
    assert "install_requirements.py requirements.txt" in log
    assert "Requirement already satisfied: tensorflow-addons" in log
    assert "Installing collected packages" not in log


def test_model_is_a_numeric_savedmodel_in_sm_model_dir(job):
    versions = [n for n in os.listdir(job["model"]) if n.isdigit()]
    assert len(versions) == 1
    assert os.path.isfile(os.path.join(job["model"], versions[0], "saved_model.pb"))


def test_sdk_channels_are_not_read_as_data(job):
    with open(os.path.join(job["output"], "data", "eval_report.json"), encoding="utf-8") as fh:
        report = json.load(fh)
    assert report["files"]["train"] == "/opt/ml/input/data/training/train.txt"
    assert report["dev"]["overall"]["f1"] > 0.9


def test_checkpoints_go_to_the_synced_folder_per_job(job):
    folder = os.path.join(job["checkpoints"], job["job_name"])
    assert f"checkpoints in /opt/ml/checkpoints/{job['job_name']}" in job["log"]
    assert any(name.startswith("model.ckpt-100") for name in os.listdir(folder))


def test_metric_lines_reach_the_log_through_the_driver(job):
    from ner_tagger.sagemaker.metric_definitions import METRIC_DEFINITIONS, OBJECTIVE_METRIC

    [objective] = [d["Regex"] for d in METRIC_DEFINITIONS if d["Name"] == OBJECTIVE_METRIC]
    matching = [line for line in job["log"].splitlines() if re.search(objective, line)]
    assert "eval: step=100 " in matching[0] and "final: f1=" in matching[-1]


def test_bad_hyperparameter_fails_with_our_reason_in_the_failure_file(sdk3, tmp_path, source_dir, data_dir):
    """v3's driver writes its own traceback into the failure file only when none exists, and ``sm_train.sh``
    its generic message only when the file is empty: ours, written first, stays."""
    job = _job(sdk3, tmp_path, source_dir, data_dir, dict(HYPERPARAMETERS, lstm_units="many"))
    assert job["proc"].returncode == 2, job["log"][-3000:]
    with open(os.path.join(job["output"], "failure"), encoding="utf-8") as fh:
        failure = fh.read()
    assert "'lstm_units'='many'" in failure and "expected an integer" in failure
    assert "Traceback" not in failure and "CalledProcessError" not in failure
    assert not [n for n in os.listdir(job["model"]) if n.isdigit()]
