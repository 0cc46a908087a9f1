"""SageMaker script mode: what the managed TensorFlow training container expects of ``ner_tagger``.

The container (TF 2.14 DLC) runs ``sagemaker_tensorflow_container.training.main()`` (PyPI
``sagemaker-tensorflow-training``, on ``sagemaker-training``), which reads ``/opt/ml/input/config``, installs
``requirements.txt`` from the code directory and runs the entry point (``sagemaker_entry/train_entry.py``)
with every hyperparameter as ``--name value``. The modules here implement that contract, one job each:

- :mod:`.source`: stages the ``source_dir`` (entry point, this package, wheels, no-index requirements).

- :mod:`.environment`: the ``/opt/ml`` tree and the ``SM_*`` variables (``SAGEMAKER_BASE_DIR``-aware).
- :mod:`.entry`: the entry point's ``main``: flags -> :func:`ner_tagger.training.run`, failure file.
- :mod:`.distribution`: the role ``TF_CONFIG`` gives this process (parameter server; multi-worker mirrored
  is refused), and a worker's wait for the master.
- :mod:`.interruption`: SIGTERM (spot interruption, ``StopTrainingJob``) -> checkpoint, then exit.
- :mod:`.metrics`: ``metric_definitions`` regexes for the eval, final and progress lines (CloudWatch, HPO).
- :mod:`.launch`: SDK v2 ``TensorFlow`` estimator, tuner and endpoint from a JSON config
  (``scripts/launch_sagemaker.py``, ``configs/sagemaker.json``).

The endpoint's ``input_handler``/``output_handler`` live in ``serving_entry/inference.py``, standard library
only: the TensorFlow Serving container has neither ``ner_tagger`` nor, necessarily, TensorFlow in its Python.

Nothing here imports the SageMaker SDK or the toolkits at module level; the package works without them.
:mod:`.launch` and :mod:`.source` import no TensorFlow either: launching needs only the SDK.
"""
