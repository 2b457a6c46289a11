"""Where the emulator keeps its state: in memory, or in a SQLite file that survives a restart."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from migrate.exit_codes import CannotRun

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Storable(Protocol):
    """A stored flow as the store sees it: a dataclass with an id (models.StoredFlow)."""

    flow_id: int


class StateError(CannotRun):
    """A state file that cannot be opened or read; the message names it."""


def _cannot_open(path: Path, error: sqlite3.Error) -> StateError:
    if not path.parent.is_dir():
        return StateError(f"{path}: cannot keep the emulator state here: the folder {path.parent} does not exist")
    if path.is_dir():
        return StateError(f"{path}: is a folder; the emulator state is a SQLite file")
    return StateError(f"{path}: cannot open as the emulator state (a SQLite file): {error}")


class Store:
    """A key/value table of JSON documents; with no path, it keeps nothing."""

    def __init__(self, path: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        self.path = path
        if path is not None:
            try:
                self._db = sqlite3.connect(path, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")  # the first read: "file is not a database" comes here
                self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            except sqlite3.Error as error:
                self.close()
                raise _cannot_open(path, error) from None

    def _put(self, key: str, value: object) -> None:
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    @property
    def persistent(self) -> bool:
        """Whether anything is kept: with no file, callers skip making snapshots at all."""
        return self._db is not None

    def load(self) -> dict[str, Any] | None:
        """The snapshot kept in the file (`flows`, `tasks`, `directories`); None when there is
        nothing stored yet."""
        if self._db is None:
            return None
        try:
            rows = dict(self._db.execute("SELECT key, value FROM state").fetchall())
            if "meta" not in rows:
                return None
            meta = json.loads(rows["meta"])
            return {"flows": [json.loads(v) for k, v in rows.items() if k.startswith("flow:")],
                    "tasks": meta["tasks"], "directories": meta["directories"]}
        except (sqlite3.Error, ValueError, TypeError, KeyError, AttributeError) as error:
            # Another program's database, or a state written by another version: say so, never a traceback.
            raise StateError(f"{self.path}: not an emulator state ({type(error).__name__}: {error})") from None

    def save_flow(self, flow: DataclassInstance | Storable) -> None:
        if self._db is not None:  # with no file, not even the copy: it was a fifth of a save's time
            self._put(f"flow:{flow.flow_id}", asdict(flow))  # type: ignore[arg-type, union-attr]

    def delete_flow(self, flow_id: int) -> None:
        if self._db is not None:
            self._db.execute("DELETE FROM state WHERE key = ?", (f"flow:{flow_id}",))

    def save_all(self, snapshot: dict[str, Any]) -> None:
        if self._db is None:
            return
        self._db.execute("BEGIN")
        for flow in snapshot["flows"]:
            self._put(f"flow:{flow['flow_id']}", flow)
        self._put("meta", {"tasks": snapshot["tasks"], "directories": snapshot["directories"]})
        self._db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
