"""SageMaker script-mode entry point: ``TensorFlow(entry_point="train_entry.py", source_dir=<staged folder>,
...)`` with the folder ``make sagemaker-source`` (``ner_tagger.sagemaker.source``) stages: this file, the
``ner_tagger`` package and the wheels ``requirements.txt`` installs with no index.

Under SDK v2 the TensorFlow toolkit runs ``python train_entry.py --<hyperparameter> <value> ...`` from
``/opt/ml/code``, where it unpacked that folder (the launcher passes ``model_dir=False``, so no ``--model_dir``
comes, except the toolkit's own in a tuning trial); under SDK v3 the ``ModelTrainer`` driver runs it from
``/opt/ml/input/data/code``. All the logic lives in :mod:`ner_tagger.sagemaker.script_mode` so it is tested
with the package.
"""
import sys

from ner_tagger.sagemaker.script_mode import main

if __name__ == "__main__":
    sys.exit(main())
