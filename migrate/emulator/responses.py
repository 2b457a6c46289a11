"""HTTP in, HTTP out: routes `/batch-processing-service/v2.1/{flows,directories}?action=` to the
rules in models.py, wraps answers in the `{code, msg, requestId, data}` envelope, and applies the
faults and limits of faults.py. Introspection lives under `/_emulator/`, a path the real service
never uses."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from aiohttp import web

from migrate.emulator.arrivals import ARRIVED_AT
from migrate.emulator.auth import BAD_PARAMETER, TOKEN_EXPIRED, AuthError, TokenService
from migrate.emulator.exceptions import ServiceError
from migrate.emulator.faults import (
    TOKEN_ACTION,
    TOKEN_INTERNAL_ERROR,
    Fault,
    FaultPlan,
    RateLimiter,
    Stats,
    retry_after_header,
)
from migrate.emulator.models import BatchService

BASE = "/batch-processing-service/v2.1"
TOKEN_BASE = "/apim-token-service/v2.0/token"
# Handlers get the service, userId, orgId, the query and the JSON body (None for GET).
Handler = Callable[[BatchService, str | None, str | None, Mapping[str, str], Any], Any]

FLOW_ACTIONS: dict[str, tuple[str, Handler]] = {
    "save": ("POST", lambda s, u, o, q, b: s.save_flow(u, o, b)),
    "get": ("GET", lambda s, u, o, q, b: s.get_flow(u, o, q.get("flowId"))),
    "loadForEdit": ("GET", lambda s, u, o, q, b: s.load_for_edit(u, o, q.get("flowId"))),
    "export": ("GET", lambda s, u, o, q, b: s.export_flow(u, o, q.get("flowId"))),
    "import": ("POST", lambda s, u, o, q, b: s.import_flow(u, o, b)),
    "search": ("POST", lambda s, u, o, q, b: s.search(u, o, b)),
    "getMyFlow": ("GET", lambda s, u, o, q, b: s.get_my_flow(u, o, q.get("expression", ""))),
    "delete": ("GET", lambda s, u, o, q, b: s.delete_flow(u, o, q.get("flowId"))),
    "enable": ("POST", lambda s, u, o, q, b: s.set_active(u, o, b, 1)),
    "disable": ("POST", lambda s, u, o, q, b: s.set_active(u, o, b, 0)),
}
DIRECTORY_ACTIONS: dict[str, tuple[str, Handler]] = {
    "create": ("POST", lambda s, u, o, q, b: s.create_directory(u, o, b)),
    "listWorkFlowDirs": ("GET", lambda s, u, o, q, b: s.list_directories(u, o)),
}


class RequestIds:
    """UUID-shaped and unique per request: a random prefix per process and a counter, as a fresh
    uuid4 for every answer was a noticeable part of the emulator's time."""

    def __init__(self) -> None:
        self._prefix = str(uuid.uuid4())[:24]
        self._count = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._count):012x}"


REQUEST_IDS = RequestIds()


def envelope(code: int, msg: str, data: Any, status: int = 200) -> web.Response:
    body = {"code": code, "msg": msg, "requestId": REQUEST_IDS.next(), "data": data}
    return web.Response(body=orjson.dumps(body), status=status,
                        content_type="application/json", charset="utf-8")


def token_envelope(code: int, msg: str, data: Any, status: int = 200,
                   business: str = "apim-token-service") -> web.Response:
    """The token service and the gateway answer with `status`, not `code` (reference §2)."""
    return web.json_response({"status": code, "msg": msg, "business": business, "data": data}, status=status)


# The vendor SDK's token states (enos-poseidon 0.2.0): renew with `apim_refreshtoken`, or get a new token.
APIM_RENEW, APIM_NEW_TOKEN = 4011, 4012


def gateway_refusal(error: AuthError, token_problems: str) -> web.Response:
    """The gateway's refusal of a request: HTTP 401 in the token service's envelope, or, for an
    expired or unknown token with `auth.token_problems = "apim_status"`, HTTP 200 with only
    `apim_status` (an inference from the SDK, which reads it in answers it takes for successes)."""
    if error.code == TOKEN_EXPIRED and token_problems == "apim_status":
        apim_status = APIM_RENEW if error.refreshable else APIM_NEW_TOKEN
        body: dict[str, Any] = {"apim_status": apim_status, "msg": error.msg}
        if error.refreshable:
            body["apim_refreshtoken"] = uuid.uuid4().hex
        answer = web.json_response(body)
        answer.headers["X-Emulator-Code"] = str(apim_status)
        return answer
    answer = token_envelope(error.code, error.msg, None, status=401, business="apim-gateway")
    answer.headers["X-Emulator-Code"] = str(error.code)
    return answer


class EmulatorApp:
    """The aiohttp application around one BatchService."""

    def __init__(self, service: BatchService, faults: FaultPlan, limiter: RateLimiter, tokens: TokenService) -> None:
        self.service = service
        self.tokens = tokens
        self.faults = faults
        self.limiter = limiter
        self.stats = Stats()
        self.stopping = asyncio.Event()

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", f"{BASE}/flows", self._route(FLOW_ACTIONS))
        app.router.add_route("*", f"{BASE}/directories", self._route(DIRECTORY_ACTIONS))
        app.router.add_post(f"{TOKEN_BASE}/get", self._token(self.tokens.get_token))
        app.router.add_post(f"{TOKEN_BASE}/refresh", self._token(self.tokens.refresh_token))
        app.router.add_get("/_emulator/stats", self._stats)
        app.router.add_get("/_emulator/flows", self._flows)
        app.router.add_post("/_emulator/reset", self._reset)
        return app

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats.as_json())

    async def _flows(self, request: web.Request) -> web.Response:
        """Every stored flow's graph as saved, at once: no latency, no fault, no token (tests
        read what a run left behind, however slow the service is set to be)."""
        return web.json_response({str(flow_id): flow.graph for flow_id, flow in self.service.flows.items()})

    async def _reset(self, request: web.Request) -> web.Response:
        self.stats = Stats()
        return web.json_response({"reset": True})

    def now(self) -> float:
        return time.time() + self.tokens.rules.clock_offset_seconds

    def _token(self, issue: Callable[[object, float], dict[str, Any]]) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.stats.token_requests += 1
            answer, code = await self._token_answer(request, issue)
            self.stats.token_answers_by_code[code] += 1
            return answer

        return handle

    async def _token_answer(self, request: web.Request,
                            issue: Callable[[object, float], dict[str, Any]]) -> tuple[web.StreamResponse, str]:
        """The token service's answer and the code it is counted under."""
        fault = self.faults.draw(TOKEN_ACTION) if self.faults.faults_tokens() else Fault.NONE
        if fault is not Fault.NONE:
            self.stats.faults[fault.value] += 1
        if fault in (Fault.HANG, Fault.DROP_BEFORE):
            if fault is Fault.HANG:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), self.faults.faults.hang_seconds)
            return self._drop(request), "dropped"
        if fault is Fault.ERROR_5XX:
            status = self.faults.token_error()
            if status == TOKEN_INTERNAL_ERROR:
                return token_envelope(status, "Internal service exception", None), str(status)
            return web.Response(status=status, text=f"<html><body>{status} gateway error</body></html>",
                                content_type="text/html"), f"http_{status}"
        if fault is Fault.THROTTLE:
            return self._throttled(self.faults.faults.retry_after_seconds), "429"
        try:
            body = json.loads(await request.read())
            data = issue(body, self.now())
        except json.JSONDecodeError:
            return token_envelope(BAD_PARAMETER, "Invalid parameter: the body is not JSON", None), str(BAD_PARAMETER)
        except AuthError as error:
            return token_envelope(error.code, error.msg, None), str(error.code)
        if fault is Fault.DROP_AFTER_APPLY:
            return self._drop(request), "dropped"
        return token_envelope(0, "SUCCESS", data), "0"

    def _route(self, actions: dict[str, tuple[str, Handler]]) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            action = request.query.get("action", "")
            self.stats.arrived(action, time.monotonic())
            answer = await self._answer(request, action, actions)
            code = answer.headers.get("X-Emulator-Code", str(answer.status))
            self.stats.answers_by_code[code] += 1
            return answer

        return handle

    async def _answer(
        self, request: web.Request, action: str, actions: dict[str, tuple[str, Handler]]
    ) -> web.StreamResponse:
        application = "anonymous"
        if self.tokens.required:
            body = await request.read() if request.method == "POST" else None
            try:
                application = self.tokens.verify(request.headers, request.query, body, self.now())
            except AuthError as error:
                return gateway_refusal(error, self.tokens.rules.token_problems)
        # Counted when the request arrived (the kernel's stamp, arrivals.py), as the busiest-window
        # counter counts it: a stall of this process must not make a burst the client never sent.
        wait = self.limiter.retry_after(application, ARRIVED_AT.get() or time.monotonic())
        if wait is not None:
            return self._throttled(wait)
        latency = self.faults.latency_seconds()
        if latency:
            await asyncio.sleep(latency)
        fault = self.faults.draw(action)
        if fault is not Fault.NONE:
            self.stats.faults[fault.value] += 1
        if fault is Fault.HANG:
            # Hang past any sensible client timeout, but let the server stop cleanly.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.faults.faults.hang_seconds)
            return self._drop(request)
        if fault is Fault.DROP_BEFORE:
            return self._drop(request)
        if fault is Fault.ERROR_5XX:
            status = self.faults.status_5xx()
            return web.Response(status=status, text=f"<html><body>{status} gateway error</body></html>",
                                content_type="text/html", headers={"X-Emulator-Code": f"http_{status}"})
        if fault is Fault.THROTTLE:
            return self._throttled(self.faults.faults.retry_after_seconds)
        answer = await self._apply(request, action, actions)
        if fault is Fault.DROP_AFTER_APPLY:
            return self._drop(request)
        return answer

    async def _apply(
        self, request: web.Request, action: str, actions: dict[str, tuple[str, Handler]]
    ) -> web.Response:
        if action not in actions:
            return self._coded(99400, f"Invalid Argument action:{action or 'action is missing'}", None)
        method, handler = actions[action]
        if request.method != method:
            return self._coded(99400, f"Invalid Argument action:{action} takes {method}", None)
        body: Any = None
        if method == "POST":
            raw = await request.read()
            try:
                # orjson, like a Java JSON parser, refuses NaN and Infinity (json.loads takes them)
                body = orjson.loads(raw) if raw.strip() else None
            except (json.JSONDecodeError, UnicodeDecodeError):
                return self._coded(62102, "Incorrect parameter: the body is not valid JSON", None)
        try:
            data = handler(self.service, request.query.get("userId"), request.query.get("orgId"), request.query, body)
        except ServiceError as error:
            return self._coded(error.code, error.msg, None)
        if action == "save":
            self.stats.saves_by_flow[str(data["flowId"])] += 1
            lock_after = self.faults.faults.lock_user_after_saves
            if lock_after and sum(self.stats.saves_by_flow.values()) >= lock_after:
                self.service.users[request.query["userId"]].locked = True  # an admin locks the account
        return self._coded(0, "OK", data)

    @staticmethod
    def _coded(code: int, msg: str, data: Any) -> web.Response:
        answer = envelope(code, msg, data)
        answer.headers["X-Emulator-Code"] = str(code)
        return answer

    @staticmethod
    def _throttled(wait: float) -> web.Response:
        answer = envelope(429, "Resource Exhausted", None, status=429)
        answer.headers["Retry-After"] = retry_after_header(wait)
        answer.headers["X-Emulator-Code"] = "429"
        return answer

    def _drop(self, request: web.Request) -> web.Response:
        """Close the connection without an answer: the client sees a reset or a disconnect."""
        if request.transport is not None:
            request.transport.abort()
        answer = web.Response(status=499)
        answer.headers["X-Emulator-Code"] = "dropped"
        return answer
