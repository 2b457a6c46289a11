"""Progress on the console: a rich bar on a terminal, a one-line note every few seconds otherwise
(a `progress` event with --log-format json). It writes to stderr, apart from the result log and
from the summary on stdout.

Each note says how many flows are done of how many, the share, the rate and the time left. The
total is counted before the run where that is cheap and close (a table with one row per flow:
its lines), else it is unknown, and the note says so rather than guess."""

from __future__ import annotations

import time
from collections import Counter
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, SpinnerColumn, TaskID, TextColumn
from rich.progress import Progress as RichProgress

from migrate import console
from migrate.config import Settings

if TYPE_CHECKING:
    from migrate.reconcile.saved_plan import SavedPlan

LINE_EVERY_SECONDS = 5.0
BAR_EVERY_SECONDS = 0.1
_CHUNK = 1024 * 1024


def counted_total(settings: Settings, saved_plan: SavedPlan | None = None) -> int | None:
    """How many flows the run will give a line. A saved plan (`run --plan`, and so `edit` and
    `restore`): the flows it changes and those it found invalid, each one line (the flows it leaves
    alone get none; "6 of 11", the 6 counting the invalid ones the 11 left out). Else how
    many the source holds, from a count of its lines (a few hundred MB a second), when every data
    line is one flow: a CSV, TSV or JSON Lines table read without a profile, one row per flow. None
    otherwise (a profile, rows grouped into flows, a split into two flows, a binary or JSON file),
    and when the file cannot be read (the run says why)."""
    if saved_plan is not None:
        return len(saved_plan.planned) + len(saved_plan.disables) + len(saved_plan.refused)
    source, mapping = settings.source, settings.mapping
    if source.profile != "tabular" or mapping.flow_key or mapping.split_id_column:
        return None
    kind = source.format or {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
                             ".ndjson": "jsonl"}.get(source.path.suffix.lower())
    if kind not in ("csv", "tsv", "jsonl"):
        return None
    lines = 0
    ends_with_newline = True
    try:
        with source.path.open("rb") as data:
            while chunk := data.read(_CHUNK):
                lines += chunk.count(b"\n")
                ends_with_newline = chunk.endswith(b"\n")
    except OSError:
        return None
    lines += 0 if ends_with_newline else 1
    return max(0, lines - (1 if kind != "jsonl" else 0))  # the header is no flow


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    def __init__(self, enabled: bool = True, total: int | None = None) -> None:
        self.enabled = enabled
        self.total = total
        self.counts: Counter[str] = Counter()
        self._console = Console(stderr=True)
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._started = self._last_line = time.monotonic()

    def __enter__(self) -> Progress:
        self._started = self._last_line = time.monotonic()
        # A bar only for a person at a terminal; --log-format json gets `progress` events.
        if self.enabled and self._console.is_terminal and console.current_format() == "human":
            self._bar = RichProgress(
                SpinnerColumn(), BarColumn(), TextColumn("{task.description}"),
                console=self._console, transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("starting", total=self.total)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def facts(self, now: float | None = None) -> dict[str, Any]:
        """The progress as a `progress` event's fields: done, total (None: unknown), the share,
        the rate, the seconds left (None: unknown) and the count of each status."""
        done = sum(self.counts.values())
        elapsed = (time.monotonic() if now is None else now) - self._started
        rate = done / elapsed if elapsed > 0 else 0.0
        # a quoted line break makes the count of lines a little high, never low
        total = None if self.total is None else max(self.total, done)
        share = None if total is None else 100 * done / total if total else 100.0
        left = (total - done) / rate if total is not None and rate > 0 else None
        return {"done": done, "total": total, "percent": None if share is None else round(share, 1),
                "flows_per_second": round(rate, 1), "seconds_left": None if left is None else round(left),
                "by_status": dict(sorted(self.counts.items()))}

    def text(self, now: float | None = None) -> str:
        """`120 of 210 flows (57 %), 19.8 flows/s, about 4 s left: saved 118, invalid 2`."""
        facts = self.facts(now)
        done, total, rate = facts["done"], facts["total"], facts["flows_per_second"]
        statuses = ", ".join(f"{status} {n}" for status, n in facts["by_status"].items())
        if total is None:
            return f"{done} flows done (total unknown before the source is read), {rate:.1f} flows/s: {statuses}"
        left = f"about {_duration(facts['seconds_left'])} left" if facts["seconds_left"] is not None \
            else "time left unknown"
        return f"{done} of {total} flows ({facts['percent']:.0f} %), {rate:.1f} flows/s, {left}: {statuses}"

    def advance(self, status: str) -> None:
        self.counts[status] += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if self._bar is not None and self._task is not None:
            if now - self._last_line >= BAR_EVERY_SECONDS:  # the bar redraws ten times a second anyway
                self._last_line = now
                self._bar.update(self._task, completed=sum(self.counts.values()), description=self.text(now))
        elif now - self._last_line >= LINE_EVERY_SECONDS:
            self._last_line = now
            console.emit("progress", self.text(now), **self.facts(now))
