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
# After throttling the rate halves (never below MIN_SHARE of the configured rate), then climbs
# back by RECOVERY_SHARE of it per second without throttling: additive increase,
# multiplicative decrease, never above the configured rate.
MIN_SHARE, DECREASE, RECOVERY_SHARE = 0.05, 0.5, 0.1


class RequestPacer:
    def __init__(self, rate_per_second: float, headroom: float = 0.01) -> None:
        self.ceiling = rate_per_second * (1 - headroom)
        self.rate = self.ceiling
        self.slots = max(1, min(SLOTS, math.floor(self.ceiling)))
        self._throttler = Throttler(rate_limit=self.slots, period=1.0)
        self._set_rate(self.ceiling)
        self._last_change = time.monotonic()
        self._last_decrease = 0.0
        self._lock = asyncio.Lock()
        self._started: float | None = None
        self._handed_out = 0
        self._paused_until = 0.0

    def _set_rate(self, rate: float) -> None:
        self.rate = rate
        period = self.slots / rate
        self._throttler.period = period
        self._throttler.retry_interval = period / 200
        self._gap = 1 / rate

    def throttled(self) -> None:
        """The service said slow down: halve the rate, once for a burst of such answers (the
        requests already in flight when it first said so answer alike)."""
        now = time.monotonic()
        if now - self._last_decrease < 1.0:
            return
        self._set_rate(max(self.ceiling * MIN_SHARE, self.rate * DECREASE))
        self._last_change = self._last_decrease = now

    def _recover(self) -> None:
        if self.rate < self.ceiling:
            now = time.monotonic()
            self._set_rate(min(self.ceiling, self.rate + self.ceiling * RECOVERY_SHARE * (now - self._last_change)))
            self._last_change = now

    def pause(self, seconds: float) -> None:
        """Hold every sender back (a Retry-After); extends, never shortens, a pause."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            self._recover()
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
