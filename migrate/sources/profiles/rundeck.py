"""Rundeck job exports in YAML or XML: one flow per job, one task per workflow step (run in
order). The structured schedule becomes the Quartz expression Rundeck itself builds from it; a
`crontab` string is Quartz already."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

import yaml
from defusedxml import ElementTree

from migrate.config import SourceSettings
from migrate.schedule.legacy import rundeck_quartz_text
from migrate.schedule.result import Rejection
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.readers import SourceError, SourceRow


def _xml_job(job: Element) -> dict[str, Any]:
    """An XML <job> in the shape of the YAML export."""
    def text(path: str) -> str:
        return (job.findtext(path) or "").strip()

    found: dict[str, Any] = {"name": text("name"), "group": text("group"), "description": text("description"),
                             "id": text("id") or text("uuid"), "scheduleEnabled": text("scheduleEnabled") != "false",
                             "executionEnabled": text("executionEnabled") != "false"}
    schedule = job.find("schedule")
    if schedule is not None:
        if schedule.get("crontab"):
            found["schedule"] = {"crontab": schedule.get("crontab")}
        else:
            time, weekday, month, year, dom = (schedule.find(t) for t in ("time", "weekday", "month", "year",
                                                                          "dayofmonth"))
            found["schedule"] = {
                "time": dict(time.attrib) if time is not None else {},
                "weekday": dict(weekday.attrib) if weekday is not None else {"day": "*"},
                "month": month.get("month", "*") if month is not None else "*",
                "year": year.get("year", "*") if year is not None else "*",
                **({"dayofmonth": dict(dom.attrib)} if dom is not None else {}),
            }
    commands = []
    for command in job.findall("sequence/command"):
        reference = command.find("jobref")
        commands.append({"exec": (command.findtext("exec") or "").strip(),
                         "script": (command.findtext("script") or "").strip(),
                         "jobref": reference.get("name", "") if reference is not None else ""})
    found["sequence"] = {"commands": commands}
    return found


def _jobs(settings: SourceSettings) -> list[dict[str, Any]]:
    path = settings.path
    if not path.is_file() or not path.stat().st_size:
        raise SourceError(f"{path}: {'no such file' if not path.is_file() else 'the file is empty'}")
    try:
        text = path.read_text(encoding=settings.encoding)
        if path.suffix.lower() == ".xml" or text.lstrip().startswith("<"):
            root = ElementTree.fromstring(text)
            return [_xml_job(job) for job in root.iter("job")]
        document = yaml.safe_load(text)
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not {settings.encoding} text (byte {error.start})") from None
    except (yaml.YAMLError, ElementTree.ParseError) as error:
        raise SourceError(f"{path}: cannot parse: {error}".replace("\n", " ")) from None
    except Exception as error:  # defusedxml refuses entity tricks with its own exceptions
        raise SourceError(f"{path}: refused: {type(error).__name__}: {error}") from None
    if not isinstance(document, list) or not all(isinstance(j, dict) for j in document):
        raise SourceError(f"{path}: expected a list of Rundeck jobs")
    return document


def _flow(job: dict[str, Any], index: int) -> FlowRows:
    name = "/".join(p for p in (str(job.get("group") or ""), str(job.get("name") or "")) if p)
    flow = FlowRows(key=str(job.get("uuid") or job.get("id") or f"job {index + 1}"), name=name.replace("/", "_"))
    schedule = job.get("schedule")
    if isinstance(schedule, dict) and schedule.get("crontab"):
        flow.schedule = str(schedule["crontab"])
    elif isinstance(schedule, dict):
        try:
            flow.schedule = rundeck_quartz_text(schedule)
        except Rejection as rejection:
            flow.fail(rejection.code, rejection.message)
    else:
        flow.fail("NO_TIME_SCHEDULE", "the job has no schedule: make the flow manual")
    enabled = job.get("scheduleEnabled", True) is not False and job.get("executionEnabled", True) is not False
    flow.cells.update(desc=str(job.get("description") or ""), active="1" if enabled else "0")
    commands = (job.get("sequence") or {}).get("commands") or []
    previous = ""
    for step, command in enumerate(commands, 1):
        text = command.get("exec") or command.get("script") or command.get("jobref", {}) or ""
        flow.tasks.append({"task_id": str(step), "task_name": f"{flow.name}_step{step}", "upstream": previous,
                           "command": str(text)})
        previous = str(step)
    return flow


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flow(job, index) for index, job in enumerate(_jobs(settings)))


PROFILE = Profile("rundeck", "quartz", read, "Rundeck job exports, YAML or XML")
