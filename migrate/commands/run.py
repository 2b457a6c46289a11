"""`migrate run CONFIG`: read, map, validate and save; one result line per flow."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.engine.job")


def add_parser(verbs: Any) -> None:
    run = verbs.add_parser("run", help="read, map, validate and save; write the result log")
    run.add_argument("config", type=Path)
    run.add_argument("--run-id", help="name the run (default: time stamp and a random suffix)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--resume", action="store_true",
                     help="continue a run (the one named by --run-id, else the newest): "
                     "flows it saved are not sent again")
    run.add_argument("--plan", type=Path, metavar="PLAN",
                     help="apply exactly this saved plan (migrate plan --out PLAN): only its creates, updates and "
                     "disables, each only if the live flow is as the plan saw it (else a `stale` line)")
    run.add_argument("--prune", choices=("disable",),
                     help="disable: once every flow went through, disable each orphan still active (a live flow of "
                     "this source whose key left the export); never deletes")
    run.add_argument("--shard", metavar="INDEX/COUNT",
                     help="only the flows of shard INDEX of COUNT (0 to COUNT-1, by a stable hash of each flow's "
                     "source key), at rate_per_second/COUNT; auto/COUNT takes INDEX from JOB_COMPLETION_INDEX "
                     "(a Kubernetes Indexed Job); the run id ends in -shard-INDEX-of-COUNT")


def execute(args: argparse.Namespace) -> int:
    from migrate.commands import refuse

    if args.prune is not None and args.plan is not None:
        return refuse("--prune is not for --plan: a plan made with `plan --prune disable` holds its disables")
    return run_config(args.config, args.run_id, args.json, args.resume, args.plan, args.prune, args.shard)


def run_config(config: Path, run_id: str | None, as_json: bool, resume: bool = False,
               plan: Path | None = None, prune: str | None = None, shard: str | None = None) -> int:
    import asyncio

    from migrate.commands import output_may_close
    from migrate.config import load_settings
    from migrate.engine.job import run_job
    from migrate.engine.shard import parse_shard

    sharded = parse_shard(shard) if shard is not None else None  # before the config: a bad index names itself
    settings = load_settings(config)
    result = asyncio.run(run_job(settings, run_id=run_id, resume=resume, plan=plan, prune=prune, shard=sharded))
    with output_may_close():
        _print_result(result, as_json)
    return result.exit_code


def _print_result(result: Any, as_json: bool) -> None:
    from migrate import console
    from migrate.exit_codes import EXIT_INTERRUPTED

    facts = {"exit_code": result.exit_code, "result_log": str(result.log_path), **result.summary.as_json(),
             "sent": result.sent, "emulator": result.emulator_stats}
    if as_json:  # why a run stopped and how to complete it: --json is all a script reads
        facts["notes"] = list(result.notes)
    if result.exit_code == EXIT_INTERRUPTED:
        console.stopped_by_signal(EXIT_INTERRUPTED)
    if as_json:
        print(json.dumps(facts, indent=2))
    elif console.current_format() == "json":
        console.summary(result.summary.text(), result.notes, **facts)
    else:
        print(result.summary.text())
        for note in result.notes:
            print(note)
        if result.emulator_stats is not None:
            stats = result.emulator_stats
            print(f"emulator: {sum(stats['saves_by_flow'].values())} saves of "
                  f"{len(stats['saves_by_flow'])} flows, {stats['requests']} requests, "
                  f"busiest one-second window {stats['busiest_one_second_window']}")
        print(f"result log: {result.log_path}")
