"""SDK v3 (``sagemaker>=3``, ``sagemaker.train``) objects for a training job and a tuning job, from the same JSON
config and the same staged source folder as SDK v2's :mod:`ner_tagger.sagemaker.launch`.

``ModelTrainer`` runs the managed TF 2.14 training image with v3's own container driver instead of the
image's toolkit (``ner_tagger.sagemaker.script_mode`` says what the entry point sees then):

- ``SourceCode(source_dir=<staged folder>, entry_script="train_entry.py", requirements="requirements.txt")``:
  v3 installs a requirements file only when ``SourceCode`` names it; the staged one installs the wheels
  beside it with no index.
- the image URI is v3's own ``sagemaker.core.image_uris.retrieve`` for TensorFlow 2.14 / py310 training.
- job names: v3 names the job ``<base_job_name>-<timestamp>`` itself when it starts it, so the launcher
  picks a unique stem (``<config base_job_name>-<8 hex>`` or ``--job_name``) as the base, and the job's
  checkpoints go to ``<checkpoint_s3_uri>/<stem>``: one prefix per job, kept across spot restarts (which
  are the same job). In the container they live in ``/opt/ml/checkpoints/<job name>``, as under v2.
- ``code_location``: v3 uploads the ``code`` and ``sm_drivers`` channels under its session's default
  bucket and prefix, which the launcher sets from ``code_location``.
- spot: ``Compute(enable_managed_spot_training=True)`` with ``StoppingCondition(max_wait_time_in_seconds=
  max_wait)``; TensorBoard: ``with_tensorboard_output_config`` for ``<tensorboard_s3_uri>/<stem>``.
- several instances are refused: v3 builds no ``TF_CONFIG`` and no parameter servers (that needs the
  TensorFlow toolkit, which v3's driver bypasses), so each host would train its own model.
- instance type ``local``/``local_gpu``: ``Mode.LOCAL_CONTAINER`` (Docker on this machine), without spot or
  checkpoints, as SDK v2's local mode.

Nothing here imports TensorFlow, and nothing imports the SDK at module level: this module is imported only
where SDK v3 is installed (:func:`ner_tagger.sagemaker.launch.sdk_major`).
"""
import dataclasses
import json
import os
import uuid
from typing import Any, Dict, List, Optional
from urllib.parse import urlparse

from ner_tagger.errors import HParamsError
from ner_tagger.sagemaker import metric_definitions, source
from ner_tagger.sagemaker.launch import (
    FRAMEWORK_VERSION,
    LOCAL_INSTANCE_TYPES,
    PY_VERSION,
    TRAIN_ENTRY,
    TUNING_JOB_NAME_MAX,
    Resume,
    check_cluster,
    checkpoint_uri,
    job_hyperparameters,
    tuning_ranges,
)

REQUIREMENTS = "requirements.txt"
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"
TENSORBOARD_LOCAL_PATH = "/opt/ml/output/tensorboard"
# v3 appends "-%Y%m%d%H%M%S" (15 characters) to the base name; training job names hold 63.
STEM_MAX = 63 - 15
MULTI_HOST = ("instance_count={count} with SDK v3: ModelTrainer runs the script with its own driver, not the "
              "TensorFlow toolkit, so no TF_CONFIG or parameter servers are set up and each host would train its "
              "own model. Use instance_count 1, or train on several hosts with SDK v2 (pip install "
              "\"sagemaker>=2.257,<3\"; the same command then builds TensorFlow(..., distribution="
              "{{\"parameter_server\": {{\"enabled\": True}}}}))")


def refuse(config: Dict[str, Any], path: str = "sagemaker config") -> None:
    """What SDK v3 cannot run of a config that SDK v2 can: several hosts (:data:`MULTI_HOST`)."""
    check_cluster(config, path)
    count = config.get("instance_count", 1)
    if count > 1 or config.get("distribution"):
        raise HParamsError(f"{path}: {MULTI_HOST.format(count=count)}")


def job_stem(config: Dict[str, Any], job_name: Optional[str] = None) -> str:
    """The base name v3 gets (the job is ``<stem>-<timestamp>``) and the job's checkpoint sub-prefix."""
    stem = job_name or f"{config.get('base_job_name', 'ner-tagger')}-{uuid.uuid4().hex[:8]}"
    if len(stem) > STEM_MAX:
        raise HParamsError(f"job name {stem!r}: at most {STEM_MAX} characters under SDK v3, which appends "
                           f"'-<timestamp>' to it")
    return stem


def make_session(config: Dict[str, Any], region: Optional[str] = None, boto_session=None):
    """A v3 ``Session`` in ``region`` whose default bucket and prefix are the config's ``code_location`` (or
    ``output_path``): where ModelTrainer uploads the source folder and its drivers. No AWS call."""
    import boto3
    from sagemaker.core.helper.session_helper import Session

    kwargs = {}
    location = config.get("code_location") or config.get("output_path") or ""
    if location.startswith("s3://"):
        parsed = urlparse(location)
        kwargs = dict(default_bucket=parsed.netloc, default_bucket_prefix=parsed.path.strip("/") or None)
    return Session(boto_session=boto_session or boto3.Session(region_name=region), **kwargs)


def image_uri(region: str, instance_type: str) -> str:
    """The managed TensorFlow training image (CPU or GPU by instance type) in ``region``."""
    from sagemaker.core import image_uris

    if instance_type in LOCAL_INSTANCE_TYPES:
        instance_type = "ml.p3.2xlarge" if instance_type == "local_gpu" else "ml.c5.xlarge"
    return image_uris.retrieve("tensorflow", region=region, version=FRAMEWORK_VERSION, py_version=PY_VERSION,
                               instance_type=instance_type, image_scope="training")


def make_trainer(config: Dict[str, Any], role: str, session, job_name: Optional[str] = None,
                 source_dir: Optional[str] = None, checkpoint_name: Optional[str] = None,
                 resume: Optional[Resume] = None):
    """The ``ModelTrainer`` for one job, with its stem (:func:`job_stem`); see the module docstring."""
    from sagemaker.core.training.configs import (
        CheckpointConfig,
        Compute,
        MetricDefinition,
        OutputDataConfig,
        SourceCode,
        StoppingCondition,
        TensorBoardOutputConfig,
    )
    from sagemaker.train.model_trainer import Mode, ModelTrainer

    refuse(config)
    stem = job_stem(config, job_name)
    source_dir = source_dir or source.prepare()
    local = config["instance_type"] in LOCAL_INSTANCE_TYPES
    hyperparameters = job_hyperparameters(config, resume)
    spot = bool(config.get("use_spot_instances")) and not local
    max_run = config.get("max_run", 24 * 3600)
    compute = dict(instance_type=config["instance_type"], instance_count=1, enable_managed_spot_training=spot)
    if config.get("volume_size"):
        compute["volume_size_in_gb"] = config["volume_size"]
    stopping = dict(max_runtime_in_seconds=max_run)
    if spot:  # max_wait (>= max_run) bounds waiting for spot capacity plus running
        stopping["max_wait_time_in_seconds"] = config.get("max_wait", max_run)
    kwargs = dict(
        training_mode=Mode.LOCAL_CONTAINER if local else Mode.SAGEMAKER_TRAINING_JOB,
        sagemaker_session=session, role=role, base_job_name=stem,
        training_image=image_uri(session.boto_region_name if session else "us-west-2", config["instance_type"]),
        source_code=SourceCode(source_dir=source_dir, entry_script=TRAIN_ENTRY, requirements=REQUIREMENTS),
        compute=Compute(**compute), stopping_condition=StoppingCondition(**stopping),
        hyperparameters=hyperparameters)
    output_path = config.get("output_path") or ""
    if output_path.startswith("s3://"):
        kwargs["output_data_config"] = OutputDataConfig(s3_output_path=output_path)
    checkpoints = resume.checkpoint_s3_uri if resume else checkpoint_uri(config, checkpoint_name or stem)
    if checkpoints and not local:
        kwargs["checkpoint_config"] = CheckpointConfig(s3_uri=checkpoints, local_path=CHECKPOINT_LOCAL_PATH)
    trainer = ModelTrainer(**kwargs).with_metric_definitions(
        [MetricDefinition(name=d["Name"], regex=d["Regex"]) for d in metric_definitions.METRIC_DEFINITIONS])
    if config.get("tensorboard_s3_uri") and not local:
        trainer = trainer.with_tensorboard_output_config(TensorBoardOutputConfig(
            s3_output_path=f"{config['tensorboard_s3_uri'].rstrip('/')}/{stem}", local_path=TENSORBOARD_LOCAL_PATH))
    return Launched(trainer, stem)


@dataclasses.dataclass
class Launched:
    """A ModelTrainer with the stem it was built for (a pydantic model: it takes no extra attribute)."""
    trainer: Any
    stem: str


def input_data(inputs: Dict[str, str]) -> List[Any]:
    """``InputData`` channels, one per config input (an S3 prefix, or a local folder in local mode)."""
    from sagemaker.core.training.configs import InputData

    return [InputData(channel_name=name, data_source=uri) for name, uri in inputs.items()]


def train(launched: Launched, inputs: Dict[str, str], wait: bool = True):
    launched.trainer.train(input_data_config=input_data(inputs), wait=wait, logs=wait)
    return launched.trainer


def make_tuner(config: Dict[str, Any], role: str, session, job_name: Optional[str] = None,
               source_dir: Optional[str] = None):
    """v3's ``HyperparameterTuner`` maximising dev F1 over ``config["tuning"]["ranges"]``; the trials share
    ``<checkpoint_s3_uri>/<tuning job name>`` and keep apart in per-job folders, as under v2."""
    from sagemaker.core.common_utils import name_from_base
    from sagemaker.core.parameter import CategoricalParameter, ContinuousParameter, IntegerParameter
    from sagemaker.train.tuner import HyperparameterTuner

    job_name = job_name or name_from_base(config.get("base_job_name", "ner-tagger"), max_length=TUNING_JOB_NAME_MAX,
                                          short=True)
    launched = make_trainer(config, role, session, source_dir=source_dir, checkpoint_name=job_name)
    tuning = config["tuning"]
    ranges = tuning_ranges(config, CategoricalParameter, ContinuousParameter, IntegerParameter)
    tuner = HyperparameterTuner(launched.trainer, metric_definitions.OBJECTIVE_METRIC, ranges,
                                metric_definitions.METRIC_DEFINITIONS, objective_type=metric_definitions.OBJECTIVE_TYPE,
                                max_jobs=tuning.get("max_jobs", 10),
                                max_parallel_jobs=tuning.get("max_parallel_jobs", 2))
    return tuner, job_name


def job_definition(launched: Launched, inputs: Dict[str, str], resume: Optional[Resume] = None) -> Dict[str, Any]:
    """What a launch would ask SageMaker for, computed without calling AWS (``--dry-run``): the trainer's
    settings, the hyperparameters as v3 encodes them, and the container entry point v3 sets."""
    from sagemaker.train.constants import DEFAULT_CONTAINER_ARGUMENTS, DEFAULT_CONTAINER_ENTRYPOINT
    from sagemaker.train.utils import safe_serialize

    trainer = launched.trainer
    src = trainer.source_code.source_dir
    files = sorted(os.path.relpath(os.path.join(d, f), src) for d, _, fs in os.walk(src) for f in fs
                   if not os.path.relpath(d, src).startswith("ner_tagger"))
    return {"sdk": "v3 ModelTrainer", "job_name": f"{launched.stem}-<timestamp>",
            "training_mode": str(trainer.training_mode.name), "image_uri": trainer.training_image,
            "role": trainer.role, "source_code": dump(trainer.source_code), "source_files": files,
            "container_entrypoint": DEFAULT_CONTAINER_ENTRYPOINT + DEFAULT_CONTAINER_ARGUMENTS,
            "compute": dump(trainer.compute), "stopping_condition": dump(trainer.stopping_condition),
            "checkpoint_config": dump(trainer.checkpoint_config),
            "output_data_config": dump(trainer.output_data_config),
            "tensorboard_output_config": dump(trainer._tensorboard_output_config),
            "hyperparameters": {k: safe_serialize(v) for k, v in (trainer.hyperparameters or {}).items()},
            "metric_definitions": [dump(d) for d in trainer._metric_definitions or []],
            "inputs": inputs, "code_location": _code_location(trainer.sagemaker_session),
            "resume": dataclasses.asdict(resume) if resume else None}


def dump(value) -> Any:
    """A v3 config object as plain JSON values, without the fields left unset (``None`` or ``Unassigned``)."""
    if value is None:
        return None
    return {key: item for key, item in value.model_dump(exclude_none=True, warnings=False).items()
            if type(item).__name__ != "Unassigned"}


def _code_location(session) -> Optional[str]:
    bucket = getattr(session, "_default_bucket_name_override", None)
    if not bucket:
        return None
    prefix = getattr(session, "default_bucket_prefix", None)
    return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"


def dumps(definition: Dict[str, Any]) -> str:
    return json.dumps(definition, indent=2, sort_keys=True, default=str)
