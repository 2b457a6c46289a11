"""The DolphinScheduler profile on exports built in the shape DolphinScheduler 2.x/3.x writes them
(tests/fixtures/dolphinscheduler/): states, time zone, end dates, parameters, alerts, task bodies,
DEPENDENT tasks as flow dependencies, and files or records that are not what they should be.
Through the profile's rows, `migrate plan --json`, and one `migrate run` against the emulator."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, base_state, profile_run_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_profiles import flows_of, run_json

from migrate.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dolphinscheduler"


def ds_config(tmp_path: Path, source: Path, *, options: str = "", mapping: str = "",
              state: dict[str, Any] | None = None) -> Path:
    """A config over `source` with the dolphinscheduler profile, against an embedded emulator kept
    in a SQLite file, whose service evaluates schedules in Asia/Shanghai (the fixtures' zone)."""
    (tmp_path / "state.json").write_text(json.dumps(state or base_state(flows=0)), encoding="utf-8")
    return profile_run_config(tmp_path / "ds.toml", "dolphinscheduler", source, source_lines=options,
                              extra=f"[mapping]\n{mapping}", target='timezone = "Asia/Shanghai"',
                              run="create_missing = true")


def plan_json(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, Any], str]:
    code = main(["plan", str(config), "--json", "--offline"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def by_flow(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """The first row of each flow, by flow name (it carries the flow's warnings and errors)."""
    first: dict[str, dict[str, str]] = {}
    for row in rows:
        first.setdefault(row["flow_name"], row)
    return first


def codes(row: dict[str, str], column: str = "__warnings__") -> dict[str, str]:
    """Code -> the messages with that code, joined."""
    found: dict[str, str] = {}
    for item in json.loads(row[column] or "[]"):
        found[item["code"]] = (found.get(item["code"], "") + " | " + item["message"]).strip(" |")
    return found


# -- item 2: state -----------------------------------------------------------------------------

def test_active_only_when_the_workflow_and_its_schedule_are_online() -> None:
    flows = by_flow(flows_of("dolphinscheduler", FIXTURES / "states.json"))
    assert {name: row["active"] for name, row in flows.items()} == {
        "both_online": "1", "schedule_offline": "0", "workflow_offline": "0", "ended": "0", "no_schedule": "1"}
    assert "INACTIVE_SOURCE" not in codes(flows["both_online"])
    assert "schedule's releaseState is OFFLINE" in codes(flows["schedule_offline"])["INACTIVE_SOURCE"]
    assert "workflow's releaseState is OFFLINE" in codes(flows["workflow_offline"])["INACTIVE_SOURCE"]
    assert "endTime 2024-12-31 00:00:00 has passed" in codes(flows["ended"])["INACTIVE_SOURCE"]


def test_a_schedule_without_release_state_is_not_assumed_online(tmp_path: Path) -> None:
    export = json.loads((FIXTURES / "states.json").read_text(encoding="utf-8"))[:1]
    del export[0]["schedule"]["releaseState"]
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    row = flows_of("dolphinscheduler", path)[0]
    assert row["active"] == "0" and "does not say whether the schedule is online" in codes(row)["INACTIVE_SOURCE"]


def test_a_schedule_starting_later_in_its_first_day_or_ending_soon_is_said_and_left_unchecked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A schedule from 12:00 on a day ahead, at 02:30 and 14:30: the flow's startTime is that day, and
    it fires at 02:30 too, a run DolphinScheduler never made (the proof said `equivalent`, comparing
    from midnight); one ending inside the compared span was `equivalent` too. At 02:30 alone, the
    flow starts the next day, on which the schedule first runs: exact (START_DATE_SHIFTED)."""
    ahead = (datetime.now() + timedelta(days=30)).date()
    export = json.loads((FIXTURES / "states.json").read_text(encoding="utf-8"))[:1]
    export[0]["schedule"].update(crontab="0 30 2 * * ? *", startTime=f"{ahead} 12:00:00",
                                 endTime="2124-06-01 00:00:00")
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    code, inventory, _ = plan_json(capsys, ds_config(tmp_path, path))
    (action,) = inventory["actions"]
    said = {w["code"]: w for w in action["warnings"]}
    assert "FIRST_DAY" not in said and said["START_DATE_SHIFTED"]["to"] == str(ahead + timedelta(days=1)), said
    export[0]["schedule"]["crontab"] = "0 30 2,14 * * ? *"
    path.write_text(json.dumps(export), encoding="utf-8")
    code, inventory, _ = plan_json(capsys, ds_config(tmp_path, path))
    (action,) = inventory["actions"]
    assert code == 3 and action["proof"]["verdict"] == "unchecked"  # a warning: the flow is saved
    assert "(FIRST_DAY)" in action["proof"]["reason"]
    (first_day,) = [w["message"] for w in action["warnings"] if w["code"] == "FIRST_DAY"]
    assert (f"the source begins at {ahead} 12:00:00, and the flow, whose startTime is a day, at {ahead} 00:00: it "
            f"also fires before the source does, at {ahead} 02:30:00") in first_day
    export[0]["schedule"]["crontab"] = "0 30 2 * * ? *"
    # A start in a zone east of the service's lands the day before there: the source's first run (00:15 in
    # Tokyo, 23:15 the day before in Shanghai) came before the flow's start, lost (the proof said equivalent).
    # (At 00:15 alone the flow now starts that day before, where it fires no earlier than the source: see
    # the next test. At 12:15 too it would fire at 11:15 that day, before the source: the start stays.)
    export[0]["schedule"].update(crontab="0 15 0,12 * * ? *", startTime=f"{ahead} 00:00:00", timezoneId="Asia/Tokyo")
    path.write_text(json.dumps(export), encoding="utf-8")
    code, inventory, _ = plan_json(capsys, ds_config(tmp_path, path))
    (action,) = inventory["actions"]
    (first_day,) = [w["message"] for w in action["warnings"] if w["code"] == "FIRST_DAY"]
    before = ahead - timedelta(days=1)
    assert (f"the source begins at {before} 23:00:00, before the flow's start at {ahead} 00:00 (its startTime is a "
            f"day, in the service's zone): the source's runs at {before} 23:15:00 are not made") in first_day, first_day
    assert action["proof"]["verdict"] == "unchecked"
    export[0]["schedule"]["timezoneId"] = "Asia/Shanghai"
    # Begun half an hour ago (today's run an hour ago): nothing between the two starts is still to come
    local = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    fire = local - timedelta(hours=1)
    export[0]["schedule"].update(crontab=f"0 {fire.minute} {fire.hour} * * ? *",
                                 startTime=f"{local - timedelta(minutes=30):%Y-%m-%d %H:%M:%S}")
    path.write_text(json.dumps(export), encoding="utf-8")
    code, inventory, _ = plan_json(capsys, ds_config(tmp_path, path))
    (action,) = inventory["actions"]
    assert "FIRST_DAY" not in [w["code"] for w in action.get("warnings", [])], action["warnings"]
    export[0]["schedule"].update(startTime="2024-01-01 12:00:00", endTime=f"{ahead} 00:00:00")
    path.write_text(json.dumps(export), encoding="utf-8")
    code, inventory, _ = plan_json(capsys, ds_config(tmp_path, path))
    (action,) = inventory["actions"]
    assert code == 3 and action["proof"]["verdict"] == "unchecked"
    assert f"stops firing after {ahead}" in action["proof"]["reason"]
    assert "FIRST_DAY" not in [w["code"] for w in action["warnings"]]  # begun long ago


def test_plan_counts_the_inactive_flows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan_json(capsys, ds_config(tmp_path, FIXTURES / "states.json"))
    assert code == 5 and inventory["flows_found"] == 5 and inventory["convertible"] == 4
    assert inventory["warnings_by_code"] == {"INACTIVE_SOURCE": 3, "RUN_AS": 4}
    assert inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1}  # item 9: refused by default, with the reason


# -- item 9: no schedule -----------------------------------------------------------------------

def test_a_workflow_without_schedule_is_unscheduled_not_failed(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    row = by_flow(flows_of("dolphinscheduler", FIXTURES / "states.json"))["no_schedule"]
    assert row["unscheduled"].startswith("a DolphinScheduler workflow with no schedule")
    assert row["schedule"] == "" and row["__errors__"] == ""
    _, refused, _ = plan_json(capsys, ds_config(tmp_path, FIXTURES / "states.json"))
    reason = next(f for f in refused["invalid_flows"] if f["name"] == "no_schedule")["errors"][0]["message"]
    assert "no schedule (started by hand" in reason and "MISSING_SCHEDULE" not in json.dumps(refused)
    code, manual, _ = plan_json(capsys, ds_config(tmp_path, FIXTURES / "states.json",
                                                  mapping='unscheduled = "manual"'))
    assert code == 3 and manual["convertible"] == 5 and manual["invalid"] == 0


# -- item 4: time zone and the schedule's dates -------------------------------------------------

def facts_ending(tmp_path: Path, end: str) -> Path:
    path = tmp_path / "facts.json"
    path.write_text((FIXTURES / "facts.json").read_text(encoding="utf-8").replace("ENDS_SOON", end),
                    encoding="utf-8")
    return path


def test_the_schedule_zone_goes_to_the_timezone_column_without_a_warning(tmp_path: Path) -> None:
    flows = by_flow(flows_of("dolphinscheduler", facts_ending(tmp_path, "2124-06-01 00:00:00")))
    assert {name: row["timezone"] for name, row in flows.items()} == {
        "daily_sales": "Europe/Berlin", "success_mail": "UTC", "all_alerts": "Asia/Shanghai"}
    assert not any("TIMEZONE" in codes(row) for row in flows.values())
    assert flows["daily_sales"]["start"] == "2024-06-01 00:00:00" and flows["daily_sales"]["start_date"] == "2024-06-01"


def test_a_schedule_without_a_zone_says_so_until_source_timezone_names_it(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """An export whose schedules name no timezoneId (1.x, early 2.x): DolphinScheduler fired them in
    its server's zone, which the export does not say. The plan said nothing and took the service's."""
    exported = json.loads(facts_ending(tmp_path, "2124-06-01 00:00:00").read_text(encoding="utf-8"))
    for record in exported:
        if isinstance(record.get("schedule"), dict):
            record["schedule"].pop("timezoneId", None)
    source = tmp_path / "no-zone.json"
    source.write_text(json.dumps(exported), encoding="utf-8")
    _, plan, err = plan_json(capsys, ds_config(tmp_path, source))
    scheduled = [a for a in plan["actions"] if a["action"] == "valid" and a["proof"]["verdict"] != "manual"]
    assert scheduled and all("HOST_TIMEZONE" in {w["code"] for w in a["warnings"]} for a in scheduled), err
    _, plan, err = plan_json(capsys, ds_config(tmp_path, source, mapping='source_timezone = "Europe/Berlin"'))
    assert not any("HOST_TIMEZONE" in str(a.get("warnings")) for a in plan["actions"]), err


def test_how_the_schedule_and_the_workflow_ran_their_runs_is_named(tmp_path: Path) -> None:
    """A 2.x/3.x schedule's worker group, priority, failure strategy and environment, the workflow's
    time-out and execution type, a task's group and cache: a 1.x export's named them, a 2.x/3.x
    export's went without a word (found in 3.2 and 3.3 exports). Their defaults say nothing."""
    exported = json.loads(facts_ending(tmp_path, "2124-06-01 00:00:00").read_text(encoding="utf-8"))
    record = exported[0]
    record["schedule"].update(workerGroup="gpu_pool", processInstancePriority="HIGHEST", failureStrategy="END",
                              environmentCode=99)
    record["processDefinition"].update(timeout=30, executionType="SERIAL_WAIT")
    record["taskDefinitionList"][0].update(taskGroupId=6, taskGroupPriority=3, isCache="YES")
    source = tmp_path / "settings.json"
    source.write_text(json.dumps(exported), encoding="utf-8")
    flows = by_flow(flows_of("dolphinscheduler", source))
    said = codes(flows[record["processDefinition"]["name"]])
    assert "worker group gpu_pool" in said["WORKER_GROUP"] and "priority HIGHEST" in said["PRIORITY"]
    assert "failureStrategy END" in said["FAILURE_STRATEGY"] and "environment 99" in said["ENVIRONMENT"]
    assert "after 30 minute(s)" in said["TIMEOUT"] and "SERIAL_WAIT" in said["CONCURRENT_RUNS"]
    assert "group 6, priority 3" in said["TASK_GROUP"] and "isCache YES" in said["TASK_CACHE"]
    quiet = codes(by_flow(flows_of("dolphinscheduler", facts_ending(tmp_path, "2124-06-01 00:00:00")))[
        record["processDefinition"]["name"]])
    assert not {"WORKER_GROUP", "FAILURE_STRATEGY", "ENVIRONMENT", "CONCURRENT_RUNS", "TASK_GROUP",
                "TASK_CACHE"} & set(quiet), quiet


def test_an_end_date_soon_is_reported_and_a_far_one_is_not(tmp_path: Path) -> None:
    soon = (datetime.now() + timedelta(days=200)).strftime("%Y-%m-%d 00:00:00")
    flows = by_flow(flows_of("dolphinscheduler", facts_ending(tmp_path, soon)))
    assert soon in codes(flows["daily_sales"])["SCHEDULE_ENDS"] and flows["daily_sales"]["active"] == "1"
    assert "SCHEDULE_ENDS" not in codes(flows["success_mail"])  # ends in 2124: DolphinScheduler's "never"


# -- item 7: parameters and alerts -------------------------------------------------------------

def test_an_end_date_long_past_saves_the_flow_inactive_whatever_the_clock(tmp_path: Path) -> None:
    flows = by_flow(flows_of("dolphinscheduler", facts_ending(tmp_path, "2003-01-31 00:00:00")))
    assert flows["daily_sales"]["active"] == "0" and "SCHEDULE_ENDS" not in codes(flows["daily_sales"])
    assert "endTime 2003-01-31 00:00:00 has passed" in codes(flows["daily_sales"])["INACTIVE_SOURCE"]


def test_an_end_date_ahead_keeps_the_flow_active_and_names_the_date(tmp_path: Path) -> None:
    flows = by_flow(flows_of("dolphinscheduler", facts_ending(tmp_path, "2031-06-30 00:00:00")))
    assert flows["daily_sales"]["active"] == "1" and "INACTIVE_SOURCE" not in codes(flows["daily_sales"])
    assert "2031-06-30 00:00:00" in codes(flows["daily_sales"])["SCHEDULE_ENDS"]
    assert "stays active" in codes(flows["daily_sales"])["SCHEDULE_ENDS"]


def test_a_schedule_that_ends_before_its_first_run_is_saved_inactive(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """From 12:00 to 23:00 of a day ahead, at 02:30 every day: DolphinScheduler never runs it. The
    flow was saved active from the next day, firing every day for ever (START_DATE_SHIFTED said its
    first run was then)."""
    ahead = (datetime.now() + timedelta(days=30)).date()
    export = json.loads((FIXTURES / "states.json").read_text(encoding="utf-8"))[:1]
    export[0]["schedule"].update(crontab="0 30 2 * * ? *", startTime=f"{ahead} 12:00:00",
                                 endTime=f"{ahead} 23:00:00")
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    config = ds_config(tmp_path, path)
    code, inventory, _ = plan_json(capsys, config)
    (action,) = inventory["actions"]
    said = {w["code"]: w["message"] for w in action["warnings"]}
    assert "START_DATE_SHIFTED" not in said and f"before its first run at {ahead + timedelta(days=1)} 02:30:00: it " \
        "never runs, and the flow is saved inactive" in said["NEVER_RUNS"], said
    code, report = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"created": 1}, report
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        (stored,) = [json.loads(v) for (v,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    assert stored["active"] == 0  # saved, as the source is, never running


def test_a_start_east_of_the_services_zone_starts_the_flow_the_day_before_when_that_is_exact(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """00:15 every day in Tokyo from a day ahead: its first run is 23:15 the day before in Shanghai.
    The flow started on the Tokyo date and missed that run (FIRST_DAY); it starts the day before
    now (START_DATE_SHIFTED), on which it fires only at 23:15, when the source does: exact."""
    ahead = (datetime.now() + timedelta(days=30)).date()
    export = json.loads((FIXTURES / "states.json").read_text(encoding="utf-8"))[:1]
    export[0]["schedule"].update(crontab="0 15 0 * * ? *", startTime=f"{ahead} 00:00:00", timezoneId="Asia/Tokyo",
                                 endTime="2124-06-01 00:00:00")
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    code, inventory, _ = plan_json(capsys, ds_config(tmp_path, path))
    (action,) = inventory["actions"]
    assert code == 3 and action["action"] == "valid", action
    codes_said = [w["code"] for w in action["warnings"]]
    assert "FIRST_DAY" not in codes_said and "START_DATE_SHIFTED" in codes_said, action["warnings"]
    (shifted,) = [w for w in action["warnings"] if w["code"] == "START_DATE_SHIFTED"]
    assert shifted["to"] == (ahead - timedelta(days=1)).isoformat(), shifted


def test_global_parameters_become_flow_parameters(tmp_path: Path) -> None:
    flows = by_flow(flows_of("dolphinscheduler", facts_ending(tmp_path, "2124-06-01 00:00:00")))
    sales = flows["daily_sales"]
    assert json.loads(sales["params"]) == [{"key": "dt", "value": "$[yyyyMMdd-1]"}, {"key": "env", "value": "prod"}]
    assert "rows_out" in codes(sales)["PARAM_NOT_CARRIED"]  # an OUT parameter is set by a task, not given
    assert "dt=$[yyyyMMdd-1]" in codes(sales)["PARAM_EXPRESSION"]
    # globalParams written as a list, not as a JSON string
    assert json.loads(flows["success_mail"]["params"]) == [{"key": "region", "value": "cn-north"}]
    assert flows["all_alerts"]["params"] == ""
    assert "SECRET_PARAMETER" not in codes(sales)


def test_a_global_parameter_set_twice_with_two_values_is_refused(tmp_path: Path) -> None:
    """env=prod then env=dev in one workflow's globalParams: the second was dropped without a word."""
    export = json.loads(facts_ending(tmp_path, "2124-06-01 00:00:00").read_text(encoding="utf-8"))
    text = json.dumps(export).replace('{\\"prop\\":\\"env\\",\\"direct\\":\\"IN\\",\\"type\\":\\"VARCHAR\\",'
                                      '\\"value\\":\\"prod\\"}',
                                      '{\\"prop\\":\\"env\\",\\"value\\":\\"prod\\"},{\\"prop\\":\\"env\\",'
                                      '\\"value\\":\\"dev\\"},{\\"prop\\":\\"dt\\",\\"value\\":\\"$[yyyyMMdd-1]\\"}')
    path = tmp_path / "twice.json"
    path.write_text(text, encoding="utf-8")
    sales = by_flow(flows_of("dolphinscheduler", path))["daily_sales"]
    assert "env is 'prod' and 'dev'" in codes(sales, "__errors__")["PARAM_REPEATED"], sales["__errors__"]
    # the same value twice (dt, as the list gave it first) is one parameter, said nothing of
    assert "dt is" not in codes(sales, "__errors__")["PARAM_REPEATED"]


def test_a_global_parameter_named_as_a_secret_is_named(tmp_path: Path) -> None:
    export = json.loads(facts_ending(tmp_path, "2124-06-01 00:00:00").read_text(encoding="utf-8"))
    text = json.dumps(export).replace('\\"prop\\":\\"env\\"', '\\"prop\\":\\"db_passwd\\"')
    path = tmp_path / "secret.json"
    path.write_text(text, encoding="utf-8")
    sales = by_flow(flows_of("dolphinscheduler", path))["daily_sales"]
    assert {"key": "db_passwd", "value": "prod"} in json.loads(sales["params"])
    assert codes(sales)["SECRET_PARAMETER"].startswith("db_passwd looks like a secret")


def test_a_task_local_parameter_is_put_in_its_shell_script_as_dolphinscheduler_put_it(tmp_path: Path) -> None:
    """${batch} was saved as is, 500 only in a comment: empty when the flow ran. (More in
    test_profile_dolphinscheduler_parameters.py.)"""
    sales = by_flow(flows_of("dolphinscheduler", facts_ending(tmp_path, "2124-06-01 00:00:00")))["daily_sales"]
    # ${dt}, a global parameter, is the flow's parameter's to give
    assert sales["command"] == "sh /opt/load.sh ${dt} 500"
    assert "LOCAL_PARAMS" not in codes(sales) and "RUNTIME_PARAMETER" not in codes(sales)
    assert "batch" not in sales["params"]


def test_the_warning_type_turns_on_e_mail_alerts(tmp_path: Path) -> None:
    flows = by_flow(flows_of("dolphinscheduler", facts_ending(tmp_path, "2124-06-01 00:00:00")))
    assert {name: row["alert"] for name, row in flows.items()} == {
        "daily_sales": "1", "success_mail": "1", "all_alerts": "1"}
    assert "ALERT_APPROXIMATE" not in codes(flows["daily_sales"])  # FAILURE: what an alert is for
    assert "alert group 2" in codes(flows["daily_sales"])["ALERT_GROUP"]
    success = codes(flows["success_mail"])
    assert "only when a run succeeded" in success["ALERT_APPROXIMATE"] and "alert group 5" in success["ALERT_APPROXIMATE"]
    assert "succeeded and when it failed" in codes(flows["all_alerts"])["ALERT_APPROXIMATE"]
    assert "ALERT_GROUP" not in codes(flows["all_alerts"])  # group 0: none was set
    quiet = by_flow(flows_of("dolphinscheduler", FIXTURES / "states.json"))["both_online"]
    assert quiet["alert"] == ""  # warningType NONE


# -- item 8: task bodies -----------------------------------------------------------------------

def test_every_task_body_is_kept_in_its_command() -> None:
    rows = [r for r in flows_of("dolphinscheduler", FIXTURES / "task_bodies.json") if r["flow_name"] == "all_bodies"]
    commands = {r["task_name"]: r["command"] for r in rows}
    assert commands["extract_orders"] == ("SQL on datasource 3 (MYSQL):\ninsert into stage.orders select * from "
                                          "ods.orders where dt = '${dt}'\nbefore: truncate table stage.orders")
    assert commands["clean_spark"] == ("Spark (SCALA, deploy mode cluster):\nmain class: com.example.etl.Clean\n"
                                       "main jar: file:/dolphinscheduler/etl/resources/clean.jar\n"
                                       "arguments: --date ${dt}\noptions: --conf spark.yarn.maxAppAttempts=1\n"
                                       "settings: driverCores=1, driverMemory=512M, executorCores=2, executorMemory=2G, "
                                       "numExecutors=2")
    assert commands["stream_flink"].startswith("Flink (JAVA, deploy mode cluster):\nmain class: com.example.Stream")
    assert commands["stream_flink"].endswith("\nsettings: jobManagerMemory=1G, slot=1, taskManager=2, "
                                             "taskManagerMemory=2G")
    assert "main jar: resource 6" in commands["stream_flink"]
    assert commands["count_words"] == ("MapReduce (JAVA):\nmain class: wordcount\nmain jar: resource 5\n"
                                       "arguments: /tmp/in /tmp/out")
    assert commands["score"] == "Python script:\nimport sys\nprint('score', sys.argv)"
    assert commands["call_api"] == ("HTTP POST https://api.example.invalid/refresh\ntable (parameter) = orders\n"
                                    "check: STATUS_CODE_DEFAULT")
    assert commands["refresh_proc"] == "stored procedure on datasource 8 (POSTGRESQL):\ncall refresh_marts(${dt})"
    assert commands["copy_datax"].startswith("DataX from datasource 3 (MYSQL) to datasource 9 (HIVE), table ods_orders")
    assert '"srcTable\\":\\"orders' in commands["sync_sqoop"] and commands["sync_sqoop"].startswith("SQOOP task:")
    # a shell script runs as it is; this one was switched off (flag NO): it keeps its place, doing nothing
    assert commands["archive"] == "# switched off in DolphinScheduler (flag NO; 1.x: runFlag FORBIDDEN): skipped " \
                                  "there, the tasks after it still ran\nexit 0\nsh archive.sh"
    assert all(commands.values()) and len(commands) == 11


def test_what_is_not_a_runnable_command_is_named() -> None:
    flows = by_flow(flows_of("dolphinscheduler", FIXTURES / "task_bodies.json"))
    found = codes(flows["all_bodies"])
    assert all(f"{name} ({kind})" in found["TASK_BODY_AS_TEXT"] for name, kind in [
        ("extract_orders", "SQL"), ("clean_spark", "SPARK"), ("score", "PYTHON"), ("call_api", "HTTP"),
        ("refresh_proc", "PROCEDURE"), ("copy_datax", "DATAX"), ("sync_sqoop", "SQOOP")])
    assert "archive" not in found["TASK_BODY_AS_TEXT"]
    # a sub-workflow's work would be left undone by a placeholder: refused, not saved short
    assert "child_flow (SUB_WORKFLOW) ran workflow 99 inside this one" in codes(
        flows["all_bodies"], "__errors__")["TASK_TYPE_NOT_CARRIED"]
    assert "archive" in found["TASK_DISABLED"] and "clean.jar" in found["TASK_RESOURCES"]
    assert "does nothing (`exit 0` before its body)" in found["TASK_DISABLED"]
    # a CONDITIONS task picks a branch; a flow would run both: refused, not saved wrong
    assert "route (CONDITIONS)" in codes(flows["branches"], "__errors__")["TASK_TYPE_NOT_CARRIED"]


# -- SUB_PROCESS / SUB_WORKFLOW tasks: the sub-workflow laid out in the flow ---------------------

SUB_WORKFLOWS = FIXTURES / "sub_workflows.json"


def tasks_by_name(rows: list[dict[str, str]], flow: str) -> dict[str, tuple[set[str], str]]:
    """Task name -> (the names of the tasks before it, its command), for one flow."""
    own = [row for row in rows if row["flow_name"] == flow]
    names = {row["task_id"]: row["task_name"] for row in own}
    return {row["task_name"]: ({names[u] for u in row["upstream"].split(";") if u}, row["command"]) for row in own}


def test_a_sub_workflow_in_the_export_is_laid_out_in_the_flow_that_runs_it() -> None:
    """nightly runs marts (run_marts), which runs refresh_cache (refresh): every task DolphinScheduler
    ran in nightly's run is a task of the flow, in the order it ran them."""
    rows = flows_of("dolphinscheduler", SUB_WORKFLOWS)
    tasks = tasks_by_name(rows, "nightly")
    assert {name: before for name, (before, _) in tasks.items()} == {
        "extract": set(), "run_marts.build_a": {"extract"}, "run_marts.build_b": {"run_marts.build_a"},
        "run_marts.build_c": {"run_marts.build_a"}, "run_marts.refresh.flush": {"run_marts.build_b"},
        "publish": {"run_marts.build_c", "run_marts.refresh.flush"}, "check": {"extract"}}
    # a task switched off inside the sub-workflow keeps its place doing nothing, as at the top
    assert tasks["run_marts.build_c"][1].startswith(SWITCHED_OFF_PREFIX)
    # the parameters set on the task that ran it are its tasks' own: listed where no shell script uses them
    assert tasks["run_marts.refresh.flush"][1] == "sh flush.sh\n# DolphinScheduler local parameters: dt=$[yyyyMMdd-1]"
    assert tasks["publish"][1] == "sh publish.sh"
    nightly = by_flow(rows)["nightly"]
    # the parent's parameters over the sub-workflow's (joinGlobalParams): env stays prod, mart_db comes in
    assert json.loads(nightly["params"]) == [{"key": "region", "value": "cn"}, {"key": "env", "value": "prod"},
                                             {"key": "mart_db", "value": "dw"}]
    found = codes(nightly)
    assert "task run_marts ran workflow 150002 (marts) inside this one: its 4 task(s)" in found["SUB_WORKFLOW"]
    assert "task run_marts.refresh ran workflow 150003 (refresh_cache)" in found["SUB_WORKFLOW"]
    assert "timed sub-workflow marts (run_marts) out after 30 minute(s)" in found["TIMEOUT"]
    assert "sub-workflow marts (run_marts)'s rows_built" in found["PARAM_NOT_CARRIED"]
    assert "run_marts.build_c" in found["TASK_DISABLED"]
    assert "__errors__" not in nightly or not json.loads(nightly["__errors__"] or "[]")
    # the canvas had one box where four tasks now are: laid out anew
    assert {row["x"] for row in rows if row["flow_name"] == "nightly"} == {""}
    # the sub-workflow stays a workflow of its own too (unscheduled there, as in DolphinScheduler)
    assert {row["task_name"] for row in rows if row["flow_name"] == "marts"} == {
        "build_a", "build_b", "build_c", "refresh.flush"}


SWITCHED_OFF_PREFIX = "# switched off in DolphinScheduler (flag NO"


def test_a_sub_workflow_that_cannot_be_laid_out_is_refused_naming_why() -> None:
    flows = by_flow(flows_of("dolphinscheduler", SUB_WORKFLOWS))
    refused = codes(flows["loop"], "__errors__")["TASK_TYPE_NOT_CARRIED"]
    assert "task again (SUB_WORKFLOW) ran workflow 150004 (loop) inside this one, which runs it again" in refused
    assert "task elsewhere (SUB_WORKFLOW) ran workflow 159999 inside this one, which is not in this export" in refused
    assert "export that workflow with this one" in refused
    assert "task fan_out (DYNAMIC) ran workflow 150003 (refresh_cache) once for each value of a list" in refused
    # a task switched off skipped its sub-workflow whole: it keeps its place doing nothing, nothing laid out
    skipper = [row for row in flows_of("dolphinscheduler", SUB_WORKFLOWS) if row["flow_name"] == "skipper"]
    assert [row["task_name"] for row in skipper] == ["before", "marts_off", "after"]
    assert skipper[1]["command"].startswith(SWITCHED_OFF_PREFIX) and not json.loads(skipper[0]["__errors__"] or "[]")


def test_two_sub_workflows_that_set_one_parameter_otherwise_are_refused(tmp_path: Path) -> None:
    """Each sub-workflow ran with its own global parameters, under those of the workflow that ran it:
    marts (y=one) runs refresh_cache (y=two), whose run there had one. Run beside marts as well, by
    nightly itself, refresh_cache ran with two: one flow's parameters cannot say both, refused. The
    parent's own value settles it (it is every run's)."""
    records = json.loads(SUB_WORKFLOWS.read_text(encoding="utf-8"))
    named = {r["workflowDefinition"]["name"]: r for r in records}
    for name, value in (("marts", "one"), ("refresh_cache", "two")):
        definition = named[name]["workflowDefinition"]
        params = [*json.loads(definition["globalParams"]), {"prop": "y", "direct": "IN", "type": "VARCHAR",
                                                             "value": value}]
        definition["globalParams"], definition["globalParamList"] = json.dumps(params), params
    path = tmp_path / "clash.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    nightly = by_flow(flows_of("dolphinscheduler", path))["nightly"]  # nested only: marts's value is both runs'
    assert "__errors__" not in nightly or "PARAM_CONFLICT" not in nightly["__errors__"]
    assert {"key": "y", "value": "one"} in json.loads(nightly["params"])
    parent = named["nightly"]
    beside = json.loads(json.dumps(parent["taskDefinitionList"][1]))  # run_marts, as a task running refresh_cache
    beside.update(code=1500019, name="direct")
    beside["taskParams"]["workflowDefinitionCode"] = 150003
    parent["taskDefinitionList"].append(beside)
    parent["workflowTaskRelationList"].append({"workflowDefinitionCode": 150001, "preTaskCode": 1500011,
                                               "postTaskCode": 1500019})
    path.write_text(json.dumps(records), encoding="utf-8")
    nightly = by_flow(flows_of("dolphinscheduler", path))["nightly"]
    refused = codes(nightly, "__errors__")["PARAM_CONFLICT"]
    assert "y is 'one' in sub-workflow marts (run_marts) and 'two' in sub-workflow refresh_cache (direct)" in refused
    params = [*json.loads(parent["workflowDefinition"]["globalParams"]),
              {"prop": "y", "direct": "IN", "type": "VARCHAR", "value": "parent"}]
    parent["workflowDefinition"]["globalParams"] = json.dumps(params)
    path.write_text(json.dumps(records), encoding="utf-8")
    nightly = by_flow(flows_of("dolphinscheduler", path))["nightly"]
    assert "PARAM_CONFLICT" not in codes(nightly, "__errors__")  # the parent's value is every run's
    assert {"key": "y", "value": "parent"} in json.loads(nightly["params"])


def test_run_creates_the_flow_with_the_sub_workflows_tasks(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: nightly and the two workflows it runs (saved as manual flows) are created; the
    service holds nightly's seven tasks joined as DolphinScheduler ran them, and a second plan finds
    nothing to change."""
    records = json.loads(SUB_WORKFLOWS.read_text(encoding="utf-8"))
    export = tmp_path / "nightly.json"
    export.write_text(json.dumps([r for r in records if r["workflowDefinition"]["name"] in (
        "nightly", "marts", "refresh_cache")]), encoding="utf-8")
    config = ds_config(tmp_path, export, mapping='unscheduled = "manual"')
    code, report = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"created": 3}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = [json.loads(v) for (v,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    graph = next(f["graph"] for f in stored if f["name"] == "nightly")
    names = {t["nodeId"]: t["taskName"] for t in graph["tasks"]}
    assert {(names[r["source"]], names[r["target"]]) for r in graph["relations"]} == {
        ("extract", "run_marts.build_a"), ("run_marts.build_a", "run_marts.build_b"),
        ("run_marts.build_a", "run_marts.build_c"), ("run_marts.build_b", "run_marts.refresh.flush"),
        ("run_marts.build_c", "publish"), ("run_marts.refresh.flush", "publish"), ("extract", "check")}
    code = main(["plan", str(config), "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["by_action"] == {"unchanged": 3}


# A workflow drawn by hypothesis: per task, the tasks before it (earlier ones) and the later
# workflow it runs as a sub-workflow, if any (later only: no workflow runs itself again).
Drawn = list[tuple[list[int], int | None]]


@st.composite
def nested_workflows(draw: st.DrawFn) -> list[Drawn]:
    count = draw(st.integers(2, 4))
    workflows: list[Drawn] = []
    for index in range(count):
        size = draw(st.integers(1, 4))
        workflows.append([(draw(st.lists(st.integers(0, max(task - 1, 0)), max_size=2, unique=True)) if task else [],
                           draw(st.one_of(st.none(), st.integers(index + 1, count - 1))) if index < count - 1 else None)
                          for task in range(size)])
    return workflows


def _drawn_record(index: int, tasks: Drawn) -> dict[str, Any]:
    code = 7000 + index
    return {"workflowDefinition": {"code": code, "name": f"w{index}", "releaseState": "ONLINE", "userName": "u"},
            "workflowTaskRelationList": [
                {"workflowDefinitionCode": code, "preTaskCode": code * 10 + pre if pre >= 0 else 0,
                 "postTaskCode": code * 10 + task} for task, (before, _) in enumerate(tasks) for pre in before or [-1]],
            "taskDefinitionList": [
                {"code": code * 10 + task, "name": f"t{task}", "flag": "YES",
                 "taskType": "SHELL" if runs is None else "SUB_PROCESS",
                 "taskParams": {"rawScript": "true"} if runs is None else {"processDefinitionCode": 7000 + runs}}
                for task, (_, runs) in enumerate(tasks)],
            "schedule": {"crontab": "0 0 2 * * ? *", "releaseState": "ONLINE", "timezoneId": "UTC"}}


def _ran_before(workflows: list[Drawn], index: int = 0) -> tuple[set[str], set[tuple[str, str]]]:
    """What DolphinScheduler ran in a run of workflow `index`: the shell tasks by their path, and
    which ran before which (a sub-workflow's tasks after what came before its task, and before
    what came after it)."""
    names: set[str] = set()
    order: set[tuple[str, str]] = set()
    inside: dict[int, set[str]] = {}
    for task, (_, runs) in enumerate(workflows[index]):
        if runs is None:
            inside[task] = {f"t{task}"}
        else:
            inner, inner_order = _ran_before(workflows, runs)
            inside[task] = {f"t{task}.{name}" for name in inner}
            order |= {(f"t{task}.{a}", f"t{task}.{b}") for a, b in inner_order}
        names |= inside[task]
    closure = {task: set(before) for task, (before, _) in enumerate(workflows[index])}
    for task in range(len(workflows[index])):  # tasks only wait on earlier ones: one pass closes it
        for before in list(closure[task]):
            closure[task] |= closure[before]
    order |= {(a, b) for task, befores in closure.items() for before in befores
              for a in inside[before] for b in inside[task]}
    return names, order


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(workflows=nested_workflows())
def test_sub_workflows_laid_out_run_their_tasks_in_dolphinschedulers_order(tmp_path: Path,
                                                                           workflows: list[Drawn]) -> None:
    """Property: the flow of a workflow runs every task DolphinScheduler ran in its run, sub-workflows'
    (nested ones too) included, each after exactly the tasks it ran after."""
    path = tmp_path / "nested.json"
    path.write_text(json.dumps([_drawn_record(i, tasks) for i, tasks in enumerate(workflows)]), encoding="utf-8")
    rows = [row for row in flows_of("dolphinscheduler", path) if row["flow_name"] == "w0"]
    assert not json.loads(rows[0]["__errors__"] or "[]")
    names = {row["task_id"]: row["task_name"] for row in rows}
    closure = {names[row["task_id"]]: {names[u] for u in row["upstream"].split(";") if u} for row in rows}
    for _ in rows:
        for name in closure:
            closure[name] = closure[name].union(*(closure[before] for before in closure[name]))
    expected_names, expected_order = _ran_before(workflows)
    assert set(closure) == expected_names and len(rows) == len(expected_names)
    assert {(before, name) for name, befores in closure.items() for before in befores} == expected_order


def test_a_sub_workflows_repeated_parameter_the_parent_sets_is_moot(tmp_path: Path) -> None:
    """A sub-workflow whose own globalParams set y to 1 and to 2, run by a parent that sets y=9: the
    parent's value is the one the run had (joinGlobalParams), so neither repeat ran, and the parent
    was refused PARAM_REPEATED. Without the parent's own y the repeat is its flow's error."""
    child, parent = _drawn_record(1, [([], None)]), _drawn_record(0, [([], 1)])
    child["workflowDefinition"]["globalParams"] = json.dumps([{"prop": "y", "direct": "IN", "value": "1"},
                                                              {"prop": "y", "direct": "IN", "value": "2"}])
    for sets, refused in (([{"prop": "y", "direct": "IN", "value": "9"}], False), ([], True)):
        parent["workflowDefinition"]["globalParams"] = json.dumps(sets)
        path = tmp_path / "sub.json"
        path.write_text(json.dumps([parent, child]), encoding="utf-8")
        row = next(row for row in flows_of("dolphinscheduler", path) if row["flow_name"] == "w0")
        assert ("PARAM_REPEATED" in codes(row, "__errors__")) is refused, row["__errors__"]
        if not refused:
            assert json.loads(row["params"]) == [{"key": "y", "value": "9"}]


# -- item 8: DEPENDENT tasks -------------------------------------------------------------------

def test_a_dependent_task_becomes_a_flow_dependency() -> None:
    rows = flows_of("dolphinscheduler", FIXTURES / "dependent.json", flow_ids="flow_ids.csv")
    report = [r for r in rows if r["flow_name"] == "report"]
    # the DEPENDENT tasks are gone, and what waited on them waits on their upstream tasks instead
    assert [(r["task_id"], r["upstream"]) for r in report] == [("4201", ""), ("4203", "4201"), ("4204", "4203"),
                                                               ("4206", "")]
    assert json.loads(report[0]["flow_upstream"]) == [
        {"flowId": "2788", "flowName": "orders", "cycleGap": "D0", "targets": ["4203"]},
        {"flowId": "2790", "flowName": "", "cycleGap": "D-1", "targets": ["4203"]}]
    found = codes(report[0])
    assert "task 4301 of workflow 43" in found["DEPENDENCY_ON_TASK"]
    crossing = found["CROSS_FLOW_DEPENDENCY"]
    assert "workflow 44, not in this export" in crossing and "day/last7Days" in crossing
    assert ("any one of ['the whole of workflow 41 (orders) (day/today)', 'the whole of workflow 45 (day/today)'] "
            "(OR)") in crossing  # what of each and over which window: the task and window were dropped
    assert ("wait_tail waited on workflow 41 (orders), in this export (the whole workflow): not carried, no task ran "
            "after it") in crossing
    orders = next(r for r in rows if r["flow_name"] == "orders")
    # flow_ids resolve dependencies only: a listed workflow is found by its name, never saved under that id
    assert orders["flow_id"] == "" and report[0]["flow_id"] == ""


def test_a_dependency_without_an_enos_id_names_the_workflow_and_the_option() -> None:
    report = by_flow(flows_of("dolphinscheduler", FIXTURES / "dependent.json"))["report"]
    assert report["flow_upstream"] == ""
    crossing = codes(report)["CROSS_FLOW_DEPENDENCY"]
    assert "workflow 41 (orders), in this export (the whole workflow): not carried, its EnOS flow id is not known" \
        in crossing
    assert "workflow 43, not in this export (its task 4301)" in crossing and 'flow_ids ("41=<flow id>"' in crossing


@pytest.mark.parametrize("flow_ids", ["41=2788; 43=2790", "ids.json"])
def test_flow_ids_inline_or_as_json(tmp_path: Path, flow_ids: str) -> None:
    (tmp_path / "ids.json").write_text(json.dumps({"41": 2788, "43": "2790"}), encoding="utf-8")
    export = tmp_path / "dependent.json"
    export.write_bytes((FIXTURES / "dependent.json").read_bytes())
    report = by_flow(flows_of("dolphinscheduler", export, flow_ids=flow_ids))["report"]
    assert [e["flowId"] for e in json.loads(report["flow_upstream"])] == ["2788", "2790"]


@pytest.mark.parametrize(("options", "message"), [
    ('options = { flow_ids = "41=enos-2788" }', "expected a workflow code and an EnOS flow id"),
    ('options = { flow_ids = "missing.csv" }', "cannot read the flow_ids file"),
    ('options = { flow_id = "41=2788" }', "unknown option(s) ['flow_id']"),
])
def test_a_bad_flow_ids_option_stops_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str], options: str,
                                                 message: str) -> None:
    code, _, err = plan_json(capsys, ds_config(tmp_path, FIXTURES / "dependent.json", options=options))
    assert code == 1 and message in err and "Traceback" not in err


def test_plan_shows_the_dependency_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ds_config(tmp_path, FIXTURES / "dependent.json",
                       options=f'options = {{ flow_ids = "{FIXTURES / "flow_ids.csv"}" }}')
    code, inventory, _ = plan_json(capsys, config)
    assert code == 3 and inventory["flows_found"] == inventory["convertible"] == 2
    assert inventory["warnings_by_code"] == {"CROSS_FLOW_DEPENDENCY": 3, "DEPENDENCY_ON_TASK": 1, "RUN_AS": 2}


def created_report(tmp_path: Path, capsys: pytest.CaptureFixture[str], export: Path) -> dict[str, Any]:
    """`migrate run` of the export, the workflows it waits on in EnOS as flows 1001 and 1002: the
    stored flow `report`, created by Import and saved."""
    config = ds_config(tmp_path, export, options='options = { flow_ids = "41=1001; 43=1002" }',
                       state=base_state(flows=2))
    code, report = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"created": 1}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = [json.loads(v) for (v,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    return next(f for f in stored if f["name"] == "report")


def test_run_saves_the_dependency_as_a_flow_node_with_its_relation(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: the report workflow alone (what it waits on lives in EnOS as flows 1001 and 1002)
    is created by Import, then saved with flow nodes f_1001 and f_1002 linked to its task `build`."""
    records = json.loads((FIXTURES / "dependent.json").read_text(encoding="utf-8"))
    export = tmp_path / "report.json"
    export.write_text(json.dumps([r for r in records if r["processDefinition"]["name"] == "report"]), encoding="utf-8")
    graph = created_report(tmp_path, capsys, export)["graph"]
    build = next(t["nodeId"] for t in graph["tasks"] if t["taskName"] == "build")
    assert sorted(f["nodeId"] for f in graph["flows"]) == ["f_1001", "f_1002"]
    assert {(r["source"], r["target"], r["cycleGap"]) for r in graph["relations"] if r["source"].startswith("f_")} == {
        ("f_1001", build, "D0"), ("f_1002", build, "D-1")}
    assert {t["taskName"] for t in graph["tasks"]} == {"prepare", "build", "publish", "side"}


# -- how the tasks ran: tenant and task settings ------------------------------------------------

def test_the_tenant_the_tasks_ran_as_is_named_and_the_creator_stays_owner(tmp_path: Path) -> None:
    flows = by_flow(flows_of("dolphinscheduler", FIXTURES / "task_settings.json"))
    assert "ran the workflow's tasks as tenant 'etl' (a Linux user)" in codes(flows["tuned"])["RUN_AS"]
    assert "doAs account" in codes(flows["tuned"])["RUN_AS"] and flows["tuned"]["owners"] == "admin"
    assert "RUN_AS" not in codes(flows["default_tenant"])  # "default": the worker's own user, nothing named
    records = json.loads((FIXTURES / "facts.json").read_text(encoding="utf-8"))[:1]
    del records[0]["schedule"]["tenantCode"]  # as 2.x exports it: the workflow's tenantId only
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    older = by_flow(flows_of("dolphinscheduler", path))["daily_sales"]
    assert "tenant id 1 (a Linux user; the export gives no tenantCode" in codes(older)["RUN_AS"]
    records[0]["processDefinition"]["tenantId"] = -1  # the default tenant
    path.write_text(json.dumps(records), encoding="utf-8")
    assert "RUN_AS" not in codes(by_flow(flows_of("dolphinscheduler", path))["daily_sales"])


def test_task_settings_off_their_defaults_are_named_with_task_and_value() -> None:
    tuned = by_flow(flows_of("dolphinscheduler", FIXTURES / "task_settings.json"))["tuned"]
    found = codes(tuned)
    assert "extract: up to 3 retries, 5 minute(s) apart" in found["RETRY"]
    assert ("extract: after 30 minute(s) DolphinScheduler sent a time-out alert and failed the task; "
            "load: after 15 minute(s) DolphinScheduler sent a time-out alert") in found["TIMEOUT"]
    assert "extract: delayTime 10 minute(s)" in found["DELAY"]
    assert "extract: taskPriority HIGH" in found["PRIORITY"]
    assert "extract: workerGroup etl-workers" in found["WORKER_GROUP"]
    assert "extract: environmentCode 133" in found["ENVIRONMENT"]
    assert "extract: cpuQuota 50%, memoryMax 2048 MB" in found["RESOURCE_LIMIT"]
    assert "publish" not in json.dumps(found)  # a task left at DolphinScheduler's defaults is not named
    everyday = by_flow(flows_of("dolphinscheduler", FIXTURES / "task_bodies.json"))["all_bodies"]
    assert not {"RETRY", "TIMEOUT", "DELAY", "PRIORITY", "WORKER_GROUP", "ENVIRONMENT",
                "RESOURCE_LIMIT"} & set(codes(everyday))


def test_a_relation_without_an_id_is_named_by_its_tasks() -> None:
    rows = flows_of("dolphinscheduler", FIXTURES / "task_settings.json")
    tuned = [(r["task_id"], r["upstream"]) for r in rows if r["flow_name"] == "tuned"]
    assert tuned == [("6101", ""), ("6102", "6101"), ("6103", "6102")]
    broken = codes(by_flow(rows)["default_tenant"], "__errors__")["BROKEN_REFERENCE"]
    assert broken.startswith("the relation from task 6301 to task 6399 names task(s) ['6399']")
    assert "None" not in broken


@pytest.mark.parametrize("crontab", [None, "", "  ", "missing"])
def test_a_schedule_without_a_crontab_is_that_flows_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 crontab: str | None) -> None:
    records = json.loads((FIXTURES / "task_settings.json").read_text(encoding="utf-8"))
    if crontab == "missing":
        del records[1]["schedule"]["crontab"]
    else:
        records[1]["schedule"]["crontab"] = crontab
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    row = by_flow(flows_of("dolphinscheduler", path))["no_crontab"]
    message = codes(row, "__errors__")["MALFORMED_RECORD"]
    assert message.startswith(f"schedule.crontab is {crontab if crontab == 'missing' else json.dumps(crontab)}:")
    assert "malformed" in message and row["unscheduled"] == ""
    code, inventory, err = plan_json(capsys, ds_config(tmp_path, path))
    refused = next(f for f in inventory["invalid_flows"] if f["name"] == "no_crontab")
    assert code == 5 and [e["code"] for e in refused["errors"]] == ["MALFORMED_RECORD"]
    assert "field freq" not in json.dumps(refused) and "Traceback" not in err


def test_run_creates_a_workflow_listed_in_flow_ids_by_name_never_under_that_id(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """orders (code 41) is listed as EnOS flow 1001 for report's dependency; flow 1001 is another
    flow in EnOS: orders must be created by name with its own tasks, and flow 1001 left alone."""
    config = ds_config(tmp_path, FIXTURES / "dependent.json", options='options = { flow_ids = "41=1001; 43=1002" }',
                       state=base_state(flows=2))
    code, report = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"created": 2}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = {f["flow_id"] if "flow_id" in f else f.get("id"): f for f in
                  (json.loads(v) for (v,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'"))}
    names = {str(flow_id): flow["name"] for flow_id, flow in stored.items()}
    assert names["1001"] == "flow1" and names["1002"] == "flow2"
    assert sorted(names.values()) == ["flow1", "flow2", "orders", "report"]


# -- item 12: what is not an export, and records that are malformed ----------------------------

@pytest.mark.parametrize(("document", "hint"), [
    ({"total_entries": 1, "dags": [{"dag_id": "daily", "schedule_interval": "@daily"}]}, "Airflow"),
    ({"jobs": [{"name": "x"}]}, ""),
    ([], ""),
    ([{"processDefinitionName": "old", "processDefinitionJson": "{\"tasks\": []}", "scheduleCrontab": "0 0 1 * * ? *"}],
     "1.x export"),
    ("just text", ""),
])
def test_a_file_that_is_not_an_export_stops_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        document: Any, hint: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, _, err = plan_json(capsys, ds_config(tmp_path, path))
    if hint == "Airflow":  # recognised as an Airflow page first (sources/detect.py)
        assert code == 1 and f"{path}: this looks like an airflow export, not dolphinscheduler" in err
    else:
        assert code == 1 and f"{path}: this does not look like a DolphinScheduler export (expected" in err
        assert hint in err
    assert "Traceback" not in err


def test_a_malformed_record_fails_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flows = by_flow(flows_of("dolphinscheduler", FIXTURES / "malformed.json"))
    assert flows["codes_as_strings"]["__errors__"] == "" and flows["codes_as_strings"]["task_id"] == "541"
    assert flows["codes_as_strings"]["active"] == "1"  # "54" and 54 name the same workflow
    assert "taskParams is not valid JSON" in codes(flows["bad_task_params"], "__errors__")["MALFORMED_RECORD"]
    assert "has no code" in codes(flows["task_without_code"], "__errors__")["MALFORMED_RECORD"]
    code, inventory, err = plan_json(capsys, ds_config(tmp_path, FIXTURES / "malformed.json"))
    assert code == 5 and "Traceback" not in err
    assert inventory["flows_found"] == 7 and inventory["convertible"] == 2
    assert inventory["invalid_by_reason"] == {"MALFORMED_RECORD": 4, "UNKNOWN_FORMAT": 1}


def test_items_of_one_workflow_refused_for_different_reasons_are_one_warning_with_each_reason(
        tmp_path: Path) -> None:
    """wait_upstream waits on workflow 41 today (no EnOS id given) and over the last seven days
    (no cycleGap says that): one warning for workflow 41, each reason with what it holds for."""
    records = json.loads((FIXTURES / "dependent.json").read_text(encoding="utf-8"))
    report = next(r for r in records if r["processDefinition"]["name"] == "report")
    waiting = next(t for t in report["taskDefinitionList"] if t["name"] == "wait_upstream")
    items = waiting["taskParams"]["dependence"]["dependTaskList"][0]["dependItemList"]
    items[:] = [items[0], {**items[0], "dateValue": "last7Days", "depTaskCode": 4102, "dependentType":
                           "DEPENDENT_ON_TASK"}]
    export = tmp_path / "dependent.json"
    export.write_text(json.dumps(records), encoding="utf-8")
    crossing = codes(by_flow(flows_of("dolphinscheduler", export))["report"])["CROSS_FLOW_DEPENDENCY"]
    upstream = [m for m in crossing.split(" | ") if m.startswith("DEPENDENT task wait_upstream")]
    assert len(upstream) == 1 and upstream[0].startswith(
        "DEPENDENT task wait_upstream waited on workflow 41 (orders), in this export: not carried: the whole workflow: "
        "its EnOS flow id is not known: give it in [source] options flow_ids (\"41=<flow id>\", or a CSV of "
        "code,flow_id) to carry it as a flow node with cycleGap D0; its task 4102: the window day/last7Days spans or "
        "picks periods that no cycleGap names (exact: ")


# -- found in real exports -----------------------------------------------------------------------

def test_a_program_tasks_engine_settings_stay_in_its_command() -> None:
    """A Spark task sized by DolphinScheduler (driver, executors, version, queue) keeps those settings
    in its command, a Spark SQL one its deploy mode too: nothing of how it ran is dropped."""
    rows = [r for r in flows_of("dolphinscheduler", FIXTURES / "real_shapes.json") if r["flow_name"] == "ad_roi"]
    command = {r["task_name"]: r["command"] for r in rows}["roi_by_channel"]
    assert command.startswith("Spark SQL (deploy mode client):\ninsert overwrite table mart.ad_roi")
    assert command.endswith("\nsettings: driverCores=2, driverMemory=1G, executorCores=2, executorMemory=4G, "
                            "numExecutors=4, sparkVersion=SPARK3, yarnQueue=marketing")


def test_a_wait_on_its_own_workflow_is_never_a_flow_node_of_itself(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A DEPENDENT task waiting on tasks of its own workflow: today's and this month's runs of tasks
    before it are carried by the flow's relations (SELF_DEPENDENCY); yesterday's run of a later
    task is refused by name, and the flow never becomes its own upstream, even with its id given."""
    source = FIXTURES / "real_shapes.json"
    for options in ({}, {"flow_ids": "88002=3100"}):
        flow = by_flow(flows_of("dolphinscheduler", source, **options))["stock_refresh"]
        found = codes(flow)
        assert flow["flow_upstream"] == ""
        assert "task 8800201 of its own workflow (day/today)" in found["SELF_DEPENDENCY"]
        assert "task 8800202 of its own workflow (month/thisMonth)" in found["SELF_DEPENDENCY"]
        assert "this very workflow (its task 8800204)" in found["CROSS_FLOW_DEPENDENCY"]
        assert "flow_ids" not in found["CROSS_FLOW_DEPENDENCY"] and "day/last1Days" in found["CROSS_FLOW_DEPENDENCY"]
    config = ds_config(tmp_path, source, options='options = { flow_ids = "88002=3100" }', mapping='unscheduled = "manual"')
    code, plan, err = plan_json(capsys, config)
    stock = next(a for a in plan["actions"] if a["name"] == "stock_refresh")
    assert code == 3 and "Traceback" not in err and stock["action"] == "valid"
    assert {"SELF_DEPENDENCY", "CROSS_FLOW_DEPENDENCY"} <= {w["code"] for w in stock["warnings"]}


@pytest.mark.parametrize(("end_hour", "runs_left"), [(3, False), (4, True), (5, True)])
def test_an_end_time_is_quartz_s_the_last_run_at_it_fires(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           end_hour: int, runs_left: bool) -> None:
    """A yearly 04:00 that ends at 03:00 on the day of its next run runs no more (NEVER_RUNS,
    inactive); one that ends at 04:00 still fires then: Quartz fires up to and including its
    endTime, and it was saved inactive, a run lost (found by a reviewer against real Quartz). The
    end's SCHEDULE_ENDS ("it stays active") is not said beside NEVER_RUNS."""
    records = json.loads((REPO / "data" / "examples" / "dolphinscheduler.json").read_text(encoding="utf-8"))
    next_day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=2)
    records[0]["schedule"].update(crontab=f"0 0 4 {next_day.day} {next_day.month} ? *",
                                  endTime=f"{next_day} {end_hour:02d}:00:00")
    export = tmp_path / "export.json"
    export.write_text(json.dumps(records[:1]), encoding="utf-8")
    code, planned, err = plan_json(capsys, ds_config(tmp_path, export))
    [action] = planned["actions"]
    said = [warning["code"] for warning in action.get("warnings", [])]
    assert code == 3 and ("NEVER_RUNS" in said) != runs_left and ("SCHEDULE_ENDS" in said) == runs_left, (said, err)


@pytest.mark.parametrize("cut_over", [False, True])
def test_a_schedule_that_ends_before_the_cut_over_never_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             cut_over: bool) -> None:
    """A daily schedule begun long ago that ends in five days: without a cut-over the flow runs
    until then, and stays active after (SCHEDULE_ENDS); with `[mapping] not_before` twenty days
    ahead its first run would come after the end: it never runs, saved inactive (NEVER_RUNS)."""
    records = json.loads((REPO / "data" / "examples" / "dolphinscheduler.json").read_text(encoding="utf-8"))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    records[0]["schedule"].update(endTime=f"{today + timedelta(days=5)} 12:00:00")
    export = tmp_path / "export.json"
    export.write_text(json.dumps(records[:1]), encoding="utf-8")
    mapping = f"not_before = {today + timedelta(days=20)}" if cut_over else ""
    code, planned, err = plan_json(capsys, ds_config(tmp_path, export, mapping=mapping))
    [action] = planned["actions"]
    said = [warning["code"] for warning in action.get("warnings", [])]
    assert code == 3 and ("NEVER_RUNS" in said) == cut_over and ("SCHEDULE_ENDS" in said) != cut_over, (said, err)


def test_a_start_after_the_cut_over_instant_is_kept_though_its_day_is_earlier(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A UTC schedule at 20:00 beginning at 21:00 UTC the day before the cut-over (the cut-over's
    morning in Shanghai): its startTime's day, in UTC, is before the cut-over, so the flow started on
    the cut-over and fired at 20:00 UTC that evening, a run the source never made, the proof saying
    equivalent. The source's start is kept: the flow starts the day after, as without a cut-over."""
    records = json.loads((REPO / "data" / "examples" / "dolphinscheduler.json").read_text(encoding="utf-8"))
    cut_over = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=7)
    records[0]["schedule"].update(crontab="0 0 20 * * ? *", timezoneId="UTC",
                                  startTime=f"{cut_over - timedelta(days=1)} 21:00:00")
    export = tmp_path / "export.json"
    export.write_text(json.dumps(records[:1]), encoding="utf-8")
    code, planned, err = plan_json(capsys, ds_config(tmp_path, export, mapping=f"not_before = {cut_over}"))
    [action] = planned["actions"]
    # its first run: 20:00 UTC on the cut-over's day, 04:00 the next day in Shanghai
    assert code == 3 and action["proof"]["from"] == f"{cut_over}T16:00:00Z", (action["proof"], err)
    assert action["proof"]["verdict"] == "equivalent"
    assert "START_DATE_SHIFTED" in [warning["code"] for warning in action["warnings"]]


def test_a_start_on_the_cut_over_day_east_of_the_service_never_moves_before_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Tokyo schedule at 00:45 from 00:30 on the cut-over's day (23:30 the day before in Shanghai,
    the service's zone): its day is the cut-over's, so it was kept, and the first day's shift moved
    the flow to the day before the cut-over, to fire at the very instant the old scheduler still ran
    the job. The runs before the cut-over's first instant are the old scheduler's."""
    records = json.loads((REPO / "data" / "examples" / "dolphinscheduler.json").read_text(encoding="utf-8"))
    cut_over = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=7)
    records[0]["schedule"].update(crontab="0 45 0 * * ? *", timezoneId="Asia/Tokyo", startTime=f"{cut_over} 00:30:00")
    export = tmp_path / "export.json"
    export.write_text(json.dumps(records[:1]), encoding="utf-8")
    code, planned, err = plan_json(capsys, ds_config(tmp_path, export, mapping=f"not_before = {cut_over}"))
    [action] = planned["actions"]
    assert code == 3 and action["proof"]["from"] == f"{cut_over - timedelta(days=1)}T16:00:00Z", (action, err)
    assert action["proof"]["verdict"] == "equivalent"
    assert "START_DATE_SHIFTED" not in [warning["code"] for warning in action["warnings"]], action["warnings"]


def _one_schedule(tmp_path: Path, **schedule: str) -> Path:
    """The example's first workflow with its schedule so changed, alone in an export."""
    records = json.loads((REPO / "data" / "examples" / "dolphinscheduler.json").read_text(encoding="utf-8"))
    records[0]["schedule"].update(schedule)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(records[:1]), encoding="utf-8")
    return export


def _in_zone(config: Path, zone: str) -> Path:
    config.write_text(config.read_text(encoding="utf-8").replace('timezone = "Asia/Shanghai"', f'timezone = "{zone}"'),
                      encoding="utf-8")
    return config


def test_a_start_a_day_ahead_across_the_date_line_but_before_the_cut_over_runs_from_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Kiritimati (UTC+14) from midnight the day after the cut-over, the service in Pago Pago (UTC-11):
    begun before the cut-over's first instant there, it kept its own day, a day after the cut-over,
    and lost its run at 02:00 Kiritimati, 01:00 on the cut-over's day in Pago Pago (a reviewer's)."""
    cut_over = datetime.now(ZoneInfo("Pacific/Pago_Pago")).date() + timedelta(days=7)
    export = _one_schedule(tmp_path, crontab="0 0 2 * * ? *", timezoneId="Pacific/Kiritimati",
                           startTime=f"{cut_over + timedelta(days=1)} 00:00:00")
    config = _in_zone(ds_config(tmp_path, export, mapping=f"not_before = {cut_over}"), "Pacific/Pago_Pago")
    code, planned, err = plan_json(capsys, config)
    [action] = planned["actions"]
    assert code == 3 and action["proof"]["from"] == f"{cut_over}T11:00:00Z", (action["proof"], err)
    assert action["proof"]["verdict"] == "equivalent", action["proof"]


def test_a_one_run_schedule_begun_after_its_run_never_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A schedule of one run (its year in it) whose startTime is an hour after that run: Quartz never
    fires it; it was saved active, firing that run (FIRST_DAY "also fires before the source")."""
    day = datetime.now(UTC).date() + timedelta(days=10)
    export = _one_schedule(tmp_path, crontab=f"0 0 14 {day.day} {day.month} ? {day.year}", timezoneId="UTC",
                           startTime=f"{day} 15:00:00", endTime="2124-06-01 00:00:00")
    code, planned, err = plan_json(capsys, ds_config(tmp_path, export))
    [action] = planned["actions"]
    said = {w["code"]: w["message"] for w in action["warnings"]}
    assert code == 3 and "after its last run: it never runs" in said.get("NEVER_RUNS", ""), (said, err)
    assert "FIRST_DAY" not in said, said


def test_an_end_ahead_names_the_flows_last_run_in_the_services_zone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """"disable it on that date" gave the source's date, in Kiritimati, where the flow fires in Pago
    Pago, a day behind: disabled on it, the flow made a run after the source's end. The flow's last
    run before the end is named in the service's zone. Saved inactive, a flow does not "stay active"."""
    end = datetime.now(ZoneInfo("Pacific/Kiritimati")).date() + timedelta(days=10)
    export = _one_schedule(tmp_path, crontab="0 0 2 * * ? *", timezoneId="Pacific/Kiritimati",
                           startTime="2020-01-01 00:00:00", endTime=f"{end} 01:05:00")
    _, planned, _ = plan_json(capsys, _in_zone(ds_config(tmp_path, export), "Pacific/Pago_Pago"))
    [action] = planned["actions"]
    said = {w["code"]: w["message"] for w in action["warnings"]}
    last = end - timedelta(days=2)  # 02:00 the day before the end in Kiritimati: 01:00 two days before in Pago Pago
    assert f"its last run before then is at {last} 01:00:00 in the service's zone" in said["SCHEDULE_ENDS"], said
    records = json.loads(export.read_text(encoding="utf-8"))
    records[0]["schedule"]["releaseState"] = "OFFLINE"
    export.write_text(json.dumps(records), encoding="utf-8")
    _, planned, _ = plan_json(capsys, _in_zone(ds_config(tmp_path, export), "Pacific/Pago_Pago"))
    said = {w["code"]: w["message"] for w in planned["actions"][0]["warnings"]}
    assert "INACTIVE_SOURCE" in said and "stays active" not in said["SCHEDULE_ENDS"], said
    assert "saved inactive" in said["SCHEDULE_ENDS"], said


def test_an_end_passed_in_the_sources_zone_is_said_passed_of_an_offline_schedule_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An OFFLINE schedule (saved inactive for that) whose endTime, yesterday evening in Kiritimati,
    has passed there though not yet in every zone: SCHEDULE_ENDS said "it stays active; disable it
    on that date" of a flow saved inactive, whose end had passed (a reviewer's schtasks task)."""
    yesterday = datetime.now(ZoneInfo("Pacific/Kiritimati")).date() - timedelta(days=1)
    export = _one_schedule(tmp_path, crontab="0 0 2 * * ? *", timezoneId="Pacific/Kiritimati",
                           startTime="2020-01-01 00:00:00", endTime=f"{yesterday} 23:00:00", releaseState="OFFLINE")
    code, planned, err = plan_json(capsys, ds_config(tmp_path, export))
    said = {w["code"]: w["message"] for w in planned["actions"][0]["warnings"]}
    assert code == 3 and "INACTIVE_SOURCE" in said, (said, err)
    assert "has passed" in said["SCHEDULE_ENDS"] and "stays active" not in said["SCHEDULE_ENDS"], said


def test_an_end_at_the_last_second_of_a_day_is_that_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """endTime 23:59:59 (Quartz fires a run at it): the proof's reason said it stops firing after the
    next day, the first instant it no longer fires being that day's midnight."""
    ahead = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=60)
    export = _one_schedule(tmp_path, crontab="0 0 2 * * ? *", timezoneId="Asia/Shanghai",
                           startTime="2020-01-01 00:00:00", endTime=f"{ahead} 23:59:59")
    _, planned, err = plan_json(capsys, ds_config(tmp_path, export))
    [action] = planned["actions"]
    assert f"stops firing after {ahead} (END_DATE)" in action["proof"]["reason"], (action["proof"], err)


def test_the_reviews_next_fire_times_begin_at_the_flows_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A flow that starts a month from now, its proof unchecked (its end inside the span): the review's
    next five fire times began today, runs that never happen, and its old schedule had no zone."""
    ahead = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=30)
    export = _one_schedule(tmp_path, crontab="0 0 2 * * ? *", timezoneId="Asia/Shanghai",
                           startTime=f"{ahead} 00:00:00", endTime=f"{ahead + timedelta(days=60)} 00:00:00")
    assert main(["plan", str(ds_config(tmp_path, export)), "--markdown", "--offline"]) == 3
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.startswith("| ") and "0 0 2 * * ? *" in line
             and "unchecked" in line]
    assert f"{ahead} 02:00" in row and str(ahead - timedelta(days=1)) not in row, row
    assert "(quartz, Asia/Shanghai)" in row, row


@pytest.mark.parametrize("kiritimati_first", [True, False])
def test_two_workflows_of_one_end_text_each_get_their_own_end(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             kiritimati_first: bool) -> None:
    """Two workflows whose endTime reads the same, one in Kiritimati (passed there), one in Pago Pago
    (ahead): their profile's warnings were one shared dict, so the first flow's words (its last run,
    or "has passed") were the second's, and the second's own end was never applied: a flow active
    after its source ended (a reviewer's)."""
    day = (datetime.now(UTC) - timedelta(hours=9)).date()  # 23:00 that day: passed in Kiritimati, not in Pago Pago
    records = json.loads((REPO / "data" / "examples" / "dolphinscheduler.json").read_text(encoding="utf-8"))[:1]
    pair = []
    workflow = str(records[0]["workflowDefinition"]["code"])
    for zone, name in (("Pacific/Kiritimati", "kiri"), ("Pacific/Pago_Pago", "pago")):
        record = json.loads(json.dumps(records[0]).replace(workflow, f"{workflow}{len(pair)}"))  # another workflow
        record["workflowDefinition"]["name"] = name
        record["schedule"].update(crontab="0 0 * * * ? *", timezoneId=zone, startTime="2020-01-01 00:00:00",
                                  endTime=f"{day} 23:00:00")
        pair.append(record)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(pair if kiritimati_first else pair[::-1]), encoding="utf-8")
    _, planned, _ = plan_json(capsys, _in_zone(ds_config(tmp_path, export), "UTC"))
    said = {a["name"]: {w["code"]: w["message"] for w in a["warnings"]} for a in planned["actions"]}
    assert "has passed" in said["kiri"]["SCHEDULE_ENDS"] and "stays active" not in said["kiri"]["SCHEDULE_ENDS"], said
    assert "stays active" in said["pago"]["SCHEDULE_ENDS"], said
    assert f"its last run before then is at {day + timedelta(days=1)} 10:00:00" in said["pago"]["SCHEDULE_ENDS"], said

