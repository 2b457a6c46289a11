"""Windows Task Scheduler XML: one flow per `<Task>`, its `Exec` actions the tasks.

What it reads (`[source] path`): `schtasks /query /xml ONE` output (a `<Tasks>` root holding every
task, each after a `<!-- \\Folder\\Name -->` comment), `schtasks /query /xml` output without `ONE`
(every task an XML document of its own, one after the other), an `Export-ScheduledTask` file (one
`<Task>`), or a folder of either, such as a copy of C:\\Windows\\System32\\Tasks (files without a
suffix, named as the tasks are). Files are UTF-16 with a byte-order mark as Windows writes them
(or without one: NUL bytes every other byte), or UTF-8; a UTF-16 file cut at an odd byte is named
as truncated. The XML is read with defusedxml: an entity declaration is refused naming its line.

A task's name, and its flow's key, is the comment before it, else `RegistrationInfo/URI`, else its
path in the folder (`\\Folder\\Name`); the flow name is that with `\\` and blanks as `_`.

Triggers (`migrate.schedule.taskxml`): `CalendarTrigger` by day, week, month and weekday of the
month, and `TimeTrigger`, with their `Repetition`, converted exactly or refused by code; the
wall-clock time is `StartBoundary`'s, in the offset it carries (`Z`, `+08:00`: the flow's
`timezone` is `UTC` or `Etc/GMT-8`), else in the machine's zone (`[mapping] source_timezone`).
Boot, logon, event, idle, registration and session triggers have no time schedule
(`unscheduled`). A disabled trigger does not fire and is named; several triggers are one schedule
when they agree or their union is one (windows_triggers.py; else MULTIPLE_TRIGGERS). `EndBoundary`
is END_DATE (a passed one saves the flow inactive); `StartBoundary`'s date is the start date.

A `StartBoundary` without an offset fired in the machine's local zone, which the export does not say:
HOST_TIMEZONE (as the kubernetes profile's CONTROLLER_TIMEZONE), and `[mapping] source_timezone`
names it. Task Scheduler writes the boundary with a fraction of a second when it was set from the
clock (`2015-07-15T20:35:13.2757294`, seven digits); the task fired that fraction after the second,
and a flow fires on whole seconds: the start is taken at the whole second it falls in
(SUBSECOND_START).

Windows' own tasks (under `\\Microsoft\\Windows\\`: an `Export-ScheduledTask` or `schtasks /query
/xml` of everything holds hundreds) are skipped, counted in one BUILTIN_TASKS_SKIPPED warning on
the export's first flow; `options = { include_builtin = true }` plans them too.

A file that is neither UTF-16 nor the configured encoding is refused naming the code page it
looks like: `schtasks /query /xml > file` in cmd.exe writes the console's OEM code page (850,
437) under a declaration that says UTF-16; the message shows the guess, `[source] encoding` to
read it as it is, and the PowerShell export that keeps every character.

`Settings/Enabled` false saves the flow inactive (SOURCE_DISABLED). `Actions/Exec` (`Command`
and `Arguments`) are the tasks, one after another as Task Scheduler runs them; `WorkingDirectory`
is WORKING_DIRECTORY, other actions (COM handler, e-mail, message) ACTION_NOT_CARRIED. The
principal (`UserId` or `GroupId`, `RunLevel`, `LogonType`) is RUN_AS; settings that change when
or how the task runs are TASK_SETTING, RandomDelay RANDOMIZED_DELAY.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as StdElementTree
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePath
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException, ElementTree

from migrate.config import SourceSettings
from migrate.schedule.result import IMPOSSIBLE_DATE, Rejection
from migrate.schedule.taskxml import Trigger, convert_trigger
from migrate.schedule.timezone import UNKNOWN_TIMEZONE
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.profiles.end_dates import report_end
from migrate.sources.profiles.windows_triggers import triggers_as_one
from migrate.sources.readers import SourceError, SourceRow
from migrate.sources.tree import tree_files
from migrate.sources.xml_text import declaration_refused, refuse_declarations, utf16_without_mark

NO_TIME_TRIGGERS = {
    "BootTrigger": "at system start-up", "LogonTrigger": "at log on", "EventTrigger": "on an event log entry",
    "IdleTrigger": "when the computer is idle", "RegistrationTrigger": "when the task was registered",
    "SessionStateChangeTrigger": "on a session state change", "WnfStateChangeTrigger": "on a system state change",
}
# A trigger with no time (start-up, log-on, an event, idle) beside one with a time schedule (the
# schtasks profile's code for the same).
NO_TIME_TRIGGER = "NO_TIME_TRIGGER"
CALENDAR_KINDS = ("ScheduleByDay", "ScheduleByWeek", "ScheduleByMonth", "ScheduleByMonthDayOfWeek")
# xs:dateTime as Task Scheduler writes a boundary: the time, a fraction of a second, the offset.
BOUNDARY = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$")
# Settings that change when or how a task runs, with the value Task Scheduler assumes without them.
SETTING_DEFAULTS = {
    "StartWhenAvailable": "false", "RunOnlyIfNetworkAvailable": "false", "RunOnlyIfIdle": "false",
    "WakeToRun": "false", "DisallowStartIfOnBatteries": "true", "StopIfGoingOnBatteries": "true",
    "ExecutionTimeLimit": "PT72H", "MultipleInstancesPolicy": "IgnoreNew", "DeleteExpiredTaskAfter": "",
    "AllowHardTerminate": "true", "Priority": "7", "DisallowStartOnRemoteAppSession": "false",
    "AllowStartOnDemand": "true",
}
# Settings that say nothing of when or how the task runs (the UI's, the engine's own), and those
# read elsewhere or only with another: IdleSettings with RunOnlyIfIdle, NetworkSettings with
# RunOnlyIfNetworkAvailable. Any other child of Settings is named, whatever it is.
SETTINGS_READ = frozenset({"Enabled", "RestartOnFailure", "Hidden", "UseUnifiedSchedulingEngine", "Volatile",
                           "IdleSettings", "NetworkSettings", *SETTING_DEFAULTS})
OPTIONS = ("include_builtin",)
TASK_NAMESPACE = "schemas.microsoft.com/windows/2004/02/mit/task"  # a task file's own, whole or broken
BUILTIN_FOLDER = "\\microsoft\\windows\\"  # Windows' own tasks, compared in lower case
# The one-byte code pages a Windows export is written in when it is not UTF-16: cmd.exe's
# redirection writes the console's OEM code page; Windows PowerShell 5's Set-Content defaults to the
# ANSI code page (its Out-File and `>` to UTF-16, which is read as such).
OEM_GUESS, ANSI_GUESS = "cp850", "cp1252"
REEXPORT = ("re-export it in PowerShell, which keeps every character: Export-ScheduledTask -TaskName NAME "
            "-TaskPath \\FOLDER\\ | Out-File -Encoding utf8 NAME.xml (one file a task; a folder of them is read), "
            "rather than schtasks /query /xml > file in cmd.exe")
EXPECTED = ("expected Windows Task Scheduler XML: `schtasks /query /xml` output (<Tasks>) or an "
            "Export-ScheduledTask file (<Task>)")


def _local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: Element | None, *path: str) -> Element | None:
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag) == name), None)
    return element


def _text(element: Element | None, *path: str, default: str = "") -> str:
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else default


def _children(element: Element | None, *path: str) -> list[Element]:
    parent = _child(element, *path)
    return [c for c in parent if isinstance(c.tag, str)] if parent is not None else []


def _decode(data: bytes, path: Path, encoding: str) -> str:
    """UTF-16 with a byte-order mark as Windows writes it, UTF-16 without one (NUL bytes every other
    byte), else the configured encoding."""
    utf16 = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else utf16_without_mark(data)
    try:
        return data.decode(utf16 or encoding)
    except UnicodeDecodeError as error:
        if utf16 is None:
            raise SourceError(_encoding_message(data, path, encoding, error.start)) from None
        if len(data) % 2 and error.end == len(data):  # every UTF-16 character is two bytes (or four)
            raise SourceError(f"{path}: UTF-16 text cut in the middle of a character (its {len(data):,} bytes are an "
                              "odd number): the file looks truncated; copy it again whole, or export the task "
                              "again") from None
        raise SourceError(f"{path}: UTF-16 text with bytes that are no character at byte {error.start} "
                          f"({error.reason}): the file is damaged; copy it again, or export the task again") from None


def _encoding_message(data: bytes, path: Path, encoding: str, at: int) -> str:
    """What a file in a one-byte code page is, as far as its bytes tell, and how to read or re-export it."""
    declared = re.search(rb'<\?xml[^>]*encoding="([^"]+)"', data[:200])
    says_utf16 = declared is not None and declared[1].lower().startswith(b"utf-16")
    guess, why = (OEM_GUESS, "its declaration says UTF-16 but each character is one byte: schtasks /query /xml "
                             "redirected by cmd.exe, which writes the console's OEM code page (850 in Western "
                             "Europe, 437 in the US: chcp tells)") if says_utf16 else (
        ANSI_GUESS, "it is not UTF-8 either, and each character is one byte: a Windows ANSI code page, as "
                    "Windows PowerShell 5's Set-Content writes by default")
    around = data[max(0, at - 30):at + 30].decode(guess, "replace").replace("\r", " ").replace("\n", " ")
    return (f"{path}: not UTF-16 or {encoding} text (byte {at}: 0x{data[at]:02X}); {why}. Read as {guess} (a "
            f"guess) it says ...{around.strip()}...: if that reads right, set [source] encoding = \"{guess}\" (or "
            f"the code page the machine used); else {REEXPORT}")


def _parse(text: str, path: Path, first_line: int = 1) -> Element:
    """One XML document, which begins at `first_line` of its file."""
    parser = ElementTree.XMLParser(target=StdElementTree.TreeBuilder(insert_comments=True))
    # Entities, as defusedxml refuses them, and an in-file DTD: Task Scheduler writes none, and its
    # `<!ATTLIST …>` defaults would give attributes values the file does not show.
    refuse_declarations(parser.parser)
    try:
        parser.feed(text)
        root: Element = parser.close()
    except StdElementTree.ParseError as error:
        if TASK_NAMESPACE in text:  # a task file, broken: say so, not that it is some other file
            raise SourceError(f"{path}: a Task Scheduler XML file that is not well-formed XML ({error}); Windows "
                              "writes well-formed files: one edited by hand (`--` inside a comment, say) or cut "
                              "short; mend it or export the task again") from None
        raise SourceError(f"{path}: this does not look like a Windows Task Scheduler XML export ({EXPECTED}; "
                          f"cannot parse it as XML: {error})") from None
    except RecursionError:
        raise SourceError(f"{path}: refused: nested deeper than a task export can be") from None
    except DefusedXmlException as error:  # defusedxml refuses entities with its own exceptions
        raise SourceError(declaration_refused(path, text, error, "Task Scheduler never writes", first_line)) from None
    return root


@dataclass(frozen=True)
class FoundTask:
    name: str  # \Folder\Name
    task: Element
    path: Path


# `schtasks /query /xml` without `ONE` writes every task as an XML document of its own, one after the
# other (each with its declaration): not one XML document. Each is read on its own.
_DECLARATION = re.compile(r"<\?xml\b[^>]*\?>")
_NAME_COMMENT = re.compile(r"<!--\s*(\\[^\n]*?)\s*-->\s*<(?:\w+:)?Task\b")


def _documents(text: str) -> list[str]:
    """The XML documents of the text: one, or the several `schtasks /query /xml` concatenates."""
    starts = [match.start() for match in _DECLARATION.finditer(text)]
    if len(starts) <= 1:
        return [text]
    if text[:starts[0]].strip("\ufeff \t\r\n"):
        starts[0] = 0  # something before the first declaration: parsed with it, and named if it is no XML
    return [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=True)]


def _tasks_of(path: Path, encoding: str, folder_name: str | None) -> list[FoundTask]:
    text = _decode(path.read_bytes(), path, encoding)
    documents = _documents(text)
    if len(documents) > 1:
        found: list[FoundTask] = []
        first_line = 1 + text[:len(text) - sum(map(len, documents))].count("\n")  # the blank lines before the first
        for number, document in enumerate(documents, 1):
            named = _NAME_COMMENT.search(document)
            for task in _tasks_of_document(document, path, named[1] if named else None, first_line=first_line):
                found.append(task if task.name else FoundTask(f"\\{path.stem} task {number}", task.task, path))
            first_line += document.count("\n")
        return found
    return _tasks_of_document(documents[0], path, folder_name, numbered=True)


def _tasks_of_document(text: str, path: Path, folder_name: str | None, numbered: bool = False,
                       first_line: int = 1) -> list[FoundTask]:
    """The tasks of one XML document (beginning at `first_line` of its file): a <Task>, or the <Tasks>
    of `schtasks /query /xml ONE`, each named by the comment before it. A task no name says is named
    "" unless `numbered`."""
    root = _parse(text, path, first_line)
    if _local(root.tag) == "Task":
        uri = _text(root, "RegistrationInfo", "URI")
        return [FoundTask(uri or folder_name or ("\\" + path.stem if numbered else ""), root, path)]
    if _local(root.tag) != "Tasks":
        raise SourceError(f"{path}: this does not look like a Windows Task Scheduler XML export ({EXPECTED}; the "
                          f"root element is <{_local(root.tag)}>)")
    found: list[FoundTask] = []
    comment = ""
    for item in root:
        if not isinstance(item.tag, str):  # a comment: the task's name in schtasks /query /xml
            comment = (item.text or "").strip()
        elif _local(item.tag) == "Task":
            name = comment or _text(item, "RegistrationInfo", "URI") or (
                f"\\{path.stem} task {len(found) + 1}" if numbered else "")
            found.append(FoundTask(name, item, path))
            comment = ""
    return found


def is_builtin(name: str) -> bool:
    """A task Windows itself installs (\\Microsoft\\Windows\\…), not one the user made: its URI as a
    script that registers tasks writes it (without the first backslash), and its path in a copy of
    the Tasks folder kept in a folder of its own (`\\Tasks\\Microsoft\\Windows\\…`) too."""
    return BUILTIN_FOLDER in ("\\" + name.strip().lstrip("\\")).lower()


def _include_builtin(settings: SourceSettings) -> bool:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{settings.path}: taskxml options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    value = settings.options.get("include_builtin", False)
    if not isinstance(value, bool):
        raise SourceError(f"{settings.path}: taskxml option include_builtin = {value!r} is not true or false")
    return value


def _found(settings: SourceSettings) -> list[FoundTask]:
    path = settings.path
    if path.is_dir():
        files = [p for p in tree_files(path, hidden=True) if p.is_file() and not settings.leaves_out(p)]
        found: list[FoundTask] = []
        for file in files:
            head = file.read_bytes()[:400].replace(b"\x00", b"")
            if b"<Task" not in head and b"<?xml" not in head:
                continue  # not XML: a Tasks folder holds nothing else, but a copy may
            relative = PurePath(file.relative_to(path)).with_suffix("" if file.suffix == ".xml" else file.suffix)
            found.extend(_tasks_of(file, settings.encoding, "\\" + "\\".join(relative.parts)))
        if not found:
            raise SourceError(f"{path}: this does not look like a Windows Task Scheduler XML export ({EXPECTED}; the "
                              "folder holds no task file)")
        return found
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    found = _tasks_of(path, settings.encoding, None)
    if not found:
        raise SourceError(f"{path}: the <Tasks> export holds no <Task>: nothing to migrate")
    return found


# -- one task ----------------------------------------------------------------------------------------

class OffsetWithoutZone(ValueError):
    """A boundary at an offset of hours and minutes (+05:30): no Etc/GMT zone names it."""


def boundary(text: str) -> tuple[datetime, str]:
    """A StartBoundary or EndBoundary: the wall-clock time, and the zone its offset names ("" for none)."""
    match = BOUNDARY.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a date and time such as 2025-01-31T08:00:00")
    at = datetime.fromisoformat(match[1])  # the whole second: a fraction is _seconds_fraction's
    offset = match[3] or ""
    if offset in ("", "Z", "+00:00", "-00:00"):
        return at, "UTC" if offset else ""
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if minutes:
        raise OffsetWithoutZone(f"{text!r} is at an offset of {offset}, which no Etc/GMT zone names (a flow's "
                                "zone is an IANA name): set [mapping] source_timezone and remove the offset")
    return at, f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"  # Etc/GMT-8 is eight hours ahead of UTC


def _seconds_fraction(text: str) -> str:
    """The fraction of a second a boundary carries (".2757294"), "" when it has none or it is zero."""
    match = BOUNDARY.match(text.strip())
    return f".{match[2]}" if match is not None and (match[2] or "").strip("0") else ""


def _trigger(element: Element, start: datetime) -> Trigger:
    kind = _local(element.tag)
    repetition = _child(element, "Repetition")
    every, lasting = _text(repetition, "Interval"), _text(repetition, "Duration")
    if kind == "TimeTrigger":
        return Trigger("TimeTrigger", start, repeat_every=every, repeat_for=lasting)
    schedule = next((c for c in element if _local(c.tag) in CALENDAR_KINDS), None)
    if schedule is None:
        raise Rejection("INVALID_SYNTAX", "a CalendarTrigger without ScheduleByDay, ScheduleByWeek, ScheduleByMonth "
                                          "or ScheduleByMonthDayOfWeek")
    interval = _text(schedule, "DaysInterval") or _text(schedule, "WeeksInterval") or "1"
    if not interval.isdigit():
        raise Rejection("INVALID_SYNTAX", f"interval {interval!r} is not a number")
    return Trigger(_local(schedule.tag), start, int(interval),
                   days_of_week=tuple(_local(d.tag) for d in _children(schedule, "DaysOfWeek")),
                   days_of_month=tuple((d.text or "").strip() for d in _children(schedule, "DaysOfMonth")),
                   weeks=tuple((w.text or "").strip() for w in _children(schedule, "Weeks")),
                   months=tuple(_local(m.tag) for m in _children(schedule, "Months")),
                   repeat_every=every, repeat_for=lasting)


@dataclass
class TriggerResult:
    schedule: str = ""  # the Quartz freq; "" when it has no time schedule
    zone: str = ""
    no_time: str = ""  # what starts it, when it has no time schedule
    passed: str = ""  # a one-time trigger whose time has passed: why it fires no more
    start: str = ""  # StartBoundary, as written
    end: str = ""  # EndBoundary, as written


def _one_trigger(flow: FlowRows, number: int, element: Element) -> TriggerResult | None:
    """One trigger's schedule; None when it is disabled or refused (its error or warning added)."""
    kind = _local(element.tag)
    label = f"trigger {number} ({kind})"
    if _text(element, "Enabled", default="true").lower() == "false":
        flow.warn("TRIGGER_DISABLED", f"{label} is disabled: it never fires, and is not carried")
        return None
    if kind in NO_TIME_TRIGGERS:
        return TriggerResult(no_time=NO_TIME_TRIGGERS[kind])
    if kind not in ("CalendarTrigger", "TimeTrigger"):
        flow.fail("UNSUPPORTED_INTERVAL", f"{label} is not a trigger this profile reads")
        return None
    result = TriggerResult(start=_text(element, "StartBoundary"), end=_text(element, "EndBoundary"))
    try:
        start, result.zone = boundary(result.start)
        now = datetime.now(UTC).replace(tzinfo=None) if result.zone else datetime.now()
        if result.zone.startswith("Etc/GMT"):
            now += timedelta(hours=-int(result.zone[7:]))
        result.schedule = convert_trigger(_trigger(element, start), now).freq
    except OffsetWithoutZone as error:
        flow.fail(UNKNOWN_TIMEZONE, f"{label}: StartBoundary {error}")
        return None
    except ValueError as error:
        flow.fail("INVALID_DATE", f"{label}: StartBoundary {error}")
        return None
    except Rejection as rejection:
        if rejection.code == IMPOSSIBLE_DATE:  # ran once, and that has passed: the others decide
            return TriggerResult(passed=f"{label}: {rejection.message}")
        flow.fail(rejection.code, f"{label}: {rejection.message}")
        return None
    if fraction := _seconds_fraction(result.start):
        flow.warn("SUBSECOND_START", f"{label}: StartBoundary {result.start} fired 0{fraction} s after the second; a "
                                     f"flow fires on whole seconds: taken at {start:%H:%M:%S}")
    for name, code, meaning in (("RandomDelay", "RANDOMIZED_DELAY", "each run was delayed by a random time up to "
                                 "this; the flow runs on the minute"),
                                ("ExecutionTimeLimit", "TIMEOUT", "a run was stopped after this long"),
                                ("Delay", "RANDOMIZED_DELAY", "each run started this much later")):
        if _text(element, name):
            flow.warn(code, f"{label}: {name} {_text(element, name)}: {meaning}")
    if _text(element, "Repetition", "StopAtDurationEnd").lower() == "true":
        flow.warn("STOP_AT_DURATION_END", f"{label}: a run still going when the repetition's duration ended was "
                                          "stopped; a flow's run is not")
    return result


def _plain(element: Element) -> Element:
    """A copy of an element without namespaces and blank text, for a compact source text."""
    copy = Element(_local(element.tag))
    copy.text = (element.text or "").strip() or None
    copy.extend(_plain(child) for child in element)
    return copy


def _triggers_xml(task: Element) -> str:
    triggers = _child(task, "Triggers")
    return StdElementTree.tostring(_plain(triggers), encoding="unicode") if triggers is not None else ""


def _schedule(flow: FlowRows, task: Element) -> None:
    """The triggers as one schedule, as the schtasks profile takes them."""
    results = [r for number, element in enumerate(_children(task, "Triggers"), start=1)
               if (r := _one_trigger(flow, number, element)) is not None]
    if flow.errors:
        return
    passed = [r.passed for r in results if r.passed]
    results = [r for r in results if not r.passed]
    if passed and not results:  # it ran once and fires no more: nothing to migrate as a schedule
        flow.fail(IMPOSSIBLE_DATE, "; ".join(passed))
        return
    for reason in passed:  # beside other triggers, which still start it
        flow.warn("TRIGGER_PASSED", f"{reason}; not carried")
    if not results:
        flow.unscheduled("a Windows task with no enabled trigger: it runs only when started by hand")
        return
    if all(r.no_time for r in results):
        flow.unscheduled(f"a Windows task started {' / '.join(sorted({r.no_time for r in results}))}: it has no "
                         "time schedule")
        return
    if untimed := sorted({r.no_time for r in results if r.no_time}):  # beside a time schedule: named
        flow.warn(NO_TIME_TRIGGER, f"the task also started {' / '.join(untimed)}: a flow starts only on its "
                                   "schedule, so those starts are not carried")
        results = [r for r in results if not r.no_time]
    schedules = {(r.schedule, r.zone) for r in results}
    if len(schedules) > 1:
        merged = triggers_as_one(flow, [(r.schedule, r.zone, r.start, r.end) for r in results])
        if merged is None:  # refused: its start date still given, so the refusal is its only error
            flow.cells["start_date"] = min(r.start[:10] for r in results)
            return
        results = [replace(min(results, key=lambda r: r.start[:10]), schedule=merged)]
    first = results[0]
    flow.schedule = first.schedule
    # The source, for the proof (mapping/flows.py, schedule/proof_windows.py): the triggers as written
    flow.cells.update(source_schedule=_triggers_xml(task), source_grammar="windows")
    if first.zone:
        flow.cells["timezone"] = first.zone
    else:  # as the kubernetes profile's CONTROLLER_TIMEZONE: the zone is assumed, so it is said
        flow.warn("HOST_TIMEZONE", f"StartBoundary {first.start} has no offset: the task fired in the machine's local "
                                   "zone, which the export does not say; set [mapping] source_timezone to it, else the "
                                   "schedule is taken to be in the service's zone")
    flow.cells["start_date"] = first.start[:10]
    flow.cells["source_start"] = first.start  # the time it begins on that day (the proof's FIRST_DAY)
    ends = [r.end for r in results if r.end]
    if ends:
        try:
            end, end_zone = boundary(max(ends))
        except ValueError as error:
            flow.fail("INVALID_DATE", f"EndBoundary {error}")
            return
        # Task Scheduler starts no run at or after EndBoundary; one without an offset is a wall time
        # of the zone the schedule is taken in (the mapping's)
        report_end(flow, "the trigger's EndBoundary", max(ends), date(end.year, end.month, end.day),
                   end.replace(tzinfo=ZoneInfo(end_zone)) if end_zone else end)


def _command(exec_action: Element) -> str:
    command = _text(exec_action, "Command")
    arguments = _text(exec_action, "Arguments")
    if " " in command and not command.startswith('"'):
        command = f'"{command}"'  # as cmd.exe needs a program path with blanks
    return f"{command} {arguments}".strip()


def _actions(flow: FlowRows, task: Element) -> None:
    previous = ""
    for action in _children(task, "Actions"):
        kind = _local(action.tag)
        if kind != "Exec":
            flow.warn("ACTION_NOT_CARRIED", f"a {kind} action is not a command: not carried")
            continue
        command = _command(action)
        if not _text(action, "Command"):
            flow.fail("EMPTY_COMMAND", "an Exec action with no Command")
            continue
        directory = _text(action, "WorkingDirectory")
        if directory:
            flow.warn("WORKING_DIRECTORY", f"{command} started in {directory}; a task's command runs where the "
                                           "service runs it: add a cd to the command if it needs that folder")
        number = len(flow.tasks) + 1
        flow.tasks.append({"task_id": str(number), "task_name": flow.name if number == 1 else f"{flow.name}_{number}",
                           "upstream": previous, "command": command})
        previous = str(number)
    if not flow.tasks and not flow.errors:
        flow.fail("EMPTY_COMMAND", "the task has no Exec action: nothing to run")


def _principal(flow: FlowRows, task: Element) -> None:
    principal = _child(task, "Principals", "Principal")
    account = _text(principal, "UserId") or _text(principal, "GroupId")
    if not account:
        return
    flow.cells["owners"] = account
    how = ", ".join(f"{name} {_text(principal, name)}" for name in ("RunLevel", "LogonType") if _text(principal, name))
    flow.warn("RUN_AS", f"the task ran as {account}{f' ({how})' if how else ''}; the flow runs as the service's "
                        "doAs account instead")


def _settings(flow: FlowRows, task: Element) -> None:
    settings = _child(task, "Settings")
    enabled = _text(settings, "Enabled", default="true").lower() != "false"
    flow.cells["active"] = "1" if enabled else "0"
    if not enabled:
        flow.warn("SOURCE_DISABLED", "the task's Settings/Enabled is false (disabled): saved inactive")
    changed = [f"{name}={_text(settings, name)}" for name, default in SETTING_DEFAULTS.items()
               if _child(settings, name) is not None and _text(settings, name) != default]
    restart = _child(settings, "RestartOnFailure")
    if restart is not None:
        changed.append(f"RestartOnFailure={_text(restart, 'Count')} times every {_text(restart, 'Interval')}")
    for name, condition in (("IdleSettings", "RunOnlyIfIdle"), ("NetworkSettings", "RunOnlyIfNetworkAvailable")):
        found = _child(settings, name)
        if found is not None and len(found) and _text(settings, condition).lower() == "true":
            changed.append(_setting(found))
    changed += [_setting(child) for child in _children(settings) if _local(child.tag) not in SETTINGS_READ]
    if changed:
        flow.warn("TASK_SETTING", f"{', '.join(changed)} not carried (a flow has no such setting)")


def _shown(element: Element | None) -> str:
    """An element's children as `Name=value`, nested ones the same way (MaintenanceSettings' Period)."""
    return ", ".join(map(_setting, _children(element)))


def _setting(element: Element) -> str:
    name = _local(element.tag)
    return f"{name}({_shown(element)})" if len(element) else f"{name}={(element.text or '').strip()}"


def task_flow(found: FoundTask) -> FlowRows:
    name = found.name.strip()
    flow = FlowRows(key=name, name=name.strip("\\").replace("\\", "_").replace(" ", "_") or "task")
    _settings(flow, found.task)
    _schedule(flow, found.task)  # after the state: an EndBoundary that has passed makes the flow inactive
    _actions(flow, found.task)
    _principal(flow, found.task)
    description = _text(found.task, "RegistrationInfo", "Description")
    flow.cells["desc"] = (description or f"Windows task {name}")[:500]
    return flow


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    include_builtin = _include_builtin(settings)
    every = _found(settings)
    builtin = [] if include_builtin else [found for found in every if is_builtin(found.name)]
    kept = [found for found in every if include_builtin or not is_builtin(found.name)]
    if not kept:
        raise SourceError(f"{settings.path}: the export holds only Windows' own tasks ({len(builtin)} under "
                          "\\Microsoft\\Windows\\, skipped by default): set [source] options = { include_builtin = "
                          "true } to plan them")
    seen: set[str] = set()
    for number, found in enumerate(kept):
        flow = task_flow(found)
        if number == 0 and builtin:  # one note for the export, not one flow each: it rides on the first
            shown = ", ".join(f.name.strip() for f in builtin[:3]) + (", ..." if len(builtin) > 3 else "")
            flow.warn("BUILTIN_TASKS_SKIPPED", f"{len(builtin)} of Windows' own tasks (under \\Microsoft\\Windows\\: "
                                               f"{shown}) were skipped, not planned; [source] options = "
                                               "{ include_builtin = true } plans them")
        if flow.key in seen:
            flow.fail("DUPLICATE_TASK", f"{found.path}: {flow.key} comes twice in the export")
        seen.add(flow.key)
        yield flow


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("taskxml", "quartz", read, "Windows Task Scheduler XML: schtasks /query /xml, Export-ScheduledTask")
