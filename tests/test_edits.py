"""The edits of `migrate edit` (reconcile/edits.py), without I/O: each edit checked before the
service is read, and applied to one flow's snapshot line exactly; the owner swap as a property
(hypothesis): order kept, no repeats, nothing else touched."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrate.reconcile.edits import (
    EditError,
    EditRefused,
    Edits,
    apply_edits,
    edits_from_arguments,
    edits_from_table,
    merged,
    replaced,
)
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.timezone import shift_freq


def line(**graph: Any) -> dict[str, Any]:
    """A snapshot line as engine/export.py writes it (Get Flow's answer, the graph an object)."""
    base = {"id": "7", "name": "f", "freq": "0 0 2 * * ? *", "cycle": "D", "alertMode": 0, "doAs": "db",
            "owners": "alice;bob", "visitors": "eve", "startTime": "2026-12-01", "active": 1,
            "parameters": '[{"key":"env","value":"prod"}]', "desc": "d", "queue": "", "tasks": [], "flows": [],
            "relations": []}
    base.update(graph)
    return {"flowId": 7, "flowName": "f", "owner": ";alice;bob;", "visitor": ";eve;", "freq": base["freq"],
            "graph": base, "updateTime": "2026-11-01 10:00:00.000"}


def one(**table: Any) -> Edits:
    return edits_from_table(table)


def test_set_replace_parameters_and_schedule_change_the_graph_and_its_top_level_copies() -> None:
    edited = apply_edits(line(), one(set={"alertMode": 2, "queue": "q2"}, replace={"owners": "bob -> carol"},
                                     add_parameters={"tier": "gold", "env": "test"}, remove_parameters=[],
                                     schedule="0 30 4 ? * MON-FRI *"))
    graph = edited["graph"]
    assert (graph["alertMode"], graph["queue"], graph["owners"], edited["owner"]) == (2, "q2", "alice;carol",
                                                                                      ";alice;carol;")
    assert json.loads(graph["parameters"]) == [{"key": "env", "value": "test"}, {"key": "tier", "value": "gold"}]
    assert (graph["freq"], graph["cycle"], edited["freq"]) == ("0 30 4 ? * MON-FRI *", "W", "0 30 4 ? * MON-FRI *")
    assert line()["graph"]["queue"] == ""  # the line given is not changed


def test_a_parameter_removed_and_a_list_of_parameters_stays_a_list() -> None:
    edited = apply_edits(line(parameters=[{"key": "env", "value": "p"}, {"key": "x", "value": "1"}]),
                         one(remove_parameters=["env"]))
    assert edited["graph"]["parameters"] == [{"key": "x", "value": "1"}]


def test_a_shift_that_has_no_quartz_form_refuses_that_flow_only() -> None:
    with pytest.raises(EditRefused, match=r"^0 0 2,23 \? \* MON \* moved \+120 minutes has no Quartz form"):
        apply_edits(line(freq="0 0 2,23 ? * MON *"), one(shift_schedule="+2h"))
    assert apply_edits(line(freq="0 30 23 ? * MON-FRI *"), one(shift_schedule="+1h"))["graph"]["freq"] == \
        "0 30 0 ? * 3-7 *"  # Monday 23:30 one hour later is Tuesday 00:30


@pytest.mark.parametrize(("table", "message"), [
    ({"set": {"active": 0}}, "migrate enable"),
    ({"set": {"name": "x"}}, "rename the job there (the next run renames the flow)"),
    ({"set": {"colour": "red"}}, "not a field an edit sets"),
    ({"set": {"alertMode": 4}}, "not one of 0, 1, 2, 3"),
    ({"set": {"alertMode": True}}, "not one of"),
    ({"set": {"type": "1x"}}, "not one of 0, 1"),
    ({"set": {"startTime": "2026-02-30"}}, "not a date"),
    ({"set": {"owners": " ; "}}, "at least one owner"),
    ({"replace": {"queue": "a -> b"}}, "owners and visitors"),
    ({"replace": {"owners": "alice"}}, "'old -> new'"),
    ({"set": {"owners": "a"}, "replace": {"owners": "a -> b"}}, "both set and replaced"),
    ({"add_parameters": {"k": "v"}, "remove_parameters": ["k"]}, "both added and removed"),
    ({"add_parameters": {"k": [1]}}, "a string or a number"),
    ({"remove_parameters": [" "]}, "names no parameter"),  # it removed nothing, and the plan said nothing
    ({"schedule": "0 0 2 30 2 ? *"}, "IMPOSSIBLE_DATE"),
    ({"schedule": "0 0 2 * * ? *", "shift_schedule": "+1h"}, "choose one"),
    ({"shift_schedule": "1h"}, "a signed time"),
    ({"shift_schedule": "+24h"}, "whole days"),
    ({"rename": {}}, "has no key rename"),
])
def test_an_edit_that_cannot_be_used_is_refused_with_its_reason(table: dict[str, Any], message: str) -> None:
    with pytest.raises(EditError, match=re.escape(message)):
        edits_from_table(table)


def test_the_command_line_spells_the_same_edits_and_adds_to_a_runbook() -> None:
    from_line = edits_from_arguments(["alertMode=1"], ["owners=alice->bob"], ["env=dev"], ["old"], None, "-30m")
    assert from_line == one(set={"alertMode": 1}, replace={"owners": "alice -> bob"}, add_parameters={"env": "dev"},
                            remove_parameters=["old"], shift_schedule="-30m")
    both = merged(one(set={"queue": "q"}, schedule="0 0 1 * * ? *"), edits_from_arguments(["queue=r"], [], [], [],
                                                                                           None, None))
    assert both.set == {"queue": "r"} and both.schedule == "0 0 1 * * ? *"
    with pytest.raises(EditError, match="FIELD=VALUE"):
        edits_from_arguments(["alertMode"], [], [], [], None, None)


names = st.lists(st.sampled_from(["alice", "bob", "carol", "dave", "eve"]), min_size=1, max_size=6)


@given(names, st.sampled_from(["alice", "bob", "zed"]), st.sampled_from(["bob", "carol", "new"]))
def test_a_replace_keeps_the_order_and_never_repeats_a_name(owners: list[str], old: str, new: str) -> None:
    before = list(dict.fromkeys(owners))
    after = replaced(before, ((old, new),))
    assert len(after) == len(set(after))  # no repeats
    assert (old in after) == (old in before and old == new)  # old is gone (unless it is new)
    assert (new in after) == (new in before or old in before)
    # everyone else keeps their order; new stands where the first of old and new stood
    assert [n for n in after if n != new] == [n for n in before if n not in (old, new)]
    if new in after:
        first = min(before.index(n) for n in (old, new) if n in before)
        assert after.index(new) == len([n for n in before[:first] if n not in (old, new)])


@given(st.sampled_from(["0 0 2 * * ? *", "0 30 23 ? * MON-FRI *", "0 15 3 ? * 2#1 *", "0 0 0 L * ? *",
                        "0 0/15 * * * ? *", "0 45 22 1,15 * ? *"]),
       st.integers(min_value=-23 * 60, max_value=23 * 60).filter(lambda m: m % 15 == 0))
def test_a_shift_fires_every_time_exactly_that_much_later(freq: str, minutes: int) -> None:
    """The shifted freq against Quartz's evaluator: its fire times are the old ones, moved."""
    from datetime import datetime, timedelta
    from itertools import islice

    from migrate.schedule.result import Rejected

    shifted = shift_freq(freq, minutes)
    if isinstance(shifted, Rejected):
        assert shifted.code == "SHIFT_REFUSED"
        return  # no Quartz form: refused, and that flow left alone (above)
    old = [t + timedelta(minutes=minutes) for t in islice(parse_quartz(freq).fire_times(datetime(2026, 12, 1)), 60)]
    new = list(islice(parse_quartz(shifted.freq).fire_times(old[0] - timedelta(seconds=1)), 60))
    assert new == old


@pytest.mark.parametrize("as_text", [True, False])
def test_a_parameter_that_is_there_gets_the_new_value_alone(as_text: bool) -> None:
    """`--add-parameter env=staging` on a flow with env=prod, and no other change: the value was set
    in place in the very dict the unedited list held, so the two compared equal and the flow was
    `unchanged` (found by a reviewer's round trip)."""
    pairs = [{"key": "env", "value": "prod"}, {"key": "x", "value": "1"}]
    edited = apply_edits(line(parameters=json.dumps(pairs) if as_text else pairs), one(add_parameters={"env": "staging"}))
    parameters = edited["graph"]["parameters"]
    assert (json.loads(parameters) if as_text else parameters) == [{"key": "env", "value": "staging"},
                                                                   {"key": "x", "value": "1"}]
