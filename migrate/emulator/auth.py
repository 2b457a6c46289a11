"""The emulated token service (`/apim-token-service/v2.0/token/get|refresh`) and the gateway's
check of every request's token and signature. Codes are the documented 1001-1204."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrate.emulator.config import AuthRules
from migrate.service.signing import request_signature, token_encryption

DUPLICATE_REQUEST, NO_SUCH_APP, BAD_ENCRYPTION, BAD_PARAMETER = 1001, 1002, 1003, 1004
EMPTY_PARAMETER, TOKEN_EXPIRED, REFRESH_FAILED = 1202, 1203, 1204


class AuthError(Exception):
    def __init__(self, code: int, msg: str, refreshable: bool = False) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.refreshable = refreshable  # a token that lapsed but is still known: refresh may renew it


@dataclass
class Issued:
    app_key: str
    token: str
    expires_at: float  # seconds, on the emulator's clock


class TokenService:
    """Applications and their tokens; `now` is passed in so tests can move the clock."""

    def __init__(self, applications: Mapping[str, str], rules: AuthRules) -> None:
        self.applications = dict(applications)  # appKey -> appSecret
        self.rules = rules
        self._by_app: dict[str, Issued] = {}
        self._by_token: dict[str, Issued] = {}
        self._seen_encryptions: set[str] = set()
        self._verified = 0  # batch requests checked, for `lapse_tokens_after_requests`
        self._issued = 0  # tokens issued, for `revoke_application_after_tokens`

    @property
    def required(self) -> bool:
        return self.rules.required if self.rules.required is not None else bool(self.applications)

    def add_application(self, app_key: str, app_secret: str) -> None:
        self.applications[app_key] = app_secret

    def _check_request(self, body: object, now: float) -> tuple[str, dict[str, Any]]:
        if not isinstance(body, dict):
            raise AuthError(BAD_PARAMETER, "Invalid parameter: the body must be a JSON object")
        for name in ("appKey", "encryption", "timestamp"):
            if body.get(name) in (None, ""):
                raise AuthError(EMPTY_PARAMETER, f"Parameter is empty: {name}")
        app_key, timestamp = body["appKey"], body["timestamp"]
        if not isinstance(timestamp, int) or isinstance(timestamp, bool):
            raise AuthError(BAD_PARAMETER, "Invalid parameter: timestamp must be milliseconds")
        secret = self.applications.get(str(app_key))
        revoke_after = self.rules.revoke_application_after_tokens
        revoked = bool(revoke_after) and self._issued >= revoke_after
        if secret is None or revoked:
            raise AuthError(NO_SUCH_APP, "appKey does not exist")
        if body["encryption"] in self._seen_encryptions:
            raise AuthError(DUPLICATE_REQUEST, "Duplicate request: this encryption was used already")
        if body["encryption"] != token_encryption(str(app_key), timestamp, secret):
            raise AuthError(BAD_ENCRYPTION, "encryption invalid")
        self._check_skew(timestamp, now)
        self._seen_encryptions.add(str(body["encryption"]))
        return str(app_key), body

    def _check_skew(self, timestamp_ms: int, now: float) -> None:
        skew = abs(timestamp_ms / 1000 - now)
        if skew > self.rules.max_skew_seconds:
            raise AuthError(BAD_PARAMETER, f"Invalid parameter: timestamp is {skew:.0f} s away from the server's clock")

    def _issue(self, app_key: str, now: float) -> dict[str, Any]:
        issued = Issued(app_key, secrets.token_hex(16), now + self.rules.token_ttl_seconds)
        self._issued += 1
        old = self._by_app.get(app_key)
        if old is not None:
            self._by_token.pop(old.token, None)
        self._by_app[app_key] = self._by_token[issued.token] = issued
        return {"accessToken": issued.token, "expire": self.rules.token_ttl_seconds}

    def get_token(self, body: object, now: float) -> dict[str, Any]:
        app_key, _ = self._check_request(body, now)
        current = self._by_app.get(app_key)
        if current is not None and current.expires_at > now:  # documented: the same token again
            return {"accessToken": current.token, "expire": round(current.expires_at - now)}
        return self._issue(app_key, now)

    def refresh_token(self, body: object, now: float) -> dict[str, Any]:
        app_key, checked = self._check_request(body, now)
        current = self._by_token.get(str(checked.get("accessToken", "")))
        if current is None or current.app_key != app_key:
            raise AuthError(REFRESH_FAILED, "Failed to refresh access token")
        return self._issue(app_key, now)

    def _lapse_when_due(self, now: float) -> None:
        """Once, after `lapse_tokens_after_requests` requests: every token issued so far lapses."""
        self._verified += 1
        if self._verified != self.rules.lapse_tokens_after_requests + 1:
            return
        if self.rules.lapse_tokens_as == "forget":
            self._by_app.clear()
            self._by_token.clear()
            return
        for issued in self._by_token.values():
            issued.expires_at = min(issued.expires_at, now)

    def verify(self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes | None, now: float) -> str:
        """The application a request is signed by; AuthError when it must be refused."""
        if self.rules.lapse_tokens_after_requests:
            self._lapse_when_due(now)
        token = headers.get("apim-accesstoken", "")
        signature = headers.get("apim-signature", "")
        stamp = headers.get("apim-timestamp", "")
        if not token or not signature or not stamp:
            raise AuthError(EMPTY_PARAMETER, "Parameter is empty: apim-accesstoken, apim-signature, apim-timestamp")
        if not stamp.isdigit():
            raise AuthError(BAD_PARAMETER, "Invalid parameter: apim-timestamp")
        issued = self._by_token.get(token)
        if issued is None or issued.expires_at <= now:
            raise AuthError(TOKEN_EXPIRED, "Access token expired", refreshable=issued is not None)
        self._check_skew(int(stamp), now)
        expected = request_signature(token, query, body, int(stamp), self.applications[issued.app_key])
        if not secrets.compare_digest(signature, expected):
            raise AuthError(BAD_ENCRYPTION, "Signature invalid")
        return issued.app_key
