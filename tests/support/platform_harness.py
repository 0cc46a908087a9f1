"""The SageMaker training platform, played from the request the real SDK v2 sends: the container lane's way
to test what the SDK's local mode skips (S3, ``CheckpointConfig``, network isolation, the platform's stop and
spot restart, ``TRAINING_JOB_NAME``).

Two halves, plain functions over plain dicts:

CAPTURE (no Docker): :func:`capture_session` gives a real ``sagemaker.session.Session`` on a real
``boto3.Session`` (fake credentials, a fixed region) whose clients send nothing. botocore handlers on the
clients' own events answer the few calls a launch makes and record each one's API parameters exactly as the SDK
passed them to boto: ``CreateTrainingJob`` and ``CreateHyperParameterTuningJob`` get a fake ARN back; the S3
uploads (``sourcedir.tar.gz`` under ``code_location``: ``PutObject`` or a multipart upload) are written into a
:class:`LocalS3` folder that stands for S3. Any other call is refused (:class:`AwsCallRefused`) and recorded in
``captured.refused``; a ``before-send`` handler refuses whatever would still reach the wire, so AWS stays
unreachable whatever the SDK does. :func:`trial_request` turns a captured tuning job's training job definition
into the ``CreateTrainingJob``-shaped request of one trial.

PLAY (Docker): :func:`start` / :func:`wait` / :func:`stop` / :func:`kill` / :func:`finish`, or :func:`play` for
all of it, run a captured request the way SageMaker runs a training job, as far as its documentation and the
toolkits' sources say:

- the image ``AlgorithmSpecification.TrainingImage``, command ``train`` (the process is PID 1: no init);
- a fresh ``/opt/ml`` bind-mounted: ``input/config/hyperparameters.json`` exactly as sent,
  ``resourceconfig.json`` (``algo-1``, one host), ``inputdataconfig.json`` from ``InputDataConfig`` (the
  fields SageMaker writes), ``checkpointconfig.json`` (``LocalPath``, ``S3Uri``) with a ``CheckpointConfig``,
  ``tensorboardoutputconfig.json`` with a ``TensorBoardOutputConfig``, ``debughookconfig.json`` with a
  ``DebugHookConfig``; each channel's objects copied from the :class:`LocalS3` into ``input/data/<channel>/``
  (also the ``code`` channel the SDK adds under network isolation);
- the checkpoint prefix restored into ``LocalPath`` before the start, mirrored back (deletions too, as the
  SageMaker docs say) every ``sync_secs`` while the job runs and once after its container ends;
- environment ``TRAINING_JOB_NAME``, ``TRAINING_JOB_ARN`` and the request's ``Environment``;
- ``--network none``, always: exactly SageMaker's network isolation when ``EnableNetworkIsolation`` is set.
  A non-isolated script-mode job's toolkit would download ``sagemaker_submit_directory`` from S3 with boto3
  (and the TensorFlow toolkit asks S3 for an ``s3://`` model_dir bucket's region): no S3 endpoint is served
  here, so :func:`start` refuses such a request. A non-isolated job that needs no network (the product image's
  ``train``) is played, without network;
- stop as SageMaker stops (``docker stop -t GRACE``: SIGTERM, then SIGKILL after the grace period), a spot
  restart as the same request (same job name) on a fresh container and a fresh ``/opt/ml`` with the checkpoint
  prefix restored;
- at the end: ``model.tar.gz`` of ``/opt/ml/model`` (and ``output.tar.gz`` of ``/opt/ml/output/data``) into
  ``<S3OutputPath>/<job name>/output/`` of the :class:`LocalS3` when the job completed or was stopped, and
  ``/opt/ml/output/failure`` read back as ``failure_reason`` when it failed.

What it cannot play: IAM (the role is never assumed), S3's consistency and the timing of SageMaker's
continuous checkpoint upload, CloudWatch metrics, the real ECR image (the stand-in's Debian/Python 3.11
instead of Ubuntu/Python 3.10), several hosts, Pipe/FastFile input modes, ``MaxRuntimeInSeconds``.
"""
import copy
import dataclasses
import filecmp
import json
import os
import random
import re
import shutil
import subprocess
import tarfile
import threading
import time
import uuid
from typing import List, Optional

from support import container_lane as lane

REGION = lane.REGION
ACCOUNT = lane.ACCOUNT
ROLE = lane.ROLE
# SageMaker's sagemaker_config with telemetry opted out (its requests would go to an AWS endpoint) and no
# developer defaults read from ~/.config/sagemaker.
SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
HOST = "algo-1"
DEFAULT_CHECKPOINT_PATH = "/opt/ml/checkpoints"
DEFAULT_TENSORBOARD_PATH = "/opt/ml/output/tensorboard"
CONTAINER_ML = "/opt/ml"
FAILURE_REASON_MAX = 1024  # SageMaker shows the first 1024 characters of output/failure


class AwsCallRefused(RuntimeError):
    """The SDK tried an AWS call the platform harness does not answer."""


class PlatformError(RuntimeError):
    """A request the harness cannot play as SageMaker would (the message says which field)."""


# ------------------------------------------------------------------------------------------------- local S3


def split_s3(uri):
    """``s3://bucket/key`` -> (bucket, key); anything else is refused."""
    match = re.match(r"^s3://([^/]+)/?(.*)$", uri or "")
    if not match:
        raise PlatformError(f"not an s3:// URI: {uri!r}")
    return match.group(1), match.group(2)


class LocalS3:
    """A folder standing for S3: object ``s3://bucket/some/key`` is the file ``<root>/bucket/some/key``."""

    def __init__(self, root):
        self.root = str(root)
        os.makedirs(self.root, exist_ok=True)

    def path(self, uri):
        bucket, key = split_s3(uri)
        return os.path.join(self.root, bucket, *[p for p in key.split("/") if p])

    def put_bytes(self, uri, data):
        path = self.path(uri)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)

    def put_file(self, uri, source):
        path = self.path(uri)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(source, path)

    def put_folder(self, folder, uri):
        """Every file under ``folder`` as an object under prefix ``uri``."""
        for rel in _files(folder):
            self.put_file(f"{uri.rstrip('/')}/{rel}", os.path.join(folder, rel))

    def keys(self, uri):
        """Keys (relative to the bucket) of the objects whose key starts with ``uri``'s key, as S3 lists a
        prefix (``data/wnut`` also matches ``data/wnut17/...``)."""
        bucket, prefix = split_s3(uri)
        base = os.path.join(self.root, bucket)
        return sorted(k for k in _files(base) if k.startswith(prefix))

    def download_prefix(self, uri, dest):
        """Copy the objects under ``uri`` into ``dest`` as SageMaker fills a channel (S3Prefix): each key
        without the prefix, the leading ``/`` dropped; an object whose key is the prefix itself (the code
        channel's ``.../sourcedir.tar.gz``) under its base name. Returns the files' relative paths."""
        bucket, prefix = split_s3(uri)
        os.makedirs(dest, exist_ok=True)
        copied = []
        for key in self.keys(uri):
            rel = key[len(prefix):].lstrip("/") or key.rsplit("/", 1)[-1]
            target = os.path.join(dest, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(os.path.join(self.root, bucket, *key.split("/")), target)
            copied.append(rel)
        return copied

    def mirror_up(self, folder, uri):
        """Make prefix ``uri`` hold exactly ``folder``'s files: new and changed files uploaded, files deleted
        locally deleted from the prefix ("If a checkpoint is deleted in the SageMaker container, it will also
        be deleted in the S3 folder", the SageMaker checkpoint docs). Returns (uploaded, deleted) counts."""
        prefix_dir = self.path(uri.rstrip("/") + "/")
        local = set(_files(folder)) if os.path.isdir(folder) else set()
        remote = set(_files(prefix_dir)) if os.path.isdir(prefix_dir) else set()
        uploaded = deleted = 0
        for rel in sorted(local):
            source, target = os.path.join(folder, rel), os.path.join(prefix_dir, rel)
            try:
                if rel in remote and filecmp.cmp(source, target, shallow=False):
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(source, target)
                uploaded += 1
            except FileNotFoundError:  # written and deleted again while the job runs (a temporary file)
                continue
        for rel in sorted(remote - local):
            os.remove(os.path.join(prefix_dir, rel))
            deleted += 1
        return uploaded, deleted

    def snapshot(self, dest):
        """A copy of the whole store under ``dest``: what S3 held at this moment, for tests that go on
        from one state in different ways."""
        shutil.copytree(self.root, str(dest))
        return LocalS3(dest)


def _files(folder):
    """Relative paths (``/``-separated) of the files under ``folder``."""
    out = []
    for dirpath, _, names in os.walk(folder):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), folder)
            out.append(rel.replace(os.sep, "/"))
    return sorted(out)


# -------------------------------------------------------------------------------------------------- capture


@dataclasses.dataclass
class Captured:
    """What a :func:`capture_session` session sent: ``calls`` is [(service, operation, API params)] in order
    (S3 bodies left out), ``refused`` the calls that were refused."""
    session: object
    boto_session: object
    s3: LocalS3
    calls: List[tuple] = dataclasses.field(default_factory=list)
    refused: List[str] = dataclasses.field(default_factory=list)

    def requests(self, operation):
        return [params for _, op, params in self.calls if op == operation]

    def training_job(self):
        """The one ``CreateTrainingJob`` request sent (refuses none or several)."""
        found = self.requests("CreateTrainingJob")
        if len(found) != 1:
            raise AssertionError(f"expected one CreateTrainingJob, got {len(found)}: {self.operations()}")
        return found[0]

    def tuning_job(self):
        found = self.requests("CreateHyperParameterTuningJob")
        if len(found) != 1:
            raise AssertionError(f"expected one CreateHyperParameterTuningJob, got {len(found)}: "
                                 f"{self.operations()}")
        return found[0]

    def operations(self):
        return [f"{service}.{op}" for service, op, _ in self.calls]


def capture_session(s3, region=REGION, known_jobs=()):
    """A real SDK ``Session`` whose boto clients answer locally (see the module docstring); returns a
    :class:`Captured` whose ``session`` goes to ``launch.make_estimator``/``make_tuner``. ``known_jobs``:
    played :class:`Job` objects (or bare requests) that ``DescribeTrainingJob`` answers for, with the
    request's fields and the job's status, as a launcher continuing an old job asks for them."""
    import boto3
    from botocore.awsrequest import AWSResponse
    from sagemaker.session import Session

    fake = "testing"  # no credentials of anyone's: nothing is ever signed for real
    boto_session = boto3.Session(aws_access_key_id=fake, aws_secret_access_key=fake, aws_session_token=fake,
                                 region_name=region)
    captured = Captured(session=None, boto_session=boto_session, s3=s3)
    uploads = {}
    described = {}
    for known in known_jobs:
        request = known.request if isinstance(known, Job) else known
        status = getattr(known, "status", None) or "Completed"
        described[request["TrainingJobName"]] = dict(
            copy.deepcopy(request), TrainingJobArn=job_arn(request["TrainingJobName"], region),
            TrainingJobStatus=status, SecondaryStatus=status)

    def keep_params(params, context, **_):
        # The same ``context`` dict reaches before-call: the API parameters as the SDK passed them (the
        # serialized request there is HTTP-shaped, with S3 bodies possibly aws-chunked).
        context["platform_harness_params"] = params

    def answer(model, context, **_):
        service, operation = model.service_model.service_name, model.name
        params = context.get("platform_harness_params", {})
        body = params.get("Body")
        captured.calls.append((service, operation, copy.deepcopy({k: v for k, v in params.items()
                                                                   if k != "Body"})))
        ok = AWSResponse(None, 200, {}, None)
        if service == "sagemaker" and operation == "CreateTrainingJob":
            return ok, {"TrainingJobArn": job_arn(params["TrainingJobName"], region)}
        if service == "sagemaker" and operation == "DescribeTrainingJob" and \
                params.get("TrainingJobName") in described:
            return ok, described[params["TrainingJobName"]]
        if service == "sagemaker" and operation == "CreateHyperParameterTuningJob":
            name = params["HyperParameterTuningJobName"]
            return ok, {"HyperParameterTuningJobArn":
                        f"arn:aws:sagemaker:{region}:{ACCOUNT}:hyper-parameter-tuning-job/{name.lower()}"}
        if service == "s3":
            uri = f"s3://{params.get('Bucket')}/{params.get('Key')}"
            if operation == "PutObject":
                s3.put_bytes(uri, _read_body(body))
                return ok, {"ETag": '"harness"'}
            if operation == "CreateMultipartUpload":
                upload_id = uuid.uuid4().hex
                uploads[upload_id] = {}
                return ok, {"Bucket": params["Bucket"], "Key": params["Key"], "UploadId": upload_id}
            if operation == "UploadPart":
                uploads[params["UploadId"]][params["PartNumber"]] = _read_body(body)
                return ok, {"ETag": f'"part-{params["PartNumber"]}"'}
            if operation == "CompleteMultipartUpload":
                parts = uploads.pop(params["UploadId"])
                s3.put_bytes(uri, b"".join(parts[n] for n in sorted(parts)))
                return ok, {"Bucket": params["Bucket"], "Key": params["Key"], "ETag": '"harness"'}
            if operation == "AbortMultipartUpload":
                uploads.pop(params["UploadId"], None)
                return ok, {}
        captured.calls.pop()
        captured.refused.append(f"{service}.{operation}")
        raise AwsCallRefused(f"the platform harness does not answer {service}.{operation}")

    def refuse(request, **_):
        captured.refused.append(f"{request.method} {request.url}")
        raise AwsCallRefused(f"the platform harness never talks to AWS, but {request.method} {request.url} "
                             f"was about to be sent")

    # On the boto3 session before any client exists: every client made from it copies these handlers.
    boto_session.events.register("before-parameter-build", keep_params)
    boto_session.events.register("before-call", answer)
    boto_session.events.register("before-send", refuse)
    captured.session = Session(boto_session=boto_session, sagemaker_config=SDK_CONFIG)
    return captured


def _read_body(body):
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "seek"):
        body.seek(0)  # botocore may have read it already for a checksum
    return body.read()


def job_arn(name, region=REGION):
    return f"arn:aws:sagemaker:{region}:{ACCOUNT}:training-job/{name.lower()}"


def trial_request(tuning_request, trial=1, values=None, suffix=None):
    """The ``CreateTrainingJob``-shaped request of trial number ``trial`` of a captured
    ``CreateHyperParameterTuningJob``, as SageMaker would start it (by reading its API reference and the
    SDK's ``HyperparameterTuner.attach``, which deletes what the service adds):

    - name ``<tuning job name>-<trial, 3 digits>-<8 hex>`` (the form SageMaker gives trials);
    - hyperparameters: the definition's ``StaticHyperParameters``, one value for each range (``values``
      {name: string} or, by default, each range's minimum / first value; categorical values as the SDK
      encoded them, JSON strings for framework images), and ``_tuning_objective_metric`` (the objective's
      metric name, which SageMaker adds to every trial);
    - ``ResourceConfig`` from the definition's ``HyperParameterTuningResourceConfig`` (what the SDK sends)
      or ``ResourceConfig``;
    - everything else copied from the ``TrainingJobDefinition``: image, input mode, metric definitions,
      channels, output, stopping condition, role, network isolation, spot, ``CheckpointConfig``
      (unchanged: every trial gets the definition's prefix). A definition has no TensorBoard or debugger
      configuration, so a trial has none.
    """
    definition = tuning_request.get("TrainingJobDefinition")
    if definition is None:
        raise PlatformError("the tuning request has no single TrainingJobDefinition (TrainingJobDefinitions "
                            "with several estimators are not played)")
    ranges = definition.get("HyperParameterRanges") or \
        tuning_request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    chosen = {}
    for kind in ("Continuous", "Integer"):
        for spec in ranges.get(f"{kind}ParameterRanges", []):
            chosen[spec["Name"]] = str(spec["MinValue"])
    for spec in ranges.get("CategoricalParameterRanges", []):
        chosen[spec["Name"]] = spec["Values"][0]
    for name, value in (values or {}).items():
        if name not in chosen:
            raise PlatformError(f"trial value for {name!r}: not a tuned hyperparameter ({sorted(chosen)})")
        chosen[name] = str(value)
    tuning_name = tuning_request["HyperParameterTuningJobName"]
    name = f"{tuning_name}-{trial:03d}-{suffix or uuid.uuid4().hex[:8]}"
    objective = tuning_request["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]
    hyperparameters = dict(definition.get("StaticHyperParameters", {}), **chosen,
                           _tuning_objective_metric=objective["MetricName"])
    algorithm = definition["AlgorithmSpecification"]
    request = {"TrainingJobName": name, "HyperParameters": hyperparameters,
               "AlgorithmSpecification": {k: algorithm[k] for k in ("TrainingImage", "TrainingInputMode",
                                                                     "MetricDefinitions") if k in algorithm}}
    resources = definition.get("ResourceConfig") or definition.get("HyperParameterTuningResourceConfig")
    if resources and resources.get("InstanceConfigs"):
        resources = resources["InstanceConfigs"][0]  # several instance types: SageMaker picks one a trial
    request["ResourceConfig"] = {k: resources[k] for k in ("InstanceCount", "InstanceType", "VolumeSizeInGB")
                                 if k in resources}
    for key in ("RoleArn", "InputDataConfig", "OutputDataConfig", "StoppingCondition",
                "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining",
                "CheckpointConfig", "Environment", "VpcConfig", "RetryStrategy"):
        if key in definition:
            request[key] = copy.deepcopy(definition[key])
    return request


# ----------------------------------------------------------------------------------------------------- play


@dataclasses.dataclass
class Job:
    """One played training job attempt (a spot restart is a new ``Job`` for the same request)."""
    request: dict
    s3: LocalS3
    root: str                       # the host folder mounted as /opt/ml
    container: str
    checkpoint_local: Optional[str]  # host folder mounted at CheckpointConfig.LocalPath, None without one
    follower: "LogFollower"
    sync_secs: Optional[float] = None
    exit_code: Optional[int] = None
    status: Optional[str] = None    # Completed, Failed or Stopped
    failure_reason: Optional[str] = None
    model_artifact: Optional[str] = None  # the local file standing for <S3OutputPath>/<name>/output/model.tar.gz
    container_changes: List[str] = dataclasses.field(default_factory=list)  # `docker diff` of the container
    stopped_at: Optional[float] = None   # time.time() of the stop or kill
    stop_delay: Optional[float] = None   # the random delay stop_at_random drew
    ended_at: Optional[float] = None     # when the container ended (the engine's State.FinishedAt, epoch s)
    _last_sync: float = 0.0

    @property
    def name(self):
        return self.request["TrainingJobName"]

    @property
    def log(self):
        return self.follower.text()

    def lines(self):
        """[(docker timestamp as epoch seconds, line)] of the container's output so far."""
        return self.follower.lines()


class LogFollower:
    """``docker logs -f -t`` of a container in a thread: lines with the engine's timestamps as they come."""

    def __init__(self, container):
        self._lines = []
        self._lock = threading.Lock()
        self._process = subprocess.Popen(["docker", "logs", "-f", "-t", container], stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, errors="replace")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for raw in self._process.stdout:
            stamp, _, line = raw.rstrip("\n").partition(" ")
            with self._lock:
                self._lines.append((_epoch(stamp), line))

    def lines(self):
        with self._lock:
            return list(self._lines)

    def text(self):
        return "\n".join(line for _, line in self.lines())

    def close(self, timeout=30):
        """Wait for the stream to end (the container has exited), at most ``timeout`` seconds."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._process.kill()
            self._thread.join(5)


def _epoch(stamp):
    """RFC 3339 with nanoseconds (docker logs -t) -> epoch seconds; NaN when it is not one."""
    import datetime

    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", stamp)
    if not match:
        return float("nan")
    whole = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    return whole + float(match.group(2) or 0)


def checkpoint_config(request):
    """(LocalPath, S3Uri) of the request's CheckpointConfig, or None."""
    config = request.get("CheckpointConfig")
    if not config:
        return None
    return config.get("LocalPath") or DEFAULT_CHECKPOINT_PATH, config["S3Uri"]


def _host_path(root, container_path):
    """The host folder for a container path under /opt/ml, else None (it needs its own mount)."""
    rel = os.path.relpath(container_path, CONTAINER_ML)
    return None if rel.startswith("..") else os.path.join(root, rel)


def lay_out(request, s3, root):
    """Fill ``root`` (a new folder) as SageMaker fills /opt/ml before the container starts; returns the
    host folder for the checkpoint LocalPath (None without a CheckpointConfig) and the extra mounts
    [(host, container path)] for a LocalPath outside /opt/ml."""
    root = str(root)
    if os.path.exists(root) and os.listdir(root):
        raise PlatformError(f"{root}: a played job needs a fresh /opt/ml folder")
    config = os.path.join(root, "input", "config")
    for folder in (config, os.path.join(root, "input", "data"), os.path.join(root, "model"),
                   os.path.join(root, "output", "data"), os.path.join(root, "code")):
        os.makedirs(folder, exist_ok=True)
    os.chmod(root, 0o755)  # noqa: S103 (a container user other than root must read the mounted /opt/ml)
    _write_json(os.path.join(config, "hyperparameters.json"), request.get("HyperParameters", {}))
    resources = request["ResourceConfig"]
    if resources.get("InstanceCount", 1) != 1:
        raise PlatformError(f"ResourceConfig.InstanceCount={resources['InstanceCount']}: only one host is "
                            f"played")
    _write_json(os.path.join(config, "resourceconfig.json"),
                {"current_host": HOST, "current_instance_type": resources["InstanceType"],
                 "current_group_name": "homogeneousCluster", "hosts": [HOST],
                 "instance_groups": [{"instance_group_name": "homogeneousCluster",
                                      "instance_type": resources["InstanceType"], "hosts": [HOST]}],
                 "network_interface_name": "eth0"})
    default_mode = request["AlgorithmSpecification"].get("TrainingInputMode", "File")
    data_config = {}
    for channel in request.get("InputDataConfig", []):
        name = channel["ChannelName"]
        source = channel["DataSource"].get("S3DataSource")
        if source is None:
            raise PlatformError(f"InputDataConfig channel {name!r}: only S3DataSource channels are played")
        if source.get("S3DataType", "S3Prefix") != "S3Prefix":
            raise PlatformError(f"channel {name!r}: S3DataType={source['S3DataType']!r}: only S3Prefix is played")
        mode = channel.get("InputMode") or default_mode
        if mode != "File":
            raise PlatformError(f"channel {name!r}: InputMode={mode!r}: only File mode is played")
        entry = {"TrainingInputMode": mode,
                 "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
                 "RecordWrapperType": channel.get("RecordWrapperType", "None")}
        if channel.get("ContentType"):
            entry["ContentType"] = channel["ContentType"]
        data_config[name] = entry
        files = s3.download_prefix(source["S3Uri"], os.path.join(root, "input", "data", name))
        if not files:
            raise PlatformError(f"channel {name!r}: no objects under {source['S3Uri']} in the local S3 "
                                f"({s3.root})")
    _write_json(os.path.join(config, "inputdataconfig.json"), data_config)

    mounts, checkpoint_local = [], None
    checkpoints = checkpoint_config(request)
    if checkpoints:
        local_path, uri = checkpoints
        _write_json(os.path.join(config, "checkpointconfig.json"), {"LocalPath": local_path, "S3Uri": uri})
        checkpoint_local = _host_path(root, local_path)
        if checkpoint_local is None:
            checkpoint_local = os.path.join(os.path.dirname(root), os.path.basename(root) + "-checkpoints")
            mounts.append((checkpoint_local, local_path))
        os.makedirs(checkpoint_local, exist_ok=True)
        s3.download_prefix(uri.rstrip("/") + "/", checkpoint_local)  # the restore: existing checkpoints
    tensorboard = request.get("TensorBoardOutputConfig")
    if tensorboard:
        _write_json(os.path.join(config, "tensorboardoutputconfig.json"),
                    {"LocalPath": tensorboard.get("LocalPath") or DEFAULT_TENSORBOARD_PATH,
                     "S3OutputPath": tensorboard["S3OutputPath"]})
    if request.get("DebugHookConfig"):
        _write_json(os.path.join(config, "debughookconfig.json"), request["DebugHookConfig"])
    return checkpoint_local, mounts


def environment(request, region=REGION):
    """The variables SageMaker sets in the training container (those this harness knows of)."""
    return dict(request.get("Environment") or {}, TRAINING_JOB_NAME=request["TrainingJobName"],
                TRAINING_JOB_ARN=job_arn(request["TrainingJobName"], region))


def start(request, s3, root, containers, sync_secs=None):
    """Lay out ``root`` and start the container (detached); returns the :class:`Job`. ``sync_secs``: also
    mirror the checkpoint folder to its prefix that often while :func:`wait` waits."""
    submit = request.get("HyperParameters", {}).get("sagemaker_submit_directory", "")
    if not request.get("EnableNetworkIsolation") and "s3://" in submit:
        raise PlatformError(f"sagemaker_submit_directory={submit}: without network isolation the toolkit "
                            f"downloads the code from S3 with boto3, and no S3 endpoint is served here; only "
                            f"network-isolated script-mode jobs are played exactly")
    checkpoint_local, mounts = lay_out(request, s3, root)
    name = containers.name("job")
    args = ["run", "-d", "--name", name, "--label", f"{lane.TEST_LABEL}=1", "--hostname", HOST,
            # The toolkit waits, forever, until every host in resourceconfig.json resolves
            # (sagemaker_training.entry_point._wait_hostname_resolution); SageMaker's hosts resolve even
            # under network isolation, and --network none gives no entry for the container's own name.
            "--network", "none", "--add-host", f"{HOST}:127.0.0.1", "-v", f"{root}:{CONTAINER_ML}"]
    for host, path in mounts:
        args += ["-v", f"{host}:{path}"]
    for key, value in environment(request).items():
        args += ["-e", f"{key}={value}"]
    lane.docker(*args, request["AlgorithmSpecification"]["TrainingImage"], "train", timeout=120)
    return Job(request=request, s3=s3, root=str(root), container=name, checkpoint_local=checkpoint_local,
               follower=LogFollower(name), sync_secs=sync_secs, _last_sync=time.monotonic())


def sync_checkpoints(job):
    """Mirror the job's checkpoint folder to its prefix now (no-op without a CheckpointConfig)."""
    checkpoints = checkpoint_config(job.request)
    if checkpoints and job.checkpoint_local:
        job.s3.mirror_up(job.checkpoint_local, checkpoints[1])
    job._last_sync = time.monotonic()


def wait(job, timeout=600, until=None, poll=1.0):
    """Wait until the container exits, or ``until(job)`` is true (returns True then), syncing checkpoints
    every ``job.sync_secs``. Returns False when the container exited; raises TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if until is not None and until(job):
            return True
        if not lane.running(job.container):
            return False
        if job.sync_secs and time.monotonic() - job._last_sync >= job.sync_secs:
            sync_checkpoints(job)
        time.sleep(poll)
    raise TimeoutError(f"job {job.name} ({job.container}) still running after {timeout} s:\n{job.log[-3000:]}")


def stop(job, grace=120):
    """``StopTrainingJob`` (and a spot interruption): SIGTERM, then SIGKILL after ``grace`` seconds."""
    job.stopped_at = time.time()
    lane.docker("stop", "-t", str(int(grace)), job.container, timeout=grace + 60)
    job.status = "Stopped"


def kill(job):
    """The instance going away: SIGKILL, no warning."""
    job.stopped_at = time.time()
    lane.docker("kill", "-s", "KILL", job.container, timeout=60)
    job.status = "Stopped"


def finish(job, timeout=600):
    """After the container ended (waited for here): the last checkpoint sync, the container's changes,
    the status, ``model.tar.gz`` / ``output.tar.gz`` into the output path (Completed or Stopped), the
    failure reason (Failed). Returns the job."""
    lane.docker("wait", job.container, timeout=timeout)
    job.follower.close()
    job.exit_code = lane.exit_code(job.container)
    # The engine's clock, like the log lines' timestamps: a kill lands a moment after `docker kill` returns.
    job.ended_at = _epoch(lane.docker("inspect", "-f", "{{.State.FinishedAt}}", job.container,
                                      timeout=30).stdout.strip())
    job.container_changes = lane.docker("diff", job.container, check=False, timeout=60).stdout.splitlines()
    sync_checkpoints(job)
    tensorboard = job.request.get("TensorBoardOutputConfig")
    if tensorboard:
        local = _host_path(job.root, tensorboard.get("LocalPath") or DEFAULT_TENSORBOARD_PATH)
        if local and os.path.isdir(local):
            job.s3.put_folder(local, f"{tensorboard['S3OutputPath'].rstrip('/')}/{job.name}")
    if job.status != "Stopped":
        job.status = "Completed" if job.exit_code == 0 else "Failed"
    if job.status == "Failed":
        try:
            with open(os.path.join(job.root, "output", "failure"), encoding="utf-8", errors="replace") as fh:
                job.failure_reason = fh.read()[:FAILURE_REASON_MAX]
        except FileNotFoundError:
            job.failure_reason = f"AlgorithmError: the container exited {job.exit_code} (no output/failure)"
    else:
        output = f"{job.request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{job.name}/output"
        job.model_artifact = _tar_into(job.s3, os.path.join(job.root, "model"), f"{output}/model.tar.gz")
        data = os.path.join(job.root, "output", "data")
        if os.path.isdir(data) and os.listdir(data):
            _tar_into(job.s3, data, f"{output}/output.tar.gz")
    return job


def _tar_into(s3, folder, uri):
    path = s3.path(uri)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name in sorted(os.listdir(folder)):
            tar.add(os.path.join(folder, name), arcname=name)
    return path


def play(request, s3, root, containers, timeout=600, sync_secs=None):
    """:func:`start`, :func:`wait` for the end, :func:`finish`: one whole job; returns the :class:`Job`."""
    job = start(request, s3, root, containers, sync_secs=sync_secs)
    wait(job, timeout=timeout)
    return finish(job)


def stop_at_random(job, after_step, within_s, grace=None, rng=random):
    """Wait until the job logged a progress line at or beyond ``after_step``, then a random 0..``within_s``
    seconds more, then stop it (``grace`` seconds of SIGTERM; None: SIGKILL at once). Returns the job."""
    def reached(j):
        return latest_step(j.log) >= after_step

    if not wait(job, timeout=600, until=reached):
        raise AssertionError(f"job {job.name} ended before step {after_step}:\n{job.log[-4000:]}")
    delay = job.stop_delay = rng.uniform(0, within_s)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if job.sync_secs and time.monotonic() - job._last_sync >= job.sync_secs:
            sync_checkpoints(job)
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
    if grace is None:
        kill(job)
    else:
        stop(job, grace)
    return job


# --------------------------------------------------------------------------------------- reading a job back

PROGRESS = re.compile(r"train: step=(\d+)/(\d+)")
RESUMING = re.compile(r"train: resuming from (\S+) \(global step (\d+)\)")


def latest_step(text):
    steps = [int(m.group(1)) for m in PROGRESS.finditer(text)]
    return max(steps) if steps else -1


def progress(job):
    """[(docker timestamp, step)] of the job's progress lines."""
    out = []
    for stamp, line in job.lines():
        match = PROGRESS.search(line)
        if match:
            out.append((stamp, int(match.group(1))))
    return out


def synced_checkpoint_steps(s3, uri):
    """Global steps of the complete checkpoints (``.index`` and a ``.data-*`` shard) under prefix ``uri``
    of the local S3, newest last."""
    folder = s3.path(uri.rstrip("/") + "/")
    files = _files(folder) if os.path.isdir(folder) else []
    steps = set()
    for rel in files:
        match = re.search(r"(?:^|/)model\.ckpt-(\d+)\.index$", rel)
        if match and any(f.startswith(rel[:-len("index")] + "data-") for f in files):
            steps.add(int(match.group(1)))
    return sorted(steps)


def model_versions(path):
    """Numeric SavedModel versions in a model.tar.gz (each checked to hold saved_model.pb), and all names."""
    with tarfile.open(path) as archive:
        names = archive.getnames()
    versions = sorted({n.split("/")[0] for n in names if n.split("/")[0].isdigit()})
    for version in versions:
        if f"{version}/saved_model.pb" not in names:
            raise AssertionError(f"{path}: {version}/ has no saved_model.pb: {names}")
    return versions, names


def paths_named(root, name):
    """Files and folders under ``root`` with a path component called ``name``."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for entry in dirnames + filenames:
            if entry == name:
                found.append(os.path.join(dirpath, entry))
    return found


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(value, fh)


def describe(job):
    """A short account of a played job for assertion messages."""
    return (f"job {job.name}: status {job.status}, exit {job.exit_code}, failure {job.failure_reason!r}\n"
            f"----- log (last 5000 characters)\n{job.log[-5000:]}")


__all__ = ["AwsCallRefused", "Captured", "Job", "LocalS3", "LogFollower", "PlatformError", "capture_session",
           "checkpoint_config", "describe", "environment", "finish", "job_arn", "kill", "lay_out",
           "latest_step", "model_versions", "paths_named", "play", "progress", "split_s3", "start",
           "stop", "stop_at_random", "sync_checkpoints", "synced_checkpoint_steps", "trial_request",
           "wait"]
