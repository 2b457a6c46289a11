"""The azkaban profile on projects built in the shapes Azkaban reads (tests/fixtures/azkaban/): a Flow
2.0 project (flow20/: triggers, embedded flows, noop jobs, conditions, data triggers, flows Azkaban
refuses) and an older .job project (legacy/: .properties chains, continuations and escapes,
embedded flows by flow.name, broken jobs), as folders and as zips, with schedules exported from
the web server in each shape Azkaban gives them out (fetchSchedule, fetchSchedules, the triggers
table, 2.x's schedules table). Through the profile's rows, `migrate plan --json`, and `migrate run`
against the emulator; property tests against croniter (the trigger's Quartz cron), an evaluator of
Azkaban's period arithmetic, java.util.Properties' own escaping, and a model of how the older
format builds flows."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from itertools import islice, takewhile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import base_state, plan_profile, profile_run_config, standard_cells
from croniter import croniter
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_profiles import run_json

from migrate.config import SourceSettings
from migrate.schedule.azkaban import convert_period
from migrate.schedule.convert import convert
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Converted, Rejection
from migrate.sources.profiles import registry
from migrate.sources.profiles.azkaban_project import java_properties

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "azkaban"
FLOW20, LEGACY = FIXTURES / "flow20", FIXTURES / "legacy"


def rows_of(path: Path, **options: Any) -> list[dict[str, str]]:
    settings = SourceSettings(path=path, profile="azkaban", options=options)
    return [standard_cells(row) for row in registry()["azkaban"].read(settings)]


def flows(path: Path, **options: Any) -> dict[str, list[dict[str, str]]]:
    """The rows of each flow, by flow name (`project.flow`)."""
    found: dict[str, list[dict[str, str]]] = {}
    for row in rows_of(path, **options):
        found.setdefault(row["flow_name"], []).append(row)
    return found


def codes(row: dict[str, str], column: str = "__warnings__") -> dict[str, str]:
    """Code -> its messages, joined."""
    found: dict[str, str] = {}
    for item in json.loads(row[column] or "[]"):
        found[item["code"]] = (found.get(item["code"], "") + " | " + item["message"]).strip(" |")
    return found


def tasks(rows: list[dict[str, str]]) -> dict[str, tuple[str, set[str]]]:
    """Task name -> (command, the names of the tasks before it)."""
    names = {row["task_id"]: row["task_name"] for row in rows}
    return {row["task_name"]: (row["command"], {names[u] for u in row["upstream"].split(";") if u}) for row in rows}


def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: Path, options: str = "{}",
         extra: str = "", target: str = "", start_time: str | None = None) -> tuple[int, dict[str, Any], str]:
    return plan_profile(tmp_path, capsys, "azkaban", source, source_lines=f"options = {options}", extra=extra,
                        target=target, start_time=start_time)


# -- Flow 2.0 ------------------------------------------------------------------------------------------

def test_a_flow_trigger_is_the_schedule_in_the_servers_zone() -> None:
    nightly = flows(FLOW20, server_timezone="Asia/Shanghai")["flow20.nightly"]
    first = nightly[0]
    assert first["flow"] == "flow20/nightly" and first["schedule"] == "0 30 1 ? * MON-FRI"
    assert first["timezone"] == "Asia/Shanghai" and first["active"] == "1" and first["unscheduled"] == ""
    assert first["desc"] == "Azkaban project flow20, flow nightly (nightly.flow)"
    without_zone = flows(FLOW20)["flow20.nightly"][0]
    assert without_zone["timezone"] == ""  # left to [mapping] source_timezone


def test_embedded_flows_are_flattened_and_noop_jobs_left_out() -> None:
    nightly = tasks(flows(FLOW20)["flow20.nightly"])
    assert set(nightly) == {"extract", "load:stage", "load:merge", "load:audit", "report", "publish"}
    # extract waited on the noop start; load's first jobs wait on extract, what waited on load on its last ones
    assert nightly["extract"][1] == set()
    assert nightly["load:stage"][1] == {"extract"} and nightly["load:audit"][1] == {"extract"}
    assert nightly["load:merge"][1] == {"load:stage"}
    assert nightly["report"][1] == nightly["publish"][1] == {"load:merge", "load:audit"}
    warnings = codes(flows(FLOW20)["flow20.nightly"][0])
    assert "['start', 'end']" in warnings["NOOP_JOB"] and "['load']" in warnings["EMBEDDED_FLOW"]


def test_commands_are_substituted_and_run_in_order() -> None:
    nightly = tasks(flows(FLOW20)["flow20.nightly"])
    runtime = "${azkaban.flow.start.year}${azkaban.flow.start.month}${azkaban.flow.start.day}"
    assert nightly["extract"][0] == ("set -e\nexport HADOOP_USER_NAME=etl\n"
                                     f"sh ./scripts/extract.sh {runtime} /data/warehouse\n"
                                     "hdfs dfs -touchz /data/warehouse/_EXTRACTED")
    # the embedded flow's config lies under its jobs: ${target} comes from it
    assert nightly["load:merge"][0] == "hive -f merge.hql --hivevar target=ods"
    assert nightly["report"][0] == "Azkaban hive job:\nhive.queue=reporting\nhive.script=report.hql"


def test_what_the_jobs_held_that_tasks_do_not_is_named() -> None:
    warnings = codes(flows(FLOW20)["flow20.nightly"][0])
    assert "extract: 2 retries, 300000 ms apart" in warnings["RETRY"]
    assert "user.to.proxy (extract: etl" in warnings["RUN_AS"]
    assert "report (hive)" in warnings["TASK_BODY_AS_TEXT"]
    assert "load:audit command (|)" in warnings["NO_SHELL"]
    assert "extract: scripts/extract.sh; load:merge: merge.hql; report: report.hql" in warnings["PROJECT_FILES"]
    assert "${azkaban.flow.start.year}" in warnings["RUNTIME_VARIABLE"]
    assert "publish: ${api.token}" in warnings["UNDEFINED_VARIABLE"]
    assert "publish: notes=kept for the auditors" in warnings["PARAM_NOT_CARRIED"]
    assert "dw-oncall@example.com, lead@example.com" in warnings["ALERT_RECIPIENTS"]
    assert flows(FLOW20)["flow20.nightly"][0]["alert"] == "1"
    params = json.loads(flows(FLOW20)["flow20.nightly"][0]["params"])
    assert {"key": "warehouse", "value": "/data/warehouse"} in params
    assert not any(p["key"] in ("retries", "user.to.proxy", "failure.emails") for p in params)


def test_a_condition_other_than_all_success_refuses_the_flow() -> None:
    conditional = flows(FLOW20)["flow20.conditional"][0]
    errors = codes(conditional, "__errors__")
    assert list(errors) == ["CONDITION"] and "on_failure: 'one_failed'" in errors["CONDITION"]
    assert "done" not in errors["CONDITION"]  # all_success is what a flow does anyway


def test_a_data_trigger_is_unscheduled_and_named() -> None:
    sensor = flows(FLOW20)["flow20.sensor"][0]
    assert sensor["schedule"] == "" and "0 0 2 ? * *" in sensor["unscheduled"]
    assert "orders (kafka: topic=orders.v1" in sensor["unscheduled"] and "180 minutes" in sensor["unscheduled"]
    assert "DATA_TRIGGER" in codes(sensor)


def data_trigger_project(tmp_path: Path, cron: str, dependencies: str, wait: int = 60) -> Path:
    """A Flow 2.0 project of one flow whose trigger waits on data."""
    project = tmp_path / "feeds"
    project.mkdir()
    (project / "feeds.project").write_text("azkaban-flow-version: 2.0\n", encoding="utf-8")
    (project / "ingest.flow").write_text(
        f"trigger:\n  maxWaitMins: {wait}\n  schedule:\n    type: cron\n    value: {cron}\n"
        f"  triggerDependencies:\n{dependencies}"
        "nodes:\n  - name: load\n    type: command\n    config:\n      command: /opt/feeds/load.sh\n",
        encoding="utf-8")
    return project


CLICKS = "    - name: {name}\n      type: dataset\n      params:\n        table: web.clicks\n        window: {window}\n"


@pytest.mark.parametrize(("cron", "dependencies", "says"), [
    # Quartz reads no day of the month 32; the trigger's dependencies do not spare it the check.
    ("0 0 4 32 * ?", CLICKS.format(name="clicks", window=1), "'0 0 4 32 * ?' is not one Quartz reads"),
    # Two dependencies of one type and the same params (in any order) wait on the same data.
    ("0 0 4 ? * *", CLICKS.format(name="clicks", window=1) + "    - name: again\n      type: dataset\n"
     "      params:\n        window: 1\n        table: web.clicks\n", "['clicks', 'again'] wait on the same data"),
])
def test_a_data_trigger_azkaban_refuses_is_that_flows_error(tmp_path: Path, cron: str, dependencies: str,
                                                              says: str) -> None:
    row = rows_of(data_trigger_project(tmp_path, cron, dependencies))[0]
    assert says in codes(row, "__errors__")["MALFORMED_FLOW"] and row["task_id"] == ""


def test_a_data_trigger_valid_to_quartz_and_azkaban_is_read(tmp_path: Path) -> None:
    # Quartz reads the first seven fields and ignores the rest; two windows of one table differ.
    dependencies = CLICKS.format(name="day", window=1) + CLICKS.format(name="week", window=7)
    row = rows_of(data_trigger_project(tmp_path, "0 0 4 ? * * * extra", dependencies))[0]
    assert row["__errors__"] == "" and "fires on 0 0 4 ? * * * extra" in row["unscheduled"]


def test_a_data_trigger_waits_no_longer_than_azkaban_lets_it(tmp_path: Path) -> None:
    row = rows_of(data_trigger_project(tmp_path, "0 0 4 ? * *", CLICKS.format(name="day", window=1),
                                       wait=50_000))[0]
    assert "waits up to 14400 minutes" in row["unscheduled"]
    assert "Azkaban cuts maxWaitMins 50000 to 10 days" in codes(row)["DATA_TRIGGER"]


@pytest.mark.parametrize(("flow", "says"), [
    ("broken", "broken.flow is not YAML"),
    ("duplicate", "nodes ['a'] are defined more than once"),
    ("cyclic", "go round in a cycle (a -> b -> a)"),
    ("fast", "must start with 0 seconds"),
])
def test_a_flow_azkaban_refuses_is_that_flows_error(flow: str, says: str) -> None:
    row = flows(FLOW20)[f"flow20.{flow}"][0]
    assert says in codes(row, "__errors__")["MALFORMED_FLOW"] and row["task_id"] == ""


def test_a_flow_of_noop_jobs_has_nothing_to_run() -> None:
    assert "NOTHING_TO_RUN" in codes(flows(FLOW20)["flow20.placeholder"][0], "__errors__")


def test_job_files_beside_a_flow_20_project_are_named_as_ignored() -> None:
    assert "['legacy.job']" in codes(flows(FLOW20)["flow20.nightly"][0])["IGNORED_FILES"]


# -- the schedules file: fetchSchedule answers -----------------------------------------------------------

def test_a_schedule_of_the_web_ui_with_its_execution_options() -> None:
    """flow20.schedules.json beside the project folder is read without being named."""
    weekly = flows(FLOW20, server_timezone="Asia/Shanghai")["flow20.weekly"]
    first = weekly[0]
    assert first["schedule"] == "0 0 6 ? * MON" and first["timezone"] == "Asia/Shanghai"
    assert first["next_fire"] == "2025-06-09T06:00:00+08:00" and first["owners"] == "alice"
    # flowParameters lie over the flow's config: ${region} is emea, and it is the carried parameter
    # the schedule disabled cleanup: Azkaban skipped it in every run, and it keeps its place doing nothing
    assert tasks(weekly)["cleanup"][0] == SKIPPED + "rm -rf /tmp/weekly_emea"
    assert "main.args=--region emea" in tasks(weekly)["aggregate"][0]
    assert {"key": "region", "value": "emea"} in json.loads(first["params"])
    warnings = codes(first)
    assert "ops@example.com" in warnings["ALERT_RECIPIENTS"]  # failureEmailsOverridden
    assert "skipped jobs ['cleanup'] in every run it started" in warnings["TASK_DISABLED"]
    assert "FINISH_ALL_POSSIBLE" in warnings["FAILURE_ACTION"]
    assert "jdbc.password" in warnings["SECRET_PARAMETER"]
    assert "as alice, who made the schedule" in warnings["RUN_AS"]
    assert "concurrentOption ignore" in codes(flows(FLOW20)["flow20.conditional"][0])["CONCURRENT_RUNS"]


def test_a_schedule_of_a_flow_the_project_lacks_is_an_invalid_flow_and_other_projects_are_skipped() -> None:
    found = flows(FLOW20)
    retired = found["flow20.retired"][0]
    assert "schedule 43" in codes(retired, "__errors__")["BROKEN_REFERENCE"]
    assert not any(name.startswith("marketing") for name in found)


def test_a_flow_without_a_schedule_is_unscheduled(tmp_path: Path) -> None:
    said = flows(FLOW20)["flow20.placeholder"][0]["unscheduled"]
    assert "no schedule or trigger" in said and "no schedules file" not in said  # flow20.schedules.json was read
    # A copy of the project with no schedules file beside it: the message says none was read, and
    # where web-UI schedules are (a misnamed file turned scheduled flows into manual ones unsaid).
    shutil.copytree(FLOW20, tmp_path / "etl")
    said = flows(tmp_path / "etl")["etl.placeholder"][0]["unscheduled"]
    assert "no schedules file was read (etl.schedules.json is not beside the project" in said, said


def test_a_trigger_and_a_schedule_for_one_flow_are_refused(tmp_path: Path) -> None:
    schedules = tmp_path / "two.json"
    schedules.write_text(json.dumps([{"projectName": "flow20", "flowId": "nightly", "schedule": {
        "cronExpression": "0 0 3 * * ?", "scheduleId": "9", "submitUser": "x"}}]), encoding="utf-8")
    nightly = flows(FLOW20, schedules=str(schedules))["flow20.nightly"][0]
    assert "trigger in nightly.flow and 1 schedule(s)" in codes(nightly, "__errors__")["MULTIPLE_SCHEDULES"]


SKIPPED = "# disabled by the Azkaban schedule (disabledJobs): skipped there, the jobs after it still ran\nexit 0\n"


def test_jobs_a_schedule_disabled_do_nothing_inside_embedded_flows_too(tmp_path: Path) -> None:
    """disabledJobs names a job, an embedded flow (all its jobs), or `{"id": embedded flow,
    "children": [...]}` for nodes inside it (Azkaban's DisabledJob): each job so skipped keeps its
    place and runs `exit 0`, the jobs after it run on, as in Azkaban."""
    project = tmp_path / "flow20"
    shutil.copytree(FLOW20, project)
    nightly = project / "nightly.flow"
    nightly.write_text(nightly.read_text("utf-8").replace("trigger:\n  schedule:\n    type: cron\n"
                                                          "    value: 0 30 1 ? * MON-FRI\n", ""), "utf-8")
    schedules = tmp_path / "schedules.json"
    schedules.write_text(json.dumps([{"projectName": "flow20", "flowId": "nightly", "schedule": {
        "cronExpression": "0 30 1 ? * MON-FRI", "scheduleId": "44", "submitUser": "x", "executionOptions": {
            "disabledJobs": ["extract", {"id": "load", "children": ["merge"]}, "gone"]}}}]), encoding="utf-8")
    found = tasks(flows(project, schedules=str(schedules))["flow20.nightly"])
    skipped = {name for name, (command, _) in found.items() if command.startswith(SKIPPED)}
    assert skipped == {"extract", "load:merge"}
    assert found["load:stage"][1] == {"extract"} and found["load:merge"][1] == {"load:stage"}  # the order stays
    warnings = codes(flows(project, schedules=str(schedules))["flow20.nightly"][0])["TASK_DISABLED"]
    assert "skipped jobs ['extract', 'load:merge'] in every run it started" in warnings
    assert "disabled ['gone'], which are not jobs of this flow" in warnings
    schedules.write_text(schedules.read_text("utf-8").replace('{"id": "load", "children": ["merge"]}', '"load"'),
                         encoding="utf-8")
    found = tasks(flows(project, schedules=str(schedules))["flow20.nightly"])  # the whole embedded flow
    assert {name for name, (command, _) in found.items() if command.startswith(SKIPPED)} == {
        "extract", *(name for name in found if name.startswith("load:"))}


def test_a_schedules_file_of_other_projects_says_which_and_names_the_option(tmp_path: Path) -> None:
    project = tmp_path / "Archive"
    shutil.copytree(FLOW20, project)
    (tmp_path / "Archive.schedules.json").write_text((FIXTURES / "flow20.schedules.json").read_text("utf-8"), "utf-8")
    weekly = flows(project)["Archive.weekly"][0]
    assert "projects ['flow20', 'marketing']" in weekly["unscheduled"] and "options project" in weekly["unscheduled"]
    assert flows(project, project="flow20")["flow20.weekly"][0]["schedule"] == "0 0 6 ? * MON"


# -- the older format -------------------------------------------------------------------------------------

def test_a_flow_ends_at_every_job_no_other_job_needs() -> None:
    assert set(flows(LEGACY)) == {"legacy.daily_end", "legacy.cleanup", "legacy.after_wrapper", "legacy.sub_end",
                                  "legacy.orphan", "legacy.notype", "legacy.same"}
    daily = tasks(flows(LEGACY)["legacy.daily_end"])
    assert set(daily) == {"extract", "transform", "daily_end"}  # start is a noop
    assert daily["transform"][1] == {"extract"} and daily["daily_end"][1] == {"transform"}


def test_properties_files_chain_from_the_top_folder_down() -> None:
    daily = tasks(flows(LEGACY)["legacy.daily_end"])
    runtime = "${azkaban.flow.start.year}-${azkaban.flow.start.month}-${azkaban.flow.start.day}"
    # a continuation line joins without its leading blanks; daily.properties' queue lies over system.properties'
    assert daily["extract"][0] == (f"set -e\n/opt/etl/bin/extract.sh --date {runtime} --queue daily\n"
                                   "/opt/etl/bin/check.sh /opt/etl/out/daily")
    assert daily["transform"][0] == "spark-submit --queue daily transform.py"  # `key value` and ` : `
    assert daily["daily_end"][0] == f'echo "daily 完成 for {runtime}"'  # CRLF lines, \\u escapes
    params = {p["key"]: p["value"] for p in json.loads(flows(LEGACY)["legacy.daily_end"][0]["params"])}
    # resolved as the commands are: the value the jobs had (a run-time value stays as written)
    assert params == {"base.dir": "/opt/etl", "dt": runtime, "queue": "daily", "out.dir": "/opt/etl/out/daily"}


def test_a_command_n_after_a_gap_never_ran_and_is_named() -> None:
    warnings = codes(flows(LEGACY)["legacy.daily_end"][0])
    assert "command.3=echo never runs" in warnings["PARAM_NOT_CARRIED"]
    assert "lead@example.com when the flow succeeded" in warnings["ALERT_APPROXIMATE"]


def test_an_embedded_flow_by_flow_name_is_flattened_and_stays_a_flow_of_its_own() -> None:
    wrapped = tasks(flows(LEGACY)["legacy.after_wrapper"])
    assert wrapped == {"wrapper:sub_start": ("echo sub start", set()),
                       "wrapper:sub_end": ("echo sub end", {"wrapper:sub_start"}),
                       "after_wrapper": ("echo after the embedded flow", {"wrapper:sub_end"})}
    assert set(tasks(flows(LEGACY)["legacy.sub_end"])) == {"sub_start", "sub_end"}


@pytest.mark.parametrize(("flow", "says"), [
    ("orphan", "depends on missing_job, which no .job file defines"),
    ("notype", "has no type"),
    ("same", "defined twice, by ['dup1/same.job', 'dup2/same.job']"),
])
def test_a_broken_job_refuses_its_flow_alone(flow: str, says: str) -> None:
    assert says in codes(flows(LEGACY)[f"legacy.{flow}"][0], "__errors__")["MALFORMED_FLOW"]
    assert codes(flows(LEGACY)["legacy.cleanup"][0], "__errors__") == {}


def test_flow_files_without_a_project_file_are_ignored_as_azkaban_does() -> None:
    assert "['stray.flow']" in codes(flows(LEGACY)["legacy.cleanup"][0])["IGNORED_FILES"]


def zipped(folder: Path, target: Path, top: str = "") -> Path:
    """The folder as a project zip, with what macOS's archiver adds beside it."""
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{top}{path.relative_to(folder).as_posix()}")
        archive.writestr(f"__MACOSX/{top}._system.properties", b"\x00\x05\x16\x07binary")
        archive.writestr(f"{top}.DS_Store", b"\x00\x00\x00\x01Bud1")
    return target


@pytest.mark.parametrize("top", ["", "legacy/"])
def test_a_zip_reads_as_its_folder(tmp_path: Path, top: str) -> None:
    archive = zipped(LEGACY, tmp_path / "legacy.zip", top)
    from_zip, from_folder = rows_of(archive), rows_of(LEGACY)
    assert [(r["flow"], r["task_name"], r["command"], r["upstream"]) for r in from_zip] == [
        (r["flow"], r["task_name"], r["command"], r["upstream"]) for r in from_folder]


@pytest.mark.parametrize(("member", "why"), [
    ("../../evil.flow", "`..` climbs out of it: Azkaban refuses to upload such a zip"),  # was planned as flow `evil`
    ("scripts/../../evil.flow", "`..` climbs out of it"),
    ("..\\evil.job", "`..` climbs out of it"),
    ("/abs/evil.job", "an absolute path"),
    ("C:/evil.flow", "a drive letter"),
])
def test_a_zip_member_outside_the_project_refuses_the_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          member: str, why: str) -> None:
    archive = zipped(FLOW20, tmp_path / "etl.zip")
    with zipfile.ZipFile(archive, "a") as writing:
        writing.writestr(member, "nodes:\n  - name: evil\n    type: command\n    config:\n      command: /opt/evil.sh\n")
    code, _, err = plan(tmp_path, capsys, archive)
    assert code == 1 and f"{archive}: refused: its member {member!r} lies outside the project ({why}" in err
    assert "Traceback" not in err


def test_a_zip_member_that_stays_inside_is_read_where_it_unzips(tmp_path: Path) -> None:
    archive = zipped(FLOW20, tmp_path / "etl.zip")
    with zipfile.ZipFile(archive, "a") as writing:
        writing.writestr("scripts/.././extra.flow", "nodes:\n  - name: extra\n    type: command\n    config:\n"
                                                    "      command: echo extra\n")
    assert "etl.extra" in flows(archive)


def test_a_bad_escape_refuses_only_the_flows_that_read_it(tmp_path: Path) -> None:
    project = tmp_path / "legacy"
    shutil.copytree(LEGACY, project)
    (project / "cleanup" / "cleanup.job").write_text("type=command\ncommand=echo \\u12g4\n", encoding="utf-8")
    found = flows(project)
    assert "malformed \\uxxxx escape" in codes(found["legacy.cleanup"][0], "__errors__")["MALFORMED_FLOW"]
    assert codes(found["legacy.daily_end"][0], "__errors__") == {}


# -- the older schedules: the triggers table, 2.x's schedules table, fetchSchedules --------------------------

def test_triggers_table_rows_carry_zone_state_end_and_next_fire() -> None:
    found = flows(LEGACY, schedules="legacy.triggers.json")
    daily = found["legacy.daily_end"][0]  # made before Azkaban 3.27: its expireCondition copies its checker
    assert (daily["schedule"], daily["timezone"], daily["active"]) == ("0 0 2 * * ?", "America/Los_Angeles", "1")
    assert daily["next_fire"] == "2025-06-11T09:00:00+00:00" and daily["owners"] == "alice"
    assert "END_DATE" not in codes(daily) and not daily["source_end"]  # no end, not its copy's 2025-04-01 02:00
    # the schedule's flowParameters lie over the .properties above the job, which Azkaban's FlowRunner
    # puts under everything else ("least precedence"): queue is nightly in the commands, not daily
    daily_tasks = tasks(found["legacy.daily_end"])
    assert "--queue nightly" in daily_tasks["extract"][0] and "--queue nightly" in daily_tasks["transform"][0]
    assert "/opt/etl/bin/extract.sh" in daily_tasks["extract"][0]  # what only the .properties give: still there
    cleanup = found["legacy.cleanup"][0]  # a period schedule, every day from 03:00 in Shanghai, paused at its end
    assert (cleanup["schedule"], cleanup["timezone"], cleanup["active"]) == ("0 0 3 * * ? *", "Asia/Shanghai", "0")
    assert "trigger 12 is paused (Azkaban pauses a schedule once its end time has passed)" in \
        codes(cleanup)["INACTIVE_SOURCE"]
    assert "2025-06-11 00:00 (Asia/Shanghai) has passed" in codes(cleanup)["END_DATE"]
    ended = found["legacy.after_wrapper"][0]  # READY: the server stopped before a scan paused it
    assert ended["active"] == "0" and "2024-12-31 00:00 (UTC) has passed" in codes(ended)["END_DATE"]
    assert "FlowFinish" in codes(ended)["SLA"] and "oncall@example.com" in codes(ended)["ALERT_RECIPIENTS"]
    sub_end = found["legacy.sub_end"][0]  # data held as JSON text; Azkaban's default end, 2050: none
    assert sub_end["schedule"] == "0 45 23 L * ?" and "END_DATE" not in codes(sub_end) and sub_end["active"] == "1"


def test_schedules_table_periods_convert_or_are_refused() -> None:
    found = flows(LEGACY, schedules="legacy.schedules-table.json")
    assert found["legacy.daily_end"][0]["schedule"] == "0 30 1 * * ? *"
    assert found["legacy.after_wrapper"][0]["schedule"] == "0 0 6 ? * 2 *"  # weekly from a Monday
    cleanup = found["legacy.cleanup"][0]
    assert cleanup["schedule"] == "0 0 1/2 * * ? *" and "daylight-saving" in codes(cleanup)["PERIOD_DAYLIGHT_SAVING"]
    # every month from 31 January: Joda keeps February's last day, and adds the next month to that
    sub_end = found["legacy.sub_end"][0]
    assert sub_end["schedule"] == "0 0 6 28 * ? *" and "a month too short" in codes(sub_end)["PERIOD_MOVED"]


def test_fetch_schedules_gives_periods_in_milliseconds_and_no_zone() -> None:
    found = flows(LEGACY, schedules="legacy.fetch-schedules.json")
    assert found["legacy.daily_end"][0]["schedule"] == "0 0 2 * * ?" and found["legacy.daily_end"][0]["timezone"] == ""
    assert "server_timezone" in codes(found["legacy.cleanup"][0], "__errors__")["NEEDS_START"]
    zoned = flows(LEGACY, schedules="legacy.fetch-schedules.json", server_timezone="Asia/Shanghai")
    assert zoned["legacy.cleanup"][0]["schedule"] == "0 0 3 * * ? *"
    assert "a month measured on one day" in codes(zoned["legacy.sub_end"][0], "__errors__")["UNSUPPORTED_INTERVAL"]
    assert not any(name.startswith("flow20") for name in zoned)  # another project's schedule
    assert "PERIOD_AMBIGUOUS" not in codes(zoned["legacy.cleanup"][0])  # Shanghai keeps one offset: the same
    # In a zone with daylight saving, 86400000 ms is 1d (the wall clock's day) or 24h (an hour off from a change)
    american = flows(LEGACY, schedules="legacy.fetch-schedules.json", server_timezone="America/Los_Angeles")
    said = codes(american["legacy.cleanup"][0])["PERIOD_AMBIGUOUS"]
    assert "86400000 ms (24 hours)" in said and "1d, a day on the wall clock of America/Los_Angeles" in said, said


# -- bad input ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "says"), [
    ({"notes.txt": "hello"}, "this does not look like an Azkaban project (expected"),
    ({"a.flow": "nodes: []\n"}, "only beside a .project file"),
    ({"p.project": 'azkaban-flow-version: "2.0"\n', "a.flow": "nodes: []\n"}, "a quoted \"2.0\" is text"),
    ({"p.project": "azkaban-flow-version: 1.0\n"}, "Azkaban reads 2.0 only"),
    ({"p.project": "name: x\n"}, "azkaban-flow-version is not specified"),
    ({"p.project": "azkaban-flow-version: 2.0\n", "a.flow": "a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                                                          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
                                                          "d: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
                                                          "e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\n"
                                                          "f: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n"
                                                          "g: [*f, *f, *f, *f, *f, *f, *f, *f]\n"}, "alias bomb"),
])
def test_what_is_not_an_azkaban_project_stops_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          content: dict[str, str], says: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name, text in content.items():
        (project / name).write_text(text, encoding="utf-8")
    code, _, err = plan(tmp_path, capsys, project)
    assert code == 1 and says in err and "Traceback" not in err


def test_a_file_that_is_not_a_zip_stops_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(tmp_path, capsys, FIXTURES / "flow20.schedules.json")
    assert code == 1 and "this does not look like an Azkaban project" in err and "neither a folder nor a zip" in err


@pytest.mark.parametrize(("options", "says"), [
    ('{ server_timezone = "Mars/Olympus" }', "not a zone"),
    ('{ zone = "UTC" }', "unknown"),
    ('{ schedules = "missing.json" }', "does not exist"),
    ('{ schedules = "../dolphinscheduler_v1/export.json" }', "does not look like an Azkaban schedules export"),
])
def test_bad_options_stop_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str], options: str,
                                      says: str) -> None:
    code, _, err = plan(tmp_path, capsys, LEGACY, options)
    assert code == 1 and says in err and "Traceback" not in err


def test_a_schedule_record_that_cannot_be_read_refuses_its_flow(tmp_path: Path) -> None:
    schedules = tmp_path / "bad.json"
    schedules.write_text(json.dumps({"items": [
        {"scheduleId": 1, "flowname": "cleanup", "projectname": "legacy", "time": "yesterday", "cron": "0 0 1 * * ?"},
        {"scheduleId": 2, "flowname": "daily_end", "projectname": "legacy", "time": 1, "cron": "0 0 2 * * ?"}]}),
        encoding="utf-8")
    found = flows(LEGACY, schedules=str(schedules))
    assert "'yesterday' is not a time" in codes(found["legacy.cleanup"][0], "__errors__")["MALFORMED_SCHEDULE"]
    assert found["legacy.daily_end"][0]["schedule"] == "0 0 2 * * ?"


# -- through the CLI ----------------------------------------------------------------------------------------

def test_plan_of_the_flow_20_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, FLOW20, '{ server_timezone = "Asia/Shanghai" }',
                              target='timezone = "Asia/Shanghai"')
    assert code == 5 and inventory["flows_found"] == 10
    assert inventory["invalid_by_reason"] == {"MALFORMED_FLOW": 4, "CONDITION": 1, "NOTHING_TO_RUN": 1,
                                              "NO_TIME_SCHEDULE": 1, "BROKEN_REFERENCE": 1}
    assert inventory["convertible"] == 2  # nightly and weekly


def test_plan_shifts_a_schedule_from_its_zone_or_refuses_it(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, LEGACY, '{ schedules = "legacy.triggers.json" }',
                              target='timezone = "UTC"')
    assert code == 5
    freqs = {f["name"]: f["freq"] for f in inventory["actions"] if f.get("freq")}
    assert freqs["legacy.cleanup"] == "0 0 19 * * ? *"  # 03:00 in Shanghai, a zone without daylight saving
    assert freqs["legacy.after_wrapper"] == "0 0 0/4 * * ? *"  # already in UTC
    assert inventory["invalid_by_reason"]["TIMEZONE_MISMATCH"] == 2  # Los Angeles and Berlin keep daylight saving


def test_run_saves_the_example_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: the shipped example, created by Import and saved with its tasks and relations."""
    example = Path(__file__).resolve().parent.parent / "data" / "examples" / "azkaban"
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "azkaban.toml", "azkaban", example / "etl",
                                source_lines='options = { server_timezone = "Asia/Shanghai" }',
                                extra='[mapping]\nunscheduled = "manual"', target='timezone = "Asia/Shanghai"',
                                run="create_missing = true")
    code, report = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"created": 3}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = {f["name"]: f for f in (json.loads(v) for (v,) in db.execute(
            "SELECT value FROM state WHERE key LIKE 'flow:%'"))}
    graph = stored["etl.daily_orders"]["graph"]
    node = {t["taskName"]: t["nodeId"] for t in graph["tasks"]}
    assert set(node) == {"extract", "load:stage", "load:merge", "notify"}
    assert {(r["source"], r["target"]) for r in graph["relations"]} == {
        (node["extract"], node["load:stage"]), (node["load:stage"], node["load:merge"]),
        (node["load:merge"], node["notify"])}
    assert graph["freq"] == "0 30 2 ? * 2-6 *"
    assert stored["etl.clickstream"]["graph"]["type"] == 0  # waits on data: a manual flow


# -- property tests ------------------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def store_escaped(text: str, key: bool) -> list[str]:
    """java.util.Properties.store's escaping (saveConvert with escUnicode), one token per character:
    the oracle's writer."""
    out = []
    for index, char in enumerate(text):
        if char == " " and (key or index == 0):
            out.append("\\ ")
        elif char in "\\=:#!":
            out.append("\\" + char)
        elif char in "\t\n\r\f":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[char])
        elif ord(char) < 0x20 or ord(char) > 0x7E:
            units = char.encode("utf-16-be")
            out.append("".join(f"\\u{int.from_bytes(units[i:i + 2], 'big'):04X}" for i in range(0, len(units), 2)))
        else:
            out.append(char)
    return out


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@PROPERTIES
@given(entries=st.dictionaries(texts.filter(bool), texts, max_size=8), breaks=st.lists(st.integers(1, 60), max_size=3),
       separator=st.sampled_from(["=", ":", " = ", " ", "\t:"]), comment=st.sampled_from(["#", "!", "  #"]))
def test_properties_read_as_java_stores_them(entries: dict[str, str], breaks: list[int], separator: str,
                                             comment: str) -> None:
    """What Properties.store writes, read back; with lines continued (a backslash, then blanks on the
    next line) between characters, as people write long commands."""
    lines = [f"{comment} written by java.util.Properties.store"]
    for key, value in entries.items():
        tokens = [*store_escaped(key, True), separator, *store_escaped(value, False)]
        # (not before a blank: the continued line's leading blanks are skipped, a blank with them)
        for at in sorted({b for b in breaks if b < len(tokens) and not tokens[b][:1].isspace()}, reverse=True):
            tokens.insert(at, "\\\n    ")
        lines.append("".join(tokens))
    assert java_properties("\n".join(lines), "generated") == entries


UNITS = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
         "w": timedelta(weeks=1)}


def azkaban_fires(first: datetime, count: int, unit: str, times: int) -> list[datetime]:
    """Azkaban's period arithmetic (BasicTimeChecker: the period added again and again with Joda-Time):
    months and years on the calendar, the rest as fixed durations (in a zone without daylight saving)."""
    fires, at = [], first
    for _ in range(times):
        fires.append(at)
        at = at + (relativedelta(months=count) if unit == "M" else relativedelta(years=count) if unit == "y"
                   else UNITS[unit] * count)
    return fires


def lines_up(count: int, unit: str, first: datetime) -> bool:
    """A period is a schedule only where it lines up with the calendar (cron-semantics.md §3.5): k
    minutes (k dividing 60), k hours (k dividing 24), a day, a week, a month from day 28 or earlier, a
    year (not from 29 February)."""
    if unit == "M":
        return (count == 1 and first.day <= 28) or (count == 12 and (first.month, first.day) != (2, 29))
    if unit == "y":
        return count == 1 and (first.month, first.day) != (2, 29)
    seconds = int(count * UNITS[unit].total_seconds())
    minutes = seconds // 60
    return seconds % 60 == 0 and ((minutes < 60 and 60 % minutes == 0) or minutes == 7 * 1440
                                  or (minutes % 60 == 0 and minutes <= 1440 and 1440 % minutes == 0))


@PROPERTIES
@given(first=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(lambda d: d.replace(microsecond=0)),
       period=st.one_of(st.sampled_from([(k, "m") for k in (1, 2, 3, 5, 6, 10, 15, 20, 30, 7, 45, 90)]),
                        st.sampled_from([(k, "h") for k in (1, 2, 3, 4, 6, 8, 12, 5, 24, 36)]),
                        st.sampled_from([(1, "d"), (2, "d"), (7, "d"), (1, "w"), (2, "w"), (1, "M"), (12, "M"),
                                         (2, "M"), (1, "y"), (30, "s"), (120, "s")])),
       spelling=st.sampled_from(["short", "spelled"]))
def test_a_period_converts_to_exactly_azkabans_fire_times_or_is_refused(first: datetime, period: tuple[int, str],
                                                                       spelling: str) -> None:
    count, unit = period
    words = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "M": "month", "y": "year"}
    text = f"{count}{unit}" if spelling == "short" else f"{count} {words[unit]}(s)"
    oracle = azkaban_fires(first, count, unit, 30)
    schedule = lines_up(count, unit, first)
    try:
        converted = convert_period(text, first)
    except Rejection as rejection:
        assert not schedule and rejection.code in ("UNSUPPORTED_INTERVAL", "SUB_MINUTE"), (text, first, rejection)
        return
    assert schedule, (text, first, converted.freq)
    fires = list(islice(parse_quartz(converted.freq).fire_times(first - timedelta(seconds=1)), 30))
    assert fires == oracle, (text, first, converted.freq)


FIELDS = {"minute": (0, 59), "hour": (0, 23), "dom": (1, 28), "month": (1, 12)}
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@st.composite
def trigger_crons(draw: st.DrawFn) -> str:
    """Quartz crons a flow trigger takes (seconds 0), in forms croniter reads the same way."""
    def field(lo: int, hi: int) -> str:
        kind = draw(st.sampled_from(["*", "value", "range", "step", "list"]))
        a = draw(st.integers(lo, hi - 1))
        b = draw(st.integers(a + 1, hi))
        return {"*": "*", "value": str(a), "range": f"{a}-{b}", "step": f"{a}-{b}/{draw(st.integers(1, 7))}",
                "list": ",".join(str(v) for v in sorted(set(draw(st.lists(st.integers(lo, hi), min_size=1,
                                                                          max_size=4)))))}[kind]
    minute, hour, month = field(0, 59), field(0, 23), field(1, 12)
    if draw(st.booleans()):
        dom, dow = field(1, 28), "?"
    else:
        first = draw(st.integers(0, 5))
        dom, dow = "?", draw(st.sampled_from([DAYS[first], f"{DAYS[first]}-{DAYS[draw(st.integers(first + 1, 6))]}",
                                              "*"]))
    return f"0 {minute} {hour} {dom} {month} {dow}"


def croniter_form(quartz: str) -> str:
    _, minute, hour, dom, month, dow = quartz.split()
    return f"{minute} {hour} {'*' if dom == '?' else dom} {month} {'*' if dow == '?' else dow.lower()}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(cron=trigger_crons(), start=st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1)))
def test_a_trigger_cron_fires_exactly_as_croniter_reads_it(tmp_path: Path, cron: str, start: datetime) -> None:
    project = tmp_path / "cron"
    project.mkdir(exist_ok=True)
    (project / "p.project").write_text("azkaban-flow-version: 2.0\n", encoding="utf-8")
    (project / "f.flow").write_text(f"trigger:\n  schedule:\n    type: cron\n    value: {cron}\n"
                                    "nodes:\n  - name: a\n    type: command\n    config:\n      command: echo a\n",
                                    encoding="utf-8")
    row = rows_of(project)[0]
    assert row["schedule"] == cron and row["__errors__"] == ""
    result = convert(row["schedule"], "quartz")
    assert isinstance(result, Converted), result
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(days=800)
    oracle = list(islice(takewhile(lambda t: t <= end, croniter(croniter_form(cron), start,
                                                                ret_type=datetime).all_next(datetime)), 25))
    ours = list(islice(takewhile(lambda t: t <= end, parse_quartz(result.freq).fire_times(start)), 25))
    assert ours == oracle, (cron, result.freq)


@st.composite
def job_graphs(draw: st.DrawFn) -> dict[str, tuple[str, list[str]]]:
    """Jobs of the older format: name -> (type, dependencies on earlier jobs)."""
    count = draw(st.integers(1, 9))
    graph: dict[str, tuple[str, list[str]]] = {}
    for index in range(count):
        earlier = list(graph)
        parents = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3)) if earlier else []
        graph[f"job{index}"] = (draw(st.sampled_from(["command", "command", "noop"])), parents)
    return graph


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(graph=job_graphs())
def test_flows_of_job_files_are_every_end_with_what_it_waits_on(tmp_path: Path,
                                                                graph: dict[str, tuple[str, list[str]]]) -> None:
    project = tmp_path / "generated"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    for name, (kind, parents) in graph.items():
        (project / f"{name}.job").write_text(f"type={kind}\ncommand=echo {name}\ndependencies={','.join(parents)}\n",
                                             encoding="utf-8")

    def ancestors(name: str) -> set[str]:
        return {name} | {a for p in graph[name][1] for a in ancestors(p)}

    def runs_after(name: str) -> set[str]:  # the nearest jobs before it that are not noop
        return {q for p in graph[name][1] for q in ({p} if graph[p][0] != "noop" else runs_after(p))}

    needed = {p for _, parents in graph.values() for p in parents}
    found = flows(project)
    assert set(found) == {f"generated.{n}" for n in graph if n not in needed}
    for end in (n for n in graph if n not in needed):
        members = {n for n in ancestors(end) if graph[n][0] != "noop"}
        rows = found[f"generated.{end}"]
        if not members:
            assert "NOTHING_TO_RUN" in codes(rows[0], "__errors__")
            continue
        assert {name: upstream for name, (_, upstream) in tasks(rows).items()} == {
            n: runs_after(n) for n in members}


def test_a_period_that_drifts_across_daylight_saving_is_refused_by_the_proof_unless_opted_in(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every 2h in New York: the converter keeps the clock hours, the source's period does not (it
    keeps 2h of elapsed time across a change); the proof finds it: refused, with the opt-in named;
    with `timezone_shift = "approximate"`, saved with the evidence as a warning."""
    options = '{ project = "legacy", schedules = "legacy.schedules-table.json" }'
    code, found, err = plan(tmp_path, capsys, LEGACY, options, target='timezone = "America/New_York"')
    assert found, err
    cleanup = next(a for a in found["actions"] if a["source_key"] == "legacy/cleanup")
    assert cleanup["action"] == "invalid" and cleanup["proof"]["verdict"] == "differs", cleanup
    assert 'timezone_shift = "approximate"' in cleanup["errors"][0]["message"]
    code, found, err = plan(tmp_path, capsys, LEGACY, options, extra='[mapping]\ntimezone_shift = "approximate"',
                            target='timezone = "America/New_York"')
    assert code == 5 and found, err  # the malformed flows of the fixture stay invalid
    cleanup = next(a for a in found["actions"] if a["source_key"] == "legacy/cleanup")
    assert cleanup["action"] == "valid" and "NOT_EQUIVALENT" in {w["code"] for w in cleanup["warnings"]}, cleanup


def _fetch_schedule(flow: str, period: str, first: str, next_time: str | None) -> dict[str, Any]:
    """A fetchSchedule answer of a period schedule (wall clocks in the server's zone)."""
    return {"projectName": "legacy", "flowId": flow, "schedule": {
        "cronExpression": None, "period": period, "submitUser": "alice", "firstSchedTime": first,
        "nextExecTime": next_time, "executionOptions": {"flowParameters": {}}}}


def test_a_period_moved_for_good_by_a_gap_or_a_short_month_fires_where_azkaban_has_it_now(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Azkaban adds a period to the time before with Joda-Time: a daily 02:30 in New York meets the
    spring gap, comes out at 03:30 and stays there; a monthly from the 31st is on the 28th from
    February on (tests/oracle: Joda-Time itself). The flow fires as Azkaban does now, and the proof,
    which counts as Joda does, finds it equivalent. Before, the flow fired at 02:30, an hour before
    Azkaban, proved equivalent by a proof that did not count so."""
    schedules = tmp_path / "schedules.json"
    schedules.write_text(json.dumps([
        _fetch_schedule("daily_end", "1 day(s)", "2025-03-08 02:30:00", "2026-11-29 03:30:00"),
        _fetch_schedule("sub_end", "1 month(s)", "2025-01-31 06:00:00", None)]), encoding="utf-8")
    options = f'{{ project = "legacy", schedules = "{schedules}", server_timezone = "America/New_York" }}'
    _, found, err = plan(tmp_path, capsys, LEGACY, options, target='timezone = "America/New_York"')
    assert found, err
    by_key = {a["source_key"]: a for a in found["actions"]}
    daily, monthly = by_key["legacy/daily_end"], by_key["legacy/sub_end"]
    assert (daily["action"], daily["freq"], daily["proof"]["verdict"]) == ("valid", "0 30 3 * * ? *", "equivalent")
    assert "a daylight-saving gap" in next(w["message"] for w in daily["warnings"] if w["code"] == "PERIOD_MOVED")
    assert (monthly["action"], monthly["freq"], monthly["proof"]["verdict"]) == ("valid", "0 0 6 28 * ? *",
                                                                                 "equivalent"), monthly
    assert "a month too short" in next(w["message"] for w in monthly["warnings"] if w["code"] == "PERIOD_MOVED")


def test_a_period_whose_next_time_the_export_gives_elsewhere_is_refused(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The export's own next fire time must be one of the period's: one the period never reaches
    says the times were read in another zone than Azkaban's (it was checked for cron schedules
    only). A daily 01:30 whose next time is 01:30 passes; 07:13 does not, nor does 2h from 01:00
    whose next time is at an odd hour in the same zone's winter."""
    schedules = tmp_path / "schedules.json"
    schedules.write_text(json.dumps([
        _fetch_schedule("daily_end", "1 day(s)", "2025-03-08 01:30:00", "2026-11-29 01:30:00"),
        _fetch_schedule("sub_end", "1 day(s)", "2025-03-08 01:30:00", "2026-11-29 07:13:00"),
        _fetch_schedule("cleanup", "2 hour(s)", "2025-01-08 01:00:00", "2025-01-09 06:00:00")]), encoding="utf-8")
    options = f'{{ project = "legacy", schedules = "{schedules}", server_timezone = "America/New_York" }}'
    _, found, err = plan(tmp_path, capsys, LEGACY, options, target='timezone = "America/New_York"')
    assert found, err
    by_key = {a["source_key"]: a for a in found["actions"]}
    assert by_key["legacy/daily_end"]["action"] == "valid", by_key["legacy/daily_end"]
    for key, said in (("legacy/sub_end", "2026-11-29 07:13"), ("legacy/cleanup", "2025-01-09 06:00")):
        refused = by_key[key]
        assert refused["action"] == "invalid", refused
        [error] = [e for e in refused["errors"] if e["code"] == "TIMEZONE_MISMATCH"]
        assert f"fires next at {said} (America/New_York)" in error["message"] and "server_timezone" in error["message"]


def test_a_period_that_begins_ahead_is_proved_from_its_first_time(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A daily period whose first time is ahead starts the flow on that day and is proved from then
    (it was left unchecked); one every 6 hours from 14:00 would also fire at 02:00 and 08:00 on its
    first day, which FIRST_DAY names."""
    first = datetime.now(UTC).date() + timedelta(days=30)
    schedules = tmp_path / "schedules.json"
    schedules.write_text(json.dumps([
        _fetch_schedule("daily_end", "1 day(s)", f"{first} 14:00:00", f"{first} 14:00:00"),
        _fetch_schedule("cleanup", "6 hour(s)", f"{first} 14:00:00", f"{first} 14:00:00")]), encoding="utf-8")
    options = f'{{ project = "legacy", schedules = "{schedules}", server_timezone = "UTC" }}'
    _, found, err = plan(tmp_path, capsys, LEGACY, options, target='timezone = "UTC"')
    assert found, err
    by_key = {a["source_key"]: a for a in found["actions"]}
    daily, cleanup = by_key["legacy/daily_end"], by_key["legacy/cleanup"]
    assert (daily["freq"], daily["proof"]["verdict"]) == ("0 0 14 * * ? *", "equivalent"), daily
    assert daily["proof"]["from"].startswith(f"{first}T00:00:00")
    assert cleanup["proof"]["verdict"] == "unchecked" and "FIRST_DAY" in cleanup["proof"]["reason"], cleanup
    said = next(w["message"] for w in cleanup["warnings"] if w["code"] == "FIRST_DAY")
    assert f"{first} 02:00:00, {first} 08:00:00" in said, said


def test_a_config_value_naming_another_is_carried_resolved(tmp_path: Path) -> None:
    """`out: /data/${region}` was carried as written while the commands got /data/eu: a parameter
    value Azkaban never had (found by a hunt over real Flow 2.0 projects)."""
    project = tmp_path / "p3"
    project.mkdir()
    (project / "p3.project").write_text("azkaban-flow-version: 2.0\n", encoding="utf-8")
    (project / "f.flow").write_text(
        "config:\n  region: eu\n  out: /data/${region}\n  run: ${azkaban.flow.execid}\n"
        "trigger:\n  schedule:\n    type: cron\n    value: 0 0 2 ? * *\n"
        "nodes:\n  - name: a\n    type: command\n    config:\n      command: echo ${out}\n", encoding="utf-8")
    [rows] = flows(project, server_timezone="UTC").values()
    assert json.loads(rows[0]["params"]) == [{"key": "region", "value": "eu"}, {"key": "out", "value": "/data/eu"},
                                             {"key": "run", "value": "${azkaban.flow.execid}"}]  # run time: as written
    assert rows[0]["command"] == "echo /data/eu"


def test_a_loop_or_an_undefined_name_in_the_config_is_the_flows_as_in_a_command(tmp_path: Path) -> None:
    """`loopa: ${loopb}`, `loopb: ${loopa}` (no command uses them) were saved as loopa=${loopb},
    loopb=${loopb}, a value altered without a word (found by a reviewer): Azkaban resolved every
    property of every job and failed on a loop, so the flow is refused as when a command uses it;
    `${nope}` defined nowhere is named."""
    project = tmp_path / "p1"
    project.mkdir()
    (project / "p1.project").write_text("azkaban-flow-version: 2.0\n", encoding="utf-8")
    (project / "f1.flow").write_text(
        "config:\n  loopa: ${loopb}\n  loopb: ${loopa}\n  missing: x-${nope}\n"
        "nodes:\n  - name: a\n    type: command\n    config:\n      command: echo hi\n", encoding="utf-8")
    [rows] = flows(project, server_timezone="UTC").values()
    assert "loopb -> loopa -> loopb" in codes(rows[0], "__errors__")["MALFORMED_FLOW"]
    assert "the parameters: ${nope}" in codes(rows[0])["UNDEFINED_VARIABLE"]


def _cron_trigger(number: int, flow: str, cron: str, zone: str, next_fire: datetime, end: datetime) -> dict[str, Any]:
    """A triggers-table row of a cron schedule, READY, with its next fire time and its end time (epoch ms),
    its expireCondition as Azkaban writes it from 3.27 on (EndTimeChecker_1)."""
    def checker(name: str, first: int, following: int, cron_expression: str | None) -> dict[str, Any]:
        return {"expression": f"{name}.eval()", "nextCheckTime": str(following), "checkers": [
            {"type": "BasicTimeChecker", "checkerJson": {
                "type": "BasicTimeChecker", "id": name, "firstCheckTime": str(first), "timezone": zone,
                "nextCheckTime": str(following), "isRecurring": str(cron_expression is not None).lower(),
                "skipPastChecks": str(cron_expression is not None).lower(), "period": "null",
                "cronExpression": cron_expression}}]}
    first = int((next_fire - timedelta(days=30)).timestamp() * 1000)
    return {"trigger_id": number, "trigger_source": "SimpleTimeTrigger", "data": {
        "triggerCondition": checker("BasicTimeChecker_1", first, int(next_fire.timestamp() * 1000), cron),
        "expireCondition": checker("EndTimeChecker_1", first, int(end.timestamp() * 1000), None),
        "actions": [{"type": "ExecuteFlowAction", "actionJson": {
            "type": "ExecuteFlowAction", "projectName": "legacy", "flowName": flow, "submitUser": "alice",
            "executionOptions": {"flowParameters": {}}}}],
        "triggerId": str(number), "status": "READY", "submitUser": "alice"}}


def test_an_end_time_is_the_instant_the_trigger_stops_not_its_day(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A triggers-table end time is an instant: Azkaban's scan pauses the trigger once it has passed,
    before it looks at the schedule, so a run at it or after it is never made. Taken as its day, an
    end passed an hour ago kept the flow active, as did one ten minutes before the next run, and
    one at that run itself (found by a reviewer: "disable it on that date" for schedules that had
    fired for the last time). Now the passed end saves the flow inactive (END_DATE) and the others
    never run again (NEVER_RUNS); an end after the next run still keeps the flow active. Times are
    built from now: the next run is the whole hour one to two hours ahead, in Tokyo."""
    tokyo = ZoneInfo("Asia/Tokyo")
    keys = {"legacy/daily_end", "legacy/cleanup", "legacy/sub_end", "legacy/after_wrapper"}
    next_fire = (datetime.now(tokyo) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    cron = f"0 0 {next_fire.hour} ? * *"
    schedules = tmp_path / "schedules.json"
    schedules.write_text(json.dumps([
        _cron_trigger(1, "daily_end", cron, "Asia/Tokyo", next_fire, next_fire - timedelta(minutes=10)),
        _cron_trigger(2, "cleanup", cron, "Asia/Tokyo", next_fire, datetime.now(tokyo) - timedelta(hours=1)),
        _cron_trigger(3, "sub_end", cron, "Asia/Tokyo", next_fire, next_fire),
        _cron_trigger(4, "after_wrapper", cron, "Asia/Tokyo", next_fire, next_fire + timedelta(minutes=1))]),
        encoding="utf-8")
    rows = {name.split(".")[1]: flow_rows[0] for name, flow_rows in flows(LEGACY, schedules=str(schedules)).items()}
    passed = rows["cleanup"]  # an hour ago: the profile says so
    assert passed["active"] == "0" and "has passed: the job no longer fires" in codes(passed)["END_DATE"], passed
    assert rows["daily_end"]["source_end"] == (next_fire - timedelta(minutes=10)).isoformat()  # the instant
    options = f'{{ project = "legacy", schedules = "{schedules}" }}'
    _, found, err = plan(tmp_path, capsys, LEGACY, options, target='timezone = "Asia/Tokyo"',
                         start_time="2020-01-01")  # the flow runs from now
    assert found, err
    said: dict[str, dict[str, str]] = {}
    for action in (a for a in found["actions"] if a["source_key"] in keys):
        assert action["action"] == "valid" and action["freq"] == f"0 0 {next_fire.hour} * * ? *", action
        said[action["source_key"]] = {w["code"]: w["message"] for w in action["warnings"]}
    for key in ("legacy/daily_end", "legacy/sub_end"):  # ten minutes before the next run, and at it
        never = said[key].get("NEVER_RUNS", "")
        assert f"before its next run at {next_fire:%Y-%m-%d %H:%M:%S}" in never and "(active 0)" in never, said[key]
        assert "END_DATE" not in said[key]
    assert set(said) == keys and "(active 0)" in said["legacy/cleanup"]["END_DATE"]
    kept = said["legacy/after_wrapper"]  # a minute after it: that run is made, the flow stays active
    assert "it stays active; its last run before then" in kept["END_DATE"] and "NEVER_RUNS" not in kept, kept


def _trigger_before_3_27(number: int, flow: str, cron: str, zone: str, next_fire: datetime,
                         started: datetime) -> dict[str, Any]:
    """A triggers-table row of a schedule made before Azkaban 3.27, as a later server keeps it: its
    expireCondition is BasicTimeChecker_2, a copy of its own checker, cron and all
    (TriggerBasedScheduleLoader.createExpireCondition up to 3.26), whose nextCheckTime the server
    set, as it loaded the row, to the schedule's first time after it started, and no longer resets."""
    row = _cron_trigger(number, flow, cron, zone, next_fire, next_fire)
    copy = json.loads(json.dumps(row["data"]["triggerCondition"]).replace("BasicTimeChecker_1", "BasicTimeChecker_2"))
    copy["nextCheckTime"] = copy["checkers"][0]["checkerJson"]["nextCheckTime"] = str(int(started.timestamp() * 1000))
    row["data"]["expireCondition"] = copy
    return row


def test_a_schedule_made_before_azkaban_3_27_has_no_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before Azkaban 3.27 (PR #1110) a schedule's expireCondition was a copy of its own checker, not
    an end; from 3.27 the TriggerManager pauses a trigger on its expireCondition, and from 3.30 the
    schedule loader reads an end from it, only when its expression names an EndTimeChecker. The
    profile read the copy's nextCheckTime, a fire time set when the server last started, as the end
    (found reading Azkaban's source): a live schedule was saved inactive, its end "passed", or
    NEVER_RUNS when the server had started since its last run. Now such a row has no end and its flow stays active.
    An EndTimeChecker that gives no end time, which Azkaban fails to load, refuses its flow (its
    firstCheckTime, the schedule's first time, was taken for the end). Times from now, in Tokyo."""
    tokyo = ZoneInfo("Asia/Tokyo")
    next_fire = (datetime.now(tokyo) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    cron = f"0 0 {next_fire.hour} ? * *"
    no_end_time = _cron_trigger(3, "after_wrapper", cron, "Asia/Tokyo", next_fire, next_fire)
    del no_end_time["data"]["expireCondition"]["checkers"][0]["checkerJson"]["nextCheckTime"]
    schedules = tmp_path / "schedules.json"
    schedules.write_text(json.dumps([
        _trigger_before_3_27(1, "daily_end", cron, "Asia/Tokyo", next_fire, next_fire - timedelta(days=40)),
        _trigger_before_3_27(2, "cleanup", cron, "Asia/Tokyo", next_fire, next_fire),  # started since its last run
        no_end_time]), encoding="utf-8")
    rows = {name.split(".")[1]: flow_rows[0] for name, flow_rows in flows(LEGACY, schedules=str(schedules)).items()}
    for name in ("daily_end", "cleanup"):
        row = rows[name]
        assert (row["active"], row["source_end"], row["timezone"]) == ("1", "", "Asia/Tokyo"), row
        assert not {"END_DATE", "INACTIVE_SOURCE"} & set(codes(row)) and codes(row, "__errors__") == {}, row
    refused = codes(rows["after_wrapper"], "__errors__")["MALFORMED_SCHEDULE"]
    assert "trigger 3 has an EndTimeChecker with no end time (nextCheckTime missing)" in refused, refused
    options = f'{{ project = "legacy", schedules = "{schedules}" }}'
    _, found, err = plan(tmp_path, capsys, LEGACY, options, target='timezone = "Asia/Tokyo"')
    assert found, err
    actions = {a["source_key"]: a for a in found["actions"]}
    for key in ("legacy/daily_end", "legacy/cleanup"):
        action = actions[key]
        assert action["action"] == "valid" and action["freq"] == f"0 0 {next_fire.hour} * * ? *", action
        assert not {"END_DATE", "NEVER_RUNS", "INACTIVE_SOURCE"} & {w["code"] for w in action["warnings"]}, action
    assert actions["legacy/after_wrapper"]["action"] == "invalid"
    assert [e["code"] for e in actions["legacy/after_wrapper"]["errors"]] == ["MALFORMED_SCHEDULE"]
