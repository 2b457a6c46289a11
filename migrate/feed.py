"""The flows of a run, read and mapped in a second process while this one sends them.

Mapping and validating a row costs about as much CPU as the request that saves it; on the
event loop it halves the send rate when the service answers quickly. So a forked child reads the
source and maps it (duplicates included: it sees every flow, in order) and sends the results
back through a pipe in batches of plain tuples, which the event loop unpickles in a few
microseconds a flow. The pipe's buffer is the back-pressure: the child never runs more than a
batch or two ahead, so memory stays flat however long the source is.

The child is forked before the run opens a connection or a file, ignores Ctrl-C (the parent
decides what an interrupt means), and dies with a broken pipe if the parent is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from migrate.config import RunSettings, Settings
from migrate.mapping import InvalidFlow, ReadyFlow, ValidFlow, plan_flows
from migrate.pipeline import source_rows

BATCH_FLOWS = 128
Mapped = ReadyFlow | InvalidFlow
Flows = AsyncGenerator[Mapped, None]


class MappingProcessError(RuntimeError):
    """The mapping process failed in a way that is not the user's input: a bug, or it was killed."""


def wanted(settings: RunSettings) -> bool:
    if settings.mapping_process != "auto":
        return settings.mapping_process == "on"
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


def mapped(settings: Settings) -> contextlib.AbstractAsyncContextManager[Callable[[], Flows]]:
    """The flows of a run: from a mapping process where that pays (`run.mapping_process`), else
    mapped on the event loop as they are needed."""
    return mapped_in_child(settings) if wanted(settings.run) else mapped_in_line(settings)


@contextlib.asynccontextmanager
async def mapped_in_line(settings: Settings) -> AsyncIterator[Callable[[], Flows]]:
    async def flows() -> Flows:
        mapping_settings, rows = source_rows(settings)
        for flow in plan_flows(rows, mapping_settings):
            yield flow.ready() if isinstance(flow, ValidFlow) else flow

    yield flows


def _produce(settings: Settings, send: Connection, other_end: Connection) -> None:
    """The child: every flow of the source, in batches; then None; or the error that stopped it."""
    other_end.close()  # the parent's end: with it closed here, the parent's death breaks our pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    batch: list[Mapped] = []
    try:
        mapping_settings, rows = source_rows(settings)
        for flow in plan_flows(rows, mapping_settings):
            batch.append(flow.ready() if isinstance(flow, ValidFlow) else flow)
            if len(batch) >= BATCH_FLOWS:
                send.send_bytes(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL))
                batch = []
        send.send_bytes(pickle.dumps([*batch, None], pickle.HIGHEST_PROTOCOL))
    except BrokenPipeError:
        return  # the parent is gone or stopped reading: nothing to tell anyone
    except Exception as error:
        send.send_bytes(pickle.dumps([*batch, _portable(error)], pickle.HIGHEST_PROTOCOL))
    finally:
        send.close()


def _portable(error: Exception) -> Exception:
    """The error itself when it survives pickling (a SourceError, say), else its traceback."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return MappingProcessError("the mapping process failed:\n" + traceback.format_exc())
    return error


@contextlib.asynccontextmanager
async def mapped_in_child(settings: Settings) -> AsyncIterator[Callable[[], Flows]]:
    """Fork the mapping process now, before any connection or file is open; the flows come when
    the returned function's generator is read. The child is stopped on the way out, whatever
    happened."""
    context = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # else the child would write our pending output a second time when it exits
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(settings, send, receive), name="migrate-mapping", daemon=True)
    child.start()
    send.close()
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="migrate-mapping-reader")
    pending: list[asyncio.Future[Any]] = []

    def next_batch() -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().run_in_executor(reader, _receive, receive, child)
        pending.append(future)
        return future

    async def flows() -> Flows:
        coming: asyncio.Future[Any] | None = next_batch()
        while coming is not None:
            batch = await coming
            pending.remove(coming)
            last = batch[-1] if batch else None
            # the next batch is read while this one is sent, unless this one is the last
            coming = None if last is None or isinstance(last, Exception) else next_batch()
            for item in batch:
                if isinstance(item, Exception):
                    raise item
                if item is not None:
                    yield item

    try:
        yield flows
    finally:
        if child.is_alive():
            child.terminate()
        await asyncio.get_running_loop().run_in_executor(None, child.join)
        for future in pending:  # a read cut short by the child's end
            with contextlib.suppress(Exception):
                await future
        receive.close()
        reader.shutdown(wait=True)


def _receive(receive: Connection, child: Any) -> list[Any]:
    try:
        return list(pickle.loads(receive.recv_bytes()))
    except (EOFError, OSError):
        child.join()
        raise MappingProcessError(
            f"the mapping process stopped unexpectedly (exit code {child.exitcode}); no flow was lost: "
            "the run stops here and --resume continues it"
        ) from None
