"""`migrate restore SNAPSHOT --config CONFIG [selection] [--force] [--apply | --yes]`: the flows of a
snapshot (`migrate export`, or a runbook's before file) brought back to its state, saving only
those that differ now; a flow someone else changed since is a conflict, left alone unless
`--force`. Plan first (engine/runbook.py, docs/runbooks.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from migrate.commands import add_apply_arguments, check_apply_arguments
from migrate.commands._runbook import PRELOAD, apply_said, print_plan
from migrate.selection import add_selection_arguments

__all__ = ["PRELOAD", "add_parser", "execute"]


def add_parser(verbs: Any) -> None:
    parser = verbs.add_parser("restore", help="bring the flows of a snapshot back to its state, plan first")
    parser.add_argument("snapshot", type=Path, help="a snapshot: migrate export's, or a runbook's before file")
    parser.add_argument("--config", type=Path, required=True, help="the config naming the service ([target], [run])")
    parser.add_argument("--force", action="store_true",
                        help="restore flows someone else changed since the snapshot too (else: conflicts, left alone)")
    parser.add_argument("--no-create", action="store_true",
                        help="do not create the snapshot's flows the service no longer has (they are listed invalid)")
    add_apply_arguments(parser, "restore")
    add_selection_arguments(parser)


def execute(args: argparse.Namespace) -> int:
    from migrate.commands import output_may_close, refuse
    from migrate.config import load_settings
    from migrate.engine.runbook import conflicts, plan_runbook, read_snapshot, restore_desired
    from migrate.reconcile.caller import with_caller_name
    from migrate.selection import selection_from_args

    problem = check_apply_arguments(args)
    if problem:
        return refuse(problem)
    selection = selection_from_args(args)  # a bad criterion is refused before the config is read
    settings = with_caller_name(load_settings(args.config))
    snapshot = read_snapshot(args.snapshot, selection)  # a file that is not one: refused before any request
    make = restore_desired(snapshot, selection)
    decide = conflicts(settings.target.user_name, args.force)
    create = not args.no_create
    if not (args.apply or args.yes):
        plan = plan_runbook(settings, "restore", make, create_missing=create, decide=decide)
        with output_may_close():
            print_plan(plan, args.json)
        return plan.exit_code
    return apply_said(args, settings, "restore", make, args.config, create_missing=create, decide=decide,
                      saved_status="restored")
