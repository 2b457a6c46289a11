"""`migrate` verbs: run, plan, demo, emulator, report, cron. Exit codes: see README.

Imports here are the standard library's light ones: everything else is imported inside the
verbs, so that `migrate --help` is quick and the signal handlers are in place a few
milliseconds after start."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

EXIT_INTERRUPTED = 130  # README: interrupted (Ctrl-C, SIGTERM)
REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = REPO_ROOT / "configs" / "demo.toml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrate",
        description="Move scheduler job definitions into EnOS Batch Processing Service v2.1 flows.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    run = verbs.add_parser("run", help="read, map, validate and save; write the result log")
    run.add_argument("config", type=Path)
    run.add_argument("--run-id", help="name the run (default: time stamp and a random suffix)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--resume", action="store_true",
                     help="continue a run (the one named by --run-id, else the newest): "
                     "flows it saved are not sent again")
    plan = verbs.add_parser("plan", help="everything but the writes: per-flow actions and errors")
    plan.add_argument("config", type=Path)
    plan.add_argument("--json", action="store_true", help="the inventory as JSON")
    plan.add_argument("--markdown", action="store_true", help="the inventory as Markdown, for a migration review")
    demo = verbs.add_parser("demo", help="start the emulator in-process and migrate the demo export")
    demo.add_argument("--config", type=Path, default=DEMO_CONFIG, help=argparse.SUPPRESS)
    emulator = verbs.add_parser("emulator", help="serve the emulated service for trials and tests")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=0, help="0 picks a free port")
    emulator.add_argument("--state", type=Path, help="SQLite file that keeps the state across restarts")
    emulator.add_argument("--config", type=Path, help="users, flows, rules and faults (TOML or JSON)")
    report = verbs.add_parser("report", help="summary of a result log")
    report.add_argument("log", type=Path)
    report.add_argument("--json", action="store_true")
    report.add_argument("--csv", type=Path, metavar="FILE", help="also write every line as CSV, for a spreadsheet")
    cron = verbs.add_parser("cron", help="convert one schedule: prints freq, cycle and warnings, or why not")
    cron.add_argument("expression")
    cron.add_argument("--dialect", choices=["unix", "croniter", "quartz", "airflow", "iso8601"], required=True,
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
    return parser


def _fail(message: str) -> int:
    from migrate.redact import redact

    message = redact(message)
    print(f"migrate: {message}", file=sys.stderr)
    return 1


def _run(config: Path, run_id: str | None, as_json: bool, resume: bool = False) -> int:
    import asyncio

    from migrate.config import load_settings
    from migrate.job import run_job

    settings = load_settings(config)
    result = asyncio.run(run_job(settings, run_id=run_id, resume=resume))
    if as_json:
        print(json.dumps({"exit_code": result.exit_code, "result_log": str(result.log_path),
                          **result.summary.as_json(), "emulator": result.emulator_stats}, indent=2))
    else:
        print(result.summary.text())
        for note in result.notes:
            print(note)
        if result.emulator_stats is not None:
            stats = result.emulator_stats
            print(f"emulator: {sum(stats['saves_by_flow'].values())} saves of "
                  f"{len(stats['saves_by_flow'])} flows, {stats['requests']} requests, "
                  f"busiest one-second window {stats['busiest_one_second_window']}")
        print(f"result log: {result.log_path}")
    return result.exit_code


def _plan(config: Path, as_json: bool, as_markdown: bool) -> int:
    from migrate.config import load_settings
    from migrate.inventory import plan_job

    result = plan_job(load_settings(config))
    if as_json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    elif as_markdown:
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


def _emulator(host: str, port: int, state: Path | None, config: Path | None) -> int:
    import asyncio
    import contextlib

    from migrate.emulator.config import EmulatorConfig, load_emulator_config
    from migrate.emulator.server import EmulatorServer

    settings = load_emulator_config(config) if config else EmulatorConfig()

    async def serve() -> None:
        server = EmulatorServer(settings, state)
        url = await server.start(host, port)
        print(f"emulator listening on {url}", flush=True)
        print(f"base URL {url}/batch-processing-service/v2.1/ ; counters at {url}/_emulator/stats", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0


def _report(log: Path, as_json: bool, csv_path: Path | None) -> int:
    from migrate.results import Summary, read_log
    from migrate.spreadsheet import write_lines_csv

    if not log.is_file():
        return _fail(f"{log}: no such result log")
    summary = Summary.of(read_log(log))
    if csv_path is not None:
        count = write_lines_csv(read_log(log), csv_path)
        print(f"{count} lines written to {csv_path}", file=sys.stderr)
    print(json.dumps(summary.as_json(), indent=2) if as_json else summary.text())
    return 0


def _cron(args: argparse.Namespace) -> int:
    """One schedule through the same conversion a run uses: anchor, zone and all."""
    from datetime import datetime

    from migrate.config import known_zone
    from migrate.schedule.convert import convert_for_service
    from migrate.schedule.result import Converted

    expression, as_json = args.expression, args.json
    try:
        start = datetime.fromisoformat(args.start.replace("Z", "+00:00")) if args.start else None
    except ValueError:
        return _fail(f"--start {args.start!r} is not an ISO date or date-time")
    try:
        zone, target_zone = known_zone(args.zone), known_zone(args.target_zone)
    except ValueError as error:
        return _fail(f"--zone/--target-zone: {error}")
    result = convert_for_service(expression, args.dialect, start, zone, target_zone, args.approximate, args.split)
    if as_json:
        print(json.dumps(result.as_json()))
    elif isinstance(result, Converted):
        for converted in (result, result.split) if result.split else (result,):
            print(f"freq: {converted.freq}\ncycle: {converted.cycle}")
        for warning in result.warnings:
            print(f"warning {warning.code}: {warning.message} ({warning.old} -> {warning.new})")
    else:
        print(f"rejected {result.code}: {result.message}")
    return 0 if isinstance(result, Converted) else 2


class _Interrupts:
    """SIGINT and SIGTERM from the first line of main until a run puts in its own handlers (which
    let requests in flight finish): exit 130 with one line, never a traceback, nor SIGTERM's 143.

    While the tool starts (imports pandas, numpy, aiohttp...), a signal is only noted: a
    KeyboardInterrupt inside a C extension's import leaves it half made, and the interpreter
    then dies by SIGINT at exit whatever main returned; one inside an import's clean-up is
    swallowed and the run goes on. Once started, a noted signal and any later one raise
    KeyboardInterrupt; inside asyncio.run SIGTERM goes the way of its Ctrl-C (the main task is
    cancelled, so every `finally` runs first)."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.started = False
        self.requested = False
        self.previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            if signal.getsignal(signum) is not signal.SIG_IGN:  # an ignored SIGINT (a background job) stays so
                self.previous[signum] = signal.signal(signum, self.handle)

    def start(self) -> None:
        """Started: from now on a signal interrupts; one noted before interrupts now."""
        self.started = True
        if signal.SIGINT in self.previous:  # Python's own, which asyncio.run replaces with its gentler one
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if self.requested:
            raise KeyboardInterrupt

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.owner:  # a forked child (the mapping process) inherits this: it dies as told
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        elif not self.started:
            self.requested = True
        else:
            as_ctrl_c = signal.getsignal(signal.SIGINT)
            if callable(as_ctrl_c) and as_ctrl_c != self.handle:
                as_ctrl_c(signal.SIGINT, frame)  # asyncio.run's: cancels the main task; Python's: raises
            else:
                raise KeyboardInterrupt

    def restore(self) -> None:
        """The handlers found, back: for a caller that runs main in its own process (tests)."""
        for signum, found in self.previous.items():
            if found is not None:
                signal.signal(signum, found)


def _os_error(error: OSError) -> str:
    """An OSError as one line, with its file when it has one, never an empty name."""
    reason = error.strerror or str(error) or type(error).__name__
    files = [str(f) for f in (error.filename, error.filename2) if f not in (None, "")]
    return f"{' -> '.join(files)}: {reason}" if files else f"{reason} ({type(error).__name__}, errno {error.errno})"


def main(argv: list[str] | None = None) -> int:
    interrupts = _Interrupts()
    try:
        interrupts.install()
        return _main(argv, interrupts)
    except KeyboardInterrupt:
        print("migrate: interrupted; flows without a line in the result log were not sent", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        interrupts.restore()


def _main(argv: list[str] | None, interrupts: _Interrupts) -> int:
    args = _parser().parse_args(argv)
    # The heavy imports (pandas, numpy, aiohttp come with these), before a signal may interrupt.
    from pydantic import ValidationError

    from migrate.client.auth import CredentialsError
    from migrate.config import ConfigError
    from migrate.emulator.config import EmulatorConfigError
    from migrate.emulator.store import StateError
    from migrate.feed import MappingProcessError
    from migrate.history import NothingToResume
    from migrate.job import TargetUnreachable
    from migrate.sources.readers import SourceError

    interrupts.start()
    try:
        if args.verb == "run":
            return _run(args.config, args.run_id, args.json, args.resume)
        if args.verb == "plan":
            return _plan(args.config, args.json, args.markdown)
        if args.verb == "demo":
            if not args.config.is_file():
                return _fail(f"demo config {args.config} not found: run the demo from a checkout (make demo)")
            return _run(args.config, None, False)
        if args.verb == "emulator":
            return _emulator(args.host, args.port, args.state, args.config)
        if args.verb == "report":
            return _report(args.log, args.json, args.csv)
        return _cron(args)
    except (ConfigError, SourceError, TargetUnreachable, CredentialsError, NothingToResume,
            MappingProcessError, EmulatorConfigError, StateError) as error:
        return _fail(str(error))
    except ValidationError as error:
        return _fail(" ".join(str(error).split()))
    except OSError as error:
        return _fail(_os_error(error))


if __name__ == "__main__":
    sys.exit(main())
