"""Secrets never reach a log, a result line or the console: every text that leaves the tool
passes through `redact`, which knows the secrets this process holds."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

MASK = "[redacted]"
_secrets: set[str] = set()


def remember(secret: str) -> None:
    if len(secret) >= 4:  # shorter strings would mask ordinary text
        _secrets.add(secret)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def redact_processor(_: object, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor."""
    if not _secrets:
        return event
    for key, value in event.items():
        event[key] = _scrub(value)
    return event
