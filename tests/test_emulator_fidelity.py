"""The emulator as close to the real service as the documentation lets us be (issue 17, items 2
to 4), over real HTTP: saves the real service very likely refuses, Import and Export faithful
to the documented structs, and where it is stricter than a document, a rule with a switch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, run_cli, save_body, write_config
from test_emulator import call, export_task

UPSTREAM_2001 = {"flowId": "2001", "flowName": "other_org_flow", "nodeId": "f_2001", "isVirtual": False,
                 "x": 0.1, "y": 0.1}
SELF_1001 = {"flowId": "1001", "flowName": "flow1", "nodeId": "f_1001", "isVirtual": False, "x": 0.1, "y": 0.1}
TASK_500001 = {"taskName": "task1", "x": 0.2, "y": 0.2, "taskId": "500001", "nodeId": "t_500001"}


def state_with_another_org() -> dict[str, Any]:
    """base_state, and flow 2001 in organization o2 (eve's), which alice cannot read."""
    state = base_state()
    state["flows"].append({"flow_id": 2001, "name": "other_org_flow", "owners": ["eve"], "org_id": "o2"})
    return state


REFUSED_SAVES = {
    "refuse_foreign_upstream": (
        save_body(1001, tasks=[TASK_500001], flows=[UPSTREAM_2001],
                  relations=[{"cycleGap": "D0", "source": "f_2001", "target": "t_500001", "rerun": False}]),
        62103, "flow 2001 is not in your organization"),
    "refuse_self_dependency": (
        save_body(1001, tasks=[TASK_500001], flows=[SELF_1001],
                  relations=[{"cycleGap": "D0", "source": "f_1001", "target": "t_500001", "rerun": False}]),
        62102, "flow 1001 cannot depend on itself"),
    "owners_must_be_users": (save_body(1001, owners="alice;zed;eve"), 62102,
                             "zed, eve not a user of organization o1"),
    "cycle_matches_freq": (save_body(1001, freq="0 0 2 * * ? *", cycle="H"), 62102,
                           "cycle H is finer than freq '0 0 2 * * ? *' fires (its cycle is D)"),
}


@pytest.mark.parametrize("rule", sorted(REFUSED_SAVES))
async def test_a_save_the_real_service_very_likely_refuses(start_emulator: Any, rule: str) -> None:
    body, code, words = REFUSED_SAVES[rule]
    async with start_emulator(state_with_another_org()) as server:
        answer = (await call(server, "save", body))[1]
    assert (answer["code"], answer["data"]) == (code, None) and words in answer["msg"], answer
    async with start_emulator({**state_with_another_org(), "rules": {rule: False}}) as server:
        assert (await call(server, "save", body))[1]["code"] == 0  # the switch turns exactly this rule off


async def test_a_coarser_cycle_than_freq_is_no_contradiction(start_emulator: Any) -> None:
    """Every seven minutes with a daily cycle: one instance a day that runs often (kept by the
    mapping with CYCLE_DIFFERS); only a cycle finer than the runs is refused."""
    async with start_emulator(base_state()) as server:
        assert (await call(server, "save", save_body(1001, freq="0 0/7 * * * ? *", cycle="D")))[1]["code"] == 0
        assert (await call(server, "save", save_body(1001, freq="0 0 2 ? * 2 *", cycle="D")))[1]["code"] == 62102


def test_plan_finds_the_self_dependency_and_the_contradicting_cycle_before_sending(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pipeline's own validation (FlowPayload) refuses them with a code of their own, so they
    are `invalid` in plan, never sent."""
    upstream_self = json.dumps([{"flowId": "1002", "flowName": "flow2", "cycleGap": "D0", "targets": ["500002"]}])
    rows = [
        {"flow_id": "1001", "flow_name": "flow1", "schedule": "0 0 2 * * ? *", "cycle": "H", "owners": "alice",
         "task_id": "500001", "flow_upstream": ""},
        {"flow_id": "1002", "flow_name": "flow2", "schedule": "0 0 2 * * ? *", "cycle": "D", "owners": "alice",
         "task_id": "500002", "flow_upstream": upstream_self},
        {"flow_id": "1003", "flow_name": "flow3", "schedule": "0 0 2 * * ? *", "cycle": "D", "owners": "alice",
         "task_id": "500003", "flow_upstream": ""},
    ]
    config = write_config(tmp_path, state=base_state(), rows=rows)
    config.write_text(config.read_text().replace('owners = "owners"\n', 'owners = "owners"\ncycle = "cycle"\n'))
    code, out, _err = run_cli(capsys, "plan", str(config), "--json", "--offline")
    planned = json.loads(out)
    assert code == 5 and planned["invalid_by_reason"] == {"CYCLE_CONTRADICTS_FREQ": 1, "SELF_DEPENDENCY": 1}
    errors = {flow["name"]: flow["errors"][0] for flow in planned["invalid_flows"]}
    assert errors["flow1"]["code"] == "CYCLE_CONTRADICTS_FREQ" and errors["flow1"]["field"] == "cycle"
    assert "finer than freq" in errors["flow1"]["message"]
    assert errors["flow2"]["field"] == "flows" and "cannot depend on itself" in errors["flow2"]["message"]


# -- Import and Export --------------------------------------------------------------------------

def import_body(flow_json: dict[str, Any], **changes: Any) -> dict[str, Any]:
    base = {"cycle": "D", "cron": "0 0 1 * * ? *", "owners": "alice", "visitors": "", "type": 1, "syncType": 1,
            "parameters": "[]", "submitter": "db_x", "alertMode": 0, "startTime": "2026-12-01", "desc": "",
            "tasks": [export_task("extract"), export_task("load")], "relations": [], "flowLinks": [],
            "taskLinks": [], "linkRelations": []}
    return {"flowName": "imported", "desc": "", "dirId": "0" * 32, "flowJson": {**base, **flow_json}, **changes}


@pytest.mark.parametrize("body, words", [
    (import_body({"tasks": [{"name": "extract", "type": "COMMAND"}]}),
     "task 'extract' lacks or mistypes resource, syncType, cmd, submitter"),
    (import_body({"tasks": [export_task("extract", timeout="300")]}), "lacks or mistypes timeout"),
    (import_body({"tasks": [export_task("extract", asLink=1)]}), "lacks or mistypes asLink"),
    (import_body({"relations": [{"sourceTaskName": "extract", "targetTaskName": "lod", "rerun": True}]}),
     "targetTaskName 'lod' is not a task of the flow"),
    (import_body({"flowLinks": [{"linkId": "0", "sourceFlowName": "no_such_flow"}]}),
     "no flow named 'no_such_flow' in your organization"),
    (import_body({"flowLinks": [{"linkId": "0", "sourceFlowName": "other_org_flow"}]}),
     "no flow named 'other_org_flow' in your organization"),
    (import_body({"linkRelations": [{"linkId": "7", "targetTaskName": "load", "rerun": False}]}),
     "linkRelations name link '7'"),
    (import_body({}, flowId="2839"), "Incorrect parameter: flowId must be an integer"),
])
async def test_import_refuses_what_is_incomplete_or_names_what_is_not_there(
        start_emulator: Any, body: dict[str, Any], words: str) -> None:
    async with start_emulator(state_with_another_org()) as server:
        answer = (await call(server, "import", body))[1]
        assert answer["code"] == 62102 and words in answer["msg"], answer
        assert answer["msg"].startswith(("Workflow validation failed", "Incorrect parameter"))  # documented
        flows = (await call(server, "search", {"expression": "imported"}))[1]["data"]
    assert flows == []  # nothing half-made


@pytest.mark.parametrize("rule, body", [
    ("import_task_fields", import_body({"tasks": [{"name": "extract", "type": "COMMAND"}]})),
    ("import_flow_id_integer", import_body({}, flowId="2839")),
])
async def test_each_import_rule_has_its_switch(start_emulator: Any, rule: str, body: dict[str, Any]) -> None:
    async with start_emulator({**base_state(), "rules": {rule: False}}) as server:
        assert (await call(server, "import", body))[1]["code"] == 0


async def test_an_export_import_round_trip_keeps_tasks_and_a_dependency(start_emulator: Any) -> None:
    """Flow 1001 waits on flow 1002; its export names 1002 in flowLinks and the edge in
    linkRelations, every task with the documented fields; imported again, the copy waits on 1002."""
    upstream = {"flowId": "1002", "flowName": "flow2", "nodeId": "f_1002", "isVirtual": False, "x": 0.1, "y": 0.1}
    saved = save_body(1001, tasks=[TASK_500001, {**TASK_500001, "taskName": "task2", "taskId": "500002",
                                                  "nodeId": "t_500002"}],
                      flows=[upstream],
                      relations=[{"cycleGap": "D0", "source": "f_1002", "target": "t_500001", "rerun": True},
                                 {"cycleGap": "D0", "source": "t_500001", "target": "t_500002", "rerun": False}])
    async with start_emulator(base_state()) as server:
        assert (await call(server, "save", saved))[1]["code"] == 0
        exported = (await call(server, "export", flowId="1001"))[1]["data"]
        assert exported["flowLinks"] == [{"linkId": "0", "sourceFlowName": "flow2"}]
        assert exported["linkRelations"] == [{"linkId": "0", "targetTaskName": "task1", "rerun": True}]
        assert exported["relations"] == [{"sourceTaskName": "task1", "targetTaskName": "task2", "rerun": False}]
        assert all(set(task) == set(export_task("x")) for task in exported["tasks"])
        assert [task["asLink"] for task in exported["tasks"]] == [True, True]
        created = (await call(server, "import", {"flowName": "flow1_copy", "desc": "", "dirId": "0" * 32,
                                                 "flowJson": exported}))[1]
        assert created["code"] == 0, created
        copy_id = str(created["data"]["flowId"])
        graph = json.loads((await call(server, "get", flowId=copy_id))[1]["data"]["graph"])
        again = (await call(server, "export", flowId=copy_id))[1]["data"]
    assert [(f["flowId"], f["nodeId"], f["isVirtual"]) for f in graph["flows"]] == [("1002", "f_1002", False)]
    names = {t["nodeId"]: t["taskName"] for t in graph["tasks"]}
    assert sorted((r["source"] if r["source"] == "f_1002" else names[r["source"]], names[r["target"]], r["rerun"])
                  for r in graph["relations"]) == [("f_1002", "task1", True), ("task1", "task2", False)]
    assert {key: again[key] for key in ("flowLinks", "linkRelations", "relations", "tasks")} == \
        {key: exported[key] for key in ("flowLinks", "linkRelations", "relations", "tasks")}


async def test_a_virtual_node_travels_as_a_task_link(start_emulator: Any) -> None:
    """A flow node marked isVirtual (a task of another flow, written `taskId(taskName)`) is
    exported as a taskLink and imported back as the same virtual node."""
    async with start_emulator(base_state()) as server:
        await call(server, "save", save_body(1002, tasks=[{**TASK_500001, "taskName": "extract"}]))
        virtual = {"flowId": "1002", "flowName": "500001(extract)", "nodeId": "f_1002", "isVirtual": True,
                   "x": 0.1, "y": 0.1}
        body = save_body(1001, tasks=[{**TASK_500001, "taskId": "500002", "nodeId": "t_500002"}], flows=[virtual],
                         relations=[{"cycleGap": "D0", "source": "f_1002", "target": "t_500002", "rerun": False}])
        assert (await call(server, "save", body))[1]["code"] == 0
        exported = (await call(server, "export", flowId="1001"))[1]["data"]
        assert exported["flowLinks"] == [] and exported["taskLinks"] == [
            {"linkId": "0", "sourceFlowName": "flow2", "sourceTaskName": "extract"}]
        created = (await call(server, "import", {"flowName": "copy", "desc": "", "dirId": "0" * 32,
                                                 "flowJson": exported}))[1]
        graph = json.loads((await call(server, "get", flowId=str(created["data"]["flowId"])))[1]["data"]["graph"])
    assert graph["flows"][0] | {"x": 0, "y": 0} == {**virtual, "x": 0, "y": 0}


# -- Stricter than a document: each a rule with its switch --------------------------------------

PYTHON_SAMPLE_FLOWS = {  # the official Python Save sample's graph (sample-code-python, saveFlow_V2_1.py)
    "tasks": [{"taskId": "500001", "nodeId": "t_500001", "taskName": "task1", "x": 0.0132, "y": 0.0081}],
    "flows": [{"flowId": "1002", "nodeId": "t_1002", "flowName": "flow2", "isVirtual": True, "x": 0.0186,
               "y": 0.0017}],
    "relations": [{"cycleGap": "D0", "source": "t_1002", "rerun": True, "target": "t_500001"}],
}


async def test_the_python_samples_flow_node_written_t_is_a_rule_with_a_switch(start_emulator: Any) -> None:
    body = save_body(1001, **PYTHON_SAMPLE_FLOWS)
    async with start_emulator(base_state()) as server:
        answer = (await call(server, "save", body))[1]
        assert answer["code"] == 62102 and "nodeId 't_1002' must be 'f_1002'" in answer["msg"]
    async with start_emulator({**base_state(), "rules": {"flow_node_ids_prefixed": False}}) as server:
        assert (await call(server, "save", body))[1]["code"] == 0
        graph = json.loads((await call(server, "get", flowId="1001"))[1]["data"]["graph"])
    assert graph["flows"][0]["nodeId"] == "f_1002" and graph["relations"][0]["source"] == "f_1002"  # stored as documented


async def test_the_search_samples_sorter_start_time_is_a_rule_with_a_switch(start_emulator: Any) -> None:
    search = {"pagination": {"pageNo": 1, "pageSize": 10, "sorters": [{"field": "start_time", "order": "DESC"}]}}
    async with start_emulator(base_state()) as server:
        answer = (await call(server, "search", search))[1]
        assert answer["code"] == 62102 and "'start_time'" in answer["msg"]
    async with start_emulator({**base_state(), "rules": {"sorter_fields_documented": False}}) as server:
        answer = (await call(server, "search", search))[1]
    assert answer["code"] == 0 and len(answer["data"]) == 3


@pytest.mark.parametrize("rule, missing", [
    ("require_start_time", ("startTime",)),  # optional in the seed (zh) page
    ("require_graph_lists", ("flows", "relations")),  # optional in the English v2.1 table
])
async def test_a_field_some_pages_make_optional_is_required_with_a_switch(
        start_emulator: Any, rule: str, missing: tuple[str, ...]) -> None:
    body = {key: value for key, value in save_body(1001).items() if key not in missing}
    async with start_emulator(base_state()) as server:
        answer = (await call(server, "save", body))[1]
        assert answer["code"] == 62102 and all(f"field {key}: is required" in answer["msg"] for key in missing)
    async with start_emulator({**base_state(), "rules": {rule: False}}) as server:
        assert (await call(server, "save", body))[1]["code"] == 0


def test_the_inference_list_names_every_rule_with_its_switch() -> None:
    """docs/emulator.md's list of inferences names each rule of the emulator's config by its key."""
    from migrate.emulator.config import AuthRules, Rules

    page = (Path(__file__).resolve().parent.parent / "docs" / "emulator.md").read_text(encoding="utf-8")
    inferences = page[page.index("## Service choices"):]
    for rule in Rules.model_fields:
        assert f"`rules.{rule}`" in inferences, rule
    assert "token_problems" in AuthRules.model_fields and "`auth.token_problems`" in inferences


async def test_a_save_naming_another_flows_task_is_refused(start_emulator: Any) -> None:
    """Save references tasks the flow has (reference §10); the emulator took a task another flow's
    graph holds, so two flows ran one task: a reviewer's enos-v2 re-run, its task renamed, sent the
    v2.0 task id, here another flow's, and was `saved`. Refused now, 62102; switched by
    `rules.tasks_of_their_flow`. A task taken out of its flow's graph may be put back."""
    first = save_body(1001, tasks=[TASK_500001])
    second = save_body(1002, tasks=[{**TASK_500001, "taskName": "borrowed"}])
    async with start_emulator(base_state()) as server:
        assert (await call(server, "save", first))[1]["code"] == 0
        answer = (await call(server, "save", second))[1]
        assert answer["code"] == 62102 and "task 500001 is a task of flow 1001, not of flow 1002" in answer["msg"]
        assert (await call(server, "save", save_body(1001, tasks=[])))[1]["code"] == 0  # 1001 lets it go
        assert (await call(server, "save", second))[1]["code"] == 0
    async with start_emulator({**base_state(), "rules": {"tasks_of_their_flow": False}}) as server:
        assert (await call(server, "save", first))[1]["code"] == 0
        assert (await call(server, "save", second))[1]["code"] == 0
