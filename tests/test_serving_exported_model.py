"""``Predictor`` with and without per-token scores, and the tags-only signatures under it."""
import shutil

import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from ner_tagger.job import export
from ner_tagger.model import signatures
from ner_tagger.serving.exported_model import Predictor

pytestmark = pytest.mark.slow  # needs the session's trained model

TEXTS = ["Yesterday  Farah flew to Quebec City with Gustavo .", "Acme Corp hired Hiro last week .", "Eve"]
ROWS = [["Initech", "opened", "an", "office", "in", "Lima", "."], ["Carol", "met", "Hiro"]]


@pytest.mark.parametrize("full, inputs", [
    ("serving_default", {"tokens": tf.constant([["Carol", "met", "Hiro", "in", "Lima"], ["Eve", "", "", "", ""]])}),
    (signatures.TEXT, {"text": tf.constant(TEXTS)}),
    (signatures.TOKENS_LENGTHS, {"tokens": tf.constant([["Bob", "left", ""], ["Eve", "met", "Ann"]]),
                                         "lengths": tf.constant([2, 3])}),
])
def test_each_signature_has_a_tags_only_twin_with_the_same_tags(trained, full, inputs):
    model = tf.saved_model.load(export.latest_version(str(trained["export"])))
    with_scores = model.signatures[full](**inputs)
    tags_only = model.signatures[signatures.tags_only(full)](**inputs)
    assert set(tags_only) == set(signatures.TAGS_ONLY_OUTPUTS)
    assert {"scores", "sequence_score"} <= set(with_scores)
    for name in signatures.TAGS_ONLY_OUTPUTS:
        assert tags_only[name].numpy().tolist() == with_scores[name].numpy().tolist()


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
    shutil.copytree(export.latest_version(str(trained["export"])), old)
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
