"""The Batch Processing Service as seen from the client: one method per action, each request
signed with the current access token, each answer read as an Answer (answers.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
from yarl import URL

from migrate.engine.pacing import PacedRequest
from migrate.service.answers import (
    APIM_NEW_TOKEN,
    TOKEN_PROBLEMS,
    Answer,
    WrongServiceUrl,
    is_wrong_url,
    read_bounded,
    read_envelope,
)
from migrate.service.model import ASCII_DIGITS
from migrate.service.signing import request_signature
from migrate.service.tokens import AccessTokens

BASE_PATH = "/batch-processing-service/v2.1"
JSON_CONTENT = "application/json;charset=UTF-8"
TURNS_FOR_A_FRESH_TOKEN = 3


def new_session(connector: aiohttp.TCPConnector, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    """The session every request to the service goes through. aiohttp sends a GET (or another
    idempotent request) again by itself when a reused connection drops, past our pacer and our
    count of attempts: at 20 a second, reads on dropped connections reached 23 in the emulator's
    busiest second. Off, as aiohttp's own test client turns it off: every resend is ours, paced
    and counted. Its requests tell the pacer when they are written (pacing.PacedRequest)."""
    session = aiohttp.ClientSession(connector=connector, timeout=timeout, request_class=PacedRequest)
    if hasattr(session, "_retry_connection"):  # aiohttp 3.10 on; before it, no such resend
        session._retry_connection = False
    return session


async def _no_pacing() -> None:
    return None


class BatchClient:
    """Calls one service for one user; it knows nothing of rows, retries or rates.

    With tokens, every request is signed (reference §2.2) over the exact body bytes sent; an
    answer that the token is no longer taken (1203, or `apim_status` 4011/4012: answers.py)
    renews it, once for every worker that met it, and sends the request once more.

    `pace` is the rate limiter's turn. It is taken only once the token is in hand, right before
    the request leaves: a turn taken while the token service is slow or down would be spent
    later, all at once with every other worker's, the moment a token arrives (a burst above the
    rate). Every request takes one, the resend after a renewed token included.
    """

    def __init__(self, session: aiohttp.ClientSession, base_url: str, user_id: str, org_id: str,
                 tokens: AccessTokens | None = None,
                 pace: Callable[[], Awaitable[None]] = _no_pacing) -> None:
        self.session = session
        self.pace = pace
        self.given_url = base_url
        self.base_url = base_url.rstrip("/")
        self._answered = False  # some answer was the batch service's own (see _check_first)
        self.user_id = user_id
        self.org_id = org_id
        self.tokens = tokens
        self._save_query = self._query("save")
        self._save_url = self._url("flows", self._save_query)  # built once: it is the same every time

    def _url(self, resource: str, query: dict[str, str]) -> URL:
        return URL(f"{self.base_url}{BASE_PATH}/{resource}").with_query(query)

    def _headers(self, query: dict[str, str], body: bytes | None, token: str) -> dict[str, str]:
        headers = {"Content-Type": JSON_CONTENT} if body is not None else {}
        if self.tokens is None:
            return headers
        stamp = self.tokens.clock.milliseconds()  # after the pacing wait: the time stamp is fresh
        headers["apim-accesstoken"] = token
        headers["apim-signature"] = request_signature(token, query, body, stamp, self.tokens.credentials.secret)
        headers["apim-timestamp"] = str(stamp)
        return headers

    async def _token_and_turn(self) -> str:
        """A token in hand, then the rate turn (Stopped when a stop request comes first). A token
        that came due for renewal while its holder waited for the turn is not sent: the turn
        goes unused (one request fewer in that second) and the next is taken with a renewed
        token, so that a renewal, slow or failing, is never waited out holding a turn."""
        tokens = self.tokens
        if tokens is None:
            await self.pace()
            return ""
        for _ in range(TURNS_FOR_A_FRESH_TOKEN):
            token = tokens.current() or await tokens.token()
            await self.pace()
            if tokens.fresh(token):
                return token
        return await tokens.token()  # waits longer than the renewal margin: renewed holding the turn

    def _query(self, action: str, **extra: str) -> dict[str, str]:
        return {"action": action, "userId": self.user_id, "orgId": self.org_id, **extra}

    async def _call(self, method: str, url: URL, query: dict[str, str], body: bytes | None,
                    on_send: Callable[[], None] | None = None) -> Answer:
        for _ in range(2):
            token = await self._token_and_turn()
            headers = self._headers(query, body, token)
            if on_send is not None:
                on_send()  # the last moment before the request leaves (a save's intent is recorded)
            sent_at = time.monotonic()
            async with self.session.request(method, url, data=body, headers=headers) as response:
                read = await read_bounded(response)
                answer = read_envelope(response.status, read, response.headers.get("Retry-After"),
                                       seconds=time.monotonic() - sent_at)
            self._check_first(answer, url)
            if answer.code not in TOKEN_PROBLEMS or self.tokens is None:
                return answer
            self.tokens.expired(token, new_token=answer.code == APIM_NEW_TOKEN)
        return answer

    def _check_first(self, answer: Answer, url: URL) -> None:
        """Until the service has answered once, an answer that is no service at all (a 404, a web
        page: answers.is_wrong_url) means target.url is wrong: WrongServiceUrl, exit 1. Later,
        the same answer is one request's failure (the service was there a moment ago)."""
        if self._answered:
            return
        if is_wrong_url(answer):
            raise WrongServiceUrl(self.given_url, f"the batch service ({url.with_query(None)})", answer)
        self._answered = True

    async def _action(self, method: str, resource: str, query: dict[str, str], body: bytes | None) -> Answer:
        return await self._call(method, self._url(resource, query), query, body)

    def save_flow(self, body: bytes, on_send: Callable[[], None] | None = None) -> Coroutine[Any, Any, Answer]:
        """Save Flow's request itself, not a coroutine around it: every resumption of a request
        passes through each coroutine awaiting it, a few times a flow."""
        return self._call("POST", self._save_url, self._save_query, body, on_send)

    async def get_flow(self, flow_id: str) -> Answer:
        return await self._action("GET", "flows", self._query("get", flowId=flow_id), None)

    async def export_flow(self, flow_id: str) -> Answer:
        """Export Flow (reference §6): the flow's portable form, each task with its body and
        settings (cmd, type, resource, runMode, timeout, retries…), which Get Flow does not give."""
        return await self._action("GET", "flows", self._query("export", flowId=flow_id), None)

    async def get_my_flows(self) -> Answer:
        return await self._action("GET", "flows", self._query("getMyFlow", expression=""), None)

    async def import_flow(self, body: bytes, on_send: Callable[[], None] | None = None) -> Answer:
        query = self._query("import")
        return await self._call("POST", self._url("flows", query), query, body, on_send)

    async def disable_flow(self, flow_id: str, on_send: Callable[[], None] | None = None) -> Answer:
        """Disable (reference §8): the flow stops being scheduled; it needs the flow's owner."""
        return await self._set_active("disable", flow_id, on_send)

    async def delete_flow(self, flow_id: str, on_send: Callable[[], None] | None = None) -> Answer:
        """Delete (reference §8): `GET …/flows?action=delete&flowId=`; 62104 while another flow
        depends on it."""
        query = self._query("delete", flowId=flow_id)
        return await self._call("GET", self._url("flows", query), query, None, on_send)

    async def enable_flow(self, flow_id: str, on_send: Callable[[], None] | None = None) -> Answer:
        """Enable (reference §8): the flow is scheduled again; it needs the flow's owner."""
        return await self._set_active("enable", flow_id, on_send)

    async def _set_active(self, action: str, flow_id: str, on_send: Callable[[], None] | None) -> Answer:
        # The id goes as a number, as the documented body `{"flowId": 3377}` has it.
        query = self._query(action)
        body = json.dumps({"flowId": int(flow_id) if ASCII_DIGITS.fullmatch(flow_id) else flow_id}).encode()
        return await self._call("POST", self._url("flows", query), query, body, on_send)

    async def list_directories(self) -> Answer:
        return await self._action("GET", "directories", self._query("listWorkFlowDirs"), None)
