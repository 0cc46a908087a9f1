"""The tagger's layers: word embeddings + character features -> BiLSTM -> per-tag scores, and the CRF's
transitions.

Built once per graph and callable on any batch of raw words, so one set of variables serves the training
batches and, in the same graph and session, the dev set (``ner_tagger.job.in_session_eval``). The graph that
built a network can hand it to later code (hooks) through :func:`of_graph`.
"""
import weakref

import numpy as np
import tensorflow as tf

from ner_tagger.corpus.vocab import Vocabulary
from ner_tagger.hparams import HParams
from ner_tagger.model import crf, text

# One network per graph; weak keys, so a finished graph and its layers can be freed.
_BY_GRAPH = weakref.WeakKeyDictionary()


class Network:
    """``network(words, lengths, training) -> [batch, time, num_tags]`` scores; ``transitions`` for the CRF."""

    def __init__(self, hp: HParams, vocab_dir: str, embeddings_npy: str = "", pretrained: bool = False,
                 mixed: bool = False, serving: bool = False):
        """``pretrained``: initialise word vectors from ``embeddings_npy`` (only the training graph needs
        the values; other graphs restore them from checkpoints, which keeps exports small). ``mixed``:
        float16 compute in every layer (Keras ``mixed_float16``: float32 variables, cast on read); the
        scores are cast back, so the CRF is float32 either way. ``serving``: a graph whose weights never
        change after loading (an export): the word BiLSTM runs on the fused kernel whichever
        ``lstm_implementation`` trained it, with its weights laid out for that kernel once, at load."""
        self.hp = hp
        self.serving = serving
        dtype = "mixed_float16" if mixed else None
        self.vocab = Vocabulary.load(vocab_dir)
        paths = self.vocab.paths(vocab_dir)
        self._word_ids = _vocabulary_table(paths["words"])
        self._tags_path, self._tag_ids = paths["tags"], None
        initializer = "uniform"
        if pretrained and embeddings_npy:
            initializer = tf.keras.initializers.Constant(np.load(embeddings_npy))
        self._words = tf.keras.layers.Embedding(len(self.vocab.words) + 1, hp.word_dim,
                                                embeddings_initializer=initializer,
                                                trainable=hp.embeddings_trainable, name="word_embeddings",
                                                dtype=dtype)
        self._chars = _CharFeatures(hp, len(self.vocab.chars), paths["chars"], dtype, trim=serving)
        self._dropout = tf.keras.layers.Dropout(hp.dropout, seed=hp.seed, dtype=dtype)
        self._lstms = [tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(hp.lstm_units, return_sequences=True,
                                                                          dtype=dtype),
                                                     name=f"bilstm_{layer}", dtype=dtype)
                       for layer in range(hp.lstm_layers)]
        self._lstm_dropouts = [tf.keras.layers.Dropout(hp.dropout, seed=hp.seed + layer + 1, dtype=dtype)
                               for layer in range(hp.lstm_layers)]
        self._scores = tf.keras.layers.Dense(len(self.vocab.tags), name="tag_scores", dtype=dtype)
        self.transitions = crf.transitions(len(self.vocab.tags))
        _BY_GRAPH[tf.compat.v1.get_default_graph()] = self

    def __call__(self, words, lengths, training: bool):
        ids = self._word_ids.lookup(text.normalize_words(words, self.hp.lowercase, self.hp.normalize_digits))
        if training and self.hp.word_dropout > 0:
            dropped = tf.random.uniform(tf.shape(ids), seed=self.hp.seed) < self.hp.word_dropout
            ids = tf.where(dropped, tf.cast(len(self.vocab.words), ids.dtype), ids)
        # Training packs the characters (the same features, a fraction of the convolution's work);
        # evaluation keeps the padded grid, exports pick a route by input size (_CharFeatures).
        embedded = tf.concat([self._words(ids), self._chars(words, packed=training)], axis=-1)
        outputs = self._dropout(embedded, training=training)
        mask = tf.sequence_mask(lengths, tf.shape(words)[1])
        for lstm, dropout in zip(self._lstms, self._lstm_dropouts):
            if self.hp.lstm_implementation == "fused" or self.serving:
                outputs = _fused_bilstm(lstm, outputs, lengths, self.serving)
            else:
                # Keras' LSTM with default activations, no recurrent dropout and a right-padded mask runs
                # the cuDNN kernel on a GPU and the generic one on a CPU, from the same graph.
                outputs = lstm(outputs, mask=mask, training=training)
            outputs = dropout(outputs, training=training)
        return tf.cast(self._scores(outputs), tf.float32)

    def tag_ids(self, tags):
        """Tag strings -> ids; a gold tag unseen in training becomes O (id 0) for the loss."""
        if self._tag_ids is None:
            # Made on first use: a serving graph has no gold tags, so its export carries no such table.
            self._tag_ids = tf.lookup.StaticHashTable(
                tf.lookup.TextFileInitializer(self._tags_path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                              tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), default_value=0)
        return tf.cast(self._tag_ids.lookup(tags), tf.int32)

    def tag_names(self, ids):
        """Tag ids -> tag strings (the encoding trained on)."""
        return tf.gather(tf.constant(self.vocab.tags), ids)


def _fused_bilstm(layer: tf.keras.layers.Bidirectional, inputs, lengths, frozen: bool = False):
    """``layer``'s weights run by ``BlockLSTM``: each direction is one kernel call over the whole batch
    instead of a graph loop of small ops per token, which dominates a CPU's time at small batches.

    The Keras layer only holds the variables (built under its own name, so checkpoints are the same
    whichever implementation trained them). Outputs past a sentence's length are not zeroed as Keras does;
    nothing downstream reads them (the CRF stops at ``lengths``). ``frozen``: see :func:`_block_lstm`.
    """
    if not layer.built:
        with tf.name_scope(layer.name + "/"):
            layer.build(inputs.shape)
    time_major = tf.transpose(inputs, [1, 0, 2])
    forward = _block_lstm(layer.forward_layer.cell, time_major, frozen)
    # Reversing each sentence within its own length keeps the padding at the end for the backward pass.
    reverse = lambda values: tf.reverse_sequence(values, lengths, seq_axis=0, batch_axis=1)  # noqa: E731
    backward = reverse(_block_lstm(layer.backward_layer.cell, reverse(time_major), frozen))
    return tf.transpose(tf.concat([forward, backward], axis=-1), [1, 0, 2])


def _block_lstm(cell, time_major, frozen: bool = False):
    """One direction. BlockLSTM, not BlockLSTMV2: TensorFlow registers V1's gradient for V2, which has a
    different gate order, so V2 trains on wrong gradients. V1 wants gates as (i, c, f, o) where Keras
    keeps (i, f, c, o); its own forget bias and cell clipping are turned off (Keras' bias holds the
    forget bias, and Keras does not clip).

    ``frozen`` (serving graphs): the reordered weights are computed once, at load (:func:`_computed_once`).
    Recomputed per call, the concatenations and splits copy every weight three times: about a quarter of
    the op time of a one-sentence call (docs/benchmark.md)."""
    def icfo(weights):
        i, f, c, o = tf.split(weights, 4, axis=-1)
        return tf.concat([i, c, f, o], axis=-1)

    dtype = time_major.dtype  # float16 under mixed precision; the variables stay float32
    zeros = tf.zeros([tf.shape(time_major)[1], cell.units], dtype)
    no_peephole = tf.zeros([cell.units], dtype)
    weights = icfo(tf.concat([tf.cast(cell.kernel, dtype), tf.cast(cell.recurrent_kernel, dtype)], axis=0))
    bias = icfo(tf.cast(cell.bias, dtype))
    if frozen:
        weights, bias = (_computed_once(value, f"{cell.name}_block_{name}")
                         for value, name in ((weights, "weights"), (bias, "bias")))
    return tf.raw_ops.BlockLSTM(
        seq_len_max=tf.cast(tf.shape(time_major)[0], tf.int64), x=time_major, cs_prev=zeros, h_prev=zeros,
        w=weights, wci=no_peephole, wcf=no_peephole, wco=no_peephole, b=bias,
        forget_bias=0.0, cell_clip=-1.0, use_peephole=False).h


def _computed_once(value, name):
    """``value`` (of a serving graph's weights) in a local variable, so a call reads it instead of computing
    it. Local variables are in no checkpoint; their initializer runs after the weights are restored in every
    loader (the SavedModel's init op in ``Predictor`` and TensorFlow Serving, an estimator's
    ``local_init_op``). Code that builds such a graph by hand runs ``local_variables_initializer`` after the
    global one, not in the same ``session.run``. Computed per call instead (a ``tf.cond`` on whether a cache
    is filled) the check cost most of what it saved (docs/benchmark.md)."""
    return tf.compat.v1.Variable(value, trainable=False, name=name,
                                 collections=[tf.compat.v1.GraphKeys.LOCAL_VARIABLES]).read_value()


def of_graph(graph=None) -> Network:
    """The network built in ``graph`` (default: the current graph)."""
    graph = graph or tf.compat.v1.get_default_graph()
    try:
        return _BY_GRAPH[graph]
    except KeyError:
        raise LookupError("no ner_tagger network was built in this graph (model_fn runs first)") from None


def _vocabulary_table(path):
    return tf.lookup.StaticVocabularyTable(
        tf.lookup.TextFileInitializer(path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
                                      tf.lookup.TextFileIndex.LINE_NUMBER), num_oov_buckets=1)


# Inputs of up to this many words (padding included) take the character-window route in serving graphs.
WINDOWS_CONV_MAX_WORDS = 64
# The packed characters are padded to a multiple of this many positions: the convolution keeps memory for
# every input length it has seen, and unrounded lengths are new at almost every step (docs/benchmark.md).
PACKED_LENGTH_STEP = 512


class _CharFeatures:
    """One vector per word from its characters: a CNN with max pooling, a BiLSTM, or nothing."""

    def __init__(self, hp: HParams, vocab_size: int, chars_path: str, dtype=None, trim: bool = False):
        """``trim`` (serving graphs, CNN): the same features by the cheaper route for the input's size. Up to
        ``WINDOWS_CONV_MAX_WORDS`` words (a sentence), the grid cut to the character positions the longest
        word reaches (a real character sees the same neighbours: the kernel reaches ``char_kernel_size // 2``
        past a word's end), convolved as one matrix product; above, training's packed characters (one URL
        in a batch makes most of a grid padding). docs/benchmark.md has the figures."""
        self.hp = hp
        self.trim = trim and hp.char_representation == "cnn"
        self.compute_dtype = tf.float16 if dtype == "mixed_float16" else tf.float32
        if hp.char_representation == "none":
            return
        self._ids = _vocabulary_table(chars_path)
        self._embedding = tf.keras.layers.Embedding(vocab_size + 1, hp.char_dim, name="char_embeddings",
                                                    dtype=dtype)
        if hp.char_representation == "lstm":
            self._pool = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(hp.char_lstm_units, dtype=dtype),
                                                       name="char_lstm", dtype=dtype)
            self.size = 2 * hp.char_lstm_units
        else:
            self._conv = tf.keras.layers.Conv1D(hp.char_filters, hp.char_kernel_size, padding="same",
                                                activation="relu", name="char_cnn", dtype=dtype)
            self.size = hp.char_filters

    def __call__(self, words, packed: bool = False):
        """``[batch, time, size]`` features; ``packed``: the CNN over real characters only (same numbers)."""
        hp = self.hp
        if hp.char_representation == "none":
            return tf.zeros(tf.concat([tf.shape(words), [0]], 0), self.compute_dtype)
        chars, nchars = text.split_chars(words, hp.max_word_chars)
        if hp.char_representation == "cnn" and packed:
            return self._packed_cnn(words, chars, nchars)
        if self.trim:  # serving: the same numbers, by the cheaper route for the batch's size
            self._build_cnn()
            return tf.cond(tf.size(words) <= WINDOWS_CONV_MAX_WORDS,
                           lambda: self._grid(words, chars, nchars, windows=True),
                           lambda: self._packed_cnn(words, chars, nchars))
        return self._grid(words, chars, nchars)

    def _build_cnn(self):
        """Builds the embedding and convolution under their own names (as a first call would), so that
        graphs that first call them inside a branch or a name scope make the checkpoint's variables."""
        hp = self.hp
        for layer, shape in ((self._embedding, [None]), (self._conv, [None, hp.max_word_chars, hp.char_dim])):
            if not layer.built:
                with tf.name_scope(layer.name + "/"):
                    layer.build(shape)

    def _grid(self, words, chars, nchars, windows=False):
        """Features over the ``[words, characters]`` grid; ``windows``: the convolution as one matrix product."""
        hp = self.hp
        width = hp.max_word_chars
        if self.trim:
            width = tf.minimum(hp.max_word_chars, tf.maximum(tf.reduce_max(nchars), 1) + hp.char_kernel_size // 2)
            chars = chars[:, :, :width]
        embedded = self._embedding(self._ids.lookup(chars))
        batch, time = tf.shape(words)[0], tf.shape(words)[1]
        flat = tf.reshape(embedded, [-1, width, hp.char_dim])
        # Padding words have no characters; giving them one keeps every row valid for the cuDNN LSTM kernel.
        mask = tf.sequence_mask(tf.maximum(tf.reshape(nchars, [-1]), 1), width)
        if hp.char_representation == "lstm":
            pooled = self._pool(flat, mask=mask)
        else:
            conv = self._windows_conv(flat) if windows else self._conv(flat)
            # Max over real characters only (ReLU outputs are >= 0, so zeroing padding is enough).
            pooled = tf.reduce_max(conv * tf.cast(mask, conv.dtype)[:, :, None], axis=1)
        return tf.reshape(pooled, [batch, time, self.size])

    def _windows_conv(self, flat):
        """The Keras layer's "same" convolution as one matrix product over each position's window of
        characters (the same weights and numbers, summed in another order): on the few characters of one
        sentence, a convolution kernel's set-up costs more than its arithmetic (docs/benchmark.md)."""
        hp = self.hp
        k = hp.char_kernel_size
        left = (k - 1) // 2
        width = tf.shape(flat)[1]
        framed = tf.pad(flat, [[0, 0], [left, k - 1 - left], [0, 0]])
        windows = tf.concat([framed[:, i:i + width] for i in range(k)], axis=-1)  # [words, width, k * dim]
        kernel = tf.reshape(tf.cast(self._conv.kernel, self.compute_dtype), [k * hp.char_dim, hp.char_filters])
        conv = tf.matmul(tf.reshape(windows, [-1, k * hp.char_dim]), kernel)
        conv = tf.nn.relu(tf.nn.bias_add(conv, tf.cast(self._conv.bias, self.compute_dtype)))
        return tf.reshape(conv, [-1, width, hp.char_filters])

    def _packed_cnn(self, words, chars, nchars):
        """The CNN's features over real characters only. The grid pads every word to ``max_word_chars``
        (WNUT-17's words average 4.3 characters, so six in seven windows were padding). Here each word's
        characters, framed by what its border windows see in the grid (the "same" convolution's zeros on
        the left; on the right the padding character, or zeros past ``max_word_chars``), are laid end to end
        in one sequence, convolved once without padding, and max-pooled per word over the windows that
        start on one of its characters. The same numbers and gradients as the grid (tests/test_model_network.py)."""
        hp = self.hp
        self._build_cnn()
        with tf.name_scope("char_cnn_packed"):  # one scope, so step profiles attribute these ops
            k = hp.char_kernel_size
            left = (k - 1) // 2
            ids = tf.reshape(self._ids.lookup(chars), [-1, hp.max_word_chars])
            real = tf.maximum(tf.reshape(nchars, [-1]), 1)  # a padding word keeps one (padding) character
            framed = tf.pad(ids, [[0, 0], [left, k - 1 - left]], constant_values=-1)  # -1: the conv's zeros
            where = tf.where(tf.sequence_mask(real + k - 1, hp.max_word_chars + k - 1))  # [packed, (word, col)]
            packed = tf.gather_nd(framed, where)
            size = tf.shape(packed)[0]
            rounded = (size + PACKED_LENGTH_STEP - 1) // PACKED_LENGTH_STEP * PACKED_LENGTH_STEP
            packed = tf.pad(packed, [[0, rounded - size]], constant_values=-1)
            embedded = self._embedding(tf.maximum(packed, 0)) * tf.cast(packed >= 0, self.compute_dtype)[:, None]
            kernel = tf.cast(self._conv.kernel, self.compute_dtype)
            conv = tf.nn.conv1d(embedded[None], kernel, stride=1, padding="VALID")[0]
            conv = tf.nn.relu(tf.nn.bias_add(conv, tf.cast(self._conv.bias, self.compute_dtype)))
            conv = tf.pad(conv, [[0, k - 1], [0, 0]])[:size]  # aligned with the packed positions, rounding cut
            word, col = where[:, 0], where[:, 1]
            starts = col < tf.gather(tf.cast(real, col.dtype), word)  # windows that start on a character
            pooled = tf.math.segment_max(tf.boolean_mask(conv, starts), tf.boolean_mask(word, starts))
            return tf.reshape(pooled, [tf.shape(words)[0], tf.shape(words)[1], self.size])
