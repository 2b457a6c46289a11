"""Hardening of a run (issue 19): no stale write reported as saved after a crash, no hang when the
result log cannot be written or a gateway asks to wait a day, a token-service hiccup retried,
damaged result logs read with warnings, clear messages for targets that are not what they seem,
and reports that stay right when an export moves or a run is resumed. Everything through the CLI,
against the emulator (in its own process where a process is killed or signalled)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import base_state, export_rows, write_config, write_export

from migrate.cli import main
from migrate.results.log import read_log
from migrate.service.answers import parse_retry_after

APP = {"applications": [{"app_key": "k-hard", "app_secret": "s-hard-7d21"}]}
PLAIN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("MIGRATE_")}
ENV = {**PLAIN_ENV, "MIGRATE_APP_KEY": "k-hard", "MIGRATE_APP_SECRET": "s-hard-7d21"}  # for emulator processes
NEW_SCHEDULE = "0 0 3 * * ? *"


# -- helpers ------------------------------------------------------------------------------


class EmulatorProcess:
    """`migrate emulator` in its own process: it keeps applying requests whatever happens to ours."""

    def __init__(self, state: dict[str, Any], folder: Path) -> None:
        config = folder / "emulator.json"
        config.write_text(json.dumps(state), encoding="utf-8")
        self.process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "emulator", "--port", "0",
                                         "--config", str(config)], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().split()[-1]

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as answer:
            return json.loads(answer.read())

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._get("/_emulator/stats")
        return stats

    def live_schedules(self) -> dict[str, str]:
        """Each stored flow's schedule, read past the emulator's latency."""
        return {flow_id: str(graph.get("freq")) for flow_id, graph in self._get("/_emulator/flows").items()}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def emulator_process(state: dict[str, Any], folder: Path) -> Iterator[EmulatorProcess]:
    emulator = EmulatorProcess(state, folder)
    try:
        yield emulator
    finally:
        emulator.stop()


def poll(condition: Callable[[], bool], seconds: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def cli(*args: str, timeout: float = 120, env: dict[str, str] | None = None,
        preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env or PLAIN_ENV, preexec_fn=preexec)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["run", *args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def last_lines(log: Path) -> dict[str, dict[str, Any]]:
    """Each flow's last final line."""
    return {str(line["flow_id"]): line for line in read_log(log)}


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text


# -- item 1: a crash with saves in flight ----------------------------------------------------


def test_a_crash_with_saves_in_flight_never_ends_in_a_stale_saved_flow(tmp_path: Path) -> None:
    """SIGKILL while saves are in flight (0.5-8 s of service latency), change every flow, resume at
    once: the dead process's requests land late, yet no flow whose last line says `saved` keeps
    the old content."""
    flows = 48
    state = base_state(flows=flows, tasks_per_flow=1, **APP,
                       faults={"seed": 11, "latency_ms": 500, "latency_jitter_ms": 7500})
    with emulator_process(state, tmp_path) as emulator:
        rows = export_rows(flows)
        config = write_config(tmp_path, state=state, rows=rows, url=emulator.url,
                              run={"concurrency": 24, "request_timeout": 10, "fsync_every": 1})
        command = ["run", str(config), "--run-id", "crash"]
        first = subprocess.Popen([sys.executable, "-m", "migrate.cli", *command], env=ENV,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        poll(lambda: emulator.stats()["requests_by_action"].get("save", 0) >= 30, what="saves in flight")
        first.kill()
        first.wait(timeout=30)
        log = tmp_path / "results" / "crash.jsonl"
        saved_at_kill = sum(1 for line in read_log(log) if line["status"] == "saved") if log.exists() else 0
        assert emulator.stats()["requests_by_action"]["save"] > saved_at_kill  # some were in flight
        write_export(tmp_path / "export.csv", [{**row, "schedule": NEW_SCHEDULE} for row in rows])
        resumed = cli(*command, "--resume", "--json", env=ENV)
        no_traceback(resumed.stderr)
        assert resumed.returncode in (0, 2), resumed.stderr
        lines = last_lines(log)
        assert len(lines) == flows
        live = emulator.live_schedules()
        stale = [flow_id for flow_id, line in lines.items() if line["status"] == "saved" and live[flow_id] != NEW_SCHEDULE]
        assert stale == [], f"flows saved per the log but holding the old schedule: {stale}"
        for line in lines.values():
            if line["status"] == "failed":
                assert "another writer changed flow" in line["msg"], line


# -- item 3: the result log cannot be written -------------------------------------------------


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:  # writes past `limit` bytes fail with EFBIG, as a full disk fails them
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_log_that_cannot_be_written_stops_the_run_and_resume_completes_it(tmp_path: Path) -> None:
    flows = 60
    state = base_state(flows=flows, tasks_per_flow=1, faults={"latency_ms": 20})
    config = write_config(tmp_path, state=state, rows=export_rows(flows), run={"concurrency": 4})
    stopped = cli("run", str(config), "--run-id", "full", timeout=60, preexec=_file_size_limit(6000))
    no_traceback(stopped.stdout, stopped.stderr)
    log = tmp_path / "results" / "full.jsonl"
    assert stopped.returncode == 2, stopped.stderr
    assert str(log) in stopped.stderr and "were sent" in stopped.stderr
    resumed = cli("run", str(config), "--run-id", "full", "--resume", "--json")
    no_traceback(resumed.stderr)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["by_status"] == {"saved": flows}


def test_a_log_that_refuses_the_first_line_sends_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, state=base_state(flows=3, tasks_per_flow=1), rows=export_rows(3),
                          run={"result_log": "/dev/full"})
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full is absent on this system")
    done = cli("run", str(config), "--json", timeout=60)
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 1 and "/dev/full" in done.stderr and "nothing was sent" in done.stderr


# -- item 4: Retry-After and interruptible waits ----------------------------------------------


@pytest.mark.parametrize("retry_after", [86400.0, float("inf")])
def test_a_retry_after_beyond_the_cap_fails_the_flows_at_once(tmp_path: Path, retry_after: float) -> None:
    state = base_state(flows=3, tasks_per_flow=1,
                       faults={"throttle_429": 1.0, "retry_after_seconds": retry_after, "only_actions": ["save"]})
    config = write_config(tmp_path, state=state, rows=export_rows(3), run={"retry_after_max": 300})
    done = cli("run", str(config), "--json", timeout=60)
    no_traceback(done.stderr)
    report = json.loads(done.stdout)
    assert done.returncode == 2 and report["by_status"] == {"failed": 3}
    for line in read_log(Path(report["result_log"])):
        assert "Retry-After" in line["msg"] and "retry_after_max" in line["msg"]
        assert "Resource Exhausted" in line["msg"]


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), ("-5", 0.0), ("inf", float("inf")), ("1e400", float("inf")), ("nan", None), ("soon", None),
    ("Wed, 21 Oct 2099 07:28:00 GMT", float("inf")), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
])
def test_retry_after_values_are_read_safely(value: str, seconds: float | None) -> None:
    parsed = parse_retry_after(value)
    if seconds is None or seconds in (0.0, 120.0):
        assert parsed == seconds
    else:  # a date far ahead: a huge finite number, or infinity
        assert parsed is not None and parsed > 10**9


WAITS: dict[str, tuple[dict[str, Any], dict[str, Any], Callable[[dict[str, Any]], bool]]] = {
    "retry_after": ({"throttle_429": 1.0, "retry_after_seconds": 200, "only_actions": ["save"]}, {},
                    lambda stats: stats["faults"].get("throttle_429", 0) >= 1),
    "backoff": ({"error_5xx": 1.0, "only_actions": ["save"]}, {"backoff_base": 200, "backoff_max": 200, "seed": 3},
                lambda stats: stats["faults"].get("error_5xx", 0) >= 1),
    "pacing": ({}, {"rate_per_second": 0.02},
               lambda stats: stats["requests_by_action"].get("save", 0) >= 1),
}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("wait", sorted(WAITS))
def test_every_wait_ends_at_once_on_a_stop_request(tmp_path: Path, wait: str, signum: int) -> None:
    faults, run, waiting = WAITS[wait]
    state = base_state(flows=5, tasks_per_flow=1, **APP, faults=faults)
    with emulator_process(state, tmp_path) as emulator:
        config = write_config(tmp_path, state=state, rows=export_rows(5), url=emulator.url,
                              run={"concurrency": 2, "retry_after_max": 300, **run})
        process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "run", str(config)], env=ENV,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        poll(lambda: waiting(emulator.stats()), what=f"the run to wait ({wait})")
        time.sleep(0.3)  # let the run settle into its wait (it is the wait being measured)
        process.send_signal(signum)
        asked = time.monotonic()
        try:
            out, err = process.communicate(timeout=60)
        finally:
            process.kill()  # (a no-op once it has exited)
        assert time.monotonic() - asked < 5, f"the {wait} wait did not end at once"
        no_traceback(out, err)
        assert process.returncode == 130 and "--resume" in out


def _stopped_in_a_wait(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], str, str]:
    """`migrate run CONFIG ARGS` stopped by SIGTERM while it waits out a Retry-After: the process,
    its output and its errors (no traceback in them)."""
    faults, run, waiting = WAITS["retry_after"]
    state = base_state(flows=5, tasks_per_flow=1, **APP, faults=faults)
    with emulator_process(state, tmp_path) as emulator:
        config = write_config(tmp_path, state=state, rows=export_rows(5), url=emulator.url,
                              run={"concurrency": 2, "retry_after_max": 300, **run})
        process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "run", str(config), *args],
                                   env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        poll(lambda: waiting(emulator.stats()), what="the run to wait")
        process.send_signal(signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=60)
        finally:
            process.kill()
    no_traceback(out, err)
    return process, out, err


def test_a_stopped_runs_json_console_says_error_and_how_to_resume_in_json(tmp_path: Path) -> None:
    """With --log-format json, a run stopped by SIGTERM emits an `error` event (what a collector
    alerts on), then its summary and notes: the resume command keeps --log-format json."""
    process, out, err = _stopped_in_a_wait(tmp_path, "--log-format", "json")
    events = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert process.returncode == 130 and not out.strip(), (out, err)
    assert any(e["event"] == "error" and e.get("exit_code") == 130 for e in events), events
    resume = [e["message"] for e in events if e["event"] == "note" and "--resume" in e.get("message", "")]
    assert resume and "--log-format json" in resume[0], events


def test_a_stopped_runs_json_summary_says_how_to_resume(tmp_path: Path) -> None:
    """With --json the summary is all a script reads: a run stopped by SIGTERM said "its notes say
    how to complete it" on stderr, and no note was anywhere. The notes are in the JSON now."""
    process, out, err = _stopped_in_a_wait(tmp_path, "--json", "--run-id", "stopped")
    summary = json.loads(out)
    assert process.returncode == 130 == summary["exit_code"], (out, err)
    assert any("--run-id stopped --resume" in note for note in summary["notes"]), summary["notes"]


# -- item 5: the token service's hiccups -------------------------------------------------------


def test_a_token_service_hiccup_is_retried_not_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Half the token answers are 500/502/503 or code 1005 and tokens live a second: the run
    renews them through the hiccups and saves every flow."""
    state = base_state(flows=30, tasks_per_flow=1, auth={"token_ttl_seconds": 1},
                       faults={"seed": 3, "error_5xx": 0.5, "only_actions": ["token"]})
    config = write_config(tmp_path, state=state, rows=export_rows(30), run={"rate_per_second": 15})
    code, report, err = run_json(capsys, str(config))
    assert code == 0 and report["by_status"] == {"saved": 30}, err
    answers = report["emulator"]["token_answers_by_code"]
    assert answers.get("1005", 0) >= 1 and any(code.startswith("http_5") for code in answers), answers


# -- item 7: damaged result logs, targets that are not what they seem ---------------------------


def _damage(log: Path) -> tuple[list[int], int]:
    """A torn multi-byte character, a stray 0xFF, hand-edited fields, and a torn last line; the
    numbers of the damaged lines, and of the torn last one."""
    lines = log.read_bytes().splitlines(keepends=True)
    finals = [i for i, line in enumerate(lines) if json.loads(line)["status"] != "attempt"]
    torn = lines[finals[1]].rstrip(b"\n")
    lines[finals[1]] = torn[: torn.index("é".encode()) + 1] + b"\n"  # cut inside the two bytes of é
    lines[finals[2]] = lines[finals[2]][:20] + b"\xff" + lines[finals[2]][20:]
    edits: list[tuple[str, Any]] = [("ts", "yesterday"), ("latency_ms", "fast"), ("status", 7),
                                    ("target", ["flow", 1008])]
    for index, (name, value) in zip(finals[3:7], edits, strict=True):
        lines[index] = json.dumps({**json.loads(lines[index]), name: value}).encode() + b"\n"
    lines.append(b'{"run_id": "first", "status": "sav')  # a killed writer
    log.write_bytes(b"".join(lines))
    return [index + 1 for index in finals[1:7]], len(lines)


def test_a_damaged_result_log_is_read_with_one_warning_a_line(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{**row, "flow_name": f"café_{i}"} for i, row in enumerate(export_rows(10))]
    config = write_config(tmp_path, state=base_state(flows=10, tasks_per_flow=1), rows=rows,
                          run={"compare": "log"})
    code, report, _ = run_json(capsys, str(config), "--run-id", "first")
    assert code == 0
    log = Path(report["result_log"])
    damaged, torn = _damage(log)
    reported = cli("report", str(log), "--json")
    no_traceback(reported.stderr)
    assert reported.returncode == 0
    warnings = [line for line in reported.stderr.splitlines() if "warning" in line]
    assert len(warnings) == len(damaged) and all(f"{log}:{n}:" in w for n, w in zip(damaged, warnings, strict=True))
    assert f":{torn}:" not in reported.stderr  # the torn last line is skipped without a word
    assert json.loads(reported.stdout)["by_status"] == {"saved": 4}
    assert json.loads(reported.stdout)["lines_skipped"] == len(damaged) + 1
    data = log.read_bytes()
    for warning, byte in zip(warnings[:2], (0xC3, 0xFF), strict=True):  # the torn é, the stray byte
        assert f"not UTF-8: byte 0x{byte:02x} at byte offset " in warning, warning
        offset = int(warning.split("at byte offset ")[1].split()[0])
        assert data[offset] == byte
    plain = cli("report", str(log))
    assert plain.returncode == 0
    assert f"lines skipped: {len(damaged) + 1} ({len(damaged)} unreadable" in plain.stdout, plain.stdout
    resumed = cli("run", str(config), "--run-id", "first", "--resume", "--json")
    no_traceback(resumed.stderr)
    assert resumed.returncode == 0 and json.loads(resumed.stdout)["by_status"] == {"saved": 10}
    again = cli("run", str(config), "--json")
    no_traceback(again.stderr)
    assert again.returncode == 0 and json.loads(again.stdout)["by_status"] == {"unchanged": 10}


class _Raw(socketserver.BaseRequestHandler):
    behaviour = "close"

    def handle(self) -> None:
        if self.behaviour == "close":
            return  # accept, then close without a word
        if self.behaviour == "garbage":
            self.request.recv(1024)
            self.request.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\x00binary noise\r\n\r\n")
            time.sleep(0.2)
        if self.behaviour == "silent":
            self.request.recv(1024)
            time.sleep(5)


@contextmanager
def raw_server(behaviour: str, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    handler = type("Handler", (_Raw,), {"behaviour": behaviour})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _tls_context(folder: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize(("behaviour", "expected"), [
    ("close", "closed the connection"),
    ("garbage", "not HTTP"),
    ("silent", "no answer within 1"),
    ("tls", "https://"),
])
def test_a_target_that_is_not_what_it_seems_gets_a_clear_message(tmp_path: Path, behaviour: str,
                                                                  expected: str) -> None:
    tls = _tls_context(tmp_path) if behaviour == "tls" else None
    with raw_server("close" if tls else behaviour, tls) as port:
        config = write_config(tmp_path, state=base_state(), rows=export_rows(2), url=f"http://127.0.0.1:{port}",
                              run={"connect_timeout": 1})
        done = cli("run", str(config), timeout=60, env=ENV)
    no_traceback(done.stdout, done.stderr)
    message = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 1 and expected in message and not message.endswith(": "), message
    assert f"127.0.0.1:{port}" in message


class _OddTokenService(BaseHTTPRequestHandler):
    """A gateway whose token answer has `expire: "soon"`; saves succeed."""

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer({"code": 0, "msg": "OK", "data": None})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if "token" in self.path:
            self._answer({"status": 0, "msg": "SUCCESS", "data": {"accessToken": "tok-1", "expire": "soon"}})
        else:
            self._answer({"code": 0, "msg": "OK", "data": {"flowId": int(body["id"])}})


def test_a_token_answer_with_a_non_numeric_expire_does_not_crash(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OddTokenService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = write_config(tmp_path, state=base_state(), rows=export_rows(3),
                              url=f"http://127.0.0.1:{server.server_address[1]}")
        done = cli("run", str(config), "--json", timeout=60, env=ENV)
    finally:
        server.shutdown()
    no_traceback(done.stderr)
    assert done.returncode == 0 and json.loads(done.stdout)["by_status"] == {"saved": 3}


# -- item 8: reports that stay right -----------------------------------------------------------


def _first_run_with_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str], flows: int) -> tuple[Path, int]:
    """A run in which some saves failed (5xx, one attempt); then the faults are gone."""
    state = base_state(flows=flows, tasks_per_flow=1,
                       faults={"seed": 4, "error_5xx": 0.4, "only_actions": ["save"]})
    config = write_config(tmp_path, state=state, rows=export_rows(flows), run={"attempts": 1})
    code, report, _ = run_json(capsys, str(config), "--run-id", "night")
    failed = report["by_status"].get("failed", 0)
    assert code == 2 and failed > 0
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=flows, tasks_per_flow=1)), encoding="utf-8")
    return config, failed


def test_moving_the_export_before_resume_keeps_the_report_right(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = _first_run_with_failures(tmp_path, capsys, 30)
    (tmp_path / "archive").mkdir()
    (tmp_path / "export.csv").rename(tmp_path / "archive" / "export.csv")
    config.write_text(config.read_text().replace('path = "export.csv"', 'path = "archive/export.csv"'))
    code, report, _ = run_json(capsys, str(config), "--run-id", "night", "--resume")
    assert code == 0 and report["by_status"] == {"saved": 30}
    assert main(["report", report["result_log"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["by_status"] == {"saved": 30}


def test_a_resumed_runs_speed_counts_only_what_it_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, failed = _first_run_with_failures(tmp_path, capsys, 40)
    code, report, _ = run_json(capsys, str(config), "--run-id", "night", "--resume")
    sent_now = report["emulator"]["requests_by_action"]["save"]
    assert code == 0 and sent_now == failed
    assert report["flows_per_second"] * report["elapsed_seconds"] == pytest.approx(sent_now, abs=0.5)


def test_resume_without_a_run_id_picks_this_configs_run_and_says_which(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = _first_run_with_failures(tmp_path, capsys, 10)
    other_rows = export_rows(5)
    write_export(tmp_path / "other.csv", other_rows)
    other = tmp_path / "other.toml"
    other.write_text(config.read_text().replace('path = "export.csv"', 'path = "other.csv"'))
    code, _, _ = run_json(capsys, str(other), "--run-id", "other-run")  # newer, same results folder
    assert code == 0
    code, report, err = run_json(capsys, str(config), "--resume")
    assert code == 0 and report["by_status"] == {"saved": 10}
    assert report["result_log"].endswith("night.jsonl") and "resuming run night" in err
    code, _, err = run_json(capsys, str(tmp_path / "other.toml"), "--resume")  # its own run, done already
    assert "resuming run other-run" in err


@pytest.mark.parametrize("run_id", ["../../x", "/tmp/x", "a/b", "..", ".hidden", "x" * 300, "tab\there"])
def test_a_run_id_cannot_leave_the_results_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  run_id: str) -> None:
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    config = write_config(work, state=base_state(flows=1, tasks_per_flow=1), rows=export_rows(1))
    assert main(["run", str(config), "--run-id", run_id]) == 1
    err = capsys.readouterr().err
    assert "run id" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*.jsonl")) == []


# -- the token service in trouble never lets a burst through the rate limit --------------------


@pytest.mark.parametrize("token_faults", [
    {"error_5xx": 0.6},
    {"hang": 0.5, "hang_seconds": 20},
], ids=["5xx", "hang"])
def test_the_rate_holds_while_the_token_service_has_trouble(tmp_path: Path, token_faults: dict[str, Any]) -> None:
    """64 workers wait for the first token while it fails or hangs: none may have taken its rate
    turn meanwhile and fire with the others the moment the token arrives."""
    flows, rate = 64, 10
    state = base_state(flows=flows, tasks_per_flow=1, **APP,
                       faults={"seed": 4, "only_actions": ["token"], **token_faults})
    with emulator_process(state, tmp_path) as emulator:
        config = write_config(tmp_path, state=state, rows=export_rows(flows), url=emulator.url,
                              run={"concurrency": 64, "rate_per_second": rate, "request_timeout": 3,
                                   "attempts": 8, "backoff_base": 0.5, "backoff_max": 2})
        done = cli("run", str(config), "--json", timeout=240, env=ENV)
        stats = emulator.stats()
    no_traceback(done.stderr)
    assert stats["requests_by_action"].get("save", 0) >= 1, done.stderr
    assert stats["busiest_one_second_window"] <= rate, stats


class _BracketTokenService(BaseHTTPRequestHandler):
    """A token service answering HTTP 200 with 100 MB of `[`; it counts what it got to send."""

    body_bytes = 100 * 1024 * 1024
    sent: ClassVar[list[int]] = []  # each test makes a subclass with its own list

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(self.body_bytes))
        self.end_headers()
        chunk, written = b"[" * 1024 * 1024, 0
        try:
            while written < self.body_bytes:
                self.wfile.write(chunk)
                written += len(chunk)
        except OSError:
            pass  # the client stopped reading: what it read was bounded
        finally:
            self.sent.append(written)


def test_a_token_answer_that_is_not_the_envelope_is_retried_then_named(tmp_path: Path) -> None:
    handler = type("Handler", (_BracketTokenService,), {"sent": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = write_config(tmp_path, state=base_state(), rows=export_rows(3),
                              url=f"http://127.0.0.1:{server.server_address[1]}", run={"attempts": 3})
        done = cli("run", str(config), timeout=120, env=ENV)
    finally:
        server.shutdown()
    no_traceback(done.stdout, done.stderr)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "(None)" not in done.stdout and "unreadable" in done.stdout, done.stdout
    assert len(handler.sent) == 3  # retried like a 5xx
    assert max(handler.sent) < 50 * 1024 * 1024, handler.sent  # nobody read the whole of it


# -- a signal as the run finishes --------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.0, 0.03, 0.08, 0.15])
def test_a_sigterm_as_the_run_finishes_never_exits_143(tmp_path: Path, delay: float) -> None:
    """Once the summary is out, the process is closing down (its handlers put back, then the
    interpreter finalising): a SIGTERM there must not end it by the signal."""
    config = write_config(tmp_path, state=base_state(flows=19, tasks_per_flow=1), rows=export_rows(19),
                          run={"rate_per_second": 20, "concurrency": 4})
    process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "run", str(config)],
                               env={**PLAIN_ENV, "PYTHONUNBUFFERED": "1"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    out = ""
    while not (line := process.stdout.readline()).startswith("result log:"):
        assert line, "the run ended without its summary"
        out += line
    time.sleep(delay)
    process.send_signal(signal.SIGTERM)
    rest, err = process.communicate(timeout=60)
    no_traceback(err)
    # Its own code (it had finished), or 130 when the signal beat the last few lines of main.
    assert process.returncode in (0, 130), (process.returncode, out + rest, err)
