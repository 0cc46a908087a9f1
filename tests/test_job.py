"""job.pipeline beyond the happy path: held-out dev, resuming, averaged weights in the export."""
import os

import numpy as np
import pytest
import tensorflow as tf
from conftest import TINY, synthetic_sentences, write_conll

from ner_tagger import conll, dataset, export, hooks, job
from ner_tagger.hparams import HParams

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def test_hold_out_is_seeded_and_disjoint():
    sentences = [conll.Sentence((f"w{i}",), ("O",), i) for i in range(100)]
    train, dev = dataset.hold_out(sentences, 0.1, seed=3)
    again, dev_again = dataset.hold_out(sentences, 0.1, seed=3)
    assert len(dev) == 10 and len(train) == 90
    assert dev == dev_again and train == again
    assert not set(s.line for s in dev) & set(s.line for s in train)


def test_resume_continues_the_global_step_and_exports_averaged_weights(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_conll(data / "train.txt", synthetic_sentences(200, 4))  # no dev file: 10% held out
    model_dir, export_dir = str(tmp_path / "ckpt"), str(tmp_path / "export")
    first = HParams.from_dict(dict(TINY, max_steps=40, eval_every_steps=20, ema_decay=0.9))
    job.pipeline(first, str(data), model_dir, export_dir)
    assert tf.train.load_checkpoint(model_dir).get_tensor("global_step") == 40

    second = HParams.from_dict(dict(TINY, max_steps=80, eval_every_steps=20, ema_decay=0.9))
    report = job.pipeline(second, str(data), model_dir, export_dir)
    assert [e["step"] for e in report["evaluations"]] == [60, 80]  # continued, not restarted from 0
    assert len([n for n in os.listdir(export_dir) if n.isdigit()]) == 2

    # The export holds the moving averages of the best checkpoint, not its raw weights.
    best = hooks.best_checkpoint(model_dir)
    reader = tf.train.load_checkpoint(best)
    name = "tag_scores/kernel"
    model = tf.saved_model.load(export.latest_version(export_dir))
    [exported] = [v.numpy() for v in model.variables if v.name.startswith(name)]
    np.testing.assert_allclose(exported, reader.get_tensor(name + "/ExponentialMovingAverage"), rtol=1e-6)
    assert not np.allclose(exported, reader.get_tensor(name))
