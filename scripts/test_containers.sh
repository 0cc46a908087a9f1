#!/usr/bin/env bash
# The container lane alone: the engine and the stand-in images (scripts/container_env.sh), then every test
# marked `container` (tests/support/container_lane.py is their harness). Arguments go to pytest, e.g. -k local_mode.
#   NER_TAGGER_SKIP_ENV=1   do not run scripts/container_env.sh (engine and images already there)
#   PY=/path/to/python      the interpreter with the test extras (default: .venv, created like scripts/test.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
if [[ "${NER_TAGGER_SKIP_ENV:-}" != 1 ]]; then
    if ! bash scripts/container_env.sh; then
        echo "[test_containers] !!! scripts/container_env.sh failed (above): the container tests will skip or fail" >&2
    fi
fi
if [[ -z "${PY:-}" ]]; then
    EXTRAS="test" source scripts/setup_env.sh
fi
# -rs: a lane that skips says why (no engine, an image missing) instead of passing quietly.
exec "$PY" -m pytest -q -rs -p no:cacheprovider -m container tests "$@"
