"""A Python client for QuartzOracle.java: real Quartz 2.3.2 `CronExpression`, in UTC.

`make oracle` compiles the harness into `build/oracle` (or $ORACLE_BUILD) and runs
tests/oracle/test_oracle.py with ORACLE=1; `QuartzProcess` starts the JVM once and sends it
one expression per line, starting another JVM when Quartz's search hangs (the harness exits).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

JARS = ("/usr/share/java/quartz2.jar", "/usr/share/java/slf4j-api.jar", "/usr/share/java/slf4j-nop.jar")
BUILD = Path(os.environ.get("ORACLE_BUILD", Path(__file__).resolve().parents[2] / "build" / "oracle"))


@dataclass(frozen=True)
class QuartzAnswer:
    """What Quartz said: `valid` (the constructor accepted it), the fire times after each start
    (naive UTC datetimes), `hang` when its search did not return, `error` its message."""

    valid: bool
    fires: tuple[tuple[datetime, ...], ...] = ()
    hang: bool = False
    error: str = ""


def _utc(seconds: str) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC).replace(tzinfo=None)


class QuartzProcess:
    def __init__(self, build: Path = BUILD) -> None:
        self.command = ["java", "-Xss4m", "-cp", ":".join([str(build), *JARS]), "QuartzOracle"]
        self.process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            text=True, encoding="utf-8", bufsize=1)
        return self.process

    def ask(self, expression: str, starts: tuple[datetime, ...] = (), count: int = 0) -> QuartzAnswer:
        """Quartz's answer for one expression: valid or not, and the next `count` fire times after
        each start (naive datetimes read as UTC)."""
        if "\t" in expression or "\n" in expression:
            raise ValueError("the harness reads one expression per line, tab-separated")
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        epochs = ",".join(str(int(start.replace(tzinfo=UTC).timestamp())) for start in starts)
        process.stdin.write(f"{expression}\t{epochs}\t{count}\n")
        process.stdin.flush()
        line = process.stdout.readline().rstrip("\n")
        kind, _, rest = line.partition("\t")
        if kind == "OK":
            groups = rest.split("|") if starts else []
            return QuartzAnswer(True, tuple(tuple(_utc(t) for t in group.split()) for group in groups))
        if kind == "ERR":
            return QuartzAnswer(False, error=rest)
        if kind == "HANG" or not line:
            process.wait(timeout=10)
            self.process = None
            return QuartzAnswer(True, hang=True, error="Quartz's next-fire search did not return")
        return QuartzAnswer(True, error=rest or line)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=10)
        self.process = None


class _Harness(Protocol):
    def close(self) -> None: ...


H = TypeVar("H", bound=_Harness)


def harness(name: str, start: Callable[[], H]) -> Iterator[H]:
    """A compiled harness's process for a test module (a fixture's body): `make oracle` builds it."""
    import pytest

    if not (Path(BUILD) / f"{name}.class").is_file():
        pytest.fail(f"{BUILD}/{name}.class is missing: run `make oracle`")
    process = start()
    yield process
    process.close()
