"""Schedules given as fields rather than expressions: Quartz sources passed through our
validator, Rundeck's structured schedule, and Windows Task Scheduler triggers."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from migrate.schedule.cron import WEEKDAYS, flags, never_fires, to_quartz
from migrate.schedule.cycle import SubMinuteSchedule, cycle_of
from migrate.schedule.intervals import from_seconds
from migrate.schedule.quartz import DAY_NAMES as QUARTZ_DAYS
from migrate.schedule.quartz import FIELD_NAMES, QuartzError, parse_quartz, set_text
from migrate.schedule.quartz import MONTH_NAMES as QUARTZ_MONTHS
from migrate.schedule.result import (
    INVALID_SYNTAX,
    NO_TIME_SCHEDULE,
    SUB_MINUTE,
    UNSUPPORTED_INTERVAL,
    Converted,
    Rejection,
    ScheduleWarning,
)


def convert_quartz(expression: str) -> Converted:
    """A 6- or 7-field Quartz source (DolphinScheduler, Rundeck crontab, Azkaban), validated and
    written in canonical form. The old text is kept in a warning only where a field's meaning
    could be read differently from what Quartz does (see `_reads_differently`)."""
    try:
        source = parse_quartz(expression)
        schedule = parse_quartz(source.canonical)
        cycle = cycle_of(schedule)
    except QuartzError as error:
        raise Rejection(INVALID_SYNTAX, str(error)) from None
    except SubMinuteSchedule:
        raise Rejection(SUB_MINUTE, f"{expression!r} fires more than once a minute") from None
    if (never := never_fires(schedule, expression)) is not None:
        raise never
    warnings = flags(schedule, expression)
    if "/" in source.text.split()[1] and schedule.minutes == frozenset(range(1, 60)):
        warnings.append(ScheduleWarning(
            "SKIPS_MINUTE_0", expression, schedule.text,
            "Quartz reads 1/1 as minutes 1-59: minute 0 never fires; 0/1 or * fires every minute"))
    elif changed := _reads_differently(source.text, schedule.text):
        warnings.append(ScheduleWarning(
            "CANONICALISED", expression, schedule.text,
            f"rewritten as the values Quartz fires on ({', '.join(changed)}): a step stops at the field's "
            "end and never wraps, a range may wrap round it"))
    return Converted(schedule.text, cycle, expression, tuple(warnings))


def keep_service_freq(expression: str) -> Converted:
    """A freq the service holds already (a snapshot's, saved back): validated as Quartz and kept
    as written, since the service fires it as it is; `MON` stays `MON`, so a runbook that changes
    an owner does not rewrite the schedule too. Where Quartz's reading of the text could be taken
    for another (REWRITTEN), the canonical form and its warning, as ever; other warnings (a
    windowed cycle) are kept with the text as written."""
    converted = convert_quartz(expression)
    if any(w.code in REWRITTEN for w in converted.warnings):
        return converted
    return replace(converted, freq=" ".join(expression.split()))


# The warnings of a text Quartz fires differently from how it reads: it is saved as Quartz fires it.
REWRITTEN = ("CANONICALISED", "SKIPS_MINUTE_0")


_WRAPPING = re.compile(r"(?:^|,)([0-9]+|[A-Z]{3})-([0-9]+|[A-Z]{3})")
_NAMED = {**QUARTZ_MONTHS, **QUARTZ_DAYS}


def _reads_differently(old: str, new: str) -> list[str]:
    """The fields whose old text holds a step or a wrapping range and was rewritten: `7/6` in
    months is July only, `0/30,5` is 0,5,30, `22-2` is 0-2,22,23. Other rewrites (case, names,
    leading zeros, `0-59` as `*`, `? * *` as `* * ?`, the year added) cannot change the meaning."""
    changed = []
    for name, before, after in zip(FIELD_NAMES, old.split(), new.split(), strict=True):
        wraps = any(int(_NAMED.get(a, a)) > int(_NAMED.get(b, b)) for a, b in _WRAPPING.findall(before))
        if before != after and ("/" in before or wraps):
            changed.append(f"{name} {before} -> {after}")
    return changed


def rundeck_quartz_text(schedule: dict[str, Any]) -> str:
    """Rundeck's structured schedule (`time`, `weekday`, `dayofmonth`, `month`, `year`) as the
    Quartz expression Rundeck itself builds from it: ScheduledExecution.fromMap takes a day of month
    (but `?`) and sets the weekday to `?`, else the weekdays (`*` when neither is given). A weekday
    beside a day of month is ignored so (see `rundeck_ignored_weekday`)."""
    time = schedule.get("time") or {}
    weekday = (schedule.get("weekday") or {}).get("day")
    dayofmonth = (schedule.get("dayofmonth") or {}).get("day")
    if dayofmonth is not None and str(dayofmonth) != "?":
        dom, dow = str(dayofmonth), "?"
    else:
        dom, dow = "?", "*" if weekday is None else str(weekday)
    month = schedule.get("month", "*")
    month = month.get("month", "*") if isinstance(month, dict) else month
    year = schedule.get("year", "*")
    year = year.get("year", "*") if isinstance(year, dict) else year
    return " ".join(str(v) for v in (time.get("seconds", "0"), time.get("minute", "0"), time.get("hour", "0"),
                                     dom, month, dow, year))


def rundeck_ignored_weekday(schedule: dict[str, Any]) -> str | None:
    """The weekdays a structured schedule names beside a day of month, which Rundeck ignores."""
    weekday = (schedule.get("weekday") or {}).get("day")
    dayofmonth = (schedule.get("dayofmonth") or {}).get("day")
    if dayofmonth is None or str(dayofmonth) == "?" or weekday is None or str(weekday) in ("*", "?"):
        return None
    return str(weekday)


HOURS_MINUTES = re.compile(r"^\s*(\d+)\s*Hour\(s\),\s*(\d+)\s*Minute\(s\)\s*$", re.IGNORECASE)
EVERY_N = re.compile(r"^\s*Every\s+(\d+)\s+(day|week|month)", re.IGNORECASE)
# The Schedule Types of triggers with no time schedule: as English Windows' schtasks writes them (`At idle
# time` for `/sc onidle`, `When an event occurs` for an event trigger, `On demand only` for a task with no
# trigger; a `One Time Only` start that has passed fires no more), and as other tools name them. Localised
# values are not read (the schtasks profile's docstring): they are refused by name.
NO_TIME_TYPES = ("one time only", "at system start up", "at logon time", "at idle time", "when an event occurs",
                 "on demand only", "when idle", "on event", "at startup", "at logon", "on idle")
# What schtasks lists a trigger it cannot describe as (a session state, registration or custom trigger, but
# also some of Windows' own timed tasks): neither a time schedule nor none can be read from it.
UNDEFINED_HINT = (" (schtasks writes Undefined for a trigger it cannot describe; the task's XML says what it is: "
                  "export it with `schtasks /query /xml` and read it with profile = \"taskxml\")")
# The Schedule Types of triggers with a time schedule (`One Time Only, Minute` repeats: `_repeated_once`).
TIMED_TYPES = ("daily", "weekly", "monthly")
MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def _minutes(text: str) -> int | None:
    match = HOURS_MINUTES.match(text or "")
    return int(match[1]) * 60 + int(match[2]) if match else None


def _read_minutes(trigger: dict[str, str], column: str) -> int | None:
    """`h Hour(s), m Minute(s)` in `column` as minutes; None when it says none (blank, None, N/A,
    Disabled); INVALID_SYNTAX for anything else, which would otherwise be taken for none (a
    localised `12 Stunde(n), 0 Minute(n)` dropped a repetition without a word)."""
    text = trigger.get(column, "").strip()
    minutes = _minutes(text)
    if minutes is None and text.lower() not in ("", "none", "n/a", "disabled"):
        raise Rejection(INVALID_SYNTAX, f"{column} {text!r} is not 'h Hour(s), m Minute(s)' (values are read in "
                                        "English only)")
    return minutes


def _until(trigger: dict[str, str], at: datetime) -> int | None:
    """`Repeat: Until: Time` (a clock time the same day, as schtasks /create /et writes it) as the
    repetition's duration in minutes from the start; None when none is written."""
    until = trigger.get("Repeat: Until: Time", "").strip()
    if until.lower() in ("", "none", "n/a", "disabled"):
        return None
    try:
        stop = datetime.strptime(until, "%H:%M:%S")
    except ValueError:
        raise Rejection(INVALID_SYNTAX, f"Repeat: Until: Time {until!r} is not HH:MM:SS") from None
    minutes = (stop.hour * 60 + stop.minute) - (at.hour * 60 + at.minute)
    if minutes <= 0:
        raise Rejection(UNSUPPORTED_INTERVAL, f"Repeat: Until: Time {until} is not after the start {at:%H:%M}")
    return minutes


def _repeated_once(trigger: dict[str, str], source: str) -> Converted:
    """`schtasks /create /sc minute|hourly` (listed as `One Time Only, Minute` or `, Hourly`): one
    start, repeated every interval for ever. Its phase is the start's time of day when the interval
    divides a day; any other interval drifts against the calendar."""
    try:
        at = datetime.strptime(trigger.get("Start Time", "").strip(), "%H:%M:%S")
    except ValueError:
        raise Rejection(INVALID_SYNTAX, f"Start Time {trigger.get('Start Time')!r} is not HH:MM:SS") from None
    step = _minutes(trigger.get("Repeat: Every", "")) or 0
    duration = trigger.get("Repeat: Until: Duration", "").strip()
    until = trigger.get("Repeat: Until: Time", "").strip()
    if _minutes(duration) or until.lower() not in ("", "none", "n/a", "disabled"):
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source} repeating every {step} min stops at "
                                              f"{until if _minutes(duration) is None else duration + ' from its start'}"
                                              ", and a flow schedule does not stop by itself")
    if 1440 % step:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{source} repeating every {step} min from its start drifts against "
                                              "the days (the interval does not divide a day)")
    return from_seconds(step * 60, at, f"{source} every {step} min")


def convert_windows(trigger: dict[str, str]) -> Converted:
    """One `schtasks /query /fo csv /v` trigger row: Schedule Type, Start Time, Days, Months,
    Repeat: Every, Repeat: Until: Duration. A repetition is taken to stop before the end of its
    duration (`until` exclusive)."""
    kind = trigger.get("Schedule Type", "").strip()
    source = f"{kind} {trigger.get('Start Time', '')} {trigger.get('Days', '')} {trigger.get('Months', '')}".strip()
    if kind.lower().startswith("one time only") and _minutes(trigger.get("Repeat: Every", "")):
        return _repeated_once(trigger, source)
    if kind.lower() in NO_TIME_TYPES or not kind:
        raise Rejection(NO_TIME_SCHEDULE, f"a {kind or 'missing'} trigger has no time schedule: make the flow manual")
    if kind.lower() not in TIMED_TYPES:  # by its name, before its Start Time (N/A for a trigger with none)
        raise Rejection(UNSUPPORTED_INTERVAL, f"a {kind} trigger is not a schedule this tool converts"
                                              f"{UNDEFINED_HINT if kind.lower() == 'undefined' else ''}")
    try:
        at = datetime.strptime(trigger.get("Start Time", "").strip(), "%H:%M:%S")
    except ValueError:
        raise Rejection(INVALID_SYNTAX, f"Start Time {trigger.get('Start Time')!r} is not HH:MM:SS") from None
    days_text, months_text = trigger.get("Days", "").strip(), trigger.get("Months", "").strip()
    if kind.lower() == "daily":
        every = EVERY_N.match(days_text) or EVERY_N.match(months_text)
        if every and int(every[1]) != 1:
            raise Rejection(UNSUPPORTED_INTERVAL, f"every {every[1]} days drifts against the calendar")
        day_pair = ("*", "?")
        month = "*"
    elif kind.lower() == "weekly":
        every = EVERY_N.match(months_text)
        if every and int(every[1]) != 1:
            raise Rejection(UNSUPPORTED_INTERVAL, f"every {every[1]} weeks cannot be written as a flow schedule")
        names = [d.strip().upper()[:3] for d in days_text.split(",") if d.strip()]
        if not names or any(n not in WEEKDAYS for n in names):
            raise Rejection(INVALID_SYNTAX, f"Days {days_text!r} are not day names")
        day_pair = ("?", set_text(frozenset(WEEKDAYS[n] + 1 for n in names), 1, 7))
        month = "*"
    else:  # monthly, the last of TIMED_TYPES
        parts = [d.strip() for d in days_text.split(",") if d.strip()]
        last = [p for p in parts if p.upper() == "LAST"]
        numbers = [p for p in parts if p.upper() != "LAST"]
        if not parts or not all(p.isdigit() and 1 <= int(p) <= 31 for p in numbers):
            raise Rejection(UNSUPPORTED_INTERVAL, f"monthly Days {days_text!r} are not day numbers or Last")
        if last and {int(p) for p in numbers} <= {31}:  # the 31st is always a month's last day: L says both
            dom = "L"
        elif last:
            raise Rejection(UNSUPPORTED_INTERVAL, f"monthly Days {days_text!r}: days of the month and the last day "
                                                  "together, which one flow schedule cannot say (Quartz's L stands "
                                                  "alone)")
        else:
            dom = set_text(frozenset(int(p) for p in numbers), 1, 31)
        day_pair = (dom, "?")
        names = [m.strip().upper()[:3] for m in months_text.split(",") if m.strip()]
        month = "*" if not names or months_text.lower().startswith("every") else set_text(
            frozenset(MONTH_NAMES.index(n) + 1 for n in names if n in MONTH_NAMES), 1, 12)
    step = _read_minutes(trigger, "Repeat: Every")
    if step is None:
        return to_quartz(str(at.second), str(at.minute), str(at.hour), day_pair, month, "*", source)
    if step == 0:
        raise Rejection(INVALID_SYNTAX, "Repeat: Every 0 minutes is no interval")
    lasting, until = _read_minutes(trigger, "Repeat: Until: Duration"), _until(trigger, at)
    if lasting and until is not None and lasting != until:
        raise Rejection(UNSUPPORTED_INTERVAL, f"Repeat: Until: Time ({until} min from the start) and Repeat: Until: "
                                              f"Duration ({lasting} min) disagree: which one stops the repetition is "
                                              "not said")
    duration = lasting or until
    if duration is None:  # no duration and no end time: repeated indefinitely (schtasks lists it "Disabled")
        if kind.lower() != "daily":
            raise Rejection(UNSUPPORTED_INTERVAL, f"a {kind.lower()} trigger repeating every {step} min indefinitely "
                                                  "runs on through the days between its dates")
        if 1440 % step:
            raise Rejection(UNSUPPORTED_INTERVAL, f"repeating every {step} min indefinitely drifts against the days "
                                                  "(the interval does not divide a day)")
        duration = 1440  # each day's repetition runs into the next day's, as a task XML's does
    start = at.hour * 60 + at.minute
    fires = [start + i * step for i in range(max(1, -(-duration // step)))]
    said = "the repetition is taken to stop before its duration ends"
    if fires[-1] >= 1440:
        if kind.lower() == "daily" and duration >= 1440 - step and 1440 % step == 0:
            return from_seconds(step * 60, at, source)  # around the clock, every day
        wrapped = sorted({f % 1440 for f in fires})
        if kind.lower() != "daily" or len(wrapped) != len(fires):
            raise Rejection(UNSUPPORTED_INTERVAL, f"repeating every {step} min for {duration} min from "
                                                  f"{at:%H:%M} runs past midnight into other days")
        # Every day: the runs after midnight are the evening's, and each day has the same times.
        fires = wrapped
        said += "; past midnight, each morning's runs are the evening before's (none on the first morning)"
    hours = frozenset(f // 60 for f in fires)
    minutes = frozenset(f % 60 for f in fires)
    if len(hours) * len(minutes) != len(fires):
        raise Rejection(UNSUPPORTED_INTERVAL, f"repeating every {step} min from {at:%H:%M} is not the same "
                                              "minutes in every hour")
    return to_quartz(str(at.second), set_text(minutes, 0, 59), set_text(hours, 0, 23), day_pair, month, "*",
                     source, [ScheduleWarning("REPEAT_WINDOW", source, f"{len(fires)} runs", said)])
