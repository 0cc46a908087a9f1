"""Launch a SageMaker training job for ner_tagger and deploy the model to a TensorFlow Serving endpoint.

    python scripts/launch_sagemaker.py --config configs/sagemaker.json \
        --role arn:aws:iam::<account>:role/<SageMakerRole> --training s3://<bucket>/ner/data/wnut17

Batch Transform (one output line per input line; the config's ``transform`` section)::

    python scripts/launch_sagemaker.py --role ... --transform s3://<bucket>/ner/to-tag/ \
        --model-data s3://<bucket>/ner/output/<job>/output/model.tar.gz

tags every file under the prefix with a trained model (``--model-data``), or, without it, with the model of
the training job this command runs first.

Continuing a job that stopped (``MaxRuntimeExceeded``, ``StopTrainingJob``, a failure) before its last step::

    python scripts/launch_sagemaker.py --role ... --training s3://... --resume-from <old job name>

starts a new job on the old job's checkpoints (its ``CheckpointConfig.S3Uri``, asked of SageMaker); the
hyperparameters must keep the model's shape (the job refuses a changed ``lstm_units``, say, naming it).

Needs only the SageMaker SDK (no TensorFlow) and AWS credentials. With SDK v2 (``pip install
"sagemaker>=2.257,<3"``) it builds the ``TensorFlow`` estimator and can deploy, tune and transform; with SDK v3
(``pip install "sagemaker>=3,<4"``) a ``ModelTrainer`` on the same image and source folder, which trains
(``--no-deploy``) or tunes (``--tune``) on one instance; endpoints and Batch Transform need SDK v2.
``--no-deploy`` trains only; ``--tune`` runs a HyperparameterTuner over the config's ``tuning.ranges``
(maximising dev F1) instead. ``--dry-run`` stages the source folder, builds the estimator and prints the job
definition without calling AWS.

The source folder (entry point, ``ner_tagger``, wheels, no-index requirements.txt) is staged under
``build/sagemaker-source`` for the managed image's Python 3.10 unless ``--source-dir`` names one staged
already (``make sagemaker-source``); staging downloads the wheels once (cached under ``build/``).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ner_tagger.errors import HParamsError  # noqa: E402
from ner_tagger.sagemaker import (  # noqa: E402
    channels,  # noqa: E402
    launch,
    source,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=os.path.join(launch.ROOT, "configs", "sagemaker.json"))
    parser.add_argument("--role", default=os.environ.get("SAGEMAKER_ROLE"),
                        help="IAM role SageMaker assumes. Default: $SAGEMAKER_ROLE, else the config's role.")
    parser.add_argument("--training", help="S3 URI of the training channel (train and dev files). "
                                           "Default: the config's inputs.training.")
    parser.add_argument("--eval", help="Optional S3 URI of a separate eval channel holding the dev file.")
    parser.add_argument("--embeddings", help="Optional S3 URI of an embeddings channel: one GloVe, word2vec or "
                                             "fastText text file (optionally .gz), used without naming it.")
    parser.add_argument("--job_name", help="Training (or tuning) job name; default: base_job_name plus a "
                                           "timestamp. The job's checkpoints go to <checkpoint_s3_uri>/<name>.")
    parser.add_argument("--no-deploy", dest="deploy", action="store_false", help="Train only.")
    parser.add_argument("--tune", action="store_true", help="Run the config's hyperparameter tuning job.")
    parser.add_argument("--transform", metavar="S3_PREFIX",
                        help="Run a Batch Transform job over the files under this prefix (JSON lines or text, "
                             "one record a line), after training or on --model-data.")
    parser.add_argument("--model-data", metavar="S3_URI",
                        help="With --transform: the model.tar.gz to use instead of training one now.")
    parser.add_argument("--dry-run", action="store_true",
                        help="Stage the source folder, build the estimator, print the job definition as JSON; "
                             "call no AWS API.")
    parser.add_argument("--region", default=None,
                        help="AWS region of the jobs (and of --dry-run's image URI). Default: the AWS "
                             "configuration's region; for --dry-run $AWS_DEFAULT_REGION, else us-east-1.")
    parser.add_argument("--resume-from", metavar="JOB_NAME",
                        help="Continue this training job's checkpoints in a new job (its checkpoint prefix and "
                             "folder, from DescribeTrainingJob; --dry-run assumes <checkpoint_s3_uri>/JOB_NAME). "
                             "Not with --tune or a local instance type.")
    parser.add_argument("--source-dir", help="A source folder staged already (make sagemaker-source); default: "
                                             "stage one now under build/sagemaker-source.")
    parser.add_argument("--python-version", default=source.Target.python_version,
                        help="Python of the training image, for the wheels (default: %(default)s).")
    parser.add_argument("--glibc", default=source.Target.glibc,
                        help="glibc of the training image, for the wheels (default: %(default)s).")
    parser.add_argument("--image-packages", action="store_true",
                        help="Also ship numpy and scikit-learn wheels (an image without them).")
    return parser


def make_session(region=None):
    """An SDK session on a boto3 session for ``region`` (None: the AWS configuration's). Creating it calls
    no AWS API: ``--dry-run`` uses it for the image URI, a launch for every request."""
    import boto3

    if launch.sdk_major() >= 3:
        from sagemaker.core.helper.session_helper import Session
    else:
        from sagemaker.session import Session
    return Session(boto_session=boto3.Session(region_name=region))


def main(argv=None, session=None) -> int:
    args = build_parser().parse_args(argv)
    config = launch.load_config(args.config)
    role = args.role or config.get("role")
    if args.dry_run:
        session = session or make_session(args.region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    elif args.region:
        session = session or make_session(args.region)
    if args.model_data:
        return transform_only(args, config, role, session)
    inputs = dict(config.get("inputs", {}))
    if args.training:
        inputs["training"] = args.training
    if args.eval:
        inputs["eval"] = args.eval
    if args.embeddings:
        inputs["embeddings"] = args.embeddings
    try:
        launch.check_channels("inputs", inputs)
    except HParamsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not role or "training" not in channels.assign(inputs):
        print("error: need --role (or $SAGEMAKER_ROLE, or role in the config) and --training (or a training "
              "channel in the config's inputs)", file=sys.stderr)
        return 2
    resume = None
    if args.resume_from:
        refused = refuse_resume(args, config)
        if refused:
            print(f"error: {refused}", file=sys.stderr)
            return 2
        if not args.dry_run:
            session = session or make_session()  # the region's SageMaker holds the old job
        try:
            resume = (launch.resume_by_rule(config, args.resume_from) if args.dry_run else
                      launch.resume_from_job(session, args.resume_from))
        except HParamsError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if launch.sdk_major() >= 3:
        return main_v3(args, config, role, inputs, resume, session)
    source_dir = args.source_dir or source.prepare(
        target=source.Target(args.python_version, args.glibc), image_packages=args.image_packages)
    if args.tune:
        tuner = launch.make_tuner(config, role, session, job_name=args.job_name, source_dir=source_dir)
        if args.dry_run:
            definition = launch.job_definition(tuner.estimator, config, inputs)
            del definition["job_name"]  # SageMaker names the trials
            definition.update(tuning_job_name=tuner.ner_job_name, objective_metric=tuner.objective_metric_name)
            print(json.dumps(definition, indent=2, sort_keys=True))
            return 0
        tuner.fit(inputs, job_name=tuner.ner_job_name)
        print(f"tuning job: {tuner.latest_tuning_job.name}")
        return 0
    if args.dry_run:
        estimator = launch.make_estimator(config, role, session, job_name=args.job_name, source_dir=source_dir,
                                          resume=resume)
        definition = launch.job_definition(estimator, config, inputs, resume)
        if args.transform:
            definition["transform"] = launch.transform_definition(config, "<this job's model.tar.gz>",
                                                                  args.transform)
        print(json.dumps(definition, indent=2, sort_keys=True))
        return 0
    estimator, predictor = launch.train_and_deploy(config, role, inputs, session, args.deploy, args.job_name,
                                                   source_dir, resume)
    print(f"model: {estimator.model_data}")
    if predictor is not None:
        print(f"endpoint: {predictor.endpoint_name}")
    if args.transform:
        transform(estimator.model_data, args.transform, config, role, session)
    return 0


def main_v3(args, config, role, inputs, resume, session=None) -> int:
    """SDK v3: a ``ModelTrainer`` (or v3's tuner) on the same staged folder and image
    (:mod:`ner_tagger.sagemaker.launch_v3`). Endpoints and Batch Transform stay with SDK v2's TensorFlowModel."""
    from ner_tagger.sagemaker import launch_v3

    if args.transform or args.deploy and not args.tune:
        print("error: with SDK v3 installed this command trains (add --no-deploy) or tunes only; deploy or "
              "transform the model.tar.gz with SDK v2 (pip install \"sagemaker>=2.257,<3\" in another venv: "
              "the same command then builds TensorFlowModel), or serve it with the bring-your-own container",
              file=sys.stderr)
        return 2
    try:
        launch_v3.refuse(config, args.config)
    except HParamsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.dry_run:  # v3 checks the role with IAM as the trainer is built; a dry run asks AWS nothing
        os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
    # The same boto session (region, credentials), with the config's code_location as v3's upload bucket.
    v3_session = launch_v3.make_session(config, args.region, getattr(session, "boto_session", None))
    source_dir = args.source_dir or source.prepare(
        target=source.Target(args.python_version, args.glibc), image_packages=args.image_packages)
    if args.tune:
        tuner, name = launch_v3.make_tuner(config, role, v3_session, job_name=args.job_name, source_dir=source_dir)
        if args.dry_run:
            definition = launch_v3.job_definition(launch_v3.Launched(tuner.model_trainer, name), inputs)
            del definition["job_name"]  # SageMaker names the trials
            definition.update(tuning_job_name=name, objective_metric=tuner.objective_metric_name)
            print(launch_v3.dumps(definition))
            return 0
        tuner.tune(inputs=launch_v3.input_data(inputs), job_name=name, wait=False)
        print(f"tuning job: {name}")
        return 0
    try:
        launched = launch_v3.make_trainer(config, role, v3_session, job_name=args.job_name, source_dir=source_dir,
                                          resume=resume)
    except HParamsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(launch_v3.dumps(launch_v3.job_definition(launched, inputs, resume)))
        return 0
    trainer = launch_v3.train(launched, inputs)
    job = trainer._latest_training_job
    print(f"training job: {job.training_job_name if job else launched.stem}")
    return 0


def refuse_resume(args, config):
    """Why ``--resume-from`` cannot be used as asked, or None."""
    if args.tune:
        return ("--resume-from with --tune: every trial of the tuning job would continue the same checkpoint "
                "folder, each overwriting the others'; resume one job, then tune")
    if config["instance_type"] in launch.LOCAL_INSTANCE_TYPES:
        return (f"--resume-from with instance type {config['instance_type']!r}: the SDK's local mode restores "
                f"no checkpoint_s3_uri")
    return None


def transform_only(args, config, role, session) -> int:
    """``--model-data``: a Batch Transform job with a trained model, no training."""
    if not args.transform or not role:
        print("error: --model-data needs --transform and a role (--role, $SAGEMAKER_ROLE or the config's)",
              file=sys.stderr)
        return 2
    if args.dry_run:
        print(json.dumps(launch.transform_definition(config, args.model_data, args.transform, args.job_name),
                         indent=2, sort_keys=True))
        return 0
    transform(args.model_data, args.transform, config, role, session, args.job_name)
    return 0


def transform(model_data, data, config, role, session, job_name=None) -> None:
    model = launch.make_model(model_data, config, role, session)
    transformer = launch.start_transform(model, config, data, job_name=job_name)
    print(f"transform output: {transformer.output_path}")


if __name__ == "__main__":
    sys.exit(main())
