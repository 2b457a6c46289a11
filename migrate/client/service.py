"""The Batch Processing Service as seen from the client: requests and the response envelope.

Business errors live in the body (`code != 0`) and usually come with HTTP 200; a gateway may
also answer 4xx/5xx with no JSON at all. An Answer holds all of it, and the runner decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
from yarl import URL

from migrate.signing import request_signature

if TYPE_CHECKING:
    from migrate.client.auth import AccessTokens

BASE_PATH = "/batch-processing-service/v2.1"
JSON_CONTENT = "application/json;charset=UTF-8"


@dataclass(frozen=True)
class Answer:
    http_status: int
    code: int | None  # None: the body was not the JSON envelope
    msg: str
    data: Any
    retry_after: float | None

    @property
    def ok(self) -> bool:
        return self.http_status < 400 and self.code == 0


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: too rare at a gateway to be worth parsing


def read_envelope(http_status: int, raw: bytes, retry_after: str | None) -> Answer:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:  # also a ValueError, as is a body in another encoding
        body = None
    if not isinstance(body, dict):
        text = raw[:400].decode("utf-8", errors="replace")
        return Answer(http_status, None, text[:200].strip(), None, parse_retry_after(retry_after))
    code = body.get("code", body.get("status"))  # v2.0 and the token service say `status`
    return Answer(
        http_status,
        code if isinstance(code, int) else None,
        str(body.get("msg", "")),
        body.get("data"),
        parse_retry_after(retry_after),
    )


TOKEN_EXPIRED = 1203


class BatchClient:
    """Calls one service for one user; it knows nothing of rows, retries or rates.

    With tokens, every request is signed (reference §2.2) over the exact body bytes sent; an
    answer that the token expired renews it and sends the request once more.
    """

    def __init__(self, session: aiohttp.ClientSession, base_url: str, user_id: str, org_id: str,
                 tokens: AccessTokens | None = None) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.user_id = user_id
        self.org_id = org_id
        self.tokens = tokens
        self._save_query = self._query("save")
        self._save_url = self._url("flows", self._save_query)  # built once: it is the same every time

    def _url(self, resource: str, query: dict[str, str]) -> URL:
        return URL(f"{self.base_url}{BASE_PATH}/{resource}").with_query(query)

    async def _headers(self, query: dict[str, str], body: bytes | None) -> tuple[dict[str, str], str]:
        headers = {"Content-Type": JSON_CONTENT} if body is not None else {}
        if self.tokens is None:
            return headers, ""
        token = await self.tokens.token()
        stamp = self.tokens.clock.milliseconds()
        headers.update({
            "apim-accesstoken": token,
            "apim-signature": request_signature(token, query, body, stamp, self.tokens.credentials.secret),
            "apim-timestamp": str(stamp),
        })
        return headers, token

    def _query(self, action: str, **extra: str) -> dict[str, str]:
        return {"action": action, "userId": self.user_id, "orgId": self.org_id, **extra}

    async def _call(self, method: str, url: URL, query: dict[str, str], body: bytes | None) -> Answer:
        for _ in range(2):
            headers, token = await self._headers(query, body)
            async with self.session.request(method, url, data=body, headers=headers) as response:
                answer = read_envelope(response.status, await response.read(), response.headers.get("Retry-After"))
            if answer.code != TOKEN_EXPIRED or self.tokens is None:
                return answer
            self.tokens.expired(token)
        return answer

    async def _action(self, method: str, resource: str, query: dict[str, str], body: bytes | None) -> Answer:
        return await self._call(method, self._url(resource, query), query, body)

    async def save_flow(self, body: bytes) -> Answer:
        return await self._call("POST", self._save_url, self._save_query, body)

    async def get_flow(self, flow_id: str) -> Answer:
        return await self._action("GET", "flows", self._query("get", flowId=flow_id), None)

    async def get_my_flows(self) -> Answer:
        return await self._action("GET", "flows", self._query("getMyFlow", expression=""), None)

    async def import_flow(self, body: bytes) -> Answer:
        return await self._action("POST", "flows", self._query("import"), body)

    async def list_directories(self) -> Answer:
        return await self._action("GET", "directories", self._query("listWorkFlowDirs"), None)
