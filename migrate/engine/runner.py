"""Save flows concurrently: a fixed pool of workers fed by a bounded queue, every request paced,
transient failures retried with exponential backoff and full jitter, a circuit breaker for
answers that mean no further request can succeed, a graceful stop on request, and no write at
all for a flow whose desired state is already there.

Crash safety with requests in flight: just before a save (or import) request leaves, an
`attempt` record goes to the result log. A flow whose last record is an attempt was sent by a
run that died before it knew the outcome: that request may still land. Such a flow is "in doubt":
it is sent last, once its old request's time limit (its record's time + `request_timeout`) has
passed, and read back after the save; a difference is `failed`, never `saved`.

A save or Import sent and not answered ok (its retries given up, its answer lost) may have
landed all the same: the flow is read back (a save as wanted is `saved`, an Import's flow found
is saved into, never imported twice). Where that read fails, the line is `failed`, and a resume
knows from the log that a request left (results/history.py): with a saved plan, a flow that
moved to the planned payload is `saved`, not `stale`, and an Import's flow is found and saved.

After the flows, and only when every flow of the source went through (no interrupt, abort or
stop), the disables: with `--prune disable` every orphan (a live flow carrying our marker whose
key is in no flow of the source, valid or not) still active is disabled, each with its `attempt`
record and a `disabled` line; with a saved plan, its `disable` actions, each still as planned."""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from array import array
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from migrate.config import RunSettings
from migrate.engine.pacing import RequestPacer, Stopped, StopSignal
from migrate.mapping.flows import InvalidFlow, ReadyFlow, marker_digest
from migrate.mapping.identity import marker_of
from migrate.reconcile.compare import changed_fields, differences, remote_graph
from migrate.reconcile.diff import TASK_BODY_DIFFERS, Action, body_differs, orphan_action, orphan_marker, sent_facts
from migrate.reconcile.live import LiveFlows, MadeBefore, ReadFailed, Refusal, listed_flows, live_marker
from migrate.reconcile.saved_plan import AS_PLANNED, OUTSIDE_PLAN, PlannedDisable, SavedPlan
from migrate.reconcile.targets import RebindError, aimed_at_live_tasks, import_body, rebind, root_directory
from migrate.results.log import NAMED_FAILURE, ResultLog, ResultLogError
from migrate.service.answers import (
    FATAL_CODES,
    INVALID_PARAMETER,
    Answer,
    backoff_seconds,
    describe_error,
    is_transient,
)
from migrate.service.client import BatchClient
from migrate.service.model import payload_sha256
from migrate.service.tokens import TokenError


@dataclass
class Exchange:
    """One request carried through its retries ("stopped": a stop request came first)."""

    result: Literal["ok", "failed", "refused", "stopped"] = "failed"
    answer: Answer | None = None
    attempts: int = 0
    msg: str = ""
    code: int | None = None
    latency_ms: float | None = None
    flow_id: str | None = None  # a flow made on the way (an Import that landed), when a later step failed
    # Why the job cannot be saved into the live service as it is (a code the plan gives too:
    # NAME_TAKEN, TASKS_DIFFER…): nothing was sent that changes a flow; an `invalid` line, as in the plan.
    invalid: str | None = None


@dataclass
class Memory:
    """What earlier runs left: `done` (resume) maps a flow's target (`flow 12` or `name 'x'`) to
    the input hash of its final `saved` line in this run; `last_saved` (compare = "log") the same
    from every earlier log."""

    done: Mapping[str, str] = field(default_factory=dict)
    last_saved: Mapping[str, str] = field(default_factory=dict)
    saved_in: Mapping[str, str] = field(default_factory=dict)  # target -> the flow its last_saved line names
    # target -> when (epoch seconds) the last request of a dead run may no longer land: flows
    # whose last record is an `attempt` with no final line after it.
    in_doubt: Mapping[str, float] = field(default_factory=dict)
    # Of this run's own flows (a resume), those it sent an Import for since their last line other
    # than `failed` or `not_attempted` (in doubt, or given up or stopped after the Import left): a
    # flow found there now is the one that Import made.
    imports_in_doubt: frozenset[str] = frozenset()
    # This run's own flows (a resume) whose last line is `failed` (or `not_attempted`) after a
    # request that changes the flow was sent: that request may have landed all the same.
    sent_before: frozenset[str] = frozenset()


class Runner:
    def __init__(
        self,
        client: BatchClient,
        settings: RunSettings,
        log: ResultLog,
        on_record: Callable[[str], None] = lambda status: None,
        memory: Memory | None = None,
        settings_dir_id: str | None = None,
        stop: StopSignal | None = None,
        pacer: RequestPacer | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.log = log
        self.memory = memory or Memory()
        self.stop = stop or StopSignal()  # ends every wait at once: pacing, backoff, pauses, doubt
        # The client takes every request's turn (after its token is in hand); the runner slows
        # and pauses the same pacer on the service's answers.
        self.pacer = pacer or RequestPacer(settings.rate_per_second, settings.rate_headroom, self.stop)
        if pacer is None:
            client.pace = self.pacer.acquire
        self.rng = random.Random(settings.seed)
        self.on_record = on_record
        self.abort_reason: str | None = None
        self.abort_code: int | None = None
        self.interrupted = False
        self.log_error: ResultLogError | None = None  # the result log could not be written: stop
        self.mapping_error: str | None = None  # the mapping process stopped unexpectedly: the run stopped
        self.sent_flows = 0  # flows with at least one save or import request sent
        self.unrecorded = 0  # of those, flows whose final line could not be written
        self.skipped = 0  # flows a resumed run found already saved
        self.in_doubt_sent = 0  # flows a crashed run may have left a request in flight for
        self._bug: BaseException | None = None
        self._live: LiveFlows | None = None
        self.marker_scopes: frozenset[str] = frozenset()  # our identity markers' scopes (none: found by name only)
        self.made_before: MadeBefore | None = None  # an earlier run's flow of a source key (results/history.py)
        self._names_lock = asyncio.Lock()
        self._dir_id: str | None = settings_dir_id
        self.saved_plan: SavedPlan | None = None  # run --plan: only its changes, only if still current
        self.outside_plan = 0  # flows a saved plan does not change: not touched, no line
        self.prune: str | None = None  # "disable": orphans disabled once every flow went through
        # The marker digest of every flow of the source, valid or not, as 64-bit numbers (8 bytes
        # a flow): what is not an orphan. Only with `prune`.
        self._wanted = array("Q")
        self.prune_note: str | None = None  # what the disables did, or why they were not done
        self.prune_failed = False  # the orphans could not be found: nothing was disabled
        self.invalid_seen = 0  # invalid source rows: any blocks --prune (one may be an orphan's job)
        # A runbook's run (engine/runbook.py): what its saves are called (`restored`), and what every
        # line carries besides (the path of its before snapshot).
        self.saved_status = "saved"
        self.line_extra: dict[str, Any] = {}

    def _abort(self, code: int | None, reason: str) -> None:
        if self.abort_reason is None:
            self.abort_reason, self.abort_code = reason, code

    def interrupt(self) -> None:
        """Stop taking new work; requests in flight finish and are recorded."""
        self.interrupted = True
        self.stop.set()

    @property
    def stopping(self) -> bool:
        return self.interrupted or self.log_error is not None or self._bug is not None

    def _log_failed(self, error: ResultLogError) -> None:
        """No line can be written: no new request either (a request without its line is one a
        resume cannot account for); the requests in flight finish."""
        if self.log_error is None:
            self.log_error = error
        self.stop.set()

    def _record(self, flow: ReadyFlow | InvalidFlow, line: dict[str, Any]) -> None:
        """A flow's final line. Its fields go as one dict from here to the log: passed as
        keywords they were packed anew at each of three calls, once a flow."""
        if line["status"] == "saved":
            line["status"] = self.saved_status
        self.log.record_line({"rows": flow.rows, "source_key": flow.source_key, **line,
                              "warnings": list(flow.warnings), **({"proof": flow.proof} if flow.proof else {}),
                              **self.line_extra})
        self.on_record(line["status"])

    def record_invalid(self, flow: InvalidFlow) -> None:
        self._record(flow, {
            "flow_id": flow.flow_id or None, "name": flow.name or None, "status": "invalid", "attempts": 0,
            "code": next((e.code for e in flow.errors if e.code), None),
            "errors": [e.model_dump(exclude_none=True) for e in flow.errors],
            "msg": "; ".join(e.sentence() for e in flow.errors),
        })

    def _record_flow(self, flow: ReadyFlow, status: str, sha: str, exchange: Exchange | None = None,
                     started: float | None = None, msg: str = "", flow_id: str | None = None,
                     input_sha: str | None = None, body: bytes | None = None,
                     compared: list[str] | None = None, code: str | None = None) -> None:
        exchange = exchange or Exchange()
        answer = exchange.answer
        line: dict[str, Any] = {
            "flow_id": flow_id or (None if flow.needs_id else flow.flow_id), "name": flow.name, "status": status,
            "attempts": exchange.attempts, "http_status": answer.http_status if answer else None,
            "code": code if code is not None else answer.code if answer else exchange.code,
            "msg": msg or exchange.msg,
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1) if started else None,
            "latency_ms": exchange.latency_ms, "payload_sha256": sha, "target": flow.target,
            "input_sha256": input_sha or sha,
        }
        with_payload = self.settings.log_payload and body is not None
        if flow.freq is not None and not with_payload and (body is None or body is flow.body):
            # The flow's own body: its freq and cycle came with it from the mapping, not parsed again.
            line["freq"], line["cycle"] = flow.freq, flow.cycle
            if compared is not None:
                line["changed"] = compared
        else:
            line.update(sent_facts(body or flow.body, compared, with_payload))
        self._record(flow, line)

    def _record_not_attempted(self, flow: ReadyFlow) -> None:
        self._record_flow(flow, "not_attempted", flow.sha256,
                          Exchange(code=self.abort_code), msg=f"not attempted: {self.abort_reason}")

    async def run(self, flows: AsyncGenerator[ReadyFlow | InvalidFlow, None]) -> None:
        queue = _FlowQueue(self.settings.concurrency * 2)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.settings.concurrency)]
        in_doubt: list[ReadyFlow] = []
        # What earlier runs left, looked up only when there is any (a first run has none): a
        # flow's target is text made anew at each use.
        done, doubted = self.memory.done, self.memory.in_doubt
        try:
            async for flow in flows:
                if self.stopping:
                    break
                if self.prune is not None and self.marker_scopes:
                    self._want(flow)
                if isinstance(flow, InvalidFlow):
                    self.invalid_seen += 1
                    self.record_invalid(flow)
                elif self.abort_reason is not None:
                    self._record_not_attempted(flow)
                elif done and done.get(flow.target) == flow.sha256:
                    self.skipped += 1  # saved by the run being resumed: its line is there already
                elif doubted and flow.target in doubted:
                    in_doubt.append(flow)  # last: by then its old request's time is usually up
                else:
                    await queue.put(flow)
            for flow in in_doubt:
                if self.stopping:
                    break
                await queue.put(flow)
        except ResultLogError as error:
            self._log_failed(error)
        finally:
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
            await flows.aclose()  # stops reading the source early
        if self._bug is not None:
            raise self._bug

    async def _worker(self, queue: _FlowQueue) -> None:
        # A flow is carried right here, not in a coroutine of its own: every resumption of a
        # request passes through each coroutine that awaits it, a few times a flow.
        while (flow := await queue.get()) is not None:
            if self.stopping:
                continue  # no line: a resumed run sends it
            sending = _Sending()
            try:
                if self.abort_reason is not None:
                    self._record_not_attempted(flow)
                    continue
                await self._carry(flow, sending)
            except ResultLogError as error:
                self.unrecorded += sending.sent  # sent, and its final line could not be written
                self._log_failed(error)
            except Exception as error:  # a bug: stop the run rather than leave the queue unread
                self._bug = self._bug or error
                self.stop.set()

    def _intent(self, flow: ReadyFlow, sending: _Sending, action: str, flow_id: str, sha: str) -> Callable[[], None]:
        """What runs just before a request that may change the flow leaves: its `attempt` record."""

        def record() -> None:
            self.log.attempt(source_key=flow.source_key, target=flow.target, flow_id=flow_id or None,
                             action=action, payload_sha256=sha, timeout_s=self.settings.request_timeout)
            if not sending.sent:
                sending.sent = True
                self.sent_flows += 1

        return record

    async def _carry(self, flow: ReadyFlow, sending: _Sending) -> None:
        started = time.monotonic()
        body = flow.body
        input_sha = sha = flow.sha256
        doubt_until = self.memory.in_doubt.get(flow.target) if self.memory.in_doubt else None
        if doubt_until is not None:
            # A dead run's request for this flow may still land: let its time limit pass first.
            if await self.stop.sleep(doubt_until - time.time()):
                return  # stopped first: nothing sent, no line, still in doubt for the next resume
            self.in_doubt_sent += 1
        if self.saved_plan is not None:
            try:
                verdict = await self.saved_plan.verdict(flow, self.read_flow, self._live_flows,
                                                        flow.target in self.memory.imports_in_doubt)
            except ReadFailed as failed:  # not a flow that moved: one that could not be seen
                exchange: Exchange = failed.failure
                if exchange.result == "stopped" or self.stopping:
                    return  # the check was cut short by the stop: nothing sent, no line (a resume checks it again)
                planned = self.saved_plan.planned.get(flow.source_key)
                # Refused for the run's credentials (the run aborts): nothing of it was tried, as
                # every flow after it is `not_attempted`; any other failure to read is its own.
                refused = exchange.result == "refused" or self.abort_reason is not None
                self._record_flow(flow, "not_attempted" if refused else "failed", input_sha, exchange, started,
                                  f"{failed}: {exchange.msg}; not touched",
                                  flow_id=planned.flow_id if planned is not None and planned.flow_id else None)
                return
            if verdict == OUTSIDE_PLAN:
                found_invalid = self.saved_plan.refused.get(flow.source_key)
                if found_invalid is not None and found_invalid[0] != flow.sha256:  # the export changed (or the row
                    # the plan found invalid is one now, with no payload planned)
                    self._record_flow(flow, "stale", input_sha, started=started,
                                      msg="stale: the export changed since the plan was made (another payload); "
                                          "plan again")
                    return
                if found_invalid is not None:  # said again, as the plan said it: no run ends as if all went well
                    named = NAMED_FAILURE.match(found_invalid[1])
                    self._record_flow(flow, "invalid", input_sha, started=started,
                                      msg=f"{found_invalid[1]} (so found by the plan {self.saved_plan.path.name}; "
                                          "not touched)", code=named[1] if named else None,
                                      flow_id=found_invalid[2] or None)
                    return
                self.outside_plan += 1
                return
            if verdict is not None and self.stopping:
                return  # the check was cut short by the stop: nothing sent, no line (a resume checks it again)
            if verdict is not None:
                planned = self.saved_plan.planned.get(flow.source_key)
                planned_id = planned.flow_id if planned is not None and planned.flow_id else None
                if verdict == AS_PLANNED:
                    # It moved, to the planned payload: this run's own earlier try landed, or
                    # someone made it so; either way nothing is left to send.
                    earlier = doubt_until is not None or flow.target in self.memory.sent_before
                    self._record_flow(flow, "saved" if earlier else "unchanged", input_sha, started=started,
                                      flow_id=planned_id, msg=EARLIER_SAVE_LANDED if earlier else ALREADY_AS_PLANNED)
                else:
                    self._record_flow(flow, "stale", input_sha, started=started, msg=verdict, flow_id=planned_id)
                return
        if self.settings.compare == "log" and self.memory.last_saved.get(flow.target) == input_sha \
                and await self._still_listed(self.memory.saved_in.get(flow.target)):
            self._record_flow(flow, "unchanged", input_sha, msg="the same payload was saved by an earlier run",
                              flow_id=self.memory.saved_in.get(flow.target) or None)
            return
        status, note = "saved", ""
        verify = self.settings.verify or doubt_until is not None
        wanted = json.loads(body) if verify or self.settings.compare == "remote" else {}
        flow_id = flow.flow_id
        found: tuple[dict[str, Any], str] | Exchange | None = None
        if flow.needs_id:
            found = await self._find_or_create(flow, sending)
        elif self.settings.create_missing:
            found = await self._create_with_id(flow, sending)
        if found is not None:
            if isinstance(found, Exchange):
                if found.invalid is not None:
                    self._record_flow(flow, "invalid", input_sha, found, started, flow_id=found.flow_id,
                                      code=found.invalid)
                    return
                if found.result == "stopped" and not sending.sent:
                    return
                if found.result == "stopped":  # the Import went out; what followed was cut short
                    found.msg = found.msg or STOPPED_AFTER_SEND
                found.attempts += sending.attempts  # an Import that made the flow before what failed
                status = "not_attempted" if found.result == "refused" and not found.attempts else "failed"
                self._record_flow(flow, status, input_sha, found, started, flow_id=found.flow_id)
                return
            wanted, status = found
            if status in ("created", _MADE_AND_SAVED) and _bodies_missing(flow) and wanted.get("active") != 0:
                # Import made its tasks empty (the snapshot holds no bodies): a schedule firing them
                # is worse than one that waits, as `migrate restore` creates such a flow.
                wanted, status, note = {**wanted, "active": 0}, "created", CREATED_INACTIVE
            flow_id = str(wanted["id"])
            body, sha = _wire(wanted)
            if status == _MADE_AND_SAVED:
                self._record_flow(flow, "created", sha, started=started, flow_id=flow_id, input_sha=input_sha,
                                  msg=EARLIER_IMPORT_AND_SAVE_LANDED)
                return
        compared: list[str] | None = None  # the fields a comparison found different (result line: `changed`)
        if self.settings.compare == "remote" and status == "saved":
            read = await self._send(lambda: self.client.get_flow(flow_id))
            if read.result == "ok" and read.answer is not None:
                anew = _anew(wanted, flow_id, remote_graph(read.answer.data)) if not flow.needs_id else None
                if anew is not None:
                    wanted, note = anew, TASKS_MADE_ANEW
                    body, sha = _wire(wanted)
                if flow.commands:  # read anyway: a flow whose tasks a save cannot make the export's is not saved
                    differs = await self._bodies_differ(flow, flow_id, wanted)
                    if differs:
                        self._record_flow(flow, "invalid", sha, started=started, flow_id=flow_id, input_sha=input_sha,
                                          msg=f"{TASK_BODY_DIFFERS}: {differs}", code=TASK_BODY_DIFFERS)
                        return
                compared = [name for name, _, _ in changed_fields(wanted, remote_graph(read.answer.data))]
                if not compared:
                    self._record_flow(flow, "unchanged", sha, read, started, "the live flow already matches",
                                      flow_id=flow_id, input_sha=input_sha, compared=compared)
                    return
            elif read.result == "stopped":
                return
            elif read.answer is not None and read.answer.code == INVALID_PARAMETER and not flow.needs_id \
                    and not self.settings.create_missing:  # read: not there, so a save would only be refused
                self._record_flow(flow, "failed", sha, read, started, f"NOT_FOUND: flow {flow_id} is not in the "
                                  "service; set run.create_missing = true to create it", flow_id=flow_id,
                                  input_sha=input_sha)
                return
            elif read.result == "refused" or self.abort_reason is not None:
                self._record_flow(flow, "failed", sha, read, started, flow_id=flow_id, input_sha=input_sha)
                return
        intent = self._intent(flow, sending, "save", flow_id, sha)
        saved = await self._send(lambda: self.client.save_flow(body, on_send=intent))
        if saved.answer is not None and saved.answer.code == INVALID_PARAMETER and status == "saved" \
                and not flow.needs_id and note != TASKS_MADE_ANEW and not self.stopping:
            # Refused: perhaps its tasks are the service's own since Import made it anew (an earlier
            # run's create_missing, a restore), which ours do not name by id: aimed at them, once.
            read = await self._send(lambda: self.client.get_flow(flow_id))
            live = remote_graph(read.answer.data) if read.result == "ok" and read.answer is not None else None
            anew = _anew(wanted or json.loads(body), flow_id, live) if live is not None else None
            if anew is not None:
                wanted, note = anew, TASKS_MADE_ANEW
                body, sha = _wire(wanted)
                intent = self._intent(flow, sending, "save", flow_id, sha)
                saved = await self._send(lambda: self.client.save_flow(body, on_send=intent))
        if saved.result != "ok":
            if saved.result == "stopped" and not sending.sent:
                return
            if saved.result == "stopped" and status == "created" and not saved.attempts:
                saved.msg = _stopped_after_import(flow_id)  # only the Import left: the save was never sent
                saved.attempts += sending.attempts
                self._record_flow(flow, "failed", sha, saved, started, flow_id=flow_id, input_sha=input_sha, body=body)
                return
            if saved.result == "stopped":
                saved.msg = saved.msg or STOPPED_AFTER_SEND
            elif saved.result == "failed" and not self.stopping and _may_have_landed(saved, earlier_tries=True) \
                    and await self._reads_as(flow_id, wanted or json.loads(body)):
                # Not answered ok, yet one of its tries landed (an answer lost after the service
                # applied it): saved as wanted, and never sent again by a resume.
                self._record_flow(flow, status, sha, saved, started, flow_id=flow_id, input_sha=input_sha,
                                  body=body, compared=compared,
                                  msg=f"its answer was not ok ({saved.msg or 'no answer'}), but reading it back "
                                      "shows it landed")
                return
            if status == "created":  # the flow exists now, though its save did not go through
                saved.msg = f"created as flow {flow_id} (Import), then its save: {saved.msg or 'no answer'}" \
                    + await self._unmade(flow_id, saved)
            status = "not_attempted" if never_applied(saved, sending.sent) else "failed"
            self._record_flow(flow, status, sha, saved, started, flow_id=flow_id, input_sha=input_sha, body=body,
                              compared=compared)
            return
        if verify:
            read = await self._send(lambda: self.client.get_flow(flow_id))
            changed = differences(wanted, remote_graph(read.answer.data)) if read.answer and read.result == "ok" \
                else ["the flow could not be read back: " + (read.msg or "the run stopped first")]
            if changed:
                saved.attempts += read.attempts
                why = (f"another writer changed flow {flow_id} after our save: a request of the interrupted run "
                       "may have landed late" if doubt_until is not None else "saved, but reading it back differs")
                self._record_flow(flow, "failed", sha, saved, started, f"{why}: " + "; ".join(changed),
                                  flow_id=flow_id, input_sha=input_sha)
                return
        if sending.attempts or sending.notes:  # the Import before the save: its tries, what became of it
            saved.attempts += sending.attempts
            note = "; then saved: ".join([*sending.notes, note or saved.msg or "OK"])
        self._record_flow(flow, status, sha, saved, started, note, flow_id=flow_id, input_sha=input_sha, body=body,
                          compared=compared)

    async def _bodies_differ(self, flow: ReadyFlow, flow_id: str, wanted: dict[str, Any]) -> str:
        """With compare = "remote": why, when a task's command in the source is not the live task's
        (Export Flow; reconcile/diff.py body_differs): Save cannot change it. Unread: empty."""
        try:
            return body_differs(flow, json.loads(flow.body), wanted, await self.read_exported(flow_id))
        except ReadFailed:
            return ""

    async def _unmade(self, flow_id: str, saved: Exchange) -> str:
        """A flow this run's Import just made whose save the service refused outright (its own
        refusal, not a lost answer or a 5xx): deleted again, so that no half-made flow (inactive,
        not as the source says) is left behind; what became of it, for its line."""
        answer = saved.answer
        if answer is None or is_transient(answer) or answer.code in FATAL_CODES or self.stopping:
            return ""  # it may yet be saved (a resume, the next run finds it by its marker)
        gone = await self._send(lambda: self.client.delete_flow(flow_id))
        if gone.result == "ok":
            return "; the flow Import made was deleted again: nothing of it is left"
        return f"; deleting the flow Import made failed too ({gone.msg or 'no answer'}): it is left, inactive"

    async def _reads_as(self, flow_id: str, wanted: dict[str, Any]) -> bool:
        """Whether Get Flow shows the flow as `wanted`: a save whose answer was not ok may have
        landed. A flow that cannot be read is not known to be as wanted."""
        read = await self._send(lambda: self.client.get_flow(flow_id))
        if read.result != "ok" or read.answer is None:
            return False
        return not changed_fields(wanted, remote_graph(read.answer.data))

    def _want(self, flow: ReadyFlow | InvalidFlow) -> None:
        """Note the flow's marker digest: its live flow, if any, is not an orphan."""
        digest = marker_digest(flow)
        if digest is not None:
            self._wanted.append(int(digest, 16))

    @property
    def whole_source_done(self) -> bool:
        """Every flow of the source went through: nothing interrupted, aborted or stopped the run."""
        return not self.stopping and self.abort_reason is None

    async def disable_orphans(self) -> None:
        """The last phase of a run: a saved plan's disables, or with `prune` the orphans found by
        the marker scan. Never after a run that did not go through every flow of the source."""
        if self.saved_plan is None and self.prune is None:
            return
        if not self.whole_source_done:
            self.prune_note = "orphans: not looked at, as the run did not go through every flow of the source"
            return
        if self.saved_plan is not None:
            await self._each(self._apply_planned_disable, self.saved_plan.disables)
            if self.saved_plan.disables:
                self.prune_note = f"the plan's disables: {len(self.saved_plan.disables)} orphans, each checked first"
        elif not self.marker_scopes:
            self.prune_note = ("--prune: identity markers are off (mapping.identity_marker): no flow can be told "
                               "to be an orphan; nothing was disabled")
        elif self.invalid_seen:
            rows = "1 source row is" if self.invalid_seen == 1 else f"{self.invalid_seen} source rows are"
            self.prune_note = (f"--prune {self.prune}: nothing was disabled, as {rows} "
                               "invalid: one of them may be an orphan's own job, whose key a typo changed; fix the "
                               "export and run again")
        else:
            await self._prune()

    async def _each(self, work: Callable[[Any], Awaitable[None]], items: list[Any]) -> None:
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(item: Any) -> None:
            async with gate:
                if self.stopping:
                    return  # no line: a resumed run does the disables again
                try:
                    await work(item)
                except ResultLogError as error:
                    self._log_failed(error)

        await asyncio.gather(*(one(item) for item in items))

    async def _prune(self) -> None:
        """Find the orphans with the marker scan (every flow the caller can edit, each read once
        in the run) and disable each active one."""
        live = await self._live_flows()
        if isinstance(live, Exchange):
            self._prune_failed(f"the live flows could not be listed (Get My Flow): {live.msg}")
            return
        seen_before, reads_before = live.known(), live.reads
        try:
            orphans = await live.orphans(f"{digest:016x}" for digest in self._wanted)
        except ReadFailed as failed:
            why = getattr(failed.failure, "msg", "") or ("the run was interrupted first" if self.interrupted
                                                          else self.abort_reason or "no answer")
            self._prune_failed(f"a live flow could not be read for the marker scan: {why}")
            return
        scanned = live.reads - reads_before

        async def one(orphan: tuple[str, str, str, str]) -> None:
            flow_id, name, scope, digest = orphan
            started = time.monotonic()
            try:  # read earlier in the run (maybe long ago): read again, as it is now
                data = await (live.fresh(flow_id) if flow_id in seen_before else live.read(flow_id))
            except ReadFailed as failed:
                exchange: Exchange = failed.failure
                if exchange.result == "stopped":
                    return  # no line: a resumed run does the disables again
                self._record_orphan(orphan_marker(scope, digest), flow_id, name, "failed", exchange, started,
                                    f"could not be read to be disabled: {exchange.msg}")
                return
            if live_marker(data) != (scope, digest):
                return  # no longer ours since the scan: not an orphan of this source
            action = orphan_action(scope, digest, flow_id, name, data, self.prune)
            await self._disable(action, started)

        await self._each(one, orphans)
        self.prune_note = (f"--prune {self.prune}: {len(orphans)} orphans found; finding them took {scanned} Get Flow "
                           "reads of flows not read before in this run")

    def _prune_failed(self, why: str) -> None:
        self.prune_failed = True
        self.prune_note = f"--prune {self.prune}: not done, nothing was disabled: {why}"

    async def _apply_planned_disable(self, planned: PlannedDisable) -> None:
        assert self.saved_plan is not None
        started = time.monotonic()
        verdict = await self.saved_plan.disable_verdict(planned, self.read_flow)
        if verdict.live is None and self.stopping:
            return  # the check's read was cut short by a stop: no line, nothing sent
        if verdict.status != "disable":
            self._record_orphan(planned.source_key, planned.flow_id, planned.name, verdict.status, verdict.failure,
                                started, verdict.message)
            return
        action = Action("disable", planned.source_key, planned.name, flow_id=planned.flow_id)
        await self._disable(action, started)

    async def _disable(self, action: Action, started: float) -> None:
        """Disable an orphan (action `disable`), or record why not (`orphaned`: inactive already)."""
        if action.action != "disable":
            self._record_orphan(action.source_key, action.flow_id, action.name, "orphaned", None, started,
                                "; ".join(str(e.get("message", "")) for e in action.errors))
            return
        if self.abort_reason is not None:
            self._record_orphan(action.source_key, action.flow_id, action.name, "not_attempted",
                                Exchange(code=self.abort_code), started, f"not attempted: {self.abort_reason}")
            return
        target, sending = f"flow {action.flow_id}", _Sending()

        def intent() -> None:  # the last moment before the request leaves, as for a save
            self.log.attempt(source_key=action.source_key, target=target, flow_id=action.flow_id, action="disable",
                             timeout_s=self.settings.request_timeout)
            if not sending.sent:
                sending.sent = True
                self.sent_flows += 1

        try:
            done = await self._send(lambda: self.client.disable_flow(action.flow_id, on_send=intent))
            if done.result == "ok":
                self._record_orphan(action.source_key, action.flow_id, action.name, "disabled", done, started,
                                    "orphaned (its key is no longer in the export): disabled, not deleted")
            elif done.result != "stopped" or sending.sent:
                status = "not_attempted" if never_applied(done, sending.sent) else "failed"
                self._record_orphan(action.source_key, action.flow_id, action.name, status, done, started)
        except ResultLogError:
            self.unrecorded += sending.sent
            raise

    def _record_orphan(self, source_key: str, flow_id: str, name: str, status: str, exchange: Exchange | None,
                       started: float, msg: str = "") -> None:
        exchange = exchange or Exchange()
        answer = exchange.answer
        self.log.record(
            rows=[], source_key=source_key, flow_id=flow_id, name=name or None, status=status,
            attempts=exchange.attempts, http_status=answer.http_status if answer else None,
            code=answer.code if answer else exchange.code, msg=msg or exchange.msg,
            elapsed_ms=round((time.monotonic() - started) * 1000, 1), latency_ms=exchange.latency_ms,
            target=f"flow {flow_id}", **({"changed": ["active"]} if status == "disabled" else {}),
        )
        self.on_record(status)

    async def _still_listed(self, flow_id: str | None) -> bool:
        """compare = "log": whether the flow an earlier run saved this payload into is still among
        the caller's flows (Get My Flow, once a run). One deleted in the service, or handed over,
        is gone from there: its job is saved as without the log (made again, or MADE_BEFORE), never
        called `unchanged`. A line that names no flow is trusted; a listing that fails trusts none."""
        if not flow_id:
            return True
        live = await self._live_flows()
        return not isinstance(live, Exchange) and flow_id in live.names

    async def _live_flows(self) -> LiveFlows | Exchange:
        """Get My Flow, once for the whole run."""
        async with self._names_lock:
            if self._live is None:
                read = await self._send(self.client.get_my_flows)
                if read.result != "ok" or read.answer is None:
                    return read
                self._live = LiveFlows(listed_flows(read.answer.data), self.marker_scopes, self.read_flow,
                                       made_before=self.made_before)
            return self._live

    async def read_flow(self, flow_id: str) -> dict[str, Any]:
        """Get Flow's data, paced and retried; ReadFailed carries the Exchange."""
        return _data(await self._send(lambda: self.client.get_flow(flow_id)))

    async def read_exported(self, flow_id: str) -> dict[str, Any]:
        """Export Flow's data (each task's body and settings), paced and retried; ReadFailed
        carries the Exchange."""
        return _data(await self._send(lambda: self.client.export_flow(flow_id)))

    async def _find_or_create(self, flow: ReadyFlow, sending: _Sending) -> tuple[dict[str, Any], str] | Exchange:
        """The payload aimed at our live flow of that name or marker (reconcile/live.py; status
        `saved`), or at a flow created now by Import (status `created`); or why neither could be done."""
        live = await self._live_flows()
        if isinstance(live, Exchange):
            return live
        wire = json.loads(flow.body)
        mark = marker_of(wire.get("desc"))
        try:
            found = await live.find(flow.name, mark[1] if mark is not None else None,
                                    flow.source_key if self.settings.create_missing else None)
            if isinstance(found, Refusal):
                return Exchange(msg=f"{found.code}: {found.message}", invalid=found.code, flow_id=found.flow_id or None)
            # A flow the resumed run had an Import in flight for, found now: the one it made.
            own_import = flow.target in self.memory.imports_in_doubt
            status = "created" if own_import else "saved"
            if found is None:
                if not self.settings.create_missing:
                    return Exchange(msg=f"NOT_FOUND: no flow named {flow.name!r}; set run.create_missing = true "
                                        "to create it")
                created = await self._create(flow, sending)
                if isinstance(created, Exchange):
                    return created
                flow_id, status = created, "created"
                data = await self._read_created(created)
            else:
                flow_id, data = found.flow_id, found.live
        except ReadFailed as failed:
            exchange: Exchange = failed.failure
            return exchange
        try:
            aimed = _aimed(wire, flow_id, remote_graph(data), status, own_import and found is not None,
                           proven=found is not None and found.how != "name")
        except RebindError as error:
            if found is None:  # made now by Import: a request that changed the service went out
                return Exchange(attempts=1, msg=f"TASKS_DIFFER: {error}", flow_id=flow_id)
            return Exchange(msg=f"TASKS_DIFFER: {error}", invalid="TASKS_DIFFER", flow_id=flow_id)
        if found is not None and found.how == "name" and flow.commands and self.settings.compare != "remote":
            # A flow of the job's name that no run of ours made (made by hand, or by another tool),
            # taken over now: its tasks may run other commands, which no save can change, and the
            # save would schedule them as the export's. Read once, as a plan does; after this save
            # it carries the marker, and later runs find it by that. (compare = "remote" reads every flow.)
            try:
                differs = body_differs(flow, wire, aimed[0], await self.read_exported(flow_id))
            except ReadFailed as failed:
                unread: Exchange = failed.failure
                unread.msg = (f"the live flow {flow_id} of that name, not made by this tool, could not be read to "
                              f"check its tasks' commands before taking it over: {unread.msg or 'no answer'}")
                unread.flow_id = flow_id
                return unread
            if differs:
                return Exchange(msg=f"{TASK_BODY_DIFFERS}: {differs}", invalid=TASK_BODY_DIFFERS, flow_id=flow_id)
        return aimed

    async def _create_with_id(self, flow: ReadyFlow, sending: _Sending) -> tuple[dict[str, Any], str] | Exchange | None:
        """A flow mapped with an id that the listing does not hold (a snapshot restored into
        another service): created by Import, asking for that id, then saved. None: it exists."""
        live = await self._live_flows()
        if isinstance(live, Exchange):
            return live
        if flow.target in self.memory.imports_in_doubt:
            # The resumed run's own Import for this id, sent before it died: if the flow is there,
            # it is the one that Import made (as when its answer is lost); saved into, never imported again.
            landed = await self._imported(flow, flow.flow_id)
            if isinstance(landed, Exchange):
                return landed
            if landed is not None:
                return await self._made(flow, landed, resumed=True)
        elif flow.flow_id in live.names:
            return None
        else:
            # Not in the caller's listing is not "does not exist": Import would give a taken id's flow a
            # twin under a new id. Only a Get Flow that says the id names nothing (62102) creates.
            probe = await self._send(lambda: self.client.get_flow(flow.flow_id))
            if probe.result == "ok":
                return None  # it exists: saved as it is (refused there if it is not the caller's)
            if probe.answer is None or probe.answer.code != INVALID_PARAMETER:
                return probe
            if (held := live.name_held_for_create(flow.name, flow.flow_id)) is not None:
                return Exchange(msg=f"{held.code}: {held.message}", invalid=held.code)
        created = await self._create(flow, sending, flow.flow_id)
        if isinstance(created, Exchange):
            return created
        return await self._made(flow, created)

    async def _made(self, flow: ReadyFlow, flow_id: str,
                    resumed: bool = False) -> tuple[dict[str, Any], str] | Exchange:
        """The payload aimed at a flow Import made (its tasks matched by name), status `created`
        (`resumed`: made by an earlier try of this run, which may have saved it too)."""
        try:
            return _aimed(json.loads(flow.body), flow_id, remote_graph(await self._read_created(flow_id)), "created",
                          resumed)
        except ReadFailed as failed:
            exchange: Exchange = failed.failure
            return exchange
        except RebindError as error:
            return Exchange(attempts=1, msg=f"TASKS_DIFFER: {error}")

    async def _create(self, flow: ReadyFlow, sending: _Sending, flow_id: str | None = None) -> str | Exchange:
        async with self._names_lock:  # one directory listing for the whole run
            if self._dir_id is None:
                listed = await self._send(self.client.list_directories)
                root = root_directory(listed.answer.data) if listed.answer is not None else None
                if listed.result != "ok" or root is None:
                    return listed
                self._dir_id = root
        body = json.dumps(import_body(flow, self._dir_id, flow_id), ensure_ascii=False).encode()
        intent = self._intent(flow, sending, "import", "", flow.sha256)
        asked = False  # a check before a resend ended the request: its last try was asked about

        async def landed_anyway(failed: Exchange) -> Exchange | None:
            # Import is not idempotent: one whose answer was lost (a reset after the service took
            # it, a time-out, a 5xx from the gateway) may have made the flow, and a second would
            # make a twin. Sent again only once the service is seen not to hold it.
            nonlocal asked
            if not _may_have_landed(failed):
                return None
            landed = await self._imported(flow, flow_id)
            if landed is None:
                return None
            asked = True
            if isinstance(landed, Exchange):
                landed.attempts = failed.attempts
                if landed.result != "stopped" and not NAMED_FAILURE.match(landed.msg):
                    # not a refusal of its own
                    landed.msg = f"{IMPORT_UNKNOWN} (asking it: {landed.msg or 'no answer'})"
                return landed
            return Exchange(result="ok", attempts=failed.attempts, msg=IMPORT_LANDED,
                            answer=Answer(200, 0, IMPORT_LANDED, {"flowId": landed}, None))

        made = await self._send(lambda: self.client.import_flow(body, on_send=intent), landed_anyway)
        if made.result == "failed" and not asked and not self.stopping:
            # Its retries given up: the last try may have made the flow as well (its answer lost).
            made = await landed_anyway(made) or made
        data = made.answer.data if made.answer is not None else None
        if made.result != "ok" or not isinstance(data, dict) or "flowId" not in data:
            return made
        sending.attempts += made.attempts
        if made.msg == IMPORT_LANDED:
            sending.notes.append(IMPORT_LANDED)
        return str(data["flowId"])

    async def _imported(self, flow: ReadyFlow, flow_id: str | None) -> str | Exchange | None:
        """The flow an Import whose answer was lost made, if the service holds it: by the id it
        asked for, else by its marker (or, with markers off, a flow of its name that the run's
        listing did not hold). None: it does not; an Exchange: the service could not tell."""
        if flow_id:
            probe = await self._send(lambda: self.client.get_flow(flow_id))
            if probe.result == "ok":
                return flow_id
            return None if probe.answer is not None and probe.answer.code == INVALID_PARAMETER else probe
        listing = await self._send(self.client.get_my_flows)
        if listing.result != "ok" or listing.answer is None:
            return listing
        # Only a flow of its name that the run's listing did not hold can be the one it made (an
        # Import saves the name it was given): read those, never every flow the caller can edit.
        before = self._live.names if self._live is not None else {}
        mark = marker_of(json.loads(flow.body).get("desc"))
        for item in listed_flows(listing.answer.data):
            if item.name != flow.name or item.flow_id in before:
                continue
            try:
                made = live_marker(await self.read_flow(item.flow_id))
            except ReadFailed as failed:
                exchange: Exchange = failed.failure
                return exchange
            if mark is None or (made is not None and made[1] == mark[1]):
                return item.flow_id
        return None

    async def _read_created(self, flow_id: str) -> dict[str, Any]:
        """Get Flow of a flow just made: a failure names the flow, which exists now."""
        try:
            return await self.read_flow(flow_id)
        except ReadFailed as failed:
            failed.failure.flow_id = flow_id
            if failed.failure.result == "stopped":  # a stop request: said as one (INTERRUPTED), not "no answer"
                failed.failure.msg = _stopped_after_import(flow_id)
            else:
                failed.failure.msg = f"created as flow {flow_id}, then {failed.failure.msg or 'no answer'}"
            raise

    async def _send(self, call: Callable[[], Awaitable[Answer]],
                    before_resending: Callable[[Exchange], Awaitable[Exchange | None]] | None = None) -> Exchange:
        """One request with its retries; fatal answers trip the circuit breaker; a stop request
        ends any wait at once. `before_resending` (a request that is not idempotent) is asked
        before each retry: an Exchange it gives ends the request with it."""
        exchange = Exchange()
        for attempt in range(1, self.settings.attempts + 1):
            exchange.attempts = attempt
            try:
                answer = await call()  # the client takes the rate turn once it holds a token
            except Stopped:
                exchange.attempts -= 1  # the stop came before this attempt left
                return _stopped(exchange)
            except TokenError as refused:
                self._abort(refused.code, str(refused))
                # This attempt was not applied: no token to send it with, or sent and refused for
                # its token (1203, 4011, 4012) with none to be had for the resend. "refused" with no
                # attempt left counted: nothing of the request landed (a `not_attempted` flow).
                exchange.attempts -= 1
                exchange.result, exchange.code = "refused", refused.code
                exchange.msg = f"{'' if exchange.attempts else 'not attempted: '}{refused}"
                return exchange
            except (aiohttp.ClientError, TimeoutError) as error:
                exchange.answer, exchange.msg = None, describe_error(error, self.settings.request_timeout)
            else:
                exchange.answer, exchange.msg = answer, answer.msg
                exchange.latency_ms = round(answer.seconds * 1000, 1) if answer.seconds is not None else None
                if answer.ok:
                    exchange.result = "ok"
                    return exchange
                if answer.code in FATAL_CODES:
                    self._abort(answer.code, f"the service answered {answer.code} ({answer.msg})")
                    return exchange
                if not is_transient(answer):
                    return exchange
                if answer.http_status == 429 or answer.code == 429:
                    self.pacer.throttled()
                if answer.retry_after is not None and answer.retry_after > self.settings.retry_after_max:
                    exchange.msg = (f"the service asked to wait {_duration(answer.retry_after)} before trying again "
                                    f"(Retry-After), more than run.retry_after_max "
                                    f"({self.settings.retry_after_max:g} s): HTTP {answer.http_status} "
                                    f"{answer.msg}".rstrip())
                    return exchange
                if answer.retry_after:
                    self.pacer.pause(answer.retry_after)
            if attempt == self.settings.attempts:
                break
            pause = backoff_seconds(attempt, self.settings.backoff_base, self.settings.backoff_max, self.rng)
            if self.stopping or await self.stop.sleep(pause):
                return _stopped(exchange)
            if before_resending is not None and (settled := await before_resending(exchange)) is not None:
                return settled
        exchange.msg = f"gave up after {exchange.attempts} attempt(s): {exchange.msg}"
        return exchange


class _FlowQueue:
    """The flows between the reader of the source and the workers. Once it found the queue
    full, the reader waits until half of it has been taken, not for each flow taken: woken at
    every flow (as asyncio.Queue.put would be), it cost an event-loop turn a flow (a future, a
    callback, the source's generators resumed)."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[ReadyFlow | None] = asyncio.Queue(maxsize=size)
        self._low = size // 2
        self._room: asyncio.Future[None] | None = None

    async def put(self, flow: ReadyFlow | None) -> None:
        while self._queue.full():
            self._room = asyncio.get_running_loop().create_future()
            await self._room
        self._queue.put_nowait(flow)

    async def get(self) -> ReadyFlow | None:
        flow = await self._queue.get()
        if self._room is not None and self._queue.qsize() <= self._low:
            if not self._room.done():
                self._room.set_result(None)
            self._room = None
        return flow


IMPORT_LANDED = "the Import's answer was lost, and the service holds the flow it made: not sent again"
IMPORT_UNKNOWN = ("the Import's answer was lost, and the service could not be asked whether it made the flow: it "
                  "may exist; not sent again, and the next run finds it by its marker")
EARLIER_SAVE_LANDED = "an earlier try of this run's save had landed: the live flow is as planned"
ALREADY_AS_PLANNED = "already as planned: the live flow is the planned payload; nothing sent"
EARLIER_IMPORT_AND_SAVE_LANDED = ("an earlier try of this run's Import had made the flow and its save had landed: "
                                  "the live flow is as wanted; nothing sent")
# A payload `_aimed` finds already live in a flow an earlier try of this run made: nothing to send.
_MADE_AND_SAVED = "made and saved"
TASKS_MADE_ANEW = ("its tasks are the service's own since Import made the flow anew (none has the export's task "
                   "ids): matched by name")
CREATED_INACTIVE = ("created inactive (active 0): its tasks have no body in the snapshot (TASK_BODIES_MISSING), so "
                    "Import made them empty; set them in the service, then enable it (`migrate enable`)")
STOPPED_AFTER_SEND = ("interrupted after a request that changes the flow was sent: it may have landed; "
                      "--resume finds the flow (by id, name or marker) and saves it as wanted")


def _stopped_after_import(flow_id: str) -> str:
    return (f"interrupted after Import made flow {flow_id}, before its save: the flow stands as Import made it "
            "(inactive) until --resume saves it as wanted")


@dataclass
class _Sending:
    """Whether a request that may change the flow has left (so its outcome must be recorded), and
    what the steps before its save (an Import) add to its line."""

    sent: bool = False
    attempts: int = 0  # the Import's tries: `attempts` counts every request sent to change the flow
    notes: list[str] = field(default_factory=list)  # said on its line before the save's own words


def _data(read: Exchange) -> dict[str, Any]:
    """The data of a read answered ok; else ReadFailed with the Exchange."""
    if read.result != "ok" or read.answer is None or not isinstance(read.answer.data, dict):
        raise ReadFailed(read)
    return read.answer.data


def _wire(payload: dict[str, Any]) -> tuple[bytes, str]:
    """A payload aimed anew (at a live flow's id or tasks) as it is sent, and its hash."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return body, payload_sha256(body)


def _anew(wanted: dict[str, Any], flow_id: str, live: dict[str, Any]) -> dict[str, Any] | None:
    """The payload aimed at the live flow's tasks when they were made anew by Import (none of
    ours by id: reconcile/targets.py aimed_at_live_tasks); None when nothing is to change so, or
    their names do not match either (the save says what the service makes of it)."""
    try:
        aimed = aimed_at_live_tasks(wanted, flow_id, live)
    except RebindError:
        return None
    return None if aimed is wanted else aimed


def _bodies_missing(flow: ReadyFlow) -> bool:
    """A flow whose tasks have no body in its source (a snapshot without them: TASK_BODIES_MISSING)."""
    return any(warning.get("code") == "TASK_BODIES_MISSING" for warning in flow.warnings)


def never_applied(exchange: Exchange, sent: bool) -> bool:
    """A request refused for want of a token (the run stops): before it left, or, left and
    refused by the gateway for its token with none to be had for the resend, with no earlier try
    counted (Runner._send). Nothing of it landed: its flow is `not_attempted`, not `failed`."""
    return exchange.result == "refused" and not (sent and exchange.attempts)


def _may_have_landed(exchange: Exchange, earlier_tries: bool = False) -> bool:
    """Whether a request not answered ok may have been applied all the same: its answer was lost
    or a transient failure (a 5xx from the gateway may come after the service applied it); never
    a throttle (the gateway stops it before the service) or a refusal of the service's own.
    `earlier_tries`: any try before the last one counts too (each was retried, so each was such)."""
    if earlier_tries and exchange.attempts > 1:
        return True
    answer = exchange.answer
    if answer is None:
        return True
    return is_transient(answer) and answer.http_status != 429 and answer.code != 429


def _aimed(wire: dict[str, Any], flow_id: str, live: dict[str, Any], status: str,
           own_import: bool, proven: bool = False) -> tuple[dict[str, Any], str]:
    """The payload aimed at the live flow (RebindError: their tasks do not match; `proven`: it is
    ours by its marker, see rebind), with its status; `_MADE_AND_SAVED` when the flow is one an
    earlier try of this run made (`own_import`) and is already as wanted: its save had landed too."""
    payload = rebind(wire, flow_id, live, proven)
    if own_import and not changed_fields(payload, live):
        return payload, _MADE_AND_SAVED
    return payload, status


def _stopped(exchange: Exchange) -> Exchange:
    """A stop request ended a wait: "stopped" when nothing was sent, else a failure saying so."""
    if exchange.attempts:
        exchange.msg = f"stopped after {exchange.attempts} attempt(s): {exchange.msg}"
    else:
        exchange.result = "stopped"
    return exchange


def _duration(seconds: float) -> str:
    return "without end" if math.isinf(seconds) else f"{seconds:g} s"
