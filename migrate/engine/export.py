"""`migrate export`: the live flows of a selection, read (never written) and kept as a snapshot.

Connects as a plan does (engine/inventory.py `_read_live`): one Get My Flow listing and one List
Directories tree (a flow's directory is only there), then Get Flow for each flow the listing's
criteria leave in the running, and Export Flow for each flow kept (its tasks' bodies and
settings, which Get Flow does not give), every request paced and retried by the run's Runner.
The snapshot is JSON Lines: a header line, then one flow a line with every field Get Flow returns
(its `graph` as the object it encodes), `dirId` and `directory`, and `exported` (the tasks as
Export Flow gave them) (migrate/snapshots.py; or Parquet, by the file's suffix). An Export Flow
that fails leaves its flow's line without the tasks, saying why (`exported.error`), rather than
failing the whole export: the flow is still there to restore, which then says its bodies are
missing. It is written to `FILE.partial` and renamed only once whole: there is never a half
snapshot under the name."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate import snapshots
from migrate.config import Settings
from migrate.engine.connection import connected
from migrate.exit_codes import EXIT_ABORTED, TargetUnreachable
from migrate.reconcile.compare import remote_graph
from migrate.reconcile.live import listed_flows
from migrate.selection import DirectoryTree, Selection, directory_tree, flow_matches, listing_matches

if TYPE_CHECKING:  # the heavy modules are imported where used: `migrate --help` stays quick
    from migrate.engine.runner import Exchange, Runner
    from migrate.service.client import BatchClient

class ExportReadError(TargetUnreachable):
    """The live flows could not be read: one line, exit 1, no snapshot written."""


class ExportAborted(ExportReadError):
    """The service refused the credentials or the account while reading: exit 4, as a run's
    breaker gives (retried as a wrong URL would be, a refused secret could lock the account)."""

    exit_code = EXIT_ABORTED


def _read_error(reader: Runner, message: str) -> ExportReadError:
    return ExportAborted(message) if reader.abort_reason is not None else ExportReadError(message)


@dataclass
class ExportResult:
    target: str
    org: str = ""  # the organization read (a snapshot says it: restoring it into another is told)
    listed: int = 0  # flows Get My Flow lists
    flows: list[dict[str, Any]] = field(default_factory=list)  # the selected flows, by id
    requests: Counter[str] = field(default_factory=Counter)  # requests sent, retries included, by action
    missing: list[str] = field(default_factory=list)  # ids the selection names that no listed flow has
    unexported: list[str] = field(default_factory=list)  # ids whose Export Flow failed: lines without bodies
    names: dict[str, list[str]] = field(default_factory=dict)  # every listed flow's name -> the ids that hold it

    def missing_note(self) -> str | None:
        if not self.missing:
            return None
        shown = ", ".join(self.missing[:10]) + (f" and {len(self.missing) - 10} more" if len(self.missing) > 10 else "")
        return f"{len(self.missing)} ids of the selection are not among the flows you can see: {shown}"

    def unexported_note(self, consequence: str = "") -> str | None:
        """`consequence`: what it means for the verb (a delete deletes none of them), else for the lines."""
        if not self.unexported:
            return None
        ids = sorted(self.unexported, key=lambda flow_id: (len(flow_id), flow_id))  # as the lines are, not as answered
        shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        return (f"Export Flow failed for {len(self.unexported)} flows ({shown}): " + (consequence or (
            "their lines hold no task bodies (`exported.error` says why); a restore that must create one creates it "
            "inactive, saying so")))

    def requests_text(self) -> str:
        return f"{sum(self.requests.values())} requests " \
               f"({', '.join(f'{n} {action}' for action, n in self.requests.most_common())})"


def read_selection(settings: Settings, selection: Selection, bodies: bool = True) -> ExportResult:
    """`bodies`: each flow's tasks by Export Flow too (a snapshot to keep; a plan needs none)."""
    return asyncio.run(_read(settings, selection, bodies))


async def _read(settings: Settings, selection: Selection, bodies: bool) -> ExportResult:
    from migrate.engine.pacing import StopSignal

    async with connected(settings, StopSignal()) as connection:
        result = ExportResult(settings.target.url, settings.target.org_id)
        await read_flows(connection.runner, connection.client, selection, result, bodies)
    return result


async def read_flows(reader: Runner, client: BatchClient, selection: Selection, result: ExportResult,
                     bodies: bool | Collection[str] = False) -> None:
    """The selection's flows into `result.flows` (snapshot lines, by id), every request through
    the reader's `_send`; any flow that cannot be read raises ExportReadError. With `bodies`, each
    kept flow's tasks by Export Flow as well (a snapshot that brings flows back: export, delete's
    before file), or, given ids, those flows' only (a restore compares the live tasks with the
    snapshot's where it holds them); one whose Export fails keeps its line, without them
    (`exported.error`, `result.unexported`)."""

    def counted(action: str, exchange: Exchange, what: str) -> Any:
        result.requests[action] += exchange.attempts
        if exchange.result != "ok" or exchange.answer is None:
            raise _read_error(reader, f"{what} could not be read: {reader.abort_reason or exchange.msg}")
        return exchange.answer.data

    listing = counted("getMyFlow", await reader._send(client.get_my_flows), "the live flows (Get My Flow)")
    listed = listed_flows(listing)
    result.listed = len(listed)
    for item in listed:
        result.names.setdefault(item.name, []).append(item.flow_id)
    if selection.ids:
        there = {item.flow_id for item in listed}
        result.missing = [flow_id for flow_id in selection.ids if flow_id not in there]
    cycles = {str(item.get("flowId")): str(item["cycle"]) for item in listing
              if isinstance(item, dict) and item.get("cycle")} if isinstance(listing, list) else {}
    tree: DirectoryTree = directory_tree(counted(
        "listWorkFlowDirs", await reader._send(client.list_directories), "the directories (List Directories)"))
    in_dirs = tree.in_selected(selection)
    # The listing's criteria first (a listing without a cycle leaves that to Get Flow).
    candidates = sorted((item for item in listed
                         if listing_matches(selection, item.flow_id, item.name, cycles.get(item.flow_id))
                         and (in_dirs is None or item.flow_id in in_dirs)),
                        key=lambda item: (len(item.flow_id), item.flow_id))
    gate = asyncio.Semaphore(reader.settings.concurrency)

    async def read_one(flow_id: str) -> dict[str, Any]:
        async with gate:
            data = counted("get", await reader._send(lambda: client.get_flow(flow_id)), f"flow {flow_id}")
        if not isinstance(data, dict):
            raise ExportReadError(f"flow {flow_id}: Get Flow answered no flow ({str(data)[:80]})")
        return data

    async def export_one(flow_id: str) -> dict[str, Any]:
        async with gate:
            exchange = await reader._send(lambda: client.export_flow(flow_id))
        result.requests["export"] += exchange.attempts
        data = exchange.answer.data if exchange.answer is not None else None
        if exchange.result == "ok" and isinstance(data, dict) and isinstance(data.get("tasks"), list):
            return snapshots.exported_tasks(data["tasks"])
        if exchange.result in ("stopped", "refused"):  # a stop, or refused credentials: the reading ends
            raise _read_error(reader, f"flow {flow_id}'s tasks (Export Flow) could not be read: "
                                      f"{reader.abort_reason or exchange.msg}")
        result.unexported.append(flow_id)
        answered_no_tasks = exchange.result == "ok"
        return snapshots.export_failed(f"Export Flow answered no tasks ({str(data)[:80]})" if answered_no_tasks
                                       else exchange.msg or "no answer")

    read = await asyncio.gather(*(read_one(item.flow_id) for item in candidates))
    if reader.abort_reason is not None:
        raise ExportAborted(f"aborted by the service: {reader.abort_reason}")
    kept = [data for data in read if flow_matches(selection, data)]
    def wanted(flow_id: str) -> bool:
        return bodies if isinstance(bodies, bool) else flow_id in bodies

    async def exported_if_wanted(flow_id: str) -> dict[str, Any] | None:
        return await export_one(flow_id) if wanted(flow_id) else None

    exported: list[dict[str, Any] | None] = [None] * len(kept)
    if bodies:
        exported = list(await asyncio.gather(*(exported_if_wanted(str(data.get("flowId"))) for data in kept)))
        if reader.abort_reason is not None:
            raise ExportAborted(f"aborted by the service: {reader.abort_reason}")
    result.flows.extend(snapshot_line(data, tree, tasks) for data, tasks in zip(kept, exported, strict=True))


def snapshot_line(data: dict[str, Any], tree: DirectoryTree, exported: dict[str, Any] | None = None) -> dict[str, Any]:
    """Get Flow's data as kept: every field, the graph as the object it encodes (a string in the
    English samples), the flow's directory, and its tasks as Export Flow gave them (`exported`,
    when read)."""
    line = dict(data)
    if "graph" in line:
        line["graph"] = remote_graph(data)
    place = tree.places.get(str(data.get("flowId")))
    line["dirId"], line["directory"] = (place.dir_id, place.directory) if place else (None, None)
    if exported is not None:
        line[snapshots.EXPORTED] = exported
    return line


def write_snapshot(path: Path, result: ExportResult, selection: Selection) -> None:
    """The header and the flows, whole (migrate/snapshots.py: JSON Lines, or Parquet by suffix)."""
    snapshots.write(path, {"made": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "target": result.target,
                           **({"org_id": result.org} if result.org else {}), "selection": selection.as_json()},
                    result.flows)
