"""The proof's source side for Windows Task Scheduler: triggers read from Microsoft's Task
Scheduler schema pages, sharing no code with the converters (schedule/taskxml.py, legacy.py).

Two spellings of one model, as `source_schedule` carries them:
- `windows` (the taskxml profile): the task's `<Triggers>` element as XML, namespaces dropped.
  `CalendarTrigger` with `ScheduleByDay` (`DaysInterval`: every n days from `StartBoundary`'s day),
  `ScheduleByWeek` (`DaysOfWeek`, `WeeksInterval` 1), `ScheduleByMonth` (`DaysOfMonth` numbers
  and `Last`, `Months`), `ScheduleByMonthDayOfWeek` (`Weeks` 1-4 and `Last`: the nth such weekday
  of the month, or its last; `DaysOfWeek`, `Months`), and `TimeTrigger` (once, at
  `StartBoundary`). Each fires at `StartBoundary`'s time of day, not before it; a `Repetition`
  restarts every `Interval` from each firing while the time is before firing + `Duration` (end
  exclusive, docs/sources.md), for ever with no `Duration`. `Enabled` false never fires; boot,
  logon, event and idle triggers fire at no time and are left out.
- `schtasks` (the schtasks profile): a JSON list, one object a trigger, of the CSV's columns as
  the profile reads them (`Schedule Type` Daily/Weekly/Monthly/One Time Only, `Start Time` in 24-
  or 12-hour form, `Start Date` and `End Date` as ISO dates, `Days`, `Months`, `Repeat: Every`,
  `Repeat: Until: Time`, `Repeat: Until: Duration`), read into the same model.

A boundary is an xs:dateTime (the schema's type for `StartBoundary` and `EndBoundary`:
`yyyy-mm-ddThh:mm:ss`, a fraction of a second `.s+`, an offset `Z` or `±hh:mm`); what is not one
is `unchecked`. One with an offset is at that fixed offset; one without is the machine's zone (the
flow's). The rule this proof applies to a fraction: the start is read at the whole second it falls
in. Task Scheduler writes a start set from the clock with one (`20:35:13.2757294`) and fires that
fraction after the second; a flow fires on whole seconds, so no freq can carry it, and the taskxml
profile names it (SUBSECOND_START); compared as written, every firing would differ by 0.2757 s and
no schedule could be proved. The end keeps its fraction (it is only compared with the span's bounds).

What the pages leave open is `unchecked`, that case only: `WeeksInterval` above 1 (which week
counts first), a `ScheduleByMonth` without `DaysOfMonth` or `Months`, a `ScheduleByMonthDayOfWeek`
without `Weeks`, a duration in months or years. A trigger that starts after the compared span
begins, or ends inside it, is `unchecked` too: the saved flow's start date and END_DATE are not part
of the comparison, so the proof would show a difference that is theirs, not the schedule's. One
whose end has passed (the flow is saved inactive) is compared as its rule, without the end.
"""

from __future__ import annotations

import calendar
import heapq
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from migrate.schedule.proof import Unchecked, _instant, _search_start

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december")
# The XML duration type as the Interval and Duration pages write it: PnYnMnDTnHnMnS.
XML_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
# schtasks' CSV: `0 Hour(s), 15 Minute(s)`.
HOURS_MINUTES = re.compile(r"^\s*(\d+)\s*Hour\(s\),\s*(\d+)\s*Minute\(s\)\s*$", re.IGNORECASE)
EVERY_N = re.compile(r"^\s*Every\s+(\d+)\s+(day|week|month)", re.IGNORECASE)
# xs:dateTime (XML Schema Part 2, 3.2.7), as the task schema types a boundary; a year of four digits.
XS_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?")
CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2}):(\d{2})\s*(?:([AaPp])\.?\s*[Mm]\.?)?\s*$")
NOT_SET = ("", "n/a", "disabled", "none")


@dataclass
class WindowsTrigger:
    kind: str  # daily, weekly, monthly, monthly_dow, once
    start: datetime  # StartBoundary as a wall-clock time
    offset: timedelta | None  # the boundary's offset; None: the machine's zone
    every_days: int = 1
    weekdays: frozenset[int] = frozenset()  # Monday 0
    days: frozenset[int] = frozenset()
    last_day: bool = False
    weeks: frozenset[int] = frozenset()  # 1-4
    last_week: bool = False
    months: frozenset[int] = frozenset(range(1, 13))
    repeat_every: timedelta | None = None
    repeat_for: timedelta | None = None  # None: for ever
    end: datetime | None = None  # EndBoundary, wall-clock in the same clock as start
    end_offset: timedelta | None = field(default=None)


# --- reading -------------------------------------------------------------------------------------


def _duration(text: str, what: str) -> timedelta:
    match = XML_DURATION.fullmatch(text.strip())
    if match is None or text.strip() in ("P", "PT"):
        raise Unchecked(f"{what} {text!r} is not an XML duration")
    years, months, days, hours, minutes, seconds = (int(v or 0) for v in match.groups())
    if years or months:
        raise Unchecked(f"{what} {text!r}: a length in months or years is not a fixed time")
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _boundary(text: str) -> tuple[datetime, timedelta | None]:
    """An xs:dateTime: its wall-clock time (to the microsecond) and its offset (None: no offset)."""
    match = XS_DATE_TIME.fullmatch(text.strip())
    if match is None:
        raise Unchecked(f"boundary {text!r} is not an xs:dateTime such as 2025-01-31T08:00:00")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    microsecond = int((match[7] or "0")[:6].ljust(6, "0"))  # beyond a microsecond nothing is compared
    try:
        at = datetime(year, month, day, hour, minute, second, microsecond)
    except ValueError:
        raise Unchecked(f"boundary {text!r} is not a date and time") from None
    zone = match[8]
    if zone is None:
        return at, None
    if zone == "Z":
        return at, timedelta(0)
    sign = 1 if zone[0] == "+" else -1
    return at, sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(element: Element, name: str) -> Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: Element | None, name: str) -> str:
    found = _child(element, name) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _names(element: Element | None, names: tuple[str, ...], what: str) -> frozenset[int]:
    """Child elements named after days or months (`<Monday/>`), as their numbers."""
    if element is None:
        return frozenset()
    found = set()
    for child in element:
        name = _local(child.tag).lower()
        if name not in names:
            raise Unchecked(f"<{_local(child.tag)}> is not one of the {what}")
        found.add(names.index(name))
    return frozenset(found)


def _xml_trigger(element: Element) -> WindowsTrigger | None:
    """One trigger element; None when it fires at no time (disabled, boot, logon …)."""
    kind = _local(element.tag)
    if _text(element, "Enabled").lower() == "false" or kind not in ("CalendarTrigger", "TimeTrigger"):
        return None
    start, offset = _boundary(_text(element, "StartBoundary"))
    trigger = WindowsTrigger("once", start.replace(microsecond=0), offset)  # the whole second (see above)
    if end_text := _text(element, "EndBoundary"):
        trigger.end, trigger.end_offset = _boundary(end_text)
    repetition = _child(element, "Repetition")
    if repetition is not None and _text(repetition, "Interval"):
        trigger.repeat_every = _duration(_text(repetition, "Interval"), "Repetition Interval")
        if _text(repetition, "Duration"):
            trigger.repeat_for = _duration(_text(repetition, "Duration"), "Repetition Duration")
    if kind == "TimeTrigger":
        return trigger
    by_day, by_week = _child(element, "ScheduleByDay"), _child(element, "ScheduleByWeek")
    by_month, by_weekday = _child(element, "ScheduleByMonth"), _child(element, "ScheduleByMonthDayOfWeek")
    if by_day is not None:
        trigger.kind, trigger.every_days = "daily", int(_text(by_day, "DaysInterval") or "1")
    elif by_week is not None:
        if (_text(by_week, "WeeksInterval") or "1") != "1":
            raise Unchecked(f"WeeksInterval {_text(by_week, 'WeeksInterval')}: which week counts first is not "
                            "documented")
        trigger.kind = "weekly"
        trigger.weekdays = _names(_child(by_week, "DaysOfWeek"), DAY_NAMES, "days of the week")
    elif by_month is not None:
        days_element, months_element = _child(by_month, "DaysOfMonth"), _child(by_month, "Months")
        if days_element is None or months_element is None:
            raise Unchecked("a ScheduleByMonth without DaysOfMonth or Months: which days is not documented")
        trigger.kind = "monthly"
        trigger.months = frozenset(m + 1 for m in _names(months_element, MONTH_NAMES, "months"))
        _month_days(trigger, [(d.text or "").strip() for d in days_element])
    elif by_weekday is not None:
        weeks_element = _child(by_weekday, "Weeks")
        if weeks_element is None:
            raise Unchecked("a ScheduleByMonthDayOfWeek without Weeks: which weeks is not documented")
        trigger.kind = "monthly_dow"
        trigger.weekdays = _names(_child(by_weekday, "DaysOfWeek"), DAY_NAMES, "days of the week")
        if (months_element := _child(by_weekday, "Months")) is not None:
            trigger.months = frozenset(m + 1 for m in _names(months_element, MONTH_NAMES, "months"))
        _weeks(trigger, [(w.text or "").strip() for w in weeks_element])
    else:
        raise Unchecked("a CalendarTrigger with no ScheduleByDay, ByWeek, ByMonth or ByMonthDayOfWeek")
    return trigger


def _month_days(trigger: WindowsTrigger, written: list[str]) -> None:
    for day in written:
        if day.lower() == "last":
            trigger.last_day = True
        elif day.isdigit() and 1 <= int(day) <= 31:
            trigger.days |= {int(day)}
        else:
            raise Unchecked(f"day of the month {day!r} is neither 1-31 nor Last")


def _weeks(trigger: WindowsTrigger, written: list[str]) -> None:
    for week in written:
        if week.lower() == "last":
            trigger.last_week = True
        elif week in ("1", "2", "3", "4"):
            trigger.weeks |= {int(week)}
        else:
            raise Unchecked(f"week {week!r} is neither 1-4 nor Last")


def _clock(text: str) -> tuple[int, int, int]:
    match = CLOCK.match(text)
    if match is None:
        raise Unchecked(f"Start Time {text!r} is not a time of day")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3])
    if match[4]:  # 12-hour clock: 12 AM is midnight, 12 PM noon
        hour = hour % 12 + (12 if match[4].lower() == "p" else 0)
    return hour, minute, second


def _csv_minutes(text: str) -> timedelta | None:
    if text.strip().lower() in NOT_SET:
        return None
    match = HOURS_MINUTES.match(text)
    if match is None:
        raise Unchecked(f"{text!r} is not `h Hour(s), m Minute(s)`")
    return timedelta(hours=int(match[1]), minutes=int(match[2]))


def _csv_names(text: str, names: tuple[str, ...], what: str) -> frozenset[int]:
    found = set()
    for part in text.split(","):
        prefix = part.strip().lower()[:3]
        numbers = [i for i, n in enumerate(names) if n[:3] == prefix]
        if not numbers:
            raise Unchecked(f"{part.strip()!r} is not one of the {what}")
        found.add(numbers[0])
    return frozenset(found)


def _csv_trigger(row: dict[str, str]) -> WindowsTrigger | None:
    """One schtasks CSV trigger row; None for a kind that fires at no time."""
    kind = row.get("Schedule Type", "").strip().lower()
    if kind.startswith("one time only,"):  # `/sc minute` and `/sc hourly`: one start, repeated
        kind = "one time only"
    if kind not in ("daily", "weekly", "monthly", "one time only"):
        return None
    hour, minute, second = _clock(row.get("Start Time", ""))
    try:
        day = date.fromisoformat(row.get("Start Date", "").strip())
    except ValueError:
        raise Unchecked(f"Start Date {row.get('Start Date')!r} is not a date") from None
    trigger = WindowsTrigger("once", datetime(day.year, day.month, day.day, hour, minute, second), None)
    if row.get("End Date", "").strip().lower() not in NOT_SET:
        ends = date.fromisoformat(row["End Date"].strip())
        trigger.end = datetime(ends.year, ends.month, ends.day) + timedelta(days=1)  # the whole last day
    days, months = row.get("Days", "").strip(), row.get("Months", "").strip()
    if kind == "daily":
        every = EVERY_N.match(days) or EVERY_N.match(months)
        trigger.kind, trigger.every_days = "daily", int(every[1]) if every else 1
    elif kind == "weekly":
        every = EVERY_N.match(months)
        if every and every[1] != "1":
            raise Unchecked(f"{months}: which week counts first is not documented")
        trigger.kind, trigger.weekdays = "weekly", _csv_names(days, DAY_NAMES, "days of the week")
    elif kind == "monthly":
        trigger.kind = "monthly"
        _month_days(trigger, [d.strip() for d in days.split(",")])
        if months and not months.lower().startswith("every"):
            trigger.months = frozenset(m + 1 for m in _csv_names(months, MONTH_NAMES, "months"))
    trigger.repeat_every = _csv_minutes(row.get("Repeat: Every", ""))
    if trigger.repeat_every is not None:
        trigger.repeat_for = _csv_minutes(row.get("Repeat: Until: Duration", ""))
        until = row.get("Repeat: Until: Time", "").strip()
        if until.lower() not in NOT_SET:
            stop = _clock(until)
            trigger.repeat_for = timedelta(hours=stop[0] - hour, minutes=stop[1] - minute, seconds=stop[2] - second)
            if trigger.repeat_for <= timedelta(0):
                raise Unchecked(f"Repeat: Until: Time {until} is not after the start time")
    return trigger


def read_triggers(source: str, grammar: str) -> list[WindowsTrigger]:
    if grammar == "schtasks":
        rows = json.loads(source)
        if not isinstance(rows, list):
            raise Unchecked("not a JSON list of schtasks trigger rows")
        found = [_csv_trigger({str(k): str(v) for k, v in row.items()}) for row in rows]
    else:
        root = ElementTree.fromstring(source)
        found = [_xml_trigger(element) for element in root]
    triggers = [t for t in found if t is not None]
    if not triggers:
        raise Unchecked("no trigger that fires at a time")
    return triggers


# --- firing --------------------------------------------------------------------------------------


def _matches(trigger: WindowsTrigger, day: date) -> bool:
    if trigger.kind == "daily":
        return (day - trigger.start.date()).days % trigger.every_days == 0
    if trigger.kind == "weekly":
        return day.weekday() in trigger.weekdays
    if day.month not in trigger.months:
        return False
    length = calendar.monthrange(day.year, day.month)[1]
    if trigger.kind == "monthly":
        return day.day in trigger.days or (trigger.last_day and day.day == length)
    return day.weekday() in trigger.weekdays and (
        (day.day - 1) // 7 + 1 in trigger.weeks or (trigger.last_week and day.day + 7 > length))


def _activations(trigger: WindowsTrigger, last: date) -> Iterator[datetime]:
    """The trigger's own firings (before repetition), from its start."""
    if trigger.kind == "once":
        yield trigger.start
        return
    day = trigger.start.date()
    while day <= last:
        if _matches(trigger, day):
            yield datetime.combine(day, trigger.start.time())
        day += timedelta(days=1)


def _repeated(at: datetime, every: timedelta | None, lasting: timedelta | None, first: datetime,
              last: datetime) -> Iterator[datetime]:
    """A firing and its repetitions, from `first` on (skipping those before it)."""
    if every is None:
        if at >= first:
            yield at
        return
    if every <= timedelta(0):
        raise Unchecked(f"a repetition every {every} is no interval")
    k = max(0, (first - at) // every)
    while (lasting is None or k * every < lasting) and at + k * every <= last:
        yield at + k * every
        k += 1


def _to_instant(wall: datetime, offset: timedelta | None, zone: str) -> datetime:
    if offset is None:
        return _instant(wall, zone)
    return wall.replace(tzinfo=timezone(offset)).astimezone(UTC)


def _trigger_instants(trigger: WindowsTrigger, zone: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    # A trigger that starts inside the span fires from its start: the flow's start day (the mapping
    # moves it to the day of the first run, and names what differs on that day, FIRST_DAY) is compared.
    start = _to_instant(trigger.start, trigger.offset, zone)
    if trigger.end is not None and begin < _to_instant(trigger.end, trigger.end_offset or trigger.offset, zone) < end:
        raise Unchecked(f"the trigger ends at {trigger.end:%Y-%m-%dT%H:%M:%S}, inside the compared span: a flow has "
                        "no end (END_DATE names it), so the freq fires on after it")
    # the wall-clock time a day before `begin`, on the trigger's clock (its offset, else the zone's)
    first = (begin.astimezone(timezone(trigger.offset)).replace(tzinfo=None) - timedelta(days=1)
             if trigger.offset is not None else _search_start(begin, zone))
    last_wall = first + (end - begin) + timedelta(days=3)
    lasting = trigger.repeat_for
    streams = []
    for at in _activations(trigger, last_wall.date()):
        if (lasting is not None and at + lasting < first) or (trigger.repeat_every is None and at < first):
            continue
        streams.append(_repeated(at, trigger.repeat_every, lasting, first, last_wall))
    for wall in _deduplicated(heapq.merge(*streams)):
        instant = _to_instant(wall, trigger.offset, zone)
        if instant > end:
            return
        if instant >= begin and instant >= start:
            yield instant


def _deduplicated(walls: Iterator[datetime]) -> Iterator[datetime]:
    return (wall for wall, _ in itertools.groupby(walls))


def windows_fires(source: str, grammar: str, zone: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    """The triggers' fire times as UTC instants, their union."""
    triggers = read_triggers(source, grammar)
    return _deduplicated(heapq.merge(*(_trigger_instants(t, zone, begin, end) for t in triggers)))
