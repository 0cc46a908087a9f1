"""Reading any data file into sentences: format detection, WNUT-17 as a Ground Truth manifest gives the CoNLL
file's sentences, and each format round-trips through train -> export -> predict."""
import json
import os

import pytest
from support.offsets_harness import offsets_record, write_manifest, write_spans_jsonl
from support.synthetic import TINY, synthetic_sentences, write_conll

from ner_tagger.corpus import conll, dataset, formats, tagging
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams

WNUT = os.path.join(os.path.dirname(__file__), "..", "ner_tagger", "datasets", "wnut17")


@pytest.mark.parametrize("first_line, expected", [
    ("Alice\tB-PER", "conll"), ("{\tO", "conll"), ('{"text": "a", "entities": []}', "jsonl"),
    ('{"source": "a", "job": {}}', "manifest"), ('[{"text": "a", "label": []}]', "jsonl"),
])
def test_format_is_told_by_the_first_non_blank_line(tmp_path, first_line, expected):
    path = tmp_path / "data.txt"
    path.write_text("\n\n" + first_line + "\n", encoding="utf-8")
    assert formats.detect(str(path)) == expected


def wnut_sentences(name):
    return [(list(s.tokens), list(s.tags)) for s in conll.read_conll(os.path.join(WNUT, f"{name}.conll"))]


@pytest.mark.parametrize("name", ["train", "dev"])
def test_wnut17_as_a_manifest_gives_the_conll_files_tokens_and_tags(tmp_path, name):
    """Same tokens, same tags, so the same training data: the dev F1 of a manifest-trained model is the
    CoNLL-trained one's by construction."""
    manifest = write_manifest(tmp_path / f"{name}.manifest", wnut_sentences(name))
    hp = HParams(offsets_tokenizer="whitespace")
    from_manifest = formats.read_sentences(manifest, hp)
    from_conll = conll.read_conll(os.path.join(WNUT, f"{name}.conll"), hp.tag_scheme, hp.tag_encoding)
    assert len(from_manifest) == len(from_conll) > 1000
    assert [(s.tokens, s.tags) for s in from_manifest] == [(s.tokens, s.tags) for s in from_conll]


def test_wnut17_manifest_through_the_text_signature_tokenizer_keeps_every_entity(tmp_path, caplog):
    """The serving tokenizer splits some WNUT tokens further ("S.F." -> "S.F", "."), never joins two, so
    every entity still falls on token boundaries and keeps its text."""
    sentences = wnut_sentences("train")
    manifest = write_manifest(tmp_path / "train.manifest", sentences)
    with caplog.at_level("INFO", logger="ner_tagger"):
        read = formats.read_sentences(manifest, HParams(tag_encoding="iob2"))
    entities = sum(len(tagging.to_spans(tags)) for _, tags in sentences)
    assert f"all {entities} entities fall on token boundaries" in caplog.text
    resplit = 0
    for (tokens, tags), sentence in zip(sentences, read):
        text = " ".join(tokens)
        gold = [(kind, text[s:e]) for s, e, kind in offsets_record(tokens, tags)[1]]
        got = [(kind, " ".join(sentence.tokens[a:b])) for kind, a, b in tagging.to_spans(sentence.tags)]
        assert [k for k, _ in got] == [k for k, _ in gold]
        assert ["".join(t.split()) for _, t in got] == ["".join(t.split()) for _, t in gold]
        resplit += list(sentence.tokens) != tokens
    assert 0 < resplit < len(sentences) // 4


def test_a_data_dir_of_offset_files_is_found_and_read(tmp_path):
    write_manifest(tmp_path / "train.manifest", synthetic_sentences(20, 1))
    write_spans_jsonl(tmp_path / "dev.jsonl", synthetic_sentences(5, 2))
    data = dataset.load_data(HParams(), str(tmp_path))
    assert (len(data.train), len(data.dev)) == (20, 5)
    assert data.files["train"].endswith("train.manifest") and data.files["dev"].endswith("dev.jsonl")
    assert {t for s in data.train for t in s.tags} <= {"O", "S-PER", "B-PER", "E-PER", "S-LOC", "B-LOC", "I-LOC",
                                                       "E-LOC", "S-ORG", "B-ORG", "I-ORG", "E-ORG"}


def test_predict_output_trains_as_given(tmp_path):
    path = tmp_path / "pred.jsonl"
    path.write_text(json.dumps({"text": "Bob ran", "tokens": ["Bob", "ran"], "tags": ["B-PER", "I-PER"],
                                "entities": []}) + "\n" + json.dumps({"tokens": ["x"], "tags": ["I-X"]}) + "\n")
    first = next(formats.iter_sentences(str(path), HParams()))
    assert first.tokens == ("Bob", "ran") and first.tags == ("B-PER", "E-PER")
    with pytest.raises(DataError, match=r"pred.jsonl:2: field 'tags\[0\]': .* \(expected IOB2\)"):
        formats.read_sentences(str(path), HParams())


def test_an_empty_json_file_is_an_error(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("[]\n")
    with pytest.raises(DataError, match="no sentences"):
        formats.read_sentences(str(path), HParams())


# ---- train -> export -> predict, each format ---------------------------------------------------------------


@pytest.fixture(scope="module")
def offsets_model(tmp_path_factory):
    """One tiny training on offset files only: a manifest to train on, spaCy-style JSONL to evaluate on,
    a Label Studio JSON-MIN array as the test file."""
    from ner_tagger.job import runner

    root = tmp_path_factory.mktemp("offsets")
    data = root / "data"
    data.mkdir()
    write_manifest(data / "train.manifest", synthetic_sentences(300, 1))
    write_spans_jsonl(data / "dev.jsonl", synthetic_sentences(60, 2))
    test = synthetic_sentences(40, 3)
    records = []
    for tokens, tags in test:
        text, entities = offsets_record(tokens, tags)
        records.append({"text": text, "label": [{"start": s, "end": e, "labels": [k]} for s, e, k in entities]})
    (data / "test.json").write_text(json.dumps(records))
    hp = HParams.from_dict(dict(TINY, max_steps=300))
    report = runner.pipeline(hparams=hp, data_dir=str(data), model_dir=str(root / "ckpt"),
                          export_dir=str(root / "export"))
    return {"report": report, "root": root, "export": str(root / "export"), "test": test}


@pytest.mark.slow
def test_offset_files_train_to_a_perfect_model(offsets_model):
    report = offsets_model["report"]
    assert report["dev"]["overall"]["f1"] == 1.0 and report["test"]["overall"]["f1"] == 1.0


@pytest.mark.slow
def test_predictions_convert_back_to_the_gold_conll_and_spans(offsets_model, tmp_path, capsys):
    from ner_tagger import convert, predict

    texts = tmp_path / "texts.txt"
    texts.write_text("".join(" ".join(tokens) + "\n" for tokens, _ in offsets_model["test"]))
    assert predict.main([offsets_model["export"], "--input", str(texts)]) == 0
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(capsys.readouterr().out)
    assert convert.main([str(predictions), str(tmp_path / "out.conll")]) == 0
    assert convert.main([str(predictions), str(tmp_path / "out.jsonl")]) == 0
    gold = write_conll(tmp_path / "gold.conll", offsets_model["test"])
    assert (tmp_path / "out.conll").read_text() == open(gold).read()
    spans = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    expected = [offsets_record(tokens, tags) for tokens, tags in offsets_model["test"]]
    assert [(r["text"], [tuple(e) for e in r["entities"]]) for r in spans] == expected


@pytest.mark.slow
def test_evaluate_scores_an_export_on_a_manifest(offsets_model, tmp_path):
    from ner_tagger import evaluate

    manifest = write_manifest(tmp_path / "test.manifest", offsets_model["test"])
    report, _, sentences, _ = evaluate.evaluate(offsets_model["export"], manifest)
    assert report["overall"]["f1"] == 1.0 and len(sentences) == len(offsets_model["test"])
