"""Using an exported model: the :class:`~ner_tagger.serving.exported_model.Predictor`, the TF-free serving
core every endpoint calls it through, the answer a sentence gets, and the HTTP contract of ``/invocations``
(request bodies, size limits, time budgets, Batch Transform's line bodies) shared by the bring-your-own
container's app and the TensorFlow Serving handler (``serving_entry/inference.py``, which ships the TF-free
modules here beside it).
"""
