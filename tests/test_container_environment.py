"""resourceconfig.json, inputdataconfig.json and the channel folders under input/data/."""
import json
import os

import pytest

from ner_tagger.errors import DataError
from ner_tagger.sagemaker import environment
from ner_tagger.sagemaker.environment import MLPaths


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(value, fh)
    return str(path)


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
    assert not environment.read_resource_config(paths.resource_config).distributed  # absent: one host
    write_json(paths.resource_config, {"current_host": "algo-2", "hosts": ["algo-2", "algo-1"]})
    resource = environment.read_resource_config(paths.resource_config)
    assert resource.distributed and resource.hosts == ("algo-1", "algo-2") and not resource.is_chief


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
    channels = environment.find_channels(paths, {}, distributed=False)
    assert channels == environment.Channels(paths.channel("training"), paths.channel("validation"))
    # Declared channels win: an undeclared folder is not used.
    channels = environment.find_channels(paths, {"training": {}}, distributed=False)
    assert channels.eval is None


def test_missing_channel_is_named(paths):
    with pytest.raises(DataError, match="no training channel"):
        environment.find_channels(paths, {}, distributed=False)
    with pytest.raises(DataError, match="channel 'training' is declared"):
        environment.find_channels(paths, {"training": {"TrainingInputMode": "File"}}, distributed=False)


@pytest.mark.parametrize("name", ["..", ".", "../../etc", "a/b", "", "x" * 65, "trai ning"])
def test_channel_names_cannot_escape_the_data_dir(paths, name):
    with pytest.raises(environment.ConfigError, match="channel name"):
        environment.find_channels(paths, {name: {}}, distributed=False)


def test_unsupported_input_modes(paths):
    os.makedirs(paths.channel("training"))
    with pytest.raises(environment.ConfigError, match="Pipe"):
        environment.find_channels(paths, {"training": {"TrainingInputMode": "Pipe"}}, distributed=False)
    sharded = {"training": {"S3DistributionType": "ShardedByS3Key"}}
    environment.find_channels(paths, sharded, distributed=False)
    with pytest.raises(environment.ConfigError, match="ShardedByS3Key"):
        environment.find_channels(paths, sharded, distributed=True)
    with pytest.raises(environment.ConfigError, match="object of settings"):
        environment.find_channels(paths, {"training": "File"}, distributed=False)


def test_train_and_validation_channels_are_read_by_the_shared_table(paths):
    """BYOC reads every name the launcher accepts (ner_tagger.sagemaker.channels); the SDK's own channels are
    ignored."""
    from ner_tagger.sagemaker import channels

    assert (environment.TRAINING_CHANNELS, environment.EVAL_CHANNELS, environment.EMBEDDINGS_CHANNELS) == \
        (channels.ROLES["training"], channels.ROLES["eval"], channels.ROLES["embeddings"])
    for name in ("train", "validation", "code", "sm_drivers"):
        os.makedirs(paths.channel(name))
    declared = {name: {"TrainingInputMode": "File"} for name in ("train", "validation", "code", "sm_drivers")}
    expected = environment.Channels(paths.channel("train"), paths.channel("validation"))
    assert environment.find_channels(paths, declared, distributed=False) == expected
    assert environment.find_channels(paths, {}, distributed=False) == expected  # no inputdataconfig.json


def test_two_channels_for_one_role_are_refused_naming_both(paths):
    from ner_tagger.sagemaker import channels

    for name in ("training", "train", "dev"):
        os.makedirs(paths.channel(name))
    with pytest.raises(channels.ChannelError, match="channels 'training' and 'train' both hold the training"):
        environment.find_channels(paths, {"training": {}, "train": {}, "dev": {}}, distributed=False)
    with pytest.raises(channels.ChannelError, match="'training' and 'train'"):
        environment.find_channels(paths, {}, distributed=False)
    # Declared channels only: a stray folder is not the job's.
    assert environment.find_channels(paths, {"train": {}}, distributed=False).training == paths.channel("train")
