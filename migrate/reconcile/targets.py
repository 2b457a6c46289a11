"""Flows given by name rather than id: find them in the service, or describe them for Import.

Save Flow needs the id of an existing flow and only references existing tasks (reference §10).
So a flow found by name has our task ids rebound to its live ones by task name, and a flow that
does not exist yet is created with Import Flow, whose export-form body carries task names and
commands, then saved like any other.
"""

from __future__ import annotations

import json
from typing import Any

from migrate.mapping.flows import ReadyFlow
from migrate.mapping.graph import task_node_id


class RebindError(ValueError):
    """The live flow's tasks do not match ours: Save cannot create or rename tasks."""


def rebind(wire: dict[str, Any], flow_id: str, live_graph: dict[str, Any], proven: bool = False) -> dict[str, Any]:
    """Our payload aimed at a live flow: its id, and our tasks matched to its tasks by name.
    `proven`: the live flow is ours by its identity marker, so a task whose name is not there is
    matched by what follows the flow's name in it (several profiles name tasks after their flow:
    `<flow>`, `<flow>_step2`; a job renamed in its export renames them all), when that matches
    one task each way. A matched task keeps the live task's name: Save references tasks, it does
    not rename them."""
    live: dict[str, str] = {}
    for task in live_graph.get("tasks") or []:
        name = str(task.get("taskName"))
        if name in live:
            raise RebindError(f"the live flow has two tasks named {name!r}")
        live[name] = str(task.get("taskId"))
    named = {t["taskName"]: t["taskName"] for t in wire["tasks"] if t["taskName"] in live}
    missing = sorted(t["taskName"] for t in wire["tasks"] if t["taskName"] not in live)
    if missing and proven:
        named.update(_by_suffix(missing, sorted(set(live) - set(named.values())), str(wire.get("name", "")),
                                str(live_graph.get("name", ""))))
        missing = sorted(name for name in missing if name not in named)
    if missing:
        raise RebindError(f"tasks {missing} are not in the live flow {flow_id} (it has {sorted(live)}); Save "
                          "cannot create tasks: add them in the service, or delete the flow (`migrate delete CONFIG "
                          f"--id {flow_id} --apply`) and let a run with create_missing make it anew with them")
    nodes = {t["nodeId"]: task_node_id(live[named[t["taskName"]]]) for t in wire["tasks"]}
    return {
        **wire, "id": flow_id,
        "tasks": [{**t, "taskName": named[t["taskName"]], "taskId": live[named[t["taskName"]]],
                   "nodeId": nodes[t["nodeId"]]} for t in wire["tasks"]],
        "relations": [
            {**r, "source": nodes.get(r["source"], r["source"]), "target": nodes.get(r["target"], r["target"])}
            for r in wire["relations"]
        ],
    }


def aimed_at_live_tasks(wire: dict[str, Any], flow_id: str, live_graph: dict[str, Any]) -> dict[str, Any]:
    """Our payload for a flow given by id, aimed at the live flow's tasks when it holds none of
    ours: made anew by Import (a restore of a deleted flow, a run's create_missing), its tasks
    are the service's new ones, and Save references only tasks the flow has (reference §10), so
    ours are matched to them by name (rebind, `proven`: the id is the flow's). Any task id in
    common: as it is (a task taken out of the graph by hand is put back by id). RebindError: the
    names do not match either."""
    ids = {str(task.get("taskId")) for task in _listed(wire.get("tasks")) if isinstance(task, dict)}
    live_ids = {str(task.get("taskId")) for task in _listed(live_graph.get("tasks")) if isinstance(task, dict)}
    if not ids or not live_ids or ids & live_ids:
        return wire
    return rebind(wire, flow_id, live_graph, proven=True)


def _listed(value: Any) -> list[Any]:
    """A graph's list as it should be; anything else (a snapshot edited by hand: `"tasks": "x"`) as
    none, which the mapping then refuses, naming it."""
    return value if isinstance(value, list) else []


def _by_suffix(ours: list[str], theirs: list[str], our_flow: str, their_flow: str) -> dict[str, str]:
    """Our task names matched to the live flow's unmatched ones by what follows each flow's name
    (or, for the live ones, any prefix: a flow renamed before keeps its tasks' first names), only
    when each of ours has exactly one and no two share one; else nothing is matched."""
    suffixes = {name: name[len(our_flow):] for name in ours if our_flow and name.startswith(our_flow)}
    if len(suffixes) != len(ours):
        return {}
    matched: dict[str, str] = {}
    for name, suffix in suffixes.items():
        exact = [live for live in theirs if their_flow and live == their_flow + suffix]
        candidates = exact or [live for live in theirs if live.endswith(suffix) and (suffix or len(theirs) == 1)]
        if len(candidates) != 1:
            return {}
        matched[name] = candidates[0]
    return matched if len(set(matched.values())) == len(matched) else {}


def import_body(flow: ReadyFlow, dir_id: str, flow_id: str | None = None) -> dict[str, Any]:
    """Import Flow's body (reference §6): the export form, with names instead of ids; with
    `flow_id`, the id asked for (the service keeps it unless it is taken). Each task as Export
    Flow gave it where the flow carries its settings (a snapshot's: type, resource, runMode,
    timeout, retries…), else a COMMAND task running the flow's command for it."""
    wire = json.loads(flow.body)
    names = {t["nodeId"]: t["taskName"] for t in wire["tasks"]}
    settings = flow.task_settings or {}
    return {
        **({"flowId": int(flow_id)} if flow_id is not None else {}),
        "flowName": wire["name"], "desc": wire["desc"], "dirId": dir_id,
        "flowJson": {
            "name": wire["name"], "cycle": wire["cycle"], "cron": wire["freq"], "parameters": wire["parameters"],
            "submitter": wire["doAs"], "owners": wire["owners"], "visitors": wire["visitors"], "type": wire["type"],
            "desc": wire["desc"], "startTime": wire["startTime"], "syncType": 1, "alertMode": wire["alertMode"],
            "tasks": [_import_task(t["taskName"], flow.commands.get(t["taskId"], ""), wire["doAs"],
                                   settings.get(t["taskId"])) for t in wire["tasks"]],
            "relations": [{"sourceTaskName": names[r["source"]], "targetTaskName": names[r["target"]],
                           "rerun": r["rerun"]} for r in wire["relations"] if r["source"] in names],
            "flowLinks": [], "taskLinks": [], "linkRelations": [],
        },
    }


DEFAULT_RUN_MODE = json.dumps({"taskMode": 1, "cpu": 0.5, "memory": 1, "maxParallel": 0, "keyType": 0,
                               "datasourceId": 0, "path": "", "content": ""}, separators=(",", ":"))


def _import_task(name: str, command: str, submitter: str, exported: str | None) -> dict[str, Any]:
    """One task of Import's flowJson: the documented Task struct with the samples' values, over
    which a task's exported settings (a JSON object, the `task_settings` column) go as they were."""
    task: dict[str, Any] = {
        "name": name, "resource": "default", "type": "COMMAND", "cmd": command, "submitter": submitter,
        "filePackage": "", "cron": "", "priorityLevel": 0, "timeout": 300, "retryLimit": 0, "retryInterval": 0,
        "successCode": "0", "asLink": False, "syncType": 1, "runMode": DEFAULT_RUN_MODE}
    if exported:
        task.update(json.loads(exported))
        task.update(name=name, cmd=command)  # the name the flow has, the body its command column gave
    return task


def root_directory(tree: Any) -> str | None:
    """The key of the root "Workflow" directory in List Workflow Directories' answer."""
    for node in tree if isinstance(tree, list) else []:
        if isinstance(node, dict) and node.get("isDirectory"):
            return str(node.get("key"))
    return None
