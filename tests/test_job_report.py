"""Scoring an export and the job's report (:mod:`ner_tagger.job.report`).

A stand-in predictor (pure Python) for the scoring rules; the shared trained export (conftest ``trained``)
for the real path: the SavedModel's figures are the report's."""
import json
import logging
import os
import types

import pytest

from ner_tagger.corpus import conll
from ner_tagger.job import report
from ner_tagger.model.metrics import FINAL_LINE

GOLD = [(("Alice", "met", "Bob", "in", "New", "York"), ("B-PER", "O", "B-PER", "O", "B-LOC", "I-LOC")),
        (("Acme", "Corp", "hired", "Eve"), ("B-ORG", "I-ORG", "O", "B-PER"))]


class StandIn:
    """Answers ``predict_tokens`` from a table of tags per sentence; records what it was asked."""

    def __init__(self, tags):
        self.tags, self.asked = tags, []

    def predict_tokens(self, rows):
        self.asked.append(rows)
        return [{"tokens": row, "tags": list(self.tags[tuple(row)])} for row in rows]


def _sentences(pairs):
    return [conll.Sentence(tokens, tags, i + 1) for i, (tokens, tags) in enumerate(pairs)]


def test_a_perfect_predictor_scores_one_and_is_asked_for_tokens():
    predictor = StandIn(dict(GOLD))
    scores, gold, predicted = report.score_with(predictor, _sentences(GOLD))
    assert scores["overall"] == {**scores["overall"], "f1": 1.0, "precision": 1.0, "recall": 1.0, "support": 5}
    assert predictor.asked == [[list(tokens) for tokens, _ in GOLD]]
    assert gold == predicted == [list(tags) for _, tags in GOLD]


def test_a_missed_entity_lowers_recall_not_precision():
    tags = dict(GOLD)
    tags[GOLD[1][0]] = ("B-ORG", "I-ORG", "O", "O")  # Eve missed
    scores, _, _ = report.score_with(StandIn(tags), _sentences(GOLD))
    assert scores["overall"]["precision"] == 1.0 and scores["overall"]["recall"] == pytest.approx(4 / 5)
    assert scores["PER"]["recall"] == pytest.approx(2 / 3) and scores["ORG"]["f1"] == 1.0


def test_gold_tags_in_another_encoding_are_scored_as_iob2():
    iob1 = [(("Alice", "met", "Bob"), ("I-PER", "O", "I-PER"))]  # IOB1: an entity begins with I- after O
    scores, gold, _ = report.score_with(StandIn({iob1[0][0]: ("B-PER", "O", "B-PER")}), _sentences(iob1), "iob1")
    assert gold == [["B-PER", "O", "B-PER"]] and scores["overall"]["f1"] == 1.0


def test_summary_is_one_line_of_the_overall_figures():
    overall = {"f1": 0.81234, "precision": 0.8, "recall": 0.82468, "support": 122}
    assert report.summary({"overall": overall, "PER": overall}) == (
        "f1=0.8123 precision=0.8000 recall=0.8247 entities=122")


def test_write_json_creates_the_folder_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "output" / "data" / report.REPORT
    report.write_json(str(path), {"b": 1, "a": [1.5]})
    report.write_json(str(path), {"dev": {"overall": {"f1": 1.0}}})
    assert json.loads(path.read_text(encoding="utf-8")) == {"dev": {"overall": {"f1": 1.0}}}
    assert os.listdir(path.parent) == [report.REPORT]


# ----- the real export -----

@pytest.mark.slow  # the session's trained model
def test_score_export_gives_the_reports_dev_figures(trained, synthetic_dir):
    dev = conll.read_conll(str(synthetic_dir / "dev.txt"), "iob2", "iob2")
    scores, gold, predicted = report.score_export(str(trained["export"]), dev)
    assert scores == trained["report"]["dev"]
    assert len(predicted) == len(dev) and all(len(p) == len(s.tokens) for p, s in zip(predicted, dev))
    assert gold == [list(s.tags) for s in dev]


@pytest.mark.slow  # the session's trained model
@pytest.mark.parametrize("with_test", [True, False])
def test_the_report_scores_the_export_and_ends_the_log_on_the_final_line(trained, synthetic_dir, caplog,
                                                                          with_test):
    from ner_tagger.serving import core

    hp = trained["hparams"]
    # Read as the job reads its data: gold tags in the model's own encoding.
    dev = conll.read_conll(str(synthetic_dir / "dev.txt"), hp.tag_scheme, hp.tag_encoding)
    test = conll.read_conll(str(synthetic_dir / "test.txt"), hp.tag_scheme, hp.tag_encoding) if with_test else None
    data = types.SimpleNamespace(files={"train": "train.txt", "dev": "dev.txt"}, dev=dev, test=test)
    version = core.latest_version(str(trained["export"]))
    history = trained["report"]["evaluations"]
    with caplog.at_level(logging.INFO, logger="ner_tagger"):
        built = report.build_report(hp, data, str(trained["root"] / "ckpt"), version, history,
                                    12.345)
    assert (built["model"], built["files"], built["train_seconds"], built["evaluations"]) == (
        version, data.files, 12.3, history)
    assert built["best_step"] == trained["report"]["best_step"]
    assert built["dev"] == trained["report"]["dev"]
    assert ("test" in built) is with_test and (not with_test or built["test"] == trained["report"]["test"])
    lines = [r.getMessage() for r in caplog.records if r.name == "ner_tagger"]
    # SageMaker's final objective value is the last line its regex matches: the exported model's dev F1.
    assert lines[-1] == FINAL_LINE.format(**built["dev"]["overall"])
    assert f"dev: {report.summary(built['dev'])}" in lines
