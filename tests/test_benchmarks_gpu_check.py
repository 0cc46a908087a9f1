"""benchmarks/gpu_check.py on a machine without a GPU: the refusal, and the parts that run anywhere."""
import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.slow  # TensorFlow in a subprocess and a traced training step


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", os.path.join(ROOT, "benchmarks", "gpu_check.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_visible_gpu_it_stops_with_code_2_and_says_why(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "gpu_check.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "gpu_check: no GPU:" in done.stderr and "Nothing was trained" in done.stderr
    assert not (tmp_path / "float32").exists()


def test_the_traced_step_names_the_kernels_it_ran_and_on_a_cpu_no_cudnn(tmp_path):
    import tensorflow as tf

    gpu_check = _module()
    kernels = gpu_check.lstm_kernels(tf, str(tmp_path))
    assert {"BiasAdd", "AssignVariableOp"} <= kernels, sorted(kernels)[:40]
    assert not set(gpu_check.CUDNN_OPS) & kernels


def test_steady_speed_reads_the_progress_lines():
    lines = "\n".join(f"09:00:{i:02d} train: step={50 * i}/500 epoch=0.{i} loss=1.0 sentences/s={rate} "
                      f"tokens/s={rate * 18} eta=0m01s" for i, rate in enumerate([10, 20, 300, 310, 320], 1))
    assert _module().steady_speed(lines)["sentences_per_s"] == 310
