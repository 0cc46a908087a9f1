"""Shared fixtures: a synthetic NER task small enough to learn perfectly in seconds."""
import os
import random
import re
import signal
import time

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PEOPLE = ["Alice", "Bob", "Carol", "Dmitri", "Eve", "Farah", "Gustavo", "Hiro"]
PLACES = ["Paris", "Lagos", "Lima", "Oslo", "Kyoto", "Quebec City", "New York"]
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella Group"]
TEMPLATES = [
    "{PER} met {PER} in {LOC} .",
    "{PER} works for {ORG} .",
    "{ORG} opened an office in {LOC} .",
    "yesterday {PER} flew to {LOC} with {PER} .",
    "the weather was nice .",
    "{ORG} hired {PER} last week .",
]
FILLERS = {"PER": PEOPLE, "LOC": PLACES, "ORG": ORGS}

# Small enough to train in seconds on 2 cores, large enough to learn the task.
TINY = {"word_dim": 16, "char_dim": 8, "char_filters": 16, "lstm_units": 16, "batch_size": 16,
        "eval_batch_size": 64, "dropout": 0.1, "learning_rate": 0.01, "eval_every_steps": 100,
        "log_every_steps": 50, "early_stopping_patience": 0}


def synthetic_sentences(n, seed):
    """``n`` (tokens, IOB2 tags) pairs from the templates."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens, tags = [], []
        for piece in rng.choice(TEMPLATES).split():
            kind = piece.strip("{}") if piece.startswith("{") else None
            if kind:
                words = rng.choice(FILLERS[kind]).split()
                tokens += words
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(words) - 1)
            else:
                tokens.append(piece)
                tags.append("O")
        out.append((tokens, tags))
    return out


def write_conll(path, sentences, sep="\t"):
    with open(path, "w", encoding="utf-8") as fh:
        for tokens, tags in sentences:
            fh.writelines(f"{t}{sep}{g}\n" for t, g in zip(tokens, tags))
            fh.write("\n")
    return str(path)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """A data dir with train.txt, dev.txt and test.txt of the synthetic task."""
    root = tmp_path_factory.mktemp("synthetic")
    write_conll(root / "train.txt", synthetic_sentences(300, 1))
    write_conll(root / "dev.txt", synthetic_sentences(60, 2))
    write_conll(root / "test.txt", synthetic_sentences(60, 3))
    return root


@pytest.fixture(scope="session")
def trained(synthetic_dir, tmp_path_factory):
    """One real training run (train -> eval -> export) shared by the tests that need a model."""
    from ner_tagger import job
    from ner_tagger.hparams import HParams

    root = tmp_path_factory.mktemp("trained")
    hp = HParams.from_dict(dict(TINY, max_steps=300))
    report = job.pipeline(hp, str(synthetic_dir), str(root / "ckpt"), str(root / "export"),
                          output_dir=str(root / "output"))
    return {"report": report, "root": root, "export": root / "export", "hparams": hp}



def tensorboard_scalars(folder):
    """{tag: [(step, value), ...]} from the event files in ``folder``, read as TensorBoard reads them."""
    import glob

    import tensorflow as tf

    found = {}
    for path in sorted(glob.glob(os.path.join(str(folder), "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                found.setdefault(value.tag, []).append((event.step, round(value.simple_value, 5)))
    return found


def read_until(proc, pattern, timeout):
    """Lines of ``proc``'s output up to the first that matches ``pattern``; kills ``proc`` and fails the test
    if none does within ``timeout`` seconds."""
    lines, deadline = [], time.monotonic() + timeout
    for line in proc.stdout:
        lines.append(line)
        if re.search(pattern, line):
            return lines
        if time.monotonic() > deadline:
            break
    proc.kill()
    pytest.fail("never saw %r:\n%s" % (pattern, "".join(lines)[-3000:]))


def sigterm_after(proc, pattern, timeout, wait=90):
    """Send SIGTERM once ``proc`` logs ``pattern`` (a training process well under way); its whole log once it
    exited (killed if it outlives ``wait`` seconds)."""
    try:
        lines = read_until(proc, pattern, timeout)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=wait)
    finally:
        if proc.poll() is None:
            proc.kill()
    return "".join(lines) + rest


# Two sentences, the second padded; "Zorblax" and its "Z"/"x"... are out of vocabulary on purpose (model_fn
# and network tests).
WORDS = [["Alice", "met", "Zorblax", "in", "Paris", "."], ["Ωmega", "works", "", "", "", ""]]
TAGS = [["B-PER", "O", "B-PER", "O", "B-LOC", "O"], ["B-ORG", "O", "O", "O", "O", "O"]]
LENGTHS = [6, 2]


@pytest.fixture(scope="module")
def vocab_dir(tmp_path_factory):
    """Vocabularies built from 50 synthetic sentences."""
    from ner_tagger import conll, vocab

    sentences = [conll.Sentence(tuple(t), tuple(g), 1) for t, g in synthetic_sentences(50, 5)]
    directory = str(tmp_path_factory.mktemp("vocab"))
    vocab.build(sentences, lambda words: list(words)).save(directory)
    return directory
