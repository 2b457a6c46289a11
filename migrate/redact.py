"""Secrets never reach a log, a result line or the console: every text that leaves the tool
passes through `redact`, which knows the secrets this process holds."""

from __future__ import annotations

import json

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


def redact_rendered(_: object, __: str, line: str) -> str:
    """The last structlog processor: masks secrets in the rendered line, wherever they sit (in
    their JSON-escaped form too)."""
    for secret in _secrets:
        for form in (secret, json.dumps(secret)[1:-1]):
            if form in line:
                line = line.replace(form, MASK)
    return line
