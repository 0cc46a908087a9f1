"""The float64 reference that benchmarks/crf_precision.py holds exports to, against exhaustive search."""
import itertools

import numpy as np

from benchmarks.crf_precision import forward_backward


def test_the_float64_reference_matches_exhaustive_search():
    rng = np.random.default_rng(5)
    unary, transitions = rng.normal(size=(4, 3)) * 3, rng.normal(size=(3, 3))
    paths = list(itertools.product(range(3), repeat=4))
    scores = np.array([unary[np.arange(4), p].sum() + transitions[p[:-1], p[1:]].sum()
                       for p in map(np.array, paths)])
    log_z = np.logaddexp.reduce(scores)
    expected = np.zeros_like(unary)
    for path, score in zip(paths, scores):
        expected[np.arange(4), path] += np.exp(score - log_z)
    marginals, got_log_z = forward_backward(unary, transitions)
    np.testing.assert_allclose(marginals, expected, rtol=1e-10)
    assert abs(got_log_z - log_z) < 1e-10
