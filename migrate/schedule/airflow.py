"""Airflow `schedule_interval` in every export form -> Quartz (cron-semantics.md §3.5).

The forms: a cron string (croniter's dialect, as Airflow parses it), a preset (`@daily`,
`@quarterly`, `@once`, ...), the REST API's tagged objects (`{"__type": "CronExpression" |
"TimeDelta" | "RelativeDelta", ...}`), `null`, and the `timetable_summary` text of a timedelta
such as `"1 day, 0:00:00"`. Intervals are anchored on the DAG's start date.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from migrate.schedule.cron import convert_cron
from migrate.schedule.intervals import from_calendar, from_seconds
from migrate.schedule.result import INVALID_SYNTAX, NO_TIME_SCHEDULE, UNSUPPORTED_INTERVAL, Converted, Rejection

PRESETS = {
    "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *", "@quarterly": "0 0 1 */3 *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}
NO_TIME = {"", "none", "null", "@once", "@continuous"}
TIMEDELTA_TEXT = re.compile(r"^(?:(?P<days>-?\d+) days?, )?(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2})(?:\.\d+)?$")
ABSOLUTE_FIELDS = ("year", "month", "day", "weekday", "hour", "minute", "second")
RELATIVE_UNITS = {"weeks": 7 * 86400, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "microseconds": 1e-6}


def _relative_delta(value: dict[str, Any], start: datetime | None, source: str) -> Converted:
    absolute = sorted(k for k in ABSOLUTE_FIELDS if value.get(k))
    # Anything else relativedelta takes (leapdays, yearday, nlyearday) moves the fire time in a way
    # no interval says: refused by name, never left out of the sum.
    unknown = sorted(k for k in value if k not in (*RELATIVE_UNITS, *ABSOLUTE_FIELDS, "months", "years", "__type")
                     and value.get(k))
    if unknown:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source}: a relativedelta with {unknown} is not an interval")
    if absolute:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source}: a relativedelta with absolute fields {absolute} is not an "
                                              "interval")
    months, years = int(value.get("months") or 0), int(value.get("years") or 0)
    rest = sum(float(value.get(unit) or 0) * size for unit, size in RELATIVE_UNITS.items())
    if months or years:
        if rest:
            raise Rejection(UNSUPPORTED_INTERVAL, f"{source}: months or years mixed with shorter units")
        return from_calendar(months, years, start, source)
    return from_seconds(rest, start, source)


def convert_airflow(value: object, start: datetime | None = None, split_or: bool = False) -> Converted:
    """A DAG's schedule_interval (a cron string, a preset, a timedelta, a serialised form) to
    Quartz; a cron string that ORs its day fields is split in two when opted in (`split_or`), as
    a crontab line is."""
    source = value if isinstance(value, str) else json.dumps(value)
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise Rejection(INVALID_SYNTAX, f"{value!r} is not valid JSON") from None
    if value is None or (isinstance(value, str) and value.strip().lower() in NO_TIME):
        raise Rejection(NO_TIME_SCHEDULE, f"schedule {source} runs only when triggered: make the flow manual (type 0)")
    if isinstance(value, dict):
        kind = value.get("__type")
        if kind == "CronExpression":
            return convert_airflow(str(value.get("value", "")), start, split_or)
        if kind == "TimeDelta":
            seconds = float(value.get("days", 0)) * 86400 + float(value.get("seconds", 0)) \
                + float(value.get("microseconds", 0)) / 1e6
            return from_seconds(seconds, start, source)
        if kind == "RelativeDelta":
            return _relative_delta(value, start, source)
        raise Rejection(INVALID_SYNTAX, f"{source}: not a schedule_interval form this tool knows")
    if not isinstance(value, str):
        raise Rejection(INVALID_SYNTAX, f"{source}: not a schedule_interval")
    text = value.strip()
    if match := TIMEDELTA_TEXT.match(text):
        seconds = int(match["days"] or 0) * 86400 + int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"])
        return from_seconds(seconds, start, text)
    if text.startswith("@"):
        if text.lower() not in PRESETS:
            raise Rejection(INVALID_SYNTAX, f"{text!r} is not an Airflow preset")
        text = PRESETS[text.lower()]
    converted = convert_cron(text, "croniter", split_or)
    return Converted(converted.freq, converted.cycle, source, converted.warnings, converted.split)
