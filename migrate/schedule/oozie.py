"""Oozie coordinator frequencies -> a Quartz `freq`, exactly, with the zone whose clock it keeps.

A coordinator's `frequency` (CoordinatorFunctionalSpec §4.4) is one of:

- a cron string (Oozie 4.1+): five fields, minute hour day-of-month month day-of-week, in Quartz's
  grammar without seconds and year (days of the week 1-7 from Sunday, `L`, `W`, `#`, `?`, names).
  Oozie hands `0 <frequency>` to Quartz's CronExpression after rewriting the day fields
  (CoordCommandUtils.getNextValidActionTimeForCronFrequency): when neither is `?`, a `*` in one
  becomes `?` (day-of-month first); when both are restricted, the two halves are ORed. It fires on
  the clock of the Oozie *processing* timezone (`oozie.processing.timezone`: UTC, or a fixed
  `GMT+hhmm`), never the coordinator's `timezone`. From Oozie 5.1 (OOZIE-2494) an action whose
  cron time is a day or more after the previous one is moved by the difference between the
  coordinator zone's daylight saving at `start` and at that time: a cron that fires once a day
  (one minute of one hour) keeps its wall-clock time in the coordinator's zone; one that fires
  several times every day is never moved; one that does both cannot be said by one schedule.
- a number of minutes, `${coord:minutes(n)}` or `${coord:hours(n)}`: a fixed interval counted in
  absolute time from `start` (the first action is at `start`);
- `${coord:days(n)}` / `${coord:months(n)}`: n calendar days or months from `start`, on the wall
  clock of the coordinator's `timezone` (Java `Calendar.add` from `start`, so a month from the
  31st falls on the last day of shorter months and comes back to the 31st);
- `${coord:endOfDays(n)}` / `${coord:endOfMonths(n)}` / `${coord:endOfWeeks(n)}`: the same from the
  start of the next day, month or week in that zone (`DateUtils.moveToEnd`, which always moves:
  a `start` at midnight moves a whole day). The first day of a week is the Oozie server's Java
  locale's (Sunday in the US, Monday in France): it must be given, never assumed.

An interval becomes an exact schedule only when it lines up with the calendar (intervals.py):
k minutes with k dividing 60, k hours with k dividing 24, a day, a week, k months with k dividing
12 or a multiple of 12 (a year step). Anything else is refused with a code.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from migrate.schedule.cron import to_quartz
from migrate.schedule.intervals import QUARTZ_DOW, from_seconds
from migrate.schedule.legacy import convert_quartz
from migrate.schedule.quartz import QuartzError, QuartzSchedule, parse_quartz, set_text
from migrate.schedule.result import (
    DOM_OR_DOW,
    INVALID_SYNTAX,
    NEEDS_START,
    UNSUPPORTED_INTERVAL,
    Converted,
    Rejection,
)
from migrate.schedule.timezone import UNKNOWN_TIMEZONE, is_known_zone, shift_freq

Unit = Literal["minute", "day", "week", "month", "cron"]
# Codes of this grammar's own refusals.
OOZIE_VERSION = "OOZIE_VERSION"  # the answer depends on whether the server is Oozie 5.1 or later
FIRST_DAY_OF_WEEK = "FIRST_DAY_OF_WEEK"  # endOfWeeks depends on the server's Java locale

# The frequency EL functions: (unit, multiplier, moves the first action to the end of the unit).
FREQUENCY_FUNCTIONS: dict[str, tuple[Unit, int, bool]] = {
    "coord:minutes": ("minute", 1, False), "coord:hours": ("minute", 60, False),
    "coord:days": ("day", 1, False), "coord:endOfDays": ("day", 1, True),
    "coord:months": ("month", 1, False), "coord:endOfMonths": ("month", 1, True),
    "coord:endOfWeeks": ("week", 1, True),
}
_LITERAL_FUNCTION = re.compile(r"^\$\{\s*(coord:[A-Za-z]+)\s*\(\s*(-?\d+)\s*\)\s*\}$")
# What java.util.TimeZone makes of the three-letter ids Oozie accepts (with the JDK's default
# sun.timezone.ids.oldmapping=false): EST, MST and HST are fixed offsets, the others regions.
JAVA_SHORT_IDS = {
    "ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo", "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare", "CNT": "America/St_Johns", "CST": "America/Chicago", "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa", "ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland", "PLT": "Asia/Karachi", "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
    "EST": "Etc/GMT+5", "MST": "Etc/GMT+7", "HST": "Etc/GMT+10",
}
GMT_OFFSET = re.compile(r"^GMT([+-])(\d{2}):?(\d{2})$")
# An Oozie datetime: minutes precision, `Z` (processing zone UTC) or `+hhmm` (a GMT offset); 24:00
# is the next day's midnight (§4.1.1).
OOZIE_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(Z|[+-]\d{4})$")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")  # Python's order
# How far ahead a zone's offsets are looked at (as the time zone placement does).
HORIZON_YEARS = 10


@dataclass(frozen=True)
class Frequency:
    """A coordinator's frequency, read: `count` minutes, days, weeks or months, or a cron text."""

    unit: Unit
    count: int
    end_of: bool = False
    cron: str = ""
    source: str = ""  # as written, for messages


@dataclass(frozen=True)
class Zone:
    """A coordinator `timezone`: an IANA name, or a fixed offset from UTC (GMT+05:30)."""

    written: str
    iana: str | None = None
    offset_minutes: int = 0
    alias: str = ""  # the Java short id it was read from, when it was one

    def local(self, instant: datetime) -> datetime:
        """The wall-clock time of this zone at an (aware) instant, naive."""
        if self.iana is not None:
            return instant.astimezone(ZoneInfo(self.iana)).replace(tzinfo=None)
        return (instant.astimezone(UTC) + timedelta(minutes=self.offset_minutes)).replace(tzinfo=None)

    def instant(self, wall: datetime) -> datetime:
        """The instant of a wall-clock time of this zone (the earlier one at a repeated hour)."""
        if self.iana is not None:
            return wall.replace(tzinfo=ZoneInfo(self.iana))
        return (wall - timedelta(minutes=self.offset_minutes)).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Placed:
    """A frequency as a Quartz schedule on the wall clock of `zone` (an IANA name), written in
    canonical form (the profile hands it on as Quartz, which then reads the same text back)."""

    converted: Converted
    zone: str
    first: datetime | None = None  # the first action's instant, for an interval


# -- reading ----------------------------------------------------------------------------------------

def frequency_of(function: str, argument: int, source: str = "") -> Frequency:
    """The value of a frequency EL function such as `coord:days(1)`."""
    unit, multiplier, end_of = FREQUENCY_FUNCTIONS[function]
    if argument <= 0:
        raise Rejection(INVALID_SYNTAX, f"{source or function}: the argument must be above 0 (Oozie refuses "
                                        f"{argument})")
    return Frequency(unit, argument * multiplier, end_of, source=source or f"${{{function}({argument})}}")


def read_frequency(text: str) -> Frequency:
    """A frequency attribute whose variables are resolved: a number of minutes, a frequency EL
    function with a number, or a cron text of five fields."""
    written = text.strip()
    if written.isdigit():
        if int(written) <= 0:
            raise Rejection(INVALID_SYNTAX, f"frequency {written!r}: a number of minutes above 0")
        return Frequency("minute", int(written), source=written)
    if match := _LITERAL_FUNCTION.match(written):
        if match[1] not in FREQUENCY_FUNCTIONS:
            raise Rejection(INVALID_SYNTAX, f"frequency {written!r}: {match[1]} is not a frequency function "
                                            f"({', '.join(FREQUENCY_FUNCTIONS)})")
        return frequency_of(match[1], int(match[2]), written)
    if "${" in written:
        raise Rejection(INVALID_SYNTAX, f"frequency {written!r} is not a number of minutes, a frequency function "
                                        "such as ${coord:days(1)} or a cron text")
    if len(written.split()) != 5:
        raise Rejection(INVALID_SYNTAX, f"frequency {written!r}: an Oozie cron text has 5 fields (minute hour "
                                        f"day-of-month month day-of-week), not {len(written.split())}")
    return Frequency("cron", 0, cron=written, source=written)


def read_zone(text: str) -> Zone:
    """A coordinator `timezone` as Oozie reads it (DateUtils.getTimeZone): a Java zone id, an IANA
    name, `GMT+hh:mm` or `GMT+hhmm`, or one of Java's three-letter ids."""
    written = text.strip()
    if written in JAVA_SHORT_IDS:
        return Zone(written, JAVA_SHORT_IDS[written], alias=written)
    if match := GMT_OFFSET.match(written):
        hours, minutes = int(match[2]), int(match[3])
        if hours > 23 or minutes > 59:
            raise Rejection(UNKNOWN_TIMEZONE, f"timezone {written!r} is not an offset Java knows")
        offset = (hours * 60 + minutes) * (1 if match[1] == "+" else -1)
        return Zone(written, "UTC" if offset == 0 else None, offset)
    if written and is_known_zone(written):
        return Zone(written, written)
    raise Rejection(UNKNOWN_TIMEZONE, f"timezone {written!r} is not a zone Oozie reads: a region such as "
                                      "'America/Los_Angeles', 'UTC', or a fixed offset 'GMT+05:30'")


def read_datetime(text: str) -> tuple[datetime, int]:
    """An Oozie datetime (`2009-01-01T08:00Z`, `2009-01-01T13:30+0530`): the instant, and the
    offset in minutes it is written in, which is the processing timezone's."""
    written = text.strip()
    match = OOZIE_DATETIME.match(written)
    if match is None:
        raise Rejection(INVALID_SYNTAX, f"{written!r} is not an Oozie datetime such as 2009-01-01T08:00Z (UTC) or "
                                        "2009-01-01T13:30+0530 (a processing timezone of GMT+05:30)")
    year, month, day, hour, minute = (int(match[i]) for i in range(1, 6))
    offset = 0 if match[6] == "Z" else (int(match[6][1:3]) * 60 + int(match[6][3:])) * (1 if match[6][0] == "+"
                                                                                            else -1)
    try:
        wall = datetime(year, month, day, 0, minute) + timedelta(hours=hour) if hour == 24 and minute == 0 \
            else datetime(year, month, day, hour, minute)
    except ValueError as error:
        raise Rejection(INVALID_SYNTAX, f"{written!r} is not a date and time ({error})") from None
    return (wall - timedelta(minutes=offset)).replace(tzinfo=UTC), offset


# -- cron ---------------------------------------------------------------------------------------------

def convert_oozie_cron(text: str) -> Converted:
    """An Oozie cron text as the Quartz schedule Oozie evaluates, on the processing zone's clock."""
    fields = text.split()
    if len(fields) != 5:
        raise Rejection(INVALID_SYNTAX, f"{text!r}: an Oozie cron text has 5 fields, not {len(fields)}")
    minute, hour, dom, month, dow = fields
    if dow.upper() == "L":  # Oozie's documentation: L alone in day-of-week is 7 (Saturday)
        dow = "7"
    if dom == "?" and dow == "?":
        raise Rejection(INVALID_SYNTAX, f"{text!r}: day-of-month and day-of-week are both '?' (Quartz, and so "
                                        "Oozie, refuses it)")
    if dom != "?" and dow != "?":
        if dom == "*":
            dom = "?"
        elif dow == "*":
            dow = "?"
        else:
            return _either(text, minute, hour, dom, month, dow)
    return _quartz(f"0 {minute} {hour} {dom} {month} {dow}", text)


def _quartz(expression: str, source: str) -> Converted:
    converted = convert_quartz(expression)
    return Converted(converted.freq, converted.cycle, source, converted.warnings)


def _either(text: str, minute: str, hour: str, dom: str, month: str, dow: str) -> Converted:
    """Both day fields restricted: Oozie fires on the earlier of the two halves, an OR. Quartz
    says it only when one half covers every day."""
    by_date = _quartz(f"0 {minute} {hour} {dom} {month} ?", text)
    by_weekday = _quartz(f"0 {minute} {hour} ? {month} {dow}", text)
    for half in (by_date, by_weekday):
        schedule = parse_quartz(half.freq)
        if _every_day_of(schedule):
            return _quartz(f"0 {minute} {hour} * {month} ?", text)
    raise Rejection(DOM_OR_DOW, f"{text!r} runs on day(s) {dom} of the month OR on {dow} of the week (Oozie splits "
                                f"it into {by_date.freq} and {by_weekday.freq}); Quartz cannot say OR: make it two "
                                "flows by hand, or restrict one field")


def _every_day_of(schedule: QuartzSchedule) -> bool:
    dom, dow = schedule.day_of_month, schedule.day_of_week
    if not dom.any_day:
        return dom.last_offset is None and dom.nearest_weekday is None and dom.days == frozenset(range(1, 32))
    return dow.nth is None and dow.last_of is None and dow.days == frozenset(range(1, 8))


def _every_day(schedule: QuartzSchedule) -> bool:
    return _every_day_of(schedule) and len(schedule.months) == 12 and schedule.years is None


def _cron(frequency: Frequency, start: datetime | None, zone: Zone, processing_offset: int,
          version: tuple[int, ...] | None) -> Placed:
    converted = convert_oozie_cron(frequency.cron)
    schedule = parse_quartz(converted.freq)
    once_a_day = len(schedule.minutes) == 1 and len(schedule.hours) == 1
    # Oozie 5.1+ moves an action a day or more after the previous one: never the case for a cron
    # that fires several times every day, always for one that fires once a day.
    moved = zone.iana is not None and observes_dst(zone.iana) and (once_a_day or not _every_day(schedule))
    if moved and (version is None or version >= (5, 1)):
        if version is None:
            raise Rejection(OOZIE_VERSION, _version_needed(frequency.cron, zone, once_a_day))
        if not once_a_day:
            raise Rejection(UNSUPPORTED_INTERVAL, _mixed_gaps(frequency.cron, zone, version))
        if start is None:
            raise Rejection(NEEDS_START, f"{frequency.cron!r} keeps the wall-clock time its first action had in "
                                         f"{zone.written} (Oozie 5.1+): the coordinator's start is needed")
        assert zone.iana is not None
        at_start = start.astimezone(ZoneInfo(zone.iana)).utcoffset()
        assert at_start is not None
        minutes = int(at_start.total_seconds() // 60) - processing_offset
        return Placed(_shifted(converted, minutes), zone.iana)
    return Placed(_shifted(converted, -processing_offset), "UTC")


def _mixed_gaps(cron: str, zone: Zone, version: tuple[int, ...]) -> str:
    return (f"{cron!r} fires several times on some days and skips others: in Oozie {'.'.join(map(str, version))} "
            f"(5.1 and later, OOZIE-2494) an action a day or more after the previous one moves with "
            f"{zone.written}'s daylight saving and the others do not, which no single schedule says")


def _version_needed(cron: str, zone: Zone, once_a_day: bool) -> str:
    if once_a_day:
        change = (f"from Oozie 5.1 (OOZIE-2494) it keeps instead the wall-clock time in {zone.written} it had at "
                  "the coordinator's start, moving with daylight saving")
    else:
        change = (f"from Oozie 5.1 (OOZIE-2494) an action a day or more after the previous one moves with "
                  f"{zone.written}'s daylight saving and the others do not, which no single schedule says")
    return (f"{cron!r} fires on the processing zone's clock in Oozie before 5.1; {change}. Which one fired "
            "depends on the server: set [source] options = { oozie_version = \"4.3.1\" } (or the version the "
            "jobs ran on)")


def _shifted(converted: Converted, minutes: int) -> Converted:
    if not minutes:
        return converted
    shifted = shift_freq(converted.freq, minutes)
    if not isinstance(shifted, Converted):
        raise Rejection(UNSUPPORTED_INTERVAL, f"{converted.source!r} moved to another zone's clock "
                                              f"({minutes:+d} minutes): {shifted.message}")
    return Converted(shifted.freq, shifted.cycle, converted.source, converted.warnings)


@functools.lru_cache(maxsize=256)
def observes_dst(iana: str) -> bool:
    """True when the zone has daylight saving time over the horizon (java.util.TimeZone
    .inDaylightTime is what Oozie asks)."""
    zone = ZoneInfo(iana)
    now = datetime.now(UTC)
    return any((now + timedelta(days=30 * step)).astimezone(zone).dst() for step in range(12 * HORIZON_YEARS))


@functools.lru_cache(maxsize=256)
def _future_offsets(iana: str) -> frozenset[int]:
    """The zone's offsets (minutes) from now to the horizon, sampled every fortnight."""
    zone = ZoneInfo(iana)
    now = datetime.now(UTC)
    found = set()
    for step in range(26 * HORIZON_YEARS):
        offset = (now + timedelta(days=14 * step)).astimezone(zone).utcoffset()
        assert offset is not None
        found.add(int(offset.total_seconds() // 60))
    return frozenset(found)


def _offsets(iana: str, start: datetime) -> frozenset[int]:
    """The offsets the zone has at `start` and from now on: those that decide a pattern's place."""
    offset = start.astimezone(ZoneInfo(iana)).utcoffset()
    assert offset is not None
    return _future_offsets(iana) | {int(offset.total_seconds() // 60)}


# -- intervals ------------------------------------------------------------------------------------

def _needs(start: datetime | None, frequency: Frequency) -> datetime:
    if start is None:
        raise Rejection(NEEDS_START, f"{frequency.source!r} counts from the coordinator's start, which is not known")
    return start


def _in_zone(converted: Converted, zone: Zone, first: datetime) -> Placed:
    """A schedule on `zone`'s wall clock, placed: a fixed offset is written on UTC's clock."""
    if zone.iana is not None:
        return Placed(converted, zone.iana, first)
    return Placed(_shifted(converted, -zone.offset_minutes), "UTC", first)


def _minutes(frequency: Frequency, start: datetime, zone: Zone) -> Placed:
    """A fixed number of minutes, in absolute time: on UTC's clock, or on the coordinator zone's
    when that zone keeps one offset (from `start` on); a zone with daylight saving has an hour
    that comes twice, or not at all, where absolute time has one."""
    fixed = zone.iana is not None and len(_offsets(zone.iana, start)) == 1
    own = zone if fixed else Zone("UTC", "UTC")
    converted = from_seconds(frequency.count * 60, own.local(start), frequency.source)
    return Placed(converted, own.iana or "UTC", start)


def _days(frequency: Frequency, start: datetime, zone: Zone) -> Placed:
    first = zone.local(start)
    if frequency.end_of:  # moveToEnd: always to the next midnight, even from one
        first = datetime.combine(first.date() + timedelta(days=1), datetime.min.time())
    if frequency.count not in (1, 7):
        raise Rejection(UNSUPPORTED_INTERVAL, f"{frequency.source!r} runs every {frequency.count} days, which drifts "
                                              "against weeks and months: a flow schedule can run every day or every "
                                              "week")
    return _in_zone(from_seconds(frequency.count * 86400, first, frequency.source), zone, zone.instant(first))


def _weeks(frequency: Frequency, start: datetime, zone: Zone, first_day: str | None) -> Placed:
    if first_day is None:
        raise Rejection(FIRST_DAY_OF_WEEK, f"{frequency.source!r} starts each week on the first day of the Oozie "
                                           "server's Java locale (Sunday in the US, Monday in much of Europe): set "
                                           "[source] options = { first_day_of_week = \"SUNDAY\" } or \"MONDAY\"")
    if frequency.count != 1:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{frequency.source!r} runs every {frequency.count} weeks: a flow "
                                              "schedule can run every week, not every n weeks")
    local = zone.local(start).date() + timedelta(days=7)
    back = (local.weekday() - WEEKDAYS.index(first_day)) % 7
    first = datetime.combine(local - timedelta(days=back), datetime.min.time())
    converted = to_quartz("0", "0", "0", ("?", str(QUARTZ_DOW[first.weekday()])), "*", "*", frequency.source)
    return _in_zone(converted, zone, zone.instant(first))


def _month_length(month: int, leap: bool) -> int:
    return (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]


def _months(frequency: Frequency, start: datetime, zone: Zone) -> Placed:
    first = zone.local(start)
    if frequency.end_of:  # moveToEnd: always to the next month's first day, even from one
        first = datetime(first.year + first.month // 12, first.month % 12 + 1, 1)
    count = frequency.count
    if 12 % count == 0:
        months = frozenset((first.month - 1 + i * count) % 12 + 1 for i in range(12 // count))
        year = "*"
    elif count % 12 == 0:
        months, year = frozenset({first.month}), f"{first.year}/{count // 12}"
    else:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{frequency.source!r} runs every {count} months, which drifts against "
                                              "the year: a flow schedule can run every k months for k dividing 12, "
                                              "or every k years")
    shortest = min(_month_length(m, False) for m in months)
    longest = max(_month_length(m, True) for m in months)
    if first.day <= shortest:
        day = str(first.day)
    elif first.day >= longest:  # always the month's last day (Calendar.add keeps to the month's end)
        day = "L"
    else:
        raise Rejection(UNSUPPORTED_INTERVAL, f"{frequency.source!r} from day {first.day}: Oozie runs on the "
                                              f"{first.day}th, or on the last day of shorter months, which no "
                                              "single Quartz day says; start on day 28 or earlier, or on the 31st")
    converted = to_quartz("0", str(first.minute), str(first.hour), (day, "?"), set_text(months, 1, 12), year,
                          frequency.source)
    return _in_zone(converted, zone, zone.instant(first))


def place_frequency(frequency: Frequency, start: datetime | None, zone: Zone, processing_offset: int = 0,
                    version: tuple[int, ...] | None = None, first_day_of_week: str | None = None) -> Placed:
    """The frequency as a Quartz schedule and the zone of its clock, or a Rejection saying why not.
    `start` is the coordinator's start (aware); `processing_offset` the processing zone's offset in
    minutes; `version` the Oozie server's, when known. The freq is in canonical form: the profile
    hands it on as Quartz, which reads it back unchanged."""
    placed = _place(frequency, start, zone, processing_offset, version, first_day_of_week)
    canonical = parse_quartz(placed.converted.freq).canonical
    return replace(placed, converted=replace(placed.converted, freq=canonical))


def _place(frequency: Frequency, start: datetime | None, zone: Zone, processing_offset: int,
           version: tuple[int, ...] | None, first_day_of_week: str | None) -> Placed:
    if frequency.unit == "cron":
        return _cron(frequency, start, zone, processing_offset, version)
    at = _needs(start, frequency)
    try:
        if frequency.unit == "minute":
            return _minutes(frequency, at, zone)
        if frequency.unit == "day":
            return _days(frequency, at, zone)
        if frequency.unit == "week":
            return _weeks(frequency, at, zone, first_day_of_week)
        return _months(frequency, at, zone)
    except QuartzError as error:
        raise Rejection(INVALID_SYNTAX, f"{frequency.source!r}: {error}") from None
