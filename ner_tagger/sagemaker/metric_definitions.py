"""``metric_definitions`` for the training job and ``HyperparameterTuner``.

SageMaker applies each ``Regex`` to every line the job writes to CloudWatch and records the first capture
group as the metric's value; a tuning job's final objective value for a training job is the last value it
recorded. The lines (formats in :mod:`ner_tagger.model.metrics`, checked against these regexes in
``tests/test_sagemaker_metric_definitions.py``):

- :data:`~ner_tagger.model.metrics.EVAL_LINE`, once per dev evaluation during training, e.g.
  ``eval: step=300 f1=0.8123 precision=0.8011 recall=0.8239 loss=1.2345``: the objective's intermediate
  values (what HPO's early stopping of trials compares);
- :data:`~ner_tagger.model.metrics.FINAL_LINE`, once, after the export, e.g.
  ``final: f1=0.8190 precision=0.8101 recall=0.8281 entities=1003``: the exported model's dev scores,
  emitted last, so they are the job's final objective value (with early stopping the last ``eval:`` line
  comes several evaluations after the best one, whose checkpoint is what gets exported);
- the progress line of ``ner_tagger.job.hooks.ProgressHook``, e.g.
  ``train: step=150/4000 epoch=0.8 loss=3.2101 sentences/s=...``: ``train:step`` and ``train:loss``.

Tune for :data:`OBJECTIVE_METRIC` (entity-level dev F1, maximise).
"""
# A value is a number as ``{:.4f}``/``{:d}`` print it; ``nan`` is kept out so a broken evaluation is no data
# point rather than a parse error. The anchors keep these from matching "eval: new best" or the
# ``dev: f1=...`` report line.
_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?)"
_DEV = r"(?:eval: step=[0-9]+|final:) "
_EVAL = r"eval: step=[0-9]+ "
_TRAIN = r"train: step=([0-9]+)/[0-9]+ "

METRIC_DEFINITIONS = [
    {"Name": "dev:f1", "Regex": _DEV + r"f1=" + _NUMBER},
    {"Name": "dev:precision", "Regex": _DEV + r"f1=\S+ precision=" + _NUMBER},
    {"Name": "dev:recall", "Regex": _DEV + r"f1=\S+ precision=\S+ recall=" + _NUMBER},
    {"Name": "dev:loss", "Regex": _EVAL + r"f1=\S+ precision=\S+ recall=\S+ loss=" + _NUMBER},
    {"Name": "train:step", "Regex": _TRAIN},
    {"Name": "train:loss", "Regex": r"train: step=[0-9]+/[0-9]+ epoch=\S+ loss=" + _NUMBER},
]

OBJECTIVE_METRIC = "dev:f1"
OBJECTIVE_TYPE = "Maximize"
