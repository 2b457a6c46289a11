"""Import Flow refuses what Save Flow refuses (the emulator's inference rules, under the same
switches and codes), before it makes anything: no flow stored, no flow id or task id taken. Else a
run with `create_missing` Imports a flow that its Save then refuses, and leaves it half made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import base_state, run_cli, write_config
from test_emulator import call, export_task

from migrate.emulator.server import EmulatorServer


def import_body(flow_name: str = "imported", **flow_json: Any) -> dict[str, Any]:
    """Import Flow's body (reference §6) with every field an export carries: two tasks, extract then load."""
    base = {"cycle": "D", "cron": "0 0 1 * * ? *", "owners": "alice", "visitors": "", "type": 1, "syncType": 1,
            "parameters": "[]", "submitter": "db_x", "alertMode": 0, "startTime": "2026-12-01", "desc": "",
            "tasks": [export_task("extract"), export_task("load")],
            "relations": [{"sourceTaskName": "extract", "targetTaskName": "load", "rerun": False}],
            "flowLinks": [], "taskLinks": [], "linkRelations": []}
    return {"flowName": flow_name, "desc": "", "dirId": "0" * 32, "flowJson": {**base, **flow_json}}


async def stored_flows(server: EmulatorServer) -> dict[str, Any]:
    """Every flow the service holds, as `/_emulator/flows` gives them (flow id -> graph)."""
    async with aiohttp.ClientSession() as session, session.get(f"{server.url}/_emulator/flows") as response:
        flows: dict[str, Any] = await response.json()
        return flows


# Each switched rule Save applies to the flow as a whole, in the export form: the body Import
# refuses under it, the code and the words of Save's message for the same fault.
REFUSED_IMPORTS = {
    "owners_must_be_users, a name nobody has": (
        "owners_must_be_users", import_body(owners="alice;ghost"), 62102,
        "Incorrect parameter: field owners: ghost not a user of organization o1"),
    "owners_must_be_users, a user of another organization": (
        "owners_must_be_users", import_body(owners="eve;alice"), 62102, "field owners: eve not a user of organization o1"),
    "cycle_matches_freq, hourly instances of a daily cron": (
        "cycle_matches_freq", import_body(cycle="H", cron="0 0 2 * * ? *"), 62102,
        "field cycle: cycle H is finer than cron '0 0 2 * * ? *' fires (its cycle is D)"),
    "cycle_matches_freq, daily instances of a weekly cron": (
        "cycle_matches_freq", import_body(cycle="D", cron="0 0 2 ? * 2 *"), 62102,
        "cycle D is finer than cron '0 0 2 ? * 2 *' fires (its cycle is W)"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_IMPORTS))
async def test_import_refuses_what_save_refuses_and_makes_nothing(start_emulator: Any, case: str) -> None:
    rule, body, code, words = REFUSED_IMPORTS[case]
    async with start_emulator(base_state()) as server:
        before = await stored_flows(server)
        answer = (await call(server, "import", body))[1]
        assert (answer["code"], answer["data"]) == (code, None) and words in answer["msg"], answer
        assert await stored_flows(server) == before  # no flow made, none half made
    async with start_emulator({**base_state(), "rules": {rule: False}}) as server:
        answer = (await call(server, "import", body))[1]
        assert answer["code"] == 0, answer  # the switch turns exactly this rule off, on Import as on Save
        assert str(answer["data"]["flowId"]) in await stored_flows(server)


async def test_import_keeps_a_cycle_coarser_than_its_cron(start_emulator: Any) -> None:
    """Every seven minutes with a daily cycle is one instance a day that runs often, kept on Save
    (the mapping's CYCLE_DIFFERS): Import keeps it too, and refuses only the finer cycle."""
    async with start_emulator(base_state()) as server:
        assert (await call(server, "import", import_body("often", cron="0 0/7 * * * ? *")))[1]["code"] == 0
        assert (await call(server, "import", import_body("never", cycle="mi", cron="0 0 * * * ? *")))[1]["code"] == 62102
        assert [graph["name"] for graph in (await stored_flows(server)).values()] == ["flow1", "flow2", "flow3", "often"]


@pytest.mark.parametrize("relations, words", [
    ([{"sourceTaskName": "extract", "targetTaskName": "extract", "rerun": False}],
     "relation 'extract'->'extract' links a task to itself"),
    ([{"sourceTaskName": "extract", "targetTaskName": "load", "rerun": False},
      {"sourceTaskName": "load", "targetTaskName": "extract", "rerun": False}],
     "relations form a cycle: extract -> load -> extract"),
])
async def test_import_refuses_a_task_graph_that_save_refuses(
        start_emulator: Any, relations: list[dict[str, Any]], words: str) -> None:
    """Save refuses these whatever its switches (the graph check); Import, building the same graph
    from task names, refuses them with its documented "Workflow validation failed"."""
    async with start_emulator(base_state()) as server:
        answer = (await call(server, "import", import_body(relations=relations)))[1]
        assert answer["code"] == 62102 and answer["msg"] == f"Workflow validation failed: {words}", answer
        assert "imported" not in [graph["name"] for graph in (await stored_flows(server)).values()]


@pytest.mark.parametrize("refused", [
    import_body(owners="ghost"),
    import_body(cycle="H", cron="0 0 2 * * ? *"),
    import_body(relations=[{"sourceTaskName": "load", "targetTaskName": "load", "rerun": False}]),
    import_body(relations=[{"sourceTaskName": "extract", "targetTaskName": "lod", "rerun": False}]),
], ids=["owners", "cycle", "task-on-itself", "unknown-task"])
async def test_a_refused_import_takes_no_id(start_emulator: Any, refused: dict[str, Any]) -> None:
    """The next Import gets the ids it would have got had the refused one never been sent: the
    flow id after the highest stored (1003), the task ids after the highest known (500006)."""
    async with start_emulator(base_state()) as server:
        assert (await call(server, "import", refused))[1]["code"] == 62102
        answer = (await call(server, "import", import_body("accepted")))[1]
        assert answer["code"] == 0 and answer["data"] == {"flowId": 1004}, answer
        graph = (await stored_flows(server))["1004"]
    assert [(task["taskName"], task["taskId"]) for task in graph["tasks"]] == [("extract", "500007"), ("load", "500008")]


def test_create_missing_leaves_no_half_made_flow_when_an_owner_is_no_user(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The operator's case: a run with `create_missing` whose owners include a name that is no
    user of the organization. Import refuses it (62102, naming ghost), so the run never Saves, and
    the service holds nothing of it afterwards."""
    rows = [{"flow_id": "5001", "flow_name": "nightly_backup", "schedule": "0 0 2 * * ? *", "owners": "alice;ghost",
             "task_id": "500001"}]
    config = write_config(tmp_path, state=base_state(flows=0), rows=rows, run={"create_missing": True, "concurrency": 1})
    config.write_text(config.read_text().replace('emulator_config = "state.json"\n',
                                                 'emulator_config = "state.json"\nemulator_state = "emulator.sqlite"\n'))
    code, out, err = run_cli(capsys, "run", str(config), "--json")
    report = json.loads(out)
    assert code != 0 and report["by_status"] == {"failed": 1}, out + err
    assert report["emulator"]["requests_by_action"].get("import") == 1
    assert "save" not in report["emulator"]["requests_by_action"]  # refused at Import, not half made by it
    lines = [json.loads(line) for line in Path(report["result_log"]).read_text(encoding="utf-8").splitlines()
             if line.strip()]
    failed = [line for line in lines if line.get("status") == "failed"]
    assert len(failed) == 1 and "62102" in json.dumps(failed[0]) and "ghost" in failed[0]["msg"], failed
    assert "nightly_backup" not in _names_in_state(tmp_path / "emulator.sqlite")


def _names_in_state(state: Path) -> list[str]:
    """The names of the flows an emulator state file holds, read through the emulator's own store."""
    from migrate.emulator.store import Store

    store = Store(state)
    try:
        snapshot = store.load()
    finally:
        store.close()
    assert snapshot is not None, f"{state}: no emulator state was written"
    return [flow["name"] for flow in snapshot["flows"]]
