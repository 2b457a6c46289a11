"""Unix (Vixie/cronie) and croniter cron expressions -> a Quartz `freq` and `cycle`, exactly.

Each field is expanded to a set with the source dialect's grammar and re-emitted in canonical
Quartz form; the day fields follow cron-semantics.md §3.3 (Vixie's OR rule, decided by whether
the field's text starts with `*`; croniter's by its own rule, see `_croniter_stars`). Anything
Quartz cannot say exactly is rejected with a code.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from migrate.schedule.cycle import SubMinuteSchedule, cycle_of
from migrate.schedule.quartz import QuartzError, QuartzSchedule, days_in_month, listed, parse_quartz
from migrate.schedule.quartz import set_text as set_text  # re-exported: timezone.py imports it from here
from migrate.schedule.result import (
    AMBIGUOUS_DIALECT,
    DOM_AND_DOW,
    DOM_OR_DOW,
    IMPOSSIBLE_DATE,
    INVALID_SYNTAX,
    NO_TIME_SCHEDULE,
    SUB_MINUTE,
    WEEKDAY_SEMANTICS,
    Converted,
    Rejection,
    ScheduleWarning,
)

CronDialect = Literal["unix", "croniter"]
MONTHS = {n: i for i, n in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                        "NOV", "DEC"], 1)}
WEEKDAYS = {n: i for i, n in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
NO_TIME_MACROS = ("@reboot",)
TERM = re.compile(r"^(\*|[0-9]+|[A-Za-z]{3})(?:-([0-9]+|[A-Za-z]{3}))?(?:/([0-9]+))?$")
FULL_DOM, FULL_DOW = frozenset(range(1, 32)), frozenset(range(7))


@dataclass(frozen=True)
class DaySpecial:
    """A croniter day rule with no plain-set form: last day (`L`), nearest weekday (`nW`),
    n-th weekday (`d#n`) or last weekday of the month (`Ld`)."""

    quartz: str  # its Quartz spelling
    field: Literal["dom", "dow"]


def _value(token: str, lo: int, hi: int, names: dict[str, int] | None, field: str) -> int:
    if token.isdigit():
        number = int(token)
    elif names is not None and token.upper() in names:
        number = names[token.upper()]
    else:
        raise Rejection(INVALID_SYNTAX, f"{field}: {token!r} is not a value")
    if not lo <= number <= hi:
        raise Rejection(INVALID_SYNTAX, f"{field}: {number} is outside {lo}-{hi}")
    return number


def expand(text: str, lo: int, hi: int, field: str, dialect: CronDialect,
           names: dict[str, int] | None = None) -> frozenset[int]:
    """One field as a set of values, with the dialect's grammar."""
    return _expand(text, lo, hi, field, dialect, "month" if names is MONTHS else "weekday" if names else None)


@functools.lru_cache(maxsize=4096)  # fields repeat across expressions far more than whole ones
def _expand(text: str, lo: int, hi: int, field: str, dialect: CronDialect, names_key: str | None) -> frozenset[int]:
    names = MONTHS if names_key == "month" else WEEKDAYS if names_key == "weekday" else None
    # croniter reads day of week 7 as 0 before building ranges, and its field runs 0-6 (so `5/1`
    # is Friday and Saturday); Vixie's runs 0-7 and 7 is folded into 0 afterwards.
    croniter_week = dialect == "croniter" and names_key == "weekday"
    top = 7 if croniter_week else hi
    if croniter_week:
        hi = 6
    values: set[int] = set()
    for term in text.split(","):
        match = TERM.match(term)
        if match is None:
            raise Rejection(INVALID_SYNTAX, f"{field}: {term!r} is not a value, range, step or list")
        start, end, step_text = match.groups()
        step = int(step_text) if step_text else 1
        if step == 0:
            raise Rejection(INVALID_SYNTAX, f"{field}: a step of 0 in {term!r}")
        if start == "*":
            if end is not None:
                raise Rejection(INVALID_SYNTAX, f"{field}: {term!r}")
            values.update(range(lo, hi + 1, step))
            continue
        first = _value(start, lo, top, names, field)
        if end is None and not step_text:
            values.add(first % 7 if croniter_week else first)
        elif dialect == "unix":
            values.update(_vixie_range(term, first, end, step, lo, hi, names, field))
        else:
            last = None if end is None else _value(end, lo, top, names, field)
            values.update(_croniter_range(term, first, last, step, lo, hi, croniter_week))
    return frozenset(values)


def _vixie_range(term: str, first: int, end: str | None, step: int, lo: int, hi: int,
                 names: dict[str, int] | None, field: str) -> range:
    if end is None:
        raise Rejection(INVALID_SYNTAX, f"{field}: {term!r} (a number then a step) is not Vixie cron; "
                                        f"write {term.split('/')[0]}-{hi}/{step}, or use the croniter dialect")
    last = _value(end, lo, hi, names, field)
    if first > last:
        raise Rejection(INVALID_SYNTAX, f"{field}: the range {term!r} runs backwards (cron rejects it)")
    return range(first, last + 1, step)


def _croniter_range(term: str, first: int, last: int | None, step: int, lo: int, hi: int,
                    croniter_week: bool) -> list[int]:
    """A range or `N/step` term as croniter 7 expands it (croniter._expand): `N/step` runs to the
    field's end (only N itself when N is the end), an equal range means every value, and a range
    that runs backwards wraps round the end of the field, its step carried over by croniter's rule."""
    whole_week = croniter_week and {first, last} == {0, 7}  # 0-7, 7-0: every day, as in Vixie
    if croniter_week:  # croniter folds 7 into 0 before it builds the range
        first, last = first % 7, None if last is None else last % 7
    if last is None:  # N/step
        return [first] if first == hi else list(range(first, hi + 1, step))
    if first == last:
        if not whole_week:  # 5-5: surely meant 5, but croniter fires on every value
            raise Rejection(AMBIGUOUS_DIALECT, f"{term!r}: croniter reads an equal range as every value; "
                                               "write the one value if that is meant")
        return list(range(lo, hi + 1, step))
    if first < last:
        return list(range(first, last + 1, step))
    head = list(range(first, hi + 1, step))
    skip = 0
    if head and head[-1] - lo + step > hi - lo + 1 and hi - head[-1] < step:
        skip = step - (hi - head[-1])
    return head + list(range(lo + skip, last + 1, step))


def _croniter_day_special(text: str, field: Literal["dom", "dow"]) -> DaySpecial | None:
    """croniter's day rules: `L`, `nW` (also written `Wn`) in day of month, `d#n` and `Ld` in day
    of week. croniter's nW never leaves the month and clamps n to the month's last day, so `31W`
    is Quartz's `LW`; 29W and 30W have no Quartz form (Quartz skips or moves those months)."""
    upper = text.upper()
    if field == "dom":
        if upper == "L":
            return DaySpecial("L", "dom")
        if match := re.fullmatch(r"([0-9]+)W|W([0-9]+)", upper):
            day = int(match[1] or match[2])
            if not 1 <= day <= 31:
                raise Rejection(INVALID_SYNTAX, f"{text!r}: the day of nW must be between 1 and 31")
            if day == 31:
                return DaySpecial("LW", "dom")
            if day > 28:
                raise Rejection(WEEKDAY_SEMANTICS, f"{text!r}: croniter moves {day}W to the nearest weekday of a "
                                                   "shorter month's last day; Quartz skips such months or fires on "
                                                   "other days. Use 28W or earlier, or LW for the last weekday")
            return DaySpecial(f"{day}W", "dom")
    else:
        if match := re.fullmatch(r"([0-7]|[A-Z]{3})#([1-5])", upper):
            day = _value(match[1], 0, 7, WEEKDAYS, "day-of-week") % 7
            return DaySpecial(f"{day + 1}#{match[2]}", "dow")
        if match := re.fullmatch(r"L([0-7]|[A-Z]{3})", upper):
            day = _value(match[1], 0, 7, WEEKDAYS, "day-of-week") % 7
            return DaySpecial(f"{day + 1}L", "dow")
    # Anything else with L, W or # (day names aside: WED) mixes a special into a list or range.
    if re.search(r"[LW#]", _without_day_names(upper)):
        raise Rejection(INVALID_SYNTAX, f"{text!r}: L, W and # each take one day and stand alone, in no list or "
                                        "range; croniter writes the last Friday L5 (not 5L) and the third 5#3")
    return None


_DAY_NAMES = re.compile("|".join(WEEKDAYS), re.IGNORECASE)
_QUARTZ_DAY_MARKS = re.compile(r"[?LW#]")


def _without_day_names(text: str) -> str:
    """The text with day names taken out, so that the W of WED is not read as Quartz's W."""
    return _DAY_NAMES.sub("", text).upper()


def _croniter_day_of_month(text: str) -> str:
    """croniter's `15-L` is the range 15-31 (it reads L at the end of a range as 31)."""
    return re.sub(r"(?<=[0-9]-)[Ll](?=/|,|$)", "31", text)


def _croniter_stars(dom_text: str, dow_text: str, days: object, weekdays: object) -> tuple[bool, bool]:
    """Which day fields croniter treats as `*` (croniter 7, `_expand` and `_calc_next`, with
    Airflow's day_or=True): the fields are ANDed when either is, else ORed. A field is `*` when it
    is `?` or holds a bare `*` term, or when its values cover the whole field and the other
    field's text contains a `*` anywhere (only then does croniter collapse a full set to `*`):
    `*/2` with `0-6` is AND (odd days), `1-31` with `1-5` is OR (every day)."""
    dom_star = dom_text == "?" or "*" in dom_text.split(",") or (days == FULL_DOM and "*" in dow_text)
    dow_star = dow_text == "?" or "*" in dow_text.split(",") or (weekdays == FULL_DOW and "*" in dom_text)
    return dom_star, dow_star


def _split_fields(expression: str, dialect: CronDialect) -> tuple[list[str], str, str]:
    """(min hour dom month dow, seconds, year) texts in the dialect's positions."""
    parts = expression.split()
    if dialect == "unix":
        if len(parts) != 5:
            raise Rejection(INVALID_SYNTAX, f"Unix cron takes 5 fields, not {len(parts)}")
        return parts, "0", "*"
    if len(parts) not in (5, 6, 7):
        raise Rejection(INVALID_SYNTAX, f"croniter takes 5, 6 or 7 fields, not {len(parts)}")
    seconds = parts[5] if len(parts) >= 6 else "0"  # croniter: seconds after day-of-week
    year = parts[6] if len(parts) == 7 else "*"
    return parts[:5], seconds, year


DayValues = frozenset[int] | DaySpecial


def _day_fields(dom_text: str, dow_text: str, dialect: CronDialect) -> tuple[str, DayValues, DayValues, bool, bool]:
    """The two day fields as the dialect reads them: (the day-of-month text it reads, its days,
    the weekdays, whether each field "is *" by the dialect's rule)."""
    if dialect == "unix":
        if _QUARTZ_DAY_MARKS.search(dom_text + dow_text) and _QUARTZ_DAY_MARKS.search(
                _without_day_names(dom_text + dow_text)):
            raise Rejection(INVALID_SYNTAX, f"{dom_text} {dow_text}: ?, L, W and # are not Vixie cron; use the "
                                            "croniter dialect")
        days: DayValues = expand(dom_text, 1, 31, "day-of-month", dialect)
        weekdays: DayValues = frozenset(v % 7 for v in expand(dow_text, 0, 7, "day-of-week", dialect, WEEKDAYS))
        # Vixie: a field "is *" when its text starts with *
        return dom_text, days, weekdays, dom_text.startswith("*"), dow_text.startswith("*")
    dom_text = _croniter_day_of_month(dom_text)
    days = _croniter_day_special(dom_text, "dom") or expand(
        "*" if dom_text == "?" else dom_text, 1, 31, "day-of-month", dialect)
    weekdays = _croniter_day_special(dow_text, "dow") or expand(
        "*" if dow_text == "?" else dow_text, 0, 6, "day-of-week", dialect, WEEKDAYS)
    return (dom_text, days, weekdays, *_croniter_stars(dom_text, dow_text, days, weekdays))


def day_rule(dom_text: str, dow_text: str, dialect: CronDialect) -> Literal["and", "or", "every day"]:
    """How the dialect joins its day fields (the rule `_quartz_days` applies), for words: both must
    match ("and", one field "is *"), either ("or"), or either where one covers every day."""
    _, days, weekdays, dom_star, dow_star = _day_fields(dom_text, dow_text, dialect)
    if dom_star or dow_star:
        return "and"
    return "every day" if days == FULL_DOM or weekdays == FULL_DOW else "or"


def _quartz_days(dom_text: str, dow_text: str, dialect: CronDialect, split_or: bool) -> list[tuple[str, str]]:
    """The Quartz (day-of-month, day-of-week) pair(s) for the source's two day fields."""
    dom_text, days, weekdays, dom_star, dow_star = _day_fields(dom_text, dow_text, dialect)
    if dialect != "unix":
        dominant = _croniter_dominant_rule(dom_text, dow_text, days, weekdays, dom_star, dow_star)
        if dominant is not None:
            return [dominant]
    dom_full, dow_full = days == FULL_DOM, weekdays == FULL_DOW
    dom_plain = days.quartz if isinstance(days, DaySpecial) else set_text(days, 1, 31)
    dow_plain = weekdays.quartz if isinstance(weekdays, DaySpecial) else set_text(
        frozenset(d + 1 for d in weekdays), 1, 7)
    if dom_full and dow_full:
        return [("*", "?")]
    if dom_star or dow_star:  # AND
        if dom_full:
            return [("?", dow_plain)]
        if dow_full:
            return [(dom_plain, "?")]
        if isinstance(days, frozenset) and isinstance(weekdays, frozenset) and len(weekdays) == 1:
            for week in range(4):
                if days == frozenset(range(1 + 7 * week, 8 + 7 * week)):
                    return [("?", f"{dow_plain}#{week + 1}")]  # e.g. days 1-7 and Sunday: the first Sunday
        raise Rejection(DOM_AND_DOW, f"runs only on days that are both {dom_text} of the month and {dow_text} "
                                     "of the week; Quartz can say one or the other, not both")
    if dom_full or dow_full:
        return [("*", "?")]  # OR with a full field: every day
    if split_or:
        return [(dom_plain, "?"), ("?", dow_plain)]
    raise Rejection(DOM_OR_DOW, f"runs on day(s) {dom_text} of the month OR on {dow_text} of the week (cron's "
                                "rule when both are restricted); Quartz cannot say OR. Split it into two flows "
                                "(opt in with [mapping] split_id_column) or restrict one field")


def _croniter_dominant_rule(dom_text: str, dow_text: str, days: frozenset[int] | DaySpecial,
                            weekdays: frozenset[int] | DaySpecial, dom_star: bool,
                            dow_star: bool) -> tuple[str, str] | None:
    """croniter applies `nW`, `d#n` and `Ld` on both sides of its day OR, so with one of them the
    other day field never widens the schedule: the rule alone, when that field is `*` or covers
    every day. A restricted other field would be silently ignored by croniter: refused."""
    dom_rule = isinstance(days, DaySpecial) and days.quartz != "L"
    dow_rule = isinstance(weekdays, DaySpecial)
    if isinstance(days, DaySpecial) and dow_rule:  # L, LW or nW with d#n or Ld
        raise Rejection(DOM_AND_DOW, f"{dom_text} {dow_text}: two day rules at once; Quartz takes one")
    if dom_rule:
        assert isinstance(days, DaySpecial)
        if dow_star or weekdays == FULL_DOW:
            return (days.quartz, "?")
        raise Rejection(AMBIGUOUS_DIALECT, f"croniter runs {dom_text} and ignores the day of week {dow_text}; "
                                           f"write * for the day of week if that is meant")
    if dow_rule:
        assert isinstance(weekdays, DaySpecial)
        if dom_star or days == FULL_DOM:
            return ("?", weekdays.quartz)
        raise Rejection(AMBIGUOUS_DIALECT, f"croniter runs {dow_text} and ignores the day of month {dom_text}; "
                                           f"write * for the day of month if that is meant")
    return None


def never_fires(schedule: QuartzSchedule, source: str) -> Rejection | None:
    """Why no fire time ever comes, if none does: a date that does not exist (30 February, the
    fifth Friday of a February of four, 29 days before the end of February; checked over 28 years,
    every calendar, or over the years given), years that are all past, or a last year (this one)
    whose times have all passed. A flow saved so would sit in the service and never run."""
    # UTC's year less a zone's slack, as _all_passed: 23:00 on 31 December in Los Angeles is still to
    # come in the first hours of UTC's new year (refused then, its last run lost)
    if schedule.years is not None and max(schedule.years) < (datetime.now(UTC) - timedelta(hours=14)).year:
        return Rejection(IMPOSSIBLE_DATE, f"{source!r} fires only in years that are past ({max(schedule.years)} "
                                          "at the latest)")
    return _no_such_day(schedule, source) or _all_passed(schedule, source)


def fires_after(schedule: QuartzSchedule, since: datetime) -> bool:
    """Whether a fire time comes after `since` (a wall time); one of every year always does."""
    if schedule.years is None or max(schedule.years) > since.year:
        return True
    return next(iter(schedule.fire_times(since)), None) is not None


def _all_passed(schedule: QuartzSchedule, source: str) -> Rejection | None:
    """Years that end with this one, and no fire time left in it (`0 0 2 1 1 ? 2026` in November).
    The zone the service reads freq in is not known here: a wall time the last 14 hours hold may be
    ahead yet in a zone behind UTC (kept: the safer reading; convert_for_service, which knows the
    zone, tells exactly)."""
    if fires_after(schedule, datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=14)):
        return None
    return Rejection(IMPOSSIBLE_DATE, f"{source!r} fires only at times that have passed (none is left in "
                                      f"{max(schedule.years or ())})")


def _no_such_day(schedule: QuartzSchedule, source: str) -> Rejection | None:
    dom, dow = schedule.day_of_month, schedule.day_of_week
    if _some_day_every_month(schedule):
        return None
    years = sorted(schedule.years) if schedule.years is not None else range(2000, 2028)  # every calendar
    if any(days_in_month(schedule, y, m) for y in years for m in schedule.months):
        return None
    months = ", ".join(calendar.month_abbr[m] for m in sorted(schedule.months))
    of_years = f" of {listed(schedule.years)}" if schedule.years is not None else ""
    one = len(schedule.months) == 1 and (schedule.years is None or len(schedule.years) == 1)
    if dom.any_day and dow.nth is not None:  # `6#5` in a February with four Fridays
        weekday, nth = dow.nth
        what = f"the {ORDINALS[nth]} {calendar.day_name[(weekday - 2) % 7]}"
    elif dom.last_offset is not None:
        what = f"{dom.last_offset} days before the last day"
    else:
        what = f"day(s) {listed(dom.days)}" if dom.days else f"the weekday nearest day {dom.nearest_weekday}"
    return Rejection(IMPOSSIBLE_DATE, f"{source!r} names a date that never comes: {what} of {months}{of_years}, "
                                      f"which {'has' if one else 'have'} no such day")


ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _some_day_every_month(schedule: QuartzSchedule) -> bool:
    """A day rule that finds a day in every month of every year (the shortest has 28 days, four of
    each weekday): the cheap answer, before `days_in_month` is asked month by month."""
    dom, dow = schedule.day_of_month, schedule.day_of_week
    if dom.any_day:
        return dow.nth is None or dow.nth[1] <= 4
    if dom.last_offset is not None:
        return dom.last_offset <= 27
    if dom.nearest_weekday is not None:
        return dom.nearest_weekday <= 28
    return bool(dom.days) and min(dom.days) <= 28


def _day_step_in(source: str) -> bool:
    """Whether the source's day of the month is a step: its field in a cron of 5 (Unix) or 6-7
    (Quartz) fields; in any other grammar, a `/` anywhere."""
    words = source.split()
    if len(words) == 5 or len(words) in (6, 7):
        return "/" in words[2 if len(words) == 5 else 3]
    return "/" in source or not source


def flags(schedule: QuartzSchedule, source: str) -> list[ScheduleWarning]:
    """Warnings that do not change the freq but that a reviewer should see (§3.4)."""
    found = []
    fields = schedule.text.split()

    def warn(code: str, message: str) -> None:
        found.append(ScheduleWarning(code, source, schedule.text, message))

    for text, modulus, name in ((fields[1], 60, "minutes"), (fields[2], 24, "hours")):
        if "/" in text and modulus % int(text.split("/")[1]) != 0:
            warn("IRREGULAR_STEP", f"the {name} step does not divide {modulus}: the last gap of each cycle is shorter")
    cycle = cycle_of(schedule)
    if "/" in fields[3] and _day_step_in(source):
        # A source's cron restarts the step each month too (its proof says whether the flow is exact):
        # what is approximate is the reading "every n days". A list written out (`1,30`), which the
        # freq writes as a step (`1/29`), is no step of the source's.
        warn("EVERY_N_DAYS_APPROX", "a day-of-month step restarts each month, as a cron's does (the 31st then "
                                    "the 1st are consecutive days): not every n days")
    if cycle in ("mi", "H") and ((fields[2] != "*" and cycle == "mi") or fields[3] not in ("*", "?")
                                 or fields[5] not in ("*", "?") or fields[4] != "*"):
        warn("WINDOWED", f"a {cycle} cycle limited to some hours, days or months")
    if cycle == "H" and "," in fields[2]:
        warn("HOUR_LIST", "an hourly cycle on a list of hours")
    if fields[4] != "*":
        warn("MONTH_RESTRICTED", "runs in some months only")
    if cycle == "M" and len(schedule.months) == 1 and _one_day_a_month(schedule):
        warn("YEARLY", "once a year; there is no yearly cycle code, so the cycle is M")
    if fields[6] != "*":
        warn("YEAR_BOUNDED", "limited to some years")
    return found


def _one_day_a_month(schedule: QuartzSchedule) -> bool:
    """Whether the days fire on one day of a month: a date, the last day or one counted from it,
    the weekday nearest a date, or the n-th or last of one weekday (`31`, `L`, `L-2`, `15W`, `6#2`)."""
    dom, dow = schedule.day_of_month, schedule.day_of_week
    if not dom.any_day:
        return len(dom.days) == 1 or dom.last_offset is not None or dom.nearest_weekday is not None
    return dow.nth is not None or dow.last_of is not None


def to_quartz(seconds: str, minutes: str, hours: str, days: tuple[str, str], months: str, year: str,
              source: str, extra: list[ScheduleWarning] | None = None) -> Converted:
    """Assemble, validate and classify one Quartz expression."""
    text = f"{seconds} {minutes} {hours} {days[0]} {months} {days[1]} {year}"
    try:
        schedule = parse_quartz(text)
        cycle = cycle_of(schedule)
    except SubMinuteSchedule:
        raise Rejection(SUB_MINUTE, f"{source!r} fires more than once a minute; a flow runs at most every minute") \
            from None
    except QuartzError as error:
        raise Rejection(INVALID_SYNTAX, f"{source!r} has no valid Quartz form: {error.reason}") from None
    if (never := never_fires(schedule, source)) is not None:
        raise never
    return Converted(schedule.text, cycle, source, tuple([*(extra or []), *flags(schedule, source)]))


def _coming(pairs: list[tuple[str, str]], parts: list[str], expression: str) -> list[tuple[int, Converted]]:
    """The halves of a day OR (day of the month, then of the week) whose days ever come."""
    found = []
    for half, pair in enumerate(pairs):
        try:
            found.append((half, to_quartz(parts[0], parts[1], parts[2], pair, parts[3], parts[4], expression)))
        except Rejection as refused:
            if refused.code != IMPOSSIBLE_DATE:
                raise
    return found


def convert_cron(expression: str, dialect: CronDialect, split_or: bool = False) -> Converted:
    """A Unix (5 fields) or croniter (5-7 fields, L W # ?) expression, converted exactly."""
    text = expression.strip()
    if text.startswith("@"):
        if text in NO_TIME_MACROS:
            raise Rejection(NO_TIME_SCHEDULE, f"{text} runs at boot, not at a time: make the flow manual (type 0)")
        if text not in MACROS:
            raise Rejection(INVALID_SYNTAX, f"{text!r} is not a cron macro (cron matches them exactly, lower case)")
        text = MACROS[text]
    (minute, hour, dom, month, dow), second, year = _split_fields(text, dialect)
    if "L" in year.upper() or "?" in f"{minute}{hour}{month}{second}":
        raise Rejection(INVALID_SYNTAX, f"{expression!r}: ? and L belong in the day fields only")
    seconds = expand(second, 0, 59, "seconds", dialect)
    if len(seconds) > 1:
        raise Rejection(SUB_MINUTE, f"{expression!r} fires more than once a minute")
    parts = [
        set_text(seconds, 0, 59),
        set_text(expand(minute, 0, 59, "minutes", dialect), 0, 59),
        set_text(expand(hour, 0, 23, "hours", dialect), 0, 23),
        set_text(expand(month, 1, 12, "month", dialect, MONTHS), 1, 12),
        "*" if year == "*" else set_text(expand(year, 1970, 2099, "year", dialect), 1970, 2099),
    ]
    try:
        pairs = _quartz_days(dom, dow, dialect, split_or)
    except Rejection as refused:
        if refused.code != DOM_OR_DOW or len(_coming(_quartz_days(dom, dow, dialect, True), parts, expression)) != 1:
            raise
        pairs = _quartz_days(dom, dow, dialect, True)
    if len(pairs) == 2 and len(coming := _coming(pairs, parts, expression)) == 1:
        # cron's OR where one field's days never come in the months (`0 0 31 2 1`: the 31st of
        # February never, so Mondays of February): the other field alone, exactly.
        (half, converted), = coming
        never = f"day(s) {dow} of the week" if half == 0 else f"day(s) {dom} of the month"
        return Converted(converted.freq, converted.cycle, expression, (*converted.warnings, ScheduleWarning(
            "OR_HALF_NEVER", expression, converted.freq,
            f"{never} never come in its months: cron's OR of the day fields is the other one alone")))
    first = to_quartz(parts[0], parts[1], parts[2], pairs[0], parts[3], parts[4], expression)
    if len(pairs) == 1:
        return first
    second_flow = to_quartz(parts[0], parts[1], parts[2], pairs[1], parts[3], parts[4], expression)
    split_warning = ScheduleWarning("SPLIT", expression, f"{first.freq} + {second_flow.freq}",
                                    "split into two flows: a day matching both runs twice")
    return Converted(first.freq, first.cycle, expression, (*first.warnings, split_warning), split=second_flow)
