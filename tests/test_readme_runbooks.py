"""The README's "Runbooks" section, run as written: its commands, line by line, in a copy of the
checkout's configs and data, after the demo's run (as `make demo` leaves it). Each applies what
it says, and the last, the restore of the backup, returns the service to the backup exactly."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli

SECTION = re.compile(r"^## Runbooks\n(.*?)^## ", re.DOTALL | re.MULTILINE)
BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def commands() -> list[list[str]]:
    """The section's shell lines, each as the arguments after `.venv/bin/migrate`."""
    section = SECTION.search((REPO / "README.md").read_text(encoding="utf-8"))
    assert section is not None, "the README has no Runbooks section"
    block = BLOCK.search(section.group(1))
    assert block is not None, "the Runbooks section has no sh block"
    found = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == ".venv/bin/migrate", line
            found.append(words[1:])
    return found


def exported(path: Path) -> dict[int, dict[str, Any]]:
    flows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return {flow["flowId"]: flow for flow in flows}


def test_the_readme_runbooks_do_what_they_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    for folder in ("configs", "data"):
        shutil.copytree(REPO / folder, tmp_path / folder, symlinks=True)  # systemd.wants links: as they are
    (tmp_path / "results").mkdir()
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "run", "configs/demo.toml")[0] == 5  # `make demo`: the broken rows reported
    steps = commands()
    assert [step[0] for step in steps] == ["export", "disable", "enable", "edit", "edit", "restore"]
    outcomes = []
    for step in steps:
        if step[0] == "restore":  # the service as the runbooks left it, before the roll back
            assert run_cli(capsys, "export", "configs/demo.toml", "--out", "results/changed.jsonl")[0] == 0
        code, out, err = run_cli(capsys, *step)
        assert code == 0, (step, out, err)
        outcomes.append(out)
        if step[0] == "export":
            backup = exported(tmp_path / "results" / "backup.jsonl")
        if step[0] == "disable":  # every flow legacy-owner owns that was active, now paused
            paused = exported(tmp_path / "results" / "runbooks" / "pause.before.jsonl")
            assert paused and set(paused) == {i for i, f in backup.items() if f["active"] == 1}
            assert f"{len(backup)} flows: unchanged {len(backup) - len(paused)}, disabled {len(paused)}" in out
        if step[0] == "enable":
            assert f"{len(paused)} flows: enabled {len(paused)}" in out, out
        if step[:2] == ["edit", "--config"]:
            assert f"{len(backup)} flows: saved {len(backup)}" in out
        if step[:2] == ["edit", "configs/runbooks/finance-alerts.toml"]:
            finance = [i for i, f in backup.items() if f["directory"] == "finance"]
            assert finance and f"{len(finance)} flows: saved {len(finance)}" in out
            assert "(At 02:00, every day) -> " in out  # the plan shows the shift in words
    middle = exported(tmp_path / "results" / "changed.jsonl")
    assert all("bob" in f["owner"] and "legacy-owner" not in f["owner"] for f in middle.values())
    assert {f["graph"]["alertMode"] for f in middle.values() if f["directory"] == "finance"} == {1}
    assert f"{len(backup)} flows: restored" in outcomes[-1]
    assert run_cli(capsys, "export", "configs/demo.toml", "--out", "results/after.jsonl")[0] == 0
    after = exported(tmp_path / "results" / "after.jsonl")

    def kept(flow: dict[str, Any]) -> dict[str, Any]:  # but what the service keeps itself
        graph = {k: v for k, v in flow["graph"].items() if k != "creator"}
        return {**{k: v for k, v in flow.items() if k not in ("updateTime", "updateUser")}, "graph": graph}

    assert [i for i in backup if kept(backup[i]) != kept(after[i])] == []
