"""The ``/opt/ml`` contract as :class:`SageMakerEnvironment` reads it, against a fake tree."""
import json
import os

import pytest

from ner_tagger.errors import DataError
from ner_tagger.opt_ml import MLPaths, SageMakerEnvironment, refuse_sharded_channels


def _environ(base, **extra):
    values = {"SAGEMAKER_BASE_DIR": str(base), "SM_MODEL_DIR": str(base / "model"),
              "SM_OUTPUT_DATA_DIR": str(base / "output" / "data"), "SM_CHANNEL_TRAINING": "/data/train",
              "SM_CHANNEL_EVAL": "/data/eval", "SM_HOSTS": json.dumps(["algo-1", "algo-2"]),
              "SM_CURRENT_HOST": "algo-2", "SM_NUM_GPUS": "1", "SM_HPS": json.dumps({"epochs": 3})}
    values.update(extra)
    return values


def test_reads_the_toolkits_variables(tmp_path):
    env = SageMakerEnvironment.from_environ(_environ(tmp_path, TF_CONFIG='{"cluster": {}}'))
    assert env.channels == {"training": "/data/train", "eval": "/data/eval"}
    assert (env.hosts, env.current_host, env.num_gpus) == (["algo-1", "algo-2"], "algo-2", 1)
    assert env.hyperparameters == {"epochs": 3} and env.tf_config == {"cluster": {}}
    assert env.in_training_job
    assert env.failure_file == str(tmp_path / "output" / "failure")


def test_outside_a_job():
    env = SageMakerEnvironment.from_environ({})
    assert env.base_dir == "/opt/ml" and not env.in_training_job and env.hosts == []


def test_checkpoints_never_go_to_s3(tmp_path):
    env = SageMakerEnvironment.from_environ(_environ(tmp_path))
    assert env.checkpoint_dir("/local/ckpt") == "/local/ckpt"
    first = env.checkpoint_dir("s3://bucket/job/model")
    assert "://" not in first and os.path.isdir(first)
    assert env.checkpoint_dir(None) != first  # a fresh folder each time: never someone else's model
    (tmp_path / "checkpoints").mkdir()  # the job has checkpoint_s3_uri: SageMaker syncs this folder
    assert env.checkpoint_dir("s3://bucket/job/model") == str(tmp_path / "checkpoints")


def test_failure_file_first_writer_wins(tmp_path):
    env = SageMakerEnvironment.from_environ(_environ(tmp_path))
    env.write_failure("no output folder: nothing written")
    assert not os.path.exists(env.failure_file)
    (tmp_path / "output").mkdir()
    env.write_failure("HParamsError: 'lstm_units'='many'")
    env.write_failure("ExecuteUserScriptError: exit code 2")
    assert open(env.failure_file).read() == "HParamsError: 'lstm_units'='many'\n"


def test_each_job_keeps_its_own_checkpoint_folder(tmp_path):
    """Tuning trials share one checkpoint_s3_uri (one TrainingJobDefinition), so /opt/ml/checkpoints holds
    (and syncs) every trial's files: each job writes under its own TRAINING_JOB_NAME; a spot restart of
    the same job (same name) finds its own."""
    (tmp_path / "checkpoints").mkdir()
    trial_1 = SageMakerEnvironment.from_environ(_environ(tmp_path, TRAINING_JOB_NAME="tune-001-1a2b3c4d"))
    trial_2 = SageMakerEnvironment.from_environ(_environ(tmp_path, TRAINING_JOB_NAME="tune-002-5e6f7a8b"))
    first, second = trial_1.checkpoint_dir("s3://b/m"), trial_2.checkpoint_dir("s3://b/m")
    assert first == str(tmp_path / "checkpoints" / "tune-001-1a2b3c4d") and os.path.isdir(first)
    assert second == str(tmp_path / "checkpoints" / "tune-002-5e6f7a8b")
    restarted = SageMakerEnvironment.from_environ(_environ(tmp_path, TRAINING_JOB_NAME="tune-001-1a2b3c4d"))
    assert restarted.checkpoint_dir("s3://b/m") == first
    # A name that is not a SageMaker job name is never used as a path.
    odd = SageMakerEnvironment.from_environ(_environ(tmp_path, TRAINING_JOB_NAME="../../etc"))
    assert odd.checkpoint_dir("s3://b/m") == str(tmp_path / "checkpoints")


def test_tensorboard_folder_is_the_configured_local_path_or_the_sdk_default(tmp_path):
    paths = MLPaths(str(tmp_path))
    assert paths.tensorboard == str(tmp_path / "output" / "tensorboard")
    os.makedirs(os.path.dirname(paths.tensorboard_config))
    with open(paths.tensorboard_config, "w", encoding="utf-8") as fh:
        json.dump({"LocalPath": "/opt/ml/output/tb-custom", "S3OutputPath": "s3://b/tb"}, fh)
    assert paths.tensorboard == "/opt/ml/output/tb-custom"


@pytest.mark.parametrize("text", ["{not json", '{"S3OutputPath": "s3://b/tb"}', '["/opt/ml/tb"]'])
def test_unreadable_tensorboard_config_names_the_file(tmp_path, text):
    paths = MLPaths(str(tmp_path))
    os.makedirs(os.path.dirname(paths.tensorboard_config))
    with open(paths.tensorboard_config, "w", encoding="utf-8") as fh:
        fh.write(text)
    with pytest.raises(DataError, match="tensorboardoutputconfig.json"):
        assert paths.tensorboard is None  # not reached: reading the property raises


def test_sharded_channels_are_refused_on_several_hosts_with_the_reason(tmp_path):
    sharded = {"training": {"S3DistributionType": "ShardedByS3Key", "TrainingInputMode": "File"},
               "eval": {"S3DistributionType": "FullyReplicated"}}
    env = SageMakerEnvironment.from_environ(_environ(tmp_path, SM_INPUT_DATA_CONFIG=json.dumps(sharded)))
    assert env.input_data_config == sharded
    reason = refuse_sharded_channels(env.input_data_config, len(env.hosts))
    assert "channel 'training': ShardedByS3Key" in reason and "vocabularies" in reason
    assert refuse_sharded_channels(env.input_data_config, 1) is None  # one host has every file
    assert refuse_sharded_channels({"training": {"S3DistributionType": "FullyReplicated"}}, 4) is None


def test_script_mode_fails_a_sharded_multi_host_job_before_reading_data(tmp_path, monkeypatch):
    from ner_tagger.sagemaker import script_mode

    sharded = {"training": {"S3DistributionType": "ShardedByS3Key"}}
    for key, value in _environ(tmp_path, SM_INPUT_DATA_CONFIG=json.dumps(sharded)).items():
        monkeypatch.setenv(key, value)
    os.makedirs(tmp_path / "output")  # SageMaker's; the failure file goes only where it exists
    code = script_mode.main(["--data_dir", str(tmp_path / "missing"), "--export_dir", str(tmp_path / "x")])
    assert code != 0
    with open(tmp_path / "output" / "failure", encoding="utf-8") as fh:
        assert "ShardedByS3Key is not supported with several hosts" in fh.read()
