"""Unix (Vixie/cronie) and croniter cron expressions -> a Quartz `freq` and `cycle`, exactly.

Each field is expanded to a set with the source dialect's grammar and re-emitted in canonical
Quartz form; the day fields follow cron-semantics.md §3.3 (Vixie's OR rule, decided by whether
the field's text starts with `*`; croniter's by whether it is `*`). Anything Quartz cannot say
exactly is rejected with a code.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Literal

from migrate.schedule.cycle import SubMinuteSchedule, cycle_of
from migrate.schedule.quartz import QuartzError, QuartzSchedule, days_in_month, parse_quartz
from migrate.schedule.result import (
    AMBIGUOUS_DIALECT,
    DOM_AND_DOW,
    DOM_OR_DOW,
    IMPOSSIBLE_DATE,
    INVALID_SYNTAX,
    NO_TIME_SCHEDULE,
    SUB_MINUTE,
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
            first, last = lo, hi
        else:
            first = _value(start, lo, hi, names, field)
            if end is not None:
                last = _value(end, lo, hi, names, field)
                if first > last:
                    raise Rejection(INVALID_SYNTAX, f"{field}: the range {term!r} runs backwards (cron rejects it)")
                if first == last and dialect == "croniter":
                    raise Rejection(AMBIGUOUS_DIALECT, f"{field}: croniter reads {term!r} as every value; "
                                                       f"write {start} if that one value is meant")
            elif step_text:
                if dialect == "unix":
                    raise Rejection(INVALID_SYNTAX, f"{field}: {term!r} (a number then a step) is not Vixie cron; "
                                                    f"write {start}-{hi}/{step}, or use the croniter dialect")
                last = hi
            else:
                last = first
        values.update(range(first, last + 1, step))
    return frozenset(values)


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
    parts: list[str] = []
    run = [ordered[0]]
    for value in ordered[1:]:
        if value == run[-1] + 1:
            run.append(value)
            continue
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else ",".join(map(str, run)))
        run = [value]
    parts.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else ",".join(map(str, run)))
    return ",".join(parts)


def _croniter_day_special(text: str) -> DaySpecial | None:
    upper = text.upper()
    if upper == "L":
        return DaySpecial("L", "dom")
    if match := re.fullmatch(r"([0-9]{1,2})W", upper):
        return DaySpecial(f"{int(match[1])}W", "dom")
    if match := re.fullmatch(r"([0-7]|[A-Z]{3})#([1-5])", upper):
        day = _value(match[1], 0, 7, WEEKDAYS, "day-of-week") % 7
        return DaySpecial(f"{day + 1}#{match[2]}", "dow")
    if match := re.fullmatch(r"L([0-7]|[A-Z]{3})", upper):
        day = _value(match[1], 0, 7, WEEKDAYS, "day-of-week") % 7
        return DaySpecial(f"{day + 1}L", "dow")
    # Anything else with L, W or # (day names aside: WED) mixes a special into a list or range.
    if re.search(r"[LW#]", re.sub("|".join(WEEKDAYS), "", upper)):
        raise Rejection(INVALID_SYNTAX, f"{text!r}: L, W and # take one day and stand alone (Quartz allows one)")
    return None


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


def _quartz_days(dom_text: str, dow_text: str, dialect: CronDialect, split_or: bool) -> list[tuple[str, str]]:
    """The Quartz (day-of-month, day-of-week) pair(s) for the source's two day fields."""
    specials = {}
    if dialect == "croniter":
        dom_text = "*" if dom_text == "?" else dom_text
        dow_text = "*" if dow_text == "?" else dow_text
        for text, field in ((dom_text, "dom"), (dow_text, "dow")):
            special = _croniter_day_special(text)
            if special is not None:
                if special.field != field:
                    raise Rejection(INVALID_SYNTAX, f"{text!r} does not belong in the {field} field")
                specials[field] = special
    days = specials.get("dom") or expand(dom_text, 1, 31, "day-of-month", dialect)
    weekdays = specials.get("dow") or frozenset(
        v % 7 for v in expand(dow_text, 0, 7, "day-of-week", dialect, WEEKDAYS))
    if dialect == "unix":  # Vixie: a field "is *" when its text starts with *
        dom_star, dow_star = dom_text.startswith("*"), dow_text.startswith("*")
    else:  # croniter (day_or=True): only a bare * counts
        dom_star, dow_star = dom_text == "*", dow_text == "*"
    dom_full, dow_full = days == FULL_DOM, weekdays == FULL_DOW
    dom_q = days.quartz if isinstance(days, DaySpecial) else None
    dow_q = weekdays.quartz if isinstance(weekdays, DaySpecial) else None
    dom_plain = dom_q or set_text(days, 1, 31)  # type: ignore[arg-type]
    dow_plain = dow_q or set_text(frozenset(d + 1 for d in weekdays), 1, 7)  # type: ignore[union-attr]
    if dom_full and dow_full:
        return [("*", "?")]
    if dom_star or dow_star:  # AND
        if dom_full:
            return [("?", dow_plain)]
        if dow_full:
            return [(dom_plain, "?")]
        if dom_q is None and dow_q is None and len(weekdays) == 1:  # type: ignore[arg-type]
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
                                "(opt-in) or restrict one field")


def _never_fires(schedule: QuartzSchedule) -> bool:
    """True when no date matches: e.g. 30 February. Checked over 28 years (every calendar)."""
    dom = schedule.day_of_month
    if dom.any_day or dom.last_offset is not None:
        return False
    if dom.days and min(dom.days) <= 28:
        return False
    years = sorted(schedule.years) if schedule.years is not None else range(2000, 2028)
    return not any(days_in_month(schedule, y, m) for y in years for m in schedule.months)


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
    if "/" in fields[3]:
        warn("EVERY_N_DAYS_APPROX", "every n days restarts each month (31 then 1 are consecutive)")
    if cycle in ("mi", "H") and ((fields[2] != "*" and cycle == "mi") or fields[3] not in ("*", "?")
                                 or fields[5] not in ("*", "?") or fields[4] != "*"):
        warn("WINDOWED", f"a {cycle} cycle limited to some hours, days or months")
    if cycle == "H" and "," in fields[2]:
        warn("HOUR_LIST", "an hourly cycle on a list of hours")
    if fields[4] != "*":
        warn("MONTH_RESTRICTED", "runs in some months only")
    if len(schedule.months) == 1 and len(schedule.day_of_month.days) == 1:
        warn("YEARLY", "once a year; there is no yearly cycle code, so the cycle is M")
    if fields[6] != "*":
        warn("YEAR_BOUNDED", "limited to some years")
    return found


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
    if _never_fires(schedule):
        raise Rejection(IMPOSSIBLE_DATE, f"{source!r} names a date that never comes (such as 30 February)")
    return Converted(schedule.text, cycle, source, tuple([*(extra or []), *flags(schedule, source)]))


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
    if dialect == "unix" and any(c in f"{dom}{dow}" for c in "?LW#"):
        raise Rejection(INVALID_SYNTAX, f"{expression!r}: ?, L, W and # are not Vixie cron; use the croniter dialect")
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
    pairs = _quartz_days(dom, dow, dialect, split_or)
    warnings = []
    if dialect == "croniter" and re.search(r"(^|,)(29|30|31)W", dom.upper()):
        warnings.append(ScheduleWarning("WEEKDAY_SEMANTICS", expression, dom,
                                        "croniter moves nW past a short month's end; Quartz skips that month"))
    first = to_quartz(parts[0], parts[1], parts[2], pairs[0], parts[3], parts[4], expression, warnings)
    if len(pairs) == 1:
        return first
    second_flow = to_quartz(parts[0], parts[1], parts[2], pairs[1], parts[3], parts[4], expression)
    split_warning = ScheduleWarning("SPLIT", expression, f"{first.freq} + {second_flow.freq}",
                                    "split into two flows: a day matching both runs twice")
    return Converted(first.freq, first.cycle, expression, (*first.warnings, split_warning), split=second_flow)
