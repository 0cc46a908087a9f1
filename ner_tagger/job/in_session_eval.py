"""Dev-set evaluation inside the training session.

``tf.estimator.train_and_evaluate`` evaluates by building a second graph, opening a session and restoring
the checkpoint it has just saved. On WNUT-17's dev set that rebuild is most of each evaluation, and at two
evaluations an epoch it costs more than a third of the training wall time. This hook instead adds the dev
pass to the training graph once (the same layers, dropout off) and runs it in the training session every
``eval_every_steps`` steps. Each evaluation logs the same ``eval:`` line, writes the same TensorBoard
figures to ``<model_dir>/eval``, keeps the best checkpoint and applies early stopping, as the estimator's
path does; estimator_run.py uses that path only where this one cannot run (distribution, weight averaging).
"""
import logging
import os
from typing import Sequence, Union

import tensorflow as tf

from ner_tagger.corpus import conll
from ner_tagger.corpus.shards import Corpus
from ner_tagger.hparams import HParams
from ner_tagger.job.hooks import BestCheckpoint
from ner_tagger.model import crf, input_fns, metrics, network

log = logging.getLogger("ner_tagger")


class DevEvaluationHook(tf.estimator.SessionRunHook):
    """Evaluates ``sentences`` every ``every_steps`` global steps and once more at the end of training.

    Batches follow the order given (sorted by length, they pad least). A job's dev set is a
    :class:`~ner_tagger.corpus.shards.Corpus`, streamed from its shard: no dev constants in the training graph."""

    def __init__(self, sentences: Union[Sequence[conll.Sentence], Corpus], params: dict, every_steps: int,
                 keeper: BestCheckpoint, eval_dir: str, patience: int = 0):
        """``patience``: stop training after this many evaluations without a better dev F1 (0: never)."""
        self._sentences, self._params, self._every, self._keeper = sentences, params, every_steps, keeper
        self._hp = HParams.from_params(params)
        self._eval_dir, self._patience = eval_dir, patience

    def begin(self):
        net = network.of_graph()
        self._collector = metrics.Collector(self._hp.tag_encoding, net.vocab.entity_types)
        with tf.name_scope("dev_evaluation"):
            # One pass is a fixed number of batches, so the iterator repeats instead of being
            # re-initialised per evaluation (re-initialising took up to 2.7 s, waiting on the old one).
            dataset = input_fns.eval_input_fn(self._sentences, self._params)
            self._batches = input_fns.steps_per_epoch(self._sentences, self._hp.eval_batch_size, 0)
            features, gold = tf.compat.v1.data.make_one_shot_iterator(dataset.repeat()).get_next()
            lengths = tf.cast(features["nwords"], tf.int32)
            logits = net(features["words"], lengths, training=False)
            losses = crf.negative_log_likelihood(logits, net.tag_ids(gold), lengths, net.transitions)
            self._fetches = {"tags": net.tag_names(crf.best_path(logits, lengths, net.transitions)),
                             "gold": gold, "lengths": lengths, "loss_sum": tf.reduce_sum(losses)}
        self._global_step = tf.compat.v1.train.get_global_step()
        self._saver = tf.compat.v1.train.Saver(sharded=True, max_to_keep=None)
        self._writer = tf.compat.v1.summary.FileWriter(self._eval_dir)
        self._timer = tf.compat.v1.train.SecondOrStepTimer(every_steps=self._every)

    def after_create_session(self, session, coord):
        # The step a run starts (or resumes) at was evaluated by the run that reached it.
        self._timer.update_last_triggered_step(int(session.run(self._global_step)))

    def before_run(self, run_context):
        return tf.estimator.SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        # The fetched step may be read before this run's increment; the saver hook reasons the same way.
        if not self._timer.should_trigger_for_step(run_values.results + 1):
            return
        step = int(run_context.session.run(self._global_step))
        if self._timer.should_trigger_for_step(step):
            self._evaluate(run_context.session, step)
            if self._out_of_patience(step):
                log.info("eval: no better dev f1 in %d evaluations; stopping at step %d", self._patience, step)
                run_context.request_stop()

    def end(self, session):
        step = int(session.run(self._global_step))
        if self._timer.last_triggered_step() != step:
            self._evaluate(session, step)
        self._writer.close()

    def _evaluate(self, session, step):
        self._timer.update_last_triggered_step(step)
        loss_sum = 0.0
        for _ in range(self._batches):
            batch = session.run(self._fetches)
            loss_sum += float(batch["loss_sum"])
            self._collector.update(batch["gold"], batch["tags"], batch["lengths"])
        result = dict(self._collector.figures(), loss=loss_sum / len(self._sentences))
        self._summarize(step, result)
        self._keeper.record(step, result, lambda folder: self._save(session, folder, step))

    def _save(self, session, folder, step):
        prefix = self._saver.save(session, os.path.join(folder, f"model.ckpt-{step}"), write_meta_graph=False,
                                  write_state=False)
        return os.path.basename(prefix)

    def _summarize(self, step, result):
        values = [tf.compat.v1.Summary.Value(tag=key, simple_value=value) for key, value in result.items()]
        self._writer.add_summary(tf.compat.v1.Summary(value=values), step)
        self._writer.flush()

    def _out_of_patience(self, step):
        best = self._keeper.best()
        return bool(self._patience and best and step - best["step"] >= self._patience * self._every)
