"""Launch a SageMaker training job for ner_tagger and deploy the model to a TensorFlow Serving endpoint.

    python scripts/launch_sagemaker.py --config configs/sagemaker.json \
        --role arn:aws:iam::<account>:role/<SageMakerRole> --training s3://<bucket>/ner/data/wnut17

Needs the SDK (``pip install -e .[sagemaker]``) and AWS credentials. ``--no-deploy`` trains only;
``--tune`` runs a HyperparameterTuner over the config's ``tuning.ranges`` (maximising dev F1) instead.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ner_tagger.sagemaker import launch  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=os.path.join(launch.ROOT, "configs", "sagemaker.json"))
    parser.add_argument("--role", default=os.environ.get("SAGEMAKER_ROLE"),
                        help="IAM role SageMaker assumes. Default: $SAGEMAKER_ROLE, else the config's role.")
    parser.add_argument("--training", help="S3 URI of the training channel (train and dev files). "
                                           "Default: the config's inputs.training.")
    parser.add_argument("--eval", help="Optional S3 URI of a separate eval channel holding the dev file.")
    parser.add_argument("--job_name", help="Training job name (default: SageMaker's timestamped name).")
    parser.add_argument("--no-deploy", dest="deploy", action="store_false", help="Train only.")
    parser.add_argument("--tune", action="store_true", help="Run the config's hyperparameter tuning job.")
    return parser


def main(argv=None, session=None) -> int:
    args = build_parser().parse_args(argv)
    config = launch.load_config(args.config)
    role = args.role or config.get("role")
    inputs = dict(config.get("inputs", {}))
    if args.training:
        inputs["training"] = args.training
    if args.eval:
        inputs["eval"] = args.eval
    if not role or "training" not in inputs:
        print("error: need --role (or $SAGEMAKER_ROLE, or role in the config) and --training", file=sys.stderr)
        return 2
    if args.tune:
        tuner = launch.make_tuner(launch.make_estimator(config, role, session), config)
        tuner.fit(inputs, job_name=args.job_name)
        print(f"tuning job: {tuner.latest_tuning_job.name}")
        return 0
    estimator, predictor = launch.train_and_deploy(config, role, inputs, session, args.deploy, args.job_name)
    print(f"model: {estimator.model_data}")
    if predictor is not None:
        print(f"endpoint: {predictor.endpoint_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
