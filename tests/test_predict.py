"""``python -m ner_tagger.predict``: text or tokens in, JSON lines of entities out."""
import json

import pytest

from ner_tagger import predict

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def lines_of(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_text_in_entities_with_character_spans_out(trained, capsys):
    text = "Alice met  Dmitri in New York ."
    assert predict.main([str(trained["export"]), "--text", text, "--text", "the weather was nice ."]) == 0
    first, second = lines_of(capsys)
    assert first["text"] == text
    assert [(e["type"], text[e["start"]:e["end"]]) for e in first["entities"]] == [
        ("PER", "Alice"), ("PER", "Dmitri"), ("LOC", "New York")]
    assert second["entities"] == [] and second["tags"] == ["O"] * 5


def test_token_lists_from_a_file(trained, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('["Umbrella", "Group", "hired", "Bob"]\n\n["Oslo"]\n')
    assert predict.main([str(trained["export"]), "--tokens", "--input", str(source)]) == 0
    first, second = lines_of(capsys)
    assert first["tags"] == ["B-ORG", "I-ORG", "O", "B-PER"]
    assert first["entities"][0]["text"] == "Umbrella Group"
    assert second["tokens"] == ["Oslo"]


def test_bad_token_line_names_file_and_line(trained, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('["ok"]\n{"not": "a list"}\n')
    assert predict.main([str(trained["export"]), "--tokens", "--input", str(source)]) == 2
    assert f"{source}:2" in capsys.readouterr().err


def test_missing_model_is_a_clean_error(tmp_path, capsys):
    assert predict.main([str(tmp_path), "--text", "hello"]) == 2
    assert str(tmp_path) in capsys.readouterr().err
