"""Request bodies of ``POST /invocations`` -> sentences, with the size limits checked on the way.

Accepted (``Content-Type``):

- ``application/json``, the TF Serving REST shapes (https://www.tensorflow.org/tfx/serving/api_rest):
  row format ``{"instances": [...]}`` answered as ``{"predictions": [...]}``, and ``{"inputs": ...}``
  answered as ``{"outputs": [...]}``. Each instance is a sentence (``"Alice met Bob"``), a token list
  (``["Alice", "met", "Bob"]``) or a named input (``{"text": ...}`` / ``{"tokens": [...]}``); ``inputs`` may
  also be one sentence or columnar (``{"text": [...]}`` / ``{"tokens": [[...], ...]}``). A bare JSON list or
  string is taken as instances.
- ``text/plain``: one sentence a line.

A JSON object may also carry ``"scores": false``: the answers then leave out the per-token ``scores``, the
sequence ``score`` and the entities' ``score``, and the model skips the CRF's forward-backward pass
(the ``*_tags`` signatures, :mod:`ner_tagger.serving_signatures`). Default ``true``.

Every problem is a :class:`RequestError` carrying its HTTP status: 400 (malformed, or a sentence over its
limit), 413 (body, batch or tokens per request over their limit), 415 (content type).

Standard library only (and :mod:`ner_tagger.answers`): the TF Serving endpoint's ``inference.py`` parses
requests with this module too, shipped beside it, so both endpoints accept the same requests.
"""
import dataclasses
import json
import os
from typing import List, Mapping, Optional, Tuple

from ner_tagger.answers import Sentence


class RequestError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-request bounds, each from an environment variable.

    The body default matches SageMaker real-time endpoints' 6 MB payload cap; the others keep one request
    from holding a worker (and its memory) far longer than its neighbours'. Raise them for batch transform.
    """
    max_body_bytes: int = 6 * 1024 * 1024      # NER_TAGGER_MAX_BODY_BYTES
    max_batch: int = 512                        # NER_TAGGER_MAX_BATCH: sentences per request
    max_sentence_tokens: int = 512              # NER_TAGGER_MAX_SENTENCE_TOKENS
    max_sentence_chars: int = 10000             # NER_TAGGER_MAX_SENTENCE_CHARS
    max_request_tokens: int = 50000             # NER_TAGGER_MAX_REQUEST_TOKENS

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Limits":
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            name = "NER_TAGGER_" + f.name.upper()
            if environ.get(name):
                try:
                    values[f.name] = int(environ[name])
                except ValueError:
                    raise ValueError(f"{name}={environ[name]!r}: expected an integer") from None
                if values[f.name] < 1:
                    raise ValueError(f"{name}={environ[name]!r}: must be >= 1")
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class Request:
    sentences: List[Sentence]
    key: str              # the response's key: "predictions" or "outputs"
    scores: bool = True   # per-token and sequence scores wanted


def parse(body: bytes, content_type: str, limits: Limits) -> Tuple[List[Sentence], str]:
    """(sentences, response key) from a request body already read within ``max_body_bytes``."""
    request = parse_request(body, content_type, limits)
    return request.sentences, request.key


def parse_request(body: bytes, content_type: str, limits: Limits) -> Request:
    """The whole :class:`Request` from a body already read within ``max_body_bytes``."""
    media, params = _media_type(content_type)
    if not body or not body.strip():
        raise RequestError(400, "empty request body")
    text = _decode(body, params.get("charset", "utf-8"))
    if media == "application/json":
        request = _from_json(text)
    elif media == "text/plain":
        request = Request(text.splitlines(), "predictions")
    else:
        raise RequestError(415, f"unsupported content type {content_type!r}; use application/json or "
                                "text/plain")
    check(request.sentences, limits)
    return request


def _media_type(content_type: str):
    parts = [p.strip() for p in (content_type or "").split(";")]
    params = {}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return parts[0].lower(), params


def _decode(body: bytes, charset: str) -> str:
    """The body as text in the client's charset; any codec Python knows may be named, so any may fail."""
    try:
        return body.decode(charset)
    except (LookupError, ValueError):
        # ValueError covers UnicodeError, which codecs such as 'undefined', 'punycode' and 'idna' raise
        # instead of UnicodeDecodeError, and a charset name with a NUL in it.
        raise RequestError(400, f"body is not valid {charset} text") from None


def _from_json(text: str) -> Request:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise RequestError(400, f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except RecursionError:
        # A few MB of "[[[[..." nest deeper than the parser recurses; that is a bad request, not a 500.
        raise RequestError(400, "invalid JSON: nested too deeply") from None
    except ValueError as err:
        # Python refuses integers of more than 4300 digits (CVE-2020-10735) with a plain ValueError.
        raise RequestError(400, f"invalid JSON: {err}") from None
    if isinstance(value, (list, str)):
        return Request(_rows(value), "predictions")
    if not isinstance(value, dict) or len({"instances", "inputs"} & set(value)) != 1:
        raise RequestError(400, "expected a JSON object with exactly one of 'instances' or 'inputs'")
    scores = value.get("scores", True)
    if not isinstance(scores, bool):
        raise RequestError(400, f"'scores' must be true or false, not {json.dumps(scores)[:40]}")
    if "instances" in value:
        if not isinstance(value["instances"], list):
            raise RequestError(400, "'instances' must be a list")
        return Request(_rows(value["instances"]), "predictions", scores)
    inputs = value["inputs"]
    return Request(_columns(inputs) if isinstance(inputs, dict) else _rows(inputs), "outputs", scores)


def _rows(value) -> List[Sentence]:
    rows = [value] if isinstance(value, str) else value
    if not isinstance(rows, list):
        raise RequestError(400, "expected a sentence, or a list of sentences or token lists")
    return [_sentence(row, f"instance {i}") for i, row in enumerate(rows)]


def _columns(inputs: dict) -> List[Sentence]:
    if len(inputs) != 1 or not set(inputs) <= {"text", "tokens"}:
        raise RequestError(400, "'inputs' as an object takes exactly one of 'text' or 'tokens'")
    (name, column), = inputs.items()
    if not isinstance(column, list):
        raise RequestError(400, f"'inputs.{name}' must be a list")
    return [_sentence({name: row}, f"inputs.{name}[{i}]") for i, row in enumerate(column)]


def _sentence(row, where: str) -> Sentence:
    if isinstance(row, dict):
        if len(row) != 1 or not set(row) <= {"text", "tokens"}:
            raise RequestError(400, f"{where}: an object takes exactly one of 'text' or 'tokens'")
        (name, row), = row.items()
        if name == "text" and not isinstance(row, str):
            raise RequestError(400, f"{where}: 'text' must be a string")
        if name == "tokens" and not isinstance(row, list):
            raise RequestError(400, f"{where}: 'tokens' must be a list of strings")
    if isinstance(row, str):
        return row
    if isinstance(row, list) and all(isinstance(t, str) and t for t in row):
        return row
    # An empty token has no characters to tag and no span in the text; ``predict --tokens`` refuses it too.
    raise RequestError(400, f"{where}: expected a string or a list of non-empty strings")


def check(sentences: List[Sentence], limits: Limits) -> None:
    if len(sentences) > limits.max_batch:
        raise RequestError(413, f"{len(sentences)} sentences in one request; the limit is {limits.max_batch} "
                                "(NER_TAGGER_MAX_BATCH)")
    total = 0
    for i, sentence in enumerate(sentences):
        _check_unicode(sentence, i)
        if isinstance(sentence, str):
            if len(sentence) > limits.max_sentence_chars:
                raise RequestError(400, f"sentence {i}: {len(sentence)} characters; the limit is "
                                        f"{limits.max_sentence_chars} (NER_TAGGER_MAX_SENTENCE_CHARS)")
            # Whitespace tokens are a lower bound: the model's splitter only adds splits (punctuation).
            count = len(sentence.split())
        else:
            count = len(sentence)
        if count > limits.max_sentence_tokens:
            raise RequestError(400, f"sentence {i}: {count} tokens; the limit is {limits.max_sentence_tokens} "
                                    "(NER_TAGGER_MAX_SENTENCE_TOKENS)")
        total += count
    if total > limits.max_request_tokens:
        raise RequestError(413, f"{total} tokens in one request; the limit is {limits.max_request_tokens} "
                                "(NER_TAGGER_MAX_REQUEST_TOKENS)")


def _check_unicode(sentence: Sentence, i: int) -> None:
    """A JSON ``\\ud800`` escape (or a codec like unicode_escape) yields a lone surrogate: no UTF-8 form, so
    the model's string tensors and the JSON answer could not hold it. That is the client's error, a 400."""
    for text in [sentence] if isinstance(sentence, str) else sentence:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise RequestError(400, f"sentence {i}: not valid Unicode (lone surrogate at character "
                                    f"{err.start})") from None
