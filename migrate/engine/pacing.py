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

The send record (`RequestPacer.sent`) is the throttler's own time stamp of every release, the
instant the request is handed to the connection: at most the rate in any one-second window
whatever the event loop's delays (tests/test_rate_promise.py proves it over arbitrary stalls).
Between the release and the write to the socket the event loop runs other work (and on Python
before 3.12 aiohttp writes a body in a task of its own), and under a loaded CPU that gap differs
from one request to the next by more than the limit's extra 10 ms: a request held up after its
release and those released a second later then arrived in one second, 101 at 100/s. So each
request's place in the limit's log moves from its release to its write (`Turn.written`, called
by the session's request class, service/client.py): the writes, too, are at most the rate in
any window, whatever the gap, up to one window long. What is left is the network's jitter; the
schedule's slack absorbs that (docs/reliability.md, "What the rate promises").

Every wait here, and every other wait of a run (retry backoff, Retry-After pauses, an in-doubt
flow's wait), goes through one StopSignal, so that a stop request (SIGINT, SIGTERM) ends it at
once instead of after the pause a gateway asked for.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from contextvars import ContextVar
from typing import Any

import aiohttp
from asyncio_throttle.throttler import Throttler

CATCH_UP = 1  # requests that may go back to back to catch up a schedule running late
# The schedule runs at least this many requests a second below the rate (or `headroom` below it,
# if that is more): the slack that network and event-loop jitter may use up at the service.
MIN_SLACK = 3.0
# The limit's window is this much longer than a second, so that requests arriving a little
# closer together than they were sent (network and event-loop jitter) still never put more than
# the rate into any one second at the service.
JITTER_SECONDS = 0.01
# After throttling the rate halves (never below MIN_SHARE of the configured rate), then climbs
# back by RECOVERY_SHARE of it per second without throttling: additive increase,
# multiplicative decrease, never above the configured rate.
MIN_SHARE, DECREASE, RECOVERY_SHARE = 0.05, 0.5, 0.1
PAUSE_RESOLUTION = 1e-6  # seconds: a Retry-After pause shorter than this is over


class SlidingWindow:
    """Counts events in the last `width` seconds, ending at the newest one: (newest - width, newest]."""

    def __init__(self, width: float = 1.0) -> None:
        self.width = width
        self._times: deque[float] = deque()

    def add(self, now: float) -> int:
        self._times.append(now)
        return self.count(now)

    def count(self, now: float) -> int:
        while self._times and self._times[0] <= now - self.width:
            self._times.popleft()
        return len(self._times)

    def seconds_until_room(self, now: float, limit: int) -> float:
        """How long until fewer than `limit` events remain in the window."""
        self.count(now)
        if len(self._times) < limit:
            return 0.0
        return self._times[len(self._times) - limit] + self.width - now


class SendRecord:
    """The pacer's releases: how many, the busiest one-second window among them, and (only when
    asked, for tests and benchmarks: a million floats is not flat memory) every instant."""

    def __init__(self, keep_instants: bool = False) -> None:
        self.count = 0
        self.busiest_window = 0
        self.instants: list[float] | None = [] if keep_instants else None
        self._window = SlidingWindow()

    def add(self, instant: float) -> None:
        self.count += 1
        self.busiest_window = max(self.busiest_window, self._window.add(instant))
        if self.instants is not None:
            self.instants.append(instant)


def _limit(rate_per_second: float) -> Throttler:
    """At most `rate_per_second` in any one second (plus jitter), as whole requests in a window:
    below one a second, one request a window of 1/rate; above, floor(rate) in a window of one
    second (a promise per second cannot hold 2.5 requests: it is 2). The throttler's log holds
    the releases of the last window only, so its size follows the rate achieved, not the one
    configured (a million a second configured, two thousand sent: two thousand entries)."""
    if rate_per_second < 1:
        return Throttler(rate_limit=1, period=1 / rate_per_second + JITTER_SECONDS, retry_interval=0.01)
    return Throttler(rate_limit=math.floor(rate_per_second), period=1.0 + JITTER_SECONDS,
                     retry_interval=min(0.01, 0.1 / rate_per_second))


class Turn:
    """One released request's place in the limit's log, until the request is written."""

    __slots__ = ("_log", "stamp")

    def __init__(self, log: deque[float], stamp: float) -> None:
        self._log = log
        self.stamp = stamp

    def written(self) -> None:
        """The request is on its socket: it counts from now, in place of its release (the log
        stays in time order: every entry is at most now). Called again (headers, then a body
        written apart), it moves on again: one place a request. A release that has already left
        the window (a write more than a window late) is not found, and the write counts anyway."""
        log, now = self._log, time.monotonic()
        for index in range(len(log) - 1, -1, -1):  # a recent release: near the end
            entry = log[index]
            if entry == self.stamp:
                del log[index]
                break
            if entry < self.stamp:
                break
        log.append(now)
        self.stamp = now


# The task's latest turn, not yet written: set by the pacer in the task that will send the request,
# read by the session's request class (and by the task aiohttp writes a body in, whose context is a
# copy of the sender's).
TURN: ContextVar[Turn | None] = ContextVar("TURN", default=None)


class PacedRequest(aiohttp.ClientRequest):
    """aiohttp's request, telling its turn (if the pacer gave its task one) when it is written:
    after `send` for the status line and headers, and after `write_bytes` for a body, which
    aiohttp writes in a task of its own (before Python 3.12) once the loop gets round to it."""

    async def send(self, conn: Any) -> aiohttp.ClientResponse:
        turn = TURN.get()
        try:
            return await super().send(conn)
        finally:
            if turn is not None:
                TURN.set(None)  # taken: a request the pacer did not release (a token's) moves nothing
                turn.written()

    async def write_bytes(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().write_bytes(*args, **kwargs)
        finally:
            turn = TURN.get()  # the sender's, as it was when aiohttp made this task
            if turn is not None:
                turn.written()


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
    def __init__(self, rate_per_second: float, headroom: float = 0.01, stop: StopSignal | None = None,
                 record: SendRecord | None = None) -> None:
        self.stop = stop or StopSignal()
        self.sent = record or SendRecord()
        slack = max(rate_per_second * headroom, min(MIN_SLACK, rate_per_second * 0.1) if headroom else 0.0)
        self.ceiling = rate_per_second - slack
        self.rate = self.ceiling
        self._throttler = _limit(rate_per_second)
        self._lock = asyncio.Lock()
        self._next_due: float | None = None
        self._last_change = time.monotonic()
        self._last_decrease = 0.0
        self._paused_until = 0.0
        self._queued = 0  # callers in the slow path (waiting for the lock, or holding it)

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

    def _schedule(self, now: float) -> tuple[float, float]:
        """When the next request is due by the schedule (a late schedule catching up at most
        CATCH_UP requests), and the gap between two."""
        self._recover(now)
        gap = 1 / self.rate
        return (now if self._next_due is None else max(self._next_due, now - CATCH_UP * gap)), gap

    async def acquire(self) -> None:
        """The caller's turn to send; Stopped when a stop request comes first."""
        if not self._queued and self._turn_now():
            return
        self._queued += 1
        try:
            await self._acquire_in_turn()
        finally:
            self._queued -= 1

    def _turn_now(self) -> bool:
        """The turn at once, when nothing needs waiting for: no pause, no stop, the schedule due,
        room under the limit, and nobody queued ahead (so no one is overtaken). The same checks
        and the same record as the waiting path below, without its lock and its awaits: a run
        well below its rate takes every turn here (about 5 µs a request less)."""
        now = time.monotonic()
        if self._paused_until - now > PAUSE_RESOLUTION or self.stop.is_set:
            return False
        due, gap = self._schedule(now)
        if due > now:
            return False
        throttler = self._throttler
        throttler.flush()  # type: ignore[no-untyped-call]
        if len(throttler._task_logs) >= throttler.rate_limit:
            return False
        self._next_due = due + gap
        # What the throttler's own acquire does when it lets a caller through: the stamp its limit
        # counts, which is also the record's.
        stamp = time.monotonic()
        throttler._task_logs.append(stamp)
        self._released(stamp)
        return True

    def _released(self, stamp: float) -> None:
        """A turn given at `stamp` (the throttler's own): in the send record, and the task's, for its
        request to move to its write."""
        self.sent.add(stamp)
        TURN.set(Turn(self._throttler._task_logs, stamp))

    async def _acquire_in_turn(self) -> None:
        async with self._lock:
            # A pause's last sliver below the event loop's clock resolution is over: asyncio fires
            # a timer that close to its deadline at once, so waiting it out would never end.
            while (wait := self._paused_until - time.monotonic()) > PAUSE_RESOLUTION:
                if await self.stop.sleep(wait):
                    raise Stopped
            now = time.monotonic()
            due, gap = self._schedule(now)
            if due > now and await self.stop.sleep(due - now):
                raise Stopped
            if self.stop.is_set:
                raise Stopped
            self._next_due = due + gap
            # Its own polling waits at most one window (at the lowest rates, the window is one gap,
            # which the schedule above has already waited out).
            await self._throttler.acquire()  # type: ignore[no-untyped-call]
            # The throttler's own stamp, the one its limit was checked against: the record and the
            # guarantee are the same numbers (a second clock reading would be a little later).
            self._released(self._throttler._task_logs[-1])
