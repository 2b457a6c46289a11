"""Where the emulator keeps its state: in memory, or in a SQLite file that survives a restart."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrate.emulator.models import BatchService, StoredFlow


class Store:
    """A key/value table of JSON documents; with no path, it keeps nothing."""

    def __init__(self, path: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def _put(self, key: str, value: object) -> None:
        if self._db is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    def load_into(self, service: BatchService) -> bool:
        """Restore the service from the file; False when there is nothing stored yet."""
        if self._db is None:
            return False
        rows = dict(self._db.execute("SELECT key, value FROM state").fetchall())
        if "meta" not in rows:
            return False
        service.restore({
            "flows": [json.loads(v) for k, v in rows.items() if k.startswith("flow:")],
            **json.loads(rows["meta"]),
        })
        return True

    def save_flow(self, flow: StoredFlow) -> None:
        if self._db is not None:  # with no file, not even the copy: it was a fifth of a save's time
            self._put(f"flow:{flow.flow_id}", asdict(flow))

    def delete_flow(self, flow_id: int) -> None:
        if self._db is not None:
            self._db.execute("DELETE FROM state WHERE key = ?", (f"flow:{flow_id}",))

    def save_all(self, service: BatchService) -> None:
        if self._db is None:
            return
        snapshot = service.snapshot()
        self._db.execute("BEGIN")
        for flow in snapshot["flows"]:
            self._put(f"flow:{flow['flow_id']}", flow)
        self._put("meta", {"tasks": snapshot["tasks"], "directories": snapshot["directories"]})
        self._db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
