"""The data stage of a job: the train, dev and optional test channels found in the data folders, read
(and checked) in one streaming pass each before anything is built, so a bad file fails the job in seconds
naming its line, and written as shards that the input functions stream (:mod:`ner_tagger.corpus.shards`)."""
import dataclasses
import logging
import os
import tempfile
import time
from typing import Dict, Iterator, Optional, Union

from ner_tagger.corpus import conll, data_dir, formats, shards, tagging
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams

log = logging.getLogger("ner_tagger")


@dataclasses.dataclass
class Dataset:
    """Each part is a :class:`shards.Corpus` (or, from tests and the public input functions, a list of
    sentences): both have a length and iterate sentences."""
    train: shards.Corpus
    dev: shards.Corpus
    test: Optional[shards.Corpus]
    files: Dict[str, Union[None, str, list]]


SENTENCE_SETTINGS = ("tag_scheme", "tag_encoding", "label_attribute", "span_mismatch", "offsets_tokenizer")


def iter_sentences(path: str, hp: HParams) -> Iterator[conll.Sentence]:
    """The one way a data file becomes sentences (tags in ``hp.tag_encoding``), one at a time: CoNLL, or a
    file with character offsets (Ground Truth manifest, JSONL spans; :mod:`ner_tagger.corpus.formats`)."""
    return formats.iter_sentences(path, hp)


def default_work_dir() -> str:
    """Shards go to local temporary space, not the model dir: SageMaker uploads the checkpoint folder."""
    return os.path.join(tempfile.gettempdir(), "ner_tagger-corpus")


def load_data(hp: HParams, data_dir_path: str, eval_dir_path: Optional[str] = None,
              work_dir: Optional[str] = None) -> Dataset:
    train_paths = data_dir.find_files(data_dir_path, hp.train_file, data_dir.TRAIN_NAMES, "train")
    dev_path = data_dir.find_file(eval_dir_path or data_dir_path, hp.dev_file, data_dir.DEV_NAMES, "dev",
                                  required=bool(eval_dir_path))
    test_path = data_dir.find_file(data_dir_path, hp.test_file, data_dir.TEST_NAMES, "test", False)
    started = time.time()
    work_dir = work_dir or default_work_dir()
    # Everything that changes what a file's sentences are: a shard folder is reused only when these match.
    settings = {name: getattr(hp, name) for name in SENTENCE_SETTINGS}

    def stream(paths, fraction=0.0):
        return shards.stream(paths, lambda path: iter_sentences(path, hp), settings, work_dir, fraction,
                             hp.seed)

    if dev_path:
        train, dev = stream(train_paths)["train"], stream([dev_path])["train"]
    else:
        if hp.dev_fraction <= 0:
            raise DataError("no dev file and dev_fraction=0: nothing to evaluate on", data_dir_path)
        parts = stream(train_paths, hp.dev_fraction)
        train, dev = parts["train"], parts["dev"]
        log.info("data: no dev file; holding out %d of %d training sentences (seed %d)", len(dev),
                 len(train) + len(dev), hp.seed)
    test = stream([test_path])["train"] if test_path else None
    _warn_unseen_types(train, {"dev": dev, "test": test})
    log.info("data: train=%s (%d sentences) dev=%s (%d) test=%s (%s); read in %.1f s", ",".join(train_paths),
             len(train), dev_path or "held-out", len(dev), test_path, len(test) if test else "-",
             time.time() - started)
    files = {"train": train_paths[0] if len(train_paths) == 1 else train_paths, "dev": dev_path,
             "test": test_path}
    return Dataset(train, dev, test, files)


def _warn_unseen_types(train: shards.Corpus, others: Dict[str, Optional[shards.Corpus]]) -> None:
    known = set(tagging.entity_types(train.tags))
    for name, part in others.items():
        unseen = set(tagging.entity_types(part.tags)) - known if part else set()
        if unseen:
            log.warning("data: %s has entity types unseen in train: %s (they count as misses)", name,
                        ", ".join(sorted(unseen)))
