"""The request rate: asyncio-throttle as the hard limit, a schedule on top to spread requests
evenly, and a pause shared by every worker.

asyncio-throttle keeps a log of the send times of the last `rate_limit` requests and lets a
caller through when the oldest is older than `period`; waiters poll every `retry_interval`.
On its own it releases a whole period's quota in one burst and wakes every waiter each interval,
and each poll makes it a little late, which adds up to a few per cent below the rate. So it is
used only as the guarantee (never more than the configured rate in any one-second window, at
send time), while requests are handed out on a schedule one gap apart: a request due while the
schedule runs late goes at once, up to CATCH_UP of them, so lateness does not add up. Only one
caller waits at a time; the others queue on a lock without polling.

Every wait here, and every other wait of a run (retry backoff, Retry-After pauses, an in-doubt
flow's wait), goes through one StopSignal, so that a stop request (SIGINT, SIGTERM) ends it at
once instead of after the pause a gateway asked for.
"""

from __future__ import annotations

import asyncio
import math
import time

from asyncio_throttle.throttler import Throttler

CATCH_UP = 1  # requests that may go back to back to catch up a schedule running late
# The schedule runs at least this many requests a second below the rate (or `headroom` below it,
# if that is more): the slack that network and event-loop jitter may use up at the service.
MIN_SLACK = 3.0
# The limit's window is this much longer than a second, so that requests arriving a little
# closer together than they were sent (network and event-loop jitter) still never put more than
# the rate into any one second at the service.
JITTER_SECONDS = 0.01
MAX_LOG = 10_000  # the throttler's log of send times: a shorter window keeps it small at huge rates
# After throttling the rate halves (never below MIN_SHARE of the configured rate), then climbs
# back by RECOVERY_SHARE of it per second without throttling: additive increase,
# multiplicative decrease, never above the configured rate.
MIN_SHARE, DECREASE, RECOVERY_SHARE = 0.05, 0.5, 0.1


def _limit(rate_per_second: float) -> Throttler:
    """At most `rate_per_second` in any one second (plus jitter), as whole requests in a window."""
    if rate_per_second < 1:
        return Throttler(rate_limit=1, period=1 / rate_per_second + JITTER_SECONDS, retry_interval=0.01)
    requests = min(MAX_LOG, math.floor(rate_per_second))
    period = requests / rate_per_second if requests == MAX_LOG else 1.0
    return Throttler(rate_limit=requests, period=period + JITTER_SECONDS,
                     retry_interval=min(0.01, 0.1 / rate_per_second))


class Stopped(Exception):
    """A wait was cut short by a stop request: the caller sends nothing more."""


class StopSignal:
    """Set once when the run should stop; `sleep` returns early (True) when it is."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    async def sleep(self, seconds: float) -> bool:
        """Wait `seconds` (any length, infinity included) or until the stop; True when stopped."""
        if self._event.is_set():
            return True
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(self._event.wait(), None if math.isinf(seconds) else seconds)
        except TimeoutError:
            return False
        return True


class RequestPacer:
    def __init__(self, rate_per_second: float, headroom: float = 0.01, stop: StopSignal | None = None) -> None:
        self.stop = stop or StopSignal()
        slack = max(rate_per_second * headroom, min(MIN_SLACK, rate_per_second * 0.1) if headroom else 0.0)
        self.ceiling = rate_per_second - slack
        self.rate = self.ceiling
        self._throttler = _limit(rate_per_second)
        self._lock = asyncio.Lock()
        self._next_due: float | None = None
        self._last_change = time.monotonic()
        self._last_decrease = 0.0
        self._paused_until = 0.0

    def throttled(self) -> None:
        """The service said slow down: halve the rate, once for a burst of such answers (the
        requests already in flight when it first said so answer alike)."""
        now = time.monotonic()
        if now - self._last_decrease < 1.0:
            return
        self.rate = max(self.ceiling * MIN_SHARE, self.rate * DECREASE)
        self._last_change = self._last_decrease = now

    def _recover(self, now: float) -> None:
        if self.rate < self.ceiling:
            self.rate = min(self.ceiling, self.rate + self.ceiling * RECOVERY_SHARE * (now - self._last_change))
            self._last_change = now

    def pause(self, seconds: float) -> None:
        """Hold every sender back (a Retry-After); extends, never shortens, a pause."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        """The caller's turn to send; Stopped when a stop request comes first."""
        async with self._lock:
            while (wait := self._paused_until - time.monotonic()) > 0:
                if await self.stop.sleep(wait):
                    raise Stopped
            now = time.monotonic()
            self._recover(now)
            gap = 1 / self.rate
            due = now if self._next_due is None else max(self._next_due, now - CATCH_UP * gap)
            if due > now and await self.stop.sleep(due - now):
                raise Stopped
            if self.stop.is_set:
                raise Stopped
            self._next_due = due + gap
            # Its own polling waits at most one window (at the lowest rates, the window is one gap,
            # which the schedule above has already waited out).
            await self._throttler.acquire()  # type: ignore[no-untyped-call]
