import tensorflow as tf

from ner_tagger.model import text


def split(sentence):
    return [t.decode() for t in text.split_text(tf.constant([sentence])).numpy()[0] if t]


def test_split_text_follows_wnut_conventions():
    assert split("It's the view from Empire State Building, isn't it?!") == [
        "It", "'s", "the", "view", "from", "Empire", "State", "Building", ",", "is", "n't", "it", "?!"]
    assert split('@paul_w loves "New York" (really) http://t.co/x :)') == [
        "@paul_w", "loves", '"', "New", "York", '"', "(", "really", ")", "http://t.co/x", ":)"]


def test_split_text_pads_a_batch():
    tokens = text.split_text(tf.constant(["a b c", "", "d"])).numpy()
    assert tokens.shape == (3, 3) and tokens[1].tolist() == [b"", b"", b""]


def test_align_tokens_gives_character_spans():
    sentence = "Alice  met Bob."
    tokens = split(sentence)
    spans = text.align_tokens(sentence, tokens)
    assert [sentence[a:b] for a, b in spans] == tokens == ["Alice", "met", "Bob", "."]
    assert text.align_tokens("a b", ["a", "zz", "b"]) == [(0, 1), (1, 1), (2, 3)]


def test_split_chars_cuts_long_words_and_counts_characters():
    chars, counts = text.split_chars(tf.constant([["héllo", "", "abcdefgh"]]), 6)
    assert chars.shape == (1, 3, 6)
    assert counts.numpy().tolist() == [[5, 0, 6]]
    assert chars.numpy()[0, 0, 1].decode() == "é"


def test_normalize_words():
    words = tf.constant(["Paris", "ÉCOLE", "2024-11"])
    assert [w.decode() for w in text.normalize_words(words, True, True).numpy()] == ["paris", "école", "0000-00"]
    assert [w.decode() for w in text.normalize_words(words, False, False).numpy()] == ["Paris", "ÉCOLE", "2024-11"]
