"""Fault injection, rate limiting and the counters that tests and benchmarks read."""

from __future__ import annotations

import bisect
import enum
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from migrate.emulator.arrivals import ARRIVED_AT
from migrate.emulator.config import Faults, Limits
from migrate.engine.pacing import SlidingWindow

TOKEN_ACTION = "token"  # the name `only_actions` gives the token service's get and refresh
TOKEN_INTERNAL_ERROR = 1005  # "Internal service exception" (enos-batch-api.md §2)


class Fault(enum.Enum):
    NONE = "none"
    HANG = "hang"
    DROP_BEFORE = "drop_before"
    ERROR_5XX = "error_5xx"
    THROTTLE = "throttle_429"
    DROP_AFTER_APPLY = "drop_after_apply"


class ArrivalWindow:
    """The busiest one-second window, (t - 1, t], over arrival stamps that may be counted a little
    out of order (two connections read in one turn of the event loop, the later arrival first).
    Stamps are kept sorted; every so often the windows ending at all of them are swept and those
    older than SETTLE_SECONDS before the newest are let go, so memory follows the rate."""

    SETTLE_SECONDS = 5.0  # an arrival is counted within this long of the newest one

    def __init__(self) -> None:
        self._stamps: list[float] = []
        self._swept_busiest = 0
        self._sweep_at = 1024

    def add(self, instant: float) -> None:
        bisect.insort(self._stamps, instant)
        if len(self._stamps) >= self._sweep_at:
            self._swept_busiest = self.busiest
            keep_from = bisect.bisect_left(self._stamps, self._stamps[-1] - self.SETTLE_SECONDS - 1.0)
            del self._stamps[:keep_from]
            self._sweep_at = 2 * len(self._stamps) + 1024

    @property
    def busiest(self) -> int:
        busiest, oldest = self._swept_busiest, 0
        for newest, instant in enumerate(self._stamps):
            while self._stamps[oldest] <= instant - 1.0:
                oldest += 1
            busiest = max(busiest, newest - oldest + 1)
        return busiest


class FaultPlan:
    """Draws one fault per request from a seeded generator, so runs repeat exactly."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)

    def draw(self, action: str) -> Fault:
        f = self.faults
        if f.only_actions and action not in f.only_actions:
            return Fault.NONE
        roll = self._random.random()
        for share, fault in (
            (f.hang, Fault.HANG),
            (f.drop_before, Fault.DROP_BEFORE),
            (f.error_5xx, Fault.ERROR_5XX),
            (f.throttle_429, Fault.THROTTLE),
            (f.drop_after_apply, Fault.DROP_AFTER_APPLY),
        ):
            if roll < share:
                return fault
            roll -= share
        return Fault.NONE

    def latency_seconds(self) -> float:
        jitter = self._random.uniform(0, self.faults.latency_jitter_ms) if self.faults.latency_jitter_ms else 0.0
        return (self.faults.latency_ms + jitter) / 1000

    def status_5xx(self) -> int:
        return self._random.choice((500, 502, 503))

    def token_error(self) -> int:
        """The token service's internal failures: a gateway's 5xx, or its own code 1005."""
        return self._random.choice((500, 502, 503, TOKEN_INTERNAL_ERROR))

    def faults_tokens(self) -> bool:
        """Token requests are faulted only when `only_actions` names "token": the tests of the
        batch service's faults expect tokens to come."""
        return TOKEN_ACTION in self.faults.only_actions


class RateLimiter:
    """Per-application request limit over a sliding one-second window (a documented guess)."""

    def __init__(self, limits: Limits) -> None:
        self.limit = limits.rate_per_second
        self._windows: dict[str, SlidingWindow] = {}
        self._latest: dict[str, float] = {}  # the latest instant counted, per application

    def retry_after(self, application: str, now: float) -> float | None:
        """None when the request may pass (and is counted), else seconds to wait."""
        if not self.limit:
            return None
        window = self._windows.setdefault(application, SlidingWindow())
        now = max(now, self._latest.get(application, now))  # arrivals handled out of order: kept in order
        wait = window.seconds_until_room(now, self.limit)
        if wait > 0:
            return wait
        window.add(now)
        self._latest[application] = now
        return None


def retry_after_header(seconds: float) -> str:
    """Whole seconds, as gateways write it; a configured infinity is sent as `inf`, as a broken
    gateway might, so that clients can be tested against it."""
    return "inf" if math.isinf(seconds) else str(max(1, math.ceil(seconds)))


@dataclass
class Stats:
    requests_by_action: Counter[str] = field(default_factory=Counter)
    saves_by_flow: Counter[str] = field(default_factory=Counter)
    answers_by_code: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    busiest_handled: int = 0  # the same, by the handler's clock: what a stalled emulator would have counted
    token_requests: int = 0  # the token service's, apart from the batch service's requests
    token_answers_by_code: Counter[str] = field(default_factory=Counter)
    _arrivals: ArrivalWindow = field(default_factory=ArrivalWindow)
    _handled: SlidingWindow = field(default_factory=SlidingWindow)

    def arrived(self, action: str, now: float) -> None:
        """Counts a request its handler took up `now`, in the window of its arrival (the kernel's
        stamp, server.py and arrivals.py) when the server knows it."""
        self.requests_by_action[action] += 1
        arrived_at = ARRIVED_AT.get()
        self._arrivals.add(now if arrived_at is None else arrived_at)
        self.busiest_handled = max(self.busiest_handled, self._handled.add(now))

    @property
    def busiest_window(self) -> int:
        """The most requests that arrived in any one second."""
        return self._arrivals.busiest

    def as_json(self) -> dict[str, Any]:
        return {
            "requests_by_action": dict(self.requests_by_action),
            "requests": sum(self.requests_by_action.values()),
            "saves_by_flow": dict(self.saves_by_flow),
            "answers_by_code": dict(self.answers_by_code),
            "faults": dict(self.faults),
            "busiest_one_second_window": self.busiest_window,
            "busiest_one_second_window_handled": self.busiest_handled,
            "token_requests": self.token_requests,
            "token_answers_by_code": dict(self.token_answers_by_code),
        }
