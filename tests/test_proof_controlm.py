"""The proof's evaluator for Control-M scheduling criteria (schedule/proof_controlm.py): BMC's
documented examples, what the documentation leaves open `unchecked`, the shipped example and an
export built here proved `equivalent` through the CLI, and a converter rule broken on purpose
caught by the proof as NOT_EQUIVALENT, not by a test of the converter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import fromstring
from zoneinfo import ZoneInfo

import pytest

from migrate.schedule import controlm as converter
from migrate.schedule.proof import Unchecked
from migrate.schedule.proof_controlm import controlm_fires, controlm_source
from migrate.sources.profiles import controlm as profile
from migrate.sources.profiles.controlm.model import scope_of
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
BEGIN = datetime(2026, 8, 1, tzinfo=UTC)


def source(*criteria: dict[str, str], new_day: str | None = "0000", order_at: str | None = None,
           **time: str) -> str:
    return json.dumps({"days": [list(criteria)] if criteria else [], "time": time, "new_day": new_day,
                       "order_at": order_at, "user_daily": order_at is not None})


def fires(text: str, count: int = 4, zone: str = "UTC", begin: datetime = BEGIN) -> list[str]:
    found = controlm_fires(text, zone, begin, begin + timedelta(days=800))
    return [f"{next(found):%Y-%m-%d %H:%M}" for _ in range(count)]


# -- the documentation's examples -----------------------------------------------------------------------


def test_new_day_decides_the_calendar_day_of_a_time() -> None:
    # "if New Day time is 6:00 a.m., then from 6:00 a.m. on August 4th, until 6:00 a.m. on August 5th,
    # the working day is August 4th": a job of August 4th with TIMEFROM 0300 runs on the 5th
    august_4th = {"DAYS": "4", "AUG": "1", **{m: "0" for m in ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                                                "SEP", "OCT", "NOV", "DEC")}}
    assert fires(source(august_4th, new_day="0600", TIMEFROM="0300"), 2) == ["2026-08-05 03:00", "2027-08-05 03:00"]
    assert fires(source(august_4th, new_day="0600", TIMEFROM="0700"), 1) == ["2026-08-04 07:00"]
    assert fires(source(august_4th, new_day="0600"), 1) == ["2026-08-04 06:00"]  # ordered at New Day, no TIMEFROM


def test_no_order_date_before_active_from() -> None:
    """ACTIVE_FROM is the first order date; a run before New Day is the next calendar day's."""
    early = source({"DAYS": "ALL"}, new_day="0700", TIMEFROM="0300", ACTIVE_FROM="20260810")
    assert fires(early, 2) == ["2026-08-11 03:00", "2026-08-12 03:00"]
    late = source({"WEEKDAYS": "1"}, new_day="0700", TIMEFROM="0900", ACTIVE_FROM="20260811")  # a Tuesday
    assert fires(late, 2) == ["2026-08-17 09:00", "2026-08-24 09:00"]


def test_days_values() -> None:
    assert fires(source({"DAYS": "L1"}, TIMEFROM="2200"), 3) == ["2026-08-31 22:00", "2026-09-30 22:00",
                                                                 "2026-10-31 22:00"]
    assert fires(source({"DAYS": "L2"}), 2) == ["2026-08-30 00:00", "2026-09-29 00:00"]  # the day before the last
    assert fires(source({"DAYS": "1,15,-15"}), 2) == ["2026-08-01 00:00", "2026-09-01 00:00"]  # -n wins
    assert fires(source({"DAYS": "-L1"}), 2, begin=datetime(2026, 8, 30, tzinfo=UTC)) == [
        "2026-08-30 00:00", "2026-09-01 00:00"]  # alone: every day but the last
    assert fires(source({"DAYS": "31"}), 2) == ["2026-08-31 00:00", "2026-10-31 00:00"]  # no 31st in September


def test_weekdays_count_from_sunday_and_and_or_combine_the_lists() -> None:
    assert fires(source({"WEEKDAYS": "0"}), 1) == ["2026-08-02 00:00"]  # 2026-08-02 is a Sunday
    assert fires(source({"WEEKDAYS": "1-5", "DAYS": "1,2,3"}), 4) == [  # OR: either list
        "2026-08-01 00:00", "2026-08-02 00:00", "2026-08-03 00:00", "2026-08-04 00:00"]
    assert fires(source({"WEEKDAYS": "1", "DAYS": "1-7", "DAYS_AND_OR": "A"}), 2) == [  # the first Monday
        "2026-08-03 00:00", "2026-09-07 00:00"]
    assert fires(source({"WEEKDAYS": "-0,-6", "DAYS_AND_OR": "AND"}), 1) == ["2026-08-03 00:00"]  # DAYS counts as ALL


def test_cyclic_runs_until_timeto_inclusive() -> None:
    every_30 = source({"DAYS": "ALL"}, new_day="0700", TIMEFROM="0800", TIMETO="0930", CYCLIC="1", INTERVAL="00030M",
                      IND_CYCLIC="S")
    assert fires(every_30, 5) == ["2026-08-01 08:00", "2026-08-01 08:30", "2026-08-01 09:00", "2026-08-01 09:30",
                                  "2026-08-02 08:00"]
    until_new_day = source({"DAYS": "ALL"}, new_day="0700", TIMEFROM="2300", CYCLIC="1", INTERVAL="004H",
                           IND_CYCLIC="T")
    assert fires(until_new_day, 3) == ["2026-08-01 03:00", "2026-08-01 23:00", "2026-08-02 03:00"]
    times = source({"WEEKDAYS": "6"}, new_day="0700", CYCLIC="1", CYCLIC_TYPE="S", CYCLIC_TIMES_SEQUENCE="0800,1600",
                   IND_CYCLIC="S")
    assert fires(times, 3) == ["2026-08-01 08:00", "2026-08-01 16:00", "2026-08-08 08:00"]


def test_a_user_daily_orders_the_folder_at_its_own_time() -> None:
    assert fires(source({"DAYS": "ALL"}, new_day="0700", order_at="1200", TIMEFROM="0900"), 1) == [
        "2026-08-01 12:00"]
    assert fires(source({"DAYS": "ALL"}, new_day="0700", order_at="1200", TIMEFROM="1500"), 1) == [
        "2026-08-01 15:00"]


def test_unknown_new_day_is_read_only_where_it_moves_nothing() -> None:
    assert fires(source({"DAYS": "ALL"}, new_day=None, TIMEFROM="0130"), 1) == ["2026-08-01 01:30"]
    with pytest.raises(Unchecked, match="New Day"):
        fires(source({"WEEKDAYS": "1"}, new_day=None, TIMEFROM="0130"))


@pytest.mark.parametrize(("text", "reason"), [
    (source({"DAYS": "D1", "DAYSCAL": "WORKDAYS"}), "calendar of the Control-M server"),
    (source({"DAYS": "+2"}), "counts a calendar"),
    (source({"WEEKDAYS": "D1"}), "week calendar"),
    (source({"DAYS": "ALL"}, RETRO="1"), "RETRO"),
    (source({"DAYS": "ALL"}, CYCLIC="1", INTERVAL="00010M", IND_CYCLIC="E"), "end"),
    (source({"DAYS": "ALL"}, CYCLIC="1", INTERVAL="00010M"), "IND_CYCLIC"),
    (source({"DAYS": "ALL"}, CYCLIC="1", CYCLIC_TYPE="V", CYCLIC_INTERVAL_SEQUENCE="+10M,+20M", IND_CYCLIC="S"),
     "uneven"),
    (source({"DAYS": "ALL"}, new_day=None, TIMEFROM="0300", ACTIVE_FROM="20270101"), "New Day time"),
    (source({"DAYS": "ALL"}, TIMEFROM="0300", ACTIVE_TILL="20270101"), "ACTIVE_TILL"),
    (source({"DAYS": "ALL"}, new_day="0700", order_at=None, TIMEFROM="0900").replace('"user_daily": false',
                                                                                    '"user_daily": true'),
     "User Daily"),
    (json.dumps({"days": [[{"WEEKDAYS": "1"}, {"DAYS": "1"}]], "time": {}, "new_day": "0700", "split": True}),
     "split"),
    (json.dumps({"days": [[{"RULE_NOT_IN_EXPORT": "HOLIDAYS"}]], "time": {}, "new_day": "0700"}), "HOLIDAYS"),
    ("0 7 * * *", "JSON form"),
])
def test_what_the_documentation_leaves_open_is_unchecked(text: str, reason: str) -> None:
    with pytest.raises(Unchecked, match=reason):
        fires(text)


# -- through the CLI ----------------------------------------------------------------------------------------


def plan_actions(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, dict[str, Any]]:
    code, out, err = run_cli(capsys, "plan", str(config), "--json", "--offline")
    assert code in (0, 3, 5), err  # 3: flows to save, 5: some flow is invalid
    return {a["name"]: a for a in json.loads(out)["actions"]}


def test_every_converted_flow_of_the_shipped_example_is_proved_equivalent(capsys: pytest.CaptureFixture[str]) -> None:
    actions = plan_actions(capsys, ROOT / "configs" / "controlm.toml")
    converted = {name: a["proof"] for name, a in actions.items() if a["proof"].get("grammar")}
    assert len(converted) >= 5, actions
    for name, proof in converted.items():
        assert proof["verdict"] == "equivalent", (name, proof)
        assert proof["grammar"] == "controlm"


MONTHS = {m: "1" for m in ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")}


def _job(name: str, inner: str = "", **attributes: str) -> str:
    written = {"JOBNAME": name, "CMDLINE": f"run {name}", "DAYS_AND_OR": "O", **MONTHS, **attributes}
    shown = " ".join(f'{key}="{value}"' for key, value in written.items())
    return f"<JOB {shown}>{inner}</JOB>"


def _export(tmp_path: Path, *more: str) -> Path:
    """An export in the shape Control-M/EM's exportdeftable writes, one folder per case."""
    folders = [*more,
        # a time before New Day on restricted days: the calendar day after the order date
        '<FOLDER DATACENTER="dc" FOLDER_NAME="FIRST-OF-MONTH" FOLDER_ORDER_METHOD="SYSTEM">'
        + _job("BILLING", DAYS="1,15,-15", TIMEFROM="0300") + "</FOLDER>",
        # a SMART folder's rule-based calendar, a job naming it: the last day of each quarter
        '<SMART_FOLDER DATACENTER="dc" FOLDER_NAME="QUARTER-END" FOLDER_ORDER_METHOD="SYSTEM" DAYS_AND_OR="O">'
        + _job("CLOSE", '<RULE_BASED_CALENDARS NAME="*" />', TIMEFROM="2300")
        + '<RULE_BASED_CALENDAR NAME="QUARTERS" DAYS="L1" DAYS_AND_OR="O" '
        + " ".join(f'{m}="{int(m in ("MAR", "JUN", "SEP", "DEC"))}"' for m in MONTHS) + " /></SMART_FOLDER>",
        # a SMART folder that names its own rule-based calendar (as Control-M/EM writes it): weekdays
        '<SMART_FOLDER DATACENTER="dc" FOLDER_NAME="WORKDAYS" FOLDER_ORDER_METHOD="SYSTEM" DAYS_AND_OR="O">'
        + '<RULE_BASED_CALENDAR NAME="WORKING" DAYS="ALL" WEEKDAYS="1,2,3,4,5" DAYS_AND_OR="A" />'
        + '<RULE_BASED_CALENDARS NAME="WORKING" />'
        + _job("PAYROLL", '<RULE_BASED_CALENDARS NAME="*" />', TIMEFROM="0800") + "</SMART_FOLDER>",
        # a User Daily at 12:00, cyclic every two hours until 18:00
        '<FOLDER DATACENTER="dc" FOLDER_NAME="MIDDAY-SYNC" FOLDER_ORDER_METHOD="PLAN_1200">'
        + _job("SYNC", DAYS="ALL", CYCLIC="1", INTERVAL="002H", TIMETO="1800", IND_CYCLIC="S", CYCLIC_TYPE="C")
        + "</FOLDER>",
        # specific times on Saturdays
        '<FOLDER DATACENTER="dc" FOLDER_NAME="SATURDAY-TIMES" FOLDER_ORDER_METHOD="SYSTEM">'
        + _job("SNAPSHOT", WEEKDAYS="6", CYCLIC="1", CYCLIC_TYPE="S", CYCLIC_TIMES_SEQUENCE="0800,1200,1600",
               IND_CYCLIC="S") + "</FOLDER>",
        # RETRO: converted, but what Control-M catches up is not a fire time
        '<FOLDER DATACENTER="dc" FOLDER_NAME="CATCH-UP" FOLDER_ORDER_METHOD="SYSTEM">'
        + _job("LEDGER", DAYS="ALL", TIMEFROM="2000", RETRO="1") + "</FOLDER>",
    ]
    export = tmp_path / "export.xml"
    export.write_text('<?xml version="1.0" encoding="utf-8"?>\n<DEFTABLE>\n' + "\n".join(folders) + "\n</DEFTABLE>\n",
                      encoding="utf-8")
    config = tmp_path / "controlm.toml"
    config.write_text("\n".join([
        "[source]", f'path = "{export}"', 'profile = "controlm"',
        'options = { new_day = "0700", user_dailies = "PLAN_1200=1200" }',
        "[mapping]", 'source_timezone = "Asia/Tokyo"',
        "[defaults]", "type = 1", "alertMode = 0", 'doAs = "db"', 'visitors = ""', 'owners = "alice"',
        'startTime = "2026-12-01"',
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"',
        'timezone = "Asia/Shanghai"', ""]), encoding="utf-8")
    return config


def test_an_export_of_each_documented_case_is_proved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    actions = plan_actions(capsys, _export(tmp_path))
    proofs = {name: action["proof"] for name, action in actions.items()}
    for name in ("FIRST-OF-MONTH", "QUARTER-END", "WORKDAYS", "MIDDAY-SYNC", "SATURDAY-TIMES"):
        assert proofs[name]["verdict"] == "equivalent", (name, proofs[name], actions[name].get("errors"))
        assert proofs[name]["zone"] == "Asia/Tokyo"
    span = proofs["MIDDAY-SYNC"]  # from the flow's start (or the run's day) to the horizon: whole days
    days = (datetime.fromisoformat(span["until"].replace("Z", "+00:00"))
            - datetime.fromisoformat(span["from"].replace("Z", "+00:00"))).days
    assert span["fires"] in (4 * days, 4 * days + 4)  # 12:00, 14:00, 16:00, 18:00 each day
    assert proofs["CATCH-UP"]["verdict"] == "unchecked" and "RETRO" in proofs["CATCH-UP"]["reason"]
    assert actions["CATCH-UP"]["action"] != "invalid"


def test_a_folder_active_from_ahead_starts_on_its_first_runs_day(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Its first order date's run at 03:00, before New Day (07:00), is the next calendar day's: the
    flow starts then, and is proved from there (it started on ACTIVE_FROM, firing that day too,
    with the proof unchecked)."""
    ahead = date.today() + timedelta(days=40)
    actions = plan_actions(capsys, _export(tmp_path, '<FOLDER DATACENTER="dc" FOLDER_NAME="LATER" '
                                           'FOLDER_ORDER_METHOD="SYSTEM">'
                                           + _job("START", DAYS="ALL", TIMEFROM="0300",
                                                  ACTIVE_FROM=f"{ahead:%Y%m%d}") + "</FOLDER>"))
    later = actions["LATER"]
    assert later["proof"]["verdict"] == "equivalent", later["proof"]
    shifted = {w["code"]: w for w in later["warnings"]}["START_DATE_SHIFTED"]
    assert shifted["to"] == f"{ahead + timedelta(days=1)}"  # 03:00 Tokyo is 02:00 in Shanghai, the same day
    assert later["proof"]["from"].startswith(f"{ahead}T16:00:00")  # the next day's midnight in Shanghai


def test_active_till_is_the_last_order_date_whose_runs_end_at_new_day(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """ACTIVE_FROM and ACTIVE_TILL the same day: ordered once, its 03:00 run the next calendar day
    (before New Day, 07:00). The end was read as that day's midnight, before the run: the flow was
    saved inactive, NEVER_RUNS. An ACTIVE_TILL before ACTIVE_FROM is never ordered."""
    ahead = date.today() + timedelta(days=40)
    once, never = (_job(name, DAYS="ALL", TIMEFROM="0300", ACTIVE_FROM=f"{ahead:%Y%m%d}",
                        ACTIVE_TILL=f"{till:%Y%m%d}") for name, till in (("A", ahead), ("B", ahead - timedelta(days=1))))
    actions = plan_actions(capsys, _export(tmp_path, *(f'<FOLDER DATACENTER="dc" FOLDER_NAME="{name}" '
                                                       f'FOLDER_ORDER_METHOD="SYSTEM">{job}</FOLDER>'
                                                       for name, job in (("ONCE", once), ("NEVER", never)))))
    said = {w["code"]: w["message"] for w in actions["ONCE"]["warnings"]}
    assert "NEVER_RUNS" not in said and "START_DATE_SHIFTED" in said, said
    assert f"whose working day ends at New Day, {ahead + timedelta(days=1)} 07:00" in said["END_DATE"]
    never_said = {w["code"]: w["message"] for w in actions["NEVER"]["warnings"]}
    assert "NEVER_RUNS" in never_said and "END_DATE" not in never_said, never_said  # not "it stays active"


def _zone_at_an_hour_before_21() -> tuple[str, datetime]:
    """A source zone whose wall clock is now between 01:00 and 20:59, and that clock: one whose
    date lags UTC's where there is one (it ends its days after UTC does), so that the test runs
    the same at any hour of CI's day."""
    now = datetime.now(UTC)
    for hours in (*range(12, 0, -1), 0, *range(-1, -15, -1)):  # Etc/GMT+12 is UTC-12 (its sign is POSIX's)
        zone = f"Etc/GMT{hours:+d}" if hours else "UTC"
        wall = now.astimezone(ZoneInfo(zone))
        if 1 <= wall.hour <= 20 and (wall.date() < now.date() or hours <= 0):
            return zone, wall
    raise AssertionError("some zone is between 01:00 and 20:59 at any instant")


def test_an_active_till_of_yesterday_still_runs_until_new_day(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Yesterday's order date's working day ends at New Day today (two hours from now here), its run
    in an hour still to come: not passed. It was saved inactive, the message saying both. Passed or
    not is the source zone's: against UTC's date, a day of a zone west of UTC had passed while its
    working day still ran (and one east of it ran on, still active, after its end)."""
    zone, wall = _zone_at_an_hour_before_21()
    yesterday = wall.date() - timedelta(days=1)
    job = _job("A", DAYS="ALL", TIMEFROM=f"{wall.hour + 1:02d}00", ACTIVE_TILL=f"{yesterday:%Y%m%d}")
    export = _export(tmp_path, f'<FOLDER DATACENTER="dc" FOLDER_NAME="LAST" FOLDER_ORDER_METHOD="SYSTEM">{job}</FOLDER>')
    config = export.read_text(encoding="utf-8").replace('new_day = "0700"', f'new_day = "{wall.hour + 2:02d}00"')
    config = config.replace('startTime = "2026-12-01"', 'startTime = "2020-01-01"')  # the flow runs from now
    export.write_text(config.replace('"Asia/Tokyo"', f'"{zone}"'), encoding="utf-8")
    action = plan_actions(capsys, export)["LAST"]
    said = {w["code"]: w["message"] for w in action["warnings"]}
    assert f"New Day, {wall.date()} {wall.hour + 2:02d}:00" in said["END_DATE"], (zone, said)
    assert "has passed" not in said["END_DATE"] and "stays active" in said["END_DATE"], (zone, said)
    assert "NEVER_RUNS" not in said, (zone, said)


def test_an_active_till_passed_in_the_source_zone_is_saved_inactive(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """ACTIVE_TILL of the source zone's yesterday, no New Day: its last day is over there. In a zone
    whose date is ahead of UTC's (Kiribati, 14 hours east), that day is UTC's today: it was saved
    active, END_DATE telling the user to disable it on a date gone, a job that no longer fires."""
    now = datetime.now(UTC)
    zone = next(z for z in ("Etc/GMT-14", "Etc/GMT+12") if now.astimezone(ZoneInfo(z)).date() != now.date())
    yesterday = now.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    job = _job("A", DAYS="ALL", TIMEFROM="1200", ACTIVE_TILL=f"{yesterday:%Y%m%d}")
    export = _export(tmp_path, f'<FOLDER DATACENTER="dc" FOLDER_NAME="LAST" FOLDER_ORDER_METHOD="SYSTEM">{job}</FOLDER>')
    config = export.read_text(encoding="utf-8").replace('new_day = "0700", ', "")
    export.write_text(config.replace('"Asia/Tokyo"', f'"{zone}"'), encoding="utf-8")
    action = plan_actions(capsys, export)["LAST"]
    said = {w["code"]: w["message"] for w in action["warnings"]}
    assert "has passed" in said["END_DATE"] and "saved inactive (active 0)" in said["END_DATE"], (zone, said)
    assert said["END_DATE"].startswith(f"ACTIVE_TILL {yesterday:%Y%m%d}"), said  # the export's field and value
    assert "stays active" not in str(said), (zone, said)
    assert "(END_DATE)" not in action["proof"].get("reason", ""), action["proof"]  # passed: the rule is compared


@pytest.fixture
def fresh_conversions() -> Iterator[None]:
    """The converter's and profile's caches emptied around a test that patches a converter rule."""
    caches = (converter.convert_controlm, converter.day_rules, profile._own_rules)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def test_a_broken_converter_rule_is_caught_by_the_proof(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        fresh_conversions: None) -> None:
    """WEEKDAYS read as Quartz numbers (forgetting that Control-M counts 0 = Sunday): a day early."""
    week_days = converter._week_days

    def off_by_one(text: str) -> converter.DayRule | None:
        rule = week_days(text)
        if rule is None or rule.kind != "dow":
            return rule
        return converter.DayRule("dow", rule.months, dow=frozenset((day - 2) % 7 + 1 for day in rule.dow))

    monkeypatch.setattr(converter, "_week_days", off_by_one)
    caught = plan_actions(capsys, ROOT / "configs" / "controlm.toml")["FIN-RECON"]
    assert caught["proof"]["verdict"] == "differs", caught["proof"]
    assert caught["action"] == "invalid" and "NOT_EQUIVALENT" in {e.get("code") for e in caught["errors"]}


# -- what is worked out once --------------------------------------------------------------------------------


def test_order_dates_worked_out_once_are_each_schedules_own() -> None:
    """The order dates are worked out once for each set of criteria and span read (`_order_dates`):
    other days, another first day or a longer span never take another schedule's."""
    mondays = source({"WEEKDAYS": "1", "DAYS_AND_OR": "O"}, TIMEFROM="0100")  # criteria no other test reads
    assert len(list(controlm_fires(mondays, "UTC", BEGIN, BEGIN + timedelta(days=3)))) == 1
    all_of_them = list(controlm_fires(mondays, "UTC", BEGIN, BEGIN + timedelta(days=800)))
    assert len(all_of_them) == 114 and f"{all_of_them[-1]:%Y-%m-%d %H:%M}" == "2028-10-02 01:00"
    assert fires(mondays, 1) == ["2026-08-03 01:00"]
    assert fires(source({"WEEKDAYS": "2", "DAYS_AND_OR": "O"}, TIMEFROM="0100"), 1) == ["2026-08-04 01:00"]
    assert fires(mondays, 1, begin=BEGIN + timedelta(days=1)) == ["2026-08-03 01:00"]


def _read_job(attributes: str, children: str = "") -> Any:
    """The first job of a regular folder, as the profile reads it."""
    folder = fromstring(f'<FOLDER FOLDER_NAME="F" FOLDER_ORDER_METHOD="SYSTEM"><JOB JOBNAME="J" {attributes}>'
                        f'{children}</JOB></FOLDER>')
    return scope_of(folder, "regular", None).jobs[0]


def test_the_source_form_worked_out_once_is_each_jobs_own() -> None:
    """A job of a regular folder naming no rule-based calendar has its `source_schedule` worked out
    once for each set of its criteria and ordering (`_own_source`): the order it writes them in
    does not matter, each criterion, the ordering and a split do, and a job naming a rule-based
    calendar is read on its own."""
    at_new_day = converter.Ordering(new_day=420, order_at=420)

    def document(attributes: str, ordering: converter.Ordering = at_new_day, split: bool = False,
                 children: str = "") -> dict[str, Any]:
        return dict(json.loads(controlm_source(_read_job(attributes, children), ordering, split)))

    mondays = document('WEEKDAYS="1" TIMEFROM="0100" CMDLINE="a"')
    assert mondays == document('CMDLINE="b" TIMEFROM="0100" WEEKDAYS="1"') == {
        "days": [[{"WEEKDAYS": "1"}]], "time": {"TIMEFROM": "0100"}, "new_day": "0700", "order_at": "0700",
        "user_daily": False}
    assert document('WEEKDAYS="1" TIMEFROM="0100" RETRO="1"')["time"] == {"TIMEFROM": "0100", "RETRO": "1"}
    assert document('WEEKDAYS="1" TIMEFROM="0100" JAN="0"')["days"] == [[{"WEEKDAYS": "1", "JAN": "0"}]]
    assert document('WEEKDAYS="1" TIMEFROM="0100"', converter.Ordering(new_day=420, order_at=720,
                                                                      user_daily=True))["order_at"] == "1200"
    assert document('WEEKDAYS="1" TIMEFROM="0100"', split=True)["split"] is True
    assert document('WEEKDAYS="1" TIMEFROM="0100"', children='<RULE_BASED_CALENDARS NAME="MONTH_END"/>')[
        "days"] == [[{"WEEKDAYS": "1"}, {"RULE_NOT_IN_EXPORT": "MONTH_END"}]]
