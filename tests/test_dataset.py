"""The data stage: which sentences a job trains and evaluates on."""
from ner_tagger import conll, dataset


def test_hold_out_is_seeded_and_disjoint():
    sentences = [conll.Sentence((f"w{i}",), ("O",), i) for i in range(100)]
    train, dev = dataset.hold_out(sentences, 0.1, seed=3)
    again, dev_again = dataset.hold_out(sentences, 0.1, seed=3)
    assert len(dev) == 10 and len(train) == 90
    assert dev == dev_again and train == again
    assert not set(s.line for s in dev) & set(s.line for s in train)
