"""SIGTERM -> save a checkpoint -> exit, so a stopped or interrupted job loses no finished steps.

SageMaker sends SIGTERM when a spot instance is reclaimed or ``StopTrainingJob`` is called, then SIGKILL
after a grace period (documented as 120 s for ``StopTrainingJob``). A managed-spot job is restarted with
its checkpoint folder restored from ``checkpoint_s3_uri``; the estimator resumes from its newest
checkpoint, so everything up to the SIGTERM step is kept instead of everything up to the last periodic save.

Only where the signal reaches this process: the bring-your-own container's ``train`` (``exec``'d, the
container's PID 1) and ``python -m ner_tagger.train``. In the managed TensorFlow container the toolkit is
PID 1 with no SIGTERM handler (a PID 1 ignores signals it does not handle) and starts the script-mode entry
through ``/bin/sh -c``, so script mode is ended by the SIGKILL alone; what it keeps is its newest checkpoint,
at most ``checkpoint_secs`` old (:class:`ner_tagger.job.hooks.CheckpointSaver`). This hook's saver picks up the
same rotation, so both kinds of checkpoint count against ``keep_checkpoint_max``.

The signal handler only sets a flag: the graph runs in C++ and cannot be stopped mid-step. The hook checks
the flag after each step, saves with its own (unsharded) saver and raises :class:`TrainingInterrupted`,
which skips the estimator's end-of-training save (and the evaluation that save would trigger), so the
process exits within one training step of the signal.
"""
import logging
import os
import signal

import tensorflow as tf

from ner_tagger.errors import TrainingInterrupted
from ner_tagger.job.failure import EXIT_TERMINATED as EXIT_CODE

__all__ = ["EXIT_CODE", "SigtermCheckpointHook", "TrainingInterrupted"]
log = logging.getLogger("ner_tagger")


class SigtermCheckpointHook(tf.estimator.SessionRunHook):
    """Install with :meth:`installed` (main thread only), pass to the training hooks."""

    def __init__(self, model_dir: str, is_chief: bool = True, keep_checkpoint_max: int = 3):
        self.model_dir, self.is_chief, self.keep = model_dir, is_chief, keep_checkpoint_max
        self.requested = False

    # ----- signal side -----
    def _on_sigterm(self, signum, frame):
        self.requested = True
        log.warning("interruption: SIGTERM received; checkpointing after the current step")

    def installed(self):
        hook = self

        class _Installed:
            def __enter__(self):
                self.previous = signal.signal(signal.SIGTERM, hook._on_sigterm)
                return hook

            def __exit__(self, *exc):
                signal.signal(signal.SIGTERM, self.previous)
                return False

        return _Installed()

    # ----- session side -----
    def begin(self):
        self._global_step = tf.compat.v1.train.get_global_step()
        if self.is_chief:
            # Unsharded: one file written by this process, whatever devices (ps tasks) hold the variables.
            self._saver = tf.compat.v1.train.Saver(sharded=False, max_to_keep=self.keep,
                                                   save_relative_paths=True)

    def after_run(self, run_context, run_values):
        if not self.requested:
            return
        step = int(run_context.session.run(self._global_step))
        path = None
        if self.is_chief:
            state = tf.train.get_checkpoint_state(self.model_dir)
            if state:  # keep the estimator's rotation of old checkpoints going
                self._saver.recover_last_checkpoints(list(state.all_model_checkpoint_paths))
            path = self._saver.save(run_context.session, os.path.join(self.model_dir, "model.ckpt"),
                                    global_step=step, write_meta_graph=False)
        log.warning("interruption: checkpoint %s at step %d; exiting", path or "(left to the chief)", step)
        raise TrainingInterrupted(step, path)
