"""One entry point for every dialect: `convert(value, dialect, start=...)` gives a Converted or a
Rejected, never an exception for a user's schedule."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Literal, get_args

from migrate.schedule.airflow import convert_airflow
from migrate.schedule.cron import convert_cron
from migrate.schedule.intervals import from_iso8601
from migrate.schedule.legacy import convert_quartz
from migrate.schedule.result import INVALID_SYNTAX, Converted, Rejected, Rejection

Dialect = Literal["quartz", "unix", "croniter", "airflow", "iso8601"]
DIALECTS: tuple[str, ...] = get_args(Dialect)


@functools.lru_cache(maxsize=8192)  # exports repeat a few schedules many times
def convert(
    value: str, dialect: Dialect, start: datetime | None = None, split_or: bool = False
) -> Converted | Rejected:
    try:
        if dialect == "quartz":
            return convert_quartz(value)
        if dialect in ("unix", "croniter"):
            return convert_cron(value, dialect, split_or)
        if dialect == "airflow":
            return convert_airflow(value, start)
        return from_iso8601(value, start)
    except Rejection as rejection:
        return Rejected(rejection.code, rejection.message, value)
    except Exception as error:
        # A user's text must never stop a run. The converters' own refusals are Rejections, so
        # anything else is a text they did not foresee: refuse it, saying what went wrong.
        return Rejected(INVALID_SYNTAX, f"{value!r} could not be read as a {dialect} schedule "
                                        f"({type(error).__name__}: {error})", str(value))
