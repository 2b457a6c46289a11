"""A save or an Import whose every try landed but none was answered (the emulator's
`drop_after_apply`: the service applies the request, then closes the connection) is read back,
never called `failed` when it landed, never sent again, and never leaves a bare Import:

- in the run itself, `restore --apply` (a saved plan) and a plain `run` with `verify`: the flow is
  read back after its retries are given up; as wanted, it is `restored`/`saved`/`created`;
- on `--resume` after a line `failed` once the request had left (the run was stopped while it
  waited to try again): a flow that moved to the planned payload is `restored`, not `stale`; an
  Import that landed is found and saved into (`created`), never imported twice; one whose save
  landed as well is `created` with nothing sent.

The emulator runs in its own process over a SQLite state, so that it can be started again with
other faults (tests/test_restore_resume_doubt.py)."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, export_rows, write_config
from test_export import FIRST_ID, by_task_names
from test_faults_resume import emulator_stats, run_json
from test_restore_resume_doubt import (
    FLOWS,
    emulator,
    exported,
    migrate,
    records,
    seed_service,
    service_config,
    signalled_when,
)

LANDED = "but reading it back shows it landed"
EARLIER_SAVE = "an earlier try of this run's save had landed"
RESTORED_ID = str(FIRST_ID + 3)  # deleted, then restored: made by Import, then saved
DROPPING = {"drop_after_apply": 1.0, "only_actions": ["save", "import"]}  # every save and Import lands unanswered
# Seeds of the run's retry jitter (backoff between 0 and 30 s): seed 0 waits 25 s before its
# first retry; seed 139 waits 0.05 s, then 21 s before its second. The run is stopped (SIGTERM)
# in the long wait, right after a request landed unanswered.
LONG_FIRST_BACKOFF = "seed = 0\nbackoff_base = 30\nbackoff_max = 30"
LONG_SECOND_BACKOFF = "seed = 139\nbackoff_base = 30\nbackoff_max = 30"


def drops(url: str) -> int:
    return int(emulator_stats(url)["faults"].get("drop_after_apply", 0))


def final_lines(folder: Path, run_id: str) -> dict[str, dict[str, Any]]:
    """Each flow's last result line (attempt records left out), by flow id."""
    return {str(r["target"]).removeprefix("flow "): r for r in records(folder, run_id) if r["status"] != "attempt"}


def stopped_when(command: list[str], ready: Callable[[], bool]) -> None:
    """Start the command, stop it (SIGTERM, as Ctrl-C would) as soon as `ready()` holds: it
    records what it sent and exits 130."""
    code, said = signalled_when(command, ready, signal.SIGTERM)
    assert code == 130, said


def edited_and_one_deleted(folder: Path) -> dict[str, dict[str, Any]]:
    """The seeded flows backed up, then every one edited (its queue) and flow 2003 deleted: the
    backup's restore updates five flows and creates one. Returns the backup by flow id."""
    with emulator(folder, "plain") as url:
        config = service_config(folder, url)
        backup = exported(folder, config, "backup.jsonl")
        edited = migrate("edit", "--config", str(config), "--set", "queue=q_other", "--apply", "--run-id", "edit")
        assert edited.returncode == 0, edited.stderr
        gone = migrate("delete", str(config), "--id", RESTORED_ID, "--apply", "--run-id", "gone")
        assert gone.returncode == 0, gone.stderr
    return backup


def restore_command(folder: Path, config: Path) -> list[str]:
    return ["restore", str(folder / "backup.jsonl"), "--config", str(config), "--apply", "--run-id", "back"]


def assert_as_backup(folder: Path, config: Path, backup: dict[str, dict[str, Any]]) -> None:
    """Every flow as the backup has it (active, queue, tasks …), and no twin."""
    after = exported(folder, config, "after.jsonl")
    assert set(after) == set(backup)
    assert {k: by_task_names(f) for k, f in after.items()} == {k: by_task_names(f) for k, f in backup.items()}


def test_a_restore_whose_saves_and_import_are_never_answered_reads_them_back(tmp_path: Path) -> None:
    """One try each (`attempts = 1`), every save and the Import applied and then dropped: each
    flow is read back and found as the backup has it: `restored` (or `created`, the Import found
    and saved into), saying its answer was not ok; each saved once, imported once."""
    seed_service(tmp_path)
    backup = edited_and_one_deleted(tmp_path)
    with emulator(tmp_path, "dropping", DROPPING) as url:
        config = service_config(tmp_path, url, "attempts = 1")
        done = migrate(*restore_command(tmp_path, config), "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["by_status"] == {"restored": FLOWS - 1, "created": 1}
        lines = final_lines(tmp_path, "back")
        assert lines[RESTORED_ID]["status"] == "created"
        assert all(LANDED in line["msg"] and "gave up after 1 attempt(s)" in line["msg"] for line in lines.values())
        stats = emulator_stats(url)
        assert stats["faults"]["drop_after_apply"] == FLOWS + 1  # every save and the Import dropped
        assert stats["saves_by_flow"] == {str(FIRST_ID + i): 1 for i in range(FLOWS)}  # none saved twice
        assert stats["requests_by_action"]["import"] == 1  # no twin
        assert_as_backup(tmp_path, config, backup)


def test_a_run_with_verify_reads_back_saves_never_answered(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A plain run, every save applied then dropped, one try each: the read-back (the verify's
    own, not a second one) finds each saved. With Get Flow dropped as well, nothing can be read
    back, and each flow stays `failed`: never called saved unseen."""
    faults = {"drop_after_apply": 1.0, "only_actions": ["save"]}
    (tmp_path / "answered").mkdir()
    (tmp_path / "unreadable").mkdir()
    config = write_config(tmp_path / "answered", state=base_state(flows=6, tasks_per_flow=1, faults=faults),
                          rows=export_rows(6), run={"verify": True, "attempts": 1})
    code, report = run_json(capsys, str(config))
    assert code == 0 and report["by_status"] == {"saved": 6}, report
    assert report["emulator"]["saves_by_flow"] == {str(1001 + i): 1 for i in range(6)}
    assert report["emulator"]["requests_by_action"]["get"] == 6
    lines = [json.loads(line) for line in Path(report["result_log"]).read_text().splitlines()]
    assert all(LANDED in line["msg"] for line in lines if line["status"] != "attempt")

    unreadable = {"drop_after_apply": 1.0, "only_actions": ["save", "get"]}
    config = write_config(tmp_path / "unreadable", state=base_state(flows=6, tasks_per_flow=1, faults=unreadable),
                          rows=export_rows(6), run={"verify": True, "attempts": 1})
    code, report = run_json(capsys, str(config))
    assert code == 2 and report["by_status"] == {"failed": 6}, report


def test_resume_after_a_landed_save_and_a_landed_import_neither_stale_nor_bare(tmp_path: Path) -> None:
    """The restore is stopped while it waits to retry a save that landed unanswered: its line is
    `failed`. Its resume finds that flow as the backup has it: `restored` ("an earlier try …"),
    nothing sent, never `stale`; then it is stopped while it waits to retry the Import of flow
    2003, which landed unanswered (`failed`, the flow there bare: active 0). The next resume
    finds that flow and saves into it (`created`, no second Import): every flow as the backup."""
    seed_service(tmp_path)
    backup = edited_and_one_deleted(tmp_path)
    assert backup[RESTORED_ID]["active"] == 1
    with emulator(tmp_path, "dropping", DROPPING) as url:
        config = service_config(tmp_path, url, LONG_FIRST_BACKOFF)
        command = restore_command(tmp_path, config)
        stopped_when(command, lambda: drops(url) >= 1)
        failed = final_lines(tmp_path, "back")
        assert [line["status"] for line in failed.values()] == ["failed"], failed
        [landed_id] = failed
        assert landed_id != RESTORED_ID and "stopped after 1 attempt(s)" in failed[landed_id]["msg"]
        assert emulator_stats(url)["saves_by_flow"] == {landed_id: 1}

    with emulator(tmp_path, "dropping-imports", {"drop_after_apply": 1.0, "only_actions": ["import"]}) as url:
        config = service_config(tmp_path, url, LONG_FIRST_BACKOFF)
        stopped_when([*command, "--resume"], lambda: drops(url) >= 1)
        lines = final_lines(tmp_path, "back")
        assert lines[landed_id]["status"] == "restored" and EARLIER_SAVE in lines[landed_id]["msg"], lines
        assert landed_id not in emulator_stats(url)["saves_by_flow"]  # not saved twice
        assert lines[RESTORED_ID]["status"] == "failed", lines
        assert "stale" not in {line["status"] for line in lines.values()}
        assert exported(tmp_path, config, "between.jsonl")[RESTORED_ID]["active"] == 0  # the bare Import

    with emulator(tmp_path, "answering") as url:
        config = service_config(tmp_path, url)
        done = migrate(*command, "--resume", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        assert report["by_status"] == {"created": 1, "restored": FLOWS - 1}, report  # the run's lines, all of them
        assert final_lines(tmp_path, "back")[RESTORED_ID]["status"] == "created"
        stats = emulator_stats(url)
        assert "import" not in stats["requests_by_action"]  # found, never imported twice
        left = [flow_id for flow_id in backup if flow_id not in lines or flow_id == RESTORED_ID]
        assert stats["saves_by_flow"] == {flow_id: 1 for flow_id in left}  # the restored ones not again
        assert_as_backup(tmp_path, config, backup)


def test_resume_after_an_import_and_its_save_both_landed_sends_nothing(tmp_path: Path) -> None:
    """Flow 2003 restored: its Import landed unanswered, was found, its save landed unanswered
    too, and the run was stopped while it waited to retry the save (`failed`). The resume finds
    the flow made and already as the backup has it: `created`, with no Import and no save."""
    seed_service(tmp_path)
    with emulator(tmp_path, "plain") as url:
        config = service_config(tmp_path, url)
        backup = exported(tmp_path, config, "backup.jsonl")
        gone = migrate("delete", str(config), "--id", RESTORED_ID, "--apply", "--run-id", "gone")
        assert gone.returncode == 0, gone.stderr
    with emulator(tmp_path, "dropping", DROPPING) as url:
        config = service_config(tmp_path, url, LONG_SECOND_BACKOFF)
        command = restore_command(tmp_path, config)
        stopped_when(command, lambda: drops(url) >= 2)
        assert final_lines(tmp_path, "back")[RESTORED_ID]["status"] == "failed"
        stats = emulator_stats(url)
        assert stats["requests_by_action"]["import"] == 1 and stats["saves_by_flow"] == {RESTORED_ID: 1}
    with emulator(tmp_path, "answering") as url:
        config = service_config(tmp_path, url)
        done = migrate(*command, "--resume", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["by_status"] == {"created": 1, "unchanged": 5}  # their lines by the first go
        line = final_lines(tmp_path, "back")[RESTORED_ID]
        assert line["status"] == "created" and "nothing sent" in line["msg"], line
        stats = emulator_stats(url)
        assert "import" not in stats["requests_by_action"] and "save" not in stats["requests_by_action"]
        assert_as_backup(tmp_path, config, backup)
