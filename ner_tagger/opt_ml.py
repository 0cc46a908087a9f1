"""The SageMaker training ``/opt/ml`` contract, read in one place by every door: the layout
(:class:`MLPaths`), the toolkit's ``SM_*`` variables (:class:`SageMakerEnvironment`) and where checkpoints go.

Script mode (the managed container's toolkit exports ``SM_*``) and the bring-your-own container (which reads
``input/config`` itself) see the same tree, so both take its paths from here.

Training (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html)::

    /opt/ml/input/config/hyperparameters.json   every value a string
    /opt/ml/input/config/resourceconfig.json    current_host, hosts, network_interface_name
    /opt/ml/input/config/inputdataconfig.json   one entry per channel (TrainingInputMode, ...)
    /opt/ml/input/data/<channel>/               the channel's files (File and FastFile modes)
    /opt/ml/model/                              uploaded as model.tar.gz on success
    /opt/ml/checkpoints/                        synced to S3 when checkpoint_s3_uri is set
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
- ``checkpoints/``: exists only when the job has ``checkpoint_s3_uri``; SageMaker syncs it with S3 during
  the job and restores it into a restarted (spot) job, so it is where resumable checkpoints go. Every
  trial of a tuning job gets the same ``CheckpointConfig`` (the SDK's tuner copies the estimator's
  ``checkpoint_s3_uri`` into the one ``TrainingJobDefinition``), so checkpoints go one level down, in
  ``checkpoints/<TRAINING_JOB_NAME>/`` (the platform sets ``TRAINING_JOB_NAME``; the toolkit reads the same
  variable, and appends the job name to ``model_dir`` in tuning jobs for the same reason).
- Script mode's toolkit exports ``SM_MODEL_DIR`` (``model/``), ``SM_OUTPUT_DATA_DIR`` (``output/data/``),
  ``SM_CHANNEL_<NAME>`` (``input/data/<name>/``), ``SM_HPS``, ``SM_HOSTS`` and ``TF_CONFIG``.
"""
import dataclasses
import json
import os
import tempfile
from typing import Dict, List, Mapping, Optional

from ner_tagger import failure
from ner_tagger.errors import DataError

DEFAULT_ROOT = "/opt/ml"
ROOT_VARIABLES = ("NER_TAGGER_ML_ROOT", "SAGEMAKER_BASE_DIR")
JOB_NAME_ENV = "TRAINING_JOB_NAME"


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

    A plain ``os`` check, so ``serve`` can refuse to start gunicorn without importing TensorFlow.
    """
    if os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        return True
    if not os.path.isdir(model_dir):
        return False
    return any(name.isdigit() and os.path.isfile(os.path.join(model_dir, name, "saved_model.pb"))
               for name in os.listdir(model_dir))


@dataclasses.dataclass(frozen=True)
class SageMakerEnvironment:
    """What the toolkit tells a script-mode process, on top of the :class:`MLPaths` layout."""
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

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "SageMakerEnvironment":
        channels = {key[len("SM_CHANNEL_"):].lower(): value for key, value in environ.items()
                    if key.startswith("SM_CHANNEL_")}
        return cls(paths=MLPaths.from_env(environ),
                   model_dir=environ.get("SM_MODEL_DIR"),
                   output_data_dir=environ.get("SM_OUTPUT_DATA_DIR"),
                   channels=channels,
                   hosts=_json(environ.get("SM_HOSTS"), []),
                   current_host=environ.get("SM_CURRENT_HOST"),
                   num_gpus=int(environ.get("SM_NUM_GPUS") or 0),
                   hyperparameters=_json(environ.get("SM_HPS"), {}),
                   tf_config=_json(environ.get("TF_CONFIG"), None),
                   job_name=environ.get(JOB_NAME_ENV) or None,
                   input_data_config=_json(environ.get("SM_INPUT_DATA_CONFIG"), {}))

    @property
    def base_dir(self) -> str:
        return self.paths.root

    @property
    def in_training_job(self) -> bool:
        """True when the toolkit launched us (it always exports ``SM_MODEL_DIR`` and ``SM_HPS``)."""
        return self.model_dir is not None and bool(self.hyperparameters or self.channels)

    @property
    def failure_file(self) -> str:
        return self.paths.failure

    def checkpoint_dir(self, requested: Optional[str]) -> str:
        """Where the estimator keeps checkpoints.

        A local ``requested`` path wins. An ``s3://`` one (the SDK always passes ``--model_dir s3://...``) is
        not writable: TensorFlow 2.14 has no S3 filesystem. Then ``checkpoints/<job name>`` when SageMaker
        syncs ``checkpoints/`` (spot training: a restarted job keeps its name and finds its checkpoints
        there; parallel tuning trials sharing one ``checkpoint_s3_uri`` each keep their own), or
        ``checkpoints/`` itself where no job name is set; else a fresh temporary folder: a fixed path would
        let an unrelated later run on the same machine resume someone else's model.
        """
        if requested and "://" not in requested:
            return requested
        synced = self.paths.checkpoints
        if os.path.isdir(synced):
            if self.job_name and _safe_name(self.job_name):
                path = os.path.join(synced, self.job_name)
                os.makedirs(path, exist_ok=True)
                return path
            return synced
        return tempfile.mkdtemp(prefix="ner_tagger-checkpoints-")

    def write_failure(self, message: str) -> None:
        """:func:`ner_tagger.failure.write_failure` into this tree (only when ``output/`` exists: outside a
        job there is no ``/opt/ml`` to create)."""
        failure.write_failure(self.failure_file, message)


def _safe_name(name: str) -> bool:
    """SageMaker job names are ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``; anything else is not used as a path."""
    return all(c.isascii() and (c.isalnum() or c == "-") for c in name) and name[0].isalnum()


def refuse_sharded_channels(input_data_config: Mapping[str, object], hosts: int) -> Optional[str]:
    """The reason a job of ``hosts`` hosts cannot take its channels, or None.

    ``ShardedByS3Key`` copies each host a different subset of a channel's S3 objects. Every host builds the
    vocabularies from the training files it has, so the hosts' models would give the same word different
    ids (and lack tags another host saw). FullyReplicated is needed: each task still reads only its own
    share of the sentences (tf.data's ``shard`` by task, :func:`ner_tagger.input_fns.train_input_fn`).
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
