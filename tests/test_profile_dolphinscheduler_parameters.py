"""The dolphinscheduler profile on the `${name}` in a shell task's script: DolphinScheduler replaced
each with its parameter's value before the task ran (ParameterUtils.convertParameterPlaceholders),
the task's own IN parameters over the OUT ones of the tasks before it over the workflow's global
ones. A value known before the run is put in the script as DolphinScheduler put it; a value known
only at run time (a time expression, a built-in, another task's OUT parameter) and a name that no
parameter has are kept as written and named, with the task. Exports written here in the shapes
3.x and 1.x write them; through the profile's rows and one `migrate run` against the emulator."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, profile_run_config
from test_profiles import flows_of, run_json


def param(prop: str, value: str = "", direct: str = "IN") -> dict[str, str]:
    return {"prop": prop, "direct": direct, "type": "VARCHAR", "value": value}


def shell(code: int, name: str, script: str, *local: dict[str, str], kind: str = "SHELL") -> dict[str, Any]:
    return {"code": code, "name": name, "taskType": kind, "flag": "YES",
            "taskParams": {"localParams": list(local), "rawScript": script, "resourceList": []}}


def export_3x(tmp_path: Path, tasks: list[dict[str, Any]], global_params: list[dict[str, str]],
              upstream: dict[int, list[int]] | None = None) -> Path:
    """One unscheduled 3.x workflow whose tasks run one after the other, in the order given (or
    after the tasks `upstream` names for each: none, a task that starts the run)."""
    pairs = ([(before, task["code"]) for before, task in zip([0] + [t["code"] for t in tasks], tasks, strict=False)]
             if upstream is None else
             [(before, task["code"]) for task in tasks for before in upstream.get(task["code"], []) or [0]])
    relations = [{"preTaskCode": before, "postTaskCode": after, "processDefinitionCode": 900} for before, after in pairs]
    record = {"processDefinition": {"code": 900, "name": "params_wf", "releaseState": "ONLINE",
                                    "globalParams": json.dumps(global_params), "userName": "admin"},
              "processTaskRelationList": relations, "taskDefinitionList": tasks}
    path = tmp_path / "export.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    return path


def commands_and_warnings(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Task name -> its command; warning code -> its message (the flow's)."""
    rows = flows_of("dolphinscheduler", path)
    warnings = {w["code"]: w["message"] for w in json.loads(rows[0]["__warnings__"] or "[]")}
    return {row["task_name"]: row["command"] for row in rows}, warnings


GLOBALS = [param("dt", "$[yyyyMMdd-1]"), param("mode", "full"), param("region", "cn")]


def test_a_local_parameter_known_before_the_run_is_put_in_the_script(tmp_path: Path) -> None:
    """`echo load ${in_p}` with in_p=abc was saved as is, abc only in a comment: ${in_p} was empty when it ran."""
    commands, warnings = commands_and_warnings(export_3x(tmp_path, [
        shell(1, "load", "echo load ${in_p}", param("in_p", "abc")),
        # the task's own value over the workflow's (mode), a global one left to the flow's parameter (region)
        shell(2, "own_first", "run.sh --mode ${mode} --region ${region}", param("mode", "incr")),
        # a value made of other parameters' values known before the run: theirs, resolved as DolphinScheduler does
        shell(3, "chained", "ls ${path} ${name}", param("path", "/data/${region}/${mode}"),
              param("name", "${stem}.csv"), param("stem", "sales")),
        # its own name in its value is the global parameter's ("local refers to global of the same name")
        shell(4, "same_name", "echo ${region}", param("region", "${region}-north")),
    ], GLOBALS))
    assert commands == {"load": "echo load abc", "own_first": "run.sh --mode incr --region ${region}",
                        "chained": "ls /data/cn/full sales.csv", "same_name": "echo cn-north"}
    assert "LOCAL_PARAMS" not in warnings and "RUNTIME_PARAMETER" not in warnings, warnings
    assert "UNDEFINED_PARAMETER" not in warnings, warnings


def test_values_known_only_at_run_time_stay_as_written_and_are_named_with_the_task(tmp_path: Path) -> None:
    """prep's OUT parameter out_x, used by after as ${out_x}, was saved as is with no word on after."""
    commands, warnings = commands_and_warnings(export_3x(tmp_path, [
        shell(1, "prep", "echo prep ${in_y}; echo '${setValue(out_x=42)}'", param("in_y", "${dt}"),
              param("out_x", direct="OUT")),
        shell(2, "after", "echo after ${out_x}"),
        shell(3, "dates", "echo $[yyyyMMdd] ${system.datetime} ${day} ${dt}", param("day", "$[yyyyMMdd+1]")),
    ], GLOBALS))
    assert commands["prep"] == ("echo prep ${in_y}; echo '${setValue(out_x=42)}'\n"
                                "# DolphinScheduler local parameters: in_y=${dt}, out_x (OUT)")
    assert commands["after"] == "echo after ${out_x}"
    assert commands["dates"] == ("echo $[yyyyMMdd] ${system.datetime} ${day} ${dt}\n"
                                 "# DolphinScheduler local parameters: day=$[yyyyMMdd+1]")
    run_time = warnings["RUNTIME_PARAMETER"]
    assert "after: ${out_x} (the OUT parameter out_x that task prep set as it ran" in run_time
    assert ("prep: ${in_y} (local parameter in_y is ${dt}: global parameter dt is $[yyyyMMdd-1], a time "
            "expression") in run_time
    assert "dates: ${day} (local parameter day is $[yyyyMMdd+1], a time expression" in run_time
    assert "dates: ${system.datetime} (a built-in value" in run_time and "dates: $[yyyyMMdd] (a time" in run_time
    assert "dates: ${dt}" not in run_time  # the flow's parameter dt carries it (PARAM_EXPRESSION names its value)
    assert "prep: in_y=${dt}, out_x (OUT)" in warnings["LOCAL_PARAMS"]
    assert "UNDEFINED_PARAMETER" not in warnings  # setValue(…) is how prep set out_x, not a parameter


def test_a_name_that_no_parameter_has_stays_as_written_and_is_named(tmp_path: Path) -> None:
    commands, warnings = commands_and_warnings(export_3x(tmp_path, [
        shell(1, "env", 'for f in a b; do echo ${f} ${TARGET} ${HOME:-/root} ${1}; done; n=2; echo ${n} ${p}',
              param("p", "x_${nowhere}")),
    ], GLOBALS))
    # DolphinScheduler left an unknown name as it was, in a value too: so does the flow
    assert commands["env"] == 'for f in a b; do echo ${f} ${TARGET} ${HOME:-/root} ${1}; done; n=2; echo ${n} x_${nowhere}'
    undefined = warnings["UNDEFINED_PARAMETER"]
    assert "env: ${TARGET}" in undefined and "env: ${nowhere} (in local parameter p)" in undefined
    # the script's own variables, shell expansions and positional parameters are the shell's
    assert all(f"${{{name}" not in undefined for name in ("f}", "n}", "HOME", "1}"))


def test_a_body_that_is_not_a_shell_script_keeps_its_parameters_listed(tmp_path: Path) -> None:
    """A SQL task's ${name} is bound by DolphinScheduler as a statement parameter, not pasted in: kept as text."""
    sql = {"code": 1, "name": "load_sql", "taskType": "SQL", "flag": "YES",
           "taskParams": {"localParams": [param("batch", "500")], "type": "HIVE", "datasource": 3,
                          "sql": "select * from t where b = ${batch}"}}
    commands, warnings = commands_and_warnings(export_3x(tmp_path, [sql], GLOBALS))
    assert commands["load_sql"].endswith("select * from t where b = ${batch}\n"
                                         "# DolphinScheduler local parameters: batch=500")
    assert "load_sql: batch=500" in warnings["LOCAL_PARAMS"] and "RUNTIME_PARAMETER" not in warnings


def test_a_1x_export_puts_the_local_parameter_in_the_script(tmp_path: Path) -> None:
    tasks = [{"id": "tasks-1", "name": "load", "type": "SHELL", "runFlag": "NORMAL", "preTasks": [],
              "params": {"rawScript": "echo load ${in_p} ${region}", "localParams": [param("in_p", "abc")]}},
             {"id": "tasks-2", "name": "after", "type": "SHELL", "runFlag": "NORMAL", "preTasks": ["load"],
              "params": {"rawScript": "echo ${rows}", "localParams": []}}]
    definition = {"globalParams": [param("region", "cn"), param("rows", direct="OUT")], "tasks": tasks,
                  "tenantId": -1, "timeout": 0}
    path = tmp_path / "v1.json"
    path.write_text(json.dumps([{"projectName": "dw", "processDefinitionName": "wfA",
                                 "processDefinitionJson": json.dumps(definition)}]), encoding="utf-8")
    commands, warnings = commands_and_warnings(path)
    assert commands == {"load": "echo load abc ${region}", "after": "echo ${rows}"}
    assert "after: ${rows} (the OUT parameter rows that a task of the workflow (a global OUT parameter)" in warnings[
        "RUNTIME_PARAMETER"]
    assert "LOCAL_PARAMS" not in warnings


def test_run_saves_the_script_with_the_value_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = export_3x(tmp_path, [shell(1, "load", "echo load ${in_p}", param("in_p", "abc"))], GLOBALS)
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "ds.toml", "dolphinscheduler", export,
                                extra='[mapping]\nunscheduled = "manual"', target='timezone = "Asia/Shanghai"',
                                run="create_missing = true")
    code, report = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"created": 1}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = [json.loads(v) for (v,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    assert "echo load abc" in json.dumps(stored) and "in_p" not in json.dumps(stored)


SUB_WORKFLOWS = Path(__file__).resolve().parent / "fixtures" / "dolphinscheduler" / "sub_workflows.json"


@pytest.mark.parametrize(("passed", "command"), [("20250101", "sh build_a.sh 20250101"),
                                                 ("$[yyyyMMdd-1]", "sh build_a.sh ${dt}\n# DolphinScheduler "
                                                                   "local parameters: dt=$[yyyyMMdd-1]")])
def test_a_parameter_set_on_the_task_that_ran_a_sub_workflow_is_its_tasks_own(tmp_path: Path, passed: str,
                                                                               command: str) -> None:
    """nightly's run_marts runs marts with dt set on it: DolphinScheduler gave marts' tasks that dt."""
    text = SUB_WORKFLOWS.read_text(encoding="utf-8")
    text = text.replace('"value": "$[yyyyMMdd-1]"', json.dumps({"value": passed})[1:-1], 1)
    path = tmp_path / "sub.json"
    path.write_text(text.replace('"rawScript": "sh build_a.sh"', '"rawScript": "sh build_a.sh ${dt}"'),
                    encoding="utf-8")
    rows = [row for row in flows_of("dolphinscheduler", path) if row["flow_name"] == "nightly"]
    build_a = next(row for row in rows if row["task_name"] == "run_marts.build_a")
    assert build_a["command"] == command
    warnings = {w["code"]: w["message"] for w in json.loads(rows[0]["__warnings__"] or "[]")}
    if passed.startswith("$"):
        assert ("run_marts.build_a: ${dt} (local parameter dt is $[yyyyMMdd-1], a time expression"
                in warnings["RUNTIME_PARAMETER"])
    else:
        assert "RUNTIME_PARAMETER" not in warnings


def test_local_secrets_written_into_commands_are_named(tmp_path: Path) -> None:
    """A local parameter that holds a password (by its name, or in a URL), put in the script or
    listed in the command, is text every owner and visitor reads: SECRET_PARAMETER names it."""
    commands, warnings = commands_and_warnings(export_3x(tmp_path, [
        shell(1, "a", 'mysql -p${db_password} -e "select 1"; echo ${lconn}', param("db_password", "Hunter2xyz"),
              param("lconn", "postgres://etl:s3cret@db.example.com/prod")),
        shell(2, "b", "echo ok", param("region", "cn")),
    ], []))
    assert commands["a"].startswith('mysql -pHunter2xyz -e "select 1"; echo postgres://etl:s3cret@')
    said = warnings["SECRET_PARAMETER"]
    assert "a: db_password, a: lconn look like secrets" in said and "region" not in said, said
    assert "Hunter2xyz" not in said and "s3cret" not in said


def test_an_empty_local_parameter_named_as_an_upstream_out_one_is_its_value_at_run_time(tmp_path: Path) -> None:
    """Task b declares out_x IN with no value, to take what task a set as it ran: it was put in as
    "" (`echo b got  and …`), silently."""
    commands, warnings = commands_and_warnings(export_3x(tmp_path, [
        shell(1, "a", "echo '${setValue(out_x=123)}'", param("out_x", direct="OUT")),
        shell(2, "b", "echo b got ${out_x}", param("out_x")),
    ], []))
    assert commands["b"].startswith("echo b got ${out_x}")
    assert "b: ${out_x} (its local parameter out_x is empty, to take the OUT parameter out_x that task a set" in \
        warnings["RUNTIME_PARAMETER"]


def test_an_out_parameter_reaches_only_the_tasks_after_its_task(tmp_path: Path) -> None:
    """DolphinScheduler passes a task's OUT parameters down its varPool, to the tasks after it: a
    task beside it (`side`) or before it (`first`) never had the value, and their `${out_x}` stayed
    as written, the global parameter of that name given where there is one. All were named as
    run-time values set by task a."""
    commands, warnings = commands_and_warnings(export_3x(tmp_path, [
        shell(1, "first", "echo first ${out_x} ${mode}"),
        shell(2, "a", "echo '${setValue(out_x=1)}'; echo '${setValue(mode=x)}'", param("out_x", direct="OUT"),
              param("mode", direct="OUT")),
        shell(3, "b", "echo b ${out_x} ${mode}"),
        shell(4, "side", "echo side ${out_x} ${mode}"),
        shell(5, "c", "echo c ${out_x}"),
    ], [param("mode", "full")], upstream={2: [1], 3: [2], 4: [1], 5: [3, 4]}))
    run_time, undefined = warnings["RUNTIME_PARAMETER"], warnings["UNDEFINED_PARAMETER"]
    for after in ("b", "c"):  # c after b after a: through b too
        assert f"{after}: ${{out_x}} (the OUT parameter out_x that task a set as it ran" in run_time
    assert "b: ${mode} (the OUT parameter mode that task a set" in run_time
    for before in ("first", "side"):
        assert f"{before}: ${{out_x}}" not in run_time and f"{before}: ${{mode}}" not in run_time
        assert (f"{before}: ${{out_x}} (the OUT parameter of task a, which does not run before it: "
                "DolphinScheduler passed it only to the tasks after that one)") in undefined
        assert f"{before}: ${{mode}}" not in undefined  # the workflow's parameter mode: the flow's carries it
    assert commands["side"] == "echo side ${out_x} ${mode}"
