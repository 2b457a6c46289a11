"""What the rate promises (docs/reliability.md): the client's send record never holds more than
the rate in any one-second window, whatever the event loop's delays; the emulator counts requests
when they arrived, not when its stalled handler got round to them."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import math
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import aiohttp
import pytest
from asyncio_throttle import throttler as throttler_module
from conftest import FLOWS_URL, QUERY, base_state, export_rows, run_cli, write_config
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from migrate.emulator import arrivals
from migrate.engine import job, pacing
from migrate.engine.pacing import JITTER_SECONDS, RequestPacer, SendRecord


def busiest(instants: list[float], width: float) -> int:
    """The most instants in any closed window [t, t + width] (closed: stricter than the half-open
    one-second windows the service counts)."""
    ordered, most, first = sorted(instants), 0, 0
    for last, instant in enumerate(ordered):
        while ordered[first] < instant - width:
            first += 1
        most = max(most, last - first + 1)
    return most


class VirtualClock:
    """Time that passes only when the event loop would wait, plus the stalls it is given."""

    def __init__(self, stalls: list[float]) -> None:
        self.now = 1000.0
        self._stalls = itertools.cycle(stalls or [0.0])

    def stall(self) -> None:
        self.now += next(self._stalls)


class VirtualSelector(selectors.SelectSelector):
    """Nothing is ever ready to read: `select` moves the clock on by the wait (and a stall)
    instead of blocking, so a test of minutes of pacing takes milliseconds."""

    STILL_TURNS = 100_000  # turns of the loop without the clock moving: a busy loop, not a wait

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self._still, self._last = 0, clock.now

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise RuntimeError("nothing scheduled and nothing ready: the pacer would wait forever")
        self.clock.now += timeout
        self.clock.stall()  # the loop (or the whole process) was late getting back
        self._still = self._still + 1 if self.clock.now == self._last else 0
        self._last = self.clock.now
        if self._still > self.STILL_TURNS:
            raise RuntimeError(f"the loop turned {self.STILL_TURNS:,} times without the clock moving: the pacer spins")
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(VirtualSelector(clock))
        self.clock = clock

    def time(self) -> float:
        return self.clock.now


def run_virtual(clock: VirtualClock, scenario: Any) -> Any:
    """Runs `scenario()` on a virtual clock: the pacer and asyncio-throttle read time.monotonic(),
    so both modules' `time` is this clock for the run."""
    virtual_time = SimpleNamespace(monotonic=lambda: clock.now)
    loop = VirtualLoop(clock)
    try:
        with mock.patch.object(pacing, "time", virtual_time), mock.patch.object(throttler_module, "time", virtual_time):
            return loop.run_until_complete(scenario())
    finally:
        loop.close()


rates = st.one_of(st.integers(1, 400).map(float), st.floats(1.0, 60.0), st.floats(0.2, 0.99))
# Mostly nothing or a few milliseconds, sometimes a long stall: long ones everywhere would only
# slow the callers down below the rate, where no limit is tested.
seconds = st.one_of(st.just(0.0), st.floats(0.0, 0.02), st.floats(0.0, 0.02), st.floats(0.0, 1.5))
reactions = st.sampled_from(["none", "none", "none", "throttled", "pause"])


# Derandomized, so that `make test` is deterministic. A random search of thousands of examples once
# ran for minutes: a Retry-After pause ending a sliver (1e-12 s) after the event loop's clock, which
# asyncio's timers (resolution 1e-9 s) treat as already due, made the pause loop spin without the
# clock moving. The pacer now treats a pause's last microsecond as over; the example is kept below.
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rate=rates, headroom=st.sampled_from([0.0, 0.01, 0.05, 0.3]), callers=st.integers(1, 12),
       each=st.integers(1, 30), stalls=st.lists(seconds, max_size=20),
       work=st.lists(seconds, min_size=1, max_size=10), answers=st.lists(reactions, min_size=1, max_size=10))
@example(rate=0.2, headroom=0.0, callers=1, each=30, stalls=[0.0], work=[0.0, 0.0, 1.1310404178541333e-12, 0.0],
         answers=["throttled", "none", "pause", "none"])
def test_the_send_record_never_holds_more_than_the_rate_in_any_second(
        rate: float, headroom: float, callers: int, each: int, stalls: list[float], work: list[float],
        answers: list[str]) -> None:
    """Arbitrary event-loop stalls (between any two turns of the loop), arbitrary work holding the
    loop after a turn, throttling answers and Retry-After pauses: the releases the pacer records
    never exceed the limit, in any window."""
    clock = VirtualClock(stalls)
    work_after_turn, answer_after_turn = itertools.cycle(work), itertools.cycle(answers)

    async def scenario() -> SendRecord:
        pacer = RequestPacer(rate, headroom, record=SendRecord(keep_instants=True))

        async def caller() -> None:
            for _ in range(each):
                await pacer.acquire()
                clock.now += next(work_after_turn)  # the request's own work, holding the loop
                answer = next(answer_after_turn)
                if answer == "throttled":
                    pacer.throttled()
                elif answer == "pause":
                    pacer.pause(next(work_after_turn))

        await asyncio.gather(*(caller() for _ in range(callers)))
        return pacer.sent

    record = run_virtual(clock, scenario)
    assert record.instants is not None and record.count == len(record.instants) == callers * each
    if rate >= 1:
        assert busiest(record.instants, 1.0) <= math.floor(rate)
        assert record.busiest_window <= math.floor(rate)
    else:  # one request per 1/rate seconds
        assert busiest(record.instants, 1 / rate) <= 1


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rate=rates, callers=st.integers(1, 12), each=st.integers(1, 30),
       stalls=st.lists(st.one_of(st.just(0.0), st.floats(0.0, 0.02)), max_size=20),
       delays=st.lists(st.one_of(st.just(0.0), st.floats(0.0, 0.05), st.floats(0.0, 0.9)), min_size=1, max_size=10))
def test_the_writes_never_hold_more_than_the_rate_in_any_second_whatever_the_gap_after_the_release(
        rate: float, callers: int, each: int, stalls: list[float], delays: list[float]) -> None:
    """Each request is written some time after its release (other work ran on the loop first, or
    aiohttp's body task waited its turn), a different time for each, up to most of a window (the
    limit's promise holds for gaps up to one window): the write instants, which is what the
    service sees arrive, never exceed the limit in any window.
    (Found in the demo test under a loaded CPU: 101 arrivals in one second at 100/s, with the
    releases within the limit.)"""
    clock = VirtualClock(stalls)
    delay_after_turn = itertools.cycle(delays)
    window = 1.0 if rate >= 1 else 1 / rate

    async def scenario() -> list[float]:
        pacer, writes = RequestPacer(rate, 0.0), []

        async def caller() -> None:
            for _ in range(each):
                await pacer.acquire()
                turn = pacing.TURN.get()
                assert turn is not None
                released = turn.stamp
                await asyncio.sleep(next(delay_after_turn) * window)
                turn.written()
                writes.append(clock.now)
                assert clock.now - released < pacer._throttler.period  # the gap the promise covers

        await asyncio.gather(*(caller() for _ in range(callers)))
        return writes

    writes = run_virtual(clock, scenario)
    assert len(writes) == callers * each
    assert busiest(writes, window) <= (math.floor(rate) if rate >= 1 else 1)


async def test_a_sessions_requests_tell_their_turn_when_they_are_written(start_emulator: Any) -> None:
    """Over real HTTP, a read (headers only) and a save (a body, which aiohttp writes in a task of
    its own): each request's place in the limit's log moves from its release to its write, one
    place a request, and a request the pacer did not release (a token's) moves nothing."""
    from migrate.service.client import new_session

    async with start_emulator(base_state()) as server:
        pacer = RequestPacer(100, 0.0)
        log = pacer._throttler._task_logs
        connector = aiohttp.TCPConnector(limit=2)
        async with new_session(connector, aiohttp.ClientTimeout(total=10)) as session:
            releases = []
            for method, body in (("GET", None), ("POST", b'{"flowId": 1001}')):
                await pacer.acquire()
                releases.append(log[-1])
                sending = time.monotonic()
                async with session.request(method, f"{server.url}{FLOWS_URL}", params={"action": "get", "flowId": "1001",
                                                                                   **QUERY}, data=body) as response:
                    await response.read()
                assert len(log) == len(releases) and log[-1] >= sending > releases[-1]
                assert pacing.TURN.get() is None  # taken by the request
            before = list(log)
            async with session.get(f"{server.url}{FLOWS_URL}", params={"action": "get", "flowId": "1001", **QUERY}) as response:
                await response.read()
            assert list(log) == before


def test_the_limit_is_a_one_second_window_at_every_rate() -> None:
    """At rates above ten thousand the window used to shrink (10,000 requests a fraction of a
    second): 20,000 could then fall into one second at 15,000 a second. Now it is one second
    (and the jitter guard) at every rate of one or more; the log holds only what was sent."""
    for rate in (1.0, 2.5, 200.0, 15_000.0, 1_000_000.0):
        limit = pacing._limit(rate)
        assert limit.rate_limit == math.floor(rate) and limit.period == 1.0 + JITTER_SECONDS


def test_a_late_schedule_catches_up_one_request_not_the_whole_stall() -> None:
    """After the loop stalls half a second, the schedule does not send the half second's requests
    at once (that would be a burst at the service): one goes at once, the rest one gap apart."""
    clock = VirtualClock([])

    async def scenario() -> list[float]:
        pacer = RequestPacer(100, headroom=0, record=SendRecord(keep_instants=True))
        for _ in range(10):
            await pacer.acquire()
        clock.now += 0.5  # a stall of the whole process
        for _ in range(10):
            await pacer.acquire()
        assert pacer.sent.instants is not None
        return pacer.sent.instants

    instants = run_virtual(clock, scenario)
    after_stall = instants[10:]
    assert after_stall[1] - after_stall[0] <= 1e-9  # the one that catches up
    assert all(later - earlier >= 0.01 - 1e-9 for earlier, later in itertools.pairwise(after_stall[1:]))


@pytest.mark.skipif(not arrivals.KERNEL_STAMPS, reason="kernel receive time stamps (SO_TIMESTAMPNS) are Linux's")
async def test_the_emulator_counts_requests_when_they_arrived_not_when_its_stalled_loop_read_them(
        start_emulator: Any) -> None:
    """Two requests 1.1 s apart reach an emulator whose event loop is stalled all the while: its
    handler takes both up at once (a window of 2 by its clock), but they arrived in different
    seconds (a window of 1 by arrival)."""
    async with start_emulator(base_state()) as server:
        host, port = server.url.removeprefix("http://").split(":")
        request = (f"GET {FLOWS_URL}?action=get&flowId=1001&userId={QUERY['userId']}&orgId={QUERY['orgId']} "
                   f"HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").encode()
        async with aiohttp.ClientSession() as session:
            # The kernel turns stamping on a moment after the first socket asks (deferred work):
            # one answered request first, as any run has (its token), then counters from zero.
            async with session.get(f"{server.url}{FLOWS_URL}", params={"action": "get", "flowId": "1001",
                                                                      **QUERY}) as response:
                assert response.status == 200
            await session.post(f"{server.url}/_emulator/reset")
        first = socket.create_connection((host, int(port)))
        first.sendall(request)
        time.sleep(1.1)  # the stall: this test holds the emulator's event loop, as a CPU hog would its process
        second = socket.create_connection((host, int(port)))
        second.sendall(request)
        answers = await asyncio.gather(*(read_to_end(connection) for connection in (first, second)))
        async with aiohttp.ClientSession() as session, session.get(f"{server.url}/_emulator/stats") as response:
            stats = await response.json()
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)
    assert stats["busiest_one_second_window_handled"] == 2
    assert stats["busiest_one_second_window"] == 1


@pytest.mark.skipif(not arrivals.KERNEL_STAMPS, reason="kernel receive time stamps (SO_TIMESTAMPNS) are Linux's")
async def test_the_emulators_limit_counts_requests_when_they_arrived(start_emulator: Any) -> None:
    """At 2 a second: one request, then (its loop stalled 1.1 s) two more. By arrival no second
    holds more than two, and all three pass; the limit counted by the handler's clock, which took
    all three up at once, and throttled a client that never went over (found at scale: 429s at
    99 a second of 100)."""
    async with start_emulator(base_state(limits={"rate_per_second": 2})) as server:
        host, port = server.url.removeprefix("http://").split(":")
        request = (f"GET {FLOWS_URL}?action=get&flowId=1001&userId={QUERY['userId']}&orgId={QUERY['orgId']} "
                   f"HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").encode()
        # stamping on (see the test above), then a second apart
        async with aiohttp.ClientSession() as session, session.get(
                f"{server.url}{FLOWS_URL}", params={"action": "get", "flowId": "1001", **QUERY}) as response:
            assert response.status == 200
        time.sleep(1.1)
        first = socket.create_connection((host, int(port)))
        first.sendall(request)
        time.sleep(1.1)  # the stall: this test holds the emulator's event loop, as a CPU hog would its process
        later = [socket.create_connection((host, int(port))) for _ in range(2)]
        for connection in later:
            connection.sendall(request)
        answers = await asyncio.gather(*(read_to_end(connection) for connection in (first, *later)))
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers), [a[:40] for a in answers]


async def read_to_end(connection: socket.socket) -> bytes:
    connection.setblocking(False)
    loop, chunks = asyncio.get_running_loop(), []
    with connection:
        while chunk := await loop.sock_recv(connection, 65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def send_record() -> Iterator[SendRecord]:
    """The run's own pacer keeps its send record here, instants and all."""
    record = SendRecord(keep_instants=True)
    with mock.patch.object(job, "RequestPacer", functools.partial(RequestPacer, record=record)):
        yield record


def test_a_real_run_sends_and_the_service_sees_at_most_the_rate_in_any_second(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], send_record: SendRecord) -> None:
    """`migrate run` at 60 a second, 150 flows against the embedded emulator: the send record
    (every request, the token's apart) and the emulator's arrivals stay at or under 60."""
    rate, flows = 60, 150
    config = write_config(tmp_path, state=base_state(flows=flows, tasks_per_flow=1), rows=export_rows(flows),
                          run={"rate_per_second": rate, "concurrency": 16})
    code, out, _ = run_cli(capsys, "run", str(config), "--json")
    report = json.loads(out)
    assert code == 0, report
    assert send_record.instants is not None
    assert send_record.count == sum(report["emulator"]["requests_by_action"].values()) >= flows
    assert busiest(send_record.instants, 1.0) <= rate and send_record.busiest_window <= rate
    assert report["emulator"]["busiest_one_second_window"] <= rate


def test_a_runs_json_summary_carries_its_send_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What an operator of the real service (no emulator counter) can check: the client's own count."""
    from tests.conftest import base_state, export_rows, run_cli, write_config

    config = write_config(tmp_path, state=base_state(flows=30, tasks_per_flow=1), rows=export_rows(30),
                          run={"rate_per_second": 25})
    code, out, err = run_cli(capsys, "run", str(config), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["sent"]["requests"] == summary["emulator"]["requests"] - summary["emulator"]["requests_by_action"].get(
        "token", 0) or summary["sent"]["requests"] >= 30
    assert 0 < summary["sent"]["busiest_one_second_window"] <= 25 == summary["sent"]["rate_per_second"]
