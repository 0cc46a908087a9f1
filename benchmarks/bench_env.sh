#!/usr/bin/env bash
# The benchmark's second virtual environment, .venv-bench: spaCy (the peer), seqeval, psutil, matplotlib.
# Kept apart from .venv on purpose: spaCy is not a dependency of ner_tagger, and its numpy/thinc pins must
# not move the ones TensorFlow was installed against. scripts/benchmark.py runs each side in its own venv.
#   bash benchmarks/bench_env.sh            (PYTHON=python3.11 to pick the interpreter; 3.9-3.12)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${BENCH_VENV:-$ROOT/.venv-bench}"
# 3.8.x installs cleanly from wheels on Python 3.11; the upper bound keeps a future 4.x out of the comparison.
SPACY="${SPACY:-spacy>=3.7,<3.9}"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "$SPACY" seqeval psutil matplotlib
"$VENV/bin/python" -c 'import spacy, seqeval, psutil, matplotlib; print("spacy", spacy.__version__)'
