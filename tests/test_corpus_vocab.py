from ner_tagger.corpus import conll, vocab


def sentences():
    return [conll.Sentence(("Paris", "paris", "Zoë", "x\u2028y"), ("B-LOC", "B-LOC", "B-PER", "O"), 1),
            conll.Sentence(("rare", "Paris"), ("O", "S-LOC"), 4)]


def test_build_counts_normalised_forms_and_keeps_rare_words_with_vectors():
    lower = lambda words: [w.lower() for w in words]  # noqa: E731
    v = vocab.build(sentences(), lower, min_count=2, keep={"zoë"})
    assert v.words == ["paris", "zoë"]  # "rare" and "x\u2028y" seen once, "zoë" kept for its vector
    assert "Z" in v.chars and "\u2028" in v.chars and "" not in v.chars
    assert v.tags[0] == "O" and set(v.tags) == {"O", "B-LOC", "B-PER", "S-LOC"}
    assert v.entity_types == ["LOC", "PER"]


def test_save_load_round_trip_keeps_unusual_characters(tmp_path):
    v = vocab.build(sentences(), lambda words: list(words))
    v.save(str(tmp_path))
    assert vocab.Vocabulary.load(str(tmp_path)) == v
