"""`migrate cron --start … --proof`: the flow a run saves for a source that begins at --start starts
on the day of its first run from then (its startTime), and the proof compares both from there, as
a plan proves a flow with that start; the verdicts are checked against cronsim, which shares no
code with the converter, for starts in the past, today and ahead, in several zones."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import run_cli
from cronsim import CronSim

HORIZON_DAYS = 60


def today() -> datetime:
    """Where a run's proofs begin: asked by each test (a value taken when the file was loaded was
    yesterday's for a run that crossed midnight UTC)."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _cron(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(capsys, "cron", *args, "--proof", "--json")
    assert "Traceback" not in err, err
    shown: dict[str, Any] = json.loads(out)
    return code, shown


def _utc(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(("expression", "dialect"), [
    ("cron(0 18 ? * MON-FRI *)", "eventbridge"),
    ("rate(1 hour)", "eventbridge"),
    ("0 18 * * 1-5", "airflow"),
])
def test_a_source_beginning_ahead_is_proved_from_the_flows_start(capsys: pytest.CaptureFixture[str],
                                                                   expression: str, dialect: str) -> None:
    """The review's case: the source begins in three days; the flow a run saves starts that day
    and fires nothing before it, so nothing before it is a difference. (A weekday: the Monday to
    Friday schedules' first run is that day, so the flow starts on it whatever day CI runs.)"""
    start = today() + timedelta(days=3)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    code, shown = _cron(capsys, expression, "--dialect", dialect, "--target-zone", "UTC", "--start", _utc(start))
    assert code == 0 and shown["proof"]["verdict"] == "equivalent", shown["proof"]
    assert shown["startTime"] == start.date().isoformat() and shown["proof"]["from"] == _utc(start)
    assert min(shown["next_fires"]) >= _utc(start)  # the flow's, from its start: as a plan shows them
    code, out, _ = run_cli(capsys, "cron", expression, "--dialect", dialect, "--target-zone", "UTC", "--start",
                           _utc(start), "--proof")
    assert code == 0 and f"startTime: {start.date()} (the day of the first run from --start" in out
    assert "proof: equivalent" in out


def test_the_flow_starts_on_the_day_of_its_first_run(capsys: pytest.CaptureFixture[str]) -> None:
    """A source that begins after the day's run starts the next day (a run's START_DATE_SHIFTED);
    one whose day still has a run before the source begins differs, the flow's run as evidence."""
    noon = today() + timedelta(days=3, hours=12)
    code, daily = _cron(capsys, "0 6 * * *", "--dialect", "airflow", "--target-zone", "UTC", "--start", _utc(noon))
    assert code == 0 and daily["startTime"] == (noon + timedelta(days=1)).date().isoformat()
    assert daily["proof"]["verdict"] == "equivalent", daily["proof"]
    code, twice = _cron(capsys, "0 6,18 * * *", "--dialect", "airflow", "--target-zone", "UTC", "--start", _utc(noon))
    assert code == 2 and twice["startTime"] == noon.date().isoformat()
    assert twice["proof"]["verdict"] == "differs" and not twice["proof"]["source"]
    assert twice["proof"]["saved"] == [_utc(noon - timedelta(hours=6))]  # 06:00 that day, before the source begins


def test_the_flows_day_is_the_services(capsys: pytest.CaptureFixture[str]) -> None:
    """Midnight in Tokyo, in three days, is the day before in UTC: the flow, saved in UTC, starts on
    the day of the source's first run there (09:00 in Tokyo, 00:00 UTC), not on the day before."""
    start = datetime.combine((today() + timedelta(days=3)).date(), time(), ZoneInfo("Asia/Tokyo"))
    code, shown = _cron(capsys, "cron(0 9 * * ? *)", "--dialect", "eventbridge", "--zone", "Asia/Tokyo",
                        "--target-zone", "UTC", "--start", start.isoformat())
    assert code == 0 and shown["proof"]["verdict"] == "equivalent", shown["proof"]
    assert shown["startTime"] == start.date().isoformat()


def test_an_eventbridge_schedule_without_a_zone_is_proved_in_utc(capsys: pytest.CaptureFixture[str]) -> None:
    """EventBridge fires in UTC unless the schedule names a zone: so the conversion reads it, and so
    the proof must (it read it at 18:00 in the service's zone, Tokyo, and refuted a correct freq)."""
    code, shown = _cron(capsys, "cron(0 18 ? * MON-FRI *)", "--dialect", "eventbridge", "--target-zone",
                        "Asia/Tokyo")
    assert shown["freq"] == "0 0 3 ? * 3-7 *"
    assert code == 0 and shown["proof"]["verdict"] == "equivalent", shown["proof"]


def _cronsim_instants(expression: str, zone: str, begin: datetime, end: datetime) -> list[datetime]:
    """cronsim's fire times (wall times in the zone) as UTC instants in [begin, end)."""
    tz = ZoneInfo(zone)
    found = []
    for wall in CronSim(expression, begin.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)):
        instant = wall.replace(tzinfo=tz).astimezone(UTC)
        if instant >= end:
            return found
        if instant >= begin:
            found.append(instant)
    return found


ZONES = [("UTC", "UTC"), ("Asia/Tokyo", "UTC"), ("UTC", "Asia/Kolkata"), ("America/New_York", "America/New_York")]
STARTS = [(-180, "T00:00:00Z"), (0, "T00:00:00"), (0, "T15:00:00Z"), (3, "T12:00:00+09:00"), (20, "T07:10:00")]


@pytest.mark.parametrize(("zone", "target"), ZONES)
@pytest.mark.parametrize(("days", "clock"), STARTS)
def test_verdicts_against_cronsim(capsys: pytest.CaptureFixture[str], zone: str, target: str, days: int,
                                  clock: str) -> None:
    """For an Airflow DAG, which never fires before its start: cronsim's reading of the cron from
    midnight of the day of its first run from --start, in the service's zone, is the flow's (a freq
    that fires as the source's rule does); the source fires only from --start. Equivalent where
    those agree, else differs with the flow's earlier runs as its evidence. No zone here changes its
    offset within the horizon but New York's, and no fire time is near 02:00 (left out there)."""
    start_text = (today() + timedelta(days=days)).date().isoformat() + clock
    start = datetime.fromisoformat(start_text.replace("Z", "+00:00"))
    start = start if start.tzinfo else start.replace(tzinfo=ZoneInfo(zone))
    service = ZoneInfo(target)
    end = today() + timedelta(days=HORIZON_DAYS)
    for expression in ("0 18 * * 1-5", "30 6,13 * * *", "15 8 1 * *"):
        code, shown = _cron(capsys, expression, "--dialect", "airflow", "--zone", zone, "--target-zone", target,
                            "--start", start_text, "--horizon-days", str(HORIZON_DAYS))
        if "freq" not in shown:  # New York's schedules go to New York's service: never refused here
            pytest.fail(f"{expression}: {shown}")
        first_run = _cronsim_instants(expression, zone, start, start + timedelta(days=400))[0]
        day: date = first_run.astimezone(service).date()
        begin = max(today(), datetime.combine(day, time(), service).astimezone(UTC))
        flow = [t for t in _cronsim_instants(expression, zone, begin, end) if not _near_a_change(t, zone, target)]
        source = [t for t in flow if t >= start]
        proof = shown["proof"]
        assert shown["startTime"] == day.isoformat(), (expression, shown)
        if flow == source:
            assert code == 0 and proof == {"verdict": "equivalent", "fires": len(source), "from": _utc(begin),
                                           "until": _utc(end)}, (expression, start_text, proof)
        else:
            assert code == 2 and proof["verdict"] == "differs", (expression, start_text, proof)
            assert proof["saved"] == [_utc(t) for t in flow if t < start][:3] and not proof["source"]
        assert shown["next_fires"] == [_utc(t) for t in _cronsim_instants(expression, zone, begin,
                                                                          begin + timedelta(days=400))[:5]]


def _near_a_change(instant: datetime, *zones: str) -> bool:
    """Within two hours of a change of either zone's UTC offset: the proof leaves those hours out."""
    return any((instant - timedelta(hours=2)).astimezone(ZoneInfo(zone)).utcoffset()
               != (instant + timedelta(hours=2)).astimezone(ZoneInfo(zone)).utcoffset() for zone in zones)
