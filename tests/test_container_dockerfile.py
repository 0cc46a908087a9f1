"""What can be checked of the image without a Docker engine: the Dockerfile's sources, executables and entry,
the Makefile's commands, and that test_dir is a valid /opt/ml."""
import ast
import fnmatch
import json
import os
import re
import shutil
import subprocess

import pytest
from support.container_harness import REPO, TEST_DIR

from ner_tagger.corpus import conll
from ner_tagger.sagemaker import environment, hyperparameters
from ner_tagger.sagemaker.environment import MLPaths


def instructions():
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    with open(os.path.join(REPO, "Dockerfile"), encoding="utf-8") as fh:
        text = re.sub(r"\\\n", " ", "".join(line for line in fh if not line.lstrip().startswith("#")))
    return [tuple(line.strip().split(None, 1)) for line in text.splitlines() if line.strip()]


def of(kind):
    return [args for name, args in instructions() if name.upper() == kind]


def dockerignore():
    with open(os.path.join(REPO, ".dockerignore"), encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip() and not line.startswith("#")]


def test_base_is_tensorflow_2_15_with_cpu_and_gpu_variants():
    args = dict(a.split("=", 1) if "=" in a else (a, "") for a in of("ARG"))
    assert args["TF_VERSION"].startswith("2.15") and args["VARIANT"] == ""
    assert of("FROM") == ["tensorflow/tensorflow:${TF_VERSION}${VARIANT}"]


def test_every_copied_path_exists_and_is_in_the_build_context():
    ignored = dockerignore()
    copies = of("COPY") + of("ADD")
    assert copies
    for args in copies:
        *sources, _ = [a for a in args.split() if not a.startswith("--")]
        for source in sources:
            assert os.path.exists(os.path.join(REPO, source)), source
            assert not any(fnmatch.fnmatch(source, p) or source.split("/")[0] == p for p in ignored), source


@pytest.mark.parametrize("name", ["train", "serve"])
def test_named_scripts_are_executable_and_exec_python(name):
    path = os.path.join(REPO, "container", name)
    assert f"container/{name}" in " ".join(of("COPY"))
    assert os.access(path, os.X_OK)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert text.startswith("#!/bin/sh") and re.search(r"^exec .* -m ner_tagger\.container\.", text, re.M)
    assert f"/opt/ml/code/{name}" in " ".join(of("RUN"))  # chmod'ed and copied onto /usr/local/bin


def test_entry_is_exec_form():
    entries = of("CMD") + of("ENTRYPOINT")
    assert entries
    for entry in entries:
        assert isinstance(json.loads(entry), list)


def test_code_on_path_package_installed_with_serve_extra_and_a_serve_user():
    env = " ".join(of("ENV"))
    assert re.search(r'PATH="/opt/ml/code:\$\{PATH\}"', env)
    assert "NER_TAGGER_SERVE_USER=ner" in env
    run = " ".join(of("RUN"))
    assert "useradd" in run and " ner" in run
    assert '"/opt/ml/code[serve]"' in run and "-c /tmp/base-constraints.txt" in run
    assert [a for a in of("WORKDIR")][0] == "/opt/ml/code"


def test_setup_declares_the_serve_extra():
    with open(os.path.join(REPO, "setup.py"), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup")
    extras = ast.literal_eval(next(k.value for k in call.keywords if k.arg == "extras_require"))
    assert any(r.startswith("gunicorn") for r in extras["serve"])
    assert set(extras["serve"]) <= set(extras["test"])


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_makefile_targets():
    def dry(*args):
        return subprocess.run(["make", "-n", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout

    run = r'docker run --rm +-v "' + re.escape(TEST_DIR) + r':/opt/ml" ner-tagger:latest train'
    assert re.search(run, dry("local-train"))
    assert "--build-arg VARIANT=-gpu -t ner-tagger:latest-gpu" in dry("build", "VARIANT=-gpu")
    assert f"NER_TAGGER_ML_ROOT={TEST_DIR}" in dry("local-train-nodocker")
    push = dry("push", "ACCOUNT=123456789012", "REGION=eu-west-1")
    assert "docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ner-tagger:latest" in push
    assert "aws ecr get-login-password --region eu-west-1" in push


def test_test_dir_is_a_valid_opt_ml():
    paths = MLPaths(TEST_DIR)
    raw = hyperparameters.read_raw(paths.hyperparameters)
    assert any(v.startswith('"') for v in raw.values()) and any(not v.startswith('"') for v in raw.values())
    hyperparameters.load(paths.hyperparameters)
    training = environment.JobEnvironment.from_opt_ml(paths, {}).channel_roles()["training"]
    assert len(conll.read_conll(os.path.join(training, "train.txt"))) == 300
    assert len(conll.read_conll(os.path.join(training, "dev.txt"))) == 100
    with open(os.path.join(TEST_DIR, "README.md"), encoding="utf-8") as fh:
        assert "CC-BY 4.0" in fh.read()
