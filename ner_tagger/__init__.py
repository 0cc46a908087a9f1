"""ner_tagger: a BiLSTM-CRF named-entity tagger as a tf.estimator framework script.

The public face is the four estimator functions; the CLIs are ``python -m ner_tagger.train``,
``ner_tagger.evaluate`` and ``ner_tagger.predict``.
"""
import os
import warnings

# TensorFlow's C++ start-up chatter (CUDA probing on CPU machines) and tensorflow-addons' end-of-life
# notice bury the training log; real failures still surface as Python exceptions.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", message=r"\s*TensorFlow Addons \(TFA\) has ended development")

from ner_tagger.input_fns import eval_input_fn, train_input_fn  # noqa: E402
from ner_tagger.model_fn import model_fn  # noqa: E402
from ner_tagger.serving import serving_input_fn  # noqa: E402

__all__ = ["model_fn", "train_input_fn", "eval_input_fn", "serving_input_fn"]
__version__ = "0.1.0"
