"""DolphinScheduler workflow exports (2.0 and later): the older keys (`processDefinition`,
`processTaskRelationList`) and the 3.3+ ones (`workflowDefinition`, `workflowTaskRelationList`),
with `taskDefinitionList`, the Quartz `schedule` and `locations` (canvas positions, scaled into
(0, 1)).

Every fact of a workflow is carried or named by a code:
- state: `active` is 1 only when the workflow and its schedule are both ONLINE and the schedule's
  `endTime` has not passed (against today in UTC; `INACTIVE_SOURCE` says which was off); an end
  date ahead within ten years is `SCHEDULE_ENDS` (further is DolphinScheduler's "never");
- the schedule's `timezoneId` goes to the `timezone` column; a workflow with no schedule is
  unscheduled (a manual flow when the user opts in); a schedule object without a `crontab` is
  malformed, that flow's `MALFORMED_RECORD` naming `schedule.crontab`;
- the tenant (`tenantCode` of the schedule or the workflow, else a `tenantId` other than the
  default) is the Linux user the tasks ran as: `RUN_AS`; `userName` made the workflow and stays
  its owner;
- a task's run settings that are not at their defaults are named per kind, with each task and
  value: `RETRY` (failRetryTimes/failRetryInterval), `TIMEOUT` (timeoutFlag OPEN, timeout,
  timeoutNotifyStrategy), `DELAY` (delayTime), `PRIORITY` (taskPriority), `WORKER_GROUP`,
  `ENVIRONMENT` (environmentCode), `RESOURCE_LIMIT` (cpuQuota, memoryMax);
- `globalParams` become the flow's parameters (`PARAM_EXPRESSION` when a value is a
  DolphinScheduler time expression, `PARAM_NOT_CARRIED` for OUT parameters); in a shell task's
  script, a `${name}` of the task's own IN parameter (`localParams`) whose value is known before
  the run is replaced with it, as DolphinScheduler replaced it; a value known only at run time (a
  time expression, a built-in, another task's OUT parameter) stays as written (`RUNTIME_PARAMETER`),
  as does a name no parameter has (`UNDEFINED_PARAMETER`); the local parameters not so put in are
  listed in the command (`LOCAL_PARAMS`);
- the schedule's `warningType` turns on e-mail alerts (`ALERT_APPROXIMATE` when DolphinScheduler
  alerted on success too, or only then; `ALERT_GROUP` names the alert group whose recipients stay behind);
- each task's body (SQL, Spark, Flink, MapReduce, Python, HTTP, stored procedure, DataX, Sqoop …)
  is kept in its command, as a readable text when it is not a shell script (`TASK_BODY_AS_TEXT`);
- a SUB_PROCESS / SUB_WORKFLOW task whose workflow the export holds is that workflow's tasks, laid
  out in the flow where the task was (`SUB_WORKFLOW`), with its global parameters under the
  parent's; one whose workflow is not in the export, a DYNAMIC task (a flow's task cannot run a
  flow) and branching tasks (CONDITIONS, SWITCH, BLOCKING: a flow would run every branch) make the
  flow invalid (`TASK_TYPE_NOT_CARRIED`); a task switched off (flag NO), which DolphinScheduler skipped while
  running the tasks after it, keeps its place doing nothing (`exit 0` before its body: TASK_DISABLED), whatever
  its type: a DEPENDENT task so switched off waited on nothing (no `flow_upstream` entry, its workflows named in
  TASK_DISABLED), nor did a SUB_PROCESS, DYNAMIC or BLOCKING one run or hold anything. A CONDITIONS or SWITCH
  task switched off is refused still when tasks come after it in an export older than 3.3 (keys
  `processDefinition…`, and 1.x): DolphinScheduler before 3.3 went from it only to the branch its run chose, so
  with no run to none (DagHelper.parsePostNodes), and a flow would run them all; 3.3's engine passes a task
  switched off on to every task after it (SuccessorFlowAdjuster), as a flow does;
- a `DEPENDENT` task switched on (a wait on other workflows) is not a task of the flow: its downstream tasks
  wait on its upstream tasks instead, and each workflow it waited on becomes a `flow_upstream` entry
  when its EnOS id is known (option `flow_ids`) and the window has an exact `cycleGap`, else a
  `CROSS_FLOW_DEPENDENCY` warning that says why and what to do: one per DEPENDENT task and workflow
  it waited on, naming that workflow's tasks it waited on (`depTaskCode`, 1.x `depTasks`) or its
  whole (ALL). A wait on the workflow's own task of the same period that runs before the waiting
  tasks is carried by the flow's relations (`SELF_DEPENDENCY`); any other wait on itself is never a
  flow node of the flow itself, even with its id in `flow_ids` (`CROSS_FLOW_DEPENDENCY`).

Option `flow_ids`: the EnOS flow id of DolphinScheduler workflows, by workflow code, used only to
resolve dependencies: a DEPENDENT task's wait on a listed workflow becomes a `flow_upstream` entry.
Either inline, `flow_ids = "137713880690528=2788; 137713880690529=2790"`, or a file (relative to the
export's folder): a CSV of `code,flow_id` lines (a header line and `#` comments are skipped) or a
JSON object `{"code": "flow_id"}`. A workflow's own flow id is never taken from it: the workflow is
found (or created) by name, and its tasks bound by name, since its DolphinScheduler task codes are
not EnOS task ids.

Cross-references that do not agree (a relation to a task that is not there, a schedule of another
workflow) are reported, not followed. A malformed record is that flow's failure, never the file's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from migrate.config import SourceSettings
from migrate.sources.profiles import (
    SECRET_NAME,
    FlowRows,
    Profile,
    look_like_secrets,
    parameters_text,
    rows_of,
    warn_secret_parameters,
)
from migrate.sources.profiles.end_dates import ends_sentence, has_ended, passed_phrase, today
from migrate.sources.profiles.json_documents import load_json
from migrate.sources.readers import DuplicateKey, SourceError, SourceRow, unique_keys

GENERATIONS = (("workflowDefinition", "workflowTaskRelationList", "workflowDefinitionCode"),
               ("processDefinition", "processTaskRelationList", "processDefinitionCode"))
OPTIONS = ("flow_ids",)
EXPECTED = ("expected a workflow export: a list of objects with processDefinition or workflowDefinition, "
            "processTaskRelationList or workflowTaskRelationList, taskDefinitionList and schedule, as "
            "DolphinScheduler 2.0 and later export them, or with projectName, processDefinitionName and "
            "processDefinitionJson, as 1.x exports them")
# Dependency windows that one cycleGap says exactly: the upstream flow's run of the same period, or
# of the one before. Other windows (last2Days, last7Days, lastMonday, last24Hours …) span or pick
# periods a single gap cannot name.
EXACT_WINDOWS = {
    ("hour", "currentHour"): "H0", ("hour", "last1Hour"): "H-1",
    ("day", "today"): "D0", ("day", "last1Days"): "D-1",
    ("week", "thisWeek"): "W0", ("week", "lastWeek"): "W-1",
    ("month", "thisMonth"): "M0", ("month", "lastMonth"): "M-1",
}
BRANCHING_TYPES = ("CONDITIONS", "SWITCH", "BLOCKING")
# Branching tasks whose successors DolphinScheduler before 3.3 chose from the task's own run
# (DagHelper.parsePostNodes, parseConditionTask, parseSwitchTask): switched off, it had no run, and
# went on to none of them. A BLOCKING task switched off never blocked: the tasks after it ran.
CHOOSING_TYPES = ("CONDITIONS", "SWITCH")
SUB_WORKFLOW_TYPES = ("SUB_PROCESS", "SUB_WORKFLOW", "DYNAMIC")
DEPENDENT = "DEPENDENT"
# DolphinScheduler's own expressions ($[yyyyMMdd-1], ${system.biz.date}): evaluated by it at run time.
TIME_EXPRESSION = re.compile(r"\$\[|\$\{system\.")
END_HORIZON = timedelta(days=3653)  # DolphinScheduler's default end is 100 years on: ends sooner are meant


class Malformed(Exception):
    """A record that is not shaped as DolphinScheduler writes it: that flow fails, the rest goes on."""


# -- reading values that may come as JSON text, numbers as strings, or nothing -----------------

def _parsed(value: Any, what: str) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value, object_pairs_hook=unique_keys)
        except json.JSONDecodeError as error:
            raise Malformed(f"{what} is not valid JSON ({error.msg} at column {error.colno})") from None
        except DuplicateKey as duplicate:
            raise Malformed(f"{what}: {duplicate}") from None
        except RecursionError:
            raise Malformed(f"{what} is JSON nested too deep to read") from None
    return value


def json_object(value: Any, what: str) -> dict[str, Any]:
    value = _parsed(value, what)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Malformed(f"{what} should be an object, not {type(value).__name__}")
    return value


def json_objects(value: Any, what: str) -> list[dict[str, Any]]:
    value = _parsed(value, what)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Malformed(f"{what} should be a list of objects")
    return value


def code_text(value: Any) -> str:
    """A DolphinScheduler code as text: 137713824398176, "137713824398176" and 1.37713824398176e14 agree."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def value_text(value: Any) -> str:
    return "" if value is None else str(value)


# -- the option flow_ids -------------------------------------------------------------------------

def _id_pairs(lines: list[str], where: str, header: bool = False) -> dict[str, str]:
    ids: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip().strip('"').strip() for p in re.split(r"[=,;\t]", line) if p.strip().strip('"').strip()]
        # A code is a number, or a 1.x workflow's `project/name` (its code when its record carries no id).
        if len(parts) == 2 and parts[1].isdigit() and (parts[0].isdigit() or "/" in parts[0].strip("/")):
            ids[parts[0]] = parts[1]
        elif not (header and number == 1 and len(parts) == 2):  # a header line such as "code,flow_id"
            raise SourceError(f"{where} line {number}: expected a workflow code and an EnOS flow id, got {line!r}")
    return ids


def _flow_ids(settings: SourceSettings) -> dict[str, str]:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"source.options: unknown option(s) {unknown} for profile dolphinscheduler "
                          f"(known: {list(OPTIONS)})")
    value = settings.options.get("flow_ids")
    if value is None:
        return {}
    text = str(value).strip()
    if "=" in text:
        return _id_pairs(text.split(";"), "source.options.flow_ids")
    path = Path(text) if Path(text).is_absolute() else settings.path.parent / text
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise SourceError(f"{path}: cannot read the flow_ids file ({error.strerror})") from None
    if path.suffix.lower() != ".json":
        return _id_pairs(content.splitlines(), str(path), header=True)
    try:
        table = json.loads(content, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as error:
        raise SourceError(f"{path}: not valid JSON at line {error.lineno} ({error.msg})") from None
    except DuplicateKey as duplicate:
        raise SourceError(f"{path}: {duplicate}") from None
    if not isinstance(table, dict):
        raise SourceError(f"{path}: expected an object of workflow code -> EnOS flow id")
    return _id_pairs([f"{code_text(k)}={code_text(v)}" for k, v in table.items()], str(path))


# -- one workflow ------------------------------------------------------------------------------

@dataclass
class Export:
    """What every flow of the file may look up: EnOS ids by workflow code, the workflows' names,
    and their records (a sub-workflow is laid out in the flows that run it)."""

    flow_ids: dict[str, str]
    names: dict[str, str]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Task:
    code: str
    name: str
    type: str
    params: dict[str, Any]
    record: dict[str, Any]
    upstream: list[str] = field(default_factory=list)


def _generation(export: Any) -> tuple[str, str, str] | None:
    if not isinstance(export, dict):
        return None
    return next((g for g in GENERATIONS if g[0] in export), None)


def _positions(locations: Any) -> dict[str, tuple[float, float]]:
    try:
        points = {code_text(p.get("taskCode")): (float(p.get("x", 0)), float(p.get("y", 0)))
                  for p in json_objects(locations, "locations")}
    except (Malformed, TypeError, ValueError):
        return {}  # only the layout is lost: it is drawn anew
    if not points:
        return {}
    width = max(x for x, _ in points.values()) or 1.0
    height = max(y for _, y in points.values()) or 1.0
    # DolphinScheduler places tasks in pixels; the flow canvas wants fractions inside (0, 1).
    return {code: (round(0.05 + 0.9 * x / width, 4), round(0.05 + 0.9 * y / height, 4))
            for code, (x, y) in points.items()}


def _tasks(records: list[dict[str, Any]]) -> dict[str, Task]:
    tasks: dict[str, Task] = {}
    for number, record in enumerate(records, 1):
        code = code_text(record.get("code"))
        name = value_text(record.get("name")) or code
        if not code:
            raise Malformed(f"task {number} ({name or 'no name'}) has no code")
        task_type = value_text(record.get("taskType") or "SHELL").upper()
        params = json_object(record.get("taskParams"), f"task {name}'s taskParams")
        tasks[code] = Task(code, name, task_type, params, record)
    return tasks


def _relation_name(relation: dict[str, Any], pre: str, post: str) -> str:
    """A relation by its id, else by the tasks it links (exports of 3.x often leave the id out)."""
    number = code_text(relation.get("id"))
    return f"relation {number}" if number else f"the relation from task {pre} to task {post}"


def _link_tasks(flow: FlowRows, tasks: dict[str, Task], relations: list[dict[str, Any]], code_key: str,
                code: str) -> None:
    for relation in relations:
        pre, post = code_text(relation.get("preTaskCode", 0)) or "0", code_text(relation.get("postTaskCode", 0)) or "0"
        missing = [c for c in (pre, post) if c != "0" and c not in tasks]
        name = _relation_name(relation, pre, post)
        if missing:
            flow.fail("BROKEN_REFERENCE", f"{name} names task(s) {missing} that the export does not define "
                                          f"(tasks: {sorted(tasks)})")
            continue
        if code_text(relation.get(code_key, code)) != code:
            flow.warn("BROKEN_REFERENCE", f"{name} belongs to workflow {relation.get(code_key)}, not {code}")
        if pre != "0" and post != "0" and pre not in tasks[post].upstream:
            tasks[post].upstream.append(pre)


# -- schedule, state, alerts, parameters -------------------------------------------------------

def _online(state: Any) -> bool:
    return value_text(state).strip().upper() == "ONLINE"


def _read_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=None)
    except ValueError:
        return None


def _apply_schedule(flow: FlowRows, schedule: dict[str, Any], definition: dict[str, Any], code_key: str,
                    code: str) -> list[str]:
    """Schedule facts into the flow; returns what of the schedule's state was off."""
    if code_text(schedule.get(code_key, code)) != code:
        flow.fail("BROKEN_REFERENCE", f"the schedule belongs to workflow {schedule.get(code_key)}, not {code}: "
                                      "not applied")
    flow.schedule = value_text(schedule.get("crontab")).strip()
    if not flow.schedule:
        written = "missing" if "crontab" not in schedule else json.dumps(schedule["crontab"])
        flow.fail("MALFORMED_RECORD", f"schedule.crontab is {written}: a schedule object without a crontab is "
                                      "malformed (a workflow with no schedule has no schedule object at all); "
                                      "export the workflow again or give the schedule its crontab")
    start = value_text(schedule.get("startTime"))
    # start_date is the flow's startTime (a day); source_start tells the proof the time the schedule begins.
    flow.cells.update(start=start, start_date=start[:10], source_start=start,
                      timezone=value_text(schedule.get("timezoneId")).strip())
    if flow.schedule and not flow.cells["timezone"]:  # as Rundeck's and systemd's: the zone is assumed, so it is said
        flow.warn("HOST_TIMEZONE", "the schedule names no timezoneId (1.x and early 2.x exports never do): "
                                   "DolphinScheduler fired it in its server's zone, which the export does not say; "
                                   "set [mapping] source_timezone to it, else the schedule is taken to be in the "
                                   "service's zone")
    off = []
    state = schedule.get("releaseState") or definition.get("scheduleReleaseState")
    if not _online(state):
        off.append(f"the schedule's releaseState is {state}" if state else
                   "the export does not say whether the schedule is online (no releaseState)")
    end_text = value_text(schedule.get("endTime")).strip()
    end = _read_time(end_text) if end_text else None
    if end_text and end is None:
        flow.warn("SCHEDULE_ENDS", f"the schedule's endTime {end_text!r} cannot be read; a flow has no end date")
    elif end is not None and has_ended(end.date()):
        off.append(passed_phrase("the schedule's endTime", end_text))
    elif end is not None and end.date() - today() < END_HORIZON:
        flow.warn("SCHEDULE_ENDS", ends_sentence("the schedule's endTime", end_text))
        # The first instant it no longer fires: Quartz fires up to and including its endTime (to the second)
        flow.cells["source_end"] = (end + timedelta(seconds=1)).isoformat()
    _apply_alerts(flow, schedule)
    return off


def _apply_alerts(flow: FlowRows, schedule: dict[str, Any]) -> None:
    kind = value_text(schedule.get("warningType") or "NONE").strip().upper()
    if kind == "NONE":
        return
    flow.cells["alert"] = "1"
    group = code_text(schedule.get("warningGroupId"))
    group = "" if group == "0" else group
    if kind in ("SUCCESS", "ALL"):
        when = "only when a run succeeded" if kind == "SUCCESS" else "when a run succeeded and when it failed"
        flow.warn("ALERT_APPROXIMATE", f"DolphinScheduler sent alerts {when} (warningType {kind}"
                                       f"{f', alert group {group}' if group else ''}); the flow sends e-mail alerts "
                                       "(alertMode 1) as EnOS does")
    elif kind != "FAILURE":
        flow.warn("ALERT_APPROXIMATE", f"warningType {kind} is not one DolphinScheduler documents; "
                                       "e-mail alerts turned on")
    if group:
        flow.warn("ALERT_GROUP", f"the recipients of DolphinScheduler alert group {group} are not carried: "
                                 "set who receives the flow's e-mail alerts in EnOS")


@dataclass
class Globals:
    """The flow's parameters (the workflow's global IN parameters, its sub-workflows' joined under
    them) and the names of the global OUT parameters, which tasks set as they ran."""

    carried: list[dict[str, str]]
    outputs: set[str]


def _global_params(flow: FlowRows, definitions: list[tuple[str, dict[str, Any], tuple[str, ...]]]) -> Globals:
    """The workflow's global parameters, then those of the sub-workflows laid out in it that it
    does not set itself: DolphinScheduler gave a sub-workflow's run the parent's parameters over
    its own (ProcessService.joinGlobalParams), level by level. Two sub-workflows side by side (neither
    runs the other) that set one name otherwise each ran with their own value: PARAM_CONFLICT.
    `definitions`: (whose, definition, chain of workflow codes), the workflow first."""
    carried: list[dict[str, str]] = []
    outputs, expressions = [], []
    output_names: set[str] = set()
    set_by: dict[str, tuple[str, tuple[str, ...]]] = {}  # a sub-workflow's parameter -> whose, and its chain
    clashes: list[str] = []
    own_values: dict[tuple[str, str], str] = {}  # (whose, name) -> the first value its own list gives
    carried_from: dict[str, str] = {}  # name -> the workflow whose value is carried
    repeated: list[str] = []
    for whose, definition, chain in definitions:
        owned = f"{whose}'s " if whose else ""
        raw = definition.get("globalParams")
        if raw in (None, "", "[]"):
            raw = definition.get("globalParamList")
        for item in json_objects(raw, f"{owned}globalParams"):
            key = value_text(item.get("prop")).strip()
            if not key:
                continue
            if value_text(item.get("direct") or "IN").upper() == "OUT":
                outputs.append(f"{owned}{key}")
                output_names.add(key)
                continue
            value = value_text(item.get("value"))
            own = own_values.setdefault((whose, key), value)
            if own != value:  # one workflow's list sets it twice: which value ran is not documented
                if carried_from.get(key) == whose:  # (set by a workflow above it, neither value ran)
                    repeated.append(f"{owned}{key} is {own!r} and {value!r}")
                continue
            known = next((pair for pair in carried if pair["key"] == key), None)
            if known is not None:
                # The workflow's own value is the one its sub-workflows' runs had; two sub-workflows that
                # set one name otherwise each ran with its own, which one set of flow parameters cannot say.
                first = set_by.get(key)
                inside = first is not None and chain[:len(first[1])] == first[1]  # run by it: its value is theirs
                if first is not None and not inside and known["value"] != value:
                    clashes.append(f"{key} is {known['value']!r} in {first[0]} and {value!r} in {whose}")
                continue
            if whose:
                set_by[key] = (whose, chain)
            if TIME_EXPRESSION.search(value):
                expressions.append(f"{key}={value}")
            carried.append({"key": key, "value": value})
            carried_from[key] = whose
    if repeated:
        flow.fail("PARAM_REPEATED", f"globalParams set one parameter twice ({'; '.join(repeated)}): which value "
                                    "DolphinScheduler ran with is not documented; give it once")
    if clashes:
        flow.fail("PARAM_CONFLICT", f"sub-workflows laid out in this flow set one parameter to different values "
                                    f"({'; '.join(clashes)}): each ran with its own, and a flow has one set of "
                                    "parameters; set it in the parent workflow, or rename it in one of them")
    if outputs:
        flow.warn("PARAM_NOT_CARRIED", f"output parameters {outputs} (direct OUT) are set by tasks at run time; "
                                       "a flow's parameters are inputs")
    if expressions:
        flow.warn("PARAM_EXPRESSION", f"parameters {expressions} are DolphinScheduler expressions, carried as "
                                      "written: check that EnOS gives them the same value")
    warn_secret_parameters(flow, carried)
    return Globals(carried, output_names)


# -- task bodies -------------------------------------------------------------------------------

def _lines(*parts: tuple[str, Any]) -> str:
    """`label: value` lines for the values that are given."""
    return "\n".join(f"{label}: {_listed(value)}" for label, value in parts if _listed(value))


def _listed(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_listed(v) for v in value if _listed(v))
    if isinstance(value, dict):
        return value_text(value.get("resourceName") or value.get("res") or value.get("name")
                     or (f"resource {value['id']}" if "id" in value else json.dumps(value)))
    return value_text(value).strip()


def _sql_body(kind: str, params: dict[str, Any]) -> str:
    head = f"{kind} on datasource {_listed(params.get('datasource'))} ({_listed(params.get('type'))}):"
    body = value_text(params.get("sql") or params.get("method"))
    extra = _lines(("before", params.get("preStatements")), ("after", params.get("postStatements")))
    return "\n".join(p for p in (head, body, extra) if p)


# What a program task's body names on lines of its own; every other setting of the engine (driver and
# executor sizes, Spark or Flink version, queue, slots, parallelism …) follows on a `settings:` line,
# so that how DolphinScheduler sized and placed the job is kept with it, not dropped.
PROGRAM_LINES = frozenset(("programType", "deployMode", "mainClass", "mainJar", "mainPackage", "mainArgs", "others",
                           "rawScript", "localParams", "resourceList", "varPool"))


def _engine_settings(params: dict[str, Any]) -> str:
    settings = [f"{key}={_listed(value)}" for key, value in sorted(params.items())
                if key not in PROGRAM_LINES and _listed(value)]
    return f"settings: {', '.join(settings)}" if settings else ""


def _program_body(kind: str, params: dict[str, Any]) -> str:
    mode = f", deploy mode {_listed(params.get('deployMode'))}" if _listed(params.get("deployMode")) else ""
    if value_text(params.get("programType")).upper() == "SQL" and params.get("rawScript"):
        head, body = f"{kind} SQL{f' ({mode[2:]})' if mode else ''}:", value_text(params["rawScript"])
    else:
        head = f"{kind} ({_listed(params.get('programType')) or 'program'}{mode}):"
        body = _lines(("main class", params.get("mainClass")),
                      ("main jar", params.get("mainJar") or params.get("mainPackage")),
                      ("arguments", params.get("mainArgs")), ("options", params.get("others")))
    return "\n".join(part for part in (head, body, _engine_settings(params)) if part)


def _http_body(params: dict[str, Any]) -> str:
    head = f"HTTP {_listed(params.get('httpMethod')) or 'GET'} {_listed(params.get('url'))}"
    fields = [f"{value_text(p.get('prop'))} ({value_text(p.get('httpParametersType')).lower() or 'parameter'}) = "
              f"{value_text(p.get('value'))}" for p in params.get("httpParams") or [] if isinstance(p, dict)]
    check = _lines(("check", params.get("httpCheckCondition")), ("condition", params.get("condition")))
    return "\n".join(p for p in (head, *fields, check) if p)


def _datax_body(params: dict[str, Any]) -> str:
    if str(params.get("customConfig", 0)) == "1":
        return f"DataX job:\n{value_text(params.get('json'))}"
    head = (f"DataX from datasource {_listed(params.get('dataSource'))} ({_listed(params.get('dsType'))}) "
            f"to datasource {_listed(params.get('dataTarget'))} ({_listed(params.get('dtType'))}), "
            f"table {_listed(params.get('targetTable'))}:")
    extra = _lines(("before", params.get("preStatements")), ("after", params.get("postStatements")))
    return "\n".join(p for p in (head, value_text(params.get("sql")), extra) if p)


def _other_body(task: Task) -> str:
    settings = {k: v for k, v in task.params.items() if k not in ("localParams", "resourceList", "varPool")}
    if task.params.get("rawScript") and len(settings) == 1:
        return f"{task.type} script:\n{task.params['rawScript']}"
    return f"{task.type} task:\n{json.dumps(settings, ensure_ascii=False, indent=1, sort_keys=True)}"


def _body(task: Task) -> tuple[str, bool]:
    """The task's command, and whether it is a shell command that runs as it is."""
    params = task.params
    if task.type == "SHELL":
        return value_text(params.get("rawScript")), True
    if task.type == "PYTHON":
        return f"Python script:\n{value_text(params.get('rawScript'))}", False
    if task.type in ("SQL", "PROCEDURE"):
        return _sql_body("SQL" if task.type == "SQL" else "stored procedure", params), False
    if task.type in ("SPARK", "FLINK", "FLINK_STREAM", "MR"):
        return _program_body({"MR": "MapReduce", "SPARK": "Spark"}.get(task.type, "Flink"), params), False
    if task.type == "HTTP":
        return _http_body(params), False
    if task.type == "DATAX":
        return _datax_body(params), False
    return _other_body(task), False


# -- parameters in shell scripts, replaced as DolphinScheduler replaced them ---------------------
#
# Before a shell task ran, DolphinScheduler replaced each `${name}` in its script with the value of
# that parameter (ParameterUtils.convertParameterPlaceholders): the task's own IN parameters over the
# OUT parameters of the tasks before it (varPool) over the workflow's global ones over its built-in
# values (`system.biz.date` …), a value's own `${name}` resolved the same way; a name it did not know
# stayed as written; then each `$[yyyyMMdd-1]` became the run's date. Startup and project-level
# parameters, above and below all of these, are not in an export.

# A placeholder as its PropertyPlaceholderHelper reads one (`${` to `}`), and a time expression as
# its dateTemplateParse does (`$[…]`, but for a lone digit, `$[1]`, which it leaves alone).
PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")
TIME_TEMPLATE = re.compile(r"\$\[(?![0-9]\])[^$\]]+\]")
# A name a placeholder may give that a shell could also read as a variable of its own.
PARAMETER_NAME = re.compile(r"[A-Za-z_][\w.]*")
# `${setValue(name=value)}` printed by a shell task: how it set its OUT parameter for the tasks after it.
SET_VALUE = re.compile(r"setValue\(.*=")
# Variables a script sets itself (NAME=…, export NAME=…, for NAME in, read NAME): its own `${NAME}`.
SHELL_ASSIGNED = re.compile(r"(?:^|[\s;&|(`])(?:(?:export|local|readonly|declare|typeset)(?:\s+-\w+)*\s+)?"
                            r"([A-Za-z_]\w*)(?:\[[^\]]*\])?\+?=")
SHELL_LOOP_OR_READ = re.compile(r"\bfor\s+([A-Za-z_]\w*)\s+in\b|\bread(?:\s+-\w+)*((?:\s+[A-Za-z_]\w*)+)")


@dataclass
class Scope:
    """What a `${name}` in one task's script named: its own IN parameters, the OUT parameters that
    other tasks set as they ran (name -> who set it), the flow's global IN parameters."""

    local: dict[str, str]
    outputs: dict[str, list[str]]
    globals: dict[str, str]
    not_before: dict[str, list[str]] = field(default_factory=dict)  # OUT set only by tasks that do not run before it


@dataclass
class Placeholders:
    """What the flow's shell scripts name and could not be given its value, by task: `task: ${name} …`."""

    run_time: list[str] = field(default_factory=list)
    undefined: list[str] = field(default_factory=list)


def _is_in(item: dict[str, Any]) -> bool:
    return value_text(item.get("direct") or "IN").strip().upper() != "OUT"


# Who set an OUT parameter as it ran: a task (its code), or the workflow (None: a global OUT one).
Setter = tuple[str, str | None]


def _setters(tasks: list[Task], parameters: Globals) -> dict[str, list[Setter]]:
    """OUT parameter -> who set it as it ran: the tasks that declare it, or the workflow (a global OUT one)."""
    found: dict[str, list[Setter]] = {name: [("a task of the workflow (a global OUT parameter)", None)]
                                      for name in sorted(parameters.outputs)}
    for task in tasks:
        for item in _local_param_items(task.params, task.name):
            if not _is_in(item):
                found.setdefault(value_text(item.get("prop")), []).append((f"task {task.name}", task.code))
    return found


def _scope(task: Task, setters: dict[str, list[Setter]], parameters: Globals, tasks: dict[str, Task]) -> Scope:
    items = _local_param_items(task.params, task.name)
    local = {value_text(p.get("prop")): value_text(p.get("value")) for p in items if _is_in(p)}  # the last wins
    # A task's OUT parameters reach only the tasks after it (its varPool goes downstream): not the
    # task itself, nor one beside it or before it, whose `${name}` stays unknown there.
    before = _ancestors(task.code, tasks) if task.code in tasks else set()
    outputs = {name: [who for who, code in setters[name] if code is None or code in before] for name in setters}
    elsewhere = {name: [who for who, code in setters[name] if code is not None and code not in before
                        and code != task.code] for name in setters}
    return Scope(local, {name: who for name, who in outputs.items() if who},
                 {pair["key"]: pair["value"] for pair in parameters.carried},
                 {name: who for name, who in elsewhere.items() if who and not outputs[name]})


@dataclass
class Lookup:
    """What resolving one placeholder met: the local parameters whose values it took, the names it
    did not know (kept as written, as DolphinScheduler kept them)."""

    used: set[str] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)


def _value_of(name: str, scope: Scope, visiting: tuple[str, ...], lookup: Lookup) -> tuple[str | None, str]:
    """The value DolphinScheduler gave `${name}` when it is known before the run, else None and why not.
    `visiting`: the parameters whose values lead here; a local parameter's `${its own name}` is the
    global one ("local parameter refers to global parameter with the same name")."""
    if name in scope.local and f"local parameter {name}" not in visiting:
        raw, whose = scope.local[name], f"local parameter {name}"
    elif name in scope.outputs:
        return None, (f"{name} is the OUT parameter that {' and '.join(scope.outputs[name])} set as it ran, "
                      "which DolphinScheduler passed on at run time")
    elif name in scope.globals and f"global parameter {name}" not in visiting:
        raw, whose = scope.globals[name], f"global parameter {name}"
    elif name in scope.local or name in scope.globals:
        chain = " -> ".join([*(v.rsplit(" ", 1)[-1] for v in visiting), name])
        return None, f"it refers to itself ({chain}), which DolphinScheduler refused"
    elif name.startswith("system."):
        return None, f"${{{name}}} is a built-in value DolphinScheduler gave each run"
    else:
        lookup.missing.append(f"${{{name}}}")
        return f"${{{name}}}", ""
    if TIME_TEMPLATE.search(raw):
        return None, f"{whose} is {raw}, a time expression DolphinScheduler evaluated for each run"
    why_not: list[str] = []

    def inner(match: re.Match[str]) -> str:
        value, why = _value_of(match[1], scope, (*visiting, whose), lookup)
        if value is None:
            why_not.append(f"{whose} is {raw}: {why}")
            return match[0]
        return value

    resolved = PLACEHOLDER.sub(inner, raw)
    if why_not:
        return None, why_not[0]
    if whose.startswith("local"):
        lookup.used.add(name)
    return resolved, ""


def _shell_variables(script: str) -> set[str]:
    found = set(SHELL_ASSIGNED.findall(script))
    for loop, read in SHELL_LOOP_OR_READ.findall(script):
        found |= {loop} if loop else set(read.split())
    return found


def _put_parameters(task: Task, script: str, scope: Scope, placeholders: Placeholders) -> tuple[str, set[str]]:
    """The script with each `${name}` whose value was known before the run replaced by it, as
    DolphinScheduler replaced it, and the local parameters so put in; what stays is named."""
    put: set[str] = set()
    shell_own = _shell_variables(script)

    def replace(match: re.Match[str]) -> str:
        name, written = match[1], match[0]
        if name in scope.local and not scope.local[name] and name in scope.outputs:
            # declared empty to take what a task before it set (DolphinScheduler passed that value on)
            placeholders.run_time.append(f"{task.name}: {written} (its local parameter {name} is empty, to take the "
                                         f"OUT parameter {name} that {' and '.join(scope.outputs[name])} set as it "
                                         "ran)")
            return written
        if name in scope.local:
            lookup = Lookup()
            value, why = _value_of(name, scope, (), lookup)
            if value is None:
                placeholders.run_time.append(f"{task.name}: {written} ({why})")
                return written
            placeholders.undefined += [f"{task.name}: {m} (in local parameter {name})" for m in lookup.missing]
            put.update(lookup.used)
            return value
        if name in scope.outputs:
            placeholders.run_time.append(f"{task.name}: {written} (the OUT parameter {name} that "
                                         f"{' and '.join(scope.outputs[name])} set as it ran, which DolphinScheduler "
                                         "passed to the tasks after it)")
        elif name in scope.globals:
            pass  # the flow's parameter of that name carries it
        elif name.startswith("system."):
            placeholders.run_time.append(f"{task.name}: {written} (a built-in value DolphinScheduler gave each run)")
        elif not SET_VALUE.match(name) and PARAMETER_NAME.fullmatch(name) and name not in shell_own:
            later = scope.not_before.get(name)
            placeholders.undefined.append(f"{task.name}: {written}" + (
                f" (the OUT parameter of {' and '.join(later)}, which does not run before it: DolphinScheduler "
                "passed it only to the tasks after that one)" if later else ""))
        return written

    replaced = PLACEHOLDER.sub(replace, script)
    placeholders.run_time += [f"{task.name}: {expression} (a time expression DolphinScheduler replaced with the "
                              "run's date; a shell reads $[…] as arithmetic)" for expression in
                              dict.fromkeys(m[0] for m in TIME_TEMPLATE.finditer(script))]
    return replaced, put


def _warn_placeholders(flow: FlowRows, placeholders: Placeholders) -> None:
    if placeholders.run_time:
        flow.warn("RUNTIME_PARAMETER", f"shell scripts name values DolphinScheduler knew only when the task ran: "
                                       f"{'; '.join(dict.fromkeys(placeholders.run_time))}: kept as written, and "
                                       "nothing gives them that value here; rewrite them (with a flow parameter, "
                                       "or the value itself)")
    if placeholders.undefined:
        flow.warn("UNDEFINED_PARAMETER", f"shell scripts name parameters that neither the task nor its workflow "
                                         f"sets: {'; '.join(dict.fromkeys(placeholders.undefined))}: kept as "
                                         "written, as DolphinScheduler kept them (its startup and project-level "
                                         "parameters are not in the export); the task's shell reads them from its "
                                         "environment")


# What a task switched off (flag NO) runs: DolphinScheduler skipped it and ran the tasks after it, so
# it keeps its place and does nothing; its body stays below, never reached.
SWITCHED_OFF = ("# switched off in DolphinScheduler (flag NO; 1.x: runFlag FORBIDDEN): skipped there, the tasks "
                "after it still ran\nexit 0\n")


def _describe_tasks(flow: FlowRows, tasks: list[Task], export: Export, parameters: Globals,
                    passes_switched_off_on: bool) -> dict[str, str]:
    """Commands by task code, with one warning per kind of thing not carried as it was.
    `passes_switched_off_on`: the export is of DolphinScheduler 3.3 or later, whose engine went from a
    task switched off to every task after it, a CONDITIONS or SWITCH task's too."""
    commands: dict[str, str] = {}
    as_text, local, resources, disabled, secrets, not_waited = [], [], [], [], [], []
    setters, placeholders = _setters(tasks, parameters), Placeholders()
    by_code = {task.code: task for task in tasks}
    followed = {code for task in tasks for code in task.upstream}
    for task in tasks:
        command, runnable = _body(task)
        items = _local_param_items(task.params, task.name)
        pairs = [(value_text(item.get("prop")), value_text(item.get("value"))) for item in items if _is_in(item)]
        secrets += [f"{task.name}: {name}" for name, value in pairs if value and SECRET_NAME.held(name, value)]
        put: set[str] = set()
        if runnable:
            command, put = _put_parameters(task, command, _scope(task, setters, parameters, by_code), placeholders)
        listed = _params_text([p for p in items if value_text(p.get("prop")) not in put])
        if listed:
            command += f"\n# DolphinScheduler local parameters: {listed}"  # a comment, in a shell script too
            local.append(f"{task.name}: {listed}")
        switched_off = _switched_off(task)
        if switched_off:
            disabled.append(task.name)
            command = SWITCHED_OFF + command
        if switched_off and task.type == DEPENDENT:  # (one switched on is no task of the flow)
            not_waited.append(f"task {task.name} waits on {_waited_workflows(task, export)}")
        commands[task.code] = command
        if not runnable and task.type not in (*SUB_WORKFLOW_TYPES, *BRANCHING_TYPES, DEPENDENT):  # own codes
            as_text.append(f"{task.name} ({task.type})")
        if _listed(task.params.get("resourceList")):
            resources.append(f"{task.name}: {_listed(task.params.get('resourceList'))}")
        if task.type in SUB_WORKFLOW_TYPES and not switched_off:
            flow.fail("TASK_TYPE_NOT_CARRIED", _not_laid_out(task, export))
        elif task.type in BRANCHING_TYPES and not switched_off:
            flow.fail("TASK_TYPE_NOT_CARRIED", f"task {task.name} ({task.type}) chooses which tasks run next; "
                                               "a flow would run every branch")
        elif task.type in CHOOSING_TYPES and not passes_switched_off_on and task.code in followed:
            disabled.remove(task.name)  # it did not run the tasks after it, as TASK_DISABLED would say
            flow.fail("TASK_TYPE_NOT_CARRIED", f"task {task.name} ({task.type}) is switched off (flag NO; 1.x: "
                                               "runFlag FORBIDDEN): DolphinScheduler before 3.3 went from it only "
                                               "to the branch its run chose, and with no run to none (a task after "
                                               "it ran only where another task before it led there), and a flow "
                                               "would run every task after it: delete in DolphinScheduler the "
                                               "tasks only it leads to (they never ran), or the task itself if they "
                                               "should run, and export again")
    if as_text:
        flow.warn("TASK_BODY_AS_TEXT", f"tasks {as_text} are not shell commands: their bodies are kept as text in "
                                       "the command, rework them before they run as COMMAND tasks")
    if local:
        flow.warn("LOCAL_PARAMS", f"task parameters {local} are not flow parameters, and were not put in the "
                                  "commands (a shell script that names an IN parameter whose value is known before "
                                  "the run has that value in its place, as DolphinScheduler put it; an OUT one was "
                                  "set by the task as it ran, for the tasks after it): listed in each command")
    _warn_placeholders(flow, placeholders)
    if secrets:  # put in or listed, the value is text of the command now
        flow.warn("SECRET_PARAMETER", f"task parameters {look_like_secrets(secrets)}: written in the "
                                      "tasks' commands, which every owner and visitor of the flow can read; move "
                                      "them to the service's own secret store")
    if resources:
        flow.warn("TASK_RESOURCES", f"tasks use DolphinScheduler resource files {resources}: copy them over")
    if disabled:
        waits = (f"; switched on, DEPENDENT {'; '.join(not_waited)}: switched off, DolphinScheduler did not "
                 "wait, and the flow does not either (no flow node, no relation to another flow)"
                 if not_waited else "")
        flow.warn("TASK_DISABLED", f"tasks {disabled} were switched off (flag NO; 1.x: runFlag FORBIDDEN) in "
                                   "DolphinScheduler, which skipped them and ran the tasks after them: each keeps its "
                                   f"place as a task that does nothing (`exit 0` before its body){waits}")
    return commands


def _waited_workflows(task: Task, export: Export) -> str:
    """The workflows a DEPENDENT task names in its dependence, in words (for one switched off, whose
    dependence is never followed: one that cannot be read is said so, not the flow's failure)."""
    try:
        dependence = json_object(task.params.get("dependence"), "dependence")
        items = [item for group in json_objects(dependence.get("dependTaskList"), "dependTaskList")
                 for item in json_objects(group.get("dependItemList"), "dependItemList")]
    except Malformed:
        return "other workflows (its dependence cannot be read)"
    waited = dict.fromkeys(_workflow(code_text(item.get("definitionCode")), export, item) for item in items)
    return " and ".join(waited) or "no workflow (its dependence names none)"


def _not_laid_out(task: Task, export: Export) -> str:
    """Why a task that ran another workflow could not have that workflow's tasks laid out in the flow."""
    code = _child_code(task)
    ran = f"task {task.name} ({task.type}) ran {_workflow(code, export, {}) if code else 'another workflow'}"
    if task.type == "DYNAMIC":
        return (f"{ran} once for each value of a list, which a flow cannot: saved with a placeholder, the flow "
                "would leave that work undone; set it up by hand")
    if code in export.records:
        return (f"{ran} inside this one, which runs it again (sub-workflows inside sub-workflows more than "
                f"{MAX_DEPTH} deep, or calling each other): a flow cannot hold it")
    found_by = ("export that workflow with this one" if "processDefinitionId" not in task.params else
                "a DolphinScheduler 1.x export names it by its id, which 1.x does not write into the workflow's own "
                f"record: add \"processDefinitionId\": {code} to that workflow's record, exported with this one")
    return (f"{ran} inside this one, which is not in this export: saved with a placeholder, the flow would leave "
            f"that work undone; {found_by} (its tasks are then laid out in this flow), or make it a flow of its own "
            "that waits on this one")


# -- how DolphinScheduler ran the tasks: settings a flow task has no place for -----------------

# Values of a task record that mean "not set": what DolphinScheduler writes for a task left as created.
UNSET = ("", "0", "-1", "null", "none")
TIMEOUT_ACTIONS = {"WARN": "sent a time-out alert", "FAILED": "failed the task",
                   "WARNFAILED": "sent a time-out alert and failed the task"}


def _setting(record: dict[str, Any], key: str) -> str:
    """A setting of a record as text ("" when not set), numbers as DolphinScheduler writes them."""
    value = code_text(record.get(key))
    return "" if value.lower() in UNSET else value


def _retry(task: Task) -> str:
    times = _setting(task.record, "failRetryTimes")
    if not times:
        return ""
    interval = _setting(task.record, "failRetryInterval")
    return f"{task.name}: up to {times} retries" + (f", {interval} minute(s) apart" if interval else "")


def _timeout(task: Task) -> str:
    if value_text(task.record.get("timeoutFlag")).strip().upper() != "OPEN":
        return ""
    minutes = _setting(task.record, "timeout") or "?"
    strategy = value_text(task.record.get("timeoutNotifyStrategy")).strip().upper()
    action = TIMEOUT_ACTIONS.get(strategy, f"timeoutNotifyStrategy {strategy or 'not given'}")
    return f"{task.name}: after {minutes} minute(s) DolphinScheduler {action}"


def _one_setting(key: str, default: str, unit: str = "") -> Callable[[Task], str]:
    def described(task: Task) -> str:
        value = _setting(task.record, key)
        return f"{task.name}: {key} {value}{unit}" if value and value.lower() != default.lower() else ""
    return described


def _limits(task: Task) -> str:
    limits = [f"{key} {value}{unit}" for key, unit in (("cpuQuota", "%"), ("memoryMax", " MB"))
              if (value := _setting(task.record, key))]
    return f"{task.name}: {', '.join(limits)}" if limits else ""


def _task_group(task: Task) -> str:
    group = _setting(task.record, "taskGroupId")
    if group in ("", "0", "-1"):
        return ""
    priority = _setting(task.record, "taskGroupPriority")
    return f"{task.name}: group {group}" + (f", priority {priority}" if priority not in ("", "0") else "")


# Code, how one task's setting reads (or "" when at its default), and what the flow does instead.
TASK_SETTINGS: tuple[tuple[str, Callable[[Task], str], str], ...] = (
    ("RETRY", _retry, "DolphinScheduler retried the failed tasks"),
    ("TIMEOUT", _timeout, "DolphinScheduler timed the tasks out"),
    ("DELAY", _one_setting("delayTime", "0", " minute(s)"), "DolphinScheduler started the tasks late on purpose"),
    ("PRIORITY", _one_setting("taskPriority", "MEDIUM"), "DolphinScheduler queued the tasks by priority"),
    ("WORKER_GROUP", _one_setting("workerGroup", "default"), "the tasks ran on chosen DolphinScheduler worker "
                                                             "groups, a task runs where the service runs it"),
    ("ENVIRONMENT", _one_setting("environmentCode", "-1"), "the tasks ran in a DolphinScheduler environment (its "
                                                           "exported variables and paths)"),
    ("RESOURCE_LIMIT", _limits, "DolphinScheduler capped the tasks' CPU and memory"),
    ("TASK_GROUP", _task_group, "DolphinScheduler held the tasks until their task group had a free slot"),
    ("TASK_CACHE", _one_setting("isCache", "NO"), "DolphinScheduler reused a task's earlier output instead of "
                                                  "running it again (isCache)"),
)


def _task_settings(flow: FlowRows, tasks: list[Task]) -> None:
    """Each task setting not at its default, one warning per kind naming the tasks and values."""
    for code, describe, meaning in TASK_SETTINGS:
        found = [text for task in tasks if (text := describe(task))]
        if found:
            flow.warn(code, f"{meaning} ({'; '.join(found)}): not carried")


# How DolphinScheduler ran the workflow's scheduled runs (the schedule's keys, 2.x and 3.x
# spellings) and the workflow as a whole, each with its default: the same facts a 1.x export's
# `schedule…` keys give (dolphinscheduler_v1.py), named alike.
SCHEDULE_RUN_SETTINGS = (
    ("FAILURE_STRATEGY", ("failureStrategy",), "CONTINUE",
     "when a task failed DolphinScheduler stopped the workflow's other running tasks (failureStrategy {})"),
    ("PRIORITY", ("workflowInstancePriority", "processInstancePriority"), "MEDIUM",
     "DolphinScheduler queued the scheduled runs at priority {}"),
    ("WORKER_GROUP", ("workerGroup",), "default",
     "the scheduled runs went to DolphinScheduler worker group {}, and so did every task of group default: a "
     "task runs where the service runs it"),
    ("ENVIRONMENT", ("environmentCode",), "-1",
     "the scheduled runs ran in DolphinScheduler environment {} (its exported variables and paths), and so did "
     "every task of group default"),
)
EXECUTION_TYPES = {"SERIAL_WAIT": "queued a run that came while the last one ran, to start after it",
                   "SERIAL_DISCARD": "discarded a run that came while the last one ran",
                   "SERIAL_PRIORITY": "ran one run at a time, the newest first"}


def workflow_timeout(flow: FlowRows, minutes: str) -> None:
    """The whole workflow's time-out (minutes, "0" or "" for none), in 1.x and later exports alike."""
    if minutes not in ("", "0"):
        flow.warn("TIMEOUT", f"DolphinScheduler timed the whole workflow out after {minutes} minute(s): not carried")


def _run_settings(flow: FlowRows, definition: dict[str, Any], schedule: dict[str, Any]) -> None:
    """What the schedule and the workflow set for how its runs ran: named, not carried."""
    for code, keys, default, sentence in SCHEDULE_RUN_SETTINGS:
        value = next((value_text(schedule[key]).strip() for key in keys if schedule.get(key) not in (None, "")), "")
        if value and value.upper() not in (default.upper(), "0"):
            flow.warn(code, sentence.format(value) + ": not carried")
    workflow_timeout(flow, code_text(definition.get("timeout")))
    execution = value_text(definition.get("executionType")).strip().upper()
    if execution in EXECUTION_TYPES:
        flow.warn("CONCURRENT_RUNS", f"DolphinScheduler {EXECUTION_TYPES[execution]} (executionType {execution}); "
                                     "the service starts every run on time: not carried")


def _tenant(flow: FlowRows, definition: dict[str, Any], schedule: dict[str, Any]) -> None:
    """The tenant is the Linux user DolphinScheduler's worker ran the tasks as (`default`: the
    worker's own user); `userName` is who made the workflow, kept as its owner."""
    tenant = value_text(schedule.get("tenantCode") or definition.get("tenantCode")).strip()
    tenant_id = _setting(definition, "tenantId")
    if tenant and tenant != "default":
        who = f"tenant {tenant!r} (a Linux user)"
    elif not tenant and tenant_id:
        who = f"tenant id {tenant_id} (a Linux user; the export gives no tenantCode to name it)"
    else:
        return
    flow.warn("RUN_AS", f"DolphinScheduler ran the workflow's tasks as {who}; the flow runs as the service's doAs "
                        "account instead")


# -- DEPENDENT tasks: waits on other workflows ---------------------------------------------------

def _waits_on_flows(task: Task) -> bool:
    """A DEPENDENT task that waited on other workflows; switched off (flag NO), DolphinScheduler skipped
    it without waiting and ran the tasks after it: that one is a task of the flow doing nothing."""
    return task.type == DEPENDENT and not _switched_off(task)


def _through_dependents(codes: list[str], tasks: dict[str, Task], seen: frozenset[str] = frozenset()) -> list[str]:
    """Upstream task codes with every DEPENDENT task that waited replaced by its own upstream tasks."""
    found: list[str] = []
    for code in codes:
        if code in seen:
            continue
        if _waits_on_flows(tasks[code]):
            found += _through_dependents(tasks[code].upstream, tasks, seen | {code})
        else:
            found.append(code)
    return list(dict.fromkeys(found))


def _targets(code: str, tasks: dict[str, Task], seen: frozenset[str] = frozenset()) -> list[str]:
    """The tasks that waited on a DEPENDENT task, through other DEPENDENT tasks that waited."""
    found: list[str] = []
    for task in tasks.values():
        if code in task.upstream and task.code not in seen:
            found += _targets(task.code, tasks, seen | {code}) if _waits_on_flows(task) else [task.code]
    return list(dict.fromkeys(found))


def _ancestors(code: str, tasks: dict[str, Task]) -> set[str]:
    """Every task that runs before a task in its workflow's run (through DEPENDENT tasks too)."""
    found: set[str] = set()
    waiting = list(tasks[code].upstream)
    while waiting:
        upstream = waiting.pop()
        if upstream not in found and upstream in tasks:
            found.add(upstream)
            waiting.extend(tasks[upstream].upstream)
    return found


def _own_wait(flow: FlowRows, task: Task, item: dict[str, Any], targets: list[str], tasks: dict[str, Task],
              other: str) -> Refusal | None:
    """A DEPENDENT item on the workflow it belongs to. A task of this period that runs before the
    waiting tasks in the same run is already waited on by the flow's own relations; any other wait
    on itself (yesterday's run, the whole workflow, a task that does not run before) cannot be a
    flow node of the flow itself, whatever id it is given."""
    cycle, window = value_text(item.get("cycle")), value_text(item.get("dateValue"))
    gap, depended_task = EXACT_WINDOWS.get((cycle, window)), _depended_task(item)
    if gap and gap.endswith("0") and depended_task and targets and all(
            depended_task in _ancestors(target, tasks) for target in targets):
        flow.warn("SELF_DEPENDENCY", f"DEPENDENT task {task.name} waited on task {depended_task} of its own workflow "
                                     f"({cycle}/{window}), which runs before the tasks after it in the same run: the "
                                     "flow's relations carry the wait (DolphinScheduler took a success of it in any "
                                     f"run of the {cycle}; the flow waits on this run's)")
        return None
    why = ("no task ran after it" if not targets else
           f"it is this very workflow ({cycle}/{window}): a flow cannot wait on its own runs as an upstream flow; "
           "set it up by hand")
    return Refusal(code_text(item.get("definitionCode")), other, "this very workflow", depended_task, why)


def _workflow(code: str, export: Export, item: dict[str, Any]) -> str:
    name = export.names.get(code) or value_text(item.get("definitionName"))
    return f"workflow {code} ({name})" if name else f"workflow {code}"


@dataclass(frozen=True)
class Refusal:
    """An item of a DEPENDENT task not carried: what of the other workflow it waited on, and why."""

    code: str  # the other workflow's
    other: str  # "workflow 41 (orders)"
    where: str  # in this export or not
    waited_on: str  # a task of it (its code, or its name in 1.x), or "" for the whole workflow (ALL)
    why: str


def _depended_task(item: dict[str, Any]) -> str:
    """The task of the other workflow an item waited on, "" for the whole workflow (ALL)."""
    depended_task = code_text(item.get("depTaskCode"))
    return "" if depended_task in ("", "0", "-1") else depended_task


def _dependency(flow: FlowRows, task: Task, item: dict[str, Any], targets: list[str], export: Export,
                own: tuple[str, dict[str, Task]]) -> dict[str, Any] | Refusal | None:
    """A `flow_upstream` entry for one item, a Refusal saying why not, or None: carried in the flow."""
    code = code_text(item.get("definitionCode"))
    cycle, window = value_text(item.get("cycle")), value_text(item.get("dateValue"))
    other = _workflow(code, export, item)
    own_code, tasks = own
    if code == own_code:
        return _own_wait(flow, task, item, targets, tasks, other)
    gap = EXACT_WINDOWS.get((cycle, window))
    flow_id = export.flow_ids.get(code)
    depended_task = _depended_task(item)
    why = ("no task ran after it" if not targets else
           f"the window {cycle}/{window} spans or picks periods that no cycleGap names (exact: "
           f"{', '.join(f'{c}/{w}' for c, w in EXACT_WINDOWS)})" if gap is None else
           f"its EnOS flow id is not known: give it in [source] options flow_ids (\"{code}=<flow id>\", or a CSV "
           f"of code,flow_id) to carry it as a flow node with cycleGap {gap}" if flow_id is None else "")
    if why:
        where = "in this export" if code in export.names else "not in this export"
        return Refusal(code, other, where, depended_task, why)
    if depended_task:
        flow.warn("DEPENDENCY_ON_TASK", f"DEPENDENT task {task.name} waited on task {depended_task} of {other}; "
                                        f"the flow waits on the whole flow {flow_id}")
    return {"flowId": flow_id, "flowName": export.names.get(code) or value_text(item.get("definitionName")),
            "cycleGap": gap, "targets": targets}


def _waits(refusals: list[Refusal]) -> str:
    """What of one workflow the refused items waited on: its tasks, and the whole of it (ALL)."""
    tasks = list(dict.fromkeys(r.waited_on for r in refusals if r.waited_on))
    whole = ["the whole workflow"] if any(not r.waited_on for r in refusals) else []
    if not tasks:
        return whole[0]
    return f"its task{'s' if len(tasks) > 1 else ''} {' and '.join([', '.join(tasks), *whole])}"


def _warn_refused(flow: FlowRows, task: Task, refusals: list[Refusal]) -> None:
    """One CROSS_FLOW_DEPENDENCY per workflow waited on, naming what of it and why (a reason once,
    with what it holds for when the items of that workflow differ)."""
    by_workflow: dict[str, list[Refusal]] = {}
    for refusal in refusals:
        by_workflow.setdefault(refusal.code, []).append(refusal)
    for same in by_workflow.values():
        whys = list(dict.fromkeys(r.why for r in same))
        waited = f"{same[0].other}, {same[0].where}"
        if len(whys) == 1:
            flow.warn("CROSS_FLOW_DEPENDENCY", f"DEPENDENT task {task.name} waited on {waited} ({_waits(same)}): "
                                               f"not carried, {whys[0]}")
            continue
        reasons = "; ".join(f"{_waits([r for r in same if r.why == why])}: {why}" for why in whys)
        flow.warn("CROSS_FLOW_DEPENDENCY", f"DEPENDENT task {task.name} waited on {waited}: not carried: {reasons}")


def _dependencies(flow: FlowRows, task: Task, targets: list[str], export: Export,
                  own: tuple[str, dict[str, Task]]) -> list[dict[str, Any]]:
    dependence = json_object(task.params.get("dependence"), f"task {task.name}'s dependence")
    groups = json_objects(dependence.get("dependTaskList"), f"task {task.name}'s dependTaskList")
    items_of = [json_objects(g.get("dependItemList"), f"task {task.name}'s dependItemList") for g in groups]
    either = (value_text(dependence.get("relation")).upper() == "OR" and len(groups) > 1) or any(
        value_text(g.get("relation")).upper() == "OR" and len(items) > 1
        for g, items in zip(groups, items_of, strict=True))
    if either:
        others = [_or_item(i, export) for items in items_of for i in items]
        flow.warn("CROSS_FLOW_DEPENDENCY", f"DEPENDENT task {task.name} waited on any one of {others} (OR); a flow "
                                           "waits on all of its upstream flows: not carried, set it up by hand")
        return []
    found = [_dependency(flow, task, item, targets, export, own) for items in items_of for item in items]
    _warn_refused(flow, task, [entry for entry in found if isinstance(entry, Refusal)])
    return [entry for entry in found if isinstance(entry, dict)]


def _or_item(item: dict[str, Any], export: Export) -> str:
    """One wait of an OR, in words: what of which workflow, over which window."""
    task = _depended_task(item)
    what = f"task {task} of " if task else "the whole of "
    window = "/".join(w for w in (value_text(item.get("cycle")), value_text(item.get("dateValue"))) if w)
    waited = _workflow(code_text(item.get("definitionCode")), export, item)
    return f"{what}{waited}" + (f" ({window})" if window else "")


def _merge(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per upstream flow and gap, with the targets of all of them."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        known = merged.setdefault((entry["flowId"], entry["cycleGap"]), {**entry, "targets": []})
        known["targets"] = list(dict.fromkeys(known["targets"] + entry["targets"]))
    return list(merged.values())


def _resolve_dependents(flow: FlowRows, tasks: dict[str, Task], export: Export, own_code: str) -> dict[str, Task]:
    """The flow's tasks without the DEPENDENT ones that waited; their waits become `flow_upstream`
    entries. One switched off stays, as a task that does nothing (_describe_tasks)."""
    entries: list[dict[str, Any]] = []
    for task in tasks.values():
        if _waits_on_flows(task):
            entries += _dependencies(flow, task, _targets(task.code, tasks), export, (own_code, tasks))
    kept = {code: task for code, task in tasks.items() if not _waits_on_flows(task)}
    rewired = {code: _through_dependents(task.upstream, tasks) for code, task in kept.items()}
    for code, upstream in rewired.items():
        kept[code].upstream = upstream
    if entries:
        flow.cells["flow_upstream"] = json.dumps(_merge(entries), ensure_ascii=False)
    return kept


# -- SUB_PROCESS / SUB_WORKFLOW tasks: the sub-workflow's tasks laid out in the flow --------------

MAX_DEPTH = 10  # sub-workflows inside sub-workflows


@dataclass
class Inlined:
    """The sub-workflows laid out in a flow: their definitions (for their parameters), in the order
    they were met, and the tasks that ran them (for those tasks' own settings)."""

    # (whose, definition, the workflow codes from the flow's down to it): a sub-workflow's value of a
    # parameter is that of the sub-workflows inside it too (DolphinScheduler joins them level by level).
    definitions: list[tuple[str, dict[str, Any], tuple[str, ...]]] = field(default_factory=list)
    runners: list[Task] = field(default_factory=list)


def _child_code(task: Task) -> str:
    return _listed(task.params.get("processDefinitionCode") or task.params.get("workflowDefinitionCode")
                   or task.params.get("processDefinitionId"))


def _switched_off(task: Task) -> bool:
    return value_text(task.record.get("flag")).upper() == "NO"


def _inline_sub_workflows(flow: FlowRows, tasks: dict[str, Task], export: Export, stack: tuple[str, ...],
                          inlined: Inlined, prefix: str = "") -> dict[str, Task]:
    """The tasks with each SUB_PROCESS / SUB_WORKFLOW task whose workflow the export holds replaced
    by that workflow's tasks (named `<task>.<its task>`, laid out the same way), as
    DolphinScheduler ran them: its first tasks after the task's upstream tasks, the tasks after
    it after its last tasks. A task switched off (flag NO: skipped with all its work), a DYNAMIC
    task, a workflow not in the export or one that runs itself again stays, and is refused.
    `prefix`: how the flow names the tasks of the sub-workflow these are (`run_marts.`)."""
    laid_out: dict[str, Task] = {}
    next_id = max((int(code) for code in tasks if code.isdigit()), default=0) + 1
    for task in list(tasks.values()):
        child_code, name = _child_code(task), f"{prefix}{task.name}"
        record = export.records.get(child_code)
        if (task.type not in ("SUB_PROCESS", "SUB_WORKFLOW") or _switched_off(task) or record is None
                or child_code in stack or len(stack) > MAX_DEPTH):
            laid_out[task.code] = task
            continue
        whose = f"sub-workflow {export.names.get(child_code) or child_code} ({name})"
        said = len(flow.warnings)  # this task's warning comes before those of the sub-workflow's own
        child = _sub_workflow_tasks(flow, record, export, (*stack, child_code), inlined, whose, f"{name}.")
        ids: dict[str, str] = {}
        for code in child:
            ids[code], next_id = str(next_id), next_id + 1
        passed = _local_param_items(task.params, task.name)
        for code, own in child.items():
            upstream = [ids[u] for u in own.upstream] or list(task.upstream)
            laid_out[ids[code]] = Task(ids[code], f"{task.name}.{own.name}", own.type,
                                       _with_passed_params(own.params, passed), own.record, upstream)
        leaves = [ids[code] for code in child if not any(code in other.upstream for other in child.values())]
        for other in [*tasks.values(), *laid_out.values()]:  # the tasks after it wait on its last tasks
            if task.code in other.upstream:
                at = other.upstream.index(task.code)
                other.upstream[at:at + 1] = [u for u in (leaves or task.upstream) if u not in other.upstream]
        inlined.runners.append(task)
        listed = _params_text(passed)
        flow.warnings.insert(said, {"code": "SUB_WORKFLOW", "message": (
            f"task {name} ran {_workflow(child_code, export, {})} inside this one: its {len(child)} task(s) are "
            f"tasks of this flow named {name}.<task>, between the tasks before and after {name}"
            + (f"; the parameters set on {name} ({listed}) are each of those tasks' own, as DolphinScheduler passed "
               "them on (put in the shell scripts that use them, else listed in the command)" if listed else ""))})
    return laid_out


def _sub_workflow_tasks(flow: FlowRows, record: dict[str, Any], export: Export, stack: tuple[str, ...],
                        inlined: Inlined, whose: str, prefix: str) -> dict[str, Task]:
    """A sub-workflow's tasks, linked, with its own sub-workflows laid out; what its record gets
    wrong is this flow's, named after it."""
    generation = _generation(record)
    if generation is None:
        raise Malformed(f"{whose} has neither workflowDefinition nor processDefinition")
    definition_key, relations_key, code_key = generation
    try:
        definition = json_object(record.get(definition_key), definition_key)
        tasks = _tasks(json_objects(record.get("taskDefinitionList"), "taskDefinitionList"))
        own = FlowRows(key=flow.key, name=flow.name)
        _link_tasks(own, tasks, json_objects(record.get(relations_key), relations_key), code_key, stack[-1])
    except Malformed as error:
        raise Malformed(f"{whose}: {error}") from error
    flow.errors += [{**error, "message": f"{whose}: {error['message']}"} for error in own.errors]
    flow.warnings += [{**warning, "message": f"{whose}: {warning['message']}"} for warning in own.warnings]
    inlined.definitions.append((whose, definition, stack))
    minutes = code_text(definition.get("timeout"))
    if minutes not in ("", "0"):
        flow.warn("TIMEOUT", f"DolphinScheduler timed {whose} out after {minutes} minute(s): not carried")
    if not _online(definition.get("releaseState")):
        flow.warn("SUB_WORKFLOW_OFFLINE", f"{whose} is {definition.get('releaseState') or 'not said to be online'} "
                                          "in the export: DolphinScheduler may have refused to start it; its tasks "
                                          "are laid out all the same")
    return _inline_sub_workflows(flow, tasks, export, stack, inlined, prefix)


def _local_param_items(params: dict[str, Any], task_name: str) -> list[dict[str, Any]]:
    try:
        return [p for p in json_objects(params.get("localParams"), f"task {task_name}'s localParams")
                if value_text(p.get("prop"))]
    except Malformed:
        return []


def _with_passed_params(params: dict[str, Any], passed: list[dict[str, Any]]) -> dict[str, Any]:
    """A sub-workflow task's parameters, with those the task that ran it passed (its own first)."""
    if not passed:
        return params
    own = _local_param_items(params, "")
    names = {value_text(p.get("prop")) for p in own}
    return {**params, "localParams": own + [p for p in passed if value_text(p.get("prop")) not in names]}


def _params_text(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{value_text(p.get('prop'))}={value_text(p.get('value'))}" if _is_in(p)
                     else f"{value_text(p.get('prop'))} (OUT)" for p in items)


# -- the flow ----------------------------------------------------------------------------------

def workflow_flow(record: Any, index: int, export: Export) -> FlowRows:
    generation = _generation(record)
    definition = record.get(generation[0]) if generation else None
    code = code_text(definition.get("code")) if isinstance(definition, dict) else ""
    name = value_text(definition.get("name")) if isinstance(definition, dict) else ""
    # A record that cannot be read is invalid for its own reason alone: not also for a missing name or state.
    flow = FlowRows(key=f"workflow {code or index + 1}", name=name, cells={"active": "0"})
    if generation is None:
        what = "an object" if isinstance(record, dict) else f"a {type(record).__name__}, not an object"
        flow.fail("UNKNOWN_FORMAT", f"record {index + 1} is {what} with neither workflowDefinition nor "
                                    "processDefinition")
        return _named(flow)
    try:
        _fill(flow, record, json_object(definition, generation[0]), generation, export)
    except Malformed as error:
        flow.fail("MALFORMED_RECORD", f"{error}: the workflow is not read")
    except (TypeError, ValueError, AttributeError, KeyError) as error:  # a shape no check above foresaw
        flow.fail("MALFORMED_RECORD", f"the workflow is not shaped as DolphinScheduler writes it "
                                      f"({type(error).__name__}: {error})")
    return _named(flow)


def _named(flow: FlowRows) -> FlowRows:
    """An invalid record without a name is listed under its key (a valid one keeps the export's name)."""
    if flow.errors and not flow.name:
        flow.name = flow.key
    return flow


def _fill(flow: FlowRows, record: dict[str, Any], definition: dict[str, Any], generation: tuple[str, str, str],
          export: Export) -> None:
    _, relations_key, code_key = generation
    code = code_text(definition.get("code"))
    tasks = _tasks(json_objects(record.get("taskDefinitionList"), "taskDefinitionList"))
    _link_tasks(flow, tasks, json_objects(record.get(relations_key), relations_key), code_key, code)
    off = [] if _online(definition.get("releaseState")) else [
        f"the workflow's releaseState is {definition.get('releaseState') or 'not given'}"]
    schedule = json_object(record.get("schedule") or definition.get("schedule"), "schedule")
    if schedule:
        off += _apply_schedule(flow, schedule, definition, code_key, code)
    else:
        flow.unscheduled("a DolphinScheduler workflow with no schedule (started by hand or by another workflow)")
    if off:
        flow.warn("INACTIVE_SOURCE", f"saved inactive: {'; '.join(off)}")
    _run_settings(flow, definition, schedule or {})
    _tenant(flow, definition, schedule)
    inlined = Inlined()
    tasks = _inline_sub_workflows(flow, tasks, export, (code,), inlined)
    kept = _resolve_dependents(flow, tasks, export, code)
    # Before the commands: a task's `${name}` of a global parameter is left to the flow's parameter.
    parameters = _global_params(flow, [("", definition, (code,)), *inlined.definitions])
    commands = _describe_tasks(flow, list(kept.values()), export, parameters,
                               passes_switched_off_on=generation[0] == "workflowDefinition")
    _task_settings(flow, [*kept.values(), *inlined.runners])
    # Laid out anew when a sub-workflow's tasks came in: the canvas had one box where they now are.
    positions = {} if inlined.runners else _positions(definition.get("locations"))
    for task in kept.values():
        x, y = positions.get(task.code, ("", ""))
        flow.tasks.append({"task_id": task.code, "task_name": task.name, "upstream": ";".join(task.upstream),
                           "command": commands[task.code], "x": str(x), "y": str(y)})
    if positions and not set(positions) & set(tasks):
        flow.warn("BROKEN_REFERENCE", f"locations name tasks {sorted(positions)} that the export does not define; "
                                      "laid out anew")
        for row in flow.tasks:
            row["x"] = row["y"] = ""
    flow.cells.update(desc=value_text(definition.get("description")), active="0" if off else "1",
                      owners=value_text(definition.get("userName")), params=parameters_text(parameters.carried))


def workflow_names(records: list[Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for record in records:
        generation = _generation(record)
        definition = record.get(generation[0]) if generation else None
        if isinstance(definition, dict) and code_text(definition.get("code")):
            names[code_text(definition.get("code"))] = value_text(definition.get("name"))
    return names


def workflow_records(records: list[Any]) -> dict[str, dict[str, Any]]:
    """The export's workflows by code (the first of a code), for the flows that run them as sub-workflows."""
    found: dict[str, dict[str, Any]] = {}
    for record in records:
        generation = _generation(record)
        definition = record.get(generation[0]) if generation else None
        if isinstance(definition, dict) and code_text(definition.get("code")):
            found.setdefault(code_text(definition.get("code")), record)
    return found


def _not_an_export(path: Path, records: list[Any]) -> SourceError:
    keys = {k for r in records if isinstance(r, dict) for k in r}
    hint = ("; it looks like a DolphinScheduler 1.x export (processDefinitionJson), but no record has the "
            "projectName, processDefinitionName and processDefinitionJson every 1.x record has"
            if "processDefinitionJson" in keys else
            "; it looks like an Airflow DAG list: use profile \"airflow\"" if "dags" in keys or "dag_id" in keys
            else "")
    return SourceError(f"{path}: this does not look like a DolphinScheduler export ({EXPECTED}){hint}")


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    flow_ids = _flow_ids(settings)
    document = load_json(settings)
    records = document if isinstance(document, list) else [document]
    if not any(_generation(r) for r in records):
        from migrate.sources.profiles import dolphinscheduler_v1  # it reads 1.x records with this module's code

        if dolphinscheduler_v1.recognises(records):
            return rows_of(dolphinscheduler_v1.flows(records, flow_ids))
        raise _not_an_export(settings.path, records)
    export = Export(flow_ids, workflow_names(records), workflow_records(records))
    return rows_of(workflow_flow(record, index, export) for index, record in enumerate(records))


PROFILE = Profile("dolphinscheduler", "quartz", read, "DolphinScheduler workflow exports (both generations)")
