"""EnOS v2.0 Dataflow exports, for the v2.0 -> v2.1 platform move: Get Flow answers (the `status`
envelope, or its `data` alone, or a list of either) with `graph` as a string or an object, and
the snake_case keys of older pages (`alert_mode`, `do_as`, `start_time`). Flow and task ids are
carried over: the two versions are one service renamed.

What the graph says is carried as it stands: the relations with their own cycleGap and rerun, and
the upstream flow nodes (`flows`, FlowSimpleInfo, ids kept) with the relations from them (through
the `links` column); the flow's doAs and visitors. A manual (type 0) or temporary (type 2) flow
is unscheduled (a manual flow with `[mapping] unscheduled = "manual"`), whatever its freq says.

Export Flow answers (`action=export`: `name`, `cron`, `tasks` with their `cmd`, relations by task
name, `flowLinks` / `taskLinks` / `linkRelations` on other flows by name) are read too: they name no
id nor state, so the flow is found by its name, saved disabled (ACTIVE_UNKNOWN) and its tasks are
numbered; each task's command is carried, its run settings (type other than COMMAND, resource,
runMode, timeout, retries) are TASK_SETTINGS, and a wait on another flow, known by name only, is
CROSS_FLOW_DEPENDENCY.

A file in which no entry is a Get Flow or Export Flow answer (another scheduler's export, say) is
refused as a whole, never read as flows with missing fields; one odd entry among flows is that
entry's MALFORMED_FLOW error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from migrate.config import SourceSettings
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.profiles.json_documents import load_json
from migrate.sources.readers import DuplicateKey, SourceError, SourceRow, unique_keys

SNAKE = {"alert_mode": "alertMode", "do_as": "doAs", "start_time": "startTime", "flow_id": "flowId",
         "flow_name": "flowName", "task_id": "taskId", "task_name": "taskName", "node_id": "nodeId",
         "cycle_gap": "cycleGap", "is_virtual": "isVirtual"}


# Keys of a Get Flow answer's `data` (after the snake_case ones are renamed): a flow has one at least.
FLOW_KEYS = ("flowId", "flowName", "graph")
# An Export Flow answer's `data` has all of these, and one of EXPORT_LINKS at least.
EXPORT_KEYS = ("name", "cron", "tasks")
EXPORT_LINKS = ("relations", "flowLinks", "taskLinks", "linkRelations")
EXPECTED = ("expected Get Flow answers: {\"status\": 0, \"data\": {\"flowId\", \"flowName\", \"freq\", \"graph\", …}}, "
            "Export Flow answers ({\"data\": {\"name\", \"cron\", \"tasks\", \"relations\", …}}), their data objects, "
            "or a list of them")
# Flow types of v2.0 without a time schedule, and what they were.
UNSCHEDULED_TYPES = {"0": "a v2.0 manual flow (type 0): it ran only when triggered",
                     "2": "a v2.0 temporary flow (type 2): it ran once, when triggered"}
# An exported task's run settings, and the value that says nothing (what a plain command task has).
TASK_SETTING_DEFAULTS: dict[str, Any] = {"resource": "default", "timeout": None, "retryLimit": 0, "retryInterval": 0,
                                         "priorityLevel": 0, "successCode": "0", "filePackage": "", "runMode": None}
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


def _is_export(item: Any) -> bool:
    """An Export Flow `data` object: a name, a cron, tasks, and relations or links."""
    return isinstance(item, dict) and all(key in item for key in EXPORT_KEYS) and \
        isinstance(item["tasks"], list) and any(key in item for key in EXPORT_LINKS)


def _is_flow(item: Any) -> bool:
    """A Get Flow `data` object (it names its flow, by id or name, or carries its graph) or an
    Export Flow one."""
    return (isinstance(item, dict) and any(key in item for key in FLOW_KEYS)) or _is_export(item)


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


def _unscheduled_type(flow: FlowRows, flow_type: Any) -> None:
    if (reason := UNSCHEDULED_TYPES.get(str(flow_type))) is not None:
        flow.unscheduled(reason)


def _links(flow: FlowRows, graph: dict[str, Any], nodes: dict[Any, str]) -> dict[str, list[Any]]:
    """The graph's relations and upstream flow nodes, as they stand (cycleGap and rerun of each);
    a relation naming a node the graph does not hold is the flow's BROKEN_REFERENCE."""
    flows = [f for f in graph.get("flows") or [] if isinstance(f, dict)]
    flow_nodes = {f.get("nodeId") for f in flows}
    relations = []
    for relation in graph.get("relations") or []:
        source, target = relation.get("source"), relation.get("target")
        if (source in nodes or source in flow_nodes) and target in nodes:
            relations.append(relation)
        else:
            flow.fail("BROKEN_REFERENCE", f"relation {source}->{target} names a node that is not a task (or, as "
                                          "its source, an upstream flow) of the flow")
    return {"relations": relations, "flows": flows}


def _flow(data: dict[str, Any]) -> FlowRows:
    if _is_export(data) and not any(key in data for key in FLOW_KEYS):
        return _exported_flow(data)
    graph = data.get("graph") or {}
    unreadable = ""
    if isinstance(graph, str):
        try:
            graph = _camel(json.loads(graph, object_pairs_hook=unique_keys))
        except json.JSONDecodeError as error:
            graph, unreadable = {}, f"its graph is not JSON ({error.msg} at column {error.colno})"
        except DuplicateKey as duplicate:
            graph, unreadable = {}, f"its graph: {duplicate}"
        except RecursionError:
            graph, unreadable = {}, "its graph is JSON nested too deep to read"
    flow_id = str(data.get("flowId", graph.get("id", "")))
    flow = FlowRows(key=flow_id or str(data.get("flowName")), name=str(data.get("flowName", graph.get("name", ""))))
    flow.schedule = str(data.get("freq", graph.get("freq", "")))
    if unreadable:
        flow.fail("MALFORMED_FLOW", unreadable)
    _unscheduled_type(flow, data.get("type", graph.get("type")))
    owners = data.get("owner", graph.get("owners", ""))
    flow.cells.update(
        flow_id=flow_id, owners=str(owners), active=str(data.get("active", graph.get("active", ""))),
        alert=str(data.get("alertMode", graph.get("alertMode", ""))), desc=str(data.get("desc", "")),
        start_date=str(data.get("startTime", graph.get("startTime", "")))[:10],
        params=str(data.get("parameters", graph.get("parameters", "")) or ""),
        do_as=str(data.get("doAs", graph.get("doAs", "")) or ""),
        visitors=str(data.get("visitor", graph.get("visitors", "")) or ""),
        cycle=str(data.get("cycle", graph.get("cycle", "")) or ""),
        queue=str(data.get("queue", graph.get("queue", "")) or ""),
    )
    if data.get("alertTo"):
        flow.warn("V2_ONLY_FIELD", f"alertTo {data['alertTo']!r} has no v2.1 field; set the alert receivers anew")
    nodes = {t.get("nodeId"): str(t.get("taskId")) for t in graph.get("tasks") or []}
    links = _links(flow, graph, nodes)
    upstream: dict[str, list[str]] = {}
    for relation in links["relations"]:
        if relation.get("source") in nodes:
            upstream.setdefault(nodes[relation["target"]], []).append(nodes[relation["source"]])
    flow.cells["links"] = json.dumps(links)
    flow.tasks = [
        {"task_id": str(t.get("taskId")), "task_name": str(t.get("taskName", "")), "x": str(t.get("x", "")),
         "y": str(t.get("y", "")), "upstream": ";".join(upstream.get(str(t.get("taskId")), []))}
        for t in graph.get("tasks") or []
    ]
    return flow


def _task_settings(task: dict[str, Any]) -> list[str]:
    """The run settings of an exported task that its command does not carry."""
    settings = [f"type {task['type']}"] if task.get("type") not in (None, "", "COMMAND", 3, "3", "SHELL") else []
    settings += [f"{name} {task[name]}" for name, plain in TASK_SETTING_DEFAULTS.items()
                 if task.get(name) not in (None, "", plain)]
    return settings


def _exported_flow(data: dict[str, Any]) -> FlowRows:
    """An Export Flow answer: found by name (it names no id), its tasks numbered in order."""
    name = str(data.get("name"))
    flow = FlowRows(key=name, name=name)
    flow.schedule = str(data.get("cron") or "")
    _unscheduled_type(flow, data.get("type"))
    # Export Flow does not say whether the flow was enabled: saved disabled, never started unasked.
    flow.warn("ACTIVE_UNKNOWN", "an Export Flow answer does not say whether the flow was enabled: saved disabled "
                                "(active 0); enable it once checked (`migrate enable`), or export it with Get Flow")
    flow.cells.update(
        active="0", owners=str(data.get("owners") or ""), alert=str(data.get("alertMode", "")),
        desc=str(data.get("desc") or ""),
        start_date=str(data.get("startTime") or "")[:10], params=str(data.get("parameters") or ""),
        do_as=str(data.get("submitter") or ""), visitors=str(data.get("visitors") or ""),
        cycle=str(data.get("cycle") or ""),
    )
    if data.get("alertTo"):
        flow.warn("V2_ONLY_FIELD", f"alertTo {data['alertTo']!r} has no v2.1 field; set the alert receivers anew")
    tasks = [t for t in data["tasks"] if isinstance(t, dict)]
    names = [str(t.get("name")) for t in tasks]
    numbers = {name: str(number) for number, name in enumerate(names, 1)}
    if len(numbers) < len(names):  # relations name tasks: two of one name cannot be told apart
        flow.fail("MALFORMED_FLOW", f"two tasks are named {next(n for n in names if names.count(n) > 1)!r}")
    upstream: dict[str, list[str]] = {}
    for relation in data.get("relations") or []:
        source, target = str(relation.get("sourceTaskName")), str(relation.get("targetTaskName"))
        if source in numbers and target in numbers:
            upstream.setdefault(numbers[target], []).append(numbers[source])
        else:
            flow.fail("BROKEN_REFERENCE", f"relation {source}->{target} names a task the flow does not hold")
    _exported_links(flow, data)
    for task in tasks:
        if settings := _task_settings(task):
            flow.warn("TASK_SETTINGS", f"task {task.get('name')}: {', '.join(settings)}: not carried by its command; "
                                       "set them on the task after the import")
    flow.tasks = [{"task_id": str(number), "task_name": name, "command": str(task.get("cmd") or ""),
                   "upstream": ";".join(upstream.get(str(number), []))}
                  for number, (name, task) in enumerate(zip(names, tasks, strict=True), 1)]
    return flow


def _exported_links(flow: FlowRows, data: dict[str, Any]) -> None:
    """Waits on other flows (flowLinks) and their tasks (taskLinks): known by name only, not id."""
    waited: dict[str, list[str]] = {}
    for link in (data.get("flowLinks") or []) + (data.get("taskLinks") or []):
        if isinstance(link, dict):
            upstream = str(link.get("sourceFlowName"))
            if link.get("sourceTaskName"):
                upstream += f" (its task {link['sourceTaskName']})"
            targets = [str(r.get("targetTaskName")) for r in data.get("linkRelations") or []
                       if isinstance(r, dict) and r.get("linkId") == link.get("linkId")]
            waited.setdefault(upstream, []).extend(targets)
    for upstream, targets in waited.items():
        flow.warn("CROSS_FLOW_DEPENDENCY", f"tasks {', '.join(targets) or '(none named)'} wait on flow {upstream}, "
                                           "which the export names but not by id: add the dependency in the flow "
                                           "after the import, or export it with Get Flow, whose graph has the ids")


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    entries = _flows_of(load_json(settings), str(settings.path))
    return rows_of(_flow(data) if _is_flow(data) else _not_a_flow(number, data)
                   for number, data in enumerate(entries, 1))


# The v2.0 flow's own doAs, visitors, cycle and queue (blank: [defaults], the cycle the schedule's);
# the same service, so the same accounts. A cycle that contradicts the freq is refused, never replaced.
FIELDS = {"doAs": "do_as", "visitors": "visitors", "cycle": "cycle", "queue": "queue"}
PROFILE = Profile("enos-v2", "quartz", read, "EnOS v2.0 Dataflow Get Flow / Export Flow JSON", FIELDS,
                  takes_options=False)
