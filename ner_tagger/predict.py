"""``python -m ner_tagger.predict``: entities from raw text or tokens, as JSON lines.

Input: ``--text "..."`` (repeatable), or standard input / ``--input FILE`` with one sentence a line (or, with
``--tokens``, one JSON list of tokens a line). Output: one JSON object a sentence with ``text``, ``tokens``,
``tags``, ``score`` and ``entities`` (``type``, ``text``, ``start``, ``end`` character offsets, ``score``).
"""
import argparse
import json
import sys

from ner_tagger.cli import exits_cleanly, setup_logging
from ner_tagger.errors import DataError


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m ner_tagger.predict", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="Export folder (newest numeric version is used) or a version folder.")
    parser.add_argument("--text", action="append", help="A sentence to tag (repeatable).")
    parser.add_argument("--input", help="File with one sentence (or JSON token list) a line; default stdin.")
    parser.add_argument("--tokens", action="store_true", help="Input lines are JSON lists of tokens.")
    parser.add_argument("--batch_size", type=int, default=128, help="Sentences per model call.")
    return parser


def read_lines(args):
    if args.text:
        return args.text
    stream = open(args.input, encoding="utf-8") if args.input else sys.stdin
    with stream:
        return [line.rstrip("\n") for line in stream if line.strip()]


def parse_tokens(lines, source):
    batches = []
    for number, line in enumerate(lines, 1):
        try:
            tokens = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"not JSON: {err.msg}", source, number) from None
        if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
            raise DataError("expected a JSON list of non-empty strings", source, number)
        batches.append(tokens)
    return batches


@exits_cleanly
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging()
    from ner_tagger.exported_model import Predictor

    lines = read_lines(args)
    predictor = Predictor.load(args.model, batch_size=args.batch_size)
    if args.tokens:
        results = predictor.predict_tokens(parse_tokens(lines, args.input or "<stdin>"))
        texts = [" ".join(r["tokens"]) for r in results]
    else:
        results, texts = predictor.predict_text(lines), lines
    for text, result in zip(texts, results):
        print(json.dumps({"text": text, "tokens": result["tokens"], "tags": result["tags"],
                          "score": result["score"], "entities": result["entities"]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
