"""The profile's options (`new_day`, `user_dailies`, `flow_ids`, `timezones`, `split_or`), read
and checked once per export: a bad one is the export's error, not a flow's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.config import SourceSettings
from migrate.schedule.controlm import clock_minutes
from migrate.schedule.result import Rejection
from migrate.sources.readers import SourceError

OPTIONS = ("new_day", "user_dailies", "flow_ids", "timezones", "split_or")


@dataclass(frozen=True)
class Options:
    new_day: int | None
    user_dailies: dict[str, int]
    flow_ids: dict[str, str]
    timezones: dict[str, str]
    split_or: bool


def _pairs(value: Any, name: str, path: Path) -> dict[str, str]:
    """`"A=1; B=2"` as {A: 1, B: 2}."""
    pairs: dict[str, str] = {}
    for part in str(value or "").split(";"):
        if not part.strip():
            continue
        key, equals, item = part.partition("=")
        if not equals or not key.strip() or not item.strip():
            raise SourceError(f"{path}: controlm option {name}: {part.strip()!r} is not NAME=VALUE (pairs separated "
                              "by ;)")
        pairs[key.strip()] = item.strip()
    return pairs


def _clock_option(value: Any, name: str, path: Path) -> int:
    text = str(value).strip()
    text = text.zfill(4) if text.isdigit() else text
    try:
        return clock_minutes(text, name)
    except Rejection:
        raise SourceError(f"{path}: controlm option {name} = {value!r} is not a time HHMM") from None


def options(settings: SourceSettings) -> Options:
    path = settings.path
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{path}: controlm options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    raw = settings.options
    new_day = _clock_option(raw["new_day"], "new_day", path) if "new_day" in raw else None
    dailies = {name: _clock_option(at, f"user_dailies {name}", path)
               for name, at in _pairs(raw.get("user_dailies"), "user_dailies", path).items()}
    ids = _pairs(raw.get("flow_ids"), "flow_ids", path)
    for folder, flow_id in ids.items():
        if not flow_id.isdigit():
            raise SourceError(f"{path}: controlm option flow_ids: {folder}={flow_id} is not an EnOS flow id (digits)")
    return Options(new_day, dailies, ids, _pairs(raw.get("timezones"), "timezones", path),
                   bool(raw.get("split_or", False)))
