"""The Save Flow body and its structs, with the wire names of enos-batch-api.md §3.

One model serves both sides: the pipeline builds a FlowPayload and sends `wire()`; the
emulator validates an incoming body with the same model, so the two can never disagree on
what a field may hold. The model accepts what the documented samples send (ids as integers
or numeric strings, `parameters` as a JSON string or a list of key/value pairs) and
normalises it to what our client sends (numeric strings, a JSON string).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from datetime import date
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError, PydanticSerializationError

from migrate.mapping.graph import FLOW_PREFIX, TASK_PREFIX, graph_errors
from migrate.schedule.cycle import CYCLES, Cycle, SubMinuteSchedule, cycle_of
from migrate.schedule.quartz import QuartzError, parse_quartz

# Ids are Java longs on the service: 1 to 2^63 - 1. Only ASCII digits spell one: `int()` and
# `str.isdigit()` also take Arabic-Indic, fullwidth and superscript digits, so `5`, `05` and `٥`
# would pass as three flows and be saved as one, three times.
MAX_ID = 9_223_372_036_854_775_807
ASCII_DIGITS = re.compile(r"[0-9]+")
ID_RANGE = f"from 1 to {MAX_ID}"


def _plain_id(value: object) -> TypeGuard[str]:
    """Already canonical: ASCII digits, no leading zero, short enough to be in range."""
    return type(value) is str and 0 < len(value) < 19 and value.isascii() and value.isdigit() and value[0] != "0"


def canonical_id(value: object, zero_allowed: bool = False) -> str:
    """An id as the service reads it: ASCII digits, leading zeros dropped (`0005` -> `5`).
    Raises ValueError, naming the rule, for any other spelling and outside the service's range."""
    if _plain_id(value):
        return value  # the common case, already canonical: 18 digits cannot pass MAX_ID
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_ID:
        raise ValueError(f"is beyond the service's integer range: ids run {ID_RANGE}")  # before str(): 4,300 digits
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not ASCII_DIGITS.fullmatch(text):  # a negative int keeps its sign here, and is refused
        raise ValueError("must be a numeric id: a non-negative integer in ASCII digits, no sign, point or space")
    text = text.lstrip("0") or "0"
    # Compared as text first: int() of thousands of digits is slow, and refused past 4,300.
    if len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:
        raise ValueError(f"is beyond the service's integer range: ids run {ID_RANGE}")
    if text == "0" and not zero_allowed:
        raise ValueError(f"must be a numeric id {ID_RANGE}: 0 names nothing")
    return text


def _numeric_id(value: object) -> object:
    return canonical_id(value)


def _flow_id_or_none(value: object) -> object:
    # 0 stands for "no id yet": the mapping validates a flow to be found by name with it, and
    # the run puts the found id in its place. Save with 0 is refused by the service (no flow 0).
    return "0" if value == "0" else canonical_id(value, zero_allowed=True)  # "0": most new flows


def _not_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


NumericId = Annotated[str, BeforeValidator(_numeric_id)]
FlowIdOrNone = Annotated[str, BeforeValidator(_flow_id_or_none)]
ScheduleType = Annotated[Literal[0, 1, 2], BeforeValidator(_not_bool)]
AlertMode = Annotated[Literal[0, 1, 2, 3], BeforeValidator(_not_bool)]
Active = Annotated[Literal[0, 1], BeforeValidator(_not_bool)]
CYCLE_GAP = re.compile(r"^(M|W|D|H|mi)-?[0-9]+$")


class WireModel(BaseModel):
    # Strict: "1" is not 1 and 1 is not True on this wire. Unknown keys are ignored, as a
    # service that reads known fields would; snake_case spellings therefore count as missing.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class TaskSimpleInfo(WireModel):
    taskName: str
    x: float
    y: float
    taskId: NumericId
    nodeId: str


class FlowSimpleInfo(WireModel):
    flowId: NumericId
    flowName: str = Field(validation_alias=AliasChoices("flowName", "flow_name"))
    nodeId: str
    isVirtual: bool = False
    x: float
    y: float


class Relation(WireModel):
    cycleGap: Annotated[str, Field(pattern=CYCLE_GAP.pattern)]  # a cycle code and an offset, such as D0
    source: str
    target: str
    rerun: bool


class Parameter(WireModel):
    key: str
    value: str


def _parameters(value: object) -> object:
    """Accept the documented JSON string or a list; keep the JSON string form."""
    return _parameters_text(value) if isinstance(value, str) else _parameters_list(value)


@functools.lru_cache(maxsize=4096)  # the same parameters come back row after row
def _parameters_text(value: str) -> str:
    return _parameters_list(value)


def _parameters_list(value: object) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as error:
            raise ValueError(f"is not valid JSON ({error.msg})") from None
        except RecursionError:
            raise ValueError("is JSON nested too deeply to read") from None
    if not isinstance(value, list):
        raise ValueError("must be a list of {key, value} objects or its JSON string")
    items = []
    for index, item in enumerate(value):
        try:
            items.append(Parameter.model_validate(item).model_dump())
        except ValidationError as error:
            problems = ", ".join(f"{'.'.join(map(str, e['loc'])) or 'item'} {e['msg'].lower()}" for e in error.errors())
            raise ValueError(f"item {index} is not a {{key, value}} pair of strings: {problems}") from None
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def _start_time(value: object) -> object:
    return _start_date(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=4096)
def _start_date(value: str) -> str:
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError("must be a date written YYYY-MM-DD")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError("is not a calendar date") from None
    return value


def _freq(value: object) -> object:
    return _quartz_freq(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=4096)
def _quartz_freq(value: str) -> str:
    if isinstance(value, str):
        try:
            parts = value.split()
            parse_quartz(value)
        except QuartzError as error:
            raise ValueError(error.reason if error.field is None else f"{error.field}: {error.reason}") from None
        if len(parts) != 7:
            raise ValueError("must have 7 fields (sec min hour dom month dow year)")
    return value


# Rules of a Save body no page states, which the real service very likely applies (docs/emulator.md,
# "Service choices"); each is a code of its own, so `plan` counts the flows it refuses under it.
# The emulator turns each off with its rule of the same meaning (validation context, below).
SELF_DEPENDENCY, CYCLE_CONTRADICTS_FREQ = "SELF_DEPENDENCY", "CYCLE_CONTRADICTS_FREQ"
MODEL_RULE_CODES = frozenset({SELF_DEPENDENCY, CYCLE_CONTRADICTS_FREQ})
# Finest grain first: a cycle earlier in this order than the schedule's own claims runs it never makes.
CYCLE_GRAIN = {cycle: index for index, cycle in enumerate(("mi", "H", "D", "W", "M"))}
assert set(CYCLE_GRAIN) == set(CYCLES)


@functools.lru_cache(maxsize=4096)
def freq_cycle(freq: str) -> Cycle | None:
    """The cycle a valid freq fires at (cron-semantics.md §3.4); None when it has none (sub-minute)."""
    try:
        return cycle_of(parse_quartz(freq))
    except (QuartzError, SubMinuteSchedule):
        return None


def contradicted_cycle(cycle: str, freq: str) -> Cycle | None:
    """The cycle a freq fires at, when `cycle` is finer (a daily freq, cycle H: hourly instances
    that never run; refused as CYCLE_CONTRADICTS_FREQ, Save's and Import's rule); else None."""
    fires = freq_cycle(freq)
    return fires if fires is not None and cycle in CYCLE_GRAIN and CYCLE_GRAIN[cycle] < CYCLE_GRAIN[fires] else None


def _rule_on(info: ValidationInfo, rule: str) -> bool:
    """A rule of the model is on unless the validation context turns it off (the emulator's switches)."""
    return not isinstance(info.context, dict) or info.context.get(rule, True) is not False


def _rule_error(code: str, field: str, value: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message, {"field": field, "value": value})


def _node_renames(items: object, id_key: str, prefix: str) -> dict[str, str]:
    """Node ids written from a non-canonical id (`t_05` for task `05`) -> the canonical ones (`t_5`)."""
    renames: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("nodeId") != f"{prefix}{item.get(id_key)}":
            continue
        try:
            canonical = canonical_id(item[id_key])
        except ValueError:
            continue  # reported by the field's own check
        if canonical != str(item[id_key]):
            renames[item["nodeId"]] = f"{prefix}{canonical}"
    return renames


def _canonical_nodes(body: Any) -> Any:
    """A node id made from a task or flow id follows the id to its canonical spelling, relations
    too; so task `05` and task `5` become one node twice, refused by the graph check."""
    if not isinstance(body, dict):
        return body
    tasks = body.get("tasks")
    if not body.get("flows") and type(tasks) is list:  # the common case, every id canonical: nothing to rename
        if len(tasks) == 1:
            if type(tasks[0]) is dict and _plain_id(tasks[0].get("taskId")):
                return body
        elif all(type(t) is dict and _plain_id(t.get("taskId")) for t in tasks):
            return body
    renames = {**_node_renames(body.get("tasks"), "taskId", TASK_PREFIX),
               **_node_renames(body.get("flows"), "flowId", FLOW_PREFIX)}
    if not renames:
        return body

    def renamed(items: object, keys: tuple[str, ...]) -> object:
        if not isinstance(items, list):
            return items
        return [{**item, **{k: renames.get(item[k], item[k]) for k in keys if isinstance(item.get(k), str)}}
                if isinstance(item, dict) else item for item in items]

    return {**body, "tasks": renamed(body.get("tasks"), ("nodeId",)), "flows": renamed(body.get("flows"), ("nodeId",)),
            "relations": renamed(body.get("relations"), ("source", "target"))}


class FlowPayload(WireModel):
    """The body of Save Flow. Optional per some doc versions; see README 'Service choices'."""

    @model_validator(mode="before")
    @classmethod
    def _canonical_node_ids(cls, body: Any) -> Any:
        return _canonical_nodes(body)

    id: FlowIdOrNone
    type: ScheduleType
    name: Annotated[str, Field(min_length=1)]
    freq: Annotated[str, BeforeValidator(_freq)]
    cycle: Cycle
    alertMode: AlertMode
    doAs: str
    owners: str
    visitors: str
    startTime: Annotated[str, BeforeValidator(_start_time)]
    active: Active
    parameters: Annotated[str, BeforeValidator(_parameters)] = "[]"
    desc: str = ""
    queue: str = ""
    tasks: list[TaskSimpleInfo]
    flows: list[FlowSimpleInfo]
    relations: list[Relation]

    @model_validator(mode="after")
    def _graph(self) -> FlowPayload:
        if not self.relations and not self.flows and len(self.tasks) <= 1:  # most flows: one task
            if self.tasks and self.tasks[0].nodeId != f"t_{self.tasks[0].taskId}":
                raise ValueError(f"task {self.tasks[0].taskId}: nodeId {self.tasks[0].nodeId!r} must be "
                                 f"{'t_' + self.tasks[0].taskId!r}")
            return self
        errors = graph_errors(
            [(t.nodeId, t.taskId) for t in self.tasks],
            [(f.nodeId, f.flowId) for f in self.flows],
            [(r.source, r.target) for r in self.relations],
        )
        if errors:
            raise ValueError("; ".join(errors))
        return self

    @model_validator(mode="after")
    def _service_rules(self, info: ValidationInfo) -> FlowPayload:
        """Refused by the service very likely, though undocumented: a flow that waits on itself, and
        a cycle finer than its freq fires (a daily freq, cycle H: hourly instances that never run).
        Context keys `self_dependency` and `cycle_matches_freq` (False) turn each off."""
        if self.flows and self.id != "0" and _rule_on(info, "self_dependency"):
            for node in self.flows:
                if node.flowId == self.id:
                    raise _rule_error(SELF_DEPENDENCY, "flows", node.nodeId,
                                      f"flow {self.id} cannot depend on itself (flow node {node.nodeId})")
        fires = contradicted_cycle(self.cycle, self.freq)
        if fires is not None and _rule_on(info, "cycle_matches_freq"):
            raise _rule_error(CYCLE_CONTRADICTS_FREQ, "cycle", self.cycle,
                              f"cycle {self.cycle} is finer than freq {self.freq!r} fires (its cycle is {fires})")
        return self

    def wire(self) -> dict[str, Any]:
        """The JSON-ready body, in the documented field order."""
        return self.model_dump(mode="json")

    def wire_bytes(self) -> bytes:
        """The body's bytes: the stdlib's compact JSON of `wire()`, UTF-8, which the payload hash
        (compare = "log", resume) has always been taken of. pydantic's own serializer writes the
        same bytes five times faster (one call in Rust instead of a dump and the stdlib's
        encoder: about 15 µs a flow), except for a float the stdlib writes with an exponent
        below 1e-4 (`1e-05`, where Rust writes `1e-5`) and for NaN and infinities (`NaN`, where
        it writes `null`): a body with a coordinate like that is written by the stdlib."""
        if (all(_plain_float(task.x) and _plain_float(task.y) for task in self.tasks)
                and all(_plain_float(flow.x) and _plain_float(flow.y) for flow in self.flows)):
            try:
                return _SERIALIZER.to_json(self)
            except PydanticSerializationError:  # a lone surrogate: the stdlib's error, as before
                pass
        return json.dumps(self.wire(), ensure_ascii=False, separators=(",", ":")).encode()


_SERIALIZER = FlowPayload.__pydantic_serializer__


def _plain_float(value: float) -> bool:
    """A float that pydantic's JSON writes exactly as the stdlib's: 0, or finite with no exponent
    below 1e-4 (from 1e16 up, both write `1e+16`)."""
    return value == 0 or 1e-4 <= abs(value) < math.inf


def payload_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class FieldError(BaseModel):
    model_config = ConfigDict(frozen=True)
    field: str
    value: str
    message: str
    code: str | None = None  # a schedule rejection's code, such as DOM_OR_DOW

    def sentence(self) -> str:
        return f"field {self.field}: {self.message} (value {self.value})"

    @property
    def reason(self) -> str:
        return error_reason(self.code, self.field)


def error_reason(code: str | None, field: str) -> str:
    """What an invalid flow is counted under: its code, else its top-level field."""
    return code or f"field {field.split('[')[0].split('.')[0]}"


def _shown(value: object, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def field_errors(error: ValidationError, body: object = None) -> list[FieldError]:
    """Pydantic errors as (field, value, message), fields written like `tasks[0].taskId`."""
    found: list[FieldError] = []
    for item in error.errors(include_url=False):
        path = ""
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] in MODEL_RULE_CODES:  # a rule of its own code, naming its field
            context = item.get("ctx") or {}
            found.append(FieldError(field=str(context.get("field", "body")), value=_shown(context.get("value")),
                                    message=message, code=item["type"]))
            continue
        if not item["loc"]:  # a whole-body rule: the graph
            path, shown = "graph", "tasks, flows and relations"
        elif item["type"] == "missing":
            message, shown = "is required", "missing"
        else:
            shown = _shown(item.get("input"))
        found.append(FieldError(field=path or "body", value=shown, message=message))
    return found
