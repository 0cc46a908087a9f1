"""Predictions from an exported SavedModel: tags, per-token scores and entities with character spans.

Used by ``evaluate``, ``predict``, the report at the end of training and the ``serve`` HTTP server; it needs
only the export folder (vocabularies are inside the graph, hyperparameters in ``assets.extra``).

The export is an estimator's (a TF1 SavedModel), so it is loaded as one: its graph into a session, one
callable per signature. Against ``tf.saved_model.load`` (which rebuilds every signature as a TF2 function)
loading took 0.24 s instead of 1.7-2.0 s and a one-sentence call lost its function-call overhead
(docs/benchmark.md, "Loading the export as a session").
"""
import logging
from typing import Dict, List, Sequence

import numpy as np
import tensorflow as tf

from ner_tagger.serving import core
from ner_tagger.serving.core import TEXT, TOKENS_LENGTHS


class Predictor:
    """``Predictor.load(path)`` then ``predict_tokens`` / ``predict_text``; each returns one dict a sentence
    (:func:`ner_tagger.serving.answers.sentence_answer`: tokens, IOB2 tags, scores, entities with character spans).
    The session takes its thread pools from the process (``tf.config.threading``), set before the load.

    Thread-safe, so ``serve``'s request threads share one: a call keeps its state in its own frame, the
    callables are fixed at load, and a session runs concurrent steps (releasing the GIL while it does)."""

    def __init__(self, version_dir: str, batch_size: int = 128):
        self.version_dir = version_dir
        self.params = core.read_params(version_dir)
        self.encoding = self.params["tag_encoding"]
        self.batch_size = batch_size
        self._session = tf.compat.v1.Session(graph=tf.Graph())
        meta_graph = _load(self._session, version_dir)
        signatures = meta_graph.signature_def
        self.has_tags_only = core.tags_only(TOKENS_LENGTHS) in signatures
        self._calls = {}  # (signature, scores wanted) -> callable
        for name in (TOKENS_LENGTHS, TEXT):
            for scores in (True, False):
                chosen = core.signature(name, scores, signatures)
                self._calls[name, scores] = _Call(self._session, signatures[chosen])

    @classmethod
    def load(cls, path: str, batch_size: int = 128) -> "Predictor":
        """``path``: an export folder (its newest numeric version is used) or a version folder."""
        return cls(core.latest_version(path), batch_size)

    def predict_tokens(self, sentences: Sequence[Sequence[str]], scores: bool = True) -> List[Dict]:
        """Tag pre-tokenised sentences; character spans refer to the tokens joined by single spaces.
        ``scores=False``: answers without scores, from the signature that does not compute them."""
        run = self._calls[TOKENS_LENGTHS, scores]

        def predict(batch):
            tokens, lengths = core.padded(batch)
            out = run(tokens=np.array(tokens, dtype=object), lengths=np.array(lengths, np.int32))
            return core.tokens_answers(batch, out, scores, self.encoding)

        return core.by_length([list(s) for s in sentences], self.batch_size, predict)

    def predict_text(self, texts: Sequence[str], scores: bool = True) -> List[Dict]:
        """Tag raw sentences (split in the graph); character spans refer to each input string.
        ``scores=False`` as for :meth:`predict_tokens`."""
        run = self._calls[TEXT, scores]

        def predict(batch):
            out = run(text=np.array(batch, dtype=object))
            return core.text_answers(batch, out, scores, self.encoding)

        return core.by_length(list(texts), self.batch_size, predict)


def _load(session, version_dir: str):
    """The export's graph and variables into ``session``. TensorFlow logs that this loader is deprecated in
    favour of ``tf.saved_model.load``, which would rebuild the TF1 graph as TF2 functions at several times the
    cost; the warning is kept out of every ``predict``, ``serve`` and job log."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return tf.compat.v1.saved_model.loader.load(session, [tf.saved_model.SERVING], version_dir)
    finally:
        logger.setLevel(level)


class _Call:
    """One signature as a session callable: inputs by the signature's names, outputs as numpy arrays by name.
    The callable prunes the graph to the signature once, at the first call, not at every call."""

    def __init__(self, session, signature):
        self._inputs = sorted(signature.inputs)
        self._outputs = sorted(signature.outputs)
        self._run = session.make_callable([signature.outputs[k].name for k in self._outputs],
                                          [signature.inputs[k].name for k in self._inputs])

    def __call__(self, **inputs) -> Dict[str, np.ndarray]:
        return dict(zip(self._outputs, self._run(*[inputs[k] for k in self._inputs])))
