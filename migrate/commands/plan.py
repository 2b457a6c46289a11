"""`migrate plan CONFIG`: everything but the writes. Each flow of the source is compared with the
live service (read only, paced as a run is) and given one action: create, update (the fields that
differ), unchanged, invalid (every error), orphaned. `--offline` reads no live state."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.engine.inventory", "migrate.reconcile.saved_plan", "rich.table")


def preload(args: argparse.Namespace) -> tuple[str, ...]:
    """A live plan connects as a run does (aiohttp, the emulator); an offline one does not."""
    return PRELOAD if args.offline else (*PRELOAD, "migrate.engine.job")


def add_parser(verbs: Any) -> None:
    plan = verbs.add_parser("plan", help="everything but the writes: per-flow actions against the live service")
    plan.add_argument("config", type=Path)
    shown = plan.add_mutually_exclusive_group()  # one output: neither silently wins
    shown.add_argument("--json", action="store_true", help="the plan as JSON")
    shown.add_argument("--markdown", action="store_true", help="the plan as Markdown, for a migration review")
    plan.add_argument("--offline", action="store_true",
                      help="do not read the live service: the inventory and every flow's conversion only")
    plan.add_argument("--out", type=Path, metavar="PLAN",
                      help="write the plan (actions with each live flow's fingerprint) to this JSON file")
    plan.add_argument("--prune", choices=("disable",),
                      help="disable: an orphan (a live flow of this source whose key left the export) still active "
                      "becomes a `disable` action; never deleted")


def execute(args: argparse.Namespace) -> int:
    from migrate.commands import output_may_close, refuse
    from migrate.config import load_settings
    from migrate.engine.inventory import plan_live, plan_offline

    if args.prune and args.offline:
        return refuse("--prune needs the live service (orphans are live flows): not with --offline")
    settings = load_settings(args.config)
    result = plan_offline(settings) if args.offline else plan_live(settings, args.prune)
    if args.out is not None:
        from migrate.reconcile.saved_plan import write_plan  # here: it brings pandas, and --help must be quick

        write_plan(args.out, args.config, result)
    with output_may_close():  # `plan | head`: the plan's exit code stands
        if args.json:
            result.write_json(sys.stdout)
        elif args.markdown:
            result.write_markdown(sys.stdout)
        else:
            _print_table(result)
    return result.exit_code


def _print_table(result: Any) -> None:
    from migrate.commands import print_tables
    from migrate.engine.inventory import action_cells

    console = print_tables(f"{result.source} ({result.profile})",
                           [("action", False), ("flow", False), ("id", False), ("freq", False), ("cycle", False),
                            ("what", True)],
                           (action_cells(action) for action in result.all_actions()))
    by_action = result.by_action()
    # Orphans are live flows, not flows of the export: said apart, so that the counts add up.
    orphans = {action: by_action.pop(action) for action in ("orphaned", "disable") if action in by_action
               and any(a.action == action and a.source_key.startswith("[migrate:") for a in result.all_actions())}
    counts = ", ".join(f"{action} {n}" for action, n in by_action.most_common())
    beside = "; live flows whose job left the export: " + ", ".join(f"{action} {n}" for action, n in orphans.items()) \
        if orphans else ""
    console.print(f"{result.found} flows found: {counts or 'none'}{beside}", markup=False)
    if result.invalid_by_reason:
        console.print("invalid by reason: " + ", ".join(f"{k} x{v}" for k, v in result.invalid_by_reason.most_common()),
                      markup=False)
    if result.warnings_by_code:
        console.print("warnings by code: " + ", ".join(f"{k} x{v}" for k, v in result.warnings_by_code.most_common()),
                      markup=False)
    for note in result.notes:
        console.print(note, markup=False)
