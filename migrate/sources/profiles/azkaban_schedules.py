"""The schedules of an Azkaban project, exported from the web server beside the project.

A project's zip holds no schedule made in Azkaban's web UI: those live in the server's database
(the `triggers` table from 3.x, the `schedules` table in 2.x) and its AJAX API. The schedules file
is a JSON document in any of the shapes Azkaban itself gives out (decided from the server's
ScheduleServlet, Trigger and ExecutionOptions code; documented in docs/sources.md):

- the answer of `GET /schedule?ajax=fetchSchedules`: `{"items": [{"scheduleId", "projectname",
  "flowname", "cron", "period" (ms), "time" (first schedule, epoch ms)}]}`;
- answers of `GET /schedule?ajax=fetchSchedule&projectId=…&flowId=…`, which do not name their flow,
  each saved with the request's names beside it as scripts that loop over flows keep them:
  `[{"projectName": …, "flowId": …, "schedule": {"cronExpression", "submitUser", "period",
  "firstSchedTime", "nextExecTime", "executionOptions"}}]`;
- rows of the `triggers` table with their `data` decoded (gunzipped) as JSON: `triggerCondition`
  (the BasicTimeChecker with `cronExpression`, `timezone`, `period`, `firstCheckTime`),
  `expireCondition` (the end from Azkaban 3.27, an `EndTimeChecker_1`; before, a copy of the
  trigger's own checker, which is no end), `actions` (ExecuteFlowAction: `projectName`, `flowName`,
  `executionOptions`), `status` (READY, PAUSED, EXPIRED, INVALID) and `submitUser`; a row as
  `{"trigger_id", "trigger_source", "data"}` or the decoded object alone;
- rows of Azkaban 2.x's `schedules` table: `project_name`, `flow_name`, `status`,
  `first_sched_time`, `timezone`, `period`, `submit_user`, `schedule_options`.

Each record becomes an AzkabanSchedule; `apply_schedule` puts its facts on a flow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from migrate.schedule.azkaban import (
    SECONDS,
    Phase,
    convert_period,
    no_period,
    period_parts,
    phase,
    shifts_with_daylight_saving,
)
from migrate.schedule.result import Rejection
from migrate.schedule.timezone import TIMEZONE_MISMATCH, is_known_zone
from migrate.sources.profiles import FlowRows
from migrate.sources.profiles.end_dates import report_end
from migrate.sources.profiles.json_documents import read_json_file
from migrate.sources.readers import DuplicateKey, SourceError, unique_keys

# Azkaban's "no end": Constants.DEFAULT_SCHEDULE_END_EPOCH_TIME (2050-01-01), set on every schedule
# made without an end.
NO_END_MS = 2524608000000
# What sets each state (TriggerManager): from 3.27 a schedule is PAUSED once its end time has passed
# (nothing else pauses one); EXPIRED is a schedule without cron or period that has fired once, or one
# expired on the triggers page, which ScheduleManager then removes.
INACTIVE_STATES = {"PAUSED": "paused (Azkaban pauses a schedule once its end time has passed)",
                   "EXPIRED": "expired (a schedule that fires once and has fired, or one expired by hand)",
                   "INVALID": "invalid (Azkaban could not load it)"}
EXPECTED = ("expected an Azkaban schedules export: the fetchSchedules answer ({\"items\": […]}), fetchSchedule "
            "answers saved with their projectName and flowId, rows of the triggers table (data decoded as JSON) "
            "or of the 2.x schedules table")


class Malformed(Exception):
    """A schedule record that is not shaped as Azkaban writes it: reported on its flow."""


@dataclass
class AzkabanSchedule:
    project: str  # "" when the record does not name it: a file kept beside one project
    flow: str
    where: str  # the record, for messages: "trigger 12", "fetchSchedules item 3"
    cron: str = ""
    period: str = ""
    first_ms: int | None = None  # the first scheduled time, an instant
    first_wall: datetime | None = None  # or as the server wrote it, a wall-clock time in its zone
    timezone: str = ""
    submit_user: str = ""
    status: str = ""
    end_ms: int | None = None
    next_ms: int | None = None
    next_wall: datetime | None = None  # fetchSchedule's nextExecTime, a wall-clock time in the server's zone
    options: dict[str, Any] = field(default_factory=dict)  # executionOptions
    sla: list[Any] = field(default_factory=list)
    problem: str = ""  # a record that could not be read: why


# -- reading the file ----------------------------------------------------------------------------

def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _millis(value: Any, what: str) -> int | None:
    text = _text(value)
    if not text or text in ("-1", "null"):
        return None
    try:
        return int(float(text))
    except ValueError:
        raise Malformed(f"{what} {text!r} is not a time in milliseconds") from None


def _wall(value: Any, what: str) -> datetime | None:
    text = _text(value)
    if not text or text == "-":
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise Malformed(f"{what} {text!r} is not a time as Azkaban writes it (yyyy-MM-dd HH:mm:ss)") from None


def _object(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, str) and value.strip():
        try:
            value = json.loads(value, object_pairs_hook=unique_keys)
        except json.JSONDecodeError as error:
            raise Malformed(f"{what} is not valid JSON ({error.msg} at column {error.colno})") from None
        except DuplicateKey as duplicate:
            raise Malformed(f"{what}: {duplicate}") from None
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise Malformed(f"{what} should be an object, not {type(value).__name__}")
    return value


def _time_checker(condition: dict[str, Any]) -> dict[str, Any]:
    for checker in condition.get("checkers") or []:
        if isinstance(checker, dict) and checker.get("type") == "BasicTimeChecker":
            return _object(checker.get("checkerJson"), "a BasicTimeChecker's checkerJson")
    return {}


def _end_checker(condition: dict[str, Any]) -> dict[str, Any]:
    """The expireCondition's checker when it is an end: from Azkaban 3.27 (PR #1110) the condition
    is `EndTimeChecker_1.eval()`, a BasicTimeChecker whose nextCheckTime is the end (its
    firstCheckTime is the schedule's first time, not the end). Before, it was `BasicTimeChecker_2`,
    a copy of the trigger's own checker, cron and all, whose nextCheckTime is some fire time of the
    schedule: Azkaban's TriggerManager pauses a trigger on its expireCondition, and its schedule
    loader takes an end from it (from 3.30), only when the expression names an EndTimeChecker; a
    copy is no end, and such a schedule fires on."""
    if "EndTimeChecker" not in _text(condition.get("expression")):
        return {}
    return _time_checker(condition)


def _from_trigger(trigger: dict[str, Any], where: str) -> AzkabanSchedule | None:
    """A trigger (the triggers table's data): a schedule when it executes a flow, else None (SLA
    and other triggers are not schedules)."""
    action = next((_object(a.get("actionJson"), "an action's actionJson") for a in trigger.get("actions") or []
                   if isinstance(a, dict) and a.get("type") == "ExecuteFlowAction"), None)
    if action is None:
        return None
    number = _text(trigger.get("triggerId"))
    schedule = AzkabanSchedule(project=_text(action.get("projectName")), flow=_text(action.get("flowName")),
                               where=f"trigger {number}" if number else where)
    try:
        _read_trigger(schedule, trigger, action)
    except Malformed as error:  # on the flow it names, refused rather than saved without its schedule
        schedule.problem = f"{schedule.where} {error}"
    return schedule


def _read_trigger(schedule: AzkabanSchedule, trigger: dict[str, Any], action: dict[str, Any]) -> None:
    """The trigger's times, end, state, owner and options onto its schedule."""
    checker = _time_checker(_object(trigger.get("triggerCondition"), "triggerCondition"))
    if not checker:
        raise Malformed("its triggerCondition has no BasicTimeChecker: no time to fire at")
    schedule.cron = _text(checker.get("cronExpression"))
    schedule.period = "" if no_period(_text(checker.get("period"))) else _text(checker.get("period"))
    schedule.first_ms = _millis(checker.get("firstCheckTime"), "firstCheckTime")
    schedule.timezone = _text(checker.get("timezone"))
    schedule.next_ms = _millis(checker.get("nextCheckTime"), "nextCheckTime")
    end = _end_checker(_object(trigger.get("expireCondition"), "expireCondition"))
    if end:
        schedule.end_ms = _millis(end.get("nextCheckTime"), "the end time (the EndTimeChecker's nextCheckTime)")
        if schedule.end_ms is None:  # Azkaban fails to load such a trigger, which then never fires
            raise Malformed(f"has an EndTimeChecker with no end time (nextCheckTime "
                            f"{_text(end.get('nextCheckTime')) or 'missing'})")
    schedule.status = _text(trigger.get("status")).upper()
    schedule.submit_user = _text(trigger.get("submitUser") or action.get("submitUser"))
    schedule.options = _object(action.get("executionOptions"), "executionOptions")
    schedule.sla = [s for s in action.get("slaOptions") or [] if s]


def _from_fetch_schedules(item: dict[str, Any], where: str) -> AzkabanSchedule:
    """One item of the fetchSchedules answer; its period is in milliseconds (0: none)."""
    number = _text(item.get("scheduleId"))
    period = _text(item.get("period"))
    return AzkabanSchedule(project=_text(item.get("projectname")), flow=_text(item.get("flowname")),
                           where=f"schedule {number}" if number else where, cron=_text(item.get("cron")),
                           period="" if no_period(period) else period,
                           first_ms=_millis(item.get("time"), "time"))


def _from_fetch_schedule(answer: dict[str, Any], where: str) -> AzkabanSchedule:
    """A fetchSchedule answer with the names its request gave; its times are wall-clock times in
    the server's zone, which the answer does not name."""
    body = _object(answer.get("schedule"), "schedule")
    number = _text(body.get("scheduleId"))
    period = _text(body.get("period"))
    return AzkabanSchedule(
        project=_text(answer.get("projectName") or answer.get("project")),
        flow=_text(answer.get("flowId") or answer.get("flowName") or answer.get("flow")),
        where=f"schedule {number}" if number else where, cron=_text(body.get("cronExpression")),
        period="" if no_period(period) else period, first_wall=_wall(body.get("firstSchedTime"), "firstSchedTime"),
        next_wall=_wall(body.get("nextExecTime"), "nextExecTime"), submit_user=_text(body.get("submitUser")),
        options=_object(body.get("executionOptions"), "executionOptions"))


def _from_schedules_table(row: dict[str, Any], where: str) -> AzkabanSchedule:
    """A row of Azkaban 2.x's schedules table (periods only: 2.x had no cron)."""
    options = _object(row.get("schedule_options"), "schedule_options")
    period = _text(row.get("period"))
    return AzkabanSchedule(
        project=_text(row.get("project_name")), flow=_text(row.get("flow_name")),
        where=f"{where} ({_text(row.get('project_name'))}.{_text(row.get('flow_name'))})",
        period="" if no_period(period) else period, first_ms=_millis(row.get("first_sched_time"), "first_sched_time"),
        timezone=_text(row.get("timezone")), status=_text(row.get("status")).upper(),
        submit_user=_text(row.get("submit_user")), next_ms=_millis(row.get("next_exec_time"), "next_exec_time"),
        options=_object(options.get("executionOptions") or options, "executionOptions"),
        sla=[s for s in options.get("slaOptions") or [] if s])


def _record(record: Any, where: str) -> AzkabanSchedule | None:
    if not isinstance(record, dict):
        raise Malformed(f"is a {type(record).__name__}, not an object")
    if "data" in record and ("trigger_id" in record or "trigger_source" in record):
        return _from_trigger(_object(record["data"], "data"), f"trigger {_text(record.get('trigger_id'))}")
    if "triggerCondition" in record or "actions" in record:
        return _from_trigger(record, where)
    if "schedule" in record:
        return _from_fetch_schedule(record, where)
    if "flowname" in record:
        return _from_fetch_schedules(record, where)
    if "flow_name" in record:
        return _from_schedules_table(record, where)
    raise Malformed(f"has none of the keys an Azkaban schedule has (found {sorted(record)[:8]})")


def _records(document: Any) -> tuple[list[Any], str]:
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        return document["items"], "fetchSchedules item"
    if isinstance(document, dict) and not document:
        return [], ""  # fetchSchedules and fetchSchedule answer {} when nothing is scheduled
    if isinstance(document, dict):
        return [document], "record"
    if isinstance(document, list):
        return document, "record"
    raise SourceError(f"{EXPECTED}; found a {type(document).__name__}")


def read_schedules(path: Path, encoding: str) -> list[AzkabanSchedule]:
    """Every schedule of the file; a record that cannot be read is kept with its problem, so that
    its flow is refused rather than saved without it."""
    document = read_json_file(path, encoding)
    try:
        records, kind = _records(document)
    except SourceError as error:
        raise SourceError(f"{path}: {error}") from None
    if records and not any(isinstance(r, dict) and {"data", "triggerCondition", "actions", "schedule", "flowname",
                                                        "flow_name"} & set(r) for r in records):
        raise SourceError(f"{path}: this does not look like an Azkaban schedules export ({EXPECTED})")
    found: list[AzkabanSchedule] = []
    for number, record in enumerate(records, 1):
        where = f"{kind} {number}"
        try:
            schedule = _record(record, where)
        except Malformed as error:
            names = record if isinstance(record, dict) else {}
            schedule = AzkabanSchedule(project=_text(names.get("projectName") or names.get("projectname")),
                                       flow=_text(names.get("flowId") or names.get("flowname")), where=where,
                                       problem=f"{where} {error}")
        if schedule is not None:
            found.append(schedule)
    return found


@dataclass
class ProjectSchedules:
    """The schedules of one project, by flow; the rest of the file is kept to explain a miss."""

    path: Path | None
    by_flow: dict[str, list[AzkabanSchedule]]
    other_projects: list[str]
    looked_for: Path | None = None  # with no file: the default one, which is not there

    def of(self, flow: str) -> list[AzkabanSchedule]:
        return self.by_flow.get(flow, [])

    def without(self, flows: set[str]) -> Iterator[AzkabanSchedule]:
        """Schedules of this project naming a flow it does not have."""
        for name, schedules in sorted(self.by_flow.items()):
            if name not in flows:
                yield from schedules


def project_schedules(path: Path | None, encoding: str, project: str,
                      looked_for: Path | None = None) -> ProjectSchedules:
    if path is None:
        return ProjectSchedules(None, {}, [], looked_for)
    by_flow: dict[str, list[AzkabanSchedule]] = {}
    others: set[str] = set()
    for schedule in read_schedules(path, encoding):
        if schedule.project and schedule.project != project:
            others.add(schedule.project)
            continue
        by_flow.setdefault(schedule.flow, []).append(schedule)
    return ProjectSchedules(path, by_flow, sorted(others))


# -- a schedule's facts on its flow --------------------------------------------------------------

def _instant(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)


def _period(schedule: AzkabanSchedule) -> str:
    """The period as written, with its unit when fetchSchedules gives milliseconds."""
    return f"{schedule.period} ms" if schedule.period.isdigit() else schedule.period


def _anchor(schedule: AzkabanSchedule, zone: str) -> datetime | None:
    """The first scheduled time as a wall-clock time in the schedule's zone."""
    if schedule.first_wall is not None:
        return schedule.first_wall
    if schedule.first_ms is None or not zone:
        return None
    return _instant(schedule.first_ms).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _daylight_saving(zone: str) -> bool:
    offsets = {ZoneInfo(zone).utcoffset(datetime(2025, month, 1)) for month in (1, 7)}
    return len(offsets) > 1


def _period_schedule(flow: FlowRows, schedule: AzkabanSchedule, zone: str) -> None:
    anchor = _anchor(schedule, zone)
    if anchor is None:
        flow.fail("NEEDS_START", f"{schedule.where} repeats every {_period(schedule)} from its first time, which "
                                 "the export gives as an instant with no zone: set [source] options "
                                 "server_timezone to the Azkaban server's default.timezone.id")
        return
    if zone and not _reaches_the_next_time(flow, schedule, anchor, zone):
        return
    # Where the period stands now: Joda may have moved it (a daylight-saving gap, a short month), for good.
    now = phase(schedule.period, anchor, zone, _now(zone)) if zone else Phase(anchor, anchor)
    try:
        converted = convert_period(schedule.period, now.at if now.moved else anchor)
    except Rejection as rejection:
        flow.fail(rejection.code, f"{schedule.where} repeats every {_period(schedule)} from {anchor:%Y-%m-%d %H:%M}: "
                                  f"{rejection.message}")
        return
    if now.moved:
        flow.warn("PERIOD_MOVED", f"{schedule.where} repeats every {_period(schedule)} from {anchor:%Y-%m-%d %H:%M} "
                                  f"({zone}); Azkaban adds the period to the time before, so {_why_moved(now)} moved "
                                  f"it for good: it fires next at {now.at:%Y-%m-%d %H:%M}, not "
                                  f"{now.planned:%Y-%m-%d %H:%M}, and the flow fires as it does now "
                                  f"({converted.freq})")
    elif zone and (ahead := phase(schedule.period, now.at, zone, now.at + AHEAD)).moved:
        flow.warn("PERIOD_DAYLIGHT_SAVING", f"{schedule.where} repeats every {_period(schedule)} from "
                                            f"{anchor:%Y-%m-%d %H:%M} ({zone}): Azkaban adds the period to the time "
                                            f"before, so {_why_moved(ahead)} will move it for good (by "
                                            f"{ahead.at:%Y-%m-%d} it fires at {ahead.at:%H:%M}), where "
                                            f"{converted.freq} keeps its time")
    if zone and schedule.period.strip().isdigit() and int(schedule.period) % DAY_MS == 0 and _daylight_saving(zone):
        days = int(schedule.period) // DAY_MS
        flow.warn("PERIOD_AMBIGUOUS", f"{schedule.where} repeats every {schedule.period} ms ({days * 24} hours), as "
                                      f"fetchSchedules gives periods: Azkaban's {days}d, a day on the wall clock of "
                                      f"{zone}, as the flow fires ({converted.freq}), or its {days * 24}h, a fixed "
                                      "duration an hour off that time from each daylight-saving change on; "
                                      "fetchSchedule and the triggers table name the period")
    flow.schedule = converted.freq
    flow.cells["start_date"] = anchor.date().isoformat()
    flow.cells["source_start"] = anchor.isoformat()  # the time it begins on that day (the proof's FIRST_DAY)
    # The source, for the proof (mapping/flows.py, schedule/proof_grammars.py): the period as written, from
    # its first time (a wall-clock time in its zone)
    flow.cells.update(source_schedule=json.dumps({"period": schedule.period, "first": anchor.isoformat(),
                                                  "timezone": zone}), source_grammar="azkaban")
    if zone and shifts_with_daylight_saving(schedule.period) and _daylight_saving(zone):
        flow.warn("PERIOD_DAYLIGHT_SAVING", f"{schedule.where} repeats every {schedule.period} as a fixed duration "
                                            f"from {anchor:%Y-%m-%d %H:%M} ({zone}): across a daylight-saving change "
                                            f"Azkaban's fire times move by an hour, {converted.freq} keeps its hours")


DAY_MS = 86_400_000  # a day of fetchSchedules's milliseconds
AHEAD = timedelta(days=2 * 366)  # as far as the proof compares (schedule/proof.py)


def _now(zone: str) -> datetime:
    return datetime.now(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)


def _why_moved(moved: Phase) -> str:
    if moved.at.time() != moved.planned.time():
        return "a daylight-saving gap that skipped its time"
    return "a month too short for its day"


def _reaches_the_next_time(flow: FlowRows, schedule: AzkabanSchedule, anchor: datetime, zone: str) -> bool:
    """The export's own next fire time must be one of the period's, counted from its first time in
    its zone: when it is not, the zone the times were read in (or the first time) is not the one
    Azkaban ran them in, and the flow would fire at other times."""
    if schedule.next_ms is not None:
        said = _instant(schedule.next_ms).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    elif schedule.next_wall is not None:
        said = schedule.next_wall
    else:
        return True
    try:
        count, unit = period_parts(schedule.period)
    except Rejection:
        return True  # the conversion names it
    if said <= anchor or count <= 0:
        return True
    if unit in ("d", "w", "M", "y") and not schedule.period.strip().isdigit():
        reached = phase(schedule.period, anchor, zone, said).at == said
    else:  # a fixed duration (or milliseconds): counted on UTC's clock
        tz = ZoneInfo(zone)
        gone = said.replace(tzinfo=tz).astimezone(UTC) - anchor.replace(tzinfo=tz).astimezone(UTC)
        duration = timedelta(milliseconds=int(schedule.period)) if schedule.period.strip().isdigit() else \
            timedelta(seconds=count * SECONDS[unit])
        reached = duration > timedelta(0) and gone % duration == timedelta(0)
    if not reached:
        flow.fail(TIMEZONE_MISMATCH, f"the export says {schedule.where} fires next at {said:%Y-%m-%d %H:%M} ({zone}), "
                                     f"which every {_period(schedule)} from {anchor:%Y-%m-%d %H:%M} never reaches: the "
                                     f"times were not read in the zone Azkaban ran them in; set [source] options "
                                     "server_timezone to the server's default.timezone.id")
    return reached


def _end(flow: FlowRows, schedule: AzkabanSchedule, zone: str) -> None:
    """The end time is an instant, and the first one the schedule no longer fires at: each scan of
    Azkaban's TriggerManager checks the end before the schedule, and pauses the trigger once
    `end < now` (its EndTimeChecker); a run is made by a scan after its time, so one at the
    end time or later never is (one less than a scan, a minute, before it may be missed too). Taken
    as its day, an end passed earlier today kept the flow active, as did one before tonight's run,
    which the mapping finds, from the instant, never runs again (NEVER_RUNS)."""
    if schedule.end_ms is None or schedule.end_ms >= NO_END_MS:
        return
    end = _instant(schedule.end_ms).astimezone(ZoneInfo(zone) if zone else UTC)
    written = f"{end:%Y-%m-%d %H:%M} ({zone or 'UTC'})"
    report_end(flow, f"{schedule.where}'s end time", written, end.date(), until=end)


def apply_schedule(flow: FlowRows, schedule: AzkabanSchedule, server_zone: str) -> None:
    """The schedule, its zone, state, end and owner onto the flow; problems as errors."""
    if schedule.problem:
        flow.fail("MALFORMED_SCHEDULE", f"{schedule.problem}: the flow is not saved without its schedule")
        return
    zone = schedule.timezone or server_zone
    if zone and not is_known_zone(zone):
        flow.fail("UNKNOWN_TIMEZONE", f"{schedule.where} fires in {zone!r}, a zone the zone database does not know")
        return
    flow.cells["timezone"] = zone
    if schedule.cron:
        flow.schedule = schedule.cron
        # An instant the export says the schedule fires at: the converted freq must fire then too.
        if schedule.next_ms is not None:
            flow.cells["next_fire"] = _instant(schedule.next_ms).isoformat()
        elif schedule.next_wall is not None and zone:
            flow.cells["next_fire"] = schedule.next_wall.replace(tzinfo=ZoneInfo(zone)).isoformat()
    elif schedule.period:
        _period_schedule(flow, schedule, zone)
    else:
        at = _anchor(schedule, zone)
        flow.unscheduled(f"an Azkaban schedule that fires once{f' at {at:%Y-%m-%d %H:%M}' if at else ''} "
                         f"({schedule.where}: no cron and no period)")
    if schedule.status in INACTIVE_STATES:
        flow.cells["active"] = "0"
        flow.warn("INACTIVE_SOURCE", f"saved inactive: {schedule.where} is {INACTIVE_STATES[schedule.status]}")
    _end(flow, schedule, zone)
    if schedule.submit_user:
        flow.cells["owners"] = schedule.submit_user
    if schedule.sla:
        flow.warn("SLA", f"{schedule.where} has SLA rules ({json.dumps(schedule.sla, ensure_ascii=False)[:300]}): "
                         "a flow has no SLA; set its alerting up by hand")
