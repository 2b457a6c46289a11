"""A workflow as a flow's tasks: its nodes, `ok` transitions, `fork` and `join` as the tasks'
relations (a `decision` refused, a loop refused), `error` transitions reported (kill nodes, error
paths, error e-mails), each action a task (its command written by actions.py), a sub-workflow of the
export laid out inside it (`<node>.<action>`); `fill_workflow` puts the tasks in the flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from migrate.sources.profiles.oozie.actions import command
from migrate.sources.profiles.oozie.applications import App, find_app
from migrate.sources.profiles.oozie.context import Context, Task, parameters
from migrate.sources.profiles.oozie.elements import child, children, local, properties, text
from migrate.sources.profiles.oozie.expressions import Scope
from migrate.sources.profiles.oozie.messages import Malformed, listed

MAX_DEPTH = 10  # sub-workflows inside sub-workflows


@dataclass
class Node:
    name: str
    kind: str  # start, end, kill, action, fork, join, decision
    element: Element
    ok: list[str] = field(default_factory=list)  # the transitions taken on success
    error: str = ""
    body: Element | None = None  # an action's own element (<shell>, <hive>, ...)

    @property
    def action_kind(self) -> str:
        return local(self.body.tag) if self.body is not None else ""


def _nodes(app: App) -> dict[str, Node]:
    nodes: dict[str, Node] = {}

    def add(node: Node) -> None:
        if node.name in nodes:
            raise Malformed("MALFORMED_APP", f"{app.path}: two nodes are named {node.name!r}")
        nodes[node.name] = node

    for element in app.root:
        tag = local(element.tag)
        name = element.get("name", "")
        if tag == "start":
            add(Node(":start", "start", element, [element.get("to", "")]))
        elif tag in ("end", "kill"):
            add(Node(name, tag, element))
        elif tag == "fork":
            add(Node(name, "fork", element, [p.get("start", "") for p in children(element, "path")]))
        elif tag == "join":
            add(Node(name, "join", element, [element.get("to", "")]))
        elif tag == "decision":
            switch = child(element, "switch")
            targets = [c.get("to", "") for c in children(switch, "case")] + [
                d.get("to", "") for d in children(switch, "default")]
            add(Node(name, "decision", element, targets))
        elif tag == "action":
            ok, error = child(element, "ok"), child(element, "error")
            body = next((c for c in element if local(c.tag) not in ("ok", "error", "info")), None)
            add(Node(name, "action", element, [ok.get("to", "") if ok is not None else ""],
                     error.get("to", "") if error is not None else "", body))
    if ":start" not in nodes:
        raise Malformed("MALFORMED_APP", f"{app.path}: the workflow has no <start>")
    for node in nodes.values():
        for target in [*node.ok, *([node.error] if node.error else [])]:
            if target not in nodes:
                raise Malformed("BROKEN_TRANSITION", f"{app.path}: node {node.name.lstrip(':')!r} goes to "
                                                     f"{target!r}, which the workflow does not define")
    return nodes


def _reached(nodes: dict[str, Node], first: list[str]) -> list[str]:
    seen: list[str] = []
    stack = list(reversed(first))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.append(name)
        stack.extend(reversed(nodes[name].ok))
    return seen


def _ordered(app: App, nodes: dict[str, Node], reached: list[str]) -> list[str]:
    """The success graph's nodes in topological order (document order among equals)."""
    incoming = {name: 0 for name in reached}
    for name in reached:
        for target in nodes[name].ok:
            incoming[target] += 1
    ready = [name for name in reached if not incoming[name]]
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for target in nodes[name].ok:
            incoming[target] -= 1
            if not incoming[target]:
                ready.append(target)
    if len(order) != len(reached):
        looping = [name for name in reached if name not in order]
        raise Malformed("WORKFLOW_CYCLE", f"{app.path}: the transitions between {listed(looping)} form a loop "
                                          "(Oozie refuses such a workflow)")
    return order


def _workflow(app: App, scope: Scope, ctx: Context, prefix: str, entry: frozenset[str], depth: int) -> frozenset[str]:
    """Lay out a workflow's actions as tasks after `entry`; the tasks its `end` waits on."""
    if depth > MAX_DEPTH:
        raise Malformed("MALFORMED_APP", f"{app.path}: sub-workflows nested more than {MAX_DEPTH} deep (a "
                                         "sub-workflow that calls itself?)")
    ctx.used.add(app.path)
    scope = parameters(child(app.root, "parameters"), scope, ctx, app.path)
    if child(app.root, "info") is not None:
        ctx.note("SLA", f"{app.path} (the workflow)")
    nodes = _nodes(app)
    reached = _reached(nodes, [":start"])
    order = _ordered(app, nodes, reached)
    found_in: dict[str, frozenset[str]] = {":start": entry}
    out: dict[str, frozenset[str]] = {}
    exits: frozenset[str] = frozenset()
    for name in order:
        node = nodes[name]
        before = found_in.get(name, frozenset())
        if node.kind == "action":
            out[name] = _action(app, node, scope, ctx, prefix, before, depth)
        elif node.kind == "decision":
            cases = [f"{c.get('to')} if {text(c)}" for c in children(child(node.element, "switch"), "case")]
            raise Malformed("DECISION_NODE", f"{app.path}: decision {name!r} chooses which actions run "
                                             f"({listed(cases, 3)}, else {node.ok[-1] if node.ok else '?'}): a flow "
                                             "runs every task, so it would run every branch; rewrite the choice as a "
                                             "script in one action")
        else:
            out[name] = before
        if node.kind == "end":
            exits |= before
        if node.kind == "kill":
            ctx.note("KILL_NODE", f"{prefix}{name} is reached without an error (the workflow then fails): "
                                  f"{text(node.element, 'message')[:120]}")
        for target in node.ok:
            found_in[target] = found_in.get(target, frozenset()) | out[name]
    _error_paths(app, nodes, reached, scope, ctx, prefix)
    unreached = [n.name for n in nodes.values() if n.name not in reached and n.kind not in ("kill", "end")
                 and not _on_error_path(nodes, reached, n.name)]
    if unreached:
        ctx.note("UNREACHABLE_NODE", f"{app.path}: {listed(unreached)} (no transition leads there)")
    return exits


def _on_error_path(nodes: dict[str, Node], reached: list[str], name: str) -> bool:
    starts = [nodes[r].error for r in reached if nodes[r].error]
    return name in _reached(nodes, starts) if starts else False


def _error_paths(app: App, nodes: dict[str, Node], reached: list[str], scope: Scope, ctx: Context,
                 prefix: str) -> None:
    """Where actions go on failure: a kill fails the workflow, as a failed task fails a flow;
    anything else is a path a flow cannot take."""
    kills: dict[str, str] = {}
    handled: dict[str, list[str]] = {}  # error target -> the actions that go there
    for name in reached:
        node = nodes[name]
        if node.kind != "action" or not node.error:
            continue
        target = nodes[node.error]
        if target.kind == "kill":
            kills[target.name] = text(target.element, "message")
        elif target.kind == "end":
            ctx.note("ERROR_PATH", f"a failure of {prefix}{name} ended the workflow as a success (error to "
                                   f"{node.error}); a flow fails when one of its tasks does")
        elif node.error in reached:
            ctx.note("ERROR_PATH", f"{prefix}{name} goes on to {prefix}{node.error} when it fails too; a flow runs "
                                   f"it only after {prefix}{name} succeeds")
        else:
            handled.setdefault(node.error, []).append(f"{prefix}{name}")
    for goal, failing in handled.items():
        path = _reached(nodes, [goal])
        handlers = [h for h in path if nodes[h].kind == "action"]
        sent = {h: _recipients(app, nodes[h], scope, ctx, prefix) for h in handlers}
        emails = [h for h, recipients in sent.items() if recipients is not None]
        when = f"when {listed(failing, 4)} failed"
        if emails:
            ctx.flow.cells["alert"] = "1"
            recipients = [r for h in emails for r in sent[h] or []]
            ctx.note("ERROR_EMAIL", f"{listed([prefix + e for e in emails])} e-mailed {listed(recipients)} {when}: "
                                    "the flow's e-mail alerts are on instead (to its owners)")
        rest = [prefix + h for h in handlers if h not in emails]
        if rest or not handlers:
            what = f"ran {listed(rest)}" if rest else f"went to {prefix}{goal}"
            ctx.note("ERROR_PATH", f"the workflow {what} {when}: not tasks of the flow (they would run on success)")
        kills.update({h: text(nodes[h].element, "message") for h in path if nodes[h].kind == "kill"})
    for kill, message in kills.items():
        ctx.note("KILL_NODE", f"{prefix}{kill}: {message[:160] or '(no message)'}")


def _recipients(app: App, node: Node, scope: Scope, ctx: Context, prefix: str) -> list[str] | None:
    """Who an error handler e-mailed: an email action, or a sub-workflow of the export that only
    sends e-mail (a shared "send error e-mail" workflow); None for any other action."""
    if node.action_kind == "email":
        return [ctx.text(scope, text(node.body, "to"), f"{prefix}{node.name}")]
    if node.action_kind != "sub-workflow" or node.body is None:
        return None
    found = find_app(ctx.export, scope.resolve(text(node.body, "app-path")).text, "workflow", app.path)
    if found.app is None:
        return None
    try:
        nodes = _nodes(found.app)
    except Malformed:
        return None
    actions = [nodes[n] for n in _reached(nodes, [":start"]) if nodes[n].kind == "action"]
    if not actions or any(a.action_kind != "email" for a in actions):
        return None
    ctx.used.add(found.app.path)
    child = _child_scope(node.body, scope, ctx, f"{prefix}{node.name}")
    return [ctx.text(child, text(a.body, "to"), f"{prefix}{node.name}.{a.name}") for a in actions]


def _action(app: App, node: Node, scope: Scope, ctx: Context, prefix: str, before: frozenset[str],
            depth: int) -> frozenset[str]:
    """One action node as a task (or, a sub-workflow found in the export, as its own tasks)."""
    name = f"{prefix}{node.name}"
    body = node.body
    kind = local(body.tag) if body is not None else ""
    for attribute, code in (("retry-max", "RETRY"), ("cred", "CREDENTIALS")):
        if node.element.get(attribute):
            extra = f", every {node.element.get('retry-interval')} min" if code == "RETRY" and node.element.get(
                "retry-interval") else ""
            ctx.note(code, f"{name}: {node.element.get(attribute)}{extra}")
    if child(node.element, "info") is not None:
        ctx.note("SLA", name)
    if body is None:
        raise Malformed("MALFORMED_APP", f"{app.path}: action {node.name!r} has no action element")
    if kind == "sub-workflow":
        return _sub_workflow(app, node, body, scope, ctx, prefix, before, depth)
    ctx.tasks.append(Task(name, before, command(kind, body, scope, ctx, name, child(app.root, "global"))))
    return frozenset({name})


def _child_scope(body: Element, scope: Scope, ctx: Context, where: str) -> Scope:
    """A sub-workflow's properties: its configuration, over the parent's with
    propagate-configuration (else only the user carries over)."""
    configuration = {k: ctx.text(scope, v or "", where) for k, v in properties(child(body, "configuration"))}
    if child(body, "propagate-configuration") is not None:
        return scope.child(configuration)
    return Scope({k: v for k, v in scope.values.items() if k == "user.name"} | configuration, scope.keep)


def _sub_workflow(app: App, node: Node, body: Element, scope: Scope, ctx: Context, prefix: str,
                  before: frozenset[str], depth: int) -> frozenset[str]:
    name = f"{prefix}{node.name}"
    written = ctx.text(scope, text(body, "app-path"), name)
    found = find_app(ctx.export, written, "workflow", app.path)
    if found.unreadable:  # in the export, but Oozie would fail the action: not a placeholder
        raise Malformed("MALFORMED_XML", f"{app.path}: sub-workflow {name}: app-path {written}: {found.problem}")
    if found.app is None:
        ctx.note("SUB_WORKFLOW", f"{name} ran workflow {written}, which is not in the export ({found.problem}): a "
                                 "placeholder task stands for it")
        ctx.tasks.append(Task(name, before, f"# Oozie sub-workflow {written}: not in the export, rework by hand"))
        return frozenset({name})
    child_scope = _child_scope(body, scope, ctx, name)
    ctx.note("SUB_WORKFLOW", f"{name} ran workflow {found.app.path}: its actions are tasks named {name}.<action>"
                             + (" (the workflow's path was partly unresolved: taken as this one)" if found.assumed
                                else ""))
    exits = _workflow(found.app, child_scope, ctx, f"{name}.", before, depth + 1)
    return exits if any(t.name.startswith(f"{name}.") for t in ctx.tasks) else before


def fill_workflow(ctx: Context, app: App, scope: Scope) -> None:
    """The workflow's actions as the flow's tasks; a flow that would run nothing is refused."""
    _workflow(app, scope, ctx, "", frozenset(), 0)
    if not ctx.tasks:
        raise Malformed("EMPTY_WORKFLOW", f"{app.path}: the workflow runs no action (start goes to end)")
    ids = {task.name: str(number) for number, task in enumerate(ctx.tasks, 1)}
    ctx.flow.tasks = [{"task_id": ids[t.name], "task_name": t.name, "command": t.command,
                       "upstream": ";".join(ids[u] for u in sorted(t.upstream, key=lambda n: int(ids[n])))}
                      for t in ctx.tasks]
