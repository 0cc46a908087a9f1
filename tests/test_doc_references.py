"""Every repository path and ``ner_tagger`` Sphinx target that the docs, docstrings and comments name exists.

Scanned: README.md and docs/*.md whole; the docstrings and comments of the Python files, and the text of the
shell scripts and requirements files, under ner_tagger/, serving_entry/, sagemaker_entry/, scripts/,
benchmarks/ and tests/. No TensorFlow: module files are parsed with ``ast``, never imported.

What counts as a repository path (the rules, not a list of exceptions):
- a token with a ``/`` whose first part is a top-level entry of the repository and that ends in a file
  suffix or a ``/`` (``tests/test_train.py``, ``ner_tagger/container/``, ``docs/results.md``); a ``/`` after ``:``,
  ``/`` or a word (URLs, ``s3://``, ``/opt/ml/...``, ``code/lib/ner_tagger``) starts no path, and
  ``ner_tagger/spaCy`` (a ratio) or ``train/dev`` end in neither;
- a bare file name ending in ``.py``, ``.sh``, ``.md`` or ``.png`` (``test_train.py``, ``scale.png``): it must
  exist somewhere in the repository, since docs name modules and tests by their file name alone, unless it
  is one of the few upstream files the docs explain (:data:`UPSTREAM_FILES`);
- skipped: placeholders (``<job>``, ``*``, ``{name}``, ``...``) and what a run writes (what .gitignore
  ignores: ``build/``, ``runs/``, ``test_dir/model/``). A user's own file is named by a placeholder or a data
  suffix (``train.conll``, ``my.json``), neither of which counts.
"""
import ast
import fnmatch
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CODE_DIRS = ("ner_tagger", "serving_entry", "sagemaker_entry", "scripts", "benchmarks", "tests")
SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".venv", "build", "runs"}
# Files of the software we run in, named where the docs explain what it does with ours: the TF Serving
# container's model server, and SDK v3's driver and its requirements installer.
UPSTREAM_FILES = {"python_service.py", "sm_train.sh", "install_requirements.py"}


def _ignored_patterns():
    with open(os.path.join(ROOT, ".gitignore"), encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip() and not line.startswith("#")]


def generated(token, patterns):
    """Whether ``token`` is under a path .gitignore ignores (what builds and runs write)."""
    parts = token.rstrip("/").split("/")
    for pattern in patterns:
        bare = pattern.strip("/")
        if pattern.startswith("/"):
            if "/".join(parts[:bare.count("/") + 1]) == bare:
                return True
        elif any(fnmatch.fnmatch(part, bare) for part in parts):
            return True
    return False
BARE_SUFFIXES = (".py", ".sh", ".md", ".png")

# A path-like token: not glued to a word, a ``/``, ``:`` or ``.`` before it (so no URL or absolute path).
TOKEN = re.compile(r"(?<![\w/:.\-~$])([\w.\-<>*{}…]+(?:/[\w.\-<>*{}…]*)*)")
# ``:mod:`x` ``, ``:func:`~x` ``, ``:class:`x` `` (and data/meth/attr/exc): the target.
ROLE = re.compile(r":(?:mod|func|class|meth|attr|data|exc):`~?([\w.]+)`")


def _walk(top):
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            yield os.path.join(folder, name)


def _basenames():
    return {os.path.basename(path) for path in _walk(ROOT)}


def path_references(text, top_level, basenames):
    """The path-like tokens of ``text`` that name no file or folder of the repository: ``[token]``."""
    missing, patterns = [], _ignored_patterns()
    for match in TOKEN.finditer(text):
        token = match.group(1).rstrip(".,;:)").split("#")[0]
        if not token or any(c in token for c in "<>*{}…") or "..." in token:
            continue
        if "/" in token:
            last = token.rsplit("/", 1)[1]
            if token.split("/")[0] not in top_level or generated(token, patterns) or not (last == "" or "." in last):
                continue
            if not os.path.exists(os.path.join(ROOT, token)):
                missing.append(token)
        elif (token.endswith(BARE_SUFFIXES) and not token.startswith(".") and token not in basenames
              and token not in UPSTREAM_FILES):
            missing.append(token)
    return missing


def _module_file(dotted):
    """``ner_tagger.a.b`` -> its file, or None."""
    base = os.path.join(ROOT, *dotted.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def _top_level_names(tree):
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
    return names


def resolves(target):
    """Whether ``ner_tagger.x.y[.attr[.member]]`` names a module, or a name defined in one's source."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        path = _module_file(".".join(parts[:cut]))
        if path is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        with open(path, encoding="utf-8") as fh:
            names = _top_level_names(ast.parse(fh.read()))
        node = names.get(rest[0])
        if node is None:
            return False
        if len(rest) > 1 and isinstance(node, ast.ClassDef):
            return rest[1] in _top_level_names(node)
        return True
    return False


def sphinx_references(text, package=None):
    """The ``ner_tagger`` targets of ``text``'s Sphinx roles that resolve to nothing; relative targets
    (``:mod:`.source` ``) are read against ``package``, the dotted package of the file they are in."""
    missing = []
    for target in ROLE.findall(text):
        if target.startswith(".") and package:
            target = package + target
        if target.split(".")[0] == "ner_tagger" and not resolves(target):
            missing.append(target)
    return missing


def _python_docs(path):
    """A Python file's docstrings and comments, one text."""
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    tree = ast.parse(source)
    texts = [ast.get_docstring(node, clean=False) or "" for node in ast.walk(tree)
             if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    texts += [line.split("#", 1)[1] for line in source.splitlines() if "#" in line]  # comments (and a bit more)
    return "\n".join(texts)


def _package_of(path):
    """``ner_tagger/sagemaker/launch.py`` and ``ner_tagger/sagemaker/__init__.py`` -> ``ner_tagger.sagemaker``."""
    return ".".join(os.path.relpath(path, ROOT).split(os.sep)[:-1])


def documents():
    """``[(repository path, text, package for relative targets)]`` of everything the test reads."""
    found = [(os.path.join(ROOT, "README.md"), None)]
    found += [(os.path.join(ROOT, "docs", n), None) for n in sorted(os.listdir(os.path.join(ROOT, "docs")))
              if n.endswith(".md")]
    for top in CODE_DIRS:
        found += [(p, None) for p in _walk(os.path.join(ROOT, top)) if p.endswith((".py", ".sh", ".txt"))]
    for path, _ in found:
        if path.endswith(".py"):
            yield os.path.relpath(path, ROOT), _python_docs(path), _package_of(path)
        else:
            with open(path, encoding="utf-8") as fh:
                yield os.path.relpath(path, ROOT), fh.read(), None


def test_every_path_and_module_the_docs_and_comments_name_exists():
    top_level = set(os.listdir(ROOT))
    basenames = _basenames()
    missing = []
    for name, text, package in documents():
        missing += [f"{name}: path {ref}" for ref in path_references(text, top_level, basenames)]
        missing += [f"{name}: target {ref}" for ref in sphinx_references(text, package)]
    assert not missing, "references to nothing:\n" + "\n".join(sorted(set(missing)))


def test_the_scanner_catches_a_planted_broken_reference():
    top_level, basenames = set(os.listdir(ROOT)), _basenames()
    text = ("see tests/test_no_such_file.py, docs/results.md#test-suite-time, ner_tagger/container/, "
            "test_gone.py and https://example.com/tests/x.py, /opt/ml/model, s3://b/docs/x.md, "
            "tests/<name>.py, build/sagemaker-source/, test_dir/model/1/, my_data/train.conll, the ratio "
            "ner_tagger/spaCy, a .py file, sm_train.sh")
    assert path_references(text, top_level, basenames) == ["tests/test_no_such_file.py", "test_gone.py"]
    planted = (":mod:`ner_tagger.no_such_module`, :func:`ner_tagger.job.runner.no_such_function`, "
               ":mod:`ner_tagger.job.runner`, :func:`ner_tagger.job.runner.run`, :class:`tf.estimator.Estimator`, "
               ":mod:`.no_such_sibling`, :mod:`.source`")
    assert sphinx_references(planted, "ner_tagger.sagemaker") == [
        "ner_tagger.no_such_module", "ner_tagger.job.runner.no_such_function", "ner_tagger.sagemaker.no_such_sibling"]


@pytest.mark.parametrize("target", ["ner_tagger.hparams.HParams", "ner_tagger.container"])
def test_a_class_and_a_package_resolve(target):
    assert resolves(target)


# Shell scripts name repository paths through the variable that holds the checkout's root: every one counts,
# whatever it ends in (``"$ROOT/ner_tagger/datasets/wnut17"`` is a folder without a trailing slash).
SHELL_PATH = re.compile(r"\$\{?(?:ROOT|REPO)\}?/([^\s\"'$;)}]+)")


def shell_paths(text, patterns):
    """The ``$ROOT/...`` paths of a shell script's ``text`` that name nothing (what a run writes aside)."""
    return [path for path in SHELL_PATH.findall(text)
            if not generated(path, patterns) and not os.path.exists(os.path.join(ROOT, path))]


def test_every_path_a_shell_script_builds_from_the_root_exists():
    patterns = _ignored_patterns()
    scripts = [p for top in ("scripts", "benchmarks", ".ci") for p in _walk(os.path.join(ROOT, top))
               if p.endswith(".sh") or os.path.basename(p) == "run"]
    assert any(p.endswith("main.sh") for p in scripts)
    missing = []
    for path in scripts:
        with open(path, encoding="utf-8") as fh:
            missing += [f"{os.path.relpath(path, ROOT)}: {ref}" for ref in shell_paths(fh.read(), patterns)]
    assert not missing, "\n".join(missing)
    planted = '--data_dir "$ROOT/ner_tagger/no_such_data" --config "${ROOT}/configs/wnut17.json" "$ROOT/runs/x"'
    assert shell_paths(planted, patterns) == ["ner_tagger/no_such_data"]
