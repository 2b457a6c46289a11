"""systemd timers: one flow per `.timer` unit, its service's commands the tasks.

What it reads (`[source] path`): a folder of unit files (a copy of /etc/systemd/system, or one
folder a host; as systemd, no hidden file or folder, but a user's unit folders in their home,
`alice/.config/systemd/user` and `.local/share/systemd/user`, which are that user's units: the
others are named on the first flow, HIDDEN_NOT_READ), a zip of one, a single `.timer` file (its
service and drop-ins are taken from its folder), or the output of `systemctl cat UNIT…` (units
and drop-ins one after another, each after its `# /path` line). Units are read as systemd reads
them: `[Section]`s, `Key=Value`, comments (`#`, `;`), lines continued by a final `\\`, an empty
assignment resetting a list, and drop-ins `UNIT.d/*.conf` (and a template's `NAME@.timer.d/`)
applied after the unit in file-name order.
Where one export holds a unit in several of systemd's folders, /etc wins over /run over /usr/lib,
as in systemd.

The timer: `OnCalendar=` (systemd.time(7)) converted exactly by `migrate.schedule.systemd`, several
lines merged when their union is one schedule, else MULTIPLE_TRIGGERS; a line systemd cannot parse
(an inline `# comment` is none in a unit file) is left out as systemd leaves it out, the timer
firing on its other lines (CALENDAR_IGNORED; with none left systemd refuses the timer: so is the
flow, INVALID_SYNTAX); its zone (`… Europe/Berlin`) the flow's `timezone` (none: the host's local
time, `[mapping] source_timezone`). A timer with only monotonic triggers (`OnBootSec=`,
`OnStartupSec=`, `OnActiveSec=`, `OnUnitActiveSec=`, `OnUnitInactiveSec=`) has no time schedule
(`unscheduled`); with a calendar too they are MONOTONIC_TRIGGER. `Persistent=`,
`RandomizedDelaySec=`, `AccuracySec=`, `WakeSystem=` and the rest of [Timer] are reported by name,
unless set to what systemd does without them (`RandomizedDelaySec=0`, an accuracy of a minute or
less) or to a value systemd cannot read (MALFORMED_LINE: it keeps the default). The unit it starts
is `Unit=` (`zfs-scrub@%i.service` of `zfs-scrub-monthly@tank.timer` is `zfs-scrub@tank.service`),
else the timer's own name with `.service`.

Specifiers are resolved as systemd resolves them, against the unit's own name (`%n %N %p %P %i %I
%j %J %f %%`), in the values systemd expands them in (`OnCalendar=`, `Unit=`, `Description=`, the
commands, `Environment=`, `EnvironmentFile=`, `User=`, `Group=`, `WorkingDirectory=`); those of the
machine (`%H`, `%u`, `%h` …) are kept as written and named (SPECIFIER).

The service: `ExecStartPre=`, `ExecStart=` and `ExecStartPost=` lines are the tasks, one after
another (each waits for the one before, as systemd runs them; a line's commands parted by a lone
`;` each a task); their prefixes (`-`, `@`, `+`, `!`, `:`) are reported, `-` (a failure ignored) carried as
`… || true`. A command line is read as
systemd reads it (systemd.syntax(7) quoting and C escapes) and written as a shell command passing
the same words: `${NAME}` one word (`"${NAME}"`, blanks and all), `$NAME` alone split at blanks,
`$$` a dollar, nothing substituted after `:`; a variable no `Environment=` sets is
ENVIRONMENT_REFERENCE. `Environment=` assignments are flow parameters (ENVIRONMENT_SECRET for names that look
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
systemd's own (`host1/backup.timer`; a user's after their home: `alice/sync.timer`, from
`alice/.config/systemd/user`); its name the same with `/`, `@`, blanks and punctuation as `_`,
letters of any script kept as written (`backup-été`); two timers whose names still meet are
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
from migrate.redact import shown, shown_setting
from migrate.schedule.result import INVALID_SYNTAX, Rejection
from migrate.schedule.systemd import CalendarEvent, convert_calendar, merge_calendars, parse_calendar
from migrate.sources.profiles import SECRET_NAME, FlowRows, Profile, look_like_secrets, parameters_text, rows_of
from migrate.sources.readers import SourceError, SourceRow
from migrate.sources.tree import tree_files

UNIT_SUFFIXES = (".timer", ".service")
# The drop-in folders of every unit of a type (systemd 246 on: `service.d/`, `timer.d/`).
TYPE_DROPINS = ("service.d", "timer.d")
TYPE_AFTER = 1000  # a type's drop-in folders rank after every other folder of every priority
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
# [Timer] settings whose default (systemd.timer(5)) changes nothing a flow does: set to it (or, for
# AccuracySec, to less: the flow fires on time), or to a value systemd cannot read (it logs the line
# and keeps the default), they are not reported as a difference.
TIMER_TIMESPAN_DEFAULTS = {"RandomizedDelaySec": 0, "RandomizedOffsetSec": 0, "AccuracySec": 60_000_000}
TIMER_BOOLEAN_DEFAULTS = {"Persistent": False, "WakeSystem": False, "FixedRandomDelay": False,
                          "RemainAfterElapse": True, "OnClockChange": False, "OnTimezoneChange": False,
                          "DeferReactivation": False}
# systemd's parse_boolean() and parse_sec() (time-util.c): the words and units they take.
BOOLEAN_WORDS = {**dict.fromkeys(("1", "yes", "y", "true", "t", "on"), True),
                 **dict.fromkeys(("0", "no", "n", "false", "f", "off"), False)}
TIMESPAN_UNITS = {**dict.fromkeys(("us", "usec", "µs", "μs"), 1), **dict.fromkeys(("ms", "msec"), 1_000),
                  **dict.fromkeys(("", "s", "sec", "second", "seconds"), 1_000_000),
                  **dict.fromkeys(("m", "min", "minute", "minutes"), 60_000_000),
                  **dict.fromkeys(("h", "hr", "hour", "hours"), 3_600_000_000),
                  **dict.fromkeys(("d", "day", "days"), 86_400_000_000),
                  **dict.fromkeys(("w", "week", "weeks"), 604_800_000_000),
                  **dict.fromkeys(("M", "month", "months"), 2_629_800_000_000),
                  **dict.fromkeys(("y", "year", "years"), 31_557_600_000_000)}
TIMESPAN_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)[ \t]*([^\d\s.]*)[ \t]*")
SERVICE_CARRIED = ("ExecStart", "ExecStartPre", "ExecStartPost", "Environment", "EnvironmentFile", "User", "Group",
                   "WorkingDirectory", "Type")
UNIT_DEPENDENCIES = ("After", "Before", "Requires", "Wants", "BindsTo", "Requisite", "PartOf", "Conflicts", "Upholds")
UNIT_DESCRIBED = ("Description", "Documentation")
# `6:00,18:00`: two times to a reader, but to systemd hour 6 with minutes 00 and 18 (the list is
# one component's); converted as systemd fires it, and said, since the host likely did not mean it.
MINUTES_LIKE_TIMES = re.compile(r"(?<![\d:,])(\d{1,2}):(\d{2}),(\d{1,2}):\d{2}(?![\d,])")
# A user's own unit folders in their home (systemd.unit(5), "User Unit Search Path": ~/.config/systemd/user
# before ~/.local/share/systemd/user): hidden folders, read all the same, as that user's units.
USER_UNIT_FOLDERS = (".config/systemd/user", ".local/share/systemd/user")
# systemd's unit folders, searched in this order (the first that holds a unit wins).
UNIT_FOLDERS = ("etc/systemd/system", "etc/systemd/user", "run/systemd/system", "usr/local/lib/systemd/system",
                "usr/lib/systemd/system", "lib/systemd/system", "usr/lib/systemd/user", *USER_UNIT_FOLDERS)
# How many hidden entries not read a warning names (the rest counted).
HIDDEN_NAMED = 10
EXEC_PREFIXES = {"-": "a failure of this command was ignored", ":": "environment variables were not substituted",
                 "+": "it ran with full privileges", "!": "it ran with elevated privileges"}
# systemd.unit(5) "Specifiers": those a unit's own name gives are resolved; the others (%H the host,
# %u the user, %h its home, %t the runtime folder …) come from the machine, which the export does not
# hold: they are kept as written and named (SPECIFIER).
SPECIFIER = re.compile(r"%(.)")
UNIT_NAME_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")
# A command line as systemd.syntax(7) "Quoting" reads it: words between blanks, '…' and "…" quoting
# anywhere in a word, C escapes in and out of quotes (extract_first_word with EXTRACT_UNQUOTE and
# EXTRACT_CUNESCAPE); a lone `;` separates commands.
BLANKS = " \t\n\r"
C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
             '"': '"', "'": "'", "s": " "}
ENVIRONMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What the shell reads in a value that systemd's split of `$NAME` takes as text (or as quotes it removes).
SHELL_SPLIT_DIFFERS = re.compile(r"[\\'\"*?\[]")
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
    hidden: list[str] = field(default_factory=list)  # the folder's hidden entries not read, by path


def _host_and_folder(folder: str) -> tuple[str, int]:
    """The part of a folder that names the host (or the export's own grouping) and the rank of
    the systemd folder after it (lower wins; unknown folders rank last)."""
    folder = "" if folder == "." else folder
    for rank, known in enumerate(UNIT_FOLDERS):
        if folder == known or folder.endswith("/" + known):
            return folder[: len(folder) - len(known)].rstrip("/"), rank
    return folder, len(UNIT_FOLDERS)


def _hidden_entry(relative: str) -> str | None:
    """The hidden entry (a file or folder whose name starts with a dot) a file of the folder is in,
    by its path, or None when it is in none: as systemd (hidden_or_backup_file) reads no such entry
    of a unit folder. A user's unit folders (`alice/.config/systemd/user`) are hidden in their home and
    read: a file under one is in a hidden entry only below it; one beside it (`alice/.config/autostart`)
    is named by the part of its path that leaves the unit folder's."""
    parts = relative.split("/")
    folders = [folder.split("/") for folder in USER_UNIT_FOLDERS]
    at = 0
    while at < len(parts):
        if not parts[at].startswith("."):
            at += 1
            continue
        inner = next((folder for folder in folders if parts[at:at + len(folder)] == folder
                      and len(parts) > at + len(folder)), None)
        if inner is None:
            followed = max(_shared_start(parts[at:], folder) for folder in folders)
            return "/".join(parts[:at + followed + 1])
        at += len(inner)
    return None


def _shared_start(parts: list[str], folder: list[str]) -> int:
    """How many of `parts` are the first parts of `folder`."""
    count = 0
    while count < min(len(parts), len(folder)) and parts[count] == folder[count]:
        count += 1
    return count


def _read_folder(root: Path, settings: SourceSettings) -> Export:
    export = Export()
    inside = root.resolve()
    for path in tree_files(root, hidden=True):
        if settings.leaves_out(path):
            continue
        name, relative = path.name, path.relative_to(root).as_posix()
        if (hidden := _hidden_entry(relative)) is not None:  # not read, but named (the first flow's warning)
            if hidden not in export.hidden:
                export.hidden.append(hidden)
            continue
        if path.is_symlink():
            export.links[relative] = os.readlink(path)
            # Only a link to a file of the copy is read: `/lib/systemd/system/apt-daily.timer` is the
            # source host's file, which the copy lacks (MISSING_UNIT); the file at that path on the
            # machine running this is another host's, never read as the source's.
            target = path.resolve()
            if not (target.is_file() and target.is_relative_to(inside) and name.endswith(UNIT_SUFFIXES)):
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
        return _read_folder(path, settings)
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    text = _decode(path.read_bytes(), str(path))
    if any(SYSTEMCTL_CAT_HEADER.match(line) for line in text.splitlines()[:3]):
        return _read_systemctl_cat(text)
    if path.suffix == ".timer":  # its service and drop-ins are beside it
        export = _read_folder(path.parent, settings.model_copy(update={"path": path.parent}))
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
    where: str = ""  # `backup.timer: line 4`, for the messages that name the line


@dataclass
class Unit:
    """A unit's assignments (the file's, then its drop-ins'), and what systemd would have logged."""

    name: str
    path: str
    assignments: list[Assignment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)  # drop-ins of a name prefix or of the unit type it took

    def entries(self, section: str, key: str) -> list[Assignment]:
        """A list setting: every assignment in order; an empty one resets the list."""
        found: list[Assignment] = []
        for a in self.assignments:
            if a.section == section and a.key == key:
                found = [] if not a.value else [*found, a]
        return found

    def values(self, section: str, key: str) -> list[str]:
        return [a.value for a in self.entries(section, key)]

    def last(self, section: str, key: str) -> Assignment | None:
        """A single setting's assignment: the last wins."""
        found = [a for a in self.assignments if a.section == section and a.key == key]
        return found[-1] if found else None

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
                unit.problems.append(f"{where}: line {first}: {shown(line, 60)} is not a [Section] header")
                continue
            section = line[1:-1]
            continue
        key, equals, value = line.partition("=")
        if not equals or not key.strip():
            unit.problems.append(f"{where}: line {first}: {shown(line, 60)} is not a Key=Value line (ignored by "
                                 "systemd)")
            continue
        if not section:
            unit.problems.append(f"{where}: line {first}: {shown(line, 60)} stands before any [Section] (ignored by "
                                 "systemd)")
            continue
        unit.assignments.append(Assignment(section, key.strip(), value.strip(), f"{where}: line {first}"))


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
    # A unit linked into a unit folder (`systemctl link`, /etc's links into /lib) -> the link, as written
    linked_units: dict[tuple[str, str], str] = field(default_factory=dict)


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
        else:
            found.linked_units.setdefault((host, parts.name), f"{path} -> {target}")
    for path in export.files:
        parts = PurePosixPath(path)
        if parts.parent.name.endswith((".wants", ".requires", ".upholds")):
            host, _ = _host_and_folder(parts.parent.parent.as_posix())
            found.has_wants.add(host)
            found.enabled.setdefault(host, set()).add(parts.name)
            found.linked_from.setdefault((host, parts.name), path)
        elif parts.suffix == ".conf" and (parts.parent.name.endswith(tuple(f"{s}.d" for s in UNIT_SUFFIXES))
                                          or parts.parent.name in TYPE_DROPINS):
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
    """A unit with its drop-ins, or None when absent. systemd reads the drop-in folders of the
    unit's name, its template's (`backup@.timer.d`), each prefix of its name ending in a dash
    (`backup-db.service`: `backup-.service.d`, systemd 239 on) and its type (`service.d`, systemd
    246 on), and applies their `.conf` files in the order of their file names, wherever they are;
    of two files of one name, the one in the folder of higher priority (/etc before /usr/lib), then
    of the more specific name, is read and the other not."""
    template = _template_of(name)
    source = found.units.get((host, name)) or (found.units.get((host, template)) if template else None)
    if source is None:
        return None
    unit = Unit(name, source[1])
    parse_unit(export.files[source[1]], source[1], unit)
    owners = [name, *([template] if template else []), *_prefixes(name)]
    chosen: dict[str, tuple[tuple[int, int], str]] = {}  # file name -> ((priority, specificity), path)
    for specific, owner in enumerate([*owners, name.rsplit(".", 1)[-1]]):
        for conf, (rank, path) in found.dropins.get((host, owner), {}).items():
            # the type's folders come after every other, in every priority (systemd's dropin.c)
            order = (rank, specific) if specific < len(owners) else (TYPE_AFTER + rank, specific)
            if conf not in chosen or order < chosen[conf][0]:
                chosen[conf] = (order, path)
    for conf in sorted(chosen):
        (_, specific), path = chosen[conf]
        parse_unit(export.files[path], path, unit)
        if specific >= (2 if template else 1):
            unit.shared.append(path)
    return unit


def _prefixes(name: str) -> list[str]:
    """`a-b-c.service` -> `a-b-.service`, `a-.service`: the prefix before an instance, cut at each
    dash from the last (a leading dash is no prefix), the most specific first."""
    base, suffix = name.rsplit(".", 1)
    prefix = base.split("@", 1)[0]
    found = []
    while (dash := prefix.rfind("-")) > 0:
        found.append(f"{prefix[:dash + 1]}.{suffix}")
        prefix = prefix[:dash]
    return found


# -- values as systemd reads them: specifiers, time spans, booleans, command lines -------------------

def _unescaped(text: str) -> str:
    """systemd's unit_name_unescape: `-` is `/`, `\\xNN` the byte NN."""
    raw = UNIT_NAME_ESCAPE.sub(lambda match: bytes([int(match[1], 16)]), text.replace("-", "/").encode())
    return raw.decode("utf-8", "replace")


def name_specifiers(unit_name: str) -> dict[str, str]:
    """The specifiers a unit's name gives (systemd.unit(5)): %n, %N, %p, %P, %i, %I, %j, %J, %f, %%."""
    base = unit_name.rsplit(".", 1)[0]
    prefix, at, instance = base.partition("@")
    final = prefix.rsplit("-", 1)[-1]  # %j: the prefix after its last `-`
    named = instance if at else prefix  # %f: the instance as a path, else the prefix
    return {"n": unit_name, "N": base, "p": prefix, "P": _unescaped(prefix), "i": instance,
            "I": _unescaped(instance), "j": final, "J": _unescaped(final),
            "f": "/" if named == "-" else "/" + _unescaped(named), "%": "%"}


def resolve_specifiers(text: str, unit_name: str) -> tuple[str, list[str]]:
    """`text` with the specifiers of the unit's name resolved; the others kept, and listed."""
    values = name_specifiers(unit_name)
    unknown: list[str] = []

    def resolve(match: re.Match[str]) -> str:
        if match[1] in values:
            return values[match[1]]
        unknown.append(match[0])
        return match[0]

    return SPECIFIER.sub(resolve, text), list(dict.fromkeys(unknown))


def _warn_specifiers(flow: FlowRows, entry: Assignment, unknown: list[str]) -> None:
    if unknown:
        flow.warn("SPECIFIER", f"{entry.where}: {entry.key}={entry.value}: {', '.join(unknown)} are systemd "
                               "specifiers of the machine (its host, user or folders), which the export does not "
                               "hold: kept as written (the service does not resolve them)")


def resolved(flow: FlowRows, unit: Unit, entry: Assignment) -> str:
    """A setting's value with its specifiers resolved against the unit's own name, as systemd does
    when it loads the unit (an instance's %i is its instance)."""
    text, unknown = resolve_specifiers(entry.value, unit.name)
    _warn_specifiers(flow, entry, unknown)
    return text


def parse_timespan(text: str) -> int | None:
    """systemd's parse_sec(): `12h`, `1h 30min`, `90` (seconds), `infinity`, in microseconds; None
    for what systemd refuses (it then logs the line and ignores it)."""
    text = text.strip()
    if text == "infinity":
        return 2**64 - 1
    total, at = 0.0, 0
    while at < len(text):
        part = TIMESPAN_PART.match(text, at)
        if part is None or part[2] not in TIMESPAN_UNITS:
            return None
        total += float(part[1]) * TIMESPAN_UNITS[part[2]]
        at = part.end()
    return round(total) if text else None


def _escape(text: str, at: int) -> tuple[bytes, int]:
    """The C escape after a backslash at `at - 1` (systemd's cunescape_one), and where it ends. One
    systemd does not know (`\\d` of a regular expression) it keeps as written, backslash and all
    (extract_first_word_and_warn reads the word again with EXTRACT_CUNESCAPE_RELAX)."""
    letter = text[at:at + 1]
    if letter in C_ESCAPES and letter:
        return C_ESCAPES[letter].encode(), at + 1
    digits = {"x": 2, "u": 4, "U": 8}.get(letter, 0)
    if digits and re.fullmatch(f"[0-9a-fA-F]{{{digits}}}", text[at + 1:at + 1 + digits]):
        code = int(text[at + 1:at + 1 + digits], 16)
        if code and letter == "x":
            return bytes([code]), at + 1 + digits
        if code and code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code).encode(), at + 1 + digits
    if re.fullmatch("[0-7]{3}", text[at:at + 3]) and 0 < int(text[at:at + 3], 8) <= 255:
        return bytes([int(text[at:at + 3], 8)]), at + 3
    return ("\\" + letter).encode(), at + len(letter)


def systemd_words(text: str, commands: bool = True) -> list[str | None]:
    """A value split into words as systemd splits a command line or an `Environment=` line;
    with `commands`, None stands for a lone `;` between two commands (`\\;` is the word `;`).
    ValueError for what systemd refuses (an open quote)."""
    words: list[str | None] = []
    at = 0
    while True:
        while at < len(text) and text[at] in BLANKS:
            at += 1
        if at == len(text):
            return words
        ends = at + 1 == len(text) or text[at + 1] in BLANKS
        if commands and text[at] == ";" and ends:
            words.append(None)
            at += 1
            continue
        if commands and text.startswith("\\;", at) and (at + 2 == len(text) or text[at + 2] in BLANKS):
            words.append(";")
            at += 2
            continue
        word, quote = bytearray(), ""
        while at < len(text) and (quote or text[at] not in BLANKS):
            letter = text[at]
            if letter == "\\":
                piece, at = _escape(text, at + 1)
                word += piece
                continue
            if letter == quote:
                quote = ""
            elif not quote and letter in "'\"":
                quote = letter
            else:
                word += letter.encode()
            at += 1
        if quote:
            raise ValueError(f"its {quote} quote is not closed")
        words.append(word.decode("utf-8", "replace"))


def _shell_word(word: str, environment: dict[str, str], referenced: list[str], split: list[str]) -> str:
    """One argument as systemd substitutes the environment in it (replace_env_argv), written for a
    shell to give the same: `${NAME}` one word ("${NAME}"), `$NAME` alone split at blanks ($NAME),
    `$$` a `$`, any other text as it is (quoted). The names used are added to `referenced`, those
    whose known value a shell would split otherwise than systemd to `split`."""
    if word.startswith("$") and word[1:2] not in ("{", "$"):
        name = word[1:]
        if not ENVIRONMENT_NAME.fullmatch(name):
            return ""  # systemd drops a `$` word that names no variable
        referenced.append(name)
        if SHELL_SPLIT_DIFFERS.search(environment.get(name, "")):
            split.append(name)
        return f"${name}"
    pieces: list[str] = []
    literal: list[str] = []  # text since the last substitution, in chunks (joined once: a 1 MB word was quadratic)
    at = 0

    def text_so_far() -> None:
        if literal:
            pieces.append(shlex.quote("".join(literal)))
            literal.clear()

    while at < len(word):
        if word.startswith("$$", at):
            literal.append("$")
            at += 2
        elif word.startswith("${", at):
            close = re.compile(r"[}:]").search(word, at + 2)
            if close is None or close[0] == ":":  # `${NAME:-x}` is no substitution in a command line
                stop = len(word) if close is None else close.end()
                literal.append(word[at:stop])
                at = stop
                continue
            name = word[at + 2:close.start()]
            text_so_far()
            at = close.end()
            if ENVIRONMENT_NAME.fullmatch(name):  # an invalid name is an unset one: nothing
                referenced.append(name)
                pieces.append(f'"${{{name}}}"')
        elif word[at] == "$":  # a `$` before anything else is text, and so is the letter after it
            literal.append(word[at:at + 2])
            at += 2
        else:  # text up to the next `$` at once
            stop = word.find("$", at)
            stop = len(word) if stop < 0 else stop
            literal.append(word[at:stop])
            at = stop
    text_so_far()
    return "".join(pieces) or "''"


# -- one timer: its flow ---------------------------------------------------------------------------

def flow_identity(host: str, name: str) -> tuple[str, str]:
    key = f"{host}/{name}" if host else name
    flow_name = NAME_UNSAFE.sub("_", key.removesuffix(".timer").replace("/", "_").replace("@", "_")).strip("_")
    return key, flow_name or "timer"


def _calendars(flow: FlowRows, timer: Unit) -> tuple[list[str], list[str]]:
    """The `OnCalendar=` values systemd takes (specifiers resolved), and the lines it ignores: a
    value it cannot parse is logged and left out (config_parse_timer), the timer firing on the rest."""
    taken: list[str] = []
    ignored: list[str] = []
    for entry in timer.entries("Timer", "OnCalendar"):
        value = resolved(flow, timer, entry)
        try:
            parse_calendar(value)
        except Rejection as rejection:
            ignored.append(f"{entry.where}: OnCalendar={entry.value}: {rejection.message}")
            continue
        taken.append(value)
    return taken, ignored


def _schedule(flow: FlowRows, timer: Unit) -> None:
    calendars, ignored = _calendars(flow, timer)
    monotonic = [f"{key}={v}" for key in MONOTONIC for v in timer.values("Timer", key)]
    if ignored and not calendars and not monotonic:
        flow.fail(INVALID_SYNTAX, f"{'; '.join(ignored)}: systemd ignores such a line (it logs an error), and the "
                                  "timer has no other trigger, so systemd refuses to load it: it never ran")
        return
    for line in ignored:
        flow.warn("CALENDAR_IGNORED", f"{line}: systemd ignores this line (it logs an error) and fires on the "
                                      "timer's other triggers only, as the flow does; correct the line on the host "
                                      "if it was meant to fire")
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
    # The source, for the proof (mapping/flows.py, schedule/proof_systemd.py): a line as systemd
    # took it, several as a JSON list
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
    for value in calendars:
        if (times := MINUTES_LIKE_TIMES.search(value)) and int(times[3]) <= 23:
            hour, minute, later = times[1], times[2], times[3]
            flow.warn("CALENDAR_READING", f"{timer.path}: OnCalendar={value}: systemd reads {times[0]!r} as "
                                          f"{int(hour):02d}:{minute} and {int(hour):02d}:{int(later):02d} (the list "
                                          f"is the minutes'), and so does the flow; if {later}:00 was meant, the "
                                          f"host's timer never fired then: write {hour},{later}:{minute} there")
    if monotonic:
        flow.warn("MONOTONIC_TRIGGER", f"{timer.path}: {', '.join(monotonic)} also started the service, counted "
                                       "from boot or its last run; the flow keeps the calendar schedule only")


def _does_as_default(flow: FlowRows, entry: Assignment, delayed: bool) -> bool:
    """Whether a [Timer] setting does what systemd does without it: its default value (AccuracySec:
    the default or less, the flow firing on time), FixedRandomDelay= without a delay, or a value
    systemd cannot read (it logs the line and keeps the default: MALFORMED_LINE)."""
    value: int | bool | None
    if entry.key in TIMER_TIMESPAN_DEFAULTS:
        value, kind, default = parse_timespan(entry.value), "a time span", TIMER_TIMESPAN_DEFAULTS[entry.key]
    elif entry.key in TIMER_BOOLEAN_DEFAULTS:
        value, kind, default = BOOLEAN_WORDS.get(entry.value.lower()), "a boolean", TIMER_BOOLEAN_DEFAULTS[entry.key]
    else:
        return False
    if not entry.value:  # an empty assignment resets the setting
        return True
    if value is None:
        flow.warn("MALFORMED_LINE", f"{entry.where}: {entry.key}={entry.value} is not {kind} (an inline comment "
                                    "is no comment in a unit file): systemd ignores the line and keeps the default")
        return True
    if entry.key == "FixedRandomDelay" and not delayed:
        return True
    return value <= default if entry.key == "AccuracySec" else value == default


def _timer_settings(flow: FlowRows, timer: Unit) -> str:
    """The [Timer] settings beyond the triggers, each reported unless it does what systemd does
    without it; the unit the timer starts."""
    delay = timer.last("Timer", "RandomizedDelaySec")
    delayed = bool(delay and parse_timespan(delay.value))
    other = []
    for key in timer.keys("Timer"):
        entry = timer.last("Timer", key)
        if entry is None or key in ("OnCalendar", "Unit", *MONOTONIC) or _does_as_default(flow, entry, delayed):
            continue
        if key in TIMER_REPORTED:
            code, meaning = TIMER_REPORTED[key]
            flow.warn(code, f"{timer.path}: {shown_setting(key, entry.value, NAMES_NOT_SECRETS)}: {meaning}")
        else:
            other.append(shown_setting(key, entry.value, NAMES_NOT_SECRETS))
    if other:
        flow.warn("TIMER_SETTING", f"{timer.path}: {', '.join(other)} not carried (a flow has no such setting)")
    unit = timer.last("Timer", "Unit")
    if unit is not None and unit.value:
        return resolved(flow, timer, unit)  # `Unit=scrub@%i.service` of `scrub-monthly@tank.timer`: scrub@tank
    return timer.name.removesuffix(".timer") + ".service"


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
        # The links of the timer's own host (or user) folder say it: another's (alice's) say nothing of it.
        where = f"the export has no *.wants folders for {host}" if host else "the export has no *.wants folders"
        flow.warn("ENABLED_UNKNOWN", f"{where}, so whether {timer.name} was enabled is unknown ({wanted}): saved "
                                     "active")




def _exec_commands(value: str) -> list[tuple[str, list[str]]]:
    """An `Exec…=` line's commands (several when a lone `;` parts them), each as its prefixes
    (`-@:+!`) and its words, the path first. ValueError for a line systemd refuses."""
    commands: list[list[str]] = [[]]
    for word in systemd_words(value):
        if word is None:
            commands.append([])
        else:
            commands[-1].append(word)
    found = []
    for words in filter(None, commands):
        marks = re.match(r"[-@:+!]*", words[0])
        prefix = marks[0] if marks else ""
        found.append((prefix, [words[0][len(prefix):], *words[1:]]))
    return found


def _task_command(flow: FlowRows, service: Unit, entry: Assignment, marks: str, words: list[str],
                  environment: dict[str, str]) -> str:
    """One command as a shell command that runs what systemd ran: each word systemd passed one
    word of the shell, its specifiers resolved and the environment substituted as systemd does."""
    unknown: list[str] = []
    for number, word in enumerate(words):
        words[number], missing = resolve_specifiers(word, service.name)
        unknown += missing
    _warn_specifiers(flow, entry, list(dict.fromkeys(unknown)))
    path, *arguments = words
    if "@" in marks and arguments:
        argv0, *arguments = arguments
        flow.warn("EXEC_PREFIX", f"{entry.where}: {entry.key}={entry.value}: the program ran with {argv0} as its "
                                 f"argv[0] (@); the task runs {path} with the arguments after that word, the "
                                 "program seeing its path as argv[0]")
    for mark in dict.fromkeys(marks.replace("!!", "!").replace("@", "").replace("-", "")):
        flow.warn("EXEC_PREFIX", f"{entry.where}: {entry.key}={entry.value}: {EXEC_PREFIXES[mark]} ({mark}); the "
                                 "task runs the command as the service runs it")
    command = _shell_command(flow, entry, marks, path, arguments, environment)
    if "-" not in marks:
        return command
    # systemd went on as if the command had succeeded: so does the flow, whose later tasks a failed
    # one would stop.
    flow.warn("IGNORE_FAILURE", f"{entry.where}: {entry.key}={entry.value}: {EXEC_PREFIXES['-']} (-); the task runs "
                                "it as `… || true`, so that its failure does not stop the tasks after it")
    return f"{command} || true"


def _shell_command(flow: FlowRows, entry: Assignment, marks: str, path: str, arguments: list[str],
                   environment: dict[str, str]) -> str:
    if ":" in marks:  # no substitution: every word as written
        return shlex.join([path, *arguments])
    referenced: list[str] = []
    split: list[str] = []
    shell = [shlex.quote(path), *(_shell_word(word, environment, referenced, split) for word in arguments)]
    unset = [name for name in dict.fromkeys(referenced) if name not in environment]
    if unset:
        flow.warn("ENVIRONMENT_REFERENCE", f"{entry.where}: {entry.key}={entry.value}: systemd substituted "
                                           f"{', '.join(unset)} from an EnvironmentFile= or its own environment, "
                                           "which the export does not hold; the task's shell takes them from the "
                                           "worker's environment (empty when unset there)")
    if split:
        flow.warn("ENVIRONMENT_SPLIT", f"{entry.where}: {entry.key}={entry.value}: the value of "
                                       f"{', '.join(dict.fromkeys(split))} holds quotes, a backslash or a wildcard: "
                                       "systemd split it into words honouring the quotes, a shell splits it at "
                                       "blanks and expands the wildcards")
    return " ".join(word for word in shell if word)


def _tasks(flow: FlowRows, service: Unit, environment: dict[str, str]) -> None:
    lines = [entry for kind in ("ExecStartPre", "ExecStart", "ExecStartPost")
             for entry in service.entries("Service", kind)]
    if not any(entry.key == "ExecStart" for entry in lines):
        flow.fail("EMPTY_COMMAND", f"{service.path}: the service has no ExecStart=: nothing to run")
        return
    if _refused_starts(flow, service, lines):
        return
    counts: dict[str, int] = {}
    previous = ""
    for entry in lines:
        try:
            commands = _exec_commands(entry.value)
        except ValueError as error:
            flow.fail("INVALID_COMMAND", f"{entry.where}: {entry.key}={entry.value}: {error}: systemd refuses the "
                                         "line, and the service with it")
            continue
        for marks, words in commands:
            if not words[0]:
                flow.fail("INVALID_COMMAND", f"{entry.where}: {entry.key}={entry.value}: a prefix with no program: "
                                             "systemd refuses the line")
                continue
            command = _task_command(flow, service, entry, marks, words, environment)
            counts[entry.key] = counts.get(entry.key, 0) + 1
            suffix = {"ExecStartPre": f"_pre{counts[entry.key]}", "ExecStartPost": f"_post{counts[entry.key]}"}.get(
                entry.key, "" if counts[entry.key] == 1 else f"_{counts[entry.key]}")
            number = str(len(flow.tasks) + 1)
            flow.tasks.append({"task_id": number, "task_name": f"{flow.name}{suffix}", "upstream": previous,
                               "command": command})
            previous = number


def _refused_starts(flow: FlowRows, service: Unit, lines: list[Assignment]) -> bool:
    """systemd refuses a service with more than one ExecStart= command unless it is Type=oneshot
    ("only allowed for Type=oneshot services. Refusing."): its timer never started it. A drop-in
    that adds an ExecStart= without the empty one that resets the list makes one so."""
    starts = 0
    for entry in lines:
        if entry.key == "ExecStart":
            try:
                starts += len(_exec_commands(entry.value))
            except ValueError:
                starts += 1  # refused on its own below
    kind = service.value("Service", "Type").strip()  # none, or an empty one: the default, simple
    if starts < 2 or kind == "oneshot":
        return False
    where = ", ".join(entry.where for entry in lines if entry.key == "ExecStart")
    flow.fail("INVALID_COMMAND", f"{service.path}: {starts} ExecStart= commands ({where}) in a Type="
                                 f"{kind or 'simple (the default)'} service: systemd refuses it (more "
                                 "than one is only allowed for Type=oneshot), so its timer never ran it; a drop-in "
                                 "that replaces the command starts with an empty ExecStart=")
    return True


def _environment(flow: FlowRows, service: Unit) -> dict[str, str]:
    """`Environment=` as systemd reads it (its words unquoted, specifiers resolved): the flow's
    parameters, and the values the commands' `${NAME}` take."""
    pairs: dict[str, str] = {}
    for entry in service.entries("Service", "Environment"):
        try:
            words = systemd_words(entry.value, commands=False)
        except ValueError as error:
            flow.warn("MALFORMED_LINE", f"{entry.where}: Environment={entry.value}: {error}: systemd ignores the "
                                        "line, not carried")
            continue
        for word in filter(None, words):
            name, equals, setting = resolved(flow, service, Assignment(entry.section, entry.key, word,
                                                                       entry.where)).partition("=")
            if equals and name:
                pairs[name] = setting
            else:
                flow.warn("MALFORMED_LINE", f"{entry.where}: Environment=…{word}…: not NAME=value: systemd ignores "
                                            "that word")
    if pairs:
        flow.cells["params"] = parameters_text([{"key": k, "value": v} for k, v in pairs.items()])
    secrets = [name for name, value in pairs.items() if SECRET_NAME.held(name, value)]
    if secrets:
        flow.warn("ENVIRONMENT_SECRET", f"{service.path}: {look_like_secrets(secrets)}: carried as flow "
                                        "parameters, which every owner and visitor of the flow can read (and a "
                                        "result log with log_payload); move them to the service's own secret store")
    for entry in service.entries("Service", "EnvironmentFile"):
        flow.warn("ENVIRONMENT_FILE", f"{service.path}: EnvironmentFile={resolved(flow, service, entry)}: the file's "
                                      "variables are not in the export; add them as flow parameters")
    return pairs


def _service_settings(flow: FlowRows, service: Unit) -> None:
    run_as = [f"{entry.key}={resolved(flow, service, entry)}" for entry in
              filter(None, (service.last("Service", key) for key in ("User", "Group", "DynamicUser"))) if entry.value]
    if run_as:
        flow.warn("RUN_AS", f"{service.path}: the service ran as {', '.join(run_as)}; the flow runs as the service's "
                            "doAs account instead")
    directory = service.last("Service", "WorkingDirectory")
    if directory is not None and directory.value:
        flow.warn("WORKING_DIRECTORY", f"{service.path}: the commands started in {resolved(flow, service, directory)}"
                                       "; a task's command runs where the service runs it: add a cd to the command "
                                       "if it needs that folder")
    other = [_setting_shown(service, key) for key in service.keys("Service")
             if key not in (*SERVICE_CARRIED, "DynamicUser")]
    if other:
        flow.warn("SERVICE_SETTING", f"{service.path}: {', '.join(other)} not carried (a flow task has no such "
                                     "setting)")


# Settings whose value is a secret itself (`SetCredential=ID:DATA`): named in a warning by their
# credential's id alone, for a warning reaches the plan, the result log and whoever reads them.
SECRET_SETTINGS = ("SetCredential", "SetCredentialEncrypted")


# Settings whose names read like a secret's and whose values are names (of variables, of a mode).
NAMES_NOT_SECRETS = frozenset({"PassEnvironment", "UnsetEnvironment", "KeyringMode", "PAMName"})


def _setting_shown(service: Unit, key: str) -> str:
    if key in SECRET_SETTINGS:  # every credential, by its id
        ids = ", ".join(value.split(":", 1)[0] for value in service.values("Service", key) if value)
        return f"{key}= credentials {ids} (their data withheld)"
    return shown_setting(key, service.value('Service', key) or "", NAMES_NOT_SECRETS)


def _unit_section(flow: FlowRows, unit: Unit) -> None:
    dependencies = [f"{key}={' '.join(unit.values('Unit', key))}" for key in UNIT_DEPENDENCIES
                    if unit.values("Unit", key)]
    if dependencies:
        flow.warn("UNIT_DEPENDENCY", f"{unit.path}: {'; '.join(dependencies)}: ordering and dependencies on other "
                                     "units are not carried")
    other = [shown_setting(key, unit.value('Unit', key) or "", NAMES_NOT_SECRETS) for key in unit.keys("Unit")
             if key not in (*UNIT_DEPENDENCIES, *UNIT_DESCRIBED)]
    if other:
        flow.warn("UNIT_SETTING", f"{unit.path}: {', '.join(other)} not carried")


def _description(flow: FlowRows, unit: Unit) -> str:
    entry = unit.last("Unit", "Description")
    return resolved(flow, unit, entry) if entry is not None and entry.value else ""


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
    masked = service_name in found.masked.get(host, set())  # `systemctl mask`: over any unit file
    for path in [*timer.shared, *(service.shared if service is not None else [])]:
        prefix, _, kind = PurePosixPath(path).parent.name.removesuffix(".d").rpartition(".")
        flow.warn("SHARED_DROPIN", f"{path}: a drop-in of every {kind}"
                                   + (f" whose name begins {prefix} (systemd 239 and later read it)" if prefix
                                      else " (systemd 246 and later read it)")
                                   + ": applied, as the host's systemd did if it is that recent")
    description = _description(flow, timer)
    said = (f"{timer.path}: the service it starts, {service_name}, is masked (linked to /dev/null): systemd refused "
            "to start it, so the timer ran nothing")
    if masked:  # as a masked timer, saved inactive (with the commands it would run unmasked, when there)
        flow.cells["active"] = "0"
    if service is None and masked:
        flow.fail("MASKED", f"{said}, and the export holds no unit file for it")
    elif service is None:
        where = f"{host}/" if host else ""
        flow.fail("MISSING_SERVICE", f"{timer.path}: the unit it starts, {where}{service_name}, is not in the export")
    elif not service_name.endswith(".service"):
        flow.fail("MISSING_SERVICE", f"{timer.path}: Unit={service_name} is not a service: only services run commands")
    else:
        if masked:
            flow.warn("SOURCE_DISABLED", f"{said}: saved inactive, with the masked unit's commands")
        description = description or _description(flow, service)
        _tasks(flow, service, _environment(flow, service))
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
    """Timers linked from a *.wants folder (enabled), or linked into a unit folder, whose unit file,
    and template, the export lacks (a copy of /etc/systemd/system whose links point into /lib)."""
    if export.only is not None:
        return []
    missing = []
    linked: dict[str, set[str]] = {}
    for host, name in found.linked_units:
        linked.setdefault(host, set()).add(name)
    for host, names in (*found.enabled.items(), *linked.items()):
        for name in names:
            template = _template_of(name)
            masked = name in found.masked.get(host, set())
            if (name.endswith(".timer") and (host, name) not in found.units and not masked
                    and (template is None or (host, template) not in found.units)):
                missing.append((host, name))
    return sorted(set(missing))


def _missing_unit(found: Catalogue, host: str, name: str) -> FlowRows:
    """An enabled timer whose unit file is not in the copy. It is a flow that fails, not a warning
    on the run: it was running on the host, so a careful user looks for it among the flows, and a
    failure keeps `plan` from saying all is well (exit 5) until the copy is completed."""
    key, flow_name = flow_identity(host, name)
    flow = FlowRows(key=key, name=flow_name)
    if (host, name) in found.linked_from:
        said = f"is enabled ({found.linked_from[host, name]})"
    else:
        said = f"is a link ({found.linked_units[host, name]})"
    flow.fail("MISSING_UNIT", f"{name} {said} but the export holds no unit file for it (nor a "
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
    hidden = _hidden_named(export)
    if not has_timers and not masked_only and not missing:
        seen = ", ".join(sorted(export.files)[:5]) or "no unit file"
        raise SourceError(f"{settings.path}: this does not look like a systemd timer export ({EXPECTED}; found "
                          f"{seen}{f'; {hidden}' if hidden else ''})")

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

    for number, flow in enumerate(_distinct_names(every_flow())):
        if number == 0 and hidden:  # one note for the export, not one a flow: it rides on the first
            flow.warn("HIDDEN_NOT_READ", f"{hidden}; rename one that holds units to have it read")
        yield flow


def _hidden_named(export: Export) -> str:
    """The folder's hidden entries not read, in words ("" for none, or for a single .timer given)."""
    if not export.hidden or export.only is not None:
        return ""
    more = f" and {len(export.hidden) - HIDDEN_NAMED} more" if len(export.hidden) > HIDDEN_NAMED else ""
    return (f"hidden entries (a name starting with a dot) are not read, as systemd reads none: "
            f"{', '.join(export.hidden[:HIDDEN_NAMED])}{more} (a user's .config/systemd/user and "
            ".local/share/systemd/user are read, as their units)")


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("systemd", "quartz", read, "systemd timers: .timer units with their .service")
