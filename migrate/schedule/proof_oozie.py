"""The proof's source side for Oozie coordinators: the frequency read from Oozie's Coordinator
Functional Specification (§4.4 "Frequency and Time-Period Representation", §4.4.3 cron syntax),
sharing no code with the converter (schedule/oozie.py).

`source_schedule` is a JSON object the oozie profile writes from the coordinator as resolved:
`{"frequency": "${coord:days(1)}", "start": "2024-01-01T01:30Z", "end": "2099-12-31T00:00Z",
"timezone": "Asia/Shanghai"}`, with `"processing_timezone": "GMT+0800"` when the export's options
name the server's `oozie.processing.timezone` and `"first_day_of_week": "MONDAY"` when they name it.

- `${coord:minutes(n)}`, `${coord:hours(n)}` and a plain number of minutes: a fixed number of
  minutes from `start`, in absolute time (the first action at `start`).
- `${coord:days(n)}`, `${coord:months(n)}`: n days or months from `start` on the wall clock of the
  coordinator's `timezone` (the spec: these are daylight-saving aware), the k-th action at start +
  k·n, so that a month from the 31st falls on a shorter month's last day.
- `${coord:endOfDays(n)}`, `${coord:endOfMonths(n)}`, `${coord:endOfWeeks(n)}`: the same from the
  start of the day, month or week after `start` in that zone (the week's first day is the
  server's, so it must be given); a `start` already at such a start is not in the spec's
  examples: `unchecked`.
- a cron text (Oozie 4.1+): Quartz's fields without seconds and year, on the clock of the
  processing timezone (`processing_timezone`, else the offset `start` is written in, which the
  spec requires to be the processing zone's), read by our Quartz evaluator (the source is Quartz
  there). A `*` in one day field while the other is restricted is that field's `?`; both
  restricted is not documented, and a coordinator `timezone` with daylight saving makes the
  answer depend on the server's version (OOZIE-2494): both `unchecked`.
Actions are at nominal times from `start` to before `end`. A `start` after the compared span
begins, or an `end` inside it, is `unchecked` (the flow's start date and END_DATE are not
compared); an `end` that has passed (the flow is saved inactive) leaves the rule compared.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from migrate.schedule.proof import Unchecked
from migrate.schedule.quartz import QuartzError, parse_quartz

# §4.4: the frequency EL functions, with the calendar unit each counts in.
FUNCTION = re.compile(r"\$\{\s*coord:(minutes|hours|days|months|endOfDays|endOfMonths|endOfWeeks)"
                      r"\s*\(\s*(\d+)\s*\)\s*\}")
# §4.1 "Datetime": yyyy-MM-ddTHH:mmZ, or with the processing zone's offset (+hhmm).
DATETIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(Z|[+-]\d\d:?\d\d)")
GMT_OFFSET = re.compile(r"GMT([+-])(\d{1,2}):?(\d\d)?")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def _offset(text: str) -> timedelta:
    if text == "Z":
        return timedelta(0)
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def _datetime(text: str, what: str) -> tuple[datetime, timedelta]:
    """An Oozie datetime: the UTC instant and the offset it is written in."""
    match = DATETIME.fullmatch(text.strip())
    if match is None:
        raise Unchecked(f"{what} {text!r} is not an Oozie datetime such as 2009-01-01T08:00Z")
    offset = _offset(match[6])
    year, month, day, hour, minute = (int(match[i]) for i in range(1, 6))
    return (datetime(year, month, day, hour, minute) - offset).replace(tzinfo=UTC), offset


def _zone(text: str) -> ZoneInfo | timezone:
    """The coordinator's `timezone`: an IANA name, `UTC`, or `GMT±hh:mm`."""
    written = text.strip()
    if match := GMT_OFFSET.fullmatch(written):
        sign = 1 if match[1] == "+" else -1
        return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3] or 0)))
    try:
        return ZoneInfo(written)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unchecked(f"timezone {written!r} is not an IANA zone or GMT offset this proof reads") from None


def _has_daylight_saving(zone: ZoneInfo | timezone, around: datetime) -> bool:
    offsets = {zone.utcoffset(around.replace(tzinfo=None) + timedelta(days=d)) for d in range(0, 366, 30)}
    return len(offsets) > 1


def _wall(instant: datetime, zone: ZoneInfo | timezone) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _instant(wall: datetime, zone: ZoneInfo | timezone) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _calendar_walls(first: datetime, step: relativedelta, skip: int) -> Iterator[datetime]:
    """first + k·step, from k = skip: each counted from the first, as the spec's monthly example."""
    return (first + step * k for k in itertools.count(skip))


def _first_of_next(wall: datetime, unit: str, first_day_of_week: str | None) -> datetime:
    """The start of the day, month or week after the one `wall` is in (endOf… functions)."""
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "endOfDays":
        at_start = wall == midnight
        moved = midnight + timedelta(days=1)
    elif unit == "endOfMonths":
        at_start = wall == midnight.replace(day=1)
        moved = midnight.replace(day=1) + relativedelta(months=1)
    else:
        if first_day_of_week is None:
            raise Unchecked("${coord:endOfWeeks(n)}: the week's first day is the Oozie server's Java locale's, "
                            "which the export's options do not name (first_day_of_week)")
        first = WEEKDAYS.index(first_day_of_week.upper())
        back = (wall.weekday() - first) % 7
        at_start = wall == midnight - timedelta(days=back) and back == 0
        moved = midnight - timedelta(days=back) + timedelta(days=7)
    if at_start:
        raise Unchecked(f"${{coord:{unit}(n)}} with a start already at the start of its unit is not in the spec's "
                        "examples")
    return moved


def _interval(unit: str, count: int, start: datetime, zone: ZoneInfo | timezone, after: datetime,
              first_day_of_week: str | None) -> Iterator[datetime]:
    """The nominal times of an EL frequency, as UTC instants from a little before `after`."""
    if count <= 0:
        raise Unchecked(f"a frequency of {count}")
    if unit in ("minutes", "hours"):
        step = timedelta(minutes=count * (60 if unit == "hours" else 1))
        skip = max(0, (after - start) // step)
        return (start + step * k for k in itertools.count(skip))
    first_wall = _wall(start, zone)
    if unit.startswith("endOf"):
        first_wall = _first_of_next(first_wall, unit, first_day_of_week)
    calendar_step = {"days": relativedelta(days=count), "endOfDays": relativedelta(days=count),
                     "months": relativedelta(months=count), "endOfMonths": relativedelta(months=count),
                     "endOfWeeks": relativedelta(weeks=count)}[unit]
    # the longest a step can be, in days (a month as 31), so that skipping never passes `after`
    longest_days = {"days": 1, "endOfDays": 1, "months": 31, "endOfMonths": 31, "endOfWeeks": 7}[unit] * count
    skip = max(0, (_wall(after, zone) - first_wall).days // longest_days - 2)
    return (_instant(wall, zone) for wall in _calendar_walls(first_wall, calendar_step, skip))


def _cron(text: str, processing: timezone, zone: ZoneInfo | timezone, start: datetime,
          after: datetime) -> Iterator[datetime]:
    fields = text.split()
    if len(fields) != 5:
        raise Unchecked(f"cron frequency {text!r} does not have 5 fields")
    if _has_daylight_saving(zone, start):
        raise Unchecked(f"a cron frequency in a coordinator timezone with daylight saving ({zone}): whether its "
                        "actions move with it depends on the Oozie server's version (OOZIE-2494)")
    minute, hour, dom, month, dow = fields
    if dom != "?" and dow != "?":
        if dom == "*":
            dom = "?"
        elif dow == "*":
            dow = "?"
        else:
            raise Unchecked(f"cron frequency {text!r}: both day fields restricted is not documented")
    try:
        schedule = parse_quartz(f"0 {minute} {hour} {dom} {month} {dow}")
    except QuartzError as error:
        raise Unchecked(f"cron frequency {text!r}: {error}") from None
    walls = schedule.fire_times(_wall(after, processing))
    return (_instant(wall, processing) for wall in walls)


def _document(source: str) -> dict[str, Any]:
    try:
        value = json.loads(source)
    except json.JSONDecodeError:
        raise Unchecked(f"{source!r} is not the oozie profile's JSON form") from None
    if not isinstance(value, dict) or not {"frequency", "start", "timezone"} <= set(value):
        raise Unchecked(f"{source!r}: frequency, start and timezone are needed")
    return value


def oozie_fires(source: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    """The coordinator's nominal times as UTC instants within [begin, end]."""
    document = _document(source)
    start, written_offset = _datetime(str(document["start"]), "start")
    # A coordinator that starts inside the span materializes from its start (the filter below): the
    # flow's start day, which the mapping moves to that of the first run (FIRST_DAY for the rest), is compared.
    stop = _datetime(str(document["end"]), "end")[0] if document.get("end") else None
    if stop is not None and begin < stop < end:
        raise Unchecked(f"the coordinator ends at {document['end']}, inside the compared span: a flow has no end "
                        "(END_DATE names it), so the freq fires on after it")
    zone = _zone(str(document["timezone"]))
    after = begin - timedelta(days=2)
    frequency = str(document["frequency"]).strip()
    if match := FUNCTION.fullmatch(frequency):
        instants = _interval(match[1], int(match[2]), start, zone, after, document.get("first_day_of_week"))
    elif frequency.isdigit():
        instants = _interval("minutes", int(frequency), start, zone, after, None)
    elif "${" in frequency:
        raise Unchecked(f"frequency {frequency!r} is not a literal frequency function")
    else:
        processing = document.get("processing_timezone")
        clock = _zone(str(processing)) if processing else timezone(written_offset)
        if not isinstance(clock, timezone):
            if str(processing) not in ("UTC", "GMT"):
                raise Unchecked(f"processing timezone {processing!r} is not UTC or a GMT offset")
            clock = UTC
        instants = _cron(frequency, clock, zone, start, after)
    return (t for t in _until(instants, end) if t >= begin and t >= start)


def _until(instants: Iterator[datetime], end: datetime) -> Iterator[datetime]:
    for instant in instants:
        if instant > end:
            return
        yield instant

