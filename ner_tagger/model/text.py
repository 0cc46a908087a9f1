"""Text <-> tokens, in the graph and in Python.

``normalize_words`` and ``split_text`` are TensorFlow ops so that the exported model takes raw tokens or
raw sentences and clients never handle ids. Vocabularies are built through the same ``normalize_words`` op,
so training and serving cannot disagree on what a word is.
"""
from typing import Tuple

import tensorflow as tf

from ner_tagger.corpus.text_rules import (
    SPLIT_RULES,  # TF-free, so data with offsets is split the same way
    align_tokens,  # noqa: F401 (its home is the TF-free module)
)


def split_text(text: tf.Tensor) -> tf.Tensor:
    """Split a batch of sentences ``[batch]`` into tokens ``[batch, time]``, padded with ``""``."""
    for pattern, rewrite in SPLIT_RULES:
        text = tf.strings.regex_replace(text, pattern, rewrite)
    return tf.strings.split(text).to_tensor(default_value="")


def normalize_words(words: tf.Tensor, lowercase: bool, normalize_digits: bool) -> tf.Tensor:
    """The form used for the word lookup: lowercased and digits mapped to 0, per the hyperparameters."""
    if lowercase:
        words = tf.strings.lower(words, encoding="utf-8")
    if normalize_digits:
        words = tf.strings.regex_replace(words, "[0-9]", "0")
    return words


def split_chars(words: tf.Tensor, max_chars: int) -> Tuple[tf.Tensor, tf.Tensor]:
    """Characters ``[batch, time, max_chars]`` (padded with ``""``, long words cut) and their counts."""
    chars = tf.strings.unicode_split(words, "UTF-8", errors="replace")
    counts = tf.minimum(tf.cast(chars.row_lengths(axis=-1), tf.int32), max_chars)
    shape = tf.concat([tf.shape(words, out_type=tf.int64), [max_chars]], axis=0)
    return chars.to_tensor(default_value="", shape=shape), counts
