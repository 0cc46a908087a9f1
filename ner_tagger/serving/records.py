"""A line-format request (Batch Transform's mini-batch) answered record by record: one answer a record.

A transform job with ``SplitType=Line`` and ``AssembleWith=Line`` writes one output line per answer line,
and one failed request fails the whole job. So in a line-format body (``application/jsonlines`` or
``text/plain``, :mod:`ner_tagger.serving.payload`):

- a record within the per-sentence limits is tagged as a sentence;
- a longer one is tagged in windows and answered as one record (:mod:`ner_tagger.serving.windows`);
- a record that cannot be tagged (malformed JSON, a wrong shape, a lone surrogate, a run of characters
  with no space over the character limit) is answered with ``{"error": message, "line": N}`` on its own
  line, ``N`` its line in the request body (1-based);
- the request fails (with the first record's error) only when no record could be tagged.

The counts (records, tagged, windowed, errors) are logged for each such request, as a warning when some
record was refused.

Standard library only: shipped beside the TF Serving handler, so both endpoints answer the same lines.
"""
import dataclasses
import logging
from typing import Callable, Dict, List

from ner_tagger.serving import windows
from ner_tagger.serving.answers import Sentence
from ner_tagger.serving.payload import Limits, Request, RequestError

log = logging.getLogger("ner_tagger.serve")


@dataclasses.dataclass(frozen=True)
class Counts:
    records: int
    tagged: int    # answered with tags, windowed ones included
    windowed: int  # tagged in more than one window
    errors: int    # answered with an error object

    def __str__(self) -> str:
        return (f"{self.records} record(s): {self.tagged} tagged ({self.windowed} in windows), "
                f"{self.errors} refused")


def answer(request: Request, limits: Limits, predict: Callable[[List[Sentence]], List[Dict]]) -> List[Dict]:
    """One answer a record of ``request`` (``request.records``); ``predict`` tags sentences within
    ``limits``, answers in order (:func:`ner_tagger.serving.answers.in_request_order`)."""
    plans: List[object] = []  # per record: its RequestError, or its windows
    pieces: List[Sentence] = []
    for index, sentence in enumerate(request.sentences):
        refused = request.refused.get(index)
        if refused is None:
            try:
                plans.append(windows.split(sentence, limits, f"line {index + 1}"))
            except RequestError as err:
                refused = err
        if refused is not None:
            plans.append(refused)
            continue
        pieces.extend(window.sentence for window in plans[-1])
    errors = [plan for plan in plans if isinstance(plan, RequestError)]
    if errors and len(errors) == len(plans):
        log.warning("invocation: %s", Counts(len(plans), 0, 0, len(errors)))
        raise errors[0]
    answered, position, results = predict(pieces), 0, []
    for index, plan in enumerate(plans):
        if isinstance(plan, RequestError):
            results.append({"error": plan.message, "line": index + 1})
            continue
        results.append(windows.stitch(request.sentences[index], plan, answered[position:position + len(plan)]))
        position += len(plan)
    counts = Counts(len(plans), len(plans) - len(errors),
                    sum(1 for plan in plans if not isinstance(plan, RequestError) and len(plan) > 1), len(errors))
    (log.warning if errors else log.info)("invocation: %s", counts)
    return results
