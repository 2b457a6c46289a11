"""Azkaban's recurring period (`1d`, `12h`, `30m`, `1w`, `1M`, `1y`) from a first fire time -> Quartz.

Azkaban's older schedules (2.x, and 3.x schedules made with a period rather than a cron) fire at
the first scheduled time and then every period after it, the period added with Joda-Time in the
schedule's zone: days, weeks, months and years keep the wall-clock time (and a month added to the
31st lands on the month's last day, then stays there), while hours, minutes and seconds are added
as fixed durations. Such a schedule is a Quartz expression only where it lines up with the
calendar, as every fixed interval must (see `intervals.py`); the rest is refused with a code.

The period comes in three spellings: the triggers table's and the schedules table's `1d`
(TimeUtils.createPeriodString), fetchSchedule's `1 day(s)` (TimeUtils.formatPeriod), and
fetchSchedules' milliseconds (`86400000`), where a month or a year has no fixed length.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from migrate.schedule.intervals import from_calendar, from_seconds
from migrate.schedule.result import INVALID_SYNTAX, UNSUPPORTED_INTERVAL, Converted, Rejection

SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
SHORT = re.compile(r"^\s*(\d+)\s*([smhdwMy])\s*$")
SPELLED = re.compile(r"^\s*(\d+)\s+(second|minute|hour|day|week|month|year)\(s\)\s*$", re.IGNORECASE)
SPELLED_UNITS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w", "month": "M", "year": "y"}
MILLISECONDS = re.compile(r"^\s*(\d+)\s*$")
NO_PERIOD = ("", "null", "0")


def no_period(text: str) -> bool:
    """True when the text says the schedule does not repeat by a period (a cron schedule, or run once)."""
    return text.strip().lower() in NO_PERIOD or text.strip().lower().endswith("n")


def period_parts(text: str) -> tuple[int, str]:
    """The count and unit (s, m, h, d, w, M, y) of a period in any of Azkaban's three spellings."""
    if match := SHORT.match(text):
        return int(match[1]), match[2]
    if match := SPELLED.match(text):
        return int(match[1]), SPELLED_UNITS[match[2].lower()]
    if match := MILLISECONDS.match(text):
        total = int(match[1])
        for unit in ("w", "d", "h", "m", "s"):
            if total % (SECONDS[unit] * 1000) == 0:
                return total // (SECONDS[unit] * 1000), unit
        raise Rejection(UNSUPPORTED_INTERVAL, f"a period of {total} ms is not a whole number of seconds")
    raise Rejection(INVALID_SYNTAX, f"{text!r} is not an Azkaban period such as 1d, 12h, 30m, 1w, 1M or 1 day(s)")


def convert_period(text: str, first: datetime) -> Converted:
    """The Quartz schedule that fires at `first` (a wall-clock time in the schedule's zone) and every
    period after it, or a Rejection saying why there is none."""
    count, unit = period_parts(text)
    if count <= 0:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{text!r} is not a positive period")
    if unit in ("M", "y"):
        return from_calendar(count if unit == "M" else 0, count if unit == "y" else 0, first, text)
    if MILLISECONDS.match(text) and unit in ("w", "d") and 28 <= count * (7 if unit == "w" else 1) <= 31:
        raise Rejection(UNSUPPORTED_INTERVAL, f"a period of {text} ms ({count}{unit}) may be a month measured on one "
                                              "day (fetchSchedules gives periods in milliseconds, and a month has no "
                                              "fixed length): export the schedule from fetchSchedule or the triggers "
                                              "table, which name the period")
    return from_seconds(count * SECONDS[unit], first, text)


def shifts_with_daylight_saving(text: str) -> bool:
    """True when a daylight-saving change moves the period's fire times off the Quartz schedule:
    Azkaban adds hours as fixed durations, so every k hours (k > 1) moves by the hour the clocks
    moved, where the Quartz schedule keeps the same hours of the day."""
    count, unit = period_parts(text)
    return unit == "h" and count > 1


@dataclass(frozen=True)
class Phase:
    """Where a period stands at a time: the fire at or after it as Azkaban counts (`at`), and
    where it would be had nothing moved it (`planned`, the first time plus whole periods)."""

    at: datetime
    planned: datetime

    @property
    def moved(self) -> bool:
        return self.at != self.planned


@functools.lru_cache(maxsize=256)
def phase(text: str, first: datetime, zone: str, until: datetime) -> Phase:
    """The fire time at or after `until` (wall clocks in `zone`) of a period counted as Azkaban's
    Schedule.getNextRuntime counts it: added to the time before with Joda-Time in the schedule's
    zone. Days, weeks, months and years are added on the wall clock, where Joda moves a time the
    clocks skip forward by the gap, and a day past a shorter month's end to that month's last day;
    the next addition starts from the moved time, so a move is for good (a daily 02:30 in New York
    fires at 03:30 from its first spring on). Hours and shorter are fixed durations (see
    `shifts_with_daylight_saving`), and a period in milliseconds names no calendar unit: for those,
    and before `first`, nothing moves."""
    count, unit = period_parts(text)
    if unit not in ("d", "w", "M", "y") or MILLISECONDS.match(text) or count <= 0 or first >= until:
        return Phase(first, first)
    step = relativedelta(days=count * (7 if unit == "w" else 1)) if unit in ("d", "w") else \
        relativedelta(months=count * (12 if unit == "y" else 1))
    tz = ZoneInfo(zone)
    at, added = first, 0
    while at < until:
        landed = at + step
        # Joda reads a wall time at the offset in force before it (fold 0): one in a gap comes out later.
        at = landed.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        added += 1
    return Phase(at, first + step * added)
