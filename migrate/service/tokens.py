"""Application credentials and access tokens (enos-batch-api.md §2.1).

One token serves every worker: it is fetched once, kept until shortly before it expires, and
renewed once for all when it nears expiry or an answer says the gateway no longer takes it
(1203, or `apim_status` 4011 / 4012: answers.TOKEN_PROBLEMS); workers that meet the same lapsed
token wait for that one renewal. 4012 asks for a new token (get), the others a renewal
(refresh, falling back to get when the service no longer knows the token: 1204). The token call
follows the retry table of every other call (a 5xx, a dropped connection, 1005 are retried with
backoff); a refusal of the credentials themselves (1002, 1003, 1004, 1202) is remembered, so
workers do not storm the token service, and so is a token service that stayed down through
every retry.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import stat
import time
import tomllib
from pathlib import Path
from typing import Any

import aiohttp

from migrate.engine.pacing import StopSignal
from migrate.exit_codes import CannotRun
from migrate.redact import SECRET_VARIABLE, remember
from migrate.service.answers import (
    MAX_TOKEN_ANSWER_BYTES,
    Answer,
    WrongServiceUrl,
    backoff_seconds,
    describe_error,
    is_transient,
    is_wrong_url,
    read_bounded,
    read_envelope,
)
from migrate.service.signing import token_encryption

KEY_VARIABLE = "MIGRATE_APP_KEY"
TOKEN_PATH = "/apim-token-service/v2.0/token"


class CredentialsError(CannotRun):
    """Credentials that cannot be used, found before anything is sent."""


# The documented starting lifetime (enos-batch-api.md §2.1), used when an answer's `expire` is
# not a usable number of seconds: a wrong guess only costs a renewal on the first 1203.
DEFAULT_LIFETIME = 7200.0


class TokenError(Exception):
    """No token can be had: no request of this run can succeed."""

    def __init__(self, code: int | None, msg: str, sentence: str) -> None:
        super().__init__(sentence)
        self.code = code
        self.msg = msg


class AuthRefused(TokenError):
    """The service refused the credentials or the token."""

    def __init__(self, code: int | None, msg: str) -> None:
        super().__init__(code, msg, f"access refused ({code}): {msg}")


class TokenUnavailable(TokenError):
    """The token service stayed unavailable through every retry."""

    def __init__(self, attempts: int, msg: str) -> None:
        super().__init__(None, msg, f"the token service gave no token after {attempts} attempt(s): {msg}")


def token_lifetime(expire: Any) -> float:
    """Seconds a token lives, from an answer's `expire` (documented as an integer)."""
    try:
        seconds = float(expire)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_LIFETIME
    return seconds if math.isfinite(seconds) and seconds > 0 else DEFAULT_LIFETIME


class Credentials:
    """An application's key and secret; the secret never shows in a repr or a message."""

    __slots__ = ("_secret", "app_key")

    def __init__(self, app_key: str, app_secret: str) -> None:
        if not app_key or not app_secret:
            raise CredentialsError("the application key and secret must both be set")
        self.app_key = app_key
        self._secret = app_secret
        remember(app_secret)

    @property
    def secret(self) -> str:
        return self._secret

    def __repr__(self) -> str:
        return f"Credentials(app_key={self.app_key[:4]!r}…, app_secret=[redacted])"

    __str__ = __repr__


def load_credentials(path: Path | None) -> Credentials | None:
    """From MIGRATE_APP_KEY and MIGRATE_APP_SECRET, or a TOML file only its owner can read."""
    key, secret = os.environ.get(KEY_VARIABLE), os.environ.get(SECRET_VARIABLE)
    if key or secret:
        if not (key and secret):
            raise CredentialsError(f"set both {KEY_VARIABLE} and {SECRET_VARIABLE}, or neither")
        return Credentials(key, secret)
    if path is None:
        return None
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CredentialsError(f"{path}: no such credentials file") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(f"{path}: other users can read it; run `chmod 600 {path}`")
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise CredentialsError(f"{path}: not valid TOML (expected app_key = \"…\" and app_secret = \"…\")") from None
    unknown = sorted(set(data) - {"app_key", "app_secret"})
    if unknown or not isinstance(data.get("app_key"), str) or not isinstance(data.get("app_secret"), str):
        raise CredentialsError(f"{path}: expected exactly app_key and app_secret as strings"
                               + (f"; unknown key(s) {unknown}" if unknown else ""))
    return Credentials(data["app_key"], data["app_secret"])


class Clock:
    """Millisecond time stamps that never repeat: a repeated `encryption` is refused (1001)."""

    def __init__(self) -> None:
        self._last = 0

    def milliseconds(self) -> int:
        self._last = max(self._last + 1, int(time.time() * 1000))
        return self._last


class AccessTokens:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, credentials: Credentials,
                 clock: Clock | None = None, *, attempts: int = 5, backoff: tuple[float, float] = (0.5, 30.0),
                 stop: StopSignal | None = None, timeout: float | None = None) -> None:
        self.session = session
        self.attempts = attempts
        self.backoff = backoff
        self.stop = stop or StopSignal()
        self.timeout = timeout
        self._rng = random.Random()
        self.base_url = base_url
        self.url = base_url.rstrip("/") + TOKEN_PATH
        self.credentials = credentials
        self.clock = clock or Clock()
        self._token: str | None = None
        self._renew_at = 0.0
        # Remembered, so that workers do not storm the token service: a refusal, a token service
        # down through every retry, or no service at that URL at all.
        self._refused: TokenError | WrongServiceUrl | None = None
        self._answered = False  # some answer was the token service's own
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def token(self) -> str:
        if self._refused:
            raise self._refused
        if self._token is not None and time.monotonic() < self._renew_at:
            return self._token
        async with self._lock:  # one fetch for all workers
            if self._refused:
                raise self._refused
            if self._token is None or time.monotonic() >= self._renew_at:
                await self._fetch()
            assert self._token is not None
            return self._token

    def current(self) -> str | None:
        """The token at hand without waiting, when there is one not yet due for renewal (and no
        refusal remembered); None: `await token()`, which fetches, waits for a fetch under way or
        raises. Every request asks: a coroutine's round trip for the common case is saved."""
        if self._refused is None and self._token is not None and time.monotonic() < self._renew_at:
            return self._token
        return None

    def fresh(self, token: str) -> bool:
        """Still the current token, and not yet due for its (early) renewal."""
        return token == self._token and time.monotonic() < self._renew_at

    def expired(self, token: str, new_token: bool = False) -> None:
        """An answer said the gateway no longer takes this token: the next caller renews it
        (with `new_token`, gets a new one), once, whoever else met it. A token already replaced
        is no news: its renewal is done or under way."""
        if token == self._token:
            self._renew_at = 0.0
            if new_token:
                self._token = None  # nothing to refresh: the gateway does not know it any more

    async def _fetch(self) -> None:
        """A new token, retried as the retry table says; TokenError when none can be had."""
        problem = ""
        attempt = 0
        while attempt < self.attempts:
            attempt += 1
            action = "refresh" if self._token is not None else "get"
            started = time.monotonic()
            try:
                answer = await self._request(action)
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = describe_error(error, self.timeout)
            else:
                if not self._answered and is_wrong_url(answer):  # the URL is wrong: no retry mends that
                    self._refused = WrongServiceUrl(self.base_url, f"the token service ({self.url}/{action})", answer)
                    raise self._refused
                self._answered = True
                data = answer.data if isinstance(answer.data, dict) else {}
                if answer.code == 0 and isinstance(data.get("accessToken"), str):
                    self._keep(data["accessToken"], token_lifetime(data.get("expire")), started)
                    return
                if answer.code == 1204 and action == "refresh":  # the old token is gone: start afresh
                    self._token = None
                    attempt -= 1
                    continue
                # Only a refusal in the envelope's own words is final; an answer that is not the
                # envelope at all (a gateway's page, garbage) is the token service in trouble.
                if answer.code is not None and answer.code != 0 and not is_transient(answer):
                    self._refused = AuthRefused(answer.code, f"the token service answered: {answer.msg}")
                    raise self._refused
                problem = "an answer without an access token" if answer.code == 0 else _said(answer)
            if attempt < self.attempts and await self.stop.sleep(
                    backoff_seconds(attempt, *self.backoff, self._rng)):
                break
        self._refused = TokenUnavailable(attempt, problem)
        raise self._refused

    async def _request(self, action: str) -> Answer:
        stamp = self.clock.milliseconds()  # a new time stamp, so a new `encryption`, every try (1001)
        body: dict[str, Any] = {
            "appKey": self.credentials.app_key,
            "encryption": token_encryption(self.credentials.app_key, stamp, self.credentials.secret),
            "timestamp": stamp,
        }
        if action == "refresh":
            assert self._token is not None
            body["accessToken"] = self._token
        self.fetches += 1
        async with self.session.post(f"{self.url}/{action}", json=body) as response:
            return read_envelope(response.status, await read_bounded(response, MAX_TOKEN_ANSWER_BYTES), None)

    def _keep(self, token: str, lifetime: float, started: float) -> None:
        self._token = token
        remember(token)
        # Renew a tenth of the lifetime early (at most five minutes), so no request goes out on a
        # token about to lapse.
        self._renew_at = started + lifetime - min(300.0, lifetime / 10)


def _said(answer: Answer) -> str:
    """What a failed answer said, in a few words."""
    if answer.code is not None:
        return f"{answer.code} {answer.msg}".strip()
    if answer.http_status < 400:  # a success status over a body that is not the envelope
        return f"its answers are unreadable, not the token envelope (HTTP {answer.http_status}: {answer.msg[:80]})"
    return f"HTTP {answer.http_status} {answer.msg}".strip()
