#!/usr/bin/env bash
# On a machine with a CUDA GPU: the GPU, the cuDNN LSTM path (traced training step), then WNUT-17 trained with
# and without mixed precision, printing sentences/s and dev/test F1 of each (docs/gpu.md). A few minutes.
#   bash scripts/gpu_check.sh                 (EPOCHS=5 OUT=runs/gpu_check PYTHON=.venv/bin/python)
# Exits 2 with the reason when TensorFlow sees no GPU; nothing is trained then.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,utilization.gpu --format=csv
else
  echo "gpu_check: nvidia-smi not found (no NVIDIA driver on this machine?)" >&2
fi
cd "$ROOT"
exec "$PYTHON" scripts/gpu_check.py --out "${OUT:-$ROOT/runs/gpu_check}" --epochs "${EPOCHS:-5}" --python "$PYTHON" "$@"
