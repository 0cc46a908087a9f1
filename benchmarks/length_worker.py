"""One side's model behind a pipe, so a driver can time both sides in turns (benchmarks/by_length.py).

    python -m benchmarks.length_worker ner_tagger EXPORT      (ner_tagger's venv)
    python -m benchmarks.length_worker spacy MODEL_DIR        (.venv-bench)

Reads one JSON request a line on stdin, writes one JSON answer a line on stdout:

- ``{"op": "latency", "sentences": [[words]...], "scores": true}`` -> ``{"ms": [...], "cpu_ms": c}``: each
  sentence tagged alone, timed here (the pipe is outside the timing), after three untimed calls at that
  length; ``cpu_ms``: the process's CPU time a sentence (all threads);
- ``{"op": "batch", "sentences": [...], "batch_size": 128, "scores": true}`` -> ``{"seconds": s,
  "cpu_seconds": c}``: the whole list in batches, one timed pass;
- ``{"op": "tags", "sentences": [...]}`` -> ``{"tags": [[...]...]}``: the answers, for checks.

ner_tagger answers with ``Predictor.predict_tokens`` (``scores`` picks the full or the tags-only signature);
spaCy with ``nlp(Doc(words))`` one at a time and ``nlp.pipe`` in batches (Docs built from the words inside
the timing, as ner_tagger's padding is); spaCy's ``ner`` has no per-token scores, so ``scores`` changes
nothing on its side.
"""
import argparse
import json
import os
import sys
import time

WARMUP = 3


class TaggerSide:
    def __init__(self, model: str, intra_op_threads: int = 0, inter_op_threads: int = 0):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        from ner_tagger.serving.exported_model import Predictor

        # The session takes its pools from the process, as in `serve` (NER_TAGGER_TF_THREADS); 0: TF's default.
        if intra_op_threads:
            tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads)
        if inter_op_threads:
            tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)

        self.predictor = Predictor.load(model)

    def one(self, words, scores):
        return self.predictor.predict_tokens([words], scores=scores)

    def many(self, sentences, batch_size, scores):
        self.predictor.batch_size = batch_size
        return self.predictor.predict_tokens(sentences, scores=scores)

    def tags(self, sentences):
        return [a["tags"] for a in self.many(sentences, 128, False)]


class SpacySide:
    def __init__(self, model: str, intra_op_threads: int = 0, inter_op_threads: int = 0):
        import spacy
        from spacy.tokens import Doc

        self.nlp, self._doc = spacy.load(model), Doc

    def one(self, words, scores):
        return self.nlp(self._doc(self.nlp.vocab, words=words))

    def many(self, sentences, batch_size, scores):
        docs = (self._doc(self.nlp.vocab, words=words) for words in sentences)
        return list(self.nlp.pipe(docs, batch_size=batch_size))

    def tags(self, sentences):
        from benchmarks.conll_io import iob2_from_spacy

        return [iob2_from_spacy([(t.ent_iob_, t.ent_type_) for t in doc]) for doc in self.many(sentences, 128, False)]


def handle(side, request):
    op, sentences, scores = request["op"], request["sentences"], request.get("scores", True)
    if op == "latency":
        for words in sentences[:WARMUP]:
            side.one(words, scores)
        samples = []
        cpu = time.process_time()
        for words in sentences:
            started = time.perf_counter()
            side.one(words, scores)
            samples.append((time.perf_counter() - started) * 1000)
        # The process's CPU time (all its threads) a sentence: less moved by neighbours than wall time.
        return {"ms": samples, "cpu_ms": (time.process_time() - cpu) * 1000 / max(1, len(sentences))}
    if op == "batch":
        started, cpu = time.perf_counter(), time.process_time()
        side.many(sentences, request.get("batch_size", 128), scores)
        return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu}
    if op == "tags":
        return {"tags": side.tags(sentences)}
    raise ValueError(f"unknown op {op!r}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("side", choices=["ner_tagger", "spacy"])
    parser.add_argument("model")
    parser.add_argument("--intra_op_threads", type=int, default=0, help="ner_tagger: TF intra-op pool; 0: default")
    parser.add_argument("--inter_op_threads", type=int, default=0, help="ner_tagger: TF inter-op pool; 0: default")
    args = parser.parse_args(argv)
    side = (TaggerSide if args.side == "ner_tagger" else SpacySide)(args.model, args.intra_op_threads,
                                                                      args.inter_op_threads)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the pipe
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if line.strip():
            out.write(json.dumps(handle(side, json.loads(line))) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
