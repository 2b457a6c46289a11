"""Control-M XML exports (`DEFTABLE`, as Control-M/EM `exportdeftable`, the Automation API's XML
and Control-M Planning write them): one flow per folder, one task per job.

Folders are `FOLDER` and `SMART_FOLDER` (older `SCHED_TABLE`/`TABLE` and `SCHED_GROUP`/
`SMART_TABLE`); a SMART folder's `SUB_FOLDER`s are part of its flow. The file is read twice,
streamed: first, building no tree, for which jobs post which conditions (and whether the file is
well-formed XML, naming the line where it is not), then one folder at a time for the flows. A DTD
that declares entities is refused before parsing: no export has one, and an entity bomb needs one.

- Identity: `DATACENTER/FOLDER_NAME` (the folder name alone without a data center); the flow is
  named after the folder; tasks after their jobs (a repeated job name gets `_2`, `_3`).
- Relations: a job that waits on a condition (`INCOND`) another job of the folder posts when it
  ends OK (`OUTCOND` +) runs after it; a SUB_FOLDER's conditions are its first and last jobs'.
  `DOFORCEJOB` of a job of the folder on OK is a relation too. A condition posted by another
  folder of the export is a `flow_upstream` entry when that folder's EnOS id is known (option
  `flow_ids`), else CROSS_FLOW_DEPENDENCY, as is one posted by nothing in the export. Conditions
  of another order date (PREV, NEXT, MMDD, `****`), OR-ed ones and those posted only by an ON
  action (DOCOND) are named (CONDITION_DATE, CONDITION_OR, CONDITION_ON_OUTCOME).
- Schedule: migrate/schedule/controlm.py converts each job's criteria (days, weekdays, months,
  rule-based calendars, the SMART folder's rules a job without criteria inherits, TIMEFROM, New
  Day, cyclic runs) exactly, or refuses them with a code. The flow fires when its first jobs
  (those waiting on no job of the folder) do: they must agree, and every other job must be ordered
  on the same days (TASK_SCHEDULE_DIFFERS otherwise, since a task runs on every run of its flow).
  A folder that is not ordered automatically (no FOLDER_ORDER_METHOD) is unscheduled. A job with
  no TIMEZONE (nor its folder) ran on the Control-M/Server's clock, which the export does not say:
  as a crontab line's, its schedule is read in `[mapping] source_timezone`, else the service's zone.
  What any Quartz freq says of itself (MONTH_RESTRICTED...) is left to the mapping, said once.
- Commands: `CMDLINE`; a script `MEMLIB/MEMNAME` with its `%%PARMn` arguments; an in-stream
  script; application-plugin jobs as readable text (TASK_BODY_AS_TEXT); a Dummy job `exit 0`.
- Reported: RUN_AS, NODE, PRIORITY, CRITICAL, CONFIRM, RETRY (MAXRERUN), MAXWAIT, TIME_WINDOW
  (TIMETO), TASK_TIME_WINDOW (a later job's own TIMEFROM), RESOURCE, SHOUT, ON_DO, RETRO,
  VARIABLE_REFERENCE, and
  any other attribute set to something not its default (ATTRIBUTE_NOT_CARRIED), but Control-M's
  bookkeeping (BOOKKEEPING: stamps, versions, ids, which describe the export); the folder's
  VARIABLEs and the jobs' become parameters, a failure e-mail (DOMAIL on NOTOK) turns alerts on.

Options: `new_day = "0700"` (the Control-M/Server's New Day time: when the working day begins),
`user_dailies = "PLAN_1200=1200; ..."` (when each User Daily orders its folders), `flow_ids =
"FOLDER=2788; DC/FOLDER=2790"` (EnOS ids of other folders' flows, for cross-folder conditions),
`timezones = "EST=America/New_York"` (Control-M time zone codes as IANA zones), `split_or = true`
(a day-of-month OR day-of-week schedule as two flows, the second keyed and named `… (weekdays)`).
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterator, KeysView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree.ElementTree import Element, ParseError, iterparse
from xml.parsers import expat

from migrate.config import SourceSettings
from migrate.schedule.controlm import (
    CALENDAR,
    DAY_RULE,
    EVERY_DAY,
    MONTH_FLAGS,
    DayRule,
    Days,
    Ordering,
    Timing,
    clock_minutes,
    convert_controlm,
    day_rules,
    intersect,
    months_of,
    union,
)
from migrate.schedule.cron import flags
from migrate.schedule.proof_controlm import controlm_source
from migrate.schedule.quartz import QuartzError, parse_quartz
from migrate.schedule.result import DOM_OR_DOW, Rejection
from migrate.schedule.timezone import UNKNOWN_TIMEZONE
from migrate.sources.profiles import FlowRows, Profile, parameters_text, rows_of
from migrate.sources.profiles.end_dates import report_end
from migrate.sources.readers import SourceError, SourceRow

OPTIONS = ("new_day", "user_dailies", "flow_ids", "timezones", "split_or")
EXPECTED = ("expected a Control-M XML export: <DEFTABLE> holding <FOLDER>, <SMART_FOLDER> (or the older "
            "<SCHED_TABLE>, <SCHED_GROUP>) elements with <JOB> elements")
REGULAR_FOLDERS = ("FOLDER", "SCHED_TABLE", "TABLE")
SMART_FOLDERS = ("SMART_FOLDER", "SCHED_GROUP", "SMART_TABLE")
SUB_FOLDERS = ("SUB_FOLDER", "SUB_TABLE")
RULE_DEFINITIONS = ("RULE_BASED_CALENDAR", "TAG")
RULE_REFERENCES = ("RULE_BASED_CALENDARS", "TAG_NAMES")
DUMMY_COMMAND = "exit 0"
ODAT = "ODAT"
VARIABLE_TAGS = ("VARIABLE", "AUTOEDIT2", "AUTOEDIT")
ANY_DATE = ("****", "$$$$")
_SAME_RUN = frozenset((ODAT, *ANY_DATE))  # order dates of a condition the same run posts

# Attributes read into the flow, by element.
SCHEDULE_ATTRIBUTES = frozenset({
    "DAYS", "WEEKDAYS", "DAYS_AND_OR", "DATE", "DAYSCAL", "WEEKSCAL", "CONFCAL", *MONTH_FLAGS, "TIMEFROM", "TIMETO",
    "FROM_DAYSOFFSET", "TO_DAYSOFFSET", "CYCLIC", "CYCLIC_TYPE", "INTERVAL", "CYCLIC_INTERVAL_SEQUENCE",
    "CYCLIC_TIMES_SEQUENCE", "IND_CYCLIC", "CYCLIC_TOLERANCE", "TIMEZONE", "ACTIVE_FROM", "ACTIVE_TILL",
    "RULE_BASED_CALENDAR_RELATIONSHIP", "TAG_RELATIONSHIP", "SHIFT", "SHIFTNUM", "RETRO"})
JOB_ATTRIBUTES = SCHEDULE_ATTRIBUTES | {
    "JOBNAME", "MEMNAME", "MEMLIB", "CMDLINE", "TASKTYPE", "DESCRIPTION", "APPLICATION", "SUB_APPLICATION",
    "RUN_AS", "OWNER", "NODEID", "PRIORITY", "CRITICAL", "CONFIRM", "MAXRERUN", "MAXWAIT", "APPL_TYPE",
    "APPL_SUB_TYPE", "APPL_VER", "APPL_FORM", "CM_VER", "INSTREAM_JCL", "USE_INSTREAM_JCL", "RUN_AS_DUMMY"}
FOLDER_ATTRIBUTES = JOB_ATTRIBUTES | {
    "FOLDER_NAME", "TABLE_NAME", "DATACENTER", "FOLDER_ORDER_METHOD", "TABLE_USERDAILY"}
# Bookkeeping of Control-M itself: they describe the export (who created or changed a definition
# and when, its version and the host that wrote it, ids, the folder a job sits in, the platform of
# the Control-M/Server, statistics, output retention), not the job: not facts of how or when it
# runs, so neither carried nor reported (no ATTRIBUTE_NOT_CARRIED).
BOOKKEEPING = frozenset({
    "JOBISN", "CREATED_BY", "CREATION_USER", "CREATION_DATE", "CREATION_TIME", "CHANGE_USERID", "CHANGE_USERDAILY",
    "CHANGE_DATE", "CHANGE_TIME", "PARENT_FOLDER", "PARENT_TABLE", "PLATFORM", "VERSION", "JOB_VERSION",
    "VERSION_OPCODE", "IS_CURRENT_VERSION", "VERSION_SERIAL", "VERSION_HOST", "MODIFIED", "LAST_UPLOAD",
    "REAL_FOLDER_ID", "REAL_TABLEID", "TYPE", "USED_BY", "USED_BY_CODE",
    "ENFORCE_VALIDATION", "SITE_STANDARD_NAME", "JOBS_IN_GROUP", "LARGE_SIZE", "SYSDB", "AUTOARCH", "MAXDAYS",
    "MAXRUNS", "STAT_CAL", "PREV_DAY", "ADJUST_COND", "MULTY_AGENT", "END_FOLDER", "REMOVEATONCE",
    "DAYSKEEPINNOTOK", "FOLDER_DSN", "TABLE_DSN", "ORDERID", "DOCLIB", "DOCMEM", "CATEGORY", "AUTHOR", "GROUP",
    "RERUNMEM", "REAL_JOBID", "RULE_BASED_CALENDAR_RELATIONSHIP_CODE"})
# Values that mean "not set" for any attribute not read into the flow.
UNSET = ("", "0", "N", "NO", "+00", "IGNORE JOB", "N/A")
PLUGIN_VARIABLE = re.compile(r"^%%[A-Za-z0-9_]+-")  # %%FTP-LPATH1, %%UCM-ACCOUNT: a plugin's settings
PARM = re.compile(r"^%%PARM(\d+)$", re.IGNORECASE)
VARIABLE_REFERENCE = re.compile(r"%%[$@\\A-Za-z_][A-Za-z0-9_.\\-]*")
IANA_LIKE = re.compile(r"^(?:[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)+|UTC|GMT)$")
OK_CODES = ("OK", "ENDED OK", "COMPSTAT EQ 0", "COMPSTAT=0")
# Children read into the flow (or by other passes): not named as attributes not carried.
_READ_CHILDREN = frozenset(("JOB", *VARIABLE_TAGS, "INCOND", "OUTCOND", *SUB_FOLDERS, *RULE_DEFINITIONS,
                            *RULE_REFERENCES))


# -- options --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    new_day: int | None
    user_dailies: dict[str, int]
    flow_ids: dict[str, str]
    timezones: dict[str, str]
    split_or: bool


def _pairs(value: Any, name: str, path: Path) -> dict[str, str]:
    """`"A=1; B=2"` as {A: 1, B: 2}."""
    pairs: dict[str, str] = {}
    for part in str(value or "").split(";"):
        if not part.strip():
            continue
        key, equals, item = part.partition("=")
        if not equals or not key.strip() or not item.strip():
            raise SourceError(f"{path}: controlm option {name}: {part.strip()!r} is not NAME=VALUE (pairs separated "
                              "by ;)")
        pairs[key.strip()] = item.strip()
    return pairs


def _clock_option(value: Any, name: str, path: Path) -> int:
    text = str(value).strip()
    text = text.zfill(4) if text.isdigit() else text
    try:
        return clock_minutes(text, name)
    except Rejection:
        raise SourceError(f"{path}: controlm option {name} = {value!r} is not a time HHMM") from None


def _options(settings: SourceSettings) -> Options:
    path = settings.path
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{path}: controlm options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    raw = settings.options
    new_day = _clock_option(raw["new_day"], "new_day", path) if "new_day" in raw else None
    dailies = {name: _clock_option(at, f"user_dailies {name}", path)
               for name, at in _pairs(raw.get("user_dailies"), "user_dailies", path).items()}
    ids = _pairs(raw.get("flow_ids"), "flow_ids", path)
    for folder, flow_id in ids.items():
        if not flow_id.isdigit():
            raise SourceError(f"{path}: controlm option flow_ids: {folder}={flow_id} is not an EnOS flow id (digits)")
    return Options(new_day, dailies, ids, _pairs(raw.get("timezones"), "timezones", path),
                   bool(raw.get("split_or", False)))


# -- reading the file, one folder at a time ----------------------------------------------------

def _tag(element: Element) -> str:
    """The element's name (normalised by `_normalised`: upper case, no namespace)."""
    return element.tag


def _attributes(element: Element) -> dict[str, str]:
    """The element's attributes (normalised by `_normalised`); read, never changed."""
    return element.attrib


_NORMAL_TAGS: set[str] = set()  # names seen written as Control-M writes them


def _normalised(folder: Element) -> Element:
    """Tags and attribute names in upper case without a namespace, as Control-M writes them (so a
    hand-edited `Folder_Name` reads the same), changed in place once a folder."""
    for element in folder.iter():
        tag = element.tag
        if not isinstance(tag, str):  # a comment or processing instruction kept by a parser
            continue
        if tag not in _NORMAL_TAGS:
            if "}" in tag or not tag.isupper():
                element.tag = tag.rsplit("}", 1)[-1].upper()
            elif len(_NORMAL_TAGS) < 1024:
                _NORMAL_TAGS.add(tag)
        names = "".join(element.attrib)
        if names and ("}" in names or not names.isupper()):
            element.attrib = {key.rsplit("}", 1)[-1].upper(): value for key, value in element.attrib.items()}
    return folder


# How far into a file its root element must start: prologs of real exports are a few lines.
PROLOG_LIMIT = 1 << 20
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_ROOT_START = re.compile(r"<[A-Za-z_]")


def _check_prolog(path: Path, file: Any) -> None:
    """Refuse a DTD that declares entities before parsing: no export does, and entities are the one
    way an XML file expands far beyond its size (an entity bomb) or reaches out to other files."""
    head = file.read(PROLOG_LIMIT)
    file.seek(0)
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "latin-1"
    text = head.decode(encoding, errors="replace")
    declaration, root = _ENTITY_DECLARATION.search(text), _ROOT_START.search(re.sub(r"<!--.*?-->", "", text,
                                                                                    flags=re.DOTALL))
    if declaration and (root is None or declaration.start() < root.start()):
        line = text[:declaration.start()].count("\n") + 1
        raise SourceError(f"{path}: refused: line {line} declares an XML entity (<!ENTITY …>), which no Control-M "
                          "export does: an entity bomb or a reference to another file is not an export")


def _folders(path: Path) -> Iterator[Element]:
    """Each child of <DEFTABLE> once complete, then forgotten: memory holds one folder."""
    try:
        with path.open("rb") as file:
            _check_prolog(path, file)
            root: Element | None = None
            depth = 0
            for event, element in iterparse(file, events=("start", "end")):
                if event == "start":
                    depth += 1
                    if root is None:
                        root = element
                        if root.tag.rsplit("}", 1)[-1].upper() != "DEFTABLE":
                            raise SourceError(f"{path}: this does not look like a Control-M export ({EXPECTED}; "
                                              f"found <{root.tag}>)")
                    continue
                depth -= 1
                if depth == 1 and root is not None:
                    yield _normalised(element)
                    root.clear()  # the folder is done with: keep memory flat
    except ParseError as error:
        line, column = error.position
        if error.code == 3 and line == 1 and column == 0 and not path.stat().st_size:  # expat's "no element found"
            raise SourceError(f"{path}: the file is empty") from None
        raise SourceError(f"{path}: line {line}, column {column + 1}: {str(error).split(':')[0]}: not well-formed "
                          "XML (truncated, or not a Control-M export)") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror})") from None
    except RecursionError:
        raise SourceError(f"{path}: refused: nested deeper than a Control-M export can be") from None


def _folder_name(attributes: dict[str, str]) -> str:
    return (attributes.get("FOLDER_NAME") or attributes.get("TABLE_NAME") or attributes.get("JOBNAME") or "").strip()


def _folder_key(attributes: dict[str, str]) -> str:
    name, datacenter = _folder_name(attributes), attributes.get("DATACENTER", "").strip()
    return f"{datacenter}/{name}" if datacenter else name


# -- the model of one folder --------------------------------------------------------------------

@dataclass(slots=True)
class Scope:
    """A folder or a SUB_FOLDER: its attributes, rules and what it holds."""

    kind: str  # regular, smart or sub
    attributes: dict[str, str]
    parent: Scope | None = None
    rules: dict[str, Days] = field(default_factory=dict)  # rule-based calendars defined here
    references: list[str] = field(default_factory=list)  # RULE_BASED_CALENDARS it uses
    element: Element | None = None
    jobs: list[Job] = field(default_factory=list)  # directly in it
    subs: list[Scope] = field(default_factory=list)
    ordered_on: tuple[DayRule, ...] | None = None  # the days it is ordered on, once worked out
    child_names: set[str] = field(default_factory=set)  # of its child elements (read once, by _scope)

    def name(self) -> str:
        return _folder_name(self.attributes)

    def all_jobs(self) -> list[Job]:
        return [*self.jobs, *(job for sub in self.subs for job in sub.all_jobs())]

    def rule(self, name: str) -> Days | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.rules:
                return scope.rules[name]
            scope = scope.parent
        return None

    def all_rules(self) -> list[Days]:
        """The rules `*` stands for: those of the nearest scope that defines any."""
        scope: Scope | None = self
        while scope is not None:
            if scope.rules:
                return list(scope.rules.values())
            scope = scope.parent
        return []


@dataclass(slots=True)
class Job:
    element: Element
    attributes: dict[str, str]
    scope: Scope
    name: str
    task_id: str = ""
    task_name: str = ""
    upstream: list[str] = field(default_factory=list)
    rules: tuple[DayRule, ...] | None = None  # order dates: None never ordered automatically
    forced_by: list[tuple[str, str]] = field(default_factory=list)  # (task id, code) of jobs forcing it
    arguments_used: bool = False  # its %%PARMn variables are its script's arguments
    by_tag: dict[str, list[Element]] | None = field(default=None, repr=False, compare=False)

    def children(self, tag: str) -> list[Element]:
        """Its child elements of that name, in order (read once a job, not once a question)."""
        if self.by_tag is None:
            self.by_tag = {}
            for child in self.element:
                self.by_tag.setdefault(_tag(child), []).append(child)
        return self.by_tag.get(tag, _NONE)

    def child_names(self) -> KeysView[str]:
        """The names of its child elements."""
        if self.by_tag is None:
            self.children("")
        assert self.by_tag is not None
        return self.by_tag.keys()


_NONE: list[Element] = []  # no children of that name (never changed)


class Malformed(Exception):
    """A value of one job or folder that makes no sense: that flow's error, the others go on."""


class _Refused(NamedTuple):
    """A Rejection kept by a cache, raised again (a fresh one) each time it applies."""

    code: str
    message: str
    extra: tuple[str, ...]

    @staticmethod
    def of(rejection: Rejection) -> _Refused:
        return _Refused(rejection.code, rejection.message, tuple(rejection.extra))

    def rejection(self) -> Rejection:
        return Rejection(self.code, self.message, list(self.extra))


@dataclass
class Notes:
    """What a flow cannot carry, one warning per code with every item it names."""

    items: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, code: str, item: str) -> None:
        if item not in self.items[code]:
            self.items[code].append(item)

    def write(self, flow: FlowRows, explanations: dict[str, str]) -> None:
        for code, items in self.items.items():
            flow.warn(code, "; ".join(items) + (f" ({explanations[code]})" if code in explanations else ""))


EXPLANATIONS = {
    "RUN_AS": "the flow runs as the service's doAs account instead",
    "NODE": "a task runs where the service runs it",
    "PRIORITY": "not carried",
    "CRITICAL": "not carried",
    "CONFIRM": "Control-M waited for an operator's confirmation before submitting the job; the service starts it "
               "when the flow runs",
    "RETRY": "Control-M reran the job after a failure; not carried",
    "MAXWAIT": "the days a job stays waiting for its conditions and time in Control-M; a flow run has no such "
               "horizon: not carried",
    "TIME_WINDOW": "the service starts a task when its flow and upstream tasks let it, whatever the clock",
    "RESOURCE": "Control-M held the job until these resources were free; not carried",
    "SHOUT": "messages Control-M sent; not carried",
    "ON_DO": "actions Control-M took on a job's outcome; a flow has no such branch: not carried",
    "RETRO": "Control-M ordered the job for order dates it had missed (RETRO=1); the service does not catch up",
    "VARIABLE_REFERENCE": "Control-M variables that Control-M replaced in the text before running it; kept as "
                          "written: nothing resolves them in a task. Their values set in the export are the flow's "
                          "parameters",
    "VARIABLE_CONFLICT": "one flow has one set of parameters: the first value is kept",
    "ATTRIBUTE_NOT_CARRIED": "not carried",
    "CONDITION_DATE": "a relation joins tasks of the same flow run",
    "CONDITION_OR": "carried as relations to all of them: the task waits for every one",
    "CONDITION_DELETED": "a flow run starts with no conditions; not carried",
    "TASK_TIME_WINDOW": "the task starts as soon as its upstream tasks end",
    "ALERT_RECIPIENTS": "the flow's e-mail alert goes to its EnOS users, not to these addresses",
    "DUMMY_JOB": "a Dummy job runs nothing: the task runs `exit 0`",
    "SCRIPT_REFERENCE": "the task runs that script, which must exist where the service runs it",
    "TASK_BODY_AS_TEXT": "the task's body is the plugin's settings as text, which do not run as a command",
}


# -- the conditions of the whole export ------------------------------------------------------------

@dataclass
class Producers:
    """Who posts which condition, across the export: (folder key, job name) pairs. Tuples, once
    the first pass is done: the garbage collector stops looking into them, where lists of a whole
    export's conditions would be gone through again at every full collection while flows are read."""

    posted: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    on_outcome: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # folder key -> folder name
    keys_by_name: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _posts(element: Element) -> Iterator[tuple[str, str]]:
    """(condition name, ODATE) of each condition the element posts when it ends OK."""
    for child in element:
        if _tag(child) == "OUTCOND":
            attributes = _attributes(child)
            if attributes.get("SIGN", "+").strip().upper() in ("+", "ADD", "A"):
                yield attributes.get("NAME", "").strip(), attributes.get("ODATE", ODAT).strip().upper()


def _job_posts(job: Job) -> Iterator[tuple[str, str]]:
    """`_posts` of a job's element."""
    for child in job.children("OUTCOND"):
        attributes = _attributes(child)
        if attributes.get("SIGN", "+").strip().upper() in ("+", "ADD", "A"):
            yield attributes.get("NAME", "").strip(), attributes.get("ODATE", ODAT).strip().upper()


# What the first pass does at each element, by its normalised name.
_FOLDER_TAGS = frozenset((*REGULAR_FOLDERS, *SMART_FOLDERS))
_HOLDER_TAGS = frozenset(("JOB", *SUB_FOLDERS))
_POSTING = ("+", "ADD", "A")


def _upper_keys(attributes: dict[str, str]) -> dict[str, str]:
    """Attribute names as `_normalised` makes them (expat, without namespaces, writes no `}`)."""
    if "".join(attributes).isupper():
        return attributes
    return {key.rsplit("}", 1)[-1].upper(): value for key, value in attributes.items()}


class _Indexing:
    """The first pass: expat's handlers, building no tree. Per element: the depth, and for a
    folder, a job or sub-folder, an out-condition, an ON or a DOCOND what it says; the holders
    (job names, "(smart_folder)", "(sub_folder)") of the conditions that follow."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.posted: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.on_outcome: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        self.names: dict[str, str] = {}
        self.keys_by_name: dict[str, list[str]] = defaultdict(list)
        self.depth = 0
        self.key = ""  # the folder being read ("" outside folders)
        self.holders: list[str] = []
        self.opened: list[bool] = []  # whether each open element pushed a holder
        self.code = ""  # the CODE of the ON being read
        self.found = False
        self.tags: dict[str, str] = {}

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = self.tags.get(name)
        if tag is None:
            tag = self.tags[name] = name.rsplit("}", 1)[-1].upper()
        self.depth += 1
        depth = self.depth
        pushed = False
        if depth == 2:
            attributes = _upper_keys(attributes)
            self.key = _folder_key(attributes) if tag in _FOLDER_TAGS else ""
            if self.key:
                self.found = True
                folder_name = _folder_name(attributes)
                self.names[self.key] = folder_name
                self.keys_by_name[folder_name].append(self.key)
                self.holders, pushed = [f"({tag.lower()})"], True
        elif depth == 1:
            if tag != "DEFTABLE":
                raise SourceError(f"{self.path}: this does not look like a Control-M export ({EXPECTED}; found "
                                  f"<{name}>)")
        elif self.key:
            if tag in _HOLDER_TAGS:
                self.holders.append(_upper_keys(attributes).get("JOBNAME", "") if tag == "JOB"
                                    else f"({tag.lower()})")
                pushed = True
            elif tag == "OUTCOND":
                attributes = _upper_keys(attributes)
                if attributes.get("SIGN", "+").strip().upper() in _POSTING:
                    condition, odate = attributes.get("NAME", "").strip(), attributes.get("ODATE", ODAT).strip().upper()
                    if condition and odate in _SAME_RUN:
                        self.posted[condition].append((self.key, self.holders[-1]))
            elif tag == "ON":
                self.code = _upper_keys(attributes).get("CODE", "").strip()
            elif tag == "DOCOND":
                attributes = _upper_keys(attributes)
                if attributes.get("SIGN", "+").strip().upper() in _POSTING:
                    condition = attributes.get("NAME", "").strip()
                    if condition:
                        self.on_outcome[condition].append((self.key, self.holders[-1], self.code))
        self.opened.append(pushed)

    def end(self, _name: str) -> None:
        self.depth -= 1
        if self.opened.pop() and self.holders:
            self.holders.pop()


def _index(path: Path) -> Producers:
    """The first pass, building no tree: which folder and job posts each condition. It is also the
    pass that finds a file malformed, and says where."""
    indexing = _Indexing(path)
    parser = expat.ParserCreate()
    parser.StartElementHandler = indexing.start
    parser.EndElementHandler = indexing.end
    try:
        with path.open("rb") as file:
            _check_prolog(path, file)
            parser.ParseFile(file)
    except expat.ExpatError as error:
        if error.code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS] and not path.stat().st_size:
            raise SourceError(f"{path}: the file is empty") from None
        raise SourceError(f"{path}: line {error.lineno}, column {error.offset + 1}: {expat.ErrorString(error.code)}: "
                          "not well-formed XML (truncated, or not a Control-M export)") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror})") from None
    if not indexing.found:
        raise SourceError(f"{path}: the <DEFTABLE> holds no folder ({EXPECTED}): nothing to migrate")
    return Producers({name: tuple(by) for name, by in indexing.posted.items()},
                     {name: tuple(by) for name, by in indexing.on_outcome.items()}, indexing.names,
                     {name: tuple(keys) for name, keys in indexing.keys_by_name.items()})


# -- one folder ------------------------------------------------------------------------------------

def _days(attributes: dict[str, str]) -> Days:
    calendars = tuple((name, attributes[name].strip()) for name in ("DAYSCAL", "WEEKSCAL", "CONFCAL")
                      if attributes.get(name, "").strip())
    return Days(days=attributes.get("DAYS", ""), weekdays=attributes.get("WEEKDAYS", ""),
                and_or=attributes.get("DAYS_AND_OR", ""), months=months_of(attributes),
                dates=attributes.get("DATE", ""), calendars=calendars)


_TIMING_NAMES = ("TIMEFROM", "TIMETO", "FROM_DAYSOFFSET", "TO_DAYSOFFSET", "CYCLIC", "CYCLIC_TYPE", "INTERVAL",
                 "CYCLIC_INTERVAL_SEQUENCE", "CYCLIC_TIMES_SEQUENCE", "IND_CYCLIC", "CYCLIC_TOLERANCE")
_DAYS_NAMES = ("DAYS", "WEEKDAYS", "DAYS_AND_OR", "DATE", "DAYSCAL", "WEEKSCAL", "CONFCAL", *MONTH_FLAGS)


def _written(values: tuple[str | None, ...], names: tuple[str, ...]) -> dict[str, str]:
    """The attributes whose values `tuple(map(attributes.get, names))` gave."""
    return {name: value for name, value in zip(names, values, strict=True) if value is not None}


def _timing(attributes: dict[str, str]) -> Timing:
    return _timing_of(tuple(map(attributes.get, _TIMING_NAMES)))


@functools.lru_cache(maxsize=4096)  # a few time criteria repeat over thousands of jobs
def _timing_of(values: tuple[str | None, ...]) -> Timing:
    attributes = _written(values, _TIMING_NAMES)
    return Timing(time_from=attributes.get("TIMEFROM", ""), time_to=attributes.get("TIMETO", ""),
                  from_days=attributes.get("FROM_DAYSOFFSET", ""), to_days=attributes.get("TO_DAYSOFFSET", ""),
                  cyclic=attributes.get("CYCLIC", "0").strip() == "1",
                  cyclic_type=attributes.get("CYCLIC_TYPE", ""), interval=attributes.get("INTERVAL", ""),
                  interval_sequence=attributes.get("CYCLIC_INTERVAL_SEQUENCE", ""),
                  times_sequence=attributes.get("CYCLIC_TIMES_SEQUENCE", ""),
                  cyclic_from=attributes.get("IND_CYCLIC", ""), tolerance=attributes.get("CYCLIC_TOLERANCE", ""))


def _job_reference_names(job: Job) -> list[str]:
    """`_reference_names` of a job's element."""
    if job.child_names().isdisjoint(RULE_REFERENCES):
        return []
    return _reference_names(job.element)


def _reference_names(element: Element) -> list[str]:
    names = []
    for child in element:
        if _tag(child) in RULE_REFERENCES:
            attributes = _attributes(child)
            name = (attributes.get("NAME") or attributes.get("TAG_NAME") or "").strip()
            if name:
                names.append(name)
    return names


def _scope(element: Element, kind: str, parent: Scope | None) -> Scope:
    scope = Scope(kind, _attributes(element), parent, element=element, references=_reference_names(element))
    for child in element:
        tag = _tag(child)
        scope.child_names.add(tag)
        if tag in RULE_DEFINITIONS:
            attributes = _attributes(child)
            name = (attributes.get("NAME") or attributes.get("TAG_NAME") or "").strip()
            scope.rules[name] = _days(attributes)
        elif tag == "JOB":
            attributes = _attributes(child)
            name = attributes.get("JOBNAME", "").strip()
            if not name:
                raise Malformed(f"a <JOB> of {_folder_name(scope.attributes) or 'the folder'} has no JOBNAME "
                                f"(MEMNAME {attributes.get('MEMNAME', '')!r})")
            scope.jobs.append(Job(child, attributes, scope, name))
        elif tag in SUB_FOLDERS:
            scope.subs.append(_scope(child, "sub", scope))
    return scope


def _resolved(job_or_scope: str, names: list[str], scope: Scope, options: Options) -> tuple[DayRule, ...] | None:
    """The union of the rule-based calendars a job or sub-folder names, None when it names none."""
    if not names:
        return None
    found: list[DayRule] = []
    for name in names:
        if name == "*":
            rules = scope.all_rules()
        else:
            rule = scope.rule(name)
            if rule is None:
                raise Rejection(CALENDAR, f"{job_or_scope} uses the rule-based calendar {name}, which is not "
                                            "defined in its folder: a calendar of the Control-M server, not in the "
                                            "export")
            rules = [rule]
        for days in rules:
            found.extend(day_rules(days, options.split_or))
    return _union_all(found, options) if found else None


def _union_all(rules: list[DayRule], options: Options) -> tuple[DayRule, ...]:
    result: list[DayRule] = []
    for rule in rules:
        merged = False
        for index, known in enumerate(result):
            try:
                result[index] = union(known, rule)
                merged = True
                break
            except Rejection as rejection:
                if not options.split_or or rejection.code != DOM_OR_DOW:
                    raise
        if not merged:
            result.append(rule)
    if len(result) > 2:
        raise Rejection(DAY_RULE, f"the rules {', '.join(r.text() for r in result)} need {len(result)} Quartz "
                                    "expressions")
    return tuple(result)


def _combined(a: tuple[DayRule, ...] | None, b: tuple[DayRule, ...] | None, both: bool,
              options: Options) -> tuple[DayRule, ...] | None:
    if a is None or b is None:
        return a if b is None else b
    if both:
        return tuple(intersect(x, y) for x in a for y in b)
    return _union_all([*a, *b], options)


def _within(rules: tuple[DayRule, ...], scope_rules: tuple[DayRule, ...]) -> tuple[DayRule, ...]:
    return tuple(intersect(rule, outer) for rule in rules for outer in scope_rules)


def _scope_rules(scope: Scope, options: Options) -> tuple[DayRule, ...]:
    """The days a folder or sub-folder is ordered on (every day for a regular folder)."""
    if scope.kind == "regular":
        return (EVERY_DAY,)
    if scope.ordered_on is None:
        scope.ordered_on = _scope_own_rules(scope, options)
    return scope.ordered_on


def _scope_own_rules(scope: Scope, options: Options) -> tuple[DayRule, ...]:
    what = f"{'SUB_FOLDER' if scope.kind == 'sub' else 'SMART folder'} {scope.name()}"
    own = day_rules(_days(scope.attributes), options.split_or) or None
    defined = _union_all([r for days in scope.rules.values() for r in day_rules(days, options.split_or)],
                         options) if scope.rules else None
    referenced = _resolved(what, scope.references, scope, options)
    rules = _combined(_combined(own, defined, False, options), referenced, False, options) or (EVERY_DAY,)
    return _within(rules, _scope_rules(scope.parent, options)) if scope.parent is not None else rules


def _job_rules(job: Job, options: Options) -> tuple[DayRule, ...] | None:
    """The order dates of a job: its own criteria and rule-based calendars, within its folder's;
    a job with none in a SMART folder takes the folder's; in a regular folder, None (by hand)."""
    references = _job_reference_names(job)
    if job.scope.kind == "regular" and not references:  # its own criteria alone: worked out once
        outcome = _own_rules(tuple(map(job.attributes.get, _DAYS_NAMES)), options.split_or)
        if isinstance(outcome, _Refused):
            raise outcome.rejection()
        return outcome
    own = day_rules(_days(job.attributes), options.split_or) or None
    referenced = _resolved(f"job {job.name}", references, job.scope, options)
    both = (job.attributes.get("RULE_BASED_CALENDAR_RELATIONSHIP") or job.attributes.get("TAG_RELATIONSHIP")
            or "O").strip().upper() in ("A", "AND")
    rules = _combined(own, referenced, both, options)
    if rules is None and job.scope.kind == "regular":
        return None
    return _within(rules or (EVERY_DAY,), _scope_rules(job.scope, options))


@functools.lru_cache(maxsize=4096)  # an export repeats a few sets of criteria over thousands of jobs
def _own_rules(values: tuple[str | None, ...], split_or: bool) -> tuple[DayRule, ...] | _Refused | None:
    """What `_job_rules` works out for a job of a regular folder that names no rule-based
    calendar (its own criteria, within every day), from those criteria alone; or its rejection."""
    try:
        own = day_rules(_days(_written(values, _DAYS_NAMES)), split_or) or None
        return None if own is None else _within(own, (EVERY_DAY,))
    except Rejection as rejection:
        return _Refused.of(rejection)


# -- tasks and relations -----------------------------------------------------------------------

def _task_names(jobs: list[Job]) -> None:
    seen: dict[str, int] = {}
    for number, job in enumerate(jobs, 1):
        count = seen[job.name] = seen.get(job.name, 0) + 1
        job.task_id = str(number)
        job.task_name = job.name if count == 1 else f"{job.name}_{count}"


def _sinks(scope: Scope) -> list[Job]:
    """The last jobs of a sub-folder: those whose conditions no other job of it waits on."""
    jobs = scope.all_jobs()
    awaited = {_attributes(c).get("NAME", "").strip() for job in jobs for c in job.children("INCOND")}
    last = [job for job in jobs if not any(name in awaited for name, _ in _job_posts(job))]
    return last or jobs


def _firsts(scope: Scope) -> set[int]:
    """The first jobs of a SMART folder or sub-folder (by id): those that wait on no condition
    another job of it posts."""
    jobs = scope.all_jobs()
    posted = {name: job for job in jobs for name, _ in _job_posts(job)}
    return {id(job) for job in jobs
            if not any(posted.get(_attributes(c).get("NAME", "").strip(), job) is not job
                       for c in job.children("INCOND"))}


def _in_conditions(job: Job, firsts: dict[int, set[int]]) -> list[dict[str, str]]:
    """The job's in-conditions, and those of each SMART folder or sub-folder it is one of the
    first jobs of (a folder waits as a whole)."""
    found = [_attributes(child) for child in job.children("INCOND")]
    scope: Scope | None = job.scope
    while scope is not None and scope.kind != "regular":
        if scope.element is not None and "INCOND" in scope.child_names:
            if id(scope) not in firsts:
                firsts[id(scope)] = _firsts(scope)
            if id(job) in firsts[id(scope)]:
                found += [_attributes(child) for child in scope.element if _tag(child) == "INCOND"]
        scope = scope.parent
    return found


@dataclass(slots=True)
class Folder:
    key: str
    name: str
    scope: Scope
    jobs: list[Job]
    producers: Producers
    options: Options
    notes: Notes = field(default_factory=Notes)
    flow_upstream: list[dict[str, Any]] = field(default_factory=list)
    firsts: dict[int, set[int]] = field(default_factory=dict)  # first jobs of each folder scope, by id


def _local_posters(folder: Folder) -> dict[str, list[Job]]:
    """Condition name -> the jobs of this folder that post it (a sub-folder's: its last jobs)."""
    posters: dict[str, list[Job]] = defaultdict(list)
    for job in folder.jobs:
        for child in job.children("OUTCOND"):  # what _job_posts gives, inline: every job asks
            attributes = _attributes(child)
            if (attributes.get("SIGN", "+").strip().upper() in _POSTING
                    and attributes.get("ODATE", ODAT).strip().upper() in _SAME_RUN):
                posters[attributes.get("NAME", "").strip()].append(job)
    return posters


def _relations(folder: Folder) -> None:
    """Upstream task ids from the conditions (and forced jobs); the rest named."""
    posters = _local_posters(folder)
    by_name = {job.name: job for job in folder.jobs}
    for job in folder.jobs:
        for action in _on_actions(job, "DOFORCEJOB"):
            forced = by_name.get(action.get("NAME", "").strip())
            table = action.get("TABLE_NAME", "").strip()
            if forced is not None and table in ("", folder.name):
                forced.forced_by.append((job.task_id, action["CODE"]))
                if action["CODE"].upper() in OK_CODES and job.task_id not in forced.upstream:
                    forced.upstream.append(job.task_id)
    for sub in _all_subs(folder.scope):  # a sub-folder's own out-conditions: posted when its last jobs end
        for name, odate in _posts(sub.element) if sub.element is not None else ():
            if odate in _SAME_RUN:
                posters[name].extend(_sinks(sub))
    for job in folder.jobs:
        conditions = _in_conditions(job, folder.firsts)
        ored = [c.get("NAME", "") for c in conditions if c.get("AND_OR", "A").strip().upper().startswith("O")]
        if ored and len(conditions) > 1:
            either = " or ".join(c.get("NAME", "") for c in conditions)
            folder.notes.add("CONDITION_OR", f"job {job.name} waits on {either} (any one of them in Control-M)")
        for condition in conditions:
            _relation(folder, job, condition, posters)
    _deleted_conditions(folder)


def _all_subs(scope: Scope) -> list[Scope]:
    return [sub for child in scope.subs for sub in (child, *_all_subs(child))]


def _relation(folder: Folder, job: Job, condition: dict[str, str], posters: dict[str, list[Job]]) -> None:
    name = condition.get("NAME", "").strip()
    odate = condition.get("ODATE", ODAT).strip().upper() or ODAT
    if not name:
        raise Malformed(f"job {job.name} has an INCOND without a NAME")
    local = [poster for poster in posters.get(name, []) if poster is not job]
    outside = [(key, poster) for key, poster in folder.producers.posted.get(name, ()) if key != folder.key]
    if not local and job in posters.get(name, []):
        folder.notes.add("CONDITION_DATE", f"job {job.name} waits on {name}, which only it posts: its own previous "
                                           "run's, not carried")
        return
    if odate not in _SAME_RUN:
        code = "CONDITION_DATE" if local or not outside else "CROSS_FLOW_DEPENDENCY"
        where = "" if local or not outside else f" (posted in folder {outside[0][0]})"
        folder.notes.add(code, f"job {job.name} waits on {name}{where} of order date {odate}: not carried")
        return
    if odate in ANY_DATE and local:
        folder.notes.add("CONDITION_DATE", f"job {job.name} waits on {name} of any order date ({odate}): carried as "
                                           "the same run's")
    if local:
        for poster in local:
            if poster.task_id not in job.upstream:
                job.upstream.append(poster.task_id)
        if len(local) > 1 or outside:
            others = [p.name for p in local] + [f"{folder.producers.names.get(k, k)}/{p}" for k, p in outside]
            folder.notes.add("CONDITION_OR", f"{name}, which job {job.name} waits on, is posted by {', '.join(others)}"
                                             " (the first to end satisfied it in Control-M)")
        return
    if outside:
        _cross_flow(folder, job, name, odate, outside)
        return
    outcome = folder.producers.on_outcome.get(name, ())
    if outcome:
        said = ", ".join(f"{folder.producers.names.get(k, k)}/{j} when it ends {code}" for k, j, code in outcome)
        raise Rejection("CONDITION_ON_OUTCOME", f"job {job.name} waits on {name}, posted only by an ON action ({said}):"
                                                " a flow has no branch that runs on one outcome only")
    folder.notes.add("CROSS_FLOW_DEPENDENCY", f"job {job.name} waits on {name}, which no job of this export posts "
                                              "(another export, another system or an operator adds it): not carried")


def _cross_flow(folder: Folder, job: Job, name: str, odate: str, outside: list[tuple[str, str]]) -> None:
    keys = list(dict.fromkeys(key for key, _ in outside))
    if len(keys) > 1:
        folder.notes.add("CROSS_FLOW_DEPENDENCY", f"job {job.name} waits on {name}, posted in folders "
                                                  f"{', '.join(keys)} (any one in Control-M): not carried")
        return
    key = keys[0]
    other = folder.producers.names.get(key, key)
    flow_id = folder.options.flow_ids.get(key) or folder.options.flow_ids.get(other)
    posted_by = ", ".join(poster for _, poster in outside)
    if flow_id is None:
        folder.notes.add("CROSS_FLOW_DEPENDENCY", f"job {job.name} waits on {name}, posted by {posted_by} of folder "
                                                  f"{key} (in this export): give its EnOS flow id in [source] options "
                                                  f"flow_ids = \"{other}=<flow id>\" to carry it as a flow dependency")
        return
    if odate in ANY_DATE:
        folder.notes.add("CROSS_FLOW_DEPENDENCY", f"job {job.name} waits on {name} of any order date: carried as "
                                                  f"the same period's run of flow {flow_id}")
    entry = next((e for e in folder.flow_upstream if e["flowId"] == flow_id), None)
    if entry is None:
        entry = {"flowId": flow_id, "flowName": other, "targets": []}
        folder.flow_upstream.append(entry)
    if job.task_id not in entry["targets"]:
        entry["targets"].append(job.task_id)


def _deleted_conditions(folder: Folder) -> None:
    """A job deleting its own in-condition is how Control-M resets a chain (a flow run starts with
    none); deleting any other condition is named."""
    for job in folder.jobs:
        waits: set[str] | None = None
        for child in job.children("OUTCOND"):
            attributes = _attributes(child)
            if attributes.get("SIGN", "+").strip().upper() in ("-", "DEL", "D"):
                if waits is None:
                    waits = {c.get("NAME", "") for c in _in_conditions(job, folder.firsts)}
                if attributes.get("NAME", "") not in waits:
                    folder.notes.add("CONDITION_DELETED", f"job {job.name} deletes {attributes.get('NAME', '')}")
    for scope in [folder.scope, *_all_subs(folder.scope)]:
        if "OUTCOND" not in scope.child_names:
            continue
        for child in scope.element if scope.element is not None else ():
            attributes = _attributes(child)
            if _tag(child) == "OUTCOND" and attributes.get("SIGN", "+").strip().upper() in ("-", "DEL", "D"):
                folder.notes.add("CONDITION_DELETED", f"folder {scope.name()} deletes {attributes.get('NAME', '')}")


def _on_actions(job: Job, *tags: str) -> list[dict[str, str]]:
    found = []
    for on in job.children("ON"):
        code = _attributes(on).get("CODE", "").strip()
        for action in on:
            if not tags or _tag(action) in tags:
                found.append({**_attributes(action), "CODE": code, "TAG": _tag(action)})
    return found


# -- commands ----------------------------------------------------------------------------------

def _variables(element: Element) -> list[tuple[str, str]]:
    """(name, value) of each variable: `VARIABLE` and the older `AUTOEDIT2` (NAME, VALUE) and
    `AUTOEDIT` (EXP="%%NAME=value")."""
    found = []
    for child in element:
        tag, attributes = _tag(child), _attributes(child)
        if tag in VARIABLE_TAGS[:2]:
            found.append((attributes.get("NAME", "").strip(), attributes.get("VALUE", "")))
        elif tag == "AUTOEDIT":
            name, _, value = attributes.get("EXP", "").partition("=")
            found.append((name.strip(), value))
    return found


def _script(job: Job, notes: Notes) -> str:
    library, member = job.attributes.get("MEMLIB", "").strip(), job.attributes.get("MEMNAME", "").strip()
    if not library:
        path = member
    elif "/" not in library and "\\" not in library and "." in library and library.upper() == library:
        path = f"{library}({member})"  # a z/OS library: the member is JCL
        notes.add("SCRIPT_REFERENCE", f"job {job.name} submits the JCL member {path}, which does not run as a command")
        return path
    else:
        separator = "\\" if "\\" in library or re.match(r"^[A-Za-z]:", library) else "/"
        path = f"{library.rstrip(separator)}{separator}{member}"
    arguments = sorted((int(m[1]), value) for name, value in _variables(job.element) if (m := PARM.match(name)))
    job.arguments_used = True
    notes.add("SCRIPT_REFERENCE", f"job {job.name} runs {path}")
    return " ".join([path, *(_quoted(value) for _, value in arguments)])


def _quoted(value: str) -> str:
    return value if value and not re.search(r"[\s'\"]", value) else "'" + value.replace("'", "'\\''") + "'"


def _plugin_text(job: Job) -> str:
    body: dict[str, Any] = {name: job.attributes[name] for name in ("APPL_TYPE", "APPL_SUB_TYPE", "APPL_VER",
                                                                     "APPL_FORM", "CM_VER")
                            if job.attributes.get(name, "").strip()}
    body["settings"] = {name: value for name, value in _variables(job.element) if PLUGIN_VARIABLE.match(name)}
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def _typed(job: Job, notes: Notes, command: str) -> str:
    kind = job.attributes.get("TASKTYPE", "").strip()
    if kind.upper() not in ("", "JOB", "COMMAND"):
        notes.add("TASK_TYPE", f"job {job.name} is a {kind} job: carried as the command it names")
    return command


def _command(job: Job, notes: Notes) -> str:
    attributes = job.attributes
    kind = attributes.get("TASKTYPE", "").strip()
    if attributes.get("RUN_AS_DUMMY", "").strip().upper() in ("Y", "1", "YES"):
        notes.add("DUMMY_JOB", f"job {job.name} is set to run as a dummy (RUN_AS_DUMMY)")
        return DUMMY_COMMAND
    if kind.upper() == "DUMMY":
        notes.add("DUMMY_JOB", f"job {job.name}")
        return DUMMY_COMMAND
    if attributes.get("USE_INSTREAM_JCL", "").strip().upper() == "Y" and attributes.get("INSTREAM_JCL", "").strip():
        return attributes["INSTREAM_JCL"]
    if attributes.get("CMDLINE", "").strip():
        return _typed(job, notes, attributes["CMDLINE"])
    if attributes.get("MEMNAME", "").strip():
        return _typed(job, notes, _script(job, notes))
    application = attributes.get("APPL_TYPE", "").strip()
    if application and application.upper() != "OS":
        notes.add("TASK_BODY_AS_TEXT", f"job {job.name} is a {application} plugin job")
        return _plugin_text(job)
    raise Malformed(f"job {job.name} (TASKTYPE {kind or 'none'}) has nothing to run: no CMDLINE, MEMNAME or "
                    "in-stream script")


# -- facts of jobs and folders -------------------------------------------------------------------

def _facts(folder: Folder, flow: FlowRows) -> None:
    notes = folder.notes
    parameters: dict[str, str] = {}
    run_as: list[str] = []
    scopes = [folder.scope, *_all_subs(folder.scope)]
    holders: list[tuple[str, dict[str, str], Element, frozenset[str], Job | None, AbstractSet[str]]] = [
        (f"folder {s.name()}", s.attributes, s.element, _FOLDER_UNNOTED, None, s.child_names)
        for s in scopes if s.element is not None]
    holders += [(f"job {j.name}", j.attributes, j.element, _JOB_UNNOTED, j, j.child_names()) for j in folder.jobs]
    for label, attributes, element, unnoted, job, names in holders:
        _attribute_facts(label, attributes, unnoted, notes, run_as)
        if not names <= _READ_CHILDREN:  # children all read elsewhere: no fact to name
            _element_facts(label, element, notes, flow)
        if names.isdisjoint(VARIABLE_TAGS):
            continue  # no variable
        for name, value in _variables(element):
            if PLUGIN_VARIABLE.match(name) or (PARM.match(name) and job is not None and job.arguments_used):
                continue
            key = name[2:] if name.startswith("%%") else name
            if key in parameters and parameters[key] != value:
                notes.add("VARIABLE_CONFLICT", f"{name} is {parameters[key]!r} and, in {label}, {value!r}")
            parameters.setdefault(key, value)
    flow.cells["params"] = parameters_text([{"key": k, "value": v} for k, v in parameters.items()])
    flow.cells["owners"] = ",".join(dict.fromkeys(run_as))
    for task in flow.tasks:
        references = sorted(set(VARIABLE_REFERENCE.findall(task["command"]))) if "%%" in task["command"] else []
        if references:
            notes.add("VARIABLE_REFERENCE", f"{task['task_name']}: {', '.join(references)}")


# The attributes `_attribute_facts` never names one by one: read into the flow, bookkeeping, DUE_OUT.
_JOB_UNNOTED = JOB_ATTRIBUTES | BOOKKEEPING | {"DUE_OUT"}
_FOLDER_UNNOTED = FOLDER_ATTRIBUTES | BOOKKEEPING | {"DUE_OUT"}


def _attribute_facts(label: str, attributes: dict[str, str], unnoted: frozenset[str], notes: Notes,
                     run_as: list[str]) -> None:
    get = attributes.get
    user = get("RUN_AS", "").strip() or get("OWNER", "").strip()
    if user:
        run_as.append(user)
        notes.add("RUN_AS", f"{label} ran as {user}")
    node = get("NODEID", "").strip()
    if node:
        notes.add("NODE", f"{label} ran on {node}")
    priority = get("PRIORITY", "").strip()
    if priority and priority not in ("AA", "00"):
        notes.add("PRIORITY", f"{label} had priority {priority}")
    for name in ("CRITICAL", "CONFIRM", "RETRO"):
        if get(name, "").strip() not in ("", "0", "N"):
            notes.add(name, label)
    reruns = get("MAXRERUN", "").strip()
    if reruns not in ("", "0"):
        notes.add("RETRY", f"{label} up to {reruns} times")
    wait = get("MAXWAIT", "").strip()
    if wait not in ("", "0", "00"):
        notes.add("MAXWAIT", f"{label} MAXWAIT={wait}")
    until = get("TIMETO", "").strip()
    if until and get("CYCLIC", "").strip() != "1" and label.startswith("job"):
        notes.add("TIME_WINDOW", f"{label} could not start after {until} (TIMETO)")
    due = get("DUE_OUT", "").strip()
    if due:
        notes.add("ATTRIBUTE_NOT_CARRIED", f"{label} DUE_OUT={due} (expected end)")
    others = attributes.keys() - unnoted
    if not others:
        return
    for name, value in attributes.items():
        if name not in others or value.strip().upper() in UNSET:
            continue
        if name in ("INTERVAL", "IND_CYCLIC", "CYCLIC_TYPE") or name.endswith("XMLNS") or ":" in name:
            continue
        notes.add("ATTRIBUTE_NOT_CARRIED", f"{label} {name}={value.strip()}")


def _element_facts(label: str, element: Element, notes: Notes, flow: FlowRows) -> None:
    for child in element:
        tag, attributes = _tag(child), _attributes(child)
        if tag in ("QUANTITATIVE", "CONTROL"):
            amount = attributes.get("QUANT") or attributes.get("TYPE", "")
            notes.add("RESOURCE", f"{label} {tag.lower()} {attributes.get('NAME', '')}"
                                  f"{f' ({amount})' if amount else ''}")
        elif tag == "SHOUT":
            notes.add("SHOUT", f"{label} when {attributes.get('WHEN', '')} to {attributes.get('DEST', '')}: "
                               f"{attributes.get('MESSAGE', '')!r}")
        elif tag == "ON":
            _on_facts(label, child, notes, flow)
        elif tag not in _READ_CHILDREN:
            shown = " ".join(f"{k}={v}" for k, v in attributes.items())
            notes.add("ATTRIBUTE_NOT_CARRIED", f"{label} <{tag}{' ' + shown if shown else ''}>")


def _on_facts(label: str, on: Element, notes: Notes, flow: FlowRows) -> None:
    code = _attributes(on).get("CODE", "").strip()
    for action in on:
        tag, attributes = _tag(action), _attributes(action)
        if tag == "DOMAIL" and code.upper() == "NOTOK":
            flow.cells["alert"] = "1"
            notes.add("ALERT_RECIPIENTS", f"{label} mailed {attributes.get('DEST', '')} on failure")
            continue
        shown = " ".join(f"{k}={v}" for k, v in attributes.items() if k in ("ACTION", "NAME", "DEST", "SIGN",
                                                                             "TABLE_NAME", "VALUE", "VARIABLE"))
        notes.add("ON_DO", f"{label} on {code or _attributes(on).get('STMT', '')}: {tag}{' ' + shown if shown else ''}")


# -- the schedule --------------------------------------------------------------------------------

def _ordering(folder: Folder) -> Ordering | None:
    """How the folder is ordered; None when it is not ordered automatically."""
    method = (folder.scope.attributes.get("FOLDER_ORDER_METHOD") or folder.scope.attributes.get("TABLE_USERDAILY")
              or "").strip()
    if not method or method.upper() in ("MANUAL", "NONE"):
        return None
    new_day = folder.options.new_day
    if method.upper() == "SYSTEM":
        return _system_ordering(new_day)
    return Ordering(new_day=new_day, order_at=folder.options.user_dailies.get(method), by=f"the User Daily {method}",
                    user_daily=True)


@functools.lru_cache(maxsize=64)
def _system_ordering(new_day: int | None) -> Ordering:
    return Ordering(new_day=new_day, order_at=new_day)


def _zone(folder: Folder, job: Job) -> str:
    written = job.attributes.get("TIMEZONE", "").strip() or folder.scope.attributes.get("TIMEZONE", "").strip()
    if not written:
        return ""
    if written in folder.options.timezones:
        return folder.options.timezones[written]
    if IANA_LIKE.match(written):
        return written
    raise Rejection(UNKNOWN_TIMEZONE, f"job {job.name} runs in the Control-M time zone {written}, which is not an "
                                        "IANA zone name: say which it is in [source] options timezones = "
                                        f"\"{written}=Area/City\"")


def _schedule(folder: Folder, flow: FlowRows) -> tuple[str, ...]:
    """The flow's schedule(s): one Quartz freq, two with split_or, none when unscheduled."""
    for job in folder.jobs:
        job.rules = _job_rules(job, folder.options)
    roots = [job for job in folder.jobs if not job.upstream]
    ordering = _ordering(folder)
    scheduled = [job for job in folder.jobs if job.rules is not None]
    if ordering is None or not scheduled:
        how = ("its folder is not ordered automatically (no FOLDER_ORDER_METHOD: a manual order)" if ordering is None
               else "no job of the folder has scheduling criteria")
        flow.unscheduled(f"a Control-M folder run by hand or by another job: {how}")
        return ()
    if not roots:
        raise Rejection("CONDITION_CYCLE", f"every job waits on another one ({', '.join(j.name for j in folder.jobs)}"
                                           "): no job starts the flow")
    freqs: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for job in roots:
        if job.rules is None:
            how = (f"forced when {', '.join(f'task {t} ends {c}' for t, c in job.forced_by)}" if job.forced_by
                   else "ordered only by hand or by another folder")
            raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} has no scheduling criteria ({how}), and the "
                                                     "flow runs it on every run")
        converted = tuple(convert_controlm(rule, _timing(job.attributes), ordering) for rule in job.rules)
        for result in converted:
            for warning in result.warnings:
                if warning.code not in _said_of_the_freq(warning.new):
                    folder.notes.add(warning.code, f"job {job.name}: {warning.message}")
        zone = _zone(folder, job)
        freqs[(*(c.freq for c in converted), zone)].append(job.name)
    if len(freqs) > 1:
        said = "; ".join(f"{', '.join(jobs)}: {' + '.join(key[:-1])}{f' ({key[-1]})' if key[-1] else ''}"
                         for key, jobs in freqs.items())
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"the first jobs of the folder fire at different times ({said}); "
                                                 "a flow starts once for all of them")
    key = next(iter(freqs))
    flow.cells.update(source_schedule=controlm_source(roots[0], ordering, len(key) > 2), source_grammar="controlm")
    if key[-1]:
        flow.cells["timezone"] = key[-1]
    root_rules = roots[0].rules or ()
    for job in folder.jobs:
        _check_later_job(folder, job, root_rules)
    return key[:-1]


@functools.lru_cache(maxsize=4096)
def _said_of_the_freq(freq: str) -> frozenset[str]:
    """The codes of the warnings any Quartz freq gives of itself (`cron.flags`: MONTH_RESTRICTED,
    YEARLY, HOUR_LIST...): the mapping gives them when it reads the flow's freq, so they are left
    to it, said once rather than twice."""
    try:
        return frozenset(warning.code for warning in flags(parse_quartz(freq), freq))
    except QuartzError:
        return frozenset()


def _check_later_job(folder: Folder, job: Job, root_rules: tuple[DayRule, ...]) -> None:
    """A job after the first ones runs on every run of the flow: it must be ordered on the same days."""
    if not job.upstream:
        return
    if job.rules is None:
        if any(code.upper() in OK_CODES for _, code in job.forced_by):
            return
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} has no scheduling criteria (ordered by hand, or "
                                                 "forced on another outcome), and the flow runs it on every run")
    if job.rules is not root_rules and set(job.rules) != set(root_rules):
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} is ordered on "
                                                 f"{' + '.join(r.text() for r in job.rules)} and the first jobs on "
                                                 f"{' + '.join(r.text() for r in root_rules)} (day-of-month month "
                                                 "day-of-week): a task runs on every run of its flow")
    if job.attributes.get("CYCLIC", "0").strip() == "1":  # Timing.cyclic
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} is cyclic ({_timing(job.attributes).source()}) after "
                                                 "other jobs: a task runs once per run of its flow")
    time_from = job.attributes.get("TIMEFROM", "").strip()  # Timing.time_from
    if time_from:
        folder.notes.add("TASK_TIME_WINDOW", f"job {job.name} waited for {time_from} (TIMEFROM) too")


def _active_period(folder: Folder, flow: FlowRows) -> None:
    """ACTIVE_FROM is the flow's start date; an ACTIVE_TILL that has passed saves it inactive."""
    if not any("ACTIVE_FROM" in job.attributes or "ACTIVE_TILL" in job.attributes for job in folder.jobs):
        return
    starts = {j.attributes.get("ACTIVE_FROM", "").strip() for j in folder.jobs} - {""}
    ends = {j.attributes.get("ACTIVE_TILL", "").strip() for j in folder.jobs} - {""}
    for what, values in (("ACTIVE_FROM", starts), ("ACTIVE_TILL", ends)):
        for value in values:
            if not re.fullmatch(r"\d{8}", value):
                raise Malformed(f"{what} {value!r} is not a date YYYYMMDD")
    if len(starts) > 1 or len(ends) > 1:
        folder.notes.add("ATTRIBUTE_NOT_CARRIED", f"the jobs are active over different periods (ACTIVE_FROM "
                                                  f"{sorted(starts)}, ACTIVE_TILL {sorted(ends)}): the latest start "
                                                  "and the earliest end are the flow's")
    if starts:
        first = max(starts)
        flow.cells["start_date"] = f"{first[:4]}-{first[4:6]}-{first[6:]}"
    if ends:
        last = min(ends)
        try:
            report_end(flow, "ACTIVE_TILL", last, date(int(last[:4]), int(last[4:6]), int(last[6:])))
        except ValueError:
            raise Malformed(f"ACTIVE_TILL {last!r} is not a calendar date") from None


def _description(folder: Folder) -> str:
    attributes = folder.scope.attributes
    first = folder.jobs[0].attributes if folder.jobs else {}
    application = attributes.get("APPLICATION", "").strip() or first.get("APPLICATION", "").strip()
    sub_application = attributes.get("SUB_APPLICATION", "").strip() or first.get("SUB_APPLICATION", "").strip()
    parts = [f"Control-M folder {folder.name}" + (f" ({folder.key.split('/')[0]})" if "/" in folder.key else "")]
    if application or sub_application:
        parts.append(f"application {application}" + (f" / {sub_application}" if sub_application else ""))
    if attributes.get("DESCRIPTION", "").strip():
        parts.append(attributes["DESCRIPTION"].strip())
    for job in folder.jobs:
        other_application = [job.attributes.get(n, "").strip() for n in ("APPLICATION", "SUB_APPLICATION")]
        extra = "" if other_application in ([application, sub_application], ["", ""]) else (
            f" [{' / '.join(a for a in other_application if a)}]")
        if job.attributes.get("DESCRIPTION", "").strip() or extra:
            parts.append(f"{job.task_name}: {job.attributes.get('DESCRIPTION', '').strip()}{extra}")
    return "; ".join(parts)


# -- the flows -----------------------------------------------------------------------------------

def _invalid(key: str, name: str, code: str, message: str) -> FlowRows:
    flow = FlowRows(key=key, name=name)
    flow.fail(code, message)
    flow.cells["active"] = "1"
    return flow


def _flows_of(element: Element, producers: Producers, options: Options, index: int) -> list[FlowRows]:
    tag = _tag(element)
    attributes = _attributes(element)
    if tag not in _FOLDER_TAGS:
        return [_invalid(f"<{tag}> #{index}", f"{tag}_{index}", "MALFORMED_FOLDER",
                         f"<{tag}> (element {index} of the DEFTABLE) is not a folder ({EXPECTED}): not read")]
    name, key = _folder_name(attributes), _folder_key(attributes)
    if not name:
        return [_invalid(f"<{tag}> #{index}", f"{tag}_{index}", "MALFORMED_FOLDER",
                         f"<{tag}> (element {index} of the DEFTABLE) has no FOLDER_NAME")]
    flow = FlowRows(key=key, name=name)
    flow.cells["active"] = "1"
    duplicates = producers.keys_by_name.get(name, ())
    if len(set(duplicates)) > 1:
        flow.name = f"{name}@{attributes.get('DATACENTER', '').strip()}"  # one name in several data centers
    try:
        scope = _scope(element, "regular" if tag in REGULAR_FOLDERS else "smart", None)
        folder = Folder(key, name, scope, scope.all_jobs(), producers, options)
        if not folder.jobs:
            flow.fail("MALFORMED_FOLDER", f"folder {name} holds no job: nothing for a task to run")
            return [flow]
        _task_names(folder.jobs)
        flow.tasks = [{"task_id": job.task_id, "task_name": job.task_name, "command": _command(job, folder.notes)}
                      for job in folder.jobs]
        _relations(folder)
        for task, job in zip(flow.tasks, folder.jobs, strict=True):
            task["upstream"] = ",".join(job.upstream)
        schedules = _schedule(folder, flow)
        _active_period(folder, flow)
        flow.cells["desc"] = _description(folder)
        _facts(folder, flow)
        if folder.flow_upstream:
            flow.cells["flow_upstream"] = json.dumps(folder.flow_upstream, ensure_ascii=False)
        folder.notes.write(flow, EXPLANATIONS)
    except Rejection as rejection:
        flow.fail(rejection.code, f"folder {name}: {rejection.message}")
        return [flow]
    except Malformed as error:
        flow.fail("MALFORMED_JOB", f"folder {name}: {error}")
        return [flow]
    if not schedules:
        return [flow]
    flow.schedule = schedules[0]
    if len(schedules) == 1:
        return [flow]
    twin = FlowRows(key=f"{key} (weekdays)", name=f"{flow.name} (weekdays)", schedule=schedules[1],
                    tasks=[dict(t) for t in flow.tasks], cells=dict(flow.cells), warnings=list(flow.warnings))
    for one in (flow, twin):
        one.warn("SPLIT", f"ordered on days of the month OR of the week: split into {flow.name} ({schedules[0]}) and "
                          f"{twin.name} ({schedules[1]}); a day matching both runs twice (split_or = true)")
    return [flow, twin]


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    options = _options(settings)
    if not settings.path.is_file():
        raise SourceError(f"{settings.path}: no such file")
    producers = _index(settings.path)
    for index, element in enumerate(_folders(settings.path), 1):
        yield from _flows_of(element, producers, options, index)


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("controlm", "quartz", read, "Control-M XML export (DEFTABLE): one flow per folder")
