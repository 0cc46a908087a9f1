"""Moved to :mod:`ner_tagger.opt_ml` (one reader of ``/opt/ml`` for script mode and BYOC); kept for
:mod:`ner_tagger.container.serve`, which still imports it from here."""
from ner_tagger.opt_ml import MLPaths, has_saved_model

__all__ = ["MLPaths", "has_saved_model"]
