"""``python -m ner_tagger.train``: its exit codes, and bad input failing before any training (the flags themselves:
tests/test_flags.py)."""
import json
import os
import re
import subprocess
import sys

import pytest
from support.synthetic import synthetic_sentences, write_conll

from ner_tagger import train
from ner_tagger.hparams import HParams

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def test_default_config_spells_out_the_code_defaults():
    path = os.path.join(os.path.dirname(__file__), "..", "configs", "default.json")
    assert json.load(open(path)) == HParams().to_dict()


@pytest.fixture
def dirs(tmp_path, synthetic_dir):
    return {"data": str(synthetic_dir), "model": str(tmp_path / "model"), "export": str(tmp_path / "export")}


def run_main(dirs, *extra, data=None):
    return train.main(["--data_dir", data or dirs["data"], "--model_dir", dirs["model"],
                       "--export_dir", dirs["export"], *extra])


def assert_nothing_written(dirs):
    assert not os.path.exists(dirs["model"]) and not os.path.exists(dirs["export"])


@pytest.mark.parametrize("flag, value, named", [
    ("--lstm_units", "-3", "lstm_units"),
    ("--dropout", "lots", "dropout"),
    ("--tag_scheme", "bilou", "tag_scheme"),
    ("--char_representation", "transformer", "char_representation"),
])
def test_bad_hyperparameter_fails_naming_key_and_value(dirs, capsys, flag, value, named):
    assert run_main(dirs, flag, value) == 2
    err = capsys.readouterr().err
    assert named in err and value in err
    assert_nothing_written(dirs)


def test_unknown_key_in_config_names_file_and_key(dirs, tmp_path, capsys):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"lstm_unit": 64}))
    assert run_main(dirs, "--config", str(config)) == 2
    err = capsys.readouterr().err
    assert "lstm_unit" in err and "bad.json" in err
    assert_nothing_written(dirs)


def test_missing_requested_dev_file(dirs, capsys):
    assert run_main(dirs, "--dev_file", "valid.txt") == 2
    err = capsys.readouterr().err
    assert "valid.txt" in err
    assert_nothing_written(dirs)


def test_malformed_line_names_file_and_line(dirs, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    path = write_conll(data / "train.txt", synthetic_sentences(5, 1))
    lines = open(path).read().splitlines()
    lines.insert(2, "Alice B-PER extra-column I-LOC-BROKEN")
    open(path, "w").write("\n".join(lines) + "\n")
    assert run_main(dirs, data=str(data)) == 2
    err = capsys.readouterr().err
    assert "train.txt:3" in err
    assert_nothing_written(dirs)


def test_empty_training_file(dirs, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.txt").write_text("\n\n")
    assert run_main(dirs, data=str(data)) == 2
    assert "train.txt" in capsys.readouterr().err
    assert_nothing_written(dirs)


def test_exit_code_from_a_real_process(dirs):
    done = subprocess.run([sys.executable, "-m", "ner_tagger.train", "--data_dir", dirs["data"],
                           "--export_dir", dirs["export"], "--epochs", "0"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "epochs" in done.stderr and "Traceback" not in done.stderr


def test_checkpoint_folder_without_model_dir_is_fresh_unless_sagemaker_syncs_one(tmp_path, monkeypatch):
    """``python -m ner_tagger.train``'s rule (the script-mode one: JobEnvironment.checkpoint_dir)."""
    from ner_tagger.sagemaker.environment import JobEnvironment

    monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(tmp_path))

    def checkpoint_dir(requested):
        return JobEnvironment.from_toolkit().checkpoint_dir(requested)

    assert checkpoint_dir("/local/ckpt") == "/local/ckpt"
    first = checkpoint_dir(None)
    assert os.path.isdir(first) and not os.listdir(first)
    assert checkpoint_dir("s3://bucket/job/model") != first  # never another run's checkpoints
    (tmp_path / "checkpoints").mkdir()
    assert checkpoint_dir(None) == str(tmp_path / "checkpoints")


@pytest.mark.parametrize("model_dir_flag", [True, False])
def test_sigterm_exits_143_telling_how_to_resume(dirs, monkeypatch, capsys, model_dir_flag):
    """The job's SIGTERM hook raises ``TrainingInterrupted`` once it has checkpointed (a real signal, real
    checkpoint and resume: tests/test_reliability_interruption.py); this door's part is the exit code and
    the command that resumes, which needs ``--model_dir`` when the checkpoints went to a temporary folder."""
    from ner_tagger.errors import TrainingInterrupted
    from ner_tagger.job import runner

    def interrupted(settings):
        raise TrainingInterrupted(40, os.path.join(settings.model_dir, "model.ckpt-40"))

    monkeypatch.setattr(runner, "run", interrupted)
    monkeypatch.delenv("SAGEMAKER_BASE_DIR", raising=False)
    argv = ["--data_dir", dirs["data"], "--export_dir", dirs["export"]]
    argv += ["--model_dir", dirs["model"]] if model_dir_flag else []
    assert train.main(argv) == 143
    err = capsys.readouterr().err
    assert "model.ckpt-40" in err
    if model_dir_flag:
        assert "run the same command again to resume" in err
    else:
        assert re.search(r"run the same command with --model_dir \S+ again to resume", err)


def test_two_channels_for_the_training_data_fail_naming_both(monkeypatch, tmp_path, capsys):
    """The launcher accepts ``training`` and ``train`` for one role (ner_tagger.sagemaker.channels); a job given
    both stops before training, naming them (the flags' defaults: tests/test_flags.py)."""
    for key in [k for k in os.environ if k.startswith("SM_CHANNEL_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train")
    monkeypatch.setenv("SM_CHANNEL_TRAINING", str(tmp_path))
    assert train.main(["--export_dir", str(tmp_path / "export")]) == 2
    assert "channels 'training' and 'train' both hold the training data" in capsys.readouterr().err
