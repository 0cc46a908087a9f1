"""What must import without TensorFlow: the package itself, and the pure modules that processes without
TensorFlow use (the TF Serving handler's shipped modules, ``serve`` before its exec, the load-test client, the
benchmark's spaCy side). Checked on ``-X importtime``, which lists every module a fresh interpreter loads."""
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
