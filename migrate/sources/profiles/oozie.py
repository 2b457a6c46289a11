"""Oozie applications: a folder (or a zip) of coordinator, workflow and bundle XML files with the
`job.properties` they were submitted with. One flow per coordinator job (a bundle's coordinators
each), one per workflow submitted on its own; a workflow's actions are the flow's tasks.

What is read, by root element, whatever the file is called (`coordinator.xml`, `coord.xml`):
- `<coordinator-app>` (schemas 0.1-0.5): `frequency`, `start`, `end`, `timezone` become the schedule
  (migrate/schedule/oozie.py: cron texts on the processing zone's clock, intervals anchored on
  `start` in the coordinator's zone); `controls` (TIMEOUT, CONCURRENCY, EXECUTION_ORDER, THROTTLE),
  SLA and `<parameters>` are reported; `action/workflow/app-path` names the workflow, and its
  `configuration` the workflow's properties.
- data dependencies: a coordinator that waits on `input-events` keeps its time schedule (its
  actions are created at the nominal times, and each then waited for its data): DATA_DEPENDENCY
  names the datasets the flow no longer waits for, and CROSS_FLOW_DEPENDENCY the coordinators of
  the export whose `output-events` write them (wait on those flows in EnOS instead).
- `<workflow-app>` (schemas 0.1-1.0): each action reached from `start` by `ok` transitions is a task;
  `ok` transitions, `fork` and `join` are its relations. A `decision` node chooses which actions
  run, which a flow cannot: the flow is refused (DECISION_NODE), never run down every branch or a
  guessed one. `error` transitions are reported: to a `kill` node (the workflow fails, as a flow
  does when a task fails) as KILL_NODE, to other nodes as ERROR_PATH (their actions are not tasks:
  they would run on success too), and an `email` action on the error path turns on the flow's
  e-mail alerts (ERROR_EMAIL names its recipients). A `sub-workflow` found in the export is laid
  out in the flow (its actions named `<node>.<action>`), else it is a placeholder (SUB_WORKFLOW).
- actions: `shell` and `ssh` as their command lines; `java`, `spark`, `hive`, `hive2`, `pig`,
  `sqoop`, `distcp`, streaming `map-reduce` and `fs` as the equivalent command lines
  (ACTION_AS_COMMAND); plain `map-reduce`, `email` and unknown actions as text (TASK_BODY_AS_TEXT).
  The action's Hadoop configuration, job-tracker and name-node are comment lines in the command
  (ACTION_CONFIGURATION); files and archives it shipped (TASK_FILES), `retry-max` (RETRY),
  credentials (CREDENTIALS), captured output (CAPTURE_OUTPUT) are reported.
- `<bundle-app>`: each `<coordinator>` is a flow, with the bundle's configuration; `kick-off-time`
  is reported.
- `*.properties` (Java properties: continuation lines, `:` or `=`, escapes): the job's properties.
  One naming `oozie.coord.application.path` (or the bundle's or workflow's) is the job of that
  application; one without is the job of the application in its own folder. Its properties become
  the flow's parameters (`oozie.*` settings are OOZIE_SETTINGS; names like PASSWORD are
  PROPERTY_SECRET); `user.name` is RUN_AS and the owner.

Expressions: `${name}` is resolved from the job's properties (a coordinator's action configuration
and a workflow's `<parameters>` defaults too), as Oozie does; `wf:conf`, `wf:user`, `coord:user`,
`concat`, `trim`, `firstNotNull` and integer arithmetic are evaluated. What Oozie only knows when a
job runs (`coord:nominalTime()`, `wf:id()`, `coord:dataIn(...)`...) is kept as written and named by
EL_RUNTIME; a property the export does not define is kept as written and named by EL_UNRESOLVED
(an error where the schedule or the workflow's path needs it).

Time zones: the cron text fires on the processing zone's clock (`processing_timezone`, else the
offset the coordinator's own datetimes are written in: `Z` is UTC); intervals keep the
coordinator's `timezone`; the `timezone` column says which. Options:
- `processing_timezone = "GMT+0800"`: the server's `oozie.processing.timezone`;
- `oozie_version = "5.2.1"`: needed only for a cron coordinator whose `timezone` has daylight
  saving (OOZIE_VERSION otherwise): from 5.1 Oozie moves such actions with it;
- `first_day_of_week = "MONDAY"`: needed only for `coord:endOfWeeks` (the server's Java locale);
- `jobs = "jobs.json"`: the server's jobs list (`GET /oozie/v1/jobs?jobtype=coordinator`, and
  `jobtype=bundle`; several answers as a JSON list, which must add up to their `total`), relative
  to the export's folder. Oozie keeps a job's state in its server, not in the application: with
  the list, a coordinator (or its bundle) SUSPENDED or PAUSED is saved inactive (SOURCE_SUSPENDED),
  one KILLED, FAILED or SUCCEEDED too (JOB_ENDED), one not listed is JOB_NOT_LISTED; without it a
  flow is active unless its coordinator's `end` has passed (END_DATE).

Identity: `coordinator <name>`, `bundle <bundle>/<coordinator>` or `workflow <name>`, the names as
resolved; the flow's name is the coordinator's (a bundle's name for it, or the workflow's). An
application no properties file submits and no other application runs is a job of its own (its
`${…}` then unresolved). A folder with no Oozie application is refused; a file that names an Oozie
root element but is not well-formed XML is its own invalid flow (MALFORMED_XML); DTDs and entities
are refused (defusedxml).
"""

from __future__ import annotations

import json
import re
import shlex
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree

from migrate.config import SourceSettings
from migrate.schedule.oozie import (
    FREQUENCY_FUNCTIONS,
    WEEKDAYS,
    Frequency,
    frequency_of,
    place_frequency,
    read_datetime,
    read_frequency,
    read_zone,
)
from migrate.schedule.result import Rejection
from migrate.sources.profiles import FlowRows, Profile, parameters_text, rows_of
from migrate.sources.profiles.end_dates import report_end
from migrate.sources.profiles.json_documents import read_json_file
from migrate.sources.readers import SourceError, SourceRow

OPTIONS = ("processing_timezone", "oozie_version", "first_day_of_week", "jobs")
# Job states of the Oozie server (`GET /oozie/v1/jobs?jobtype=coordinator`): still scheduling,
# held, or over.
RUNNING_STATES = ("RUNNING", "RUNNINGWITHERROR", "PREP")
LISTS = ("coordinatorjobs", "bundlejobs", "jobs")
HELD_STATES = ("SUSPENDED", "SUSPENDEDWITHERROR", "PREPSUSPENDED", "PAUSED", "PAUSEDWITHERROR", "PREPPAUSED")
EXPECTED = ("expected an Oozie application: a folder or a zip of coordinator.xml (<coordinator-app>), "
            "workflow.xml (<workflow-app>) or bundle.xml (<bundle-app>) files, with their job.properties")
KINDS = {"coordinator-app": "coordinator", "workflow-app": "workflow", "bundle-app": "bundle"}
DEFAULT_FILES = {"coordinator": "coordinator.xml", "workflow": "workflow.xml", "bundle": "bundle.xml"}
PATH_PROPERTIES = (("bundle", "oozie.bundle.application.path"), ("coordinator", "oozie.coord.application.path"),
                   ("workflow", "oozie.wf.application.path"))
# Files read from a folder or a zip: the applications and their properties, nothing bigger.
SUFFIXES = (".xml", ".properties")
MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES = 10_000_000, 20_000, 200_000_000
MAX_DEPTH = 10  # sub-workflows inside sub-workflows
SHOWN = 6  # items a message lists before "and n more"
# Words of a property name that say its value is a secret (`cassandra_password`, `esKeystorePassword`,
# `api.key`), not words that merely contain one (`cassandra_keyspace`, `primary_keys`).
SECRET_WORDS = frozenset({"password", "passwd", "pass", "pwd", "secret", "token", "credential", "credentials", "key",
                          "apikey", "keytab"})
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def looks_secret(name: str) -> bool:
    return any(word.lower() in SECRET_WORDS for word in _NAME_WORDS.findall(name))


class Malformed(ValueError):
    """An application whose shape Oozie would refuse: that flow's error (code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _listed(items: list[str] | set[str], shown: int = SHOWN) -> str:
    ordered = list(dict.fromkeys(items)) if isinstance(items, list) else sorted(items)
    more = f" and {len(ordered) - shown} more" if len(ordered) > shown else ""
    return ", ".join(ordered[:shown]) + more


# -- the export's files -----------------------------------------------------------------------------

@dataclass
class ExportFiles:
    """The application files of the export, by path relative to its root (POSIX), as bytes."""

    root: Path
    files: dict[str, bytes]
    entry: str | None = None  # a single file given as the source: only its job makes flows


def _folder_files(folder: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or path.suffix.lower() not in SUFFIXES:
            continue
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        if len(found) >= MAX_FILES or total > MAX_TOTAL_BYTES:
            raise SourceError(f"{folder}: more than {MAX_FILES:,} files or {MAX_TOTAL_BYTES:,} bytes of XML and "
                              "properties: point [source] path at the folder of the Oozie applications")
        found[relative.as_posix()] = path.read_bytes()
        total += len(found[relative.as_posix()])
    return found


def _zip_files(path: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()
                       and PurePosixPath(m.filename).suffix.lower() in SUFFIXES]
            if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
                raise SourceError(f"{path}: refused: the zip unpacks to more than {MAX_FILES:,} files or "
                                  f"{MAX_TOTAL_BYTES:,} bytes of XML and properties")
            for member in members:
                name = PurePosixPath(member.filename.lstrip("/"))
                if ".." in name.parts or any(part.startswith(".") or part == "__MACOSX" for part in name.parts):
                    continue
                if member.file_size <= MAX_FILE_BYTES:
                    found[name.as_posix()] = archive.read(member)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
        raise SourceError(f"{path}: cannot read the zip: {error}") from None
    return found


def _export_files(settings: SourceSettings) -> ExportFiles:
    path = settings.path
    if path.is_dir():
        return ExportFiles(path, _folder_files(path))
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    if not path.stat().st_size:
        raise SourceError(f"{path}: the file is empty")
    if zipfile.is_zipfile(path):
        return ExportFiles(path, _zip_files(path))
    if path.suffix.lower() not in SUFFIXES:
        raise SourceError(f"{path}: this does not look like an Oozie export ({EXPECTED})")
    # One application file (or job.properties): its folder holds what it refers to.
    files = _folder_files(path.parent)
    files[path.name] = path.read_bytes()
    return ExportFiles(path.parent, files, entry=path.name)


# -- Java properties --------------------------------------------------------------------------------

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[index + 2:index + 6]):
                out.append(chr(int(text[index + 2:index + 6], 16)))
                index += 6
                continue
            out.append(_ESCAPES.get(following, following))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _logical_lines(text: str) -> Iterator[str]:
    """java.util.Properties' logical lines: comments dropped, a line ending in an odd number of
    backslashes continued on the next, whose leading blanks are dropped."""
    pending: str | None = None
    for raw in text.splitlines():
        line = raw.lstrip(" \t\f") if pending is not None else raw
        if pending is None and (not line.strip() or line.lstrip(" \t\f")[:1] in ("#", "!")):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:
            pending = (pending or "") + line[:-1]
            continue
        yield (pending or "") + line
        pending = None
    if pending is not None:
        yield pending


def parse_properties(text: str) -> dict[str, str]:
    """A .properties file as java.util.Properties.load reads it (the last of a repeated key wins)."""
    values: dict[str, str] = {}
    for line in _logical_lines(text):
        line = line.lstrip(" \t\f")
        index = 0
        while index < len(line) and line[index] not in "=: \t\f":
            index += 2 if line[index] == "\\" else 1
        key = line[:index]
        rest = line[index:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        values[_unescape(key)] = _unescape(rest)
    return values


def _decode(data: bytes) -> str:
    """Text as written (UTF-8), else as Java reads a properties file (ISO-8859-1)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# -- expressions --------------------------------------------------------------------------------------

class Unresolvable(Exception):
    """An expression this profile cannot evaluate: a property not defined (`undefined`), or what
    Oozie only knows when the job runs (`runtime`)."""

    def __init__(self, kind: str, what: str) -> None:
        super().__init__(what)
        self.kind = kind
        self.what = what


@dataclass
class Resolved:
    text: str
    undefined: list[str] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)


_TOKEN = re.compile(r"""\s*(?:(?P<number>\d+)(?![\w.])|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
                    r"""|(?P<name>[A-Za-z_][\w.]*(?::[A-Za-z_]\w*)?)|(?P<op>[-+*/%(),]))""")
_EL_CONSTANTS = {"KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4, "PB": 1024 ** 5}
_PLAIN_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")
Value = str | int | Frequency


def _expressions(text: str) -> Iterator[tuple[int, int]]:
    """The spans of the `${...}` of a text (quotes inside respected)."""
    index = text.find("${")
    while index != -1:
        position, quote, depth = index + 2, "", 0
        while position < len(text):
            char = text[position]
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}":
                if not depth:
                    break
                depth -= 1
            position += 1
        if position >= len(text):
            return
        yield index, position + 1
        index = text.find("${", position + 1)


class Scope:
    """The properties an application's expressions see, and how they resolve."""

    def __init__(self, values: dict[str, str], keep: frozenset[str] = frozenset()) -> None:
        self.values = values
        self.keep = keep  # names left as written without a word (a dataset's ${YEAR})

    def child(self, values: dict[str, str]) -> Scope:
        return Scope({**self.values, **values}, self.keep)

    def resolve(self, text: str | None, depth: int = 0) -> Resolved:
        """The text with every expression that can be evaluated replaced by its value."""
        written = text or ""
        if "${" not in written:
            return Resolved(written)
        found = Resolved("")
        parts, last = [], 0
        for start, end in _expressions(written):
            parts.append(written[last:start])
            segment = written[start:end]
            try:
                value = self._evaluate(segment[2:-1], depth, found)
                parts.append(value.source if isinstance(value, Frequency) else str(value))
            except Unresolvable as unresolvable:
                parts.append(segment)
                if unresolvable.kind == "undefined":
                    found.undefined.append(unresolvable.what)
                elif unresolvable.kind == "runtime":
                    found.runtime.append(segment)
            last = end
        parts.append(written[last:])
        found.text = "".join(parts)
        return found

    def variable(self, name: str, depth: int, found: Resolved | None = None) -> str:
        if name in self.keep:
            raise Unresolvable("kept", name)
        if name not in self.values:
            raise Unresolvable("undefined", name)
        if depth > 20:
            raise Unresolvable("undefined", f"{name} (defined in terms of itself)")
        inner = self.resolve(self.values[name], depth + 1)
        if found is not None:
            found.undefined.extend(inner.undefined)
            found.runtime.extend(inner.runtime)
        return inner.text

    def _evaluate(self, inner: str, depth: int, found: Resolved) -> Value:
        expression = inner.strip()
        if _PLAIN_NAME.match(expression) and (expression in self.values or expression in self.keep
                                              or "-" in expression):
            return self.variable(expression, depth, found)
        return _Parser(expression, self, depth, found).parse()

    def frequency(self, text: str) -> tuple[Frequency | None, Resolved]:
        """A frequency attribute: the EL function evaluated, or the resolved text read."""
        written = text.strip()
        spans = list(_expressions(written))
        if len(spans) == 1 and spans[0] == (0, len(written)):
            found = Resolved(written)
            try:
                value = self._evaluate(written[2:-1], 0, found)
            except Unresolvable as unresolvable:
                if unresolvable.kind == "undefined":
                    found.undefined.append(unresolvable.what)
                else:
                    found.runtime.append(written)
                return None, found
            if isinstance(value, Frequency):
                return value, found
            found.text = str(value)
        else:
            found = self.resolve(written)
        if found.undefined or found.runtime:
            return None, found
        return read_frequency(found.text), found


class _Parser:
    """A small part of Oozie's EL: numbers, strings, variables, + - * / %, and the functions whose
    value is known before the job runs."""

    def __init__(self, text: str, scope: Scope, depth: int, found: Resolved) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if not text[position:].strip():
                    break
                raise Unresolvable("runtime", text)
            kind = match.lastgroup or ""
            self.tokens.append((kind, match[kind]))
            position = match.end()
        self.text, self.scope, self.depth, self.found, self.index = text, scope, depth, found, 0

    def parse(self) -> Value:
        value = self._sum()
        if self.index != len(self.tokens):
            raise Unresolvable("runtime", self.text)
        return value

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("", "")

    def _take(self, value: str) -> bool:
        if self._peek()[1] == value:
            self.index += 1
            return True
        return False

    def _number(self, value: Value) -> int:
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise Unresolvable("runtime", self.text)

    def _sum(self) -> Value:
        value = self._product()
        while self._peek()[1] in ("+", "-"):
            operator = self.tokens[self.index][1]
            self.index += 1
            right = self._number(self._product())
            value = self._number(value) + (right if operator == "+" else -right)
        return value

    def _product(self) -> Value:
        value = self._unary()
        while self._peek()[1] in ("*", "/", "%", "div", "mod"):
            operator = self.tokens[self.index][1]
            self.index += 1
            left, right = self._number(value), self._number(self._unary())
            if operator == "*":
                value = left * right
            elif not right:
                raise Unresolvable("runtime", self.text)
            else:
                value = left // right if operator in ("/", "div") else left % right
        return value

    def _unary(self) -> Value:
        if self._take("-"):
            return -self._number(self._unary())
        return self._primary()

    def _primary(self) -> Value:
        kind, value = self._peek()
        self.index += 1
        if kind == "number":
            return int(value)
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "op" and value == "(":
            inner = self._sum()
            if not self._take(")"):
                raise Unresolvable("runtime", self.text)
            return inner
        if kind != "name":
            raise Unresolvable("runtime", self.text)
        if self._take("("):
            arguments: list[Value] = []
            while not self._take(")"):
                arguments.append(self._sum())
                if not self._take(",") and self._peek()[1] != ")":
                    raise Unresolvable("runtime", self.text)
            return self._call(value, arguments)
        if value in _EL_CONSTANTS:
            return _EL_CONSTANTS[value]
        if value in ("true", "false", "null", "eq", "ne", "lt", "gt", "le", "ge", "and", "or", "not", "empty"):
            raise Unresolvable("runtime", self.text)
        return self.scope.variable(value, self.depth, self.found)

    def _call(self, name: str, arguments: list[Value]) -> Value:
        if name in FREQUENCY_FUNCTIONS and len(arguments) == 1:
            try:
                return frequency_of(name, self._number(arguments[0]))
            except Rejection:
                raise Unresolvable("runtime", self.text) from None
        texts = [a.source if isinstance(a, Frequency) else str(a) for a in arguments]
        if name == "concat" and len(texts) == 2:
            return texts[0] + texts[1]
        if name == "trim" and len(texts) == 1:
            return texts[0].strip()
        if name == "firstNotNull" and len(texts) == 2:
            return texts[0] or texts[1]
        if name == "wf:conf" and len(texts) == 1:
            return self.scope.variable(texts[0], self.depth, self.found)
        if name in ("wf:user", "coord:user") and not texts:
            return self.scope.variable("user.name", self.depth, self.found)
        raise Unresolvable("runtime", self.text)


# -- XML --------------------------------------------------------------------------------------------

def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if _local(c.tag) == name]


def _child(element: Element | None, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _items(element: Element | None) -> list[Element]:
    return [] if element is None else list(element)


def _text(element: Element | None, name: str | None = None) -> str:
    target = element if name is None else _child(element, name)
    return "".join(target.itertext()).strip() if target is not None else ""


def _properties(element: Element | None) -> list[tuple[str, str | None]]:
    """`<configuration>` or `<parameters>`: (name, value), value None when not given."""
    pairs = []
    for item in _children(element, "property"):
        name = _text(item, "name")
        if name:
            pairs.append((name, _text(item, "value") if _child(item, "value") is not None else None))
    return pairs


@dataclass
class App:
    path: str  # relative to the export's root
    kind: str  # coordinator, workflow, bundle
    root: Element

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.path).parent)


@dataclass
class Export:
    files: ExportFiles
    apps: dict[str, App]
    broken: dict[str, str]  # a file that names an Oozie root but is not well-formed: why
    properties: dict[str, dict[str, str]]

    def of_kind(self, kind: str) -> list[App]:
        return [app for app in self.apps.values() if app.kind == kind]


def _parse_xml(path: str, data: bytes, where: Path) -> Element:
    try:
        parsed: Element = SafeTree.fromstring(data, forbid_dtd=True)
        return parsed
    except DefusedXmlException as error:
        raise SourceError(f"{where / path}: refused: {type(error).__name__}: {error}") from None


def _read_export(settings: SourceSettings) -> Export:
    files = _export_files(settings)
    apps: dict[str, App] = {}
    broken: dict[str, str] = {}
    properties: dict[str, dict[str, str]] = {}
    for path, data in files.files.items():
        if path.lower().endswith(".properties"):
            properties[path] = parse_properties(_decode(data))
            continue
        try:
            root = _parse_xml(path, data, files.root)
        except SafeTree.ParseError as error:
            if any(root_name.encode() in data for root_name in KINDS):
                broken[path] = f"not well-formed XML ({error})"
            continue
        except RecursionError:
            raise SourceError(f"{files.root / path}: refused: nested deeper than an application can be") from None
        kind = KINDS.get(_local(root.tag))
        if kind is not None:
            apps[path] = App(path, kind, root)
    if not apps and not broken:
        seen = ", ".join(list(files.files)[:4]) or "no .xml or .properties file"
        raise SourceError(f"{settings.path}: this does not look like an Oozie export ({EXPECTED}; found {seen})")
    return Export(files, apps, broken, properties)


# -- application paths ------------------------------------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*://[^/]*")


@dataclass
class Found:
    app: App | None
    assumed: bool = False  # an unresolved part of the path was taken to match
    problem: str = ""


def _path_parts(text: str) -> list[str]:
    return [part for part in _SCHEME.sub("", text.strip()).split("/") if part and part != "."]


def find_app(export: Export, written: str, kind: str, near: str) -> Found:
    """The application an HDFS path names, matched on its last parts against the export's files
    (the nearest to `near`, the file that names it, when several match as well). A part still
    holding `${…}` matches any folders, but then only an application in `near`'s own folder is taken."""
    parts = _path_parts(written)
    if not parts:
        return Found(None, problem=f"the path {written!r} is empty")
    if not parts[-1].lower().endswith(".xml"):
        parts.append(DEFAULT_FILES[kind])
    scored: list[tuple[int, bool, App]] = []
    for app in export.of_kind(kind):
        if app.path == near:
            continue
        local = app.path.split("/")
        matched, assumed = 0, False
        for wanted, have in zip(reversed(parts), reversed(local), strict=False):
            if "${" in wanted:
                assumed = True
                break
            if wanted != have:
                break
            matched += 1
        complete = assumed or matched == len(local) or matched == len(parts)
        if matched and (complete or matched >= 2):
            scored.append((matched, assumed, app))
    unresolved = any("${" in part for part in parts)
    if not scored:
        what = "an unresolved path: no" if unresolved else "no"
        return Found(None, problem=f"{what} {kind} application of the export matches {written!r}")
    best = max(score for score, _, _ in scored)
    top = [(assumed, app) for score, assumed, app in scored if score == best]
    if any(assumed for assumed, _ in top):
        here = [(assumed, app) for assumed, app in top if app.folder == str(PurePosixPath(near).parent)]
        if len(here) != 1:
            return Found(None, problem=f"{written!r} is unresolved, and no single {kind} application stands beside "
                                       f"{near} to take for it")
        return Found(here[0][1], True)
    if len(top) > 1:  # the nearest to the file that names it: most folders in common
        closeness = {app.path: _common(app.path, near) for _, app in top}
        closest = max(closeness.values())
        nearby = [(assumed, app) for assumed, app in top if closeness[app.path] == closest]
        if len(nearby) != 1:
            return Found(None, problem=f"{written!r} matches {len(top)} {kind} applications: "
                                       f"{_listed([app.path for _, app in top])}")
        top = nearby
    return Found(top[0][1], top[0][0])


def _common(path: str, other: str) -> int:
    """How many leading folders two paths of the export share."""
    count = 0
    for a, b in zip(PurePosixPath(path).parent.parts, PurePosixPath(other).parent.parts, strict=False):
        if a != b:
            break
        count += 1
    return count


# -- one flow's facts -------------------------------------------------------------------------------

@dataclass
class Task:
    name: str
    upstream: frozenset[str]
    command: str


@dataclass
class Context:
    """What one flow gathers while its applications are read."""

    flow: FlowRows
    export: Export
    tasks: list[Task] = field(default_factory=list)
    undefined: dict[str, list[str]] = field(default_factory=dict)  # name -> where
    runtime: dict[str, list[str]] = field(default_factory=dict)  # expression -> where
    notes: dict[str, list[str]] = field(default_factory=dict)  # code -> items
    used: set[str] = field(default_factory=set)  # application paths this flow reads

    def note(self, code: str, item: str) -> None:
        self.notes.setdefault(code, []).append(item)

    def text(self, scope: Scope, value: str | None, where: str) -> str:
        resolved = scope.resolve(value)
        for name in resolved.undefined:
            self.undefined.setdefault(name, []).append(where)
        for expression in resolved.runtime:
            self.runtime.setdefault(expression, []).append(where)
        return resolved.text


def _required(scope: Scope, text: str | None, where: str) -> str:
    """A value the schedule or a path needs: every property defined."""
    resolved = scope.resolve(text)
    if resolved.undefined:
        names = ", ".join(f"${{{name}}}" for name in dict.fromkeys(resolved.undefined))
        raise Malformed("EL_UNRESOLVED", f"{where} {text!r}: {names} not defined in the job's properties")
    if resolved.runtime:
        raise Malformed("EL_RUNTIME", f"{where} {text!r}: {_listed(resolved.runtime)} is only known when the job "
                                      "runs")
    return resolved.text


def _parameters(element: Element | None, scope: Scope, ctx: Context, where: str) -> Scope:
    """An application's `<parameters>`: defaults for the properties not given; a property
    without a default that the job does not give is named (Oozie refuses such a submission)."""
    defaults: dict[str, str] = {}
    missing = []
    for name, value in _properties(element):
        if name in scope.values:
            continue
        if value is None:
            missing.append(name)
        else:
            defaults[name] = value
    if missing:
        ctx.note("PARAMETER_REQUIRED", f"{where}: {', '.join(missing)}")
    return scope.child(defaults) if defaults else scope


# -- workflows ----------------------------------------------------------------------------------------

@dataclass
class Node:
    name: str
    kind: str  # start, end, kill, action, fork, join, decision
    element: Element
    ok: list[str] = field(default_factory=list)  # the transitions taken on success
    error: str = ""
    body: Element | None = None  # an action's own element (<shell>, <hive>, ...)

    @property
    def action_kind(self) -> str:
        return _local(self.body.tag) if self.body is not None else ""


def _nodes(app: App) -> dict[str, Node]:
    nodes: dict[str, Node] = {}

    def add(node: Node) -> None:
        if node.name in nodes:
            raise Malformed("MALFORMED_APP", f"{app.path}: two nodes are named {node.name!r}")
        nodes[node.name] = node

    for element in app.root:
        tag = _local(element.tag)
        name = element.get("name", "")
        if tag == "start":
            add(Node(":start", "start", element, [element.get("to", "")]))
        elif tag in ("end", "kill"):
            add(Node(name, tag, element))
        elif tag == "fork":
            add(Node(name, "fork", element, [p.get("start", "") for p in _children(element, "path")]))
        elif tag == "join":
            add(Node(name, "join", element, [element.get("to", "")]))
        elif tag == "decision":
            switch = _child(element, "switch")
            targets = [c.get("to", "") for c in _children(switch, "case")] + [
                d.get("to", "") for d in _children(switch, "default")]
            add(Node(name, "decision", element, targets))
        elif tag == "action":
            ok, error = _child(element, "ok"), _child(element, "error")
            body = next((c for c in element if _local(c.tag) not in ("ok", "error", "info")), None)
            add(Node(name, "action", element, [ok.get("to", "") if ok is not None else ""],
                     error.get("to", "") if error is not None else "", body))
    if ":start" not in nodes:
        raise Malformed("MALFORMED_APP", f"{app.path}: the workflow has no <start>")
    for node in nodes.values():
        for target in [*node.ok, *([node.error] if node.error else [])]:
            if target not in nodes:
                raise Malformed("BROKEN_TRANSITION", f"{app.path}: node {node.name.lstrip(':')!r} goes to "
                                                     f"{target!r}, which the workflow does not define")
    return nodes


def _reached(nodes: dict[str, Node], first: list[str]) -> list[str]:
    seen: list[str] = []
    stack = list(reversed(first))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.append(name)
        stack.extend(reversed(nodes[name].ok))
    return seen


def _ordered(app: App, nodes: dict[str, Node], reached: list[str]) -> list[str]:
    """The success graph's nodes in topological order (document order among equals)."""
    incoming = {name: 0 for name in reached}
    for name in reached:
        for target in nodes[name].ok:
            incoming[target] += 1
    ready = [name for name in reached if not incoming[name]]
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for target in nodes[name].ok:
            incoming[target] -= 1
            if not incoming[target]:
                ready.append(target)
    if len(order) != len(reached):
        looping = [name for name in reached if name not in order]
        raise Malformed("WORKFLOW_CYCLE", f"{app.path}: the transitions between {_listed(looping)} form a loop "
                                          "(Oozie refuses such a workflow)")
    return order


def _workflow(app: App, scope: Scope, ctx: Context, prefix: str, entry: frozenset[str], depth: int) -> frozenset[str]:
    """Lay out a workflow's actions as tasks after `entry`; the tasks its `end` waits on."""
    if depth > MAX_DEPTH:
        raise Malformed("MALFORMED_APP", f"{app.path}: sub-workflows nested more than {MAX_DEPTH} deep (a "
                                         "sub-workflow that calls itself?)")
    ctx.used.add(app.path)
    scope = _parameters(_child(app.root, "parameters"), scope, ctx, app.path)
    if _child(app.root, "info") is not None:
        ctx.note("SLA", f"{app.path} (the workflow)")
    nodes = _nodes(app)
    reached = _reached(nodes, [":start"])
    order = _ordered(app, nodes, reached)
    found_in: dict[str, frozenset[str]] = {":start": entry}
    out: dict[str, frozenset[str]] = {}
    exits: frozenset[str] = frozenset()
    for name in order:
        node = nodes[name]
        before = found_in.get(name, frozenset())
        if node.kind == "action":
            out[name] = _action(app, node, scope, ctx, prefix, before, depth)
        elif node.kind == "decision":
            cases = [f"{c.get('to')} if {_text(c)}" for c in _children(_child(node.element, "switch"), "case")]
            raise Malformed("DECISION_NODE", f"{app.path}: decision {name!r} chooses which actions run "
                                             f"({_listed(cases, 3)}, else {node.ok[-1] if node.ok else '?'}): a flow "
                                             "runs every task, so it would run every branch; rewrite the choice as a "
                                             "script in one action")
        else:
            out[name] = before
        if node.kind == "end":
            exits |= before
        if node.kind == "kill":
            ctx.note("KILL_NODE", f"{prefix}{name} is reached without an error (the workflow then fails): "
                                  f"{_text(node.element, 'message')[:120]}")
        for target in node.ok:
            found_in[target] = found_in.get(target, frozenset()) | out[name]
    _error_paths(app, nodes, reached, scope, ctx, prefix)
    unreached = [n.name for n in nodes.values() if n.name not in reached and n.kind not in ("kill", "end")
                 and not _on_error_path(nodes, reached, n.name)]
    if unreached:
        ctx.note("UNREACHABLE_NODE", f"{app.path}: {_listed(unreached)} (no transition leads there)")
    return exits


def _on_error_path(nodes: dict[str, Node], reached: list[str], name: str) -> bool:
    starts = [nodes[r].error for r in reached if nodes[r].error]
    return name in _reached(nodes, starts) if starts else False


def _error_paths(app: App, nodes: dict[str, Node], reached: list[str], scope: Scope, ctx: Context,
                 prefix: str) -> None:
    """Where actions go on failure: a kill fails the workflow, as a failed task fails a flow;
    anything else is a path a flow cannot take."""
    kills: dict[str, str] = {}
    handled: dict[str, list[str]] = {}  # error target -> the actions that go there
    for name in reached:
        node = nodes[name]
        if node.kind != "action" or not node.error:
            continue
        target = nodes[node.error]
        if target.kind == "kill":
            kills[target.name] = _text(target.element, "message")
        elif target.kind == "end":
            ctx.note("ERROR_PATH", f"a failure of {prefix}{name} ended the workflow as a success (error to "
                                   f"{node.error}); a flow fails when one of its tasks does")
        elif node.error in reached:
            ctx.note("ERROR_PATH", f"{prefix}{name} goes on to {prefix}{node.error} when it fails too; a flow runs "
                                   f"it only after {prefix}{name} succeeds")
        else:
            handled.setdefault(node.error, []).append(f"{prefix}{name}")
    for goal, failing in handled.items():
        path = _reached(nodes, [goal])
        handlers = [h for h in path if nodes[h].kind == "action"]
        sent = {h: _recipients(app, nodes[h], scope, ctx, prefix) for h in handlers}
        emails = [h for h, recipients in sent.items() if recipients is not None]
        when = f"when {_listed(failing, 4)} failed"
        if emails:
            ctx.flow.cells["alert"] = "1"
            recipients = [r for h in emails for r in sent[h] or []]
            ctx.note("ERROR_EMAIL", f"{_listed([prefix + e for e in emails])} e-mailed {_listed(recipients)} {when}: "
                                    "the flow's e-mail alerts are on instead (to its owners)")
        rest = [prefix + h for h in handlers if h not in emails]
        if rest or not handlers:
            what = f"ran {_listed(rest)}" if rest else f"went to {prefix}{goal}"
            ctx.note("ERROR_PATH", f"the workflow {what} {when}: not tasks of the flow (they would run on success)")
        kills.update({h: _text(nodes[h].element, "message") for h in path if nodes[h].kind == "kill"})
    for kill, message in kills.items():
        ctx.note("KILL_NODE", f"{prefix}{kill}: {message[:160] or '(no message)'}")


def _recipients(app: App, node: Node, scope: Scope, ctx: Context, prefix: str) -> list[str] | None:
    """Who an error handler e-mailed: an email action, or a sub-workflow of the export that only
    sends e-mail (a shared "send error e-mail" workflow); None for any other action."""
    if node.action_kind == "email":
        return [ctx.text(scope, _text(node.body, "to"), f"{prefix}{node.name}")]
    if node.action_kind != "sub-workflow" or node.body is None:
        return None
    found = find_app(ctx.export, scope.resolve(_text(node.body, "app-path")).text, "workflow", app.path)
    if found.app is None:
        return None
    try:
        nodes = _nodes(found.app)
    except Malformed:
        return None
    actions = [nodes[n] for n in _reached(nodes, [":start"]) if nodes[n].kind == "action"]
    if not actions or any(a.action_kind != "email" for a in actions):
        return None
    ctx.used.add(found.app.path)
    child = _child_scope(node.body, scope, ctx, f"{prefix}{node.name}")
    return [ctx.text(child, _text(a.body, "to"), f"{prefix}{node.name}.{a.name}") for a in actions]


# -- actions --------------------------------------------------------------------------------------------

def _quoted(text: str) -> str:
    """A shell word; one holding an expression Oozie evaluated at run time stays readable."""
    if "${" in text and '"' not in text and "`" not in text:
        return f'"{text}"' if re.search(r"[\s'|&;<>()]", text) else text
    return shlex.quote(text) if text else "''"


def _header(kind: str, body: Element, scope: Scope, ctx: Context, where: str, global_: Element | None) -> list[str]:
    """Comment lines with what the action ran against: cluster, configuration, job-xml."""
    lines = [f"# Oozie {kind} action"]
    cluster = [f"{label} {ctx.text(scope, _text(body, tag) or _text(global_, tag), where)}"
               for tag, label in (("resource-manager", "resource-manager"), ("job-tracker", "job-tracker"),
                                  ("name-node", "name-node"))
               if _text(body, tag) or _text(global_, tag)]
    if cluster:
        lines[0] += f" on {', '.join(cluster)}"
    configuration = {name: value or "" for name, value in _properties(_child(global_, "configuration"))}
    configuration.update({name: value or "" for name, value in _properties(_child(body, "configuration"))})
    for name, value in configuration.items():
        lines.append(f"# configuration: {name}={ctx.text(scope, value, where)}")
    launcher = [(_local(e.tag), _text(e)) for holder in (global_, body) for e in _items(_child(holder, "launcher"))]
    lines += [f"# launcher: {name}={ctx.text(scope, value, where)}" for name, value in launcher]
    if configuration or launcher:
        ctx.note("ACTION_CONFIGURATION", where)
    shipped = [ctx.text(scope, _text(e), where) for tag in ("job-xml", "file", "archive")
               for e in [*_children(global_, tag), *_children(body, tag)]]
    if shipped:
        ctx.note("TASK_FILES", f"{where}: {_listed(shipped, 4)}")
    return lines


def _arguments(body: Element, scope: Scope, ctx: Context, where: str, *tags: str) -> list[str]:
    return [_quoted(ctx.text(scope, _text(e), where)) for tag in tags for e in _children(body, tag)]


def _shell(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    environment = [ctx.text(scope, _text(e), where) for e in _children(body, "env-var")]
    command = [_quoted(ctx.text(scope, _text(body, "exec"), where)), *_arguments(body, scope, ctx, where, "argument")]
    prefix = [f"{name}={_quoted(value)}" for name, _, value in (e.partition("=") for e in environment)]
    return " ".join([*prefix, *command])


def _ssh(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    host = ctx.text(scope, _text(body, "host"), where)
    command = ctx.text(scope, _text(body, "command"), where)
    return " ".join(["ssh", _quoted(host), command, *_arguments(body, scope, ctx, where, "args", "arg")])


def _java(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    options = " ".join(ctx.text(scope, _text(e), where) for tag in ("java-opts", "java-opt")
                       for e in _children(body, tag))
    return " ".join(p for p in ["java", "-cp", "'lib/*'", options, ctx.text(scope, _text(body, "main-class"), where),
                                *_arguments(body, scope, ctx, where, "arg")] if p)


def _spark(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    parts = ["spark-submit"]
    for tag, option in (("master", "--master"), ("mode", "--deploy-mode"), ("name", "--name"), ("class", "--class")):
        if _text(body, tag):
            parts += [option, _quoted(ctx.text(scope, _text(body, tag), where))]
    if _text(body, "spark-opts"):
        parts.append(" ".join(ctx.text(scope, _text(body, "spark-opts"), where).split()))
    parts.append(_quoted(ctx.text(scope, _text(body, "jar"), where)))
    return " ".join([*parts, *_arguments(body, scope, ctx, where, "arg")])


def _script_tool(tool: str, body: Element, scope: Scope, ctx: Context, where: str) -> str:
    """hive, hive2 (beeline), pig: a script or a query, its parameters, its arguments."""
    parts = [tool]
    if tool == "beeline":
        parts += ["-u", _quoted(ctx.text(scope, _text(body, "jdbc-url"), where))]
        if _text(body, "password"):
            parts += ["-p", _quoted(ctx.text(scope, _text(body, "password"), where))]
            ctx.note("ACTION_SECRET", f"{where}: the beeline password is in the command")
    if _text(body, "query"):
        parts += ["-e", _quoted(ctx.text(scope, _text(body, "query"), where))]
    else:
        parts += ["-f", _quoted(ctx.text(scope, _text(body, "script"), where))]
    flag = "-param" if tool == "pig" else "--hivevar"
    parts += [f"{flag} {_quoted(ctx.text(scope, _text(e), where))}" for e in _children(body, "param")]
    return " ".join([*parts, *_arguments(body, scope, ctx, where, "argument")])


def _sqoop(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    if _text(body, "command"):
        return "sqoop " + ctx.text(scope, _text(body, "command"), where)
    return " ".join(["sqoop", *_arguments(body, scope, ctx, where, "arg")])


def _distcp(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    return " ".join(["hadoop", "distcp", *_arguments(body, scope, ctx, where, "arg")])


FS_COMMANDS = {"mkdir": "-mkdir -p", "delete": "-rm -r", "move": "-mv", "chmod": "-chmod", "touchz": "-touchz",
               "chgrp": "-chgrp", "setrep": "-setrep"}


def _fs(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    lines = ["set -e"]
    for step in body:
        verb = _local(step.tag)
        if verb not in FS_COMMANDS:
            continue
        path = _quoted(ctx.text(scope, step.get("path") or step.get("source") or "", where))
        options = FS_COMMANDS[verb]
        if verb == "delete" and (step.get("skip-trash") or "true").lower() != "false":
            options += " -skipTrash"
        if verb in ("chmod", "chgrp") and (step.get("dir-files") or "true").lower() == "true" and _child(
                step, "recursive") is not None:
            options += " -R"
        operand = {"move": step.get("target"), "chmod": step.get("permissions"), "chgrp": step.get("group"),
                   "setrep": step.get("replication-factor")}.get(verb)
        words = ["hdfs dfs", options]
        if verb in ("chmod", "chgrp", "setrep"):
            words += [_quoted(ctx.text(scope, operand or "", where)), path]
        else:
            words += [path] + ([_quoted(ctx.text(scope, operand or "", where))] if verb == "move" else [])
        lines.append(" ".join(words))
    return "\n".join(lines)


def _map_reduce(body: Element, scope: Scope, ctx: Context, where: str) -> tuple[str, bool]:
    streaming = _child(body, "streaming")
    if streaming is not None:
        parts = ["hadoop jar hadoop-streaming.jar"]
        for tag in ("mapper", "reducer", "record-reader"):
            if _text(streaming, tag):
                parts += [f"-{tag.replace('-', '')}", _quoted(ctx.text(scope, _text(streaming, tag), where))]
        parts += [f"-cmdenv {_quoted(ctx.text(scope, _text(e), where))}" for e in _children(streaming, "env")]
        return " ".join(parts), True
    return "# a Hadoop map-reduce job defined by the configuration above: rewrite it as a `hadoop jar` command", False


def _email(body: Element, scope: Scope, ctx: Context, where: str) -> str:
    fields = [(tag, ctx.text(scope, _text(body, tag), where)) for tag in ("to", "cc", "bcc", "subject", "body",
                                                                          "content_type", "attachment")]
    return "\n".join(f"# e-mail {tag}: {value}" for tag, value in fields if value)


def _other(kind: str, body: Element, scope: Scope, ctx: Context, where: str) -> str:
    lines = []
    for child in body:
        if _local(child.tag) in ("configuration", "prepare", "launcher"):  # in the header already
            continue
        for item in child.iter():
            text = (item.text or "").strip()
            if text and not list(item):
                lines.append(f"# {_local(item.tag)}: {ctx.text(scope, text, where)}")
    return "\n".join(lines) or f"# an Oozie {kind} action with no settings"


Renderer = Callable[[Element, Scope, Context, str], str]
AS_COMMAND: dict[str, Renderer] = {
    "java": _java, "spark": _spark, "sqoop": _sqoop, "distcp": _distcp, "fs": _fs,
    "hive": lambda b, s, c, w: _script_tool("hive", b, s, c, w),
    "hive2": lambda b, s, c, w: _script_tool("beeline", b, s, c, w),
    "pig": lambda b, s, c, w: _script_tool("pig", b, s, c, w),
}


def _prepare(body: Element, scope: Scope, ctx: Context, where: str) -> list[str]:
    """What the action's `<prepare>` did before it ran: paths deleted (if there) and made."""
    lines = []
    for step in _items(_child(body, "prepare")):
        path = _quoted(ctx.text(scope, step.get("path", ""), where))
        if _local(step.tag) == "delete":
            lines.append(f"hdfs dfs -rm -r -f -skipTrash {path}")
        elif _local(step.tag) == "mkdir":
            lines.append(f"hdfs dfs -mkdir -p {path}")
    return lines


def _command(kind: str, body: Element, scope: Scope, ctx: Context, where: str, global_: Element | None) -> str:
    lines = _header(kind, body, scope, ctx, where, global_) + _prepare(body, scope, ctx, where)
    if kind in ("shell", "ssh"):
        lines.append(_shell(body, scope, ctx, where) if kind == "shell" else _ssh(body, scope, ctx, where))
    elif kind in AS_COMMAND:
        lines.append(AS_COMMAND[kind](body, scope, ctx, where))
        ctx.note("ACTION_AS_COMMAND", f"{where} ({kind})")
    elif kind == "map-reduce":
        text, runnable = _map_reduce(body, scope, ctx, where)
        lines.append(text)
        ctx.note("ACTION_AS_COMMAND" if runnable else "TASK_BODY_AS_TEXT", f"{where} ({kind})")
    else:
        lines.append(_email(body, scope, ctx, where) if kind == "email" else _other(kind, body, scope, ctx, where))
        ctx.note("TASK_BODY_AS_TEXT", f"{where} ({kind})")
    if _child(body, "capture-output") is not None:
        ctx.note("CAPTURE_OUTPUT", where)
    return "\n".join(lines)


def _action(app: App, node: Node, scope: Scope, ctx: Context, prefix: str, before: frozenset[str],
            depth: int) -> frozenset[str]:
    """One action node as a task (or, a sub-workflow found in the export, as its own tasks)."""
    name = f"{prefix}{node.name}"
    body = node.body
    kind = _local(body.tag) if body is not None else ""
    for attribute, code in (("retry-max", "RETRY"), ("cred", "CREDENTIALS")):
        if node.element.get(attribute):
            extra = f", every {node.element.get('retry-interval')} min" if code == "RETRY" and node.element.get(
                "retry-interval") else ""
            ctx.note(code, f"{name}: {node.element.get(attribute)}{extra}")
    if _child(node.element, "info") is not None:
        ctx.note("SLA", name)
    if body is None:
        raise Malformed("MALFORMED_APP", f"{app.path}: action {node.name!r} has no action element")
    if kind == "sub-workflow":
        return _sub_workflow(app, node, body, scope, ctx, prefix, before, depth)
    ctx.tasks.append(Task(name, before, _command(kind, body, scope, ctx, name, _child(app.root, "global"))))
    return frozenset({name})


def _child_scope(body: Element, scope: Scope, ctx: Context, where: str) -> Scope:
    """A sub-workflow's properties: its configuration, over the parent's with
    propagate-configuration (else only the user carries over)."""
    configuration = {k: ctx.text(scope, v or "", where) for k, v in _properties(_child(body, "configuration"))}
    if _child(body, "propagate-configuration") is not None:
        return scope.child(configuration)
    return Scope({k: v for k, v in scope.values.items() if k == "user.name"} | configuration, scope.keep)


def _sub_workflow(app: App, node: Node, body: Element, scope: Scope, ctx: Context, prefix: str,
                  before: frozenset[str], depth: int) -> frozenset[str]:
    name = f"{prefix}{node.name}"
    written = ctx.text(scope, _text(body, "app-path"), name)
    found = find_app(ctx.export, written, "workflow", app.path)
    if found.app is None:
        ctx.note("SUB_WORKFLOW", f"{name} ran workflow {written}, which is not in the export ({found.problem}): a "
                                 "placeholder task stands for it")
        ctx.tasks.append(Task(name, before, f"# Oozie sub-workflow {written}: not in the export, rework by hand"))
        return frozenset({name})
    child_scope = _child_scope(body, scope, ctx, name)
    ctx.note("SUB_WORKFLOW", f"{name} ran workflow {found.app.path}: its actions are tasks named {name}.<action>"
                             + (" (the workflow's path was partly unresolved: taken as this one)" if found.assumed
                                else ""))
    exits = _workflow(found.app, child_scope, ctx, f"{name}.", before, depth + 1)
    return exits if any(t.name.startswith(f"{name}.") for t in ctx.tasks) else before


# -- coordinators -----------------------------------------------------------------------------------

@dataclass
class Settings:
    processing_offset: int | None
    version: tuple[int, ...] | None
    first_day_of_week: str | None
    states: dict[tuple[str, str], list[str]] | None = None  # (coordinator|bundle, name) -> the server's states


def _options(settings: SourceSettings) -> Settings:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{settings.path}: oozie options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    offset = None
    zone = settings.options.get("processing_timezone")
    if zone is not None:
        try:
            read = read_zone(str(zone))
        except Rejection:
            read = None
        if read is None or read.iana not in (None, "UTC", "Etc/UTC", "GMT"):
            raise SourceError(f"{settings.path}: oozie option processing_timezone = {zone!r} is not what "
                              "oozie.processing.timezone takes: 'UTC' or a fixed offset such as 'GMT+0800'")
        offset = read.offset_minutes
    version = None
    if settings.options.get("oozie_version") is not None:
        text = str(settings.options["oozie_version"])
        if not re.fullmatch(r"\d+(\.\d+)*(-.*)?", text):
            raise SourceError(f"{settings.path}: oozie option oozie_version = {text!r} is not a version such as "
                              "\"4.3.1\" or \"5.2.1\"")
        version = tuple(int(p) for p in text.split("-")[0].split("."))
    day = settings.options.get("first_day_of_week")
    if day is not None and str(day).upper() not in WEEKDAYS:
        raise SourceError(f"{settings.path}: oozie option first_day_of_week = {day!r} is not a day name such as "
                          "\"SUNDAY\" or \"MONDAY\"")
    states = _states(settings, str(settings.options["jobs"])) if settings.options.get("jobs") is not None else None
    return Settings(offset, version, str(day).upper() if day is not None else None, states)


def _states(settings: SourceSettings, written: str) -> dict[tuple[str, str], list[str]]:
    """The jobs list of the Oozie server (`GET /oozie/v1/jobs?jobtype=coordinator`, and `bundle`):
    each coordinator's and bundle's states, by name. A list with pages missing is refused."""
    path = Path(written)
    if not path.is_absolute():
        path = (settings.path if settings.path.is_dir() else settings.path.parent) / path
    document = read_json_file(path, settings.encoding)
    if isinstance(document, list) and all(isinstance(d, dict) and any(k in d for k in LISTS) for d in document):
        pages = document  # several pages, saved as a list of the answers
    else:
        pages = [document if isinstance(document, dict) else {"jobs": document}]
    states: dict[tuple[str, str], list[str]] = {}
    counted: dict[str, int] = {}
    totals: dict[str, int] = {}
    for page in pages:
        for key in (k for k in LISTS if isinstance(page.get(k), list)):
            counted[key] = counted.get(key, 0) + len(page[key])
            if isinstance(page.get("total"), int):
                totals[key] = max(totals.get(key, 0), page["total"])
            for entry in (e for e in page[key] if isinstance(e, dict)):
                kind = ("coordinator" if "coordJobName" in entry else "bundle" if "bundleJobName" in entry
                        else str(entry.get("jobType", "")).lower())
                name = entry.get("coordJobName") or entry.get("bundleJobName") or entry.get("appName")
                if kind in ("coordinator", "bundle") and name:
                    states.setdefault((kind, str(name)), []).append(str(entry.get("status", "")).upper())
    for key, total in totals.items():
        if counted[key] < total:
            raise SourceError(f"{path}: holds {counted[key]} of the {total} jobs the server counted (total): save "
                              "every page of GET /oozie/v1/jobs?jobtype=coordinator&offset=N&len=1000 (and of "
                              "jobtype=bundle) as a JSON list of the answers")
    if not states:
        raise SourceError(f"{path}: no coordinator or bundle job in it (expected the answer of GET "
                          "/oozie/v1/jobs?jobtype=coordinator: {\"coordinatorjobs\": [{\"coordJobName\": …, "
                          "\"status\": …}]})")
    return states


def _server_state(flow: FlowRows, job: Job, states: dict[tuple[str, str], list[str]]) -> None:
    """The job's state in the Oozie server: a coordinator (or its bundle) held or over is inactive."""
    found = [("coordinator", job.name, states.get(("coordinator", job.name), []))]
    if job.bundle:
        found.append(("bundle", job.bundle, states.get(("bundle", job.bundle), [])))
    if not found[0][2]:
        flow.warn("JOB_NOT_LISTED", f"the server's jobs list has no coordinator {job.name}: never submitted there, "
                                    "or purged; the flow is saved as the application says")
        return
    stopped = [(kind, name, s) for kind, name, listed in found if listed
               and not any(state in RUNNING_STATES for state in listed) for s in sorted(set(listed))]
    if not stopped:
        return
    flow.cells["active"] = "0"
    for kind, name, state in stopped:
        code = "SOURCE_SUSPENDED" if state in HELD_STATES else "JOB_ENDED"
        flow.warn(code, f"the {kind} job {name} is {state} in the Oozie server: saved inactive")


def _moment(scope: Scope, app: App, attribute: str) -> tuple[datetime, int] | Malformed:
    """The coordinator's start or end, or why it cannot be read."""
    written = app.root.get(attribute)
    if written is None:
        return Malformed("MALFORMED_APP", f"the coordinator has no {attribute}")
    try:
        text = _required(scope, written, attribute)
        return read_datetime(text)
    except Malformed as malformed:
        return malformed
    except Rejection as rejection:
        return Malformed("INVALID_DATE", f"{attribute} {written!r}: {rejection.message}")


def _schedule(flow: FlowRows, app: App, scope: Scope, options: Settings, ctx: Context) -> None:
    frequency_text = app.root.get("frequency", "")
    try:
        frequency, resolved = scope.frequency(frequency_text)
    except Rejection as rejection:
        raise Malformed(rejection.code, f"frequency {frequency_text!r}: {rejection.message}") from None
    if frequency is None:
        _required(scope, frequency_text, "frequency")  # names what is missing
        raise Malformed("INVALID_SYNTAX", f"frequency {frequency_text!r} ({resolved.text!r}) is not a frequency")
    if not app.root.get("timezone"):
        raise Malformed("MALFORMED_APP", "the coordinator has no timezone")
    zone_text = _required(scope, app.root.get("timezone"), "timezone")
    start, end = _moment(scope, app, "start"), _moment(scope, app, "end")
    for moment, needed in ((start, frequency.unit != "cron"), (end, False)):
        if isinstance(moment, Malformed) and (needed or moment.code != "EL_UNRESOLVED"):
            raise moment
    if isinstance(start, Malformed):
        ctx.note("START_UNKNOWN", f"{start}: the flow's start date is not set")
    if isinstance(end, Malformed):
        ctx.note("END_UNKNOWN", f"{end}: the coordinator stopped then, which cannot be checked")
    known_start = start if not isinstance(start, Malformed) else None
    known_end = end if not isinstance(end, Malformed) else None
    try:
        zone = read_zone(zone_text)
        processing = options.processing_offset if options.processing_offset is not None else (
            known_start[1] if known_start else known_end[1] if known_end else 0)
        placed = place_frequency(frequency, known_start[0] if known_start else None, zone, processing,
                                 options.version, options.first_day_of_week)
    except Rejection as rejection:
        raise Malformed(rejection.code, f"frequency {frequency.source!r} ({zone_text}): {rejection.message}") from None
    if zone.alias:
        ctx.note("TIMEZONE_ALIAS", f"timezone {zone.alias} is Java's {zone.iana}")
    flow.schedule = placed.converted.freq
    flow.cells["timezone"] = placed.zone
    _proof_source(flow, app, scope, resolved.text, zone_text, options)
    if known_start is not None:
        flow.cells["start_date"] = zone.local(placed.first or known_start[0]).date().isoformat()
    if known_end is not None:
        written = app.root.get("end", "")
        resolved_end = scope.resolve(written).text
        shown = written if written == resolved_end else f"{written} ({resolved_end})"
        report_end(flow, "the coordinator's end", shown, known_end[0].astimezone(UTC).date())


def _proof_source(flow: FlowRows, app: App, scope: Scope, frequency: str, zone_text: str, options: Settings) -> None:
    """The coordinator as resolved, for the proof (mapping/flows.py, schedule/proof_oozie.py): a JSON
    object of its frequency, start, end and timezone (and the server's options that the frequency
    needs); `start` its anchor."""
    document = {"frequency": frequency, "timezone": zone_text}
    for attribute in ("start", "end"):
        resolved = scope.resolve(app.root.get(attribute, "")).text
        if resolved and "${" not in resolved:
            document[attribute] = resolved
    if options.processing_offset is not None:
        hours, minutes = divmod(abs(options.processing_offset), 60)
        document["processing_timezone"] = f"GMT{'-' if options.processing_offset < 0 else '+'}{hours:02d}{minutes:02d}"
    if options.first_day_of_week:
        document["first_day_of_week"] = options.first_day_of_week
    flow.cells.update(source_schedule=json.dumps(document), source_grammar="oozie", start=document.get("start", ""))


TIMEOUT_MINUTES = {"minute": 1, "day": 1440, "week": 10080, "month": 30 * 1440}


def _controls(app: App, scope: Scope, ctx: Context) -> None:
    controls = _child(app.root, "controls")
    meanings = {
        "timeout": ("TIMEOUT", "minutes an action waited for its data before Oozie gave up (-1: forever)"),
        "concurrency": ("CONCURRENCY", "actions of the coordinator that ran at once"),
        "execution": ("EXECUTION_ORDER", "the order waiting actions ran in (FIFO, LIFO, LAST_ONLY, NONE)"),
        "throttle": ("THROTTLE", "actions Oozie kept waiting at once"),
    }
    for tag, (code, meaning) in meanings.items():
        written = _text(controls, tag)
        if not written:
            continue
        value = ctx.text(scope, written, tag)
        if tag == "timeout" and "${coord:" in written:  # ${coord:hours(16)}: for a timeout a day is 24 h
            try:
                frequency, _ = scope.frequency(written)
            except Rejection:
                frequency = None
            if frequency is not None and frequency.unit != "cron":
                value = f"{frequency.count * TIMEOUT_MINUTES[frequency.unit]} ({written})"
        ctx.flow.warn(code, f"{tag} {value}: {meaning}; a flow has no such setting, not carried")


def _datasets(app: App, scope: Scope, ctx: Context) -> dict[str, str]:
    """The coordinator's datasets by name (their uri-template), included files read too."""
    found: dict[str, str] = {}
    datasets = _child(app.root, "datasets")
    if datasets is None:
        return found
    for include in _children(datasets, "include"):
        written = ctx.text(scope, _text(include), "datasets include")
        target = find_app_file(ctx.export, written, app.path)
        if target is None:
            ctx.note("DATA_DEPENDENCY", f"the datasets of {written} (not in the export)")
            continue
        for dataset in _children(target, "dataset"):
            found[dataset.get("name", "")] = _text(dataset, "uri-template")
    for dataset in _children(datasets, "dataset"):
        found[dataset.get("name", "")] = _text(dataset, "uri-template")
    return found


def find_app_file(export: Export, written: str, near: str) -> Element | None:
    """A `<datasets>` file an `<include>` names, matched on its last parts as application paths are."""
    parts = _path_parts(written)
    best: tuple[int, Element] | None = None
    for path, data in export.files.files.items():
        local = path.split("/")
        matched = 0
        for wanted, have in zip(reversed(parts), reversed(local), strict=False):
            if wanted != have:
                break
            matched += 1
        if matched and (matched == len(local) or matched >= 2) and (best is None or matched > best[0]):
            try:
                root = _parse_xml(path, data, export.files.root)
            except SafeTree.ParseError:
                continue
            if _local(root.tag) == "datasets":
                best = (matched, root)
    return best[1] if best else None


@dataclass
class DataEvents:
    inputs: list[tuple[str, str]]  # (event name, uri-template)
    outputs: list[tuple[str, str]]


def _events(app: App, scope: Scope, ctx: Context) -> DataEvents:
    datasets = _datasets(app, scope, ctx)
    keep = Scope(scope.values, frozenset({"YEAR", "MONTH", "DAY", "HOUR", "MINUTE"}))
    events = DataEvents([], [])
    for tag, into in (("input-events", events.inputs), ("output-events", events.outputs)):
        for event in [*_children(_child(app.root, tag), "data-in"), *_children(_child(app.root, tag), "data-out")]:
            dataset = keep.resolve(event.get("dataset", "")).text
            template = keep.resolve(datasets.get(dataset, "")).text
            into.append((event.get("name", dataset), template or dataset))
    return events


def _data_dependencies(flow: FlowRows, events: DataEvents, producers: dict[str, list[str]], key: str,
                       app: App) -> None:
    if events.inputs:
        logic = " (with <input-logic>)" if _child(app.root, "input-logic") is not None else ""
        flow.warn("DATA_DEPENDENCY", f"each action waited for its input data{logic}: "
                                     f"{_listed([f'{n} = {t}' for n, t in events.inputs], 4)}; the flow runs at the "
                                     "same times without waiting: make it wait on the flows that write the data")
    for name, template in events.inputs:
        writers = [w for w in producers.get(template, []) if w != key]
        if writers:
            flow.warn("CROSS_FLOW_DEPENDENCY", f"input {name} ({template}) is written by {_listed(writers)} of this "
                                               "export: add those flows as upstream flows in EnOS")
    if events.outputs:
        flow.warn("OUTPUT_EVENTS", f"the coordinator declared the data it writes: "
                                   f"{_listed([f'{n} = {t}' for n, t in events.outputs], 4)} (used by the flows that "
                                   "wait on it)")


# -- jobs -------------------------------------------------------------------------------------------------

@dataclass
class Job:
    app: App
    properties: str | None  # the .properties file, relative path
    values: dict[str, str]  # the job's properties (a bundle's configuration included)
    key: str = ""
    name: str = ""  # the flow's name: the coordinator's or workflow's, a bundle's name for its coordinator
    origin: str = ""  # the file that made it a job: its properties, or the bundle that lists it
    bundle: str = ""  # the bundle that submits this coordinator


def _jobs(export: Export) -> tuple[list[Job], list[FlowRows]]:
    """Each properties file's job, then every application no job or other application uses."""
    jobs: list[Job] = []
    failed: list[FlowRows] = []
    explicit: set[str] = set()
    for path, values in sorted(export.properties.items()):
        scope = Scope(values)
        named = [(kind, values[key]) for kind, key in PATH_PROPERTIES if key in values]
        if not named:
            continue
        kind, written = named[0]
        resolved = scope.resolve(written).text
        found = find_app(export, resolved, kind, path)
        if found.app is None:
            flow = FlowRows(key=f"properties {path}", name=path.rsplit(".", 1)[0].replace("/", "_"),
                            cells={"active": "0"})
            flow.fail("APP_NOT_FOUND", f"{path}: {PATH_PROPERTIES[[k for k, _ in PATH_PROPERTIES].index(kind)][1]} "
                                       f"= {resolved}: {found.problem}")
            failed.append(flow)
            continue
        explicit.add(found.app.path)
        jobs.append(Job(found.app, path, values, origin=path))
    for path, values in sorted(export.properties.items()):
        if any(key in values for _, key in PATH_PROPERTIES):
            continue
        folder = str(PurePosixPath(path).parent)
        for kind in ("bundle", "coordinator", "workflow"):
            here = [a for a in export.of_kind(kind) if a.folder == folder]
            if len(here) == 1 and here[0].path not in explicit and values:
                jobs.append(Job(here[0], path, values, origin=path))
                explicit.add(here[0].path)
                break
            if here:
                break
    return jobs, failed


def _owner_facts(flow: FlowRows, values: dict[str, str], scope: Scope, ctx: Context) -> None:
    """The job's properties as parameters, its user as the owner."""
    pairs, settings, secrets = [], [], []
    for name in values:
        if name.startswith("oozie."):
            if name not in {key for _, key in PATH_PROPERTIES}:
                settings.append(f"{name}={ctx.text(scope, values[name], name)}")
            continue
        value = scope.resolve(values[name]).text
        pairs.append({"key": name, "value": value})
        if looks_secret(name):
            secrets.append(name)
    flow.cells["params"] = parameters_text(pairs)
    if settings:
        flow.warn("OOZIE_SETTINGS", f"Oozie's own settings of the job are not carried: {_listed(settings, 5)}")
    if secrets:
        verb = "looks like a secret" if len(secrets) == 1 else "look like secrets"
        flow.warn("PROPERTY_SECRET", f"{', '.join(secrets)} {verb}: carried as flow parameters (and in the commands "
                                     "that use them), which every owner and visitor of the flow can read; move them "
                                     "to the service's own secret store")
    user = values.get("user.name", "")
    if user:
        flow.cells["owners"] = user
        flow.warn("RUN_AS", f"the job ran as {user} (user.name); the flow runs as the service's doAs account instead")


def _report(ctx: Context) -> None:
    flow = ctx.flow
    if ctx.undefined:
        flow.warn("EL_UNRESOLVED", "properties the export does not define, kept as written: " + _listed(
            [f"${{{name}}} ({_listed(sorted(set(where)), 2)})" for name, where in ctx.undefined.items()], 12))
    if ctx.runtime:
        flow.warn("EL_RUNTIME", "expressions Oozie evaluated when the job ran, kept as written (nothing evaluates "
                                "them in a task): " + _listed(
                                    [f"{e} ({_listed(sorted(set(w)), 2)})" for e, w in ctx.runtime.items()], 4))
    messages = {
        "ACTION_AS_COMMAND": "actions written as the command line that runs the same job (their clients must be "
                             "where the task runs)",
        "TASK_BODY_AS_TEXT": "actions with no command line, kept as text: rework them before they run",
        "ACTION_CONFIGURATION": "the Hadoop configuration of these actions is kept as comment lines in their "
                                "commands, not applied",
        "TASK_FILES": "files, archives and job-xml the actions shipped with them: copy them where the tasks run",
        "CAPTURE_OUTPUT": "actions whose output Oozie captured for later expressions (wf:actionData)",
        "RETRY": "actions Oozie retried on failure (retry-max), which a task does not",
        "CREDENTIALS": "actions that ran with Oozie credentials (Kerberos tokens for Hive, HBase, HCatalog)",
        "SLA": "SLA definitions, not carried",
        "PARAMETER_REQUIRED": "<parameters> without a value that the job does not set either (Oozie refuses to "
                              "submit it so)",
        "KILL_NODE": "the workflow failed at these kill nodes, as a flow fails when a task does; their messages are "
                     "not carried",
        "UNREACHABLE_NODE": "nodes no transition leads to, which never ran: not tasks",
    }
    for code, items in ctx.notes.items():
        listed = "; ".join(list(dict.fromkeys(items))[:SHOWN]) + (
            f"; and {len(set(items)) - SHOWN} more" if len(set(items)) > SHOWN else "")
        flow.warn(code, f"{messages[code]}: {listed}" if code in messages else listed)


def _fill_workflow(ctx: Context, app: App, scope: Scope) -> None:
    """The workflow's actions as the flow's tasks; a flow that would run nothing is refused."""
    _workflow(app, scope, ctx, "", frozenset(), 0)
    if not ctx.tasks:
        raise Malformed("EMPTY_WORKFLOW", f"{app.path}: the workflow runs no action (start goes to end)")
    ids = {task.name: str(number) for number, task in enumerate(ctx.tasks, 1)}
    ctx.flow.tasks = [{"task_id": ids[t.name], "task_name": t.name, "command": t.command,
                       "upstream": ";".join(ids[u] for u in sorted(t.upstream, key=lambda n: int(ids[n])))}
                      for t in ctx.tasks]


def _coordinator_flow(job: Job, export: Export, options: Settings, scope: Scope,
                      producers: dict[str, list[str]]) -> tuple[FlowRows, set[str]]:
    """A coordinator job's flow: its schedule and facts, its workflow's tasks; what cannot be read
    in one part is that part's error, the others are still read (and named)."""
    app = job.app
    flow = FlowRows(key=job.key, name=job.name, cells={"active": "1"})
    ctx = Context(flow, export)
    ctx.used.add(app.path)
    ctx.text(scope, app.root.get("name"), "the coordinator's name")
    scope = _parameters(_child(app.root, "parameters"), scope, ctx, app.path)
    parts: list[Callable[[], None]] = [
        lambda: _schedule(flow, app, scope, options, ctx), lambda: _controls(app, scope, ctx),
        lambda: _data_dependencies(flow, _events(app, scope, ctx), producers, job.key, app),
        lambda: _coordinator_workflow(app, scope, ctx)]
    for part in parts:
        try:
            part()
        except Malformed as malformed:
            flow.fail(malformed.code, _located(app, malformed))
    if flow.errors:
        flow.tasks = []
    _owner_facts(flow, {**job.values}, scope, ctx)
    _report(ctx)
    return flow, ctx.used


def _coordinator_workflow(app: App, scope: Scope, ctx: Context) -> None:
    """The workflow a coordinator's actions ran, with the action's configuration, as the tasks."""
    workflow = _child(_child(app.root, "action"), "workflow")
    if workflow is None:
        raise Malformed("MALFORMED_APP", f"{app.path}: the coordinator has no <action><workflow>")
    if _child(_child(app.root, "action"), "info") is not None:
        ctx.note("SLA", f"{app.path} (the coordinator's actions)")
    written = _required_path(scope, _text(workflow, "app-path"), ctx)
    found = find_app(ctx.export, written, "workflow", app.path)
    if found.app is None:
        raise Malformed("WORKFLOW_NOT_FOUND", f"{app.path}: app-path {written}: {found.problem}")
    if found.assumed:
        ctx.note("APP_PATH_ASSUMED", f"app-path {written} is unresolved: taken as {found.app.path}, the workflow "
                                     "beside the coordinator")
    configuration = {name: scope.resolve(value or "").text
                     for name, value in _properties(_child(workflow, "configuration"))}
    ctx.flow.cells["desc"] = f"Oozie coordinator {app.path}, workflow {found.app.path}"[:500]
    _fill_workflow(ctx, found.app, scope.child(configuration))


def _located(app: App, malformed: Malformed) -> str:
    """The message with the file it is about: the application's own unless it names another."""
    message = str(malformed)
    return message if message.split(":", 1)[0].endswith(".xml") else f"{app.path}: {message}"


def _required_path(scope: Scope, written: str, ctx: Context) -> str:
    """An app-path: its properties resolved where defined (an unresolved part matches any folder)."""
    resolved = scope.resolve(written)
    for name in resolved.undefined:
        ctx.undefined.setdefault(name, []).append("app-path")
    return resolved.text


def _workflow_flow(job: Job, export: Export, scope: Scope) -> tuple[FlowRows, set[str]]:
    app = job.app
    flow = FlowRows(key=job.key, name=job.name, cells={"active": "1"})
    ctx = Context(flow, export)
    ctx.text(scope, app.root.get("name"), "the workflow's name")
    flow.unscheduled("an Oozie workflow with no coordinator: it ran when submitted (oozie job -run), by hand or "
                     "by another scheduler")
    try:
        _fill_workflow(ctx, app, scope)
        flow.cells["desc"] = f"Oozie workflow {app.path}"[:500]
    except Malformed as malformed:
        flow.fail(malformed.code, _located(app, malformed))
        flow.tasks = []
    _owner_facts(flow, job.values, scope, ctx)
    _report(ctx)
    return flow, ctx.used


def _name(app: App, scope: Scope) -> str:
    written = app.root.get("name", "") or PurePosixPath(app.path).parent.name or app.path
    return scope.resolve(written).text


def _bundle_jobs(job: Job, export: Export) -> tuple[list[Job], list[FlowRows], list[str]]:
    """A bundle's coordinators as jobs, with the bundle's configuration in their properties."""
    app = job.app
    scope = Scope(job.values)
    defaults = {name: value for name, value in _properties(_child(app.root, "parameters")) if value is not None
                and name not in job.values}
    scope = scope.child(defaults)
    bundle = _name(app, scope)
    jobs, failed, notes = [], [], []
    kick_off = _text(_child(app.root, "controls"), "kick-off-time")
    if kick_off:
        notes.append(f"bundle {bundle} started its coordinators at {scope.resolve(kick_off).text} (kick-off-time)")
    for number, coordinator in enumerate(_children(app.root, "coordinator"), 1):
        name = scope.resolve(coordinator.get("name", "")).text or f"coordinator {number}"
        written = scope.resolve(_text(coordinator, "app-path")).text
        found = find_app(export, written, "coordinator", app.path)
        configuration = {k: scope.resolve(v or "").text for k, v in _properties(_child(coordinator, "configuration"))}
        key = f"bundle {bundle}/{name}"
        if found.app is None:
            flow = FlowRows(key=key, name=name, cells={"active": "0"})
            flow.fail("APP_NOT_FOUND", f"{app.path}: coordinator {name}: app-path {written}: {found.problem}")
            failed.append(flow)
            continue
        jobs.append(Job(found.app, job.properties, {**scope.values, **configuration}, key, name,
                        job.properties or app.path, bundle))
    return jobs, failed, notes


def _expand(jobs: list[Job], export: Export, flows: list[FlowRows], notes: dict[str, list[str]]) -> list[Job]:
    """Bundles as the coordinator jobs they submit."""
    expanded: list[Job] = []
    for job in jobs:
        if job.app.kind != "bundle":
            expanded.append(job)
            continue
        members, failed, bundle_notes = _bundle_jobs(job, export)
        expanded += members
        flows += failed
        for member in members:
            notes[member.key] = bundle_notes
    return expanded


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    options = _options(settings)
    export = _read_export(settings)
    submitted, flows = _jobs(export)
    notes: dict[str, list[str]] = {}
    jobs = _expand(submitted, export, flows, notes)
    # Applications no properties file submits are jobs of their own, unless a bundle, a coordinator
    # or another workflow runs them: bundles first, workflows last.
    claimed = {job.app.path for job in submitted} | {job.app.path for job in jobs}
    for kind in ("bundle", "coordinator"):
        alone = [Job(app, None, {}) for app in sorted(export.of_kind(kind), key=lambda a: a.path)
                 if app.path not in claimed]
        jobs += _expand(alone, export, flows, notes)
        claimed |= {job.app.path for job in alone} | {job.app.path for job in jobs}
    producers = _producers(jobs, export)
    built: list[tuple[Job, FlowRows, set[str]]] = []
    for job in jobs:
        built.append((job, *_flow_of(job, export, options, producers)))
    used = set().union(*(uses for _, _, uses in built))
    alone = [Job(app, None, {}) for app in sorted(export.of_kind("workflow"), key=lambda a: a.path)
             if app.path not in claimed and app.path not in used]
    standalone = [(job, *_flow_of(job, export, options, producers)) for job in alone]
    inside = set().union(*(uses - {job.app.path} for job, _, uses in standalone))
    built += [(job, flow, uses) for job, flow, uses in standalone if job.app.path not in inside]
    if export.files.entry is not None:
        built = [b for b in built if export.files.entry in (b[0].app.path, b[0].origin)]
        if not built and export.files.entry not in export.broken:
            raise SourceError(f"{settings.path}: this does not look like an Oozie export ({EXPECTED})")
    seen: dict[str, str] = {}
    for job, flow, _ in built:
        if options.states is not None and job.app.kind == "coordinator":
            _server_state(flow, job, options.states)
        for note in notes.get(job.key, []):
            flow.warn("KICK_OFF_TIME", note)
        where = job.properties or job.app.path
        if job.key in seen:
            flow.fail("DUPLICATE_JOB", f"{where} defines {job.key} again (first in {seen[job.key]}): rename one")
            flow.key = f"{job.key} ({where})"
        seen.setdefault(job.key, where)
        flows.append(flow)
    for path, problem in sorted(export.broken.items()):
        if export.files.entry not in (None, path):
            continue
        flow = FlowRows(key=f"file {path}", name=PurePosixPath(path).stem, cells={"active": "0"})
        flow.fail("MALFORMED_XML", f"{path}: {problem}")
        flows.append(flow)
    yield from flows


def _flow_of(job: Job, export: Export, options: Settings, producers: dict[str, list[str]]) -> tuple[FlowRows, set[str]]:
    """One job's flow and the applications it read."""
    scope = Scope(job.values)
    if not job.key:
        job.name = _name(job.app, scope)
        job.key = f"{job.app.kind} {job.name}"
    if job.app.kind == "coordinator":
        return _coordinator_flow(job, export, options, scope, producers)
    return _workflow_flow(job, export, scope)


def _producers(jobs: list[Job], export: Export) -> dict[str, list[str]]:
    """The coordinators of the export by the data they write (output-events' uri-templates)."""
    writers: dict[str, list[str]] = {}
    for job in jobs:
        if job.app.kind != "coordinator":
            continue
        scope = Scope(job.values)
        key = job.key or f"coordinator {_name(job.app, scope)}"  # as _flows names it
        ctx = Context(FlowRows(key=key, name=key), export)
        for _, template in _events(job.app, scope, ctx).outputs:
            writers.setdefault(template, []).append(key)
    return writers


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("oozie", "quartz", read, "Oozie coordinator, workflow and bundle applications with job.properties")
