"""The SageMaker training container's filesystem and environment contract, read in one place.

``/opt/ml`` (or ``$SAGEMAKER_BASE_DIR`` outside AWS, as the toolkit's ``environment.base_dir``):

- ``input/data/<channel>/``: each channel's files; the toolkit exports ``SM_CHANNEL_<NAME>`` for each.
- ``model/``: ``SM_MODEL_DIR``; tarred to ``model.tar.gz`` after the job. TensorFlow Serving wants
  ``<version>/saved_model.pb`` directly under it.
- ``output/data/``: ``SM_OUTPUT_DATA_DIR``; tarred to ``output.tar.gz`` (the eval report goes here).
- ``output/failure``: the first 1024 characters become the job's ``FailureReason``. The toolkit writes its
  own only when the file does not exist yet, so ours (written first) wins.
- ``checkpoints/``: exists only when the job has ``checkpoint_s3_uri``; SageMaker syncs it with S3 during
  the job and restores it into a restarted (spot) job, so it is where resumable checkpoints go. Every
  trial of a tuning job gets the same ``CheckpointConfig`` (the SDK's tuner copies the estimator's
  ``checkpoint_s3_uri`` into the one ``TrainingJobDefinition``), so checkpoints go one level down, in
  ``checkpoints/<TRAINING_JOB_NAME>/`` (the platform sets ``TRAINING_JOB_NAME``; the toolkit reads the same
  variable, and appends the job name to ``model_dir`` in tuning jobs for the same reason).
"""
import dataclasses
import json
import os
import tempfile
from typing import Dict, List, Mapping, Optional

DEFAULT_BASE_DIR = "/opt/ml"
BASE_DIR_ENV = "SAGEMAKER_BASE_DIR"
JOB_NAME_ENV = "TRAINING_JOB_NAME"


@dataclasses.dataclass(frozen=True)
class SageMakerEnvironment:
    base_dir: str
    model_dir: Optional[str]
    output_data_dir: Optional[str]
    channels: Dict[str, str]
    hosts: List[str]
    current_host: Optional[str]
    num_gpus: int
    hyperparameters: Dict[str, object]
    tf_config: Optional[dict]
    job_name: Optional[str] = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "SageMakerEnvironment":
        channels = {key[len("SM_CHANNEL_"):].lower(): value for key, value in environ.items()
                    if key.startswith("SM_CHANNEL_")}
        return cls(base_dir=environ.get(BASE_DIR_ENV, DEFAULT_BASE_DIR),
                   model_dir=environ.get("SM_MODEL_DIR"),
                   output_data_dir=environ.get("SM_OUTPUT_DATA_DIR"),
                   channels=channels,
                   hosts=_json(environ.get("SM_HOSTS"), []),
                   current_host=environ.get("SM_CURRENT_HOST"),
                   num_gpus=int(environ.get("SM_NUM_GPUS") or 0),
                   hyperparameters=_json(environ.get("SM_HPS"), {}),
                   tf_config=_json(environ.get("TF_CONFIG"), None),
                   job_name=environ.get(JOB_NAME_ENV) or None)

    @property
    def in_training_job(self) -> bool:
        """True when the toolkit launched us (it always exports ``SM_MODEL_DIR`` and ``SM_HPS``)."""
        return self.model_dir is not None and bool(self.hyperparameters or self.channels)

    @property
    def checkpoint_sync_dir(self) -> str:
        return os.path.join(self.base_dir, "checkpoints")

    @property
    def failure_file(self) -> str:
        return os.path.join(self.base_dir, "output", "failure")

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
        if os.path.isdir(self.checkpoint_sync_dir):
            if self.job_name and _safe_name(self.job_name):
                path = os.path.join(self.checkpoint_sync_dir, self.job_name)
                os.makedirs(path, exist_ok=True)
                return path
            return self.checkpoint_sync_dir
        return tempfile.mkdtemp(prefix="ner_tagger-checkpoints-")

    def write_failure(self, message: str) -> None:
        """Record why the job failed, unless something already did (first writer wins, as the toolkit)."""
        if os.path.exists(self.failure_file) or not os.path.isdir(os.path.dirname(self.failure_file)):
            return
        with open(self.failure_file, "w", encoding="utf-8") as fh:
            fh.write(message)


def _safe_name(name: str) -> bool:
    """SageMaker job names are ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``; anything else is not used as a path."""
    return all(c.isascii() and (c.isalnum() or c == "-") for c in name) and name[0].isalnum()


def _json(raw: Optional[str], default):
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default
