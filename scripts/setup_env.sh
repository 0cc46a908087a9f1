# Sourced by main.sh and test.sh: a virtual environment in .venv with the package installed (editable).
# EXTRAS picks the setup.py extras ("" or "test"). PYTHON picks the interpreter (3.9-3.11).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv}"
if ! "$PYTHON" -c 'import sys; sys.exit(not (3, 9) <= sys.version_info[:2] <= (3, 11))'; then
  echo "error: $PYTHON is $("$PYTHON" -V 2>&1); TensorFlow 2.13-2.15 needs Python 3.9-3.11 (set PYTHON=...)" >&2
  exit 1
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e "$ROOT${EXTRAS:+[$EXTRAS]}"
PY="$VENV/bin/python"
