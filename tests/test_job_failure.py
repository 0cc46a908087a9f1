"""The one exit-code map and failure writer every door ends through."""
import signal

import pytest

from ner_tagger.errors import DataError, HParamsError, TrainingInterrupted
from ner_tagger.job import failure


@pytest.mark.parametrize("err,code", [
    (HParamsError("'dropout'='lots'"), 2), (DataError("bad tag", "train.txt", 3), 2),
    (TrainingInterrupted(40, "/ckpt/model.ckpt-40"), 128 + signal.SIGTERM), (RuntimeError("boom"), 1),
    (SystemExit(3), 3), (SystemExit(0), 1), (KeyboardInterrupt(), 1),
])
def test_exit_codes(err, code):
    assert failure.exit_code(err) == code


def test_reasons_name_the_fault_and_the_type_of_the_unexpected():
    assert failure.reason(DataError("bad tag", "train.txt", 3)) == "train.txt:3: bad tag"
    assert failure.reason(RuntimeError("boom")) == "RuntimeError: boom"
    assert failure.reason(KeyboardInterrupt()) == "training interrupted"


def test_failure_reason_fits_sagemaker(tmp_path):
    path = str(tmp_path / "failure")
    failure.write_failure(path, "x" * 5000)
    assert len(open(path, encoding="utf-8").read().rstrip("\n")) == failure.MAX_FAILURE_CHARS


def test_no_output_folder_means_no_file_unless_asked(tmp_path):
    path = tmp_path / "output" / "failure"
    failure.write_failure(str(path), "outside a job")
    assert not path.exists()
    failure.write_failure(str(path), "in a container", create_folder=True)
    assert path.read_text() == "in a container\n"


def test_report_masks_secrets_in_the_file_and_the_log(tmp_path, capsys):
    path = tmp_path / "failure"
    try:
        raise RuntimeError("token s3cr3t-value leaked")
    except RuntimeError as err:
        code = failure.report(err, str(path), {"s3cr3t-value"})
    assert code == 1
    assert path.read_text() == "RuntimeError: token *** leaked\n"
    assert "s3cr3t-value" not in capsys.readouterr().err
