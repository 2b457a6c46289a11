"""Quartz 7-field cron: a validator and a next-fire-time evaluator for the subset we emit and accept.

The subset: numbers, names, `*`, ranges (wrapping ones too), steps, lists, `?`, and the
day specials `L`, `L-n`, `LW`, `L-nW`, `nW` (day of month) and `dL`, `d#n` (day of week),
plus years. It follows Quartz's `CronExpression` (see reference/cron-semantics.md §1) and is
stricter where Quartz silently does something surprising:

* a step after a name range (`SUN-SAT/2`) is rejected, since Quartz ignores the step;
* a bare `L` or `L-n` in day-of-week is rejected, since Quartz reads them as Saturday;
* a step on a wrapping range (`22-2/2`) is rejected, since its meaning is not documented;
* explicit years outside 1970-2099 are rejected (cron-utils' bound; Quartz never fires them);
* `L-nW` with n >= 28 is rejected: Quartz 2.3.2 accepts it, but its next-fire search never
  returns once L-n falls before the 1st (tests/oracle/README.md).

It refuses what Quartz 2.3.2 refuses (checked against it by `make oracle`): a range mixing a name
and a number (`MON-2`), a year range that runs backwards (`2027-2025`). The evaluator follows
Quartz's behaviour where it differs from its documentation: `nW` for a day the month does not
have fires on the month's last day when that day + 1 would be a Saturday (a lenient calendar).

`QuartzSchedule.canonical` is the canonical form the converters emit: every field written from
its set (`*`, `a/n`, `a-b/n`, `a-b`, or a list), days of the week as numbers (1 = Sunday),
every day as `* ?`, and the year as `*` when it is not restricted.
"""

from __future__ import annotations

import calendar
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
# Quartz numbers days of the week 1..7 from Sunday.
DAY_NAMES = {
    name: number
    for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)
}
YEAR_MIN, YEAR_MAX = 1970, 2099
# How far ahead the evaluator searches when the year field is `*` (Quartz: now + 100 years).
SEARCH_YEARS = 100

FIELD_NAMES = ("seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year")


class QuartzError(ValueError):
    """A Quartz expression that is not valid, with the field and the reason."""

    def __init__(self, expression: str, field: str | None, reason: str) -> None:
        self.expression = expression
        self.field = field
        self.reason = reason
        where = f" in {field}" if field else ""
        super().__init__(f"invalid Quartz expression {expression!r}{where}: {reason}")


@dataclass(frozen=True)
class DayOfMonth:
    """The day-of-month field. `any_day` is `?`; otherwise exactly one kind of rule is set."""

    any_day: bool = False
    days: frozenset[int] = frozenset()
    last_offset: int | None = None  # `L` (0) or `L-n` (n)
    last_weekday: bool = False  # with last_offset: `LW` / `L-nW`
    nearest_weekday: int | None = None  # `nW`


@dataclass(frozen=True)
class DayOfWeek:
    """The day-of-week field (1 = Sunday). `any_day` is `?`."""

    any_day: bool = False
    days: frozenset[int] = frozenset()
    nth: tuple[int, int] | None = None  # `d#n`: (day, n)
    last_of: int | None = None  # `dL`


@dataclass(frozen=True)
class QuartzSchedule:
    """A parsed Quartz expression; `text` is its canonical 7-field, upper-case form."""

    text: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: DayOfMonth
    months: frozenset[int]
    day_of_week: DayOfWeek
    years: frozenset[int] | None  # None: every year

    @functools.cached_property
    def canonical(self) -> str:
        """The same schedule written field by field from its sets (see the module's docstring)."""
        return _canonical_text(self)

    def fire_times(self, after: datetime) -> Iterator[datetime]:
        """Yield every fire time strictly after `after` (naive datetimes), in order."""
        return _fire_times(self, after)


_TERM = re.compile(r"^(?P<start>\*|[0-9]+|[A-Z]{3})(?:-(?P<end>[0-9]+|[A-Z]{3}))?(?:/(?P<step>[0-9]+))?$")


def _value(token: str, lo: int, hi: int, names: dict[str, int] | None, expr: str, field: str) -> int:
    if token.isdigit():
        number = int(token)
    elif names is not None and token in names:
        number = names[token]
    else:
        raise QuartzError(expr, field, f"{token!r} is not a valid value")
    if not lo <= number <= hi:
        raise QuartzError(expr, field, f"{number} is out of range {lo}-{hi}")
    return number


def _parse_set(
    text: str, lo: int, hi: int, expr: str, field: str, names: dict[str, int] | None = None
) -> frozenset[int]:
    try:
        return _cached_set(text, lo, hi, field, "month" if names is MONTH_NAMES else "day" if names else None)
    except QuartzError as error:
        raise QuartzError(expr, field, error.reason) from None


@functools.lru_cache(maxsize=4096)  # fields repeat across expressions far more than whole ones
def _cached_set(text: str, lo: int, hi: int, field: str, names_key: str | None) -> frozenset[int]:
    names = MONTH_NAMES if names_key == "month" else DAY_NAMES if names_key == "day" else None
    expr = text
    values: set[int] = set()
    for term in text.split(","):
        match = _TERM.match(term)
        if match is None:
            raise QuartzError(expr, field, f"{term!r} is not a value, range, step or list")
        start, end, step_text = match["start"], match["end"], match["step"]
        step = 1
        if step_text is not None:
            step = int(step_text)
            if step < 1 or step > hi:
                raise QuartzError(expr, field, f"step {step} must be between 1 and {hi}")
            if not (start.isdigit() or start == "*") or (end is not None and not end.isdigit()):
                raise QuartzError(expr, field, f"{term!r}: Quartz ignores a step after a name")
        if end is not None and start != "*" and start.isdigit() != end.isdigit():
            raise QuartzError(expr, field, f"{term!r}: Quartz refuses a range mixing a name and a number")
        if start == "*":
            if end is not None:
                raise QuartzError(expr, field, f"{term!r}: '*' cannot start a range")
            first, last = lo, hi
        else:
            first = _value(start, lo, hi, names, expr, field)
            if end is not None:
                last = _value(end, lo, hi, names, expr, field)
            else:
                # `a/n` runs from a to the field's maximum and never wraps.
                last = hi if step_text is not None else first
        if first <= last:
            values.update(range(first, last + 1, step))
        elif field == "year":
            raise QuartzError(expr, field, f"{term!r}: a year range must not run backwards (Quartz refuses it)")
        elif step_text is not None:
            raise QuartzError(expr, field, f"{term!r}: a step on a wrapping range is not supported")
        else:
            values.update(range(first, hi + 1))
            values.update(range(lo, last + 1))
    return frozenset(values)


_LAST_DOM = re.compile(r"^L(?:-(?P<offset>[0-9]+))?(?P<weekday>W)?$")
_NEAREST_DOM = re.compile(r"^(?P<day>[0-9]+)W$")
_NTH_DOW = re.compile(r"^(?P<day>[0-9]|[A-Z]{3})#(?P<n>[0-9]+)$")
_LAST_DOW = re.compile(r"^(?P<day>[0-9]|[A-Z]{3})L$")


def _parse_day_of_month(text: str, expr: str) -> DayOfMonth:
    field = "day-of-month"
    if text == "?":
        return DayOfMonth(any_day=True)
    if match := _LAST_DOM.match(text):
        offset = int(match["offset"] or 0)
        if offset > 30:
            raise QuartzError(expr, field, f"L-{offset}: the offset must be at most 30")
        if match["weekday"] and offset >= 28:
            # L-28 falls before the 1st in a 28-day February; Quartz's search then never returns.
            raise QuartzError(expr, field, f"L-{offset}W: the offset of L-nW must be below 28 (Quartz's search "
                                           "for its next fire time never returns)")
        return DayOfMonth(last_offset=offset, last_weekday=bool(match["weekday"]))
    if match := _NEAREST_DOM.match(text):
        day = int(match["day"])
        if not 1 <= day <= 31:
            raise QuartzError(expr, field, f"{day}W: the day must be between 1 and 31")
        return DayOfMonth(nearest_weekday=day)
    if "L" in text or "W" in text:
        raise QuartzError(expr, field, f"{text!r}: L and W must stand alone (L, L-n, LW, nW)")
    return DayOfMonth(days=_parse_set(text, 1, 31, expr, field))


def _parse_day_of_week(text: str, expr: str) -> DayOfWeek:
    field = "day-of-week"
    if text == "?":
        return DayOfWeek(any_day=True)
    if match := _NTH_DOW.match(text):
        day = _value(match["day"], 1, 7, DAY_NAMES, expr, field)
        n = int(match["n"])
        if not 1 <= n <= 5:
            raise QuartzError(expr, field, f"{text!r}: the n of d#n must be between 1 and 5")
        return DayOfWeek(nth=(day, n))
    if match := _LAST_DOW.match(text):
        return DayOfWeek(last_of=_value(match["day"], 1, 7, DAY_NAMES, expr, field))
    if "#" in text or "L" in text:  # no day name contains an L
        if text.startswith("L"):
            raise QuartzError(expr, field, f"{text!r}: Quartz reads a bare L here as Saturday; write 7 or SAT")
        raise QuartzError(expr, field, f"{text!r}: # and L take one day and stand alone (d#n, dL)")
    return DayOfWeek(days=_parse_set(text, 1, 7, expr, field, DAY_NAMES))


@functools.lru_cache(maxsize=4096)  # exports repeat a few schedules many times
def parse_quartz(expression: str) -> QuartzSchedule:
    """Parse and validate a 6- or 7-field Quartz expression; raise QuartzError if it is invalid."""
    if not isinstance(expression, str):
        raise QuartzError(repr(expression), None, "not a string")
    parts = expression.upper().split()
    if len(parts) not in (6, 7):
        raise QuartzError(expression, None, f"has {len(parts)} fields; Quartz takes 6 or 7")
    if len(parts) == 6:
        parts.append("*")
    sec, minute, hour, dom, month, dow, year = parts
    for name, text in zip(FIELD_NAMES, parts, strict=True):
        if "?" in text and name not in ("day-of-month", "day-of-week"):
            raise QuartzError(expression, name, "'?' is only allowed in day-of-month or day-of-week")
        if "?" in text and text != "?":
            raise QuartzError(expression, name, "'?' must stand alone")
    if (dom == "?") == (dow == "?"):
        raise QuartzError(
            expression,
            None,
            "exactly one of day-of-month and day-of-week must be '?'",
        )
    years = None if year == "*" else _parse_set(year, YEAR_MIN, YEAR_MAX, expression, "year")
    return QuartzSchedule(
        text=" ".join(parts),
        seconds=_parse_set(sec, 0, 59, expression, "seconds"),
        minutes=_parse_set(minute, 0, 59, expression, "minutes"),
        hours=_parse_set(hour, 0, 23, expression, "hours"),
        day_of_month=_parse_day_of_month(dom, expression),
        months=_parse_set(month, 1, 12, expression, "month", MONTH_NAMES),
        day_of_week=_parse_day_of_week(dow, expression),
        years=years,
    )


def is_valid_quartz(expression: str) -> bool:
    try:
        parse_quartz(expression)
    except QuartzError:
        return False
    return True


def _quartz_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday is 0 in Python and 2 in Quartz


def _nearest_weekday(year: int, month: int, day: int, month_length: int) -> int:
    """The weekday nearest `day` without leaving the month (Quartz's `W`)."""
    weekday = _quartz_weekday(date(year, month, day))
    if weekday == 7:  # Saturday: Friday before, or Monday after on the 1st
        return day + 2 if day == 1 else day - 1
    if weekday == 1:  # Sunday: Monday after, or Friday before on the last day
        return day - 2 if day == month_length else day + 1
    return day


def _nearest_weekday_past_the_end(year: int, month: int, day: int, month_length: int) -> list[int]:
    """Quartz 2.3.2 on `nW` for a day the month does not have (30W in February): its lenient
    calendar reads day n as a day of the next month and takes that day's weekday; a Saturday
    moves it back one day, which is a fire on the month's last day only when n is one past the
    end; any other weekday leaves it past the end, and the month has no fire."""
    overflow = date(year, month, month_length) + timedelta(days=day - month_length)
    if _quartz_weekday(overflow) == 7 and day - 1 == month_length:
        return [month_length]
    return []


def _search_skips(schedule: QuartzSchedule, year: int, month: int, after: datetime,
                  times: list[tuple[int, int, int]]) -> bool:
    """Whether Quartz 2.3.2's search passes over the last-day fire of `nW` (n one past the end of
    this month), as it does when the search stands in the previous month after that month's nW:
    it then sets day n of this month on a lenient calendar, lands in the month after, and never
    looks back (make oracle: `0 0 0 29W * ?` from 2025-01-29 fires next on 2025-03-28, from
    2025-02-01 on 2025-02-28). Each search starts at the previous fire, as a trigger's do."""
    wanted = schedule.day_of_month.nearest_weekday
    if wanted is None or wanted <= calendar.monthrange(year, month)[1] or (after.year, after.month) >= (year, month):
        return False  # not a past-the-end fire, or the search starts in this month
    previous = month - 1  # never January: only February and 30-day months have such a fire
    previous_length = calendar.monthrange(year, previous)[1]
    candidate = _nearest_weekday(year, previous, wanted, previous_length)
    if (after.year, after.month) == (year, previous) and after >= datetime(year, previous, candidate, *times[-1]):
        searched_from = after  # already past the previous month's nW
    elif previous in schedule.months:
        searched_from = datetime(year, previous, candidate, *times[-1])  # its last fire that day
    else:
        return False  # the search jumps into this month at its 1st
    # The search first moves to the next time of day, the next day when none is left.
    position = searched_from.date() + timedelta(days=0 if searched_from.time() < time(*times[-1]) else 1)
    return position.month == previous and position.day > candidate


def days_in_month(schedule: QuartzSchedule, year: int, month: int) -> list[int]:
    """The days of one month on which the schedule fires, sorted."""
    month_length = calendar.monthrange(year, month)[1]
    dom, dow = schedule.day_of_month, schedule.day_of_week
    if dom.any_day:
        weekdays = [_quartz_weekday(date(year, month, d)) for d in range(1, month_length + 1)]
        if dow.nth is not None:
            wanted, n = dow.nth
            matches = [d for d, w in enumerate(weekdays, 1) if w == wanted]
            return [matches[n - 1]] if len(matches) >= n else []
        if dow.last_of is not None:
            return [max(d for d, w in enumerate(weekdays, 1) if w == dow.last_of)]
        return [d for d, w in enumerate(weekdays, 1) if w in dow.days]
    if dom.last_offset is not None:
        day = month_length - dom.last_offset
        if day < 1:
            return []
        return [_nearest_weekday(year, month, day, month_length) if dom.last_weekday else day]
    if dom.nearest_weekday is not None:
        if dom.nearest_weekday > month_length:
            return _nearest_weekday_past_the_end(year, month, dom.nearest_weekday, month_length)
        return [_nearest_weekday(year, month, dom.nearest_weekday, month_length)]
    return sorted(d for d in dom.days if d <= month_length)


def _fire_times(schedule: QuartzSchedule, after: datetime) -> Iterator[datetime]:
    after = after.replace(microsecond=0)
    start = after + timedelta(seconds=1)
    if schedule.years is None:
        years: list[int] = list(range(start.year, start.year + SEARCH_YEARS + 1))
    else:
        years = sorted(y for y in schedule.years if y >= start.year)
    times = sorted(
        (h, m, s) for h in schedule.hours for m in schedule.minutes for s in schedule.seconds
    )
    months = sorted(schedule.months)
    for year in years:
        for month in months:
            if (year, month) < (start.year, start.month):
                continue
            for day in days_in_month(schedule, year, month):
                if (year, month, day) < (start.year, start.month, start.day):
                    continue
                if _search_skips(schedule, year, month, after, times):
                    continue
                same_day = (year, month, day) == (start.year, start.month, start.day)
                for h, m, s in times:
                    if same_day and (h, m, s) < (start.hour, start.minute, start.second):
                        continue
                    yield datetime(year, month, day, h, m, s)


@functools.lru_cache(maxsize=4096)
def set_text(values: frozenset[int], lo: int, hi: int) -> str:
    """A set in canonical Quartz form: `*`, `a`, `a/n` (to the end), `a-b/n`, `a-b`, or a list."""
    ordered = sorted(values)
    if values == frozenset(range(lo, hi + 1)):
        return "*"
    if len(ordered) == 1:
        return str(ordered[0])
    steps = {b - a for a, b in itertools.pairwise(ordered)}
    if len(steps) == 1:
        step = steps.pop()
        first, last = ordered[0], ordered[-1]
        if step == 1:
            return f"{first}-{last}"
        if len(ordered) >= 3 or (first == lo and last + step > hi):  # else a list reads better: 9,18
            return f"{first}/{step}" if last + step > hi else f"{first}-{last}/{step}"
    return listed(values, ",")


def listed(values: frozenset[int], separator: str = ", ") -> str:
    """Values as a list: runs of three or more as `a-b`, the others one by one (`1,2,5-9`); never
    a step. Messages use it (with ", "): a step such as `1/30`, the canonical form of days 1 and
    31, reads as neither."""
    parts: list[str] = []
    run: list[int] = []
    for value in sorted(values):
        if run and value == run[-1] + 1:
            run.append(value)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else separator.join(map(str, run)))
        run = [value]
    parts.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else separator.join(map(str, run)))
    return separator.join(parts)


def _day_of_month_text(dom: DayOfMonth) -> str:
    if dom.any_day:
        return "?"
    if dom.last_offset is not None:
        return "L" + (f"-{dom.last_offset}" if dom.last_offset else "") + ("W" if dom.last_weekday else "")
    if dom.nearest_weekday is not None:
        return f"{dom.nearest_weekday}W"
    return set_text(dom.days, 1, 31)


def _day_of_week_text(dow: DayOfWeek) -> str:
    if dow.any_day:
        return "?"
    if dow.nth is not None:
        return f"{dow.nth[0]}#{dow.nth[1]}"
    if dow.last_of is not None:
        return f"{dow.last_of}L"
    return set_text(dow.days, 1, 7)


def _canonical_text(schedule: QuartzSchedule) -> str:
    dom, dow = _day_of_month_text(schedule.day_of_month), _day_of_week_text(schedule.day_of_week)
    if (dom, dow) == ("?", "*"):
        dom, dow = "*", "?"  # every day, written one way
    if schedule.years is None:
        year = "*"
    else:  # 1970-2099 written out: Quartz's own `*` runs on past 2099
        year = set_text(schedule.years, YEAR_MIN, YEAR_MAX).replace("*", f"{YEAR_MIN}-{YEAR_MAX}")
    return " ".join([
        set_text(schedule.seconds, 0, 59), set_text(schedule.minutes, 0, 59), set_text(schedule.hours, 0, 23),
        dom, set_text(schedule.months, 1, 12), dow, year,
    ])
