"""Malformed and unusual CoNLL input: each case loads correctly or fails with file and line named.

Plus property tests: the reader never fails with anything but DataError, and write-then-read round-trips.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ner_tagger.corpus import conll, dataset
from ner_tagger.errors import DataError
from ner_tagger.hparams import HParams


def write(tmp_path, content, name="data.txt"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


FAILS = [  # (content, scheme, line named, words in the message)
    ("a\tO\nb\tB-PER\tX\tY\tB-\n", "iob2", 2, "not O nor PREFIX-TYPE"),   # wrong column count, bad last
    ("a\tO\nb c\n", "iob2", 2, "not O nor PREFIX-TYPE"),                  # one column, space-split
    ("a\tO\n\nc\tE-PER\n", "iob2", 3, "prefix"),                           # IOBES tag in an IOB2 file
    ("a\tO\nb\tI-PER\n", "iob2", 2, "continues an entity"),
    ("a\tB-PER\nb\tO\n", "iobes", 2, "not closed"),
    ("a\tO\n\tO\n", "iob2", 2, "expected 'token<TAB>tag'"),
    ("a\tO\nb\n", "auto", 2, "expected 'token<TAB>tag'"),
    ("a\tO\nb\tPERSON\n", "auto", 2, "PREFIX-TYPE"),
    (b"a\tO\n\xff\xfe\tO\n", "auto", 2, "not UTF-8"),
    (b"a\tO\nb\x00\tO\n", "auto", 2, "NUL"),
]


@pytest.mark.parametrize("content, scheme, line, words", FAILS)
def test_malformed_input_names_file_and_line(tmp_path, content, scheme, line, words):
    path = write(tmp_path, content)
    with pytest.raises(DataError, match=words) as err:
        conll.read_conll(path, scheme)
    assert (err.value.path, err.value.line) == (path, line)


LOADS = [  # (content, tokens of each sentence)
    ("a\tO\r\nb\tB-PER\r\n\r\nc\tO\r\n", [("a", "b"), ("c",)]),                  # Windows line ends
    ("\n\n\na\tO\n\n\n\n\nb\tO\n\n", [("a",), ("b",)]),                           # runs of blank lines
    ("-DOCSTART- -X- O\n\na NN O\nb NN B-LOC\n", [("a", "b")]),                     # CoNLL-2003 columns
    ("a\tO\n \t \t\nb\tO", [("a",), ("b",)]),                                      # blank with tabs, no final \n
    ("😀\tO\nnaïve\tB-PER\n", [("😀", "naïve")]),                                  # non-ASCII tokens
]


@pytest.mark.parametrize("content, tokens", LOADS)
def test_unusual_but_valid_input_loads(tmp_path, content, tokens):
    assert [s.tokens for s in conll.read_conll(write(tmp_path, content))] == tokens


def test_a_10000_token_sentence_loads_and_batches(tmp_path):
    from ner_tagger.model import input_fns

    path = write(tmp_path, "".join(f"w{i}\t{'B-PER' if i % 7 == 0 else 'O'}\n" for i in range(10000)))
    [sentence] = conll.read_conll(path)
    assert len(sentence.tokens) == 10000
    params = dict(HParams(batch_size=4).to_dict())
    features, tags = next(iter(input_fns.eval_input_fn([sentence], params)))
    assert features["words"].shape == (1, 10000) and int(features["nwords"][0]) == 10000


def test_dev_tag_unseen_in_train_is_kept_and_warned(tmp_path, caplog):
    (tmp_path / "train.txt").write_text("Bob\tB-PER\nran\tO\n\nAnn\tB-PER\n")
    (tmp_path / "dev.txt").write_text("Oslo\tB-LOC\nBob\tB-PER\n")
    data = dataset.load_data(HParams(), str(tmp_path), work_dir=str(tmp_path / "work"))
    assert list(data.dev)[0].tags == ("S-LOC", "S-PER")
    assert "LOC" in caplog.text and "unseen" in caplog.text


def test_empty_sentences_are_skipped_but_an_empty_file_is_refused(tmp_path):
    with pytest.raises(DataError, match="no sentences"):
        conll.read_conll(write(tmp_path, "\n-DOCSTART- O\n\n\n"))


# ---- properties -------------------------------------------------------------------------------------------

LINES = st.one_of(
    st.text(max_size=30),
    st.builds(lambda t, g: f"{t}\t{g}", st.text(max_size=8),
              st.sampled_from(["O", "B-PER", "I-PER", "E-LOC", "S-ORG", "I-", "B-X-Y", "", "o"])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINES, max_size=20), junk=st.binary(max_size=20),
       scheme=st.sampled_from(["auto", "iob1", "iob2", "iobes"]))
def test_reader_only_ever_raises_its_own_error(tmp_path, lines, junk, scheme):
    path = write(tmp_path, "\n".join(lines).encode("utf-8", "surrogatepass") + junk)
    try:
        sentences = conll.read_conll(path, scheme)
    except DataError as err:
        assert err.path == path
        return
    for sentence in sentences:
        assert len(sentence.tokens) == len(sentence.tags) > 0
        assert all(token.strip() and "\n" not in token and "\t" not in token for token in sentence.tokens)


TOKENS = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1,
                 max_size=10).filter(lambda t: t != conll.DOCSTART and t.strip() == t)
SENTENCE = st.lists(st.tuples(TOKENS, st.sampled_from(["O", "B-PER", "B-LOC", "I-X"])), min_size=1, max_size=12)


def _iob2(pairs):
    # Make the drawn tags legal IOB2: an I- must continue an entity of its own type.
    tags, previous = [], "O"
    for _, tag in pairs:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        tags.append(tag)
        previous = tag
    return tuple(t for t, _ in pairs), tuple(tags)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SENTENCE.map(_iob2), min_size=1, max_size=8))
def test_write_then_read_round_trips(tmp_path, drawn):
    sentences = [conll.Sentence(tokens, tags, 0) for tokens, tags in drawn]
    path = str(tmp_path / "round.txt")
    conll.write_conll(path, sentences)
    again = conll.read_conll(path, "iob2")
    assert [(s.tokens, s.tags) for s in again] == [(s.tokens, s.tags) for s in sentences]
