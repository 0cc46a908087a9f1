""":mod:`ner_tagger.sagemaker.channels`: the one table of channel names the launcher, script mode and BYOC read (each
door's own test shows it reads through it: test_sagemaker_launch, test_sagemaker_script_mode, test_train,
test_sagemaker_environment)."""
import subprocess
import sys

import pytest

from ner_tagger.errors import NerTaggerError
from ner_tagger.sagemaker import channels
from ner_tagger.sagemaker.environment import JobEnvironment
from ner_tagger.serving.local_server import REPO


def test_every_role_accepts_the_names_sagemaker_users_give_it():
    assert channels.ROLES == {"training": ("training", "train"), "eval": ("eval", "validation", "dev"),
                              "embeddings": ("embeddings",)}
    assert channels.describe() == "training (or train), eval (or validation, dev), embeddings"


def test_assign_picks_one_channel_per_role():
    assert channels.assign(["train", "validation", "code", "sm_drivers", "other"]) == {"training": "train",
                                                                                        "eval": "validation"}
    assert channels.assign(["training", "dev", "embeddings"]) == {"training": "training", "eval": "dev",
                                                                 "embeddings": "embeddings"}
    assert channels.assign([]) == {}


@pytest.mark.parametrize("names, named", [(["training", "train"], "'training' and 'train'"),
                                          (["train", "eval", "dev"], "'eval' and 'dev'")])
def test_two_channels_for_one_role_are_refused_naming_both(names, named):
    with pytest.raises(channels.ChannelError, match=f"channels {named} both hold the") as err:
        channels.assign(names)
    assert isinstance(err.value, NerTaggerError)  # exit 2 with the reason in the failure file, in every door


def test_unknown_leaves_out_the_sdks_own_channels():
    assert channels.unknown(["training", "code", "sm_drivers", "vectors", "Train"]) == ["Train", "vectors"]


def test_the_toolkits_variables():
    environ = {"SM_CHANNEL_TRAIN": "/opt/ml/input/data/train", "SM_CHANNEL_VALIDATION": "/v",
               "SM_CHANNEL_CODE": "/c", "SM_CHANNELS": '["train"]', "OTHER": "x"}
    env = JobEnvironment.from_toolkit(environ)
    assert env.channel_roles() == {"training": "/opt/ml/input/data/train", "eval": "/v"}
    assert env.channel_default("training") == "/opt/ml/input/data/train"
    assert env.channel_default("embeddings") is None
    both = JobEnvironment.from_toolkit(dict(environ, SM_CHANNEL_TRAINING="/t"))
    assert both.channel_default("training") == "/t"  # a parser default never fails (--help) ...
    with pytest.raises(channels.ChannelError, match="'training' and 'train'"):
        both.channel_roles()  # ... the job's check does


def test_imports_no_tensorflow():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import ner_tagger.sagemaker.channels"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "import time:" in line]
    assert "ner_tagger.sagemaker.channels" in imported
    assert not [m for m in imported if m.split(".")[0] in ("tensorflow", "numpy", "seqeval")]
