"""A whole run, from config to exit code: the one place that wires the stages together."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shlex
import signal
import ssl
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from migrate import console
from migrate.config import EMBEDDED, ConfigError, Settings
from migrate.emulator.config import load_emulator_config
from migrate.emulator.server import EmulatorServer
from migrate.engine.feed import MappingProcessError, mapped
from migrate.engine.lock import run_lock
from migrate.engine.pacing import RequestPacer, StopSignal
from migrate.engine.progress import Progress, counted_total
from migrate.engine.runner import Runner
from migrate.engine.shard import Shard, check_resumed_run, for_shard, in_shard
from migrate.exit_codes import (
    EXIT_ABORTED,
    EXIT_CANNOT_RUN,
    EXIT_INTERRUPTED,
    EXIT_INVALID_ROWS,
    EXIT_OK,
    EXIT_SOME_FAILED,
    TargetUnreachable,
)
from migrate.mapping.flows import identity_scopes
from migrate.reconcile.caller import with_caller_name
from migrate.reconcile.saved_plan import SavedPlan
from migrate.redact import SECRET_VARIABLE
from migrate.results.history import checked_run_id, load_memory, made_before, run_to_resume
from migrate.results.history import log_path as history_log_path
from migrate.results.log import ResultLog, ResultLogError, Summary, read_log
from migrate.service.answers import describe_error
from migrate.service.client import BatchClient, new_session
from migrate.service.tokens import (
    KEY_VARIABLE,
    AccessTokens,
    Credentials,
    CredentialsError,
    load_credentials,
)


async def check_reachable(session: aiohttp.ClientSession, url: str, timeout: float) -> None:
    """Any HTTP answer will do; an address that refuses, never answers, closes the connection or
    answers with something that is not HTTP stops the run before anything is sent."""
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)):
            pass
    except (aiohttp.ClientError, TimeoutError) as error:
        reason = describe_error(error, timeout)
        if url.startswith("http://") and not isinstance(error, aiohttp.ClientConnectorError | TimeoutError):
            reason += "; if that port speaks TLS, the url should start with https://"
        raise TargetUnreachable(f"target {url} is unreachable: {reason}") from None


@dataclass
class RunResult:
    exit_code: int
    summary: Summary
    log_path: Path
    emulator_stats: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    # The client's own record of its requests (engine/pacing.py): how many, and the most in any one
    # second, which never exceeds the rate (docs/reliability.md, "What the rate promises").
    sent: dict[str, float] | None = None


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@contextlib.asynccontextmanager
async def target_url(
    settings: Settings, credentials: Credentials | None
) -> AsyncIterator[tuple[str, EmulatorServer | None, Credentials]]:
    """The service's base URL and the credentials to use there. For `embedded`, an emulator is
    started for the run; without configured credentials it gets a one-off application, so the
    run still goes through the token and signature checks."""
    if settings.target.url != EMBEDDED:
        if credentials is None:
            raise CredentialsError(
                f"target {settings.target.url} needs credentials: set {KEY_VARIABLE} and {SECRET_VARIABLE}, "
                "or target.credentials_file"
            )
        yield settings.target.url, None, credentials
        return
    assert settings.target.emulator_config is not None
    server = EmulatorServer(load_emulator_config(settings.target.emulator_config), settings.target.emulator_state)
    if credentials is None:
        credentials = Credentials(f"embedded-{secrets.token_hex(4)}", secrets.token_hex(32))
        server.tokens.add_application(credentials.app_key, credentials.secret)
    await server.start()
    try:
        yield server.url, server, credentials
    finally:
        await server.stop()


def _tls(settings: Settings) -> ssl.SSLContext | bool:
    if settings.target.ca_bundle is None:
        return True  # the system's CAs; verification is never turned off
    return ssl.create_default_context(cafile=str(settings.target.ca_bundle))


def _flows(count: int) -> str:
    return "1 flow was" if count == 1 else f"{count} flows were"


def _exit_code(summary: Summary, runner: Runner) -> int:
    if runner.log_error is not None or runner.mapping_error is not None:  # "could not run": nothing was sent
        return EXIT_SOME_FAILED if runner.sent_flows else EXIT_CANNOT_RUN
    if runner.interrupted:
        return EXIT_INTERRUPTED
    if runner.abort_reason is not None:
        return EXIT_ABORTED
    # stale: not applied, the live flow moved on; prune_failed: the orphans could not be found
    if summary.counts["failed"] or summary.counts["stale"] or runner.prune_failed:
        return EXIT_SOME_FAILED
    if summary.counts["invalid"]:
        return EXIT_INVALID_ROWS
    return EXIT_OK


@contextlib.contextmanager
def interrupts_to(runner: Runner) -> Iterator[None]:
    """SIGINT and SIGTERM stop the runner gracefully (requests in flight finish and are recorded)
    while inside; the handlers from before are put back after."""
    loop = asyncio.get_running_loop()
    # remove_signal_handler resets to the default, which would make a SIGTERM during the
    # summary exit 143: the handlers from before the run are put back after it.
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    # A SIGINT the process was started ignoring (a script's background job: the shell's `cmd &`)
    # stays ignored, as while the tool starts (cli.py): Ctrl-C in that terminal is not for it.
    taken = {signum: handler for signum, handler in before.items()
             if not (signum == signal.SIGINT and handler is signal.SIG_IGN)}
    for signum in taken:
        loop.add_signal_handler(signum, runner.interrupt)
    try:
        yield
    finally:
        # Blocked while swapped: remove_signal_handler passes through the default, where a
        # SIGTERM would end the process (143); a signal held meanwhile goes to the handler put back.
        signal.pthread_sigmask(signal.SIG_BLOCK, taken)
        try:
            for signum, handler in taken.items():
                loop.remove_signal_handler(signum)
                signal.signal(signum, handler)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, taken)


def resume_command(settings: Settings, run_id: str, prune: str | None = None, shard: Shard | None = None) -> str:
    """The command that continues this run, as it can be typed where this one was: the program
    as it was started, the config as it was given (and its --prune: the resumed run prunes; its
    --shard: the resumed run takes the same flows)."""
    program = [sys.argv[0]] if Path(sys.argv[0]).name == "migrate" else [sys.executable, "-m", "migrate.cli"]
    pruning = ["--prune", prune] if prune is not None else []
    sharding = ["--shard", str(shard)] if shard is not None else []
    logging = ["--log-format", "json"] if console.current_format() == "json" else []  # a collector reads it still
    return shlex.join([*program, "run", str(settings.config_path), "--run-id", run_id, "--resume", *pruning,
                       *sharding, *logging])


def _log_failure_note(settings: Settings, runner: Runner, run_id: str, hint: str | None = None,
                      shard: Shard | None = None) -> str:
    error = runner.log_error
    assert error is not None
    if not runner.sent_flows:
        return f"{error}: the run stopped before its first request; nothing was sent"
    return (f"{error}: the run stopped at once; {runner.sent_flows} flows were sent, "
            f"{runner.unrecorded} of them without a final line; once there is room, "
            f"`{hint or resume_command(settings, run_id, runner.prune, shard)}` checks those and completes the run")


async def run_job(settings: Settings, run_id: str | None = None, show_progress: bool = True,
                  resume: bool = False, plan: Path | None = None, prune: str | None = None, *,
                  held_lock: bool = False, resume_hint: str | None = None, saved_status: str = "saved",
                  line_extra: dict[str, Any] | None = None, shard: Shard | None = None) -> RunResult:
    """`prune` ("disable"): once every flow went through, the orphans still active are disabled
    (a saved plan decides that itself: its `disable` actions). A runbook (engine/runbook.py)
    holds the lock itself (`held_lock`), names the command that continues it (`resume_hint`), what
    its saves are called and what its lines carry besides. `shard`: only the flows of that shard
    (engine/shard.py), at its share of the rate, in a run of its own (lock, log, run id)."""
    if prune is not None and plan is not None:
        raise ConfigError("--prune is not for --plan: a plan made with `plan --prune disable` holds its disables")
    if shard is not None:
        settings = for_shard(settings, shard, prune=prune, plan=plan, resume=resume, run_id=run_id)
        run_id = shard.run_id(run_id) if run_id is not None else None  # the id given to every shard: this one's
    saved_plan = SavedPlan.load(plan) if plan is not None else None  # a bad plan file stops before anything
    settings = with_caller_name(settings)  # every flow's owners must hold the caller (CALLER_NOT_OWNER)
    resuming = None
    if resume:
        resuming = run_to_resume(settings, run_id if run_id is not None else settings.run.run_id)
        run_id = resuming.run_id
        console.emit("resume", resuming.note, run_id=run_id)  # before a long run, not after it
    run_id = checked_run_id(run_id if run_id is not None else settings.run.run_id or new_run_id())
    if resume:
        check_resumed_run(run_id, shard)
    elif shard is not None:
        run_id = checked_run_id(shard.run_id(run_id))
    log_path = history_log_path(settings, run_id)
    runbook = _Runbook(resume_hint, saved_status, line_extra or {})
    if held_lock:
        return await _run_locked(settings, run_id, log_path, show_progress, resume, saved_plan, prune, runbook)
    # One run at a time per identity scope (the markers it finds its flows by), not per source
    # file: two copies of one export, or two hosts' crontabs, run at once would each make every
    # flow (twins). Each shard locks its own part: shards of one run do not block one another.
    scopes = identity_scopes(settings)
    owner = f"identity scope {', '.join(sorted(scopes))}" if scopes else f"source {settings.source.path}"
    part = None if shard is None else f"shard {shard}"
    # Before reading what earlier runs did (a resume too); with the runbook verbs' lock, shared: runs
    # go side by side, never beside a runbook.
    with run_lock(settings, log_path, run_id, owner, part, beside_runbooks=True):
        return await _run_locked(settings, run_id, log_path, show_progress, resume, saved_plan, prune, runbook,
                                 shard)


@dataclass(frozen=True)
class _Runbook:
    resume_hint: str | None = None
    saved_status: str = "saved"
    line_extra: dict[str, Any] = field(default_factory=dict)


async def _run_locked(settings: Settings, run_id: str, log_path: Path, show_progress: bool,
                      resume: bool, saved_plan: SavedPlan | None = None, prune: str | None = None,
                      runbook: _Runbook = _Runbook(), shard: Shard | None = None) -> RunResult:
    memory = load_memory(settings, run_id, resume)
    timeout = aiohttp.ClientTimeout(total=settings.run.request_timeout, sock_connect=settings.run.connect_timeout)
    # a shard's share is not known; a saved plan's changes are (a runbook's)
    total = counted_total(settings, saved_plan) if show_progress and shard is None else None
    # A resume sends only what its run has not saved: those are the flows to count down.
    progress = Progress(enabled=show_progress, total=None if total is None else max(0, total - len(memory.done)))
    started = time.monotonic()
    stop = StopSignal()
    credentials = load_credentials(settings.target.credentials_file)
    async with mapped(settings) as flows, target_url(settings, credentials) as (url, server, credentials):
        connector = aiohttp.TCPConnector(limit=settings.run.concurrency, ssl=_tls(settings))
        async with new_session(connector, timeout) as session:
            await check_reachable(session, url, settings.run.connect_timeout)
            tokens = AccessTokens(session, url, credentials, attempts=settings.run.attempts,
                                  backoff=(settings.run.backoff_base, settings.run.backoff_max), stop=stop,
                                  timeout=settings.run.request_timeout)
            pacer = RequestPacer(settings.run.rate_per_second, settings.run.rate_headroom, stop)
            client = BatchClient(session, url, settings.target.user_id, settings.target.org_id, tokens,
                                 pace=pacer.acquire)
            log = ResultLog(log_path, run_id=run_id, source_file=str(settings.source.path),
                            fsync_every=settings.run.fsync_every, config=settings.config_path.name,
                            private=settings.run.log_payload)
            runner = Runner(client, settings.run, log, on_record=progress.advance, memory=memory,
                            settings_dir_id=settings.target.dir_id, stop=stop, pacer=pacer)
            runner.marker_scopes = identity_scopes(settings)
            runner.made_before = made_before(settings)
            runner.saved_plan = saved_plan
            runner.prune = prune
            runner.saved_status, runner.line_extra = runbook.saved_status, runbook.line_extra
            try:
                with interrupts_to(runner), progress:
                    try:
                        await runner.run(flows() if shard is None else in_shard(flows(), shard))
                    except MappingProcessError as error:  # a bug, or it was killed: the run stops, to be resumed
                        runner.mapping_error = str(error)
                    else:
                        await runner.disable_orphans()  # only once every flow went through
            finally:
                try:
                    log.close()
                except ResultLogError as error:
                    runner.log_error = runner.log_error or error
        stats = server.app.stats.as_json() if server is not None else None
    elapsed = time.monotonic() - started
    if resume:  # the lines of the run being resumed count too, each flow's last one
        summary = Summary.of(read_log_lines(log_path, run_id), elapsed_seconds=elapsed)
        summary.sent_in_elapsed = log.summary.sent  # its speed is what this process sent
    else:
        summary = log.summary
        summary.elapsed_seconds = elapsed
    result = RunResult(_exit_code(summary, runner), summary, log_path, stats,
                       sent={"requests": pacer.sent.count, "busiest_one_second_window": pacer.sent.busiest_window,
                             "rate_per_second": settings.run.rate_per_second})
    if runner.log_error is not None:
        note = _log_failure_note(settings, runner, run_id, runbook.resume_hint, shard)
        console.error(note)
        result.notes.append(note)
    if runner.mapping_error is not None:
        note = (f"stopped: {runner.mapping_error}; {runner.sent_flows} flows were sent before; continue with: "
                + (runbook.resume_hint or resume_command(settings, run_id, prune, shard)))
        console.error(note)
        result.notes.append(note)
    if runner.abort_reason:
        result.notes.append(f"aborted: {runner.abort_reason}; the flows not attempted are marked so")
    if runner.interrupted:
        result.notes.append("interrupted: flows without a line were not sent; continue with: "
                            + (runbook.resume_hint or resume_command(settings, run_id, prune, shard)))
    if saved_plan is not None:
        result.notes.append(f"applied the plan {saved_plan.path}: {runner.outside_plan} flows it does not change "
                            "were not touched")
        if stale := summary.counts["stale"]:
            again = ("run the same command again under a new --run-id, not --resume (its plan reads the flows as "
                     "they are now), read that plan, and apply it" if runbook.resume_hint else
                     "make the plan again (`migrate plan CONFIG --out PLAN`), read it, and apply that one")
            result.notes.append(f"{_flows(stale)} stale (the live flow, or the export, changed since the plan): not "
                                f"touched; {again}")
    if runner.prune_note:
        result.notes.append(runner.prune_note)
    elif (created := summary.counts["created"]) and prune is None and saved_plan is None and not runbook.resume_hint \
            and settings.mapping.identity_marker != "off" and (summary.counts["saved"] or summary.counts["unchanged"]):
        # Not a first migration (some flows were there already): a job whose key changed (a crontab
        # command edited) is created anew, and its old flow, an orphan, still fires beside it; only a
        # plan looks for orphans (it reads every flow).
        result.notes.append(f"{_flows(created)} created beside flows made before: where one is a job whose key "
                            "changed (an edited crontab command, a renamed file or unit), its old flow is an orphan "
                            "that still runs; `migrate plan` lists orphans, `migrate run … --prune disable` switches "
                            "them off")
    if runner.skipped:
        result.notes.append(f"resumed run {run_id}: {runner.skipped} flows already saved were not sent again")
    if runner.in_doubt_sent:
        result.notes.append(f"{runner.in_doubt_sent} flows that an interrupted run may have had a request in "
                            "flight for were taken up once its time limit had passed: each one's line says how it "
                            "ended")
    return result


def read_log_lines(path: Path, run_id: str) -> Iterator[dict[str, Any]]:
    return (line for line in read_log(path) if line.get("run_id") == run_id)

