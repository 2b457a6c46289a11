"""`schtasks /query /fo csv /v` output: one flow per task. A task with several triggers comes on
several rows, merged here; the header row that schtasks repeats for every folder is dropped;
dates are day-first. Each trigger is converted on its own; a task whose triggers disagree cannot
be one flow's schedule and is reported."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pandas as pd

from migrate.config import SourceSettings
from migrate.schedule.legacy import convert_windows
from migrate.schedule.result import Rejection
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.readers import SourceError, SourceRow

NEEDED = ("TaskName", "Schedule Type", "Start Time")


def _frame(settings: SourceSettings) -> pd.DataFrame:
    try:
        frame = pd.read_csv(settings.path, dtype=str, keep_default_na=False, na_filter=False,
                            encoding=settings.encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"{settings.path}: not {settings.encoding} text (byte {error.start})") from None
    except pd.errors.EmptyDataError:
        raise SourceError(f"{settings.path}: the file is empty") from None
    except pd.errors.ParserError as error:
        raise SourceError(f"{settings.path}: cannot parse as CSV: {error}") from None
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        raise SourceError(f"{settings.path}: not schtasks /fo csv /v output: no column(s) {missing}")
    return frame[frame["TaskName"] != "TaskName"]  # the header schtasks repeats per folder


def _day_first(text: str) -> str:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date().isoformat()
    except ValueError:
        return ""


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    frame = _frame(settings)
    for task_name, triggers in frame.groupby("TaskName", sort=False):
        first = triggers.iloc[0]
        name = str(task_name).strip("\\").replace("\\", "_").replace(" ", "_")
        flow = FlowRows(key=str(task_name), name=name)
        schedules = []
        for _, trigger in triggers.iterrows():
            try:
                schedules.append(convert_windows({str(k): str(v) for k, v in trigger.items()}).freq)
            except Rejection as rejection:
                flow.fail(rejection.code, f"trigger {len(schedules) + 1}: {rejection.message}")
                schedules.append("")
        if len(set(schedules)) > 1 and not flow.errors:
            flow.fail("MULTIPLE_TRIGGERS", f"{len(schedules)} triggers with different schedules {schedules}; "
                                           "a flow has one")
        flow.schedule = schedules[0] if len(set(schedules)) == 1 else ""
        state = str(first.get("Scheduled Task State", "Enabled"))
        flow.cells.update(
            owners=str(first.get("Run As User", "")), active="0" if state.lower() == "disabled" else "1",
            desc=str(first.get("Comment", "")), start_date=_day_first(str(first.get("Start Date", ""))),
        )
        flow.tasks = [{"task_id": "1", "task_name": name, "command": str(first.get("Task To Run", ""))}]
        yield flow


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("schtasks", "quartz", read, "Windows Task Scheduler: schtasks /query /fo csv /v")
