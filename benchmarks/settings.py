"""What one benchmark run was asked to do, and the data facts both sides' settings are derived from."""
import dataclasses
import math
import os
from typing import Optional

from benchmarks import conll_io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# spaCy's `efficiency` config batches by words on a compounding schedule (training.batcher.size).
SPACY_BATCH_START, SPACY_BATCH_STOP, SPACY_BATCH_COMPOUND = 100, 1000, 1.001


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: str
    out_dir: str
    config: str
    epochs: int = 10
    budget: Optional[float] = None  # seconds of training wall time per side; then epochs is ignored
    evals_per_epoch: float = 2.0
    threads: int = 0  # 0: each side's default
    batch_size: int = 128  # inference batch, both sides
    repeats: int = 3
    latency_count: int = 300
    tagger_python: str = os.path.join(ROOT, ".venv", "bin", "python")
    spacy_python: str = os.path.join(ROOT, ".venv-bench", "bin", "python")
    tagger_eval_steps: int = 0  # 0: from evals_per_epoch
    spacy_eval_steps: int = 0


@dataclasses.dataclass(frozen=True)
class DataFacts:
    train_sentences: int
    train_words: int
    dev_words: int
    test_sentences: int
    test_words: int

    @property
    def words_per_sentence(self) -> float:
        return self.train_words / self.train_sentences


def data_facts(data_dir: str) -> DataFacts:
    train, dev, test = (conll_io.read_conll(split_path(data_dir, n)) for n in ("train", "dev", "test"))
    return DataFacts(len(train), _words(train), _words(dev), len(test), _words(test))


def split_path(data_dir: str, split: str) -> str:
    """``<data_dir>/<split>.conll`` or ``<split>.txt``: the benchmark needs all three files, named."""
    for extension in (".conll", ".txt", ""):
        path = os.path.join(data_dir, split + extension)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{data_dir}: no {split}.conll (the benchmark needs train, dev and test)")


def _words(sentences):
    return sum(len(words) for words, _ in sentences)


def tagger_eval_steps(settings: Settings, facts: DataFacts, batch_size: int) -> int:
    if settings.tagger_eval_steps:
        return settings.tagger_eval_steps
    return max(1, round(facts.train_sentences / batch_size / settings.evals_per_epoch))


def spacy_eval_steps(settings: Settings, facts: DataFacts) -> int:
    """Steps between spaCy evaluations: ``evals_per_epoch`` in its first epoch.

    Its batches grow from 100 to 1000 words over ~2,300 steps, so later epochs have fewer steps and are
    evaluated less often than ner_tagger's fixed-size ones; the first epoch is where the curves are compared.
    """
    if settings.spacy_eval_steps:
        return settings.spacy_eval_steps
    steps, words = 0, 0
    while words < facts.train_words:
        words += min(SPACY_BATCH_STOP, SPACY_BATCH_START * SPACY_BATCH_COMPOUND ** steps)
        steps += 1
    return max(1, math.ceil(steps / settings.evals_per_epoch))
