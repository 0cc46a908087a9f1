"""The TF Serving endpoint's request handler: the same requests and answers as the BYOC endpoint.

Deployed by :func:`ner_tagger.sagemaker.launch.make_model` as ``TensorFlowModel(entry_point="inference.py",
source_dir="serving_entry", dependencies=[<the TF-free ner_tagger modules>])``: the SDK puts this file in
``model.tar.gz`` under ``code/`` and the modules under ``code/lib/ner_tagger/``, and the container's Python
service (sagemaker-tensorflow-serving-container ``python_service.py``) runs with both folders on its path,
so the request parsing (:mod:`ner_tagger.serving.payload`), the batches, the signature and the answer
(:mod:`ner_tagger.serving.core`, :mod:`ner_tagger.serving.answers`) are the BYOC server's own code, not a copy.
The container has no TensorFlow in that Python and no rest of the package: those modules import neither.

The container calls ``handler(data, context)`` once per request (it prefers ``handler`` to an
``input_handler``/``output_handler`` pair). One handler rather than the pair because a request may mix raw
sentences and token lists, and TF Serving's REST predict runs one signature per call: the ``text``
signature splits raw sentences in the graph, ``tokens_lengths`` takes token lists.

The answer's media type follows :func:`ner_tagger.serving.media.response_type`, as BYOC's does: JSON lines
for Batch Transform's ``application/jsonlines`` mini-batches (or when ``Accept`` asks for them), else JSON.

A line-format request (a Batch Transform mini-batch) is answered record by record, as BYOC answers it
(:mod:`ner_tagger.serving.records`): a long record in windows, a malformed one with an error object on
its own line.

Time: the container runs this handler in a gunicorn worker (``--timeout``
``SAGEMAKER_GUNICORN_TIMEOUT_SECONDS``, default 30) behind nginx (``proxy_read_timeout``
``SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS``, default 60, raised by the container to at least the gunicorn
timeout), its ``serve.py`` reading both. The handler's own budget (:func:`request_budget_s`) is that gunicorn
timeout less a margin (:func:`ner_tagger.serving.deadline.budget`); TF Serving is called in chunks, each
call waiting at most the time left, and a request that would outlast the budget raises
:class:`~ner_tagger.serving.deadline.DeadlineExceeded`, naming the setting, before gunicorn (sync
workers) or nginx (the default gevent workers, which gunicorn never times out while they wait on a socket)
would cut the request off with no answer of ours.

What differs from BYOC is the container's, not ours: a refused request (:class:`RequestError`) reaches the
client as the container's 500 ``{"error": message}``, not as a 400/413/415/503 with ``status``.
"""
import json
import os

import requests
from requests import exceptions as http_errors

from ner_tagger.serving import answers, core, media, records
from ner_tagger.serving.deadline import Deadline, budget, chunked
from ner_tagger.serving.payload import Limits, RequestError, batch_transform_payload_mb, parse_request

# The TF Serving container's gunicorn timeout: its serve.py reads this variable, default 30 s.
GUNICORN_TIMEOUT_VAR, GUNICORN_TIMEOUT_DEFAULT_S = "SAGEMAKER_GUNICORN_TIMEOUT_SECONDS", 30
# Sentences per TF Serving call, as BYOC's NER_TAGGER_PREDICT_BATCH: a Batch Transform mini-batch holds up to
# ~100k sentences, which in one call would pad to one huge tensor and outlast any timeout; and the deadline
# is checked between calls.
DEFAULT_BATCH = 128


def gunicorn_timeout_s(environ=None) -> int:
    """The container's gunicorn ``--timeout``, read as its serve.py reads it (an integer, default 30)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(GUNICORN_TIMEOUT_VAR) or str(GUNICORN_TIMEOUT_DEFAULT_S)
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{GUNICORN_TIMEOUT_VAR}={raw!r}: expected an integer") from None


def request_budget_s(environ=None) -> float:
    """Seconds a request may take here: the container's gunicorn timeout (and SageMaker's 60 s for a
    real-time endpoint) less a margin."""
    environ = os.environ if environ is None else environ
    return budget(gunicorn_timeout_s(environ), batch_transform_payload_mb(environ) is not None)


def handler(data, context):
    """Request stream -> ``(body, content type)``, what BYOC's ``/invocations`` would send."""
    deadline = Deadline(request_budget_s(), f"{GUNICORN_TIMEOUT_VAR}={gunicorn_timeout_s()} less a margin")
    content_type = context.request_content_type or ""
    answer_type = media.response_type(context.accept_header or "", content_type)
    limits = Limits.from_env()
    body = data.read(limits.max_body_bytes + 1)
    if len(body) > limits.max_body_bytes:
        raise RequestError(413, f"body over {limits.max_body_bytes} bytes (NER_TAGGER_MAX_BODY_BYTES)")
    body = body.encode("utf-8") if isinstance(body, str) else body
    request = parse_request(body, content_type, limits)
    batch = int(os.environ.get("NER_TAGGER_PREDICT_BATCH") or DEFAULT_BATCH)

    def predict(sentences, scores):
        return answers.in_request_order(
            sentences,
            lambda texts: chunked(texts, batch, lambda chunk: _predict_text(context, chunk, scores, deadline),
                                  deadline),
            lambda rows: chunked(rows, batch, lambda chunk: _predict_tokens(context, chunk, scores, deadline),
                                 deadline),
            scores)

    if request.records:
        results = records.answer(request, limits, lambda pieces: predict(pieces, True))
    else:
        results = predict(request.sentences, request.scores)
    return media.render(results, request.key, answer_type), answer_type


def _predict_text(context, texts, scores=True, deadline=None):
    outputs = _serve(context, {"signature_name": core.signature(core.TEXT, scores),
                               "inputs": {"text": texts}}, deadline)
    return core.text_answers(texts, outputs, scores)


def _predict_tokens(context, rows, scores=True, deadline=None):
    tokens, lengths = core.padded(rows)
    outputs = _serve(context, {"signature_name": core.signature(core.TOKENS_LENGTHS, scores),
                               "inputs": {"tokens": tokens, "lengths": lengths}}, deadline)
    return core.tokens_answers(rows, outputs, scores)


def _serve(context, request, deadline=None):
    """TF Serving's REST predict, columnar (``inputs``) so rows may differ in length -> ``outputs``; waits
    at most the time left to the request (``TimeoutError`` past it)."""
    wait = (deadline or Deadline(request_budget_s())).remaining()
    try:
        response = requests.post(context.rest_uri, data=json.dumps(request), timeout=max(wait, 0.001))
    except http_errors.Timeout:
        raise TimeoutError(f"TF Serving did not answer within {wait:.1f} s") from None
    if response.status_code != 200:
        raise ValueError(f"TF Serving answered {response.status_code}: {response.content.decode('utf-8')}")
    return json.loads(response.content.decode("utf-8"))["outputs"]

