"""The estimator stage of a job (:mod:`ner_tagger.job.estimator_run`): the estimator's run and session
config, the step budget, what each training task reads, where dev evaluation runs, and the resume line.

Training itself is stubbed here (``estimator.train`` / ``tf.estimator.train_and_evaluate`` record what they
are handed); the real runs are the shared ``trained`` fixture, tests/test_job_in_session_eval.py and
tests/test_reliability_distributed.py."""
import json
import logging
import types

import pytest
import tensorflow as tf
from support.synthetic import TINY, synthetic_sentences

from ner_tagger.corpus import conll
from ner_tagger.corpus.dataset import Dataset
from ner_tagger.hparams import HParams
from ner_tagger.job import estimator_run, hooks, in_session_eval, model_params
from ner_tagger.model import input_fns
from ner_tagger.serving.local_server import free_ports


def _stubbed_run(hp, data, model_dir, monkeypatch):
    """``train_and_evaluate`` with training stubbed: ``{"train": kwargs of estimator.train}`` in one process,
    ``{"specs": (train_spec, eval_spec)}`` through ``tf.estimator.train_and_evaluate``."""
    params = model_params.prepare_model_dir(hp, data, model_dir)
    estimator = estimator_run.make_estimator(hp, model_dir, params)
    seen = {}
    monkeypatch.setattr(estimator, "train", lambda input_fn, **kwargs: seen.update(train=kwargs))
    monkeypatch.setattr(tf.estimator, "train_and_evaluate",
                        lambda est, train_spec, eval_spec: seen.update(specs=(train_spec, eval_spec)))
    seen["history"] = estimator_run.train_and_evaluate(estimator, hp, data, params)
    return seen


# ----- the estimator and its config -----

def test_the_run_config_follows_the_hyperparameters(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    hp = HParams.from_dict(dict(TINY, seed=7, eval_every_steps=40, keep_checkpoint_max=5, log_every_steps=10))
    config = estimator_run.make_estimator(hp, str(tmp_path), {}).config
    assert (config.model_dir, config.tf_random_seed, config.save_checkpoints_steps, config.save_checkpoints_secs,
            config.keep_checkpoint_max, config.save_summary_steps) == (str(tmp_path), 7, 40, None, 5, 10)
    assert config.checkpoint_save_graph_def is False  # nothing reads it, and writing it cost seconds a save


# ----- parameter-server tasks read disjoint shares of the training data -----

def _ps_tf_config(task_type, index=0, workers=1):
    ports = free_ports(2 + workers)
    cluster = {"master": [f"127.0.0.1:{ports[0]}"], "ps": [f"127.0.0.1:{ports[1]}"],
               "worker": [f"127.0.0.1:{p}" for p in ports[2:]]}
    return {"cluster": cluster, "environment": "cloud", "task": {"type": task_type, "index": index}}


def _sentences_read_by(task_type, index, workers, train, tmp_path, monkeypatch):
    """The ids of the sentences the training input of this task yields over two full passes' worth of
    batches (enough for every sentence of its share to appear)."""
    monkeypatch.setenv("TF_CONFIG", json.dumps(_ps_tf_config(task_type, index, workers)))
    hp = HParams.from_dict(dict(TINY, max_steps=10))
    data = Dataset(train, train[:5], None, {})
    model_dir = str(tmp_path / f"{task_type}{index}")
    params = model_params.prepare_model_dir(hp, data, model_dir)
    estimator = estimator_run.make_estimator(hp, model_dir, params)
    specs = []
    # train_and_evaluate would start a server and wait for the ps; what it is handed is what a task reads.
    monkeypatch.setattr(tf.estimator, "train_and_evaluate", lambda est, train_spec, eval_spec: specs.append(
        train_spec))
    estimator_run.train_and_evaluate(estimator, hp, data, params)
    batches = 2 * input_fns.steps_per_epoch(train, hp.batch_size, hp.bucket_width)
    seen = set()
    for features, _ in specs[0].input_fn().take(batches):
        for words in features["words"].numpy():
            seen.update(w.decode() for w in words if w.decode().startswith("id"))
    assert isinstance(train[0], conll.Sentence)
    return seen


def _unique_sentences(n):
    # Each sentence carries its own id token, so "which sentences did this task read" is a set of ids.
    return [conll.Sentence(tuple(tokens + [f"id{i}"]), tuple(tags + ["O"]), i + 1)
            for i, (tokens, tags) in enumerate(synthetic_sentences(n, 3))]


def test_parameter_server_tasks_read_disjoint_shares_that_cover_the_corpus(tmp_path, monkeypatch):
    train = _unique_sentences(120)
    everything = {f"id{i}" for i in range(len(train))}
    roles = [("master", 0), ("worker", 0), ("worker", 1)]
    seen = [_sentences_read_by(t, i, 2, train, tmp_path, monkeypatch) for t, i in roles]
    for i, one in enumerate(seen):
        for other in seen[i + 1:]:
            assert not one & other  # no sentence is read by two tasks
    assert set().union(*seen) == everything
    assert all(len(s) == len(train) // 3 for s in seen)


def test_one_process_reads_the_whole_corpus(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    train = _unique_sentences(60)
    hp = HParams.from_dict(dict(TINY, max_steps=10))
    data = Dataset(train, train[:5], None, {})
    params = model_params.prepare_model_dir(hp, data, str(tmp_path / "m"))
    estimator = estimator_run.make_estimator(hp, str(tmp_path / "m"), params)
    inputs = []
    monkeypatch.setattr(estimator, "train", lambda input_fn, **kwargs: inputs.append(input_fn))
    estimator_run.train_and_evaluate(estimator, hp, data, params)
    seen = {w.decode() for features, _ in inputs[0]().take(20) for row in features["words"].numpy()
            for w in row if w.decode().startswith("id")}
    assert seen == {f"id{i}" for i in range(len(train))}


# ----- the distributed session config keeps RunConfig's device filters -----

@pytest.mark.parametrize("task_type, index, filters", [
    ("master", 0, ["/job:ps", "/job:master"]),
    ("worker", 1, ["/job:ps", "/job:worker/task:1"])])
def test_distributed_session_config_keeps_device_filters(task_type, index, filters, tmp_path, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps(_ps_tf_config(task_type, index, workers=2)))
    hp = HParams.from_dict(dict(TINY, intra_op_threads=3, inter_op_threads=2))
    config = estimator_run.make_estimator(hp, str(tmp_path), {}).config
    # Without filters a task's session waits for every task in the cluster (a worker for the master and for
    # workers that are gone); RunConfig sets them only when it builds the session config itself.
    assert list(config.session_config.device_filters) == filters
    assert config.session_config.allow_soft_placement
    assert (config.session_config.intra_op_parallelism_threads,
            config.session_config.inter_op_parallelism_threads) == (3, 2)


def test_one_process_session_config_has_no_device_filters(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    hp = HParams.from_dict(dict(TINY, intra_op_threads=3))
    session = estimator_run.make_estimator(hp, str(tmp_path), {}).config.session_config
    assert not session.device_filters and session.intra_op_parallelism_threads == 3


# ----- the step budget, task shares, where dev evaluation runs, the resume line -----

def test_the_step_budget_is_max_steps_or_epochs_of_batches():
    train = [conll.Sentence(tuple(t), tuple(g), 1) for t, g in synthetic_sentences(100, 1)]
    by_epochs = HParams.from_dict(dict(TINY, max_steps=0, epochs=3))
    per_epoch = input_fns.steps_per_epoch(train, by_epochs.batch_size, by_epochs.bucket_width)
    assert per_epoch > 1
    assert estimator_run.total_steps(by_epochs, train) == (3 * per_epoch, per_epoch)
    assert estimator_run.total_steps(HParams.from_dict(dict(TINY, max_steps=7, epochs=3)), train) == (7, per_epoch)


@pytest.mark.parametrize("replicas, global_id, share", [(0, 0, (0, 1)), (1, 0, (0, 1)), (3, 0, (0, 3)),
                                                       (3, 2, (2, 3))])
def test_task_share_is_this_tasks_place_among_the_training_tasks(replicas, global_id, share):
    config = types.SimpleNamespace(num_worker_replicas=replicas, global_id_in_cluster=global_id)
    assert estimator_run.task_share(config) == share


@pytest.mark.parametrize("ema, cluster, expected", [
    (0.0, {}, True),
    (0.9, {}, False),
    (0.0, {"ps": ["localhost:1"], "master": ["localhost:2"]}, False),
])
def test_in_session_only_where_one_process_trains_raw_weights(ema, cluster, expected):
    config = types.SimpleNamespace(cluster_spec=tf.train.ClusterSpec(cluster))
    estimator = types.SimpleNamespace(config=config)
    assert estimator_run.evaluates_in_session(estimator, HParams.from_dict(dict(TINY, ema_decay=ema))) is expected


def _dataset(n_train=40, n_dev=12):
    train = [conll.Sentence(tuple(t), tuple(g), 1) for t, g in synthetic_sentences(n_train, 1)]
    dev = [conll.Sentence(tuple(t), tuple(g), 1) for t, g in synthetic_sentences(n_dev, 2)]
    return Dataset(train, dev, None, {})


def test_one_process_evaluates_in_session_on_dev_sorted_by_length(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    data = _dataset()
    hp = HParams.from_dict(dict(TINY, max_steps=10, checkpoint_secs=30))
    seen = _stubbed_run(hp, data, str(tmp_path / "m"), monkeypatch)
    assert "specs" not in seen and seen["train"]["max_steps"] == 10
    run_hooks = seen["train"]["hooks"]
    [evaluation] = [h for h in run_hooks if isinstance(h, in_session_eval.DevEvaluationHook)]
    # Batches pad least sorted by length; the same sentences, scores being sums over the whole set.
    assert [len(s.tokens) for s in evaluation._sentences] == sorted(len(s.tokens) for s in data.dev)
    assert sorted(evaluation._sentences, key=id) == sorted(data.dev, key=id)
    assert any(isinstance(h, hooks.CheckpointSaver) for h in run_hooks)  # checkpoint_secs: our saver
    assert seen["history"] == []  # the keeper's history: nothing evaluated with training stubbed


def test_averaged_weights_evaluate_through_train_and_evaluate_with_the_best_checkpoint_exporter(tmp_path,
                                                                                                monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    hp = HParams.from_dict(dict(TINY, max_steps=10, ema_decay=0.99, checkpoint_secs=0))
    seen = _stubbed_run(hp, _dataset(), str(tmp_path / "m"), monkeypatch)
    assert "train" not in seen
    train_spec, eval_spec = seen["specs"]
    assert train_spec.max_steps == 10
    assert not any(isinstance(h, (in_session_eval.DevEvaluationHook, hooks.CheckpointSaver))
                   for h in train_spec.hooks)
    assert [type(e) for e in eval_spec.exporters] == [hooks.BestCheckpointExporter]
    assert eval_spec.steps is None  # the whole dev set each time


@pytest.mark.slow  # the session's trained model
def test_the_resume_point_is_logged_with_its_step(trained, tmp_path, caplog):
    latest = tf.train.latest_checkpoint(str(trained["root"] / "ckpt"))
    with caplog.at_level(logging.INFO, logger="ner_tagger"):
        estimator_run.log_resume_point(str(trained["root"] / "ckpt"))
        estimator_run.log_resume_point(str(tmp_path))
    first, second = [r.getMessage() for r in caplog.records]
    assert first == f"train: resuming from {latest} (global step {int(latest.rsplit('-', 1)[1])})"
    assert second == f"train: no checkpoint in {tmp_path}; starting at global step 0"
