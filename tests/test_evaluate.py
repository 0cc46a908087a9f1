"""``python -m ner_tagger.evaluate``: seqeval report of an exported model on a CoNLL file."""
import json

import pytest

from ner_tagger import evaluate
from ner_tagger.corpus import conll

pytestmark = pytest.mark.slow  # trains a model or runs TensorFlow in a subprocess: full suite, not the fast lane


def test_reports_overall_and_per_type_and_writes_predictions(trained, synthetic_dir, tmp_path, capsys):
    out_json, out_conll = tmp_path / "r.json", tmp_path / "p.conll"
    code = evaluate.main([str(trained["export"]), str(synthetic_dir / "test.txt"), "--json", str(out_json),
                          "--predictions", str(out_conll)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "overall: f1=1.0000" in printed
    for kind in ("PER", "LOC", "ORG"):
        assert kind in printed
    report = json.loads(out_json.read_text())
    assert report["overall"]["f1"] == 1.0 and report["LOC"]["support"] > 0
    written = conll.read_conll(str(out_conll), "iob2", "iob2")
    assert written == conll.read_conll(str(synthetic_dir / "test.txt"), "iob2", "iob2")
    third = [line.split("\t")[2] for line in out_conll.read_text().splitlines() if line]
    assert third == [t for s in written for t in s.tags]


def test_iob1_file_is_scored_after_conversion(trained, synthetic_dir, tmp_path, capsys):
    sentences = conll.read_conll(str(synthetic_dir / "dev.txt"), "iob2", "iob1")
    conll.write_conll(str(tmp_path / "dev.iob1"), sentences)
    assert evaluate.main([str(trained["export"]), str(tmp_path / "dev.iob1"), "--tag_scheme", "iob1"]) == 0
    assert "overall: f1=1.0000" in capsys.readouterr().out
