"""The progress line's rates and the best-checkpoint bookkeeping."""
import logging
import re
import types

from ner_tagger import hooks


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
