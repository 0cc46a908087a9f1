"""A progress line with a rate on stderr, for command lines that work through large files.

Standard library only, rather than tqdm: every ``install_requires`` entry becomes a wheel staged into the
SageMaker source folder and the container images, for what is twenty lines here.

On a terminal the line is redrawn in place a few times a second; in a log (stderr not a terminal) a line
is written every ``log_every_s`` seconds instead, so a long job's log shows progress without flooding.
The last line always gives the total, the time and the rate.
"""
import sys
import time
from typing import Optional, TextIO


class Progress:
    """``Progress("predict", "sentences", total)``; ``update(n)`` after each piece of work, ``close()`` at the end."""

    def __init__(self, label: str, unit: str, total: Optional[int] = None, stream: TextIO = None,
                 log_every_s: float = 10.0, clock=time.monotonic):
        self.label, self.unit, self.total, self.done = label, unit, total, 0
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._every = 0.2 if self._tty else log_every_s
        self._clock = clock
        self._start = self._last = clock()

    def update(self, count: int) -> None:
        self.done += count
        now = self._clock()
        if now - self._last >= self._every:
            self._last = now
            self._write(self._line(now), final=False)

    def close(self) -> None:
        self._write(self._line(self._clock()), final=True)

    def rate(self, now: float) -> float:
        return self.done / max(now - self._start, 1e-9)

    def _line(self, now: float) -> str:
        share = f"/{self.total} ({100 * self.done / self.total:.0f}%)" if self.total else ""
        return f"{self.label}: {self.done}{share} {self.unit} in {now - self._start:.1f}s, " \
               f"{self.rate(now):.0f} {self.unit}/s"

    def _write(self, line: str, final: bool) -> None:
        if self._tty:
            self._stream.write("\r" + line + ("\n" if final else ""))
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
