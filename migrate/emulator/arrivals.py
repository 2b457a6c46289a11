"""When a request reached the emulator: the kernel's receive time stamp, not the handler's clock.

The emulator's busiest-window counter used to stamp a request when its handler ran. A stalled
emulator process (a CPU hog beside it, a garbage collection, a burst of work) reads the requests
that queued in its sockets meanwhile all at once and stamped them as one burst that never
arrived as one: 1.5 % of slack at 200 a second covers only a 15 ms stall. On Linux each
connection asks the kernel for receive time stamps (SO_TIMESTAMPNS): every read returns, beside
the bytes, the time their last packet arrived, which no stall of this process can move. Where
the kernel gives none, the stamp is the time of the read (data received), still before the
request waits for its handler. The HTTP server's middleware (server.py) puts the stamp of the
connection's latest read, which for HTTP/1.1 without pipelining is the request being handled,
into ARRIVED_AT for the counter (faults.Stats) to read.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from aiohttp import web

# Linux's SO_TIMESTAMPNS (asm-generic value; Python 3.11's socket module does not name it); the
# control message that carries the stamp has the same number (SCM_TIMESTAMPNS).
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TIMESPEC = struct.Struct("qq")  # struct timespec of a 64-bit kernel: seconds, nanoseconds
ANCILLARY_SPACE = socket.CMSG_SPACE(TIMESPEC.size) if hasattr(socket, "CMSG_SPACE") else 0
KERNEL_STAMPS = sys.platform == "linux"

ARRIVED_AT: ContextVar[float | None] = ContextVar("arrived_at", default=None)


def _arrival(ancillary: list[tuple[int, int, bytes]]) -> float:
    """The kernel's stamp (wall clock) as a time.monotonic() instant; the read's own time without one."""
    read_at = time.monotonic()
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= TIMESPEC.size:
            seconds, nanoseconds = TIMESPEC.unpack_from(data)
            age = time.time() - (int(seconds) + int(nanoseconds) / 1e9)
            return read_at - max(0.0, age)  # a wall clock stepped back never makes it arrive later
    return read_at


class ArrivalStamps:
    """The arrival instant of each open connection's latest read, by file descriptor."""

    def __init__(self) -> None:
        self._by_descriptor: dict[int, float] = {}

    def note(self, descriptor: int, instant: float) -> None:
        self._by_descriptor[descriptor] = instant

    def forget(self, descriptor: int) -> None:
        self._by_descriptor.pop(descriptor, None)

    def latest(self, descriptor: int) -> float | None:
        return self._by_descriptor.get(descriptor)


class StampedConnection(socket.socket):
    """An accepted connection whose reads (asyncio's transport calls recv, or recv_into) note when
    their bytes arrived."""

    stamps: ArrivalStamps

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data, ancillary, _, _ = self.recvmsg(bufsize, ANCILLARY_SPACE, flags)
        self.stamps.note(self.fileno(), _arrival(ancillary))
        return data

    def recv_into(self, buffer: bytearray | memoryview, nbytes: int = 0, flags: int = 0) -> int:  # type: ignore[override]
        view = memoryview(buffer)
        received, ancillary, _, _ = self.recvmsg_into([view[:nbytes] if nbytes else view], ANCILLARY_SPACE, flags)
        self.stamps.note(self.fileno(), _arrival(ancillary))
        return received

    def close(self) -> None:
        if self.fileno() >= 0:
            self.stamps.forget(self.fileno())
        super().close()


class StampingListener(socket.socket):
    """A listening socket whose accepted connections are StampedConnections asking the kernel for
    receive time stamps."""

    def __init__(self, family: int, stamps: ArrivalStamps) -> None:
        super().__init__(family, socket.SOCK_STREAM)
        self.stamps = stamps
        # On the listener, so that the kernel stamps packets from now on (it stamps none while no
        # socket asks) and connections inherit it: a request sent before its connection is
        # accepted is stamped too.
        self._ask_for_stamps(self)

    @staticmethod
    def _ask_for_stamps(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # no kernel stamps here: the read's own time stands in
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)

    def accept(self) -> tuple[socket.socket, object]:
        descriptor, address = self._accept()  # type: ignore[attr-defined]
        connection = StampedConnection(self.family, self.type, self.proto, fileno=descriptor)
        connection.stamps = self.stamps
        self._ask_for_stamps(connection)
        return connection, address


def listener(host: str, port: int, stamps: ArrivalStamps) -> socket.socket:
    """A bound socket for aiohttp's SockSite: stamping on Linux, a plain one elsewhere (where the
    counter falls back to the handler's clock)."""
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock: socket.socket = StampingListener(family, stamps) if KERNEL_STAMPS else socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    return sock


def stamp_arrivals(stamps: ArrivalStamps) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware: the request's arrival instant in ARRIVED_AT while it is handled."""

    @web.middleware
    async def middleware(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        transport = request.transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        token = ARRIVED_AT.set(stamps.latest(sock.fileno()) if sock is not None else None)
        try:
            return await handler(request)
        finally:
            ARRIVED_AT.reset(token)

    return middleware
