"""Secrets never reach a log, a result line or the console: every text that leaves the tool
passes through `redact`, which knows the secrets this process holds."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import orjson

MASK = "[redacted]"
# Each secret as it is, and as it reads inside a JSON string (escapes and all).
_forms: set[str] = set()
_rendered_forms: set[bytes] = set()  # the same in a result line, as orjson renders it


def remember(secret: str) -> None:
    if len(secret) >= 4:  # shorter strings would mask ordinary text
        _forms.update((secret, json.dumps(secret, ensure_ascii=False)[1:-1]))
        _rendered_forms.update((secret.encode(), orjson.dumps(secret)[1:-1]))


# Where the application's secret comes from (service/tokens.py reads it there).
SECRET_VARIABLE = "MIGRATE_APP_SECRET"


def remember_configured(credentials_file: Path | None = None) -> None:
    """The app secret of the environment, or of the credentials file, known from the start: a
    message about a file read before the service is (an ids file that is the credentials file by
    mistake) masks it too. A file that cannot be read is said where it is used."""
    if secret := os.environ.get(SECRET_VARIABLE):
        remember(secret)
    if credentials_file is not None:
        try:
            found = tomllib.loads(credentials_file.read_text(encoding="utf-8")).get("app_secret")
        except (OSError, ValueError):
            return
        if isinstance(found, str):
            remember(found)


def remember_from_config(config: Path) -> None:
    """remember_configured for the credentials file a config names, read before anything else of
    the command (its selection's ids file may be read before the config is). Best effort: a config
    that cannot be read is said where it is loaded."""
    try:
        target = tomllib.loads(config.read_text(encoding="utf-8")).get("target") or {}
    except (OSError, ValueError):
        return
    named = target.get("credentials_file") if isinstance(target, dict) else None
    if isinstance(named, str) and named:
        remember_configured(config.parent / named)


def redact(text: str) -> str:
    for form in _forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def redact_rendered(line: bytes) -> bytes:
    """Masks secrets in a rendered result line, wherever they sit."""
    for form in _rendered_forms:
        if form in line:
            line = line.replace(form, MASK.encode())
    return line


# A line that sets something a secret's name names (`app_secret = "…"`, `export DB_PASSWORD=…`,
# `token: …`), or a URL with a password in it: a file read by mistake (the credentials file given as
# an ids file, or as the source) must not have its secret echoed by the message that refuses it.
# Also `password S3cret` (a .netrc line, `client_secret S3cret`) and `mysql -pS3cret`.
# Each part scans a bounded run from where it starts (a scheme only at a word's start): on a line of
# one long word, `[a-z][a-z0-9+.-]*://` from every letter took seconds (quadratic), for a message.
_SECRET_SETTING = re.compile(r"(?i)(?:pass|pwd|secret|token|key|credential|auth|bearer|cookie)[\w.-]{0,200}[\"']?"
                             r"(?:\s*[=:]|\s+\S)|(?<![a-z0-9+.-])[0-9+.-]*[a-z][a-z0-9+.-]*://[^\s/:@]*:[^\s/@]+@"
                             r"|(?:^|\s)-p\S")
NOT_SHOWN = "(a line that looks like it sets a secret: not shown)"


def shown(text: str, width: int = 80) -> str:
    """A line of a file for a message: quoted and cut to `width`, unless it looks like it sets a
    secret or holds one this process knows."""
    if _SECRET_SETTING.search(text) or redact(text) != text:
        return NOT_SHOWN
    return repr(text[:width])


def shown_setting(key: str, value: str, plain_keys: frozenset[str] = frozenset()) -> str:
    """`key=value` for a message, the value withheld when the setting looks like a secret
    (`plain_keys`: keys whose name reads like one and whose values are not, systemd's
    `PassEnvironment=` of variable names)."""
    text = f"{key}={value}"
    looks = key not in plain_keys and _SECRET_SETTING.search(text)  # a plain key's value is names, never one
    return f"{key}=(not shown: it looks like a secret)" if looks or redact(text) != text else text
