"""CoNLL reading for the benchmark (``ner_tagger.corpus.conll``'s), and the file spaCy's ``ner`` converter can read.

The spaCy side runs in .venv-bench, which does not install ner_tagger; it imports ``ner_tagger.corpus.conll`` from
the source tree (the sides run with the repository root as working directory), which needs only the
standard library: importing ``ner_tagger`` does not import TensorFlow.
"""
from typing import List, Sequence, Tuple

from ner_tagger.corpus import conll

Sentence = Tuple[List[str], List[str]]


def read_conll(path: str) -> List[Sentence]:
    """``(words, tags)`` per sentence, tags in IOB2 (see :func:`ner_tagger.corpus.conll.read_conll`)."""
    return [(list(s.tokens), list(s.tags)) for s in conll.read_conll(path)]


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
