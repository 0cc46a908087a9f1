"""The job: the SageMaker doors' catch-all (:func:`runner.contained`), and :func:`runner.pipeline` beyond the happy
path (resuming, averaged weights in the export)."""
import os

import numpy as np
import pytest
import tensorflow as tf
from support.synthetic import TINY, synthetic_sentences, write_conll

from ner_tagger.errors import DataError, TrainingInterrupted
from ner_tagger.hparams import HParams
from ner_tagger.job import hooks, runner
from ner_tagger.serving import core


def test_success_removes_a_stale_failure_file(tmp_path):
    failure_file = tmp_path / "output" / "failure"
    failure_file.parent.mkdir()
    failure_file.write_text("an old reason")
    assert runner.contained(lambda: {"model": "m/1"}, str(failure_file), str(tmp_path / "model"), lambda: ()) == 0
    assert not failure_file.exists()


def test_a_failure_is_reported_masked_and_takes_its_models_with_it(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "keep.txt").write_text("was here before")

    def work():
        (model / "7").mkdir()
        (model / "7" / "saved_model.pb").write_text("x")
        raise DataError("bad tag 's3cr3t-token'", "train.txt", 3)

    failure_file = tmp_path / "output" / "failure"
    code = runner.contained(work, str(failure_file), str(model), lambda: {"s3cr3t-token"}, create_failure_folder=True)
    assert code == 2 and os.listdir(model) == ["keep.txt"]
    assert failure_file.read_text() == "train.txt:3: bad tag '***'\n"


def test_an_interrupted_job_exits_143(tmp_path):
    def work():
        raise TrainingInterrupted(40, "/ckpt/model.ckpt-40")

    assert runner.contained(work, str(tmp_path / "failure"), None, lambda: ()) == 143


@pytest.mark.slow  # trains
def test_resume_continues_the_global_step_and_exports_averaged_weights(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_conll(data / "train.txt", synthetic_sentences(200, 4))  # no dev file: 10% held out
    model_dir, export_dir = str(tmp_path / "ckpt"), str(tmp_path / "export")
    # One evaluation in the first run (each builds its own graph and session: seconds of CPU); the second
    # run's schedule is what the test checks: restarted from 0, it would have evaluated at 40 again.
    first = HParams.from_dict(dict(TINY, max_steps=40, eval_every_steps=40, ema_decay=0.9))
    runner.pipeline(hparams=first, data_dir=str(data), model_dir=model_dir, export_dir=export_dir)
    assert tf.train.load_checkpoint(model_dir).get_tensor("global_step") == 40

    second = HParams.from_dict(dict(TINY, max_steps=80, eval_every_steps=40, ema_decay=0.9))
    report = runner.pipeline(hparams=second, data_dir=str(data), model_dir=model_dir, export_dir=export_dir)
    assert [e["step"] for e in report["evaluations"]] == [80]  # continued, not restarted from 0
    assert len([n for n in os.listdir(export_dir) if n.isdigit()]) == 2

    # The export holds the moving averages of the best checkpoint, not its raw weights.
    best = hooks.best_checkpoint(model_dir)
    reader = tf.train.load_checkpoint(best)
    name = "tag_scores/kernel"
    model = tf.saved_model.load(core.latest_version(export_dir))
    [exported] = [v.numpy() for v in model.variables if v.name.startswith(name)]
    np.testing.assert_allclose(exported, reader.get_tensor(name + "/ExponentialMovingAverage"), rtol=1e-6)
    assert not np.allclose(exported, reader.get_tensor(name))


def test_pipeline_takes_its_folders_by_name(tmp_path):
    # Four folder strings in a row: passed by position, one swap would train into the wrong folder.
    with pytest.raises(TypeError):
        runner.pipeline(HParams(), str(tmp_path), str(tmp_path / "ckpt"), str(tmp_path / "export"))
    assert not os.path.exists(tmp_path / "ckpt")


_KERNELS = """
import os, sys
import ner_tagger.container.byoc_train, ner_tagger.sagemaker.script_mode, ner_tagger.train  # the doors
assert "tensorflow" not in sys.modules  # so the setting below is in place when TensorFlow loads
from ner_tagger.job import runner
runner.plain_cpu_kernels()
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
conv = tf.nn.conv1d(tf.random.normal([2, 7, 3]), tf.random.normal([3, 3, 4]), 1, "SAME")  # not folded
trace = tf.compat.v1.RunMetadata()
with tf.compat.v1.Session() as session:
    session.run(conv, options=tf.compat.v1.RunOptions(trace_level=3), run_metadata=trace)
print(os.environ["TF_ENABLE_ONEDNN_OPTS"], sorted({n.timeline_label.split("(")[0].split("=")[-1].strip()
                                                   for d in trace.step_stats.dev_stats for n in d.node_stats}))
"""


@pytest.mark.parametrize("chosen", [None, "1"])
def test_a_job_trains_on_tensorflows_own_cpu_kernels_unless_the_environment_chose(chosen):
    import subprocess
    import sys

    from ner_tagger.serving.local_server import REPO

    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    if chosen:
        env["TF_ENABLE_ONEDNN_OPTS"] = chosen
    proc = subprocess.run([sys.executable, "-c", _KERNELS], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    setting, ops = proc.stdout.strip().split(" ", 1)
    assert setting == (chosen or "0")
    if not chosen:
        assert "Conv2D" in ops and "Mkl" not in ops
