"""What the tool tells people while it works (the start of a run, progress, the summary, notes,
errors, the command that resumes), as named events rendered one of two ways:

- `human` (the default): the lines the console has always shown, where they have always gone;
- `json` (`--log-format json`, or MIGRATE_LOG_FORMAT=json): one JSON object a line on stderr,
  made by structlog (`event`, `level`, `timestamp`, the event's fields, and `message`, the line a
  person would have read), for a log collector. Standard output then carries only documents: a
  `--json` answer, and the result lines when `result_log = "-"`.

Every rendered line passes through `redact`, like every other text that leaves the tool.

A command runs inside `session(...)` (cli.py). In `json`, the session also catches any line
that code prints directly (a warning, a summary printed with `print`) and sends it as a
`message` event, so that every line of stderr is JSON whatever printed it. The result log takes
standard output for itself with `take_stdout()` (`result_log = "-"`): from then on, what the
command prints for people goes to stderr, so the two never share (and never overwrite) a file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

from migrate.redact import redact

FORMATS = ("human", "json")
ENVIRONMENT_VARIABLE = "MIGRATE_LOG_FORMAT"
LogFormat = Literal["human", "json"]
Level = Literal["debug", "info", "warning", "error"]


class LogFormatError(ValueError):
    """MIGRATE_LOG_FORMAT names no format."""


@dataclass
class _Session:
    log_format: LogFormat
    stdout: IO[str]  # standard output as the command found it (the result log may take it)
    stderr: IO[str]  # where events go: stderr as the command found it
    stdout_taken: bool = False


_session: _Session | None = None


def flows_text(count: int) -> str:
    """`1 flow`, `2 flows`: a count as a line says it."""
    return f"{count} flow{'' if count == 1 else 's'}"


def add_arguments(parser: argparse.ArgumentParser, verbs: argparse._SubParsersAction[Any]) -> None:
    """`--log-format` before the verb (`migrate --log-format json run …`) or after it
    (`migrate run CONFIG --log-format json`): the verb's copy only sets it when given."""
    what = (f"how to write the console's events: human (default) or json, one object a line on stderr "
            f"(also {ENVIRONMENT_VARIABLE})")
    parser.add_argument("--log-format", choices=FORMATS, default=None, help=what)
    for verb in verbs.choices.values():
        verb.add_argument("--log-format", choices=FORMATS, default=argparse.SUPPRESS, help=what)


def chosen_format(args: argparse.Namespace) -> LogFormat:
    """The command line's choice, else the environment's, else `human`."""
    chosen = getattr(args, "log_format", None) or os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() or "human"
    if chosen not in FORMATS:
        raise LogFormatError(f"{ENVIRONMENT_VARIABLE}={chosen!r}: use one of {', '.join(FORMATS)}")
    return "json" if chosen == "json" else "human"


def current_format() -> LogFormat:
    return _session.log_format if _session is not None else "human"


class _EventLines(io.TextIOBase):
    """A text stream whose every line becomes a `message` event (JSON mode): what code prints
    with `print` arrives as JSON like the rest. A line that is a JSON object already (an event)
    passes as it is."""

    def __init__(self) -> None:
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            _line_as_event(line)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            line, self._pending = self._pending, ""
            _line_as_event(line)

    def isatty(self) -> bool:
        return False


class _Redacting:
    """A text stream whose writes are redacted first (the secrets known when each is written)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(redact(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _line_as_event(line: str) -> None:
    """`migrate: warning: …` is a warning, `migrate: …` an error (cli.fail's form), the rest
    (a summary's lines, a note) information."""
    if not line.strip():
        return
    if line.startswith("{") and line.endswith("}"):
        import orjson

        with contextlib.suppress(orjson.JSONDecodeError):
            if isinstance(orjson.loads(line), dict):
                _write_line(redact(line))
                return
    level: Level = "info"
    if line.startswith("migrate: warning: "):
        level, line = "warning", line.removeprefix("migrate: warning: ")
    elif line.startswith("migrate: "):
        level, line = "error", line.removeprefix("migrate: ")
    emit("message", text=None, level=level, message=line)


@contextlib.contextmanager
def session(log_format: LogFormat, documents_on_stdout: bool = False) -> Iterator[None]:
    """One command's console. `documents_on_stdout`: the command writes a document on stdout
    (`--json`), which stays there in JSON mode; anything else printed there becomes events."""
    global _session
    outer, found_stdout, found_stderr = _session, sys.stdout, sys.stderr
    _session = _Session(log_format, found_stdout, found_stderr)
    # Whatever a verb prints, a plan's table or document too, passes through redact: a secret the
    # tool holds (the app secret, a token) is masked wherever it turns up (a crontab's command).
    sys.stdout, sys.stderr = _Redacting(found_stdout), _Redacting(found_stderr)
    if log_format == "json":
        sys.stderr = _EventLines()
        if not documents_on_stdout:
            sys.stdout = _EventLines()
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, _EventLines):
                stream.flush()
        sys.stdout, sys.stderr = found_stdout, found_stderr
        _session = outer


def take_stdout() -> IO[str]:
    """Standard output for the result log alone (`result_log = "-"`): returned to its one
    writer, and whatever the command prints for people from now on goes to stderr. Outside a
    session (a library caller) nothing is rerouted."""
    if _session is None:
        return sys.stdout
    if not _session.stdout_taken:
        _session.stdout_taken = True
        with contextlib.suppress(OSError, ValueError):
            _session.stdout.flush()  # what was printed before goes first
        sys.stdout = sys.stderr  # the event lines in JSON mode, stderr itself otherwise
    return _session.stdout


def stdout_taken() -> bool:
    return _session is not None and _session.stdout_taken


def _events_stream() -> IO[str]:
    return _session.stderr if _session is not None else sys.stderr


def _write_line(line: str) -> None:
    stream = _events_stream()
    stream.write(line + "\n")
    stream.flush()


class _LineLogger:
    """structlog's logger: one rendered event, one line on the events stream."""

    def msg(self, rendered: str) -> None:
        _write_line(redact(rendered))  # a secret anywhere in the fields, masked in the whole line

    debug = info = warning = error = msg


def _json_default(value: Any) -> Any:
    return str(value)  # a Path, a datetime: as their text


def _renderer() -> Any:
    import orjson
    import structlog  # here: `migrate --help` does not wait for it

    def dumps(event: Any, **_: Any) -> str:
        return orjson.dumps(event, default=_json_default).decode()

    return structlog.wrap_logger(
        _LineLogger(),
        processors=[structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
                    structlog.processors.JSONRenderer(serializer=dumps)],
        context_class=dict,
        wrapper_class=structlog.BoundLogger,
    )


def emit(event: str, text: str | None, level: Level = "info", to_stdout: bool = False, **fields: Any) -> None:
    """One event. Human: `text` (None: nothing, as the console never showed this one) on stderr,
    or on stdout when `to_stdout` and the result log has not taken it. JSON: the event and its
    fields, `text` as its `message`, one line on stderr."""
    if current_format() == "json":
        if text is not None and "message" not in fields:
            fields["message"] = text
        getattr(_renderer(), level)(event, **fields)
        return
    if text is None:
        return
    stream = sys.stdout if to_stdout else sys.stderr
    print(redact(text), file=stream, flush=True)


def error(message: str, **fields: Any) -> None:
    """The tool could not go on: `migrate: <why>` on stderr, or an `error` event."""
    emit("error", f"migrate: {message}", level="error", message=message, **fields)


def warning(message: str, event: str = "warning", **fields: Any) -> None:
    emit(event, f"migrate: warning: {message}", level="warning", message=message, **fields)


def stopped_by_signal(exit_code: int) -> None:
    """A run that SIGINT or SIGTERM stopped says so as an error, what a collector alerts on (as
    for any other stop), before its summary: `run` and the runbook verbs alike."""
    error("interrupted (SIGINT or SIGTERM): the run stopped; its notes say how to complete it", exit_code=exit_code)


def summary(text: str, notes: Iterable[str], **facts: Any) -> None:
    """The end of a run that sent requests (`run`, the runbook verbs), for a collector: one
    `summary` event, `text` as its message and its numbers as fields (exit_code, result_log, the
    counts), then one `note` event each. JSON format only: the human console prints its lines."""
    emit("summary", text, **facts)
    for note in notes:
        emit("note", note)
