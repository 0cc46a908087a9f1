"""The vocabulary stage of a job: the ``params`` that ``model_fn`` reads, and what they point to in the
checkpoint folder: vocabularies, the optional embedding matrix and ``params.json``. A resumed run keeps
what is already there."""
import dataclasses
import logging
import os

import numpy as np

from ner_tagger.corpus import embeddings, vocab
from ner_tagger.corpus.dataset import Dataset
from ner_tagger.corpus.shards import Corpus
from ner_tagger.hparams import HParams, check_resumable

log = logging.getLogger("ner_tagger")


def normalizer(hp: HParams):
    """Python access to the graph's word normalisation, so vocabulary and model agree byte for byte."""
    def normalize(words):
        if not words:
            return []
        import tensorflow as tf

        from ner_tagger.model import text  # the graph's own normalisation, run eagerly

        forms = text.normalize_words(tf.constant(list(words)), hp.lowercase, hp.normalize_digits)
        return [w.decode("utf-8") for w in forms.numpy()]
    return normalize


def prepare_model_dir(hp: HParams, data: Dataset, model_dir: str) -> dict:
    """Vocabularies, optional embedding matrix and params.json in ``model_dir``; returns model_fn params.

    A model dir that already has vocabularies (a resumed run) keeps them: its checkpoints were built on
    them.
    """
    vocab_dir = os.path.join(model_dir, "vocab")
    check_resumable(os.path.join(model_dir, "params.json"), hp)
    params = dict(hp.to_dict(), vocab_dir=vocab_dir)
    if os.path.isfile(os.path.join(vocab_dir, vocab.TAGS)):
        vocabulary = vocab.Vocabulary.load(vocab_dir)
        log.info("vocab: reusing %s (resuming)", vocab_dir)
    else:
        vocabulary = _build_vocabulary(hp, data)
        vocabulary.save(vocab_dir)
    if hp.embeddings_file:
        params["embeddings_npy"] = _embedding_matrix(hp, vocabulary, model_dir)
    log.info("vocab: %d words, %d chars, %d tags (%s)", len(vocabulary.words), len(vocabulary.chars),
             len(vocabulary.tags), ", ".join(vocabulary.entity_types))
    hp.save(os.path.join(model_dir, "params.json"))
    return params


def with_embeddings_channel(hp: HParams, channel_dir) -> HParams:
    """``hp`` with ``embeddings_file`` pointing into the ``embeddings`` channel: the name given (relative to
    the channel), or, with none given, the channel's one file. Without a channel, ``hp`` as it is."""
    if not channel_dir:
        return hp
    if hp.embeddings_file:
        inside = os.path.join(channel_dir, hp.embeddings_file)
        return dataclasses.replace(hp, embeddings_file=inside) if os.path.isfile(inside) else hp
    path = embeddings.channel_file(channel_dir)
    log.info("embeddings: using %s from the %r channel", path, embeddings.CHANNEL)
    return dataclasses.replace(hp, embeddings_file=path)


def _build_vocabulary(hp: HParams, data: Dataset) -> vocab.Vocabulary:
    """Train's words, plus (up to ``embeddings_vocab_max``, in file order) words that only the embeddings
    file has, so that a test-time word with a pretrained vector does not fall to the OOV id."""
    normalize = normalizer(hp)
    if not hp.embeddings_file:
        return _vocabulary(data.train, normalize, hp.min_word_count)
    forms = normalize(embeddings.read_words(hp.embeddings_file))
    raw = data.train.words if isinstance(data.train, Corpus) else {t for s in data.train for t in s.tokens}
    train_forms = set(normalize(sorted(raw)))
    extra = [f for f in dict.fromkeys(forms) if f not in train_forms][:hp.embeddings_vocab_max]
    vocabulary = _vocabulary(data.train, normalize, hp.min_word_count, set(forms), extra)
    log.info("vocab: %d words from the embeddings file only (embeddings_vocab_max=%d, %d such words in it)",
             len(extra), hp.embeddings_vocab_max, len(set(forms) - train_forms))
    return vocabulary


def _vocabulary(train, normalize, min_count, keep=None, extra=()) -> vocab.Vocabulary:
    if isinstance(train, Corpus):  # counted in the pass that wrote the shards
        return vocab.from_counts(train.words, train.tags, normalize, min_count, keep, extra)
    return vocab.build(train, normalize, min_count, keep, extra)


def _embedding_matrix(hp, vocabulary, model_dir):
    path = os.path.join(model_dir, "embeddings.npy")
    if not os.path.isfile(path):
        matrix, found = embeddings.load_matrix(hp.embeddings_file, vocabulary.words, hp.word_dim,
                                               normalizer(hp), hp.seed)
        log.info("embeddings: %d of %d words have a pretrained vector", found, len(vocabulary.words))
        np.save(path + ".tmp.npy", matrix)
        os.replace(path + ".tmp.npy", path)
    return path
