"""Writing character-offset files from tokenised sentences, computed here independently of the code under
test: the text is the tokens joined by single spaces, an entity's offsets those of its first and last token."""
import json

from ner_tagger.corpus import tagging


def offsets_record(tokens, tags):
    """``(text, [(start, end, label), ...])`` for IOB2 ``tags``."""
    starts, position = [], 0
    for token in tokens:
        starts.append(position)
        position += len(token) + 1
    entities = [(starts[first], starts[last - 1] + len(tokens[last - 1]), kind)
                for kind, first, last in tagging.to_spans(list(tags), "iob2")]
    return " ".join(tokens), entities


def write_manifest(path, sentences, attribute="ner-job"):
    """A Ground Truth named-entity augmented manifest (one JSON object a line)."""
    with open(path, "w", encoding="utf-8") as fh:
        for tokens, tags in sentences:
            text, entities = offsets_record(tokens, tags)
            labels = sorted({label for _, _, label in entities})
            fh.write(json.dumps({
                "source": text,
                attribute: {"annotations": {
                    "entities": [{"startOffset": s, "endOffset": e, "label": label} for s, e, label in entities],
                    "labels": [{"label": label} for label in labels]}},
                f"{attribute}-metadata": {"type": "groundtruth/text-span", "human-annotated": "yes",
                                          "entities": [{"confidence": 0.9} for _ in entities]},
            }, ensure_ascii=False) + "\n")
    return str(path)


def write_spans_jsonl(path, sentences, style="spacy"):
    """JSONL with text and spans: ``spacy`` ([start, end, label] under entities), ``prodigy`` (objects under
    spans), ``labelstudio`` (Label Studio JSON-MIN objects under label)."""
    with open(path, "w", encoding="utf-8") as fh:
        for tokens, tags in sentences:
            text, entities = offsets_record(tokens, tags)
            if style == "spacy":
                record = {"text": text, "entities": [list(e) for e in entities]}
            elif style == "prodigy":
                record = {"text": text, "spans": [{"start": s, "end": e, "label": k} for s, e, k in entities]}
            else:
                record = {"text": text, "label": [{"start": s, "end": e, "text": text[s:e], "labels": [k]}
                                                   for s, e, k in entities]}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return str(path)
