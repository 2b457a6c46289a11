"""`schtasks /query /fo csv /v` output: one flow per task.

A task with several triggers comes on several rows, merged here; the header row that schtasks
repeats for every folder is dropped. Each trigger is converted on its own; triggers that disagree
are one flow schedule only when their union is one (windows_triggers.py), else reported; a task
started by boot, logon, idle or an event, or by none (`On demand only`), has no time schedule
(`unscheduled`). The flow's start date and end are its time triggers' (the earliest Start Date, the
latest End Date), in whatever order its rows come.

schtasks prints in the display language of the Windows it runs on:
- column headers: English, German, French and Chinese (Simplified) headers map to the same
  columns; trigger values (`Daily`, `MON`, `Every 1 day(s)`) are read in English only, so a
  localised trigger is refused by name, never guessed;
- times: 24-hour (`18:00:00`) or 12-hour (`6:00:00 PM`, en-US);
- dates in the locale's order: year-first dates say so themselves; for `a/b/yyyy` the order is the
  option `date_order = "MDY" | "DMY" | "YMD"`, else inferred only when the file proves it (a first
  or second part above 12 somewhere in it); a date the file leaves ambiguous is refused
  (AMBIGUOUS_DATE), never guessed;
- the task state: a disabled task (`Disabled`, `Deaktiviert`, `Désactivé`, `已禁用`) is saved
  inactive with a warning naming the state.

Windows' own tasks (under `\\Microsoft\\Windows\\`: a whole machine's export holds well over a
hundred) are skipped, counted in one BUILTIN_TASKS_SKIPPED warning on the export's first flow, by the
taskxml profile's rule and option: `options = { include_builtin = true }` plans them too.

schtasks writes a trigger's Start Time and Start Date without a zone: the task fired in the
machine's local zone, which the export does not say: HOST_TIMEZONE on every flow with a schedule (as
the taskxml profile's StartBoundary without an offset), and `[mapping] source_timezone` names it.
A timed trigger whose date cannot be read is that date's error alone (AMBIGUOUS_DATE, INVALID_DATE):
whether several triggers are one schedule depends on when each begins and ends.

A trigger's End Date that has passed (against today in UTC) saves the flow inactive, one ahead
keeps it active, both with END_DATE naming it (a flow has no end date). The account the task ran
as (`Run As User`) is RUN_AS: the flow runs as the service's doAs account. `Start In` is
WORKING_DIRECTORY.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from migrate.config import SourceSettings
from migrate.schedule.legacy import convert_windows
from migrate.schedule.result import NO_TIME_SCHEDULE, Rejection
from migrate.schedule.taskxml import Trigger, convert_trigger
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.profiles.end_dates import report_end
from migrate.sources.profiles.schtasks_headers import HEADERS
from migrate.sources.profiles.taskxml import is_builtin
from migrate.sources.profiles.windows_triggers import triggers_as_one
from migrate.sources.readers import SourceError, SourceRow, utf16_codec

OPTIONS = ("date_order", "include_builtin", "host_in_name")
DATE_ORDERS = ("MDY", "DMY", "YMD")
NEEDED = ("TaskName", "Schedule Type", "Start Time")

# HEADERS: the columns this profile reads, in English, German, French and Chinese (schtasks_headers.py).
ENABLED = ("enabled", "aktiviert", "activé", "已启用")
DISABLED = ("disabled", "deaktiviert", "désactivé", "已禁用")
NOT_APPLICABLE = ("", "n/a", "nicht zutreffend", "暂缺")
# Columns whose dates show the file's date order (all printed in the same locale format).
DATE_COLUMNS = ("Start Date", "End Date", "Next Run Time", "Last Run Time")

DATE = re.compile(r"^\s*(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})\b")
CLOCK = re.compile(r"^\s*(上午|下午)?\s*(\d{1,2}):(\d{2}):(\d{2})\s*(?:([AaPp])\.?\s*[Mm]\.?)?\s*$")


def _folded(header: str) -> str:
    return "".join(header.split()).casefold()


CANONICAL = {_folded(alias): name for name, aliases in HEADERS.items() for alias in (name, *aliases)}


class DateError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class DateOrder:
    """The order of a/b/yyyy dates: the user's option, else what the file proves, else unknown."""

    order: str | None
    reason: str  # why, for messages


def _date_parts(text: str) -> tuple[str, str, str] | None:
    """The three numbers of a date at the start of the text (a date-time too), as written."""
    match = DATE.match(text)
    return (match[1], match[2], match[3]) if match else None


def _file_date_order(frame: pd.DataFrame, option: str | None) -> DateOrder:
    if option is not None:
        return DateOrder(option, f"date_order = {option!r}")
    day_first, month_first = "", ""
    for column in (c for c in DATE_COLUMNS if c in frame.columns):
        for text in frame[column]:
            parts = _date_parts(str(text))
            if parts is None or len(parts[0]) == 4:
                continue
            a, b = int(parts[0]), int(parts[1])
            if a > 12 >= b and not day_first:
                day_first = f"{column} {str(text).strip()!r}"
            if b > 12 >= a and not month_first:
                month_first = f"{column} {str(text).strip()!r}"
    if day_first and month_first:
        return DateOrder(None, f"the file has both a day-first date ({day_first}) and a month-first one "
                               f"({month_first})")
    if day_first:
        return DateOrder("DMY", f"the file is day-first ({day_first})")
    if month_first:
        return DateOrder("MDY", f"the file is month-first ({month_first})")
    return DateOrder(None, "no date in the file has a day above 12")


def read_date(text: str, order: DateOrder) -> str:
    """An ISO date from a schtasks date, "" for N/A, or DateError (INVALID_DATE, AMBIGUOUS_DATE)."""
    written = text.strip()
    if written.casefold() in NOT_APPLICABLE:
        return ""
    parts = _date_parts(written)
    if parts is None or (len(parts[0]) != 4 and len(parts[2]) != 4):
        raise DateError("INVALID_DATE", f"{written!r} is not a date with a four-digit year")
    a, b, c = (int(p) for p in parts)
    try:
        if len(parts[0]) == 4:  # year-first dates are year-month-day in every Windows locale
            return date(a, b, c).isoformat()
        if order.order == "YMD":
            raise ValueError(f"it ends with the year, and {order.reason}")
        month_first = order.order == "MDY" if order.order else _month_first(written, a, b, c, order)
        month, day = (a, b) if month_first else (b, a)
        return date(c, month, day).isoformat()
    except DateError:
        raise
    except ValueError as error:
        raise DateError("INVALID_DATE", f"{written!r} is not a date ({error})") from None


def _month_first(written: str, a: int, b: int, year: int, order: DateOrder) -> bool:
    """With no known order: a date that says its own order (a part above 12, or both parts equal),
    else AMBIGUOUS_DATE."""
    if a == b or (a <= 12 < b):
        return True
    if b <= 12 < a:
        return False
    if a > 12:
        raise ValueError("neither part can be a month")
    raise DateError("AMBIGUOUS_DATE", f"{written!r} could be {_spelled(year, a, b)} or {_spelled(year, b, a)}, "
                                      f"and {order.reason}: set [source] options = {{ date_order = \"MDY\" }} "
                                      '(en-US) or "DMY"')


def _spelled(year: int, month: int, day: int) -> str:
    return f"{day} {date(year, month, day):%B %Y}"


def clock_24h(text: str) -> str:
    """`6:00:00 PM` (en-US) or `下午 6:00:00` as `18:00:00`; 24-hour text is returned as it is."""
    match = CLOCK.match(text)
    if not match or not (match[1] or match[5]):
        return text
    hour = int(match[2])
    if not 1 <= hour <= 12:
        return text  # not a 12-hour clock: the converter names it
    afternoon = match[1] == "下午" or (match[5] or "").upper() == "P"
    return f"{hour % 12 + (12 if afternoon else 0):02d}:{match[3]}:{match[4]}"


# schtasks quotes every field and escapes nothing inside one: a command `reg query "HKLM\\…" /v "SD"`
# is written `"reg query "HKLM\\…" /v "SD""`, which a CSV reader splits wrongly. Its fields are
# therefore split where `","` separates them (the outer quotes stripped), as schtasks wrote them.
SCHTASKS_SEPARATOR = '","'
# Where a line of the file ends: schtasks writes CRLF, an editor LF, a classic Mac editor a lone CR.
LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
REENCODE = ("`schtasks /query /fo csv /v > tasks.csv` in cmd.exe writes the console's code page (chcp tells: 850 or "
            "437 in Western Europe and the US, 936 (gbk) in Chinese); PowerShell 5's `>` writes UTF-16, which is read "
            "as such")


def _text(settings: SourceSettings) -> str:
    """The file's text: UTF-16 with a byte-order mark as PowerShell 5 writes it, else the configured
    encoding; one that holds a NUL, which schtasks never writes, refused (a damaged copy: the
    character would go into a flow's name or command)."""
    text = _decoded(settings)
    if (at := text.find("\x00")) >= 0:
        line = text.count("\n", 0, at) + 1
        raise SourceError(f"{settings.path}: line {line} holds a NUL character, which schtasks never writes: a "
                          "damaged or binary copy; export the tasks again")
    return text


def _decoded(settings: SourceSettings) -> str:
    try:
        data = settings.path.read_bytes()
    except OSError as error:
        raise SourceError(f"{settings.path}: cannot read ({error.strerror})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="strict")
    if b"\x00" in data[:200] and not settings.encoding.lower().replace("_", "-").startswith("utf-16"):
        raise SourceError(f"{settings.path}: holds NUL bytes, as UTF-16 text without a byte-order mark does: set "
                          f"[source] encoding = \"{utf16_codec(data)}\"")
    try:
        return data.decode(settings.encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"{settings.path}: not {settings.encoding} text (byte {error.start}: "
                          f"0x{data[error.start]:02X}); {REENCODE}: set [source] encoding to it, e.g. "
                          "encoding = \"cp850\" or \"gbk\"") from None


def _frame(settings: SourceSettings) -> pd.DataFrame:
    """The rows of the export, each field as schtasks wrote it. A row that does not have the
    header's number of fields (a hand edit, a truncated line) is not read: its task fails by name
    (`frame.attrs["malformed"]`: task name -> why), never read shifted into other columns."""
    expected = ("expected `schtasks /query /fo csv /v` output, with the columns " + ", ".join(NEEDED) +
                " or their German, French or Chinese names")
    text = _text(settings).lstrip("\ufeff")
    first_line = LINE_BREAK.split(text, maxsplit=1)[0].strip()
    as_written = first_line.startswith('"') and first_line.endswith('"') and SCHTASKS_SEPARATOR in first_line
    extra: list[list[str]] = []

    def set_aside(fields: list[str]) -> list[str] | None:  # a row with more fields than the header
        extra.append(fields)
        return None

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)  # a short row is set aside and named, below
            if as_written:
                frame = _as_written(text, extra)
            else:  # re-saved by a spreadsheet: plain CSV quoting
                if "\r" in text and "\n" not in text:  # lone CRs (a classic Mac editor's save): one line to pandas
                    text = text.replace("\r", "\n")
                # A lone CR between a row's closing quote and the next row's opening one ends the row: read
                # as part of one line, it lost the next task without a word. One inside a field stays the field's.
                text = re.sub(r'"\r(?=")', '"\n', text)
                frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                    na_filter=False, index_col=False, engine="python", on_bad_lines=set_aside)
    except pd.errors.EmptyDataError:
        raise SourceError(f"{settings.path}: the file is empty") from None
    except (pd.errors.ParserError, csv.Error) as error:
        raise SourceError(f"{settings.path}: this does not look like a schtasks export ({expected}; "
                          f"cannot parse it as CSV: {error})".replace("\n", " ")) from None
    headers = {str(c): CANONICAL.get(_folded(str(c)), str(c)) for c in frame.columns}
    missing = [c for c in NEEDED if c not in headers.values()]
    if missing:
        found = ", ".join(repr(c) for c in list(headers)[:6]) + (", …" if len(headers) > 6 else "")
        raise SourceError(f"{settings.path}: this does not look like a schtasks export ({expected}; "
                          f"no column {', '.join(missing)}; found {found})")
    task_header = next(original for original, name in headers.items() if name == "TaskName")
    columns = len(frame.columns)
    malformed: dict[str, str] = {}
    if as_written and columns:
        last = frame.columns[-1]
        short = ~frame[last].str.endswith('"')  # every field of a whole row is quoted: the last ends with one
        for _, row in frame[short].iterrows():
            malformed.setdefault(str(row[task_header]), f"a row of fewer than the header's {columns} fields")
        frame = frame[~short].copy()
        for column in (frame.columns[0], last):
            frame[column] = frame[column].map(_unquoted)
    for fields in extra:
        name = _unquoted(fields[1]) if len(fields) > 1 else ""
        malformed.setdefault(name, f"a row of {len(fields)} fields where the header has {columns}")
    frame = frame[frame[task_header] != task_header]  # the header schtasks repeats per folder
    if frame.empty and not malformed:
        raise SourceError(f"{settings.path}: has the schtasks columns but no task")
    frame = frame.rename(columns=headers)
    frame.attrs["localised"] = any(original != name for original, name in headers.items() if name in HEADERS)
    frame.attrs["malformed"] = malformed
    return frame


def _as_written(text: str, extra: list[list[str]]) -> pd.DataFrame:
    """The rows of an export as schtasks wrote it, each split at `","`, the first and last fields
    keeping their outer quote (a row cut short has a last field without one). A row of more fields
    than the header goes to `extra`; one of fewer is padded with blanks, as a CSV reader pads it."""
    header, *rows = [row for row in _rows(text) if row.strip()]
    columns = _distinct([_unquoted(name) for name in header.split(SCHTASKS_SEPARATOR)])
    kept: list[list[str]] = []
    for row in rows:
        fields = row.split(SCHTASKS_SEPARATOR)
        if len(fields) > len(columns):
            extra.append(fields)
        else:
            kept.append(fields + [""] * (len(columns) - len(fields)))
    return pd.DataFrame(kept, columns=columns, dtype=str)


def _rows(text: str) -> list[str]:
    """The file's rows. schtasks writes a value as it is between its quotes, line breaks too (a
    Comment of several lines, CR, LF or CRLF): a line that carries on a field of the row before is
    joined to it, with its line break. A line carries on a row short of the header's fields when the
    two together are not over that count, and it does not begin a row itself (`"…","\\Task…`: every
    task's name begins with a backslash), so that two rows each cut short stay two rows, each failing
    by its own name, and a comment line that begins with a quote is still the comment's."""
    lines = LINE_BREAK.split(text)  # line, its break, line, its break, …, the last line
    header = [_unquoted(name) for name in lines[0].split(SCHTASKS_SEPARATOR)]
    width = len(header)
    task_column = next((n for n, name in enumerate(header) if CANONICAL.get(_folded(name)) == "TaskName"), 1)
    rows = [lines[0]]
    for line_break, line in zip(lines[1::2], lines[2::2], strict=True):
        fields = line.split(SCHTASKS_SEPARATOR)
        begins_row = (line.startswith('"') and len(fields) > task_column
                      and _unquoted(fields[task_column]).startswith("\\"))
        have = rows[-1].count(SCHTASKS_SEPARATOR) + 1
        if have < width and have + len(fields) - 1 <= width and len(fields) < width and not begins_row:
            rows[-1] += line_break + line
        else:
            rows.append(line)
    return rows


def _distinct(columns: list[str]) -> list[str]:
    """Header names made distinct as a CSV reader makes them (`Status`, `Status.1`)."""
    seen: dict[str, int] = {}
    distinct: list[str] = []
    for name in columns:
        count = seen.get(name, 0)
        seen[name] = count + 1
        distinct.append(f"{name}.{count}" if count else name)
    return distinct


def _unquoted(value: str) -> str:
    """A field of a line split at `","`: the line's first and last fields keep one outer quote."""
    return value[1:] if value.startswith('"') else value[:-1] if value.endswith('"') else value


def _switch(settings: SourceSettings, name: str) -> bool:
    value = settings.options.get(name, False)
    if not isinstance(value, bool):
        raise SourceError(f"{settings.path}: schtasks option {name} = {value!r} is not true or false")
    return value


def _options(settings: SourceSettings) -> str | None:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{settings.path}: schtasks options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    order = settings.options.get("date_order")
    if order is None:
        return None
    if str(order).upper() not in DATE_ORDERS:
        raise SourceError(f"{settings.path}: schtasks option date_order = {order!r} is not one of "
                          f"{', '.join(DATE_ORDERS)}")
    return str(order).upper()


LOCALISED_TRIGGERS = (" (this export is in another display language: trigger values are read in English only, "
                      "so a localised one is refused rather than guessed; the tasks' XML is alike in every "
                      "language: export them with `schtasks /query /xml` or Export-ScheduledTask and read "
                      "them with profile = \"taskxml\")")


# A trigger with no time (start-up, log-on, an event, idle) beside one with a time schedule.
NO_TIME_TRIGGER = "NO_TIME_TRIGGER"


def _schedule(flow: FlowRows, triggers: pd.DataFrame, localised: bool, order: DateOrder) -> pd.DataFrame:
    """The triggers as one schedule (their union, when it is one: windows_triggers.py), or the
    reason there is none; the rows of the triggers with a time schedule, whose dates are the flow's
    whatever their place among the task's rows (a log-on row first has no Start Date)."""
    schedules: list[str] = []
    no_time: list[str] = []
    dated: list[tuple[str, str, str, str]] = []  # each timed trigger: freq, zone, start date-time, end date
    timed_rows: list[object] = []  # the frame's labels of the rows with a time schedule
    dates_unread = False  # a timed trigger's Start Date or End Date that cannot be read
    for number, (label, trigger) in enumerate(triggers.iterrows(), start=1):
        fields = {str(k): str(v) for k, v in trigger.items()}
        fields["Start Time"] = clock_24h(fields.get("Start Time", ""))
        fields["Repeat: Until: Time"] = clock_24h(fields.get("Repeat: Until: Time", ""))
        try:
            schedules.append(_once_ahead(fields, order) or convert_windows(fields).freq)
        except Rejection as rejection:
            if rejection.code == NO_TIME_SCHEDULE:
                no_time.append(fields.get("Schedule Type", "").strip())
            else:
                hint = LOCALISED_TRIGGERS if localised else ""
                flow.fail(rejection.code, f"trigger {number}: {rejection.message}{hint}")
            schedules.append("")
            continue
        timed_rows.append(label)
        try:
            day = read_date(fields.get("Start Date", ""), order)
            end = read_date(fields.get("End Date", ""), order)
        except DateError:  # the flow's reading of its dates names it (_start_date, _end_date)
            dates_unread = True
            continue
        dated.append((schedules[-1], "", f"{day}T{fields['Start Time'].strip()}" if day else "", end))
    timed_triggers = triggers.loc[timed_rows]
    if flow.errors:
        return timed_triggers
    timed = [schedule for schedule in schedules if schedule]
    if no_time and not timed:
        flow.unscheduled(f"a Windows task started {' / '.join(sorted(set(no_time))).lower() or 'by no trigger'}: "
                         "it has no time schedule")
    elif len(set(timed)) > 1:
        # Whether the triggers are one schedule depends on when each begins and ends: with a date
        # unread, that is not known, and the date's own error is the flow's (merged or refused on a
        # blank date, it was a second error, "one begins at , ahead")
        if not dates_unread and (merged := triggers_as_one(flow, dated)) is not None:
            flow.schedule = merged
    else:
        flow.schedule = timed[0]
        if no_time:  # beside a time schedule: carried, and the starts it cannot make named
            flow.warn(NO_TIME_TRIGGER, f"the task also started {' / '.join(sorted(set(no_time))).lower()}: a flow "
                                       "starts only on its schedule, so those starts are not carried")
    return timed_triggers


# The columns a trigger's proof reads, as written but for the dates (read in the file's order) and the
# start time (on a 24-hour clock).
PROOF_COLUMNS = ("Schedule Type", "Start Time", "Days", "Months", "Repeat: Every", "Repeat: Until: Time",
                 "Repeat: Until: Duration")


def _once_ahead(fields: dict[str, str], order: DateOrder) -> str:
    """A `One Time Only` trigger still ahead, as the taskxml profile carries a TimeTrigger: that
    instant, with its year (ONE_TIME); "" for any other trigger, or one that has passed (it never
    fires again: no time schedule)."""
    if fields.get("Schedule Type", "").strip().lower() != "one time only":
        return ""
    day = _date_or_blank(fields.get("Start Date", ""), order)
    try:
        start = datetime.fromisoformat(f"{day}T{fields.get('Start Time', '').strip()}") if day else None
        return convert_trigger(Trigger("TimeTrigger", start), datetime.now()).freq if start else ""
    except (ValueError, Rejection):
        return ""


def _first_start(triggers: pd.DataFrame, order: DateOrder) -> str:
    """When the first of the triggers begins: its Start Date and Start Time as an ISO date-time ("" unread)."""
    starts = [f"{day}T{clock_24h(str(trigger.get('Start Time', '')))}" for _, trigger in triggers.iterrows()
              if (day := _date_or_blank(str(trigger.get("Start Date", "")), order))]
    return min(starts, default="")


def _date_or_blank(written: str, order: DateOrder) -> str:
    """A trigger's date as ISO, "" when it has none or it cannot be read (the flow's own reading of
    its schedule's triggers reports that: `_start_date`, `_end_date`)."""
    try:
        return read_date(written, order)
    except DateError:
        return ""


def _trigger_rows(triggers: pd.DataFrame, order: DateOrder) -> str:
    """The triggers as a JSON list of their columns (Start Date and End Date as ISO dates)."""
    rows = []
    for _, trigger in triggers.iterrows():
        row = {column: str(trigger.get(column, "")).strip() for column in PROOF_COLUMNS}
        row["Start Time"] = clock_24h(row["Start Time"])
        for column in ("Start Date", "End Date"):
            row[column] = _date_or_blank(str(trigger.get(column, "")), order)
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False)


def _state(flow: FlowRows, state: str) -> None:
    folded = state.strip().casefold()
    if folded in ENABLED:
        flow.cells["active"] = "1"
        return
    flow.cells["active"] = "0"
    if folded in DISABLED:
        flow.warn("SOURCE_DISABLED", f"the task's Scheduled Task State is {state.strip()!r} (disabled): saved "
                                     "inactive")
    else:
        flow.warn("SOURCE_DISABLED", f"the task's Scheduled Task State {state.strip()!r} is not one this profile "
                                     "reads (Enabled/Disabled in English, German, French, Chinese): saved inactive")


def _start_date(flow: FlowRows, triggers: pd.DataFrame, order: DateOrder) -> str:
    """The earliest Start Date of the triggers (the flow fires from when the first of them begins),
    "" when none has one; one that cannot be read is the flow's error."""
    days = []
    for _, trigger in triggers.iterrows():
        try:
            days.append(read_date(str(trigger.get("Start Date", "")), order))
        except DateError as error:
            flow.fail(error.code, f"Start Date: {error}")
            return ""
    return min((day for day in days if day), default="")


def _end_date(flow: FlowRows, triggers: pd.DataFrame, order: DateOrder) -> None:
    """The triggers' End Date: passed, the flow is inactive; ahead, it is named (a flow has no end).
    Of several, the latest, and none when one of them has none (the task fires while one does)."""
    ends: list[tuple[str, str]] = []  # ISO, as written
    for _, trigger in triggers.iterrows():
        written = str(trigger.get("End Date", "")).strip()
        try:
            ends.append((read_date(written, order), written))
        except DateError as error:
            flow.fail(error.code, f"End Date: {error}")
            return
    if ends and all(end for end, _ in ends):
        end, written = max(ends)
        report_end(flow, "the trigger's End Date", written, date.fromisoformat(end))


def _not_carried(flow: FlowRows, first: pd.Series) -> None:
    """Facts of the task that a flow has no place for, each named."""
    run_as = str(first.get("Run As User", "")).strip()
    if run_as.casefold() not in NOT_APPLICABLE:
        flow.warn("RUN_AS", f"the task ran as {run_as} (Run As User); the flow runs as the service's doAs account "
                            "instead")
    start_in = str(first.get("Start In", "")).strip()
    if start_in.casefold() not in NOT_APPLICABLE:
        flow.warn("WORKING_DIRECTORY", f"the task started in {start_in}; a task's command runs where the service "
                                       "runs it: add a cd to the command if it needs that folder")


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    option = _options(settings)
    include_builtin = _switch(settings, "include_builtin")
    host_in_name = _switch(settings, "host_in_name")
    frame = _frame(settings)
    order = _file_date_order(frame, option)  # Windows' own tasks' dates, in the same locale, tell it too
    malformed: dict[str, str] = dict(frame.attrs.get("malformed", {}))
    builtin = [] if include_builtin else [name for name in dict.fromkeys((*frame["TaskName"], *malformed))
                                          if is_builtin(str(name))]
    if builtin:
        frame = frame[~frame["TaskName"].isin(builtin)]
        malformed = {name: why for name, why in malformed.items() if name not in builtin}
        if frame.empty and not malformed:
            raise SourceError(f"{settings.path}: the export holds only Windows' own tasks ({len(builtin)} under "
                              "\\Microsoft\\Windows\\, skipped by default): set [source] options = "
                              "{ include_builtin = true } to plan them")
    if host_in_name:
        frame = _named_by_host(frame, settings)
    for number, flow in enumerate(_task_flows(frame, malformed, order)):
        if number == 0 and builtin:  # one note for the export, not one flow each: it rides on the first
            shown = ", ".join(str(name).strip() for name in builtin[:3]) + (", ..." if len(builtin) > 3 else "")
            flow.warn("BUILTIN_TASKS_SKIPPED", f"{len(builtin)} of Windows' own tasks (under \\Microsoft\\Windows\\: "
                                               f"{shown}) were skipped, not planned; [source] options = "
                                               "{ include_builtin = true } plans them")
        yield flow


def _machine(host: pd.Series) -> pd.Series:
    """A machine's name as one spelling: Windows' computer names are not case-sensitive, and
    `schtasks /s app01` and a later `/s APP01` name one machine."""
    return host.str.strip().str.upper()


def _named_by_host(frame: pd.DataFrame, settings: SourceSettings) -> pd.DataFrame:
    """`host_in_name`: each task known by its machine and its name (`APP01\\Backup`), for an export
    of several machines (a loop of `schtasks /query /s HOST …`) whose tasks share names."""
    if "HostName" not in frame.columns:
        raise SourceError(f"{settings.path}: schtasks option host_in_name is set, but the export has no HostName "
                          "column (`schtasks /query /fo csv /v` writes one)")
    named = frame.copy()
    named["TaskName"] = _machine(named["HostName"]) + named["TaskName"].where(
        named["TaskName"].str.startswith("\\"), "\\" + named["TaskName"])
    return named


def _listings(frame: pd.DataFrame) -> pd.Series:
    """Which listing of its task each row is part of. schtasks writes a task's trigger rows one
    after another; a row of the same machine and task after other rows or a header between them is
    the task listed again (a machine queried twice, two days' exports joined), not another trigger
    of it (the frame keeps the file's row numbers: a header dropped leaves a gap)."""
    who = frame["TaskName"] if "HostName" not in frame.columns else _machine(frame["HostName"]) + frame["TaskName"]
    rows = pd.Series(frame.index, index=frame.index)
    return ((who != who.shift()) | (rows.diff() != 1)).cumsum()


def _one_listing(task_name: str, rows: pd.DataFrame, listing: pd.Series) -> tuple[pd.DataFrame, list[FlowRows]]:
    """A task's rows from one machine's one listing, and a refused flow for each other machine that
    has a task of that name in the export (a loop of `schtasks /query /s HOST …`: one flow cannot be
    both, and merged, the second machine's command, account, times and state were lost or mixed in)
    and for each further listing of it (merged, its rows were taken for more triggers: the flow
    fired at the times of both)."""
    name = task_name.strip("\\").replace("\\", "_").replace(" ", "_")
    machines = _machine(rows["HostName"]) if "HostName" in rows.columns else pd.Series("", index=rows.index)
    hosts = list(dict.fromkeys(machines))
    refused = []
    for host in hosts[1:]:
        other = FlowRows(key=f"{task_name} on {host}", name=name)
        other.fail("DUPLICATE_TASK", f"{task_name} comes from the machines {hosts[0]} and {host} in this export: each "
                                     "is a task of its own, which one flow cannot carry; the flow is planned from "
                                     f"{hosts[0]}'s rows alone. Set [source] options = {{ host_in_name = true }} to "
                                     f"make a flow of each machine's task, named after both ({hosts[0]}_{name})")
        refused.append(other)
    kept = rows[machines == hosts[0]]
    listed = list(dict.fromkeys(listing.loc[kept.index]))
    for count, _ in enumerate(listed[1:], 2):
        other = FlowRows(key=f"{task_name} listed again" + (f" ({count - 1})" if len(listed) > 2 else ""), name=name)
        times = "twice" if count == 2 else f"{count} times"
        other.fail("DUPLICATE_TASK", f"{task_name}{f' of {hosts[0]}' if hosts[0] else ''} is listed {times} in this "
                                     "export (other tasks' rows or a header between the listings: a machine queried "
                                     "twice, or two exports joined); schtasks writes a task's triggers together, so "
                                     "these are not more triggers of it: the flow is planned from the first listing "
                                     "alone; remove the others")
        refused.append(other)
    for other in refused:
        other.cells["active"] = "1"  # its state is unread: the error says why, nothing more
    return kept[listing.loc[kept.index] == listed[0]], refused


def _task_flows(frame: pd.DataFrame, malformed: dict[str, str], order: DateOrder) -> Iterator[FlowRows]:
    """A flow per task of the frame, then one per task none of whose rows could be read (`malformed`,
    emptied as its tasks are met in the frame)."""
    listing = _listings(frame)
    for task_name, rows in frame.groupby("TaskName", sort=False):
        triggers, refused = _one_listing(str(task_name), rows, listing)
        first = triggers.iloc[0]
        name = str(task_name).strip("\\").replace("\\", "_").replace(" ", "_")
        flow = FlowRows(key=str(task_name), name=name)
        if (why := malformed.pop(str(task_name), None)) is not None:
            flow.fail("MALFORMED_RECORD", f"{why}: not read (a value schtasks wrote with a quote it did not escape, "
                                          "or a line cut short or edited by hand); export the task again")
        timed = _schedule(flow, triggers, bool(frame.attrs.get("localised")), order)
        if flow.schedule:  # the source, for the proof (mapping/flows.py, schedule/proof_windows.py)
            flow.cells.update(source_schedule=_trigger_rows(triggers, order), source_grammar="schtasks")
            # As taskxml's StartBoundary without an offset: the zone is assumed, so it is said (and moot
            # once [mapping] source_timezone names it: the mapping drops the warning then)
            flow.warn("HOST_TIMEZONE", "schtasks writes a trigger's Start Time and Start Date without a zone: the task "
                                       "fired in the machine's local zone, which the export does not say; set "
                                       "[mapping] source_timezone to it, else the schedule is taken to be in the "
                                       "service's zone")
        _state(flow, str(first.get("Scheduled Task State", "Enabled")))
        # The dates are those of the triggers with a time schedule, in whatever order the rows come (a
        # log-on row, whose dates are N/A, listed first took the flow's start date); with none, the first's.
        dated = timed if not timed.empty else triggers.iloc[:1]
        start_date = _start_date(flow, dated, order)
        flow.cells["source_start"] = _first_start(dated, order)  # the time it begins (the proof's FIRST_DAY)
        comment = str(first.get("Comment", "")).strip()
        flow.cells.update(owners=str(first.get("Run As User", "")), start_date=start_date,
                          desc="" if comment.casefold() in NOT_APPLICABLE else comment)
        _end_date(flow, dated, order)
        _not_carried(flow, first)
        command = str(first.get("Task To Run", ""))
        if '""' in command:  # schtasks escapes nothing; a CSV writer that saved the file again doubled each quote
            flow.warn("QUOTES_DOUBLED", f"the command `{command}` holds \"\": schtasks writes quotes as they are, so "
                                        "it ran so, unless the file was saved again by Excel, PowerShell's Export-Csv "
                                        "or another CSV writer, which write each \" as \"\": check the command")
        flow.tasks = [{"task_id": "1", "task_name": name, "command": command}]
        yield flow
        yield from refused
    for task_name, why in malformed.items():  # tasks none of whose rows could be read
        flow = FlowRows(key=task_name or "a row with no task name",
                        name=task_name.strip("\\").replace("\\", "_").replace(" ", "_") or "unnamed")
        flow.fail("MALFORMED_RECORD", f"{why}: not read; export the task again")
        flow.cells["active"] = "1"  # its state is unread: the record's own error says why, nothing more
        yield flow


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("schtasks", "quartz", read, "Windows Task Scheduler: schtasks /query /fo csv /v")
