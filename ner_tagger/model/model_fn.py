"""``model_fn``: the network (``ner_tagger.model.network``) -> CRF loss, Viterbi tags and train op, for tf.estimator.

``params`` is the flat hyperparameter dict (``HParams.to_dict()``) plus ``vocab_dir`` (the vocabulary
files, which become SavedModel assets) and, when pretrained vectors are used, ``embeddings_npy``.
"""
import tensorflow as tf
import tensorflow_addons as tfa

from ner_tagger.hparams import HParams
from ner_tagger.model import crf, metrics, signatures
from ner_tagger.model.network import Network

Modes = tf.estimator.ModeKeys


def model_fn(features, labels, mode, params, config=None):
    """Build the tagger for ``mode`` (TRAIN, EVAL or PREDICT) and return its ``EstimatorSpec``.

    ``config``: the estimator's ``RunConfig`` (None: one process)."""
    hp = HParams.from_params(params)
    training = mode == Modes.TRAIN
    # Mixed precision is for training speed; exports (PREDICT) compute in float32 on any machine.
    network = Network(hp, params["vocab_dir"], params.get("embeddings_npy", ""), pretrained=training,
                      mixed=hp.mixed_precision and mode != Modes.PREDICT, serving=mode == Modes.PREDICT)
    words = features["words"]
    lengths = tf.cast(features["nwords"], tf.int32)
    logits = network(words, lengths, training)
    scaffold = _averaged_weights_scaffold(hp) if not training else None
    if mode == Modes.PREDICT:
        return _predict_spec(words, lengths, logits, network, scaffold)

    loss = tf.reduce_mean(crf.negative_log_likelihood(logits, network.tag_ids(labels), lengths,
                                                      network.transitions))
    tf.identity(loss, name="progress/loss")

    if mode == Modes.EVAL:
        predicted_tags = network.tag_names(crf.best_path(logits, lengths, network.transitions))
        ops = metrics.metric_ops(labels, predicted_tags, lengths, network.vocab.entity_types, hp.tag_encoding)
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops=ops, scaffold=scaffold)

    tf.identity(tf.shape(words)[0], name="progress/sentences")
    tf.identity(tf.reduce_sum(lengths), name="progress/tokens")
    distributed = bool(config is not None and config.cluster_spec.as_dict())
    train_op = _train_op(loss, hp, dense_gradients=not distributed)
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, scaffold=_training_scaffold(hp))


def _training_scaffold(hp):
    """The estimator's own checkpoint saver, but unsharded. A sharded saver has every parameter-server task
    write its variables under the checkpoint path on its own host, and the chief then merges the parts: that
    needs one filesystem shared by all hosts, which a SageMaker job does not have (each host keeps
    checkpoints in its own ``/opt/ml/checkpoints``; TensorFlow 2.14 cannot write to S3). Unsharded, the chief
    reads the variables from the ps tasks and writes one checkpoint on its own disk. Built after the train op,
    so the optimizer's slots (and moving averages) are in it."""
    saver = tf.compat.v1.train.Saver(sharded=False, max_to_keep=hp.keep_checkpoint_max, save_relative_paths=True)
    # Where the estimator would have put its own, so hooks that look a saver up (hooks.CheckpointSaver) find it.
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.SAVERS, saver)
    return tf.compat.v1.train.Scaffold(saver=saver)


def _train_op(loss, hp, dense_gradients=True):
    optimizer = tf.compat.v1.train.AdamOptimizer(hp.learning_rate)
    if hp.mixed_precision:
        # float16 gradients underflow without a loss scale; the dynamic one halves and skips the step on an
        # inf/nan gradient, and grows after a run of finite ones.
        optimizer = tf.compat.v1.mixed_precision.MixedPrecisionLossScaleOptimizer(optimizer, "dynamic")
    # The v1 optimizer's gradients, whichever optimizer applies them: tf.gradients' placement breaks
    # parameter-server training (gradient ops colocated across the ps and worker jobs).
    grads_and_vars = optimizer.compute_gradients(loss)
    grads, variables = zip(*[(g, v) for g, v in grads_and_vars if g is not None])
    if hp.clip_norm > 0:
        grads, _ = tf.clip_by_global_norm(grads, hp.clip_norm)
    if dense_gradients and hp.optimizer == "adam":
        # Adam moves every embedding row each step whatever form the gradient has: given the rows'
        # gradient as IndexedSlices it does so in seven dense ops plus scatters, given it dense in one fused
        # kernel. The same update (densified after clipping, whose norm counts a word's repeats apart), for
        # less CPU per step (docs/benchmark.md). Not in a parameter-server job, where the gradient crosses
        # the network to the variable's task.
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    global_step = tf.compat.v1.train.get_or_create_global_step()
    if hp.optimizer == "lazy_adam":
        # Plain Adam decays the moments of every embedding row every step: a dense pass over the whole
        # vocabulary for the handful of words a batch holds.
        update = tfa.optimizers.LazyAdam(hp.learning_rate).apply_gradients(zip(grads, variables))
        with tf.control_dependencies([update]):
            train_op = global_step.assign_add(1)
    else:
        train_op = optimizer.apply_gradients(zip(grads, variables), global_step=global_step)
    if not hp.ema_decay:
        return train_op
    with tf.control_dependencies([train_op]):
        return _moving_average(hp, global_step).apply(variables)


def _moving_average(hp, global_step=None):
    # num_updates warms the decay up ((1+n)/(10+n)), so early evaluations are not stuck at initial values.
    return tf.train.ExponentialMovingAverage(hp.ema_decay, num_updates=global_step)


def _averaged_weights_scaffold(hp):
    """EVAL and PREDICT (hence export) read the moving averages into the ordinary variables."""
    if not hp.ema_decay:
        return None
    mapping = _moving_average(hp).variables_to_restore()
    return tf.compat.v1.train.Scaffold(saver=tf.compat.v1.train.Saver(mapping, sharded=True))


def _predict_spec(words, lengths, logits, network, scaffold):
    tag_ids, sequence_score, token_probs = crf.decode(logits, lengths, network.transitions)
    predicted_tags = network.tag_names(tag_ids)
    chosen = tf.gather(token_probs, tag_ids, batch_dims=2)
    predictions = {
        "tokens": words,
        "tags": predicted_tags,
        "tag_ids": tag_ids,
        "scores": chosen,
        "sequence_score": sequence_score,
        "lengths": lengths,
    }
    # The tags-only output becomes the ``*_tags`` signatures (export._rename_signatures): a client that
    # does not want per-token scores skips the forward-backward pass, about a third of one sentence's time.
    # Its tags come from a Viterbi-only loop (the full signature's loop also runs the forward-backward);
    # both give the same tags (tests/test_model_crf.py).
    only_ids, _ = crf.viterbi(logits, lengths, network.transitions)
    viterbi_only = dict(predictions, tags=network.tag_names(only_ids), tag_ids=only_ids)
    tags_only = {name: viterbi_only[name] for name in signatures.TAGS_ONLY_OUTPUTS}
    return tf.estimator.EstimatorSpec(
        Modes.PREDICT, predictions=predictions, scaffold=scaffold,
        export_outputs={"serving_default": tf.estimator.export.PredictOutput(predictions),
                        signatures.TAGS_OUTPUT: tf.estimator.export.PredictOutput(tags_only)})
