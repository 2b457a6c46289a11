"""Rows -> FlowDrafts -> validated FlowPayloads. Pure: no I/O, no service.

A draft is the body we would send, before validation, with the rows it came from, so that
every result line can name its file, rows, field and value.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import orjson
from pydantic import ValidationError

from migrate.config import MAPPABLE_FIELDS, FieldRule, MappingSettings, Scalar, Settings
from migrate.mapping.graph import flow_node_id, layout, task_node_id
from migrate.mapping.identity import key_digest, marker_of, name_key, with_marker
from migrate.mapping.seen import SeenKeys
from migrate.schedule.convert import convert_for_service
from migrate.schedule.proof import (
    DEFAULT_HORIZON_DAYS,
    INTERVAL_GRAMMARS,
    MANUAL,
    NOT_EQUIVALENT,
    Proof,
    clock_change_fires,
    proof_begin,
    prove,
    unchecked,
)
from migrate.schedule.quartz import QuartzError, parse_quartz
from migrate.schedule.result import NO_TIME_SCHEDULE, Converted, Rejected
from migrate.schedule.timezone import TIMEZONE_APPROXIMATE, TIMEZONE_MISMATCH, fires_every_hour, zones_alike_then
from migrate.service.model import (
    CYCLE_GRAIN,
    ID_RANGE,
    FieldError,
    FlowPayload,
    canonical_id,
    field_errors,
    payload_sha256,
)
from migrate.sources.mixed import ENTRY_COLUMN, PROFILE_COLUMN
from migrate.sources.profiles.end_dates import STAYS_ACTIVE_TAIL
from migrate.sources.readers import SourceRow

LIST_SEPARATORS = re.compile(r"[;,\s]+")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a startTime as the service takes it


@dataclass(slots=True)
class FlowDraft:
    source_key: str
    rows: list[int]
    body: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    split: tuple[str, Converted] | None = None  # (the second flow's id, its schedule)
    commands: dict[str, str] = field(default_factory=dict)  # taskId -> what it runs (for import)
    task_settings: dict[str, str] = field(default_factory=dict)  # taskId -> its exported settings, JSON (for import)
    defaulted: set[str] = field(default_factory=set)  # fields filled from [defaults], not from the row
    flow_upstream: str = ""  # the other flows this one waits on (profiles' standard column)
    identity: str = ""  # the source key the marker is made of (docs/reconcile.md)
    scope: str | None = None  # the scope of its identity marker (None: markers off)
    links: str = ""  # the profiles' `links` column: exact relations and flow nodes (a snapshot's)
    proof: dict[str, Any] | None = None  # whether the saved freq fires when the source did (schedule/proof.py)

    def fail(self, field_name: str, value: object, message: str, code: str | None = None) -> None:
        self.errors.append(FieldError(field=field_name, value=json.dumps(value, ensure_ascii=False),
                                      message=message, code=code))


NO_ID = "0"  # stands in for the id of a flow to be found by name at run time


@dataclass(frozen=True)
class ValidFlow:
    """A flow that passed validation. Its body bytes are made once, when first wanted: `plan`
    never needs them."""

    source_key: str
    rows: list[int]
    payload: FlowPayload
    warnings: tuple[dict[str, str], ...] = ()
    needs_id: bool = False  # no id was mapped: the run finds the flow by name, or creates it
    commands: dict[str, str] = field(default_factory=dict)
    identity: str = ""
    proof: dict[str, Any] | None = None
    task_settings: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> bytes:
        """The exact bytes to send, made on first use and kept (by hand: functools.cached_property
        takes a lock at every read on this Python, a few µs a flow in the mapping process)."""
        body: bytes | None = self.__dict__.get("_body")
        if body is None:
            body = self.payload.wire_bytes()
            object.__setattr__(self, "_body", body)  # frozen: the one field set after construction
        return body

    @property
    def flow_id(self) -> str:
        return self.payload.id

    @property
    def name(self) -> str:
        return self.payload.name

    @property
    def target(self) -> str:
        """What the flow saves into, for telling duplicates apart."""
        return flow_target(self.name, self.flow_id, self.needs_id)

    def ready(self) -> ReadyFlow:
        body = self.body
        return ReadyFlow(self.source_key, self.rows, self.flow_id, self.name, body, payload_sha256(body),
                         self.warnings, self.needs_id, self.commands, self.proof, self.payload.freq, self.payload.cycle,
                         self.task_settings or None)


def flow_target(name: str, flow_id: str, needs_id: bool) -> str:
    """What a flow saves into: its id, or its name as the eye reads it (identity.name_key), so
    that `job_0042 ` and `job_0042` are one target (the second a duplicate), not two flows."""
    return f"name {name_key(name)!r}" if needs_id else f"flow {flow_id}"


class ReadyFlow(NamedTuple):
    """A valid flow as a run sends it: the exact body bytes and their hash, made once. A named
    tuple of plain values, as it crosses from the mapping process by the thousand: it unpickles
    in a third of the time of a dataclass."""

    source_key: str
    rows: list[int]
    flow_id: str
    name: str
    body: bytes
    sha256: str
    warnings: tuple[dict[str, str], ...]
    needs_id: bool
    commands: dict[str, str]
    proof: dict[str, Any] | None = None  # the schedule's proof (schedule/proof.py), for its result line
    # The body's freq and cycle, for its result line: read here, where the payload holds them, the
    # run does not parse the body again for them (None: parse it).
    freq: str | None = None
    cycle: str | None = None
    # taskId -> the task's settings as Export Flow gave them (JSON text of the `task_settings`
    # column: a snapshot's type, resource, runMode, timeout, retries…), which Import sends as they
    # were (reconcile/targets.py import_body); None or a task left out: a COMMAND task.
    task_settings: dict[str, str] | None = None

    @property
    def target(self) -> str:
        return flow_target(self.name, self.flow_id, self.needs_id)


@dataclass(frozen=True)
class InvalidFlow:
    source_key: str
    rows: list[int]
    name: str
    flow_id: str
    errors: list[FieldError]
    warnings: tuple[dict[str, str], ...] = ()
    identity: str = ""
    scope: str | None = None  # the scope of the identity marker it would carry (None: markers off)
    proof: dict[str, Any] | None = None


@functools.lru_cache(maxsize=4096)  # owners and parameters repeat across rows
def names_list(text: str) -> str:
    """Owners or visitors given as `a; b`, `a,b` or `;a;b;` -> `a;b` (order kept, no repeats)."""
    return ";".join(dict.fromkeys(p for p in LIST_SEPARATORS.split(text) if p))


class RepeatedParameter(ValueError):
    """One parameter given twice with two values: which one the service keeps is not documented."""

    def __init__(self, key: object, first: object, then: object) -> None:
        super().__init__(f"parameter {key!r} is given twice, as {first!r} and as {then!r}: which one the service "
                         "keeps is not documented; give it once")


@functools.lru_cache(maxsize=4096)
def parameters_json(text: str) -> str:
    """`[{"key":..,"value":..}]`, `{"k": "v"}` or `k=v;k2=v2` -> the documented JSON string. A key
    given twice with one value is kept once; with two values it is RepeatedParameter."""
    text = text.strip()
    if not text:
        return "[]"
    if text[0] in "[{":
        parsed = json.loads(text, object_pairs_hook=_pairs_once)
        if isinstance(parsed, dict):
            parsed = [{"key": str(k), "value": str(v)} for k, v in parsed.items()]
        elif isinstance(parsed, list) and all(isinstance(pair, dict) for pair in parsed):
            parsed = _once_each(parsed)
        return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
    pairs = []
    for item in filter(None, (p.strip() for p in text.split(";"))):
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            # "name=value": a message saying "key=value" reads as a setting of a secret-looking name
            # to the redaction of messages, which withheld the rest of the sentence.
            raise ValueError(f"{item!r} is not name=value")
        pairs.append({"key": key.strip(), "value": value.strip()})
    return json.dumps(_once_each(pairs), ensure_ascii=False, separators=(",", ":"))


def _pairs_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing one that names a key twice with two values (json keeps the last)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found and not _same(found[key], value):
            raise RepeatedParameter(key, found[key], value)
        found[key] = value
    return found


def _same(one: Any, other: Any) -> bool:
    """One JSON value: `true` is not `1`, nor `1` `1.0`, though Python holds them equal."""
    return type(one) is type(other) and one == other


def _once_each(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first: dict[Any, Any] = {}
    kept = []
    for pair in pairs:
        key, value = pair.get("key"), pair.get("value")
        if not isinstance(key, str):
            kept.append(pair)  # not a parameter's shape: validation says what is wrong with it
        elif key not in first:
            first[key] = value
            kept.append(pair)
        elif not _same(first[key], value):
            raise RepeatedParameter(key, first[key], value)
    return kept


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def mapped_columns(mapping: MappingSettings) -> set[str]:
    """Every column the mapping reads, to check against a file's header before any row."""
    columns = set(mapping.flow_key) | _task_columns(mapping)
    for rule in mapping.rules().values():
        columns.update(_rule_columns(rule))
    columns.update(c for c in (mapping.schedule_start, mapping.split_id_column, mapping.schedule_timezone) if c)
    return columns


def _rule_columns(rule: FieldRule) -> list[str]:
    """The columns a field's rule reads: its column, or those its template names."""
    if rule.template is not None:
        return [name for _, name, _, _ in string.Formatter().parse(rule.template) if name]
    return [rule.column] if rule.column is not None else []


def _task_columns(mapping: MappingSettings) -> set[str]:
    tasks = mapping.tasks
    if tasks is None:
        return set()
    return {c for c in (tasks.json_column, tasks.task_id, tasks.task_name, tasks.upstream, tasks.x, tasks.y,
                        tasks.command) if c}


@dataclass(frozen=True)
class FieldPlan:
    """How every field of a row is filled, worked out once per run rather than once per row."""

    rules: dict[str, FieldRule]
    folded_maps: dict[str, dict[str, Scalar]]  # value maps with lower-cased keys
    defaults: dict[str, Scalar]
    mapping: MappingSettings
    target_zone: str | None = None  # the zone the service evaluates freq in
    marker_scope: str | None = None  # flows carry the identity marker of this scope (None: off)
    caller: str | None = None  # the calling user's name, which every flow's owners must hold
    # (field, plain column, rule, default, wire type) for each field with a rule
    steps: tuple[tuple[str, str | None, FieldRule | None, Scalar | None, Any], ...] = ()
    # The fields only [defaults] fills, already in their wire type: the same for every row
    fixed: dict[str, Any] = field(default_factory=dict)
    fixed_names: frozenset[str] = frozenset()
    profile: str = ""  # the source profile: whether its `schedule` column is its own grammar converted
    proof_from: datetime = field(default_factory=proof_begin)  # the proofs' horizon, from the run's day
    proof_days: int = DEFAULT_HORIZON_DAYS

    @classmethod
    def of(cls, settings: Settings) -> FieldPlan:
        rules = settings.mapping.rules()
        fixed = _fixed_defaults(settings.defaults, rules)
        return cls(
            rules=rules,
            folded_maps={name: {k.lower(): v for k, v in r.map.items()} for name, r in rules.items() if r.map},
            defaults=dict(settings.defaults),
            mapping=settings.mapping,
            target_zone=settings.target.timezone,
            marker_scope=identity_scope(settings),
            caller=settings.target.user_name,
            steps=tuple(
                (name, rule.column if rule is not None and rule.column is not None and not rule.map else None,
                 rule, settings.defaults.get(name), WIRE_TYPES.get(name))
                for name in MAPPABLE_FIELDS
                if (rule := rules.get(name)) is not None or (name in settings.defaults and name not in fixed)
            ),
            fixed=fixed, fixed_names=frozenset(fixed), profile=settings.source.profile,
            proof_days=settings.mapping.proof_horizon_days,
        )


def _fixed_defaults(defaults: dict[str, Scalar], rules: dict[str, FieldRule]) -> dict[str, Any]:
    """The defaults of fields no rule maps, in their wire type, worked out once rather than once a
    row. One that does not convert stays a step of every row, which reports it."""
    fixed: dict[str, Any] = {}
    for name in MAPPABLE_FIELDS:
        value: Any = defaults.get(name)
        if name in rules or value is None:
            continue
        if value == "" and name not in MAY_BE_BLANK:
            continue
        wire_type = WIRE_TYPES.get(name)
        if wire_type is not None:
            probe = FlowDraft(source_key="", rows=[])
            value = wire_type(probe, name, value)
            if probe.errors or value is None:
                continue
        fixed[name] = value
    return fixed


def identity_scope(settings: Settings) -> str | None:
    """The scope of this source's identity markers, or None when markers are off."""
    if settings.mapping.identity_marker == "off":
        return None
    return settings.mapping.identity_scope or settings.source.profile


def identity_scopes(settings: Settings) -> frozenset[str]:
    """Every scope this source's flows are marked with (none when markers are off): one, but for a
    folder of several formats (sources/mixed.py), whose flows each carry their own format's
    (`entry_scope`)."""
    scope = identity_scope(settings)
    if scope is None:
        return frozenset()
    from migrate.sources.detect import AUTO, MIXED, auto_profile

    profile = settings.source.profile
    if profile not in (AUTO, MIXED):
        return frozenset({scope})
    from migrate.sources.mixed import formats_in
    from migrate.sources.profiles import registry

    profiles = tuple(registry())  # every profile imported: only for a format to recognise
    if profile == AUTO:  # the format recognised, as the mapping marked the flows (mapping/pipeline.py)
        profile = auto_profile(settings.source.path, list(profiles))
    if profile != MIXED:
        return frozenset({settings.mapping.identity_scope or profile})
    return frozenset(entry_scope(settings.mapping.identity_scope, name)
                     for name in formats_in(settings.source, profiles))


def entry_scope(given: str | None, profile: str) -> str:
    """The scope of a folder's flows of one format: the format's own, or with `[mapping]
    identity_scope` given, `<given>.<format>`: formats whose keys have one shape (a Kubernetes
    `namespace/name`, an Azkaban `project/flow`) never share a marker, each keeping its own flows."""
    return f"{given}.{profile}" if given else profile


def marker_digest(flow: ReadyFlow | ValidFlow | InvalidFlow) -> str | None:
    """The digest of the identity marker a flow carries, or (invalid, with no body) would carry:
    its live flow, if any, is wanted and not an orphan. None: markers are off."""
    if isinstance(flow, InvalidFlow):
        return key_digest(flow.scope, flow.identity or flow.source_key) if flow.scope is not None else None
    desc = flow.payload.desc if isinstance(flow, ValidFlow) else json.loads(flow.body).get("desc")
    mark = marker_of(desc)
    return mark[1] if mark is not None else None


_FAILED = object()  # a mapped value the map refused; the draft has the error already


def _field_value(draft: FlowDraft, plan: FieldPlan, name: str, rule: FieldRule, cells: dict[str, str]) -> Any:
    if rule.column is not None:
        value: Any = cells.get(rule.column, "")  # a JSON record may leave a key out
    elif rule.template is not None:
        value = rule.template.format_map(_Blank(cells))
    else:
        value = rule.const
    if rule.map and value != "":
        mapped = mapped_value(str(value), rule.map, plan.folded_maps[name])
        if mapped is None:
            draft.fail(name, value, f"not one of the mapped values {sorted(rule.map)}")
            return _FAILED
        value = mapped
    return value


def mapped_value(key: str, values: dict[str, Scalar], folded: dict[str, Scalar]) -> Scalar | None:
    """A `map`'s value for a cell: by the cell as written, else in any case (`folded`: the map's
    keys in lower case); None: not mapped."""
    if key in values:
        return values[key]
    return folded.get(key.lower())


INTEGER_TEXT = re.compile(r"\s*-?[0-9]+\s*")


def _integer(draft: FlowDraft, name: str, value: Any) -> Any:
    return int(value) if isinstance(value, str) and INTEGER_TEXT.fullmatch(value) else value


def _names(draft: FlowDraft, name: str, value: Any) -> Any:
    return names_list(value) if isinstance(value, str) else value


def _parameters(draft: FlowDraft, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return parameters_json(value)
    except RepeatedParameter as error:
        draft.fail(name, value, str(error), code="PARAM_REPEATED")
        return None
    except (ValueError, json.JSONDecodeError) as error:
        draft.fail(name, value, f"is neither JSON nor name=value pairs joined by ';' ({error})")
        return None
    except RecursionError:
        draft.fail(name, value, "is JSON nested too deep to read")
        return None


# Each field's text in its wire type; a value that does not convert is left as it is, so that
# validation reports the original value.
WIRE_TYPES: dict[str, Callable[[FlowDraft, str, Any], Any]] = {
    "type": _integer, "alertMode": _integer, "active": _integer, "owners": _names, "visitors": _names,
    "parameters": _parameters,
}
MAY_BE_BLANK = frozenset({"visitors", "desc", "queue", "doAs"})


def _start_draft(plan: FieldPlan, row: SourceRow, key: str) -> FlowDraft:
    draft = FlowDraft(source_key=key, rows=[row.number])
    cells, body = row.cells, draft.body
    body.update(plan.fixed)
    draft.defaulted.update(plan.fixed_names)
    for name, column, rule, default, wire_type in plan.steps:
        value: Any
        if column is not None:  # the common case, a plain column: no call
            value = cells.get(column, "")
        elif rule is not None:
            value = _field_value(draft, plan, name, rule, cells)
            if value is _FAILED:
                continue
        else:
            value = None
        if (value is None or value == "") and default is not None:
            value = default
            draft.defaulted.add(name)
        if value is None or (value == "" and name not in MAY_BE_BLANK):
            continue
        if wire_type is not None:
            value = wire_type(draft, name, value)
            if value is None:
                continue
        body[name] = value
    _profile_notes(draft, cells, plan.mapping.source_timezone is not None)
    if plan.profile == "tabular" and isinstance(body.get("parameters"), str):  # a profile warns of its own
        _secret_parameters(draft, body["parameters"])
    draft.flow_upstream = cells.get("flow_upstream", "")
    draft.links = cells.get("links", "")
    if draft.errors and any(e.field == "source" for e in draft.errors):
        # Refused by its profile, the job is in the export all the same: its flow is no orphan.
        draft.identity, draft.scope = _identity_key(draft, plan), plan.marker_scope
        return draft
    _identify(draft, plan)
    _caller_owns(draft, plan)
    if plan.mapping.not_before is not None:
        cells = _from_cut_over(draft, plan, cells)
    if cells.get("unscheduled"):
        _unscheduled(draft, plan, cells["unscheduled"])
    elif isinstance(body.get("freq"), str):
        _schedule(draft, plan, cells)
    return draft


def _identify(draft: FlowDraft, plan: FieldPlan) -> None:
    """The flow's identity: its source key, or, for a table read row by row (whose row number
    moves whenever a line is added above), its id, else its name; marked in its desc."""
    key = draft.identity = _identity_key(draft, plan)
    name = draft.body.get("name")
    if isinstance(name, str) and name and (seen := name_key(name)) != name:
        draft.warnings.append({"code": "NAME_SPELLING", "from": name, "to": seen, "message": (
            f"the name {name!r} has blanks at an end or in a run, characters that do not show, or full-width or "
            f"other compatibility forms: saved as written, and taken for the same flow as {seen!r}")})
    draft.scope = plan.marker_scope
    if plan.marker_scope is not None:
        desc = draft.body.get("desc")
        draft.body["desc"] = with_marker(desc if isinstance(desc, str) else "", plan.marker_scope, key)


def _secret_parameters(draft: FlowDraft, parameters: str) -> None:
    """SECRET_PARAMETER for a table's parameters whose names (or URLs) say they hold a secret, as
    each profile warns of its own: every owner and visitor of the flow reads them."""
    from migrate.sources.profiles import SECRET_NAME, look_like_secrets

    try:
        pairs = json.loads(parameters)
    except ValueError:
        return
    secrets = [str(pair.get("key")) for pair in pairs if isinstance(pair, dict) and pair.get("value")
               and SECRET_NAME.held(str(pair.get("key")), str(pair.get("value")))] if isinstance(pairs, list) else []
    if secrets:
        draft.warnings.append({"code": "SECRET_PARAMETER", "from": "", "to": "", "message": (
            f"{look_like_secrets(secrets)}: carried as flow parameters, which every owner and visitor of the flow "
            "can read; move them to the service's own secret store")})


def _from_cut_over(draft: FlowDraft, plan: FieldPlan, cells: dict[str, str]) -> dict[str, str]:
    """`[mapping] not_before`: a flow whose startTime (the source's, or the default) is an earlier
    day starts on the cut-over instead. A source that began before the cut-over's first instant (in
    the service's zone) is no longer compared with the flow at its start (FIRST_DAY,
    START_DATE_SHIFTED): the runs before the cut-over are the old scheduler's. One that begins after
    it, though on an earlier day in its own zone (21:00 UTC, the next morning in Shanghai), keeps its
    start, which the flow's is checked against as without a cut-over. (A source that ends, or runs
    for the last time, before the cut-over: _no_run_left.)"""
    floor = str(plan.mapping.not_before)
    start = draft.body.get("startTime")
    if not isinstance(start, str) or not ISO_DAY.fullmatch(start):
        return cells
    zone = _source_zone(plan, cells)
    begins, cut_over = _begins(cells.get("source_start", ""), zone, plan), _cut_over(plan, zone)
    if start >= floor:
        # Its day is the cut-over's or later, but in the source's own zone: begun before the cut-over's
        # first instant (00:30 in Tokyo, 23:30 the day before in Shanghai), the first day's shift would
        # move the flow before the cut-over, to fire beside the old scheduler. Begun so, it runs from
        # the cut-over: a day of a zone more than a day ahead (Kiritimati's 30th, begun on the 28th in
        # Pago Pago) is after the cut-over's, and the flow would miss its runs between.
        if begins is not None and cut_over is not None and begins < cut_over:
            draft.body["startTime"] = floor
            return {**cells, "source_start": ""}
        return cells
    draft.body["startTime"] = floor
    if begins is not None and cut_over is not None and begins >= cut_over:
        return cells
    return {**cells, "source_start": ""}


def _cut_over(plan: FieldPlan, zone: str | None) -> datetime | None:
    """`[mapping] not_before`'s first instant, in the service's zone (else the schedule's); None: none."""
    if plan.mapping.not_before is None:
        return None
    return flow_start_instant(str(plan.mapping.not_before), plan.target_zone or zone)


def _begins(text: str, zone: str | None, plan: FieldPlan) -> datetime | None:
    """A profile's `source_start` as an instant (one without an offset in the source's zone, else
    the service's, as _first_day reads it); None when there is none."""
    try:
        written = datetime.fromisoformat(text.strip().replace("Z", "+00:00")) if text.strip() else None
    except ValueError:
        return None
    if written is None or written.tzinfo is not None:
        return written
    return written.replace(tzinfo=ZoneInfo(zone or plan.target_zone or "UTC"))


def _identity_key(draft: FlowDraft, plan: FieldPlan) -> str:
    key = draft.source_key
    if not plan.mapping.flow_key and key.startswith("row "):
        return _id_key(draft.body.get("id")) or name_key(str(draft.body.get("name") or "")) or key
    return key


def _id_key(value: object) -> str:
    """A flow's id as its identity: as the service reads it (`0042` and Excel's `42` are one
    flow, one marker), or as written where it is no id (its error is said by validation)."""
    if not value:
        return ""
    try:
        return canonical_id(value, zero_allowed=True)
    except ValueError:
        return str(value)


def _caller_owns(draft: FlowDraft, plan: FieldPlan) -> None:
    """Save refuses (62103) a flow whose owners leave out the caller: a flow saved so once could
    never be saved by it again. Refused here, or, opted in, the caller added."""
    owners = draft.body.get("owners")
    if plan.caller is None or not isinstance(owners, str) or not owners.strip():
        return  # no owners is reported by validation
    if plan.caller in owners.split(";"):
        return
    if plan.mapping.add_caller_to_owners:
        draft.body["owners"] = names_list(f"{owners};{plan.caller}")
        draft.warnings.append({"code": "CALLER_ADDED_TO_OWNERS", "from": owners, "to": draft.body["owners"],
                               "message": f"the calling user {plan.caller!r} was added to the owners "
                                          "([mapping] add_caller_to_owners)"})
        return
    draft.fail("owners", owners, f"CALLER_NOT_OWNER: the owners leave out the calling user {plan.caller!r}: Save "
                                 "would refuse the flow (62103), or, saved once, it could never be saved by this user "
                                 "again; add it, or set [mapping] add_caller_to_owners = true",
               code="CALLER_NOT_OWNER")


# A profile's warning that the export names no zone for its schedules (the zone is the host's or the
# controller's): said when nothing names it, and moot once `[mapping] source_timezone` does.
ZONE_NOT_NAMED = frozenset({"CONTROLLER_TIMEZONE", "HOST_TIMEZONE"})


def _profile_notes(draft: FlowDraft, cells: dict[str, str], zone_given: bool) -> None:
    """What a source profile noticed (reserved columns): errors make the flow invalid."""
    errors, warnings = cells.get("__errors__"), cells.get("__warnings__")
    if errors:
        for note in orjson.loads(errors):
            draft.fail("source", "", f"{note.get('code', '')}: {note.get('message', '')}", code=note.get("code"))
    if warnings:
        noticed = _profile_warnings(warnings)
        draft.warnings.extend(w for w in noticed if not (zone_given and w["code"] in ZONE_NOT_NAMED))


@functools.lru_cache(maxsize=1024)  # a profile gives many flows the same words
def _profile_warnings(text: str) -> tuple[dict[str, str], ...]:
    return tuple({"code": note.get("code", ""), "from": "", "to": "", "message": note.get("message", "")}
                 for note in orjson.loads(text))


def _start_of(draft: FlowDraft, plan: FieldPlan, cells: dict[str, str]) -> datetime | None:
    """The instant an interval counts from: the row's own fact (the schedule_start column, else a
    startTime that came from the row), never a [defaults] value, which would anchor every flow at
    the same midnight. An anchor with an offset stays aware."""
    text = cells.get(plan.mapping.schedule_start, "") if plan.mapping.schedule_start else ""
    if not text.strip() and "startTime" not in draft.defaulted:
        text = str(draft.body.get("startTime", ""))
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        draft.fail("schedule_start", text, "is not an ISO date or date-time")
        return None


def _source_zone(plan: FieldPlan, cells: dict[str, str]) -> str | None:
    column = plan.mapping.schedule_timezone
    named = cells.get(column, "").strip() if column else ""
    return named or plan.mapping.source_timezone


def _schedule(draft: FlowDraft, plan: FieldPlan, cells: dict[str, str]) -> None:
    """The mapped schedule as the service will fire it (converted from its dialect, counted from
    its anchor, placed in the service's zone), or refused with a code."""
    raw = draft.body.pop("freq")
    mapping = plan.mapping
    zone = _source_zone(plan, cells)
    start = _start_of(draft, plan, cells) if mapping.schedule_dialect in ("airflow", "iso8601") else None
    result = convert_for_service(raw, mapping.schedule_dialect, start, zone, plan.target_zone,
                                 approximate=mapping.timezone_shift == "approximate",
                                 split_or=mapping.split_id_column is not None)
    if isinstance(result, Rejected):
        if result.code == NO_TIME_SCHEDULE:
            _unscheduled(draft, plan, f"{result.code}: {result.message}", raw)
        else:
            draft.fail("freq", raw, f"{result.code}: {result.message}", code=result.code)
            draft.proof = {**unchecked(f"not converted ({result.code})").as_json(),
                           "schedule": cells.get("source_schedule") or raw,
                           "grammar": cells.get("source_grammar") or mapping.schedule_dialect}
        return
    if not _fires_when_the_source_said(draft, plan, result, zone, cells.get("next_fire", ""), raw):
        draft.proof = unchecked(f"not converted ({TIMEZONE_MISMATCH})").as_json()
        return
    draft.body["freq"] = result.freq
    draft.warnings.extend(w.as_json() for w in result.warnings)
    if plan.profile == "snapshot" and str(draft.body.get("type")) == "0":
        # A manual flow of the service (a snapshot's): its freq is the placeholder Save wants, never
        # fired; said so, not in words of a schedule it has not.
        draft.proof = MANUAL.as_json()
    else:
        _prove(draft, plan, cells, raw, zone, start, result)
        _proof_context(draft, plan, zone)
    mapped_cycle = draft.body.setdefault("cycle", result.cycle)
    # Only a coarser cycle is kept; a finer one (or none of the service's) is refused by the
    # payload's validation (CYCLE_CONTRADICTS_FREQ), which a "kept" beside it would contradict.
    if CYCLE_GRAIN.get(str(mapped_cycle), -1) > CYCLE_GRAIN.get(result.cycle, len(CYCLE_GRAIN)):
        draft.warnings.append({"code": "CYCLE_DIFFERS", "from": str(mapped_cycle), "to": result.cycle,
                               "message": f"the mapped cycle differs from the schedule's ({result.cycle}); kept"})
    if result.split is not None and mapping.split_id_column:
        draft.split = (cells.get(mapping.split_id_column, "").strip(), result.split)


# Profiles that write their own grammar's schedules as Quartz into `schedule`: without the source text
# (`source_schedule`, `source_grammar`) their proof would compare Quartz with itself.
CONVERTING_PROFILES = frozenset({"controlm", "kubernetes", "eventbridge", "systemd", "schtasks", "taskxml", "oozie"})
# Conversions the user opted in to knowing they may fire otherwise: a difference is a warning there.
APPROXIMATIONS = frozenset({TIMEZONE_APPROXIMATE, "SPLIT"})
# A profile's own warning that its conversion keeps clock times where the source's period drifts
# across a daylight-saving change (Azkaban's `2h` in New York): the proof finds the difference,
# which `timezone_shift = "approximate"` accepts as it accepts a shift by today's offset.
PROFILE_DRIFTS = frozenset({"PERIOD_DAYLIGHT_SAVING"})


def _prove(draft: FlowDraft, plan: FieldPlan, cells: dict[str, str], raw: str, zone: str | None,
           start: datetime | None, result: Converted) -> None:
    """The proof that the saved freq fires when the source did (schedule/proof.py). A difference
    makes the flow invalid (NOT_EQUIVALENT), but where the user opted in to an approximation."""
    grammar, source = cells.get("source_grammar", "").strip(), cells.get("source_schedule", "")
    if not grammar and plan.profile in CONVERTING_PROFILES and plan.mapping.schedule_dialect == "quartz":
        draft.proof = unchecked(f"the {plan.profile} profile converted its own grammar to Quartz and gave no "
                                "source_schedule to check it against").as_json()
        return
    if not grammar:
        grammar, source = plan.mapping.schedule_dialect, raw
    elif grammar in INTERVAL_GRAMMARS:
        start = _quiet_start(cells.get(plan.mapping.schedule_start or "start", ""))
    freqs = (result.freq,) if result.split is None or not plan.mapping.split_id_column else (
        result.freq, result.split.freq)
    end_text = _runs_left(draft, cells, plan, zone, freqs)
    if first_day := _first_day(draft, cells.get("source_start", ""), plan, zone, freqs, end_text):
        draft.warnings.append({"code": "FIRST_DAY", "from": source, "to": " + ".join(freqs),
                               "message": first_day.message()})
        draft.proof = {**unchecked(f"the source begins at {first_day.begins} and the flow at {first_day.flow_starts} "
                                   "(FIRST_DAY): a difference of their starts, not of the schedule").as_json(),
                       "schedule": source, "grammar": grammar}
        return
    if (ends := _ends_inside(end_text, plan, zone)) is not None:
        draft.proof = {**unchecked(f"the source stops firing after {ends} (END_DATE), inside the compared span: "
                                   "a flow has no end date, so a comparison would show that, not the schedule"
                                   ).as_json(), "schedule": source, "grammar": grammar}
        return
    proof = prove(source, grammar, zone, start, freqs, plan.target_zone, plan.proof_from, plan.proof_days,
                  flow_start_instant(draft.body.get("startTime"), plan.target_zone or zone))
    draft.proof = _proof_line(proof, source, grammar, zone)
    if proof.verdict != "differs":  # unchecked too: a flow firing only on a change's night is said
        _clock_change_note(draft, freqs, plan.target_zone or zone, plan)
        return
    drifts = any(w.get("code") in PROFILE_DRIFTS for w in draft.warnings)  # a profile said so already
    if any(w.code in APPROXIMATIONS for w in result.warnings) or (
            drifts and plan.mapping.timezone_shift == "approximate"):
        draft.warnings.append({"code": NOT_EQUIVALENT, "from": source, "to": " + ".join(freqs),
                               "message": f"an opted-in approximation: {proof.sentence()}"})
        return
    opt_in = ('; to save it anyway, firing at the same clock times across the change, opt in with [mapping] '
              'timezone_shift = "approximate"') if drifts else ""
    draft.fail("freq", raw, f"{NOT_EQUIVALENT}: {' + '.join(freqs)} does not fire when {source!r} did: "
                            f"{proof.sentence()}{opt_in}", code=NOT_EQUIVALENT)


def _runs_left(draft: FlowDraft, cells: dict[str, str], plan: FieldPlan, zone: str | None,
               freqs: tuple[str, ...]) -> str:
    """The source's end against the runs the flow has left (from now, the cut-over or its start):
    none, NEVER_RUNS; a one-run schedule before the flow's start, the start moved to its run; an end
    ahead, its warning naming the flow's last run before it. The end, as the proof reads it."""
    end_text = _end_in_zone(cells, plan, zone, freqs)
    _no_run_left(draft, cells.get("source_start", ""), end_text, plan, zone, freqs)
    if not cells.get("source_start", "").strip() and not any(w.get("code") == "NEVER_RUNS" for w in draft.warnings):
        _only_runs_before_start(draft, plan, zone, freqs)
    _end_said(draft, end_text, plan, zone, freqs)
    return end_text


@dataclass(frozen=True)
class FirstDay:
    """Where the flow's first day and the source's own start disagree: the source's start and the
    flow's, as wall-clock times in the service's zone, and the freq's fires between them."""

    begins: str
    flow_starts: str
    fires: list[str]
    more: int
    early: bool  # the flow fires before the source begins (else it misses the source's first runs)

    def message(self) -> str:
        listed = ", ".join(self.fires) + (f" and {self.more} more" if self.more else "")
        if self.early:
            return (f"the source begins at {self.begins}, and the flow, whose startTime is a day, at "
                    f"{self.flow_starts}: it also fires before the source does, at {listed}; give the flow a later "
                    "start if those runs must not happen")
        return (f"the source begins at {self.begins}, before the flow's start at {self.flow_starts} (its startTime is "
                f"a day, in the service's zone): the source's runs at {listed} are not made; give the flow the day "
                "the source begins, in the service's zone, as its start")


def _first_day(draft: FlowDraft, text: str, plan: FieldPlan, zone: str | None,
               freqs: tuple[str, ...], end_text: str = "") -> FirstDay | None:
    """A source that begins at a time (a profile's `source_start`: DolphinScheduler's startTime, a
    Windows trigger's start), still ahead, against the flow's start (its startTime's midnight in the
    service's zone): between the two, the freq fires where the source did not (the source begins
    later in the flow's first day), or does not where the source did (the source begins before it,
    as a start in a zone east of the service's lands the day before). None when they agree. A start
    written without an offset is in the source's zone, which, unknown, is taken as the service's (as
    the schedule itself is, HOST_TIMEZONE)."""
    try:
        written = datetime.fromisoformat(text.strip().replace("Z", "+00:00")) if text.strip() else None
    except ValueError:
        return None
    service = ZoneInfo(plan.target_zone or zone or "UTC")
    flow_start = flow_start_instant(draft.body.get("startTime"), plan.target_zone or zone)
    if written is None or flow_start is None:
        return None
    source_zone = ZoneInfo(zone) if zone else service
    begins = (written if written.tzinfo else written.replace(tzinfo=source_zone)).astimezone(UTC)
    flow_on = flow_start.astimezone(service).date()
    first_run = first_fire(freqs, begins, service) if begins > datetime.now(UTC) else None
    if begins > datetime.now(UTC) and first_run is None and _readable(freqs):
        # Begins after its last run (a one-run schedule, its year in it, begun after that run):
        # Quartz never fires it; the flow, from its day, would fire that run.
        _never_runs(draft, text, end_text, f"the source begins at {begins.astimezone(service):%Y-%m-%d %H:%M:%S} in "
                                           "the service's zone, after its last run: it never runs, and the flow is "
                                           "saved inactive (active 0)")
        return None
    if first_run is not None and (ends := _source_end(end_text, source_zone)) is not None \
            and first_run.replace(tzinfo=service) >= ends:
        # Begun ahead and ended before its first run: the source never runs; a flow has no end date.
        _never_runs(draft, text, end_text, (
            f"the source begins at {begins.astimezone(service):%Y-%m-%d %H:%M:%S} and ends at "
            f"{ends.astimezone(service):%Y-%m-%d %H:%M:%S} in the service's zone, before its first run at "
            f"{first_run:%Y-%m-%d %H:%M:%S}: it never runs, and the flow is saved inactive (active 0)"))
        return None
    if first_run is not None \
            and (run_on := first_run.date()) != flow_on \
            and (run_on > flow_on or not _fires_between(freqs, datetime.combine(run_on, time()), begins, service)):
        # The flow starts on the day of the source's first run, in the service's zone, where its
        # start date was a day in the source's zone (an Airflow next run, an Oozie start, a
        # DolphinScheduler start in another zone, or later that day): a later day always (every day
        # before it the flow would fire and the source not); an earlier one when the flow does not
        # fire that day before the source begins (else the source's first runs are missed,
        # FIRST_DAY, rather than runs added).
        draft.warnings.append({"code": "START_DATE_SHIFTED", "from": str(draft.body.get("startTime")),
                               "to": run_on.isoformat(),
                               "message": f"the source begins at {begins.astimezone(service):%Y-%m-%d %H:%M:%S} in "
                                          f"the service's zone, and first runs at {first_run:%Y-%m-%d %H:%M:%S}, "
                                          f"another day than {draft.body.get('startTime')}: the flow starts on "
                                          f"{run_on}"})
        draft.body["startTime"] = run_on.isoformat()
        flow_start = flow_start_instant(draft.body["startTime"], plan.target_zone or zone) or flow_start
    first, last = sorted((begins, flow_start))
    now = datetime.now(UTC)
    if first == last or last <= now:  # both begun: nothing between them is still to come
        return None
    first = max(first, now)  # runs already past are no difference to make or miss now
    between: list[datetime] = []
    for freq in freqs:
        try:
            fires = parse_quartz(freq).fire_times(first.astimezone(service).replace(tzinfo=None) - timedelta(seconds=1))
        except QuartzError:
            return None
        for fire in itertools.islice(fires, 200):
            instant = fire.replace(tzinfo=service).astimezone(UTC)
            if instant >= last:
                break
            if instant >= first:
                between.append(fire)
    if not between:
        return None
    if begins < flow_start and _never_from(freqs, flow_start, service):
        # A schedule of one run (a task run once, its year in the freq) that lands before the flow's day:
        # saved so, it would never fire. The flow starts on that run's day instead: exact, said.
        moved = min(between).date().isoformat()
        draft.warnings.append({"code": "START_DATE_SHIFTED", "from": str(draft.body.get("startTime")), "to": moved,
                               "message": f"the source's only run, at {min(between):%Y-%m-%d %H:%M:%S} in the "
                                          f"service's zone, falls before {draft.body.get('startTime')}: the flow "
                                          f"starts on {moved}"})
        draft.body["startTime"] = moved
        return None
    shown = [f"{fire:%Y-%m-%d %H:%M:%S}" for fire in sorted(between)]  # dated: they may span the two days
    return FirstDay(f"{begins.astimezone(service):%Y-%m-%d %H:%M:%S}",
                    f"{flow_start.astimezone(service):%Y-%m-%d %H:%M}", shown[:5], max(len(shown) - 5, 0),
                    early=begins > flow_start)


# The warnings of an end still ahead, which say the flow stays active: said no more by NEVER_RUNS.
STAYS_ACTIVE = frozenset({"END_DATE", "SCHEDULE_ENDS"})


def _never_runs(draft: FlowDraft, start_text: str, end_text: str, message: str) -> None:
    """The source has no run the flow could make: saved inactive, NEVER_RUNS saying why (and no
    more that it stays active)."""
    draft.body["active"] = 0
    draft.warnings[:] = [w for w in draft.warnings if w.get("code") not in STAYS_ACTIVE]
    draft.warnings.append({"code": "NEVER_RUNS", "from": start_text, "to": end_text, "message": message})


def _end_in_zone(cells: dict[str, str], plan: FieldPlan, zone: str | None, freqs: tuple[str, ...]) -> str:
    """The source's end (`source_end`), or, where a profile gave it as a logical date counted in a zone
    it assumed (an Airflow data-interval DAG of no zone: its last run is the schedule's first point
    past end_date, `source_end_logical`), that run counted in the zone the schedule is read in
    (`[mapping] source_timezone`), a second past it: the profile's, in UTC, was another run."""
    logical = cells.get("source_end_logical", "")
    if not logical or not zone:
        return cells.get("source_end", "")
    service = ZoneInfo(plan.target_zone or zone)
    try:
        last = first_fire(freqs, datetime.fromisoformat(logical) + timedelta(seconds=1), service)
    except ValueError:
        last = None
    return cells.get("source_end", "") if last is None else \
        (last.replace(tzinfo=service) + timedelta(seconds=1)).isoformat()


def _stays_active_said(draft: FlowDraft) -> bool:
    """Whether a profile's warning of an end still ahead says the flow stays active (end_dates.ends_sentence)."""
    return any(w.get("code") in STAYS_ACTIVE and STAYS_ACTIVE_TAIL in str(w.get("message")) for w in draft.warnings)


def _stays_active_reworded(draft: FlowDraft, said: str, instead: str) -> None:
    """Those warnings with `said` (a part of ends_sentence) put otherwise, as new dicts: the flows of a
    profile's same words share theirs (_profile_warnings), and one flow's end is not another's."""
    draft.warnings[:] = [{**w, "message": str(w["message"]).replace(said, instead)}
                         if w.get("code") in STAYS_ACTIVE and said in str(w.get("message")) else w
                         for w in draft.warnings]


def _end_said(draft: FlowDraft, end_text: str, plan: FieldPlan, zone: str | None, freqs: tuple[str, ...]) -> None:
    """An end still ahead's warning ("it stays active; disable it on that date") made true of the
    flow: its date was the source's, in the source's zone, where the flow fires in the service's
    (across the date line, a day off: disabled on it, a run lost or one made after the source's
    end), so the flow's last run before the end is named there; a flow saved inactive for another
    reason (paused in the source) does not stay active."""
    if not _stays_active_said(draft):
        return
    if draft.body.get("active") == 0:
        tail = "and a flow has no end date: saved inactive (see its other warnings), if enabled it fires on past it"
    else:
        service = ZoneInfo(plan.target_zone or zone or "UTC")
        ends = _source_end(end_text, ZoneInfo(zone) if zone else service)
        last = _last_fire_before(freqs, ends, service) if ends is not None else None
        if last is None:
            return
        tail = (f"but a flow has no end date: it stays active; its last run before then is at "
                f"{last:%Y-%m-%d %H:%M:%S} in the service's zone: disable it after that run")
    _stays_active_reworded(draft, STAYS_ACTIVE_TAIL, tail)


def _last_fire_before(freqs: tuple[str, ...], ends: datetime, zone: ZoneInfo) -> datetime | None:
    """The last wall time in `zone` before the instant at which a freq fires, from now on; None:
    none (or a freq cannot be read). Looked for in spans back from the end, a day first."""
    now = datetime.now(UTC)
    end_wall = ends.astimezone(zone).replace(tzinfo=None)
    for back in (timedelta(days=1), timedelta(days=35), timedelta(days=400), timedelta(days=3000)):
        begin = max(ends - back, now).astimezone(zone).replace(tzinfo=None)
        last = None
        try:
            for freq in freqs:
                for fire in itertools.islice(parse_quartz(freq).fire_times(begin - timedelta(seconds=1)), 100_000):
                    if fire >= end_wall:
                        break
                    last = fire if last is None else max(last, fire)
        except QuartzError:
            return None
        if last is not None or ends - back <= now:
            return last
    return None


def _readable(freqs: tuple[str, ...]) -> bool:
    """Whether every freq parses (first_fire's None is then "fires no more", not "unreadable")."""
    try:
        for freq in freqs:
            parse_quartz(freq)
    except QuartzError:
        return False
    return True


def _only_runs_before_start(draft: FlowDraft, plan: FieldPlan, zone: str | None, freqs: tuple[str, ...]) -> None:
    """A schedule of one run (its year in the freq) still to come, but before the flow's start (a
    `[defaults] startTime` after it, and no start of the source's): saved so, it never fired, and
    nothing said so. The flow starts on that run's day instead, as where the source gives a start
    (_first_day); a run before the cut-over is the old scheduler's (_no_run_left)."""
    if not all(len(words := freq.split()) == 7 and words[6] not in ("*", "?") for freq in freqs):
        return  # a freq without years fires for ever: no start is after its last run (and this costs nothing)
    service = ZoneInfo(plan.target_zone or zone or "UTC")
    flow_start = flow_start_instant(draft.body.get("startTime"), plan.target_zone or zone)
    now = datetime.now(UTC)
    if flow_start is None or flow_start <= now or not _never_from(freqs, flow_start, service):
        return
    cut_over = _cut_over(plan, zone)
    run = first_fire(freqs, max(now, cut_over) if cut_over is not None else now, service)
    if run is None:
        return
    moved = run.date().isoformat()
    draft.warnings.append({"code": "START_DATE_SHIFTED", "from": str(draft.body.get("startTime")), "to": moved,
                           "message": f"the source's only run, at {run:%Y-%m-%d %H:%M:%S} in the service's zone, "
                                      f"falls before {draft.body.get('startTime')}: the flow starts on {moved}"})
    draft.body["startTime"] = moved


def _no_run_left(draft: FlowDraft, start_text: str, end_text: str, plan: FieldPlan, zone: str | None,
                 freqs: tuple[str, ...]) -> None:
    """NEVER_RUNS for a source begun (or with no start) whose end, still ahead, comes before its
    next run: it fires no more (a monthly run on the 10th, ended on the 5th), and a flow has no end
    date: saved inactive. (One that begins ahead is _first_day's.) So too, with a cut-over, a
    source whose every run comes before it (a task run once, on a day before it)."""
    service = ZoneInfo(plan.target_zone or zone or "UTC")
    if (cut_over := _cut_over(plan, zone)) is not None and cut_over > datetime.now(UTC) \
            and first_fire(freqs, cut_over, service) is None:
        _never_runs(draft, start_text, str(plan.mapping.not_before),
                    f"the source's runs all come before the cut-over ([mapping] not_before {plan.mapping.not_before}): "
                    "the old scheduler runs them, and the flow never would; saved inactive (active 0)")
        return
    if not end_text.strip():
        return
    source_zone = ZoneInfo(zone) if zone else service
    now = datetime.now(UTC)
    try:
        begins = datetime.fromisoformat(start_text.strip().replace("Z", "+00:00")) if start_text.strip() else None
    except ValueError:
        return
    if begins is not None and (begins if begins.tzinfo else begins.replace(tzinfo=source_zone)) > now:
        return
    ends = _source_end(end_text, source_zone)
    if ends is None:
        return
    if ends <= now:
        # Passed in the source's zone, which the profile does not know (end_dates.has_ended): its
        # warning, "it stays active", says so now, whatever else keeps the flow inactive.
        if not _stays_active_said(draft):
            return  # passed, and the profile said so (END_DATE, saved inactive)
        draft.body["active"] = 0
        _stays_active_reworded(draft, f"the job stops firing then, {STAYS_ACTIVE_TAIL}",
                               f"it has passed (the source fires nothing at or after "
                               f"{ends.astimezone(service):%Y-%m-%d %H:%M:%S} in the service's zone): the job no "
                               "longer fires, so the flow is saved inactive (active 0)")
        return
    # The flow's runs begin at the cut-over, or at its start (a [defaults] startTime ahead), not now:
    # an end before them, and the flow would fire for ever where the source fires no more.
    run = "next run"
    if (cut_over := _cut_over(plan, zone)) is not None and cut_over > now:
        now, run = cut_over, "first run from the cut-over ([mapping] not_before)"
    if (starts := flow_start_instant(draft.body.get("startTime"), plan.target_zone or zone)) is not None \
            and starts > now:
        now, run = starts, f"first run from the flow's start (startTime {draft.body.get('startTime')})"
    next_run = first_fire(freqs, now, service)
    if next_run is not None and next_run.replace(tzinfo=service) < ends:
        return
    after = f"before its {run} at {next_run:%Y-%m-%d %H:%M:%S}" if next_run else "and it fires no more"
    # "at or after": the first instant it no longer fires (an endTime Quartz fires at is a second before)
    _never_runs(draft, start_text, end_text, f"the source fires nothing at or after "
                                             f"{ends.astimezone(service):%Y-%m-%d %H:%M:%S} in the service's zone (its "
                                             f"end), {after}: it never runs again, and the flow is saved inactive "
                                             "(active 0)")


def _source_end(text: str, zone: ZoneInfo) -> datetime | None:
    """A profile's `source_end` as an instant: a time in the source's zone, or a day (its end)."""
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()) + timedelta(days=1), time(), zone)
        written = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return written if written.tzinfo else written.replace(tzinfo=zone)


def first_fire(freqs: tuple[str, ...], instant: datetime, zone: ZoneInfo) -> datetime | None:
    """The first wall time in `zone` at or after the instant at which a freq fires; None: none
    does (or a freq cannot be read)."""
    wall = instant.astimezone(zone).replace(tzinfo=None)
    try:
        fires = [fire for freq in freqs
                 if (fire := next(iter(parse_quartz(freq).fire_times(wall - timedelta(seconds=1))), None)) is not None]
    except QuartzError:
        return None
    return min(fires, default=None)


def _fires_between(freqs: tuple[str, ...], wall: datetime, instant: datetime, zone: ZoneInfo) -> bool:
    """Whether a freq fires from the wall time (in `zone`) until before the instant."""
    first = first_fire(freqs, wall.replace(tzinfo=zone), zone)
    return first is not None and first.replace(tzinfo=zone) < instant


def _never_from(freqs: tuple[str, ...], instant: datetime, zone: ZoneInfo) -> bool:
    """Whether no freq fires at or after the instant (a one-run schedule, its year in it, all past it)."""
    after = instant.astimezone(zone).replace(tzinfo=None) - timedelta(seconds=1)
    try:
        return all(next(iter(parse_quartz(freq).fire_times(after)), None) is None for freq in freqs)
    except QuartzError:
        return False


def _ends_inside(text: str, plan: FieldPlan, zone: str | None) -> str | None:
    """A source's end (a profile's `source_end`) still ahead, before the proof's span ends. One that
    has passed (the flow saved inactive) leaves the rule compared, as a profile's own passed end does."""
    if not text:
        return None
    try:
        end = datetime.fromisoformat(text).date()
    except ValueError:
        return None
    if (instant := _source_end(text, ZoneInfo(zone or plan.target_zone or "UTC"))) is not None \
            and instant <= datetime.now(UTC):
        return None
    if len(text.strip()) > 10:  # an instant, the first it no longer fires at: its last day is a second before
        end = (datetime.fromisoformat(text) - timedelta(seconds=1)).date()
    return end.isoformat() if end < (plan.proof_from + timedelta(days=plan.proof_days)).date() else None


def _clock_change_note(draft: FlowDraft, freqs: tuple[str, ...], zone: str | None, plan: FieldPlan) -> None:
    """DST_HOURS: the saved freq fires in an hour a daylight-saving change skips or repeats, which
    the proof leaves out: equivalent elsewhere, and said here (a daily 02:30 in Europe/Berlin)."""
    if zone is None:
        return
    fires = clock_change_fires(freqs, zone, plan.proof_from, plan.proof_days)
    if not fires:
        return
    said = "; ".join(f"{fire.wall:%Y-%m-%d %H:%M} ({fire.kind})" for fire in fires[:4])
    draft.warnings.append({"code": "DST_HOURS", "from": " + ".join(freqs), "to": zone, "message": (
        f"fires in an hour a daylight-saving change of {zone} skips or repeats: {said}"
        f"{' …' if len(fires) > 4 else ''}. There schedulers differ (cron runs a job whose minute and hour fields "
        "are fixed (neither starts with *) at a time the change skips as the clock jumps, and at one it repeats "
        "once, at its first occurrence, but a job whose minute or hour field starts with * by the clock: none in a "
        "skipped hour, in both repeated ones; systemd and Quartz skip a skipped time, and Quartz runs a repeated "
        "one once, at its second occurrence, an hour later; the service's may skip it or run it twice): the proof "
        "leaves those hours out")})


def _proof_context(draft: FlowDraft, plan: FieldPlan, zone: str | None) -> None:
    """What a plan's review shows beside a proof that compared nothing (unchecked: FIRST_DAY, an end
    inside the span): the source's zone, and the flow's start when it is ahead (`starts`), from
    which its next fire times are listed (they began today, before the flow's start)."""
    proof = draft.proof
    if proof is None or "from" in proof:
        return
    added: dict[str, Any] = {}  # a new dict: a proof line may be shared by the flows of one schedule (_proof_line)
    if zone and "zone" not in proof and proof.get("schedule"):
        added["zone"] = zone
    starts = flow_start_instant(draft.body.get("startTime"), plan.target_zone or zone)
    if starts is not None and starts > datetime.now(UTC):
        added["starts"] = starts.isoformat().replace("+00:00", "Z")
    if added:
        draft.proof = {**proof, **added}


@functools.lru_cache(maxsize=4096)  # shared by the flows of one schedule, never changed
def _proof_line(proof: Proof, source: str, grammar: str, zone: str | None) -> dict[str, Any]:
    """The proof as a plan line and a result line carry it, with what the source said."""
    return {**proof.as_json(), "schedule": source, "grammar": grammar, **({"zone": zone} if zone else {})}


@functools.lru_cache(maxsize=1024)
def flow_start_instant(text: object, zone: str | None) -> datetime | None:
    """The flow's startTime (a date: the service fires it from that day's midnight in its zone)
    as an instant; None when it is not a date (validation reports it)."""
    try:
        day = datetime.strptime(str(text), "%Y-%m-%d")
    except ValueError:
        return None
    return day.replace(tzinfo=ZoneInfo(zone or "UTC")).astimezone(UTC)


def _quiet_start(text: str) -> datetime | None:
    """A profile's anchor for the proof (the profile reported a bad one already)."""
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")) if text.strip() else None
    except ValueError:
        return None


def _fires_when_the_source_said(draft: FlowDraft, plan: FieldPlan, placed: Converted, zone: str | None,
                                witness: str, raw: str) -> bool:
    """The export's own next fire time (an instant) must be a fire time of the saved schedule in
    the service's zone: when it is not, the zone the schedule was read in is wrong (an Airflow DAG
    on its installation's default zone, say), and saving it would fire at other times."""
    if not witness.strip() or plan.target_zone is None:
        return True
    try:
        instant = datetime.fromisoformat(witness.strip().replace("Z", "+00:00"))
    except ValueError:
        draft.fail("next_fire", witness, "is not an ISO date-time")
        return False
    if instant.tzinfo is None:
        return True  # a wall clock of no known zone proves nothing
    wall = instant.astimezone(ZoneInfo(plan.target_zone)).replace(tzinfo=None)
    # A split schedule fires when either of its two flows does (the weekday half may be next).
    freqs = (placed.freq,) if placed.split is None else (placed.freq, placed.split.freq)
    if any(next(parse_quartz(freq).fire_times(wall - timedelta(seconds=1)), None) == wall for freq in freqs):
        if zone is None and not fires_every_hour(freqs) and (
                alike := zones_alike_then(plan.target_zone, instant.astimezone(UTC))):
            # One instant rules out the zones of other offsets that day, not one whose clock reads
            # the same then and otherwise at other dates (UTC and Europe/London in winter).
            draft.warnings.append({"code": "HOST_TIMEZONE", "from": raw, "to": " + ".join(freqs), "message": (
                f"the export names no zone for this schedule: its next run, {witness.strip()}, agrees with the "
                f"service's zone {plan.target_zone}, and as well with {', '.join(alike)}, whose clocks read the "
                "same then but differ on other dates (daylight saving); if the source fired in such a zone, set "
                "[mapping] source_timezone to it, else the schedule is taken to be in the service's zone")})
        return True
    assumed = f"{zone}, shifted to the service's {plan.target_zone}" if zone else f"the service's {plan.target_zone}"
    saved = f"{freqs[0]!r} does not" if len(freqs) == 1 else f"neither {freqs[0]!r} nor {freqs[1]!r} does"
    draft.fail("freq", raw, f"{TIMEZONE_MISMATCH}: the export says this schedule fires at {witness.strip()} "
                            f"({wall:%Y-%m-%d %H:%M} in {plan.target_zone}), when {saved}: its zone "
                            f"is not {assumed}; set [mapping] source_timezone to the zone it fired in",
               code=TIMEZONE_MISMATCH)
    return False


# A manual flow keeps a valid schedule that nothing fires: the service requires freq, and with
# type 0 (manual) and active 0 it is never started by the scheduler.
MANUAL_FREQ, MANUAL_CYCLE = "0 0 0 * * ? *", "D"


def _unscheduled(draft: FlowDraft, plan: FieldPlan, reason: str, raw: str = "") -> None:
    """A job with no time schedule: refused with what triggered it, or, opted in, a manual flow."""
    draft.body.pop("freq", None)
    draft.proof = (MANUAL if plan.mapping.unscheduled == "manual" else unchecked("no time schedule")).as_json()
    if plan.mapping.unscheduled != "manual":
        message = reason if reason.startswith(f"{NO_TIME_SCHEDULE}:") else f"{NO_TIME_SCHEDULE}: {reason}"
        draft.fail("freq", raw, f"{message}; [mapping] unscheduled = \"manual\" saves it as a manual flow",
                   code=NO_TIME_SCHEDULE)
        return
    draft.body.update(type=0, active=0, freq=MANUAL_FREQ, cycle=MANUAL_CYCLE)
    draft.warnings.append({"code": "MANUAL_FLOW", "from": raw, "to": "type 0 (manual)",
                           "message": f"{reason}: saved as a manual, inactive flow; its freq {MANUAL_FREQ!r} is a "
                                      "placeholder that the scheduler does not fire"})


@dataclass(slots=True)
class _TaskRow:
    task_id: str
    name: str
    upstream: list[str]
    x: str
    y: str
    command: str = ""
    settings: str = ""  # the profiles' `task_settings` column: the task's exported settings (JSON)


def _task_rows(draft: FlowDraft, mapping: MappingSettings, row: SourceRow) -> list[_TaskRow]:
    tasks = mapping.tasks
    if tasks is None:
        return []
    cells = row.cells
    if tasks.json_column is not None:
        text = cells.get(tasks.json_column, "")
        try:
            items = json.loads(text) if text.strip() else []
        except json.JSONDecodeError as error:
            draft.fail("tasks", text, f"column {tasks.json_column!r} is not JSON ({error.msg})")
            return []
        except RecursionError:
            draft.fail("tasks", text, f"column {tasks.json_column!r} is JSON nested too deep to read")
            return []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            draft.fail("tasks", text, "must be a JSON list of task objects")
            return []
        return [
            _TaskRow(str(i.get("taskId", "")), str(i.get("taskName", "")),
                     [str(u) for u in i.get("upstream", [])], str(i.get("x", "")), str(i.get("y", "")))
            for i in items
        ]
    task_id = cells.get(tasks.task_id or "", "").strip()
    if not task_id:
        return []
    upstream = cells.get(tasks.upstream or "", "")
    return [_TaskRow(
        task_id, cells.get(tasks.task_name or "", task_id).strip() or task_id,
        [u for u in LIST_SEPARATORS.split(upstream) if u] if upstream else [],
        cells.get(tasks.x or "", ""), cells.get(tasks.y or "", ""), cells.get(tasks.command or "", ""),
        cells.get("task_settings", ""),
    )]


def _coordinate(draft: FlowDraft, text: str, fallback: float, index: int, axis: str) -> float:
    """A task's position on the canvas (`axis` x or y of task `index`), the layout's when blank."""
    if not text or not text.strip():
        return fallback
    try:
        return float(text)
    except ValueError:
        draft.fail(f"tasks[{index}].{axis}", text, "is not a number")
        return fallback


def _finish_graph(draft: FlowDraft, tasks: list[_TaskRow], settings: MappingSettings) -> None:
    _build_graph(draft, tasks, settings)
    if draft.links:
        _exact_links(draft)


def _exact_links(draft: FlowDraft) -> None:
    """A profile's `links` in place of the relations and flow nodes built from upstream columns:
    those give every edge one cycleGap and rerun, where a snapshot has each edge's own."""
    try:
        links = json.loads(draft.links)
    except (ValueError, RecursionError):
        links = None
    if not isinstance(links, dict) or not all(isinstance(links.get(k, []), list) for k in ("relations", "flows")):
        draft.fail("relations", draft.links, "links must be a JSON object {relations: [...], flows: [...]}")
        return
    draft.body["relations"], draft.body["flows"] = links.get("relations", []), links.get("flows", [])


def _build_graph(draft: FlowDraft, tasks: list[_TaskRow], settings: MappingSettings) -> None:
    upstream_flows = _upstream_flows(draft)
    draft.body.setdefault("flows", [])
    if settings.tasks is None:
        draft.body.setdefault("tasks", [])
        draft.body.setdefault("relations", [])
        return
    if len(tasks) == 1 and not tasks[0].upstream and not upstream_flows:  # most flows: one task, no edge
        _one_task(draft, tasks[0])
        return
    # Ids as the payload carries them (`0101` is 101), upstream ones too: a task `101` waiting on
    # `0101` waits on it, not on a node no task has.
    ids = [_canonical_or_raw(t.task_id) for t in tasks]
    nodes = [task_node_id(task_id) for task_id in ids]
    edges = [(task_node_id(_canonical_or_raw(u)), node) for t, node in zip(tasks, nodes, strict=True)
             for u in t.upstream]
    edges = _edges_within(draft, tasks, edges, set(nodes))
    positions = layout(nodes, edges) if any(not (t.x and t.y) for t in tasks) else {}
    draft.body["tasks"] = [
        {"taskName": t.name, "taskId": task_id, "nodeId": node,
         "x": _coordinate(draft, t.x, (at := positions.get(node, (0.5, 0.5)))[0], i, "x"),
         "y": _coordinate(draft, t.y, at[1], i, "y")}
        for i, (t, task_id, node) in enumerate(zip(tasks, ids, nodes, strict=True))
    ]
    draft.commands = {task_id: t.command for t, task_id in zip(tasks, ids, strict=True) if t.command}
    _task_settings(draft, tasks)
    _one_task_a_name(draft, tasks)
    gap = f"{draft.body.get('cycle', 'D')}0"
    draft.body["relations"] = [
        {"cycleGap": gap, "source": source, "target": target, "rerun": settings.tasks.rerun}
        for source, target in edges
    ]
    if upstream_flows:
        roots = [node for node, t in zip(nodes, tasks, strict=True) if not t.upstream]
        _add_upstream_flows(draft, upstream_flows, roots)


def _edges_within(draft: FlowDraft, tasks: list[_TaskRow], edges: list[tuple[str, str]],
                  nodes: set[str]) -> list[tuple[str, str]]:
    """The edges between tasks of this flow. An upstream that is no task of it (a spreadsheet's
    `depends_on` naming another job, one flow a row) fails the flow saying so, where the graph's
    check would only say that a node is missing."""
    for source, target in edges:
        if source not in nodes:
            waiting = next(t.task_id for t in tasks if task_node_id(_canonical_or_raw(t.task_id)) == target)
            upstream = source.removeprefix("t_")
            draft.fail("upstream", upstream, f"task {waiting} waits on task {upstream}, which is not a task of this "
                       "flow: [mapping.tasks] upstream names tasks of the same flow (the rows of one [mapping] "
                       "flow_key); a wait on another flow is a flow node, which a table does not carry: give both "
                       "jobs one flow_key to make them tasks of one flow, or add the flow node in the service",
                       code="UPSTREAM_NOT_IN_FLOW")
    return [(source, target) for source, target in edges if source in nodes]


def _one_task_a_name(draft: FlowDraft, tasks: list[_TaskRow]) -> None:
    """Two tasks of one name: Import refuses the flow (62102), and a flow that exists is bound to its
    tasks by name, which could not tell them apart. Refused here, before anything is sent."""
    seen: dict[str, str] = {}
    for index, task in enumerate(tasks):
        if task.name in seen:
            draft.fail(f"tasks[{index}].taskName", task.name, f"TASK_NAME_REPEATED: tasks {seen[task.name]} and "
                       f"{task.task_id} are both named {task.name!r}; a flow's tasks need names of their own",
                       code="TASK_NAME_REPEATED")
        else:
            seen[task.name] = task.task_id


def _one_task(draft: FlowDraft, task: _TaskRow) -> None:
    """_finish_graph for a flow of one task (the canvas position layout() gives it)."""
    fallback = (0.5, 0.5) if task.x and task.y else (0.5, 0.05)
    draft.body["tasks"] = [{"taskName": task.name, "taskId": task.task_id, "nodeId": task_node_id(task.task_id),
                            "x": _coordinate(draft, task.x, fallback[0], 0, "x"),
                            "y": _coordinate(draft, task.y, fallback[1], 0, "y")}]
    if task.command:
        draft.commands = {_canonical_or_raw(task.task_id): task.command}
    if task.settings:
        _task_settings(draft, [task])
    draft.body["relations"] = []


def _task_settings(draft: FlowDraft, tasks: list[_TaskRow]) -> None:
    """Each task's exported settings (the `task_settings` column), kept for Import as JSON text;
    one that is not a JSON object is refused here, not by Import at run time."""
    for index, task in enumerate(tasks):
        if not task.settings:
            continue
        try:
            settings = json.loads(task.settings)
        except (ValueError, RecursionError):
            settings = None
        if not isinstance(settings, dict):
            draft.fail(f"tasks[{index}].task_settings", task.settings, "must be a JSON object (a task of Export Flow)")
            continue
        draft.task_settings[_canonical_or_raw(task.task_id)] = task.settings


def _canonical_or_raw(task_id: str) -> str:
    """A task id as the payload will carry it (`05` is 5), so that Import finds its command; an
    invalid one is left as it is and reported by validation."""
    try:
        return canonical_id(task_id)
    except ValueError:
        return task_id


def _upstream_flows(draft: FlowDraft) -> list[dict[str, Any]]:
    """The profile's `flow_upstream` list, checked: each entry names a flow id."""
    if not draft.flow_upstream.strip():
        return []
    try:
        entries = json.loads(draft.flow_upstream)
    except (ValueError, RecursionError):
        entries = None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and str(e.get("flowId", "")).strip()
                                                for e in entries):
        draft.fail("flows", draft.flow_upstream, "flow_upstream must be a JSON list of {flowId, flowName, cycleGap, "
                                                 "targets}")
        return []
    return entries


def _add_upstream_flows(draft: FlowDraft, entries: list[dict[str, Any]], roots: list[str]) -> None:
    """Each flow this one waits on: a flow node `f_<id>` left of the tasks, and a relation to each
    task that waits on it (every root task when the profile names none)."""
    flows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        flow_id = str(entry["flowId"]).strip()
        node = flow_node_id(flow_id)
        flows.setdefault(node, {"flowId": flow_id, "flowName": str(entry.get("flowName") or flow_id),
                                "nodeId": node, "isVirtual": False, "x": 0.02,
                                "y": round(min(0.95, 0.05 + 0.05 * len(flows)), 4)})
        targets = [task_node_id(str(t)) for t in entry.get("targets") or []] or roots
        gap = str(entry.get("cycleGap") or f"{draft.body.get('cycle', 'D')}0")
        draft.body["relations"].extend({"cycleGap": gap, "source": node, "target": target, "rerun": False}
                                       for target in targets)
    draft.body["flows"] = list(flows.values())


def _key_of(mapping: MappingSettings, row: SourceRow) -> str:
    if len(mapping.flow_key) == 1:  # a profile's: no join
        return row.cells.get(mapping.flow_key[0], "")
    if mapping.flow_key:
        return "/".join(row.cells.get(c, "") for c in mapping.flow_key)
    return f"row {row.number}"


class TableKey:
    """The flow a table's row belongs to, by its `flow_key` cells as the rest of the mapping reads
    them: the id's column as the id it is (`0100` is flow 100; through the id's `map`, in any case,
    as `id` reads it), any other as a name is read (name_key: a trailing blank or a full-width
    letter is the same flow). A spreadsheet's rows spell one key several ways (Excel drops leading
    zeros, a pasted cell keeps a blank): read as written, one flow's rows were two flows, and the
    later one a DUPLICATE while the first was saved without its tasks. The key so read is the flow's
    identity (its source key, in its marker) too, whichever row comes first. A profile's keys are
    exact: it makes them."""

    def __init__(self, mapping: MappingSettings) -> None:
        self.columns = mapping.flow_key
        rule = mapping.rules().get("id")
        self.id_column: str | None = None
        self.id_map: dict[str, Scalar] = {}
        if rule is not None:
            alone = _ALONE.fullmatch(rule.template or "")  # "{flow_id}": the column, written another way
            self.id_column = rule.column or (alone["column"] if alone else None)
            self.id_map = dict(rule.map)
        self.folded_map = {str(key).lower(): value for key, value in self.id_map.items()}

    def parts(self, cells: dict[str, str]) -> list[str]:
        """Each key cell as read ("" where it is blank)."""
        return [self._id(value) if column == self.id_column and (value := cells.get(column, "")).strip() else
                name_key(cells.get(column, "")) for column in self.columns]

    def __call__(self, cells: dict[str, str]) -> str:
        """The key the rows of one flow share ("" when every key cell is blank)."""
        parts = self.parts(cells)
        return "/".join(parts) if any(parts) else ""

    def _id(self, value: str) -> str:
        if self.id_map and (mapped := mapped_value(value, self.id_map, self.folded_map)) is not None:
            value = str(mapped)
        try:
            return canonical_id(value, zero_allowed=True)
        except ValueError:
            return name_key(value)  # not an id: refused as one where the field is read


_ALONE = re.compile(r"\{(?P<column>[^{}:!]+)\}")


def _continues(parts: list[str], before: list[str]) -> bool:
    """A key of several cells, some left blank where the row before fills them and the others as
    it has them: a merged cell of that flow, written blank after its first row."""
    return len(parts) == len(before) > 1 and "" in parts and all(
        part == then if part else then != "" for part, then in zip(parts, before, strict=True))


def _maps_anything(cells: dict[str, str], columns: list[str]) -> bool:
    """Whether a row holds something in a column the mapping reads (blanks are nothing)."""
    return any(cells.get(column) for column in columns) and any(cells.get(column, "").strip() for column in columns)


def _read_as(field_name: str, value: str) -> str:
    """A flow cell as its field reads it, for telling two rows' apart: an id as the id it is
    (`0100` is 100), a name as the eye reads it (`ａｌｐｈａ` is `alpha`), any other as written."""
    return _id_key(value) if field_name == "id" else name_key(value) if field_name == "name" else value


def _merged_parts(parts: list[str], before: list[str], columns: list[str]) -> str:
    """The key's columns this row leaves blank where the row before fills them (`team`), "" none."""
    if len(parts) != len(before):
        return ""
    return ", ".join(column for column, part, then in zip(columns, parts, before, strict=True) if then and not part)


def _flow_columns(mapping: MappingSettings) -> dict[str, str]:
    """The columns a table's flow fields read, each with the field it fills: the rows of one flow
    must agree on them, since the flow is made from its first row. The key's columns and those a
    task field also reads (they differ by task) are left out."""
    task_columns = _task_columns(mapping)
    columns: dict[str, str] = {}
    for name, rule in mapping.rules().items():
        for column in _rule_columns(rule):
            columns.setdefault(column, name)
    for setting, name in ((mapping.schedule_start, "schedule_start"), (mapping.schedule_timezone, "schedule_timezone")):
        if setting:
            columns.setdefault(setting, name)
    return {c: n for c, n in columns.items() if c not in task_columns and c not in mapping.flow_key}


class _Group:
    """One flow's rows as they are gathered: its draft, its tasks, and what its first row says of
    the flow, to find a later row that says otherwise."""

    def __init__(self, draft: FlowDraft, row: SourceRow, flow_columns: dict[str, str]) -> None:
        self.draft = draft
        self.tasks: list[_TaskRow] = []
        self.first_row = row.number
        self.first = {column: row.cells.get(column, "").strip() for column in flow_columns}
        self.differing: set[str] = set()

    def check(self, row: SourceRow, flow_columns: dict[str, str]) -> None:
        """A later row: a flow cell it fills that the first row fills otherwise is the flow's error."""
        for column, field_name in flow_columns.items():
            value = row.cells.get(column, "").strip()
            if value and value != self.first[column] and column not in self.differing \
                    and _read_as(field_name, value) != _read_as(field_name, self.first[column]):
                self.differing.add(column)
                first = self.first[column]
                self.draft.fail(field_name, value, (
                    f"FLOW_CELLS_DIFFER: row {row.number} gives column {column!r} as {value!r}, where the flow's "
                    f"first row {self.first_row} gives {first!r}" if first else
                    f"FLOW_CELLS_DIFFER: row {row.number} gives column {column!r} as {value!r}, where the flow's "
                    f"first row {self.first_row} leaves it blank") + (
                    ": a flow has one of each; make its rows agree (or leave the cell blank in the rows after the "
                    "first)"), code="FLOW_CELLS_DIFFER")

    def keyless(self, row: SourceRow, columns: list[str]) -> None:
        """A row with a blank key (or a part of it) right after this flow's: perhaps one of its
        tasks (merged cells are written blank after their first row), so the flow is not saved
        without it."""
        self.draft.rows.append(row.number)
        self.draft.fail("flow_key", "", f"FLOW_KEY_BLANK: row {row.number} leaves the flow key ({', '.join(columns)}) "
                                        "blank, or a part of it, right after a row of this flow: it may be one of its "
                                        "tasks (merged cells are written blank after their first row), so the flow is "
                                        "not saved without it; fill the key in every row", code="FLOW_KEY_BLANK")


def draft_flows(rows: Iterable[SourceRow], settings: Settings) -> Iterator[FlowDraft]:
    """Group rows into drafts. Without a flow key every row is a flow and drafts stream out;
    with one, rows of a flow may be anywhere in the file, so drafts come at the end (unless the
    rows of a flow are known to be contiguous)."""
    mapping = settings.mapping
    plan = FieldPlan.of(settings)
    plan_of = _plans_by_profile(settings) if settings.source.profile == "mixed" else None
    # A table's row none of whose mapped cells holds anything (empty or stray rows below a sheet's
    # table, a note in a column of its own) is no row of a flow: a flow of defaults alone, it was
    # refused, and kept a clean export from ever planning with exit 0.
    read_columns = sorted(mapped_columns(mapping) - set(mapping.flow_key)) \
        if settings.source.profile == "tabular" else []
    if not mapping.flow_key:
        for row in rows:
            if read_columns and not _maps_anything(row.cells, read_columns):
                continue
            draft = _start_draft(plan_of(row) if plan_of else plan, row, _key_of(mapping, row))
            _finish_graph(draft, _task_rows(draft, mapping, row), mapping)
            yield from _with_split(draft) if draft.split is not None else (draft,)
        return
    table_key = TableKey(mapping) if settings.source.profile == "tabular" else None
    flow_columns = _flow_columns(mapping) if table_key is not None else {}
    grouped: dict[str, _Group] = {}
    last: _Group | None = None
    last_parts: list[str] = []
    for row in rows:
        parts = table_key.parts(row.cells) if table_key is not None else []
        source_key = shared = ("/".join(parts) if any(parts) else "") if table_key is not None else \
            _key_of(mapping, row)
        if table_key is not None and (not shared or _continues(parts, last_parts)):
            if not _maps_anything(row.cells, read_columns):
                continue
            if last is not None:
                last.keyless(row, mapping.flow_key)
                continue
        # A folder of several exports: two may use one key (two formats, two copies of one crontab), and
        # they are two flows (one target twice: a DUPLICATE, named with both files), never one of both's tasks.
        key = f"{row.cells.get(ENTRY_COLUMN, '')}\x1f{shared}" if plan_of is not None else shared
        if mapping.contiguous_groups and grouped and key not in grouped:
            for done in grouped.values():  # the previous flow is complete
                _finish_graph(done.draft, done.tasks, mapping)
                yield from _with_split(done.draft) if done.draft.split is not None else (done.draft,)
            grouped.clear()
        group: _Group | None = grouped.get(key)
        if group is None:
            group = grouped[key] = _Group(_start_draft(plan_of(row) if plan_of else plan, row, source_key), row,
                                          flow_columns)
            if table_key is not None and not shared:  # the file's first rows: of no flow before them
                group.draft.fail("flow_key", "", f"FLOW_KEY_BLANK: row {row.number} leaves the flow key "
                                                 f"({', '.join(mapping.flow_key)}) blank: which flow it is a row of is "
                                                 "not known; fill the key in every row", code="FLOW_KEY_BLANK")
            elif table_key is not None and (merged := _merged_parts(parts, last_parts, mapping.flow_key)):
                # Another flow's key with a part left blank where the row before fills it (a team
                # merged over its jobs): keyed so, it would be another flow once the cell is filled.
                group.draft.fail("flow_key", "", f"FLOW_KEY_BLANK: row {row.number} leaves {merged} of the flow "
                                                 "key blank where the row before gives it (a merged cell?): the "
                                                 "flow's identity would change once it is filled; fill the key in "
                                                 "every row", code="FLOW_KEY_BLANK")
        else:
            group.draft.rows.append(row.number)
            if flow_columns:
                group.check(row, flow_columns)
        group.tasks.extend(_task_rows(group.draft, mapping, row))
        last, last_parts = group, parts
    for done in grouped.values():
        _finish_graph(done.draft, done.tasks, mapping)
        yield from _with_split(done.draft) if done.draft.split is not None else (done.draft,)


def _plans_by_profile(settings: Settings) -> Callable[[SourceRow], FieldPlan]:
    """A folder of several formats: each row is mapped as its own profile maps it (its dialect,
    its identity scope), made once a profile."""
    from migrate.sources.profiles import registry, standard_mapping

    profiles = registry()
    plans: dict[str, FieldPlan] = {}

    def plan_of(row: SourceRow) -> FieldPlan:
        name = row.cells.get(PROFILE_COLUMN, "")
        if name not in plans:
            profile = profiles[name]
            mapping = standard_mapping(profile.dialect, settings.mapping, profile)
            if settings.mapping.identity_scope:
                mapping = mapping.model_copy(update={"identity_scope": entry_scope(mapping.identity_scope, name)})
            plans[name] = FieldPlan.of(settings.model_copy(update={
                "mapping": mapping, "source": settings.source.model_copy(update={"profile": name})}))
        return plans[name]

    return plan_of


def _with_split(draft: FlowDraft) -> Iterator[FlowDraft]:
    """The draft, and with an opt-in split its twin: the day-of-week half, under its own id."""
    if draft.split is None:
        yield draft
        return
    twin_id, schedule = draft.split  # the twin is made before the draft is validated (which fills in its id)
    # The first flow's warnings but where its schedule's second half says its own (a zone shift
    # names each half's freq).
    own = [warning.as_json() for warning in schedule.warnings]
    codes = {warning["code"] for warning in own}
    twin = FlowDraft(source_key=f"{draft.source_key} (split)", rows=list(draft.rows),
                     body=copy.deepcopy(draft.body), scope=draft.scope, proof=draft.proof,
                     warnings=[w for w in draft.warnings if w.get("code") not in codes] + own)
    twin.body.update(freq=schedule.freq, cycle=schedule.cycle, name=f"{draft.body.get('name', '')} (weekdays)")
    twin.identity = f"{draft.identity} (split)"
    marked = marker_of(twin.body.get("desc"))
    if marked is not None:  # the twin is a flow of its own: its own marker
        twin.body["desc"] = with_marker(str(twin.body["desc"]), marked[0], twin.identity)
    if twin_id:
        twin.body["id"] = twin_id
    elif draft.body.get("id") or marked is None:
        # The first flow is saved under an id, or found by nothing else: the twin needs its own. Else
        # both are found by their markers (a profile's flows), the twin by its own.
        twin.fail("split_id_column", "", "the split's second flow needs an id in the split_id_column")
    yield draft
    yield twin


# The proof of a flow whose schedule never reached the conversion (a profile's error, no freq mapped).
NOT_READ = unchecked("no schedule was converted").as_json()


def validate(draft: FlowDraft) -> ValidFlow | InvalidFlow:
    errors = list(draft.errors)
    proof = draft.proof or NOT_READ
    payload = None
    needs_id = "id" not in draft.body
    if needs_id:
        draft.body["id"] = NO_ID
    try:
        payload = FlowPayload.model_validate(draft.body)
    except ValidationError as error:
        found = field_errors(error, draft.body)
        already = {e.field for e in errors}  # a value the mapping refused is not "missing" too
        if any(e.field == "freq" for e in found) and "cycle" not in draft.body:
            already.add("cycle")  # it is derived from freq, which is reported already
        if any(e.field == "source" for e in errors):
            already.update(("freq", "cycle"))  # the profile said why there is no schedule
        if any(e.code == "SHORT_ROW" for e in errors):
            already.update(e.field for e in found)  # its fields are missing because the line is cut short
        errors.extend(e for e in found if e.field not in already)
    if payload is not None and not needs_id and payload.id == NO_ID:  # 0 (or 00) stands for "found by name"
        errors.append(FieldError(field="id", value=json.dumps(draft.body.get("id"), ensure_ascii=False),
                                 message=f"must be a numeric id {ID_RANGE}: 0 names nothing"))
    errors = _secrets_in_commands(draft, errors)
    if payload is not None and (payload.desc, payload.name) != (draft.body.get("desc"), draft.body.get("name")):
        # a secret withheld from them
        payload = payload.model_copy(update={"desc": draft.body["desc"], "name": draft.body["name"]})
    if errors or payload is None:
        return InvalidFlow(
            source_key=draft.source_key, rows=draft.rows, name=str(draft.body.get("name", "")),
            flow_id="" if needs_id else str(draft.body.get("id", "")), errors=errors, warnings=tuple(draft.warnings),
            identity=draft.identity, scope=draft.scope, proof=proof,
        )
    return ValidFlow(payload=payload, source_key=draft.source_key, rows=draft.rows, warnings=tuple(draft.warnings),
                     needs_id=needs_id, commands=draft.commands, identity=draft.identity, proof=proof,
                     task_settings=draft.task_settings)



def _secrets_in_commands(draft: FlowDraft, errors: list[FieldError]) -> list[FieldError]:
    """SECRET_IN_COMMAND, every profile's: a task command that holds a secret written into it
    (`PGPASSWORD=… pg_dump`, `curl -u admin:…`) runs as it is, and every owner and visitor of the
    flow reads it; named, by task, never its value, which every warning and error of the flow that
    quotes it (or quotes a command line the profile could not read, or a step's arguments) withholds
    too. The errors, so withheld."""
    from migrate.sources.profiles import MASKED_LENGTH, command_secrets, withholding

    found: list[str] = []
    values: set[str] = set()
    for task_id, command in draft.commands.items():
        if secrets := command_secrets(command):
            found.append(f"{task_id}: {', '.join(dict.fromkeys(what for what, _ in secrets))}")
            values.update(value for _, value in secrets)
    # The messages that may quote a secret the commands do not hold: an error's (a command line the
    # profile could not read), and, beside a command that holds one, its flow's warnings (a step's
    # arguments, an error handler). Every flow's warnings read so cost a plan a third of its time.
    quoting = [*(str(w.get("message", "")) for w in draft.warnings)] if found else []
    for text in [*quoting, *(e.message for e in errors)]:
        values.update(value for _, value in command_secrets(text))
    masked = any(len(value.strip("\"'")) >= MASKED_LENGTH for value in values)
    withheld = withholding(values)
    if masked:
        draft.warnings[:] = [{**w, **{k: withheld(w[k]) for k in ("message", "from", "to")
                                      if isinstance(w.get(k), str)}} for w in draft.warnings]
        # The source key names the job in every plan, result line and message (a crontab's is its
        # command): shown withheld, while the marker keeps the key it was made of (its identity).
        draft.identity = draft.identity or draft.source_key
        draft.source_key = withheld(draft.source_key)
        if isinstance(desc := draft.body.get("desc"), str):  # a crontab's line, quoted as the flow's description
            draft.body["desc"] = withheld(desc)
        # A name made of the command's first word (a crontab's `HIVE.PASSWORD=…`, which the shell runs as a
        # program): its secret left out, in a name's own characters
        if isinstance(name := draft.body.get("name"), str) and (named := _name_withheld(name, values)) != name:
            draft.body["name"] = named
    if found:
        draft.warnings.append({"code": "SECRET_IN_COMMAND", "from": "", "to": "", "message": (
            f"task commands hold what looks like a secret (task {'; '.join(found)}): carried as written, and every "
            "owner and visitor of the flow can read it; move it to the service's own secret store")})
    if not masked:
        return errors
    return [e.model_copy(update={"message": withheld(e.message), "value": withheld(e.value)}) for e in errors]


def _name_withheld(name: str, values: set[str]) -> str:
    """A flow's name with each secret of `values` (long enough to be withheld) put as `secret`."""
    from migrate.sources.profiles import MASKED_LENGTH

    for value in sorted(values, key=len, reverse=True):
        if len(bare := value.strip("\"'")) >= MASKED_LENGTH:
            name = name.replace(bare, "secret")
    return name


def plan_flows(rows: Iterable[SourceRow], settings: Settings, dedupe: bool = True) -> Iterator[ValidFlow | InvalidFlow]:
    """Drafts validated, with a second flow for the same target refused: it would be saved
    twice, the later silently replacing the earlier (unless the caller finds duplicates itself)."""
    seen = SeenKeys()
    for draft in draft_flows(rows, settings):
        checked = validate(draft)
        if dedupe and isinstance(checked, ValidFlow):
            target = checked.target
            # Two jobs (two source keys, however spelt), not one job met twice (a spreadsheet's twin)
            job = target if _row_keyed(checked.source_key) else name_key(checked.source_key)
            first = seen.first_row(target, checked.rows[0], job)
            if first is not None and target.startswith("name ") and seen.met_by_another(target, job):
                written = f" (written {checked.name!r} here)" if target != f"name {checked.name!r}" else ""
                checked = InvalidFlow(source_key=checked.source_key, rows=checked.rows, name=checked.name, flow_id="",
                                      warnings=checked.warnings, identity=checked.identity, scope=draft.scope,
                                      proof=checked.proof, errors=[name_collision(target + written, "", first)])
            elif first is not None:
                checked = duplicate_of(target, first, checked.rows[0], checked.source_key, checked.name,
                                       checked.rows, checked.warnings, spelt=str(draft.body.get("id", "")),
                                       identity=checked.identity, scope=draft.scope, proof=checked.proof)
        yield checked


def _row_keyed(key: str) -> bool:
    """A table read row by row (no flow_key): its key is the row's number, no job's."""
    return key.startswith("row ")


def two_jobs(first_key: str, key: str) -> bool:
    """Whether two flows aimed at one name are two jobs of the source (two keys, however spelt),
    not one job met twice; rows of a table read row by row are one job when their names are."""
    return not _row_keyed(first_key) and not _row_keyed(key) and name_key(first_key) != name_key(key)


def name_collision(target: str, first_key: str, first_row: int) -> FieldError:
    """Two jobs of the source (two source keys) whose flows come to one name: the service has one
    flow of a name, so the later is refused, and said to be another job, not a copy of the first."""
    whose = f"{first_key!r} (row {first_row})" if first_key else f"another job of the source (row {first_row})"
    return FieldError(field="name", value=json.dumps(target.removeprefix("name ").split(" (written ")[0],
                                                      ensure_ascii=False),
                      code="NAME_COLLISION",
                      message=f"{target} is also the flow name of {whose}: two jobs would be one flow, and the "
                              "service has one flow of a name; rename one of them in the export, or map "
                              "[mapping.fields] name to names of your own")


def duplicate_of(target: str, first: int, row: int, key: str, name: str, rows: list[int] | None = None,
                 warnings: tuple[dict[str, str], ...] = (), spelt: str = "", identity: str = "",
                 scope: str | None = None, proof: dict[str, Any] | None = None) -> InvalidFlow:
    """A second flow aimed at the same target: refused, since saving it would silently replace
    the first. `spelt`: the id as this row writes it, when another spelling (`05`, `٥`) names it."""
    by_name = target.startswith("name ")
    if by_name:  # the name as this row writes it, where blanks or characters that do not show set it apart
        spelt = name if name_key(name) != name else ""
    written = f" (written {spelt!r} here)" if spelt and (by_name or f"flow {spelt}" != target) else ""
    return InvalidFlow(
        source_key=key, rows=rows or [row], name=name, flow_id="" if by_name else target.removeprefix("flow "),
        warnings=warnings, identity=identity, scope=scope, proof=proof,
        errors=[FieldError(field="name" if by_name else "id", value=json.dumps(spelt or target, ensure_ascii=False),
                           code="DUPLICATE", message=f"duplicate: {target}{written} already comes from row "
                                                     f"{first}; not saved twice")],
    )
