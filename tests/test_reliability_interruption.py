"""Interruption of real processes: SIGTERM during training then the same command again; SIGKILL during export.

Spot reclaims and `kill` give a training process SIGTERM; the rerun must continue from the checkpoint the
signal left (global step continues, no epoch repeated from zero) and finish with an export. SIGKILL gives no
warning at all: whatever moment it lands in an export, no numeric version folder may look complete unless it
is complete.
"""
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import TINY, read_until, sigterm_after

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEP = re.compile(r"train: step=(\d+)/")


def _train_command(data_dir, tmp_path, max_steps):
    flags = dict(TINY, max_steps=max_steps, eval_every_steps=100, log_every_steps=10)
    return [sys.executable, "-m", "ner_tagger.train", "--data_dir", str(data_dir),
            "--model_dir", str(tmp_path / "ckpt"), "--export_dir", str(tmp_path / "export"),
            *[a for k, v in flags.items() for a in (f"--{k}", str(v))]]


def _env():
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    return env


def test_sigterm_mid_run_then_same_command_resumes_and_exports(synthetic_dir, tmp_path):
    command = _train_command(synthetic_dir, tmp_path, max_steps=260)
    first = subprocess.Popen(command, env=_env(), cwd=str(tmp_path), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    # Past the periodic checkpoint at 100 and the dev evaluation there, so the signal lands mid-epoch.
    log = sigterm_after(first, r"train: step=1[3-9]0/", timeout=180)
    assert first.returncode == 143, log[-3000:]
    stopped = int(re.search(r"interruption: checkpoint \S+ at step (\d+)", log).group(1))
    assert stopped >= 130 and "run the same command again to resume" in log
    assert not os.path.exists(tmp_path / "export") or not os.listdir(tmp_path / "export")

    second = subprocess.run(command, env=_env(), cwd=str(tmp_path), capture_output=True, text=True, timeout=300)
    log2 = second.stdout + second.stderr
    assert second.returncode == 0, log2[-3000:]
    assert f"resuming from {tmp_path / 'ckpt'}{os.sep}model.ckpt-{stopped} (global step {stopped})" in log2
    steps = [int(s) for s in STEP.findall(log2)]
    assert steps and min(steps) > stopped and max(steps) == 260  # continued, not restarted from zero
    versions = [n for n in os.listdir(tmp_path / "export") if n.isdigit()]
    assert len(versions) == 1
    assert (tmp_path / "export" / versions[0] / "saved_model.pb").is_file()


# A child that exports the shared trained checkpoint over and over, saying when each export is done.
EXPORT_LOOP = textwrap.dedent("""
    import os, sys
    from ner_tagger import estimator_run, export, hooks
    from ner_tagger.hparams import HParams
    model_dir, export_dir = sys.argv[1], sys.argv[2]
    hp = HParams.from_json_file(os.path.join(model_dir, "params.json"))
    params = dict(hp.to_dict(), vocab_dir=os.path.join(model_dir, "vocab"))
    estimator = estimator_run.make_estimator(hp, model_dir, params)
    checkpoint = hooks.best_checkpoint(model_dir)
    print("ready", flush=True)
    while True:
        print("exported", export.export_model(estimator, checkpoint, export_dir, params), flush=True)
""")


def _files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)


def test_sigkill_at_any_moment_of_an_export_leaves_no_incomplete_version(trained, tmp_path):
    from ner_tagger import export

    model_dir = str(trained["root"] / "ckpt")
    reference = _files(export.latest_version(str(trained["export"])))
    export_dir = tmp_path / "export"
    # One export takes around a second here; kill points spread over the first exports and between them.
    mid_export = 0
    for delay in (0.05, 0.3, 0.7, 1.2, 1.9, 2.6):
        child = subprocess.Popen([sys.executable, "-c", EXPORT_LOOP, model_dir, str(export_dir)], env=_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        read_until(child, r"^ready", timeout=120)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        names = os.listdir(export_dir) if export_dir.exists() else []
        mid_export += any(n.startswith(export.STAGING_PREFIX) for n in names)
        for name in names:
            if name.isdigit():  # a numeric folder must be whole: the same files as a finished export
                assert _files(export_dir / name) == reference, (delay, name)
    assert mid_export >= 2  # the kills did land inside exports, not only between them
    # Whatever the kills left behind, the next export cleans the staging debris and lands whole.
    estimator, checkpoint, params = _estimator_args(trained)
    final = export.export_model(estimator, checkpoint, str(export_dir), params)
    assert _files(final) == reference
    assert not [n for n in os.listdir(export_dir) if n.startswith(export.STAGING_PREFIX)]
    assert export.latest_version(str(export_dir)) == final


def _estimator_args(trained):
    from ner_tagger import estimator_run, hooks

    hp = trained["hparams"]
    model_dir = str(trained["root"] / "ckpt")
    params = dict(hp.to_dict(), vocab_dir=os.path.join(model_dir, "vocab"))
    return estimator_run.make_estimator(hp, model_dir, params), hooks.best_checkpoint(model_dir), params
