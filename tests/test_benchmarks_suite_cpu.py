"""benchmarks/suite_cpu.py: CPU per test file from the suite's CPU log, and the cost table tests/conftest.py
hands files out by."""
import importlib.util
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Loaded from its path: on sys.path its name would be this test module's.
_SPEC = importlib.util.spec_from_file_location("cpu_table_script", os.path.join(ROOT, "benchmarks", "suite_cpu.py"))
test_cpu_table = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(test_cpu_table)


def test_costs_are_summed_per_file_and_written_costliest_first(tmp_path, capsys):
    log = tmp_path / "run.cpu"
    log.write_text("tests/test_a.py::test_one\t1.25\ntests/test_b.py::test_x[1]\t7.0\n"
                   "tests/test_a.py::test_two\t2.5\n")
    costs = tmp_path / "costs.json"
    assert test_cpu_table.main([str(log), "--write-costs", str(costs)]) == 0
    written = json.loads(costs.read_text())
    assert written == {"test_b.py": 7.0, "test_a.py": 3.8} and list(written) == ["test_b.py", "test_a.py"]
    assert "| `test_a.py` | 2 | 4 |" in capsys.readouterr().out


def test_a_malformed_log_line_names_file_and_line(tmp_path):
    log = tmp_path / "run.cpu"
    log.write_text("tests/test_a.py::test_one\t1.0\ntests/test_a.py::test_two no-tab\n")
    with pytest.raises(SystemExit, match=r"run\.cpu:2: expected 'nodeid<TAB>seconds'"):
        test_cpu_table.main([str(log)])


def test_the_cost_table_names_only_test_files_that_exist():
    """A renamed or deleted file would keep a stale entry: refresh the table (see benchmarks/suite_cpu.py)
    or drop the entry."""
    with open(os.path.join(ROOT, "tests", "file_costs.json"), encoding="utf-8") as fh:
        costs = json.load(fh)
    missing = [name for name in costs if not os.path.isfile(os.path.join(ROOT, "tests", name))]
    assert not missing
    assert all(isinstance(v, (int, float)) and v >= 0 for v in costs.values())
