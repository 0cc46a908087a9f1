"""``python -m ner_tagger.evaluate``: score an exported model on a labelled file (seqeval, entity level).

The file is CoNLL, a Ground Truth manifest or JSONL with character offsets (:mod:`ner_tagger.corpus.formats`).

Prints seqeval's report (overall and per type); ``--json`` writes the same figures as JSON and
``--predictions`` writes the file back with a third column of predicted tags (IOB2).
"""
import argparse
import sys

from ner_tagger.cli import exits_cleanly, setup_logging
from ner_tagger.hparams import TAG_SCHEMES


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m ner_tagger.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="Export folder (newest numeric version is used) or a version folder.")
    parser.add_argument("conll", help="File with gold tags: CoNLL (token first column, tag last), a Ground Truth "
                                      "manifest or JSONL with character offsets.")
    parser.add_argument("--tag_scheme", default="auto", choices=TAG_SCHEMES, help="Scheme of the file.")
    parser.add_argument("--label_attribute", default="", help="Ground Truth label attribute (default: the one).")
    parser.add_argument("--json", help="Also write the figures to this JSON file.")
    parser.add_argument("--predictions", help="Write token, gold tag, predicted tag (CoNLL) here.")
    parser.add_argument("--batch_size", type=int, default=128, help="Sentences per model call.")
    return parser


def evaluate(model: str, conll_path: str, tag_scheme: str = "auto", batch_size: int = 128,
             label_attribute: str = ""):
    """Return ``(report, seqeval_text, sentences, predicted_tags)`` for ``conll_path``."""
    from seqeval.metrics import classification_report

    from ner_tagger.corpus import formats
    from ner_tagger.hparams import HParams
    from ner_tagger.job.report import score_export

    hp = HParams(tag_scheme=tag_scheme, tag_encoding="iob2", label_attribute=label_attribute)
    sentences = formats.read_sentences(conll_path, hp)
    report, gold, predicted = score_export(model, sentences, "iob2", batch_size)
    text = classification_report(gold, predicted, digits=4, zero_division=0)
    return report, text, sentences, predicted


@exits_cleanly
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging()
    report, text, sentences, predicted = evaluate(args.model, args.conll, args.tag_scheme, args.batch_size,
                                                  args.label_attribute)
    print(text)
    from ner_tagger.job.report import summary

    print(f"overall: {summary(report)} sentences={len(sentences)}")
    if args.json:
        from ner_tagger.job.report import write_json

        write_json(args.json, report)
    if args.predictions:
        from ner_tagger.corpus.conll import write_conll

        write_conll(args.predictions, sentences, predicted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
