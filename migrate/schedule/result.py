"""What a conversion gives: a Quartz `freq`, its `cycle` and warnings, or a rejection with a code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.schedule.cycle import Cycle

# Rejection codes (cron-semantics.md §3): each means "this schedule cannot be carried over
# exactly"; the sentence says why and what to do.
DOM_OR_DOW = "DOM_OR_DOW"
DOM_AND_DOW = "DOM_AND_DOW"
SUB_MINUTE = "SUB_MINUTE"
NO_TIME_SCHEDULE = "NO_TIME_SCHEDULE"
IMPOSSIBLE_DATE = "IMPOSSIBLE_DATE"
UNSUPPORTED_INTERVAL = "UNSUPPORTED_INTERVAL"
AMBIGUOUS_DIALECT = "AMBIGUOUS_DIALECT"
INVALID_SYNTAX = "INVALID_SYNTAX"
NEEDS_START = "NEEDS_START"
# croniter's nW for n = 29 or 30 moves to a short month's last weekday; Quartz skips such months.
WEEKDAY_SEMANTICS = "WEEKDAY_SEMANTICS"


@dataclass(frozen=True)
class ScheduleWarning:
    code: str
    old: str
    new: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "from": self.old, "to": self.new, "message": self.message}


@dataclass(frozen=True)
class Converted:
    freq: str
    cycle: Cycle
    source: str
    warnings: tuple[ScheduleWarning, ...] = ()
    # With split_or: the second flow's schedule when a Vixie day-of-month OR day-of-week
    # schedule is split in two.
    split: Converted | None = None

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"freq": self.freq, "cycle": self.cycle,
                                  "warnings": [w.as_json() for w in self.warnings]}
        if self.split is not None:
            answer["split"] = self.split.as_json()
        return answer


@dataclass(frozen=True)
class Rejected:
    code: str
    message: str
    source: str

    def as_json(self) -> dict[str, str]:
        return {"rejected": self.code, "message": self.message, "source": self.source}


@dataclass
class Rejection(Exception):
    """Raised inside the converters; turned into a Rejected at the edge."""

    code: str
    message: str
    extra: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
