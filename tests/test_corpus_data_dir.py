import os

import pytest

from ner_tagger.corpus import data_dir
from ner_tagger.errors import DataError


def touch(path):
    path.write_text("a\tO\n")
    return str(path)


def test_default_names(tmp_path):
    train = touch(tmp_path / "train.conll")
    valid = touch(tmp_path / "valid.txt")
    assert data_dir.find_file(str(tmp_path), "", data_dir.TRAIN_NAMES, "train", True) == train
    assert data_dir.find_file(str(tmp_path), "", data_dir.DEV_NAMES, "dev", False) == valid
    assert data_dir.find_file(str(tmp_path), "", data_dir.TEST_NAMES, "test", False) is None


def test_requested_file_must_exist(tmp_path):
    touch(tmp_path / "train.txt")
    with pytest.raises(DataError, match="dev_file='dev.txt' matches no file"):
        data_dir.find_file(str(tmp_path), "dev.txt", data_dir.DEV_NAMES, "dev", False)


def test_names_cannot_escape_the_channel(tmp_path):
    channel = tmp_path / "training"
    channel.mkdir()
    touch(tmp_path / "secret.txt")
    os.symlink(tmp_path / "secret.txt", channel / "link.txt")
    for name in ("../secret.txt", "link.txt", str(tmp_path / "secret.txt")):
        with pytest.raises(DataError, match="matches no file"):
            data_dir.find_file(str(channel), name, data_dir.TRAIN_NAMES, "train", True)


def test_missing_directory_and_missing_train(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        data_dir.find_file(str(tmp_path / "nope"), "", data_dir.TRAIN_NAMES, "train", True)
    with pytest.raises(DataError, match="no train file found"):
        data_dir.find_file(str(tmp_path), "", data_dir.TRAIN_NAMES, "train", True)


def test_a_training_channel_may_hold_several_files(tmp_path):
    def make(*names):
        for name in names:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text("a\tO\n")

    find = lambda requested="": data_dir.find_files(str(tmp_path), requested, data_dir.TRAIN_NAMES,  # noqa: E731
                                                    "train")
    make("train-00001.conll", "train-00000.conll", "dev.txt")
    assert find() == [str(tmp_path / f"train-0000{i}.conll") for i in (0, 1)]
    make("train/b.txt", "train/a.txt", "train/.hidden")
    assert find() == [str(tmp_path / "train" / n) for n in ("a.txt", "b.txt")]  # a folder before prefixed files
    make("train.txt")
    assert find() == [str(tmp_path / "train.txt")]  # the single file of before still wins
    assert find("train-*") == [str(tmp_path / f"train-0000{i}.conll") for i in (0, 1)]
    with pytest.raises(DataError, match="train_file='nope-\\*' matches no file"):
        find("nope-*")


def test_no_training_files_names_what_was_tried(tmp_path):
    (tmp_path / "train").mkdir()  # an empty folder is no data
    with pytest.raises(DataError, match="a train/ folder and train-\\* files"):
        data_dir.find_files(str(tmp_path), "", data_dir.TRAIN_NAMES, "train")
