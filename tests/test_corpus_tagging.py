import pytest

from ner_tagger.corpus import tagging


@pytest.mark.parametrize("source,tags,expected", [
    ("iob1", ["I-PER", "I-PER", "B-PER", "O", "I-LOC"], ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]),
    ("iob2", ["B-PER", "I-PER", "O", "B-LOC", "B-LOC"], ["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]),
    ("iobes", ["B-PER", "E-PER", "S-LOC", "O"], ["B-PER", "I-PER", "B-LOC", "O"]),
])
def test_convert_to_iob2(source, tags, expected):
    assert tagging.convert(tags, source, "iob2") == expected


def test_iob2_to_iobes_and_back():
    iob2 = ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG"]
    iobes = tagging.convert(iob2, "iob2", "iobes")
    assert iobes == ["B-PER", "I-PER", "E-PER", "O", "S-LOC", "B-ORG", "E-ORG"]
    assert tagging.convert(iobes, "iobes", "iob2") == iob2


def test_iob2_to_iob1_uses_b_only_between_touching_entities_of_one_type():
    iob2 = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "I-ORG"]
    iob1 = tagging.convert(iob2, "iob2", "iob1")
    assert iob1 == ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG"]
    assert tagging.convert(iob1, "iob1", "iob2") == iob2


@pytest.mark.parametrize("tags,scheme", [
    (["O", "B-PER", "I-PER"], "iob2"),
    (["O", "I-PER", "B-PER"], "iob1"),
    (["S-PER", "O"], "iobes"),
    (["O", "I-PER", "O", "B-LOC"], "iob2"),  # mixed: IOB2 with a stray I-, reported when read strictly
])
def test_detect_scheme(tags, scheme):
    assert tagging.detect_scheme(tags) == scheme


@pytest.mark.parametrize("tags,scheme,index", [
    (["O", "I-PER"], "iob2", 1),
    (["B-PER", "I-LOC"], "iob2", 1),
    (["B-PER", "O"], "iobes", 1),
    (["S-PER"], "iob2", 0),
    (["PER"], "iob2", 0),
    (["X-PER"], "iob2", 0),
])
def test_strict_reading_rejects_with_position(tags, scheme, index):
    with pytest.raises(tagging.TagError) as err:
        tagging.to_spans(tags, scheme)
    assert err.value.index == index


def test_lenient_reading_repairs_decoder_output():
    assert tagging.to_spans(["O", "I-PER", "I-PER", "B-LOC"], "iob2", strict=False) == [
        ("PER", 1, 3), ("LOC", 3, 4)]
    assert tagging.to_spans(["B-PER", "I-PER", "O"], "iobes", strict=False) == [("PER", 0, 2)]


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="unknown tag scheme"):
        tagging.to_spans(["O"], "bilou")
