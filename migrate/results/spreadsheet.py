"""CSV for people to open in a spreadsheet, with cells that a spreadsheet would run as a formula
(`=`, `+`, `-`, `@`, tab, carriage return at the start) made inert by a leading apostrophe."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("run_id", "config", "source_file", "rows", "source_key", "flow_id", "name", "status", "attempts",
           "http_status", "code", "msg", "payload_sha256")


def safe_cell(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (list, dict)) else "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_lines_csv(lines: Iterable[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for line in lines:
            writer.writerow([safe_cell(line.get(column)) for column in COLUMNS])
            count += 1
    return count
