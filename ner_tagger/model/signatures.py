"""``serving_input_fn``: what the exported SavedModel accepts.

Three signatures share one graph (features are ``placeholder_with_default`` chains, so each signature
feeds the tensor it names and the rest fall back to being computed):

- ``serving_default``: ``tokens`` string ``[batch, time]`` padded with ``""``; lengths are counted.
- ``tokens_lengths``: ``tokens`` plus ``lengths`` int32 ``[batch]`` (for tokens that may be ``""``).
- ``text``: ``text`` string ``[batch]``, one sentence each, split in the graph (``text.split_text``).

Every signature returns ``tokens``, ``tags``, ``scores`` (per-token marginal probability of the chosen
tag), ``sequence_score`` (probability of the whole path), ``lengths`` and ``tag_ids``.

Each also has a tags-only twin, ``tags`` (for ``serving_default``), ``text_tags`` and ``tokens_lengths_tags``:
same inputs, outputs ``tokens``, ``tags``, ``tag_ids`` and ``lengths`` only, so the CRF's forward-backward
pass (the scores) is not run. Exports made before these existed lack them; callers fall back to the full one.
"""
import tensorflow as tf

from ner_tagger.model.text import split_text

# The names are the serving core's, which callers without TensorFlow (the TF Serving handler) use too.
from ner_tagger.serving.core import TAGS_OUTPUT, TEXT, TOKENS_LENGTHS, tags_only  # noqa: F401

TAGS_ONLY_OUTPUTS = ("tokens", "tags", "tag_ids", "lengths")


def serving_input_fn() -> tf.estimator.export.ServingInputReceiver:
    text = tf.compat.v1.placeholder_with_default(tf.constant([], tf.string), [None], name="text")
    tokens = tf.compat.v1.placeholder_with_default(split_text(text), [None, None], name="tokens")
    counted = tf.reduce_sum(tf.cast(tf.not_equal(tokens, ""), tf.int32), axis=1)
    lengths = tf.compat.v1.placeholder_with_default(counted, [None], name="lengths")
    features = {"words": tokens, "nwords": lengths}
    return tf.estimator.export.ServingInputReceiver(
        features, {"tokens": tokens},
        receiver_tensors_alternatives={TEXT: {"text": text},
                                       TOKENS_LENGTHS: {"tokens": tokens, "lengths": lengths}})
