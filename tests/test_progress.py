"""The progress line: redrawn in place on a terminal, a line every so often in a log, a rate at the end."""
import io

from ner_tagger.progress import Progress


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_log_gets_a_line_every_interval_and_a_final_rate():
    clock, log = Clock(), io.StringIO()
    progress = Progress("predict", "lines", total=400, stream=log, log_every_s=10, clock=clock)
    for _ in range(4):
        clock.now += 4
        progress.update(100)
    progress.close()
    assert log.getvalue().splitlines() == [
        "predict: 300/400 (75%) lines in 12.0s, 25 lines/s",  # the first update 10 s after the start
        "predict: 400/400 (100%) lines in 16.0s, 25 lines/s"]


def test_terminal_line_is_redrawn_in_place_without_a_total():
    clock, terminal = Clock(), Terminal()
    progress = Progress("predict", "lines", stream=terminal, clock=clock)
    clock.now += 1
    progress.update(50)
    progress.close()
    assert terminal.getvalue() == "\rpredict: 50 lines in 1.0s, 50 lines/s\rpredict: 50 lines in 1.0s, 50 lines/s\n"
