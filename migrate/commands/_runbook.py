"""What `migrate edit` and `migrate restore` share: their apply options and their output, over one
engine (engine/runbook.py); and what every runbook verb that applies says while it runs (enable,
disable and delete too, commands/_flow_actions.py), as `run` does: once its plan is made, before
its first change, how many flows it changes, its before file, run id and result log and the
command that continues it (`apply`); then progress (engine/progress.py); at the end, with
--log-format json, a `summary` event with the exit code and the counts.
Not a verb itself: the CLI lists edit.py and restore.py."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate import console
from migrate.console import flows_text

if TYPE_CHECKING:
    from migrate.config import Settings

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.engine.export", "migrate.engine.runbook", "migrate.engine.job",
           "migrate.engine.inventory", "migrate.reconcile.edits", "migrate.reconcile.saved_plan", "rich.table")


def print_plan(plan: Any, as_json: bool, applying: bool = False, saving_line: bool = True) -> None:
    """The plan; `applying`: shown before its saves, which are about to happen (`saving_line`
    False: the caller says how many, show_applying's `planned` line)."""
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
    console.print(plan.count_line, markup=False)
    if result.warnings_by_code:
        console.print("warnings by code: " + ", ".join(f"{k} x{v}" for k, v in result.warnings_by_code.most_common()),
                      markup=False)
    for note in result.notes:
        console.print(note, markup=False)
    by_action = result.by_action()
    if plan.changes and saving_line:
        changes = f"{flows_text(len(plan.changes))}{_anew(plan)}"
        console.print(f"saving {changes}, after a before snapshot of them" if applying
                      else f"nothing was changed; `--apply` would save {changes}", markup=False)
    if by_action["conflict"]:
        console.print(f"{by_action['conflict']} conflicts are left alone; `--force` would restore them too",
                      markup=False)


def _anew(plan: Any) -> str:
    created = plan.plan.by_action()["create"]
    return f" ({created} created anew)" if created else ""


@dataclass
class Applying:
    """A runbook verb's run as the command names it before the engine starts: the run id (made
    here when none is given, as the engine would make it) and the paths the engine works out the
    same way, said once the plan is made (`say_applying`)."""

    verb: str
    run_id: str | None  # None: --resume without --run-id, which the engine refuses
    resume: bool
    log_path: Path | None
    before: Path | None
    resume_command: str
    as_json: bool  # --json: stdout is the document
    on_stdout: bool  # the human lines go with the plan on stdout, unless it carries a document


def applying(settings: Settings, verb: str, args: argparse.Namespace) -> Applying:
    """The run the command line asks for, named before the engine starts (nothing read or sent)."""
    from migrate.commands import resume_hint
    from migrate.config import logs_to_stdout
    from migrate.engine.flow_actions import runbook_file
    from migrate.engine.job import new_run_id
    from migrate.results.history import checked_run_id, log_path

    on_stdout = not args.json and not logs_to_stdout(settings.run)  # result_log = "-": stdout is the result lines
    if args.resume and args.run_id is None:
        return Applying(verb, None, True, None, None, "", args.json, on_stdout)
    run_id = checked_run_id(args.run_id if args.run_id is not None else settings.run.run_id or new_run_id())
    path = log_path(settings, run_id)
    before = args.before if args.before is not None else runbook_file(path, run_id, "before.jsonl")
    return Applying(verb, run_id, bool(args.resume), path, before, f"{resume_hint(args)} --run-id {run_id} --resume",
                    args.json, on_stdout)


def say_applying(run: Applying, planned: str, before: Path | None, **counts: Any) -> None:
    """Once the plan is made, before the first change (a selection that matches nothing is
    still one line and no more): how many flows change and where they were kept, the run id, its
    result log and the command that continues it, so that a run killed from here on (kill -9)
    has said them. Human: on stdout with the plan (stderr when stdout carries a document),
    flushed at once; JSON: an `apply` event with them as fields."""
    doing = "continuing run" if run.resume else "run"
    console.emit("apply", f"{planned}\n{doing} {run.run_id}, result log {run.log_path}; if it stops, continue it "
                          f"with: {run.resume_command}",
                 to_stdout=run.on_stdout, verb=run.verb, run_id=run.run_id, resume=run.resume, **counts,
                 before=None if before is None else str(before), result_log=str(run.log_path),
                 resume_command=run.resume_command)


def show_applying(plan: Any, run: Applying) -> None:
    """`edit` and `restore`: the plan, then what it is about to do (engine/runbook.py `show`,
    called before the before file and the first save)."""
    if not run.as_json:
        print_plan(plan, False, applying=True, saving_line=False)
    updates = sum(1 for action in plan.changes if action.action == "update")
    before = run.before if updates else None
    where = ("nothing to save" if not plan.changes else
             f"before: {before}, written first" if before is not None else
             "before: none (the flows this run creates do not exist yet)")
    changes = f"{flows_text(len(plan.changes))}{_anew(plan)}"
    say_applying(run, f"saving {changes}; {where}", before, matched=len(plan.actions),
                 listed=plan.desired.listed, changes=len(plan.changes), by_action=dict(plan.plan.by_action()))


def apply_said(args: argparse.Namespace, settings: Settings, verb: str, make: Any, config: Path,
               **engine: Any) -> int:
    """`edit` and `restore` with `--apply`: the plan and what it will do said before the saves,
    progress while they go (engine/progress.py), the outcome at the end. `engine`: apply_runbook's
    own options (create_missing, decide, saved_status)."""
    from migrate.commands import resume_hint
    from migrate.engine.runbook import apply_runbook

    run = applying(settings, verb, args)

    def resumed(changes: int, plan_path: Path, before: Path | None) -> None:
        say_applying(run, f"continuing the {changes} saves of its plan {plan_path} (a flow with a final line is "
                          f"not touched again); before: {before or 'none'}", before, changes=changes)

    result = apply_runbook(settings, verb, make, run_id=run.run_id, resume=args.resume, before=args.before,
                           show=lambda plan: show_applying(plan, run), resume_hint=resume_hint(args),
                           show_resumed=resumed, **engine)
    print_run(result, args.json, config)
    return int(result.exit_code)


def say_outcome(exit_code: int, text: str, notes: list[str], as_json: bool, **facts: Any) -> bool:
    """What a runbook verb says when it ends, as `run`: an `error` first when a signal stopped it;
    with --log-format json (and no --json document) its `summary` event and `note` events. True
    when that was all (JSON), False when the human lines are the caller's to print."""
    from migrate.exit_codes import EXIT_INTERRUPTED

    if exit_code == EXIT_INTERRUPTED:
        console.stopped_by_signal(exit_code)
    if as_json or console.current_format() != "json":
        return False
    console.summary(text, notes, exit_code=exit_code, **facts)
    return True


def print_run(run: Any, as_json: bool, config: Path) -> None:
    from migrate.commands import output_may_close

    with output_may_close():
        _print_run(run, as_json, config)


def _print_run(run: Any, as_json: bool, config: Path) -> None:
    from migrate.results.log import Summary

    result, summary = run.run, run.summary
    before = str(run.before_path) if run.before_path and run.before_path.is_file() else None
    logged = str(run.log_path) if run.log_path.is_file() else None
    shown = summary if summary is not None else Summary()
    if say_outcome(run.exit_code, shown.text(), run.notes, as_json, result_log=logged, before=before,
                   **shown.as_json(), sent=result.sent if result is not None else None,
                   emulator=result.emulator_stats if result is not None else None):
        return
    if as_json:
        print(json.dumps({"exit_code": run.exit_code, "result_log": logged, "before": before,
                          **(summary.as_json() if summary is not None else {}),
                          "notes": run.notes, "plan": None if run.plan is None else run.plan.as_json()},
                         indent=2, ensure_ascii=False))
        return
    if result is not None and run.plan is not None:
        held = sum(1 for action in run.plan.changes if action.action == "update")
        print(f"before: {run.before_path} ({flows_text(held)} as they were before this run; `migrate restore "
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
