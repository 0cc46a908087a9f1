"""``benchmarks/loadtest.py``'s pieces that decide what is sent and how a sweep is read. Its runs against a
real ``serve`` are tests/test_reliability_serve.py's (under load) and a benchmark (docs/benchmark.md)."""
import json

import pytest

from benchmarks import loadtest


def test_joined_sentences_keep_every_token_in_order():
    sentences = [["a"], ["b", "c"], ["d"], ["e", "f"], ["g"]]
    assert loadtest.joined(sentences, 2) == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert loadtest.joined(sentences, 1) == sentences


def test_words_are_counted_in_every_kind_of_body():
    sentences = [["Alice", "met", "Bob"], ["in", "Paris"]]
    requests = loadtest.build_requests(sentences, 3, seed=0, max_batch=1)
    assert [kind for kind, _ in requests] == ["application/json", "application/json", "text/plain; charset=utf-8"]
    for request in requests:
        first = json.loads(request[1])["instances"][0] if "json" in request[0] else request[1].decode()
        tokens = first if isinstance(first, list) else first.split()
        assert loadtest.words_in(request) == len(tokens)


def test_a_config_is_a_name_and_serve_variables():
    assert loadtest.parse_config("after") == ("after", {})
    assert loadtest.parse_config("w2:SAGEMAKER_MODEL_SERVER_WORKERS=2,NER_TAGGER_SERVE_THREADS=1") == (
        "w2", {"SAGEMAKER_MODEL_SERVER_WORKERS": "2", "NER_TAGGER_SERVE_THREADS": "1"})
    with pytest.raises(ValueError, match="'THREADS' is not VAR=VALUE"):
        loadtest.parse_config("w2:THREADS")
    with pytest.raises(ValueError, match="no name"):
        loadtest.parse_config(":A=1")


def test_bad_sweep_options_are_refused(capsys):
    with pytest.raises(SystemExit):
        loadtest.parse_args(["--url", "http://127.0.0.1:8080", "--config", "after"])
    assert "--config needs --model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        loadtest.parse_args(["--model", "m", "--config", "w:X"])
    assert "is not VAR=VALUE" in capsys.readouterr().err


def test_the_sweep_table_gives_the_median_and_range_over_rounds():
    def row(config, concurrency, rps, p50, rss, processes=2):
        return {"config": config, "concurrency": concurrency, "requests_per_s": rps, "words_per_s": rps * 10,
                "latency_ms": {"p50": p50, "p99": p50 * 2}, "rss_total_mib": rss, "processes": processes}

    rows = [row("before", 1, 10, 5, 1100, 3), row("after", 1, 20, 4, 590), row("before", 1, 30, 7, 1102, 3),
            row("after", 1, 22, 6, 592), row("before", 8, 40, 50, 1104, 3), row("after", 8, 80, 40, 600)]
    lines = loadtest.sweep_table(rows).splitlines()
    assert lines[2] == ("| before | 1 | 20.0 [10.0-30.0] | 200 [100-300] | 6.0 [5.0-7.0] | 12.0 [10.0-14.0] | "
                        "1101 [1100-1102] | 3 |")
    assert lines[3].startswith("| after | 1 | 21.0 [20.0-22.0] |") and lines[3].endswith("| 2 |")
    assert [line.split(" | ")[:2] for line in lines[4:]] == [["| before", "8"], ["| after", "8"]]
