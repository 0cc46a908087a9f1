"""Shared command-line plumbing: logging set-up and turning our errors into clean exits."""
import functools
import logging
import sys

from ner_tagger import quiet_tensorflow
from ner_tagger.errors import NerTaggerError
from ner_tagger.job import failure

# Every command line (train, evaluate, predict, the SageMaker and container entry points) imports this
# module before TensorFlow; the package itself no longer sets this at import.
quiet_tensorflow()


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr, force=True)
    import tensorflow as tf

    tf.get_logger().setLevel(logging.INFO if verbose else logging.ERROR)
    logging.getLogger("absl").setLevel(logging.INFO if verbose else logging.WARNING)
    if not verbose:
        import warnings

        warnings.filterwarnings("ignore")


def exits_cleanly(main):
    """Errors about the user's input print one line and exit 2 (:mod:`ner_tagger.job.failure`'s map); anything
    else keeps its traceback."""
    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            return main(argv)
        except NerTaggerError as err:
            print(f"error: {failure.reason(err)}", file=sys.stderr)
            return failure.exit_code(err)
    return wrapper
