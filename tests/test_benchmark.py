"""The benchmark harness's pure parts: log parsing, IOB conversion, the report. No spaCy, no training.

The log lines are copied from real runs (ner_tagger 0.1.0 on WNUT-17; spaCy 3.8 via benchmarks.spacy_logger).
"""
import json
import os

import numpy as np
import pytest

from benchmarks import conll_io, logparse, report, settings, spacy_side, timing

TAGGER_LOG = """\
06:26:04 data: train=/work/main/ner_tagger/data/wnut17/train.conll (3394 sentences) dev=... test=... (1287)
06:26:04 train: 220 steps (110 per epoch, batch 32); evaluating every 30 steps
06:26:26 train: step=10/220 epoch=0.1 loss=37.1827 sentences/s=96.8 tokens/s=1710 eta=1m09s
06:26:26 train: step=20/220 epoch=0.2 loss=4.4168 sentences/s=659.8 tokens/s=12820 eta=0m09s
06:26:36 eval: step=30 f1=0.0000 precision=0.0000 recall=0.0000 loss=9.3510
06:26:36 eval: new best f1=0.0000 at step 30
06:26:36 train: step=30/220 epoch=0.3 loss=13.7536 sentences/s=34.7 tokens/s=675 eta=2m55s
06:26:36 train: step=40/220 epoch=0.4 loss=13.4891 sentences/s=598.2 tokens/s=9867 eta=0m09s
06:26:37 train: step=50/220 epoch=0.5 loss=7.8326 sentences/s=496.2 tokens/s=9465 eta=0m10s
06:26:45 eval: step=60 f1=0.1250 precision=0.5000 recall=0.0714 loss=8.5727
06:26:45 train: step=60/220 epoch=0.5 loss=6.3523 sentences/s=41.7 tokens/s=696 eta=2m02s
06:26:45 train: step=70/220 epoch=0.6 loss=3.4210 sentences/s=556.8 tokens/s=10828 eta=0m08s
"""
SPACY_JSONL = """\
{"time": 1795501915.598522, "epoch": 0, "step": 0, "words": 94, "score": 0.0, "ents_f": 0.0, "ents_p": 0.0, "ents_r": 0.0, "speed": 24726.746932478425}
{"time": 1795501920.7620864, "epoch": 0, "step": 244, "words": 25120, "score": 0.05011389521640091, "ents_f": 0.05011389521640091, "ents_p": 0.5238095238095238, "ents_r": 0.02631578947368421, "speed": 26060.05424132662}
{"time": 1795501926.626554, "epoch": 0, "step": 488, "words": 57666, "score": 0.11727748691099477, "ents_f": 0.11727748691099477, "ents_p": 0.47058823529411764, "ents_r": 0.06698564593301436, "speed": 19159.220298248852}
"""


def stamped(text, every=1.5):
    return [(i * every, line) for i, line in enumerate(text.splitlines())]


def test_tagger_evaluations_parse_the_eval_lines_only():
    evaluations = logparse.tagger_evaluations(stamped(TAGGER_LOG))
    assert [e["step"] for e in evaluations] == [30, 60]  # not the "new best" line
    assert evaluations[1] == {"seconds": 13.5, "step": 60, "f1": 0.125, "precision": 0.5, "recall": 0.0714}


def test_tagger_speed_drops_warmup_and_post_eval_lines():
    speed = logparse.tagger_speed(stamped(TAGGER_LOG))
    # Kept: steps 40, 50, 70. Dropped: 10 and 20 (warm-up), 30 and 60 (an evaluation inside the window).
    assert speed == {"sentences_per_s": 556.8, "tokens_per_s": 9867.0, "samples": 3}


def test_tagger_speed_without_steady_lines_is_none():
    assert logparse.tagger_speed(stamped(TAGGER_LOG)[:4])["sentences_per_s"] is None


def test_spacy_evaluations_are_seconds_since_start():
    records = [json.loads(line) for line in SPACY_JSONL.splitlines()]
    evaluations = logparse.spacy_evaluations(records, started=1795501910.0)
    assert [e["seconds"] for e in evaluations] == [5.6, 10.8, 16.6]
    assert evaluations[2]["f1"] == pytest.approx(0.11728, abs=1e-5)


def test_spacy_speed_takes_the_evaluation_out_of_the_interval():
    records = [json.loads(line) for line in SPACY_JSONL.splitlines()]
    speed = logparse.spacy_speed(records, dev_words=15733, words_per_sentence=18.48)
    busy = (1795501926.626554 - 1795501920.7620864) - 15733 / 19159.220298248852
    assert speed["samples"] == 1
    assert speed["tokens_per_s"] == pytest.approx((57666 - 25120) / busy, abs=0.1)
    assert speed["sentences_per_s"] == pytest.approx(speed["tokens_per_s"] / 18.48, abs=0.1)


def test_seconds_to_reach_is_the_first_evaluation_at_or_above():
    evaluations = [{"seconds": 5.0, "f1": 0.1}, {"seconds": 9.0, "f1": 0.3}, {"seconds": 12.0, "f1": 0.2}]
    assert logparse.seconds_to_reach(evaluations, 0.3) == 9.0
    assert logparse.seconds_to_reach(evaluations, 0.31) is None


def test_latest_checkpoint_step():
    text = ('model_checkpoint_path: "model.ckpt-181"\nall_model_checkpoint_paths: "model.ckpt-150"\n'
            'all_model_checkpoint_paths: "model.ckpt-181"\n')
    assert logparse.latest_checkpoint_step(text) == 181
    assert logparse.latest_checkpoint_step("") is None


@pytest.mark.parametrize("pairs, expected", [
    ([("B", "person"), ("I", "person"), ("O", ""), ("", "")], ["B-person", "I-person", "O", "O"]),
    ([("B", "group"), ("B", "group")], ["B-group", "B-group"]),
    # An I- that cannot continue what precedes it starts an entity (IOB2 never begins with I-).
    ([("I", "location"), ("I", "location")], ["B-location", "I-location"]),
    ([("B", "person"), ("I", "product")], ["B-person", "B-product"]),
    ([("I", "")], ["O"]),
])
def test_iob2_from_spacy(pairs, expected):
    assert conll_io.iob2_from_spacy(pairs) == expected


def test_space_separated_copy_fixes_tab_only_sentence_breaks(tmp_path):
    # WNUT-17's train file ends sentences with a line holding one TAB.
    path = tmp_path / "train.conll"
    path.write_text("@paulwalk\tO\nNew York\tB-location\n\t\nhi\tO\n", encoding="utf-8")
    sentences = conll_io.read_conll(str(path))
    assert sentences == [(["@paulwalk", "New York"], ["O", "B-location"]), (["hi"], ["O"])]
    assert conll_io.to_space_separated(sentences) == "@paulwalk O\nNew_York B-location\n\nhi O\n"


def test_timed_logger_replaces_the_whole_logger_block():
    config = ('[paths]\ntrain = null\n\n[training]\nseed = 0\n\n[training.logger]\n'
              '@loggers = "spacy.ConsoleLogger.v1"\nprogress_bar = false\n\n[training.score_weights]\n'
              'ents_f = 1.0\n')
    text = spacy_side.with_timed_logger(config)
    assert "progress_bar" not in text and "ConsoleLogger" not in text
    assert ('@loggers = "bench.TimedLogger.v1"\noutput_file = ${paths.bench_log}\n\n'
            '[training.score_weights]') in text
    assert text.startswith("[paths]\nbench_log = null\ntrain = null\n")


def test_spacy_eval_steps_follow_its_compounding_batches():
    facts = settings.DataFacts(train_sentences=3394, train_words=62730, dev_words=15733, test_sentences=1287,
                               test_words=23394)
    chosen = settings.Settings("d", "o", "c", evals_per_epoch=2)
    steps = settings.spacy_eval_steps(chosen, facts)
    assert 200 < steps < 300  # batches of ~100-160 words in the first epoch, not the final 1000
    assert settings.tagger_eval_steps(chosen, facts, 32) == 53


def test_percentile_matches_numpy():
    values = [3.0, 1.0, 7.5, 2.2, 9.9, 4.4, 0.5]
    for q in (0, 50, 99, 100):
        assert timing.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def _figures(test_f1, words_per_s, p50, rss, reach):
    keys = {k: 1.0 for k, _, _ in report.FIGURES}
    keys.update(test_f1=test_f1, infer_words_per_s=words_per_s, latency_p50_ms=p50, peak_rss_mb=rss,
                seconds_to_spacy_best_dev=reach)
    return keys


def test_summary_and_ratio_table():
    ours = report.summarize([_figures(0.40, 20000, 4.0, 900, 100), _figures(0.44, 22000, 6.0, 1000, None)])
    theirs = report.summarize([_figures(0.38, 30000, 2.0, 300, 50), _figures(0.38, 30000, 2.0, 300, 60)])
    assert ours["test_f1"]["mean"] == pytest.approx(0.42)
    assert ours["test_f1"]["std"] == pytest.approx(0.028284, abs=1e-6)
    assert ours["seconds_to_spacy_best_dev"] == {"mean": 100, "std": 0.0, "n": 1}
    table = report.markdown_table({"ner_tagger": ours, "spacy": theirs})
    lines = table.splitlines()
    assert lines[0] == "| figure | ner_tagger | spaCy | ner_tagger/spaCy | better |"
    assert "| test F1 (seqeval, entity level) | 0.4200 ± 0.0283 | 0.3800 ± 0.0000 | 1.11 | yes |" in lines
    assert "| batch inference words/s | 21000.0 ± 1414.2 | 30000.0 ± 0.0 | 0.70 | no |" in lines
    # Lower is better for latency: a ratio above 1 is a loss.
    assert "| single-sentence latency p50 (ms) | 5.0 ± 1.4 | 2.0 ± 0.0 | 2.50 | no |" in lines
    targets = {t["target"]: t["met"] for t in report.targets({"ner_tagger": ours, "spacy": theirs})}
    assert targets == {"test F1 >= spaCy's": True, "time to spaCy's best dev F1 <= spaCy's": False,
                       "batch words/s >= spaCy's": False, "latency p50 < 10 ms": True,
                       "peak training RSS < 2 GiB": True, "latency p50 <= spaCy's (with scores)": False,
                       "latency p99 <= spaCy's (with scores)": True, "latency p50 <= spaCy's (tags only)": True,
                       "latency p99 <= spaCy's (tags only)": True, "HTTP latency p50 < 5 ms": True,
                       "peak training RSS <= 2x spaCy's": False}


def test_ratio_table_with_a_missing_figure():
    ours = report.summarize([_figures(0.1, 1, 1, 1, None)])
    theirs = report.summarize([_figures(0.2, 1, 1, 1, 30)])
    line = [row for row in report.markdown_table({"ner_tagger": ours, "spacy": theirs}).splitlines()
            if row.startswith("| training seconds to reach")][0]
    assert line == "| training seconds to reach spaCy's best dev F1 | not reached | 30.0 | - |  |"


def test_never_reaching_spacys_best_fails_that_target():
    ours = report.summarize([_figures(0.1, 1, 1, 1, None)])
    theirs = report.summarize([_figures(0.2, 1, 1, 1, 30)])
    met = {t["target"]: t["met"] for t in report.targets({"ner_tagger": ours, "spacy": theirs})}
    assert met["time to spaCy's best dev F1 <= spaCy's"] is False


def test_a_run_without_http_figures_leaves_that_target_unjudged():
    ours = report.summarize([dict(_figures(0.1, 1, 1, 1, 20), http_latency_p50_ms=None)])
    theirs = report.summarize([_figures(0.2, 1, 1, 1, 30)])
    rows = report.targets({"ner_tagger": ours, "spacy": theirs})
    met = {t["target"]: t["met"] for t in rows}
    assert met["HTTP latency p50 < 5 ms"] is None
    assert "| HTTP latency p50 < 5 ms | - |" in report.targets_markdown(rows)


def test_figures_flatten_one_seed():
    train = {"evaluations": [{"seconds": 12.0, "f1": 0.2}, {"seconds": 30.0, "f1": 0.35}],
             "best_dev_f1": 0.35, "train_wall_s": 55.0, "peak_rss_mb": 1000.0,
             "speed": {"sentences_per_s": 700.0, "tokens_per_s": 13000.0, "samples": 5},
             "test": {"f1": 0.3}}
    infer = {"batch": {"sentences_per_s": 1500.0, "words_per_s": 27000.0},
             "latency": {"p50_ms": 3.5, "p99_ms": 8.0}}
    flat = report.figures(train, infer, spacy_best=0.3)
    assert flat["seconds_to_spacy_best_dev"] == 30.0
    assert flat["train_seconds"] == 30.0 and flat["train_wall_s"] == 55.0
    assert flat["test_f1"] == 0.3 and flat["latency_p50_ms"] == 3.5
    assert set(flat) == {key for key, _, _ in report.FIGURES}


def test_figures_take_tags_only_latency_floor_and_workers_and_spacy_falls_back_to_its_one_latency():
    train = {"evaluations": [], "best_dev_f1": None, "train_wall_s": 1.0, "peak_rss_mb": 900.0,
             "speed": {"sentences_per_s": 1.0, "tokens_per_s": 1.0}}
    latency = {"p50_ms": 4.0, "p99_ms": 9.0}
    ours = report.figures(train, {"batch": {"sentences_per_s": 1, "words_per_s": 1}, "latency": latency,
                                  "latency_tags_only": {"p50_ms": 2.5, "p99_ms": 6.0}}, None,
                          {"batch": {"words_per_s": 5.0}, "latency": latency,
                           "latency_tags_only": {"p50_ms": 3.0, "p99_ms": 7.0}, "worker_rss_mb": [300.0, 340.0]},
                          import_floor_mb=480.0)
    assert (ours["latency_tags_only_p50_ms"], ours["latency_tags_only_p99_ms"]) == (2.5, 6.0)
    assert ours["rss_above_floor_mb"] == 420.0 and ours["serve_worker_rss_mb"] == 320.0
    assert ours["http_latency_tags_only_p50_ms"] == 3.0
    spacy = report.figures(train, {"batch": {"sentences_per_s": 1, "words_per_s": 1}, "latency": latency}, None)
    assert spacy["latency_tags_only_p50_ms"] == 4.0 and spacy["rss_above_floor_mb"] is None


# ----- the scale figures (benchmarks/scale.py records; benchmark.py reports them too) -----

def _scale_record(label, scale, **extra):
    record = {"label": label, "scale": scale, "tokens": 62730 * scale, "pass_s": 0.5 * scale,
              "first_step_s": 12.0 + scale, "peak_rss_mib": 700.4, "graph_mib": 0.45, "sentences_per_s": 300.0}
    record.update(extra)
    return record


def test_scale_table_keeps_the_last_run_of_each_size_before_rows_first():
    records = [_scale_record("after", 10), _scale_record("before", 1, peak_rss_mib=748.0),
               _scale_record("after", 1, first_step_s=99.0), _scale_record("after", 1),
               {"label": "after", "scale": 1000, "tokens": 62730000, "error": "timed out"}]
    lines = report.scale_markdown(records).splitlines()
    assert [line.split(" | ")[:2] for line in lines[2:]] == [["| before", "1x"], ["| after", "1x"],
                                                              ["| after", "10x"], ["| after", "1000x"]]
    assert lines[3] == "| after | 1x | 62,730 | 0.5 | 13.0 | 700 | 0.45 | 300.0 |"  # the later 1x run
    assert "failed: timed out" in lines[5]


def test_the_docs_scale_table_is_the_report_of_the_docs_results():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "scale_results.json"), encoding="utf-8") as fh:
        table = report.scale_markdown(json.load(fh))
    with open(os.path.join(root, "docs", "scale.md"), encoding="utf-8") as fh:
        docs = fh.read()
    assert "<!-- scale-table -->\n" + table + "<!-- /scale-table -->" in docs
