"""The live flows a source maps to, found the economical way: one listing (Get My Flow: every
flow the caller owns or may see, with names and whether it may edit them), then Get Flow only
for a flow that must be compared or whose marker must be seen.

A flow given by name is found by its name and confirmed by its identity marker (its `desc`,
mapping/identity.py): a live flow of that name carrying another key's marker is not ours and is
never overwritten. When no flow of that name is ours, every flow the caller can edit is read
once (the marker scan, at most once per run or plan) to find one carrying our marker under
another name: that flow is ours, renamed, and is updated rather than duplicated (unless another
flow holds the new name: NAME_TAKEN, never two flows of one name). Only when
nothing carries the marker is an unmarked flow of that name adopted (a flow made by hand, or
before markers existed), and only when it is the one such flow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from migrate.mapping.identity import ROW_KEY, marker_of, name_key
from migrate.reconcile.compare import remote_graph
from migrate.service.answers import INVALID_PARAMETER, NO_PRIVILEGE

SCAN_CONCURRENCY = 16  # reads of the marker scan in flight at once (the pacer sets their rate)


@dataclass(frozen=True)
class Listed:
    """One flow of Get My Flow's answer."""

    flow_id: str
    name: str
    editable: bool


def listed_flows(data: Any) -> list[Listed]:
    return [Listed(str(item.get("flowId")), str(item["flowName"]), bool(item.get("editable")))
            for item in (data if isinstance(data, list) else []) if isinstance(item, dict) and "flowName" in item]


class ReadFailed(Exception):
    """Get Flow did not answer with the flow; `failure` is what the reader knows of why."""

    def __init__(self, failure: Any, message: str = "") -> None:
        super().__init__(message or "the live flow could not be read")
        self.failure = failure


# Get Flow's `data` for a flow id, or ReadFailed: paced and retried by whoever supplies it.
ReadFlow = Callable[[str], Awaitable[dict[str, Any]]]
# (source key, name) -> the flows earlier runs left a job in, newest first, each with which run
# (results/history.py).
MadeBefore = Callable[[str, str], "list[tuple[str, str]]"]


def answered_code(failed: ReadFailed) -> Any:
    """The service's code in a read's answer (None: no answer, or a read that never left)."""
    return getattr(getattr(failed.failure, "answer", None), "code", None)


@dataclass(frozen=True)
class Match:
    flow_id: str
    live: dict[str, Any]  # Get Flow's data
    how: str  # "marker": name and marker; "renamed": marker under another name; "name": unmarked, adopted


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    flow_id: str = ""  # the live flow that is this job's, where one is (MADE_BEFORE, a rename's NAME_TAKEN)


def live_marker(live: dict[str, Any]) -> tuple[str, str] | None:
    desc = live.get("desc")
    return marker_of(desc if isinstance(desc, str) else remote_graph(live).get("desc"))


def live_active(live: dict[str, Any]) -> int | None:
    """Get Flow's `active` (1: scheduled, 0: disabled), None when it says neither."""
    value = live["active"] if "active" in live else remote_graph(live).get("active")
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


class LiveFlows:
    """The listing, the flows read so far, and (once scanned) where our markers are."""

    def __init__(self, listed: list[Listed], scopes: frozenset[str], read: ReadFlow,
                 export: ReadFlow | None = None, made_before: MadeBefore | None = None) -> None:
        # Our markers' scopes: one, or a folder of several formats' (none: markers are off). A
        # digest is made of its scope, so a digest alone names one flow's key in one scope.
        self.scopes = scopes
        self._read = read
        self.export = export  # Export Flow's data (the tasks' bodies), where a plan compares them
        self.made_before = made_before
        # By the name as the eye reads it (identity.name_key): `job_0042 ` finds `job_0042`, and a
        # flow of the other spelling is never made beside it (two flows that look one in every list).
        self.by_name: dict[str, list[Listed]] = {}
        for item in listed:
            self.by_name.setdefault(name_key(item.name), []).append(item)
        self.editable = [item for item in listed if item.editable]
        self.names = {item.flow_id: item.name for item in listed}
        self._read_flows: dict[str, dict[str, Any]] = {}
        self._markers: dict[str, tuple[str, str]] | None = None  # digest -> (flow id, scope), our scopes only
        # digest -> every flow id carrying it, where more than one does: twins (two runs at once
        # from two copies of an export, a flow copied by hand with its desc); once scanned
        self._twins: dict[str, list[str]] = {}
        self._marked: list[tuple[str, str, str]] = []  # (digest, flow id, scope) of every marked flow, once scanned
        self._scan_lock = asyncio.Lock()
        self.reads = 0

    async def read(self, flow_id: str) -> dict[str, Any]:
        """Get Flow, once per flow."""
        if flow_id not in self._read_flows:
            self.reads += 1
            self._read_flows[flow_id] = await self._read(flow_id)
        return self._read_flows[flow_id]

    def known(self) -> frozenset[str]:
        """The flows read so far (a later pass that must see them as they are now reads them again)."""
        return frozenset(self._read_flows)

    async def fresh(self, flow_id: str) -> dict[str, Any]:
        """Get Flow again, whatever was read before."""
        self._read_flows.pop(flow_id, None)
        return await self.read(flow_id)

    async def markers(self) -> dict[str, tuple[str, str]]:
        """Our scopes' markers on every flow the caller can edit: digest -> (flow id, scope)."""
        async with self._scan_lock:
            if self._markers is None:
                gate = asyncio.Semaphore(SCAN_CONCURRENCY)

                async def one(flow_id: str) -> tuple[str, tuple[str, str] | None]:
                    async with gate:
                        return flow_id, live_marker(await self.read(flow_id))

                found = await asyncio.gather(*(one(item.flow_id) for item in self.editable))
                self._marked = sorted((mark[1], flow_id, mark[0]) for flow_id, mark in found
                                      if mark is not None and mark[0] in self.scopes)
                self._markers = {}
                for digest, flow_id, scope in self._marked:
                    if digest in self._markers:
                        self._twins.setdefault(digest, [self._markers[digest][0]]).append(flow_id)
                    else:
                        self._markers[digest] = (flow_id, scope)
            return self._markers

    async def find(self, name: str, digest: str | None, key: str | None = None) -> Match | Refusal | None:
        """The live flow a flow of this name and marker digest saves into; None: there is none
        (it would be created); a Refusal when saving would overwrite what is not ours, or when an
        earlier run's flow of this source key is still there, out of sight (made_again)."""
        candidates = self.by_name.get(name_key(name), [])
        editable = [item for item in candidates if item.editable]
        unmarked: list[tuple[Listed, dict[str, Any]]] = []
        marked: list[Match] = []
        for item in editable:
            live = await self.read(item.flow_id)
            mark = live_marker(live)
            if digest is not None and mark is not None and mark[1] == digest and mark[0] in self.scopes:
                marked.append(Match(item.flow_id, live, "marker"))
            elif mark is None or not self.scopes:
                unmarked.append((item, live))
        if digest is not None and (twins := await self.twins_of(digest, [m.flow_id for m in marked])):
            return twins
        if marked:
            return marked[0]
        if digest is not None:
            elsewhere = (await self.markers()).get(digest)
            if elsewhere is not None:
                renamed = await self.twins_of(digest, [elsewhere[0]])
                if renamed is None:
                    renamed = Match(elsewhere[0], await self.read(elsewhere[0]), "renamed")
                if isinstance(renamed, Refusal):
                    return renamed
                return self.name_held(name, digest, renamed) or renamed
        if len(unmarked) == 1:
            return Match(unmarked[0][0].flow_id, unmarked[0][1], "name")
        ids = sorted(item.flow_id for item in editable)
        if len(unmarked) > 1:
            return Refusal("AMBIGUOUS_NAME", f"{len(unmarked)} flows you own are named {name!r}: "
                                             f"{sorted(item.flow_id for item, _ in unmarked)}; map the id instead")
        if editable:
            scopes = sorted({mark[0] for item in editable if (mark := live_marker(await self.read(item.flow_id)))})
            foreign = [scope for scope in scopes if scope not in self.scopes]
            # A scope not this source's: another source's flow, or this one's under the scope it had
            # before [mapping] identity_scope was changed (its flows are then all someone else's).
            hint = (f"; it is marked with scope {', '.join(foreign)}, not this source's "
                    f"({', '.join(sorted(self.scopes))}): if that was this source's scope before [mapping] "
                    "identity_scope was changed, put it back (a scope is for good once flows carry it)"
                    if foreign else "")
            held_name = self.names.get(ids[0], name) if ids else name  # the service's spelling, which may differ
            spelt = f" (which {name!r} reads as)" if held_name != name else ""
            return Refusal("NAME_TAKEN", f"the flow named {held_name!r} ({', '.join(ids)}){spelt} carries the identity "
                                         f"marker of another source key: it is not this flow's, and is left "
                                         f"alone{hint}")
        if candidates:
            return Refusal("NO_PRIVILEGE", f"the flow named {name!r} is not yours to edit",
                           candidates[0].flow_id if len(candidates) == 1 else "")
        return await self.made_again(key, name, digest) if key is not None else None

    async def made_again(self, key: str, name: str, digest: str | None) -> Refusal | None:
        """MADE_BEFORE when an earlier run left this job in a flow the service still has, which
        neither its name nor its marker finds among the caller's flows: handed over to other owners
        (the caller neither owner nor visitor). Made again, the job would run twice. Each flow the
        logs name for the job is read, newest first, until one is still this job's: its marker
        (none: its name; a row-number key, which names no job for good: its name alone). A flow of
        another marker or name holds that id now (the first deleted since, its id given again; the
        job under another scope), and one not there at all was deleted: the next is read, and with
        none left the job is made anew (None)."""
        for flow_id, by in self.made_before(key, name) if self.made_before is not None else []:
            live: dict[str, Any] | None
            try:
                live = await self.read(flow_id)
            except ReadFailed as failed:
                code = answered_code(failed)
                if code == INVALID_PARAMETER:
                    continue  # not there: deleted since
                if code != NO_PRIVILEGE:
                    raise
                live = None  # there, and not to be read: taken as this job's (the safer reading)
            named = ""
            if live is not None:
                live_name = str(live.get("flowName") or remote_graph(live).get("name") or "")
                if not self._is_this_jobs(key, name, digest, live_name, live_marker(live)):
                    continue
                owners = [o for o in str(live.get("owner") or remote_graph(live).get("owners") or "").split(";") if o]
                named = f" ({live_name!r}, owners {', '.join(owners)})"
            return Refusal("MADE_BEFORE", f"{by} left this job in flow {flow_id}{named}, which the service still has, "
                                          "out of the caller's sight (handed over to other owners?): made again, the "
                                          "job would run twice. Delete that flow, take the job out of the export, or "
                                          "make the caller its owner again", flow_id)
        return None

    def _is_this_jobs(self, key: str, name: str, digest: str | None, live_name: str,
                      mark: tuple[str, str] | None) -> bool:
        same_name = name_key(live_name) == name_key(name)
        if ROW_KEY.fullmatch(key) or mark is None:
            return same_name and (mark is None or mark[0] in self.scopes or not self.scopes)
        return digest is not None and mark[1] == digest and mark[0] in self.scopes

    def name_held_for_create(self, name: str, flow_id: str) -> Refusal | None:
        """NAME_TAKEN when a flow to be created by its id (the export gives it, the service has
        none) has a name the caller's listing already holds under another id: made by hand, or
        the job made again under another id: created, there would be two flows of one name."""
        holders = sorted(item.flow_id for item in self.by_name.get(name_key(name), []) if item.flow_id != flow_id)
        if not holders:
            return None
        return Refusal("NAME_TAKEN", f"flow {flow_id} is not in the service, and flow {', '.join(holders[:5])} holds "
                                     f"its name {name!r}: creating it would make two flows of one name (the job twice, "
                                     "if that one runs it), so it is not created; give the export that flow's id, or "
                                     "rename or delete that flow")

    def name_held(self, name: str, digest: str, renamed: Match) -> Refusal | None:
        """Our flow found by its marker under another name, renamed to `name`: a Refusal when the
        listing holds another flow of that name (not ours, not a twin), whoever made it. Saving
        would make two flows of one name, and every later lookup by name (ours, Import's links by
        name, an operator's) would be ambiguous."""
        ours = {renamed.flow_id, *self._twins.get(digest, [])}
        held = sorted((item for item in self.by_name.get(name_key(name), []) if item.flow_id not in ours),
                      key=lambda item: (len(item.flow_id), item.flow_id))
        if not held:
            return None
        which = f"flow{'s' if len(held) > 1 else ''} " + ", ".join(item.flow_id for item in held)
        unseen = ", ".join(item.flow_id for item in held if not item.editable)
        return Refusal("NAME_TAKEN", f"flow {renamed.flow_id} ({self.names.get(renamed.flow_id, '')!r}) is this "
                                     f"flow's by its identity marker, but its new name {name!r} is held by {which}, "
                                     f"not this job's{f' ({unseen} not yours to edit)' if unseen else ''}: renaming "
                                     "would make two flows of one name, so nothing is saved. If two jobs of the export "
                                     "swapped names, give one a third name first, run, then its new one; else rename "
                                     f"{which} in the service, or choose another name in the export", renamed.flow_id)

    async def twins_of(self, digest: str, found: list[str], saving: str | None = None) -> Match | Refusal | None:
        """Live flows carrying one job's marker (found by name, or by the scan) where more than one
        does. Two of them active: a Refusal, never a save into one while the other fires on,
        unseen. One active (the others disabled by hand): that one is the job's flow (a Match; or,
        `saving` an id, a Refusal when the active one is another). None: no twins."""
        ids = sorted(set(found) | set(self._twins.get(digest, [])), key=lambda flow_id: (len(flow_id), flow_id))
        if len(ids) < 2:
            return None
        lives = {flow_id: await self.read(flow_id) for flow_id in ids}
        active = [flow_id for flow_id in ids if live_active(lives[flow_id]) != 0]
        if len(active) < 2 and (saving is None or not active or active == [saving]):
            chosen = active[0] if active else (saving or ids[0])
            return Match(chosen, lives[chosen], "marker")
        return Refusal("DUPLICATE_MARKER", f"flows {', '.join(ids)} all carry this job's identity marker: twins (two "
                                           "runs at once from two copies of an export, or a flow copied with its "
                                           f"desc), {', '.join(active)} active; none is saved: disable or delete all "
                                           "but one, then run again")

    async def orphans(self, wanted: Iterable[str]) -> list[tuple[str, str, str, str]]:
        """(flow id, name, scope, digest) of each live flow carrying our scopes' marker whose key is not
        among `wanted` (the digests of every flow of the export, valid or not). `wanted` is gone
        through once and never held: what is held is our live flows, which are read anyway."""
        await self.markers()
        gone = {digest for digest, _, _ in self._marked}
        for digest in wanted:
            gone.discard(digest)
        return sorted((flow_id, self.names.get(flow_id, ""), scope, digest)  # twins of an orphan, each
                      for digest, flow_id, scope in self._marked if digest in gone)
