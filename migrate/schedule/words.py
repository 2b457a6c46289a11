"""A Quartz `freq` in words, for the people who review a plan ("At 03:00, Monday through Friday").

The words come from cron-descriptor, set to Quartz's own reading: seven fields (seconds first,
year last) and days of the week numbered from 1 (Sunday), as the service counts them. They are
an aid to the eye only: the freq itself is always shown beside them, and an expression the
library cannot put into words gets none rather than a guess.
"""

from __future__ import annotations

import functools

from cron_descriptor import CasingTypeEnum, ExpressionDescriptor, Options

from migrate.schedule.quartz import QuartzError, parse_quartz


def _options() -> Options:
    options = Options()
    options.day_of_week_start_index_zero = False  # Quartz: 1 is Sunday, 7 is Saturday
    options.use_24hour_time_format = True
    options.verbose = True  # "every day" said, not left out
    options.casing_type = CasingTypeEnum.Sentence
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=8192)  # a plan repeats a few schedules many times
def in_words(freq: str) -> str:
    """The schedule in English, or "" when it cannot be said (never an exception: a plan lists
    every flow, whatever its freq holds)."""
    try:
        parse_quartz(freq)  # the library says whatever it is given ("At 00:00:61"): only what Quartz takes
    except QuartzError:
        return ""
    try:
        return str(ExpressionDescriptor(freq, _OPTIONS).get_description())
    except Exception:  # the library's own errors, and whatever else a malformed text makes it raise
        return ""
