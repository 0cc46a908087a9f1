"""``metric_definitions`` against the eval line the training code logs."""
import logging
import re

import pytest

from ner_tagger import hooks
from ner_tagger.sagemaker import metrics


def _values(line):
    found = {}
    for definition in metrics.METRIC_DEFINITIONS:
        match = re.search(definition["Regex"], line)
        if match:
            found[definition["Name"]] = float(match.group(1))
    return found


def test_regexes_read_the_line_the_exporter_logs(tmp_path, caplog):
    exporter = hooks.BestCheckpointExporter(str(tmp_path))
    result = {"global_step": 300, "f1": 0.81234, "precision": 0.8011, "recall": 0.82391, "loss": 1.23456,
              "f1/PER": 0.9}
    with caplog.at_level(logging.INFO, logger="ner_tagger"):
        exporter.export(None, None, str(tmp_path / "model.ckpt-300"), result, False)
    lines = [r.getMessage() for r in caplog.records]
    assert _values(lines[0]) == {"dev:f1": 0.8123, "dev:precision": 0.8011, "dev:recall": 0.8239,
                                 "dev:loss": 1.2346, "train:step": 300}
    assert lines[1].startswith("eval: new best") and _values(lines[1]) == {}


@pytest.mark.parametrize("line", [
    "07:00:19 train: step=100/100 epoch=5.3 loss=0.0470 sentences/s=2227.2 tokens/s=14332 eta=0m00s",
    "07:00:21 dev: f1=1.0000 precision=1.0000 recall=1.0000 entities=122",
    "eval: step=100 f1=nan precision=nan recall=nan loss=nan",
])
def test_other_lines_and_nan_are_no_data_points(line):
    assert "dev:f1" not in _values(line)


def test_objective_is_a_defined_metric():
    names = [d["Name"] for d in metrics.METRIC_DEFINITIONS]
    assert metrics.OBJECTIVE_METRIC in names and metrics.OBJECTIVE_TYPE == "Maximize"
    assert len(set(names)) == len(names)
