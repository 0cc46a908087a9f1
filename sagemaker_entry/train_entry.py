"""SageMaker script-mode entry point: ``TensorFlow(entry_point="train_entry.py", source_dir=<staged folder>,
...)`` with the folder ``make sagemaker-source`` (``ner_tagger.sagemaker.source``) stages: this file, the
``ner_tagger`` package and the wheels ``requirements.txt`` installs with no index.

The toolkit runs ``python train_entry.py --<hyperparameter> <value> ... --model_dir s3://...`` from
``/opt/ml/code``, where the SDK unpacked that folder. All the logic lives in :mod:`ner_tagger.sagemaker.script_mode`
so it is tested with the package.
"""
import sys

from ner_tagger.sagemaker.script_mode import main

if __name__ == "__main__":
    sys.exit(main())
