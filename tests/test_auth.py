"""Access tokens, request signatures and secrets, on both sides (reference §2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import FLOWS_URL, QUERY, base_state, export_rows, write_config

from migrate.cli import main
from migrate.emulator.server import EmulatorServer
from migrate.results.log import read_log
from migrate.service.signing import request_signature, token_encryption
from migrate.service.tokens import Credentials

APP_KEY, APP_SECRET = "app-7f3c", "s3cr3t-0f-the-app-9d1e"
APPS = {"applications": [{"app_key": APP_KEY, "app_secret": APP_SECRET}]}
TOKEN_URL = "/apim-token-service/v2.0/token"


def token_body(secret: str = APP_SECRET, stamp: int | None = None, **extra: Any) -> dict[str, Any]:
    stamp = stamp or int(time.time() * 1000)
    return {"appKey": APP_KEY, "encryption": token_encryption(APP_KEY, stamp, secret), "timestamp": stamp, **extra}


async def post(server: EmulatorServer, path: str, body: Any, headers: dict[str, str] | None = None,
               params: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.post(
        f"{server.url}{path}", data=body if isinstance(body, bytes) else json.dumps(body).encode(),
        headers=headers or {}, params=params
    ) as response:
        return response.status, await response.json()


async def test_token_service(start_emulator: Any) -> None:
    async with start_emulator(base_state(**APPS)) as server:
        status, first = await post(server, f"{TOKEN_URL}/get", token_body(stamp=int(time.time() * 1000)))
        assert status == 200 and first["status"] == 0 and first["data"]["expire"] == 7200
        assert first["business"] == "apim-token-service"
        again = (await post(server, f"{TOKEN_URL}/get", token_body(stamp=int(time.time() * 1000) + 1)))[1]
        assert again["data"]["accessToken"] == first["data"]["accessToken"]  # same token before expiry
        replay = token_body(stamp=int(time.time() * 1000) + 5)
        assert (await post(server, f"{TOKEN_URL}/get", replay))[1]["status"] == 0
        assert (await post(server, f"{TOKEN_URL}/get", replay))[1]["status"] == 1001
        assert (await post(server, f"{TOKEN_URL}/get", {**token_body(), "appKey": "nope"}))[1]["status"] == 1002
        assert (await post(server, f"{TOKEN_URL}/get", token_body(secret="wrong")))[1]["status"] == 1003
        assert (await post(server, f"{TOKEN_URL}/get", {"appKey": APP_KEY}))[1]["status"] == 1202
        fresh = (await post(server, f"{TOKEN_URL}/refresh", token_body(
            stamp=int(time.time() * 1000) + 2, accessToken=first["data"]["accessToken"])))[1]
        assert fresh["status"] == 0 and fresh["data"]["accessToken"] != first["data"]["accessToken"]
        stale = (await post(server, f"{TOKEN_URL}/refresh", token_body(
            stamp=int(time.time() * 1000) + 3, accessToken=first["data"]["accessToken"])))[1]
        assert stale["status"] == 1204


async def test_every_request_is_verified(start_emulator: Any) -> None:
    async with start_emulator(base_state(**APPS, auth={"token_ttl_seconds": 3600})) as server:
        token = (await post(server, f"{TOKEN_URL}/get", token_body()))[1]["data"]["accessToken"]
        query = {"action": "enable", **QUERY}
        body = b'{"flowId": 1001}'

        def signed(secret: str = APP_SECRET, stamp: int | None = None, use_token: str = token) -> dict[str, str]:
            stamp = stamp or int(time.time() * 1000)
            return {"apim-accesstoken": use_token, "apim-timestamp": str(stamp),
                    "apim-signature": request_signature(use_token, query, body, stamp, secret)}

        assert (await post(server, FLOWS_URL, body, signed(), query))[1]["code"] == 0
        status, unsigned = await post(server, FLOWS_URL, body, {}, query)
        assert (status, unsigned["status"]) == (401, 1202)
        assert (await post(server, FLOWS_URL, body, signed(secret="wrong"), query))[1]["status"] == 1003
        tampered = signed()
        assert (await post(server, FLOWS_URL, b'{"flowId": 1002}', tampered, query))[1]["status"] == 1003
        assert (await post(server, FLOWS_URL, body, signed(use_token="forged"), query))[1]["status"] == 1203
        skewed = signed(stamp=int(time.time() * 1000) - 3_600_000)
        assert (await post(server, FLOWS_URL, body, skewed, query))[1]["status"] == 1004


def run_json(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    code = main(["run", str(config), "--json"])
    out, err = capsys.readouterr()
    report = json.loads(out) if out.strip().startswith("{") else {"stderr": err}
    lines = list(read_log(Path(report["result_log"]))) if "result_log" in report else []
    return code, report, lines


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_APP_KEY", APP_KEY)
    monkeypatch.setenv("MIGRATE_APP_SECRET", APP_SECRET)


def test_token_expiring_in_the_middle_of_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                app_env: None) -> None:
    state = base_state(flows=45, tasks_per_flow=1, **APPS, auth={"token_ttl_seconds": 1})
    config = write_config(tmp_path, state=state, rows=export_rows(45), run={"rate_per_second": 20})
    code, report, _lines = run_json(capsys, config)
    assert code == 0 and report["by_status"] == {"saved": 45}
    assert report["emulator"]["token_requests"] >= 3  # renewed as it neared expiry, about every second
    assert report["emulator"]["answers_by_code"].get("1203", 0) <= 2


def test_a_wrong_secret_aborts_with_4_and_one_token_request(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_APP_KEY", APP_KEY)
    monkeypatch.setenv("MIGRATE_APP_SECRET", "not-the-secret")
    state = base_state(flows=20, tasks_per_flow=1, **APPS)
    code, report, lines = run_json(capsys, write_config(tmp_path, state=state, rows=export_rows(20)))
    assert code == 4
    assert report["emulator"]["token_requests"] == 1 and report["emulator"]["requests"] == 0  # no storm
    assert {line["status"] for line in lines} == {"not_attempted"} and len(lines) == 20
    assert all(line["code"] == 1003 for line in lines)
    assert "encryption invalid" in lines[0]["msg"]
    # --json is all a script reads: why the run stopped is in it (it was only in the human summary)
    assert any(note.startswith("aborted: access refused (1003)") for note in report["notes"]), report["notes"]


def test_clock_skew_is_refused_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str], app_env: None) -> None:
    state = base_state(flows=3, tasks_per_flow=1, **APPS, auth={"clock_offset_seconds": 3600})
    code, _report, lines = run_json(capsys, write_config(tmp_path, state=state, rows=export_rows(3)))
    assert code == 4 and all(line["code"] == 1004 for line in lines)
    assert "timestamp is 3600 s away" in lines[0]["msg"]


def test_the_secret_never_leaves_the_process(tmp_path: Path, app_env: None) -> None:
    """The whole run, as a user starts it; every output and every file is searched."""
    state = base_state(flows=30, tasks_per_flow=1, **APPS, faults={"error_5xx": 0.2, "seed": 2})
    rows = export_rows(30)
    rows[3]["schedule"] = "bad"  # an invalid row too: its message must not carry secrets
    config = write_config(tmp_path, state=state, rows=rows)
    outputs = []
    for args in (["run", str(config)], ["plan", str(config)], ["--help"], ["run", "--help"]):
        done = subprocess.run([sys.executable, "-m", "migrate.cli", *args], capture_output=True, text=True,
                              env={**os.environ}, cwd=tmp_path, timeout=120)
        outputs += [done.stdout, done.stderr]
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file() and p.name != "state.json"]
    assert any('"saved"' in text for text in written)  # the result log is among them
    for text in outputs + written:
        assert APP_SECRET not in text
    assert APP_SECRET not in repr(Credentials(APP_KEY, APP_SECRET))
    assert APP_SECRET not in str(Credentials(APP_KEY, APP_SECRET))


def test_credentials_file_must_be_private(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIGRATE_APP_KEY", raising=False)
    monkeypatch.delenv("MIGRATE_APP_SECRET", raising=False)
    secrets_file = tmp_path / "app.toml"
    secrets_file.write_text(f'app_key = "{APP_KEY}"\napp_secret = "{APP_SECRET}"\n', encoding="utf-8")
    secrets_file.chmod(0o644)
    config = write_config(tmp_path, state=base_state(flows=2, tasks_per_flow=1, **APPS), rows=export_rows(2))
    config.write_text(config.read_text().replace("[target]\n", '[target]\ncredentials_file = "app.toml"\n'))
    code = main(["run", str(config)])
    err = capsys.readouterr().err
    assert code == 1 and "chmod 600" in err and APP_SECRET not in err
    secrets_file.chmod(0o600)
    assert main(["run", str(config)]) == 0


def test_a_real_target_needs_credentials(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIGRATE_APP_KEY", raising=False)
    monkeypatch.delenv("MIGRATE_APP_SECRET", raising=False)
    config = write_config(tmp_path, state=base_state(), rows=export_rows(1), url="https://apim.example.invalid")
    assert main(["run", str(config)]) == 1
    assert "MIGRATE_APP_KEY" in capsys.readouterr().err
