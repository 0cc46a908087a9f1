"""The ``/opt/ml`` directory layout SageMaker gives a custom container, with a stand-in root for tests.

Training (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html)::

    /opt/ml/input/config/hyperparameters.json   every value a string
    /opt/ml/input/config/resourceconfig.json    current_host, hosts, network_interface_name
    /opt/ml/input/config/inputdataconfig.json   one entry per channel (TrainingInputMode, ...)
    /opt/ml/input/data/<channel>/               the channel's files (File and FastFile modes)
    /opt/ml/model/                              uploaded as model.tar.gz on success
    /opt/ml/checkpoints/                        synced to S3 when checkpoint_s3_uri is set
    /opt/ml/output/failure                      the reason a job failed, shown as FailureReason
    /opt/ml/output/data/                        uploaded as output.tar.gz

Hosting (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html) extracts
model.tar.gz into ``/opt/ml/model``.

The root is ``$NER_TAGGER_ML_ROOT``, else ``$SAGEMAKER_BASE_DIR`` (the name SageMaker's own toolkits honour),
else ``/opt/ml``.
"""
import dataclasses
import os
from typing import Mapping, Optional

DEFAULT_ROOT = "/opt/ml"
ROOT_VARIABLES = ("NER_TAGGER_ML_ROOT", "SAGEMAKER_BASE_DIR")


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
