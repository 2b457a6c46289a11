"""A flow of ours renamed in its export into a name another flow already holds, end to end through
the CLI against the embedded emulator: plan and run refuse it (NAME_TAKEN) and save nothing, rather
than make a second flow of that name, which would make every later lookup by name ambiguous
(docs/reconcile.md, "Finding a flow"). A rename into a free name still renames."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state
from test_identity import CLEANUP_UUID, cli_json, rundeck_job, rundeck_run

PURGE_UUID = "b8d2a6f4-1e3c-4f95-a07b-62c4e9d1f3a8"


def job(name: str, uuid: str = CLEANUP_UUID, minute: str = "30") -> str:
    return rundeck_job(name, minute, uuid)


def rundeck_setup(tmp_path: Path, seeded: list[dict[str, Any]]) -> tuple[Path, Path, Path]:
    """The export, its config and the service (the emulator's SQLite state), the service seeded
    with `seeded` flows (made by hand: no identity marker)."""
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0) | {"flows": seeded}), encoding="utf-8")
    return tmp_path / "jobs.yaml", rundeck_run(tmp_path), tmp_path / "emulator.sqlite"


def service_flows(service: Path) -> list[dict[str, Any]]:
    """Every flow the service holds, whole, as it stores it (by id): what "unchanged" compares."""
    with sqlite3.connect(service) as db:
        stored = [json.loads(value) for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    return sorted(stored, key=lambda flow: int(flow["flow_id"]))


def ids_by_name(service: Path) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for flow in service_flows(service):
        found.setdefault(flow["name"], []).append(int(flow["flow_id"]))
    return found


def migrated(capsys: pytest.CaptureFixture[str], export: Path, config: Path, service: Path, jobs: str) -> int:
    """A first run of `jobs`; the id of the flow made for the cleanup job."""
    export.write_text(jobs, encoding="utf-8")
    code, first = cli_json(capsys, "run", str(config))
    assert code == 0 and set(first["by_status"]) == {"created"}, first
    [ours] = ids_by_name(service)["ops_nightly-cleanup"]
    return ours


def assert_refused(capsys: pytest.CaptureFixture[str], config: Path, service: Path, ours: int, other: int) -> str:
    """Plan and run both refuse the rename with NAME_TAKEN naming both flows; nothing is saved.
    The refusal's message."""
    before = service_flows(service)
    code, planned = cli_json(capsys, "plan", str(config))
    [refused] = [a for a in planned["actions"] if a["action"] != "orphaned"]
    assert code == 5 and refused["action"] == "invalid", planned
    [error] = refused["errors"]
    assert error["code"] == "NAME_TAKEN", error
    assert str(other) in error["message"] and str(ours) in error["message"], error
    assert "'ops_nightly-purge'" in error["message"] and "choose another name" in error["message"], error
    # never "not ours" nor "delete it": the holder may be another job's flow of this very export (two swapped names)
    assert "not ours" not in error["message"] and "delete" not in error["message"], error
    assert "swapped names, give one a third name first" in error["message"], error
    code, ran = cli_json(capsys, "run", str(config))
    assert code == 5 and ran["by_status"] == {"invalid": 1} and ran["errors_by_code"] == {"NAME_TAKEN": 1}, ran
    assert ran["emulator"]["saves_by_flow"] == {}, ran
    logged = [json.loads(line) for line in Path(ran["result_log"]).read_text(encoding="utf-8").splitlines()]
    [line] = [entry for entry in logged if entry.get("status") == "invalid"]
    assert line["msg"] == error["message"] and line["code"] == "NAME_TAKEN", line  # what the plan said
    assert line["flow_id"] == refused["flow_id"] == str(ours), (line, refused)  # the job's own flow, renamed
    assert service_flows(service) == before  # not a field of any flow changed
    return str(error["message"])


def assert_plain_rename_works(capsys: pytest.CaptureFixture[str], export: Path, config: Path, service: Path,
                              ours: int, others: dict[str, list[int]]) -> None:
    """Renamed into a free name instead, the same flow is renamed; the other flows stay as they were."""
    export.write_text(job("nightly-sweep"), encoding="utf-8")
    code, planned = cli_json(capsys, "plan", str(config))
    [update] = [a for a in planned["actions"] if a["action"] == "update"]
    assert update["flow_id"] == str(ours) and update["renamed_from"] == "ops_nightly-cleanup", planned
    code, ran = cli_json(capsys, "run", str(config))
    assert code == 0 and ran["by_status"] == {"saved": 1}, ran
    assert ids_by_name(service) == {"ops_nightly-sweep": [ours], **others}


def test_renamed_into_a_hand_made_flows_name_is_refused_in_plan_and_run(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The review's case: `ops_nightly-purge` made by hand (unmarked, 9007), and the migrated
    `nightly-cleanup` renamed `nightly-purge` in its export. It was an update `renamed from`, and
    the run left two flows named `ops_nightly-purge`."""
    hand_made = {"flow_id": 9007, "name": "ops_nightly-purge", "owners": ["alice"], "org_id": "o1"}
    export, config, service = rundeck_setup(tmp_path, [hand_made])
    ours = migrated(capsys, export, config, service, job("nightly-cleanup"))
    export.write_text(job("nightly-purge", minute="45"), encoding="utf-8")
    assert_refused(capsys, config, service, ours, 9007)
    assert ids_by_name(service) == {"ops_nightly-cleanup": [ours], "ops_nightly-purge": [9007]}
    assert_plain_rename_works(capsys, export, config, service, ours, {"ops_nightly-purge": [9007]})


def test_renamed_into_the_name_of_a_flow_not_yours_to_edit_is_refused(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A flow of that name that the caller may only see (bob's; alice a visitor) holds the name too."""
    bobs = {"flow_id": 9008, "name": "ops_nightly-purge", "owners": ["bob"], "visitors": ["alice"], "org_id": "o1"}
    export, config, service = rundeck_setup(tmp_path, [bobs])
    ours = migrated(capsys, export, config, service, job("nightly-cleanup"))
    export.write_text(job("nightly-purge"), encoding="utf-8")
    assert "(9008 not yours to edit)" in assert_refused(capsys, config, service, ours, 9008)
    assert_plain_rename_works(capsys, export, config, service, ours, {"ops_nightly-purge": [9008]})


def test_renamed_into_the_name_of_another_jobs_flow_is_refused(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Two jobs migrated; one is deleted from Rundeck and the other renamed into its name. The
    deleted job's flow (another key's marker) is an orphan, left alone: it still holds the name."""
    export, config, service = rundeck_setup(tmp_path, [])
    ours = migrated(capsys, export, config, service, job("nightly-cleanup") + job("nightly-purge", PURGE_UUID, "10"))
    [theirs] = ids_by_name(service)["ops_nightly-purge"]
    export.write_text(job("nightly-purge"), encoding="utf-8")
    assert_refused(capsys, config, service, ours, theirs)
    assert_plain_rename_works(capsys, export, config, service, ours, {"ops_nightly-purge": [theirs]})


def test_a_planned_rename_into_a_name_taken_since_the_plan_is_stale(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --out` renames our flow into a free name; before `run --plan`, another job's flow is
    made with that name. The run checked only our flow's fingerprint, and left two flows of one name."""
    export, config, service = rundeck_setup(tmp_path, [])
    ours = migrated(capsys, export, config, service, job("nightly-cleanup"))
    renamed = job("nightly-purge", minute="45")
    export.write_text(renamed, encoding="utf-8")
    plan = tmp_path / "rename.plan.json"
    code, planned = cli_json(capsys, "plan", str(config), "--out", str(plan))
    [update] = [a for a in planned["actions"] if a["action"] == "update"]
    assert code == 3 and update["renamed_from"] == "ops_nightly-cleanup", planned

    export.write_text(job("nightly-purge", PURGE_UUID, "10"), encoding="utf-8")  # another job, that name
    code, made = cli_json(capsys, "run", str(config))
    assert code == 0 and made["by_status"] == {"created": 1}, made
    [theirs] = ids_by_name(service)["ops_nightly-purge"]

    export.write_text(renamed, encoding="utf-8")  # the export the plan was made of
    before = service_flows(service)
    code, ran = cli_json(capsys, "run", str(config), "--plan", str(plan))
    assert code == 2 and ran["by_status"] == {"stale": 1}, ran
    logged = [json.loads(line) for line in Path(ran["result_log"]).read_text(encoding="utf-8").splitlines()]
    [stale] = [entry for entry in logged if entry.get("status") == "stale"]
    assert "NAME_TAKEN" in stale["msg"] and str(theirs) in stale["msg"] and str(ours) in stale["msg"], stale
    assert service_flows(service) == before
    assert ids_by_name(service) == {"ops_nightly-cleanup": [ours], "ops_nightly-purge": [theirs]}
