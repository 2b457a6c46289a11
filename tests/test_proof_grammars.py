"""The proof's evaluators for the grammars profiles convert themselves (systemd calendar events,
Windows triggers, Oozie frequencies, Azkaban periods): each on its documentation's own examples,
the shipped examples proved `equivalent` through the CLI, and a converter broken on purpose (one
rule patched) caught by the proof as NOT_EQUIVALENT, not by a test of the converter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from migrate.schedule.proof import Unchecked, prove
from migrate.schedule.proof_grammars import source_fires
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
BEGIN = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = BEGIN + timedelta(days=365)


def fires(source: str, grammar: str, count: int = 4, zone: str = "UTC", begin: datetime = BEGIN) -> list[str]:
    found = source_fires(source, grammar, zone, None, begin, begin + timedelta(days=7400))
    return [f"{next(found):%Y-%m-%d %H:%M:%S}" for _ in range(count)]


def plan_actions(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, dict[str, Any]]:
    code, out, err = run_cli(capsys, "plan", str(config), "--json", "--offline")
    assert code in (0, 5), err  # 5: some flow is invalid
    return {a["name"]: a for a in json.loads(out)["actions"]}


# -- systemd.time(7) ------------------------------------------------------------------------------------


def test_systemd_reads_the_man_pages_examples() -> None:
    # "Thu,Fri 2012-*-1,5 11:12:13": the 1st or 5th of a month of the year, only on a Thursday or Friday
    assert fires("Thu,Fri 2026-*-1,5 11:12:13", "systemd", 3) == ["2026-01-01 11:12:13", "2026-02-05 11:12:13",
                                                               "2026-03-05 11:12:13"]
    assert fires("*-02~03", "systemd", 2) == ["2026-02-26 00:00:00", "2027-02-26 00:00:00"]  # the third last day
    assert fires("Mon *-05~07/1", "systemd", 2) == ["2026-05-25 00:00:00", "2027-05-31 00:00:00"]  # last Monday
    assert fires("Wed, 17:48", "systemd", 2) == ["2026-01-07 17:48:00", "2026-01-14 17:48:00"]
    assert fires("12..14:10,20,30", "systemd", 4) == ["2026-01-01 12:10:00", "2026-01-01 12:20:00",
                                                      "2026-01-01 12:30:00", "2026-01-01 13:10:00"]
    assert fires("*-1..12/5-1", "systemd", 3) == ["2026-01-01 00:00:00", "2026-06-01 00:00:00", "2026-11-01 00:00:00"]
    assert fires("*:2/3", "systemd", 3) == ["2026-01-01 00:02:00", "2026-01-01 00:05:00", "2026-01-01 00:08:00"]
    assert fires("quarterly", "systemd", 2) == ["2026-01-01 00:00:00", "2026-04-01 00:00:00"]
    assert fires("weekly Pacific/Auckland", "systemd", 1) == ["2026-01-04 11:00:00"]  # Monday 00:00 NZDT
    assert fires("*-*-* 04:00:00.000", "systemd", 1) == ["2026-01-01 04:00:00"]  # a fraction of none
    # several OnCalendar= lines: their union, a time both name once
    assert fires('["*-*-* 06:00", "*-*-* 18:00", "*-*-* 06:00:00"]', "systemd", 3) == [
        "2026-01-01 06:00:00", "2026-01-01 18:00:00", "2026-01-02 06:00:00"]


def test_systemd_leaves_what_the_page_does_not_say_unchecked() -> None:
    for text, reason in (("Sat..Mon 12:00", "wraps"), ("*-*-* 05:40:23.5", "fractions"),
                         ("semi-annually", "weekday name"), ("*-*~07..01/2", "not documented"),
                         ("Mon-Fri 09:00", "weekday range written with `-`")):
        with pytest.raises(Unchecked, match=reason):
            fires(text, "systemd", 1)


SYSTEMD_ORACLE = ["*-*-* 02:30:00", "Mon..Fri *-*-* 07:00:00", "*-*~01 23:00:00", "weekly", "Mon *-05~07/1",
                  "*-*~07/2", "*-*-1/10 04:00", "*:0/20", "semiannually", "mon,fri *-1/2-1,3 *:30:45",
                  "Sunday *-*-1..7 03:00", "Sat,Sun 12-05 08:05:40", "*-02-29 12:00", "*-*~03,01 12:00"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("expression", SYSTEMD_ORACLE)
def test_systemd_agrees_with_systemd_analyze(expression: str) -> None:
    """systemd's own calendar (`systemd-analyze calendar --iterations`), in UTC, as the oracle."""
    out = subprocess.run(["systemd-analyze", "calendar", "--iterations=5", f"{expression} UTC"],
                         capture_output=True, text=True, check=True).stdout
    theirs = [line.split(": ", 1)[1].split(" ", 1)[1].removesuffix(" UTC") for line in out.splitlines()
              if line.strip().startswith(("Next elapse:", "Iter. #"))]
    first = datetime.fromisoformat(theirs[0]).replace(tzinfo=UTC)
    assert fires(expression, "systemd", len(theirs), begin=first) == theirs


# -- Windows Task Scheduler ----------------------------------------------------------------------------


def triggers(*xml: str) -> str:
    return "<Triggers>" + "".join(xml) + "</Triggers>"


def test_windows_reads_the_schema_pages_examples() -> None:
    # monthlyDayOfWeekScheduleType: Monday of the first week, each month
    first_monday = ("<CalendarTrigger><StartBoundary>2025-01-01T08:00:00</StartBoundary><ScheduleByMonthDayOfWeek>"
                    "<Weeks><Week>1</Week></Weeks><DaysOfWeek><Monday/></DaysOfWeek><Months><January/><February/>"
                    "<March/></Months></ScheduleByMonthDayOfWeek></CalendarTrigger>")
    assert fires(triggers(first_monday), "windows", 4) == ["2026-01-05 08:00:00", "2026-02-02 08:00:00",
                                                           "2026-03-02 08:00:00", "2027-01-04 08:00:00"]
    # DaysOfMonth 1 and 15, and Last; a 31st only in the months that have one
    by_month = ("<CalendarTrigger><StartBoundary>2025-01-01T08:00:00Z</StartBoundary><ScheduleByMonth><DaysOfMonth>"
                "<Day>15</Day><Day>31</Day><Day>Last</Day></DaysOfMonth><Months><January/><February/></Months>"
                "</ScheduleByMonth></CalendarTrigger>")
    assert fires(triggers(by_month), "windows", 4) == ["2026-01-15 08:00:00", "2026-01-31 08:00:00",
                                                       "2026-02-15 08:00:00", "2026-02-28 08:00:00"]
    # every other day from StartBoundary's day; +08:00 is a fixed offset
    every_other = ("<CalendarTrigger><StartBoundary>2025-12-31T09:00:00+08:00</StartBoundary><ScheduleByDay>"
                   "<DaysInterval>2</DaysInterval></ScheduleByDay></CalendarTrigger>")
    assert fires(triggers(every_other), "windows", 2) == ["2026-01-02 01:00:00", "2026-01-04 01:00:00"]
    # Repetition every hour for four hours: 08, 09, 10, 11 (the end is exclusive); a disabled trigger never fires
    repeated = ("<CalendarTrigger><Repetition><Interval>PT1H</Interval><Duration>PT4H</Duration></Repetition>"
                "<StartBoundary>2025-06-02T08:00:00</StartBoundary><ScheduleByWeek><DaysOfWeek><Tuesday/>"
                "</DaysOfWeek><WeeksInterval>1</WeeksInterval></ScheduleByWeek></CalendarTrigger>")
    disabled = ("<TimeTrigger><StartBoundary>2025-01-01T00:00:00</StartBoundary><Enabled>false</Enabled>"
                "<Repetition><Interval>PT1M</Interval></Repetition></TimeTrigger>")
    assert fires(triggers(repeated, disabled, "<BootTrigger/>"), "windows", 5) == [
        "2026-01-06 08:00:00", "2026-01-06 09:00:00", "2026-01-06 10:00:00", "2026-01-06 11:00:00",
        "2026-01-13 08:00:00"]
    # a TimeTrigger repeating for ever: every 15 minutes from its start
    poll = ("<TimeTrigger><Repetition><Interval>PT15M</Interval></Repetition>"
            "<StartBoundary>2024-06-01T00:05:00</StartBoundary></TimeTrigger>")
    assert fires(triggers(poll), "windows", 2) == ["2026-01-01 00:05:00", "2026-01-01 00:20:00"]


def test_windows_leaves_open_cases_unchecked() -> None:
    every_two_weeks = ("<CalendarTrigger><StartBoundary>2025-01-01T08:00:00</StartBoundary><ScheduleByWeek>"
                       "<DaysOfWeek><Monday/></DaysOfWeek><WeeksInterval>2</WeeksInterval></ScheduleByWeek>"
                       "</CalendarTrigger>")
    later = ("<CalendarTrigger><StartBoundary>2026-06-01T08:00:00</StartBoundary><ScheduleByDay><DaysInterval>1"
             "</DaysInterval></ScheduleByDay></CalendarTrigger>")
    ending = ("<CalendarTrigger><StartBoundary>2025-06-01T08:00:00</StartBoundary><EndBoundary>2026-03-01T00:00:00"
              "</EndBoundary><ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger>")
    for xml, reason in ((every_two_weeks, "which week"), (ending, "inside")):
        with pytest.raises(Unchecked, match=reason):
            fires(triggers(xml), "windows", 1)
    # A trigger that starts inside the compared span fires from its start (it was left unchecked; the
    # flow's start day, which the mapping sets from the first run, is what is compared)
    assert fires(triggers(later), "windows", 2) == ["2026-06-01 08:00:00", "2026-06-02 08:00:00"]


def test_schtasks_rows_are_read_as_the_csv_prints_them() -> None:
    row = {"Schedule Type": "Weekly", "Start Time": "6:00:00 PM", "Start Date": "2025-02-13", "End Date": "",
           "Days": "MON, THU", "Months": "Every 1 week(s)", "Repeat: Every": "0 Hour(s), 30 Minute(s)",
           "Repeat: Until: Time": "Disabled", "Repeat: Until: Duration": "1 Hour(s), 0 Minute(s)"}
    assert fires(json.dumps([row]), "schtasks", 3) == ["2026-01-01 18:00:00", "2026-01-01 18:30:00",
                                                       "2026-01-05 18:00:00"]
    monthly = {**row, "Schedule Type": "Monthly", "Start Time": "23:00:00", "Days": "Last",
               "Months": "MAR, JUN, SEP, DEC", "Repeat: Every": "Disabled"}
    assert fires(json.dumps([monthly]), "schtasks", 2) == ["2026-03-31 23:00:00", "2026-06-30 23:00:00"]


# -- Oozie coordinator frequencies ----------------------------------------------------------------------


def coordinator(frequency: str, start: str, zone: str, **more: str) -> str:
    return json.dumps({"frequency": frequency, "start": start, "timezone": zone, "end": "2099-01-01T00:00Z", **more})


def test_oozie_reads_the_functional_specs_frequencies() -> None:
    # §4.4.1: days are daylight-saving aware in the coordinator's zone: 08:00 in Los Angeles all year
    daily = coordinator("${coord:days(1)}", "2009-01-01T16:00Z", "America/Los_Angeles")
    assert fires(daily, "oozie", 2, begin=datetime(2026, 3, 7, tzinfo=UTC)) == ["2026-03-07 16:00:00",
                                                                                "2026-03-08 15:00:00"]
    # hours are a fixed number of minutes: the same UTC time across the change
    assert fires(coordinator("${coord:hours(24)}", "2009-01-01T16:00Z", "America/Los_Angeles"), "oozie", 1,
                 begin=datetime(2026, 3, 9, 12, tzinfo=UTC)) == ["2026-03-09 16:00:00"]
    # months from the 31st: the last day of shorter months, back to the 31st after them
    assert fires(coordinator("${coord:months(1)}", "2025-01-31T10:00Z", "UTC"), "oozie", 3) == [
        "2026-01-31 10:00:00", "2026-02-28 10:00:00", "2026-03-31 10:00:00"]
    # endOfDays: from the start of the next day in the zone, then every day
    assert fires(coordinator("${coord:endOfDays(1)}", "2025-12-31T08:00Z", "Asia/Shanghai"), "oozie", 2) == [
        "2026-01-01 16:00:00", "2026-01-02 16:00:00"]
    # endOfMonths(1): midnights of the first days of the months
    assert fires(coordinator("${coord:endOfMonths(1)}", "2025-11-10T10:00Z", "UTC"), "oozie", 2) == [
        "2026-01-01 00:00:00", "2026-02-01 00:00:00"]
    # a cron frequency on the processing zone's clock (GMT+08:00 here)
    assert fires(coordinator("0/30 1/6 * * ?", "2025-01-01T00:00+0800", "Asia/Shanghai"), "oozie", 3) == [
        "2026-01-01 05:00:00", "2026-01-01 05:30:00", "2026-01-01 11:00:00"]  # 13:00, 13:30, 19:00 there
    # a plain number: minutes from start (23:00, 00:30, 02:00 …)
    assert fires(coordinator("90", "2025-12-31T23:00Z", "UTC"), "oozie", 2) == ["2026-01-01 00:30:00",
                                                                                 "2026-01-01 02:00:00"]


def test_oozie_leaves_what_the_spec_does_not_say_unchecked() -> None:
    for text, reason in ((coordinator("${coord:endOfWeeks(1)}", "2025-01-01T10:00Z", "UTC"), "first day"),
                         (coordinator("${coord:endOfDays(1)}", "2025-01-01T00:00Z", "UTC"), "already at the start"),
                         (coordinator("0 2 * * *", "2025-01-01T10:00Z", "Europe/Berlin"), "daylight saving"),
                         (coordinator("0 2 1 * MON", "2025-01-01T10:00Z", "UTC"), "both day fields"),
                         (coordinator("${coord:days(n)}", "2025-01-01T10:00Z", "UTC"), "literal")):
        with pytest.raises(Unchecked, match=reason):
            fires(text, "oozie", 1)
    assert fires(coordinator("${coord:endOfWeeks(1)}", "2025-01-01T10:00Z", "UTC", first_day_of_week="MONDAY"),
                 "oozie", 1) == ["2026-01-05 00:00:00"]


# -- Azkaban periods ---------------------------------------------------------------------------------


def test_azkaban_periods_from_the_first_time() -> None:
    daily = json.dumps({"period": "1d", "first": "2014-03-10T01:30:00", "timezone": "America/New_York"})
    assert fires(daily, "azkaban", 2, begin=datetime(2026, 3, 7, tzinfo=UTC)) == ["2026-03-07 06:30:00",
                                                                                  "2026-03-08 06:30:00"]
    assert fires(daily, "azkaban", 1, begin=datetime(2026, 3, 9, tzinfo=UTC)) == ["2026-03-09 05:30:00"]  # EDT
    hours = json.dumps({"period": "2 hour(s)", "first": "2014-03-10T01:00:00", "timezone": "America/New_York"})
    assert fires(hours, "azkaban", 1, begin=datetime(2026, 3, 9, tzinfo=UTC)) == ["2026-03-09 01:00:00"]
    # Joda adds each period to the time before (tests/oracle checks these against Joda-Time itself):
    # a month after 31 January is 28 February, and a month after that 28 March, for good
    monthly = json.dumps({"period": "1M", "first": "2025-01-31T02:00:00", "timezone": "UTC"})
    assert fires(monthly, "azkaban", 3, begin=datetime(2025, 1, 31, 2, tzinfo=UTC)) == [
        "2025-01-31 02:00:00", "2025-02-28 02:00:00", "2025-03-28 02:00:00"]
    # a daily 02:30 in New York meets the spring gap: 03:30 EDT, and 03:30 ever after (EST too)
    gap = json.dumps({"period": "1d", "first": "2025-03-08T02:30:00", "timezone": "America/New_York"})
    assert fires(gap, "azkaban", 3, begin=datetime(2025, 3, 8, 7, 30, tzinfo=UTC)) == [
        "2025-03-08 07:30:00", "2025-03-09 07:30:00", "2025-03-10 07:30:00"]
    assert fires(gap, "azkaban", 1, begin=datetime(2026, 1, 5, tzinfo=UTC)) == ["2026-01-05 08:30:00"]


# -- the shipped examples, through the CLI ----------------------------------------------------------------


@pytest.mark.parametrize("profile", ["systemd", "taskxml", "schtasks", "oozie"])
def test_every_converted_flow_of_the_shipped_example_is_proved_equivalent(
        profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    actions = plan_actions(capsys, CONFIGS / f"{profile}.toml")
    converted = {name: a["proof"] for name, a in actions.items() if a["proof"].get("grammar")}
    assert converted, "the example converts some schedule"
    for name, proof in converted.items():
        assert proof["verdict"] == "equivalent", (name, proof)
        assert proof["grammar"] == {"taskxml": "windows"}.get(profile, profile)


BROKEN_RULES = {
    # (the converter's table patched, the key, its wrong value, the flow the proof must catch); WEEKDAYS
# numbers from Sunday 0, so MON 2 and THU 5 are a day late
    "systemd": ("migrate.schedule.systemd.SHORTCUTS", "weekly", "Tue *-*-* 00:00:00", "old-export"),
    "taskxml": ("migrate.schedule.cron.WEEKDAYS", "MON", 2, "Reports_Weekly_sales"),
    "schtasks": ("migrate.schedule.cron.WEEKDAYS", "THU", 5, "Reports_weekly"),
    "oozie": ("migrate.schedule.oozie.FREQUENCY_FUNCTIONS", "coord:days", ("day", 1, True), "daily-sales-coord"),
}


@pytest.mark.parametrize("profile", sorted(BROKEN_RULES))
def test_a_broken_converter_rule_is_caught_by_the_proof(profile: str, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    table_path, key, wrong, flow = BROKEN_RULES[profile]
    module_name, _, table_name = table_path.rpartition(".")
    module = __import__(module_name, fromlist=[table_name])
    monkeypatch.setitem(getattr(module, table_name), key, wrong)
    caught = plan_actions(capsys, CONFIGS / f"{profile}.toml")[flow]
    assert caught["proof"]["verdict"] == "differs", caught["proof"]
    assert caught["action"] == "invalid" and "NOT_EQUIVALENT" in {e.get("code") for e in caught["errors"]}


def test_azkaban_period_schedules_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Azkaban 2.x's schedules table (periods): a day from 01:30 New York is proved; a period of
    hours in a zone with daylight saving (PERIOD_DAYLIGHT_SAVING) really differs, and says where."""
    fixtures = ROOT / "tests" / "fixtures" / "azkaban"
    config = tmp_path / "azkaban.toml"
    config.write_text("\n".join([
        "[source]", f'path = "{fixtures / "legacy"}"', 'profile = "azkaban"',
        f'options = {{ project = "legacy", schedules = "{fixtures / "legacy.schedules-table.json"}" }}',
        "[defaults]", "type = 1", "alertMode = 0", 'doAs = "db"', 'visitors = ""', 'owners = "alice"',
        'startTime = "2026-12-01"',
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"',
        'timezone = "America/New_York"', ""]), encoding="utf-8")
    actions = plan_actions(capsys, config)
    assert actions["legacy.daily_end"]["proof"]["verdict"] == "equivalent", actions["legacy.daily_end"]["proof"]
    assert actions["legacy.cleanup"]["proof"]["verdict"] == "differs"
    monkeypatch.setitem(__import__("migrate.schedule.azkaban", fromlist=["SECONDS"]).SECONDS, "d", 2 * 86400)
    broken = plan_actions(capsys, config)["legacy.daily_end"]
    assert broken["proof"]["verdict"] in ("differs", "unchecked"), broken["proof"]


def test_prove_joins_both_sides_for_a_systemd_timer() -> None:
    proof = prove("Mon..Fri *-*-* 07:00:00 UTC", "systemd", "UTC", None, ("0 0 7 ? * 2-6 *",), "Asia/Shanghai",
                  BEGIN, 365)
    assert proof.verdict == "differs"  # the freq is read in Shanghai's clock: 07:00 there is 23:00 UTC
    proof = prove("Mon..Fri *-*-* 07:00:00 UTC", "systemd", "UTC", None, ("0 0 15 ? * 2-6 *",), "Asia/Shanghai",
                  BEGIN, 365)
    assert proof.verdict == "equivalent" and proof.fires == 261


def test_a_coordinator_that_starts_inside_the_span_fires_from_its_start() -> None:
    """It was left unchecked; the flow's start day, set from the first run, is what is compared."""
    assert fires(coordinator("${coord:days(1)}", "2026-06-01T08:00Z", "UTC"), "oozie", 2) == [
        "2026-06-01 08:00:00", "2026-06-02 08:00:00"]
