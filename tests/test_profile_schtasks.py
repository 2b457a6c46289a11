"""The schtasks profile on `schtasks /query /fo csv /v` exports in their real shapes (fixtures in
tests/fixtures/schtasks/): en-US with 12-hour times and month-first dates, a file whose date
order cannot be told, German, French and Chinese (code page 936) headers, disabled tasks, and a
CSV that is not a schtasks export."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import plan_profile, standard_cells

from migrate.config import SourceSettings
from migrate.sources.profiles import registry
from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "schtasks"


def tasks_of(name: str, encoding: str = "utf-8-sig", **options: Any) -> dict[str, dict[str, str]]:
    settings = SourceSettings(path=FIXTURES / name, profile="schtasks", options=options, encoding=encoding)
    return {row.cells["flow_name"]: standard_cells(row) for row in registry()["schtasks"].read(settings)}


def codes(cells: str) -> list[str]:
    return [entry["code"] for entry in json.loads(cells)] if cells else []


def messages(cells: str) -> str:
    return " ".join(entry["message"] for entry in json.loads(cells)) if cells else ""


def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, options: str = "{}",
         encoding: str = "utf-8-sig") -> tuple[int, dict[str, Any], str]:
    return plan_profile(tmp_path, capsys, "schtasks", FIXTURES / name,
                        source_lines=f'encoding = "{encoding}"\noptions = {options}')


# -- en-US: 12-hour times, month-first dates --------------------------------------------------

def test_en_us_twelve_hour_times() -> None:
    tasks = tasks_of("en-US.csv")
    assert tasks["Backups_nightly"]["schedule"] == "0 30 2 * * ? *"
    assert tasks["Reports_weekly"]["schedule"] == "0 0 18 ? * 2,5 *"  # 6:00:00 PM, MON and THU
    assert tasks["Ops_cleanup"]["schedule"] == "0 15 0 1,15 * ? *"  # 12:15:00 AM is a quarter past midnight
    assert all(t["__errors__"] == "" for name, t in tasks.items() if name != "Ops_at-boot")


def test_en_us_dates_are_month_first_when_the_file_proves_it() -> None:
    tasks = tasks_of("en-US.csv")  # 1/13/2025 (and the never-run 11/30/1999) prove month-first
    assert tasks["Backups_nightly"]["start_date"] == "2025-01-13"
    assert tasks["Reports_weekly"]["start_date"] == "2025-02-03"  # 2/3/2025: 3 February, not 2 March


def test_an_ambiguous_date_is_refused_not_guessed() -> None:
    load = tasks_of("en-US-ambiguous.csv")["etl_load"]
    assert codes(load["__errors__"]) == ["AMBIGUOUS_DATE"]
    assert "3/4/2025" in messages(load["__errors__"]) and "date_order" in messages(load["__errors__"])
    assert load["start_date"] == ""


@pytest.mark.parametrize(("order", "expected"), [("MDY", "2025-03-04"), ("DMY", "2025-04-03")])
def test_the_date_order_option_decides(order: str, expected: str) -> None:
    load = tasks_of("en-US-ambiguous.csv", date_order=order)["etl_load"]
    assert load["start_date"] == expected and load["__errors__"] == ""


def test_a_date_that_contradicts_the_option_is_refused() -> None:
    nightly = tasks_of("en-US.csv", date_order="DMY")["Backups_nightly"]  # 1/13/2025 has no month 13
    assert codes(nightly["__errors__"]) == ["INVALID_DATE"] and "1/13/2025" in messages(nightly["__errors__"])


def test_an_unknown_date_order_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(tmp_path, capsys, "en-US.csv", '{ date_order = "MM/DD" }')
    assert code == 1 and "date_order" in err and "MDY" in err


# -- states, triggers and facts that are not carried ------------------------------------------

def test_a_disabled_task_is_inactive_with_a_warning_naming_its_state() -> None:
    tasks = tasks_of("en-US.csv")
    assert tasks["Ops_cleanup"]["active"] == "0" and "SOURCE_DISABLED" in codes(tasks["Ops_cleanup"]["__warnings__"])
    assert "Disabled" in messages(tasks["Ops_cleanup"]["__warnings__"])
    assert tasks["Backups_nightly"]["active"] == "1"


def test_a_boot_trigger_is_unscheduled_not_failed() -> None:
    boot = tasks_of("en-US.csv")["Ops_at-boot"]
    assert boot["schedule"] == "" and "start up" in boot["unscheduled"] and boot["__errors__"] == ""


def test_end_date_and_working_directory_are_reported() -> None:
    tasks = tasks_of("en-US.csv")
    assert "END_DATE" in codes(tasks["Ops_cleanup"]["__warnings__"]) and "12/31/2025" in messages(tasks["Ops_cleanup"]["__warnings__"])
    assert "WORKING_DIRECTORY" in codes(tasks["Backups_nightly"]["__warnings__"])
    # N/A End Date and Start In: nothing (HOST_TIMEZONE is every schedule's: the times carry no zone)
    assert codes(tasks["Reports_weekly"]["__warnings__"]) == ["HOST_TIMEZONE", "RUN_AS"]


def with_end_dates(tmp_path: Path, ends: dict[str, str]) -> Path:
    """en-US.csv with the End Date of some tasks (by TaskName) rewritten."""
    with (FIXTURES / "en-US.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    column = rows[0].index("End Date")
    for row in rows:
        row[column] = ends.get(row[1], row[column])
    path = tmp_path / "en-US.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


def test_an_end_date_that_has_passed_saves_the_task_inactive(tmp_path: Path) -> None:
    path = with_end_dates(tmp_path, {"\\Backups\\nightly": "1/31/2003", "\\Reports\\weekly": "12/31/2203"})
    settings = SourceSettings(path=path, profile="schtasks")
    tasks = {row.cells["flow_name"]: standard_cells(row) for row in registry()["schtasks"].read(settings)}
    ended, ahead = tasks["Backups_nightly"], tasks["Reports_weekly"]
    assert ended["active"] == "0" and "1/31/2003 has passed" in messages(ended["__warnings__"])
    assert "saved inactive" in messages(ended["__warnings__"])
    assert ahead["active"] == "1" and "END_DATE" in codes(ahead["__warnings__"])
    assert "12/31/2203" in messages(ahead["__warnings__"]) and "stays active" in messages(ahead["__warnings__"])


def test_an_unreadable_end_date_is_that_tasks_error(tmp_path: Path) -> None:
    path = with_end_dates(tmp_path, {"\\Reports\\weekly": "2/30/2203"})
    settings = SourceSettings(path=path, profile="schtasks")
    tasks = {row.cells["flow_name"]: standard_cells(row) for row in registry()["schtasks"].read(settings)}
    assert codes(tasks["Reports_weekly"]["__errors__"]) == ["INVALID_DATE"]
    assert "End Date: '2/30/2203'" in messages(tasks["Reports_weekly"]["__errors__"])


@pytest.mark.parametrize(("name", "task", "account"), [
    ("en-US.csv", "Backups_nightly", "CORP\\svc-backup"), ("de-DE.csv", "Sicherung_nachts", "FIRMA\\svc-sich"),
    ("fr-FR.csv", "Sauvegarde_nuit", "SOCIETE\\svc-sauv"),
])
def test_the_account_a_task_ran_as_is_named(name: str, task: str, account: str) -> None:
    row = tasks_of(name)[task]
    assert "RUN_AS" in codes(row["__warnings__"]) and row["owners"] == account  # owners kept as they were
    assert f"ran as {account} (Run As User)" in messages(row["__warnings__"])
    assert "doAs account" in messages(row["__warnings__"])


def test_the_repeated_header_row_is_dropped() -> None:
    assert len(tasks_of("en-US.csv")) == 4


# -- localised headers ------------------------------------------------------------------------

def test_german_headers_map_to_the_same_columns() -> None:
    tasks = tasks_of("de-DE.csv")
    assert set(tasks) == {"Sicherung_nachts", "Berichte_alt"}
    nightly, old = tasks["Sicherung_nachts"], tasks["Berichte_alt"]
    assert nightly["command"] == "C:\\jobs\\sicherung.cmd" and nightly["owners"] == "FIRMA\\svc-sich"
    assert nightly["start_date"] == "2025-02-13" and nightly["active"] == "1"
    assert old["start_date"] == "2025-02-03"  # the file proves day-first (13.02.2025)
    assert old["active"] == "0" and "Deaktiviert" in messages(old["__warnings__"])
    # German trigger values are not read: refused by name, never taken for a daily schedule.
    assert "Täglich" in messages(nightly["__errors__"])


def test_french_headers_map_to_the_same_columns() -> None:
    tasks = tasks_of("fr-FR.csv")
    night, old = tasks["Sauvegarde_nuit"], tasks["Sauvegarde_ancienne"]
    assert night["command"] == "C:\\jobs\\sauvegarde.cmd" and night["start_date"] == "2025-03-20"
    assert old["start_date"] == "2025-03-02" and old["active"] == "0" and "Désactivé" in messages(old["__warnings__"])
    assert night["active"] == "1"


def test_chinese_headers_in_code_page_936() -> None:
    tasks = tasks_of("zh-CN.csv", encoding="gbk")
    sync, old = tasks["数据_同步"], tasks["数据_旧任务"]
    assert sync["command"] == "C:\\jobs\\sync.cmd" and sync["start_date"] == "2025-03-20"  # year first
    assert old["active"] == "0" and "已禁用" in messages(old["__warnings__"]) and sync["active"] == "1"


def test_a_chinese_export_with_auto_names_its_encoding_then_its_tasks_xml(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A Chinese Windows' export (GBK) with `profile = "auto"`: recognised, and read once its
    encoding is set. Its trigger values are Chinese, which are refused, each flow saying how to
    carry it (the tasks' XML, alike in every language)."""
    code, _, err = plan_profile(tmp_path, capsys, "auto", FIXTURES / "zh-CN.csv")
    assert code == 1 and "Traceback" not in err
    assert "zh-CN.csv: not utf-8-sig text" in err and 'encoding = "cp850" or "gbk"' in err
    code, result, err = plan_profile(tmp_path, capsys, "auto", FIXTURES / "zh-CN.csv",
                                     source_lines='encoding = "gbk"')
    assert code == 5 and result["profile"] == "schtasks, recognised" and result["invalid"] == 2, err
    reasons = [error["message"] for flow in result["invalid_flows"] for error in flow["errors"]]
    assert len(reasons) == 2 and all("每天 trigger" in r and 'profile = "taskxml"' in r for r in reasons), reasons


# -- a file that is not a schtasks export ----------------------------------------------------

@pytest.mark.parametrize("path", [FIXTURES / "not-schtasks.csv",
                                  Path(__file__).parent / "fixtures" / "crontab" / "not-a-crontab.xml"])
def test_a_file_without_the_schtasks_columns_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        path: Path) -> None:
    config_name = path.name if path.parent == FIXTURES else str(path)
    code, _, err = plan(tmp_path, capsys, config_name)
    assert code == 1 and "Traceback" not in err
    expected = "this looks like an oozie export, not schtasks" if path.suffix == ".xml" else \
        "this does not look like a schtasks export (expected"  # an Oozie coordinator: named (sources/detect.py)
    assert f"{path}: {expected}" in err


def test_a_header_only_export_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text((FIXTURES / "en-US.csv").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no task"):
        list(registry()["schtasks"].read(SourceSettings(path=path, profile="schtasks")))


# -- through the CLI -------------------------------------------------------------------------

def test_plan_of_the_en_us_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, "en-US.csv")
    assert code == 5 and inventory["flows_found"] == 4 and inventory["convertible"] == 3
    assert inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1}
    assert inventory["warnings_by_code"]["SOURCE_DISABLED"] == 1


def test_plan_of_an_ambiguous_export_and_its_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, "en-US-ambiguous.csv")
    assert code == 5 and inventory["invalid_by_reason"] == {"AMBIGUOUS_DATE": 1}
    code, inventory, _ = plan(tmp_path, capsys, "en-US-ambiguous.csv", '{ date_order = "MDY" }')
    assert code == 3 and inventory["convertible"] == 1


def test_a_start_up_trigger_beside_a_daily_one_is_named_and_the_daily_one_carried(tmp_path: Path) -> None:
    """A task run daily and at start-up (two trigger rows of one TaskName): the daily schedule is
    the flow's, and the start-up start, which a flow cannot make, is named (it was refused whole)."""
    lines = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()
    header, nightly = lines[0], lines[1]
    boot = next(line for line in lines if "at-boot" in line).replace("\\Ops\\at-boot", "\\Backups\\nightly")
    path = tmp_path / "tasks.csv"
    path.write_text("\n".join((header, nightly, boot)) + "\n", encoding="utf-8-sig")
    settings = SourceSettings(path=path, profile="schtasks", encoding="utf-8-sig")
    (nightly_flow,) = [standard_cells(row) for row in registry()["schtasks"].read(settings)]
    assert nightly_flow["schedule"] == "0 30 2 * * ? *" and nightly_flow["__errors__"] == "", nightly_flow
    assert "NO_TIME_TRIGGER" in codes(nightly_flow["__warnings__"])
    assert "at system start up" in messages(nightly_flow["__warnings__"])


def _export(tmp_path: Path, *rows: str) -> Path:
    """A `schtasks /query /fo csv /v` file: the en-US fixture's header and the given rows."""
    header = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    path = tmp_path / "tasks.csv"
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8-sig")
    return path


def test_triggers_whose_union_is_one_schedule_are_one_flow_schedule_and_proved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A task run at 02:30 and 14:30 has two trigger rows: the flow fires at both (0 30 2,14), the
    proof reading the rows as written; two triggers that end on different days are refused (their
    union changes on the day one ends)."""
    lines = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()
    nightly = lines[1]
    afternoon = nightly.replace('","2:30:00 AM","', '","2:30:00 PM","')
    ending = afternoon.replace('"\\Backups\\nightly"', '"\\Backups\\ending"').replace(
        '","1/13/2025","N/A","', '","1/13/2025","12/31/2099","')
    path = _export(tmp_path, nightly, afternoon, nightly.replace("\\Backups\\nightly", "\\Backups\\ending"),
                   ending)
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, source_lines='encoding = "utf-8-sig"',
                                    target='timezone = "UTC"', extra='[mapping]\nsource_timezone = "UTC"')
    assert code == 5  # the refused task
    action = next(a for a in planned["actions"] if a["source_key"] == "\\Backups\\nightly")
    assert action["freq"] == "0 30 2,14 * * ? *"
    assert action["proof"]["verdict"] == "equivalent", action["proof"]
    assert "TRIGGERS_MERGED" in [w["code"] for w in action["warnings"]]
    (refused,) = planned["invalid_flows"]
    assert refused["errors"][0]["code"] == "MULTIPLE_TRIGGERS" and "end at different times" in refused["errors"][0][
        "message"]


def test_a_task_made_with_sc_minute_or_hourly_repeats_from_its_start(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`schtasks /create /sc minute /mo 15` is listed as `One Time Only, Minute`, repeating every 15
    minutes with no end (`Duration: Disabled`): a schedule from its start's minute, proved against
    the row; one that stops after a duration, or an interval that does not divide a day, is refused."""
    nightly = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    daily = '"Daily ","2:30:00 AM","1/13/2025","N/A","Every 1 day(s)","N/A","Disabled","Disabled","Disabled"'
    assert daily in nightly

    def repeating(name: str, kind: str, every: str, duration: str) -> str:
        return nightly.replace("\\Backups\\nightly", f"\\Ops\\{name}").replace(
            daily, f'"{kind}","2:07:00 AM","1/13/2025","N/A","N/A","N/A","{every}","None","{duration}"')

    path = _export(tmp_path, repeating("quarter", "One Time Only, Minute", "0 Hour(s), 15 Minute(s)", "Disabled"),
                   repeating("hours", "One Time Only, Hourly", "3 Hour(s), 0 Minute(s)", "Disabled"),
                   repeating("bounded", "One Time Only, Minute", "0 Hour(s), 15 Minute(s)",
                             "87600 Hour(s), 0 Minute(s)"),
                   repeating("seven", "One Time Only, Minute", "0 Hour(s), 7 Minute(s)", "Disabled"))
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, source_lines='encoding = "utf-8-sig"',
                                    target='timezone = "UTC"', extra='[mapping]\nsource_timezone = "UTC"')
    actions = {a["source_key"]: a for a in planned["actions"] if a.get("freq")}
    assert actions["\\Ops\\quarter"]["freq"] == "0 7/15 * * * ? *"
    assert actions["\\Ops\\hours"]["freq"] == "0 7 2/3 * * ? *"
    for key in ("\\Ops\\quarter", "\\Ops\\hours"):
        assert actions[key]["proof"]["verdict"] == "equivalent", actions[key]["proof"]
    refused = {f["source_key"]: f["errors"][0]["message"] for f in planned["invalid_flows"]}
    assert "stops at 87600 Hour(s), 0 Minute(s) from its start" in refused["\\Ops\\bounded"]
    assert "does not divide a day" in refused["\\Ops\\seven"]
    assert code == 5


def test_a_repetition_until_a_time_of_day_is_its_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`schtasks /create /sc daily /st 09:00 /ri 60 /et 17:00`: every hour until 5:00 PM (Repeat: Until:
    Time, no Duration). The end time was left out: the freq fired at 09:00 only, and the proof refused it."""
    nightly = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    daily = '"Daily ","2:30:00 AM","1/13/2025","N/A","Every 1 day(s)","N/A","Disabled","Disabled","Disabled"'
    path = _export(tmp_path, nightly.replace(daily, '"Daily ","9:00:00 AM","1/13/2025","N/A","Every 1 day(s)","N/A",'
                                                    '"1 Hour(s), 0 Minute(s)","5:00:00 PM","Disabled"'))
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, source_lines='encoding = "utf-8-sig"',
                                    target='timezone = "UTC"', extra='[mapping]\nsource_timezone = "UTC"')
    (action,) = planned["actions"]
    assert code == 3 and action["freq"] == "0 0 9-16 * * ? *" and action["proof"]["verdict"] == "equivalent", action


def test_a_task_run_once_ahead_is_that_instant_with_its_year(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`One Time Only` on a date ahead: saved as a manual flow, inactive, it never ran (the taskxml profile
    carried the same task). It fires once, at that instant; one that has passed has nothing to schedule."""
    nightly = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    daily = '"Daily ","2:30:00 AM","1/13/2025","N/A","Every 1 day(s)","N/A","Disabled","Disabled","Disabled"'
    day = date.today() + timedelta(days=60)
    once = f'"One Time Only","5:00:00 AM","{day.month}/{day.day}/{day.year}","N/A","N/A","N/A","Disabled","Disabled",' \
           '"Disabled"'
    path = _export(tmp_path, nightly.replace(daily, once),
                   nightly.replace("\\Backups\\nightly", "\\Ops\\gone").replace(daily, once.replace(
                       f"/{day.year}", "/2020")))
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, source_lines='encoding = "utf-8-sig"',
                                    target='timezone = "UTC"', extra='[mapping]\nsource_timezone = "UTC"')
    ahead = next(a for a in planned["actions"] if a["source_key"] == "\\Backups\\nightly")
    assert ahead["freq"] == f"0 0 5 {day.day} {day.month} ? {day.year}", ahead
    assert ahead["proof"]["verdict"] == "equivalent" and ahead["proof"]["fires"] == 1, ahead["proof"]
    assert planned["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1} and code == 5  # the one that has passed


def test_a_command_with_doubled_quotes_is_named(tmp_path: Path) -> None:
    # Re-saved by a CSV writer, `-Command "Get-ChildItem"` reads `-Command ""Get-ChildItem""`: another
    # command line, carried without a word. schtasks itself escapes nothing, so it cannot be undone: named.
    path = _export(tmp_path, _nightly('powershell.exe -Command ""Get-ChildItem C:\\logs""'))
    settings = SourceSettings(path=path, profile="schtasks", encoding="utf-8-sig")
    (flow,) = [standard_cells(row) for row in registry()["schtasks"].read(settings)]
    assert flow["command"] == 'powershell.exe -Command ""Get-ChildItem C:\\logs""'
    assert "QUOTES_DOUBLED" in codes(flow["__warnings__"]) and "Export-Csv" in messages(flow["__warnings__"])


def _nightly(command: str) -> str:
    """The fixture's nightly row, its Task To Run as schtasks writes it: quoted, nothing escaped."""
    row = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    return row.replace('"C:\\jobs\\backup.cmd --full"', f'"{command}"')


@pytest.mark.parametrize("command", [
    'reg query "HKLM\\SOFTWARE\\Tree\\Backup" /v "SD"',  # quotes schtasks does not escape (a real row's shape)
    'cmd /c "echo start, then run" & C:\\jobs\\backup.cmd',  # and a comma inside them
])
def test_a_command_with_quotes_schtasks_did_not_escape_is_read_whole(tmp_path: Path, command: str) -> None:
    settings = SourceSettings(path=_export(tmp_path, _nightly(command)), profile="schtasks", encoding="utf-8-sig")
    (flow,) = [standard_cells(row) for row in registry()["schtasks"].read(settings)]
    assert flow["flow"] == "\\Backups\\nightly" and flow["command"] == command and flow["__errors__"] == "", flow


def test_a_row_short_of_fields_fails_its_task_by_name_and_the_others_are_read(tmp_path: Path) -> None:
    lines = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()
    weekly = next(line for line in lines if "\\Reports\\weekly" in line)
    short = weekly.rsplit(",", 2)[0]  # two fields cut off: a hand edit, a truncated line
    settings = SourceSettings(path=_export(tmp_path, lines[1], short), profile="schtasks", encoding="utf-8-sig")
    flows = {row.cells["flow"]: standard_cells(row) for row in registry()["schtasks"].read(settings)}
    assert codes(flows["\\Reports\\weekly"]["__errors__"]) == ["MALFORMED_RECORD"]
    assert flows["\\Backups\\nightly"]["__errors__"] == "" and flows["\\Backups\\nightly"]["schedule"]


def test_utf16_is_read_and_a_console_code_page_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PowerShell 5's `>` writes UTF-16 with a byte-order mark: read as such. cmd.exe's `>` writes the
    console's code page: refused, naming [source] encoding and the likely code pages."""
    text = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").replace("nightly backup", "Sicherung für Büro")
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    assert "\\Backups\\nightly" in tasks_of_path(utf16)
    cp850 = tmp_path / "cp850.csv"
    cp850.write_bytes(text.encode("cp850"))
    code, _, err = plan_profile(tmp_path, capsys, "schtasks", cp850)
    assert code == 1 and "[source] encoding" in err and "cp850" in err and "Traceback" not in err, err


def tasks_of_path(path: Path) -> dict[str, dict[str, str]]:
    settings = SourceSettings(path=path, profile="schtasks", encoding="utf-8-sig")
    return {row.cells["flow"]: standard_cells(row) for row in registry()["schtasks"].read(settings)}


def _untimed(name: str, kind: str) -> str:
    """The fixture's nightly row as a trigger with no time, as schtasks lists one: its Schedule Type,
    the rest N/A."""
    daily = '"Daily ","2:30:00 AM","1/13/2025","N/A","Every 1 day(s)","N/A","Disabled","Disabled","Disabled"'
    return _nightly("C:\\jobs\\backup.cmd --full").replace("\\Backups\\nightly", name).replace(
        daily, f'"{kind}","N/A","N/A","N/A","N/A","N/A","N/A","N/A","N/A"')


@pytest.mark.parametrize(("kind", "said"), [
    ("At idle time", "at idle time"),  # /sc onidle, as English Windows writes it (Chef's windows_task expects it)
    ("When an event occurs", "when an event occurs"),  # an event trigger
    ("On demand only", "on demand only"),  # a task with no trigger
])
def test_an_idle_event_or_no_trigger_is_unscheduled_and_named_beside_a_time_schedule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, said: str) -> None:
    """schtasks' own labels for triggers with no time: alone, the task is unscheduled (a manual flow
    with [mapping] unscheduled = "manual"); beside a daily trigger, that one is the flow's and the other
    named (NO_TIME_TRIGGER). `At idle time`, with its Start Time N/A, was refused INVALID_SYNTAX."""
    path = _export(tmp_path, _untimed("\\Ops\\alone", kind), _nightly("C:\\jobs\\backup.cmd --full"),
                   _untimed("\\Backups\\nightly", kind))
    flows = tasks_of_path(path)
    alone, nightly = flows["\\Ops\\alone"], flows["\\Backups\\nightly"]
    assert alone["schedule"] == "" and said in alone["unscheduled"] and alone["__errors__"] == "", alone
    assert nightly["schedule"] == "0 30 2 * * ? *" and nightly["__errors__"] == "", nightly
    assert "NO_TIME_TRIGGER" in codes(nightly["__warnings__"]) and said in messages(nightly["__warnings__"])
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, source_lines='encoding = "utf-8-sig"',
                                    extra='[mapping]\nunscheduled = "manual"')
    assert code == 3 and not planned.get("invalid_flows"), planned.get("invalid_flows")


def test_a_trigger_schtasks_cannot_describe_is_refused_by_name(tmp_path: Path) -> None:
    """`Undefined` (a session, registration or custom trigger, but some of Windows' own timed tasks list
    one too): neither a schedule nor none can be read from it, so it is refused naming it and the tasks'
    XML, not for its Start Time N/A."""
    (flow,) = tasks_of_path(_export(tmp_path, _untimed("\\Ops\\undefined", "Undefined"))).values()
    assert codes(flow["__errors__"]) == ["UNSUPPORTED_INTERVAL"], flow
    assert "Undefined trigger" in messages(flow["__errors__"]) and "taskxml" in messages(flow["__errors__"])


@pytest.mark.parametrize("logon_first", [True, False])
def test_the_dates_are_the_timed_triggers_whatever_the_order_of_the_rows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], logon_first: bool) -> None:
    """A task started at log-on and daily from 1/13/2025 until 12/31/2203: the flow starts on the daily
    trigger's Start Date and its End Date is named, whichever row comes first. With the log-on row
    first, the start date was blank (the flow started on [defaults] startTime, FIRST_DAY, unchecked)
    and the end date went unread."""
    daily = _nightly("C:\\jobs\\backup.cmd --full").replace('","1/13/2025","N/A","', '","1/13/2025","12/31/2203","')
    logon = _untimed("\\Backups\\nightly", "At logon time")
    path = _export(tmp_path, *((logon, daily) if logon_first else (daily, logon)))
    (flow,) = tasks_of_path(path).values()
    assert flow["start_date"] == "2025-01-13" and flow["__errors__"] == "", flow
    assert "END_DATE" in codes(flow["__warnings__"]) and "12/31/2203" in messages(flow["__warnings__"])
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, source_lines='encoding = "utf-8-sig"',
                                    target='timezone = "UTC"', extra='[mapping]\nsource_timezone = "UTC"')
    (action,) = planned["actions"]
    assert code == 3 and action["proof"]["verdict"] == "equivalent", action["proof"]
    assert "FIRST_DAY" not in [w["code"] for w in action["warnings"]]


def test_a_schedule_says_its_zone_is_the_machines_until_source_timezone_names_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """schtasks writes Start Time and Start Date without a zone: the task fired on the machine's clock.
    The flow said nothing, its times silently taken in the service's zone (the proof equivalent under
    that assumption); it says HOST_TIMEZONE as taskxml does, until [mapping] source_timezone names the zone."""
    tasks = tasks_of("en-US.csv")
    for name in ("Backups_nightly", "Reports_weekly", "Ops_cleanup"):
        assert "HOST_TIMEZONE" in codes(tasks[name]["__warnings__"]), tasks[name]
        assert "source_timezone" in messages(tasks[name]["__warnings__"])
    assert "HOST_TIMEZONE" not in codes(tasks["Ops_at-boot"]["__warnings__"])  # no time schedule, no zone to say
    code, planned, _ = plan(tmp_path, capsys, "en-US.csv")
    assert code == 5 and planned["warnings_by_code"]["HOST_TIMEZONE"] == 3, planned["warnings_by_code"]
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", FIXTURES / "en-US.csv",
                                    source_lines='encoding = "utf-8-sig"', target='timezone = "UTC"',
                                    extra='[mapping]\nsource_timezone = "UTC"')
    assert code == 5 and "HOST_TIMEZONE" not in planned["warnings_by_code"], planned["warnings_by_code"]


def _twice_daily(start: str, end: str = "N/A") -> list[str]:
    """Two trigger rows of one task, daily at 6:00 AM and 6:00 PM, from `start` until `end` (as written)."""
    daily = '"Daily ","2:30:00 AM","1/13/2025","N/A","Every 1 day(s)","N/A","Disabled","Disabled","Disabled"'
    row = _nightly("C:\\jobs\\report.cmd").replace("\\Backups\\nightly", "\\Ops\\twice")
    return [row.replace(daily, daily.replace("2:30:00 AM", at).replace('"1/13/2025","N/A"', f'"{start}","{end}"'))
            for at in ("6:00:00 AM", "6:00:00 PM")]


def _with_en_gb_row(tmp_path: Path, *rows: str) -> Path:
    """An en-US export (1/13/2025: month-first) with one row of an en-GB date (30/11/1999 00:00:00:
    day-first) beside the given rows: the file cannot say which order its dates are in."""
    en_gb = _nightly("C:\\jobs\\x.cmd").replace("\\Backups\\nightly", "\\Ops\\en-gb").replace(
        '"1/13/2025 2:30:00 AM","0"', '"30/11/1999 00:00:00","0"')
    return _export(tmp_path, _nightly("C:\\jobs\\backup.cmd --full"), en_gb, *rows)


def _either_way(day: date) -> str:
    """A date of that month, its year, on a day up to 12 that is not the month: read either way."""
    return f"{day.month}/{2 if day.month == 1 else 1}/{day.year}"


def test_a_trigger_start_date_that_cannot_be_read_is_the_tasks_one_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two daily triggers (6:00 AM, 6:00 PM) from a Start Date the file leaves ambiguous: AMBIGUOUS_DATE.
    Beside it, the triggers' union was asked on a blank date and refused, MULTIPLE_TRIGGERS "one begins
    at , ahead". Read in the order the option gives, a year ago, the two merge."""
    path = _with_en_gb_row(tmp_path, *_twice_daily(_either_way(date.today().replace(day=1) - timedelta(days=365))))
    twice = tasks_of_path(path)["\\Ops\\twice"]
    assert codes(twice["__errors__"]) == ["AMBIGUOUS_DATE"], twice["__errors__"]
    assert "Start Date: " in messages(twice["__errors__"]) and "30/11/1999" in messages(twice["__errors__"])
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, source_lines='encoding = "utf-8-sig"',
                                    target='timezone = "UTC"')
    (refused,) = planned["invalid_flows"]
    assert code == 5 and [e["code"] for e in refused["errors"]] == ["AMBIGUOUS_DATE"], refused["errors"]
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, target='timezone = "UTC"',
                                    source_lines='encoding = "utf-8-sig"\noptions = { date_order = "MDY" }')
    action = next(a for a in planned["actions"] if a["source_key"] == "\\Ops\\twice")
    assert code == 3 and action["freq"] == "0 0 6,18 * * ? *", (code, action)
    assert "TRIGGERS_MERGED" in [w["code"] for w in action["warnings"]]


def test_a_trigger_end_date_that_cannot_be_read_is_the_tasks_one_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One of the two triggers ends on a date the file leaves ambiguous (a year ahead), the other on 12/31/2099:
    AMBIGUOUS_DATE alone (read as blank, it was MULTIPLE_TRIGGERS too, "they end at different times", of
    an end not read). Read in the order the option gives, they do end at different times: refused so."""
    morning, _ = _twice_daily("1/13/2025", _either_way(date.today() + timedelta(days=365)))
    _, evening = _twice_daily("1/13/2025", "12/31/2099")
    path = _with_en_gb_row(tmp_path, morning, evening)
    twice = tasks_of_path(path)["\\Ops\\twice"]
    assert codes(twice["__errors__"]) == ["AMBIGUOUS_DATE"], twice["__errors__"]
    assert "End Date: " in messages(twice["__errors__"])
    code, planned, _ = plan_profile(tmp_path, capsys, "schtasks", path, target='timezone = "UTC"',
                                    source_lines='encoding = "utf-8-sig"\noptions = { date_order = "MDY" }')
    (refused,) = planned["invalid_flows"]
    assert code == 5 and [e["code"] for e in refused["errors"]] == ["MULTIPLE_TRIGGERS"], refused["errors"]
    assert "end at different times" in refused["errors"][0]["message"]


def test_triggers_without_a_start_date_are_refused_in_words(tmp_path: Path) -> None:
    """Two daily triggers whose Start Date is N/A: when they begin is not known, so they are not merged;
    the refusal said "one begins at , ahead"."""
    (flow,) = tasks_of_path(_export(tmp_path, *_twice_daily("N/A"))).values()
    assert codes(flow["__errors__"]) == ["MULTIPLE_TRIGGERS"], flow
    assert "no start date" in messages(flow["__errors__"]) and "begins at ," not in messages(flow["__errors__"])
