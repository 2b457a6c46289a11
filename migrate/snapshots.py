"""The snapshot file: what `migrate export` writes and every runbook's before file is, and what
`migrate restore`, the `snapshot` profile and `--ids-file` read. One format, two encodings, by
the file's suffix:

- JSON Lines (any other suffix): a header line `{"snapshot": 1, "made": …, "target": …,
  "org_id": …, "selection": {…}, "flows": N}`, then one flow a line (Get Flow's answer, its graph an object,
  and `dirId`/`directory`), ordered as written;
- Parquet (`.parquet`): one row a flow, the whole line in the `flow` column as JSON text (so that
  nothing is lost to a column's type) beside plain columns to query it by (flowId, flowName,
  active, freq, cycle, owner, directory, updateTime); the header in the schema's metadata
  (`migrate.snapshot`).

A flow line of `migrate export` (and of `migrate delete`'s before file) also holds what only Export
Flow gives, its tasks' bodies and settings: `"exported": {"tasks": [...]}`, each task as Export
Flow gives it (by name: `name, resource, type, cmd, runMode, timeout, retryLimit, …`), or, when
Export Flow failed for that flow, `"exported": {"error": "why"}`. A task entry without its `cmd` (absent or
null) holds no body, whatever else it gives. A line without them (a snapshot
made before they were kept, or the before file of enable, disable or edit, whose flows still
exist) is still a snapshot: the key is added, the format is the same (`"snapshot": 1`).

Written to `FILE.partial` and renamed only once whole: there is never a half snapshot under the
name. Read back with the header checked first: a file that is not a snapshot, or one cut short
(its header says how many flows it holds), is refused with one line naming it."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.exit_codes import CannotRun
from migrate.private_files import written_whole
from migrate.redact import shown
from migrate.sources.readers import DuplicateKey, unique_keys

SNAPSHOT_FORMAT = 1
PARQUET_KEY = b"migrate.snapshot"
# The flow's facts a Parquet snapshot also holds as columns of their own, to query it by.
COLUMNS = ("flowId", "flowName", "active", "freq", "cycle", "owner", "directory", "updateTime")


# A flow line's tasks as Export Flow gave them (`{"tasks": [...]}`), or why it could not (`{"error": …}`).
EXPORTED = "exported"
# Set on a line by `migrate restore` for a flow the service does not have: it is created (Import).
TO_CREATE = "toCreate"


def exported_tasks(tasks: list[Any]) -> dict[str, Any]:
    """A line's `exported` value: the tasks of Export Flow's answer, as it gave them."""
    return {"tasks": tasks}


def export_failed(why: str) -> dict[str, Any]:
    """A line's `exported` value when Export Flow failed for the flow: the line holds no bodies."""
    return {"error": why}


def task_bodies(line: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """The line's exported tasks by name; None when it holds none (an older snapshot, the before
    file of enable, disable or edit, or an Export Flow that failed: `bodies_missing_why` says which)."""
    exported = line.get(EXPORTED)
    tasks = exported.get("tasks") if isinstance(exported, dict) else None
    if not isinstance(tasks, list):
        return None
    return {str(task["name"]): task for task in tasks if isinstance(task, dict) and "name" in task}


def bodies_missing_why(line: dict[str, Any]) -> str:
    """Why a line holds no task bodies, in words."""
    exported = line.get(EXPORTED)
    if isinstance(exported, dict) and exported.get("error"):
        return f"Export Flow failed for it when the snapshot was made ({exported['error']})"
    if isinstance(exported, dict) and exported.get("tasks") == []:
        return "Export Flow gave no tasks for it when the snapshot was made (its `exported.tasks` is empty)"
    return ("the snapshot holds no task bodies (made before `migrate export` kept them, or the before file of "
            "enable, disable or edit)")


def body_missing_why(task: dict[str, Any]) -> str | None:
    """Why an exported task entry holds no body (its `cmd`: absent, null, not text), or None when it
    holds one (an empty command is one: the service said so)."""
    if "cmd" not in task or task["cmd"] is None:
        return "no cmd in the snapshot's entry"
    return None if isinstance(task["cmd"], str) else f"the snapshot's cmd is not text ({task['cmd']!r:.40})"


def _setting(value: Any) -> Any:
    """A task setting as compared: a JSON object written as text (`runMode`) by what it holds, so
    that the order of its keys does not count."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def tasks_differ(wanted: dict[str, dict[str, Any]], live: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The tasks (by name) that both hold whose body or settings differ, each with those fields
    (`cmd` first): every field both entries give (one given as null, or not at all, says nothing:
    the snapshot did not keep it, or the service does not give it)."""
    differing = {}
    for name, task in wanted.items():
        found = live.get(name)
        if found is None:
            continue
        fields = [key for key, value in task.items() if key != "name" and value is not None
                  and found.get(key) is not None and _setting(value) != _setting(found[key])]
        if fields:
            differing[name] = sorted(fields, key=lambda key: key != "cmd")
    return differing


def to_create(line: dict[str, Any]) -> dict[str, Any]:
    """A line whose flow the service does not have, marked so: it is created (Import Flow)."""
    return {**line, TO_CREATE: True}


class SnapshotError(CannotRun):
    """Not a snapshot, or not a whole one: one line naming the file."""


@dataclass
class Snapshot:
    path: Path
    header: dict[str, Any]
    # Each flow with its line number (the row's, counted from 2 as in the JSON Lines file); a line
    # that is not JSON comes as the text saying why.
    lines: Iterator[tuple[int, dict[str, Any] | str]]


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def write(path: Path, header: dict[str, Any], flows: list[dict[str, Any]]) -> None:
    """The header and the flows, whole, to PATH.partial, then renamed into place; the owner's alone
    (`private_files`: a flow's parameters may hold secrets)."""
    header = {"snapshot": SNAPSHOT_FORMAT, **header, "flows": len(flows)}
    with written_whole(path) as partial:
        _write(partial, header, flows, parquet=is_parquet(path))


def _write(partial: Path, header: dict[str, Any], flows: list[dict[str, Any]], parquet: bool) -> None:
    if parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
        for flow in flows:
            for name in COLUMNS:
                value = flow.get(name)
                columns[name].append(None if value is None else str(value))
        columns["flow"] = [json.dumps(flow, ensure_ascii=False) for flow in flows]
        table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
        table = table.replace_schema_metadata({PARQUET_KEY: json.dumps(header).encode()})
        pq.write_table(table, partial)
    else:
        with partial.open("w", encoding="utf-8") as out:
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            for flow in flows:
                out.write(json.dumps(flow, ensure_ascii=False) + "\n")


def read(path: Path, encoding: str = "utf-8") -> Snapshot:
    """The header (checked: a snapshot, and whole) and the flow lines, read as they are needed."""
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    return _read_parquet(path) if is_parquet(path) else _read_lines(path, encoding)


def _not_a_snapshot(path: Path, found: str) -> SnapshotError:
    return SnapshotError(f"{path}: this does not look like a snapshot of `migrate export` (expected a first line "
                         f"{{\"snapshot\": {SNAPSHOT_FORMAT}, …}}; found {shown(found)})")


def _checked(path: Path, header: Any, found: str, held: int) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("snapshot") != SNAPSHOT_FORMAT:
        raise _not_a_snapshot(path, found)
    if held != header.get("flows"):  # a snapshot cut short (or added to) by hand
        said = (f"says {header['flows']} flows" if isinstance(header.get("flows"), int) else
                "has no flow count (`flows`)")
        raise SnapshotError(f"{path}: the header {said}, the file holds {held}")
    return header


def _starts_utf16(path: Path) -> bool:
    try:
        with path.open("rb") as raw:
            return raw.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    except OSError:
        return False  # said by the reading that follows


def _read_lines(path: Path, encoding: str) -> Snapshot:
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        # A byte-order mark is no part of the header: a file saved again by Notepad (UTF-8), or
        # passed through Windows PowerShell 5.1's `>` or Out-File (UTF-16).
        encoding = "utf-16" if _starts_utf16(path) else "utf-8-sig"
    try:
        with path.open(encoding=encoding) as lines:
            first = lines.readline()
            held = sum(1 for line in lines if line.strip())  # checked before any flow goes out, not after
    except UnicodeDecodeError:
        raise SnapshotError(f"{path}: not {encoding} text: not a snapshot of `migrate export`") from None
    try:
        header = json.loads(first, object_pairs_hook=unique_keys) if first.strip() else None
    except json.JSONDecodeError:
        header = None
    except RecursionError:
        raise SnapshotError(f"{path}: the header (line 1) is JSON nested too deep to read") from None
    except DuplicateKey as duplicate:  # its target and org_id say which service it came from
        raise SnapshotError(f"{path}: the header (line 1): {duplicate}") from None
    header = _checked(path, header, first.strip(), held)

    def flows() -> Iterator[tuple[int, dict[str, Any] | str]]:
        with path.open(encoding=encoding) as lines:
            lines.readline()
            for number, line in enumerate(lines, 2):
                if line.strip():
                    try:
                        yield number, json.loads(line, object_pairs_hook=unique_keys)
                    except json.JSONDecodeError as error:
                        yield number, f"line {number} is not JSON ({error.msg} at column {error.colno})"
                    except DuplicateKey as duplicate:  # a hand edit: which value was meant is not known
                        yield number, f"line {number}: {duplicate}"
                    except RecursionError:
                        yield number, f"line {number} is JSON nested too deep to read"

    return Snapshot(path, header, flows())


def _read_parquet(path: Path) -> Snapshot:
    import pyarrow.parquet as pq

    try:
        found = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises its own kinds for a file that is not Parquet
        raise SnapshotError(f"{path}: not a Parquet file ({error})") from None
    metadata = found.schema_arrow.metadata or {}
    try:
        header = json.loads(metadata[PARQUET_KEY]) if PARQUET_KEY in metadata else None
    except json.JSONDecodeError:
        header = None
    header = _checked(path, header, "a Parquet file without migrate's header", found.metadata.num_rows)
    if "flow" not in found.schema_arrow.names:
        raise SnapshotError(f"{path}: a Parquet snapshot without its `flow` column")

    def flows() -> Iterator[tuple[int, dict[str, Any] | str]]:
        number = 2
        for batch in found.iter_batches(columns=["flow"]):
            for text in batch.column(0).to_pylist():
                try:
                    yield number, json.loads(text, object_pairs_hook=unique_keys)
                except (TypeError, json.JSONDecodeError, RecursionError):
                    yield number, f"row {number - 1} is not a flow (its `flow` column is not JSON it can read)"
                except DuplicateKey as duplicate:
                    yield number, f"row {number - 1}: {duplicate}"
                number += 1

    return Snapshot(path, header, flows())
