"""The GPU check behind ``scripts/benchmark.py gpu_check`` (docs/gpu.md): the device, the cuDNN LSTM path, and WNUT-17
trained with and without mixed precision.

    .venv/bin/python scripts/benchmark.py gpu_check --out runs/gpu_check [--epochs 5] [--cpu_dry_run]

Stops with exit code 2 and says why when TensorFlow sees no GPU. ``--cpu_dry_run`` skips that refusal (and
the cuDNN verdict) so the rest can be exercised on a CPU machine; its figures mean nothing for a GPU.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks import logparse  # noqa: E402

NO_GPU = 2
CUDNN_OPS = ("CudnnRNN", "CudnnRNNV2", "CudnnRNNV3")


def describe_gpus(tf) -> list:
    """One line per GPU TensorFlow sees (name, compute capability), plus the CUDA/cuDNN it was built with."""
    build = tf.sysconfig.get_build_info()
    lines = [f"tensorflow {tf.__version__}, built with CUDA {build.get('cuda_version', '-')}, "
             f"cuDNN {build.get('cudnn_version', '-')}"]
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        lines.append(f"{gpu.name}: {details.get('device_name', '?')}, compute capability "
                     f"{details.get('compute_capability', '?')}")
    return lines


def no_gpu_reason(tf) -> str:
    """Why TensorFlow sees no GPU, or "" when it sees one."""
    if tf.config.list_physical_devices("GPU"):
        return ""
    if not tf.test.is_built_with_cuda():
        return "this TensorFlow build has no CUDA support (install tensorflow[and-cuda])"
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and not hidden.strip(","):
        return f"CUDA_VISIBLE_DEVICES={hidden!r} hides every GPU"
    return "no CUDA device or driver found (nvidia-smi should list one; see TensorFlow's log above)"


def lstm_kernels(tf, work: str, mixed: bool = False) -> set:
    """Op types one traced training step ran, of a model built as ``train`` builds it (Keras' LSTM) on
    the first WNUT-17 train sentences.

    Keras' LSTM puts a cuDNN and a generic implementation in the graph; grappler's implementation selector
    picks one by device when the step runs, so only the step's run metadata says which ran.
    """
    from ner_tagger.corpus import conll, vocab
    from ner_tagger.hparams import HParams
    from ner_tagger.model.model_fn import model_fn

    sentences = conll.read_conll(os.path.join(ROOT, "ner_tagger", "datasets", "wnut17", "train.conll"))[:32]
    vocab_dir = os.path.join(work, "vocab")
    os.makedirs(vocab_dir, exist_ok=True)
    vocab.build(sentences, lambda words: list(words)).save(vocab_dir)
    width = max(len(s.tokens) for s in sentences)
    words = [list(s.tokens) + [""] * (width - len(s.tokens)) for s in sentences]
    tags = [list(s.tags) + ["O"] * (width - len(s.tags)) for s in sentences]
    hp = HParams.from_dict({"lstm_implementation": "keras", "mixed_precision": mixed, "tag_scheme": "iob2",
                            "tag_encoding": "iob2"})
    with tf.Graph().as_default():
        features = {"words": tf.constant(words), "nwords": tf.constant([len(s.tokens) for s in sentences])}
        spec = model_fn(features, tf.constant(tags), tf.estimator.ModeKeys.TRAIN,
                        dict(hp.to_dict(), vocab_dir=vocab_dir))
        with tf.compat.v1.Session() as session:
            session.run([tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer()])
            metadata = tf.compat.v1.RunMetadata()
            session.run(spec.train_op, options=tf.compat.v1.RunOptions(
                trace_level=tf.compat.v1.RunOptions.FULL_TRACE), run_metadata=metadata)
    return kernels_in(metadata)


def kernels_in(run_metadata) -> set:
    """Op types of every node the traced step executed, from its step stats' timeline labels."""
    kinds = set()
    for device in run_metadata.step_stats.dev_stats:
        for node in device.node_stats:
            # timeline_label reads "name = OpType(inputs)"; node_name alone may be a function's node.
            label = node.timeline_label
            kinds.add(label.split(" = ", 1)[1].split("(", 1)[0] if " = " in label else node.node_name)
    return kinds


def steady_speed(log_text: str) -> dict:
    """Steady training sentences/s and tokens/s from a ``ner_tagger.train`` log (benchmarks.logparse)."""
    return logparse.tagger_speed([(0.0, line) for line in log_text.splitlines()])


def train(python: str, out: str, epochs: int, mixed: bool) -> dict:
    name = "mixed_float16" if mixed else "float32"
    work = os.path.join(out, name)
    command = [python, "-m", "ner_tagger.train", "--data_dir", os.path.join(ROOT, "ner_tagger", "datasets", "wnut17"),
               "--config", os.path.join(ROOT, "configs", "wnut17.json"),
               # cuDNN runs Keras' LSTM; the fused BlockLSTM of the config is the CPU's choice.
               "--lstm_implementation", "keras", "--epochs", str(epochs), "--early_stopping_patience", "0",
               "--mixed_precision", str(mixed).lower(), "--model_dir", os.path.join(work, "model"),
               "--export_dir", os.path.join(work, "export"), "--output_dir", os.path.join(work, "output")]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "train.log"), "w", encoding="utf-8") as fh:
        fh.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"gpu_check: training ({name}) failed with {done.returncode}; see {work}/train.log")
    with open(os.path.join(work, "output", "eval_report.json"), encoding="utf-8") as fh:
        report = json.load(fh)
    speed = steady_speed(done.stdout + done.stderr)
    return {"precision": name, "wall_s": round(time.monotonic() - started, 1),
            "sentences_per_s": speed["sentences_per_s"], "tokens_per_s": speed["tokens_per_s"],
            "dev_f1": report["dev"]["overall"]["f1"], "test_f1": report["test"]["overall"]["f1"]}


def print_driver():
    """The driver's view of the GPUs (name, driver, memory, utilisation), before TensorFlow gives its own."""
    try:
        subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,utilization.gpu",
                        "--format=csv"], check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        print(f"gpu_check: nvidia-smi: {err} (no NVIDIA driver on this machine?)", file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "runs", "gpu_check"))
    parser.add_argument("--epochs", type=int, default=5, help="WNUT-17 epochs per run (default 5)")
    parser.add_argument("--python", default=sys.executable, help="ner_tagger's interpreter for training")
    parser.add_argument("--skip_training", action="store_true", help="the device and cuDNN checks only")
    parser.add_argument("--cpu_dry_run", action="store_true", help="run on a CPU anyway (exercises the script)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    print_driver()
    import tensorflow as tf

    reason = no_gpu_reason(tf)
    if reason and not args.cpu_dry_run:
        print(f"gpu_check: no GPU: {reason}. Nothing was trained.", file=sys.stderr)
        return NO_GPU
    for line in describe_gpus(tf):
        print(f"gpu_check: {line}")
    os.makedirs(args.out, exist_ok=True)
    result = {"gpus": describe_gpus(tf), "cpu_dry_run": bool(reason)}
    for mixed in (False, True):
        ran = sorted(lstm_kernels(tf, args.out, mixed) & set(CUDNN_OPS))
        result[f"cudnn_kernels_{'mixed' if mixed else 'float32'}"] = ran
        print(f"gpu_check: cuDNN LSTM ({'mixed_float16' if mixed else 'float32'}): "
              f"{'used (' + ', '.join(ran) + ')' if ran else 'NOT used'}")
    if not reason and not (result["cudnn_kernels_float32"] and result["cudnn_kernels_mixed"]):
        print("gpu_check: FAILED: a GPU is visible but the LSTM did not run on cuDNN", file=sys.stderr)
        return 1
    if not args.skip_training:
        result["runs"] = [train(args.python, args.out, args.epochs, mixed) for mixed in (False, True)]
        print("| precision | sentences/s | tokens/s | dev F1 | test F1 | wall s |")
        print("|---|---|---|---|---|---|")
        for run in result["runs"]:
            print(f"| {run['precision']} | {run['sentences_per_s']} | {run['tokens_per_s']} | "
                  f"{run['dev_f1']:.4f} | {run['test_f1']:.4f} | {run['wall_s']} |")
    with open(os.path.join(args.out, "gpu_check.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
