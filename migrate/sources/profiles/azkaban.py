"""Azkaban projects, as uploaded (a project zip, or its folder): one flow per Azkaban flow.

The project is read as Azkaban reads it (`azkaban_project.py`: Flow 2.0 `.flow` files or the older
`.job` files; files of the other format are ignored by Azkaban and named, IGNORED_FILES; a zip with
a member outside the project, `../`, an absolute path or a drive letter, is refused naming it, as
Azkaban's upload refuses one that climbs out with `..`). A flow's
jobs are its tasks and `dependsOn` / `dependencies` its relations, with three kinds of node
rewritten so that what runs stays the same:
- `noop` jobs run nothing: they are left out and the jobs after them wait on the jobs before them
  (NOOP_JOB names them);
- embedded flows are flattened into tasks named `embedded:job` (EMBEDDED_FLOW names them);
- a `condition` other than `all_success` chooses at run time whether a job runs, which a flow
  cannot: that flow is refused (CONDITION).

A `command` job's task runs its `command`, `command.1`, … in order, stopping at the first that
fails (`set -e`), after exporting its `env.NAME` properties. Azkaban substitutes `${name}` from the
job's own properties, then its embedded flows', then the schedule's flow parameters, then the
flow's `config` (or the `.properties` files above the flow's last job): so does this profile.
`${azkaban.flow.start.year}` and the like are Azkaban's run-time values, kept as written
(RUNTIME_VARIABLE), and a name defined nowhere is kept as written too (UNDEFINED_VARIABLE).
Azkaban runs a command without a shell, splitting it at blanks and quotes, where a task's command
runs in one: pipes, redirections, `$VAR` and the like are named (NO_SHELL). A command that names a
file of the project (a script in the zip) needs that file where it runs (PROJECT_FILES). Other job
types (hive, pig, spark, java, javaprocess, hadoopJava …) keep their properties as text
(TASK_BODY_AS_TEXT). The flow's `config` (or `.properties`) values and the schedule's flow
parameters are the flow's parameters.

The schedule is the Flow 2.0 `trigger` (`schedule: {type: cron, value: …}`, Quartz, seconds
first) or a schedule made in Azkaban's web UI, read from a schedules file beside the project
(`azkaban_schedules.py`; the option `schedules`, else `<name>.schedules.json` beside the zip or
folder). A trigger with `triggerDependencies` waits on data as well as on its cron: it is
unscheduled (DATA_TRIGGER). A trigger, fetchSchedule and fetchSchedules name no zone: their cron
fires in the server's `default.timezone.id`, which the option `server_timezone` gives (else the
flow's zone is left to `[mapping] source_timezone`); a triggers-table row names its own. A flow
with neither is unscheduled; two schedules for one flow are refused (MULTIPLE_SCHEDULES), and a
schedule naming a flow the project does not have is an invalid flow of its own (BROKEN_REFERENCE).

Options: `project` (the project's name in Azkaban, which the zip does not hold: by default the
zip's or folder's name), `schedules` (the schedules file, relative to the folder holding the
project), `server_timezone`. A flow's source key is `project/flow`, its name `project.flow`.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.config import SourceSettings
from migrate.schedule.timezone import is_known_zone
from migrate.sources.profiles import FlowRows, Profile, parameters_text, rows_of, warn_secret_parameters
from migrate.sources.profiles.azkaban_project import (
    EXPECTED,
    Graph,
    Job,
    Project,
    condition_refused,
    flow_version,
    folder_of,
    ignored_files,
    merged,
    project_graphs,
    read_project,
    scalar,
    suffixed,
)
from migrate.sources.profiles.azkaban_schedules import (
    AzkabanSchedule,
    ProjectSchedules,
    apply_schedule,
    project_schedules,
)
from migrate.sources.readers import SourceError, SourceRow

OPTIONS = ("project", "schedules", "server_timezone")
# Properties Azkaban reads itself; every other one is the job's own (a parameter or unused).
RESERVED = {"type", "dependencies", "command", "condition", "retries", "retry.backoff", "user.to.proxy",
            "failure.emails", "success.emails", "notify.emails", "override.emails", "working.dir", "flow.name",
            "root.node", "failure.action", "flow.num.job.threads", "useExecutor"}
COMMAND_N = re.compile(r"^command\.(\d+)$")
# Azkaban's variable: PropsUtils' ${name} with letters, digits, _ and . only.
VARIABLE = re.compile(r"\$\{([a-zA-Z_.0-9]+)\}")
# Characters a shell reads as syntax where Azkaban's split (blanks and quotes only) passes them on.
SHELL_SYNTAX = set("|&;<>()`*?[]\\")
MAX_RESOLVED = 1_000_000
MAX_TRIGGER_WAIT_MINUTES = 10 * 24 * 60  # Azkaban's DEFAULT_FLOW_TRIGGER_MAX_WAIT_TIME


# -- options ---------------------------------------------------------------------------------------------

def _options(settings: SourceSettings) -> tuple[str, str, str]:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{settings.path}: azkaban options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    zone = str(settings.options.get("server_timezone", "")).strip()
    if zone and not is_known_zone(zone):
        raise SourceError(f"{settings.path}: option server_timezone = {zone!r} is not a zone the zone database "
                          "knows (such as 'America/Los_Angeles', 'Asia/Shanghai', 'UTC')")
    return str(settings.options.get("project", "")).strip(), str(settings.options.get("schedules", "")).strip(), zone


# -- a job's properties, resolved as Azkaban resolves them --------------------------------------------------

@dataclass
class _Resolution:
    runtime: set[str] = field(default_factory=set)
    undefined: set[str] = field(default_factory=set)
    cycles: set[str] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)  # each name resolved once: values may nest deep


def _resolve(value: str, props: dict[str, str], found: _Resolution, visiting: tuple[str, ...] = ()) -> str:
    """`${name}` replaced by its value, recursively, as PropsUtils resolves it."""
    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name in visiting:
            found.cycles.add(" -> ".join([*visiting, name]))
            return match[0]
        if name not in props:
            (found.runtime if name.startswith("azkaban.") else found.undefined).add(name)
            return match[0]
        if name not in found.values:
            resolved = _resolve(props[name], props, found, (*visiting, name))
            if len(resolved) > MAX_RESOLVED:  # a value doubled at every step: no job's command is this long
                found.cycles.add(f"${{{name}}} expands to more than {MAX_RESOLVED:,} characters")
                resolved = match[0]
            found.values[name] = resolved
        return found.values[name]

    return VARIABLE.sub(replace, value)


def _props(job: Job, graph: Graph, flow_parameters: dict[str, str]) -> dict[str, str]:
    """The job's properties, lowest first, as Azkaban's FlowRunner chains them (prepareJobProperties):
    a 1.0 job's .properties files, the flow's config (2.0), the schedule's flow parameters, the
    embedded flows' and the job's own."""
    return merged([*job.chain, graph.shared if graph.shared_by_jobs else {}, flow_parameters, *job.own])


def _referenced(props: dict[str, str], texts: list[str]) -> set[str]:
    """The properties the texts use, and the ones those use in turn."""
    found: set[str] = set()
    waiting = [name for text in texts for name in VARIABLE.findall(text)]
    while waiting:
        name = waiting.pop()
        if name not in found:
            found.add(name)
            waiting += VARIABLE.findall(props.get(name, ""))
    return found


def _commands(props: dict[str, str]) -> list[tuple[str, str]]:
    """`command`, then `command.1`, `command.2` … while they follow on, as Azkaban's ProcessJob reads them."""
    found = [("command", props["command"])] if "command" in props else []
    number = 1
    while f"command.{number}" in props:
        found.append((f"command.{number}", props[f"command.{number}"]))
        number += 1
    return found


def _shell_syntax(command: str) -> list[str]:
    """What a shell would read as syntax in a command Azkaban split at blanks and quotes only."""
    found: set[str] = set()
    quote = ""
    word_start = True
    for char in command:
        if quote:
            if char == quote:
                quote = ""
            elif quote == '"' and char in "$`\\":
                found.add(char)
            word_start = False
            continue
        if char in "'\"":
            quote = char
        elif char in SHELL_SYNTAX or char == "$" or (char in "#~" and word_start):
            found.add(char)
        elif char in "\n\t":
            found.add("line break" if char == "\n" else "tab")
        word_start = char == " "
    first = command.split(" ", 1)[0]
    if "=" in first and not first.startswith(("'", '"')):
        found.add("NAME=value")
    return sorted(found)


def _project_files(command: str, job: Job, project: Project) -> list[str]:
    """Files of the project a command names (Azkaban ran it in the folder it unpacked the project to)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    here = folder_of(job.source)
    found = []
    for word in words:
        if word.startswith(("/", "-", "$")) or "=" in word:
            continue
        for candidate in (posixpath.normpath(posixpath.join(here, word)), posixpath.normpath(word)):
            if candidate in project.others or candidate in project.texts:
                found.append(candidate)
                break
    return found


@dataclass
class _Notes:
    """What the jobs of one flow hold that their tasks do not carry, by kind, for one warning each."""

    retries: list[str] = field(default_factory=list)
    proxy: list[str] = field(default_factory=list)
    working_dir: list[str] = field(default_factory=list)
    as_text: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    runtime: set[str] = field(default_factory=set)
    undefined: set[str] = field(default_factory=set)
    no_shell: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    cycles: set[str] = field(default_factory=set)


def _body(job: Job, props: dict[str, str], shared: dict[str, str], project: Project, notes: _Notes) -> str:
    """The task's command: a command job's commands, any other job's properties as text."""
    found = _Resolution()
    own = merged([*job.chain, *job.own])  # what the job's files give it (its .properties too)
    if job.type != "command":
        settings = {k: _resolve(v, props, found) for k, v in sorted(own.items())
                    if k not in RESERVED and not k.startswith("env.")}
        notes.as_text.append(f"{job.name} ({job.type})")
        notes.files += [f"{job.name}: {f}" for value in settings.values() for f in _project_files(value, job, project)]
        body = f"Azkaban {job.type} job:\n" + "\n".join(f"{k}={v}" for k, v in settings.items())
    else:
        commands = [(key, _resolve(text, props, found)) for key, text in _commands(props)]
        if not any(text.strip() for _, text in commands):
            notes.empty.append(job.name)
        for key, text in commands:
            if syntax := _shell_syntax(text):
                notes.no_shell.append(f"{job.name} {key} ({' '.join(syntax)})")
            notes.files += [f"{job.name}: {f}" for f in _project_files(text, job, project)]
        environment = [f"export {k[4:]}={shlex.quote(_resolve(v, props, found))}" for k, v in sorted(props.items())
                       if k.startswith("env.") and k[4:]]
        lines = [text for _, text in commands]
        body = "\n".join([*(["set -e"] if len(lines) > 1 else []), *environment, *lines])
        used = {key for key, _ in commands}
        referenced = _referenced(props, [t for k, t in props.items() if k.startswith("env.") or k in used])
        notes.not_carried += [f"{job.name}: {k}={v}" + (" (Azkaban runs command.N only after command.N-1)"
                                                        if COMMAND_N.match(k) else "")
                              for k, v in sorted(own.items())
                              if k not in RESERVED and k not in used and not k.startswith(("env.", "azkaban."))
                              and k not in referenced and shared.get(k) != v]
    notes.runtime |= found.runtime
    notes.undefined |= {f"{job.name}: ${{{v}}}" for v in found.undefined}
    notes.cycles |= found.cycles
    if props.get("retries", "").strip() not in ("", "0"):
        backoff = props.get("retry.backoff", "").strip()
        notes.retries.append(f"{job.name}: {props['retries'].strip()} retries"
                             + (f", {backoff} ms apart" if backoff else ""))
    if props.get("user.to.proxy", "").strip():
        notes.proxy.append(f"{job.name}: {props['user.to.proxy'].strip()}")
    if props.get("working.dir", "").strip():
        notes.working_dir.append(f"{job.name}: {props['working.dir'].strip()}")
    if condition_refused(job.condition):
        notes.conditions.append(f"{job.name}: {job.condition!r}")
    return body


# -- the flow ----------------------------------------------------------------------------------------------

def _without_noop(jobs: list[Job]) -> tuple[list[Job], list[str]]:
    """The jobs that run something, each waiting on what its noop upstream jobs waited on."""
    noop = {job.name: job for job in jobs if job.type == "noop"}

    def through(names: list[str], seen: frozenset[str] = frozenset()) -> list[str]:
        found: list[str] = []
        for name in names:
            if name in noop and name not in seen:
                found += through(noop[name].upstream, seen | {name})
            elif name not in noop:
                found.append(name)
        return list(dict.fromkeys(found))

    kept = [dataclasses.replace(j, upstream=through(j.upstream)) for j in jobs if j.name not in noop]
    return kept, list(noop)


def _emails(props: dict[str, str], key: str) -> list[str]:
    return [e.strip() for e in re.split(r"\s*,\s*", props.get(key, "")) if e.strip()]


def _alerts(flow: FlowRows, graph: Graph, options: dict[str, Any]) -> None:
    """Azkaban mails the flow's failure.emails (and notify.emails) when it fails; a schedule's
    executionOptions may override them."""
    failure = _emails(graph.email_props, "failure.emails") + _emails(graph.email_props, "notify.emails")
    success = _emails(graph.email_props, "success.emails") + _emails(graph.email_props, "notify.emails")
    if options.get("failureEmailsOverride") or options.get("failureEmailsOverridden"):
        failure = [str(e) for e in options.get("failureEmails") or []]
    if options.get("successEmailsOverride") or options.get("successEmailsOverridden"):
        success = [str(e) for e in options.get("successEmails") or []]
    if failure:
        flow.cells["alert"] = "1"
        flow.warn("ALERT_RECIPIENTS", f"Azkaban mailed {', '.join(dict.fromkeys(failure))} when the flow failed: "
                                      "e-mail alerts are on (alertMode 1), set who receives them in EnOS")
    if success:
        flow.warn("ALERT_APPROXIMATE", f"Azkaban also mailed {', '.join(dict.fromkeys(success))} when the flow "
                                       "succeeded; a flow alerts on failure only")


def _report(flow: FlowRows, notes: _Notes, submit_user: str) -> None:
    if notes.conditions:
        flow.fail("CONDITION", f"jobs {notes.conditions} run only when their condition holds (Azkaban's conditional "
                               "workflow); a flow runs every task whose upstream succeeded, so it would run them "
                               "whatever the condition")
    if notes.empty:
        flow.fail("EMPTY_COMMAND", f"command jobs {notes.empty} have no command; a task must run something")
    if notes.cycles:
        flow.fail("MALFORMED_FLOW", f"variables cannot be resolved ({sorted(notes.cycles)}), which Azkaban refuses")
    if notes.retries:
        flow.warn("RETRY", f"Azkaban retried the failed jobs ({'; '.join(notes.retries)}): not carried")
    if notes.proxy:
        others = f", the other jobs as {submit_user}, who made the schedule" if submit_user else ""
        flow.warn("RUN_AS", f"Azkaban ran the jobs as user.to.proxy ({'; '.join(notes.proxy)}){others}; the flow "
                            "runs as the service's doAs account instead")
    elif submit_user:
        flow.warn("RUN_AS", f"Azkaban ran the jobs as {submit_user}, who made the schedule (execute.as.user, "
                            "Azkaban's default); the flow runs as the service's doAs account instead")
    if notes.working_dir:
        flow.warn("WORKING_DIRECTORY", f"jobs ran in a working.dir of their own ({'; '.join(notes.working_dir)}): "
                                       "add a cd to the command if it needs that folder")
    if notes.as_text:
        flow.warn("TASK_BODY_AS_TEXT", f"jobs {notes.as_text} are not command jobs: their properties are kept as "
                                       "text in the command, rework them before they run as COMMAND tasks")
    if notes.no_shell:
        flow.warn("NO_SHELL", f"Azkaban ran commands without a shell, splitting them at blanks and quotes only, so "
                              f"these characters were plain arguments there and are shell syntax in a task: "
                              f"{'; '.join(notes.no_shell)}; check that the command still does what it did")
    if notes.files:
        flow.warn("PROJECT_FILES", f"jobs use files of the Azkaban project ({'; '.join(notes.files)}), which "
                                   "Azkaban unpacked where the job ran: copy them to where the task runs")
    if notes.runtime:
        flow.warn("RUNTIME_VARIABLE", f"Azkaban's run-time values {sorted('${' + v + '}' for v in notes.runtime)} "
                                      "are kept as written: the service does not fill them in")
    if notes.undefined:
        flow.warn("UNDEFINED_VARIABLE", f"variables defined nowhere in the project or schedule are kept as written "
                                        f"({'; '.join(sorted(notes.undefined))}); Azkaban failed the job unless the "
                                        "run gave them")
    if notes.not_carried:
        flow.warn("PARAM_NOT_CARRIED", f"job properties Azkaban gave the job in its properties file "
                                       f"($JOB_PROP_FILE) and no command uses: {'; '.join(notes.not_carried)}")


def _parameters(flow: FlowRows, shared: dict[str, str], flow_parameters: dict[str, str], notes: _Notes) -> None:
    """The flow's parameters, each value resolved as its jobs' commands are (`out: /data/${region}`
    with the schedule's region=us is /data/us: the unresolved text is a value Azkaban never had).
    A loop or an undefined name among them is the flow's, as in a command: Azkaban resolved every
    property of every job, and failed the job on either."""
    given = {**shared, **flow_parameters}
    found = _Resolution()
    carried = {k: _resolve(v, given, found) for k, v in given.items()
               if k not in RESERVED and not k.startswith(("azkaban.", "env.")) and not COMMAND_N.match(k)}
    notes.cycles |= found.cycles
    notes.undefined |= {f"the parameters: ${{{name}}}" for name in found.undefined}
    notes.runtime |= found.runtime
    pairs = [{"key": k, "value": v} for k, v in carried.items()]
    flow.cells["params"] = parameters_text(pairs)
    warn_secret_parameters(flow, pairs)
    settings = [f"{k}={given[k]}" for k in ("flow.num.job.threads", "useExecutor") if k in given]
    if settings:
        flow.warn("PARAM_NOT_CARRIED", f"Azkaban settings {settings} chose how Azkaban ran the flow: not carried")


# What a job the schedule disabled runs: Azkaban skipped it (SKIPPED counts as a success) and ran the
# jobs after it, so it keeps its place and does nothing; its command stays below, never reached.
SKIPPED = "# disabled by the Azkaban schedule (disabledJobs): skipped there, the jobs after it still ran\nexit 0\n"


def _disabled_paths(entries: Any, prefix: str = "") -> list[str]:
    """The nodes a schedule's `disabledJobs` switch off, as task names: a name is a job or an
    embedded flow of the flow (all of its jobs); `{"id": embedded flow, "children": [...]}` names
    nodes inside that embedded flow (Azkaban's DisabledJob, FlowUtils.applyDisabledJobs)."""
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("children"), list):
            found += _disabled_paths(entry["children"], f"{prefix}{scalar(entry.get('id', ''))}:")
        elif isinstance(entry, dict):
            found.append(f"{prefix}{scalar(entry.get('id', ''))}")
        else:
            found.append(f"{prefix}{scalar(entry)}")
    return found


def _is_disabled(task: str, disabled: list[str]) -> bool:
    return any(task == path or task.startswith(f"{path}:") for path in disabled)


def _execution_options(flow: FlowRows, options: dict[str, Any], where: str, tasks: set[str],
                       disabled: list[str]) -> None:
    if disabled:
        skipped = sorted(task for task in tasks if _is_disabled(task, disabled))
        unknown = [path for path in disabled if not any(_is_disabled(task, [path]) for task in tasks)]
        if skipped:
            flow.warn("TASK_DISABLED", f"{where} skipped jobs {skipped} in every run it started, and ran the jobs "
                                       "after them: each keeps its place doing nothing (`exit 0` before its command)")
        if unknown:
            flow.warn("TASK_DISABLED", f"{where} disabled {unknown}, which are not jobs of this flow (a noop job, "
                                       "or one the flow no longer has): nothing to switch off")
    concurrent = str(options.get("concurrentOption") or "skip")
    if concurrent != "skip":
        flow.warn("CONCURRENT_RUNS", f"{where} started a run while the last one was still running "
                                     f"(concurrentOption {concurrent}); not carried")
    action = str(options.get("failureAction") or "FINISH_CURRENTLY_RUNNING")
    if action != "FINISH_CURRENTLY_RUNNING":
        flow.warn("FAILURE_ACTION", f"{where} set failureAction {action}: what Azkaban did with the other jobs when "
                                    "one failed; not carried")


def _trigger_schedule(flow: FlowRows, graph: Graph, server_zone: str) -> None:
    trigger = graph.trigger
    cron = scalar(trigger["schedule"]["value"]).strip()
    dependencies = trigger.get("triggerDependencies") or []
    flow.cells["timezone"] = server_zone
    if dependencies:
        named = [f"{d['name']} ({d['type']}: {', '.join(f'{k}={v}' for k, v in (d.get('params') or {}).items())})"
                 for d in dependencies]
        # NodeBeanLoader.toFlowTrigger cuts a longer wait to DEFAULT_FLOW_TRIGGER_MAX_WAIT_TIME (10 days).
        wait = min(int(trigger["maxWaitMins"]), MAX_TRIGGER_WAIT_MINUTES)
        flow.unscheduled(f"an Azkaban flow trigger that fires on {cron} and then waits up to "
                         f"{wait} minutes for data: {'; '.join(named)}")
        flow.warn("DATA_TRIGGER", f"the flow ran when its trigger's cron {cron} had fired and its dependencies "
                                  f"{named} had arrived (within {wait} minutes"
                                  + ("" if wait == trigger["maxWaitMins"] else
                                     f": Azkaban cuts maxWaitMins {trigger['maxWaitMins']} to 10 days")
                                  + "); a flow schedule cannot wait on data: unscheduled")
    else:
        flow.schedule = cron


def _schedule(flow: FlowRows, graph: Graph, schedules: ProjectSchedules, server_zone: str) -> AzkabanSchedule | None:
    """The flow's one schedule (its trigger, or the schedules file's) on the flow; the file's record
    is returned for its execution options."""
    found = schedules.of(graph.name)
    if graph.trigger is not None and found:
        flow.fail("MULTIPLE_SCHEDULES", f"the flow has a trigger in {graph.source} and {len(found)} schedule(s) "
                                        f"in {schedules.path} ({', '.join(s.where for s in found)}); a flow has one")
        return None
    if len(found) > 1:
        flow.fail("MULTIPLE_SCHEDULES", f"{schedules.path} schedules the flow {len(found)} times "
                                        f"({', '.join(s.where for s in found)}); a flow has one")
        return None
    if graph.trigger is not None:
        _trigger_schedule(flow, graph, server_zone)
        return None
    if found:
        apply_schedule(flow, found[0], server_zone)
        return found[0]
    hint = ""
    if schedules.path is not None and schedules.other_projects and not schedules.by_flow:
        project = flow.key.split("/")[0]
        hint = (f"; {schedules.path} schedules flows of projects {schedules.other_projects[:5]} but none of "
                f"{project!r}: set [source] options project to the project's name in Azkaban")
    elif schedules.path is None and schedules.looked_for is not None:
        hint = (f"; no schedules file was read ({schedules.looked_for.name} is not beside the project, and [source] "
                "options schedules names none): a schedule made in Azkaban's web UI is in its database, not in "
                "the project, so export the schedules (docs/sources.md, Azkaban schedules) if the flow had one")
    flow.unscheduled(f"an Azkaban flow with no schedule or trigger (run by hand or through the API){hint}")
    return None


def _flow(graph: Graph, project: Project, schedules: ProjectSchedules, server_zone: str) -> FlowRows:
    desc = f"Azkaban project {project.name}, flow {graph.name} ({graph.source})"
    flow = FlowRows(key=f"{project.name}/{graph.name}", name=f"{project.name}.{graph.name}",
                    cells={"active": "1", "desc": desc})
    for code, message in graph.errors:
        flow.fail(code, message)
    for code, message in graph.warnings:
        flow.warn(code, message)
    schedule = _schedule(flow, graph, schedules, server_zone)
    options = schedule.options if schedule is not None else {}
    flow_parameters = {str(k): scalar(v) for k, v in (options.get("flowParameters") or {}).items()}
    jobs, noop = _without_noop(graph.jobs)
    if graph.jobs and not jobs:
        flow.fail("NOTHING_TO_RUN", f"every job of the flow is a noop ({noop}): a flow needs a task that runs")
    notes = _Notes()
    ids = {job.name: str(number) for number, job in enumerate(jobs, 1)}
    disabled = _disabled_paths(options.get("disabled") or options.get("disabledJobs") or [])
    for job in jobs:
        body = _body(job, _props(job, graph, flow_parameters), graph.shared, project, notes)
        if _is_disabled(job.name, disabled):
            body = SKIPPED + body
        flow.tasks.append({"task_id": ids[job.name], "task_name": job.name, "command": body,
                           "upstream": ";".join(ids[u] for u in job.upstream)})
    if noop:
        flow.warn("NOOP_JOB", f"noop jobs {noop} run nothing and are left out; the jobs after them wait on the jobs "
                              "before them")
    if graph.embedded:
        flow.warn("EMBEDDED_FLOW", f"embedded flows {graph.embedded} are flattened: their jobs are tasks named "
                                   "embedded:job, after what the embedded flow waited on and before what waited on it")
    _parameters(flow, graph.shared, flow_parameters, notes)
    _report(flow, notes, schedule.submit_user if schedule is not None else "")
    _alerts(flow, graph, options)
    if schedule is not None:
        _execution_options(flow, options, schedule.where, set(ids), disabled)
    failure_action = graph.shared.get("failure.action", "").strip()
    if failure_action:
        flow.warn("FAILURE_ACTION", f"the flow sets failure.action {failure_action}: what Azkaban did with the "
                                    "other jobs when one failed; not carried")
    return flow


def _schedules_path(settings: SourceSettings, option: str) -> tuple[Path | None, Path]:
    """The schedules file: the option's (relative to the folder holding the project), else
    `<name>.schedules.json` beside the zip `<name>.zip` or the folder `<name>`, when there is one;
    and the file looked for."""
    folder = settings.path.parent
    if option:
        path = Path(option) if Path(option).is_absolute() else folder / option
        if not path.is_file():
            raise SourceError(f"{path}: the schedules file (option schedules) does not exist")
        return path, path
    stem = settings.path.name if settings.path.is_dir() else settings.path.stem
    default = folder / f"{stem}.schedules.json"
    return (default if default.is_file() else None), default


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    name, schedules_option, server_zone = _options(settings)
    project = read_project(settings, name)
    version = flow_version(project)
    graphs = project_graphs(project, version)
    if not graphs:
        found = ", ".join(sorted(project.texts)[:5]) or ", ".join(sorted(project.others)[:5]) or "no file"
        hint = ("; Azkaban reads .flow files only beside a .project file saying azkaban-flow-version: 2.0"
                if suffixed(project, ".flow") else "")
        raise SourceError(f"{settings.path}: this does not look like an Azkaban project ({EXPECTED}; found "
                          f"{found}){hint}")
    path, looked_for = _schedules_path(settings, schedules_option)
    schedules = project_schedules(path, settings.encoding, project.name, looked_for)
    ignored = ignored_files(project, version)
    for graph in graphs:
        flow = _flow(graph, project, schedules, server_zone)
        if ignored:
            flow.warn("IGNORED_FILES", f"a Flow {version} project: Azkaban does not read its {ignored[:5]}"
                                       + (f" and {len(ignored) - 5} more" if len(ignored) > 5 else ""))
        yield flow
    for schedule in schedules.without({g.name for g in graphs}):
        orphan = FlowRows(key=f"{project.name}/{schedule.flow}", name=f"{project.name}.{schedule.flow}",
                          cells={"active": "0"})
        orphan.fail("BROKEN_REFERENCE", f"{schedule.where} in {schedules.path} schedules flow {schedule.flow!r}, "
                                        f"which project {project.name} does not have" if schedule.flow else
                    f"{schedule.where} in {schedules.path} names no flow: save each fetchSchedule answer with the "
                    "flowId (and projectName) of its request")
        yield orphan


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("azkaban", "quartz", read, "Azkaban projects (Flow 2.0 .flow files or .job files), zip or folder")
