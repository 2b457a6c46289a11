"""The shaped rate limiter on its own: even spacing, AIMD, a shared pause (no wall-clock asserts)."""

from __future__ import annotations

import time

from migrate.pacing import MIN_SHARE, RequestPacer


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


async def test_no_more_than_the_slots_go_in_one_period() -> None:
    pacer = RequestPacer(40, headroom=0)
    stamps = []
    for _ in range(12):
        await pacer.acquire()
        stamps.append(time.monotonic())
    period = pacer.slots / pacer.rate
    for i in range(len(stamps) - pacer.slots):
        assert stamps[i + pacer.slots] - stamps[i] >= period * 0.999
