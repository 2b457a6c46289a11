"""One run at a time per result log and per target and source: an advisory lock (flock) on small
files in the results folder, held for the whole run.

Two runs of one config would both save every flow (twice the writes, and the later of two
different exports winning flow by flow); two resumes of one run would both send what is missing.
The second run stops before it sends anything, naming the holder. The kernel drops a flock
with the process that held it, so the lock of a dead run (SIGKILL, a lost container) is free
at once; the file stays, and only says who held it last.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from migrate.config import EMBEDDED, Settings
from migrate.exit_codes import CannotRun
from migrate.results.stamps import utc_iso


class LockHeld(CannotRun):
    """Another run holds the lock: nothing was sent."""


def lock_paths(settings: Settings, log_path: Path, scope: str | None = None) -> list[tuple[Path, str]]:
    """The lock of this target and source (any run id, any config naming them) and the result
    log's own, both beside the result log, each with what it guards. None for a log that is a
    device rather than a file (`/dev/null`): that is no migration to keep apart. `scope` stands
    for the source when a verb reads none (the runbook verbs: one of them at a time per target)."""
    if log_path.exists() and not log_path.is_file():
        return []
    target = settings.target
    where = str(target.emulator_state or target.emulator_config) if target.url == EMBEDDED else target.url
    source = str(settings.source.path) if scope is None else scope
    identity = "\n".join((where, target.user_id, target.org_id, source))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    guards = f"target ({where}, {scope})" if scope else f"target and source ({where}, {settings.source.path.name})"
    return [(log_path.parent / f".target-{digest}.lock", guards),
            (log_path.with_name(log_path.name + ".lock"), f"result log {log_path.name}")]


def _holder(path: Path) -> str:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return f"PID {found['pid']}, started {found['started']} (run {found['run_id']}, {found['config']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "a run that has not yet said who it is"


@contextlib.contextmanager
def _one(path: Path, guards: str, about: dict[str, object]) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(f"another run holds the lock of this {guards}: {_holder(path)}; "
                           f"wait for it to finish (lock file {path})") from None
        # Never unlinked: a second run may have the file open already, and would lock a name
        # that no later run opens. Rewritten in place for the next message.
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(about).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock


@contextlib.contextmanager
def run_lock(settings: Settings, log_path: Path, run_id: str, scope: str | None = None) -> Iterator[None]:
    """Both locks for the whole run, or LockHeld naming the run that holds one."""
    about = {"pid": os.getpid(), "started": utc_iso(), "run_id": run_id, "config": settings.config_path.name}
    with contextlib.ExitStack() as held:
        for path, guards in lock_paths(settings, log_path, scope):
            held.enter_context(_one(path, guards, about))
        yield
