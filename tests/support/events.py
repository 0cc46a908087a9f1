"""TensorBoard event files read back as TensorBoard reads them."""
import glob
import os


def tensorboard_scalars(folder):
    """{tag: [(step, value), ...]} from the event files in ``folder``, read as TensorBoard reads them."""
    import tensorflow as tf

    found = {}
    for path in sorted(glob.glob(os.path.join(str(folder), "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                found.setdefault(value.tag, []).append((event.step, round(value.simple_value, 5)))
    return found
