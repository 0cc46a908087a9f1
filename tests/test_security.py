"""Security properties of the package and the container: no unsafe calls in the sources, no path out of the
data directory, `serve` not running as root, and no secret in the failure file or the logs."""
import ast
import glob
import json
import os
import pwd
import re
import subprocess
import sys

import pytest
from support.container_harness import REPO, STRING_HPARAMS, failure, run_train, scaffold
from support.opt_ml import channel_roles

from ner_tagger.container import serve
from ner_tagger.corpus import data_dir
from ner_tagger.errors import DataError
from ner_tagger.sagemaker import environment
from ner_tagger.sagemaker.environment import ConfigError, MLPaths

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane

# ----- (a) no unsafe calls in the sources -----

SCANNED = ("ner_tagger", "container", "sagemaker_entry", "serving_entry", "scripts", "benchmarks")
UNSAFE_MODULES = {"pickle", "_pickle", "cPickle", "cloudpickle", "dill", "shelve", "marshal"}
SHELL_OUT = {"os.system", "os.popen"}
UNSAFE_YAML = {"yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load", "yaml.full_load_all"}
SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader"}


def _dotted(node) -> str:
    """``os.system`` for ``os.system``; '' when the callee is not a plain dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _is_false(node) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, None)


def _yaml_is_safe(call: ast.Call) -> bool:
    loader = ([k.value for k in call.keywords if k.arg == "Loader"] + call.args[1:2])[:1]
    return bool(loader) and _dotted(loader[0]).split(".")[-1] in SAFE_LOADERS


def _call_problems(call: ast.Call) -> list:
    name, problems = _dotted(call.func), []
    if name in ("eval", "exec", "builtins.eval", "builtins.exec"):
        problems.append(f"{name}()")
    if name in UNSAFE_YAML or (name in ("yaml.load", "yaml.load_all") and not _yaml_is_safe(call)):
        problems.append(f"{name}() without SafeLoader")
    for keyword in call.keywords:
        if keyword.arg == "allow_pickle" and not _is_false(keyword.value):
            problems.append(f"{name or 'call'}(allow_pickle=...)")
        if keyword.arg == "shell" and not _is_false(keyword.value):
            problems.append(f"{name or 'call'}(shell=...)")
    return problems


def _import_problems(node) -> list:
    if isinstance(node, ast.Import):
        return [f"import {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
    module = node.module or ""
    if module.split(".")[0] in UNSAFE_MODULES:
        return [f"from {module} import"]
    return [f"from {module} import {a.name}" for a in node.names
            if f"{module}.{a.name}" in SHELL_OUT | {"builtins.eval", "builtins.exec"}]


def scan(source: str, filename: str = "<string>") -> list:
    """``(line, what)`` for each unsafe use in ``source``; an AST walk, so comments and strings never count."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            found += [(node.lineno, p) for p in _call_problems(node)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [(node.lineno, p) for p in _import_problems(node)]
        elif isinstance(node, ast.Attribute) and _dotted(node) in SHELL_OUT:
            found.append((node.lineno, _dotted(node)))  # called or passed around, it still runs a shell
    return sorted(set(found))


def python_sources():
    """Every .py file under the scanned folders, and extensionless scripts with a python shebang."""
    for top in SCANNED:
        for folder, dirs, files in os.walk(os.path.join(REPO, top)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith(".py") or ("." not in name and _python_shebang(path)):
                    yield path


def _python_shebang(path: str) -> bool:
    with open(path, "rb") as fh:
        first = fh.readline()
    return first.startswith(b"#!") and b"python" in first


PLANTED = """\
import pickle
from marshal import loads
import yaml, subprocess, os
import numpy as np
eval("1 + 1")
exec("x = 1")
yaml.load(open("c.yaml"))
np.load("a.npy", allow_pickle=True)
subprocess.run("ls", shell=True)
os.system("ls")
run = os.popen
yaml.full_load("a: 1")
"""
HARMLESS = '''\
"""Docs may say pickle, eval(x), exec(y), yaml.load(f), os.system("ls") and shell=True."""
import json, yaml, subprocess
import numpy as np
# import pickle; eval("1"); os.system("rm -rf /")
text = "np.load(f, allow_pickle=True) subprocess.run(cmd, shell=True)"
yaml.load(open("c.yaml"), Loader=yaml.SafeLoader)
yaml.safe_load("a: 1")
np.load("a.npy", allow_pickle=False)
subprocess.run(["ls", "-l"], shell=False, check=True)
model.eval()
estimator.evaluate(input_fn)
os.execv("/bin/true", ["true"])
'''


def test_the_scanner_finds_each_planted_pattern_and_ignores_text():
    assert scan(PLANTED) == [
        (1, "import pickle"), (2, "from marshal import"), (5, "eval()"), (6, "exec()"),
        (7, "yaml.load() without SafeLoader"), (8, "np.load(allow_pickle=...)"), (9, "subprocess.run(shell=...)"),
        (10, "os.system"), (11, "os.popen"), (12, "yaml.full_load() without SafeLoader")]
    assert scan(HARMLESS) == []


def test_no_unsafe_calls_in_the_sources():
    paths = sorted(python_sources())
    relative = {os.path.relpath(p, REPO) for p in paths}
    # The walk must reach what it claims to scan, or an empty result would prove nothing.
    assert {"ner_tagger/serving/app.py", "ner_tagger/serving/payload.py", "serving_entry/inference.py",
            "sagemaker_entry/train_entry.py", "benchmarks/loadtest.py"} <= relative and len(paths) > 40
    problems = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            found = scan(fh.read(), path)
        if found:
            problems[os.path.relpath(path, REPO)] = found
    assert problems == {}


# ----- (b) nothing leads out of the data directory -----

@pytest.mark.parametrize("name", ["..", ".", "../x", "a/b", "/etc", "/", "", "a\0b", "x" * 65, "a\\b", "training/.."])
def test_channel_names_cannot_leave_input_data(name):
    with pytest.raises(ConfigError, match="channel name"):
        environment.check_channel_name(name)


@pytest.mark.parametrize("name", ["training", "eval", "my-channel_1.v2", "..a", "x" * 64])
def test_ordinary_channel_names_are_accepted(name):
    environment.check_channel_name(name)


def test_a_declared_channel_outside_input_data_is_refused(tmp_path):
    paths = MLPaths(str(tmp_path))
    os.makedirs(paths.channel("training"))
    with pytest.raises(ConfigError, match="'../../etc'"):
        channel_roles(paths, {"training": {}, "../../etc": {}})


@pytest.fixture
def channel(tmp_path):
    """A channel holding train.txt and a symlink to a file beside (outside) it."""
    folder = tmp_path / "input" / "data" / "training"
    folder.mkdir(parents=True)
    (folder / "train.txt").write_text("a\tO\n", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("secret\tO\n", encoding="utf-8")
    os.symlink(tmp_path / "outside.txt", folder / "dev.txt")
    return folder


@pytest.mark.parametrize("role,defaults", [("train", data_dir.TRAIN_NAMES), ("dev", data_dir.DEV_NAMES),
                                           ("test", data_dir.TEST_NAMES)])
@pytest.mark.parametrize("name", ["../../../outside.txt", "../../../outside*", "../training/../../../outside.txt",
                                  "../*/../../../out*.txt", "/etc/passwd", "dev.txt"])
def test_file_names_cannot_leave_the_channel(channel, role, defaults, name):
    # Each name does reach a real file, so only the containment check can be what refuses it.
    assert [p for p in glob.glob(os.path.join(channel, name)) if os.path.isfile(p)]
    with pytest.raises(DataError) as err:
        data_dir.find_file(str(channel), name, defaults, role, True)
    assert f"{role}_file={name!r}" in str(err.value)


def test_a_file_inside_the_channel_is_found(channel):
    assert data_dir.find_file(str(channel), "train.*", data_dir.TRAIN_NAMES, "train", True) == \
        os.path.join(os.path.realpath(channel), "train.txt")


# ----- (c) serve is not root -----

def dockerfile_instructions():
    with open(os.path.join(REPO, "Dockerfile"), encoding="utf-8") as fh:
        text = re.sub(r"\\\n", " ", "".join(line for line in fh if not line.lstrip().startswith("#")))
    return [tuple(line.strip().split(None, 1)) for line in text.splitlines() if line.strip()]


def test_dockerfile_creates_the_serve_user_it_names_and_never_switches_back():
    instructions = dockerfile_instructions()
    runs = [i for i, (name, _) in enumerate(instructions) if name == "RUN" and "useradd" in instructions[i][1]]
    envs = [i for i, (name, args) in enumerate(instructions) if name == "ENV" and "NER_TAGGER_SERVE_USER" in args]
    assert len(runs) == 1 and len(envs) == 1 and runs[0] < envs[0]
    useradd = re.search(r"useradd ([^&]*)", instructions[runs[0]][1]).group(1).split()
    user = re.search(r"NER_TAGGER_SERVE_USER=(\S+)", instructions[envs[0]][1]).group(1)
    assert useradd[-1] == user != "root"
    assert "--system" in useradd and "/usr/sbin/nologin" in useradd  # no login shell, no uid in the human range
    assert not [args for name, args in instructions if name == "USER"]  # root only until serve drops it
    assert json.loads(dict(instructions)["CMD"]) == ["serve"]


def test_serve_drops_privileges_before_starting_gunicorn(tmp_path, monkeypatch):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "saved_model.pb").write_bytes(b"")
    monkeypatch.setenv("NER_TAGGER_ML_ROOT", str(tmp_path))
    monkeypatch.setenv("NER_TAGGER_SERVE_USER", "ner")
    monkeypatch.setenv("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # main() sets it; restored afterwards
    calls = []
    monkeypatch.setattr(serve, "drop_privileges", lambda user: calls.append(("drop", user)))
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append(("exec", argv[2])))
    serve.main()
    assert calls == [("drop", "ner"), ("exec", "gunicorn")]


def test_serve_will_not_start_as_root_when_its_user_is_missing(tmp_path, monkeypatch, capsys):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "saved_model.pb").write_bytes(b"")
    monkeypatch.setenv("NER_TAGGER_ML_ROOT", str(tmp_path))
    monkeypatch.setenv("NER_TAGGER_SERVE_USER", "no-such-user-here")
    monkeypatch.setattr(serve.os, "geteuid", lambda: 0)
    monkeypatch.setattr(serve.os, "execv", lambda *a: pytest.fail("must not start gunicorn as root"))
    assert serve.main() == serve.EXIT_USER_ERROR
    assert "NER_TAGGER_SERVE_USER='no-such-user-here': no such user" in capsys.readouterr().err


DROP = """
import os, sys
from ner_tagger.container.serve import drop_privileges
drop_privileges("nobody")
try:
    os.setuid(0)
    regained = True
except PermissionError:
    regained = False
print(os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups(), regained, os.environ["USER"])
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="a real privilege drop needs root")
def test_the_drop_is_real_and_cannot_be_undone():
    nobody = pwd.getpwnam("nobody")
    out = subprocess.run([sys.executable, "-c", DROP], capture_output=True, text=True, timeout=60, cwd=REPO,
                         env=dict(os.environ, PYTHONPATH=REPO))
    assert out.returncode == 0, out.stderr
    uid, euid, gid, egid, *rest = out.stdout.split(maxsplit=4)
    assert (int(uid), int(euid), int(gid), int(egid)) == (nobody.pw_uid,) * 2 + (nobody.pw_gid,) * 2
    assert rest[0].split() == ["[]", "False", "nobody"]


# ----- (d) the failure file and the logs never show a secret -----

SECRETS = {"api_token": "tok-7f3a9c1e-DISTINCTIVE-API", "aws_secret_access_key": "hp-wJalrXUtn-DISTINCTIVE-KEY"}
ENV_SECRETS = {"AWS_SECRET_ACCESS_KEY": "env-K7MDENG-bPxRfiCY-DISTINCTIVE",
               "AWS_SESSION_TOKEN": "env-FwoGZXIv-DISTINCTIVE"}


@pytest.mark.parametrize("extra,named", [
    # Unknown keys are reported before bad values: the secret-named keys are the ones at fault.
    (dict(SECRETS, lstm_units="lots"), ["'api_token'", "'aws_secret_access_key'", "unknown hyperparameter"]),
    # A bad value is echoed in the message; this one is a credential from the environment and must be masked.
    ({"tag_scheme": ENV_SECRETS["AWS_SECRET_ACCESS_KEY"]}, ["'tag_scheme'", "***"]),
    ({"train_file": "../../../../etc/passwd"}, ["train_file='../../../../etc/passwd'"]),
])
def test_failure_file_and_logs_name_the_key_but_never_a_secret(tmp_path, extra, named):
    root = scaffold(tmp_path, hyperparameters=dict(STRING_HPARAMS, **extra))
    result = run_train(root, timeout=180, **ENV_SECRETS)
    reason = failure(root)
    assert result.returncode == 2 and reason, result.stderr[-2000:]
    for part in named:
        assert part in reason and part in result.stderr
    for secret in list(SECRETS.values()) + list(ENV_SECRETS.values()):
        for text in (reason, result.stdout, result.stderr):
            assert secret not in text and secret[4:-4] not in text
