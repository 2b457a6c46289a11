"""Never lose or duplicate a flow: throttling, a lock mid-run, resume after a crash, idempotent
re-saves, hostile input. Against the emulator's fault injection, real processes where it matters."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import base_state, emulator_process, export_rows, write_config, write_export

from migrate.cli import main
from migrate.results.log import read_log
from migrate.results.spreadsheet import safe_cell

APP = {"applications": [{"app_key": "k-resume", "app_secret": "s-resume-4242"}]}


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_a_lock_in_the_middle_of_a_run_aborts_with_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = base_state(flows=40, tasks_per_flow=1, faults={"lock_user_after_saves": 10})
    config = write_config(tmp_path, state=state, rows=export_rows(40), run={"concurrency": 4})
    code, report = run_json(capsys, str(config))
    lines = list(read_log(Path(report["result_log"])))
    statuses = [line["status"] for line in lines]
    assert code == 4 and len(lines) == 40 and len({line["flow_id"] for line in lines}) == 40
    assert statuses.count("saved") == 10
    assert {line["code"] for line in lines if line["status"] == "failed"} == {62105}
    assert statuses.count("not_attempted") >= 40 - 10 - 4  # at most the in-flight ones were tried
    assert all(line["attempts"] == 0 for line in lines if line["status"] == "not_attempted")


def test_throttled_or_not_the_rate_is_never_exceeded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The service allows 25 a second; we are set to 40: 429s slow every worker, nothing is lost."""
    state = base_state(flows=100, tasks_per_flow=1, limits={"rate_per_second": 25})
    config = write_config(tmp_path, state=state, rows=export_rows(100),
                          run={"rate_per_second": 40, "concurrency": 16, "attempts": 20})
    code, report = run_json(capsys, str(config))
    stats = report["emulator"]
    assert code == 0 and report["by_status"] == {"saved": 100}
    assert stats["answers_by_code"].get("429", 0) > 0  # it was throttled
    assert stats["busiest_one_second_window"] <= 40
    assert stats["saves_by_flow"] == {str(1001 + i): 1 for i in range(100)}


def test_a_nightly_rerun_of_an_unchanged_export_saves_nothing(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    rows = export_rows(12)
    config = write_config(tmp_path, state=base_state(flows=12, tasks_per_flow=1), rows=rows,
                          run={"compare": "log"})
    first = run_json(capsys, str(config))
    assert first[0] == 0 and first[1]["by_status"] == {"saved": 12}
    code, again = run_json(capsys, str(config))
    assert code == 0 and again["by_status"] == {"unchanged": 12}
    assert "save" not in again["emulator"]["requests_by_action"]  # zero Save calls
    rows[4]["schedule"] = "0 0 3 * * ? *"
    write_export(tmp_path / "export.csv", rows)
    code, third = run_json(capsys, str(config))
    assert third["by_status"] == {"saved": 1, "unchanged": 11}
    assert third["emulator"]["saves_by_flow"] == {"1005": 1}


def test_compare_remote_reads_the_live_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = export_rows(8)
    config = write_config(tmp_path, state=base_state(flows=8, tasks_per_flow=1), rows=rows,
                          run={"compare": "remote", "verify": True})
    config.write_text(config.read_text().replace("[target]\n", '[target]\nemulator_state = "emulator.sqlite"\n'))
    code, first = run_json(capsys, str(config))
    assert code == 0 and first["by_status"] == {"saved": 8}
    assert first["emulator"]["requests_by_action"] == {"get": 16, "save": 8}  # compare, then verify
    code, again = run_json(capsys, str(config))
    assert code == 0 and again["by_status"] == {"unchanged": 8}
    assert again["emulator"]["requests_by_action"] == {"get": 8}
    rows[2]["owners"] = "alice;dora"
    write_export(tmp_path / "export.csv", rows)
    code, third = run_json(capsys, str(config))
    assert third["by_status"] == {"saved": 1, "unchanged": 7} and third["emulator"]["saves_by_flow"] == {"1003": 1}


def test_verify_survives_answers_lost_after_the_save(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    faults = {"seed": 5, "drop_after_apply": 0.3, "only_actions": ["save"]}
    config = write_config(tmp_path, state=base_state(flows=20, tasks_per_flow=1, faults=faults),
                          rows=export_rows(20), run={"verify": True, "attempts": 10})
    code, report = run_json(capsys, str(config))
    assert code == 0 and report["by_status"] == {"saved": 20}
    assert report["emulator"]["faults"]["drop_after_apply"] > 0
    assert report["emulator"]["requests_by_action"]["get"] == 20


def test_interrupt_then_resume_saves_each_flow_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, state=base_state(flows=120, tasks_per_flow=1), rows=export_rows(120),
                          run={"rate_per_second": 30})
    config.write_text(config.read_text().replace("[target]\n", '[target]\nemulator_state = "emulator.sqlite"\n'))
    command = [sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "night"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "results" / "night.jsonl"
    wait_for_lines(log, 10, process)
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 130 and "--run-id night --resume" in out
    done = subprocess.run([*command, "--resume", "--json"], capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["by_status"] == {"saved": 120}
    lines = list(read_log(log))
    assert len(lines) == 120 and len({line["flow_id"] for line in lines}) == 120


def wait_for_lines(log: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not (log.exists() and log.read_text().count("\n") >= count):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def emulator_stats(url: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(f"{url}/_emulator/stats", timeout=10) as answer:
        data: dict[str, Any] = json.loads(answer.read())
        return data


def test_killed_at_random_points_then_resumed(tmp_path: Path) -> None:
    """SIGKILL three times at random points; every flow ends saved, none missing, and none is
    sent again once its `saved` line was written."""
    flows = 150
    state = base_state(flows=flows, tasks_per_flow=1, **APP)
    with emulator_process(tmp_path / "emulator.json", state) as url:
        config = write_config(tmp_path, state=state, rows=export_rows(flows), url=url,
                              run={"rate_per_second": 60, "concurrency": 6, "fsync_every": 1})
        env = {**os.environ, "MIGRATE_APP_KEY": "k-resume", "MIGRATE_APP_SECRET": "s-resume-4242"}
        log = tmp_path / "results" / "crash.jsonl"
        rng = random.Random(1234)
        checks: list[tuple[set[str], dict[str, int]]] = []
        for round_number in range(3):
            command = [sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "crash"]
            if round_number:
                command.append("--resume")
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            already = log.read_text().count("\n") if log.exists() else 0
            wait_for_lines(log, already + rng.randint(5, 30), process)
            process.kill()
            process.wait(timeout=30)
            saved_now = {line["flow_id"] for line in read_log(log) if line["status"] == "saved"}
            checks.append((saved_now, emulator_stats(url)["saves_by_flow"]))
        final = subprocess.run([sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "crash",
                                "--resume", "--json"], capture_output=True, text=True, env=env, timeout=120)
        assert final.returncode == 0, final.stderr
        report = json.loads(final.stdout)
        assert report["by_status"] == {"saved": flows}
        saves = emulator_stats(url)["saves_by_flow"]
        assert set(saves) == {str(1001 + i) for i in range(flows)}  # nothing missing
        for saved_then, counts_then in checks:  # a flow with a saved line was never sent again
            for flow_id in saved_then:
                assert saves[flow_id] == counts_then[flow_id], flow_id


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "not utf-8-sig text"),
        ("flow_id,flow_name\n1,caf\xe9\n".encode("cp1252"), "not utf-8-sig text"),
        (b"", "is empty"),
        (b"flow_id,flow_name,flow_name,schedule,owners,task_id\n1,a,b,c,d,e\n", "more than once"),
    ],
)
def test_hostile_files_get_a_clear_message_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      content: bytes, message: str) -> None:
    config = write_config(tmp_path, state=base_state(), rows=export_rows(1))
    (tmp_path / "export.csv").write_bytes(content)
    for verb in ("run", "plan"):
        code = main([verb, str(config)])
        out, err = capsys.readouterr()
        assert code == 1 and message in err and "export.csv" in err and "Traceback" not in out + err


def test_hostile_cells_never_crash_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = export_rows(5)
    rows[0]["flow_name"] = "x" * 1_000_000  # a 1 MB cell
    rows[1]["flow_name"] = "bell\x07 nul\x00 esc\x1b"  # control characters
    rows[2]["flow_name"] = "=HYPERLINK(\"http://evil\")"  # a formula
    rows[3]["flow_id"] = "1001"  # the same flow twice
    config = write_config(tmp_path, state=base_state(flows=5, tasks_per_flow=1), rows=rows)
    code, report = run_json(capsys, str(config))
    lines = {line["rows"][0]: line for line in read_log(Path(report["result_log"]))}
    assert code == 5 and len(lines) == 5
    assert lines[1]["status"] == "saved" and lines[2]["status"] == "saved" and lines[3]["status"] == "saved"
    assert lines[4]["status"] == "invalid" and "not saved twice" in lines[4]["msg"]
    out_csv = tmp_path / "review.csv"
    assert main(["report", report["result_log"], "--csv", str(out_csv)]) == 0
    csv.field_size_limit(16 * 1024 * 1024)
    with out_csv.open(encoding="utf-8") as review:
        names = {row["rows"]: row["name"] for row in csv.DictReader(review)}
    assert names["[3]"] == "'=HYPERLINK(\"http://evil\")"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_made_inert(value: str) -> None:
    assert safe_cell(value) == "'" + value and safe_cell("plain") == "plain"


def test_a_header_only_export_saves_nothing_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, state=base_state(), rows=export_rows(1))
    (tmp_path / "export.csv").write_text("flow_id,flow_name,schedule,owners,task_id\n", encoding="utf-8")
    code, report = run_json(capsys, str(config))
    assert code == 0 and report["flows"] == 0


def test_resume_without_a_log_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, state=base_state(), rows=export_rows(1))
    assert main(["run", str(config), "--resume"]) == 1
    assert "no result log to resume" in capsys.readouterr().err


def test_a_stop_after_the_import_and_before_the_save_left_says_only_the_import_went(tmp_path: Path) -> None:
    """A flow given by id and created (create_missing): its Import and the read of the flow it made
    are done, and the save waits for its turn at the rate when SIGTERM comes. Its line said the save
    "was sent: it may have landed", when it never left (found by an engineer stopping a slow run)."""
    state = base_state(flows=0, **APP)
    with emulator_process(tmp_path / "emulator.json", state) as url:
        rows = [{"flow_id": "4242", "flow_name": "job_a", "schedule": "0 0 9 * * ? *", "owners": "alice",
                 "task_id": ""}]
        config = write_config(tmp_path, state=state, rows=rows, url=url,
                              run={"rate_per_second": 1, "concurrency": 1, "create_missing": True})
        # Active: Import makes a flow inactive, so only the save makes it as wanted.
        config.write_text(config.read_text(encoding="utf-8").replace('[mapping.tasks]\ntask_id = "task_id"\n', "")
                          .replace("active = 0", "active = 1"), encoding="utf-8")
        env = {**os.environ, "MIGRATE_APP_KEY": "k-resume", "MIGRATE_APP_SECRET": "s-resume-4242"}
        process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "slow"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 60
        # The probe (62102: not there), the Import, then the read of the flow it made: the save is next,
        # a second later at this rate.
        while emulator_stats(url)["requests_by_action"].get("get", 0) < 2:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
        assert process.returncode == 130
        assert emulator_stats(url)["requests_by_action"].get("save", 0) == 0  # it never left
        [line] = [r for r in read_log(tmp_path / "results" / "slow.jsonl") if r["status"] != "attempt"]
        assert line["status"] == "failed" and line["attempts"] == 1, line
        assert line["msg"].startswith("interrupted after Import made flow 4242, before its save"), line
        resumed = subprocess.run([sys.executable, "-m", "migrate.cli", "run", str(config), "--run-id", "slow",
                                  "--resume", "--json"], capture_output=True, text=True, env=env, timeout=120)
        assert resumed.returncode == 0 and emulator_stats(url)["requests_by_action"].get("save") == 1, (
            resumed.stdout, emulator_stats(url))
