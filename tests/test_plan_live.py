"""`migrate plan` against the live service, through the CLI against the embedded emulator: one
action a flow, the fields that differ, exit codes 0 / 3 / 5, the owners trap, a plan file."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, export_rows, write_config, write_export

from migrate.cli import main
from migrate.emulator.config import load_emulator_config
from migrate.emulator.models import BatchService
from migrate.emulator.store import Store
from migrate.results.log import read_log


def setup(tmp_path: Path, rows: list[dict[str, str]] | None = None, mapping: str = "",
          run: dict[str, Any] | None = None) -> Path:
    config = write_config(tmp_path, state=base_state(flows=3, tasks_per_flow=1), rows=rows or export_rows(3),
                          run=run)
    text = config.read_text().replace("[target]", "[target]\nemulator_state = \"emulator.sqlite\"")
    if mapping:
        text = text.replace("[mapping.fields]", f"[mapping]\n{mapping}\n\n[mapping.fields]")
    config.write_text(text)
    return config


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if "--json" in argv else out


def hand_edit(tmp_path: Path, flow_id: int, **changes: Any) -> None:
    """Someone saves a flow by hand (Save Flow, as alice), between two plans."""
    service = BatchService(load_emulator_config(tmp_path / "state.json"), Store(tmp_path / "emulator.sqlite"))
    graph = json.loads(service.get_flow("u1", "o1", flow_id)["graph"])
    graph.pop("creator", None)
    service.save_flow("u1", "o1", {**graph, **changes})


def test_plan_right_after_a_run_is_all_unchanged_and_exits_0(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path)
    code, planned = cli(capsys, "plan", str(config), "--json")
    assert code == 3 and planned["by_action"] == {"update": 3}  # the seeded flows fire at midnight, not at 2
    assert all({"field": "freq", "live": "0 0 0 * * ? *", "wanted": "0 0 2 * * ? *",  # Quartz, and in words
                "live_words": "At 00:00, every day", "wanted_words": "At 02:00, every day"} in a["changes"]
               for a in planned["actions"])
    assert all(a["freq_words"] == "At 02:00, every day" for a in planned["actions"])
    assert cli(capsys, "run", str(config), "--json")[0] == 0
    code, planned = cli(capsys, "plan", str(config), "--json")
    assert code == 0 and planned["by_action"] == {"unchanged": 3}
    assert planned["reads"] == {"getMyFlow": 1, "get": 3}  # one listing, one read a flow: no other flow is ours


def test_a_hand_made_change_is_an_update_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path)
    assert cli(capsys, "run", str(config), "--json")[0] == 0
    hand_edit(tmp_path, 1002, freq="0 15 5 * * ? *")
    code, planned = cli(capsys, "plan", str(config), "--json")
    actions = {a["flow_id"]: a for a in planned["actions"]}
    assert code == 3 and planned["by_action"] == {"update": 1, "unchanged": 2}
    assert actions["1002"]["changes"] == [{"field": "freq", "live": "0 15 5 * * ? *", "wanted": "0 0 2 * * ? *",
                                           "live_words": "At 05:15, every day", "wanted_words": "At 02:00, every day"}]
    assert actions["1002"]["freq"] == "0 0 2 * * ? *" and actions["1002"]["cycle"] == "D"
    code, table = cli(capsys, "plan", str(config))  # the terminal table says the same
    assert code == 3 and "update" in table
    assert '"0 15 5 * * ? *" (At 05:15, every day) -> "0 0 2 * * ? *" (At 02:00, every day)' in table
    assert "3 flows found: unchanged 2, update 1" in table


def test_plan_out_keeps_each_live_flows_fingerprint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path)
    code, _ = cli(capsys, "plan", str(config), "--out", str(tmp_path / "plan.json"))
    saved = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert code == 3 and saved["format"] == 1 and len(saved["actions"]) == 3
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o600  # its payloads: the owner's alone
    first = saved["actions"][0]
    assert first["action"] == "update" and first["fingerprint"]["updateTime"]
    assert len(first["fingerprint"]["graph_sha256"]) == 64 and len(first["payload_sha256"]) == 64
    hand_edit(tmp_path, int(first["flow_id"]), desc="edited by hand")
    cli(capsys, "plan", str(config), "--out", str(tmp_path / "again.json"))
    again = {a["flow_id"]: a for a in json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))["actions"]}
    assert again[first["flow_id"]]["fingerprint"] != first["fingerprint"]  # the live flow moved since


def test_owners_that_leave_out_the_caller_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{**row, "owners": "bob"} for row in export_rows(2)]
    config = setup(tmp_path, rows)
    code, planned = cli(capsys, "plan", str(config), "--json")
    assert code == 5 and planned["invalid_by_reason"] == {"CALLER_NOT_OWNER": 2}
    assert "'alice'" in planned["invalid_flows"][0]["errors"][0]["message"]
    code, table = cli(capsys, "plan", str(config))  # the table keeps square brackets (no rich markup)
    assert code == 5 and "set [mapping] add_caller_to_owners = true" in " ".join(table.split())
    code, report = cli(capsys, "run", str(config), "--json")
    assert report["by_status"] == {"invalid": 2}  # never sent: a save would lock alice out of the flow


def test_a_flow_the_caller_may_not_save_is_refused_in_the_plan(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Given by id, a flow whose owners leave the caller out (`hasEditPri` false) or that is locked was
    planned as an `update`, and the run then failed it (62103): the plan says what the run will do."""
    config = setup(tmp_path)
    state = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    state["flows"][0]["owners"] = ["bob"]  # 1001: another's flow the caller may only see
    state["flows"][1]["locked"] = True  # 1002: locked in the service
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    code, planned = cli(capsys, "plan", str(config), "--json")
    refused = {a["flow_id"]: a["errors"][0] for a in planned["actions"] if a["action"] == "invalid"}
    assert code == 5 and planned["by_action"].get("update") == 1, planned
    assert [e["code"] for e in refused.values()] == ["NO_PRIVILEGE", "NO_PRIVILEGE"], refused
    messages = " ".join(e["message"] for e in refused.values())
    assert "flow 1001 is not yours to save: the calling user is not among its owners bob (the service" in messages
    assert "flow 1002 is locked in the service" in messages
    code, report = cli(capsys, "run", str(config), "--json")  # what the run then meets: those two fail
    assert report["by_status"] == {"failed": 2, "saved": 1}


def test_the_caller_can_be_added_to_the_owners_instead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{**row, "owners": "bob"} for row in export_rows(2)]
    config = setup(tmp_path, rows, mapping="add_caller_to_owners = true")
    code, planned = cli(capsys, "plan", str(config), "--json")
    assert code == 3 and planned["warnings_by_code"] == {"CALLER_ADDED_TO_OWNERS": 2}
    assert {"field": "owners", "live": ["alice", "dora"], "wanted": ["alice", "bob"]} in planned["actions"][0]["changes"]
    assert cli(capsys, "run", str(config), "--json")[0] == 0
    assert cli(capsys, "run", str(config), "--json")[0] == 0  # saved again: alice still owns it
    assert cli(capsys, "plan", str(config), "--json")[1]["by_action"] == {"unchanged": 2}


def test_invalid_rows_win_over_changes_and_nothing_is_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = export_rows(3) + [{**row, "schedule": "every day", "flow_id": str(3000 + i)}
                             for i, row in enumerate(export_rows(1200))]
    config = setup(tmp_path, rows)
    code, planned = cli(capsys, "plan", str(config), "--json", "--offline")
    assert code == 5 and len(planned["invalid_flows"]) == 1200  # every one, no cut at 1,000
    assert planned["by_action"] == {"valid": 3, "invalid": 1200}
    write_export(tmp_path / "export.csv", [export_rows(1)[0], {**export_rows(2)[1], "schedule": "bad"}])
    code, planned = cli(capsys, "plan", str(config), "--json")
    assert code == 5 and planned["by_action"] == {"update": 1, "invalid": 1}  # 5: invalid rows, and a change


def test_result_lines_say_what_was_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The converted freq and cycle, the fields a comparison found different, and with
    log_payload the whole body, secrets masked."""
    from migrate.redact import MASK, remember

    secret = "s3cr3t-4-plan-live"
    remember(secret)  # as the credentials of a run are
    rows = [{**row, "note": f"uses {secret}"} for row in export_rows(2)]
    config = setup(tmp_path, rows, run={"compare": "remote", "log_payload": True})
    config.write_text(config.read_text().replace('owners = "owners"', 'owners = "owners"\ndesc = "note"'))
    code, report = cli(capsys, "run", str(config), "--json")
    lines = list(read_log(Path(report["result_log"])))
    assert code == 0 and {line["status"] for line in lines} == {"saved"}
    for line in lines:
        assert (line["freq"], line["cycle"]) == ("0 0 2 * * ? *", "D") and "freq" in line["changed"]
        assert line["payload"]["freq"] == "0 0 2 * * ? *" and line["payload"]["desc"].startswith(f"uses {MASK}")
    assert secret not in Path(report["result_log"]).read_text(encoding="utf-8")
    # whole payloads carry an export's own secrets (parameters, commands): the owner's alone, as a snapshot
    assert stat.S_IMODE(Path(report["result_log"]).stat().st_mode) == 0o600
    code, report = cli(capsys, "run", str(config), "--json")
    lines = list(read_log(Path(report["result_log"])))
    assert code == 0 and all(line["status"] == "unchanged" and line["changed"] == [] for line in lines)
    assert all(line["freq"] == "0 0 2 * * ? *" and "payload" not in line for line in lines)  # nothing sent


def test_a_service_that_refuses_the_reads_stops_the_plan_in_one_line(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path)
    config.write_text(config.read_text().replace('user_id = "u1"', 'user_id = "u4"'))  # eve: another org (62101)
    code = main(["plan", str(config)])
    captured = capsys.readouterr()
    assert code == 4 and "Get My Flow" in captured.err and "62101" in captured.err
    assert "Traceback" not in captured.err + captured.out and captured.err.count("\n") == 1


def test_run_plan_applies_exactly_the_saved_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path)
    plan_file = tmp_path / "plan.json"
    assert cli(capsys, "plan", str(config), "--out", str(plan_file))[0] == 3  # three updates
    hand_edit(tmp_path, 1002, freq="0 15 5 * * ? *")  # the live flow moves after the plan was made
    rows = export_rows(3)
    rows[2]["schedule"] = "0 0 3 * * ? *"  # and the export changes for another flow
    write_export(tmp_path / "export.csv", rows)
    code, report = cli(capsys, "run", str(config), "--plan", str(plan_file), "--json")
    lines = {line["flow_id"]: line for line in read_log(Path(report["result_log"]))}
    assert code == 2 and report["by_status"] == {"saved": 1, "stale": 2}  # stale: not applied, alert
    assert any(note.startswith("2 flows were stale") and "make the plan again" in note for note in report["notes"])
    assert lines["1001"]["status"] == "saved"
    assert lines["1002"]["status"] == "stale" and "changed since the plan" in lines["1002"]["msg"]
    assert lines["1003"]["status"] == "stale" and "export changed" in lines["1003"]["msg"]
    service = BatchService(load_emulator_config(tmp_path / "state.json"), Store(tmp_path / "emulator.sqlite"))
    assert service.get_flow("u1", "o1", 1002)["freq"] == "0 15 5 * * ? *"  # a stale plan touched nothing there
    assert service.get_flow("u1", "o1", 1003)["freq"] == "0 0 0 * * ? *"
    write_export(tmp_path / "export.csv", export_rows(3))
    assert cli(capsys, "plan", str(config), "--out", str(plan_file))[0] == 3  # 1002 and 1003 still to update
    code, report = cli(capsys, "run", str(config), "--plan", str(plan_file), "--json")
    assert code == 0 and report["by_status"] == {"saved": 2}  # 1001 is unchanged: not in the plan, not touched
    assert cli(capsys, "plan", str(config), "--json")[1]["by_action"] == {"unchanged": 3}


def test_run_plan_refuses_a_file_that_is_not_a_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path)
    cli(capsys, "plan", str(config), "--offline", "--out", str(tmp_path / "offline.json"))
    for plan_file in (tmp_path / "missing.json", tmp_path / "offline.json"):
        code = main(["run", str(config), "--plan", str(plan_file)])
        captured = capsys.readouterr()
        assert code == 1 and str(plan_file) in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").glob("*.jsonl"))


def test_a_flow_to_create_by_id_whose_name_another_flow_holds_is_refused(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Flow 1004 is not in the service, and flow 1003 (made by hand) has its name: created too, two
    flows of one name, the job twice. Refused NAME_TAKEN in plan and run (it was created)."""
    rows = [*export_rows(3), {"flow_id": "1004", "flow_name": "flow3", "schedule": "0 0 2 * * ? *",
                              "owners": "alice", "task_id": "500001"}]
    config = setup(tmp_path, rows=[row for row in rows if row["flow_id"] != "1003"], run={"create_missing": True})
    code, planned = cli(capsys, "plan", str(config), "--json")
    held = {a["flow_id"]: a for a in planned["actions"]}["1004"]
    assert code == 5 and held["action"] == "invalid" and held["errors"][0]["code"] == "NAME_TAKEN", held
    assert "flow 1003 holds its name 'flow3'" in held["errors"][0]["message"]
    assert main(["plan", str(config), "--markdown"]) == 5  # the review counts it invalid, not convertible alone
    assert "| 3 | 3 | 1 | 1 | 0 |" in capsys.readouterr().out
    code, report = cli(capsys, "run", str(config), "--json")
    [line] = [line for line in read_log(Path(report["result_log"])) if line["flow_id"] == "1004"]
    assert code == 5 and line["status"] == "invalid" and line["code"] == "NAME_TAKEN", line
    assert "import" not in report["emulator"]["requests_by_action"]


def test_run_plan_says_what_the_plan_found_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plan with a flow the live service makes invalid (flow 1004 is not there: NOT_FOUND, exit 5):
    `run --plan` applied the rest, counted that one among the flows it does not change, with no line,
    and exited 0. Now its line says it, as the plan did, and the run exits 5."""
    rows = [*export_rows(3), {"flow_id": "1004", "flow_name": "flow4", "schedule": "0 0 2 * * ? *",
                              "owners": "alice", "task_id": "500001"}]
    config = setup(tmp_path, rows=rows)
    plan_file = tmp_path / "plan.json"
    assert cli(capsys, "plan", str(config), "--out", str(plan_file))[0] == 5
    code, report = cli(capsys, "run", str(config), "--plan", str(plan_file), "--json")
    lines = {line["flow_id"]: line for line in read_log(Path(report["result_log"]))}
    assert code == 5 and report["by_status"] == {"saved": 3, "invalid": 1}, report["by_status"]
    assert lines["1004"]["msg"].startswith("NOT_FOUND: flow 1004 is not in the service") and \
        "so found by the plan plan.json; not touched" in lines["1004"]["msg"], lines["1004"]
    assert report["errors_by_code"] == {"NOT_FOUND": 1}, report  # its reason, not "invalid"
    assert lines["1004"]["code"] == "NOT_FOUND", lines["1004"]  # on the line too, for a collector
    # The export changed since the plan (flow 1004 at another time): stale, not the plan's reason again
    rows[3]["schedule"] = "0 0 4 * * ? *"
    write_export(tmp_path / "export.csv", rows)
    code, report = cli(capsys, "run", str(config), "--plan", str(plan_file), "--json")
    [line] = [line for line in read_log(Path(report["result_log"])) if line["flow_id"] == "1004"]
    assert code == 2 and line["status"] == "stale" and "export changed since the plan" in line["msg"], line
    # A row the plan found invalid in itself, mended since: stale too, not its old reason again
    rows[3]["schedule"] = "0 0 99 * * ? *"
    write_export(tmp_path / "export.csv", rows)
    assert cli(capsys, "plan", str(config), "--out", str(plan_file))[0] == 5
    rows[3]["schedule"] = "0 0 4 * * ? *"
    write_export(tmp_path / "export.csv", rows)
    code, report = cli(capsys, "run", str(config), "--plan", str(plan_file), "--json")
    [line] = [line for line in read_log(Path(report["result_log"])) if line["flow_id"] == "1004"]
    assert line["status"] == "stale", line
