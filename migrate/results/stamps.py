"""Time stamps to the millisecond, written once a flow or once an answer: the part down to the
second is formatted once a second (strftime was a tenth of the emulator's time per save)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime


@functools.lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


@functools.lru_cache(maxsize=4)
def _local_second(second: int) -> str:
    return datetime.fromtimestamp(second).strftime("%Y-%m-%d %H:%M:%S")


def _milliseconds(now: float, second_text: Callable[[int], str]) -> str:
    second = int(now)
    return f"{second_text(second)}.{int((now - second) * 1000):03d}"


def utc_iso(now: float | None = None) -> str:
    """`2026-11-25T14:16:38.123+00:00`: the result log's `ts`."""
    return _milliseconds(time.time() if now is None else now, _utc_second) + "+00:00"


def local_plain(now: float | None = None) -> str:
    """`2026-11-25 14:16:38.123`, local time, as the service's samples write times."""
    return _milliseconds(time.time() if now is None else now, _local_second)
