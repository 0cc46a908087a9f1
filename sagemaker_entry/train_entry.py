"""SageMaker script-mode entry point: ``TensorFlow(entry_point="train_entry.py", source_dir="sagemaker_entry",
dependencies=["ner_tagger"], ...)``.

The toolkit runs ``python train_entry.py --<hyperparameter> <value> ... --model_dir s3://...`` from
``/opt/ml/code``, where the SDK unpacked this folder and the ``ner_tagger`` package beside it. All the logic
lives in :mod:`ner_tagger.sagemaker.entry` so it is tested with the package.
"""
import sys

from ner_tagger.sagemaker.entry import main

if __name__ == "__main__":
    sys.exit(main())
