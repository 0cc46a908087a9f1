"""``python -m ner_tagger.predict``: text or JSON lines in (streamed), JSON lines or CoNLL out.

Tests marked slow use the shared trained export; the rest drive the streaming pieces with a stand-in."""
import io
import json
import os

import pytest

from ner_tagger import predict
from ner_tagger.errors import DataError

slow = pytest.mark.slow  # uses the trained model: full suite, not the fast lane


def lines_of(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@slow
def test_text_in_entities_with_character_spans_out(trained, capsys):
    text = "Alice met  Dmitri in New York ."
    assert predict.main([str(trained["export"]), "--text", text, "--text", "the weather was nice ."]) == 0
    first, second = lines_of(capsys)
    assert first["text"] == text
    assert [(e["type"], text[e["start"]:e["end"]]) for e in first["entities"]] == [
        ("PER", "Alice"), ("PER", "Dmitri"), ("LOC", "New York")]
    assert second["entities"] == [] and second["tags"] == ["O"] * 5


@slow
def test_token_lists_from_a_file(trained, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('["Umbrella", "Group", "hired", "Bob"]\n\n["Oslo"]\n')
    assert predict.main([str(trained["export"]), "--tokens", "--input", str(source)]) == 0
    first, second = lines_of(capsys)
    assert first["tags"] == ["B-ORG", "I-ORG", "O", "B-PER"]
    assert first["entities"][0]["text"] == "Umbrella Group"
    assert second["tokens"] == ["Oslo"]


@slow
def test_bad_token_line_names_file_and_line(trained, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('["ok"]\n{"not": "a list"}\n')
    assert predict.main([str(trained["export"]), "--tokens", "--input", str(source)]) == 2
    assert f"{source}:2" in capsys.readouterr().err


@slow
def test_missing_model_is_a_clean_error(tmp_path, capsys):
    assert predict.main([str(tmp_path), "--text", "hello"]) == 2
    assert str(tmp_path) in capsys.readouterr().err



class TaggingStandIn:
    """Tags capitalised tokens B-PER; splits text at spaces; records how many sentences each call got."""

    def __init__(self):
        self.calls = []

    def _answer(self, tokens):
        tags = ["B-PER" if t[:1].isupper() else "O" for t in tokens]
        return {"tokens": tokens, "tags": tags, "score": 1.0, "entities": []}

    def predict_text(self, texts):
        self.calls.append(len(texts))
        return [self._answer(t.split()) for t in texts]

    def predict_tokens(self, rows):
        self.calls.append(len(rows))
        return [self._answer(list(r)) for r in rows]


def test_records_of_both_formats_skip_blanks_and_keep_line_numbers():
    raw = io.BytesIO("\ufeffAlice met Bob\r\n\n   \nEve \u2028left\n".encode())
    assert list(predict.read_records(raw, "in.txt", predict.TEXT)) == [(1, "Alice met Bob"), (4, "Eve \u2028left")]
    raw = io.BytesIO(b'"a b"\n["c", "d"]\n{"text": "e", "id": 7}\n{"tokens": ["f"]}\n""\n[]\n\n{"text": " "}\n')
    assert list(predict.read_records(raw, "in.jsonl", predict.JSONL)) == [
        (1, "a b"), (2, ["c", "d"]), (3, "e"), (4, ["f"])]


@pytest.mark.parametrize("line, reason", [
    (b"{bad", "in.jsonl:2: not JSON: Expecting property name enclosed in double quotes (column 2)"),
    (b"3", "in.jsonl:2: expected a sentence"),
    (b'["a", ""]', "in.jsonl:2: expected a sentence"),
    (b'{"text": "a", "tokens": ["a"]}', "in.jsonl:2: a record takes exactly one of 'text' or 'tokens'"),
    (b'{"id": 3}', "in.jsonl:2: a record takes exactly one of"),
    (b'{"text": ["a"]}', "in.jsonl:2: 'text' must be a string"),
    (b'{"tokens": "a"}', "in.jsonl:2: 'tokens' must be a list"),
    (b"[" * 100000, "in.jsonl:2: not JSON"),
    (b'"caf\xe9"', "in.jsonl:2: not valid UTF-8 (byte 4)"),
])
def test_bad_records_name_file_and_line(line, reason):
    with pytest.raises(DataError) as err:
        list(predict.read_records(io.BytesIO(b'"fine"\n' + line + b"\n"), "in.jsonl", predict.JSONL))
    assert str(err.value).startswith(reason)


def test_tagging_streams_a_chunk_at_a_time_in_input_order():
    read = []

    def records():  # an endless input: tagging must not wait for its end
        for number in range(1, 10**9):
            read.append(number)
            yield number, ("Alice" if number % 2 else "bob and Carol")

    stand_in = TaggingStandIn()
    tagged = predict.tag(records(), stand_in, chunk=4)
    first = [next(tagged) for _ in range(5)]
    assert [n for n, _, _ in first] == [1, 2, 3, 4, 5]
    assert first[1][2]["tags"] == ["O", "O", "B-PER"]
    assert len(read) == 8 and stand_in.calls == [4, 4]  # two chunks read, no more


def test_mixed_jsonl_records_are_answered_in_order():
    records = [(1, "Alice left"), (2, ["Bob", "stayed"]), (3, "see Eve")]
    answers = [a["tokens"] for _, _, a in predict.tag(records, TaggingStandIn(), chunk=10)]
    assert answers == [["Alice", "left"], ["Bob", "stayed"], ["see", "Eve"]]


def test_conll_output_and_its_whitespace_guard():
    answer = {"tokens": ["Alice", "left"], "tags": ["B-PER", "O"]}
    assert predict.as_conll(answer, "in.jsonl", 3) == "Alice\tB-PER\nleft\tO\n\n"
    with pytest.raises(DataError, match=r"in.jsonl:3: token 'New York' holds whitespace"):
        predict.as_conll({"tokens": ["New York"], "tags": ["B-LOC"]}, "in.jsonl", 3)


def test_output_is_renamed_into_place_only_when_complete(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old answers\n")
    with pytest.raises(DataError):
        with predict.output_stream(str(target)) as out:
            out.write("half of the new answers\n")
            raise DataError("bad line", "in.txt", 9)
    assert target.read_text() == "old answers\n" and os.listdir(tmp_path) == ["out.jsonl"]
    with predict.output_stream(str(target)) as out:
        out.write("new answers\n")
    assert target.read_text() == "new answers\n" and os.listdir(tmp_path) == ["out.jsonl"]
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~_umask()
    with pytest.raises(DataError, match="cannot write the output"):
        with predict.output_stream(str(tmp_path / "missing" / "out.jsonl")):
            pass


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@slow
def test_a_text_file_tagged_to_a_jsonl_file(trained, tmp_path, capsys):
    lines = ["Alice met Dmitri in New York .", "", "Globex hired Hiro last week .", "the weather was nice ."] * 300
    source, target = tmp_path / "in.txt", tmp_path / "out.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert predict.main([str(trained["export"]), "--input", str(source), "--output", str(target),
                         "--batch_size", "16"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # the answers went to the file
    assert "predict: 1200/1200 (100%) lines in" in captured.err and "lines/s" in captured.err
    answers = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [a["text"] for a in answers] == [line for line in lines if line]
    assert [(e["type"], e["text"]) for e in answers[0]["entities"]] == [("PER", "Alice"), ("PER", "Dmitri"),
                                                                     ("LOC", "New York")]
    assert answers[1]["entities"][0]["text"] == "Globex"


@slow
def test_jsonl_records_tagged_to_conll(trained, tmp_path, capsys):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.conll"
    source.write_text('"Eve works for Initech ."\n{"tokens": ["Umbrella", "Group", "hired", "Bob"], "id": 2}\n'
                      '\n["Oslo"]\n{"text": "Carol flew to Lima ."}\n', encoding="utf-8")
    assert predict.main([str(trained["export"]), "--input", str(source), "--output", str(target),
                         "--output_format", "conll", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    blocks = [block.split("\n") for block in target.read_text(encoding="utf-8").rstrip("\n").split("\n\n")]
    assert [[line.split("\t")[0] for line in block] for block in blocks] == [
        ["Eve", "works", "for", "Initech", "."], ["Umbrella", "Group", "hired", "Bob"], ["Oslo"],
        ["Carol", "flew", "to", "Lima", "."]]
    assert blocks[1] == ["Umbrella\tB-ORG", "Group\tI-ORG", "hired\tO", "Bob\tB-PER"]
    assert blocks[3][0] == "Carol\tB-PER" and blocks[3][3] == "Lima\tB-LOC"


@slow
def test_a_bad_line_leaves_no_output(trained, tmp_path, capsys):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('"ok"\n' * 3000 + '{"text": 5}\n', encoding="utf-8")
    assert predict.main([str(trained["export"]), "--input", str(source), "--output", str(target)]) == 2
    assert f"{source}:3001: 'text' must be a string" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["in.jsonl"]
