"""Turning each side's training output into the same figures: dev F1 over time and steady training speed.

Pure functions over text the driver captured (tested in tests/test_benchmark.py on real log lines). Times
are seconds since the training process started, stamped by the driver as each line arrived.
"""
import re
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

# ner_tagger.job.hooks.ProgressHook and ner_tagger.model.metrics.EVAL_LINE; the logging format puts HH:MM:SS first.
PROGRESS = re.compile(r"train: step=(?P<step>\d+)/\d+ epoch=(?P<epoch>[\d.]+) loss=\S+ "
                      r"sentences/s=(?P<sentences>[\d.]+) tokens/s=(?P<tokens>[\d.]+)")
EVAL = re.compile(r"eval: step=(?P<step>\d+) f1=(?P<f1>[\d.]+) precision=(?P<precision>[\d.]+) "
                  r"recall=(?P<recall>[\d.]+)")
# Progress lines whose window held the graph warm-up; the rates settle after these.
WARMUP_LINES = 2

Stamped = Tuple[float, str]


def tagger_evaluations(lines: Sequence[Stamped]) -> List[Dict]:
    """``{"seconds", "step", "f1", "precision", "recall"}`` per eval line, in order."""
    out = []
    for seconds, line in lines:
        match = EVAL.search(line)
        if match:
            out.append({"seconds": round(seconds, 1), "step": int(match["step"]),
                        **{k: float(match[k]) for k in ("f1", "precision", "recall")}})
    return out


def tagger_speed(lines: Sequence[Stamped]) -> Dict[str, Optional[float]]:
    """Median sentences/s and tokens/s of the progress lines, less the warm-up ones and those right after
    an evaluation.

    Why drop those: the evaluation runs inside the training step that saves the checkpoint, so the
    progress window that holds it reports a rate several times too low.
    """
    rates, after_eval, seen = [], False, 0
    for _, line in lines:
        if EVAL.search(line):
            after_eval = True
            continue
        match = PROGRESS.search(line)
        if not match:
            continue
        seen += 1
        if seen > WARMUP_LINES and not after_eval:
            rates.append((float(match["sentences"]), float(match["tokens"])))
        after_eval = False
    return _medians(rates)


def spacy_evaluations(records: Sequence[Dict], started: float) -> List[Dict]:
    """The same shape as :func:`tagger_evaluations`, from ``benchmarks.spacy_logger`` JSONL records
    (``time`` is wall-clock; ``started`` is the wall-clock start of the training process)."""
    return [{"seconds": round(r["time"] - started, 1), "step": r["step"], "f1": r["ents_f"],
             "precision": r["ents_p"], "recall": r["ents_r"]} for r in records]


def spacy_speed(records: Sequence[Dict], dev_words: int, words_per_sentence: float) -> Dict:
    """Median training words/s between evaluations, the evaluation's own time taken out.

    spaCy logs cumulative training words at each evaluation and the evaluation's speed (dev words/s), so
    an interval's training time is its wall time less ``dev_words / speed``. Batches are counted in
    words, so sentences/s is derived with the training set's mean sentence length. The first interval
    (model initialisation, first batches) is left out, as ner_tagger's warm-up lines are.
    """
    rates = []
    for before, after in zip(records[1:], records[2:]):
        eval_seconds = dev_words / after["speed"] if after.get("speed") else 0.0
        busy = after["time"] - before["time"] - eval_seconds
        words = after["words"] - before["words"]
        if busy > 0 and words > 0:
            rates.append((words / busy / words_per_sentence, words / busy))
    return _medians(rates)


def _medians(rates):
    if not rates:
        return {"sentences_per_s": None, "tokens_per_s": None, "samples": 0}
    return {"sentences_per_s": round(statistics.median(r[0] for r in rates), 1),
            "tokens_per_s": round(statistics.median(r[1] for r in rates), 1), "samples": len(rates)}


def seconds_to_reach(evaluations: Sequence[Dict], f1: float) -> Optional[float]:
    """Seconds since start of the first evaluation with dev F1 >= ``f1``; None if never reached."""
    for evaluation in evaluations:
        if evaluation["f1"] >= f1:
            return evaluation["seconds"]
    return None


def latest_checkpoint_step(checkpoint_file_text: str) -> Optional[int]:
    """Global step of the newest checkpoint named in a TensorFlow ``checkpoint`` index file."""
    match = re.search(r'^model_checkpoint_path: ".*?-(\d+)"', checkpoint_file_text, re.M)
    return int(match.group(1)) if match else None
