"""The proof's source side for Control-M jobs: the fire times of a job's scheduling criteria, read
from BMC's documentation of the job attributes (Control-M/EM utilities' names), sharing no code
with the converter (schedule/controlm.py) nor with the profile's reading of rules.

What the documentation says, and this reads:
- Order dates (ODATEs): a job is ordered on a working day whose date matches its criteria.
  `DAYS` is a comma list of `ALL`, day numbers `n` (and `a-b`), `Ln` (the n-th day from the
  month's end, `L1` the last), and `-n` / `-Ln` for days it is not ordered on, which win over the
  others and, alone, mean every other day. `WEEKDAYS`: `ALL`, 0-6 (0 = Sunday), `a-b`, `-n`.
  `DAYS_AND_OR`: `A` (AND) both lists must match, a missing one counting as every day; `O` (OR, the
  default) either written list. The month flags `JAN`..`DEC` (`1` = ordered that month; none
  written: every month). `DATE`: specific `MMDD` dates.
- A job's rule-based calendars combine with its own criteria by `RULE_BASED_CALENDAR_RELATIONSHIP`
  (`A`: both, else either); `*` names every rule of the nearest folder that defines any. A job in a
  SMART folder (or sub-folder) is ordered only on the days the folder is: its own criteria, or any
  of its rule-based calendars.
- Times: a working day begins at New Day (the server's Day Time, an option since the export does
  not hold it) on the order date's calendar day and lasts 24 hours, so a time before New Day is the
  next calendar day's. The job is ordered at New Day, or when its User Daily orders the folder, and
  is submitted at the later of that and `TIMEFROM` (`FROM_DAYSOFFSET` days later). A cyclic job
  (`CYCLIC=1`) then runs every `INTERVAL` (`00015M`, `002H`, `001D`; `CYCLIC_TYPE` C), at the times
  of `CYCLIC_TIMES_SEQUENCE` (S), or by an interval sequence (V) that repeats one interval, until
  `TIMETO` (inclusive, `TO_DAYSOFFSET` days later), or, with none or `>`, until the working day
  ends; counted from each run's start or target time (`IND_CYCLIC` S or T). Times are wall-clock
  times of the job's zone.

`unchecked`, with the reason: the calendars of the server (`DAYSCAL`, `WEEKSCAL`, `CONFCAL`; `SHIFT`
only moves a day a confirmation calendar refuses, so it is not read), values that count a calendar's
working days (`+n`, `<n`, `>n`, `Dn`, `DnPi`, `DnWm`...), `RETRO=1` (catching up missed order dates),
cycles counted from each run's end (`IND_CYCLIC` E, or not written) or by an uneven interval
sequence (the documentation does not say how it repeats), `DATE` with other day criteria or
restricted months (it does not say how they combine), a rule-based calendar not in the export,
an unknown New Day time (unless the job runs every day at its `TIMEFROM`, which New Day then does not
move) or User Daily time, a time past 23:59 (a time synonym), a window that crosses New Day,
`ACTIVE_FROM` after the compared span begins or `ACTIVE_TILL` within it (facts the freq does not
carry), and a folder split in two flows (`split_or`: each flow carries one side of the OR).

`source_schedule` is the JSON `controlm_source` writes (at the place the profile sets the flow's
schedule):

    {"days": [[criteria, ...], ...],  # ordered on a day matching, in every group, one criteria set
     "time": {"TIMEFROM": "0130", "CYCLIC": "1", "INTERVAL": "00015M", ...},
     "new_day": "0700" | null, "order_at": "1200" (a User Daily's time) | null, "user_daily": bool,
     "split": true (only when split)}

each criteria set being the attributes as the export writes them (`DAYS`, `WEEKDAYS`,
`DAYS_AND_OR`, `DATE`, `JAN`..`DEC` (left out when all twelve are `1`), `DAYSCAL`...); no group at
all is every day.
"""

from __future__ import annotations

import calendar
import functools
import itertools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from xml.etree.ElementTree import Element

from migrate.schedule.proof import Unchecked, _search_start, _walls_to_instants

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_ATTRIBUTES = ("DAYS", "WEEKDAYS", "DAYS_AND_OR", "DATE", "DAYSCAL", "WEEKSCAL", "CONFCAL", *MONTHS)
# The attributes that say on which days (months alone order nothing).
DAY_SELECTORS = ("DAYS", "WEEKDAYS", "DATE", "DAYSCAL", "WEEKSCAL", "CONFCAL")
TIME_ATTRIBUTES = ("TIMEFROM", "TIMETO", "FROM_DAYSOFFSET", "TO_DAYSOFFSET", "CYCLIC", "CYCLIC_TYPE", "INTERVAL",
                   "CYCLIC_INTERVAL_SEQUENCE", "CYCLIC_TIMES_SEQUENCE", "IND_CYCLIC", "RETRO", "ACTIVE_FROM",
                   "ACTIVE_TILL")
RULE_DEFINITIONS = ("RULE_BASED_CALENDAR", "TAG")
RULE_REFERENCES = ("RULE_BASED_CALENDARS", "TAG_NAMES")
NOT_IN_EXPORT = "RULE_NOT_IN_EXPORT"
DAY_MINUTES = 24 * 60

_CLOCK = re.compile(r"(\d{2}):?(\d{2})")
_INTERVAL = re.compile(r"\+?(\d+)([MHD])", re.IGNORECASE)
_UNITS = {"M": 1, "H": 60, "D": DAY_MINUTES}

DayTest = Callable[[date], bool]


# -- the source_schedule form, written by the profile ----------------------------------------------


class _Scope(Protocol):
    kind: str  # regular, smart or sub
    attributes: dict[str, str]
    element: Element | None
    parent: Any  # another _Scope, or None


class _Job(Protocol):
    attributes: dict[str, str]
    element: Element
    scope: Any  # a _Scope


class _Ordering(Protocol):
    @property
    def new_day(self) -> int | None: ...
    @property
    def order_at(self) -> int | None: ...
    @property
    def user_daily(self) -> bool: ...


def _kept(attributes: dict[str, str], names: Sequence[str]) -> dict[str, str]:
    return {name: attributes[name].strip() for name in names if attributes.get(name, "").strip()}


def _criteria(attributes: dict[str, str]) -> dict[str, str]:
    """A criteria set as written; the twelve month flags all `1` left out (none written: every month)."""
    criteria = _kept(attributes, DAY_ATTRIBUTES)
    if all(criteria.get(name) == "1" for name in MONTHS):
        criteria = {name: value for name, value in criteria.items() if name not in MONTHS}
    return criteria


def _own(attributes: dict[str, str]) -> list[dict[str, str]]:
    """A holder's own criteria set, when it names days."""
    criteria = _criteria(attributes)
    return [criteria] if any(name in criteria for name in DAY_SELECTORS) else []


def _defined(element: Element | None) -> dict[str, dict[str, str]]:
    """The rule-based calendars an element defines, by name."""
    found = {}
    for child in element if element is not None else ():
        if child.tag in RULE_DEFINITIONS:
            name = (child.get("NAME") or child.get("TAG_NAME") or "").strip()
            found[name] = _criteria(dict(child.attrib))
    return found


def _referenced(element: Element | None, scope: Any) -> list[dict[str, str]]:
    """The criteria of the rule-based calendars an element names, looked up from `scope` outwards."""
    found: list[dict[str, str]] = []
    for child in element if element is not None else ():
        if child.tag not in RULE_REFERENCES:
            continue
        name = (child.get("NAME") or child.get("TAG_NAME") or "").strip()
        holder = scope
        while holder is not None:
            rules = _defined(holder.element)
            if (name == "*" and rules) or name in rules:
                found.extend(rules.values() if name == "*" else [rules[name]])
                break
            holder = holder.parent
        else:
            found.append({NOT_IN_EXPORT: name})
    return found


def controlm_source(job: _Job, ordering: _Ordering, split: bool = False) -> str:
    """The job's scheduling criteria, its folders' and the ordering, as `source_schedule`."""
    if job.scope.kind == "regular" and not any(child.tag in RULE_REFERENCES for child in job.element):
        # Its own criteria alone decide it (no rule-based calendar, no SMART folder around it):
        # worked out once for each set of them, as a few repeat over thousands of jobs.
        return _own_source(tuple([item for item in job.attributes.items() if item[0] in _SOURCE_ATTRIBUTES]),
                           ordering.new_day, ordering.order_at, ordering.user_daily, split)
    own, rules = _own(job.attributes), _referenced(job.element, job.scope)
    both = (job.attributes.get("RULE_BASED_CALENDAR_RELATIONSHIP") or job.attributes.get("TAG_RELATIONSHIP")
            or "O").strip().upper() in ("A", "AND")
    groups = [own, rules] if both and own and rules else [own + rules]
    scope = job.scope
    while scope is not None and scope.kind != "regular":
        # A folder names its own rule-based calendars (or an outer folder's): looked up from itself outwards.
        groups.append(_own(scope.attributes) + list(_defined(scope.element).values())
                      + _referenced(scope.element, scope))
        scope = scope.parent
    document: dict[str, Any] = {
        "days": [group for group in groups if group], "time": _kept(job.attributes, TIME_ATTRIBUTES),
        "new_day": _clock_text(ordering.new_day), "order_at": _clock_text(ordering.order_at),
        "user_daily": ordering.user_daily}
    if split:
        document["split"] = True
    return json.dumps(document, sort_keys=True)


# Every attribute `controlm_source` reads of a job of a regular folder that names no rule-based
# calendar: its day and time criteria (the relationship to its calendars has none to relate).
_SOURCE_ATTRIBUTES = frozenset((*DAY_ATTRIBUTES, *TIME_ATTRIBUTES))


@functools.lru_cache(maxsize=4096)
def _own_source(criteria: tuple[tuple[str, str], ...], new_day: int | None, order_at: int | None, user_daily: bool,
                split: bool) -> str:
    """`controlm_source` of such a job, from its attributes (name, value) of `_SOURCE_ATTRIBUTES`, as
    written (a job's dozen attributes read once, not those two dozen names looked up), and the
    ordering: every input of the result is in the key."""
    attributes = dict(criteria)
    document: dict[str, Any] = {
        "days": [group for group in [_own(attributes)] if group], "time": _kept(attributes, TIME_ATTRIBUTES),
        "new_day": _clock_text(new_day), "order_at": _clock_text(order_at), "user_daily": user_daily}
    if split:
        document["split"] = True
    return json.dumps(document, sort_keys=True)


def _clock_text(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}{minutes % 60:02d}"


# -- the days ------------------------------------------------------------------------------------


def _number(token: str, low: int, high: int, what: str) -> int:
    if not token.isdigit() or not low <= int(token) <= high:
        raise Unchecked(f"{what} value {token!r} is not one the basic criteria document ({low}-{high})")
    return int(token)


# A DAYS term: (first, last) day numbers, or (-n, -n) the n-th day from the month's end.
_Term = tuple[int, int]


def _term_matches(term: _Term, day: int, length: int) -> bool:
    first, last = term
    if first < 0:
        return day == length + first + 1
    return first <= day <= last


def _terms(text: str) -> Iterator[tuple[str, str, bool]]:
    """A DAYS or WEEKDAYS list's terms: (as written, upper-cased without its `-`, whether `-`: not on)."""
    for raw in text.split(","):
        token = raw.strip().upper()
        if token:
            yield raw, token.removeprefix("-"), token.startswith("-")


def _days_test(text: str) -> DayTest:
    """DAYS: ALL, n, a-b, Ln, and -n / -Ln (not on)."""
    wanted: list[_Term] = []
    unwanted: list[_Term] = []
    for raw, token, negated in _terms(text):
        target = unwanted if negated else wanted
        if token == "ALL" and target is wanted:
            wanted.append((1, 31))
        elif token.startswith("L"):
            back = _number(token[1:], 1, 31, "DAYS")
            target.append((-back, -back))
        elif re.fullmatch(r"\d{1,2}-\d{1,2}", token) and target is wanted:
            first, last = (_number(part, 1, 31, "DAYS") for part in token.split("-"))
            target.append((first, last))
        elif token.isdigit():
            number = _number(token, 1, 31, "DAYS")
            target.append((number, number))
        else:
            raise Unchecked(f"DAYS value {raw.strip()!r} counts a calendar's working days or is not a basic "
                            "criterion: no evaluator without the server's calendars")
    if not wanted:  # negatives alone: every other day
        wanted.append((1, 31))

    def test(day: date) -> bool:
        length = calendar.monthrange(day.year, day.month)[1]
        return (any(_term_matches(t, day.day, length) for t in wanted)
                and not any(_term_matches(t, day.day, length) for t in unwanted))

    return test


def _weekdays_test(text: str) -> DayTest:
    """WEEKDAYS: ALL, 0-6 (0 = Sunday), a-b, -n (not on)."""
    wanted: set[int] = set()
    unwanted: set[int] = set()
    for raw, token, negated in _terms(text):
        target = unwanted if negated else wanted
        if token == "ALL":
            target.update(range(7))
        elif re.fullmatch(r"\d-\d", token):
            first, last = (_number(part, 0, 6, "WEEKDAYS") for part in token.split("-"))
            if first > last:
                raise Unchecked(f"WEEKDAYS {raw.strip()!r}: a range that wraps is not documented")
            target.update(range(first, last + 1))
        elif token.isdigit():
            target.add(_number(token, 0, 6, "WEEKDAYS"))
        else:
            raise Unchecked(f"WEEKDAYS value {raw.strip()!r} counts a week calendar's working days or is not a "
                            "basic criterion: no evaluator without the server's calendars")
    days = (wanted or set(range(7))) - unwanted
    return lambda day: day.isoweekday() % 7 in days  # 0 = Sunday


def _criteria_test(criteria: dict[str, str]) -> DayTest:
    """One criteria set: the days it orders the job on."""
    if NOT_IN_EXPORT in criteria:
        raise Unchecked(f"the rule-based calendar {criteria[NOT_IN_EXPORT]} is not defined in the export")
    calendars = [f"{name}={criteria[name]}" for name in ("DAYSCAL", "WEEKSCAL", "CONFCAL") if name in criteria]
    if calendars:
        raise Unchecked(f"{', '.join(calendars)}: a calendar of the Control-M server, not in the export")
    written = [name for name in MONTHS if name in criteria]
    months = {i for i, name in enumerate(MONTHS, 1) if criteria.get(name) == "1"} if written else set(range(1, 13))
    in_month: DayTest = lambda day: day.month in months  # noqa: E731
    if "DATE" in criteria:
        if "DAYS" in criteria or "WEEKDAYS" in criteria or len(months) < 12:
            raise Unchecked("DATE with DAYS, WEEKDAYS or month flags: the documentation does not say how they "
                            "combine")
        dates = {(int(t[:2]), int(t[2:])) for t in (x.strip() for x in criteria["DATE"].split(","))
                 if re.fullmatch(r"\d{4}", t)}
        return lambda day: (day.month, day.day) in dates
    days = _days_test(criteria["DAYS"]) if "DAYS" in criteria else None
    weekdays = _weekdays_test(criteria["WEEKDAYS"]) if "WEEKDAYS" in criteria else None
    if days is None and weekdays is None:
        raise Unchecked(f"criteria {criteria} name no days")
    if criteria.get("DAYS_AND_OR", "O").upper() in ("A", "AND"):
        return lambda day: in_month(day) and (days is None or days(day)) and (weekdays is None or weekdays(day))
    return lambda day: in_month(day) and ((days is not None and days(day)) or (weekdays is not None and weekdays(day)))


def _ordered_on(groups: list[list[dict[str, str]]]) -> DayTest:
    tests = [[_criteria_test(criteria) for criteria in group] for group in groups]
    return lambda day: all(any(test(day) for test in group) for group in tests)


@functools.lru_cache(maxsize=256)  # a few KB each
def _order_dates(groups: str, first: date, count: int) -> bytes:
    """Whether the job is ordered on each of `count` days from `first` (1: it is), of its `days`
    groups as JSON text: worked out once for each set of criteria, which hundreds of schedules
    (other times, the same days) share."""
    ordered_on = _ordered_on(json.loads(groups))
    return bytes(ordered_on(first + timedelta(days=n)) for n in range(count))


# -- the times of one order date -------------------------------------------------------------------


def _clock(text: str, what: str) -> int:
    match = _CLOCK.fullmatch(text.strip())
    if match is None or int(match[2]) > 59:
        raise Unchecked(f"{what} {text!r} is not a time HHMM")
    if int(match[1]) > 23:
        raise Unchecked(f"{what} {text!r} is past 23:59 (a time synonym of the next day)")
    return int(match[1]) * 60 + int(match[2])


def _days_offset(text: str, what: str) -> int:
    text = text.strip() or "0"
    if not text.isdigit():
        raise Unchecked(f"{what} {text!r} is not a number of days")
    return int(text)


def _interval(text: str) -> int:
    match = _INTERVAL.fullmatch(text.strip())
    if match is None or int(match[1]) == 0:
        raise Unchecked(f"INTERVAL {text!r} is not an interval such as 00015M, 002H or 001D")
    return int(match[1]) * _UNITS[match[2].upper()]


def _runs(time: dict[str, str], new_day: int, order_at: int) -> list[int]:
    """Minutes after the order date's New Day at which the job is submitted."""
    def position(clock: int) -> int:  # a clock time's place in the working day
        return (clock - new_day) % DAY_MINUTES

    start = position(order_at)
    if "TIMEFROM" in time:
        offset = _days_offset(time.get("FROM_DAYSOFFSET", ""), "FROM_DAYSOFFSET")
        start = max(start, position(_clock(time["TIMEFROM"], "TIMEFROM")) + offset * DAY_MINUTES)
    elif time.get("FROM_DAYSOFFSET", "0").strip() not in ("", "0"):
        raise Unchecked("FROM_DAYSOFFSET without TIMEFROM")
    until, inclusive = DAY_MINUTES, False  # the working day's end
    if time.get("TIMETO", ">").strip() not in ("", ">"):
        offset = _days_offset(time.get("TO_DAYSOFFSET", ""), "TO_DAYSOFFSET")
        until, inclusive = position(_clock(time["TIMETO"], "TIMETO")) + offset * DAY_MINUTES, True
        if until < start:
            raise Unchecked(f"TIMETO {time['TIMETO']} comes before the job is submitted ({start} minutes after New "
                            "Day): a window that crosses New Day")

    def within(minute: int) -> bool:
        return start <= minute and (minute <= until if inclusive else minute < until)

    if time.get("CYCLIC", "0") != "1":
        return [start]
    counted_from = time.get("IND_CYCLIC", "").upper()
    if counted_from not in ("S", "T", "START", "TARGET"):
        raise Unchecked(f"a cycle counted from {counted_from or 'a point the export does not name (IND_CYCLIC)'}: "
                        "from each run's end the times depend on how long runs take")
    kind = time.get("CYCLIC_TYPE", "C").upper()
    if kind == "S":
        times = sorted(position(_clock(t, "CYCLIC_TIMES_SEQUENCE"))
                       for t in time.get("CYCLIC_TIMES_SEQUENCE", "").split(",") if t.strip())
        return [minute for minute in times if within(minute)]
    if kind == "V":
        steps = {_interval(t) for t in time.get("CYCLIC_INTERVAL_SEQUENCE", "").split(",") if t.strip()}
        if len(steps) != 1:
            raise Unchecked(f"CYCLIC_INTERVAL_SEQUENCE {time.get('CYCLIC_INTERVAL_SEQUENCE', '')!r}: how an uneven "
                            "sequence repeats is not documented")
        step = steps.pop()
    else:
        step = _interval(time.get("INTERVAL", ""))
    return [minute for minute in range(start, until + 1, step) if within(minute)]


# -- the fire times --------------------------------------------------------------------------------


def _active_from(time: dict[str, str], begin: datetime, end: datetime, zone: str, new_day: bool) -> date | None:
    """ACTIVE_FROM, the first order date (None: none, or one before the span). ACTIVE_TILL is the
    flow's end, which the freq does not carry: one inside the span is not compared. An ACTIVE_FROM
    ahead is compared only with a New Day time: the flow starts at the first order date's first run
    (the profile's source_start), which New Day decides."""
    values = {}
    for name in ("ACTIVE_FROM", "ACTIVE_TILL"):
        value = time.get(name, "")
        if not value:
            continue
        if not re.fullmatch(r"\d{8}", value):
            raise Unchecked(f"{name} {value!r} is not a date YYYYMMDD")
        values[name] = date(int(value[:4]), int(value[4:6]), int(value[6:]))
    first = _search_start(begin, zone).date()
    till = values.get("ACTIVE_TILL")
    if till is not None and first <= till <= end.date():
        raise Unchecked(f"ACTIVE_TILL {time['ACTIVE_TILL']} falls inside the compared span: the flow's end is not "
                        "compared")
    starts = values.get("ACTIVE_FROM")
    if starts is None or starts <= first:
        return None
    if not new_day:
        raise Unchecked(f"ACTIVE_FROM {time['ACTIVE_FROM']} is after the compared span begins, and the New Day time, "
                        "which decides the calendar day of its first run, is not known")
    return starts


# Days from the first order date read that must all be order dates for a job with no New Day
# time to be read (every day at its TIMEFROM): four years, a leap day among them.
EVERY_DAY_CHECKED = 1461


def controlm_fires(source: str, zone: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    """The job's fire times as UTC instants within [begin, end], its times read in `zone`."""
    try:
        document = json.loads(source)
        groups, time = list(document["days"]), dict(document["time"])
    except (ValueError, KeyError, TypeError):
        raise Unchecked(f"{source!r} is not the controlm profile's JSON form (days, time, new_day)") from None
    if document.get("split"):
        raise Unchecked("a day-of-month OR day-of-week folder split into two flows (split_or): each flow carries "
                        "one side of the OR")
    if time.get("RETRO", "0") not in ("", "0", "N"):
        raise Unchecked("RETRO=1: Control-M ordered the job for the order dates it missed")
    new_day_text = document.get("new_day")
    active_from = _active_from(time, begin, end, zone, new_day_text is not None)
    first = _search_start(begin, zone).date() - timedelta(days=2)  # a run may be a day or two after its ODATE
    days = (end.date() + timedelta(days=1) - first).days + 1  # the order dates read: to the day after the end
    ordered = _order_dates(json.dumps(groups, sort_keys=True), first,
                           days if new_day_text is not None else max(days, EVERY_DAY_CHECKED))
    if active_from is not None:  # not ordered before it
        before = min(max(0, (active_from - first).days), len(ordered))
        ordered = bytes(before) + ordered[before:]
    if new_day_text is None:
        if (document.get("user_daily") or "TIMEFROM" not in time or time.get("CYCLIC") == "1"
                or not all(ordered[:EVERY_DAY_CHECKED])):
            raise Unchecked("the New Day time is not known (set [source] options new_day): it decides the calendar "
                            "day of a time and when the job is ordered")
        new_day = _clock(time["TIMEFROM"], "TIMEFROM")  # every day at TIMEFROM: New Day moves nothing
    else:
        new_day = _clock(str(new_day_text), "new_day")
    order_text = document.get("order_at")
    if document.get("user_daily") and order_text is None:
        raise Unchecked("the User Daily's time is not known (set [source] options user_dailies)")
    runs = _runs(time, new_day, _clock(str(order_text), "the User Daily's time") if order_text else new_day)
    if runs and runs[-1] - runs[0] >= DAY_MINUTES:
        raise Unchecked("the runs of one order date reach into the next order date's")

    midnight = datetime(first.year, first.month, first.day)
    after_midnight = [timedelta(minutes=new_day + minute) for minute in runs]  # each run, from its order date's
    walls = (midnight + timedelta(days=n) + delta
             for n in itertools.compress(range(days), ordered) for delta in after_midnight)
    return _walls_to_instants(walls, zone, begin, end)
