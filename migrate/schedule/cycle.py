"""The Save Flow `cycle` code (M, W, D, H, mi) of a Quartz schedule (cron-semantics.md §3.4)."""

from __future__ import annotations

from typing import Literal

from migrate.schedule.quartz import QuartzSchedule

Cycle = Literal["M", "W", "D", "H", "mi"]
CYCLES: tuple[Cycle, ...] = ("M", "W", "D", "H", "mi")


class SubMinuteSchedule(ValueError):
    """More than one second value: a flow cannot run more often than once a minute."""


def cycle_of(schedule: QuartzSchedule) -> Cycle:
    """The first rule that matches wins, from the finest grain to the coarsest."""
    if len(schedule.seconds) > 1:
        raise SubMinuteSchedule(f"{schedule.text!r} fires more than once a minute")
    if len(schedule.minutes) > 1:
        return "mi"
    if len(schedule.hours) > 1:
        return "H"
    dom, dow = schedule.day_of_month, schedule.day_of_week
    dom_restricted = not dom.any_day and (
        dom.last_offset is not None or dom.nearest_weekday is not None or len(dom.days) < 31
    )
    if dom_restricted or dow.nth is not None or dow.last_of is not None:
        return "M"
    if not dow.any_day and len(dow.days) < 7:
        return "W"
    return "D"
