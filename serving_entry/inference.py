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

What differs from BYOC is the container's, not ours: a refused request (:class:`RequestError`) reaches the
client as the container's 500 ``{"error": message}``, not as a 400/413/415 with ``status``.
"""
import json

import requests

from ner_tagger import answers
from ner_tagger.container.payload import Limits, RequestError, parse_request

JSON = "application/json"
# SageMaker real-time endpoints give an invocation 60 seconds; waiting longer on TF Serving helps no one.
TF_SERVING_TIMEOUT_S = 60


def handler(data, context):
    """Request stream -> ``(JSON body, content type)``, the body BYOC's ``/invocations`` would send."""
    limits = Limits.from_env()
    body = data.read(limits.max_body_bytes + 1)
    if len(body) > limits.max_body_bytes:
        raise RequestError(413, f"body over {limits.max_body_bytes} bytes (NER_TAGGER_MAX_BODY_BYTES)")
    body = body.encode("utf-8") if isinstance(body, str) else body
    request = parse_request(body, context.request_content_type or "", limits)
    scores = request.scores
    results = answers.in_request_order(request.sentences, lambda texts: _predict_text(context, texts, scores),
                                       lambda rows: _predict_tokens(context, rows, scores), scores)
    return json.dumps({request.key: results}, ensure_ascii=False), JSON


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
