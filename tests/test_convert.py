"""``python -m ner_tagger.convert``: CoNLL <-> JSONL spans, manifests and predictions to CoNLL, atomic output."""
import json
import os

from support.offsets_harness import offsets_record, write_manifest
from support.synthetic import synthetic_sentences, write_conll

from ner_tagger import convert

WNUT_DEV = os.path.join(os.path.dirname(__file__), "..", "ner_tagger", "datasets", "wnut17", "dev.conll")


def jsonl(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_conll_to_jsonl_and_back_is_lossless_on_wnut17(tmp_path):
    spans, back = tmp_path / "dev.jsonl", tmp_path / "dev.conll"
    assert convert.main([WNUT_DEV, str(spans)]) == 0
    assert convert.main([str(spans), str(back), "--offsets_tokenizer", "whitespace"]) == 0
    original = [line.split("\t") for line in open(WNUT_DEV, encoding="utf-8").read().split("\n") if line.strip()]
    assert [line.split("\t") for line in back.read_text(encoding="utf-8").split("\n") if line.strip()] == original
    first = jsonl(spans)[0]
    assert set(first) == {"text", "entities"} and all(len(e) == 3 for e in first["entities"])


def test_manifest_to_conll_and_to_jsonl(tmp_path):
    sentences = synthetic_sentences(10, 4)
    manifest = write_manifest(tmp_path / "train.manifest", sentences)
    assert convert.main([manifest, str(tmp_path / "out.conll")]) == 0
    assert (tmp_path / "out.conll").read_text() == open(write_conll(tmp_path / "gold.conll", sentences)).read()
    assert convert.main([manifest, str(tmp_path / "out.jsonl")]) == 0
    assert [(r["text"], [tuple(e) for e in r["entities"]]) for r in jsonl(tmp_path / "out.jsonl")] == \
        [offsets_record(t, g) for t, g in sentences]


def test_predictions_keep_their_own_text_and_offsets(tmp_path):
    text = "Oh,  Bob met Alice!"
    prediction = {"text": text, "tokens": ["Oh", ",", "Bob", "met", "Alice", "!"],
                  "tags": ["O", "O", "B-PER", "O", "B-PER", "O"], "score": 0.9,
                  "entities": [{"type": "PER", "text": "Bob", "start": 5, "end": 8, "score": 0.9},
                               {"type": "PER", "text": "Alice", "start": 13, "end": 18, "score": 0.8}]}
    source = tmp_path / "pred.jsonl"
    source.write_text(json.dumps(prediction) + "\n")
    assert convert.main([str(source), str(tmp_path / "p.conll")]) == 0
    assert (tmp_path / "p.conll").read_text() == "Oh\tO\n,\tO\nBob\tB-PER\nmet\tO\nAlice\tB-PER\n!\tO\n\n"
    assert convert.main([str(source), str(tmp_path / "p.txt"), "--to", "jsonl"]) == 0
    assert jsonl(tmp_path / "p.txt") == [{"text": text, "entities": [[5, 8, "PER"], [13, 18, "PER"]]}]


def test_a_bad_record_leaves_no_output_and_no_temporary_file(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "a b", "entities": []}\n{"text": "a b", "entities": [[0, 1, "X"], [0, 3, "Y"]]}\n')
    target = tmp_path / "out.conll"
    target.write_text("previous\n")
    assert convert.main([str(source), str(target)]) == 2
    assert "in.jsonl:2: entities overlap" in capsys.readouterr().err
    assert target.read_text() == "previous\n"
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.conll"]


def test_span_mismatch_error_stops_the_conversion(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "#Paris rocks", "entities": [[1, 6, "LOC"]]}\n')
    assert convert.main([str(source), str(tmp_path / "out.conll"), "--span_mismatch", "error"]) == 2
    assert "in.jsonl:1: field 'entities[0]': entity LOC [1, 6) 'Paris'" in capsys.readouterr().err
    assert not (tmp_path / "out.conll").exists()
    assert convert.main([str(source), str(tmp_path / "out.conll")]) == 0
    assert (tmp_path / "out.conll").read_text() == "#Paris\tO\nrocks\tO\n\n"
