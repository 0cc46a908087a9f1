"""SDK v2 objects for a training job, a tuning job, a TensorFlow Serving endpoint and a Batch Transform job,
from one JSON config.

``configs/sagemaker.json`` names the infrastructure (role, instance type and count, spot, ``max_run``/
``max_wait``, ``checkpoint_s3_uri`` prefix, output path, code location, distribution, endpoint) and the
hyperparameters. The metric definitions come from :mod:`ner_tagger.sagemaker.metric_definitions`, so the regexes
always match the log lines the code writes. ``scripts/launch_sagemaker.py`` is the command line around
this module.

- ``source_dir`` is a folder staged by :mod:`ner_tagger.sagemaker.source` (entry point, package, wheels,
  no-index ``requirements.txt``), so the same call works in the cloud, under network isolation and in the
  SDK's local mode; no ``dependencies=``.
- Every job gets its own checkpoint prefix, ``<checkpoint_s3_uri>/<job name>``, with the job name picked
  here (SageMaker restores the prefix into ``/opt/ml/checkpoints`` of each job given it: a shared prefix
  would make a new job resume, or fail to restore, an old one's checkpoints). A spot restart is the same
  job, same name, same prefix. A tuning job gets ``<checkpoint_s3_uri>/<tuning job name>``; its trials share
  that (one ``TrainingJobDefinition``) and keep apart in per-job subfolders
  (``ner_tagger.sagemaker.environment.job_checkpoint_dir``).
- ``tensorboard_s3_uri``: the estimator gets a ``TensorBoardOutputConfig`` for ``<tensorboard_s3_uri>/<job
  name>`` (one run a job, as TensorBoard lists them), with the SDK's default local path
  ``/opt/ml/output/tensorboard``; SageMaker uploads that folder while the job runs and writes its
  ``LocalPath`` into ``/opt/ml/input/config/tensorboardoutputconfig.json``, where the job reads it
  (:attr:`ner_tagger.sagemaker.environment.MLPaths.tensorboard`).
- ``transform``: a Batch Transform job on the TensorFlow Serving model (:func:`start_transform`): input split
  by line (``SplitType=Line``), mini-batches of many records (``MultiRecord``) up to ``max_payload_mb``,
  JSON lines in (``content_type``) and out (``accept``), assembled one output line per input line.
- ``code_location`` defaults to ``output_path``: the SDK otherwise puts ``<job>/source/sourcedir.tar.gz``
  at the root of ``output_path``'s bucket (``EstimatorBase._stage_user_code_in_s3``).
- ``model_dir=False``: the SDK then adds no ``model_dir`` hyperparameter (``s3://<output_path>/<job>/model``),
  which the toolkit's ``main`` would hand to ``s3_utils.configure``, an S3 ``GetBucketLocation`` call with no
  error handling: a job with ``enable_network_isolation=True`` (no S3 endpoint) or a role without that
  permission would die before our code runs. We never write there (TensorFlow 2.14 has no S3 filesystem).
- ``disable_profiler=True``, ``debugger_hook_config=False``: the TF 2.14 images have no smdebug; the SDK
  would otherwise ask for a profiler and a debugger hook config.
- ``instance_count`` > 1 needs ``"distribution": "parameter_server"``: without a distribution each host
  trains its own model into the same output (:data:`INDEPENDENT_HOSTS`).
- :func:`resume_from_job`: a new job that continues a stopped one's checkpoints (``--resume-from``).

Nothing here imports TensorFlow: launching needs only the SageMaker SDK. Under SDK v3 the launcher builds a
``ModelTrainer`` instead (:mod:`ner_tagger.sagemaker.launch_v3`, chosen by :func:`sdk_major`); the config
checks and the checkpoint rule here serve both.

The managed image is TF 2.14 / Python 3.10 (``tensorflow-training:2.14-cpu-py310`` or ``-gpu-``), the last
TensorFlow line the estimator API runs on.
"""
import dataclasses
import json
import os
import re
import shlex
import shutil
import tempfile
from typing import Any, Dict, Optional

from ner_tagger.errors import HParamsError
from ner_tagger.hparams import HParams
from ner_tagger.sagemaker import channels, metric_definitions, source

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRAMEWORK_VERSION, PY_VERSION = "2.14", "py310"
TRAIN_ENTRY = source.ENTRY
SERVE_SOURCE, SERVE_ENTRY = os.path.join(ROOT, "serving_entry"), "inference.py"
# What inference.py imports: TF-free modules (the TF Serving container's Python has no TensorFlow), shipped
# as a package folder that the SDK copies to code/lib/ner_tagger (tests/test_serving_entry_inference.py imports
# it in an isolated interpreter, ``python -I``).
SERVE_MODULES = ("__init__.py", "errors.py", "corpus/__init__.py", "corpus/tagging.py", "corpus/text_rules.py",
                 "serving/__init__.py",
                 "serving/answers.py", "serving/core.py", "serving/payload.py", "serving/media.py",
                 "serving/records.py", "serving/windows.py", "serving/deadline.py")
# multi_worker_mirrored_strategy is refused (distribution.MWMS_REFUSAL says why): the estimator cannot
# evaluate or export under the TF_CONFIG the toolkit builds for it.
DISTRIBUTIONS = {"parameter_server": {"parameter_server": {"enabled": True}}}
REFUSED_DISTRIBUTIONS = ("multi_worker_mirrored_strategy",)
# SageMaker's limits: training job names 63 characters, tuning job names 32.
JOB_NAME_MAX, TUNING_JOB_NAME_MAX = 63, 32
# The SDK's local mode (instance_type "local"/"local_gpu") refuses spot training and checkpoint_s3_uri
# (``EstimatorBase._add_spot_checkpoint_args`` raises ValueError); it has neither spot capacity nor a
# checkpoint sync (with model_dir=False, as in the cloud, checkpoints stay in the container).
LOCAL_INSTANCE_TYPES = ("local", "local_gpu")
# Channels the training job reads: the table every door reads (ner_tagger.sagemaker.channels).
CHANNELS = channels.NAMES
INDEPENDENT_HOSTS = ("instance_count={count} with no distribution: each host would train its own model from "
                     "scratch and export it to the same output (N independent trainings billed as one). Set "
                     '"distribution": "parameter_server" to train one model on {count} hosts, or instance_count 1')
# SageMaker's training job name pattern (CreateTrainingJob's TrainingJobName).
JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
JSONLINES = "application/jsonlines"
# Batch Transform mini-batches of 1 MB (~10k tweet-sized lines), not the API's default 6: a 6 MB mini-batch
# took 300 s on one worker of a busy 2-core machine (benchmarks/batch_transform.py), too near the 600 s
# invocation timeout for comfort, and a smaller one loses less to a retry. Up to 100 is allowed.
TRANSFORM_DEFAULTS = {"instance_type": "ml.c5.xlarge", "instance_count": 1, "max_payload_mb": 1,
                      "content_type": JSONLINES, "accept": JSONLINES}
TRANSFORM_CONTENT_TYPES = (JSONLINES, "text/plain")
# The TF Serving container gives a request 30 s (gunicorn) behind a 60 s nginx read timeout
# (SAGEMAKER_GUNICORN_TIMEOUT_SECONDS, SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS in its serve.py): too short
# for a mini-batch of thousands of sentences. A transform job waits 600 s for an invocation by default
# (InvocationsTimeoutInSeconds); inference.py reads the gunicorn setting and stops a mini-batch at 90% of it
# (540 s) with an error, so nginx (kept >= gunicorn) and the job's 600 s never cut it off silently.
TRANSFORM_TIMEOUT_S = 600
TRANSFORM_ENV = {"SAGEMAKER_GUNICORN_TIMEOUT_SECONDS": str(TRANSFORM_TIMEOUT_S),
                 "SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS": str(TRANSFORM_TIMEOUT_S)}


def sdk_major() -> int:
    """The installed SageMaker Python SDK's major version (0 when none): 2 builds the ``TensorFlow``
    estimator here, 3 a ``ModelTrainer`` (:mod:`ner_tagger.sagemaker.launch_v3`)."""
    from importlib import metadata

    try:
        return int(metadata.version("sagemaker").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return 0


def load_config(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    check_hyperparameters(config.get("hyperparameters", {}))
    check_channels(path, config.get("inputs", {}))
    if config.get("distribution") in REFUSED_DISTRIBUTIONS:
        from ner_tagger.job.cluster import MWMS_REFUSAL

        raise HParamsError(f"{path}: {MWMS_REFUSAL}")
    for key in ("checkpoint_s3_uri", "code_location", "tensorboard_s3_uri"):
        if config.get(key) and not str(config[key]).startswith("s3://"):
            raise HParamsError(f"{path}: {key}={config[key]!r}: must be an s3:// URI")
    if not isinstance(config.get("enable_network_isolation", False), bool):
        raise HParamsError(f"{path}: enable_network_isolation={config['enable_network_isolation']!r}: must be "
                           f"true or false")
    if config.get("distribution") not in (None, *DISTRIBUTIONS):
        raise HParamsError(f"{path}: distribution must be one of {', '.join(DISTRIBUTIONS)} or null")
    check_cluster(config, path)
    check_transform(config.get("transform", {}), path)
    return config


def check_channels(path: str, inputs: Dict[str, Any]) -> None:
    """Only channels the job reads (:mod:`ner_tagger.sagemaker.channels`): another name would be downloaded and then
    ignored; and one channel per role: the job refuses two (``training`` and ``train``)."""
    unknown = sorted(set(inputs) - set(CHANNELS))
    if unknown:
        raise HParamsError(f"{path}: inputs: unknown channel(s) {', '.join(map(repr, unknown))}; the job reads "
                           f"{channels.describe()}")
    try:
        channels.assign(inputs)
    except channels.ChannelError as err:
        raise HParamsError(f"{path}: inputs: {err}") from None


def check_cluster(config: Dict[str, Any], path: str = "sagemaker config") -> None:
    """Several instances only as one distributed job (:data:`INDEPENDENT_HOSTS`)."""
    count = config.get("instance_count", 1)
    if not isinstance(count, int) or count < 1:
        raise HParamsError(f"{path}: instance_count={count!r}: must be a positive integer")
    if count > 1 and not config.get("distribution"):
        raise HParamsError(f"{path}: {INDEPENDENT_HOSTS.format(count=count)}")


def check_transform(transform: Dict[str, Any], path: str) -> None:
    """The ``transform`` section's values SageMaker would refuse (or our endpoints could not read)."""
    unknown = sorted(set(transform) - set(TRANSFORM_DEFAULTS) - {"output_path", "max_concurrent_transforms"})
    if unknown:
        raise HParamsError(f"{path}: transform: unknown key(s) {', '.join(unknown)}")
    payload = transform.get("max_payload_mb", TRANSFORM_DEFAULTS["max_payload_mb"])
    if not isinstance(payload, int) or not 1 <= payload <= 100:
        raise HParamsError(f"{path}: transform.max_payload_mb={payload!r}: must be an integer from 1 to 100")
    content_type = transform.get("content_type", JSONLINES)
    if content_type not in TRANSFORM_CONTENT_TYPES:
        raise HParamsError(f"{path}: transform.content_type={content_type!r}: must be one of "
                           f"{', '.join(TRANSFORM_CONTENT_TYPES)} (one record a line)")
    output = transform.get("output_path")
    if output and not str(output).startswith("s3://"):
        raise HParamsError(f"{path}: transform.output_path={output!r}: must be an s3:// URI")


def check_hyperparameters(values: Dict[str, Any]) -> None:
    """Fail here, not minutes later in the cloud: names and values must be valid ``HParams``, and each
    value must survive the toolkit's unquoted ``/bin/sh`` command line as one word."""
    HParams.from_dict(values, source="sagemaker config")
    for key, value in values.items():
        if shlex.split(str(value)) != [str(value)]:
            raise HParamsError(f"sagemaker config: hyperparameter {key!r}={value!r}: the training toolkit "
                               f"passes values through a shell unquoted; use a value without spaces or quotes")


def new_job_name(config: Dict[str, Any], tuning: bool = False) -> str:
    """A fresh timestamped name from ``base_job_name`` (the SDK's own ``name_from_base``), picked here rather
    than by ``fit()`` because the checkpoint prefix is derived from it before the job exists."""
    from sagemaker.utils import name_from_base

    base = config.get("base_job_name", "ner-tagger")
    if tuning:
        return name_from_base(base, max_length=TUNING_JOB_NAME_MAX, short=True)
    return name_from_base(base, max_length=JOB_NAME_MAX)


def checkpoint_uri(config: Dict[str, Any], name: str) -> Optional[str]:
    """``<config checkpoint_s3_uri>/<name>``, or None when the config has no checkpoint prefix."""
    prefix = config.get("checkpoint_s3_uri")
    if not prefix:
        return None
    if not prefix.startswith("s3://"):
        raise HParamsError(f"sagemaker config: checkpoint_s3_uri={prefix!r}: must be an s3:// prefix")
    return f"{prefix.rstrip('/')}/{name}"


@dataclasses.dataclass(frozen=True)
class Resume:
    """How a new job continues job ``job``'s checkpoints: SageMaker restores ``checkpoint_s3_uri`` into the
    new job's ``/opt/ml/checkpoints``, and the hyperparameter ``resume_from`` = ``folder`` makes the container
    keep its checkpoints in ``/opt/ml/checkpoints/<folder>`` (the folder the first job of the chain wrote)
    instead of one named after the new job. ``found_by`` says where the two came from."""
    job: str
    checkpoint_s3_uri: str
    folder: str
    found_by: str


def resume_from_job(session, job_name: str) -> Resume:
    """Ask SageMaker (``DescribeTrainingJob``) where job ``job_name`` kept its checkpoints: its
    ``CheckpointConfig.S3Uri``, and its own ``resume_from`` when it continued another job (so a chain keeps
    writing the first job's folder). Raises :class:`HParamsError` when it has no checkpoints to resume."""
    from botocore.exceptions import ClientError

    _check_job_name(job_name)
    try:
        described = session.sagemaker_client.describe_training_job(TrainingJobName=job_name)
    except ClientError as err:  # no such job in this region, or no permission to describe it
        raise HParamsError(f"--resume-from {job_name}: {err}") from None
    uri = (described.get("CheckpointConfig") or {}).get("S3Uri")
    if not uri:
        raise HParamsError(f"--resume-from {job_name}: the job has no CheckpointConfig (it ran without "
                           f"checkpoint_s3_uri), so there is nothing to resume")
    raw = (described.get("HyperParameters") or {}).get("resume_from")
    folder = _json_string(raw) if raw else job_name
    _check_job_name(folder, f"--resume-from {job_name}: its hyperparameter resume_from")
    return Resume(job_name, uri, folder, f"DescribeTrainingJob({job_name}): CheckpointConfig.S3Uri and "
                                         f"hyperparameter resume_from")


def resume_by_rule(config: Dict[str, Any], job_name: str) -> Resume:
    """What :func:`resume_from_job` would find for a job this launcher started, without asking AWS
    (``--dry-run``): the launcher's own rule ``<checkpoint_s3_uri>/<job>``; a job that itself continued
    another one would give that one's prefix and folder instead."""
    _check_job_name(job_name)
    uri = checkpoint_uri(config, job_name)
    if not uri:
        raise HParamsError(f"--resume-from {job_name}: the config has no checkpoint_s3_uri")
    return Resume(job_name, uri, job_name, "the launcher's rule <checkpoint_s3_uri>/<job name> (dry run: AWS not "
                                           "asked; a launch reads the job's CheckpointConfig and resume_from)")


def _check_job_name(name: str, what: str = "--resume-from") -> None:
    # The container uses the name as a folder under /opt/ml/checkpoints.
    if not isinstance(name, str) or not JOB_NAME.fullmatch(name):
        raise HParamsError(f"{what}: {name!r} is not a SageMaker training job name")


def _json_string(raw: str) -> str:
    """A hyperparameter as DescribeTrainingJob returns it: the SDK's JSON encoding, or a plain string."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def job_hyperparameters(config: Dict[str, Any], resume: Optional[Resume] = None) -> Dict[str, Any]:
    """The config's hyperparameters, plus ``resume_from`` when the job continues another (``--resume-from``;
    refused with a local instance type, whose mode has no ``checkpoint_s3_uri`` to restore)."""
    hyperparameters = dict(config.get("hyperparameters", {}))
    if resume:
        if config["instance_type"] in LOCAL_INSTANCE_TYPES:
            raise HParamsError(f"--resume-from {resume.job}: not with instance type {config['instance_type']!r}: "
                               f"local mode has no checkpoint_s3_uri to restore")
        hyperparameters["resume_from"] = resume.folder
    return hyperparameters


def tuning_ranges(config: Dict[str, Any], categorical, continuous, integer) -> Dict[str, Any]:
    """``config["tuning"]["ranges"]`` (``{"name": {"type": "continuous"|"integer"|"categorical", "min"/"max" or
    "values", "scaling"}}``) as the SDK's parameter classes (v2's or v3's, which take the same arguments)."""
    ranges = {}
    for name, spec in config["tuning"]["ranges"].items():
        if spec["type"] == "categorical":
            ranges[name] = categorical(spec["values"])
        else:
            kind = continuous if spec["type"] == "continuous" else integer
            ranges[name] = kind(spec["min"], spec["max"], scaling_type=spec.get("scaling", "Auto"))
    return ranges


def make_estimator(config: Dict[str, Any], role: str, session=None, job_name: Optional[str] = None,
                   source_dir: Optional[str] = None, checkpoint_name: Optional[str] = None,
                   resume: Optional[Resume] = None):
    """The ``TensorFlow`` estimator for job ``job_name`` (picked by :func:`new_job_name` when None; kept as
    ``estimator.ner_job_name`` for ``fit``). ``source_dir``: a staged folder (default: stage one now under
    ``build/``). ``checkpoint_name``: the checkpoint sub-prefix, default the job name (a tuning job passes
    its own name). ``resume``: continue another job's checkpoints (:func:`resume_from_job`) instead. With a
    local instance type (the SDK's local mode) the config's spot and checkpoint settings are left out: the
    SDK refuses them there (:data:`LOCAL_INSTANCE_TYPES`)."""
    from sagemaker.tensorflow import TensorFlow

    check_cluster(config)
    job_name = job_name or new_job_name(config)
    source_dir = source_dir or source.prepare()
    local = config["instance_type"] in LOCAL_INSTANCE_TYPES
    hyperparameters = job_hyperparameters(config, resume)
    kwargs = dict(entry_point=TRAIN_ENTRY, source_dir=source_dir,
                  framework_version=FRAMEWORK_VERSION, py_version=PY_VERSION, role=role,
                  instance_type=config["instance_type"], instance_count=config.get("instance_count", 1),
                  hyperparameters=hyperparameters,
                  metric_definitions=metric_definitions.METRIC_DEFINITIONS,
                  base_job_name=config.get("base_job_name", "ner-tagger"),
                  max_run=config.get("max_run", 24 * 3600), sagemaker_session=session,
                  # No s3:// model_dir: the toolkit would ask S3 for its bucket's region (module docstring).
                  model_dir=False,
                  # The TF 2.14 images have no smdebug: no profiler, no debugger hook.
                  disable_profiler=True, debugger_hook_config=False)
    if config.get("use_spot_instances") and not local:
        # max_wait (>= max_run) bounds waiting for spot capacity plus running; checkpoints make restarts cheap.
        kwargs.update(use_spot_instances=True, max_wait=config.get("max_wait", kwargs["max_run"]))
    for key in ("output_path", "volume_size"):
        if config.get(key):
            kwargs[key] = config[key]
    # Only an s3:// output_path stands in: in local mode it may be file://, which the SDK's S3 upload of
    # the code cannot parse (and with local code nothing is uploaded at all).
    output_path = config.get("output_path") or ""
    code_location = config.get("code_location") or (output_path if output_path.startswith("s3://") else None)
    if code_location:
        kwargs["code_location"] = code_location
    checkpoints = resume.checkpoint_s3_uri if resume else checkpoint_uri(config, checkpoint_name or job_name)
    if checkpoints and not local:
        kwargs["checkpoint_s3_uri"] = checkpoints
    if config.get("distribution"):
        kwargs["distribution"] = DISTRIBUTIONS[config["distribution"]]
    if config.get("enable_network_isolation"):
        # No network in the container: the SDK then ships the code as a `code` input channel instead of
        # letting the toolkit download it.
        kwargs["enable_network_isolation"] = True
    if config.get("tensorboard_s3_uri") and not local:
        from sagemaker.debugger import TensorBoardOutputConfig

        # The SDK's default local path (/opt/ml/output/tensorboard) is left to it; the job reads the one
        # SageMaker hands it.
        kwargs["tensorboard_output_config"] = TensorBoardOutputConfig(
            f"{config['tensorboard_s3_uri'].rstrip('/')}/{job_name}")
    estimator = TensorFlow(**kwargs)
    estimator.ner_job_name = job_name
    return estimator


def make_tuner(config: Dict[str, Any], role: str, session=None, job_name: Optional[str] = None,
               source_dir: Optional[str] = None):
    """``HyperparameterTuner`` maximising dev F1 over ``config["tuning"]["ranges"]``
    (``{"name": {"type": "continuous"|"integer"|"categorical", "min"/"max" or "values"}}``), for tuning job
    ``job_name`` (kept as ``tuner.ner_job_name``), checkpoints under ``<checkpoint_s3_uri>/<job_name>``."""
    from sagemaker.tuner import CategoricalParameter, ContinuousParameter, HyperparameterTuner, IntegerParameter

    job_name = job_name or new_job_name(config, tuning=True)
    estimator = make_estimator(config, role, session, source_dir=source_dir, checkpoint_name=job_name)
    tuning = config["tuning"]
    ranges = tuning_ranges(config, CategoricalParameter, ContinuousParameter, IntegerParameter)
    tuner = HyperparameterTuner(estimator, metric_definitions.OBJECTIVE_METRIC, ranges,
                                metric_definitions.METRIC_DEFINITIONS,
                                objective_type=metric_definitions.OBJECTIVE_TYPE, max_jobs=tuning.get("max_jobs", 10),
                                max_parallel_jobs=tuning.get("max_parallel_jobs", 2))
    tuner.ner_job_name = job_name
    return tuner


def make_model(model_data: str, config: Dict[str, Any], role: str, session=None):
    """A TensorFlow Serving model whose endpoint takes raw text (``serving_entry/inference.py``)."""
    from sagemaker.tensorflow import TensorFlowModel

    return TensorFlowModel(model_data=model_data, role=role, framework_version=FRAMEWORK_VERSION,
                           entry_point=SERVE_ENTRY, source_dir=SERVE_SOURCE,
                           dependencies=[stage_serving_package()], sagemaker_session=session)


def stage_serving_package(dest: Optional[str] = None) -> str:
    """Copy :data:`SERVE_MODULES` into ``<dest>/ner_tagger`` (default: a new temporary folder, kept: the
    SDK repacks the model at deploy time) and return that package folder."""
    package = os.path.join(dest or tempfile.mkdtemp(prefix="ner-tagger-serving-"), "ner_tagger")
    for name in SERVE_MODULES:
        os.makedirs(os.path.join(package, os.path.dirname(name)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, "ner_tagger", name), os.path.join(package, name))
    return package


def transform_settings(config: Dict[str, Any]) -> Dict[str, Any]:
    return {**TRANSFORM_DEFAULTS, **config.get("transform", {})}


def transformer_kwargs(config: Dict[str, Any]) -> Dict[str, Any]:
    """``Model.transformer`` arguments: many records a request, one output line per record."""
    settings = transform_settings(config)
    kwargs = dict(instance_count=settings["instance_count"], instance_type=settings["instance_type"],
                  strategy="MultiRecord", assemble_with="Line", accept=settings["accept"],
                  max_payload=settings["max_payload_mb"], env=dict(TRANSFORM_ENV))
    for key in ("output_path", "max_concurrent_transforms"):
        if settings.get(key):
            kwargs[key] = settings[key]
    return kwargs


def transform_kwargs(config: Dict[str, Any]) -> Dict[str, Any]:
    """``Transformer.transform`` arguments: the input split at newlines, in the config's content type."""
    return dict(content_type=transform_settings(config)["content_type"], split_type="Line")


def start_transform(model, config: Dict[str, Any], data: str, job_name: Optional[str] = None,
                    wait: bool = True):
    """A Batch Transform job of ``model`` (:func:`make_model`) over the files under S3 prefix ``data``;
    returns the SDK ``Transformer`` (its ``output_path`` holds ``<input file>.out``, line for line)."""
    transformer = model.transformer(**transformer_kwargs(config))
    transformer.transform(data, job_name=job_name, wait=wait, **transform_kwargs(config))
    return transformer


def transform_definition(config: Dict[str, Any], model_data: str, data: str,
                         job_name: Optional[str] = None) -> Dict[str, Any]:
    """What :func:`start_transform` would ask for, without calling AWS (``--dry-run``)."""
    return {"model_data": model_data, "data": data, "job_name": job_name, "entry_point": SERVE_ENTRY,
            "transformer": transformer_kwargs(config), "transform": transform_kwargs(config)}


def deploy(model, config: Dict[str, Any]):
    endpoint = config.get("endpoint", {})
    return model.deploy(initial_instance_count=endpoint.get("instance_count", 1),
                        instance_type=endpoint.get("instance_type", "ml.c5.large"),
                        endpoint_name=endpoint.get("name"))


def train_and_deploy(config: Dict[str, Any], role: str, inputs: Dict[str, str], session=None,
                     deploy_endpoint: bool = True, job_name: Optional[str] = None,
                     source_dir: Optional[str] = None, resume: Optional[Resume] = None):
    """Run the training job (waiting for it), then deploy its model unless told not to."""
    estimator = make_estimator(config, role, session, job_name=job_name, source_dir=source_dir, resume=resume)
    estimator.fit(inputs, job_name=estimator.ner_job_name, wait=True)
    if not deploy_endpoint:
        return estimator, None
    predictor = deploy(make_model(estimator.model_data, config, role, session), config)
    return estimator, predictor


def job_definition(estimator, config: Dict[str, Any], inputs: Dict[str, str],
                   resume: Optional[Resume] = None) -> Dict[str, Any]:
    """What a launch would ask SageMaker for, computed without calling AWS (``--dry-run``): the image, the
    hyperparameters as the SDK encodes them (JSON strings), checkpoint and code locations, metrics, what
    the source folder carries, and where a resumed job's checkpoints come from."""
    hyperparameters = dict(config.get("hyperparameters", {}), **({"resume_from": resume.folder} if resume else {}))
    src = estimator.source_dir
    files = sorted(os.path.relpath(os.path.join(d, f), src) for d, _, fs in os.walk(src) for f in fs
                   if not os.path.relpath(d, src).startswith("ner_tagger"))
    return {"job_name": estimator.ner_job_name, "image_uri": estimator.training_image_uri(),
            "instance_type": estimator.instance_type, "instance_count": estimator.instance_count,
            "entry_point": estimator.entry_point, "source_dir": src, "source_files": files,
            "hyperparameters": {k: json.dumps(v) for k, v in hyperparameters.items()},
            "checkpoint_s3_uri": estimator.checkpoint_s3_uri, "code_location": estimator.code_location,
            "output_path": estimator.output_path, "use_spot_instances": estimator.use_spot_instances,
            "max_run": estimator.max_run, "max_wait": estimator.max_wait,
            "distribution": getattr(estimator, "distribution", None), "inputs": inputs,
            "metric_definitions": estimator.metric_definitions,
            "tensorboard_s3_uri": getattr(estimator.tensorboard_output_config, "s3_output_path", None),
            "model_dir": estimator.model_dir, "disable_profiler": estimator.disable_profiler,
            "debugger_hook_config": estimator.debugger_hook_config,
            "resume": dataclasses.asdict(resume) if resume else None}
