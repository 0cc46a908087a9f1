"""The SageMaker Python SDK v2's local mode in script mode, on the stand-in managed training image
(``tensorflow-training:2.14-cpu-py310``: the real toolkits, TensorFlow 2.14.1, seqeval and scikit-learn as the
DLC has them, no tensorflow-addons): the estimator exactly as the launcher builds it from
``configs/sagemaker.json`` (``launch.make_estimator``) with the source folder ``source.prepare`` stages for the
image's interpreter (CPython 3.11, glibc 2.36), ``instance_type="local"``, ``fit("file://...")``.

What that exercises for real: the SDK's /opt/ml layout and hyperparameter encoding, the toolkit's
``pip install -r requirements.txt`` on a compose network with no route out (so a fit that gets past it proves
the staged requirements need no index), the entry point, TF_CONFIG as the toolkit builds it for parameter-server
jobs, compose's ``--abort-on-container-exit`` with two hosts, and model.tar.gz packing.

What local mode cannot exercise: S3 (inputs, code upload, output, checkpoint sync: all file:// or local here),
``CheckpointConfig`` (local mode refuses ``checkpoint_s3_uri``), spot capacity and restarts,
``max_run``/``max_wait``, the network-isolation flag, metric definitions (no CloudWatch) and the platform's
``TRAINING_JOB_NAME``: tests/test_docker_platform.py plays those from the SDK's real request.
"""
import os
import re
import tarfile
import time

import pytest
from support import container_lane as lane

# The stand-in managed image's interpreter and C library (scripts/container_env.sh: Debian bookworm).
STANDIN_PYTHON, STANDIN_GLIBC = "3.11", "2.36"


@pytest.fixture(scope="module")
def managed_image():
    return lane.require_managed_image()


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The script-mode source folder as the launcher stages it, for the stand-in's Python and glibc (the
    wheels are cached under build/; only the first run needs an index)."""
    from ner_tagger.sagemaker import source

    dest = str(tmp_path_factory.mktemp("staged") / "sagemaker-source")
    return source.prepare(dest, source.Target(STANDIN_PYTHON, STANDIN_GLIBC))


def local_config(tmp_path, instance_count=1, distribution=None, **hyperparameters):
    """configs/sagemaker.json as shipped, with what local mode needs: instance type ``local``, a file://
    output path, the tiny hyperparameters on top of the config's own (so a fit takes about a minute)."""
    return lane.shipped_config(hyperparameters, instance_type="local", instance_count=instance_count,
                               distribution=distribution, output_path=f"file://{tmp_path / 'output'}")


def fit(config, tmp_path, staged_dir, channel, states=None):
    """``make_estimator(...).fit`` in local mode; returns (estimator, {host: log}, seconds) and fills
    ``states`` with {host: (exit code, finished at)}. The containers are read and removed here whatever
    happens (the SDK leaves them behind)."""
    from ner_tagger.sagemaker import launch

    root = tmp_path / "sagemaker_local"
    session = lane.local_session(root)
    job_name = launch.new_job_name(config)
    estimator = launch.make_estimator(config, lane.ROLE, session, job_name=job_name, source_dir=staged_dir)
    host_logs = {}
    started = time.monotonic()
    try:
        try:
            estimator.fit({"training": f"file://{channel}"}, job_name=estimator.ner_job_name, logs=False)
        finally:
            seconds = time.monotonic() - started
            for cid, service in lane.local_mode_containers(root).items():
                host_logs[service] = lane.logs(cid)
                if states is not None:
                    code, finished = lane.docker("inspect", "-f", "{{.State.ExitCode}} {{.State.FinishedAt}}",
                                                 cid).stdout.split()
                    states[service] = (int(code), finished)
    except Exception as err:  # the job's own log says why; pytest would show only the SDK's summary
        raise AssertionError(f"fit failed after {seconds:.0f} s: {err}\n" + "\n".join(
            f"----- {host} (last 6000 characters)\n{text[-6000:]}" for host, text in host_logs.items())
        ) from err
    finally:
        lane.sweep_local_mode(root)
    assert session.refused_aws_calls == []
    assert lane.local_mode_containers(root) == {}
    return estimator, host_logs, seconds


def model_versions(estimator):
    model_data = estimator.model_data
    assert model_data.startswith("file://") and model_data.endswith("model.tar.gz"), model_data
    with tarfile.open(model_data[len("file://"):]) as archive:
        names = archive.getnames()
    versions = sorted({n.split("/")[0] for n in names if n.split("/")[0].isdigit()})
    for version in versions:
        assert f"{version}/saved_model.pb" in names, names
    return versions, names


def assert_installed_with_no_index(text):
    """The toolkit ran pip on the staged requirements.txt, which installs from wheels/ with no index; on
    local mode's network (no route out) it could not have reached one anyway."""
    assert "Installing dependencies from requirements.txt" in text, text[-3000:]
    assert "Looking in links: /opt/ml/code/wheels" in text and "Looking in indexes" not in text, text[-3000:]
    assert re.search(r"Successfully installed .*tensorflow-addons-0\.23\.0", text), text[-3000:]


# ------------------------------------------------------------------------------------- c. one instance


@pytest.mark.container
def test_script_mode_fit_on_the_managed_image_installs_from_wheels_and_exports(managed_image, staged, tmp_path):
    with open(os.path.join(staged, "requirements.txt"), encoding="utf-8") as fh:
        assert "--no-index" in fh.read().split()
    channel = lane.write_training_channel(tmp_path / "data" / "training")
    config = local_config(tmp_path)
    estimator, host_logs, seconds = fit(config, tmp_path, staged, channel)
    print(f"\nlocal-mode fit (script mode, 1 instance): {seconds:.1f} s")

    assert estimator.training_image_uri() == managed_image
    versions, names = model_versions(estimator)
    assert len(versions) == 1, names

    (text,) = host_logs.values()
    assert_installed_with_no_index(text)
    final = re.findall(r"final: f1=([0-9.]+) precision=\S+ recall=\S+ entities=\d+", text)
    assert len(final) == 1, text[-3000:]
    print(f"final line: final: f1={final[0]}")
    assert float(final[0]) > 0.5  # 150 steps learn the synthetic task well beyond chance
    assert "Reporting training SUCCESS" in text


# ------------------------------------------------------------------------- d. two hosts, parameter server


@pytest.mark.container
def test_parameter_server_two_hosts_share_the_data_export_once_and_the_worker_waits(managed_image, staged,
                                                                                    tmp_path):
    channel = lane.write_training_channel(tmp_path / "data" / "training")
    config = local_config(tmp_path, instance_count=2, distribution="parameter_server")
    states = {}
    estimator, host_logs, seconds = fit(config, tmp_path, staged, channel, states)
    print(f"\nlocal-mode fit (script mode, 2 instances, parameter server): {seconds:.1f} s")
    assert estimator.distribution == {"parameter_server": {"enabled": True}}

    versions, names = model_versions(estimator)
    assert len(versions) == 1, names  # exported once, by the master

    assert len(host_logs) == 2, sorted(host_logs)
    by_role = {}
    for host, text in host_logs.items():
        role = re.search(r"parameter_server: (master|worker) \d+ of 2 training tasks", text)
        assert role, f"{host}: no role line\n{text[-3000:]}"
        by_role[role.group(1)] = (host, text)
        assert_installed_with_no_index(text)
    assert sorted(by_role) == ["master", "worker"], list(by_role)
    (master_host, master), (worker_host, worker) = by_role["master"], by_role["worker"]

    # Each task read its own half of the 300 sentences (input_fns.share: task 0 the even ones, task 1 the odd;
    # disjoint by construction, tests/test_job_estimator_run.py).
    shares = {}
    for name, text in (("master", master), ("worker", worker)):
        found = re.findall(r"train: task (\d) of 2 training tasks reads (\d+) of the (\d+) training sentences",
                           text)
        assert len(found) == 1, f"{name}: {text[-3000:]}"
        shares[name] = found[0]
    assert {shares["master"][0], shares["worker"][0]} == {"0", "1"}
    assert all(n == "150" and total == "300" for _, n, total in shares.values()), shares

    # Both tasks trained: each logs how many steps it ran itself (hooks.ProgressHook.end).
    for name, text in (("master", master), ("worker", worker)):
        steps = re.findall(r"train: this task ran (\d+) training steps", text)
        assert steps and int(steps[-1]) > 0, f"{name} made no progress:\n{text[-3000:]}"
        print(f"{name}: {steps[-1]} steps")

    # Only the master exported and wrote the final line; the worker, done training first, waited for it
    # (entry.wait_for_master) and was still waiting when the master's container exited: compose's
    # --abort-on-container-exit then stopped it (so local mode never shows the worker's own "master ... is
    # done" line, which a cloud job logs once port 2222 closes). A worker that had not waited would have
    # exited first and compose would have stopped the master before its export.
    assert re.search(r"final: f1=[0-9.]+", master), master[-3000:]
    assert "final: f1=" not in worker and "export: " not in worker
    assert f"train: waiting for master {master_host}:2222" in worker, worker[-3000:]
    assert "Reporting training SUCCESS" in master
    assert states[master_host][0] == 0, states
    assert states[worker_host][0] != 0 and states[worker_host][1][:19] >= states[master_host][1][:19], states
    print(f"containers (exit code, finished at): {states}")
