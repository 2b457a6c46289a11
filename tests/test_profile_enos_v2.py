"""The enos-v2 profile on Get Flow answers of the v2.0 service (tests/fixtures/enos_v2/), and on files
that are not such an export at all: another scheduler's export is refused by name (exit 1), never
read as flows that lack every field."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, profile_run_config
from test_profiles import flows_of, plan

from migrate.cli import main
from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).parent / "fixtures"
ANSWERS = FIXTURES / "enos_v2" / "get-flow-answers.json"


def test_get_flow_answers_are_read_as_flows() -> None:
    rows = flows_of("enos-v2", ANSWERS)
    assert [(r["flow_id"], r["flow_name"], r["task_id"], r["upstream"]) for r in rows] == [
        ("3001", "ops_daily_load", "300101", ""), ("3001", "ops_daily_load", "300102", "300101"),
        ("3002", "ops_weekly", "", "")]
    assert all(r["__errors__"] == "" for r in rows)


NOT_ENOS = {
    "a DolphinScheduler export": (FIXTURES / "dolphinscheduler" / "dependent.json", "DolphinScheduler"),
    "an Airflow page": (FIXTURES / "airflow" / "rest-v1-page-1.json", "Airflow"),
}


@pytest.mark.parametrize("case", NOT_ENOS.values(), ids=NOT_ENOS.keys())
def test_another_schedulers_export_is_refused_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      case: tuple[Path, str]) -> None:
    path, other = case
    with pytest.raises(SourceError, match=r"this does not look like an EnOS v2\.0 flow export \(expected"):
        flows_of("enos-v2", path)
    code, _, err = plan(tmp_path, capsys, "enos-v2", path)  # named by sources/detect.py before the profile reads
    article = "an" if other == "Airflow" else "a"
    assert code == 1 and f"this looks like {article} {other.lower()} export, not enos-v2" in err and str(path) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("document", [[], {}, [{"name": "backup", "cron": "0 2 * * *"}], "text", [1, 2],
                                      {"status": 0, "msg": "Success", "data": {"list": []}}])
def test_json_that_holds_no_flow_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            document: Any) -> None:
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, _, err = plan(tmp_path, capsys, "enos-v2", path)
    assert code == 1 and "this does not look like an EnOS v2.0 flow export" in err and "Traceback" not in err


def test_one_entry_that_is_no_flow_fails_alone(tmp_path: Path) -> None:
    answers = json.loads(ANSWERS.read_text(encoding="utf-8"))
    path = tmp_path / "v2.json"
    path.write_text(json.dumps([answers[0], {"name": "stray"}]), encoding="utf-8")
    rows = flows_of("enos-v2", path)
    assert rows[0]["__errors__"] == "" and rows[-1]["flow"] == "entry 2"
    assert "entry 2 is not a Get Flow answer" in rows[-1]["__errors__"]


# -- what a v2.0 graph says, carried as it stands; Export Flow answers ----------------------------

GRAPHS = FIXTURES / "enos_v2" / "get-flow-graphs.json"
EXPORTED = FIXTURES / "enos_v2" / "export-flow-answer.json"


def saved_flows(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: Path,
                extra: str = "") -> dict[str, dict[str, Any]]:
    """`migrate run` of the export into an embedded emulator: the flows it stored, by name. The
    service already holds the flow the fixture's graph waits on (flow 4088, moved before)."""
    state = base_state(flows=0)
    state["flows"].append({"flow_id": 4088, "name": "meter_ingest", "owners": ["alice"], "org_id": "o1"})
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "enos-v2", source, target='timezone = "UTC"', extra=extra,
                                run="create_missing = true")
    main(["run", str(config), "--json"])
    capsys.readouterr()
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = [json.loads(value) for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    return {flow["name"]: flow for flow in stored}


def test_upstream_flow_nodes_and_each_relations_gap_are_carried(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    graph = saved_flows(tmp_path, capsys, GRAPHS)["grid_settlement"]["graph"]
    assert [(f["flowId"], f["nodeId"]) for f in graph["flows"]] == [("4088", "f_4088")]
    names = {t["nodeId"]: t["taskName"] for t in graph["tasks"]} | {"f_4088": "meter_ingest"}  # ids new on import
    assert sorted((names[r["source"]], names[r["target"]], r["cycleGap"], r["rerun"]) for r in graph["relations"]) \
        == [("meter_ingest", "pull_meters", "D0", True), ("pull_meters", "settle", "D1", False)]


def test_the_flows_do_as_and_visitors_are_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = saved_flows(tmp_path, capsys, GRAPHS)["grid_settlement"]["graph"]
    assert graph["doAs"] == "db_grid" and "bob" in graph["visitors"]


def test_a_manual_v2_flow_is_unscheduled_whatever_its_freq(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, "enos-v2", GRAPHS)
    assert code == 5 and inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1}
    assert "a v2.0 manual flow (type 0)" in json.dumps(inventory["invalid_flows"])
    code, inventory, _ = plan(tmp_path, capsys, "enos-v2", GRAPHS, extra='[mapping]\nunscheduled = "manual"')
    assert code == 3 and inventory["warnings_by_code"].get("MANUAL_FLOW") == 1


def test_an_export_flow_answer_is_read_by_name_with_its_commands() -> None:
    rows = flows_of("enos-v2", EXPORTED)
    assert [(r["flow"], r["task_id"], r["task_name"], r["command"], r["upstream"]) for r in rows] == [
        ("grid_report", "1", "extract", "sh /opt/grid/extract.sh", ""),
        ("grid_report", "2", "publish", "sh /opt/grid/publish.sh", "1")]
    assert rows[0]["schedule"] == "0 30 6 * * ? *" and rows[0]["active"] == "0" and rows[0]["__errors__"] == ""
    warnings = json.loads(rows[0]["__warnings__"])
    assert [w["code"] for w in warnings] == ["ACTIVE_UNKNOWN", "CROSS_FLOW_DEPENDENCY", "TASK_SETTINGS"]
    assert "extract wait on flow grid_settlement" in warnings[1]["message"]
    assert "task extract: timeout 600, retryLimit 2" in warnings[2]["message"]
    assert "publish" not in warnings[2]["message"]  # a plain command task has nothing to say


def test_the_flows_cycle_is_its_own_and_one_that_contradicts_its_freq_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A v2.0 flow's cycle and queue are carried: one coarser than its freq fires is kept (with
    CYCLE_DIFFERS), one finer is refused (CYCLE_CONTRADICTS_FREQ) and never said "kept"; none
    is replaced by the schedule's own without a word."""
    answers = json.loads(ANSWERS.read_text(encoding="utf-8"))
    base = answers[0]["data"]
    cases = {"hourly_in_cycle_d": ("0 0 * * * ? *", "D"), "daily_in_cycle_h": ("0 0 1 * * ? *", "H"),
             "daily_in_cycle_m": ("0 0 1 * * ? *", "M"), "daily_in_cycle_d": ("0 0 1 * * ? *", "D")}
    path = tmp_path / "v2.json"
    path.write_text(json.dumps([{"status": 0, "data": {**base, "flowId": 3100 + n, "flowName": name, "freq": freq,
                                                       "cycle": cycle, "queue": "q_night"}}
                                for n, (name, (freq, cycle)) in enumerate(cases.items())]), encoding="utf-8")
    code, inventory, _ = plan(tmp_path, capsys, "enos-v2", path)
    assert code == 5 and inventory["invalid_by_reason"] == {"CYCLE_CONTRADICTS_FREQ": 1}
    refused = {action["name"]: action for action in inventory["actions"] if action["action"] == "invalid"}
    assert set(refused) == {"daily_in_cycle_h"}
    assert not refused["daily_in_cycle_h"].get("warnings")  # refused: not "kept" beside it
    assert "CYCLE_DIFFERS" not in inventory["warnings_by_code"] or inventory["warnings_by_code"]["CYCLE_DIFFERS"] == 2
    valid = {action["name"]: action for action in inventory["actions"] if action["action"] != "invalid"}
    assert {name: action["cycle"] for name, action in valid.items()} == {
        "hourly_in_cycle_d": "D", "daily_in_cycle_m": "M", "daily_in_cycle_d": "D"}
    assert [w["code"] for w in valid["daily_in_cycle_m"]["warnings"]] == ["CYCLE_DIFFERS"]
    assert [w["code"] for w in valid["hourly_in_cycle_d"]["warnings"]] == ["CYCLE_DIFFERS"]
    assert not valid["daily_in_cycle_d"].get("warnings")
    stored = saved_flows(tmp_path, capsys, path)["daily_in_cycle_m"]
    assert (stored["graph"]["queue"], stored["graph"]["cycle"]) == ("q_night", "M"), stored


METER_INGEST = {"flow_id": 4088, "name": "meter_ingest", "owners": ["alice"], "org_id": "o1"}  # grid_settlement's upstream


def graphs_service(tmp_path: Path, upstream: dict[str, Any] | None = METER_INGEST, name: str = "run",
                   mapping: str = "", run: str = "create_missing = true") -> Path:
    """The config of a run of GRAPHS (manual flows saved as such) into an embedded emulator kept in
    tmp_path, which holds `upstream` (the flow grid_settlement waits on) if given."""
    state = tmp_path / "state.json"
    if not state.exists():
        state.write_text(json.dumps(base_state(flows=0) | {"flows": [upstream] if upstream else []}),
                         encoding="utf-8")
    return profile_run_config(tmp_path / f"{name}.toml", "enos-v2", GRAPHS, target='timezone = "UTC"',
                              extra=f'[mapping]\nunscheduled = "manual"\n{mapping}', run=run)


@pytest.mark.parametrize(("upstream", "code"), [
    ({"flow_id": 4088, "name": "meter_ingest", "owners": ["eve"], "org_id": "o2"}, "UPSTREAM_NOT_VISIBLE"),
    (None, "UPSTREAM_MISSING"),
    ({"flow_id": 4088, "name": "meter_ingest", "owners": ["bob"], "org_id": "o1"}, None),
], ids=["another organisation's", "not there", "the organisation's, not the caller's"])
def test_a_flow_waiting_on_a_flow_the_save_would_be_refused_over_is_refused_by_the_plan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], upstream: dict[str, Any] | None, code: str | None) -> None:
    """grid_settlement waits on flow 4088. The live plan reads that flow (it is not in the
    caller's listing): another organisation's (Get answers 62103) or not there (62102) makes the
    save fail at the service, so the plan refuses it now, naming the flow; a flow of the
    organisation that the caller does not own is readable: nothing to say."""
    config = graphs_service(tmp_path, upstream)
    main(["plan", str(config), "--json"])
    inventory = json.loads(capsys.readouterr().out)
    action = next(a for a in inventory["actions"] if a["name"] == "grid_settlement")
    if code is None:
        assert action["action"] == "create" and not action.get("errors"), action
        return
    assert action["action"] == "invalid" and [e["code"] for e in action["errors"]] == [code], action
    assert "it waits on flow 4088" in action["errors"][0]["message"]
    assert inventory["exit_code"] == 5 and inventory["by_action"]["invalid"] == 1
    assert inventory["invalid_by_reason"].get(code) == 1, inventory["invalid_by_reason"]  # counted by reason too


@pytest.mark.parametrize("compare", ["none", "remote"])
def test_flows_a_run_created_are_saved_again_by_the_next_run_and_planned_unchanged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], compare: str) -> None:
    """A v2.0 export carries its flows' and tasks' ids. The first run creates the flows the service
    lacks (Import asks for the flow's id, but makes new tasks); the next run saves them again
    (its tasks matched by name to the service's own: it failed every night, 62102 'task does not
    exist'), and the plan between them says unchanged (it said `update tasks`)."""
    config = graphs_service(tmp_path, run=f'create_missing = true\ncompare = "{compare}"')
    assert main(["run", str(config), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert set(first["by_status"]) == {"created"}, first
    assert main(["plan", str(config), "--json"]) == 0, capsys.readouterr()
    capsys.readouterr()
    assert main(["run", str(config), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert set(second["by_status"]) <= {"saved", "unchanged"}, second


def test_a_flow_whose_save_the_service_refuses_after_its_import_is_not_left_half_made(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`run` (no plan first) of grid_settlement, which waits on another organisation's flow 4088:
    Import makes it, then its save is refused (62103). The flow Import made is deleted again:
    the service holds nothing of it (it held an inactive flow without its dependency), and its
    line says so."""
    config = graphs_service(tmp_path, {**METER_INGEST, "owners": ["eve"], "org_id": "o2"})
    assert main(["run", str(config), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    [line] = [json.loads(text) for text in Path(report["result_log"]).read_text(encoding="utf-8").splitlines()
              if json.loads(text)["status"] == "failed"]
    assert line["name"] == "grid_settlement" and "then its save: " in line["msg"], line
    assert line["msg"].endswith("the flow Import made was deleted again: nothing of it is left"), line
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        names = [json.loads(value)["name"] for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    assert "grid_settlement" not in names and "meter_ingest" in names, names


def test_a_flow_given_by_id_that_another_source_migrated_is_said(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Two sources that give one flow id (this export, and the same flows under another identity
    scope): the plan of the second says each flow it would save carries the other's marker
    (ANOTHER_SOURCES_FLOW): a nightly run of each would put its own back."""
    config = graphs_service(tmp_path)
    assert main(["run", str(config), "--json"]) == 0
    capsys.readouterr()
    assert main(["plan", str(config), "--json"]) == 0  # its own flows: nothing said
    assert "ANOTHER_SOURCES_FLOW" not in capsys.readouterr().out
    other = graphs_service(tmp_path, name="other", mapping='identity_scope = "legacy"')
    main(["plan", str(other), "--json"])
    plan = json.loads(capsys.readouterr().out)
    said = [a for a in plan["actions"] if any(w["code"] == "ANOTHER_SOURCES_FLOW" for w in a.get("warnings") or [])]
    assert said and len(said) == plan["flows_found"], plan["actions"]
    assert "[migrate:enos-v2/" in said[0]["warnings"][-1]["message"], said[0]
    assert plan["warnings_by_code"]["ANOTHER_SOURCES_FLOW"] == len(said)
