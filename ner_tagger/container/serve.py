"""``serve``: the hosting half of the SageMaker container contract, as gunicorn in front of the WSGI app.

https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html: listen on port 8080 (or
``SAGEMAKER_BIND_TO_PORT``), answer ``GET /ping`` and ``POST /invocations``, model in ``/opt/ml/model``.

This process checks the settings and that a SavedModel is there, drops root if told to, then *execs*
gunicorn: the gunicorn master (PID 1 in the image) is a fresh interpreter that never imports TensorFlow,
and each worker imports :mod:`ner_tagger.container.wsgi` after the fork, loading its own model. A fork after
TensorFlow has started its thread pools can deadlock the child.

One worker by default, serving concurrent requests from a pool of threads (gunicorn's ``gthread``): the
session releases the GIL while it runs, so one model in memory serves every client, where a sync worker per
core holds a model per core (docs/container.md, "One process, threads"). Each request runs through the model
on its own, so its answer does not depend on what else is in flight.

Exit codes: 2 for a bad setting or a missing model (reason on stderr), else gunicorn's own.
"""
import dataclasses
import os
import pwd
import sys
from typing import List, Mapping, Optional

from ner_tagger.job.failure import EXIT_USER_ERROR
from ner_tagger.sagemaker.environment import MLPaths, has_saved_model
from ner_tagger.serving import deadline
from ner_tagger.serving.payload import Limits, batch_transform_payload_mb

APP = "ner_tagger.container.wsgi:application"
BATCH_TRANSFORM_TIMEOUT = 600


class SettingsError(ValueError):
    """An environment variable ``serve`` cannot use; the message names it and its value."""


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    """Every knob of ``serve``, read once from the environment (name in the comment)."""

    model_dir: str = "/opt/ml/model"  # $NER_TAGGER_ML_ROOT/model
    host: str = "0.0.0.0"  # noqa: S104 (SageMaker sends /ping and /invocations to port 8080 from outside)
    port: int = 8080                  # SAGEMAKER_BIND_TO_PORT (set by multi-container endpoints)
    # SAGEMAKER_MODEL_SERVER_WORKERS: processes, each with its own model; one serves any concurrency.
    workers: int = 1
    # NER_TAGGER_SERVE_THREADS: requests one worker serves at once. Default 4 per core: the model's calls
    # release the GIL, and the threads of requests being parsed or answered fill the cores meanwhile.
    # 1: gunicorn's sync worker, one request per process at a time (memory then grows with the workers).
    threads: int = 4
    # SAGEMAKER_MODEL_SERVER_TIMEOUT: seconds a request may take. Default 60 (a real-time invocation's
    # limit), or in a Batch Transform container 600 (the default InvocationsTimeoutInSeconds of a transform
    # job, whose multi-MB mini-batches take minutes on a CPU). The app answers 503 before then
    # (request_budget_s). gunicorn's --timeout, set to it too, restarts a worker that stops beating: a
    # sync worker beats between requests, a threaded one from a loop apart from its requests, so there only
    # a hung process (not a slow request) trips it.
    timeout: int = 60
    batch_transform: bool = False     # SAGEMAKER_BATCH / SAGEMAKER_MAX_PAYLOAD_IN_MB set
    # NER_TAGGER_TF_THREADS: TensorFlow intra-op threads per worker. Default cores / workers: TensorFlow
    # otherwise starts one thread per core in every worker, and N workers oversubscribe the CPU N times.
    tf_threads: int = 1
    batch_size: int = 128             # NER_TAGGER_PREDICT_BATCH: sentences per model call inside a request
    user: str = ""                    # NER_TAGGER_SERVE_USER: drop root to this user before serving
    limits: Limits = Limits()         # NER_TAGGER_MAX_* (see payload.Limits)

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "ServeSettings":
        environ = os.environ if environ is None else environ
        cores = os.cpu_count() or 1
        workers = _int(environ, "SAGEMAKER_MODEL_SERVER_WORKERS", cls.workers)
        try:
            limits = Limits.from_env(environ)
            batch = batch_transform_payload_mb(environ) is not None
        except ValueError as err:
            raise SettingsError(str(err)) from None
        return cls(model_dir=MLPaths.from_env(environ).model_dir,
                   host=environ.get("NER_TAGGER_BIND_HOST") or cls.host,
                   port=_int(environ, "SAGEMAKER_BIND_TO_PORT", cls.port, high=65535),
                   workers=workers,
                   threads=_int(environ, "NER_TAGGER_SERVE_THREADS", 4 * cores),
                   timeout=_int(environ, "SAGEMAKER_MODEL_SERVER_TIMEOUT",
                                BATCH_TRANSFORM_TIMEOUT if batch else cls.timeout),
                   batch_transform=batch,
                   tf_threads=_int(environ, "NER_TAGGER_TF_THREADS", max(1, cores // workers)),
                   batch_size=_int(environ, "NER_TAGGER_PREDICT_BATCH", cls.batch_size),
                   user=environ.get("NER_TAGGER_SERVE_USER", ""),
                   limits=limits)


    @property
    def concurrency(self) -> int:
        """Requests worth sending at once (Batch Transform's MaxConcurrentTransforms): as many as run in
        parallel, at most a core each, since a big request keeps a core busy with its own model calls."""
        return min(self.workers * self.threads, max(self.workers, os.cpu_count() or 1))

    @property
    def request_budget_s(self) -> float:
        """Seconds the app gives a request: the server's timeout (and SageMaker's 60 s for a real-time
        endpoint) less a margin, so the app answers before the client or SageMaker gives up."""
        return deadline.budget(self.timeout, self.batch_transform)

    @property
    def budget_setting(self) -> str:
        return f"SAGEMAKER_MODEL_SERVER_TIMEOUT={self.timeout} less a margin"


def _int(environ: Mapping[str, str], name: str, default: int, high: Optional[int] = None) -> int:
    raw = environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected an integer") from None
    if value < 1 or (high is not None and value > high):
        raise SettingsError(f"{name}={raw!r}: must be between 1 and {high}" if high else
                            f"{name}={raw!r}: must be >= 1")
    return value


def gunicorn_argv(settings: ServeSettings) -> List[str]:
    """The gunicorn command line for ``settings`` (the app reads its own settings again, post-fork)."""
    argv = [sys.executable, "-m", "gunicorn",
            "--bind", f"{settings.host}:{settings.port}",
            "--workers", str(settings.workers),
            *worker_class(settings.threads),
            "--timeout", str(settings.timeout),
            "--graceful-timeout", str(settings.timeout),
            "--access-logfile", "-", "--error-logfile", "-", "--log-level", "info",
            # No control socket: it would be written to the working directory, read-only for a non-root user.
            "--no-control-socket"]
    if os.path.isdir("/dev/shm"):  # noqa: S108 (gunicorn heartbeats, not data)
        # Heartbeat files on tmpfs: on an overlay filesystem a slow fsync can get a healthy worker killed.
        argv += ["--worker-tmp-dir", "/dev/shm"]  # noqa: S108 (gunicorn heartbeats, not data)
    return argv + [APP]


def worker_class(threads: int) -> List[str]:
    """gthread: a worker serves ``threads`` requests at once from one model in memory; with one thread,
    sync: the same one request at a time, without keeping connections alive."""
    if threads == 1:
        return ["--worker-class", "sync"]
    return ["--worker-class", "gthread", "--threads", str(threads)]


def drop_privileges(user: str) -> None:
    """As root with ``user`` set, become ``user`` (the image sets ``NER_TAGGER_SERVE_USER``), else no-op.

    Training keeps root (SageMaker's ``/opt/ml`` mounts are root-owned); serving only reads the model and
    binds an unprivileged port, so a compromised worker should not hold root.
    """
    if not user or os.geteuid() != 0:
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise SettingsError(f"NER_TAGGER_SERVE_USER={user!r}: no such user") from None
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ["HOME"] = entry.pw_dir
    os.environ["USER"] = entry.pw_name


def main() -> int:
    try:
        settings = ServeSettings.from_env()
        if not has_saved_model(settings.model_dir):
            raise SettingsError(f"{settings.model_dir}: no SavedModel (a numeric version folder with "
                                "saved_model.pb); train first, or set NER_TAGGER_ML_ROOT")
        drop_privileges(settings.user)
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    # Several workers share one GPU: without growth the first would reserve all of its memory.
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    argv = gunicorn_argv(settings)
    print(f"serve: {settings.model_dir} on {settings.host}:{settings.port}, {settings.workers} worker(s) of "
          f"{settings.threads} request thread(s) and {settings.tf_threads} TensorFlow thread(s) each",
          file=sys.stderr, flush=True)
    os.execv(argv[0], argv)  # noqa: S606 (exec form: SIGTERM reaches gunicorn, no shell between)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
