"""The package's import structure: the stages import downwards only, no module cycle, and what must import
without TensorFlow does: the package itself, and the pure modules that processes without TensorFlow use (the
TF Serving handler's shipped modules, ``serve`` before its exec, the load-test client, the benchmark's spaCy
side). TensorFlow is checked on ``-X importtime``, which lists every module a fresh interpreter loads."""
import ast
import os
import subprocess
import sys

import pytest

from ner_tagger.serving.local_server import REPO

HEAVY = ("tensorflow", "tensorflow_addons", "numpy", "seqeval")


@pytest.mark.parametrize("module", ["ner_tagger", "ner_tagger.serving.answers", "ner_tagger.corpus.tagging",
                                    "ner_tagger.corpus.conll", "ner_tagger.serving.payload", "ner_tagger.serving.app",
                                    "ner_tagger.container.serve", "ner_tagger.serving.local_server",
                                    "benchmarks.conll_io", "ner_tagger.job.failure", "ner_tagger.sagemaker.environment",
                                    "ner_tagger.job.cluster", "ner_tagger.corpus.dataset", "ner_tagger.corpus.formats",
                                    "ner_tagger.convert", "ner_tagger.corpus.text_rules", "ner_tagger.serving.media",
                                    "ner_tagger.progress", "ner_tagger.serving.records",
                                    "ner_tagger.serving.windows", "ner_tagger.serving.deadline",
                                    "ner_tagger.serving.core"])
def test_imports_no_tensorflow(module):
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "import time:" in line]
    assert module in imported
    assert not [m for m in imported if m.split(".")[0] in HEAVY]


# The stages, lowest first (README's module map): a module imports its own stage and those below, never one
# above. The longest matching prefix places a module; doors sit above everything they start.
LAYERS = [
    ("base", ("ner_tagger", "ner_tagger.errors", "ner_tagger.hparams")),
    ("corpus", ("ner_tagger.corpus",)),
    ("serving", ("ner_tagger.serving",)),
    ("model", ("ner_tagger.model",)),
    ("job", ("ner_tagger.job",)),
    ("sagemaker", ("ner_tagger.sagemaker",)),
    ("door plumbing", ("ner_tagger.cli", "ner_tagger.flags", "ner_tagger.progress")),
    ("doors", ("ner_tagger.train", "ner_tagger.predict", "ner_tagger.evaluate", "ner_tagger.convert",
               "ner_tagger.sagemaker.script_mode", "ner_tagger.container")),
]


def layer_of(module):
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1]


def package_imports():
    """{module: {ner_tagger modules it imports}}, every import statement (a function's own too)."""
    graph = {}
    root = os.path.join(REPO, "ner_tagger")
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            module = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".").removesuffix(".__init__")
            with open(path, encoding="utf-8") as fh:
                tree = ast.parse(fh.read())
            targets = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ner_tagger"):
                    for alias in node.names:  # ``from ner_tagger.x import y``: y is a module or a name in x
                        sub = f"{node.module}.{alias.name}"
                        targets.add(sub if os.path.exists(os.path.join(REPO, *sub.split("."))) or
                                    os.path.exists(os.path.join(REPO, *sub.split(".")) + ".py") else node.module)
                elif isinstance(node, ast.Import):
                    targets.update(a.name for a in node.names if a.name.startswith("ner_tagger"))
            graph[module] = targets - {module}
    return graph


def test_every_module_has_a_stage_and_imports_only_downwards():
    graph = package_imports()
    assert len(graph) > 40 and "ner_tagger.job.runner" in graph
    upward = [f"{a} ({LAYERS[layer_of(a)][0]}) -> {b} ({LAYERS[layer_of(b)][0]})"
              for a, targets in sorted(graph.items()) for b in sorted(targets) if layer_of(b) > layer_of(a)]
    assert not upward, "imports running back up:\n" + "\n".join(upward)


def test_no_import_cycle_between_modules():
    graph = package_imports()
    # The package __init__ is every module's parent: importing a submodule runs it first, so it is no cycle.
    graph = {a: {b for b in targets if b != "ner_tagger"} for a, targets in graph.items()}
    cycles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)
