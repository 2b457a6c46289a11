"""Placing a schedule in the service's zone: exact shifts, refusals, the approximate opt-in, and a
property test that compares fire instants in both zones over two years across DST changes, with
cronsim as an independent oracle for the wall-clock side."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim
from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrate.schedule.convert import convert
from migrate.schedule.quartz import parse_quartz, set_text
from migrate.schedule.result import Converted, Rejected
from migrate.schedule.timezone import (
    TIMEZONE_APPROXIMATE,
    TIMEZONE_MISMATCH,
    UNKNOWN_TIMEZONE,
    place_in_zone,
)

TODAY = date(2026, 1, 1)


def quartz(freq: str) -> Converted:
    result = convert(freq, "quartz")
    assert isinstance(result, Converted), result
    return result


def placed(freq: str, source: str, target: str, approximate: bool = False) -> Converted:
    result = place_in_zone(quartz(freq), source, target, approximate, TODAY)
    assert isinstance(result, Converted), result
    return result


def refused(freq: str, source: str, target: str, approximate: bool = False) -> Rejected:
    result = place_in_zone(quartz(freq), source, target, approximate, TODAY)
    assert isinstance(result, Rejected), result
    return result


# ---- Same clock: unchanged, without a word ----------------------------------------------

@pytest.mark.parametrize(("source", "target"), [
    ("Asia/Shanghai", "Asia/Shanghai"),
    ("UTC", "Etc/UTC"),  # two names, one rule
    ("Etc/GMT-8", "Asia/Shanghai"),  # both fixed at +08:00
    ("Europe/Berlin", "Europe/Paris"),  # the same offsets, changed at the same instants
])
def test_same_clock_is_unchanged(source: str, target: str) -> None:
    converted = quartz("0 30 2 ? * MON-FRI")
    assert place_in_zone(converted, source, target, today=TODAY) is converted


# ---- Exact shifts ---------------------------------------------------------------------------

@pytest.mark.parametrize(("freq", "source", "target", "expected", "cycle"), [
    # 02:00 in Shanghai is 18:00 UTC the day before: every day stays every day.
    ("0 0 2 * * ?", "Asia/Shanghai", "UTC", "0 0 18 * * ? *", "D"),
    # ... and Monday-Friday becomes Sunday-Thursday.
    ("0 0 2 ? * MON-FRI", "Asia/Shanghai", "UTC", "0 0 18 ? * 1-5 *", "W"),
    ("0 0 20 ? * 2-6", "UTC", "Asia/Shanghai", "0 0 4 ? * 3-7 *", "W"),
    ("0 0 23 ? * SAT", "UTC", "Asia/Tokyo", "0 0 8 ? * 1 *", "W"),  # Saturday night is Sunday morning
    # Half and three-quarter hours move the minutes.
    ("0 0 9 ? * 2-6", "Asia/Kolkata", "UTC", "0 30 3 ? * 2-6 *", "W"),
    ("0 0 2 ? * 2-6", "Asia/Kolkata", "UTC", "0 30 20 ? * 1-5 *", "W"),
    ("0 0 * * * ?", "Asia/Kolkata", "UTC", "0 30 * * * ? *", "H"),
    ("0 0/15 * * * ?", "Asia/Kathmandu", "UTC", "0 0/15 * * * ? *", "mi"),
    # Some times cross midnight and some do not: fine when every day fires.
    ("0 0 2,10 * * ?", "Asia/Shanghai", "UTC", "0 0 2,18 * * ? *", "H"),
    # A day of the month that does not cross midnight keeps its day.
    ("0 0 10 15 * ?", "Asia/Shanghai", "UTC", "0 0 2 15 * ? *", "M"),
    ("0 0 10 ? * 2#1", "Asia/Shanghai", "UTC", "0 0 2 ? * 2#1 *", "M"),
    # Crossing midnight, exactly: a day inside every month moves by one ...
    ("0 0 2 15 * ?", "Asia/Shanghai", "UTC", "0 0 18 14 * ? *", "M"),
    # ... the 1st becomes the last day of the month before, and back.
    ("0 0 2 1 * ?", "Asia/Shanghai", "UTC", "0 0 18 L * ? *", "M"),
    ("0 0 2 1 3,6 ?", "Asia/Shanghai", "UTC", "0 0 18 L 2,5 ? *", "M"),
    ("0 0 20 L * ?", "UTC", "Asia/Shanghai", "0 0 4 1 * ? *", "M"),
    ("0 0 20 L-2 * ?", "UTC", "Asia/Shanghai", "0 0 4 L-1 * ? *", "M"),
    # Across a month's end, where every year's days are the same: 31 December the next day is
    # 1 January; the 31st, which only months of 31 days have, the day before is their 30th.
    ("0 0 20 31 12 ?", "UTC", "Asia/Shanghai", "0 0 4 1 1 ? *", "M"),
    ("0 0 2 31 * ?", "Asia/Shanghai", "UTC", "0 0 18 30 1,3,5,7,8,10,12 ? *", "M"),
    ("0 0 20 30 4,6,9,11 ?", "UTC", "Asia/Shanghai", "0 0 4 1 5,7,10,12 ? *", "M"),
    # ... in the years named: the years move with the days (31 December 2027 is 1 January 2028 there)
    ("0 0 20 31 12 ? 2027", "UTC", "Asia/Shanghai", "0 0 4 1 1 ? 2028", "M"),
    ("0 0 20 L 12 ? 2027", "UTC", "Asia/Shanghai", "0 0 4 1 1 ? 2028", "M"),
    ("0 0 2 1 1 ? 2028", "Asia/Shanghai", "UTC", "0 0 18 L 12 ? 2027", "M"),
    # Europe/Berlin and Europe/Helsinki change their clocks at the same instant: one hour apart always.
    ("0 30 23 ? * 6", "Europe/Berlin", "Europe/Helsinki", "0 30 0 ? * 7 *", "W"),
])
def test_exact_shift(freq: str, source: str, target: str, expected: str, cycle: str) -> None:
    result = placed(freq, source, target)
    assert (result.freq, result.cycle) == (expected, cycle)
    # The conversion's own warnings stay, pointing at the freq that is saved; no new one.
    source_warnings = quartz(freq).warnings
    assert [(w.code, w.old, w.message) for w in result.warnings] == [
        (w.code, w.old, w.message) for w in source_warnings]
    assert all(w.new == expected for w in result.warnings)


def test_split_schedule_shifts_both_flows() -> None:
    """A Vixie OR split in two (opt-in): each flow moves with its own days."""
    source = convert("0 4 15-21 * 1", "unix", split_or=True)
    assert isinstance(source, Converted) and source.split is not None
    result = place_in_zone(source, "Asia/Shanghai", "UTC", today=TODAY)
    assert isinstance(result, Converted) and result.split is not None
    assert (result.freq, result.split.freq) == ("0 0 20 14-20 * ? *", "0 0 20 ? * 1 *")


def test_repeated_calls_are_cached() -> None:
    converted = quartz("0 0 2 ? * MON-FRI")
    first = place_in_zone(converted, "Asia/Shanghai", "UTC", today=TODAY)
    assert place_in_zone(converted, "Asia/Shanghai", "UTC", today=TODAY) is first


# ---- Refusals ---------------------------------------------------------------------------------

def test_zone_with_dst_against_one_without_is_refused() -> None:
    result = refused("0 0 9 ? * 2-6", "Europe/Berlin", "UTC")
    assert result.code == TIMEZONE_MISMATCH
    assert result.source == "0 0 9 ? * 2-6 *"
    assert "Europe/Berlin changes its offset relative to UTC at DST" in result.message
    assert "2026-03-29 (2:00 behind)" in result.message and "2026-10-25 (1:00 behind)" in result.message
    assert '[mapping] timezone_shift = "approximate"' in result.message


def test_two_zones_changing_at_different_instants_are_refused() -> None:
    result = refused("0 0 9 * * ?", "America/New_York", "Europe/Berlin")
    assert "America/New_York and Europe/Berlin change their offsets at different instants" in result.message
    assert "2026-03-08" in result.message  # the US starts DST three weeks before Europe


@pytest.mark.parametrize(("freq", "source", "target", "why"), [
    # Days of the month that move out of some month, or onto a day some months lack.
    ("0 0 2 1,15 * ?", "Asia/Shanghai", "UTC", "day(s) 1, 15 of the month is in another month"),
    # Days 1 and 31 are `1/30` in Quartz's canonical form: the message lists them.
    ("0 0 2 1,31 * ?", "Asia/Shanghai", "UTC", "day(s) 1, 31 of the month is in another month"),
    ("0 0 20 28 * ?", "UTC", "Asia/Shanghai", "in another month"),  # 28 Feb + 1 is 1 March in 2027
    ("0 0 20 30 * ?", "UTC", "Asia/Shanghai", "in another month"),  # the 31st of some months, the 1st of others
    ("0 0 20 28 2 ?", "UTC", "Asia/Shanghai", "in another month"),  # 29 February in leap years
    ("0 0 20 31 1,12 ? 2027", "UTC", "Asia/Shanghai", "some fire days move into another year and some do not"),
    ("0 0 2 1,16 3 ?", "Asia/Shanghai", "UTC", "in another month"),  # the day before: 28 or 29 February
    ("0 0 2 15W * ?", "Asia/Shanghai", "UTC", "nearest a date"),
    ("0 0 2 ? * 2#1", "Asia/Shanghai", "UTC", "n-th or last weekday"),
    ("0 0 2 ? * 6L", "Asia/Shanghai", "UTC", "n-th or last weekday"),
    # Weekdays in some months only: the day before a Monday 1 March is in February.
    ("0 0 2 ? 3 MON", "Asia/Shanghai", "UTC", "limited to months 3"),
    ("0 0 2 ? 1,4,7,10 MON", "Asia/Shanghai", "UTC", "limited to months 1, 4, 7, 10"),  # `1/3` in Quartz
    ("0 0 2 ? * MON 2027-2029", "Asia/Shanghai", "UTC", "limited to years 2027-2029"),
    # The last day of December and of June moved forward: one of them into another year.
    ("0 0 20 L 6,12 ? 2027", "UTC", "Asia/Shanghai", "some fire days move into another year and some do not"),
    # Some times cross midnight, some do not, and only some days fire.
    ("0 0 2,10 ? * MON-FRI", "Asia/Shanghai", "UTC", "only some fire times cross midnight"),
    # 09:00 and 09:30 in India are 03:30 and 04:00 UTC: no hours x minutes product.
    ("0 0,30 9 * * ?", "Asia/Kolkata", "UTC", "03:30, 04:00"),
])
def test_inexpressible_shift_is_refused(freq: str, source: str, target: str, why: str) -> None:
    result = refused(freq, source, target)
    assert result.code == TIMEZONE_MISMATCH
    assert source in result.message and target in result.message and why in result.message


def test_unknown_zone_is_refused() -> None:
    result = refused("0 0 2 * * ?", "Mars/Olympus", "UTC")
    assert result.code == UNKNOWN_TIMEZONE and "'Mars/Olympus'" in result.message
    assert refused("0 0 2 * * ?", "UTC", "America").code == UNKNOWN_TIMEZONE  # a folder, not a zone


# ---- The approximate opt-in ---------------------------------------------------------------------

def test_approximate_shift_warns_on_which_dates_it_is_off() -> None:
    result = placed("0 0 9 ? * 2-6", "Europe/Berlin", "UTC", approximate=True)
    assert (result.freq, result.cycle) == ("0 0 8 ? * 2-6 *", "W")
    [warning] = result.warnings
    assert warning.code == TIMEZONE_APPROXIMATE
    assert (warning.old, warning.new) == ("0 0 9 ? * 2-6 * (Europe/Berlin)", "0 0 8 ? * 2-6 * (UTC)")
    # In summer Berlin is 2 hours ahead: 08:00 UTC is 10:00 in Berlin, an hour late.
    assert "1:00 later from 2026-03-29 to 2026-10-25" in warning.message


def test_approximate_keeps_the_source_warnings() -> None:
    source = quartz("0 0 9 ? 3 2")
    assert source.warnings  # MONTH_RESTRICTED
    result = placed("0 0 9 ? 3 2", "Europe/Berlin", "Asia/Shanghai", approximate=True)
    assert [w.code for w in result.warnings] == [*(w.code for w in source.warnings), TIMEZONE_APPROXIMATE]


def test_approximate_still_refuses_what_quartz_cannot_say() -> None:
    # New York is 10:30 behind India in winter: 09:00 and 09:30 become 19:30 and 20:00.
    result = refused("0 0,30 9 * * ?", "America/New_York", "Asia/Kolkata", approximate=True)
    assert result.code == TIMEZONE_MISMATCH and "19:30, 20:00" in result.message


# ---- Property: the same instants, over two years across DST changes ----------------------

ZONES = ["UTC", "Asia/Shanghai", "Asia/Kolkata", "Asia/Tokyo", "America/New_York", "Europe/Berlin",
         "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu"]
FIXED_OFFSET = ["UTC", "Asia/Shanghai", "Asia/Kolkata", "Asia/Tokyo", "Asia/Kathmandu"]
# Mostly two different zones; pairs of fixed-offset zones (where days move exactly) twice as often.
ZONE_PAIRS = ([(a, b) for a in ZONES for b in ZONES if a != b]
              + [(a, b) for a in FIXED_OFFSET for b in FIXED_OFFSET if a != b]
              + [("Europe/Berlin", "Europe/Berlin"), ("UTC", "UTC")])
START, END = datetime(2026, 1, 1), datetime(2028, 1, 1)  # naive wall-clock window
MARGIN = timedelta(days=2)
CRONSIM_FIRES = 300


def wall_times(freq: str) -> Iterator[datetime]:
    """Our evaluator's wall-clock fire times around the window."""
    return takewhile(lambda t: t < END + MARGIN, parse_quartz(freq).fire_times(START - MARGIN))


def instants(freq: str, zone: str) -> set[datetime]:
    """Fire times as UTC instants: wall-clock times in `zone` (fold 0), inside the window in UTC."""
    tz = ZoneInfo(zone)
    low, high = START.replace(tzinfo=UTC), END.replace(tzinfo=UTC)
    found = (t.replace(tzinfo=tz).astimezone(UTC) for t in wall_times(freq))
    return {t for t in found if low <= t < high}


@functools.lru_cache(maxsize=64)
def hourly_offsets(zone: str) -> tuple[timedelta, ...]:
    """The zone's offset at every hour of the window (UTC), independently of the module."""
    tz = ZoneInfo(zone)
    hours = int((END - START + 2 * MARGIN).total_seconds()) // 3600
    first = (START - MARGIN).replace(tzinfo=UTC)
    return tuple(tz.utcoffset((first + timedelta(hours=h)).astimezone(tz).replace(tzinfo=None))
                 or timedelta(0) for h in range(hours))


def _hour_index(instant: datetime) -> int:
    return int((instant - (START - MARGIN).replace(tzinfo=UTC)).total_seconds()) // 3600


@functools.lru_cache(maxsize=64)
def transition_dates(zone: str) -> frozenset[date]:
    """Local dates on which the zone changes its offset (cron's DST rules apply there)."""
    offsets, tz = hourly_offsets(zone), ZoneInfo(zone)
    first = (START - MARGIN).replace(tzinfo=UTC)
    dates = set()
    for hour in range(1, len(offsets)):
        if offsets[hour] != offsets[hour - 1]:
            for instant in (first + timedelta(hours=hour - 1), first + timedelta(hours=hour)):
                dates.add(instant.astimezone(tz).date())
    return frozenset(dates)


def differences(source: str, target: str) -> list[timedelta]:
    return [t - s for s, t in zip(hourly_offsets(source), hourly_offsets(target), strict=True)]


def unix_form(freq: str) -> str | None:
    """The same schedule as a Vixie/cronsim expression (Unix day numbers), when there is one."""
    schedule, fields = parse_quartz(freq), freq.split()
    if fields[0] != "0" or fields[6] != "*":
        return None
    dom, dow = schedule.day_of_month, schedule.day_of_week
    if dom.any_day:
        if dow.nth is not None:
            dow_text = f"{dow.nth[0] - 1}#{dow.nth[1]}"
        elif dow.last_of is not None:
            dow_text = f"{dow.last_of - 1}L"
        else:
            dow_text = "*" if len(dow.days) == 7 else ",".join(str(d - 1) for d in sorted(dow.days))
        dom_text = "*"
    else:
        if dom.nearest_weekday is not None or dom.last_offset not in (None, 0):
            return None
        dom_text = ("LW" if dom.last_weekday else "L") if dom.last_offset == 0 else (
            "*" if len(dom.days) == 31 else ",".join(map(str, sorted(dom.days))))
        dow_text = "*"
    numbers = [",".join(map(str, sorted(values))) for values in (schedule.minutes, schedule.hours, schedule.months)]
    return f"{numbers[0]} {numbers[1]} {dom_text} {numbers[2]} {dow_text}"


def check_against_cronsim(freq: str, zone: str) -> None:
    """Our evaluator's first wall-clock times equal cronsim's in `zone`, away from the zone's DST
    days. The first CRONSIM_FIRES only: cronsim is slow, and they reach past a DST change for
    all but the most frequent schedules."""
    expression = unix_form(freq)
    if expression is None:
        return
    tz, skip = ZoneInfo(zone), transition_dates(zone)
    theirs = (t.replace(tzinfo=None) for t in CronSim(expression, START.replace(tzinfo=tz) - timedelta(seconds=1)))
    ours = parse_quartz(freq).fire_times(START - timedelta(seconds=1))

    def first(times: Iterator[datetime]) -> list[datetime]:
        return list(islice((t for t in takewhile(lambda t: t < END, times) if t.date() not in skip), CRONSIM_FIRES))

    assert first(ours) == first(theirs), (
        freq, expression, zone)


@st.composite
def quartz_expressions(draw: st.DrawFn) -> str:
    hours = draw(st.one_of(st.integers(0, 23).map(lambda hour: frozenset([hour])),
                           st.sets(st.integers(0, 23), min_size=1, max_size=2), st.just(frozenset(range(24)))))
    minutes = draw(st.sets(st.sampled_from([0, 5, 15, 30, 45]), min_size=1, max_size=1 if len(hours) > 2 else 2))
    months = draw(st.sampled_from(["*", "*", "*", "3", "1,7", "12", "2", "4,11", "1,4"]))
    if draw(st.booleans()):
        weekdays = draw(st.one_of(st.sets(st.integers(1, 7), min_size=1, max_size=7).map(
            lambda days: set_text(frozenset(days), 1, 7)), st.sampled_from(["2#1", "6L"])))
        dom, dow = "?", weekdays
    else:
        dom = draw(st.sampled_from(["*", "1", "2", "15", "27", "28", "30", "31", "1,15", "L", "L-1", "L-27",
                                    "15W"]))
        if (months, dom) in (("2", "30"), ("2", "31"), ("4,11", "31")):
            dom = "28" if months == "2" else "30"  # a date that never comes is refused before any zone
        dow = "?"
    return f"0 {set_text(frozenset(minutes), 0, 59)} {set_text(frozenset(hours), 0, 23)} {dom} {months} {dow} *"


@settings(max_examples=100, deadline=None)
@given(freq=quartz_expressions(), zones=st.sampled_from(ZONE_PAIRS), approximate=st.booleans())
@example(freq="0 0 * * * ? *", zones=("UTC", "America/New_York"), approximate=False)  # ZONE_FREE
@example(freq="0 0 * ? * * *", zones=("UTC", "America/New_York"), approximate=False)  # the same, '?' swapped
def test_placed_schedule_fires_at_the_same_instants(freq: str, zones: tuple[str, str], approximate: bool) -> None:
    source, target = zones
    converted = quartz(freq)
    result = place_in_zone(converted, source, target, approximate, START.date())
    drift = differences(source, target)
    if isinstance(result, Rejected):
        assert result.code == TIMEZONE_MISMATCH
        # Never refused when the zones keep a whole-hour distance and the days are every day, or
        # weekdays over all months with every fire time moving to the same day: those always have
        # an exact form.
        dom, month, dow = freq.split()[3:6]
        schedule, minutes = parse_quartz(freq), drift[0] // timedelta(minutes=1)
        same_day_move = len({(h * 60 + minutes) // 1440 for h in schedule.hours}) == 1
        simple_days = month == "*" and (dom == "*" or (
            dom == "?" and "#" not in dow and "L" not in dow and same_day_move))
        assert not (len(set(drift)) == 1 and minutes % 60 == 0 and simple_days)
        return
    check_against_cronsim(freq, source)
    check_against_cronsim(result.freq, target)
    source_instants, target_instants = instants(freq, source), instants(result.freq, target)
    if any(w.code == "ZONE_FREE" for w in result.warnings):
        # Every hour of every day, zones whole hours apart: the same instants but in the hours
        # around a change of either zone's offset (the wall hour a change repeats or skips).
        # The freq is kept in meaning (its text may be normalised: '* ? * *' written '* * ? *').
        assert instants(result.freq, source) == source_instants
        assert all(d % timedelta(hours=1) == timedelta(0) for d in drift)
        changing = {hour for hour in range(1, len(drift)) if drift[hour] != drift[hour - 1]}

        def quiet(instant: datetime) -> bool:
            return not any(abs(_hour_index(instant) - hour) <= 2 for hour in changing)

        assert {t for t in source_instants if quiet(t)} == {t for t in target_instants if quiet(t)}
        return
    if not any(w.code == TIMEZONE_APPROXIMATE for w in result.warnings):
        assert len(set(drift)) == 1  # exact only when the zones never drift apart
        assert source_instants == target_instants, (result.freq, sorted(source_instants ^ target_instants)[:5])
        return
    # Approximate, opted in: the same instants wherever the difference is today's, a day either side.
    assert approximate
    used = drift[_hour_index(START.replace(tzinfo=UTC))]

    def steady(instant: datetime) -> bool:
        hour = _hour_index(instant)
        return all(d == used for d in drift[max(0, hour - 24):hour + 25])

    assert {t for t in source_instants if steady(t)} == {t for t in target_instants if steady(t)}
    assert not all(d == used for d in drift)  # it warned for a reason


@pytest.mark.parametrize(("expression", "dialect", "zones"), [
    ("*/15 * * * *", "unix", ("Europe/Oslo", "UTC")), ("0 * * * *", "kubernetes", ("Europe/Oslo", "UTC")),
    ("7,37 * * * *", "unix", ("America/New_York", "Europe/London")), ("* * * * *", "croniter", ("UTC", "Europe/Berlin")),
    ("0 * * * *", "unix", ("Antarctica/Troll", "UTC")),  # a daylight-saving change of two hours
    ("CRON_TZ=Europe/Berlin 0 * * * *", "kubernetes", ("", "UTC")),  # the zone in the text, not in --zone
    ("*-*-* *:00:00 Europe/Berlin", "systemd", ("", "UTC")),
])
def test_every_hour_of_every_day_fires_alike_in_zones_whole_hours_apart(
        expression: str, dialect: str, zones: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """A CronJob `*/15 * * * *` with timeZone Europe/Oslo, for a service in UTC: the same instants
    (ZONE_FREE, the freq unchanged), and the proof says so (cronsim or croniter on the source),
    but in the hours around a daylight-saving change, which the proof leaves out."""
    import json

    from conftest import run_cli

    zone = ["--zone", zones[0]] if zones[0] else []
    code, out, err = run_cli(capsys, "cron", expression, "--dialect", dialect, *zone, "--target-zone", zones[1],
                             "--proof", "--json")
    answer = json.loads(out)
    assert code == 0 and "ZONE_FREE" in [w["code"] for w in answer["warnings"]], (answer, err)
    assert answer["proof"]["verdict"] == "equivalent", answer


@pytest.mark.parametrize(("expression", "zones"), [
    ("0 * * * *", ("America/New_York", "Asia/Kolkata")),  # 10:30 or 9:30 apart: the minutes would move
    ("30 2 * * *", ("Europe/Oslo", "UTC")),  # a time of day: it moves with DST
    ("0 * 1 * *", ("Europe/Oslo", "UTC")),  # every hour of one day: which hours are "day 1" moves
])
def test_what_moves_with_the_zone_is_still_refused(expression: str, zones: tuple[str, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from conftest import run_cli

    code, out, _ = run_cli(capsys, "cron", expression, "--dialect", "unix", "--zone", zones[0], "--target-zone",
                           zones[1], "--json")
    assert code == 2 and json.loads(out)["rejected"] == "TIMEZONE_MISMATCH"


def _wall(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _next_clock_change(zone: str, after: datetime, forward: bool) -> datetime:
    """The next instant `zone`'s clock goes forward (or back), to the hour."""
    instant = after.replace(minute=0, second=0, microsecond=0)
    while True:
        before, later = instant.astimezone(ZoneInfo(zone)).utcoffset(), (instant + timedelta(hours=1)).astimezone(
            ZoneInfo(zone)).utcoffset()
        assert before is not None and later is not None
        if later != before and (later > before) == forward:
            return instant + timedelta(hours=1)
        instant += timedelta(hours=1)


@pytest.mark.parametrize(("source", "target", "days"), [
    ("Europe/Berlin", "UTC", 50), ("Europe/Berlin", "UTC", 230), ("America/New_York", "UTC", 140),
    ("UTC", "America/New_York", 230), ("Europe/Berlin", "America/New_York", 100),
])
def test_a_one_run_freq_is_placed_at_its_instant_whatever_the_dst(source: str, target: str, days: int) -> None:
    """A freq that fires once (every field one value, its year included: an EventBridge at(…), a
    schtasks One Time Only) was refused TIMEZONE_MISMATCH between zones whose offsets differ within
    ten years, though it fires at one known instant, and with the approximate opt-in was shifted by
    today's difference: an hour off in summer. It is that instant's wall time in the service's zone
    now, with its year, and no approximate warning. Found by a reviewer."""
    today = date.today()
    run = datetime.combine(today + timedelta(days=days), datetime.min.time()).replace(hour=9, minute=30)
    freq = f"0 30 9 {run.day} {run.month} ? {run.year}"
    for approximate in (False, True):
        result = place_in_zone(quartz(freq), source, target, approximate, today)
        assert isinstance(result, Converted), result
        expected = _wall(run.replace(tzinfo=ZoneInfo(source)), target)
        assert list(parse_quartz(result.freq).fire_times(datetime(2000, 1, 1))) == [expected], result.freq
        assert TIMEZONE_APPROXIMATE not in {w.code for w in result.warnings}


def test_a_few_fires_in_their_years_are_placed_one_by_one_when_one_freq_says_them() -> None:
    """Two runs, in winter and in summer, at one wall time in Berlin: 08:00 and 07:00 UTC, which no
    single freq of days 15 of January and July says at one hour: refused as before (the shift by
    offsets decides). The same instants on two days of one season are one freq."""
    year = date.today().year + 1
    refused = place_in_zone(quartz(f"0 0 9 15 1,7 ? {year}"), "Europe/Berlin", "UTC", False, date.today())
    assert isinstance(refused, Rejected) and refused.code == TIMEZONE_MISMATCH, refused
    summer = place_in_zone(quartz(f"0 0 9 15,16 7 ? {year}"), "Europe/Berlin", "UTC", False, date.today())
    assert isinstance(summer, Converted) and summer.freq == f"0 0 7 15-16 7 ? {year}", summer


def test_a_one_run_at_a_wall_time_skipped_or_repeated_is_refused_or_placed_with_a_warning() -> None:
    """A wall time the source's clock skips (02:30 on the night Berlin's goes forward) or repeats
    has no one instant, nor has one on an hour the service's clock repeats: refused, naming it; with
    the approximate opt-in placed at the offset before the change, warned."""
    now = datetime.now(UTC) + timedelta(days=2)
    gap = _wall(_next_clock_change("Europe/Berlin", now, forward=True), "Europe/Berlin") - timedelta(minutes=30)
    freq = f"0 30 2 {gap.day} {gap.month} ? {gap.year}"
    refused = place_in_zone(quartz(freq), "Europe/Berlin", "UTC", False, date.today())
    assert isinstance(refused, Rejected) and refused.code == TIMEZONE_MISMATCH, refused
    assert f"{gap:%Y-%m-%d} 02:30 does not exist in Europe/Berlin" in refused.message, refused.message
    approximate = place_in_zone(quartz(freq), "Europe/Berlin", "UTC", True, date.today())
    assert isinstance(approximate, Converted) and approximate.freq == f"0 30 1 {gap.day} {gap.month} ? {gap.year}"
    assert TIMEZONE_APPROXIMATE in {w.code for w in approximate.warnings}
    back = _next_clock_change("Europe/Berlin", now, forward=False)  # 01:00 UTC: Berlin's 03:00 becomes 02:00
    twice = _wall(back, "Europe/Berlin") - timedelta(minutes=30)  # 02:30, before and after
    folded = place_in_zone(quartz(f"0 30 2 {twice.day} {twice.month} ? {twice.year}"), "Europe/Berlin", "UTC", False,
                           date.today())
    assert isinstance(folded, Rejected) and "comes twice in Europe/Berlin" in folded.message, folded
    first = back - timedelta(minutes=30)  # 00:30 UTC: the first 02:30 in Berlin, which the service reads either way
    repeated = place_in_zone(quartz(f"0 30 0 {first.day} {first.month} ? {first.year}"), "UTC", "Europe/Berlin",
                             False, date.today())
    assert isinstance(repeated, Rejected) and "a time Europe/Berlin's clock repeats" in repeated.message, repeated
    # opted in or not: no wall time of the service's says that instant (its later pass, read as the first,
    # fired early: a reviewer's Sydney run placed in Lord Howe, the proof saying `differs`, was saved)
    assert isinstance(place_in_zone(quartz(f"0 30 0 {first.day} {first.month} ? {first.year}"), "UTC",
                                    "Europe/Berlin", True, date.today()), Rejected)


def test_a_one_run_landing_on_the_services_repeated_time_is_refused_even_opted_in() -> None:
    """02:00 Sydney on the night its clock goes back, for a service in Lord Howe: its first reading,
    15:00 UTC, is 01:30 on Lord Howe's second pass of 01:30-02:00, which a scheduler reading 01:30
    takes for the first, half an hour early; with the opt-in it was saved so, the proof saying
    `differs` (found by a reviewer; `astimezone` had kept the second pass's fold, hiding it)."""
    back = _next_clock_change("Australia/Sydney", datetime.now(UTC) + timedelta(days=2), forward=False)
    day = _wall(back, "Australia/Sydney").date()
    freq = f"0 0 2 {day.day} {day.month} ? {day.year}"
    for approximate in (False, True):
        placed = place_in_zone(quartz(freq), "Australia/Sydney", "Australia/Lord_Howe", approximate, date.today())
        assert isinstance(placed, Rejected) and "a time Australia/Lord_Howe's clock repeats" in placed.message, placed
