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
    gradient of ``log Z`` with respect to the unary scores is exactly the marginal (forward-backward by
    automatic differentiation), so no second recursion has to be written and kept in sync, and the forward
    pass that gives ``log Z`` serves both.
    """
    tag_ids, best_score = tfa.text.crf_decode(logits, transition_params, lengths)
    log_norm = tfa.text.crf_log_norm(logits, lengths, transition_params)
    probability = tf.exp(tf.minimum(best_score - log_norm, 0.0))
    return tag_ids, probability, tf.gradients(tf.reduce_sum(log_norm), logits)[0]
