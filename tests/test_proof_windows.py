"""The proof's Windows side (migrate/schedule/proof_windows.py) on boundaries as the task schema
types them, xs:dateTime: a fraction of a second, as Task Scheduler writes a start set from the
clock, is read at the whole second (the flow fires on whole seconds and the profile names the
fraction); what is no xs:dateTime is unchecked, not guessed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from migrate.schedule.proof import Unchecked
from migrate.schedule.proof_grammars import source_fires

BEGIN = datetime(2026, 1, 1, tzinfo=UTC)


def daily_at(start: str, end: str = "") -> str:
    ending = f"<EndBoundary>{end}</EndBoundary>" if end else ""
    return (f"<Triggers><CalendarTrigger><StartBoundary>{start}</StartBoundary>{ending}<Enabled>true</Enabled>"
            "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger></Triggers>")


def first_fires(source: str, count: int = 2) -> list[datetime]:
    found = source_fires(source, "windows", "UTC", None, BEGIN, BEGIN + timedelta(days=30))
    return [next(found) for _ in range(count)]


@pytest.mark.parametrize("start", ["2015-07-15T20:35:13.2757294", "2015-07-15T20:35:13.9", "2015-07-15T20:35:13",
                                   "2015-07-15T20:35:13.2757294Z"])
def test_a_start_is_read_at_the_whole_second_it_falls_in(start: str) -> None:
    assert first_fires(daily_at(start)) == [datetime(2026, 1, 1, 20, 35, 13, tzinfo=UTC),
                                            datetime(2026, 1, 2, 20, 35, 13, tzinfo=UTC)]


def test_an_offset_with_a_fraction_is_read_as_the_offset() -> None:
    assert first_fires(daily_at("2015-07-15T20:35:13.5-05:00"), 1) == [datetime(2026, 1, 1, 1, 35, 13, tzinfo=UTC)]


@pytest.mark.parametrize("start", ["2015-07-15 20:35:13", "20150715T203513", "2015-07-15T20:35", "2015-02-30T08:00:00",
                                   "2015-07-15T20:35:13.", "yesterday"])
def test_what_is_no_xs_date_time_is_unchecked(start: str) -> None:
    with pytest.raises(Unchecked, match="boundary"):
        first_fires(daily_at(start), 1)


def test_an_end_keeps_its_fraction() -> None:
    """An end a fraction after the span begins is inside it: the flow has no end, so unchecked."""
    with pytest.raises(Unchecked, match="inside the compared span"):
        first_fires(daily_at("2015-07-15T20:35:13", "2026-01-01T00:00:00.5Z"), 1)
