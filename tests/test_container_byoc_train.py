"""`train`'s failure contract: a reason in output/failure, a non-zero exit, no model files, no secrets.

The three failures the issue names run the real executable; the rest call ``byoc_train.main`` in-process."""
import json
import os

import pytest
from container_harness import failure, model_files, run_train, scaffold

from ner_tagger.container import byoc_train
from ner_tagger.opt_ml import MLPaths

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
