"""Several schedules of one job (systemd's OnCalendar= lines, a Windows task's triggers) as one
flow schedule when their union is itself one Quartz expression: they differ in one field (`06:00`
and `18:00` daily are `0 0 6,18 * * ? *`; Monday and Thursday at 02:00 are `0 0 2 ? * 2,5 *`),
or only in their days of the month, or only in their days of the week. Anything else is no single
schedule, and the caller refuses it (MULTIPLE_TRIGGERS): never a schedule that fires otherwise.
"""

from __future__ import annotations

import re

from migrate.schedule.cron import to_quartz
from migrate.schedule.legacy import convert_quartz
from migrate.schedule.quartz import QuartzError, parse_quartz, set_text
from migrate.schedule.result import Converted, Rejection

QUARTZ_YEAR_MAX = 2099
_PLAIN_SET_FIELDS = (1, 2, 4, 6)  # minutes, hours, month, year
_PLAIN_DAYS = re.compile(r"^[0-9*,/-]+$")


def _merged(first: Converted, second: Converted) -> Converted | None:
    """The two schedules as one when they differ in one field that is a plain set in both."""
    a, b = first.freq.split(), second.freq.split()
    differing = [i for i in range(7) if a[i] != b[i]]
    if not differing:
        return first
    merged = list(a)
    if len(differing) == 1 and differing[0] in _PLAIN_SET_FIELDS:
        index = differing[0]
        one, two = parse_quartz(first.freq), parse_quartz(second.freq)
        every_year = frozenset(range(1970, QUARTZ_YEAR_MAX + 1))
        union, low, high = {
            1: (one.minutes | two.minutes, 0, 59), 2: (one.hours | two.hours, 0, 23),
            4: (one.months | two.months, 1, 12),
            6: ((one.years or every_year) | (two.years or every_year), 1970, QUARTZ_YEAR_MAX)}[index]
        merged[index] = set_text(union, low, high)
    elif set(differing) <= {3, 5}:
        if a[5] == b[5] == "?" and _PLAIN_DAYS.match(a[3]) and _PLAIN_DAYS.match(b[3]):
            days = parse_quartz(first.freq).day_of_month.days | parse_quartz(second.freq).day_of_month.days
            merged[3] = set_text(days, 1, 31)
        elif a[3] == b[3] == "?" and _PLAIN_DAYS.match(a[5]) and _PLAIN_DAYS.match(b[5]):
            weekdays = parse_quartz(first.freq).day_of_week.days | parse_quartz(second.freq).day_of_week.days
            merged[5] = set_text(weekdays, 1, 7)
        else:
            return None
    else:
        return None
    try:
        return to_quartz(merged[0], merged[1], merged[2], (merged[3], merged[5]), merged[4], merged[6],
                         f"{first.source} + {second.source}")
    except (Rejection, QuartzError):
        return None


def union_of(schedules: list[Converted]) -> list[Converted]:
    """The schedules merged pair by pair while any two make one: one left is their union; several
    left, no single schedule says it."""
    pending = list(schedules)
    while len(pending) > 1:
        for i in range(len(pending)):
            for j in range(i + 1, len(pending)):
                union = _merged(pending[i], pending[j])
                if union is not None:
                    pending = [union, *(c for k, c in enumerate(pending) if k not in (i, j))]
                    break
            else:
                continue
            break
        else:
            return pending
    return pending


def one_schedule(freqs: list[str]) -> str | None:
    """The union of these Quartz freqs as one freq, or None when no single one says it."""
    merged = union_of([convert_quartz(freq) for freq in dict.fromkeys(freqs)])
    return merged[0].freq if len(merged) == 1 else None
