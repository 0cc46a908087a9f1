"""The CRF against exhaustive search on a tiny tag set: every path is scored by hand."""
import itertools

import numpy as np
import pytest
import tensorflow as tf

from ner_tagger.model import crf


def path_score(unary, transitions, path):
    score = sum(unary[t, tag] for t, tag in enumerate(path))
    return score + sum(transitions[a, b] for a, b in zip(path, path[1:]))


def brute_force(unary, transitions, length):
    num_tags = unary.shape[1]
    paths = list(itertools.product(range(num_tags), repeat=length))
    scores = np.array([path_score(unary, transitions, p) for p in paths])
    log_z = np.logaddexp.reduce(scores)
    probs = np.exp(scores - log_z)
    marginals = np.zeros((length, num_tags))
    for p, prob in zip(paths, probs):
        for t, tag in enumerate(p):
            marginals[t, tag] += prob
    best = int(np.argmax(scores))
    return list(paths[best]), float(probs[best]), marginals


@pytest.fixture
def problem():
    rng = np.random.default_rng(7)
    batch, time, tags = 4, 5, 3
    unary = rng.normal(size=(batch, time, tags)).astype(np.float32)
    transitions = rng.normal(size=(tags, tags)).astype(np.float32)
    lengths = np.array([5, 3, 1, 4], np.int32)
    return unary, transitions, lengths


def test_decode_and_marginals_match_exhaustive_search(problem):
    unary, transitions, lengths = problem
    with tf.Graph().as_default():  # marginals use tf.gradients, as in the estimator's graph
        logits = tf.constant(unary)
        ids, seq_prob, marg = crf.decode(logits, tf.constant(lengths), tf.constant(transitions))
        path = crf.best_path(logits, tf.constant(lengths), tf.constant(transitions))
        with tf.compat.v1.Session() as session:
            ids, seq_prob, marg, path = session.run([ids, seq_prob, marg, path])
    np.testing.assert_array_equal(path, ids)
    for b, n in enumerate(lengths):
        best, prob, marginals = brute_force(unary[b, :n], transitions, n)
        assert list(ids[b, :n]) == best
        assert seq_prob[b] == pytest.approx(prob, rel=1e-4)
        np.testing.assert_allclose(marg[b, :n], marginals, rtol=1e-4, atol=1e-5)
        assert np.all(marg[b, n:] == 0)


def test_negative_log_likelihood_matches_exhaustive_search(problem):
    unary, transitions, lengths = problem
    gold = np.zeros(unary.shape[:2], np.int32)
    gold[:, 1] = 2
    nll = crf.negative_log_likelihood(tf.constant(unary), tf.constant(gold), tf.constant(lengths),
                                      tf.constant(transitions)).numpy()
    for b, n in enumerate(lengths):
        paths = itertools.product(range(unary.shape[2]), repeat=n)
        log_z = np.logaddexp.reduce([path_score(unary[b, :n], transitions, p) for p in paths])
        expected = log_z - path_score(unary[b, :n], transitions, list(gold[b, :n]))
        assert nll[b] == pytest.approx(expected, rel=1e-4)


def _tfa_and_ours(unary, transitions, lengths):
    import tensorflow_addons as tfa

    with tf.Graph().as_default():
        logits, n, trans = tf.constant(unary), tf.constant(lengths), tf.constant(transitions)
        reference = tfa.text.crf_decode(logits, trans, n)
        viterbi = crf.viterbi(logits, n, trans)
        decoded = crf.decode(logits, n, trans)
        marginals = crf.marginals(logits, n, trans)
        with tf.compat.v1.Session() as session:
            return session.run([reference, viterbi, decoded, marginals])


@pytest.mark.parametrize("seed", range(12))
def test_viterbi_gives_crf_decodes_tags_and_scores_exactly_ties_and_empty_sentences_included(seed):
    # The serving signatures' Viterbi (crf.viterbi, and the one inside crf.decode) replaced
    # tfa.text.crf_decode: the same tags bit for bit, so no answer changes.
    rng = np.random.default_rng(seed)
    batch, time, tags = int(rng.integers(1, 6)), int(rng.integers(1, 9)), int(rng.integers(2, 6))
    if seed % 3 == 0:  # small integers: ties between paths everywhere, decided as crf_decode decides them
        unary = rng.integers(-2, 3, size=(batch, time, tags)).astype(np.float32)
        transitions = rng.integers(-1, 2, size=(tags, tags)).astype(np.float32)
    else:
        unary = rng.normal(size=(batch, time, tags)).astype(np.float32)
        transitions = rng.normal(size=(tags, tags)).astype(np.float32)
    lengths = rng.integers(0, time + 1, size=batch).astype(np.int32)
    lengths[0] = time
    (ref_ids, ref_score), (ids, score), (decoded_ids, _, decoded_marginals), (marginals, _) = _tfa_and_ours(
        unary, transitions, lengths)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_array_equal(score, ref_score)
    np.testing.assert_array_equal(decoded_ids, ref_ids)
    # The marginals computed in the same loop as the Viterbi scores are the stand-alone ones.
    np.testing.assert_array_equal(decoded_marginals, marginals)


def log_space_forward_backward(unary, transitions):
    """Marginals and log Z of one sentence in float64 log space, the textbook recursions."""
    length, _ = unary.shape
    alpha, beta = np.zeros_like(unary, np.float64), np.zeros_like(unary, np.float64)
    alpha[0] = unary[0]
    for t in range(1, length):
        alpha[t] = unary[t] + np.logaddexp.reduce(alpha[t - 1][:, None] + transitions, axis=0)
    for t in range(length - 2, -1, -1):
        beta[t] = np.logaddexp.reduce(transitions + (unary[t + 1] + beta[t + 1])[None], axis=1)
    log_z = np.logaddexp.reduce(alpha[-1])
    return np.exp(alpha + beta - log_z), log_z


def test_marginals_keep_their_precision_on_long_sentences_with_large_scores():
    # The forward-backward runs in probability space, rescaled at every step: scores in the tens and
    # sentences of 150 tokens (log Z in the thousands) must neither overflow nor lose the small marginals.
    rng = np.random.default_rng(3)
    batch, time, tags = 3, 150, 9
    unary = (20 * rng.normal(size=(batch, time, tags))).astype(np.float32)
    transitions = (6 * rng.normal(size=(tags, tags))).astype(np.float32)
    lengths = np.array([150, 97, 2], np.int32)
    with tf.Graph().as_default():
        outputs = crf.marginals(tf.constant(unary), tf.constant(lengths), tf.constant(transitions))
        decoded = crf.decode(tf.constant(unary), tf.constant(lengths), tf.constant(transitions))
        with tf.compat.v1.Session() as session:
            (marginals, log_z), (ids, seq_prob, _) = session.run([outputs, decoded])
    for b, n in enumerate(lengths):
        expected, expected_log_z = log_space_forward_backward(unary[b, :n].astype(np.float64), transitions)
        np.testing.assert_allclose(marginals[b, :n], expected, rtol=1e-3, atol=1e-6)
        assert log_z[b] == pytest.approx(expected_log_z, rel=1e-5)
        best = path_score(unary[b, :n].astype(np.float64), transitions, list(ids[b, :n]))
        assert seq_prob[b] == pytest.approx(np.exp(best - expected_log_z), rel=1e-4)
        assert np.all(marginals[b, n:] == 0)


@pytest.mark.parametrize("scale", [1.0, 15.0])
def test_the_loss_and_its_gradients_are_tensorflow_addons_own(scale):
    # Training's log Z carries its gradient in closed form (marginals, expected transitions): the loss and
    # both gradients must be those of differentiating tfa's forward recursion, empty and 1-token sentences
    # included.
    import tensorflow_addons as tfa

    rng = np.random.default_rng(11)
    batch, time, tags = 6, 9, 5
    unary = (scale * rng.normal(size=(batch, time, tags))).astype(np.float32)
    transitions = rng.normal(size=(tags, tags)).astype(np.float32)
    gold = rng.integers(0, tags, size=(batch, time)).astype(np.int32)
    lengths = np.array([9, 0, 1, 5, 2, 8], np.int32)
    with tf.Graph().as_default():
        logits, trans = tf.constant(unary), tf.Variable(transitions)
        ours = tf.reduce_sum(tf.constant([1.0, 2.0, 3.0, 0.5, -1.0, 1.5]) *
                             crf.negative_log_likelihood(logits, gold, lengths, trans))
        theirs = tf.reduce_sum(tf.constant([1.0, 2.0, 3.0, 0.5, -1.0, 1.5]) *
                               -tfa.text.crf_log_likelihood(logits, gold, lengths, trans)[0])
        grads = [tf.gradients(loss, [logits, trans]) for loss in (ours, theirs)]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            (ours, theirs), (our_grads, their_grads) = session.run([(ours, theirs), grads])
    assert ours == pytest.approx(theirs, rel=1e-5)
    for mine, reference in zip(our_grads, their_grads):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-5)
    assert np.all(our_grads[0][1] == 0) and np.all(our_grads[0][2, 1:] == 0)  # nothing past a length
