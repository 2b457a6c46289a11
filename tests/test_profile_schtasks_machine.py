"""The schtasks profile on `schtasks /query /fo csv /v` of a whole machine, as a reviewer found it:
Windows' own tasks beside the user's (skipped and counted, as the taskxml profile does), and
comments of several lines, which schtasks writes inside their quotes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import plan_profile, standard_cells

from migrate.config import SourceSettings
from migrate.sources.profiles import registry

FIXTURES = Path(__file__).parent / "fixtures" / "schtasks"
LINES = (FIXTURES / "en-US.csv").read_text(encoding="utf-8-sig").splitlines()
HEADER, NIGHTLY = LINES[0], LINES[1]  # \Backups\nightly, daily at 2:30 AM, its Comment "nightly backup"


def task(name: str, comment: str = "nightly backup") -> str:
    """The fixture's nightly row as schtasks writes it, for the task `name` with `comment`."""
    return NIGHTLY.replace('"\\Backups\\nightly"', f'"{name}"').replace('"nightly backup"', f'"{comment}"')


def export(tmp_path: Path, rows: list[str], line_end: str = "\r\n") -> Path:
    path = tmp_path / "tasks.csv"
    path.write_bytes(line_end.join((HEADER, *rows, "")).encode("utf-8"))
    return path


def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], path: Path,
         options: str = "{}") -> tuple[int, dict[str, Any], str]:
    return plan_profile(tmp_path, capsys, "schtasks", path, source_lines=f"options = {options}")


def keys(planned: dict[str, Any]) -> list[str]:
    return [action["source_key"] for action in planned["actions"]]


# -- Windows' own tasks --------------------------------------------------------------------------

BUILTIN = ["\\Microsoft\\Windows\\Defrag\\ScheduledDefrag", "\\Microsoft\\Windows\\Windows Error Reporting\\QueueReporting",
           "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan", "\\Microsoft\\Windows\\Diagnosis\\Scheduled"]


def test_windows_own_tasks_are_skipped_with_one_warning_as_taskxml_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A machine's export lists well over a hundred of Windows' own tasks: each was planned as a flow
    without a word. They are counted in one BUILTIN_TASKS_SKIPPED on the first flow; a task of
    another Microsoft product (\\Microsoft\\Office\\…) is not Windows' and is planned, as taskxml
    plans it; include_builtin = true plans them all."""
    office = "\\Microsoft\\Office\\Office Automatic Updates 2.0"
    rows = [task(BUILTIN[0]), task(BUILTIN[0]).replace("2:30:00 AM", "3:30:00 AM"),  # one task of two triggers
            *(task(name) for name in BUILTIN[1:]), task(office), task("\\Ops\\Nightly"),
            task(BUILTIN[1]).rsplit(",", 2)[0]]  # a row of Windows' own cut short: skipped as its task is
    path = export(tmp_path, rows)
    code, planned, err = plan(tmp_path, capsys, path)
    assert code == 3 and keys(planned) == [office, "\\Ops\\Nightly"], err
    assert planned["warnings_by_code"]["BUILTIN_TASKS_SKIPPED"] == 1 and planned["invalid"] == 0, planned
    (skipped,) = [w["message"] for w in planned["actions"][0]["warnings"] if w["code"] == "BUILTIN_TASKS_SKIPPED"]
    assert skipped.startswith("4 of Windows' own tasks (under \\Microsoft\\Windows\\: " + BUILTIN[0]), skipped
    assert "include_builtin = true" in skipped

    code, planned, err = plan(tmp_path, capsys, path, "{ include_builtin = true }")
    assert code == 5 and "BUILTIN_TASKS_SKIPPED" not in planned["warnings_by_code"], err
    assert planned["flows_found"] == 6 and planned["invalid_by_reason"] == {"MALFORMED_RECORD": 1}, planned


def test_an_export_of_only_windows_own_tasks_is_refused_naming_the_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = export(tmp_path, [task(name) for name in BUILTIN])
    code, _, err = plan(tmp_path, capsys, path)
    assert code == 1 and "only Windows' own tasks (4 under" in err and "include_builtin = true" in err, err
    code, _, err = plan(tmp_path, capsys, path, "{ include_builtin = 1 }")
    assert code == 1 and "schtasks option include_builtin = 1 is not true or false" in err, err
    code, _, err = plan(tmp_path, capsys, path, '{ date_order = "MDY", include_builtin = true }')
    assert code == 3, err


# -- comments of several lines -------------------------------------------------------------------

@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("field_break", ["\r\n", "\n", "\r"])
def test_a_comment_of_several_lines_is_the_tasks_comment(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         line_end: str, field_break: str) -> None:
    """schtasks writes a Comment's line breaks inside its quotes (GoogleUpdate's description has
    one): the task failed MALFORMED_RECORD ('a row of fewer than the header's fields') and the rest
    of its row made a phantom flow named `Enabled`. A line of the comment that begins with a quote,
    or is blank, is the comment's too; the rows around it are read as they were."""
    comment = field_break.join(("Keeps the update service current.", "", '"C:\\data" is, then, cleaned',
                                "Second line, with a comma"))
    rows = [task("\\Ops\\Before"), task("\\Google\\GoogleUpdateTaskMachineUA", comment), task("\\Ops\\After")]
    path = export(tmp_path, rows, line_end)
    code, planned, err = plan(tmp_path, capsys, path)
    assert code == 3 and planned["invalid"] == 0, (err, planned.get("invalid_flows"))
    assert keys(planned) == ["\\Ops\\Before", "\\Google\\GoogleUpdateTaskMachineUA", "\\Ops\\After"]
    assert all(action["freq"] == "0 30 2 * * ? *" for action in planned["actions"]), planned["actions"]
    settings = SourceSettings(path=path, profile="schtasks")
    flows = {row.cells["flow"]: standard_cells(row) for row in registry()["schtasks"].read(settings)}
    assert flows["\\Google\\GoogleUpdateTaskMachineUA"]["desc"] == comment
    assert flows["\\Ops\\After"]["desc"] == "nightly backup"


def test_rows_cut_short_one_after_the_other_each_fail_by_name(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Joining a comment's lines must not join rows: two rows each cut short (a hand edit, a
    truncated copy) stay two tasks, each failing by its own name, and the next row is read."""
    rows = [task("\\Ops\\Cut one")[:120], task("\\Ops\\Cut two").rsplit(",", 12)[0], task("\\Ops\\Whole")]
    code, planned, err = plan(tmp_path, capsys, export(tmp_path, rows))
    assert code == 5 and keys(planned) == ["\\Ops\\Whole", "\\Ops\\Cut one", "\\Ops\\Cut two"], err
    failed = {flow["source_key"]: [e["code"] for e in flow["errors"]] for flow in planned["invalid_flows"]}
    assert failed == {"\\Ops\\Cut one": ["MALFORMED_RECORD"], "\\Ops\\Cut two": ["MALFORMED_RECORD"]}, failed


# -- several machines in one export --------------------------------------------------------------

def on_host(row: str, host: str, command: str = "") -> str:
    """The fixture's row as `schtasks /query /s HOST /fo csv /v` writes it for that machine."""
    row = row.replace(row.split('","', 1)[0], f'"{host}', 1)
    return row.replace("C:\\ops\\nightly.cmd", command) if command else row


def test_one_task_name_on_two_machines_is_never_one_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A loop of `schtasks /query /s HOST …` over two machines: `\\Backup` on each, other commands,
    was one flow of the first machine's command without a word (at other times, one flow firing at
    both). The second machine's task is DUPLICATE_TASK naming both machines and the option;
    host_in_name makes a flow of each, named after its machine."""
    first, second = on_host(task("\\Backup"), "APP01"), on_host(task("\\Backup"), "APP02")
    second = second.replace("2:30:00 AM", "3:30:00 AM")
    path = export(tmp_path, [first, HEADER, second, on_host(task("\\Only"), "APP02")])
    code, planned, err = plan(tmp_path, capsys, path)
    assert code == 5 and sorted(keys(planned)) == ["\\Backup", "\\Backup on APP02", "\\Only"], err
    by_key = {action["source_key"]: action for action in planned["actions"]}
    assert by_key["\\Backup"]["action"] == "valid" and by_key["\\Backup"]["freq"] == "0 30 2 * * ? *", by_key
    [refused] = by_key["\\Backup on APP02"]["errors"]
    assert refused["code"] == "DUPLICATE_TASK" and "the machines APP01 and APP02" in refused["message"], refused
    assert "host_in_name = true" in refused["message"], refused

    code, planned, err = plan(tmp_path, capsys, path, "{ host_in_name = true }")
    assert code == 3 and sorted(keys(planned)) == ["APP01\\Backup", "APP02\\Backup", "APP02\\Only"], err
    assert sorted((a["name"], a["freq"]) for a in planned["actions"]) == [
        ("APP01_Backup", "0 30 2 * * ? *"), ("APP02_Backup", "0 30 3 * * ? *"), ("APP02_Only", "0 30 2 * * ? *")]


@pytest.mark.parametrize("between", ["other task", "header"])
def test_one_machines_task_listed_twice_is_never_taken_for_more_triggers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], between: str) -> None:
    """A machine queried twice, or two days' exports joined: its `\\A` on Mondays, then again on
    Tuesdays, was one flow firing on both days (TRIGGERS_MERGED). schtasks writes a task's triggers
    together: the second listing is DUPLICATE_TASK, the flow planned from the first (found by a reviewer)."""
    monday = on_host(task("\\A"), "APP01")
    tuesday = monday.replace("2:30:00 AM", "3:30:00 AM")
    rows = [monday, HEADER, on_host(task("\\B"), "APP02"), HEADER, tuesday] if between == "other task" else \
        [monday, HEADER, tuesday]
    code, planned, err = plan(tmp_path, capsys, export(tmp_path, rows))
    by_key = {action["source_key"]: action for action in planned["actions"]}
    assert code == 5 and by_key["\\A"]["freq"] == "0 30 2 * * ? *", (by_key, err)
    [again] = [action for key, action in by_key.items() if key.startswith("\\A listed again")]
    assert again["errors"][0]["code"] == "DUPLICATE_TASK" and "of APP01 is listed twice" in again["errors"][0]["message"]
    # two triggers of one task, written together as schtasks writes them: one flow, both times
    code, planned, err = plan(tmp_path, capsys, export(tmp_path, [monday, tuesday]))
    assert code == 3 and [a["freq"] for a in planned["actions"]] == ["0 30 2-3 * * ? *"], err


def test_a_machine_name_in_other_letter_case_is_one_machine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`schtasks /s app01` one night and `/s APP01` the next: one machine (Windows' names are not
    case-sensitive). Its task was DUPLICATE_TASK against itself, and with host_in_name a second
    flow (app01_Backup beside APP01_Backup)."""
    upper, lower = on_host(task("\\Backup"), "APP01"), on_host(task("\\Other"), "app01")
    code, planned, err = plan(tmp_path, capsys, export(tmp_path, [upper, lower]), "{ host_in_name = true }")
    assert code == 3 and sorted(a["name"] for a in planned["actions"]) == ["APP01_Backup", "APP01_Other"], err
    code, planned, err = plan(tmp_path, capsys, export(tmp_path, [upper, HEADER, on_host(task("\\Backup"), "app01")]))
    assert code == 5 and "machines" not in json.dumps(planned), planned  # not two machines: listed twice


def test_a_nul_character_is_refused_never_carried_into_a_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`\\Backups\\nigh<NUL>tly` was planned valid and saved as the flow `Backups_nigh\\u0000tly` (found
    by a fuzzing reviewer); schtasks writes no NUL: the file is refused, naming the line."""
    path = export(tmp_path, [task("\\Ops\\Other"), task("\\Backups\\nigh\x00tly")])
    code, planned, err = plan(tmp_path, capsys, path)
    assert code == 1 and "line 3 holds a NUL character" in err, (planned, err)
