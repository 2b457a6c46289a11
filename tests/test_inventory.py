"""The parallel plan gives exactly the serial plan's inventory, duplicates across batches included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import base_state, export_rows, write_config

from migrate.config import load_settings
from migrate.engine.inventory import BATCH_ROWS, plan_job


def test_parallel_and_serial_plans_agree(tmp_path: Path) -> None:
    rows = export_rows(BATCH_ROWS * 2 + 500)
    rows[10]["schedule"] = "every day"  # invalid in the first batch
    rows[BATCH_ROWS + 7]["flow_id"] = rows[3]["flow_id"]  # a duplicate across batches
    rows[-1]["flow_id"] = rows[-2]["flow_id"]  # and one within a batch
    config = write_config(tmp_path, state=base_state(), rows=rows)
    settings = load_settings(config)
    serial, parallel = plan_job(settings, workers=1), plan_job(settings, workers=2)
    assert parallel.as_json() == serial.as_json()
    assert serial.invalid_by_reason == {"INVALID_SYNTAX": 1, "DUPLICATE": 2}
    assert serial.found == len(rows) and serial.valid == len(rows) - 3


def test_contiguous_profile_rows_stream_in_batches(tmp_path: Path) -> None:
    lines = [f"{i % 60} {i % 24} * * * /bin/job{i}" for i in range(BATCH_ROWS + 300)] + ["0 0 1,15 * 5 /bin/pay"]
    (tmp_path / "jobs.cron").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text('[source]\npath = "jobs.cron"\nprofile = "crontab"\n[defaults]\ntype = 1\nalertMode = 0\n'
                      'doAs = "d"\nowners = "a"\nvisitors = ""\nstartTime = "2026-12-01"\n[target]\n'
                      'url = "https://h.invalid"\nuser_id = "u"\norg_id = "o"\n', encoding="utf-8")
    settings = load_settings(config)
    serial, parallel = plan_job(settings, workers=1), plan_job(settings, workers=2)
    assert parallel.as_json() == serial.as_json()
    assert serial.found == len(lines) and serial.invalid_by_reason == {"DOM_OR_DOW": 1}




def test_a_mixed_plans_orphan_row_keeps_every_column_of_its_table() -> None:
    """A folder's plan has a format column first; an orphan (a live flow, of no source row) has an
    empty cell there, not none (its row shifted a column left)."""
    import io

    from migrate.engine.inventory import PlanResult
    from migrate.reconcile.diff import Action
    from migrate.sources.mixed import Span

    plan = PlanResult(3, "estate", "mixed: crontab, kubernetes", sources=[
        Span("crontab", Path("ops.cron"), 1, 2), Span("kubernetes", Path("jobs.yaml"), 3, 3)])
    plan.actions = [Action("create", "k", "job", [3], "", freq="0 0 2 * * ? *", cycle="D"),
                    Action("orphaned", "[migrate:crontab/0123456789abcdef]", "gone.sh", flow_id="5242")]
    out = io.StringIO()
    plan.write_markdown(out)
    table = out.getvalue().split("## Flows\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[0].startswith("| format | action |")
    assert {row.count("|") for row in table} == {table[0].count("|")}, table
    assert table[-1].startswith("|  | orphaned | gone.sh | 5242 |"), table[-1]


def test_the_plan_table_names_the_refused_value_and_the_rows(tmp_path: Path, monkeypatch: Any,
                                                             capsys: Any) -> None:
    # The table said `startTime: must be a date written YYYY-MM-DD` and left the reader to find which
    # value of which row (only --json and --markdown said them).
    from conftest import run_cli

    monkeypatch.setenv("COLUMNS", "250")
    rows = export_rows(3)
    rows[1]["owners"] = ""
    config = write_config(tmp_path, state=base_state(), rows=rows)
    text = config.read_text(encoding="utf-8").replace('startTime = "2026-12-01"\n', "")
    config.write_text(text.replace("[mapping.fields]\n", '[mapping.fields]\nstartTime = "start"\n'),
                      encoding="utf-8")
    (tmp_path / "export.csv").write_text("flow_id,flow_name,schedule,owners,task_id,start\n"
                                         "1001,flow1,0 0 2 * * ? *,alice,500001,11/27/2026\n"
                                         "1002,flow2,0 0 2 * * ? *,,500002,2026-12-01\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", str(config), "--offline")
    lines = [line for line in out.splitlines() if "flow1" in line or "flow2" in line]
    assert code == 5 and '(value "11/27/2026")' in lines[0] and "owners: is required" in out, out
    assert "row 1 " in out and "row 2 " in out and "(value missing)" not in out, out
