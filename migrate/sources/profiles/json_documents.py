"""JSON exports read whole (JSON cannot be streamed without a parser of its own), with errors
that name the file and the position."""

from __future__ import annotations

import json
from typing import Any

from migrate.config import SourceSettings
from migrate.sources.readers import SourceError


def load_json(settings: SourceSettings) -> Any:
    path = settings.path
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    try:
        text = path.read_text(encoding=settings.encoding)
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not {settings.encoding} text (byte {error.start})") from None
    if not text.strip():
        raise SourceError(f"{path}: the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceError(f"{path}: not valid JSON at line {error.lineno} column {error.colno} ({error.msg})") from None
