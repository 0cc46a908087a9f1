"""The per-sentence answer shared by ``predict``, the BYOC endpoint and the TF Serving endpoint."""
import pytest

from ner_tagger.corpus import text_rules
from ner_tagger.serving import answers


@pytest.mark.parametrize("tags, iob2", [
    (["S-PER", "O", "B-LOC", "E-LOC"], ["B-PER", "O", "B-LOC", "I-LOC"]),
    (["B-PER", "I-PER", "I-LOC", "S-ORG", "S-ORG"], ["B-PER", "I-PER", "B-LOC", "B-ORG", "B-ORG"]),
    (["I-PER", "E-PER", "O", "E-LOC"], ["B-PER", "I-PER", "O", "B-LOC"]),
])
def test_default_encoding_reads_iobes_and_iob2(tags, iob2):
    tokens = [f"w{i}" for i in range(len(tags))]
    assert answers.sentence_answer(" ".join(tokens), tokens, tags, [1.0] * len(tags), 1.0)["tags"] == iob2


def test_entities_carry_character_and_token_spans():
    text = "Alice  met New York ."
    answer = answers.sentence_answer(text, ["Alice", "met", "New", "York", "."],
                                     ["S-PER", "O", "B-LOC", "E-LOC", "O"], [0.9, 1, 0.5, 0.7, 1], 0.123456)
    assert answer["score"] == 0.1235 and answer["tags"] == ["B-PER", "O", "B-LOC", "I-LOC", "O"]
    assert answer["entities"] == [
        {"type": "PER", "text": "Alice", "start": 0, "end": 5, "token_start": 0, "token_end": 1, "score": 0.9},
        {"type": "LOC", "text": "New York", "start": 11, "end": 19, "token_start": 2, "token_end": 4,
         "score": 0.6}]


def test_align_tokens_gives_zero_width_spans_for_missing_tokens():
    assert text_rules.align_tokens("a b", ["a", "zz", "b"]) == [(0, 1), (1, 1), (2, 3)]


def test_in_request_order_makes_one_call_per_kind_and_answers_blanks():
    calls = []

    def run(kind):
        def predict(batch):
            calls.append((kind, batch))
            return [{"kind": kind, "of": s} for s in batch]
        return predict

    got = answers.in_request_order(["a b", ["c"], " ", [], "d"], run("text"), run("tokens"))
    assert calls == [("text", ["a b", "d"]), ("tokens", [["c"]])]
    assert [g.get("of") for g in got] == ["a b", ["c"], None, None, "d"]
    assert got[2] == answers.EMPTY and got[2] is not answers.EMPTY


def test_without_scores_the_answer_has_no_score_keys_and_the_same_entities():
    tokens, tags = ["Alice", "met", "New", "York"], ["S-PER", "O", "B-LOC", "E-LOC"]
    scored = answers.sentence_answer("Alice met New York", tokens, tags, [0.9, 1, 0.5, 0.7], 0.5)
    bare = answers.sentence_answer("Alice met New York", tokens, tags, None, None)
    assert bare == {"tokens": tokens, "tags": scored["tags"],
                    "entities": [{k: v for k, v in e.items() if k != "score"} for e in scored["entities"]]}
    assert answers.in_request_order(["", []], None, None, scores=False) == [answers.EMPTY_TAGS_ONLY] * 2
