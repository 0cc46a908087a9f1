"""Training jobs played from the request the real SDK v2 sends (tests/support/platform_harness.py): the launcher's
estimator (``launch.make_estimator``) and tuner (``launch.make_tuner``) and a bring-your-own-container
``Estimator`` are fitted on a real SDK ``Session`` whose boto clients answer locally; the captured
``CreateTrainingJob`` (or a trial of the captured ``CreateHyperParameterTuningJob``) then runs in the stand-in
managed image, or the product image, the way SageMaker runs it: config files, channels and the checkpoint
prefix from a local folder standing for S3, no network under network isolation, stop as SageMaker stops,
spot restarts under the same job name.

What each test covers:

- a network-isolated script-mode job (``enable_network_isolation`` in configs/sagemaker.json) with a
  ``CheckpointConfig`` exports a SavedModel into model.tar.gz, and so does a tuning trial, which also writes
  nothing under a folder named ``None``;
- a SIGKILL at a random moment of a script-mode job with ``checkpoint_secs=5`` loses at most about that many
  seconds of training (the measurement is printed);
- a job stopped mid-training (SIGTERM, SIGKILL after a short grace) and restarted under the same name on a
  fresh container resumes from the synced checkpoints and finishes;
- a new job continuing a stopped one (``resume_from``) starts from its step;
- two BYOC jobs sharing one ``checkpoint_s3_uri`` prefix each train their own model, and a spot restart of the
  first resumes its own.
"""
import os
import random
import re
import time

import pytest
from support import container_lane as lane
from support import platform_harness as ph

pytestmark = pytest.mark.container

# The stand-in managed image's interpreter and C library (scripts/container_env.sh: Debian bookworm).
STANDIN_PYTHON, STANDIN_GLIBC = "3.11", "2.36"
BUCKET = "ner-platform-test"
DATA = f"s3://{BUCKET}/data/training"
CHECKPOINTS = f"s3://{BUCKET}/checkpoints"
CHECKPOINT_SECS = 5  # the SIGKILL test's time bound (a checkpoint at least every N seconds of training)
# A checkpoint lands a few tenths of a second after its step (the save itself); progress lines every 10 steps
# place a step in time to a fraction of a second. What the SIGKILL may cost beyond checkpoint_secs.
SAVE_AND_LOG_SLACK_S = 3.0
# Stop (and kill) waits: long enough for the toolkit's pip install and TensorFlow's import on a busy machine.
JOB_TIMEOUT = 600


@pytest.fixture(scope="module")
def managed_image():
    image = lane.managed_training_image()
    lane.require_images(image)
    return image


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The script-mode source folder as the launcher stages it, for the stand-in's Python and glibc; one
    for the whole file (wheels cached under build/)."""
    from support import sagemaker_harness

    from ner_tagger.sagemaker import source

    dest = str(tmp_path_factory.mktemp("platform-staged") / "sagemaker-source")
    return sagemaker_harness.prepare_source(dest, source.Target(STANDIN_PYTHON, STANDIN_GLIBC))


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    return lane.write_training_channel(tmp_path_factory.mktemp("platform-data") / "training")


@pytest.fixture
def containers():
    started = lane.Containers(prefix="nerplat")
    try:
        yield started
    finally:
        started.remove_all()


def new_s3(folder, data_folder):
    """A fresh local S3 holding the training channel's objects under DATA."""
    s3 = ph.LocalS3(folder)
    s3.put_folder(data_folder, DATA)
    return s3


def platform_config(**hyperparameters):
    """configs/sagemaker.json as shipped (spot, checkpoints, TensorBoard output, ...) with the test bucket,
    network isolation on and the tiny hyperparameters on top of the config's own."""
    return lane.shipped_config(hyperparameters, output_path=f"s3://{BUCKET}/output",
                               code_location=f"s3://{BUCKET}/code", checkpoint_s3_uri=CHECKPOINTS,
                               tensorboard_s3_uri=f"s3://{BUCKET}/tensorboard", enable_network_isolation=True,
                               inputs={"training": DATA})


def capture_training(s3, staged, config, job_name=None, captured=None, **estimator_kwargs):
    """The ``CreateTrainingJob`` request the SDK sends for ``launch.make_estimator(config, ...)``'s fit."""
    from ner_tagger.sagemaker import launch

    captured = captured or ph.capture_session(s3)
    estimator = launch.make_estimator(config, ph.ROLE, captured.session, job_name=job_name, source_dir=staged,
                                      **estimator_kwargs)
    estimator.fit(config["inputs"], wait=False, job_name=estimator.ner_job_name)
    assert captured.refused == []
    uploads = [op for op in captured.operations() if op.startswith("s3.")]
    sent = [op for op in captured.operations() if op != "sagemaker.DescribeTrainingJob"]
    assert uploads and sent[len(uploads):] == ["sagemaker.CreateTrainingJob"], captured.operations()
    request = captured.training_job()
    assert request["TrainingJobName"] == estimator.ner_job_name
    return request


def assert_network_isolated_script_mode(request, s3):
    """What the SDK does for a network-isolated script-mode job: the code as a `code` channel, the toolkit
    told to read it there."""
    assert request["EnableNetworkIsolation"] is True
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]}
    assert channels["code"].endswith("/sourcedir.tar.gz") and os.path.isfile(s3.path(channels["code"])), channels
    assert request["HyperParameters"]["sagemaker_submit_directory"] == \
        '"/opt/ml/input/data/code/sourcedir.tar.gz"'


def assert_exported(job):
    assert job.status == "Completed", ph.describe(job)
    versions, names = ph.model_versions(job.model_artifact)
    assert len(versions) == 1, names
    return versions


# ------------------------------------------------------------------------------- network isolation (1, 3)


def test_network_isolated_job_with_checkpoints_exports_a_savedmodel(managed_image, staged, data_folder,
                                                                     tmp_path, containers):
    s3 = new_s3(tmp_path / "s3", data_folder)
    request = capture_training(s3, staged, platform_config())
    assert_network_isolated_script_mode(request, s3)
    assert request["AlgorithmSpecification"]["TrainingImage"] == managed_image
    assert request["CheckpointConfig"]["S3Uri"] == f"{CHECKPOINTS}/{request['TrainingJobName']}"

    started = time.monotonic()
    job = ph.play(request, s3, tmp_path / "opt_ml", containers, timeout=JOB_TIMEOUT)
    print(f"\nplayed network-isolated job: {time.monotonic() - started:.1f} s")
    assert_exported(job)
    # Checkpoints went where SageMaker syncs them (LocalPath of checkpointconfig.json), so the prefix has
    # the final step.
    steps = ph.synced_checkpoint_steps(s3, request["CheckpointConfig"]["S3Uri"])
    assert steps and steps[-1] == int(lane.TINY_HYPERPARAMETERS["max_steps"]), steps
    assert ph.paths_named(job.root, "None") == []


def test_network_isolated_tuning_trial_exports_and_writes_nothing_under_none(managed_image, staged, data_folder,
                                                                             tmp_path, containers):
    from ner_tagger.sagemaker import launch

    s3 = new_s3(tmp_path / "s3", data_folder)
    config = platform_config()
    captured = ph.capture_session(s3)
    tuner = launch.make_tuner(config, ph.ROLE, captured.session, source_dir=staged)
    tuner.fit(config["inputs"], job_name=tuner.ner_job_name, wait=False)
    assert captured.refused == []
    tuning = captured.tuning_job()
    definition = tuning["TrainingJobDefinition"]
    assert definition["EnableNetworkIsolation"] is True

    request = ph.trial_request(tuning, trial=1)
    assert request["HyperParameters"]["_tuning_objective_metric"] == "dev:f1"
    assert_network_isolated_script_mode(request, s3)
    job = ph.play(request, s3, tmp_path / "opt_ml", containers, timeout=JOB_TIMEOUT)
    assert_exported(job)
    # The toolkit rewrites a trial's model_dir to "<model_dir>/<job>/model"; with none given that is
    # "None/<job>/model", which must not become a folder, neither in /opt/ml nor in the container.
    assert ph.paths_named(job.root, "None") == []
    assert [c for c in job.container_changes if "/None" in c] == [], job.container_changes


# ------------------------------------------------------------------------------------ SIGKILL loss bound (4)


def interpolate_time(points, step):
    """When the job reached ``step``, from [(time, step)] progress points (linear between neighbours)."""
    before = [(t, s) for t, s in points if s <= step]
    after = [(t, s) for t, s in points if s >= step]
    if not before:
        return after[0][0]
    if not after:
        return before[-1][0]
    (t0, s0), (t1, s1) = before[-1], after[0]
    return t0 if s1 == s0 else t0 + (t1 - t0) * (step - s0) / (s1 - s0)


def test_sigkill_of_a_script_mode_job_loses_at_most_checkpoint_secs(managed_image, staged, data_folder,
                                                                     tmp_path, containers):
    s3 = new_s3(tmp_path / "s3", data_folder)
    # No dev evaluation before the end: only the time bound writes checkpoints while the job trains.
    request = capture_training(s3, staged, platform_config(checkpoint_secs=CHECKPOINT_SECS, max_steps=100000,
                                                           eval_every_steps=100000, log_every_steps=10))
    job = ph.start(request, s3, tmp_path / "opt_ml", containers, sync_secs=1)
    rng = random.Random()
    try:
        # Trained a while (past the first checkpoint's 5 s at least): then a SIGKILL within 10 s.
        ph.wait(job, timeout=JOB_TIMEOUT, until=lambda j: len(ph.progress(j)) >= 2)
        first = ph.progress(job)[0][0]
        ph.wait(job, timeout=JOB_TIMEOUT, until=lambda j: time.time() - first >= 3 * CHECKPOINT_SECS)
        ph.stop_at_random(job, after_step=0, within_s=2 * CHECKPOINT_SECS, grace=None, rng=rng)
    finally:
        if job.stopped_at is None:
            ph.kill(job)
        ph.finish(job)
    points = ph.progress(job)
    synced = ph.synced_checkpoint_steps(s3, request["CheckpointConfig"]["S3Uri"])
    assert points and synced, ph.describe(job)
    newest, last_logged = synced[-1], points[-1][1]
    # When the newest synced checkpoint's step was reached: its own log line where the job writes one
    # (``train: checkpoint at step N``), else between the progress lines around it.
    saved = [stamp for stamp, line in job.lines() if re.search(rf"\bcheckpoint at step {newest}\b", line)]
    lost_s = job.ended_at - (saved[-1] if saved else interpolate_time(points, newest))
    rate = (points[-1][1] - points[0][1]) / max(points[-1][0] - points[0][0], 1e-9)
    print(f"\nSIGKILL after step {last_logged} (last progress line), {rate:.0f} steps/s: newest synced "
          f"checkpoint at step {newest}; lost {last_logged - newest} logged steps, {lost_s:.1f} s of training "
          f"(bound {CHECKPOINT_SECS} s + {SAVE_AND_LOG_SLACK_S} s); killed {job.stop_delay:.1f} s into the "
          f"random window")
    assert newest > 0
    assert lost_s <= CHECKPOINT_SECS + SAVE_AND_LOG_SLACK_S, ph.describe(job)


# ---------------------------------------------------------------------- stop, spot restart, resume_from (5)

# About 100 steps/s on two idle cores: the stop comes after a dozen seconds of training, with a few
# checkpoints synced (one every STOP_EVERY steps) and most of the job still ahead.
STOP_MAX_STEPS, STOP_AFTER, STOP_EVERY = 3000, 1200, 500


@pytest.fixture(scope="module")
def stopped(managed_image, staged, data_folder, tmp_path_factory):
    """A network-isolated job stopped as SageMaker stops it (SIGTERM, SIGKILL after a 3 s grace) mid-training,
    its checkpoints synced; returns (request, snapshot of the local S3 after the stop, newest synced step)."""
    folder = tmp_path_factory.mktemp("platform-stopped")
    s3 = new_s3(folder / "s3", data_folder)
    request = capture_training(s3, staged, platform_config(max_steps=STOP_MAX_STEPS, eval_every_steps=STOP_EVERY))
    containers = lane.Containers(prefix="nerplat")
    try:
        job = ph.start(request, s3, folder / "opt_ml", containers, sync_secs=2)
        ph.stop_at_random(job, after_step=STOP_AFTER, within_s=1.0, grace=3)
        ph.finish(job)
    finally:
        containers.remove_all()
    synced = ph.synced_checkpoint_steps(s3, request["CheckpointConfig"]["S3Uri"])
    assert job.status == "Stopped" and synced, ph.describe(job)
    assert synced[-1] < STOP_MAX_STEPS, (synced, ph.describe(job))
    print(f"\nstopped job {job.name} after step {ph.latest_step(job.log)}; newest synced checkpoint {synced[-1]}")
    return request, s3.snapshot(folder / "s3-after-stop"), synced[-1]


def resumed_step(job):
    found = ph.RESUMING.findall(job.log)
    assert found, ph.describe(job)
    return int(found[0][1])


def test_spot_restart_resumes_the_synced_checkpoints_and_finishes(stopped, tmp_path, containers):
    request, after_stop, newest = stopped
    s3 = after_stop.snapshot(tmp_path / "s3")
    started = time.monotonic()
    job = ph.play(request, s3, tmp_path / "opt_ml-restart", containers, timeout=JOB_TIMEOUT)  # same job name
    print(f"\nspot restart: {time.monotonic() - started:.1f} s")
    assert resumed_step(job) == newest
    assert_exported(job)
    assert ph.latest_step(job.log) == STOP_MAX_STEPS or \
        ph.synced_checkpoint_steps(s3, request["CheckpointConfig"]["S3Uri"])[-1] == STOP_MAX_STEPS


def resume_request(s3, staged, old_request):
    """The request the launcher's ``--resume-from`` builds for a new job continuing ``old_request``'s (stopped)
    job: ``launch.resume_from_job`` asks DescribeTrainingJob (which the capture session answers from the old
    request), then ``make_estimator(..., resume=...)``."""
    from ner_tagger.sagemaker import launch

    config = platform_config(max_steps=STOP_MAX_STEPS, eval_every_steps=STOP_EVERY)
    captured = ph.capture_session(s3, known_jobs=[dict(old_request)])
    resume = launch.resume_from_job(captured.session, old_request["TrainingJobName"])
    return capture_training(s3, staged, config, captured=captured, resume=resume)


def test_a_new_job_resuming_a_stopped_one_continues_from_its_step(stopped, staged, tmp_path, containers):
    old_request, after_stop, newest = stopped
    s3 = after_stop.snapshot(tmp_path / "s3")
    request = resume_request(s3, staged, old_request)
    assert request["TrainingJobName"] != old_request["TrainingJobName"]
    job = ph.play(request, s3, tmp_path / "opt_ml", containers, timeout=JOB_TIMEOUT)
    assert resumed_step(job) == newest
    assert_exported(job)


# ----------------------------------------------------------------------- BYOC: one prefix, two jobs (2)


def byoc_request(s3, image, job_name, checkpoint_s3_uri, **hyperparameters):
    """The request for the product image as docs/container.md's snippet builds it (``Estimator`` with a
    fixed ``checkpoint_s3_uri``), tiny hyperparameters."""
    from sagemaker.estimator import Estimator

    captured = ph.capture_session(s3)
    estimator = Estimator(image_uri=image, role=ph.ROLE, instance_count=1, instance_type="ml.m5.xlarge",
                          hyperparameters=dict(lane.TINY_HYPERPARAMETERS, **hyperparameters),
                          checkpoint_s3_uri=checkpoint_s3_uri, output_path=f"s3://{BUCKET}/byoc-output",
                          sagemaker_session=captured.session)
    estimator.fit({"training": DATA}, wait=False, job_name=job_name)
    assert captured.refused == [] and captured.operations() == ["sagemaker.CreateTrainingJob"], \
        captured.operations()
    return captured.training_job()


def test_byoc_jobs_sharing_a_checkpoint_prefix_each_train_their_own_model(data_folder, tmp_path, containers):
    image = lane.product_image()
    s3 = new_s3(tmp_path / "s3", data_folder)
    shared = f"s3://{BUCKET}/byoc/checkpoints"  # one fixed prefix for every job, as a BYOC user may write
    first = byoc_request(s3, image, "ner-byoc-first", shared)
    second = byoc_request(s3, image, "ner-byoc-second", shared, lstm_units="24")
    assert first["CheckpointConfig"]["S3Uri"] == second["CheckpointConfig"]["S3Uri"] == shared

    job = ph.play(first, s3, tmp_path / "first", containers, timeout=JOB_TIMEOUT)
    assert_exported(job)
    job = ph.play(second, s3, tmp_path / "second", containers, timeout=JOB_TIMEOUT)
    assert not ph.RESUMING.search(job.log), ph.describe(job)  # its own model, not the first job's
    assert_exported(job)
    # The first job again under its own name (a spot restart): its own checkpoints, at its last step.
    job = ph.play(first, s3, tmp_path / "first-restart", containers, timeout=JOB_TIMEOUT)
    assert resumed_step(job) == int(lane.TINY_HYPERPARAMETERS["max_steps"])
    assert_exported(job)
