"""The network's two BiLSTM implementations: same variables, same outputs, and the graph registry."""
import numpy as np
import pytest
import tensorflow as tf
from support.synthetic import LENGTHS, TINY, WORDS

from ner_tagger.hparams import HParams
from ner_tagger.model import network


def test_fused_bilstm_matches_keras_on_every_real_token():
    rng = np.random.default_rng(0)
    # Large enough inputs that cell states pass 3, where BlockLSTM clips by default and Keras never does.
    inputs = 4 * rng.normal(size=(3, 6, 8)).astype(np.float32)
    lengths = np.array([6, 3, 1], np.int32)
    with tf.Graph().as_default():
        layer = tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(4, return_sequences=True), name="bilstm_0")
        fused = network._fused_bilstm(layer, tf.constant(inputs), tf.constant(lengths))
        keras = layer(tf.constant(inputs), mask=tf.sequence_mask(lengths, 6))
        # Non-zero biases, so a gate-order mix-up cannot hide behind the default initialisation.
        randomize = [v.assign(rng.normal(size=v.shape).astype(np.float32)) for v in layer.weights]
        # Training sees the same gradients too (a loss over real tokens only, as the CRF's).
        real = tf.cast(tf.sequence_mask(lengths, 6), tf.float32)[:, :, None]
        gradients = [tf.gradients(tf.reduce_sum(tf.square(out) * real), layer.weights) for out in (fused, keras)]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(randomize)
            fused, keras, (fused_grads, keras_grads) = session.run([fused, keras, gradients])
    for row, n in enumerate(lengths):
        np.testing.assert_allclose(fused[row, :n], keras[row, :n], atol=1e-5)
    for fused_grad, keras_grad in zip(fused_grads, keras_grads):
        assert np.any(fused_grad != 0)
        np.testing.assert_allclose(fused_grad, keras_grad, rtol=1e-4, atol=1e-5)


def _variables(vocab_dir, implementation, training=False):  # noqa: F811
    hp = HParams.from_dict(dict(TINY, lstm_implementation=implementation, lstm_layers=2))
    with tf.Graph().as_default():
        net = network.Network(hp, vocab_dir)
        net(tf.constant(WORDS), tf.constant(LENGTHS), training=training)
        assert network.of_graph() is net
        return {v.name: tuple(v.shape) for v in tf.compat.v1.global_variables()}


def test_both_implementations_make_the_same_checkpoint_variables(vocab_dir):  # noqa: F811
    # So a model trained with one can be restored (exported, served) with the other.
    fused = _variables(vocab_dir, "fused")
    assert fused == _variables(vocab_dir, "keras")
    assert "bilstm_1/backward_lstm_1/lstm_cell/recurrent_kernel:0" in fused


def test_the_packed_training_graph_makes_the_checkpoint_variables_of_the_grid(vocab_dir):  # noqa: F811
    # Training convolves packed characters, exports the padded grid: a checkpoint must restore into both.
    training = _variables(vocab_dir, "fused", training=True)
    assert training == _variables(vocab_dir, "fused")
    assert "char_cnn/kernel:0" in training


def test_a_graph_without_a_network_says_so():
    with tf.Graph().as_default(), pytest.raises(LookupError, match="no ner_tagger network"):
        network.of_graph()


@pytest.mark.parametrize("kernel, max_chars", [(3, 30), (2, 5), (4, 6), (1, 3)])
def test_packed_char_cnn_gives_the_grid_features_and_gradients(vocab_dir, kernel, max_chars):  # noqa: F811
    """Training convolves only real characters; the numbers must be those of the padded grid that exports
    and evaluation compute: words shorter and longer than max_chars, empty padding words, unknown
    characters, both kernel parities."""
    hp = HParams.from_dict(dict(TINY, char_kernel_size=kernel, max_word_chars=max_chars))
    words = [["Alice", "met", "Zorblax", "in", "Paris", ".", "x" * (max_chars + 4)],
             ["Ωmega", "", "", "", "", "", ""], ["a" * max_chars, "b" * (max_chars - 1), "ab", "Ω", "z", "", ""]]
    with tf.Graph().as_default():
        net = network.Network(hp, vocab_dir)
        grid = net._chars(tf.constant(words))
        packed = net._chars(tf.constant(words), packed=True)
        weights = [v for v in tf.compat.v1.trainable_variables() if v.name.startswith("char_")]
        randomize = [v.assign(tf.random.normal(v.shape, seed=1)) for v in weights]
        gradients = [[tf.convert_to_tensor(g) for g in tf.gradients(tf.reduce_sum(out ** 2), weights)]
                     for out in (grid, packed)]
        with tf.compat.v1.Session() as session:
            session.run([tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer()])
            session.run(randomize)
            grid, packed, (grid_grads, packed_grads) = session.run([grid, packed, gradients])
    assert packed.shape == grid.shape == (3, 7, hp.char_filters)
    np.testing.assert_allclose(packed, grid, rtol=1e-5, atol=1e-5)
    for packed_grad, grid_grad in zip(packed_grads, grid_grads):
        assert np.any(grid_grad != 0)
        np.testing.assert_allclose(packed_grad, grid_grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("implementation, windows_up_to", [("fused", 64), ("keras", 64), ("fused", 0)])
def test_a_serving_graph_computes_the_same_scores_from_the_same_checkpoint(vocab_dir, implementation,
                                                                           windows_up_to, tmp_path, monkeypatch):
    # Serving graphs (exports) run the fused kernel whatever trained the weights, lay its weights out once at
    # load (local variables, initialised after the restore as loaders do) and convolve only the
    # character positions the batch's longest word reaches, as one matrix product over character windows
    # for a few words and over packed characters for more: same variables, same scores.
    monkeypatch.setattr(network, "WINDOWS_CONV_MAX_WORDS", windows_up_to)
    hp = HParams.from_dict(dict(TINY, lstm_implementation=implementation, lstm_layers=2))
    rng = np.random.default_rng(1)
    # Words far shorter than max_word_chars (30), so the serving graph convolves 7 positions, not 30.
    words = [["Carol", "met", "Hiro", "in", "Quebec", "City"], ["Eve", "a", "", "", "", ""]]
    lengths = [6, 2]
    outputs, names = [], []
    for serving in (False, True):
        with tf.Graph().as_default():
            net = network.Network(hp, vocab_dir, serving=serving)
            logits = net(tf.constant(words), tf.constant(lengths), training=False)
            names.append(sorted(v.name for v in tf.compat.v1.global_variables()))
            saver = tf.compat.v1.train.Saver()
            with tf.compat.v1.Session() as session:
                session.run([tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer()])
                if serving:
                    saver.restore(session, str(tmp_path / "ckpt"))
                    session.run(tf.compat.v1.local_variables_initializer())  # what the SavedModel's init op runs
                else:
                    for variable in tf.compat.v1.global_variables():
                        variable.load(rng.normal(size=variable.shape).astype(np.float32), session)
                    saver.save(session, str(tmp_path / "ckpt"))
                outputs.append(session.run(logits))
                if serving:  # the second call reads the weights laid out by the first
                    np.testing.assert_array_equal(session.run(logits), outputs[-1])
    assert names[0] == names[1]  # the layout is not in checkpoints: exports restore any checkpoint
    for row, n in enumerate(lengths):
        np.testing.assert_allclose(outputs[1][row, :n], outputs[0][row, :n], rtol=1e-5, atol=1e-5)
