"""Airflow DAG lists. One flow per DAG (key and name: its `dag_id`), one task standing for the DAG
run (`airflow dags trigger <dag_id>`, for Import): the DAG's own tasks are not in any of these
exports, so every flow says so (DAG_AS_TASK): its task needs the Airflow CLI where it runs.

What it reads, each as one `.json` file, a folder of them, or a glob (`[source] path =
"pages/dags-*.json"`):
- the REST collection `GET /api/v1/dags` (Airflow 2) or `/api/v2/dags` (Airflow 3),
  `{"dags": [...], "total_entries": N}`. It answers one page of at most `limit` DAGs (100 by
  default): save every page (`?limit=100&offset=0`, `offset=100`, ...). The pages must add up to
  `total_entries`, or the source is refused, saying how many DAGs are missing;
- a DAG's details, `GET /api/v1/dags/{dag_id}/details` (one object), which alone give the DAG's
  `timezone`, `start_date`, `end_date`, `params` and `dataset_expression` / `asset_expression`;
- `airflow dags list -o json` (a list, with no schedules: every DAG is MISSING_SCHEDULE).
A DAG found twice (on two pages fetched while DAGs changed, or in a page and its details) is one
flow: the facts of both are put together, the first one read winning; where they disagree on a
fact used here, DUPLICATE_DAG names it.

Schedule (`schedule_interval`, tagged `{"__type": "CronExpression" | "TimeDelta" | "RelativeDelta"}`,
else `timetable_summary`) goes to the `airflow` dialect. The summaries Airflow writes for timetables
are read as the schedule they stand for: `Dataset or 0 1 * * *` (Airflow 2.9+, also in
`schedule_interval`) and `Asset or ...` (Airflow 3) are the time schedule, with DATASET_TRIGGER;
`relativedelta(months=+1)` (a relativedelta schedule) is that RelativeDelta; the crons of a
MultipleCronTriggerTimetable (`0 1 * * *, 0 13 * * *`) are one cron when they differ in the
minute, hour or month alone (their union is then exact), else the flow is MULTIPLE_SCHEDULES.
An interval counts from the export's own facts, in this order of trust: when the next run starts
(`next_dagrun_create_after`; Airflow 3: `next_dagrun_run_after`), `next_dagrun` (Airflow 3:
`next_dagrun_logical_date`), `next_dagrun_data_interval_start`, `start_date`; each is an instant
in UTC and keeps its offset in the `start` column. With none of them `start` stays empty and the
mapping refuses the flow (NEEDS_START): no default date is taken for an anchor.

Time zone: a cron DAG fires in its own `timezone` (details only), else in the installation's
`[core] default_timezone`, usually UTC. The details' zone goes to the `timezone` column
(`Timezone('Europe/Berlin')` and fixed offsets such as `+02:00` are read as IANA names). The list
endpoint names no zone: the column stays empty, and the schedules are taken to be in the
target's zone unless you set `[mapping] source_timezone` to the installation's
`default_timezone` (`airflow config get-value core default_timezone`). An interval counted from
an instant with an offset (all the API writes) keeps UTC's clock whatever the DAG's zone: with no
zone of the DAG's own, its column is `UTC`, and nothing about its zone is left unknown.

No time schedule (`flow.unscheduled`: refused as NO_TIME_SCHEDULE with the sentence, or a manual
flow with `[mapping] unscheduled = "manual"`):
- `schedule=None`: run only when triggered by hand, by the API or by another DAG;
- `@once`: one run soon after `start_date`, then none; a manual flow is its nearest equal;
- `@continuous`: a new run as soon as the last one ends;
- `PartitionAtRuntime` (Airflow 3): run only when triggered with a partition key;
- an EventsTimetable (`3 events`): runs at listed instants, which no recurring schedule says;
- dataset (Airflow 2.4+) or asset (Airflow 3) triggers: the sentence names them from the
  details' expression. A DAG triggered by datasets *or* a time schedule keeps its time schedule,
  with DATASET_TRIGGER for the triggers not carried.
A timetable of a plugin's own (its summary is its class name unless it says otherwise) is refused
as CUSTOM_TIMETABLE: only its code knows when it fires.

State: a paused DAG (`is_paused`), one whose file Airflow no longer finds (`is_active` false,
Airflow 3 `is_stale`), one it could not import (`has_import_errors`) or a SubDAG (`is_subdag`:
its parent runs it) is saved with active 0, with PAUSED / INACTIVE_DAG / IMPORT_ERRORS / SUBDAG:
Airflow's scheduler starts none of them. An `end_date` is END_DATE,
since a flow never ends, in run time: Airflow makes every run whose logical date is on or before
it. A trigger timetable (Airflow 3's for a cron or an interval; its next run starts at its logical
date) runs until end_date, a run at that instant included. A data-interval timetable (Airflow 2's;
its next run starts when the interval its logical date begins ends) still runs the last interval
that starts on or before end_date, at that interval's end: its last run, after end_date, which the
warning names (the export's next run where end_date falls in its interval, else the schedule's
first point after end_date: a cron's in the DAG's zone, UTC where the export names none, an
interval's on UTC's clock). An end that has passed saves the flow inactive, one ahead leaves it
active and names it; a DAG whose next run is null while its end_date is ahead has no run left
(Airflow plans none past end_date): inactive too. Owners, description and tags (appended to the
description) are carried; `params` carry their default values (PARAM_DETAILS when their
description or schema is left behind, PARAM_NULL when the default is null and becomes ""). Run
settings a flow has no place for are named: MAX_ACTIVE_RUNS (other than Airflow's default 16),
CATCHUP (when true). A file
that holds no DAG list, or pages that hold no DAG at all, are refused; a DAG entry that cannot be
read is that flow's MALFORMED_DAG error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from migrate.config import SourceSettings, known_zone
from migrate.schedule.airflow import PRESETS, TIMEDELTA_TEXT
from migrate.schedule.proof import Interval, Unchecked, airflow_source
from migrate.schedule.timezone import is_known_zone
from migrate.sources.profiles import FlowRows, Profile, parameters_text, rows_of, warn_secret_parameters
from migrate.sources.profiles.end_dates import report_end, today
from migrate.sources.profiles.json_documents import json_files, read_json_file
from migrate.sources.readers import SourceError, SourceRow

EXPECTED = ("expected the answer of GET /api/v1/dags or /api/v2/dags ({\"dags\": [...], \"total_entries\": N}), "
            "of GET /api/v1/dags/<dag_id>/details, or the list printed by `airflow dags list -o json`, "
            "each DAG with a dag_id")
# The facts this profile reads: a DAG listed twice is reported when two of its copies disagree on one.
FACTS = ("schedule_interval", "timetable_summary", "timetable_description", "dataset_expression", "asset_expression",
         "is_paused", "paused", "is_active", "is_stale", "owners", "owner", "description", "tags", "timezone",
         "start_date", "end_date", "params")
# When the next run starts comes first (`next_dagrun_create_after`, Airflow 3's
# `next_dagrun_run_after`): for a trigger timetable with an `interval` (DeltaTriggerTimetable,
# CronTriggerTimetable) the logical date is that instant less the interval, off the grid the
# runs are on; for a data-interval timetable both are on it.
NEXT_RUN = ("next_dagrun_run_after", "next_dagrun_create_after")
ANCHORS = (*NEXT_RUN, "next_dagrun", "next_dagrun_logical_date", "next_dagrun_data_interval_start", "start_date")
# Instants at which the DAG's timetable fires (the ends of its data intervals; start_date is not
# one): the mapping checks that the converted schedule fires then, in the zone it is read in.
FIRE_INSTANTS = (*NEXT_RUN, "next_dagrun", "next_dagrun_logical_date", "next_dagrun_data_interval_start",
                 "next_dagrun_data_interval_end")
# The run Airflow plans next (DagModel's next_dagrun fields): its logical date, and when it starts.
# Every one is null once the timetable plans no more (calculate_dagrun_date_fields, when
# next_dagrun_info answers None: the next run's logical date would be past end_date).
LOGICAL_DATE = ("next_dagrun_logical_date", "next_dagrun", "next_dagrun_data_interval_start")
RUN_AFTER = (*NEXT_RUN, "next_dagrun_data_interval_end")
# An instant past a run, which a cron or an interval does not fire in: end_dates.report_end's
# `until`, the first instant the DAG no longer fires, is its last run's and this.
SECOND = timedelta(seconds=1)
# Steps of a calendar interval (relativedelta(months=1)) walked from its anchor to end_date at most.
CALENDAR_STEPS = 100_000
TIMEZONE_REPR = re.compile(r"^Timezone\('(?P<name>[^']*)'\)$")  # str() of a pendulum 2 zone
FIXED_OFFSET = re.compile(r"^(?:UTC)?(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d{2})$")
NO_SCHEDULE = {
    "": "an Airflow DAG with no schedule (schedule=None): it ran only when triggered by hand, by the API or "
        "by another DAG",
    "none": "an Airflow DAG with no schedule (schedule=None): it ran only when triggered by hand, by the API or "
            "by another DAG",
    "null": "an Airflow DAG with no schedule (schedule=None): it ran only when triggered by hand, by the API or "
            "by another DAG",
    "@once": "an Airflow DAG scheduled @once: it ran a single time soon after its start_date, and since then only "
             "when triggered by hand",
    "@continuous": "an Airflow DAG scheduled @continuous: a new run started as soon as the previous one ended, "
                   "which no time schedule can say",
    "partitionatruntime": "an Airflow DAG scheduled PartitionAtRuntime: it ran only when triggered with a "
                          "partition key, by hand or by the API",
}
# Timetable summaries of data-triggered DAGs (Airflow 2 DatasetTriggeredTimetable, Airflow 3 Asset...).
DATA_SUMMARIES = {"dataset": "datasets", "asset": "assets", "partitioned asset": "assets"}
# DatasetOrTimeSchedule / AssetOrTimeSchedule write "<Dataset|Asset> or <the time timetable's summary>".
DATA_OR_TIME = re.compile(r"^(?P<kind>Dataset|Asset) or (?P<time>.+)$", re.DOTALL)
EVENTS_SUMMARY = re.compile(r"^(?P<count>\d+) events$")  # an EventsTimetable without a description of its own
# str() of a dateutil relativedelta, the summary of a relativedelta schedule: relativedelta(months=+1, day=1)
RELATIVEDELTA_TEXT = re.compile(r"^relativedelta\((?P<arguments>[^()]*)\)$")
# A cron field as croniter reads it: numbers, names (JAN, MON: no run of letters longer), ranges,
# lists, steps, L, W, #, ?.
CRON_FIELD = re.compile(r"^(?:[0-9*/,?#-]|[A-Za-z]{1,3}(?![A-Za-z]))+$")
RELATIVE_FIELDS = ("years", "months", "days", "hours", "minutes", "seconds", "microseconds")
# Cron fields whose values a union of two crons can join into one list exactly: minute, hour and
# month combine with the other fields by AND; the two day fields do not (croniter ORs them).
JOINABLE_CRON_FIELDS = (0, 1, 3)


class MalformedDag(ValueError):
    """A DAG entry with a field this profile cannot read: that flow's error, not the file's."""


@dataclass
class _Page:
    path: Path
    entries: list[Any]
    total_entries: int | None  # a REST collection page only


@dataclass(slots=True)
class _Entry:
    key: str
    where: str  # file and position, for messages
    dag: dict[str, Any] | None  # None: an entry that is not a DAG
    problem: str = ""
    disagreements: list[str] = field(default_factory=list)



# Airflow's default max_active_runs (core.max_active_runs_per_dag): a DAG that keeps it says nothing of its own.
AIRFLOW_MAX_ACTIVE_RUNS = 16

def _page(path: Path, document: Any) -> _Page:
    """The DAG entries of one document, or a refusal when it is no Airflow DAG list at all."""
    def is_dag(entry: Any) -> bool:
        return isinstance(entry, dict) and "dag_id" in entry

    if isinstance(document, dict) and "dags" in document:
        dags, total = document["dags"], document.get("total_entries")
        if isinstance(dags, list) and (not dags or any(map(is_dag, dags))):
            if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
                raise SourceError(f"{path}: total_entries {total!r} is not a count of DAGs")
            return _Page(path, dags, total)
    elif is_dag(document):
        return _Page(path, [document], None)
    elif isinstance(document, list) and any(map(is_dag, document)):
        return _Page(path, document, None)
    if isinstance(document, dict) and (isinstance(document.get("tasks"), list) or "task_id" in document):
        # GET /dags/{dag_id}/tasks (or one task's), saved beside the DAG pages: Airflow's, but no DAG in it
        raise SourceError(f"{path}: this is an Airflow task list (`GET /dags/{{dag_id}}/tasks`), which this profile "
                          f"does not read: a DAG's flow is one task that triggers the DAG. Remove it from the export "
                          f"({EXPECTED})")
    errors = document.get("import_errors") if isinstance(document, dict) else document
    if isinstance(errors, list) and errors and all(isinstance(e, dict) and ("stack_trace" in e or "error" in e)
                                                   and ("filename" in e or "filepath" in e) for e in errors):
        # GET /importErrors, `airflow dags list-import-errors -o json`: a DAG whose file fails to load
        # is in the DAG list too, has_import_errors true (IMPORT_ERRORS)
        raise SourceError(f"{path}: this is an Airflow import-error list (`GET /importErrors`, `airflow dags "
                          f"list-import-errors`), which this profile does not read: a DAG Airflow cannot import is "
                          f"in the DAG list, saved inactive (IMPORT_ERRORS). Remove it from the export ({EXPECTED})")
    raise SourceError(f"{path}: this does not look like an Airflow DAG list ({EXPECTED})")


def _dag_id(entry: Any) -> str:
    value = entry.get("dag_id") if isinstance(entry, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def _add(entries: dict[str, _Entry], dag_id: str, entry: dict[str, Any], where: str) -> None:
    """A DAG seen again: its facts join the first copy's, which wins where they disagree."""
    known = entries.get(dag_id)
    if known is None or known.dag is None:  # (bad entries are keyed by their place, never by a dag_id)
        entries[dag_id] = _Entry(dag_id, where, entry)
        return
    differing = [k for k in FACTS if k in entry and k in known.dag and entry[k] != known.dag[k]]
    known.dag = {**entry, **known.dag}
    if differing:
        known.disagreements.append(f"{where} gives another {', '.join(differing)}: {known.where} is kept")


def _check_total(source: Path, pages: list[_Page], counted: int) -> None:
    totals = [p.total_entries for p in pages if p.total_entries is not None]
    if len(set(totals)) > 1 and counted < max(totals):
        # Pages of two moments: a DAG added or removed between them shifted the offsets, so a DAG
        # may be on two pages and another on none, which no page is missing.
        said = ", ".join(f"{p.total_entries} in {p.path.name}" for p in pages if p.total_entries is not None)
        raise SourceError(
            f"{source}: the pages were saved at different moments: Airflow counted a different number of DAGs for "
            f"each (total_entries {said}), so a DAG added or removed between them may have moved another from one "
            f"page to the next, leaving it on two pages or on none: save every page again, one after another "
            f"(`curl '<airflow>/api/v1/dags?limit=100&offset=N' -o dags-N.json`)")
    if totals and counted < max(totals):
        total = max(totals)
        raise SourceError(
            f"{source}: {counted} of the {total} DAGs Airflow counted (total_entries) are here, {total - counted} "
            f"missing. GET /api/v1/dags answers one page of at most `limit` DAGs (100 unless set): save every page, "
            f"e.g. `curl '<airflow>/api/v1/dags?limit=100&offset=N' -o dags-N.json` for N = 0, 100, 200, ... below "
            f"{total} (Airflow 3: /api/v2/dags), and set [source] path to their folder or to a glob such as "
            f"\"dags-*.json\"")


# How `airflow dags list -o yaml` and `-o plain`/`-o table` begin a DAG: `- dag_id: …`, or a header.
CLI_NOT_JSON = re.compile(r"^\s*(-\s+)?dag_id\s*[:|]|^\s*dag_id\s+\|?\s*(fileloc|filepath|owners)", re.MULTILINE)


def _json_of(path: Path, encoding: str) -> Any:
    try:
        return read_json_file(path, encoding)
    except SourceError as error:
        try:
            start = path.read_text(encoding="utf-8", errors="replace")[:4096]
        except OSError:
            raise error from None
        if CLI_NOT_JSON.search(start):
            raise SourceError(f"{error}: this looks like `airflow dags list -o yaml` or `-o plain`/`-o table`, whose "
                              "lines drop facts (the schedule's zone, next runs); export it with `-o json`, or list "
                              "the DAGs through the REST API (/api/v1/dags, /api/v2/dags)") from None
        raise


def _entries(settings: SourceSettings) -> list[_Entry]:
    """Every DAG of every file, once each, after checking the pages add up to total_entries."""
    files = json_files(settings)
    pages = [_page(path, _json_of(path, settings.encoding)) for path in files]
    entries: dict[str, _Entry] = {}
    on_pages: set[str] = set()  # DAG ids (or bad entries) of REST pages, to count against total_entries
    for page in pages:
        for number, entry in enumerate(page.entries, 1):
            where = f"{page.path.name} DAG {number}" if len(files) > 1 else f"DAG {number}"
            dag_id = _dag_id(entry)
            if not dag_id:
                problem = "an entry without a dag_id" if isinstance(entry, dict) else \
                    f"an entry that is not a DAG object: {json.dumps(entry)[:80]}"
                dag_id = where  # has spaces, so no real dag_id can take it
                entries[dag_id] = _Entry(where, where, None, problem)
            else:
                _add(entries, dag_id, entry, where)
            if page.total_entries is not None:
                on_pages.add(dag_id)
    _check_total(settings.path, pages, len(on_pages))
    if not entries:  # every page empty: a profile export with no job is refused, not "0 flows"
        raise SourceError(f"{settings.path}: the export holds no DAGs: nothing to migrate ({EXPECTED})")
    return list(entries.values())


# -- one DAG's facts ---------------------------------------------------------------------------

def _flag(dag: dict[str, Any], *names: str) -> bool | None:
    """A boolean as the API (true), the CLI ("True") or a hand-made list ("false", 0) writes it."""
    for name in names:
        value = dag.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no", ""):
            return False
        raise MalformedDag(f"{name} {value!r} is neither true nor false")
    return None


def _moment(dag: dict[str, Any], name: str) -> str:
    """An ISO date-time as the export wrote it (offset kept), checked to be one."""
    value = dag.get(name)
    if value is None or value == "":
        return ""
    try:
        if not isinstance(value, str):
            raise ValueError
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedDag(f"{name} {value!r} is not an ISO date-time") from None
    return value


def _first_moment(dag: dict[str, Any], names: tuple[str, ...]) -> str:
    """The first of these date-times the export gives (checked), or ""."""
    for name in names:
        if dag.get(name) not in (None, ""):
            return _moment(dag, name)
    return ""


def _zone(value: Any) -> str:
    """The IANA name of a DAG's timezone: `Timezone('X')` (pendulum 2) is X, a whole-hour fixed
    offset is its Etc/GMT zone (whose sign is reversed by POSIX convention)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise MalformedDag(f"timezone {value!r} is not a zone name")
    text = value.strip()
    text = match["name"] if (match := TIMEZONE_REPR.match(text)) else text
    if offset := FIXED_OFFSET.match(text):
        hours, minutes = int(offset["hours"]), int(offset["minutes"])
        if minutes:
            raise MalformedDag(f"timezone {value!r} is a fixed offset with minutes, which no IANA zone name says; "
                               "set the DAG's timezone in the export to the zone it stands for")
        text = "UTC" if hours == 0 else f"Etc/GMT{'-' if offset['sign'] == '+' else '+'}{hours}"
    try:
        return known_zone(text) or ""
    except ValueError as error:
        raise MalformedDag(f"timezone: {error}") from None


def _schedule_value(dag: dict[str, Any]) -> tuple[Any, bool]:
    """The schedule as the export gives it, and whether the export has a schedule field at all.
    A null `schedule_interval` defers to a timetable summary (custom timetables leave it null)."""
    present = False
    for key in ("schedule_interval", "timetable_summary", "schedule"):
        if key in dag:
            present = True
            if dag[key] is not None:
                return dag[key], True
    return None, present


def _text(value: Any) -> str:
    """The schedule as the airflow dialect reads it: a cron expression as written, the other
    tagged forms (TimeDelta, RelativeDelta) as their JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("__type") == "CronExpression" and isinstance(value.get("value"), str):
        return str(value["value"])
    return json.dumps(value)


def _data_trigger(dag: dict[str, Any], plain: str) -> str:
    """'datasets' or 'assets' when data events trigger the DAG (alone or with a time schedule), else ''."""
    if plain in DATA_SUMMARIES:
        return DATA_SUMMARIES[plain]
    if dag.get("asset_expression"):
        return "assets"
    if dag.get("dataset_expression"):
        return "datasets"
    description = dag.get("timetable_description")
    if isinstance(description, str) and description[:12].lower() == "triggered by":
        return "assets" if description.lower().startswith("triggered by assets") else "datasets"
    return ""


def _expression(node: Any, nested: bool = False) -> str:
    """A dataset or asset condition in words: `a and (b or c)`."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        for operator, word in (("all", " and "), ("any", " or ")):
            if isinstance(node.get(operator), list):
                parts = [_expression(n, True) for n in node[operator]]
                text = word.join(parts)
                return f"({text})" if nested and len(parts) > 1 else text
        for kind in ("asset", "dataset"):
            if isinstance(node.get(kind), dict):
                return _expression(node[kind], nested)
        if "alias" in node:
            alias = node["alias"]
            return f"alias {alias.get('name') if isinstance(alias, dict) else alias}"
        name, uri = node.get("name"), node.get("uri")
        if name or uri:
            return f"{name} ({uri})" if name and uri and name != uri else str(name or uri)
    return json.dumps(node)  # a shape of a later Airflow: shown as it is rather than dropped


def _triggers(dag: dict[str, Any], kind: str) -> str:
    expression = dag.get("asset_expression") or dag.get("dataset_expression")
    if expression:
        return f"{kind}: {_expression(expression)}"
    api = "v2" if kind == "assets" else "v1"  # assets are Airflow 3's, whose REST API is /api/v2
    return (f"{kind} (the DAG list does not name them; GET /api/{api}/dags/{dag.get('dag_id')}/details does, in "
            f"its {'asset' if kind == 'assets' else 'dataset'}_expression)")


def _relative_delta(flow: FlowRows, text: str) -> str | None:
    """The RelativeDelta form (as the REST API tags it) of a relativedelta's str(), or None when the
    text is not one. Absolute fields (`day=1`) are kept, for the dialect to refuse by name; leap
    days (no interval at all) are the flow's error (and "" is returned)."""
    match = RELATIVEDELTA_TEXT.match(text.strip())
    if match is None:
        return None
    fields: dict[str, Any] = {"__type": "RelativeDelta"}
    for argument in filter(None, (a.strip() for a in match["arguments"].split(","))):
        name, _, value = argument.partition("=")
        try:
            fields[name] = float(value) if name in RELATIVE_FIELDS else value
        except ValueError:
            return None
    if "leapdays" in fields:
        flow.fail("UNSUPPORTED_INTERVAL", f"{text}: an interval with leap days is not a schedule")
        return ""
    return json.dumps(fields)


def _schedule_form(text: str) -> bool:
    """Whether the text is a form the airflow dialect reads (a preset, a cron, a timedelta's text,
    a tagged form's JSON): a custom timetable's summary is none of them (its class name, by
    default, as `AfterWorkdayTimetable`), and would be refused as a cron with a wrong field count."""
    text = text.strip()
    return (text.startswith("@") or _interval(text)
            or (5 <= len(fields := text.split()) <= 7 and all(CRON_FIELD.match(field) for field in fields)))


def _interval(text: str) -> bool:
    """A timedelta's text or a tagged form's JSON (TimeDelta, RelativeDelta): no cron."""
    return text.startswith("{") or TIMEDELTA_TEXT.match(text) is not None


def _cron_fields(text: str) -> list[str]:
    text = text.strip()
    return PRESETS.get(text.lower(), text).split()


def _multiple_crons(flow: FlowRows, text: str) -> str | None:
    """One cron for a MultipleCronTriggerTimetable's summary ("<cron>, <cron>, ..."), None when the
    text is not one. Crons that differ in one joinable field are their exact union; any others are
    the flow's MULTIPLE_SCHEDULES error (and "" is returned)."""
    parts = text.split(", ")
    if len(parts) < 2 or not all(p.strip().startswith("@") or len(p.split()) >= 5 for p in parts):
        return None  # a single cron, or a timedelta's text ("1 day, 0:00:00")
    crons = [_cron_fields(p) for p in parts]
    differing = {i for cron in crons[1:] for i, field in enumerate(cron) if len(cron) != len(crons[0])
                 or field != crons[0][i]}
    if len(differing) == 1 and (position := differing.pop()) in JOINABLE_CRON_FIELDS and len(crons[0]) == 5:
        values = [cron[position] for cron in crons]
        joined = "*" if "*" in values else ",".join(dict.fromkeys(v for value in values for v in value.split(",")))
        return " ".join(joined if i == position else field for i, field in enumerate(crons[0]))
    flow.fail("MULTIPLE_SCHEDULES", f"the DAG fires on {len(parts)} crons ({text}: a MultipleCronTriggerTimetable), "
                                    "whose union no single cron says: make one flow per cron by hand")
    return ""


def _schedule(flow: FlowRows, dag: dict[str, Any]) -> None:
    value, present = _schedule_value(dag)
    text = "None" if value is None else _text(value)
    data_or_time = DATA_OR_TIME.match(text.strip())
    if data_or_time:  # the time schedule is the part after "Dataset or "
        text = data_or_time["time"]
    plain = text.strip().lower()
    trigger = _data_trigger(dag, plain) or (f"{data_or_time['kind'].lower()}s" if data_or_time else "")
    timed = plain not in NO_SCHEDULE and plain not in DATA_SUMMARIES
    if trigger and timed:
        flow.warn("DATASET_TRIGGER", f"also triggered by {_triggers(dag, trigger)}; the flow runs on its time "
                                     "schedule only")
    elif trigger:
        flow.unscheduled(f"an Airflow DAG triggered by {_triggers(dag, trigger)}")
        return
    if not present:
        flow.fail("MISSING_SCHEDULE", "the export has no schedule_interval or timetable_summary for this DAG "
                                      "(`airflow dags list` prints none: export with the REST API)")
        return
    if not timed:
        flow.unscheduled(NO_SCHEDULE[plain])
        return
    if events := EVENTS_SUMMARY.match(plain):
        flow.unscheduled(f"an Airflow DAG on an EventsTimetable: it ran at {events['count']} listed instants "
                         f"({dag.get('timetable_description') or 'the details name them'}), which no recurring "
                         "schedule says")
        return
    schedule = _relative_delta(flow, text)
    if schedule is None:
        schedule = _multiple_crons(flow, text)
    if schedule is None and not _schedule_form(text):
        # Where a cron written into the export is read from: Airflow 2's list has schedule_interval
        # (null for a custom timetable, and read first); Airflow 3's (/api/v2) has no such field,
        # only timetable_summary. One not null is said as it is: "null" sent its user looking for a
        # null where the export held the timetable's name as a CronExpression.
        interval = dag.get("schedule_interval")
        holds = "null for such a timetable" if interval is None else \
            f"it holds {json.dumps(interval)[:120]}" + (
                ": the cron goes in its value" if isinstance(interval, dict) and "value" in interval else "")
        field = (f"schedule_interval ({holds})" if "schedule_interval" in dag
                 else "timetable_summary (Airflow 3's DAG list has no schedule_interval)")
        flow.fail("CUSTOM_TIMETABLE", f"the DAG runs on a timetable of its own ({text.strip()}"
                                      + (f": {description}" if (description := dag.get("timetable_description"))
                                         and description != text else "")
                                      + "), whose fire times only its plugin's code says: write a cron that fires "
                                        f"as it does in the DAG's {field} in the export, or make the flow by hand")
        return
    if schedule == "":  # the flow's error is said
        return
    flow.schedule = schedule or text
    flow.cells["start"] = _first_moment(dag, ANCHORS)
    flow.cells["next_fire"] = _first_moment(dag, FIRE_INSTANTS)
    _first_run(flow, dag)


def _first_run(flow: FlowRows, dag: dict[str, Any]) -> None:
    """A next run that starts after today: the flow starts that day, or it would fire before
    Airflow does (a run starts when its data interval ends: a quarterly DAG whose next logical date
    is 1 January runs on 1 April, and nothing runs on 1 January)."""
    text = _first_moment(dag, NEXT_RUN)
    if not text:
        return
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    zone = _zone(dag.get("timezone")) or "UTC"
    day = (at.astimezone(ZoneInfo(zone)) if at.tzinfo is not None and is_known_zone(zone) else at).date()
    if day > today():
        flow.cells["start_date"] = day.isoformat()
        flow.cells["source_start"] = text  # the instant: the mapping places the day in the service's zone
        flow.warn("START_DATE", f"the DAG's next run starts at {text} (when its data interval ends): the flow "
                                "starts no earlier than that run's day, so that it does not fire before Airflow does")


def _state(flow: FlowRows, dag: dict[str, Any]) -> None:
    paused = _flag(dag, "is_paused", "paused")
    gone = _flag(dag, "is_active") is False or _flag(dag, "is_stale") is True
    # Airflow's scheduler starts no run of a DAG it cannot import (its runs query asks
    # has_import_errors false), nor of a SubDAG: its parent's SubDagOperator runs it, as a task of
    # the parent's runs. Saved active, either fired where Airflow never did (a SubDAG twice).
    broken = _flag(dag, "has_import_errors") is True
    subdag = _flag(dag, "is_subdag") is True
    if paused:
        flow.warn("PAUSED", "the DAG is paused in Airflow: saved with active 0, as it stood")
    if gone:
        flow.warn("INACTIVE_DAG", "Airflow no longer finds this DAG's file (is_active false or is_stale true): it "
                                  "was deleted or moved, and does not run; saved with active 0")
    if broken:
        flow.warn("IMPORT_ERRORS", "Airflow could not import this DAG's file (has_import_errors true), and its "
                                   "scheduler starts no run of such a DAG: saved with active 0; fix it there "
                                   "before enabling the flow")
    if subdag:
        parent = str(dag.get("root_dag_id") or "").strip() or "its parent DAG"
        flow.warn("SUBDAG", f"a SubDAG of {parent} (is_subdag true): Airflow runs it only within its parent's "
                            "runs (a SubDagOperator task), never on its own schedule; saved with active 0, so "
                            "that it does not run twice")
    flow.cells["active"] = "0" if paused or gone or broken or subdag else "1"
    _end(flow, dag)


def _end(flow: FlowRows, dag: dict[str, Any]) -> None:
    """END_DATE, in run time (end_dates.report_end's `until`). Airflow makes every run whose
    logical date is on or before end_date (its TimeRestriction.latest): a trigger timetable's run
    starts at that instant (CronTriggerTimetable: none once `latest < next_start_time`), so it ends
    there; a data-interval timetable's, the logical date being its interval's start, starts when
    that interval ends (CronDataIntervalTimetable, DeltaDataIntervalTimetable: none once `start >
    latest`), so its last run comes after end_date, at the first point of the schedule past it. With
    no next run planned (every next_dagrun field null) Airflow makes none: none is left."""
    text = _moment(dag, "end_date")
    if not text:
        return
    end = _instant(text)
    if flow.schedule and _no_next_run(dag) and end > datetime.now(UTC):
        named = next(name for name in (*LOGICAL_DATE, *RUN_AFTER) if name in dag)
        flow.warn("END_DATE", f"the DAG's end_date {text}: Airflow plans no more runs of the DAG ({named} is null, "
                              "as Airflow leaves it once the next run would come past end_date): the job no longer "
                              "fires, so the flow is saved inactive (active 0)")
        flow.cells["active"] = "0"
        return
    what = "the DAG's end_date"
    if not flow.schedule or _runs_at_logical_date(flow, dag):
        report_end(flow, what, text, end.astimezone(UTC).date(), end + SECOND)
        return
    last = _last_run(flow, dag, end)
    if last is None:  # a schedule not read, the flow's error: its last run comes after end_date, not placed
        report_end(flow, what, f"{text} (a logical date: the last run comes after it, when the data interval "
                                "that starts on or before it ends)", end.astimezone(UTC).date())
        return
    start, run, assumed = last
    report_end(flow, "the DAG's last run", f"{run.isoformat()} (its end_date {text} is a logical date, and Airflow "
                                           f"still runs the data interval that starts at {start.isoformat()}, on or "
                                           f"before it, when that interval ends{assumed})",
               run.astimezone(UTC).date(), run + SECOND)


def _no_next_run(dag: dict[str, Any]) -> bool:
    """Whether the export gives the next run's fields, each null: Airflow plans no more runs."""
    given = [name for name in (*LOGICAL_DATE, *RUN_AFTER) if name in dag]
    return bool(given) and all(dag[name] in (None, "") for name in given)


def _runs_at_logical_date(flow: FlowRows, dag: dict[str, Any]) -> bool:
    """Whether the DAG's timetable starts a run at its logical date (or a fixed interval after it,
    a trigger timetable's `interval`), rather than when the data interval that date begins ends.
    The export's next run says it: one starting at its logical date is a trigger timetable's, and
    so is one whose logical date is no point of the schedule, or which starts at another than the
    next (where the DAG's zone or an interval places them: with neither, a run after its logical
    date is taken as its interval's end, a trigger timetable's `interval` being set by hand, and
    rare). Without a next run, a cron or an interval is Airflow 2's data-interval timetable (its
    list has `schedule_interval`), and Airflow 3's trigger timetable (its default: [scheduler]
    create_cron_data_intervals false). A trigger timetable whose `interval` is one period of its
    schedule reads as a data-interval one: its next run says the same."""
    logical, run_after = _first_moment(dag, LOGICAL_DATE), _first_moment(dag, RUN_AFTER)
    if not logical or not run_after:
        return "schedule_interval" not in dag
    if _instant(logical) == _instant(run_after):
        return True
    reading, zone = _schedule_reading(flow), _named_zone(dag)
    if reading is None or (reading[0] == "cron" and zone is None):
        return False
    points = _points(reading, _instant(logical), zone or ZoneInfo("UTC"), _instant(logical))
    return points is not None and points != (_instant(logical), _instant(run_after))


def _last_run(flow: FlowRows, dag: dict[str, Any], end: datetime) -> tuple[datetime, datetime, str] | None:
    """A data-interval DAG's last run: the start of the last interval that starts on or before
    end_date, its run (that interval's end, the schedule's first point past end_date), and a clause
    saying what was assumed to place them, if anything. The next run the export gives is that run
    where end_date falls in its interval; else a cron's points are read in the DAG's zone (UTC,
    Airflow's default_timezone unless set, where the export names none), an interval's counted from
    its anchor on UTC's clock, as Airflow adds it. None when the schedule cannot be read."""
    logical, run_after = _first_moment(dag, LOGICAL_DATE), _first_moment(dag, RUN_AFTER)
    if logical and run_after and _instant(logical) <= end < _instant(run_after):
        return _instant(logical), _instant(run_after), ""
    reading, named = _schedule_reading(flow), _named_zone(dag)
    zone = named or ZoneInfo("UTC")
    anchor = _instant(flow.cells["start"]) if flow.cells.get("start") else None
    points = _points(reading, end, zone, anchor) if reading is not None else None
    if reading is None or points is None:
        return None
    assumed = ""
    if reading[0] == "cron" and named is None:
        assumed = ("; its zone taken as UTC, Airflow's default_timezone unless set, as the export names none (with "
                   "[mapping] source_timezone the flow's last run is counted in that zone, below)")
        # the end_date itself: the mapping counts the last run from it in source_timezone (flows.py)
        flow.cells["source_end_logical"] = end.isoformat()
    shown = zone if reading[0] == "cron" else ZoneInfo("UTC")  # the clock the schedule keeps
    return points[0].astimezone(shown), points[1].astimezone(shown), assumed


def _named_zone(dag: dict[str, Any]) -> ZoneInfo | None:
    zone = _zone(dag.get("timezone"))
    return ZoneInfo(zone) if zone and is_known_zone(zone) else None


def _schedule_reading(flow: FlowRows) -> tuple[str, str | Interval] | None:
    """The flow's schedule as ("cron", expression) or ("interval", delta), as the proof reads
    Airflow's; None when it cannot."""
    try:
        return airflow_source(flow.schedule)
    except (Unchecked, ValueError, TypeError):
        return None


def _points(reading: tuple[str, str | Interval], instant: datetime, zone: ZoneInfo,
            anchor: datetime | None) -> tuple[datetime, datetime] | None:
    """The schedule's last point at or before an instant and its first after it (UTC instants), or
    None. A cron's, as Airflow's CronMixin finds them: croniter (Airflow's own cron reader) on the
    wall clock of the DAG's zone. An interval's are anchor + n steps on UTC's clock, as Airflow adds
    an interval to a UTC instant; calendar steps chain, each from the last (31 January, 28 February,
    28 March)."""
    _, step = reading
    if isinstance(step, str):
        from croniter import croniter

        wall = instant.astimezone(zone).replace(tzinfo=None)
        try:
            after: datetime = croniter(step, wall).get_next(datetime)
            before: datetime = croniter(step, after).get_prev(datetime)
        except (ValueError, KeyError):  # croniter's errors (CroniterBadDateError: no point left)
            return None
        return before.replace(tzinfo=zone).astimezone(UTC), after.replace(tzinfo=zone).astimezone(UTC)
    if anchor is None:
        return None
    anchor, instant = anchor.astimezone(UTC), instant.astimezone(UTC)
    if isinstance(step, relativedelta) and not step.years and not step.months:
        step = timedelta(days=step.days, hours=step.hours, minutes=step.minutes, seconds=step.seconds)
    if isinstance(step, timedelta):
        if step <= timedelta(0):
            return None
        last = anchor + ((instant - anchor) // step) * step
        return last, last + step
    point = anchor
    for _ in range(CALENDAR_STEPS):
        if point > instant:
            point -= step
        elif point + step <= instant:
            point += step
        else:
            return point, point + step
    return None


def _instant(text: str) -> datetime:
    """An ISO date-time checked by `_moment`; one without an offset is UTC, as Airflow's API writes them."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _run_settings(flow: FlowRows, dag: dict[str, Any]) -> None:
    """How Airflow ran the DAG's runs, which a flow has no setting for."""
    runs = dag.get("max_active_runs")
    if runs is not None and runs != AIRFLOW_MAX_ACTIVE_RUNS:  # at Airflow's default, every DAG would say it
        flow.warn("MAX_ACTIVE_RUNS", f"Airflow let up to {runs} runs of the DAG run at once (max_active_runs): "
                                     "not carried")
    if _flag(dag, "catchup"):
        flow.warn("CATCHUP", "Airflow caught up on missed intervals (catchup true), running one run for each "
                             "interval not yet run: a flow does not, not carried")


def _names(value: Any, what: str) -> list[str]:
    """Owners or tags: a list of names (or of {"name": ...}), or one comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        names = [str(v.get("name", "")) if isinstance(v, dict) else str(v) for v in value]
        return [n for n in names if n]
    raise MalformedDag(f"{what} {json.dumps(value)[:80]} is not a list of names")


def _params(flow: FlowRows, value: Any) -> str:
    """Details' `params` ({name: Param dump or plain value}) -> the documented [{key, value}] JSON."""
    if value is None:
        return ""
    if not isinstance(value, dict):
        raise MalformedDag(f"params {json.dumps(value)[:80]} is not an object of parameters")
    pairs, detailed, empty = [], [], []
    for name, param in value.items():
        default = param.get("value") if isinstance(param, dict) and "value" in param else param
        if isinstance(param, dict) and (param.get("description") or param.get("schema")):
            detailed.append(name)
        if default is None:
            empty.append(name)
        text = "" if default is None else default if isinstance(default, str) else json.dumps(default)
        pairs.append({"key": name, "value": text})
    if detailed:
        flow.warn("PARAM_DETAILS", f"params {', '.join(detailed)}: only the default value is carried, not the "
                                   "description or the JSON schema Airflow checked a triggered run's conf against")
    if empty:
        flow.warn("PARAM_NULL", f"params {', '.join(empty)} have no default (null in Airflow): carried as the empty "
                                "text \"\"; a run that needs a value must be given one")
    warn_secret_parameters(flow, pairs)
    return parameters_text(pairs)


# The same words on every flow (its task's command names the DAG), so that they are read once.
DAG_AS_TASK = ("the DAG's own tasks are not in the export: the flow's one task triggers the DAG through the "
               "Airflow CLI (its command, `airflow dags trigger <dag_id>`), which must exist, and reach the Airflow "
               "that still holds the DAG, where the task runs")


def _flow(entry: _Entry) -> FlowRows:
    # Named and inactive from the start, so that a DAG this profile cannot read fails for that
    # reason alone.
    flow = FlowRows(key=entry.key, name=entry.key, cells={"active": "0"})
    if entry.dag is None:
        flow.fail("MALFORMED_DAG", f"{entry.where}: {entry.problem}")
        return flow
    dag = entry.dag
    for disagreement in entry.disagreements:
        flow.warn("DUPLICATE_DAG", f"DAG {entry.key} is read more than once (a page and its details, or two pages "
                                   f"fetched while DAGs changed), and they disagree: {disagreement}")
    try:
        _schedule(flow, dag)
        _state(flow, dag)
        _run_settings(flow, dag)
        tags = _names(dag.get("tags"), "tags")
        description = str(dag.get("description") or "")
        flow.cells.update(
            owners=";".join(_names(dag.get("owners", dag.get("owner")), "owners")),
            desc=(description + (f" [tags: {', '.join(tags)}]" if tags else "")).strip(),
            timezone=_zone(dag.get("timezone")) or _interval_clock(flow),
            params=_params(flow, dag.get("params")),
        )
        _unnamed_zone(flow)
    except MalformedDag as error:
        flow.fail("MALFORMED_DAG", f"{entry.where}: {error}")
    except RecursionError:
        flow.fail("MALFORMED_DAG", f"{entry.where}: a field nested too deep to read")
    flow.tasks = [{"task_id": "1", "task_name": entry.key, "command": f"airflow dags trigger {entry.key}"}]
    flow.warn("DAG_AS_TASK", DAG_AS_TASK)
    return flow


def _interval_clock(flow: FlowRows) -> str:
    """"UTC" for an interval (a timedelta, a relativedelta) counted from an instant with an offset,
    as the API writes every one: Airflow adds the interval to that instant in UTC, so UTC's clock is
    the one its runs keep whatever the DAG's zone (docs/schedules.md), and the list endpoint, which
    names no zone, leaves nothing unknown about it. "" for any other schedule or anchor."""
    anchor = flow.cells.get("start", "")
    if not anchor or not _interval(flow.schedule.strip()):
        return ""
    return "UTC" if datetime.fromisoformat(anchor.replace("Z", "+00:00")).tzinfo is not None else ""


def _unnamed_zone(flow: FlowRows) -> None:
    """A cron DAG whose zone nothing in the export says: no `timezone` (the list endpoint names
    none) and no next run to check the schedule against (a DAG that never ran, or paused since it
    was added). Intervals count from an instant, which carries its offset."""
    text = flow.schedule.strip()
    if not text or flow.cells.get("timezone") or flow.cells.get("next_fire") or _interval(text):
        return
    flow.warn("HOST_TIMEZONE", "the export names no zone for this DAG and no next run to check its schedule "
                               "against: Airflow fired it in the DAG's timezone (GET .../dags/<dag_id>/details "
                               "says it), else in the installation's [core] default_timezone (UTC unless set); set "
                               "[mapping] source_timezone to it, else the schedule is taken to be in the service's "
                               "zone")


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    def flows() -> Iterator[FlowRows]:
        # Every page is read and counted before the first flow goes out: missing pages stop the
        # run before anything is saved.
        yield from map(_flow, _entries(settings))

    return rows_of(flows())


PROFILE = Profile("airflow", "airflow", read,
                  "Airflow DAG lists (REST API pages, DAG details, `airflow dags list -o json`)", takes_options=False)
