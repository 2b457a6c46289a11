"""The facts of a folder's jobs and folders besides its tasks, relations and schedule (`facts`):
its parameters (the VARIABLEs), owners (RUN_AS), e-mail alert (DOMAIL on NOTOK), and each fact not
carried named (RUN_AS, NODE, PRIORITY, RESOURCE, SHOUT, ON_DO, ATTRIBUTE_NOT_CARRIED...), Control-M's
bookkeeping aside; and the flow's description (`description`).
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from xml.etree.ElementTree import Element

from migrate.schedule.controlm import MONTH_FLAGS
from migrate.sources.profiles import SECRET_NAME, FlowRows, parameters_text
from migrate.sources.profiles.controlm.commands import PARM, PLUGIN_VARIABLE, variables
from migrate.sources.profiles.controlm.elements import (
    OK_CODES,
    RULE_DEFINITIONS,
    RULE_REFERENCES,
    SUB_FOLDERS,
    VARIABLE_TAGS,
    attributes_of,
    tag_of,
)
from migrate.sources.profiles.controlm.model import Folder, Job, all_subs
from migrate.sources.profiles.controlm.notes import Notes

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
# the Control-M/Server, statistics, documentation, how long output and ended jobs are kept), not
# the job: not facts of how or when it runs, so neither carried nor reported (no
# ATTRIBUTE_NOT_CARRIED). Not here, since they change what runs or when: RERUNMEM (the script a
# rerun runs), MULTY_AGENT (every agent of the host group runs the job), ADJUST_COND (a SMART
# folder's jobs stop waiting on jobs not ordered that day), END_FOLDER (the job ends its SMART
# folder), PREV_DAY (Control-M for z/OS's SAC: the job ordered a day before or after its days).
BOOKKEEPING = frozenset({
    "JOBISN", "CREATED_BY", "CREATION_USER", "CREATION_DATE", "CREATION_TIME", "CHANGE_USERID", "CHANGE_USERDAILY",
    "CHANGE_DATE", "CHANGE_TIME", "PARENT_FOLDER", "PARENT_TABLE", "PLATFORM", "VERSION", "JOB_VERSION",
    "VERSION_OPCODE", "IS_CURRENT_VERSION", "VERSION_SERIAL", "VERSION_HOST", "MODIFIED", "LAST_UPLOAD",
    "REAL_FOLDER_ID", "REAL_TABLEID", "TYPE", "USED_BY", "USED_BY_CODE",
    "ENFORCE_VALIDATION", "SITE_STANDARD_NAME", "JOBS_IN_GROUP", "LARGE_SIZE", "SYSDB", "AUTOARCH", "MAXDAYS",
    "MAXRUNS", "STAT_CAL", "REMOVEATONCE", "DAYSKEEPINNOTOK", "FOLDER_DSN", "TABLE_DSN", "ORDERID", "DOCLIB",
    "DOCMEM", "CATEGORY", "AUTHOR", "GROUP", "REAL_JOBID", "RULE_BASED_CALENDAR_RELATIONSHIP_CODE"})
# What an attribute named as ATTRIBUTE_NOT_CARRIED did in Control-M, where its name does not say.
_MEANINGS = {
    "ADJUST_COND": "its jobs did not wait on conditions of jobs not ordered that day",
    "END_FOLDER": "the SMART folder ended when this job did, submitting none of its jobs after it",
    "PREV_DAY": "Control-M for z/OS's SAC: ordered a day before or after the days its criteria say",
}
# Values that mean "not set" for any attribute not read into the flow.
UNSET = ("", "0", "N", "NO", "+00", "IGNORE JOB", "N/A")
# A name's dots are its own between letters; `..` is Control-M's concatenation (`%%PARM1..csv`).
VARIABLE_REFERENCE = re.compile(r"%%[$@\\A-Za-z_](?:[A-Za-z0-9_\\-]|\.(?=[A-Za-z0-9_]))*")
# Children read into the flow (or by other passes): not named as attributes not carried.
_READ_CHILDREN = frozenset(("JOB", *VARIABLE_TAGS, "INCOND", "OUTCOND", *SUB_FOLDERS, *RULE_DEFINITIONS,
                            *RULE_REFERENCES))


def facts(folder: Folder, flow: FlowRows) -> None:
    notes = folder.notes
    parameters: dict[str, str] = {}
    run_as: list[str] = []
    scopes = [folder.scope, *all_subs(folder.scope)] if folder.scope.subs else [folder.scope]
    holders: list[tuple[str, dict[str, str], Element, frozenset[str], Job | None, AbstractSet[str]]] = [
        (f"folder {s.name()}", s.attributes, s.element, _FOLDER_UNNOTED, None, s.child_names)
        for s in scopes if s.element is not None]
    holders += [(f"job {j.name}", j.attributes, j.element, _JOB_UNNOTED, j, j.child_names()) for j in folder.jobs]
    # DOFORCEJOB on OK of a job of the folder, which relations.py made a relation: carried, not an ON_DO.
    names_by_id = {j.task_id: j.name for j in folder.jobs}
    forced = {(f"job {names_by_id.get(by, '')}", j.name) for j in folder.jobs for by, code in j.forced_by
              if code.upper() in OK_CODES}
    for label, attributes, element, unnoted, job, names in holders:
        _attribute_facts(label, attributes, unnoted, notes, run_as)
        if not _READ_CHILDREN.issuperset(names):  # children all read elsewhere: no fact to name
            _element_facts(label, element, notes, flow, forced)
        if names.isdisjoint(VARIABLE_TAGS):
            continue  # no variable
        for name, value in variables(element):
            if not name.strip("%"):  # nothing to call it by: no parameter, but never dropped in silence
                notes.add("ATTRIBUTE_NOT_CARRIED", f"{label}: a variable without a name (value {value!r})")
                continue
            if PLUGIN_VARIABLE.match(name) or (PARM.match(name) and job is not None and job.arguments_used):
                continue
            key = name[2:] if name.startswith("%%") else name
            if key in parameters and parameters[key] != value:
                notes.add("VARIABLE_CONFLICT", f"{name} is {parameters[key]!r} and, in {label}, {value!r}")
            parameters.setdefault(key, value)
    flow.cells["params"] = parameters_text([{"key": k, "value": v} for k, v in parameters.items()])
    for key, value in parameters.items():
        if SECRET_NAME.held(key, value):  # as a crontab's environment: the value is now a parameter anyone sees
            notes.add("SECRET_PARAMETER", f"%%{key}")
    flow.cells["owners"] = ",".join(dict.fromkeys(run_as))
    for task in flow.tasks:
        if "%%" in task["command"]:
            references = sorted(set(VARIABLE_REFERENCE.findall(task["command"])))
            if references:
                notes.add("VARIABLE_REFERENCE", f"{task['task_name']}: {', '.join(references)}")


# The attributes `_attribute_facts` names one by one.
_NAMED = frozenset(("RUN_AS", "OWNER", "NODEID", "MULTY_AGENT", "PRIORITY", "CRITICAL", "CONFIRM", "RETRO",
                    "MAXRERUN", "RERUNMEM", "MAXWAIT", "TIMETO", "DUE_OUT"))
# The attributes `_attribute_facts` never names as ATTRIBUTE_NOT_CARRIED: read into the flow,
# bookkeeping, and those it names one by one.
_JOB_UNNOTED = JOB_ATTRIBUTES | BOOKKEEPING | _NAMED
_FOLDER_UNNOTED = FOLDER_ATTRIBUTES | BOOKKEEPING | _NAMED


def _attribute_facts(label: str, attributes: dict[str, str], unnoted: frozenset[str], notes: Notes,
                     run_as: list[str]) -> None:
    present = _NAMED.intersection(attributes)  # each asked only when written: most are not
    if present:
        _named_facts(label, attributes, present, notes, run_as)
    if unnoted.issuperset(attributes):  # the usual case, said without making a set
        return
    others = attributes.keys() - unnoted
    for name, value in attributes.items():
        if name not in others or value.strip().upper() in UNSET:
            continue
        if name in ("INTERVAL", "IND_CYCLIC", "CYCLIC_TYPE") or name.endswith("XMLNS") or ":" in name:
            continue
        meaning = _MEANINGS.get(name)
        notes.add("ATTRIBUTE_NOT_CARRIED", f"{label} {name}={value.strip()}{f' ({meaning})' if meaning else ''}")


def _named_facts(label: str, attributes: dict[str, str], present: AbstractSet[str], notes: Notes,
                 run_as: list[str]) -> None:
    """The facts of the attributes `_attribute_facts` names one by one (`present`: those written)."""
    get = attributes.get
    if "RUN_AS" in present or "OWNER" in present:
        user = get("RUN_AS", "").strip() or get("OWNER", "").strip()
        if user:
            run_as.append(user)
            notes.add("RUN_AS", f"{label} ran as {user}")
    node = get("NODEID", "").strip()
    if "MULTY_AGENT" in present and get("MULTY_AGENT", "").strip().upper() in ("Y", "YES", "1"):
        notes.add("NODE", f"{label} ran on every agent of {f'the host group {node}' if node else 'its host group'} "
                          "(MULTY_AGENT), once on each")
    elif node:
        notes.add("NODE", f"{label} ran on {node}")
    if "PRIORITY" in present:
        priority = get("PRIORITY", "").strip()
        if priority and priority not in ("AA", "00"):
            notes.add("PRIORITY", f"{label} had priority {priority}")
    for name in ("CRITICAL", "CONFIRM", "RETRO"):
        if name in present and get(name, "").strip() not in ("", "0", "N"):
            notes.add(name, label)
    reruns, rerun_member = get("MAXRERUN", "").strip(), get("RERUNMEM", "").strip()
    if reruns not in ("", "0"):
        notes.add("RETRY", f"{label} up to {reruns} times" + (f", each rerun running {rerun_member} (RERUNMEM) "
                                                              "instead of its own script" if rerun_member else ""))
    elif rerun_member:  # no automatic rerun to run it: still written, so named
        notes.add("ATTRIBUTE_NOT_CARRIED", f"{label} RERUNMEM={rerun_member} (the script an automatic rerun runs)")
    if "MAXWAIT" in present and (wait := get("MAXWAIT", "").strip()) not in ("", "0", "00"):
        notes.add("MAXWAIT", f"{label} MAXWAIT={wait}")
    if "TIMETO" in present:
        until = get("TIMETO", "").strip()
        if until and get("CYCLIC", "").strip() != "1" and label.startswith("job"):
            notes.add("TIME_WINDOW", f"{label} could still start past the next New Day (TIMETO >)"
                                     if until == ">" else f"{label} could not start after {until} (TIMETO)")
    if "DUE_OUT" in present and (due := get("DUE_OUT", "").strip()):
        notes.add("ATTRIBUTE_NOT_CARRIED", f"{label} DUE_OUT={due} (expected end)")


def _element_facts(label: str, element: Element, notes: Notes, flow: FlowRows,
                   forced: AbstractSet[tuple[str, str]]) -> None:
    for child in element:
        tag, attributes = tag_of(child), attributes_of(child)
        if tag in ("QUANTITATIVE", "CONTROL"):
            amount = attributes.get("QUANT") or attributes.get("TYPE", "")
            notes.add("RESOURCE", f"{label} {tag.lower()} {attributes.get('NAME', '')}"
                                  f"{f' ({amount})' if amount else ''}")
        elif tag == "SHOUT":
            notes.add("SHOUT", f"{label} when {attributes.get('WHEN', '')} to {attributes.get('DEST', '')}: "
                               f"{attributes.get('MESSAGE', '')!r}")
        elif tag == "ON":
            _on_facts(label, child, notes, flow, forced)
        elif tag not in _READ_CHILDREN:
            shown = " ".join(f"{k}={v}" for k, v in attributes.items())
            notes.add("ATTRIBUTE_NOT_CARRIED", f"{label} <{tag}{' ' + shown if shown else ''}>")


def _on_facts(label: str, on: Element, notes: Notes, flow: FlowRows, forced: AbstractSet[tuple[str, str]]) -> None:
    code = attributes_of(on).get("CODE", "").strip()
    for action in on:
        tag, attributes = tag_of(action), attributes_of(action)
        if tag == "DOMAIL" and code.upper() == "NOTOK":
            flow.cells["alert"] = "1"
            notes.add("ALERT_RECIPIENTS", f"{label} mailed {attributes.get('DEST', '')} on failure")
            continue
        if tag == "DOFORCEJOB" and code.upper() in OK_CODES and (label, attributes.get("NAME", "").strip()) in forced:
            continue  # a relation: the forced job runs after this one
        shown = " ".join(f"{k}={v}" for k, v in attributes.items() if k in ("ACTION", "NAME", "DEST", "SIGN",
                                                                             "TABLE_NAME", "VALUE", "VARIABLE"))
        # DOOK on a failure: Control-M set the job Ended OK, and the jobs after it ran; a failed task stops them
        after = (": Control-M set the job Ended OK and the jobs after it ran; in the flow a failed task stops "
                 "the tasks after it") if tag == "DOACTION" and code.upper() == "NOTOK" \
            and attributes.get("ACTION", "").strip().upper() == "OK" else ""
        notes.add("ON_DO", f"{label} on {code or attributes_of(on).get('STMT', '')}: "
                           f"{tag}{' ' + shown if shown else ''}{after}")


def description(folder: Folder) -> str:
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
        get = job.attributes.get
        other_application = (get("APPLICATION", "").strip(), get("SUB_APPLICATION", "").strip())
        extra = "" if other_application in ((application, sub_application), ("", "")) else (
            f" [{' / '.join(a for a in other_application if a)}]")
        said = get("DESCRIPTION", "").strip()
        if said or extra:
            parts.append(f"{job.task_name}: {said}{extra}")
    return "; ".join(parts)
