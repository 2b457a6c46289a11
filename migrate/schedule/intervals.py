"""Fixed intervals (Airflow timedeltas, ISO-8601 durations) -> Quartz, anchored on a start time.

An interval is a schedule only when it lines up with the calendar: k minutes with k dividing
60, k hours with k dividing 24, one day, one week, one month, one year. Anything else (90
minutes, 2 days, 2 weeks) drifts against the calendar and is rejected (cron-semantics.md §3.5).
"""

from __future__ import annotations

import re
from datetime import datetime

from migrate.schedule.cron import to_quartz
from migrate.schedule.result import NEEDS_START, SUB_MINUTE, UNSUPPORTED_INTERVAL, Converted, Rejection

QUARTZ_DOW = {0: 2, 1: 3, 2: 4, 3: 5, 4: 6, 5: 7, 6: 1}  # Python weekday() -> Quartz 1=Sunday
ISO_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def _needs(start: datetime | None, source: str) -> datetime:
    if start is None:
        raise Rejection(NEEDS_START, f"{source!r} is an interval: give the start date and time it counts from")
    return start


def from_seconds(total: float, start: datetime | None, source: str) -> Converted:
    """A fixed interval in seconds."""
    if total <= 0:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source!r} is not a positive interval")
    if total < 60:
        raise Rejection(SUB_MINUTE, f"{source!r} runs more than once a minute")
    if total % 60:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source!r} is not a whole number of minutes")
    minutes = int(total // 60)
    if minutes < 60 and 60 % minutes == 0:
        at = _needs(start, source)
        return to_quartz(str(at.second), f"{at.minute % minutes}/{minutes}", "*", ("*", "?"), "*", "*", source)
    if minutes % 60 == 0 and minutes < 1440 and 24 % (minutes // 60) == 0:
        at, hours = _needs(start, source), minutes // 60
        return to_quartz(str(at.second), str(at.minute), f"{at.hour % hours}/{hours}", ("*", "?"), "*", "*", source)
    if minutes == 1440:
        at = _needs(start, source)
        return to_quartz(str(at.second), str(at.minute), str(at.hour), ("*", "?"), "*", "*", source)
    if minutes == 7 * 1440:
        at = _needs(start, source)
        return to_quartz(str(at.second), str(at.minute), str(at.hour), ("?", str(QUARTZ_DOW[at.weekday()])),
                         "*", "*", source)
    raise Rejection(UNSUPPORTED_INTERVAL, f"{source!r} ({minutes} minutes) drifts against the calendar: a flow "
                                          "schedule can repeat every k minutes (k dividing 60), k hours (k dividing "
                                          "24), a day, a week, a month or a year")


def from_calendar(months: int, years: int, start: datetime | None, source: str) -> Converted:
    """Every month or every year, on the start's day and time."""
    at = _needs(start, source)
    if (months, years) not in ((1, 0), (0, 1), (12, 0)):
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source!r}: only every month or every year has a flow schedule")
    if at.day > 28 and months == 1:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source!r} from day {at.day}: not every month has that day, and "
                                              "the source then fires on another one (the month's last, or a day "
                                              "that drifts from it), which one Quartz day of the month cannot say; "
                                              "start on day 28 or earlier, or use L (last day)")
    if (at.month, at.day) == (2, 29):  # a yearly schedule on 29 February would fire only in leap years
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source!r} from 29 February: a flow schedule on that day fires only "
                                              "in leap years; start on another day")
    month = "*" if months == 1 else str(at.month)
    return to_quartz(str(at.second), str(at.minute), str(at.hour), (str(at.day), "?"), month, "*", source)


def from_iso8601(text: str, start: datetime | None) -> Converted:
    match = ISO_DURATION.match(text.strip().upper())
    if match is None or text.strip().upper() in ("P", "PT"):
        raise Rejection("INVALID_SYNTAX", f"{text!r} is not an ISO-8601 duration such as PT15M, P1D or P1M")
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    if parts.get("years") or parts.get("months"):
        if set(parts) - {"years", "months"}:
            raise Rejection(UNSUPPORTED_INTERVAL, f"{text!r} mixes months or years with shorter units")
        return from_calendar(parts.get("months", 0), parts.get("years", 0), start, text)
    seconds = (parts.get("weeks", 0) * 7 * 86400 + parts.get("days", 0) * 86400 + parts.get("hours", 0) * 3600
               + parts.get("minutes", 0) * 60 + parts.get("seconds", 0))
    return from_seconds(seconds, start, text)
