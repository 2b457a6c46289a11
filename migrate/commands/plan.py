"""`migrate plan CONFIG`: everything but the writes, per flow."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_parser(verbs: Any) -> None:
    plan = verbs.add_parser("plan", help="everything but the writes: per-flow actions and errors")
    plan.add_argument("config", type=Path)
    plan.add_argument("--json", action="store_true", help="the inventory as JSON")
    plan.add_argument("--markdown", action="store_true", help="the inventory as Markdown, for a migration review")


def execute(args: argparse.Namespace) -> int:
    from migrate.config import load_settings
    from migrate.engine.inventory import plan_job

    result = plan_job(load_settings(args.config))
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    elif args.markdown:
        print(result.markdown(), end="")
    else:
        for flow in result.listed():
            for error in flow.errors:
                print(f"row {','.join(map(str, flow.rows))} ({flow.source_key}): {error.sentence()}")
        by_name = f" ({result.by_name} to find by name)" if result.by_name else ""
        print(f"{result.source} ({result.profile}): {result.found} flows found, {result.valid} convertible"
              f"{by_name}, {result.found - result.valid} invalid")
        if result.invalid_by_reason:
            print("invalid by reason: " + ", ".join(f"{k} x{v}" for k, v in result.invalid_by_reason.most_common()))
        if result.warnings_by_code:
            print("warnings by code: " + ", ".join(f"{k} x{v}" for k, v in result.warnings_by_code.most_common()))
    return result.exit_code
