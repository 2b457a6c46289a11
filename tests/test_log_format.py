"""Logs to ship: `--log-format json` makes every console line a JSON event on stderr, and
`result_log = "-"` puts the result lines, and only them, on standard output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrate import console
from migrate.engine import progress as progress_module
from migrate.engine.progress import Progress
from migrate.results.log import STATUSES, read_log
from tests.conftest import REPO, base_state, export_rows, run_cli, write_config

SECRET = "shipped-secret-value-9"


def migrate(*args: str, env: dict[str, str] | None = None, stdout: Any = subprocess.PIPE,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The tool as a collector's pipe sees it: a process of its own, stdout and stderr apart."""
    environment = {name: value for name, value in os.environ.items() if name != console.ENVIRONMENT_VARIABLE}
    environment.update({"PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run([sys.executable, "-m", "migrate.cli", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=120, env=environment, cwd=cwd)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of `text` as a JSON object, or the test fails naming the line."""
    parsed = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"line {number} is not JSON: {line!r}")
        assert isinstance(value, dict), line
        parsed.append(value)
    return parsed


def stdout_config(tmp_path: Path, flows: int = 6, **run: Any) -> Path:
    rows = export_rows(flows)
    rows[1]["schedule"] = "every day"  # one invalid flow: a note-worthy summary, exit 5
    return write_config(tmp_path, state=base_state(flows=flows, tasks_per_flow=1), rows=rows,
                        run={"result_log": "-", **run})


def test_json_on_both_streams_when_the_result_log_is_stdout(tmp_path: Path) -> None:
    config = stdout_config(tmp_path)
    done = migrate("run", str(config), "--run-id", "ship-1", "--log-format", "json")
    assert done.returncode == 5, done.stderr
    results, events = json_lines(done.stdout), json_lines(done.stderr)
    # stdout: the result lines, one per flow, and nothing else (no `attempt` records either)
    assert [line["status"] for line in results].count("saved") == 5 and len(results) == 6
    assert all(line["status"] in STATUSES and line["run_id"] == "ship-1" for line in results)
    # stderr: events, each with its name, level and time stamp
    assert all({"event", "level", "timestamp"} <= set(event) for event in events)
    start = next(event for event in events if event["event"] == "start")
    assert start["run_id"] == "ship-1" and start["result_log_on_stdout"] is True
    said = " ".join(str(event.get("message", "")) for event in events)
    assert "6 flows: saved 5, invalid 1" in said
    summary = next(event for event in events if event["event"] == "summary")  # its numbers as fields
    assert summary["exit_code"] == 5 and summary["flows"] == 6 and summary["by_status"]["saved"] == 5, summary
    # the copy kept for --resume holds the same final lines
    copy = tmp_path / "results" / "ship-1.jsonl"
    assert [line["source_key"] for line in read_log(copy)] == [line["source_key"] for line in results]
    assert start["result_log"] == str(copy)


def test_a_run_logged_to_stdout_resumes_from_its_copy(tmp_path: Path) -> None:
    config = stdout_config(tmp_path)
    assert migrate("run", str(config), "--run-id", "ship-2").returncode == 5
    resumed = migrate("run", str(config), "--run-id", "ship-2", "--resume", "--log-format", "json")
    assert resumed.returncode == 5, resumed.stderr
    events = json_lines(resumed.stderr)
    said = " ".join(str(event.get("message", "")) for event in events)
    assert "resuming run ship-2" in said and "5 flows already saved were not sent again" in said
    assert [line["status"] for line in json_lines(resumed.stdout)] == ["invalid"]


@pytest.mark.parametrize("target", ["-", "/dev/stdout"])
def test_a_file_redirect_holds_every_result_line_whole(tmp_path: Path, target: str) -> None:
    """`migrate run CFG > out.jsonl`: one writer on standard output, so the summary (on stderr)
    and the lines never overwrite each other; /dev/stdout means the same as "-"."""
    config = stdout_config(tmp_path, flows=40, result_log=target)
    out = tmp_path / "out.jsonl"
    with out.open("w", encoding="utf-8") as redirect:
        done = migrate("run", str(config), stdout=redirect)
    assert done.returncode == 5, done.stderr
    lines = json_lines(out.read_text(encoding="utf-8"))
    assert len(lines) == 40 and {line["source_key"] for line in lines} == {f"row {i}" for i in range(1, 41)}
    assert "40 flows: saved 39, invalid 1" in done.stderr  # the human summary, on stderr


@pytest.mark.parametrize("log_format", ["json", "human"])
def test_a_plan_whose_events_stop_being_read_keeps_its_exit_code(tmp_path: Path, log_format: str) -> None:
    """`plan --log-format json 2>&1 >/dev/null | head -1`: in JSON mode the plan's rows are events
    on stderr, and a reader that stops early turned its exit code 3 into 1 (found by a fresh user);
    stdout cut short kept it. Either stream may close: the plan's code stands."""
    config = write_config(tmp_path, state=base_state(flows=0), rows=export_rows(800))
    streams = "2>&1 >/dev/null" if log_format == "json" else "2>/dev/null"
    script = (f"{sys.executable} -m migrate.cli plan {config} --offline --log-format {log_format} {streams} "
              "| head -1 >/dev/null; echo ${PIPESTATUS[0]}")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout.strip() == "3", (done.stdout, done.stderr)


def test_the_environment_chooses_json_and_a_wrong_value_is_refused(tmp_path: Path) -> None:
    config = stdout_config(tmp_path)
    done = migrate("run", str(config), env={console.ENVIRONMENT_VARIABLE: "json"})
    assert done.returncode == 5
    json_lines(done.stderr)
    json_lines(done.stdout)
    wrong = migrate("run", str(config), env={console.ENVIRONMENT_VARIABLE: "xml"})
    assert wrong.returncode == 1 and "MIGRATE_LOG_FORMAT='xml'" in wrong.stderr


def test_json_errors_are_events_and_secrets_are_redacted(tmp_path: Path) -> None:
    """A secret this process holds is masked in every event, as in every other output."""
    state = base_state(flows=2, tasks_per_flow=1, applications=[{"app_key": "ship-key", "app_secret": SECRET}])
    config = write_config(tmp_path, state=state, rows=export_rows(2), run={"result_log": "-"})
    named = config.with_name(f"{SECRET}.toml")  # a config whose name holds the secret: every line names it
    named.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    env = {"MIGRATE_APP_KEY": "ship-key", "MIGRATE_APP_SECRET": SECRET}
    done = migrate("--log-format", "json", "run", str(named), env=env)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    start = next(event for event in json_lines(done.stderr) if event["event"] == "start")
    assert start["config"] == "[redacted].toml"
    failed = migrate("--log-format", "json", "run", str(tmp_path / "missing.toml"))
    error = json_lines(failed.stderr)
    assert failed.returncode == 1 and error[-1]["event"] == "error" and error[-1]["level"] == "error"
    assert "missing.toml: no such config file" in error[-1]["message"]


def test_the_default_console_is_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, state=base_state(flows=2, tasks_per_flow=1), rows=export_rows(2))
    code, out, err = run_cli(capsys, "run", str(config))
    assert code == 0 and out.startswith("2 flows: saved 2\n") and "result log: " in out
    assert "{" not in err


def test_progress_is_an_event_with_its_numbers(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(progress_module, "LINE_EVERY_SECONDS", 0.0)
    with console.session("json"), Progress(total=4) as progress:
        progress.advance("saved")
        progress.advance("invalid")
    events = json_lines(capsys.readouterr().err)
    assert [event["event"] for event in events] == ["progress", "progress"]
    assert events[-1]["done"] == 2 and events[-1]["total"] == 4 and events[-1]["percent"] == 50.0
    assert events[-1]["by_status"] == {"invalid": 1, "saved": 1} and events[-1]["level"] == "info"
    assert events[-1]["message"].startswith("2 of 4 flows (50 %)")


def test_a_plan_table_becomes_row_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, state=base_state(flows=2, tasks_per_flow=1), rows=export_rows(2))
    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--log-format", "json")
    assert code == 3 and out == ""
    events = json_lines(err)
    rows = [event for event in events if event["event"] == "row"]
    assert [row["id"] for row in rows] == ["1001", "1002"] and all(row["action"] for row in rows)
    assert any("2 flows found" in event.get("message", "") for event in events)
