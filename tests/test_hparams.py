import json

import pytest

from ner_tagger.errors import HParamsError
from ner_tagger.hparams import HParams


def test_defaults_are_valid_and_round_trip_through_json(tmp_path):
    hp = HParams()
    hp.save(tmp_path / "params.json")
    assert HParams.from_json_file(str(tmp_path / "params.json")) == hp


@pytest.mark.parametrize("raw,expected", [
    ({"epochs": "3"}, {"epochs": 3}),                       # plain
    ({"epochs": '"3"'}, {"epochs": 3}),                     # JSON-encoded string (SDK v2)
    ({"lowercase": "True"}, {"lowercase": True}),
    ({"lowercase": "false"}, {"lowercase": False}),
    ({"lowercase": "1"}, {"lowercase": True}),
    ({"dev_file": '"valid.txt"'}, {"dev_file": "valid.txt"}),
    ({"dev_file": "valid.txt"}, {"dev_file": "valid.txt"}),
    ({"dropout": "0.25", "learning_rate": "1e-3"}, {"dropout": 0.25, "learning_rate": 0.001}),
])
def test_sagemaker_string_encodings(raw, expected):
    hp = HParams.from_dict(raw, strings=True)
    assert {k: getattr(hp, k) for k in expected} == expected


@pytest.mark.parametrize("raw,fragment", [
    ({"epochs": "three"}, "'epochs'='three': expected an integer"),
    ({"epochs": "2.5"}, "'epochs'='2.5': expected an integer"),
    ({"dropout": "1.5"}, "'dropout'='1.5': must be <= 0.95"),
    ({"char_representation": "rnn"}, "must be one of cnn, lstm, none"),
    ({"lowercase": "maybe"}, "expected a boolean"),
    ({"learning_rate": "nan"}, "expected a finite number"),
    ({"batch_size": "0"}, "must be >= 1"),
    ({"bogus": "1"}, "unknown hyperparameter(s) 'bogus'"),
])
def test_bad_values_name_key_and_value(raw, fragment):
    with pytest.raises(HParamsError) as err:
        HParams.from_dict(raw, strings=True, source="hyperparameters.json")
    assert fragment in str(err.value) and str(err.value).startswith("hyperparameters.json: ")


def test_config_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"epochs": 3,\n "dropout": }')
    with pytest.raises(HParamsError, match=r"bad\.json:2: not valid JSON"):
        HParams.from_json_file(str(bad))
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"epochs": "x"}))
    with pytest.raises(HParamsError, match=r"wrong\.json: hyperparameter 'epochs'"):
        HParams.from_json_file(str(wrong))


def test_shipped_configs_are_valid():
    """Every file in configs/: hyperparameters, or (sagemaker.json) a launch config whose hyperparameters
    section must be valid too."""
    import glob
    import os

    from ner_tagger.sagemaker import launch

    paths = {os.path.basename(p): p for p in glob.glob(os.path.join(os.path.dirname(__file__), "..",
                                                                     "configs", "*.json"))}
    assert {"default.json", "wnut17.json", "sagemaker.json"} <= set(paths)
    for name, path in paths.items():
        if name == "sagemaker.json":
            launch.check_hyperparameters(launch.load_config(path)["hyperparameters"])
        else:
            HParams.from_json_file(path)


def test_mixed_precision_needs_adam():
    assert HParams.from_dict({"mixed_precision": "true"}, strings=True).mixed_precision is True
    with pytest.raises(HParamsError, match="'mixed_precision'=True: needs optimizer 'adam', not 'lazy_adam'"):
        HParams.from_dict({"mixed_precision": True, "optimizer": "lazy_adam"})


def test_from_params_reads_the_estimator_params_and_leaves_the_job_keys():
    hp = HParams(lstm_units=7, tag_encoding="iob2")
    params = dict(hp.to_dict(), vocab_dir="/tmp/vocab", embeddings_npy="/tmp/e.npy")
    assert HParams.from_params(params) == hp
    assert HParams.from_params(hp) is hp
    with pytest.raises(HParamsError, match=r"params: hyperparameter 'lstm_units'=0"):
        HParams.from_params(dict(params, lstm_units=0))
