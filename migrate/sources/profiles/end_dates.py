"""A source schedule's end date, which a flow has no field for: one rule for every profile.

An end that has passed means the job no longer fired: the flow is saved inactive, and the warning
says so. An end still ahead means the job fires until then: the flow stays active, and the warning
names the date on which to disable it. A day "has passed" here once it has everywhere on earth (in
UTC-12): a profile knows no zone, and the source's day ends up to 14 hours before or 12 after UTC's.
The mapping, which knows the source's zone, finds an end passed there since (mapping/flows.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from migrate.schedule.timezone import WESTMOST
from migrate.sources.profiles import FlowRows


def today() -> date:
    """Today's date in UTC: the one clock every profile compares end dates with."""
    return datetime.now(UTC).date()


def has_ended(end: date) -> bool:
    """True when the schedule's last day is over in every zone (a schedule ending today still fires
    today). Against UTC's date, an end of yesterday in Los Angeles passed at 07:00 UTC while its day
    still ran there (saved inactive, runs lost)."""
    return end < (datetime.now(UTC) - WESTMOST).date()


def passed_phrase(what: str, written: str) -> str:
    """An end that has passed, in words: `what` names the source's field, `written` its value."""
    return f"{what} {written} has passed: the job no longer fires"


def ended_sentence(what: str, written: str) -> str:
    """The warning of an end that has passed."""
    return f"{passed_phrase(what, written)}, so the flow is saved inactive (active 0)"


# How an end still ahead's warning ends: the mapping adds the flow's last run before it, in the
# service's zone, or says otherwise of a flow saved inactive (mapping/flows.py, _end_said).
STAYS_ACTIVE_TAIL = "but a flow has no end date: it stays active; disable it on that date"


def ends_sentence(what: str, written: str) -> str:
    """The warning of an end still ahead."""
    return f"{what} {written}: the job stops firing then, {STAYS_ACTIVE_TAIL}"


def report_end(flow: FlowRows, what: str, written: str, end: date, until: datetime | None = None) -> bool:
    """END_DATE on the flow; an end that has passed also makes it inactive. True when it has.
    `until`: the end's instant where the source gives one (the first instant it no longer fires),
    else its day counts whole: the mapping compares the runs left with it (NEVER_RUNS, the proof's span).
    An instant with its offset has passed once it has: one earlier today, taken as its day, was still
    to come, the flow kept active, and the mapping, finding it past, said no more."""
    if has_ended(end) or (until is not None and until.tzinfo is not None and until <= datetime.now(UTC)):
        flow.warn("END_DATE", ended_sentence(what, written))
        flow.cells["active"] = "0"
        return True
    flow.warn("END_DATE", ends_sentence(what, written))
    flow.cells["source_end"] = (until or end).isoformat()  # the proof compares no span past it (mapping/flows.py)
    return False
