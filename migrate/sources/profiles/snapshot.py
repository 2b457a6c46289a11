"""Snapshots written by `migrate export` (migrate/snapshots.py: JSON Lines, a header line then one
Get Flow answer a line, or Parquet), read back so that `migrate run` saves the flows as they were: ids kept (the flow_id
column), tasks with their ids and positions, relations with their own cycleGap and rerun and the
flow nodes as they were (the `links` column), owners, visitors, doAs, type, queue, cycle, active,
alertMode, parameters, startTime, and the desc as it is, identity markers included (the profile
adds none of its own); and each task's body and settings as Export Flow gave them (the line's
`exported` tasks, by name): its body as the `command` column, the rest (type, resource, runMode,
timeout, retries…) as the `task_settings` column (JSON), which Import Flow sends as they were.

A line without them (an older snapshot, an Export Flow that failed, the before file of enable,
disable or edit), or a task entry without its `cmd` (absent or null; its other settings still go),
saves and updates as well (Save only references tasks), but a flow created from it would run
empty tasks: TASK_BODIES_MISSING names them. A line `migrate restore` marks to create
(`toCreate`) is created inactive, saying so; any other (a `migrate run` over the snapshot, which
may find the flow or create it) gets the warning for the case it is created, and the run creates
it inactive too (engine/runner.py).

A field given twice, at the top of the line and in its graph (freq, owners, alertMode…), is
restored as the graph has it; where the two differ (a line edited by hand in one place), the
warning SNAPSHOT_DIFFERS names both. Not carried, each named by a warning code: DIRECTORY (a
flow created anew goes to `[target] dir_id` or the root; an existing flow stays where it is) and
NODE_ID (a task node not named `t_<taskId>`: it is renamed so, and the relations with it). What the service keeps itself
(creator, createTime, updateUser, updateTime, entry, flags) is not the flow's to set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from migrate import snapshots
from migrate.config import SourceSettings
from migrate.mapping.graph import task_node_id
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.readers import SourceError, SourceRow


def _lines(settings: SourceSettings) -> Iterator[tuple[int, Any]]:
    """The flows of the snapshot, each with its line number; the header is checked first."""
    try:
        return snapshots.read(settings.path, settings.encoding).lines
    except snapshots.SnapshotError as error:
        raise SourceError(str(error)) from None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _flow(number: int, data: Any) -> FlowRows:
    if not isinstance(data, dict) or "flowId" not in data:
        flow = FlowRows(key=f"line {number}", name=f"line {number}")
        flow.fail("MALFORMED_FLOW", data if isinstance(data, str) else f"line {number} is not a flow (no flowId)")
        return flow
    graph = data.get("graph")
    flow_id = _text(data["flowId"])
    if not isinstance(graph, dict) or not isinstance(graph.get("tasks"), list):
        # Saved without its graph, the flow would lose its tasks, relations and dependencies.
        flow = FlowRows(key=flow_id, name=_text(data.get("flowName")))
        flow.fail("MALFORMED_FLOW", f"line {number}: flow {flow_id} has no graph with its tasks (`graph.tasks`): "
                                    "saving it would leave the flow without them; export it again")
        return flow
    flow = FlowRows(key=flow_id, name=_text(data.get("flowName", graph.get("name"))))
    flow.schedule = _text(graph.get("freq", data.get("freq")))

    def fact(key: str, *others: str) -> str:
        """The graph's value (what Save Flow stored), else Get Flow's top-level one."""
        for name in (key, *others):
            if name in graph:
                return _text(graph[name])
            if name in data:
                return _text(data[name])
        return ""

    flow.cells.update(
        flow_id=flow_id, owners=fact("owners", "owner"), visitors=fact("visitors", "visitor"), do_as=fact("doAs"),
        queue=fact("queue"), type=fact("type"), cycle=fact("cycle"),
        active=_text(data.get("active", graph.get("active"))), alert=fact("alertMode"), desc=fact("desc"),
        start_date=fact("startTime")[:10], params=fact("parameters"),
    )
    _differing(flow, data, graph)
    if data.get("directory"):
        flow.warn("DIRECTORY", f"the flow was in directory {data['directory']!r} ({data.get('dirId')}): a flow created "
                               "anew goes to [target] dir_id (else the root); an existing one stays where it is")
    renamed: dict[str, str] = {}
    tasks = [t for t in graph.get("tasks") or [] if isinstance(t, dict)]
    for task in tasks:
        node = task_node_id(_text(task.get("taskId")))
        if task.get("nodeId") != node:
            renamed[_text(task.get("nodeId"))] = node
            flow.warn("NODE_ID", f"task {task.get('taskId')}'s node {task.get('nodeId')!r} is saved as {node!r}")
    relations = [{**r, "source": renamed.get(_text(r.get("source")), r.get("source")),
                  "target": renamed.get(_text(r.get("target")), r.get("target"))}
                 for r in graph.get("relations") or [] if isinstance(r, dict)]
    upstream: dict[str, list[str]] = {}
    ids = {task_node_id(_text(t.get("taskId"))): _text(t.get("taskId")) for t in tasks}
    for relation in relations:
        if relation["source"] in ids and relation["target"] in ids:
            upstream.setdefault(ids[relation["target"]], []).append(ids[relation["source"]])
    flow.tasks = [{"task_id": _text(t.get("taskId")), "task_name": _text(t.get("taskName")),
                   "x": repr(float(t["x"])) if isinstance(t.get("x"), int | float) else _text(t.get("x")),
                   "y": repr(float(t["y"])) if isinstance(t.get("y"), int | float) else _text(t.get("y")),
                   "upstream": ";".join(upstream.get(_text(t.get("taskId")), []))} for t in tasks]
    flow.cells["links"] = json.dumps({"relations": relations, "flows": graph.get("flows") or []}, ensure_ascii=False)
    _task_bodies(flow, data)
    return flow


# A line's fields that Get Flow gives twice, at the top of the line and in its graph: (top, graph).
# The graph's is what Save stored and what is restored; a line edited by hand in one place only
# would be restored without the edit, so a difference is said (SNAPSHOT_DIFFERS).
TWICE = (("flowName", "name"), ("freq", "freq"), ("cycle", "cycle"), ("alertMode", "alertMode"), ("doAs", "doAs"),
         ("owner", "owners"), ("visitor", "visitors"), ("queue", "queue"), ("type", "type"), ("desc", "desc"),
         ("startTime", "startTime"), ("parameters", "parameters"))


def _same(field: str, top: Any, graph: Any) -> bool:
    if field in ("owner", "visitor"):  # `;a;b;` at the top, `a;b` in the graph
        return [n for n in _text(top).split(";") if n] == [n for n in _text(graph).split(";") if n]
    if field == "parameters":
        try:
            return bool(json.loads(_text(top) or "[]") == json.loads(_text(graph) or "[]"))
        except ValueError:
            pass
    return _text(top) == _text(graph)


def _differing(flow: FlowRows, data: dict[str, Any], graph: dict[str, Any]) -> None:
    for top, inner in TWICE:
        if top in data and inner in graph and not _same(top, data[top], graph[inner]):
            flow.warn("SNAPSHOT_DIFFERS", f"{top} is {_text(data[top])!r} at the top of the line but "
                                          f"{_text(graph[inner])!r} in its graph ({inner}): the graph's is restored; "
                                          "to restore the other, edit it in the graph too")


# What Import takes of an exported task besides its name and its body (`cmd`, the command column).
NOT_SETTINGS = frozenset({"name", "cmd"})


def _task_bodies(flow: FlowRows, data: dict[str, Any]) -> None:
    """Each task's body and settings as Export Flow gave them (matched by task name), for Import;
    the tasks the line holds no body for (no entry of that name, or one without its `cmd`) are
    named (TASK_BODIES_MISSING) where the flow may be created."""
    exported = snapshots.task_bodies(data) or {}
    missing: dict[str, list[str]] = {}  # why -> the tasks it is said of
    no_entry = snapshots.bodies_missing_why(data) if not exported else "Export Flow gave no task of these names"
    for task in flow.tasks:
        found = exported.get(task["task_name"])
        if found is None:
            missing.setdefault(no_entry, []).append(task["task_name"])
            continue
        # The entry's other settings go to Import all the same: only the body is missing.
        task["task_settings"] = json.dumps({k: v for k, v in found.items() if k not in NOT_SETTINGS},
                                           ensure_ascii=False)
        if (why := snapshots.body_missing_why(found)) is not None:
            missing.setdefault(why, []).append(task["task_name"])
            continue
        task["command"] = found["cmd"]
    if not missing:
        return
    names = ", ".join(repr(name) for tasks in missing.values() for name in tasks)
    why = next(iter(missing)) if len(missing) == 1 else "; ".join(
        f"{', '.join(repr(name) for name in tasks)}: {reason}" for reason, tasks in missing.items())
    if data.get(snapshots.TO_CREATE):
        # Import would make tasks that run nothing; a schedule firing them is worse than one that waits.
        flow.cells["active"] = "0"
        flow.warn("TASK_BODIES_MISSING", (
            f"tasks {names} have no body here ({why}): the flow is created with them empty, so it is created "
            f"inactive (active 0; the snapshot has it {_text(data.get('active')) or 'unset'}); set the tasks' "
            f"bodies in the service, then `migrate enable CONFIG --id {flow.cells['flow_id']} --apply`"))
    elif "dirId" in data or "directory" in data:
        # A line with its place is one that may be created (`migrate restore` keeps it only for
        # those, engine/runbook.py write_desired); a flow that exists needs no body: Save only
        # references its tasks.
        flow.warn("TASK_BODIES_MISSING", (
            f"tasks {names} have no body here ({why}): a flow the service does not have is created with them "
            "empty, so it is created inactive (active 0); or export it again while it exists"))


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flow(number, data) for number, data in _lines(settings))


# Columns beyond the standard ones: a snapshot's owners are the service's own user names (the
# standard mapping leaves legacy owners out), and it knows every other Save Flow field too.
FIELDS = {"owners": "owners", "visitors": "visitors", "doAs": "do_as", "queue": "queue", "type": "type",
          "cycle": "cycle"}
PROFILE = Profile("snapshot", "service", read, "snapshots written by `migrate export` (JSON Lines or Parquet)", FIELDS,
                  identity_marker=False, takes_options=False)
