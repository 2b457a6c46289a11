"""Control-M scheduling criteria -> a Quartz `freq` and `cycle`, exactly, or a Rejection with a code.

The days a job is ordered on (its "order dates", each a Control-M working day) come from:
- `DAYS`, days of the month, a comma list of: `ALL`; `n` (1-31; `a-b` is read as the days a to b);
  `Ln`, the n-th day counting back from the month's end (`L1` the last day, `L2` the day before);
  `-n` and `-Ln`, days the job is not ordered on, which win over the positive values and, alone,
  mean every other day (`-L1`: every day but the last). Calendar-relative values (`+n`, `>n`, `<n`,
  `Dn`, `-Dn` and the periodic `DnPi`/`LnPi`) count a calendar's working days and are refused;
- `WEEKDAYS`, days of the week, 0-6 for Sunday-Saturday, `ALL`, `-n` for "not on", `a-b`;
  `Dn`, `Ln`, `>n`, `<n`, `+n` (a week calendar's working days) and `DnWm` are refused;
- `DAYS_AND_OR`: `O` (or `OR`, the default) runs on a day matching either list, `A` on days matching
  both; a missing list counts as `ALL`;
- the month flags `JAN`..`DEC` (`1` ordered that month); none written at all means every month;
- `DATE`, specific dates `MMDD,...`, exclusive with DAYS/WEEKDAYS;
- `DAYSCAL`, `WEEKSCAL`, `CONFCAL` name calendars defined on the Control-M server, not in the
  export: refused with CALENDAR, naming them.
Rule-based calendars and a SMART folder's rules combine such criteria with `union` (OR) and
`intersect` (AND); each DayRule is one Quartz (day-of-month, day-of-week, months) triple, and a
combination with no such triple is refused.

The times come from the working day: it begins at New Day (`new_day`, the Control-M/Server's Day
Time, not in the export) on the calendar day of the order date. The job is ordered then (New Day)
or when a User Daily orders its folder (`order_at`), and starts at the later of that moment and
`TIMEFROM` (compared as minutes into the working day), `FROM_DAYSOFFSET` days later. So with New
Day at 07:00 a Monday job with TIMEFROM 0300 starts on Tuesday at 03:00. A cyclic job (`CYCLIC=1`)
then runs every `INTERVAL` (`00030M`, `00002H`), or at the `CYCLIC_TIMES_SEQUENCE` times, until
`TIMETO` (`>` or none: until the working day ends), counted from each run's start (`IND_CYCLIC`
`S`, or `T` from its target time); counted from each run's end (`E`) the times depend on how long
runs take and are refused, as is an interval sequence that is not one interval repeated.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from migrate.schedule.cron import to_quartz
from migrate.schedule.quartz import listed, set_text
from migrate.schedule.result import (
    DOM_AND_DOW,
    DOM_OR_DOW,
    IMPOSSIBLE_DATE,
    INVALID_SYNTAX,
    UNSUPPORTED_INTERVAL,
    Converted,
    Rejected,
    Rejection,
    ScheduleWarning,
)
from migrate.schedule.timezone import shift_freq

# Rejection codes of this grammar.
CALENDAR = "CALENDAR"  # a calendar of the Control-M server: not in the export, no Quartz form
DAY_RULE = "DAY_RULE"  # a combination of day rules that one Quartz expression cannot say
NEW_DAY = "NEW_DAY"  # the fire times depend on the New Day time (or a User Daily's), which is not known

MONTH_FLAGS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
ALL_MONTHS = frozenset(range(1, 13))
ALL_DAYS = frozenset(range(1, 32))
ALL_WEEKDAYS = frozenset(range(1, 8))  # Quartz: 1 = Sunday
DAY_MINUTES = 24 * 60
WEEK_BLOCKS = {frozenset(range(1 + 7 * n, 8 + 7 * n)): n + 1 for n in range(4)}  # days 1-7: the first …

_NUMBER = re.compile(r"^(\d{1,2})$")
_RANGE = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_NOT = re.compile(r"^-(\d{1,2})$")
_LAST = re.compile(r"^L(\d{1,2})$", re.IGNORECASE)
_NOT_LAST = re.compile(r"^-L(\d{1,2})$", re.IGNORECASE)
# Values that count a calendar's working days: +n, >n, <n, Dn, -Dn, periodic DnPi/LnPi, DnWm.
_CALENDAR_RELATIVE = re.compile(r"^(?:[+<>]\d{1,2}|-?D\d{1,2}|-?[DL]\d{1,2}P\S|-?D\dW\d)$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{2}):?(\d{2})$")
_INTERVAL = re.compile(r"^\+?0*(\d+)([MHD])$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{2})(\d{2})$")


@dataclass(frozen=True)
class Days:
    """A job's (or a rule's) day criteria, as the export writes them."""

    days: str = ""
    weekdays: str = ""
    and_or: str = ""
    months: frozenset[int] = ALL_MONTHS
    dates: str = ""
    calendars: tuple[tuple[str, str], ...] = ()  # (DAYSCAL / WEEKSCAL / CONFCAL, the calendar's name)


@dataclass(frozen=True)
class DayRule:
    """The order dates of a job as one Quartz day triple. `kind` says which part holds them:
    `every` (every day of the months), `dom` (days of the month), `last` (`L` or `L-n`),
    `dow` (days of the week, Quartz numbers) or `nth` (the n-th weekday of the month)."""

    kind: str
    months: frozenset[int] = ALL_MONTHS
    dom: frozenset[int] = frozenset()
    last: int = 0  # `last`: L-last (0 is L, the last day)
    dow: frozenset[int] = frozenset()
    nth: tuple[int, int] = (0, 0)  # `nth`: (Quartz weekday, n)

    def quartz_days(self) -> tuple[str, str]:
        """(day-of-month, day-of-week) as Quartz writes them."""
        if self.kind == "dom":
            return set_text(self.dom, 1, 31), "?"
        if self.kind == "last":
            return ("L" if self.last == 0 else f"L-{self.last}"), "?"
        if self.kind == "dow":
            return "?", set_text(self.dow, 1, 7)
        if self.kind == "nth":
            return "?", f"{self.nth[0]}#{self.nth[1]}"
        return "*", "?"

    def text(self) -> str:
        dom, dow = self.quartz_days()
        return f"{dom} {set_text(self.months, 1, 12)} {dow}"

    def every_day(self) -> bool:
        return self.kind == "every" and self.months == ALL_MONTHS

    def same_days(self, other: DayRule) -> bool:
        return (self.kind, self.dom, self.last, self.dow, self.nth) == (
            other.kind, other.dom, other.last, other.dow, other.nth)


def _days_of_month(months: frozenset[int], days: frozenset[int]) -> DayRule:
    """Days of the month in their one normal form: all 31 are `every`."""
    return DayRule("every", months) if days == ALL_DAYS else DayRule("dom", months, dom=days)


def _days_of_week(months: frozenset[int], days: frozenset[int]) -> DayRule:
    return DayRule("every", months) if days == ALL_WEEKDAYS else DayRule("dow", months, dow=days)


_MONTH_SIDE, _WEEK_SIDE = {"dom", "last"}, {"dow", "nth"}


def _pair_code(a: DayRule, b: DayRule, mixed: str) -> str:
    """`mixed` (DOM_OR_DOW, DOM_AND_DOW) for a day-of-month rule with a day-of-week one, else DAY_RULE."""
    return mixed if {a.kind, b.kind} & _MONTH_SIDE and {a.kind, b.kind} & _WEEK_SIDE else DAY_RULE


EVERY_DAY = DayRule("every")


def union(a: DayRule, b: DayRule) -> DayRule:
    """The days of either rule (Control-M's OR), or a Rejection when no one triple says them."""
    if a == b:
        return a
    if a.same_days(b):
        return DayRule(a.kind, a.months | b.months, a.dom, a.last, a.dow, a.nth)
    for wide, narrow in ((a, b), (b, a)):
        if wide.kind == "every" and narrow.months <= wide.months:
            return wide
    if a.months == b.months and a.kind == b.kind == "dom":
        return _days_of_month(a.months, a.dom | b.dom)
    if a.months == b.months and a.kind == b.kind == "dow":
        return _days_of_week(a.months, a.dow | b.dow)
    raise Rejection(_pair_code(a, b, DOM_OR_DOW), f"runs on the days of {a.text()} OR of {b.text()} (day-of-month "
                                                  "month day-of-week); one Quartz expression cannot say OR")


def intersect(a: DayRule, b: DayRule) -> DayRule:
    """The days of both rules (Control-M's AND), or a Rejection when no one triple says them."""
    months = a.months & b.months
    if not months:
        raise Rejection(IMPOSSIBLE_DATE, f"{a.text()} AND {b.text()} share no month: never ordered")
    for one, other in ((a, b), (b, a)):
        if one.kind == "every":
            return DayRule(other.kind, months, other.dom, other.last, other.dow, other.nth)
    if a.same_days(b):
        return DayRule(a.kind, months, a.dom, a.last, a.dow, a.nth)
    if a.kind == b.kind == "dom":
        if not a.dom & b.dom:
            raise Rejection(IMPOSSIBLE_DATE, f"{a.text()} AND {b.text()} share no day: never ordered")
        return _days_of_month(months, a.dom & b.dom)
    if a.kind == b.kind == "dow":
        if not a.dow & b.dow:
            raise Rejection(IMPOSSIBLE_DATE, f"{a.text()} AND {b.text()} share no weekday: never ordered")
        return _days_of_week(months, a.dow & b.dow)
    for one, other in ((a, b), (b, a)):
        if one.kind == "dom" and other.kind == "dow" and len(other.dow) == 1 and one.dom in WEEK_BLOCKS:
            return DayRule("nth", months, nth=(next(iter(other.dow)), WEEK_BLOCKS[one.dom]))
        if one.kind == "nth" and other.kind == "dow" and one.nth[0] in other.dow:
            return DayRule("nth", months, nth=one.nth)
    raise Rejection(_pair_code(a, b, DOM_AND_DOW), f"runs only on days of {a.text()} AND of {b.text()} (day-of-month "
                                                   "month day-of-week); Quartz can say one or the other, not both")


def _blank_none(text: str) -> str:
    """A list as written, with the Automation API's `NONE` (no days) as blank."""
    stripped = text.strip()
    return "" if stripped.upper() == "NONE" else stripped


def _tokens(text: str) -> list[str]:
    return [token.strip() for token in text.split(",") if token.strip()]


def _number(text: str, low: int, high: int, what: str, token: str) -> int:
    value = int(text)
    if not low <= value <= high:
        raise Rejection(INVALID_SYNTAX, f"{what} {token!r}: {value} is not {low}-{high}")
    return value


def _calendar_relative(token: str, attribute: str, calendar: str) -> Rejection:
    return Rejection(INVALID_SYNTAX, f"{attribute} {token!r} counts the working days of a {calendar} calendar "
                                     f"(+n, >n, <n, Dn, Ln of weeks, DnPi, DnWm), and the job names none")


def _month_days(text: str) -> DayRule | None:
    """DAYS as a DayRule of kind dom/last/every (months left to the caller), None when blank."""
    tokens = _tokens(_blank_none(text))
    if not tokens:
        return None
    every, fixed, last, not_fixed, not_last = False, set(), set(), set(), set()
    for token in tokens:
        if token.upper() == "ALL":
            every = True
        elif match := _NUMBER.match(token):
            fixed.add(_number(match[1], 1, 31, "DAYS", token))
        elif match := _RANGE.match(token):
            first, end = _number(match[1], 1, 31, "DAYS", token), _number(match[2], 1, 31, "DAYS", token)
            if first > end:
                raise Rejection(INVALID_SYNTAX, f"DAYS {token!r} is a backwards range")
            fixed.update(range(first, end + 1))
        elif match := _NOT.match(token):
            not_fixed.add(_number(match[1], 1, 31, "DAYS", token))
        elif match := _LAST.match(token):
            last.add(_number(match[1], 1, 31, "DAYS", token))
        elif match := _NOT_LAST.match(token):
            not_last.add(_number(match[1], 1, 31, "DAYS", token))
        elif _CALENDAR_RELATIVE.match(token):
            raise _calendar_relative(token, "DAYS", "DAYSCAL")
        else:
            raise Rejection(INVALID_SYNTAX, f"DAYS {token!r} is not a day of the month (ALL, n, -n, Ln, -Ln)")
    if every or (not fixed and not last):  # ALL, or only days not to run on: every other day
        fixed, every = set(ALL_DAYS), True
    if fixed and last and not every:
        raise Rejection(DAY_RULE, f"DAYS={text} mixes days ({listed(frozenset(fixed))}) with days "
                                  f"counted from the month's end ({', '.join(f'L{n}' for n in sorted(last))}): "
                                  "Quartz cannot list both")
    if last and not every:
        last -= not_last
        for day in not_fixed:  # a day number that is one of the last days in some month only
            if any(length - n + 1 == day for n in last for length in (28, 29, 30, 31)):
                raise Rejection(DAY_RULE, f"DAYS={text}: -{day} falls on one of {sorted(last)} counted from the "
                                          "end in some months only: Quartz cannot say that")
        if not last:
            raise Rejection(IMPOSSIBLE_DATE, f"DAYS={text} leaves no day: never ordered")
        if len(last) > 1:
            raise Rejection(DAY_RULE, f"DAYS={text}: several days counted from the month's end "
                                      f"({', '.join(f'L{n}' for n in sorted(last))}); Quartz takes one (L or L-n)")
        return DayRule("last", last=next(iter(last)) - 1)
    days = set(fixed) - not_fixed
    for n in not_last:  # the n-th last day: a different date in months of different lengths
        if any(length - n + 1 in days for length in (28, 29, 30, 31)):
            raise Rejection(DAY_RULE, f"DAYS={text}: -L{n} is a different date in months of different lengths: "
                                      "Quartz cannot leave it out")
    if not days:
        raise Rejection(IMPOSSIBLE_DATE, f"DAYS={text} leaves no day: never ordered")
    return _days_of_month(ALL_MONTHS, frozenset(days))


def _week_days(text: str) -> DayRule | None:
    """WEEKDAYS (0-6 = Sunday-Saturday) as a DayRule of kind dow/every, None when blank."""
    tokens = _tokens(_blank_none(text))
    if not tokens:
        return None
    every, chosen, not_chosen = False, set(), set()
    for token in tokens:
        if token.upper() == "ALL":
            every = True
        elif (match := _NUMBER.match(token)) and len(token) == 1:
            chosen.add(_number(match[1], 0, 6, "WEEKDAYS", token))
        elif match := _RANGE.match(token):
            first, end = _number(match[1], 0, 6, "WEEKDAYS", token), _number(match[2], 0, 6, "WEEKDAYS", token)
            if first > end:
                raise Rejection(INVALID_SYNTAX, f"WEEKDAYS {token!r} is a backwards range")
            chosen.update(range(first, end + 1))
        elif (match := _NOT.match(token)) and len(token) == 2:
            not_chosen.add(_number(match[1], 0, 6, "WEEKDAYS", token))
        elif _CALENDAR_RELATIVE.match(token) or _LAST.match(token) or _NOT_LAST.match(token):
            raise _calendar_relative(token, "WEEKDAYS", "WEEKSCAL")
        else:
            raise Rejection(INVALID_SYNTAX, f"WEEKDAYS {token!r} is not a day of the week (ALL, 0-6 for "
                                            "Sunday-Saturday, -n)")
    if every or not chosen:
        chosen = set(range(7))
    days = chosen - not_chosen
    if not days:
        raise Rejection(IMPOSSIBLE_DATE, f"WEEKDAYS={text} leaves no day: never ordered")
    return _days_of_week(ALL_MONTHS, frozenset(day + 1 for day in days))


def _specific_dates(text: str) -> DayRule:
    """DATE (`MMDD,...`): the dates of a year, exact when they are some days in some months."""
    dates: set[tuple[int, int]] = set()
    for token in _tokens(text):
        match = _DATE.match(token)
        if not match:
            raise Rejection(INVALID_SYNTAX, f"DATE {token!r} is not MMDD")
        month, day = _number(match[1], 1, 12, "DATE month", token), _number(match[2], 1, 31, "DATE day", token)
        dates.add((month, day))
    months = frozenset(m for m, _ in dates)
    days = frozenset(d for _, d in dates)
    if len(months) * len(days) != len(dates):
        raise Rejection(DAY_RULE, f"DATE={text}: not the same days in every month listed; one Quartz expression "
                                  "has one set of days for all its months")
    return _days_of_month(months, days)


@functools.lru_cache(maxsize=4096)  # an export repeats a few criteria over thousands of jobs
def day_rules(criteria: Days, split_or: bool = False) -> tuple[DayRule, ...]:
    """The order dates of one set of criteria: one rule; two when `split_or` and a day-of-month OR
    day-of-week list cannot be one (each then a flow of its own, a day matching both running
    twice); none when no criteria are written. Rejection when Quartz cannot say them."""
    if criteria.calendars:
        named = ", ".join(f"{attribute}={name}" for attribute, name in criteria.calendars)
        raise Rejection(CALENDAR, f"ordered by the calendar {named}, whose dates are kept on the Control-M server, "
                                  "not in the export: a flow's schedule cannot follow a calendar; rewrite it as days "
                                  "and months, or keep the job in Control-M")
    if not criteria.months:
        raise Rejection(IMPOSSIBLE_DATE, "no month flag (JAN..DEC) is set: never ordered")
    if criteria.dates.strip():
        if _blank_none(criteria.days) or _blank_none(criteria.weekdays):
            raise Rejection(INVALID_SYNTAX, f"DATE={criteria.dates} is given with DAYS or WEEKDAYS; Control-M takes "
                                            "specific dates alone")
        return (intersect(_specific_dates(criteria.dates), DayRule("every", criteria.months)),)
    month_days, week_days = _month_days(criteria.days), _week_days(criteria.weekdays)
    if month_days is None and week_days is None:
        return ()
    months = DayRule("every", criteria.months)
    both = criteria.and_or.strip().upper() in ("A", "AND")
    if month_days is None or week_days is None:
        only = month_days or week_days
        assert only is not None
        return (intersect(only, months),)
    if both:
        return (intersect(intersect(month_days, week_days), months),)
    try:
        return (intersect(union(month_days, week_days), months),)
    except Rejection as rejection:
        if not split_or or rejection.code != DOM_OR_DOW:
            raise
        return intersect(month_days, months), intersect(week_days, months)


# -- the times of a working day ------------------------------------------------------------------

@dataclass(frozen=True)
class Timing:
    """A job's time criteria, as the export writes them."""

    time_from: str = ""
    time_to: str = ""
    from_days: str = ""  # FROM_DAYSOFFSET
    to_days: str = ""  # TO_DAYSOFFSET
    cyclic: bool = False
    cyclic_type: str = ""  # C interval, V interval sequence, S specific times
    interval: str = ""
    interval_sequence: str = ""
    times_sequence: str = ""
    cyclic_from: str = ""  # IND_CYCLIC: S start, E end, T target
    tolerance: str = ""

    def source(self) -> str:
        parts = [f"TIMEFROM={self.time_from}"] if self.time_from.strip() else []
        parts += [f"TIMETO={self.time_to}"] if self.time_to.strip() else []
        if self.cyclic:
            kind = self.cyclic_type.strip().upper() or "C"
            what = {"V": f"CYCLIC_INTERVAL_SEQUENCE={self.interval_sequence}",
                    "S": f"CYCLIC_TIMES_SEQUENCE={self.times_sequence}"}.get(kind, f"INTERVAL={self.interval}")
            parts.append(f"CYCLIC {what}")
        return " ".join(parts)


@dataclass(frozen=True)
class Ordering:
    """When the job's folder is ordered: New Day (`new_day`, minutes after midnight; None when not
    known) or a User Daily at `order_at` (None when not known), named by `by`."""

    new_day: int | None = None
    order_at: int | None = None
    by: str = "New Day"
    user_daily: bool = False


@dataclass(frozen=True)
class _Fires:
    """Fire times of one order date: (days after the order date's calendar day, minute of day)."""

    times: frozenset[tuple[int, int]]
    warnings: list[ScheduleWarning] = field(default_factory=list)


def clock_minutes(text: str, what: str) -> int:
    """`HHMM` (or `HH:MM`) as minutes after midnight."""
    match = _CLOCK.match(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise Rejection(INVALID_SYNTAX, f"{what} {text!r} is not a time HHMM")
    return int(match[1]) * 60 + int(match[2])


def _interval_minutes(text: str, what: str) -> int:
    match = _INTERVAL.match(text.strip())
    if not match or int(match[1]) == 0:
        raise Rejection(INVALID_SYNTAX, f"{what} {text!r} is not an interval (00030M, 00002H)")
    unit = match[2].upper()
    if unit == "D":
        raise Rejection(UNSUPPORTED_INTERVAL, f"{what} {text!r} repeats every {int(match[1])} day(s): a rerun a day "
                                              "later belongs to another working day, which the flow's own schedule "
                                              "fires anyway")
    return int(match[1]) * (60 if unit == "H" else 1)


def _days_offset(text: str, what: str) -> int:
    stripped = text.strip()
    if not stripped:
        return 0
    if not re.fullmatch(r"\+?\d{1,3}", stripped):
        raise Rejection(INVALID_SYNTAX, f"{what} {text!r} is not a number of days")
    return int(stripped)


def _need_new_day(ordering: Ordering, why: str) -> int:
    if ordering.new_day is None:
        raise Rejection(NEW_DAY, f"{why}, and the New Day time (the Control-M/Server's Day Time) is not in the "
                                 "export: set [source] options = { new_day = \"HHMM\" }")
    return ordering.new_day


def _fires(timing: Timing, ordering: Ordering, every_day: bool) -> _Fires:
    """The fire times of one order date, relative to its calendar day."""
    start_at = clock_minutes(timing.time_from, "TIMEFROM") if timing.time_from.strip() else None
    until = timing.time_to.strip()
    end_at = None if until in ("", ">") else clock_minutes(until, "TIMETO")
    from_days = _days_offset(timing.from_days, "FROM_DAYSOFFSET")
    warnings: list[ScheduleWarning] = []
    if ordering.user_daily and ordering.order_at is None:
        raise Rejection(NEW_DAY, f"the folder is ordered by {ordering.by}, at a time not in the export: set "
                                 "[source] options = { user_dailies = \"NAME=HHMM\" }")
    if not timing.cyclic and start_at is not None and every_day and not ordering.user_daily:
        # Ordered at New Day, every day: whatever New Day's time, it starts at TIMEFROM each day.
        return _Fires(frozenset({(0, start_at)}), warnings)
    why = ("it has no TIMEFROM: it starts when its folder is ordered" if start_at is None else
           "its days are restricted and TIMEFROM is a time of the Control-M working day, which begins at New Day"
           if not every_day else "its fire times are counted in the Control-M working day")
    new_day = _need_new_day(ordering, why)
    order_offset = (ordering.order_at - new_day) % DAY_MINUTES if ordering.order_at is not None else 0
    start = max(order_offset, (start_at - new_day) % DAY_MINUTES if start_at is not None else order_offset)
    offsets = [start]
    if timing.cyclic:
        end = DAY_MINUTES - 1 if end_at is None else (end_at - new_day) % DAY_MINUTES
        if _days_offset(timing.to_days, "TO_DAYSOFFSET"):
            raise Rejection(UNSUPPORTED_INTERVAL, f"the cyclic window ends {timing.to_days} day(s) after the order "
                                                  "date: the runs of two working days overlap")
        if end < start:
            raise Rejection(UNSUPPORTED_INTERVAL, f"the cyclic window ends ({until}) before the job starts in the "
                                                  "working day: it would run once at most")
        offsets = _cyclic_offsets(timing, start, end, new_day, warnings)
    times = frozenset(divmod(new_day + offset + from_days * DAY_MINUTES, DAY_MINUTES) for offset in offsets)
    return _Fires(times, warnings)


def _cyclic_offsets(timing: Timing, start: int, end: int, new_day: int, warnings: list[ScheduleWarning]) -> list[int]:
    """The runs of a cyclic job, as minutes into the working day, from `start` to `end`."""
    kind = timing.cyclic_type.strip().upper() or "C"
    counted_from = timing.cyclic_from.strip().upper() or "S"
    if kind == "S":
        times = [clock_minutes(t, "CYCLIC_TIMES_SEQUENCE") for t in _tokens(timing.times_sequence)]
        if not times:
            raise Rejection(INVALID_SYNTAX, "CYCLIC_TYPE S (specific times) with no CYCLIC_TIMES_SEQUENCE")
        offsets = sorted({(t - new_day) % DAY_MINUTES for t in times})
        outside = [t for t in times if not start <= (t - new_day) % DAY_MINUTES <= end]
        if outside:
            listed = ", ".join(f"{t // 60:02d}{t % 60:02d}" for t in outside)
            raise Rejection(UNSUPPORTED_INTERVAL, f"CYCLIC_TIMES_SEQUENCE {listed}: outside the job's window (its "
                                                  "start to TIMETO in the working day)")
        if _days_offset(timing.tolerance, "CYCLIC_TOLERANCE"):
            warnings.append(ScheduleWarning("CYCLIC_TOLERANCE", f"CYCLIC_TOLERANCE={timing.tolerance}", "",
                                            "a listed time missed by up to this many minutes still ran late in "
                                            "Control-M; the service runs each time once, on time"))
        return offsets
    if counted_from == "E":
        raise Rejection(UNSUPPORTED_INTERVAL, "the interval is counted from the end of each run (IND_CYCLIC=E): the "
                                              "times depend on how long each run takes")
    if kind == "V":
        steps = {_interval_minutes(t, "CYCLIC_INTERVAL_SEQUENCE") for t in _tokens(timing.interval_sequence)}
        if len(steps) != 1:
            raise Rejection(UNSUPPORTED_INTERVAL, f"CYCLIC_INTERVAL_SEQUENCE={timing.interval_sequence} waits "
                                                  "different intervals between runs: not one Quartz expression")
        step = steps.pop()
    elif kind == "C":
        step = _interval_minutes(timing.interval, "INTERVAL")
    else:
        raise Rejection(INVALID_SYNTAX, f"CYCLIC_TYPE {timing.cyclic_type!r} is not C, V or S")
    if counted_from == "S":
        warnings.append(ScheduleWarning(
            "CYCLIC_FROM_START", f"IND_CYCLIC={timing.cyclic_from or 'S'}", "",
            "Control-M counted each interval from the previous run's start, so a run longer than the interval "
            "pushed the next one back; the service fires on the fixed times"))
    return list(range(start, end + 1, step))


def _odd_hours(times: frozenset[int]) -> str:
    """The minutes of the runs hour by hour, hours alike taken together (`08-17 at :00/:30, 18 at
    :00`): where they differ, which the first runs shown may not reach (the window's end)."""
    by_hour: dict[int, tuple[int, ...]] = {}
    for t in sorted(times):
        by_hour[t // 60] = (*by_hour.get(t // 60, ()), t % 60)
    groups: list[tuple[int, int, tuple[int, ...]]] = []
    for hour, minutes in by_hour.items():
        if groups and groups[-1][2] == minutes and groups[-1][1] == hour - 1:
            groups[-1] = (groups[-1][0], hour, minutes)
        else:
            groups.append((hour, hour, minutes))
    said = [f"{first:02d}{f'-{last:02d}' if last != first else ''} at :{'/:'.join(f'{m:02d}' for m in minutes)}"
            for first, last, minutes in groups]
    return ", ".join(said[:8]) + (" …" if len(said) > 8 else "")


def _quartz_of(times: frozenset[int], rule: DayRule, source: str, warnings: list[ScheduleWarning]) -> Converted:
    hours = frozenset(t // 60 for t in times)
    minutes = frozenset(t % 60 for t in times)
    if len(hours) * len(minutes) != len(times):
        shown = ", ".join(f"{t // 60:02d}:{t % 60:02d}" for t in sorted(times)[:6])
        raise Rejection(UNSUPPORTED_INTERVAL, f"the runs ({shown}{', …' if len(times) > 6 else ''}) are not the "
                                              f"same minutes in every hour they fall in ({_odd_hours(times)}): not "
                                              "one Quartz expression; a window of whole hours (TIMEFROM and TIMETO "
                                              "that keep every hour's runs alike) makes one")
    return to_quartz("0", set_text(minutes, 0, 59), set_text(hours, 0, 23), rule.quartz_days(),
                     set_text(rule.months, 1, 12), "*", source, warnings)


@functools.lru_cache(maxsize=4096)
def convert_controlm(rule: DayRule, timing: Timing, ordering: Ordering, source: str = "") -> Converted:
    """The Quartz schedule of a job ordered on `rule`'s days, run by `timing`: exact, or a Rejection."""
    source = source or f"{rule.text()} {timing.source()}".strip()
    fires = _fires(timing, ordering, rule.every_day())
    # Every day, a run past midnight falls on a day that is ordered too: the days need not move.
    shifts = {0} if rule.every_day() else {days for days, _ in fires.times}
    if len(shifts) > 1:
        raise Rejection(NEW_DAY, "some runs fall after midnight, on the calendar day after their order date, and "
                                 "the job is ordered on some days only: one Quartz expression has one set of days")
    times = frozenset(minute for _, minute in fires.times)
    converted = _quartz_of(times, rule, source, fires.warnings)
    moved = shifts.pop()
    if not moved:
        return converted
    shifted = shift_freq(converted.freq, moved * DAY_MINUTES)
    if isinstance(shifted, Rejected):
        raise Rejection(DAY_RULE, f"it runs {moved} day(s) after its order date (New Day, TIMEFROM, "
                                  f"FROM_DAYSOFFSET), and {shifted.message}")
    note = ScheduleWarning("ORDER_DATE_SHIFT", source, shifted.freq,
                           f"runs {moved} calendar day(s) after the day it is ordered for (its time is before New Day "
                           "or FROM_DAYSOFFSET moves it): the days are moved with it")
    return Converted(shifted.freq, shifted.cycle, source, (*converted.warnings, note))


def months_of(flags: dict[str, str]) -> frozenset[int]:
    """The month flags of an element (`JAN="1"`…); none written at all: every month."""
    written = [flags.get(name) for name in MONTH_FLAGS]
    if all(flag is None for flag in written) or all(flag == "1" for flag in written):  # the usual cases, quickly
        return ALL_MONTHS
    return frozenset(i for i, flag in enumerate(written, 1) if (flag or "").strip() == "1")

