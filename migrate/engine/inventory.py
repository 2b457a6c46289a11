"""`migrate plan`: the inventory of a source, mapped and validated without a single write.

Mapping and validating a row is pure Python work, about 60 µs; with more than one core, batches
of flows are mapped in worker processes while this one reads, and only their small summaries come
back. Duplicates are found at the end, all at once: a 64-bit digest of every flow's target and its
row, 12 bytes a flow, sorted with numpy; no table of a million keys is ever held.
"""

from __future__ import annotations

import os
from array import array
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from migrate.config import Settings
from migrate.engine.job import EXIT_CHANGES, EXIT_OK, EXIT_SOME_FAILED
from migrate.mapping.flows import InvalidFlow, ValidFlow, plan_flows
from migrate.mapping.pipeline import batches_of, can_batch, chain, source_rows, start_worker, worker_settings
from migrate.mapping.seen import digest
from migrate.service.model import FieldError
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
    digests: array[int] = field(default_factory=lambda: array("Q"))  # of each valid flow's target
    first_rows: array[int] = field(default_factory=lambda: array("I"))

    def add(self, flow: ValidFlow | InvalidFlow, keep_invalid: int) -> None:
        self.found += 1
        for warning in flow.warnings:
            self.warnings_by_code[warning["code"]] += 1
        if isinstance(flow, InvalidFlow):
            self.invalid_by_reason.update({e.reason for e in flow.errors})
            if len(self.invalid) < keep_invalid:
                self.invalid.append(flow)
        else:
            self.valid += 1
            self.by_name += flow.needs_id
            self.digests.append(digest(flow.target))
            self.first_rows.append(flow.rows[0])


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
    _digests: array[int] = field(default_factory=lambda: array("Q"))
    _rows: array[int] = field(default_factory=lambda: array("I"))

    def merge(self, part: Partial) -> None:
        self.found += part.found
        self.valid += part.valid
        self.by_name += part.by_name
        self.invalid_by_reason.update(part.invalid_by_reason)
        self.warnings_by_code.update(part.warnings_by_code)
        self.invalid.extend(part.invalid[: max(0, KEEP_INVALID - len(self.invalid))])
        self._digests.extend(part.digests)
        self._rows.extend(part.first_rows)

    def find_duplicates(self) -> None:
        """Every valid flow whose target an earlier row already has: refused, counted, listed."""
        digests = np.frombuffer(self._digests, dtype=np.uint64)
        rows = np.frombuffer(self._rows, dtype=np.uint32)
        order = np.lexsort((rows, digests))  # by digest, then by row: the first of a run came first
        ordered = digests[order]
        repeated = np.nonzero(ordered[1:] == ordered[:-1])[0] + 1
        if not len(repeated):
            return
        run_starts = np.nonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))[0]
        first_of = run_starts[np.searchsorted(run_starts, repeated, side="right") - 1]
        self.valid -= len(repeated)
        self.invalid_by_reason["DUPLICATE"] += len(repeated)
        for index, first in zip(repeated.tolist(), first_of.tolist(), strict=True):
            if len(self.invalid) >= KEEP_INVALID:
                break
            row, earlier = int(rows[order[index]]), int(rows[order[first]])
            self.invalid.append(InvalidFlow(source_key=f"row {row}", rows=[row], name="", flow_id="", errors=[
                FieldError(field="id", value="", code="DUPLICATE",
                           message=f"duplicate: saves into the same flow as row {earlier}; not saved twice")]))

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


def _inventory(rows: Iterable[SourceRow], settings: Settings | None = None) -> Partial:
    settings = settings or worker_settings()
    part = Partial()
    for flow in plan_flows(rows, settings, dedupe=False):  # found for the whole input at the end
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
            pending: deque[Future[Partial]] = deque([pool.submit(_inventory, first)])
            for batch in batches:
                pending.append(pool.submit(_inventory, batch))
                while len(pending) > 2 * workers:  # bounded: memory stays flat
                    result.merge(pending.popleft().result())
            while pending:
                result.merge(pending.popleft().result())
    result.find_duplicates()
    result.exit_code = EXIT_SOME_FAILED if result.invalid_by_reason else (
        EXIT_CHANGES if result.valid else EXIT_OK)
    return result
