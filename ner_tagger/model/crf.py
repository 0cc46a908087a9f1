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


def viterbi(logits, lengths, transition_params):
    """Viterbi path ``[batch, time]`` (int32, 0 past each length) and its score ``[batch]``: the numbers of
    ``tfa.text.crf_decode`` (the same additions, maxima and argmax, so the same tags, ties included), in one
    lean ``tf.while_loop`` and one backtracking loop: crf_decode's Keras RNN and scan take more ops a token,
    and on one sentence the ops a token are most of the time (docs/benchmark.md)."""
    _, (last, pointers) = _loop(logits, lengths, transition_params)
    return _backtrack(pointers, last, lengths), tf.reduce_max(last, axis=-1)


def decode(logits, lengths, transition_params):
    """Viterbi path ``[batch, time]`` (int32), its probability ``[batch]`` and ``p(tag_t = k | sentence)``
    ``[batch, time, num_tags]`` (zero on padding).

    The probability is ``exp(best_score - log Z)``: the CRF's own confidence in the whole sequence. One loop
    over the sentence computes the Viterbi scores (as :func:`viterbi`) and both directions of
    :func:`marginals`' forward-backward; ``log Z`` comes from the forward scores.
    """
    mask = tf.sequence_mask(lengths, tf.shape(logits)[1])
    backwards = tf.reverse_sequence(logits, lengths, seq_axis=1, batch_axis=0)
    (alphas, gammas), (last, pointers) = _loop(logits, lengths, transition_params, backwards)
    tag_ids = _backtrack(pointers, last, lengths)
    token_probs, log_norm = _marginals(alphas, gammas, backwards, lengths, mask)
    probability = tf.exp(tf.minimum(tf.reduce_max(last, axis=-1) - log_norm, 0.0))
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
    (alphas, gammas), _ = _loop(logits, lengths, transition_params, backwards, viterbi=False)
    return _marginals(alphas, gammas, backwards, lengths, mask)


def _marginals(alphas, gammas, backwards, lengths, mask):
    betas = tf.reverse_sequence(gammas - backwards, lengths, seq_axis=1, batch_axis=0)
    log_norm = tf.reduce_logsumexp(alphas[:, -1], axis=-1)  # masked steps carry the last real alpha
    probs = tf.exp(alphas + betas - log_norm[:, None, None])
    return tf.where(mask[:, :, None], probs, tf.zeros_like(probs)), log_norm


def _loop(forwards, lengths, transition_params, backwards=None, viterbi=True):
    """The recursions over time, in one ``tf.while_loop`` (few loop variables, no per-step reads of
    precomputed masks: on one short sentence the cost is the ops a step, not their size).

    With ``backwards``: ``alpha_t(k) = x_t(k) + logsumexp_j(alpha_{t-1}(j) + T[j, k])`` over ``forwards``
    with ``T`` and over ``backwards`` with ``T`` transposed (the two directions stacked on a leading axis, one
    set of ops a step for both); padded steps keep the previous value. First item: both ``[batch, time,
    tags]`` (else ``None``). With ``viterbi``: crf_decode's recursion over ``forwards``
    (``CrfDecodeForwardRnnCell``: best score into each tag and where it came from; padded steps keep the
    scores); second item: the last scores ``[batch, tags]`` and time-major pointers ``[time, batch, tags]``
    (step 0's are zeros and never read), else ``None``.
    """
    time = tf.shape(forwards)[1]
    xs = tf.transpose(forwards, [1, 0, 2])  # [time, batch, k]
    step_zero = tf.greater(lengths, 0)[:, None]
    state, outputs = [], []
    if backwards is not None:
        transitions = tf.stack([transition_params, tf.transpose(transition_params)])[:, None]  # [2, 1, j, k]
        both = tf.stack([xs, tf.transpose(backwards, [1, 0, 2])], axis=1)  # [time, 2, batch, k]
        first = tf.where(step_zero[None], both[0], tf.zeros_like(both[0]))
        state.append(first)
        outputs.append(tf.TensorArray(first.dtype, size=time, element_shape=first.shape).write(0, first))
    if viterbi:
        state.append(xs[0])
        outputs.append(tf.TensorArray(tf.int32, size=time, element_shape=xs.shape[1:])
                       .write(0, tf.zeros_like(xs[0], tf.int32)))

    def body(t, state, outputs):
        keep = tf.less(t, lengths)[:, None]
        state, outputs = list(state), list(outputs)
        if backwards is not None:
            scores = state[0][:, :, :, None] + transitions  # [2, batch, j, k]
            top = tf.reduce_max(scores, axis=2)
            value = tf.gather(both, t) + (top + tf.math.log(tf.reduce_sum(tf.exp(scores - top[:, :, None]), axis=2)))
            state[0] = tf.where(keep[None], value, state[0])
            outputs[0] = outputs[0].write(t, state[0])
        if viterbi:
            scores = state[-1][:, :, None] + transition_params[None]  # [batch, j, k]
            value = tf.gather(xs, t) + tf.reduce_max(scores, axis=1)
            outputs[-1] = outputs[-1].write(t, tf.cast(tf.argmax(scores, axis=1), tf.int32))
            state[-1] = tf.where(keep, value, state[-1])
        return t + 1, state, outputs

    _, state, outputs = tf.while_loop(lambda t, *_: t < time, body, (tf.constant(1), state, outputs))
    sums = None
    if backwards is not None:
        steps = tf.transpose(outputs[0].stack(), [1, 2, 0, 3])  # [2, batch, time, k]
        sums = (steps[0], steps[1])
    return sums, ((state[-1], outputs[-1].stack()) if viterbi else None)


def _backtrack(pointers, last_scores, lengths):
    """``[batch, time]`` tags from time-major ``pointers`` and the last real step's scores: the best last
    tag, then ``tag_t = pointer_{t+1}[tag_{t+1}]``; 0 past the length (and, for an empty sentence, position
    0 holds the best tag of its first step's scores, as crf_decode gives)."""
    time = tf.shape(pointers)[0]
    last_tag = tf.cast(tf.argmax(last_scores, axis=-1), tf.int32)
    final = tf.maximum(lengths, 1) - 1
    none = tf.zeros_like(last_tag)
    start = tf.where(tf.equal(time - 1, final), last_tag, none)

    def body(t, tag, tags):
        tags = tags.write(t + 1, tag)
        earlier = tf.gather(tf.gather(pointers, t + 1), tag, batch_dims=1)
        return t - 1, tf.where(t < final, earlier, tf.where(tf.equal(t, final), last_tag, none)), tags

    tags = tf.TensorArray(tf.int32, size=time, element_shape=last_tag.shape)
    _, tag, tags = tf.while_loop(lambda t, *_: t >= 0, body, (time - 2, start, tags))
    return tf.transpose(tags.write(0, tag).stack())
