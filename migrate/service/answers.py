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
from typing import TYPE_CHECKING, Any

import orjson
from yarl import URL

from migrate.exit_codes import CannotRun

if TYPE_CHECKING:
    import aiohttp


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
# signature, 1004 bad parameter such as a clock too far off, 1202 empty parameter, 1203, 4011 or
# 4012 a token still refused after renewing it, 1204 renewal refused).
RETRYABLE_CODES = frozenset({429, 1001, 1005, 62109})
# "Invalid parameter": what Get Flow of an id that names no flow answers (an inference: README).
INVALID_PARAMETER = 62102
# "User has no privilege" (reference §9): a flow of another organisation read, a non-owner's save.
NO_PRIVILEGE = 62103
# A token the gateway no longer takes, in either shape: the documented 1203 (in `status`, with
# HTTP 401 from the emulator), or the vendor SDK's `apim_status` in an HTTP 200 answer with
# neither `code` nor `status` (4011: renew the token; 4012: get a new one), an inference from
# enos-poseidon 0.2.0 (docs/emulator.md).
TOKEN_EXPIRED, APIM_RENEW_TOKEN, APIM_NEW_TOKEN = 1203, 4011, 4012
TOKEN_PROBLEMS = frozenset({TOKEN_EXPIRED, APIM_RENEW_TOKEN, APIM_NEW_TOKEN})
FATAL_CODES = frozenset({62101, 62105, 1002, 1003, 1004, 1202, 1204}) | TOKEN_PROBLEMS


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
    import aiohttp  # here, not above: `plan --offline` reads this module's codes and never sends (0.13 s)

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
    content = response.content
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = await content.read(min(_CHUNK, limit + 1 - size))
        if not part:
            return Body(b"".join(parts), cut=False)
        parts.append(part)
        size += len(part)
        if size <= limit and content.at_eof():  # all of it is here (a short answer: at the first read)
            return Body(part if len(parts) == 1 else b"".join(parts), cut=False)
    return Body(b"".join(parts)[:limit], cut=True)


def read_envelope(http_status: int, body: Body | bytes, retry_after: str | None,
                  seconds: float | None = None) -> Answer:
    raw, cut = (body.raw, body.cut) if isinstance(body, Body) else (body, False)
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:  # also a ValueError, as is a body in another encoding
        parsed = None
    if not isinstance(parsed, dict):
        text = raw[:400].decode("utf-8", errors="replace")[:200].strip()
        if cut:
            text = f"an answer longer than {len(raw) // 1024} KiB, not read further, starting {text[:60]!r}"
        return Answer(http_status, None, text, None, parse_retry_after(retry_after), seconds)
    code = parsed.get("apim_status")  # the SDK reads it first, whatever else the answer says
    if code not in (APIM_RENEW_TOKEN, APIM_NEW_TOKEN):
        code = parsed.get("code", parsed.get("status"))  # v2.0 and the token service say `status`
    return Answer(
        http_status,
        code if isinstance(code, int) else None,
        str(parsed.get("msg", "")),
        parsed.get("data"),
        parse_retry_after(retry_after),
        seconds,
    )


# The paths the tool adds to target.url itself; a URL that already holds one was pasted whole.
API_PATHS = ("/batch-processing-service", "/apim-token-service")


def _is_web_page(text: str) -> bool:
    start = text.lstrip()[:200].lower()
    return start.startswith("<") and ("<html" in start or "<!doctype html" in start or "<head" in start)


def is_wrong_url(answer: Answer) -> bool:
    """An answer that is not the service at all: no envelope, and either "no such path" (404,
    405) or a web page where the envelope was due (a portal or the gateway's own root). A web
    page with a 5xx is a gateway in trouble, retried as such; a 401/403 is the gateway's refusal."""
    if answer.code is not None:
        return False
    return answer.http_status in (404, 405) or (answer.http_status < 400 and _is_web_page(answer.msg))


class WrongServiceUrl(CannotRun):
    """The first request found no service at target.url: a configuration mistake (exit 1), not
    a refusal by the service."""

    def __init__(self, base_url: str, requested: str, answer: Answer) -> None:
        what = "a web page" if _is_web_page(answer.msg) else f"HTTP {answer.http_status}, no such path"
        super().__init__(f"target.url {base_url!r} does not lead to the service: {requested} answered {what} "
                         f"({' '.join(answer.msg.split())[:80]!r}); {url_hint(base_url)}")


def url_hint(base_url: str) -> str:
    """What target.url should look like, and the likely right one when the mistake shows."""
    hint = ("target.url is the gateway's address alone, scheme://host[:port] (e.g. https://apim.example.com, "
            "or for `migrate emulator` the address it prints as `listening on`): the tool adds "
            "/apim-token-service/v2.0/... and /batch-processing-service/v2.1/... itself")
    url = URL(base_url)
    for api_path in API_PATHS:
        if api_path in url.path:
            root = str(url.with_path(url.path[:url.path.index(api_path)] or "/").with_query(None)).rstrip("/")
            return f"{hint}; try url = \"{root}\""
    return hint
