"""The linear-chain CRF: loss, Viterbi decoding and per-token marginals (tensorflow-addons underneath)."""
import tensorflow as tf
import tensorflow_addons as tfa


def transitions(num_tags: int) -> tf.Variable:
    """The ``[num_tags, num_tags]`` transition scores (from row tag to column tag)."""
    return tf.compat.v1.get_variable("crf_transitions", [num_tags, num_tags], dtype=tf.float32,
                                     initializer=tf.compat.v1.glorot_uniform_initializer())


def negative_log_likelihood(logits, tag_ids, lengths, transition_params):
    """Per-sentence ``-log p(tags | sentence)``, shape ``[batch]``."""
    log_likelihood, _ = tfa.text.crf_log_likelihood(logits, tag_ids, lengths, transition_params)
    return -log_likelihood


def best_path(logits, lengths, transition_params):
    """Viterbi path ``[batch, time]`` (int32) alone: no normaliser, for when only the tags are needed."""
    tag_ids, _ = tfa.text.crf_decode(logits, transition_params, lengths)
    return tag_ids


def decode(logits, lengths, transition_params):
    """Viterbi path ``[batch, time]`` (int32), its probability ``[batch]`` and ``p(tag_t = k | sentence)``
    ``[batch, time, num_tags]`` (zero on padding).

    The probability is ``exp(best_score - log Z)``: the CRF's own confidence in the whole sequence. The
    marginals come from :func:`marginals`, whose forward pass also gives ``log Z``.
    """
    tag_ids, best_score = tfa.text.crf_decode(logits, transition_params, lengths)
    token_probs, log_norm = marginals(logits, lengths, transition_params)
    probability = tf.exp(tf.minimum(best_score - log_norm, 0.0))
    return tag_ids, probability, token_probs


def marginals(logits, lengths, transition_params):
    """``p(tag_t = k | sentence)`` ``[batch, time, num_tags]`` (zero on padding) and ``log Z`` ``[batch]``.

    Forward-backward in log space, both directions in one loop: the backward scores are the forward
    recursion run on each sentence reversed with the transitions transposed. This replaced the gradient of
    ``log Z`` (the same numbers), whose backward loop pushed and popped a stack per token and cost about
    half of a one-sentence prediction (benchmarks/latency.py, docs/benchmark.md).
    """
    mask = tf.sequence_mask(lengths, tf.shape(logits)[1])
    backwards = tf.reverse_sequence(logits, lengths, seq_axis=1, batch_axis=0)
    alphas, gammas = _forward_both_ways(logits, backwards, mask, transition_params)
    betas = tf.reverse_sequence(gammas - backwards, lengths, seq_axis=1, batch_axis=0)
    log_norm = tf.reduce_logsumexp(alphas[:, -1], axis=-1)  # masked steps carry the last real alpha
    probs = tf.exp(alphas + betas - log_norm[:, None, None])
    return tf.where(mask[:, :, None], probs, tf.zeros_like(probs)), log_norm


def _forward_both_ways(forwards, backwards, mask, transition_params):
    """``alpha_t(k) = x_t(k) + logsumexp_j(alpha_{t-1}(j) + T[j, k])`` over ``forwards`` with ``T`` and over
    ``backwards`` with ``T`` transposed; padded steps keep the previous value. Both ``[batch, time, tags]``.

    The two directions are stacked on a leading axis, so each step is one set of ops for both: on one short
    sentence the loop's cost is the number of ops per step, not their size.
    """
    transitions = tf.stack([transition_params, tf.transpose(transition_params)])[:, None]  # [2, 1, j, k]
    first = tf.equal(tf.range(tf.shape(forwards)[1]), 0)

    def step(state, elems):
        x, keep, is_first = elems  # [2, batch, k], [batch], []
        scores = state[:, :, :, None] + transitions  # [2, batch, j, k]
        top = tf.reduce_max(scores, axis=2)
        carried = top + tf.math.log(tf.reduce_sum(tf.exp(scores - top[:, :, None]), axis=2))
        value = x + tf.where(is_first, tf.zeros_like(carried), carried)
        return tf.where(keep[None, :, None], value, state)

    both = tf.transpose(tf.stack([forwards, backwards]), [2, 0, 1, 3])  # [time, 2, batch, k]
    steps = tf.scan(step, (both, tf.transpose(mask), first), initializer=tf.zeros_like(both[0]))
    steps = tf.transpose(steps, [1, 2, 0, 3])  # [2, batch, time, k]
    return steps[0], steps[1]
