"""`migrate run --plan PLAN`: apply exactly a saved plan (`plan --out PLAN`) and nothing else.

A flow is sent only when the plan says `create` or `update` for its source key, its payload is
the one planned (same hash), and the live service is as the plan saw it: for an update, the live
flow's fingerprint (updateTime and the hash of its graph) is unchanged; for a create, still no
live flow is ours. Otherwise the flow is not touched and gets a `stale` line saying why; a flow
the plan did not mean to change is not touched and gets no line (the run counts them). A live
state that cannot be read is no sign that the flow moved: the check raises ReadFailed, and the
run records the flow `failed` with the read's answer. A flow to update that moved *to the planned
payload* is not stale either (AS_PLANNED): a try of this run whose answer was lost landed, or
someone made it so; nothing is left to send.

A plan made with `--prune disable` also holds `disable` actions (orphans still active): applied
after the flows, each only if the live flow's fingerprint is still the planned one (else `stale`);
one found inactive already is left as it is (`orphaned`). A plan made without `--prune` has none.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.config import ConfigError
from migrate.mapping.flows import ReadyFlow
from migrate.mapping.identity import marker_of
from migrate.private_files import written_whole
from migrate.reconcile.compare import changed_fields, remote_graph
from migrate.reconcile.diff import fingerprint
from migrate.reconcile.live import LiveFlows, Match, ReadFailed, ReadFlow, live_active
from migrate.reconcile.targets import RebindError, rebind

if TYPE_CHECKING:  # a plan is written by the verbs that make one, which hold it
    from migrate.engine.inventory import PlanResult

PLAN_FORMAT = 1
CHANGES = ("create", "update")  # the actions on a flow of the source that a run applies
DISABLE = "disable"  # the action on an orphan (plan --prune disable) that a run applies
OUTSIDE_PLAN = "outside the plan"  # the verdict for a flow the plan does not change
AS_PLANNED = "as planned"  # the verdict for a flow to update that moved, to the planned payload


def write_plan(path: Path, config: Path, plan: PlanResult) -> None:
    """The plan as a file `run --plan` can apply: written whole, its owner's alone (it holds each
    flow's payload, parameters and all), with the config it was made from and when."""
    head = {"format": PLAN_FORMAT, "config": str(config.resolve()), "made": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    with written_whole(path) as partial, partial.open("w", encoding="utf-8") as out:
        plan.write_json(out, head)


@dataclass(frozen=True)
class Planned:
    action: str
    flow_id: str
    payload_sha256: str
    fingerprint: dict[str, str] | None


@dataclass(frozen=True)
class PlannedDisable:
    """An orphan the plan disables: its marker (its source key in the plan), flow and fingerprint."""

    source_key: str
    flow_id: str
    name: str
    fingerprint: dict[str, str] | None


@dataclass(frozen=True)
class DisableVerdict:
    """What to do with a planned disable: `disable`, or leave it `stale` or `orphaned` (inactive
    already), saying why; `live` is the flow as read for the check."""

    status: str
    message: str = ""
    live: dict[str, Any] | None = None
    failure: Any = None  # a `failed` check: what the read knows of why (the runner's Exchange)


class SavedPlan:
    def __init__(self, path: Path, planned: dict[str, Planned], disables: list[PlannedDisable] | None = None,
                 refused: dict[str, tuple[str, str, str]] | None = None) -> None:
        self.path = path
        self.planned = planned
        self.disables = disables or []
        # Source key -> (the payload's hash, why the plan found the flow invalid against the live
        # service: NOT_FOUND, DUPLICATE_MARKER …): not touched, but said, as the plan said it.
        self.refused = refused or {}

    @classmethod
    def load(cls, path: Path) -> SavedPlan:
        """The plan file, checked: a file that is not one stops the run before anything is sent."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such plan file (write one with migrate plan CONFIG --out {path})") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise ConfigError(f"{path}: not a plan file: {error}") from None
        if not isinstance(document, dict) or document.get("format") != PLAN_FORMAT \
                or not isinstance(document.get("actions"), list) or document.get("offline"):
            raise ConfigError(f"{path}: not a plan made against the live service by migrate plan --out "
                              f"(format {PLAN_FORMAT})")
        planned: dict[str, Planned] = {}
        disables: list[PlannedDisable] = []
        refused: dict[str, tuple[str, str, str]] = {}  # source key -> payload sha, why, the flow's id
        for action in document["actions"]:
            if not isinstance(action, dict) or "source_key" not in action:
                continue
            seen = action.get("fingerprint") if isinstance(action.get("fingerprint"), dict) else None
            if action.get("action") in CHANGES:
                planned[str(action["source_key"])] = Planned(
                    str(action["action"]), str(action.get("flow_id", "")), str(action.get("payload_sha256", "")),
                    seen)
            elif action.get("action") == DISABLE and action.get("flow_id"):
                disables.append(PlannedDisable(str(action["source_key"]), str(action["flow_id"]),
                                               str(action.get("name", "")), seen))
            elif action.get("action") == "invalid" and isinstance(action.get("errors"), list) and action["errors"]:
                first = action["errors"][0]
                refused[str(action["source_key"])] = (str(action.get("payload_sha256", "")), str(
                    first.get("message", "") if isinstance(first, dict) else first), str(action.get("flow_id") or ""))
        return cls(path, planned, disables, refused)

    @staticmethod
    async def disable_verdict(planned: PlannedDisable, read: ReadFlow) -> DisableVerdict:
        """One Get Flow: disable it only if it is as the plan saw it. Disabling is idempotent, so
        a flow inactive already (a resumed run did it, or someone by hand) is simply left so."""
        try:
            live = await read(planned.flow_id)
        except ReadFailed as failed:
            return DisableVerdict("failed", "the live flow could not be read to check the plan "
                                            f"({getattr(failed.failure, 'msg', '')}); not disabled",
                                  failure=failed.failure)
        if live_active(live) == 0:
            return DisableVerdict("orphaned", "orphaned: already inactive, nothing to disable", live)
        now = fingerprint(live)
        if now != planned.fingerprint:
            was = (planned.fingerprint or {}).get("updateTime", "")
            return DisableVerdict("stale", f"stale: flow {planned.flow_id} changed since the plan was made "
                                           f"(updateTime {was} -> {now['updateTime']}); not disabled, plan again", live)
        return DisableVerdict("disable", live=live)

    async def verdict(self, flow: ReadyFlow, read: ReadFlow, live_flows: Callable[[], Awaitable[LiveFlows | Any]],
                      own_import: bool = False) -> str | None:
        """None: apply it; OUTSIDE_PLAN: the plan does not change it; AS_PLANNED: it moved since
        the plan, to the planned payload (nothing to send); else why it is stale.
        ReadFailed: the live state could not be read to tell. `own_import`: this run (resumed)
        had an Import in flight for the flow, so a flow there now may be the one it made: the
        create goes on, and looks for that flow before it imports anything."""
        planned = self.planned.get(flow.source_key)
        if planned is None:
            return OUTSIDE_PLAN
        if flow.sha256 != planned.payload_sha256:
            return "stale: the export changed since the plan was made (another payload); plan again"
        if planned.action == "update":
            try:
                current = await read(planned.flow_id)
            except ReadFailed as failed:
                raise ReadFailed(failed.failure, "the live flow could not be read to check the plan") from None
            now = fingerprint(current)
            if now != planned.fingerprint and _is_payload(flow, planned.flow_id, current):
                return AS_PLANNED
            if now != planned.fingerprint:
                was = (planned.fingerprint or {}).get("updateTime", "")
                return (f"stale: flow {planned.flow_id} changed since the plan was made (updateTime {was} -> "
                        f"{now['updateTime']}); not touched, plan again")
            return await _name_still_free(flow, planned.flow_id, current, live_flows)
        if own_import:
            return None
        if not flow.needs_id:  # a flow with its own id (a snapshot's): is that id free still?
            return await _id_still_free(flow.flow_id, read)
        live = await live_flows()
        if not isinstance(live, LiveFlows):
            raise ReadFailed(live, "the live flows could not be listed to check the planned create")
        mark = marker_of(json.loads(flow.body).get("desc"))
        found = await live.find(flow.name, mark[1] if mark is not None else None)
        if found is not None:
            return "stale: the plan creates this flow, but a live flow is there now; not touched, plan again"
        return None


async def _name_still_free(flow: ReadyFlow, flow_id: str, current: dict[str, Any],
                           live_flows: Callable[[], Awaitable[LiveFlows | Any]]) -> str | None:
    """A planned rename: stale when another flow took the new name since the plan (two flows of one
    name make every later lookup by name ambiguous). The listing is read once a run, and only for
    a rename."""
    if str(remote_graph(current).get("name", "")) == flow.name:
        return None
    live = await live_flows()
    if not isinstance(live, LiveFlows):
        raise ReadFailed(live, "the live flows could not be listed to check the planned rename")
    mark = marker_of(json.loads(flow.body).get("desc"))
    held = live.name_held(flow.name, mark[1] if mark is not None else "", Match(flow_id, current, "renamed"))
    return None if held is None else f"stale: {held.code}: {held.message}"


def _is_payload(flow: ReadyFlow, flow_id: str, live: dict[str, Any]) -> bool:
    """Whether the live flow is the flow's payload (aimed at it, as the run would save it)."""
    graph = remote_graph(live)
    wire = json.loads(flow.body)
    try:
        wanted = rebind(wire, flow_id, graph) if flow.needs_id else wire
    except RebindError:
        return False  # its tasks are not ours any more: not the payload
    return not changed_fields(wanted, graph)


async def _id_still_free(flow_id: str, read: ReadFlow) -> str | None:
    """A planned create of a flow with its own id: one Get Flow, not a scan of every live flow.
    "Not a flow" (62102) is the id still free; a flow there is stale; no clear answer, ReadFailed."""
    from migrate.service.answers import INVALID_PARAMETER

    try:
        await read(flow_id)
    except ReadFailed as failed:
        answer = getattr(failed.failure, "answer", None)
        if answer is not None and answer.code == INVALID_PARAMETER:
            return None
        raise ReadFailed(failed.failure, f"whether flow {flow_id} exists could not be read") from None
    return f"stale: the plan creates flow {flow_id}, but a flow with that id is there now; not touched, plan again"
