"""``serve`` as a child process (the tests', the load test's and the benchmark's one implementation); the
runs that serve a real model are in test_container_end_to_end.py and test_reliability_serve.py."""
import pytest

from ner_tagger.serving import local_server


def test_free_ports_are_distinct_and_nobody_answers_there():
    ports = local_server.free_ports(4)
    assert len(set(ports)) == 4
    assert not local_server.ping(f"http://127.0.0.1:{ports[0]}", timeout=1)


def test_a_serve_that_exits_is_reported_with_its_log(tmp_path):
    server = local_server.ServeProcess(str(tmp_path), workers=1)  # no model: serve refuses, exit 2
    try:
        with pytest.raises(RuntimeError, match="serve exited with 2") as err:
            server.wait_ready(timeout=60)
        assert "no SavedModel" in str(err.value)
    finally:
        server.stop()
    assert server.log.closed and (tmp_path / "serve.log").read_text().startswith("error:")
