"""Run by SDK v3's interpreter (tests/test_sagemaker_launch_v3.py): ``scripts/launch_sagemaker.py`` with AWS
answered at the boto client, printing every request it made as JSON lines (``{"call": ..., "params": ...}``).

Only AWS is stood in for: a ``before-call`` handler on every boto session answers each API call (S3 uploads,
CreateTrainingJob, DescribeTrainingJob, ...) before it leaves the machine; the SDK's own logic, the launcher
and the staging all run for real.

    python sdk3_launch_capture.py <launcher arguments...>
"""
import datetime
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

CALLS = []
# A stopped job that --resume-from can name: its checkpoint prefix is what DescribeTrainingJob says.
OLD_JOB = "ner-tagger-0a1b2c3d-20260101000000"
OLD_CHECKPOINTS = "s3://ner-bucket/ner/checkpoints/ner-tagger-0a1b2c3d"
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def keep_params(params, context, **_):
    """The call's own parameters (``before-call`` sees the serialised request); the context is per call."""
    context["ner_api_params"] = dict(params)


def answer(model, context, **_):
    from botocore.awsrequest import AWSResponse

    params = context["ner_api_params"]
    name = f"{model.service_model.service_name}.{model.name}"
    CALLS.append({"call": name, "params": {k: v for k, v in params.items() if k != "Body"}})
    body = {}
    if model.name == "CreateTrainingJob":
        body = {"TrainingJobArn": f"arn:aws:sagemaker:us-west-2:123456789012:training-job/{params['TrainingJobName']}"}
    elif model.name == "DescribeTrainingJob" and params["TrainingJobName"] == OLD_JOB:  # --resume-from OLD_JOB
        body = dict(TrainingJobName=OLD_JOB, TrainingJobArn="arn:aws:sagemaker:us-west-2:123456789012:x",
                    TrainingJobStatus="Stopped", CheckpointConfig={"S3Uri": OLD_CHECKPOINTS}, HyperParameters={})
    elif model.name == "DescribeTrainingJob":
        create = next(c["params"] for c in reversed(CALLS) if c["call"] == "sagemaker.CreateTrainingJob")
        body = dict(create, TrainingJobArn="arn:aws:sagemaker:us-west-2:123456789012:training-job/x",
                    TrainingJobStatus="Completed", SecondaryStatus="Completed", CreationTime=NOW,
                    ModelArtifacts={"S3ModelArtifacts": "s3://b/m.tar.gz"})
    elif model.name == "CreateHyperParameterTuningJob":
        body = {"HyperParameterTuningJobArn": "arn:aws:sagemaker:us-west-2:123456789012:hyper-parameter-tuning-job/"
                                              + params["HyperParameterTuningJobName"]}
    elif model.name == "DescribeHyperParameterTuningJob":
        create = next(c["params"] for c in reversed(CALLS) if c["call"].endswith("CreateHyperParameterTuningJob"))
        body = dict(create, HyperParameterTuningJobArn="arn:aws:sagemaker:us-west-2:123456789012:x",
                    HyperParameterTuningJobStatus="InProgress", CreationTime=NOW,
                    TrainingJobStatusCounters={}, ObjectiveStatusCounters={})
    elif model.name == "GetCallerIdentity":
        body = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/test", "UserId": "X"}
    elif model.name == "SimulatePrincipalPolicy":  # v3 checks the role's permissions as the trainer is built
        body = {"EvaluationResults": [{"EvalActionName": a, "EvalDecision": "allowed"} for a in params["ActionNames"]],
                "IsTruncated": False}
    elif model.name == "GetRole":  # ... and that it trusts SageMaker
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                          "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
        body = {"Role": {"RoleName": params["RoleName"], "Arn": f"arn:aws:iam::123456789012:role/{params['RoleName']}",
                         "Path": "/", "RoleId": "AROAXXXXXXXXXXXXXXXXX", "CreateDate": NOW,
                         "AssumeRolePolicyDocument": json.dumps(trust)}}
    elif model.name == "ListBuckets":  # the session's check that its default bucket exists
        body = {"Buckets": [{"Name": "YOUR-BUCKET", "CreationDate": NOW}]}
    elif model.name == "DescribeLogStreams":
        body = {"logStreams": []}
    elif model.name in ("PutObject", "UploadPart"):
        body = {"ETag": '"0"'}
    elif model.name == "CreateMultipartUpload":  # files over 8 MB (the numpy, scikit-learn wheels)
        body = {"UploadId": "upload-1", "Bucket": params["Bucket"], "Key": params["Key"]}
    return AWSResponse("https://aws.invalid", 200, {}, None), body


def main(argv):
    import boto3
    import launch_sagemaker
    from sagemaker.core.helper.session_helper import Session

    # Every boto session of the process answers locally: the SDK makes some of its own (CloudWatch logs).
    os.environ.update(AWS_DEFAULT_REGION="us-west-2", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")  # noqa: S106 (no AWS)
    init = boto3.session.Session.__init__

    def answered_session(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.events.register("before-parameter-build.*.*", keep_params)
        self.events.register("before-call.*.*", answer)

    boto3.session.Session.__init__ = answered_session
    boto_session = boto3.Session(region_name="us-west-2")
    code = launch_sagemaker.main(argv, session=Session(boto_session=boto_session))
    for call in CALLS:
        print(json.dumps(call, default=str))
    print(json.dumps({"exit": code}))


if __name__ == "__main__":
    main(sys.argv[1:])
