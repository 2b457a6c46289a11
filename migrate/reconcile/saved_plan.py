"""`migrate run --plan PLAN`: apply exactly a saved plan (`plan --out PLAN`) and nothing else.

A flow is sent only when the plan says `create` or `update` for its source key, its payload is
the one planned (same hash), and the live service is as the plan saw it: for an update, the live
flow's fingerprint (updateTime and the hash of its graph) is unchanged; for a create, still no
live flow is ours. Otherwise the flow is not touched and gets a `stale` line saying why; a flow
the plan did not mean to change is not touched and gets no line (the run counts them).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.config import ConfigError
from migrate.mapping.flows import ReadyFlow
from migrate.mapping.identity import marker_of
from migrate.reconcile.diff import fingerprint
from migrate.reconcile.live import LiveFlows, ReadFailed, ReadFlow

PLAN_FORMAT = 1
CHANGES = ("create", "update")
OUTSIDE_PLAN = "outside the plan"  # the verdict for a flow the plan does not change


@dataclass(frozen=True)
class Planned:
    action: str
    flow_id: str
    payload_sha256: str
    fingerprint: dict[str, str] | None


class SavedPlan:
    def __init__(self, path: Path, planned: dict[str, Planned]) -> None:
        self.path = path
        self.planned = planned

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
        for action in document["actions"]:
            if isinstance(action, dict) and action.get("action") in CHANGES and "source_key" in action:
                planned[str(action["source_key"])] = Planned(
                    str(action["action"]), str(action.get("flow_id", "")), str(action.get("payload_sha256", "")),
                    action.get("fingerprint") if isinstance(action.get("fingerprint"), dict) else None)
        return cls(path, planned)

    async def verdict(self, flow: ReadyFlow, read: ReadFlow,
                      live_flows: Callable[[], Awaitable[LiveFlows | Any]]) -> str | None:
        """None: apply it; OUTSIDE_PLAN: the plan does not change it; else why it is stale."""
        planned = self.planned.get(flow.source_key)
        if planned is None:
            return OUTSIDE_PLAN
        if flow.sha256 != planned.payload_sha256:
            return "stale: the export changed since the plan was made (another payload); plan again"
        try:
            if planned.action == "update":
                now = fingerprint(await read(planned.flow_id))
                if now != planned.fingerprint:
                    was = (planned.fingerprint or {}).get("updateTime", "")
                    return (f"stale: flow {planned.flow_id} changed since the plan was made (updateTime {was} -> "
                            f"{now['updateTime']}); not touched, plan again")
                return None
            live = await live_flows()
            if not isinstance(live, LiveFlows):
                return "stale: the live flows could not be listed to check the planned create; not touched"
            mark = marker_of(json.loads(flow.body).get("desc"))
            found = await live.find(flow.name, mark[1] if mark is not None else None)
        except ReadFailed as failed:
            return f"stale: the live flow could not be read to check the plan ({getattr(failed.failure, 'msg', '')})"
        if found is not None:
            return "stale: the plan creates this flow, but a live flow is there now; not touched, plan again"
        return None
