"""Start and stop the emulator, in-process (tests, demo) or as `migrate emulator`."""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType

from aiohttp import web

from migrate.emulator.arrivals import ArrivalStamps, listener, stamp_arrivals
from migrate.emulator.auth import TokenService
from migrate.emulator.config import EmulatorConfig
from migrate.emulator.faults import FaultPlan, RateLimiter
from migrate.emulator.models import BatchService
from migrate.emulator.responses import EmulatorApp
from migrate.emulator.store import Store


class EmulatorServer:
    """`async with EmulatorServer(config) as server:` serves on 127.0.0.1 at `server.url`."""

    def __init__(self, config: EmulatorConfig, state_path: Path | None = None) -> None:
        self.config = config
        self.store = Store(state_path)
        self.service = BatchService(config, self.store)
        self.tokens = TokenService({a.app_key: a.app_secret for a in config.applications}, config.auth)
        self.app = EmulatorApp(self.service, FaultPlan(config.faults), RateLimiter(config.limits), self.tokens)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        # A dropped connection is a fault we inject on purpose, not news for the log.
        logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
        app = self.app.make_app()
        # Requests are counted at their arrival, stamped by the kernel (arrivals.py): a stall of
        # this process must not count the requests that queued meanwhile as a burst.
        stamps = ArrivalStamps()
        app.middlewares.append(stamp_arrivals(stamps))
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.SockSite(self._runner, listener(host, port, stamps))
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        return self.url

    async def stop(self) -> None:
        self.app.stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.store.close()

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()
