"""What must import without TensorFlow: the package itself, and the pure modules that processes without
TensorFlow use (the TF Serving handler's shipped modules, ``serve`` before its exec, the load-test client, the
benchmark's spaCy side). Checked on ``-X importtime``, which lists every module a fresh interpreter loads."""
import subprocess
import sys

import pytest

from ner_tagger.serving_process import REPO

HEAVY = ("tensorflow", "tensorflow_addons", "numpy", "seqeval")


@pytest.mark.parametrize("module", ["ner_tagger", "ner_tagger.answers", "ner_tagger.tagging", "ner_tagger.conll",
                                    "ner_tagger.container.payload", "ner_tagger.container.app",
                                    "ner_tagger.container.serve", "ner_tagger.serving_process",
                                    "benchmarks.conll_io", "ner_tagger.failure", "ner_tagger.opt_ml",
                                    "ner_tagger.cluster", "ner_tagger.dataset", "ner_tagger.formats",
                                    "ner_tagger.convert", "ner_tagger.text_rules", "ner_tagger.container.media",
                                    "ner_tagger.progress", "ner_tagger.container.records",
                                    "ner_tagger.container.windows", "ner_tagger.container.deadline",
                                    "ner_tagger.serving_core"])
def test_imports_no_tensorflow(module):
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "import time:" in line]
    assert module in imported
    assert not [m for m in imported if m.split(".")[0] in HEAVY]
