"""Latency by sentence length: the fixed-length sentence sets, the synthetic news corpus, the interleaving and
the report of benchmarks/by_length.py. Standard library only: no TensorFlow, no spaCy, no timing."""
import collections

import pytest

from benchmarks import by_length, conll_io, lengths, synthetic_news

CORPUS = [["a", "b"], ["c"], ["d", "e", "f"], ["g", "h"], [], ["i"]]


def test_a_length_takes_the_corpus_own_sentences_first_then_joined_and_cut_windows():
    assert lengths.at_length(CORPUS, 1, 5) == [["c"], ["i"], ["a"], ["d"], ["g"]]
    assert lengths.at_length(CORPUS, 2, 3) == [["a", "b"], ["g", "h"], ["c", "d"]]
    # Windows run on into the following sentences; one that would pass the end of the corpus is not made.
    assert lengths.at_length(CORPUS, 4, 9) == [["a", "b", "c", "d"], ["c", "d", "e", "f"], ["d", "e", "f", "g"]]
    assert lengths.at_length(CORPUS, 8, 9) == [["a", "b", "c", "d", "e", "f", "g", "h"]]
    assert lengths.natural_share(CORPUS, 1, 5) == 2


def test_every_length_of_the_benchmark_is_exact_and_deterministic_on_wnut17():
    sentences = [words for words, _ in conll_io.read_conll("ner_tagger/datasets/wnut17/test.conll")]
    sets = lengths.by_length(sentences, lengths.LENGTHS, 50)
    assert sets == lengths.by_length(sentences, lengths.LENGTHS, 50)
    for length, chosen in sets.items():
        assert len(chosen) == 50 and {len(s) for s in chosen} == {length}


def test_bad_lengths_are_refused():
    with pytest.raises(ValueError, match="length and count"):
        lengths.at_length(CORPUS, 0, 5)


def test_the_synthetic_news_corpus_is_deterministic_long_and_valid_iob2(tmp_path):
    sizes = (("train", 60), ("dev", 20), ("test", 20))
    first = synthetic_news.write(str(tmp_path / "a"), 13, sizes)
    second = synthetic_news.write(str(tmp_path / "b"), 13, sizes)
    for a, b in zip(first, second):
        with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
            assert fa.read() == fb.read()
    train = conll_io.read_conll(first[0])
    assert len(train) == 60
    assert 20 < sum(len(w) for w, _ in train) / len(train) < 45  # newswire-long, not tweet-short
    kinds = collections.Counter(tag[2:] for _, tags in train for tag in tags if tag != "O")
    assert set(kinds) == {"PER", "ORG", "LOC", "MISC"}
    for _, tags in train:
        for previous, tag in zip(["O"] + tags, tags):
            if tag.startswith("I-"):
                assert previous[2:] == tag[2:]
    # Dev and test meet names that train never shows.
    train_words = {w for words, _ in train for w in words}
    test_words = {w for words, _ in conll_io.read_conll(synthetic_news.write(str(tmp_path / "c"), 13,
                                                                              (("test", 400),))[0]) for w in words}
    assert test_words - train_words


def test_rounds_rotate_the_variants_and_keep_each_rounds_samples():
    calls = []

    def time_one(variant, sentences):
        calls.append(variant[0])
        return [float(len(calls))] * len(sentences)

    samples = by_length.latency_rounds(time_one, {1: [["a"]] * 3, 5: [["a"] * 5] * 3}, rounds=2)
    labels = [label for label, _, _ in by_length.VARIANTS]
    # Who goes first moves on with every (round, length), so no variant always follows the same one.
    assert calls[0::3] == [labels[0], labels[1], labels[1], labels[2]]
    for label, _, _ in by_length.VARIANTS:
        assert [len(r) for r in samples[label][1]] == [3, 3]


def test_the_summary_gives_percentiles_over_rounds_their_spread_and_per_round_ratios():
    samples = {by_length.OURS: {5: [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]},
               by_length.OURS_TAGS: {5: [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]},
               by_length.SPACY: {5: [[2.0, 4.0, 6.0], [2.0, 4.0, 6.0]]}}
    summary = by_length.summarize(samples)
    assert summary[by_length.OURS][5]["p50_rounds"] == [2.0, 4.0]
    assert summary[by_length.OURS][5]["samples"] == 6
    assert by_length.round_ratios(samples, by_length.OURS)[5] == [0.5, 0.75, 1.0]
    figures = by_length._figures(samples)
    table = by_length.latency_table(figures, "in process")
    assert "| 5 | 2.50 [2.00, 4.00]" in table
