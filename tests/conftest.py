"""Shared fixtures: an emulator on 127.0.0.1 (port 0), configs and exports written to tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from migrate.emulator.config import EmulatorConfig
from migrate.emulator.server import EmulatorServer
from migrate.sources.readers import SourceRow

# CI is deterministic: every property test draws the same examples on every run ("ci"). To search
# for new failures, `make explore` (HYPOTHESIS_PROFILE=explore: fresh random examples, failures kept
# in .hypothesis/ and replayed first next time); a failure found there becomes an @example.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
USER = {"user_id": "u1", "name": "alice", "org_id": "o1"}
QUERY = {"userId": "u1", "orgId": "o1"}
FLOWS_URL = "/batch-processing-service/v2.1/flows"


def shared_file(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"../shared/{relative} is absent (it exists for CI and developers, not users)")
    return path


def base_state(flows: int = 3, tasks_per_flow: int = 2, **extra: Any) -> dict[str, Any]:
    """Users alice (u1, o1), bob (u2, o1, not an owner), dora (u3, locked), eve (u4, org o2), carol
    and dave (u5, u6, o1: owners the runbook tests swap in; the emulator refuses owners who are not
    users of the organisation);
    flows 1001.. owned by alice, tasks 500001.. ."""
    return {
        "users": [
            USER,
            {"user_id": "u2", "name": "bob", "org_id": "o1"},
            {"user_id": "u3", "name": "dora", "org_id": "o1", "locked": True},
            {"user_id": "u4", "name": "eve", "org_id": "o2"},
            {"user_id": "u5", "name": "carol", "org_id": "o1"},
            {"user_id": "u6", "name": "dave", "org_id": "o1"},
        ],
        "tasks": [{"task_id": str(500000 + i), "name": f"task{i}"} for i in range(1, flows * tasks_per_flow + 1)],
        "flows": [
            {"flow_id": 1000 + i, "name": f"flow{i}", "owners": ["alice", "dora"], "org_id": "o1"}
            for i in range(1, flows + 1)
        ],
        **extra,
    }


def save_body(flow_id: int | str = 1001, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(flow_id), "type": 1, "name": f"flow{int(flow_id) - 1000}", "freq": "0 0 0 * * ? *",
        "cycle": "D", "alertMode": 0, "doAs": "db_x", "parameters": "[]", "owners": "alice",
        "desc": "", "startTime": "2026-12-01", "visitors": "", "active": 0, "queue": "",
        "tasks": [], "flows": [], "relations": [],
    }
    body.update(changes)
    return body


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(EmulatorConfig.model_validate(base_state())) as server:
        yield server


@pytest.fixture
def start_emulator() -> Callable[..., Any]:
    """`async with start_emulator(state) as server:` for tests that need their own state."""

    def start(state: dict[str, Any], state_path: Path | None = None) -> EmulatorServer:
        return EmulatorServer(EmulatorConfig.model_validate(state), state_path)

    return start


def write_export(path: Path, rows: list[dict[str, str]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def export_rows(count: int, first_flow: int = 1001) -> list[dict[str, str]]:
    """One row per flow, one task each (task 500001.. for flow 1001..)."""
    return [
        {"flow_id": str(first_flow + i), "flow_name": f"flow{first_flow + i - 1000}",
         "schedule": "0 0 2 * * ? *", "owners": "alice", "task_id": str(500001 + first_flow - 1001 + i)}
        for i in range(count)
    ]


def _toml_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def write_config(tmp_path: Path, *, state: dict[str, Any], rows: list[dict[str, str]] | None = None,
                 run: dict[str, Any] | None = None, user_id: str = "u1", url: str = "embedded") -> Path:
    """A run config over an export of `rows` against an embedded emulator holding `state`."""
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    if rows is not None:
        write_export(tmp_path / "export.csv", rows)
    run_settings = {"concurrency": 8, "rate_per_second": 200, "backoff_base": 0.01, "backoff_max": 0.05,
                    "request_timeout": 5, "result_log": "results/{run_id}.jsonl", **(run or {})}
    config = tmp_path / "run.toml"
    config.write_text(textwrap.dedent(f"""
        [source]
        path = "export.csv"

        [mapping.fields]
        id = "flow_id"
        name = "flow_name"
        freq = "schedule"
        owners = "owners"

        [mapping.tasks]
        task_id = "task_id"

        [defaults]
        type = 1
        alertMode = 0
        doAs = "db_x"
        visitors = ""
        startTime = "2026-12-01"
        active = 0

        [target]
        url = "{url}"
        user_id = "{user_id}"
        org_id = "o1"
        emulator_config = "state.json"

        [run]
    """) + "".join(f"{k} = {_toml_value(v)}\n" for k, v in run_settings.items()), encoding="utf-8")
    return config


def defaults_starting(start_time: str) -> tuple[str, ...]:
    """PROFILE_DEFAULTS with another [defaults] startTime (a day long past: the flow runs from now)."""
    return tuple(f'startTime = "{start_time}"' if line.startswith("startTime") else line for line in PROFILE_DEFAULTS)


def plan_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: str, source: object,
                 source_lines: str = "", extra: str = "", target: str = "",
                 start_time: str | None = None) -> tuple[int, dict[str, Any], str]:
    """`migrate plan --json --offline` over one export read by a profile: `source_lines` go into
    [source] (options, encoding), `extra` after it ([mapping] …), `target` into [target], whose
    gateway is never reached; `start_time` the flows' [defaults] startTime, if not PROFILE_DEFAULTS'."""
    config = tmp_path / f"{profile}-plan.toml"
    defaults = PROFILE_DEFAULTS if start_time is None else defaults_starting(start_time)
    config.write_text("\n".join([
        "[source]", f'path = "{source}"', f'profile = "{profile}"', source_lines, extra, *defaults,
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', target, ""]),
        encoding="utf-8")
    from migrate.cli import main

    code = main(["plan", str(config), "--json", "--offline"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


PROFILE_DEFAULTS = ("[defaults]", "type = 1", "alertMode = 0", 'doAs = "db"', 'visitors = ""', 'owners = "alice"',
                    'startTime = "2026-12-01"')


def profile_run_config(config: Path, profile: str, source: object, *, source_lines: str = "", extra: str = "",
                       target: str = "", run: str = "", emulator_config: object = "state.json",
                       emulator_state: object = "emulator.sqlite", rate: int = 200) -> Path:
    """A run of one export read by a profile, against an embedded emulator kept in a SQLite file
    (the caller writes its config, `state.json` by default); results beside the config."""
    config.write_text("\n".join([
        "[source]", f'path = "{source}"', f'profile = "{profile}"', source_lines, extra, *PROFILE_DEFAULTS,
        "[target]", 'user_id = "u1"', 'org_id = "o1"', f'emulator_config = "{emulator_config}"',
        f'emulator_state = "{emulator_state}"', target,
        "[run]", f"rate_per_second = {rate}", 'result_log = "results/{run_id}.jsonl"', run, ""]), encoding="utf-8")
    return config


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`migrate ARGS` in this process: its exit code, stdout and stderr."""
    from migrate.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def standard_cells(row: SourceRow) -> dict[str, str]:
    """A profile's row with every standard column (a profile leaves blank ones out)."""
    from migrate.sources.profiles import STANDARD_COLUMNS

    return {**dict.fromkeys(STANDARD_COLUMNS, ""), **row.cells}


@contextmanager
def emulator_process(config: Path, state: dict[str, Any], store: Path | None = None) -> Iterator[str]:
    """`migrate emulator` in a process of its own (the runs it serves are killed), holding `state`
    (written to `config`), its state kept in `store` when given: its URL."""
    config.write_text(json.dumps(state), encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "migrate.cli", "emulator", "--port", "0", "--config",
                                str(config), *(["--state", str(store)] if store is not None else [])],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)
