"""``model_fn``: word embeddings + character features -> BiLSTM -> CRF, for tf.estimator.

``params`` is the flat hyperparameter dict (``HParams.to_dict()``) plus ``vocab_dir`` (the vocabulary
files, which become SavedModel assets) and, when pretrained vectors are used, ``embeddings_npy``.
"""
import numpy as np
import tensorflow as tf
import tensorflow_addons as tfa

from ner_tagger import crf, metrics, text
from ner_tagger.hparams import HParams
from ner_tagger.vocab import Vocabulary

Modes = tf.estimator.ModeKeys


def model_fn(features, labels, mode, params):
    """Build the tagger for ``mode`` (TRAIN, EVAL or PREDICT) and return its ``EstimatorSpec``."""
    hp = HParams.from_dict({k: v for k, v in params.items() if k in HParams.describe_names()}, source="params")
    vocab = Vocabulary.load(params["vocab_dir"])
    paths = vocab.paths(params["vocab_dir"])
    training = mode == Modes.TRAIN
    words = features["words"]
    lengths = tf.cast(features["nwords"], tf.int32)

    embedded = tf.concat([_word_features(words, hp, len(vocab.words), paths["words"], params, training),
                          _char_features(words, hp, len(vocab.chars), paths["chars"])], axis=-1)
    embedded = tf.keras.layers.Dropout(hp.dropout, seed=hp.seed)(embedded, training=training)
    encoded = _bilstm(embedded, lengths, hp, training)
    logits = tf.keras.layers.Dense(len(vocab.tags), name="tag_scores")(encoded)
    transition_params = crf.transitions(len(vocab.tags))
    tag_ids, sequence_score = crf.decode(logits, lengths, transition_params)
    tag_names = tf.constant(vocab.tags)
    predicted_tags = tf.gather(tag_names, tag_ids)

    scaffold = _averaged_weights_scaffold(hp) if not training else None
    if mode == Modes.PREDICT:
        return _predict_spec(words, lengths, logits, transition_params, tag_ids, predicted_tags,
                             sequence_score, scaffold)

    tag_table = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(paths["tags"], tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                      tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), default_value=0)
    # A gold tag unseen in training scores as O in the loss; seqeval still sees the gold string.
    gold_ids = tf.cast(tag_table.lookup(labels), tf.int32)
    loss = tf.reduce_mean(crf.negative_log_likelihood(logits, gold_ids, lengths, transition_params))
    tf.identity(loss, name="progress/loss")

    if mode == Modes.EVAL:
        ops = metrics.metric_ops(labels, predicted_tags, lengths, vocab.entity_types, hp.tag_encoding)
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops=ops, scaffold=scaffold)

    tf.identity(tf.shape(words)[0], name="progress/sentences")
    tf.identity(tf.reduce_sum(lengths), name="progress/tokens")
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=_train_op(loss, hp))


def _word_features(words, hp, vocab_size, words_path, params, training):
    table = tf.lookup.StaticVocabularyTable(
        tf.lookup.TextFileInitializer(words_path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                      tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), num_oov_buckets=1)
    ids = table.lookup(text.normalize_words(words, hp.lowercase, hp.normalize_digits))
    if training and hp.word_dropout > 0:
        dropped = tf.random.uniform(tf.shape(ids), seed=hp.seed) < hp.word_dropout
        ids = tf.where(dropped, tf.cast(vocab_size, ids.dtype), ids)
    initializer = "uniform"
    if params.get("embeddings_npy") and training:
        # Only the training graph needs the pretrained values; other modes restore them from checkpoints,
        # which keeps the exported graph small.
        initializer = tf.keras.initializers.Constant(np.load(params["embeddings_npy"]))
    embedding = tf.keras.layers.Embedding(vocab_size + 1, hp.word_dim, embeddings_initializer=initializer,
                                          trainable=hp.embeddings_trainable, name="word_embeddings")
    return embedding(ids)


def _char_features(words, hp, vocab_size, chars_path):
    if hp.char_representation == "none":
        return tf.zeros(tf.concat([tf.shape(words), [0]], 0), tf.float32)
    chars, nchars = text.split_chars(words, hp.max_word_chars)
    table = tf.lookup.StaticVocabularyTable(
        tf.lookup.TextFileInitializer(chars_path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                      tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), num_oov_buckets=1)
    embedded = tf.keras.layers.Embedding(vocab_size + 1, hp.char_dim, name="char_embeddings")(
        table.lookup(chars))
    batch, time = tf.shape(words)[0], tf.shape(words)[1]
    flat = tf.reshape(embedded, [-1, hp.max_word_chars, hp.char_dim])
    # Padding words have no characters; giving them one keeps every row valid for the cuDNN LSTM kernel.
    mask = tf.sequence_mask(tf.maximum(tf.reshape(nchars, [-1]), 1), hp.max_word_chars)
    if hp.char_representation == "lstm":
        layer = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(hp.char_lstm_units), name="char_lstm")
        pooled = layer(flat, mask=mask)
        size = 2 * hp.char_lstm_units
    else:
        conv = tf.keras.layers.Conv1D(hp.char_filters, hp.char_kernel_size, padding="same",
                                      activation="relu", name="char_cnn")(flat)
        # Max over real characters only (ReLU outputs are >= 0, so zeroing padding is enough).
        pooled = tf.reduce_max(conv * tf.cast(mask, conv.dtype)[:, :, None], axis=1)
        size = hp.char_filters
    return tf.reshape(pooled, [batch, time, size])


def _bilstm(inputs, lengths, hp, training):
    """Stacked BiLSTMs over right-padded sequences.

    Keras' LSTM with default activations, no recurrent dropout and a right-padded mask runs the cuDNN
    kernel on a GPU and the generic one on a CPU, from the same graph.
    """
    mask = tf.sequence_mask(lengths, tf.shape(inputs)[1])
    outputs = inputs
    for layer in range(hp.lstm_layers):
        lstm = tf.keras.layers.LSTM(hp.lstm_units, return_sequences=True)
        outputs = tf.keras.layers.Bidirectional(lstm, name=f"bilstm_{layer}")(outputs, mask=mask,
                                                                              training=training)
        outputs = tf.keras.layers.Dropout(hp.dropout, seed=hp.seed + layer + 1)(outputs, training=training)
    return outputs


def _train_op(loss, hp):
    optimizer = tf.compat.v1.train.AdamOptimizer(hp.learning_rate)
    # The v1 optimizer's gradients, whichever optimizer applies them: tf.gradients' placement breaks
    # parameter-server training (gradient ops colocated across the ps and worker jobs).
    grads_and_vars = optimizer.compute_gradients(loss)
    grads, variables = zip(*[(g, v) for g, v in grads_and_vars if g is not None])
    if hp.clip_norm > 0:
        grads, _ = tf.clip_by_global_norm(grads, hp.clip_norm)
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


def _predict_spec(words, lengths, logits, transition_params, tag_ids, predicted_tags, sequence_score,
                  scaffold):
    token_probs = crf.marginals(logits, lengths, transition_params)
    chosen = tf.gather(token_probs, tag_ids, batch_dims=2)
    predictions = {
        "tokens": words,
        "tags": predicted_tags,
        "tag_ids": tag_ids,
        "scores": chosen,
        "sequence_score": sequence_score,
        "lengths": lengths,
    }
    return tf.estimator.EstimatorSpec(
        Modes.PREDICT, predictions=predictions, scaffold=scaffold,
        export_outputs={"serving_default": tf.estimator.export.PredictOutput(predictions)})
