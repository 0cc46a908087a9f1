"""A request's time budget (:mod:`ner_tagger.serving.deadline`), on a clock the test moves: no sleeps, no
timing asserts. The endpoints' use of it (a slow model, a slow TF Serving) is in tests/test_serving_app.py,
tests/test_serving_entry_inference.py and tests/test_reliability_serve.py."""
import types

import pytest

from ner_tagger.serving import deadline
from ner_tagger.serving.deadline import Deadline, DeadlineExceeded, budget, chunked
from ner_tagger.serving.payload import RequestError


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("timeout_s, batch_transform, expected", [
    (30, False, 27),     # the TF Serving container's default gunicorn timeout: 10% margin
    (5, False, 4),       # the margin is at least one second
    (120, False, 54),    # a real-time endpoint is also held to SageMaker's 60 s
    (600, True, 540),    # a transform job's default InvocationsTimeoutInSeconds
])
def test_the_budget_is_the_servers_timeout_less_a_margin(timeout_s, batch_transform, expected):
    assert budget(timeout_s, batch_transform) == expected


def test_remaining_counts_down_from_construction_and_check_refuses_what_does_not_fit():
    clock = Clock()
    limit = Deadline(10, "SAGEMAKER_MODEL_SERVER_TIMEOUT=12 less a margin", clock=clock)
    clock.now += 4
    assert limit.remaining() == 6
    limit.check(5.9, 3, 10)  # fits
    with pytest.raises(DeadlineExceeded) as err:
        limit.check(6, 3, 10)
    assert isinstance(err.value, RequestError) and err.value.status == 503
    assert str(err.value) == (
        "stopped after 4.0 s with 3 of 10 sentences tagged: the rest would not finish within this endpoint's "
        "10 s budget per request (SAGEMAKER_MODEL_SERVER_TIMEOUT=12 less a margin); send fewer or shorter "
        "sentences per request, or raise that timeout")


def test_no_budget_never_runs_out():
    clock = Clock()
    limit = Deadline(None, clock=clock)
    clock.now += 1e9
    assert limit.remaining() == float("inf")
    limit.check(1e9, 0, 1)


def _chunked_on(clock, monkeypatch, seconds, items, size, cost):
    """:func:`chunked` with ``predict`` taking ``cost`` seconds of ``clock`` a call (the function's own timing
    of a chunk reads the same clock); returns the answers and the chunks predict was given."""
    monkeypatch.setattr(deadline, "time", types.SimpleNamespace(monotonic=clock))
    calls = []

    def predict(chunk):
        calls.append(list(chunk))
        clock.now += cost
        return [{"text": item} for item in chunk]

    return chunked(items, size, predict, Deadline(seconds, "T=1", clock=clock)), calls


def test_chunks_are_of_similar_length_and_answers_in_input_order(monkeypatch):
    items = ["a b c", "a", "a b c d", "a b", "a b c d e"]
    answers, calls = _chunked_on(Clock(), monkeypatch, None, items, 2, cost=1)
    assert answers == [{"text": item} for item in items]
    assert calls == [["a", "a b"], ["a b c", "a b c d"], ["a b c d e"]]


def test_it_stops_when_the_time_left_would_not_cover_another_chunk_as_long_as_the_last(monkeypatch):
    # 4 s a chunk, 10 s of budget: before the third chunk 2 s are left, fewer than the last chunk took.
    with pytest.raises(DeadlineExceeded, match=r"stopped after 8\.0 s with 4 of 8 sentences tagged"):
        _chunked_on(Clock(), monkeypatch, 10, [f"s{i}" for i in range(8)], 2, cost=4)
    # 2 s a chunk: 4 s are left before the fourth chunk, more than the last took; all eight are tagged.
    answers, calls = _chunked_on(Clock(), monkeypatch, 10, [f"s{i}" for i in range(8)], 2, cost=2)
    assert len(calls) == 4 and len(answers) == 8


def test_a_model_server_timeout_is_the_deadlines_error(monkeypatch):
    done = []

    def predict(chunk):
        if done:
            raise TimeoutError("read timed out")
        done.extend(chunk)
        return [{} for _ in chunk]

    with pytest.raises(DeadlineExceeded, match="with 2 of 5 sentences tagged") as err:
        chunked(["a", "b", "c", "d", "e"], 2, predict, Deadline(30, "T=1"))
    assert err.value.__cause__ is None and err.value.__suppress_context__
