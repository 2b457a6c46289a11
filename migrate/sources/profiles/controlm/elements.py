"""What a Control-M export's elements are called (folders, SUB_FOLDERs, rule-based calendars,
variables; the codes of an OK outcome) and how any element is read once `reading.py` has normalised
it: `tag_of`, `attributes_of`, and a folder's `folder_name` and `folder_key` (its flow's identity).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

EXPECTED = ("expected a Control-M XML export: <DEFTABLE> holding <FOLDER>, <SMART_FOLDER> (or the older "
            "<SCHED_TABLE>, <SCHED_GROUP>) elements with <JOB> elements")
REGULAR_FOLDERS = ("FOLDER", "SCHED_TABLE", "TABLE")
SMART_FOLDERS = ("SMART_FOLDER", "SCHED_GROUP", "SMART_TABLE")
SUB_FOLDERS = ("SUB_FOLDER", "SUB_TABLE")
RULE_DEFINITIONS = ("RULE_BASED_CALENDAR", "TAG")
RULE_REFERENCES = ("RULE_BASED_CALENDARS", "TAG_NAMES")
FOLDER_TAGS = frozenset((*REGULAR_FOLDERS, *SMART_FOLDERS))
VARIABLE_TAGS = ("VARIABLE", "AUTOEDIT2", "AUTOEDIT")
OK_CODES = ("OK", "ENDED OK", "COMPSTAT EQ 0", "COMPSTAT=0")


def tag_of(element: Element) -> str:
    """The element's name (normalised by reading.py's `normalised`: upper case, no namespace)."""
    return element.tag


def attributes_of(element: Element) -> dict[str, str]:
    """The element's attributes (normalised by reading.py's `normalised`); read, never changed."""
    return element.attrib


def folder_name(attributes: dict[str, str]) -> str:
    return (attributes.get("FOLDER_NAME") or attributes.get("TABLE_NAME") or attributes.get("JOBNAME") or "").strip()


def folder_key(attributes: dict[str, str]) -> str:
    name, datacenter = folder_name(attributes), attributes.get("DATACENTER", "").strip()
    return f"{datacenter}/{name}" if datacenter else name


def runs_nothing(attributes: dict[str, str]) -> bool:
    """Whether a job has nothing to run (commands.py refuses it): not a dummy, no in-stream script,
    no CMDLINE, no MEMNAME, and no application plugin. The first pass asks it too: such a folder is
    one row (conditions.py's outline)."""
    get = attributes.get
    if get("CMDLINE", "").strip() or get("MEMNAME", "").strip():  # most jobs, said at once
        return False
    return not (get("RUN_AS_DUMMY", "").strip().upper() in ("Y", "1", "YES")
                or get("TASKTYPE", "").strip().upper() == "DUMMY"
                or (get("USE_INSTREAM_JCL", "").strip().upper() == "Y" and get("INSTREAM_JCL", "").strip())
                or get("APPL_TYPE", "").strip().upper() not in ("", "OS"))
