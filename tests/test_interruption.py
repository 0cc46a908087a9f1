"""SIGTERM (spot interruption, StopTrainingJob) during training: checkpoint, then exit 143.

A real entry-point process under a fake ``/opt/ml`` with ``checkpoints/``; no periodic checkpoint falls in
the window, so the only checkpoint after the signal is the hook's.
"""
import os
import re
import signal
import subprocess
import sys

import pytest
import tensorflow as tf
from conftest import TINY, sigterm_after, synthetic_sentences, write_conll

from ner_tagger import interruption

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _start(tmp_path):
    base = tmp_path / "opt_ml"
    channel = base / "input" / "data" / "training"
    channel.mkdir(parents=True)
    for folder in ("checkpoints", "model", "output/data"):
        (base / folder).mkdir(parents=True, exist_ok=True)
    write_conll(channel / "train.txt", synthetic_sentences(200, 1))
    write_conll(channel / "dev.txt", synthetic_sentences(30, 2))
    env = dict(os.environ, SAGEMAKER_BASE_DIR=str(base), SM_CHANNEL_TRAINING=str(channel),
               SM_MODEL_DIR=str(base / "model"), SM_OUTPUT_DATA_DIR=str(base / "output" / "data"),
               SM_HPS="{}", PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    flags = dict(TINY, max_steps=100000, eval_every_steps=100000, log_every_steps=20)
    argv = [a for k, v in flags.items() for a in (f"--{k}", str(v))]
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "sagemaker_entry", "train_entry.py"), *argv,
                             "--model_dir", "s3://bucket/job/model"], env=env, cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, base


def test_sigterm_saves_a_checkpoint_and_exits_143(tmp_path):
    proc, base = _start(tmp_path)
    log = sigterm_after(proc, r"train: step=40/", timeout=120, wait=60)  # training well under way
    assert proc.returncode == interruption.EXIT_CODE == 143, log[-3000:]
    step = int(re.search(r"interruption: checkpoint \S+ at step (\d+); exiting", log).group(1))
    assert step >= 40
    latest = tf.train.latest_checkpoint(str(base / "checkpoints"))
    assert latest and latest.endswith(f"model.ckpt-{step}")
    assert not os.listdir(base / "model")  # interrupted: no export, no half-written version


def test_hook_is_inert_until_signalled():
    hook = interruption.SigtermCheckpointHook("/nonexistent")
    previous = signal.getsignal(signal.SIGTERM)
    with hook.installed():
        assert signal.getsignal(signal.SIGTERM) == hook._on_sigterm
        assert hook.requested is False
        hook.after_run(None, None)  # no signal: nothing to do
    assert signal.getsignal(signal.SIGTERM) == previous
