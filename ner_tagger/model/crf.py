"""The linear-chain CRF: loss, Viterbi decoding and per-token marginals (tensorflow-addons underneath)."""
import contextlib
from typing import NamedTuple

import tensorflow as tf
import tensorflow_addons as tfa


def transitions(num_tags: int) -> tf.Variable:
    """The ``[num_tags, num_tags]`` transition scores (from row tag to column tag)."""
    return tf.compat.v1.get_variable("crf_transitions", [num_tags, num_tags], dtype=tf.float32,
                                     initializer=tf.compat.v1.glorot_uniform_initializer())


def negative_log_likelihood(logits, tag_ids, lengths, transition_params):
    """Per-sentence ``-log p(tags | sentence)``, shape ``[batch]``: :func:`log_norm` minus the tags' score
    (tensorflow-addons' ``crf_sequence_score``, a few gathers)."""
    logits = tf.convert_to_tensor(logits)
    transition_params = tf.cast(transition_params, logits.dtype)
    tag_ids, lengths = tf.cast(tag_ids, tf.int32), tf.cast(lengths, tf.int32)
    score = tfa.text.crf_sequence_score(logits, tag_ids, lengths, transition_params)
    return log_norm(logits, lengths, transition_params) - score


def log_norm(logits, lengths, transition_params):
    """``log Z`` ``[batch]`` (0 for an empty sentence), with its exact gradient: ``d log Z / d logits`` is
    the marginals and ``d log Z / d transitions`` the expected transition counts, both from one
    forward-backward (:func:`marginals`' loop). Differentiating the forward recursion instead runs a second
    loop backwards through stacks of every step's values, twice the ops for the same numbers."""
    lengths = tf.cast(lengths, tf.int32)

    @tf.custom_gradient
    def forward(logits, transition_params):
        parts, _ = _forward_backward(logits, lengths, transition_params, viterbi=False)

        def gradient(upstream):
            counts = _expected_transitions(parts)
            return (upstream[:, None, None] * parts.probs,
                    tf.reduce_sum(upstream[:, None, None] * counts, axis=0))

        return parts.log_norm, gradient

    return forward(tf.convert_to_tensor(logits), tf.convert_to_tensor(transition_params))


def best_path(logits, lengths, transition_params):
    """Viterbi path ``[batch, time]`` (int32) alone: no normaliser, for when only the tags are needed."""
    tag_ids, _ = tfa.text.crf_decode(logits, transition_params, lengths)
    return tag_ids


def viterbi(logits, lengths, transition_params):
    """Viterbi path ``[batch, time]`` (int32, 0 past each length) and its score ``[batch]``: the numbers of
    ``tfa.text.crf_decode`` (the same additions, maxima and argmax, so the same tags, ties included), in one
    lean ``tf.while_loop`` and one backtracking loop: crf_decode's Keras RNN and scan take more ops a token,
    and on one sentence the ops a token are most of the time (docs/benchmark.md)."""
    _, (last, tag_ids) = _loop(logits, lengths, transition_params)
    return tag_ids, tf.reduce_max(last, axis=-1)


def decode(logits, lengths, transition_params):
    """Viterbi path ``[batch, time]`` (int32), its probability ``[batch]`` and ``p(tag_t = k | sentence)``
    ``[batch, time, num_tags]`` (zero on padding).

    The probability is ``exp(path score - log Z)``: the CRF's own confidence in the whole sequence (1 for an
    empty sentence). One loop over the sentence computes the Viterbi scores (as :func:`viterbi`) and both
    directions of :func:`marginals`' forward-backward.
    """
    parts, (_, tag_ids) = _forward_backward(logits, lengths, transition_params, viterbi=True)
    return tag_ids, _path_probability(logits, tag_ids, transition_params, parts), parts.probs


def marginals(logits, lengths, transition_params):
    """``p(tag_t = k | sentence)`` ``[batch, time, num_tags]`` (zero on padding) and ``log Z`` ``[batch]``.

    Forward-backward with both directions in one loop (the backward recursion is the forward one run on
    each sentence reversed with the transitions transposed), in probability space with each step's scores
    scaled to sum to one: a step is a small matrix product, where log space needs an ``exp`` and a ``log``
    over ``[batch, tags, tags]``. The scales give ``log Z``; each token's marginals are normalised where they
    are formed, so long sentences lose no precision to large log scores.
    """
    parts, _ = _forward_backward(logits, lengths, transition_params, viterbi=False)
    return parts.probs, parts.log_norm


def _growth(transition_params):
    """``exp`` of the transitions, forwards and transposed for the backward direction ``[2, tags, tags]``,
    scaled so that the largest is 1 (the scale goes back into ``log Z``), and that largest score. float32's
    ``exp`` reaches 0 below -87: transitions spanning that much would zero a step (trained ones span a few
    nats: under 5 on WNUT-17 and the synthetic news corpus)."""
    top = tf.reduce_max(transition_params)
    both = tf.stack([transition_params, tf.transpose(transition_params)])
    return tf.exp(both - top), top


def _emissions(forwards, backwards):
    """``exp`` of both directions' tag scores ``[2, batch, time, tags]``, each token's scaled so that its
    largest is 1, and those largest scores ``[2, batch, time]``."""
    both = tf.stack([forwards, backwards])
    top = tf.reduce_max(both, axis=-1)
    return tf.exp(both - top[..., None]), top


class _ForwardBackward(NamedTuple):
    """What one forward-backward gives: the answers, and what the path probability and the gradient of
    ``log Z`` are made from (each computed once)."""
    probs: tf.Tensor  # p(tag_t = k | sentence) [batch, time, tags], 0 on padding
    log_norm: tf.Tensor  # log Z [batch]
    log_scales: tf.Tensor  # log c_t [batch, time], 0 on padding
    mask: tf.Tensor  # real tokens [batch, time]
    alphas: tf.Tensor  # normalised forward states [batch, time, tags]
    inflow: tf.Tensor  # the step before's normalised forward state times G [batch, time, tags] (ones at t = 0)
    betas: tf.Tensor  # backward messages in forward time [batch, time, tags]
    emissions: tf.Tensor  # scaled exp of the tag scores, forwards [batch, time, tags]
    top_emission: tf.Tensor  # each token's largest tag score [batch, time]
    growth: tf.Tensor  # G = exp(T - max T) [tags, tags]
    top_transition: tf.Tensor  # max T []


def _forward_backward(logits, lengths, transition_params, viterbi):
    """One loop over the sentences (:func:`_loop`): the forward-backward's :class:`_ForwardBackward` and,
    with ``viterbi``, the Viterbi result (last scores, path), else ``None``.

    What flowed into each step from the one before (``states @ G``, shifted one step; ones at the first)
    is, backwards, the backward message ``beta`` and, forwards, the step's scale ``c_t`` once times its
    emissions: ``log Z = sum_t (log c_t + top emission_t) + (length - 1) * top transition``."""
    mask = tf.sequence_mask(lengths, tf.shape(logits)[1])
    backwards = tf.reverse_sequence(logits, lengths, seq_axis=1, batch_axis=0)
    emissions, top_emission = _emissions(logits, backwards)
    growth, top_transition = _growth(transition_params)
    states, best = _loop(logits, lengths, transition_params, (emissions, growth), viterbi)
    flat = tf.reshape(states, [2, -1, tf.shape(states)[-1]])
    flowed = tf.reshape(tf.stack([tf.matmul(flat[0], growth[0]), tf.matmul(flat[1], growth[1])]), tf.shape(states))
    inflow = tf.concat([tf.ones_like(flowed[:, :, :1]), flowed[:, :, :-1]], axis=2)
    betas = tf.reverse_sequence(inflow[1], lengths, seq_axis=1, batch_axis=0)
    joint = states[0] * betas
    probs = joint / tf.reduce_sum(joint, axis=-1, keepdims=True)
    log_scales = tf.math.log(tf.reduce_sum(inflow[0] * emissions[0], axis=-1))
    log_scales = tf.where(mask, log_scales, tf.zeros_like(log_scales))
    steps = tf.reduce_sum(log_scales + tf.where(mask, top_emission[0], tf.zeros_like(log_scales)), axis=-1)
    log_norm = steps + tf.cast(tf.maximum(lengths - 1, 0), tf.float32) * top_transition
    parts = _ForwardBackward(tf.where(mask[:, :, None], probs, tf.zeros_like(probs)), log_norm, log_scales, mask,
                             states[0], inflow[0], betas, emissions[0], top_emission[0], growth[0], top_transition)
    return parts, best


def _expected_transitions(parts: _ForwardBackward):
    """``E[#(tag i -> tag j)]`` ``[batch, tags, tags]``: ``sum_t a_{t-1}(i) G(i, j) e_t(j) beta_t(j) / n_t``
    over each sentence's steps after the first, ``n_t`` the step's normaliser (``sum_j inflow_t(j) e_t(j)
    beta_t(j)``, since ``inflow_t = a_{t-1} @ G``)."""
    ahead = parts.emissions * parts.betas  # e_t(j) beta_t(j)
    normaliser = tf.reduce_sum(parts.inflow * ahead, axis=-1)
    later = tf.logical_and(parts.mask, tf.range(tf.shape(parts.mask)[1])[None] > 0)
    weights = tf.where(later, 1.0 / tf.where(later, normaliser, tf.ones_like(normaliser)), tf.zeros_like(normaliser))
    before = tf.pad(parts.alphas[:, :-1], [[0, 0], [1, 0], [0, 0]])  # a_{t-1}, zeros at t = 0
    return parts.growth * tf.matmul(before * weights[:, :, None], ahead, transpose_a=True)


def _path_probability(logits, tag_ids, transition_params, parts: _ForwardBackward):
    """``p(path | sentence)`` ``[batch]`` as a product of per-step ratios, each near 1 in size: the path's
    scaled emission over the step's scale ``c_t``, times its scaled transition (the same ``log Z`` as
    :func:`_forward_backward`, regrouped). ``exp(best score - log Z)`` would subtract two sums in the thousands on a
    long sentence, losing float32's digits."""
    emitted = tf.gather(logits, tag_ids, batch_dims=2) - parts.top_emission
    moves = tf.gather_nd(transition_params - parts.top_transition, tf.stack([tag_ids[:, :-1], tag_ids[:, 1:]], axis=-1))
    steps = emitted - parts.log_scales + tf.pad(moves, [[0, 0], [1, 0]])
    log_probability = tf.reduce_sum(tf.where(parts.mask, steps, tf.zeros_like(steps)), axis=-1)
    return tf.exp(tf.minimum(log_probability, 0.0))


@contextlib.contextmanager
def _graph_loops():
    """Build the loops inside as TF1 graph loops when the graph is not a function's.

    TF2's functional ``While`` is lowered so that every tensor its body reads from outside (transitions,
    the scores, the lengths, each TensorArray) becomes one more loop variable, with its own merge, switch,
    identity and next-iteration nodes at every step; a TF1 loop reads them once, through a constant
    ``Enter``. On one sentence the nodes a step are the time (docs/benchmark.md). Nothing differentiates
    through these loops, which is what the functional form is for."""
    was_v2 = tf.compat.v1.control_flow_v2_enabled()
    if not was_v2 or tf.executing_eagerly() or tf.compat.v1.get_default_graph().building_function:
        yield
        return
    tf.compat.v1.disable_control_flow_v2()
    try:
        yield
    finally:
        tf.compat.v1.enable_control_flow_v2()


UNROLL = 4


def _loop(forwards, lengths, transition_params, probabilities=None, viterbi=True):
    """The recursions over time, in one loop of ``UNROLL`` steps an iteration (the loop's own nodes, a few
    for each loop variable, are paid once an iteration; the time axis is padded to whole iterations).

    With ``probabilities`` (both directions' scaled emissions and ``G``: :func:`_emissions`, :func:`_growth`):
    forward-backward in probability space over both directions stacked (see :func:`marginals`):
    ``s_t = normalise(e_t * (s_{t-1} @ G))``; first item the states ``[2, batch, time, tags]`` (else
    ``None``). With ``viterbi``: crf_decode's recursion over ``forwards`` (``CrfDecodeForwardRnnCell``: best
    score into each tag, and where it came from); second item the last real step's scores ``[batch, tags]``
    and the Viterbi path (else ``None``). Padded steps keep the previous state and point each tag at itself,
    so backtracking needs no test of where a sentence ends.
    """
    with _graph_loops():
        return _loop_ops(forwards, lengths, transition_params, probabilities, viterbi)


def _loop_ops(forwards, lengths, transition_params, probabilities, viterbi):
    time = tf.shape(forwards)[1]
    steps = (time + UNROLL - 2) // UNROLL * UNROLL + 1  # step 0, then whole iterations
    xs = tf.pad(tf.transpose(forwards, [1, 0, 2]), [[0, steps - time], [0, 0], [0, 0]])  # [steps, batch, k]
    lengths_column = lengths[:, None]
    state, outputs, emissions = [], [], None
    if probabilities is not None:
        emissions, growth = probabilities
        growth = growth[:, None]  # [2, 1, j, k]
        emissions = tf.transpose(emissions, [2, 0, 1, 3])  # [time, 2, batch, k]
        emissions = tf.pad(emissions, [[0, steps - time], [0, 0], [0, 0], [0, 0]])
        first = emissions[0] / tf.reduce_sum(emissions[0], axis=-1, keepdims=True)
        state.append(first)
        outputs.append(tf.TensorArray(first.dtype, size=steps, element_shape=first.shape).write(0, first))
    if viterbi:
        moves = transition_params[None]  # [1, j, k]
        itself = tf.range(tf.shape(transition_params)[0])[None]
        state.append(xs[0])
        outputs.append(tf.TensorArray(tf.int32, size=steps, element_shape=xs.shape[1:]))

    def step(t, state, outputs):
        keep = tf.less(t, lengths_column)
        if emissions is not None:
            flow = tf.reduce_sum(state[0][:, :, :, None] * growth, axis=2) * tf.gather(emissions, t)
            state[0] = tf.where(keep, flow / tf.reduce_sum(flow, axis=-1, keepdims=True), state[0])
            outputs[0] = outputs[0].write(t, state[0])
        if viterbi:
            scores = state[-1][:, :, None] + moves  # [batch, j, k]
            value = tf.gather(xs, t) + tf.reduce_max(scores, axis=1)
            outputs[-1] = outputs[-1].write(t, tf.where(keep, tf.argmax(scores, axis=1, output_type=tf.int32),
                                                        itself))
            state[-1] = tf.where(keep, value, state[-1])

    def body(t, state, outputs):
        state, outputs = list(state), list(outputs)
        for offset in range(UNROLL):
            step(t + offset, state, outputs)
        return t + UNROLL, state, outputs

    _, state, outputs = tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(1), state, outputs))
    states = None
    if emissions is not None:
        states = tf.transpose(outputs[0].stack()[:time], [1, 2, 0, 3])  # [2, batch, time, k]
    if not viterbi:
        return states, None
    return states, (state[-1], _backtrack(outputs[-1], state[-1], lengths, steps, time))


def _backtrack(pointers, last_scores, lengths, steps, time):
    """``[batch, time]`` tags from the pointers (a TensorArray of ``steps`` ``[batch, tags]``, step 0's
    unused) and the last real step's scores: the best last tag, then ``tag_{t-1} = pointer_t[tag_t]``; 0
    past the length (and, for an empty sentence, position 0 holds the best tag of its first step's scores,
    as crf_decode gives)."""
    last_tag = tf.argmax(last_scores, axis=-1, output_type=tf.int32)

    def body(t, tag, tags):
        for _ in range(UNROLL):
            tag = tf.gather(pointers.read(t), tag, batch_dims=1)
            t -= 1
            tags = tags.write(t, tag)
        return t, tag, tags

    tags = tf.TensorArray(tf.int32, size=steps, element_shape=last_tag.shape).write(steps - 1, last_tag)
    _, _, tags = tf.while_loop(lambda t, *_: t > 0, body, (steps - 1, last_tag, tags))
    tags = tf.transpose(tags.stack()[:time])
    return tf.where(tf.sequence_mask(tf.maximum(lengths, 1), time), tags, tf.zeros_like(tags))
