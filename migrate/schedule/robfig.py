"""Kubernetes CronJob schedules -> a Quartz `freq`, exactly: the grammar of robfig/cron v3's
`ParseStandard` (parser.go), with which the API server validates `spec.schedule` and the CronJob
controller fires it.

It is not Vixie cron (the `unix` dialect), and the differences change fire times:

* the day fields are ANDed when either "is *", and a field is * when one of its comma terms is `*`
  or `?` with no step above 1 (`*`, `?`, `*/1`, `5,*`); Vixie looks at the text's first character,
  so `*/2` (odd days) ANDs in Vixie and ORs here, and `5,*` ORs in Vixie and ANDs here;
* `?` is `*`, in any field;
* `N/step` runs from N to the field's end (Vixie refuses it);
* day of week is 0-6 (7 is refused, as the API server refuses it), and names (`mon`, `JAN`) are
  read in any case, in ranges too;
* a number is Go's `strconv.Atoi`: leading zeros and a leading `+` are fine;
* empty list terms are skipped (`1,,2`), and `*-5` is `*` (the end after a star is ignored);
* `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight` `@hourly` are matched exactly
  (lower case), and `@every <Go duration>` is a fixed interval, rounded down to whole seconds and at
  least one second, counted from an anchor (the controller counts from the CronJob's last schedule
  time, else its creation), which it needs (NEEDS_START without one);
* a `TZ=` or `CRON_TZ=` prefix names the zone, up to the first blank (`split_zone`).

Anything Quartz cannot say exactly is refused with a code (DOM_OR_DOW when both day fields are
restricted and neither is *: robfig ORs them).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from migrate.schedule.cron import FULL_DOM, FULL_DOW, to_quartz
from migrate.schedule.intervals import from_seconds
from migrate.schedule.quartz import parse_quartz, set_text
from migrate.schedule.result import DOM_OR_DOW, IMPOSSIBLE_DATE, INVALID_SYNTAX, Converted, Rejection, ScheduleWarning

MONTH_NAMES = {name: number for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
DAY_NAMES = {name: number for number, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
EVERY = "@every "
ZONE_PREFIXES = ("TZ=", "CRON_TZ=")
ATOI = re.compile(r"[+-]?[0-9]+")
# Go's time.ParseDuration: a sequence of decimal numbers, each with a unit, optionally signed.
GO_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
NANOSECONDS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
               "h": 3600 * 10**9}


@dataclass(frozen=True)
class Field:
    """One field as robfig reads it: its values, and whether it "is *" (its star bit)."""

    values: frozenset[int]
    star: bool


def split_zone(spec: str) -> tuple[str | None, str]:
    """A `TZ=Zone ` or `CRON_TZ=Zone ` prefix and the rest, as robfig's Parse splits them: the zone
    runs from the `=` to the first blank (`""` is Go's UTC); the rest is trimmed. No prefix: None."""
    if not spec.startswith(ZONE_PREFIXES):
        return None, spec
    blank = spec.find(" ")
    if blank < 0:
        raise Rejection(INVALID_SYNTAX, f"{spec!r}: a {spec.split('=')[0]}= prefix needs a blank, then the schedule")
    return spec[spec.index("=") + 1:blank], spec[blank:].strip()


def _atoi(text: str, what: str) -> int:
    if not ATOI.fullmatch(text):
        raise Rejection(INVALID_SYNTAX, f"{what}: {text!r} is not a number")
    number = int(text)
    if number < 0:
        raise Rejection(INVALID_SYNTAX, f"{what}: negative number {text!r}")
    return number


def _int_or_name(text: str, names: dict[str, int] | None, what: str) -> int:
    if names is not None and text.lower() in names:
        return names[text.lower()]
    return _atoi(text, what)


def read_field(text: str, lo: int, hi: int, what: str, names: dict[str, int] | None = None) -> Field:
    """One field as robfig's getField and getRange read it."""
    values: set[int] = set()
    star = False
    terms = [term for term in text.split(",") if term]
    if not terms:
        raise Rejection(INVALID_SYNTAX, f"{what}: {text!r} holds no value")
    for term in terms:
        range_and_step = term.split("/")
        low_high = range_and_step[0].split("-")
        extra = False
        if low_high[0] in ("*", "?"):
            start, end, extra = lo, hi, True  # robfig ignores an end after the star: `*-5` is `*`
        else:
            start = _int_or_name(low_high[0], names, what)
            if len(low_high) == 1:
                end = start
            elif len(low_high) == 2:
                end = _int_or_name(low_high[1], names, what)
            else:
                raise Rejection(INVALID_SYNTAX, f"{what}: too many hyphens in {term!r}")
        if len(range_and_step) == 1:
            step = 1
        elif len(range_and_step) == 2:
            step = _atoi(range_and_step[1], what)
            if len(low_high) == 1:
                end = hi  # "N/step" means "N-max/step"
            if step > 1:
                extra = False
        else:
            raise Rejection(INVALID_SYNTAX, f"{what}: too many slashes in {term!r}")
        if start < lo:
            raise Rejection(INVALID_SYNTAX, f"{what}: {term!r} begins below {lo}")
        if end > hi:
            raise Rejection(INVALID_SYNTAX, f"{what}: {term!r} ends above {hi}"
                            + (" (Kubernetes reads day of week 0-6, Sunday 0; the API server refuses 7)"
                               if names is DAY_NAMES else ""))
        if start > end:
            raise Rejection(INVALID_SYNTAX, f"{what}: the range {term!r} runs backwards")
        if step == 0:
            raise Rejection(INVALID_SYNTAX, f"{what}: a step of 0 in {term!r}")
        values.update(range(start, end + 1, step))
        star = star or extra
    return Field(frozenset(values), star)


def _days(dom: Field, dow: Field, source: str) -> tuple[str, str]:
    """robfig's dayMatches: AND when either field is *, else OR."""
    dom_full, dow_full = dom.values == FULL_DOM, dow.values == FULL_DOW
    dom_text = set_text(dom.values, 1, 31)
    dow_text = set_text(frozenset(d + 1 for d in dow.values), 1, 7)
    if dom_full and dow_full:
        return "*", "?"
    if dom.star or dow.star:  # a field that is * covers the whole field: the other one decides
        return ("?", dow_text) if dom_full else (dom_text, "?")
    if dom_full or dow_full:
        return "*", "?"  # OR with a field that covers every day: every day
    fields = source.split()
    raise Rejection(DOM_OR_DOW, f"runs on day(s) {fields[2]} of the month OR on {fields[4]} of the week: Kubernetes "
                                "(robfig/cron) ORs the day fields when neither is * or ?; Quartz cannot say OR. "
                                "Split the CronJob in two, or restrict one field")


def go_duration_seconds(text: str) -> int:
    """`@every`'s duration as robfig uses it: Go's time.ParseDuration (a whole part exactly, a
    fraction through a float, as Go does), then at least one second, rounded down to whole seconds
    (robfig's Every)."""
    body, sign = text, 1
    if body[:1] in ("+", "-"):
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    if body == "0":
        return 1
    nanoseconds, position = 0, 0
    for match in GO_DURATION.finditer(body):
        if match.start() != position or match[1] in ("", "."):
            break
        whole, _, fraction = match[1].partition(".")
        unit = NANOSECONDS[match[2]]
        nanoseconds += int(whole or 0) * unit
        if fraction:
            nanoseconds += int(float(int(fraction)) * (unit / 10 ** len(fraction)))
        position = match.end()
    if not body or position != len(body):
        raise Rejection(INVALID_SYNTAX, f"@every {text!r}: not a Go duration such as 5m, 1h30m or 90s")
    return max(1, sign * nanoseconds // 10**9)


def convert_robfig(spec: str, anchor: datetime | None = None) -> Converted:
    """A schedule without its zone prefix (see `split_zone`), converted exactly. `anchor`: the
    instant an `@every` schedule counts from (naive: UTC); the freq is then in UTC."""
    if spec.startswith(EVERY):
        seconds = go_duration_seconds(spec[len(EVERY):])
        if anchor is not None:
            anchor = anchor.astimezone(UTC).replace(tzinfo=None) if anchor.tzinfo else anchor
            anchor = anchor.replace(microsecond=0)
        converted = from_seconds(seconds, anchor, spec)
        return replace(converted, freq=parse_quartz(converted.freq).canonical)
    outcome = _converted(spec)
    if isinstance(outcome, Converted):
        return outcome
    code, message, extra = outcome
    raise Rejection(code, message, list(extra))


@functools.lru_cache(maxsize=4096)  # an export repeats a few schedules over thousands of CronJobs
def _converted(spec: str) -> Converted | tuple[str, str, tuple[str, ...]]:
    """The conversion of a schedule other than `@every` (which depends on its anchor), or the
    rejection's code, message and extra lines (kept as values: a fresh Rejection is raised each time)."""
    try:
        if spec.startswith("@"):
            if spec not in DESCRIPTORS:
                raise Rejection(INVALID_SYNTAX, f"{spec!r} is not a descriptor robfig/cron knows (@yearly, @annually, "
                                                "@monthly, @weekly, @daily, @midnight, @hourly, @every <duration>; "
                                                "lower case, matched exactly)")
            return _convert_fields(DESCRIPTORS[spec], spec)
        return _convert_fields(spec, spec)
    except Rejection as rejection:
        return rejection.code, rejection.message, tuple(rejection.extra)


def _convert_fields(text: str, source: str) -> Converted:
    fields = text.split()
    if len(fields) != 5:
        raise Rejection(INVALID_SYNTAX, f"{source!r}: Kubernetes takes exactly 5 fields (minute hour day-of-month "
                                        f"month day-of-week), not {len(fields)}")
    minute = read_field(fields[0], 0, 59, "minutes")
    hour = read_field(fields[1], 0, 23, "hours")
    dom = read_field(fields[2], 1, 31, "day-of-month")
    month = read_field(fields[3], 1, 12, "month", MONTH_NAMES)
    dow = read_field(fields[4], 0, 6, "day-of-week", DAY_NAMES)
    times = ("0", set_text(minute.values, 0, 59), set_text(hour.values, 0, 23))
    months = set_text(month.values, 1, 12)
    try:
        days = _days(dom, dow, text)
    except Rejection as refused:
        if refused.code != DOM_OR_DOW:
            raise
        # robfig ORs the fields; a day of the month that never comes in the months (`0 0 31 2 1`)
        # leaves the days of the week alone, exactly
        try:
            to_quartz(*times, (set_text(dom.values, 1, 31), "?"), months, "*", source)
        except Rejection as never:
            if never.code != IMPOSSIBLE_DATE:
                raise refused from None
            alone = to_quartz(*times, ("?", set_text(frozenset(d + 1 for d in dow.values), 1, 7)), months, "*", source)
            return replace(alone, warnings=(*alone.warnings, ScheduleWarning(
                "OR_HALF_NEVER", source, alone.freq, f"day(s) {fields[2]} of the month never come in its months: "
                "robfig's OR of the day fields is the day of the week alone")))
        raise
    return to_quartz(*times, days, months, "*", source)
