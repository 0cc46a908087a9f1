"""A request's time budget: a slow request is answered with a clear error before the server gives up on it.

Each endpoint sits behind a timeout it does not control the effect of: gunicorn kills a worker that has been
busy past ``--timeout`` (the client sees a dropped connection, the worker reloads its model), nginx answers
504 past ``proxy_read_timeout``, SageMaker ends a real-time invocation at 60 s and a transform invocation at
the job's ``InvocationsTimeoutInSeconds`` (600 s by default). The handler predicts in chunks and checks
its :class:`Deadline` before each: when the time left would not cover another chunk as long as the last,
it stops and raises :class:`DeadlineExceeded`, which the endpoint answers as an error naming the setting to
change, while the worker lives on.

The budget (:func:`budget`) is the server's own timeout, read from the variable the server reads with the
server's default, less a margin for answering: 10%, at least 1 s. A real-time endpoint (no
``SAGEMAKER_BATCH``) is also held to SageMaker's 60 s, whatever the server's timeout says.

Standard library only: shipped beside the TF Serving handler.
"""
import time
from typing import Callable, List, Optional, Sequence, TypeVar

from ner_tagger.serving.core import by_length
from ner_tagger.serving.payload import RequestError

T = TypeVar("T")
# SageMaker ends a real-time InvokeEndpoint after 60 s, whatever the container is still doing.
REALTIME_INVOCATION_S = 60


class DeadlineExceeded(RequestError):
    """The request would outlast the server's timeout: 503, the request may succeed smaller or later."""

    def __init__(self, message: str):
        super().__init__(503, message)


def budget(timeout_s: float, batch_transform: bool) -> float:
    """Seconds a request may spend predicting when the server's timeout is ``timeout_s``."""
    if not batch_transform:
        timeout_s = min(timeout_s, REALTIME_INVOCATION_S)
    return timeout_s - max(1.0, 0.1 * timeout_s)


class Deadline:
    """Started at construction; ``setting`` names what sets the budget (for the error message)."""

    def __init__(self, seconds: Optional[float], setting: str = "", clock: Callable[[], float] = time.monotonic):
        self.seconds, self.setting, self._clock = seconds, setting, clock
        self._start = clock()

    def remaining(self) -> float:
        if self.seconds is None:
            return float("inf")
        return self.seconds - (self._clock() - self._start)

    def check(self, needed: float, done: int, total: int) -> None:
        """Raise :class:`DeadlineExceeded` unless ``needed`` more seconds fit in the budget."""
        if self.remaining() <= needed:
            raise self.exceeded(done, total)

    def exceeded(self, done: int, total: int) -> DeadlineExceeded:
        elapsed = self._clock() - self._start
        return DeadlineExceeded(
            f"stopped after {elapsed:.1f} s with {done} of {total} sentences tagged: the rest would not finish "
            f"within this endpoint's {self.seconds:g} s budget per request ({self.setting}); send fewer or "
            f"shorter sentences per request, or raise that timeout")


def chunked(items: Sequence[T], size: int, predict: Callable[[List[T]], List[dict]],
            deadline: Deadline) -> List[dict]:
    """``predict(chunk)`` over chunks of ``size`` items of similar length (less padding), answers in input
    order, ``deadline`` checked before each chunk against the time the previous one took. A
    ``TimeoutError`` from ``predict`` (a model server that did not answer within ``deadline.remaining()``)
    is the deadline's too."""
    done, last = 0, 0.0

    def timed(chunk: List[T]) -> List[dict]:
        nonlocal done, last
        deadline.check(last, done, len(items))
        began = time.monotonic()
        try:
            answered = predict(chunk)
        except TimeoutError:
            raise deadline.exceeded(done, len(items)) from None
        done, last = done + len(chunk), time.monotonic() - began
        return answered

    return by_length(items, size, timed)
