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


# The descriptors of the locks this process holds. A process forked while they are held (the
# run's mapping process) closes its copies at once: a flock lives as long as any descriptor of
# it, and a killed run's child, which lingers until its pipe breaks, held both of its locks for
# seconds, so that a resume at once was refused, naming a dead PID.
_HELD: set[int] = set()


def _close_in_child() -> None:
    for descriptor in _HELD:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


# The runbook verbs' scope: one of them at a time per target, alone; a run holds it shared, so
# that runs go side by side but never beside a runbook (an edit's check of a flow and its save
# are two requests: a run saving the flow between them was undone, both saying `saved`).
RUNBOOK_SCOPE = "runbook verbs"


def lock_paths(settings: Settings, log_path: Path, scope: str | None = None,
               part: str | None = None, beside_runbooks: bool = False) -> list[tuple[Path, str, bool]]:
    """The locks of a run, beside the result log, each with what it guards and whether it is
    shared: the lock of this target and scope (any run id, any config naming them; `scope` stands
    for the source when not given: the runbook verbs give theirs, one at a time per target), and
    the result log's own. A shard (`part`) holds the target's lock shared and its part's alone: the
    shards of a run go side by side, and a whole run (which holds it alone) with none of them. None
    for a log that is a device rather than a file (`/dev/null`): that is no migration to keep apart."""
    if log_path.exists() and not log_path.is_file():
        return []
    target = settings.target
    where = str(target.emulator_state or target.emulator_config) if target.url == EMBEDDED else _same_url(target.url)
    source = str(settings.source.path) if scope is None else scope
    guards = f"target ({where}, {scope})" if scope else f"target and source ({where}, {settings.source.path.name})"

    def digest(*parts: str) -> str:  # not the user's: a colleague of the organisation acts on the same flows
        return hashlib.sha256("\n".join((where, target.org_id, *parts)).encode()).hexdigest()[:16]

    locks = [(log_path.parent / f".target-{digest(source)}.lock", guards, part is not None)]
    if part is not None:
        locks.append((log_path.parent / f".target-{digest(source, part)}.lock", f"{guards[:-1]}, {part})", False))
    if beside_runbooks:
        locks.append((log_path.parent / f".target-{digest(RUNBOOK_SCOPE)}.lock",
                      f"target ({where}, {RUNBOOK_SCOPE})", True))
    return [*locks, (log_path.with_name(log_path.name + ".lock"), f"result log {log_path.name}", False)]


def _same_url(url: str) -> str:
    """A target URL as one service: `…/` and `…`, `HTTP://Host` and `http://host`, `host.` and
    `host`, `:443` on https and none are one (two runs that spell it apart must still meet at its
    lock). An address and a host name that resolves to it are not: what a name resolves to changes."""
    from yarl import URL

    try:
        parsed = URL(url)
        host = (parsed.host or "").lower().rstrip(".")  # `example.com.`, the fully qualified spelling, is one
        return f"{parsed.scheme.lower()}://{host}:{parsed.port}{parsed.path.rstrip('/')}"
    except (ValueError, TypeError):
        return url.rstrip("/")


def _holder(path: Path) -> str:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return f"PID {found['pid']}, started {found['started']} (run {found['run_id']}, {found['config']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "a run that has not yet said who it is"


@contextlib.contextmanager
def _one(path: Path, guards: str, about: dict[str, object], shared: bool = False) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    _HELD.add(descriptor)
    try:
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(f"another run holds the lock of this {guards}: {_holder(path)}; "
                           f"wait for it to finish (lock file {path})") from None
        # Never unlinked: a second run may have the file open already, and would lock a name
        # that no later run opens. Rewritten in place for the next message (by a shard too: the
        # last shard to start is named, and any of them stops a whole run).
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps({**about, **({"shared": True} if shared else {})}).encode(), 0)
        yield
    finally:
        _HELD.discard(descriptor)
        os.close(descriptor)  # releases the lock


@contextlib.contextmanager
def run_lock(settings: Settings, log_path: Path, run_id: str, scope: str | None = None,
             part: str | None = None, beside_runbooks: bool = False) -> Iterator[None]:
    """Every lock for the whole run, or LockHeld naming the run that holds one."""
    about = {"pid": os.getpid(), "started": utc_iso(), "run_id": run_id, "config": settings.config_path.name}
    with contextlib.ExitStack() as held:
        for path, guards, shared in lock_paths(settings, log_path, scope, part, beside_runbooks):
            held.enter_context(_one(path, guards, about, shared))
        yield
