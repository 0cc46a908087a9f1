"""The TF Serving endpoint's request handler: the same requests and answers as the BYOC endpoint.

Deployed by :func:`ner_tagger.sagemaker.launch.make_model` as ``TensorFlowModel(entry_point="inference.py",
source_dir="serving_entry", dependencies=[<the TF-free ner_tagger modules>])``: the SDK puts this file in
``model.tar.gz`` under ``code/`` and the modules under ``code/lib/ner_tagger/``, and the container's Python
service (sagemaker-tensorflow-serving-container ``python_service.py``) runs with both folders on its path,
so the request parsing (:mod:`ner_tagger.container.payload`) and the answer (:mod:`ner_tagger.answers`) are
the BYOC server's own code, not a copy. The container has no TensorFlow in that Python and no rest of the
package: those modules import neither.

The container calls ``handler(data, context)`` once per request (it prefers ``handler`` to an
``input_handler``/``output_handler`` pair). One handler rather than the pair because a request may mix raw
sentences and token lists, and TF Serving's REST predict runs one signature per call: the ``text``
signature splits raw sentences in the graph, ``tokens_lengths`` takes token lists.

The answer's media type follows :func:`ner_tagger.container.media.response_type`, as BYOC's does: JSON lines
for Batch Transform's ``application/jsonlines`` mini-batches (or when ``Accept`` asks for them), else JSON.

What differs from BYOC is the container's, not ours: a refused request (:class:`RequestError`) reaches the
client as the container's 500 ``{"error": message}``, not as a 400/413/415 with ``status``.
"""
import json
import os

import requests

from ner_tagger import answers
from ner_tagger.container import media
from ner_tagger.container.payload import Limits, RequestError, parse_request

# SageMaker real-time endpoints give an invocation 60 seconds; waiting longer on TF Serving helps no one.
TF_SERVING_TIMEOUT_S = 60
# Sentences per TF Serving call, as BYOC's NER_TAGGER_PREDICT_BATCH: a Batch Transform mini-batch holds up to
# ~100k sentences, which in one call would pad to one huge tensor and outlast the timeout above.
DEFAULT_BATCH = 128


def handler(data, context):
    """Request stream -> ``(body, content type)``, what BYOC's ``/invocations`` would send."""
    content_type = context.request_content_type or ""
    answer_type = media.response_type(context.accept_header or "", content_type)
    limits = Limits.from_env()
    body = data.read(limits.max_body_bytes + 1)
    if len(body) > limits.max_body_bytes:
        raise RequestError(413, f"body over {limits.max_body_bytes} bytes (NER_TAGGER_MAX_BODY_BYTES)")
    body = body.encode("utf-8") if isinstance(body, str) else body
    request = parse_request(body, content_type, limits)
    batch = int(os.environ.get("NER_TAGGER_PREDICT_BATCH") or DEFAULT_BATCH)
    scores = request.scores
    results = answers.in_request_order(
        request.sentences,
        lambda texts: _batched(texts, batch, lambda chunk: _predict_text(context, chunk, scores)),
        lambda rows: _batched(rows, batch, lambda chunk: _predict_tokens(context, chunk, scores)), scores)
    return media.render(results, request.key, answer_type), answer_type


def _batched(items, size, predict):
    """``predict(chunk)`` over chunks of similar length (less padding); answers in input order."""
    order = sorted(range(len(items)), key=lambda i: len(items[i]))
    answered = [None] * len(items)
    for start in range(0, len(order), size):
        chunk = order[start:start + size]
        for i, answer in zip(chunk, predict([items[i] for i in chunk])):
            answered[i] = answer
    return answered


def _signature(name, scores):
    # The tags-only twin (``text_tags``, ``tokens_lengths_tags``) skips the CRF's forward-backward pass;
    # ner_tagger.serving_signatures names them (not imported: it needs TensorFlow).
    return name if scores else f"{name}_tags"


def _predict_text(context, texts, scores=True):
    outputs = _serve(context, {"signature_name": _signature("text", scores), "inputs": {"text": texts}})
    answered = []
    for row, text in enumerate(texts):
        tokens = outputs["tokens"][row][:int(outputs["lengths"][row])]
        answered.append(_answer(text, tokens, outputs, row))
    return answered


def _predict_tokens(context, rows, scores=True):
    width = max(len(tokens) for tokens in rows)
    padded = [tokens + [""] * (width - len(tokens)) for tokens in rows]
    outputs = _serve(context, {"signature_name": _signature("tokens_lengths", scores),
                               "inputs": {"tokens": padded, "lengths": [len(tokens) for tokens in rows]}})
    return [_answer(" ".join(tokens), tokens, outputs, row) for row, tokens in enumerate(rows)]


def _serve(context, request):
    """TF Serving's REST predict, columnar (``inputs``) so rows may differ in length -> ``outputs``."""
    response = requests.post(context.rest_uri, data=json.dumps(request), timeout=TF_SERVING_TIMEOUT_S)
    if response.status_code != 200:
        raise ValueError(f"TF Serving answered {response.status_code}: {response.content.decode('utf-8')}")
    return json.loads(response.content.decode("utf-8"))["outputs"]


def _answer(text, tokens, outputs, row):
    n = len(tokens)
    if "scores" not in outputs:
        return answers.sentence_answer(text, tokens, outputs["tags"][row][:n], None, None)
    return answers.sentence_answer(text, tokens, outputs["tags"][row][:n], outputs["scores"][row][:n],
                                   outputs["sequence_score"][row])
