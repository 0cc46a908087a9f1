"""ner_tagger: a BiLSTM-CRF named-entity tagger as a tf.estimator framework script.

The public face is the four estimator functions; the CLIs are ``python -m ner_tagger.train``,
``ner_tagger.evaluate`` and ``ner_tagger.predict``.

Importing the package does not import TensorFlow: the four functions load on first access (PEP 562 module
``__getattr__``), so ``from ner_tagger import model_fn`` works as before while the SageMaker launcher
(``ner_tagger.sagemaker.launch``) runs on a machine that has only the SageMaker SDK.
"""
import importlib
import os
import sys
import types
import warnings

__all__ = ["model_fn", "train_input_fn", "eval_input_fn", "serving_input_fn"]
__version__ = "0.1.0"

_PUBLIC = {"model_fn": "ner_tagger.model.model_fn", "train_input_fn": "ner_tagger.model.input_fns",
           "eval_input_fn": "ner_tagger.model.input_fns", "serving_input_fn": "ner_tagger.model.signatures"}


def quiet_tensorflow() -> None:
    """Call before TensorFlow is imported by our own entry points (CLIs, the public functions).

    TensorFlow's C++ start-up chatter (CUDA probing on CPU machines) and tensorflow-addons' end-of-life
    notice bury the training log; real failures still surface as Python exceptions. Not done at package
    import: a program that merely imports the package (the launcher, a user's own code) keeps its settings.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", message=r"\s*TensorFlow Addons \(TFA\) has ended development")


def __getattr__(name):
    if name in _PUBLIC:
        quiet_tensorflow()
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value  # later accesses skip this hook
        return value
    raise AttributeError(f"module 'ner_tagger' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_PUBLIC))


class _Package(types.ModuleType):
    """Keeps ``ner_tagger.model.model_fn`` the function. Importing the submodule ``ner_tagger.model.model_fn`` makes the
    import system bind the submodule as the package attribute of the same name (done after the submodule
    ran); the eager ``from ner_tagger.model.model_fn import model_fn`` used to rebind it, so the function stays."""

    def __setattr__(self, name, value):
        if name in _PUBLIC and isinstance(value, types.ModuleType) and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
