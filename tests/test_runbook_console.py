"""A runbook verb that applies says where it is while it runs, as `run` does, with its output a
pipe (no terminal, no PYTHONUNBUFFERED): once its plan is made, before its first change, how many
flows change, its before file, run id and result log, and the command that continues it; a
progress line every 5 s (a `progress` event in JSON); at the end a `summary` event with the exit
code and the counts. The emulator answers slowly (its latency), so the runs last long enough to
read their pipes while they run: each expected line is read as it comes, with a time limit, and
what the result log holds at that moment says how far the run was. A disable killed with SIGKILL
is then continued by the command its own console gave."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest
from conftest import REPO, base_state, profile_run_config

from migrate import console
from migrate.emulator.config import load_emulator_config
from migrate.emulator.models import BatchService
from migrate.emulator.store import Store

FLOWS = 80  # about 5 s to read, 10 s to change: the first progress line comes half-way
FIRST_ID = 7000
LATENCY_MS = 120  # every request; two of them a flow (the change and its read back) at concurrency 2
WAIT_SECONDS = 90  # a line not come by then is a failure (the runs take about 10 s)


def seed(folder: Path, active: int = 1) -> Path:
    """FLOWS flows owned by alice and bob, in an emulator kept in a SQLite file, answering every
    request after LATENCY_MS; the config of a run against it (results beside it)."""
    state = base_state(flows=0, tasks_per_flow=0)
    state["flows"] = [{"flow_id": FIRST_ID + i, "name": f"job_{i}", "owners": ["alice", "bob"], "org_id": "o1",
                       "active": active, "cycle": "D"} for i in range(FLOWS)]
    write_state(folder, state, LATENCY_MS)
    BatchService(load_emulator_config(folder / "state.json"), Store(folder / "emulator.sqlite")).store.close()
    return profile_run_config(folder / "run.toml", "snapshot", "unused.jsonl", rate=1000,
                              run="concurrency = 2\nbackoff_base = 0.01\nbackoff_max = 0.05")


def write_state(folder: Path, state: dict[str, Any], latency_ms: float) -> None:
    (folder / "state.json").write_text(json.dumps({**state, "faults": {"latency_ms": latency_ms}}), encoding="utf-8")


def actives(folder: Path) -> dict[int, int]:
    store = Store(folder / "emulator.sqlite")
    try:
        service = BatchService(load_emulator_config(folder / "state.json"), store)
        return {flow_id: flow.active for flow_id, flow in service.flows.items()}
    finally:
        store.close()


def final_lines(folder: Path) -> int:
    """How many final lines the results folder's logs hold now (attempt records are not final)."""
    count = 0
    for log in (folder / "results").glob("*.jsonl"):
        for line in log.read_text(encoding="utf-8").splitlines():
            if line.strip() and '"status":"attempt"' not in line:
                count += 1
    return count


class Watched:
    """`migrate ARGS` in a process of its own, both streams pipes, read line by line as they come
    (by two threads: a pipe read while the other fills would stall the tool)."""

    def __init__(self, folder: Path, *args: str, log_format: str = "human") -> None:
        environment = {name: value for name, value in os.environ.items()
                       if name not in ("PYTHONUNBUFFERED", console.ENVIRONMENT_VARIABLE)}
        environment.update({"PYTHONPATH": str(REPO), console.ENVIRONMENT_VARIABLE: log_format})
        self.process = subprocess.Popen([sys.executable, "-m", "migrate.cli", *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=folder, env=environment)
        self.lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        self.seen: dict[str, list[str]] = {"out": [], "err": []}
        assert self.process.stdout is not None and self.process.stderr is not None
        for name, stream in (("out", self.process.stdout), ("err", self.process.stderr)):
            threading.Thread(target=self._pump, args=(name, stream), daemon=True).start()
        self._open = 2

    def _pump(self, name: str, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))
        self.lines.put((name, None))

    def expect(self, stream: str, wanted: Callable[[str], bool], what: str) -> str:
        """The next line of `stream` that is `wanted`, as soon as it comes; a failure naming what
        came instead when the stream ends or the time is up."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                name, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no {what} on std{stream} within {WAIT_SECONDS} s; so far: {self.seen}")
            if line is None:
                self._open -= 1
                if name == stream or self._open == 0:
                    pytest.fail(f"std{stream} ended without {what}: {self.seen}")
                continue
            self.seen[name].append(line)
            if name == stream and wanted(line):
                return line

    def finish(self) -> int:
        code = self.process.wait(timeout=WAIT_SECONDS)
        while True:  # what came after the last line expected
            try:
                name, line = self.lines.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                self._open -= 1
                if self._open == 0:
                    break
                continue
            self.seen[name].append(line)
        return code


def event(name: str) -> Callable[[str], bool]:
    return lambda line: line.startswith("{") and json.loads(line).get("event") == name


def test_a_disable_says_what_it_does_before_its_first_change_and_a_kill_is_continued_as_it_said(
        tmp_path: Path) -> None:
    """Human console, both streams pipes, no --run-id (the id is made up): once the selection is
    read, before anything is changed, how many flows change, the before file, the run id, the log
    and the command that continues it (stdout, with the plan); progress on stderr while it runs.
    SIGKILL after the first progress line, then the command the console gave: every flow
    disabled, the before file whole."""
    config = seed(tmp_path)
    run = Watched(tmp_path, "disable", str(config), "--owner", "bob", "--apply")

    planned = run.expect("out", lambda line: " to disable; before: " in line, "the count of flows to disable")
    said = run.expect("out", lambda line: "if it stops, continue it with: " in line, "the resume command")
    assert final_lines(tmp_path) < FLOWS // 2  # said before the changes, not after them
    run_id = said.removeprefix("run ").split(",")[0]
    before = tmp_path / "results" / "runbooks" / f"{run_id}.before.jsonl"
    assert planned == f"{FLOWS} flows matched of {FLOWS} listed; {FLOWS} to disable; before: {before}"
    assert said.startswith(f"run {run_id}, result log {tmp_path / 'results' / f'{run_id}.jsonl'}; ")
    assert before.is_file()  # written before it is named
    command = shlex.split(said.split("if it stops, continue it with: ")[1])
    assert command[0] == "migrate" and command[-3:] == ["--run-id", run_id, "--resume"]

    progress = run.expect("err", lambda line: "flows/s" in line, "a progress line")
    assert f" of {FLOWS} flows (" in progress and " left: disabled " in progress
    assert not progress.startswith(f"{FLOWS} of ")  # while it runs
    run.process.send_signal(signal.SIGKILL)
    assert run.finish() == -signal.SIGKILL
    assert 0 < sum(active == 0 for active in actives(tmp_path).values()) < FLOWS

    write_state(tmp_path, json.loads((tmp_path / "state.json").read_text(encoding="utf-8")), 0)  # quick now
    done = subprocess.run([sys.executable, "-m", "migrate.cli", *command[1:]], capture_output=True, text=True,
                          cwd=tmp_path, timeout=WAIT_SECONDS, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert f"continuing run {run_id}, result log " in done.stdout
    assert set(actives(tmp_path).values()) == {0}
    assert sum(1 for _ in before.open(encoding="utf-8")) == FLOWS + 1  # the header and every flow as it was


def test_an_enable_in_json_gives_its_events_as_they_happen(tmp_path: Path) -> None:
    """MIGRATE_LOG_FORMAT=json: an `apply` event before the first change (the counts, the before
    file, the run id, the log, the resume command), a `progress` event with its numbers while it
    runs, and at the end `summary` with the exit code and the counts; every line of stderr an
    event, stdout empty."""
    config = seed(tmp_path, active=0)
    run = Watched(tmp_path, "enable", str(config), "--owner", "bob", "--apply", "--run-id", "on", log_format="json")

    apply = json.loads(run.expect("err", event("apply"), "an `apply` event"))
    assert final_lines(tmp_path) < FLOWS // 2  # before the changes, not after them
    log = tmp_path / "results" / "on.jsonl"
    before = tmp_path / "results" / "runbooks" / "on.before.jsonl"
    assert {key: apply[key] for key in ("verb", "run_id", "resume", "matched", "listed", "changes", "by_action",
                                        "before", "result_log", "level")} == {
        "verb": "enable", "run_id": "on", "resume": False, "matched": FLOWS, "listed": FLOWS, "changes": FLOWS,
        "by_action": {"enable": FLOWS}, "before": str(before), "result_log": str(log), "level": "info"}
    assert apply["resume_command"].endswith(f"enable {config} --owner bob --apply --run-id on --resume")
    assert apply["message"].startswith(f"{FLOWS} flows matched of {FLOWS} listed; {FLOWS} to enable; before: ")

    progress = json.loads(run.expect("err", event("progress"), "a `progress` event"))
    assert progress["total"] == FLOWS and 0 < progress["done"] < FLOWS and progress["flows_per_second"] > 0
    assert progress["by_status"] == {"enabled": progress["done"]} and progress["seconds_left"] is not None

    summary = json.loads(run.expect("err", event("summary"), "a `summary` event"))
    assert run.finish() == 0 and run.seen["out"] == []
    assert summary["exit_code"] == 0 and summary["flows"] == FLOWS and summary["by_status"] == {"enabled": FLOWS}
    assert summary["result_log"] == str(log) and summary["before"] == str(before)
    assert summary["message"].startswith(f"{FLOWS} flows: enabled {FLOWS}")
    assert all(line.startswith("{") for line in run.seen["err"])  # every line an event
    assert set(actives(tmp_path).values()) == {1}


def test_an_edit_in_json_gives_its_progress_and_summary(tmp_path: Path) -> None:
    """`edit` saves through the run engine: its `apply` event before its saves, `progress`
    counting down the plan's changes, and a `summary` event with the exit code and the counts
    and the client's send record, as `run`'s."""
    config = seed(tmp_path)
    run = Watched(tmp_path, "edit", "--config", str(config), "--owner", "bob", "--set", "alertMode=1", "--apply",
                  "--run-id", "alerts", log_format="json")

    apply = json.loads(run.expect("err", event("apply"), "an `apply` event"))
    assert final_lines(tmp_path) < FLOWS // 2  # said before the saves, not after them
    assert apply["verb"] == "edit" and apply["run_id"] == "alerts"
    assert apply["changes"] == FLOWS and apply["by_action"] == {"update": FLOWS}
    assert apply["before"] == str(tmp_path / "results" / "runbooks" / "alerts.before.jsonl")
    assert apply["resume_command"].endswith("--set alertMode=1 --apply --run-id alerts --resume")

    progress = json.loads(run.expect("err", event("progress"), "a `progress` event"))
    assert progress["total"] == FLOWS and 0 < progress["done"] < FLOWS
    assert progress["by_status"] == {"saved": progress["done"]}

    summary = json.loads(run.expect("err", event("summary"), "a `summary` event"))
    assert run.finish() == 0
    assert summary["exit_code"] == 0 and summary["by_status"] == {"saved": FLOWS}
    assert summary["result_log"] == str(tmp_path / "results" / "alerts.jsonl")
    assert summary["sent"]["requests"] >= FLOWS  # the client's send record, as run's summary has it

    # Its resume says so too, before anything is sent: the plan's count, its file, the before file.
    again = Watched(tmp_path, *apply["resume_command"].split()[1:], log_format="json")
    resumed = json.loads(again.expect("err", event("apply"), "an `apply` event of the resume"))
    assert again.finish() == 0
    plan = tmp_path / "results" / "runbooks" / "alerts.plan.json"
    assert resumed["resume"] is True and resumed["changes"] == FLOWS and resumed["before"] == apply["before"]
    assert resumed["message"].startswith(f"continuing the {FLOWS} saves of its plan {plan} ")
