"""`migrate report LOG`: the summary of a result log, and the lines as CSV for a spreadsheet."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from migrate.commands import fail

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.results.log", "migrate.results.spreadsheet")


def add_parser(verbs: Any) -> None:
    report = verbs.add_parser("report", help="summary of a result log")
    report.add_argument("log", type=Path)
    report.add_argument("--json", action="store_true")
    report.add_argument("--csv", type=Path, metavar="FILE", help="also write every line as CSV, for a spreadsheet")


def execute(args: argparse.Namespace) -> int:
    from migrate.results.log import Skipped, Summary, read_log
    from migrate.results.spreadsheet import write_lines_csv

    if not args.log.is_file():
        return fail(f"{args.log}: no such result log")
    skipped = Skipped()
    summary = Summary.of(read_log(args.log, skipped=skipped))
    if args.csv is not None:
        count = write_lines_csv(read_log(args.log), args.csv)
        print(f"{count} lines written to {args.csv}", file=sys.stderr)
    if args.json:
        print(json.dumps({**summary.as_json(), "lines_skipped": skipped.lines}, indent=2))
        return 0
    print(summary.text())
    if skipped.lines:  # the summary is of the lines that could be read: say how many could not
        why = ([f"{skipped.unreadable} unreadable, each named on stderr"] if skipped.unreadable else []) + (
            ["the torn last line of a killed writer"] if skipped.torn else [])
        print(f"lines skipped: {skipped.lines} ({'; '.join(why)})")
    return 0
