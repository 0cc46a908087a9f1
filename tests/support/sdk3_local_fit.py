"""Run by SDK v3's interpreter (tests/test_docker_sdk_v3.py): the launcher's v3 ``ModelTrainer``
(``launch_v3.make_trainer``) for a config with instance type ``local``, i.e. ``Mode.LOCAL_CONTAINER``, trained
for real with Docker Compose on the managed-image stand-in. Prints the model.tar.gz path as the last line.

    python sdk3_local_fit.py <config.json> <staged source folder> <training channel folder> <container root>
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main(config_path, source_dir, channel, container_root):
    from ner_tagger.sagemaker import launch_v3

    with open(config_path, encoding="utf-8") as fh:
        config = json.load(fh)
    launched = launch_v3.make_trainer(config, config["role"], None, source_dir=source_dir)
    trainer = launched.trainer
    trainer.local_container_root = container_root  # compose file, mounts and artifacts under the test's folder
    trainer.train(input_data_config=launch_v3.input_data({"training": channel}), wait=True, logs=True)
    model = os.path.join(container_root, "compressed_artifacts", "model.tar.gz")
    print(json.dumps({"model": model, "image": trainer.training_image, "mode": trainer.training_mode.name}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
