"""Entity-level precision, recall and F1 (seqeval) over a whole evaluation set, and the eval log line.

Inside ``tf.estimator`` evaluation, decoded tags are collected batch by batch in Python (a ``py_func``
update op) and scored once at the end, so the figures are seqeval's over the whole dev set rather than an
average of per-batch values. Every figure becomes an ordinary ``eval_metric_ops`` entry: it reaches the
eval result, TensorBoard, early stopping and best-checkpoint selection through the estimator's own paths.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ner_tagger.corpus import tagging

# TensorFlow and seqeval are imported where they are used: the launcher reads the line formats below
# (ner_tagger.sagemaker.metric_definitions) on machines that have neither.

# One stable, parseable line per evaluation; SageMaker metric_definitions and HPO regexes match it.
EVAL_LINE = "eval: step={step} f1={f1:.4f} precision={precision:.4f} recall={recall:.4f} loss={loss:.4f}"
# Logged once, last, by the chief after the export: the exported model's own dev scores. The tuning
# objective matches it as well as EVAL_LINE, so the final value SageMaker records for a job (the last one
# emitted) is the model the job delivers, not whichever evaluation happened to run last.
FINAL_LINE = "final: f1={f1:.4f} precision={precision:.4f} recall={recall:.4f} entities={support}"


def entity_report(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                  encoding: str = "iob2") -> Dict[str, Dict[str, float]]:
    """``{"overall": {...}, TYPE: {...}}`` with precision, recall, f1 and support (gold entities).

    Sequences are in ``encoding``; both sides are rewritten to IOB2 first (predictions leniently, since a
    decoder may emit a sequence the scheme forbids) and scored by seqeval's default, conlleval-compatible
    mode.
    """
    from seqeval.metrics import classification_report

    gold2 = [tagging.convert(s, encoding, "iob2", strict=False) for s in gold]
    pred2 = [tagging.convert(s, encoding, "iob2", strict=False) for s in predicted]
    raw = classification_report(gold2, pred2, output_dict=True, zero_division=0)
    report = {"overall": _figures(raw["micro avg"])}
    for name, figures in raw.items():
        if not name.endswith(" avg"):
            report[name] = _figures(figures)
    return report


def _figures(figures):
    return {"precision": float(figures["precision"]), "recall": float(figures["recall"]),
            "f1": float(figures["f1-score"]), "support": int(figures["support"])}


MEASURES = ("f1", "precision", "recall")


def metric_names(entity_types: Sequence[str]) -> List[Tuple[str, str, str]]:
    """``(key, kind, measure)``: ``f1``, ``precision``, ``recall`` overall, then ``<measure>/<type>``."""
    names = [(m, "overall", m) for m in MEASURES]
    return names + [(f"{m}/{t}", t, m) for t in entity_types for m in MEASURES]


class Collector:
    """Decoded batches in, seqeval's figures over all of them out: one evaluation's Python-side state.

    Used through ``py_func`` by the estimator's evaluation graph (:func:`metric_ops`) and directly by the
    in-session evaluation (``ner_tagger.job.in_session_eval``).
    """

    def __init__(self, encoding: str, entity_types: Sequence[str]):
        self.encoding, self.names = encoding, metric_names(entity_types)
        self.gold, self.predicted = [], []

    def update(self, gold, predicted, lengths):
        """Tag-string batches (bytes, padded) and their lengths; returns the sentences seen so far."""
        for g, p, n in zip(gold, predicted, lengths):
            self.gold.append([t.decode() for t in g[:n]])
            self.predicted.append([t.decode() for t in p[:n]])
        return np.int64(len(self.gold))

    def figures(self) -> Dict[str, float]:
        """The :func:`metric_names` figures (0.0 for an absent type), then a fresh start."""
        report = entity_report(self.gold, self.predicted, self.encoding)
        self.gold, self.predicted = [], []
        return {key: report.get(kind, {}).get(measure, 0.0) for key, kind, measure in self.names}


def metric_ops(gold_tags, predicted_tags, lengths, entity_types: Sequence[str], encoding: str):
    """``eval_metric_ops`` for the figures :func:`metric_names` names."""
    import tensorflow as tf

    collector = Collector(encoding, entity_types)
    update = tf.compat.v1.py_func(collector.update, [gold_tags, predicted_tags, lengths], tf.int64,
                                  stateful=True, name="seqeval_update")
    values = tf.compat.v1.py_func(lambda: np.array(list(collector.figures().values()), np.float32), [],
                                  tf.float32, stateful=True, name="seqeval_result")
    ops = {}
    for i, (key, _, _) in enumerate(collector.names):
        # Only the first entry carries the update, so each batch is collected once.
        ops[key] = (values[i], update if i == 0 else tf.no_op())
    return ops
