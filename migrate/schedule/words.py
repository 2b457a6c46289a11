"""A Quartz `freq` in words, for the people who review a plan ("At 03:00, Monday through Friday").

The words come from cron-descriptor, set to Quartz's own reading: seven fields (seconds first,
year last) and days of the week numbered from 1 (Sunday), as the service counts them. They are
an aid to the eye only: the freq itself is always shown beside them, and an expression the
library cannot put into words gets none rather than a guess.

The canonical freq writes a set of evenly spaced values as a step (`set_text`: Sunday and
Saturday are `1/6`), which the library reads as "every 6 days of the week": true of the set only
when the step divides the field's cycle (every 15 minutes, every 6 hours). Any other open step
(`1/6` days of the week, `1/22` hours, `1/30` days of the month) is said as the values it holds,
and a year step as running to Quartz's last year, not the library's 9999.
"""

from __future__ import annotations

import functools
import re

from cron_descriptor import CasingTypeEnum, ExpressionDescriptor, Options

from migrate.schedule.quartz import YEAR_MAX, QuartzError, parse_quartz


def _options() -> Options:
    options = Options()
    options.day_of_week_start_index_zero = False  # Quartz: 1 is Sunday, 7 is Saturday
    options.use_24hour_time_format = True
    options.verbose = True  # "every day" said, not left out
    options.casing_type = CasingTypeEnum.Sentence
    return options


_OPTIONS = _options()
# Each field's values (seconds … day of week); a step is regular when it divides the cycle.
FIELD_BOUNDS = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (1, 7))
DAY_OF_MONTH, DAY_OF_WEEK, YEAR = 3, 5, 6
STEP = re.compile(r"^(\*|\d+)(?:-(\d+))?/(\d+)$")


def _step_term(term: str, field: int) -> str:
    """One comma term of a field, said as the library will read it rightly."""
    match = STEP.match(term)
    if match is None:
        return term
    start_text, stop_text, step_text = match.groups()
    if field == YEAR:  # the library runs an open year step to 9999; Quartz stops at YEAR_MAX
        return term if stop_text else f"{1970 if start_text == '*' else start_text}-{YEAR_MAX}/{step_text}"
    low, high = FIELD_BOUNDS[field]
    start = low if start_text == "*" else int(start_text)
    stop = high if stop_text is None else int(stop_text)
    step = int(step_text)
    # Days of the month vary in number, and days of the week are seven: no step there is a regular
    # cycle, so each is said as the days it holds (a bounded range keeps its "through" reading).
    regular = (stop_text is None and (high - low + 1) % step == 0 and start - low < step
               and field not in (DAY_OF_MONTH, DAY_OF_WEEK))
    if regular or (stop_text is not None and field not in (DAY_OF_MONTH, DAY_OF_WEEK)):
        return term
    return ",".join(str(value) for value in range(start, stop + 1, step))


def _plain_steps(freq: str) -> str:
    fields = freq.split()
    fields[2] = hours_one_by_one(fields[1], fields[2])
    return " ".join(",".join(_step_term(term, index) for term in text.split(",")) for index, text in
                    enumerate(fields))


_HOUR_RANGE = re.compile(r"^(\d+)-(\d+)$")


def hours_one_by_one(minute: str, hour: str) -> str:
    """The hour field with its ranges written out, where the library would misread them: at one
    minute of a list of hours holding a range (`0 10,11,14-16`), it says "14:00 through 16:59",
    as if every minute of those hours fired; written out, "14:00, 15:00 and 16:00"."""
    if not minute.isdigit() or "," not in hour or "/" in hour:
        return hour
    terms = hour.split(",")
    if not all(term.isdigit() or _HOUR_RANGE.match(term) for term in terms):
        return hour
    values: list[int] = []
    for term in terms:
        match = _HOUR_RANGE.match(term)
        values += range(int(match[1]), int(match[2]) + 1) if match else [int(term)]
    return ",".join(map(str, values))


@functools.lru_cache(maxsize=8192)  # a plan repeats a few schedules many times
def in_words(freq: str) -> str:
    """The schedule in English, or "" when it cannot be said (never an exception: a plan lists
    every flow, whatever its freq holds)."""
    try:
        parse_quartz(freq)  # the library says whatever it is given ("At 00:00:61"): only what Quartz takes
    except QuartzError:
        return ""
    try:
        return str(ExpressionDescriptor(_plain_steps(freq), _OPTIONS).get_description())
    except Exception:  # the library's own errors, and whatever else a malformed text makes it raise
        return ""
