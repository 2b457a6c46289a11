"""Which export format a file (or a folder, or a zip) is, from its own structure: a root element,
keys, unit sections, the shape of its lines; never from its name alone and never by trying the
profiles one after another (a reader that happens to accept the wrong format is the silent
"0 flows found" this is here to stop).

`profile = "auto"` takes the one profile the source is recognised as, and the plan names it; a
source recognised as none, or as several, stops with exit 1 saying so. A named profile is checked
too: a file that is recognised as another format and not as the named one stops with exit 1,
naming the format it looks like."""

from __future__ import annotations

import codecs
import functools
import glob
import os
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from migrate.exit_codes import CannotRun
from migrate.sources.profiles.json_documents import GLOB_CHARACTERS
from migrate.sources.tree import links_back_up, tree_files

HEAD_BYTES = 64 * 1024  # enough for a root element, a header line or the first objects
TAIL_BYTES = 4 * 1024  # enough for a JSON document's last members
FOLDER_FILES = 12  # a folder's files sampled for their heads
AUTO = "auto"


class NotRecognised(CannotRun):
    """The source is no format this tool reads, or more than one: one line, exit 1."""


@dataclass(frozen=True)
class Sample:
    """What the recognisers look at: the member names (a folder's or a zip's files, relative;
    a file's own name) and the heads of the files, decoded (UTF-8, or UTF-16 by its byte-order
    mark, as Windows writes Task Scheduler XML)."""

    names: tuple[str, ...]
    heads: tuple[str, ...]
    console_lines: tuple[str, ...] = ()  # see console_first_lines

    def any_name(self, *suffixes: str) -> bool:
        return any(name.lower().endswith(suffixes) for name in self.names)

    def any_head(self, pattern: re.Pattern[str]) -> bool:
        return any(pattern.search(head) for head in self.heads)

    def any_json_head(self, pattern: re.Pattern[str]) -> bool:
        """A head that is a JSON document (it opens with `{` or `[`) and matches: a key of a JSON
        format quoted in another file (a crontab's curl of Airflow's API, a CronJob's `aws events`
        command) is no sign of that format."""
        return any(head.lstrip().startswith(("{", "[")) and pattern.search(head) for head in self.heads)


def _decoded(data: bytes) -> str:
    for mark, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                           (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(mark):
            return data.decode(encoding, errors="replace")
    if len(data) > 1 and data[1:2] == b"\x00":  # UTF-16 without a mark
        return data.decode("utf-16-le", errors="replace")
    if len(data) > 1 and data[0:1] == b"\x00" and data[1:2] != b"\x00":  # the same, big-endian
        return data.decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


# The code pages cmd.exe writes `schtasks /query /fo csv /v > tasks.csv` in when its console is
# not UTF-8: 850 on a German or French Windows (437, the US one, places their letters alike) and
# 936 (GBK) on a Chinese one. Only schtasks' header is looked for in them: the profile then reads
# the file in [source] encoding, or says which one to set (profiles/schtasks.py).
CONSOLE_CODE_PAGES = ("cp850", "gbk")


def console_first_lines(data: bytes) -> tuple[str, ...]:
    """The first line of a head that is not UTF-8 (nor marked as UTF-16), in each console code page."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:2]:
        return ()
    first = data.split(b"\n", 1)[0]
    try:
        first.decode("utf-8")
        return ()
    except UnicodeDecodeError:
        return tuple(first.decode(page, errors="replace") for page in CONSOLE_CODE_PAGES)


def _head_bytes(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(HEAD_BYTES)


def _head(path: Path) -> str:
    """The file's first HEAD_BYTES, and its last TAIL_BYTES when it is longer: a JSON document with
    sorted keys (the API's `CronJobList`, whose items name no kind) says what it is at its end."""
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
        if len(head) < HEAD_BYTES:
            return _decoded(head)
        stream.seek(0, 2)
        stream.seek(max(HEAD_BYTES, stream.tell() - TAIL_BYTES))
        return _decoded(head) + "\n" + stream.read(TAIL_BYTES).decode("utf-8", errors="replace")


def sample(path: Path) -> Sample:
    if path.is_dir():
        files = tree_files(path, hidden=True)
        names = tuple(str(p.relative_to(path)) for p in files)
        readable = [p for p in files if p.is_file() and not p.name.startswith(".")][:FOLDER_FILES]
        return Sample(names, tuple(_head(p) for p in readable),
                      tuple(line for p in readable for line in console_first_lines(_head_bytes(p))))
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            heads: list[str] = []
            console_lines: list[str] = []
            for member in members[:FOLDER_FILES]:
                if member.flag_bits & 0x1:  # zipfile would raise RuntimeError asking for a password
                    raise NotRecognised(f"{path}: {member.filename} is encrypted in the zip: unzip it with its "
                                        "password first, and point [source] path at the folder")
                try:
                    with archive.open(member) as stream:
                        data = stream.read(HEAD_BYTES)
                    heads.append(_decoded(data))
                    console_lines += console_first_lines(data)
                except (NotImplementedError, zipfile.BadZipFile, EOFError) as error:  # an unknown compression
                    raise NotRecognised(f"{path}: {member.filename} cannot be read from the zip ({error})") from None
            return Sample(tuple(m.filename for m in members), tuple(heads), tuple(console_lines))
    if path.suffix.lower() == ".parquet":
        return Sample((path.name,), (_parquet_head(path),))
    return Sample((path.name,), (_head(path),), console_first_lines(_head_bytes(path)))


def _parquet_head(path: Path) -> str:
    """A Parquet file's own header, as the snapshot recogniser reads a JSON Lines one."""
    try:
        import pyarrow.parquet as pq

        metadata = pq.ParquetFile(path).schema_arrow.metadata or {}
    except Exception:
        return ""
    return bytes(metadata.get(b"migrate.snapshot", b"")).decode(errors="replace")


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.MULTILINE)


# A job line: a macro, or five time fields whose minute and hour hold no letter (a line of prose,
# "This may well be the last …", has five words too: an Azkaban project's res/ text was taken for
# a crontab beside it), then a command.
CRON_LINE = _pattern(r"^\s*(?:@(?:reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)|"
                     r"[\d*][-\d*/,]*\s+[\d*][-\d*/,]*\s+(?:[-\d*/,A-Za-z?LW#]+\s+){2}[-\d*/,A-Za-z?LW#]+)\s+\S")


def _crontab(found: Sample) -> bool:
    """Job lines make most of what is not a comment or a NAME=value line."""
    for head in found.heads:
        if head.lstrip().startswith(("{", "[", "<", "---")):
            return False
        lines = [line for line in head.splitlines()[:200]
                 if line.strip() and not line.lstrip().startswith("#") and not re.match(r"^\s*[A-Za-z_]\w*\s*=", line)]
        if lines and sum(bool(CRON_LINE.match(line)) for line in lines) * 2 > len(lines):
            return True
    return False


# A YAML document's own `kind:` (at its top, or an item's of a List: kubectl indents them 2, other
# tools 4), not one in a block of text deeper in (a Rundeck job's script that applies a manifest).
YAML_KIND = r"^ {0,4}(?:- +)?kind:"


def _schtasks(found: Sample) -> bool:
    """A `schtasks /query /fo csv /v` header: the task's name and its next run time, in English or
    in a language the profile reads (a German, French or Chinese Windows), in UTF-8 or UTF-16 or in
    the code page of the console that wrote it (CONSOLE_CODE_PAGES)."""
    from migrate.sources.profiles.schtasks_headers import HEADERS  # the profile's module would import pandas

    names, next_runs = (("TaskName", *HEADERS["TaskName"]), ("Next Run Time", *HEADERS["Next Run Time"]))
    for head in (*found.heads, *found.console_lines):
        first = next((line for line in head.splitlines() if line.strip()), "").replace(" ", "").replace("\xa0", "")
        if any(n.replace(" ", "") in first for n in names) and any(n.replace(" ", "") in first for n in next_runs):
            return True
    return False


# Each profile's own marks. A snapshot's lines hold Get Flow answers, as an EnOS v2.0 export
# does: the snapshot's header line tells it apart, and it is tried first. The JSON formats are
# recognised in JSON documents only.
RECOGNISERS: dict[str, Callable[[Sample], bool]] = {
    "snapshot": lambda s: any(h.lstrip().startswith('{"snapshot"') for h in s.heads),
    # A Get Flow answer (an id and a graph), or an Export Flow one (a cron, tasks and links by name).
    "enos-v2": lambda s: ((s.any_json_head(_pattern(r'"flowId"')) and s.any_json_head(_pattern(r'"graph"')))
                          or (s.any_json_head(_pattern(r'"cron"\s*:')) and s.any_json_head(_pattern(r'"tasks"\s*:'))
                              and s.any_json_head(_pattern(r'"(?:flowLinks|linkRelations)"\s*:'))))
    and not any(h.lstrip().startswith('{"snapshot"') for h in s.heads),
    "dolphinscheduler": lambda s: s.any_json_head(_pattern(
        r'"(?:processDefinition|workflowDefinition|processDefinitionJson|taskDefinitionList)"')),
    "airflow": lambda s: s.any_json_head(_pattern(r'"dag_id"\s*:')),
    "eventbridge": lambda s: s.any_json_head(_pattern(r'"ScheduleExpression"\s*:|"EventBusName"\s*:')),
    # A CronJob, or the API's own CronJobList (whose items name no kind of their own).
    "kubernetes": lambda s: s.any_head(_pattern(YAML_KIND + r'\s*["\']?CronJob(?:List)?\b'))
    or s.any_json_head(_pattern(r'"kind"\s*:\s*"CronJob(?:List)?"')),
    "rundeck": lambda s: s.any_head(_pattern(r"<joblist\b")) or (
        s.any_head(_pattern(r"^\s*sequence:\s*$")) and not s.any_head(_pattern(YAML_KIND))) or _rundeck_archive(s),
    "controlm": lambda s: s.any_head(_pattern(r"<DEFTABLE\b")),
    "taskxml": lambda s: s.any_head(_pattern(r"schemas\.microsoft\.com/windows/2004/02/mit/task")),
    "oozie": lambda s: s.any_head(_pattern(r"<(?:coordinator-app|workflow-app|bundle-app)\b"))
    or s.any_name("coordinator.xml", "workflow.xml"),
    "azkaban": lambda s: s.any_name(".flow", ".job", ".project"),
    "systemd": lambda s: s.any_name(".timer") or s.any_head(_pattern(r"^\[Timer\]\s*$")),
    "schtasks": _schtasks,
    "crontab": _crontab,
}


def _rundeck_archive(found: Sample) -> bool:
    """A Rundeck project archive's jobs, `rundeck-<project>/jobs/job-<uuid>.xml`, at the top of a zip
    or folder (its executions and files may fill the heads sampled)."""
    from migrate.sources.profiles.rundeck import ARCHIVE_JOB

    return any(ARCHIVE_JOB.match(posixpath.normpath(name.replace("\\", "/"))) for name in found.names)


def rundeck_archive(path: Path) -> bool:
    """A Rundeck project archive (`rd projects archives export`), zipped or unzipped: the rundeck
    profile reads it whole, its jobs alone."""
    try:
        return (path.is_dir() or is_zip(path)) and _rundeck_archive(sample(path))
    except (OSError, zipfile.BadZipFile, NotRecognised):
        return False


def recognised(path: Path, among: Iterable[str]) -> list[str]:
    """The profiles (of those given) the source looks like, in RECOGNISERS' order."""
    try:
        found = sample(path)
    except (OSError, zipfile.BadZipFile):
        return []
    wanted = set(among)
    return [name for name, looks in RECOGNISERS.items() if name in wanted and looks(found)]


# The profiles that read a zip themselves; another format zipped is refused with a hint to unzip
# it, rather than recognised and then failed by a reader that expects text. The rundeck profile
# reads one zip, a project archive (rundeck_archive), and one folder, an unzipped archive.
ZIP_READERS = frozenset({"azkaban", "oozie", "systemd"})
# The profiles that read a folder themselves (an Airflow or EventBridge folder of JSON pages, a
# copy of /etc/systemd/system or of C:\Windows\System32\Tasks, an Oozie or Azkaban project). The
# others read one file: a folder of their files is read file by file, as a mixed folder's entries.
FOLDER_READERS = frozenset({"airflow", "eventbridge", "systemd", "taskxml", "oozie", "azkaban"})
MIXED = "mixed"


def reads_whole(profile: str, path: Path) -> bool:
    """Whether the profile reads this zip or folder itself (ZIP_READERS, FOLDER_READERS; rundeck a
    project archive, zipped or unzipped), rather than file by file."""
    readers = FOLDER_READERS if path.is_dir() else ZIP_READERS
    return profile in readers or (profile == "rundeck" and rundeck_archive(path))


def auto_profile(path: Path, profiles: list[str]) -> str:
    """The one profile `profile = "auto"` means for this source, `mixed` for a folder whose
    entries are exports of different formats (each recognised on its own: see mixed_entries),
    or NotRecognised. A folder's entries are looked at one by one first: looked at as a whole, a
    folder of several formats can look like one of them (a crontab beside a JSON file is not
    recognised as a crontab), and reading it as that one would silently leave the others out.
    A folder of one format whose profile reads one file (a crontab, a Kubernetes listing) is
    `mixed` too: each of its files is an export of its own, read by that profile as it is alone."""
    if not path.exists() and GLOB_CHARACTERS.search(str(path)):
        return _glob_profile(path, profiles)
    if not path.exists():
        raise NotRecognised(f"{path}: no such file or folder")
    if path.is_dir() and len(entry_formats(path, tuple(profiles))) > 1:
        mixed_entries(path, tuple(profiles))  # each entry one format, or NotRecognised naming the others
        return MIXED
    matches = recognised(path, profiles)
    if len(matches) != 1 and path.is_dir() and len(single := entry_formats(path, tuple(profiles))) == 1:
        matches = sorted(single)  # its entries all say one format, which its files' heads together hid
    if matches == ["rundeck"] and rundeck_archive(path):
        return "rundeck"  # a project archive, a zip or its folder, read whole
    if len(matches) == 1 and path.is_dir() and (matches[0] not in FOLDER_READERS
                                                or read_entry_by_entry(path, matches[0])):
        mixed_entries(path, tuple(profiles))  # each entry one format, or NotRecognised naming the others
        return MIXED
    if len(matches) == 1:
        _check_zip(path, matches[0])
        check_no_other_exports([path], matches[0], tuple(profiles), path)
        return matches[0]
    if not matches:
        raise NotRecognised(f"{path}: profile \"auto\" recognises it as none of the formats this tool reads "
                            f"({', '.join(sorted(profiles))}); name the profile, or `tabular` for a sheet"
                            + (f" ({hint})" if (hint := looks_like(path)) else ""))
    raise NotRecognised(f"{path}: profile \"auto\" recognises it as more than one format ({', '.join(matches)}); "
                        "name the profile")


# The profiles that read the pages of one listing named by a glob (json_documents.py's json_files).
GLOB_READERS = ("airflow", "eventbridge")


def _glob_profile(pattern: Path, profiles: list[str]) -> str:
    """The profile of the pages a glob names (`pages/dags-*.json`): every file it matches of one
    format that reads a glob's pages, else NotRecognised naming what it matched."""
    files = sorted(Path(found) for found in glob.glob(str(pattern)) if Path(found).is_file())
    if not files:
        raise NotRecognised(f"{pattern}: no file matches this pattern")
    formats = {file: recognised(file, profiles) for file in files}
    found = {match for matches in formats.values() for match in matches}
    if len(found) == 1 and found <= set(GLOB_READERS) and all(
            len(matches) == 1 or (not matches and _companion_of(next(iter(found)), file))  # a rule's targets answer
            for file, matches in formats.items()):
        return found.pop()
    named = "; ".join(f"{file.name} ({', '.join(matches) or 'no known format'})"
                      for file, matches in list(formats.items())[:10]) + ("; …" if len(formats) > 10 else "")
    raise NotRecognised(f"{pattern}: profile \"auto\" reads a glob only as the pages of one listing of "
                        f"{' or '.join(GLOB_READERS)}; it matches {named}. Point path at a folder of exports, or "
                        "name the profile")


# A copy an editor or a package manager kept beside a file (`controlm.xml~`, `jobs.cron.bak`): read, each
# of its jobs was the original's DUPLICATE and the plan exited 5.
KEPT_COPY = re.compile(r"(?:~|\.(?:bak|orig|old|save|swp|swo|rpmnew|rpmsave|rpmorig|dpkg-[a-z]+|ucf-[a-z]+))$",
                       re.IGNORECASE)


def left_out(name: str) -> bool:
    """An entry of a folder of exports that is not read (and the plan names): a hidden one (`.git`,
    an editor's files), an editor's autosave (Emacs' `#jobs#`: cronie skips a `#` name in
    /etc/cron.d, Debian's cron any name with `#`) or a kept copy."""
    return name.startswith((".", "#")) or bool(KEPT_COPY.search(name))


def links_to_entries(folder: Path, listing: tuple[str, ...] | None = None) -> list[str]:
    """The entries of a folder that are links to another entry of it (`alice-link.cron -> alice.cron`):
    read once, as the entry itself (read twice, each of its jobs was a DUPLICATE of itself)."""
    names = [name for name in (listing if listing is not None else _listing(folder)) if not left_out(name)]
    names = [name for name in names if name not in links_back_up(folder, names)]  # no entry: a loop
    real = {name: os.path.realpath(folder / name) for name in names}
    plain = {real[name] for name in names if not (folder / name).is_symlink()}
    kept: set[str] = set()
    twice = []
    for name in names:
        if (folder / name).is_symlink() and (real[name] in plain or real[name] in kept):
            twice.append(name)
        elif (folder / name).is_symlink():
            kept.add(real[name])  # the first link to a target outside the folder is read
    return twice


def _listing(folder: Path) -> tuple[str, ...]:
    """What a folder holds, by name: the key its recognition is kept under for a command (read once,
    not once a caller), and looked at again once an entry joins or leaves it."""
    return tuple(sorted(os.listdir(folder)))


AZKABAN_FILES = (".flow", ".job", ".project", ".properties")


def read_entry_by_entry(folder: Path, profile: str) -> bool:
    """A folder of one folder-reading format that is read entry by entry (`mixed`), not whole: a
    folder of Azkaban projects (none of a project's own files at its top; each project named after
    its folder and given its `<name>.schedules.json`: read whole, it was one project named after
    this folder, its schedules unread), or a folder a profile reads whole (READ_TREE, READ_FILES)
    with zips of its format at its top (a folder's read does not open a zip: its flows went
    missing). The rest is read together as before, each zip or project alone."""
    top = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    if profile == "azkaban":
        return not any(entry.is_file() and entry.name.lower().endswith(AZKABAN_FILES) for entry in top) and any(
            (entry.is_dir() or is_zip(entry)) and recognised(entry, (profile,)) for entry in top)
    return profile in READ_TREE | READ_FILES and any(is_zip(entry) and recognised(entry, (profile,)) for entry in top)


def entry_formats(folder: Path, profiles: tuple[str, ...]) -> frozenset[str]:
    """The formats a folder's entries (its files, zips and subfolders, not hidden) are recognised
    as, each on its own; an entry recognised as none, or as several, adds none."""
    return _entry_formats(folder, profiles, _listing(folder))


@functools.cache
def _entry_formats(folder: Path, profiles: tuple[str, ...], listing: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    loops = links_back_up(folder, listing)
    for name in listing:
        if not left_out(name) and name not in loops:
            matches = recognised(folder / name, profiles)
            if len(matches) == 1:
                found.add(matches[0])
    return frozenset(found)


def _check_zip(path: Path, profile: str) -> None:
    if is_zip(path) and not reads_whole(profile, path):
        raise NotRecognised(f"{path}: a zip of {profile} exports; this profile reads the files themselves: unzip it "
                            "and point [source] path at the file or the folder")


def companions(profile: str, entry: Path) -> set[Path]:
    """Files beside an export that belong to it: an Azkaban project's schedules file."""
    if profile == "azkaban":
        return {entry.with_name(f"{entry.name.removesuffix('.zip')}.schedules.json")}
    return set()


@dataclass(frozen=True)
class Entry:
    """What one profile reads of a mixed folder: an export (a file, a zip, a folder), or, for a
    profile that reads folders, the mixed folder itself with the other formats' entries left out."""

    profile: str
    path: Path
    left_out: tuple[str, ...] = ()
    together: tuple[str, ...] = ()  # the entries a profile reads together (path is then the folder)


# The profiles that read a mixed folder as they read a folder of their own, less the other
# formats' entries, so that a flow's key and facts do not change when a file of another format
# joins the folder: the whole tree, where a key, a description or a dependency holds a path below
# the folder (systemd host folders `host1/backup.timer`, Task Scheduler folders `\\Ops\\Sync`, Oozie
# applications calling each other), or the folder's own files (Airflow and EventBridge pages; a
# subfolder of them is an export read alone). An Azkaban project is read entry by entry (a folder
# holding projects is not one project: see auto_profile).
READ_TREE = frozenset({"systemd", "taskxml", "oozie"})
READ_FILES = frozenset({"airflow", "eventbridge"})
# systemd's unit types, and the folders of a unit's drop-ins and dependency links.
SYSTEMD_FILES = (".timer", ".service", ".socket", ".target", ".mount", ".automount", ".path", ".slice", ".scope",
                 ".swap", ".device", ".conf")
SYSTEMD_FOLDERS = (".d", ".wants", ".requires", ".upholds")
# A unit file a package manager or an editor kept a copy of (`backup.service.rpmnew`, `…~`):
# systemd reads none of them, and neither does the profile.
SYSTEMD_KEPT_COPY = re.compile(r"\.(?:timer|service|socket|target|mount|path|conf)"
                               r"(?:\.(?:rpmnew|rpmsave|rpmorig|orig|bak|old|swp|dpkg-[a-z]+|ucf-[a-z]+)|~)$")
EVENTBRIDGE_TARGETS = _pattern(r'"Targets"\s*:')
EVENTBRIDGE_PAGE = _pattern(r'"(?:Rules|Schedules)"\s*:\s*\[')  # a listing's page (an empty one, a summary)
OOZIE_JOBS_LIST = _pattern(r'"(?:coordinatorjobs|bundlejobs|workflows)"\s*:')
OOZIE_CONFIGURATION = _pattern(r"<configuration\b")


def _companion_of(profile: str, entry: Path) -> bool:
    """An entry recognised as no format on its own that a folder-reading profile reads beside its
    exports, told by what it holds (a JSON or XML file of no known format is not claimed): a
    systemd unit of another type, a kept copy of one or a drop-in folder, an EventBridge rule's
    targets, an Oozie application's properties or configuration, the `lib` folder of jars its
    applications share, or its server's jobs list."""
    name = entry.name.lower()
    if profile == "systemd":
        return name.endswith(SYSTEMD_FOLDERS) if entry.is_dir() else name.endswith(SYSTEMD_FILES) or bool(
            SYSTEMD_KEPT_COPY.search(name))
    if entry.is_dir():
        return profile == "oozie" and name == "lib"  # the jars applications share
    try:
        found = sample(entry)
    except (OSError, zipfile.BadZipFile, NotRecognised):
        return False
    if profile == "eventbridge":
        return name.endswith(".json") and (found.any_json_head(EVENTBRIDGE_TARGETS)
                                           or found.any_json_head(EVENTBRIDGE_PAGE))
    if profile == "oozie":
        return name.endswith(".properties") or (name.endswith(".xml") and found.any_head(OOZIE_CONFIGURATION)) or (
            name.endswith(".json") and found.any_json_head(OOZIE_JOBS_LIST))
    return False


def mixed_entries(folder: Path, profiles: tuple[str, ...]) -> tuple[Entry, ...]:
    """A folder of exports of different formats: what each profile reads of it, in name order.
    Each entry (a file, a zip, or a folder such as an Azkaban project) is recognised on its own. A
    profile that reads folders reads this one as it does a folder of only its exports, leaving out
    the other formats' entries (READ_TREE, READ_FILES): its flows keep the keys they had before a
    file of another format joined the folder, and the files it reads beside its exports (a timer's
    service, a rule's targets, the pages of one listing) are its. An entry that is no format, or
    several, stops the read naming it: an inventory that skipped a file would be silently short."""
    return _mixed_entries(folder, profiles, _listing(folder))


@functools.cache
def _mixed_entries(folder: Path, profiles: tuple[str, ...], listing: tuple[str, ...]) -> tuple[Entry, ...]:
    twice = set(links_to_entries(folder, listing))
    loops = links_back_up(folder, listing)  # never followed (recognised, one to `/` walked the whole machine)
    entries = sorted(folder / name for name in listing if not left_out(name) and name not in twice
                     and name not in loops)
    found: list[tuple[str, Path]] = []
    unknown: list[Path] = []
    for entry in entries:
        matches = recognised(entry, profiles)
        if _readable_entry(entry, matches):
            _check_zip(entry, matches[0])
            found.append((matches[0], entry))
        else:
            unknown.append(entry)
    together = {profile for profile, _ in found if profile in READ_TREE | READ_FILES}
    belong = {companion for profile, entry in found for companion in companions(profile, entry)}
    claimed = {entry: [profile for profile in sorted(together) if _companion_of(profile, entry)]
               for entry in unknown if entry not in belong}
    unknown = [entry for entry in unknown if entry not in belong and not claimed.get(entry)]
    # A file a folder-reading profile reads beside its exports, with none of them at the folder's top
    # (an EventBridge rule's targets here, its listing in a subfolder, which reads its own files): no
    # read reached it, and it was passed over without a word.
    reading = {profile for profile, entry in found if _read_together(profile, entry)}
    stray = {entry: owners for entry, owners in claimed.items() if owners and not reading & set(owners)}
    if unknown or loops or stray:
        named = [f"{entry.name} ({LOOP_LINK})" if entry.name in loops else
                 f"{entry.name} (read beside {' or '.join(stray[entry])} exports at the top of the folder, and "
                 "there is none: move it into the folder of the export it belongs to)" if entry in stray else
                 f"{entry.name} ({_why_not_read(entry, recognised(entry, profiles))})"
                 for entry in sorted([*unknown, *stray, *(folder / name for name in loops)])]
        raise NotRecognised(f"{folder}: a folder of exports, read entry by entry; these entries are not one export "
                            f"each: {'; '.join(named)}. Move what is not an export (notes, a README) out of the "
                            "folder: an entry is never passed over, since it may be an export this tool does not "
                            "know. Put each export (a file, or a folder of one format's files that its profile "
                            "reads as a whole) directly in the folder, or name the profile and point path at one "
                            "export")
    read: dict[Path, Entry] = {}  # each at its first entry's place
    for profile, entry in found:
        if profile == "azkaban" and entry.is_dir() and read_entry_by_entry(entry, profile):
            read.update((inner.path, inner) for inner in mixed_entries(entry, profiles))  # project by project
        elif profile not in together or (profile in READ_FILES and entry.is_dir()) or is_zip(entry):
            check_no_other_exports([entry], profile, profiles, folder)
            read[entry] = Entry(profile, entry)  # a zip too: a folder's read does not open it
    for profile in sorted(together):
        own = {e for p, e in found if p == profile and _read_together(p, e)}
        if own:  # with what it reads beside them (none else: refused above)
            own |= {e for e, owners in claimed.items() if profile in owners}
            check_no_other_exports(own, profile, profiles, folder)
            read[min(own)] = Entry(profile, folder, tuple(name for name in listing if folder / name not in own),
                                   tuple(e.name for e in sorted(own)))
    return tuple(read[place] for place in sorted(read))


def _read_together(profile: str, entry: Path) -> bool:
    """An entry a folder-reading profile reads with the folder's other entries of its format: the
    tree's (READ_TREE), or the folder's own files (READ_FILES: a subfolder of them is read alone); a
    zip is read alone."""
    return (profile in READ_TREE or (profile in READ_FILES and not entry.is_dir())) and not is_zip(entry)


def files_in(entry: Path, whole: bool = True) -> list[Path]:
    """An entry's files: its whole tree, or a folder's own files (as READ_FILES profiles read
    them); hidden ones left out, as the profiles leave them out."""
    if not entry.is_dir():
        return [entry]
    if not whole:
        return sorted(p for p in entry.iterdir() if p.is_file() and not p.name.startswith("."))
    return tree_files(entry)


def check_no_other_exports(entries: Iterable[Path], profile: str, profiles: tuple[str, ...], root: Path) -> None:
    """The folders a profile reads whole (entries of the source folder `root`, or the source folder
    itself) hold no export of another format (a crontab or a CronJob listing dropped among a host's
    units): its profile would pass over it and its jobs would be left out without a word. Refused,
    naming the files."""
    if profile not in READ_TREE | READ_FILES:  # an Azkaban project's files are its resources
        return
    others = [(path, matches) for entry in sorted(entries) if entry.is_dir()
              for path in files_in(entry, whole=profile in READ_TREE)
              if (matches := recognised(path, profiles)) and "snapshot" not in matches
              and (profile not in matches or is_zip(path))]  # a zip in a folder is not opened
    if others:
        named = "; ".join(f"{path.relative_to(root)} (" + (f"a zip of {' or '.join(matches)} exports, which a "
                                                           "folder's read does not open" if is_zip(path) else
                                                           ' or '.join(matches)) + ")"
                          for path, matches in others[:5])
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        raise NotRecognised(f"{root}: the {profile} files hold exports its profile passes over (their jobs would be "
                            f"left out): {named}{more}. Move each directly into {root} (with profile = \"auto\", a "
                            "folder of several formats reads each export, a zip too, with its own profile), or out "
                            "of it")


def is_zip(path: Path) -> bool:
    try:
        return path.is_file() and zipfile.is_zipfile(path)
    except OSError:
        return False


def _readable_entry(entry: Path, matches: list[str]) -> bool:
    """An entry its one format's profile reads on its own: a snapshot is a source of its own (its
    flows carry their markers as they are), and a folder is read only by a profile that reads folders
    (or, for rundeck, when it is an unzipped project archive)."""
    return len(matches) == 1 and matches[0] != "snapshot" and (not entry.is_dir() or reads_whole(matches[0], entry))


LOOP_LINK = "a link back up the folder, which is never followed: a loop; remove it"


def _why_not_read(entry: Path, matches: list[str]) -> str:
    """Why an entry of a folder is not read, in a few words for the message that names it."""
    loops: list[Path] = []
    if not matches and entry.is_dir() and not tree_files(entry, loops=loops):
        return "a folder with no file in it" + (f" but links back up the folder, which are never followed: "
                                                f"{', '.join(str(link.relative_to(entry.parent)) for link in loops)}"
                                                if loops else "")
    if len(matches) > 1 and entry.is_dir():
        return f"{' or '.join(matches)}: {_which_files(entry, matches)}"
    if len(matches) > 1:
        return " or ".join(matches)
    if matches == ["snapshot"]:
        return "a snapshot: point [source] path at it alone"
    if matches:
        return f"a folder of {matches[0]} files: the {matches[0]} profile reads files, put them directly in the folder"
    if entry.is_file() and _holds_nothing(entry):
        return "no known format: nothing in it but comments and blank lines"
    return f"no known format: {hint}" if (hint := looks_like(entry)) else "no known format"


def _which_files(folder: Path, matches: list[str]) -> str:
    """A folder recognised as several formats: which of its files are which (a few of each), so that
    the operator need not search a copy of a Tasks folder for the one Control-M file in it."""
    found: dict[str, list[str]] = {}
    for path in files_in(folder):
        for name in recognised(path, matches):
            found.setdefault(name, []).append(str(path.relative_to(folder.parent)))
    return "; ".join(f"{name} in {', '.join(paths[:3])}{f' and {len(paths) - 3} more' if len(paths) > 3 else ''}"
                     for name, paths in sorted(found.items(), key=lambda item: len(item[1])))


CONTROLM_JSON = re.compile(rb'"Type"\s*:\s*"(?:Folder|SimpleFolder|Job:)')


def looks_like(path: Path) -> str:
    """What a file no format recognises resembles, for the message that refuses it ("" nothing)."""
    try:
        if not path.is_file():
            return ""
        head = _head_bytes(path)
        if head[:2] == b"\x1f\x8b":
            return "a gzip file: decompress it, and point path at what it holds"
        if CONTROLM_JSON.search(head):
            return ("it looks like Control-M Automation API JSON (`ctm deploy jobs::get`), which is not read: "
                    "export the folders as XML (exportdeftable)")
        text = _head(path)
        lines = [line for line in text.splitlines()[:200] if line.strip() and not line.lstrip().startswith("#")]
    except (OSError, NotRecognised):
        return ""
    if re.search(r"^TaskName:\s", text, re.MULTILINE) and re.search(r"^Next Run Time:", text, re.MULTILINE):
        return "it looks like `schtasks /query /fo list` output: export it as `schtasks /query /fo csv /v`"
    from migrate.sources.profiles.airflow import CLI_NOT_JSON

    if CLI_NOT_JSON.search(text):
        return ("it looks like `airflow dags list -o yaml` or `-o plain`/`-o table`, which is not read: export it "
                "with `-o json`")
    jobs = sum(bool(CRON_LINE.match(line)) for line in lines)
    if jobs:
        return (f"{jobs} of its {len(lines)} lines look like crontab entries: if it is a crontab, name profile = "
                "\"crontab\", and its other lines are refused one by one")
    return ""


def _holds_nothing(path: Path) -> bool:
    """A file with nothing but blank lines and `#` comments (a crontab with no job): no export."""
    try:
        head = _head(path)
    except OSError:
        return False
    return all(not line.strip() or line.lstrip().startswith("#") for line in head.splitlines())


def check_profile(path: Path, profile: str, profiles: list[str]) -> None:
    """A named profile over a source recognised as another format, and not as it: stop, naming it."""
    if profile not in RECOGNISERS or not path.exists():
        return
    if path.is_dir() and len(several := entry_formats(path, tuple(profiles))) > 1:
        raise NotRecognised(f"{path}: a folder of exports of several formats ({', '.join(sorted(several))}), not "
                            f"one {profile} export: set [source] profile = \"auto\" to read each with its own "
                            "profile, or point path at one export")
    if path.is_dir() and not reads_whole(profile, path):
        raise NotRecognised(f"{path}: a folder, and the {profile} profile reads one file: point [source] path at "
                            "the file, or set profile = \"auto\" to read each file of the folder as an export of "
                            "its own")
    matches = recognised(path, profiles)
    if profile in matches:
        _check_zip(path, profile)
        check_no_other_exports([path], profile, tuple(profiles), path)
    elif matches:
        article = "an" if matches[0][0] in "aeio" else "a"
        raise NotRecognised(f"{path}: this looks like {article} {matches[0]} export, not {profile}: set [source] "
                            f"profile = \"{matches[0]}\" (or \"auto\")")
