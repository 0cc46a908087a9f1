"""A record over the per-sentence limits, tagged in windows and stitched back (:mod:`ner_tagger.serving.windows`).

The model is a pure-Python stand-in (:func:`tag`): capitalised runs are PER entities, and every token of a
window's answer carries that window's own score, so a stitched answer shows which window each token came
from. Through the endpoints: tests/test_serving_app.py, tests/test_serving_entry_inference.py."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner_tagger.serving import windows
from ner_tagger.serving.answers import sentence_answer
from ner_tagger.serving.payload import Limits, RequestError

UNIT_SPACES = " \t\n\f\r"  # where a window may end


def tag(sentences, runs=True):
    """The stand-in model: one answer a sentence (text split at whitespace, or a token list); sentence ``k``'s
    tokens all score ``0.5 + k / 100``, as does its sequence. A run of capitalised tokens is one entity, or
    with ``runs=False`` each capitalised token is one (a tagger without context)."""
    answered = []
    for k, sentence in enumerate(sentences):
        text = sentence if isinstance(sentence, str) else " ".join(sentence)
        tokens = sentence.split() if isinstance(sentence, str) else list(sentence)
        tags, previous = [], "O"
        for token in tokens:
            tags.append("O" if not token[:1].isupper() else "I-PER" if runs and previous != "O" else "B-PER")
            previous = tags[-1]
        score = 0.5 + k / 100
        answered.append(sentence_answer(text, tokens, tags, [score] * len(tokens), score, encoding="iob2"))
    return answered


def windowed(sentence, limits, runs=True):
    parts = windows.split(sentence, limits, "line 1")
    return parts, windows.stitch(sentence, parts, tag([w.sentence for w in parts], runs))


def test_a_sentence_within_the_limits_is_one_window_answered_as_is():
    limits = Limits(max_sentence_tokens=3, max_sentence_chars=20)
    assert windows.split("Alice met Bob", limits, "line 1") == [windows.Window("Alice met Bob", 0, 13)]
    assert windows.split(["Alice", "met"], limits, "line 1") == [windows.Window(["Alice", "met"], 0, 9)]
    [answer] = tag(["Alice met Bob"])
    assert windows.stitch("Alice met Bob", windows.split("Alice met Bob", limits, "x"), [answer]) is answer


def test_the_switch_between_windows_is_at_a_token_both_tag_o_nearest_the_overlap_middle():
    limits = Limits(max_sentence_tokens=8, max_sentence_chars=1000)
    # 12 tokens, windows of 8: tokens 0-7 and 4-11, overlapping on 4-7.
    plain = "a b c d e f g h i j k l"
    parts, answer = windowed(plain, limits)
    assert [(w.start, w.end) for w in parts] == [(0, 15), (8, 23)]
    assert answer["windows"] == 2 and answer["tokens"] == plain.split()
    # Overlap tokens e f g h all O: the switch is at f (the first of the two nearest the middle).
    assert answer["scores"] == [0.5] * 5 + [0.51] * 7
    # An entity (F G) in the middle of the overlap: the switch moves to an O token (e), never inside it.
    named = "a b c d e F G h i j k l"
    _, answer = windowed(named, limits)
    assert answer["scores"] == [0.5] * 4 + [0.51] * 8
    assert answer["entities"] == [{"type": "PER", "text": "F G", "start": 10, "end": 13, "token_start": 5,
                                   "token_end": 7, "score": 0.51}]
    assert answer["score"] == 0.5  # the least certain window's


def test_an_entity_longer_than_the_overlap_switches_mid_overlap_and_keeps_every_token_once():
    limits = Limits(max_sentence_tokens=8, max_sentence_chars=1000)
    record = "a b c d E F G H i j k l"
    _, answer = windowed(record, limits)
    assert answer["tokens"] == record.split()
    assert [e["text"] for e in answer["entities"]] == ["E F G H"]


def test_a_token_list_is_windowed_by_tokens_with_offsets_into_the_joined_tokens():
    tokens = [f"Name{i}" if i % 5 == 0 else "went" for i in range(20)]
    parts, answer = windowed(tokens, Limits(max_sentence_tokens=8, max_sentence_chars=10))  # chars: text only
    joined = " ".join(tokens)
    assert all(isinstance(w.sentence, list) and len(w.sentence) <= 8 for w in parts)
    assert all(" ".join(w.sentence) == joined[w.start:w.end] for w in parts)
    assert answer["tokens"] == tokens and answer["windows"] == len(parts) > 1
    starts = [sum(len(t) + 1 for t in tokens[:i]) for i in range(len(tokens))]
    assert [(e["text"], e["start"]) for e in answer["entities"]] == [
        (t, start) for t, start in zip(tokens, starts) if t != "went"]


def test_a_run_without_spaces_over_the_character_limit_is_refused_naming_it():
    with pytest.raises(RequestError) as err:
        windows.split("ok " + "x" * 30 + " ok", Limits(max_sentence_tokens=8, max_sentence_chars=20), "line 7")
    assert err.value.status == 400
    assert str(err.value) == ("line 7: a run of 30 characters without a space at character 3; the limit is 20 "
                              "(NER_TAGGER_MAX_SENTENCE_CHARS)")


def test_tokens_joined_by_spaces_the_model_does_not_split_at_are_refused_over_the_token_limit():
    # No-break spaces: str.split sees three tokens, a window could only cut at an ASCII space.
    record = "a\u00a0b\u00a0c " + " ".join(["d"] * 10)
    with pytest.raises(RequestError, match=r"line 2: 3 tokens between two spaces at character 0; the limit is 2 "
                                           r"\(NER_TAGGER_MAX_SENTENCE_TOKENS\)"):
        windows.split(record, Limits(max_sentence_tokens=2, max_sentence_chars=100), "line 2")


def test_a_vertical_tab_is_never_a_cut():
    record = " ".join(["a\vb"] * 10)  # each unit is two tokens to str.split, one unit to the model's rules
    parts = windows.split(record, Limits(max_sentence_tokens=4, max_sentence_chars=100), "line 1")
    assert len(parts) > 1
    assert all(not w.sentence.startswith("b") and not w.sentence.endswith("a") for w in parts)


WORDS = st.text(alphabet="abXY", min_size=1, max_size=6)
SPACES = st.sampled_from([" ", "  ", "\t", "\n", " \r\n "])


@settings(max_examples=200, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=60), spaces=st.lists(SPACES, min_size=60, max_size=60),
       max_tokens=st.integers(1, 12), max_chars=st.integers(6, 40))
def test_windows_fit_cut_at_spaces_cover_the_record_and_stitch_to_the_whole_answer(words, spaces, max_tokens,
                                                                                   max_chars):
    record = "".join(w + s for w, s in zip(words, spaces)).rstrip()
    limits = Limits(max_sentence_tokens=max_tokens, max_sentence_chars=max_chars)
    parts, answer = windowed(record, limits, runs=False)
    units = [(m.start(), m.end()) for m in re.finditer(rf"[^{UNIT_SPACES}]+", record)]
    for i, window in enumerate(parts):
        assert windows.fits(window.sentence, limits) and window.sentence == record[window.start:window.end]
        assert (window.start, window.end) in {(s, e) for s, _ in units for _, e in units if s < e}
        if i + 2 < len(parts):
            assert parts[i + 2].start >= window.end  # overlaps only between neighbours
    assert parts[0].start == units[0][0] and parts[-1].end == units[-1][1]
    assert all(any(w.start <= s and e <= w.end for w in parts) for s, e in units)
    # Each token tagged by itself: however the windows fall, the record's answer is that of the whole.
    [whole] = tag([record], runs=False)
    assert {k: answer[k] for k in ("tokens", "tags")} == {k: whole[k] for k in ("tokens", "tags")}
    assert [{k: v for k, v in e.items() if k != "score"} for e in answer["entities"]] == \
        [{k: v for k, v in e.items() if k != "score"} for e in whole["entities"]]
