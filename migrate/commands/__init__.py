"""One module per verb (`migrate VERB`), terraform-style: each adds its own arguments
(`add_parser`) and does its work (`execute`) over the shared engine. Modules here import only
the standard library at the top, so that `migrate --help` stays quick; the heavy parts are
imported inside `execute`, and named in the module's PRELOAD (or by its `preload(args)`), which
the CLI imports before a signal may interrupt (see cli._Interrupts)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn


def fail(message: str) -> int:
    """One line on stderr (an `error` event with --log-format json), secrets redacted; exit code
    1 (the tool could not run)."""
    from migrate import console

    console.error(message)
    return 1


def refuse(message: str) -> NoReturn:
    """Stop a verb before it does anything: the CLI says `message` as `fail` does, and, with
    --json, as a document on stdout too (`{"exit_code": 1, "error": …}`), which a script reads."""
    from migrate.exit_codes import CannotRun

    raise CannotRun(message)


class _EventTable:
    """print_tables' console in JSON log format: each line printed after the table, an event."""

    def print(self, text: object, **_: object) -> None:
        from migrate import console

        console.emit("message", str(text))


def print_tables(title: str, columns: list[tuple[str, bool]], rows: Iterable[list[str]]) -> Any:
    """Rows as rich tables of a thousand rows each (a plan of a million flows is never one table
    in memory), every cell plain text (`[migrate:…]` or `[mapping]` is not markup). `columns`:
    (name, wraps). Returns the console, for the lines that follow. With --log-format json, each
    row is a `row` event (its table's title and a field per column) on stderr instead."""
    from migrate import console as events

    if events.current_format() == "json":
        names = [name for name, _ in columns]
        for cells in rows:
            row: dict[str, Any] = dict(zip(names, cells, strict=False))
            events.emit("row", None, table=title, **row)
        return _EventTable()
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    class Closable(Console):
        def on_broken_pipe(self) -> None:  # rich exits (1); the verb decides (see output_may_close)
            self.quiet = True
            raise BrokenPipeError

    console = Closable(highlight=False, soft_wrap=False)
    if not console.is_terminal:  # a file or a pipe: room for whole cells, not 80 columns
        console = Closable(highlight=False, soft_wrap=False, width=200)

    def new_table(heading: str | None) -> Table:
        table = Table(title=Text(heading) if heading else None, show_lines=False)
        for name, wraps in columns:
            if wraps:
                table.add_column(name, overflow="fold")
            else:
                table.add_column(name, no_wrap=True)
        return table

    table = new_table(title)
    for index, cells in enumerate(rows, 1):
        table.add_row(*(Text(cell) for cell in cells))
        if index % 1000 == 0:
            console.print(table)
            table = new_table(None)
    if table.row_count:
        console.print(table)
    return console


def resume_hint(args: argparse.Namespace) -> str:
    """The command that continues this one: the same command line, `--resume` and the run id the
    engine adds (a resume must repeat the same selection and edits, which are not kept elsewhere)."""
    import shlex

    kept, skip = [], False
    for word in args.command_line:
        if skip:
            skip = False
        elif word in ("--run-id", "--resume", "--json"):
            skip = word == "--run-id"
        elif not word.startswith("--run-id="):
            kept.append(word)
    return shlex.join(["migrate", *kept])


@contextlib.contextmanager
def output_may_close() -> Iterator[None]:
    """Around what a verb prints once its work is done (a summary, a plan): a reader that stops
    early (`| head`) must not turn a finished run, or a plan's exit code, into a failure. The rest
    of the output goes nowhere; the result log holds it all."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        # The stream whose reader went: stdout (`| head`), or stderr, where JSON mode's events go
        # (`2>&1 >/dev/null | head`). Python's own flush at exit writes there too.
        gone = [stream.fileno() for stream in (sys.__stdout__, sys.__stderr__)
                if stream is not None and _reader_gone(stream.fileno())]
        for fd in gone or [sys.stdout.fileno()]:  # a stream poll cannot tell of: stdout, as ever
            os.dup2(os.open(os.devnull, os.O_WRONLY), fd)


def _reader_gone(fd: int) -> bool:
    """True when `fd` is a pipe whose reading end is closed (poll says POLLERR for it)."""
    import select

    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))


# The options every verb that changes live flows shares (edit, restore, enable, disable, delete).
def add_apply_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("--apply", action="store_true",
                        help=f"{verb} them, after the plan (without it: the plan only, nothing written)")
    parser.add_argument("--yes", action="store_true", help="the same as --apply, for scripts")
    parser.add_argument("--json", action="store_true", help="the plan, or the summary, as JSON")
    parser.add_argument("--run-id", help="name the run (default: time stamp and a random suffix)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run named by --run-id: flows with a final line are not touched again")
    parser.add_argument("--before", type=Path, metavar="FILE",
                        help="the snapshot of the flows about to change, written first "
                        "(default: results/runbooks/<run-id>.before.jsonl, beside the result log)")


def check_apply_arguments(args: argparse.Namespace) -> str | None:
    """Why the options do not go together, or None."""
    if not (args.apply or args.yes) and (args.resume or args.run_id or args.before):
        return "--run-id, --resume and --before are for --apply: without it nothing is written"
    return None
