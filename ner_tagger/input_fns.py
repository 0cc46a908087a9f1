"""``train_input_fn`` and ``eval_input_fn``: tf.data pipelines over CoNLL sentences.

Features are raw strings (``words [batch, time]``, padded with ``""``, and ``nwords [batch]``); labels are
tag strings ``[batch, time]`` padded with ``O``. Lookups happen in ``model_fn``, the same graph that is
exported, so serving takes text exactly as training does.
"""
import math
from typing import List, Sequence, Union

import numpy as np
import tensorflow as tf

from ner_tagger import conll
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams

Source = Union[str, Sequence[conll.Sentence]]


def train_input_fn(source: Source, params: dict) -> tf.data.Dataset:
    """Shuffled, length-bucketed training batches; repeats forever (``max_steps`` ends training, so a
    resumed run continues mid-schedule instead of restarting its epochs)."""
    hp = _hparams(params)
    sentences = _sentences(source, hp)
    dataset = _dataset(sentences).shuffle(min(hp.shuffle_buffer, len(sentences)), seed=hp.seed,
                                          reshuffle_each_iteration=True)
    dataset = _batch(dataset, sentences, hp.batch_size, hp.bucket_width)
    return dataset.repeat().prefetch(tf.data.AUTOTUNE)


def share(sentences: Sequence[conll.Sentence], index: int, count: int) -> List[conll.Sentence]:
    """Task ``index`` of ``count``'s disjoint share of the training sentences (every ``count``-th one).

    Interleaved rather than contiguous, so every share has the file's mix of sentence lengths and
    sources; the shares together are the whole list.
    """
    if not 0 <= index < count:
        raise ValueError(f"task {index} of {count}")
    if len(sentences) < count:
        raise DataError(f"{count} training tasks but only {len(sentences)} training sentences: each task "
                        f"needs at least one (use fewer instances)")
    return list(sentences[index::count])


def eval_input_fn(source: Source, params: dict) -> tf.data.Dataset:
    """Every sentence once, in file order, in batches of ``eval_batch_size``."""
    hp = _hparams(params)
    sentences = _sentences(source, hp)
    return _batch(_dataset(sentences), sentences, hp.eval_batch_size, 0).prefetch(tf.data.AUTOTUNE)


def steps_per_epoch(sentences: Sequence[conll.Sentence], batch_size: int, bucket_width: int) -> int:
    """Exact number of batches ``train_input_fn`` yields per pass (each bucket ends with a partial batch)."""
    if not bucket_width:
        return math.ceil(len(sentences) / batch_size)
    buckets = np.bincount(np.searchsorted(_boundaries(sentences, bucket_width),
                                          [len(s.tokens) for s in sentences], side="right"))
    return int(sum(math.ceil(n / batch_size) for n in buckets))


def _hparams(params) -> HParams:
    if isinstance(params, HParams):
        return params
    names = set(HParams.describe_names())
    return HParams.from_dict({k: v for k, v in params.items() if k in names}, source="params")


def _sentences(source: Source, hp: HParams) -> List[conll.Sentence]:
    if isinstance(source, str):
        return conll.read_conll(source, hp.tag_scheme, hp.tag_encoding)
    return list(source)


def _dataset(sentences: Sequence[conll.Sentence]) -> tf.data.Dataset:
    lengths = [len(s.tokens) for s in sentences]
    words = tf.RaggedTensor.from_row_lengths([t for s in sentences for t in s.tokens], lengths)
    tags = tf.RaggedTensor.from_row_lengths([t for s in sentences for t in s.tags], lengths)
    dataset = tf.data.Dataset.from_tensor_slices((words, tags))
    return dataset.map(lambda w, t: ({"words": w, "nwords": tf.size(w)}, t),
                       num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _boundaries(sentences, bucket_width):
    longest = max(len(s.tokens) for s in sentences)
    # Past 100 tokens sentences are rare; they share the last bucket rather than add near-empty ones.
    return list(range(bucket_width, min(longest, 100) + 1, bucket_width))


_PADDING = ({"words": "", "nwords": 0}, "O")
_SHAPES = ({"words": [None], "nwords": []}, [None])


def _batch(dataset, sentences, batch_size, bucket_width):
    if not bucket_width:
        return dataset.padded_batch(batch_size, padded_shapes=_SHAPES, padding_values=_PADDING)
    boundaries = _boundaries(sentences, bucket_width)
    return dataset.bucket_by_sequence_length(
        element_length_func=lambda features, _: features["nwords"],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padded_shapes=_SHAPES, padding_values=_PADDING)
