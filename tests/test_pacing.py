"""The rate limiter on its own: never above the rate in any second, AIMD, a shared pause."""

from __future__ import annotations

import asyncio
import time

from migrate.engine.pacing import MIN_SHARE, RequestPacer


async def test_throttling_halves_the_rate_once_per_burst_and_recovers_to_the_ceiling() -> None:
    pacer = RequestPacer(100, headroom=0)
    pacer.throttled()
    pacer.throttled()  # the same burst of 429s: one decrease
    assert pacer.rate == 50
    for _ in range(20):
        pacer._last_decrease = 0.0  # as if a second had passed since the last decrease
        pacer.throttled()
    assert pacer.rate == 100 * MIN_SHARE
    pacer._last_change -= 100  # a long quiet stretch
    await pacer.acquire()
    assert pacer.rate == pacer.ceiling == 100


async def test_pause_holds_every_caller_until_it_ends() -> None:
    pacer = RequestPacer(1000, headroom=0)
    pacer.pause(0.05)
    pacer.pause(0.01)  # a shorter pause does not shorten the first
    started = time.monotonic()
    await pacer.acquire()
    assert time.monotonic() - started >= 0.05


async def test_never_more_than_the_rate_in_any_second_even_with_many_callers() -> None:
    pacer = RequestPacer(30, headroom=0)
    stamps: list[float] = []

    async def caller() -> None:
        for _ in range(6):
            await pacer.acquire()
            stamps.append(time.monotonic())

    await asyncio.gather(*(caller() for _ in range(8)))  # 48 requests at 30 a second
    stamps.sort()
    for i, start in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s < start + 1.0) <= 30


async def test_fractional_rates_are_honoured() -> None:
    pacer = RequestPacer(0.5, headroom=0)
    await pacer.acquire()
    assert len(pacer._throttler._task_logs) == 1 and pacer._throttler.period >= 2.0
