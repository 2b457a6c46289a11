"""Progress on the console: a rich bar on a terminal, a one-line note every few seconds otherwise.
It writes to stderr, apart from the result log and from the summary on stdout."""

from __future__ import annotations

import sys
import time
from collections import Counter
from types import TracebackType

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

LINE_EVERY_SECONDS = 5.0
BAR_EVERY_SECONDS = 0.1


class Progress:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.counts: Counter[str] = Counter()
        self._console = Console(stderr=True)
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._last_line = time.monotonic()

    def __enter__(self) -> Progress:
        if self.enabled and self._console.is_terminal:
            self._bar = RichProgress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                console=self._console, transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("starting")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _text(self) -> str:
        return f"{sum(self.counts.values())} flows done: " + ", ".join(
            f"{status} {n}" for status, n in sorted(self.counts.items()))

    def advance(self, status: str) -> None:
        self.counts[status] += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if self._bar is not None and self._task is not None:
            if now - self._last_line >= BAR_EVERY_SECONDS:  # the bar redraws ten times a second anyway
                self._last_line = now
                self._bar.update(self._task, description=self._text())
        elif now - self._last_line >= LINE_EVERY_SECONDS:
            self._last_line = now
            print(self._text(), file=sys.stderr, flush=True)
