"""``container/serve`` as a child process on loopback: start it, wait for ``/ping``, stop it.

For the source tree's own tools, which all need a real gunicorn serving a model: the tests
(tests/support/container_harness.py), the load test (benchmarks/loadtest.py) and the benchmark
(benchmarks/serve_side.py). ``NER_TAGGER_ML_ROOT`` stands in for ``/opt/ml``: the model is served from
``<ml_root>/model``. Standard library only: a client that imports this does not load TensorFlow, so it does
not compete with the server for cores or memory.
"""
import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from typing import List, Mapping, Optional

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVE = os.path.join(REPO, "container", "serve")
LOOPBACK = "127.0.0.1"


def free_ports(count: int) -> List[int]:
    """``count`` distinct loopback ports free now (all held open while picking, so none repeats)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]


def ping(url: str, timeout: float = 2) -> bool:
    """Whether ``GET <url>/ping`` answers 200 now."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", "/ping")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


class ServeProcess:
    """``container/serve`` on a free loopback port with ``workers`` gunicorn workers (None: ``serve``'s
    default, one), its output (stdout and stderr) in ``log_path`` (default ``<ml_root>/serve.log``). ``env``
    adds or overrides variables (values may be numbers); ``python`` is the interpreter ``serve`` runs under
    (``NER_TAGGER_PYTHON``)."""

    def __init__(self, ml_root: str, workers: Optional[int] = None, env: Optional[Mapping[str, object]] = None,
                 log_path: Optional[str] = None, python: str = sys.executable):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log = open(log_path or os.path.join(ml_root, "serve.log"), "w+", encoding="utf-8")  # noqa: SIM115
        environ = dict(os.environ, NER_TAGGER_ML_ROOT=str(ml_root), NER_TAGGER_PYTHON=python,
                       PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="3",
                       SAGEMAKER_BIND_TO_PORT=str(self.port), NER_TAGGER_BIND_HOST=LOOPBACK)
        environ.pop("TF_CONFIG", None)  # a training cluster's description means nothing to a server
        environ.pop("SAGEMAKER_MODEL_SERVER_WORKERS", None)
        if workers is not None:
            environ["SAGEMAKER_MODEL_SERVER_WORKERS"] = str(workers)
        environ.update({name: str(value) for name, value in (env or {}).items()})
        self.process = subprocess.Popen([SERVE], cwd=str(ml_root), env=environ, stdout=self.log,  # noqa: S603
                                        stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 180) -> "ServeProcess":
        """Return once ``/ping`` answers 200; raise with the log's tail if ``serve`` exits or is too slow."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            if ping(self.url):
                return self
            time.sleep(0.5)
        raise RuntimeError(f"serve not ready in {timeout}s:\n{self.output()[-3000:]}")

    def workers(self) -> List[int]:
        """Pids of the gunicorn workers (children of the master, which is the ``serve`` process after exec)."""
        path = f"/proc/{self.process.pid}/task/{self.process.pid}/children"
        with open(path, encoding="ascii") as fh:
            return sorted(int(p) for p in fh.read().split())

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (gunicorn drains its workers), SIGKILL after ``timeout`` seconds; closes the log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
