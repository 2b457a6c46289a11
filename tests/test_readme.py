"""The README's commands, run as written, line by line, in a copy of the checkout's configs and
data. "A first migration": a copy of a profile's config planned (the review as Markdown), run,
planned again with nothing left to do, and reported as a page. "Runbooks", after the demo's run
(as `make demo` leaves it): each applies what it says, and the last, the restore of the backup,
returns the service to the backup exactly."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_cli

BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def commands(title: str) -> list[list[str]]:
    """A section's shell lines, each as the arguments after `.venv/bin/migrate` (or `cp`'s)."""
    section = re.search(rf"^## {re.escape(title)}\n(.*?)^## ", (REPO / "README.md").read_text(encoding="utf-8"),
                        re.DOTALL | re.MULTILINE)
    assert section is not None, f"the README has no {title!r} section"
    block = BLOCK.search(section.group(1))
    assert block is not None, f"the {title!r} section has no sh block"
    found = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] in (".venv/bin/migrate", "cp"), line
            found.append(words if words[0] == "cp" else words[1:])
    return found


def checkout_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in ("configs", "data"):
        shutil.copytree(REPO / folder, tmp_path / folder, symlinks=True)  # systemd.wants links: as they are
    (tmp_path / "results").mkdir()
    monkeypatch.chdir(tmp_path)


def test_the_readme_first_migration_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    checkout_copy(tmp_path, monkeypatch)
    steps = commands("A first migration, step by step")
    assert [step[0] for step in steps] == ["cp", "plan", "run", "plan", "report"]
    shutil.copy(steps[0][1], steps[0][2])
    codes = []
    for step in steps[1:]:
        redirect = step.index(">") if ">" in step else None
        code, out, err = run_cli(capsys, *(step[:redirect] if redirect else step))
        assert "Traceback" not in err, err
        if redirect:
            Path(step[redirect + 1]).write_text(out, encoding="utf-8")
        codes.append(code)
    review = (tmp_path / "results" / "plan.md").read_text(encoding="utf-8")
    assert review.startswith("# Migration plan") and "## Flows" in review
    assert codes[0] in (3, 5) and codes[1] in (0, 5) and codes[2] in (0, 5)  # the example refuses a job or two
    again = run_cli(capsys, "plan", "configs/my-run.toml", "--json")
    assert not {"create", "update"} & set(json.loads(again[1])["by_action"]), again[1]
    assert codes[3] == 0 and (tmp_path / "results" / "review.html").read_text(encoding="utf-8").startswith("<!")


def exported(path: Path) -> dict[int, dict[str, Any]]:
    flows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return {flow["flowId"]: flow for flow in flows}


def test_the_readme_runbooks_do_what_they_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    checkout_copy(tmp_path, monkeypatch)
    assert run_cli(capsys, "run", "configs/demo.toml")[0] == 5  # `make demo`: the broken rows reported
    steps = commands("Runbooks")
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


def test_the_readme_demo_summary_is_what_the_demo_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    section = re.search(r"^## Two commands\n(.*?)^## ", (REPO / "README.md").read_text(encoding="utf-8"),
                        re.DOTALL | re.MULTILINE)
    assert section is not None
    shown = next(body for tag, body in re.findall(r"```(\w*)\n(.*?)```", section.group(1), re.DOTALL)
                 if not tag).splitlines()
    checkout_copy(tmp_path, monkeypatch)
    code, out, err = run_cli(capsys, "demo", "--config", "configs/demo.toml")
    assert code == 5, err  # what `make demo` checks: the broken rows reported
    printed = out.splitlines()
    assert printed[:2] == shown[:2]  # the counts and the errors by code, exactly
    assert printed[3].startswith("emulator: 204 saves of 204 flows") and shown[3].startswith(printed[3][:33])
