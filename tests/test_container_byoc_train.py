"""`train`'s failure contract: a reason in output/failure, a non-zero exit, no model files, no secrets.

The three failures the issue names run the real executable; the rest call ``byoc_train.main`` in-process."""
import json
import os
import re
import shutil

import pytest
from support.container_harness import STRING_HPARAMS, failure, model_files, run_train, scaffold

from ner_tagger.container import byoc_train
from ner_tagger.sagemaker.environment import MLPaths

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def assert_failed(root, result, *fragments):
    reason = failure(root)
    assert result.returncode == 2, result.stderr[-2000:]
    assert reason is not None
    for fragment in fragments:
        assert fragment in reason, reason
    assert model_files(root) == []
    assert reason.strip() in result.stderr  # the same reason is in the job's log


def test_bad_hyperparameter(tmp_path):
    root = scaffold(tmp_path, {"dropout": "lots", "word_dim": "8"})
    assert_failed(root, run_train(root), "'dropout'='lots'", "expected a number")


def test_missing_channel(tmp_path):
    root = scaffold(tmp_path)
    os.rename(os.path.join(root, "input", "data", "training"), os.path.join(root, "input", "data", "other"))
    assert_failed(root, run_train(root), "channel 'training'", "folder is missing")


def test_malformed_data(tmp_path):
    root = scaffold(tmp_path)
    train = os.path.join(root, "input", "data", "training", "train.txt")
    with open(train, "a", encoding="utf-8") as fh:
        fh.write("\nAlice\tB-PER\nBob\tPERSON\n")
    lines = sum(1 for _ in open(train, encoding="utf-8"))
    assert_failed(root, run_train(root), f"train.txt:{lines}:", "'PERSON'")


def in_process(tmp_path, hyperparameters):
    root = scaffold(tmp_path, hyperparameters, train=[(["a"], ["O"])], dev=[(["a"], ["O"])])
    return root, byoc_train.main(MLPaths(root))


def test_unknown_key_named_and_stale_failure_replaced(tmp_path):
    write(str(tmp_path / "output" / "failure"), "an old reason")
    root, code = in_process(tmp_path, {"lstm_unitz": "3"})
    assert code == 2 and "'lstm_unitz'" in failure(root) and "an old reason" not in failure(root)


def test_secrets_never_reach_the_failure_file(tmp_path, monkeypatch):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    root, code = in_process(tmp_path, {"dropout": secret})
    assert code == 2 and "'dropout'" in failure(root) and secret not in failure(root)


def test_a_late_failure_removes_the_model_it_wrote(tmp_path, monkeypatch):
    def export_then_fail(paths):
        write(os.path.join(paths.model_dir, "123", "saved_model.pb"), "x")
        raise RuntimeError("final evaluation failed")

    write(str(tmp_path / "model" / "keep.txt"), "was here before")
    monkeypatch.setattr(byoc_train, "train", export_then_fail)
    root, code = in_process(tmp_path, {})
    assert code == 1 and failure(root) == "RuntimeError: final evaluation failed\n"
    assert model_files(root) == ["keep.txt"]


def test_sharded_data_refused_on_several_hosts(tmp_path):
    root = scaffold(tmp_path, {})
    write(os.path.join(root, "input", "config", "resourceconfig.json"),
          json.dumps({"current_host": "algo-1", "hosts": ["algo-1", "algo-2"]}))
    write(os.path.join(root, "input", "config", "inputdataconfig.json"),
          json.dumps({"training": {"S3DistributionType": "ShardedByS3Key"}}))
    assert byoc_train.main(MLPaths(root)) == 2 and "FullyReplicated" in failure(root)


# --- where checkpoints go: one folder per job under the synced root -------------------------------------

TWO_JOBS = dict(STRING_HPARAMS, max_steps="40", eval_every_steps="20")
RESUMED = re.compile(r"train: resuming from (\S+) \(global step (\d+)\)")


def _job(root, capfd, monkeypatch, name, **hyperparameters):
    """One ``train`` as SageMaker runs it: ``TRAINING_JOB_NAME`` set, the job's hyperparameters.json."""
    write(os.path.join(root, "input", "config", "hyperparameters.json"),
          json.dumps(dict(TWO_JOBS, **hyperparameters)))
    monkeypatch.setenv("TRAINING_JOB_NAME", name)
    capfd.readouterr()
    code = byoc_train.main(MLPaths(root))
    log = capfd.readouterr().err
    assert code == 0, log[-3000:]
    versions = model_files(root)
    with open(os.path.join(root, "model", versions[-1], "assets.extra", "params.json"), encoding="utf-8") as fh:
        return log, json.load(fh)


def test_two_jobs_on_one_checkpoint_prefix_each_train_their_own_model_and_a_restart_resumes(
        tmp_path, capfd, monkeypatch):
    """SageMaker restores a job's whole checkpoint_s3_uri into /opt/ml/checkpoints and sets TRAINING_JOB_NAME:
    two jobs given the same prefix see each other's files. Each must train its own model (the second, with
    other lstm_units, neither stops on the shape guard nor re-exports the first's model); the first job
    restarted (a spot restart keeps its name) must resume where it stopped."""
    root = scaffold(tmp_path)
    os.makedirs(os.path.join(root, "checkpoints"))  # the job has a checkpoint_s3_uri
    first_log, first = _job(root, capfd, monkeypatch, "ner-job-1")
    assert "starting at global step 0" in first_log

    shutil.rmtree(os.path.join(root, "model"))  # a new job's container: an empty model/
    second_log, second = _job(root, capfd, monkeypatch, "ner-job-2", lstm_units="12")
    assert "starting at global step 0" in second_log and not RESUMED.search(second_log), second_log[-3000:]
    assert (first["lstm_units"], second["lstm_units"]) == (int(json.loads(TWO_JOBS["lstm_units"])), 12)
    assert sorted(os.listdir(os.path.join(root, "checkpoints"))) == ["ner-job-1", "ner-job-2"]

    shutil.rmtree(os.path.join(root, "model"))
    restart_log, restarted = _job(root, capfd, monkeypatch, "ner-job-1")
    folder, step = RESUMED.search(restart_log).groups()
    assert folder == os.path.join(root, "checkpoints", "ner-job-1", "model.ckpt-40") and step == "40"
    assert restarted["lstm_units"] == first["lstm_units"]


def test_a_checkpoint_config_that_names_no_writable_folder_fails_the_job_naming_it(tmp_path):
    root = scaffold(tmp_path, {})
    write(os.path.join(root, "a-file"), "x")
    config = os.path.join(root, "input", "config", "checkpointconfig.json")
    write(config, json.dumps({"LocalPath": os.path.join(root, "a-file"), "S3Uri": "s3://b/ckpt"}))
    assert byoc_train.main(MLPaths(root)) == 2
    assert failure(root).startswith(f"{config}: 'LocalPath'=") and "is not a folder" in failure(root)


def test_resume_from_in_a_tuning_trial_fails_the_job_with_the_reason(tmp_path, monkeypatch):
    root = scaffold(tmp_path, {"_tuning_objective_metric": json.dumps("dev_f1"),
                               "resume_from": json.dumps("ner-job-1")})
    os.makedirs(os.path.join(root, "checkpoints", "ner-job-1"))
    monkeypatch.setenv("TRAINING_JOB_NAME", "tune-001-1a2b3c4d")
    assert byoc_train.main(MLPaths(root)) == 2
    assert "'resume_from'='ner-job-1' cannot be used in a tuning job" in failure(root)


def test_resume_from_continues_the_named_jobs_folder(tmp_path, capfd, monkeypatch):
    """A new job (new name) given a stopped job's checkpoint_s3_uri and resume_from continues that job's
    folder: here the old job's folder holds a finished 40-step run, so the new one resumes at step 40."""
    root = scaffold(tmp_path)
    config = os.path.join(root, "input", "config", "checkpointconfig.json")
    write(config, json.dumps({"LocalPath": str(tmp_path / "synced"), "S3Uri": "s3://b/ckpt/ner-job-1"}))
    _job(root, capfd, monkeypatch, "ner-job-1")
    shutil.rmtree(os.path.join(root, "model"))
    log, _ = _job(root, capfd, monkeypatch, "ner-job-2", resume_from="ner-job-1", max_steps="60")
    assert RESUMED.search(log).groups() == (str(tmp_path / "synced" / "ner-job-1" / "model.ckpt-40"), "40")
    assert os.listdir(tmp_path / "synced") == ["ner-job-1"]
