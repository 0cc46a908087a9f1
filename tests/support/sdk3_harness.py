"""SDK v3 (``sagemaker>=3``) in its own venv, and its container drivers run for real without Docker.

SDK v3 cannot share a venv with SDK v2 (one ``sagemaker`` package), so it lives in ``build/sdk3-venv``, made
once with pip's cache (or ``$NER_TAGGER_SDK3_PYTHON``, an interpreter that has it); tests that need it skip,
saying why, when PyPI cannot be reached.

:func:`prepare_local_job` runs ``tests/support/sdk3_local_job.py`` in that venv: ``ModelTrainer`` in LOCAL_CONTAINER
mode up to the ``docker compose up`` it would run, giving the compose service (volumes, entry point,
environment) and the files it wrote. :func:`run_service` then plays the container: in a private mount
namespace (``unshare -m``; root only) a tmpfs hides the host's ``/opt``, each volume is bind-mounted onto its
``/opt/ml/...`` path as compose would, and the service's entry point (``/bin/bash -c .../sm_train.sh``) runs
with this venv's Python first on ``PATH`` standing in for the image's. v3's own drivers hard-code ``/opt/ml``,
so nothing of theirs is patched.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from support.processes import exclusive

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
VENV = os.path.join(BUILD, "sdk3-venv")
REQUIREMENT = "sagemaker>=3,<4"
LOCAL_JOB = os.path.join(ROOT, "tests", "support", "sdk3_local_job.py")
PYTHON_ENV = "NER_TAGGER_SDK3_PYTHON"


def sdk3_python() -> str:
    """An interpreter with SDK v3: ``$NER_TAGGER_SDK3_PYTHON``, else ``build/sdk3-venv`` (created now)."""
    if os.environ.get(PYTHON_ENV):
        return os.environ[PYTHON_ENV]
    python = os.path.join(VENV, "bin", "python")
    os.makedirs(BUILD, exist_ok=True)
    with exclusive(os.path.join(BUILD, ".sdk3-venv.lock")):
        if _has_sdk3(python):
            return python
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        proc = subprocess.run([python, "-m", "pip", "install", "-q", REQUIREMENT], capture_output=True, text=True)
        if proc.returncode != 0 or not _has_sdk3(python):
            shutil.rmtree(VENV, ignore_errors=True)
            pytest.skip(f"cannot install {REQUIREMENT!r} into {VENV} (PyPI unreachable?): "
                        f"{(proc.stdout + proc.stderr).strip()[-500:]}")
    return python


def _has_sdk3(python: str) -> bool:
    if not os.path.exists(python):
        return False
    probe = "import sagemaker.train.model_trainer, importlib.metadata as m; print(m.version('sagemaker'))"
    proc = subprocess.run([python, "-c", probe], capture_output=True, text=True)
    return proc.returncode == 0 and proc.stdout.strip().startswith("3.")


def prepare_local_job(python: str, workdir: str, **request) -> dict:
    """``tests/support/sdk3_local_job.py``'s answer for ``request`` (image, source_dir, entry_script, requirements,
    hyperparameters, channels), with the job's files under ``workdir``."""
    request = dict(request, root=os.path.join(workdir, "root"), drivers_copy=os.path.join(workdir, "sm_drivers"))
    os.makedirs(request["root"], exist_ok=True)
    path = os.path.join(workdir, "request.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(request, fh)
    proc = subprocess.run([python, LOCAL_JOB, path], capture_output=True, text=True, cwd=workdir, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def host_path(service: dict, container_path: str) -> str:
    """The host folder a volume of ``service`` mounts at ``container_path``."""
    for volume in service["volumes"]:
        host, _, target = volume.rpartition(":") if not volume.endswith(":z") else volume[:-2].rpartition(":")
        if target == container_path:
            return host
    raise KeyError(container_path)


def run_service(service: dict, extra_volumes=(), timeout=600) -> subprocess.CompletedProcess:
    """Run compose ``service``'s entry point as its container would see ``/opt/ml`` (module docstring).
    ``extra_volumes``: more ``host:container`` mounts, e.g. the platform's ``/opt/ml/checkpoints``."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare(1) for a private mount namespace (SDK v3's drivers hard-code /opt/ml)")
    mounts = [v[:-2] if v.endswith(":z") else v for v in list(service["volumes"]) + list(extra_volumes)]
    # Parents before children, as Docker orders a container's mounts.
    mounts.sort(key=lambda v: v.rpartition(":")[2].count("/"))
    lines = ["set -e", "mount --make-rprivate /", "mount -t tmpfs tmpfs /opt"]
    for volume in mounts:
        host, _, target = volume.rpartition(":")
        # Docker creates a missing host folder of a bind mount.
        lines += [f"mkdir -p {host} {target}", f"mount --bind {host} {target}"]
    env = {key: value for key, value in (item.split("=", 1) for item in service["environment"])}
    env.update(PATH=f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin", HOME="/root",
               LANG="C.UTF-8", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", TF_CPP_MIN_LOG_LEVEL="2")
    exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
    lines.append(f"cd / && exec env -i {exports} {' '.join(_quote(a) for a in service['entrypoint'])}")
    return subprocess.run(["unshare", "-m", "/bin/bash", "-c", "\n".join(lines)], capture_output=True, text=True,
                          timeout=timeout)


def _quote(value: str) -> str:
    import shlex

    return shlex.quote(str(value))
