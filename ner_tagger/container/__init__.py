"""Bring-your-own-container support: the SageMaker ``/opt/ml`` contract behind ``train`` and ``serve``.

SageMaker runs a custom image as ``docker run <image> train`` for a training job and ``docker run <image>
serve`` for an endpoint. The executables in ``container/`` are thin shell wrappers around
:mod:`ner_tagger.container.trainer` and :mod:`ner_tagger.container.serve`; every path they touch comes from
:mod:`ner_tagger.container.paths`, so the whole contract can be exercised without Docker by pointing
``NER_TAGGER_ML_ROOT`` at a copy of ``test_dir/``.

Modules: ``paths`` (the layout), ``hyperparameters`` and ``environment`` (what SageMaker writes into
``input/config``), ``distributed`` (several hosts), ``redaction`` (secrets out of the failure file),
``trainer`` (``train``), ``payload`` and ``app`` (the HTTP contract, no TensorFlow), ``serve`` (settings, then
exec of gunicorn) and ``wsgi`` (the per-worker model). The gunicorn master imports none of them: ``serve``
replaces itself with a fresh gunicorn process, and only the workers import ``wsgi`` (and TensorFlow).
"""
