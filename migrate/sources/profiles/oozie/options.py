"""The profile's options (`processing_timezone`, `oozie_version`, `first_day_of_week`, `jobs`) read
into `Settings`, the server's jobs list (`jobs = "jobs.json"`) read into each coordinator's and
bundle's states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from migrate.config import SourceSettings
from migrate.schedule.oozie import WEEKDAYS, read_zone
from migrate.schedule.result import Rejection
from migrate.sources.profiles.json_documents import read_json_file
from migrate.sources.readers import SourceError
from migrate.sources.xml_text import utf16_without_mark

OPTIONS = ("processing_timezone", "oozie_version", "first_day_of_week", "jobs")
# The lists a jobs answer holds its jobs in (jobtype=coordinator, jobtype=bundle, or either).
LISTS = ("coordinatorjobs", "bundlejobs", "jobs")


@dataclass
class Settings:
    processing_offset: int | None
    version: tuple[int, ...] | None
    first_day_of_week: str | None
    states: dict[tuple[str, str], list[str]] | None = None  # (coordinator|bundle, name) -> the server's states


def options(settings: SourceSettings) -> Settings:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{settings.path}: oozie options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    offset = None
    zone = settings.options.get("processing_timezone")
    if zone is not None:
        try:
            read = read_zone(str(zone))
        except Rejection:
            read = None
        if read is None or read.iana not in (None, "UTC", "Etc/UTC", "GMT"):
            raise SourceError(f"{settings.path}: oozie option processing_timezone = {zone!r} is not what "
                              "oozie.processing.timezone takes: 'UTC' or a fixed offset such as 'GMT+0800'")
        offset = read.offset_minutes
    version = None
    if settings.options.get("oozie_version") is not None:
        text = str(settings.options["oozie_version"])
        if not re.fullmatch(r"\d+(\.\d+)*(-.*)?", text):
            raise SourceError(f"{settings.path}: oozie option oozie_version = {text!r} is not a version such as "
                              "\"4.3.1\" or \"5.2.1\"")
        version = tuple(int(p) for p in text.split("-")[0].split("."))
    day = settings.options.get("first_day_of_week")
    if day is not None and str(day).upper() not in WEEKDAYS:
        raise SourceError(f"{settings.path}: oozie option first_day_of_week = {day!r} is not a day name such as "
                          "\"SUNDAY\" or \"MONDAY\"")
    states = _states(settings, str(settings.options["jobs"])) if settings.options.get("jobs") is not None else None
    return Settings(offset, version, str(day).upper() if day is not None else None, states)


def _states(settings: SourceSettings, written: str) -> dict[tuple[str, str], list[str]]:
    """The jobs list of the Oozie server (`GET /oozie/v1/jobs?jobtype=coordinator`, and `bundle`):
    each coordinator's and bundle's states, by name. A list with pages missing is refused."""
    if not settings.path.exists():  # the list is read beside the export: the export missing is what to name
        raise SourceError(f"{settings.path}: no such file or folder")
    path = Path(written)
    if not path.is_absolute():
        path = (settings.path if settings.path.is_dir() else settings.path.parent) / path
    document = read_json_file(path, _encoding_of(path, settings.encoding))
    if isinstance(document, list) and all(isinstance(d, dict) and any(k in d for k in LISTS) for d in document):
        pages = document  # several pages, saved as a list of the answers
    else:
        pages = [document if isinstance(document, dict) else {"jobs": document}]
    states: dict[tuple[str, str], list[str]] = {}
    counted: dict[str, int] = {}
    totals: dict[str, int] = {}
    for page in pages:
        for key in (k for k in LISTS if isinstance(page.get(k), list)):
            counted[key] = counted.get(key, 0) + len(page[key])
            if isinstance(page.get("total"), int):
                totals[key] = max(totals.get(key, 0), page["total"])
            for entry in (e for e in page[key] if isinstance(e, dict)):
                kind = ("coordinator" if "coordJobName" in entry else "bundle" if "bundleJobName" in entry
                        else str(entry.get("jobType", "")).lower())
                name = entry.get("coordJobName") or entry.get("bundleJobName") or entry.get("appName")
                if kind in ("coordinator", "bundle") and name:
                    states.setdefault((kind, str(name)), []).append(str(entry.get("status", "")).upper())
    for key, total in totals.items():
        if counted[key] < total:
            raise SourceError(f"{path}: holds {counted[key]} of the {total} jobs the server counted (total): save "
                              "every page of GET /oozie/v1/jobs?jobtype=coordinator&offset=N&len=1000 (and of "
                              "jobtype=bundle) as a JSON list of the answers")
    if not states:
        raise SourceError(f"{path}: no coordinator or bundle job in it (expected the answer of GET "
                          "/oozie/v1/jobs?jobtype=coordinator: {\"coordinatorjobs\": [{\"coordJobName\": …, "
                          "\"status\": …}]})")
    return states


def _encoding_of(path: Path, encoding: str) -> str:
    """The jobs list's encoding: UTF-8 text is read as such whatever `[source] encoding` says, which is
    for the files that are not (a workflow saved as UTF-16 without a byte-order mark)."""
    try:
        data = path.read_bytes()
        if utf16_without_mark(data) is None:
            data.decode("utf-8")
            return "utf-8-sig"
    except (OSError, UnicodeDecodeError):
        pass  # not UTF-8, or not there: read_json_file names it
    return encoding
