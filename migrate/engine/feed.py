"""The flows of a run, read and mapped in a second process while this one sends them.

Mapping and validating a row costs about half the CPU of the request that saves it; on the
event loop it cut the send rate by a fifth to a third when the service answers quickly. So a forked child reads the
source and maps it (duplicates included: it sees every flow, in order) and sends the results
back through a pipe in batches of plain tuples, which the event loop unpickles in a few
microseconds a flow. The pipe's buffer is the back-pressure: the child never runs more than a
batch or two ahead, so memory stays flat however long the source is.

The child is forked before the run opens a connection or a file, ignores Ctrl-C (the parent
decides what an interrupt means), and dies with a broken pipe if the parent is killed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import Any

from migrate.config import RunSettings, Settings
from migrate.exit_codes import CannotRun
from migrate.mapping.flows import InvalidFlow, ReadyFlow, ValidFlow, plan_flows
from migrate.mapping.pipeline import source_rows
from migrate.sources.profiles import expanded_rows

BATCH_FLOWS = 128
# The mapper is batches ahead: it should only take a core that the sender (and, on the same
# machine, anything else) leaves idle. At the default niceness its bursts delayed answers: the
# latency-hiding benchmark fell to 0.85-0.92; at 19 it matches mapping on the event loop
# (0.92-0.95), and the overhead figure is unchanged.
CHILD_NICENESS = 19
Mapped = ReadyFlow | InvalidFlow
Flows = AsyncGenerator[Mapped, None]


class MappingProcessError(CannotRun):
    """The mapping process failed in a way that is not the user's input: a bug, or it was killed."""


def wanted(settings: RunSettings) -> bool:
    if settings.mapping_process != "auto":
        return settings.mapping_process == "on"
    # Linux only: macOS offers fork, but its system libraries are not safe in a forked child.
    return (os.cpu_count() or 1) > 1 and sys.platform.startswith("linux")


def mapped(settings: Settings) -> contextlib.AbstractAsyncContextManager[Callable[[], Flows]]:
    """The flows of a run: from a mapping process where that pays (`run.mapping_process`), else
    mapped on the event loop as they are needed."""
    return mapped_in_child(settings) if wanted(settings.run) else mapped_in_line(settings)


_frozen_runs = 0  # runs of this process inside long_lived_frozen (runs may overlap: shards, tests)


@contextlib.contextmanager
def long_lived_frozen() -> Iterator[None]:
    """While a run lasts, what was alive when it began (modules, settings, an embedded emulator's
    state: about 100,000 objects in a run of the command) is kept out of the garbage collector's
    way (gc.freeze): otherwise each full collection, which the run's own allocations trigger,
    walks all of it again (about 12 µs a flow of a 6,000-flow run), and in the forked mapping
    process the walk would also write to every inherited page, which the kernel must then copy
    (the Python documentation's advice for fork). Put back when the last run ends (gc.unfreeze),
    so that a process that goes on (tests, runbooks) collects it as before."""
    global _frozen_runs
    if _frozen_runs == 0:
        gc.freeze()
    _frozen_runs += 1
    try:
        yield
    finally:
        _frozen_runs -= 1
        if _frozen_runs == 0:
            gc.unfreeze()


@contextlib.asynccontextmanager
async def mapped_in_line(settings: Settings) -> AsyncIterator[Callable[[], Flows]]:
    async def flows() -> Flows:
        for flow in _mapped(settings):
            yield flow

    with long_lived_frozen():
        yield flows


def _mapped(settings: Settings) -> Iterator[Mapped]:
    """Every flow of the source, ready to send or invalid, in order, duplicates refused."""
    mapping_settings, rows = source_rows(settings)
    for flow in plan_flows(expanded_rows(rows), mapping_settings):  # deferred rows made here
        yield flow.ready() if isinstance(flow, ValidFlow) else flow


def _produce(settings: Settings, write_end: int, read_end: int) -> None:
    """The child: every flow of the source, in batches; then None; or the error that stopped it.
    Each batch is a frame: its length (4 bytes, little-endian), then its pickle."""
    os.close(read_end)  # the parent's end: with it closed here, the parent's death breaks our pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(CHILD_NICENESS)
    batch: list[Mapped | Exception | None] = []
    pipe = open(write_end, "wb")  # noqa: SIM115 - closed below, where a broken pipe is no news

    def send() -> None:
        frame = pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
        pipe.write(len(frame).to_bytes(4, "little"))
        pipe.write(frame)
        pipe.flush()

    try:
        for flow in _mapped(settings):
            batch.append(flow)
            if len(batch) >= BATCH_FLOWS:
                send()
                batch = []
        batch.append(None)
        send()
    except BrokenPipeError:
        pass  # the parent is gone or stopped reading: nothing to tell anyone
    except Exception as error:
        batch.append(_portable(error))
        with contextlib.suppress(BrokenPipeError):
            send()
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def _portable(error: Exception) -> Exception:
    """The error itself when it survives pickling (a SourceError, say), else its traceback."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return MappingProcessError("the mapping process failed:\n" + traceback.format_exc())
    return error


class _Batches(asyncio.Protocol):
    """The parent's end of the pipe, read by the event loop itself: frames are unpickled as they
    complete, and reading pauses while two batches wait (the child then blocks on a full pipe).
    A reader thread was tried first: handing the GIL to and fro cost the event loop more than
    the unpickling."""

    HELD = 2

    def __init__(self) -> None:
        self.transport: asyncio.ReadTransport | None = None
        self.buffer = bytearray()
        self.batches: collections.deque[list[Any]] = collections.deque()
        self.ended = False
        self.waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.ReadTransport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 4:
            end = 4 + int.from_bytes(self.buffer[:4], "little")
            if len(self.buffer) < end:
                break
            self.batches.append(pickle.loads(bytes(self.buffer[4:end])))
            del self.buffer[:end]
        if len(self.batches) >= self.HELD and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool | None:
        self.ended = True
        self._wake()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def next(self) -> list[Any] | None:
        """The next batch, or None when the pipe ended without one."""
        while not self.batches:
            if self.ended:
                return None
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        batch = self.batches.popleft()
        if len(self.batches) < self.HELD and self.transport is not None:
            self.transport.resume_reading()
        return batch


@contextlib.asynccontextmanager
async def mapped_in_child(settings: Settings) -> AsyncIterator[Callable[[], Flows]]:
    """Fork the mapping process now, before any connection or file is open; the flows come when
    the returned function's generator is read. The child is stopped on the way out, whatever
    happened."""
    with long_lived_frozen():
        async with _mapped_in_child(settings) as flows:
            yield flows


@contextlib.asynccontextmanager
async def _mapped_in_child(settings: Settings) -> AsyncIterator[Callable[[], Flows]]:
    context = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # else the child would write our pending output a second time when it exits
    read_end, write_end = os.pipe()
    child = context.Process(target=_produce, args=(settings, write_end, read_end), name="migrate-mapping",
                            daemon=True)
    try:
        child.start()
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    loop = asyncio.get_running_loop()
    pipe = open(read_end, "rb", buffering=0)  # noqa: SIM115 - the transport owns it and closes it
    transport, batches = await loop.connect_read_pipe(_Batches, pipe)

    async def flows() -> Flows:
        while True:
            batch = await batches.next()
            if batch is None:
                await loop.run_in_executor(None, child.join)
                raise MappingProcessError(
                    f"the mapping process stopped unexpectedly (exit code {child.exitcode}); no flow was lost: "
                    "the run stops here and --resume continues it")
            for item in batch:
                if item is None:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item

    try:
        yield flows
    finally:
        transport.close()
        if child.is_alive():
            child.terminate()
        await loop.run_in_executor(None, child.join)
