"""The bring-your-own-container image in a real engine, as SageMaker starts it: `make build`, then
`docker run IMAGE train` on an /opt/ml laid out like SageMaker's, `docker run IMAGE serve` answered over a
published port, and `docker stop` during training (exit 143, a checkpoint) followed by a rerun that resumes.
tests/test_container_end_to_end.py checks the same contract without Docker; this is the image itself."""
import json
import os
import re
import subprocess
import time

import pytest
from support import container_lane as lane

pytestmark = pytest.mark.container

STEP = re.compile(r"train: step=(\d+)/")


@pytest.fixture(scope="module")
def image():
    return lane.product_image()  # `make build` of this checkout


@pytest.fixture(scope="module")
def trained(image, tmp_path_factory):
    """One `docker run IMAGE train` on a scaffolded /opt/ml; returns (root, log)."""
    root = lane.scaffold_opt_ml(tmp_path_factory.mktemp("opt_ml"))
    containers = lane.Containers()
    try:
        # No network at all: a training job must not need one (SageMaker's network isolation).
        result = lane.docker("run", *containers.run_args("train"), "--network", "none",
                             "-v", f"{root}:/opt/ml", image, "train", check=False, timeout=600)
        log = result.stdout + result.stderr
        assert result.returncode == 0, log[-4000:]
    finally:
        containers.remove_all()
    return root, log


def test_train_writes_a_numeric_savedmodel_checkpoints_and_report(trained):
    root, log = trained
    versions = lane.numeric_versions(os.path.join(root, "model"))
    assert len(versions) == 1, os.listdir(os.path.join(root, "model"))
    version = os.path.join(root, "model", versions[0])
    assert os.path.isfile(os.path.join(version, "saved_model.pb"))
    assert os.listdir(os.path.join(version, "variables"))
    assert f"export: /opt/ml/model/{versions[0]}" in log
    assert any(n.startswith("model.ckpt-150") for n in os.listdir(os.path.join(root, "checkpoints")))
    assert not os.path.exists(os.path.join(root, "output", "failure"))
    with open(os.path.join(root, "output", "data", "eval_report.json"), encoding="utf-8") as fh:
        assert json.load(fh)["dev"]["overall"]["f1"] > 0.9


def test_serve_answers_ping_and_invocations_over_a_published_port(image, trained):
    root, _ = trained
    containers = lane.Containers()
    port = lane.free_port()
    try:
        network = containers.network()
        name = containers.run_args("serve")
        # SageMaker's hosting contract: `serve` on port 8080 inside the container; here published on loopback.
        lane.docker("run", "-d", *name, "--network", network, "-p", f"127.0.0.1:{port}:8080",
                    "-e", "SAGEMAKER_MODEL_SERVER_WORKERS=1", "-v", f"{root}:/opt/ml", image, "serve")
        url = f"http://127.0.0.1:{port}"
        try:
            lane.wait_http(url + "/ping", timeout=180, alive=lambda: lane.running(name[1]))
        except (RuntimeError, TimeoutError) as err:
            pytest.fail(f"{err}\n{lane.logs(name[1])[-4000:]}")

        status, body = lane.http(url + "/invocations", json.dumps(
            {"instances": ["Alice met Bob in Paris .", ["Globex", "hired", "Eve", "last", "week", "."]]}),
            "application/json")
        assert status == 200, body
        first, second = body["predictions"]
        assert first["tokens"] == ["Alice", "met", "Bob", "in", "Paris", "."]
        assert {(e["type"], e["text"]) for e in first["entities"]} == {("PER", "Alice"), ("PER", "Bob"),
                                                                      ("LOC", "Paris")}
        assert {(e["type"], e["text"]) for e in second["entities"]} == {("ORG", "Globex"), ("PER", "Eve")}

        status, body = lane.http(url + "/invocations", "Carol works for Initech .\n", "text/plain")
        assert status == 200 and [r["tags"] for r in body["predictions"]] == [["B-PER", "O", "O", "B-ORG", "O"]]

        status, body = lane.http(url + "/invocations", "{not json", "application/json")
        assert status == 400 and lane.running(name[1])  # a bad request costs an answer, not the server
    finally:
        containers.remove_all()


def test_docker_stop_during_training_exits_143_with_a_checkpoint_and_a_rerun_resumes(image, tmp_path):
    # Long enough (1500 steps, about 20 s here) that the stop lands mid-run, after the first evaluation.
    root = lane.scaffold_opt_ml(tmp_path / "opt_ml", max_steps=1500, eval_every_steps=100, log_every_steps=10)
    containers = lane.Containers()
    try:
        name = containers.run_args("train-stopped")
        # Attached, so the log streams line by line; `docker run` exits with the container's status.
        first = subprocess.Popen(["docker", "run", *name, "--network", "none", "-v", f"{root}:/opt/ml", image,
                                  "train"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines, deadline = [], time.monotonic() + 300
        for line in first.stdout:
            lines.append(line)
            if re.search(r"train: step=(1[3-9]|[2-9]\d)0/", line) or time.monotonic() > deadline:
                break
        assert STEP.search(lines[-1] if lines else ""), "".join(lines)[-4000:]
        started = time.monotonic()
        lane.docker("stop", "-t", "60", name[1], timeout=120)  # SIGTERM, then SIGKILL after 60 s
        rest, _ = first.communicate(timeout=120)
        log = "".join(lines) + rest
        print(f"\ndocker stop took {time.monotonic() - started:.1f} s")
        assert first.returncode == 143 and lane.exit_code(name[1]) == 143, log[-4000:]
        stopped = int(re.search(r"interruption: checkpoint \S+ at step (\d+)", log).group(1))
        assert 130 <= stopped < 1500
        checkpoints = os.listdir(os.path.join(root, "checkpoints"))
        assert f"model.ckpt-{stopped}.index" in checkpoints, checkpoints
        assert not lane.numeric_versions(os.path.join(root, "model"))  # no export from a stopped job

        # SageMaker restarts the job on the same /opt/ml/checkpoints (spot, checkpoint_s3_uri): same command.
        second = lane.docker("run", *containers.run_args("train-resumed"), "--network", "none",
                             "-v", f"{root}:/opt/ml", image, "train", check=False, timeout=600)
        log2 = second.stdout + second.stderr
        assert second.returncode == 0, log2[-4000:]
        assert f"resuming from /opt/ml/checkpoints/model.ckpt-{stopped} (global step {stopped})" in log2
        steps = [int(s) for s in STEP.findall(log2)]
        assert steps and min(steps) > stopped and max(steps) == 1500  # continued, not restarted from zero
        versions = lane.numeric_versions(os.path.join(root, "model"))
        assert len(versions) == 1 and os.path.isfile(os.path.join(root, "model", versions[0], "saved_model.pb"))
    finally:
        if "first" in locals() and first.poll() is None:
            first.kill()
        containers.remove_all()
