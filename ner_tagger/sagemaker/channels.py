"""The channels a training job reads, one table for every door: the launcher checks a config's ``inputs``
against it, every door finds its channels through it
(:meth:`ner_tagger.sagemaker.environment.JobEnvironment.channel_roles`): script mode's ``SM_CHANNEL_<NAME>``
variables and the bring-your-own container's ``/opt/ml/input/data/<name>/`` folders alike.

Each role accepts several names (SageMaker's built-in algorithms say ``train``/``validation``, the SDK's
examples ``training``/``eval``); the first is the one our docs use. A job with two channels for one role
(``training`` and ``train``) is refused, naming both: silently reading one and downloading the other would
hide a mistake in the launch. The SDK's own channels (``code``, and ``sm_drivers`` in SDK v3) carry no data
for us and are ignored, not refused.

Nothing here imports TensorFlow: the launcher (SDK only, no TensorFlow) imports it.
"""
from typing import Dict, Iterable, List

from ner_tagger.errors import NerTaggerError

# role -> accepted channel names, the canonical one first.
ROLES: Dict[str, tuple] = {
    "training": ("training", "train"),  # the train file, usually the dev (and test) file too
    "eval": ("eval", "validation", "dev"),  # a separate dev file
    "embeddings": ("embeddings",),  # one pretrained vectors file
}
NAMES = tuple(name for names in ROLES.values() for name in names)
SDK_CHANNELS = ("code", "sm_drivers")
ENV_PREFIX = "SM_CHANNEL_"


class ChannelError(NerTaggerError, ValueError):
    """A job's channels that cannot be read as given (two names for one role)."""


def describe() -> str:
    """``training (or train), eval (or validation, dev), embeddings``: for error messages and help."""
    return ", ".join(names[0] + (f" (or {', '.join(names[1:])})" if len(names) > 1 else "")
                     for names in ROLES.values())


def unknown(names: Iterable[str]) -> List[str]:
    """The names no door reads (the SDK's own channels aside), sorted."""
    return sorted(n for n in set(names) if n not in NAMES and n not in SDK_CHANNELS)


def assign(names: Iterable[str]) -> Dict[str, str]:
    """role -> the one name among ``names`` that fills it (roles nobody fills are left out).

    Raises :class:`ChannelError` naming both channels when two fill one role."""
    present = set(names)
    picked = {}
    for role, accepted in ROLES.items():
        found = [name for name in accepted if name in present]
        if len(found) > 1:
            raise ChannelError(f"channels {' and '.join(map(repr, found))} both hold the {role} data; give the "
                               f"job one of them (accepted names: {describe()})")
        if found:
            picked[role] = found[0]
    return picked
