"""The Save Flow body model: documented samples accepted verbatim, bad fields named with values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from migrate.service.model import FlowPayload, field_errors

# enos-batch-api.md §3.6: the v2.1 Save sample (string ids, "parameters": "[]", ;-wrapped owners).
V21_SAMPLE = json.loads("""{
  "id": "2515", "type": 1, "name": "fpostm", "freq": "0 0 0 * * ? *", "cycle": "D",
  "alertMode": 3, "doAs": "yourDoAs", "parameters": "[]", "owners": ";yourOwners;",
  "desc": "e", "startTime": "2019-07-23", "visitors": ";yourVisitors;", "active": 0, "queue": "",
  "tasks": [
    {"taskName": "tass", "x": 0.0132, "y": 0.008100000381469727, "taskId": "104575", "nodeId": "t_104575"},
    {"taskName": "gg",   "x": 0.0084, "y": 0.014199999237060546, "taskId": "104590", "nodeId": "t_104590"},
    {"taskName": "dff",  "x": 0.0352, "y": 0.008300002288818359, "taskId": "104901", "nodeId": "t_104901"}
  ],
  "flows": [
    {"isVirtual": false, "flowId": "2788", "x": 0.0186, "flowName": "jin", "y": 0.0016999999046325683, "nodeId": "f_2788"},
    {"flowId": "2819", "flowName": "104891(tass)", "nodeId": "f_2819", "isVirtual": true, "x": 0.0125, "y": 0.023800001525878908}
  ],
  "relations": [
    {"cycleGap": "D0", "source": "t_104575", "rerun": true,  "target": "t_104590"},
    {"cycleGap": "D0", "source": "f_2788",   "rerun": false, "target": "t_104575"}
  ]
}""")

# save-flow-seed-zh.txt: the original page's request sample.
SEED_SAMPLE = json.loads("""{
    "id":"3381", "type":1, "name":"apimtest2", "freq":"0 0 0 * * ? *", "cycle":"D", "alertMode":3,
    "doAs":"your_bd_account", "parameters":"[]", "owners":"yourOwners", "desc":"e",
    "startTime":"2019-07-24", "visitors":"yourVisitors", "active":0, "queue":"",
    "tasks":[{"taskName":"tass", "taskId":"105760", "x":0.0086, "y":0.004700000381469727, "nodeId":"t_105760"}],
    "flows":[], "relations":[]
}""")


@pytest.mark.parametrize("sample", [V21_SAMPLE, SEED_SAMPLE], ids=["v2.1-sample", "seed-sample"])
def test_documented_samples_are_accepted_verbatim(sample: dict[str, Any]) -> None:
    payload = FlowPayload.model_validate(sample)
    wire = payload.wire()
    assert wire["id"] == sample["id"]
    assert wire["owners"] == sample["owners"]
    assert wire["tasks"][0]["y"] == sample["tasks"][0]["y"]  # floats survive the round trip


def errors_of(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        FlowPayload.model_validate(body)
    return {e.field: (e.value, e.message) for e in field_errors(raised.value)}


@pytest.mark.parametrize(
    ("field", "value", "expected_in_message"),
    [
        ("type", 3, "0, 1 or 2"), ("type", "1", "0, 1 or 2"), ("cycle", "Y", "'mi'"),
        ("alertMode", 4, "0, 1, 2 or 3"), ("active", True, "not a boolean"), ("id", "12a", "numeric"),
        ("id", -5, "non-negative"), ("freq", "0 0 0 * * *", "exactly one"), ("freq", "0 0 0 * * ?", "7 fields"),
        ("startTime", "2019-02-30", "calendar date"), ("startTime", "24/07/2019", "YYYY-MM-DD"),
        ("parameters", "{bad", "not valid JSON"), ("parameters", '[{"key": "a"}]', "value"),
        ("name", "", "at least 1"), ("owners", 7, "valid string"),
    ],
)
def test_bad_field_is_named_with_its_value(field: str, value: Any, expected_in_message: str) -> None:
    found = errors_of({**SEED_SAMPLE, field: value})
    matching = {k: v for k, v in found.items() if k.split("[")[0].split(".")[0] == field}
    assert matching, found
    shown, message = next(iter(matching.values()))
    assert expected_in_message in message or expected_in_message in shown
    assert json.dumps(value) in shown or field == "parameters"


def test_missing_field_is_reported_as_required() -> None:
    body = dict(SEED_SAMPLE)
    del body["doAs"]
    assert errors_of(body)["doAs"] == ("missing", "is required")


def test_ids_accepted_as_integers_and_sent_as_strings() -> None:
    body = {**SEED_SAMPLE, "id": 3381, "tasks": [{**SEED_SAMPLE["tasks"][0], "taskId": 105760}]}
    wire = FlowPayload.model_validate(body).wire()
    assert wire["id"] == "3381" and wire["tasks"][0]["taskId"] == "105760"


def test_parameters_as_list_become_the_documented_string() -> None:
    body = {**SEED_SAMPLE, "parameters": [{"key": "env", "value": "product"}]}
    assert FlowPayload.model_validate(body).parameters == '[{"key":"env","value":"product"}]'


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"tasks": [{"taskName": "a", "x": 0, "y": 0, "taskId": "1", "nodeId": "t_2"}]}, "must be 't_1'"),
        ({"flows": [{"flowId": "9", "flowName": "u", "nodeId": "t_9", "x": 0, "y": 0}]}, "must be 'f_9'"),
        ({"tasks": [{"taskName": "a", "x": 0, "y": 0, "taskId": "1", "nodeId": "t_1"}] * 2}, "more than once"),
        ({"relations": [{"cycleGap": "D0", "source": "t_105760", "target": "t_1", "rerun": True}]}, "not a node"),
        ({"tasks": [{"taskName": "a", "x": 0, "y": 0, "taskId": "1", "nodeId": "t_1"},
                    {"taskName": "b", "x": 0, "y": 0, "taskId": "2", "nodeId": "t_2"}],
          "relations": [{"cycleGap": "D0", "source": "t_1", "target": "t_2", "rerun": True},
                        {"cycleGap": "D0", "source": "t_2", "target": "t_1", "rerun": True}]}, "cycle"),
    ],
)
def test_graph_rules(change: dict[str, Any], expected: str) -> None:
    found = errors_of({**SEED_SAMPLE, **change})
    assert expected in found["graph"][1]


@given(st.integers(min_value=0, max_value=10**18))
def test_any_non_negative_integer_id_round_trips(flow_id: int) -> None:
    for given_id in (flow_id, str(flow_id)):
        assert FlowPayload.model_validate({**SEED_SAMPLE, "id": given_id}).id == str(flow_id)
