"""The per-flow fast paths of a run (docs/benchmarks.md, overhead) change no byte and no order:
the body's bytes are the stdlib's JSON, a ready flow's freq and cycle are its body's, the
pacer's turn taken at once never overtakes a caller already waiting, an answer read in one go
is the whole answer and a long one is still cut."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from types import SimpleNamespace
from typing import Any
from unittest import mock

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_model import V21_SAMPLE
from test_rate_promise import VirtualClock, run_virtual

from migrate.engine.pacing import RequestPacer, SendRecord
from migrate.mapping.flows import ValidFlow, validate
from migrate.service.answers import read_bounded
from migrate.service.model import FlowPayload


def stdlib_bytes(payload: FlowPayload) -> bytes:
    """What the body's bytes have always been (the payload hash of earlier logs is taken of them)."""
    return json.dumps(payload.wire(), ensure_ascii=False, separators=(",", ":")).encode()


def with_coordinates(x: float, y: float, text: str = "t") -> dict[str, Any]:
    body = json.loads(json.dumps(V21_SAMPLE))
    body["tasks"][0].update(x=x, y=y, taskName=text)
    body["desc"] = text
    return body


@pytest.mark.parametrize("x", [0.0, -0.0, 1e-05, 9.999e-05, 1e-4, 0.5, 1e15, 1e16, 1.5e300, math.nan, math.inf,
                               -math.inf, 5e-324])
def test_the_body_is_the_stdlib_json_for_every_kind_of_coordinate(x: float) -> None:
    payload = FlowPayload.model_validate(with_coordinates(x, 0.25))
    assert payload.wire_bytes() == stdlib_bytes(payload)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(x=st.floats(allow_nan=True, allow_infinity=True), y=st.floats(), text=st.text(max_size=40))
def test_the_body_is_the_stdlib_json_for_any_float_and_text(x: float, y: float, text: str) -> None:
    payload = FlowPayload.model_validate(with_coordinates(x, y, text))
    try:
        expected = stdlib_bytes(payload)
    except UnicodeEncodeError:  # a lone surrogate: no body, as before
        with pytest.raises(UnicodeEncodeError):
            payload.wire_bytes()
        return
    assert payload.wire_bytes() == expected


def test_a_ready_flow_carries_its_bodys_freq_and_cycle() -> None:
    from migrate.mapping.flows import FlowDraft

    draft = FlowDraft(source_key="row 1", rows=[1], body=json.loads(json.dumps(V21_SAMPLE)))
    valid = validate(draft)
    assert isinstance(valid, ValidFlow)
    ready = valid.ready()
    wire = json.loads(ready.body)
    assert (ready.freq, ready.cycle) == (wire["freq"], wire["cycle"]) == ("0 0 0 * * ? *", "D")
    assert valid.body is ready.body  # made once


def test_a_turn_taken_at_once_never_overtakes_a_caller_already_waiting() -> None:
    """At 2 a second, the first caller goes at once and the second waits a gap; a third that
    comes the moment the second's turn is due (before the second got back to take it) goes
    after it, not through the fast path before it."""
    clock = VirtualClock([])
    order: list[str] = []

    async def scenario() -> SendRecord:
        pacer = RequestPacer(2, headroom=0, record=SendRecord(keep_instants=True))

        async def caller(name: str, after: float = 0.0) -> None:
            if after:
                await asyncio.sleep(after)
            await pacer.acquire()
            order.append(name)

        await caller("first")
        await asyncio.gather(caller("second"), caller("third", after=0.5))
        return pacer.sent

    record = run_virtual(clock, scenario)
    assert order == ["first", "second", "third"]
    assert record.instants is not None
    assert all(later - earlier >= 0.5 - 1e-9 for earlier, later in itertools.pairwise(record.instants))


def test_a_paused_or_stopped_pacer_takes_no_turn_at_once() -> None:
    async def scenario() -> None:
        pacer = RequestPacer(1_000_000, headroom=0)
        pacer.pause(10)
        assert not pacer._turn_now()
        unpaused = RequestPacer(1_000_000, headroom=0)
        unpaused.stop.set()
        assert not unpaused._turn_now()
        fresh = RequestPacer(1_000_000, headroom=0)
        assert fresh._turn_now() and fresh.sent.count == 1

    asyncio.run(scenario())


def answer_of(chunks: list[bytes]) -> Any:
    stream = aiohttp.StreamReader(mock.Mock(_reading_paused=False), 2 ** 16, loop=asyncio.get_running_loop())
    for chunk in chunks:
        stream.feed_data(chunk)
    stream.feed_eof()
    return SimpleNamespace(content=stream)


async def test_an_answer_there_whole_is_read_whole_and_a_long_one_is_still_cut() -> None:
    whole = await read_bounded(answer_of([b'{"code":0,', b'"msg":"OK"}']))
    assert (whole.raw, whole.cut) == (b'{"code":0,"msg":"OK"}', False)
    empty = await read_bounded(answer_of([]))
    assert (empty.raw, empty.cut) == (b"", False)
    exact = await read_bounded(answer_of([b"x" * 10]), limit=10)
    assert (exact.raw, exact.cut) == (b"x" * 10, False)
    long = await read_bounded(answer_of([b"x" * 6, b"y" * 6]), limit=10)
    assert (long.raw, long.cut) == (b"x" * 6 + b"y" * 4, True)
