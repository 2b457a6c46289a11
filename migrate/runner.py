"""Save flows concurrently: a fixed pool of workers fed by a bounded queue, every request paced,
transient failures retried with exponential backoff and full jitter, a circuit breaker for
answers that mean no further request can succeed, a graceful stop on request, and no write at
all for a flow whose desired state is already there."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from migrate.client.auth import AuthRefused
from migrate.client.service import Answer, BatchClient
from migrate.compare import differences, remote_graph
from migrate.config import RunSettings
from migrate.mapping import InvalidFlow, ReadyFlow
from migrate.model import payload_sha256
from migrate.pacing import RequestPacer
from migrate.results import ResultLog
from migrate.targets import RebindError, import_body, names_index, rebind, root_directory

# Documented codes (enos-batch-api.md §2, §9, §11). Retried: the service may answer otherwise
# next time. Fatal: every further request of this run would get the same answer.
RETRYABLE_CODES = frozenset({429, 1005, 62109})
# 1002 unknown appKey, 1003 bad signature, 1004 bad parameter (a clock too far off), 1202 empty
# parameter, 1203 a token still expired after renewing it, 1204 renewal refused.
FATAL_CODES = frozenset({62101, 62105, 1002, 1003, 1004, 1202, 1203, 1204})


def is_transient(answer: Answer) -> bool:
    if answer.code in RETRYABLE_CODES:
        return True
    if answer.code is None or answer.code == 0:
        return answer.http_status == 429 or answer.http_status >= 500
    return False


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: uniform between 0 and the exponential ceiling."""
    return rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))


@dataclass
class Exchange:
    """One request carried through its retries."""

    result: Literal["ok", "failed", "refused"] = "failed"
    answer: Answer | None = None
    attempts: int = 0
    msg: str = ""
    code: int | None = None
    latency_ms: float | None = None


@dataclass
class Memory:
    """What earlier runs left: `done` (resume) maps a flow's target (`flow 12` or `name 'x'`) to
    the input hash of its final `saved` line in this run; `last_saved` (compare = "log") the same
    from every earlier log."""

    done: Mapping[str, str] = field(default_factory=dict)
    last_saved: Mapping[str, str] = field(default_factory=dict)


class Runner:
    def __init__(
        self,
        client: BatchClient,
        settings: RunSettings,
        log: ResultLog,
        on_record: Callable[[str], None] = lambda status: None,
        memory: Memory | None = None,
        settings_dir_id: str | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.log = log
        self.memory = memory or Memory()
        self.pacer = RequestPacer(settings.rate_per_second, settings.rate_headroom)
        self.rng = random.Random(settings.seed)
        self.on_record = on_record
        self.abort_reason: str | None = None
        self.abort_code: int | None = None
        self.interrupted = False
        self.skipped = 0  # flows a resumed run found already saved
        self._names_index: dict[str, list[tuple[str, bool]]] | None = None
        self._names_lock = asyncio.Lock()
        self._dir_id: str | None = settings_dir_id

    def _abort(self, code: int | None, reason: str) -> None:
        if self.abort_reason is None:
            self.abort_reason, self.abort_code = reason, code

    def interrupt(self) -> None:
        """Stop taking new work; requests in flight finish and are recorded."""
        self.interrupted = True

    def _record(self, flow: ReadyFlow | InvalidFlow, **line: Any) -> None:
        self.log.record(rows=flow.rows, source_key=flow.source_key, **line, warnings=list(flow.warnings))
        self.on_record(line["status"])

    def record_invalid(self, flow: InvalidFlow) -> None:
        self._record(
            flow, flow_id=flow.flow_id or None, name=flow.name or None, status="invalid", attempts=0,
            code=next((e.code for e in flow.errors if e.code), None),
            errors=[e.model_dump(exclude_none=True) for e in flow.errors],
            msg="; ".join(e.sentence() for e in flow.errors),
        )

    def _record_flow(self, flow: ReadyFlow, status: str, sha: str, exchange: Exchange | None = None,
                     started: float | None = None, msg: str = "", flow_id: str | None = None,
                     input_sha: str | None = None) -> None:
        exchange = exchange or Exchange()
        answer = exchange.answer
        self._record(
            flow, flow_id=flow_id or (None if flow.needs_id else flow.flow_id), name=flow.name,
            status=status, attempts=exchange.attempts, http_status=answer.http_status if answer else None,
            code=answer.code if answer else exchange.code, msg=msg or exchange.msg,
            elapsed_ms=round((time.monotonic() - started) * 1000, 1) if started else None,
            latency_ms=exchange.latency_ms, payload_sha256=sha, target=flow.target, input_sha256=input_sha or sha,
        )

    def _record_not_attempted(self, flow: ReadyFlow) -> None:
        self._record_flow(flow, "not_attempted", flow.sha256,
                          Exchange(code=self.abort_code), msg=f"not attempted: {self.abort_reason}")

    async def run(self, flows: AsyncGenerator[ReadyFlow | InvalidFlow, None]) -> None:
        queue: asyncio.Queue[ReadyFlow | None] = asyncio.Queue(maxsize=self.settings.concurrency * 2)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.settings.concurrency)]
        try:
            async for flow in flows:
                if self.interrupted:
                    break
                if isinstance(flow, InvalidFlow):
                    self.record_invalid(flow)
                elif self.abort_reason is not None:
                    self._record_not_attempted(flow)
                elif self.memory.done.get(flow.target) == flow.sha256:
                    self.skipped += 1  # saved by the run being resumed: its line is there already
                else:
                    await queue.put(flow)
        finally:
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
            await flows.aclose()  # stops reading the source early

    async def _worker(self, queue: asyncio.Queue[ReadyFlow | None]) -> None:
        while (flow := await queue.get()) is not None:
            if self.interrupted:
                continue  # no line: a resumed run sends it
            if self.abort_reason is not None:
                self._record_not_attempted(flow)
                continue
            await self._process(flow)

    async def _process(self, flow: ReadyFlow) -> None:
        started = time.monotonic()
        body = flow.body
        input_sha = sha = flow.sha256
        if self.settings.compare == "log" and self.memory.last_saved.get(flow.target) == input_sha:
            self._record_flow(flow, "unchanged", input_sha, msg="the same payload was saved by an earlier run")
            return
        status = "saved"
        wanted = json.loads(body) if self.settings.verify or self.settings.compare == "remote" else {}
        flow_id = flow.flow_id
        if flow.needs_id:
            found = await self._find_or_create(flow)
            if isinstance(found, Exchange):
                status = "not_attempted" if found.result == "refused" and not found.attempts else "failed"
                self._record_flow(flow, status, input_sha, found, started)
                return
            wanted, status = found
            flow_id = str(wanted["id"])
            body = json.dumps(wanted, ensure_ascii=False, separators=(",", ":")).encode()
            sha = payload_sha256(body)
        if self.settings.compare == "remote" and status == "saved":
            read = await self._send(lambda: self.client.get_flow(flow_id))
            if read.result == "ok" and read.answer is not None:
                if not differences(wanted, remote_graph(read.answer.data)):
                    self._record_flow(flow, "unchanged", sha, read, started, "the live flow already matches",
                                      flow_id=flow_id, input_sha=input_sha)
                    return
            elif read.result == "refused" or self.abort_reason is not None:
                self._record_flow(flow, "failed", sha, read, started, flow_id=flow_id, input_sha=input_sha)
                return
        saved = await self._send(lambda: self.client.save_flow(body))
        if saved.result != "ok":
            status = "not_attempted" if saved.result == "refused" and saved.attempts == 0 else "failed"
            self._record_flow(flow, status, sha, saved, started, flow_id=flow_id, input_sha=input_sha)
            return
        if self.settings.verify:
            read = await self._send(lambda: self.client.get_flow(flow_id))
            changed = differences(wanted, remote_graph(read.answer.data)) if read.answer and read.result == "ok" \
                else ["the flow could not be read back: " + read.msg]
            if changed:
                saved.attempts += read.attempts
                self._record_flow(flow, "failed", sha, saved, started,
                                  "saved, but reading it back differs: " + "; ".join(changed),
                                  flow_id=flow_id, input_sha=input_sha)
                return
        self._record_flow(flow, status, sha, saved, started, flow_id=flow_id, input_sha=input_sha)

    async def _names(self) -> dict[str, list[tuple[str, bool]]] | Exchange:
        """Get My Flow, once for the whole run."""
        async with self._names_lock:
            if self._names_index is None:
                read = await self._send(self.client.get_my_flows)
                if read.result != "ok" or read.answer is None:
                    return read
                self._names_index = names_index(read.answer.data)
            return self._names_index

    async def _find_or_create(self, flow: ReadyFlow) -> tuple[dict[str, Any], str] | Exchange:
        """The payload aimed at the flow of that name (status `saved`), or at a flow created now
        by Import (status `created`); or why neither could be done."""
        name = flow.name
        index = await self._names()
        if isinstance(index, Exchange):
            return index
        editable = [flow_id for flow_id, can_edit in index.get(name, []) if can_edit]
        status = "saved"
        if len(editable) > 1:
            return Exchange(code=None, msg=f"AMBIGUOUS_NAME: {len(editable)} flows you own are named {name!r}: "
                                           f"{sorted(editable)}; map the id instead")
        if not editable:
            if index.get(name):
                return Exchange(msg=f"NO_PRIVILEGE: the flow named {name!r} is not yours to edit")
            if not self.settings.create_missing:
                return Exchange(msg=f"NOT_FOUND: no flow named {name!r}; set run.create_missing = true to create it")
            created = await self._create(flow)
            if isinstance(created, Exchange):
                return created
            editable, status = [created], "created"
        read = await self._send(lambda: self.client.get_flow(editable[0]))
        if read.result != "ok" or read.answer is None:
            return read
        try:
            return rebind(json.loads(flow.body), editable[0], remote_graph(read.answer.data)), status
        except RebindError as error:
            return Exchange(attempts=read.attempts, msg=f"TASKS_DIFFER: {error}")

    async def _create(self, flow: ReadyFlow) -> str | Exchange:
        async with self._names_lock:  # one directory listing for the whole run
            if self._dir_id is None:
                listed = await self._send(self.client.list_directories)
                root = root_directory(listed.answer.data) if listed.answer is not None else None
                if listed.result != "ok" or root is None:
                    return listed
                self._dir_id = root
        body = json.dumps(import_body(flow, self._dir_id), ensure_ascii=False).encode()
        made = await self._send(lambda: self.client.import_flow(body))
        data = made.answer.data if made.answer is not None else None
        if made.result != "ok" or not isinstance(data, dict) or "flowId" not in data:
            return made
        return str(data["flowId"])

    async def _send(self, call: Callable[[], Awaitable[Answer]]) -> Exchange:
        """One request with its retries; fatal answers trip the circuit breaker."""
        exchange = Exchange()
        for attempt in range(1, self.settings.attempts + 1):
            await self.pacer.acquire()
            sent_at = time.monotonic()
            exchange.attempts = attempt
            try:
                answer = await call()
            except AuthRefused as refused:
                self._abort(refused.code, str(refused))
                exchange.attempts -= 1  # this attempt never reached the batch service
                exchange.result, exchange.code = "refused", refused.code
                exchange.msg = f"{'' if exchange.attempts else 'not attempted: '}{refused}"
                return exchange
            except (aiohttp.ClientError, TimeoutError) as error:
                exchange.answer, exchange.msg = None, f"{type(error).__name__}: {error}".rstrip(": ")
            else:
                exchange.answer, exchange.msg = answer, answer.msg
                exchange.latency_ms = round((time.monotonic() - sent_at) * 1000, 1)
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
                if answer.retry_after:
                    self.pacer.pause(answer.retry_after)
            if self.interrupted or attempt == self.settings.attempts:
                break
            await asyncio.sleep(
                backoff_seconds(attempt, self.settings.backoff_base, self.settings.backoff_max, self.rng))
        exchange.msg = f"gave up after {exchange.attempts} attempt(s): {exchange.msg}"
        return exchange
