"""The vocabulary stage: vocabularies counted in the streaming pass are those of the sentences themselves."""
import os

from ner_tagger.corpus import conll, dataset, vocab
from ner_tagger.hparams import HParams
from ner_tagger.job import model_params

WNUT = os.path.join(os.path.dirname(__file__), "..", "ner_tagger", "datasets", "wnut17")


def test_vocabularies_from_the_passs_counts_equal_those_built_from_the_sentences(tmp_path):
    hp = HParams.from_dict({"min_word_count": 2, "lowercase": True, "tag_encoding": "iobes"})
    data = dataset.load_data(hp, WNUT, work_dir=str(tmp_path / "corpus"))
    params = model_params.prepare_model_dir(hp, data, str(tmp_path / "model"))
    streamed = vocab.Vocabulary.load(params["vocab_dir"])
    sentences = conll.read_conll(os.path.join(WNUT, "train.conll"), "auto", "iobes")
    built = vocab.build(sentences, model_params.normalizer(hp), 2)
    assert streamed == built and len(streamed.words) > 1000 and "S-person" in streamed.tags


def test_every_task_of_a_job_builds_the_same_vocabularies(tmp_path):
    """Distributed tasks each count the whole (fully replicated) channel, wherever their shards are written;
    with no dev file each holds out the same seeded sentences, so the training counts agree too."""
    channel = tmp_path / "channel"
    channel.mkdir()
    (channel / "train.conll").write_bytes(open(os.path.join(WNUT, "train.conll"), "rb").read())
    hp = HParams.from_dict({"dev_fraction": 0.3})
    found = []
    for task in ("master", "worker"):
        data = dataset.load_data(hp, str(channel), work_dir=str(tmp_path / task / "corpus"))
        found.append(vocab.Vocabulary.load(model_params.prepare_model_dir(hp, data, str(tmp_path / task))[
            "vocab_dir"]))
    assert found[0] == found[1]
    assert len(data.train) < 3394 * 0.8  # a third of the sentences went to dev
