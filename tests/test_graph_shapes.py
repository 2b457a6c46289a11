"""The task-graph checks and layout, worked out once a graph shape (mapping/graph.py): a shape seen
again gives what working it out afresh gives, whatever the graph (cycles, self links, dangling
relations, repeated nodes), and a caller changing what it got changes nothing for the next flow."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.mapping import graph
from migrate.mapping.graph import graph_errors, layout, task_node_id

task_ids = st.integers(min_value=1, max_value=8).map(str)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Task nodes (some with a nodeId that does not match their id, some repeated) and relations
    between them or to nodes that do not exist, cycles and self links included."""
    ids = draw(st.lists(task_ids, min_size=1, max_size=8))
    nodes = [(task_node_id(i) if draw(st.integers(0, 9)) else f"x_{i}", i) for i in ids]
    ends = st.sampled_from([node for node, _ in nodes] + ["t_99"])
    edges = draw(st.lists(st.tuples(ends, ends), max_size=12))
    return nodes, edges


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_a_shape_seen_again_gives_what_it_gives_afresh(shape: tuple[list[tuple[str, str]],
                                                                     list[tuple[str, str]]]) -> None:
    nodes, edges = shape
    node_ids = [node for node, _ in nodes]
    errors = graph._graph_errors(nodes, [], edges)
    positions = graph._layout(node_ids, edges) if len(node_ids) > 1 or edges else {node_ids[0]: (0.5, 0.05)}
    for _ in range(2):  # worked out, then from the cache
        assert graph_errors(nodes, [], edges) == errors
        assert layout(node_ids, edges) == positions


def test_what_a_caller_gets_is_its_own() -> None:
    nodes, edges = ["t_1", "t_2", "t_3"], [("t_1", "t_2"), ("t_2", "t_3"), ("t_3", "t_1")]
    positions = layout(nodes, edges)
    errors = graph_errors([(n, n[2:]) for n in nodes], [], edges)
    assert errors == ["relations form a cycle: t_1 -> t_2 -> t_3 -> t_1"]
    positions["t_1"] = (0.0, 0.0)  # type: ignore[index]
    errors.append("changed")
    assert layout(nodes, edges)["t_1"] != (0.0, 0.0)
    assert graph_errors([(n, n[2:]) for n in nodes], [], edges) == ["relations form a cycle: t_1 -> t_2 -> t_3 -> t_1"]


def test_a_large_graph_is_worked_out_every_time() -> None:
    nodes = [task_node_id(str(i)) for i in range(1, 101)]
    edges = [(nodes[i], nodes[i + 1]) for i in range(99)]
    before = graph._shape_layout.cache_info().currsize
    positions = layout(nodes, edges)
    assert graph._shape_layout.cache_info().currsize == before  # not kept: memory stays small
    assert positions[nodes[-1]][0] > positions[nodes[0]][0]
    assert graph_errors([(n, n[2:]) for n in nodes], [], edges) == []


def test_a_position_that_is_not_a_number_is_named_by_its_task_and_axis() -> None:
    """A blank position is the layout's; a written one that is no number is the flow's error,
    naming the task's place in the list and the axis."""
    from migrate.config import MappingSettings, TaskSettings
    from migrate.mapping.flows import FlowDraft, _build_graph, _TaskRow

    draft = FlowDraft(source_key="f", rows=[1])
    settings = MappingSettings(tasks=TaskSettings(task_id="task_id"))
    _build_graph(draft, [_TaskRow("1", "a", [], "", ""), _TaskRow("2", "b", ["1"], "0.5", "north")], settings)
    assert [(e.field, e.value) for e in draft.errors] == [("tasks[1].y", '"north"')]
    assert draft.body["tasks"][0]["x"] == layout(["t_1", "t_2"], [("t_1", "t_2")])["t_1"][0]
    assert draft.body["tasks"][1]["x"] == 0.5
