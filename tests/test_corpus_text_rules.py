"""The Python mirror of the text signature's tokenizer gives the graph's tokens exactly."""
import os

from ner_tagger.corpus import conll, text_rules

WNUT = os.path.join(os.path.dirname(__file__), "..", "ner_tagger", "datasets", "wnut17")

# Raw text the rules treat specially, and what RE2 and Python's re read differently: Unicode spaces (RE2's
# \s is ASCII only), a final newline ($), vertical tab (split on, but not a regex \s in RE2), case folding.
EDGE_CASES = [
    "I don't know, it's Bob's car.", "Do n't split twice", "DON'T SHOUT!!!", "(hello) [world] \"quoted\".",
    "“curly” ‘quotes’ … end…", "Paris.\n", "a\u00a0b.\u00a0c", "x\vy. z\fw", "tab\there.", "wow!!! ...",
    "@user #tag http://t.co/x?y=1.", "I'm here; you're there: we'll see?", "Ωmega's ΣIGMA'S", "ſt's Kelvin's",
    "end with quote\"", "  leading and trailing  ", "", "...", "U.S. and S.F.", "it’s won’t", ":) :-( <3",
]


def graph_tokens(texts):
    import tensorflow as tf

    from ner_tagger.model import text

    rows = text.split_text(tf.constant(texts)).numpy()
    return [[t.decode("utf-8") for t in row if t] for row in rows]


def test_mirror_matches_the_graph_on_edge_cases():
    assert [text_rules.split(t) for t in EDGE_CASES] == graph_tokens(EDGE_CASES)


def test_mirror_matches_the_graph_on_every_wnut17_sentence():
    texts = [" ".join(s.tokens) for name in ("train", "dev", "test")
             for s in conll.read_conll(os.path.join(WNUT, f"{name}.conll"))]
    assert len(texts) > 5000
    mirrored = [text_rules.split(t) for t in texts]
    graph = graph_tokens(texts)
    differing = [(t, m, g) for t, m, g in zip(texts, mirrored, graph) if m != g]
    assert not differing, differing[:3]


def test_rules_only_insert_spaces():
    text = "Mr. Smith's \"car\" isn't (here)."
    assert text_rules.split(text) == ["Mr", ".", "Smith", "'s", "\"", "car", "\"", "is", "n't", "(", "here", ")."]
    assert "".join(text_rules.split(text)) == "".join(text.split())
