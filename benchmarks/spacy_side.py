"""The spaCy side: convert the CoNLL files with spaCy's converter, train its ``ner`` pipeline
(``efficiency`` config), then score and time the trained pipeline on the test file's gold words.

``train`` runs in the driver and only launches ``Settings.spacy_python`` (.venv-bench) processes.
``python -m benchmarks.spacy_side infer MODEL TEST`` runs in .venv-bench and prints one JSON object: test
figures by seqeval over IOB2 tags (the same scorer and settings ner_tagger's eval_report.json uses), and
the same throughput and latency protocol as the ner_tagger side.

Budget mode: ``max_epochs 0`` (no end) and SIGINT at the budget; spaCy then saves ``model-last``, and
``model-best`` is the one it saved at its best evaluation, as after a finished run.
"""
import argparse
import json
import os
import re
import sys

from benchmarks import conll_io, logparse, process, timing
from benchmarks.process import run_json, thread_env
from benchmarks.settings import ROOT, DataFacts, Settings, spacy_eval_steps, split_path

LOGGER_CODE = os.path.join(ROOT, "benchmarks", "spacy_logger.py")


def train(settings: Settings, facts: DataFacts, seed: int, work: str) -> dict:
    os.makedirs(work, exist_ok=True)
    corpus = convert(settings, work)
    config = init_config(settings, work)
    log_jsonl = os.path.join(work, "evaluations.jsonl")
    if os.path.exists(log_jsonl):
        os.remove(log_jsonl)
    command = train_command(settings, facts, seed, work, corpus, config, log_jsonl)
    run = process.run(command, os.path.join(work, "train.log"), env=thread_env(settings.threads),
                      budget=settings.budget, cwd=ROOT)
    records = _read_jsonl(log_jsonl)
    evaluations = logparse.spacy_evaluations(records, run.started)
    model = _model_dir(work)
    if model is None:
        raise RuntimeError(f"spaCy saved no model; see {work}/train.log")
    return {"seed": seed, "command": command, "returncode": run.returncode,
            "stopped_at_budget": run.stopped_at_budget, "train_wall_s": run.wall_seconds,
            "finish_seconds": 0.0, "peak_rss_mb": run.peak_rss_mb,
            "speed": logparse.spacy_speed(records, facts.dev_words, facts.words_per_sentence),
            "evaluations": evaluations, "best_dev_f1": max((e["f1"] for e in evaluations), default=None),
            "model": model}


def convert(settings: Settings, work: str) -> dict:
    """``{split: path.spacy}`` made by ``spacy convert --converter ner`` from a space-separated copy."""
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus, exist_ok=True)
    out = {}
    for split in ("train", "dev"):
        iob = os.path.join(corpus, f"{split}.iob")
        with open(iob, "w", encoding="utf-8") as fh:
            fh.write(conll_io.to_space_separated(conll_io.read_conll(split_path(settings.data_dir, split))))
        # -n 1: one sentence a Doc, as ner_tagger trains on sentences.
        _check([settings.spacy_python, "-m", "spacy", "convert", iob, corpus, "--converter", "ner",
                "--n-sents", "1", "--file-type", "spacy"], os.path.join(work, f"convert-{split}.log"))
        out[split] = os.path.join(corpus, f"{split}.spacy")
    return out


def init_config(settings: Settings, work: str) -> str:
    path = os.path.join(work, "config.cfg")
    _check([settings.spacy_python, "-m", "spacy", "init", "config", path, "--lang", "en", "--pipeline", "ner",
            "--optimize", "efficiency", "--force"], os.path.join(work, "init-config.log"))
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(with_timed_logger(text))
    return path


def with_timed_logger(config_text: str) -> str:
    """The config with its ``[training.logger]`` block swapped for ``bench.TimedLogger.v1``.

    Edited in the file, not with ``--training.logger...`` overrides, because the block's other keys
    (``progress_bar``) would be left behind and rejected by the new logger.
    """
    block = re.compile(r"^\[training\.logger\]\n(?:(?!\[).*\n)*", re.M)
    if not block.search(config_text):
        raise ValueError("spaCy config without a [training.logger] block")
    replacement = ('[training.logger]\n@loggers = "bench.TimedLogger.v1"\n'
                   'output_file = ${paths.bench_log}\n\n')
    text = block.sub(lambda _: replacement, config_text, count=1)
    return text.replace("[paths]\n", "[paths]\nbench_log = null\n", 1)


def train_command(settings, facts, seed, work, corpus, config, log_jsonl) -> list:
    epochs = 0 if settings.budget else settings.epochs  # 0: no end; the budget's SIGINT ends it
    return [settings.spacy_python, "-m", "spacy", "train", config, "--output", os.path.join(work, "model"),
            "--code", LOGGER_CODE, "--paths.train", corpus["train"], "--paths.dev", corpus["dev"],
            "--paths.bench_log", log_jsonl, "--system.seed", str(seed),
            "--training.max_epochs", str(epochs), "--training.max_steps", "0",
            # The same stopping rule as the ner_tagger side: the epochs or the budget, never early stopping.
            "--training.patience", "0",
            "--training.eval_frequency", str(spacy_eval_steps(settings, facts)),
            "--nlp.batch_size", str(settings.batch_size)]


def infer(settings: Settings, model: str, work: str) -> dict:
    command = [settings.spacy_python, "-m", "benchmarks.spacy_side", "infer", model,
               split_path(settings.data_dir, "test"), "--code", LOGGER_CODE,
               "--batch_size", str(settings.batch_size), "--repeats", str(settings.repeats),
               "--latency_count", str(settings.latency_count)]
    return run_json(command, os.path.join(work, "infer.log"), thread_env(settings.threads))


def _model_dir(work):
    for name in ("model-best", "model-last"):
        path = os.path.join(work, "model", name)
        if os.path.isdir(path):
            return path
    return None


def _check(command, log_path):
    done = process.run(command, log_path)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:5])} failed; see {log_path}")


def _read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(description="spaCy scoring and inference timing (run in .venv-bench)")
    parser.add_argument("command", choices=["infer"])
    parser.add_argument("model", help="a trained pipeline folder (model-best)")
    parser.add_argument("conll", help="test file: gold words in, gold tags to score against")
    parser.add_argument("--code", help="module registering the training logger the saved config names")
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency_count", type=int, default=300)
    args = parser.parse_args(argv)
    import spacy
    from spacy.tokens import Doc

    if args.code:
        spacy.util.import_file("bench_logger", args.code)
    nlp = spacy.load(args.model)
    gold = conll_io.read_conll(args.conll)
    sentences = [words for words, _ in gold]

    def docs():
        # Gold tokenisation, as ner_tagger is given the words: both sides tag the same tokens.
        return (Doc(nlp.vocab, words=words) for words in sentences)

    predicted = [conll_io.iob2_from_spacy([(t.ent_iob_, t.ent_type_) for t in doc])
                 for doc in nlp.pipe(docs(), batch_size=args.batch_size)]
    words = sum(map(len, sentences))
    result = {"test": entity_scores([tags for _, tags in gold], predicted),
              "batch": timing.throughput(lambda: list(nlp.pipe(docs(), batch_size=args.batch_size)),
                                         len(sentences), words, args.repeats),
              "latency": timing.latency(lambda ws: nlp(Doc(nlp.vocab, words=ws)), sentences,
                                        args.latency_count)}
    json.dump(result, sys.stdout)


def entity_scores(gold, predicted) -> dict:
    """seqeval's micro average in its default (conlleval) mode: ner_tagger.model.metrics.entity_report's figures."""
    from seqeval.metrics import classification_report

    raw = classification_report(gold, predicted, output_dict=True, zero_division=0)["micro avg"]
    return {"precision": float(raw["precision"]), "recall": float(raw["recall"]),
            "f1": float(raw["f1-score"]), "support": int(raw["support"])}


if __name__ == "__main__":
    main()
