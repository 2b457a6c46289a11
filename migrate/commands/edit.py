"""`migrate edit [RUNBOOK.toml] [--config CONFIG] [selection] [edits] [--apply | --yes]`: the live
flows of a selection, transformed (set a field, replace an owner, add or remove a parameter,
replace or shift the schedule), the plan first, then saved through the run engine
(engine/runbook.py, reconcile/edits.py, docs/runbooks.md).

A runbook file holds `config` (the config naming the service, relative to the runbook), a
`[select]` table (the selection's keys) and an `[edit]` table; the command line's options add to
it, or make a one-liner without a file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from migrate.commands import add_apply_arguments, check_apply_arguments
from migrate.commands._runbook import PRELOAD, apply_said, print_plan
from migrate.selection import add_selection_arguments

__all__ = ["PRELOAD", "add_parser", "execute"]

RUNBOOK_KEYS = ("config", "select", "edit")


def add_parser(verbs: Any) -> None:
    parser = verbs.add_parser("edit", help="change fields of the live flows of a selection, plan first")
    parser.add_argument("runbook", type=Path, nargs="?",
                        help="a runbook: config = \"…\", [select] and [edit] tables (docs/runbooks.md)")
    parser.add_argument("--config", type=Path, help="the config naming the service (instead of the runbook's)")
    edits = parser.add_argument_group("edits", "what to change in every selected flow (added to the runbook's)")
    edits.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                       help="alertMode, doAs, queue, type, desc, startTime, owners or visitors (owners a;b)")
    edits.add_argument("--replace", action="append", default=[], metavar="FIELD=OLD->NEW",
                       help="in owners or visitors: 'owners=alice->bob' (order kept, no repeats)")
    edits.add_argument("--add-parameter", action="append", default=[], metavar="KEY=VALUE",
                       help="set a parameter (added last when the flow has no such key)")
    edits.add_argument("--remove-parameter", action="append", default=[], metavar="KEY", help="remove a parameter")
    edits.add_argument("--schedule", action="append", default=[], metavar="FREQ",
                       help="a new Quartz schedule, e.g. '0 0 3 * * ? *'")
    edits.add_argument("--shift-schedule", action="append", default=[], metavar="+1h",
                       help="move every fire time: +1h, -30m, +1h30m")
    add_apply_arguments(parser, "save")
    add_selection_arguments(parser)


def _runbook(path: Path) -> dict[str, Any]:
    from migrate.config import ConfigError, read_toml

    data = read_toml(path, "runbook")
    unknown = sorted(set(data) - set(RUNBOOK_KEYS))
    if unknown:
        looks_like_config = {"target", "source"} & set(data)
        raise ConfigError(f"{path}: a runbook has no key {', '.join(unknown)}; its keys are config, [select], [edit]"
                          + ("; this looks like a config: give it as --config, with the edits on the command line"
                             if looks_like_config else ""))
    for key in ("select", "edit"):
        if not isinstance(data.get(key, {}), dict):
            raise ConfigError(f"{path}: {key} must be a table ([{key}])")
    return data


def execute(args: argparse.Namespace) -> int:
    from migrate.commands import output_may_close, refuse
    from migrate.config import load_settings
    from migrate.engine.runbook import edit_desired, plan_runbook
    from migrate.reconcile.edits import EditError, Edits, edits_from_arguments, edits_from_table, merged
    from migrate.selection import selection_from_args, selection_from_table

    problem = check_apply_arguments(args)
    if problem:
        return refuse(problem)
    book = _runbook(args.runbook) if args.runbook is not None else {}
    base = args.runbook.parent if args.runbook is not None else Path.cwd()
    for option, given in (("--schedule", args.schedule), ("--shift-schedule", args.shift_schedule)):
        if len(set(given)) > 1:
            return refuse(f"{option} is given {len(given)} times ({', '.join(given)}): choose one")
    try:
        edits = merged(edits_from_table(book["edit"]) if "edit" in book else Edits(),
                       edits_from_arguments(args.set, args.replace, args.add_parameter, args.remove_parameter,
                                            next(iter(args.schedule), None), next(iter(args.shift_schedule), None)))
    except EditError as error:
        where = f"{args.runbook}: " if args.runbook is not None and "edit" in book else ""
        return refuse(f"{where}{error}")
    if edits.empty:
        return refuse("nothing to edit: give an [edit] table in the runbook, or --set, --replace, --add-parameter, "
                    "--remove-parameter, --schedule, --shift-schedule")
    selection = _selection(args, book, base, selection_from_args, selection_from_table)
    config = args.config or (base / book["config"] if "config" in book else None)
    if config is None:
        return refuse("which service? give the runbook a `config = \"…\"` line, or --config CONFIG")
    settings = load_settings(Path(config))
    source = str(args.runbook) if args.runbook is not None else "the command line"
    make = edit_desired(selection, edits, f"{source}: {edits.describe()}")
    if not (args.apply or args.yes):
        plan = plan_runbook(settings, "edit", make)
        with output_may_close():
            print_plan(plan, args.json)
        return plan.exit_code
    return apply_said(args, settings, "edit", make, Path(config))


def _selection(args: argparse.Namespace, book: dict[str, Any], base: Path, from_args: Any, from_table: Any) -> Any:
    """The runbook's [select] and the command line's criteria: both, combined (a criterion given in
    both: the command line's)."""
    from dataclasses import fields, replace

    from migrate.selection import SelectionError

    try:
        table = from_table(book.get("select", {}), base)
    except SelectionError as error:
        raise SelectionError(f"{args.runbook}: {error}") from None
    given = from_args(args)
    changed = {f.name: value for f in fields(given)
               if (value := getattr(given, f.name)) is not None and value is not False and value != ()}  # 0 counts
    return replace(table, **changed)
