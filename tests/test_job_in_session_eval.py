"""Dev evaluation inside the training session: its figures, its schedule, early stopping and TensorBoard.

The figures and the schedule are read from the shared training run (conftest ``trained``); early stopping and
resuming need runs of their own."""
import glob
import shutil

import pytest
import tensorflow as tf
from support.synthetic import TINY, TRAINED_EVAL_EVERY, TRAINED_STEPS

from ner_tagger.hparams import HParams
from ner_tagger.job import hooks, runner

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def _run(synthetic_dir, root, **overrides):
    hp = HParams.from_dict(dict(TINY, **overrides))
    return runner.pipeline(hparams=hp, data_dir=str(synthetic_dir), model_dir=str(root / "ckpt"),
                        export_dir=str(root / "export"))


def test_scores_match_the_exported_model_and_the_last_step_is_evaluated(trained):
    report = trained["report"]
    assert [e["step"] for e in report["evaluations"]] == [
        *range(TRAINED_EVAL_EVERY, TRAINED_STEPS, TRAINED_EVAL_EVERY), TRAINED_STEPS]
    assert TRAINED_STEPS % TRAINED_EVAL_EVERY  # the last step is off the schedule, evaluated all the same
    best = max(report["evaluations"], key=lambda e: e["f1"])
    assert report["best_step"] == best["step"]
    # The export is the kept checkpoint: scored again through the SavedModel, dev gives the same figures.
    for measure in ("f1", "precision", "recall"):
        assert report["dev"]["overall"][measure] == pytest.approx(best[measure], abs=1e-6)
    assert best["f1"] > 0.5
    assert {"f1/PER", "recall/LOC", "precision/ORG"} <= set(best)
    assert all(e["loss"] > 0 for e in report["evaluations"])


def test_figures_reach_tensorboard_in_the_eval_folder(trained):
    seen = {}
    for path in glob.glob(str(trained["root"] / "ckpt" / "eval" / "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                seen[(event.step, value.tag)] = value.simple_value
    for evaluation in trained["report"]["evaluations"]:
        assert seen[(evaluation["step"], "f1")] == pytest.approx(evaluation["f1"])
        assert seen[(evaluation["step"], "loss")] == pytest.approx(evaluation["loss"])


def test_early_stopping_ends_training_after_patience_evaluations_without_gain(synthetic_dir, tmp_path):
    # A learning rate this small leaves dev F1 where the first evaluation found it.
    report = _run(synthetic_dir, tmp_path, max_steps=1000, eval_every_steps=10, learning_rate=1e-7,
                  early_stopping_patience=2)
    steps = [e["step"] for e in report["evaluations"]]
    assert steps[-1] - report["best_step"] == 2 * 10
    assert tf.train.load_checkpoint(str(tmp_path / "ckpt")).get_tensor("global_step") == steps[-1] < 1000


def test_a_resumed_run_evaluates_from_where_it_left_off(trained, synthetic_dir, tmp_path):
    # The first run is a copy of the shared one (TRAINED_STEPS steps): resuming is what this test is about.
    shutil.copytree(trained["root"] / "ckpt", tmp_path / "ckpt")
    report = _run(synthetic_dir, tmp_path, max_steps=TRAINED_STEPS + 40, eval_every_steps=20)
    assert [e["step"] for e in report["evaluations"]] == [TRAINED_STEPS + 20, TRAINED_STEPS + 40]
    # The bar to beat carried over: the kept best is the best of both runs.
    assert hooks.BestCheckpoint(str(tmp_path / "ckpt")).best()["f1"] >= max(
        e["f1"] for e in report["evaluations"])
