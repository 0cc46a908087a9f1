import numpy as np
import pytest
import tensorflow as tf

from ner_tagger.corpus import conll
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams
from ner_tagger.model import input_fns


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


# ----- shards written by ner_tagger.corpus.shards: read by tf.data, not held in the graph -----

def shard_corpus(tmp_path, data, name="c"):
    from ner_tagger.corpus import shards

    path = tmp_path / f"{name}.txt"
    path.write_text("".join("".join(f"{t}\t{g}\n" for t, g in zip(s.tokens, s.tags)) + "\n" for s in data),
                    encoding="utf-8")
    return shards.stream([str(path)], lambda p: conll.iter_conll(p, "iob2", "iob2"), {}, str(tmp_path / name))[
        "train"]


def graph_bytes(source, p):
    with tf.Graph().as_default() as graph:
        input_fns.train_input_fn(source, p)
        input_fns.eval_input_fn(source, p)
        return graph.as_graph_def().ByteSize()


def test_the_input_graph_does_not_grow_with_a_sharded_corpus(tmp_path):
    small, large = sentences([5, 9, 3] * 100), sentences([5, 9, 3] * 1000)
    p = params(bucket_width=5)
    assert graph_bytes(shard_corpus(tmp_path, small, "s"), p) == graph_bytes(shard_corpus(tmp_path, large, "l"), p)
    # The same sentences as a list are constants of the graph: ten times the data, a larger graph.
    assert graph_bytes(large, p) > 5 * graph_bytes(small, p)


def test_a_sharded_corpus_reads_every_sentence_in_file_order(tmp_path):
    data = sentences([5, 1, 3, 2, 8])
    source = shard_corpus(tmp_path, data)
    for form in (source, source.files[0]):  # the corpus, or the path of its shard file
        batches = list(input_fns.eval_input_fn(form, params(eval_batch_size=2)))
        words = [[w.decode() for w in row if w] for f, _ in batches for row in f["words"].numpy()]
        assert words == [list(s.tokens) for s in data]


def test_steps_per_epoch_of_a_sharded_corpus_is_exact(tmp_path):
    data = sentences(np.random.default_rng(2).integers(1, 40, size=123))
    source = shard_corpus(tmp_path, data)
    p = params(batch_size=8, bucket_width=5)
    assert input_fns.steps_per_epoch(source, 8, 5) == input_fns.steps_per_epoch(data, 8, 5)
    seen = steps = 0
    for features, _ in input_fns.train_input_fn(source, p):
        seen, steps = seen + int(features["nwords"].shape[0]), steps + 1
        if seen >= len(data):
            break
    assert seen == len(data) and steps == input_fns.steps_per_epoch(source, 8, 5)


def test_distributed_tasks_read_disjoint_shares_of_a_sharded_corpus_that_cover_it(tmp_path):
    data = sentences([3] * 50)
    source = shard_corpus(tmp_path, data)
    p = params(batch_size=7, bucket_width=0)
    shares = []
    for index in range(3):
        dataset = input_fns.train_input_fn(source, p, task=(index, 3))
        ids = [w.decode().split("_")[0] for f, _ in dataset.take(10) for w in f["words"].numpy()[:, 0]]
        shares.append(set(ids))
    assert all(not a & b for i, a in enumerate(shares) for b in shares[i + 1:])
    assert set().union(*shares) == {f"w{i}" for i in range(50)}
    with pytest.raises(DataError, match="60 training tasks but only 50"):
        input_fns.train_input_fn(source, p, task=(0, 60))
