"""A spaCy training logger that also records, per evaluation, wall-clock time and training words seen.

Loaded by ``spacy train --code benchmarks/spacy_logger.py`` and selected with
``--training.logger.@loggers bench.TimedLogger.v1``. spaCy's own ConsoleLogger still prints its table;
this adds one JSON line per evaluation to ``output_file``. Why a logger: spaCy's JSONL output has neither a
time nor the word count, both needed for dev F1 against time and for training words/s.
"""
import json
import time

import spacy


@spacy.registry.loggers("bench.TimedLogger.v1")
def timed_logger(output_file: str):
    console = spacy.registry.loggers.get("spacy.ConsoleLogger.v3")(progress_bar=None)

    def setup(nlp, stdout, stderr):
        log_step, finalize = console(nlp, stdout, stderr)
        stream = open(output_file, "a", encoding="utf-8")

        def step(info):
            if info is not None:
                scores = info["other_scores"]
                stream.write(json.dumps({
                    "time": time.time(), "epoch": info["epoch"], "step": info["step"],
                    "words": info["words"], "score": float(info["score"]),
                    "ents_f": float(scores.get("ents_f", 0.0)), "ents_p": float(scores.get("ents_p", 0.0)),
                    "ents_r": float(scores.get("ents_r", 0.0)),
                    "speed": float(scores.get("speed", 0.0))}) + "\n")
                stream.flush()  # the run may be stopped at its time budget; keep every record
            log_step(info)

        def close():
            stream.close()
            finalize()

        return step, close

    return setup
