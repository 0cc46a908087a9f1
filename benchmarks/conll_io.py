"""Plain-Python CoNLL reading for the benchmark, and the file spaCy's ``ner`` converter can read.

No ner_tagger import: the spaCy side runs in .venv-bench, which does not have the package.
"""
from typing import Iterator, List, Sequence, Tuple

Sentence = Tuple[List[str], List[str]]


def read_conll(path: str) -> List[Sentence]:
    """``(words, tags)`` per sentence: first column the word, last the tag; TAB-separated if the line has
    a TAB, else whitespace (the same rule as ``ner_tagger.conll``); blank or whitespace-only lines end a
    sentence; ``-DOCSTART-`` lines are skipped."""
    with open(path, encoding="utf-8-sig") as fh:
        return list(_sentences(fh))


def _sentences(lines) -> Iterator[Sentence]:
    words, tags = [], []
    for line in lines:
        line = line.rstrip("\r\n")
        if not line.strip() or line.split(None, 1)[0] == "-DOCSTART-":
            if words:
                yield words, tags
            words, tags = [], []
            continue
        columns = line.split("\t") if "\t" in line else line.split()
        words.append(columns[0].strip())
        tags.append(columns[-1].strip())
    if words:
        yield words, tags


def spacy_safe(word: str) -> str:
    """The word with any whitespace inside it replaced by ``_``.

    spaCy's ``ner`` converter splits lines on any whitespace (``str.split()``), so a token holding e.g. a
    no-break space would shift the tag column. WNUT-17 has none; the replacement only guards other data.
    """
    return "_".join(word.split()) or "_"


def to_space_separated(sentences: Sequence[Sentence]) -> str:
    """``word tag`` lines with truly empty lines between sentences.

    Why not hand spaCy the original file: WNUT-17's train file ends sentences with a line holding a single
    TAB, which the converter (it splits sentences on ``"\\n\\n"``) would not see as a boundary.
    """
    blocks = ["\n".join(f"{spacy_safe(w)} {t}" for w, t in zip(words, tags)) for words, tags in sentences]
    return "\n\n".join(blocks) + "\n"


def iob2_from_spacy(pairs: Sequence[Tuple[str, str]]) -> List[str]:
    """IOB2 tags from spaCy's per-token ``(token.ent_iob_, token.ent_type_)``.

    spaCy reports ``"B"``, ``"I"``, ``"O"`` or ``""`` (no annotation, which a trained ``ner`` leaves only
    when it predicted nothing there: treated as ``O``). Its ``"I"`` after an ``O`` cannot occur in a
    consistent Doc, but is repaired to ``B`` so seqeval's strict readers never see it.
    """
    tags, previous = [], "O"
    for iob, kind in pairs:
        if iob not in ("B", "I") or not kind:
            tag = "O"
        elif iob == "I" and previous[2:] != kind:
            tag = f"B-{kind}"
        else:
            tag = f"{iob}-{kind}"
        tags.append(tag)
        previous = tag
    return tags
