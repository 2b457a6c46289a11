"""The envelope every answer comes in (`{code | status, msg, data}`), read into an Answer, and the
retry table that decides what an answer means, for the batch service and the token service alike.

Business errors live in the body (`code != 0`) and usually come with HTTP 200; a gateway may
also answer 4xx/5xx with no JSON at all. An Answer holds all of it, and the runner decides.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import orjson


@dataclass(frozen=True)
class Answer:
    http_status: int
    code: int | None  # None: the body was not the JSON envelope
    msg: str
    data: Any
    retry_after: float | None
    seconds: float | None = None  # the request alone, from leaving to the answer read

    @property
    def ok(self) -> bool:
        return self.http_status < 400 and self.code == 0


# The retry table (README "Retry table"; enos-batch-api.md §2, §9, §11), for the batch service
# and the token service alike. Retried: the service may answer otherwise next time (429
# throttled, 1001 a repeated token request, which the next try stamps anew, 1005 the token
# service's internal error, 62109 the batch service's). Fatal: every further request of this run
# would get the same answer (62101 user/org, 62105 account locked, 1002 unknown appKey, 1003 bad
# signature, 1004 bad parameter such as a clock too far off, 1202 empty parameter, 1203 a token
# still expired after renewing it, 1204 renewal refused).
RETRYABLE_CODES = frozenset({429, 1001, 1005, 62109})
# "Invalid parameter": what Get Flow of an id that names no flow answers (an inference: README).
INVALID_PARAMETER = 62102
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


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait, from delta-seconds or an HTTP date (RFC 9110 §10.2.3); a value beyond
    any sensible wait (`inf`, `1e400`, a date in 2099) is kept as it is, for the caller to
    refuse. None when there is no usable value (absent, `nan`, text)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def describe_error(error: BaseException, timeout: float | None = None) -> str:
    """A transport failure in words, never an empty reason."""
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} s" if timeout else "no answer in time"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without answering"
    if isinstance(error, aiohttp.ClientResponseError):  # raised only when the answer cannot be parsed
        return f"the answer is not HTTP ({' '.join(str(error.message).split())[:160]})"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# The most of an answer's body ever read (memory): a batch service answer (Get My Flow of a big
# account) may be long, a token answer never is. Past it the answer is cut and, no longer
# JSON, read as an answer that is not the envelope.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
MAX_TOKEN_ANSWER_BYTES = 64 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Body:
    raw: bytes
    cut: bool  # longer than the limit: only the start was read


async def read_bounded(response: aiohttp.ClientResponse, limit: int = MAX_ANSWER_BYTES) -> Body:
    """At most `limit` bytes of an answer's body (after decompression), whatever it claims."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = await response.content.read(min(_CHUNK, limit + 1 - size))
        if not part:
            return Body(b"".join(parts), cut=False)
        parts.append(part)
        size += len(part)
    return Body(b"".join(parts)[:limit], cut=True)


def read_envelope(http_status: int, body: Body | bytes, retry_after: str | None) -> Answer:
    raw, cut = (body.raw, body.cut) if isinstance(body, Body) else (body, False)
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:  # also a ValueError, as is a body in another encoding
        parsed = None
    if not isinstance(parsed, dict):
        text = raw[:400].decode("utf-8", errors="replace")[:200].strip()
        if cut:
            text = f"an answer longer than {len(raw) // 1024} KiB, not read further, starting {text[:60]!r}"
        return Answer(http_status, None, text, None, parse_retry_after(retry_after))
    code = parsed.get("code", parsed.get("status"))  # v2.0 and the token service say `status`
    return Answer(
        http_status,
        code if isinstance(code, int) else None,
        str(parsed.get("msg", "")),
        parsed.get("data"),
        parse_retry_after(retry_after),
    )


TOKEN_EXPIRED = 1203
