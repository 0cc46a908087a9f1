"""Helpers for tests that share work across pytest-xdist workers or watch a subprocess's output."""
import contextlib
import fcntl
import os
import queue
import re
import signal
import threading
import time

import pytest


@contextlib.contextmanager
def exclusive(lock_path):
    """Hold an exclusive lock on ``lock_path`` (created if missing): pytest-xdist workers are separate
    processes, so what they share (one trained model, the wheel cache under build/) is built under a lock."""
    with open(lock_path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_shared_folder(tmp_path_factory, name):
    """A folder for one test run: the same for every pytest-xdist worker of the run (their base temps share a
    parent), a fresh one without xdist."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / name
        folder.mkdir(exist_ok=True)
        return folder
    return tmp_path_factory.mktemp(name)


def _line_queue(proc):
    """``proc``'s output lines through a queue that one reader thread fills (``None`` at the end), so that a
    wait for a line is bounded even when ``proc`` goes silent without exiting."""
    lines = getattr(proc, "_test_lines", None)
    if lines is None:
        lines = proc._test_lines = queue.Queue()

        def pump():
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)
        threading.Thread(target=pump, daemon=True).start()
    return lines


def read_until(proc, pattern, timeout):
    """Lines of ``proc``'s output up to the first that matches ``pattern``; kills ``proc`` and fails the test
    if none does within ``timeout`` seconds (or ``proc``'s output ends first)."""
    lines, source, deadline = [], _line_queue(proc), time.monotonic() + timeout
    while True:
        try:
            line = source.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
        if re.search(pattern, line):
            return lines
    proc.kill()
    pytest.fail("never saw %r:\n%s" % (pattern, "".join(lines)[-3000:]))


def sigterm_after(proc, pattern, timeout, wait=90):
    """Send SIGTERM once ``proc`` logs ``pattern`` (a training process well under way); its whole log once it
    exited (killed if it outlives ``wait`` seconds)."""
    try:
        lines = read_until(proc, pattern, timeout)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=wait)
    finally:
        if proc.poll() is None:
            proc.kill()
    source = _line_queue(proc)
    while (line := source.get(timeout=30)) is not None:
        lines.append(line)
    return "".join(lines)
