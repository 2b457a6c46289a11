"""A flow node (a profile's `flow_upstream`: the EnOS id of a workflow waited on, given in the
profile's `flow_ids`) against the flow its id names: the live plan refuses a node whose name is a
flow of the plan under another id (UPSTREAM_ID_DIFFERS: a wrong id in `flow_ids` made the flow wait
on an unrelated one, and nothing said so), and says one whose id the service names otherwise
(UPSTREAM_NAME_DIFFERS). Through the DolphinScheduler 1.x profile and the CLI, against the embedded
emulator."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, profile_run_config, run_cli

GRID_JOB = {"flow_id": 5001, "name": "grid_job_001", "owners": ["alice"], "org_id": "o1"}  # unrelated to the export

# dw/dws_build waits (a DEPENDENT task) on dw/ods_load, workflow 41 of DolphinScheduler.
WAIT_ON_ODS_LOAD = {"relation": "AND", "dependTaskList": [{"relation": "AND", "dependItemList": [
    {"projectName": "dw", "definitionId": 41, "definitionName": "ods_load", "depTasks": "ALL", "cycle": "day",
     "dateValue": "today"}]}]}


def _record(name: str, tasks: list[dict[str, Any]], crontab: str) -> dict[str, Any]:
    """A DolphinScheduler 1.x ProcessMeta record of project dw."""
    return {"projectName": "dw", "processDefinitionName": name,
            "processDefinitionJson": json.dumps({"globalParams": [], "tasks": tasks}),
            "processDefinitionLocations": "{}", "processDefinitionConnects": "[]",
            "scheduleStartTime": "2024-01-01 00:00:00", "scheduleEndTime": "2124-01-01 00:00:00",
            "scheduleCrontab": crontab, "scheduleReleaseState": "ONLINE", "scheduleFailureStrategy": "END",
            "scheduleWarningType": "NONE"}


def _task(task_id: str, name: str, before: list[str], kind: str = "SHELL",
          dependence: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": kind, "name": name, "id": task_id, "preTasks": before, "runFlag": "NORMAL",
            "params": {"rawScript": f"echo {name}"}, "dependence": dependence or {}}


ODS_LOAD = _record("ods_load", [_task("tasks-1", "load", [])], "0 0 1 * * ? *")
DWS_BUILD = _record("dws_build", [_task("tasks-2", "wait_ods", [], "DEPENDENT", WAIT_ON_ODS_LOAD),
                                  _task("tasks-3", "build", ["wait_ods"])], "0 0 2 * * ? *")


def service(tmp_path: Path, flow_id: str, records: list[dict[str, Any]],
            live: list[dict[str, Any]] | None = None) -> Path:
    """The config of an export of `records`, `flow_ids = "41=<flow_id>"`, into an embedded emulator
    kept in tmp_path, which holds `live` (grid_job_001, flow 5001, unless given) the first time."""
    (tmp_path / "export.json").write_text(json.dumps(records), encoding="utf-8")
    state = tmp_path / "state.json"
    if not state.exists():
        state.write_text(json.dumps(base_state(flows=0) | {"flows": [GRID_JOB] if live is None else live}),
                         encoding="utf-8")
    return profile_run_config(tmp_path / "ds.toml", "dolphinscheduler", tmp_path / "export.json",
                              source_lines=f'options = {{ flow_ids = "41={flow_id}" }}', target='timezone = "UTC"',
                              run="create_missing = true")


def plan_json(capsys: pytest.CaptureFixture[str], config: Path, *more: str) -> tuple[int, dict[str, dict[str, Any]],
                                                                                     dict[str, Any]]:
    """`migrate plan --json`: its exit code, its actions by name, and the whole plan."""
    code, out, _ = run_cli(capsys, "plan", str(config), "--json", *more)
    plan = json.loads(out)
    return code, {action["name"]: action for action in plan["actions"]}, plan


def upstream_codes(action: dict[str, Any]) -> list[str]:
    return [said["code"] for said in (action.get("errors") or []) + (action.get("warnings") or [])
            if str(said.get("code", "")).startswith("UPSTREAM")]


def stored_upstreams(tmp_path: Path) -> dict[str, list[str]]:
    """Each flow the emulator holds: the ids of the flows it waits on."""
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        flows = [json.loads(value) for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    return {flow["name"]: [str(node["flowId"]) for node in flow["graph"].get("flows") or []] for flow in flows}


def test_an_upstream_the_plan_creates_named_by_another_id_is_refused(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The reviewer's export, first run: flow_ids gives ods_load as 5001 (grid_job_001, unrelated),
    and this plan creates ods_load. dws_build would wait on grid_job_001: the plan refuses it, naming
    both, and a run of that plan creates ods_load alone."""
    config = service(tmp_path, "5001", [ODS_LOAD, DWS_BUILD])
    code, actions, plan = plan_json(capsys, config, "--out", str(tmp_path / "plan.json"))
    assert code == 5 and actions["ods_load"]["action"] == "create", actions
    build = actions["dws_build"]
    assert build["action"] == "invalid" and upstream_codes(build) == ["UPSTREAM_ID_DIFFERS"], build
    message = build["errors"][0]["message"]
    assert "it waits on flow 5001 for ods_load, but ods_load is created by this run" in message, message
    assert "'grid_job_001'" in message and "flow_ids" in message, message
    assert plan["invalid_by_reason"] == {"UPSTREAM_ID_DIFFERS": 1}
    code, out, _ = run_cli(capsys, "run", str(config), "--plan", str(tmp_path / "plan.json"), "--json")
    assert json.loads(out)["by_status"].get("created") == 1, out
    assert "dws_build" not in stored_upstreams(tmp_path)


def test_an_upstream_saved_under_another_id_is_refused_until_flow_ids_names_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reviewer's second run: the first (a run with no plan) made ods_load under a new id and
    dws_build waiting on 5001. The plan said `unchanged`; it refuses dws_build, naming ods_load's
    id. With that id in flow_ids, dws_build is updated to wait on it, nothing said."""
    config = service(tmp_path, "5001", [ODS_LOAD, DWS_BUILD])
    code, out, _ = run_cli(capsys, "run", str(config), "--json")
    assert code == 0 and json.loads(out)["by_status"] == {"created": 2}, out
    made = stored_upstreams(tmp_path)
    assert made["dws_build"] == ["5001"], made
    code, actions, _ = plan_json(capsys, config)
    ods_load = actions["ods_load"]["flow_id"]
    assert code == 5 and actions["ods_load"]["action"] == "unchanged" and ods_load != "5001", actions
    build = actions["dws_build"]
    assert build["action"] == "invalid" and upstream_codes(build) == ["UPSTREAM_ID_DIFFERS"], build
    assert (f"it waits on flow 5001 for ods_load, but ods_load is flow {ods_load} of this plan"
            in build["errors"][0]["message"]), build

    config = service(tmp_path, ods_load, [ODS_LOAD, DWS_BUILD])  # the right id: neither said
    code, actions, _ = plan_json(capsys, config)
    build = actions["dws_build"]
    assert code == 3 and build["action"] == "update" and upstream_codes(build) == [], build
    assert {change["field"] for change in build["changes"]} == {"flows", "relations"}, build


@pytest.mark.parametrize("owners", [["alice"], ["bob"]], ids=["listed", "unlisted, read"])
def test_an_upstream_the_service_names_otherwise_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         owners: list[str]) -> None:
    """dws_build alone (ods_load is not in the export), flow_ids giving 5001, which the service
    names grid_job_001: in the caller's listing, or (another owner's flow of the organisation) read
    once, as the plan read it before. Not refused (a name template or a rename makes names differ
    rightly), but said, in --json and in the table. flow_ids giving 5002, which is ods_load in the
    service: nothing said."""
    live = [{**GRID_JOB, "owners": owners}, {**GRID_JOB, "flow_id": 5002, "name": "ods_load", "owners": owners}]
    config = service(tmp_path, "5001", [DWS_BUILD], live)
    code, actions, plan = plan_json(capsys, config)
    build = actions["dws_build"]
    assert code == 3 and build["action"] == "create" and upstream_codes(build) == ["UPSTREAM_NAME_DIFFERS"], build
    [warning] = [w for w in build["warnings"] if w["code"] == "UPSTREAM_NAME_DIFFERS"]
    assert "it waits on flow 5001 for ods_load, but the service names flow 5001 'grid_job_001'" in warning["message"]
    assert plan["warnings_by_code"]["UPSTREAM_NAME_DIFFERS"] == 1, plan["warnings_by_code"]  # counted in the summary
    # The listing and the marker scan of the caller's two flows, or the listing and the one read of 5001.
    reads = "3 requests (2 get, 1 getMyFlow)" if owners == ["alice"] else "2 requests (1 getMyFlow, 1 get)"
    assert plan["notes"][-1] == f"read the live service: {reads}", plan["notes"]
    code, out, _ = run_cli(capsys, "plan", str(config))
    assert code == 3 and "UPSTREAM_NAME_DIFFERS" in out, out

    config = service(tmp_path, "5002", [DWS_BUILD])
    code, actions, _ = plan_json(capsys, config)
    build = actions["dws_build"]
    assert code == 3 and build["action"] == "create" and upstream_codes(build) == [], build
