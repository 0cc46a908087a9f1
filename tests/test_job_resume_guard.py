"""Resuming a model dir with other shape-changing hyperparameters is refused up front, naming the file and
the keys (``hparams.check_resumable``, called by ``model_params.prepare_model_dir``), instead of failing deep in
the checkpoint restore or silently mixing vocabularies."""
import json
import os
import shutil

import pytest
from support.synthetic import TINY

from ner_tagger.errors import HParamsError
from ner_tagger.hparams import RESUME_KEYS, HParams, check_resumable, resume_conflicts
from ner_tagger.job import runner

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def _saved(tmp_path, **values):
    path = tmp_path / "params.json"
    HParams.from_dict(values).save(str(path))
    return str(path)


def test_shape_changing_differences_are_named(tmp_path):
    path = _saved(tmp_path, lstm_units=100, lowercase=True)
    with pytest.raises(HParamsError) as err:
        check_resumable(path, HParams.from_dict({"lstm_units": 200, "lowercase": False}))
    message = str(err.value)
    assert message.startswith(path + ":")
    assert "lstm_units: saved 100, now 200" in message and "lowercase: saved True, now False" in message


@pytest.mark.parametrize("change", [{"learning_rate": 0.003}, {"dropout": 0.3}, {"epochs": 80},
                                    {"lstm_implementation": "fused"}, {"batch_size": 64},
                                    {"ema_decay": 0.999}])
def test_training_only_settings_may_change(tmp_path, change):
    path = _saved(tmp_path, ema_decay=0.99)
    check_resumable(path, HParams.from_dict(dict({"ema_decay": 0.99}, **change)))


def test_moving_averages_switched_on_is_a_conflict(tmp_path):
    path = _saved(tmp_path)
    assert set(resume_conflicts(json.load(open(path)), HParams.from_dict({"ema_decay": 0.9}))) == {"ema_decay"}


def test_mixed_precision_switched_either_way_is_a_conflict(tmp_path):
    path = _saved(tmp_path)
    assert set(resume_conflicts(json.load(open(path)), HParams.from_dict({"mixed_precision": True}))) == \
        {"mixed_precision"}
    mixed = _saved(tmp_path, mixed_precision=True)
    assert set(resume_conflicts(json.load(open(mixed)), HParams())) == {"mixed_precision"}


def test_missing_file_and_older_params_json(tmp_path):
    check_resumable(str(tmp_path / "absent.json"), HParams())
    (tmp_path / "old.json").write_text(json.dumps({"lstm_units": 100}))  # no word_dim: default then
    check_resumable(str(tmp_path / "old.json"), HParams())
    with pytest.raises(HParamsError, match="word_dim: saved 100, now 50"):
        check_resumable(str(tmp_path / "old.json"), HParams.from_dict({"word_dim": 50}))
    (tmp_path / "bad.json").write_text("[1, 2")
    with pytest.raises(HParamsError, match="bad.json: cannot read"):
        check_resumable(str(tmp_path / "bad.json"), HParams())


def test_every_resume_key_is_a_hyperparameter():
    assert set(RESUME_KEYS) <= set(HParams.describe_names())


def test_run_refuses_to_resume_another_shape(trained, synthetic_dir, tmp_path):
    """The situation of a shared checkpoint prefix: a job with other lstm_units finds the old checkpoints (a
    copy of the shared run's)."""
    model_dir = str(tmp_path / "ckpt")
    shutil.copytree(trained["root"] / "ckpt", model_dir)
    saved = trained["hparams"].lstm_units
    other = HParams.from_dict(dict(TINY, max_steps=20, eval_every_steps=10, lstm_units=saved + 8))
    conflict = rf"params\.json: cannot resume .*lstm_units: saved {saved}, now {saved + 8}"
    with pytest.raises(HParamsError, match=conflict):
        runner.pipeline(hparams=other, data_dir=str(synthetic_dir), model_dir=model_dir,
                     export_dir=str(tmp_path / "export2"))
    assert json.load(open(f"{model_dir}/params.json"))["lstm_units"] == saved  # left as it was
    assert not os.path.exists(tmp_path / "export2")
