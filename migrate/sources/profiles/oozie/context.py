"""One flow's facts while its applications are read: `Context` (the flow, its tasks, the expressions
left unresolved, the notes that become its warnings), `required` (a value the schedule or a path
cannot do without) and `parameters` (an application's `<parameters>` as defaults).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from migrate.sources.profiles import FlowRows
from migrate.sources.profiles.oozie.applications import Export
from migrate.sources.profiles.oozie.elements import properties
from migrate.sources.profiles.oozie.expressions import Scope
from migrate.sources.profiles.oozie.messages import Malformed, listed


@dataclass
class Task:
    name: str
    upstream: frozenset[str]
    command: str


@dataclass
class Context:
    """What one flow gathers while its applications are read."""

    flow: FlowRows
    export: Export
    tasks: list[Task] = field(default_factory=list)
    undefined: dict[str, list[str]] = field(default_factory=dict)  # name -> where
    runtime: dict[str, list[str]] = field(default_factory=dict)  # expression -> where
    notes: dict[str, list[str]] = field(default_factory=dict)  # code -> items
    used: set[str] = field(default_factory=set)  # application paths this flow reads

    def note(self, code: str, item: str) -> None:
        self.notes.setdefault(code, []).append(item)

    def text(self, scope: Scope, value: str | None, where: str) -> str:
        resolved = scope.resolve(value)
        for name in resolved.undefined:
            self.undefined.setdefault(name, []).append(where)
        for expression in resolved.runtime:
            self.runtime.setdefault(expression, []).append(where)
        return resolved.text


def required(scope: Scope, text: str | None, where: str) -> str:
    """A value the schedule or a path needs: every property defined."""
    resolved = scope.resolve(text)
    if resolved.undefined:
        names = ", ".join(f"${{{name}}}" for name in dict.fromkeys(resolved.undefined))
        raise Malformed("EL_UNRESOLVED", f"{where} {text!r}: {names} not defined in the job's properties")
    if resolved.runtime:
        raise Malformed("EL_RUNTIME", f"{where} {text!r}: {listed(resolved.runtime)} is only known when the job "
                                      "runs")
    return resolved.text


def parameters(element: Element | None, scope: Scope, ctx: Context, where: str) -> Scope:
    """An application's `<parameters>`: defaults for the properties not given; a property
    without a default that the job does not give is named (Oozie refuses such a submission)."""
    defaults: dict[str, str] = {}
    missing = []
    for name, value in properties(element):
        if name in scope.values:
            continue
        if value is None:
            missing.append(name)
        else:
            defaults[name] = value
    if missing:
        ctx.note("PARAMETER_REQUIRED", f"{where}: {', '.join(missing)}")
    return scope.child(defaults) if defaults else scope
