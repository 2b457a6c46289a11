"""`migrate export CONFIG [selection] --out FILE`: a snapshot of the live flows of a selection
(read only, paced and retried as a run is), one flow a line, that the `snapshot` profile reads
back (docs/runbooks.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from migrate.selection import add_selection_arguments

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.engine.export", "migrate.engine.job")


def add_parser(verbs: Any) -> None:
    export = verbs.add_parser("export", help="a snapshot of live flows (a selection) to a JSON Lines file")
    export.add_argument("config", type=Path)
    export.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="the snapshot (JSON Lines: a header line, then one flow a line); a file that exists "
                             "is refused (a backup is never written over) unless --overwrite")
    export.add_argument("--overwrite", action="store_true",
                        help="replace FILE if it exists (a nightly backup to one path)")
    add_selection_arguments(export)


def execute(args: argparse.Namespace) -> int:
    from migrate.commands import output_may_close, refuse
    from migrate.config import load_settings
    from migrate.engine.export import read_selection, write_snapshot
    from migrate.selection import selection_from_args

    selection = selection_from_args(args)  # a bad criterion is refused before the config is read
    if not args.overwrite and (args.out.exists() or args.out.is_symlink()):
        # Yesterday's full backup written over by today's narrower export is a backup lost.
        return refuse(f"{args.out} exists: a backup is never written over; choose another file, or add --overwrite "
                    "to replace it")
    settings = load_settings(args.config)
    result = read_selection(settings, selection)
    if not result.flows:
        return refuse(f"the selection ({selection.describe()}) matches none of the {result.listed} flows you can see; "
                    f"nothing written ({result.requests_text()})")
    write_snapshot(args.out, result, selection)
    with output_may_close():  # the snapshot is written whole: a reader gone (`| head`) does not make it fail
        print(f"{len(result.flows)} flows matched of {result.listed} listed; {len(result.flows)} written to "
              f"{args.out}")
        print(f"read the live service: {result.requests_text()}")
        for note in (result.missing_note(), result.unexported_note()):
            if note:
                print(note)
    return 0
