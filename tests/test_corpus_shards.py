"""The one streaming pass: shards that read back as the sentences, their counts, reuse, hold-out."""
import collections
import os

import pytest

from ner_tagger.corpus import conll, shards
from ner_tagger.errors import DataError

WNUT_TRAIN = os.path.join(os.path.dirname(__file__), "..", "ner_tagger", "datasets", "wnut17", "train.conll")
SETTINGS = {"tag_scheme": "auto", "tag_encoding": "iobes"}


def read(path):
    return conll.iter_conll(path, "auto", "iobes")


def test_shards_read_back_as_the_files_sentences_with_their_counts(tmp_path):
    expected = conll.read_conll(WNUT_TRAIN, "auto", "iobes")
    train = shards.stream([WNUT_TRAIN], read, SETTINGS, str(tmp_path))["train"]
    assert [(s.tokens, s.tags) for s in train] == [(s.tokens, s.tags) for s in expected]
    assert len(train) == len(expected) == 3394
    assert train.words == collections.Counter(t for s in expected for t in s.tokens)
    assert train.tags == collections.Counter(t for s in expected for t in s.tags)
    assert train.lengths == collections.Counter(len(s.tokens) for s in expected)


def test_a_second_pass_over_unchanged_files_reuses_the_shards(tmp_path):
    source = tmp_path / "train.txt"
    source.write_text("Bob\tB-PER\nruns\tO\n\nok\tO\n", encoding="utf-8")
    calls = []

    def counting(path):
        calls.append(path)
        return read(path)

    first = shards.stream([str(source)], counting, SETTINGS, str(tmp_path / "work"))["train"]
    again = shards.stream([str(source)], counting, SETTINGS, str(tmp_path / "work"))["train"]
    assert len(calls) == 1 and again == first
    source.write_text("Ann\tB-PER\nwalks\tO\n\nok\tO\n\nyes\tO\n", encoding="utf-8")
    changed = shards.stream([str(source)], counting, SETTINGS, str(tmp_path / "work"))["train"]
    assert len(calls) == 2 and len(changed) == 3 and changed.files != first.files
    # Settings that change the shards' content (the reader's tag encoding, say) get their own folder.
    other = shards.stream([str(source)], counting, dict(SETTINGS, tag_encoding="iob2"), str(tmp_path / "work"))
    assert len(calls) == 3 and other["train"].files != changed.files


def test_a_failed_pass_leaves_nothing_behind(tmp_path):
    source = tmp_path / "train.txt"
    source.write_text("Bob\tB-PER\n\nruns\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"train.txt:3: expected 'token<TAB>tag'"):
        shards.stream([str(source)], read, SETTINGS, str(tmp_path / "work"))
    assert os.listdir(tmp_path / "work") == []


def test_a_stale_folder_without_a_matching_manifest_is_replaced(tmp_path):
    source = tmp_path / "train.txt"
    source.write_text("ok\tO\n", encoding="utf-8")
    first = shards.stream([str(source)], read, SETTINGS, str(tmp_path / "work"))["train"]
    folder = os.path.dirname(first.files[0])
    os.remove(os.path.join(folder, shards.MANIFEST))  # a folder left half-deleted by hand
    again = shards.stream([str(source)], read, SETTINGS, str(tmp_path / "work"))["train"]
    assert list(again) == list(first) and os.path.isfile(os.path.join(folder, shards.MANIFEST))


def test_hold_out_is_seeded_disjoint_and_covering(tmp_path):
    source = tmp_path / "train.txt"
    source.write_text("".join(f"w{i}\tO\n\n" for i in range(200)), encoding="utf-8")

    def parts(seed, work):
        found = shards.stream([str(source)], read, SETTINGS, str(tmp_path / work), 0.1, seed)
        return [[s.tokens[0] for s in found[name]] for name in ("train", "dev")]

    train, dev = parts(3, "a")
    assert [train, dev] == parts(3, "b")  # the same seed draws the same sentences, wherever written
    assert not set(train) & set(dev) and sorted(train + dev) == sorted(f"w{i}" for i in range(200))
    assert 8 <= len(dev) <= 40
    assert parts(4, "a")[1] != dev


def test_hold_out_of_a_tiny_file_keeps_one_sentence_each(tmp_path):
    source = tmp_path / "train.txt"
    source.write_text("a\tO\n\nb\tO\n", encoding="utf-8")
    found = shards.stream([str(source)], read, SETTINGS, str(tmp_path / "w"), 0.01, 0)
    assert (len(found["train"]), len(found["dev"])) == (1, 1)
    source.write_text("a\tO\n", encoding="utf-8")
    with pytest.raises(DataError, match="only one training sentence"):
        shards.stream([str(source)], read, SETTINGS, str(tmp_path / "w"), 0.01, 0)


def test_a_shard_file_alone_gives_its_corpus(tmp_path):
    train = shards.stream([WNUT_TRAIN], read, SETTINGS, str(tmp_path))["train"]
    assert shards.from_shard(train.files[0]) == train
    bare = tmp_path / ("copy" + shards.SUFFIX)
    bare.write_bytes(open(train.files[0], "rb").read())
    counted = shards.from_shard(str(bare))
    assert (counted.sentences, counted.lengths, counted.words) == (train.sentences, train.lengths, train.words)
