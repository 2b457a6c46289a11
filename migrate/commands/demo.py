"""`migrate demo`: the embedded default, the emulator started in-process and the demo export
migrated into it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from migrate.commands import refuse

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO_ROOT / "configs" / "demo.toml"


# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.engine.job")


def add_parser(verbs: Any) -> None:
    demo = verbs.add_parser("demo", help="start the emulator in-process and migrate the demo export")
    demo.add_argument("--config", type=Path, default=DEMO_CONFIG, help=argparse.SUPPRESS)


def execute(args: argparse.Namespace) -> int:
    from migrate.commands.run import run_config

    if not args.config.is_file():
        return refuse(f"demo config {args.config} not found: run the demo from a checkout (make demo)")
    return run_config(args.config, None, False)
