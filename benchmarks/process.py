"""Running one side's command: its output stamped line by line, its peak memory, an optional time budget.

Each side runs in its own process (and interpreter), so memory is that process tree's alone. Peak RSS is
sampled with psutil every ``POLL_SECONDS`` over the process and its children (summed): a sampled peak
can miss a spike shorter than the interval, which a training run's steady allocations do not have.
"""
import dataclasses
import json
import os
import signal
import subprocess
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple

POLL_SECONDS = 0.2
# After SIGINT at the budget: time for the side to close files (spaCy saves model-last) before SIGKILL.
GRACE_SECONDS = 60


@dataclasses.dataclass
class Run:
    command: List[str]
    returncode: int
    started: float  # wall clock (time.time()) at launch: the zero of every "seconds" figure
    wall_seconds: float
    peak_rss_mb: float
    stopped_at_budget: bool
    lines: List[Tuple[float, str]]  # (seconds since start, line) of stdout and stderr together


def run(command: Sequence[str], log_path: str, env: Optional[Dict[str, str]] = None,
        budget: Optional[float] = None, cwd: Optional[str] = None) -> Run:
    """Run ``command`` to the end, or to ``budget`` seconds (then SIGINT, so each side keeps what its own
    interrupt handling saves). Output goes to ``log_path`` as it arrives, each line prefixed with its
    seconds since start."""
    import psutil

    started_wall, started = time.time(), time.monotonic()
    proc = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", bufsize=1, env=_env(env), cwd=cwd, preexec_fn=_interruptible)
    lines: List[Tuple[float, str]] = []
    reader = threading.Thread(target=_read, args=(proc, started, lines, log_path), daemon=True)
    reader.start()
    peak, stopped = 0, False
    while proc.poll() is None:
        peak = max(peak, _tree_rss(psutil, proc.pid))
        if budget and not stopped and time.monotonic() - started >= budget:
            proc.send_signal(signal.SIGINT)
            stopped = True
            _kill_after(proc, GRACE_SECONDS)
        time.sleep(POLL_SECONDS)
    wall = time.monotonic() - started
    reader.join(timeout=10)
    return Run(list(command), proc.returncode, started_wall, round(wall, 1), round(peak / 2 ** 20, 1),
               stopped, lines)


def _interruptible():
    # A driver started in the background (`... &`) inherits SIGINT ignored, and so would the side: then
    # Python installs no KeyboardInterrupt handler and the budget's SIGINT does nothing.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _env(extra):
    env = dict(os.environ, PYTHONUNBUFFERED="1")  # lines must arrive when printed, for their time stamps
    env.update(extra or {})
    return env


def _read(proc, started, lines, log_path):
    with open(log_path, "w", encoding="utf-8") as log:
        for line in proc.stdout:
            seconds = time.monotonic() - started
            lines.append((seconds, line.rstrip("\n")))
            log.write(f"{seconds:9.1f} {line}")
            log.flush()


def _tree_rss(psutil, pid):
    try:
        parent = psutil.Process(pid)
        members = [parent] + parent.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # a child that ended between listing and reading
            pass
    return total


def _kill_after(proc, seconds):
    timer = threading.Timer(seconds, lambda: proc.poll() is None and proc.kill())
    timer.daemon = True
    timer.start()


def run_json(command: Sequence[str], log_path: str, env: Optional[Dict[str, str]] = None):
    """Run a command that prints one JSON object on stdout; its stderr goes to ``log_path``."""
    done = subprocess.run(list(command), capture_output=True, text=True, env=_env(env), cwd=_root())
    with open(log_path, "w", encoding="utf-8") as fh:
        fh.write(done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed ({done.returncode}); see {log_path}")
    return json.loads(done.stdout)


def thread_env(threads: int) -> Dict[str, str]:
    """Thread caps for the BLAS/OpenMP pools either side may use (TensorFlow also gets intra_op_threads)."""
    if not threads:
        return {}
    return {name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def _root():
    # The repository root, so ``-m benchmarks.<side>`` resolves in either interpreter.
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_mb(pid: int) -> float:
    """A live process's resident memory now (MiB), from ``/proc`` (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line")


# Peak RSS of an interpreter that only imports the framework: the floor neither side can train below.
FLOOR_PROBE = ("import resource, sys, importlib; importlib.import_module(sys.argv[1]); "
               "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


def import_floor_mb(python: str, module: str, env: Optional[Dict[str, str]] = None) -> float:
    done = subprocess.run([python, "-c", FLOOR_PROBE, module], capture_output=True, text=True, env=_env(env),
                          check=True)
    return round(int(done.stdout.split()[-1]) / 1024, 1)  # ru_maxrss is in KiB on Linux
