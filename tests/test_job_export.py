"""Export: numeric version folders appear whole or not at all."""
import os

import pytest

from ner_tagger.errors import ModelNotFoundError
from ner_tagger.job import export
from ner_tagger.serving import core

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def test_failed_export_leaves_no_numeric_folder_and_is_cleaned_next_time(trained, tmp_path, monkeypatch):
    from ner_tagger.job import estimator_run, hooks

    hp = trained["hparams"]
    model_dir = str(trained["root"] / "ckpt")
    params = dict(hp.to_dict(), vocab_dir=os.path.join(model_dir, "vocab"))
    estimator = estimator_run.make_estimator(hp, model_dir, params)
    checkpoint = hooks.best_checkpoint(model_dir)

    def crash(_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "_rename_signatures", crash)
    with pytest.raises(RuntimeError):
        export.export_model(estimator, checkpoint, str(tmp_path), params)
    assert not [n for n in os.listdir(tmp_path) if n.isdigit()]
    assert [n for n in os.listdir(tmp_path) if n.startswith(export.STAGING_PREFIX)]
    with pytest.raises(ModelNotFoundError, match="no SavedModel"):
        core.latest_version(str(tmp_path))

    monkeypatch.undo()
    version = export.export_model(estimator, checkpoint, str(tmp_path), params)
    assert os.listdir(tmp_path) == [os.path.basename(version)]
    again = export.export_model(estimator, checkpoint, str(tmp_path), params)
    assert int(os.path.basename(again)) > int(os.path.basename(version))
    assert core.latest_version(str(tmp_path)) == again


def test_latest_version_ignores_incomplete_and_non_numeric_folders(tmp_path):
    for name, complete in (("7", True), ("12", False), ("backup", True), ("3", True)):
        (tmp_path / name).mkdir()
        if complete:
            (tmp_path / name / "saved_model.pb").write_bytes(b"")
    assert core.latest_version(str(tmp_path)) == str(tmp_path / "7")
    assert core.latest_version(str(tmp_path / "3")) == str(tmp_path / "3")


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no such model folder"):
        core.latest_version(str(tmp_path / "nope"))
