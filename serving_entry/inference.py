"""Pre- and post-processing for the SageMaker TensorFlow Serving container: raw text in, entities out.

Deployed as ``TensorFlowModel(..., entry_point="inference.py", source_dir="serving_entry")``; the SDK puts it
in ``model.tar.gz`` under ``code/`` and the container's Python service calls, per request::

    body = input_handler(data, context)            # -> JSON for TF Serving's REST predict API
    response = requests.post(context.rest_uri, data=body)
    return output_handler(response, context)       # -> (body, content type)

The container has no ``ner_tagger`` (and may have no TensorFlow in its Python), so this file is
self-contained standard library. The exported model does the real work: the ``text`` signature splits raw
sentences in the graph, ``tokens_lengths`` takes pre-tokenised ones; both return ``tokens``, ``tags`` (in the
model's IOBES or IOB2 encoding), per-token ``scores`` and ``sequence_score``.

Accepted request bodies:

- ``text/plain``: one sentence per non-empty line.
- ``application/json``: ``"a sentence"``, ``["s1", "s2"]``, ``{"text": "s" | [...]}``,
  ``{"instances": [...]}`` (strings) or ``{"tokens": [["Alice", "met", "Bob"], ...]}``.

Response (``application/json``): one object per sentence, ``{"text", "tokens", "tags" (IOB2), "score",
"entities": [{"type", "text", "start", "end", "score"}]}``; ``start``/``end`` are character offsets into the
sentence (for token input, into the tokens joined by single spaces).
"""
import json

JSON, TEXT = "application/json", "text/plain"


def input_handler(data, context):
    """Request stream -> TF Serving REST body (columnar ``inputs``, so token rows may differ in length)."""
    raw = data.read()
    body = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    content_type = (context.request_content_type or JSON).split(";")[0].strip().lower()
    if content_type == TEXT:
        return _text_request([line for line in body.splitlines() if line.strip()])
    if content_type != JSON:
        raise ValueError(f"unsupported content type {content_type!r}; send {TEXT} or {JSON}")
    payload = json.loads(body)
    if isinstance(payload, dict) and "tokens" in payload:
        return _tokens_request(payload["tokens"])
    if isinstance(payload, dict):
        payload = payload.get("text", payload.get("instances"))
    texts = [payload] if isinstance(payload, str) else payload
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ValueError('expected a string, a list of strings, {"text": ...} or {"tokens": [[...], ...]}')
    return _text_request(texts)


def output_handler(response, context):
    """TF Serving's response -> ``(JSON body, content type)``.

    The sentences are read back from the request this response answers (``response.request.body``): the
    container's handler context is shared by concurrent requests, so nothing is kept between the calls.
    """
    if response.status_code != 200:
        raise ValueError(response.content.decode("utf-8"))
    request = json.loads(response.request.body)
    outputs = json.loads(response.content.decode("utf-8"))["outputs"]
    if request["signature_name"] == "text":
        texts = request["inputs"]["text"]
    else:
        texts = [" ".join(row[:n]) for row, n in zip(request["inputs"]["tokens"], request["inputs"]["lengths"])]
    results = [_sentence(text, outputs, row) for row, text in enumerate(texts)]
    return json.dumps(results), JSON


def _text_request(texts):
    return json.dumps({"signature_name": "text", "inputs": {"text": texts}})


def _tokens_request(sentences):
    if not isinstance(sentences, list) or not all(isinstance(s, list) for s in sentences):
        raise ValueError('"tokens" must be a list of token lists')
    width = max([len(s) for s in sentences] + [1])
    padded = [[str(t) for t in s] + [""] * (width - len(s)) for s in sentences]
    return json.dumps({"signature_name": "tokens_lengths",
                       "inputs": {"tokens": padded, "lengths": [len(s) for s in sentences]}})


def _sentence(text, outputs, row):
    n = int(outputs["lengths"][row])
    tokens = outputs["tokens"][row][:n]
    tags = to_iob2(outputs["tags"][row][:n])
    scores = [round(float(s), 4) for s in outputs["scores"][row][:n]]
    spans = align(text, tokens)
    entities = []
    for kind, first, last in entity_spans(tags):
        start, end = spans[first][0], spans[last - 1][1]
        entities.append({"type": kind, "text": text[start:end], "start": start, "end": end,
                         "score": round(sum(scores[first:last]) / (last - first), 4)})
    return {"text": text, "tokens": tokens, "tags": tags, "score": round(float(outputs["sequence_score"][row]), 4),
            "entities": entities}


def to_iob2(tags):
    """IOBES or IOB2 -> IOB2 (``S-`` begins, ``E-`` continues); an ``I-`` after another type begins."""
    out, previous = [], None
    for tag in tags:
        prefix, _, kind = tag.partition("-")
        if not kind:
            out.append("O")
            previous = None
            continue
        begins = prefix in ("B", "S") or kind != previous
        out.append(("B-" if begins else "I-") + kind)
        previous = None if prefix in ("E", "S") else kind
    return out


def entity_spans(tags):
    """``(type, first token, end token)`` of each entity in IOB2 ``tags``."""
    spans = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-"):
            spans.append([tag[2:], i, i + 1])
        elif tag.startswith("I-") and spans and spans[-1][2] == i and spans[-1][0] == tag[2:]:
            spans[-1][2] = i + 1
    return [tuple(s) for s in spans]


def align(text, tokens):
    """Character spans of ``tokens`` found in order in ``text`` (zero width where one is missing)."""
    spans, position = [], 0
    for token in tokens:
        start = text.find(token, position)
        if start < 0:
            spans.append((position, position))
            continue
        position = start + len(token)
        spans.append((start, position))
    return spans
