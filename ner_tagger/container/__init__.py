"""Bring-your-own-container support: the SageMaker ``/opt/ml`` contract behind ``train`` and ``serve``.

SageMaker runs a custom image as ``docker run <image> train`` for a training job and ``docker run <image>
serve`` for an endpoint. The executables in ``container/`` are thin shell wrappers around
:mod:`ner_tagger.container.byoc_train` and :mod:`ner_tagger.container.serve`; every path they touch comes
from :mod:`ner_tagger.sagemaker.environment` (the ``/opt/ml`` model script mode reads too), so the whole contract can be
exercised without Docker by pointing ``NER_TAGGER_ML_ROOT`` at a copy of ``test_dir/``.

Modules: ``byoc_train`` (``train``: ``/opt/ml/input/config`` -> :func:`ner_tagger.job.runner.run`),
``distributed`` (several hosts: ``TF_CONFIG`` and the ps), ``serve`` (settings, then exec of gunicorn) and
``wsgi`` (the per-worker model). What they read of ``/opt/ml`` is :mod:`ner_tagger.sagemaker.environment`'s
and :mod:`ner_tagger.sagemaker.hyperparameters`'; the HTTP contract is :mod:`ner_tagger.serving.app`'s. The
gunicorn master imports none of the serving modules: ``serve`` replaces itself with a fresh gunicorn process,
and only the workers import ``wsgi`` (and TensorFlow).
"""
