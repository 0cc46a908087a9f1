"""POST /invocations bodies -> sentences, and the per-request limits."""
import encodings
import encodings.aliases
import json
import pkgutil
import random

import pytest

from ner_tagger.serving.payload import Limits, RequestError, parse, parse_request

JSON, TEXT = "application/json", "text/plain"
LIMITS = Limits()


def parsed(value, content_type=JSON, limits=LIMITS):
    body = value if isinstance(value, bytes) else (json.dumps(value) if content_type == JSON else value).encode()
    return parse(body, content_type, limits)


def status(value, content_type=JSON, limits=LIMITS):
    with pytest.raises(RequestError) as err:
        parsed(value, content_type, limits)
    return err.value.status, err.value.message


@pytest.mark.parametrize("body,sentences,key", [
    ({"instances": ["Alice met Bob", ["Alice", "met", "Bob"]]}, ["Alice met Bob", ["Alice", "met", "Bob"]],
     "predictions"),
    ({"instances": [{"text": "a b"}, {"tokens": ["a", "b"]}]}, ["a b", ["a", "b"]], "predictions"),
    ({"inputs": ["a b", ["c"]]}, ["a b", ["c"]], "outputs"),
    ({"inputs": "one sentence"}, ["one sentence"], "outputs"),
    ({"inputs": {"text": ["a b", "c"]}}, ["a b", "c"], "outputs"),
    ({"inputs": {"tokens": [["a", "b"], ["c"]]}}, [["a", "b"], ["c"]], "outputs"),
    (["a b", ["c"]], ["a b", ["c"]], "predictions"),
    ("just text", ["just text"], "predictions"),
    ({"instances": []}, [], "predictions"),
])
def test_json_shapes(body, sentences, key):
    assert parsed(body) == (sentences, key)


@pytest.mark.parametrize("body, content_type, scores", [
    ({"instances": ["a b"]}, JSON, True),
    ({"instances": ["a b"], "scores": False}, JSON, False),
    ({"inputs": {"tokens": [["a"]]}, "scores": False}, JSON, False),
    ({"inputs": "a b", "scores": True}, JSON, True),
    (["a b"], JSON, True),
    ("a b", TEXT, True),
])
def test_scores_field_is_read_from_json_objects(body, content_type, scores):
    raw = (json.dumps(body) if content_type == JSON else body).encode()
    request = parse_request(raw, content_type, LIMITS)
    assert request.scores is scores and len(request.sentences) == 1


@pytest.mark.parametrize("value", ["false", 0, None, [False]])
def test_scores_field_must_be_a_boolean(value):
    code, message = status({"instances": ["a"], "scores": value})
    assert code == 400 and "'scores' must be true or false" in message


def test_text_plain_is_one_sentence_a_line_and_keeps_blank_lines():
    assert parsed("Alice met Bob\n\nin Paris\r\n", TEXT) == (["Alice met Bob", "", "in Paris"], "predictions")


def test_content_type_parameters_and_charset():
    body = json.dumps({"instances": ["Zürich"]}, ensure_ascii=False).encode("utf-16")
    assert parse(body, "Application/JSON; charset=utf-16", LIMITS)[0] == ["Zürich"]


@pytest.mark.parametrize("body,content_type,code,message", [
    (b"", JSON, 400, "empty"),
    (b"  \n", JSON, 400, "empty"),
    (b"", TEXT, 400, "empty"),
    (b"{bad", JSON, 400, "invalid JSON at line 1"),
    (b"[" * 100000, JSON, 400, "invalid JSON"),
    (b"\xff\xfe\xfa", TEXT, 400, "not valid utf-8"),
    (b"a", "text/csv", 415, "unsupported content type"),
    (b"a", "", 415, "unsupported content type"),
    (b"a", "text/plain; charset=rot13", 400, "not valid rot13"),
    (b'{"instances": "a", "inputs": "b"}', JSON, 400, "exactly one of"),
    (b'{"instances": {"a": 1}}', JSON, 400, "'instances' must be a list"),
    (b'{"instances": [3]}', JSON, 400, "instance 0"),
    (b'{"instances": [["a", 3]]}', JSON, 400, "instance 0"),
    (b'{"instances": [["a", ""]]}', JSON, 400, "non-empty strings"),
    (b'{"instances": [{"text": "a", "tokens": ["a"]}]}', JSON, 400, "exactly one of 'text' or 'tokens'"),
    (b'{"instances": [{"text": ["a"]}]}', JSON, 400, "'text' must be a string"),
    (b'{"inputs": {"words": ["a"]}}', JSON, 400, "'inputs' as an object"),
    (b'{"inputs": {"text": "a"}}', JSON, 400, "'inputs.text' must be a list"),
    (b'{"inputs": 3}', JSON, 400, "expected a sentence"),
    (b"3", JSON, 400, "exactly one of"),
    # Found by fuzzing serve (tests/test_reliability_serve.py); each was a 500 before.
    (b'{"instances": [' + b"1" * 5000 + b"]}", JSON, 400, "invalid JSON"),
    (b"a", "text/plain; charset=undefined", 400, "not valid undefined"),
    (b"abc-9999999", "text/plain; charset=punycode", 400, "not valid punycode"),
    (b"a", "text/plain; charset=utf\0", 400, "not valid utf\0"),
    (b'{"instances": ["a \\ud800 b"]}', JSON, 400, "sentence 0: not valid Unicode (lone surrogate at character 2)"),
    (b'{"instances": [["a", "\\udfff"]]}', JSON, 400, "sentence 0: not valid Unicode"),
    (b'{"inputs": {"tokens": [["a"], ["\\ud800"]]}}', JSON, 400, "sentence 1: not valid Unicode"),
])
def test_bad_requests_are_4xx_with_a_message(body, content_type, code, message):
    assert status(body, content_type)[0] == code
    assert message in status(body, content_type)[1]


@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")  # unicode_escape on random bytes
def test_any_charset_python_knows_is_parsed_or_refused_with_400():
    """Whatever codec a client names, decoding fails only as a RequestError (some raise UnicodeError, not
    UnicodeDecodeError; some produce lone surrogates)."""
    names = set(encodings.aliases.aliases.values()) | {m.name for m in pkgutil.iter_modules(encodings.__path__)}
    rng = random.Random(0)
    bodies = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30))) for _ in range(12)]
    bodies += [b"a..b", b"abc-9999999", b"\\ud800", b"+2D3/-", b'["\\ud800"]', b"xn--" + b"a" * 70]
    for name in sorted(names):
        for media in (JSON, TEXT):
            for body in bodies:
                try:
                    parse(body, f"{media}; charset={name}", LIMITS)
                except RequestError as err:
                    assert err.status in (400, 415), (name, body)


def test_limits():
    small = Limits(max_batch=2, max_sentence_tokens=3, max_sentence_chars=20, max_request_tokens=5)
    assert status({"instances": ["a", "b", "c"]}, limits=small) == (
        413, "3 sentences in one request; the limit is 2 (NER_TAGGER_MAX_BATCH)")
    assert status({"instances": [["a"] * 4]}, limits=small)[0] == 400
    assert status({"instances": ["a b c d"]}, limits=small)[0] == 400
    assert "NER_TAGGER_MAX_SENTENCE_CHARS" in status({"instances": ["x" * 21]}, limits=small)[1]
    assert status({"instances": ["a b c", "d e f"]}, limits=small)[0] == 413
    assert parsed({"instances": ["a b c", "d e"]}, limits=small)[0] == ["a b c", "d e"]


def test_limits_from_environment():
    limits = Limits.from_env({"NER_TAGGER_MAX_BATCH": "7", "NER_TAGGER_MAX_BODY_BYTES": "1000"})
    assert (limits.max_batch, limits.max_body_bytes, limits.max_sentence_tokens) == (7, 1000, 512)
    for bad in ("lots", "0"):
        with pytest.raises(ValueError, match="NER_TAGGER_MAX_BATCH"):
            Limits.from_env({"NER_TAGGER_MAX_BATCH": bad})


JSONL = "application/jsonlines"


def test_jsonlines_records_are_one_a_line_and_blank_lines_are_kept():
    body = '"Alice met Bob"\n["Carol", "left"]\n\n{"text": "a b"}\r\n{"tokens": ["c"]}\n'
    assert parsed(body, JSONL) == (["Alice met Bob", ["Carol", "left"], "", "a b", ["c"]], "predictions")
    assert parsed('"x"', "application/x-jsonlines")[0] == ["x"]


def test_line_formats_split_at_newlines_only():
    # U+2028 and U+0085 are line breaks to str.splitlines but not to Batch Transform's SplitType=Line.
    assert parsed("a\u2028b\nc\u0085d\n", TEXT)[0] == ["a\u2028b", "c\u0085d"]
    assert parsed('"a\u2028b"\n', JSONL)[0] == ["a\u2028b"]


@pytest.mark.parametrize("body,message", [
    ('"ok"\n{bad\n', "line 2: invalid JSON at column 2"),
    ('"ok"\n\n3\n', "line 3: expected a string or a list of non-empty strings"),
    ('{"text": "a", "id": 1}\n', "line 1: an object takes exactly one of 'text' or 'tokens'"),
    ('["a", ""]\n', "line 1: expected a string or a list of non-empty strings"),
    ('"a"\n"\\ud800"\n', "line 2: not valid Unicode"),
    ("[" * 100000 + "\n", "line 1: invalid JSON"),
])
def test_bad_jsonlines_records_are_refused_alone_naming_their_line(body, message):
    request = parse_request(body.encode(), JSONL, LIMITS)
    assert request.records and len(request.refused) == 1
    (index, err), = request.refused.items()
    assert err.status == 400 and err.message.startswith(message), err.message
    assert request.sentences[index] == "" and f"line {index + 1}:" in err.message


def test_a_text_line_that_cannot_be_tagged_is_refused_alone():
    request = parse_request(b"Alice\nBob \\ud800\n", "text/plain; charset=unicode_escape", LIMITS)
    assert request.sentences == ["Alice", ""] and request.refused[1].message.startswith("line 2: not valid Unicode")


def test_blank_line_bodies_are_blank_records():
    assert parse_request(b"  \n\n", TEXT, LIMITS).sentences == ["  ", ""]
    assert parse_request(b"\n", JSONL, LIMITS).sentences == [""]


def test_line_format_records_over_the_sentence_limits_are_kept_for_windows_the_request_limits_hold():
    small = Limits(max_sentence_tokens=3, max_batch=2, max_request_tokens=6)
    request = parse_request(b"a\nb c d e\n", TEXT, small)  # windows.split tags line 2 in pieces
    assert request.sentences == ["a", "b c d e"] and request.refused == {}
    assert parse_request(b'"a"\n["b", "c", "d", "e"]\n', JSONL, small).sentences[1] == ["b", "c", "d", "e"]
    assert status(b"a\nb\nc\n", TEXT, small) == (413, "3 sentences in one request; the limit is 2 "
                                                       "(NER_TAGGER_MAX_BATCH)")
    assert status(b"a b c\nb c d e\n", TEXT, small)[0] == 413
    assert status(b'["b c d e"]', JSON, small) == (400, "sentence 0: 4 tokens; the limit is 3 "
                                                        "(NER_TAGGER_MAX_SENTENCE_TOKENS)")


def test_batch_transform_lifts_the_per_request_limits_to_the_payload_size():
    limits = Limits.from_env({"SAGEMAKER_BATCH": "true", "SAGEMAKER_MAX_PAYLOAD_IN_MB": "100"})
    assert limits.max_body_bytes == 100 * 1024 * 1024
    body = ("Alice met Bob in Paris .\n" * 100000).encode()  # 100k records, 600k tokens
    assert len(parse(body, TEXT, limits)[0]) == 100000
    assert status(body, TEXT)[0] == 413  # the real-time limits refuse it
    assert limits.max_sentence_tokens == Limits().max_sentence_tokens  # a record's own limits stay


def test_batch_transform_payload_setting():
    assert Limits.from_env({"SAGEMAKER_BATCH": "true"}).max_body_bytes == 6 * 1024 * 1024  # the job default
    assert Limits.from_env({"SAGEMAKER_MAX_PAYLOAD_IN_MB": "0"}).max_body_bytes == 100 * 1024 * 1024
    explicit = Limits.from_env({"SAGEMAKER_MAX_PAYLOAD_IN_MB": "50", "NER_TAGGER_MAX_BATCH": "10"})
    assert (explicit.max_body_bytes, explicit.max_batch) == (50 * 1024 * 1024, 10)
    assert Limits.from_env({"SAGEMAKER_BATCH": "false"}) == Limits()
    for bad in ("big", "101", "-1"):
        with pytest.raises(ValueError, match="SAGEMAKER_MAX_PAYLOAD_IN_MB"):
            Limits.from_env({"SAGEMAKER_MAX_PAYLOAD_IN_MB": bad})
