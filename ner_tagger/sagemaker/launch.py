"""SDK v2 objects for a training job, a tuning job and a TensorFlow Serving endpoint, from one JSON config.

``configs/sagemaker.json`` names the infrastructure (role, instance type and count, spot, ``max_run``/
``max_wait``, ``checkpoint_s3_uri``, output path, distribution, endpoint) and the hyperparameters. The
metric definitions come from :mod:`ner_tagger.sagemaker.metrics`, so the regexes always match the log line
the code writes. ``scripts/launch_sagemaker.py`` is the command line around this module.

The managed image is TF 2.14 / Python 3.10 (``tensorflow-training:2.14-cpu-py310`` or ``-gpu-``), the last
TensorFlow line the estimator API runs on.
"""
import json
import os
import shlex
from typing import Any, Dict, Optional

from ner_tagger.errors import HParamsError
from ner_tagger.hparams import HParams
from ner_tagger.sagemaker import metrics

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRAMEWORK_VERSION, PY_VERSION = "2.14", "py310"
TRAIN_SOURCE, TRAIN_ENTRY = os.path.join(ROOT, "sagemaker_entry"), "train_entry.py"
SERVE_SOURCE, SERVE_ENTRY = os.path.join(ROOT, "serving_entry"), "inference.py"
PACKAGE = os.path.join(ROOT, "ner_tagger")
# multi_worker_mirrored_strategy is refused (distribution.MWMS_REFUSAL says why): the estimator cannot
# evaluate or export under the TF_CONFIG the toolkit builds for it.
DISTRIBUTIONS = {"parameter_server": {"parameter_server": {"enabled": True}}}
REFUSED_DISTRIBUTIONS = ("multi_worker_mirrored_strategy",)


def load_config(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    check_hyperparameters(config.get("hyperparameters", {}))
    if config.get("distribution") in REFUSED_DISTRIBUTIONS:
        from ner_tagger.sagemaker.distribution import MWMS_REFUSAL

        raise HParamsError(f"{path}: {MWMS_REFUSAL}")
    if config.get("distribution") not in (None, *DISTRIBUTIONS):
        raise HParamsError(f"{path}: distribution must be one of {', '.join(DISTRIBUTIONS)} or null")
    return config


def check_hyperparameters(values: Dict[str, Any]) -> None:
    """Fail here, not minutes later in the cloud: names and values must be valid ``HParams``, and each
    value must survive the toolkit's unquoted ``/bin/sh`` command line as one word."""
    HParams.from_dict(values, source="sagemaker config")
    for key, value in values.items():
        if shlex.split(str(value)) != [str(value)]:
            raise HParamsError(f"sagemaker config: hyperparameter {key!r}={value!r}: the training toolkit "
                               f"passes values through a shell unquoted; use a value without spaces or quotes")


def make_estimator(config: Dict[str, Any], role: str, session=None):
    from sagemaker.tensorflow import TensorFlow

    kwargs = dict(entry_point=TRAIN_ENTRY, source_dir=TRAIN_SOURCE, dependencies=[PACKAGE],
                  framework_version=FRAMEWORK_VERSION, py_version=PY_VERSION, role=role,
                  instance_type=config["instance_type"], instance_count=config.get("instance_count", 1),
                  hyperparameters=dict(config.get("hyperparameters", {})),
                  metric_definitions=metrics.METRIC_DEFINITIONS,
                  base_job_name=config.get("base_job_name", "ner-tagger"),
                  max_run=config.get("max_run", 24 * 3600), sagemaker_session=session)
    if config.get("use_spot_instances"):
        # max_wait (>= max_run) bounds waiting for spot capacity plus running; checkpoints make restarts cheap.
        kwargs.update(use_spot_instances=True, max_wait=config.get("max_wait", kwargs["max_run"]))
    for key in ("checkpoint_s3_uri", "output_path", "volume_size"):
        if config.get(key):
            kwargs[key] = config[key]
    if config.get("distribution"):
        kwargs["distribution"] = DISTRIBUTIONS[config["distribution"]]
    return TensorFlow(**kwargs)


def make_tuner(estimator, config: Dict[str, Any]):
    """``HyperparameterTuner`` maximising dev F1 over ``config["tuning"]["ranges"]``
    (``{"name": {"type": "continuous"|"integer"|"categorical", "min"/"max" or "values"}}``)."""
    from sagemaker.tuner import CategoricalParameter, ContinuousParameter, HyperparameterTuner, IntegerParameter

    tuning = config["tuning"]
    ranges = {}
    for name, spec in tuning["ranges"].items():
        if spec["type"] == "categorical":
            ranges[name] = CategoricalParameter(spec["values"])
        else:
            kind = ContinuousParameter if spec["type"] == "continuous" else IntegerParameter
            ranges[name] = kind(spec["min"], spec["max"], scaling_type=spec.get("scaling", "Auto"))
    return HyperparameterTuner(estimator, metrics.OBJECTIVE_METRIC, ranges, metrics.METRIC_DEFINITIONS,
                               objective_type=metrics.OBJECTIVE_TYPE, max_jobs=tuning.get("max_jobs", 10),
                               max_parallel_jobs=tuning.get("max_parallel_jobs", 2))


def make_model(model_data: str, config: Dict[str, Any], role: str, session=None):
    """A TensorFlow Serving model whose endpoint takes raw text (``serving_entry/inference.py``)."""
    from sagemaker.tensorflow import TensorFlowModel

    return TensorFlowModel(model_data=model_data, role=role, framework_version=FRAMEWORK_VERSION,
                           entry_point=SERVE_ENTRY, source_dir=SERVE_SOURCE, sagemaker_session=session)


def deploy(model, config: Dict[str, Any]):
    endpoint = config.get("endpoint", {})
    return model.deploy(initial_instance_count=endpoint.get("instance_count", 1),
                        instance_type=endpoint.get("instance_type", "ml.c5.large"),
                        endpoint_name=endpoint.get("name"))


def train_and_deploy(config: Dict[str, Any], role: str, inputs: Dict[str, str], session=None,
                     deploy_endpoint: bool = True, job_name: Optional[str] = None):
    """Run the training job (waiting for it), then deploy its model unless told not to."""
    estimator = make_estimator(config, role, session)
    estimator.fit(inputs, job_name=job_name, wait=True)
    if not deploy_endpoint:
        return estimator, None
    predictor = deploy(make_model(estimator.model_data, config, role, session), config)
    return estimator, predictor
