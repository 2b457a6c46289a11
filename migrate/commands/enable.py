"""`migrate enable CONFIG [selection] [--apply | --yes]`: Enable Flow (reference §8) for the paused flows of a
selection; the plan first, the before snapshot written before any change (engine/flow_actions.py, docs/runbooks.md)."""

from __future__ import annotations

import argparse
from typing import Any

from migrate.commands._flow_actions import PRELOAD, add_toggle_parser, execute_toggle

__all__ = ["PRELOAD", "add_parser", "execute"]


def add_parser(verbs: Any) -> None:
    add_toggle_parser(verbs, "enable")


def execute(args: argparse.Namespace) -> int:
    return execute_toggle(args, "enable")
