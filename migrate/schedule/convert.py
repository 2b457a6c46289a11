"""One entry point for every dialect: `convert(value, dialect, start=...)` gives a Converted or a
Rejected, never an exception for a user's schedule."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal, get_args

from migrate.schedule.airflow import convert_airflow
from migrate.schedule.cron import convert_cron, fires_after
from migrate.schedule.intervals import from_iso8601
from migrate.schedule.legacy import convert_quartz, keep_service_freq
from migrate.schedule.quartz import QuartzError, parse_quartz
from migrate.schedule.result import (
    IMPOSSIBLE_DATE,
    INVALID_SYNTAX,
    NEEDS_START,
    Converted,
    Rejected,
    Rejection,
    ScheduleWarning,
)
from migrate.schedule.timezone import TIMEZONE_APPROXIMATE, TIMEZONE_MISMATCH, place_in_zone

Dialect = Literal["quartz", "unix", "croniter", "airflow", "iso8601", "service"]
DIALECTS: tuple[str, ...] = get_args(Dialect)


@functools.lru_cache(maxsize=8192)  # exports repeat a few schedules many times
def convert(
    value: str, dialect: Dialect, start: datetime | None = None, split_or: bool = False
) -> Converted | Rejected:
    try:
        if dialect == "quartz":
            return convert_quartz(value)
        if dialect == "service":
            return keep_service_freq(value)
        if dialect in ("unix", "croniter"):
            return convert_cron(value, dialect, split_or)
        if dialect == "airflow":
            return convert_airflow(value, start, split_or)
        return from_iso8601(value, start)
    except Rejection as rejection:
        return Rejected(rejection.code, rejection.message, value)
    except Exception as error:
        # A user's text must never stop a run. The converters' own refusals are Rejections, so
        # anything else is a text they did not foresee: refuse it, saying what went wrong.
        return Rejected(INVALID_SYNTAX, f"{value!r} could not be read as a {dialect} schedule "
                                        f"({type(error).__name__}: {error})", str(value))


@functools.lru_cache(maxsize=8192)  # called once a row: most rows repeat a schedule, anchor and zones
def convert_for_service(value: str, dialect: Dialect, start: datetime | None, source_zone: str | None,
                        target_zone: str | None, approximate: bool = False,
                        split_or: bool = False) -> Converted | Rejected:
    """The schedule as the service will fire it: converted, counted from its anchor when it is an
    interval, and placed in the service's zone. An anchor with an offset is an instant, and
    intervals of fixed length run in absolute time (as Airflow's do): the clock they keep is UTC's.
    One whose last year is this one and whose times have all passed on the service's clock is
    refused (the conversion alone, knowing no zone, keeps a time the last 14 hours may hold)."""
    result = _placed(value, dialect, start, source_zone, target_zone, approximate, split_or)
    if isinstance(result, Converted) and target_zone is not None and _all_passed_in(result, target_zone):
        return Rejected(IMPOSSIBLE_DATE, f"{value!r} fires only at times that have passed (none is left on the "
                                         f"service's clock, {target_zone})", value)
    return result


def _all_passed_in(result: Converted, zone: str) -> bool:
    """No fire time left on `zone`'s clock, of the flow or of its split's second flow."""
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo(zone)).replace(tzinfo=None)
    try:
        return not any(fires_after(parse_quartz(freq), now)
                       for freq in (result.freq, *([result.split.freq] if result.split is not None else [])))
    except QuartzError:
        return False


def _placed(value: str, dialect: Dialect, start: datetime | None, source_zone: str | None, target_zone: str | None,
            approximate: bool, split_or: bool) -> Converted | Rejected:
    result = convert(value, dialect, None, split_or)
    if isinstance(result, Rejected) and result.code == NEEDS_START and start is not None:
        if start.tzinfo is not None:
            start, source_zone = start.astimezone(UTC).replace(tzinfo=None), "UTC"
        result = convert(value, dialect, start, split_or)
    if isinstance(result, Rejected) or source_zone is None:
        return result
    if target_zone is None:
        return Rejected(TIMEZONE_MISMATCH, f"the schedule fires in {source_zone}, and the service's zone is not "
                                           "given: set [target] timezone (the service's Get Timezone action tells "
                                           "it)", value)
    placed = place_in_zone(result, source_zone, target_zone, approximate=approximate)
    if isinstance(placed, Rejected) or placed.freq == result.freq or any(
            w.code == TIMEZONE_APPROXIMATE for w in placed.warnings):
        return placed
    # Exact, but a reviewer sees 18:00 where the source said 02:00: say why (a split's second
    # flow too, about its own freq).
    split = placed.split
    if split is not None and result.split is not None:
        split = replace(split, warnings=(*split.warnings, _shifted_note(result.split, split, source_zone, target_zone)))
    return replace(placed, warnings=(*placed.warnings, _shifted_note(result, placed, source_zone, target_zone)),
                   split=split)


def _shifted_note(source: Converted, placed: Converted, source_zone: str, target_zone: str) -> ScheduleWarning:
    return ScheduleWarning("TIMEZONE_SHIFTED", f"{source.freq} ({source_zone})", f"{placed.freq} ({target_zone})",
                           f"the same instants, written in the service's zone {target_zone}")
