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


def test_a_flow_the_caller_only_sees_is_unchanged_where_the_verb_changes_nothing_of_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Flow 1003 is bob's, alice (the caller) a visitor. An owner change that does not touch it, and
    a restore of a snapshot of every flow as they are, called it invalid, CALLER_NOT_OWNER (with a
    migration's advice), exit 5: a clean roll back could not be told from a broken one (found by a
    reviewer). It is `unchanged` now; an edit that would change it is NO_PRIVILEGE."""
    state = base_state(flows=3, tasks_per_flow=1)
    state["flows"][2].update(owners=["bob"], visitors=["alice"])
    config = write_config(tmp_path, state=state, rows=export_rows(3))
    config.write_text(config.read_text(encoding="utf-8").replace(  # kept between the plan and the apply
        'emulator_config = "state.json"\n', 'emulator_config = "state.json"\nemulator_state = "emulator.sqlite"\n'),
        encoding="utf-8")
    code, out, err = run_cli(capsys, "edit", "--config", str(config), "--replace", "owners=dora->carol", "--json")
    actions = {a["flow_id"]: a for a in json.loads(out)["actions"]}
    assert code == 3 and actions["1003"]["action"] == "unchanged", (actions, err)
    assert (actions["1003"]["freq"], actions["1003"]["cycle"]) == ("0 0 0 * * ? *", "D"), actions["1003"]  # were empty
    assert {actions[i]["action"] for i in ("1001", "1002")} == {"update"}, actions
    snapshot = tmp_path / "all.jsonl"
    code, _, err = run_cli(capsys, "export", str(config), "--out", str(snapshot))
    assert code == 0, err
    code, out, err = run_cli(capsys, "restore", str(snapshot), "--config", str(config), "--json")
    plan = json.loads(out)
    assert code == 0 and plan["by_action"] == {"unchanged": 3}, (plan, err)
    for edit in (("--set", "alertMode=1"), ("--set", "owners=dora"), ("--replace", "owners=bob->dora")):
        # an owner change too: the service refuses any save of it (CALLER_NOT_OWNER's advice, to add the
        # caller to the owners, could not help)
        code, out, err = run_cli(capsys, "edit", "--config", str(config), "--id", "1003", *edit, "--json")
        [action] = json.loads(out)["actions"]
        assert code == 5 and action["action"] == "invalid", (edit, action)
        assert [e["code"] for e in action["errors"]] == ["NO_PRIVILEGE"], (edit, action)
        assert "only sees it" in action["errors"][0]["message"]
    # Applied, as planned: one line a flow, the plan's own (they came twice, `unchanged` and then
    # CALLER_NOT_OWNER from the run's own mapping, exit 5)
    for command, wanted, code_wanted in (
            (("edit", "--config", str(config), "--replace", "owners=dora->carol"), {"saved": 2, "unchanged": 1}, 0),
            (("restore", str(snapshot), "--config", str(config)), {"restored": 2, "unchanged": 1}, 0),
            (("edit", "--config", str(config), "--set", "alertMode=1"), {"saved": 2, "invalid": 1}, 5)):
        code, out, err = run_cli(capsys, *command, "--apply", "--json")
        report = json.loads(out)
        assert code == code_wanted and report["by_status"] == wanted, (command, report, err)
        lines = [json.loads(line) for line in Path(report["result_log"]).read_text(encoding="utf-8").splitlines()]
        mine = [line for line in lines if line.get("flow_id") == "1003" and line["status"] != "attempt"]
        assert len(mine) == 1 and mine[0].get("code") in (None, "NO_PRIVILEGE"), mine
