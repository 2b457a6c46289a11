"""Jobs and their flows: each `.properties` file's job (and each application no job or other
application runs), a bundle's coordinators as jobs, and each job's flow (a coordinator's or a
workflow's, with its owner, parameters, warnings and its state in the server); `flows` yields every
flow of the export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from migrate.config import SourceSettings
from migrate.sources.profiles import SECRET_NAME, FlowRows, parameters_text
from migrate.sources.profiles.oozie.applications import App, Export, find_app, read_export
from migrate.sources.profiles.oozie.context import Context, parameters
from migrate.sources.profiles.oozie.coordinator import (
    controls,
    coordinator_workflow,
    data_dependencies,
    events,
    schedule,
)
from migrate.sources.profiles.oozie.elements import child, children, properties, text
from migrate.sources.profiles.oozie.expressions import Scope
from migrate.sources.profiles.oozie.files import EXPECTED
from migrate.sources.profiles.oozie.messages import SHOWN, Malformed, listed
from migrate.sources.profiles.oozie.options import Settings, options
from migrate.sources.profiles.oozie.workflow import fill_workflow
from migrate.sources.readers import SourceError

# Job states of the Oozie server (`GET /oozie/v1/jobs?jobtype=coordinator`): still scheduling,
# held, or over.
RUNNING_STATES = ("RUNNING", "RUNNINGWITHERROR", "PREP")
HELD_STATES = ("SUSPENDED", "SUSPENDEDWITHERROR", "PREPSUSPENDED", "PAUSED", "PAUSEDWITHERROR", "PREPPAUSED")
PATH_PROPERTIES = (("bundle", "oozie.bundle.application.path"), ("coordinator", "oozie.coord.application.path"),
                   ("workflow", "oozie.wf.application.path"))


@dataclass
class Job:
    app: App
    properties: str | None  # the .properties file, relative path
    values: dict[str, str]  # the job's properties (a bundle's configuration included)
    key: str = ""
    name: str = ""  # the flow's name: the coordinator's or workflow's, a bundle's name for its coordinator
    origin: str = ""  # the file that made it a job: its properties, or the bundle that lists it
    bundle: str = ""  # the bundle that submits this coordinator


def _jobs(export: Export) -> tuple[list[Job], list[FlowRows], set[str]]:
    """Each properties file's job, then every application no job or other application uses; and
    the applications beside a properties file whose application was not found (most likely its
    own, under another folder name: not jobs of their own, the refusal names them)."""
    jobs: list[Job] = []
    failed: list[FlowRows] = []
    explicit: set[str] = set()
    unfound: set[str] = set()
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
            flow.fail("MALFORMED_XML" if found.unreadable else "APP_NOT_FOUND",
                      f"{path}: {PATH_PROPERTIES[[k for k, _ in PATH_PROPERTIES].index(kind)][1]} = {resolved}: "
                      f"{found.problem}")
            failed.append(flow)
            unfound.update(app.path for app in export.beside(path))
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
    return jobs, failed, unfound


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
        if SECRET_NAME.held(name, value):  # `cassandra_password`, not `cassandra_keyspace`
            secrets.append(name)
    flow.cells["params"] = parameters_text(pairs)
    if settings:
        flow.warn("OOZIE_SETTINGS", f"Oozie's own settings of the job are not carried: {listed(settings, 5)}")
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
        # Named bare: one is read as ${name} or as wf:conf('name'), and kept as it was written.
        flow.warn("EL_UNRESOLVED", "properties the export does not define (the expressions that read them are kept "
                                   "as written): " + listed(
            [f"{name} ({listed(sorted(set(where)), 2)})" for name, where in ctx.undefined.items()], 12))
    if ctx.runtime:
        flow.warn("EL_RUNTIME", "expressions Oozie evaluated when the job ran, kept as written (nothing evaluates "
                                "them in a task): " + listed(
                                    [f"{e} ({listed(sorted(set(w)), 2)})" for e, w in ctx.runtime.items()], 4))
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
        shown = "; ".join(list(dict.fromkeys(items))[:SHOWN]) + (
            f"; and {len(set(items)) - SHOWN} more" if len(set(items)) > SHOWN else "")
        flow.warn(code, f"{messages[code]}: {shown}" if code in messages else shown)


def _coordinator_flow(job: Job, export: Export, options: Settings, scope: Scope,
                      producers: dict[str, list[str]]) -> tuple[FlowRows, set[str]]:
    """A coordinator job's flow: its schedule and facts, its workflow's tasks; what cannot be read
    in one part is that part's error, the others are still read (and named)."""
    app = job.app
    flow = FlowRows(key=job.key, name=job.name, cells={"active": "1"})
    ctx = Context(flow, export)
    ctx.used.add(app.path)
    ctx.text(scope, app.root.get("name"), "the coordinator's name")
    scope = parameters(child(app.root, "parameters"), scope, ctx, app.path)
    parts: list[Callable[[], None]] = [
        lambda: schedule(flow, app, scope, options, ctx), lambda: controls(app, scope, ctx),
        lambda: data_dependencies(flow, events(app, scope, ctx), producers, job.key, app),
        lambda: coordinator_workflow(app, scope, ctx)]
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


def _located(app: App, malformed: Malformed) -> str:
    """The message with the file it is about: the application's own unless it names another."""
    message = str(malformed)
    return message if message.split(":", 1)[0].endswith(".xml") else f"{app.path}: {message}"


def _workflow_flow(job: Job, export: Export, scope: Scope) -> tuple[FlowRows, set[str]]:
    app = job.app
    flow = FlowRows(key=job.key, name=job.name, cells={"active": "1"})
    ctx = Context(flow, export)
    ctx.text(scope, app.root.get("name"), "the workflow's name")
    flow.unscheduled("an Oozie workflow with no coordinator: it ran when submitted (oozie job -run), by hand or "
                     "by another scheduler")
    try:
        fill_workflow(ctx, app, scope)
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
    defaults = {name: value for name, value in properties(child(app.root, "parameters")) if value is not None
                and name not in job.values}
    scope = scope.child(defaults)
    bundle = _name(app, scope)
    jobs, failed, notes = [], [], []
    kick_off = text(child(app.root, "controls"), "kick-off-time")
    if kick_off:
        notes.append(f"bundle {bundle} started its coordinators at {scope.resolve(kick_off).text} (kick-off-time)")
    for number, coordinator in enumerate(children(app.root, "coordinator"), 1):
        name = scope.resolve(coordinator.get("name", "")).text or f"coordinator {number}"
        written = scope.resolve(text(coordinator, "app-path")).text
        found = find_app(export, written, "coordinator", app.path)
        configuration = {k: scope.resolve(v or "").text for k, v in properties(child(coordinator, "configuration"))}
        key = f"bundle {bundle}/{name}"
        if found.app is None:
            flow = FlowRows(key=key, name=name, cells={"active": "0"})
            flow.fail("MALFORMED_XML" if found.unreadable else "APP_NOT_FOUND",
                      f"{app.path}: coordinator {name}: app-path {written}: {found.problem}")
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


def flows(settings: SourceSettings) -> Iterator[FlowRows]:
    oozie_options = options(settings)
    export = read_export(settings)
    submitted, flows, unfound = _jobs(export)
    notes: dict[str, list[str]] = {}
    jobs = _expand(submitted, export, flows, notes)
    # Applications no properties file submits are jobs of their own, unless a bundle, a coordinator
    # or another workflow runs them: bundles first, workflows last.
    claimed = {job.app.path for job in submitted} | {job.app.path for job in jobs} | unfound
    for kind in ("bundle", "coordinator"):
        alone = [Job(app, None, {}) for app in sorted(export.of_kind(kind), key=lambda a: a.path)
                 if app.path not in claimed]
        jobs += _expand(alone, export, flows, notes)
        claimed |= {job.app.path for job in alone} | {job.app.path for job in jobs}
    producers = _producers(jobs, export)
    built: list[tuple[Job, FlowRows, set[str]]] = []
    for job in jobs:
        built.append((job, *_flow_of(job, export, oozie_options, producers)))
    used = set().union(*(uses for _, _, uses in built))
    alone = [Job(app, None, {}) for app in sorted(export.of_kind("workflow"), key=lambda a: a.path)
             if app.path not in claimed and app.path not in used]
    standalone = [(job, *_flow_of(job, export, oozie_options, producers)) for job in alone]
    inside = set().union(*(uses - {job.app.path} for job, _, uses in standalone))
    built += [(job, flow, uses) for job, flow, uses in standalone if job.app.path not in inside]
    if export.files.entry is not None:
        built = [b for b in built if export.files.entry in (b[0].app.path, b[0].origin)]
        if not built and export.files.entry not in export.broken:
            raise SourceError(f"{settings.path}: this does not look like an Oozie export ({EXPECTED})")
    seen: dict[str, tuple[str, FlowRows]] = {}
    for job, flow, _ in built:
        if oozie_options.states is not None and job.app.kind == "coordinator":
            _server_state(flow, job, oozie_options.states)
        for note in notes.get(job.key, []):
            flow.warn("KICK_OFF_TIME", note)
        where = job.properties or job.app.path
        if job.key in seen:
            # Which one the server runs (a job-dev.properties beside job.properties) the export does
            # not say: neither is saved, rather than the first by name.
            first, first_flow = seen[job.key]
            why = (f"{job.key} is defined by {first} and by {where}: which one the server runs the export does not "
                   "say, so neither is saved; keep only the one it runs in the export (move the other out), or "
                   "rename one")
            if not any(e["code"] == "DUPLICATE_JOB" for e in first_flow.errors):
                first_flow.fail("DUPLICATE_JOB", why)
            flow.fail("DUPLICATE_JOB", why)
            flow.key = f"{job.key} ({where})"
        seen.setdefault(job.key, (where, flow))
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
        key = job.key or f"coordinator {_name(job.app, scope)}"  # as flows names it
        ctx = Context(FlowRows(key=key, name=key), export)
        for _, template in events(job.app, scope, ctx).outputs:
            writers.setdefault(template, []).append(key)
    return writers


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
