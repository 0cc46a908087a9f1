"""model_fn in TRAIN, EVAL and PREDICT, built and run in a graph session (no estimator loop)."""
import numpy as np
import pytest
import tensorflow as tf
from support.synthetic import LENGTHS, TAGS, TINY, WORDS

from ner_tagger.corpus import vocab
from ner_tagger.hparams import HParams
from ner_tagger.model.model_fn import model_fn

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

Modes = tf.estimator.ModeKeys


def params_for(vocab_dir, **overrides):
    return dict(HParams.from_dict(dict(TINY, **overrides)).to_dict(), vocab_dir=vocab_dir)


def run_mode(mode, params, steps=1):
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        features = {"words": tf.constant(WORDS), "nwords": tf.constant(LENGTHS, tf.int64)}
        labels = tf.constant(TAGS) if mode != Modes.PREDICT else None
        spec = model_fn(features, labels, mode, params)
        with tf.compat.v1.Session() as session:
            _initialize(session)
            return spec, _run(session, spec, mode, steps)


def _initialize(session):
    """As loaders do: weights first, then local variables (a serving graph's are computed from the weights)."""
    session.run([tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer()])
    session.run(tf.compat.v1.local_variables_initializer())


def _run(session, spec, mode, steps):
    if mode == Modes.TRAIN:
        return [session.run([spec.train_op, spec.loss])[1] for _ in range(steps)]
    if mode == Modes.EVAL:
        session.run([update for _, update in spec.eval_metric_ops.values()])
        values = session.run({name: value for name, (value, _) in spec.eval_metric_ops.items()})
        return dict(values, loss=session.run(spec.loss))
    return session.run(spec.predictions)


@pytest.mark.parametrize("chars, optimizer, lstm", [("cnn", "adam", "keras"), ("lstm", "adam", "keras"),
                                                     ("none", "adam", "keras"), ("cnn", "lazy_adam", "keras"),
                                                     ("cnn", "adam", "fused")])
def test_train_loss_is_finite_and_falls(vocab_dir, chars, optimizer, lstm):
    spec, losses = run_mode(Modes.TRAIN, params_for(vocab_dir, char_representation=chars, dropout=0.0,
                                                    word_dropout=0.0, optimizer=optimizer,
                                                    lstm_implementation=lstm), steps=30)
    assert spec.train_op is not None
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("optimizer", ["adam", "lazy_adam"])
def test_train_step_advances_global_step(vocab_dir, optimizer):
    with tf.Graph().as_default():
        features = {"words": tf.constant(WORDS), "nwords": tf.constant(LENGTHS, tf.int64)}
        spec = model_fn(features, tf.constant(TAGS), Modes.TRAIN, params_for(vocab_dir, optimizer=optimizer))
        step = tf.compat.v1.train.get_global_step()
        with tf.compat.v1.Session() as session:
            _initialize(session)
            session.run(spec.train_op)
            session.run(spec.train_op)
            assert session.run(step) == 2


def test_training_checkpoints_are_written_by_the_chief_alone_with_the_optimizer_state(vocab_dir, tmp_path):
    """Unsharded: with parameter servers on other hosts (no shared filesystem in a SageMaker job) a sharded
    save would have each ps task write its part on its own disk. The saver holds Adam's slots, so a resumed
    run continues the optimizer, and it is where hooks look a saver up."""
    with tf.Graph().as_default():
        features = {"words": tf.constant(WORDS), "nwords": tf.constant(LENGTHS, tf.int64)}
        spec = model_fn(features, tf.constant(TAGS), Modes.TRAIN, params_for(vocab_dir, keep_checkpoint_max=2))
        saver = spec.scaffold.saver
        assert saver.as_saver_def().sharded is False
        assert saver.as_saver_def().max_to_keep == 2
        assert tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.SAVERS) == [saver]
        with tf.compat.v1.Session() as session:
            _initialize(session)
            session.run(spec.train_op)
            path = saver.save(session, str(tmp_path / "model.ckpt"), global_step=1)
    saved = dict(tf.train.list_variables(path))
    assert any(name.endswith("/Adam") for name in saved) and "global_step" in saved


@pytest.mark.parametrize("optimizer, untouched_rows_move", [("adam", True), ("lazy_adam", False)])
def test_lazy_adam_leaves_embedding_rows_of_absent_words_alone(vocab_dir, optimizer, untouched_rows_move):
    """Adam's momentum keeps moving rows of words seen earlier; LazyAdam updates only the batch's rows."""
    vocabulary = vocab.Vocabulary.load(vocab_dir)
    other = [w for w in vocabulary.words if w not in {x for row in WORDS for x in row}][0]
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(1)
        words = tf.compat.v1.placeholder(tf.string, [None, None])
        features = {"words": words, "nwords": tf.compat.v1.placeholder(tf.int64, [None])}
        tags = tf.compat.v1.placeholder(tf.string, [None, None])
        spec = model_fn(features, tags, Modes.TRAIN,
                        params_for(vocab_dir, optimizer=optimizer, word_dropout=0.0, dropout=0.0,
                                   lowercase=False))  # the fixture's vocabulary keeps case
        table = [v for v in tf.compat.v1.trainable_variables() if "word_embeddings" in v.name][0]
        row = vocabulary.words.index(other)
        with tf.compat.v1.Session() as session:
            _initialize(session)
            # A step on the word alone gives its row momentum; the next batch does not hold it.
            session.run(spec.train_op, {words: [[other]], tags: [["B-PER"]], features["nwords"]: [1]})
            before = session.run(table)[row]
            session.run(spec.train_op, {words: [WORDS[0]], tags: [TAGS[0]], features["nwords"]: [6]})
            moved = not np.allclose(session.run(table)[row], before)
    assert moved == untouched_rows_move


def test_eval_reports_seqeval_metrics_overall_and_per_type(vocab_dir):
    spec, values = run_mode(Modes.EVAL, params_for(vocab_dir))
    assert spec.train_op is None
    for name in ("f1", "precision", "recall", "f1/PER", "f1/LOC", "f1/ORG"):
        assert name in values
        assert 0.0 <= values[name] <= 1.0
    assert np.isfinite(values["loss"])


def test_predict_outputs_tags_scores_and_lengths_for_oov_input(vocab_dir):
    params = params_for(vocab_dir)
    spec, out = run_mode(Modes.PREDICT, params)
    tag_names = set(vocab.Vocabulary.load(vocab_dir).tags)
    assert set(spec.predictions) >= {"tokens", "tags", "tag_ids", "scores", "sequence_score", "lengths"}
    assert out["tags"].shape == (2, 6)
    assert {t.decode() for t in out["tags"].ravel()} <= tag_names
    assert list(out["lengths"]) == LENGTHS
    # Per-token marginal probabilities and the whole-path probability are probabilities.
    real = np.arange(6)[None, :] < np.array(LENGTHS)[:, None]
    assert np.all((out["scores"][real] > 0) & (out["scores"][real] <= 1.0 + 1e-5))
    assert np.all(out["scores"][~real] == 0)
    assert np.all((out["sequence_score"] > 0) & (out["sequence_score"] <= 1.0 + 1e-5))
    assert "serving_default" in spec.export_outputs


def _two_runs(mode, params):
    """The same ops run twice in one session: random ops (dropout) draw anew each time."""
    with tf.Graph().as_default():
        features = {"words": tf.constant(WORDS), "nwords": tf.constant(LENGTHS, tf.int64)}
        labels = tf.constant(TAGS) if mode != Modes.PREDICT else None
        spec = model_fn(features, labels, mode, params)
        fetch = spec.loss if mode == Modes.EVAL else spec.predictions["scores"]
        with tf.compat.v1.Session() as session:
            _initialize(session)
            return session.run(fetch), session.run(fetch)


@pytest.mark.parametrize("mode", [Modes.PREDICT, Modes.EVAL])
def test_word_and_embedding_dropout_are_off_outside_training(vocab_dir, mode):
    first, second = _two_runs(mode, params_for(vocab_dir, word_dropout=0.5, dropout=0.5))
    np.testing.assert_array_equal(first, second)


def test_dropout_is_on_in_training(vocab_dir):
    with tf.Graph().as_default():
        features = {"words": tf.constant(WORDS), "nwords": tf.constant(LENGTHS, tf.int64)}
        spec = model_fn(features, tf.constant(TAGS), Modes.TRAIN,
                        params_for(vocab_dir, word_dropout=0.5, dropout=0.5))
        with tf.compat.v1.Session() as session:
            _initialize(session)
            assert session.run(spec.loss) != session.run(spec.loss)


def test_moving_average_is_trained_and_read_back_outside_training(vocab_dir, tmp_path):
    params = params_for(vocab_dir, ema_decay=0.9)
    with tf.Graph().as_default():
        features = {"words": tf.constant(WORDS), "nwords": tf.constant(LENGTHS, tf.int64)}
        spec = model_fn(features, tf.constant(TAGS), Modes.TRAIN, params)
        shadows = [v.name for v in tf.compat.v1.global_variables() if "ExponentialMovingAverage" in v.name]
        assert len(shadows) == len(tf.compat.v1.trainable_variables())
        # Training saves the variables and their averages alike (EVAL and PREDICT below read the averages).
        with tf.compat.v1.Session() as session:
            _initialize(session)
            path = spec.scaffold.saver.save(session, str(tmp_path / "model.ckpt"), global_step=0)
        saved = {f"{name}:0" for name, _ in tf.train.list_variables(path)}
        assert set(shadows) | {v.name for v in tf.compat.v1.trainable_variables()} <= saved
    for mode in (Modes.EVAL, Modes.PREDICT):
        with tf.Graph().as_default():
            tf.compat.v1.train.get_or_create_global_step()
            features = {"words": tf.constant(WORDS), "nwords": tf.constant(LENGTHS, tf.int64)}
            labels = tf.constant(TAGS) if mode == Modes.EVAL else None
            spec = model_fn(features, labels, mode, params)
            restored = spec.scaffold.saver._var_list
            averaged = {k for k in restored if k.endswith("/ExponentialMovingAverage")}
            assert len(averaged) == len(tf.compat.v1.trainable_variables()) > 0
            assert "global_step" in restored


def _half_ops(graph):
    return [op for op in graph.get_operations() if op.outputs and op.outputs[0].dtype == tf.float16]


@pytest.mark.parametrize("lstm", ["keras", "fused"])
def test_mixed_precision_trains_in_float16_with_a_float32_crf(vocab_dir, lstm):
    params = params_for(vocab_dir, mixed_precision=True, lstm_implementation=lstm, dropout=0.0, word_dropout=0.0)
    spec, losses = run_mode(Modes.TRAIN, params, steps=30)
    graph = spec.loss.graph
    assert spec.loss.dtype == tf.float32 and all(np.isfinite(losses)) and losses[-1] < 0.5 * losses[0]
    assert any(op.type in ("BlockLSTM", "MatMul") for op in _half_ops(graph))
    weights = [v for v in graph.get_collection("variables") if v.dtype.base_dtype.is_floating]
    assert weights and all(v.dtype.base_dtype == tf.float32 for v in weights)
    # Nothing of the CRF (its loop, its log-normaliser) runs in float16.
    assert not [op.name for op in _half_ops(graph) if "crf" in op.name.lower() or "rnn" in op.name.lower()]


def test_mixed_precision_exports_compute_in_float32(vocab_dir):
    spec, _ = run_mode(Modes.PREDICT, params_for(vocab_dir, mixed_precision=True))
    assert _half_ops(spec.predictions["tags"].graph) == []


def test_adam_given_dense_embedding_gradients_makes_the_sparse_update():
    """One process hands Adam the embedding's gradient dense (one fused kernel); a parameter-server job
    keeps it sparse (it crosses the network). Both must leave the same weights, repeated words included."""
    from ner_tagger.model.model_fn import _train_op

    hp = HParams.from_dict(dict(TINY, learning_rate=0.05))
    results = []
    for dense in (False, True):
        with tf.Graph().as_default():
            table = tf.Variable(np.arange(24, dtype=np.float32).reshape(6, 4) / 10)
            other = tf.Variable(np.ones(3, np.float32))
            rows = tf.nn.embedding_lookup(table, [1, 3, 3, 5])
            loss = tf.reduce_sum(tf.square(rows - 1.0)) + tf.reduce_sum(other * rows[:, :3])
            train = _train_op(loss, hp, dense_gradients=dense)
            with tf.compat.v1.Session() as session:
                session.run(tf.compat.v1.global_variables_initializer())
                for _ in range(3):
                    session.run(train)
                results.append(session.run([table, other]))
    (sparse_table, sparse_other), (dense_table, dense_other) = results
    initial = np.arange(24, dtype=np.float32).reshape(6, 4) / 10
    moved = ~np.isclose(sparse_table, initial).all(axis=1)
    assert moved.tolist() == [False, True, False, True, False, True]  # the looked-up rows, not the others
    np.testing.assert_allclose(dense_table, sparse_table, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dense_other, sparse_other, rtol=1e-6)
