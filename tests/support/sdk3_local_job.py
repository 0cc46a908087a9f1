"""Run by SDK v3's interpreter (tests/support/sdk3_harness.py): prepare a ``ModelTrainer`` job in LOCAL_CONTAINER mode
with the SDK's own code, stopping where ``docker compose up`` would start, and print what the container gets.

Everything below is SDK v3 code: ``ModelTrainer._create_training_job_args`` (hyperparameter encoding, the
``code`` and ``sm_drivers`` channels, the drivers copied from the package with ``sm_train.sh``,
``sourcecode.json`` and ``distributed.json`` written by it, the container entry point) and the steps of
``_LocalContainer.train`` before compose (the config files of ``/opt/ml/input/config``, the volume list,
``TRAINING_JOB_NAME``). The compose file it would write is printed too; nothing is started.

    python sdk3_local_job.py <request.json>     request: image, source_dir, entry_script, requirements,
                                                hyperparameters, channels {name: folder}, root, drivers_copy
"""
import json
import os
import shutil
import sys


def main(path):
    with open(path, encoding="utf-8") as fh:
        request = json.load(fh)
    from sagemaker.core.training.configs import Compute, InputData, SourceCode
    from sagemaker.train.local.local_container import _LocalContainer
    from sagemaker.train.model_trainer import Mode, ModelTrainer

    root = request["root"]
    trainer = ModelTrainer(
        training_mode=Mode.LOCAL_CONTAINER, training_image=request["image"], base_job_name="ner-tagger-v3",
        source_code=SourceCode(source_dir=request["source_dir"], entry_script=request["entry_script"],
                               requirements=request["requirements"]),
        compute=Compute(instance_type="local", instance_count=1),
        hyperparameters=request["hyperparameters"], local_container_root=root)
    args = trainer._create_training_job_args(
        input_data_config=[InputData(channel_name=name, data_source=folder)
                           for name, folder in request["channels"].items()])
    spec = args["algorithm_specification"]
    container = _LocalContainer(
        training_job_name=args["training_job_name"], instance_type=args["resource_config"].instance_type,
        instance_count=args["resource_config"].instance_count, image=spec.training_image, container_root=root,
        sagemaker_session=None, container_entrypoint=spec.container_entrypoint,
        container_arguments=spec.container_arguments, input_data_config=args["input_data_config"],
        hyper_parameters=args["hyper_parameters"], environment=dict(args["environment"] or {}))
    # _LocalContainer.train up to the compose command:
    os.makedirs(os.path.join(root, "output", "data"), exist_ok=True)
    data_dir = os.path.join(root, "input", "data")
    os.makedirs(data_dir, exist_ok=True)
    volumes = container._prepare_training_volumes(data_dir, container.input_data_config, container.hyper_parameters)
    for host in container.hosts:
        container._create_config_file_directories(host)
        container._write_config_files(host, container.input_data_config, container.hyper_parameters)
    container.environment["TRAINING_JOB_NAME"] = container.training_job_name
    compose = container._generate_compose_file(container.environment, volumes)
    # The sm_drivers folder is the trainer's TemporaryDirectory, removed with it: keep a copy, mount that.
    drivers = trainer._temp_code_dir.name
    shutil.copytree(drivers, request["drivers_copy"])
    service = compose["services"][container.hosts[0]]
    service["volumes"] = [v.replace(drivers, request["drivers_copy"]) for v in service["volumes"]]
    print(json.dumps({"job_name": container.training_job_name, "hyper_parameters": args["hyper_parameters"],
                      "channels": [c.channel_name for c in args["input_data_config"]], "service": service}))


if __name__ == "__main__":
    main(sys.argv[1])
