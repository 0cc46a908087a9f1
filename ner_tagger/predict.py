"""``python -m ner_tagger.predict``: entities from raw text or tokens, for one sentence or a file of millions.

Input: ``--text "..."`` (repeatable), or ``--input FILE`` / standard input, read as it is tagged:

- ``--input_format text``: one sentence a line;
- ``--input_format jsonl``: one JSON record a line: a sentence (``"Alice met Bob"``), a token list
  (``["Alice", "met", "Bob"]``), ``{"text": ...}`` or ``{"tokens": [...]}`` (other keys, such as an id,
  are ignored). The default is jsonl for ``.jsonl``/``.ndjson`` files, else text; ``--tokens`` is jsonl.

Lines are split at ``\\n`` only and decoded as UTF-8 (a BOM is dropped). Blank lines, empty texts and empty
token lists are skipped: there is nothing to tag, and CoNLL has no way to write an empty sentence. Any bad
line stops the run with ``file:line: reason``.

Output: ``--output FILE`` (written beside it and renamed into place when complete, so an error leaves no
partial file and an older FILE untouched) or standard output:

- ``--output_format jsonl`` (default): one object a sentence with ``text``, ``tokens``, ``tags`` (IOB2),
  ``score`` and ``entities`` (``type``, ``text``, ``start``, ``end`` character offsets, ``score``);
- ``--output_format conll``: ``token<TAB>tag`` (IOB2) a line, a blank line after each sentence.

Records are read, tagged and written a chunk at a time (``--batch_size`` x 8 sentences, sorted by length
inside the chunk so batches pad little), so memory does not grow with the file. Progress (lines done, rate)
goes to stderr; ``--quiet`` hides it.
"""
import argparse
import contextlib
import itertools
import json
import os
import sys
import tempfile
from typing import Iterable, Iterator, Optional, Tuple

from ner_tagger.cli import exits_cleanly, setup_logging
from ner_tagger.errors import DataError
from ner_tagger.progress import Progress
from ner_tagger.serving.answers import Sentence, in_request_order

TEXT, JSONL, CONLL = "text", "jsonl", "conll"
JSONL_SUFFIXES = (".jsonl", ".ndjson")
# Sentences read ahead per model batch: more gives the length sort more to work with, at the cost of memory.
CHUNK_BATCHES = 8
Record = Tuple[int, Sentence]  # (line number, sentence)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m ner_tagger.predict", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="Export folder (newest numeric version is used) or a version folder.")
    parser.add_argument("--text", action="append", help="A sentence to tag (repeatable).")
    parser.add_argument("--input", help="File to tag, one record a line; default stdin.")
    parser.add_argument("--input_format", choices=(TEXT, JSONL),
                        help="text: a sentence a line; jsonl: a JSON record a line. Default: jsonl for "
                             ".jsonl/.ndjson files, else text.")
    parser.add_argument("--tokens", action="store_true", help="Same as --input_format jsonl.")
    parser.add_argument("--output", help="File to write (atomically); default stdout.")
    parser.add_argument("--output_format", choices=(JSONL, CONLL), default=JSONL,
                        help="jsonl: one answer a line (default); conll: token<TAB>IOB2 tag, blank line after "
                             "each sentence.")
    parser.add_argument("--batch_size", type=int, default=128, help="Sentences per model call.")
    parser.add_argument("--quiet", action="store_true", help="No progress line on stderr.")
    return parser


def input_format(args) -> str:
    if args.tokens:
        return JSONL
    if args.input_format:
        return args.input_format
    return JSONL if args.input and args.input.lower().endswith(JSONL_SUFFIXES) else TEXT


def read_records(raw_lines: Iterable[bytes], source: str, fmt: str) -> Iterator[Record]:
    """(line number, sentence) for each line of ``raw_lines`` with something to tag, lazily."""
    for number, raw in enumerate(raw_lines, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(f"not valid UTF-8 (byte {err.start})", source, number) from None
        if number == 1:
            line = line.lstrip("\ufeff")
        line = line.rstrip("\n").rstrip("\r")
        if not line.strip():
            continue
        sentence = line if fmt == TEXT else parse_record(line, source, number)
        if (sentence.strip() if isinstance(sentence, str) else sentence):
            yield number, sentence


def parse_record(line: str, source: str, number: int) -> Sentence:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"not JSON: {err.msg} (column {err.colno})", source, number) from None
    except (RecursionError, ValueError) as err:
        raise DataError(f"not JSON: {'nested too deeply' if isinstance(err, RecursionError) else err}", source,
                        number) from None
    if isinstance(value, dict):
        keys = {"text", "tokens"} & set(value)
        if len(keys) != 1:
            raise DataError("a record takes exactly one of 'text' or 'tokens'", source, number)
        key = keys.pop()
        value = value[key]
        if key == "text" and not isinstance(value, str):
            raise DataError("'text' must be a string", source, number)
        if key == "tokens" and not isinstance(value, list):
            raise DataError("'tokens' must be a list of non-empty strings", source, number)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(t, str) and t for t in value):
        return value
    raise DataError("expected a sentence, a list of non-empty token strings, or an object with 'text' or "
                    "'tokens'", source, number)


def tag(records: Iterable[Record], predictor, chunk: int) -> Iterator[Tuple[int, Sentence, dict]]:
    """(line number, sentence, answer) in input order, ``chunk`` records held at a time."""
    records = iter(records)
    while True:
        piece = list(itertools.islice(records, chunk))
        if not piece:
            return
        sentences = [sentence for _, sentence in piece]
        answers = in_request_order(sentences, predictor.predict_text, predictor.predict_tokens)
        for (number, sentence), answer in zip(piece, answers):
            yield number, sentence, answer


def as_jsonl(sentence: Sentence, answer: dict) -> str:
    text = sentence if isinstance(sentence, str) else " ".join(sentence)
    return json.dumps({"text": text, "tokens": answer["tokens"], "tags": answer["tags"], "score": answer["score"],
                       "entities": answer["entities"]}, ensure_ascii=False) + "\n"


def as_conll(answer: dict, source: str, number: int) -> str:
    for token in answer["tokens"]:
        if token != "".join(token.split()):
            raise DataError(f"token {token!r} holds whitespace, which CoNLL's columns cannot", source, number)
    return "".join(f"{token}\t{tag}\n" for token, tag in zip(answer["tokens"], answer["tags"])) + "\n"


@contextlib.contextmanager
def output_stream(path: Optional[str]):
    """Standard output, or a temporary file beside ``path`` renamed onto it once everything is written."""
    if not path:
        yield sys.stdout
        return
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, staged = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=folder)
    except OSError as err:
        raise DataError(f"cannot write the output: {err.strerror}", path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); the output gets the mode any new file of the user's would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staged, 0o666 & ~umask)
        os.replace(staged, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
        raise


@contextlib.contextmanager
def input_lines(path: Optional[str]):
    """Raw lines of ``path`` (stdin when None) and their count when cheap to know (a regular file)."""
    if not path:
        yield sys.stdin.buffer, None
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the caller is done with it
    except OSError as err:
        raise DataError(f"cannot read the input: {err.strerror}", path) from None
    with fh:
        total = sum(1 for _ in fh)
        fh.seek(0)
        yield fh, total


@exits_cleanly
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.batch_size < 1:
        raise DataError(f"--batch_size={args.batch_size}: must be >= 1")
    setup_logging()
    from ner_tagger.serving.exported_model import Predictor

    fmt, source = input_format(args), args.input or "<stdin>"
    with contextlib.ExitStack() as stack:
        if args.text:
            records, total, source = ((i, t) for i, t in enumerate(args.text, 1) if t.strip()), None, "--text"
        else:
            raw, total = stack.enter_context(input_lines(args.input))
            records = read_records(raw, source, fmt)
        predictor = Predictor.load(args.model, batch_size=args.batch_size)
        progress = None if args.quiet or args.text else Progress("predict", "lines", total)
        out = stack.enter_context(output_stream(args.output))
        done = 0
        for number, sentence, answer in tag(records, predictor, args.batch_size * CHUNK_BATCHES):
            conll = args.output_format == CONLL
            out.write(as_conll(answer, source, number) if conll else as_jsonl(sentence, answer))
            if progress:
                progress.update(number - done)
                done = number
        if progress:
            progress.update((total or done) - done)
            progress.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
