"""EnOS v2.0 Dataflow exports, for the v2.0 -> v2.1 platform move: Get Flow answers (the `status`
envelope, or its `data` alone, or a list of either) with `graph` as a string or an object, and
the snake_case keys of older pages (`alert_mode`, `do_as`, `start_time`). Flow and task ids are
carried over: the two versions are one service renamed.

A file in which no entry is a Get Flow answer (none names a flowId, flowName or graph: another
scheduler's export, say) is refused as a whole, never read as flows with missing fields; one odd
entry among flows is that entry's MALFORMED_FLOW error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from migrate.config import SourceSettings
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.profiles.json_documents import load_json
from migrate.sources.readers import SourceError, SourceRow

SNAKE = {"alert_mode": "alertMode", "do_as": "doAs", "start_time": "startTime", "flow_id": "flowId",
         "flow_name": "flowName", "task_id": "taskId", "task_name": "taskName", "node_id": "nodeId",
         "cycle_gap": "cycleGap", "is_virtual": "isVirtual"}


# Keys of a Get Flow answer's `data` (after the snake_case ones are renamed): a flow has one at least.
FLOW_KEYS = ("flowId", "flowName", "graph")
EXPECTED = ("expected Get Flow answers: {\"status\": 0, \"data\": {\"flowId\", \"flowName\", \"freq\", \"graph\", …}}, "
            "their data objects, or a list of either")
# Keys that tell another scheduler's export, to name the profile that reads it.
OTHER_FORMATS = (("processDefinition", "DolphinScheduler", "dolphinscheduler"),
                 ("workflowDefinition", "DolphinScheduler", "dolphinscheduler"),
                 ("dags", "Airflow", "airflow"), ("dag_id", "Airflow", "airflow"))


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {SNAKE.get(k, k): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _is_flow(item: Any) -> bool:
    """A Get Flow `data` object: it names its flow (id or name) or carries its graph."""
    return isinstance(item, dict) and any(key in item for key in FLOW_KEYS)


def _not_an_export(path: str, items: list[Any]) -> SourceError:
    keys = sorted({str(k) for item in items if isinstance(item, dict) for k in item})
    found = f"found objects with keys {', '.join(keys[:8])}{', …' if len(keys) > 8 else ''}" if keys else \
        f"found {'an empty list' if not items else type(items[0]).__name__}"
    hint = next((f"; it looks like a {name} export: use profile \"{profile}\"" for key, name, profile in OTHER_FORMATS
                 if key in keys), "")
    return SourceError(f"{path}: this does not look like an EnOS v2.0 flow export ({EXPECTED}; {found}){hint}")


def _flows_of(document: Any, path: str) -> list[Any]:
    """The `data` of every answer; the file is refused when not one of them is a flow."""
    items = document if isinstance(document, list) else [document]
    flows = []
    for item in items:
        if isinstance(item, dict) and "status" in item and "data" in item:
            if item["status"] != 0:
                raise SourceError(f"{path}: an answer with status {item['status']} ({item.get('msg')}) is not a flow")
            item = item["data"]
        flows.append(_camel(item))
    if not any(map(_is_flow, flows)):
        raise _not_an_export(path, items)
    return flows


def _not_a_flow(number: int, item: Any) -> FlowRows:
    """An entry among flows that is not one: its own error, the other flows go on."""
    flow = FlowRows(key=f"entry {number}", name=f"entry {number}")
    flow.fail("MALFORMED_FLOW", f"entry {number} is not a Get Flow answer (no flowId, flowName or graph): "
                                f"{json.dumps(item, default=str)[:80]}")
    return flow


def _flow(data: dict[str, Any]) -> FlowRows:
    graph = data.get("graph") or {}
    unreadable = ""
    if isinstance(graph, str):
        try:
            graph = _camel(json.loads(graph))
        except json.JSONDecodeError as error:
            graph, unreadable = {}, f"its graph is not JSON ({error.msg} at column {error.colno})"
        except RecursionError:
            graph, unreadable = {}, "its graph is JSON nested too deep to read"
    flow_id = str(data.get("flowId", graph.get("id", "")))
    flow = FlowRows(key=flow_id or str(data.get("flowName")), name=str(data.get("flowName", graph.get("name", ""))))
    flow.schedule = str(data.get("freq", graph.get("freq", "")))
    if unreadable:
        flow.fail("MALFORMED_FLOW", unreadable)
    owners = data.get("owner", graph.get("owners", ""))
    flow.cells.update(
        flow_id=flow_id, owners=str(owners), active=str(data.get("active", graph.get("active", ""))),
        alert=str(data.get("alertMode", graph.get("alertMode", ""))), desc=str(data.get("desc", "")),
        start_date=str(data.get("startTime", graph.get("startTime", "")))[:10],
        params=str(data.get("parameters", graph.get("parameters", "")) or ""),
    )
    if data.get("alertTo"):
        flow.warn("V2_ONLY_FIELD", f"alertTo {data['alertTo']!r} has no v2.1 field; set the alert receivers anew")
    nodes = {t.get("nodeId"): str(t.get("taskId")) for t in graph.get("tasks") or []}
    upstream: dict[str, list[str]] = {}
    for relation in graph.get("relations") or []:
        if relation.get("source") in nodes and relation.get("target") in nodes:
            upstream.setdefault(nodes[relation["target"]], []).append(nodes[relation["source"]])
        else:
            flow.fail("BROKEN_REFERENCE", f"relation {relation.get('source')}->{relation.get('target')} names a "
                                          "node that is not a task of the flow")
    if graph.get("flows"):
        flow.warn("UPSTREAM_FLOWS", f"{len(graph['flows'])} upstream flow node(s) are not carried over")
    flow.tasks = [
        {"task_id": str(t.get("taskId")), "task_name": str(t.get("taskName", "")), "x": str(t.get("x", "")),
         "y": str(t.get("y", "")), "upstream": ";".join(upstream.get(str(t.get("taskId")), []))}
        for t in graph.get("tasks") or []
    ]
    return flow


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    entries = _flows_of(load_json(settings), str(settings.path))
    return rows_of(_flow(data) if _is_flow(data) else _not_a_flow(number, data)
                   for number, data in enumerate(entries, 1))


PROFILE = Profile("enos-v2", "quartz", read, "EnOS v2.0 Dataflow Get Flow / export JSON", takes_options=False)
