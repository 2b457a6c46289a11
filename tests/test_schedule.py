"""Schedules from every dialect: golden vectors from the reference and the public suites, and
property tests that compare fire times with cronsim (Vixie) and croniter over two years."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import islice, takewhile
from typing import Any

import pytest
from croniter import croniter
from cronsim import CronSim
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.cli import main
from migrate.schedule.convert import convert
from migrate.schedule.legacy import convert_quartz, convert_windows, rundeck_quartz_text
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Converted, Rejected, Rejection


def converted(value: str, dialect: str, start: datetime | None = None) -> Converted:
    result = convert(value, dialect, start)  # type: ignore[arg-type]
    assert isinstance(result, Converted), result
    return result


@pytest.mark.parametrize(
    ("source", "freq", "cycle", "flags"),
    [  # cron-semantics.md §3.4, and Sunday as 0 and 7 (§4)
        ("* * * * *", "0 * * * * ? *", "mi", set()),
        ("*/5 * * * *", "0 0/5 * * * ? *", "mi", set()),
        ("*/7 * * * *", "0 0/7 * * * ? *", "mi", {"IRREGULAR_STEP"}),
        ("*/15 9-17 * * 1-5", "0 0/15 9-17 ? * 2-6 *", "mi", {"WINDOWED"}),
        ("0 * * * *", "0 0 * * * ? *", "H", set()),
        ("@hourly", "0 0 * * * ? *", "H", set()),
        ("0 */6 * * *", "0 0 0/6 * * ? *", "H", set()),
        ("0 */5 * * *", "0 0 0/5 * * ? *", "H", {"IRREGULAR_STEP"}),
        ("0 9,18 * * *", "0 0 9,18 * * ? *", "H", {"HOUR_LIST"}),
        ("30 2 * * *", "0 30 2 * * ? *", "D", set()),
        ("30 2 * * 1-5", "0 30 2 ? * 2-6 *", "W", set()),
        ("0 0 * * 0", "0 0 0 ? * 1 *", "W", set()),
        ("0 0 * * 7", "0 0 0 ? * 1 *", "W", set()),
        ("@weekly", "0 0 0 ? * 1 *", "W", set()),
        ("0 0 * * SUN", "0 0 0 ? * 1 *", "W", set()),
        ("0 0 1 * *", "0 0 0 1 * ? *", "M", set()),
        ("@monthly", "0 0 0 1 * ? *", "M", set()),
        ("0 0 1 */3 *", "0 0 0 1 1/3 ? *", "M", {"MONTH_RESTRICTED"}),
        ("0 0 1 1 *", "0 0 0 1 1 ? *", "M", {"YEARLY", "MONTH_RESTRICTED"}),
        ("0 0 */2 * *", "0 0 0 1/2 * ? *", "M", {"EVERY_N_DAYS_APPROX"}),
        ("0 0 * * 1-7/2", "0 0 0 ? * 1,2,4,6 *", "W", set()),  # renumbered as a set, not per token
        ("1 1 1-7 * */7", "0 1 1 ? * 1#1 *", "M", set()),  # AND of days 1-7 and Sunday: the first Sunday
        ("0 0 * jan,jul mon", "0 0 0 ? 1/6 2 *", "W", {"MONTH_RESTRICTED"}),
        ("0 0 *,15 * 5", "0 0 0 ? * 6 *", "W", set()),  # "*,15" starts with *: AND, Fridays only
        ("0 0 15,* * 5", "0 0 0 * * ? *", "D", set()),  # "15,*" does not: OR with every day
    ],
)
def test_unix_golden(source: str, freq: str, cycle: str, flags: set[str]) -> None:
    result = converted(source, "unix")
    assert (result.freq, result.cycle) == (freq, cycle)
    assert {w.code for w in result.warnings} - {"WINDOWED", "MONTH_RESTRICTED"} == flags - {"WINDOWED", "MONTH_RESTRICTED"}
    assert flags <= {w.code for w in result.warnings}


@pytest.mark.parametrize(("source", "said"), [
    ("0 0 31 4,6,9,11 *", "day(s) 31 of Apr, Jun, Sep, Nov, which have no such day"),
    ("0 0 30,31 2 *", "day(s) 30, 31 of Feb, which has no such day"),
    ("0 0 0 29 2 ? 2027", "day(s) 29 of Feb of 2027, which has no such day"),  # 2028 has one
])
def test_a_date_that_never_comes_names_its_days_and_months(source: str, said: str) -> None:
    result = convert(source, "quartz" if "?" in source else "unix")
    assert isinstance(result, Rejected) and result.code == "IMPOSSIBLE_DATE" and said in result.message, result


@pytest.mark.parametrize(("source", "said"), [
    # February 2027 has four Fridays: the flow would sit in the service and never run (the proof
    # could only say `unchecked`)
    ("0 0 2 ? 2 6#5 2027", "the fifth Friday of Feb of 2027, which has no such day"),
    ("0 0 2 ? 2,3 6#5 2027", "the fifth Friday of Feb, Mar of 2027, which have no such day"),
    ("0 0 2 L-29 2 ? *", "29 days before the last day of Feb, which has no such day"),
])
def test_a_day_rule_that_never_finds_a_day_is_refused(source: str, said: str) -> None:
    result = convert(source, "quartz")
    assert isinstance(result, Rejected) and result.code == "IMPOSSIBLE_DATE" and said in result.message, result


def test_a_schedule_whose_last_year_is_this_one_and_whose_times_have_passed_is_refused() -> None:
    now = datetime.now()
    if now < datetime(now.year, 1, 3):
        pytest.skip("the first days of a year: 1 January may not have passed in every zone yet")
    result = convert(f"0 0 0 1 1 ? {now.year}", "quartz")
    assert isinstance(result, Rejected) and result.code == "IMPOSSIBLE_DATE", result
    assert f"none is left in {now.year}" in result.message
    assert isinstance(convert(f"0 0 0 1 1 ? {now.year}-{now.year + 1}", "quartz"), Converted)


def test_a_one_time_schedule_earlier_today_is_refused_on_the_services_clock() -> None:
    """`0 0 2 28 11 ? 2026` at 04:14 UTC that day was kept (a day of slack for a zone the
    conversion does not know): with the service's zone known, a time that has passed is refused;
    without it, a time the last 14 hours hold is kept (it may be ahead in a zone behind UTC)."""
    from datetime import UTC

    from migrate.schedule.convert import convert_for_service

    now = datetime.now(UTC)
    before, after = now - timedelta(hours=2), now + timedelta(hours=2)
    if not before.year == now.year == after.year:
        pytest.skip("two hours from a new year: the times would be in two years")
    passed = f"0 {before.minute} {before.hour} {before.day} {before.month} ? {before.year}"
    ahead = f"0 {after.minute} {after.hour} {after.day} {after.month} ? {after.year}"
    result = convert_for_service(passed, "quartz", None, "UTC", "UTC")
    assert isinstance(result, Rejected) and result.code == "IMPOSSIBLE_DATE", result
    assert "none is left on the service's clock" in result.message
    assert isinstance(convert(passed, "quartz"), Converted)  # no zone: kept, the safer reading
    assert isinstance(convert_for_service(ahead, "quartz", None, "UTC", "UTC"), Converted)


@settings(max_examples=300, deadline=None)
@given(month=st.sets(st.integers(1, 12), min_size=1, max_size=3), weekday=st.integers(1, 7),
       nth=st.integers(1, 5), offset=st.integers(0, 30), rule=st.sampled_from(["nth", "last"]),
       years=st.one_of(st.none(), st.sets(st.integers(2027, 2034), min_size=1, max_size=2)))
def test_a_schedule_is_refused_as_never_firing_exactly_when_it_has_no_fire_time(
        month: set[int], weekday: int, nth: int, offset: int, rule: str, years: set[int] | None) -> None:
    """Against the Quartz evaluator (itself checked against real Quartz by `make oracle`)."""
    months = ",".join(map(str, sorted(month)))
    year = ",".join(map(str, sorted(years))) if years else "*"
    days = f"? {months} {weekday}#{nth}" if rule == "nth" else f"L-{offset} {months} ?"
    source = f"0 0 2 {days} {year}"
    # from now, as the conversion judges it (a day's slack for the zones: cron.py), so it holds on any date
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=14)
    fires = next(iter(parse_quartz(source).fire_times(since)), None) is not None
    result = convert(source, "quartz")
    assert isinstance(result, Converted) == fires, (source, result)
    if not fires:
        assert isinstance(result, Rejected) and result.code == "IMPOSSIBLE_DATE", result


@pytest.mark.parametrize(
    ("source", "dialect", "code"),
    [
        ("0 0 1,15 * 5", "unix", "DOM_OR_DOW"),
        ("0 4 15-21 * 1", "unix", "DOM_OR_DOW"),  # cron-to-quartz would split it; we refuse by default
        ("0 16 */2 * sat", "unix", "DOM_AND_DOW"),  # "*/2" counts as * in Vixie: odd Saturdays
        ("0 16 1-31/2 * sat", "unix", "DOM_OR_DOW"),
        ("@reboot", "unix", "NO_TIME_SCHEDULE"),
        ("0 0 30 2 *", "unix", "IMPOSSIBLE_DATE"),
        ("0 0 31 4,6,9,11 *", "unix", "IMPOSSIBLE_DATE"),
        ("5/10 * * * *", "unix", "INVALID_SYNTAX"),  # a number then a step is not Vixie
        ("0 22-2 * * *", "unix", "INVALID_SYNTAX"),  # Vixie rejects a backwards range
        ("0 0 * * 8", "unix", "INVALID_SYNTAX"),
        ("@Daily", "unix", "INVALID_SYNTAX"),  # cron matches macros exactly
        ("0 0 L * *", "unix", "INVALID_SYNTAX"),  # L is croniter's, not Vixie's
        ("* * * * * */10", "croniter", "SUB_MINUTE"),
        ("0 0 5-5 * *", "croniter", "AMBIGUOUS_DIALECT"),  # croniter reads 5-5 as every day
        ("0 0 */2 * sat", "croniter", "DOM_OR_DOW"),  # croniter's day_or counts */2 as restricted
        ("0/5 * * * * ?", "quartz", "SUB_MINUTE"),
        ("0 0 0 * * *", "quartz", "INVALID_SYNTAX"),
        ("@once", "airflow", "NO_TIME_SCHEDULE"),
        ("None", "airflow", "NO_TIME_SCHEDULE"),
        ('{"__type": "TimeDelta", "days": 0, "seconds": 5400, "microseconds": 0}', "airflow", "UNSUPPORTED_INTERVAL"),
        ('{"__type": "TimeDelta", "days": 14, "seconds": 0, "microseconds": 0}', "airflow", "UNSUPPORTED_INTERVAL"),
        ("2 days, 0:00:00", "airflow", "UNSUPPORTED_INTERVAL"),
        ('{"__type": "RelativeDelta", "months": 1, "leapdays": 1}', "airflow", "UNSUPPORTED_INTERVAL"),
        ('{"__type": "RelativeDelta", "days": 1, "yearday": 60}', "airflow", "UNSUPPORTED_INTERVAL"),
        ("0:00:30", "airflow", "SUB_MINUTE"),
        ("PT90M", "iso8601", "UNSUPPORTED_INTERVAL"),
        ("P2W", "iso8601", "UNSUPPORTED_INTERVAL"),
        ("P1D", "iso8601", "NEEDS_START"),
        ("every day", "iso8601", "INVALID_SYNTAX"),
    ],
)
def test_rejections_have_a_code_and_a_sentence(source: str, dialect: str, code: str) -> None:
    result = convert(source, dialect)  # type: ignore[arg-type]
    assert isinstance(result, Rejected) and result.code == code, result
    assert len(result.message) > 20


@pytest.mark.parametrize(
    ("source", "freq", "cycle"),
    [
        ("0 0 L * *", "0 0 0 L * ? *", "M"),
        ("0 0 * * 1#1", "0 0 0 ? * 2#1 *", "M"),
        ("0 0 * * L5", "0 0 0 ? * 6L *", "M"),  # croniter's last Friday is Quartz 6L
        ("0 0 15W * *", "0 0 0 15W * ? *", "M"),
        ("5/10 * * * *", "0 5/10 * * * ? *", "mi"),
        ("0 0 * * * 30", "30 0 0 * * ? *", "D"),  # croniter's seconds come last
        ("0 0 1 1 * 0 2030", "0 0 0 1 1 ? 2030", "M"),
        ("0 0 ? * mon", "0 0 0 ? * 2 *", "W"),
    ],
)
def test_croniter_golden(source: str, freq: str, cycle: str) -> None:
    result = converted(source, "croniter")
    assert (result.freq, result.cycle) == (freq, cycle)


@pytest.mark.parametrize(
    ("source", "freq", "cycle"),
    [
        ("0 2/2 * * * ? *", "0 2/2 * * * ? *", "mi"),  # the DolphinScheduler sample
        ("0 0 12 ? * wed", "0 0 12 ? * 4 *", "W"),  # canonical: days of the week as numbers, year added
        ("0 15 10 ? * 6L 2030-2035", "0 15 10 ? * 6L 2030-2035", "M"),
        ("0 10 00 ? * * *", "0 10 0 * * ? *", "D"),  # issue 12 item 11: leading zero, every day as * ?
    ],
)
def test_quartz_sources_are_validated_and_canonicalised(source: str, freq: str, cycle: str) -> None:
    result = converted(source, "quartz")
    assert (result.freq, result.cycle) == (freq, cycle)
    assert "CANONICALISED" not in {w.code for w in result.warnings}  # the same meaning, written one way


@pytest.mark.parametrize(("source", "yearly"), [
    ("0 0 2 31 12 ?", True),
    ("0 0 2 L 12 ?", True),  # the last day of December, as once a year as the 31st
    ("0 0 2 L-1 12 ?", True),
    ("0 0 2 15W 6 ?", True),
    ("0 0 2 ? 11 5#4", True),  # Thanksgiving
    ("0 0 2 ? 5 2L", True),
    ("0 0 2,14 31 12 ?", False),  # twice on that day: an hourly cycle, not once a year
    ("0 0 2 1,15 12 ?", False),
    ("0 0 2 ? 12 2", False),  # every Monday of December
])
def test_yearly_is_said_of_every_once_a_year_schedule(source: str, yearly: bool) -> None:
    assert ("YEARLY" in {w.code for w in converted(source, "quartz").warnings}) is yearly


def test_the_seed_sample_minute_1_slash_1_is_accepted_with_a_warning() -> None:
    result = converted("0 1/1 * * * ? *", "quartz")
    assert result.freq == "0 1-59 * * * ? *" and "SKIPS_MINUTE_0" in {w.code for w in result.warnings}
    skips = next(w for w in result.warnings if w.code == "SKIPS_MINUTE_0")
    assert (skips.old, skips.new) == ("0 1/1 * * * ? *", "0 1-59 * * * ? *")


START = datetime(2024, 1, 3, 6, 30, 15)  # a Wednesday


@pytest.mark.parametrize(
    ("source", "freq", "cycle"),
    [
        ("@daily", "0 0 0 * * ? *", "D"),
        ("@quarterly", "0 0 0 1 1/3 ? *", "M"),
        ("0 5 * * *", "0 0 5 * * ? *", "D"),
        ('{"__type": "CronExpression", "value": "0 5 * * 1-5"}', "0 0 5 ? * 2-6 *", "W"),
        ("1 day, 0:00:00", "15 30 6 * * ? *", "D"),
        ("7 days, 0:00:00", "15 30 6 ? * 4 *", "W"),
        ("6:00:00", "15 30 0/6 * * ? *", "H"),
        ('{"__type": "TimeDelta", "days": 0, "seconds": 900, "microseconds": 0}', "15 0/15 * * * ? *", "mi"),
        ('{"__type": "RelativeDelta", "months": 1}', "15 30 6 3 * ? *", "M"),
        ('{"__type": "RelativeDelta", "years": 1}', "15 30 6 3 1 ? *", "M"),
    ],
)
def test_airflow_forms(source: str, freq: str, cycle: str) -> None:
    result = converted(source, "airflow", START)
    assert (result.freq, result.cycle) == (freq, cycle)


@pytest.mark.parametrize(
    ("source", "freq", "cycle"),
    [("PT15M", "15 0/15 * * * ? *", "mi"), ("PT6H", "15 30 0/6 * * ? *", "H"), ("P1D", "15 30 6 * * ? *", "D"),
     ("P1W", "15 30 6 ? * 4 *", "W"), ("P1M", "15 30 6 3 * ? *", "M")],
)
def test_iso8601(source: str, freq: str, cycle: str) -> None:
    result = converted(source, "iso8601", START)
    assert (result.freq, result.cycle) == (freq, cycle)


def test_an_interval_fires_on_its_anchor() -> None:
    for source in ("PT15M", "PT6H", "P1D", "P1W", "P1M"):
        schedule = parse_quartz(converted(source, "iso8601", START).freq)
        assert START in set(islice(schedule.fire_times(START - timedelta(seconds=1)), 1))


def test_windows_triggers() -> None:
    weekly = {"Schedule Type": "Weekly", "Start Time": "17:15:00", "Days": "MON, TUE, WED, THU, FRI",
              "Months": "Every 1 week(s)", "Repeat: Every": "Disabled", "Repeat: Until: Duration": "Disabled"}
    assert convert_windows(weekly).freq == "0 15 17 ? * 2-6 *"
    with pytest.raises(Rejection) as raised:  # the sample's repetition runs past midnight
        convert_windows({**weekly, "Repeat: Every": "0 Hour(s), 15 Minute(s)",
                         "Repeat: Until: Duration": "23 Hour(s), 45 Minute(s)"})
    assert raised.value.code == "UNSUPPORTED_INTERVAL"
    windowed = convert_windows({**weekly, "Start Time": "09:00:00", "Repeat: Every": "0 Hour(s), 15 Minute(s)",
                                "Repeat: Until: Duration": "8 Hour(s), 0 Minute(s)"})
    assert (windowed.freq, windowed.cycle) == ("0 0/15 9-16 ? * 2-6 *", "mi")
    daily = {"Schedule Type": "Daily", "Start Time": "02:30:00", "Days": "Every 1 day(s)", "Months": ""}
    assert convert_windows(daily).freq == "0 30 2 * * ? *"
    with pytest.raises(Rejection):
        convert_windows({**daily, "Days": "Every 2 day(s)"})
    with pytest.raises(Rejection) as raised:
        convert_windows({"Schedule Type": "At system start up", "Start Time": "N/A"})
    assert raised.value.code == "NO_TIME_SCHEDULE"
    monthly = convert_windows({"Schedule Type": "Monthly", "Start Time": "01:00:00", "Days": "1, 15",
                               "Months": "JAN, JUL"})
    assert monthly.freq == "0 0 1 1,15 1/6 ? *"



def test_a_windows_repetition_with_no_duration_runs_indefinitely_and_an_unread_one_is_refused() -> None:
    """`Repeat: Until: Duration` Disabled (and no end time) is schtasks' word for indefinitely: a
    daily 02:00 repeated every 12 hours was saved once a day. A `Repeat: Every` in another language
    (or any text not read) was taken for none, and the repetition dropped, without a word."""
    daily = {"Schedule Type": "Daily", "Start Time": "02:00:00", "Days": "Every 1 day(s)", "Months": "",
             "Repeat: Every": "12 Hour(s), 0 Minute(s)", "Repeat: Until: Time": "None",
             "Repeat: Until: Duration": "Disabled"}
    assert convert_windows(daily).freq == "0 0 2,14 * * ? *"
    with pytest.raises(Rejection) as raised:  # a weekly one would run on through the days between
        convert_windows({**daily, "Schedule Type": "Weekly", "Days": "MON", "Months": "Every 1 week(s)"})
    assert raised.value.code == "UNSUPPORTED_INTERVAL" and "indefinitely" in raised.value.message
    for unread in ("12 Stunde(n), 0 Minute(n)", "12:00:00", "abc"):
        with pytest.raises(Rejection) as raised:
            convert_windows({**daily, "Repeat: Every": unread})
        assert raised.value.code == "INVALID_SYNTAX" and f"Repeat: Every {unread!r}" in raised.value.message
    # odd values: no interval (it crashed the proof), one that does not divide a day (saved once a day),
    # an end time and a duration that disagree (the duration was taken, the end time dropped)
    cases = [({"Repeat: Every": "0 Hour(s), 0 Minute(s)"}, "INVALID_SYNTAX"),
             ({"Repeat: Every": "25 Hour(s), 0 Minute(s)"}, "UNSUPPORTED_INTERVAL"),
             ({"Repeat: Until: Time": "17:00:00", "Repeat: Until: Duration": "24 Hour(s), 0 Minute(s)"},
              "UNSUPPORTED_INTERVAL")]
    for changed, code in cases:
        with pytest.raises(Rejection) as raised:
            convert_windows({**daily, "Start Time": "09:00:00", **changed})
        assert raised.value.code == code, (changed, raised.value)
    agreeing = {"Start Time": "09:00:00", "Repeat: Every": "1 Hour(s), 0 Minute(s)", "Repeat: Until: Time": "17:00:00",
                "Repeat: Until: Duration": "8 Hour(s), 0 Minute(s)"}
    assert convert_windows({**daily, **agreeing}).freq == "0 0 9-16 * * ? *"


def test_rundeck_structured_schedule() -> None:
    every_five_seconds = {"month": "*", "time": {"hour": "*", "minute": "*", "seconds": "*/5"},
                          "weekday": {"day": "*"}, "year": "*"}
    with pytest.raises(Rejection) as raised:
        convert_quartz(rundeck_quartz_text(every_five_seconds))  # as the rundeck profile and mapping do
    assert raised.value.code == "SUB_MINUTE"
    weekdays = {"month": "*", "time": {"hour": "4", "minute": "30", "seconds": "0"},
                "weekday": {"day": "MON-FRI"}, "year": "*"}
    assert convert_quartz(rundeck_quartz_text(weekdays)).freq == "0 30 4 ? * 2-6 *"  # canonical form


def test_cron_command_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cron", "0 0 * * 7", "--dialect", "unix", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["freq"] == "0 0 0 ? * 1 *"
    assert main(["cron", "0 0 1,15 * 5", "--dialect", "unix"]) == 2
    assert "rejected DOM_OR_DOW" in capsys.readouterr().out
    assert main(["cron", "0 0 1,15 * 5", "--dialect", "unix", "--split"]) == 0
    out = capsys.readouterr().out
    assert "0 0 0 1,15 * ? *" in out and "0 0 0 ? * 6 *" in out
    assert main(["cron", "1 day, 0:00:00", "--dialect", "airflow", "--start", "2024-01-03T06:30"]) == 0


# -- fire times against the oracles ----------------------------------------------------------

WINDOW = timedelta(days=730)


def first_fires(times: object, end: datetime, count: int = 40) -> list[datetime]:
    return list(islice(takewhile(lambda t: t <= end, times), count))  # type: ignore[arg-type]


def field(draw: st.DrawFn, lo: int, hi: int, star_bias: bool = True) -> str:
    kind = draw(st.sampled_from(["*", "value", "range", "step", "star_step", "list"] if star_bias
                                else ["value", "range", "step", "list"]))
    a = draw(st.integers(lo, hi - 1))
    b = draw(st.integers(a + 1, hi))  # a-a ranges: both oracles read them oddly (cron-semantics.md §3.2)
    n = draw(st.integers(1, max(1, (hi - lo) // 2)))
    return {"*": "*", "value": str(a), "range": f"{a}-{b}", "step": f"{a}-{b}/{n}", "star_step": f"*/{n}",
            "list": ",".join(sorted({str(draw(st.integers(lo, hi))) for _ in range(3)}, key=int))}[kind]


@st.composite
def unix_expressions(draw: st.DrawFn) -> str:
    return " ".join([field(draw, 0, 59), field(draw, 0, 23), field(draw, 1, 31), field(draw, 1, 12),
                     field(draw, 0, 7)])


@settings(max_examples=300, deadline=None)
@given(expression=unix_expressions(), start=st.datetimes(datetime(2023, 1, 1), datetime(2027, 1, 1)))
def test_unix_fires_exactly_as_vixie_cron_or_is_rejected(expression: str, start: datetime) -> None:
    """cronsim follows Debian's cron: the first-character star rule, day 7 as Sunday."""
    start = start.replace(microsecond=0, second=0)
    result = convert(expression, "unix")
    try:
        oracle = first_fires(CronSim(expression, start), start + WINDOW)
    except Exception:  # cronsim refuses what cron refuses (such as 30 February)
        assert isinstance(result, Rejected), (expression, result)
        return
    if isinstance(result, Rejected):
        assert result.code in ("DOM_OR_DOW", "DOM_AND_DOW", "IMPOSSIBLE_DATE"), (expression, result)
        return
    ours = first_fires(parse_quartz(result.freq).fire_times(start), start + WINDOW)
    assert ours == oracle, (expression, result.freq)


@settings(max_examples=200, deadline=None)
@given(expression=unix_expressions(), start=st.datetimes(datetime(2023, 1, 1), datetime(2027, 1, 1)))
def test_unix_agrees_with_croniter_in_vixie_mode(expression: str, start: datetime) -> None:
    start = start.replace(microsecond=0, second=0)
    result = convert(expression, "unix")
    if isinstance(result, Rejected):
        return
    oracle = first_fires(croniter(expression, start, ret_type=datetime, implement_cron_bug=True).all_next(datetime),
                         start + WINDOW, 25)
    ours = first_fires(parse_quartz(result.freq).fire_times(start), start + WINDOW, 25)
    assert ours == oracle, (expression, result.freq)


@settings(max_examples=150, deadline=None)
@given(base=unix_expressions(), special=st.sampled_from(["L", "15W", "2#3", "L5", "?"]),
       start=st.datetimes(datetime(2023, 1, 1), datetime(2027, 1, 1)))
def test_croniter_extensions_fire_as_croniter(base: str, special: str, start: datetime) -> None:
    minute, hour, _, month, _ = base.split()
    if special in ("L", "15W"):
        expression = f"{minute} {hour} {special} {month} *"
    else:
        expression = f"{minute} {hour} * {month} {special}"
    if any("-" in f and f.split("-")[0] == f.split("-")[1].split("/")[0] for f in (minute, hour, month)):
        return  # croniter's a-a quirk: rejected by us, tested on its own
    start = start.replace(microsecond=0, second=0)
    result = convert(expression, "croniter")
    assert isinstance(result, Converted), (expression, result)
    oracle = first_fires(croniter(expression, start, ret_type=datetime).all_next(datetime), start + WINDOW, 25)
    ours = first_fires(parse_quartz(result.freq).fire_times(start), start + WINDOW, 25)
    assert ours == oracle, (expression, result.freq)


@pytest.mark.parametrize("expression", ["0 0 31 2 1", "0 0 30 2 1-5", "0 0 31 2,4 1", "15 6 30,31 2 SAT"])
@pytest.mark.parametrize("split_or", [False, True])
def test_an_or_whose_day_of_month_never_comes_is_the_day_of_week_alone(expression: str, split_or: bool) -> None:
    """cron ORs the day fields: `0 0 31 2 1` runs on the Mondays of February, the 31st never coming.
    It was refused DOM_OR_DOW, or with a split IMPOSSIBLE_DATE ("names a date that never comes"),
    inviting the user to drop a job that runs. Now the day of week alone, exactly (cronsim), said."""
    result = convert(expression, "unix", split_or=split_or)
    assert isinstance(result, Converted) and result.split is None, result
    assert "OR_HALF_NEVER" in {warning.code for warning in result.warnings}
    start = datetime(2026, 11, 28)
    assert first_fires(parse_quartz(result.freq).fire_times(start), start + WINDOW) == first_fires(
        CronSim(expression, start), start + WINDOW), result.freq


def test_every_n_days_is_said_of_a_step_of_the_source_not_of_a_list_the_freq_writes_as_one() -> None:
    """`0 0 1,30 * *` is saved `0 0 0 1/29 * ? *` (a list of two days written as a step) and was
    told EVERY_N_DAYS_APPROX, "a day-of-month step restarts each month", of a source with no step."""
    listed, stepped = convert("0 0 1,30 * *", "unix"), convert("0 0 */4 * *", "unix")
    assert isinstance(listed, Converted) and isinstance(stepped, Converted)
    assert "/" in listed.freq.split()[3] and "EVERY_N_DAYS_APPROX" not in {w.code for w in listed.warnings}
    assert "EVERY_N_DAYS_APPROX" in {w.code for w in stepped.warnings}


def test_a_last_run_late_on_new_years_eve_west_of_utc_is_not_past_in_utcs_new_year(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """At 05:00 UTC on 1 January, 23:00 on 31 December is still to come in Los Angeles: the year was
    judged past by UTC's alone, the job refused and its last run lost (found by a clock audit)."""
    from migrate.schedule import cron as rules

    class NewYear(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> NewYear:
            return cls(2027, 1, 1, 5, 0, tzinfo=UTC)

    monkeypatch.setattr(rules, "datetime", NewYear)
    assert rules.never_fires(parse_quartz("0 0 23 31 12 ? 2026"), "x") is None
    assert rules.never_fires(parse_quartz("0 0 23 31 12 ? 2025"), "x") is not None  # a year before: past
