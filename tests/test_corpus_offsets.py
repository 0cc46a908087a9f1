"""Character-offset entities -> tokens and tags: exact boundaries, drops counted with samples, clear errors."""
import logging

import pytest

from ner_tagger.corpus import offsets, tagging
from ner_tagger.corpus.json_records import Place
from ner_tagger.errors import DataError

E = offsets.Entity


def sentence(text, entities, on_mismatch="drop", tokenizer="text_signature", encoding="iob2"):
    counts = offsets.SpanCounts("f.jsonl")
    result = offsets.to_sentence(text, entities, offsets.tokenizer(tokenizer), encoding, on_mismatch, counts,
                                 Place("f.jsonl", 7))
    return result, counts


def test_entities_on_token_boundaries_become_tags():
    text = "Taylor Swift played in New York, didn't she?"
    result, counts = sentence(text, [E(0, 12, "PER", "e[0]"), E(23, 31, "LOC", "e[1]")])
    assert result.tokens == ("Taylor", "Swift", "played", "in", "New", "York", ",", "did", "n't", "she", "?")
    assert result.tags == ("B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O", "O", "O", "O", "O")
    assert (result.line, counts.entities, counts.dropped) == (7, 2, 0)


def test_tags_come_in_the_requested_encoding():
    result, _ = sentence("Bob met New York Jets", [E(0, 3, "PER", "a"), E(8, 21, "ORG", "b")], encoding="iobes")
    assert result.tags == ("S-PER", "O", "B-ORG", "I-ORG", "E-ORG")


def test_whitespace_at_entity_edges_is_trimmed_not_counted_as_a_mismatch():
    result, counts = sentence("see  Paris  now", [E(4, 11, "LOC", "e[0]")])
    assert result.tags == ("O", "B-LOC", "O") and counts.dropped == 0


def test_entity_off_token_boundaries_is_dropped_counted_and_sampled(caplog):
    text = "I love #Paris and Lyon"
    with caplog.at_level(logging.INFO, logger="ner_tagger"):
        result, counts = sentence(text, [E(8, 13, "LOC", "e[0]"), E(18, 22, "LOC", "e[1]")])
        counts.log()
    assert result.tags == ("O", "O", "O", "O", "B-LOC")
    assert (counts.entities, counts.dropped) == (2, 1)
    assert "line 7 e[0] LOC [8, 13) 'Paris'" in counts.samples[0]
    assert "1 of 2 entities are not on token boundaries" in caplog.text and "'Paris'" in caplog.text


def test_samples_are_capped_but_every_drop_is_counted():
    counts = offsets.SpanCounts("f")
    tokenize = offsets.tokenizer("text_signature")
    for i in range(offsets.SAMPLES + 3):
        offsets.to_sentence("abc def", [E(0, 2, "X", "e[0]")], tokenize, "iob2", "drop", counts, Place("f", i + 1))
    assert (counts.entities, counts.dropped, len(counts.samples)) == (8, 8, offsets.SAMPLES)
    assert counts.samples[0].startswith("line 1 e[0] X [0, 2) 'ab'")


def test_span_mismatch_error_names_file_line_and_field():
    with pytest.raises(DataError, match=r"^f.jsonl:7: field 'e\[0\]': entity LOC \[8, 13\) 'Paris' does not start"):
        sentence("I love #Paris", [E(8, 13, "LOC", "e[0]")], on_mismatch="error")


def test_whitespace_tokenizer_keeps_tokens_as_given():
    result, counts = sentence("Mr. Smith 's", [E(0, 9, "PER", "e")], tokenizer="whitespace")
    assert result.tokens == ("Mr.", "Smith", "'s") and result.tags == ("B-PER", "I-PER", "O")


@pytest.mark.parametrize("entities, message", [
    ([E(0, 3, "A", "e[0]"), E(2, 7, "B", "e[1]")], r"entities overlap: e\[0\] A \[0, 3\) and e\[1\] B \[2, 7\)"),
    ([E(4, 4, "A", "e[0]")], r"field 'e\[0\]': offsets \[4, 4\) are not a non-empty span of the text"),
    ([E(0, 99, "A", "e[0]")], r"field 'e\[0\]': offsets \[0, 99\) .* \(length 7\)"),
    ([E(-1, 3, "A", "e[0]")], r"field 'e\[0\]': offsets \[-1, 3\)"),
    ([E(0, 3, "my label", "e[0]")], r"field 'e\[0\]': label 'my label' must be a non-empty name"),
    ([E(0, 3, "O", "e[0]")], r"field 'e\[0\]': label 'O'"),
])
def test_bad_entities_are_errors_naming_the_line_and_field(entities, message):
    with pytest.raises(DataError, match=r"^f.jsonl:7: " + message):
        sentence("abc def", entities)


def test_an_entity_whose_text_disagrees_with_its_offsets_is_an_error():
    """Offsets counted in UTF-16 units (JavaScript tools) are one off after an emoji."""
    text = "\U0001F600 Bob and Alice"
    assert sentence(text, [E(2, 5, "PER", "e[0]", "Bob")])[0].tags == ("O", "B-PER", "O", "O")
    with pytest.raises(DataError, match=r"^f.jsonl:7: field 'e\[0\]': offsets \[3, 6\) cover 'ob ' but the "
                                        r"entity's text is 'Bob' \(offsets must count characters"):
        sentence(text, [E(3, 6, "PER", "e[0]", "Bob")])


def test_empty_text_is_an_error():
    with pytest.raises(DataError, match=r"^f.jsonl:7: the text is empty"):
        sentence("   ", [])


def test_entity_offsets_inverts_the_whitespace_tokenizer():
    tokens, tags = ["Alice", "met", "New", "York", "Jets"], ["B-PER", "O", "B-ORG", "I-ORG", "I-ORG"]
    record = offsets.entity_offsets(tokens, tags)
    assert record == {"text": "Alice met New York Jets", "entities": [[0, 5, "PER"], [10, 23, "ORG"]]}
    back, _ = sentence(record["text"], [E(s, e, k, "x") for s, e, k in record["entities"]], tokenizer="whitespace")
    assert list(back.tokens) == tokens and list(back.tags) == tagging.convert(tags, "iob2", "iob2")
