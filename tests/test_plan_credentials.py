"""A plan against a service that refuses the credentials, the user or the account exits 4 with
the service's reason, as a run that meets the same refusal does (docs/commands.md, "Exit codes":
"aborted by the service … credentials refused"); a target that cannot be reached stays exit 1."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from conftest import base_state, export_rows, run_cli, write_config

from migrate.exit_codes import EXIT_ABORTED, EXIT_CANNOT_RUN

APP_KEY, APP_SECRET = "plan-app-51c2", "plan-s3cret-e8a4"


def _config(tmp_path: Path, user_id: str = "u1", url: str = "embedded", clock_offset: int = 0) -> Path:
    """Three flows to plan against an embedded emulator that knows one application (and whose
    clock is `clock_offset` seconds off)."""
    state = base_state(flows=3, tasks_per_flow=1, applications=[{"app_key": APP_KEY, "app_secret": APP_SECRET}],
                       auth={"clock_offset_seconds": clock_offset})
    return write_config(tmp_path, state=state, rows=export_rows(3), user_id=user_id, url=url)


@pytest.mark.parametrize(("key", "secret", "user_id", "clock_offset", "code"), [
    (APP_KEY, "not-the-secret", "u1", 0, 1003),  # a wrong secret: the token request's signature is refused
    ("no-such-app", APP_SECRET, "u1", 0, 1002),  # an application key the token service does not know
    (APP_KEY, APP_SECRET, "u1", 3600, 1004),  # a clock an hour off: every timestamp refused
    (APP_KEY, APP_SECRET, "u9", 0, 62101),  # a user the service does not know
], ids=["wrong-secret", "unknown-key", "clock-skew", "unknown-user"])
def test_a_refused_plan_exits_4_as_the_run_does(key: str, secret: str, user_id: str, clock_offset: int, code: int,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_APP_KEY", key)
    monkeypatch.setenv("MIGRATE_APP_SECRET", secret)
    config = _config(tmp_path, user_id, clock_offset=clock_offset)

    exit_code, out, err = run_cli(capsys, "plan", str(config))
    assert exit_code == EXIT_ABORTED, err
    assert "aborted by the service" in err and str(code) in err, err
    assert "Traceback" not in err and secret not in out + err

    exit_code, out, err = run_cli(capsys, "plan", str(config), "--json")
    assert exit_code == EXIT_ABORTED, err
    document = json.loads(out)
    assert document["exit_code"] == EXIT_ABORTED and "aborted by the service" in document["error"], document

    exit_code, _, err = run_cli(capsys, "run", str(config))  # the contract the plan now keeps
    assert exit_code == EXIT_ABORTED, err

    # and every verb that reads the live service first: an export, a runbook
    exit_code, _, err = run_cli(capsys, "export", str(config), "--out", str(tmp_path / "backup.jsonl"))
    assert exit_code == EXIT_ABORTED and "Traceback" not in err and secret not in err, err
    assert not (tmp_path / "backup.jsonl").exists()
    exit_code, _, err = run_cli(capsys, "disable", str(config), "--id", "1001")
    assert exit_code == EXIT_ABORTED and "Traceback" not in err, err


def test_a_plan_whose_credentials_are_accepted_still_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_APP_KEY", APP_KEY)
    monkeypatch.setenv("MIGRATE_APP_SECRET", APP_SECRET)
    exit_code, out, err = run_cli(capsys, "plan", str(_config(tmp_path)), "--json")
    assert exit_code == 3, err  # the three flows differ from the emulator's
    assert json.loads(out)["flows_found"] == 3


def test_an_unreachable_target_stays_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_APP_KEY", APP_KEY)
    monkeypatch.setenv("MIGRATE_APP_SECRET", APP_SECRET)
    with socket.socket() as probe:  # a port just free: nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exit_code, _, err = run_cli(capsys, "plan", str(_config(tmp_path, url=f"http://127.0.0.1:{port}")))
    assert exit_code == EXIT_CANNOT_RUN and "unreachable" in err and "aborted" not in err, err
