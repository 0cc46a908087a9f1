"""Export size against ``embeddings_vocab_max``: what pretrained words beyond train cost in the SavedModel.

    .venv/bin/python scripts/benchmark.py embeddings_export --words 100000 --caps 0 20000 100000

Writes a GloVe-style file of ``--words`` random vectors (``--dim`` values; real GloVe 6B has 400k words),
trains one step on the bundled WNUT-17 train file with the file as the embeddings channel, and prints one
JSON object: vocabulary size, SavedModel bytes (all files) and variables bytes per cap, and the bytes one
extra word costs. The size is the matrix's ``(words + 1) x dim`` float32 values; the optimizer's slots are
not exported.
"""
import argparse
import json
import os
import platform
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def letters(number):
    """A distinct lowercase word per number: digits would all normalise to 0 (``normalize_digits``)."""
    word = ""
    while True:
        number, rest = divmod(number, 26)
        word = chr(ord("a") + rest) + word
        if not number:
            return "zz" + word  # "zz": keep clear of real words in the training file


def write_vectors(path, count, dim, seed=0):
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(count):
            fh.write(letters(i) + " " + " ".join(f"{v:.4f}" for v in rng.uniform(-1, 1, dim)) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", type=int, default=100000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--caps", type=int, nargs="+", default=[0, 20000, 100000])
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "ner_tagger", "datasets", "wnut17"))
    args = parser.parse_args(argv)
    from ner_tagger.cli import setup_logging
    from ner_tagger.corpus import vocab
    from ner_tagger.hparams import HParams
    from ner_tagger.job import runner
    from ner_tagger.serving import core

    setup_logging()
    work = tempfile.mkdtemp(prefix="bench-embeddings-")
    channel = os.path.join(work, "embeddings")
    os.makedirs(channel)
    write_vectors(os.path.join(channel, "vectors.txt"), args.words, args.dim)
    rows = []
    for cap in args.caps:
        run = os.path.join(work, f"cap{cap}")
        hp = HParams(word_dim=args.dim, embeddings_vocab_max=cap, max_steps=1, eval_every_steps=1,
                     lstm_implementation="fused")
        runner.pipeline(hparams=hp, data_dir=args.data_dir, model_dir=os.path.join(run, "ckpt"),
                     export_dir=os.path.join(run, "export"), embeddings_dir=channel)
        version = core.latest_version(os.path.join(run, "export"))
        words = len(vocab.Vocabulary.load(os.path.join(run, "ckpt", "vocab")).words)
        rows.append({"embeddings_vocab_max": cap, "vocabulary": words, "savedmodel_bytes": folder_bytes(version),
                     "variables_bytes": folder_bytes(os.path.join(version, "variables"))})
    first, last = rows[0], rows[-1]
    per_word = (last["savedmodel_bytes"] - first["savedmodel_bytes"]) / max(1, last["vocabulary"] - first["vocabulary"])
    print(json.dumps({"machine": f"{platform.machine()} {os.cpu_count()} cores", "dim": args.dim,
                      "vectors_file_words": args.words, "runs": rows, "bytes_per_extra_word": round(per_word, 1)},
                     indent=2))


if __name__ == "__main__":
    main()
