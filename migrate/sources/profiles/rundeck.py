"""Rundeck job exports in YAML (`rd jobs list --format yaml`, a list of jobs) or XML (`<joblist>`):
one flow per job, one task per workflow step.

An XML job is first turned into the map the YAML export holds (as Rundeck's own XML codec does),
so both are read by the same code. Carried: the schedule (structured, as the Quartz expression
Rundeck builds from it, or a `crontab` string), the time zone, the enabled flags, options with
defaults (as parameters), a failure e-mail (as alerts), and every step's body. Reported with a
warning code: what a flow has no place for (secure options, recipients, other notifications,
job references, plugin steps, error handlers, node filters, retries, time-outs, keep-going),
HOST_TIMEZONE for a schedule without a `timeZone` (the server's zone, which the export does not say), and
OPTION_REFERENCE for the option references in step text (`${option.env}`, `@option.env@`,
`$RD_OPTION_ENV`), kept as written though nothing resolves them in a task. A job with no schedule is
unscheduled: the mapping refuses it or saves a manual flow. A job definition names no account it
runs as (that is the node's or the API caller's), so there is no RUN_AS here.

A YAML file is composed before it is built, and refused when its aliases would expand it far
beyond its own size (an alias bomb), so that nothing downstream can turn it into gigabytes. An XML
file is read with defusedxml, a DTD refused naming its line (sources/xml_text.py): Rundeck writes
none, and one declares entities (a bomb, a file read) or attribute values the file does not show.

A project archive (`rd projects archives export`, the GUI's Export Archive), zipped or unzipped, is
read for its jobs alone: `rundeck-<project>/jobs/job-<uuid>.xml`, one `<joblist>` each (Rundeck's
export writes its jobs in XML only, and its import reads no other file of the folder), each job of
the project its folder names unless the XML names its own (`<context><project>`). Its executions,
reports, ACLs, SCM settings and files/ hold no job and are not read; anything beside META-INF and
the `rundeck-<project>` folders at its top is no part of an archive and refuses it, naming it (an
export dropped there would be passed over), as does a file of a jobs/ folder that is no
`job-<uuid>.xml` (`nightly.xml`, `.XML`, `.yaml`, a subfolder's), which Rundeck's import passes over
too. Only such an archive is read as a zip: a zip of job files is refused with a hint to unzip it
(sources/detect.py), and in an archive a member outside it (`../`, an absolute path, a drive
letter) refuses the zip, naming it, as do job files inflating past MAX_ARCHIVE_JOB_BYTES. A job
that names no project for a job reference runs it in its own project, as Rundeck does: the task's
`rd run` says which, and a reference by name finds a job of the export in that project (an
archive's: "not in this archive", when an entry of a folder of several formats refers to a job of
another, each entry being read alone)."""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from xml.etree.ElementTree import Element

import yaml
from defusedxml import DefusedXmlException, ElementTree

from migrate.config import SourceSettings
from migrate.schedule.legacy import rundeck_ignored_weekday, rundeck_quartz_text
from migrate.schedule.result import Rejection
from migrate.sources.profiles import FlowRows, Profile, parameters_text, rows_of, warn_secret_parameters
from migrate.sources.readers import SourceError, SourceRow, file_text, utf16_hint
from migrate.sources.xml_text import declaration_refused

EXPECTED = "this does not look like a Rundeck export (expected a list of jobs with name/sequence or <joblist>)"
MANUAL = "a Rundeck job with no schedule, run by hand"
# How a step's text names a job option, which Rundeck replaces with its value before the step runs:
# `${option.env}` in commands, `@option.env@` in inline scripts, `$RD_OPTION_ENV` in the environment.
# (A script may also read the variable by its bare name: os.environ["RD_OPTION_ENV"].)
OPTION_REFERENCE = re.compile(r"\$\{option\.[A-Za-z0-9_.-]+\}|@option\.[A-Za-z0-9_.-]+@"
                              r"|(?:\$\{?)?\bRD_OPTION_[A-Za-z0-9_]+\b\}?")
# Rundeck's context of a run: the job's (`${job.execid}`, `$RD_JOB_NAME`) and the node's
# (`${node.hostname}`, `@node.name@`, `$RD_NODE_NAME`), which Rundeck set for each step.
CONTEXT_REFERENCE = re.compile(r"\$\{(?:job|node)\.[A-Za-z0-9_.-]+\}|@(?:job|node)\.[A-Za-z0-9_.-]+@"
                               r"|(?:\$\{?)?\bRD_(?:JOB|NODE)_[A-Za-z0-9_]+\b\}?")
# An ordinary file expands to about its own size (nodes plus characters); aliases may repeat a
# little of it, never this much.
EXPANSION_FACTOR, EXPANSION_FLOOR = 10, 1_000_000
# A project archive's jobs, one <joblist> file each, in its project's folder (see the module's text).
ARCHIVE_JOB = re.compile(r"^rundeck-(?P<project>[^/]+)/jobs/job-[^/]+\.xml$")
ARCHIVE_FOLDER, ARCHIVE_MANIFEST = "rundeck-", "META-INF"
# The job files of one zipped archive together, counted as they inflate: far beyond a project's
# jobs, far below what a zip bomb inflates to.
MAX_ARCHIVE_JOB_BYTES = 256 * 1024 * 1024
_DRIVE = re.compile(r"[A-Za-z]:")


@dataclass(frozen=True)
class Export:
    """What a job reference is looked up in: the flow name of each job read, by uuid and by
    `project:group/name` (_flows_by_job), and what they were read from, in words ("export", a
    job export's file; "archive", a project archive)."""

    flows_by_job: dict[str, str]
    called: str


class Malformed(Exception):
    """A value of one job whose shape makes no sense: that job's error, not the file's."""


class NothingToRun(Malformed):
    """A step (or a whole job) with no body: a task must never be saved empty."""


# -- values ---------------------------------------------------------------------------------------

def _text(value: Any, where: str) -> str:
    """A scalar as Rundeck writes it (`true`, `500`); a map or a list where text belongs is refused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise Malformed(f"{where} is a {_kind(value)} where text was expected: {_preview(value)}")


def _kind(value: Any) -> str:
    return "map" if isinstance(value, dict) else "list" if isinstance(value, list) else type(value).__name__


def _preview(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (dict, list)) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    raise Malformed(f"{where} is a {_kind(value)} where a map was expected: {_preview(value)}")


def _flag(value: Any, default: bool) -> bool:
    """Rundeck's booleans: YAML true/false, or the text `true`/`false` of the XML export."""
    if value is None or value == "":
        return default
    return str(value).strip().lower() not in ("false", "0", "no", "off")


def _given(value: Any) -> bool:
    """Present and not blank (a value of the wrong kind is present: reading it says what is wrong)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _listed(value: Any) -> list[Any]:
    """One entry or several: Rundeck writes a single plugin or XML child without a list."""
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


# -- reading the file -----------------------------------------------------------------------------

def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node, budget: int, path: Path) -> None:
    """The size the document would have with every alias copied out (nodes plus characters),
    counted once per distinct node; refused beyond `budget`, or when an alias contains itself."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_counted = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1 + len(str(node.value))
            continue
        children = _children(node)
        if isinstance(node, yaml.MappingNode) and not children_counted:
            _unique_keys(node, path)
        if not children_counted:
            if key in in_progress:
                raise SourceError(f"{path}: refused: a YAML alias refers to itself (line {node.start_mark.line + 1})")
            in_progress.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        in_progress.discard(key)
        sizes[key] = 1 + sum(sizes[id(child)] for child in children)
        if sizes[key] > budget:
            raise SourceError(f"{path}: refused: its YAML aliases expand to more than {budget:,} nodes and "
                              f"characters (line {node.start_mark.line + 1}); an alias bomb is not an export")


def _unique_keys(node: yaml.MappingNode, path: Path) -> None:
    """A mapping's keys each given once, as YAML requires: PyYAML takes a key given twice as its
    last value, silently (a hand edit's `schedule:` twice made a CronJob yearly)."""
    seen: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        line = key.start_mark.line + 1
        if key.value in seen and key.value != "<<":  # `<<:` merges, and may be given twice
            raise SourceError(f"{path}: line {line}: the key {key.value!r} is given again (first at line "
                              f"{seen[key.value]}) in one mapping, which YAML does not allow: which one the export "
                              "meant is not known (Rundeck's and Azkaban's readers took the last, the Kubernetes API "
                              "refuses it, an exporter never writes it: a hand edit?); remove one")
        seen.setdefault(key.value, line)


def load_yaml(text: str, path: Path) -> Any:
    """`yaml.safe_load`, with the expanded size checked between composing and building."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, max(EXPANSION_FLOOR, EXPANSION_FACTOR * len(text)), path)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _xml_value(element: Element) -> Any:
    """An element as Rundeck's XmlParserUtil sees it: text alone is a string; attributes and child
    elements are keys of a map (a repeated child a list), and text beside them is `<text>`."""
    found: dict[str, Any] = dict(element.attrib)
    for child in element:
        value = _xml_value(child)
        if child.tag in found:
            found[child.tag] = [*_listed(found[child.tag]), value]
        else:
            found[child.tag] = value
    text = (element.text or "").strip()
    if not found:
        return text
    if text:
        found["<text>"] = text
    return found


def _xml_plugin(plugin: Any, node_step: bool) -> dict[str, Any]:
    """`<node-step-plugin type=…><configuration><entry key= value=/>…` as the YAML plugin step."""
    plugin = _mapping(plugin, "a plugin step")
    entries = _listed(_mapping(plugin.get("configuration"), "a plugin's configuration").get("entry"))
    configuration = {str(e.get("key")): e.get("value", "") for e in entries if isinstance(e, dict)}
    return {"type": plugin.get("type", ""), "nodeStep": node_step, "configuration": configuration}


def _xml_step(step: Any) -> Any:
    """One XML `<command>` (or `<errorhandler>`) in the YAML form, as Rundeck's XML codec converts it."""
    if not isinstance(step, dict):
        return step
    step = dict(step)
    if "scriptargs" in step:
        step["args"] = step.pop("scriptargs")
    interpreter = step.pop("scriptinterpreter", None)
    if isinstance(interpreter, dict):
        step["scriptInterpreter"] = interpreter.get("<text>", "")
        step["interpreterArgsQuoted"] = _flag(interpreter.get("argsquoted"), False)
    elif interpreter is not None:
        step["scriptInterpreter"] = interpreter
    if isinstance(step.get("jobref"), dict):
        reference = dict(step["jobref"])
        argument = reference.pop("arg", None)
        if isinstance(argument, dict):
            reference["args"] = argument.get("line", "")
        step["jobref"] = reference
    for tag, node_step in (("node-step-plugin", True), ("step-plugin", False)):
        if tag in step:
            step.update(_xml_plugin(step.pop(tag), node_step))
    if "errorhandler" in step:
        step["errorhandler"] = _xml_step(step["errorhandler"])
    return step


def _xml_job(element: Element) -> dict[str, Any]:
    """An XML `<job>` in the shape of the YAML export."""
    job = _xml_value(element)
    if not isinstance(job, dict):
        return {}
    context = job.pop("context", None)
    if isinstance(context, dict) and isinstance(context.get("options"), dict):
        job["options"] = _listed(context["options"].get("option"))
    if isinstance(context, dict) and _given(context.get("project")):  # older exports: <context><project>
        job["project"] = context["project"]
    if isinstance(job.get("options"), dict) and "option" in job["options"]:  # newer exports: <job><options>
        job["options"] = _listed(job["options"]["option"])
    if "dispatch" in job:
        filters = job.get("nodefilters")
        job["nodefilters"] = {**(filters if isinstance(filters, dict) else {}), "dispatch": job.pop("dispatch")}
    schedule = job.get("schedule")
    if isinstance(schedule, dict):
        month = schedule.get("month")
        if isinstance(month, dict):  # <month day="1" month="*"/>: the day is the day of the month
            if month.get("day"):
                schedule["dayofmonth"] = {"day": month["day"]}
            schedule["month"] = month.get("month", "*")
        if isinstance(schedule.get("year"), dict):
            schedule["year"] = schedule["year"].get("year", "*")
    retry = job.get("retry")
    if isinstance(retry, dict):  # <retry delay="30s">3</retry>
        job["retry"] = {"retry": retry.get("<text>", ""), "delay": retry.get("delay", "")}
    sequence = job.get("sequence")
    if isinstance(sequence, dict):
        sequence["commands"] = [_xml_step(step) for step in _listed(sequence.pop("command", None))]
    notification = job.get("notification")
    if isinstance(notification, dict):
        for settings in notification.values():
            if isinstance(settings, dict) and isinstance(settings.get("webhook"), dict):
                settings["urls"] = settings.pop("webhook").get("urls", "")
    return job


def _xml_jobs(text: str, path: object) -> list[Any]:
    """The jobs of an XML export (`path`, the file or an archive's member, names it in messages)."""
    try:  # Rundeck writes no DOCTYPE: one declares entities (a bomb, a file read) or attribute defaults
        root = ElementTree.fromstring(text, forbid_dtd=True)
    except DefusedXmlException as error:
        raise SourceError(declaration_refused(path, text, error, "no Rundeck export has")) from None
    if root.tag != "joblist":
        raise SourceError(f"{path}: {EXPECTED}")
    jobs = [_xml_job(job) for job in root.findall("job")]
    if not jobs:
        raise SourceError(f"{path}: the <joblist> holds no jobs: nothing to migrate")
    return jobs


def _looks_like_a_job(item: Any) -> bool:
    return isinstance(item, dict) and "name" in item and "sequence" in item


def _jobs(settings: SourceSettings) -> list[Any]:
    """The jobs of the file or project archive (each a map in the YAML form, or whatever stands in a
    job's place)."""
    path = settings.path
    if path.is_dir() or _is_zip(path):
        return _archive_jobs(settings)
    if not path.is_file() or not path.stat().st_size:
        raise SourceError(f"{path}: {'no such file' if not path.is_file() else 'the file is empty'}")
    try:
        text = file_text(path, settings.encoding)  # a UTF-16 file with its mark (PowerShell's `>`) too
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not {settings.encoding} text (byte {error.start})") from None
    if path.suffix.lower() == ".xml" or text.lstrip().startswith("<"):
        return _parsed(lambda: _xml_jobs(text, path), path, utf16_hint(text))
    document = _parsed(lambda: load_yaml(text, path), path, utf16_hint(text))
    if isinstance(document, list) and not document:
        raise SourceError(f"{path}: the export holds no jobs: nothing to migrate")
    if not isinstance(document, list) or not any(_looks_like_a_job(item) for item in document):
        raise SourceError(f"{path}: {EXPECTED}")
    return document


# -- a project archive ----------------------------------------------------------------------------

def _is_zip(path: Path) -> bool:
    try:
        return path.is_file() and zipfile.is_zipfile(path)
    except OSError:
        return False


def _member_text(data: bytes, where: str, encoding: str) -> str:
    """A job file's text, as file_text reads a file: a UTF-16 byte-order mark says its encoding."""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    try:
        return data.decode("utf-16" if utf16 else encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"{where}: not {'UTF-16' if utf16 else encoding} text (byte {error.start}); set [source] "
                          "encoding to the file's") from None


Parsed = TypeVar("Parsed")


def _parsed(parse: Callable[[], Parsed], where: object, hint: str = "") -> Parsed:
    """What a parser made of a job file, or a SourceError naming the file and why."""
    try:
        return parse()
    except (yaml.YAMLError, ElementTree.ParseError) as error:
        raise SourceError(f"{where}: cannot parse: {error}{hint}".replace("\n", " ")) from None
    except RecursionError:
        raise SourceError(f"{where}: refused: nested deeper than a job export can be") from None
    except SourceError:
        raise
    except Exception as error:  # what no export makes a parser raise: said as it is
        raise SourceError(f"{where}: refused: {type(error).__name__}: {error}") from None


def _archive_xml_jobs(text: str, where: str, project: str) -> list[Any]:
    """One job file's jobs, each of the archive folder's project unless its XML names its own."""
    jobs = _parsed(lambda: _xml_jobs(text, where), where)
    for job in jobs:
        if isinstance(job, dict) and not _given(job.get("project")):
            job["project"] = project
    return jobs


def _member_path(path: Path, member: str) -> str:
    """A member's path in the archive as it unzips (`./` and `a/../` taken out); the zip refused
    when the member lies outside it, as the azkaban profile refuses one: `..` climbs out of the
    folder it unzips to, and an absolute path or a drive letter is no archive's file."""
    name = member.replace("\\", "/")  # a zip made on Windows may separate its folders so
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../"):
        why = "`..` climbs out of it"
    elif name.startswith("/") or _DRIVE.match(name):
        why = ("an absolute path" if name.startswith("/") else "a drive letter") + ", which no archive holds"
    else:
        return normal
    raise SourceError(f"{path}: refused: its member {member!r} lies outside the archive ({why}); nothing of it is "
                      "read")


def _stray_job_file(name: str) -> bool:
    """A file of a project's jobs/ folder (its path in the archive) that is no `job-<uuid>.xml` of
    it: `nightly.xml`, `job-….XML`, `job-….yaml`, a subfolder's. Rundeck's import reads only
    `<project folder>/jobs/job-*.xml` (its ZipReader, case and all) and skips these too."""
    parts = PurePosixPath(name).parts
    return len(parts) > 2 and parts[0].startswith(ARCHIVE_FOLDER) and parts[1] == "jobs" \
        and not ARCHIVE_JOB.match(name)


def _zip_archive_jobs(settings: SourceSettings) -> tuple[list[Any], list[str], list[str]]:
    """The jobs of a zipped archive, what lies at its top that is no part of an archive, and the
    stray files of its jobs/ folders."""
    path = settings.path
    found: list[tuple[str, str, bytes]] = []  # member, project, bytes
    foreign: set[str] = set()
    stray: list[str] = []
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = _member_path(path, info.filename)
                parts = PurePosixPath(name).parts
                if info.is_dir() or not parts or parts[0] == "__MACOSX" or _tool_file(parts[-1]):
                    continue  # a folder, or what a zip tool adds (macOS resource forks, .DS_Store)
                if len(parts) == 1 or not (parts[0] == ARCHIVE_MANIFEST or parts[0].startswith(ARCHIVE_FOLDER)):
                    foreign.add(parts[0])
                    continue
                if _stray_job_file(name):
                    stray.append(name)
                if not (match := ARCHIVE_JOB.match(name)):
                    continue  # executions, reports, ACLs, files/: no job
                with archive.open(info) as member:  # counted as it inflates: a zip's sizes can lie
                    data = member.read(MAX_ARCHIVE_JOB_BYTES - total + 1)
                total += len(data)
                if total > MAX_ARCHIVE_JOB_BYTES:
                    raise SourceError(f"{path}: refused: its job files inflate past {MAX_ARCHIVE_JOB_BYTES:,} bytes, "
                                      "far more than a project's jobs (a zip bomb?)")
                found.append((name, match["project"], data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
        raise SourceError(f"{path}: cannot read the zip ({error})") from None
    except (RuntimeError, NotImplementedError) as error:  # an encrypted member, an unknown compression
        raise SourceError(f"{path}: cannot read the zip ({error}): unzip it, and point [source] path at the "
                          "folder") from None
    return [job for name, project, data in sorted(found)
            for job in _archive_xml_jobs(_member_text(data, f"{path}!{name}", settings.encoding), f"{path}!{name}",
                                         project)], sorted(foreign), sorted(stray)


def _tool_file(name: str) -> bool:
    """A hidden file a tool leaves (`.DS_Store`, macOS's `._job-….xml` resource forks, an editor's
    swap file), passed over; a hidden job file (`.job-<uuid>.xml`, a job hidden by hand) is not:
    it is named with the archive's other stray files."""
    return name.startswith(".") and (name.startswith("._") or not name.lower().endswith((".xml", ".yaml", ".yml")))


def _folder_archive_jobs(settings: SourceSettings) -> tuple[list[Any], list[str], list[str]]:
    """The jobs of an unzipped archive, what lies at its top that is no part of an archive, and the
    stray files of its jobs/ folders (hidden ones, an editor's or a file manager's, aside)."""
    path = settings.path
    # `unzip` of an archive zipped by macOS's Finder adds __MACOSX (resource forks), as a zip holds it
    top = sorted(entry for entry in path.iterdir() if not entry.name.startswith(".") and entry.name != "__MACOSX")
    foreign = [entry.name for entry in top if not entry.is_dir() or not (
        entry.name == ARCHIVE_MANIFEST or entry.name.startswith(ARCHIVE_FOLDER))]
    jobs, stray = [], []
    for folder in top:
        if not folder.name.startswith(ARCHIVE_FOLDER) or not (folder / "jobs").is_dir():
            continue
        for file in sorted((folder / "jobs").rglob("*")):
            name = file.relative_to(path).as_posix()
            inside = file.relative_to(folder).parts
            if file.is_dir() or any(part.startswith(".") for part in inside[:-1]) or _tool_file(inside[-1]):
                continue
            if not ARCHIVE_JOB.match(name):
                stray.append(name)
                continue
            project = folder.name.removeprefix(ARCHIVE_FOLDER)
            jobs += _archive_xml_jobs(_member_text(file.read_bytes(), str(file), settings.encoding), str(file),
                                      project)
    return jobs, foreign, stray


def _archive_jobs(settings: SourceSettings) -> list[Any]:
    """The jobs of a project archive: a folder (unzipped) or a zip holding META-INF and
    `rundeck-<project>/` folders."""
    path = settings.path
    jobs, foreign, stray = _folder_archive_jobs(settings) if path.is_dir() else _zip_archive_jobs(settings)
    if stray:  # a job file Rundeck's import would not read either: named, never passed over without a word
        more = f" and {len(stray) - 5} more" if len(stray) > 5 else ""
        raise SourceError(f"{path}: a Rundeck project archive's jobs/ folders hold job-<uuid>.xml files alone, and "
                          f"this one holds {', '.join(stray[:5])}{more} too, which would be passed over, as Rundeck's "
                          "import passes them over (it reads rundeck-<project>/jobs/job-*.xml alone, `.xml` in lower "
                          "case): put a job among them at rundeck-<project>/jobs/job-<uuid>.xml, in XML as Rundeck "
                          "exports it, and move the others out (an export beside the archive is read on its own)")
    if not jobs:
        raise SourceError(f"{path}: {'a folder' if path.is_dir() else 'a zip'} with no Rundeck project archive's job "
                          "in it (rundeck-<project>/jobs/job-<uuid>.xml): the profile reads a job export, YAML or "
                          "XML, or such an archive; nothing to migrate")
    if foreign:  # no part of an archive: an export dropped in it would be passed over without a word
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise SourceError(f"{path}: a Rundeck project archive holds {ARCHIVE_MANIFEST}/ and rundeck-<project>/ "
                          f"folders at its top, and this one holds {', '.join(foreign[:5])}{more} too, which would "
                          "be passed over: move them out (an export beside it is read on its own)")
    return jobs


# -- one job --------------------------------------------------------------------------------------

def _job_path(job: dict[str, Any]) -> str:
    """`group/name`, as Rundeck names a job (a group's outer slashes are not part of it)."""
    group = _text(job.get("group"), "group").strip("/")
    name = _text(job.get("name"), "name")
    return f"{group}/{name}" if group else name


def _flow_name(job: dict[str, Any]) -> str:
    return _job_path(job).replace("/", "_")


def _time_field(time: dict[str, Any], name: str) -> str:
    return _text(time.get(name, "0"), f"schedule.time.{name}") or "0"


def _field_value(value: Any, key: str, where: str, default: str) -> str:
    """A schedule field written as text, a number, a list, or a map holding it under `key`."""
    if isinstance(value, dict):
        value = value.get(key, default)
    if isinstance(value, list):
        return ",".join(_text(v, where) for v in value)
    return _text(value, where) or default


def _structured_schedule(schedule: dict[str, Any]) -> dict[str, Any]:
    """Rundeck's structured schedule in the one shape its Quartz text is built from, whichever of
    the shapes Rundeck accepts it came in (`weekday: '*'`, `month: {month: '*'}`, numbers)."""
    time = schedule.get("time") or {}  # every part is optional: midnight
    if not isinstance(time, dict):
        raise Malformed(f"schedule.time is a {_kind(time)} where a map of hour/minute/seconds was expected: "
                        f"{_preview(time)}")
    normal: dict[str, Any] = {
        "time": {name: _time_field(time, name) for name in ("seconds", "minute", "hour")},
        "weekday": {"day": _field_value(schedule.get("weekday"), "day", "schedule.weekday", "*")},
        "month": _field_value(schedule.get("month"), "month", "schedule.month", "*"),
        "year": _field_value(schedule.get("year"), "year", "schedule.year", "*"),
    }
    if schedule.get("dayofmonth") not in (None, "", {}):
        normal["dayofmonth"] = {"day": _field_value(schedule["dayofmonth"], "day", "schedule.dayofmonth", "*")}
    return normal


# Offsets of a fraction of an hour, which no Etc/ zone has, as the zone that has kept that offset, with
# no daylight saving, for decades (a proof compares their fire times over its horizon).
FIXED_OFFSET_ZONES = {"+05:30": "Asia/Kolkata", "+05:45": "Asia/Kathmandu", "+06:30": "Asia/Yangon",
                      "+04:30": "Asia/Kabul", "+09:30": "Australia/Darwin", "-09:30": "Pacific/Marquesas"}
# java.util.TimeZone's custom ids: GMT, a sign, hours (one or two digits), minutes after a colon or not.
JAVA_CUSTOM_ID = re.compile(r"^GMT([+-])(\d{1,2})(?::?(\d{2}))?$")


def _zone(flow: FlowRows, written: str) -> str:
    """The job's `timeZone` as Rundeck read it, with java.util.TimeZone (Rundeck refuses a job whose
    zone Java does not know): one of Java's three-letter ids (`IST` is Asia/Kolkata, `CST`
    America/Chicago, `CTT` Asia/Shanghai) and `GMT+08:00` (a fixed offset) as the IANA zone they
    are, said (TIMEZONE_ALIAS); an IANA name as it is."""
    from migrate.schedule.oozie import JAVA_SHORT_IDS

    match = JAVA_CUSTOM_ID.match(written)
    if written in JAVA_SHORT_IDS:
        zone = JAVA_SHORT_IDS[written]
    elif match and int(match[2]) <= 14 and (match[3] or "00") == "00":
        hours = int(match[2])  # Etc/GMT's sign is POSIX's: GMT+08:00 is Etc/GMT-8
        zone = "UTC" if hours == 0 else f"Etc/GMT{'-' if match[1] == '+' else '+'}{hours}"
    elif match and (offset := f"{match[1]}{int(match[2]):02d}:{match[3]}") in FIXED_OFFSET_ZONES:
        zone = FIXED_OFFSET_ZONES[offset]
    else:
        return written  # an IANA name, or one the mapping names as unknown (GMT+05:30 has no Etc/ zone)
    flow.warn("TIMEZONE_ALIAS", f"timeZone {written} is Java's {zone}")
    return zone


def _schedule(flow: FlowRows, job: dict[str, Any]) -> None:
    schedule = job.get("schedule")
    if schedule in (None, "", {}):
        flow.unscheduled(MANUAL)
        return
    if not flow.cells.get("timezone"):  # as the kubernetes profile's CONTROLLER_TIMEZONE: the zone is assumed
        flow.warn("HOST_TIMEZONE", "the job names no timeZone: Rundeck fired it in its server's own zone (the JVM's "
                                   "default), which the export does not say; set [mapping] source_timezone to it, "
                                   "else the schedule is taken to be in the service's zone")
    if isinstance(schedule, (str, int)):  # a crontab string where the export writes {crontab: …}
        schedule = {"crontab": schedule}
    schedule = _mapping(schedule, "schedule")
    if schedule.get("crontab"):
        flow.schedule = _text(schedule["crontab"], "schedule.crontab")
        return
    try:
        structured = _structured_schedule(schedule)
        flow.schedule = rundeck_quartz_text(structured)
        if (ignored := rundeck_ignored_weekday(structured)) is not None:
            flow.warn("WEEKDAY_IGNORED", f"the schedule names day of month {structured['dayofmonth']['day']} and "
                                         f"weekday {ignored}: Rundeck fires on that day of the month whatever the "
                                         "weekday (it sets the weekday to ?), and so does the flow")
        # The source, for the proof (mapping/flows.py), which reads the structured fields itself
        flow.cells.update(source_schedule=json.dumps(schedule, sort_keys=True, default=str), source_grammar="rundeck")
    except Malformed as error:
        flow.fail("INVALID_SYNTAX", str(error))
    except Rejection as rejection:
        flow.fail(rejection.code, rejection.message)


def _state(flow: FlowRows, job: dict[str, Any]) -> None:
    """Active only when both the schedule and executions are enabled in Rundeck."""
    off = [name for name in ("scheduleEnabled", "executionEnabled") if not _flag(job.get(name), True)]
    flow.cells["active"] = "0" if off else "1"
    if off:
        flow.warn("DISABLED", f"{' and '.join(f'{name}: false' for name in off)} in Rundeck: the flow is saved "
                              "inactive")


def _options(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's options as a list of maps with a name: the export's list, or the older map form."""
    options = job.get("options")
    if isinstance(options, dict):
        return [{"name": name, **_mapping(option, f"option {name}")} for name, option in options.items()]
    found = []
    for option in _listed(options):
        option = _mapping(option, "an option")
        if not option.get("name"):
            raise Malformed(f"an option has no name: {_preview(option)}")
        found.append(option)
    return found


def _parameters(flow: FlowRows, job: dict[str, Any]) -> None:
    """Options with defaults become parameters; a secure option's value is never carried."""
    parameters, secure, without_default = [], [], []
    for option in _options(job):
        name = _text(option["name"], "an option's name")
        if _flag(option.get("secure"), False) or option.get("storagePath"):
            where = f" (key storage {_text(option['storagePath'], 'storagePath')})" if option.get("storagePath") else ""
            secure.append(f"{name}{where}")
        elif option.get("value") not in (None, ""):
            parameters.append({"key": name, "value": _text(option["value"], f"option {name}")})
        else:
            without_default.append(f"{name}{' (required)' if _flag(option.get('required'), False) else ''}")
    flow.cells["params"] = parameters_text(parameters)
    warn_secret_parameters(flow, parameters)
    if secure:
        flow.warn("SECURE_OPTION", f"secure options {', '.join(secure)} are not carried: give the flow their values "
                                   "another way (a secret store), never as parameters")
    if without_default:
        flow.warn("OPTION_WITHOUT_DEFAULT", f"options {', '.join(without_default)} had no default (typed in at each "
                                            "run): not carried as parameters")


def _email_settings(settings: dict[str, Any], email: dict[str, Any], trigger: str) -> str:
    """How the e-mail was written beyond its recipients: its subject and the run's log attached
    (`attachLog`, in a file or inline), which no alert of a flow carries ("" none)."""
    subject = _text(email.get("subject", settings.get("subject")), f"notification.{trigger} subject").strip()
    attached = [key for key in ("attachLog", "attachLogInFile", "attachLogInline")
                if _flag(email.get(key, settings.get(key)), False)]
    how = "in a file" if "attachLogInFile" in attached else "inline" if "attachLogInline" in attached else ""
    said = [*([f"the subject {subject!r}"] if subject else []),
            *([f"the run's log attached{f' {how}' if how else ''}"] if attached else [])]
    return f" with {' and '.join(said)}" if said else ""


def _notification_kinds(settings: Any, trigger: str) -> tuple[str, str, list[str]]:
    """A trigger's e-mail recipients, how its e-mail was written beyond them (_email_settings), and
    a description of each of its other notifications."""
    settings = _mapping(settings, f"notification.{trigger}")
    email = _mapping(settings.get("email"), "email")
    recipients = _text(settings.get("recipients") or email.get("recipients"), f"notification.{trigger} recipients")
    written = _email_settings(settings, email, trigger) if recipients else ""
    others = []
    if settings.get("urls"):
        others.append(f"webhook {_text(settings['urls'], f'notification.{trigger} urls')}")
    for plugin in _listed(settings.get("plugin")):
        others.append(f"plugin {_text(_mapping(plugin, 'a notification plugin').get('type'), 'plugin type')}")
    return recipients, written, others


def _alerts(flow: FlowRows, job: dict[str, Any]) -> None:
    """An e-mail on failure turns the flow's e-mail alert on; every other notification is named."""
    notification = _mapping(job.get("notification"), "notification")
    threshold = _text(job.get("notifyAvgDurationThreshold"), "notifyAvgDurationThreshold")
    not_carried: list[str] = []
    for trigger, settings in notification.items():
        recipients, written, others = _notification_kinds(settings, str(trigger))
        if trigger == "onfailure" and recipients:
            flow.cells["alert"] = "1"
            flow.warn("ALERT_RECIPIENTS", f"failure e-mails went to {recipients}{written}: the flow's e-mail alert "
                                          "goes to its EnOS users, not to these addresses"
                      + (", in the service's own words, with no log attached" if written else ""))
        elif recipients:
            others.insert(0, f"e-mail to {recipients}{written}")
        when = f" (threshold {threshold})" if trigger == "onavgduration" and threshold else ""
        not_carried.extend(f"{trigger}{when}: {other}" for other in others)
    if not_carried:
        flow.warn("NOTIFICATION", f"notifications a flow cannot send, not carried: {'; '.join(not_carried)}")


def _script_invocation(step: dict[str, Any], script: str) -> str:
    """How Rundeck ran a script: `interpreter script args`, quoted together when asked to."""
    interpreter = _text(step.get("scriptInterpreter"), "scriptInterpreter")
    arguments = " ".join(p for p in (script, _text(step.get("args"), "args")) if p)
    if interpreter and _flag(step.get("interpreterArgsQuoted"), False):
        arguments = shlex.quote(arguments)
    return " ".join(p for p in (interpreter, arguments) if p)


def _job_reference(step_number: int, reference: dict[str, Any], export: Export, flow: FlowRows,
                   own_project: str) -> str:
    """`rd run`, Rundeck's own CLI call that runs the referenced job and follows it to its end; a
    reference naming no project is to a job of the job's own project, as Rundeck reads it."""
    path = _job_path({"group": reference.get("group"), "name": reference.get("name")})
    uuid = _text(reference.get("uuid"), "jobref uuid")
    if not path and not uuid:
        raise NothingToRun(f"step {step_number} refers to a job with neither a name nor a uuid")
    project = _text(reference.get("project"), "jobref project") or own_project
    call = ["rd", "run", "-f", *(["-p", project] if project else []), *(["-i", uuid] if uuid else ["-j", path])]
    arguments = _text(reference.get("args"), "jobref args")
    command = shlex.join(call) + (f" -- {arguments}" if arguments else "")
    # By uuid, else by name in its project, else (an export that names no project) by name alone
    flows_by_job = export.flows_by_job
    target = flows_by_job.get(uuid) or flows_by_job.get(_path_key(project, path)) or flows_by_job.get(
        _path_key("", path))
    label = " ".join(p for p in (path, f"(uuid {uuid})" if uuid else "") if p)
    where = f"in this {export.called} as flow {target!r}" if target else f"not in this {export.called}"
    flow.warn("JOB_REFERENCE", f"step {step_number} runs the Rundeck job {label}, {where}: a flow cannot run another "
                               f"flow as a step; the task runs `{command}`, which needs the Rundeck CLI where it runs. "
                               "To wait for the migrated flow instead, replace the task by a flow dependency on its "
                               "EnOS id")
    return command


def _step_body(step_number: int, step: dict[str, Any], export: Export, flow: FlowRows, project: str) -> str:
    """The text a task runs for one workflow step; what it cannot carry is named on the flow."""
    where = f"step {step_number}"
    if _given(step.get("exec")):
        return _text(step["exec"], f"{where} exec")
    if _given(step.get("script")):
        if _given(step.get("scriptInterpreter")) or _given(step.get("args")):
            invocation = _script_invocation(step, f"script{_text(step.get('fileExtension'), 'fileExtension')}")
            interpreter = _given(step.get("scriptInterpreter"))
            flow.warn("SCRIPT_INVOCATION", f"{where} ran its script as `{invocation}`: the interpreter and arguments "
                                           "are not part of the task's body"
                      + (", whose text the task runs as shell commands, not with the interpreter: have the "
                         "interpreter read it, as a here-document after it (`<<'EOF'` … `EOF`), before the flow runs"
                         if interpreter else ""))
        return _text(step["script"], f"{where} script")
    if _given(step.get("scriptfile")):
        command = _script_invocation(step, _text(step["scriptfile"], f"{where} scriptfile"))
        flow.warn("SCRIPT_REFERENCE", f"{where} ran a script file of the Rundeck server (copied to the node at each "
                                      f"run): the task runs `{command}` where the service runs it; the file must be "
                                      "there")
        return command
    if _given(step.get("scripturl")):
        command = _script_invocation(step, _text(step["scripturl"], f"{where} scripturl"))
        flow.warn("SCRIPT_REFERENCE", f"{where} ran the script downloaded at each run from `{command}`: the task's "
                                      "body is that address, which does not run as it is; put the script's text in "
                                      "the task")
        return command
    if _given(step.get("jobref")):
        return _job_reference(step_number, _mapping(step["jobref"], f"{where} jobref"), export, flow, project)
    if _given(step.get("type")):
        plugin = {"type": _text(step["type"], f"{where} type"), "nodeStep": _flag(step.get("nodeStep"), False),
                  "configuration": _mapping(step.get("configuration"), f"{where} configuration")}
        flow.warn("PLUGIN_STEP", f"{where} is the Rundeck plugin {plugin['type']!r}: a task cannot run it; its "
                                 "configuration is kept as the task's body")
        return json.dumps(plugin, ensure_ascii=False, sort_keys=True, default=str)
    raise NothingToRun(f"{where} has nothing to run (no exec, script, scriptfile, scripturl, jobref or plugin type)")


def _error_handler(step_number: int, step: dict[str, Any], flow: FlowRows) -> None:
    handler = step.get("errorhandler")
    if handler in (None, "", {}):
        return
    handler = _mapping(handler, f"step {step_number} errorhandler")
    kind = next((k for k in ("exec", "script", "scriptfile", "scripturl", "jobref", "type") if handler.get(k)), "")
    body = _preview(handler[kind]) if kind else _preview(handler)
    then = ", and the workflow went on when it succeeded" if _flag(handler.get("keepgoingOnSuccess"), False) else ""
    flow.warn("ERROR_HANDLER", f"step {step_number} had an error handler ({kind} {body}) that ran when the step "
                               f"failed{then}: a flow has no such branch; not carried")


def _workflow(flow: FlowRows, job: dict[str, Any], export: Export, project: str) -> None:
    """One task per step, in order; Rundeck's parallel strategy runs them all at once."""
    sequence = _mapping(job.get("sequence"), "sequence")
    steps = _listed(sequence.get("commands"))
    if not steps:
        flow.fail("EMPTY_COMMAND", "the job has no steps: nothing for a task to run")
        return
    strategy = _text(sequence.get("strategy"), "sequence.strategy") or "node-first"
    parallel = strategy == "parallel"
    if strategy not in ("node-first", "step-first", "sequential", "parallel"):
        flow.warn("WORKFLOW_STRATEGY", f"the workflow strategy {strategy!r} is not carried: the steps run one after "
                                       "another")
    if _flag(sequence.get("keepgoing"), False) and not parallel:
        flow.warn("KEEPGOING", "the workflow went on after a failed step (keepgoing: true); in a flow, the tasks "
                               "after a failed one do not run")
    previous = ""
    for number, item in enumerate(steps, 1):
        try:
            step = _mapping(item, f"step {number}")
            command = _step_body(number, step, export, flow, project)
            _error_handler(number, step, flow)
        except NothingToRun as error:
            flow.fail("EMPTY_COMMAND", str(error))
            continue
        except Malformed as error:
            flow.fail("MALFORMED_JOB", str(error))
            continue
        flow.tasks.append({"task_id": str(number), "task_name": f"{flow.name}_step{number}",
                           "upstream": "" if parallel else previous, "command": command})
        previous = str(number)
    _option_references(flow, steps)


def _option_references(flow: FlowRows, steps: list[Any]) -> None:
    """Option and context references in the steps' commands, scripts and arguments: kept as
    written, and named, since nothing replaces them with the values once the text runs as a task."""
    texts = [(task["task_id"], task["command"]) for task in flow.tasks]
    texts += [(str(number), _text(step.get("args"), f"step {number} args"))
              for number, step in enumerate(steps, 1) if isinstance(step, dict) and _given(step.get("args"))]
    if options := _references(OPTION_REFERENCE, texts):
        flow.warn("OPTION_REFERENCE", f"the steps refer to Rundeck options {options}, which Rundeck replaced with "
                                      "the option values before a step ran; EnOS parameters use another syntax, so "
                                      "the text is kept as written and nothing resolves it: the flow's parameters "
                                      "carry the values, rewrite the references to use them")
    if context := _references(CONTEXT_REFERENCE, texts):
        flow.warn("CONTEXT_REFERENCE", f"the steps refer to Rundeck's context of a run {context} (the job's name, "
                                       "execution id, user…, the node's name and host), which Rundeck set for each "
                                       "step; nothing sets them in a task: kept as written, they are empty there")


def _references(pattern: re.Pattern[str], texts: list[tuple[str, str]]) -> str:
    """Each reference the texts make, with the steps that make it."""
    found: dict[str, list[str]] = {}
    for step, text in texts:
        for reference in pattern.findall(text):
            found.setdefault(reference, [])
            if step not in found[reference]:
                found[reference].append(step)
    return ", ".join(f"{reference} (step {', '.join(steps_of)})" for reference, steps_of in found.items())


def _execution(flow: FlowRows, job: dict[str, Any]) -> None:
    """Where and how Rundeck ran the job: node filters and the orchestrator over its nodes, retries,
    time-out; none of it is carried."""
    filters = _mapping(job.get("nodefilters"), "nodefilters")
    chosen = filters.get("filter") or {k: v for k, v in filters.items() if k in ("include", "exclude") and v}
    orchestrator = _orchestrator(job)
    if chosen:
        dispatch = _mapping(filters.get("dispatch"), "nodefilters.dispatch")
        how = ", ".join([*(f"{key} {_text(dispatch[key], key)}" for key in ("threadcount", "keepgoing", "rankOrder")
                           if _given(dispatch.get(key))), *([orchestrator] if orchestrator else [])])
        strategy = _text(_mapping(job.get("sequence"), "sequence").get("strategy"), "strategy") or "node-first"
        flow.warn("NODE_FILTER", f"the job ran on the Rundeck nodes matching {_preview(chosen)} "
                                 f"({how or 'one node at a time'}; strategy {strategy}): a task runs where the "
                                 "service runs it; not carried")
    elif orchestrator:
        flow.warn("NODE_FILTER", f"the job names the {orchestrator}, which chose the order and number of the "
                                 "Rundeck nodes it ran on at once, and no node filter (it ran on the Rundeck "
                                 "server): a task runs where the service runs it; not carried")
    retry = job.get("retry")
    retries, delay = (retry.get("retry"), retry.get("delay")) if isinstance(retry, dict) else (retry, None)
    if _text(retries, "retry") not in ("", "0"):
        after = f", {_text(delay, 'retry delay')} apart" if delay else ""
        flow.warn("RETRY", f"Rundeck retried the job up to {_text(retries, 'retry')} times{after}: not carried")
    if _given(job.get("timeout")):
        flow.warn("TIMEOUT", f"Rundeck stopped the job after {_text(job['timeout'], 'timeout')}: not carried")
    if _text(job.get("multipleExecutions"), "multipleExecutions").strip().lower() == "true":
        limit = _text(job.get("maxMultipleExecutions"), "maxMultipleExecutions").strip()
        flow.warn("CONCURRENCY", f"Rundeck let runs of the job overlap (multipleExecutions true"
                                 f"{f', at most {limit}' if limit else ''}): not carried")
    if _given(job.get("loglimit")):
        action = _text(job.get("loglimitAction"), "loglimitAction").strip() or "halt"
        flow.warn("LOG_LIMIT", f"Rundeck limited the job's output to {_text(job['loglimit'], 'loglimit')} (then "
                               f"{action}): not carried")


def _orchestrator(job: dict[str, Any]) -> str:
    """The orchestrator of the job's node dispatch (`orchestrator: {type: rankTiered, configuration:
    …}`, or its XML element), in words ("" none)."""
    orchestrator = _mapping(job.get("orchestrator"), "orchestrator")
    if not orchestrator:
        return ""
    kind = _text(orchestrator.get("type"), "orchestrator type") or "(no type)"
    configuration = orchestrator.get("configuration")
    return f"orchestrator {kind}" + (f" {_preview(configuration)}" if configuration not in (None, "", {}) else "")


def _flow(item: Any, index: int, export: Export) -> FlowRows:
    if not isinstance(item, dict) or not item.get("name"):  # one without a sequence fails for that
        flow = FlowRows(key=f"job {index + 1}", name=f"job {index + 1}")
        flow.fail("MALFORMED_JOB", f"item {index + 1} is not a Rundeck job (a map with a name and a sequence): "
                                   f"{_preview(item)}")
        return flow
    job: dict[str, Any] = item
    # Its identity: the uuid Rundeck keeps across exports, else its group and name, never its place
    # in the file.
    key = job.get("uuid") or job.get("id")
    if not isinstance(key, (str, int)) or key == "":
        try:
            key = _job_path(job) or f"job {index + 1}"
        except Malformed:
            key = f"job {index + 1}"
    flow = FlowRows(key=str(key), name=f"job {index + 1}")
    try:
        flow.name = _flow_name(job) or flow.name
        flow.cells["desc"] = _text(job.get("description"), "description")
        flow.cells["timezone"] = _zone(flow, _text(job.get("timeZone"), "timeZone").strip())
        _schedule(flow, job)
        _state(flow, job)
        _parameters(flow, job)
        _alerts(flow, job)
        _workflow(flow, job, export, _project(job))
        _execution(flow, job)
    except Malformed as error:
        flow.fail("MALFORMED_JOB", str(error))
    return flow


def _project(job: dict[str, Any]) -> str:
    """The job's project: its archive folder's, or its XML's `<context><project>` ("" unsaid)."""
    return _text(job.get("project"), "project").strip()


def _path_key(project: str, path: str) -> str:
    """A job's `group/name` in its project ("" unsaid): a project's name holds no `:` in Rundeck."""
    return f"{project}:{path}"


def _flows_by_job(jobs: list[Any]) -> dict[str, str]:
    """Each job of the export by uuid and by `group/name` in its project: the flow a job reference
    points at."""
    found: dict[str, str] = {}
    for job in jobs:
        try:
            if isinstance(job, dict) and job.get("name"):
                found[_path_key(_project(job), _job_path(job))] = _flow_name(job)
                for key in ("uuid", "id"):
                    if isinstance(job.get(key), str) and job[key]:
                        found[job[key]] = _flow_name(job)
        except Malformed:
            continue  # that job's own flow reports it
    return found


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    jobs = _jobs(settings)
    # A folder of several formats reads each entry alone: an archive's references to the jobs of
    # another are "not in this archive", which stays true
    archive = settings.path.is_dir() or _is_zip(settings.path)
    export = Export(_flows_by_job(jobs), "archive" if archive else "export")
    for index, job in enumerate(jobs):
        yield _flow(job, index, export)


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("rundeck", "quartz", read, "Rundeck job exports, YAML or XML", takes_options=False)
