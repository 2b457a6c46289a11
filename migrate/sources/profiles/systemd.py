"""systemd timers: one flow per `.timer` unit, its service's commands the tasks.

What it reads (`[source] path`): a folder of unit files (a copy of /etc/systemd/system, or one
folder a host), a zip of one, a single `.timer` file (its service and drop-ins are taken from its
folder), or the output of `systemctl cat UNIT…` (units and drop-ins one after another, each after
its `# /path` line). Units are read as systemd reads them: `[Section]`s, `Key=Value`, comments
(`#`, `;`), lines continued by a final `\\`, an empty assignment resetting a list, and drop-ins
`UNIT.d/*.conf` (and a template's `NAME@.timer.d/`) applied after the unit in file-name order.
Where one export holds a unit in several of systemd's folders, /etc wins over /run over /usr/lib,
as in systemd.

The timer: `OnCalendar=` (systemd.time(7)) converted exactly by `migrate.schedule.systemd`, several
lines merged when their union is one schedule, else MULTIPLE_TRIGGERS; its zone (`… Europe/Berlin`)
the flow's `timezone` (none: the host's local time, `[mapping] source_timezone`). A timer with only
monotonic triggers (`OnBootSec=`, `OnStartupSec=`, `OnActiveSec=`, `OnUnitActiveSec=`,
`OnUnitInactiveSec=`) has no time schedule (`unscheduled`); with a calendar too they are
MONOTONIC_TRIGGER. `Persistent=`, `RandomizedDelaySec=`, `AccuracySec=`, `WakeSystem=` and the
rest of [Timer] are reported by name. The unit it starts is `Unit=`, else the timer's own name
with `.service`.

The service: `ExecStartPre=`, `ExecStart=` and `ExecStartPost=` lines are the tasks, one after
another (each waits for the one before, as systemd runs them); their prefixes (`-`, `@`, `+`, `!`,
`:`) and specifiers (`%h`) are reported, a template instance's `%i`, `%I`, `%n`, `%N`, `%p`
resolved. `Environment=` assignments are flow parameters (ENVIRONMENT_SECRET for names that look
like secrets, as in the crontab profile), `EnvironmentFile=` is reported, `User=` and `Group=` are
RUN_AS, `WorkingDirectory=` is WORKING_DIRECTORY; other settings and the units' dependencies are
reported by name.

State: an export with `*.wants/` folders (the links `systemctl enable` makes) says which timers
are enabled: one not linked, or masked (a link to /dev/null), is saved inactive (SOURCE_DISABLED).
Without them whether a timer was enabled is unknown: saved active with ENABLED_UNKNOWN.

A timer linked from a *.wants folder whose unit file the copy lacks (installed in /usr/lib, say,
and left out) is a failing flow, MISSING_UNIT, naming the link. A zip is read within bounds (1 MiB
a unit file, 64 MiB in all, counted as it inflates), the member past them named.

A flow's key is the timer's name, after the folder it was found in when that is not one of
systemd's own (`host1/backup.timer`); its name the same with `/`, `@`, blanks and punctuation as
`_`, letters of any script kept as written (`backup-été`); two timers whose names still meet are
NAME_COLLISION.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from migrate.config import SourceSettings
from migrate.schedule.result import Rejection
from migrate.schedule.systemd import CalendarEvent, convert_calendar, merge_calendars
from migrate.sources.profiles import FlowRows, Profile, parameters_text, rows_of
from migrate.sources.profiles.crontab import SECRET_NAME
from migrate.sources.readers import SourceError, SourceRow

UNIT_SUFFIXES = (".timer", ".service")
MONOTONIC = ("OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec")
TIMER_REPORTED = {
    "Persistent": ("PERSISTENT", "a run missed while the machine was off was started at the next boot; the service "
                                 "does not catch up missed runs"),
    "RandomizedDelaySec": ("RANDOMIZED_DELAY", "each run was delayed by a random time up to this; the flow runs on "
                                               "the minute"),
    "FixedRandomDelay": ("RANDOMIZED_DELAY", "the random delay was the same for every run"),
    "AccuracySec": ("ACCURACY", "the timer could fire up to this late; the flow runs on the minute"),
    "WakeSystem": ("WAKE_SYSTEM", "the timer woke the machine from suspend"),
}
SERVICE_CARRIED = ("ExecStart", "ExecStartPre", "ExecStartPost", "Environment", "EnvironmentFile", "User", "Group",
                   "WorkingDirectory", "Type")
UNIT_DEPENDENCIES = ("After", "Before", "Requires", "Wants", "BindsTo", "Requisite", "PartOf", "Conflicts", "Upholds")
UNIT_DESCRIBED = ("Description", "Documentation")
# systemd's unit folders, searched in this order (the first that holds a unit wins).
UNIT_FOLDERS = ("etc/systemd/system", "etc/systemd/user", "run/systemd/system", "usr/local/lib/systemd/system",
                "usr/lib/systemd/system", "lib/systemd/system", "usr/lib/systemd/user", ".config/systemd/user")
EXEC_PREFIXES = {"@": "the first argument was passed as argv[0]", "-": "a failure of this command was ignored",
                 ":": "environment variables were not substituted", "+": "it ran with full privileges",
                 "!": "it ran with elevated privileges"}
KNOWN_SPECIFIERS = "iInNp%"
SPECIFIER = re.compile(r"%(.)")
# What a flow name cannot hold here: `/` and `@` (the host and instance separators) and blanks and
# punctuation; letters of any script stay, as written (Save Flow's name is any non-empty string), so
# `backup-été` and `backup-ete` stay two names.
NAME_UNSAFE = re.compile(r"[^\w.-]+")
# A unit file is a few kilobytes: a zip member or a whole zip above these is no copy of unit
# folders, and is refused before it is read (a small zip can inflate to gigabytes).
MAX_MEMBER_BYTES = 1 << 20
MAX_ZIP_BYTES = 64 << 20
SYSTEMCTL_CAT_HEADER = re.compile(r"^# (/\S+)$")
EXPECTED = ("expected systemd units: .timer files (each with its .service), in a folder, a zip, a single .timer "
            "file or `systemctl cat` output")


# -- the export: unit files, drop-ins and enablement links ------------------------------------------

@dataclass
class Export:
    """Every file of the export by its path inside it (POSIX), and links by path with their targets."""

    files: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    only: str | None = None  # a single .timer file given: only it becomes a flow


def _host_and_folder(folder: str) -> tuple[str, int]:
    """The part of a folder that names the host (or the export's own grouping) and the rank of
    the systemd folder after it (lower wins; unknown folders rank last)."""
    folder = "" if folder == "." else folder
    for rank, known in enumerate(UNIT_FOLDERS):
        if folder == known or folder.endswith("/" + known):
            return folder[: len(folder) - len(known)].rstrip("/"), rank
    return folder, len(UNIT_FOLDERS)


def _read_folder(root: Path) -> Export:
    export = Export()
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                export.links[relative] = os.readlink(path)
                if not (path.resolve().is_file() and name.endswith(UNIT_SUFFIXES)):
                    continue
            if name.endswith((*UNIT_SUFFIXES, ".conf")):
                export.files[relative] = _decode(path.read_bytes(), relative)
    return export


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, read_so_far: int) -> bytes:
    """One member's bytes, refused past MAX_MEMBER_BYTES or when the zip's total would pass
    MAX_ZIP_BYTES. The sizes a zip declares can lie, so the bytes are counted as they inflate."""
    where = f"{path}: member {info.filename}"
    if info.file_size > MAX_MEMBER_BYTES:
        raise SourceError(f"{where} is {info.file_size} bytes unpacked, more than a unit file can be "
                          f"({MAX_MEMBER_BYTES} bytes): refused (remove it from the zip, or give the folder)")
    with archive.open(info) as member:
        data = member.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise SourceError(f"{where} inflates past {MAX_MEMBER_BYTES} bytes, more than a unit file can be: refused")
    if read_so_far + len(data) > MAX_ZIP_BYTES:
        raise SourceError(f"{where}: the zip's unit files pass {MAX_ZIP_BYTES} bytes unpacked in all, more than "
                          "unit folders hold: refused (split the export, or give the folder)")
    return data


def _read_zip(path: Path) -> Export:
    export = Export()
    read_so_far = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                name = info.filename.lstrip("/")
                is_link = stat.S_ISLNK(info.external_attr >> 16)
                if not is_link and not name.endswith((*UNIT_SUFFIXES, ".conf")):
                    continue  # never inflated: only units, drop-ins and links are read
                data = _read_member(archive, info, path, read_so_far)
                read_so_far += len(data)
                if is_link:
                    export.links[name] = data.decode("utf-8", "replace")
                else:
                    export.files[name] = _decode(data, f"{path}:{name}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as error:
        raise SourceError(f"{path}: not a readable zip ({error})") from None
    return export


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"{where}: not UTF-8 text (byte {error.start})") from None


def _read_systemctl_cat(text: str) -> Export:
    """`systemctl cat` output: each unit and drop-in after a `# /its/path` line."""
    export = Export()
    current: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        header = SYSTEMCTL_CAT_HEADER.match(line)
        if header and header[1].endswith((*UNIT_SUFFIXES, ".conf")):
            if current is not None:
                export.files[current] = "\n".join(lines)
            current, lines = header[1].lstrip("/"), []
        else:
            lines.append(line)
    if current is not None:
        export.files[current] = "\n".join(lines)
    return export


def read_export(settings: SourceSettings) -> Export:
    path = settings.path
    if path.is_dir():
        return _read_folder(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    text = _decode(path.read_bytes(), str(path))
    if any(SYSTEMCTL_CAT_HEADER.match(line) for line in text.splitlines()[:3]):
        return _read_systemctl_cat(text)
    if path.suffix == ".timer":  # its service and drop-ins are beside it
        export = _read_folder(path.parent)
        export.only = path.name
        return export
    raise SourceError(f"{path}: this does not look like a systemd timer export ({EXPECTED}; found a "
                      f"{path.suffix or 'suffix-less'} file)")


# -- one unit file, parsed as systemd parses it ----------------------------------------------------

@dataclass(frozen=True)
class Assignment:
    section: str
    key: str
    value: str


@dataclass
class Unit:
    """A unit's assignments (the file's, then its drop-ins'), and what systemd would have logged."""

    name: str
    path: str
    assignments: list[Assignment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def values(self, section: str, key: str) -> list[str]:
        """A list setting: every assignment in order; an empty one resets the list."""
        found: list[str] = []
        for a in self.assignments:
            if a.section == section and a.key == key:
                found = [] if not a.value else [*found, a.value]
        return found

    def value(self, section: str, key: str) -> str:
        """A single setting: the last assignment wins."""
        values = [a.value for a in self.assignments if a.section == section and a.key == key]
        return values[-1] if values else ""

    def keys(self, section: str) -> list[str]:
        return list(dict.fromkeys(a.key for a in self.assignments if a.section == section))


def parse_unit(text: str, where: str, unit: Unit) -> None:
    """Add a unit file's (or drop-in's) assignments to `unit`; lines systemd would ignore with a
    warning are noted in `unit.problems`, naming the file and line."""
    section = ""
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        line = lines[number].strip()
        number += 1
        first = number
        while line.endswith("\\") and number < len(lines):  # continued: the backslash becomes a blank
            following = lines[number].strip()
            number += 1
            if following.startswith(("#", ";")):
                continue  # a comment inside a continuation is skipped
            line = line[:-1] + " " + following
        line = line.removesuffix("\\").strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                unit.problems.append(f"{where}: line {first}: {line[:60]!r} is not a [Section] header")
                continue
            section = line[1:-1]
            continue
        key, equals, value = line.partition("=")
        if not equals or not key.strip():
            unit.problems.append(f"{where}: line {first}: {line[:60]!r} is not a Key=Value line (ignored by systemd)")
            continue
        if not section:
            unit.problems.append(f"{where}: line {first}: {line[:60]!r} stands before any [Section] (ignored by "
                                 "systemd)")
            continue
        unit.assignments.append(Assignment(section, key.strip(), value.strip()))


# -- the export's units, by host and name ----------------------------------------------------------

@dataclass
class Catalogue:
    """Units, drop-ins and enablement of an export, by (host, unit name)."""

    units: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)  # -> (folder rank, path)
    dropins: dict[tuple[str, str], dict[str, tuple[int, str]]] = field(default_factory=dict)
    enabled: dict[str, set[str]] = field(default_factory=dict)  # host -> linked unit names
    linked_from: dict[tuple[str, str], str] = field(default_factory=dict)  # (host, unit) -> its first link's path
    masked: dict[str, set[str]] = field(default_factory=dict)
    has_wants: set[str] = field(default_factory=set)  # hosts with *.wants folders


def catalogue(export: Export) -> Catalogue:
    found = Catalogue()
    for path, target in export.links.items():
        parts = PurePosixPath(path)
        host, _ = _host_and_folder(parts.parent.parent.as_posix() if parts.parent.name.endswith(
            (".wants", ".requires", ".upholds")) else parts.parent.as_posix())
        if parts.parent.name.endswith((".wants", ".requires", ".upholds")):
            found.has_wants.add(host)
            found.enabled.setdefault(host, set()).add(parts.name)
            found.linked_from.setdefault((host, parts.name), f"{path} -> {target}")
        elif target == "/dev/null":
            found.masked.setdefault(host, set()).add(parts.name)
    for path in export.files:
        parts = PurePosixPath(path)
        if parts.parent.name.endswith((".wants", ".requires", ".upholds")):
            host, _ = _host_and_folder(parts.parent.parent.as_posix())
            found.has_wants.add(host)
            found.enabled.setdefault(host, set()).add(parts.name)
            found.linked_from.setdefault((host, parts.name), path)
        elif parts.suffix == ".conf" and parts.parent.name.endswith(tuple(f"{s}.d" for s in UNIT_SUFFIXES)):
            host, rank = _host_and_folder(parts.parent.parent.as_posix())
            confs = found.dropins.setdefault((host, parts.parent.name.removesuffix(".d")), {})
            if parts.name not in confs or rank < confs[parts.name][0]:
                confs[parts.name] = (rank, path)
        elif parts.suffix in UNIT_SUFFIXES:
            host, rank = _host_and_folder(parts.parent.as_posix())
            key = (host, parts.name)
            if key not in found.units or rank < found.units[key][0]:
                found.units[key] = (rank, path)
    return found


def _template_of(name: str) -> str | None:
    """`backup@home.timer` -> `backup@.timer`; None for a name that is no instance."""
    match = re.fullmatch(r"([^@]+)@([^@]+)(\.\w+)", name)
    return f"{match[1]}@{match[3]}" if match else None


def load_unit(export: Export, found: Catalogue, host: str, name: str) -> Unit | None:
    """A unit with its drop-ins (a template's first, then the instance's), or None when absent."""
    template = _template_of(name)
    source = found.units.get((host, name)) or (found.units.get((host, template)) if template else None)
    if source is None:
        return None
    unit = Unit(name, source[1])
    parse_unit(export.files[source[1]], source[1], unit)
    for owner in (template, name):
        if owner is None:
            continue
        for conf in sorted(found.dropins.get((host, owner), {})):
            path = found.dropins[(host, owner)][conf][1]
            parse_unit(export.files[path], path, unit)
    return unit


# -- one timer: its flow ---------------------------------------------------------------------------

def flow_identity(host: str, name: str) -> tuple[str, str]:
    key = f"{host}/{name}" if host else name
    flow_name = NAME_UNSAFE.sub("_", key.removesuffix(".timer").replace("/", "_").replace("@", "_")).strip("_")
    return key, flow_name or "timer"


def _schedule(flow: FlowRows, timer: Unit) -> None:
    calendars = timer.values("Timer", "OnCalendar")
    monotonic = [f"{key}={v}" for key in MONOTONIC for v in timer.values("Timer", key)]
    if not calendars:
        if monotonic:
            flow.unscheduled(f"a systemd timer started {', '.join(monotonic)} after boot or activation: it has no "
                             "time schedule")
        else:
            flow.unscheduled("a systemd timer with no OnCalendar= and no monotonic trigger: nothing starts it")
        return
    try:
        events: list[CalendarEvent] = [convert_calendar(value) for value in calendars]
        event = merge_calendars(events)
    except Rejection as rejection:
        flow.fail(rejection.code, f"{timer.path}: OnCalendar=: {rejection.message}")
        return
    flow.schedule = event.converted.freq
    # The source, for the proof (mapping/flows.py, schedule/proof_systemd.py): a line as written, several as a JSON list
    flow.cells.update(source_schedule=calendars[0] if len(calendars) == 1 else json.dumps(calendars),
                      source_grammar="systemd")
    if event.timezone:
        flow.cells["timezone"] = event.timezone
    else:  # as the kubernetes profile's CONTROLLER_TIMEZONE: the zone is assumed, so it is said
        flow.warn("HOST_TIMEZONE", f"{timer.path}: OnCalendar= names no zone: the timer fired in the host's local "
                                   "zone (timedatectl), which the export does not say; set [mapping] "
                                   "source_timezone to it, else the schedule is taken to be in the service's zone")
    for warning in event.converted.warnings:
        if warning.code == "CALENDARS_MERGED":
            flow.warn(warning.code, f"{timer.path}: {warning.message} ({warning.old} -> {warning.new})")
    if monotonic:
        flow.warn("MONOTONIC_TRIGGER", f"{timer.path}: {', '.join(monotonic)} also started the service, counted "
                                       "from boot or its last run; the flow keeps the calendar schedule only")


def _timer_settings(flow: FlowRows, timer: Unit) -> str:
    """The [Timer] settings beyond the triggers, each reported; the unit it starts."""
    other = []
    for key in timer.keys("Timer"):
        value = timer.value("Timer", key)
        if key in ("OnCalendar", "Unit", *MONOTONIC):
            continue
        if key in TIMER_REPORTED:
            code, meaning = TIMER_REPORTED[key]
            if key in ("Persistent", "WakeSystem", "FixedRandomDelay") and value.lower() not in (
                    "1", "yes", "true", "on"):
                continue
            flow.warn(code, f"{timer.path}: {key}={value}: {meaning}")
        else:
            other.append(f"{key}={value}")
    if other:
        flow.warn("TIMER_SETTING", f"{timer.path}: {', '.join(other)} not carried (a flow has no such setting)")
    return timer.value("Timer", "Unit") or timer.name.removesuffix(".timer") + ".service"


def _state(flow: FlowRows, found: Catalogue, host: str, timer: Unit) -> None:
    if timer.name in found.masked.get(host, set()):
        flow.cells["active"] = "0"
        flow.warn("SOURCE_DISABLED", f"{timer.name} is masked (linked to /dev/null): saved inactive")
    elif host in found.has_wants:
        enabled = timer.name in found.enabled.get(host, set())
        flow.cells["active"] = "1" if enabled else "0"
        if not enabled:
            flow.warn("SOURCE_DISABLED", f"{timer.name} is not linked from any *.wants folder of the export (not "
                                         "enabled): saved inactive")
    else:
        flow.cells["active"] = "1"
        wanted = ", ".join(timer.values("Install", "WantedBy")) or "no [Install] WantedBy="
        flow.warn("ENABLED_UNKNOWN", f"the export has no *.wants folders, so whether {timer.name} was enabled is "
                                     f"unknown ({wanted}): saved active")


def _specifiers(command: str, unit_name: str) -> tuple[str, list[str]]:
    """A template instance's %i, %I, %n, %N, %p resolved; other specifiers left and named."""
    base = unit_name.rsplit(".", 1)[0]
    prefix, _, instance = base.partition("@")
    values = {"i": instance, "I": instance.replace("-", "/"), "n": unit_name, "N": base, "p": prefix, "%": "%"}
    unknown: list[str] = []

    def resolve(match: re.Match[str]) -> str:
        letter = match[1]
        if letter in KNOWN_SPECIFIERS:
            return values[letter]
        unknown.append(match[0])
        return match[0]

    return SPECIFIER.sub(resolve, command), unknown


def _tasks(flow: FlowRows, service: Unit) -> None:
    commands = [(kind, value) for kind in ("ExecStartPre", "ExecStart", "ExecStartPost")
                for value in service.values("Service", kind)]
    if not any(kind == "ExecStart" for kind, _ in commands):
        flow.fail("EMPTY_COMMAND", f"{service.path}: the service has no ExecStart=: nothing to run")
        return
    counts: dict[str, int] = {}
    previous = ""
    for number, (kind, value) in enumerate(commands, start=1):
        prefixes = re.match(r"^[-@:+!]*", value)
        marks = prefixes[0] if prefixes else ""
        command, unknown = _specifiers(value[len(marks):].strip(), service.name)
        for mark in dict.fromkeys(marks.replace("!!", "!")):
            code = "IGNORE_FAILURE" if mark == "-" else "EXEC_PREFIX"
            flow.warn(code, f"{service.path}: {kind}={value}: {EXEC_PREFIXES[mark]} ({mark}); the task runs the "
                            "command as the service runs it")
        if unknown:
            flow.warn("SPECIFIER", f"{service.path}: {kind}={value}: {', '.join(unknown)} are systemd specifiers, "
                                   "kept as written (the service does not resolve them)")
        counts[kind] = counts.get(kind, 0) + 1
        suffix = {"ExecStartPre": f"_pre{counts[kind]}", "ExecStartPost": f"_post{counts[kind]}"}.get(
            kind, "" if counts[kind] == 1 else f"_{counts[kind]}")
        flow.tasks.append({"task_id": str(number), "task_name": f"{flow.name}{suffix}", "upstream": previous,
                           "command": command})
        previous = str(number)


def _environment(flow: FlowRows, service: Unit) -> None:
    pairs: dict[str, str] = {}
    for value in service.values("Service", "Environment"):
        try:
            words = shlex.split(value)
        except ValueError:
            flow.warn("MALFORMED_LINE", f"{service.path}: Environment={value}: unbalanced quotes, not carried")
            continue
        for word in words:
            name, equals, setting = word.partition("=")
            if equals and name:
                pairs[name] = setting
    if pairs:
        flow.cells["params"] = parameters_text([{"key": k, "value": v} for k, v in pairs.items()])
    secrets = [name for name in pairs if SECRET_NAME.search(name)]
    if secrets:
        flow.warn("ENVIRONMENT_SECRET", f"{service.path}: {', '.join(secrets)} look like secrets: carried as flow "
                                        "parameters, which every owner and visitor of the flow can read (and a "
                                        "result log with log_payload); move them to the service's own secret store")
    for value in service.values("Service", "EnvironmentFile"):
        flow.warn("ENVIRONMENT_FILE", f"{service.path}: EnvironmentFile={value}: the file's variables are not in the "
                                      "export; add them as flow parameters")


def _service_settings(flow: FlowRows, service: Unit) -> None:
    run_as = [f"{key}={service.value('Service', key)}" for key in ("User", "Group", "DynamicUser")
              if service.value("Service", key)]
    if run_as:
        flow.warn("RUN_AS", f"{service.path}: the service ran as {', '.join(run_as)}; the flow runs as the service's "
                            "doAs account instead")
    directory = service.value("Service", "WorkingDirectory")
    if directory:
        flow.warn("WORKING_DIRECTORY", f"{service.path}: the commands started in {directory}; a task's command runs "
                                       "where the service runs it: add a cd to the command if it needs that folder")
    other = [f"{key}={service.value('Service', key)}" for key in service.keys("Service")
             if key not in (*SERVICE_CARRIED, "DynamicUser")]
    if other:
        flow.warn("SERVICE_SETTING", f"{service.path}: {', '.join(other)} not carried (a flow task has no such "
                                     "setting)")


def _unit_section(flow: FlowRows, unit: Unit) -> None:
    dependencies = [f"{key}={' '.join(unit.values('Unit', key))}" for key in UNIT_DEPENDENCIES
                    if unit.values("Unit", key)]
    if dependencies:
        flow.warn("UNIT_DEPENDENCY", f"{unit.path}: {'; '.join(dependencies)}: ordering and dependencies on other "
                                     "units are not carried")
    other = [f"{key}={unit.value('Unit', key)}" for key in unit.keys("Unit")
             if key not in (*UNIT_DEPENDENCIES, *UNIT_DESCRIBED)]
    if other:
        flow.warn("UNIT_SETTING", f"{unit.path}: {', '.join(other)} not carried")


def timer_flow(export: Export, found: Catalogue, host: str, timer: Unit) -> FlowRows:
    key, name = flow_identity(host, timer.name)
    flow = FlowRows(key=key, name=name)
    _schedule(flow, timer)
    service_name = _timer_settings(flow, timer)
    _state(flow, found, host, timer)
    _unit_section(flow, timer)
    for problem in timer.problems:
        flow.warn("MALFORMED_LINE", problem)
    service = load_unit(export, found, host, service_name)
    description = timer.value("Unit", "Description")
    if service is None:
        where = f"{host}/" if host else ""
        flow.fail("MISSING_SERVICE", f"{timer.path}: the unit it starts, {where}{service_name}, is not in the export")
    elif not service_name.endswith(".service"):
        flow.fail("MISSING_SERVICE", f"{timer.path}: Unit={service_name} is not a service: only services run commands")
    else:
        description = description or service.value("Unit", "Description")
        _tasks(flow, service)
        _environment(flow, service)
        _service_settings(flow, service)
        _unit_section(flow, service)
        for problem in service.problems:
            flow.warn("MALFORMED_LINE", problem)
    flow.cells["desc"] = (description or f"systemd timer {key}")[:500]
    return flow


def _template_without_instance(host: str, name: str, path: str) -> FlowRows:
    key, flow_name = flow_identity(host, name)
    flow = FlowRows(key=key, name=flow_name)
    flow.fail("TEMPLATE_UNIT", f"{path}: a template timer runs only as instances ({name.replace('@', '@NAME')}), "
                               "and the export links none from a *.wants folder")
    flow.cells["active"] = "0"
    return flow


def _enabled_without_unit(export: Export, found: Catalogue) -> list[tuple[str, str]]:
    """Timers linked from a *.wants folder (enabled) whose unit file, and template, the export lacks."""
    if export.only is not None:
        return []
    missing = []
    for host, names in found.enabled.items():
        for name in names:
            template = _template_of(name)
            masked = name in found.masked.get(host, set())
            if (name.endswith(".timer") and (host, name) not in found.units and not masked
                    and (template is None or (host, template) not in found.units)):
                missing.append((host, name))
    return sorted(missing)


def _missing_unit(found: Catalogue, host: str, name: str) -> FlowRows:
    """An enabled timer whose unit file is not in the copy. It is a flow that fails, not a warning
    on the run: it was running on the host, so a careful user looks for it among the flows, and a
    failure keeps `plan` from saying all is well (exit 5) until the copy is completed."""
    key, flow_name = flow_identity(host, name)
    flow = FlowRows(key=key, name=flow_name)
    link = found.linked_from.get((host, name), name)
    flow.fail("MISSING_UNIT", f"{name} is enabled ({link}) but the export holds no unit file for it (nor a "
                              "template): copy the .timer and its .service too (systemctl cat "
                              f"{name} shows where they are)")
    flow.cells["active"] = "1"
    return flow


def _timer_flows(export: Export, found: Catalogue) -> Iterator[FlowRows]:
    timers = sorted((host, name) for host, name in found.units if name.endswith(".timer")
                    and (export.only is None or name == export.only))
    for host, name in timers:
        if _template_of(name) is None and "@." in name:
            instances = sorted(n for n in found.enabled.get(host, set()) if _template_of(n) == name)
            if not instances:
                yield _template_without_instance(host, name, found.units[(host, name)][1])
            for instance in instances:
                if (host, instance) not in found.units:
                    unit = load_unit(export, found, host, instance)
                    assert unit is not None  # its template is in the export
                    yield timer_flow(export, found, host, unit)
            continue
        unit = load_unit(export, found, host, name)
        assert unit is not None
        yield timer_flow(export, found, host, unit)


def _distinct_names(flows: Iterator[FlowRows]) -> Iterator[FlowRows]:
    """Two timers whose names differ only in what a flow name cannot hold (`a b.timer`, `a_b.timer`)
    would be one flow by name: the second is refused, naming the first."""
    first_of: dict[str, str] = {}
    for flow in flows:
        first = first_of.setdefault(flow.name, flow.key)
        if first != flow.key:
            flow.fail("NAME_COLLISION", f"{flow.key} becomes the flow name {flow.name!r}, as {first} does (blanks, "
                                        "/, @ and punctuation are written _): rename one of the units, or map "
                                        "[mapping.fields] name to a column of your own")
        yield flow


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    if settings.options:
        raise SourceError(f"{settings.path}: the systemd profile takes no options (given: {sorted(settings.options)})")
    export = read_export(settings)
    found = catalogue(export)
    has_timers = any(name.endswith(".timer") and (export.only is None or name == export.only)
                     for _, name in found.units)
    masked_only = sorted((host, name) for host, names in found.masked.items() for name in names
                         if name.endswith(".timer") and (host, name) not in found.units and export.only is None)
    missing = _enabled_without_unit(export, found)
    if not has_timers and not masked_only and not missing:
        seen = ", ".join(sorted(export.files)[:5]) or "no unit file"
        raise SourceError(f"{settings.path}: this does not look like a systemd timer export ({EXPECTED}; found "
                          f"{seen})")

    def every_flow() -> Iterator[FlowRows]:
        for host, name in masked_only:  # `systemctl mask` with no copy of the unit: nothing but its name is left
            key, flow_name = flow_identity(host, name)
            flow = FlowRows(key=key, name=flow_name)
            flow.fail("MASKED", f"{name} is masked (linked to /dev/null) and the export holds no unit file for it: "
                                "nothing to migrate but its name")
            flow.cells["active"] = "0"
            yield flow
        yield from (_missing_unit(found, host, name) for host, name in missing)
        yield from _timer_flows(export, found)

    yield from _distinct_names(every_flow())


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("systemd", "quartz", read, "systemd timers: .timer units with their .service")
