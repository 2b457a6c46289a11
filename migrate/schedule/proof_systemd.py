"""The proof's source side for systemd timers: `OnCalendar=` calendar events read from
systemd.time(7), "CALENDAR EVENTS", sharing no code with the converter (schedule/systemd.py).

What the page documents, and this reads:
- `[Weekdays] [Date] [Time] [Zone]`; a missing date is every day, a missing time 00:00:00, missing
  seconds `:00`; weekdays are English names, abbreviated or not, any case, listed with `,` and
  ranged with `..` (a range that wraps, `Sat..Mon`, is refused by systemd, so it is `unchecked`).
  Weekdays and the date must both match.
- each date and time component is `*`, or a `,` list of values, `a..b` ranges, `v/r` (v, v+r, v+2r
  … to the field's end) and `a..b/r`; a two-digit year is 19xx/20xx as systemd normalises it.
- `~` before the day counts days from the month's end (`*-*~01` the last day, `*-02~03` the
  third last of February); a repetition there runs towards the end (`~07/1`: the last seven days).
- the shorthands (`minutely` … `semiannually`, any case) and the zone: `UTC` or an IANA name.
- several `OnCalendar=` lines: the timer fires at the union of their times.

`source_schedule` is one line as written, or a JSON list of the lines when there are several.
Fractions of a second (the page allows them) are `unchecked`: a freq fires on whole seconds.
"""

from __future__ import annotations

import calendar
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from migrate.schedule.proof import Unchecked, _merged, _search_start, _walls_to_instants

# systemd.time(7): "The following special expressions may be used as shorthands".
SHORTHANDS = {"minutely": "*-*-* *:*:00", "hourly": "*-*-* *:00:00", "daily": "*-*-* 00:00:00",
              "monthly": "*-*-01 00:00:00", "weekly": "Mon *-*-* 00:00:00", "yearly": "*-01-01 00:00:00",
              "annually": "*-01-01 00:00:00", "quarterly": "*-01,04,07,10-01 00:00:00",
              "semiannually": "*-01,07-01 00:00:00"}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
YEARS = (1970, 2199)  # the years systemd's calendar reaches


@dataclass(frozen=True)
class CalendarSpec:
    weekdays: frozenset[int]  # date.weekday() numbers, Monday 0
    years: frozenset[int] | None  # None: any year
    months: frozenset[int]
    days: frozenset[int]  # days of the month, or counted from its end when from_end
    from_end: bool
    times: tuple[tuple[int, int, int], ...]  # (hour, minute, second), ascending
    zone: str | None


def _weekday(name: str) -> int:
    folded = name.strip().lower()
    for number, full in enumerate(WEEKDAY_NAMES):
        if folded in (full, full[:3]):
            return number
    raise Unchecked(f"{name!r} is not an English weekday name")


def _is_weekday(name: str) -> bool:
    return name.strip().lower() in (*WEEKDAY_NAMES, *(full[:3] for full in WEEKDAY_NAMES))


def _weekdays(text: str) -> frozenset[int]:
    days: set[int] = set()
    for term in text.rstrip(",").split(","):
        if all(_is_weekday(part) for part in term.split("-")) and "-" in term:  # `Mon-Fri`: read by systemd's
            # parser (and the converter), but the page documents only `..`
            raise Unchecked(f"{term!r}: a weekday range written with `-`, which systemd reads but systemd.time(7) "
                            "does not document (it writes `..`)")
        first, dots, last = term.partition("..")
        low = _weekday(first)
        high = _weekday(last) if dots else low
        if high < low:
            raise Unchecked(f"{term!r}: systemd refuses a weekday range that wraps")
        days.update(range(low, high + 1))
    return frozenset(days)


def _number(text: str) -> int:
    whole, dot, fraction = text.partition(".")
    if dot and whole.isdigit() and fraction and not fraction.strip("0"):
        return int(whole)  # `04:00:00.000`: a fraction of none, as systemd-analyze normalizes it
    if not text.isdigit():
        if "." in text:
            raise Unchecked(f"{text!r}: fractions of a second are not a freq's")
        raise Unchecked(f"{text!r} is not a number")
    return int(text)


def _component(text: str, low: int, high: int) -> frozenset[int]:
    """One date or time component: `*`, values, `a..b`, `v/r`, `a..b/r`, listed with `,`."""
    if text == "*":
        return frozenset(range(low, high + 1))
    values: set[int] = set()
    for term in text.split(","):
        head, slash, step_text = term.partition("/")
        step = _number(step_text) if slash else 1
        if step < 1:
            raise Unchecked(f"{term!r}: a repetition of 0")
        first_text, dots, last_text = head.partition("..")
        first = _number(first_text)
        last = _number(last_text) if dots else (high if slash else first)
        if not low <= first <= high or not low <= last <= high:
            raise Unchecked(f"{term!r} is outside {low}..{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _year_component(text: str) -> frozenset[int] | None:
    if text == "*":
        return None
    # systemd.time(7): `12-*-*` is 2012 (systemd reads 70-99 as 19xx)
    return _component(",".join(_two_digit_term(term) for term in text.split(",")), *YEARS)


def _two_digit_term(term: str) -> str:
    head, slash, step = term.partition("/")
    parts = [str(int(p) + (2000 if int(p) < 70 else 1900)) if p.isdigit() and len(p) <= 2 else p
             for p in head.split("..")]
    return "..".join(parts) + (slash + step)


def _date(text: str) -> tuple[frozenset[int] | None, frozenset[int], frozenset[int], bool]:
    from_end = "~" in text
    head, _, day = text.rpartition("~" if from_end else "-")
    year, _, month = head.rpartition("-")
    if not head:
        raise Unchecked(f"{text!r} is not a date such as *-*-01")
    days = _days_from_end(day) if from_end else _component(day, 1, 31)
    return _year_component(year) if year else None, _component(month, 1, 12), days, from_end


def _days_from_end(text: str) -> frozenset[int]:
    """`~` days, counted from the month's end (1 = the last day): `v/r` repeats towards the end
    (v, v-r, … down to 1), as the page's "Mon *-05~07/1" (the last Monday of May) reads."""
    if text == "*":
        return frozenset(range(1, 32))
    values: set[int] = set()
    for term in text.split(","):
        head, slash, step_text = term.partition("/")
        if slash and ".." in head:
            raise Unchecked(f"~{term}: a range with a repetition from the month's end is not documented")
        if slash:
            step = _number(step_text)
            if step < 1:
                raise Unchecked(f"{term!r}: a repetition of 0")
            values.update(range(_number(head), 0, -step))
        else:
            values.update(_component(head, 1, 31))
    return frozenset(values)


def _time(text: str) -> tuple[tuple[int, int, int], ...]:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise Unchecked(f"{text!r} is not a time such as 02:30 or 02:30:00")
    hours, minutes = _component(parts[0], 0, 23), _component(parts[1], 0, 59)
    seconds = _component(parts[2], 0, 59) if len(parts) == 3 else frozenset({0})
    return tuple(sorted(itertools.product(hours, minutes, seconds)))


def _zone_name(token: str) -> str | None:
    """The last word when it names a zone (`UTC`, an IANA name); else None."""
    if token[:1].isdigit() or token.startswith("*") or ":" in token or "~" in token:
        return None
    try:
        ZoneInfo(token)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return token


def parse_calendar(text: str) -> CalendarSpec:
    """One calendar event as systemd.time(7) writes it."""
    words = text.split()
    if not words:
        raise Unchecked("an empty OnCalendar=")
    zone = _zone_name(words[-1]) if len(words) > 1 else None
    if zone is not None:
        words = words[:-1]
    if len(words) == 1 and words[0].lower() in SHORTHANDS:
        words = SHORTHANDS[words[0].lower()].split()
    weekdays = frozenset(range(7))
    if words and words[0][:1].isalpha():
        weekdays = _weekdays(words.pop(0))
    date_text = next((w for w in words if ":" not in w), None)
    time_text = next((w for w in words if ":" in w), None)
    if len(words) != (date_text is not None) + (time_text is not None):
        raise Unchecked(f"{text!r}: more than a date and a time")
    years, months, days, from_end = _date(date_text) if date_text else (None, frozenset(range(1, 13)),
                                                                          frozenset(range(1, 32)), False)
    times = _time(time_text) if time_text else ((0, 0, 0),)
    return CalendarSpec(weekdays, years, months, days, from_end, times, zone)


def _day_matches(spec: CalendarSpec, day: date) -> bool:
    if spec.years is not None and day.year not in spec.years:
        return False
    if day.month not in spec.months or day.weekday() not in spec.weekdays:
        return False
    if spec.from_end:
        return calendar.monthrange(day.year, day.month)[1] - day.day + 1 in spec.days
    return day.day in spec.days


def calendar_walls(spec: CalendarSpec, first: date, last: date) -> Iterator[datetime]:
    """The event's wall-clock times from `first` to `last` (days), ascending."""
    day = first
    while day <= last:
        if _day_matches(spec, day):
            for hour, minute, second in spec.times:
                yield datetime(day.year, day.month, day.day, hour, minute, second)
        day += timedelta(days=1)


def _lines(source: str) -> list[str]:
    text = source.strip()
    if text.startswith("["):
        lines = json.loads(text)
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            raise Unchecked(f"{text!r}: not a list of OnCalendar= lines")
        return lines
    return [text]


def systemd_fires(source: str, zone: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    """The timer's fire times as UTC instants: each line in its own zone (its suffix, else the
    host's, `zone`), the lines' union."""
    sides = []
    for line in _lines(source):
        spec = parse_calendar(line)
        line_zone = spec.zone or zone
        first = _search_start(begin, line_zone).date()
        sides.append(_walls_to_instants(calendar_walls(spec, first, end.date() + timedelta(days=2)), line_zone,
                                        begin, end))
    return _merged(*sides)
