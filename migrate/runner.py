"""Save flows concurrently: a fixed pool of workers fed by a bounded queue, every attempt paced,
transient failures retried with exponential backoff and full jitter, a circuit breaker for
answers that mean no further request can succeed, and a graceful stop on request."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from migrate.client.auth import AuthRefused
from migrate.client.service import Answer, BatchClient
from migrate.config import RunSettings
from migrate.mapping import InvalidFlow, ValidFlow
from migrate.model import payload_sha256
from migrate.pacing import RequestPacer
from migrate.results import ResultLog

# Documented codes (enos-batch-api.md §2, §9, §11). Retried: the service may answer otherwise
# next time. Fatal: every further request of this run would get the same answer.
RETRYABLE_CODES = frozenset({429, 1005, 62109})
# 1002 unknown appKey, 1003 bad signature, 1004 bad parameter (a clock too far off), 1202 empty
# parameter, 1203 a token still expired after renewing it, 1204 renewal refused.
FATAL_CODES = frozenset({62101, 62105, 1002, 1003, 1004, 1202, 1203, 1204})


@dataclass(frozen=True)
class Outcome:
    status: str
    attempts: int
    http_status: int | None
    code: int | None
    msg: str
    elapsed_ms: float  # from the first attempt's turn at the rate limiter to the final answer
    latency_ms: float | None  # the last request alone


def is_transient(answer: Answer) -> bool:
    if answer.code in RETRYABLE_CODES:
        return True
    if answer.code is None or answer.code == 0:
        return answer.http_status == 429 or answer.http_status >= 500
    return False


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: uniform between 0 and the exponential ceiling."""
    return rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))


class Runner:
    def __init__(
        self,
        client: BatchClient,
        settings: RunSettings,
        log: ResultLog,
        on_record: Callable[[str], None] = lambda status: None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.log = log
        self.pacer = RequestPacer(settings.rate_per_second, settings.rate_headroom)
        self.rng = random.Random(settings.seed)
        self.on_record = on_record
        self.abort_reason: str | None = None
        self.abort_code: int | None = None
        self.interrupted = False

    def _abort(self, code: int | None, reason: str) -> None:
        if self.abort_reason is None:
            self.abort_reason, self.abort_code = reason, code

    def interrupt(self) -> None:
        """Stop taking new work; requests in flight finish and are recorded."""
        self.interrupted = True

    def _record(self, flow: ValidFlow | InvalidFlow, **line: Any) -> None:
        self.log.record(rows=flow.rows, source_key=flow.source_key, **line)
        self.on_record(line["status"])

    def record_invalid(self, flow: InvalidFlow) -> None:
        self._record(
            flow, flow_id=flow.flow_id or None, name=flow.name or None, status="invalid",
            attempts=0, errors=[e.model_dump() for e in flow.errors],
            msg="; ".join(e.sentence() for e in flow.errors),
        )

    def _record_not_attempted(self, flow: ValidFlow) -> None:
        self._record(
            flow, flow_id=flow.payload.id, name=flow.payload.name, status="not_attempted", attempts=0,
            code=self.abort_code, msg=f"not attempted: {self.abort_reason}",
            payload_sha256=payload_sha256(flow.payload.wire_bytes()),
        )

    async def run(self, flows: Iterable[ValidFlow | InvalidFlow]) -> None:
        queue: asyncio.Queue[ValidFlow | None] = asyncio.Queue(maxsize=self.settings.concurrency * 2)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.settings.concurrency)]
        try:
            for flow in flows:
                if self.interrupted:
                    break
                if isinstance(flow, InvalidFlow):
                    self.record_invalid(flow)
                elif self.abort_reason is not None:
                    self._record_not_attempted(flow)
                else:
                    await queue.put(flow)
        finally:
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)

    async def _worker(self, queue: asyncio.Queue[ValidFlow | None]) -> None:
        while (flow := await queue.get()) is not None:
            if self.interrupted:
                continue  # no line: a resumed run sends it
            if self.abort_reason is not None:
                self._record_not_attempted(flow)
                continue
            body = flow.payload.wire_bytes()
            outcome = await self._save(body)
            self._record(
                flow, flow_id=flow.payload.id, name=flow.payload.name, status=outcome.status,
                attempts=outcome.attempts, http_status=outcome.http_status, code=outcome.code,
                msg=outcome.msg, elapsed_ms=outcome.elapsed_ms, latency_ms=outcome.latency_ms,
                payload_sha256=payload_sha256(body),
            )

    async def _save(self, body: bytes) -> Outcome:
        started = time.monotonic()
        answer: Answer | None = None
        msg = ""
        attempts = 0
        sent_at = started

        def outcome(status: str, text: str, code: int | None = None) -> Outcome:
            now = time.monotonic()
            return Outcome(
                status=status, attempts=attempts,
                http_status=answer.http_status if answer else None,
                code=answer.code if answer else code, msg=text,
                elapsed_ms=round((now - started) * 1000, 1), latency_ms=round((now - sent_at) * 1000, 1),
            )

        for attempt in range(1, self.settings.attempts + 1):
            attempts = attempt
            await self.pacer.acquire()
            sent_at = time.monotonic()
            try:
                answer = await self.client.save_flow(body)
            except AuthRefused as refused:
                self._abort(refused.code, str(refused))
                attempts -= 1  # this attempt never reached the batch service
                status = "failed" if attempts else "not_attempted"
                return outcome(status, f"{'' if attempts else 'not attempted: '}{refused}", refused.code)
            except (aiohttp.ClientError, TimeoutError) as error:
                answer, msg = None, f"{type(error).__name__}: {error}".rstrip(": ")
            else:
                msg = answer.msg
                if answer.ok:
                    return outcome("saved", msg)
                if answer.code in FATAL_CODES:
                    self._abort(answer.code, f"the service answered {answer.code} ({answer.msg})")
                    return outcome("failed", msg)
                if not is_transient(answer):
                    return outcome("failed", msg)
                if answer.retry_after:
                    self.pacer.pause(answer.retry_after)
            if self.interrupted or attempt == self.settings.attempts:
                break
            run = self.settings
            await asyncio.sleep(backoff_seconds(attempt, run.backoff_base, run.backoff_max, self.rng))
        return outcome("failed", f"gave up after {attempts} attempt(s): {msg}")
