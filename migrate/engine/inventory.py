"""`migrate plan`: the inventory of a source, mapped and validated without a single write.

Mapping and validating a row is pure Python work, about 60 µs; with more than one core, batches
of flows are mapped in worker processes while this one reads, and only their small summaries come
back. Duplicates are found at the end, all at once: a 64-bit digest of every flow's target and its
row, 12 bytes a flow, sorted with numpy; no table of a million keys is ever held.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Literal, TextIO

import numpy as np
import orjson

from migrate.config import Settings
from migrate.exit_codes import EXIT_ABORTED, EXIT_CHANGES, EXIT_INVALID_ROWS, EXIT_OK, TargetUnreachable
from migrate.mapping.flows import (
    InvalidFlow,
    ReadyFlow,
    ValidFlow,
    flow_target,
    identity_scopes,
    marker_digest,
    name_collision,
    plan_flows,
    two_jobs,
)
from migrate.mapping.pipeline import batches_of, can_batch, chain, source_rows, start_worker, worker_settings
from migrate.mapping.seen import digest
from migrate.reconcile.caller import caller_note, with_caller_name
from migrate.reconcile.diff import UPSTREAM_NAME_DIFFERS, Action, invalid_action, live_actions
from migrate.reconcile.live import LiveFlows, ReadFailed, listed_flows
from migrate.schedule.proof import (
    Proof,
    ProofKey,
    fires_in_zone,
    first_fires,
    give_proofs,
    made_proofs,
    proof_begin,
    record_made_proofs,
    schedule_in_words,
)
from migrate.schedule.words import in_words
from migrate.service.model import FieldError
from migrate.sources.detect import left_out, links_to_entries
from migrate.sources.mixed import MixedRows, Span, formats_in
from migrate.sources.profiles import Row, expanded_rows, rows_in

if TYPE_CHECKING:  # the run's requester: imported by a live plan only (engine/connection.py)
    from migrate.engine.runner import Runner

BATCH_ROWS = 2000
Keep = Literal["nothing", "actions", "payloads"]
# A manual flow's schedule in words: its freq is only the placeholder Save wants, never fired.
MANUAL_WORDS = "manual: no schedule (its freq a placeholder, never fired)"


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
    ready: list[ReadyFlow] = field(default_factory=list)  # kept for a plan against the live service
    wanted: list[str] = field(default_factory=list)  # marker digests of every flow, valid or not (orphans: the others)
    # An offline plan's `valid` actions as JSON lines (no body made): bytes pickle back from a
    # worker far faster than objects, and the plan spools them to a file, so memory stays flat.
    action_lines: bytearray = field(default_factory=bytearray)
    proofs: list[tuple[ProofKey, Proof]] = field(default_factory=list)  # made for this batch (a pool's worker)

    def add(self, flow: ValidFlow | InvalidFlow, keep: Keep) -> None:
        self.found += 1
        for warning in flow.warnings:
            self.warnings_by_code[warning["code"]] += 1
        if keep == "payloads" and (digest_of_marker := marker_digest(flow)) is not None:
            self.wanted.append(digest_of_marker)
        if isinstance(flow, InvalidFlow):
            self.invalid_by_reason.update({e.reason for e in flow.errors})
            self.invalid.append(flow)
        else:
            if keep == "payloads":
                self.ready.append(flow.ready())
            elif keep == "actions":
                payload = flow.payload
                record: dict[str, Any] = {"action": "valid", "source_key": flow.source_key, "name": payload.name,
                                          "rows": flow.rows}
                if not flow.needs_id:
                    record["flow_id"] = payload.id
                record["freq"], record["cycle"] = payload.freq, payload.cycle
                if flow.warnings:
                    record["warnings"] = flow.warnings
                if flow.proof:
                    record["proof"] = flow.proof
                self.action_lines += orjson.dumps(with_words(record))
                self.action_lines += b"\n"
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
    ready: list[ReadyFlow] = field(default_factory=list)  # the valid flows (a plan against the live service)
    wanted: set[str] = field(default_factory=set)  # the marker digests of every flow of the source
    actions: list[Action] = field(default_factory=list)  # one a flow, but an offline plan's valid ones:
    _spool: IO[bytes] | None = None  # those are here, a JSON line each (see Partial.action_lines)
    _spooled: int = 0
    _dropped_rows: set[int] = field(default_factory=set)  # duplicates, left out of the spool when read
    reads: Counter[str] = field(default_factory=Counter)  # requests a live plan made, by action
    offline: bool = True
    notes: list[str] = field(default_factory=list)
    sources: list[Span] = field(default_factory=list)  # a folder of several formats: which rows each entry gave
    target_zone: str | None = None  # the zone the service fires freq in (the schedules' fire times are shown in it)
    proofs_made: int | None = None  # by the workers of a pool, all together (None: mapped in this process)

    def merge(self, part: Partial) -> None:
        self.found += part.found
        self.valid += part.valid
        self.by_name += part.by_name
        self.invalid_by_reason.update(part.invalid_by_reason)
        self.warnings_by_code.update(part.warnings_by_code)
        self.invalid.extend(part.invalid)  # all of them: nothing is left out of the plan
        self.ready.extend(part.ready)
        self.wanted.update(part.wanted)
        if part.action_lines:
            if self._spool is None:
                self._spool = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the plan)
            self._spool.write(part.action_lines)
            self._spooled += part.action_lines.count(b"\n")
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
        duplicates: dict[int, int] = {}  # row -> the earlier row of the same target
        for index, first in zip(repeated.tolist(), first_of.tolist(), strict=True):
            duplicates[int(rows[order[index]])] = int(rows[order[first]])
        wanted = set(duplicates) | set(duplicates.values())  # the earlier ones too: whose key they are
        kept: dict[int, ReadyFlow | Action] = {flow.rows[0]: flow for flow in self.ready}
        kept.update((action.rows[0], action) for action in self.actions)
        if self._spool is not None:  # one pass over the spool, for the few rows that are duplicates
            kept.update((action.rows[0], action) for action in self._spooled_actions()
                        if action.rows[0] in wanted)
            self._dropped_rows.update(duplicates)
            self._spooled -= sum(1 for row in duplicates if isinstance(kept.get(row), Action))
        self.ready = [flow for flow in self.ready if flow.rows[0] not in duplicates]
        self.actions = [action for action in self.actions if action.rows[0] not in duplicates]
        for row, earlier in duplicates.items():
            flow, earlier_flow = kept.get(row), kept.get(earlier)
            target = _target_of(flow)
            name = str(getattr(flow, "name", "")) if flow else ""
            if target.startswith("name ") and f"name {name!r}" != target:
                target += f" (written {name!r} here)"  # blanks or characters that do not show
            field = "name" if target.startswith("name ") else "id" if target else "source"
            files = self._duplicate_across_entries(earlier, row, field)
            if field == "name" and earlier_flow and flow and not self._two_formats(earlier, row) \
                    and two_jobs(earlier_flow.source_key, flow.source_key):
                # Two jobs (two keys) of one format whose names meet, in one entry or in two (two
                # Rundeck archives' jobs of one group and name): neither is a copy of the other
                error = self._with_entries(name_collision(target, earlier_flow.source_key, earlier), earlier, row)
            else:
                error = FieldError(field=field, value=json.dumps(target or f"row {row}"), code="DUPLICATE",
                                   message=f"duplicate: {target or 'the same flow (the same source key)'} already "
                                           f"comes from row {earlier}{files}; not saved twice")
            self.invalid_by_reason[error.reason] += 1
            self.invalid.append(InvalidFlow(
                source_key=flow.source_key if flow else f"row {row}", rows=flow.rows if flow else [row],
                name=flow.name if flow else "", flow_id="", proof=flow.proof if flow else None, errors=[error]))

    def _span_of(self, row: int) -> Span:
        """The entry of a folder a row came from."""
        firsts = [span.first_row for span in self.sources]
        return self.sources[max(bisect.bisect_right(firsts, row) - 1, 0)]

    def _file_of(self, row: int) -> str:
        return self._span_of(row).label

    def _two_formats(self, earlier: int, row: int) -> bool:
        """Whether two rows came from entries of a folder in two formats."""
        return bool(self.sources) and self._span_of(earlier).profile != self._span_of(row).profile

    def _with_entries(self, collision: FieldError, earlier: int, row: int) -> FieldError:
        """A NAME_COLLISION of two entries of a folder, naming both beside the earlier row."""
        if not self.sources or (first := self._span_of(earlier)) == (this := self._span_of(row)):
            return collision
        # The earlier row is the last `(row N)` of the message: the target and key come before it
        head, said, tail = collision.message.rpartition(f" (row {earlier})")
        if not said:
            return collision
        return collision.model_copy(update={
            "message": f"{head} (row {earlier}, {first.label}; this row: {this.label}){tail}"})

    def _duplicate_across_entries(self, earlier: int, row: int, field: str) -> str:
        """What a duplicate of two entries of a folder says: two exports of one format whose keys
        meet (their own identity scope each parts them), or two formats naming one flow alike (the
        service has one flow of a name: rename one job, or give it its flow's id)."""
        if not self.sources:
            return ""
        first, this = self._span_of(earlier), self._span_of(row)
        if first == this:
            return ""
        files = f" ({first.label}; this row: {this.label})"
        if first.profile == this.profile == "crontab":  # users' crontabs of a spool, each named after its user
            return f"{files}: two crontabs hold one job of one user; if each file is a user's crontab named after " \
                   "its user (a spool folder), set options = { \"crontab.user_from_file\" = true }; if they are two " \
                   "hosts', give each its own config and [mapping] identity_scope; else remove one if it is a copy " \
                   "of the other"
        if first.profile == this.profile:
            return f"{files}: two exports of one format meet in one identity scope; remove one if it is a copy of " \
                   "the other, else give each its own config and [mapping] identity_scope"
        return (f"{files}: a {first.profile} job and a {this.profile} job would be one flow (one {field}; the "
                "service has one flow of a name): rename one of them in its export, or keep only one")

    def _format_of_row(self) -> _FormatColumn:
        return _FormatColumn(self.sources)

    def _sources_json(self) -> list[dict[str, Any]]:
        flows_of = self._flows_by_entry()
        return [{**span.as_json(), "flows": flows_of.get(span, 0)} for span in self.sources]

    def _flows_by_entry(self) -> Counter[Span]:
        """A mixed folder's flows counted by the entry their first row came from."""
        firsts = [span.first_row for span in self.sources]
        counted: Counter[Span] = Counter()
        for action in self.all_actions():
            if action.rows:
                counted[self.sources[max(bisect.bisect_right(firsts, action.rows[0]) - 1, 0)]] += 1
        return counted

    def listed(self) -> list[InvalidFlow]:
        """The invalid flows kept for the report, in input order."""
        return sorted(self.invalid, key=lambda f: f.rows[0])

    def _spooled_lines(self) -> Iterator[bytes]:
        """The spooled actions as the JSON lines they are, duplicates left out."""
        if self._spool is None:
            return
        self._spool.flush()
        self._spool.seek(0)
        for line in self._spool:
            if not self._dropped_rows or orjson.loads(line)["rows"][0] not in self._dropped_rows:
                yield line.rstrip(b"\n")
        self._spool.seek(0, os.SEEK_END)

    def _spooled_actions(self) -> Iterator[Action]:
        for line in self._spooled_lines():
            record = orjson.loads(line)
            del record["freq_words"]  # shown again from freq where wanted
            yield Action(**record)

    def all_actions(self) -> Iterator[Action]:
        """Every flow's action, in input order of the batches; streamed from the spool."""
        yield from self._spooled_actions()
        yield from self.actions

    def by_action(self) -> Counter[str]:
        counts = Counter(action.action for action in self.actions)
        if self._spooled:
            counts["valid"] += self._spooled
        return counts

    def as_json(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code, "source": self.source, "profile": self.profile, "flows_found": self.found,
            "convertible": self.valid, "to_find_by_name": self.by_name, "invalid": self.found - self.valid,
            "offline": self.offline, "by_action": dict(self.by_action().most_common()),
            **({"sources": self._sources_json()} if self.sources else {}),
            "reads": dict(self.reads), "notes": self.notes,
            "invalid_by_reason": dict(self.invalid_by_reason.most_common()),
            "warnings_by_code": dict(self.warnings_by_code.most_common()),
            "invalid_flows": [{**self._format_field(f.rows), "rows": f.rows, "source_key": f.source_key,
                               "name": f.name, "errors": [e.model_dump(exclude_none=True) for e in f.errors]}
                              for f in self.listed()],
        }

    def _format_field(self, rows: list[int]) -> dict[str, str]:
        """A mixed folder's flow names its format in the JSON, as its row of the table does: a
        script can pick one format's flows out of one plan (nothing for a source of one format)."""
        return {"format": self._span_of(rows[0]).profile} if self.sources and rows else {}

    def write_json(self, out: TextIO, head: dict[str, Any] | None = None) -> None:
        """The plan as one JSON document, its actions written one by one (a million flows never
        become one string in memory)."""
        text = _indented({**(head or {}), **self.as_json()})
        out.write(text[:-2] + ',\n  "actions": [')
        separator = "\n    "
        for line in self._spooled_lines():  # already JSON: copied, not parsed and written again
            if self.sources:  # its format put first: `{"format":"…",` and the rest of the line
                line = orjson.dumps(self._format_field(orjson.loads(line)["rows"]))[:-1] + b"," + line[1:]
            out.write(separator + line.decode())
            separator = ",\n    "
        for action in self.actions:
            out.write(separator + _ONE_LINE.encode(with_words({**self._format_field(action.rows),
                                                               **action.as_json()})))
            separator = ",\n    "
        out.write("\n  ]\n}\n")

    def write_markdown(self, out: TextIO) -> None:
        # Convertible flows the live service's reading refuses (NAME_TAKEN, UPSTREAM_ID_DIFFERS …): invalid
        # too, which the counts of the conversion alone left "convertible" and out of the invalid ones.
        refused = max(0, self.by_action()["invalid"] - (self.found - self.valid))
        lines = [f"# Migration plan: `{self.source}`", "", f"Profile: {self.profile}", "",
                 "| flows found | convertible | refused against the live service | invalid | found by name at run "
                 "time |", "|---|---|---|---|---|",
                 f"| {self.found} | {self.valid} | {refused} | {self.found - self.valid + refused} | {self.by_name} |",
                 ""]
        format_of = self._format_of_row()
        if self.sources:
            lines += ["## Sources", "", "| format | export | rows | flows |", "|---|---|---|---|"]
            flows_of = self._flows_by_entry()
            lines += [f"| {span.profile} | `{span.label}` | {span.first_row}-{span.last_row} | "
                      f"{flows_of.get(span, 0)} |" for span in self.sources] + [""]
        for title, counts in (("Invalid, by reason", self.invalid_by_reason),
                              ("Warnings, by code", self.warnings_by_code)):
            if counts:
                lines += [f"## {title}", "", "| code | flows |", "|---|---|"]
                lines += [f"| {code} | {n} |" for code, n in counts.most_common()] + [""]
        if self.invalid:
            lines += ["## Invalid flows", "", f"| {format_of.title}rows | flow | reason |",
                      f"|{format_of.rule}---|---|---|"]
            for flow in self.listed():
                reasons = "; ".join(e.sentence() for e in flow.errors).replace("|", "\\|")
                lines.append(f"| {format_of(flow.rows)}{', '.join(map(str, flow.rows))} | "
                             f"{flow.name or flow.source_key} | {reasons} |")
            lines.append("")
        out.write("\n".join(lines) + "\n")
        if self.by_action():
            out.write(f"## Flows\n\n| {format_of.title}action | flow | id | freq | cycle | what |\n"
                      f"|{format_of.rule}---|---|---|---|---|---|\n")
            for action in self.all_actions():
                cells = action_cells(action, warning_messages=True)  # a review reads what each warning says
                out.write(f"| {format_of(action.rows)}"
                          + " | ".join(c.replace("|", "\\|").replace("\n", "<br>") for c in cells) + " |\n")
            out.write("\n")
            self._write_schedules(out)
        out.write("".join(f"{note}  \n" for note in self.notes))

    def _write_schedules(self, out: TextIO) -> None:
        """Each flow's old schedule and new freq, both in words, the freq's next five fire times in the
        service's zone, and the proof's verdict (schedule/proof.py)."""
        zone = self.target_zone or "UTC"
        out.write(f"## Schedules and their proof\n\n| flow | old schedule | in words | freq | in words | next five "
                  f"fire times ({zone}) | proof |\n|---|---|---|---|---|---|---|\n")
        begin = proof_begin()
        for action in self.all_actions():
            proof = action.proof or {}
            if not proof and not action.freq:
                continue
            old = str(proof.get("schedule", ""))
            grammar = str(proof.get("grammar", ""))
            shown_old = f"`{old}` ({grammar}{', ' + str(proof['zone']) if proof.get('zone') else ''})" if old else ""
            manual = proof.get("verdict") == "manual"  # its freq a placeholder: no words, no fire times
            upcoming = fires_in_zone(first_fires(action.freq, zone, _proof_from(proof, begin)), zone) \
                if action.freq and not manual else []
            words = MANUAL_WORDS if manual else \
                in_words(action.freq) if action.freq else ""
            cells = [action.name or action.source_key, shown_old, schedule_in_words(old, grammar) if old else "",
                     f"`{action.freq}`" if action.freq else "", words, "<br>".join(upcoming), _verdict_text(proof)]
            out.write("| " + " | ".join(c.replace("|", "\\|").replace("\n", "<br>") for c in cells) + " |\n")
        out.write("\n")


def _proof_from(proof: dict[str, Any], today: datetime) -> datetime:
    """Where the flow's fire times begin: where its proof began (its startTime when later than
    today: the service fires nothing before it), or, a proof that compared nothing, the flow's
    start still ahead (`starts`), else today."""
    for key in ("from", "starts"):
        try:
            return datetime.fromisoformat(str(proof[key]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
    return today


def _verdict_text(proof: dict[str, Any]) -> str:
    """A proof line (schedule/proof.py) in words: the verdict first."""
    verdict = str(proof.get("verdict", ""))
    if verdict == "equivalent":
        return f"**equivalent**: the same {proof.get('fires')} fire times, {proof.get('from')} to {proof.get('until')}"
    if verdict == "differs":
        source, saved = ", ".join(proof.get("source") or []) or "-", ", ".join(proof.get("saved") or []) or "-"
        return f"**differs** ({proof.get('from')} to {proof.get('until')}): source only {source}; saved only {saved}"
    if verdict == "unchecked":
        return f"**unchecked**: {proof.get('reason', '')}"
    return f"**{verdict}**" if verdict else ""


def _target_of(flow: ReadyFlow | Action | None) -> str:
    """What a flow saves into (mapping/flows.py's flow_target); an offline plan's `valid` action,
    read back from its spool, has an id only where the flow is saved under one."""
    if flow is None:
        return ""
    if isinstance(flow, Action):
        return flow_target(flow.name, flow.flow_id, needs_id=not flow.flow_id)
    return flow.target


class _FormatColumn:
    """A mixed folder's plan: the format of a flow, from the rows its entry gave (a first column of
    the tables); nothing for a source of one format."""

    def __init__(self, sources: list[Span]) -> None:
        self.firsts = [span.first_row for span in sources]
        self.names = [span.profile for span in sources]
        self.title, self.rule = ("format | ", "---|") if sources else ("", "")

    def __call__(self, rows: list[int]) -> str:
        if not self.firsts:
            return ""
        if not rows:  # an orphan: a live flow, of no row; its cell stays, empty, or the row shifts
            return " | "
        return f"{self.names[max(bisect.bisect_right(self.firsts, rows[0]) - 1, 0)]} | "


def _inventory(rows: Iterable[Row], settings: Settings | None = None, keep: Keep = "nothing",
               proofs: tuple[tuple[ProofKey, Proof], ...] = ()) -> Partial:
    settings = settings or worker_settings()
    give_proofs(proofs)
    part = Partial()
    # Deferred rows are made here, where they are mapped (a pool's worker): see DeferredRows.
    for flow in plan_flows(expanded_rows(rows), settings, dedupe=False):  # duplicates: found at the end
        part.add(flow, keep)
    part.proofs = made_proofs()
    return part


def _start_plan_worker(settings: Settings) -> None:
    start_worker(settings)
    record_made_proofs()  # handed back with each batch's inventory, for the other workers


class ProofRelay:
    """The proofs the pool's workers make, passed on to the others with the batches that follow:
    each with the next `laps` batches, since the pool, not the plan, chooses which worker takes a
    batch (a worker that misses one makes it itself: the same proof, some 20 ms later)."""

    def __init__(self, laps: int) -> None:
        self.laps = laps
        self.made = 0
        self._carried: deque[list[Any]] = deque()  # [(key, proof), batches left to carry it]

    def learn(self, part: Partial) -> None:
        self.made += len(part.proofs)
        self._carried.extend([item, self.laps] for item in part.proofs)

    def next_batch(self) -> tuple[tuple[ProofKey, Proof], ...]:
        carried = tuple(entry[0] for entry in self._carried)
        for entry in self._carried:
            entry[1] -= 1
        while self._carried and self._carried[0][1] <= 0:
            self._carried.popleft()
        return carried


def plan_job(settings: Settings, workers: int | None = None, keep: Keep = "nothing") -> PlanResult:
    """The inventory; and what it keeps of each valid flow: "actions", a `valid` action (its name,
    freq, cycle and warnings, no body made), or "payloads", its body, for a plan against the live
    service (memory: about its body's size a flow)."""
    settings = with_caller_name(settings)
    result = PlanResult(EXIT_OK, str(settings.source.path), settings.source.profile,
                        target_zone=settings.target.timezone)
    named = settings.source.profile
    settings, rows = source_rows(settings)
    if isinstance(rows, MixedRows):  # a folder of several formats: which rows each entry gave
        result.sources = rows.spans
        result.profile = "mixed: " + ", ".join(sorted(formats_in(settings.source, rows.profiles)))
        unread = sorted(entry.name for entry in settings.source.path.iterdir() if left_out(entry.name))
        if twice := links_to_entries(settings.source.path):
            result.notes.append(f"links to entries of the folder are read once, as those entries: {', '.join(twice)}")
        if unread:
            # Not read (a .git folder, an editor's files, a kept copy), but never without a word: one may be an export.
            more = f" and {len(unread) - 10} more" if len(unread) > 10 else ""
            result.notes.append("hidden entries, editors' autosaves (`#…`) and kept copies (`~`, `.bak`, `.orig` …) "
                                "of the folder are not read: "
                                f"{', '.join(unread[:10])}{more}; rename an export among them to have it read")
    elif settings.source.profile != named:  # `auto`: the plan names the format it recognised
        result.profile = f"{settings.source.profile}, recognised"
    workers = workers if workers is not None else (os.cpu_count() or 1)
    batches = batches_of(rows, settings, BATCH_ROWS)
    first = next(batches, [])
    if workers < 2 or not can_batch(settings) or rows_in(first) < BATCH_ROWS:
        result.merge(_inventory(chain(first, batches), settings, keep))
    else:
        # Reading and merging here is light, so every core can map.
        relay = ProofRelay(laps=2 * workers)
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_plan_worker, initargs=(settings,)) as pool:
            pending: deque[Future[Partial]] = deque([pool.submit(_inventory, first, None, keep)])
            for batch in batches:
                pending.append(pool.submit(_inventory, batch, None, keep, relay.next_batch()))
                while len(pending) > 2 * workers:  # bounded: memory stays flat
                    relay.learn(part := pending.popleft().result())
                    result.merge(part)
            while pending:
                relay.learn(part := pending.popleft().result())
                result.merge(part)
        result.proofs_made = relay.made
    result.find_duplicates()
    result.exit_code = EXIT_INVALID_ROWS if result.invalid_by_reason else (
        EXIT_CHANGES if result.valid else EXIT_OK)
    return result


_ONE_LINE = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False), made once
_ALIKE_OR_NESTED = frozenset({str, int, bool, type(None), list, dict})  # dicts with text keys: see _indented
_ORJSON_DEPTH = 254  # orjson refuses to nest deeper


def _indented(document: dict[str, Any]) -> str:
    """`json.dumps(document, indent=2, ensure_ascii=False)` (whose indenting encoder is pure Python:
    2 s for a plan's 100,000 invalid flows), by orjson when the document holds only text, integers,
    booleans, None, lists and dicts with text keys: orjson writes those byte for byte alike (checked
    over every code point), but for integers beyond 64 bits and lone surrogates, which it refuses."""
    if _alike(document):
        try:
            return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate: json's to write
            pass
    return json.dumps(document, indent=2, ensure_ascii=False)


def _alike(document: dict[str, Any]) -> bool:
    """Whether the document holds only what orjson and json write alike (see _indented), level by
    level down to orjson's depth (deeper, or circular: json's to write, or to refuse)."""
    level: list[Any] = [document]
    for _ in range(_ORJSON_DEPTH):
        if not level:
            return True
        nested: list[Any] = []
        for container in level:
            if type(container) is dict:
                if container and set(map(type, container)) != {str}:
                    return False
                items: Iterable[Any] = container.values()
            else:
                items = container
            kinds = set(map(type, items))
            if not kinds <= _ALIKE_OR_NESTED:
                return False
            if list in kinds or dict in kinds:
                nested += [item for item in items if type(item) is list or type(item) is dict]
        level = nested
    return False


class PlanReadError(TargetUnreachable):
    """The live service could not be read well enough to plan: one line, exit 1."""


class PlanAborted(PlanReadError):
    """The service refused the credentials, the user or the account (a token refused: 1002, 1003,
    1004...; 62101, 62105), or its token service stayed down: what aborts a run with exit 4 stops a
    plan with 4 too, not with 1 as an unreachable target, since retrying it as one could lock the
    account (docs/commands.md, "Exit codes")."""

    exit_code = EXIT_ABORTED


def _not_read(reader: Runner, what: str, why: str) -> PlanReadError:
    """What could not be read and why: the service's abort (exit 4) when it said one."""
    if reader.abort_reason is not None:
        return PlanAborted(f"{what}: aborted by the service: {reader.abort_reason}; nothing was written")
    return PlanReadError(f"{what}: {why}")


def plan_offline(settings: Settings) -> PlanResult:
    """Every flow mapped and validated, none compared: valid flows are `valid`."""
    result = plan_job(settings, keep="actions")
    result.actions += [invalid_action(f) for f in result.listed()]
    result.notes.append("offline: the live service was not read; nothing says which flows would change")
    return result


# Warnings only the live service can give (reconcile/diff.py), counted beside the mapping's.
LIVE_WARNINGS = frozenset({"ANOTHER_SOURCES_FLOW", UPSTREAM_NAME_DIFFERS})


def plan_live(settings: Settings, prune: str | None = None) -> PlanResult:
    """Every flow mapped, validated, and compared with the live service (read only): one action a
    flow. Exit 5 when any flow is invalid (whatever else changes), else 3 when any would be created
    or updated (or, with `prune` "disable", an active orphan disabled), else 0; orphans are
    reported and change nothing."""
    import asyncio

    settings = with_caller_name(settings)
    result = plan_job(settings, keep="payloads")
    result.offline = False
    # An invalid row may be an orphan's own job with a typo (its key then differs): while any row is
    # invalid, orphans are reported, never disabled.
    blocked = prune is not None and bool(result.invalid)
    actions, result.reads = asyncio.run(_read_live(settings, result.ready, result.wanted,
                                                   None if blocked else prune))
    result.actions = actions + [invalid_action(f) for f in result.listed()]
    # Flows the live service makes invalid (NOT_FOUND, NAME_TAKEN, UPSTREAM_MISSING…) count by reason
    # too, beside the source's own.
    result.invalid_by_reason.update(str(action.errors[0].get("code") or "LIVE") for action in actions
                                    if action.action == "invalid" and action.errors)
    result.warnings_by_code.update(warning["code"] for action in actions for warning in action.warnings
                                   if warning.get("code") in LIVE_WARNINGS)
    by_action = result.by_action()
    result.exit_code = EXIT_INVALID_ROWS if by_action["invalid"] else (
        EXIT_CHANGES if by_action["create"] or by_action["update"] or by_action["disable"] else EXIT_OK)
    note = caller_note(settings)
    if note:
        result.notes.append(note)
    orphans = by_action["orphaned"] + by_action["disable"]
    if orphans and settings.mapping.identity_scope is None:
        # The default scope is the format's: every export of that format this account migrated
        # shares it, and each export's plan sees the others' flows as its orphans.
        scopes = ", ".join(sorted(identity_scopes(settings)))
        result.notes.append(f"{orphans} orphans carry the marker of scope {scopes}, the format's default: if this "
                            "account migrates other exports of this format, their flows are among them; give "
                            "each export its own [mapping] identity_scope before --prune (before its first run: "
                            "once its flows carry a scope, another makes them another source's, NAME_TAKEN)")
    result.notes.append(f"read the live service: {sum(result.reads.values())} requests "
                        f"({', '.join(f'{n} {a}' for a, n in result.reads.most_common())})")
    if blocked:
        rows = "1 source row is" if len(result.invalid) == 1 else f"{len(result.invalid)} source rows are"
        result.notes.append(f"--prune {prune}: nothing is disabled while {rows} "
                            "invalid: one of them may be an orphan's own job, whose key a typo changed; fix the "
                            "export and plan again (a job with no time schedule is invalid too: `[mapping] "
                            "unscheduled = \"manual\"` saves it as a manual flow; a job the tool cannot carry, "
                            "take out of the export, or prune with a config over the rest)")
    elif prune is not None:  # what --prune found, and what finding it cost
        result.notes.append(
            f"--prune {prune}: {by_action['disable']} orphans to disable, {by_action['orphaned']} already inactive; "
            "finding them read every flow you can edit once (the Get Flow reads above)"
            if identity_scopes(settings) else
            f"--prune {prune}: identity markers are off (mapping.identity_marker): no flow can be told to be an orphan")
    return result


async def _read_live(settings: Settings, ready: list[ReadyFlow], wanted: set[str],
                     prune: str | None = None) -> tuple[list[Action], Counter[str]]:
    """Connects as a run does (engine/job.py), lists, reads and compares; writes nothing. The
    run's requester (engine/runner.py: pacing, retries, breaker) does every read."""
    from migrate.engine.connection import connected
    from migrate.engine.pacing import StopSignal

    run = settings.run
    counted: Counter[str] = Counter()
    async with connected(settings, StopSignal()) as connection:
        reader, client = connection.runner, connection.client

        async def read_flow(flow_id: str) -> dict[str, Any]:
            counted["get"] += 1
            return await reader.read_flow(flow_id)

        async def export_flow(flow_id: str) -> dict[str, Any]:  # a flow's tasks' bodies: see diff._bodies_said
            counted["export"] += 1
            return await reader.read_exported(flow_id)

        counted["getMyFlow"] += 1
        listing = await reader._send(client.get_my_flows)
        if listing.result != "ok" or listing.answer is None:
            raise _not_read(reader, "the live flows could not be listed (Get My Flow)", listing.msg)
        from migrate.results.history import made_before  # a live plan only: it reads the run's modules

        live = LiveFlows(listed_flows(listing.answer.data), identity_scopes(settings), read_flow, export_flow,
                         made_before(settings))
        try:
            actions = await live_actions(live, ready, wanted, run.create_missing, run.concurrency,
                                         prune)
        except ReadFailed as failed:
            raise _not_read(reader, "a live flow could not be read for the marker scan",
                            getattr(failed.failure, "msg", "")) from None
        if reader.abort_reason is not None:
            raise _not_read(reader, "the live flows could not all be read", "")
    return actions, counted


def action_cells(action: Action, warning_messages: bool = False) -> list[str]:
    """An action as table cells: action, flow, id, freq, cycle, and what it says (the fields that
    change, live -> wanted; the errors; the warnings, by code, or whole for a runbook's plan)."""
    what = [_change_text(c) for c in action.changes]
    if action.proof is not None and action.proof.get("verdict") == "manual":
        # Its freq is only the placeholder Save wants: in words it would read as a schedule it has not.
        what.insert(0, MANUAL_WORDS)
    elif action.freq and not any(c["field"] == "freq" for c in action.changes):
        what.insert(0, f"schedule: {in_words(action.freq) or action.freq}")
    if action.renamed_from:
        what.insert(0, f"renamed from {action.renamed_from!r} (found by its marker)")
    what += [_error_text(e) for e in action.errors]
    if action.action == "invalid" and action.rows:  # where to mend it
        what.append(f"{'row' if len(action.rows) == 1 else 'rows'} {_rows_text(action.rows)}")
    if action.warnings and warning_messages:
        what += [f"{w.get('code')}: {w.get('message')}" for w in action.warnings]
    elif action.warnings:  # their messages are in --json and --markdown
        what.append("warnings: " + ", ".join(dict.fromkeys(str(w.get("code", "")) for w in action.warnings)))
    return [action.action, action.name or action.source_key, action.flow_id, action.freq, action.cycle,
            "\n".join(what)]


def _error_text(error: dict[str, Any]) -> str:
    """An error as a table says it: its field first where the message does not name it (`active: is
    required`, not `is required` alone), and the value it refused where the message does not show it."""
    message, field = str(error.get("message", "")), str(error.get("field") or "")
    text = f"{field}: {message}" if field and not message.startswith(field) and field not in message[:60] else message
    value = str(error.get("value") or "")  # a cell's text as JSON; else words standing for one (`missing`)
    shown = value[1:-1] if len(value) > 2 and value.startswith('"') and value.endswith('"') else ""
    return f"{text} (value {value})" if shown and shown not in message else text


def _rows_text(rows: list[int], most: int = 8) -> str:
    return ", ".join(map(str, rows[:most])) + (f" and {len(rows) - most} more" if len(rows) > most else "")


def _change_text(change: dict[str, Any]) -> str:
    """`field: live -> wanted`; a schedule with its words beside it."""
    def shown(value: Any) -> str:
        words = in_words(value) if change["field"] == "freq" and isinstance(value, str) else ""
        return f"{_shown(value)} ({words})" if words else _shown(value)

    return f"{change['field']}: {shown(change['live'])} -> {shown(change['wanted'])}"


def with_words(action: dict[str, Any]) -> dict[str, Any]:
    """An action as JSON, its schedule in words too: `freq_words`, and a freq change's
    `live_words` and `wanted_words`."""
    if (action.get("proof") or {}).get("verdict") == "manual":
        action["freq_words"] = MANUAL_WORDS
    elif action.get("freq"):
        action["freq_words"] = in_words(str(action["freq"]))
    for change in action.get("changes", []):
        if change.get("field") == "freq":
            change["live_words"] = in_words(str(change.get("live", "")))
            change["wanted_words"] = in_words(str(change.get("wanted", "")))
    return action


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
