"""An open session with the service for a verb: connected as a run is (the target, or the
embedded emulator; TLS; reachability; tokens), with the Runner that paces and retries every
request. `run` builds its own (it also needs the result log, the pacer shown in progress and the
interrupts); every other verb that talks to the service (plan, export, enable, disable) uses this.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrate.config import Settings

if TYPE_CHECKING:  # the heavy modules are imported where used: `migrate --help` stays quick
    from migrate.emulator.server import EmulatorServer
    from migrate.engine.pacing import StopSignal
    from migrate.engine.runner import Runner
    from migrate.results.log import ResultLog
    from migrate.service.client import BatchClient


@dataclass
class Connection:
    """An open session with the service: the Runner that paces and retries every request, the
    client it sends through, and the embedded emulator when the target is `embedded`."""

    runner: Runner
    client: BatchClient
    server: EmulatorServer | None


@contextlib.asynccontextmanager
async def connected(settings: Settings, stop: StopSignal, log: ResultLog | None = None) -> AsyncIterator[Connection]:
    """Connected as a run is (target, TLS, reachability, tokens); `log` None for a verb that
    only reads (export, a plan): its Runner records nothing."""
    import aiohttp

    from migrate.engine.job import _tls, check_reachable, target_url
    from migrate.engine.runner import Runner
    from migrate.service.client import BatchClient, new_session
    from migrate.service.tokens import AccessTokens, load_credentials

    run = settings.run
    timeout = aiohttp.ClientTimeout(total=run.request_timeout, sock_connect=run.connect_timeout)
    async with target_url(settings, load_credentials(settings.target.credentials_file)) as (url, server, credentials):
        connector = aiohttp.TCPConnector(limit=run.concurrency, ssl=_tls(settings))
        async with new_session(connector, timeout) as session:
            await check_reachable(session, url, run.connect_timeout)
            tokens = AccessTokens(session, url, credentials, attempts=run.attempts,
                                  backoff=(run.backoff_base, run.backoff_max), stop=stop, timeout=run.request_timeout)
            client = BatchClient(session, url, settings.target.user_id, settings.target.org_id, tokens)
            runner = Runner(client, run, log=log, stop=stop)  # type: ignore[arg-type]  # None: records nothing
            yield Connection(runner, client, server)
