"""The Rundeck profile over job exports we built in the shapes Rundeck writes (tests/fixtures/rundeck/):
every fact of a job carried into its flow or named by a warning code, files that are not Rundeck
exports refused, odd shapes read or refused per job, and a YAML alias bomb refused before it grows."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, base_state, standard_cells

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.results.log import read_log
from migrate.sources.profiles import registry
from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "rundeck"
NOT_RUNDECK = "does not look like a Rundeck export (expected a list of jobs with name/sequence or <joblist>)"


def rows_of(path: Path) -> list[dict[str, str]]:
    return [standard_cells(row) for row in registry()["rundeck"].read(SourceSettings(path=path, profile="rundeck"))]


def flows_of(path: Path) -> dict[str, list[dict[str, str]]]:
    """Each flow's rows (one per task), by flow name."""
    flows: dict[str, list[dict[str, str]]] = {}
    for row in rows_of(path):
        flows.setdefault(row["flow_name"], []).append(row)
    return flows


def notes(row: dict[str, str], kind: str = "__warnings__") -> dict[str, list[str]]:
    """A flow's warnings (or errors): messages by code."""
    found: dict[str, list[str]] = {}
    for note in json.loads(row[kind] or "[]"):
        found.setdefault(note["code"], []).append(note["message"])
    return found


def write_config(tmp_path: Path, source: Path, mapping: str = "", run: str = "", target: str = "") -> Path:
    config = tmp_path / "rundeck.toml"
    config.write_text(textwrap.dedent(f"""
        [source]
        path = "{source}"
        profile = "rundeck"
        [mapping]
        {mapping}
        [defaults]
        type = 1
        alertMode = 0
        doAs = "db"
        visitors = ""
        owners = "alice"
        startTime = "2026-12-01"
        [target]
        timezone = "Asia/Shanghai"
        user_id = "u1"
        org_id = "o1"
        {target}
        [run]
        rate_per_second = 200
        result_log = "results/{{run_id}}.jsonl"
        {run}
    """), encoding="utf-8")
    return config


def plan_json(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, Any], str]:
    code = main(["plan", str(config), "--json", "--offline"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def plan_of(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: Path,
            mapping: str = "") -> tuple[int, dict[str, Any], str]:
    return plan_json(capsys, write_config(tmp_path, source, mapping, target='url = "https://apim.example.invalid"'))


# -- 1. time zone --------------------------------------------------------------------------------

def test_a_jobs_time_zone_is_carried_never_dropped() -> None:
    yaml_flows, xml_flows = flows_of(FIXTURES / "jobs-current.yaml"), flows_of(FIXTURES / "jobs.xml")
    assert yaml_flows["reports_daily_nightly-report"][0]["timezone"] == "Asia/Shanghai"
    assert xml_flows["ops_logs_rotate-logs"][0]["timezone"] == "Europe/Berlin"
    assert yaml_flows["ops_restart-service"][0]["timezone"] == ""  # the export names none
    # The mapping shifts or refuses a zone; the profile no longer warns about it.
    assert all("TIMEZONE" not in notes(rows[0]) for rows in (*yaml_flows.values(), *xml_flows.values()))


@pytest.mark.parametrize(("written", "zone"), [("IST", "Asia/Kolkata"), ("CST", "America/Chicago"),
                                                ("CTT", "Asia/Shanghai"), ("PST", "America/Los_Angeles"),
                                                ("GMT+08:00", "Etc/GMT-8"), ("GMT-5", "Etc/GMT+5"), ("GMT+0000", "UTC"),
                                                ("GMT+05:30", "Asia/Kolkata"), ("GMT+0545", "Asia/Kathmandu")])
def test_a_java_zone_id_is_the_zone_rundeck_read(tmp_path: Path, written: str, zone: str) -> None:
    """Rundeck reads timeZone with java.util.TimeZone: `IST`, `CTT`, `GMT+08:00` were refused
    UNKNOWN_TIMEZONE, the job never migrated (found by a hunt over Rundeck's own codecs)."""
    source = tmp_path / "jobs.yaml"
    source.write_text(f"- name: a\n  group: ops\n  uuid: u-1\n  timeZone: '{written}'\n  schedule:\n"
                      "    time: {hour: '02', minute: '00', seconds: '0'}\n    month: '*'\n    weekday: {day: '*'}\n"
                      "  sequence:\n    commands:\n    - exec: /opt/a.sh\n", encoding="utf-8")
    [rows] = flows_of(source).values()
    assert rows[0]["timezone"] == zone and notes(rows[0])["TIMEZONE_ALIAS"] == [f"timeZone {written} is Java's {zone}"]


def test_a_schedule_without_a_time_zone_says_the_zone_is_assumed(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A job with no timeZone fired in the Rundeck server's zone, which no export says: named, never
    silently taken to be the service's; naming it in [mapping] source_timezone settles it."""
    source = FIXTURES / "scheduled-no-zone.yaml"
    code, plan, err = plan_of(tmp_path, capsys, source)
    actions = {action["name"]: action for action in plan["actions"]}
    assumed = actions["Inventory_Scheduled_list-partitions"]
    assert code == 3 and "Traceback" not in err
    assert [w["code"] for w in assumed.get("warnings", [])].count("HOST_TIMEZONE") == 1
    assert "server's own zone" in json.dumps(assumed.get("warnings")) and assumed["freq"] == "0 20 0/2 * * ? *"
    named = actions["Inventory_Scheduled_compact-partitions"]
    assert "HOST_TIMEZONE" not in {w["code"] for w in named.get("warnings", [])}
    code, plan, err = plan_of(tmp_path, capsys, source, 'source_timezone = "Asia/Shanghai"')
    assert code == 3 and "HOST_TIMEZONE" not in plan["warnings_by_code"]
    assert {a["name"]: a["freq"] for a in plan["actions"]}["Inventory_Scheduled_list-partitions"] == "0 20 0/2 * * ? *"


# -- 2. options ----------------------------------------------------------------------------------

def test_options_with_defaults_become_parameters_and_secure_ones_are_named_not_carried() -> None:
    flows = flows_of(FIXTURES / "jobs-current.yaml")
    report = flows["reports_daily_nightly-report"][0]
    assert json.loads(report["params"]) == [{"key": "env", "value": "prod"}, {"key": "batch_size", "value": "500"}]
    warned = notes(report)
    assert "db_password" in warned["SECURE_OPTION"][0] and "keys/reports/db_password" in warned["SECURE_OPTION"][0]
    assert "ticket" in warned["OPTION_WITHOUT_DEFAULT"][0]
    # Scripts keep Rundeck's option references as they were written.
    assert flows["reports_daily_nightly-report"][0]["command"] == (
        "/opt/reports/extract.sh --env @option.env@ --batch ${option.batch_size}")

    restart = flows["ops_restart-service"][0]  # the older map form of options
    assert json.loads(restart["params"]) == [{"key": "service", "value": "nginx"}]
    assert "api_token" in notes(restart)["SECURE_OPTION"][0]
    assert not any("not-a-real-token" in value for rows in flows.values() for row in rows for value in row.values())

    rotate = flows_of(FIXTURES / "jobs.xml")["ops_logs_rotate-logs"][0]
    assert json.loads(rotate["params"]) == [{"key": "region", "value": "eu-west-1"}, {"key": "dry_run", "value": "false"}]
    assert "vault_token" in notes(rotate)["SECURE_OPTION"][0]


def test_option_references_are_kept_as_written_and_named() -> None:
    flows = flows_of(FIXTURES / "jobs-current.yaml")
    report = flows["reports_daily_nightly-report"]
    assert report[0]["command"] == "/opt/reports/extract.sh --env @option.env@ --batch ${option.batch_size}"
    (warning,) = notes(report[0])["OPTION_REFERENCE"]
    assert "@option.env@ (step 1), ${option.batch_size} (step 1), RD_OPTION_ENV (step 2)" in warning
    assert "EnOS parameters use another syntax" in warning and "kept as written" in warning
    assert "@option.service@ (step 1)" in notes(flows["ops_restart-service"][0])["OPTION_REFERENCE"][0]
    rotate = flows_of(FIXTURES / "jobs.xml")["ops_logs_rotate-logs"][0]
    assert "@option.region@ (step 1), $RD_OPTION_DRY_RUN (step 2)" in notes(rotate)["OPTION_REFERENCE"][0]


def test_option_references_in_script_arguments_are_named_and_plain_text_is_not(tmp_path: Path) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text(textwrap.dedent("""\
        - name: args
          sequence:
            commands:
            - script: echo "$1"
              args: --env ${RD_OPTION_ENV} ${option.region}
        - name: plain
          sequence:
            commands:
            - exec: echo option.env @ RD_OPTIONS $option
        """), encoding="utf-8")
    flows = flows_of(path)
    assert "${RD_OPTION_ENV} (step 1), ${option.region} (step 1)" in notes(flows["args"][0])["OPTION_REFERENCE"][0]
    assert "OPTION_REFERENCE" not in notes(flows["plain"][0])


# -- 3. alerts -----------------------------------------------------------------------------------

def test_a_failure_email_turns_alerts_on_and_what_cannot_be_carried_is_reported() -> None:
    flows = flows_of(FIXTURES / "jobs-current.yaml")
    report = flows["reports_daily_nightly-report"][0]
    assert report["alert"] == "1"
    warned = notes(report)
    assert "ops@example.com" in warned["ALERT_RECIPIENTS"][0] and "dba@example.com" in warned["ALERT_RECIPIENTS"][0]
    others = " ".join(warned["NOTIFICATION"])
    assert "onsuccess" in others and "https://hooks.example.com/report-done" in others
    assert "onstart" in others and "SlackNotification" in others
    assert flows["reports_weekly-archive"][0]["alert"] == ""  # no notification at all

    rotate = flows_of(FIXTURES / "jobs.xml")["ops_logs_rotate-logs"][0]
    assert rotate["alert"] == "1" and "web-oncall@example.com" in notes(rotate)["ALERT_RECIPIENTS"][0]
    others = " ".join(notes(rotate)["NOTIFICATION"])
    assert "onfailure" in others and "https://hooks.example.com/rundeck" in others  # a failure webhook
    assert "onavgduration" in others and "+30" in others


# -- 4. disabled jobs ----------------------------------------------------------------------------

def test_disabled_schedules_and_executions_make_the_flow_inactive_and_say_which() -> None:
    flows = flows_of(FIXTURES / "jobs-current.yaml")
    assert flows["reports_daily_nightly-report"][0]["active"] == "1"
    assert "DISABLED" not in notes(flows["reports_daily_nightly-report"][0])
    archive, restart = flows["reports_weekly-archive"][0], flows["ops_restart-service"][0]
    assert archive["active"] == "0" and "scheduleEnabled: false" in notes(archive)["DISABLED"][0]
    assert restart["active"] == "0" and "executionEnabled: false" in notes(restart)["DISABLED"][0]
    notify = flows_of(FIXTURES / "jobs.xml")["ops_notify-team"][0]  # XML writes the flags as text
    assert notify["active"] == "0" and "scheduleEnabled: false" in notes(notify)["DISABLED"][0]


# -- 5. manual jobs ------------------------------------------------------------------------------

def test_a_job_without_a_schedule_is_unscheduled_with_the_reason() -> None:
    for path, name in ((FIXTURES / "jobs-current.yaml", "ops_restart-service"), (FIXTURES / "jobs.xml", "ops_notify-team")):
        row = flows_of(path)[name][0]
        assert row["unscheduled"] == "a Rundeck job with no schedule, run by hand"
        assert row["schedule"] == "" and row["__errors__"] == ""  # the mapping decides: refuse, or manual


def test_plan_refuses_a_manual_job_unless_manual_flows_are_wanted(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan_of(tmp_path, capsys, FIXTURES / "jobs-current.yaml")
    assert code == 5 and inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1}
    assert "run by hand" in json.dumps(inventory["invalid_flows"])
    code, inventory, _ = plan_of(tmp_path, capsys, FIXTURES / "jobs-current.yaml", 'unscheduled = "manual"')
    assert code == 3 and inventory["flows_found"] == inventory["convertible"] == 4


# -- 6. task bodies, job references and workflow settings ----------------------------------------

def test_every_step_keeps_its_body_and_what_a_flow_cannot_do_is_named() -> None:
    flows = flows_of(FIXTURES / "jobs-current.yaml")
    report = flows["reports_daily_nightly-report"]
    assert [(r["task_id"], r["upstream"]) for r in report] == [("1", ""), ("2", "1"), ("3", "2")]
    assert report[1]["command"] == ('import os, sys\nprint("report for", os.environ["RD_OPTION_ENV"], sys.argv[1:])')
    assert report[2]["command"] == "/opt/reports/publish.sh --to s3://reports"
    warned = notes(report[0])
    assert "python3 -u" in warned["SCRIPT_INVOCATION"][0] and "--date yesterday" in warned["SCRIPT_INVOCATION"][0]
    assert "runs as shell commands, not with the interpreter" in warned["SCRIPT_INVOCATION"][0]  # said plainly
    assert "step 3" in warned["ERROR_HANDLER"][0] and "/opt/reports/cleanup.sh" in warned["ERROR_HANDLER"][0]
    assert "/opt/reports/publish.sh" in warned["SCRIPT_REFERENCE"][0]
    assert not {"KEEPGOING", "NODE_FILTER", "RETRY", "TIMEOUT", "WORKFLOW_STRATEGY"} & set(warned)

    archive = flows["reports_weekly-archive"]
    assert [r["command"] for r in archive] == [
        "rd run -f -j reports/daily/nightly-report -- -env staging",
        "rd run -f -i 0a0a0a0a-2222-4b4b-8c8c-000000000099",
        "https://scripts.example.com/archive.sh",
    ]
    warned = notes(archive[0])
    in_export, elsewhere = warned["JOB_REFERENCE"]
    assert "reports/daily/nightly-report" in in_export and "reports_daily_nightly-report" in in_export
    assert "vacuum-warehouse" in elsewhere and "not in this export" in elsewhere
    assert "archive.sh" in warned["SCRIPT_REFERENCE"][0]
    assert "went on after a failed step" in warned["KEEPGOING"][0]
    assert "tags: db" in warned["NODE_FILTER"][0] and "threadcount 4" in warned["NODE_FILTER"][0]
    assert "2" in warned["RETRY"][0] and "5m" in warned["RETRY"][0] and "2h" in warned["TIMEOUT"][0]

    loads = flows["parallel-loads"]  # Rundeck's parallel strategy: the steps do not wait for each other
    assert [(r["upstream"], r["command"]) for r in loads] == [
        ("", "/opt/load.sh customers"), ("", "/opt/load.sh orders"), ("", "/opt/load.sh invoices")]
    assert loads[0]["schedule"] == "0 15 */6 ? * MON-FRI *"

    restart = flows["ops_restart-service"]
    plugin = json.loads(restart[1]["command"])
    assert plugin["type"] == "copyfile" and plugin["configuration"]["destinationPath"] == "/etc/nginx/nginx.conf"
    assert "copyfile" in notes(restart[0])["PLUGIN_STEP"][0]


def test_xml_steps_are_read_like_yaml_ones() -> None:
    rotate = flows_of(FIXTURES / "jobs.xml")["ops_logs_rotate-logs"]
    assert rotate[0]["schedule"] == "0 45 05 1 * ? *"  # <month day="1"> is the day of the month
    assert [r["command"] for r in rotate] == [
        "logrotate -f /etc/logrotate.d/app --region @option.region@",
        "#!/bin/bash\necho \"dry run: $RD_OPTION_DRY_RUN\"\nfind /var/log/app -name '*.gz' -mtime +30 -delete",
        "rd run -f -i 3c9e0b5e-aaaa-4bbb-8ccc-000000000002 -- -message rotated",
        json.dumps({"configuration": {"destinationPath": "/tmp/rotated.txt", "sourcePath": "/srv/rotated.txt"},
                    "nodeStep": True, "type": "copyfile"}),
    ]
    warned = notes(rotate[0])
    assert "sudo -u app bash -c" in warned["SCRIPT_INVOCATION"][0] and "--verbose" in warned["SCRIPT_INVOCATION"][0]
    assert "ops/notify-team" in warned["JOB_REFERENCE"][0] and "ops_notify-team" in warned["JOB_REFERENCE"][0]
    assert "echo rotation failed" in warned["ERROR_HANDLER"][0]
    assert "tags: web" in warned["NODE_FILTER"][0] and "threadcount 2" in warned["NODE_FILTER"][0]
    assert "3" in warned["RETRY"][0] and "30s" in warned["RETRY"][0] and "30m" in warned["TIMEOUT"][0]
    assert "copyfile" in warned["PLUGIN_STEP"][0]


def test_plan_shows_every_new_warning_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, err = plan_of(tmp_path, capsys, FIXTURES / "jobs.xml", 'unscheduled = "manual"')
    # rotate-logs fired in Europe/Berlin, whose offset to the target's Asia/Shanghai changes at DST.
    assert code == 5 and inventory["invalid_by_reason"] == {"TIMEZONE_MISMATCH": 1} and "Traceback" not in err
    assert "Europe/Berlin" in json.dumps(inventory["invalid_flows"])
    assert {"SECURE_OPTION", "ALERT_RECIPIENTS", "NOTIFICATION", "DISABLED", "JOB_REFERENCE", "SCRIPT_INVOCATION",
            "ERROR_HANDLER", "NODE_FILTER", "RETRY", "TIMEOUT", "PLUGIN_STEP"} <= set(inventory["warnings_by_code"])


# -- 7. files that are not Rundeck exports, and odd shapes ---------------------------------------

@pytest.mark.parametrize("name", ["oozie-coordinator.xml", "controlm-deftable.xml", "settings-mapping.yaml",
                                  "unrelated-list.json"])
def test_a_file_that_is_not_a_rundeck_export_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        name: str) -> None:
    with pytest.raises(SourceError, match="does not look like a Rundeck export"):
        rows_of(FIXTURES / name)
    code, inventory, err = plan_of(tmp_path, capsys, FIXTURES / name)
    # Through the CLI, a file recognised as another format is named as that one (sources/detect.py).
    expected = {"controlm-deftable.xml": "this looks like a controlm export, not rundeck",
                "oozie-coordinator.xml": "this looks like an oozie export, not rundeck",
                "unrelated-list.json": "this looks like an airflow export, not rundeck"}.get(name, f"this {NOT_RUNDECK}")
    assert code == 1 and inventory["exit_code"] == 1 and f"{FIXTURES / name}: {expected}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("doctype", ['<!DOCTYPE joblist [<!ENTITY c "/opt/evil.sh">]>',
                                     '<!DOCTYPE joblist [<!ATTLIST time hour CDATA "02">]>'])
def test_a_dtd_is_refused_in_words_naming_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    doctype: str) -> None:
    # defusedxml's own words were all that was said: "refused: EntitiesForbidden: EntitiesForbidden(name='c', …)".
    path = tmp_path / "jobs.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<joblist>\n  <job><name>nightly</name>'
                    "<group>ops</group><sequence><command><exec>&c;</exec></command></sequence></job>\n</joblist>\n",
                    encoding="utf-8")
    code, _, err = plan_of(tmp_path, capsys, path)
    assert code == 1 and f"{path}: refused: line 2 declares a DTD (<!DOCTYPE joblist …>), which no Rundeck export " \
                         "has: a DTD declares the entities" in err and "Forbidden" not in err and "Traceback" not in err


@pytest.mark.parametrize(("content", "message"), [("[]\n", "holds no jobs"), ("<joblist>\n</joblist>\n", "holds no jobs")])
def test_an_export_with_no_jobs_is_not_success(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        rows_of(path)


def test_references_to_the_runs_context_are_named_apart_from_options(tmp_path: Path) -> None:
    """`$RD_JOB_EXECID`, `${job.name}`, `@node.hostname@`: Rundeck set them for each step, nothing
    sets them in a task. They went without a word (options alone were named)."""
    path = tmp_path / "jobs.yaml"
    path.write_text(textwrap.dedent("""
        - name: tag-release
          group: ops
          sequence:
            commands:
              - exec: echo "run $RD_JOB_EXECID of ${job.name} by ${job.username}"
              - script: |
                  logger -t deploy "@node.hostname@ @option.env@"
    """), encoding="utf-8")
    warnings = notes(flows_of(path)["ops_tag-release"][0])
    [context] = warnings["CONTEXT_REFERENCE"]
    assert "$RD_JOB_EXECID (step 1), ${job.name} (step 1), ${job.username} (step 1), @node.hostname@ (step 2)" \
        in context
    assert "@option.env@ (step 2)" in warnings["OPTION_REFERENCE"][0] and "job" not in warnings["OPTION_REFERENCE"][0]


def test_a_day_of_month_beside_a_weekday_fires_on_the_day_as_rundeck_does(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Rundeck's ScheduledExecution.fromMap takes a structured schedule's day of month (but `?`) and
    sets the weekday to `?`: the weekday is ignored. The flow was refused DOM_AND_DOW; it now fires
    as Rundeck did, saying so, proved by the proof's own reading of Rundeck's rule. A day of month
    `?` leaves the weekdays."""
    path = tmp_path / "jobs.yaml"
    path.write_text(textwrap.dedent("""
        - name: month-end-report
          group: finance
          sequence: {commands: [{exec: /opt/report.sh}]}
          schedule: {time: {hour: '02', minute: '30'}, dayofmonth: {day: '15'}, weekday: {day: 'MON'}, month: '*'}
        - name: weekly-by-question-mark
          group: finance
          sequence: {commands: [{exec: /opt/weekly.sh}]}
          schedule: {time: {hour: '03', minute: '00'}, dayofmonth: {day: '?'}, weekday: {day: 'FRI'}, month: '*'}
    """), encoding="utf-8")
    flows = flows_of(path)
    report, weekly = flows["finance_month-end-report"][0], flows["finance_weekly-by-question-mark"][0]
    assert (report["schedule"], report["__errors__"]) == ("0 30 02 15 * ? *", "")
    assert "whatever the weekday" in notes(report)["WEEKDAY_IGNORED"][0]
    assert (weekly["schedule"], weekly["__errors__"], "WEEKDAY_IGNORED" in notes(weekly)) == ("0 00 03 ? * FRI *", "",
                                                                                              False)
    code, inventory, err = plan_of(tmp_path, capsys, path)
    assert code == 3 and "Traceback" not in err  # 3: flows to save
    assert {a["proof"]["verdict"] for a in inventory["actions"]} == {"equivalent"}, inventory["actions"]


def test_odd_but_plausible_shapes_are_read_and_nonsense_is_refused_per_job(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flows = flows_of(FIXTURES / "odd-shapes.yaml")
    schedules = {name: rows[0]["schedule"] for name, rows in flows.items() if not rows[0]["__errors__"]}
    assert schedules == {
        "plain-strings": "0 05 04 ? * * *",  # weekday: '*' as a plain string
        "numbers": "0 30 4 15 * ? 2027",  # numbers, a day of month as a number, month as a map
        "weekday-list": "0 00 06 ? * MON,FRI *",
        "crontab-as-text": "0 15 10 ? * * *",
        "no-time": "0 0 0 ? * MON *",  # every part of the time is optional: midnight
    }
    assert "time" in notes(flows["time-as-text"][0], "__errors__")["INVALID_SYNTAX"][0]
    assert "hour" in notes(flows["hour-as-map"][0], "__errors__")["INVALID_SYNTAX"][0]
    assert "no steps" in notes(flows["no-steps"][0], "__errors__")["EMPTY_COMMAND"][0]
    assert "step 1" in notes(flows["step-without-body"][0], "__errors__")["EMPTY_COMMAND"][0]
    assert "item 7" in notes(flows["job 7"][0], "__errors__")["MALFORMED_JOB"][0]

    code, inventory, err = plan_of(tmp_path, capsys, FIXTURES / "odd-shapes.yaml")
    assert code == 5 and "Traceback" not in err
    assert inventory["flows_found"] == 10 and inventory["convertible"] == 5


@pytest.mark.parametrize("value", ["[]", "{}", "3", "true", "null", "'text'", "[[1, 2]]", "{a: {b: c}}"])
def test_any_value_in_any_field_gives_a_flow_or_its_error_never_a_traceback(tmp_path: Path, value: str) -> None:
    fields = ["name", "group", "uuid", "description", "timeZone", "scheduleEnabled", "options", "notification",
              "schedule", "sequence", "nodefilters", "retry", "timeout"]
    jobs = []
    for field in fields:
        job: dict[str, Any] = {"name": "j", "uuid": field, "schedule": {"crontab": "0 0 1 ? * * *"},
                               "sequence": {"commands": [{"exec": "true"}]}}
        job[field] = "@@"
        jobs.append(job)
    for step_field in ["exec", "script", "args", "scriptfile", "jobref", "type", "configuration", "errorhandler"]:
        jobs.append({"name": "s", "uuid": step_field, "sequence": {"commands": [{"exec": "true", step_field: "@@"}]}})
    path = tmp_path / "jobs.yaml"
    path.write_text(json.dumps(jobs).replace('"@@"', value), encoding="utf-8")
    first_rows = [row for row in rows_of(path) if row["task_id"] in ("", "1")]  # one per flow
    assert len(first_rows) == len(jobs)  # every job is a flow, with its tasks or its error


# -- 8. a YAML alias bomb (issue 19, item 6) -----------------------------------------------------

def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(SourceError, match="alias") as refused:
        rows_of(FIXTURES / "alias-bomb.yaml")
    assert str(FIXTURES / "alias-bomb.yaml") in str(refused.value) and "\n" not in str(refused.value)


def _limit_the_child() -> None:
    """The refusal must come long before these limits; without it the child dies of them, not the machine."""
    resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))


def test_plan_refuses_an_alias_bomb_with_one_line_in_bounded_memory(tmp_path: Path) -> None:
    config = write_config(tmp_path, FIXTURES / "alias-bomb.yaml", target='url = "https://apim.example.invalid"')
    done = subprocess.run([sys.executable, "-m", "migrate.cli", "plan", str(config), "--json", "--offline"], capture_output=True,
                          text=True, timeout=100, cwd=REPO, preexec_fn=_limit_the_child,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and str(FIXTURES / "alias-bomb.yaml") in done.stderr
    assert len([line for line in done.stderr.splitlines() if "alias" in line]) == 1
    assert usage.ru_maxrss < 1 << 20  # kilobytes: the child never held a gigabyte


def test_recursive_aliases_and_deep_nesting_are_refused_with_a_sentence(tmp_path: Path) -> None:
    recursive = tmp_path / "recursive.yaml"
    recursive.write_text("- &job\n  name: loop\n  sequence: {commands: [{exec: true}]}\n  again: *job\n", encoding="utf-8")
    with pytest.raises(SourceError, match="refers to itself"):
        rows_of(recursive)
    deep = tmp_path / "deep.yaml"
    deep.write_text("- name: deep\n  sequence: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="nested"):
        rows_of(deep)


def test_a_few_ordinary_aliases_are_read(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(textwrap.dedent("""\
        - name: first
          uuid: a-1
          schedule: &nightly {crontab: '0 0 2 ? * * *'}
          options: &opts [{name: env, value: prod}]
          sequence: {commands: [{exec: /bin/first}]}
        - name: second
          uuid: a-2
          schedule: *nightly
          options: *opts
          sequence: {commands: [{exec: /bin/second}]}
        """), encoding="utf-8")
    flows = flows_of(path)
    assert flows["second"][0]["schedule"] == "0 0 2 ? * * *"
    assert json.loads(flows["second"][0]["params"]) == [{"key": "env", "value": "prod"}]


# -- end to end ----------------------------------------------------------------------------------

def test_run_creates_the_flows_with_their_parameters_alerts_state_and_bodies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = write_config(tmp_path, FIXTURES / "jobs-current.yaml", run="create_missing = true",
                          target='emulator_config = "state.json"\nemulator_state = "emulator.sqlite"')
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    lines = {line["name"]: line for line in read_log(Path(report["result_log"]))}
    assert code == 5 and lines["ops_restart-service"]["status"] == "invalid"  # manual: refused by default
    assert {lines[name]["status"] for name in ("reports_daily_nightly-report", "reports_weekly-archive",
                                               "parallel-loads")} == {"created"}
    assert "SECURE_OPTION" in json.dumps(lines["reports_daily_nightly-report"])

    with sqlite3.connect(tmp_path / "emulator.sqlite") as database:
        stored = [json.loads(value) for key, value in database.execute("SELECT key, value FROM state")
                  if key.startswith("flow:")]
    flows = {flow["name"]: flow for flow in stored}
    nightly = flows["reports_daily_nightly-report"]
    assert json.loads(nightly["graph"]["parameters"]) == [{"key": "env", "value": "prod"},
                                                          {"key": "batch_size", "value": "500"}]
    assert nightly["graph"]["alertMode"] == 1 and nightly["active"] == 1
    assert [task["cmd"] for task in nightly["task_details"].values()] == [
        "/opt/reports/extract.sh --env @option.env@ --batch ${option.batch_size}",
        'import os, sys\nprint("report for", os.environ["RD_OPTION_ENV"], sys.argv[1:])',
        "/opt/reports/publish.sh --to s3://reports"]
    assert flows["reports_weekly-archive"]["active"] == 0
    assert len(flows["parallel-loads"]["graph"]["relations"]) == 0


def test_overlapping_runs_and_a_log_limit_are_named(tmp_path: Path) -> None:
    """multipleExecutions (runs of the job overlapping) and loglimit (the output cut off, then the
    job halted): Rundeck settings a flow has no place for, named (they were dropped without a word)."""
    path = tmp_path / "jobs.yaml"
    path.write_text(textwrap.dedent("""\
        - defaultTab: nodes
          executionEnabled: true
          group: ops
          name: list-projects
          uuid: 0a0a0a0a-3333-4c4c-8d8d-000000000001
          loglevel: INFO
          loglimit: 100MB
          loglimitAction: halt
          multipleExecutions: true
          maxMultipleExecutions: '2'
          nodeFilterEditable: false
          schedule:
            month: '*'
            time: {hour: '02', minute: '00', seconds: '0'}
            weekday: {day: '*'}
            year: '*'
          scheduleEnabled: true
          sequence:
            commands:
            - exec: /opt/list-projects.sh
            keepgoing: false
            strategy: node-first
        """), encoding="utf-8")
    warned = notes(flows_of(path)["ops_list-projects"][0])
    assert "at most 2" in warned["CONCURRENCY"][0] and "100MB" in warned["LOG_LIMIT"][0]
    assert "halt" in warned["LOG_LIMIT"][0]


def test_an_option_that_is_not_secure_but_named_as_a_secret_is_named(tmp_path: Path) -> None:
    """An option left not secure whose name says it holds a password: its default is carried as a
    parameter (Rundeck showed it to anyone who could read the job), and named, SECRET_PARAMETER."""
    path = tmp_path / "jobs.yaml"
    path.write_text("- name: load\n  group: ops\n  uuid: 6a1e4f1c-0000-4000-8000-000000000001\n"
                    "  options:\n  - name: db_password\n    value: not-a-real-one\n  - name: env\n    value: prod\n"
                    "  sequence:\n    commands:\n    - exec: /opt/load.sh\n", encoding="utf-8")
    (row,) = flows_of(path)["ops_load"]
    assert json.loads(row["params"]) == [{"key": "db_password", "value": "not-a-real-one"}, {"key": "env", "value": "prod"}]
    assert notes(row)["SECRET_PARAMETER"][0].startswith("db_password looks like a secret")


def test_two_jobs_whose_names_meet_are_a_name_collision_not_a_duplicate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ops/db` `backup` and `ops` `db_backup` both become the flow name ops_db_backup: the plan
    and the run said the second was a duplicate of the first ("not saved twice"), though they are
    two jobs. Now NAME_COLLISION names the first job; the first is saved."""
    source = tmp_path / "jobs.yaml"
    source.write_text("".join(
        f"- name: {name}\n  group: {group}\n  uuid: 6a1e4f1c-0000-4000-8000-00000000000{n}\n"
        f"  schedule:\n    crontab: 0 0 2 ? * * *\n  sequence:\n    commands:\n    - exec: /opt/{n}.sh\n"
        for n, (group, name) in
        enumerate([("ops/db", "backup"), ("ops", "db_backup"), ("ops/db", "'backup '")], 1)), encoding="utf-8")
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = write_config(tmp_path, source, run="create_missing = true",
                          target='emulator_config = "state.json"\nemulator_state = "emulator.sqlite"')
    said = "is also the flow name of '6a1e4f1c-0000-4000-8000-000000000001' (row 1)"
    for verb in (["plan", "--offline"], ["run"]):
        code = main([verb[0], str(config), "--json", *verb[1:]])
        report = json.loads(capsys.readouterr().out)
        assert code == 5, report
        if verb[0] == "plan":
            # the third, a blank after its name, is a third job too: not a copy, not "not saved twice"
            assert report["invalid_by_reason"] == {"NAME_COLLISION": 2}, report
            second, third = report["invalid_flows"]
            assert f"name 'ops_db_backup' {said}" in second["errors"][0]["message"], second
            assert f"name 'ops_db_backup' (written 'ops_db_backup ' here) {said}" in third["errors"][0]["message"]
        else:
            lines = {line["source_key"]: line for line in read_log(Path(report["result_log"]))}
            assert lines["6a1e4f1c-0000-4000-8000-000000000001"]["status"] == "created"
            second = lines["6a1e4f1c-0000-4000-8000-000000000002"]
            # A run keeps only a digest of each name's first job: it names its row
            assert second["status"] == "invalid" and second["errors"][0]["code"] == "NAME_COLLISION", second
            assert "'ops_db_backup' is also the flow name of another job of the source (row 1)" in second["msg"]


@pytest.mark.parametrize("name", ["Authorization", "bearer", "github_pat", "SLACK_WEBHOOK", "ｐａｓｓｗｏｒｄ",
                                  "kennwort", "密码"])
def test_secret_names_of_other_shapes_and_languages_are_named(tmp_path: Path, name: str) -> None:
    """A header, a webhook, a personal access token, full-width letters, German and Chinese: each
    carried as a parameter without a word."""
    path = tmp_path / "jobs.yaml"
    path.write_text(f"- name: call\n  group: ops\n  uuid: 6a1e4f1c-0000-4000-8000-000000000009\n  options:\n"
                    f"  - name: {name}\n    value: not-a-real-one\n  - name: region\n    value: eu\n"
                    "  sequence:\n    commands:\n    - exec: /opt/call.sh\n", encoding="utf-8")
    (row,) = flows_of(path)["ops_call"]
    assert notes(row)["SECRET_PARAMETER"][0].startswith(f"{name} looks like a secret")  # region: not named
