"""The data stage: which sentences a job trains and evaluates on, read through the one seam."""
import pytest

from ner_tagger.corpus import conll, dataset
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams


def write(path, words, tag="O"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{w}\t{tag}\n\n" for w in words), encoding="utf-8")
    return path


def firsts(part):
    return [s.tokens[0] for s in part]


def test_a_folder_of_training_files_is_read_in_name_order(tmp_path):
    write(tmp_path / "data" / "train" / "part-1.conll", ["c", "d"])
    write(tmp_path / "data" / "train" / "part-0.conll", ["a", "b"])
    write(tmp_path / "data" / "dev.txt", ["x"], "B-PER")
    data = dataset.load_data(HParams(), str(tmp_path / "data"), work_dir=str(tmp_path / "work"))
    assert firsts(data.train) == ["a", "b", "c", "d"] and firsts(data.dev) == ["x"]
    assert data.files["train"] == [str(tmp_path / "data" / "train" / f"part-{i}.conll") for i in (0, 1)]
    assert data.test is None and data.train.words == {"a": 1, "b": 1, "c": 1, "d": 1}


def test_an_error_in_any_training_file_names_that_file_and_line(tmp_path):
    write(tmp_path / "train-00000.txt", ["a"])
    (tmp_path / "train-00001.txt").write_text("ok\tO\n\nbad\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"train-00001.txt:3: expected 'token<TAB>tag'"):
        dataset.load_data(HParams(), str(tmp_path), work_dir=str(tmp_path / "work"))


def test_without_a_dev_file_a_seeded_share_of_train_is_held_out(tmp_path):
    write(tmp_path / "train.txt", [f"w{i}" for i in range(100)])
    hp = HParams.from_dict({"dev_fraction": 0.2, "seed": 5})
    data = dataset.load_data(hp, str(tmp_path), work_dir=str(tmp_path / "work"))
    again = dataset.load_data(hp, str(tmp_path), work_dir=str(tmp_path / "elsewhere"))
    assert firsts(again.dev) == firsts(data.dev) and firsts(again.train) == firsts(data.train)
    assert sorted(firsts(data.train) + firsts(data.dev)) == sorted(f"w{i}" for i in range(100))
    assert 5 <= len(data.dev) <= 40 and data.files["dev"] is None
    with pytest.raises(DataError, match="dev_fraction=0"):
        dataset.load_data(HParams.from_dict({"dev_fraction": 0.0}), str(tmp_path), work_dir=str(tmp_path / "w"))


def test_iter_sentences_is_the_conll_reader_with_the_jobs_tag_settings(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("Bob\tI-PER\nruns\tO\n", encoding="utf-8")  # IOB1: detected, converted
    hp = HParams.from_dict({"tag_encoding": "iobes"})
    sentences = list(dataset.iter_sentences(str(path), hp))
    assert sentences == [conll.Sentence(("Bob", "runs"), ("S-PER", "O"), 1)]
