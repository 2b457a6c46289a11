"""The emulator at 50,000 flows kept in a SQLite state file: Search pages through every flow once
in the order asked, Get My Flow lists them all, and Import, Save, Enable, Disable, Delete and
Create Directory each write the few rows they change (counted on the store's connection, never
timed). Reopening the file gives the same state; a file of the first layout still loads."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import USER, save_body
from test_emulator import export_task

from migrate.emulator.config import EmulatorConfig
from migrate.emulator.models import BatchService, StoredFlow
from migrate.emulator.store import StateError, Store

FLOWS = 50_000
FIRST_ID = 1001
OTHER_ORG = 10  # flows of another organization, which alice never sees
ROOT = "0" * 32
START = datetime(2025, 1, 1)
USERS = {"users": [USER, {"user_id": "u2", "name": "bob", "org_id": "o1"},
                   {"user_id": "u4", "name": "eve", "org_id": "o2"}]}


def stamp(seconds: int) -> str:
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def stored_flow(number: int) -> StoredFlow:
    """Flow `number` (0-based): distinct create times in a shuffled order, update times and
    start dates shared by many flows, so that ties are broken by id. Every 3rd flow names alice a
    visitor, not an owner."""
    flow_id = FIRST_ID + number
    owners = ["bob"] if number % 3 == 0 else ["alice"]
    graph = {
        "id": str(flow_id), "type": 1, "name": f"job{number}", "freq": "0 0 0 * * ? *", "cycle": "D",
        "alertMode": 0, "doAs": "", "owners": ";".join(owners), "visitors": "alice" if number % 3 == 0 else "",
        "startTime": (START + timedelta(days=number % 365)).date().isoformat(), "active": 0,
        "parameters": "[]", "desc": "", "queue": "",
        "tasks": [{"taskName": f"job{number}", "x": 0.05, "y": 0.05, "taskId": str(500_001 + number),
                   "nodeId": f"t_{500_001 + number}"}],
        "flows": [], "relations": [],
    }
    return StoredFlow(
        flow_id=flow_id, name=f"job{number}", org_id="o1", owners=owners,
        visitors=["alice"] if number % 3 == 0 else [], graph=graph, active=0, creator=owners[0],
        create_time=stamp(number * 7919 % FLOWS), update_user=owners[0], update_time=stamp(number % 1000),
        dir_id=ROOT,
    )


def other_org_flow(number: int) -> StoredFlow:
    flow = stored_flow(FLOWS + number)
    flow.org_id, flow.owners, flow.visitors, flow.name = "o2", ["eve"], [], f"eve{number}"
    return flow


@pytest.fixture(scope="module")
def state_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50,000 flows (and 10 of another organization) written once through the store."""
    path = tmp_path_factory.mktemp("scale") / "emulator.sqlite"
    store = Store(path)
    flows = [*map(stored_flow, range(FLOWS)), *map(other_org_flow, range(OTHER_ORG))]
    store.save_all(flows, {flow.graph["tasks"][0]["taskId"]: flow.name for flow in flows}, {})
    store.close()
    return path


@pytest.fixture(scope="module")
def service(state_file: Path) -> Iterator[BatchService]:
    service = BatchService(EmulatorConfig.model_validate(USERS), Store(state_file))
    yield service
    service.store.close()


def rows_written(service: BatchService) -> int:
    """Rows inserted, changed or deleted on the store's connection since it opened."""
    assert service.store.connection is not None
    return service.store.connection.total_changes


def search_all(service: BatchService, page_size: int, sorters: list[dict[str, str]],
               expression: str = "") -> list[dict[str, Any]]:
    """Every page until a short one, as a client must (Search returns no total, reference §7)."""
    found: list[dict[str, Any]] = []
    page_no = 1
    while True:
        page = service.search("u1", "o1", {"expression": expression, "pagination": {
            "pageNo": page_no, "pageSize": page_size, "sorters": sorters}})
        found += page
        if len(page) < page_size:
            return found
        page_no += 1


def ids_of_o1(service: BatchService) -> list[int]:
    """What alice's organization holds, by id (the tests below may have changed a few flows)."""
    return sorted(flow_id for flow_id, flow in service.flows.items() if flow.org_id == "o1")


@pytest.mark.parametrize(("sorters", "page_size"), [
    ([], 1000),
    ([{"field": "createTime"}], 997),  # the last page is short
    ([{"field": "updateTime", "order": "DESC"}], 1000),
    ([{"field": "startTime", "order": "desc"}, {"field": "createTime", "order": "ASC"}], 2500),
])
def test_search_pages_through_every_flow_once_in_the_order_asked(
        service: BatchService, sorters: list[dict[str, str]], page_size: int) -> None:
    found = search_all(service, page_size, sorters)
    ids = [int(item["flowId"]) for item in found]
    assert len(ids) >= FLOWS - 1 and sorted(ids) == ids_of_o1(service)  # each once, none of organization o2
    assert all(item["flowName"] == service.flows[int(item["flowId"])].name for item in found)

    def value(flow_id: int, field: str) -> str:
        flow = service.flows[flow_id]
        return {"createTime": flow.create_time, "updateTime": flow.update_time,
                "startTime": flow.graph["startTime"]}[field]

    def in_order(first: int, second: int) -> bool:
        """By the sorters, the first sorter first; ties in id order."""
        for sorter in sorters:
            one, other = value(first, sorter["field"]), value(second, sorter["field"])
            if one != other:
                return (one < other) != (sorter.get("order", "ASC").upper() == "DESC")
        return first < second

    assert all(in_order(first, second) for first, second in itertools.pairwise(ids))


def test_search_answers_the_page_asked_and_nothing_past_the_end(service: BatchService) -> None:
    body = {"pagination": {"pageNo": 3, "pageSize": 10, "sorters": [{"field": "createTime"}]}}
    by_create_time = sorted(ids_of_o1(service), key=lambda flow_id: service.flows[flow_id].create_time)
    assert [int(item["flowId"]) for item in service.search("u1", "o1", body)] == by_create_time[20:30]
    assert service.search("u1", "o1", {"pagination": {"pageNo": FLOWS // 10 + 2, "pageSize": 10}}) == []
    matching = search_all(service, 100, [], expression="JOB4999")  # fuzzy, on the name or the id
    assert {item["flowName"] for item in matching} == {"job4999", *(f"job4999{digit}" for digit in range(10))}


def test_get_my_flow_lists_all_of_them(service: BatchService) -> None:
    mine = service.get_my_flow("u1", "o1", "")
    assert len(mine) >= FLOWS - 1 and [int(item["flowId"]) for item in mine] == ids_of_o1(service)
    assert [item["flowId"] for item in mine if not item["editable"]][:2] == [str(FIRST_ID), str(FIRST_ID + 3)]
    assert len(service.get_my_flow("u4", "o2", "")) == OTHER_ORG
    leaves = [entry for entry in service.list_directories("u1", "o1")[0]["children"] if not entry["isDirectory"]]
    assert [leaf["key"] for leaf in leaves] == ids_of_o1(service)
    assert service.get_flow("u1", "o1", str(FIRST_ID + FLOWS - 1))["flowName"] == f"job{FLOWS - 1}"


def test_each_change_writes_its_own_rows_and_every_listing_sees_it(service: BatchService) -> None:
    written = rows_written(service)

    def rows_since() -> int:
        nonlocal written
        before, written = written, rows_written(service)
        return written - before

    def newest() -> str:
        """The flow updated last, by Search (the same question each time: a kept answer would be stale)."""
        page = service.search("u1", "o1", {"pagination": {
            "pageNo": 1, "pageSize": 1, "sorters": [{"field": "updateTime", "order": "DESC"}]}})
        return str(page[0]["flowId"])

    def my_last() -> str:
        return str(service.get_my_flow("u1", "o1", "")[-1]["flowId"])

    def named(expression: str) -> list[str]:
        return [item["flowId"] for item in search_all(service, 1000, [], expression=expression)]

    doomed = str(FIRST_ID + 4)
    before = (newest(), my_last(), named("brand_new"), named("renamed"), doomed in named(doomed))
    assert before[2:] == ([], [], True)
    flow_json = {"cron": "0 0 1 * * ? *", "cycle": "D", "tasks": [export_task("extract"), export_task("load")],
                 "relations": [{"sourceTaskName": "extract", "targetTaskName": "load"}]}
    imported = str(service.import_flow("u1", "o1", {"flowName": "brand_new", "desc": "", "dirId": ROOT,
                                                    "flowJson": flow_json})["flowId"])
    assert rows_since() == 3  # the flow and its two tasks
    assert named("brand_new") == [imported] and my_last() == imported and newest() == imported

    for flow_id, active in ((FIRST_ID + 1, 1), (FIRST_ID + 5, 0)):
        service.set_active("u1", "o1", {"flowId": flow_id}, active)
        assert rows_since() == 1
        assert newest() == str(flow_id) and service.flows[flow_id].active == active

    service.save_flow("u1", "o1", save_body(FIRST_ID + 2, name="renamed", tasks=[]))
    assert rows_since() == 1
    assert named("renamed") == [str(FIRST_ID + 2)] and newest() == str(FIRST_ID + 2)

    assert doomed in named(doomed)
    service.delete_flow("u1", "o1", FIRST_ID + 4)
    assert rows_since() == 1
    assert doomed not in named(doomed)

    service.create_directory("u1", "o1", {"parentId": ROOT, "dirName": "team_a"})
    assert rows_since() == 1


def test_reopening_the_file_gives_the_same_flows_tasks_and_directories(
        service: BatchService, state_file: Path) -> None:
    service.create_directory("u1", "o1", {"parentId": ROOT, "dirName": "reopened"})
    service.store.close()  # one emulator a state file (the store refuses a second while one holds it)
    try:
        reopened = BatchService(EmulatorConfig.model_validate(USERS), Store(state_file))
        try:
            assert {flow_id: vars(flow) for flow_id, flow in reopened.flows.items()} == {
                flow_id: vars(flow) for flow_id, flow in service.flows.items()}
            assert reopened.tasks == service.tasks and reopened.directories == service.directories
            assert len(reopened.get_my_flow("u1", "o1", "")) == len(service.get_my_flow("u1", "o1", ""))
        finally:
            reopened.store.close()
    finally:
        service.store = Store(state_file)  # the module's service goes on with its file


def test_a_second_emulator_on_one_state_file_is_refused_naming_the_first(state_file: Path,
                                                                       service: BatchService) -> None:
    """Each emulator keeps the flows in memory: two processes on one file would write over each
    other; the second is refused, naming the first (this one, which holds `service`)."""
    other = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from migrate.emulator.store "
                            "import Store; Store(Path(sys.argv[1]))", str(state_file)],
                           capture_output=True, text=True, timeout=120)
    assert other.returncode != 0 and f"in use by PID {os.getpid()}" in other.stderr
    assert StateError.__name__ in other.stderr


def test_a_state_file_of_the_first_layout_loads_and_is_rewritten_in_the_current_one(tmp_path: Path) -> None:
    """Before tasks had rows of their own, a `meta` row held every task and directory."""
    path = tmp_path / "old.sqlite"
    flows = [stored_flow(number) for number in range(3)]
    tasks = {"500001": "job0", "500002": "job1", "500003": "job2"}
    directories = {"d" * 32: [ROOT, "team_a"]}
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.executemany("INSERT INTO state VALUES (?, ?)",
                       [(f"flow:{flow.flow_id}", json.dumps(asdict(flow))) for flow in flows])
        db.execute("INSERT INTO state VALUES ('meta', ?)", (json.dumps({"tasks": tasks, "directories": directories}),))
    db.close()

    for _ in range(2):  # read as it was, then as rewritten
        service = BatchService(EmulatorConfig.model_validate(USERS), Store(path))
        try:
            assert {flow_id: vars(flow) for flow_id, flow in service.flows.items()} == {
                flow.flow_id: vars(flow) for flow in flows}
            assert service.tasks == tasks and service.directories == {"d" * 32: (ROOT, "team_a")}
        finally:
            service.store.close()

    with sqlite3.connect(path) as db:
        assert json.loads(db.execute("SELECT value FROM state WHERE key = 'meta'").fetchone()[0]) == {"layout": 2}
        assert dict(db.execute("SELECT task_id, name FROM tasks")) == tasks
    db.close()

    service = BatchService(EmulatorConfig.model_validate(USERS), Store(path))
    try:
        written = rows_written(service)
        created = service.import_flow("u1", "o1", {"flowName": "after", "desc": "", "dirId": "d" * 32, "flowJson": {
            "cron": "0 0 1 * * ? *", "cycle": "D", "tasks": [export_task("only")]}})["flowId"]
        assert rows_written(service) - written == 2
        assert service.flows[created].graph["tasks"][0]["taskId"] == "500004"  # after the old file's tasks
    finally:
        service.store.close()
