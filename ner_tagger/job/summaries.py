"""TensorBoard summaries in a folder of their own (``hp.tensorboard_dir``), for SageMaker to collect.

The estimator writes its own summaries into ``<model_dir>`` and the dev evaluations into
``<model_dir>/eval``; in a SageMaker job ``model_dir`` is a checkpoint folder that TensorBoardOutputConfig
does not look at (and which holds checkpoints nobody wants uploaded every few seconds). This module writes
the figures a user watches into the folder SageMaker does collect
(:attr:`ner_tagger.sagemaker.environment.MLPaths.tensorboard`), one run a subfolder so TensorBoard draws
train and dev loss on one chart:

- ``train/``: ``loss`` (mean training loss over the last ``log_every_steps`` steps) and ``learning_rate``;
- ``eval/``: every figure of a dev evaluation (``f1``, ``precision``, ``recall``, ``f1/<type>``, ``loss``),
  from in-session evaluation and from ``train_and_evaluate``'s alike (both report through
  :class:`ner_tagger.job.hooks.BestCheckpoint`).

Each write is flushed: SageMaker uploads the files as they grow, so what is not flushed is not seen.
"""
import os
from typing import Dict

import tensorflow as tf

TRAIN, EVAL = "train", "eval"


class SummaryFolder:
    """Scalar summaries under ``<root>/<run>/`` (one event file a run), written as plain event protos."""

    def __init__(self, root: str):
        self.root = root
        self._writers = {}

    def scalars(self, run: str, step: int, values: Dict[str, float]) -> None:
        writer = self._writer(run)
        summary = tf.compat.v1.Summary(value=[tf.compat.v1.Summary.Value(tag=tag, simple_value=float(value))
                                              for tag, value in values.items()])
        writer.add_summary(summary, step)
        writer.flush()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def _writer(self, run: str):
        if run not in self._writers:
            # FileWriter refuses to be created while executing eagerly (train_and_evaluate's exporter is
            # called outside the training graph); once made, adding protos to it works anywhere.
            with tf.Graph().as_default():
                self._writers[run] = tf.compat.v1.summary.FileWriter(os.path.join(self.root, run))
        return self._writers[run]


class TrainSummaryHook(tf.estimator.SessionRunHook):
    """Every ``every_steps`` steps (and at the end): the mean training loss since the last write, and the
    learning rate (constant: Adam's ``learning_rate``; summarised so trials of a tuning job compare)."""

    def __init__(self, folder: SummaryFolder, every_steps: int, learning_rate: float):
        self._folder, self._every, self._learning_rate = folder, every_steps, learning_rate

    def begin(self):
        self._loss = tf.compat.v1.get_default_graph().get_tensor_by_name("progress/loss:0")
        self._global_step = tf.compat.v1.train.get_global_step()
        self._sum, self._count, self._step = 0.0, 0, None

    def before_run(self, run_context):
        return tf.estimator.SessionRunArgs({"loss": self._loss, "step": self._global_step})

    def after_run(self, run_context, run_values):
        # The step fetched is the one before this run's increment: this run's loss belongs to step + 1.
        self._step = int(run_values.results["step"]) + 1
        self._sum += float(run_values.results["loss"])
        self._count += 1
        if self._step % self._every == 0:
            self._write()

    def end(self, session):
        if self._count:
            self._write()

    def _write(self):
        self._folder.scalars(TRAIN, self._step, {"loss": self._sum / self._count,
                                                 "learning_rate": self._learning_rate})
        self._sum, self._count = 0.0, 0
