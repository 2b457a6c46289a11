"""`migrate cron EXPR`: one schedule through the same conversion a run uses, anchor and zones
included."""

from __future__ import annotations

import argparse
import json
from typing import Any

from migrate.commands import fail

# Imported before signals may interrupt (see cli._Interrupts): what execute needs, nothing more.
PRELOAD = ("migrate.config", "migrate.schedule.convert")


def add_parser(verbs: Any) -> None:
    cron = verbs.add_parser("cron", help="convert one schedule: prints freq, cycle and warnings, or why not")
    cron.add_argument("expression")
    cron.add_argument("--dialect", choices=["unix", "croniter", "quartz", "airflow", "iso8601", "service"],
                      required=True,
                      help="the source's dialect: never guessed from the text")
    cron.add_argument("--start", help="for intervals (airflow, iso8601): the date-time they count from; with an "
                                      "offset it is an instant, and the interval keeps UTC's clock")
    cron.add_argument("--zone", help="the IANA zone the schedule fires in (CRON_TZ, timeZone, timezoneId…)")
    cron.add_argument("--target-zone", help="the service's zone ([target] timezone): the schedule is shifted "
                                            "into it exactly, or refused")
    cron.add_argument("--approximate", action="store_true",
                      help="shift a schedule whose zone keeps another DST by today's offset, with a warning")
    cron.add_argument("--split", action="store_true",
                      help="split a day-of-month OR day-of-week schedule into two flows instead of refusing it")
    cron.add_argument("--json", action="store_true")


def execute(args: argparse.Namespace) -> int:
    from datetime import datetime

    from migrate.config import known_zone
    from migrate.schedule.convert import convert_for_service
    from migrate.schedule.result import Converted

    try:
        start = datetime.fromisoformat(args.start.replace("Z", "+00:00")) if args.start else None
    except ValueError:
        return fail(f"--start {args.start!r} is not an ISO date or date-time")
    try:
        zone, target_zone = known_zone(args.zone), known_zone(args.target_zone)
    except ValueError as error:
        return fail(f"--zone/--target-zone: {error}")
    result = convert_for_service(args.expression, args.dialect, start, zone, target_zone, args.approximate,
                                 args.split)
    if args.json:
        print(json.dumps(result.as_json()))
    elif isinstance(result, Converted):
        for converted in (result, result.split) if result.split else (result,):
            print(f"freq: {converted.freq}\ncycle: {converted.cycle}")
        for warning in result.warnings:
            print(f"warning {warning.code}: {warning.message} ({warning.old} -> {warning.new})")
    else:
        print(f"rejected {result.code}: {result.message}")
    return 0 if isinstance(result, Converted) else 2
