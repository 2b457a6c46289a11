"""Every sample export through its profile, our own fixtures for each format (malformed ones too),
and flows found by name or created by Import, end to end against the emulator."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, plan_profile, profile_run_config, run_cli, shared_file, standard_cells

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.results.log import read_log
from migrate.sources.profiles import registry
from migrate.sources.profiles.crontab import job_key, job_name


def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: str, source: Path,
         options: str = "", extra: str = "", target: str = "") -> tuple[int, dict[str, Any], str]:
    return plan_profile(tmp_path, capsys, profile, source, source_lines=options, extra=extra, target=target)


def flows_of(profile: str, path: Path, **options: Any) -> list[dict[str, str]]:
    rows = registry()[profile].read(SourceSettings(path=path, profile=profile, options=options))
    return [standard_cells(row) for row in rows]


def test_the_rundeck_sample_every_five_seconds_is_sub_minute(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, "rundeck", shared_file("samples/rundeck-jobs.yaml"))
    assert code == 5 and inventory["invalid_by_reason"] == {"SUB_MINUTE": 1}


def test_the_dolphinscheduler_sample_reports_its_broken_references(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, "dolphinscheduler",
                              shared_file("samples/dolphinscheduler-workflow-export.json"))
    assert code == 5 and inventory["invalid_by_reason"] == {"BROKEN_REFERENCE": 1}
    messages = " ".join(e["message"] for e in inventory["invalid_flows"][0]["errors"])
    assert "137713824398176" in messages and "137713880690528" in messages


def test_the_user_crontab_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_file("samples/user-crontab.cron")
    code, inventory, _ = plan(tmp_path, capsys, "crontab", path, target='timezone = "Asia/Tokyo"')
    assert code == 3 and inventory["flows_found"] == inventory["convertible"] == 5
    # the sample sets SHELL=/bin/sh and MAILTO=paul above its jobs: named on each, as is its % input
    assert inventory["warnings_by_code"] == {"PERCENT_STDIN": 1, "ALERT_RECIPIENTS": 5, "CRON_ENVIRONMENT": 5}
    rows = flows_of("crontab", path)
    assert [r["schedule"] for r in rows] == ["5 0 * * *", "15 14 1 * *", "0 22 * * 1-5", "23 0-23/2 * * *",
                                             "5 4 * * sun"]
    assert rows[2]["command"] == 'mail -s "It\'s 10pm" joe'
    params = json.loads(rows[0]["params"])
    assert {"key": "CRON_TZ", "value": "Japan"} in params and {"key": "MAILTO", "value": "paul"} in params
    assert rows[0]["alert"] == "1" and rows[0]["timezone"] == "Japan"


def test_the_system_crontab_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = shared_file("samples/system-crontab.cron")
    rows = flows_of("crontab", path)
    assert [(r["schedule"], r["command"].split()[0]) for r in rows] == [
        ("0 2 * * *", "/etc/daily"), ("30 3 * * 6", "/etc/weekly"), ("30 5 1 * *", "/etc/monthly")]
    code, inventory, _ = plan(tmp_path, capsys, "crontab", path)
    assert code == 3 and inventory["convertible"] == 3


def test_the_schtasks_sample_merges_two_trigger_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, "schtasks", shared_file("samples/windows-schtasks.csv"))
    assert code == 5 and inventory["flows_found"] == 1  # one task on two rows
    assert inventory["invalid_by_reason"] == {"UNSUPPORTED_INTERVAL": 1}  # repeats past midnight


def test_schtasks_own_fixture(tmp_path: Path) -> None:
    header = '"HostName","TaskName","Schedule Type","Start Time","Start Date","Days","Months","Repeat: Every",' \
             '"Repeat: Until: Duration","Task To Run","Run As User","Scheduled Task State"'
    path = tmp_path / "tasks.csv"
    path.write_text("\n".join([
        header,
        '"H","\\nightly","Daily","02:30:00","13/02/2025","Every 1 day(s)","","Disabled","Disabled","backup.exe","svc","Enabled"',
        header,  # schtasks repeats the header for every folder
        '"H","\\Ops\\weekly","Weekly","06:00:00","01/03/2025","MON, FRI","Every 1 week(s)","Disabled","Disabled","r.exe","ops","Disabled"',
        '"H","\\Ops\\two","Daily","01:00:00","01/03/2025","Every 1 day(s)","","Disabled","Disabled","x.exe","ops","Enabled"',
        '"H","\\Ops\\two","Daily","13:00:00","01/03/2025","Every 1 day(s)","","Disabled","Disabled","x.exe","ops","Enabled"',
    ]), encoding="utf-8")
    rows = {r["flow_name"]: r for r in flows_of("schtasks", path)}
    assert rows["nightly"]["schedule"] == "0 30 2 * * ? *" and rows["nightly"]["start_date"] == "2025-02-13"
    assert rows["Ops_weekly"]["schedule"] == "0 0 6 ? * 2,6 *" and rows["Ops_weekly"]["active"] == "0"
    # two daily triggers, 01:00 and 13:00: the task ran at both, and so does the flow (one schedule)
    assert rows["Ops_two"]["schedule"] == "0 0 1,13 * * ? *" and rows["Ops_two"]["__errors__"] == ""
    assert "TRIGGERS_MERGED" in rows["Ops_two"]["__warnings__"]


def test_airflow_rest_collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dags = {"total_entries": 5, "dags": [
        {"dag_id": "daily_sales", "schedule_interval": {"__type": "CronExpression", "value": "0 3 * * *"},
         "owners": ["alice"], "is_paused": False, "tags": [{"name": "sales"}]},
        {"dag_id": "every_6h", "schedule_interval": {"__type": "TimeDelta", "days": 0, "seconds": 21600,
                                                     "microseconds": 0}, "owners": ["bob"], "is_paused": True,
         "start_date": "2024-01-01T01:15:00+00:00"},
        {"dag_id": "manual", "schedule_interval": None, "owners": ["alice"], "is_paused": False},
        {"dag_id": "summary", "timetable_summary": "1 day, 0:00:00", "owners": ["alice"], "is_paused": False},
        {"dag_id": "quarterly", "schedule_interval": "@quarterly", "owners": ["alice"], "is_paused": False},
    ]}
    path = tmp_path / "dags.json"
    path.write_text(json.dumps(dags), encoding="utf-8")
    code, inventory, _ = plan(tmp_path, capsys, "airflow", path, target='timezone = "UTC"')
    # "1 day, 0:00:00" has no anchor of its own: a default startTime is never one.
    assert code == 5 and inventory["flows_found"] == 5 and inventory["convertible"] == 3
    assert inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1, "NEEDS_START": 1}
    rows = {r["flow_name"]: r for r in flows_of("airflow", path)}
    assert rows["every_6h"]["active"] == "0" and rows["daily_sales"]["desc"] == "[tags: sales]"


def test_airflow_cli_list_has_no_schedule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"dag_id": "a", "fileloc": "/dags/a.py", "owners": "alice", "is_paused": "False"}]))
    code, inventory, _ = plan(tmp_path, capsys, "airflow", path)
    assert code == 5 and inventory["invalid_by_reason"] == {"MISSING_SCHEDULE": 1}


def test_dolphinscheduler_older_generation_with_locations(tmp_path: Path) -> None:
    export = [{
        "processDefinition": {"code": 7, "name": "etl", "releaseState": "ONLINE", "description": "d",
                              "locations": json.dumps([{"taskCode": 71, "x": 100, "y": 50},
                                                       {"taskCode": 72, "x": 400, "y": 50}])},
        "processTaskRelationList": [{"id": 1, "preTaskCode": 0, "postTaskCode": 71, "processDefinitionCode": 7},
                                    {"id": 2, "preTaskCode": 71, "postTaskCode": 72, "processDefinitionCode": 7}],
        "taskDefinitionList": [{"code": 71, "name": "extract", "taskParams": {"rawScript": "run e"}},
                               {"code": 72, "name": "load", "taskParams": {"rawScript": "run l"}}],
        "schedule": {"processDefinitionCode": 7, "crontab": "0 0 3 * * ? *", "startTime": "2025-01-01 00:00:00"},
    }]
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    rows = flows_of("dolphinscheduler", path)
    assert [(r["task_id"], r["upstream"], r["command"]) for r in rows] == [("71", "", "run e"), ("72", "71", "run l")]
    assert all(0 < float(r["x"]) < 1 and 0 < float(r["y"]) < 1 for r in rows)
    assert rows[0]["x"] < rows[1]["x"] and rows[0]["__errors__"] == ""


def test_rundeck_xml_and_crontab_string(tmp_path: Path) -> None:
    path = tmp_path / "jobs.xml"
    path.write_text(textwrap.dedent("""\
        <joblist>
          <job><name>nightly</name><group>ops</group><uuid>u-1</uuid>
            <schedule><time hour="04" minute="30" seconds="0"/><weekday day="MON-FRI"/><month month="*"/><year year="*"/></schedule>
            <sequence><command><exec>echo one</exec></command><command><script>echo two</script></command></sequence>
          </job>
          <job><name>cron</name><uuid>u-2</uuid><schedule crontab="0 0 12 ? * WED *"/></job>
        </joblist>"""), encoding="utf-8")
    rows = flows_of("rundeck", path)
    assert rows[0]["schedule"] == "0 30 04 ? * MON-FRI *" and rows[0]["flow_name"] == "ops_nightly"
    assert [(r["task_id"], r["upstream"], r["command"]) for r in rows[:2]] == [("1", "", "echo one"),
                                                                              ("2", "1", "echo two")]
    assert rows[2]["schedule"] == "0 0 12 ? * WED *"


def test_rundeck_xml_entity_bombs_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bomb.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                    "<joblist><job><name>&b;</name></job></joblist>", encoding="utf-8")
    code, _, err = plan(tmp_path, capsys, "rundeck", path)
    assert code == 1 and "refused" in err and str(path) in err


def test_enos_v2_export(tmp_path: Path) -> None:
    answer = {"status": 0, "msg": " Success", "data": {
        "flowId": 2479, "flowName": "test0722-1", "freq": "0 0 0 * * ? *", "cycle": "D", "owner": "alice",
        "alert_mode": 1, "start_time": "2019-07-22", "active": 0, "alertTo": "ops@example.com",
        "graph": json.dumps({"tasks": [{"task_name": "MDM-Sync", "task_id": "104506", "y": 0.002, "x": 0.002,
                                        "node_id": "t_104506"},
                                       {"taskName": "MDMHive", "taskId": "104507", "y": 0.009, "x": 0.002,
                                        "nodeId": "t_104507"}],
                             "relations": [{"cycleGap": "D0", "rerun": True, "source": "t_104506",
                                            "target": "t_104507"}]})}}
    path = tmp_path / "v2.json"
    path.write_text(json.dumps([answer]), encoding="utf-8")
    rows = flows_of("enos-v2", path)
    assert [(r["flow_id"], r["task_id"], r["upstream"]) for r in rows] == [("2479", "104506", ""),
                                                                          ("2479", "104507", "104506")]
    assert rows[0]["alert"] == "1" and rows[0]["start_date"] == "2019-07-22" and "V2_ONLY_FIELD" in rows[0]["__warnings__"]


@pytest.mark.parametrize(
    ("profile", "name", "content", "message"),
    [
        ("airflow", "dags.json", b'{"dags": [{"dag_id": "a"', "not valid JSON"),
        ("dolphinscheduler", "ds.json", b"", "is empty"),
        ("enos-v2", "v2.json", '{"status": 0, "data": {"flowName": "caf\xe9"}}'.encode("latin-1"), "not utf-8-sig text"),
        ("schtasks", "t.csv", b'"HostName","TaskName"\n', "this does not look like a schtasks export"),
        ("rundeck", "jobs.yaml", b"- name: [unclosed", "cannot parse"),
        ("crontab", "c.cron", b"\xff\xfe0 0 * * * x\n", "not utf-8-sig text"),
        ("enos-v2", "v2.json", b'{"status": 62102, "msg": "graph not found", "data": null}', "status 62102"),
    ],
)
def test_malformed_exports_exit_1_with_the_file_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      profile: str, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, _, err = plan(tmp_path, capsys, profile, path)
    assert code == 1 and message in err and str(path) in err and "Traceback" not in err


def test_an_unknown_profile_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(tmp_path, capsys, "cronjob", tmp_path)
    assert code == 1 and "'cronjob' is not one of" in err


def test_plan_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "jobs.cron"
    path.write_text("0 0 1,15 * 5 /bin/pay\n*/5 * * * * /bin/poll\n", encoding="utf-8")
    plan(tmp_path, capsys, "crontab", path)
    assert main(["plan", str(tmp_path / "crontab-plan.toml"), "--markdown", "--offline"]) == 5
    out = capsys.readouterr().out
    assert "| 2 | 1 | 0 | 1 | 1 |" in out and "| DOM_OR_DOW | 1 |" in out
    # A review reads what each warning says, not its code alone (the table gave "warnings: HOST_TIMEZONE")
    poll = next(line for line in out.splitlines() if line.startswith("| valid | poll"))
    assert "HOST_TIMEZONE: no CRON_TZ above the job" in poll, poll


# -- flows without ids, end to end -----------------------------------------------------------

def crontab_run(tmp_path: Path, lines: str, run: str = "", state: dict[str, Any] | None = None) -> Path:
    (tmp_path / "jobs.cron").write_text(lines, encoding="utf-8")
    (tmp_path / "state.json").write_text(json.dumps(state or base_state(flows=0)), encoding="utf-8")
    return profile_run_config(tmp_path / "run.toml", "crontab", "jobs.cron", source_lines='options = { user = "alice" }',
                              run=run)


def run_json(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, Any]]:
    code = main(["run", str(config), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_missing_flows_are_created_then_found_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = crontab_run(tmp_path, "0 2 * * * /bin/backup\n30 3 * * 6 /bin/weekly\n", "create_missing = true")
    code, first = run_json(capsys, config)
    assert code == 0 and first["by_status"] == {"created": 2}
    assert first["emulator"]["requests_by_action"] == {"getMyFlow": 1, "listWorkFlowDirs": 1, "import": 2,
                                                       "get": 2, "save": 2}
    code, second = run_json(capsys, config)  # found by name now: saved, with the live task ids
    assert code == 0 and second["by_status"] == {"saved": 2}
    assert "import" not in second["emulator"]["requests_by_action"]
    lines = list(read_log(Path(second["result_log"])))
    # named after the program and a digest of the key (user and command), never the line
    assert {line["name"] for line in lines} == {job_name(command, job_key("alice", command, 1))
                                                for command in ("/bin/backup", "/bin/weekly")}
    assert all(line["flow_id"] and line["flow_id"] != "0" for line in lines)


def test_without_create_missing_an_unknown_name_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, crontab_run(tmp_path, "0 2 * * * /bin/backup\n"))
    lines = list(read_log(Path(report["result_log"])))
    assert code == 2 and lines[0]["status"] == "failed" and lines[0]["msg"].startswith("NOT_FOUND")
    assert "save" not in report["emulator"]["requests_by_action"]


def _hand_over(state: Path, flow_id: str, owners: list[str] | None, **graph: str) -> None:
    """Someone in the service gives the flow to other owners (None: deletes it), behind migrate's
    back; `graph`: other fields changed too (its name, its desc)."""
    with sqlite3.connect(state) as db:
        if owners is None:
            db.execute("DELETE FROM state WHERE key = ?", (f"flow:{flow_id}",))
            return
        [(value,)] = db.execute("SELECT value FROM state WHERE key = ?", (f"flow:{flow_id}",)).fetchall()
        flow = json.loads(value)
        flow["owners"], flow["visitors"] = owners, []
        flow["graph"].update(owners=";".join(owners), visitors="", **graph)
        flow["name"] = graph.get("name", flow["name"])
        db.execute("UPDATE state SET value = ? WHERE key = ?", (json.dumps(flow), f"flow:{flow_id}"))


def test_a_flow_handed_over_to_others_is_not_made_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The caller neither owner nor visitor of the flow an earlier run made: the listing no longer
    shows it, and create_missing made the job again, a second flow running it. Now the earlier
    run's log names that flow, which is read: still there, so not made twice; deleted, made anew."""
    config = crontab_run(tmp_path, "0 2 * * * /bin/backup\n", "create_missing = true")
    code, first = run_json(capsys, config)
    assert code == 0 and first["by_status"] == {"created": 1}
    [made] = list(read_log(Path(first["result_log"])))
    _hand_over(tmp_path / "emulator.sqlite", made["flow_id"], ["bob"])

    code, out, err = run_cli(capsys, "plan", str(config), "--json")
    assert code == 5, err
    [planned] = json.loads(out)["actions"]
    assert planned["action"] == "invalid" and planned["errors"][0]["code"] == "MADE_BEFORE", planned
    assert f"left this job in flow {made['flow_id']}" in planned["errors"][0]["message"]
    assert "owners bob)" in planned["errors"][0]["message"] and made["run_id"] in planned["errors"][0]["message"]

    code, second = run_json(capsys, config)
    [line] = list(read_log(Path(second["result_log"])))
    assert code == 5 and line["status"] == "invalid" and line["code"] == "MADE_BEFORE", line  # as the plan says
    assert line["msg"].startswith("MADE_BEFORE: ") and planned["errors"][0]["message"] in line["msg"], line
    assert line["flow_id"] == planned["flow_id"] == made["flow_id"], (line, planned)  # the flow it names
    assert "import" not in second["emulator"]["requests_by_action"]

    # The same config under another name (a copy beside it) knows the flow too: by its marker
    renamed = config.with_name("nightly.toml")
    renamed.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(renamed), "--json")
    assert code == 5 and json.loads(out)["actions"][0]["errors"][0]["code"] == "MADE_BEFORE", out

    # Another flow holds that id now (another source's marker and name): not this job's, which is made
    _hand_over(tmp_path / "emulator.sqlite", made["flow_id"], ["bob"], name="other_job",
               desc="[migrate:other/0123456789abcdef]")
    code, out, err = run_cli(capsys, "plan", str(config), "--json")
    assert code == 3 and json.loads(out)["actions"][0]["action"] == "create", out

    _hand_over(tmp_path / "emulator.sqlite", made["flow_id"], None)  # deleted: the job is made anew
    code, third = run_json(capsys, config)
    assert code == 0 and third["by_status"] == {"created": 1}, third


def _made_by_hand(state: Path, flow_id: str, cmd: str) -> None:
    """The flow as a colleague made it by hand before the migration: the job's name and task, no
    marker of ours, and its task running `cmd`."""
    with sqlite3.connect(state) as db:
        [(value,)] = db.execute("SELECT value FROM state WHERE key = ?", (f"flow:{flow_id}",)).fetchall()
        flow = json.loads(value)
        flow["graph"].update(desc="made by hand", active=0)
        flow["active"] = 0
        for task in flow["task_details"].values():
            task["cmd"] = cmd
        db.execute("UPDATE state SET value = ? WHERE key = ?", (json.dumps(flow), f"flow:{flow_id}"))


@pytest.mark.parametrize("compare", ["none", "log"])
def test_a_hand_made_flow_of_the_jobs_name_running_another_command_is_not_taken_over(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], compare: str) -> None:
    """A run that reads no flow (compare none, the default, or log) took over a flow of the job's
    name made by hand, whose task runs another command (which a save cannot change), and switched
    it on: the colleague's command then ran on the export's schedule, the plan alone saying
    TASK_BODY_DIFFERS. A flow taken over without a marker is read once (Export Flow) first."""
    config = crontab_run(tmp_path, "0 2 * * * /bin/backup\n", f'create_missing = true\ncompare = "{compare}"')
    code, first = run_json(capsys, config)
    assert code == 0 and first["by_status"] == {"created": 1}, first
    [made] = list(read_log(Path(first["result_log"])))
    for log in (tmp_path / "results").glob("*.jsonl"):
        log.unlink()  # a results folder that never saw it: the flow is known by its name alone
    _made_by_hand(tmp_path / "emulator.sqlite", made["flow_id"], "echo ping")

    code, out, _ = run_cli(capsys, "plan", str(config), "--json")
    [planned] = json.loads(out)["actions"]
    assert code == 5 and planned["errors"][0]["code"] == "TASK_BODY_DIFFERS", planned
    code, second = run_json(capsys, config)
    [line] = list(read_log(Path(second["result_log"])))
    assert code == 5 and line["status"] == "invalid" and line["code"] == "TASK_BODY_DIFFERS", line
    assert line["flow_id"] == made["flow_id"] and "backup_75631b" in line["msg"], line
    assert "save" not in second["emulator"]["requests_by_action"], second  # never switched on
    assert second["emulator"]["requests_by_action"].get("export") == 1, second

    _made_by_hand(tmp_path / "emulator.sqlite", made["flow_id"], "/bin/backup")  # the same command: taken over
    code, third = run_json(capsys, config)
    assert code == 0 and third["by_status"] == {"saved": 1}, third
    code, fourth = run_json(capsys, config)  # its marker now: found by it, not read again
    assert code == 0 and "export" not in fourth["emulator"]["requests_by_action"], fourth


def test_a_live_flow_with_other_tasks_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = base_state(flows=0)
    state["flows"] = [{"flow_id": 4000, "name": job_name("/bin/backup", job_key("alice", "/bin/backup", 1)), "owners": ["alice"], "org_id": "o1"}]
    code, report = run_json(capsys, crontab_run(tmp_path, "0 2 * * * /bin/backup\n", state=state))
    lines = list(read_log(Path(report["result_log"])))
    assert code == 5 and lines[0]["status"] == "invalid" and lines[0]["code"] == "TASKS_DIFFER", lines
    assert lines[0]["flow_id"] == "4000" and lines[0]["msg"].startswith("TASKS_DIFFER: "), lines
    assert "save" not in report["emulator"]["requests_by_action"]


@pytest.mark.parametrize(("name", "secret"), [
    *((name, True) for name in ("db_password", "apiKey", "dbpassword", "esKeystorePassword", "api.key", "GH_TOKEN",
                                "github_pat", "Authorization", "SLACK_WEBHOOK", "ｐａｓｓｗｏｒｄ", "mot_de_passe",
                                "geheim", "contraseña", "密码", "トークン", "암호", "AWS_SECRET_ACCESS_KEY",
                                "CLIENTSECRET", "ACCESSTOKEN", "APITOKEN", "AUTHTOKEN", "DBPASS", "SSHPASS",
                                "DB_PWD", "pwd")),  # a lower-case pwd is a parameter's, not the shell's PWD
    # words that merely contain one (they were named secrets, and a reader learns to skip the warning)
    *((name, False) for name in ("keyspace", "KEYBOARD", "MONKEY", "turkey", "TOKENIZER", "tokens_per_batch",
                                 "SECRETARY", "PASSAGE", "BYPASS_CACHE", "passenger", "passport_no", "primary_keys",
                                 "PATH", "PATTERN", "author", "region", "PWD", "BYPASS", "COMPASS_URL")),
])
def test_a_secret_looking_name_is_one_whose_words_say_so(name: str, secret: bool) -> None:
    from migrate.sources.profiles import SECRET_NAME

    assert SECRET_NAME.search(name) is secret


@pytest.mark.parametrize(("value", "secret"), [
    ("postgres://etl:s3cret@db.internal:5432/prod", True),
    ("redis://:s3cret@cache:6379/0", True),  # a password and no user
    ("mysql+pymysql://app:p%40ss@db/app", True),
    ("https://user:token123@git.example.com/repo.git", True),
    ("postgres://etl@db.internal/prod", False),  # a user, no password
    ("postgres://etl:${DB_PASSWORD}@db/prod", False),  # where the password is, not the password
    ("jdbc:mysql://db:3306/app", False),  # a port, not a password
    ("https://example.com/a:b@c", False),  # past the host: a path
    ("plain text: with @ and //", False),
    ("jdbc:postgresql://db/prod?user=etl&password=hunter3", True),  # in the query
    ("https://api.example.com/v1?api_key=abc123&x=1", True),
    ("jdbc:postgresql://db/prod?user=etl&password=${PGPASS}", False),
    ("jdbc:postgresql://db/prod?user=etl&password=", False),
    ("https://example.com/search?q=password", False),  # the word as a value, not a key
    ("https://hooks.example.com/x?client_secret=CS1", True),  # a query key named as a secret, as a name is
    ("https://x.example.com/a?x=1&api-key=abc", True),
    ("https://x.example.com/a?access_key=AKIA1&sort=name", True),
    ("https://x.example.com/a?page=2&sort=name", False),
])
def test_a_url_with_a_password_in_it_is_a_secret_whatever_its_name(value: str, secret: bool) -> None:
    from migrate.sources.profiles import SECRET_NAME

    assert SECRET_NAME.held("DATABASE_URL", value) is secret


def test_a_crontab_environment_url_with_a_password_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crontab = tmp_path / "jobs.cron"
    crontab.write_text("DATABASE_URL=postgres://etl:s3cret@db/prod\nREPORT_URL=https://reports.example/daily\n"
                       "0 2 * * * /bin/backup\n", encoding="utf-8")
    config = tmp_path / "crontab.toml"
    config.write_text("\n".join([
        "[source]", f'path = "{crontab}"', 'profile = "crontab"', 'options = { user = "alice" }',
        "[defaults]", "type = 1", "alertMode = 0", 'doAs = "db"', 'visitors = ""', 'owners = "alice"',
        'startTime = "2026-12-01"',
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', 'timezone = "UTC"',
        ""]), encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--json", "--offline")
    assert code == 3, err  # a flow to save
    [action] = json.loads(out)["actions"]
    said = {w["code"]: w["message"] for w in action["warnings"]}
    assert said["ENVIRONMENT_SECRET"].startswith("DATABASE_URL look"), said  # REPORT_URL is not named
    assert "s3cret" not in said["ENVIRONMENT_SECRET"]


def test_a_secret_parameter_that_changes_is_shown_without_its_value(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A password in the export's environment changed: the plan's table, JSON and Markdown printed
    `parameters: [["DB_PASSWORD", "hunter2"]] -> …` on the screen and into CI logs, though the
    same plan warned that the name looks like a secret (found by a new user). The key is shown,
    the value withheld; the flow is saved with it, as the export says."""
    config = crontab_run(tmp_path, "DB_PASSWORD=hunter2\nREGION=eu\n0 2 * * * /bin/backup\n", "create_missing = true")
    code, first = run_json(capsys, config)
    assert code == 0 and first["by_status"] == {"created": 1}, first
    (tmp_path / "jobs.cron").write_text("DB_PASSWORD=swordfish\nREGION=us\n0 2 * * * /bin/backup\n", encoding="utf-8")
    for shown in ("--json", "--markdown", None):
        code, out, err = run_cli(capsys, "plan", str(config), *([shown] if shown else []))
        assert code == 3 and "REGION" in out and "DB_PASSWORD" in out, out + err
        assert "hunter2" not in out + err and "swordfish" not in out + err, out
        assert "not shown: looks like a secret" in out, out
        if shown == "--json":  # why it is an update, without the value (a table wraps the words)
            assert "not shown: looks like a secret; changed" in out, out
    code, second = run_json(capsys, config)
    assert code == 0 and second["by_status"] == {"saved": 1}, second
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        [(value,)] = db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'").fetchall()
    assert json.loads(json.loads(value)["graph"]["parameters"]) == [{"key": "DB_PASSWORD", "value": "swordfish"},
                                                                    {"key": "REGION", "value": "us"}]
    # a runbook's plan, its title (what the command line asks) included
    for shown in ("--json", None):
        code, out, err = run_cli(capsys, "edit", "--config", str(config), "--name-regex", ".",
                                 "--add-parameter", "API_TOKEN=tok-0451", "--add-parameter", "TIER=gold",
                                 *([shown] if shown else []))
        assert code == 3 and "API_TOKEN" in out and "gold" in out and "tok-0451" not in out + err, out + err


def test_a_crontab_job_whose_command_holds_a_secret_is_named_without_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crontab job's source key is its user and command: `PGPASSWORD=… pg_dump`, `sqlplus
    scott/…@orcl` put the password into every plan (`source_key`), result line and the flow's
    description, though SECRET_IN_COMMAND said it was withheld (found by a reviewer). They show it
    withheld; the identity marker is still made of the whole key, so the flow stays the job's."""
    from migrate.mapping.identity import key_digest

    command = "PGPASSWORD=s3cretpw9 pg_dump prod"
    config = crontab_run(tmp_path, f"0 2 * * * {command}\n", "create_missing = true")
    code, out, err = run_cli(capsys, "plan", str(config), "--json")
    assert code == 3 and "s3cretpw9" not in out + err, out
    [planned] = json.loads(out)["actions"]
    assert planned["source_key"] == "alice:PGPASSWORD=[not shown] pg_dump prod", planned
    code, report = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"created": 1}, report
    assert "s3cretpw9" not in Path(report["result_log"]).read_text(encoding="utf-8")
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        [(value,)] = db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'").fetchall()
    flow = json.loads(value)
    assert "s3cretpw9" not in flow["graph"]["desc"] and "s3cretpw9" in json.dumps(flow["task_details"])
    assert f"[migrate:crontab/{key_digest('crontab', job_key('alice', command, 1))}]" in flow["graph"]["desc"]
    code, report = run_json(capsys, config)  # the same job again: its flow, found by marker and name
    assert code == 0 and report["by_status"] == {"saved": 1}, report
    # a flow an earlier version saved with the line whole in its description: the plan's change of it
    # shows the old description withheld too (found by a reviewer of the nightly runs)
    flow["graph"]["desc"] = flow["graph"]["desc"].replace("[not shown]", "s3cretpw9")
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        db.execute("UPDATE state SET value = ? WHERE key LIKE 'flow:%'", (json.dumps(flow),))
    code, out, err = run_cli(capsys, "plan", str(config), "--json")
    assert code == 3 and '"field": "desc"' in out and "s3cretpw9" not in out + err, out
