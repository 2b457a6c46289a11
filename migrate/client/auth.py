"""Application credentials and access tokens (enos-batch-api.md §2.1).

One token serves every worker: it is fetched once, kept until shortly before it expires, and
renewed once for all when it nears expiry or an answer says it expired (1203). A refusal of the
credentials themselves is remembered, so workers do not storm the token service.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
import tomllib
from pathlib import Path
from typing import Any

import aiohttp

from migrate.client.service import read_envelope
from migrate.redact import remember
from migrate.signing import token_encryption

KEY_VARIABLE, SECRET_VARIABLE = "MIGRATE_APP_KEY", "MIGRATE_APP_SECRET"
TOKEN_PATH = "/apim-token-service/v2.0/token"


class CredentialsError(Exception):
    """Credentials that cannot be used, found before anything is sent."""


class AuthRefused(Exception):
    """The service refused the credentials or the token: no request of this run can succeed."""

    def __init__(self, code: int | None, msg: str) -> None:
        super().__init__(f"access refused ({code}): {msg}")
        self.code = code
        self.msg = msg


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
                 clock: Clock | None = None) -> None:
        self.session = session
        self.url = base_url.rstrip("/") + TOKEN_PATH
        self.credentials = credentials
        self.clock = clock or Clock()
        self._token: str | None = None
        self._renew_at = 0.0
        self._refused: AuthRefused | None = None
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

    def expired(self, token: str) -> None:
        """An answer said this token expired: the next caller fetches a new one."""
        if token == self._token:
            self._renew_at = 0.0

    async def _fetch(self) -> None:
        stamp = self.clock.milliseconds()
        body: dict[str, Any] = {
            "appKey": self.credentials.app_key,
            "encryption": token_encryption(self.credentials.app_key, stamp, self.credentials.secret),
            "timestamp": stamp,
        }
        action = "get"
        if self._token is not None:
            body["accessToken"], action = self._token, "refresh"
        self.fetches += 1
        started = time.monotonic()
        async with self.session.post(f"{self.url}/{action}", json=body) as response:
            answer = read_envelope(response.status, await response.read(), None)
        data = answer.data if isinstance(answer.data, dict) else {}
        if answer.code == 1204 and action == "refresh":  # the old token is gone: start afresh
            self._token = None
            return await self._fetch()
        if answer.code != 0 or not isinstance(data.get("accessToken"), str):
            self._refused = AuthRefused(answer.code, f"the token service answered: {answer.msg}")
            raise self._refused
        expire = float(data.get("expire") or 7200)
        self._token = data["accessToken"]
        remember(self._token)
        # Renew a tenth of the lifetime early (at most five minutes), so no request goes out on a
        # token about to lapse.
        self._renew_at = started + expire - min(300.0, expire / 10)
