"""``Predictor`` with and without per-token scores (the tags-only signatures it calls:
tests/test_model_signatures.py)."""
import shutil
import threading

import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from ner_tagger.model import signatures
from ner_tagger.serving import core
from ner_tagger.serving.exported_model import Predictor

pytestmark = pytest.mark.slow  # needs the session's trained model

TEXTS = ["Yesterday  Farah flew to Quebec City with Gustavo .", "Acme Corp hired Hiro last week .", "Eve"]
ROWS = [["Initech", "opened", "an", "office", "in", "Lima", "."], ["Carol", "met", "Hiro"]]


def test_answers_without_scores_have_the_same_tags_and_entities(trained):
    predictor = Predictor.load(str(trained["export"]))
    for run, items in ((predictor.predict_text, TEXTS), (predictor.predict_tokens, ROWS)):
        scored, bare = run(items), run(items, scores=False)
        assert [a["tags"] for a in bare] == [a["tags"] for a in scored]
        assert any(a["entities"] for a in bare)
        for a, b in zip(scored, bare):
            assert set(b) == {"tokens", "tags", "entities"} and "score" in a and len(a["scores"]) == len(a["tags"])
            assert b["entities"] == [{k: v for k, v in e.items() if k != "score"} for e in a["entities"]]


def test_an_export_without_the_tags_only_signatures_still_answers_without_scores(trained, tmp_path):
    """Models exported before the twins existed: the full signature serves, its scores dropped."""
    old = tmp_path / "1"
    shutil.copytree(core.latest_version(str(trained["export"])), old)
    model = saved_model_pb2.SavedModel()
    model.ParseFromString((old / "saved_model.pb").read_bytes())
    defs = model.meta_graphs[0].signature_def
    for name in [n for n in defs if n.endswith(signatures.TAGS_OUTPUT)]:
        del defs[name]
    (old / "saved_model.pb").write_bytes(model.SerializeToString())
    predictor = Predictor.load(str(old))
    assert not any(n.endswith("tags") for n in tf.saved_model.load(str(old)).signatures)
    assert [a["tags"] for a in predictor.predict_text(TEXTS, scores=False)] == \
        [a["tags"] for a in Predictor.load(str(trained["export"])).predict_text(TEXTS)]
    assert "scores" not in predictor.predict_tokens(ROWS, scores=False)[0]


def test_one_predictor_shared_by_threads_answers_as_it_does_alone(trained):
    """``serve`` shares one Predictor among its request threads: calls in flight together (each signature,
    with and without scores, batches of different sizes) get exactly the answers each gets alone."""
    predictor = Predictor.load(str(trained["export"]), batch_size=2)
    calls = [(kind, scores, items[:n]) for kind, items in (("text", TEXTS), ("tokens", ROWS))
             for scores in (True, False) for n in (1, len(items))]
    run = {"text": predictor.predict_text, "tokens": predictor.predict_tokens}
    alone = [run[kind](items, scores=scores) for kind, scores, items in calls]
    threads, start, found, errors = 16, threading.Barrier(16), {}, []

    def client(t):
        try:
            start.wait()
            for round_ in range(10):
                i = (t + round_) % len(calls)
                kind, scores, items = calls[i]
                found.setdefault(i, []).append(run[kind](items, scores=scores))
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(err))

    workers = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sum(map(len, found.values())) == threads * 10
    for i, answers in found.items():
        assert all(answer == alone[i] for answer in answers), calls[i]
