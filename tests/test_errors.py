"""The errors a user can act on (:mod:`ner_tagger.errors`): what each message names, and what each is caught
as. The exit codes they map to: tests/test_job_failure.py and tests/test_cli.py."""
import json

import pytest

from ner_tagger.errors import DataError, HParamsError, ModelNotFoundError, NerTaggerError, TrainingInterrupted


@pytest.mark.parametrize("path, line, message", [
    ("data/train.txt", 12, "data/train.txt:12: bad tag 'B-'"),
    ("data/train.txt", None, "data/train.txt: bad tag 'B-'"),
    (None, None, "bad tag 'B-'"),
])
def test_a_data_error_starts_with_the_file_and_line_at_fault(path, line, message):
    err = DataError("bad tag 'B-'", path, line)
    assert str(err) == message
    assert (err.path, err.line, err.reason) == (path, line, "bad tag 'B-'")  # the parts, for a caller's own message


@pytest.mark.parametrize("error, caught_as", [
    (DataError("x"), ValueError), (HParamsError("x"), ValueError), (ModelNotFoundError("x"), FileNotFoundError)])
def test_our_errors_are_also_the_builtin_a_caller_would_catch(error, caught_as):
    with pytest.raises(NerTaggerError):
        raise error
    with pytest.raises(caught_as):
        raise error


def test_an_interrupted_run_names_its_step_and_checkpoint_and_is_not_an_input_error():
    err = TrainingInterrupted(40, "/ckpt/model.ckpt-40")
    assert str(err) == "interrupted by SIGTERM at step 40; checkpoint /ckpt/model.ckpt-40"
    assert (err.step, err.checkpoint) == (40, "/ckpt/model.ckpt-40")
    assert str(TrainingInterrupted(40, None)) == "interrupted by SIGTERM at step 40; checkpoint (not chief)"
    assert not isinstance(err, NerTaggerError)  # exit 143 and resume, not exit 2 and fix the input


def test_the_errors_our_code_raises_name_the_file_line_or_key_at_fault(tmp_path):
    """One raiser of each: a CoNLL line, a config key, a model folder."""
    from ner_tagger.corpus import conll
    from ner_tagger.hparams import HParams
    from ner_tagger.serving import core

    data = tmp_path / "train.txt"
    data.write_text("Alice\tB-PER\nmet\tO\tX\tY\n\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        conll.read_conll(str(data), "iob2", "iob2")
    assert (err.value.path, err.value.line) == (str(data), 2) and str(err.value).startswith(f"{data}:2: ")
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"lstm_unit": 64}), encoding="utf-8")
    with pytest.raises(HParamsError, match=r"c\.json.*'lstm_unit'"):
        HParams.from_json_file(str(config))
    with pytest.raises(ModelNotFoundError, match=f"^{tmp_path}: no SavedModel"):
        core.latest_version(str(tmp_path))
