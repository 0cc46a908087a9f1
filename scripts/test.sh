#!/usr/bin/env bash
# The test suite on a fresh machine: install the package with its test extras, run pytest.
# Arguments go to pytest (e.g. -k end_to_end).
EXTRAS="test" source "$(dirname "$0")/setup_env.sh"
cd "$ROOT"
exec "$PY" -m pytest -q tests "$@"
