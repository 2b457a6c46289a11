"""`migrate restore --apply` killed (SIGKILL) and continued with `--resume`, against the emulator
in its own process (its state in a SQLite file, so that it can be started again with other
faults): an Import the dead run had in flight that landed is that run's own flow (`created`, then
saved as planned, never imported twice); a live flow that cannot be read to check the plan is
`failed`, not `stale`; a run killed between its plan and its first result line is continued."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import base_state, emulator_process, profile_run_config
from test_export import FIRST_ID, by_task_names, seeded, seeded_emulator
from test_faults_resume import emulator_stats

FLOWS = 6
APP = {"app_key": "k-doubt", "app_secret": "s-doubt-4242"}
ENV = {**os.environ, "MIGRATE_APP_KEY": APP["app_key"], "MIGRATE_APP_SECRET": APP["app_secret"]}
# Seed of the run's retry jitter whose first backoff, between 0 and 30 s, is 25 s: the run is
# killed while it waits to ask whether its dropped Import landed.
LONG_FIRST_BACKOFF = "seed = 0\nbackoff_base = 30\nbackoff_max = 30"


def seed_service(folder: Path) -> None:
    """Flows 2000..2005 (tasks in chains, varied fields; 2001 waits on 2000) kept in a SQLite
    file, as the emulator's own Save Flow made them."""
    service = seeded_emulator(folder, "seed.json", FLOWS)
    for i in range(FLOWS):
        service.save_flow("u1", "o1", seeded(i))
    service._keep_all()
    service.store.close()


@contextmanager
def emulator(folder: Path, name: str, faults: dict[str, Any] | None = None) -> Iterator[str]:
    """`migrate emulator` over the folder's SQLite state with these faults; yields its URL."""
    state = base_state(flows=0, applications=[APP])
    if faults:
        state["faults"] = faults
    with emulator_process(folder / f"{name}.json", state, folder / "emulator.sqlite") as url:
        yield url


def service_config(folder: Path, url: str, run: str = "") -> Path:
    return profile_run_config(folder / "service.toml", "snapshot", "unused.jsonl", rate=50,
                              target=f'url = "{url}"\nuser_name = "alice"',
                              run="concurrency = 1\nfsync_every = 1\nrequest_timeout = 2\n" + run)


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate.cli", *args], capture_output=True, text=True, env=ENV,
                          timeout=180)


def exported(folder: Path, config: Path, name: str) -> dict[str, dict[str, Any]]:
    out = folder / name
    done = migrate("export", str(config), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return {str(f["flowId"]): f for f in map(json.loads, out.read_text(encoding="utf-8").splitlines()[1:])}


def records(folder: Path, run_id: str) -> list[dict[str, Any]]:
    log = folder / "results" / f"{run_id}.jsonl"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def signalled_when(command: list[str], ready: Any, signum: int) -> tuple[int, str]:
    """Start the command, send it `signum` as soon as `ready()` holds (within 60 s): its exit code
    and what it printed (stdout, then stderr) once it ended."""
    process = subprocess.Popen([sys.executable, "-m", "migrate.cli", *command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.monotonic() + 60
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    return process.returncode, out + err


def killed_when(command: list[str], ready: Any) -> None:
    """Start the command, SIGKILL it as soon as `ready()` holds (within 60 s)."""
    signalled_when(command, ready, signal.SIGKILL)


def test_an_import_in_flight_when_the_run_died_is_its_own_flow_created_then_saved(tmp_path: Path) -> None:
    """Flow 2003 deleted, then restored with every Import's connection dropped after the service
    made the flow; the run is killed while it waits to ask whether it landed (its last record the
    Import's attempt). The resume finds the flow, records it `created` and saves it as the backup
    has it (active 1, its parameter, alert mode), sending no second Import: no twin, nothing stale."""
    seed_service(tmp_path)
    restored_id = str(FIRST_ID + 3)
    with emulator(tmp_path, "dropping", {"seed": 3, "drop_after_apply": 1.0, "only_actions": ["import"]}) as url:
        config = service_config(tmp_path, url, LONG_FIRST_BACKOFF)
        backup = exported(tmp_path, config, "backup.jsonl")
        assert backup[restored_id]["active"] == 1 and "env" in backup[restored_id]["parameters"]
        gone = migrate("delete", str(config), "--id", restored_id, "--apply", "--run-id", "gone")
        assert gone.returncode == 0, gone.stderr
        command = ["restore", str(tmp_path / "backup.jsonl"), "--config", str(config), "--apply", "--run-id", "back"]
        killed_when(command, lambda: emulator_stats(url)["faults"].get("drop_after_apply", 0) >= 1)
        last = records(tmp_path, "back")[-1]
        assert (last["status"], last["action"], last["target"]) == ("attempt", "import", f"flow {restored_id}")
        assert restored_id in exported(tmp_path, config, "between.jsonl")  # the Import landed: imported, not saved

        done = migrate(*command, "--resume", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        assert report["by_status"] == {"created": 1, "unchanged": 5}, report  # their lines by the first go
        line = [r for r in records(tmp_path, "back") if r["status"] != "attempt"][-1]
        assert (line["status"], line["flow_id"]) == ("created", restored_id)
        assert emulator_stats(url)["requests_by_action"]["import"] == 1  # never imported twice
        after = exported(tmp_path, config, "after.jsonl")
        assert set(after) == set(backup)  # no twin
        assert by_task_names(after[restored_id]) == by_task_names(backup[restored_id])


def test_a_flow_that_cannot_be_read_to_check_the_plan_is_failed_not_stale(tmp_path: Path) -> None:
    """Six flows edited, then restored; the restore is killed after its first `restored` line and
    resumed against the service answering every Get Flow with a 5xx: each flow left is `failed`
    with the read's code and message (a flow that moved would be `stale`; these did not)."""
    seed_service(tmp_path)
    with emulator(tmp_path, "slow", {"latency_ms": 150}) as url:
        config = service_config(tmp_path, url, "attempts = 2\nbackoff_base = 0.01\nbackoff_max = 0.02")
        exported(tmp_path, config, "backup.jsonl")
        edited = migrate("edit", "--config", str(config), "--set", "queue=q_other", "--apply", "--run-id", "edit")
        assert edited.returncode == 0, edited.stderr
        command = ["restore", str(tmp_path / "backup.jsonl"), "--config", str(config), "--apply", "--run-id", "back"]
        killed_when(command, lambda: any(r["status"] == "restored" for r in records(tmp_path, "back")))
    with emulator(tmp_path, "unreadable", {"error_5xx": 1.0, "only_actions": ["get"]}) as url:
        config = service_config(tmp_path, url, "attempts = 2\nbackoff_base = 0.01\nbackoff_max = 0.02")
        done = migrate(*command[:3], str(config), *command[4:], "--resume", "--json")
        assert done.returncode == 2, done.stdout + done.stderr
        report = json.loads(done.stdout)
        left = [r for r in records(tmp_path, "back") if r["status"] not in ("attempt", "restored")]
        assert left and report["by_status"].get("stale", 0) == 0, report
        assert {r["status"] for r in left} == {"failed"}
        assert all(str(r["http_status"]).startswith("5") and "could not be read" in r["msg"] for r in left), left


def test_a_run_killed_between_its_plan_and_its_first_line_is_continued_by_resume(tmp_path: Path) -> None:
    """Killed once its plan is written and before its result log is: `--resume` sends every
    planned flow (nothing was sent before); a second run of the same id is told to resume; a run
    with its desired file but no plan is told which file is missing."""
    seed_service(tmp_path)
    with emulator(tmp_path, "slow", {"latency_ms": 300}) as url:
        config = service_config(tmp_path, url)
        backup = exported(tmp_path, config, "backup.jsonl")
        edited = migrate("edit", "--config", str(config), "--set", "queue=q_other", "--apply", "--run-id", "edit")
        assert edited.returncode == 0, edited.stderr
        runbooks = tmp_path / "results" / "runbooks"
        command = ["restore", str(tmp_path / "backup.jsonl"), "--config", str(config), "--apply", "--run-id", "back"]
        killed_when(command, (runbooks / "back.plan.json").exists)
        assert not (tmp_path / "results" / "back.jsonl").exists()
        assert (runbooks / "back.before.jsonl").exists() and (runbooks / "back.desired.jsonl").exists()
        saves_then = emulator_stats(url)["requests_by_action"].get("save", 0)

        again = migrate(*command)
        assert again.returncode == 1 and "--resume" in again.stderr, again.stderr
        done = migrate(*command, "--resume", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["by_status"] == {"restored": FLOWS}
        assert emulator_stats(url)["requests_by_action"]["save"] == saves_then + FLOWS
        after = exported(tmp_path, config, "after.jsonl")
        assert {k: by_task_names(f) for k, f in after.items()} == {k: by_task_names(f) for k, f in backup.items()}

        (runbooks / "back.plan.json").unlink()
        missing = migrate(*command, "--resume")
        assert missing.returncode == 1, missing.stderr
        assert "back.plan.json" in missing.stderr and "back.desired.jsonl" not in missing.stderr, missing.stderr
