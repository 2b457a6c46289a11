"""`migrate edit`'s transformations: what a runbook asks to change in each selected flow, checked
before anything is read, then applied to each flow's snapshot line (engine/export.py
`snapshot_line`: Get Flow's answer with its graph as an object). Pure: no I/O.

The edits, in the order they are applied:

- `set`: a field to one value (`alertMode`, `doAs`, `queue`, `type`, `desc`, `startTime`,
  `owners`, `visitors`); `active` is refused (`migrate enable`/`disable` use the service's own
  actions), `name`, `freq` and `cycle` too (a name is one flow's; the schedule has its own edits
  and the cycle follows the schedule);
- `replace`: in `owners` or `visitors`, `alice -> bob`: each alice becomes bob where she was,
  the order kept, a name then listed twice kept once (its first place);
- `add_parameters` (a key set to a value: replaced where the key is, else added last) and
  `remove_parameters` (keys);
- `schedule` (a new Quartz freq for every flow; its warnings, a windowed cycle say, show on each
  flow in the plan) or `shift_schedule` (`+1h`, `-30m`, `+1h30m`:
  every fire time moved, the days with the times that cross midnight; a flow whose shifted
  schedule has no Quartz form is refused, with the reason, and left as it is).

A flow's Save Flow graph is what the `snapshot` profile saves back, so the edits change the
graph's fields, and Get Flow's top-level copies of them (`owner` as `;a;b;`) alongside, so that
the line stays one flow."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from migrate.exit_codes import CannotRun

SETTABLE = ("alertMode", "doAs", "queue", "type", "desc", "startTime", "owners", "visitors")
LISTS = ("owners", "visitors")
EDIT_KEYS = ("set", "replace", "add_parameters", "remove_parameters", "schedule", "shift_schedule")
# Get Flow's top-level copies of graph fields: the name it uses, and the form of its value.
TOP_LEVEL = {"owners": "owner", "visitors": "visitor"}
_SHIFT = re.compile(r"^([+-])(?:(\d+)h)?(?:(\d+)m)?$")
_REFUSED_FIELDS = {
    "active": "use `migrate enable` or `migrate disable`: the service's own actions, never a re-save",
    "name": ("a name is one flow's own, and a migrated flow's comes from its export: rename the job there (the "
             "next run renames the flow), or the flow in the service by hand"),
    "freq": "use --schedule FREQ or --shift-schedule +1h (in a runbook file: schedule = \"…\", shift_schedule)",
    "cycle": "the cycle follows the schedule: change the schedule",
}


class EditError(CannotRun):
    """An edit that cannot be used: one line naming it, before anything is read."""


class EditRefused(Exception):
    """This flow cannot take the edit (its shifted schedule has no Quartz form): it is left alone."""


@dataclass(frozen=True)
class Edits:
    set: Mapping[str, Any] = field(default_factory=dict)
    replace: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    add_parameters: Mapping[str, str] = field(default_factory=dict)
    remove_parameters: tuple[str, ...] = ()
    schedule: str | None = None  # the freq, as checked (Quartz's own text)
    schedule_cycle: str | None = None
    shift_minutes: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.set or self.replace or self.add_parameters or self.remove_parameters
                    or self.schedule is not None or self.shift_minutes is not None)

    def _parameters_shown(self) -> dict[str, str]:
        """The parameters to add as a plan's title and JSON show them: one that looks like it holds
        a secret (the profiles' SECRET_PARAMETER rule) by its key, its value withheld."""
        from migrate.reconcile.compare import SECRET_NOT_SHOWN
        from migrate.sources.profiles import SECRET_NAME

        return {key: SECRET_NOT_SHOWN if SECRET_NAME.held(key, value) else value
                for key, value in self.add_parameters.items()}

    def describe(self) -> str:
        parts = [f"set {key} = {value!r}" for key, value in self.set.items()]
        parts += [f"{key}: {old} -> {new}" for key, pairs in self.replace.items() for old, new in pairs]
        parts += [f"parameter {key} = {value!r}" for key, value in self._parameters_shown().items()]
        parts += [f"parameter {key} removed" for key in self.remove_parameters]
        if self.schedule is not None:
            parts.append(f"schedule {self.schedule}")
        if self.shift_minutes is not None:
            parts.append(f"schedule shifted {shift_text(self.shift_minutes)}")
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        given: dict[str, Any] = {
            "set": dict(self.set), "replace": {k: [f"{a} -> {b}" for a, b in v] for k, v in self.replace.items()},
            "add_parameters": self._parameters_shown(), "remove_parameters": list(self.remove_parameters),
            "schedule": self.schedule,
            "shift_schedule": None if self.shift_minutes is None else shift_text(self.shift_minutes)}
        return {key: value for key, value in given.items() if value not in ({}, [], None)}


def shift_text(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    return ("-" if minutes < 0 else "+") + (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


# ---- Reading the edits: a runbook's [edit] table, or the command line ----------------------

def edits_from_table(table: Mapping[str, Any], where: str = "[edit]") -> Edits:
    """A runbook's `[edit]` table: `set = {alertMode = 1}`, `replace = {owners = "alice -> bob"}`
    (a string or a list of them), `add_parameters = {env = "prod"}`, `remove_parameters = ["x"]`,
    `schedule = "0 0 3 * * ? *"`, `shift_schedule = "+1h"`."""
    unknown = sorted(set(table) - set(EDIT_KEYS))
    if unknown:
        raise EditError(f"{where} has no key {', '.join(unknown)}; the keys are {', '.join(EDIT_KEYS)}")

    def table_of(key: str) -> Mapping[str, Any]:
        value = table.get(key, {})
        if not isinstance(value, Mapping):
            raise EditError(f"{where} {key} must be a table ({key} = {{ field = value }}), not {value!r}")
        return value

    def strings(key: str, value: Any) -> list[str]:
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise EditError(f"{where} {key}: each value must be a string, not {value!r}")
        return values

    replace = {name: [pair for text in strings(f"replace.{name}", value) for pair in [_pair(text, name)]]
               for name, value in table_of("replace").items()}
    removed = table.get("remove_parameters", [])
    schedule, shift = table.get("schedule"), table.get("shift_schedule")
    for key, value in (("schedule", schedule), ("shift_schedule", shift)):
        if value is not None and not isinstance(value, str):
            raise EditError(f"{where} {key} must be a string, not {value!r}")
    return make_edits(set_values=dict(table_of("set")), replace=replace,
                      add_parameters={str(k): _parameter_value(k, v) for k, v in table_of("add_parameters").items()},
                      remove_parameters=strings("remove_parameters", removed) if removed != [] else [],
                      schedule=schedule, shift=shift)


def edits_from_arguments(sets: list[str], replaces: list[str], added: list[str], removed: list[str],
                         schedule: str | None, shift: str | None) -> Edits:
    """The command line's `--set F=V`, `--replace 'F=OLD->NEW'`, `--add-parameter K=V`,
    `--remove-parameter K`, `--schedule FREQ`, `--shift-schedule +1h`."""
    replace: dict[str, list[tuple[str, str]]] = {}
    for text in replaces:
        name, pair = _assignment(text, "--replace")
        replace.setdefault(name, []).append(_pair(pair, name))
    return make_edits(set_values=_once([_assignment(text, "--set") for text in sets], "--set"), replace=replace,
                      add_parameters=_once([_assignment(text, "--add-parameter") for text in added],
                                           "--add-parameter"),
                      remove_parameters=removed, schedule=schedule, shift=shift)


def _once(pairs: list[tuple[str, str]], option: str) -> dict[str, str]:
    """Each key once: a key given twice with two values is a contradiction, not "the last wins"."""
    found: dict[str, str] = {}
    for key, value in pairs:
        if key in found and found[key] != value:
            raise EditError(f"{option} {key} is given twice ({found[key]!r} and {value!r}): choose one")
        found[key] = value
    return found


def merged(base: Edits, more: Edits) -> Edits:
    """A runbook's edits with the command line's added (a key given in both: the command line's)."""
    replace = {**base.replace, **more.replace}
    return Edits(set={**base.set, **more.set}, replace=replace,
                 add_parameters={**base.add_parameters, **more.add_parameters},
                 remove_parameters=tuple(dict.fromkeys((*base.remove_parameters, *more.remove_parameters))),
                 schedule=more.schedule if more.schedule is not None else base.schedule,
                 schedule_cycle=more.schedule_cycle if more.schedule is not None else base.schedule_cycle,
                 shift_minutes=more.shift_minutes if more.shift_minutes is not None else base.shift_minutes)


def _assignment(text: str, option: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise EditError(f"{option} {text!r}: write FIELD=VALUE")
    return name.strip(), value


def _pair(text: str, name: str) -> tuple[str, str]:
    old, arrow, new = text.partition("->")
    if not arrow or not old.strip() or not new.strip():
        raise EditError(f"replace in {name}: {text!r}: write 'old -> new' (two user names)")
    return old.strip(), new.strip()


def _parameter_value(key: object, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise EditError(f"parameter {key}: a value must be a string or a number, not {value!r}")
    return str(value)


def make_edits(*, set_values: Mapping[str, Any], replace: Mapping[str, list[tuple[str, str]]],
               add_parameters: Mapping[str, str], remove_parameters: list[str], schedule: str | None,
               shift: str | None) -> Edits:
    """Edits, each value checked: a bad one is refused before the service is read."""
    checked = {name: _checked_value(name, value) for name, value in set_values.items()}
    for name, pairs in replace.items():
        olds = [old for old, _ in pairs]
        twice = next((old for old in olds if olds.count(old) > 1 and len({n for o, n in pairs if o == old}) > 1), None)
        if twice is not None:
            raise EditError(f"replace in {name}: {twice} is replaced twice, by "
                            f"{' and by '.join(sorted({n for o, n in pairs if o == twice}))}: choose one")
        bad = next((n for _, n in pairs if _bad_name(n)), None)
        if bad is not None:
            raise EditError(f"replace in {name}: {bad!r} is not one user name (no spaces, commas or semicolons)")
        if name not in LISTS:
            raise EditError(f"replace works in {' and '.join(LISTS)}, not in {name!r}")
        if name in checked:
            raise EditError(f"{name} is both set and replaced in: choose one")
    blank = next((key for key in remove_parameters if not key.strip()), None)
    if blank is not None:  # no parameter has an empty name: it would remove nothing, silently
        raise EditError(f"remove_parameters: {blank!r} names no parameter: give a parameter's name")
    both = set(add_parameters) & set(remove_parameters)
    if both:
        raise EditError(f"parameter {sorted(both)[0]!r} is both added and removed: choose one")
    if schedule is not None and shift is not None:
        raise EditError("schedule and shift_schedule together: choose one")
    freq = cycle = None
    if schedule is not None:
        from migrate.schedule.convert import convert_for_service
        from migrate.schedule.result import Rejected

        converted = convert_for_service(schedule, "service", None, None, None)  # kept as written
        if isinstance(converted, Rejected):
            raise EditError(f"schedule {schedule!r}: {converted.code}: {converted.message}")
        freq, cycle = converted.freq, converted.cycle
    minutes = None
    if shift is not None:
        match = _SHIFT.fullmatch(shift.strip().replace(" ", ""))
        if match is None or not (match.group(2) or match.group(3)):
            raise EditError(f"shift_schedule {shift!r}: write a signed time such as +1h, -30m or +1h30m")
        minutes = (int(match.group(2) or 0) * 60 + int(match.group(3) or 0)) * (-1 if match.group(1) == "-" else 1)
        if minutes % (24 * 60) == 0:
            raise EditError(f"shift_schedule {shift!r}: a shift by whole days moves nothing on the clock; "
                            "change the days with `schedule`")
    return Edits(set=checked, replace={k: tuple(v) for k, v in replace.items()},
                 add_parameters=dict(add_parameters), remove_parameters=tuple(dict.fromkeys(remove_parameters)),
                 schedule=freq, schedule_cycle=cycle, shift_minutes=minutes)


def _checked_value(name: str, value: Any) -> Any:
    if name in _REFUSED_FIELDS:
        raise EditError(f"set {name}: {_REFUSED_FIELDS[name]}")
    if name not in SETTABLE:
        raise EditError(f"set {name}: not a field an edit sets; these are: {', '.join(SETTABLE)}")
    if name in ("alertMode", "type"):
        allowed = range(4) if name == "alertMode" else range(2)
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if isinstance(value, bool) or number not in allowed or str(value).strip() != str(number):
            raise EditError(f"set {name}: {value!r} is not one of {', '.join(map(str, allowed))}")
        return number
    if isinstance(value, list) and name in LISTS:
        value = ";".join(str(v) for v in value)
    if not isinstance(value, str):
        raise EditError(f"set {name}: {value!r} is not text")
    if name == "startTime":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise EditError(f"set startTime: {value!r} is not a date (YYYY-MM-DD)") from None
    if name in LISTS:
        names = _names(value)
        bad = next((n for n in names if _bad_name(n)), None)
        if bad is not None:
            raise EditError(f"set {name}: {bad!r} is not one user name (names are separated by ';')")
        if name == "owners" and not names:
            raise EditError("set owners: a flow needs at least one owner")
        return ";".join(names)
    return value


def _bad_name(name: str) -> bool:
    return any(c.isspace() or c in ",;" for c in name)


# ---- Applying them to one flow ---------------------------------------------------------------

def _names(value: Any) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in str(value or "").split(";") if p.strip()))


def _graph_value(line: Mapping[str, Any], key: str) -> Any:
    graph = line.get("graph") if isinstance(line.get("graph"), dict) else {}
    assert isinstance(graph, dict)
    if key in graph:
        return graph[key]
    return line.get(TOP_LEVEL.get(key, key))


def _put(line: dict[str, Any], key: str, value: Any) -> None:
    """Into the graph (what the snapshot profile saves) and Get Flow's top-level copy."""
    line["graph"][key] = value
    top = TOP_LEVEL.get(key, key)
    if top in line:
        line[top] = f";{value};" if key in LISTS and value else value


def _with_marker(desc: str, old: Any) -> str:
    """A new desc keeps the identity marker the old one held (docs/reconcile.md): without it, the
    next migration run would no longer find the flow as its own."""
    from migrate.mapping.identity import MARKER

    found = MARKER.search(str(old or ""))
    if found is None or MARKER.search(desc):
        return desc
    return f"{desc.rstrip()} {found.group(0).strip()}".strip()


def replaced(names: list[str], pairs: tuple[tuple[str, str], ...]) -> list[str]:
    """Each old name becomes its new one where it stood; a name then listed twice stays once,
    at its first place."""
    swap = dict(pairs)
    return list(dict.fromkeys(swap.get(name, name) for name in names))


def _parameters(value: Any) -> tuple[list[dict[str, Any]], bool]:
    """The parameters as a list, and whether they were a JSON string (written back the same way)."""
    if isinstance(value, str):
        try:
            value_list = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise EditRefused(f"its parameters are not JSON ({value[:60]!r}): left as it is") from None
        return [p for p in value_list if isinstance(p, dict)] if isinstance(value_list, list) else [], True
    return [dict(p) for p in value or [] if isinstance(p, dict)], False


def apply_edits(line: Mapping[str, Any], edits: Edits) -> dict[str, Any]:
    """The flow's line with the edits made (a new dict; the line given is not changed).
    EditRefused when this flow cannot take them."""
    edited = copy.deepcopy(dict(line))
    if not isinstance(edited.get("graph"), dict):
        raise EditRefused("Get Flow gave no graph for it: nothing to edit")
    for key, value in edits.set.items():
        _put(edited, key, _with_marker(value, _graph_value(edited, "desc")) if key == "desc" else value)
    for key, pairs in edits.replace.items():
        before = _names(_graph_value(edited, key))
        after = replaced(before, pairs)
        if after != before:  # never empty: each old name gives way to a new one
            _put(edited, key, ";".join(after))
    if edits.add_parameters or edits.remove_parameters:
        parameters, as_text = _parameters(_graph_value(edited, "parameters"))
        # copies: a value changed in place would change `parameters` too, and the two would compare equal
        kept = [dict(p) for p in parameters if str(p.get("key")) not in edits.remove_parameters]
        for key, value in edits.add_parameters.items():
            at = next((p for p in kept if str(p.get("key")) == key), None)
            if at is None:
                kept.append({"key": key, "value": value})
            else:
                at["value"] = value
        if kept != parameters:
            _put(edited, "parameters", json.dumps(kept, ensure_ascii=False, separators=(",", ":")) if as_text
                 else kept)
    if edits.schedule is not None:
        _put(edited, "freq", edits.schedule)
        _put(edited, "cycle", edits.schedule_cycle)
    if edits.shift_minutes is not None:
        from migrate.schedule.result import Rejected
        from migrate.schedule.timezone import shift_freq

        freq = str(_graph_value(edited, "freq") or "")
        shifted = shift_freq(freq, edits.shift_minutes)
        if isinstance(shifted, Rejected):
            raise EditRefused(shifted.message)  # its code is the edit's, EDIT_REFUSED
        _put(edited, "freq", shifted.freq)
        _put(edited, "cycle", shifted.cycle)
    return edited
