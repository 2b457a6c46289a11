"""What `migrate enable`, `migrate disable` and `migrate delete` share: their command line and their
output, over one engine (engine/flow_actions.py). Not a verb itself: the CLI lists their modules."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from migrate.commands import add_apply_arguments
from migrate.commands._runbook import Applying, applying, say_applying, say_outcome
from migrate.console import flows_text
from migrate.selection import add_selection_arguments

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.engine.export", "migrate.engine.flow_actions", "migrate.engine.job", "rich.table")

DOES = {"enable": "schedule the flows of a selection again (Enable Flow), plan first",
        "disable": "stop scheduling the flows of a selection (Disable Flow), plan first",
        "delete": "delete the flows of a selection (Delete Flow), plan first, a snapshot of each first"}


def add_toggle_parser(verbs: Any, verb: str) -> None:
    parser = verbs.add_parser(verb, help=DOES[verb])
    parser.add_argument("config", type=Path)
    add_apply_arguments(parser, verb)
    add_selection_arguments(parser)


def execute_toggle(args: argparse.Namespace, verb: str) -> int:
    from migrate.commands import check_apply_arguments, output_may_close, refuse, resume_hint
    from migrate.config import load_settings
    from migrate.engine.flow_actions import apply_toggle, plan_toggle
    from migrate.selection import selection_from_args

    selection = selection_from_args(args)  # a bad criterion is refused before the config is read
    apply = args.apply or args.yes
    problem = check_apply_arguments(args)
    if problem:
        return refuse(problem)
    settings = load_settings(args.config)
    if not apply:
        plan = plan_toggle(settings, verb, selection)  # type: ignore[arg-type]  # argparse: the verb's name
        with output_may_close():
            _show_plan(plan, args.json)
        return plan.exit_code
    run = applying(settings, verb, args)
    result = apply_toggle(settings, verb, selection, run.run_id, args.resume, args.before,  # type: ignore[arg-type]
                          resume_hint(args), show=lambda plan: _say_planned(plan, args.config, run))
    with output_may_close():
        _show_result(result, args, run)
    return result.exit_code


def _planned_text(plan: Any, before: str | None, config: Path) -> str:
    text = (f"{flows_text(len(plan.actions))} matched of {plan.read.listed} listed; "
            f"{len(plan.changes)} to {plan.verb}; before: {before or 'none (nothing to change)'}")
    if plan.verb == "delete" and before:
        text += f"\nto put them back: migrate restore {before} --config {config}"
    return text


def _say_planned(plan: Any, config: Path, run: Applying) -> None:
    """Once the plan is made and the before file written, before the first change
    (engine/flow_actions.py calls it)."""
    kept = run.before if run.before is not None and run.before.is_file() else None
    say_applying(run, _planned_text(plan, None if kept is None else str(kept), config), kept,
                 matched=len(plan.actions), listed=plan.read.listed, changes=len(plan.changes),
                 by_action=dict(plan.by_action()))


def _show_plan(plan: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(plan.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_plan(plan)


def _show_result(result: Any, args: argparse.Namespace, run: Applying) -> None:
    before = str(result.before_path) if result.before_path.is_file() else None
    log = str(result.log_path) if result.log_path.exists() else None  # none when stopped before its first line
    if say_outcome(result.exit_code, result.summary.text(), result.notes, args.json, result_log=log,
                   before=before, **result.summary.as_json(), emulator=result.emulator_stats):
        return
    if args.json:
        print(json.dumps({"exit_code": result.exit_code, "result_log": log, "before": before,
                          **result.summary.as_json(), "notes": result.notes, "emulator": result.emulator_stats},
                         indent=2))
        return
    print(result.summary.text())
    for note in result.notes:
        print(note)
    if result.emulator_stats is not None:
        stats = result.emulator_stats
        by_action = ", ".join(f"{n} {action}" for action, n in sorted(stats["requests_by_action"].items()))
        print(f"emulator: {stats['requests']} requests ({by_action})")
    if log is not None:
        print(f"result log: {log}")
    else:  # stopped before its first line: no log to resume from, the same command starts it afresh
        print("no result log was written: run the same command again to start it afresh")


def _print_plan(plan: Any) -> None:
    from migrate.commands import print_tables

    why = any(a.why for a in plan.actions)  # a flow left alone says why (NO_PRIVILEGE, its bodies unread)
    console = print_tables(f"migrate {plan.verb}: {plan.selection.describe()}",
                           [("action", False), ("id", False), ("flow", False), ("active", False),
                            *([("why", True)] if why else [])],
                           ([a.action, a.flow_id, a.name, "" if a.active is None else str(a.active),
                             *([a.why] if why else [])] for a in plan.actions))
    counts = ", ".join(f"{action} {n}" for action, n in plan.by_action().most_common())
    console.print(f"{flows_text(len(plan.actions))} matched of {plan.read.listed} listed: {counts}", markup=False)
    console.print(f"read the live service: {plan.read.requests_text()}", markup=False)
    if plan.read.missing_note():
        console.print(plan.read.missing_note(), markup=False)
    if plan.changes:
        console.print(f"nothing was changed; `--apply` would {plan.verb} {flows_text(len(plan.changes))}", markup=False)
