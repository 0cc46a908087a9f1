"""Ground Truth manifests and JSONL with spans: the shapes read, and malformed records named by file, line
and field."""
import json

import pytest

from ner_tagger.corpus import json_records
from ner_tagger.errors import DataError

GT = {"source": "Bob flew to Oslo",
      "ner-job": {"annotations": {"entities": [{"startOffset": 0, "endOffset": 3, "label": "PER"},
                                               {"startOffset": 12, "endOffset": 16, "label": "LOC"}],
                                  "labels": [{"label": "PER"}, {"label": "LOC"}]}},
      "ner-job-metadata": {"type": "groundtruth/text-span", "job-name": "labeling-job/ner-job"}}


def write_lines(tmp_path, *records, name="data.jsonl"):
    path = tmp_path / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
                    encoding="utf-8")
    return str(path)


def records(path):
    return list(json_records.iter_records(path))


def test_manifest_record_and_its_label_attribute(tmp_path):
    (place, record), = records(write_lines(tmp_path, GT))
    assert place.line == 1
    assert json_records.label_attribute(record, place) == "ner-job"
    text, entities = json_records.manifest_record(record, "ner-job", place)
    assert text == "Bob flew to Oslo"
    assert [(e.start, e.end, e.label, e.field) for e in entities] == [
        (0, 3, "PER", "ner-job.annotations.entities[0]"), (12, 16, "LOC", "ner-job.annotations.entities[1]")]


def test_two_label_attributes_need_the_hyperparameter(tmp_path):
    record = dict(GT, **{"other-job": GT["ner-job"]})
    (place, record), = records(write_lines(tmp_path, "", record))
    with pytest.raises(DataError, match=r"data.jsonl:2: cannot tell the label attribute \(found 'ner-job', "
                                        r"'other-job'\); set the label_attribute"):
        json_records.label_attribute(record, place)
    assert json_records.manifest_record(record, "other-job", place)[0] == "Bob flew to Oslo"


@pytest.mark.parametrize("record", [
    {"text": "Bob flew to Oslo", "entities": [[0, 3, "PER"], [12, 16, "LOC"]]},
    {"text": "Bob flew to Oslo", "spans": [{"start": 0, "end": 3, "label": "PER"},
                                         {"start": 12, "end": 16, "label": "LOC", "token_start": 3}]},
    {"text": "Bob flew to Oslo", "label": [{"start": 0, "end": 3, "text": "Bob", "labels": ["PER"]},
                                         {"start": 12, "end": 16, "text": "Oslo", "labels": ["LOC"]}]},
    {"text": "Bob flew to Oslo", "entities": [{"type": "PER", "start": 0, "end": 3, "score": 0.9},
                                             {"type": "LOC", "start": 12, "end": 16}]},
], ids=["spacy", "prodigy", "labelstudio-min", "predict-output"])
def test_span_shapes(tmp_path, record):
    (place, record), = records(write_lines(tmp_path, record))
    text, entities = json_records.span_record(record, place)
    assert [(e.start, e.end, e.label) for e in entities] == [(0, 3, "PER"), (12, 16, "LOC")]
    assert entities[0].text in (None, "Bob")  # the covered text, where the record gives it


def test_a_json_array_file_is_read_with_record_numbers(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"text": "a b", "label": []}, {"text": "c", "label": 5}], indent=1))
    (first, a), (second, b) = records(str(path))
    assert json_records.span_record(a, first) == ("a b", [])
    with pytest.raises(DataError, match=r"export.json: record 2: field 'label' must be a list"):
        json_records.span_record(b, second)


def test_token_record_takes_predict_output_as_is(tmp_path):
    (place, record), = records(write_lines(tmp_path, {"text": "Bob ran", "tokens": ["Bob", "ran"],
                                                      "tags": ["B-PER", "O"], "entities": []}))
    assert json_records.token_record(record, place) == (["Bob", "ran"], ["B-PER", "O"])
    (place, record), = records(write_lines(tmp_path, {"tokens": ["Bob", "ran"], "tags": ["O"]}))
    with pytest.raises(DataError, match=r"data.jsonl:1: fields 'tokens' and 'tags' differ in length"):
        json_records.token_record(record, place)


@pytest.mark.parametrize("line, reader, message", [
    ('{"text": "a", "entities": [[0, 1, "X"]]', "span", r":3: not valid JSON"),
    ('["a"]', "span", r":3: expected a JSON object a line"),
    ('{"txt": "a", "entities": []}', "span", r":3: no field 'text' \(keys: entities, txt\)"),
    ('{"text": 5, "entities": []}', "span", r":3: field 'text' must be a string"),
    ('{"text": "a b"}', "span", r":3: no entity list: expected a field 'entities' or 'spans' or 'label'"),
    ('{"text": "a b", "entities": [[0, 1]]}', "span", r":3: field 'entities\[0\]': expected \[start, end, label\]"),
    ('{"text": "a b", "entities": [["0", 1, "X"]]}', "span", r":3: field 'entities\[0\]': start '0' is not an int"),
    ('{"text": "a b", "spans": [{"start": 0, "label": "X"}]}', "span", r":3: field 'spans\[0\]': no 'end'"),
    ('{"text": "a b", "label": [{"start": 0, "end": 1, "labels": ["X", "Y"]}]}', "span",
     r":3: field 'label\[0\].labels': expected a list of exactly one label"),
    ('{"text": "a b", "entities": [{"start": 0, "end": 1}]}', "span",
     r":3: field 'entities\[0\]': no 'label', 'labels' or 'type'"),
    ('{"source": "a b", "job-metadata": {}}', "manifest", r":3: no label attribute 'job'"),
    ('{"source": "a b", "job": {"annotations": {}}}', "manifest",
     r":3: field 'job.annotations.entities' is missing or not a list"),
    ('{"source": "a b", "job": {"annotations": {"entities": [{"startOffset": 0, "endOffset": 1.5, '
     '"label": "X"}]}}}', "manifest", r":3: field 'job.annotations.entities\[0\]': end 1.5 is not an integer"),
])
def test_malformed_records_name_file_line_and_field(tmp_path, line, reader, message):
    fine = {"text": "fine", "entities": []} if reader == "span" else {"source": "fine", "job": GT["ner-job"]}
    path = write_lines(tmp_path, fine, "", line)
    with pytest.raises(DataError, match=r"data.jsonl" + message):
        for place, record in records(path):
            if reader == "span":
                json_records.span_record(record, place)
            else:
                json_records.manifest_record(record, "job", place)


def test_bytes_that_are_not_utf8_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "a", "entities": []}\n{"text": "\xff"}\n')
    with pytest.raises(DataError, match=r"bad.jsonl:2: not UTF-8 \(byte 0xff"):
        records(str(path))
