"""A runbook against a real service (not the embedded emulator, whose users the tool can read):
the caller's name is unknown unless `[target] user_name` says it, so an owner change that would
lock the caller out cannot be refused, and the plan says so (found by a fresh user: an edit locked
the caller out of a flow, and the next migration made it a twin)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_url_mistake import APP_KEY, APP_SECRET, emulator

from tests.conftest import base_state, export_rows, run_cli, write_config


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATE_APP_KEY", APP_KEY)
    monkeypatch.setenv("MIGRATE_APP_SECRET", APP_SECRET)


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("user_name", [None, "alice"])
def test_an_owner_change_says_where_the_caller_could_not_be_checked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], user_name: str | None) -> None:
    state = base_state(flows=2, tasks_per_flow=1, applications=[{"app_key": APP_KEY, "app_secret": APP_SECRET}])
    with emulator(state) as (url, _):
        config = write_config(tmp_path, state=state, rows=export_rows(2), url=url)
        if user_name:
            config.write_text(config.read_text(encoding="utf-8").replace(
                'org_id = "o1"\n', f'org_id = "o1"\nuser_name = "{user_name}"\n'), encoding="utf-8")
        code, out, err = run_cli(capsys, "edit", "--config", str(config), "--id", "1001",
                                 "--replace", "owners=alice->bob", "--json")
    plan = json.loads(out)
    notes = " ".join(plan.get("notes", []))
    if user_name is None:  # not known: the change is planned, and the plan says the caller was not checked
        assert code == 3 and plan["by_action"] == {"update": 1}, (plan, err)
        assert "owners were not checked" in notes and "drops out of its listing" in notes, notes
    else:  # known: refused before anything is sent
        assert code == 5 and "owners were not checked" not in notes, (plan, err)
        assert "CALLER_NOT_OWNER" in json.dumps(plan["actions"]), plan["actions"]


def test_the_embedded_emulators_caller_is_known_by_its_config(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """With the embedded emulator the caller's name is its config's (configuration.md): an owner
    change that keeps the caller is planned with no note that owners were not checked (the note
    came on the README's own owner change, telling the user to set what is not needed)."""
    state = base_state(flows=2, tasks_per_flow=1)
    config = write_config(tmp_path, state=state, rows=export_rows(2))
    assert [u["name"] for u in state["users"] if u["user_id"] == "u1"] == ["alice"]  # the caller, an owner
    code, out, err = run_cli(capsys, "edit", "--config", str(config), "--id", "1001",
                             "--replace", "owners=dora->bob", "--json")
    plan = json.loads(out)
    assert code == 3 and plan["by_action"] == {"update": 1}, (plan, err)
    assert "owners were not checked" not in " ".join(plan.get("notes", [])), plan["notes"]
