"""AWS EventBridge schedule expressions (rules and EventBridge Scheduler) -> a Quartz `freq`.

Three forms, as AWS documents them (eb-scheduled-rule-pattern.html, scheduler schedule-types.html):

* `cron(minutes hours day-of-month month day-of-week year)`: six fields, no seconds (the freq's
  seconds are 0: AWS fires within the minute). Exactly one day field is `?`. Day of week is 1-7
  from Sunday, as in Quartz. The documented wildcards are carried over as Quartz reads them:
  minutes and hours `, - * /`; day of month `, - * ? / L W` (`L`, `nW`); month `, - * /` and
  JAN-DEC; day of week `, - * ? L #` and SUN-SAT (`dL` the last such day of the month, `d#n` the
  n-th, one only, and a bare `L` the last day of the week, Saturday); year `, - * /`, 1970-2199.
  Anything outside that table (`LW`, `L-3`, a step in day of week) is refused: AWS does not say
  what it means, so it is never guessed. A range may wrap (`20-2` hours, as AWS's own example).
  Explicit years after 2099 have no Quartz form here and are refused.
* `rate(value unit)`: `minute|minutes|hour|hours|day|days`, singular for 1 and plural otherwise
  (AWS refuses `rate(1 hours)` and `rate(5 hour)`). A rate is a fixed interval in absolute time
  (Scheduler: "24 hours after the last invocation", whatever the daylight saving), counted from its
  anchor, so the freq is in UTC; the anchor is taken to the minute. Only `rate(1 minute)` needs
  none. Intervals that drift against the calendar (7 minutes, 5 hours, 2 days) are refused.
* `at(yyyy-mm-ddThh:mm:ss)`: one invocation (Scheduler only), at that wall-clock time in the
  schedule's zone (`convert_one_time`, which the profile and `migrate cron` share): still ahead, the
  freq of that minute with its year, which fires once (ONE_TIME), proved as the `cron(…)` of that
  minute, which AWS fires once too; passed, no time schedule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from migrate.schedule.intervals import from_seconds
from migrate.schedule.legacy import convert_quartz
from migrate.schedule.quartz import YEAR_MAX, parse_quartz
from migrate.schedule.result import INVALID_SYNTAX, NEEDS_START, Converted, Rejection, ScheduleWarning
from migrate.schedule.timezone import wall_time_passed

EXPRESSION = re.compile(r"^\s*(cron|rate|at)\s*\((.*)\)\s*$", re.DOTALL)
RATE = re.compile(r"^(\d+) +(minute|minutes|hour|hours|day|days)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
FIELD_NAMES = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# Each field's documented characters (names aside): eb-scheduled-rule-pattern.html's table.
ALLOWED = {
    "minutes": set("0123456789,-*/"), "hours": set("0123456789,-*/"), "day-of-month": set("0123456789,-*?/LW"),
    "month": set("0123456789,-*/"), "day-of-week": set("0123456789,-*?L#"), "year": set("0123456789,-*/"),
}
NAMES = re.compile(r"[A-Z]{3}")


def read_expression(text: str) -> tuple[str, str]:
    """(`cron` | `rate` | `at`, the text between the parentheses), or INVALID_SYNTAX."""
    match = EXPRESSION.match(text)
    if match is None:
        raise Rejection(INVALID_SYNTAX, f"{text!r} is not an EventBridge schedule expression (cron(…), rate(…) or "
                                        "at(…))")
    return match[1], match[2].strip()


def _field(text: str, name: str) -> str:
    """One field checked against AWS's table, in the spelling Quartz reads."""
    upper = text.upper()
    names = MONTHS if name == "month" else DAYS if name == "day-of-week" else ()
    for word in NAMES.findall(upper):
        if word not in names:
            raise Rejection(INVALID_SYNTAX, f"{name}: {text!r}: {word} is not a name AWS allows in this field")
    bare = NAMES.sub("", upper)
    stray = sorted(set(bare) - ALLOWED[name])
    if stray:
        raise Rejection(INVALID_SYNTAX, f"{name}: {text!r}: {''.join(stray)} is not in AWS's documented wildcards for "
                                        f"this field ({' '.join(sorted(ALLOWED[name] - set('0123456789')))})")
    if name == "day-of-month" and ("L" in bare or "W" in bare) and not re.fullmatch(r"L|\d{1,2}W", upper):
        raise Rejection(INVALID_SYNTAX, f"{name}: {text!r}: AWS documents L (the last day) and nW (the weekday "
                                        "nearest day n), each alone in the field; what else it means is not "
                                        "documented, so it is not guessed")
    if name == "day-of-week":
        if upper == "L":
            return "7"  # "the last day of the week": Saturday, as Quartz reads a bare L here
        if ("L" in bare or "#" in bare) and not re.fullmatch(r"(?:[1-7]|[A-Z]{3})(?:L|#[1-5])", upper):
            raise Rejection(INVALID_SYNTAX, f"{name}: {text!r}: AWS documents dL (the last such day of the month) "
                                            "and d#n (the n-th), one only in the field")
    return upper


def convert_cron(body: str) -> Converted:
    """The six fields of `cron(…)`, carried over as a Quartz freq with seconds 0."""
    source = f"cron({body})"
    parts = body.split()
    if len(parts) != 6:
        raise Rejection(INVALID_SYNTAX, f"{source!r}: an EventBridge cron expression has 6 fields (minutes hours "
                                        f"day-of-month month day-of-week year), not {len(parts)}")
    fields = [_field(text, name) for text, name in zip(parts, FIELD_NAMES, strict=True)]
    if (fields[2] == "?") == (fields[4] == "?"):
        raise Rejection(INVALID_SYNTAX, f"{source!r}: exactly one of day-of-month and day-of-week must be ? (AWS "
                                        "refuses a value or * in both)")
    years = [int(y) for y in re.findall(r"\d+", fields[5])]
    if any(y > YEAR_MAX for y in years):
        raise Rejection(INVALID_SYNTAX, f"{source!r}: years after {YEAR_MAX} have no Quartz form here (AWS allows "
                                        "up to 2199); end the range at 2099, or use *")
    try:
        converted = convert_quartz(" ".join(["0", *fields]))
    except Rejection as rejection:
        raise Rejection(rejection.code, f"{source!r}: {rejection.message}") from None
    return replace(converted, source=source)


def rate_seconds(body: str) -> int:
    """`value unit` of `rate(…)` in seconds, with AWS's rule on singular and plural units."""
    match = RATE.match(body)
    if match is None or int(match[1]) == 0:
        raise Rejection(INVALID_SYNTAX, f"rate({body}) is not a rate AWS reads: a positive whole number, then "
                                        "minute(s), hour(s) or day(s)")
    value, unit = int(match[1]), match[2]
    if (value == 1) == unit.endswith("s"):
        single = unit.rstrip("s")
        raise Rejection(INVALID_SYNTAX, f"rate({body}): AWS takes a singular unit for 1 and a plural one otherwise "
                                        f"(rate(1 {single}), rate(5 {single}s)), and refuses this one")
    return value * UNIT_SECONDS[unit.rstrip("s")]


def convert_rate(body: str, anchor: datetime | None) -> Converted:
    """`rate(…)` counted from `anchor` (naive UTC; taken to the minute). rate(1 minute) needs none."""
    seconds = rate_seconds(body)
    source = f"rate({body})"
    if anchor is None and seconds == 60:
        anchor = datetime(2000, 1, 1)  # every minute: the phase cannot matter
    if anchor is None:
        raise Rejection(NEEDS_START, f"{source!r} counts from when it started, which this export does not say")
    converted = from_seconds(seconds, anchor.replace(second=0, microsecond=0), source)
    return replace(converted, freq=parse_quartz(converted.freq).canonical)


def one_time(body: str) -> datetime:
    """The wall-clock instant of `at(…)`, in the schedule's zone."""
    if not AT.match(body):
        raise Rejection(INVALID_SYNTAX, f"at({body}) is not at(yyyy-mm-ddThh:mm:ss)")
    try:
        return datetime.fromisoformat(body)
    except ValueError as error:
        raise Rejection(INVALID_SYNTAX, f"at({body}) is not a date and time ({error})") from None


ONE_TIME = "ONE_TIME"


@dataclass(frozen=True)
class OneTime:
    """`at(…)` in its zone: still ahead, `converted` is the freq of its minute with its year and a
    ONE_TIME warning, and `proved_as` the `cron(…)` of that minute, which AWS fires once too (the
    proof's EventBridge grammar reads cron and rate); passed, `converted` is None and `passed` says
    why the flow has no time schedule."""

    converted: Converted | None
    proved_as: str
    passed: str = ""


def convert_one_time(body: str, zone: str) -> OneTime:
    """`at(…)` (the text between the parentheses), fired at that wall-clock time in `zone`."""
    at = one_time(body)
    cron = f"{at.minute} {at.hour} {at.day} {at.month} ? {at.year}"
    if wall_time_passed(at, zone):
        # No full stop: a plan goes on after it with what [mapping] unscheduled does.
        return OneTime(None, f"cron({cron})", f"an EventBridge Scheduler one-time schedule at({body}) in {zone}, which "
                                              "has passed: AWS fired it then, if it was enabled, and never fires it "
                                              "again")
    if at.year > YEAR_MAX:
        raise Rejection(INVALID_SYNTAX, f"at({body}) is in {at.year}: a flow's schedule names years up to {YEAR_MAX}")
    converted = convert_cron(cron)
    early = (f"; AWS fires within that minute (60-second precision), the flow at its start, {at.second} s before "
             "the time written") if at.second else ""
    warning = ScheduleWarning(ONE_TIME, f"at({body})", converted.freq,
                              f"at({body}) in {zone}: the flow fires once, at {at:%Y-%m-%d %H:%M} (the year is in "
                              f"its schedule), and never again{early}")
    return OneTime(replace(converted, source=f"at({body})", warnings=(warning, *converted.warnings)), f"cron({cron})")

