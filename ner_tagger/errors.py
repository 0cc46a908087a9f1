"""Errors a user can act on: each names the file and line, or the key and value, at fault."""


class NerTaggerError(Exception):
    """Base class: anything raised on purpose by ner_tagger."""


class DataError(NerTaggerError, ValueError):
    """Bad training or evaluation data. The message starts with ``path:line:`` when a line is at fault."""

    def __init__(self, message, path=None, line=None):
        self.path, self.line, self.reason = path, line, message
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class HParamsError(NerTaggerError, ValueError):
    """A hyperparameter with an unknown name or a value outside its declared type or range."""


class ModelNotFoundError(NerTaggerError, FileNotFoundError):
    """A path given as a model holds no exported SavedModel version."""


class TrainingInterrupted(Exception):
    """SIGTERM stopped training after a checkpoint (:mod:`ner_tagger.job.interruption`); not an input error,
    so not a :class:`NerTaggerError`: the same job run again resumes."""

    def __init__(self, step, checkpoint):
        self.step, self.checkpoint = step, checkpoint
        super().__init__(f"interrupted by SIGTERM at step {step}; checkpoint {checkpoint or '(not chief)'}")
