"""``benchmarks/batch_transform.py``: Batch Transform's split into mini-batches, its assembly, the check.

The script's run against a real ``serve`` is a benchmark (its figures are in the README); these test the
pieces that decide what is sent and what counts as lined up."""
import json
import os

import pytest

from benchmarks import batch_transform as bt


def test_mini_batches_hold_whole_records_in_order_within_the_payload():
    records = [b"a" * 3 + b"\n", b"bb\n", b"c" * 5 + b"\n", b"d\n"]
    batches = list(bt.mini_batches(records, max_bytes=7))
    assert batches == [b"aaa\nbb\n", b"ccccc\n", b"d\n"]  # 6 + 2 bytes would pass 7
    assert b"".join(batches) == b"".join(records)
    with pytest.raises(ValueError, match="record 2 is 9 bytes"):
        list(bt.mini_batches([b"a\n", b"x" * 8 + b"\n"], max_bytes=8))


def test_assembly_adds_one_newline_per_answer_and_the_check_lines_up_records():
    records = [json.dumps(s).encode() + b"\n" for s in ["Alice met Bob.", "hi"]] + [b'["New", "York"]\n']
    answers = [json.dumps({"tokens": ["Alice", "met", "Bob", "."]}).encode() + b"\n"
               + json.dumps({"tokens": ["hi"]}).encode(), json.dumps({"tokens": ["New", "York"]}).encode()]
    output = bt.assemble(answers)
    assert output.count(b"\n") == 3
    assert bt.mismatches(records, output, bt.JSONLINES) == []
    swapped = bt.assemble(list(reversed(answers)))
    assert bt.mismatches(records, swapped, bt.JSONLINES)[0].startswith("line 1: tokens 'NewYork'")
    assert bt.mismatches(records[:2], output, bt.JSONLINES) == ["3 output lines for 2 input lines"]


def test_wnut_records_repeat_the_sentences_as_json_strings_or_text():
    path = os.path.join(bt.REPO, "ner_tagger", "datasets", "wnut17", "dev.conll")
    records = bt.wnut_records(path, 5, bt.JSONLINES)
    assert len(records) == 5 and all(r.endswith(b"\n") and isinstance(json.loads(r), str) for r in records)
    assert [json.loads(r) for r in records] == [r.decode().rstrip("\n") for r in bt.wnut_records(path, 5, bt.TEXT)]


def test_error_lines_are_in_line_by_position():
    records = [b'"Alice"\n', b"{bad\n", b'{"text": "Bob left"}\n']
    output = bt.assemble([b'{"tokens": ["Alice"]}\n{"error": "line 2: invalid JSON", "line": 2}\n'
                          b'{"tokens": ["Bob", "left"]}'])
    assert bt.mismatches(records, output, bt.JSONLINES) == []


@pytest.mark.slow  # a real `serve` with the shared trained model
def test_a_job_with_an_over_long_and_a_malformed_record_answers_every_line(trained, tmp_path, capsys):
    long_record = " ".join(["Alice met Bob in Paris ."] * 120)  # 720 tokens: over the 512-token limit
    records = [json.dumps("Eve works for Initech ."), json.dumps(long_record), '{"text": "unclosed',
               json.dumps(["Carol", "left"]), json.dumps("x" * 12000), ""]
    source = tmp_path / "input.jsonl"
    source.write_text("\n".join(records) + "\n", encoding="utf-8")
    out = tmp_path / "output.jsonl"
    code = bt.main(["--model", str(trained["export"]), "--input", str(source), "--output", str(out),
                    "--workers", "1", "--max-payload-mb", "1"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(records) == report["lines"]
    assert report["output_lines_match"] and report["windowed_lines"] == 1 and report["refused_lines"] == 2
    assert lines[1]["windows"] > 1 and lines[1]["tokens"] == long_record.split()
    assert lines[2]["line"] == 3 and "invalid JSON" in lines[2]["error"]
    assert lines[4]["line"] == 5 and "NER_TAGGER_MAX_SENTENCE_CHARS" in lines[4]["error"]
    assert lines[5]["tokens"] == []
