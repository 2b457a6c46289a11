"""A job's command (`command`): its CMDLINE, its script (MEMLIB/MEMNAME with its `%%PARMn`
arguments), its in-stream script, a plugin job's settings as text, `exit 0` for a Dummy job; and
the variables of a job or folder (`variables`: VARIABLE, AUTOEDIT2, AUTOEDIT).
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree.ElementTree import Element

from migrate.sources.profiles.controlm.elements import VARIABLE_TAGS, attributes_of, runs_nothing, tag_of
from migrate.sources.profiles.controlm.model import Job, Malformed
from migrate.sources.profiles.controlm.notes import Notes

DUMMY_COMMAND = "exit 0"
PLUGIN_VARIABLE = re.compile(r"^%%[A-Za-z0-9_]+-")  # %%FTP-LPATH1, %%UCM-ACCOUNT: a plugin's settings
PARM = re.compile(r"^%%PARM(\d+)$", re.IGNORECASE)


def variables(element: Element) -> list[tuple[str, str]]:
    """(name, value) of each variable: `VARIABLE` and the older `AUTOEDIT2` (NAME, VALUE) and
    `AUTOEDIT` (EXP="%%NAME=value", or NAME and VALUE as AUTOEDIT2's). A name may be blank: the
    caller names such a variable rather than make it a parameter."""
    found = []
    for child in element:
        tag, attributes = tag_of(child), attributes_of(child)
        if tag == "AUTOEDIT" and "EXP" in attributes:
            name, _, value = attributes["EXP"].partition("=")
            found.append((name.strip(), value))
        elif tag in VARIABLE_TAGS:
            found.append((attributes.get("NAME", "").strip(), attributes.get("VALUE", "")))
    return found


def _script(job: Job, notes: Notes) -> str:
    library, member = job.attributes.get("MEMLIB", "").strip(), job.attributes.get("MEMNAME", "").strip()
    if not library:
        path = member
    elif "/" not in library and "\\" not in library and "." in library and library.upper() == library:
        path = f"{library}({member})"  # a z/OS library: the member is JCL
        notes.add("SCRIPT_REFERENCE", f"job {job.name} submits the JCL member {path}, which does not run as a command")
        return path
    else:
        separator = "\\" if "\\" in library or re.match(r"^[A-Za-z]:", library) else "/"
        path = f"{library.rstrip(separator)}{separator}{member}"
    arguments = sorted((int(m[1]), value) for name, value in variables(job.element) if (m := PARM.match(name)))
    job.arguments_used = True
    notes.add("SCRIPT_REFERENCE", f"job {job.name} runs {path}")
    # A Windows agent's script (`C:\scripts\run.bat`) reads its arguments as cmd.exe splits them: in
    # double quotes (a single quote is a character there: `'a b'` was two arguments)
    windows = "\\" in path or re.match(r"^[A-Za-z]:", path) or member.lower().endswith((".bat", ".cmd"))
    quoted = _cmd_quoted if windows else _quoted
    return " ".join([path, *(quoted(value) for _, value in arguments)])


def _quoted(value: str) -> str:
    return value if value and not re.search(r"[\s'\"]", value) else "'" + value.replace("'", "'\\''") + "'"


def _cmd_quoted(value: str) -> str:
    """An argument as cmd.exe and a batch file's %1 read it: double quotes around one with blanks or
    quotes (a quote inside doubled, as cmd's own parser keeps it), or nothing (`""`)."""
    return value if value and not re.search(r"[\s\"]", value) else '"' + value.replace('"', '""') + '"'


def _plugin_text(job: Job) -> str:
    body: dict[str, Any] = {name: job.attributes[name] for name in ("APPL_TYPE", "APPL_SUB_TYPE", "APPL_VER",
                                                                     "APPL_FORM", "CM_VER")
                            if job.attributes.get(name, "").strip()}
    body["settings"] = {name: value for name, value in variables(job.element) if PLUGIN_VARIABLE.match(name)}
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def _typed(job: Job, notes: Notes, command: str) -> str:
    kind = job.attributes.get("TASKTYPE", "").strip()
    if kind.upper() not in ("", "JOB", "COMMAND"):
        notes.add("TASK_TYPE", f"job {job.name} is a {kind} job: carried as the command it names")
    return command


def command(job: Job, notes: Notes) -> str:
    attributes = job.attributes
    kind = attributes.get("TASKTYPE", "").strip()
    if runs_nothing(attributes):
        raise Malformed(f"job {job.name} (TASKTYPE {kind or 'none'}) has nothing to run: no CMDLINE, MEMNAME or "
                        "in-stream script")
    if attributes.get("RUN_AS_DUMMY", "").strip().upper() in ("Y", "1", "YES"):
        notes.add("DUMMY_JOB", f"job {job.name} is set to run as a dummy (RUN_AS_DUMMY)")
        return DUMMY_COMMAND
    plugin = attributes.get("APPL_TYPE", "").strip()
    if kind.upper() == "DUMMY" and plugin.upper() in ("", "OS"):
        notes.add("DUMMY_JOB", f"job {job.name}")
        return DUMMY_COMMAND
    if kind.upper() == "DUMMY":  # a plugin's job written as Dummy (File Watcher, file transfer): its settings count
        notes.add("TASK_BODY_AS_TEXT", f"job {job.name} is a Dummy job that names the {plugin} plugin (APPL_TYPE) "
                                       "and its settings")
        return _plugin_text(job)
    if attributes.get("USE_INSTREAM_JCL", "").strip().upper() == "Y" and attributes.get("INSTREAM_JCL", "").strip():
        return attributes["INSTREAM_JCL"]
    if attributes.get("CMDLINE", "").strip():
        return _typed(job, notes, attributes["CMDLINE"])
    if attributes.get("MEMNAME", "").strip():
        return _typed(job, notes, _script(job, notes))
    # What runs_nothing leaves: an application plugin job.
    notes.add("TASK_BODY_AS_TEXT", f"job {job.name} is a {attributes.get('APPL_TYPE', '').strip()} plugin job")
    return _plugin_text(job)
