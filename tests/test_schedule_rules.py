"""Issue 12, items 11 and 13: schedules that changed, crashed or were refused for no reason.

Each rule is checked against the library the source dialect runs on: croniter (Airflow's) for
the croniter dialect, cronsim (Debian cron) for Unix, and golden vectors recorded from real
Quartz 2.3.2 (`make oracle`, tests/oracle/) for Quartz.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice, takewhile

import pytest
from croniter import croniter
from cronsim import CronSim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.schedule import convert as convert_module
from migrate.schedule.convert import DIALECTS, convert
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Converted, Rejected

YEAR = timedelta(days=366)


def converted(value: str, dialect: str, start: datetime | None = None) -> Converted:
    result = convert(value, dialect, start)  # type: ignore[arg-type]
    assert isinstance(result, Converted), result
    return result


def rejected(value: str, dialect: str, start: datetime | None = None) -> Rejected:
    result = convert(value, dialect, start)  # type: ignore[arg-type]
    assert isinstance(result, Rejected), result
    return result


def fires(times: object, start: datetime, count: int = 60) -> list[datetime]:
    return list(islice(takewhile(lambda t: t <= start + YEAR, times), count))  # type: ignore[arg-type]


def same_as_croniter(expression: str, start: datetime, count: int = 60) -> tuple[list[datetime], list[datetime]]:
    ours = fires(parse_quartz(converted(expression, "croniter").freq).fire_times(start), start, count)
    theirs = fires(croniter(expression, start, ret_type=datetime), start, count)
    return ours, theirs


# -- croniter's day rule ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "freq"),
    [
        # A full day of week whose day of month holds a `*` is `*` to croniter: AND, odd days.
        ("0 0 */2 * 0-6", "0 0 0 1/2 * ? *"),
        ("0 0 */2 * 0-7", "0 0 0 1/2 * ? *"),
        ("0 0 */2 * */1", "0 0 0 1/2 * ? *"),
        ("0 0 1-31 * */2", "0 0 0 ? * 1/2 *"),  # full day of month, `*` in day of week: AND
        ("0 0 ? * 0-6", "0 0 0 * * ? *"),
        # No `*` in the other field: croniter keeps the full set, so it ORs: every day.
        ("0 0 1-31 * 1-5", "0 0 0 * * ? *"),
        ("0 0 */1 * 1-5", "0 0 0 * * ? *"),
        ("0 0 1,15 * 0-6", "0 0 0 * * ? *"),
    ],
)
def test_croniter_full_day_fields_follow_croniters_rule(source: str, freq: str) -> None:
    assert converted(source, "croniter").freq == freq
    ours, theirs = same_as_croniter(source, datetime(2024, 1, 1))
    assert ours == theirs


def test_croniter_day_of_week_step_runs_to_saturday() -> None:
    assert converted("0 0 * * 5/1", "croniter").freq == "0 0 0 ? * 6-7 *"  # Friday and Saturday, no Sunday
    assert converted("0 0 * * 6/2", "croniter").freq == "0 0 0 ? * 7 *"
    assert converted("0 0 * * 7/2", "croniter").freq == "0 0 0 ? * 1/2 *"  # croniter reads 7 as 0 first
    for source in ("0 0 * * 5/1", "0 0 * * 6/2", "0 0 * * 7/2"):
        ours, theirs = same_as_croniter(source, datetime(2024, 1, 1))
        assert ours == theirs


@pytest.mark.parametrize(
    ("source", "freq"),
    [
        ("0 22-2 * * *", "0 0 0-2,22,23 * * ? *"),
        ("0 0 1 nov-feb *", "0 0 0 1 1,2,11,12 ? *"),
        ("0 0 * * 5-1", "0 0 0 ? * 1,2,6,7 *"),
        ("0 0 * * fri-mon", "0 0 0 ? * 1,2,6,7 *"),
        ("0 23-2/2 * * *", "0 0 2,23 * * ? *"),  # croniter's own rule for a step across the wrap
        ("0 0 15-L * *", "0 0 0 15-31 * ? *"),  # L at the end of a range is 31 to croniter
        ("0 0 W15 * *", "0 0 0 15W * ? *"),
        ("0 0 31W * *", "0 0 0 LW * ? *"),  # croniter clamps 31 to the month's end: the last weekday
    ],
)
def test_croniter_wrapping_ranges_and_day_spellings_convert(source: str, freq: str) -> None:
    assert converted(source, "croniter").freq == freq
    ours, theirs = same_as_croniter(source, datetime(2024, 1, 1), 200)
    assert ours == theirs


def test_the_unix_dialect_still_refuses_a_wrapping_range() -> None:
    assert rejected("0 22-2 * * *", "unix").code == "INVALID_SYNTAX"  # Vixie refuses it


@pytest.mark.parametrize("source", ["0 0 29W * *", "0 0 30W * *", "0 0 w30 * *"])
def test_croniter_nearest_weekday_past_28_is_refused(source: str) -> None:
    result = rejected(source, "croniter")
    assert result.code == "WEEKDAY_SEMANTICS" and "28W" in result.message


def test_croniter_rules_that_ignore_the_other_day_field_are_refused_not_guessed() -> None:
    # croniter applies 15W alone and ignores the weekdays; a reader would expect more.
    assert rejected("0 0 15W * 1-5", "croniter").code == "AMBIGUOUS_DIALECT"
    assert converted("0 0 1-31 * 1#2", "croniter").freq == "0 0 0 ? * 2#2 *"
    ours, theirs = same_as_croniter("0 0 1-31 * 1#2", datetime(2024, 1, 1))
    assert ours == theirs


# Day fields in every spelling croniter gives a special meaning to.
DAY_OF_MONTH = st.sampled_from(["*", "?", "*/1", "1-31", "1/1", "*/2", "1-31/2", "5/3", "1,15", "10-20", "28-3",
                                "L", "15W", "W3", "31W", "15-L", "*,5", "2-5,*"])
DAY_OF_WEEK = st.sampled_from(["*", "?", "*/1", "0-6", "0-7", "7-0", "sun-sat", "1-5", "mon-fri", "5/1", "6/2",
                               "*/2", "fri-mon", "5-1", "0", "7", "sat", "1#2", "L5", "wed", "*,1"])
MINUTE_HOUR_MONTH = st.tuples(st.sampled_from(["0", "*/15", "5/20", "50-10", "7"]),
                              st.sampled_from(["0", "*/6", "22-2", "9-17", "3"]),
                              st.sampled_from(["*", "*/3", "nov-feb", "2", "jan,jul", "10/2"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dom=DAY_OF_MONTH, dow=DAY_OF_WEEK, rest=MINUTE_HOUR_MONTH,
       start=st.datetimes(datetime(2023, 1, 1), datetime(2027, 1, 1)))
def test_croniter_expressions_fire_as_croniter_over_a_year(dom: str, dow: str, rest: tuple[str, str, str],
                                                           start: datetime) -> None:
    minute, hour, month = rest
    expression = f"{minute} {hour} {dom} {month} {dow}"
    start = start.replace(second=0, microsecond=0)
    result = convert(expression, "croniter")
    try:
        theirs = fires(croniter(expression, start, ret_type=datetime), start, 40)
    except Exception:  # croniter refuses it (such as a day rule in a list): so must we
        assert isinstance(result, Rejected), (expression, result)
        return
    if isinstance(result, Rejected):
        assert result.code in ("DOM_OR_DOW", "DOM_AND_DOW", "AMBIGUOUS_DIALECT", "WEEKDAY_SEMANTICS",
                               "IMPOSSIBLE_DATE"), (expression, result)
        return
    assert fires(parse_quartz(result.freq).fire_times(start), start, 40) == theirs, (expression, result.freq)


# -- Unix day names --------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "freq"), [("0 0 * * WED", "0 0 0 ? * 4 *"), ("0 0 * * Wed", "0 0 0 ? * 4 *"),
                                              ("0 9 * * mon-wed", "0 0 9 ? * 2-4 *")])
def test_unix_day_names_with_a_w_are_day_names(source: str, freq: str) -> None:
    assert converted(source, "unix").freq == freq
    start = datetime(2024, 1, 1)
    assert fires(parse_quartz(freq).fire_times(start), start) == fires(CronSim(source, start), start)


def test_unix_still_refuses_quartz_w() -> None:
    assert rejected("0 0 15W * *", "unix").code == "INVALID_SYNTAX"


# -- yearly intervals from 29 February --------------------------------------------------------------

LEAP_DAY = datetime(2024, 2, 29, 6, 30)


@pytest.mark.parametrize(("source", "dialect"), [
    ("P1Y", "iso8601"), ("P12M", "iso8601"),
    ('{"__type": "RelativeDelta", "years": 1}', "airflow"), ('{"__type": "RelativeDelta", "months": 12}', "airflow"),
])
def test_a_yearly_interval_from_29_february_is_refused(source: str, dialect: str) -> None:
    result = rejected(source, dialect, LEAP_DAY)
    assert result.code == "UNSUPPORTED_INTERVAL" and "29 February" in result.message
    assert converted(source, dialect, datetime(2024, 2, 28, 6, 30)).freq == "0 30 6 28 2 ? *"


# -- Quartz sources: canonical form, and no exception for any text ---------------------------------

def test_a_step_followed_by_list_items_is_converted_as_quartz_fires_it() -> None:
    result = converted("0 0/30,5 * * * ?", "quartz")
    assert (result.freq, result.cycle) == ("0 0,5,30 * * * ? *", "mi")
    [warning] = [w for w in result.warnings if w.code == "CANONICALISED"]
    assert (warning.old, warning.new) == ("0 0/30,5 * * * ?", "0 0,5,30 * * * ? *")
    # Quartz 2.3.2 from 2024-01-01 00:00 UTC: 00:05, 00:30, 01:00 (make oracle, recorded)
    assert list(islice(parse_quartz(result.freq).fire_times(datetime(2024, 1, 1)), 3)) == [
        datetime(2024, 1, 1, 0, 5), datetime(2024, 1, 1, 0, 30), datetime(2024, 1, 1, 1, 0)]


@pytest.mark.parametrize(
    ("source", "freq", "warned"),
    [
        ("0 10 00 ? * * *", "0 10 0 * * ? *", False),  # the example: only the spelling changes
        ("0 30 2 ? * mon-fri", "0 30 2 ? * 2-6 *", False),
        ("0 0-59 0 * * ?", "0 * 0 * * ? *", False),
        ("0 0 12 ? * 2#1", "0 0 12 ? * 2#1 *", False),
        ("0 0 12 ? * MON#1", "0 0 12 ? * 2#1 *", False),
        ("0 0 12 L-03 * ?", "0 0 12 L-3 * ? *", False),
        ("0 0 0 1 7/6 ?", "0 0 0 1 7 ? *", True),  # steps never wrap: July only
        ("0 0 22-2 * * ?", "0 0 0-2,22,23 * * ? *", True),  # a wrapping range
        ("0 0 9 ? * fri-mon", "0 0 9 ? * 1,2,6,7 *", True),
        ("0 0/15 * * * ? *", "0 0/15 * * * ? *", False),  # already canonical
    ],
)
def test_quartz_sources_are_written_canonically(source: str, freq: str, warned: bool) -> None:
    result = converted(source, "quartz")
    assert result.freq == freq
    assert ("CANONICALISED" in {w.code for w in result.warnings}) == warned
    start = datetime(2024, 1, 1)
    assert list(islice(parse_quartz(freq).fire_times(start), 50)) == \
        list(islice(parse_quartz(source).fire_times(start), 50))


def test_convert_turns_an_unforeseen_exception_into_a_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(value: str) -> Converted:
        raise ValueError("invalid literal for int() with base 10: '30,5'")

    monkeypatch.setattr(convert_module, "convert_quartz", broken)
    convert.cache_clear()
    try:
        result = convert("0 0 * * * ? *", "quartz")
    finally:
        convert.cache_clear()
    assert isinstance(result, Rejected) and result.code == "INVALID_SYNTAX"
    assert "ValueError" in result.message and "30,5" in result.message


CRON_ALPHABET = "0123456789*/,-?#LW LWlw JANFEBMONWED@"


@settings(max_examples=600, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet=CRON_ALPHABET, max_size=30)),
       dialect=st.sampled_from(DIALECTS), start=st.one_of(st.none(), st.just(LEAP_DAY)))
def test_no_text_raises_in_any_dialect(text: str, dialect: str, start: datetime | None) -> None:
    result = convert(text, dialect, start)  # type: ignore[arg-type]
    assert isinstance(result, Converted | Rejected)
    if isinstance(result, Converted):
        parse_quartz(result.freq)  # whatever we emit is valid Quartz


@pytest.mark.parametrize("expression", ["0 0 12 30 2 ?", "0 0 12 31 4,6 ?", "0 0 0 ? * * 2020", "0 0 0 1 1 ? 1999-2001"])
def test_a_quartz_source_that_never_fires_is_refused(expression: str) -> None:
    """Valid to Quartz, but no fire time ever comes: a flow saved so would never run."""
    result = convert(expression, "quartz")
    assert isinstance(result, Rejected) and result.code == "IMPOSSIBLE_DATE"


def test_a_quartz_source_with_some_years_still_to_come_converts() -> None:
    assert isinstance(convert("0 0 0 ? * * 2020-2099", "quartz"), Converted)
