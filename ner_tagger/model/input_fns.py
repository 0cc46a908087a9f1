"""``train_input_fn`` and ``eval_input_fn``: tf.data pipelines over CoNLL sentences.

A source is a data file's path (CoNLL or any format :mod:`ner_tagger.corpus.formats` reads) or a list of
sentences (small data: they become constants of the graph), or
shards written by :mod:`ner_tagger.corpus.shards` (a :class:`~ner_tagger.corpus.shards.Corpus`, or a shard file's path,
``*.sentences``): those are read from disk by ``tf.data``, so the graph stays the same size whatever the
corpus, and a distributed task reads only its own share of the lines.

Features are raw strings (``words [batch, time]``, padded with ``""``, and ``nwords [batch]``); labels are
tag strings ``[batch, time]`` padded with ``O``. Lookups happen in ``model_fn``, the same graph that is
exported, so serving takes text exactly as training does.
"""
import collections
import math
from typing import List, Sequence, Tuple, Union

import numpy as np
import tensorflow as tf

from ner_tagger.corpus import conll, formats, shards
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams

Source = Union[str, Sequence[conll.Sentence], shards.Corpus]


def train_input_fn(source: Source, params: dict, task: Tuple[int, int] = (0, 1)) -> tf.data.Dataset:
    """Shuffled, length-bucketed training batches; repeats forever (``max_steps`` ends training, so a
    resumed run continues mid-schedule instead of restarting its epochs).

    ``task`` (index, count): a distributed training task's share of the sentences (see :func:`share`).
    """
    hp = HParams.from_params(params)
    sentences = _sentences(source, hp)
    index, count = task
    if isinstance(sentences, shards.Corpus):
        _check_share(len(sentences), index, count)
        dataset = _lines(sentences.files).shard(count, index)
    else:
        sentences = share(sentences, index, count) if count > 1 else sentences
        dataset = _dataset(sentences)
    dataset = dataset.shuffle(min(hp.shuffle_buffer, len(sentences)), seed=hp.seed, reshuffle_each_iteration=True)
    dataset = _batch(dataset, _lengths(sentences), hp.batch_size, hp.bucket_width)
    return dataset.repeat().prefetch(tf.data.AUTOTUNE)


def share(sentences: Sequence[conll.Sentence], index: int, count: int) -> List[conll.Sentence]:
    """Task ``index`` of ``count``'s disjoint share of the training sentences (every ``count``-th one).

    Interleaved rather than contiguous, so every share has the file's mix of sentence lengths and
    sources; the shares together are the whole list.
    """
    _check_share(len(sentences), index, count)
    return list(sentences[index::count])


def _check_share(sentences: int, index: int, count: int) -> None:
    if not 0 <= index < count:
        raise ValueError(f"task {index} of {count}")
    if sentences < count:
        raise DataError(f"{count} training tasks but only {sentences} training sentences: each task "
                        f"needs at least one (use fewer instances)")


def eval_input_fn(source: Source, params: dict) -> tf.data.Dataset:
    """Every sentence once, in file order, in batches of ``eval_batch_size``."""
    hp = HParams.from_params(params)
    sentences = _sentences(source, hp)
    dataset = _lines(sentences.files) if isinstance(sentences, shards.Corpus) else _dataset(sentences)
    return _batch(dataset, _lengths(sentences), hp.eval_batch_size, 0).prefetch(tf.data.AUTOTUNE)


def steps_per_epoch(sentences: Union[Sequence[conll.Sentence], shards.Corpus], batch_size: int,
                    bucket_width: int) -> int:
    """Exact number of batches ``train_input_fn`` yields per pass (each bucket ends with a partial batch)."""
    if not bucket_width:
        return math.ceil(len(sentences) / batch_size)
    lengths = _lengths(sentences)
    sizes, counts = zip(*sorted(lengths.items()))
    buckets = np.bincount(np.searchsorted(_boundaries(lengths, bucket_width), sizes, side="right"),
                          weights=counts)
    return int(sum(math.ceil(n / batch_size) for n in buckets))


def _lengths(sentences) -> dict:
    """Sentence length -> count: a corpus counted them in its pass, a list is counted here."""
    if isinstance(sentences, shards.Corpus):
        return sentences.lengths
    return collections.Counter(len(s.tokens) for s in sentences)


def _sentences(source: Source, hp: HParams):
    if isinstance(source, shards.Corpus):
        return source
    if isinstance(source, str) and source.endswith(shards.SUFFIX):
        return shards.from_shard(source)
    if isinstance(source, str):
        return formats.read_sentences(source, hp)  # any data format, as the job reads it
    return list(source)


def _lines(files: Sequence[str]) -> tf.data.Dataset:
    """Shard lines (tokens then tags, TAB-separated) as the features and labels of one sentence."""
    def parse(line):
        parts = tf.strings.split(line, "\t")
        half = tf.size(parts) // 2
        words = parts[:half]
        return {"words": words, "nwords": tf.size(words)}, parts[half:]
    return tf.data.TextLineDataset(list(files)).map(parse, num_parallel_calls=tf.data.AUTOTUNE,
                                                    deterministic=True)


def _dataset(sentences: Sequence[conll.Sentence]) -> tf.data.Dataset:
    lengths = [len(s.tokens) for s in sentences]
    words = tf.RaggedTensor.from_row_lengths([t for s in sentences for t in s.tokens], lengths)
    tags = tf.RaggedTensor.from_row_lengths([t for s in sentences for t in s.tags], lengths)
    dataset = tf.data.Dataset.from_tensor_slices((words, tags))
    return dataset.map(lambda w, t: ({"words": w, "nwords": tf.size(w)}, t),
                       num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _boundaries(lengths, bucket_width):
    longest = max(lengths)
    # Past 100 tokens sentences are rare; they share the last bucket rather than add near-empty ones.
    return list(range(bucket_width, min(longest, 100) + 1, bucket_width))


_PADDING = ({"words": "", "nwords": 0}, "O")
_SHAPES = ({"words": [None], "nwords": []}, [None])


def _batch(dataset, lengths, batch_size, bucket_width):
    if not bucket_width:
        return dataset.padded_batch(batch_size, padded_shapes=_SHAPES, padding_values=_PADDING)
    boundaries = _boundaries(lengths, bucket_width)
    return dataset.bucket_by_sequence_length(
        element_length_func=lambda features, _: features["nwords"],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padded_shapes=_SHAPES, padding_values=_PADDING)
