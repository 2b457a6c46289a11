"""systemd calendar events (`OnCalendar=`, systemd.time(7)) -> a Quartz `freq`, exactly, or a
rejection with a code.

The grammar is read as systemd 252's own parser reads it (src/shared/calendarspec.c), checked
against `systemd-analyze calendar` (tests/test_profile_systemd.py):

    [Weekdays] [[Year-]Month-Day | Year-Month~Day] [Hour:Minute[:Second]] [Zone]

Each of year, month, day, hour, minute and second is `*` or a list of values, each value
optionally a range `a..b` and a repetition `/n` (`a/n`: a, a+n, … to the field's end;
`a..b/n`: up to b). `~` counts days from the month's end (`*-02~03`: the third last day of
February). Weekdays are names (`Mon`, `monday`), lists and ranges (`Mon..Fri`, `Sat,Sun`, the
old `Mon-Fri`); a date and weekdays must both match (AND, not cron's OR). Two-digit years are
19xx from 70, else 20xx. A trailing `UTC` or IANA zone name is the zone the event fires in; none
means the host's local time. Shortcuts: minutely, hourly, daily, weekly, monthly, yearly
(annually), quarterly, semiannually (biannually); `@SECONDS` is one instant (UTC).

What Quartz cannot say is refused:
- seconds: Quartz's first field carries one whole second exactly (`02:00:30` is `30 0 2 …`); a
  fraction of a second (`02:00:30.5`) is FRACTIONAL_SECONDS, and more than one second a minute
  (`*` seconds, `00/15`) SUB_MINUTE: Quartz could say it, but a flow runs at most once a minute;
- weekdays AND days of the month: one weekday with the days of one week of the month (`Sat
  *-*-01..07` is the first Saturday, `d#1`; 29..31 the fifth, `d#5`) or with the last seven days
  (`Mon *-05~07/1`: the last Monday of May, `dL`; `Sun *-03-25..31` too, in months of one length);
  anything else DOM_AND_DOW;
- several days counted from the month's end (`*-*~01..03`): Quartz has one `L-n` (LAST_DAYS);
- a date that never comes (`*-02-30`, years past): IMPOSSIBLE_DATE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from migrate.schedule.cron import to_quartz
from migrate.schedule.quartz import listed, set_text
from migrate.schedule.result import (
    DOM_AND_DOW,
    IMPOSSIBLE_DATE,
    INVALID_SYNTAX,
    SUB_MINUTE,
    Converted,
    Rejection,
    ScheduleWarning,
)
from migrate.schedule.union import union_of

FRACTIONAL_SECONDS = "FRACTIONAL_SECONDS"
LAST_DAYS = "LAST_DAYS"
MULTIPLE_TRIGGERS = "MULTIPLE_TRIGGERS"

USEC = 1_000_000
YEAR_MIN, YEAR_MAX = 1970, 2199  # systemd's bounds; Quartz stops at 2099
QUARTZ_YEAR_MAX = 2099
# systemd's weekday names, longest first for each day, Monday = 0.
WEEKDAY_NAMES = (("monday", 0), ("mon", 0), ("tuesday", 1), ("tue", 1), ("wednesday", 2), ("wed", 2),
                 ("thursday", 3), ("thu", 3), ("friday", 4), ("fri", 4), ("saturday", 5), ("sat", 5),
                 ("sunday", 6), ("sun", 6))
# The shortcuts as the normalized forms systemd.time(7) lists.
SHORTCUTS = {
    "minutely": "*-*-* *:*:00", "hourly": "*-*-* *:00:00", "daily": "*-*-* 00:00:00",
    "monthly": "*-*-01 00:00:00", "weekly": "Mon *-*-* 00:00:00", "yearly": "*-01-01 00:00:00",
    "annually": "*-01-01 00:00:00", "anually": "*-01-01 00:00:00",
    "quarterly": "*-01,04,07,10-01 00:00:00", "semiannually": "*-01,07-01 00:00:00",
    "semi-annually": "*-01,07-01 00:00:00", "biannually": "*-01,07-01 00:00:00",
    "bi-annually": "*-01,07-01 00:00:00",
}
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Component:
    """One value of a field's list: `start`, `start..stop`, `start/repeat`, `start..stop/repeat`."""

    start: int
    stop: int | None = None
    repeat: int = 0


Chain = tuple[Component, ...] | None  # None: `*`


@dataclass(frozen=True)
class CalendarSpec:
    weekdays: frozenset[int] | None  # Monday = 0; None: any day
    years: Chain
    months: Chain
    days: Chain
    end_of_month: bool  # `~`: days count back from the month's last day (1 = the last)
    hours: Chain
    minutes: Chain
    seconds: Chain  # in microseconds; None is every second
    zone: str  # "" (the host's local time), "UTC" or an IANA name


@dataclass(frozen=True)
class CalendarEvent:
    """An `OnCalendar=` value as a Quartz schedule and the zone it fires in ("" for local time)."""

    converted: Converted
    timezone: str


class _Text:
    """The text being parsed and where the parser stands, as calendarspec.c walks its pointer."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.at, self.source = text, 0, source

    def peek(self, offset: int = 0) -> str:
        index = self.at + offset
        return self.text[index] if index < len(self.text) else ""

    def rest(self) -> str:
        return self.text[self.at:]

    def skip_spaces(self) -> None:
        while self.peek() == " ":
            self.at += 1

    def fail(self, why: str) -> Rejection:
        where = f" at {self.rest()[:20]!r}" if self.rest() else " (it ends too soon)"
        return Rejection(INVALID_SYNTAX, f"{self.source!r} is not a systemd calendar event{where}: {why}")


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _split_zone(text: str) -> tuple[str, str]:
    """The event without its zone, and the zone: `UTC` (any case) or an IANA name after the last blank."""
    if text.upper().endswith(" UTC"):
        return text[:-4], "UTC"
    head, blank, last = text.rpartition(" ")
    if blank and _valid_zone(last):
        return head, "UTC" if last == "UTC" else last
    return text, ""


def _weekdays(text: _Text) -> frozenset[int] | None:
    """Leading weekday names, lists and ranges (`..`, or `-` as systemd still reads it)."""
    found: set[int] = set()
    range_from: int | None = None
    first = True
    while True:
        lowered = text.rest().lower()
        match = next(((name, day) for name, day in WEEKDAY_NAMES if lowered.startswith(name)), None)
        if match is None:
            if first:
                return None
            raise text.fail("a weekday name was expected")
        name, day = match
        if text.peek(len(name)) not in ("", "-", ".", ",", " "):
            raise text.fail(f"{text.rest()[:len(name) + 1]!r} is not a weekday name")
        found.add(day)
        if range_from is not None:
            if range_from > day:
                raise text.fail("a weekday range runs backwards (Monday is the first day)")
            found.update(range(range_from + 1, day))
        text.at += len(name)
        if not text.peek():
            break
        if text.peek() == " ":
            text.skip_spaces()
            break
        if text.peek() == ".":
            if range_from is not None or text.peek(1) != ".":
                raise text.fail("a weekday range is written Mon..Fri")
            range_from, text.at = day, text.at + 2
        elif text.peek() == "-":
            if range_from is not None:
                raise text.fail("a weekday range has two ends")
            range_from, text.at = day, text.at + 1
        elif text.peek() == ",":
            range_from, text.at = None, text.at + 1
        if text.peek() in ("", " "):
            text.skip_spaces()
            if range_from is not None:
                raise text.fail("a weekday range is left open")
            break
        first = False
    return frozenset(found) if 0 < len(found) < 7 else None


def _number(text: _Text, seconds: bool) -> int:
    """A decimal value; seconds in microseconds, with up to six decimals (rounded, as systemd does)."""
    match = _DIGITS.match(text.text, text.at)
    if match is None:
        raise text.fail("a number was expected")
    text.at = match.end()
    value = int(match[0])
    if not seconds:
        return value
    value *= USEC
    if text.peek() == "." and text.peek(1) != ".":
        text.at += 1
        fraction = _DIGITS.match(text.text, text.at)
        if fraction is None:
            raise text.fail("a decimal fraction was expected")
        text.at = fraction.end()
        digits = fraction[0].ljust(7, "0")
        value += int(digits[:6]) + (1 if int(digits[6]) >= 5 else 0)
    return value


def _chain(text: _Text, seconds: bool = False) -> Chain:
    if text.peek() == "*":
        text.at += 1
        return None
    components: list[Component] = []
    while True:
        start = _number(text, seconds)
        stop: int | None = None
        repeat = 0
        if text.peek() == "." and text.peek(1) == ".":
            text.at += 2
            stop = _number(text, seconds)
            repeat = USEC if seconds else 1
        if text.peek() == "/":
            text.at += 1
            repeat = _number(text, seconds)
            if repeat == 0:
                raise text.fail("a repetition of 0")
        if text.peek() not in ("", " ", ",", "-", "~", ":"):
            raise text.fail("a value, a range a..b or a repetition /n was expected")
        components.append(Component(start, stop, repeat))
        if len(components) > 240:
            raise text.fail("more than 240 values in one field")
        if text.peek() != ",":
            return tuple(components)
        text.at += 1


@dataclass
class _Date:
    years: Chain = None
    months: Chain = None
    days: Chain = None
    end_of_month: bool = False


def _date(text: _Text) -> _Date | None:
    """The date part, or None when the text holds a time only (the parser is then put back)."""
    if not text.peek():
        return None
    start = text.at
    first = _chain(text)
    if text.peek() in ("", ":"):
        text.at = start
        return None
    date = _Date()
    if text.peek() not in ("-", "~"):
        raise text.fail("a date is written Year-Month-Day, Month-Day or Month~Day")
    date.end_of_month = text.peek() == "~"
    text.at += 1
    second = _chain(text)
    if text.peek() in ("", " "):
        text.skip_spaces()
        date.months, date.days = first, second
        return date
    if date.end_of_month or text.peek() not in ("-", "~"):
        raise text.fail("a date has at most three parts")
    date.end_of_month = text.peek() == "~"
    text.at += 1
    third = _chain(text)
    if text.peek() not in ("", " "):
        raise text.fail("the date must be followed by a blank")
    text.skip_spaces()
    date.years, date.months, date.days = first, second, third
    return date


def _time(text: _Text) -> tuple[Chain, Chain, Chain]:
    if not text.peek():
        return (Component(0),), (Component(0),), (Component(0),)
    hours = _chain(text)
    if text.peek() != ":":
        raise text.fail("a time is written Hour:Minute[:Second]")
    text.at += 1
    minutes = _chain(text)
    if not text.peek():
        return hours, minutes, (Component(0),)
    if text.peek() != ":":
        raise text.fail("a time is written Hour:Minute[:Second]")
    text.at += 1
    seconds = _chain(text, seconds=True)
    if text.peek():
        raise text.fail("nothing may follow the time but a time zone")
    return hours, minutes, seconds


def _two_digit_years(chain: Chain) -> Chain:
    """12 is 2012 and 89 is 1989, as systemd reads them."""
    if chain is None:
        return None

    def year(value: int) -> int:
        return value + 2000 if value < 70 else value + 1900 if value < 100 else value

    return tuple(Component(year(c.start), None if c.stop is None else year(c.stop), c.repeat) for c in chain)


def _check(chain: Chain, low: int, high: int, name: str, source: str, end_of_month: bool = False) -> None:
    """systemd's bounds for a field (calendar_spec_valid): values in range, a repetition that
    fits at least once, ranges that run forwards; days from the month's end at most 28. systemd
    checks the values in order and, counting from the month's end, lowers that bound by three more
    for each further value (`~1,25` is accepted, `~1,26` refused): so is it here."""
    if chain is None:
        return
    top = high
    for c in sorted(set(chain), key=lambda c: (c.start, -1 if c.stop is None else c.stop, c.repeat)):
        top = top - 3 if end_of_month else top
        stop = c.stop
        if stop is not None and stop > c.start and c.repeat > 0:
            stop -= (stop - c.start) % c.repeat
        bad = (not low <= c.start <= top or c.repeat > top - low
               or (stop is not None and (not low <= stop <= top or (stop != c.start and c.start + c.repeat > stop)))
               or (stop is None and end_of_month and c.start - c.repeat < low)
               or (stop is None and not end_of_month and c.start + c.repeat > top))
        if bad:
            raise Rejection(INVALID_SYNTAX, f"{source!r} is not a systemd calendar event: the {name} "
                                            f"{_component_text(c)} is outside {low}..{top} or never repeats")


def _component_text(c: Component) -> str:
    text = str(c.start) + (f"..{c.stop}" if c.stop is not None else "")
    return text + (f"/{c.repeat}" if c.repeat and not (c.stop is not None and c.repeat == 1) else "")


def parse_calendar(expression: str) -> CalendarSpec:
    """An `OnCalendar=` value, parsed as systemd parses it, or Rejection(INVALID_SYNTAX)."""
    source = expression
    body, zone = _split_zone(expression.strip())
    if not body:
        raise Rejection(INVALID_SYNTAX, f"{source!r} is empty: it names no calendar event")
    body = SHORTCUTS.get(body.lower(), body)
    if body.startswith("@"):
        return _instant(body, zone, source)
    text = _Text(body, source)
    weekdays = _weekdays(text)
    date = _date(text) or _Date()
    hours, minutes, seconds = _time(text)
    date.end_of_month = date.end_of_month and date.days is not None
    years = _two_digit_years(date.years)
    for chain, low, high, name in ((years, YEAR_MIN, YEAR_MAX, "year"), (date.months, 1, 12, "month"),
                                   (hours, 0, 23, "hour"), (minutes, 0, 59, "minute"),
                                   (seconds, 0, 60 * USEC - 1, "second")):
        _check(chain, low, high, name, source)
    _check(date.days, 1, 31, "day", source, date.end_of_month)
    return CalendarSpec(weekdays, years, date.months, date.days, date.end_of_month, hours, minutes, seconds, zone)


def _instant(body: str, zone: str, source: str) -> CalendarSpec:
    """`@SECONDS`: one instant, in UTC."""
    if not body[1:].isdigit():
        raise Rejection(INVALID_SYNTAX, f"{source!r}: @ takes seconds since 1970")
    at = datetime.fromtimestamp(int(body[1:]), UTC)
    return CalendarSpec(None, (Component(at.year),), (Component(at.month),), (Component(at.day),), False,
                        (Component(at.hour),), (Component(at.minute),), (Component(at.second * USEC),), "UTC")


def expand(chain: Chain, low: int, high: int) -> frozenset[int]:
    """The values a field matches: `start`, every `repeat` from it (to `stop`, else the field's end)."""
    if chain is None:
        return frozenset(range(low, high + 1))
    values: set[int] = set()
    for c in chain:
        if c.stop is None and not c.repeat:
            values.add(c.start)
        else:
            values.update(range(c.start, (high if c.stop is None else c.stop) + 1, c.repeat or 1))
    return frozenset(v for v in values if low <= v <= high)


def last_day_offsets(chain: tuple[Component, ...]) -> frozenset[int]:
    """Days counted from the month's end (1 = the last day), as systemd matches `~`: a repetition
    runs towards the end of the month (`~07/1` is the last seven days)."""
    offsets: set[int] = set()
    for c in chain:
        if c.stop is None:
            offsets.update(range(c.start, 0, -c.repeat) if c.repeat else (c.start,))
        else:  # `~a..b/n`: from the b-th last day on, every n days, up to the a-th last
            stop = c.stop - (c.stop - c.start) % c.repeat if c.stop > c.start else c.stop
            offsets.update(range(stop, c.start - 1, -c.repeat))
    return frozenset(offsets)


def _quartz_days(spec: CalendarSpec, source: str) -> tuple[str, str]:
    """The (day-of-month, day-of-week) pair: systemd ANDs a weekday with the date."""
    weekday = None if spec.weekdays is None else sorted((d + 1) % 7 + 1 for d in spec.weekdays)  # Quartz 1=Sun
    weekday_text = "" if weekday is None else set_text(frozenset(weekday), 1, 7)
    if spec.end_of_month:
        assert spec.days is not None
        offsets = last_day_offsets(spec.days)
        if weekday is None:
            if len(offsets) != 1:
                raise Rejection(LAST_DAYS, f"{source!r} runs on the days {_offsets_text(offsets)} counted from the "
                                           "month's end; Quartz names one such day (L-n)")
            (offset,) = offsets
            return ("L" if offset == 1 else f"L-{offset - 1}", "?")
        if len(weekday) == 1 and offsets == frozenset(range(1, 8)):
            return ("?", f"{weekday[0]}L")
        raise Rejection(DOM_AND_DOW, f"{source!r} runs on {_weekday_names(spec)} only when it is one of the days "
                                     f"{_offsets_text(offsets)} counted from the month's end; Quartz can say one "
                                     "weekday in the last seven days (dL), not this")
    days = expand(spec.days, 1, 31)
    if weekday is None:
        return ("*", "?") if len(days) == 31 else (set_text(days, 1, 31), "?")
    if len(days) == 31:
        return ("?", weekday_text)
    if len(weekday) == 1:
        for week in range(5):
            if days == frozenset(range(1 + 7 * week, min(8 + 7 * week, 32))):
                return ("?", f"{weekday[0]}#{week + 1}")  # the n-th such weekday of the month
        if (length := _month_length(spec)) is not None and days & frozenset(range(1, length + 1)) == frozenset(
                range(length - 6, length + 1)):
            return ("?", f"{weekday[0]}L")  # `Sun *-03-25..31`: the last Sunday of March
    raise Rejection(DOM_AND_DOW, f"{source!r} runs on {_weekday_names(spec)} only when it is day "
                                 f"{listed(days)} of the month; Quartz can say one or the other, or one "
                                 "weekday in one week of the month (d#n), not both")


MONTH_LENGTHS = {1: 31, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}  # not February's


def _month_length(spec: CalendarSpec) -> int | None:
    """The one length of every month the event names, where they all have one (March and October:
    31); None for every month, February (leap years), or months of two lengths."""
    if spec.months is None:
        return None
    lengths = {MONTH_LENGTHS.get(month) for month in expand(spec.months, 1, 12)}
    return lengths.pop() if len(lengths) == 1 and None not in lengths else None


def _offsets_text(offsets: frozenset[int]) -> str:
    return ", ".join(f"~{o:02d}" for o in sorted(offsets))


def _weekday_names(spec: CalendarSpec) -> str:
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return ",".join(names[d] for d in sorted(spec.weekdays or ()))


def _second(spec: CalendarSpec, source: str) -> int:
    """The one whole second of the minute the event fires at, or a rejection."""
    values = expand(spec.seconds, 0, 60 * USEC - 1) if spec.seconds is not None else None
    if values is None or len(values) > 1:
        raise Rejection(SUB_MINUTE, f"{source!r} fires more than once a minute; a flow runs at most every minute")
    (value,) = values
    if value % USEC:
        written = f"{value // USEC}.{value % USEC:06d}".rstrip("0")
        raise Rejection(FRACTIONAL_SECONDS, f"{source!r} fires {written} seconds past the minute; a flow schedule "
                                            "names whole seconds: write the second you mean")
    return value // USEC


def convert_calendar(expression: str) -> CalendarEvent:
    """An `OnCalendar=` value as a Quartz schedule and its zone, or Rejection with a code."""
    spec = parse_calendar(expression)
    second = _second(spec, expression)
    years = expand(spec.years, YEAR_MIN, QUARTZ_YEAR_MAX)
    if not years:
        raise Rejection(IMPOSSIBLE_DATE, f"{expression!r} fires only after {QUARTZ_YEAR_MAX}, past any flow schedule")
    year_text = "*" if spec.years is None else set_text(years, 1970, QUARTZ_YEAR_MAX)
    converted = to_quartz(str(second), set_text(expand(spec.minutes, 0, 59), 0, 59),
                          set_text(expand(spec.hours, 0, 23), 0, 23), _quartz_days(spec, expression),
                          set_text(expand(spec.months, 1, 12), 1, 12), year_text, expression)
    return CalendarEvent(converted, spec.zone)


# -- several OnCalendar= lines: one schedule when their union is one -------------------------------

def merge_calendars(events: list[CalendarEvent]) -> CalendarEvent:
    """Several `OnCalendar=` lines fire on the union of their times. One flow has one schedule:
    they are merged when the union is itself one Quartz schedule (the lines differ in one field:
    `*-*-* 06:00` and `*-*-* 18:00` are `0 0 6,18 * * ? *`), else MULTIPLE_TRIGGERS."""
    zones = {e.timezone for e in events}
    listed = "; ".join(e.converted.source for e in events)
    if len(zones) > 1:
        raise Rejection(MULTIPLE_TRIGGERS, f"the OnCalendar= lines ({listed}) fire in different zones "
                                           f"({', '.join(sorted(z or 'local time' for z in zones))}); a flow has one")
    pending = union_of([e.converted for e in events])
    if len(pending) > 1:
        freqs = " + ".join(c.freq for c in pending)
        raise Rejection(MULTIPLE_TRIGGERS, f"the OnCalendar= lines ({listed}) fire on the union of {freqs}, "
                                           "which no single flow schedule says; split the timer into one unit a "
                                           "schedule")
    merged = pending[0]
    if len(events) > 1:
        note = ScheduleWarning("CALENDARS_MERGED", listed, merged.freq,
                               f"{len(events)} OnCalendar= lines fire on the union of their times: one schedule")
        merged = Converted(merged.freq, merged.cycle, listed, (*merged.warnings, note))
    return CalendarEvent(merged, zones.pop())
