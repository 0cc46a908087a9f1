"""The data stage of a job: the train, dev and optional test sentences, found in the data folders and read
(and checked) before anything is built, so a bad file fails the job in seconds naming its line."""
import dataclasses
import logging
import random
from typing import Dict, List, Optional

from ner_tagger import conll, data_dir, formats, tagging
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams

log = logging.getLogger("ner_tagger")


@dataclasses.dataclass
class Dataset:
    train: List[conll.Sentence]
    dev: List[conll.Sentence]
    test: Optional[List[conll.Sentence]]
    files: Dict[str, Optional[str]]


def load_data(hp: HParams, data_dir_path: str, eval_dir_path: Optional[str] = None) -> Dataset:
    train_path = data_dir.find_file(data_dir_path, hp.train_file, data_dir.TRAIN_NAMES, "train", True)
    dev_path = data_dir.find_file(eval_dir_path or data_dir_path, hp.dev_file, data_dir.DEV_NAMES, "dev",
                                  required=bool(eval_dir_path))
    test_path = data_dir.find_file(data_dir_path, hp.test_file, data_dir.TEST_NAMES, "test", False)
    train = formats.read_sentences(train_path, hp)
    if dev_path:
        dev = formats.read_sentences(dev_path, hp)
    else:
        train, dev = hold_out(train, hp.dev_fraction, hp.seed)
        log.info("data: no dev file; holding out %d of %d training sentences (seed %d)", len(dev),
                 len(train) + len(dev), hp.seed)
    test = formats.read_sentences(test_path, hp) if test_path else None
    for name, sentences in (("dev", dev), ("test", test)):
        unseen = set(tagging.entity_types(t for s in sentences or [] for t in s.tags)) - \
            set(tagging.entity_types(t for s in train for t in s.tags))
        if unseen:
            log.warning("data: %s has entity types unseen in train: %s (they count as misses)", name,
                        ", ".join(sorted(unseen)))
    log.info("data: train=%s (%d sentences) dev=%s (%d) test=%s (%s)", train_path, len(train),
             dev_path or "held-out", len(dev), test_path, len(test) if test else "-")
    return Dataset(train, dev, test, {"train": train_path, "dev": dev_path, "test": test_path})


def hold_out(sentences, fraction, seed):
    if fraction <= 0 or len(sentences) < 2:
        raise DataError("no dev file and dev_fraction=0 (or one sentence): nothing to evaluate on")
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    cut = max(1, int(round(len(sentences) * fraction)))
    dev_ids = set(order[:cut])
    return ([s for i, s in enumerate(sentences) if i not in dev_ids],
            [s for i, s in enumerate(sentences) if i in dev_ids])
