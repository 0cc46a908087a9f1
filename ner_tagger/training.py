"""One training run: data -> vocabularies -> train_and_evaluate -> export of the best checkpoint -> report.

Everything that can be wrong with the input (files, tags, hyperparameters, embeddings) is checked before
the first step, so a bad run fails in seconds and writes nothing under the export directory.
"""
import dataclasses
import json
import logging
import os
import random
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from ner_tagger import conll, data_dir, dev_evaluation, embeddings, export, hooks, input_fns, tagging, text, vocab
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams, check_resumable
from ner_tagger.metrics import FINAL_LINE
from ner_tagger.model_fn import model_fn

log = logging.getLogger("ner_tagger")
REPORT = "eval_report.json"


@dataclasses.dataclass
class Dataset:
    train: List[conll.Sentence]
    dev: List[conll.Sentence]
    test: Optional[List[conll.Sentence]]
    files: Dict[str, Optional[str]]


def run(hparams: HParams, data_dir_path: str, model_dir: str, export_dir: str,
        output_dir: Optional[str] = None, eval_dir_path: Optional[str] = None,
        extra_hooks: Sequence = ()) -> dict:
    """Train on ``data_dir_path``, export to ``export_dir/<version>``, return (and write) the report.

    ``eval_dir_path`` is an optional separate directory (e.g. a SageMaker ``eval`` channel) holding the
    dev file. ``model_dir`` holds checkpoints; an existing one is resumed from its newest checkpoint.
    Distributed (parameter-server) training is set up by ``RunConfig`` from ``TF_CONFIG``.
    """
    started = time.time()
    data = load_data(hparams, data_dir_path, eval_dir_path)
    params = prepare_model_dir(hparams, data, model_dir)
    estimator = make_estimator(hparams, model_dir, params)
    log_resume_point(model_dir)
    history = train_and_evaluate(estimator, hparams, data, params, extra_hooks)
    if not estimator.config.is_chief:
        # Distributed training: only the chief (PS ``master``, worker 0) has the checkpoints to export.
        log.info("train: done on %s %d (not the chief; it exports)", estimator.config.task_type,
                 estimator.config.task_id)
        return {"evaluations": history, "chief": False}
    best = hooks.best_checkpoint(model_dir) or estimator.latest_checkpoint()
    version_dir = export.export_model(estimator, best, export_dir, params)
    log.info("export: %s (checkpoint %s)", version_dir, best)
    report = build_report(hparams, data, model_dir, version_dir, history, time.time() - started)
    if output_dir:
        write_json(os.path.join(output_dir, REPORT), report)
    return report


def load_data(hp: HParams, data_dir_path: str, eval_dir_path: Optional[str] = None) -> Dataset:
    train_path = data_dir.find_file(data_dir_path, hp.train_file, data_dir.TRAIN_NAMES, "train", True)
    dev_path = data_dir.find_file(eval_dir_path or data_dir_path, hp.dev_file, data_dir.DEV_NAMES, "dev",
                                  required=bool(eval_dir_path))
    test_path = data_dir.find_file(data_dir_path, hp.test_file, data_dir.TEST_NAMES, "test", False)
    train = conll.read_conll(train_path, hp.tag_scheme, hp.tag_encoding)
    if dev_path:
        dev = conll.read_conll(dev_path, hp.tag_scheme, hp.tag_encoding)
    else:
        train, dev = hold_out(train, hp.dev_fraction, hp.seed)
        log.info("data: no dev file; holding out %d of %d training sentences (seed %d)", len(dev),
                 len(train) + len(dev), hp.seed)
    test = conll.read_conll(test_path, hp.tag_scheme, hp.tag_encoding) if test_path else None
    for name, sentences in (("dev", dev), ("test", test)):
        unseen = set(tagging.entity_types(t for s in sentences or [] for t in s.tags)) - \
            set(tagging.entity_types(t for s in train for t in s.tags))
        if unseen:
            log.warning("data: %s has entity types unseen in train: %s (they count as misses)", name,
                        ", ".join(sorted(unseen)))
    log.info("data: train=%s (%d sentences) dev=%s (%d) test=%s (%s)", train_path, len(train),
             dev_path or "held-out", len(dev), test_path, len(test) if test else "-")
    return Dataset(train, dev, test, {"train": train_path, "dev": dev_path, "test": test_path})


def hold_out(sentences, fraction, seed):
    if fraction <= 0 or len(sentences) < 2:
        raise DataError("no dev file and dev_fraction=0 (or one sentence): nothing to evaluate on")
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    cut = max(1, int(round(len(sentences) * fraction)))
    dev_ids = set(order[:cut])
    return ([s for i, s in enumerate(sentences) if i not in dev_ids],
            [s for i, s in enumerate(sentences) if i in dev_ids])


def normalizer(hp: HParams):
    """Python access to the graph's word normalisation, so vocabulary and model agree byte for byte."""
    def normalize(words):
        if not words:
            return []
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
        keep = embeddings.read_words(hp.embeddings_file) if hp.embeddings_file else None
        normalize = normalizer(hp)
        if keep:
            keep = set(normalize(sorted(keep)))
        vocabulary = vocab.build(data.train, normalize, hp.min_word_count, keep)
        vocabulary.save(vocab_dir)
    if hp.embeddings_file:
        params["embeddings_npy"] = _embedding_matrix(hp, vocabulary, model_dir)
    log.info("vocab: %d words, %d chars, %d tags (%s)", len(vocabulary.words), len(vocabulary.chars),
             len(vocabulary.tags), ", ".join(vocabulary.entity_types))
    hp.save(os.path.join(model_dir, "params.json"))
    return params


def _embedding_matrix(hp, vocabulary, model_dir):
    path = os.path.join(model_dir, "embeddings.npy")
    if not os.path.isfile(path):
        matrix, found = embeddings.load_matrix(hp.embeddings_file, vocabulary.words, hp.word_dim,
                                               normalizer(hp), hp.seed)
        log.info("embeddings: %d of %d words have a pretrained vector", found, len(vocabulary.words))
        np.save(path + ".tmp.npy", matrix)
        os.replace(path + ".tmp.npy", path)
    return path


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
    """Train to the step budget, evaluating on dev every ``eval_every_steps``; returns the evaluations."""
    steps, per_epoch = total_steps(hp, data.train)
    in_session = evaluates_in_session(estimator, hp)
    log.info("train: %d steps (%d per epoch, batch %d); evaluating every %d steps (%s)", steps, per_epoch,
             hp.batch_size, hp.eval_every_steps, "in the training session" if in_session else "tf.estimator")
    training_hooks = [hooks.ProgressHook(hp.log_every_steps, steps, per_epoch), *extra_hooks]
    index, count = task_share(estimator.config)
    train = data.train
    if count > 1:
        train = input_fns.share(data.train, index, count)
        log.info("train: task %d of %d training tasks reads %d of the %d training sentences", index, count,
                 len(train), len(data.train))
    train_input = lambda: input_fns.train_input_fn(train, params)  # noqa: E731
    # Sorted by length, each evaluation batch pads little: a fifth less time per evaluation on WNUT-17's
    # dev set than file order, for the same scores (they are sums over the whole set).
    dev = sorted(data.dev, key=lambda sentence: len(sentence.tokens))
    if in_session:
        keeper = hooks.BestCheckpoint(estimator.model_dir)
        evaluation = dev_evaluation.DevEvaluationHook(dev, params, hp.eval_every_steps, keeper,
                                                      estimator.eval_dir(), hp.early_stopping_patience)
        estimator.train(train_input, max_steps=steps, hooks=training_hooks + [evaluation])
        return keeper.history
    if hp.early_stopping_patience:
        os.makedirs(estimator.eval_dir(), exist_ok=True)
        training_hooks.append(tf.estimator.experimental.stop_if_no_increase_hook(
            estimator, "f1", max_steps_without_increase=hp.early_stopping_patience * hp.eval_every_steps,
            min_steps=hp.eval_every_steps, run_every_secs=None, run_every_steps=hp.eval_every_steps))
    exporter = hooks.BestCheckpointExporter(estimator.model_dir)
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


def build_report(hp, data, model_dir, version_dir, history, seconds) -> dict:
    best = hooks.BestCheckpoint(model_dir).best() or {}
    report = {"model": version_dir, "files": data.files, "train_seconds": round(seconds, 1),
              "best_step": best.get("step"), "evaluations": history,
              "dev": _evaluate(version_dir, data.dev, hp)}
    log.info("dev: %s", _summary(report["dev"]))
    if data.test:
        report["test"] = _evaluate(version_dir, data.test, hp)
        log.info("test: %s", _summary(report["test"]))
    # Last metric line of the job: SageMaker's final objective value is the exported model's dev F1.
    log.info(FINAL_LINE.format(**report["dev"]["overall"]))
    return report


def _evaluate(version_dir, sentences, hp):
    from ner_tagger.metrics import entity_report
    from ner_tagger.predictor import Predictor

    predictor = Predictor.load(version_dir)
    predicted = [r["tags"] for r in predictor.predict_tokens([list(s.tokens) for s in sentences])]
    gold = [tagging.convert(s.tags, hp.tag_encoding, "iob2") for s in sentences]
    return entity_report(gold, predicted, "iob2")


def _summary(report):
    o = report["overall"]
    return f"f1={o['f1']:.4f} precision={o['precision']:.4f} recall={o['recall']:.4f} entities={o['support']}"


def write_json(path, value):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(value, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
