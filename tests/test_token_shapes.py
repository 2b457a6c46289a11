"""Token problems in both shapes the gateway may use (issue 17, item 1), over real HTTP.

The documented codes say a token expired (1203) but not in which envelope or with which HTTP
status; the emulator answers HTTP 401 `{status: 1203}` by default. The vendor's Python SDK
(enos-poseidon 0.2.0) reads token state only from `apim_status` in answers it takes for
successes: 4011 (renew, with `apim_refreshtoken`) or 4012 (get a new token). The emulator can
answer so (`auth.token_problems = "apim_status"`), and the client renews on either, once for
every worker that met the lapsed token.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FLOWS_URL, QUERY, base_state, export_rows, write_config
from test_auth import APPS, TOKEN_URL, app_env, post, run_json, token_body

from migrate.service.answers import FATAL_CODES, read_envelope
from migrate.service.signing import request_signature

__all__ = ["app_env"]  # the fixture, used by name


def signed_headers(token: str, query: dict[str, str], body: bytes) -> dict[str, str]:
    stamp = int(time.time() * 1000)
    return {"apim-accesstoken": token, "apim-timestamp": str(stamp),
            "apim-signature": request_signature(token, query, body, stamp, APPS["applications"][0]["app_secret"])}


@pytest.mark.parametrize("lapse_as, apim_status", [("expire", 4011), ("forget", 4012)])
async def test_the_apim_status_shape_is_http_200_with_neither_code_nor_status(
        start_emulator: Any, lapse_as: str, apim_status: int) -> None:
    auth = {"token_problems": "apim_status", "lapse_tokens_after_requests": 1, "lapse_tokens_as": lapse_as}
    async with start_emulator(base_state(applications=APPS["applications"], auth=auth)) as server:
        token = (await post(server, f"{TOKEN_URL}/get", token_body()))[1]["data"]["accessToken"]
        query, body = {"action": "enable", **QUERY}, b'{"flowId": 1001}'
        first = await post(server, FLOWS_URL, body, signed_headers(token, query, body), query)
        assert first[0] == 200 and first[1]["code"] == 0  # the one request before the token lapses
        status, answer = await post(server, FLOWS_URL, body, signed_headers(token, query, body), query)
    assert status == 200 and "code" not in answer and "status" not in answer
    assert answer["apim_status"] == apim_status
    assert ("apim_refreshtoken" in answer) == (apim_status == 4011)  # only a renewal carries one


async def test_the_default_shape_is_http_401_with_status_1203(start_emulator: Any) -> None:
    auth = {"lapse_tokens_after_requests": 0}
    async with start_emulator(base_state(applications=APPS["applications"], auth=auth)) as server:
        query, body = {"action": "enable", **QUERY}, b'{"flowId": 1001}'
        status, answer = await post(server, FLOWS_URL, body, signed_headers("never-issued", query, body), query)
    assert (status, answer["status"]) == (401, 1203) and "apim_status" not in answer


@pytest.mark.parametrize("raw, code", [
    (b'{"apim_status": 4011, "apim_refreshtoken": "r1"}', 4011),
    (b'{"apim_status": 4012}', 4012),
    (b'{"code": 0, "msg": "OK", "apim_status": 4012}', 4012),  # the SDK reads apim_status first
    (b'{"code": 0, "msg": "OK", "apim_status": 200, "data": {}}', 0),  # any other value: the answer as it is
    (b'{"status": 1203, "msg": "Access token expired"}', 1203),
])
def test_the_client_reads_either_shape(raw: bytes, code: int) -> None:
    answer = read_envelope(200, raw, None)
    assert answer.code == code
    assert (code in FATAL_CODES) == (code != 0)  # still refused after one renewal: no request can pass


@pytest.mark.parametrize("shape, lapse_as, refusal", [
    ("status_401", "expire", "1203"),
    ("apim_status", "expire", "4011"),
    ("apim_status", "forget", "4012"),
])
def test_a_token_lapsing_mid_run_is_renewed_once_for_sixteen_workers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], app_env: None,
        shape: str, lapse_as: str, refusal: str) -> None:
    """The token lapses after 60 requests, while 16 workers have requests in flight with it; the
    client had no way to see it coming (its lifetime is 7,200 s). Every flow is saved, with one
    token request to start and exactly one renewal, whatever the shape of the refusal."""
    flows = 240
    auth = {"token_problems": shape, "lapse_tokens_after_requests": 60, "lapse_tokens_as": lapse_as}
    state = base_state(flows=flows, tasks_per_flow=1, applications=APPS["applications"], auth=auth)
    config = write_config(tmp_path, state=state, rows=export_rows(flows),
                          run={"concurrency": 16, "rate_per_second": 5000})
    code, report, lines = run_json(capsys, config)
    assert code == 0, report
    assert report["by_status"] == {"saved": flows} and len(lines) == flows
    emulator = report["emulator"]
    assert emulator["token_requests"] == 2, emulator  # the first token, and one renewal for all
    assert emulator["token_answers_by_code"] == {"0": 2}
    refused = emulator["answers_by_code"].get(refusal, 0)
    assert 1 <= refused <= 16, emulator  # at most each worker's request in flight, each resent once
    assert set(emulator["answers_by_code"]) == {"0", refusal}
    assert all(line["attempts"] == 1 for line in lines)  # a resend after renewal is not a retry



@pytest.mark.parametrize("shape", ["status_401", "apim_status"])
def test_a_renewal_that_cannot_be_had_leaves_the_flows_it_stopped_not_attempted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], app_env: None, shape: str) -> None:
    """The token lapses after 60 requests and the application is revoked after its first token,
    so the renewal is refused (1002): the run stops (exit 4). The requests that met the lapsed
    token were refused by the gateway for it, never applied: their flows are `not_attempted`
    with the refusal's code, like every flow after them, never `failed` (which says a request
    may have landed)."""
    flows = 240
    auth = {"token_problems": shape, "lapse_tokens_after_requests": 60, "revoke_application_after_tokens": 1}
    state = base_state(flows=flows, tasks_per_flow=1, applications=APPS["applications"], auth=auth)
    config = write_config(tmp_path, state=state, rows=export_rows(flows),
                          run={"concurrency": 16, "rate_per_second": 5000})
    code, report, lines = run_json(capsys, config)
    assert code == 4, report
    assert set(report["by_status"]) == {"saved", "not_attempted"}, report["by_status"]
    assert report["by_status"]["saved"] == 60 and report["emulator"]["answers_by_code"]["0"] == 60
    met_the_lapse = [line for line in lines if line["status"] == "not_attempted" and line["attempts"] == 0
                     and line.get("code") == 1002]
    assert met_the_lapse and all("appKey does not exist" in line["msg"] for line in met_the_lapse)


def test_an_edit_whose_renewal_cannot_be_had_leaves_the_flows_it_stopped_not_attempted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], app_env: None) -> None:
    """The same with a runbook's edit: each flow is read again to check it against the plan before
    its save; those whose read met the lapsed token were `failed` ("could not be read to check the
    plan: not attempted"), where nothing of them was tried (found by an operator revoking a key)."""
    import json

    from conftest import run_cli

    auth = {"lapse_tokens_after_requests": 200, "revoke_application_after_tokens": 1}  # while it saves
    state = base_state(flows=120, tasks_per_flow=1, applications=APPS["applications"], auth=auth)
    config = write_config(tmp_path, state=state, rows=export_rows(1), run={"concurrency": 8, "rate_per_second": 5000})
    config.write_text(config.read_text(encoding="utf-8").replace(
        'emulator_config = "state.json"', 'emulator_config = "state.json"\nemulator_state = "emulator.sqlite"'),
        encoding="utf-8")
    code, out, err = run_cli(capsys, "edit", "--config", str(config), "--set", "queue=q2", "--apply", "--json",
                             "--run-id", "e1")
    report = json.loads(out)
    assert code == 4 and "failed" not in report["by_status"], (err, report["by_status"])
    assert report["by_status"].get("not_attempted"), report["by_status"]
