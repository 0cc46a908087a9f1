"""The SageMaker Python SDK v2's own orchestration, in its local mode, with the bring-your-own-container image:
`Estimator(image_uri=..., instance_type="local").fit("file://...")` writes /opt/ml the SDK's way (JSON-encoded
hyperparameters, its resource and channel config), runs `train` under docker-compose and packs model.tar.gz;
`deploy(1, "local")` extracts it, runs `serve` and waits for /ping; `predict()` goes through /invocations.
Nothing reaches AWS: the session's boto clients refuse to send (tests/support/container_lane.py)."""
import tarfile
import time

import pytest
from support import container_lane as lane


def test_the_lanes_local_session_cannot_reach_aws_and_sends_no_telemetry(tmp_path):
    """No engine needed: the guard the local-mode tests rely on refuses, records, and telemetry is off."""
    from sagemaker.config.config_schema import TELEMETRY_OPT_OUT_PATH
    from sagemaker.utils import resolve_value_from_config

    session = lane.local_session(tmp_path / "root", serving_port=18080)
    with pytest.raises(lane.AwsCallRefused):
        session.boto_session.client("sts").get_caller_identity()
    with pytest.raises(lane.AwsCallRefused):
        session.s3_client.list_objects_v2(Bucket="some-bucket")
    assert [call.split()[0] for call in session.refused_aws_calls] == ["POST", "GET"]
    assert session.boto_region_name == lane.REGION
    assert resolve_value_from_config(None, TELEMETRY_OPT_OUT_PATH, default_value=False,
                                     sagemaker_session=session) is True
    assert session.config["local"] == {"local_code": True, "container_root": str(tmp_path / "root"),
                                       "serving_port": 18080}


@pytest.fixture(scope="module")
def image():
    lane.require_compose()
    return lane.product_image()  # `make build` of this checkout, once per session


@pytest.mark.container
def test_estimator_fit_deploy_predict_delete_endpoint(image, tmp_path):
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.estimator import Estimator
    from sagemaker.serializers import JSONSerializer

    channel = lane.write_training_channel(tmp_path / "data" / "training")
    root = tmp_path / "sagemaker_local"
    session = lane.local_session(root)
    estimator = Estimator(image_uri=image, role=lane.ROLE, instance_count=1, instance_type="local",
                          hyperparameters=lane.TINY_HYPERPARAMETERS, output_path=f"file://{tmp_path / 'output'}",
                          sagemaker_session=session, base_job_name="ner-tagger-byoc")
    predictor = None
    try:
        started = time.monotonic()
        estimator.fit({"training": f"file://{channel}"}, logs=False)
        print(f"\nlocal-mode fit (BYOC): {time.monotonic() - started:.1f} s")

        model_data = estimator.model_data
        assert model_data.startswith("file://") and model_data.endswith("model.tar.gz"), model_data
        with tarfile.open(model_data[len("file://"):]) as archive:
            names = archive.getnames()
        versions = {n.split("/")[0] for n in names if n.split("/")[0].isdigit()}
        assert len(versions) == 1, names
        assert f"{versions.pop()}/saved_model.pb" in names

        started = time.monotonic()
        predictor = estimator.deploy(1, "local", serializer=JSONSerializer(), deserializer=JSONDeserializer())
        print(f"local-mode deploy (BYOC): {time.monotonic() - started:.1f} s")
        result = predictor.predict({"instances": ["Alice met Bob in Paris .", "Globex hired Eve last week ."]})
        first, second = result["predictions"]
        assert {(e["type"], e["text"]) for e in first["entities"]} == {("PER", "Alice"), ("PER", "Bob"),
                                                                      ("LOC", "Paris")}
        assert {(e["type"], e["text"]) for e in second["entities"]} == {("ORG", "Globex"), ("PER", "Eve")}
        assert session.refused_aws_calls == []
    finally:
        try:
            if predictor is not None:
                predictor.delete_endpoint()  # stops the serving container (docker-compose down)
        finally:
            # The SDK leaves the training container behind (stopped); this test's containers only.
            removed = lane.sweep_local_mode(root)
    assert removed >= 1  # at least the training container was there to remove

    # delete_endpoint stopped the serving container: nothing answers on the session's port any more.
    with pytest.raises(OSError):
        lane.http(f"http://127.0.0.1:{session.config['local']['serving_port']}/ping", timeout=3)
    assert lane.sweep_local_mode(root) == 0
