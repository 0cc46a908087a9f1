"""``train``: the training half of the SageMaker container contract.

Reads ``/opt/ml/input/config/*.json`` and ``/opt/ml/input/data/<channel>/`` (``training``, optional ``eval``
and ``embeddings``), writes the SavedModel (its
vocabularies are assets inside it) to ``/opt/ml/model/<version>/``, checkpoints to this job's folder of the
synced checkpoint root (:func:`ner_tagger.sagemaker.environment.job_checkpoint_dir`:
``/opt/ml/checkpoints/<job name>`` in a job with ``checkpoint_s3_uri``; a restarted or spot-resumed job
continues from them, a job with ``resume_from`` continues that job's), ``eval_report.json`` to
``/opt/ml/output/data`` and TensorBoard summaries to the TensorBoardOutputConfig's local path
(``/opt/ml/output/tensorboard``).

A ``train`` run with nothing synced (no ``checkpointconfig.json``, no ``checkpoints/``: a SageMaker job
without ``checkpoint_s3_uri``, or a local run) checkpoints into ``/opt/ml/checkpoints``, created: the tree
is this container's own, and a local run on a mounted ``/opt/ml`` then resumes when run again, as a
``--model_dir`` does.

On any failure the reason goes to ``/opt/ml/output/failure`` (SageMaker shows it as the job's
``FailureReason``), nothing is left in ``/opt/ml/model``, and the exit code is non-zero: 2 for a problem
with the input (hyperparameters, channels, data), 1 for anything else, 143 when stopped by SIGTERM.
Success removes a stale failure file and leaves none. The job itself, the catch-all, the exit codes and the
failure file are :mod:`ner_tagger.job.runner`'s and :mod:`ner_tagger.job.failure`'s, as for script mode; this module
only reads ``/opt/ml/input/config`` into the job's settings (and starts this host's parameter server).
"""
import dataclasses
import logging
import os
import sys

from ner_tagger.job import redaction, runner
from ner_tagger.sagemaker import environment, hyperparameters
from ner_tagger.sagemaker.environment import MLPaths

log = logging.getLogger("ner_tagger")


def train(paths: MLPaths) -> dict:
    """Everything a training job does; raises on any problem (``main`` turns that into the contract)."""
    env = environment.JobEnvironment.from_opt_ml(paths)
    hparams = hyperparameters.typed(env.hyperparameters, paths.hyperparameters)
    # TensorBoard summaries where TensorBoardOutputConfig collects them, unless the job names a folder.
    hparams = dataclasses.replace(hparams, tensorboard_dir=hparams.tensorboard_dir or paths.tensorboard)
    roles = env.channel_roles()
    os.makedirs(paths.model_dir, exist_ok=True)
    from ner_tagger.cli import setup_logging

    setup_logging(verbose=bool(os.environ.get("NER_TAGGER_VERBOSE")))
    checkpoints = env.checkpoint_dir(None, hparams.resume_from, local_run_folder=paths.checkpoints)
    if env.tf_config:
        from ner_tagger.container import distributed

        distributed.configure(env.resource)
        distributed.start_parameter_server(env.resource)
    return runner.run(runner.JobSettings(hparams, roles["training"], checkpoints, paths.model_dir,
                                         output_dir=paths.output_data, eval_dir=roles.get("eval"),
                                         servable_dir=paths.model_dir, embeddings_dir=roles.get("embeddings")))


def main(paths: MLPaths = None) -> int:
    paths = paths or MLPaths.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    return runner.contained(lambda: train(paths), paths.failure, paths.model_dir,
                         lambda: redaction.secret_values(_raw_hyperparameters(paths), os.environ),
                         create_failure_folder=True)


def _raw_hyperparameters(paths: MLPaths) -> dict:
    try:
        return hyperparameters.read_raw(paths.hyperparameters)
    except Exception:  # noqa: BLE001 - the file is already known to be bad; mask what can be read
        return {}


if __name__ == "__main__":
    sys.exit(main())
