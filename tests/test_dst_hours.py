"""DST_HOURS: a saved freq firing in an hour a daylight-saving change skips or repeats is said (the
proof leaves those hours out), checked against zoneinfo's own reading of each wall time: a time
that does not survive a round trip through UTC is skipped; one whose two folds have different
offsets is repeated. Found by a fresh user: a daily 02:30 in Europe/Berlin was "equivalent" with
nothing said about the two days a year cron and the service may run it differently."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import run_cli
from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrate.schedule.proof import clock_change_fires

BEGIN = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 731
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Tehran", "Asia/Shanghai",
         "America/Santiago", "Europe/Dublin", "Antarctica/Troll", "UTC"]


def kind_of(wall: datetime, zone: ZoneInfo) -> str | None:
    """zoneinfo's reading: skipped, repeated, or an ordinary wall time."""
    early, late = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        return "skipped"
    if early.utcoffset() != late.utcoffset():
        return "repeated"
    return None


def daily_by_zoneinfo(hour: int, minutes: list[int], zone_name: str) -> list[tuple[datetime, str]]:
    zone, start = ZoneInfo(zone_name), BEGIN.astimezone(ZoneInfo(zone_name)).date()
    found = []
    for offset in range(DAYS + 1):
        day = start + timedelta(days=offset)
        for minute in sorted(minutes):
            wall = datetime.combine(day, time(hour, minute))
            kind = kind_of(wall, zone)
            instant = wall.replace(tzinfo=zone).astimezone(UTC)
            if kind and BEGIN <= instant < BEGIN + timedelta(days=DAYS):
                found.append((wall, kind))
    return found


@settings(max_examples=150, deadline=None)
@given(hour=st.integers(0, 23), minutes=st.lists(st.sampled_from([0, 15, 20, 30, 45]), min_size=1, max_size=3,
                                                  unique=True), zone=st.sampled_from(ZONES))
@example(hour=2, minutes=[30], zone="Europe/Berlin")
@example(hour=2, minutes=[0, 30], zone="Europe/Berlin")  # every fire in the hour, not its first alone
@example(hour=2, minutes=[15], zone="Australia/Lord_Howe")  # a half-hour change
@example(hour=1, minutes=[30], zone="Antarctica/Troll")  # a two-hour change
def test_a_daily_time_in_a_skipped_or_repeated_hour_is_found_as_zoneinfo_reads_it(
        hour: int, minutes: list[int], zone: str) -> None:
    freq = f"0 {','.join(map(str, sorted(minutes)))} {hour} * * ? *"
    ours = [(fire.wall, fire.kind) for fire in clock_change_fires((freq,), zone, BEGIN, DAYS)]
    assert ours == daily_by_zoneinfo(hour, minutes, zone)


def test_a_zone_without_changes_and_a_time_clear_of_them_say_nothing() -> None:
    assert clock_change_fires(("0 30 2 * * ? *",), "Asia/Shanghai", BEGIN, DAYS) == ()
    assert clock_change_fires(("0 30 4 * * ? *",), "Europe/Berlin", BEGIN, DAYS) == ()
    # every hour: the changed hour itself, each change
    hourly = clock_change_fires(("0 0 * * * ? *",), "Europe/Berlin", BEGIN, DAYS)
    assert [fire.wall.date() for fire in hourly] == [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28),
                                                     date(2027, 10, 31)]


def plan_in_berlin(tmp_path: Path, capsys: pytest.CaptureFixture[str], dialect: str,
                   rows: str) -> tuple[int, str, str]:
    """`migrate plan --offline --json` of a table of flows (flow_id,flow_name,schedule,owners rows) in
    that schedule dialect, the service in Europe/Berlin."""
    (tmp_path / "e.csv").write_text("flow_id,flow_name,schedule,owners\n" + rows, encoding="utf-8")
    (tmp_path / "c.toml").write_text(
        f'[source]\npath = "e.csv"\n[mapping]\nschedule_dialect = "{dialect}"\n[mapping.fields]\nid = "flow_id"\n'
        'name = "flow_name"\nfreq = "schedule"\nowners = "owners"\n[defaults]\ntype = 1\nalertMode = 0\n'
        'doAs = "db"\nvisitors = ""\nstartTime = "2026-12-01"\nactive = 0\n[target]\nurl = "https://x.invalid"\n'
        'user_id = "u1"\norg_id = "o1"\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    return run_cli(capsys, "plan", str(tmp_path / "c.toml"), "--offline", "--json")


def test_a_plan_and_migrate_cron_say_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = plan_in_berlin(tmp_path, capsys, "unix", "1001,a,30 2 * * *,alice\n1002,b,30 4 * * *,alice\n")
    import json

    warned = {action["name"]: [w["code"] for w in action.get("warnings", [])] for action in json.loads(out)["actions"]}
    assert code == 3 and warned == {"a": ["DST_HOURS"], "b": []}, (warned, err)
    code, out, _ = run_cli(capsys, "cron", "--dialect", "unix", "--zone", "Europe/Berlin", "--target-zone",
                           "Europe/Berlin", "--proof", "30 2 * * *")
    assert code == 0 and "DST_HOURS" in out and "(skipped)" in out and "(repeated)" in out, out


def _next_eu_changes() -> tuple[date, date]:
    """The next last Sunday of March (Europe's clocks go forward at 01:00 UTC) at least two days
    ahead, and the last Sunday of October of that year (back): so these tests hold on any date."""
    def last_sunday(year: int, month: int) -> date:
        day = date(year, month + 1, 1) - timedelta(days=1)
        return day - timedelta(days=(day.weekday() + 1) % 7)

    year = datetime.now(UTC).year
    while last_sunday(year, 3) < datetime.now(UTC).date() + timedelta(days=2):
        year += 1
    return last_sunday(year, 3), last_sunday(year, 10)


def test_a_flow_firing_only_around_a_change_is_not_said_to_never_fire(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A one-time run at 02:30 on the night Berlin's clock goes forward, and a last Sunday of March
    at 02:30, fire only in the hours the proof leaves out: the proof said "neither schedule fires"
    (false: the plan's own next fire time showed the run) and no DST_HOURS was given. Found by a
    hunt over Windows Task Scheduler one-time triggers on DST nights."""
    import json

    forward, back = _next_eu_changes()
    code, out, err = plan_in_berlin(tmp_path, capsys, "quartz", f"1001,gap,0 30 2 {forward.day} 3 ? {forward.year},alice\n"
                                    f"1002,lastsun,0 30 2 ? 3 1L {forward.year},alice\n1003,overlap,0 30 2 {back.day} 10 ? "
                                    f"{back.year},alice\n1004,before,0 30 1 {forward.day} 3 ? {forward.year},alice\n")
    actions = {action["name"]: action for action in json.loads(out)["actions"]}
    assert code == 3, err
    for name, first, dst in (("gap", f"{forward}T01:30:00Z", ["DST_HOURS"]),
                             ("lastsun", f"{forward}T01:30:00Z", ["DST_HOURS"]),
                             ("overlap", f"{back}T00:30:00Z", ["DST_HOURS"]), ("before", f"{forward}T00:30:00Z", [])):
        proof, codes = actions[name]["proof"], [w["code"] for w in actions[name].get("warnings", [])]
        assert proof["verdict"] == "unchecked" and "neither" not in proof["reason"], (name, proof)
        assert f"the source fires at {first}" in proof["reason"] and f"the saved freq at {first}" in proof["reason"]
        assert [code for code in codes if code == "DST_HOURS"] == dst, (name, codes)
    code, out, _ = run_cli(capsys, "cron", "--dialect", "quartz", "--zone", "Europe/Berlin", "--target-zone",
                           "Europe/Berlin", "--proof", f"0 30 2 {forward.day} 3 ? {forward.year}")
    assert code == 0 and "neither" not in out and "DST_HOURS" in out and f"{forward} 02:30 (skipped)" in out, out


def test_an_approximate_shift_firing_otherwise_on_a_change_night_is_a_difference(
        capsys: pytest.CaptureFixture[str]) -> None:
    """02:30 in Berlin on the night its clock goes forward, shifted to New York by today's offset
    (--approximate): 00:30 UTC, an hour before any reading of the source (skipped, or run at 01:00
    or 01:30 UTC), which the proof, leaving those hours out, hid (found by a reviewer of the fix).
    A run once is now placed at its instant: one reading of the source, said, the evidence shown."""
    forward, _ = _next_eu_changes()
    code, out, _ = run_cli(capsys, "cron", "--dialect", "quartz", "--zone", "Europe/Berlin", "--target-zone",
                           "America/New_York", "--approximate", "--proof", f"0 30 2 {forward.day} 3 ? {forward.year}")
    # A run once is now placed at its instant (schedule/timezone.py), not by today's offset: at the
    # source's reading by the offset before the change, 01:30 UTC, said by TIMEZONE_APPROXIMATE.
    eve = forward - timedelta(days=1)  # 01:30 UTC is 21:30 the evening before in New York (daylight time by then)
    assert code == 0 and f"freq: 0 30 21 {eve.day} {eve.month} ? {eve.year}" in out, out
    assert "does not exist in Europe/Berlin" in out, out
    assert f"the source fires at {forward}T01:30:00Z; the saved freq at {forward}T01:30:00Z" in out, out
