"""gunicorn's application module: imported by each worker after the fork, never by the master.

Importing it loads the model, so a worker accepts connections (and ``/ping`` answers 200) only once its
model is in memory; a model that cannot be loaded stops the worker at boot, and gunicorn then stops the
server with the error in the log, rather than answering pings it cannot back.
"""
import logging

from ner_tagger.container.serve import ServeSettings
from ner_tagger.serving import app

log = logging.getLogger("ner_tagger.serve")


def load_predictor(settings: ServeSettings):
    import tensorflow as tf

    from ner_tagger.serving.exported_model import Predictor

    # Thread pools can be sized only before TensorFlow runs its first op, i.e. before the model loads.
    tf.config.threading.set_intra_op_parallelism_threads(settings.tf_threads)
    tf.config.threading.set_inter_op_parallelism_threads(settings.tf_threads)
    predictor = Predictor.load(settings.model_dir, batch_size=settings.batch_size)
    # One call traces and warms each signature (with and without scores), so the first client request is
    # not the slow one.
    for scores in (True, False):
        predictor.predict_text(["warm up"], scores=scores)
        predictor.predict_tokens([["warm", "up"]], scores=scores)
    log.info("serve: worker loaded %s", predictor.version_dir)
    return predictor


def create_application() -> app.InvocationsApp:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(message)s")
    settings = ServeSettings.from_env()
    return app.create(lambda: load_predictor(settings), settings.limits, settings.concurrency,
                      settings.request_budget_s, settings.budget_setting, settings.batch_size)


application = create_application()
