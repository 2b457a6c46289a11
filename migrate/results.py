"""The result log: JSON Lines, one complete line per flow, appended and flushed as written,
never rewritten; and the summary computed from such lines (for `run` and `report`)."""

from __future__ import annotations

import json
import os
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
import structlog

from migrate.model import error_reason
from migrate.redact import redact_rendered
from migrate.stamps import utc_iso

STATUSES = ("saved", "created", "unchanged", "invalid", "failed", "not_attempted")
SENT_STATUSES = ("saved", "created", "failed")


class _LineWriter:
    """structlog's logger: writes one rendered line and flushes it at once."""

    def __init__(self, stream: IO[bytes], fsync_every: int) -> None:
        self._stream = stream
        self._fsync_every = fsync_every
        self._since_sync = 0

    def msg(self, line: bytes) -> None:
        self._stream.write(line + b"\n")  # one write of the whole line: a kill leaves no half of it
        self._stream.flush()
        self._since_sync += 1
        if self._fsync_every and self._since_sync >= self._fsync_every:
            os.fsync(self._stream.fileno())
            self._since_sync = 0


def _render(_: object, __: str, event: MutableMapping[str, Any]) -> bytes:
    """The whole of structlog's chain in one processor, as it runs once a flow: the time stamp
    added, the event name dropped, the line rendered by orjson (structlog's recommended
    serializer for speed; anything it does not know, a Path say, is written as its text), and
    any secret this process holds masked, wherever it sits."""
    event["ts"] = utc_iso()
    event.pop("event", None)
    return redact_rendered(orjson.dumps(event, default=str))


class ResultLog:
    """`with ResultLog(path, run_id=..., source_file=...) as log: log.record(status=..., ...)`"""

    def __init__(self, path: Path, *, run_id: str, source_file: str, fsync_every: int = 0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        _end_torn_line(path)
        self._stream = path.open("ab")
        self._writer = _LineWriter(self._stream, fsync_every)
        self._log = structlog.wrap_logger(
            self._writer,
            processors=[_render],
            context_class=dict,
            wrapper_class=structlog.BoundLogger,
        ).bind(run_id=run_id, source_file=source_file)
        self.summary = Summary()

    def record(self, **line: Any) -> None:
        self.summary.add_line(line)  # this run's own lines: no need to read them back
        self._log.msg("flow", **line)

    def close(self) -> None:
        self._stream.flush()
        os.fsync(self._stream.fileno())
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
    """Which input flow a line is about: its file and key (a resumed run writes the same again)."""
    return f"{line.get('source_file')}#{line.get('source_key')}"


def read_log(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete line of a log; a torn last line (a killed writer) is skipped."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "status" in record:
                yield record


def _essentials(line: dict[str, Any]) -> tuple[str, Any, float | None]:
    """What a summary needs of a line: its status, its code (or the field of an invalid one)
    and its latency."""
    code = line.get("code")
    if code is None and line.get("errors"):
        code = error_reason(None, str(line["errors"][0].get("field", "")))
    latency = line.get("latency_ms")
    return line["status"], code, float(latency) if latency is not None else None


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Summary:
    counts: Counter[str] = field(default_factory=Counter)
    errors_by_code: Counter[str] = field(default_factory=Counter)
    elapsed_seconds: float = 0.0
    latencies_ms: array[float] = field(default_factory=lambda: array("d"))  # 8 bytes a flow

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
        # Only the last line of a flow counts (a resumed run may have written it twice); keep
        # just what the summary needs of each, so a million-flow log stays small in memory.
        final: dict[str, tuple[str, Any, float | None]] = {}
        first = last = None
        for record in records:
            key = identity(record)
            final.pop(key, None)
            final[key] = _essentials(record)
            if "ts" in record:
                stamp = datetime.fromisoformat(record["ts"]).timestamp()
                first = stamp if first is None else min(first, stamp)
                last = stamp if last is None else max(last, stamp)
        summary = cls()
        for essentials in final.values():
            summary.add(*essentials)
        if elapsed_seconds is None and first is not None and last is not None:
            elapsed_seconds = last - first
        summary.elapsed_seconds = elapsed_seconds or 0.0
        return summary

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def sent(self) -> int:
        return sum(self.counts[s] for s in SENT_STATUSES)

    def flows_per_second(self) -> float:
        return self.sent / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

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
            lines.append(
                f"{data['flows_per_second']} flows/s over {data['elapsed_seconds']} s; "
                f"latency p50 {data['latency_ms_p50']:.0f} ms, p95 {data['latency_ms_p95']:.0f} ms"
            )
        return "\n".join(lines)

