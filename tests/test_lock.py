"""One run per result log and per target and source (issue 13 item 6): a second run of the same
config, under another run id or another config file, or a second resume of the same run, stops
with exit 1 naming the holder, and sends nothing; the lock of a dead run is taken over."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, export_rows, write_config
from test_hardening_run import APP, ENV, cli, emulator_process, no_traceback, poll

from migrate.results.log import read_log

FLOWS = 40


def _slow_first_run(config: Path, run_id: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", run_id, *extra],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _held_message(done: subprocess.CompletedProcess[str], holder: subprocess.Popen[str]) -> None:
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    message = done.stderr.strip().splitlines()[-1]
    assert "another run holds the lock" in message and f"PID {holder.pid}, started 20" in message, message


def _fast_copy(config: Path) -> Path:
    """The same target and source, at a rate that finishes quickly: to complete a run once the
    checks that needed it slow are done (a slow run is the window the checks need, under load too)."""
    fast = config.with_name("fast.toml")
    fast.write_text(config.read_text(encoding="utf-8").replace("rate_per_second = 2", "rate_per_second = 500"),
                    encoding="utf-8")
    return fast


def _finish(holder: subprocess.Popen[str], config: Path, run_id: str) -> None:
    """Interrupt the slow holder (every request it sent is recorded) and resume its run quickly."""
    holder.send_signal(signal.SIGINT)
    _, err = holder.communicate(timeout=120)
    assert holder.returncode == 130, err
    done = cli("run", str(_fast_copy(config)), "--run-id", run_id, "--resume", env=ENV)
    assert done.returncode == 0, done.stderr


def test_two_runs_of_one_config_cannot_both_save(tmp_path: Path) -> None:
    state = base_state(flows=FLOWS, tasks_per_flow=1, **APP)
    with emulator_process(state, tmp_path) as emulator:
        config = write_config(tmp_path, state=state, rows=export_rows(FLOWS), url=emulator.url,
                              run={"concurrency": 2, "rate_per_second": 2})
        other_config = tmp_path / "copy.toml"  # the same target and source under another name
        other_config.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
        # a copy of the export (another machine's, say): the same identity scope, the same flows
        (tmp_path / "copy.csv").write_text((tmp_path / "export.csv").read_text(encoding="utf-8"), encoding="utf-8")
        copied = tmp_path / "copied.toml"
        copied.write_text(config.read_text(encoding="utf-8").replace('path = "export.csv"', 'path = "copy.csv"'),
                          encoding="utf-8")
        slashed = tmp_path / "slashed.toml"  # the same service, its URL spelt with a trailing slash
        slashed.write_text(copied.read_text(encoding="utf-8").replace(f'url = "{emulator.url}"',
                                                                      f'url = "{emulator.url}/"'),
                           encoding="utf-8")
        first = _slow_first_run(config, "first")
        try:
            poll(lambda: emulator.stats()["requests_by_action"].get("save", 0) >= 3, what="the first run to save")
            _held_message(cli("run", str(config), "--run-id", "second", env=ENV), first)
            _held_message(cli("run", str(other_config), env=ENV), first)
            _held_message(cli("run", str(copied), env=ENV), first)
            _held_message(cli("run", str(slashed), env=ENV), first)
            _held_message(cli("run", str(config), "--shard", "0/2", env=ENV), first)  # a part of what it runs
            _held_message(cli("run", str(config), "--run-id", "first", "--resume", env=ENV), first)
        finally:
            _finish(first, config, "first")
        saves = emulator.stats()["saves_by_flow"]
        assert len(saves) == FLOWS and set(saves.values()) == {1}, saves  # nobody saved a flow twice
    assert not (tmp_path / "results" / "second.jsonl").exists()


def test_two_resumes_of_one_run_cannot_both_send(tmp_path: Path) -> None:
    state = base_state(flows=FLOWS, tasks_per_flow=1, **APP)
    with emulator_process(state, tmp_path) as emulator:
        config = write_config(tmp_path, state=state, rows=export_rows(FLOWS), url=emulator.url,
                              run={"concurrency": 2, "rate_per_second": 2})
        first = _slow_first_run(config, "night")
        poll(lambda: emulator.stats()["requests_by_action"].get("save", 0) >= 3, what="the first run to save")
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
        assert first.returncode == 130
        resumed = _slow_first_run(config, "night", "--resume")
        try:
            poll(lambda: sum(emulator.stats()["saves_by_flow"].values()) >= 5, what="the resume to save")
            _held_message(cli("run", str(config), "--run-id", "night", "--resume", env=ENV), resumed)
            _held_message(cli("run", str(config), "--resume", env=ENV), resumed)
        finally:
            _finish(resumed, config, "night")
        saves = emulator.stats()["saves_by_flow"]
        assert len(saves) == FLOWS and set(saves.values()) == {1}, saves


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    state = base_state(flows=FLOWS, tasks_per_flow=1, **APP)
    with emulator_process(state, tmp_path) as emulator:
        config = write_config(tmp_path, state=state, rows=export_rows(FLOWS), url=emulator.url,
                              run={"concurrency": 2, "rate_per_second": 10, "fsync_every": 1})
        first = _slow_first_run(config, "crash")
        poll(lambda: emulator.stats()["requests_by_action"].get("save", 0) >= 3, what="the first run to save")
        first.kill()
        first.communicate(timeout=60)
        locks = sorted((tmp_path / "results").glob("*.lock")) + sorted((tmp_path / "results").glob(".*.lock"))
        assert locks and all(json.loads(p.read_text())["pid"] == first.pid for p in locks)  # left behind
        resumed = cli("run", str(config), "--run-id", "crash", "--resume", env=ENV, timeout=180)
        no_traceback(resumed.stderr)
        assert resumed.returncode == 0, resumed.stderr
    finals = {line["flow_id"] for line in read_log(tmp_path / "results" / "crash.jsonl")}
    assert len(finals) == FLOWS


@contextlib.contextmanager
def _slow_target(tmp_path: Path, flows: int = FLOWS) -> Iterator[tuple[Any, Path]]:
    """An emulator of `flows` flows and a config that saves them two a second: a run goes on long
    enough for what the test does beside it."""
    state = base_state(flows=flows, tasks_per_flow=1, **APP)
    with emulator_process(state, tmp_path) as emulator:
        yield emulator, write_config(tmp_path, state=state, rows=export_rows(flows), url=emulator.url,
                                     run={"concurrency": 2, "rate_per_second": 2})


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the processes' descriptors in /proc (Linux)")
def test_a_killed_runs_mapping_process_holds_none_of_its_locks(tmp_path: Path) -> None:
    """The run's mapping process, forked while the run held its locks, held them too, and lingered
    for seconds after a SIGKILL of the run: a resume at once was refused for 10 to 25 s, naming a
    dead PID. Now the child closes its copies as it starts: the locks are free the moment the run
    dies, while its child may still be there (enough flows that it is still mapping: it waits for
    the run to take what it mapped)."""
    with _slow_target(tmp_path, flows=3000) as (emulator, config):
        first = _slow_first_run(config, "crash")
        try:
            poll(lambda: emulator.stats()["requests_by_action"].get("save", 0) >= 2, what="the run to save")
            children = [int(pid) for task in Path(f"/proc/{first.pid}/task").iterdir()
                        for pid in (task / "children").read_text().split()]
            assert children, "the run has no mapping process to check"
            locks = {path.resolve() for path in (tmp_path / "results").glob("*.lock")} | {
                path.resolve() for path in (tmp_path / "results").glob(".*.lock")}
            assert len(locks) >= 3  # the result log's, the target's and the runbook verbs' (shared)
            for child in children:
                held = {Path(os.readlink(fd)) for fd in Path(f"/proc/{child}/fd").iterdir()
                        if os.readlink(fd).startswith("/")}
                assert not held & locks, (child, held & locks)
        finally:
            first.kill()
            first.communicate(timeout=60)
        for lock in locks:  # free at once, whatever the child is doing
            with lock.open("rb") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_run_and_a_runbook_never_go_side_by_side(tmp_path: Path) -> None:
    """An `edit` beside a `run` on one target undid 146 of the run's saves (it checks a flow, then
    saves it: two requests), both logs saying `saved`. A runbook verb now refuses to start while a
    run holds the target, and a run while a runbook does, each naming the other (exit 1, nothing
    sent); runs of other sources on the target still go side by side with each other."""
    with _slow_target(tmp_path) as (emulator, config):
        first = _slow_first_run(config, "first")
        try:
            poll(lambda: emulator.stats()["requests_by_action"].get("save", 0) >= 3, what="the run to save")
            _held_message(cli("disable", str(config), "--apply", "--run-id", "pause", env=ENV), first)
            # Nor a colleague's runbook, under another user of the organisation (an on-call engineer who
            # co-owns the flows): the lock was the user's, and an edit as bob undid every save of the run.
            as_bob = config.with_name("bob.toml")
            as_bob.write_text(config.read_text(encoding="utf-8").replace('user_id = "u1"', 'user_id = "u2"'),
                              encoding="utf-8")
            _held_message(cli("edit", "--config", str(as_bob), "--set", "alertMode=3", "--apply", "--run-id", "e",
                              env=ENV), first)
            _held_message(cli("run", str(as_bob), "--run-id", "bobs", env=ENV), first)  # and the same scope
        finally:
            _finish(first, config, "first")
        assert emulator.stats()["requests_by_action"].get("disable", 0) == 0
        before = emulator.stats()["requests"]
        runbook = subprocess.Popen([sys.executable, "-m", "migrate.cli", "disable", str(config), "--apply",
                                    "--run-id", "pause"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            poll(lambda: emulator.stats()["requests"] >= before + 2, what="the runbook to read the flows")
            saves = sum(emulator.stats()["saves_by_flow"].values())
            _held_message(cli("run", str(_fast_copy(config)), "--run-id", "again", env=ENV), runbook)
            assert sum(emulator.stats()["saves_by_flow"].values()) == saves  # the refused run sent nothing
        finally:
            runbook.send_signal(signal.SIGINT)
            _, err = runbook.communicate(timeout=120)
        assert runbook.returncode == 130, err


def test_spellings_of_one_url_are_one_lock() -> None:
    from migrate.engine.lock import _same_url

    assert len({_same_url(url) for url in ("https://apim.example.com", "https://APIM.example.com./",
                                           "https://apim.example.com:443", "HTTPS://apim.example.com.:443/")}) == 1
    assert _same_url("https://apim.example.com") != _same_url("https://apim.example.com:8443")
