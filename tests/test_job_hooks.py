"""The progress line's rates, the time-bounded checkpoints and the best-checkpoint bookkeeping."""
import logging
import os
import re
import types

from ner_tagger.job import hooks


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def drive(hook, clock, durations, sentences=32, tokens=600):
    for step, took in enumerate(durations):
        hook.before_run(None)
        clock.now += took
        hook.after_run(None, types.SimpleNamespace(results={"step": step, "loss": 1.5, "sentences": sentences,
                                                            "tokens": tokens}))


def progress_hook(monkeypatch, caplog, max_steps, steps_per_epoch):
    """A started ProgressHook on a fake clock, logging into ``caplog``."""
    clock = FakeClock()
    monkeypatch.setattr(hooks.time, "monotonic", clock)
    hook = hooks.ProgressHook(every=10, max_steps=max_steps, steps_per_epoch=steps_per_epoch)
    hook._reset(None)
    hook._fetches = {}
    caplog.set_level(logging.INFO, logger="ner_tagger")
    return hook, clock


def rates(caplog):
    return [(int(m[0]), float(m[1])) for m in re.findall(r"step=(\d+)/\d+ .*?sentences/s=([\d.]+)", caplog.text)]


def test_rates_leave_out_the_evaluation_pause(monkeypatch, caplog):
    hook, clock = progress_hook(monkeypatch, caplog, max_steps=40, steps_per_epoch=20)
    # Step 1 warms up (slow, ignored); 0.1 s a step after that; step 15 also ran a 30 s dev evaluation.
    durations = [5.0] + [0.1] * 13 + [30.1] + [0.1] * 25
    drive(hook, clock, durations)
    assert [step for step, _ in rates(caplog)] == [10, 20, 30, 40]
    for _, rate in rates(caplog):
        assert abs(rate - 320.0) < 1.0  # 32 sentences / 0.1 s
    assert "epoch=1.0" in caplog.text and "eta=0m00s" in caplog.text


def test_eta_counts_wall_time_including_pauses(monkeypatch, caplog):
    hook, clock = progress_hook(monkeypatch, caplog, max_steps=30, steps_per_epoch=10)
    drive(hook, clock, [1.0] + [1.0] * 10)
    assert "step=10/30" in caplog.text and "eta=0m20s" in caplog.text


def test_the_end_line_counts_this_tasks_own_steps(monkeypatch, caplog):
    """Parameter-server tasks share one global step: the end line says what this process ran itself."""
    hook, _ = progress_hook(monkeypatch, caplog, max_steps=30, steps_per_epoch=10)
    for global_step in (3, 5, 6, 9, 12):  # another task ran the steps in between
        hook.before_run(None)
        hook.after_run(None, types.SimpleNamespace(results={"step": global_step, "loss": 1.0, "sentences": 1,
                                                            "tokens": 5}))
    hook.end(None)
    assert "train: this task ran 5 training steps (global step 13 after its last)" in caplog.text


def test_time_bounded_checkpoints_share_the_rotation_but_not_the_listeners(monkeypatch, caplog, tmp_path):
    """``CheckpointSaver`` saves every ``every_steps`` with the listeners (train_and_evaluate's evaluation
    follows those), and in between once ``every_secs`` have passed, without them; one saver, so
    ``keep_checkpoint_max`` counts both kinds. One second of the (fake) clock per step here."""
    import tensorflow as tf

    clock = FakeClock()
    monkeypatch.setattr(hooks.time, "monotonic", clock)
    caplog.set_level(logging.INFO, logger="ner_tagger")

    class Tick(tf.estimator.SessionRunHook):
        def after_run(self, run_context, run_values):
            clock.now += 1.0

    class Listener(tf.compat.v1.train.CheckpointSaverListener):
        steps = []

        def after_save(self, session, global_step_value):
            self.steps.append(global_step_value)

    with tf.Graph().as_default():
        step = tf.compat.v1.train.get_or_create_global_step()
        train_op = tf.compat.v1.assign_add(step, 1)
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.SAVERS, tf.compat.v1.train.Saver(max_to_keep=2))
        saver = hooks.CheckpointSaver(str(tmp_path), every_steps=10, every_secs=5)
        saver._listeners.append(Listener())
        with tf.compat.v1.train.MonitoredSession(hooks=[Tick(), saver]) as session:
            for _ in range(25):
                session.run(train_op)
    assert re.findall(r"checkpoint at step (\d+), 5 s after", caplog.text) == ["5", "15", "25"]
    assert Listener.steps == [0, 10, 20, 25]  # start, every 10 steps, end: never the time-bounded saves
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["model.ckpt-20", "model.ckpt-25"]
    # The time-bounded saves at 5 and 15 were written and rotated out with the others.
    assert sorted(n for n in os.listdir(tmp_path) if n.endswith(".index")) == ["model.ckpt-20.index",
                                                                             "model.ckpt-25.index"]
