"""Property: for random Vixie cron expressions the real converter accepts, the proof (cronsim on the
source, our Quartz evaluator on the freq) finds the same instants, also when the schedule is shifted
into another zone and when a day-of-month OR day-of-week schedule is split in two."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from migrate.schedule import proof as proof_module
from migrate.schedule.convert import convert_for_service
from migrate.schedule.proof import prove
from migrate.schedule.result import Converted

BEGIN = datetime(2026, 3, 1, tzinfo=UTC)  # a spring: Europe's daylight-saving change inside the horizon
HORIZON_DAYS = 400


def field(lo: int, hi: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    number = st.integers(lo, hi)
    value = number.map(str) if names is None else st.one_of(number.map(str), st.sampled_from(names))
    ranged = st.tuples(number, number).map(lambda p: f"{min(p)}-{max(p)}")
    stepped = st.tuples(ranged, st.integers(1, max(2, (hi - lo) // 2))).map(lambda p: f"{p[0]}/{p[1]}")
    star_step = st.integers(1, max(2, (hi - lo) // 2)).map(lambda n: f"*/{n}")
    term = st.one_of(value, ranged, stepped)
    listed = st.lists(term, min_size=1, max_size=3).map(",".join)
    return st.one_of(st.just("*"), star_step, listed)


VIXIE = st.tuples(
    field(0, 59), field(0, 23), field(1, 31), field(1, 12, ["jan", "MAR", "Jun", "dec"]),
    field(0, 7, ["mon", "FRI", "Sun"]),
).map(" ".join)


@example(expression="* * 1-1/1 * *", zones=(None, None))  # cronsim's own quirk (proof._unix): found here
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=VIXIE, zones=st.sampled_from([(None, None), ("Asia/Shanghai", "UTC"), ("UTC", "Asia/Tokyo"),
                                                ("Europe/Berlin", "Europe/Paris")]))
def test_converted_vixie_schedules_are_proved_equivalent(expression: str, zones: tuple[str | None, str | None]) -> None:
    zone, target = zones
    result = convert_for_service(expression, "unix", None, zone, target, split_or=True)
    if not isinstance(result, Converted):
        return  # refused with a code: nothing saved, nothing to prove
    freqs = (result.freq,) if result.split is None else (result.freq, result.split.freq)
    with mock.patch.object(proof_module, "MAX_FIRES", 1500):  # every minute: a day is enough to tell
        proof = prove.__wrapped__(expression, "unix", zone, None, freqs, target, BEGIN, HORIZON_DAYS)
    assert proof.verdict == "equivalent", (expression, zones, freqs, proof)


# Day fields as cronsim reads them beyond Vixie's: last day (L), nearest weekday (15W, LW), n-th and
# last weekday (5#2, 5L): the day-by-day walk must take cronsim's own day rule for each.
CRONSIM_DAYS = st.one_of(field(1, 31), st.sampled_from(["L", "15W", "LW", "1W", "L,15", "*/2"]))
CRONSIM_WEEKDAYS = st.one_of(field(0, 7, ["mon", "FRI", "Sun"]), st.sampled_from(["5#2", "1#5", "5L", "0L"]))


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(minute=field(0, 59), hour=field(0, 23), day=CRONSIM_DAYS, month=field(1, 12, ["jan", "MAR", "Jun", "dec"]),
       weekday=CRONSIM_WEEKDAYS, start=st.datetimes(datetime(2000, 1, 1), datetime(2090, 1, 1)))
def test_the_day_by_day_walk_yields_what_cronsims_iterator_does(
        minute: str, hour: str, day: str, month: str, weekday: str, start: datetime) -> None:
    """The proof reads a cron source a day at a time from cronsim's own value sets and day rule
    (proof._cronsim_by_day, ten times as fast): the same walls as CronSim's iterator, in order."""
    from itertools import islice, takewhile

    from cronsim import CronSim, CronSimError

    expression = f"{minute} {hour} {day} {month} {weekday}"
    start = start.replace(microsecond=0)
    try:
        reader = CronSim(expression, start)
    except CronSimError:
        assume(False)  # not a schedule cronsim reads: nothing to compare
    assert proof_module._has_fields(reader)
    walked = list(islice(proof_module._cronsim_by_day(CronSim(expression, start), start), 300))
    last_day = start.date() + timedelta(days=proof_module.DAYS_SEARCHED)  # as far as the walk looks
    iterated = list(islice(takewhile(lambda wall: wall.date() <= last_day, reader), 300))
    assert walked == iterated, (expression, start)
