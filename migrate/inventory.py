"""`migrate plan`: the inventory of a source, mapped and validated without a single write.

Mapping and validating a row is pure Python work, about 60 µs; with more than one core, batches
of flows are mapped in worker processes while this one reads, and only their small summaries come
back. Duplicates across batches are found here, in input order, exactly as a serial plan would.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from migrate.config import Settings
from migrate.job import EXIT_CHANGES, EXIT_OK, EXIT_SOME_FAILED
from migrate.mapping import InvalidFlow, ValidFlow, duplicate_of, plan_flows
from migrate.pipeline import batches_of, can_batch, chain, map_batch, source_rows, start_worker
from migrate.seen import SeenKeys
from migrate.sources.readers import SourceRow

BATCH_ROWS = 2000
KEEP_INVALID = 1000


@dataclass
class Partial:
    """What one batch of flows adds to the inventory."""

    found: int = 0
    valid: int = 0
    by_name: int = 0
    invalid: list[InvalidFlow] = field(default_factory=list)
    invalid_by_reason: Counter[str] = field(default_factory=Counter)
    warnings_by_code: Counter[str] = field(default_factory=Counter)
    # (target, first row, source key, name) of each valid flow, for duplicates across batches
    targets: list[tuple[str, int, str, str]] = field(default_factory=list)

    def add(self, flow: ValidFlow | InvalidFlow, keep_invalid: int) -> None:
        self.found += 1
        for warning in flow.warnings:
            self.warnings_by_code[warning["code"]] += 1
        if isinstance(flow, InvalidFlow):
            self.invalid_by_reason.update({e.code or f"field {e.field.split('[')[0].split('.')[0]}"
                                           for e in flow.errors})
            if len(self.invalid) < keep_invalid:
                self.invalid.append(flow)
        else:
            self.valid += 1
            self.by_name += flow.needs_id
            self.targets.append((flow.target, flow.rows[0], flow.source_key, flow.name))


@dataclass
class PlanResult:
    """The inventory of one source: what would be saved, what cannot be, and why."""

    exit_code: int
    source: str
    profile: str
    found: int = 0
    valid: int = 0
    by_name: int = 0  # valid flows with no id, to be found by name (or created) at run time
    invalid: list[InvalidFlow] = field(default_factory=list)
    invalid_by_reason: Counter[str] = field(default_factory=Counter)
    warnings_by_code: Counter[str] = field(default_factory=Counter)
    _seen: SeenKeys = field(default_factory=SeenKeys)

    def merge(self, part: Partial) -> None:
        self.found += part.found
        self.valid += part.valid
        self.by_name += part.by_name
        self.invalid_by_reason.update(part.invalid_by_reason)
        self.warnings_by_code.update(part.warnings_by_code)
        self.invalid.extend(part.invalid[: max(0, KEEP_INVALID - len(self.invalid))])
        for target, row, key, name in part.targets:
            first = self._seen.first_row(target, row)
            if first is None:
                continue
            self.valid -= 1
            self.by_name -= target.startswith("name ")
            self.invalid_by_reason["DUPLICATE"] += 1
            if len(self.invalid) < KEEP_INVALID:
                self.invalid.append(duplicate_of(target, first, row, key, name))

    def listed(self) -> list[InvalidFlow]:
        """The invalid flows kept for the report, in input order."""
        return sorted(self.invalid, key=lambda f: f.rows[0])

    def as_json(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code, "source": self.source, "profile": self.profile, "flows_found": self.found,
            "convertible": self.valid, "to_find_by_name": self.by_name, "invalid": self.found - self.valid,
            "invalid_by_reason": dict(self.invalid_by_reason.most_common()),
            "warnings_by_code": dict(self.warnings_by_code.most_common()),
            "invalid_flows": [{"rows": f.rows, "source_key": f.source_key, "name": f.name,
                               "errors": [e.model_dump(exclude_none=True) for e in f.errors]} for f in self.listed()],
        }

    def markdown(self) -> str:
        lines = [f"# Migration plan: `{self.source}`", "", f"Profile: {self.profile}", "",
                 "| flows found | convertible | invalid | found by name at run time |", "|---|---|---|---|",
                 f"| {self.found} | {self.valid} | {self.found - self.valid} | {self.by_name} |", ""]
        for title, counts in (("Invalid, by reason", self.invalid_by_reason),
                              ("Warnings, by code", self.warnings_by_code)):
            if counts:
                lines += [f"## {title}", "", "| code | flows |", "|---|---|"]
                lines += [f"| {code} | {n} |" for code, n in counts.most_common()] + [""]
        if self.invalid:
            lines += ["## Invalid flows", "", "| rows | flow | reason |", "|---|---|---|"]
            for flow in self.listed():
                reasons = "; ".join(e.sentence() for e in flow.errors).replace("|", "\\|")
                lines.append(f"| {', '.join(map(str, flow.rows))} | {flow.name or flow.source_key} | {reasons} |")
        return "\n".join(lines) + "\n"


def _inventory(rows: Iterable[SourceRow], settings: Settings) -> Partial:
    part = Partial()
    for flow in plan_flows(rows, settings):
        part.add(flow, KEEP_INVALID)
    return part


def _inventory_in_worker(rows: list[SourceRow]) -> Partial:
    part = Partial()
    for flow in map_batch(rows):
        part.add(flow, KEEP_INVALID)
    return part


def plan_job(settings: Settings, workers: int | None = None) -> PlanResult:
    result = PlanResult(EXIT_OK, str(settings.source.path), settings.source.profile)
    settings, rows = source_rows(settings)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    batches = batches_of(rows, settings, BATCH_ROWS)
    first = next(batches, [])
    if workers < 2 or not can_batch(settings) or len(first) < BATCH_ROWS:
        result.merge(_inventory(chain(first, batches), settings))
    else:
        # Reading and merging here is light, so every core can map.
        with ProcessPoolExecutor(max_workers=workers, initializer=start_worker, initargs=(settings,)) as pool:
            pending: deque[Future[Partial]] = deque([pool.submit(_inventory_in_worker, first)])
            for batch in batches:
                pending.append(pool.submit(_inventory_in_worker, batch))
                while len(pending) > 2 * workers:  # bounded: memory stays flat
                    result.merge(pending.popleft().result())
            while pending:
                result.merge(pending.popleft().result())
    result.exit_code = EXIT_SOME_FAILED if result.invalid_by_reason else (
        EXIT_CHANGES if result.valid else EXIT_OK)
    return result
