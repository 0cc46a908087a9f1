"""The estimator stage of a job: the ``tf.estimator.Estimator`` for this run, and training it to the step
budget with dev evaluation on the way (in the training session where it can, else ``train_and_evaluate``).

What comes before (data, vocabularies) and after (export, report) is :mod:`ner_tagger.job.runner`'s.
"""
import logging
import os
from typing import Sequence

import tensorflow as tf

from ner_tagger.corpus.dataset import Dataset
from ner_tagger.hparams import HParams
from ner_tagger.job import hooks, in_session_eval, summaries
from ner_tagger.model import input_fns
from ner_tagger.model.model_fn import model_fn

log = logging.getLogger("ner_tagger")


def log_resume_point(model_dir: str) -> None:
    """Say where a restarted run picks up: the estimator restores the newest checkpoint silently."""
    latest = tf.train.latest_checkpoint(model_dir)
    if latest:
        log.info("train: resuming from %s (global step %d)", latest, int(latest.rsplit("-", 1)[-1]))
    else:
        log.info("train: no checkpoint in %s; starting at global step 0", model_dir)


def make_estimator(hp: HParams, model_dir: str, params: dict) -> tf.estimator.Estimator:
    config = tf.estimator.RunConfig(model_dir=model_dir, tf_random_seed=hp.seed,
                                    save_checkpoints_steps=hp.eval_every_steps, save_checkpoints_secs=None,
                                    keep_checkpoint_max=hp.keep_checkpoint_max, log_step_count_steps=None,
                                    save_summary_steps=hp.log_every_steps,
                                    # The graph holds the data as constants: writing it out as text with
                                    # every checkpoint cost ~7 s at start and ~1 s per checkpoint on
                                    # WNUT-17, and nothing reads it (resuming rebuilds the graph).
                                    checkpoint_save_graph_def=False)
    config = config.replace(session_config=session_config(hp, config))
    return tf.estimator.Estimator(model_fn=model_fn, config=config, params=params)


def session_config(hp: HParams, config: tf.estimator.RunConfig) -> tf.compat.v1.ConfigProto:
    """Our thread counts on top of what ``RunConfig`` chose without a session config of its own.

    In a cluster (``TF_CONFIG``) ``RunConfig`` sets ``device_filters`` so that a master or worker talks
    only to the ps tasks and itself, but only when no session config is given: a plain custom config would
    drop them, and a worker's session would then wait on every task of the cluster (the master, the other
    workers, a restarted or finished one). One process keeps the plain config it was benchmarked with.
    """
    session = tf.compat.v1.ConfigProto()
    if config.session_config is not None:
        session.CopyFrom(config.session_config)
    session.intra_op_parallelism_threads = hp.intra_op_threads
    session.inter_op_parallelism_threads = hp.inter_op_threads
    return session


def total_steps(hp: HParams, train) -> tuple:
    per_epoch = input_fns.steps_per_epoch(train, hp.batch_size, hp.bucket_width)
    steps = hp.max_steps or hp.epochs * per_epoch
    return steps, per_epoch


def train_and_evaluate(estimator, hp: HParams, data: Dataset, params: dict,
                       extra_hooks: Sequence = ()) -> list:
    """Train to the step budget, evaluating on dev every ``eval_every_steps``; returns the evaluations.

    With ``hp.tensorboard_dir`` the chief also writes the TensorBoard summaries SageMaker collects there
    (:mod:`ner_tagger.job.summaries`)."""
    folder = summaries.SummaryFolder(hp.tensorboard_dir) if hp.tensorboard_dir and estimator.config.is_chief \
        else None
    if folder:
        log.info("train: TensorBoard summaries in %s", hp.tensorboard_dir)
        extra_hooks = [*extra_hooks, summaries.TrainSummaryHook(folder, hp.log_every_steps, hp.learning_rate)]
    on_record = (lambda step, result: folder.scalars(summaries.EVAL, step, result)) if folder else None
    try:
        return _train_and_evaluate(estimator, hp, data, params, extra_hooks, on_record)
    finally:
        if folder:
            folder.close()


def _train_and_evaluate(estimator, hp: HParams, data: Dataset, params: dict, extra_hooks: Sequence,
                        on_record) -> list:
    steps, per_epoch = total_steps(hp, data.train)
    in_session = evaluates_in_session(estimator, hp)
    log.info("train: %d steps (%d per epoch, batch %d); evaluating every %d steps (%s); checkpoints every %d "
             "steps%s", steps, per_epoch, hp.batch_size, hp.eval_every_steps,
             "in the training session" if in_session else "tf.estimator", hp.eval_every_steps,
             f" and at least every {hp.checkpoint_secs} s" if hp.checkpoint_secs else "")
    training_hooks = [hooks.ProgressHook(hp.log_every_steps, steps, per_epoch), *extra_hooks]
    config = estimator.config
    if hp.checkpoint_secs and config.is_chief:
        # In place of the estimator's own saver (only the chief saves, as with that one).
        training_hooks.append(hooks.CheckpointSaver(estimator.model_dir, config.save_checkpoints_steps,
                                                    hp.checkpoint_secs, config.checkpoint_save_graph_def))
    index, count = task_share(estimator.config)
    if count > 1:
        # Every count-th sentence from the index-th (tf.data's shard on a corpus, Python on a list).
        share = len(range(index, len(data.train), count))
        log.info("train: task %d of %d training tasks reads %d of the %d training sentences", index, count,
                 share, len(data.train))
    train_input = lambda: input_fns.train_input_fn(data.train, params, task=(index, count))  # noqa: E731
    dev = data.dev
    if isinstance(dev, list):
        # Sorted by length, each evaluation batch pads little: a fifth less time per evaluation on WNUT-17's
        # dev set than file order, for the same scores (they are sums over the whole set).
        dev = sorted(dev, key=lambda sentence: len(sentence.tokens))
    if in_session:
        keeper = hooks.BestCheckpoint(estimator.model_dir, on_record)
        evaluation = in_session_eval.DevEvaluationHook(dev, params, hp.eval_every_steps, keeper,
                                                      estimator.eval_dir(), hp.early_stopping_patience)
        estimator.train(train_input, max_steps=steps, hooks=training_hooks + [evaluation])
        return keeper.history
    if hp.early_stopping_patience:
        os.makedirs(estimator.eval_dir(), exist_ok=True)
        training_hooks.append(tf.estimator.experimental.stop_if_no_increase_hook(
            estimator, "f1", max_steps_without_increase=hp.early_stopping_patience * hp.eval_every_steps,
            min_steps=hp.eval_every_steps, run_every_secs=None, run_every_steps=hp.eval_every_steps))
    exporter = hooks.BestCheckpointExporter(estimator.model_dir, on_record)
    train_spec = tf.estimator.TrainSpec(train_input, max_steps=steps, hooks=training_hooks)
    eval_spec = tf.estimator.EvalSpec(lambda: input_fns.eval_input_fn(dev, params), steps=None,
                                      exporters=[exporter], start_delay_secs=0, throttle_secs=0)
    tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)
    return exporter.history


def task_share(config) -> tuple:
    """(index, count) of this process among the training tasks (master/chief and workers, not ps).

    Parameter-server workers train asynchronously on one global step budget; each reading all of the data
    in the same seeded order would see every batch N times and the job only 1/N of its planned data.
    ``RunConfig`` numbers the chief (``master``) 0 and the workers 1..N-1.
    """
    count = config.num_worker_replicas or 1
    if count <= 1:
        return 0, 1
    return config.global_id_in_cluster, count


def evaluates_in_session(estimator, hp: HParams) -> bool:
    """In-session dev evaluation serves one process without weight averaging.

    Distributed runs evaluate through ``train_and_evaluate`` (its evaluator reads the chief's checkpoints);
    averaged weights are read back by the evaluation graph's saver, which the training graph has no
    equivalent of.
    """
    config = estimator.config
    return not hp.ema_decay and not config.cluster_spec.as_dict()


