"""`--prune disable`, through the CLI against the embedded emulator (its state kept in a file):
an orphan (a live flow carrying this source's marker whose key left the export) is reported by
`plan`, and disabled, never deleted, only when asked, only by a run that went through every flow
of the source, or by a saved plan's `disable` action while the flow is as the plan saw it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, profile_run_config, run_cli

from migrate.cli import main
from migrate.emulator.config import load_emulator_config
from migrate.emulator.models import BatchService
from migrate.emulator.store import Store
from migrate.mapping.identity import marker_of, without_marker
from migrate.results.log import read_log

CRONTAB = """\
MAILTO=""
30 2 * * *  /opt/backup.sh --full
0 7 * * 1-5 /opt/report.sh daily
0 4 * * 6   /opt/cleanup.sh --old
"""
BACKUP, REPORT, CLEANUP = "/opt/backup.sh --full", "/opt/report.sh daily", "/opt/cleanup.sh --old"


def setup(tmp_path: Path, capsys: pytest.CaptureFixture[str], faults: dict[str, Any] | None = None) -> Path:
    """Alice's crontab of three jobs, migrated: three flows of ours, active, beside three flows
    of others' making (no marker); the service kept in emulator.sqlite."""
    (tmp_path / "jobs.cron").write_text(CRONTAB, encoding="utf-8")
    (tmp_path / "state.json").write_text(json.dumps({**base_state(flows=3), **({"faults": faults} if faults else {})}),
                                         encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "crontab", "jobs.cron", source_lines='options = { user = "alice" }',
                                run="create_missing = true", rate=500)
    code, report = cli(capsys, config, "run")
    assert code == 0 and report["by_status"] == {"created": 3}
    assert {command: flow["active"] for command, flow in ours(tmp_path).items()} == {BACKUP: 1, REPORT: 1, CLEANUP: 1}
    return config


def cli(capsys: pytest.CaptureFixture[str], config: Path, verb: str, *options: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run_cli(capsys, verb, str(config), "--json", *options)
    return code, json.loads(out)


def edit_crontab(tmp_path: Path, *gone: str, **replaced: str) -> None:
    """Lines removed from the crontab (`gone`: their commands), or replaced (old line -> new)."""
    lines = [line for line in CRONTAB.splitlines() if not any(line.endswith(command) for command in gone)]
    text = "\n".join(lines) + "\n"
    for old, new in replaced.items():
        text = text.replace(old, new)
    (tmp_path / "jobs.cron").write_text(text, encoding="utf-8")


def service(tmp_path: Path) -> BatchService:
    return BatchService(load_emulator_config(tmp_path / "state.json"), Store(tmp_path / "emulator.sqlite"))


def ours(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The service's flows that carry a crontab marker, by the command their desc names: id, active."""
    emulated = service(tmp_path)
    found: dict[str, dict[str, Any]] = {}
    for listed in emulated.get_my_flow("u1", "o1", ""):
        flow = emulated.get_flow("u1", "o1", listed["flowId"])
        if marker_of(flow["desc"]) is not None:
            command = " ".join(without_marker(flow["desc"]).removeprefix("crontab: ").split()[5:])
            found[command] = {"id": str(flow["flowId"]), "active": flow["active"]}
    return found


def others_untouched(tmp_path: Path) -> bool:
    """The flows not of our making are as seeded: active 0, never saved (updateUser unset by a save)."""
    emulated = service(tmp_path)
    return all(emulated.get_flow("u1", "o1", flow_id)["active"] == 0 for flow_id in (1001, 1002, 1003))


def hand_save(tmp_path: Path, flow_id: str) -> None:
    """Someone saves the flow again by hand (Save Flow, as alice): same content, a new updateTime."""
    emulated = service(tmp_path)
    graph = json.loads(emulated.get_flow("u1", "o1", flow_id)["graph"])
    graph.pop("creator", None)
    emulated.save_flow("u1", "o1", graph)


def lines_of(report: dict[str, Any], attempts: bool = False) -> list[dict[str, Any]]:
    return list(read_log(Path(report["result_log"]), attempts=attempts))


def test_an_orphan_is_disabled_only_with_prune_and_only_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path, capsys)
    cleanup = ours(tmp_path)[CLEANUP]["id"]
    edit_crontab(tmp_path, CLEANUP)

    code, planned = cli(capsys, config, "plan", "--prune", "disable")
    assert code == 3 and planned["by_action"] == {"unchanged": 2, "disable": 1}
    [disable] = [a for a in planned["actions"] if a["action"] == "disable"]
    assert disable["flow_id"] == cleanup and disable["source_key"].startswith("[migrate:crontab/")
    assert disable["changes"] == [{"field": "active", "live": 1, "wanted": 0}]
    assert set(disable["fingerprint"]) == {"updateTime", "graph_sha256"}
    assert any(note.startswith("--prune disable: 1 orphans to disable") for note in planned["notes"])
    # The scan: every flow alice can edit, once; and the two crontab flows' task bodies (Export Flow).
    assert planned["reads"] == {"getMyFlow": 1, "get": 6, "export": 2}

    code, planned = cli(capsys, config, "plan")  # without --prune: reported, as before
    assert code == 0 and planned["by_action"] == {"unchanged": 2, "orphaned": 1}

    code, report = cli(capsys, config, "run")  # without --prune: no scan, no disable
    assert code == 0 and report["by_status"] == {"saved": 2}
    assert "disable" not in report["emulator"]["requests_by_action"]
    assert report["emulator"]["requests_by_action"]["get"] == 2  # each flow found by name and marker: no scan
    assert ours(tmp_path)[CLEANUP]["active"] == 1

    code, report = cli(capsys, config, "run", "--prune", "disable")
    assert code == 0 and report["by_status"] == {"saved": 2, "disabled": 1}
    assert report["emulator"]["requests_by_action"]["disable"] == 1
    assert {command: flow["active"] for command, flow in ours(tmp_path).items()} == {BACKUP: 1, REPORT: 1, CLEANUP: 0}
    assert others_untouched(tmp_path)
    records = lines_of(report, attempts=True)
    [line] = [r for r in records if r["status"] == "disabled"]
    assert line["flow_id"] == cleanup and line["source_key"] == disable["source_key"] and line["attempts"] == 1
    assert line["changed"] == ["active"] and "not deleted" in line["msg"]
    attempt = [r for r in records if r["status"] == "attempt" and r.get("action") == "disable"]
    assert len(attempt) == 1 and records.index(attempt[0]) < records.index(line)  # the intent first
    assert cleanup in {str(flow["flowId"]) for flow in service(tmp_path).get_my_flow("u1", "o1", "")}  # not deleted

    code, report = cli(capsys, config, "run", "--prune", "disable")  # again: nothing left to do
    assert code == 0 and report["by_status"] == {"saved": 2, "orphaned": 1}
    assert "disable" not in report["emulator"]["requests_by_action"]
    [line] = [r for r in lines_of(report) if r["status"] == "orphaned"]
    assert line["flow_id"] == cleanup and "already inactive" in line["msg"]
    assert ours(tmp_path)[CLEANUP]["active"] == 0

    assert cli(capsys, config, "plan")[0] == 0
    code, planned = cli(capsys, config, "plan", "--prune", "disable")
    assert code == 0 and planned["by_action"] == {"unchanged": 2, "orphaned": 1}

    code, out, _ = run_cli(capsys, "report", report["result_log"])
    assert code == 0 and "orphaned 1" in out


def test_the_flow_of_an_invalid_row_is_not_an_orphan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path, capsys)
    edit_crontab(tmp_path, **{"0 4 * * 6   /opt/cleanup.sh": "0 4 30 2 *   /opt/cleanup.sh"})  # 30 February
    code, planned = cli(capsys, config, "plan", "--prune", "disable")
    assert code == 5 and planned["by_action"] == {"unchanged": 2, "invalid": 1}  # no orphan, no disable
    code, report = cli(capsys, config, "run", "--prune", "disable")
    assert code == 5 and report["by_status"] == {"saved": 2, "invalid": 1}
    assert "disable" not in report["emulator"]["requests_by_action"]
    assert ours(tmp_path)[CLEANUP]["active"] == 1


def test_the_flow_of_a_job_its_profile_refuses_is_not_an_orphan(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A job the profile itself refuses (here the last line, with no line end: TRUNCATED) is still
    in the export, under its key: its flow was listed `orphaned` beside the job's own `invalid` line
    (a Control-M folder refused TASK_SCHEDULE_DIFFERS, counted twice), as a refusal by the profile
    left the flow without its identity."""
    config = setup(tmp_path, capsys)
    (tmp_path / "jobs.cron").write_text(CRONTAB.rstrip("\n"), encoding="utf-8")
    code, planned = cli(capsys, config, "plan", "--prune", "disable")
    assert code == 5 and planned["by_action"] == {"unchanged": 2, "invalid": 1}, planned


def test_a_typo_that_changes_a_jobs_key_disables_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A line cut short (a time field lost) is read as no job at all: its key is the line, not the
    job's, so the job's flow looks orphaned. While any row is invalid, nothing is disabled."""
    config = setup(tmp_path, capsys)
    edit_crontab(tmp_path, **{"0 4 * * 6   /opt/cleanup.sh": "0 4 * *   /opt/cleanup.sh"})
    code, planned = cli(capsys, config, "plan", "--prune", "disable")
    assert code == 5 and planned["by_action"] == {"unchanged": 2, "invalid": 1, "orphaned": 1}, planned
    assert any("nothing is disabled while 1 source row is invalid" in note and "unscheduled = \"manual\"" in note
               for note in planned["notes"])
    code, report = cli(capsys, config, "run", "--prune", "disable")
    assert code == 5 and report["by_status"] == {"saved": 2, "invalid": 1}, report  # re-saved: compare is "none"
    assert "disable" not in report["emulator"]["requests_by_action"]
    assert ours(tmp_path)[CLEANUP]["active"] == 1


def test_prune_is_refused_where_it_cannot_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 1 before anything is read or sent: an offline plan sees no live flow, a saved plan holds
    its own disables."""
    config = setup(tmp_path, capsys)
    edit_crontab(tmp_path, CLEANUP)
    for argv in (["plan", str(config), "--offline", "--prune", "disable"],
                 ["run", str(config), "--plan", str(tmp_path / "plan.json"), "--prune", "disable"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 1 and out == "" and "Traceback" not in err, argv
        assert err.startswith("migrate") and "--prune" in err and len(err.splitlines()) == 1, argv
    assert len(list((tmp_path / "results").glob("*.jsonl"))) == 1  # the set-up's run only: nothing ran
    assert ours(tmp_path)[CLEANUP]["active"] == 1


def test_a_saved_plan_disables_only_what_is_as_it_saw_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = setup(tmp_path, capsys)
    flows = ours(tmp_path)
    edit_crontab(tmp_path, REPORT, CLEANUP)
    assert cli(capsys, config, "plan", "--out", str(tmp_path / "plain.json"))[0] == 0  # orphans alone: nothing to do
    code, report = cli(capsys, config, "run", "--plan", str(tmp_path / "plain.json"))
    assert code == 0 and report["by_status"] == {}  # a plan made without --prune prunes nothing
    assert "disable" not in report["emulator"]["requests_by_action"]

    code, _ = cli(capsys, config, "plan", "--prune", "disable", "--out", str(tmp_path / "plan.json"))
    saved = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert code == 3 and sorted(a["flow_id"] for a in saved["actions"] if a["action"] == "disable") == sorted(
        [flows[REPORT]["id"], flows[CLEANUP]["id"]])
    hand_save(tmp_path, flows[REPORT]["id"])  # the report flow moves after the plan was made

    code, report = cli(capsys, config, "run", "--plan", str(tmp_path / "plan.json"))
    lines = {line["flow_id"]: line for line in lines_of(report)}
    assert code == 2 and report["by_status"] == {"disabled": 1, "stale": 1}  # stale: not applied, alert
    assert lines[flows[CLEANUP]["id"]]["status"] == "disabled"
    assert lines[flows[REPORT]["id"]]["status"] == "stale" and "changed since the plan" in lines[flows[REPORT]["id"]]["msg"]
    assert {command: flow["active"] for command, flow in ours(tmp_path).items()} == {BACKUP: 1, REPORT: 1, CLEANUP: 0}

    code, report = cli(capsys, config, "run", "--plan", str(tmp_path / "plan.json"))  # applied again: idempotent
    statuses = {line["flow_id"]: line["status"] for line in lines_of(report)}
    assert statuses == {flows[CLEANUP]["id"]: "orphaned", flows[REPORT]["id"]: "stale"}
    assert report["emulator"]["requests_by_action"].get("disable") is None

    assert cli(capsys, config, "plan", "--prune", "disable", "--out", str(tmp_path / "plan.json"))[0] == 3
    code, report = cli(capsys, config, "run", "--plan", str(tmp_path / "plan.json"))  # planned again: applied
    assert code == 0 and report["by_status"] == {"disabled": 1}  # a run of disables alone that all went well
    assert {command: flow["active"] for command, flow in ours(tmp_path).items()} == {BACKUP: 1, REPORT: 0, CLEANUP: 0}


def test_a_disable_the_service_fails_once_is_retried(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The emulator's fault plan (seed 4, half the disables answered 5xx) fails the first Disable
    and lets the second through."""
    config = setup(tmp_path, capsys, faults={"seed": 4, "error_5xx": 0.5, "only_actions": ["disable"]})
    edit_crontab(tmp_path, CLEANUP)
    code, report = cli(capsys, config, "run", "--prune", "disable")
    assert code == 0 and report["by_status"] == {"saved": 2, "disabled": 1}
    assert report["emulator"]["faults"] == {"error_5xx": 1} and report["emulator"]["requests_by_action"]["disable"] == 2
    records = lines_of(report, attempts=True)
    [line] = [r for r in records if r["status"] == "disabled"]
    assert line["attempts"] == 2 and line["code"] == 0
    assert sum(1 for r in records if r.get("action") == "disable") == 2  # an intent before each request
    assert ours(tmp_path)[CLEANUP]["active"] == 0


def test_a_run_stopped_by_the_service_prunes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An account locked after the first save (62105): the run aborts before it has seen every
    flow through, so the orphans are not looked at."""
    config = setup(tmp_path, capsys)
    state = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    (tmp_path / "state.json").write_text(json.dumps({**state, "faults": {"lock_user_after_saves": 1}}),
                                         encoding="utf-8")
    edit_crontab(tmp_path, CLEANUP)
    code, out, _ = run_cli(capsys, "run", str(config), "--prune", "disable")
    assert code == 4 and "orphans: not looked at" in out
    assert ours(tmp_path)[CLEANUP]["active"] == 1

    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")  # the account unlocked
    code, report = cli(capsys, config, "run", "--resume", "--prune", "disable")  # the resumed run prunes
    assert code == 0 and report["by_status"]["disabled"] == 1 and "not_attempted" not in report["by_status"]
    assert ours(tmp_path)[CLEANUP]["active"] == 0
