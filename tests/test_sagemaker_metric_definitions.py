"""``metric_definitions`` against the lines the training code logs."""
import logging
import re

import pytest

from ner_tagger.job import hooks
from ner_tagger.model.metrics import EVAL_LINE, FINAL_LINE
from ner_tagger.sagemaker import metric_definitions


def _values(line):
    found = {}
    for definition in metric_definitions.METRIC_DEFINITIONS:
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
                                 "dev:loss": 1.2346}
    assert lines[1].startswith("eval: new best") and _values(lines[1]) == {}


def test_train_metrics_read_the_progress_line(caplog):
    """``train:step`` and ``train:loss`` come from ProgressHook's line, logged during training."""
    hook = hooks.ProgressHook(every=50, max_steps=4000, steps_per_epoch=190)
    hook._reset(None)
    hook._reset(1)  # past the warm-up step
    hook._started = 0.0
    run = type("Run", (), {"results": {"step": 149, "loss": 3.21012, "sentences": 16, "tokens": 200}})
    with caplog.at_level(logging.INFO, logger="ner_tagger"):
        hook.after_run(None, run)
    line = caplog.records[-1].getMessage()
    assert line.startswith("train: step=150/4000 ")
    assert _values(line) == {"train:step": 150, "train:loss": 3.2101}


def test_final_line_is_the_objectives_last_value():
    """SageMaker keeps the last value a regex matched as the job's final metric: the final line (the exported
    model's dev scores) comes after every evaluation line and must be what the objective ends on."""
    job_log = [EVAL_LINE.format(step=300, f1=0.61, precision=0.6, recall=0.62, loss=2.0),
               EVAL_LINE.format(step=600, f1=0.72, precision=0.7, recall=0.74, loss=1.5),  # the best
               EVAL_LINE.format(step=900, f1=0.69, precision=0.68, recall=0.7, loss=1.4),
               "07:00:21 dev: f1=0.7200 precision=0.7000 recall=0.7400 entities=122",
               "07:00:21 " + FINAL_LINE.format(f1=0.72, precision=0.7, recall=0.74, support=122)]
    name = metric_definitions.OBJECTIVE_METRIC
    objective = [_values(line)[name] for line in job_log if name in _values(line)]
    assert objective == [0.61, 0.72, 0.69, 0.72]  # intermediate values stay (HPO early stopping uses them)
    assert _values(job_log[-1]) == {"dev:f1": 0.72, "dev:precision": 0.7, "dev:recall": 0.74}


@pytest.mark.parametrize("line", [
    "07:00:19 train: step=100/100 epoch=5.3 loss=0.0470 sentences/s=2227.2 tokens/s=14332 eta=0m00s",
    "07:00:21 dev: f1=1.0000 precision=1.0000 recall=1.0000 entities=122",
    "07:00:21 test: f1=1.0000 precision=1.0000 recall=1.0000 entities=122",
    "eval: step=100 f1=nan precision=nan recall=nan loss=nan",
    "final: f1=nan precision=nan recall=nan entities=0",
])
def test_other_lines_and_nan_are_no_data_points(line):
    assert "dev:f1" not in _values(line)


def test_objective_is_a_defined_metric():
    names = [d["Name"] for d in metric_definitions.METRIC_DEFINITIONS]
    assert metric_definitions.OBJECTIVE_METRIC in names and metric_definitions.OBJECTIVE_TYPE == "Maximize"
    assert len(set(names)) == len(names)
