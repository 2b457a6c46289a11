"""DolphinScheduler 1.x workflow exports (1.2, 1.3): read by turning each record into the shape of a
2.x export, which `dolphinscheduler.py` reads, then adding what only a 1.x export says.

A 1.x export (ProcessDefinitionService.exportProcessMetaData) is a JSON list of ProcessMeta records:
`projectName`, `processDefinitionName`, `processDefinitionDescription`, `processDefinitionJson` (a
string holding `{"globalParams", "tasks", "tenantId", "timeout"}`), `processDefinitionLocations`
and `processDefinitionConnects` (strings, the canvas), and for a scheduled workflow the schedule's
fields flat beside them: `scheduleCrontab`, `scheduleStartTime`, `scheduleEndTime`,
`scheduleReleaseState`, `scheduleWarningType`, `scheduleWarningGroupId`, `scheduleFailureStrategy`,
`scheduleProcessInstancePriority`, `scheduleWorkerGroupName` (1.3; `scheduleWorkerGroupId` in 1.2).

How its facts land where the 2.x reading takes them:
- a task (`id` "tasks-51935", `name`, `type`, `params`, `runFlag` NORMAL/FORBIDDEN, `maxRetryTimes`,
  `retryInterval`, `timeout: {enable, strategy, interval}`, `taskInstancePriority`, `workerGroup`
  or 1.2's `workerGroupId`, `delayTime`, and a DEPENDENT task's `dependence`) is a task definition
  whose code is its place in the workflow (1, 2, …: a task id must be a number, and 1.x's ids are
  not), its id kept for the canvas;
- relations are the tasks' `preTasks` (names of the tasks before them), which is what 1.x runs;
  the connects only draw the canvas, and where they disagree with preTasks that is reported;
- a DEPENDENT item's `definitionId` is the workflow code that option `flow_ids` is keyed by, and
  `depTasks` other than ALL names the task waited on;
- the workflow's key is `workflow <projectName>/<processDefinitionName>` (a 1.x export holds no
  workflow code); its code for dependencies is `processDefinitionId` when the record has one.

What differs from a 2.x export, and is said so:
- the export holds no workflow release state, and writes every schedule's `scheduleReleaseState`
  as OFFLINE whatever it was: such a flow is saved inactive (INACTIVE_SOURCE says why);
- a schedule names no time zone (1.x fired in its server's zone): the flow's zone is left to
  `[mapping] source_timezone`;
- the schedule's failure strategy END, priority and worker group, and the workflow's time-out,
  are named (FAILURE_STRATEGY, PRIORITY, WORKER_GROUP, TIMEOUT).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from migrate.sources.profiles import FlowRows
from migrate.sources.profiles.dolphinscheduler import (
    Export,
    Malformed,
    code_text,
    json_object,
    json_objects,
    value_text,
    workflow_flow,
    workflow_names,
    workflow_records,
    workflow_timeout,
)

REQUIRED = ("projectName", "processDefinitionName", "processDefinitionJson")
SCHEDULE_FIELDS = ("scheduleCrontab", "scheduleStartTime", "scheduleEndTime", "scheduleReleaseState",
                   "scheduleWarningType", "scheduleFailureStrategy")
# What a 1.x export writes for every schedule, whatever its state (exportProcessMetaData).
EXPORTED_OFFLINE = "the schedule's releaseState is OFFLINE"
OFFLINE_EXPLAINED = ("a DolphinScheduler 1.x export writes every schedule's scheduleReleaseState as OFFLINE, whatever "
                     "it was, and holds no workflow release state: whether the workflow ran on its schedule is not "
                     "in the export; enable the flows that did")


def is_v1_record(record: Any) -> bool:
    return isinstance(record, dict) and all(record.get(key) not in (None, "") for key in REQUIRED)


def recognises(records: list[Any]) -> bool:
    """True when the file holds 1.x export records (each has the fields 1.x's own import requires)."""
    return any(is_v1_record(r) for r in records)


# -- a 1.x record in the shape of a 2.x export ------------------------------------------------------------

def _task(task: dict[str, Any], number: int) -> dict[str, Any]:
    name = value_text(task.get("name")).strip()
    if not value_text(task.get("id")).strip():
        raise Malformed(f"task {number} ({name or 'no name'}) has no id")
    params = dict(json_object(task.get("params"), f"task {name}'s params"))
    kind = value_text(task.get("type") or "SHELL").upper()
    if kind == "DEPENDENT":
        params["dependence"] = _dependence(json_object(task.get("dependence"), f"task {name}'s dependence"))
    if kind == "SUB_PROCESS" and "processDefinitionId" in params:
        params["processDefinitionCode"] = params["processDefinitionId"]
    timeout = json_object(task.get("timeout"), f"task {name}'s timeout")
    worker = task.get("workerGroup")
    if worker is None and code_text(task.get("workerGroupId")) not in ("", "-1"):
        worker = f"id {code_text(task.get('workerGroupId'))}"  # 1.2 names worker groups by id
    return {
        "code": str(number), "name": name, "taskType": kind, "taskParams": params,
        "description": task.get("description"),
        "flag": "NO" if value_text(task.get("runFlag")).upper() == "FORBIDDEN" else "YES",
        "failRetryTimes": task.get("maxRetryTimes"), "failRetryInterval": task.get("retryInterval"),
        "timeoutFlag": "OPEN" if timeout.get("enable") in (True, "true") else "CLOSE",
        "timeout": timeout.get("interval"), "timeoutNotifyStrategy": timeout.get("strategy"),
        "taskPriority": task.get("taskInstancePriority"), "workerGroup": worker or "default",
        "delayTime": task.get("delayTime"),
    }


def _dependence(dependence: dict[str, Any]) -> dict[str, Any]:
    """1.x's dependItems name the workflow by id and the task by name (`ALL`: the whole workflow)."""
    groups = []
    for group in json_objects(dependence.get("dependTaskList"), "dependTaskList"):
        items = []
        for item in json_objects(group.get("dependItemList"), "dependItemList"):
            task = value_text(item.get("depTasks")).strip()
            items.append({**item, "definitionCode": item.get("definitionId"),
                          "depTaskCode": 0 if task.upper() in ("", "ALL") else task})
        groups.append({**group, "dependItemList": items})
    return {**dependence, "dependTaskList": groups}


def _relations(tasks: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    """One relation per preTask, between task codes as 2.x relations are; a root task has one from 0."""
    by_name: dict[str, str] = {}
    for number, task in enumerate(tasks, 1):
        name = value_text(task.get("name")).strip()
        if name in by_name:
            raise Malformed(f"two tasks are named {name!r} ({value_text(tasks[int(by_name[name]) - 1].get('id'))} and "
                            f"{value_text(task.get('id'))}): preTasks cannot tell them apart")
        by_name[name] = str(number)
    relations = []
    for number, task in enumerate(tasks, 1):
        pre_tasks = [value_text(p).strip() for p in task.get("preTasks") or [] if value_text(p).strip()]
        for pre in pre_tasks or [""]:
            relations.append({"preTaskCode": by_name.get(pre, pre) if pre else 0, "postTaskCode": str(number),
                              "processDefinitionCode": code})
    return relations


def _locations(text: Any, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        locations = json_object(text, "processDefinitionLocations")
    except Malformed:
        return []  # only the layout is lost: it is drawn anew
    codes = {value_text(task.get("id")).strip(): str(number) for number, task in enumerate(tasks, 1)}
    return [{"taskCode": codes.get(task_id, task_id), "x": place.get("x", 0), "y": place.get("y", 0)}
            for task_id, place in locations.items() if isinstance(place, dict)]


def _schedule(record: dict[str, Any], code: str) -> dict[str, Any] | None:
    if record.get("scheduleCrontab") in (None, ""):
        given = [key for key in SCHEDULE_FIELDS if record.get(key) not in (None, "")]
        if given:
            raise Malformed(f"the record has schedule fields {given} but no scheduleCrontab: a schedule without a "
                            "crontab is malformed (an unscheduled workflow has no schedule fields at all)")
        return None
    return {"crontab": record["scheduleCrontab"], "startTime": record.get("scheduleStartTime"),
            "endTime": record.get("scheduleEndTime"), "releaseState": record.get("scheduleReleaseState"),
            "warningType": record.get("scheduleWarningType"), "warningGroupId": record.get("scheduleWarningGroupId"),
            "processDefinitionCode": code}


def current_shape(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a 2.x export record (processDefinition, processTaskRelationList,
    taskDefinitionList, schedule)."""
    data = json_object(record.get("processDefinitionJson"), "processDefinitionJson")
    tasks = json_objects(data.get("tasks"), "processDefinitionJson's tasks")
    code = code_text(record.get("processDefinitionId")) or workflow_path(record)
    definition = {
        "code": code, "name": value_text(record.get("processDefinitionName")),
        "description": record.get("processDefinitionDescription"),
        # A 1.x export holds no workflow state: only its schedule's (scheduleReleaseState) decides.
        "releaseState": "ONLINE",
        "globalParams": data.get("globalParams"), "tenantId": data.get("tenantId"),
        "locations": _locations(record.get("processDefinitionLocations"), tasks),
    }
    return {"processDefinition": definition, "processTaskRelationList": _relations(tasks, code),
            "taskDefinitionList": [_task(t, n) for n, t in enumerate(tasks, 1)],
            "schedule": _schedule(record, code)}


def workflow_path(record: dict[str, Any]) -> str:
    return f"{value_text(record.get('projectName'))}/{value_text(record.get('processDefinitionName'))}"


# -- what only a 1.x export says ------------------------------------------------------------------------------

def _connects(flow: FlowRows, record: dict[str, Any]) -> None:
    """The canvas's connects against the preTasks 1.x runs by."""
    try:
        connects = json_objects(record.get("processDefinitionConnects"), "processDefinitionConnects")
        tasks = json_objects(json_object(record.get("processDefinitionJson"), "").get("tasks"), "")
    except Malformed:
        return
    ids = {value_text(t.get("name")).strip(): value_text(t.get("id")).strip() for t in tasks}
    runs = {(ids.get(value_text(p).strip(), value_text(p).strip()), value_text(t.get("id")).strip())
            for t in tasks for p in t.get("preTasks") or [] if value_text(p).strip()}
    drawn = {(value_text(c.get("endPointSourceId")), value_text(c.get("endPointTargetId"))) for c in connects}
    if connects and drawn != runs:
        only_drawn, only_run = sorted(drawn - runs), sorted(runs - drawn)
        flow.warn("BROKEN_REFERENCE", f"the canvas's connects draw {only_drawn or 'no other line'} and miss "
                                      f"{only_run or 'none'} of the preTasks DolphinScheduler 1.x runs by: the "
                                      "relations follow preTasks")


def _schedule_settings(flow: FlowRows, record: dict[str, Any]) -> None:
    if record.get("scheduleCrontab") in (None, ""):
        return
    if value_text(record.get("scheduleFailureStrategy")).upper() == "END":
        flow.warn("FAILURE_STRATEGY", "when a task failed DolphinScheduler stopped the workflow's other running "
                                      "tasks (scheduleFailureStrategy END): not carried")
    priority = value_text(record.get("scheduleProcessInstancePriority")).upper()
    if priority not in ("", "MEDIUM"):
        flow.warn("PRIORITY", f"DolphinScheduler queued the scheduled runs at priority {priority} "
                              "(scheduleProcessInstancePriority): not carried")
    worker = value_text(record.get("scheduleWorkerGroupName")) or code_text(record.get("scheduleWorkerGroupId"))
    if worker not in ("", "default", "-1"):
        flow.warn("WORKER_GROUP", f"the scheduled runs went to DolphinScheduler worker group {worker}: a task runs "
                                  "where the service runs it; not carried")


def _workflow_timeout(flow: FlowRows, record: dict[str, Any]) -> None:
    try:
        minutes = code_text(json_object(record.get("processDefinitionJson"), "").get("timeout"))
    except Malformed:
        return
    workflow_timeout(flow, minutes)


def _explain_offline(flow: FlowRows) -> None:
    for warning in flow.warnings:
        if warning["code"] == "INACTIVE_SOURCE":
            warning["message"] = warning["message"].replace(EXPORTED_OFFLINE, OFFLINE_EXPLAINED)


def _not_v1(record: Any, index: int) -> FlowRows:
    name = f"workflow record {index + 1}"
    flow = FlowRows(key=name, name=name, cells={"active": "0"})
    missing = [k for k in REQUIRED if not isinstance(record, dict) or record.get(k) in (None, "")]
    found = sorted(record)[:8] if isinstance(record, dict) else f"a {type(record).__name__}"
    flow.fail("MALFORMED_RECORD", f"record {index + 1} lacks {missing}, which every DolphinScheduler 1.x export "
                                  f"record has (found {found})")
    return flow


def _flow_v1(record: dict[str, Any], shaped: dict[str, Any] | str, index: int, export: Export) -> FlowRows:
    """The 2.x reading of the shaped record (or the reason it could not be shaped), with the 1.x facts."""
    key = f"workflow {workflow_path(record)}"
    if isinstance(shaped, str):
        flow = FlowRows(key=key, name=value_text(record["processDefinitionName"]), cells={"active": "0"})
        flow.fail("MALFORMED_RECORD", f"{shaped}: the workflow is not read")
        return flow
    flow = workflow_flow(shaped, index, export)
    flow.key = key
    _explain_offline(flow)
    _connects(flow, record)
    _schedule_settings(flow, record)
    _workflow_timeout(flow, record)
    return flow


def _shaped(record: dict[str, Any]) -> dict[str, Any] | str:
    try:
        return current_shape(record)
    except Malformed as error:
        return str(error)


def _named_waits(readable: list[dict[str, Any]], flow_ids: dict[str, str]) -> None:
    """A DEPENDENT item names its workflow by id, which a 1.x record does not carry (its code is then
    its `project/name`), and 1.3's exporter adds the project and workflow names to each item: by
    those, a wait on a workflow of the export is a wait on that record (it was "not in this export")."""
    codes = {code_text(shape["processDefinition"].get("code")) for shape in readable}
    for shape in readable:
        for task in shape["taskDefinitionList"]:
            dependence = task["taskParams"].get("dependence") if task["taskType"] == "DEPENDENT" else None
            for group in (dependence or {}).get("dependTaskList", []):
                for item in group.get("dependItemList", []):
                    named = f"{value_text(item.get('projectName'))}/{value_text(item.get('definitionName'))}"
                    written = code_text(item.get("definitionCode"))
                    if written not in codes and written not in flow_ids and named in codes:  # flow_ids by id: kept
                        item["definitionCode"] = named


def flows(records: list[Any], flow_ids: dict[str, str]) -> Iterator[FlowRows]:
    shaped = [_shaped(r) if is_v1_record(r) else None for r in records]
    readable = [s for s in shaped if isinstance(s, dict)]
    _named_waits(readable, flow_ids)
    export = Export(flow_ids, workflow_names(readable), workflow_records(readable))
    for index, (record, shape) in enumerate(zip(records, shaped, strict=True)):
        yield _not_v1(record, index) if shape is None else _flow_v1(record, shape, index, export)
