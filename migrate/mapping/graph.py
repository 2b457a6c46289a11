"""Task-graph rules of a Save Flow body: node ids, dangling edges, cycles; and canvas layout."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

TASK_PREFIX, FLOW_PREFIX = "t_", "f_"


def task_node_id(task_id: str) -> str:
    return f"{TASK_PREFIX}{task_id}"


def flow_node_id(flow_id: str) -> str:
    return f"{FLOW_PREFIX}{flow_id}"


# Graphs up to this many nodes and edges are worked out once a shape: flows of a profile repeat a
# few shapes (tasks numbered 1, 2, 3 in a chain) over thousands of flows; larger ones every time.
SHAPES_CACHED = 64


def graph_errors(
    task_nodes: Sequence[tuple[str, str]],
    flow_nodes: Sequence[tuple[str, str]],
    edges: Sequence[tuple[str, str]],
) -> list[str]:
    """Every inconsistency of a graph, as sentences; empty when the graph is sound.

    task_nodes and flow_nodes are (nodeId, id) pairs; edges are (source, target) nodeIds.
    """
    shape = (tuple(task_nodes), tuple(flow_nodes), tuple(edges))
    if len(shape[0]) + len(shape[1]) + len(shape[2]) <= SHAPES_CACHED:
        return list(_shape_errors(*shape))
    return _graph_errors(*shape)


@functools.lru_cache(maxsize=4096)
def _shape_errors(task_nodes: tuple[tuple[str, str], ...], flow_nodes: tuple[tuple[str, str], ...],
                  edges: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(_graph_errors(task_nodes, flow_nodes, edges))


def _graph_errors(
    task_nodes: Sequence[tuple[str, str]],
    flow_nodes: Sequence[tuple[str, str]],
    edges: Sequence[tuple[str, str]],
) -> list[str]:
    errors: list[str] = []
    seen: set[str] = set()
    for node_id, task_id in task_nodes:
        if node_id != task_node_id(task_id):
            errors.append(f"task {task_id}: nodeId {node_id!r} must be {task_node_id(task_id)!r}")
    for node_id, flow_id in flow_nodes:
        if node_id != flow_node_id(flow_id):
            errors.append(f"flow {flow_id}: nodeId {node_id!r} must be {flow_node_id(flow_id)!r}")
    for node_id, _ in [*task_nodes, *flow_nodes]:
        if node_id in seen:
            errors.append(f"nodeId {node_id!r} appears more than once")
        seen.add(node_id)
    for source, target in edges:
        for end, node_id in (("source", source), ("target", target)):
            if node_id not in seen:
                errors.append(f"relation {source}->{target}: {end} {node_id!r} is not a node")
        if source == target:
            errors.append(f"relation {source}->{target} links a node to itself")
    cycle = find_cycle(edges)
    if cycle:
        errors.append("relations form a cycle: " + " -> ".join(cycle))
    return errors


def find_cycle(edges: Iterable[tuple[str, str]]) -> list[str]:
    """A cycle among the edges as a node path (first node repeated at the end), or []."""
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        if source != target:
            successors[source].append(target)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in list(successors):
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, index = stack[-1]
            children = successors.get(node, [])
            if index < len(children):
                stack[-1] = (node, index + 1)
                child = children[index]
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if not state.get(child):
                    state[child] = 1
                    stack.append((child, 0))
                    path.append(child)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return []


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> Mapping[str, tuple[float, float]]:
    """Canvas positions in (0, 1): columns by longest path from a root, rows in input order.

    Assumes an acyclic graph (check graph_errors first); nodes on a cycle land in column 0.
    """
    if len(nodes) == 1 and not edges:  # the common case, a flow of one task
        return {nodes[0]: (0.5, 0.05)}
    if len(nodes) + len(edges) <= SHAPES_CACHED:
        return dict(_shape_layout(tuple(nodes), tuple(edges)))
    return _layout(nodes, edges)


@functools.lru_cache(maxsize=4096)
def _shape_layout(nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...]) -> Mapping[str, tuple[float, float]]:
    return _layout(nodes, edges)


def _layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    predecessors: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        predecessors[target].append(source)
    depth: dict[str, int] = {}

    def depth_of(node: str, visiting: frozenset[str] = frozenset()) -> int:
        if node not in depth:
            parents = [p for p in predecessors.get(node, []) if p not in visiting]
            depth[node] = 1 + max((depth_of(p, visiting | {node}) for p in parents), default=-1)
        return depth[node]

    rows: dict[int, int] = defaultdict(int)
    columns = max((depth_of(n) for n in nodes), default=0) + 1
    positions: dict[str, tuple[float, float]] = {}
    for node in nodes:
        column = depth_of(node)
        row = rows[column]
        rows[column] += 1
        positions[node] = (round((column + 1) / (columns + 1), 4), round(min(0.95, 0.05 + 0.05 * row), 4))
    return positions
