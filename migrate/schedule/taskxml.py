"""Windows Task Scheduler XML triggers (task schema 1.2-1.6) -> a Quartz `freq`, exactly, or a
rejection with a code.

One rule a trigger kind. `ScheduleByDay`, `ScheduleByWeek` and `ScheduleByMonth` are the triggers
the schtasks CSV prints as Daily, Weekly and Monthly: they are handed to `convert_windows` in
that shape, so both profiles read a trigger the same way (an interval of more than one day or
week refused, a repetition converted or refused there). `ScheduleByMonthDayOfWeek` (the first …
fourth or last weekday of the month) is `d#n` or `dL`, one weekday in one week; a `TimeTrigger`
is one instant (a one-time schedule with its year), or, repeating for ever, an interval counted
from its start.

Times are the trigger's `StartBoundary` wall-clock time; the zone it is read in (an offset in the
boundary, else the machine's) is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from migrate.schedule.cron import to_quartz
from migrate.schedule.intervals import ISO_DURATION, QUARTZ_DOW, from_seconds
from migrate.schedule.legacy import MONTH_NAMES, convert_windows
from migrate.schedule.result import (
    IMPOSSIBLE_DATE,
    INVALID_SYNTAX,
    SUB_MINUTE,
    UNSUPPORTED_INTERVAL,
    Converted,
    Rejection,
    ScheduleWarning,
)

NTH_WEEKDAY_LIST = "NTH_WEEKDAY_LIST"
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True)
class Trigger:
    """A time trigger as the task XML holds it (element names without the namespace)."""

    kind: str  # ScheduleByDay, ScheduleByWeek, ScheduleByMonth, ScheduleByMonthDayOfWeek, TimeTrigger
    start: datetime  # StartBoundary as wall-clock time (no zone)
    interval: int = 1  # DaysInterval or WeeksInterval
    days_of_week: tuple[str, ...] = ()  # Monday, …
    days_of_month: tuple[str, ...] = ()  # "1" … "31", "Last"
    weeks: tuple[str, ...] = ()  # "1" … "4", "Last"
    months: tuple[str, ...] = ()  # January, … (none: every month)
    repeat_every: str = ""  # Repetition/Interval, ISO-8601 (PT15M)
    repeat_for: str = ""  # Repetition/Duration ("" runs indefinitely)


def duration_minutes(text: str, what: str) -> int:
    """An ISO-8601 duration of whole minutes (PT15M, PT1H30M, P1D), as minutes."""
    match = ISO_DURATION.match(text.strip().upper())
    if match is None or text.strip().upper() in ("P", "PT"):
        raise Rejection(INVALID_SYNTAX, f"{what} {text!r} is not an ISO-8601 duration such as PT15M")
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    if parts.get("years") or parts.get("months"):
        raise Rejection(UNSUPPORTED_INTERVAL, f"{what} {text!r} is counted in months or years")
    seconds = (parts.get("weeks", 0) * 7 * 86400 + parts.get("days", 0) * 86400 + parts.get("hours", 0) * 3600
               + parts.get("minutes", 0) * 60 + parts.get("seconds", 0))
    if seconds % 60:
        raise Rejection(SUB_MINUTE if seconds < 60 else UNSUPPORTED_INTERVAL,
                        f"{what} {text!r} is not a whole number of minutes")
    return seconds // 60


def _hours_minutes(minutes: int) -> str:
    """Minutes in the schtasks CSV's words (`1 Hour(s), 30 Minute(s)`), as convert_windows reads them."""
    return f"{minutes // 60} Hour(s), {minutes % 60} Minute(s)"


def _windows_row(trigger: Trigger, kind: str, days: str, months: str) -> dict[str, str]:
    row = {"Schedule Type": kind, "Start Time": f"{trigger.start:%H:%M:%S}", "Days": days, "Months": months}
    if trigger.repeat_every:
        every = duration_minutes(trigger.repeat_every, "Repetition Interval")
        if every == 0:
            raise Rejection(INVALID_SYNTAX, f"Repetition Interval {trigger.repeat_every!r} is zero")
        if trigger.repeat_for:
            lasting = duration_minutes(trigger.repeat_for, "Repetition Duration")
        elif kind == "Daily":
            lasting = 1440  # indefinitely: each day's repetition runs into the next day's
        else:
            raise Rejection(UNSUPPORTED_INTERVAL, f"a {kind.lower()} trigger repeating every {trigger.repeat_every} "
                                                  "indefinitely runs on through the days between its dates")
        row["Repeat: Every"] = _hours_minutes(every)
        row["Repeat: Until: Duration"] = _hours_minutes(lasting)
    return row


def _month_names(trigger: Trigger) -> str:
    unknown = [m for m in trigger.months if m not in MONTHS]
    if unknown:
        raise Rejection(INVALID_SYNTAX, f"Months {unknown} are not month names")
    if not trigger.months or len(set(trigger.months)) == 12:
        return ""
    return ",".join(MONTH_NAMES[MONTHS.index(m)] for m in trigger.months)


def _day_names(trigger: Trigger) -> str:
    unknown = [d for d in trigger.days_of_week if d not in DAY_NAMES]
    if unknown or not trigger.days_of_week:
        raise Rejection(INVALID_SYNTAX, f"DaysOfWeek {list(trigger.days_of_week)} are not day names")
    return ", ".join(d[:3].upper() for d in trigger.days_of_week)


def _month_day_of_week(trigger: Trigger) -> Converted:
    """The n-th (or last) weekday of the month: Quartz says one weekday in one week."""
    days, weeks = sorted(set(trigger.days_of_week)), sorted(set(trigger.weeks))
    if len(days) != 1 or len(weeks) != 1:
        raise Rejection(NTH_WEEKDAY_LIST, f"weeks {weeks} of the month on {days}: a flow schedule names one weekday "
                                          "in one week of the month (d#n or dL); split the task into one a weekday "
                                          "and week")
    _day_names(trigger)
    week = weeks[0]
    if week not in ("1", "2", "3", "4", "Last"):
        raise Rejection(INVALID_SYNTAX, f"Week {week!r} is not 1, 2, 3, 4 or Last")
    weekday = QUARTZ_DOW[DAY_NAMES.index(days[0])]
    dow = f"{weekday}L" if week == "Last" else f"{weekday}#{week}"
    # The times (and a repetition) as a monthly trigger on the 1st has them, the days replaced.
    base = convert_windows(_windows_row(trigger, "Monthly", "1", _month_names(trigger)))
    fields = base.freq.split()
    return to_quartz(fields[0], fields[1], fields[2], ("?", dow), fields[4], fields[6], base.source,
                     [w for w in base.warnings if w.code == "REPEAT_WINDOW"])


def _time_trigger(trigger: Trigger, now: datetime) -> Converted:
    """Once at its start; or, repeating for ever, every interval from its start."""
    at = trigger.start
    source = f"TimeTrigger {at:%Y-%m-%dT%H:%M:%S}"
    if trigger.repeat_every:
        if trigger.repeat_for:
            raise Rejection(UNSUPPORTED_INTERVAL, f"{source} repeating every {trigger.repeat_every} for "
                                                  f"{trigger.repeat_for} runs in one window once; a flow schedule "
                                                  "repeats")
        every = duration_minutes(trigger.repeat_every, "Repetition Interval")
        return from_seconds(every * 60, at, f"{source} every {trigger.repeat_every}")
    if at <= now:
        raise Rejection(IMPOSSIBLE_DATE, f"{source} ran once, at a time that has passed: it never fires again")
    once = ScheduleWarning("ONE_TIME", source, f"{at:%Y-%m-%d %H:%M}", "fires once, on that date (the year is in "
                                                                       "the schedule)")
    return to_quartz(str(at.second), str(at.minute), str(at.hour), (str(at.day), "?"), str(at.month), str(at.year),
                     source, [once])


def convert_trigger(trigger: Trigger, now: datetime) -> Converted:
    """One time trigger as a Quartz schedule, or Rejection with a code. `now` (wall-clock time in
    the trigger's zone) tells a one-time trigger that has passed."""
    if trigger.kind == "TimeTrigger":
        return _time_trigger(trigger, now)
    if trigger.kind == "ScheduleByDay" and trigger.interval == 7:  # every 7 days from its start: its weekday
        weekday = DAY_NAMES[trigger.start.weekday()][:3].upper()  # named here, not by the machine's locale
        return convert_windows(_windows_row(trigger, "Weekly", weekday, "Every 1 week(s)"))
    if trigger.kind == "ScheduleByDay":
        return convert_windows(_windows_row(trigger, "Daily", f"Every {trigger.interval} day(s)", ""))
    if trigger.kind == "ScheduleByWeek":
        return convert_windows(_windows_row(trigger, "Weekly", _day_names(trigger),
                                            f"Every {trigger.interval} week(s)"))
    if trigger.kind == "ScheduleByMonth":
        days = ["Last" if d.strip().lower() == "last" else d.strip() for d in trigger.days_of_month]
        if not days:
            raise Rejection(INVALID_SYNTAX, "ScheduleByMonth names no DaysOfMonth")
        return convert_windows(_windows_row(trigger, "Monthly", ",".join(days), _month_names(trigger)))
    if trigger.kind == "ScheduleByMonthDayOfWeek":
        return _month_day_of_week(trigger)
    raise Rejection(UNSUPPORTED_INTERVAL, f"a {trigger.kind} calendar is not a schedule this tool converts")
