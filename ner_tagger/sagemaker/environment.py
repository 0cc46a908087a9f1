"""The SageMaker training ``/opt/ml`` contract, read in one place by every door: the layout
(:class:`MLPaths`), what SageMaker tells a job through the toolkit's ``SM_*`` variables or ``input/config``
(:class:`JobEnvironment`) and where checkpoints go.

Script mode (the managed container's toolkit exports ``SM_*``) and the bring-your-own container (which reads
``input/config`` itself) see the same tree, so both take its paths from here.

Training (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html)::

    /opt/ml/input/config/hyperparameters.json   every value a string
    /opt/ml/input/config/resourceconfig.json    current_host, hosts, network_interface_name
    /opt/ml/input/config/inputdataconfig.json   one entry per channel (TrainingInputMode, ...)
    /opt/ml/input/data/<channel>/               the channel's files (File and FastFile modes)
    /opt/ml/model/                              uploaded as model.tar.gz on success
    /opt/ml/checkpoints/                        synced to S3 when checkpoint_s3_uri is set
    /opt/ml/input/config/checkpointconfig.json  {"LocalPath": ..., "S3Uri": ...} then (LocalPath: the folder)
    /opt/ml/output/failure                      the reason a job failed, shown as FailureReason
    /opt/ml/output/data/                        uploaded as output.tar.gz
    /opt/ml/output/tensorboard/                 synced to S3 during the job when TensorBoardOutputConfig is set
    /opt/ml/input/config/tensorboardoutputconfig.json   {"LocalPath": ..., "S3OutputPath": ...} then

Hosting (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html) extracts
model.tar.gz into ``/opt/ml/model``.

The root is ``$NER_TAGGER_ML_ROOT``, else ``$SAGEMAKER_BASE_DIR`` (the name SageMaker's own toolkits honour),
else ``/opt/ml``.

- ``output/failure``: the first 1024 characters become the job's ``FailureReason``. The toolkit writes its
  own only when the file does not exist yet, so ours (written first) wins.
- Checkpoints: where they go is one rule for every door, :func:`job_checkpoint_dir` (its docstring has it).
- Script mode's toolkit exports ``SM_MODEL_DIR`` (``model/``), ``SM_OUTPUT_DATA_DIR`` (``output/data/``),
  ``SM_CHANNEL_<NAME>`` (``input/data/<name>/``), ``SM_HPS``, ``SM_HOSTS`` and ``TF_CONFIG``.

Hosts and channels for the bring-your-own container, read from ``input/config`` (script mode gets them from
the toolkit's ``SM_*`` variables):

``resourceconfig.json`` (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html#your-algorithms-training-algo-running-container-dist-training)::

    {"current_host": "algo-1", "hosts": ["algo-1", "algo-2"], "network_interface_name": "eth0"}

``inputdataconfig.json``: one object per channel, e.g. ``{"training": {"TrainingInputMode": "File",
"S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}}``; the data is in
``/opt/ml/input/data/<channel>/``.

Channels, by the table every door reads (:mod:`ner_tagger.sagemaker.channels`): ``training`` (or ``train``) holds the
train file and usually the dev file; an optional ``eval``/``validation``/``dev`` channel holds the dev file
instead; an optional ``embeddings`` channel holds one pretrained vectors file. Two channels for one role are
refused, naming both; the SDK's own channels (``code``, ``sm_drivers``) are ignored.
"""
import dataclasses
import json
import logging
import os
import re
import tempfile
from typing import Dict, List, Mapping, Optional, Tuple

from ner_tagger.errors import DataError, HParamsError, NerTaggerError
from ner_tagger.job import cluster, failure
from ner_tagger.sagemaker import channels, hyperparameters
from ner_tagger.serving import core

DEFAULT_ROOT = "/opt/ml"
ROOT_VARIABLES = ("NER_TAGGER_ML_ROOT", "SAGEMAKER_BASE_DIR")
JOB_NAME_ENV = "TRAINING_JOB_NAME"
# The CheckpointConfig's folder key (CreateTrainingJob's CheckpointConfig.LocalPath, which smdebug's state
# store reads from the same file); its default is /opt/ml/checkpoints.
CHECKPOINT_LOCAL_PATH = "LocalPath"
# Added to a tuning job's hyperparameters.json by SageMaker; the toolkit keeps it out of SM_HPS and argv.
TUNING_KEY = "_tuning_objective_metric"
RESUME_KEY = "resume_from"
log = logging.getLogger("ner_tagger")


@dataclasses.dataclass(frozen=True)
class MLPaths:
    root: str = DEFAULT_ROOT

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "MLPaths":
        environ = os.environ if environ is None else environ
        for name in ROOT_VARIABLES:
            if environ.get(name):
                return cls(os.path.abspath(environ[name]))
        return cls()

    def _join(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    @property
    def hyperparameters(self) -> str:
        return self._join("input", "config", "hyperparameters.json")

    @property
    def resource_config(self) -> str:
        return self._join("input", "config", "resourceconfig.json")

    @property
    def input_data_config(self) -> str:
        return self._join("input", "config", "inputdataconfig.json")

    @property
    def data_dir(self) -> str:
        return self._join("input", "data")

    def channel(self, name: str) -> str:
        return self._join("input", "data", name)

    @property
    def model_dir(self) -> str:
        return self._join("model")

    @property
    def checkpoints(self) -> str:
        return self._join("checkpoints")

    @property
    def checkpoint_config(self) -> str:
        return self._join("input", "config", "checkpointconfig.json")

    @property
    def output_data(self) -> str:
        return self._join("output", "data")

    @property
    def failure(self) -> str:
        return self._join("output", "failure")

    @property
    def tensorboard_config(self) -> str:
        return self._join("input", "config", "tensorboardoutputconfig.json")

    @property
    def tensorboard(self) -> str:
        """Where TensorBoard summaries go in a job: the ``LocalPath`` of the job's TensorBoardOutputConfig
        (the SDK's ``container_local_output_path``; SageMaker uploads that folder to ``s3_output_path``
        while the job runs), else the SDK's default ``output/tensorboard``. A folder outside ``output/data``,
        so the summaries never land in ``output.tar.gz`` when no TensorBoard output is configured."""
        try:
            with open(self.tensorboard_config, encoding="utf-8") as fh:
                config = json.load(fh)
        except FileNotFoundError:
            return self._join("output", "tensorboard")
        except (OSError, ValueError) as err:
            raise DataError(f"cannot read the TensorBoard output config: {err}", self.tensorboard_config) from None
        local = config.get("LocalPath") if isinstance(config, dict) else None
        if not isinstance(local, str) or not local:
            raise DataError("no 'LocalPath' string in the TensorBoard output config", self.tensorboard_config)
        return local


def has_saved_model(model_dir: str) -> bool:
    """Whether ``model_dir`` holds a numeric version folder with ``saved_model.pb`` (or is one).

    A plain ``os`` check (:func:`ner_tagger.serving.core.newest_saved_model`, the rule the export's loaders
    follow), so ``serve`` can refuse to start gunicorn without importing TensorFlow.
    """
    return core.newest_saved_model(model_dir) is not None


@dataclasses.dataclass(frozen=True)
class JobEnvironment:
    """What SageMaker tells a training job besides its code, read once per job by every door.

    Script mode and ``python -m ner_tagger.train`` read it from the toolkit's ``SM_*`` variables
    (:meth:`from_toolkit`); the bring-your-own container from the files under ``input/config``
    (:meth:`from_opt_ml`). Either way a door then asks the same questions of it: which folder fills each
    channel role (:meth:`channel_roles`), where this job's checkpoints go (:meth:`checkpoint_dir`), whether
    this host is the chief (:attr:`is_chief`), and whether the job can run as launched (:meth:`refusal`).
    """
    paths: MLPaths
    model_dir: Optional[str]
    output_data_dir: Optional[str]
    channels: Dict[str, str]
    hosts: List[str]
    current_host: Optional[str]
    num_gpus: int
    hyperparameters: Dict[str, object]
    tf_config: Optional[dict]
    job_name: Optional[str] = None
    input_data_config: Dict[str, object] = dataclasses.field(default_factory=dict)  # SM_INPUT_DATA_CONFIG
    network_interface: str = "eth0"

    @classmethod
    def from_toolkit(cls, environ: Mapping[str, str] = os.environ) -> "JobEnvironment":
        """Script mode's view: the variables the training toolkit exports (absent ones: outside a job)."""
        names = {key[len(channels.ENV_PREFIX):].lower(): value for key, value in environ.items()
                 if key.startswith(channels.ENV_PREFIX)}
        return cls(paths=MLPaths.from_env(environ),
                   model_dir=environ.get("SM_MODEL_DIR"),
                   output_data_dir=environ.get("SM_OUTPUT_DATA_DIR"),
                   channels=names,
                   hosts=_json(environ.get("SM_HOSTS"), []),
                   current_host=environ.get("SM_CURRENT_HOST"),
                   num_gpus=int(environ.get("SM_NUM_GPUS") or 0),
                   hyperparameters=_json(environ.get("SM_HPS"), {}),
                   tf_config=_json(environ.get("TF_CONFIG"), None),
                   job_name=environ.get(JOB_NAME_ENV) or None,
                   input_data_config=_json(environ.get("SM_INPUT_DATA_CONFIG"), {}))

    @classmethod
    def from_opt_ml(cls, paths: MLPaths, environ: Mapping[str, str] = os.environ) -> "JobEnvironment":
        """The bring-your-own container's view: ``resourceconfig.json``, ``inputdataconfig.json`` and
        ``hyperparameters.json`` under ``paths``, each checked (a bad file raises naming it), and the channel
        folders under ``input/data``. Several hosts get the ``TF_CONFIG`` this container builds for them
        (:func:`ner_tagger.job.cluster.tf_config_for_hosts`)."""
        resource = read_resource_config(paths.resource_config)
        config = read_input_data_config(paths.input_data_config)
        names = find_channel_names(paths, config, resource.distributed)
        return cls(paths=paths, model_dir=paths.model_dir, output_data_dir=paths.output_data,
                   channels={name: paths.channel(name) for name in names},
                   hosts=list(resource.hosts), current_host=resource.current_host, num_gpus=0,
                   hyperparameters=hyperparameters.read_raw(paths.hyperparameters),
                   tf_config=(cluster.tf_config_for_hosts(resource.hosts, resource.current_host)
                              if resource.distributed else None),
                   job_name=environ.get(JOB_NAME_ENV) or None, input_data_config=config,
                   network_interface=resource.network_interface_name)

    @property
    def base_dir(self) -> str:
        return self.paths.root

    @property
    def resource(self) -> "ResourceConfig":
        """This job's hosts, as ``resourceconfig.json`` gives them (one host outside a job)."""
        if not self.hosts:
            return ResourceConfig()
        return ResourceConfig(self.current_host or self.hosts[0], tuple(sorted(self.hosts)), self.network_interface)

    @property
    def is_chief(self) -> bool:
        """Whether this process trains, evaluates and exports: the role its ``TF_CONFIG`` gives it
        (:mod:`ner_tagger.job.cluster` decides, for every door); without one, the only process is."""
        return cluster.role_from_tf_config(self.tf_config).is_chief if self.tf_config else True

    def channel_roles(self) -> Dict[str, str]:
        """role (``training``, ``eval``, ``embeddings``) -> folder, by the one channel table
        (:mod:`ner_tagger.sagemaker.channels`); two channels for one role raise, naming both."""
        return {role: self.channels[name] for role, name in channels.assign(self.channels).items()}

    def channel_default(self, role: str) -> Optional[str]:
        """The folder for ``role``, or None; the first accepted name wins when several are set (a flag's
        default must not fail ``--help``: :meth:`channel_roles` is the check that refuses)."""
        for name in channels.ROLES[role]:
            if self.channels.get(name):
                return self.channels[name]
        return None

    def refusal(self) -> Optional[str]:
        """Why this job cannot run as launched, or None: ``ShardedByS3Key`` channels on several hosts, or
        several hosts with no ``TF_CONFIG`` to train one model together (each would train its own)."""
        refused = refuse_sharded_channels(self.input_data_config, len(self.hosts))
        if refused:
            return refused
        if len(self.hosts) > 1 and not self.tf_config:
            return (f"{len(self.hosts)} hosts ({', '.join(self.hosts)}) but no TF_CONFIG: each host would train "
                    f"its own model independently. Launch with distribution "
                    f'{{"parameter_server": {{"enabled": True}}}} (the launcher config\'s "distribution": '
                    f'"parameter_server") or with instance_count 1')
        return None

    @property
    def in_training_job(self) -> bool:
        """True when the toolkit launched us (it always exports ``SM_MODEL_DIR`` and ``SM_HPS``)."""
        return self.model_dir is not None and bool(self.hyperparameters or self.channels)

    @property
    def failure_file(self) -> str:
        return self.paths.failure

    def checkpoint_dir(self, requested: Optional[str], resume_from: Optional[str] = None,
                       local_run_folder: Optional[str] = None) -> str:
        """Where the estimator keeps this job's checkpoints, for every door.

        A local ``requested`` path (``--model_dir``) wins. An ``s3://`` one (the SDK's ``--model_dir``) is not
        writable: TensorFlow 2.14 has no S3 filesystem. Otherwise :func:`job_checkpoint_dir`, with a fresh
        temporary folder where nothing syncs checkpoints: this process may run outside any job, where a
        fixed path would let an unrelated later run resume someone else's model (the bring-your-own
        container, whose tree is its own, passes ``local_run_folder``). ``resume_from``: the hyperparameter's
        value, else the one among the job's hyperparameters.
        """
        if resume_from is None:
            resume_from = self.hyperparameters.get(RESUME_KEY)
        resume_from = "" if resume_from is None else str(resume_from)
        if requested and "://" not in requested:
            if resume_from:
                raise HParamsError(f"hyperparameter {RESUME_KEY!r}={resume_from!r} continues a SageMaker job's "
                                   f"checkpoint folder, but --model_dir names a local one ({requested}): "
                                   f"leave one of them out")
            return requested
        return job_checkpoint_dir(self.paths, self.job_name, resume_from, local_run_folder=local_run_folder)

    def write_failure(self, message: str) -> None:
        """:func:`ner_tagger.job.failure.write_failure` into this tree (only when ``output/`` exists: outside a
        job there is no ``/opt/ml`` to create)."""
        failure.write_failure(self.failure_file, message)


def _safe_name(name: str) -> bool:
    """SageMaker job names are ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``; anything else is not used as a path."""
    return all(c.isascii() and (c.isalnum() or c == "-") for c in name) and name[0].isalnum()


def job_checkpoint_dir(paths: MLPaths, job_name: Optional[str], resume_from: str = "",
                       local_run_folder: Optional[str] = None) -> str:
    """The checkpoint folder of this job, for every door; created, and logged with the reason.

    The root is what SageMaker syncs with the job's ``checkpoint_s3_uri`` (during the job, and restored
    into a restarted one): the ``LocalPath`` of ``input/config/checkpointconfig.json`` (SageMaker writes
    the file for a job with a CheckpointConfig), else ``<root>/checkpoints`` if that folder exists (older
    platforms, and local runs that lay it out). In it each job keeps its own folder, named by
    ``resume_from`` (a stopped job's name, whose folder this job continues) or else by
    ``TRAINING_JOB_NAME``: SageMaker restores the whole ``checkpoint_s3_uri`` prefix into every job given
    it, and every trial of a tuning job shares one (the tuner's one ``TrainingJobDefinition``), so
    without that a second job would resume, or stop on the shape guard of, another job's model. A spot
    restart keeps its job name and finds its own folder. Without a job name (a local run) the root itself.

    With nothing synced: ``local_run_folder`` (created) as the root if given, else a fresh temporary folder.
    ``resume_from`` is refused in a tuning trial (every trial would continue the one folder) and where no
    folder of that job was restored.
    """
    if resume_from:
        _check_resume_from(paths, resume_from)
    root, why = _checkpoint_root(paths)
    if root is None:
        if resume_from:
            raise HParamsError(f"hyperparameter {RESUME_KEY!r}={resume_from!r}: this job has no checkpoint "
                               f"folder ({why}); give it job {resume_from}'s checkpoint_s3_uri")
        if not local_run_folder:
            path = tempfile.mkdtemp(prefix="ner_tagger-checkpoints-")
            log.info("checkpoints: %s, a temporary folder (%s: nothing syncs them, a restarted job starts "
                     "over)", path, why)
            return path
        os.makedirs(local_run_folder, exist_ok=True)
        root, why = local_run_folder, f"{why}: created, nothing syncs it"
    if resume_from:
        path = os.path.join(root, resume_from)
        if not os.path.isdir(path):
            raise HParamsError(f"hyperparameter {RESUME_KEY!r}={resume_from!r}: no folder {path} to continue "
                               f"({why}): the job's checkpoint_s3_uri must be the one job {resume_from} "
                               f"used, so that SageMaker restores its checkpoints there")
        log.info("checkpoints: %s (%s; continuing job %s, resume_from)", path, why, resume_from)
        return path
    if job_name and _safe_name(job_name):
        path = os.path.join(root, job_name)
        os.makedirs(path, exist_ok=True)
        log.info("checkpoints: %s (%s; this job's folder, %s=%s)", path, why, JOB_NAME_ENV, job_name)
        return path
    log.info("checkpoints: %s (%s; %s)", root, why,
             f"{JOB_NAME_ENV}={job_name!r} is not a job name" if job_name else f"no {JOB_NAME_ENV}: a local run")
    return root


def _checkpoint_root(paths: MLPaths) -> Tuple[Optional[str], str]:
    """(the synced checkpoint root or None, why), the root created and checked writable."""
    config = paths.checkpoint_config
    try:
        with open(config, encoding="utf-8") as fh:
            values = json.load(fh)
    except FileNotFoundError:
        if os.path.isdir(paths.checkpoints):
            return paths.checkpoints, f"no {os.path.basename(config)}; {paths.checkpoints} exists"
        return None, f"no {os.path.basename(config)} and no {paths.checkpoints}"
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read the checkpoint config: {err}", config) from None
    if not isinstance(values, dict):
        raise DataError("the checkpoint config is not a JSON object", config)
    # CheckpointConfig.LocalPath is optional in the API, defaulting to /opt/ml/checkpoints.
    local = values.get(CHECKPOINT_LOCAL_PATH, paths.checkpoints)
    if not isinstance(local, str) or not os.path.isabs(local):
        raise DataError(f"{CHECKPOINT_LOCAL_PATH!r}={local!r} is not an absolute path", config)
    if os.path.exists(local) and not os.path.isdir(local):
        raise DataError(f"{CHECKPOINT_LOCAL_PATH!r}={local!r} is not a folder", config)
    try:
        os.makedirs(local, exist_ok=True)
    except OSError as err:
        raise DataError(f"{CHECKPOINT_LOCAL_PATH!r}={local!r}: cannot create the checkpoint folder: "
                        f"{err.strerror}", config) from None
    if not os.access(local, os.W_OK | os.X_OK):
        raise DataError(f"{CHECKPOINT_LOCAL_PATH!r}={local!r}: the checkpoint folder is not writable", config)
    return local, f"{CHECKPOINT_LOCAL_PATH} of {config}"


def _check_resume_from(paths: MLPaths, resume_from: str) -> None:
    if not _safe_name(resume_from) or len(resume_from) > 63:
        raise HParamsError(f"hyperparameter {RESUME_KEY!r}={resume_from!r}: not a SageMaker training job name "
                           f"(letters, digits and hyphens, at most 63, starting with a letter or digit)")
    if tuning_trial(paths):
        raise HParamsError(f"hyperparameter {RESUME_KEY!r}={resume_from!r} cannot be used in a tuning job "
                           f"({paths.hyperparameters} has {TUNING_KEY}): every trial would continue job "
                           f"{resume_from}'s one checkpoint folder")


def tuning_trial(paths: MLPaths) -> bool:
    """Whether this job is a trial of a hyperparameter tuning job: SageMaker adds ``_tuning_objective_metric``
    to its ``hyperparameters.json`` (script mode cannot see it in ``SM_HPS``: the toolkit leaves it out)."""
    try:
        with open(paths.hyperparameters, encoding="utf-8") as fh:
            values = json.load(fh)
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read the hyperparameters: {err}", paths.hyperparameters) from None
    return isinstance(values, dict) and TUNING_KEY in values


def refuse_sharded_channels(input_data_config: Mapping[str, object], hosts: int) -> Optional[str]:
    """The reason a job of ``hosts`` hosts cannot take its channels, or None.

    ``ShardedByS3Key`` copies each host a different subset of a channel's S3 objects. Every host builds the
    vocabularies from the training files it has, so the hosts' models would give the same word different
    ids (and lack tags another host saw). FullyReplicated is needed: each task still reads only its own
    share of the sentences (tf.data's ``shard`` by task, :func:`ner_tagger.model.input_fns.train_input_fn`).
    """
    if hosts <= 1:
        return None
    for name, settings in input_data_config.items():
        if isinstance(settings, dict) and settings.get("S3DistributionType") == "ShardedByS3Key":
            return (f"channel {name!r}: ShardedByS3Key is not supported with several hosts: each host would "
                    f"build different vocabularies from its own files; use FullyReplicated (each training task "
                    f"then reads its own share of the sentences)")
    return None


def _json(raw: Optional[str], default):
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


TRAINING_CHANNELS = channels.ROLES["training"]
EVAL_CHANNELS = channels.ROLES["eval"]
EMBEDDINGS_CHANNELS = channels.ROLES["embeddings"]
# CreateTrainingJob's ChannelName pattern; anything else (``..``, ``a/b``) could lead out of input/data.
CHANNEL_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ConfigError(NerTaggerError):
    """A SageMaker config file (resourceconfig.json, inputdataconfig.json) we cannot use."""


@dataclasses.dataclass(frozen=True)
class ResourceConfig:
    current_host: str = "algo-1"
    hosts: Tuple[str, ...] = ("algo-1",)
    network_interface_name: str = "eth0"

    @property
    def distributed(self) -> bool:
        return len(self.hosts) > 1



def _read_json(path: str) -> Optional[dict]:
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh)
    except (json.JSONDecodeError, OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {err}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return value


def read_resource_config(path: str) -> ResourceConfig:
    """The hosts of this job; a missing file (local runs) means one host."""
    value = _read_json(path)
    if value is None:
        return ResourceConfig()
    hosts = value.get("hosts") or []
    current = value.get("current_host")
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) for h in hosts):
        raise ConfigError(f"{path}: 'hosts' must be a non-empty list of host names")
    if current not in hosts:
        raise ConfigError(f"{path}: current_host {current!r} is not one of hosts {hosts}")
    return ResourceConfig(current, tuple(sorted(hosts)), value.get("network_interface_name", "eth0"))


def read_input_data_config(path: str) -> Dict[str, dict]:
    """Channel name -> its settings; a missing file (local runs) means "whatever folders exist"."""
    return _read_json(path) or {}


def find_channel_names(paths: MLPaths, config: Dict[str, dict], distributed: bool) -> List[str]:
    """The channels this job reads, checked against ``inputdataconfig.json`` when there is one: the declared
    ones (an undeclared folder is not the job's), else whatever folders exist (a run outside SageMaker).
    A training channel is required; two channels for one role raise, naming both."""
    declared: List[str] = list(config)
    for name, settings in config.items():
        check_channel_name(name)
        if not isinstance(settings, dict):
            raise ConfigError(f"inputdataconfig.json: channel {name!r} must map to an object of settings")
        mode = settings.get("TrainingInputMode", "File")
        if mode == "Pipe":
            raise ConfigError(f"channel {name!r}: Pipe input mode is not supported; use File or FastFile")
        refused = refuse_sharded_channels({name: settings}, 2 if distributed else 1)
        if refused:
            raise ConfigError(refused)
        if not os.path.isdir(paths.channel(name)):
            raise DataError(f"channel {name!r} is declared in inputdataconfig.json but its folder is missing",
                            paths.channel(name))
    names = [n for n in (declared or _present(paths)) if os.path.isdir(paths.channel(n))]
    if "training" not in channels.assign(names):
        raise DataError(f"no training channel: expected a folder named {' or '.join(TRAINING_CHANNELS)} "
                        f"(channels present: {', '.join(_present(paths)) or 'none'})", paths.data_dir)
    return [n for n in names if n in channels.NAMES]


def check_channel_name(name: str) -> None:
    if not isinstance(name, str) or not CHANNEL_NAME.fullmatch(name) or set(name) == {"."}:
        raise ConfigError(f"channel name {name!r} is not allowed: use letters, digits, '.', '-' and '_' "
                          "(at most 64), not '.' or '..'")


def _present(paths: MLPaths) -> List[str]:
    if not os.path.isdir(paths.data_dir):
        return []
    return sorted(n for n in os.listdir(paths.data_dir) if os.path.isdir(paths.channel(n)))
