"""The dolphinscheduler profile on tasks switched off (flag NO; 1.x: runFlag FORBIDDEN) of the types
that are not plain commands: a DEPENDENT task so switched off waited on nothing (DolphinScheduler
skipped it and ran the tasks after it), so it is no wait on another flow, only a task that does
nothing in its place; a CONDITIONS or SWITCH task switched off is refused only where DolphinScheduler
did not go past it (before 3.3), a BLOCKING, SUB_PROCESS or DYNAMIC one never. Through the profile's
rows, `migrate plan --json` and a `migrate run` against the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_profile_dolphinscheduler import by_flow, codes, created_report, ds_config, plan_json
from test_profiles import flows_of

SWITCHED_OFF_PREFIX = "# switched off in DolphinScheduler (flag NO"
V1_EXPORT = Path(__file__).resolve().parent / "fixtures" / "dolphinscheduler_v1" / "export.json"
OLDER_KEYS = ("processDefinition", "processTaskRelationList", "processDefinitionCode")  # 2.0 to 3.2
NEWER_KEYS = ("workflowDefinition", "workflowTaskRelationList", "workflowDefinitionCode")  # 3.3 and later


def shell(code: int, name: str) -> dict[str, Any]:
    return {"code": code, "name": name, "taskType": "SHELL", "flag": "YES",
            "taskParams": {"localParams": [], "rawScript": f"echo {name}", "resourceList": []}}


def dependent(code: int, name: str, flag: str, workflow: int) -> dict[str, Any]:
    """A DEPENDENT task on the whole of `workflow`, today's run (an exact window: D0)."""
    item = {"projectCode": 7001, "definitionCode": workflow, "depTaskCode": 0, "cycle": "day", "dateValue": "today"}
    return {"code": code, "name": name, "taskType": "DEPENDENT", "flag": flag,
            "taskParams": {"localParams": [], "resourceList": [], "dependence": {
                "relation": "AND", "dependTaskList": [{"relation": "AND", "dependItemList": [item]}]}}}


def special(code: int, name: str, task_type: str) -> dict[str, Any]:
    """A task of a type that is not a command, switched off, with what DolphinScheduler writes for it."""
    params: dict[str, Any] = {"localParams": [], "resourceList": []}
    if task_type == "CONDITIONS":
        params["conditionResult"] = {"successNode": [code + 1], "failedNode": []}
    elif task_type == "SWITCH":
        params["switchResult"] = {"dependTaskList": [{"condition": "${x} > 1", "nextNode": code + 1}],
                                  "nextNode": code + 1}
    elif task_type in ("SUB_PROCESS", "SUB_WORKFLOW", "DYNAMIC"):
        params["processDefinitionCode"] = 999999  # a workflow not in the export
    return {"code": code, "name": name, "taskType": task_type, "flag": "NO", "taskParams": params}


def record(code: int, name: str, tasks: list[dict[str, Any]], links: list[tuple[int, int]],
           keys: tuple[str, str, str] = OLDER_KEYS) -> dict[str, Any]:
    """A scheduled workflow record; `links`: (task before, task after), 0 before a first task."""
    definition_key, relations_key, code_key = keys
    return {definition_key: {"code": code, "name": name, "releaseState": "ONLINE", "globalParams": "[]",
                             "locations": "[]", "executionType": "PARALLEL"},
            relations_key: [{"preTaskCode": pre, "postTaskCode": post, code_key: code, "conditionType": "NONE",
                             "conditionParams": {}} for pre, post in links],
            "taskDefinitionList": tasks,
            "schedule": {code_key: code, "crontab": "0 0 8 * * ? *", "startTime": "2024-01-01 00:00:00",
                         "endTime": "2124-01-01 00:00:00", "timezoneId": "Asia/Shanghai", "releaseState": "ONLINE",
                         "warningType": "NONE", "warningGroupId": 0}}


def write(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def orders() -> dict[str, Any]:
    """The workflow waited on (code 41), in the export: a name to say, no wait of its own."""
    return record(41, "orders", [shell(4101, "load")], [(0, 4101)])


# -- a DEPENDENT task switched off ----------------------------------------------------------------

def test_a_dependent_task_switched_off_waits_on_nothing_and_keeps_its_place(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reviewer's case: with the id of the workflow waited on known, it was a flow node with a
    cycleGap relation (a wait DolphinScheduler never made); without it, advice to give that id."""
    export = write(tmp_path, [orders(), record(810012, "ds_dep_disabled", [dependent(1, "wait_off", "NO", 41),
                                                                           shell(2, "work")], [(0, 1), (1, 2)])])
    for options in ('options = { flow_ids = "41=5001" }', ""):
        _, inventory, _ = plan_json(capsys, ds_config(tmp_path, export, options=options))
        assert inventory["invalid"] == 0 and inventory["warnings_by_code"] == {"TASK_DISABLED": 1}, options
    rows = [r for r in flows_of("dolphinscheduler", export, flow_ids="41=5001") if r["flow_name"] == "ds_dep_disabled"]
    assert [(r["task_id"], r["task_name"], r["upstream"]) for r in rows] == [("1", "wait_off", ""),
                                                                            ("2", "work", "1")]
    assert rows[0]["flow_upstream"] == "" and rows[0]["command"].startswith(SWITCHED_OFF_PREFIX)
    said = codes(rows[0])["TASK_DISABLED"]
    assert "tasks ['wait_off'] were switched off" in said
    assert "DEPENDENT task wait_off waits on workflow 41 (orders): switched off, DolphinScheduler did not wait" in said
    assert "TASK_BODY_AS_TEXT" not in codes(rows[0])  # its body is never reached: nothing to rework


def dependents_in_a_row() -> list[dict[str, Any]]:
    """start -> wait_on (DEPENDENT on 41, switched on) -> wait_off (on 43, switched off) -> work."""
    return [orders(), record(42, "report", [shell(1, "start"), dependent(2, "wait_on", "YES", 41),
                                            dependent(3, "wait_off", "NO", 43), shell(4, "work")],
                             [(0, 1), (1, 2), (2, 3), (3, 4)])]


def test_a_dependent_task_switched_on_before_one_switched_off_waits_only_on_its_own_workflow(tmp_path: Path) -> None:
    export = write(tmp_path, dependents_in_a_row())
    report = [r for r in flows_of("dolphinscheduler", export, flow_ids="41=5001; 43=5003") if r["flow_name"] == "report"]
    assert [(r["task_name"], r["upstream"]) for r in report] == [("start", ""), ("wait_off", "1"), ("work", "3")]
    # the wait that was made is on the task that ran after it: the placeholder, before work
    assert json.loads(report[0]["flow_upstream"]) == [{"flowId": "5001", "flowName": "orders", "cycleGap": "D0",
                                                      "targets": ["3"]}]
    assert set(codes(report[0])) == {"TASK_DISABLED"} and "waits on workflow 43:" in codes(report[0])["TASK_DISABLED"]
    without_ids = by_flow(flows_of("dolphinscheduler", export))["report"]
    crossing = codes(without_ids)["CROSS_FLOW_DEPENDENCY"]  # the advice is for the wait that was made only
    assert "wait_on waited on workflow 41 (orders)" in crossing and "43" not in crossing


def test_run_saves_a_dependent_task_switched_off_as_a_task_and_no_flow_node(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: report is created with the one flow node of the wait that was made (f_1001), and
    wait_off a task of its own in its place, between the waits and work."""
    saved = created_report(tmp_path, capsys, write(tmp_path, dependents_in_a_row()[1:]))
    graph = saved["graph"]
    names = {t["nodeId"]: t["taskName"] for t in graph["tasks"]} | {f["nodeId"]: f["nodeId"] for f in graph["flows"]}
    assert [f["nodeId"] for f in graph["flows"]] == ["f_1001"]
    assert {(names[r["source"]], names[r["target"]]) for r in graph["relations"]} == {
        ("start", "wait_off"), ("f_1001", "wait_off"), ("wait_off", "work")}
    wait_off = next(t["taskId"] for t in graph["tasks"] if t["taskName"] == "wait_off")
    assert saved["task_details"][wait_off]["cmd"].startswith(SWITCHED_OFF_PREFIX)


def test_a_1x_dependent_task_forbidden_waits_on_nothing(tmp_path: Path) -> None:
    """1.x writes a task switched off as runFlag FORBIDDEN: daily_sales's wait_clicks so switched off."""
    records = json.loads(V1_EXPORT.read_text(encoding="utf-8"))
    daily = next(r for r in records if r["processDefinitionName"] == "daily_sales")
    definition = json.loads(daily["processDefinitionJson"])
    wait = next(t for t in definition["tasks"] if t["name"] == "wait_clicks")
    wait["runFlag"] = "FORBIDDEN"
    daily["processDefinitionJson"] = json.dumps(definition)
    path = write(tmp_path, records)
    rows = [r for r in flows_of("dolphinscheduler", path, flow_ids="41=2788") if r["flow_name"] == "daily_sales"]
    names = {r["task_id"]: r["task_name"] for r in rows}
    upstream = {r["task_name"]: {names[u] for u in r["upstream"].split(";") if u} for r in rows}
    assert upstream["wait_clicks"] == set() and upstream["extract"] == {"wait_clicks"}
    assert rows[0]["flow_upstream"] == "" and "CROSS_FLOW_DEPENDENCY" not in codes(rows[0])
    assert "task wait_clicks waits on workflow 41 (hourly_clicks)" in codes(rows[0])["TASK_DISABLED"]


# -- the other special types switched off -----------------------------------------------------------

TYPES = ("CONDITIONS", "SWITCH", "BLOCKING", "SUB_PROCESS", "DYNAMIC")


def one_of_each(keys: tuple[str, str, str]) -> list[dict[str, Any]]:
    """A workflow per type: before -> <type> switched off -> after; and a CONDITIONS task switched off
    that nothing comes after."""
    records = [record(100 + number, task_type.lower(), [shell(1, "before"), special(2, "off", task_type),
                                                         shell(3, "after")], [(0, 1), (1, 2), (2, 3)], keys)
               for number, task_type in enumerate(TYPES)]
    return [*records, record(200, "last_conditions", [shell(1, "before"), special(2, "off", "CONDITIONS")],
                             [(0, 1), (1, 2)], keys)]


def test_a_special_task_switched_off_in_a_3_3_export_is_skipped_with_every_task_after_it_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DolphinScheduler 3.3 passes a task switched off on to every task after it, a CONDITIONS or
    SWITCH task's branches too (SuccessorFlowAdjuster): what a flow does with the placeholder."""
    export = write(tmp_path, one_of_each(NEWER_KEYS))
    _, inventory, _ = plan_json(capsys, ds_config(tmp_path, export))
    assert inventory["invalid"] == 0 and inventory["warnings_by_code"] == {"TASK_DISABLED": 6}
    for name, row in by_flow(flows_of("dolphinscheduler", export)).items():
        assert "'off'" in codes(row)["TASK_DISABLED"], name
    rows = [r for r in flows_of("dolphinscheduler", export) if r["flow_name"] == "conditions"]
    assert [(r["task_name"], r["upstream"]) for r in rows] == [("before", ""), ("off", "1"), ("after", "2")]


def test_a_conditions_or_switch_task_switched_off_before_3_3_is_refused_for_the_tasks_it_never_led_to(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before 3.3, DolphinScheduler went from a CONDITIONS or SWITCH task only to the branch its run
    chose (DagHelper.parsePostNodes): switched off, it had no run and the tasks after it did not
    start, which a flow would run. BLOCKING, SUB_PROCESS and DYNAMIC ones were passed over; one that
    nothing comes after leaves nothing to run either."""
    export = write(tmp_path, one_of_each(OLDER_KEYS))
    _, inventory, _ = plan_json(capsys, ds_config(tmp_path, export))
    assert inventory["invalid"] == 2 and inventory["invalid_by_reason"] == {"TASK_TYPE_NOT_CARRIED": 2}
    flows = by_flow(flows_of("dolphinscheduler", export))
    for name in ("conditions", "switch"):
        refused = codes(flows[name], "__errors__")["TASK_TYPE_NOT_CARRIED"]
        assert f"task off ({name.upper()}) is switched off" in refused and "before 3.3" in refused
        # not also TASK_DISABLED's "skipped them and ran the tasks after them", its opposite (a reviewer's)
        assert "TASK_DISABLED" not in codes(flows[name]), flows[name]
    for name in ("blocking", "sub_process", "dynamic", "last_conditions"):
        assert flows[name]["__errors__"] in ("", "[]") and "'off'" in codes(flows[name])["TASK_DISABLED"], name
