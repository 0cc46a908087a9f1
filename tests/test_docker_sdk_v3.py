"""SDK v3's ``ModelTrainer`` in ``Mode.LOCAL_CONTAINER`` on the managed-image stand-in, beside SDK v2's local mode.

The v3 job is the launcher's own (``launch_v3.make_trainer`` for a config with instance type ``local``), run by
the real SDK v3 in its venv (tests/support/sdk3_harness.py) through ``tests/support/sdk3_local_fit.py``: Docker Compose
starts the stand-in ``tensorflow-training:2.14-cpu-py310`` with v3's entry point (``sm_train.sh``), the staged
folder as the ``code`` channel, v3's drivers as ``sm_drivers``. The v2 job is ``launch.make_estimator`` on the
same config, folder and data. Both must leave a numeric SavedModel, and their dev F1 must agree within 0.03.

Containers: compose labels each with its project folder, under this test's temporary folder; they are
listed and removed by that label (``container_lane.sweep_local_mode``), nothing else on the engine is touched.
"""
import json
import os
import re
import subprocess
import tarfile
import time

import pytest
from support import container_lane as lane
from support import sdk3_harness

pytestmark = [pytest.mark.container, pytest.mark.slow]

FIT = os.path.join(lane.REPO, "tests", "support", "sdk3_local_fit.py")
STANDIN_PYTHON, STANDIN_GLIBC = "3.11", "2.36"  # the stand-in managed image (scripts/container_env.sh)
# The lane's settings (150 steps of the synthetic task): both runs converge. Earlier in training the seeded runs
# still differ from run to run by more than the 0.03 asked of the two SDKs (after 40 steps: 0.73 to 0.86 over
# three runs of each, one thread per op pool or not), so a shorter run could not tell the SDKs from that noise.
SETTINGS = dict(lane.TINY_HYPERPARAMETERS)
FINAL = re.compile(r"final: f1=([0-9.]+) precision=\S+ recall=\S+ entities=\d+")


@pytest.fixture(scope="module")
def managed_image():
    return lane.require_managed_image()


@pytest.fixture(scope="module")
def sdk3():
    return sdk3_harness.sdk3_python()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The staged folder for the stand-in's Python, the synthetic channel, the local config (shared by both)."""
    from ner_tagger.sagemaker import source

    root = tmp_path_factory.mktemp("sdk-v3-lane")
    staged = source.prepare(str(root / "staged"), source.Target(STANDIN_PYTHON, STANDIN_GLIBC))
    channel = lane.write_training_channel(root / "data" / "training")
    config = lane.shipped_config(instance_type="local", instance_count=1, distribution=None, role=lane.ROLE,
                                 output_path=f"file://{root / 'output'}")
    return {"root": root, "staged": staged, "channel": channel, "config": config}


def _versions(model_tar):
    with tarfile.open(model_tar) as archive:
        names = archive.getnames()
    versions = sorted({n.split("/")[0] for n in names if n.split("/")[0].isdigit()})
    assert versions and all(f"{v}/saved_model.pb" in names for v in versions), names
    return versions


@pytest.fixture(scope="module")
def v3_fit(managed_image, sdk3, setup):
    root = setup["root"] / "v3"
    container_root = root / "sagemaker_local"
    container_root.mkdir(parents=True)
    config_path = root / "config.json"
    config_path.write_text(json.dumps(setup["config"]), encoding="utf-8")
    started = time.monotonic()
    try:
        proc = subprocess.run([sdk3, FIT, str(config_path), setup["staged"], setup["channel"], str(container_root)],
                              capture_output=True, text=True, timeout=900, cwd=str(root),
                              env=dict(os.environ, PYTHONPATH=lane.REPO))
    finally:
        seconds = time.monotonic() - started
        leftovers = lane.sweep_local_mode(root)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    print(f"\nSDK v3 LOCAL_CONTAINER fit: {seconds:.1f} s ({leftovers} container(s) removed)")
    return {"log": log, "result": json.loads(proc.stdout.strip().splitlines()[-1])}


@pytest.fixture(scope="module")
def v2_fit(managed_image, setup):
    from ner_tagger.sagemaker import launch

    root = setup["root"] / "v2"
    session = lane.local_session(root / "sagemaker_local")
    estimator = launch.make_estimator(setup["config"], lane.ROLE, session, source_dir=setup["staged"])
    logs = []
    try:
        estimator.fit({"training": f"file://{setup['channel']}"}, job_name=estimator.ner_job_name, logs=False)
    finally:
        logs = [lane.logs(cid) for cid in lane.local_mode_containers(root)]
        lane.sweep_local_mode(root)
    assert session.refused_aws_calls == []
    return {"log": "\n".join(logs), "model": estimator.model_data[len("file://"):]}


def test_v3_local_container_runs_the_managed_image_with_v3s_driver(v3_fit, managed_image):
    log, result = v3_fit["log"], v3_fit["result"]
    assert result["image"] == managed_image and result["mode"] == "LOCAL_CONTAINER"
    assert "Running Basic Script driver" in log and "Training Container Execution Completed" in log
    # The named requirements file, installed from the staged wheels on compose's network (no route out).
    assert "install_requirements.py requirements.txt" in log
    assert re.search(r"Successfully installed .*tensorflow-addons-0\.23\.0", log), log[-3000:]


def test_v3_local_container_exports_a_numeric_savedmodel(v3_fit):
    assert len(_versions(v3_fit["result"]["model"])) == 1


def test_v3_and_v2_local_runs_agree_on_dev_f1(v3_fit, v2_fit):
    v3 = [float(f) for f in FINAL.findall(v3_fit["log"])]
    v2 = [float(f) for f in FINAL.findall(v2_fit["log"])]
    assert len(v3) == 1 and len(v2) == 1, (v3_fit["log"][-2000:], v2_fit["log"][-2000:])
    print(f"\ndev F1 after {SETTINGS['max_steps']} steps: SDK v3 {v3[0]:.4f}, SDK v2 {v2[0]:.4f}")
    assert len(_versions(v2_fit["model"])) == 1
    assert abs(v3[0] - v2[0]) <= 0.03
    assert min(v3[0], v2[0]) > 0.9  # both learnt the task: the agreement is not that of two failures
