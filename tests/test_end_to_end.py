"""Train a few hundred steps on the synthetic task, export, load the SavedModel, predict from raw text (the
SavedModel's signatures themselves: tests/test_model_signatures.py)."""
import json
import os

import pytest
from support.synthetic import TRAINED_STEPS

from ner_tagger.serving import core
from ner_tagger.serving.exported_model import Predictor

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def test_training_reaches_perfect_dev_and_test_f1(trained):
    report = trained["report"]
    assert report["dev"]["overall"]["f1"] == 1.0
    assert report["test"]["overall"]["f1"] == 1.0
    assert set(report["dev"]) == {"overall", "PER", "LOC", "ORG"}
    # Every evaluation is recorded with step and seqeval figures, and the best one is what was exported.
    steps = [e["step"] for e in report["evaluations"]]
    assert steps == sorted(steps) and steps[-1] == TRAINED_STEPS
    assert report["best_step"] in steps
    written = json.loads((trained["root"] / "output" / "eval_report.json").read_text())
    assert written["dev"] == report["dev"]


def test_export_is_a_numeric_version_with_vocabularies_and_params(trained):
    versions = [p for p in os.listdir(trained["export"]) if not p.startswith(".")]
    assert len(versions) == 1 and versions[0].isdigit()
    version = trained["export"] / versions[0]
    assert (version / "saved_model.pb").is_file()
    assert {"words.txt", "chars.txt"} <= set(os.listdir(version / "assets"))
    assert {"words.txt", "chars.txt", "tags.txt", "params.json"} <= set(os.listdir(version / "assets.extra"))
    assert "S-PER" in (version / "assets.extra" / "tags.txt").read_text().split()
    assert core.read_params(str(version))["lstm_units"] == trained["hparams"].lstm_units


def test_predictor_returns_entities_with_character_spans(trained):
    predictor = Predictor.load(str(trained["export"]))
    text = "Yesterday  Farah flew to Quebec City with Gustavo ."
    [result] = predictor.predict_text([text])
    found = [(e["type"], e["text"]) for e in result["entities"]]
    assert found == [("PER", "Farah"), ("LOC", "Quebec City"), ("PER", "Gustavo")]
    for entity in result["entities"]:
        assert text[entity["start"]:entity["end"]] == entity["text"]
        assert 0.5 < entity["score"] <= 1.0
    [tokens] = predictor.predict_tokens([["Initech", "opened", "an", "office", "in", "Lima", "."]])
    assert tokens["tags"] == ["B-ORG", "O", "O", "O", "O", "B-LOC", "O"]


def test_predictor_keeps_input_order_across_batches(trained):
    predictor = Predictor.load(str(trained["export"]), batch_size=2)
    texts = ["the weather was nice .", "Alice met Bob in Paris .", "Acme Corp hired Hiro last week .", "Eve"]
    results = predictor.predict_text(texts)
    assert [r["tokens"][0] for r in results] == ["the", "Alice", "Acme", "Eve"]
    assert results[0]["entities"] == []
    assert [e["text"] for e in results[2]["entities"]] == ["Acme Corp", "Hiro"]
