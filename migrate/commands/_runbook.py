"""What `migrate edit` and `migrate restore` share: their apply options and their output, over one
engine (engine/runbook.py). Not a verb itself: the CLI lists edit.py and restore.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.engine.export", "migrate.engine.runbook", "migrate.engine.job",
           "migrate.engine.inventory", "migrate.reconcile.edits", "migrate.reconcile.saved_plan", "rich.table")


def print_plan(plan: Any, as_json: bool, applying: bool = False) -> None:
    """The plan; `applying`: shown before its saves, which are about to happen."""
    from migrate.commands import print_tables
    from migrate.engine.inventory import action_cells

    if as_json:
        print(json.dumps(plan.as_json(), indent=2, ensure_ascii=False))
        return
    result, desired = plan.plan, plan.desired
    console = print_tables(f"migrate {plan.verb}: {desired.source} ({desired.selection.describe()})",
                           [("action", False), ("flow", False), ("id", False), ("freq", False), ("cycle", False),
                            ("what", True)],
                           (action_cells(action, warning_messages=True) for action in result.actions))
    counts = ", ".join(f"{action} {n}" for action, n in result.by_action().most_common())
    console.print(f"{len(result.actions)} flows matched of {desired.listed} listed: {counts or 'none'}", markup=False)
    if result.warnings_by_code:
        console.print("warnings by code: " + ", ".join(f"{k} x{v}" for k, v in result.warnings_by_code.most_common()),
                      markup=False)
    for note in result.notes:
        console.print(note, markup=False)
    by_action = result.by_action()
    if plan.changes:
        anew = f" ({by_action['create']} created anew)" if by_action["create"] else ""
        console.print(f"saving {len(plan.changes)} flows{anew}, after a before snapshot of them" if applying else
                      f"nothing was changed; `--apply` would save {len(plan.changes)} flows{anew}", markup=False)
    if by_action["conflict"]:
        console.print(f"{by_action['conflict']} conflicts are left alone; `--force` would restore them too",
                      markup=False)


def print_run(run: Any, as_json: bool, config: Path) -> None:
    from migrate.commands import output_may_close

    with output_may_close():
        _print_run(run, as_json, config)


def _print_run(run: Any, as_json: bool, config: Path) -> None:
    result, summary = run.run, run.summary
    if as_json:
        logged = str(run.log_path) if run.log_path.is_file() else None
        print(json.dumps({"exit_code": run.exit_code, "result_log": logged,
                          "before": str(run.before_path) if run.before_path and run.before_path.is_file() else None,
                          **(summary.as_json() if summary is not None else {}),
                          "notes": run.notes, "plan": None if run.plan is None else run.plan.as_json()},
                         indent=2, ensure_ascii=False))
        return
    if result is not None and run.plan is not None:
        held = sum(1 for action in run.plan.changes if action.action == "update")
        print(f"before: {run.before_path} ({held} flows as they were before this run; `migrate restore "
              f"{run.before_path} --config {config}` puts them back)" if held else
              "before: none (the flows this run created did not exist before it)")
    if summary is not None:
        print(summary.text())
    for note in run.notes:
        print(note)
    if result is not None and result.emulator_stats is not None:
        stats = result.emulator_stats
        by_action = ", ".join(f"{n} {action}" for action, n in sorted(stats["requests_by_action"].items()))
        print(f"emulator: {stats['requests']} requests ({by_action})")
    if run.log_path.is_file():
        print(f"result log: {run.log_path}")
