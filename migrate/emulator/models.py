"""State and rules of the emulated service, with no HTTP in sight: every method takes plain
values, returns the `data` of the answer, or raises ServiceError with the documented code."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from migrate.emulator.config import EmulatorConfig, Rules, UserSpec
from migrate.emulator.exceptions import (
    DEPENDED_ON,
    ServiceError,
    account_locked,
    invalid,
    no_privilege,
    user_org_mismatch,
)
from migrate.emulator.store import Store
from migrate.mapping.graph import find_cycle, flow_node_id, task_node_id
from migrate.results.stamps import local_plain
from migrate.schedule.quartz import is_valid_quartz
from migrate.service.model import FlowPayload, canonical_id, contradicted_cycle, field_errors

TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
LISTINGS_KEPT = 16  # distinct searches remembered between changes
Sorters = tuple[tuple[str, bool], ...]  # Search's sorters as (field, descending), the first sorter first


def _names(joined: str) -> list[str]:
    """`;a;b;` or `a;b` -> ["a", "b"], order kept, duplicates dropped."""
    return list(dict.fromkeys(part.strip() for part in joined.split(";") if part.strip()))


# Export Flow's Task struct (reference §6): each field and the JSON types it may hold. `type` is
# documented as an integer, sent as a string by every sample ("COMMAND").
TASK_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,), "resource": (str,), "type": (int, str), "syncType": (int,), "cmd": (str,),
    "submitter": (str,), "filePackage": (str,), "cron": (str,), "priorityLevel": (int,), "timeout": (int,),
    "retryLimit": (int,), "retryInterval": (int,), "successCode": (str,), "asLink": (bool,), "runMode": (str,),
}
DEFAULT_RUN_MODE = json.dumps({"taskMode": 1, "cpu": 0.5, "memory": 1, "maxParallel": 0, "keyType": 0,
                               "datasourceId": 0, "path": "", "content": ""}, separators=(",", ":"))


def _of_kind(value: object, kinds: tuple[type, ...]) -> bool:
    """JSON types as Java reads them: true is no integer."""
    return isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))


def _task_struct(name: str, submitter: str, as_link: bool) -> dict[str, Any]:
    """A task the emulator knows only by name (seeded, or saved by id): the documented struct,
    with the samples' values where it has none of its own."""
    return {"name": name, "resource": "default", "type": "COMMAND", "syncType": 1, "cmd": "", "submitter": submitter,
            "filePackage": "", "cron": "", "priorityLevel": 0, "timeout": 300, "retryLimit": 0, "retryInterval": 0,
            "successCode": "0", "asLink": as_link, "runMode": DEFAULT_RUN_MODE}


def _virtual_task_name(flow_name: str) -> str:
    """A virtual flow node's task: its flowName is written `taskId(taskName)` (reference §3.3)."""
    opening = flow_name.find("(")
    return flow_name[opening + 1 : -1] if opening >= 0 and flow_name.endswith(")") else flow_name


def _list_of_objects(raw: object, field_name: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ServiceError(62102, f"Workflow validation failed: {field_name} must be a list of objects")
    return raw


def _named(by_name: Mapping[str, str], relation: Mapping[str, Any], key: str) -> str:
    """The node of the task a relation names; an unknown task is refused, never dropped."""
    node = by_name.get(str(relation.get(key)))
    if node is None:
        raise ServiceError(62102, f"Workflow validation failed: {key} {relation.get(key)!r} is not a task of the flow")
    return node


def _check_import_relations(flow_json: Mapping[str, Any]) -> None:
    """The task graph Save refuses whatever the switches (graph_errors), in the export form's names:
    a task waiting on itself, or relations that go round. A link relation cannot close a loop: its
    source is another flow, which nothing in this flow precedes."""
    edges = [(str(r.get("sourceTaskName")), str(r.get("targetTaskName"))) for r in flow_json.get("relations") or []]
    for source, target in edges:
        if source == target:
            raise ServiceError(62102, f"Workflow validation failed: relation {source!r}->{target!r} links a task "
                                      "to itself")
    cycle = find_cycle(edges)
    if cycle:
        raise ServiceError(62102, f"Workflow validation failed: relations form a cycle: {' -> '.join(cycle)}")


def _flow_nodes_prefixed(body: dict[str, Any]) -> dict[str, Any]:
    """With `rules.flow_node_ids_prefixed` off: a flow node written another way (the Python Save
    sample's `t_13774`) is stored as `f_<flowId>`, its relations with it."""
    flows = body.get("flows")
    if not isinstance(flows, list):
        return body
    renames = {node["nodeId"]: flow_node_id(str(node["flowId"])) for node in flows
               if isinstance(node, dict) and isinstance(node.get("nodeId"), str) and "flowId" in node}
    tasks = body.get("tasks")
    task_nodes = {t.get("nodeId") for t in tasks if isinstance(t, dict)} if isinstance(tasks, list) else set()
    renames = {old: new for old, new in renames.items() if old != new and old not in task_nodes}
    if not renames:
        return body

    def renamed(item: object, keys: tuple[str, ...]) -> object:
        if not isinstance(item, dict):
            return item
        return {**item, **{k: renames.get(item[k], item[k]) for k in keys if isinstance(item.get(k), str)}}

    relations = body.get("relations")
    return {**body, "flows": [renamed(node, ("nodeId",)) for node in flows],
            "relations": [renamed(r, ("source", "target")) for r in relations] if isinstance(relations, list)
            else relations}


@dataclass
class StoredFlow:
    flow_id: int
    name: str
    org_id: str
    owners: list[str]
    visitors: list[str]
    graph: dict[str, Any]
    active: int
    creator: str
    create_time: str
    update_user: str
    update_time: str
    dir_id: str
    entry: int = 0
    locked: bool = False
    task_details: dict[str, dict[str, Any]] = field(default_factory=dict)


SORT_KEYS: dict[str, Callable[[StoredFlow], str]] = {
    "createTime": lambda flow: flow.create_time,
    "updateTime": lambda flow: flow.update_time,
    "startTime": lambda flow: str(flow.graph["startTime"]),
}


# The Python Search sample's spellings (`start_time`), taken only with `rules.sorter_fields_documented` off.
SORTER_ALIASES = {"create_time": "createTime", "update_time": "updateTime", "start_time": "startTime"}


def _sorters(raw: object, aliases: Mapping[str, str] | None = None) -> Sorters:
    """Search's `pagination.sorters`; 62102 for a field it cannot sort on."""
    if not raw:
        return ()
    if not isinstance(raw, list) or not all(isinstance(sorter, dict) for sorter in raw):
        raise invalid("pagination.sorters must be a list of {field, order}")
    found = []
    for sorter in raw:
        name = sorter.get("field")
        if aliases and isinstance(name, str):
            name = aliases.get(name, name)
        if not isinstance(name, str) or name not in SORT_KEYS:
            raise invalid(f"sorter field {name!r} is not createTime, updateTime or startTime")
        found.append((name, str(sorter.get("order", "ASC")).upper() == "DESC"))
    return tuple(found)


class BatchService:
    def __init__(self, config: EmulatorConfig, store: Store | None = None) -> None:
        self.rules: Rules = config.rules
        # The Save rules that FlowPayload itself applies, switched by the emulator's config.
        self._model_rules = {"self_dependency": config.rules.refuse_self_dependency,
                             "cycle_matches_freq": config.rules.cycle_matches_freq}
        self.users: dict[str, UserSpec] = {u.user_id: u for u in config.users}
        self.root_dir_id = config.root_dir_id
        self.store = store or Store(None)
        self.flows: dict[int, StoredFlow] = {}
        self.tasks: dict[str, str] = {}  # taskId -> name
        self.directories: dict[str, tuple[str, str]] = {}  # dirId -> (parentId, name)
        self._last_task_id: int | None = None  # the highest numeric taskId, found once
        # Search's answers before paging, until the next change to any flow: paging through
        # 50,000 flows filters and sorts them once, not once a page.
        self._listings: dict[tuple[str, str, Sorters], list[StoredFlow]] = {}
        # taskId -> the flow whose graph holds it (rules.tasks_of_their_flow), built at the first
        # Save that asks and kept up to date by every Save, Import and Delete after it.
        self._task_holders: dict[str, int] | None = None
        kept = self.store.load()
        if kept is None:
            self._seed(config)
        else:
            self.restore(kept)

    # -- seeding and persistence ---------------------------------------------------------

    def _seed(self, config: EmulatorConfig) -> None:
        now = self._now()
        for task in config.tasks:
            self.tasks[task.task_id] = task.name
        for directory in config.directories:
            self.directories[directory.dir_id] = (directory.parent_id or self.root_dir_id, directory.name)
        for spec in config.flows:
            owners = [*spec.owners]
            graph = {
                "id": str(spec.flow_id), "type": 1, "name": spec.name, "freq": spec.freq,
                "cycle": spec.cycle, "alertMode": 0, "doAs": "", "owners": ";".join(owners),
                "visitors": ";".join(spec.visitors), "startTime": date.today().isoformat(),
                "active": spec.active, "parameters": "[]", "desc": "", "queue": "",
                "tasks": [], "flows": [], "relations": [],
            }
            creator = owners[0] if owners else ""
            self.flows[spec.flow_id] = StoredFlow(
                flow_id=spec.flow_id, name=spec.name, org_id=spec.org_id, owners=owners,
                visitors=[*spec.visitors], graph=graph, active=spec.active, creator=creator,
                create_time=now, update_user=creator, update_time=now,
                dir_id=spec.dir_id or self.root_dir_id, locked=spec.locked,
            )
        self._keep_all()

    def _keep_all(self) -> None:
        """Write every flow, task and directory: the seed, once (every other call writes the rows it changes)."""
        self._last_task_id = None
        self._changed()
        self.store.save_all(self.flows.values(), self.tasks, self.directories)

    def restore(self, snapshot: dict[str, Any]) -> None:
        self._task_holders = None
        self.flows = {f["flow_id"]: StoredFlow(**f) for f in snapshot["flows"]}
        self.tasks = dict(snapshot["tasks"])
        self.directories = {k: (v[0], v[1]) for k, v in snapshot["directories"].items()}
        self._last_task_id = None
        self._changed()

    def _changed(self) -> None:
        """Any flow added, removed or changed: a listing kept from before may be wrong now."""
        self._listings.clear()

    @staticmethod
    def _now() -> str:
        return local_plain()

    def _bump(self, flow: StoredFlow, user: UserSpec) -> None:
        now = self._now()
        if now <= flow.update_time:  # updateTime must move forward even within a millisecond
            later = datetime.strptime(flow.update_time + "000", TIME_FORMAT) + timedelta(milliseconds=1)
            now = later.strftime(TIME_FORMAT)[:-3]
        flow.update_time, flow.update_user = now, user.name
        self._changed()
        self.store.save_flow(flow)

    # -- who may do what ---------------------------------------------------------------

    def user(self, user_id: str | None, org_id: str | None) -> UserSpec:
        found = self.users.get(user_id or "")
        if found is None or found.org_id != org_id:
            raise user_org_mismatch()
        return found

    def _active_user(self, user_id: str | None, org_id: str | None) -> UserSpec:
        found = self.user(user_id, org_id)
        if found.locked:
            raise account_locked()
        return found

    def _flow(self, flow_id: object) -> StoredFlow:
        try:
            text = canonical_id(flow_id)
        except ValueError:
            raise invalid(f"flowId {flow_id!r} is not a number") from None
        flow = self.flows.get(int(text))
        if flow is None:
            # Not documented: we read an unknown id as an invalid parameter (README).
            raise invalid(f"flow {text} does not exist")
        return flow

    def _readable(self, user: UserSpec, flow_id: object) -> StoredFlow:
        flow = self._flow(flow_id)
        if flow.org_id != user.org_id:
            raise no_privilege(f"flow {flow.flow_id} is not in your organization")
        return flow

    def _owned(self, user: UserSpec, flow_id: object) -> StoredFlow:
        flow = self._readable(user, flow_id)
        if user.name not in flow.owners:
            raise no_privilege(f"{user.name} is not an owner of flow {flow.flow_id}")
        if flow.locked:
            raise no_privilege(f"flow {flow.flow_id} is locked")
        return flow

    # -- Save Flow -----------------------------------------------------------------------

    def save_flow(self, user_id: str | None, org_id: str | None, body: object) -> dict[str, Any]:
        user = self._active_user(user_id, org_id)
        if not isinstance(body, dict):
            raise invalid("the body must be a JSON object")
        body = self._apply_optional_defaults(body)
        if not self.rules.flow_node_ids_prefixed:
            body = _flow_nodes_prefixed(body)
        try:
            payload = FlowPayload.model_validate(body, context=self._model_rules)
        except ValidationError as error:
            raise invalid("; ".join(e.sentence() for e in field_errors(error))) from None
        flow = self._owned(user, payload.id)
        self._check_references(user, payload)
        self._check_tasks_are_its_own(flow, payload)
        self._check_owners(user, payload.owners)
        self._hold_tasks(flow, held=False)
        flow.graph = {**payload.wire(), "creator": flow.creator}
        self._hold_tasks(flow, held=True)
        flow.name, flow.active = payload.name, payload.active
        flow.owners, flow.visitors = _names(payload.owners), _names(payload.visitors)
        self._bump(flow, user)
        return {"flowId": flow.flow_id}

    def _apply_optional_defaults(self, body: dict[str, Any]) -> dict[str, Any]:
        body = dict(body)
        if not self.rules.require_start_time:
            body.setdefault("startTime", date.today().isoformat())
        if not self.rules.require_do_as:
            body.setdefault("doAs", "")
        if not self.rules.require_graph_lists:
            for key in ("tasks", "flows", "relations"):
                body.setdefault(key, [])
        return body

    def _check_references(self, user: UserSpec, payload: FlowPayload) -> None:
        if self.rules.check_references:
            for task in payload.tasks:
                if task.taskId not in self.tasks:
                    raise invalid(f"field tasks: task {task.taskId} does not exist")
        for upstream in payload.flows:
            found = self.flows.get(int(upstream.flowId))
            if found is None and self.rules.check_references:
                raise invalid(f"field flows: flow {upstream.flowId} does not exist")
            if found is not None and found.org_id != user.org_id and self.rules.refuse_foreign_upstream:
                # The saving user cannot even read that flow (Get Flow: 62103), so it cannot wait on it.
                raise no_privilege(f"field flows: flow {upstream.flowId} is not in your organization")

    def _check_tasks_are_its_own(self, flow: StoredFlow, payload: FlowPayload) -> None:
        """A Save names only tasks the flow has (reference §10: Save references tasks, Import makes
        them): a task another flow's graph holds is refused (`rules.tasks_of_their_flow`), as the
        safer reading; two flows running one task is what the real service's would not allow."""
        if not self.rules.tasks_of_their_flow:
            return
        holders = self._holders()
        for task in payload.tasks:
            holder = holders.get(task.taskId)
            if holder is not None and holder != flow.flow_id and holder in self.flows:
                raise invalid(f"field tasks: task {task.taskId} is a task of flow {holder}, not of flow {flow.flow_id}")

    def _holders(self) -> dict[str, int]:
        if self._task_holders is None:
            self._task_holders = {str(task.get("taskId")): flow.flow_id for flow in self.flows.values()
                                  for task in flow.graph.get("tasks") or [] if isinstance(task, dict)}
        return self._task_holders

    def _hold_tasks(self, flow: StoredFlow, held: bool) -> None:
        """The index of task holders, kept as a flow's graph comes (`held`) or goes."""
        if self._task_holders is None:
            return
        for task in flow.graph.get("tasks") or []:
            task_id = str(task.get("taskId")) if isinstance(task, dict) else None
            if task_id is None:
                continue
            if held:
                self._task_holders[task_id] = flow.flow_id
            elif self._task_holders.get(task_id) == flow.flow_id:
                del self._task_holders[task_id]

    def _check_owners(self, user: UserSpec, owners: str) -> None:
        """Owners are users of the saving (or importing) user's organization (`rules.owners_must_be_users`):
        Save's `owners`, Import's `flowJson.owners`."""
        if not self.rules.owners_must_be_users:
            return
        members = {u.name for u in self.users.values() if u.org_id == user.org_id}
        strangers = [name for name in _names(owners) if name not in members]
        if strangers:
            raise invalid(f"field owners: {', '.join(strangers)} not a user of organization {user.org_id}")

    # -- reading -------------------------------------------------------------------------

    def _flow_struct(self, user: UserSpec, flow: StoredFlow, entry: int) -> dict[str, Any]:
        graph = flow.graph
        return {
            "flowId": flow.flow_id, "flowName": flow.name, "active": flow.active,
            "creator": flow.creator, "createTime": flow.create_time,
            "updateUser": flow.update_user, "updateTime": flow.update_time,
            "freq": graph["freq"], "cycle": graph["cycle"], "parameters": graph["parameters"],
            "owner": ";" + ";".join(flow.owners) + ";", "visitor": ";" + ";".join(flow.visitors) + ";",
            "doAs": graph["doAs"], "alertMode": graph["alertMode"],
            "graph": json.dumps(graph, ensure_ascii=False) if self.rules.graph_as_string else graph,
            "entry": entry, "type": graph["type"], "syncType": 1, "desc": graph["desc"],
            "startTime": graph["startTime"], "queue": graph["queue"], "virtual": False,
            "locked": flow.locked, "hasEditPri": user.name in flow.owners, "hasReadPri": True,
            "isUserLocked": user.locked,
        }

    def get_flow(self, user_id: str | None, org_id: str | None, flow_id: object) -> dict[str, Any]:
        user = self.user(user_id, org_id)
        return self._flow_struct(user, self._readable(user, flow_id), entry=0)

    def load_for_edit(self, user_id: str | None, org_id: str | None, flow_id: object) -> dict[str, Any]:
        # The real service copies the flow into a temporary one; the emulator only reads.
        user = self.user(user_id, org_id)
        return self._flow_struct(user, self._readable(user, flow_id), entry=1)

    def search(self, user_id: str | None, org_id: str | None, body: object) -> list[dict[str, Any]]:
        user = self.user(user_id, org_id)
        body = body if isinstance(body, dict) else {}
        expression = body.get("expression") or ""
        if not isinstance(expression, str):
            raise invalid("field expression must be a string")
        pagination = body.get("pagination") or {"pageNo": 1, "pageSize": 10_000}
        page_no, page_size = pagination.get("pageNo"), pagination.get("pageSize")
        if not isinstance(page_no, int) or page_no < 1 or not isinstance(page_size, int) or page_size < 1:
            raise invalid("pagination.pageNo must be >= 1 and pageSize > 0")
        aliases = None if self.rules.sorter_fields_documented else SORTER_ALIASES
        page = self._listing(user.org_id, expression, _sorters(pagination.get("sorters"), aliases))
        return [{"flowId": str(f.flow_id), "flowName": f.name}
                for f in page[(page_no - 1) * page_size : page_no * page_size]]

    def get_my_flow(self, user_id: str | None, org_id: str | None, expression: str) -> list[dict[str, Any]]:
        user = self.user(user_id, org_id)
        return [
            {"flowId": str(f.flow_id), "editable": user.name in f.owners, "flowName": f.name,
             "cycle": f.graph["cycle"]}
            for f in self._listing(user.org_id, expression, ())
            if user.name in f.owners or user.name in f.visitors
        ]

    def _listing(self, org_id: str, expression: str, sorters: Sorters) -> list[StoredFlow]:
        """The organization's flows that match `expression`, by id, then sorted by `sorters`
        (a stable sort: ties stay in id order). Kept until the next change (see _changed)."""
        key = (org_id, expression.lower(), sorters)
        found = self._listings.get(key)
        if found is None:
            found = [f for f in self.flows.values() if f.org_id == org_id and self._matches(f, key[1])]
            found.sort(key=lambda f: f.flow_id)
            for name, descending in reversed(sorters):
                found.sort(key=SORT_KEYS[name], reverse=descending)
            if len(self._listings) >= LISTINGS_KEPT:
                self._listings.clear()
            self._listings[key] = found
        return found

    @staticmethod
    def _matches(flow: StoredFlow, needle: str) -> bool:
        """`needle` in lower case."""
        return not needle or needle in flow.name.lower() or needle in str(flow.flow_id)

    # -- export and import ---------------------------------------------------------------

    def export_flow(self, user_id: str | None, org_id: str | None, flow_id: object) -> dict[str, Any]:
        """The export form (reference §6): names for ids, each task with every documented field,
        and the flow's upstream flows as flowLinks (virtual ones, a task of another flow, as
        taskLinks) with their edges as linkRelations, so that Import puts every edge back."""
        user = self.user(user_id, org_id)
        flow = self._readable(user, flow_id)
        graph = flow.graph
        names = {t["nodeId"]: t["taskName"] for t in graph["tasks"]}
        linked = {r["target"] for r in graph["relations"]} | {r["source"] for r in graph["relations"]}
        flow_links: list[dict[str, str]] = []
        task_links: list[dict[str, str]] = []
        link_ids: dict[str, str] = {}  # the flow node's nodeId -> its linkId
        for node in graph["flows"]:
            link_id = str(len(link_ids))
            link_ids[node["nodeId"]] = link_id
            upstream = self.flows.get(int(node["flowId"]))
            source_name = upstream.name if upstream is not None else node["flowName"]
            if node.get("isVirtual"):
                task_links.append({"linkId": link_id, "sourceFlowName": source_name,
                                   "sourceTaskName": _virtual_task_name(node["flowName"])})
            else:
                flow_links.append({"linkId": link_id, "sourceFlowName": source_name})
        return {
            "name": flow.name, "cycle": graph["cycle"], "cron": graph["freq"],
            "parameters": graph["parameters"], "alertMode": graph["alertMode"],
            "submitter": graph["doAs"], "owners": ";".join(flow.owners),
            "visitors": ";".join(flow.visitors), "type": graph["type"], "syncType": 1,
            "desc": graph["desc"], "startTime": graph["startTime"],
            "tasks": [flow.task_details.get(t["taskId"])
                      or _task_struct(t["taskName"], graph["doAs"], t["nodeId"] in linked) for t in graph["tasks"]],
            "flowLinks": flow_links, "taskLinks": task_links,
            "relations": [
                {"sourceTaskName": names[r["source"]], "targetTaskName": names[r["target"]], "rerun": r["rerun"]}
                for r in graph["relations"] if r["source"] in names and r["target"] in names
            ],
            "linkRelations": [
                {"linkId": link_ids[r["source"]], "targetTaskName": names[r["target"]], "rerun": r["rerun"]}
                for r in graph["relations"] if r["source"] in link_ids and r["target"] in names
            ],
        }

    def import_flow(self, user_id: str | None, org_id: str | None, body: object) -> dict[str, Any]:
        """Import Flow (reference §6): 62102 with one of the documented messages for anything
        incomplete or that names what is not there; nothing is dropped."""
        user = self._active_user(user_id, org_id)
        if not isinstance(body, dict):
            raise invalid("the body must be a JSON object")
        name, dir_id, flow_json = body.get("flowName"), body.get("dirId"), body.get("flowJson")
        if not isinstance(name, str) or not name.strip():
            raise ServiceError(62102, "Invalid parameter: flowName")
        if not isinstance(body.get("desc"), str):
            raise ServiceError(62102, "Incorrect parameter: desc is required")
        wanted = body.get("flowId")
        if wanted is not None and self.rules.import_flow_id_integer and (
                not isinstance(wanted, int) or isinstance(wanted, bool)):
            raise ServiceError(62102, f"Incorrect parameter: flowId must be an integer, not {wanted!r}")
        if dir_id != self.root_dir_id and dir_id not in self.directories:
            raise ServiceError(62102, "Directory does not exist")
        if not isinstance(flow_json, dict) or not is_valid_quartz(str(flow_json.get("cron", ""))) \
                or flow_json.get("cycle") not in ("M", "W", "D", "H", "mi"):
            raise ServiceError(62102, "Workflow validation failed")
        # Save's rules of the flow as a whole, on the export form's fields (docs/emulator.md,
        # "Which rules Import applies"): refused before any task id or flow id is taken.
        self._check_import_cycle(flow_json)
        self._check_owners(user, str(flow_json.get("owners") or ""))
        tasks_in = self._import_tasks(flow_json.get("tasks"))
        if self._last_task_id is None:
            self._last_task_id = max((int(t) for t in self.tasks), default=100_000)
        last_task_id = self._last_task_id  # taken only once the flow is stored: a refusal takes no id
        tasks, details, by_name, new_tasks = [], {}, {}, {}
        for index, task in enumerate(tasks_in):
            last_task_id += 1
            task_id = str(last_task_id)
            new_tasks[task_id] = task["name"]
            details[task_id] = task
            by_name[task["name"]] = task_node_id(task_id)
            tasks.append({"taskName": task["name"], "x": round(0.05 + 0.05 * index, 4), "y": 0.05,
                          "taskId": task_id, "nodeId": task_node_id(task_id)})
        gap = f"{flow_json['cycle']}0"
        relations = [{"cycleGap": gap, "source": _named(by_name, r, "sourceTaskName"),
                      "target": _named(by_name, r, "targetTaskName"), "rerun": bool(r.get("rerun"))}
                     for r in _list_of_objects(flow_json.get("relations"), "relations")]
        flows, link_nodes = self._import_links(user, flow_json)
        for r in _list_of_objects(flow_json.get("linkRelations"), "linkRelations"):
            if r.get("linkId") not in link_nodes:
                raise ServiceError(62102, f"Workflow validation failed: linkRelations name link {r.get('linkId')!r}, "
                                          "which no flowLinks or taskLinks entry has")
            relations.append({"cycleGap": gap, "source": link_nodes[r["linkId"]],
                              "target": _named(by_name, r, "targetTaskName"), "rerun": bool(r.get("rerun"))})
        _check_import_relations(flow_json)
        flow_id = wanted if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted > 0 \
            and wanted not in self.flows else max(self.flows, default=1000) + 1
        owners = _names(str(flow_json.get("owners") or "")) or [user.name]
        graph = {
            "id": str(flow_id), "type": flow_json.get("type", 1), "name": name,
            "freq": flow_json["cron"], "cycle": flow_json["cycle"],
            "alertMode": flow_json.get("alertMode", 0), "doAs": flow_json.get("submitter", ""),
            "owners": ";".join(owners), "visitors": str(flow_json.get("visitors") or ""),
            "startTime": flow_json.get("startTime") or date.today().isoformat(), "active": 0,
            "parameters": flow_json.get("parameters") or "[]", "desc": body["desc"],
            "queue": "", "tasks": tasks, "flows": flows, "relations": relations, "creator": user.name,
        }
        now = self._now()
        flow = StoredFlow(
            flow_id=flow_id, name=name, org_id=user.org_id, owners=owners,
            visitors=_names(graph["visitors"]), graph=graph, active=0, creator=user.name,
            create_time=now, update_user=user.name, update_time=now, dir_id=str(dir_id),
            entry=1, task_details=details,
        )
        self.flows[flow_id] = flow
        self._hold_tasks(flow, held=True)
        self.tasks.update(new_tasks)
        self._last_task_id = last_task_id
        self._changed()
        self.store.save_flow(flow, new_tasks)
        return {"flowId": flow_id}

    def _check_import_cycle(self, flow_json: dict[str, Any]) -> None:
        """Save's `rules.cycle_matches_freq` on the export form, whose `cron` is Save's `freq`."""
        cycle, cron = str(flow_json["cycle"]), str(flow_json["cron"])
        fires = contradicted_cycle(cycle, cron)
        if self.rules.cycle_matches_freq and fires is not None:
            raise invalid(f"field cycle: cycle {cycle} is finer than cron {cron!r} fires (its cycle is {fires}) "
                          f"(value {json.dumps(cycle)})")

    def _import_tasks(self, raw: object) -> list[dict[str, Any]]:
        """flowJson's tasks, each with a name, once; with `rules.import_task_fields`, every
        documented Task struct field of its documented type (every sample sends them all)."""
        tasks = _list_of_objects(raw, "tasks")
        seen: set[str] = set()
        for index, task in enumerate(tasks):
            if not isinstance(task.get("name"), str) or not task["name"]:
                raise ServiceError(62102, f"Workflow validation failed: tasks[{index}] has no name")
            if task["name"] in seen:
                raise ServiceError(62102, f"Workflow validation failed: two tasks named {task['name']!r}")
            seen.add(task["name"])
            if self.rules.import_task_fields:
                wrong = [key for key, kinds in TASK_FIELDS.items() if not _of_kind(task.get(key), kinds)]
                if wrong:
                    raise ServiceError(62102, f"Workflow validation failed: task {task['name']!r} lacks or mistypes "
                                              f"{', '.join(wrong)} (the Task struct of Export Flow)")
        return tasks

    def _import_links(self, user: UserSpec, flow_json: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """flowLinks and taskLinks as flow nodes: each names a flow of the organization by its
        name (and a task of it); link id -> node id, for linkRelations."""
        nodes: list[dict[str, Any]] = []
        link_nodes: dict[str, str] = {}
        links = [(link, False) for link in _list_of_objects(flow_json.get("flowLinks"), "flowLinks")]
        links += [(link, True) for link in _list_of_objects(flow_json.get("taskLinks"), "taskLinks")]
        for link, virtual in links:
            upstream = self._flow_named(user, link.get("sourceFlowName"))
            flow_name = upstream.name
            if virtual:
                task = next((t for t in upstream.graph["tasks"] if t["taskName"] == link.get("sourceTaskName")), None)
                if task is None:
                    raise ServiceError(62102, f"Workflow validation failed: flow {upstream.name!r} has no task "
                                              f"{link.get('sourceTaskName')!r}")
                flow_name = f"{task['taskId']}({task['taskName']})"
            node_id = flow_node_id(str(upstream.flow_id))
            link_nodes[str(link.get("linkId"))] = node_id
            if all(n["nodeId"] != node_id for n in nodes):
                nodes.append({"flowId": str(upstream.flow_id), "flowName": flow_name, "nodeId": node_id,
                              "isVirtual": virtual, "x": round(0.05 + 0.05 * len(nodes), 4), "y": 0.01})
        return nodes, link_nodes

    def _flow_named(self, user: UserSpec, name: object) -> StoredFlow:
        found = [f for f in self.flows.values() if f.org_id == user.org_id and f.name == name]
        if len(found) != 1:
            problem = "no flow" if not found else f"{len(found)} flows"
            raise ServiceError(62102, f"Workflow validation failed: {problem} named {name!r} in your organization")
        return found[0]

    # -- delete, enable, disable ---------------------------------------------------------

    def delete_flow(self, user_id: str | None, org_id: str | None, flow_id: object) -> str:
        user = self._active_user(user_id, org_id)
        flow = self._owned(user, flow_id)
        for other in self.flows.values():
            if other is not flow and any(int(f["flowId"]) == flow.flow_id for f in other.graph["flows"]):
                raise ServiceError(
                    DEPENDED_ON, "This workflow is relied on by other workflows and cannot be deleted."
                )
        del self.flows[flow.flow_id]
        self._hold_tasks(flow, held=False)
        self._changed()
        self.store.delete_flow(flow.flow_id)
        return ""

    def set_active(self, user_id: str | None, org_id: str | None, body: object, active: int) -> str:
        user = self._active_user(user_id, org_id)
        flow_id = body.get("flowId") if isinstance(body, dict) else None
        flow = self._owned(user, flow_id)
        flow.active = active
        flow.graph["active"] = active
        self._bump(flow, user)
        return ""

    # -- directories ---------------------------------------------------------------------

    def create_directory(self, user_id: str | None, org_id: str | None, body: object) -> dict[str, str]:
        self._active_user(user_id, org_id)
        body = body if isinstance(body, dict) else {}
        parent, name = body.get("parentId"), body.get("dirName")
        if not isinstance(name, str) or not name:
            raise ServiceError(62102, "param: dirName cannot be empty")
        if not isinstance(parent, str) or not parent:
            raise ServiceError(62102, "param: parentId cannot be empty")
        if parent != self.root_dir_id and parent not in self.directories:
            raise ServiceError(62102, "parentId not found")
        if any(p == parent and n == name for p, n in self.directories.values()):
            raise ServiceError(62102, "A directory of the same name already exists")
        dir_id = uuid.uuid4().hex
        self.directories[dir_id] = (parent, name)
        self.store.save_directory(dir_id, parent, name)
        return {"dirId": dir_id}

    def list_directories(self, user_id: str | None, org_id: str | None) -> list[dict[str, Any]]:
        user = self.user(user_id, org_id)
        # Each directory's entries gathered in one pass, not one pass over every flow per directory.
        subdirectories: dict[str, list[tuple[str, str]]] = {}
        for dir_id, (parent, name) in self.directories.items():
            subdirectories.setdefault(parent, []).append((dir_id, name))
        files: dict[str, list[dict[str, Any]]] = {}
        for f in self._listing(user.org_id, "", ()):
            files.setdefault(f.dir_id, []).append(
                {"editable": user.name in f.owners, "title": f.name, "type": 1, "key": f.flow_id, "isDirectory": False})

        def node(dir_id: str, title: str) -> dict[str, Any]:
            children = [node(child, name) for child, name in subdirectories.get(dir_id, [])]
            children += files.get(dir_id, [])
            return {"children": children, "title": title, "type": 1, "key": dir_id, "isDirectory": True}

        return [node(self.root_dir_id, "Workflow")]
