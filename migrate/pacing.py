"""The request rate: asyncio-throttle, shaped so requests go out evenly, plus a shared pause.

asyncio-throttle keeps a log of the last `rate_limit` send times and lets a caller through when
the oldest is older than `period`; waiters poll every `retry_interval`. Left at one period of a
second it releases a whole second's quota in one burst and wakes every waiter 100 times a
second. So: a short period holding a few slots, slots first handed out evenly so the log stays
evenly spaced, a poll interval far below the gap between two requests, and one waiter at a time
(the others queue on a lock without polling).
"""

from __future__ import annotations

import asyncio
import math
import time

from asyncio_throttle.throttler import Throttler

SLOTS = 4  # requests one period holds: a burst is never larger than this


class RequestPacer:
    def __init__(self, rate_per_second: float, headroom: float = 0.01) -> None:
        rate = rate_per_second * (1 - headroom)
        self.slots = max(1, min(SLOTS, math.floor(rate)))
        period = self.slots / rate
        self._throttler = Throttler(rate_limit=self.slots, period=period, retry_interval=period / 200)
        self._gap = 1 / rate
        self._lock = asyncio.Lock()
        self._started: float | None = None
        self._handed_out = 0
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every sender back (a Retry-After); extends, never shortens, a pause."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := self._paused_until - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            if self._handed_out < self.slots:
                # The first slots are spaced one gap apart; the log then keeps that spacing.
                now = time.monotonic()
                if self._started is None:
                    self._started = now
                due = self._started + self._handed_out * self._gap
                if due > now:
                    await asyncio.sleep(due - now)
                self._handed_out += 1
            await self._throttler.acquire()  # type: ignore[no-untyped-call]
