"""TensorBoard summaries in their own folder: what is written, where, and readable by TensorBoard's reader."""
import tensorflow as tf
from support.events import tensorboard_scalars

from ner_tagger.job import summaries


def test_folder_writes_one_run_a_subfolder_even_when_eager(tmp_path):
    folder = summaries.SummaryFolder(str(tmp_path))
    assert tf.executing_eagerly()  # as train_and_evaluate's exporter calls it
    folder.scalars(summaries.EVAL, 300, {"f1": 0.5, "f1/PER": 0.25})
    folder.scalars(summaries.EVAL, 600, {"f1": 0.75, "f1/PER": 0.5})
    # Flushed on each write: SageMaker uploads what is on disk while the job runs.
    assert tensorboard_scalars(tmp_path / "eval") == {"f1": [(300, 0.5), (600, 0.75)],
                                                      "f1/PER": [(300, 0.25), (600, 0.5)]}
    folder.close()


def test_train_hook_writes_mean_loss_over_each_window_and_the_learning_rate(tmp_path):
    folder = summaries.SummaryFolder(str(tmp_path))
    with tf.Graph().as_default():
        step = tf.compat.v1.train.get_or_create_global_step()
        # The loss of the batch at step s is s (the step before this run's increment).
        loss = tf.identity(tf.cast(step, tf.float32), name="progress/loss")
        increment = step.assign_add(1)
        hook = summaries.TrainSummaryHook(folder, every_steps=2, learning_rate=0.003)
        with tf.compat.v1.train.MonitoredSession(hooks=[hook]) as session:
            for _ in range(5):
                # The hooks see one run; the step moves on after it, outside the hooks (run_step_fn's raw
                # session): a read of the step in the same run as its increment could see either value.
                session.run(loss)
                session.run_step_fn(lambda step_context: step_context.session.run(increment))
    folder.close()
    scalars = tensorboard_scalars(tmp_path / "train")
    # Steps 1-2 saw losses 0 and 1, steps 3-4 saw 2 and 3, the last step (5) alone saw 4.
    assert scalars["loss"] == [(2, 0.5), (4, 2.5), (5, 4.0)]
    assert scalars["learning_rate"] == [(2, 0.003), (4, 0.003), (5, 0.003)]
