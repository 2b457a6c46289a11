"""Where the emulator keeps its state: in memory, or in a SQLite file that survives a restart.

The file holds one row per flow (`state`, key `flow:<id>`, the stored flow as JSON), one per
task (`tasks`) and one per directory (`directories`), so that a call writes only the rows it
changes. A `meta` row in `state` says the file is an emulator state and which layout it has.
Files written before the rows of their own (a `meta` row holding every task and directory)
still load, and are given the current layout on the way in."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from migrate.exit_codes import CannotRun

LAYOUT = 2  # 1 (no number): every task and directory inside the meta row
# Made when a layout is written, not on opening: a file that turns out to be another program's
# database is left as it was.
LAYOUT_TABLES = (
    "CREATE TABLE IF NOT EXISTS tasks (task_id TEXT PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS directories (dir_id TEXT PRIMARY KEY, parent_id TEXT NOT NULL, name TEXT NOT NULL)",
)


class Storable(Protocol):
    """A stored flow as the store sees it: an object of plain JSON fields with an id (models.StoredFlow)."""

    flow_id: int


class StateError(CannotRun):
    """A state file that cannot be opened or read; the message names it."""


def _cannot_open(path: Path, error: sqlite3.Error) -> StateError:
    if not path.parent.is_dir():
        return StateError(f"{path}: cannot keep the emulator state here: the folder {path.parent} does not exist")
    if path.is_dir():
        return StateError(f"{path}: is a folder; the emulator state is a SQLite file")
    return StateError(f"{path}: cannot open as the emulator state (a SQLite file): {error}")


def _flow_row(flow: Storable) -> tuple[str, str]:
    # vars(), not asdict(): a flow's fields are JSON already, and asdict's deep copy was most of a save's time
    return f"flow:{flow.flow_id}", json.dumps(vars(flow))


# The state files this process holds the lock of: lock file -> (descriptor, stores open on it).
_HELD: dict[Path, tuple[int, int]] = {}


class Store:
    """Flows, tasks and directories, a row each; with no path, it keeps nothing."""

    def __init__(self, path: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        self._held: Path | None = None
        self.path = path
        if path is not None:
            self._hold(path)
            try:
                self._db = sqlite3.connect(path, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")  # the first read: "file is not a database" comes here
                self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            except sqlite3.Error as error:
                self.close()
                raise _cannot_open(path, error) from None

    @property
    def persistent(self) -> bool:
        """Whether anything is kept: with no file, callers skip making snapshots at all."""
        return self._db is not None

    @property
    def connection(self) -> sqlite3.Connection | None:
        """The open database (None with no file): tests count the rows a call writes on it."""
        return self._db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One commit for the rows of one call: a flow is never kept without its new tasks."""
        assert self._db is not None
        self._db.execute("BEGIN")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def load(self) -> dict[str, Any] | None:
        """What the file holds: `flows` (a list of dicts), `tasks` (taskId -> name) and
        `directories` (dirId -> [parentId, name]); None when nothing is stored yet."""
        if self._db is None:
            return None
        try:
            found = self._db.execute("SELECT value FROM state WHERE key = 'meta'").fetchone()
            if found is None:
                return None
            meta = json.loads(found[0])
            first_layout = "tasks" in meta  # every task and directory in this one row
            if first_layout:
                tasks, directories = dict(meta["tasks"]), {k: [v[0], v[1]] for k, v in meta["directories"].items()}
            elif meta.get("layout") == LAYOUT:
                tasks = dict(self._db.execute("SELECT task_id, name FROM tasks ORDER BY rowid").fetchall())
                directories = {dir_id: [parent, name] for dir_id, parent, name in
                               self._db.execute("SELECT dir_id, parent_id, name FROM directories ORDER BY rowid")}
            else:
                raise ValueError(f"the layout {meta.get('layout')!r} is not one this version reads")
            flows = [json.loads(value) for (value,) in
                     self._db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
        except (sqlite3.Error, ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
            # Another program's database, or a state written by another version: say so, never a traceback.
            raise StateError(f"{self.path}: not an emulator state ({type(error).__name__}: {error})") from None
        if first_layout:
            self._convert(tasks, directories)
        return {"flows": flows, "tasks": tasks, "directories": directories}

    def _convert(self, tasks: Mapping[str, str], directories: Mapping[str, list[str]]) -> None:
        """Move a first-layout file's tasks and directories into their own rows, once."""
        try:
            with self._transaction() as db:
                self._put_layout(db)
                self._put_tasks(db, tasks)
                self._put_directories(db, directories)
        except sqlite3.Error as error:
            raise StateError(f"{self.path}: cannot rewrite the emulator state in the current layout: {error}") from None

    @staticmethod
    def _put_layout(db: sqlite3.Connection) -> None:
        for table in LAYOUT_TABLES:
            db.execute(table)
        db.execute("INSERT OR REPLACE INTO state (key, value) VALUES ('meta', ?)", (json.dumps({"layout": LAYOUT}),))

    @staticmethod
    def _put_tasks(db: sqlite3.Connection, tasks: Mapping[str, str]) -> None:
        db.executemany("INSERT OR REPLACE INTO tasks (task_id, name) VALUES (?, ?)", tasks.items())

    @staticmethod
    def _put_directories(db: sqlite3.Connection, directories: Mapping[str, Iterable[str]]) -> None:
        db.executemany("INSERT OR REPLACE INTO directories (dir_id, parent_id, name) VALUES (?, ?, ?)",
                       ((dir_id, *entry) for dir_id, entry in directories.items()))

    def save_flow(self, flow: Storable, new_tasks: Mapping[str, str] | None = None) -> None:
        """One flow's row, and the rows of the tasks it brought (Import), in one commit."""
        if self._db is None:  # with no file, not even the JSON: it was a fifth of a save's time
            return
        if not new_tasks:
            self._db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", _flow_row(flow))
            return
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", _flow_row(flow))
            self._put_tasks(db, new_tasks)

    def delete_flow(self, flow_id: int) -> None:
        if self._db is not None:
            self._db.execute("DELETE FROM state WHERE key = ?", (f"flow:{flow_id}",))

    def save_directory(self, dir_id: str, parent_id: str, name: str) -> None:
        if self._db is not None:
            self._put_directories(self._db, {dir_id: (parent_id, name)})

    def save_all(self, flows: Iterable[Storable], tasks: Mapping[str, str],
                 directories: Mapping[str, Iterable[str]]) -> None:
        """Every row at once, in one commit: the first state of a new file (the config's seed)."""
        if self._db is None:
            return
        with self._transaction() as db:
            self._put_layout(db)
            db.executemany("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", map(_flow_row, flows))
            self._put_tasks(db, tasks)
            self._put_directories(db, directories)

    def _hold(self, path: Path) -> None:
        """One process a state file: each keeps the flows in memory and writes its own copy back,
        so two processes at once (two runs with an embedded emulator on one file) would lose each
        other's changes without a word. The second is refused, naming the first. Within one
        process (a test reading the state a run left) the lock is shared."""
        if not path.parent.is_dir():
            return  # sqlite's own error says so, below
        lock = path.with_name(path.name + ".lock").resolve()
        if lock in _HELD:
            descriptor, count = _HELD[lock]
            _HELD[lock] = (descriptor, count + 1)
            self._held = lock
            return
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(descriptor)
            raise StateError(f"{path}: this emulator state is in use by {holder}; one emulator a state file (each "
                             "keeps its own copy in memory): wait for it, or serve the state once with `migrate "
                             "emulator --state FILE` and point every run at its url") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"PID {os.getpid()}".encode(), 0)
        _HELD[lock] = (descriptor, 1)
        self._held = lock

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._held is not None:
            descriptor, count = _HELD.pop(self._held)
            if count > 1:
                _HELD[self._held] = (descriptor, count - 1)
            else:
                os.close(descriptor)  # releases the lock
            self._held = None
