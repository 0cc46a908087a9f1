"""The training flags every door parses (:mod:`ner_tagger.flags`): path defaults from the SageMaker
environment, ``--config`` and one typed ``--<name>`` per hyperparameter. No TensorFlow, no training."""
import json
import os

import pytest

from ner_tagger import flags
from ner_tagger.errors import HParamsError
from ner_tagger.hparams import HParams
from ner_tagger.sagemaker.environment import JobEnvironment

PATHS = ("data_dir", "eval_dir", "embeddings_dir", "model_dir", "export_dir", "output_dir", "config")


def test_help_documents_every_hyperparameter_with_its_default():
    text = flags.build_parser().format_help()
    for name, *_ in HParams.describe():
        assert f"--{name}" in text
    assert "Default: 0.5." in text.replace("\n", " ").replace("  ", " ")  # dropout


def test_flags_override_config_which_overrides_defaults(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"lstm_units": 64, "dropout": 0.3}))
    args = flags.build_parser().parse_args(["--config", str(config), "--dropout", "0.2"])
    hp = flags.parse_hparams(args)
    assert (hp.lstm_units, hp.dropout, hp.batch_size) == (64, 0.2, HParams().batch_size)


def test_channel_defaults_read_every_name_the_launcher_accepts(monkeypatch):
    """A job launched with ``train`` and ``validation`` channels (the launcher accepts them: the shared table,
    ner_tagger.sagemaker.channels) gets its data and dev folders from the toolkit's SM_CHANNEL_TRAIN/_VALIDATION."""
    for key in [k for k in os.environ if k.startswith("SM_CHANNEL_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train")
    monkeypatch.setenv("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation")
    args = flags.build_parser().parse_args([])
    assert (args.data_dir, args.eval_dir) == ("/opt/ml/input/data/train", "/opt/ml/input/data/validation")


def test_path_defaults_come_from_the_job_environment_given():
    env = JobEnvironment.from_toolkit({"SM_CHANNEL_TRAINING": "/data/training", "SM_CHANNEL_EVAL": "/data/eval",
                                       "SM_CHANNEL_EMBEDDINGS": "/data/vectors", "SM_MODEL_DIR": "/job/model",
                                       "SM_OUTPUT_DATA_DIR": "/job/output/data"})
    args = flags.build_parser(env=env).parse_args([])
    assert {name: getattr(args, name) for name in PATHS} == {
        "data_dir": "/data/training", "eval_dir": "/data/eval", "embeddings_dir": "/data/vectors",
        "model_dir": None,  # not SM_MODEL_DIR: that is where the export goes, checkpoints go elsewhere
        "export_dir": "/job/model", "output_dir": "/job/output/data", "config": None}
    # A flag wins over the job's folder.
    assert flags.build_parser(env=env).parse_args(["--data_dir", "/mine"]).data_dir == "/mine"


def test_outside_a_job_no_path_has_a_default():
    args = flags.build_parser(env=JobEnvironment.from_toolkit({})).parse_args([])
    assert all(getattr(args, name) is None for name in PATHS)
    assert flags.parse_hparams(args) == HParams()


@pytest.mark.parametrize("spelling", ["--data_dir", "--data-dir"])
def test_path_flags_take_dashes_or_underscores(spelling):
    args = flags.build_parser(env=JobEnvironment.from_toolkit({})).parse_args([spelling, "/d", "--export-dir", "/e"])
    assert (args.data_dir, args.export_dir) == ("/d", "/e")


def test_flag_values_arrive_as_strings_and_leave_typed():
    """Script mode passes every hyperparameter as a string; the parser keeps strings, parse_hparams types them."""
    args = flags.build_parser().parse_args(["--lstm_units", "64", "--dropout", "0.25", "--tag_scheme", "iobes"])
    assert args.lstm_units == "64"
    hp = flags.parse_hparams(args)
    assert (hp.lstm_units, hp.dropout, hp.tag_scheme) == (64, 0.25, "iobes")


def test_a_bad_flag_value_names_the_command_line_the_key_and_the_value():
    args = flags.build_parser().parse_args(["--dropout", "lots"])
    with pytest.raises(HParamsError) as err:
        flags.parse_hparams(args)
    assert "command line" in str(err.value) and "'dropout'" in str(err.value) and "lots" in str(err.value)


def test_a_bad_config_value_names_the_config_file(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"lstm_units": -3}))
    args = flags.build_parser().parse_args(["--config", str(config)])
    with pytest.raises(HParamsError, match="bad.json.*lstm_units"):
        flags.parse_hparams(args)
