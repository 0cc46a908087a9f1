"""The ner_tagger vs spaCy benchmark behind ``scripts/benchmark.py`` (docs/benchmark.md).

Not part of the installed package: spaCy is never imported by ``ner_tagger``. Modules that a side's
subprocess imports (``conll_io``, ``timing``, ``spacy_side``, ``tagger_side``) import nothing from the other
side, so each runs in its own virtual environment; both may import ner_tagger's TF-free modules
(``ner_tagger.corpus.conll``) from the source tree.
"""
