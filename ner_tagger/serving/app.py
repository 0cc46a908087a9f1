"""The WSGI application behind ``serve``: SageMaker's hosting contract on top of a :class:`Predictor`.

https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html#your-algorithms-inference-code-container-response

- ``GET /ping``: 200 when this worker's model is loaded (it is loaded before the worker accepts
  connections, see :mod:`ner_tagger.container.wsgi`).
- ``POST /invocations``: a batch of sentences (see :mod:`ner_tagger.serving.payload`) -> one result a
  sentence, in one JSON document or as JSON lines (see :mod:`ner_tagger.serving.media`): ``tokens``,
  ``tags`` (IOB2), ``scores``, ``score`` and ``entities`` (``type``, ``text``, ``start``/``end`` character
  offsets, ``token_start``/``token_end``, ``score``); with ``"scores": false`` in the request, the same
  without the scores.
- ``GET /execution-parameters``: what batch transform should send (SageMaker asks once at start).

Every error is JSON ``{"error": message, "status": code}``; a bad request never raises out of the app, so
a client cannot kill a worker. Nor can a slow one: the model runs in chunks of ``batch_size`` sentences
within the request's time budget (:mod:`ner_tagger.serving.deadline`, from the server's timeout), and a
request that would outlast it is answered 503 before the client or SageMaker gives up on it. A line-format
request is answered record by record (:mod:`ner_tagger.serving.records`). No TensorFlow here: the
predictor is handed in.

The app keeps no state between requests, so one instance serves a worker's threads at once; the predictor
must be thread-safe too (:class:`ner_tagger.serving.exported_model.Predictor` is: a session's ``run`` is).
"""
import json
import logging
import traceback
from typing import Callable, List, NamedTuple, Optional

from ner_tagger.serving import answers, media, records
from ner_tagger.serving.deadline import Deadline, chunked
from ner_tagger.serving.payload import Limits, RequestError, Sentence, parse_request

log = logging.getLogger("ner_tagger.serve")
JSON = "application/json"
STATUS = {200: "200 OK", 400: "400 Bad Request", 404: "404 Not Found", 405: "405 Method Not Allowed",
          406: "406 Not Acceptable", 413: "413 Content Too Large", 415: "415 Unsupported Media Type",
          500: "500 Internal Server Error", 503: "503 Service Unavailable"}
DEADLINE = "ner_tagger.deadline"  # the request's Deadline, in its WSGI environ


class Rendered(NamedTuple):
    """A response body already in its media type (JSON lines are not one JSON value)."""
    text: str
    content_type: str


class InvocationsApp:
    """``concurrency``: requests worth sending at once (``/execution-parameters``); ``budget_s``: seconds a
    request may take (None: no limit), set by ``budget_setting`` (named in the error); ``batch_size``:
    sentences per model call, the deadline checked between calls."""

    def __init__(self, predictor, limits: Limits = None, concurrency: int = 1, budget_s: Optional[float] = None,
                 budget_setting: str = "", batch_size: int = 128):
        self.predictor, self.limits, self.concurrency = predictor, limits or Limits(), concurrency
        self.budget_s, self.budget_setting, self.batch_size = budget_s, budget_setting, batch_size

    def __call__(self, environ, start_response):
        # The budget runs from here, reading the body included.
        environ[DEADLINE] = Deadline(self.budget_s, self.budget_setting)
        try:
            status, body = self.route(environ)
        except RequestError as err:
            if err.status >= 500:
                log.warning("invocation refused: %s", err.message)
            status, body = err.status, {"error": err.message, "status": err.status}
        except Exception:  # noqa: BLE001 - a model failure answers 500 and the worker lives on
            log.error("invocation failed:\n%s", traceback.format_exc())
            status, body = 500, {"error": "internal error while predicting; see the endpoint's log",
                                 "status": 500}
        if not isinstance(body, Rendered):
            body = Rendered(json.dumps(body, ensure_ascii=False), JSON)
        data = body.text.encode("utf-8")
        start_response(STATUS[status], [("Content-Type", body.content_type), ("Content-Length", str(len(data)))])
        return [data]

    def route(self, environ):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        routes = {"/ping": ("GET", self.ping), "/invocations": ("POST", self.invocations),
                  "/execution-parameters": ("GET", self.execution_parameters)}
        if path not in routes:
            raise RequestError(404, f"no route {path!r}; use /ping or /invocations")
        allowed, handler = routes[path]
        if method != allowed and not (allowed == "GET" and method == "HEAD"):
            raise RequestError(405, f"{path} takes {allowed}, not {method}")
        return handler(environ)

    def ping(self, environ):
        return 200, {"status": "ok"}

    def execution_parameters(self, environ):
        return 200, {"MaxConcurrentTransforms": self.concurrency, "BatchStrategy": "MULTI_RECORD",
                     "MaxPayloadInMB": max(1, self.limits.max_body_bytes // (1024 * 1024))}

    def invocations(self, environ):
        content_type = environ.get("CONTENT_TYPE", "")
        answer_type = media.response_type(environ.get("HTTP_ACCEPT", ""), content_type)
        body = self.read_body(environ)
        request = parse_request(body, content_type, self.limits)
        deadline = environ.get(DEADLINE) or Deadline(None)
        if request.records:
            answered = records.answer(request, self.limits, lambda pieces: self.predict(pieces, True, deadline))
        else:
            answered = self.predict(request.sentences, request.scores, deadline)
        return 200, Rendered(media.render(answered, request.key, answer_type), answer_type)

    def read_body(self, environ) -> bytes:
        limit = self.limits.max_body_bytes
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared:
            try:
                length = int(declared)
            except ValueError:
                raise RequestError(400, f"invalid Content-Length {declared!r}") from None
            if length > limit:
                raise RequestError(413, f"body of {length} bytes; the limit is {limit} (NER_TAGGER_MAX_BODY_BYTES)")
            return environ["wsgi.input"].read(length) if length else b""
        # Chunked upload: read one byte past the limit to know it was exceeded without holding more.
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            raise RequestError(413, f"body over {limit} bytes (NER_TAGGER_MAX_BODY_BYTES)")
        return body

    def predict(self, sentences: List[Sentence], scores: bool = True, deadline: Deadline = None) -> List[dict]:
        deadline, size = deadline or Deadline(None), self.batch_size
        return answers.in_request_order(
            sentences,
            lambda texts: chunked(texts, size, lambda c: self.predictor.predict_text(c, scores=scores), deadline),
            lambda rows: chunked(rows, size, lambda c: self.predictor.predict_tokens(c, scores=scores), deadline),
            scores)


def create(load_predictor: Callable[[], object], limits: Limits = None, concurrency: int = 1,
           budget_s: Optional[float] = None, budget_setting: str = "", batch_size: int = 128) -> InvocationsApp:
    return InvocationsApp(load_predictor(), limits or Limits.from_env(), concurrency, budget_s, budget_setting,
                          batch_size)
