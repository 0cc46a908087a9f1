"""How exact an export's answers are, and whether two exports give the same ones (docs/benchmark.md).

    .venv/bin/python scripts/benchmark.py crf_precision ner_tagger/datasets/wnut17/test.conll \
        before=EXPORT_A after=EXPORT_B

For each export, one sentence at a time over the test file's sentences (``--count``) and over 80-token
sentences made of consecutive test sentences: the export's per-token scores and sentence score against
a float64 forward-backward run on the export's own tag scores and transitions (the largest absolute
error of each), and, for every export after the first, how many sentences get other tags than the
first's, with and without scores. Prints one JSON object.
"""
import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks import conll_io, lengths  # noqa: E402


def forward_backward(unary, transitions):
    """Marginals ``[time, tags]`` and log Z of one sentence in float64 log space."""
    alpha, beta = np.zeros_like(unary), np.zeros_like(unary)
    alpha[0] = unary[0]
    for t in range(1, len(unary)):
        alpha[t] = unary[t] + np.logaddexp.reduce(alpha[t - 1][:, None] + transitions, axis=0)
    for t in range(len(unary) - 2, -1, -1):
        beta[t] = np.logaddexp.reduce(transitions + (unary[t + 1] + beta[t + 1])[None], axis=1)
    log_z = np.logaddexp.reduce(alpha[-1])
    return np.exp(alpha + beta - log_z), log_z


class _Probe:
    """One export's ``tokens_lengths`` signature with its tag scores and transitions fetched too."""

    def __init__(self, export_dir):
        from ner_tagger.serving import core
        from ner_tagger.serving.exported_model import Predictor

        self.predictor = Predictor.load(export_dir, batch_size=1)
        session = self.predictor._session
        self._padded = core.padded
        graph = session.graph
        transitions = [v for v in graph.get_collection("variables") if v.name.startswith("crf_transitions")]
        self.transitions = session.run(transitions[0]).astype(np.float64)
        signature = _signature(self.predictor.version_dir, "tokens_lengths")
        self._inputs = (signature.inputs["tokens"].name, signature.inputs["lengths"].name)
        self._fetch = ["tag_scores/BiasAdd:0", {k: v.name for k, v in signature.outputs.items()}]
        self._session = session

    def errors(self, words):
        tokens, lengths = self._padded([words])
        feed = dict(zip(self._inputs, (np.array(tokens, dtype=object), np.array(lengths, np.int32))))
        logits, out = self._session.run(self._fetch, feed)
        n = len(words)
        ids = out["tag_ids"][0, :n]
        marginals, log_z = forward_backward(logits[0, :n].astype(np.float64), self.transitions)
        path = logits[0, np.arange(n), ids].astype(np.float64).sum() + self.transitions[ids[:-1], ids[1:]].sum()
        return (float(np.abs(out["scores"][0, :n] - marginals[np.arange(n), ids]).max()),
                float(abs(out["sequence_score"][0] - np.exp(path - log_z))))


def _signature(version_dir, name):
    from tensorflow.core.protobuf import saved_model_pb2

    model = saved_model_pb2.SavedModel()
    with open(os.path.join(version_dir, "saved_model.pb"), "rb") as f:
        model.ParseFromString(f.read())
    return model.meta_graphs[0].signature_def[name]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("conll", help="test file: its words are the input")
    parser.add_argument("models", nargs="+", help="LABEL=EXPORT_DIR; the first is the reference for tags")
    parser.add_argument("--count", type=int, default=300, help="test sentences checked one at a time")
    args = parser.parse_args(argv)
    models = dict(m.split("=", 1) for m in args.models)
    sentences = [words for words, _ in conll_io.read_conll(args.conll)]
    long = lengths.at_length(sentences, 80, 20)
    report, reference = {}, None
    for label, export_dir in models.items():
        probe = _Probe(export_dir)
        figures = {}
        for name, batch in (("test", sentences[:args.count]), ("80 tokens", long)):
            errors = np.array([probe.errors(words) for words in batch])
            figures[name] = {"sentences": len(batch), "max_token_score_error": float(errors[:, 0].max()),
                             "max_sentence_score_error": float(errors[:, 1].max())}
        tags = {scores: [a["tags"] for a in probe.predictor.predict_tokens(sentences + long, scores=scores)]
                for scores in (True, False)}
        if reference is None:
            reference = tags
        else:
            figures["sentences_with_other_tags"] = {
                ("with scores" if scores else "tags only"): sum(a != b for a, b in zip(tags[scores], reference[scores]))
                for scores in (True, False)}
        report[label] = figures
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
