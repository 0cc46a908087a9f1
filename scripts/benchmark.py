#!/usr/bin/env python3
"""The benchmarks' one front door: ``scripts/benchmark.py NAME [options]`` runs the module ``NAME`` of ``benchmarks/``.

    scripts/benchmark.py                     # the list, with each benchmark's first line
    scripts/benchmark.py compare --quick     # ner_tagger against spaCy (run it with .venv-bench's python)
    scripts/benchmark.py latency --help      # any benchmark's own options

Each benchmark is also a module: ``python -m benchmarks.NAME`` from the repository root is the same run.
docs/benchmark.md says what each measures and how to reproduce every figure in the docs.
"""
import ast
import os
import runpy
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "benchmarks")


def available():
    """{name: first docstring line} of every module under benchmarks/ that runs as a program."""
    found = {}
    for name in sorted(os.listdir(FOLDER)):
        path = os.path.join(FOLDER, name)
        if not name.endswith(".py") or name.startswith("_"):
            continue
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        if 'if __name__ == "__main__":' in source:
            doc = ast.get_docstring(ast.parse(source)) or ""
            found[name[:-3]] = doc.split("\n", 1)[0]
    return found


def main(argv):
    names = available()
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        width = max(map(len, names))
        for name, line in names.items():
            print(f"  {name:<{width}}  {line}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in names:
        print(f"benchmark: no benchmark {name!r}; one of: {', '.join(names)}", file=sys.stderr)
        return 2
    sys.path.insert(0, ROOT)
    sys.argv = [f"scripts/benchmark.py {name}"] + rest
    runpy.run_module(f"benchmarks.{name}", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
