"""The files of an export's folder, as the profiles that read folders walk them: through links to
folders too (a copy that links a host's folder, or a Tasks copy, from elsewhere: `os.walk` and
`Path.rglob` pass over them, and their flows went missing without a word, then were pruned), but
never round a loop (a link to a folder it is inside), and never into one folder twice (a link to a
folder beside it: its files were read twice, under two paths, so every flow in it was two flows)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def tree_files(root: Path, hidden: bool = False, special: bool = False, loops: list[Path] | None = None) -> list[Path]:
    """Every file under `root` (links to files included, dangling ones too: systemd's masks point
    at /dev/null), in path order; files and folders whose names start with a dot only if `hidden`;
    pipes, sockets and devices only if `special` (to refuse them: a read of one may wait for ever).
    A link to `root` or to a folder above it is a loop, whoever walks from where: the profile's
    read from the source folder and the check of one of its entries pass over the same links. A
    folder reached a second time (a link to a folder walked already, or to be walked) is read once,
    at its first path in path order. Links to files are kept, each: systemd's `*.wants` links are
    facts of their own (a unit enabled), not second copies. `loops` gets the links not followed as
    loops, for a message that names them."""
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
                elif real in inside and loops is not None:
                    loops.append(entry)
            elif entry.is_file() or entry.is_symlink() or special:
                found.append(entry)

    walk(root, frozenset(os.path.realpath(folder) for folder in (root, *root.resolve().parents)))
    return found


def links_back_up(folder: Path, names: Iterable[str]) -> list[str]:
    """Those of a folder's entries (by name) that are links to it or to a folder above it (`here -> .`,
    `up -> ..`, a chain of links that ends there): a loop, which is never followed. Read as an entry,
    such a link was the folder again (its exports a second time, as a folder of some format), and a
    link to `/` was the whole machine."""
    above = frozenset(os.path.realpath(place) for place in (folder, *folder.resolve().parents))
    return [name for name in names if (folder / name).is_symlink() and os.path.realpath(folder / name) in above]
