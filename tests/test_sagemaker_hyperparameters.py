"""hyperparameters.json (every value a string, plain or JSON-encoded) -> typed HParams."""
import json

import pytest

from ner_tagger.errors import HParamsError
from ner_tagger.sagemaker import hyperparameters


def write(tmp_path, values, raw=False):
    path = tmp_path / "hyperparameters.json"
    path.write_text(values if raw else json.dumps(values), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("plain,encoded,expected", [
    ("3", json.dumps("3"), 3),
    ("True", json.dumps("true"), True),
    ("0.25", json.dumps("0.25"), 0.25),
])
def test_plain_and_json_encoded_strings_agree(tmp_path, plain, encoded, expected):
    key = {int: "lstm_layers", bool: "lowercase", float: "dropout"}[type(expected)]
    for raw in (plain, encoded):
        assert getattr(hyperparameters.load(write(tmp_path, {key: raw})), key) == expected


def test_string_values_both_forms(tmp_path):
    hp = hyperparameters.load(write(tmp_path, {"char_representation": '"lstm"', "tag_scheme": "iob1"}))
    assert (hp.char_representation, hp.tag_scheme) == ("lstm", "iob1")


def test_missing_or_empty_file_means_defaults(tmp_path):
    assert hyperparameters.load(str(tmp_path / "absent.json")).lstm_units == 100
    assert hyperparameters.load(write(tmp_path, {})).lstm_units == 100


def test_sagemaker_reserved_keys_are_ignored(tmp_path):
    hp = hyperparameters.load(write(tmp_path, {"sagemaker_region": '"eu-west-1"', "word_dim": "8",
                                               "_tuning_objective_metric": "f1"}))
    assert hp.word_dim == 8


@pytest.mark.parametrize("values,named", [
    ({"lstm_unitz": "3"}, "'lstm_unitz'"),
    ({"dropout": "lots"}, "'dropout'='lots'"),
    ({"dropout": "2.0"}, "'dropout'"),
    ({"lstm_layers": "1.5"}, "'lstm_layers'"),
    ({"char_representation": '"gru"'}, "'char_representation'"),
    ({"lowercase": "maybe"}, "'lowercase'"),
])
def test_unknown_keys_and_bad_values_are_named(tmp_path, values, named):
    with pytest.raises(HParamsError, match=named):
        hyperparameters.load(write(tmp_path, values))


@pytest.mark.parametrize("content,message", [
    ('{"word_dim": {"a": 1}}', "nested values are not allowed"),
    ('{"word_dim": ["8"]}', "nested values are not allowed"),
    ('{"word_dim": null}', "null is not a value"),
    (json.dumps({"train_file": "x" * 257}), "257 characters"),
    ('["word_dim", "8"]', "must be a JSON object"),
    ('{"word_dim": "8",}', "not valid JSON"),
])
def test_contract_violations(tmp_path, content, message):
    with pytest.raises(HParamsError, match=message):
        hyperparameters.load(write(tmp_path, content, raw=True))


def test_a_256_character_value_is_allowed(tmp_path):
    assert hyperparameters.load(write(tmp_path, {"train_file": "t" * 256})).train_file == "t" * 256


def test_over_long_values_are_not_echoed(tmp_path):
    with pytest.raises(HParamsError) as err:
        hyperparameters.load(write(tmp_path, {"train_file": "s3cr3t" * 50}))
    assert "s3cr3t" not in str(err.value)
