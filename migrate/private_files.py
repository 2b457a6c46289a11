"""Files that hold flows whole (snapshots, `--before` and desired files, saved plans): a flow's
parameters and commands may hold secrets the export carried, so such a file is its owner's alone
(0600, whatever the umask), as a password file would be; and it is written whole: to `FILE.partial`
first, renamed into place once complete, so no reader ever finds half of it under its name."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE = 0o600


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """The `.partial` beside PATH to write, made private before anything is in it; renamed to PATH
    when the block ends without an error (after one, it is left for the next write to replace)."""
    if not path.parent.is_dir():  # said of the folder, not of the `.partial` no one asked for
        raise FileNotFoundError(errno.ENOENT, f"no such folder to write {path.name} in", str(path.parent))
    partial = path.with_name(path.name + ".partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, PRIVATE))
    os.chmod(partial, PRIVATE)  # one a killed write left keeps the mode it was made with
    yield partial
    partial.replace(path)
