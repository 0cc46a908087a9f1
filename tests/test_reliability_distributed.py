"""A real parameter-server job (master, worker and ps as processes on 127.0.0.1, the toolkit's environment)
that also survives losing a worker: the worker is killed (SIGKILL, as a crashed host) mid-run and started
again with the same command. The same run shows the roles, that only the chief evaluates and exports, and
that the worker outlives the master (tests/test_job_cluster.py has the roles without processes).

Every wait is bounded: a cluster that stops making progress fails the test with its logs, never hangs it."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from support.cluster_harness import PS_SERVER, cluster_env, two_host_job

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

STEP = re.compile(r"train: step=(\d+)/")
MAX_STEPS = 400  # enough for the tiny model to learn the task (the asserts on dev F1 and a prediction)
KILL_AFTER = 40  # global steps the worker trains alone (past the chief's last logged step) before its kill


class Output:
    """A process's output, read by a thread, so that waiting for a line can time out instead of hanging."""

    def __init__(self, proc):
        self.proc, self.lines = proc, []
        self._thread = threading.Thread(target=lambda: self.lines.extend(proc.stdout), daemon=True)
        self._thread.start()

    def text(self):
        return "".join(self.lines)

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((x for x in map(predicate, list(self.lines)) if x is not None), None)
            if found is not None or self.proc.poll() is not None:
                return found
            time.sleep(0.2)
        return None

    def finish(self, timeout):
        self.proc.wait(timeout=timeout)
        self._thread.join(timeout=10)
        return self.text()


def _step_at_least(minimum):
    def check(line):
        found = STEP.search(line)
        return int(found.group(1)) if found and int(found.group(1)) >= minimum else None
    return check


def test_worker_killed_and_restarted_mid_run_training_completes_and_exports(tmp_path):
    from ner_tagger.serving.exported_model import Predictor

    cluster, master, worker, argv = two_host_job(tmp_path, 40, max_steps=MAX_STEPS, eval_every_steps=1000,
                                                 log_every_steps=20)

    def start(name, base, host):
        return subprocess.Popen(argv, env=cluster_env(base, cluster, name, host), cwd=str(base),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    ps = subprocess.Popen([sys.executable, "-c", PS_SERVER], env=cluster_env(master, cluster, "ps", "algo-1"),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chief = Output(start("master", master, "algo-1"))
    procs = [ps, chief.proc]
    try:
        # The chief is frozen (SIGSTOP) from its first logged step until the restarted worker trains: the job
        # cannot reach max_steps while the worker is away, however slow the worker's start or restart is on a
        # loaded machine. Meanwhile the worker trains alone against the ps: an asynchronous ps job does not
        # wait for its chief.
        chief_at = chief.wait_for(_step_at_least(1), timeout=240)
        chief.proc.send_signal(signal.SIGSTOP)
        assert chief_at is not None, chief.text()[-3000:]
        # The worker starts once the chief has initialised the variables (it has stepped), so it finds them at
        # its first look: a non-chief that looks too early looks again only 30 s later (SessionManager's
        # recovery_wait_secs), idle time that was a third of this test.
        first = Output(start("worker", worker, "algo-2"))
        procs.append(first.proc)
        killed_at = first.wait_for(_step_at_least(chief_at + KILL_AFTER), timeout=240)
        assert killed_at is not None, first.text()[-2000:] + chief.text()[-2000:]
        first.proc.send_signal(signal.SIGKILL)
        first.finish(timeout=30)
        second = Output(start("worker", worker, "algo-2"))
        procs.append(second.proc)
        resumed_at = second.wait_for(_step_at_least(killed_at + 1), timeout=240)
        chief.proc.send_signal(signal.SIGCONT)
        assert resumed_at is not None, second.text()[-3000:]
        chief_log = chief.finish(timeout=300)
        second_log = second.finish(timeout=300)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
                proc.wait()
    first, chief, second = first.proc, chief.proc, second.proc
    assert first.returncode == -signal.SIGKILL
    assert chief.returncode == 0, chief_log[-3000:]
    assert second.returncode == 0, second_log[-3000:]
    # The roles each process took from TF_CONFIG; only the chief evaluates.
    assert "parameter_server: master 0 of 2 training tasks (chief)" in chief_log
    assert "parameter_server: worker 0 of 2 training tasks" in second_log
    assert "eval: step=" in chief_log and "not the chief" in second_log and "eval: step=" not in second_log
    # The restarted worker joined the running job: it picked up the shared global step, not step 0.
    restarted_steps = [int(s) for s in STEP.findall(second_log)]
    assert restarted_steps and min(restarted_steps) > killed_at, second_log[-3000:]
    import tensorflow as tf

    final = tf.train.latest_checkpoint(str(master / "checkpoints"))
    assert int(final.rsplit("-", 1)[1]) >= MAX_STEPS  # asynchronous workers may step just past max_steps
    # Only the chief exports, one version; its report scores the export.
    versions = [n for n in os.listdir(master / "model") if n.isdigit()]
    assert len(versions) == 1 and (master / "model" / versions[0] / "saved_model.pb").is_file()
    assert not os.listdir(worker / "model")
    report = json.loads((master / "output" / "data" / "eval_report.json").read_text())
    assert report["dev"]["overall"]["f1"] >= 0.9, report["dev"]["overall"]
    tagged = Predictor.load(str(master / "model")).predict_text(["Alice met Bob in Paris ."])[0]
    assert [(e["type"], e["text"]) for e in tagged["entities"]] == [("PER", "Alice"), ("PER", "Bob"),
                                                                   ("LOC", "Paris")]
    # The worker outlived the master: it exits only once the master's port has closed (its ps holds variables
    # the export reads; in local mode compose stops the master as soon as the worker's container exits).
    assert "waiting for master" in second_log and "is done; worker exits" in second_log
