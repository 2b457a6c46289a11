"""The oozie profile on applications in the shapes real installations keep (fixtures in
tests/fixtures/oozie/, built after public ones): a bundle of coordinators with `<parameters>`,
included datasets and a shared error e-mail workflow (Wikimedia's refinery); job.properties with
continuation lines, a coordinator in a subfolder and secrets (a bank's CDP cluster); a server whose
processing timezone is GMT+0800; workflows with nested forks, sub-workflows, error paths, loops.

Schedules are checked against our own evaluators of Oozie's grammar (its cron dialect, and its
materialization of intervals: Java Calendar arithmetic from `start` in the coordinator's zone),
themselves checked on the examples of Oozie's CoordinatorFunctionalSpec; the converted freq's fire
times come from migrate.schedule.quartz."""

from __future__ import annotations

import calendar
import json
import shlex
import shutil
import sqlite3
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, base_state, plan_profile, profile_run_config, standard_cells
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.schedule.oozie import (
    Frequency,
    convert_oozie_cron,
    place_frequency,
    read_datetime,
    read_frequency,
    read_zone,
)
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Rejection
from migrate.sources.profiles import registry
from migrate.sources.profiles.oozie import Scope, parse_properties
from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "oozie"
EXAMPLE = REPO / "data" / "examples" / "oozie"


def read_flows(path: Path, **options: Any) -> dict[str, list[dict[str, str]]]:
    """Rows by flow key, in order."""
    settings = SourceSettings(path=path, profile="oozie", options=options)
    found: dict[str, list[dict[str, str]]] = {}
    for row in registry()["oozie"].read(settings):
        found.setdefault(row.cells["flow"], []).append(standard_cells(row))
    return found


def notes(cells: dict[str, str], column: str = "__warnings__") -> dict[str, str]:
    return {n["code"]: n["message"] for n in json.loads(cells[column])} if cells[column] else {}


def tasks(rows: list[dict[str, str]]) -> dict[str, tuple[str, str]]:
    """Task name -> (its upstream task names, its command)."""
    names = {r["task_id"]: r["task_name"] for r in rows}
    return {r["task_name"]: (";".join(names[u] for u in r["upstream"].split(";") if u), r["command"]) for r in rows}


# -- the example export ----------------------------------------------------------------------------

def test_the_example_export() -> None:
    flows = read_flows(EXAMPLE)
    assert set(flows) == {"coordinator daily-sales-coord", "coordinator hourly-logs-coord",
                          "coordinator weekly-campaign-coord", "workflow sales-backfill-wf"}
    daily = flows["coordinator daily-sales-coord"]
    first = daily[0]
    # ${coord:days(1)} from 2024-01-01T01:30Z: 09:30 every day on Shanghai's clock
    assert (first["schedule"], first["timezone"], first["start_date"]) == ("0 30 9 * * ? *", "Asia/Shanghai",
                                                                            "2024-01-01")
    graph = tasks(daily)
    assert {name: up for name, (up, _) in graph.items()} == {
        "load-orders": "", "check-inputs": "", "aggregate": "load-orders;check-inputs", "clean-staging": "aggregate"}
    assert "notify-failure" not in graph  # an error path, not a task
    warned = notes(first)
    assert first["alert"] == "1" and "data-oncall@corp.example" in warned["ERROR_EMAIL"]
    assert "raw/logs/${YEAR}/${MONTH}/${DAY}/${HOUR}" in warned["DATA_DEPENDENCY"]
    assert "coordinator hourly-logs-coord" in warned["CROSS_FLOW_DEPENDENCY"]
    assert warned["TIMEOUT"].startswith("timeout 360 (${coord:hours(6)})")
    assert "check-inputs: 3, every 10 min" in warned["RETRY"]
    assert "etl_batch" in warned["RUN_AS"] and first["owners"] == "etl_batch"
    spark = graph["aggregate"][1]
    assert "--num-executors 8 --executor-memory 4G --conf spark.sql.shuffle.partitions=200" in spark  # continued line
    assert "hdfs://nameservice1/apps/sales/lib/sales-jobs.jar" in spark
    assert spark.index("hdfs dfs -rm -r -f -skipTrash") < spark.index("spark-submit")  # its <prepare> runs first
    assert "HADOOP_USER_NAME=etl_batch check_inputs.sh --date" in graph["check-inputs"][1]  # ${wf:user()}
    hourly = flows["coordinator hourly-logs-coord"][0]
    assert (hourly["schedule"], hourly["timezone"]) == ("0 15 * * * ? *", "UTC")
    campaign = flows["coordinator weekly-campaign-coord"][0]
    assert "DECISION_NODE" in notes(campaign, "__errors__")
    backfill = flows["workflow sales-backfill-wf"][0]
    assert backfill["schedule"] == "" and "no coordinator" in backfill["unscheduled"]
    assert "order_date between '2024-01-01' and '2024-01-31'" in backfill["command"]


def test_plan_of_the_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan_profile(tmp_path, capsys, "oozie", EXAMPLE, extra='[mapping]\nunscheduled = "manual"',
                                      target='timezone = "Asia/Shanghai"')
    assert code == 5 and inventory["flows_found"] == 4 and inventory["convertible"] == 3
    assert inventory["invalid_by_reason"] == {"DECISION_NODE": 1}
    assert inventory["warnings_by_code"]["CROSS_FLOW_DEPENDENCY"] == 1


def test_run_against_the_emulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: every valid flow created with its tasks and relations, the fork's branches
    side by side and the join waiting on both."""
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "oozie.toml", "oozie", EXAMPLE, extra='[mapping]\nunscheduled = "manual"',
                                target='timezone = "Asia/Shanghai"', run="create_missing = true")
    assert main(["run", str(config), "--json"]) == 5  # the decision workflow is invalid
    report = json.loads(capsys.readouterr().out)
    assert report["by_status"].get("created") == 3
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = {f["name"]: f for f in (json.loads(v) for (v,) in db.execute(
            "SELECT value FROM state WHERE key LIKE 'flow:%'"))}
    daily = stored["daily-sales-coord"]["graph"]
    node = {t["taskName"]: t["nodeId"] for t in daily["tasks"]}
    assert {(r["source"], r["target"]) for r in daily["relations"]} == {
        (node["load-orders"], node["aggregate"]), (node["check-inputs"], node["aggregate"]),
        (node["aggregate"], node["clean-staging"])}
    assert daily["freq"] == "0 30 9 * * ? *" and daily["alertMode"] == 1
    assert stored["hourly-logs-coord"]["graph"]["freq"] == "0 15 * * * ? *"  # UTC's hours are Shanghai's too


# -- a bundle, parameters, included datasets, a shared error e-mail ---------------------------------

def test_a_bundle_makes_a_flow_per_coordinator_with_its_configuration() -> None:
    flows = read_flows(FIXTURES / "refinery")
    assert set(flows) == {"bundle cassandra-bundle/cassandra-daily-coord-per_article_flat",
                          "bundle cassandra-bundle/cassandra-hourly-coord-per_project"}  # the e-mail workflow is not a job
    daily = flows["bundle cassandra-bundle/cassandra-daily-coord-per_article_flat"]
    first = daily[0]
    assert first["flow_name"] == "cassandra-daily-coord-per_article_flat"
    assert (first["schedule"], first["timezone"]) == ("0 0 0 * * ? *", "Universal")
    warned = notes(first)
    # the dataset comes from the included datasets file; the instance placeholders stay
    assert "wmf/pageview/hourly/year=${YEAR}/month=${MONTH + 0}/day=${DAY}/hour=${HOUR}" in warned["DATA_DEPENDENCY"]
    assert "send_error_email e-mailed analytics-alerts@example.org" in warned["ERROR_EMAIL"]
    assert first["alert"] == "1" and "kick-off-time" in warned["KICK_OFF_TIME"]
    assert warned["PROPERTY_SECRET"].startswith("cassandra_password looks like a secret")  # not the keyspaces
    assert "analytics" in warned["RUN_AS"] and {"TIMEOUT", "CONCURRENCY", "THROTTLE"} <= set(warned)
    hive = tasks(daily)["prepare_data"][1]
    # the workflow's <parameters> default, the bundle's configuration and the coordinator's
    assert "-f pageview_per_article.hql" in hive and "local_group_default_T_pageviews_per_article_flat" in hive
    assert "${wf:id()}" in warned["EL_RUNTIME"] and "coord:formatTime" in warned["EL_RUNTIME"]
    params = {p["key"]: p["value"] for p in json.loads(first["params"])}
    assert params["refinery_directory"] == "hdfs://analytics-hadoop/wmf/refinery/current"
    assert params["cassandra_keyspace"] == "local_group_default_T_pageviews_per_article_flat"
    hourly = flows["bundle cassandra-bundle/cassandra-hourly-coord-per_project"][0]
    assert (hourly["schedule"], hourly["timezone"]) == ("0 0 * * * ? *", "Universal")  # canonical: every hour
    assert "--keyspace local_group_default_T_pageviews_per_project_v2" in hourly["command"]


def test_without_its_properties_nothing_resolves_and_everything_is_named(tmp_path: Path) -> None:
    copy = tmp_path / "refinery"
    shutil.copytree(FIXTURES / "refinery", copy)
    (copy / "cassandra.properties").unlink()
    flows = read_flows(copy)
    for member in ("cassandra-daily-coord-per_article_flat", "cassandra-hourly-coord-per_project"):
        errors = notes(flows[f"bundle cassandra-bundle/{member}"][0], "__errors__")
        assert "APP_NOT_FOUND" in errors and "is unresolved" in errors["APP_NOT_FOUND"]
    # the coordinators are then jobs of their own, named as written, and cannot start
    daily = flows["coordinator cassandra_load_daily-${cassandra_keyspace}-coord"][0]
    assert "${start_time} not defined" in notes(daily, "__errors__")["EL_UNRESOLVED"]
    assert "taken as oozie/cassandra/daily/workflow.xml" in notes(daily)["APP_PATH_ASSUMED"]
    assert "are kept as written): " in notes(daily)["EL_UNRESOLVED"]
    assert "datasets_file (datasets include)" in notes(daily)["EL_UNRESOLVED"]


# -- job.properties as Java reads them; a coordinator in a subfolder ---------------------------------

def test_properties_are_read_as_java_reads_them() -> None:
    text = ("# a comment\n! another\n  key1 = value one  \nkey2:value2\nkey3 value three\n"
            "long=first \\\n     second \\\n  third\nescaped\\=key=a\\tb\\u00e9\n"
            "empty=\nodd=ends with two \\\\\nnext=line\n")
    values = parse_properties(text)
    assert values == {"key1": "value one  ", "key2": "value2", "key3": "value three", "long": "first second third",
                      "escaped=key": "a\tbé", "empty": "", "odd": "ends with two \\", "next": "line"}


def test_a_bank_export_with_continuations_secrets_and_renamed_folders() -> None:
    flows = read_flows(FIXTURES / "bank", oozie_version="4.3.1")
    vision = flows["coordinator coord_preprod_vision360"]
    first = vision[0]
    # `0 22 * * SUN-THU` on the processing zone's clock (UTC): Oozie before 5.1 ignores the WET timezone
    assert (first["schedule"], first["timezone"]) == ("0 0 22 ? * 1-5 *", "UTC")
    assert first["active"] == "0" and "2023-12-31T00:00Z" in notes(first)["END_DATE"]  # the end has passed
    assert "esPassword, esKeystorePassword" in notes(first)["PROPERTY_SECRET"]
    spark = tasks(vision)["client360"][1]
    assert ("--num-executors 10 --executor-cores 3 --files ./application.conf --executor-memory 3G --driver-memory 3g "
            '--conf "spark.executor.extraJavaOptions=-Dlog4j.configuration=log4j-spark.properties"') in spark
    assert "hdfs://nameservice1/awb_preprod/awb_traitement/workflow-vision360/lib/customer360-job.jar" in spark
    assert "hbaseSourceTable (" in notes(first)["EL_UNRESOLVED"]  # kept as written, named
    # the folder was renamed when copied (workflow-purge_daily on HDFS): the nearest coordinator is taken
    purge = flows["coordinator coord_preprod_purge_daily"][0]
    assert notes(purge, "__errors__") == {"EL_UNRESOLVED": "workflow-purge/coordinator/coord.xml: frequency "
                                                           "'${frequency}': ${frequency} not defined in the job's "
                                                           "properties"}
    assert not [k for k in flows if k.startswith("workflow ")]  # both workflows belong to their coordinators


def test_from_oozie_5_1_a_daily_cron_keeps_the_coordinator_zones_wall_clock() -> None:
    without = read_flows(FIXTURES / "bank")["coordinator coord_preprod_vision360"][0]
    assert "OOZIE_VERSION" in notes(without, "__errors__") and "oozie_version" in without["__errors__"]
    newer = read_flows(FIXTURES / "bank", oozie_version="5.2.1")["coordinator coord_preprod_vision360"][0]
    # started 2023-06-01T00:00Z, when WET was an hour ahead of UTC: 22:00 UTC is 23:00 on WET's clock
    assert (newer["schedule"], newer["timezone"]) == ("0 0 23 ? * 1-5 *", "WET")


def test_a_processing_timezone_of_gmt_plus_8() -> None:
    """start=2017-07-30T14:40+0800: the server's processing zone is GMT+0800, and the cron text
    `30 8 * * 1-5` fires at 08:30 there (00:30 UTC), Sunday to Thursday (Quartz's 1-5)."""
    coordinator = read_flows(FIXTURES / "cron-cn")["coordinator cron-coord"][0]
    assert (coordinator["schedule"], coordinator["timezone"]) == ("0 30 0 ? * 1-5 *", "UTC")
    assert coordinator["start_date"] == "2017-07-30"
    said = read_flows(FIXTURES / "cron-cn", processing_timezone="UTC")["coordinator cron-coord"][0]
    assert said["schedule"] == "0 30 8 ? * 1-5 *"  # the option wins


# -- workflow graphs ------------------------------------------------------------------------------------

def test_nested_forks_and_a_sub_workflow_laid_out_in_the_flow() -> None:
    flows = read_flows(FIXTURES / "graphs")
    graph = tasks(flows["workflow forks-wf"])
    assert {name: up for name, (up, _) in graph.items()} == {
        "extract": "", "clean-a": "extract", "clean-b": "extract", "clean-c": "extract", "merge-bc": "clean-b;clean-c",
        "publish.copy": "clean-a;merge-bc", "publish.notify": "publish.copy"}
    assert graph["publish.copy"][1].endswith("hadoop distcp /data/merged /data/published")  # the child's default
    assert graph["extract"][1].splitlines() == [  # the <global> cluster and launcher settings, as comments
        "# Oozie shell action on resource-manager rm.example:8032, name-node hdfs://nn:8020",
        "# launcher: memory.mb=2048", "# launcher: queue=launchers", "extract.sh"]
    warned = notes(flows["workflow forks-wf"][0])
    assert "orphan" in warned["UNREACHABLE_NODE"] and "publish.<action>" in warned["SUB_WORKFLOW"]
    assert "publish.notify" in warned["CAPTURE_OUTPUT"]
    assert "workflow publish-wf" not in flows  # run by forks-wf, not a job of its own


def test_error_transitions_are_reported_not_run() -> None:
    flows = read_flows(FIXTURES / "graphs")
    on_error = flows["workflow on-error-wf"]
    assert {name: up for name, (up, _) in tasks(on_error).items()} == {"try-fast": "", "load": "try-fast"}
    warned = notes(on_error[0])
    assert "try-fast goes on to load when it fails too" in warned["ERROR_PATH"]
    assert "ran cleanup when load failed" in warned["ERROR_PATH"]
    assert "fail: load failed" in warned["KILL_NODE"]
    assert tasks(on_error)["load"][1].endswith("pig -f load.pig -param INPUT=/in -useHCatalog")


@pytest.mark.parametrize(("flow", "code", "words"), [
    ("workflow cycle-wf", "WORKFLOW_CYCLE", "a, b form a loop"),
    ("workflow broken-wf", "BROKEN_TRANSITION", "goes to 'b'"),
    ("workflow no-op-wf", "EMPTY_WORKFLOW", "runs no action"),
])
def test_workflows_oozie_refuses_are_invalid_flows(flow: str, code: str, words: str) -> None:
    errors = notes(read_flows(FIXTURES / "graphs")[flow][0], "__errors__")
    assert list(errors) == [code] and words in errors[code]


# -- expressions ------------------------------------------------------------------------------------------

def test_expressions_resolve_what_is_known_and_keep_the_rest() -> None:
    scope = Scope({"nameNode": "hdfs://nn:8020", "root": "${nameNode}/apps", "queue-name": "etl", "n": "3",
                   "user.name": "joe", "date": "${coord:formatTime(coord:nominalTime(), 'yyyyMMdd')}"})
    resolved = scope.resolve("${root}/x ${queue-name} ${wf:conf('n')} ${wf:user()} ${concat('a', n)} ${n * 60 + 1}")
    assert resolved.text == "hdfs://nn:8020/apps/x etl 3 joe a3 181" and not resolved.undefined
    kept = scope.resolve("${missing}/${date}/${wf:id()}")
    assert kept.text == "${missing}/${coord:formatTime(coord:nominalTime(), 'yyyyMMdd')}/${wf:id()}"
    assert kept.undefined == ["missing"] and len(kept.runtime) == 2


@pytest.mark.parametrize(("written", "values", "expected"), [
    ("${coord:days(1)}", {}, Frequency("day", 1, source="${coord:days(1)}")),
    ("${coord:hours(interval)}", {"interval": "2"}, Frequency("minute", 120, source="${coord:hours(2)}")),
    ("${frequency}", {"frequency": "${coord:endOfMonths(1)}"}, Frequency("month", 1, True, source="${coord:endOfMonths(1)}")),
    ("${frequency}", {"frequency": "0 2 * * *"}, Frequency("cron", 0, cron="0 2 * * *", source="0 2 * * *")),
    ("${24 * 60}", {}, Frequency("minute", 1440, source="1440")),
    ("60", {}, Frequency("minute", 60, source="60")),
])
def test_frequency_attributes(written: str, values: dict[str, str], expected: Frequency) -> None:
    assert Scope(values).frequency(written)[0] == expected


# -- the grammar: Oozie's documented examples -------------------------------------------------------------

@pytest.mark.parametrize(("cron", "quartz"), [  # CoordinatorFunctionalSpec §4.4.4, the examples table
    ("10 9 * * *", "0 10 9 * * ? *"),
    ("10,30,45 9 * * *", "0 10,30,45 9 * * ? *"),
    ("0/20 9-17 * * 2-5", "0 0/20 9-17 ? * 2-5 *"),
    ("1 2 L-3 * *", "0 1 2 L-3 * ? *"),
    ("1 2 6W 3 ?", "0 1 2 6W 3 ? *"),
    ("1 2 * 3 3#2", "0 1 2 ? 3 3#2 *"),
    ("0 10,13 * * MON-FRI", "0 0 10,13 ? * 2-6 *"),
    ("0/10 1/2 * * *", "0 0/10 1/2 * * ? *"),
    ("30 14 * * L", "0 30 14 ? * 7 *"),  # L alone in day-of-week: Saturday
])
def test_the_documented_cron_examples(cron: str, quartz: str) -> None:
    assert convert_oozie_cron(cron).freq == quartz


def test_both_day_fields_restricted_is_an_or() -> None:
    with pytest.raises(Rejection) as refused:  # "weekdays and 30th of January"
        convert_oozie_cron("0 * 30 JAN 2-6")
    assert refused.value.code == "DOM_OR_DOW" and "0 0 * 30 1 ? *" in refused.value.message
    assert convert_oozie_cron("0 3 1-31 * MON").freq == "0 0 3 * * ? *"  # every day OR Mondays: every day
    with pytest.raises(Rejection, match="both"):
        convert_oozie_cron("0 3 ? * ?")


def at(text: str) -> datetime:
    return read_datetime(text)[0]


def first_occurrence(frequency: str, start: str, zone: str, **options: Any) -> str:
    placed = place_frequency(read_frequency(frequency), at(start), read_zone(zone), **options)
    assert placed.first is not None
    return placed.first.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


@pytest.mark.parametrize(("frequency", "start", "zone", "first"), [  # §4.4.1-4.4.3, the examples tables
    ("${coord:days(1)}", "2009-01-01T08:00Z", "America/Los_Angeles", "2009-01-01T08:00Z"),
    ("${coord:endOfDays(1)}", "2009-01-01T08:00Z", "UTC", "2009-01-02T00:00Z"),
    ("${coord:endOfDays(1)}", "2009-01-01T08:00Z", "America/Los_Angeles", "2009-01-02T08:00Z"),
    ("${coord:endOfDays(1)}", "2009-01-01T18:00Z", "America/Los_Angeles", "2009-01-02T08:00Z"),
    ("${coord:endOfDays(1)}", "2009-03-07T09:00Z", "America/Los_Angeles", "2009-03-08T08:00Z"),
    ("${coord:endOfDays(1)}", "2009-03-08T07:00Z", "America/Los_Angeles", "2009-03-08T08:00Z"),
    ("${coord:endOfDays(1)}", "2009-03-09T07:00Z", "America/Los_Angeles", "2009-03-10T07:00Z"),
    ("${coord:endOfMonths(1)}", "2009-01-01T00:00Z", "UTC", "2009-02-01T00:00Z"),
    ("${coord:endOfMonths(1)}", "2009-01-31T08:00Z", "UTC", "2009-02-01T00:00Z"),
    ("${coord:endOfMonths(1)}", "2009-01-01T08:00Z", "America/Los_Angeles", "2009-02-01T08:00Z"),
    ("${coord:endOfMonths(1)}", "2009-02-02T08:00Z", "America/Los_Angeles", "2009-03-01T08:00Z"),
    ("${coord:endOfMonths(1)}", "2009-02-01T08:00Z", "America/Los_Angeles", "2009-03-01T08:00Z"),
    ("${coord:endOfWeeks(1)}", "2017-01-04T00:00Z", "UTC", "2017-01-08T00:00Z"),
    ("${coord:endOfWeeks(1)}", "2017-01-04T08:00Z", "America/Los_Angeles", "2017-01-08T08:00Z"),
    ("${coord:endOfWeeks(1)}", "2017-01-06T08:00Z", "America/Los_Angeles", "2017-01-08T08:00Z"),
])
def test_the_documented_first_occurrences(frequency: str, start: str, zone: str, first: str) -> None:
    assert first_occurrence(frequency, start, zone, first_day_of_week="SUNDAY") == first
    assert oozie_times(read_frequency(frequency), at(start), ZoneInfo(zone), 1, "SUNDAY")[0] == at(first)


@pytest.mark.parametrize(("frequency", "start", "zone", "freq"), [
    ("${coord:months(1)}", "2009-01-31T08:00Z", "UTC", "0 0 8 L * ? *"),  # Calendar.add keeps to the month's end
    ("${coord:months(3)}", "2009-02-15T08:00Z", "UTC", "0 0 8 15 2/3 ? *"),
    ("${coord:months(6)}", "2009-03-30T08:00Z", "UTC", "0 0 8 30 3,9 ? *"),  # March and September both have a 30th
    ("${coord:months(12)}", "2008-02-29T08:00Z", "UTC", "0 0 8 L 2 ? *"),  # 28 February in other years
    ("${coord:months(24)}", "2009-02-15T08:00Z", "UTC", "0 0 8 15 2 ? 2009/2"),
    ("${coord:days(7)}", "2017-01-04T08:00Z", "CTT", "0 0 16 ? * 4 *"),  # Java's CTT is Asia/Shanghai
    ("${coord:hours(6)}", "2017-01-04T08:20Z", "America/Los_Angeles", "0 20 2/6 * * ? *"),  # absolute: UTC
    ("1440", "2017-01-04T08:20Z", "Asia/Shanghai", "0 20 16 * * ? *"),
    ("${coord:endOfMonths(1)}", "2009-02-02T08:00Z", "GMT+05:30", "0 30 18 L * ? *"),  # a fixed offset: on UTC
])
def test_intervals(frequency: str, start: str, zone: str, freq: str) -> None:
    assert place_frequency(read_frequency(frequency), at(start), read_zone(zone)).converted.freq == freq


@pytest.mark.parametrize(("frequency", "start", "code"), [
    ("${coord:months(1)}", "2009-01-30T08:00Z", "UNSUPPORTED_INTERVAL"),  # the 30th, or February's last day
    ("${coord:months(5)}", "2009-01-15T08:00Z", "UNSUPPORTED_INTERVAL"),
    ("${coord:days(2)}", "2009-01-15T08:00Z", "UNSUPPORTED_INTERVAL"),
    ("${coord:minutes(45)}", "2009-01-15T08:00Z", "UNSUPPORTED_INTERVAL"),
    ("${coord:endOfWeeks(1)}", "2009-01-15T08:00Z", "FIRST_DAY_OF_WEEK"),  # the server's locale decides
    ("${coord:days(0)}", "2009-01-15T08:00Z", "INVALID_SYNTAX"),
])
def test_intervals_a_flow_cannot_keep(frequency: str, start: str, code: str) -> None:
    with pytest.raises(Rejection) as refused:
        place_frequency(read_frequency(frequency), at(start), read_zone("UTC"))
    assert refused.value.code == code


def test_cron_and_daylight_saving_by_version() -> None:
    la, start = read_zone("America/Los_Angeles"), at("2017-01-04T08:00Z")  # PST, 8 hours behind
    daily = read_frequency("0 10 * * *")
    with pytest.raises(Rejection) as refused:
        place_frequency(daily, start, la)
    assert refused.value.code == "OOZIE_VERSION"
    older = place_frequency(daily, start, la, version=(4, 3, 1))
    assert (older.converted.freq, older.zone) == ("0 0 10 * * ? *", "UTC")
    newer = place_frequency(daily, start, la, version=(5, 1, 0))
    assert (newer.converted.freq, newer.zone) == ("0 0 2 * * ? *", "America/Los_Angeles")
    twice = place_frequency(read_frequency("0 10,22 * * *"), start, la)  # never a day apart: never moved
    assert (twice.converted.freq, twice.zone) == ("0 0 10,22 * * ? *", "UTC")
    with pytest.raises(Rejection) as mixed:
        place_frequency(read_frequency("0 10,11 * * MON-FRI"), start, la, version=(5, 2))
    assert mixed.value.code == "UNSUPPORTED_INTERVAL"
    india = place_frequency(read_frequency("0 1 * * 2-6"), None, read_zone("UTC"), processing_offset=330)
    assert india.converted.freq == "0 30 19 ? * 1-5 *"  # 01:00 at GMT+05:30 is 19:30 UTC the day before


@pytest.mark.parametrize(("written", "iana", "offset"), [
    ("America/Los_Angeles", "America/Los_Angeles", 0), ("UTC", "UTC", 0), ("Universal", "Universal", 0),
    ("GMT+05:30", None, 330), ("GMT-0300", None, -180), ("GMT+00:00", "UTC", 0),
    ("IST", "Asia/Kolkata", 0), ("EST", "Etc/GMT+5", 0), ("PST", "America/Los_Angeles", 0),
])
def test_timezones_as_oozie_reads_them(written: str, iana: str | None, offset: int) -> None:
    zone = read_zone(written)
    assert (zone.iana, zone.offset_minutes) == (iana, offset)


def test_an_unknown_timezone_is_refused() -> None:
    with pytest.raises(Rejection) as refused:
        read_zone("GMT+5")  # Java reads it as GMT+05:00, which Oozie then refuses as not the id given
    assert refused.value.code == "UNKNOWN_TIMEZONE"


def test_datetimes() -> None:
    assert read_datetime("2009-08-10T13:10Z") == (datetime(2009, 8, 10, 13, 10, tzinfo=UTC), 0)
    assert read_datetime("2012-08-12T05:30+0530") == (datetime(2012, 8, 12, 0, 0, tzinfo=UTC), 330)
    assert read_datetime("2009-08-10T24:00Z")[0] == datetime(2009, 8, 11, tzinfo=UTC)  # §4.1.1
    with pytest.raises(Rejection):
        read_datetime("2009-08-10 13:10")


# -- property tests: the converted schedule fires exactly when Oozie did ------------------------------------

DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def expand(text: str, lo: int, hi: int, names: list[str] | None = None) -> set[int] | None:
    """One field of Oozie's cron (Quartz's grammar): its values; None for `*` and `?`."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()

    def value(token: str) -> int:
        return names.index(token.upper()) + lo if names and token.upper() in names else int(token)

    for term in text.split(","):
        base, _, step = term.partition("/")
        first, _, last = base.partition("-")
        start = lo if first == "*" else value(first)
        end = value(last) if last else (hi if step or first == "*" else start)
        values.update(range(start, end + 1, int(step) if step else 1))
    return values


def oozie_cron_fires(cron: str, after: datetime, count: int) -> list[datetime]:
    """Oozie's cron, by its documented rules: both day fields restricted is an OR, a `*` or `?` in
    one leaves the other alone."""
    minute, hour, dom, month, dow = cron.split()
    minutes, hours = expand(minute, 0, 59) or set(range(60)), expand(hour, 0, 23) or set(range(24))
    months = expand(month, 1, 12, MONTH_NAMES) or set(range(1, 13))
    days, weekdays = expand(dom, 1, 31), expand(dow, 1, 7, DAY_NAMES)
    found: list[datetime] = []
    day = after.date()
    while len(found) < count:
        quartz_weekday = (day.weekday() + 1) % 7 + 1
        by_date, by_weekday = days is None or day.day in days, weekdays is None or quartz_weekday in weekdays
        fires = by_date or by_weekday if days is not None and weekdays is not None else by_date and by_weekday
        if day.month in months and fires:
            for h in sorted(hours):
                for m in sorted(minutes):
                    moment = datetime.combine(day, datetime.min.time()).replace(hour=h, minute=m)
                    if moment > after:
                        found.append(moment)
        day += timedelta(days=1)
    return found[:count]


def field(lo: int, hi: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    number = st.integers(lo, hi)
    named = st.sampled_from(names) if names else number.map(str)
    single = st.one_of(number.map(str), named)
    ranged = st.tuples(number, number).map(lambda p: f"{min(p)}-{max(p)}")
    stepped = st.tuples(st.one_of(st.just("*"), number.map(str)), st.integers(1, max(1, (hi - lo) // 2))).map(
        lambda p: f"{p[0]}/{p[1]}")
    term = st.one_of(single, ranged, stepped)
    return st.one_of(st.just("*"), term, st.lists(term, min_size=2, max_size=3).map(",".join))


@settings(max_examples=300, deadline=None)
@given(minute=field(0, 59), hour=field(0, 23), dom=st.one_of(st.just("?"), field(1, 28)),
       month=field(1, 12, MONTH_NAMES), dow=st.one_of(st.just("?"), field(1, 7, DAY_NAMES)),
       start=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)))
def test_cron_fires_as_oozie_does(minute: str, hour: str, dom: str, month: str, dow: str, start: datetime) -> None:
    cron = f"{minute} {hour} {dom} {month} {dow}"
    try:
        freq = convert_oozie_cron(cron).freq
    except Rejection as rejection:
        # refused only when Oozie's own rules make it an OR of two restricted day fields, or both are ?
        if rejection.code == "DOM_OR_DOW":
            days, weekdays = expand(dom, 1, 31), expand(dow, 1, 7, DAY_NAMES)
            assert days is not None and weekdays is not None and len(weekdays) < 7
        else:
            assert (rejection.code, dom, dow) == ("INVALID_SYNTAX", "?", "?"), rejection
        return
    after = start.replace(second=0, microsecond=0)
    assert list(_take(parse_quartz(freq).fire_times(after), 40)) == oozie_cron_fires(cron, after, 40)


def _take(times: Any, count: int) -> list[datetime]:
    return [t for _, t in zip(range(count), times, strict=False)]


def _add_months(wall: datetime, months: int) -> datetime:
    """java.util.Calendar.add(MONTH, n): the same day, or the month's last when it has fewer."""
    year, month = divmod(wall.month - 1 + months, 12)
    last = calendar.monthrange(wall.year + year, month + 1)[1]
    return wall.replace(year=wall.year + year, month=month + 1, day=min(wall.day, last))


def oozie_times(frequency: Frequency, start: datetime, zone: ZoneInfo, count: int, first_day: str = "SUNDAY",
                after: datetime | None = None) -> list[datetime]:
    """Oozie's nominal times (CoordMaterializeTransitionXCommand): `start` moved to the end of its
    day, week or month for endOf*, then k times the frequency added to it with Calendar.add in the
    coordinator's zone (minutes in absolute time); the first `count` at or after `after`."""
    wall = start.astimezone(zone).replace(tzinfo=None)
    if frequency.end_of and frequency.unit == "day":
        wall = datetime.combine(wall.date() + timedelta(days=1), datetime.min.time())
    elif frequency.end_of and frequency.unit == "month":
        wall = _add_months(wall.replace(day=1), 1).replace(hour=0, minute=0)
    elif frequency.unit == "week":
        later = wall.date() + timedelta(days=7)
        back = (later.weekday() - ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY",
                                   "SUNDAY"].index(first_day)) % 7
        wall = datetime.combine(later - timedelta(days=back), datetime.min.time())

    def nominal(k: int) -> datetime:
        if frequency.unit == "minute":
            return start.astimezone(UTC) + timedelta(minutes=k * frequency.count)
        if frequency.unit in ("day", "week"):
            days = k * frequency.count * (7 if frequency.unit == "week" else 1)
            return (wall + timedelta(days=days)).replace(tzinfo=zone).astimezone(UTC)
        return _add_months(wall, k * frequency.count).replace(tzinfo=zone).astimezone(UTC)

    k = 0
    if after is not None:  # close to `after` at once (k from 0 would be years of minutes)
        step = {"minute": timedelta(minutes=1), "day": timedelta(days=1), "week": timedelta(days=7),
                "month": timedelta(days=31)}[frequency.unit] * frequency.count
        k = max(0, (after - start) // step - 2)
    found: list[datetime] = []
    while len(found) < count:
        moment = nominal(k)
        if after is None or moment >= after:
            found.append(moment)
        k += 1
    return found


ZONES = ["UTC", "America/Los_Angeles", "Europe/Berlin", "Asia/Shanghai", "Asia/Kolkata", "Australia/Adelaide",
         "America/Sao_Paulo"]
FREQUENCIES = [f"${{coord:minutes({n})}}" for n in (1, 5, 10, 15, 20, 30)] + [
    f"${{coord:hours({n})}}" for n in (1, 2, 3, 4, 6, 8, 12, 24)] + [
    "${coord:days(1)}", "${coord:days(7)}", "${coord:endOfDays(1)}", "${coord:months(1)}", "${coord:months(2)}",
    "${coord:months(3)}", "${coord:months(4)}", "${coord:months(6)}", "${coord:months(12)}", "${coord:months(36)}",
    "${coord:endOfMonths(1)}", "${coord:endOfMonths(3)}", "${coord:endOfWeeks(1)}", "1440", "10080", "60"]


@settings(max_examples=300, deadline=None)
@given(frequency=st.sampled_from(FREQUENCIES), zone=st.sampled_from(ZONES),
       start=st.datetimes(datetime(2005, 1, 1), datetime(2035, 1, 1)).map(lambda d: d.replace(second=0,
                                                                                               microsecond=0)),
       first_day=st.sampled_from(["SUNDAY", "MONDAY"]))
def test_intervals_fire_as_oozie_materializes_them(frequency: str, zone: str, start: datetime, first_day: str) -> None:
    read = read_frequency(frequency)
    coordinator = ZoneInfo(zone)
    instant = start.replace(tzinfo=UTC)
    local = instant.astimezone(coordinator)
    if read.unit != "minute" and not 5 <= local.hour <= 21:
        return  # a wall-clock time that a change of clocks may skip or repeat: Java and Quartz differ there
    try:
        placed = place_frequency(read, instant, read_zone(zone), first_day_of_week=first_day)
    except Rejection as rejection:
        assert rejection.code == "UNSUPPORTED_INTERVAL" and read.unit == "month" and local.day > 28
        return
    # The flow fires from now on: a zone that changed its rules since (Sao Paulo dropped daylight
    # saving in 2019) may have moved Oozie's past actions, never the flow's coming ones.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    expected = [t for t in oozie_times(read, instant, coordinator, 30, first_day, after=max(instant, now))
                if t.year < 2099]  # Quartz's last year
    if not expected:
        return
    service = ZoneInfo(placed.zone)
    first_wall = expected[0].astimezone(service).replace(tzinfo=None)
    fires = _take(parse_quartz(placed.converted.freq).fire_times(first_wall - timedelta(minutes=1)), len(expected))
    assert [f.replace(tzinfo=service).astimezone(UTC) for f in fires] == expected


# -- bad input ---------------------------------------------------------------------------------------------

def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: Path, options: str = "{}") -> tuple[
        int, dict[str, Any], str]:
    return plan_profile(tmp_path, capsys, "oozie", source, source_lines=f"options = {options}",
                        target='timezone = "UTC"')


def test_a_folder_without_an_oozie_application_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "hive-site.xml").write_text("<configuration><property><name>a</name></property></configuration>")
    (folder / "notes.properties").write_text("a=b\n")
    code, _, err = plan(tmp_path, capsys, folder)
    assert code == 1 and f"{folder}: this does not look like an Oozie export (expected" in err


def test_another_profiles_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(tmp_path, capsys, REPO / "data" / "examples" / "jobs.cron")
    assert code == 1 and "this looks like a crontab export, not oozie" in err  # named by sources/detect.py


def test_an_entity_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "workflow.xml").write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                                         '<!ENTITY lol2 "&lol;&lol;&lol;">]><workflow-app name="x">&lol2;'
                                         '</workflow-app>')
    code, _, err = plan(tmp_path, capsys, folder)
    assert code == 1 and "workflow.xml: refused" in err and "Traceback" not in err


def test_a_dtd_is_refused_in_words_naming_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # defusedxml's own words were printed: "refused: DTDForbidden: DTDForbidden(name='workflow-app', ...)".
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "workflow.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE workflow-app>\n<workflow-app name="x"/>\n')
    code, _, err = plan(tmp_path, capsys, folder)
    assert code == 1 and f"{folder / 'workflow.xml'}: refused: line 2 declares a DTD (<!DOCTYPE workflow-app …>), " \
                         "which no Oozie application has" in err and "Forbidden" not in err


def test_other_xml_in_an_application_is_passed_over_its_dtd_and_all(tmp_path: Path) -> None:
    # A log4j 1.x configuration (it declares a DTD) in an application's folder stopped the whole read.
    copy = tmp_path / "apps"
    shutil.copytree(EXAMPLE, copy)
    (copy / "daily-sales" / "log4j.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE log4j:configuration SYSTEM "log4j.dtd">\n'
        '<log4j:configuration xmlns:log4j="http://jakarta.apache.org/log4j/"/>\n', encoding="utf-8")
    assert read_flows(copy).keys() == read_flows(EXAMPLE).keys()


def test_one_malformed_file_is_its_own_invalid_flow(tmp_path: Path) -> None:
    copy = tmp_path / "graphs"
    shutil.copytree(FIXTURES / "graphs", copy)
    (copy / "cycle" / "workflow.xml").write_text('<workflow-app name="cut" xmlns="uri:oozie:workflow:0.4">\n<start')
    flows = read_flows(copy)
    assert notes(flows["file cycle/workflow.xml"][0], "__errors__")["MALFORMED_XML"].startswith(
        "cycle/workflow.xml: not well-formed XML")
    assert not flows["workflow forks-wf"][0]["__errors__"]


@pytest.mark.parametrize(("content", "why"), [
    (b"", "the file is empty"),
    (b" \r\n\t\n", "the file is empty"),
    ((EXAMPLE / "daily-sales" / "workflow.xml").read_text().encode("utf-16-le"),
     'UTF-16 text without a byte-order mark, which does not say its encoding: set [source] encoding = "utf-16-le" '
     "to read it (or save the file as UTF-8)"),
])
def test_a_workflow_that_cannot_be_read_is_named_by_its_coordinator(tmp_path: Path, content: bytes, why: str) -> None:
    # An empty or UTF-16 workflow was passed over: its coordinator said no workflow of the export matched.
    copy = tmp_path / "apps"
    shutil.copytree(EXAMPLE, copy)
    (copy / "daily-sales" / "workflow.xml").write_bytes(content)
    flows = read_flows(copy)
    assert notes(flows["coordinator daily-sales-coord"][0], "__errors__") == {"MALFORMED_XML": (
        "daily-sales/coordinator.xml: app-path hdfs://nameservice1/apps/sales/daily-sales: its workflow "
        f"daily-sales/workflow.xml cannot be read: {why}")}
    assert notes(flows["file daily-sales/workflow.xml"][0], "__errors__") == {
        "MALFORMED_XML": f"daily-sales/workflow.xml: {why}"}  # its own invalid flow, as a truncated one is


def test_a_utf16_workflow_without_its_mark_is_read_in_the_encoding_named(tmp_path: Path) -> None:
    copy = tmp_path / "apps"
    shutil.copytree(EXAMPLE, copy)
    workflow = copy / "daily-sales" / "workflow.xml"
    workflow.write_bytes(workflow.read_text().encode("utf-16-le"))
    settings = SourceSettings(path=copy, profile="oozie", encoding="utf-16-le", options={"jobs": "jobs.json"})
    utf16 = [standard_cells(row) for row in registry()["oozie"].read(settings)]
    assert utf16 == [standard_cells(row) for row in registry()["oozie"].read(
        SourceSettings(path=EXAMPLE, profile="oozie", options={"jobs": "jobs.json"}))]  # jobs.json still UTF-8


def test_a_truncated_workflow_is_named_by_its_coordinator_too(tmp_path: Path) -> None:
    copy = tmp_path / "apps"
    shutil.copytree(EXAMPLE, copy)
    workflow = copy / "daily-sales" / "workflow.xml"
    workflow.write_bytes(workflow.read_bytes()[:200])
    message = notes(read_flows(copy)["coordinator daily-sales-coord"][0], "__errors__")["MALFORMED_XML"]
    assert message.startswith("daily-sales/coordinator.xml: app-path hdfs://nameservice1/apps/sales/daily-sales: its "
                              "workflow daily-sales/workflow.xml cannot be read: not well-formed XML (")


def test_a_sub_workflow_that_cannot_be_read_is_its_parents_error(tmp_path: Path) -> None:
    # It was a placeholder task, "not in the export", though it is there.
    copy = tmp_path / "graphs"
    shutil.copytree(FIXTURES / "graphs", copy)
    (copy / "common" / "publish" / "workflow.xml").write_bytes(b"")
    assert notes(read_flows(copy)["workflow forks-wf"][0], "__errors__") == {"MALFORMED_XML": (
        "forks/workflow.xml: sub-workflow publish: app-path hdfs://nn/apps/common/publish: "
        "common/publish/workflow.xml cannot be read: the file is empty")}


def test_a_missing_export_is_named_not_its_jobs_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The jobs list is read first, beside the export: "…/jobs.json: no such file" was all it said.
    code, _, err = plan(tmp_path, capsys, tmp_path / "in", '{ jobs = "jobs.json" }')
    assert code == 1 and f"{tmp_path / 'in'}: no such file or folder" in err and "jobs.json" not in err


def test_an_unknown_option_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(tmp_path, capsys, EXAMPLE, '{ timezone = "UTC" }')
    assert code == 1 and "unknown" in err and "processing_timezone" in err
    code, _, err = plan(tmp_path, capsys, EXAMPLE, '{ oozie_version = "five" }')
    assert code == 1 and "oozie_version" in err


def test_a_zip_and_a_single_file(tmp_path: Path) -> None:
    archive = tmp_path / "apps.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(EXAMPLE.rglob("*")):
            if path.is_file():
                zipped.write(path, f"apps/{path.relative_to(EXAMPLE).as_posix()}")
    assert read_flows(archive).keys() == read_flows(EXAMPLE).keys()
    single = read_flows(EXAMPLE / "hourly-logs" / "coordinator.xml")
    assert list(single) == ["coordinator hourly-logs-coord"]
    assert single["coordinator hourly-logs-coord"][0]["schedule"] == "0 15 * * * ? *"


def test_keys_are_names_and_survive_editing(tmp_path: Path) -> None:
    copy = tmp_path / "apps"
    shutil.copytree(EXAMPLE, copy)
    before = read_flows(copy)
    (copy / "daily-sales" / "coordinator.xml").write_text(
        (copy / "daily-sales" / "coordinator.xml").read_text().replace("<concurrency>1", "<concurrency>2"))
    shutil.copytree(FIXTURES / "graphs" / "forks", copy / "zz-new")
    after = read_flows(copy)
    assert set(before) <= set(after)
    assert before["coordinator daily-sales-coord"][0]["schedule"] == after["coordinator daily-sales-coord"][0]["schedule"]


def test_two_jobs_of_one_name(tmp_path: Path) -> None:
    """Two properties files submitting one coordinator (a copy for another cluster, job-dev beside
    job, say): which one the server runs the export does not say, so neither is saved (the first by
    name was, the dev one over the production one)."""
    copy = tmp_path / "hourly-logs"
    shutil.copytree(EXAMPLE / "hourly-logs", copy)
    shutil.copy(copy / "job.properties", copy / "job-dev.properties")
    flows = read_flows(tmp_path)
    assert list(flows) == ["coordinator hourly-logs-coord", "coordinator hourly-logs-coord (hourly-logs/job.properties)"]
    for key in flows:
        message = notes(flows[key][0], "__errors__")["DUPLICATE_JOB"]
        assert "by hourly-logs/job-dev.properties and by hourly-logs/job.properties" in message, message
        assert "neither is saved" in message


def test_a_properties_file_naming_an_application_that_is_not_there(tmp_path: Path) -> None:
    folder = tmp_path / "apps"
    shutil.copytree(EXAMPLE / "hourly-logs", folder / "hourly-logs")
    (folder / "hourly-logs" / "coordinator.xml").unlink()
    (folder / "hourly-logs" / "workflow.xml").unlink()
    (folder / "other").mkdir()
    shutil.copy(EXAMPLE / "marketing" / "workflow.xml", folder / "other" / "workflow.xml")
    flows = read_flows(folder)
    missing = flows["properties hourly-logs/job.properties"][0]
    assert "APP_NOT_FOUND" in notes(missing, "__errors__") and "hourly-logs/coordinator.xml" in missing["__errors__"]


@pytest.mark.parametrize(("alone", "key", "code", "named"), [
    (False, "properties seoul/job.properties", "APP_NOT_FOUND",
     "seoul/coordinator.xml stands beside seoul/job.properties: if it is that one, name its folder"),
    (True, "coordinator hourly-logs-coord", "WORKFLOW_NOT_FOUND", "seoul/workflow.xml stands beside "
                                                                  "seoul/coordinator.xml"),
])
def test_an_application_whose_folder_is_named_otherwise_than_on_hdfs_is_one_refusal(
        tmp_path: Path, alone: bool, key: str, code: str, named: str) -> None:
    # A repository's copy of an application in a folder named otherwise than its HDFS path: the
    # path is not found, and the workflow beside it was made a manual flow of its own that nothing
    # submitted (a flow that never ran so in Oozie). `alone`: no properties, the coordinator a job
    # of its own, whose workflow's path is not found.
    folder = tmp_path / "apps"
    shutil.copytree(EXAMPLE / "hourly-logs", folder / "seoul")
    if alone:
        (folder / "seoul" / "job.properties").unlink()
    flows = read_flows(folder)
    assert list(flows) == [key], list(flows)
    assert named in notes(flows[key][0], "__errors__")[code]


def test_the_end_date_ahead_and_passed(tmp_path: Path) -> None:
    folder = tmp_path / "apps"
    shutil.copytree(EXAMPLE / "hourly-logs", folder)
    properties = folder / "job.properties"
    properties.write_text(properties.read_text().replace("end=2099-01-01T00:00Z", "end=2020-01-01T00:00Z"))
    ended = read_flows(folder)["coordinator hourly-logs-coord"][0]
    assert ended["active"] == "0" and "has passed" in notes(ended)["END_DATE"]
    assert date.fromisoformat(ended["start_date"]) == date(2024, 1, 1)


# -- the server's job states ------------------------------------------------------------------------------

def test_the_servers_jobs_list_gives_each_coordinators_state() -> None:
    """`GET /oozie/v1/jobs?jobtype=coordinator` (and bundle): a suspended coordinator is saved
    inactive; one killed and submitted again runs."""
    flows = read_flows(FIXTURES / "refinery", jobs="jobs.json")
    daily = flows["bundle cassandra-bundle/cassandra-daily-coord-per_article_flat"][0]
    assert daily["active"] == "0" and "is SUSPENDED in the Oozie server" in notes(daily)["SOURCE_SUSPENDED"]
    hourly = flows["bundle cassandra-bundle/cassandra-hourly-coord-per_project"][0]
    assert hourly["active"] == "1" and "JOB_ENDED" not in notes(hourly)


def test_a_jobs_list_with_pages_missing_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pages = json.loads((FIXTURES / "refinery" / "jobs.json").read_text(encoding="utf-8"))
    pages[0]["total"] = 1200
    listing = tmp_path / "jobs.json"
    listing.write_text(json.dumps(pages), encoding="utf-8")
    code, _, err = plan(tmp_path, capsys, FIXTURES / "refinery", f'{{ jobs = "{listing}" }}')
    assert code == 1 and "holds 3 of the 1200 jobs" in err
    with pytest.raises(SourceError, match="no coordinator or bundle job"):
        listing.write_text('{"workflows": [], "total": 0}', encoding="utf-8")
        read_flows(FIXTURES / "refinery", jobs=str(listing))


def test_an_old_schema_a_bare_frequency_and_an_action_type_of_its_own(tmp_path: Path) -> None:
    """Schema 0.1, a frequency in minutes, no properties, and a custom action (a plugin
    installed on that server) kept as text."""
    (tmp_path / "coordinator.xml").write_text(
        '<coordinator-app name="FILE_CHECK" frequency="1440" start="2009-02-01T00:00Z" end="2009-02-07T00:00Z"\n'
        '                 timezone="UTC" xmlns="uri:oozie:coordinator:0.1">\n'
        '  <action><workflow><app-path>hdfs://nn:8020/workflows</app-path></workflow></action>\n'
        '</coordinator-app>\n', encoding="utf-8")
    (tmp_path / "workflow.xml").write_text(
        '<workflow-app name="file-check-wf" xmlns="uri:oozie:workflow:0.1"><start to="check"/>\n'
        '  <action name="check"><vertica xmlns="uri:custom:vertica-action:0.1"><query>SELECT 1</query>'
        '<dsn>prod</dsn></vertica><ok to="end"/><error to="end"/></action>\n'
        '  <end name="end"/></workflow-app>\n', encoding="utf-8")
    flow = read_flows(tmp_path)["coordinator FILE_CHECK"]
    first = flow[0]
    assert (first["schedule"], first["timezone"], first["active"]) == ("0 0 0 * * ? *", "UTC", "0")  # ended in 2009
    assert first["command"].splitlines() == ["# Oozie vertica action", "# query: SELECT 1", "# dsn: prod"]
    warned = notes(first)
    assert "check (vertica)" in warned["TASK_BODY_AS_TEXT"]
    assert "a failure of check ended the workflow as a success" in warned["ERROR_PATH"]


def test_a_processing_timezone_option_that_oozie_does_not_take(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(tmp_path, capsys, EXAMPLE, '{ processing_timezone = "Asia/Shanghai" }')
    assert code == 1 and "processing_timezone" in err and "GMT+0800" in err


def test_a_coordinator_beginning_ahead_in_a_zone_east_of_the_services_names_its_first_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A daily coordinator in Kolkata from 20:45 UTC on a day ahead: its first run is at 20:45 UTC
    that day, but its start date (02:15 in Kolkata is the next day) made the flow begin at the next
    midnight in UTC, a run lost while the proof said `equivalent`. Now the flow starts on the day in
    UTC (START_DATE_SHIFTED), on which it fires no earlier than the coordinator: nothing lost, nothing
    added; a coordinator in the service's own zone is unchanged."""
    ahead = (datetime.now(UTC) + timedelta(days=30)).date()
    for zone, expected in (("Asia/Kolkata", ahead.isoformat()), ("UTC", None)):
        folder = tmp_path / zone.replace("/", "-")
        folder.mkdir()
        (folder / "coordinator.xml").write_text(
            f'<coordinator-app name="daily" frequency="${{coord:days(1)}}" start="{ahead}T20:45Z" '
            f'end="2099-01-01T00:00Z" timezone="{zone}" xmlns="uri:oozie:coordinator:0.4"><action><workflow>'
            '<app-path>hdfs://ns1/apps/daily</app-path></workflow></action></coordinator-app>', encoding="utf-8")
        (folder / "workflow.xml").write_text(
            '<workflow-app name="daily-wf" xmlns="uri:oozie:workflow:0.5"><start to="run"/><action name="run">'
            '<shell xmlns="uri:oozie:shell-action:0.3"><exec>run.sh</exec></shell><ok to="end"/><error to="fail"/>'
            '</action><kill name="fail"><message>failed</message></kill><end name="end"/></workflow-app>',
            encoding="utf-8")
        code, inventory, err = plan(tmp_path, capsys, folder)
        assert code == 3, err  # the shift, or the unchecked proof (it begins ahead): warnings, the flow valid
        (action,) = inventory["actions"]
        said = {w["code"]: w for w in action.get("warnings", [])}
        assert "FIRST_DAY" not in said and "(FIRST_DAY)" not in action["proof"].get("reason", ""), action
        if expected is None:
            assert "START_DATE_SHIFTED" not in said, said
        else:
            assert said["START_DATE_SHIFTED"]["to"] == expected, said


def test_an_ssh_arg_keeps_its_spaces_on_the_remote_host(tmp_path: Path) -> None:
    """ssh joins its arguments for the remote shell, which splits them again: `<arg>hello world</arg>`
    reached the script as two arguments, where Oozie (SshActionExecutor: "arguments in an <arg> are
    preserved, even with spaces") escapes the spaces and passed one. An `<args>` value is split at
    its spaces, by Oozie as by the remote shell; an `<arg>` without a space is written as before."""
    app = tmp_path / "ssh-app"
    app.mkdir()
    (app / "workflow.xml").write_text(
        '<workflow-app name="ssh-wf" xmlns="uri:oozie:workflow:0.5"><start to="load"/>'
        '<action name="load"><ssh xmlns="uri:oozie:ssh-action:0.2"><host>batch@edge01</host>'
        '<command>/opt/jobs/load.sh</command><arg>hello world</arg><arg>--date=2025-01-01</arg></ssh>'
        '<ok to="old"/><error to="end"/></action>'
        '<action name="old"><ssh xmlns="uri:oozie:ssh-action:0.1"><host>batch@edge01</host>'
        '<command>/opt/jobs/old.sh</command><args>a b</args></ssh><ok to="end"/><error to="end"/></action>'
        '<end name="end"/></workflow-app>', encoding="utf-8")
    commands = {name: command for name, (_, command) in tasks(read_flows(tmp_path)["workflow ssh-wf"]).items()}
    line = commands["load"].splitlines()[-1]
    assert line == "ssh batch@edge01 /opt/jobs/load.sh 'hello\\ world' --date=2025-01-01", line
    # as the remote host's shell reads what ssh sends it: one argument, then the date
    sent = " ".join(shlex.split(line)[3:])
    assert shlex.split(sent) == ["hello world", "--date=2025-01-01"]
    assert commands["old"].splitlines()[-1] == "ssh batch@edge01 /opt/jobs/old.sh 'a b'"  # split remotely, as Oozie
