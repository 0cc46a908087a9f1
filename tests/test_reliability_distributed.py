"""A parameter-server job survives losing a worker: master, worker and ps as processes on 127.0.0.1, the
worker killed (SIGKILL, as a crashed host) mid-run and started again with the same command."""
import json
import os
import re
import signal
import subprocess
import sys
import time

from conftest import TINY, synthetic_sentences, write_conll
from test_sagemaker_distribution import PS_SERVER, ROOT, _env, _free_ports, _host

STEP = re.compile(r"train: step=(\d+)/")


def _wait_for_step(proc, at_least, timeout):
    lines, deadline = [], time.monotonic() + timeout
    for line in proc.stdout:
        lines.append(line)
        found = STEP.search(line)
        if (found and int(found.group(1)) >= at_least) or time.monotonic() > deadline:
            return int(found.group(1)) if found else None, "".join(lines)
    return None, "".join(lines)


def test_worker_killed_and_restarted_mid_run_training_completes_and_exports(tmp_path):
    from ner_tagger.predictor import Predictor

    data = tmp_path / "data"
    data.mkdir()
    write_conll(data / "train.txt", synthetic_sentences(200, 1))
    write_conll(data / "dev.txt", synthetic_sentences(40, 2))
    master_port, worker_port, ps_port = _free_ports(3)
    cluster = {"master": [f"127.0.0.1:{master_port}"], "worker": [f"127.0.0.1:{worker_port}"],
               "ps": [f"127.0.0.1:{ps_port}"]}
    master, worker = _host(tmp_path, "algo-1", data, True), _host(tmp_path, "algo-2", data, False)
    flags = dict(TINY, max_steps=1200, eval_every_steps=400, log_every_steps=20)
    argv = [sys.executable, os.path.join(ROOT, "sagemaker_entry", "train_entry.py"),
            *[a for k, v in flags.items() for a in (f"--{k}", str(v))], "--model_dir", "s3://bucket/job/model"]

    def start(name, base, host):
        return subprocess.Popen(argv, env=_env(base, cluster, name, host), cwd=str(base),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    ps = subprocess.Popen([sys.executable, "-c", PS_SERVER], env=_env(master, cluster, "ps", "algo-1"),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chief, first = start("master", master, "algo-1"), start("worker", worker, "algo-2")
    procs = [ps, chief, first]
    try:
        killed_at, first_log = _wait_for_step(first, 200, timeout=240)
        assert killed_at is not None, first_log[-3000:]
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        second = start("worker", worker, "algo-2")
        procs.append(second)
        second_log = second.communicate(timeout=300)[0]
        chief_log = chief.communicate(timeout=300)[0]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert first.returncode == -signal.SIGKILL
    assert chief.returncode == 0, chief_log[-3000:]
    assert second.returncode == 0, second_log[-3000:]
    # The restarted worker joined the running job: it picked up the shared global step, not step 0.
    restarted_steps = [int(s) for s in STEP.findall(second_log)]
    assert restarted_steps and min(restarted_steps) > killed_at, second_log[-3000:]
    import tensorflow as tf

    final = tf.train.latest_checkpoint(str(master / "checkpoints"))
    assert int(final.rsplit("-", 1)[1]) >= 1200  # asynchronous workers may step just past max_steps
    versions = [n for n in os.listdir(master / "model") if n.isdigit()]
    assert len(versions) == 1
    report = json.loads((master / "output" / "data" / "eval_report.json").read_text())
    assert report["dev"]["overall"]["f1"] >= 0.9, report["dev"]["overall"]
    tagged = Predictor.load(str(master / "model")).predict_text(["Alice met Bob in Paris ."])[0]
    assert [(e["type"], e["text"]) for e in tagged["entities"]] == [("PER", "Alice"), ("PER", "Bob"),
                                                                   ("LOC", "Paris")]
