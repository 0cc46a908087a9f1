"""The ``/opt/ml`` contract as :class:`JobEnvironment` reads it, against a fake tree: the toolkit's ``SM_*``
variables (script mode), and resourceconfig.json, inputdataconfig.json and the channel folders under
input/data/ (the bring-your-own container)."""
import json
import os

import pytest
from support.opt_ml import channel_roles, write_json

from ner_tagger.errors import DataError, HParamsError
from ner_tagger.sagemaker import environment
from ner_tagger.sagemaker.environment import JobEnvironment, MLPaths, job_checkpoint_dir, refuse_sharded_channels


def _environ(base, **extra):
    values = {"SAGEMAKER_BASE_DIR": str(base), "SM_MODEL_DIR": str(base / "model"),
              "SM_OUTPUT_DATA_DIR": str(base / "output" / "data"), "SM_CHANNEL_TRAINING": "/data/train",
              "SM_CHANNEL_EVAL": "/data/eval", "SM_HOSTS": json.dumps(["algo-1", "algo-2"]),
              "SM_CURRENT_HOST": "algo-2", "SM_NUM_GPUS": "1", "SM_HPS": json.dumps({"epochs": 3})}
    values.update(extra)
    return values


def test_reads_the_toolkits_variables(tmp_path):
    env = JobEnvironment.from_toolkit(_environ(tmp_path, TF_CONFIG='{"cluster": {}}'))
    assert env.channels == {"training": "/data/train", "eval": "/data/eval"}
    assert (env.hosts, env.current_host, env.num_gpus) == (["algo-1", "algo-2"], "algo-2", 1)
    assert env.hyperparameters == {"epochs": 3} and env.tf_config == {"cluster": {}}
    assert env.in_training_job
    assert env.failure_file == str(tmp_path / "output" / "failure")


def test_outside_a_job():
    env = JobEnvironment.from_toolkit({})
    assert env.base_dir == "/opt/ml" and not env.in_training_job and env.hosts == []


def test_checkpoints_never_go_to_s3(tmp_path):
    env = JobEnvironment.from_toolkit(_environ(tmp_path))
    assert env.checkpoint_dir("/local/ckpt") == "/local/ckpt"
    first = env.checkpoint_dir("s3://bucket/job/model")
    assert "://" not in first and os.path.isdir(first)
    assert env.checkpoint_dir(None) != first  # a fresh folder each time: never someone else's model
    (tmp_path / "checkpoints").mkdir()  # the job has checkpoint_s3_uri: SageMaker syncs this folder
    assert env.checkpoint_dir("s3://bucket/job/model") == str(tmp_path / "checkpoints")


def test_failure_file_first_writer_wins(tmp_path):
    env = JobEnvironment.from_toolkit(_environ(tmp_path))
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
    trial_1 = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="tune-001-1a2b3c4d"))
    trial_2 = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="tune-002-5e6f7a8b"))
    first, second = trial_1.checkpoint_dir("s3://b/m"), trial_2.checkpoint_dir("s3://b/m")
    assert first == str(tmp_path / "checkpoints" / "tune-001-1a2b3c4d") and os.path.isdir(first)
    assert second == str(tmp_path / "checkpoints" / "tune-002-5e6f7a8b")
    restarted = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="tune-001-1a2b3c4d"))
    assert restarted.checkpoint_dir("s3://b/m") == first
    # A name that is not a SageMaker job name is never used as a path.
    odd = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="../../etc"))
    assert odd.checkpoint_dir("s3://b/m") == str(tmp_path / "checkpoints")


def _write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(value if isinstance(value, str) else json.dumps(value))


def _checkpoint_config(base, value):
    """``input/config/checkpointconfig.json`` as SageMaker writes it for a job with a CheckpointConfig."""
    path = str(base / "input" / "config" / "checkpointconfig.json")
    _write_json(path, value)
    return path


def test_both_doors_take_the_same_folder_from_one_rule(tmp_path):
    """Script mode (``JobEnvironment.checkpoint_dir``) and the BYOC ``train``
    (``job_checkpoint_dir``) on the same tree and job name: the same folder, the job's own."""
    (tmp_path / "checkpoints").mkdir()
    env = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="job-2"))
    script_mode = env.checkpoint_dir("s3://b/job-2/model")
    byoc = job_checkpoint_dir(MLPaths(str(tmp_path)), "job-2", local_run_folder=str(tmp_path / "checkpoints"))
    assert script_mode == byoc == str(tmp_path / "checkpoints" / "job-2")


def test_the_checkpoint_config_local_path_is_the_root_even_where_checkpoints_is_missing(tmp_path):
    """A job with a CheckpointConfig gets checkpointconfig.json; its LocalPath (here outside /opt/ml) is what
    SageMaker syncs, so checkpoints go there (created), not to a temporary folder nothing uploads."""
    elsewhere = tmp_path / "synced" / "ckpt"
    _checkpoint_config(tmp_path, {"LocalPath": str(elsewhere), "S3Uri": "s3://b/ckpt/job-1"})
    env = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="job-1"))
    assert env.checkpoint_dir("s3://b/job-1/model") == str(elsewhere / "job-1")
    assert os.path.isdir(elsewhere / "job-1") and not (tmp_path / "checkpoints").exists()
    local = JobEnvironment.from_toolkit(_environ(tmp_path))  # no job name: the root itself
    assert local.checkpoint_dir(None) == str(elsewhere)


def test_a_checkpoint_config_without_local_path_means_the_api_default(tmp_path):
    _checkpoint_config(tmp_path, {"S3Uri": "s3://b/ckpt"})
    env = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="job-1"))
    assert env.checkpoint_dir(None) == str(tmp_path / "checkpoints" / "job-1")


@pytest.mark.parametrize("config,fragment", [
    ("{not json", "cannot read the checkpoint config"),
    ('["/opt/ml/checkpoints"]', "not a JSON object"),
    ({"LocalPath": "checkpoints"}, "'LocalPath'='checkpoints' is not an absolute path"),
    ({"LocalPath": 3}, "'LocalPath'=3 is not an absolute path"),
    ({"LocalPath": "FILE"}, "is not a folder"),
    ({"LocalPath": "FILE/below"}, "cannot create the checkpoint folder"),
])
def test_a_bad_checkpoint_config_fails_naming_the_file_and_the_path(tmp_path, config, fragment):
    """Checkpointing configured but not possible is an error, never a silent fall-back to a folder nothing
    syncs."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    if isinstance(config, dict) and isinstance(config["LocalPath"], str):
        config = {"LocalPath": config["LocalPath"].replace("FILE", str(a_file))}
    path = _checkpoint_config(tmp_path, config)
    env = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="job-1"))
    with pytest.raises(DataError) as err:
        env.checkpoint_dir("s3://b/m")
    assert str(err.value).startswith(f"{path}: ") and fragment in str(err.value)
    with pytest.raises(DataError, match="checkpointconfig.json"):  # the BYOC door: the same rule
        job_checkpoint_dir(MLPaths(str(tmp_path)), "job-1", local_run_folder=str(tmp_path / "checkpoints"))


def test_resume_from_continues_the_stopped_jobs_folder(tmp_path):
    """A new job (new name) with resume_from and the old job's checkpoint_s3_uri: SageMaker restored the
    old job's folder into the root; the new job writes there. In script mode the value comes from the
    command line, or else from SM_HPS."""
    root = tmp_path / "ckpt"
    _checkpoint_config(tmp_path, {"LocalPath": str(root)})
    (root / "old-job-1").mkdir(parents=True)  # restored from the old job's prefix
    hps = json.dumps({"resume_from": "old-job-1"})
    env = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="new-job-2", SM_HPS=hps))
    assert env.checkpoint_dir("s3://b/new-job-2/model") == str(root / "old-job-1")
    assert env.checkpoint_dir(None, resume_from="old-job-1") == str(root / "old-job-1")
    assert env.checkpoint_dir(None, resume_from="") == str(root / "new-job-2")  # the flag's own value wins
    assert job_checkpoint_dir(MLPaths(str(tmp_path)), "new-job-2", "old-job-1") == str(root / "old-job-1")


@pytest.mark.parametrize("layout,fragment", [
    ("no-folder", "no folder"),  # the job's checkpoint_s3_uri is not the old job's
    ("nothing-synced", "this job has no checkpoint folder"),  # no checkpoint_s3_uri at all
    ("bad-name", "not a SageMaker training job name"),
    ("local-model-dir", "--model_dir names a local one"),
])
def test_resume_from_that_cannot_be_honoured_fails_naming_the_key(tmp_path, layout, fragment):
    if layout != "nothing-synced":
        (tmp_path / "checkpoints").mkdir()
    name = "../../etc" if layout == "bad-name" else "old-job-1"
    env = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="new-job-2"))
    with pytest.raises(HParamsError) as err:
        env.checkpoint_dir("/local/ckpt" if layout == "local-model-dir" else None, resume_from=name)
    assert f"'resume_from'={name!r}" in str(err.value) and fragment in str(err.value)


def test_resume_from_is_refused_in_a_tuning_trial(tmp_path):
    """Every trial of a tuning job gets the same hyperparameters: each would continue (and write into) the
    one folder. SageMaker marks a trial with _tuning_objective_metric in hyperparameters.json, which the
    toolkit keeps out of SM_HPS, so the rule reads the file (the same for both doors)."""
    (tmp_path / "checkpoints" / "old-job-1").mkdir(parents=True)
    _write_json(str(tmp_path / "input" / "config" / "hyperparameters.json"),
                {"_tuning_objective_metric": json.dumps("dev_f1"), "resume_from": json.dumps("old-job-1")})
    env = JobEnvironment.from_toolkit(_environ(tmp_path, TRAINING_JOB_NAME="tune-001-1a2b3c4d",
                                                     SM_HPS=json.dumps({"resume_from": "old-job-1"})))
    with pytest.raises(HParamsError, match=r"'resume_from'='old-job-1' cannot be used in a tuning job"):
        env.checkpoint_dir("s3://b/m")
    with pytest.raises(HParamsError, match="every trial would continue"):
        job_checkpoint_dir(MLPaths(str(tmp_path)), "tune-001-1a2b3c4d", "old-job-1")
    # Without resume_from a trial keeps its own folder.
    assert env.checkpoint_dir("s3://b/m", resume_from="") == str(tmp_path / "checkpoints" / "tune-001-1a2b3c4d")


def test_byoc_without_a_synced_root_uses_its_own_tree(tmp_path):
    """The BYOC ``train`` owns its /opt/ml: with nothing synced it creates ``checkpoints/`` (a local run on a
    mounted tree resumes when run again); script mode takes a fresh temporary folder instead."""
    paths = MLPaths(str(tmp_path))
    assert job_checkpoint_dir(paths, None, local_run_folder=paths.checkpoints) == paths.checkpoints
    assert job_checkpoint_dir(paths, "job-1", local_run_folder=paths.checkpoints) == \
        os.path.join(paths.checkpoints, "job-1")
    fresh = job_checkpoint_dir(MLPaths(str(tmp_path / "other")), None)
    assert os.path.isdir(fresh) and not fresh.startswith(str(tmp_path))


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
    env = JobEnvironment.from_toolkit(_environ(tmp_path, SM_INPUT_DATA_CONFIG=json.dumps(sharded)))
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


@pytest.fixture
def paths(tmp_path):
    return MLPaths(str(tmp_path))


def test_paths_follow_the_contract_under_the_stand_in_root(tmp_path):
    paths = MLPaths.from_env({"NER_TAGGER_ML_ROOT": str(tmp_path)})
    assert paths.hyperparameters == str(tmp_path / "input/config/hyperparameters.json")
    assert paths.channel("training") == str(tmp_path / "input/data/training")
    assert (paths.model_dir, paths.checkpoints, paths.failure) == (
        str(tmp_path / "model"), str(tmp_path / "checkpoints"), str(tmp_path / "output/failure"))
    assert MLPaths.from_env({}).root == "/opt/ml"
    assert MLPaths.from_env({"SAGEMAKER_BASE_DIR": "/x"}).root == "/x"


def test_resource_config(paths):
    os.makedirs(paths.channel("training"))
    assert not environment.read_resource_config(paths.resource_config).distributed  # absent: one host
    write_json(paths.resource_config, {"current_host": "algo-2", "hosts": ["algo-2", "algo-1"]})
    resource = environment.read_resource_config(paths.resource_config)
    assert resource.distributed and resource.hosts == ("algo-1", "algo-2")
    assert not JobEnvironment.from_opt_ml(paths, {}).is_chief  # algo-1 is the master
    write_json(paths.resource_config, {"current_host": "algo-1", "hosts": ["algo-2", "algo-1"]})
    assert JobEnvironment.from_opt_ml(paths, {}).is_chief


@pytest.mark.parametrize("value,message", [
    ({"current_host": "algo-3", "hosts": ["algo-1"]}, "not one of hosts"),
    ({"current_host": "algo-1", "hosts": []}, "non-empty list"),
    (["algo-1"], "expected a JSON object"),
])
def test_bad_resource_config(paths, value, message):
    write_json(paths.resource_config, value)
    with pytest.raises(environment.ConfigError, match=message):
        environment.read_resource_config(paths.resource_config)


def test_channels_found_with_and_without_inputdataconfig(paths):
    os.makedirs(paths.channel("training"))
    os.makedirs(paths.channel("validation"))
    channels = channel_roles(paths, {}, distributed=False)
    assert channels == {"training": paths.channel("training"), "eval": paths.channel("validation")}
    # Declared channels win: an undeclared folder is not used.
    channels = channel_roles(paths, {"training": {}}, distributed=False)
    assert "eval" not in channels


def test_missing_channel_is_named(paths):
    with pytest.raises(DataError, match="no training channel"):
        channel_roles(paths, {}, distributed=False)
    with pytest.raises(DataError, match="channel 'training' is declared"):
        channel_roles(paths, {"training": {"TrainingInputMode": "File"}}, distributed=False)


@pytest.mark.parametrize("name", ["..", ".", "../../etc", "a/b", "", "x" * 65, "trai ning"])
def test_channel_names_cannot_escape_the_data_dir(paths, name):
    with pytest.raises(environment.ConfigError, match="channel name"):
        channel_roles(paths, {name: {}}, distributed=False)


def test_unsupported_input_modes(paths):
    os.makedirs(paths.channel("training"))
    with pytest.raises(environment.ConfigError, match="Pipe"):
        channel_roles(paths, {"training": {"TrainingInputMode": "Pipe"}}, distributed=False)
    sharded = {"training": {"S3DistributionType": "ShardedByS3Key"}}
    channel_roles(paths, sharded, distributed=False)
    with pytest.raises(environment.ConfigError, match="ShardedByS3Key"):
        channel_roles(paths, sharded, distributed=True)
    with pytest.raises(environment.ConfigError, match="object of settings"):
        channel_roles(paths, {"training": "File"}, distributed=False)


def test_train_and_validation_channels_are_read_by_the_shared_table(paths):
    """BYOC reads every name the launcher accepts (ner_tagger.sagemaker.channels); the SDK's own channels are
    ignored."""
    from ner_tagger.sagemaker import channels

    assert (environment.TRAINING_CHANNELS, environment.EVAL_CHANNELS, environment.EMBEDDINGS_CHANNELS) == \
        (channels.ROLES["training"], channels.ROLES["eval"], channels.ROLES["embeddings"])
    for name in ("train", "validation", "code", "sm_drivers"):
        os.makedirs(paths.channel(name))
    declared = {name: {"TrainingInputMode": "File"} for name in ("train", "validation", "code", "sm_drivers")}
    expected = {"training": paths.channel("train"), "eval": paths.channel("validation")}
    assert channel_roles(paths, declared, distributed=False) == expected
    assert channel_roles(paths, {}, distributed=False) == expected  # no inputdataconfig.json


def test_two_channels_for_one_role_are_refused_naming_both(paths):
    from ner_tagger.sagemaker import channels

    for name in ("training", "train", "dev"):
        os.makedirs(paths.channel(name))
    with pytest.raises(channels.ChannelError, match="channels 'training' and 'train' both hold the training"):
        channel_roles(paths, {"training": {}, "train": {}, "dev": {}}, distributed=False)
    with pytest.raises(channels.ChannelError, match="'training' and 'train'"):
        channel_roles(paths, {}, distributed=False)
    # Declared channels only: a stray folder is not the job's.
    assert channel_roles(paths, {"train": {}}, distributed=False)["training"] == paths.channel("train")
