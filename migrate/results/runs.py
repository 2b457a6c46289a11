"""What `migrate report` reads out of one or more result logs in one pass: each run's summary
(a run is a run id: one log may hold several runs, a run's resume writes to the same log, and
each shard of a sharded migration is a run of its own, `…-shard-I-of-N`), the summary of all of
them together, and what the HTML page draws (throughput over time, latencies, invalid flows)."""

from __future__ import annotations

import glob
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate import console
from migrate.exit_codes import CannotRun
from migrate.results.log import (
    ATTEMPT,
    SENT_STATUSES,
    FinalLines,
    NotAResultLog,
    Skipped,
    Summary,
    check_result_log,
    identity,
    line_key,
    read_log,
    stamp_of,
)

GLOB_CHARACTERS = frozenset("*?[")
# The invalid flows listed by name on the page; past this many, the page says how many more (the
# CSV, `--csv`, has every line).
MAX_LISTED_INVALID = 5000


class NoSuchLog(CannotRun):
    """A log named on the command line is not there, or a pattern matches none."""


def expand_logs(arguments: Iterable[str]) -> list[Path]:
    """The logs named: each argument a file, or a pattern (`'results/nightly-*-shard-*.jsonl'`,
    quoted so the tool expands it, which also works where no shell does); each file once, in
    the order given, a pattern's matches sorted. A pattern's match that is no result log (a
    snapshot beside the logs in results/) is left out with a warning naming it; a file named
    on its own that is none stops the report (Report.read)."""
    found: dict[Path, None] = {}
    for argument in arguments:
        path = Path(argument)
        if path.is_file() or not GLOB_CHARACTERS & set(argument):
            if not path.is_file():
                raise NoSuchLog(f"{argument}: no such result log")
            found[path] = None
            continue
        matches = [match for match in sorted(Path(m) for m in glob.glob(argument) if Path(m).is_file())
                   if _is_result_log(match)]
        if not matches:
            raise NoSuchLog(f"{argument}: no result log matches this pattern")
        found.update(dict.fromkeys(matches))
    return list(found)


def _is_result_log(path: Path) -> bool:
    try:
        check_result_log(path)
    except NotAResultLog as refused:
        console.warning(f"{refused} (left out of the report)", event="log_left_out", file=str(path))
        return False
    return True


@dataclass
class InvalidFlow:
    """One invalid flow as the page lists it: its name, id, source rows and every reason."""

    name: str
    flow_id: str
    rows: str
    reasons: list[str]
    run_id: str


@dataclass
class Run:
    run_id: str
    logs: list[Path] = field(default_factory=list)
    finals: FinalLines = field(default_factory=FinalLines)
    # Flows (by source key) whose last record in the run is an `attempt`: a request that could
    # change the flow was in flight when the log ends (the run was killed, or is still running).
    in_doubt: dict[str, dict[str, Any]] = field(default_factory=dict)


def _reasons(line: dict[str, Any]) -> list[str]:
    """An invalid line's reasons: each error as FieldError.sentence writes it, else the line's msg."""
    reasons = []
    for error in line.get("errors") or []:
        message = str(error.get("message") or error.get("code") or "invalid")
        field_name, value = error.get("field"), error.get("value")
        reasons.append((f"field {field_name}: " if field_name else "") + message
                       + (f" (value {value})" if value not in (None, "") else ""))
    return reasons or [str(line.get("msg") or line.get("code") or "invalid")]


def _rows(value: Any) -> str:
    return ", ".join(str(row) for row in value) if isinstance(value, list) else "" if value is None else str(value)


@dataclass
class Report:
    logs: list[Path]
    runs: dict[str, Run] = field(default_factory=dict)
    together: FinalLines = field(default_factory=lambda: FinalLines(by_service=True))  # each flow of the service once
    skipped: Skipped = field(default_factory=Skipped)
    sent_per_second: Counter[int] = field(default_factory=Counter)  # whole epoch seconds -> sent lines
    invalid: dict[str, InvalidFlow] = field(default_factory=dict)  # a flow's identity -> its last invalid line

    @classmethod
    def read(cls, logs: list[Path]) -> Report:
        """Every log, checked to be one first (NotAResultLog names the file and line), then read once."""
        for log in logs:
            check_result_log(log)
        report = cls(logs)
        for log in logs:
            for line in read_log(log, attempts=True, skipped=report.skipped):
                report._add(log, line)
        return report

    def _add(self, log: Path, line: dict[str, Any]) -> None:
        run_id = str(line.get("run_id"))
        run = self.runs.setdefault(run_id, Run(run_id))
        if log not in run.logs:
            run.logs.append(log)
        if line["status"] == ATTEMPT:  # no final line yet: in doubt until one comes (a resume writes it)
            run.in_doubt[line_key(line)] = line
            return
        run.in_doubt.pop(line_key(line), None)
        run.finals.add(line)
        self.together.add(line)
        key = identity(line)
        if line["status"] == "invalid":
            self.invalid.pop(key, None)
            self.invalid[key] = InvalidFlow(str(line.get("name") or ""), str(line.get("flow_id") or ""),
                                            _rows(line.get("rows")), _reasons(line), run_id)
        else:
            self.invalid.pop(key, None)  # saved later (a fixed export, a resume): no longer invalid
        stamp = stamp_of(line)
        if stamp is not None and line["status"] in SENT_STATUSES:
            self.sent_per_second[int(stamp)] += 1

    def summary(self) -> Summary:
        """All the runs together: each flow's last line, the time from the first line to the last
        (shards run side by side: their flows per second add up)."""
        return self.together.summary()

    def in_doubt(self) -> int:
        """Flows left in doubt by every run (see Run.in_doubt)."""
        return sum(len(run.in_doubt) for run in self.runs.values())

    def run_summaries(self) -> list[tuple[Run, Summary]]:
        return [(run, run.finals.summary()) for run in self.runs.values()]

    def throughput(self, most_buckets: int = 120) -> tuple[int, list[tuple[int, int]]]:
        """Sent flows over time: (seconds a bucket, [(bucket start, flows sent in it), …]) from
        the first sent line to the last, at most `most_buckets` buckets, empty ones included."""
        if not self.sent_per_second:
            return 1, []
        first, last = min(self.sent_per_second), max(self.sent_per_second)
        width = max(1, -(-(last - first + 1) // most_buckets))
        buckets: Counter[int] = Counter()
        for second, count in self.sent_per_second.items():
            buckets[first + (second - first) // width * width] += count
        return width, [(start, buckets[start]) for start in range(first, last + 1, width)]


# Latency buckets' upper bounds, in milliseconds (the last holds everything slower).
LATENCY_BOUNDS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


def latency_histogram(latencies_ms: Iterable[float]) -> list[tuple[str, int]]:
    """The requests by latency: (`≤ 5 ms`, count), … and `> 10000 ms` last."""
    counts = [0] * (len(LATENCY_BOUNDS_MS) + 1)
    for latency in latencies_ms:
        index = next((i for i, bound in enumerate(LATENCY_BOUNDS_MS) if latency <= bound), len(LATENCY_BOUNDS_MS))
        counts[index] += 1
    labels = [f"≤ {bound} ms" for bound in LATENCY_BOUNDS_MS] + [f"> {LATENCY_BOUNDS_MS[-1]} ms"]
    return list(zip(labels, counts, strict=True))
