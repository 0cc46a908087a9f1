"""The model: the four estimator functions (``model_fn``, ``train_input_fn``, ``eval_input_fn``,
``serving_input_fn``), the layers and the CRF, the in-graph tokenizer and the entity-level metrics.
Everything here imports TensorFlow; :mod:`ner_tagger` exports the four functions lazily.
"""
