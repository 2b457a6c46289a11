"""The files of an export's folder, as the profiles that read folders walk them: through links to
folders too (a copy that links a host's folder, or a Tasks copy, from elsewhere: `os.walk` and
`Path.rglob` pass over them, and their flows went missing without a word, then were pruned), but
never round a loop (a link to a folder it is inside), and never into one folder twice (a link to a
folder beside it: its files were read twice, under two paths, so every flow in it was two flows)."""

from __future__ import annotations

import os
from pathlib import Path


def tree_files(root: Path, hidden: bool = False) -> list[Path]:
    """Every file under `root` (links to files included, dangling ones too: systemd's masks point
    at /dev/null), in path order; files and folders whose names start with a dot only if `hidden`.
    A link to `root` or to a folder above it is a loop, whoever walks from where: the profile's
    read from the source folder and the check of one of its entries pass over the same links. A
    folder reached a second time (a link to a folder walked already, or to be walked) is read once,
    at its first path in path order. Links to files are kept, each: systemd's `*.wants` links are
    facts of their own (a unit enabled), not second copies."""
    found: list[Path] = []
    walked: set[str] = set()

    def walk(folder: Path, inside: frozenset[str]) -> None:
        try:
            entries = sorted(folder.iterdir())
        except OSError:  # unreadable, or gone since: as os.walk, passed over
            return
        for entry in entries:
            if entry.name.startswith(".") and not hidden:
                continue
            if entry.is_dir():  # a link to a folder is followed
                real = os.path.realpath(entry)
                if real not in inside and real not in walked:
                    walked.add(real)
                    walk(entry, inside | {real})
            elif entry.is_file() or entry.is_symlink():
                found.append(entry)

    walk(root, frozenset(os.path.realpath(folder) for folder in (root, *root.resolve().parents)))
    return found
