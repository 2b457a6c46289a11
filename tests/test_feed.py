"""The mapping process of a run (migrate/engine/feed.py): the same lines as mapping on the event loop,
its errors reported like any other, and no process left behind whoever dies first."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, export_rows, write_config
from test_faults_resume import emulator_stats, wait_for_lines

from migrate.cli import main
from migrate.config import RunSettings
from migrate.engine.feed import wanted
from migrate.results.log import read_log

VARYING = {"ts", "elapsed_ms", "latency_ms", "run_id"}
APP = {"applications": [{"app_key": "k-feed", "app_secret": "s-feed-4242"}]}
ENV = {**os.environ, "MIGRATE_APP_KEY": "k-feed", "MIGRATE_APP_SECRET": "s-feed-4242"}


def test_auto_maps_in_a_child_only_with_a_second_core(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wanted(RunSettings(mapping_process="on")) and not wanted(RunSettings(mapping_process="off"))
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not wanted(RunSettings())
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert wanted(RunSettings())


def mixed_rows() -> list[dict[str, str]]:
    """Valid flows, spread over several batches of the pipe, with broken and duplicate rows among them."""
    rows = export_rows(300)
    rows[7]["schedule"] = "0 0 2 31 2 ? *"  # 31 February: never fires
    rows[150]["flow_id"] = rows[149]["flow_id"]  # a duplicate target
    rows[299]["owners"] = ""
    return rows


def test_both_ways_of_mapping_give_identical_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    for mode in ("on", "off"):
        folder = tmp_path / mode
        folder.mkdir()
        config = write_config(folder, state=base_state(flows=300, tasks_per_flow=1), rows=mixed_rows(),
                              run={"mapping_process": mode, "rate_per_second": 5000, "concurrency": 16})
        assert main(["run", str(config), "--run-id", "same"]) == 5
        capsys.readouterr()
        lines = [{k: v for k, v in line.items() if k not in VARYING | {"source_file"}}
                 for line in read_log(folder / "results/same.jsonl")]
        found[mode] = sorted(lines, key=lambda line: line["rows"])
    assert len(found["on"]) == 300 and found["on"] == found["off"]


def test_a_torn_json_lines_source_stops_the_run_before_anything_is_sent(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON Lines source whose line 250 is broken: its keys are read first (they are its columns,
    checked against the mapping), so the run says which file and line and exits 1 with no traceback
    before it sends anything (it sent the 249 flows before the line, then stopped half-done)."""
    rows = export_rows(300)
    config = write_config(tmp_path, state=base_state(flows=300, tasks_per_flow=1), rows=rows,
                          run={"mapping_process": "on", "rate_per_second": 5000})
    lines = [json.dumps(row) for row in rows]
    lines[249] = '{"flow_id": "1250", "flow_name": '  # torn
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config.write_text(config.read_text().replace('path = "export.csv"', 'path = "export.jsonl"\nchunk_rows = 20'))
    code = main(["run", str(config), "--run-id", "torn"])
    out, err = capsys.readouterr()
    assert code == 1 and "export.jsonl: line 250" in err and "Traceback" not in out + err
    assert not list(read_log(tmp_path / "results/torn.jsonl"))  # nothing sent


def children_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def wait_until_gone(pid: int, seconds: float) -> bool:
    """Without polling: a pidfd becomes readable when its process ends."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([handle], [], [], seconds)[0])
    finally:
        os.close(handle)


@pytest.fixture
def slow_emulator(tmp_path: Path) -> Any:
    """An emulator process answering after 5 ms, and more flows than the pipe and the batches
    in hand hold: the mapping process is still there, waiting to send, when it is hurt."""
    flows = 2000
    state = base_state(flows=flows, tasks_per_flow=1, faults={"latency_ms": 5}, **APP)
    (tmp_path / "emulator.json").write_text(json.dumps(state), encoding="utf-8")
    emulator = subprocess.Popen([sys.executable, "-m", "migrate.cli", "emulator", "--port", "0",
                                 "--config", str(tmp_path / "emulator.json")], stdout=subprocess.PIPE, text=True)
    assert emulator.stdout is not None
    url = emulator.stdout.readline().split()[-1]
    config = write_config(tmp_path, state=state, rows=export_rows(flows), url=url,
                          run={"rate_per_second": 5000, "concurrency": 8, "fsync_every": 1, "mapping_process": "on"})
    yield config, url, flows
    emulator.terminate()
    emulator.wait(timeout=10)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
def test_a_killed_mapping_process_stops_the_run_and_resume_finishes_it(tmp_path: Path, slow_emulator: Any) -> None:
    config, url, flows = slow_emulator
    command = [sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "child"]
    process = subprocess.Popen([*command, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=ENV)
    log = tmp_path / "results" / "child.jsonl"
    wait_for_lines(log, 10, process)
    (child,) = children_of(process.pid)
    os.kill(child, signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    # Some flows were sent: 2 (1 said "nothing was sent"), and the JSON summary, counts and notes, is
    # there for a script (it had only {"exit_code": 1, "error": …}), saying how to continue.
    summary = json.loads(out)
    assert process.returncode == 2 == summary["exit_code"], out + err
    assert "the mapping process stopped unexpectedly" in err and "Traceback" not in err
    (stopped,) = [note for note in summary["notes"] if note.startswith("stopped: the mapping process stopped")]
    assert "--run-id child --resume" in stopped, stopped
    assert summary["by_status"]["saved"] >= 10
    sent = list(read_log(log))
    assert 10 <= len(sent) < flows and {line["status"] for line in sent} == {"saved"}
    done = subprocess.run([*command, "--resume", "--json"], capture_output=True, text=True, env=ENV, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["by_status"] == {"saved": flows}
    saves = emulator_stats(url)["saves_by_flow"]
    assert len(saves) == flows and set(saves.values()) == {1}  # every flow saved, and only once


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
def test_a_killed_run_leaves_no_mapping_process_behind(tmp_path: Path, slow_emulator: Any) -> None:
    config, _, _ = slow_emulator
    process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "orphan"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    wait_for_lines(tmp_path / "results" / "orphan.jsonl", 10, process)
    (child,) = children_of(process.pid)
    process.kill()
    process.wait(timeout=30)
    assert wait_until_gone(child, 30), f"mapping process {child} outlived its run"
    assert process.stderr is not None and "Traceback" not in process.stderr.read()  # it went quietly


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
def test_ctrl_c_reaches_the_whole_group_and_only_the_run_decides(tmp_path: Path, slow_emulator: Any) -> None:
    """Ctrl-C signals every process of the terminal's group: the mapping process ignores it, the
    run finishes what is in flight, exits 130, and a resume saves the rest, each flow once."""
    config, url, flows = slow_emulator
    command = [sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "ctrl-c"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                               start_new_session=True)
    wait_for_lines(tmp_path / "results" / "ctrl-c.jsonl", 10, process)
    (child,) = children_of(process.pid)
    ignored = next(int(line.split()[1], 16) for line in Path(f"/proc/{child}/status").read_text().splitlines()
                   if line.startswith("SigIgn:"))
    assert ignored & (1 << (signal.SIGINT - 1)), "a second Ctrl-C would kill the mapping process mid-batch"
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "--run-id ctrl-c --resume" in out and "Traceback" not in err
    assert wait_until_gone(child, 30)
    done = subprocess.run([*command, "--resume", "--json"], capture_output=True, text=True, env=ENV, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["by_status"] == {"saved": flows}
    saves = emulator_stats(url)["saves_by_flow"]
    assert len(saves) == flows and set(saves.values()) == {1}
