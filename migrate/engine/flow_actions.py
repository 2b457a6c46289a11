"""`migrate enable`, `migrate disable` and `migrate delete`: the service's own Enable, Disable and
Delete Flow (reference §8) over the live flows of a selection, plan first.

The selection is read as `migrate export` reads it (engine/export.py `read_flows`). Each flow
gets one action: `enable` / `disable` when its `active` is not yet the wanted one, else
`unchanged`; `delete` for every flow. Without `apply` that plan is all. With it, under the run
lock (one runbook verb at a time per target), the "before" snapshot of exactly the flows that
will change is written first (the export's format, so `migrate restore` can put them back), then
each is sent through the Runner's `_send` (paced, retried, the breaker), with an `attempt` record
just before its request leaves, and read back with Get Flow: its result line holds
`active_before` and `active_after` (a deleted flow's read back must find nothing). Never Save Flow.

Enable and Disable set a state, so a flow left in doubt by a dead run (an attempt record and no
final line) is read on resume: one found as wanted gets the line of the change that landed (the
selection may not find it any more: `--active 1` no longer matches a flow the dead run disabled),
one still selected and not as wanted is sent again and read back. Deletes go in waves, the flows no other selected
flow depends on first (the service refuses to delete a flow another depends on: 62104); a flow a
dead run had a delete in flight for and that is gone now gets its `deleted` line on resume."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from migrate.config import Settings
from migrate.engine.connection import connected
from migrate.engine.export import ExportReadError, ExportResult, read_flows, write_snapshot
from migrate.exit_codes import EXIT_CHANGES, EXIT_INTERRUPTED, EXIT_INVALID_ROWS, EXIT_OK, CannotRun
from migrate.selection import Selection

if TYPE_CHECKING:  # the heavy modules are imported where used: `migrate --help` stays quick
    from migrate.engine.runner import Exchange, Runner
    from migrate.results.log import ResultLog
    from migrate.service.client import BatchClient

Verb = Literal["enable", "disable", "delete"]
WANTED: dict[str, int] = {"enable": 1, "disable": 0}
DONE_STATUS: dict[str, str] = {"enable": "enabled", "disable": "disabled", "delete": "deleted"}
# The runbook verbs share one lock per target (lock.RUNBOOK_SCOPE): two of them at once could undo
# each other's work, as could a run beside one. A resumed run does not touch again a flow whose
# last line says it is as wanted; a `failed` or `not_attempted` flow is tried again, as
# `run --resume` sends what it did not save.
FINAL = ("enabled", "disabled", "deleted", "unchanged")


class NothingSelected(CannotRun):
    """The selection matches no flow: one line, exit 1, nothing sent."""


@dataclass(frozen=True)
class ToggleAction:
    flow_id: str
    name: str
    active: int | None  # as Get Flow said while the selection was read
    action: str  # the verb, or "unchanged", or KEPT (a delete's flow whose bodies could not be kept), or NOT_ALLOWED
    why: str = ""  # KEPT, NOT_ALLOWED: why

    def as_json(self) -> dict[str, Any]:
        return {"flowId": self.flow_id, "name": self.name, "active": self.active, "action": self.action,
                **({"why": self.why} if self.why else {})}


@dataclass
class TogglePlan:
    verb: Verb
    selection: Selection
    read: ExportResult
    actions: list[ToggleAction] = field(default_factory=list)

    @property
    def changes(self) -> list[ToggleAction]:
        return [a for a in self.actions if a.action not in UNSENT]

    def by_action(self) -> Counter[str]:
        return Counter(a.action for a in self.actions)

    @property
    def exit_code(self) -> int:
        if self.by_action()[NOT_ALLOWED]:
            return EXIT_INVALID_ROWS  # as edit's plan: a flow it cannot change
        return EXIT_CHANGES if self.changes else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {"verb": self.verb, "selection": self.selection.as_json(), "listed": self.read.listed,
                "matched": len(self.actions), "by_action": dict(self.by_action()),
                "requests": dict(self.read.requests), "exit_code": self.exit_code,
                "flows": [a.as_json() for a in self.actions]}


@dataclass
class ToggleRun:
    """What an applied toggle did (the summary comes from its result lines, as a run's does)."""

    exit_code: int
    plan: TogglePlan | None
    summary: Any  # results.log.Summary (imported where used: `migrate --help` stays quick)
    log_path: Path
    before_path: Path
    emulator_stats: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def _active(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def make_plan(verb: Verb, selection: Selection, read: ExportResult) -> TogglePlan:
    from migrate.snapshots import EXPORTED, bodies_missing_why

    plan = TogglePlan(verb, selection, read)
    for flow in read.flows:
        active = _active(flow.get("active"))
        action = "unchanged" if verb != "delete" and active == WANTED[verb] else verb
        exported = flow.get(EXPORTED)
        if verb == "delete" and isinstance(exported, dict) and exported.get("error"):
            # Its before file could not bring it back whole (restore would make it with empty tasks).
            plan.actions.append(ToggleAction(str(flow.get("flowId")), str(flow.get("flowName") or ""), active, KEPT,
                                             f"not deleted: {bodies_missing_why(flow)}, so its before file could not "
                                             "bring it back whole; delete it again once Export Flow answers"))
            continue
        if action != "unchanged" and (refused := _not_allowed(verb, flow)):
            plan.actions.append(ToggleAction(str(flow.get("flowId")), str(flow.get("flowName") or ""), active,
                                             NOT_ALLOWED, refused))
            continue
        plan.actions.append(ToggleAction(str(flow.get("flowId")), str(flow.get("flowName") or ""), active, action))
    return plan


def _not_allowed(verb: Verb, flow: dict[str, Any]) -> str:
    """Why the service will refuse this verb for this flow, from its Get Flow answer: Enable,
    Disable and Delete need the caller to be an owner, and neither the flow nor the caller may be
    locked (reference §8, §4's `hasEditPri`, `locked`, `isUserLocked`). The plan says so, where it
    said `disable` and the apply then failed 62103. Empty: nothing against it."""
    flow_id = flow.get("flowId")
    if flow.get("hasEditPri") is False:
        owners = str(flow.get("owner") or flow.get("owners") or "")
        return (f"NO_PRIVILEGE: flow {flow_id} is not yours to {verb}: the calling user is not among its owners"
                f"{f' ({owners})' if owners else ''}, only sees it (the service refuses it, 62103); have an owner add "
                "you, or leave it out of the selection")
    if flow.get("locked") is True:
        return f"NO_PRIVILEGE: flow {flow_id} is locked in the service (the service refuses to {verb} it, 62103)"
    if flow.get("isUserLocked") is True:
        return (f"NO_PRIVILEGE: the calling user is locked for flow {flow_id} in the service (the service refuses to "
                f"{verb} it)")
    return ""


def _nothing_selected(selection: Selection, read: ExportResult) -> NothingSelected:
    return NothingSelected(f"the selection ({selection.describe()}) matches none of the {read.listed} flows you can "
                           f"see; nothing sent ({read.requests_text()})")


def plan_toggle(settings: Settings, verb: Verb, selection: Selection) -> TogglePlan:
    """The plan only: the selection read (never written), each flow with its action."""
    from migrate.engine.export import read_selection

    read = read_selection(settings, selection, bodies=False)  # nothing is written: no before file to fill
    if not read.flows:
        raise _nothing_selected(selection, read)
    return make_plan(verb, selection, read)


def apply_toggle(settings: Settings, verb: Verb, selection: Selection, run_id: str | None = None,
                 resume: bool = False, before: Path | None = None, resume_hint: str | None = None,
                 show: Callable[[TogglePlan], None] = lambda plan: None) -> ToggleRun:
    """`show`: called once the plan is made and the before file written, before the first change."""
    from migrate.engine.job import new_run_id
    from migrate.engine.lock import RUNBOOK_SCOPE, run_lock
    from migrate.results.history import checked_run_id, log_path

    if resume and run_id is None:
        raise CannotRun("--resume needs --run-id: the run to continue")
    run_id = checked_run_id(run_id if run_id is not None else settings.run.run_id or new_run_id())
    path = log_path(settings, run_id)
    if resume and not path.is_file():
        raise CannotRun(f"no result log of run {run_id!r} at {path}")
    given = before is not None
    before = before if before is not None else runbook_file(path, run_id, "before.jsonl")
    with run_lock(settings, path, run_id, RUNBOOK_SCOPE):  # before anything is read: a resume too
        if not resume:
            check_new_run(path, before, run_id, given)
        hint = f"{resume_hint or f'migrate {verb} {settings.config_path} [the same selection] --apply'} " \
               f"--run-id {run_id} --resume"
        return asyncio.run(_apply(settings, verb, selection, run_id, path, before, resume, hint, show))


def runbook_file(log: Path, run_id: str, kind: str) -> Path:
    """Where a runbook verb keeps a file of its run: `runbooks/<run-id>.<kind>` beside the result
    log (a folder of its own: the logs' glob, `results/*.jsonl`, must not find a snapshot)."""
    return log.parent / "runbooks" / f"{run_id}.{kind}"


def check_new_run(log: Path, before: Path, run_id: str, before_given: bool) -> None:
    """A run that is not a resume starts afresh: it never appends to another run's log nor writes
    over a before file (yesterday's undo)."""
    if log.exists():
        raise CannotRun(f"run {run_id} exists already ({log}): continue it with --resume, or give another --run-id")
    if before.exists():
        where = "--before" if before_given else f"run {run_id}'s before file"
        raise CannotRun(f"{where} {before} exists already: it is another run's undo and is not written over; "
                        "move it away or give another " + ("--before" if before_given else "--run-id"))


def _done_flows(path: Path, run_id: str) -> dict[str, str]:
    """flow id -> the last final status this run wrote for it, of the flows a resume leaves alone."""
    from migrate.results.log import read_log

    last: dict[str, str] = {}
    if path.is_file():
        for line in read_log(path):
            if line.get("run_id") == run_id and line.get("flow_id") is not None:
                last[str(line["flow_id"])] = str(line["status"])
    return {flow_id: status for flow_id, status in last.items() if status in FINAL}


def _snapshot_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The flows of an earlier before file."""
    from migrate import snapshots

    return (line for _, line in snapshots.read(path).lines if isinstance(line, dict))


async def _apply(settings: Settings, verb: Verb, selection: Selection, run_id: str, path: Path, before: Path,
                 resume: bool, hint: str, show: Callable[[TogglePlan], None]) -> ToggleRun:
    from migrate.engine.job import _exit_code, interrupts_to, read_log_lines
    from migrate.engine.pacing import StopSignal
    from migrate.engine.progress import Progress
    from migrate.results.log import ResultLog, ResultLogError, Summary

    done = _done_flows(path, run_id) if resume else {}
    started = time.monotonic()
    async with connected(settings, StopSignal()) as connection:
        runner = connection.runner
        with interrupts_to(runner):
            read = ExportResult(settings.target.url, settings.target.org_id)
            try:
                # A delete's before file is what brings its flows back: it holds their tasks' bodies
                # too (Export Flow); enable and disable leave the flows there, theirs need none.
                await read_flows(runner, connection.client, selection, read, bodies=verb == "delete")
            except ExportReadError:
                if not runner.interrupted:
                    raise
            if runner.interrupted:  # before any change: nothing was sent, no file written
                return ToggleRun(EXIT_INTERRUPTED, None, Summary(), path, before,
                                 notes=["interrupted while reading the selection: nothing was sent (run the same "
                                        "command again; there is nothing to resume)"])
            if not read.flows and not done and not resume:
                raise _nothing_selected(selection, read)
            plan = make_plan(verb, selection, read)
            todo = [a for a in plan.actions if a.flow_id not in done]
            if resume and verb == "delete":
                todo = _changed_since_held(todo, read.flows, before)
            # A failed delete is not read again: one the selection no longer finds would be called deleted.
            in_doubt = _in_doubt(path, run_id, failed_too=verb != "delete") if resume else {}
            if in_doubt and verb != "delete":
                todo = _settled_in_doubt(todo, plan, in_doubt, done, before)
            if resume and _selected_otherwise(before, selection):
                todo += _left_out(todo, done, in_doubt, before, selection)
            if any(a.action not in UNSENT for a in todo) or (resume and before.is_file()):
                _write_before(before, plan, todo, resume)  # first: nothing changes before it is whole
            # The log is opened only now: a selection that matches nothing leaves no file behind.
            log = runner.log = ResultLog(path, run_id=run_id, source_file=f"migrate {verb}",
                                         fsync_every=settings.run.fsync_every, config=settings.config_path.name)
            toggler = _Toggler(runner, connection.client, log, verb, before, settings.run.request_timeout)
            show(plan)  # what it changes and where the before file is, before the first change
            progress = Progress(total=len(todo))  # each flow of todo gets one line, as a run's flows
            runner.on_record = progress.advance
            try:
                with progress:
                    if verb == "delete":
                        if resume:
                            _record_landed_deletes(log, in_doubt, plan, done, before)
                        for wave in delete_waves(todo, {str(f.get("flowId")): f for f in read.flows}):
                            await runner._each(toggler.one, wave)
                            if runner.stopping or runner.abort_reason is not None:
                                break
                    else:
                        await runner._each(toggler.one, todo)
            finally:
                try:
                    log.close()
                except ResultLogError as error:
                    runner.log_error = runner.log_error or error
        stats = connection.server.app.stats.as_json() if connection.server is not None else None
    elapsed = time.monotonic() - started
    if resume:  # the lines of the run being resumed count too, each flow's last one
        summary = Summary.of(read_log_lines(path, run_id), elapsed_seconds=elapsed)
        summary.sent_in_elapsed = log.summary.sent
    else:
        summary = log.summary
        summary.elapsed_seconds = elapsed
    result = ToggleRun(_exit_code(summary, runner), plan, summary, path, before, stats)
    if runner.log_error is not None:
        result.notes.append(f"{runner.log_error}: stopped at once; {runner.sent_flows} flows were sent, "
                            f"{runner.unrecorded} of them without a final line")
    if runner.abort_reason:
        result.notes.append(f"aborted: {runner.abort_reason}; the flows not attempted are marked so")
    if runner.interrupted:
        result.notes.append(f"interrupted: flows without a line were not sent; continue with: {hint}")
    if done:
        result.notes.append(f"resumed run {run_id}: {len(done)} flows with a final line were not touched again")
    unexported = read.unexported_note() if verb != "delete" else read.unexported_note(
        "so they were not deleted: their before copy could not bring them back whole; delete them again once "
        "Export Flow answers")
    result.notes += [note for note in (read.missing_note(), unexported) if note]
    return result


class _Toggler:
    """One flow's action: the request (its attempt record first), the read back, its result line."""

    def __init__(self, runner: Runner, client: BatchClient, log: ResultLog, verb: Verb, before: Path,
                 timeout: float) -> None:
        self.runner, self.client, self.log, self.verb = runner, client, log, verb
        self.before, self.timeout = str(before), timeout
        self.wanted, self.status_done = WANTED.get(verb), DONE_STATUS[verb]

    def record(self, action: ToggleAction, status: str, exchange: Exchange | None, begun: float,
               active_after: int | None, msg: str = "", code: str | None = None) -> None:
        from migrate.engine.runner import Exchange

        exchange = exchange or Exchange()
        answer = exchange.answer
        self.log.record(
            rows=[], source_key=f"flow {action.flow_id}", flow_id=action.flow_id, name=action.name or None,
            status=status, attempts=exchange.attempts, http_status=answer.http_status if answer else None,
            code=code or (answer.code if answer else exchange.code), msg=msg or exchange.msg,
            elapsed_ms=round((time.monotonic() - begun) * 1000, 1), latency_ms=exchange.latency_ms,
            target=f"flow {action.flow_id}", action=self.verb, active_before=action.active,
            active_after=active_after, before=self.before,
            **({"changed": ["active"]} if status == self.status_done else {}),
        )
        self.runner.on_record(status)  # the progress, as a run's records

    async def one(self, action: ToggleAction) -> None:
        from migrate.engine.runner import Exchange, never_applied
        from migrate.results.log import ResultLogError

        begun, runner = time.monotonic(), self.runner
        if action.action == IN_DOUBT:
            read_now = await self._read_in_doubt(action, begun)
            if read_now is None:
                return
            action = read_now
        if action.action == LANDED:
            self.record(action, self.status_done, None, begun, WANTED[self.verb],
                        f"an earlier try of this run's {self.verb} had landed: read now, active {WANTED[self.verb]}")
            return
        if action.action == "unchanged":
            self.record(action, "unchanged", None, begun, action.active, f"already {self.status_done}")
            return
        if action.action in (KEPT, LEFT_OUT):
            self.record(action, "failed", None, begun, action.active, action.why)
            return
        if action.action == NOT_ALLOWED:
            self.record(action, "invalid", None, begun, action.active, action.why, code="NO_PRIVILEGE")
            return
        if action.action == CHANGED:
            self.record(action, "stale", None, begun, action.active, action.why)
            return
        if runner.abort_reason is not None:
            self.record(action, "not_attempted", Exchange(code=runner.abort_code), begun, action.active,
                        f"not attempted: {runner.abort_reason}")
            return
        sent = False

        def intent() -> None:  # the last moment before the request leaves, as for a save
            nonlocal sent
            self.log.attempt(source_key=f"flow {action.flow_id}", target=f"flow {action.flow_id}",
                             flow_id=action.flow_id, action=self.verb, timeout_s=self.timeout)
            if not sent:
                sent = True
                runner.sent_flows += 1

        call = {"enable": self.client.enable_flow, "disable": self.client.disable_flow,
                "delete": self.client.delete_flow}[self.verb]
        try:
            answer = await runner._send(lambda: call(action.flow_id, on_send=intent))
            if self.verb == "delete":
                await self._deleted(action, answer, begun, sent)
                return
            if answer.result != "ok":
                if answer.result == "stopped" and not sent:
                    return  # no line: a resumed run sends it
                if sent and answer.result != "stopped" and not never_applied(answer, sent):
                    await self._landed_anyway(action, answer, begun)
                    return
                status = "not_attempted" if never_applied(answer, sent) else "failed"
                self.record(action, status, answer, begun, None)
                return
            # Read back: the line says what the service holds now, not what was asked of it.
            back, data = await self._read(action.flow_id)
            if data is None:
                self.record(action, self.status_done, answer, begun, None,
                            f"{self.status_done}, but it could not be read back: "
                            f"{back.msg or 'the run stopped first'}")
                return
            after = _active(data.get("active"))
            if after != self.wanted:
                self.record(action, "failed", answer, begun, after,
                            f"the service answered ok, but reading it back says active {after}")
            else:
                self.record(action, self.status_done, answer, begun, after)
        except ResultLogError:
            runner.unrecorded += sent
            raise

    async def _landed_anyway(self, action: ToggleAction, answer: Exchange, begun: float) -> None:
        """A request sent but not answered ok (its answer lost, a 5xx, the retries given up): it may
        have landed all the same, so the flow is read back. As wanted: the change's line, saying
        so; else, or unread, `failed` with the request's answer."""
        _, data = await self._read(action.flow_id)
        now = _active(data.get("active")) if data is not None else None
        if now is not None and now == self.wanted:
            self.record(action, self.status_done, answer, begun, now,
                        f"its answer was not ok ({answer.msg or answer.result}), but reading it back shows it landed")
        else:
            self.record(action, "failed", answer, begun, now)

    async def _read_in_doubt(self, action: ToggleAction, begun: float) -> ToggleAction | None:
        """A flow an earlier try of this run sent a request for (in flight when it died, or
        failed), which the selection no longer finds: as wanted now, its request landed (`landed`);
        else it is not sent again, since it is no longer selected (a `failed` line says so). None:
        its line is written here (not as wanted, not there, not read)."""
        from migrate.service.answers import INVALID_PARAMETER

        back, data = await self._read(action.flow_id)
        if data is not None:
            now = _active(data.get("active"))
            name = str(data.get("flowName") or action.name)
            if now == self.wanted:
                return ToggleAction(action.flow_id, name, action.active, LANDED)
            self.record(ToggleAction(action.flow_id, name, action.active, self.verb), "failed", back, begun, now,
                        f"an earlier try of this run's {self.verb} did not land (active {now} now), and the "
                        "selection no longer finds this flow: not sent again")
            return None
        if back.result == "stopped":
            return None  # no line: a later resume reads it
        gone = back.answer is not None and back.answer.code == INVALID_PARAMETER
        self.record(action, "failed", back, begun, None,
                    f"an earlier try of this run's {self.verb} was sent for this flow, which "
                    + ("is not there any more (deleted since?)" if gone else
                       f"could not be read to see whether it landed: {back.msg or 'no answer'}"))
        return None

    async def _read(self, flow_id: str) -> tuple[Exchange, dict[str, Any] | None]:
        """Get Flow: the exchange, and the flow when it was read."""
        back = await self.runner._send(lambda: self.client.get_flow(flow_id))
        data = back.answer.data if back.result == "ok" and back.answer is not None else None
        return back, data if isinstance(data, dict) else None

    async def _deleted(self, action: ToggleAction, answer: Exchange, begun: float, sent: bool) -> None:
        """A delete's line: `deleted` once a Get Flow says the flow is not there (a retried delete
        the service refuses because its first try did it counts), else `failed` with the answer."""
        from migrate.engine.runner import never_applied
        from migrate.service.answers import INVALID_PARAMETER

        runner = self.runner
        if answer.result == "stopped" and not sent:
            return  # no line: a resumed run sends it
        if answer.result != "ok" and (answer.answer is None or answer.answer.code != INVALID_PARAMETER):
            status = "not_attempted" if never_applied(answer, sent) else "failed"
            self.record(action, status, answer, begun, action.active)
            return
        back = await runner._send(lambda: self.client.get_flow(action.flow_id))
        gone = back.answer is not None and back.answer.code == INVALID_PARAMETER
        if gone:
            self.record(action, "deleted", answer, begun, None,
                        "" if answer.result == "ok" else "already gone: an earlier try of this delete did it")
        else:
            self.record(action, "failed", answer, begun, action.active,
                        answer.msg if answer.result != "ok" else "the service answered ok, but the flow is still there")


def delete_waves(todo: list[ToggleAction], flows: dict[str, dict[str, Any]]) -> list[list[ToggleAction]]:
    """The deletes in waves: a flow goes once every selected flow that depends on it (its graph's
    `flows`) went in an earlier wave. A cycle (the service does not allow one) goes last, as it is."""
    from migrate.reconcile.compare import remote_graph

    chosen = {a.flow_id: a for a in todo}
    depends_on = {flow_id: {str(f.get("flowId")) for f in remote_graph(flows.get(flow_id, {})).get("flows") or []
                            if isinstance(f, dict)} & set(chosen) for flow_id in chosen}
    waves, left = [], dict(chosen)
    while left:
        wanted = {dep for flow_id in left for dep in depends_on[flow_id]}
        wave = [action for flow_id, action in left.items() if flow_id not in wanted]
        if not wave:
            wave = list(left.values())
        waves.append(wave)
        for action in wave:
            del left[action.flow_id]
    return waves


def _in_doubt(path: Path, run_id: str, failed_too: bool = True) -> dict[str, str]:
    """flow id -> name, of the flows this run had a request in flight for when it died (an attempt
    record with no final line after it), or whose last line is `failed` (its change may have landed
    after all): a resume reads each one."""
    from migrate.results.log import read_log

    in_doubt: dict[str, str] = {}
    if path.is_file():
        for line in read_log(path, attempts=True):
            if line.get("run_id") == run_id and line.get("flow_id") is not None:
                flow_id = str(line["flow_id"])
                if line.get("status") == "attempt" or (failed_too and line.get("status") == "failed"):
                    in_doubt[flow_id] = str(line.get("name") or in_doubt.get(flow_id) or "")
                else:
                    in_doubt.pop(flow_id, None)
    return in_doubt


def _held_before(before: Path) -> dict[str, dict[str, Any]]:
    """The flows of the before file by id (none when there is none)."""
    return {str(f.get("flowId")): f for f in _snapshot_lines(before)} if before.is_file() else {}


def _record_landed_deletes(log: ResultLog, in_doubt: dict[str, str], plan: TogglePlan, done: dict[str, str],
                           before: Path) -> None:
    """On resume: a flow the dead run had a delete in flight for (an attempt, no final line), and
    that the selection no longer finds, was deleted by it."""
    live = {a.flow_id for a in plan.actions}
    held = _held_before(before)
    for flow_id in sorted(set(in_doubt) - live - set(done)):
        name = str(held.get(flow_id, {}).get("flowName") or in_doubt[flow_id])
        log.record(rows=[], source_key=f"flow {flow_id}", flow_id=flow_id, name=name or None, status="deleted",
                   attempts=0, msg="the interrupted run's delete had landed: the flow is gone",
                   target=f"flow {flow_id}", action="delete", before=str(before))


# On resume, the actions of flows a dead run left in doubt (see `_settled_in_doubt`).
LANDED, IN_DOUBT = "landed", "in doubt"
KEPT = "kept"  # a delete's flow whose tasks' bodies Export Flow could not read: not deleted
CHANGED = "changed"  # a resumed delete's flow changed since the before file held it: not deleted (`stale`)
LEFT_OUT = "left out"  # a resume's: a flow the run selected first, which this resume's selection does not find
NOT_ALLOWED = "invalid"  # a flow the service will not let the caller change (`_not_allowed`): not sent
UNSENT = ("unchanged", KEPT, CHANGED, LEFT_OUT, NOT_ALLOWED)  # actions that send nothing


def _selected_otherwise(before: Path, selection: Selection) -> bool:
    """Whether a resume was given another selection than its run began with (its before file's
    header says that one). With the same, a flow it no longer finds moved out of it in the
    service (a flow left in doubt so is read: `_settled_in_doubt`)."""
    from migrate import snapshots

    if not before.is_file():
        return False  # the run died before writing it: it changed nothing
    started = snapshots.read(before).header.get("selection")
    return isinstance(started, dict) and started != selection.as_json()


def _left_out(todo: list[ToggleAction], done: dict[str, str], in_doubt: dict[str, str], before: Path,
              selection: Selection) -> list[ToggleAction]:
    """A resume given another selection than its run's: the flows the run selected first (its
    before file holds them) that it has not finished and that this selection does not find. Each
    is `failed`, saying so: left without a line, the run would end as if whole with them undone."""
    handled = set(done) | set(in_doubt) | {a.flow_id for a in todo}
    return [ToggleAction(flow_id, str(flow.get("flowName") or ""), _active(flow.get("active")), LEFT_OUT, (
                f"NOT_RESUMED: selected when this run began (its before file {before.name} holds it) and not "
                f"finished, but the resume's selection ({selection.describe()}) does not find it: not changed; "
                "resume with the run's first selection to finish it"))
            for flow_id, flow in sorted(_held_before(before).items()) if flow_id not in handled]


def _changed_since_held(todo: list[ToggleAction], flows: list[dict[str, Any]], before: Path) -> list[ToggleAction]:
    """A resumed delete: a flow its before file holds as the run first read it, but that was
    changed since (by hand, by another run), is not deleted: its before copy would bring back the
    older flow, and the change would be lost with no file holding it."""
    from migrate.reconcile.diff import fingerprint

    held = _held_before(before)
    live = {str(flow.get("flowId")): flow for flow in flows}
    settled = []
    for action in todo:
        then, now = held.get(action.flow_id), live.get(action.flow_id)
        if action.action == "delete" and then is not None and now is not None \
                and fingerprint(then) != fingerprint(now):
            who = f" by {now.get('updateUser')}" if now.get("updateUser") else ""
            action = ToggleAction(action.flow_id, action.name, action.active, CHANGED, (
                f"changed since this run's before file {before.name} held it (updated{who} at "
                f"{now.get('updateTime') or '?'}): not deleted, since its before copy would bring back the older "
                "flow; delete it with a new run (a new before file) if it is still to go"))
        settled.append(action)
    return settled


def _settled_in_doubt(todo: list[ToggleAction], plan: TogglePlan, in_doubt: dict[str, str], done: dict[str, str],
                      before: Path) -> list[ToggleAction]:
    """An enable or disable resumed: a flow the dead run had a request in flight for that the
    selection finds as wanted now was changed by that request (`landed`: its line says so, not
    `unchanged`, or the summary would count one change too few); one the selection no longer finds
    is read by id when its turn comes (`in doubt`). Its `active` before is the before file's."""
    held = _held_before(before)

    def active_before(flow_id: str, now: int | None) -> int | None:
        return _active(held[flow_id].get("active")) if flow_id in held else now

    settled = [ToggleAction(a.flow_id, a.name, active_before(a.flow_id, a.active), LANDED)
               if a.flow_id in in_doubt and a.action == "unchanged" else a for a in todo]
    selected = {a.flow_id for a in plan.actions}
    settled += [ToggleAction(flow_id, str(held.get(flow_id, {}).get("flowName") or name),
                             active_before(flow_id, None), IN_DOUBT)
                for flow_id, name in sorted(in_doubt.items()) if flow_id not in selected and flow_id not in done]
    return settled


def _write_before(path: Path, plan: TogglePlan, todo: list[ToggleAction], resume: bool) -> None:
    """The before snapshot: the flows about to change, as read just now. A resume keeps the lines
    of an earlier writing as they are (a flow changed by the interrupted run was read then, before
    it changed) and adds the flows it did not hold."""
    changing = {a.flow_id for a in todo if a.action not in (*UNSENT, LANDED, IN_DOUBT)}  # those were held
    kept = list(_snapshot_lines(path)) if resume and path.is_file() else []
    held = {str(flow.get("flowId")) for flow in kept}
    added = [flow for flow in plan.read.flows if str(flow.get("flowId")) in changing - held]
    flows = sorted([*kept, *added], key=lambda flow: (len(str(flow.get("flowId"))), str(flow.get("flowId"))))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_snapshot(path, ExportResult(plan.read.target, plan.read.org, plan.read.listed, flows), plan.selection)
