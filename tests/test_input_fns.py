import numpy as np
import tensorflow as tf

from ner_tagger import conll, input_fns
from ner_tagger.hparams import HParams


def sentences(lengths):
    return [conll.Sentence(tuple(f"w{i}_{j}" for j in range(n)), ("O",) * n, i) for i, n in enumerate(lengths)]


def params(**overrides):
    return HParams.from_dict(overrides).to_dict()


def test_train_batches_shapes_dtypes_and_padding():
    data = sentences([3, 7, 2, 9, 4, 4, 8, 1] * 5)
    dataset = input_fns.train_input_fn(data, params(batch_size=4, bucket_width=5, shuffle_buffer=8))
    features, labels = next(iter(dataset))
    assert features["words"].dtype == tf.string and labels.dtype == tf.string
    assert features["nwords"].dtype == tf.int32
    words, nwords, tags = features["words"].numpy(), features["nwords"].numpy(), labels.numpy()
    assert words.shape == tags.shape and words.shape[1] == nwords.max()
    for row, n in zip(words, nwords):
        assert all(w != b"" for w in row[:n]) and all(w == b"" for w in row[n:])
    assert all(t == b"O" for t in tags.ravel())


def test_bucketing_keeps_padding_small():
    rng = np.random.default_rng(0)
    data = sentences(rng.integers(1, 60, size=400))
    dataset = input_fns.train_input_fn(data, params(batch_size=16, bucket_width=5))
    padded = real = 0
    for features, _ in dataset.take(25):
        nwords = features["nwords"].numpy()
        assert nwords.max() - nwords.min() < 5  # one bucket per batch
        padded += nwords.size * nwords.max()
        real += nwords.sum()
    assert padded / real < 1.25


def test_steps_per_epoch_is_exact():
    rng = np.random.default_rng(1)
    data = sentences(rng.integers(1, 40, size=123))
    for bucket_width in (0, 5):
        p = params(batch_size=8, bucket_width=bucket_width)
        expected = input_fns.steps_per_epoch(data, 8, bucket_width)
        # One pass: the dataset repeats forever, so count until every sentence was seen once.
        seen = steps = 0
        for features, _ in input_fns.train_input_fn(data, p):
            seen += int(features["nwords"].shape[0])
            steps += 1
            if seen >= len(data):
                break
        assert seen == len(data) and steps == expected


def test_training_data_repeats_and_reshuffles():
    data = sentences([2] * 20)
    dataset = input_fns.train_input_fn(data, params(batch_size=20, bucket_width=0, seed=3))
    first, second = [f["words"].numpy()[:, 0].tolist() for f, _ in dataset.take(2)]
    assert sorted(first) == sorted(second) and first != second


def test_eval_keeps_file_order_and_every_sentence():
    data = sentences([5, 1, 3, 2, 8])
    batches = list(input_fns.eval_input_fn(data, params(eval_batch_size=2)))
    firsts = [w.decode() for f, _ in batches for w in f["words"].numpy()[:, 0]]
    assert firsts == [f"w{i}_0" for i in range(5)]


def test_reads_a_path(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("Bob\tB-PER\nruns\tO\n\nok\tO\n", encoding="utf-8")
    batches = list(input_fns.eval_input_fn(str(path), params(tag_encoding="iobes")))
    assert batches[0][1].numpy()[0].tolist() == [b"S-PER", b"O"]
