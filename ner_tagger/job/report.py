"""Scoring an exported model, and the job's ``eval_report.json``.

:func:`score_export` is the one way an export is scored: the job's report scores the model it just
exported on dev (and test), ``python -m ner_tagger.evaluate`` scores any export on any file. Both go through
the SavedModel's serving signature (raw text in, tags out), so the figures are those of the model that
ships, with seqeval's entity-level metrics over the whole set.
"""
import json
import logging
import os
from typing import List, Sequence, Tuple

from ner_tagger.corpus import tagging
from ner_tagger.model.metrics import FINAL_LINE, entity_report

log = logging.getLogger("ner_tagger")
REPORT = "eval_report.json"


def score_export(model: str, sentences: Sequence, tag_encoding: str = "iob2",
                 batch_size: int = 128) -> Tuple[dict, List[List[str]], List[List[str]]]:
    """``(report, gold, predicted)`` of the export ``model`` on ``sentences``; tags in IOB2.

    ``model`` is an export folder (its newest numeric version is used) or a version folder;
    ``tag_encoding`` is that of the sentences' gold tags.
    """
    from ner_tagger.serving.exported_model import Predictor  # TensorFlow

    return score_with(Predictor.load(model, batch_size=batch_size), sentences, tag_encoding)


def score_with(predictor, sentences: Sequence, tag_encoding: str = "iob2"):
    """:func:`score_export` with an export already loaded (a ``Predictor``): loading a SavedModel costs
    seconds of CPU, so the report loads its export once for dev and test."""
    predicted = [r["tags"] for r in predictor.predict_tokens([list(s.tokens) for s in sentences])]
    gold = [tagging.convert(s.tags, tag_encoding, "iob2") for s in sentences]
    return entity_report(gold, predicted, "iob2"), gold, predicted


def build_report(hp, data, model_dir: str, version_dir: str, history: list, seconds: float) -> dict:
    """The report of a finished job: what it read, how long it trained, and the export's own scores."""
    from ner_tagger.job.hooks import BestCheckpoint
    from ner_tagger.serving.exported_model import Predictor  # TensorFlow

    best = BestCheckpoint(model_dir).best() or {}
    predictor = Predictor.load(version_dir)
    report = {"model": version_dir, "files": data.files, "train_seconds": round(seconds, 1),
              "best_step": best.get("step"), "evaluations": history,
              "dev": score_with(predictor, data.dev, hp.tag_encoding)[0]}
    log.info("dev: %s", summary(report["dev"]))
    if data.test:
        report["test"] = score_with(predictor, data.test, hp.tag_encoding)[0]
        log.info("test: %s", summary(report["test"]))
    # Last metric line of the job: SageMaker's final objective value is the exported model's dev F1.
    log.info(FINAL_LINE.format(**report["dev"]["overall"]))
    return report


def summary(report: dict) -> str:
    o = report["overall"]
    return f"f1={o['f1']:.4f} precision={o['precision']:.4f} recall={o['recall']:.4f} entities={o['support']}"


def write_json(path: str, value) -> None:
    """Written beside, then renamed: a reader never sees half a report."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(value, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
