"""Fault injection, rate limiting and the counters that tests and benchmarks read."""

from __future__ import annotations

import enum
import math
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from migrate.emulator.config import Faults, Limits

TOKEN_ACTION = "token"  # the name `only_actions` gives the token service's get and refresh
TOKEN_INTERNAL_ERROR = 1005  # "Internal service exception" (enos-batch-api.md §2)


class Fault(enum.Enum):
    NONE = "none"
    HANG = "hang"
    DROP_BEFORE = "drop_before"
    ERROR_5XX = "error_5xx"
    THROTTLE = "throttle_429"
    DROP_AFTER_APPLY = "drop_after_apply"


class SlidingWindow:
    """Counts events in the last `width` seconds, ending at the newest one."""

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

    def retry_after(self, application: str, now: float) -> float | None:
        """None when the request may pass (and is counted), else seconds to wait."""
        if not self.limit:
            return None
        window = self._windows.setdefault(application, SlidingWindow())
        wait = window.seconds_until_room(now, self.limit)
        if wait > 0:
            return wait
        window.add(now)
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
    busiest_window: int = 0
    token_requests: int = 0  # the token service's, apart from the batch service's requests
    token_answers_by_code: Counter[str] = field(default_factory=Counter)
    _window: SlidingWindow = field(default_factory=SlidingWindow)

    def arrived(self, action: str, now: float) -> None:
        self.requests_by_action[action] += 1
        self.busiest_window = max(self.busiest_window, self._window.add(now))

    def as_json(self) -> dict[str, Any]:
        return {
            "requests_by_action": dict(self.requests_by_action),
            "requests": sum(self.requests_by_action.values()),
            "saves_by_flow": dict(self.saves_by_flow),
            "answers_by_code": dict(self.answers_by_code),
            "faults": dict(self.faults),
            "busiest_one_second_window": self.busiest_window,
            "token_requests": self.token_requests,
            "token_answers_by_code": dict(self.token_answers_by_code),
        }
