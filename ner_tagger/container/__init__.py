"""Bring-your-own-container support: the SageMaker ``/opt/ml`` contract behind ``train`` and ``serve``.

SageMaker runs a custom image as ``docker run <image> train`` for a training job and ``docker run <image>
serve`` for an endpoint. The executables in ``container/`` are thin shell wrappers around
:mod:`ner_tagger.container.byoc_train` and :mod:`ner_tagger.container.serve`; every path they touch comes
from :mod:`ner_tagger.opt_ml` (the ``/opt/ml`` model script mode reads too), so the whole contract can be
exercised without Docker by pointing ``NER_TAGGER_ML_ROOT`` at a copy of ``test_dir/``.

Modules: ``hyperparameters`` and ``environment`` (what SageMaker writes into ``input/config``),
``distributed`` (several hosts: ``TF_CONFIG`` and the ps), ``byoc_train`` (``train``: those settings ->
:func:`ner_tagger.job.run`), ``payload`` and ``app`` (the HTTP contract, no TensorFlow), ``serve`` (settings,
then exec of gunicorn) and ``wsgi`` (the per-worker model). The gunicorn master imports none of them: ``serve``
replaces itself with a fresh gunicorn process, and only the workers import ``wsgi`` (and TensorFlow).
"""
