"""What the two Windows profiles (taskxml, schtasks) share: a task's several time triggers as the
one schedule of its flow. Task Scheduler starts the task at every trigger's times, so the flow
fires on their union, when that is one Quartz expression (schedule/union.py: two daily triggers at
06:00 and 18:00, a weekly one on Monday and one on Thursday at the same time). Only when the union
is exact over the flow's whole life: the triggers fire in one zone, end together, and have all
begun (one that begins later, even on the same day at another time, would fire early in the union)."""

from __future__ import annotations

from datetime import UTC, datetime

from migrate.schedule.timezone import wall_time_passed
from migrate.schedule.union import one_schedule
from migrate.sources.profiles import FlowRows

MULTIPLE_TRIGGERS = "MULTIPLE_TRIGGERS"
def _begun(start: str, zone: str) -> bool:
    """Whether a trigger's start (ISO date-time as written, with or without its offset) has passed,
    in its zone; one whose zone is not known only once it has passed in every zone."""
    try:
        at = datetime.fromisoformat(start.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return at <= datetime.now(UTC) if at.tzinfo is not None else wall_time_passed(at, zone)


def triggers_as_one(flow: FlowRows, triggers: list[tuple[str, str, str, str]]) -> str | None:
    """The union of the triggers (freq, zone, start as an ISO date-time or "" when it has none, end as
    written) as one freq, with TRIGGERS_MERGED; None, with MULTIPLE_TRIGGERS on the flow, when no one
    schedule is their union."""
    shown = [f"{freq}{f' ({zone})' if zone else ''}" for freq, zone, _, _ in triggers]
    refused = f"{len(triggers)} triggers with different schedules {shown}; a flow has one"
    if len({zone for _, zone, _, _ in triggers}) > 1:
        flow.fail(MULTIPLE_TRIGGERS, f"{refused} (they fire in different zones)")
        return None
    if len({end for _, _, _, end in triggers}) > 1:
        flow.fail(MULTIPLE_TRIGGERS, f"{refused} (they end at different times)")
        return None
    if not all(start.strip() for _, _, start, _ in triggers):  # a schtasks trigger with its Start Date N/A
        flow.fail(MULTIPLE_TRIGGERS, f"{refused} (one has no start date: when it begins is not known, and merged, the "
                                     "flow could fire before it begins)")
        return None
    ahead = sorted(start for _, zone, start, _ in triggers if not _begun(start, zone))
    if ahead:  # each begins at its own time: merged, the flow would fire before the one still to begin
        flow.fail(MULTIPLE_TRIGGERS, f"{refused} (one begins at {ahead[-1]}, ahead: merged, the flow would fire "
                                     "before it begins)")
        return None
    merged = one_schedule([freq for freq, _, _, _ in triggers])
    if merged is None:
        flow.fail(MULTIPLE_TRIGGERS, f"{refused}, whose union no single flow schedule says")
        return None
    flow.warn("TRIGGERS_MERGED", f"{len(triggers)} triggers {shown} start the task at the union of their times: "
                                 f"one schedule, {merged}")
    return merged
