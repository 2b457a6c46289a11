"""`migrate emulator`: serves the emulated service on 127.0.0.1 for trials and tests."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.emulator.config", "migrate.emulator.server")


def add_parser(verbs: Any) -> None:
    emulator = verbs.add_parser("emulator", help="serve the emulated service for trials and tests")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=0, help="0 picks a free port")
    emulator.add_argument("--state", type=Path, help="SQLite file that keeps the state across restarts")
    emulator.add_argument("--config", type=Path, help="users, flows, rules and faults (TOML or JSON)")


def execute(args: argparse.Namespace) -> int:
    import asyncio
    import contextlib

    from migrate.emulator.config import EmulatorConfig, load_emulator_config
    from migrate.emulator.server import EmulatorServer

    settings = load_emulator_config(args.config) if args.config else EmulatorConfig()

    async def serve() -> None:
        server = EmulatorServer(settings, args.state)
        url = await server.start(args.host, args.port)
        print(f"emulator listening on {url}", flush=True)
        print(f"base URL {url}/batch-processing-service/v2.1/ ; counters at {url}/_emulator/stats", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0
