"""Progress of a long command, one line at a time: done of total, the rate, and the time left at that rate."""

from __future__ import annotations

import time
from collections.abc import Callable


def say(line: str) -> None:
    """Print a line at once (a pipe would otherwise hold it back)."""
    print(line, flush=True)


class Progress:
    """Tells how far a command has come each time it is called with the number done."""

    def __init__(self, total: int, *, what: str, out: Callable[[str], None] = say) -> None:
        self.total, self.what, self._out = total, what, out
        self.started = time.monotonic()

    def __call__(self, done: int) -> None:
        """One progress line: `what: done / total (percent), rate/s, about N s left`."""
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        left = (self.total - done) / rate if rate else float("inf")
        percent = 100 * done / self.total if self.total else 100.0
        self._out(f"{self.what}: {done:,} / {self.total:,} ({percent:.0f}%), {rate:,.0f}/s, about {left:,.0f} s left")

    def elapsed(self) -> float:
        """Seconds since the command started."""
        return time.monotonic() - self.started
