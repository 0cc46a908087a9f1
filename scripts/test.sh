#!/usr/bin/env bash
# The test suite on a fresh machine: install the package with its test extras and the SageMaker training
# toolkits (see tests/requirements-toolkits.txt for why they go in without their pins), run pytest.
# Lint first (ruff, settings in pyproject.toml), then pytest on every core: pytest-xdist, one worker per core,
# each test file on one worker (tests/conftest.py groups them) so its module fixtures are built once, and all
# container tests on one worker (they share the Docker engine). Arguments go to pytest (e.g. -k end_to_end,
# or -n 0 for one process; the everyday fast lane is -m "not slow and not container").
EXTRAS="test" source "$(dirname "$0")/setup_env.sh"
cd "$ROOT"
"$PY" -m pip install --quiet -r tests/requirements-toolkits.txt
"$PY" -m pip install --quiet --no-deps sagemaker-training==4.8.3 sagemaker-tensorflow-training==20.4.1
"$PY" -m ruff check .
# --no-loadscope-reorder: pytest-xdist would otherwise hand out the files with the most tests first, which
# puts the one-test multi-process files (a parameter-server job, a SIGTERM-and-resume job) last, where they
# run alone; tests/conftest.py's order (the costliest files first) is what it then follows.
exec "$PY" -m pytest -q -n auto --dist loadgroup --no-loadscope-reorder tests "$@"
