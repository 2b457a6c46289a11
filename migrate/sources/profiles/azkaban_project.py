"""An Azkaban project read the way Azkaban reads it on upload, into one graph of jobs per flow.

The project is a zip or a folder (a zip whose member would unzip outside the project is refused,
as Azkaban's upload refuses it: `_member_path`). Azkaban's FlowLoaderFactory chooses its format:
a `.project` file (in the top folder, else in a sub-folder) saying `azkaban-flow-version: 2.0`
makes it Flow 2.0, whose every `.flow` file (in any folder) is a flow named after the file, checked as
NodeBeanLoader checks it (unique node names, known dependencies, no cycle, a valid trigger);
otherwise it is the older format (DirectoryFlowLoader): `.job` files read as java.util.Properties,
under the `.properties` files of their folder and its parents (each folder's files chained in name
order), and a flow ending at every job no other job depends on (or marked `root.node=true`), named
after it and holding it and every job it waits on.

Embedded flows are flattened into `embedded:job` jobs (Azkaban's own name for them in an
execution): the jobs the embedded flow waited on precede its first jobs, the jobs waiting on it
follow its last ones, and its properties lie under its jobs' own. What Azkaban refuses in one
flow (a YAML error, a duplicate, an unknown dependency, a cycle) is that flow's error; the other
flows go on.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from migrate.config import SourceSettings
from migrate.schedule.quartz import QuartzError, parse_quartz
from migrate.sources.profiles.rundeck import load_yaml
from migrate.sources.readers import SourceError

TEXT_SUFFIXES = (".flow", ".job", ".properties", ".project")
MAX_TEXT_BYTES = 64 * 1024 * 1024  # every .flow, .job and .properties file of one project together
EXPECTED = ("expected an Azkaban project: a zip or a folder with .flow files and a .project file saying "
            "azkaban-flow-version: 2.0, or with .job files")
FLOW_KEYS = {"config", "nodes", "trigger", "name", "type", "dependsOn", "condition"}
NODE_KEYS = {"name", "type", "config", "dependsOn", "condition", "nodes", "trigger"}
ALL_SUCCESS = "all_success"


# -- java.util.Properties, as Azkaban reads a .job or .properties file --------------------------------

def _continues(line: str) -> bool:
    """A line ending in an odd number of backslashes goes on on the next one."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _unescape(text: str, where: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if char != "\\" or index >= len(text):
            out.append(char)
            continue
        char = text[index]
        index += 1
        if char == "u":
            digits = text[index:index + 4]
            if len(digits) < 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                escape = "\\u" + digits
                raise ValueError(f"{where}: malformed \\uxxxx escape {escape!r}, which java.util.Properties refuses")
            out.append(chr(int(digits, 16)))
            index += 4
        else:
            out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(char, char))
    # Java writes a character outside the Basic Multilingual Plane as two \u escapes (a surrogate pair).
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _split_entry(line: str) -> tuple[str, str]:
    """Key and value of one logical line: the key ends at the first unescaped `=`, `:` or blank."""
    index, escaped = 0, False
    while index < len(line):
        char = line[index]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "=: \t\f":
            break
        index += 1
    key, rest = line[:index], line[index:]
    rest = rest.lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


def java_properties(text: str, where: str) -> dict[str, str]:
    """A properties file as java.util.Properties.load reads it: `#`/`!` comments, `key=value`,
    `key: value` or `key value`, backslash line continuations, escapes; the last of a key wins."""
    found: dict[str, str] = {}
    lines = re.split(r"\r\n|\r|\n", text)
    number = 0
    while number < len(lines):
        line = lines[number].lstrip(" \t\f")
        number += 1
        if not line or line[0] in "#!":
            continue
        while _continues(line):
            line = line[:-1]
            if number >= len(lines):
                break
            line += lines[number].lstrip(" \t\f")
            number += 1
        key, value = _split_entry(line)
        found[_unescape(key, where)] = _unescape(value, where)
    return found


# -- the project's files ---------------------------------------------------------------------------

@dataclass
class Project:
    name: str
    origin: Path
    texts: dict[str, str]  # relative path -> text, for .flow, .job, .properties and .project files
    others: set[str]  # every other file's relative path


def _metadata(path: str) -> bool:
    """Files a zip tool adds that are not the project's (macOS resource forks)."""
    parts = PurePosixPath(path).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1] == ".DS_Store")


def _decode(data: bytes, where: str, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"{where}: not {encoding} text (byte {error.start})") from None


_DRIVE = re.compile(r"[A-Za-z]:")


def _member_path(path: Path, member: str) -> str:
    """A member's path in the project, as it unzips (`./` and `a/../` taken out); or the zip refused
    when the member lies outside the project: Azkaban's upload (Utils.unzip) refuses a zip whose
    member would unzip outside the project's folder (`..`), and an absolute path or a drive letter
    is no project's file either (an archiver makes neither from a folder)."""
    name = member.replace("\\", "/")  # a zip made on Windows may separate its folders so
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../"):
        why = "`..` climbs out of it: Azkaban refuses to upload such a zip"
    elif name.startswith("/") or _DRIVE.match(name):
        why = ("an absolute path" if name.startswith("/") else "a drive letter") + ", which no zip of a " \
              "project's folder holds"
    else:
        return normal
    raise SourceError(f"{path}: refused: its member {member!r} lies outside the project ({why}); the project is "
                      "not read")


def _zip_files(path: Path, encoding: str) -> tuple[dict[str, str], set[str]]:
    texts: dict[str, str] = {}
    others: set[str] = set()
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = _member_path(path, info.filename)  # a path as the project unzips to
                if info.is_dir() or _metadata(name):
                    continue
                if not name.lower().endswith(TEXT_SUFFIXES):
                    others.add(name)
                    continue
                total += info.file_size
                if total > MAX_TEXT_BYTES:
                    raise SourceError(f"{path}: refused: its .flow, .job and .properties files expand to more than "
                                      f"{MAX_TEXT_BYTES:,} bytes; an Azkaban project is far smaller")
                texts[name] = _decode(archive.read(info), f"{path}!{name}", encoding)
    except zipfile.BadZipFile as error:
        raise SourceError(f"{path}: this does not look like an Azkaban project ({EXPECTED}; it is neither a folder "
                          f"nor a zip: {error})") from None
    except (OSError, RuntimeError, NotImplementedError) as error:  # encrypted entries, unknown compression
        raise SourceError(f"{path}: cannot read the zip ({error})") from None
    return texts, others


def _folder_files(path: Path, encoding: str) -> tuple[dict[str, str], set[str]]:
    texts: dict[str, str] = {}
    others: set[str] = set()
    total = 0
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        name = file.relative_to(path).as_posix()
        if _metadata(name):
            continue
        if not name.lower().endswith(TEXT_SUFFIXES):
            others.add(name)
            continue
        total += file.stat().st_size
        if total > MAX_TEXT_BYTES:
            raise SourceError(f"{path}: refused: its .flow, .job and .properties files hold more than "
                              f"{MAX_TEXT_BYTES:,} bytes; an Azkaban project is far smaller")
        texts[name] = _decode(file.read_bytes(), str(file), encoding)
    return texts, others


def read_project(settings: SourceSettings, name: str) -> Project:
    path = settings.path
    if path.is_dir():
        texts, others = _folder_files(path, settings.encoding)
    elif path.is_file():
        texts, others = _zip_files(path, settings.encoding)
    else:
        raise SourceError(f"{path}: no such file or folder")
    return Project(name or (path.name if path.is_dir() else path.stem), path, texts, others)


def suffixed(project: Project, suffix: str) -> list[str]:
    return sorted(p for p in project.texts if p.lower().endswith(suffix))


def folder_of(path: str) -> str:
    return posixpath.dirname(path)


def flow_version(project: Project) -> str:
    """"2.0" or "1.0", as Azkaban's FlowLoaderFactory decides: a .project file in the project's top
    folder, else in any sub-folder; one that does not say `azkaban-flow-version: 2.0` is refused."""
    found = suffixed(project, ".project")
    if not found:
        return "1.0"
    top = min(len(PurePosixPath(p).parts) for p in found)
    first = sorted(p for p in found if len(PurePosixPath(p).parts) == top)
    for folder in {folder_of(p) for p in found}:
        here = [p for p in found if folder_of(p) == folder]
        if len(here) > 1:
            raise SourceError(f"{project.origin}: {', '.join(here)}: more than one .project file in a folder, "
                              "which Azkaban refuses")
    where = f"{project.origin}: {first[0]}"
    try:
        document = yaml.safe_load(project.texts[first[0]])
    except yaml.YAMLError as error:
        raise SourceError(f"{where}: not YAML ({error})".replace("\n", " ")) from None
    version = document.get("azkaban-flow-version") if isinstance(document, dict) else None
    if version is None:
        raise SourceError(f"{where}: azkaban-flow-version is not specified, which Azkaban refuses")
    if isinstance(version, bool) or not isinstance(version, float) or version != 2.0:
        raise SourceError(f"{where}: azkaban-flow-version is {version!r}; Azkaban reads 2.0 only, written as a number "
                          "(a quoted \"2.0\" is text, which Azkaban refuses)")
    return "2.0"


# -- the model both formats are read into ----------------------------------------------------------------

@dataclass
class Job:
    name: str  # the task's name; `embedded:job` inside an embedded flow
    type: str
    own: list[dict[str, str]]  # the job's properties and its embedded flows', lowest first
    upstream: list[str]
    condition: str
    source: str  # the file that defines it
    # 1.0: the .properties files above the job's file, outermost first. Azkaban's FlowRunner puts
    # them under everything else ("least precedence"): the schedule's flow parameters override them.
    chain: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Graph:
    name: str
    source: str
    shared: dict[str, str]  # the flow's config (2.0) or the .properties above its last job (1.0)
    email_props: dict[str, str]
    jobs: list[Job] = field(default_factory=list)
    shared_by_jobs: bool = True  # 2.0's config is every job's; 1.0's jobs have each their own (Job.chain)
    trigger: Any = None
    embedded: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def scalar(value: Any) -> str:
    """A YAML value as the text Azkaban gives it (true, 3, 2024-01-01)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _config(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where} config is a {type(value).__name__}, not a map of properties")
    found = {}
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            raise ValueError(f"{where} config {key!r} is a {type(item).__name__}; a property is one value")
        found[str(key)] = scalar(item)
    return found


# -- Flow 2.0 ---------------------------------------------------------------------------------------------

@dataclass
class _Expanded:
    jobs: list[Job]
    entries: dict[str, list[str]]  # node name -> the tasks that start it
    exits: dict[str, list[str]]  # node name -> the tasks that end it


@dataclass
class _Node:
    name: str
    type: str
    config: Any
    depends_on: list[str]
    condition: str
    nodes: Any
    trigger: Any


def _check_nodes(nodes: Any, where: str) -> list[_Node]:
    """Nodes as Azkaban's NodeBeanLoader validates them: names unique, dependencies defined, no cycle."""
    if not isinstance(nodes, list) or not nodes or not all(isinstance(n, dict) for n in nodes):
        raise ValueError(f"{where}: `nodes` should be a list of nodes")
    found: list[_Node] = []
    for number, node in enumerate(nodes, 1):
        name = scalar(node.get("name")).strip()
        unknown = sorted(str(k) for k in set(node) - NODE_KEYS)
        if unknown:
            raise ValueError(f"{where}: node {name or number} has keys {unknown} that Azkaban does not know")
        if not name:
            raise ValueError(f"{where}: node {number} has no name")
        if not scalar(node.get("type")).strip():
            raise ValueError(f"{where}: node {name} has no type")
        if name == "ROOT":
            raise ValueError(f"{where}: a node is named ROOT, a name Azkaban reserves")
        depends = node.get("dependsOn") or []
        if not isinstance(depends, list):
            raise ValueError(f"{where}: node {name}'s dependsOn should be a list of node names")
        found.append(_Node(name, scalar(node.get("type")).strip(), node.get("config"),
                           [scalar(d).strip() for d in depends], scalar(node.get("condition")).strip(),
                           node.get("nodes"), node.get("trigger")))
    names = [n.name for n in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{where}: nodes {repeated} are defined more than once")
    for node in found:
        missing = [d for d in node.depends_on if d not in names]
        if missing:
            raise ValueError(f"{where}: node {node.name} depends on {missing}, which are not nodes of this flow")
    _no_cycle({n.name: n.depends_on for n in found}, where)
    return found


def _no_cycle(upstream: dict[str, list[str]], where: str) -> None:
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name):], name]
            raise ValueError(f"{where}: the dependencies go round in a cycle ({' -> '.join(cycle)})")
        state[name] = 1
        for parent in upstream.get(name, []):
            visit(parent, [*path, name])
        state[name] = 2

    for name in upstream:
        visit(name, [])


def condition_refused(condition: str) -> bool:
    return bool(condition) and condition != ALL_SUCCESS


def _expand(nodes: list[_Node], prefix: str, layers: list[dict[str, str]], source: str, graph: Graph) -> _Expanded:
    """The nodes' jobs, embedded flows flattened into `embedded:job` tasks."""
    expanded = _Expanded([], {}, {})
    for node in nodes:
        config = _config(node.config, f"node {prefix}{node.name}")
        if node.type == "flow":
            where = f"embedded flow {prefix}{node.name}"
            inner_nodes = _check_nodes(node.nodes, where)
            inner = _expand(inner_nodes, f"{prefix}{node.name}:", [*layers, config], source, graph)
            graph.embedded.append(prefix + node.name)
            if node.trigger is not None:
                graph.warnings.append(("TRIGGER_IGNORED", f"{where} has a trigger, which Azkaban ignores on an "
                                                          "embedded flow"))
            if condition_refused(node.condition):
                graph.errors.append(("CONDITION", f"{where} runs only when {node.condition!r} holds; a flow runs "
                                                  "every task whose upstream succeeded"))
            expanded.jobs += inner.jobs
            needed = {d for n in inner_nodes for d in n.depends_on}
            expanded.entries[node.name] = [t for n in inner_nodes if not n.depends_on for t in inner.entries[n.name]]
            expanded.exits[node.name] = [t for n in inner_nodes if n.name not in needed for t in inner.exits[n.name]]
        else:
            if node.nodes:
                graph.warnings.append(("NODES_IGNORED", f"node {prefix}{node.name} ({node.type}) has nodes of its "
                                                        "own, which Azkaban reads only on a node of type flow"))
            expanded.jobs.append(Job(prefix + node.name, node.type, [*layers, config], [], node.condition, source))
            expanded.entries[node.name] = expanded.exits[node.name] = [prefix + node.name]
    jobs = {job.name: job for job in expanded.jobs}
    for node in nodes:
        before = [t for parent in node.depends_on for t in expanded.exits[parent]]
        for task in expanded.entries[node.name]:
            jobs[task].upstream += [t for t in before if t not in jobs[task].upstream]
    return expanded


def _trigger_check(trigger: Any, where: str) -> None:
    """The checks Azkaban's NodeBeanLoader makes on a flow trigger before it accepts the flow."""
    if not isinstance(trigger, dict):
        raise ValueError(f"{where}: trigger should be a map with schedule, triggerDependencies and maxWaitMins")
    schedule = trigger.get("schedule")
    if not isinstance(schedule, dict) or schedule.get("type") != "cron" or set(schedule) != {"type", "value"}:
        raise ValueError(f"{where}: the trigger's schedule must be {{type: cron, value: …}} and nothing else "
                         f"(found {schedule!r})")
    value = scalar(schedule.get("value")).strip()
    try:  # Quartz's CronExpression.isValidExpression, asked first, which reads the first 7 fields only
        parse_quartz(" ".join(value.split()[:7]))
    except QuartzError as error:
        raise ValueError(f"{where}: the trigger's cron {value!r} is not one Quartz reads ({error.reason})") from None
    if value.split()[:1] != ["0"]:
        raise ValueError(f"{where}: the trigger's cron {value!r} must start with 0 seconds (Azkaban refuses a flow "
                         "trigger firing more than once a minute)")
    dependencies = trigger.get("triggerDependencies") or []
    if not isinstance(dependencies, list) or not all(isinstance(d, dict) and d.get("name") and d.get("type")
                                                     for d in dependencies):
        raise ValueError(f"{where}: every triggerDependency needs a name and a type")
    names = [str(d["name"]) for d in dependencies]
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: triggerDependencies {names} repeat a name")
    for index, first in enumerate(dependencies):  # NodeBeanLoader's validateDepDefinitionUniqueness
        same = [str(d["name"]) for d in dependencies[index + 1:]
                if d["type"] == first["type"] and d.get("params") == first.get("params")]
        if same:
            raise ValueError(f"{where}: triggerDependencies {[str(first['name']), *same]} wait on the same data "
                             f"(type {first['type']} and the same params): Azkaban wants each dependency unique")
    wait = trigger.get("maxWaitMins")
    if dependencies and not isinstance(wait, int):
        raise ValueError(f"{where}: a trigger with dependencies needs maxWaitMins (minutes, at least 1)")
    if wait is not None and (not isinstance(wait, int) or wait < 1):
        raise ValueError(f"{where}: maxWaitMins {wait!r} must be a whole number of minutes, at least 1")


def _yaml_graph(project: Project, path: str) -> Graph:
    name = PurePosixPath(path).stem
    graph = Graph(name, path, {}, {})
    try:
        document = load_yaml(project.texts[path], Path(f"{project.origin}!{path}"))
    except yaml.YAMLError as error:
        graph.errors.append(("MALFORMED_FLOW", f"{path} is not YAML: {error}".replace("\n", " ")))
        return graph
    except RecursionError:
        raise SourceError(f"{project.origin}: {path}: refused: nested deeper than a flow can be") from None
    try:
        if not isinstance(document, dict):
            raise ValueError(f"{path} holds a {type(document).__name__}, not a flow (config, nodes, trigger)")
        unknown = sorted(set(document) - FLOW_KEYS)
        if unknown:
            raise ValueError(f"{path} has keys {unknown} that Azkaban does not know")
        graph.shared = _config(document.get("config"), f"{path}'s flow")
        graph.email_props = graph.shared
        nodes = _check_nodes(document.get("nodes"), path)
        if document.get("trigger") is not None:
            _trigger_check(document["trigger"], path)
            graph.trigger = document["trigger"]
        graph.jobs = _expand(nodes, "", [], path, graph).jobs
    except ValueError as error:
        graph.errors.append(("MALFORMED_FLOW", f"{error}: Azkaban refuses this flow"))
        graph.jobs = []
    return graph


def yaml_graphs(project: Project) -> list[Graph]:
    files = suffixed(project, ".flow")
    graphs = [_yaml_graph(project, path) for path in files]
    names = [g.name for g in graphs]
    for graph in graphs:
        if names.count(graph.name) > 1:
            twins = [g.source for g in graphs if g.name == graph.name]
            graph.errors.append(("MALFORMED_FLOW", f"flow {graph.name} is defined by {twins}; Azkaban refuses two "
                                                   "flows of one name"))
    return graphs


# -- the older format: .job and .properties files ---------------------------------------------------------

@dataclass
class _JobFile:
    name: str
    path: str
    chain: list[dict[str, str]]  # the .properties files above it, outermost first
    props: dict[str, str]
    problem: str = ""  # a file of it (the .job or a .properties above it) that cannot be read

    def get(self, key: str) -> str:
        for layer in [self.props, *reversed(self.chain)]:
            if key in layer:
                return layer[key]
        return ""

    def dependencies(self) -> list[str]:
        return [d.strip() for d in re.split(r"\s*,\s*", self.get("dependencies")) if d.strip()]


def _read_properties(project: Project, path: str) -> tuple[dict[str, str], str]:
    try:
        return java_properties(project.texts[path], path), ""
    except ValueError as error:
        return {}, str(error)


def _properties_chains(project: Project) -> dict[str, tuple[list[dict[str, str]], str]]:
    """For each folder, the .properties files that apply to it: its parents' first, then its own
    in name order (each file a child of the one before, as Azkaban's DirectoryFlowLoader chains
    them), and the first of them that cannot be read."""
    chains: dict[str, tuple[list[dict[str, str]], str]] = {}

    def chain(folder: str) -> tuple[list[dict[str, str]], str]:
        if folder not in chains:
            parent = folder_of(folder)
            above, problem = chain(parent) if folder and parent != folder else ([], "")
            own = []
            for path in suffixed(project, ".properties"):
                if folder_of(path) == folder:
                    props, trouble = _read_properties(project, path)
                    own.append(props)
                    problem = problem or trouble
            chains[folder] = ([*above, *own], problem)
        return chains[folder]

    for path in project.texts:
        chain(folder_of(path))
    return chains


def _job_files(project: Project) -> tuple[dict[str, _JobFile], dict[str, list[str]]]:
    chains = _properties_chains(project)
    jobs: dict[str, _JobFile] = {}
    paths: dict[str, list[str]] = {}
    for path in suffixed(project, ".job"):
        name = PurePosixPath(path).stem
        paths.setdefault(name, []).append(path)
        chain, problem = chains[folder_of(path)]
        props, trouble = _read_properties(project, path)
        jobs[name] = _JobFile(name, path, chain, props, problem or trouble)
    return jobs, {n: p for n, p in paths.items() if len(p) > 1}


class _Refused(Exception):
    """A flow of the older format that Azkaban would refuse: its error, not the project's."""


def _job_ancestors(end: str, jobs: dict[str, _JobFile], duplicates: dict[str, list[str]]) -> list[str]:
    """The flow ending at `end`: it and every job it waits on, first ones first."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if name in duplicates:
            raise _Refused(f"job {name} is defined twice, by {duplicates[name]}")
        if name not in jobs:
            raise _Refused(f"job {path[-1]} depends on {name}, which no .job file defines")
        if jobs[name].problem:
            raise _Refused(f"job {name}: {jobs[name].problem}")
        if state.get(name) == 1:
            raise _Refused(f"the dependencies go round in a cycle ({' -> '.join([*path[path.index(name):], name])})")
        if state.get(name) == 2:
            return
        state[name] = 1
        for parent in jobs[name].dependencies():
            visit(parent, [*path, name])
        state[name] = 2
        order.append(name)

    visit(end, [end])
    return order


def _job_graph(end: str, jobs: dict[str, _JobFile], duplicates: dict[str, list[str]], graph: Graph,
               prefix: str = "", layers: tuple[dict[str, str], ...] = (), seen: tuple[str, ...] = ()) -> _Expanded:
    expanded = _Expanded([], {}, {})
    names = _job_ancestors(end, jobs, duplicates)
    for name in names:
        job = jobs[name]
        kind = job.get("type").strip()
        if not kind:
            raise _Refused(f"job {name} ({job.path}) has no type")
        if kind == "flow":
            inner = job.get("flow.name").strip()
            if not inner:
                raise _Refused(f"job {name} ({job.path}) is an embedded flow (type=flow) without flow.name")
            if inner in seen or inner == end:
                raise _Refused(f"embedded flows go round in a cycle ({' -> '.join([*seen, end, inner])})")
            if inner not in jobs or any(inner in jobs[j].dependencies() for j in jobs):
                raise _Refused(f"job {name} embeds flow {inner}, which is not a flow of this project")
            sub = _job_graph(inner, jobs, duplicates, graph, f"{prefix}{name}:",
                             (*layers, job.props), (*seen, end))
            graph.embedded.append(prefix + name)
            if condition_refused(job.get("condition").strip()):
                graph.errors.append(("CONDITION", f"embedded flow {prefix}{name} runs only when "
                                                  f"{job.get('condition')!r} holds; a flow runs every task whose "
                                                  "upstream succeeded"))
            expanded.jobs += sub.jobs
            expanded.entries[name] = sub.entries["*"]
            expanded.exits[name] = sub.exits["*"]
        else:
            expanded.jobs.append(Job(prefix + name, kind, [*layers, job.props], [], job.get("condition").strip(),
                                     job.path, job.chain))
            expanded.entries[name] = expanded.exits[name] = [prefix + name]
    by_name = {job.name: job for job in expanded.jobs}
    for name in names:
        before = [t for parent in jobs[name].dependencies() for t in expanded.exits[parent]]
        for task in expanded.entries[name]:
            by_name[task].upstream += [t for t in before if t not in by_name[task].upstream]
    expanded.entries["*"] = [t for n in names if not jobs[n].dependencies() for t in expanded.entries[n]]
    expanded.exits["*"] = expanded.exits[end]
    return expanded


def job_graphs(project: Project) -> list[Graph]:
    jobs, duplicates = _job_files(project)
    needed = {d for job in jobs.values() for d in job.dependencies()}
    ends = sorted(n for n, job in jobs.items() if n not in needed or job.get("root.node").strip() == "true")
    graphs = []
    for end in ends:
        job = jobs[end]
        graph = Graph(end, job.path, merged(job.chain), {**merged(job.chain), **job.props}, shared_by_jobs=False)
        try:
            graph.jobs = _job_graph(end, jobs, duplicates, graph).jobs
        except _Refused as error:
            graph.errors.append(("MALFORMED_FLOW", f"{error}: Azkaban refuses this flow"))
            graph.jobs = []
        graphs.append(graph)
    return graphs


def merged(layers: list[dict[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    return merged


def project_graphs(project: Project, version: str) -> list[Graph]:
    """One graph per flow of the project, in the format Azkaban reads it in."""
    return yaml_graphs(project) if version == "2.0" else job_graphs(project)


def ignored_files(project: Project, version: str) -> list[str]:
    """The files of the other format, which Azkaban does not read."""
    return suffixed(project, ".job") if version == "2.0" else suffixed(project, ".flow")
