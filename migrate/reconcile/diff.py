"""Desired flows against the live service: one action per flow.

`create` (no live flow is ours: Import then Save), `update` (the fields that differ, live and
wanted side by side), `unchanged`, `invalid` (every error: of the source row, or a live flow the
run could not save into), `orphaned` (a live flow carrying our marker whose source key is gone
from the export: reported, never deleted), and with `--prune disable`, `disable` (an orphan still
active: the Disable action turns it off). Each action on a live flow keeps its fingerprint
(updateTime and a hash of its normalised graph), so that a saved plan can tell when the flow
moved since.

Reads are the run's own (engine/runner.py: the same client, tokens, pacer and retries): one
Get My Flow, then Get Flow for each flow compared, and, when some flow is not found by name
with its marker or markers are on, one read of each other flow the caller can edit (the marker
scan, which also finds orphans). Nothing is written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import orjson

from migrate.mapping.flows import InvalidFlow, ReadyFlow
from migrate.mapping.identity import marker_of, name_key
from migrate.reconcile.compare import changed_fields, graph_fingerprint, remote_graph, shown_changes
from migrate.reconcile.live import (
    LiveFlows,
    Match,
    ReadFailed,
    Refusal,
    answered_code,
    live_active,
    live_marker,
)
from migrate.reconcile.targets import RebindError, aimed_at_live_tasks, rebind
from migrate.service.answers import INVALID_PARAMETER, NO_PRIVILEGE

ACTIONS = ("create", "update", "unchanged", "invalid", "orphaned", "disable")
ORPHANED = "carries this source's marker, but its key is no longer in the export"


@dataclass
class Action:
    action: str
    source_key: str
    name: str
    rows: list[int] = field(default_factory=list)
    flow_id: str = ""  # the live flow's (empty for a create)
    freq: str = ""
    cycle: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)  # {field, live, wanted}
    errors: list[dict[str, Any]] = field(default_factory=list)  # {field?, code?, message}
    warnings: list[dict[str, str]] = field(default_factory=list)
    fingerprint: dict[str, str] | None = None  # {updateTime, graph_sha256} of the live flow read
    payload_sha256: str = ""
    renamed_from: str = ""
    proof: dict[str, Any] | None = None  # whether the saved freq fires when the source did (schedule/proof.py)

    def as_json(self) -> dict[str, Any]:
        try:  # asdict's deep copy, made directly for the values an action holds (100,000 invalid flows: 4 s)
            copied = [(name, value if type(value) in _SCALARS else _copied(value))
                      for name in _ACTION_FIELDS for value in (getattr(self, name),)]
        except _NotPlain:
            copied = list(asdict(self).items())
        return {k: v for k, v in copied if v not in ("", [], None)}


_ACTION_FIELDS = tuple(f.name for f in fields(Action))


_SCALARS = frozenset({str, int, float, bool, type(None)})  # asdict's deepcopy gives each back itself


class _NotPlain(Exception):
    """A value `_copied` leaves to `dataclasses.asdict`."""


def _copied(value: Any) -> Any:
    """What `dataclasses.asdict` makes of a value that is text, a number, None, or a list or dict
    of such values (a copy of each list and dict, the same scalars); _NotPlain for anything else."""
    kind = type(value)
    if kind is list:
        return [item if type(item) in _SCALARS else _copied(item) for item in value]
    if kind is dict:
        return {key if type(key) in _SCALARS else _copied(key): item if type(item) in _SCALARS else _copied(item)
                for key, item in value.items()}
    if kind in _SCALARS:
        return value
    raise _NotPlain


def sent_facts(body: bytes, changed: list[str] | None, with_payload: bool) -> dict[str, Any]:
    """What a result line says of the body: the converted freq and cycle, the fields a comparison
    found different (when one was made), and with `[run] log_payload` the whole body (the result
    log redacts secrets in it as in every line)."""
    if not with_payload:  # freq and cycle are text: orjson reads them as json does, three times faster
        try:
            wire = orjson.loads(body)
        except orjson.JSONDecodeError:  # an integer beyond 64 bits, a lone surrogate: json's to read
            wire = json.loads(body)
    else:  # the whole body is logged: read exactly as json reads it
        wire = json.loads(body)
    facts: dict[str, Any] = {"freq": wire.get("freq"), "cycle": wire.get("cycle")}
    if changed is not None:
        facts["changed"] = changed
    if with_payload:
        facts["payload"] = wire
    return facts


def invalid_action(flow: InvalidFlow) -> Action:
    return Action("invalid", flow.source_key, flow.name, flow.rows, flow.flow_id,
                  errors=[e.model_dump(exclude_none=True) for e in flow.errors], warnings=list(flow.warnings),
                  proof=flow.proof)


def fingerprint(live: dict[str, Any]) -> dict[str, str]:
    return {"updateTime": str(live.get("updateTime", "")), "graph_sha256": graph_fingerprint(remote_graph(live))}


def _base(flow: ReadyFlow, wire: dict[str, Any]) -> Action:
    return Action("create", flow.source_key, flow.name, flow.rows, "" if flow.needs_id else flow.flow_id,
                  freq=str(wire.get("freq", "")), cycle=str(wire.get("cycle", "")), warnings=list(flow.warnings),
                  payload_sha256=flow.sha256, proof=flow.proof)


def create_action(flow: ReadyFlow) -> Action:
    """A flow to create, with nothing read: a runbook's restored flow the service no longer has."""
    return _base(flow, json.loads(flow.body))


def _refused(action: Action, code: str, message: str) -> Action:
    action.action = "invalid"
    action.errors.append({"code": code, "message": f"{code}: {message}"})
    return action


async def flow_action(flow: ReadyFlow, live: LiveFlows, create_missing: bool) -> Action:
    """What a run would do with this flow, read but not written."""
    wire = json.loads(flow.body)
    action = _base(flow, wire)
    mark = marker_of(wire.get("desc"))
    try:
        if flow.needs_id:
            found = await live.find(flow.name, mark[1] if mark is not None else None,
                                    flow.source_key if create_missing else None)
            if isinstance(found, Refusal):
                action.flow_id = found.flow_id
                return _refused(action, found.code, found.message)
            if found is None:
                if not create_missing:
                    return _refused(action, "NOT_FOUND", f"no flow named {flow.name!r}; set run.create_missing = "
                                                         "true to create it")
                return action  # create
            match: Match = found
            action.flow_id = match.flow_id  # named by a refusal below (TASKS_DIFFER) too
            wanted = rebind(wire, match.flow_id, remote_graph(match.live), proven=match.how != "name")
        else:
            try:
                match = Match(flow.flow_id, await live.read(flow.flow_id), "id")
            except ReadFailed as failed:
                if answered_code(failed) != INVALID_PARAMETER:
                    raise
                # Not there: the run creates it with its id (Import asks for it), as `run` does.
                if create_missing:
                    held = live.name_held_for_create(flow.name, flow.flow_id)
                    return _refused(action, held.code, held.message) if held is not None else action  # create
                return _refused(action, "NOT_FOUND", f"flow {flow.flow_id} is not in the service; set "
                                                     "run.create_missing = true to create it")
            twins = await live.twins_of(mark[1], [flow.flow_id], flow.flow_id) if mark is not None else None
            if isinstance(twins, Refusal):
                return _refused(action, twins.code, twins.message)
            wanted = aimed_at_live_tasks(wire, match.flow_id, remote_graph(match.live))  # docs/reconcile.md
            theirs = live_marker(match.live)
            if mark is not None and theirs is not None and theirs != mark:
                # Given by id, so saved into, but another source (or key) migrated it: each run of
                # either would put its own back.
                action.warnings.append({"code": "ANOTHER_SOURCES_FLOW", "message": (
                    f"flow {flow.flow_id} carries the identity marker of another source or key "
                    f"([migrate:{theirs[0]}/{theirs[1]}]): saving replaces that one's flow with this one, and a run "
                    "of the other would put it back; give one of them another id")})
    except ReadFailed as failed:
        return _refused(action, "NOT_READABLE", f"flow {flow.flow_id or flow.name!r} could not be read: "
                                                f"{getattr(failed.failure, 'msg', '') or failed}")
    except RebindError as error:
        return _refused(action, "TASKS_DIFFER", str(error))
    action.flow_id = match.flow_id
    action.fingerprint = fingerprint(match.live)
    if match.how == "renamed":
        action.renamed_from = str(match.live.get("flowName", ""))
    changes = changed_fields(wanted, remote_graph(match.live))
    action.changes = shown_changes(changes)
    action.action = "update" if changes else "unchanged"
    if changes and (refusal := _save_refused(match.flow_id, match.live)):
        return _refused(action, *refusal)
    if flow.commands and live.export is not None and (differs := await _bodies_differ(action, flow, wire, wanted,
                                                                                   live.export)):
        return _refused(action, TASK_BODY_DIFFERS, differs)
    return action


def _save_refused(flow_id: str, live: dict[str, Any]) -> tuple[str, str] | None:
    """Why the service will refuse a save into this flow, from its Get Flow answer (reference §4:
    `hasEditPri` false or `locked` true predicts 62103): the plan says so, where it said `update`
    and the run then failed the flow."""
    if live.get("hasEditPri") is False:
        owners = remote_graph(live).get("owners")
        return ("NO_PRIVILEGE", f"flow {flow_id} is not yours to save: the calling user is not among its owners"
                                f"{f' {owners}' if owners else ''} (the service refuses it, 62103); have an owner "
                                "add you in the service, or leave the flow out")
    if live.get("locked") is True:
        return ("NO_PRIVILEGE", f"flow {flow_id} is locked in the service (a save is refused, 62103); unlock it there "
                                "first")
    return None


async def _bodies_differ(action: Action, flow: ReadyFlow, wire: dict[str, Any], wanted: dict[str, Any],
                         export: Callable[[str], Awaitable[dict[str, Any]]]) -> str:
    """The source's task bodies against the live flow's (Export Flow): Save only references tasks,
    so a command changed in the export never reaches a flow that exists. Unread: nothing said."""
    try:
        exported = await export(action.flow_id)
    except ReadFailed:
        return ""
    return body_differs(flow, wire, wanted, exported)


# A flow whose tasks run other commands than the export's: invalid, in the plan and in a run that reads
# them, never `unchanged` or `saved` (it would run what the source no longer says: a step removed
# from a Rundeck job shifts every later step's command into the task before it).
TASK_BODY_DIFFERS = "TASK_BODY_DIFFERS"


def body_differs(flow: ReadyFlow, wire: dict[str, Any], wanted: dict[str, Any], exported: dict[str, Any]) -> str:
    """Why, when a task's command in the source (`wire`, our task ids) is not the live task's
    (Export Flow's `exported`, by the name `wanted` aims each task at); else empty."""
    live_bodies = {str(task.get("name")): task.get("cmd") for task in exported.get("tasks") or []
                   if isinstance(task, dict)}
    differ = [ours["taskName"] if mine["taskName"] == ours["taskName"]
              else f"{ours['taskName']} (live {mine['taskName']})"
              for ours, mine in zip(wire["tasks"], wanted["tasks"], strict=True)
              if (command := flow.commands.get(str(ours["taskId"]))) is not None
              and mine["taskName"] in live_bodies and not _same_command(live_bodies[mine["taskName"]], command)]
    if not differ:
        return ""
    return (f"the export's command of tasks {differ} differs from the live task's: Save only references tasks, so "
            "no save can change it, and the flow would run the old one; nothing is saved. Change it in the service, "
            "or delete the flow (`migrate delete … --id`; a flow others depend on is refused, 62104: change those "
            "first) and let the run create it anew (Import) with the export's (`[run] create_missing = true`; flows "
            "that named it by id, through `flow_ids`, then name its new id)")


def _same_command(live: Any, command: str) -> bool:
    """Blanks before and after a command line change nothing a shell runs; any other byte may."""
    return isinstance(live, str) and live.strip() == command.strip()


def orphan_marker(scope: str, digest: str) -> str:
    """An orphan's source key in a plan and a result line: its key is gone, its marker is what is left."""
    return f"[migrate:{scope}/{digest}]"


def orphan_action(scope: str, digest: str, flow_id: str, name: str, live: dict[str, Any] | None,
                  prune: str | None) -> Action:
    """An orphan (a live flow of ours whose key is gone from the export): `orphaned`, reported;
    with `--prune disable` (`live` read), `disable` while it is active, with its fingerprint."""
    action = Action("orphaned", orphan_marker(scope, digest), name, flow_id=flow_id)
    if prune is None or live is None:
        action.errors.append({"message": f"{ORPHANED}: reported, never deleted"})
        return action
    active = live_active(live)
    action.fingerprint = fingerprint(live)
    if active != 1:
        state = "already inactive" if active == 0 else f"not active (active {live.get('active')!r})"
        action.errors.append({"message": f"{ORPHANED}: {state}, nothing to disable"})
        return action
    action.action = "disable"
    action.changes = [{"field": "active", "live": 1, "wanted": 0}]
    action.errors.append({"message": f"{ORPHANED}: --prune disable disables it (never deletes it)"})
    return action


async def live_actions(live: LiveFlows, ready: list[ReadyFlow], wanted: set[str], create_missing: bool,
                       concurrency: int, prune: str | None = None) -> list[Action]:
    """Each flow's action; then, with our markers on (`live.scopes`), the orphans: live flows marked
    by this source whose digest is not `wanted` (the marker digests of every flow of the export)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(flow: ReadyFlow) -> Action:
        async with gate:
            return await flow_action(flow, live, create_missing)

    if live.scopes:
        await live.markers()  # the scan the orphans need anyway, first: twins are found wherever they are
    actions = list(await asyncio.gather(*(one(flow) for flow in ready)))
    await _check_upstream_flows(live, ready, actions, gate)
    if live.scopes:
        orphans = await live.orphans(wanted)  # ReadFailed: the plan cannot say what is ours
        # A flow this plan saves (by its id) is no orphan, whatever marker it carries now (one made
        # by name, now mapped by id: its marker is rewritten by the save).
        saved = {action.flow_id for action in actions if action.flow_id}
        # Read already by the scan that found them: --prune costs no read of its own.
        actions += [orphan_action(scope, digest, flow_id, name, await live.read(flow_id) if prune else None, prune)
                    for flow_id, name, scope, digest in orphans if flow_id not in saved]
    return actions


# What Get Flow answers for an upstream flow the save would be refused over (the service answers
# the save with the same code: 62103 for a flow of another organisation, 62102 for one not there).
UPSTREAM_REFUSALS = {
    NO_PRIVILEGE: ("UPSTREAM_NOT_VISIBLE", "which the caller cannot read (62103, no privilege: another "
                                           "organisation's?); the service refuses a save that waits on it"),
    INVALID_PARAMETER: ("UPSTREAM_MISSING", "which the service does not have (62102); the service refuses a "
                                            "save that waits on it"),
}


# A flow node whose flowName is a flow of this plan, under another id: it waits on another flow
# than the source's, for sure (a wrong id in `flow_ids`). Refused, in the plan: nothing else says it.
UPSTREAM_ID_DIFFERS = "UPSTREAM_ID_DIFFERS"
# A flow node whose id the service (or this plan) names otherwise: said, the plan goes on.
UPSTREAM_NAME_DIFFERS = "UPSTREAM_NAME_DIFFERS"


async def _check_upstream_flows(live: LiveFlows, ready: list[ReadyFlow], actions: list[Action],
                                gate: asyncio.Semaphore) -> None:
    """Each flow node of a flow to save, or left as it is, against the flow it names. Its
    `flowName` the name of a flow of this plan under another id (or one this plan creates): the
    node names the wrong flow (a wrong id in the profile's `flow_ids`), which no run would ever
    tell, so the waiting flow is refused (UPSTREAM_ID_DIFFERS). Else, the service (or this plan)
    naming its id otherwise than `flowName`: said (UPSTREAM_NAME_DIFFERS), not refused, as a name
    template or a rename in the service makes names differ rightly. A node of a flow to save which
    neither this plan makes nor the caller's listing holds is read once: one the service answers
    62103 or 62102 for makes the save fail there, so it is refused here (its code, the flow
    named). Other failures to read it are not refusals (the run will see)."""
    planned = {flow.flow_id for flow in ready if flow.flow_id}
    checked = [(flow, action, action.action) for flow, action in zip(ready, actions, strict=True)
               if action.action in ("create", "update", "unchanged")]
    # The flows this plan makes or keeps, by name (as the eye reads it): their ids ("" where the
    # run creates it and the service gives the id) and the names it gives each id.
    ids_by_name: dict[str, set[str]] = {}
    names_by_id: dict[str, str] = {}
    for flow, action, _ in checked:
        ids_by_name.setdefault(name_key(flow.name), set()).add(action.flow_id)
        if action.flow_id:
            names_by_id[action.flow_id] = flow.name
    waiting: dict[str, list[Action]] = {}  # unlisted upstream -> the flows to save that wait on it
    unread: dict[str, list[tuple[Action, str]]] = {}  # unlisted upstream -> (waiting flow, the name it gives)
    for flow, action, kind in checked:
        for node in json.loads(flow.body).get("flows") or []:
            upstream = str(node.get("flowId") or "")
            if not upstream:
                continue
            # No name in the source: the mapping names the node by its id, which says nothing; a
            # virtual node (a snapshot's task link) is named after a task of the flow, `taskId(taskName)`.
            named = str(node.get("flowName") or "")
            named = "" if named == upstream or bool(node.get("isVirtual")) else named
            ours = ids_by_name.get(name_key(named)) if named else None
            if ours is not None and upstream not in ours:
                _refused(action, UPSTREAM_ID_DIFFERS,
                         _id_differs(upstream, named, ours, names_by_id.get(upstream) or live.names.get(upstream)))
                continue
            said = names_by_id.get(upstream) or live.names.get(upstream)
            if said is not None:
                if named and ours is None and name_key(said) != name_key(named):
                    action.warnings.append(_name_differs(upstream, named, said, upstream in names_by_id))
            elif upstream not in planned:
                unread.setdefault(upstream, []).append((action, named))
                if kind in ("create", "update"):
                    waiting.setdefault(upstream, []).append(action)

    async def check(upstream: str) -> None:
        async with gate:
            try:
                found = await live.read(upstream)
            except ReadFailed as failed:
                answered = answered_code(failed)
                refusal = UPSTREAM_REFUSALS.get(answered) if isinstance(answered, int) else None
                if refusal is not None:
                    for action in waiting[upstream]:
                        _refused(action, refusal[0], f"it waits on flow {upstream}, {refusal[1]}")
                return
        said = str(found.get("flowName") or remote_graph(found).get("name") or "")
        for action, named in unread[upstream]:
            if named and said and name_key(said) != name_key(named):
                action.warnings.append(_name_differs(upstream, named, said, False))

    await asyncio.gather(*(check(upstream) for upstream in waiting))


def _id_differs(upstream: str, named: str, ours: set[str], held: str | None) -> str:
    """Why a flow node names the wrong flow: `ours`, the ids this plan gives the flows of its name
    ("" for one it creates, whose id the service gives)."""
    ids = sorted((flow_id for flow_id in ours if flow_id), key=lambda flow_id: (len(flow_id), flow_id))
    which = [f"flow{'s' if len(ids) > 1 else ''} {', '.join(ids)} of this plan"] if ids else []
    if "" in ours:
        which.append("created by this run")
    other = f" ({held!r})" if held is not None else ""
    then = "" if ids else " (give its id once the run has made it)"
    return (f"it waits on flow {upstream} for {named}, but {named} is {' and '.join(which)}: it would wait on "
            f"another flow{other}; correct the profile's flow_ids{then}")


def _name_differs(upstream: str, named: str, said: str, by_plan: bool) -> dict[str, str]:
    return {"code": UPSTREAM_NAME_DIFFERS, "message": (
        f"it waits on flow {upstream} for {named}, but {'this plan' if by_plan else 'the service'} names flow "
        f"{upstream} {said!r}: if that is not the flow meant, correct the profile's flow_ids (a [mapping.fields] "
        "name template, or a rename in the service, can make the names differ rightly)")}
