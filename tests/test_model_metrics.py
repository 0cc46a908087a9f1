import pytest
import tensorflow as tf

from ner_tagger.model import metrics

GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"], ["O", "B-LOC"]]
PRED = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "O"], ["O", "B-PER"]]


def test_entity_report_counts_whole_entities():
    report = metrics.entity_report(GOLD, PRED)
    # gold: PER, LOC, ORG, LOC (4); predicted: PER, ORG, PER (3); correct: PER, ORG (2)
    assert report["overall"]["precision"] == 2 / 3
    assert report["overall"]["recall"] == 2 / 4
    assert report["overall"]["support"] == 4
    assert report["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert report["PER"]["precision"] == 0.5 and report["PER"]["recall"] == 1.0


def test_entity_report_reads_iobes():
    gold = [["S-PER", "O", "B-LOC", "E-LOC"]]
    assert metrics.entity_report(gold, gold, "iobes")["overall"]["f1"] == 1.0


def test_metric_ops_aggregate_over_all_batches():
    """Two batches through the graph ops give seqeval's figures over the union, not a batch average."""
    with tf.Graph().as_default():
        gold = tf.compat.v1.placeholder(tf.string, [None, None])
        pred = tf.compat.v1.placeholder(tf.string, [None, None])
        lengths = tf.compat.v1.placeholder(tf.int32, [None])
        ops = metrics.metric_ops(gold, pred, lengths, ["LOC", "ORG", "PER"], "iob2")
        updates = [update for _, update in ops.values()]
        with tf.compat.v1.Session() as session:
            for g, p in ((GOLD[:1], PRED[:1]), (GOLD[1:], PRED[1:])):
                width = max(map(len, g))
                pad = lambda rows, width=width: [r + ["O"] * (width - len(r)) for r in rows]  # noqa: E731
                session.run(updates, {gold: pad(g), pred: pad(p), lengths: [len(r) for r in g]})
            values = session.run({k: v for k, (v, _) in ops.items()})
    expected = metrics.entity_report(GOLD, PRED)
    assert values["precision"] == pytest.approx(expected["overall"]["precision"])
    assert values["recall"] == pytest.approx(expected["overall"]["recall"])
    assert values["f1/PER"] == pytest.approx(expected["PER"]["f1"])


def test_eval_line_is_stable():
    line = metrics.EVAL_LINE.format(step=10, f1=0.5, precision=0.25, recall=1, loss=2.5)
    assert line == "eval: step=10 f1=0.5000 precision=0.2500 recall=1.0000 loss=2.5000"
