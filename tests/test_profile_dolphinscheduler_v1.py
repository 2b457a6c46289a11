"""The dolphinscheduler profile on DolphinScheduler 1.x exports (tests/fixtures/dolphinscheduler_v1/,
built in the shape 1.2 and 1.3 write them: a list of ProcessMeta records whose processDefinitionJson,
locations and connects are JSON strings, with the schedule's fields flat beside them). Through the
profile's rows, `migrate plan --json` with the shipped config, and `migrate run` against the
emulator; property tests on random workflows (relations from preTasks, the Quartz crontab)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, base_state, plan_profile, profile_run_config, standard_cells
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_profiles import run_json

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.schedule.convert import convert
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Converted
from migrate.sources.profiles import registry

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dolphinscheduler_v1"
EXPORT = FIXTURES / "export.json"
EXAMPLE = REPO / "data" / "examples" / "dolphinscheduler-1.x.json"


def rows_of(path: Path, **options: Any) -> list[dict[str, str]]:
    settings = SourceSettings(path=path, profile="dolphinscheduler", options=options)
    return [standard_cells(row) for row in registry()["dolphinscheduler"].read(settings)]


def flows(path: Path = EXPORT, **options: Any) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for row in rows_of(path, **options):
        found.setdefault(row["flow"], []).append(row)
    return found


def codes(row: dict[str, str], column: str = "__warnings__") -> dict[str, str]:
    found: dict[str, str] = {}
    for item in json.loads(row[column] or "[]"):
        found[item["code"]] = (found.get(item["code"], "") + " | " + item["message"]).strip(" |")
    return found


def graph(rows: list[dict[str, str]]) -> dict[str, set[str]]:
    """Task name -> the names of the tasks before it."""
    names = {row["task_id"]: row["task_name"] for row in rows}
    return {row["task_name"]: {names[u] for u in row["upstream"].split(";") if u} for row in rows}


def write(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def records() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(EXPORT.read_text(encoding="utf-8"))
    return loaded


# -- what a 1.x record carries -------------------------------------------------------------------------

def test_a_workflow_is_keyed_by_project_and_name_with_its_schedule() -> None:
    daily = flows()["workflow warehouse/daily_sales"]
    first = daily[0]
    assert first["flow_name"] == "daily_sales" and first["schedule"] == "0 0 2 * * ? *"
    assert first["start"] == "2024-01-01 00:00:00" and first["start_date"] == "2024-01-01"
    assert first["timezone"] == ""  # 1.x names no zone: [mapping] source_timezone says the server's
    assert "HOST_TIMEZONE" in codes(first)  # and the flow says so (it was silent: the service's zone assumed)
    assert first["desc"] == "daily sales into the warehouse"


def test_relations_follow_pre_tasks_and_a_dependent_task_is_a_flow_dependency() -> None:
    daily = flows(flow_ids="41=2788")["workflow warehouse/daily_sales"]
    assert graph(daily) == {"extract": set(), "load_hive": {"extract"}, "spark_agg": {"load_hive"},
                            "report": {"load_hive", "spark_agg"}}  # wait_clicks became the flow node
    extract = next(row["task_id"] for row in daily if row["task_name"] == "extract")
    assert extract == "2"  # its place in the workflow: a task id is a number, 1.x's "tasks-51935" is not
    assert json.loads(daily[0]["flow_upstream"]) == [{"flowId": "2788", "flowName": "hourly_clicks",
                                                      "cycleGap": "D0", "targets": [extract]}]
    without_id = flows()["workflow warehouse/daily_sales"][0]
    # 1.3's exporter names the workflow waited on by project and name too: it is this export's hourly_clicks
    # (it was "workflow 41, not in this export"), given in flow_ids by its code here, project/name
    said = codes(without_id)["CROSS_FLOW_DEPENDENCY"]
    assert "waited on workflow warehouse/hourly_clicks (hourly_clicks), in this export" in said, said
    assert '"warehouse/hourly_clicks=<flow id>"' in said
    by_name = flows(flow_ids="warehouse/hourly_clicks=2788")["workflow warehouse/daily_sales"][0]
    assert json.loads(by_name["flow_upstream"])[0]["flowId"] == "2788"


def test_flow_ids_in_a_csv_written_with_quotes(tmp_path: Path) -> None:
    # A spreadsheet saves `"warehouse/hourly_clicks","2788"`: the quotes were kept, and the code matched nothing.
    path = write(tmp_path, records())
    (tmp_path / "ids.csv").write_text('code,flow_id\n"warehouse/hourly_clicks","2788"\n', encoding="utf-8")
    daily = flows(path, flow_ids="ids.csv")["workflow warehouse/daily_sales"][0]
    assert json.loads(daily["flow_upstream"])[0]["flowId"] == "2788"


def test_a_dependent_item_naming_a_task_waits_on_the_whole_flow_and_says_so(tmp_path: Path) -> None:
    edited = records()[:1]
    data = json.loads(edited[0]["processDefinitionJson"])
    data["tasks"][0]["dependence"]["dependTaskList"][0]["dependItemList"][0]["depTasks"] = "load_clicks"
    edited[0]["processDefinitionJson"] = json.dumps(data)
    row = flows(write(tmp_path, edited), flow_ids="41=2788")["workflow warehouse/daily_sales"][0]
    assert "waited on task load_clicks of workflow 41 (hourly_clicks)" in codes(row)["DEPENDENCY_ON_TASK"]
    assert json.loads(row["flow_upstream"])[0]["flowId"] == "2788"


def test_task_bodies_parameters_and_settings_are_carried_or_named() -> None:
    daily = {row["task_name"]: row for row in flows()["workflow warehouse/daily_sales"]}
    # its local parameter batch=500 in its place, as DolphinScheduler put it; dt is the flow's parameter
    assert daily["extract"]["command"].startswith("#!/bin/bash\nset -e\nsh /opt/etl/extract.sh ${dt} 500\n")
    assert daily["load_hive"]["command"].startswith("SQL on datasource 3 (HIVE):\nINSERT OVERWRITE TABLE dw.sales")
    assert "main class: com.example.Aggregate" in daily["spark_agg"]["command"]
    assert json.loads(daily["extract"]["params"]) == [{"key": "dt", "value": "$[yyyyMMdd-1]"},
                                                      {"key": "env", "value": "prod"}]
    warnings = codes(daily["extract"])
    assert "extract: up to 2 retries, 5 minute(s) apart" in warnings["RETRY"]
    assert "sent a time-out alert and failed the task" in warnings["TIMEOUT"]
    assert "whole workflow out after 120 minute(s)" in warnings["TIMEOUT"]
    assert "extract: taskPriority HIGH" in warnings["PRIORITY"] and "extract: workerGroup etl" in warnings[
        "WORKER_GROUP"]
    assert "['spark_agg']" in warnings["TASK_DISABLED"]  # runFlag FORBIDDEN
    assert "scripts/extract.sh" in warnings["TASK_RESOURCES"] and "LOCAL_PARAMS" not in warnings
    assert "tenant id 2" in warnings["RUN_AS"] and "rows_out" in warnings["PARAM_NOT_CARRIED"]
    assert "scheduleFailureStrategy END" in warnings["FAILURE_STRATEGY"]
    assert "alert group 2" in warnings["ALERT_GROUP"] and daily["extract"]["alert"] == "1"
    assert "x" in daily["extract"] and 0 < float(daily["extract"]["x"]) < 1


def test_every_exported_schedule_says_offline_so_the_flow_is_inactive_and_told_why() -> None:
    daily = flows()["workflow warehouse/daily_sales"][0]
    assert daily["active"] == "0"
    message = codes(daily)["INACTIVE_SOURCE"]
    assert "writes every schedule's scheduleReleaseState as OFFLINE" in message and "enable the flows" in message
    clicks = flows()["workflow warehouse/hourly_clicks"][0]
    assert "endTime 2023-12-31 00:00:00 has passed" in codes(clicks)["INACTIVE_SOURCE"]


def test_a_schedule_written_online_is_active(tmp_path: Path) -> None:
    edited = records()[:2]
    edited[0]["scheduleReleaseState"] = "ONLINE"
    row = flows(write(tmp_path, edited))["workflow warehouse/daily_sales"][0]
    assert row["active"] == "1" and "INACTIVE_SOURCE" not in codes(row)


def test_a_workflow_without_schedule_is_unscheduled_and_branching_refused() -> None:
    backfill = flows()["workflow warehouse/manual_backfill"][0]
    assert backfill["schedule"] == "" and "no schedule" in backfill["unscheduled"]
    assert "branch (CONDITIONS)" in codes(backfill, "__errors__")["TASK_TYPE_NOT_CARRIED"]
    refused = codes(backfill, "__errors__")["TASK_TYPE_NOT_CARRIED"]
    assert "rerun (SUB_PROCESS) ran workflow 41 inside this one, which is not in this export" in refused
    assert 'add "processDefinitionId": 41 to that workflow\'s record' in refused  # how 1.x names it


def test_a_sub_process_of_a_workflow_in_the_export_is_laid_out(tmp_path: Path) -> None:
    """1.x names a SUB_PROCESS's workflow by processDefinitionId: with that workflow's record in the
    export (its id given), its tasks are laid out where the SUB_PROCESS task was."""
    edited = records()
    sales = next(r for r in edited if r["processDefinitionName"] == "daily_sales")
    sales["processDefinitionId"] = 41
    found = flows(write(tmp_path, edited))
    backfill = found["workflow warehouse/manual_backfill"]
    inner = {row["task_name"] for row in found["workflow warehouse/daily_sales"]}
    assert inner and {f"rerun.{name}" for name in inner} <= set(graph(backfill))
    assert all(graph(backfill)[f"rerun.{name}"] <= {"branch"} | {f"rerun.{n}" for n in inner} for name in inner)
    assert "rerun" not in codes(backfill[0], "__errors__")["TASK_TYPE_NOT_CARRIED"]  # the CONDITIONS task still is
    assert "task rerun ran workflow 41 (daily_sales) inside this one" in codes(backfill[0])["SUB_WORKFLOW"]


def test_version_1_2_worker_groups_by_id() -> None:
    old = flows()["workflow legacy/old_etl"][0]
    warnings = codes(old)
    assert "step_two: workerGroup id 3" in warnings["WORKER_GROUP"] and "worker group 3" in warnings["WORKER_GROUP"]
    assert "step_one" not in warnings["WORKER_GROUP"]  # workerGroupId -1: the default
    assert "priority HIGH (scheduleProcessInstancePriority)" in warnings["PRIORITY"]


def test_a_malformed_record_fails_alone() -> None:
    found = flows()
    assert "processDefinitionJson is not valid JSON" in codes(found["workflow legacy/broken_json"][0],
                                                              "__errors__")["MALFORMED_RECORD"]
    assert "two tasks are named 'same'" in codes(found["workflow legacy/twins"][0], "__errors__")["MALFORMED_RECORD"]
    assert "lacks ['projectName']" in codes(found["workflow record 8"][0], "__errors__")["MALFORMED_RECORD"]
    redrawn = found["workflow legacy/redrawn"][0]
    assert "['zeroth']" in codes(redrawn, "__errors__")["BROKEN_REFERENCE"]
    assert "the relations follow preTasks" in codes(redrawn)["BROKEN_REFERENCE"]
    assert codes(found["workflow warehouse/hourly_clicks"][0], "__errors__") == {}


def test_schedule_fields_without_a_crontab_are_malformed(tmp_path: Path) -> None:
    edited = records()[:2]
    del edited[1]["scheduleCrontab"]
    row = flows(write(tmp_path, edited))["workflow warehouse/hourly_clicks"][0]
    assert "but no scheduleCrontab" in codes(row, "__errors__")["MALFORMED_RECORD"]


# -- files and the CLI -----------------------------------------------------------------------------------

def test_plan_of_the_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan_profile(tmp_path, capsys, "dolphinscheduler", EXPORT,
                                      source_lines='options = { flow_ids = "41=2788" }',
                                      target='timezone = "Asia/Shanghai"')
    assert code == 5 and inventory["flows_found"] == 8 and inventory["convertible"] == 3
    assert inventory["invalid_by_reason"] == {"MALFORMED_RECORD": 3, "TASK_TYPE_NOT_CARRIED": 1,
                                              "BROKEN_REFERENCE": 1}


def test_the_shipped_config_reads_a_1x_export_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ds.toml"
    text = (REPO / "configs" / "dolphinscheduler.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("../data/examples/dolphinscheduler.json", str(EXAMPLE))
                      .replace("../data/", f"{REPO / 'data'}/").replace("../results/", f"{tmp_path}/"), "utf-8")
    assert main(["plan", str(config), "--offline", "--json"]) == 3
    inventory = json.loads(capsys.readouterr().out)
    assert inventory["flows_found"] == inventory["convertible"] == 2
    assert inventory["warnings_by_code"]["INACTIVE_SOURCE"] == 1


def test_run_saves_a_1x_workflow_with_its_relations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "ds.toml", "dolphinscheduler", EXAMPLE, extra='[mapping]\nunscheduled = '
                                '"manual"', target='timezone = "Asia/Shanghai"', run="create_missing = true")
    code, report = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"created": 2}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = {f["name"]: f for f in (json.loads(v) for (v,) in db.execute(
            "SELECT value FROM state WHERE key LIKE 'flow:%'"))}
    backup = stored["nightly_backup"]["graph"]
    node = {t["taskName"]: t["nodeId"] for t in backup["tasks"]}
    assert {(r["source"], r["target"]) for r in backup["relations"]} == {(node["dump"], node["upload"]),
                                                                         (node["upload"], node["prune"])}
    assert backup["freq"] == "0 15 1 * * ? *" and stored["nightly_backup"]["active"] == 0


def test_a_file_of_records_missing_what_1x_requires_is_refused(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, [{"processDefinitionName": "x", "processDefinitionJson": "{\"tasks\": []}"}])
    code, _, err = plan_profile(tmp_path, capsys, "dolphinscheduler", path)
    assert code == 1 and "looks like a DolphinScheduler 1.x export" in err and "projectName" in err


# -- property tests ----------------------------------------------------------------------------------------

names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters=",;"), min_size=1, max_size=12).map(
    str.strip).filter(bool)


@st.composite
def workflows(draw: st.DrawFn) -> tuple[list[str], dict[str, list[str]], str]:
    """Task names, each task's preTasks (earlier tasks), and a Quartz crontab."""
    tasks = draw(st.lists(names, min_size=1, max_size=8, unique=True))
    pre = {t: draw(st.lists(st.sampled_from(tasks[:i]), unique=True, max_size=3)) if i else []
           for i, t in enumerate(tasks)}
    minute, hour = draw(st.integers(0, 59)), draw(st.sampled_from(["*", "3", "0/6", "1-5", "2,14"]))
    days = draw(st.sampled_from([("*", "?"), ("?", "MON-FRI"), ("1,15", "?"), ("L", "?"), ("?", "6#2")]))
    return tasks, pre, f"0 {minute} {hour} {days[0]} * {days[1]} *"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(workflow=workflows())
def test_a_random_1x_workflow_keeps_its_relations_and_schedule(tmp_path: Path,
                                                               workflow: tuple[list[str], dict[str, list[str]], str]
                                                               ) -> None:
    tasks, pre, crontab = workflow
    data = {"globalParams": [], "tenantId": -1, "timeout": 0, "tasks": [
        {"id": f"tasks-{i}", "name": t, "type": "SHELL", "runFlag": "NORMAL", "preTasks": pre[t], "dependence": {},
         "params": {"rawScript": f"echo {i}", "localParams": [], "resourceList": []}, "maxRetryTimes": "0",
         "retryInterval": "1", "timeout": {"enable": False, "strategy": ""}, "taskInstancePriority": "MEDIUM",
         "workerGroup": "default"} for i, t in enumerate(tasks)]}
    record = {"projectName": "p", "processDefinitionName": "w", "processDefinitionJson": json.dumps(data),
              "processDefinitionLocations": "{}", "processDefinitionConnects": "[]", "scheduleCrontab": crontab,
              "scheduleStartTime": "2024-01-01 00:00:00", "scheduleEndTime": "2124-01-01 00:00:00",
              "scheduleReleaseState": "OFFLINE", "scheduleWarningType": "NONE", "scheduleFailureStrategy": "CONTINUE"}
    rows = flows(write(tmp_path, [record]))["workflow p/w"]
    assert rows[0]["__errors__"] == ""
    assert graph(rows) == {t: set(pre[t]) for t in tasks}
    assert {r["task_name"]: r["command"] for r in rows} == {t: f"echo {i}" for i, t in enumerate(tasks)}
    assert rows[0]["schedule"] == crontab
    converted = convert(crontab, "quartz")
    assert isinstance(converted, Converted)
    start = datetime(2025, 1, 1)
    assert list(islice(parse_quartz(converted.freq).fire_times(start), 20)) == list(
        islice(parse_quartz(crontab).fire_times(start), 20))


# -- real exports: a DEPENDENT task waiting on several tasks of one workflow -------------------------------

def waiting_on_tasks_and_all(tmp_path: Path) -> Path:
    """daily_sales's DEPENDENT task as a real 1.x export writes one on two tasks and the whole of
    another workflow: three dependTaskList groups, one item each, the same definitionId."""
    edited = records()[:1]
    data = json.loads(edited[0]["processDefinitionJson"])
    data["tasks"][0]["dependence"]["dependTaskList"] = [
        {"relation": "AND", "dependItemList": [{"projectName": "warehouse", "definitionId": 41, "definitionName":
                                                "hourly_clicks", "depTasks": depended, "cycle": "day",
                                                "dateValue": "today"}]}
        for depended in ("load_clicks", "dedupe_clicks", "ALL")]
    edited[0]["processDefinitionJson"] = json.dumps(data)
    return write(tmp_path, edited)


def test_one_warning_per_workflow_waited_on_names_its_tasks_and_the_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = waiting_on_tasks_and_all(tmp_path)
    code, planned, err = plan_profile(tmp_path, capsys, "dolphinscheduler", path, target='timezone = "Asia/Shanghai"')
    assert code == 3, err
    crossing = [w["message"] for w in planned["actions"][0]["warnings"] if w["code"] == "CROSS_FLOW_DEPENDENCY"]
    assert crossing == [
        "DEPENDENT task wait_clicks waited on workflow 41 (hourly_clicks), not in this export (its tasks load_clicks, "
        "dedupe_clicks and the whole workflow): not carried, its EnOS flow id is not known: give it in [source] options "
        'flow_ids ("41=<flow id>", or a CSV of code,flow_id) to carry it as a flow node with cycleGap D0']

    code, planned, err = plan_profile(tmp_path, capsys, "dolphinscheduler", path, target='timezone = "Asia/Shanghai"',
                                      source_lines='options = { flow_ids = "41=2788" }')
    assert code == 3, err
    warned = planned["actions"][0]["warnings"]
    assert "CROSS_FLOW_DEPENDENCY" not in [w["code"] for w in warned]
    assert [w["message"] for w in warned if w["code"] == "DEPENDENCY_ON_TASK"] == [
        f"DEPENDENT task wait_clicks waited on task {task} of workflow 41 (hourly_clicks); the flow waits on the whole "
        "flow 2788" for task in ("load_clicks", "dedupe_clicks")]


def test_two_projects_workflows_of_one_name_are_told_duplicate_by_name(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Two projects' workflows of one name are one flow of the service (flows without an id are
    found by name): the second is refused, saying so (NAME_COLLISION, naming the first). The offline
    plan said "the same flow (the same source key)", though their keys differ, and then "duplicate",
    though they are two jobs."""
    first = records()[0]
    other = {**first, "projectName": "marketing"}
    code, plan, err = plan_profile(tmp_path, capsys, "dolphinscheduler", write(tmp_path, [first, other]))
    assert code == 5, err
    [duplicate] = [f for f in plan["invalid_flows"] if f["errors"][0]["code"] == "NAME_COLLISION"]
    message = duplicate["errors"][0]["message"]
    assert duplicate["source_key"] == f"workflow marketing/{first['processDefinitionName']}", duplicate
    assert (f"name {first['processDefinitionName']!r} is also the flow name of 'workflow "
            f"{first['projectName']}/{first['processDefinitionName']}' (row 1): two jobs would be one flow") in message
