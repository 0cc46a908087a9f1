"""Request bodies of ``POST /invocations`` -> sentences, with the size limits checked on the way.

Accepted (``Content-Type``):

- ``application/json``, the TF Serving REST shapes (https://www.tensorflow.org/tfx/serving/api_rest):
  row format ``{"instances": [...]}`` answered as ``{"predictions": [...]}``, and ``{"inputs": ...}``
  answered as ``{"outputs": [...]}``. Each instance is a sentence (``"Alice met Bob"``), a token list
  (``["Alice", "met", "Bob"]``) or a named input (``{"text": ...}`` / ``{"tokens": [...]}``); ``inputs`` may
  also be one sentence or columnar (``{"text": [...]}`` / ``{"tokens": [[...], ...]}``). A bare JSON list or
  string is taken as instances.
- ``text/plain``: one sentence a line.
- ``application/jsonlines`` (or ``application/x-jsonlines``): one JSON record a line, each a sentence, a token
  list, ``{"text": ...}`` or ``{"tokens": [...]}``, as Batch Transform sends a file split by line
  (``SplitType=Line``, ``BatchStrategy=MultiRecord``).

The line formats keep one record a line so answers line up with the input: lines end at ``\n`` only (a
trailing ``\r`` is dropped; Unicode line separators inside a sentence do not split it, as they do not for
Batch Transform), the body's final newline ends the last record rather than adding an empty one, and a
blank line is a record of its own, answered with no tokens. Errors name the record's line, 1-based.

A line-format body is a stream of records (what a Batch Transform job sends), so a record's problem stays
that record's: a malformed record is listed in :attr:`Request.refused` and answered with an error object on
its own line, and a record over the per-sentence limits is tagged in windows
(:mod:`ner_tagger.serving.records`). Only the body as a whole (size, content type, charset, record and
token counts) is refused. A JSON body is one request: any problem refuses all of it.

A JSON object (``application/json``) may also carry ``"scores": false``: the answers then leave out
the per-token ``scores``, the sequence ``score`` and the entities' ``score``, and the model skips the
CRF's forward-backward pass (the ``*_tags`` signatures, :mod:`ner_tagger.model.signatures`). Default
``true``; the line formats always answer with scores (a record is a sentence, not a request).

Every problem is a :class:`RequestError` carrying its HTTP status: 400 (malformed, or in a JSON body a
sentence over its limit), 413 (body, batch or tokens per request over their limit), 415 (content type).

Standard library only (and :mod:`ner_tagger.serving.answers`): the TF Serving endpoint's ``inference.py`` parses
requests with this module too, shipped beside it, so both endpoints accept the same requests.
"""
import dataclasses
import json
import os
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from ner_tagger.serving.answers import Sentence


class RequestError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-request bounds, each from an environment variable.

    The body default matches SageMaker real-time endpoints' 6 MB payload cap; the others keep one request
    from holding a worker (and its memory) far longer than its neighbours'.

    In a Batch Transform container (:func:`batch_transform_payload_mb`) the body limit is the job's
    ``MaxPayloadInMB`` and the batch and request-token counts are lifted to what such a body can hold: the
    platform already sized the mini-batch, and refusing part of it would fail the job. The per-sentence
    limits stay. An explicit ``NER_TAGGER_*`` variable still wins.
    """
    max_body_bytes: int = 6 * 1024 * 1024      # NER_TAGGER_MAX_BODY_BYTES
    max_batch: int = 512                        # NER_TAGGER_MAX_BATCH: sentences per request
    max_sentence_tokens: int = 512              # NER_TAGGER_MAX_SENTENCE_TOKENS
    max_sentence_chars: int = 10000             # NER_TAGGER_MAX_SENTENCE_CHARS
    max_request_tokens: int = 50000             # NER_TAGGER_MAX_REQUEST_TOKENS

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Limits":
        environ = os.environ if environ is None else environ
        values = _batch_transform_limits(environ)
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
    # A line-format body: one answer per record, a long record in windows (ner_tagger.serving.records).
    records: bool = False
    # Line formats: record index -> why that record cannot be tagged (its sentence is then "").
    refused: Dict[int, RequestError] = dataclasses.field(default_factory=dict)


# MaxPayloadInMB may be 0 (chunked bodies of any size); the CreateTransformJob API caps it at 100 otherwise.
BATCH_TRANSFORM_MAX_PAYLOAD_MB = 100


def batch_transform_payload_mb(environ: Mapping[str, str]) -> Optional[int]:
    """The mini-batch size cap in MB when this container serves a Batch Transform job, else None.

    SageMaker sets ``SAGEMAKER_BATCH=true`` and ``SAGEMAKER_MAX_PAYLOAD_IN_MB`` in a transform job's
    container (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-batch-code.html); the job's
    default payload is 6 MB.
    """
    raw = (environ.get("SAGEMAKER_MAX_PAYLOAD_IN_MB") or "").strip()
    if not raw and (environ.get("SAGEMAKER_BATCH") or "").strip().lower() != "true":
        return None
    try:
        mb = int(raw or 6)
    except ValueError:
        raise ValueError(f"SAGEMAKER_MAX_PAYLOAD_IN_MB={raw!r}: expected an integer") from None
    if not 0 <= mb <= BATCH_TRANSFORM_MAX_PAYLOAD_MB:
        raise ValueError(f"SAGEMAKER_MAX_PAYLOAD_IN_MB={raw!r}: must be between 0 and "
                         f"{BATCH_TRANSFORM_MAX_PAYLOAD_MB}")
    return mb or BATCH_TRANSFORM_MAX_PAYLOAD_MB


def _batch_transform_limits(environ: Mapping[str, str]) -> dict:
    mb = batch_transform_payload_mb(environ)
    if mb is None:
        return {}
    # MiB, not 10^6 bytes: whichever SageMaker means, a mini-batch it sends fits.
    body = mb * 1024 * 1024
    # A record or a token takes at least two bytes (a character and a separator), so these never bind
    # before the body limit does.
    return {"max_body_bytes": body, "max_batch": body // 2, "max_request_tokens": body // 2}


JSONLINES = ("application/jsonlines", "application/x-jsonlines")
LINE_FORMATS = ("text/plain",) + JSONLINES
SUPPORTED = "application/json, application/jsonlines or text/plain"


def parse(body: bytes, content_type: str, limits: Limits) -> Tuple[List[Sentence], str]:
    """(sentences, response key) from a request body already read within ``max_body_bytes``."""
    request = parse_request(body, content_type, limits)
    return request.sentences, request.key


def parse_request(body: bytes, content_type: str, limits: Limits) -> Request:
    """The whole :class:`Request` from a body already read within ``max_body_bytes``."""
    media, params = _media_type(content_type)
    # In a line format a body of blank lines is blank records, each answered (with no tokens).
    if not body or (media not in LINE_FORMATS and not body.strip()):
        raise RequestError(400, "empty request body")
    text = _decode(body, params.get("charset", "utf-8"))
    if media == "application/json":
        request = _from_json(text)
        check(request.sentences, limits)
        return request
    if media == "text/plain":
        parse_line = _from_text_line
    elif media in JSONLINES:
        parse_line = _from_json_line
    else:
        raise RequestError(415, f"unsupported content type {content_type!r}; use {SUPPORTED}")
    sentences, refused = [], {}
    for index, line in enumerate(records(text)):
        try:
            sentence = parse_line(line, index + 1)
            _check_unicode(sentence, _line(index))
        except RequestError as err:
            refused[index], sentence = err, ""
        sentences.append(sentence)
    check_size(sentences, limits)
    return Request(sentences, "predictions", records=True, refused=refused)


def records(text: str) -> List[str]:
    """The lines of a line-format body, split as Batch Transform splits a file (see the module docstring)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final newline ends the last record
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _line(index: int) -> str:
    return f"line {index + 1}"


def _from_text_line(line: str, number: int) -> Sentence:
    return line


def _from_json_line(line: str, number: int) -> Sentence:
    if not line.strip():
        return ""  # a blank record, answered with no tokens so the answers stay in line with the input
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        raise RequestError(400, f"line {number}: invalid JSON at column {err.colno}: {err.msg}") from None
    except (RecursionError, ValueError) as err:
        reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise RequestError(400, f"line {number}: invalid JSON: {reason}") from None
    return _sentence(value, f"line {number}")


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


def _sentence_index(index: int) -> str:
    return f"sentence {index}"


def token_count(sentence: Sentence) -> int:
    """Tokens as the limits count them. For text, whitespace tokens: a lower bound, since the model's
    splitter only adds splits (punctuation)."""
    return len(sentence.split()) if isinstance(sentence, str) else len(sentence)


def check(sentences: List[Sentence], limits: Limits, where: Callable[[int], str] = _sentence_index) -> None:
    """Raise :class:`RequestError` for the first limit ``sentences`` break; ``where(i)`` names sentence i."""
    _check_count(sentences, limits)
    for i, sentence in enumerate(sentences):
        _check_unicode(sentence, where(i))
        check_sentence(sentence, limits, where(i))
    check_size(sentences, limits)


def check_sentence(sentence: Sentence, limits: Limits, where: str) -> None:
    """The per-sentence limits (characters, tokens); ``where`` names the sentence."""
    if isinstance(sentence, str) and len(sentence) > limits.max_sentence_chars:
        raise RequestError(400, f"{where}: {len(sentence)} characters; the limit is "
                                f"{limits.max_sentence_chars} (NER_TAGGER_MAX_SENTENCE_CHARS)")
    count = token_count(sentence)
    if count > limits.max_sentence_tokens:
        raise RequestError(400, f"{where}: {count} tokens; the limit is {limits.max_sentence_tokens} "
                                "(NER_TAGGER_MAX_SENTENCE_TOKENS)")


def _check_count(sentences: List[Sentence], limits: Limits) -> None:
    if len(sentences) > limits.max_batch:
        raise RequestError(413, f"{len(sentences)} sentences in one request; the limit is {limits.max_batch} "
                                "(NER_TAGGER_MAX_BATCH)")


def check_size(sentences: List[Sentence], limits: Limits) -> None:
    """The per-request limits: how many sentences, how many tokens in all (413)."""
    _check_count(sentences, limits)
    total = sum(token_count(sentence) for sentence in sentences)
    if total > limits.max_request_tokens:
        raise RequestError(413, f"{total} tokens in one request; the limit is {limits.max_request_tokens} "
                                "(NER_TAGGER_MAX_REQUEST_TOKENS)")


def _check_unicode(sentence: Sentence, where: str) -> None:
    """A JSON ``\\ud800`` escape (or a codec like unicode_escape) yields a lone surrogate: no UTF-8 form, so
    the model's string tensors and the JSON answer could not hold it. That is the client's error, a 400."""
    for text in [sentence] if isinstance(sentence, str) else sentence:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            raise RequestError(400, f"{where}: not valid Unicode (lone surrogate at character "
                                    f"{err.start})") from None
