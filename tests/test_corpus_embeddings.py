"""Pretrained vectors: the embeddings channel's one file, .gz and fastText .vec, words beyond train joining the
vocabulary, and an export that serves them without the vectors file."""
import gzip
import os

import numpy as np
import pytest
from support.synthetic import TINY

from ner_tagger.corpus import embeddings, vocab
from ner_tagger.corpus.conll import Sentence
from ner_tagger.corpus.dataset import Dataset
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams
from ner_tagger.job import model_params

DIM = TINY["word_dim"]
# Words the synthetic task never uses, plus some it does; file order is "frequency" order.
OUTSIDE_TRAIN = ["zorblax", "quux", "fjord", "xylo"]
IN_TRAIN = ["alice", "paris", "met"]


def vectors(words, seed=0):
    rng = np.random.default_rng(seed)
    return {w: rng.uniform(-1, 1, DIM).round(4).astype(np.float32) for w in words}


def write_vectors(path, table, header=False, trailing_space=False, compress=False):
    lines = [f"{len(table)} {DIM}\n"] if header else []
    lines += [w + " " + " ".join(f"{v:.4f}" for v in vec) + (" " if trailing_space else "") + "\n"
              for w, vec in table.items()]
    data = "".join(lines).encode("utf-8")
    with (gzip.open if compress else open)(path, "wb") as fh:
        fh.write(data)
    return str(path)


@pytest.mark.parametrize("name, options", [
    ("glove.txt", {}), ("glove.txt.gz", {"compress": True}), ("wiki.vec", {"header": True, "trailing_space": True}),
    ("vectors.bin.gz", {"header": True, "compress": True}),
])
def test_glove_word2vec_fasttext_and_gz_give_the_same_matrix(tmp_path, name, options):
    table = vectors(IN_TRAIN + OUTSIDE_TRAIN)
    path = write_vectors(tmp_path / name, table, **options)
    assert embeddings.read_words(path) == IN_TRAIN + OUTSIDE_TRAIN
    matrix, found = embeddings.load_matrix(path, ["quux", "nothere"], DIM, lambda ws: list(ws), seed=1)
    assert found == 1 and matrix.shape == (3, DIM)
    np.testing.assert_array_equal(matrix[0], table["quux"])


def test_a_truncated_gz_file_is_a_data_error(tmp_path):
    path = write_vectors(tmp_path / "v.gz", vectors(OUTSIDE_TRAIN * 50), compress=True)
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])
    with pytest.raises(DataError, match=r"v.gz: cannot read embeddings file"):
        embeddings.read_words(path)


def test_the_channel_must_hold_exactly_one_file(tmp_path):
    channel = tmp_path / "embeddings"
    channel.mkdir()
    with pytest.raises(DataError, match=r"embeddings: the 'embeddings' channel must hold exactly one vectors "
                                        r"file .*found no file"):
        embeddings.channel_file(str(channel))
    (channel / ".hidden").write_text("x")
    write_vectors(channel / "a.txt", vectors(["a"]))
    assert embeddings.channel_file(str(channel)) == str(channel / "a.txt")
    write_vectors(channel / "b.vec", vectors(["b"]))
    with pytest.raises(DataError, match=r"found a.txt, b.vec; or name one with embeddings_file"):
        embeddings.channel_file(str(channel))


def test_with_embeddings_channel_names_the_file_or_finds_it(tmp_path):
    channel = tmp_path / "ch"
    channel.mkdir()
    path = write_vectors(channel / "glove.txt", vectors(["a"]))
    assert model_params.with_embeddings_channel(HParams(), None) == HParams()
    assert model_params.with_embeddings_channel(HParams(), str(channel)).embeddings_file == path
    named = model_params.with_embeddings_channel(HParams(embeddings_file="glove.txt"), str(channel))
    assert named.embeddings_file == path
    elsewhere = HParams(embeddings_file=str(tmp_path / "other.txt"))
    assert model_params.with_embeddings_channel(elsewhere, str(channel)) == elsewhere


def test_words_with_vectors_join_the_vocabulary_up_to_the_cap(tmp_path):
    path = write_vectors(tmp_path / "v.txt", vectors(["Alice"] + OUTSIDE_TRAIN + ["PARIS"]))
    train = [Sentence(("Alice", "met", "Bob"), ("B-PER", "O", "B-PER"), 1)]
    data = Dataset(train, train, None, {})
    for cap, expected in ((0, []), (2, ["quux", "zorblax"]), (100, OUTSIDE_TRAIN + ["paris"])):
        hp = HParams(embeddings_file=path, word_dim=DIM, embeddings_vocab_max=cap)
        model_params.prepare_model_dir(hp, data, str(tmp_path / f"m{cap}"))
        words = vocab.Vocabulary.load(str(tmp_path / f"m{cap}" / "vocab")).words
        assert sorted(set(words) - {"alice", "met", "bob"}) == sorted(expected)


def test_sagemaker_doors_find_the_embeddings_channel(tmp_path, monkeypatch):
    from support.opt_ml import channel_roles

    from ner_tagger import flags
    from ner_tagger.sagemaker.environment import MLPaths

    monkeypatch.setenv("SM_CHANNEL_EMBEDDINGS", "/opt/ml/input/data/embeddings")
    assert flags.build_parser().parse_args([]).embeddings_dir == "/opt/ml/input/data/embeddings"
    paths = MLPaths(str(tmp_path))
    for name in ("training", "embeddings"):
        os.makedirs(paths.channel(name))
    channels = channel_roles(paths, {}, distributed=False)
    assert channels["embeddings"] == paths.channel("embeddings")
    declared_without = channel_roles(paths, {"training": {}}, distributed=False)
    assert "embeddings" not in declared_without


@pytest.mark.slow
def test_export_knows_out_of_train_words_and_serves_without_the_vectors_file(synthetic_dir, tmp_path):
    import tensorflow as tf

    from ner_tagger.job import runner
    from ner_tagger.serving import core
    from ner_tagger.serving.exported_model import Predictor

    channel = tmp_path / "embeddings"
    channel.mkdir()
    table = vectors(IN_TRAIN + OUTSIDE_TRAIN, seed=3)
    vectors_file = write_vectors(channel / "vectors.vec.gz", table, header=True, compress=True)
    hp = HParams.from_dict(dict(TINY, max_steps=60, eval_every_steps=60))
    runner.pipeline(hparams=hp, data_dir=str(synthetic_dir), model_dir=str(tmp_path / "ckpt"),
                 export_dir=str(tmp_path / "export"), embeddings_dir=str(channel))
    os.remove(vectors_file)
    os.remove(tmp_path / "ckpt" / "embeddings.npy")
    version = core.latest_version(str(tmp_path / "export"))
    words = open(os.path.join(version, "assets.extra", "words.txt"), encoding="utf-8").read().split("\n")[:-1]
    assert set(OUTSIDE_TRAIN) <= set(words)
    reader = tf.train.load_checkpoint(os.path.join(version, "variables", "variables"))
    name = next(n for n, shape in reader.get_variable_to_shape_map().items()
                if "word_embeddings" in n and shape == [len(words) + 1, DIM] and "Adam" not in n)
    matrix = reader.get_tensor(name)
    for word in OUTSIDE_TRAIN:  # never in a batch, so never updated: still the pretrained vector
        np.testing.assert_allclose(matrix[words.index(word)], table[word], atol=1e-6)
    answer, = Predictor.load(str(tmp_path / "export")).predict_text(["zorblax met Alice in Paris ."])
    assert answer["tokens"][0] == "zorblax" and len(answer["tags"]) == 6
