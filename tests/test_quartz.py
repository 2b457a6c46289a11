"""The Quartz validator and evaluator: golden cases from the reference, and cronsim as an oracle."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice, takewhile

import pytest
from cronsim import CronSim
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.schedule.cycle import SubMinuteSchedule, cycle_of
from migrate.schedule.quartz import QuartzError, parse_quartz


def fires(expression: str, start: datetime, count: int) -> list[str]:
    return [t.isoformat(sep=" ") for t in islice(parse_quartz(expression).fire_times(start), count)]


@pytest.mark.parametrize(
    ("expression", "start", "expected"),
    [
        # The target's own sample: 1/1 skips minute 0 in real Quartz (cron-semantics.md §1.2).
        ("0 1/1 * * * ? *", datetime(2024, 1, 1, 0, 58, 30), ["2024-01-01 00:59:00", "2024-01-01 01:01:00"]),
        ("0 0/1 * * * ? *", datetime(2024, 1, 1, 0, 58, 30), ["2024-01-01 00:59:00", "2024-01-01 01:00:00"]),
        # Steps never wrap: month 7/6 is July only.
        ("0 0 0 1 7/6 ? *", datetime(2024, 1, 1), ["2024-07-01 00:00:00", "2025-07-01 00:00:00"]),
        # Wrapping ranges are allowed.
        ("0 0 22-1 1 1 ? 2024", datetime(2023, 12, 31, 23), ["2024-01-01 00:00:00", "2024-01-01 01:00:00",
                                                       "2024-01-01 22:00:00", "2024-01-01 23:00:00"]),
        # 31W does not fire in a 30-day month (Quartz, unlike croniter).
        ("0 0 0 31W * ?", datetime(2024, 11, 1), ["2024-12-31 00:00:00"]),
        # 1W on a Saturday (2024-06-01) fires Monday the 3rd, never in May.
        ("0 0 0 1W * ?", datetime(2024, 5, 31), ["2024-06-03 00:00:00"]),
        # LW: the last weekday; L-2: two days before the last.
        ("0 0 0 LW * ?", datetime(2024, 8, 1), ["2024-08-30 00:00:00"]),
        ("0 0 0 L-2 2 ? 2024", datetime(2024, 1, 1), ["2024-02-27 00:00:00"]),
        # d#n and dL: first Monday, last Friday.
        ("0 0 0 ? * 2#1 *", datetime(2024, 11, 1), ["2024-11-04 00:00:00", "2024-12-02 00:00:00"]),
        ("0 0 0 ? * 6L *", datetime(2024, 11, 1), ["2024-11-29 00:00:00", "2024-12-27 00:00:00"]),
        ("0 0 0 ? * MON#5 *", datetime(2024, 11, 1), ["2024-12-30 00:00:00"]),
        # 1 = Sunday in Quartz.
        ("0 0 0 ? * 1 *", datetime(2024, 11, 1), ["2024-11-03 00:00:00"]),
        ("0 30 2 ? * mon-fri", datetime(2024, 11, 1, 3), ["2024-11-04 02:30:00"]),
        ("0 0 0 29 2 ? *", datetime(2024, 3, 1), ["2028-02-29 00:00:00"]),
        # nW for a day the month does not have, as Quartz 2.3.2 fires it (make oracle, recorded):
        # when the day after the month's end is a Saturday, the month's last day; else nothing.
        ("0 0 0 29W 2 ?", datetime(2025, 1, 1), ["2025-02-28 00:00:00", "2028-02-29 00:00:00",
                                                 "2031-02-28 00:00:00"]),
        ("0 0 0 31W 4 ?", datetime(2027, 1, 1), ["2027-04-30 00:00:00", "2032-04-30 00:00:00"]),
        ("0 0 0 30W 2 ?", datetime(2024, 1, 1), ["2036-02-29 00:00:00", "2064-02-29 00:00:00"]),
        # A step followed by list items: the union.
        ("0 0/30,5 * * * ?", datetime(2024, 1, 1), ["2024-01-01 00:05:00", "2024-01-01 00:30:00",
                                                    "2024-01-01 01:00:00"]),
        ("0 0 0 L-27W * ?", datetime(2024, 1, 1), ["2024-01-04 00:00:00", "2024-02-02 00:00:00",
                                                   "2024-03-04 00:00:00"]),
    ],
)
def test_fire_times(expression: str, start: datetime, expected: list[str]) -> None:
    assert fires(expression, start, len(expected)) == expected


@pytest.mark.parametrize(
    ("expression", "field"),
    [
        ("0 0 0 * * *", None),  # neither day field is '?'
        ("0 0 0 ? * ?", None),  # both are
        ("0 0 0 * * ? * *", None),  # too many fields
        ("0 0 * *", None),  # too few
        ("0 60 0 * * ?", "minutes"),
        ("0 0 24 * * ?", "hours"),
        ("0 0 0 32 * ?", "day-of-month"),
        ("0 0 0 ? 13 *", "month"),
        ("0 0 0 ? * 0", "day-of-week"),  # Quartz has no day 0
        ("0 0 0 ? * 8", "day-of-week"),
        ("0 0 0 ? * SUN-SAT/2", "day-of-week"),  # Quartz drops the step after a name
        ("0 0 0 ? * L", "day-of-week"),  # Quartz reads it as Saturday
        ("0 0 0 ? * MON#1,FRI#2", "day-of-week"),  # one # term only
        ("0 0 0 ? * 2#6", "day-of-week"),
        ("0 0 0 L-31 * ?", "day-of-month"),
        ("0 0 0 32W * ?", "day-of-month"),
        ("0 0 0 * * ? 1969", "year"),
        ("0 0 0 * * ? 2100", "year"),
        ("0 0/0 0 * * ?", "minutes"),
        ("0 0 0 ? JAN/2 *", "month"),
        ("0 0 ? * * *", "hours"),
        ("0 0 0 * FOO ?", "month"),
        ("0 0 22-2/2 * * ?", "hours"),
        # Refused by Quartz 2.3.2 itself (make oracle): a range mixing a name and a number, a
        # year range that runs backwards.
        ("0 0 0 ? * MON-2", "day-of-week"),
        ("0 0 0 ? * 2-MON", "day-of-week"),
        ("0 0 0 ? JAN-3 *", "month"),
        ("0 0 0 * * ? 2027-2025", "year"),
        # Accepted by Quartz, whose search for the next fire time then never returns.
        ("0 0 0 L-28W * ?", "day-of-month"),
        ("0 0 0 L-30W * ?", "day-of-month"),
    ],
)
def test_invalid_expressions_name_the_field(expression: str, field: str | None) -> None:
    with pytest.raises(QuartzError) as raised:
        parse_quartz(expression)
    assert raised.value.field == field
    assert expression in str(raised.value)


def test_canonical_text_is_upper_case_seven_fields() -> None:
    assert parse_quartz("0  30 2 ? * mon-fri").text == "0 30 2 ? * MON-FRI *"
    assert parse_quartz("0  30 2 ? * mon-fri").canonical == "0 30 2 ? * 2-6 *"
    assert parse_quartz("0 0 0 * * ? 1970-2099").canonical == "0 0 0 * * ? 1970-2099"  # not *: Quartz's runs on
    assert parse_quartz("0 0 0 L-0W * ?").canonical == "0 0 0 LW * ? *"


@pytest.mark.parametrize(
    ("expression", "cycle"),
    [
        ("0 * * * * ? *", "mi"), ("0 0/15 9-17 ? * 2-6 *", "mi"), ("0 0 * * * ? *", "H"),
        ("0 0 9,18 * * ? *", "H"), ("0 30 2 * * ? *", "D"), ("0 30 2 ? * 2-6 *", "W"),
        ("0 0 0 ? * 1 *", "W"), ("0 0 0 1 * ? *", "M"), ("0 0 0 L * ? *", "M"),
        ("0 0 0 ? * 2#1 *", "M"), ("0 0 0 1 1 ? *", "M"), ("0 0 0 ? * * *", "D"),
    ],
)
def test_cycle_of(expression: str, cycle: str) -> None:
    assert cycle_of(parse_quartz(expression)) == cycle


def test_sub_minute_has_no_cycle() -> None:
    with pytest.raises(SubMinuteSchedule):
        cycle_of(parse_quartz("0/5 * * * * ? *"))


def _unix_field(values: list[int]) -> str:
    return ",".join(str(v) for v in sorted(set(values)))


@settings(max_examples=150, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 59), min_size=1, max_size=3),
    hours=st.lists(st.integers(0, 23), min_size=1, max_size=3),
    days=st.one_of(st.none(), st.lists(st.integers(1, 31), min_size=1, max_size=3)),
    weekdays=st.one_of(st.none(), st.lists(st.integers(0, 6), min_size=1, max_size=3)),
    months=st.one_of(st.none(), st.lists(st.integers(1, 12), min_size=1, max_size=4)),
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
)
def test_same_fire_times_as_cronsim(
    minutes: list[int], hours: list[int], days: list[int] | None, weekdays: list[int] | None,
    months: list[int] | None, start: datetime,
) -> None:
    """A Vixie expression restricting at most one day field fires exactly when its Quartz
    spelling does (DOW renumbered 0..6 -> 1..7), over the next 30 fires within two years."""
    if days is not None and weekdays is not None:
        weekdays = None  # Quartz cannot express both; the converter rejects that case
    unix = " ".join([
        _unix_field(minutes), _unix_field(hours), _unix_field(days) if days else "*",
        _unix_field(months) if months else "*", _unix_field(weekdays) if weekdays is not None else "*",
    ])
    quartz_dom = _unix_field(days) if days else ("?" if weekdays is not None else "*")
    quartz_dow = _unix_field([w + 1 for w in weekdays]) if weekdays is not None else "?"
    quartz = f"0 {_unix_field(minutes)} {_unix_field(hours)} {quartz_dom} " \
             f"{_unix_field(months) if months else '*'} {quartz_dow} *"
    start = start.replace(microsecond=0)
    end = start + timedelta(days=730)
    try:
        oracle = list(islice(takewhile(lambda t: t <= end, CronSim(unix, start)), 30))
    except Exception:  # cronsim refuses impossible dates such as 31 2
        return
    ours = list(islice(takewhile(lambda t: t <= end, parse_quartz(quartz).fire_times(start)), 30))
    assert ours == oracle, (unix, quartz)
