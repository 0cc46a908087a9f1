"""What SageMaker tells a training container besides hyperparameters: hosts and channels.

``resourceconfig.json`` (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html#your-algorithms-training-algo-running-container-dist-training)::

    {"current_host": "algo-1", "hosts": ["algo-1", "algo-2"], "network_interface_name": "eth0"}

``inputdataconfig.json``: one object per channel, e.g. ``{"training": {"TrainingInputMode": "File",
"S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}}``; the data is in
``/opt/ml/input/data/<channel>/``.

Channels, by the table every door reads (:mod:`ner_tagger.channels`): ``training`` (or ``train``) holds the
train file and usually the dev file; an optional ``eval``/``validation``/``dev`` channel holds the dev file
instead; an optional ``embeddings`` channel holds one pretrained vectors file. Two channels for one role are
refused, naming both; the SDK's own channels (``code``, ``sm_drivers``) are ignored.
"""
import dataclasses
import json
import os
import re
from typing import Dict, List, Optional, Tuple

from ner_tagger import channels, cluster
from ner_tagger.errors import DataError, NerTaggerError
from ner_tagger.opt_ml import MLPaths, refuse_sharded_channels

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

    @property
    def is_chief(self) -> bool:
        """Whether this host trains, evaluates and exports: the role its ``TF_CONFIG`` gives it (the first
        host, sorted as SageMaker names them algo-1..n, is the master), decided by :mod:`ner_tagger.cluster`."""
        if not self.distributed:
            return True
        return cluster.role_from_tf_config(cluster.tf_config_for_hosts(self.hosts, self.current_host)).is_chief


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


@dataclasses.dataclass(frozen=True)
class Channels:
    training: str
    eval: Optional[str]
    embeddings: Optional[str] = None


def find_channels(paths: MLPaths, config: Dict[str, dict], distributed: bool) -> Channels:
    """The training and optional eval folders, checked against inputdataconfig.json when there is one."""
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
    # Declared channels when there is an inputdataconfig.json (an undeclared folder is not the job's),
    # else whatever folders exist (a run outside SageMaker).
    names = [n for n in (declared or _present(paths)) if os.path.isdir(paths.channel(n))]
    folders = {role: paths.channel(name) for role, name in channels.assign(names).items()}
    if "training" not in folders:
        raise DataError(f"no training channel: expected a folder named {' or '.join(TRAINING_CHANNELS)} "
                        f"(channels present: {', '.join(_present(paths)) or 'none'})", paths.data_dir)
    return Channels(folders["training"], folders.get("eval"), folders.get("embeddings"))


def check_channel_name(name: str) -> None:
    if not isinstance(name, str) or not CHANNEL_NAME.fullmatch(name) or set(name) == {"."}:
        raise ConfigError(f"channel name {name!r} is not allowed: use letters, digits, '.', '-' and '_' "
                          "(at most 64), not '.' or '..'")


def _present(paths: MLPaths) -> List[str]:
    if not os.path.isdir(paths.data_dir):
        return []
    return sorted(n for n in os.listdir(paths.data_dir) if os.path.isdir(paths.channel(n)))
