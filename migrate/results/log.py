"""The result log: JSON Lines, one complete line per flow, appended and flushed as written,
never rewritten; and the summary computed from such lines (for `run` and `report`)."""

from __future__ import annotations

import os
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import IO, Any

import orjson

from migrate import console
from migrate.exit_codes import CannotRun
from migrate.mapping.identity import ROW_KEY, name_key
from migrate.redact import redact_rendered
from migrate.results.stamps import utc_iso
from migrate.service.model import error_reason

# `disabled` and `orphaned` are lines of orphans (live flows of ours whose key left the export),
# written by `run --prune disable` or a plan's disables: one disabled, one left as it was.
# `enabled` and `disabled` are also the lines of `migrate enable` and `migrate disable`.
# `restored` is a save of `migrate restore`, `deleted` a flow `migrate delete` deleted.
STATUSES = ("saved", "created", "restored", "unchanged", "invalid", "failed", "not_attempted", "stale", "enabled",
            "disabled", "deleted", "orphaned")
SENT_STATUSES = ("saved", "created", "restored", "failed", "enabled", "disabled", "deleted")
# Not a final line: written just before a save (or import) request leaves, so that a crash with
# requests in flight leaves evidence of them. Summaries never count it; resume reads it.
ATTEMPT = "attempt"


class ResultLogError(OSError):
    """The result log cannot be written (a full disk, a quota, a device error): the run stops."""

    def __init__(self, path: Path, error: OSError) -> None:
        reason = error.strerror or str(error) or type(error).__name__
        super().__init__(error.errno, reason, str(path))
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"the result log {self.path} could not be written ({self.reason})"


# Logs whose final lines also go to standard output (`result_log = "-"`), as history.log_path
# hands out their paths: every verb that writes a log (run, the runbooks) then echoes them
# without each being told.
_ECHOED: set[Path] = set()
STANDARD_OUTPUT = Path("standard output")  # how an error writing there names it


def echo_to_stdout(path: Path) -> None:
    _ECHOED.add(path)


class _LineWriter:
    """Writes one rendered line and flushes it at once; a final line also to standard output
    when the log is echoed there (`echo`)."""

    def __init__(self, path: Path, stream: IO[bytes], fsync_every: int, echo: IO[str] | None = None) -> None:
        self._path = path
        self._stream = stream  # unbuffered: a failed write leaves nothing behind to be flushed later
        self._fsync_every = fsync_every
        self._since_sync = 0
        self._echo = echo

    def write(self, data: bytes, echo: bool = True) -> None:
        """One rendered line, its newline included (one write of the whole line: a kill leaves
        no half of it). `echo` False: an `attempt` record, for the file alone."""
        try:
            written = self._stream.write(data)
            if written != len(data):  # a short write (a signal, a nearly full disk): the rest, at once
                rest = memoryview(data)[written or 0:]
                while rest:
                    written = self._stream.write(rest)
                    rest = rest[written or 0:]
            if self._fsync_every:
                self._since_sync += 1
                if self._since_sync >= self._fsync_every:
                    os.fsync(self._stream.fileno())
                    self._since_sync = 0
        except OSError as error:
            raise ResultLogError(self._path, error) from None
        if echo and self._echo is not None:
            self._write_echo(data)

    def _write_echo(self, data: bytes) -> None:
        """The line on standard output, whole and at once (a collector reads lines). Standard
        output has no other writer meanwhile (console.take_stdout), so a redirect to a file
        holds the lines and nothing overwrites them."""
        assert self._echo is not None
        try:
            binary = getattr(self._echo, "buffer", None)
            if binary is not None:
                binary.write(data)
                binary.flush()
            else:
                self._echo.write(data.decode())
                self._echo.flush()
        except (OSError, ValueError) as error:  # ValueError: a closed stream
            raise ResultLogError(STANDARD_OUTPUT, error if isinstance(error, OSError) else OSError(str(error))) \
                from None


def _render(event: dict[str, Any]) -> bytes:
    """One result line (the run's own fields, then the line's): the time stamp added, the line
    rendered by orjson (anything it does not know, a Path say, is written as its text), and any
    secret this process holds masked, wherever it sits. Written once or twice a flow, so
    rendered directly: through structlog's bound logger (a context copy, a chain of processors,
    a proxy call) a line cost twice as much. The newline comes with it (orjson's option: no
    copy of the line to add it)."""
    event["ts"] = utc_iso()
    return redact_rendered(orjson.dumps(event, default=str, option=orjson.OPT_APPEND_NEWLINE))


class ResultLog:
    """`with ResultLog(path, run_id=..., source_file=...) as log: log.record(status=..., ...)`"""

    def __init__(self, path: Path, *, run_id: str, source_file: str, fsync_every: int = 0,
                 config: str | None = None, private: bool = False) -> None:
        """`private`: the lines will carry whole payloads (`log_payload`), an export's own secrets among
        them (flow parameters, commands): the file is its owner's alone, as a snapshot is."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _end_torn_line(path)
            if private:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))
                os.chmod(path, 0o600)  # a log this run resumes, made before
            self._stream = path.open("ab", buffering=0)
        except OSError as error:
            raise ResultLogError(path, error) from None
        self.path = path
        echo = console.take_stdout() if path in _ECHOED else None
        self._writer = _LineWriter(path, self._stream, fsync_every, echo)
        self._context: dict[str, Any] = {"run_id": run_id, "source_file": source_file,
                                         **({"config": config} if config else {})}
        # The human console never said this (the summary names the log); a collector wants it first.
        console.emit("start", None, **self._context, result_log=str(path), result_log_on_stdout=echo is not None)
        self.summary = Summary()

    def record(self, **line: Any) -> None:
        self.record_line(line)

    def record_line(self, line: dict[str, Any]) -> None:
        """`record`, the line's fields given as one dict (which is not kept)."""
        self._writer.write(_render({**self._context, **line}))
        self.summary.add_line(line)  # this run's own lines, once written: no need to read them back

    def attempt(self, **line: Any) -> None:
        """A request that may change a flow is about to leave (see ATTEMPT). Written to the file
        only: a collector reading standard output gets each flow's final line, and resume reads
        the file."""
        self._writer.write(_render({**self._context, "status": ATTEMPT, **line}), echo=False)

    def close(self) -> None:
        try:
            os.fsync(self._stream.fileno())
        except OSError as error:
            raise ResultLogError(self.path, error) from None
        finally:
            self._stream.close()

    def __enter__(self) -> ResultLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _end_torn_line(path: Path) -> None:
    """A writer killed mid-line left no newline: close that line off, so the next is whole."""
    if path.exists() and path.stat().st_size:
        with path.open("rb+") as log:
            log.seek(-1, os.SEEK_END)
            if log.read(1) != b"\n":
                log.write(b"\n")


def identity(line: dict[str, Any]) -> str:
    """Which input flow a line is about: the source's identity (its file name, which survives
    moving the export to another folder) and the flow's key (a resumed run writes the same again).
    A runbook's line (it names its `action`) is about a flow of the service, whichever runbook
    touched it: a disable and the enable after it are one flow's two lines, the enable its last."""
    if "action" in line:
        return service_identity(line) or f"service#{line.get('target') or line.get('source_key')}"
    return f"{PurePath(str(line.get('source_file'))).name}#{line_key(line)}"


def line_key(line: dict[str, Any]) -> str:
    """The flow's key in its source, but for a table read row by row, whose row numbers move with
    every edit: the flow as a resume finds it (its target: its id, else its name as the eye reads
    it), where its row number would take a flow moved to another row for another."""
    key = str(line.get("source_key"))
    if not ROW_KEY.fullmatch(key):
        return key
    if line.get("target"):
        return str(line["target"])
    flow_id = str(line.get("flow_id") or "")
    return f"flow {flow_id}" if flow_id not in ("", "0") else f"name {name_key(str(line.get('name') or ''))!r}"


def service_identity(line: dict[str, Any]) -> str | None:
    """The flow of the service a line is about, where it names one (a line refused before any id
    was known names none: "0" stands in for an id to be found)."""
    flow_id = str(line.get("flow_id") or "")
    return f"service#flow {flow_id}" if flow_id not in ("", "0") else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _problem(record: Any) -> str | None:
    """Why a parsed line cannot be used (a hand edit, another program's line), or None.
    Only the fields that summaries, resume and compare = "log" compute with are checked."""
    if not isinstance(record, dict):
        return "not a JSON object"
    status = record.get("status")
    if status not in STATUSES and status != ATTEMPT:
        return f"status {status!r} is not one of {', '.join(STATUSES)}"
    for name in ("run_id", "source_file", "target", "input_sha256", "payload_sha256"):
        if record.get(name) is not None and not isinstance(record[name], str):
            return f"{name} {record[name]!r} is not text"
    if record.get("source_key") is not None and not isinstance(record["source_key"], str | int):
        return f"source_key {record['source_key']!r} is not text"
    for name in ("latency_ms", "timeout_s"):
        if record.get(name) is not None and not _is_number(record[name]):
            return f"{name} {record[name]!r} is not a number"
    errors = record.get("errors")
    if errors is not None and not (isinstance(errors, list) and all(isinstance(e, dict) for e in errors)):
        return "errors is not a list of objects"
    if "ts" in record:
        try:
            datetime.fromisoformat(record["ts"]).timestamp()
        except (TypeError, ValueError, OverflowError):
            return f"ts {record['ts']!r} is not an ISO 8601 time stamp"
    return None


_warned: set[tuple[str, int]] = set()


def _warn(path: Path, number: int, reason: str) -> None:
    """One line on stderr per bad line, once per process (a log may be read more than once)."""
    if (str(path), number) not in _warned:
        _warned.add((str(path), number))
        console.warning(f"{path}:{number}: line skipped: {reason}", event="line_skipped", file=str(path),
                        line=number, reason=reason)


@dataclass
class Skipped:
    """What a reading of a log passed over: unreadable lines (each warned about) and a torn last one."""

    unreadable: int = 0
    torn: int = 0

    @property
    def lines(self) -> int:
        return self.unreadable + self.torn


def _not_json(raw: bytes, offset: int, error: orjson.JSONDecodeError) -> str:
    """Why a line is not JSON, plainly: a byte that is not UTF-8 is named with its offset in the file."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return (f"not UTF-8: byte 0x{raw[bad.start]:02x} at byte offset {offset + bad.start} of the file "
                "(a torn character or a stray byte)")
    return f"not a line of JSON ({error})"


def read_log(path: Path, attempts: bool = False, skipped: Skipped | None = None) -> Iterator[dict[str, Any]]:
    """Every usable final line of a log (and `attempt` records, when asked). A torn last line (a
    killed writer) is skipped without a word; any other line that is not valid UTF-8 JSON with
    fields of the right kinds is skipped with a warning naming the file and the line. `skipped`,
    when given, counts both."""
    skipped = skipped if skipped is not None else Skipped()
    offset = 0
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)  # refuses invalid UTF-8, and nesting past 1024 levels
            except orjson.JSONDecodeError as error:
                if not raw.endswith(b"\n"):
                    skipped.torn += 1  # no newline: the last line, torn by a killed writer
                    continue
                _warn(path, number, _not_json(raw, start, error))
                skipped.unreadable += 1
                continue
            problem = _problem(record)
            if problem is not None:
                _warn(path, number, problem)
                skipped.unreadable += 1
                continue
            if attempts or record["status"] != ATTEMPT:
                yield record


class NotAResultLog(CannotRun):
    """A file given as a result log whose first line is no result line (a config, a plan)."""


def check_result_log(path: Path) -> None:
    """Refuses a file that is not a result log, naming the file and its first line and why:
    read whole, a config would be "0 flows" and one warning a line. Only the first non-blank
    line decides; a damaged line further on is a log's own damage, skipped with a warning."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                record = orjson.loads(raw)
                problem = _problem(record)
            except orjson.JSONDecodeError as error:
                record, problem = None, _not_json(raw, 0, error)
            if isinstance(record, dict) and "snapshot" in record and problem is not None:
                raise NotAResultLog(f"{path}:{number}: a snapshot written by `migrate export` (`migrate restore` "
                                    "reads it), not a result log")
            if problem is not None:
                raise NotAResultLog(f"{path}:{number}: not a result log (a line a run writes for each flow): "
                                    f"{problem}")
            return


# A failure the run names itself, at the start of its message: "AMBIGUOUS_NAME: 2 flows you own …".
NAMED_FAILURE = re.compile(r"^([A-Z][A-Z0-9_]{2,}): ")
STOPPED = ("interrupted", "stopped after")  # how a line cut short by a stop request begins (engine/runner.py)


def _essentials(line: dict[str, Any]) -> tuple[str, Any, float | None]:
    """What a summary needs of a line: its status, its code (or the field of an invalid one)
    and its latency."""
    code = line.get("code")
    if code is None and line.get("errors"):
        code = error_reason(None, str(line["errors"][0].get("field", "")))
    elif line["status"] == "failed" and str(line.get("msg", "")).startswith(STOPPED):
        code = "INTERRUPTED"  # a stop request ended it, whatever its last answer (a 429 it waited after)
    elif line["status"] == "invalid" and code is None and (named := NAMED_FAILURE.match(str(line.get("msg", "")))):
        code = named[1]  # a refusal against the live service (run --plan, a runbook): its code leads its message
    elif line["status"] == "failed" and code in (None, 0):  # no service code to go by: say why
        msg = str(line.get("msg", ""))
        named = NAMED_FAILURE.match(msg)
        if named:  # the run's own refusal (AMBIGUOUS_NAME, NOT_FOUND, TASKS_DIFFER …)
            code = named[1]
        elif code == 0:  # the service said yes; reading the flow back said otherwise (verify)
            code = "VERIFY_FAILED"
        elif msg.startswith(("interrupted", "stopped")):  # a stop request ended it, whatever its last answer
            code = "INTERRUPTED"
        elif isinstance(status := line.get("http_status"), int) and status >= 400:
            code = f"HTTP {status}"  # an answer without the service's envelope (a gateway's 503)
        else:
            code = "NO_ANSWER"
    latency = line.get("latency_ms")
    return line["status"], code, float(latency) if latency is not None else None


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def stamp_of(record: dict[str, Any]) -> float | None:
    """A line's time stamp in seconds since the epoch (a checked line's `ts` parses: _problem)."""
    return datetime.fromisoformat(record["ts"]).timestamp() if "ts" in record else None


@dataclass
class FinalLines:
    """Each flow's last line (by its time stamp: logs may be read in any order; a resumed run may
    have written a flow twice), and the span of the time stamps; only what a summary needs of
    each line is kept, so a million-flow log stays small in memory.

    `by_service`, for several runs together: a flow of the service is one flow, whichever run,
    runbook or export touched it. A line naming its flow's id joins its source identity to that
    flow's (union-find over the keys), so a migration's line, a resume's and a runbook's are one
    flow's lines; an invalid row that names an id the service holds is that flow's line too (its
    run's own summary and the report's list of invalid flows still show it)."""

    by_service: bool = False
    final: dict[str, tuple[tuple[str, Any, float | None], float | None]] = field(default_factory=dict)
    first: float | None = None
    last: float | None = None
    _joined: dict[str, str] = field(default_factory=dict)  # key -> a key of the same flow (see `_find`)

    def _find(self, key: str) -> str:
        """The key a flow's lines are kept under, after every join so far."""
        while (parent := self._joined.get(key, key)) != key:
            self._joined[key] = self._joined.get(parent, parent)  # halve the path
            key = parent
        return key

    def add(self, record: dict[str, Any]) -> None:
        stamp = stamp_of(record)
        keys = [identity(record)]
        if self.by_service and (service := service_identity(record)):
            keys.append(service)
        roots = list(dict.fromkeys(self._find(key) for key in keys))
        root, line = roots[0], (_essentials(record), stamp)
        for other in roots:
            earlier = self.final.pop(other, None)
            if earlier is not None and _stands_over(earlier, line):
                line = earlier
            if other != root:
                self._joined[other] = root
        self.final[root] = line
        if stamp is not None:
            self.first = stamp if self.first is None else min(self.first, stamp)
            self.last = stamp if self.last is None else max(self.last, stamp)

    def summary(self, elapsed_seconds: float | None = None) -> Summary:
        summary = Summary()
        for essentials, _ in self.final.values():
            summary.add(*essentials)
        if elapsed_seconds is None and self.first is not None and self.last is not None:
            elapsed_seconds = self.last - self.first
        summary.elapsed_seconds = elapsed_seconds or 0.0
        return summary


def _stands_over(kept: tuple[tuple[str, Any, float | None], float | None],
                 new: tuple[tuple[str, Any, float | None], float | None]) -> bool:
    """Whether a flow's line read before stays its last over one read now: the later in time (logs
    come in any order), except that a line that sent nothing (`not_attempted`: a later run refused
    before it began, say) never replaces one that says where the flow stands."""
    kept_idle, new_idle = kept[0][0] == "not_attempted", new[0][0] == "not_attempted"
    if kept_idle != new_idle:
        return new_idle
    return kept[1] is not None and new[1] is not None and kept[1] > new[1]


@dataclass
class Summary:
    counts: Counter[str] = field(default_factory=Counter)
    errors_by_code: Counter[str] = field(default_factory=Counter)
    elapsed_seconds: float = 0.0
    latencies_ms: array[float] = field(default_factory=lambda: array("d"))  # 8 bytes a flow
    # The flows sent within `elapsed_seconds`, when not all of them were (a resumed run counts
    # the lines of the run it continues, but its speed is only what it sent itself).
    sent_in_elapsed: int | None = None

    def add(self, status: str, code: Any, latency_ms: float | None) -> None:
        self.counts[status] += 1
        if status in ("failed", "invalid"):
            self.errors_by_code[str(code) if code is not None else status] += 1
        if status in SENT_STATUSES and latency_ms is not None:
            self.latencies_ms.append(latency_ms)

    def add_line(self, line: dict[str, Any]) -> None:
        self.add(*_essentials(line))

    @classmethod
    def of(cls, records: Iterable[dict[str, Any]], elapsed_seconds: float | None = None) -> Summary:
        finals = FinalLines()
        for record in records:
            finals.add(record)
        return finals.summary(elapsed_seconds)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def sent(self) -> int:
        return sum(self.counts[s] for s in SENT_STATUSES)

    def flows_per_second(self) -> float:
        sent = self.sent if self.sent_in_elapsed is None else self.sent_in_elapsed
        return sent / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "flows": self.total,
            "by_status": {s: self.counts[s] for s in STATUSES if self.counts[s]},
            "errors_by_code": dict(self.errors_by_code),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "flows_per_second": round(self.flows_per_second(), 2),
            "latency_ms_p50": _percentile(self.latencies_ms, 0.5),
            "latency_ms_p95": _percentile(self.latencies_ms, 0.95),
        }

    def text(self) -> str:
        data = self.as_json()
        statuses = ", ".join(f"{k} {v}" for k, v in data["by_status"].items()) or "nothing"
        lines = [f"{data['flows']} flows: {statuses}"]
        if data["errors_by_code"]:
            lines.append("errors by code: " + ", ".join(f"{k} x{v}" for k, v in sorted(data["errors_by_code"].items())))
        if self.sent:
            latency = "" if data["latency_ms_p50"] is None else (
                f"; latency p50 {data['latency_ms_p50']:.0f} ms, p95 {data['latency_ms_p95']:.0f} ms")
            lines.append(f"{data['flows_per_second']} flows/s over {data['elapsed_seconds']} s{latency}")
        return "\n".join(lines)

