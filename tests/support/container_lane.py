"""The container lane's shared harness: a real Docker engine, the images scripts/container_env.sh builds, and
the SageMaker SDK v2's local mode with nothing that reaches AWS.

Tests marked ``container`` use this module and nothing private of each other:

- ``require_engine()`` / ``require_images(*names)``: skip with the reason when no engine answers or an image is
  missing (the remedy is ``scripts/container_env.sh``); ``product_image()``: `make build` once per session;
  ``managed_training_image()``: the managed image's name as the SDK computes it;
- ``docker(*args)``: the docker CLI with errors that carry its output; ``Containers``: names and removes the
  containers (and networks) a test starts; ``local_mode_containers(root)`` / ``sweep_local_mode(root)``: list
  and remove what the SDK's local mode started under ``root`` (it leaves training containers behind);
- ``local_session(root)``: a ``LocalSession`` with a fake account and region whose AWS clients refuse to send
  anything, telemetry opted out, and its compose files and mounts under ``root``;
- ``scaffold_opt_ml(root)``: an /opt/ml like SageMaker's from test_dir/ with tiny hyperparameters;
- ``free_port()``, ``http(url, ...)``, ``wait_http(url, ...)``.
"""
import copy
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from support.synthetic import TINY, synthetic_sentences, write_conll

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_DIR = os.path.join(REPO, "test_dir")

# A region the SDK knows and an account that is not anyone's: nothing here talks to AWS. The region must be
# the one scripts/container_env.sh tagged the managed stand-in for (NER_TAGGER_TEST_REGION in both).
REGION = os.environ.get("NER_TAGGER_TEST_REGION", "us-west-2")
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/NerTaggerLocalTest"  # a full ARN: the SDK does not ask IAM to expand it

# The product image (`make build`), its base stand-in, and the managed training image's stand-in.
IMAGE = os.environ.get("NER_TAGGER_IMAGE", "ner-tagger:latest")
TF_BASE_IMAGE = "tensorflow/tensorflow:2.15.0"
MANAGED_TF_VERSION, MANAGED_PY_VERSION = "2.14", "py310"
# Where an engine runs without a default bridge (dockerd --bridge=none), `docker build` needs the host network
# to reach PyPI; elsewhere NER_TAGGER_DOCKER_BUILD_FLAGS= (empty) builds as a plain `make build` does.
DOCKER_BUILD_FLAGS = os.environ.get("NER_TAGGER_DOCKER_BUILD_FLAGS", "--network host")
# Every container a lane test starts carries this label, so a crashed run's leftovers can be found.
TEST_LABEL = "org.ner-tagger.test"

SETUP_HINT = "run `scripts/container_env.sh` (as root) to start the engine and build the stand-in images"


def managed_training_image(region=REGION):
    """The managed TensorFlow training image's URI as the SDK computes it for a CPU job in ``region``."""
    from sagemaker import image_uris
    return image_uris.retrieve("tensorflow", region, version=MANAGED_TF_VERSION, py_version=MANAGED_PY_VERSION,
                               instance_type="ml.c5.xlarge", image_scope="training")


def require_managed_image():
    """The managed training image's stand-in, as local mode runs it (compose and the image present), or skip."""
    require_compose()
    image = managed_training_image()
    require_images(image)
    return image


# ---------------------------------------------------------------------------------------------------- engine


def docker(*args, check=True, timeout=600, **kwargs):
    """``docker ARGS`` as a CompletedProcess (text); with ``check``, a failure raises with the command's output."""
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} exited {result.returncode}:\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


_ENGINE_PROBLEM = []


def engine_problem():
    """None when a Docker engine answers, else why not (asked once per session)."""
    if not _ENGINE_PROBLEM:
        if shutil.which("docker") is None:
            problem = "no docker client on PATH"
        else:
            try:
                result = docker("info", "--format", "{{.Driver}}", check=False, timeout=20)
                problem = None if result.returncode == 0 else \
                    f"no Docker engine answers ({(result.stderr or result.stdout).strip()[:300]})"
                if problem is None and result.stdout.strip() == "vfs":
                    # vfs copies every layer per container; a few local-mode runs fill the disk.
                    problem = "the engine uses the vfs storage driver; restart it with overlay2"
            except subprocess.TimeoutExpired:
                problem = "the Docker engine did not answer `docker info` within 20 s"
        _ENGINE_PROBLEM.append(problem)
    return _ENGINE_PROBLEM[0]


def require_engine():
    problem = engine_problem()
    if problem:
        pytest.skip(f"container lane: {problem}; {SETUP_HINT}")


def have_image(name):
    return docker("image", "inspect", name, check=False, timeout=30).returncode == 0


def require_images(*names):
    require_engine()
    missing = [name for name in names if not have_image(name)]
    if missing:
        pytest.skip(f"container lane: image(s) {', '.join(missing)} missing; {SETUP_HINT}")


def require_compose():
    """The SDK's local mode shells out to `docker-compose` (v1) or `docker compose` (v2)."""
    if shutil.which("docker-compose") is None and docker("compose", "version", check=False).returncode != 0:
        pytest.skip(f"container lane: neither docker-compose nor `docker compose` is installed; {SETUP_HINT}")


def make_build(image=IMAGE, timeout=1800):
    """`make build` of the product image on whatever base the engine has; returns the wall time in seconds."""
    name, _, tag = image.partition(":")
    before = docker("image", "inspect", "-f", "{{.Id}}", image, check=False, timeout=30).stdout.strip()
    started = time.monotonic()
    result = subprocess.run(["make", "-C", REPO, "build", f"IMAGE={name}", f"TAG={tag or 'latest'}",
                             f"DOCKER_BUILD_FLAGS={DOCKER_BUILD_FLAGS}"],
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"make build exited {result.returncode}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    seconds = time.monotonic() - started
    after = docker("image", "inspect", "-f", "{{.Id}}", image, check=False, timeout=30).stdout.strip()
    if before and before != after:
        # The previous build lost its tag: 2 GB of untagged layers per code change otherwise (fails harmlessly
        # while a container still uses it).
        docker("image", "rm", before, check=False, timeout=120)
    return seconds


_BUILT = {}


def product_image():
    """The product image, built by `make build` from this checkout once per pytest session (so no test runs a
    stale image), on whatever `tensorflow/tensorflow:2.15.0` the engine has. Skips without engine or base."""
    require_images(TF_BASE_IMAGE)
    if IMAGE not in _BUILT:
        _BUILT[IMAGE] = make_build()
        print(f"\nmake build ({IMAGE}): {_BUILT[IMAGE]:.1f} s")
    return IMAGE


class Containers:
    """Containers (and user-defined networks) a test starts, by name; ``remove_all()`` (use it in a ``finally``)
    removes every one of them."""

    def __init__(self, prefix="nertest"):
        self.prefix = prefix
        self.names = []
        self.networks = []

    def network(self):
        """A new user-defined bridge network. Published ports (``-p``) need one where the engine runs with
        --bridge=none; containers on it reach each other by name and have no route out."""
        name = f"{self.prefix}-net-{uuid.uuid4().hex[:8]}"
        docker("network", "create", "--label", f"{TEST_LABEL}=1", name, timeout=60)
        self.networks.append(name)
        return name

    def name(self, role):
        name = f"{self.prefix}-{role}-{uuid.uuid4().hex[:8]}"
        self.names.append(name)
        return name

    def run_args(self, role):
        """``--name`` and ``--label`` arguments for ``docker run``/``create``; the name is remembered."""
        return ["--name", self.name(role), "--label", f"{TEST_LABEL}=1"]

    def remove_all(self):
        if self.names:
            docker("rm", "-f", "-v", *self.names, check=False, timeout=120)
        if self.networks:
            docker("network", "rm", *self.networks, check=False, timeout=60)
        self.names, self.networks = [], []


def running(name):
    result = docker("inspect", "-f", "{{.State.Running}}", name, check=False, timeout=30)
    return result.returncode == 0 and result.stdout.strip() == "true"


def exit_code(name):
    return int(docker("inspect", "-f", "{{.State.ExitCode}}", name, timeout=30).stdout.strip())


def logs(name):
    result = docker("logs", name, check=False, timeout=60)
    return result.stdout + result.stderr


# ------------------------------------------------------------------------------------------------ networking


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url, body=None, content_type=None, timeout=60):
    """(status, parsed JSON or text) for one request; 4xx/5xx are returned, not raised."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def wait_http(url, timeout=180, alive=None):
    """Poll ``url`` until it answers 200; ``alive()`` returning False (the server died) ends the wait early."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            status, _ = http(url, timeout=3)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as err:
            last = repr(err)
        if alive is not None and not alive():
            raise RuntimeError(f"{url}: the server stopped before answering ({last})")
        time.sleep(1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s (last: {last})")


# --------------------------------------------------------------------------------------------- /opt/ml tree

# Tiny hyperparameters as SageMaker passes them (strings): the suite's TINY set, 150 steps. On the synthetic
# task (tests/conftest.py) that is enough for a model whose answers can be checked entity by entity.
TINY_HYPERPARAMETERS = dict({k: str(v) for k, v in TINY.items()}, max_steps="150", eval_every_steps="75")


def shipped_config(hyperparameters=None, **settings):
    """configs/sagemaker.json as shipped with ``settings`` on top, and the lane's tiny hyperparameters (then
    ``hyperparameters``, as strings) on top of its own, checked as the launcher checks them."""
    from ner_tagger.sagemaker import launch

    config = copy.deepcopy(launch.load_config(os.path.join(REPO, "configs", "sagemaker.json")))
    config.update(settings)
    config["hyperparameters"] = dict(config["hyperparameters"], **TINY_HYPERPARAMETERS)
    config["hyperparameters"].update({k: str(v) for k, v in (hyperparameters or {}).items()})
    launch.check_hyperparameters(config["hyperparameters"])
    return config


def write_training_channel(folder):
    """train.txt and dev.txt of the synthetic task in ``folder`` (created); returns it as a str."""
    os.makedirs(str(folder), exist_ok=True)
    write_conll(os.path.join(str(folder), "train.txt"), synthetic_sentences(300, 1))
    write_conll(os.path.join(str(folder), "dev.txt"), synthetic_sentences(60, 2))
    return str(folder)


def scaffold_opt_ml(root, **hyperparameters):
    """An /opt/ml under ``root`` as SageMaker lays it out: test_dir/'s input/config (one host, a `training`
    channel), the synthetic task in input/data/training, TINY_HYPERPARAMETERS updated with ``hyperparameters``.
    Returns ``root`` as a str."""
    root = str(root)
    os.makedirs(root, exist_ok=True)
    # pytest's tmp folders are 0700; mounted as /opt/ml, `serve` (which drops to the unprivileged user `ner`)
    # could not even look inside. SageMaker's /opt/ml is world-readable.
    os.chmod(root, 0o755)  # noqa: S103 (the container user must read the mounted /opt/ml)
    shutil.copytree(os.path.join(TEST_DIR, "input", "config"), os.path.join(root, "input", "config"),
                    dirs_exist_ok=True)
    write_training_channel(os.path.join(root, "input", "data", "training"))
    values = dict(TINY_HYPERPARAMETERS, **{k: str(v) for k, v in hyperparameters.items()})
    with open(os.path.join(root, "input", "config", "hyperparameters.json"), "w", encoding="utf-8") as fh:
        json.dump(values, fh, indent=2)
    return root


def numeric_versions(folder):
    return sorted(n for n in os.listdir(folder) if n.isdigit()) if os.path.isdir(folder) else []


# ----------------------------------------------------------------------------------------------- local mode


class AwsCallRefused(RuntimeError):
    """A boto client built from the lane's session tried to send a request to AWS."""


def local_session(root, serving_port=None):
    """A LocalSession that cannot reach AWS: fake credentials in a fixed region, every request any of its boto
    clients would send refused (and recorded in ``session.refused_aws_calls``), telemetry opted out, local code,
    its compose files and mounts under ``root``, endpoints on ``serving_port`` (a free one by default)."""
    import boto3
    from sagemaker.local import LocalSession

    boto_session = boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                                 aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # noqa: S106 (AWS docs example)
                                 region_name=REGION)
    refused = []

    def refuse(request, **_):
        refused.append(f"{request.method} {request.url}")
        raise AwsCallRefused(f"the container lane never talks to AWS, but the SDK sent {request.method} "
                             f"{request.url}")

    boto_session.events.register("before-send", refuse)  # every client made from this session, S3 and STS too
    # Passing the SDK config here (not reading ~/.config/sagemaker) keeps a developer's defaults out, and
    # opts out of the telemetry calls the SDK would otherwise make to an AWS endpoint.
    sagemaker_config = {"SchemaVersion": "1.0",
                        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    session = LocalSession(boto_session=boto_session, sagemaker_config=sagemaker_config)
    os.makedirs(str(root), exist_ok=True)
    session.config = {"local": {"local_code": True, "container_root": str(root),
                                "serving_port": serving_port or free_port()}}
    session.refused_aws_calls = refused
    return session


def local_mode_containers(root):
    """{container id: compose service (host name, e.g. algo-1-x8qvh)} of the containers the SDK's local mode
    started from compose files under ``root``, running or not. Compose labels each container with its file's
    folder, so only this test's containers are listed, whatever else runs on the engine."""
    root = os.path.realpath(str(root))
    label = "com.docker.compose.project.working_dir"
    listing = docker("ps", "-a", "--filter", f"label={label}", "--format",
                     f'{{{{.ID}}}}\t{{{{.Label "{label}"}}}}\t{{{{.Label "com.docker.compose.service"}}}}',
                     check=False, timeout=60)
    found = {}
    for line in listing.stdout.splitlines():
        cid, folder, service = (line.split("\t") + ["", ""])[:3]
        if os.path.realpath(folder).startswith(root + os.sep):
            found[cid] = service
    return found


def sweep_local_mode(root):
    """Remove the containers the SDK's local mode started under ``root`` (it leaves every training container
    behind, stopped; read their ``logs()`` first if a test needs them). Returns how many were removed."""
    ids = list(local_mode_containers(root))
    if ids:
        docker("rm", "-f", "-v", *ids, check=False, timeout=120)
    return len(ids)
