"""SIGTERM (spot interruption, StopTrainingJob) during training: checkpoint, then exit 143.

The hook in this process; tests/test_reliability_interruption.py signals a real job's process and restarts it.
"""
import signal

from ner_tagger.job import interruption


def test_hook_is_inert_until_signalled():
    hook = interruption.SigtermCheckpointHook("/nonexistent")
    previous = signal.getsignal(signal.SIGTERM)
    with hook.installed():
        assert signal.getsignal(signal.SIGTERM) == hook._on_sigterm
        assert hook.requested is False
        hook.after_run(None, None)  # no signal: nothing to do
    assert signal.getsignal(signal.SIGTERM) == previous
