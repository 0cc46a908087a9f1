"""A fake ``/opt/ml`` tree's config files, and the channels the bring-your-own container reads from it."""
import json
import os


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(value, fh)
    return str(path)


def channel_roles(paths, config, distributed=False):
    """role -> folder as ``train`` reads them (:meth:`JobEnvironment.from_opt_ml`): ``config`` written as
    ``inputdataconfig.json`` (none when empty: a run outside SageMaker), two hosts when ``distributed``."""
    from ner_tagger.sagemaker.environment import JobEnvironment

    if config:
        write_json(paths.input_data_config, config)
    elif os.path.exists(paths.input_data_config):
        os.remove(paths.input_data_config)
    hosts = ["algo-1", "algo-2"] if distributed else ["algo-1"]
    write_json(paths.resource_config, {"current_host": "algo-1", "hosts": hosts})
    return JobEnvironment.from_opt_ml(paths, {}).channel_roles()
