"""User and system crontabs: one flow per job line, its command one task.

Comments and blank lines are skipped. Environment lines (NAME=value) apply to the lines after
them and travel as flow parameters; CRON_TZ also gives a TIMEZONE warning (the flow runs on the
service's clock), and MAILTO turns on e-mail alerts. An unescaped `%` ends the command: what
follows is the job's standard input, which a flow task cannot take, so it is flagged. Options:
`system = true` for a system crontab (a user column before the command), `user = "name"` as
the owner of a user crontab's jobs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

import pandas as pd

from migrate.config import SourceSettings
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.readers import SourceError, SourceRow

ENVIRONMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def _lines(settings: SourceSettings) -> Iterator[tuple[int, str]]:
    """Every line through pandas, streamed; the number is the line in the file."""
    number = 0
    try:
        chunks = pd.read_csv(settings.path, sep="\x00", header=None, names=["line"], dtype=str, quoting=csv.QUOTE_NONE,
                             keep_default_na=False, skip_blank_lines=False, encoding=settings.encoding,
                             chunksize=settings.chunk_rows, engine="c")
        with chunks:
            for chunk in chunks:
                for line in chunk["line"]:
                    number += 1
                    yield number, line
    except UnicodeDecodeError as error:
        raise SourceError(
            f"{settings.path}: line {number + 1}: not {settings.encoding} text ({error.reason})") from None
    except pd.errors.EmptyDataError:
        return


def split_percent(command: str) -> tuple[str, str | None]:
    """cron's `%`: the command ends at the first unescaped one; the rest is standard input."""
    parts = re.split(r"(?<!\\)%", command, maxsplit=1)
    head = parts[0].replace("\\%", "%")
    return head, (parts[1].replace("\\%", "%").replace("%", "\n") if len(parts) > 1 else None)


def _name(command: str, number: int) -> str:
    words = command.split()
    program = PurePosixPath(words[0]).name if words else "job"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{program}_line{number}").strip("_")


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    system = bool(settings.options.get("system", False))
    default_user = str(settings.options.get("user", ""))
    environment: dict[str, str] = {}
    for number, raw in _lines(settings):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if match := ENVIRONMENT.match(line):
            environment[match[1]] = match[2].strip().strip("'\"")
            continue
        fields = line.split(None, 1 if line.startswith("@") else 5)
        schedule_parts = 1 if line.startswith("@") else 5
        if len(fields) <= schedule_parts:
            flow = FlowRows(key=f"line {number}", name=f"line{number}")
            flow.fail("INVALID_SYNTAX", f"line {number}: {line!r} has no command")
            yield flow
            continue
        schedule = " ".join(fields[:schedule_parts])
        rest = fields[schedule_parts]
        user = default_user
        if system:
            user, _, rest = rest.partition(" ")
        command, stdin = split_percent(rest.strip())
        flow = FlowRows(key=f"line {number}", name=_name(command, number), schedule=schedule)
        params = dict(environment)
        if "CRON_TZ" in environment:
            flow.warn("TIMEZONE", f"CRON_TZ={environment['CRON_TZ']}: the job ran in that zone; a flow runs on the "
                                  "service's clock")
        if stdin is not None:
            flow.warn("PERCENT_STDIN", f"the text after % was the job's input ({stdin!r}); a task has none")
        flow.cells.update(
            owners=user, active="1", params=";".join(f"{k}={v}" for k, v in params.items()),
            desc=f"crontab line {number}: {line}"[:500],
        )
        if environment.get("MAILTO"):
            flow.cells["alert"] = "1"
        flow.tasks = [{"task_id": "1", "task_name": flow.name, "command": command}]
        yield flow


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("crontab", "unix", read, "crontab files: one flow per job line")
