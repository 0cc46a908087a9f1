"""The response body of ``/invocations``: one JSON document, or JSON lines for Batch Transform.

- ``application/json``: ``{key: [answer, ...]}`` (``key`` is ``predictions`` or ``outputs``, see
  :mod:`ner_tagger.serving.payload`).
- ``application/jsonlines``: one answer a line, in request order, so a Batch Transform job with
  ``AssembleWith=Line`` writes one output line per input line. Lines are joined by ``\\n`` with none after
  the last: SageMaker adds that newline when it assembles the mini-batches, and a second one would put a
  blank line between them.

Chosen by :func:`response_type`: JSON lines when ``Accept`` names ``application/jsonlines``, and always for
a JSON-lines request (the TF Serving container fills a missing ``Accept`` with ``application/json``, so
honouring that for JSON-lines requests would answer Batch Transform differently on the two endpoints).

Standard library only: shipped beside the TF Serving handler with :mod:`ner_tagger.serving.payload`.
"""
import json
from typing import Dict, List

from ner_tagger.serving.payload import JSONLINES, RequestError

JSON = "application/json"
JSONLINES_TYPE = JSONLINES[0]
_ANY = ("*/*", "application/*", "")


def response_type(accept: str, content_type: str) -> str:
    """The media type to answer a ``content_type`` request whose client sent ``accept``; 406 if none fits."""
    ranges = [part.split(";")[0].strip().lower() for part in (accept or "").split(",")]
    request_is_jsonlines = (content_type or "").split(";")[0].strip().lower() in JSONLINES
    if any(r in JSONLINES for r in ranges):
        return JSONLINES_TYPE
    if any(r in (JSON,) + _ANY for r in ranges):
        return JSONLINES_TYPE if request_is_jsonlines else JSON
    raise RequestError(406, f"cannot answer in {accept!r}; responses are {JSON} or {JSONLINES_TYPE}")


def render(results: List[Dict], key: str, media: str) -> str:
    """The body for ``results`` (one answer a sentence) in ``media`` (from :func:`response_type`)."""
    if media == JSONLINES_TYPE:
        return "\n".join(json.dumps(result, ensure_ascii=False) for result in results)
    return json.dumps({key: results}, ensure_ascii=False)
