"""The staged script-mode source folder (``ner_tagger.sagemaker.source``): what it carries, and that its
``requirements.txt`` installs with no index, as the training toolkit runs it.

The toolkit (sagemaker-training ``modules.install_requirements``) runs ``<python> -m pip install -r
requirements.txt`` with the code dir as working directory; the tests below do the same in a fresh venv with
pip's configuration switched off (no index, no machine-wide find-links), so only the folder's wheels count.

Wheels are downloaded once into ``build/sagemaker-wheels`` (reused by later runs; the index is needed the
first time only).
"""
import os
import subprocess
import sys
import venv
import zipfile

import pytest
from support import sagemaker_harness as harness

from ner_tagger.sagemaker import source

# The local stand-in of the managed image runs Debian bookworm's Python 3.11 (glibc 2.36), without the
# managed image's numpy/scikit-learn preinstalled, hence image_packages.
STAND_IN = source.Target("3.11", "2.36")


def isolated_pip_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


@pytest.fixture(scope="module")
def managed(tmp_path_factory):
    return harness.prepare_source(str(tmp_path_factory.mktemp("src") / "managed"))


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    return harness.prepare_source(str(tmp_path_factory.mktemp("src") / "stand-in"), STAND_IN, image_packages=True)


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory):
    """A fresh venv: pip and nothing else (no TensorFlow, no numpy)."""
    path = tmp_path_factory.mktemp("venv")
    venv.create(path, with_pip=True)
    return os.path.join(path, "bin", "python")


def _requirements(folder):
    with open(os.path.join(folder, "requirements.txt"), encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip() and not line.startswith("#")]


def test_folder_carries_entry_package_and_wheels(managed):
    assert os.path.isfile(os.path.join(managed, "train_entry.py"))
    assert os.path.isfile(os.path.join(managed, "ner_tagger", "sagemaker", "script_mode.py"))
    # No data bundles or bytecode in the upload; no setup.py (the toolkit would then `pip install .` it).
    walked = [os.path.relpath(os.path.join(d, f), managed) for d, _, fs in os.walk(managed) for f in fs]
    assert not [p for p in walked if p.startswith(os.path.join("ner_tagger", "datasets", "")) or p.endswith(".pyc")]
    assert not os.path.exists(os.path.join(managed, "setup.py"))
    lines = _requirements(managed)
    assert lines[:2] == ["--no-index", "--find-links wheels"]
    assert sorted(lines[2:]) == ["seqeval==1.2.2", "tensorflow-addons==0.23.0"]
    wheels = sorted(os.listdir(os.path.join(managed, "wheels")))
    names = {w.split("-")[0].lower() for w in wheels}
    assert {"seqeval", "tensorflow_addons", "typeguard"} <= names
    assert not {n for n in names if n.startswith("tensorflow") and n != "tensorflow_addons"}  # the image's TF stays
    addons = next(w for w in wheels if w.startswith("tensorflow_addons"))
    assert "-cp310-cp310-manylinux" in addons  # the managed image's Python, not this machine's
    seqeval = next(w for w in wheels if w.startswith("seqeval"))
    assert seqeval.endswith("py3-none-any.whl") and zipfile.is_zipfile(os.path.join(managed, "wheels", seqeval))


def test_requirements_install_with_no_index_in_a_bare_venv(stand_in, bare_venv, tmp_path):
    # As the toolkit: cwd = the code dir, `pip install -r requirements.txt`; nothing reachable but wheels/.
    proc = subprocess.run([bare_venv, "-m", "pip", "install", "--dry-run", "--report", str(tmp_path / "r.json"),
                           "-r", "requirements.txt"], cwd=stand_in, env=isolated_pip_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    import json

    planned = {item["metadata"]["name"].lower() for item in json.load(open(tmp_path / "r.json"))["install"]}
    assert {"seqeval", "tensorflow-addons", "typeguard", "numpy", "scikit-learn"} <= planned
    assert not {n for n in planned if n.startswith("tensorflow") and n != "tensorflow-addons"}


def test_find_links_resolves_against_the_requirements_file(stand_in, bare_venv, tmp_path):
    """pip reads ``--find-links wheels`` relative to the requirements file when that folder exists there, so
    the install does not depend on the working directory either."""
    proc = subprocess.run([bare_venv, "-m", "pip", "install", "--dry-run", "-r",
                           os.path.join(stand_in, "requirements.txt")], cwd=str(tmp_path),
                          env=isolated_pip_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_without_the_wheels_the_install_fails_naming_the_package(stand_in, bare_venv, tmp_path):
    """The control: the same requirements with an empty wheels folder fail (no index is consulted)."""
    broken = tmp_path / "broken"
    (broken / "wheels").mkdir(parents=True)
    (broken / "requirements.txt").write_text(open(os.path.join(stand_in, "requirements.txt")).read())
    proc = subprocess.run([bare_venv, "-m", "pip", "install", "--dry-run", "-r", "requirements.txt"],
                          cwd=str(broken), env=isolated_pip_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "No matching distribution" in proc.stderr


def test_cached_wheels_are_reused_without_an_index(managed, tmp_path, monkeypatch):
    """Staging again (the launcher does it per launch) needs no download once the cache is complete."""
    monkeypatch.setattr(source, "_pip", lambda *a, **k: pytest.fail(f"pip called again: {a}"))
    again = harness.prepare_source(str(tmp_path / "again"))
    assert sorted(os.listdir(os.path.join(again, "wheels"))) == sorted(os.listdir(os.path.join(managed, "wheels")))


def test_bad_target_and_failed_download_are_named():
    with pytest.raises(source.SourceError, match="python_version '3'"):
        source.Target("3", "2.31")
    with pytest.raises(source.SourceError, match="no-such-package-ner-tagger"):
        source._pip(sys.executable, ["download", "--no-index", "--dest", os.devnull,
                                     "no-such-package-ner-tagger"])
