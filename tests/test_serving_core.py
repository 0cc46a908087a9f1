"""The serving core both endpoints call a model through: batches, signature choice, answers, the version rule."""
from ner_tagger.serving import core


def test_batches_by_length_and_answers_in_input_order():
    seen = []

    def predict(batch):
        seen.append([len(s) for s in batch])
        return [{"n": len(s)} for s in batch]

    items = [["a"] * n for n in (5, 1, 3, 2, 4)]
    assert [a["n"] for a in core.by_length(items, 2, predict)] == [5, 1, 3, 2, 4]
    assert seen == [[1, 2], [3, 4], [5]]


def test_signature_takes_the_tags_only_twin_where_the_export_has_it():
    assert core.signature("text", True) == "text"
    assert core.signature("text", False) == "text_tags"
    assert core.signature("tokens_lengths", False, {"tokens_lengths"}) == "tokens_lengths"  # older export
    assert core.tags_only("serving_default") == "tags"


def test_padded_rows_and_answers_from_lists_or_bytes():
    tokens, lengths = core.padded([["Ann", "met", "Bob"], ["Eve"]])
    assert tokens == [["Ann", "met", "Bob"], ["Eve", "", ""]] and lengths == [3, 1]
    as_text = {"tags": [["S-PER", "O", "S-PER"], ["S-PER", "O", "O"]], "scores": [[0.5, 1, 1], [1, 1, 1]],
               "sequence_score": [0.5, 1.0]}
    as_bytes = dict(as_text, tags=[[t.encode() for t in row] for row in as_text["tags"]])
    first, second = core.tokens_answers([["Ann", "met", "Bob"], ["Eve"]], as_bytes, True)
    assert core.tokens_answers([["Ann", "met", "Bob"], ["Eve"]], as_text, True) == [first, second]
    assert first["tags"] == ["B-PER", "O", "B-PER"] and first["entities"][1]["start"] == 8
    assert second["score"] == 1.0 and "score" not in core.tokens_answers([["Eve"]], as_text, False)[0]
    outputs = {"tokens": [[b"Ann", b"left", b""]], "lengths": [2], "tags": [[b"S-PER", b"O", b"O"]]}
    (answer,) = core.text_answers(["Ann left"], outputs, False)
    assert answer["tokens"] == ["Ann", "left"] and answer["entities"][0]["text"] == "Ann"


def test_newest_saved_model_is_the_highest_numeric_version_with_a_graph(tmp_path):
    assert core.newest_saved_model(str(tmp_path / "none")) is None
    for name in ("3", "12", "99", "latest"):
        (tmp_path / name).mkdir()
    for name in ("3", "12", "latest"):
        (tmp_path / name / "saved_model.pb").write_bytes(b"")
    assert core.newest_saved_model(str(tmp_path)) == str(tmp_path / "12")
    assert core.newest_saved_model(str(tmp_path / "3")) == str(tmp_path / "3")
    assert core.newest_saved_model(str(tmp_path / "99")) is None
