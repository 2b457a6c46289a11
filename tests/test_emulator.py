"""The emulator over real HTTP on 127.0.0.1: Save Flow rules, the other actions, faults, limits."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import FLOWS_URL, QUERY, base_state, save_body
from test_model import SEED_SAMPLE, V21_SAMPLE

from migrate.emulator.server import EmulatorServer


async def call(server: EmulatorServer, action: str, body: Any = None, method: str | None = None,
               resource: str = "flows", **query: str) -> tuple[int, dict[str, Any]]:
    params = {"action": action, **QUERY, **query}
    method = method or ("POST" if body is not None else "GET")
    async with aiohttp.ClientSession() as session, session.request(
        method, f"{server.url}/batch-processing-service/v2.1/{resource}", params=params,
        data=json.dumps(body) if body is not None else None,
    ) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except json.JSONDecodeError:
            return response.status, {"text": text}


async def stats(server: EmulatorServer) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{server.url}/_emulator/stats") as response:
        data: dict[str, Any] = await response.json()
        return data


def sample_state(sample: dict[str, Any], owners: list[str]) -> dict[str, Any]:
    """A state where the sample's flow, tasks and upstream flows exist, owned by alice, and its
    owners are users of the organization."""
    state = base_state(flows=0)
    state["users"] += [{"user_id": f"u-{name}", "name": name, "org_id": "o1"}
                       for name in owners if name not in {u["name"] for u in state["users"]}]
    state["tasks"] = [{"task_id": t["taskId"], "name": t["taskName"]} for t in sample["tasks"]]
    state["flows"] = [{"flow_id": int(sample["id"]), "name": sample["name"], "owners": owners, "org_id": "o1"}]
    state["flows"] += [{"flow_id": int(f["flowId"]), "name": f["flowName"], "owners": ["bob"], "org_id": "o1"}
                       for f in sample["flows"]]
    return state


def export_task(name: str, **changes: Any) -> dict[str, Any]:
    """A task of Import Flow's body with every field of the documented Task struct (Export Flow)."""
    run_mode = {"taskMode": 1, "cpu": 0.5, "memory": 1, "maxParallel": 0, "keyType": 0, "datasourceId": 0,
                "path": "", "content": ""}
    return {"name": name, "resource": "default", "type": "COMMAND", "syncType": 1, "cmd": f"run {name}",
            "submitter": "db_x", "filePackage": "", "cron": "", "priorityLevel": 0, "timeout": 300, "retryLimit": 3,
            "retryInterval": 0, "successCode": "0", "asLink": True, "runMode": json.dumps(run_mode), **changes}


@pytest.mark.parametrize("sample", [V21_SAMPLE, SEED_SAMPLE], ids=["v2.1-sample", "seed-sample"])
async def test_documented_sample_saves_and_reads_back(start_emulator: Any, sample: dict[str, Any]) -> None:
    async with start_emulator(sample_state(sample, ["alice", "yourOwners"])) as server:
        before = (await call(server, "get", flowId=sample["id"]))[1]["data"]
        status, answer = await call(server, "save", sample)
        assert (status, answer["code"], answer["msg"]) == (200, 0, "OK")
        assert answer["data"] == {"flowId": int(sample["id"])} and answer["requestId"]
        got = (await call(server, "get", flowId=sample["id"]))[1]["data"]
    assert isinstance(got["graph"], str)
    graph = json.loads(got["graph"])
    assert graph["tasks"] == sample["tasks"] and graph["relations"] == sample["relations"]
    assert got["updateTime"] > before["updateTime"]
    assert (got["flowName"], got["freq"], got["cycle"], got["doAs"]) == (
        sample["name"], sample["freq"], sample["cycle"], sample["doAs"])
    assert got["owner"] == ";yourOwners;"  # the save replaced the owners


@pytest.mark.parametrize(
    ("query", "body", "code", "in_msg"),
    [
        ({"userId": "nobody"}, save_body(), 62101, "userId"),
        ({"orgId": "o2"}, save_body(), 62101, "orgId"),
        ({"userId": "u3"}, save_body(), 62105, "locked"),
        ({"userId": "u2"}, save_body(), 62103, "not an owner"),
        ({"userId": "u4", "orgId": "o2"}, save_body(), 62103, "organization"),
        ({}, save_body(9999), 62102, "9999 does not exist"),
        ({}, save_body(cycle="X"), 62102, 'field cycle'),
        ({}, save_body(freq="0 0 0 * * *"), 62102, "0 0 0 * * *"),
        ({}, save_body(tasks=[{"taskName": "t", "x": 0, "y": 0, "taskId": "777", "nodeId": "t_777"}]),
         62102, "task 777 does not exist"),
        ({}, save_body(flows=[{"flowId": "4242", "flowName": "u", "nodeId": "f_4242", "x": 0, "y": 0}]),
         62102, "flow 4242 does not exist"),
        ({}, {k: v for k, v in save_body().items() if k != "startTime"}, 62102, "startTime"),
        ({}, {**save_body(), "alert_mode": 0, "alertMode": None}, 62102, "alertMode"),
        ({}, [1, 2], 62102, "JSON object"),
    ],
)
async def test_save_flow_rules(emulator: EmulatorServer, query: dict[str, str], body: Any,
                               code: int, in_msg: str) -> None:
    status, answer = await call(emulator, "save", body, **query)
    assert status == 200  # business errors travel in the body
    assert answer["code"] == code and in_msg in answer["msg"], answer
    assert (await stats(emulator))["saves_by_flow"] == {}


async def test_invalid_json_body_is_62102(emulator: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as session, session.post(
        f"{emulator.url}{FLOWS_URL}", params={"action": "save", **QUERY}, data=b"{not json"
    ) as response:
        answer = await response.json()
    assert answer["code"] == 62102 and "not valid JSON" in answer["msg"]


async def test_unknown_action_and_wrong_method(emulator: EmulatorServer) -> None:
    assert (await call(emulator, "fly"))[1]["code"] == 99400
    assert (await call(emulator, "save", method="GET"))[1]["code"] == 99400


async def test_find_by_name_import_export_toggle_delete(emulator: EmulatorServer) -> None:
    found = (await call(emulator, "search", {"expression": "flow2"}))[1]["data"]
    assert found == [{"flowId": "1002", "flowName": "flow2"}]
    mine = (await call(emulator, "getMyFlow", expression="flow"))[1]["data"]
    assert {m["flowId"] for m in mine} == {"1001", "1002", "1003"} and all(m["editable"] for m in mine)
    page = (await call(emulator, "search", {"pagination": {"pageNo": 2, "pageSize": 2}}))[1]["data"]
    assert [p["flowId"] for p in page] == ["1003"]
    root = (await call(emulator, "listWorkFlowDirs", resource="directories"))[1]["data"][0]
    assert root["title"] == "Workflow" and {c["key"] for c in root["children"]} == {1001, 1002, 1003}
    made = (await call(emulator, "create", {"parentId": root["key"], "dirName": "migrated"},
                       resource="directories"))[1]
    assert made["code"] == 0 and len(made["data"]["dirId"]) == 32
    again = (await call(emulator, "create", {"parentId": root["key"], "dirName": "migrated"},
                        resource="directories"))[1]
    assert again["code"] == 62102 and "same name" in again["msg"]
    flow_json = {"cycle": "D", "cron": "0 0 1 * * ? *", "owners": "alice", "visitors": "", "type": 1,
                 "parameters": "[]", "submitter": "db_x", "alertMode": 0, "startTime": "2026-12-01",
                 "tasks": [export_task("extract"), export_task("load")],
                 "relations": [{"sourceTaskName": "extract", "targetTaskName": "load", "rerun": True}]}
    created = (await call(emulator, "import", {"flowName": "brand_new", "desc": "", "dirId": made["data"]["dirId"],
                                              "flowJson": flow_json}))[1]
    assert created["code"] == 0
    new_id = str(created["data"]["flowId"])
    exported = (await call(emulator, "export", flowId=new_id))[1]["data"]
    assert exported["cron"] == "0 0 1 * * ? *" and [t["name"] for t in exported["tasks"]] == ["extract", "load"]
    assert exported["relations"] == [{"sourceTaskName": "extract", "targetTaskName": "load", "rerun": True}]
    assert (await call(emulator, "enable", {"flowId": int(new_id)}))[1]["code"] == 0
    assert (await call(emulator, "get", flowId=new_id))[1]["data"]["active"] == 1
    assert (await call(emulator, "disable", {"flowId": int(new_id)}))[1]["code"] == 0
    assert (await call(emulator, "get", flowId=new_id))[1]["data"]["active"] == 0
    assert (await call(emulator, "loadForEdit", flowId=new_id))[1]["data"]["entry"] == 1
    assert (await call(emulator, "delete", flowId=new_id))[1]["code"] == 0
    assert (await call(emulator, "get", flowId=new_id))[1]["code"] == 62102


async def test_import_refuses_a_bad_directory_and_name(emulator: EmulatorServer) -> None:
    body = {"flowName": "x", "desc": "", "dirId": "nope", "flowJson": {"cycle": "D", "cron": "0 0 0 * * ? *"}}
    assert (await call(emulator, "import", body))[1]["msg"] == "Directory does not exist"
    assert (await call(emulator, "import", {**body, "flowName": ""}))[1]["msg"] == "Invalid parameter: flowName"


async def test_delete_refused_while_another_flow_depends_on_it(emulator: EmulatorServer) -> None:
    upstream = [{"flowId": "1002", "flowName": "flow2", "nodeId": "f_1002", "x": 0.1, "y": 0.1}]
    assert (await call(emulator, "save", save_body(1001, flows=upstream)))[1]["code"] == 0
    await call(emulator, "save", save_body(1002, owners="alice"))
    assert (await call(emulator, "delete", flowId="1002"))[1]["code"] == 62104


async def test_state_survives_a_restart_in_sqlite(start_emulator: Any, tmp_path: Path) -> None:
    state_file = tmp_path / "state.sqlite"
    async with start_emulator(base_state(), state_file) as server:
        assert (await call(server, "save", save_body(1001, name="renamed")))[1]["code"] == 0
    changed = base_state()
    changed["flows"] = []  # the file, not the config, is the truth after the first start
    async with start_emulator(changed, state_file) as server:
        got = (await call(server, "get", flowId="1001"))[1]
    assert got["data"]["flowName"] == "renamed"


async def test_rate_limit_answers_429_with_retry_after(start_emulator: Any) -> None:
    async with start_emulator(base_state(limits={"rate_per_second": 3})) as server:
        async with aiohttp.ClientSession() as session:
            answers = []
            for _ in range(5):
                async with session.get(f"{server.url}{FLOWS_URL}", params={"action": "get", "flowId": "1001",
                                                                          **QUERY}) as response:
                    answers.append((response.status, response.headers.get("Retry-After"),
                                    (await response.json())["code"]))
        counters = await stats(server)
    assert answers[:3] == [(200, None, 0)] * 3
    assert answers[3] == (429, "1", 429) and answers[4][0] == 429
    assert counters["busiest_one_second_window"] == 5 and counters["answers_by_code"]["429"] == 2


async def test_faults_are_seeded_and_counted(start_emulator: Any) -> None:
    faults = {"seed": 7, "error_5xx": 0.3, "drop_before": 0.2, "drop_after_apply": 0.2}
    outcomes = []
    for _ in range(2):  # the same seed gives the same faults
        async with start_emulator(base_state(faults=faults)) as server:
            seen = []
            for _ in range(20):
                try:
                    status, _answer = await call(server, "save", save_body(1001))
                    seen.append(status)
                except aiohttp.ClientError:
                    seen.append("dropped")
            counters = await stats(server)
        outcomes.append((seen, counters["faults"]))
    assert outcomes[0] == outcomes[1]
    seen, faults_seen = outcomes[0]
    assert {500, 502, 503} & set(seen) and "dropped" in seen and 200 in seen
    assert seen.count("dropped") == faults_seen.get("drop_before", 0) + faults_seen.get("drop_after_apply", 0)
    # Applied-then-dropped saves count as saves: the client cannot know they happened.
    assert counters["saves_by_flow"]["1001"] == seen.count(200) + faults_seen.get("drop_after_apply", 0)


async def test_hang_outlasts_the_client_timeout(start_emulator: Any) -> None:
    async with start_emulator(base_state(faults={"hang": 1.0, "hang_seconds": 30})) as server:
        timeout = aiohttp.ClientTimeout(total=0.2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(TimeoutError):
                async with session.get(f"{server.url}{FLOWS_URL}", params={"action": "get", "flowId": "1001", **QUERY}):
                    pass
    # Leaving the block stopped the server although a handler was still hanging.


async def test_latency_is_applied(start_emulator: Any) -> None:
    async with start_emulator(base_state(faults={"latency_ms": 50})) as server:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await call(server, "get", flowId="1001")
        assert loop.time() - started >= 0.05


def test_emulator_command_serves_the_documented_sample(tmp_path: Path) -> None:
    """As the README shows: start `migrate emulator`, read the address it prints, save."""
    config = tmp_path / "emulator.json"
    config.write_text(json.dumps(sample_state(V21_SAMPLE, ["yourOwners", "alice"])), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "migrate.cli", "emulator", "--port", "0", "--config", str(config)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("emulator listening on http://127.0.0.1:")
        url = first.split()[-1]

        async def save() -> dict[str, Any]:
            async with aiohttp.ClientSession() as session, session.post(
                f"{url}{FLOWS_URL}", params={"action": "save", **QUERY}, json=V21_SAMPLE
            ) as response:
                data: dict[str, Any] = await response.json()
                return data

        assert asyncio.run(save())["code"] == 0
    finally:
        process.terminate()
        process.wait(timeout=10)
