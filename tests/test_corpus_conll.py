import os
import re

import pytest

from ner_tagger.corpus import conll
from ner_tagger.errors import DataError


def write(tmp_path, content, name="data.txt", mode="w"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return str(path)


def test_reads_tabs_spaces_docstart_and_blank_lines(tmp_path):
    path = write(tmp_path, "-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\n \t \n"
                           "Peter\tI-PER\nBlackburn\tI-PER\n\n\n")
    sentences = conll.read_conll(path)  # IOB1 detected and normalised
    assert [s.tokens for s in sentences] == [("EU", "rejects"), ("Peter", "Blackburn")]
    assert [s.tags for s in sentences] == [("B-ORG", "O"), ("B-PER", "I-PER")]
    assert [s.line for s in sentences] == [3, 6]


def test_windows_line_ends_and_bom(tmp_path):
    path = write(tmp_path, "\ufeffParis\tB-LOC\r\nis\tO\r\n\r\nOK\tO\r\n".encode("utf-8"))
    sentences = conll.read_conll(path)
    assert sentences[0].tokens == ("Paris", "is") and sentences[0].tags == ("B-LOC", "O")
    assert sentences[1].tokens == ("OK",)


def test_encodes_iobes(tmp_path):
    path = write(tmp_path, "New\tB-LOC\nYork\tI-LOC\nis\tO\nbig\tO\nBob\tB-PER\n")
    assert conll.read_conll(path, encoding="iobes")[0].tags == ("B-LOC", "E-LOC", "O", "O", "S-PER")


@pytest.mark.parametrize("content,line,message", [
    ("a\tO\nlonely\n", 2, "expected 'token<TAB>tag'"),
    ("a\tO\n\nb\tO\nc\tI-PER\n", 4, "continues an entity"),
    ("a\tO\nb\tPERSON\n", 2, "is not O nor PREFIX-TYPE"),
    ("a\tO\nb\t\n", 2, "expected 'token<TAB>tag'"),
])
def test_malformed_lines_name_file_and_line(tmp_path, content, line, message):
    path = write(tmp_path, content)
    with pytest.raises(DataError, match=message) as err:
        conll.read_conll(path, scheme="iob2")
    assert err.value.path == path and err.value.line == line
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_non_utf8_and_nul_bytes(tmp_path):
    with pytest.raises(DataError, match="not UTF-8") as err:
        conll.read_conll(write(tmp_path, b"ok\tO\ncaf\xe9\tO\n"))
    assert err.value.line == 2
    with pytest.raises(DataError, match="NUL") as err:
        conll.read_conll(write(tmp_path, b"ok\tO\nx\x00y\tO\n", name="nul.txt"))
    assert err.value.line == 2


@pytest.mark.parametrize("content", ["", "\n\n  \n", "-DOCSTART- O\n\n"])
def test_empty_files_are_refused(tmp_path, content):
    with pytest.raises(DataError, match="no sentences"):
        conll.read_conll(write(tmp_path, content))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        conll.read_conll(str(tmp_path / "nope.txt"))


def test_write_then_read_round_trips(tmp_path):
    sentences = [conll.Sentence(("Émile", "visited", "São", "Paulo"), ("B-PER", "O", "B-LOC", "I-LOC"), 1),
                 conll.Sentence(("ok",), ("O",), 6)]
    path = str(tmp_path / "out.txt")
    conll.write_conll(path, sentences)
    again = conll.read_conll(path)
    assert [(s.tokens, s.tags) for s in again] == [(s.tokens, s.tags) for s in sentences]
    conll.write_conll(path, sentences, append_tags=[["O"] * 4, ["O"]])
    assert open(path, encoding="utf-8").readline() == "Émile\tB-PER\tO\n"


WNUT_TRAIN = os.path.join(os.path.dirname(__file__), "..", "ner_tagger", "datasets", "wnut17", "train.conll")


def test_streamed_wnut_matches_a_plain_reading_of_the_file():
    """The streaming reader against the file read whole and split on blank (or whitespace-only) lines; its
    tags are IOB2."""
    with open(WNUT_TRAIN, encoding="utf-8") as fh:
        blocks = re.split(r"\n\s*\n", fh.read().strip())
    expected = [tuple(zip(*(line.split("\t") for line in block.split("\n")))) for block in blocks]
    streamed = conll.iter_conll(WNUT_TRAIN, "iob2", "iob2")
    assert not isinstance(streamed, list)
    assert [(s.tokens, s.tags) for s in streamed] == expected
    assert len(expected) == 3394 and sum(len(t) for t, _ in expected) == 62730


def test_sentences_come_one_at_a_time_before_a_later_error(tmp_path):
    path = write(tmp_path, "a\tO\n\nb\tO\n\n" + "c\tO\n" * 5 + "broken\n")
    sentences = conll.iter_conll(path, "iob2", "iob2")  # auto would read the tags first, erring at once
    assert next(sentences).tokens == ("a",) and next(sentences).tokens == ("b",)
    with pytest.raises(DataError) as err:
        next(sentences)
    assert (err.value.path, err.value.line) == (path, 10)
