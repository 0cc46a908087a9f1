"""Interruption of real processes: SIGTERM during training then the same job again; SIGKILL during training
and during export.

Spot reclaims, StopTrainingJob and `kill` give a training process SIGTERM: it must checkpoint and exit 143,
and the restarted job must continue from that checkpoint (global step continues, no epoch repeated from
zero) and finish with an export. SIGKILL gives no warning at all (and under the managed TensorFlow container
a stop reaches script mode only as that): training loses at most ``checkpoint_secs`` of steps, and whatever
moment it lands in an export, no numeric version folder may look complete unless it is complete.
"""
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from support.cluster_harness import entry_command, entry_env, host_dir
from support.processes import read_until, sigterm_after
from support.synthetic import synthetic_sentences, write_conll

from ner_tagger.job import interruption

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEP = re.compile(r"train: step=(\d+)/")


def _env():
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    return env


def _spot_job(tmp_path):
    """The script-mode entry point as the toolkit starts it, on a fake ``/opt/ml`` with ``checkpoints/`` (a
    job with ``checkpoint_s3_uri``, what a managed spot job needs to resume): its command and environment."""
    data = tmp_path / "data"
    data.mkdir()
    write_conll(data / "train.txt", synthetic_sentences(200, 1))
    write_conll(data / "dev.txt", synthetic_sentences(30, 2))
    base = host_dir(tmp_path, "opt_ml", data, checkpoints=True)
    return base, entry_command(max_steps=260, eval_every_steps=100, log_every_steps=10), entry_env(base)


def test_sigterm_mid_run_checkpoints_exits_143_and_the_restarted_job_resumes_and_exports(tmp_path):
    import tensorflow as tf

    base, command, env = _spot_job(tmp_path)
    first = subprocess.Popen(command, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    # Past the periodic checkpoint at 100 and the dev evaluation there, so the signal lands mid-epoch.
    log = sigterm_after(first, r"train: step=1[3-9]0/", timeout=180)
    assert first.returncode == interruption.EXIT_CODE == 143, log[-3000:]
    stopped = int(re.search(r"interruption: checkpoint \S+ at step (\d+); exiting", log).group(1))
    assert stopped >= 130
    checkpoints = base / "checkpoints"  # the folder SageMaker syncs to checkpoint_s3_uri
    assert tf.train.latest_checkpoint(str(checkpoints)).endswith(f"model.ckpt-{stopped}")
    assert not os.listdir(base / "model")  # interrupted: no export, no half-written version

    # The restarted job: the same command on the same /opt/ml (SageMaker restores checkpoints/ first).
    second = subprocess.run(command, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300)
    log2 = second.stdout + second.stderr
    assert second.returncode == 0, log2[-3000:]
    assert f"resuming from {checkpoints}{os.sep}model.ckpt-{stopped} (global step {stopped})" in log2
    steps = [int(s) for s in STEP.findall(log2)]
    assert steps and min(steps) > stopped and max(steps) == 260  # continued, not restarted from zero
    versions = [n for n in os.listdir(base / "model") if n.isdigit()]
    assert len(versions) == 1
    assert (base / "model" / versions[0] / "saved_model.pb").is_file()


def _timed_lines(proc):
    """``[(arrival time, line)]`` of ``proc``'s output, filled by a reader thread (returned too)."""
    lines = []

    def pump():
        for line in proc.stdout:
            lines.append((time.monotonic(), line))
    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    return lines, reader


def _newest_checkpoint_step(folder):
    """The step of the checkpoint the ``checkpoint`` state file names (what the estimator resumes from)."""
    with open(os.path.join(folder, "checkpoint"), encoding="utf-8") as fh:
        return int(re.search(r'^model_checkpoint_path: "model\.ckpt-(\d+)"', fh.read(), re.M).group(1))


# What a save may trail the time bound by: the step it waits for, the save itself, the pipe (a step and a
# save of this model take a few hundredths of a second).
SAVE_SLACK_SECS = 1.5


def test_sigkill_at_a_random_moment_of_script_mode_training_loses_at_most_checkpoint_secs(tmp_path):
    """With no periodic checkpoint in reach (eval_every_steps far away), a SIGKILL at a random moment must
    find a checkpoint no older than ``checkpoint_secs`` of training: every step logged more than that (and
    the slack of one save) before the kill is in the newest checkpoint."""
    secs = 2
    base, _, env = _spot_job(tmp_path)
    command = entry_command(max_steps=1000000, eval_every_steps=1000000, log_every_steps=5, checkpoint_secs=secs)
    proc = subprocess.Popen(command, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines, reader = _timed_lines(proc)
    try:
        deadline = time.monotonic() + 180
        while not any(STEP.search(line) for _, line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(text for _, text in lines)[-3000:]
            time.sleep(0.05)
        time.sleep(random.uniform(3 * secs, 6 * secs))
        proc.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=30)
    log = "".join(line for _, line in lines)
    progress = [(t, int(STEP.search(line).group(1))) for t, line in lines if STEP.search(line)]
    saved = _newest_checkpoint_step(base / "checkpoints")
    covered = max((step for t, step in progress if t <= killed - secs - SAVE_SLACK_SECS), default=0)
    last = progress[-1][1]
    rate = (last - progress[0][1]) / max(progress[-1][0] - progress[0][0], 1e-9)
    print(f"\nSIGKILL at step ~{last}: newest checkpoint step {saved}, {last - saved} steps lost "
          f"({(last - saved) / max(rate, 1e-9):.1f} s at {rate:.0f} steps/s; checkpoint_secs={secs})")
    assert covered > 0 and f"checkpoint_secs={secs}" in log, log[-3000:]  # time-bounded saves did happen
    assert saved >= covered, (saved, covered, log[-3000:])


# A child that loads TensorFlow and the trained estimator once, then, for each line on its stdin, forks an
# exporter that exports the shared trained checkpoint over and over, says the exporter's pid, and says
# "reaped" once the test has SIGKILLed it. Forking is what makes many kill points affordable: a fresh
# process per kill point spent ~4 CPU-s importing TensorFlow before it could be killed. Nothing of the
# TensorFlow runtime exists before the fork (no session, no eager op), so each exporter starts its own.
EXPORT_FORKER = textwrap.dedent("""
    import os, sys
    from ner_tagger.job import estimator_run, export, hooks
    from ner_tagger.hparams import HParams
    model_dir, export_dir = sys.argv[1], sys.argv[2]
    hp = HParams.from_json_file(os.path.join(model_dir, "params.json"))
    params = dict(hp.to_dict(), vocab_dir=os.path.join(model_dir, "vocab"))
    estimator = estimator_run.make_estimator(hp, model_dir, params)
    checkpoint = hooks.best_checkpoint(model_dir)
    forker = os.getpid()
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                while os.getppid() == forker:  # an exporter never outlives the forker (a failed test kills it)
                    export.export_model(estimator, checkpoint, export_dir, params)
            finally:
                os._exit(1)
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("reaped", flush=True)
""")

# Kill points as fractions of one export's time, measured first on this machine (1.5 s here when quiet, 2.3 s
# with two busy cores beside it): the kills land all through an export, its last steps, and the next one.
KILL_AT = (0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.85, 0.95, 1.05, 1.2)


def _files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)


def test_sigkill_at_any_moment_of_an_export_leaves_no_incomplete_version(trained, tmp_path):
    from ner_tagger.job import export
    from ner_tagger.serving import core

    model_dir = str(trained["root"] / "ckpt")
    reference = _files(core.latest_version(str(trained["export"])))
    export_dir = tmp_path / "export"
    forker = subprocess.Popen([sys.executable, "-c", EXPORT_FORKER, model_dir, str(export_dir)], env=_env(),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def exporter():
        forker.stdin.write("export\n")
        forker.stdin.flush()
        return int(read_until(forker, r"^\d+$", timeout=120)[-1]), time.monotonic()

    def kill(pid):
        os.kill(pid, signal.SIGKILL)
        read_until(forker, r"^reaped", timeout=30)

    mid_export = 0
    try:
        pid, forked = exporter()
        deadline = forked + 120
        while not (export_dir.exists() and any(n.isdigit() for n in os.listdir(export_dir))):
            # One whole export (its time sets the kill points), polled: a forked exporter that hung would
            # never print, and a blocking read would then hang the test.
            assert time.monotonic() < deadline, "the first forked export did not finish in 120 s"
            time.sleep(0.02)
        one_export = time.monotonic() - forked
        kill(pid)
        for fraction in KILL_AT:
            pid, forked = exporter()
            time.sleep(max(0.0, forked + fraction * one_export - time.monotonic()))
            kill(pid)
            names = os.listdir(export_dir)
            mid_export += any(n.startswith(f"{export.STAGING_PREFIX}{pid}-") for n in names)  # its staging
            for name in names:
                if name.isdigit():  # a numeric folder must be whole: the same files as a finished export
                    assert _files(export_dir / name) == reference, (fraction, name)
    finally:
        forker.kill()
        forker.wait()
    assert mid_export >= 3  # the kills did land inside exports, not only between them
    # Whatever the kills left behind, the next export cleans the staging debris and lands whole.
    estimator, checkpoint, params = _estimator_args(trained)
    final = export.export_model(estimator, checkpoint, str(export_dir), params)
    assert _files(final) == reference
    assert not [n for n in os.listdir(export_dir) if n.startswith(export.STAGING_PREFIX)]
    assert core.latest_version(str(export_dir)) == final


def _estimator_args(trained):
    from ner_tagger.job import estimator_run, hooks

    hp = trained["hparams"]
    model_dir = str(trained["root"] / "ckpt")
    params = dict(hp.to_dict(), vocab_dir=os.path.join(model_dir, "vocab"))
    return estimator_run.make_estimator(hp, model_dir, params), hooks.best_checkpoint(model_dir), params
