"""Stage the script-mode ``source_dir``: the entry point, the ``ner_tagger`` package and the wheels it needs.

Why one self-contained folder rather than ``source_dir="sagemaker_entry", dependencies=["ner_tagger"]``:

- SDK v2's local mode with local code ignores ``dependencies`` (the job then fails with ``No module named
  'ner_tagger'``); a package that sits inside ``source_dir`` travels in every mode.
- ``seqeval`` exists on PyPI only as a source archive, and the toolkit installs ``requirements.txt`` at job
  start: a job with network isolation, without a NAT, or in local mode (the container sits on the SDK's
  compose network with no route out) fails there with ``InstallRequirementsError``. The staged
  ``requirements.txt`` therefore installs with no index, from wheels inside the folder. (Network isolation
  also needs the estimator's ``model_dir=False``, as :func:`ner_tagger.sagemaker.launch.make_estimator`
  passes: an ``s3://`` model_dir makes the toolkit call S3 before the entry point runs.)

The toolkit's contract (sagemaker-training 4.x, ``modules.install_requirements``): for an entry point that is
a plain script (no ``setup.py`` at the top of the code dir) it runs ``<python> -m pip install -r
requirements.txt`` with the code dir (``/opt/ml/code``) as working directory. pip reads option lines in a
requirements file, and resolves a relative ``--find-links`` path against the requirements file's own folder
(``pip._internal.req.req_file``), so ``--find-links wheels`` names ``/opt/ml/code/wheels`` either way.

What the wheels cover: the entry's needs beyond the managed image (``tensorflow-training:2.14-cpu-py310``,
Python 3.10, which ships TensorFlow 2.14.1, numpy, scikit-learn and packaging: aws/deep-learning-containers,
``tensorflow/training/docker/2.14/py3``), i.e. ``sagemaker_entry/requirements.txt`` (tensorflow-addons with
its typeguard and packaging, seqeval) built for the image's interpreter and platform. TensorFlow is never
among them: neither package depends on it, and the image's build must stay. ``image_packages`` adds numpy
and scikit-learn (seqeval's dependencies) for a target that lacks them, e.g. a bare interpreter.
"""
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import List, Optional, Sequence

from ner_tagger.errors import NerTaggerError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENTRY_DIR = os.path.join(ROOT, "sagemaker_entry")
ENTRY = "train_entry.py"
PACKAGE = os.path.join(ROOT, "ner_tagger")
REQUIREMENTS = os.path.join(ENTRY_DIR, "requirements.txt")
WHEELS = "wheels"
DEFAULT_BUILD_DIR = os.path.join(ROOT, "build")
# What the managed image lacks but a bare interpreter would also need (seqeval imports both).
IMAGE_PACKAGES = ("numpy<2", "scikit-learn")
# Built from the sdist rather than downloaded: no wheel of it exists on PyPI.
SDIST_ONLY = ("seqeval",)


class SourceError(NerTaggerError):
    """Staging the source folder failed (a wheel could not be downloaded or built)."""


@dataclasses.dataclass(frozen=True)
class Target:
    """The interpreter the job's container runs, for downloading the binary wheels that fit it rather than
    this machine: pip's ``--python-version``, ``--implementation`` and ``--platform``.

    Default: the managed TF 2.14 training image, CPython 3.10 on Ubuntu 20.04 (glibc 2.31), x86_64. pip
    takes ``--platform`` literally (``manylinux_2_31`` does not admit a ``manylinux_2_17`` wheel), so every
    manylinux tag the glibc accepts is listed (PEP 600: ``manylinux_2_Y`` runs on glibc >= 2.Y).
    """
    python_version: str = "3.10"
    glibc: str = "2.31"
    arch: str = "x86_64"
    implementation: str = "cp"

    def __post_init__(self):
        major, _, minor = self.python_version.partition(".")
        g_major, _, g_minor = self.glibc.partition(".")
        if not (major.isdigit() and minor.isdigit() and g_major == "2" and g_minor.isdigit()):
            raise SourceError(f"target: python_version {self.python_version!r} must look like 3.10 and glibc "
                              f"{self.glibc!r} like 2.31")

    @property
    def platforms(self) -> List[str]:
        newest = int(self.glibc.partition(".")[2])
        tags = [f"manylinux_2_{minor}_{self.arch}" for minor in range(newest, 4, -1)]
        # The legacy aliases (PEP 599/571/513) of manylinux_2_17/_2_12/_2_5.
        return tags + [f"manylinux{alias}_{self.arch}" for alias, minor in (("2014", 17), ("2010", 12), ("1", 5))
                       if minor <= newest]

    @property
    def tag(self) -> str:
        return f"{self.implementation}{self.python_version.replace('.', '')}-glibc{self.glibc}-{self.arch}"


def top_level_requirements(path: str = REQUIREMENTS) -> List[str]:
    """The requirement lines of ``sagemaker_entry/requirements.txt`` (comments and options dropped)."""
    lines = []
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                lines.append(line)
    if not lines:
        raise SourceError(f"{path}: no requirements listed")
    return lines


def build_wheels(wheel_dir: str, target: Target = Target(), requirements: Optional[Sequence[str]] = None,
                 python: str = sys.executable) -> List[str]:
    """Fill ``wheel_dir`` with wheels for ``requirements`` (default: ``sagemaker_entry/requirements.txt``)
    and their dependencies, for ``target``; returns the wheel file names. Reuses ``wheel_dir`` when a
    previous call completed it for the same inputs (the download needs an index; staging again does not)."""
    requirements = list(requirements or top_level_requirements())
    manifest = os.path.join(wheel_dir, "manifest.json")
    spec = {"target": dataclasses.asdict(target), "requirements": requirements}
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as fh:
            done = json.load(fh)
        if done.get("spec") == spec and all(os.path.isfile(os.path.join(wheel_dir, w)) for w in done["wheels"]):
            return done["wheels"]
    shutil.rmtree(wheel_dir, ignore_errors=True)
    os.makedirs(wheel_dir)
    binary = [r for r in requirements if _name(r) not in SDIST_ONLY]
    sdist = [r for r in requirements if _name(r) in SDIST_ONLY]
    platform_args = [arg for p in target.platforms for arg in ("--platform", p)]
    if binary:
        # --only-binary is what lets pip resolve for another interpreter and platform than its own.
        _pip(python, ["download", "--only-binary=:all:", "--dest", wheel_dir, "--python-version",
                      target.python_version, "--implementation", target.implementation, *platform_args,
                      *binary])
    if sdist:
        # Pure-Python sdists build to a py3-none-any wheel on any interpreter; --no-deps because their
        # dependencies (numpy, scikit-learn) are platform wheels: in the image, or downloaded above.
        _pip(python, ["wheel", "--no-deps", "--wheel-dir", wheel_dir, *sdist])
    wheels = sorted(n for n in os.listdir(wheel_dir) if n.endswith(".whl"))
    stray = sorted(set(os.listdir(wheel_dir)) - set(wheels))
    if stray:
        raise SourceError(f"{wheel_dir}: not wheels: {', '.join(stray)} (a dependency without a wheel for "
                          f"{target.tag}?)")
    if any(w.lower().startswith(("tensorflow-", "tensorflow_cpu-")) and not w.startswith("tensorflow_addons")
           for w in wheels):
        raise SourceError(f"{wheel_dir}: a TensorFlow wheel was pulled in ({wheels}); the image's own build "
                          f"must stay")
    with open(manifest, "w", encoding="utf-8") as fh:
        json.dump({"spec": spec, "wheels": wheels}, fh, indent=2)
    return wheels


def stage(dest: str, wheel_dir: str, wheels: Sequence[str], requirements: Sequence[str],
          loose: Sequence[str] = ()) -> str:
    """(Re)create ``dest`` as the ``source_dir``: ``train_entry.py``, ``ner_tagger/`` (no data bundles, no
    bytecode), ``wheels/`` and a ``requirements.txt`` that installs ``requirements`` from those wheels
    with no index.

    Only the named requirements are pinned (to the version in ``wheels/``); their dependencies are left to
    pip, so one the image already satisfies (``packaging``) is kept rather than replaced by the wheel's."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(os.path.join(dest, WHEELS))
    shutil.copy2(os.path.join(ENTRY_DIR, ENTRY), os.path.join(dest, ENTRY))
    bytecode = shutil.ignore_patterns("__pycache__", "*.pyc")

    def ignore(folder, names):
        # ner_tagger/datasets holds the WNUT-17 bundle (benchmarks, examples); a job reads its data channels.
        skipped = set(bytecode(folder, names))
        return skipped | ({"datasets"} if os.path.samefile(folder, PACKAGE) else set())

    shutil.copytree(PACKAGE, os.path.join(dest, "ner_tagger"), ignore=ignore)
    for wheel in wheels:
        shutil.copy2(os.path.join(wheel_dir, wheel), os.path.join(dest, WHEELS, wheel))
    versions = dict(map(_wheel_name_version, wheels))
    wanted = [_name(r) for r in requirements]
    missing = [name for name in wanted if name not in versions]
    if missing:
        raise SourceError(f"{wheel_dir}: no wheel for {', '.join(missing)}")
    pins = sorted(f"{name}=={versions[name]}" for name in wanted) + list(loose)
    with open(os.path.join(dest, "requirements.txt"), "w", encoding="utf-8") as fh:
        fh.write("# Generated by ner_tagger.sagemaker.source: installs from wheels/ only, with no index, so a\n"
                 "# network-isolated job (or SDK local mode) needs no route out. TensorFlow is the image's.\n"
                 f"--no-index\n--find-links {WHEELS}\n")
        fh.write("".join(pin + "\n" for pin in pins))
    return dest


def prepare(dest: Optional[str] = None, target: Target = Target(), image_packages: bool = False,
            build_dir: str = DEFAULT_BUILD_DIR) -> str:
    """Build (or reuse) the wheels for ``target`` under ``build_dir`` and stage the folder at ``dest``
    (default ``<build_dir>/sagemaker-source``); returns ``dest``."""
    suffix = "-with-image-packages" if image_packages else ""
    wheel_dir = os.path.join(build_dir, "sagemaker-wheels", target.tag + suffix)
    entry = top_level_requirements()
    loose = list(IMAGE_PACKAGES) if image_packages else []
    wheels = build_wheels(wheel_dir, target, requirements=entry + loose)
    return stage(dest or os.path.join(build_dir, "sagemaker-source"), wheel_dir, wheels, entry, loose)


def _pip(python, args):
    cmd = [python, "-m", "pip", "--disable-pip-version-check", *args]
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
        if proc.returncode:
            log.seek(0)
            raise SourceError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{log.read()[-3000:]}")


def _name(requirement: str) -> str:
    for i, char in enumerate(requirement):
        if not (char.isalnum() or char in "-_."):
            return requirement[:i].strip().lower().replace("_", "-")
    return requirement.strip().lower().replace("_", "-")


def _wheel_name_version(filename: str):
    """``tensorflow_addons-0.23.0-cp310-...whl`` -> ``("tensorflow-addons", "0.23.0")`` (wheel file names
    escape ``-`` in the project name as ``_``; PEP 427)."""
    name, version = filename.split("-")[:2]
    return name.lower().replace("_", "-"), version


def main(argv=None) -> int:
    """``python -m ner_tagger.sagemaker.source`` (``make sagemaker-source``): stage the folder, print it."""
    import argparse

    parser = argparse.ArgumentParser(description="Stage the SageMaker script-mode source folder.")
    parser.add_argument("--dest", help="Folder to (re)create; default build/sagemaker-source.")
    parser.add_argument("--build-dir", default=DEFAULT_BUILD_DIR, help="Wheel cache root (default: build/).")
    parser.add_argument("--python-version", default=Target.python_version)
    parser.add_argument("--glibc", default=Target.glibc)
    parser.add_argument("--image-packages", action="store_true", help="Also ship numpy and scikit-learn.")
    args = parser.parse_args(argv)
    try:
        print(prepare(args.dest, Target(args.python_version, args.glibc), args.image_packages, args.build_dir))
    except SourceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
