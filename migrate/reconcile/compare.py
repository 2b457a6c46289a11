"""Is the live flow already what we would save? Both sides normalised the way the service
varies them (enos-batch-api.md §4): `graph` as a string or an object, `parameters` as a JSON
string, owners and visitors as `;`-wrapped lists, ids as numbers or strings, floats."""

from __future__ import annotations

import hashlib
import json
from typing import Any

SCALARS = ("type", "name", "freq", "cycle", "alertMode", "doAs", "startTime", "active", "desc", "queue")
FLOAT_DIGITS = 9


def remote_graph(flow: Any) -> dict[str, Any]:
    """The save-shaped graph of a Get Flow answer's `data`."""
    if not isinstance(flow, dict):
        return {}
    graph = flow.get("graph")
    if isinstance(graph, str):
        try:
            graph = json.loads(graph)
        except (json.JSONDecodeError, RecursionError):  # a service answer nested past any sense
            graph = None
    return graph if isinstance(graph, dict) else {}


def _names(value: Any) -> frozenset[str]:
    return frozenset(p.strip() for p in str(value or "").split(";") if p.strip())


def _parameters(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except (json.JSONDecodeError, RecursionError):
            return [("<unparsable>", value)]
    if not isinstance(value, list):
        return []
    return sorted((str(p.get("key")), str(p.get("value"))) for p in value if isinstance(p, dict))


def _number(value: Any) -> float | None:
    try:
        return round(float(value), FLOAT_DIGITS)
    except (TypeError, ValueError):
        return None


def _nodes(items: Any, id_key: str, name_keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
    if not isinstance(items, list):
        return []
    found = []
    for item in items:
        if isinstance(item, dict):
            name = next((item[k] for k in name_keys if k in item), None)
            found.append((str(item.get(id_key)), str(item.get("nodeId")), name,
                          _number(item.get("x")), _number(item.get("y")), bool(item.get("isVirtual", False))))
    return sorted(found)


def normalise(graph: dict[str, Any]) -> dict[str, Any]:
    normal: dict[str, Any] = {key: graph.get(key) for key in SCALARS}
    normal["owners"], normal["visitors"] = _names(graph.get("owners")), _names(graph.get("visitors"))
    normal["parameters"] = _parameters(graph.get("parameters"))
    normal["tasks"] = _nodes(graph.get("tasks"), "taskId", ("taskName",))
    normal["flows"] = _nodes(graph.get("flows"), "flowId", ("flowName", "flow_name"))
    normal["relations"] = sorted(
        (str(r.get("source")), str(r.get("target")), str(r.get("cycleGap")), bool(r.get("rerun")))
        for r in graph.get("relations") or [] if isinstance(r, dict)
    )
    return normal


def changed_fields(wanted: dict[str, Any], live: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, live value, wanted value) of each field that differs, normalised (owners as sorted
    sets, parameters as sorted pairs, tasks and relations as sorted tuples)."""
    ours, theirs = normalise(wanted), normalise(live)
    return [(key, _plain(theirs[key]), _plain(ours[key])) for key in ours if ours[key] != theirs[key]]


SECRET_NOT_SHOWN = "[not shown: looks like a secret]"
SECRET_CHANGED = "[not shown: looks like a secret; changed]"


def shown_changes(changes: list[tuple[str, Any, Any]]) -> list[dict[str, Any]]:
    """changed_fields as a plan, a result line or a message shows them: a parameter that looks
    like it holds a secret (by its name, or a password in a URL: the profiles' SECRET_PARAMETER
    rule) keeps its key, its value withheld (said changed where it is), so that a review on a
    screen or in a CI log shows which parameter changes without the secret itself (it is sent,
    and saved in the flow)."""
    shown = []
    for name, old, new in changes:
        if name == "parameters" and isinstance(old, list) and isinstance(new, list):
            was = {str(key): value for key, value in old}
            old, new = _withheld(old, {}), _withheld(new, was)
        elif name == "desc":  # a crontab's line quoted in it, saved by a version that did not withhold it
            old, new = _without_command_secrets(old), _without_command_secrets(new)
        shown.append({"field": name, "live": old, "wanted": new})
    return shown


def _without_command_secrets(text: Any) -> Any:
    """A description with the secrets a command line in it holds (PGPASSWORD=…, mysql -p…) withheld."""
    if not isinstance(text, str):
        return text
    from migrate.sources.profiles import command_secrets, withholding

    return withholding(secret for _, secret in command_secrets(text))(text)


def _withheld(pairs: list[Any], was: dict[str, Any]) -> list[list[Any]]:
    """Each [key, value] with a secret's value withheld; `was` the live pairs, against which a
    wanted secret that differs is said changed."""
    from migrate.sources.profiles import SECRET_NAME  # the one rule every profile names secrets by

    def shown(key: Any, value: Any) -> Any:
        if not SECRET_NAME.held(str(key), str(value)):
            return value
        return SECRET_CHANGED if was and str(key) in was and was[str(key)] != value else SECRET_NOT_SHOWN

    return [[key, shown(key, value)] for key, value in pairs]


def differences(wanted: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """The fields that differ, as `field: live -> wanted` (secrets withheld); empty when nothing
    needs saving."""
    return [f"{change['field']}: {_short(change['live'])} -> {_short(change['wanted'])}"
            for change in shown_changes(changed_fields(wanted, live))]


def graph_fingerprint(graph: dict[str, Any]) -> str:
    """A hash of the live flow's normalised graph: a plan made against it is stale once it moves."""
    text = json.dumps({k: _plain(v) for k, v in normalise(graph).items()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    """A normalised value as JSON has it: sets sorted, tuples as lists."""
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, list):
        return [list(item) if isinstance(item, tuple) else item for item in value]
    return value


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
