"""SavedModel export into ``<export_dir>/<integer version>/``, the layout TensorFlow Serving loads.

The version folder appears in one ``rename`` after everything in it (graph, variables, vocabulary assets,
``assets.extra/`` with the vocabularies and ``params.json``) is written in a hidden staging folder beside
it, so a crash never leaves a numeric folder that looks complete. Serving ignores non-numeric folders, and
the next export removes the stale staging ones.
"""
import glob
import json
import os
import shutil
import time

from tensorflow.core.protobuf import saved_model_pb2

from ner_tagger.corpus import vocab
from ner_tagger.errors import ModelNotFoundError
from ner_tagger.model import signatures
from ner_tagger.serving import core

STAGING_PREFIX = ".staging-"
PARAMS = os.path.join("assets.extra", "params.json")


def export_model(estimator, checkpoint_path: str, export_dir: str, params: dict) -> str:
    """Export ``checkpoint_path`` and return the new version folder."""
    os.makedirs(export_dir, exist_ok=True)
    for stale in glob.glob(os.path.join(export_dir, STAGING_PREFIX + "*")):
        shutil.rmtree(stale, ignore_errors=True)
    staging = os.path.join(export_dir, f"{STAGING_PREFIX}{os.getpid()}-{int(time.time())}")
    built = estimator.export_saved_model(staging, signatures.serving_input_fn, checkpoint_path=checkpoint_path)
    built = built.decode() if isinstance(built, bytes) else built
    _rename_signatures(built)
    extra = os.path.join(built, "assets.extra")
    os.makedirs(extra, exist_ok=True)
    # The lookups read copies under assets/; these are for people and tools that inspect the export.
    for name in (vocab.WORDS, vocab.CHARS, vocab.TAGS):
        shutil.copyfile(os.path.join(params["vocab_dir"], name), os.path.join(extra, name))
    with open(os.path.join(built, PARAMS), "w", encoding="utf-8") as fh:
        json.dump({k: v for k, v in params.items() if k not in ("vocab_dir", "embeddings_npy")}, fh,
                  indent=2, sort_keys=True)
    version = _next_version(export_dir, int(os.path.basename(built)))
    final = os.path.join(export_dir, str(version))
    os.rename(built, final)
    shutil.rmtree(staging, ignore_errors=True)
    return final


def latest_version(export_dir: str) -> str:
    """The highest numeric version folder under ``export_dir`` (``export_dir`` itself if it is one):
    :func:`ner_tagger.serving.core.newest_saved_model`, or :class:`ModelNotFoundError` saying why not."""
    found = core.newest_saved_model(export_dir)
    if found:
        return found
    if not os.path.isdir(export_dir):
        raise ModelNotFoundError(f"{export_dir}: no such model folder")
    raise ModelNotFoundError(f"{export_dir}: no SavedModel (no numeric version folder with saved_model.pb)")


def read_params(version_dir: str) -> dict:
    with open(os.path.join(version_dir, PARAMS), encoding="utf-8") as fh:
        return json.load(fh)


def _next_version(export_dir, proposed):
    # Estimator versions are timestamps in seconds; two exports in one second must not collide.
    existing = [int(n) for n in os.listdir(export_dir) if n.isdigit()]
    return max([proposed] + [v + 1 for v in existing])


def _rename_signatures(version_dir):
    """The estimator names alternative signatures ``<receiver>:<output>``; serve them as ``<receiver>`` and
    (the tags-only output) ``<receiver>_tags``."""
    path = os.path.join(version_dir, "saved_model.pb")
    model = saved_model_pb2.SavedModel()
    with open(path, "rb") as fh:
        model.ParseFromString(fh.read())
    for meta_graph in model.meta_graphs:
        defs = meta_graph.signature_def
        for name in [n for n in defs if ":" in n]:
            receiver, output = name.split(":", 1)
            target = receiver if output == "serving_default" else signatures.tags_only(receiver)
            defs[target].CopyFrom(defs[name])
            del defs[name]
    with open(path, "wb") as fh:
        fh.write(model.SerializeToString())
