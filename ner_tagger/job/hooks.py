"""Training-time hooks: the progress line, checkpoints bounded by time as well as steps, and keeping the best
checkpoint by dev F1."""
import json
import logging
import os
import shutil
import time
from typing import Callable, Optional

import tensorflow as tf

from ner_tagger.model.metrics import EVAL_LINE

log = logging.getLogger("ner_tagger")
BEST_DIR = "best"


class ProgressHook(tf.estimator.SessionRunHook):
    """Logs ``step, epoch, loss, sentences/s, tokens/s, ETA`` every ``every`` steps, and at the end how many
    steps this process ran itself: with parameter-server training the global step counts every task's steps
    and each task logs only the multiples of ``every`` it happens to run, so only that line shows what one
    host contributed."""

    def __init__(self, every: int, max_steps: int, steps_per_epoch: int):
        self.every, self.max_steps, self.steps_per_epoch = every, max_steps, steps_per_epoch
        self._ran, self._last_step = 0, None

    def begin(self):
        graph = tf.compat.v1.get_default_graph()
        self._fetches = {"step": tf.compat.v1.train.get_global_step(),
                         "loss": graph.get_tensor_by_name("progress/loss:0"),
                         "sentences": graph.get_tensor_by_name("progress/sentences:0"),
                         "tokens": graph.get_tensor_by_name("progress/tokens:0")}
        self._ran, self._last_step = 0, None
        self._reset(None)

    def _reset(self, step):
        if step is None:
            self._typical = None
        self._window = {"wall": time.monotonic(), "busy": 0.0, "steps": 0, "step": step, "sentences": 0,
                        "tokens": 0}

    def before_run(self, run_context):
        self._started = time.monotonic()
        return tf.estimator.SessionRunArgs(self._fetches)

    def after_run(self, run_context, run_values):
        r, w = run_values.results, self._window
        step = r["step"] + 1
        self._ran, self._last_step = self._ran + 1, step
        if w["step"] is None:  # the first step builds and warms the graph; keep it out of the rates
            self._reset(step)
            return
        took = time.monotonic() - self._started
        # The dev evaluation runs inside the step that triggers it (in a hook or the checkpoint listener);
        # that pause is not training speed, so a step far slower than the window's average is left out.
        typical = w["busy"] / w["steps"] if w["steps"] else self._typical
        if not (typical and took > max(1.0, 20 * typical)):
            w["busy"] += took
            w["steps"] += 1
            w["sentences"] += r["sentences"]
            w["tokens"] += r["tokens"]
        if step % self.every:
            return
        # Rates count training steps only; the ETA uses wall time, which includes evaluations.
        busy = max(w["busy"], 1e-9)
        wall_per_step = (time.monotonic() - w["wall"]) / max(step - w["step"], 1)
        log.info("train: step=%d/%d epoch=%.1f loss=%.4f sentences/s=%.1f tokens/s=%.0f eta=%s", step,
                 self.max_steps, step / self.steps_per_epoch, r["loss"], w["sentences"] / busy,
                 w["tokens"] / busy, _duration((self.max_steps - step) * wall_per_step))
        self._typical = busy / max(w["steps"], 1)
        self._reset(step)

    def end(self, session):
        log.info("train: this task ran %d training steps (global step %s after its last)", self._ran,
                 self._last_step if self._last_step is not None else "-")


def _duration(seconds):
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m{secs:02d}s" if minutes >= 60 else f"{minutes}m{secs:02d}s"


class CheckpointSaver(tf.compat.v1.train.CheckpointSaverHook):
    """The estimator's checkpoint saver, given to the chief in place of its own (the estimator then adds
    none): every ``every_steps`` global steps as before, its listeners with them (``train_and_evaluate``
    evaluates after those saves), and also once ``every_secs`` seconds have passed since the last save.

    The time-bounded saves are what a SIGKILL leaves: under the managed TensorFlow container the toolkit
    (PID 1, no SIGTERM handler, the entry point behind ``/bin/sh -c``) passes no SIGTERM on, so a spot
    reclaim or ``StopTrainingJob`` ends script-mode training without the SIGTERM checkpoint. They skip the
    listeners, so dev evaluation keeps its step cadence; they go through the same saver, so
    ``keep_checkpoint_max`` rotates them with the periodic ones and ``best/`` stays apart.
    """

    def __init__(self, model_dir: str, every_steps: int, every_secs: int, save_graph_def: bool = False):
        super().__init__(model_dir, save_steps=every_steps, save_graph_def=save_graph_def)
        self._every_secs = every_secs
        self._last_save = time.monotonic()

    def _save(self, session, step):
        should_stop = super()._save(session, step)
        self._last_save = time.monotonic()
        return should_stop

    def after_run(self, run_context, run_values):
        last = self._last_save
        super().after_run(run_context, run_values)
        if self._last_save != last or time.monotonic() - last < self._every_secs:
            return
        started = time.monotonic()
        step = int(run_context.session.run(self._global_step_tensor))
        self._get_saver().save(run_context.session, self._save_path, global_step=step,
                               write_meta_graph=self._save_graph_def)
        self._last_save = time.monotonic()
        log.info("train: checkpoint at step %d, %.0f s after the last (checkpoint_secs=%d; written in %.2f s)",
                 step, started - last, self._every_secs, self._last_save - started)


class BestCheckpoint:
    """Logs each evaluation's line and keeps the checkpoint with the best dev F1 so far.

    The copy lives in ``<model_dir>/best`` (outside the estimator's rotation of recent checkpoints) with
    ``best.json`` beside it, so a resumed run knows the score to beat and the final export uses the best
    checkpoint, not the last.
    """

    def __init__(self, model_dir: str, on_record: Optional[Callable[[int, dict], None]] = None):
        """``on_record(step, result)`` is told of each evaluation too (TensorBoard, :mod:`ner_tagger.job.summaries`)."""
        self.best_dir = os.path.join(model_dir, BEST_DIR)
        self.history = []
        self._on_record = on_record

    def best(self):
        try:
            with open(os.path.join(self.best_dir, "best.json"), encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None

    def record(self, step: int, result: dict, write_checkpoint) -> bool:
        """Log and remember one evaluation; when it beats the best, ``write_checkpoint(folder)`` writes the
        checkpoint into an empty folder and returns its file prefix's base name. True if it was the best."""
        log.info(EVAL_LINE.format(step=step, **result))
        self.history.append({"step": step, **result})
        if self._on_record:
            self._on_record(step, result)
        best = self.best()
        if best is not None and result["f1"] <= best["f1"]:
            return False
        self._keep(write_checkpoint, {"step": step, **result})
        log.info("eval: new best f1=%.4f at step %d", result["f1"], step)
        return True

    def _keep(self, write_checkpoint, record):
        # Written aside and swapped in by renames: a crash leaves the old best or the new one, never half.
        tmp = self.best_dir + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        record["checkpoint"] = write_checkpoint(tmp)
        with open(os.path.join(tmp, "best.json"), "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=2, sort_keys=True)
        old = self.best_dir + ".old"
        shutil.rmtree(old, ignore_errors=True)
        if os.path.isdir(self.best_dir):
            os.rename(self.best_dir, old)
        os.rename(tmp, self.best_dir)
        shutil.rmtree(old, ignore_errors=True)


class BestCheckpointExporter(tf.estimator.Exporter):
    """:class:`BestCheckpoint` for ``tf.estimator.train_and_evaluate``'s evaluations (distributed training,
    weight averaging): called after each one with the evaluated checkpoint, which it copies."""

    def __init__(self, model_dir: str, on_record: Optional[Callable[[int, dict], None]] = None):
        self.keeper = BestCheckpoint(model_dir, on_record)

    @property
    def name(self):
        return "best_f1"

    @property
    def history(self):
        return self.keeper.history

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        result = {k: float(v) for k, v in eval_result.items() if k != "global_step"}

        def copy(folder):
            for path in tf.io.gfile.glob(checkpoint_path + ".*"):
                shutil.copy2(path, folder)
            return os.path.basename(checkpoint_path)

        self.keeper.record(int(eval_result["global_step"]), result, copy)
        return None


def best_checkpoint(model_dir: str):
    """Path prefix of the kept best checkpoint, or None."""
    record = BestCheckpoint(model_dir).best()
    if record is None:
        return None
    return os.path.join(model_dir, BEST_DIR, record["checkpoint"])
