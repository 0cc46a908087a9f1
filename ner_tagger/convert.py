"""``python -m ner_tagger.convert``: between CoNLL and JSON lines with character offsets.

- to CoNLL (``token<TAB>tag``, IOB2) from a Ground Truth manifest, JSONL with spans, or ``predict``'s output
  (its ``tokens`` and ``tags`` are used as they are); text is tokenized as for training
  (``--offsets_tokenizer``), and entities off token boundaries are dropped and reported
  (``--span_mismatch error`` stops instead).
- to JSONL (``{"text": ..., "entities": [[start, end, label], ...]}``) from CoNLL (the text is the tokens
  joined by single spaces), from a manifest, or from ``predict``'s output (its text and entity offsets).

The format of the input is detected (``--from`` overrides); the output's is ``--to``, else its suffix
(``.jsonl``/``.json`` -> JSONL, anything else -> CoNLL). The output appears whole or not at all: it is
written to a temporary file beside it and renamed.
"""
import argparse
import json
import logging
import os
import sys
import tempfile
from typing import Iterable, Iterator

from ner_tagger.cli import exits_cleanly
from ner_tagger.corpus import formats, json_records, offsets
from ner_tagger.hparams import OFFSETS_TOKENIZERS, SPAN_MISMATCH, TAG_SCHEMES, HParams


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m ner_tagger.convert", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="CoNLL, Ground Truth manifest, JSONL with spans, or predict's JSONL.")
    parser.add_argument("output", help="File to write (replaced atomically).")
    parser.add_argument("--from", dest="source", default="auto", choices=("auto",) + formats.FORMATS,
                        help="Input format (predict's output is jsonl). Default: detected.")
    parser.add_argument("--to", choices=("conll", "jsonl"), help="Output format. Default: from the suffix.")
    parser.add_argument("--tag_scheme", default="auto", choices=TAG_SCHEMES, help="CoNLL input's tag scheme.")
    parser.add_argument("--label_attribute", default="", help="Ground Truth label attribute (default: the one).")
    parser.add_argument("--span_mismatch", default="drop", choices=SPAN_MISMATCH,
                        help="Entities off token boundaries: drop (and report) or stop with an error.")
    parser.add_argument("--offsets_tokenizer", default="text_signature", choices=OFFSETS_TOKENIZERS,
                        help="How text is split into tokens for CoNLL output.")
    return parser


def output_format(path: str, requested: str = None) -> str:
    if requested:
        return requested
    return "jsonl" if path.lower().endswith((".jsonl", ".json")) else "conll"


def conll_lines(path: str, hp: HParams, source: str) -> Iterator[str]:
    for sentence in formats.iter_sentences(path, hp, source):
        for token, tag in zip(sentence.tokens, sentence.tags):
            yield f"{token}\t{tag}\n"
        yield "\n"


def jsonl_lines(path: str, hp: HParams, source: str) -> Iterator[str]:
    source = formats.detect(path) if source == "auto" else source
    for record in (_records_from_conll(path, hp) if source == "conll" else _records_from_json(path, hp, source)):
        yield json.dumps(record, ensure_ascii=False) + "\n"


def _records_from_conll(path: str, hp: HParams) -> Iterator[dict]:
    for sentence in formats.iter_sentences(path, hp, "conll"):
        yield offsets.entity_offsets(sentence.tokens, sentence.tags)


def _records_from_json(path: str, hp: HParams, source: str) -> Iterator[dict]:
    """Text and entity offsets as the records hold them (checked, never re-tokenized: nothing is lost)."""
    attribute = hp.label_attribute
    for place, record in json_records.iter_records(path):
        text, entities, attribute = json_records.offsets_record(record, source == "manifest", attribute, place)
        ordered = offsets.checked(text, entities, place)
        yield {"text": text, "entities": [[e.start, e.end, e.label] for e in ordered]}


def write_atomically(path: str, lines: Iterable[str]) -> int:
    """Write ``lines`` to ``path`` through a temporary file renamed at the end; on any error the temporary
    file goes and ``path`` is untouched. Returns the number of lines."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            for line in lines:
                fh.write(line)
                count += 1
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return count


@exits_cleanly
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    # No TensorFlow here (cli.setup_logging would import it): converting is text work.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr, force=True)
    hp = HParams(tag_scheme=args.tag_scheme, tag_encoding="iob2", label_attribute=args.label_attribute,
                 span_mismatch=args.span_mismatch, offsets_tokenizer=args.offsets_tokenizer)
    target = output_format(args.output, args.to)
    lines = (conll_lines if target == "conll" else jsonl_lines)(args.input, hp, args.source)
    count = write_atomically(args.output, lines)
    print(f"convert: wrote {args.output} ({target}, {count} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
