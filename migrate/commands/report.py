"""`migrate report LOG…`: the summary of one or more result logs (files or quoted patterns: the
shards of one migration, a night's runs), each run's and all together; the lines as CSV for a
spreadsheet, and one self-contained HTML page for a migration review."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.results.log", "migrate.results.runs", "migrate.results.spreadsheet", "migrate.results.report_html")


def add_parser(verbs: Any) -> None:
    report = verbs.add_parser("report", help="summary of result logs (each run's and all together)")
    report.add_argument("logs", nargs="+", metavar="LOG",
                        help="a result log, or a quoted pattern such as 'results/nightly-*-shard-*.jsonl'")
    report.add_argument("--json", action="store_true")
    report.add_argument("--csv", type=Path, metavar="FILE", help="also write every line as CSV, for a spreadsheet")
    report.add_argument("--html", type=Path, metavar="FILE",
                        help="also write one self-contained HTML page (counts, errors, throughput, latency, "
                        "invalid flows) for a migration review")


def execute(args: argparse.Namespace) -> int:
    from migrate.results.log import read_log
    from migrate.results.report_html import write_html
    from migrate.results.runs import Report, expand_logs
    from migrate.results.spreadsheet import write_lines_csv

    logs = expand_logs(args.logs)  # NoSuchLog, NotAResultLog: exit 1 naming the file (and line)
    report = Report.read(logs)
    if args.csv is not None:
        count = write_lines_csv(itertools.chain.from_iterable(read_log(log) for log in logs), args.csv)
        print(f"{count} lines written to {args.csv}", file=sys.stderr)
    if args.html is not None:
        write_html(report, args.html)
        print(f"report page written to {args.html}", file=sys.stderr)
    if args.json:
        runs = [{"run_id": run.run_id, "logs": [str(log) for log in run.logs], **summary.as_json(),
                 "in_doubt": _in_doubt_json(run)} for run, summary in report.run_summaries()]
        print(json.dumps({**report.summary().as_json(), "in_doubt": report.in_doubt(),
                          "lines_skipped": report.skipped.lines, "runs": runs,
                          "logs": [str(log) for log in logs]}, indent=2))
        return 0
    print(_text(report))
    return 0


# Flows in doubt named one by one, up to this many (the JSON and the log name every one).
NAMED_IN_DOUBT = 10


def _in_doubt_json(run: Any) -> list[dict[str, Any]]:
    return [{"source_key": line.get("source_key"), "flow_id": line.get("flow_id"), "action": line.get("action"),
             "ts": line.get("ts")} for line in run.in_doubt.values()]


def _in_doubt_text(run: Any) -> str:
    """The flows whose request was in flight when the run's log ends, and what to do about it."""
    keys = [str(line.get("source_key")) for line in run.in_doubt.values()]
    named = ", ".join(keys[:NAMED_IN_DOUBT]) + (f" and {len(keys) - NAMED_IN_DOUBT} more" if len(keys) > NAMED_IN_DOUBT
                                                else "")
    return (f"in doubt: {len(keys)} flows whose request was in flight when the log ends, counted in no status above "
            f"(the run was killed, or is still running): {named}; continue the run with the command that started "
            f"it (its verb, config and selection) and --run-id {run.run_id} --resume, which reads each one back (the "
            "run's own `apply` line gave that command whole)")


def _text(report: Any) -> str:
    """One run: its summary, as a run prints it. Several: each run's, indented, then all together."""
    runs = report.run_summaries()
    if len(runs) <= 1:
        lines = [report.summary().text(), *(_in_doubt_text(run) for run, _ in runs if run.in_doubt)]
    else:
        lines = []
        for run, summary in runs:
            lines.append(f"run {run.run_id} ({', '.join(str(log) for log in run.logs)}):")
            lines.append(textwrap.indent(summary.text(), "  "))
            if run.in_doubt:
                lines.append(textwrap.indent(_in_doubt_text(run), "  "))
        lines.append(f"all {len(runs)} runs together (each flow's last line):")
        lines.append(textwrap.indent(report.summary().text(), "  "))
        if report.in_doubt():
            lines.append(f"  in doubt: {report.in_doubt()} flows, in the runs above")
    skipped = report.skipped
    if skipped.lines:  # the summary is of the lines that could be read: say how many could not
        why = ([f"{skipped.unreadable} unreadable, each named on stderr"] if skipped.unreadable else []) + (
            ["the torn last line of a killed writer"] if skipped.torn else [])
        lines.append(f"lines skipped: {skipped.lines} ({'; '.join(why)})")
    return "\n".join(lines)
