"""``metric_definitions`` for the training job and ``HyperparameterTuner``.

SageMaker applies each ``Regex`` to every line the job writes to CloudWatch and records the first capture
group as the metric's value. The regexes match :data:`ner_tagger.metrics.EVAL_LINE`, logged once per
evaluation on the dev set, e.g. ``eval: step=300 f1=0.8123 precision=0.8011 recall=0.8239 loss=1.2345``.
Tune for :data:`OBJECTIVE_METRIC` (entity-level dev F1, maximise).
"""
# A value is a float as ``{:.4f}`` prints it; ``nan`` is kept out so a broken evaluation is no data
# point rather than a parse error. The ``eval: step=`` anchor keeps these from matching "eval: new best".
_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?)"
_PREFIX = r"eval: step=[0-9]+ "

METRIC_DEFINITIONS = [
    {"Name": "dev:f1", "Regex": _PREFIX + r"f1=" + _NUMBER},
    {"Name": "dev:precision", "Regex": _PREFIX + r"f1=\S+ precision=" + _NUMBER},
    {"Name": "dev:recall", "Regex": _PREFIX + r"f1=\S+ precision=\S+ recall=" + _NUMBER},
    {"Name": "dev:loss", "Regex": _PREFIX + r"f1=\S+ precision=\S+ recall=\S+ loss=" + _NUMBER},
    {"Name": "train:step", "Regex": r"eval: step=([0-9]+) f1="},
]

OBJECTIVE_METRIC = "dev:f1"
OBJECTIVE_TYPE = "Maximize"
