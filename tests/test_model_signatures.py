"""What the exported SavedModel accepts and answers (:mod:`ner_tagger.model.signatures`): the input receiver
in a graph of its own, and each signature of the shared trained export (conftest ``trained``)."""
import numpy as np
import pytest
import tensorflow as tf

from ner_tagger.model import signatures
from ner_tagger.serving import core

TEXTS = ["Yesterday  Farah flew to Quebec City with Gustavo .", "Acme Corp hired Hiro last week .", "Eve"]


def _receive(feed_name, feeds):
    """``words`` and ``nwords`` of :func:`serving_input_fn` for ``feeds`` ({tensor name: value})."""
    with tf.Graph().as_default() as graph:
        receiver = signatures.serving_input_fn()
        inputs = {"text": receiver.receiver_tensors_alternatives[signatures.TEXT]["text"],
                  "tokens": receiver.receiver_tensors["tokens"],
                  "lengths": receiver.receiver_tensors_alternatives[signatures.TOKENS_LENGTHS]["lengths"]}
        assert feed_name in inputs
        with tf.compat.v1.Session(graph=graph) as session:
            words, lengths = session.run([receiver.features["words"], receiver.features["nwords"]],
                                         {inputs[name]: value for name, value in feeds.items()})
    # A fed tensor comes back as fed (str), a computed one as bytes.
    return [[w.decode() if isinstance(w, bytes) else w for w in row] for row in words], lengths.tolist()


def test_text_is_split_in_the_graph_padded_and_counted():
    words, lengths = _receive("text", {"text": ["Bob works for Globex .", "Hi"]})
    assert words == [["Bob", "works", "for", "Globex", "."], ["Hi", "", "", "", ""]]
    assert lengths == [5, 1]


def test_padded_tokens_are_counted_up_to_the_padding():
    words, lengths = _receive("tokens", {"tokens": [["Carol", "met", "Hiro"], ["Eve", "", ""]]})
    assert words == [["Carol", "met", "Hiro"], ["Eve", "", ""]] and lengths == [3, 1]


def test_given_lengths_win_so_an_empty_token_can_be_a_token():
    words, lengths = _receive("lengths", {"tokens": [["Bob", "", "left"], ["Eve", "", ""]], "lengths": [3, 1]})
    assert words == [["Bob", "", "left"], ["Eve", "", ""]] and lengths == [3, 1]


# ----- the signatures of a real export -----

@pytest.fixture(scope="module")
def model(trained):
    return tf.saved_model.load(core.latest_version(str(trained["export"])))


@pytest.mark.slow  # the session's trained model
def test_the_export_has_each_signature_and_its_tags_only_twin(model):
    full = ["serving_default", signatures.TEXT, signatures.TOKENS_LENGTHS]
    assert set(model.signatures) == set(full) | {signatures.tags_only(name) for name in full}
    assert signatures.tags_only("serving_default") == signatures.TAGS_OUTPUT
    for name in full:
        assert set(model.signatures[name].structured_outputs) == {"tokens", "tags", "scores", "sequence_score",
                                                                  "lengths", "tag_ids"}


@pytest.mark.slow  # the session's trained model
def test_tokens_lengths_tags_a_row_with_an_empty_token_for_its_full_length(model):
    tokens = tf.constant([["Carol", "", "Hiro"]])
    given = model.signatures[signatures.TOKENS_LENGTHS](tokens=tokens, lengths=tf.constant([3]))
    counted = model.signatures["serving_default"](tokens=tokens)
    # Counted, the empty token is not one: the row would be tagged as two tokens.
    assert given["lengths"].numpy().tolist() == [3] and counted["lengths"].numpy().tolist() == [2]
    assert [t.decode() for t in given["tokens"][0].numpy()] == ["Carol", "", "Hiro"]


@pytest.mark.slow  # the session's trained model
def test_saved_model_tags_raw_text_in_graph(model):
    assert {"serving_default", signatures.TEXT, signatures.TOKENS_LENGTHS} <= set(model.signatures)
    out = model.signatures[signatures.TEXT](text=tf.constant(["Bob works for Globex .", "Eve flew to Oslo"]))
    assert out["tokens"][0, :5].numpy().tolist() == [b"Bob", b"works", b"for", b"Globex", b"."]
    assert out["lengths"].numpy().tolist() == [5, 4]
    tags = [t.decode() for t in out["tags"][0, :5].numpy()]
    # The model's internal encoding is IOBES: single-token entities are S-.
    assert tags == ["S-PER", "O", "O", "S-ORG", "O"]
    assert np.all(out["sequence_score"].numpy() > 0.5)


@pytest.mark.slow  # the session's trained model
def test_default_signature_takes_padded_tokens(model):
    tokens = tf.constant([["Carol", "met", "Hiro", "in", "New", "York", "."], ["Globex", "hired", "Eve", "", "",
                                                                              "", ""]])
    out = model.signatures["serving_default"](tokens=tokens)
    assert out["lengths"].numpy().tolist() == [7, 3]
    assert [t.decode() for t in out["tags"][0].numpy()] == ["S-PER", "O", "S-PER", "O", "B-LOC", "E-LOC", "O"]


@pytest.mark.slow  # the session's trained model
@pytest.mark.parametrize("full, inputs", [
    ("serving_default", {"tokens": tf.constant([["Carol", "met", "Hiro", "in", "Lima"], ["Eve", "", "", "", ""]])}),
    (signatures.TEXT, {"text": tf.constant(TEXTS)}),
    (signatures.TOKENS_LENGTHS, {"tokens": tf.constant([["Bob", "left", ""], ["Eve", "met", "Ann"]]),
                                         "lengths": tf.constant([2, 3])}),
])
def test_each_signature_has_a_tags_only_twin_with_the_same_tags(model, full, inputs):
    with_scores = model.signatures[full](**inputs)
    tags_only = model.signatures[signatures.tags_only(full)](**inputs)
    assert set(tags_only) == set(signatures.TAGS_ONLY_OUTPUTS)
    assert {"scores", "sequence_score"} <= set(with_scores)
    for name in signatures.TAGS_ONLY_OUTPUTS:
        assert tags_only[name].numpy().tolist() == with_scores[name].numpy().tolist()
