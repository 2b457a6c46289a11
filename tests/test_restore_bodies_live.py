"""A restore over flows that exist compares their tasks' bodies with the snapshot's, through the
CLI against the embedded emulator kept in a SQLite file (tests/test_restore_bodies.py's flows,
made by the emulator's own Import with commands and settings that are not the defaults).

Save Flow only references tasks: it cannot set a task's body. So a live flow whose tasks run
other bodies than the snapshot's (made from a snapshot without bodies, its commands empty) is left
alone, `invalid` with TASK_BODIES_DIFFER naming the tasks and saying what to do (delete it, then
restore it: Import makes it with the snapshot's tasks), `--force` or not; above all it is never
activated by the restore. One whose live tasks cannot be read (Export Flow fails) is left alone
too (TASK_BODIES_UNREAD). A snapshot task entry without its `cmd` counts as a missing body; an
empty task list is said as what it is; the plan's count line says what it counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from test_restore_bodies import (
    FIRST_ID,
    FLOWS,
    bodies_missing,
    cli,
    config,
    export_then_delete,
    live,
    result_lines,
    service,
    snapshot_lines,
)

__all__ = ["service"]  # the fixture, used by name

IDS = [str(FIRST_ID + offset) for offset in range(len(FLOWS))]


def rewritten(backup: Path, out: Path, change: Any) -> Path:
    """The snapshot at `backup` with `change(line)` made to each flow line, written to `out` (the
    header kept: the same number of flows)."""
    header, *lines = backup.read_text(encoding="utf-8").splitlines()
    out.write_text("\n".join([header, *(json.dumps(change(json.loads(line))) for line in lines)]) + "\n",
                   encoding="utf-8")
    return out


def without_bodies(line: dict[str, Any]) -> dict[str, Any]:
    """A line as `migrate export` wrote it before it kept the tasks' bodies."""
    return {k: v for k, v in line.items() if k != "exported"}


def codes(action: dict[str, Any]) -> list[str]:
    return [error.get("code", "") for error in action.get("errors", [])]


def made_without_bodies(folder: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The good backup of every flow, then the flows deleted and made again from a snapshot
    without bodies (inactive, every command empty, as TASK_BODIES_MISSING said): the backup."""
    backup, _ = export_then_delete(folder, capsys)
    older = rewritten(backup, folder / "older.jsonl", without_bodies)
    code, report, err = cli(capsys, "restore", str(older), "--config", str(config(folder)), "--apply",
                            "--run-id", "bare")
    assert code == 0 and report["by_status"] == {"created": len(FLOWS)}, err
    made = live(folder)
    assert {flow["active"] for flow in made.values()} == {0}
    assert {task["cmd"] for flow in made.values() for task in flow["tasks"].values()} == {""}
    return backup


def test_the_good_backup_over_flows_made_without_bodies_leaves_them_alone_and_inactive(
        service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backup = made_without_bodies(service, capsys)

    for force in ((), ("--force",)):  # --force restores a conflict, never other bodies than the snapshot's
        code, plan, err = cli(capsys, "restore", str(backup), "--config", str(config(service)), *force)
        assert code == 5 and plan["by_action"] == {"invalid": len(FLOWS)}, (force, err, plan)
        assert all(codes(action) == ["TASK_BODIES_DIFFER"] for action in plan["actions"]), plan["actions"]
        first = next(a for a in plan["actions"] if a["flow_id"] == str(FIRST_ID))
        message = first["errors"][0]["message"]
        assert "'extract'" in message and "'load'" in message and "cmd" in message, message
        assert "delete" in message and f"migrate restore {backup}" in message, message
        assert plan["requests"].get("export") == len(FLOWS), plan["requests"]  # the live tasks were read

    code, report, err = cli(capsys, "restore", str(backup), "--config", str(config(service)), "--force", "--apply",
                            "--run-id", "good")
    assert code == 5 and report["by_status"] == {"invalid": len(FLOWS)}, err
    assert {line["code"] for line in result_lines(service, "good")} == {"TASK_BODIES_DIFFER"}
    after = live(service)
    assert {flow["active"] for flow in after.values()} == {0}  # none enabled to run empty commands
    assert {task["cmd"] for flow in after.values() for task in flow["tasks"].values()} == {""}

    # What the message says to do: delete them, then restore them; Import makes the snapshot's tasks.
    deleting = [arg for flow_id in IDS for arg in ("--id", flow_id)]
    code, report, err = cli(capsys, "delete", str(config(service)), *deleting, "--apply", "--run-id", "again")
    assert code == 0, err
    code, report, err = cli(capsys, "restore", str(backup), "--config", str(config(service)), "--apply",
                            "--run-id", "whole")
    assert code == 0 and report["by_status"] == {"created": len(FLOWS)}, err
    restored = live(service)
    for line in snapshot_lines(backup):
        flow = restored[line["flowId"]]
        assert flow["active"] == line["active"]
        assert list(flow["tasks"].values()) == line["exported"]["tasks"]
    # Bodies as the snapshot's: nothing differs, nothing is said.
    code, plan, err = cli(capsys, "restore", str(backup), "--config", str(config(service)))
    assert code == 0 and plan["by_action"] == {"unchanged": len(FLOWS)}, (err, plan)


def test_a_flow_whose_live_tasks_cannot_be_read_is_left_alone(service: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    backup = made_without_bodies(service, capsys)
    faulty = config(service, faults={"seed": 1, "error_5xx": 1.0, "only_actions": ["export"]})
    code, plan, err = cli(capsys, "restore", str(backup), "--config", str(faulty), "--force")
    assert code == 5 and plan["by_action"] == {"invalid": len(FLOWS)}, (err, plan)
    assert all(codes(action) == ["TASK_BODIES_UNREAD"] for action in plan["actions"]), plan["actions"]
    assert "Export Flow" in plan["actions"][0]["errors"][0]["message"]


def test_an_exported_task_without_its_cmd_is_a_missing_body(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backup, _ = export_then_delete(service, capsys)

    def cmd_taken_out(line: dict[str, Any]) -> dict[str, Any]:
        tasks = line["exported"]["tasks"]
        if line["flowId"] == FIRST_ID:  # extract: no cmd at all; load keeps its own
            tasks[0] = {k: v for k, v in tasks[0].items() if k != "cmd"}
        elif line["flowId"] == FIRST_ID + 1:
            tasks[0]["cmd"] = None
        else:
            tasks[0] = {"name": tasks[0]["name"]}
        return line

    edited = rewritten(backup, service / "edited.jsonl", cmd_taken_out)
    code, plan, err = cli(capsys, "restore", str(edited), "--config", str(config(service)))
    assert code == 3 and plan["by_action"] == {"create": len(FLOWS)}, err
    warned = {a["flow_id"]: bodies_missing(a) for a in plan["actions"]}
    assert all(len(found) == 1 for found in warned.values()), warned
    first = warned[str(FIRST_ID)][0]["message"]
    assert "'extract'" in first and "'load'" not in first and "created inactive" in first, first
    assert "'report'" in warned[str(FIRST_ID + 1)][0]["message"]
    assert "'cleanup'" in warned[str(FIRST_ID + 2)][0]["message"]
    assert all("no cmd" in found[0]["message"] for found in warned.values()), warned

    code, report, err = cli(capsys, "restore", str(edited), "--config", str(config(service)), "--apply",
                            "--run-id", "back")
    assert code == 0 and report["by_status"] == {"created": len(FLOWS)}, err
    after = live(service)
    assert {flow["active"] for flow in after.values()} == {0}  # none runs an empty command
    made = after[FIRST_ID]["tasks"]
    assert made["load"]["cmd"] == "hive -f load.hql" and made["extract"]["cmd"] == ""
    assert made["extract"]["resource"] == "big_pool"  # the settings the entry has are carried all the same


def test_an_empty_exported_task_list_is_said_as_such(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backup, _ = export_then_delete(service, capsys)
    emptied = rewritten(backup, service / "emptied.jsonl", lambda line: {**line, "exported": {"tasks": []}})
    code, plan, err = cli(capsys, "restore", str(emptied), "--config", str(config(service)))
    assert code == 3, err
    messages = [found[0]["message"] for found in map(bodies_missing, plan["actions"]) if found]
    assert len(messages) == len(FLOWS), plan["actions"]
    for message in messages:
        assert "made before" not in message and "Export Flow gave no tasks" in message, message


def test_the_plan_counts_the_snapshot_flows_it_restores(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backup, _ = export_then_delete(service, capsys)  # the service lists none of them any more
    code, plan, err = cli(capsys, "restore", str(backup), "--config", str(config(service)), "--id", IDS[0])
    assert code == 3 and plan["by_action"] == {"create": 1}, err
    assert (plan["snapshot_flows"], plan["matched"], plan["listed"]) == (len(FLOWS), 1, 0), plan


def test_the_plan_line_says_what_it_counts(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backup, _ = export_then_delete(service, capsys)
    code, out, err = run_cli(capsys, "restore", str(backup), "--config", str(config(service)), "--id", IDS[0])
    assert code == 3, err
    assert "matched of 0 listed" not in out, out
    assert f"1 flow matched of the snapshot's {len(FLOWS)}: create 1" in out, out
    assert "the service lists 0 flows" in out, out


def test_a_setting_that_differs_is_named_and_a_reordered_run_mode_is_not(service: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    backup = service / "backup.jsonl"
    code, _, err = run_cli(capsys, "export", str(config(service)), "--out", str(backup))
    assert code == 0, err
    before = live(service)

    def edited(line: dict[str, Any]) -> dict[str, Any]:
        for task in line["exported"]["tasks"]:
            # The same run mode, its keys in another order: the same setting.
            task["runMode"] = json.dumps(dict(reversed(json.loads(task["runMode"]).items())))
            if task["name"] == "load":
                task["timeout"] = 999
        return line

    other = rewritten(backup, service / "other.jsonl", edited)
    code, plan, err = cli(capsys, "restore", str(other), "--config", str(config(service)), "--force")
    assert code == 5 and plan["by_action"] == {"invalid": 1, "unchanged": len(FLOWS) - 1}, (err, plan)
    refused = next(a for a in plan["actions"] if a["action"] == "invalid")
    assert refused["flow_id"] == str(FIRST_ID) and codes(refused) == ["TASK_BODIES_DIFFER"], refused
    assert "'load' (timeout)" in refused["errors"][0]["message"] and "'extract'" not in refused["errors"][0]["message"]
    code, report, err = cli(capsys, "restore", str(other), "--config", str(config(service)), "--force", "--apply",
                            "--run-id", "other")
    assert code == 5 and report["by_status"] == {"invalid": 1, "unchanged": len(FLOWS) - 1}, (err, report)  # nothing saved
    assert live(service) == before


def test_a_manual_flow_of_the_snapshot_is_planned_as_manual(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A manual flow (type 0) of a backup was shown in the restore's plan as "At 02:30, every day",
    its placeholder freq in words (the migration's plan says "manual: no schedule")."""
    backup, _ = export_then_delete(service, capsys)
    manual = rewritten(backup, service / "manual.jsonl",
                       lambda line: {**line, "graph": {**line["graph"], "type": 0}} if line["flowId"] == FIRST_ID else line)
    code, plan, err = cli(capsys, "restore", str(manual), "--config", str(config(service)))
    by_id = {action["flow_id"]: action for action in plan["actions"]}
    assert code == 3 and by_id[str(FIRST_ID)]["proof"]["verdict"] == "manual", (err, by_id[str(FIRST_ID)])
    assert by_id[str(FIRST_ID + 1)].get("proof", {}).get("verdict") != "manual"
    code, table, _ = run_cli(capsys, "restore", str(manual), "--config", str(config(service)))
    row = next(line for line in table.splitlines() if FLOWS[0][0] in line)
    assert "manual: no schedule" in row and "every day" not in row, table
