"""SageMaker script mode: what the managed TensorFlow training container expects of ``ner_tagger``.

The container (TF 2.14 DLC) runs ``sagemaker_tensorflow_container.training.main()`` (PyPI
``sagemaker-tensorflow-training``, on ``sagemaker-training``), which reads ``/opt/ml/input/config``, installs
``requirements.txt`` from the code directory and runs the entry point (``sagemaker_entry/train_entry.py``)
with every hyperparameter as ``--name value``. The modules here implement that contract, one job each:

- :mod:`.source`: stages the ``source_dir`` (entry point, this package, wheels, no-index requirements).
- :mod:`.script_mode`: the entry point's ``main``: the toolkit's flags and ``SM_*`` variables ->
  :func:`ner_tagger.job.runner.run`, through the job's catch-all (:func:`ner_tagger.job.runner.contained`).
- :mod:`.metric_definitions`: the ``metric_definitions`` regexes for the eval, final and progress lines
  (CloudWatch, HPO).
- :mod:`.launch`: SDK v2 ``TensorFlow`` estimator, tuner and endpoint from a JSON config
  (``scripts/launch_sagemaker.py``, ``configs/sagemaker.json``); :mod:`.launch_v3`: the same under SDK v3
  (``ModelTrainer``).

The endpoint's ``input_handler``/``output_handler`` live in ``serving_entry/inference.py``, standard library
only: the TensorFlow Serving container has neither ``ner_tagger`` nor, necessarily, TensorFlow in its Python.

What is not particular to script mode lives in the package core, shared with the bring-your-own container:
the ``/opt/ml`` tree and ``SM_*`` variables (:mod:`ner_tagger.sagemaker.environment`), the role ``TF_CONFIG`` gives a
process (:mod:`ner_tagger.job.cluster`), SIGTERM -> checkpoint (:mod:`ner_tagger.job.interruption`), exit codes and
the failure file (:mod:`ner_tagger.job.failure`).

Nothing here imports the SageMaker SDK or the toolkits at module level; the package works without them.
:mod:`.launch` and :mod:`.source` import no TensorFlow either: launching needs only the SDK.
"""
