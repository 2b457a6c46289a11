"""The proof's source side for the grammars that profiles convert themselves (schedule/proof.py):
each read here from its own documentation, sharing no code with its converter.

* `robfig` (Kubernetes CronJobs, robfig/cron v3 `ParseStandard`): the fields' sets by cronsim
  (robfig's fields are Vixie's, read with `?` as `*`), combined by robfig's own day rule: the day
  fields are ANDed when either has a `*` or `?` term with no step above 1, else ORed (parser.go,
  `getRange` and `dayMatches`). Descriptors and `@every <Go duration>` (an interval from the anchor).
* `eventbridge` (`cron(…)` and `rate(…)`): an evaluator written from the table of AWS's "Schedule
  expressions" page: six fields, one of the day fields `?`, `L`, `W`, `#`, names, ranges, steps.
  What the table does not document (`LW`, `dL`, wrapping ranges) is `unchecked`.
* `azkaban` (a period from the first scheduled time): the period added as Joda-Time adds one in
  the schedule's zone, each time to the time before (Azkaban's Schedule.getNextRuntime): `s`, `m`,
  `h` as fixed durations, `d`, `w`, `M`, `y` on the wall clock, a time a daylight-saving gap skips
  moved forward by the gap and a day past a shorter month's end kept at its last day (Joda's
  documented adjustments), for good, since the next addition starts from the moved time. Whether
  fetchSchedules' milliseconds were a fixed duration or a day in a zone with daylight saving is
  not documented: `unchecked`.
* `systemd`, `windows` / `schtasks`, `oozie`, `controlm`: schedule/proof_systemd.py,
  proof_windows.py, proof_oozie.py, proof_controlm.py, each from its grammar's documentation.
* anything else (Rundeck's structured schedule): no independent evaluator here, so
  `unchecked`, with the grammar named.
"""

from __future__ import annotations

import calendar
import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from migrate.schedule.proof import (
    Unchecked,
    _cronsim_walls,
    _instant,
    _merged,
    _search_start,
    _walls_to_instants,
    interval_fires,
)
from migrate.schedule.quartz import QuartzError, parse_quartz

# robfig/cron v3 README, "Predefined schedules".
ROBFIG_DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                      "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                      "@hourly": "0 * * * *"}
# Go's time.ParseDuration units.
GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
GO_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")

WHY_NOT: dict[str, str] = {
}


def source_fires(source: str, grammar: str, zone: str, anchor: datetime | None, begin: datetime,
                 end: datetime) -> Iterator[datetime]:
    if grammar == "robfig":
        return _robfig(source, zone, anchor, begin, end)
    if grammar == "eventbridge":
        return _eventbridge(source, zone, anchor, begin, end)
    if grammar == "systemd":
        from migrate.schedule.proof_systemd import systemd_fires

        return systemd_fires(source, zone, begin, end)
    if grammar == "oozie":
        from migrate.schedule.proof_oozie import oozie_fires

        return oozie_fires(source, begin, end)
    if grammar in ("windows", "schtasks"):
        from migrate.schedule.proof_windows import windows_fires

        return windows_fires(source, grammar, zone, begin, end)
    if grammar == "azkaban":
        return _azkaban(source, zone, begin, end)
    if grammar == "rundeck":
        return _rundeck(source, zone, begin, end)
    if grammar == "controlm":
        from migrate.schedule.proof_controlm import controlm_fires

        return controlm_fires(source, zone, begin, end)
    raise Unchecked(WHY_NOT.get(grammar, f"no independent evaluator of the {grammar!r} grammar"))


# --- Rundeck ---------------------------------------------------------------------------------------


def _rundeck_field(value: object, key: str) -> str | None:
    """A structured field as the export writes it: a value, or a map holding it under `key`."""
    if isinstance(value, dict):
        value = value.get(key)
    return str(value).strip().upper() if value not in (None, "") else None


def _rundeck(source: str, zone: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    """Rundeck's structured schedule (`time` hour, minute, seconds; `weekday`; `month`;
    `dayofmonth`; `year`) as Rundeck runs it: its Quartz trigger, written the way Rundeck's own
    ScheduledExecution.generateCrontabExression joins the fields (seconds default 0, a day of month
    or else the weekdays, the other day field `?`), read by the Quartz evaluator. Written here from
    that rule, not taken from the profile's conversion."""
    try:
        data = json.loads(source)
    except ValueError:
        raise Unchecked(f"{source!r} is not a structured Rundeck schedule") from None
    if not isinstance(data, dict) or not isinstance(data.get("time"), dict):
        raise Unchecked(f"{source!r} is not a structured Rundeck schedule (no time)")
    time = data["time"]
    dom = _rundeck_field(data.get("dayofmonth"), "day")
    dom = None if dom in (None, "?") else dom
    fields = [_rundeck_field(time.get("seconds"), "seconds") or "0",
              _rundeck_field(time.get("minute"), "minute") or "0",
              _rundeck_field(time.get("hour"), "hour") or "0", dom or "?",
              _rundeck_field(data.get("month"), "month") or "*",
              "?" if dom else (_rundeck_field(data.get("weekday"), "day") or "*"),
              _rundeck_field(data.get("year"), "year") or "*"]
    try:
        walls = parse_quartz(" ".join(fields)).fire_times(_search_start(begin, zone))
    except QuartzError as error:
        raise Unchecked(f"Rundeck's trigger {' '.join(fields)!r} is no Quartz expression ({error})") from None
    return _walls_to_instants(walls, zone, begin, end)


# --- robfig ----------------------------------------------------------------------------------------


def _go_seconds(text: str) -> float:
    position, total = 0, 0.0
    while position < len(text):
        match = GO_TERM.match(text, position)
        if match is None:
            raise Unchecked(f"{text!r} is not a Go duration")
        total += float(match[1]) * GO_UNITS[match[2]]
        position = match.end()
    return total


def _robfig_star(field: str) -> bool:
    """robfig's star bit: some term is `*` or `?` with no step above 1."""
    for term in field.split(","):
        head, _, step = term.partition("/")
        if head.split("-")[0] in ("*", "?") and (not step or int(step) <= 1):
            return True
    return False


ROBFIG_DAYS = {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


def robfig_day_of_week(field: str) -> str:
    """A robfig day of the week as the days it names, a list cronsim (and the words) read alike.
    robfig reads `N/step` as `N-max/step`, and its day of the week ends at 6 (Saturday): `5/1` is
    Friday and Saturday, `6/1` Saturday alone. cronsim's runs to 7, Sunday again, and reads an
    `a-a` range oddly: the days are written out (robfig/cron v3 parser.go, getRange). A term robfig
    would not read is left as written, for cronsim to refuse."""
    if field in ("*", "?") or _robfig_star(field):  # a star (`*/1`, `1,*`): robfig ANDs the day fields
        return "*"
    days: set[int] = set()
    for term in field.split(","):
        head, slash, step = term.partition("/")
        low, dash, high = head.partition("-")
        first, last = (0, 6) if head in ("*", "?") else (_robfig_day(low), _robfig_day(high) if dash else None)
        if first is None or (slash and (not step.isdigit() or int(step) == 0)) or (dash and last is None):
            return field
        last = last if last is not None else 6 if slash else first
        days.update(range(first, last + 1, int(step) if slash else 1))
    return ",".join(str(day) for day in sorted(days)) if days else field


def _robfig_day(text: str) -> int | None:
    return int(text) if text.isdigit() else ROBFIG_DAYS.get(text.upper())


def _robfig(source: str, zone: str, anchor: datetime | None, begin: datetime, end: datetime) -> Iterator[datetime]:
    text = source.strip()
    for prefix in ("CRON_TZ=", "TZ="):
        if text.startswith(prefix):
            named, _, text = text.partition(" ")
            zone, text = named.removeprefix(prefix), text.strip()
    if text.startswith("@every "):
        if anchor is None:
            raise Unchecked("@every with no anchor")
        seconds = int(_go_seconds(text.removeprefix("@every ").strip()))
        return interval_fires(timedelta(seconds=max(seconds, 1)), anchor, zone, begin, end)
    if text.startswith("@"):
        if text not in ROBFIG_DESCRIPTORS:
            raise Unchecked(f"{text!r} is not a robfig descriptor")
        text = ROBFIG_DESCRIPTORS[text]
    fields = text.split()
    if len(fields) != 5:
        raise Unchecked(f"{text!r}: robfig's standard parser takes 5 fields")
    minute, hour, dom, month, dow = (f.replace("?", "*") for f in fields)
    dow = robfig_day_of_week(dow)
    after = _search_start(begin, zone)
    if _robfig_star(fields[2]) or _robfig_star(fields[4]):  # AND: a star field holds every day
        dom, dow = ("*" if _robfig_star(fields[2]) else dom), ("*" if _robfig_star(fields[4]) else dow)
        walls = _cronsim_walls(f"{minute} {hour} {dom} {month} {dow}", after)
    else:  # OR: the days of either field
        walls = _merged(_days_of_the_month(f"{minute} {hour} {dom} {month} *", after),
                        _cronsim_walls(f"{minute} {hour} * {month} {dow}", after))
    return _walls_to_instants(walls, zone, begin, end)


def _days_of_the_month(expression: str, after: datetime) -> Iterator[datetime]:
    """The walls of an OR's day-of-month half: none where its days never come in its months (`31 2`,
    which cronsim refuses as a schedule of its own), robfig firing on the other half's days alone."""
    from cronsim import CronSim, CronSimError

    try:
        CronSim(expression, after)
    except CronSimError as error:
        if "day-of-month" in str(error):
            return iter(())
    return _cronsim_walls(expression, after)


# --- EventBridge -----------------------------------------------------------------------------------

EB_MONTHS = {n: i for i, n in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                          "NOV", "DEC"], 1)}
EB_DAYS = {n: i for i, n in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
# AWS: rate(value unit), unit minute(s), hour(s), day(s).
EB_RATE = re.compile(r"rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)", re.IGNORECASE)
EB_CRON = re.compile(r"cron\((.*)\)", re.IGNORECASE | re.DOTALL)


def _eb_value(token: str, names: dict[str, int] | None, lo: int, hi: int) -> int:
    upper = token.upper()
    value = names[upper] if names and upper in names else int(token) if token.isdigit() else None
    if value is None or not lo <= value <= hi:
        raise Unchecked(f"{token!r} is outside the documented values {lo}-{hi}")
    return value


def _eb_set(text: str, lo: int, hi: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """`,` lists, `-` ranges, `*`, and `/` increments (from the start to the field's end). A range
    may wrap past the field's end (AWS's own example: hours `20-2`)."""
    values: set[int] = set()
    for term in text.split(","):
        head, slash, step_text = term.partition("/")
        step = int(step_text) if slash and step_text.isdigit() else 1 if not slash else 0
        if step < 1:
            raise Unchecked(f"{term!r}: not a documented increment")
        if head == "*":
            first, last = lo, hi
        elif "-" in head:
            first, last = (_eb_value(part, names, lo, hi) for part in head.split("-", 1))
            if first > last:  # around the field's end: first..hi, then lo..last, one count of steps
                values.update(lo + (v - lo) % (hi - lo + 1)
                              for v in range(first, last + (hi - lo + 1) + 1, step))
                continue
        else:
            first = _eb_value(head, names, lo, hi)
            last = hi if slash else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _weekday(day: date) -> int:
    return day.isoweekday() % 7 + 1  # 1 = Sunday, as EventBridge numbers them


def _eb_day_matcher(dom: str, dow: str) -> tuple[str, object]:
    """The day rule: ("dom", set | "L" | ("W", n)) or ("dow", set | ("#", day, n) | ("L", day, 0))."""
    if (dom == "?") == (dow == "?"):
        raise Unchecked(f"{dom} {dow}: one of day-of-month and day-of-week must be ?")
    if dow == "?":
        if dom.upper() == "L":
            return "dom", "L"
        if match := re.fullmatch(r"(\d+)W", dom.upper()):
            return "dom", ("W", int(match[1]))
        if re.search(r"[LW#]", dom.upper()):
            raise Unchecked(f"{dom!r}: not in the documented table")
        return "dom", _eb_set(dom, 1, 31)
    upper = dow.upper()
    if upper == "L":
        return "dow", frozenset({7})  # the last day of the week
    if match := re.fullmatch(r"([1-7]|[A-Z]{3})#([1-5])", upper):
        return "dow", ("#", _eb_value(match[1], EB_DAYS, 1, 7), int(match[2]))
    if match := re.fullmatch(r"([1-7]|[A-Z]{3})L", upper):  # AWS's example `6L`: the last Friday of the month
        return "dow", ("L", _eb_value(match[1], EB_DAYS, 1, 7), 0)
    if "L" in upper or "#" in upper:  # no day name holds an L: `5L` and the like
        raise Unchecked(f"{dow!r}: not in the documented table")
    return "dow", _eb_set(dow, 1, 7, EB_DAYS)


def _nearest_weekday(year: int, month: int, day: int) -> int | None:
    """`nW`: the weekday nearest day n, within the month (none when the month has no day n)."""
    length = calendar.monthrange(year, month)[1]
    if day > length:
        return None
    weekday = _weekday(date(year, month, day))
    if weekday == 7:  # Saturday: the Friday before, or the Monday after when n is the 1st
        return day + 2 if day == 1 else day - 1
    if weekday == 1:  # Sunday: the Monday after, or the Friday before when n is the last day
        return day - 2 if day == length else day + 1
    return day


def _eb_day_matches(rule: tuple[str, object], day: date) -> bool:
    kind, spec = rule
    if kind == "dom":
        if spec == "L":
            return day.day == calendar.monthrange(day.year, day.month)[1]
        if isinstance(spec, tuple):
            return day.day == _nearest_weekday(day.year, day.month, spec[1])
        return isinstance(spec, frozenset) and day.day in spec
    if isinstance(spec, tuple):
        kind_of_day, weekday, nth = spec
        if kind_of_day == "L":  # the last such day: a week later is in the next month
            return bool(_weekday(day) == weekday and day.day + 7 > calendar.monthrange(day.year, day.month)[1])
        return bool(_weekday(day) == weekday and (day.day - 1) // 7 + 1 == nth)
    return isinstance(spec, frozenset) and _weekday(day) in spec


def _eventbridge(source: str, zone: str, anchor: datetime | None, begin: datetime,
                 end: datetime) -> Iterator[datetime]:
    text = source.strip()
    if match := EB_RATE.fullmatch(text):
        value, unit = int(match[1]), match[2].lower().rstrip("s")
        step = timedelta(**{f"{unit}s": value})
        if anchor is None and step == timedelta(minutes=1):
            anchor = datetime(2000, 1, 1, tzinfo=UTC)  # every minute: no phase to know
        if anchor is None:
            raise Unchecked("rate(…) with no anchor")
        # A flow fires on the minute: a rate counted from an instant with seconds (a CreationDate)
        # is compared from its minute, a shift the profile says (RATE_ANCHOR).
        return interval_fires(step, anchor.replace(second=0, microsecond=0), zone, begin, end)
    match = EB_CRON.fullmatch(text)
    if match is None:
        raise Unchecked(f"{text!r} is neither cron(…) nor rate(…)")
    fields = match[1].split()
    if len(fields) != 6:
        raise Unchecked(f"{text!r}: EventBridge cron takes 6 fields")
    minutes, hours = _eb_set(fields[0], 0, 59), _eb_set(fields[1], 0, 23)
    months = _eb_set(fields[3], 1, 12, EB_MONTHS)
    years = _eb_set(fields[5], 1970, 2199)
    rule = _eb_day_matcher(fields[2], fields[4])
    times = sorted((h, m) for h in hours for m in minutes)
    first_day = _search_start(begin, zone).date()
    last_day = end.date() + timedelta(days=2)

    def walls() -> Iterator[datetime]:
        for offset in itertools.count():
            day = first_day + timedelta(days=offset)
            if day > last_day:
                return
            if day.year in years and day.month in months and _eb_day_matches(rule, day):
                for hour, minute in times:
                    yield datetime(day.year, day.month, day.day, hour, minute)

    return _walls_to_instants(walls(), zone, begin, end)


# --- Azkaban periods --------------------------------------------------------------------------------

# Azkaban's period strings: the triggers and schedules tables' `1d` (TimeUtils.parsePeriodString),
# fetchSchedule's `1 day(s)`, fetchSchedules' milliseconds.
AZ_SHORT = re.compile(r"\s*(\d+)\s*([smhdwMy])\s*")
AZ_SPELLED = re.compile(r"\s*(\d+)\s+(second|minute|hour|day|week|month|year)\(s\)\s*", re.IGNORECASE)
AZ_UNITS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w", "month": "M", "year": "y"}
AZ_FIXED = {"s": 1, "m": 60, "h": 3600}


def _azkaban_period(text: str, zone: str) -> tuple[int, str]:
    """(count, unit) of a period; milliseconds as seconds where no calendar unit can be meant."""
    if match := AZ_SHORT.fullmatch(text):
        return int(match[1]), match[2]
    if match := AZ_SPELLED.fullmatch(text):
        return int(match[1]), AZ_UNITS[match[2].lower()]
    if text.strip().isdigit():
        milliseconds = int(text)
        offsets = {ZoneInfo(zone).utcoffset(datetime(2025, month, 1)) for month in (1, 7)}
        if milliseconds % 86_400_000 == 0 and len(offsets) > 1:
            raise Unchecked(f"a period of {milliseconds} ms in {zone}: a day on the wall clock or a fixed duration "
                            "(fetchSchedules does not say)")
        if milliseconds % 1000:
            raise Unchecked(f"a period of {milliseconds} ms is not whole seconds")
        return milliseconds // 1000, "s"
    raise Unchecked(f"{text!r} is not an Azkaban period such as 1d, 12h or 30m")


def _azkaban(source: str, zone: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    """`{"period": "1d", "first": wall-clock time of the first run, "timezone": its zone}`."""
    try:
        document = json.loads(source)
        period, first = str(document["period"]), datetime.fromisoformat(str(document["first"]))
    except (ValueError, KeyError, TypeError):
        raise Unchecked(f"{source!r} is not the azkaban profile's JSON form (period, first, timezone)") from None
    zone = str(document.get("timezone") or zone)
    count, unit = _azkaban_period(period, zone)
    if count <= 0:
        raise Unchecked(f"a period of {period!r}")
    # From its first time on, which may be inside the span: the flow starts that day (source_start).
    if unit in AZ_FIXED:  # a fixed duration: on UTC's clock
        return interval_fires(timedelta(seconds=count * AZ_FIXED[unit]), _instant(first, zone), zone, begin, end)
    step = relativedelta(days=count * (7 if unit == "w" else 1)) if unit in ("d", "w") else \
        relativedelta(months=count * (12 if unit == "y" else 1))
    return _walls_to_instants(_joda_walls(first, step, zone), zone, max(begin, _instant(first, zone)), end)


def _joda_walls(first: datetime, step: relativedelta, zone: str) -> Iterator[datetime]:
    """`first`, and each wall time Joda-Time's DateTime.plus(period) makes from the one before it:
    the period added on the wall clock (relativedelta, like Joda, keeps a day past a shorter
    month's end at that month's last day), then read at the offset in force before it (fold 0, as
    Joda's getOffsetFromLocal), so a time in a daylight-saving gap comes out the gap's length later."""
    tz = ZoneInfo(zone)
    wall = first
    while True:
        yield wall
        wall = (wall + step).replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
