"""Mapping rows to Save Flow payloads: pure rules, no I/O."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrate.config import Settings
from migrate.mapping.flows import InvalidFlow, ValidFlow, names_list, parameters_json, plan_flows
from migrate.mapping.identity import marker
from migrate.sources.readers import SourceRow
from tests.conftest import PROFILE_DEFAULTS, run_cli


def settings(**mapping: Any) -> Settings:
    return Settings.model_validate({
        "source": {"path": "x.csv"},
        "mapping": mapping,
        "defaults": {"type": 1, "alertMode": 0, "doAs": "db", "visitors": "", "startTime": "2026-12-01",
                     "active": 0, "owners": "alice"},
        "target": {"url": "http://127.0.0.1:1", "user_id": "u", "org_id": "o"},
    })


def rows(*cells: dict[str, str]) -> list[SourceRow]:
    return [SourceRow(i, c) for i, c in enumerate(cells, 1)]


FIELDS = {"id": "id", "name": "name", "freq": "freq"}


def test_names_lists_are_normalised() -> None:
    assert names_list(";a; b,c a;;") == "a;b;c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []), ("env=prod; team = grid", [{"key": "env", "value": "prod"}, {"key": "team", "value": "grid"}]),
        ('{"env": "prod"}', [{"key": "env", "value": "prod"}]),
        ('[{"key": "a", "value": "b=c"}]', [{"key": "a", "value": "b=c"}]),
        ("url=http://x/?a=b", [{"key": "url", "value": "http://x/?a=b"}]),
    ],
)
def test_parameters(text: str, expected: list[dict[str, str]]) -> None:
    assert json.loads(parameters_json(text)) == expected


@given(st.dictionaries(st.text("abcxyz_", min_size=1), st.text("abc123 -_/", max_size=8), max_size=5))
def test_parameters_from_pairs_round_trip(pairs: dict[str, str]) -> None:
    text = ";".join(f"{k}={v}" for k, v in pairs.items())
    assert {p["key"]: p["value"] for p in json.loads(parameters_json(text))} == {
        k: v.strip() for k, v in pairs.items()}


def test_a_parameter_given_twice_is_kept_once_or_refused_when_its_values_differ() -> None:
    """`a=1;a=2` was sent as two parameters of one key, which the service keeps one of, no one
    says which: now the flow is refused, PARAM_REPEATED, naming both values. The same pair twice
    (a spreadsheet's copy) is one parameter."""
    assert json.loads(parameters_json("a=1;b=x;a=1")) == [{"key": "a", "value": "1"}, {"key": "b", "value": "x"}]
    assert json.loads(parameters_json('[{"key": "a", "value": "1"}, {"key": "a", "value": "1"}]')) == [
        {"key": "a", "value": "1"}]
    s = settings(fields={**FIELDS, "parameters": "params"})
    assert json.loads(parameters_json('{"a": "1", "a": "1"}')) == [{"key": "a", "value": "1"}]
    for written in ("a=1;a=2;b=x", '[{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]',
                    '{"a": "1", "a": "2"}',  # a JSON object: json kept the last, without a word
                    '{"a": true, "a": 1}', '[{"key": "a", "value": 1}, {"key": "a", "value": 1.0}]'):  # equal in Python
        [flow] = plan_flows(rows({"id": "7", "name": "n", "freq": "0 0 2 * * ? *", "params": written}), s)
        assert isinstance(flow, InvalidFlow), flow
        [error] = flow.errors
        assert error.code == "PARAM_REPEATED" and error.field == "parameters"
        assert "parameter 'a' is given twice, as " in error.message


def test_a_row_becomes_a_payload_with_templates_maps_and_derived_cycle() -> None:
    s = settings(fields={**FIELDS, "desc": {"template": "from {team}/{name}"},
                         "active": {"column": "state", "map": {"Running": 1, "paused": 0}}})
    [flow] = plan_flows(rows({"id": "0042", "name": "n", "freq": "0 30 2 ? * mon-fri", "team": "grid",
                              "state": "RUNNING"}), s)
    assert isinstance(flow, ValidFlow)
    wire = flow.payload.wire()
    assert (wire["id"], wire["freq"], wire["cycle"], wire["desc"], wire["active"]) == (
        "42", "0 30 2 ? * 2-6 *", "W", f"from grid/n {marker('tabular', str(flow.identity))}", 1)
    assert flow.identity in ("42", "0042")  # no flow_key: a row's identity is its id, not its row number


def test_one_row_per_task_builds_tasks_relations_and_layout() -> None:
    s = settings(fields=FIELDS, flow_key=["id"],
                 tasks={"task_id": "task", "task_name": "task_name", "upstream": "up"})
    data = rows(
        {"id": "7", "name": "n", "freq": "0 0 * * * ? *", "task": "1", "task_name": "extract", "up": ""},
        {"id": "8", "name": "m", "freq": "0 0 * * * ? *", "task": "9", "task_name": "", "up": ""},
        {"id": "7", "name": "n", "freq": "0 0 * * * ? *", "task": "2", "task_name": "load", "up": "1"},
        {"id": "7", "name": "n", "freq": "0 0 * * * ? *", "task": "3", "task_name": "report", "up": "1;2"},
    )
    first, second = plan_flows(data, s)
    assert isinstance(first, ValidFlow) and isinstance(second, ValidFlow)
    assert first.rows == [1, 3, 4] and second.rows == [2]
    wire = first.payload.wire()
    assert [t["nodeId"] for t in wire["tasks"]] == ["t_1", "t_2", "t_3"]
    assert {(r["source"], r["target"], r["cycleGap"]) for r in wire["relations"]} == {
        ("t_1", "t_2", "H0"), ("t_1", "t_3", "H0"), ("t_2", "t_3", "H0")}
    xs = [t["x"] for t in wire["tasks"]]
    assert xs[0] < xs[1] < xs[2] and all(0 < t["x"] < 1 and 0 < t["y"] < 1 for t in wire["tasks"])


def test_invalid_rows_carry_every_error_with_row_field_and_value() -> None:
    s = settings(fields={**FIELDS, "alertMode": {"column": "alert", "map": {"email": 1}}, "startTime": "start"})
    [flow] = plan_flows(rows({"id": "x1", "name": "", "freq": "0 0 0 * * *", "alert": "loud", "start": "2024-02-30"}), s)
    assert isinstance(flow, InvalidFlow) and flow.rows == [1]
    found = {e.field: e for e in flow.errors}
    assert set(found) == {"id", "name", "freq", "alertMode", "startTime"}
    assert found["alertMode"].value == '"loud"' and "mapped values" in found["alertMode"].message
    assert found["startTime"].value == '"2024-02-30"'


def test_a_cycle_in_the_tasks_makes_the_flow_invalid() -> None:
    s = settings(fields=FIELDS, flow_key=["id"], tasks={"task_id": "task", "upstream": "up"})
    data = rows({"id": "7", "name": "n", "freq": "0 0 0 * * ? *", "task": "1", "up": "2"},
                {"id": "7", "name": "n", "freq": "0 0 0 * * ? *", "task": "2", "up": "1"})
    [flow] = plan_flows(data, s)
    assert isinstance(flow, InvalidFlow)
    assert "cycle" in flow.errors[0].message


def test_the_same_target_twice_is_refused_the_second_time() -> None:
    s = settings(fields=FIELDS)
    first, second = plan_flows(rows({"id": "5", "name": "a", "freq": "0 0 0 * * ? *"},
                                    {"id": "5", "name": "b", "freq": "0 0 0 * * ? *"}), s)
    assert isinstance(first, ValidFlow)
    assert isinstance(second, InvalidFlow) and "comes from row 1" in second.errors[0].message


def test_tasks_from_a_json_column() -> None:
    s = settings(fields=FIELDS, tasks={"json_column": "tasks"})
    tasks = json.dumps([{"taskId": 11, "taskName": "a"}, {"taskId": "12", "taskName": "b", "upstream": [11],
                                                          "x": 0.5, "y": 0.25}])
    [flow] = plan_flows(rows({"id": "5", "name": "a", "freq": "0 0 0 * * ? *", "tasks": tasks}), s)
    assert isinstance(flow, ValidFlow)
    assert flow.payload.tasks[1].x == 0.5 and flow.payload.relations[0].source == "t_11"


def test_config_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    from migrate.config import load_settings

    (tmp_path / "c.toml").write_text('[source]\npath = "in/x.csv"\n[target]\nurl = "https://h"\n'
                                     'user_id = "u"\norg_id = "o"\n', encoding="utf-8")
    assert load_settings(tmp_path / "c.toml").source.path == (tmp_path / "in" / "x.csv").resolve()


def test_a_unix_schedule_is_converted_and_a_rejection_makes_the_row_invalid() -> None:
    s = settings(fields=FIELDS, schedule_dialect="unix")
    good, bad = plan_flows(rows({"id": "1", "name": "a", "freq": "30 2 * * 1-5"},
                                {"id": "2", "name": "b", "freq": "0 0 1,15 * 5"}), s)
    assert isinstance(good, ValidFlow) and (good.payload.freq, good.payload.cycle) == ("0 30 2 ? * 2-6 *", "W")
    assert isinstance(bad, InvalidFlow)
    assert bad.errors[0].field == "freq" and bad.errors[0].code == "DOM_OR_DOW"


def test_warnings_travel_with_the_flow_and_a_differing_mapped_cycle_is_flagged() -> None:
    s = settings(fields={**FIELDS, "cycle": {"const": "D"}}, schedule_dialect="unix")
    [flow] = plan_flows(rows({"id": "1", "name": "a", "freq": "*/7 * * * *"}), s)
    assert isinstance(flow, ValidFlow)
    assert {w["code"] for w in flow.warnings} == {"IRREGULAR_STEP", "CYCLE_DIFFERS"}


def test_an_interval_counts_from_the_start_column() -> None:
    s = settings(fields=FIELDS, schedule_dialect="airflow", schedule_start="start")
    [flow] = plan_flows(rows({"id": "1", "name": "a", "freq": "6:00:00", "start": "2024-05-01T01:20:00"}), s)
    assert isinstance(flow, ValidFlow) and flow.payload.freq == "0 20 1/6 * * ? *"


def test_opt_in_split_makes_two_flows() -> None:
    s = settings(fields=FIELDS, schedule_dialect="unix", split_id_column="id2")
    first, second = plan_flows(rows({"id": "1", "name": "a", "freq": "0 0 1,15 * 5", "id2": "9"}), s)
    assert isinstance(first, ValidFlow) and isinstance(second, ValidFlow)
    assert (first.payload.id, first.payload.freq) == ("1", "0 0 0 1,15 * ? *")
    assert (second.payload.id, second.payload.freq, second.payload.name) == ("9", "0 0 0 ? * 6 *", "a (weekdays)")


def test_a_split_shifted_into_the_services_zone_says_each_halfs_own_freq() -> None:
    s = settings(fields=FIELDS, schedule_dialect="unix", split_id_column="id2", source_timezone="Asia/Tokyo")
    s = s.model_copy(update={"target": s.target.model_copy(update={"timezone": "UTC"})})
    first, second = plan_flows(rows({"id": "1", "name": "a", "freq": "30 10 1 * 1", "id2": "9"}), s)
    assert isinstance(first, ValidFlow) and isinstance(second, ValidFlow), (first, second)
    assert (first.payload.freq, second.payload.freq) == ("0 30 1 1 * ? *", "0 30 1 ? * 2 *")
    shifts = [[w["to"] for w in flow.warnings if w["code"] == "TIMEZONE_SHIFTED"] for flow in (first, second)]
    assert shifts == [["0 30 1 1 * ? * (UTC)"], ["0 30 1 ? * 2 * (UTC)"]]
    assert all(any(w["code"] == "SPLIT" for w in flow.warnings) for flow in (first, second))


def test_opt_in_split_makes_two_flows_of_an_airflow_cron_string_too() -> None:
    """Airflow reads a DAG's cron string as croniter does (day fields ORed): the same opt-in split."""
    s = settings(fields=FIELDS, schedule_dialect="airflow", split_id_column="id2")
    first, second = plan_flows(rows({"id": "1", "name": "a", "freq": "0 0 1,15 * 5", "id2": "9"}), s)
    assert isinstance(first, ValidFlow) and isinstance(second, ValidFlow), (first, second)
    assert (first.payload.freq, second.payload.freq) == ("0 0 0 1,15 * ? *", "0 0 0 ? * 6 *")


@given(st.lists(st.text(min_size=1, max_size=6), max_size=300))
def test_seen_keys_behaves_like_a_dict(keys: list[str]) -> None:
    from migrate.mapping.seen import SeenKeys

    seen, reference = SeenKeys(capacity=4), {}
    for row, key in enumerate(keys, 1):
        assert seen.first_row(key, row) == reference.get(key)
        reference.setdefault(key, row)
    assert len(seen) == len(reference)


def test_a_parameters_cell_that_is_not_pairs_is_refused_with_the_whole_sentence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sql=select 1;select 2` is refused (`select 2` is no pair), and the message said so as
    "'select 2' is not key=[not shown]": "key=value)" read as a secret setting to the redaction of
    messages, which withheld the rest of the sentence. The message now reads whole."""
    (tmp_path / "jobs.csv").write_text("name,schedule,params\np_sql,0 4 * * *,sql=select 1;select 2\n",
                                       encoding="utf-8")
    config = tmp_path / "plan.toml"
    config.write_text("\n".join([
        "[source]", 'path = "jobs.csv"', "[mapping]", 'schedule_dialect = "unix"', "[mapping.fields]",
        'name = "name"', 'freq = "schedule"', 'parameters = "params"', *PROFILE_DEFAULTS,
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', ""]), encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 5, out
    assert "'select 2' is not name=value)" in out, out
    assert "not shown" not in out, out


def test_an_upstream_that_is_no_task_of_the_flow_is_refused_saying_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A sheet of one job a row whose `depends_on` names another job's id was refused with the
    graph's "relation t_1->t_2: source 't_1' is not a node", which did not say that the upstream
    is another flow: now UPSTREAM_NOT_IN_FLOW, naming both tasks; the job it waits on is still valid."""
    (tmp_path / "jobs.csv").write_text("job_id,name,schedule,depends_on\n1,load,0 2 * * *,\n2,build,0 3 * * *,1\n",
                                       encoding="utf-8")
    config = tmp_path / "plan.toml"
    config.write_text("\n".join([
        "[source]", 'path = "jobs.csv"', "[mapping]", 'schedule_dialect = "unix"', "[mapping.fields]",
        'name = "name"', 'freq = "schedule"', "[mapping.tasks]", 'task_id = "job_id"', 'upstream = "depends_on"',
        *PROFILE_DEFAULTS, "active = 1", "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"',
        'org_id = "o1"', ""]), encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", str(config), "--offline", "--json")
    assert code == 5, out
    by_name = {flow["name"]: flow for flow in json.loads(out)["actions"]}
    assert by_name["load"]["action"] == "valid", by_name
    [error] = by_name["build"]["errors"]
    assert error["code"] == "UPSTREAM_NOT_IN_FLOW", error
    assert error["message"].startswith("task 2 waits on task 1, which is not a task of this flow"), error


def test_not_before_holds_every_flow_to_the_cut_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """[defaults] startTime is a default: a start the source gives wins, and a Windows trigger's
    StartBoundary of years ago, or an Airflow DAG's next run tomorrow, started the flow then, while
    the old scheduler still ran the job (a reviewer's cut-over ignored). `[mapping] not_before`: no
    flow starts earlier (the proof compares from there); a later start of the source is kept."""
    cut_over = date.today() + timedelta(days=20)
    later = cut_over + timedelta(days=10)
    (tmp_path / "jobs.csv").write_text(
        f"name,schedule,start\nold,0 2 * * *,2015-03-01\nlater,0 2 * * *,{later}\n", encoding="utf-8")
    config = tmp_path / "plan.toml"

    def plan(not_before: str) -> dict[str, dict[str, Any]]:
        config.write_text("\n".join([
            "[source]", 'path = "jobs.csv"', "[mapping]", 'schedule_dialect = "unix"', not_before,
            "[mapping.fields]", 'name = "name"', 'freq = "schedule"', 'startTime = "start"',
            *PROFILE_DEFAULTS, "active = 1", "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"',
            'org_id = "o1"', 'timezone = "UTC"', ""]), encoding="utf-8")
        code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
        assert code == 3, out + err
        return {action["name"]: action for action in json.loads(out)["actions"]}

    before = plan("")
    assert before["old"]["proof"]["from"] == f"{date.today()}T00:00:00Z"  # the source's start, long past
    held = plan(f"not_before = {cut_over}")
    assert held["old"]["proof"]["from"] == f"{cut_over}T00:00:00Z", held["old"]
    assert held["later"]["proof"]["from"] == f"{later}T00:00:00Z", held["later"]
    assert held["old"]["proof"]["verdict"] == held["later"]["proof"]["verdict"] == "equivalent"
    assert not any(w["code"] in ("FIRST_DAY", "START_DATE_SHIFTED") for w in held["old"].get("warnings", []))


def test_a_run_once_before_the_cut_over_is_never_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A task run once, three days before the cut-over, was saved active, a flow that never fires,
    with nothing said: inactive, NEVER_RUNS (the old scheduler runs it)."""
    once = date.today() + timedelta(days=3)
    (tmp_path / "jobs.csv").write_text(f"name,schedule\nonce,0 0 10 {once.day} {once.month} ? {once.year}\n",
                                       encoding="utf-8")
    config = tmp_path / "plan.toml"
    config.write_text("\n".join([
        "[source]", 'path = "jobs.csv"', "[mapping]", f"not_before = {once + timedelta(days=7)}", "[mapping.fields]",
        'name = "name"', 'freq = "schedule"', *PROFILE_DEFAULTS, "active = 1", "[target]",
        'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', 'timezone = "UTC"', ""]),
        encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
    [action] = json.loads(out)["actions"]
    said = {warning["code"]: warning["message"] for warning in action.get("warnings", [])}
    assert code == 3 and "the source's runs all come before the cut-over" in said.get("NEVER_RUNS", ""), (said, err)


def test_a_run_once_before_the_default_start_moves_the_start_to_it(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A task run once, three days from now, with `[defaults] startTime` a week from now and no start
    of the source's: saved active from that start, it never fired, and nothing said so (a reviewer's
    Rundeck and table jobs). The flow starts on the run's day; with a cut-over after it, NEVER_RUNS."""
    once = date.today() + timedelta(days=3)
    (tmp_path / "jobs.csv").write_text(f"name,schedule\nonce,0 0 10 {once.day} {once.month} ? {once.year}\n",
                                       encoding="utf-8")
    config = tmp_path / "plan.toml"

    def plan(mapping: str) -> dict[str, Any]:
        config.write_text("\n".join([
            "[source]", 'path = "jobs.csv"', "[mapping]", mapping, "[mapping.fields]", 'name = "name"',
            'freq = "schedule"', *PROFILE_DEFAULTS[:-1], f'startTime = "{once + timedelta(days=7)}"', "active = 1",
            "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"',
            'timezone = "UTC"', ""]), encoding="utf-8")
        code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
        assert code == 3, out + err
        [action] = json.loads(out)["actions"]
        return action

    moved = plan("")
    said = {warning["code"]: warning for warning in moved.get("warnings", [])}
    assert said["START_DATE_SHIFTED"]["to"] == str(once), said
    assert moved["proof"]["verdict"] == "equivalent" and moved["proof"]["fires"] == 1, moved["proof"]
    held = plan(f"not_before = {once + timedelta(days=1)}")
    assert "NEVER_RUNS" in {w["code"] for w in held.get("warnings", [])}, held


@pytest.mark.parametrize(("written", "said"), [
    ("0", "not a day"), ("1796428800", "not a day"), ("2026-12-05T00:00:00-10:00", "(value 2026-12-05T00:00:00-10:00)"),
    ('"soon"', "not a day"), ("9999-12-31", "beyond the proofs' horizon")])
def test_not_before_is_a_day_and_nothing_else(tmp_path: Path, capsys: pytest.CaptureFixture[str], written: str,
                                              said: str) -> None:
    """A number was taken for seconds since 1970 (`0`: 1970-01-01), a date-time for its date (its
    offset dropped), a day past every proof's horizon compared nothing: refused, naming the key."""
    (tmp_path / "jobs.csv").write_text("name,schedule\njob,0 2 * * *\n", encoding="utf-8")
    config = tmp_path / "plan.toml"
    config.write_text("\n".join([
        "[source]", 'path = "jobs.csv"', "[mapping]", 'schedule_dialect = "unix"', f"not_before = {written}",
        "[mapping.fields]", 'name = "name"', 'freq = "schedule"', *PROFILE_DEFAULTS, "active = 1", "[target]",
        'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', ""]), encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", str(config), "--offline")
    assert code == 1 and "mapping" in err and "not_before" in err and said in err, err


def test_a_tables_secret_parameter_is_said_never_its_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/configuration.md: each profile warns of a parameter that holds a secret; a table's
    parameters column said nothing (a reviewer's `db_password=…;api_key=…`)."""
    (tmp_path / "jobs.csv").write_text("name,schedule,params\n"
                                       "load,0 2 * * *,db_password=Sup3rS3cretX;api_key=Abcdefgh12;region=eu\n"
                                       "plain,0 3 * * *,region=eu;keyspace=sales\n", encoding="utf-8")
    config = tmp_path / "plan.toml"
    config.write_text("\n".join([
        "[source]", 'path = "jobs.csv"', "[mapping]", 'schedule_dialect = "unix"', "[mapping.fields]",
        'name = "name"', 'freq = "schedule"', 'parameters = "params"', *PROFILE_DEFAULTS, "active = 1", "[target]",
        'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', ""]), encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", str(config), "--offline", "--json")
    by_name = {action["name"]: action for action in json.loads(out)["actions"]}
    said = {w["code"]: w["message"] for w in by_name["load"].get("warnings", [])}
    assert code == 3 and "db_password, api_key look like secrets" in said.get("SECRET_PARAMETER", ""), said
    assert "Sup3rS3cretX" not in out and "Abcdefgh12" not in out
    assert "SECRET_PARAMETER" not in json.dumps(by_name["plain"])
