"""The model of one folder: `Scope` (a folder or SUB_FOLDER, read from its element by `scope_of`),
`Job`, `Folder` (what its flow gathers while it is read), and `Malformed`, the error of a value
that makes no sense (that flow's error, the others go on).
"""

from __future__ import annotations

from collections.abc import KeysView
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from migrate.schedule.controlm import DayRule, Days
from migrate.sources.profiles.controlm.conditions import Producers
from migrate.sources.profiles.controlm.criteria import days_of
from migrate.sources.profiles.controlm.elements import (
    RULE_DEFINITIONS,
    RULE_REFERENCES,
    SUB_FOLDERS,
    attributes_of,
    folder_name,
    tag_of,
)
from migrate.sources.profiles.controlm.notes import Notes
from migrate.sources.profiles.controlm.options import Options


@dataclass(slots=True)
class Scope:
    """A folder or a SUB_FOLDER: its attributes, rules and what it holds."""

    kind: str  # regular, smart or sub
    attributes: dict[str, str]
    parent: Scope | None = None
    rules: dict[str, Days] = field(default_factory=dict)  # rule-based calendars defined here
    references: list[str] = field(default_factory=list)  # RULE_BASED_CALENDARS it uses
    element: Element | None = None
    jobs: list[Job] = field(default_factory=list)  # directly in it
    subs: list[Scope] = field(default_factory=list)
    ordered_on: tuple[DayRule, ...] | None = None  # the days it is ordered on, once worked out
    child_names: set[str] = field(default_factory=set)  # of its child elements (read once, by scope_of)

    def name(self) -> str:
        return folder_name(self.attributes)

    def all_jobs(self) -> list[Job]:
        return [*self.jobs, *(job for sub in self.subs for job in sub.all_jobs())]

    def rule(self, name: str) -> Days | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.rules:
                return scope.rules[name]
            scope = scope.parent
        return None

    def all_rules(self) -> list[Days]:
        """The rules `*` stands for: those of the nearest scope that defines any."""
        scope: Scope | None = self
        while scope is not None:
            if scope.rules:
                return list(scope.rules.values())
            scope = scope.parent
        return []


@dataclass(slots=True)
class Job:
    element: Element
    attributes: dict[str, str]
    scope: Scope
    name: str
    task_id: str = ""
    task_name: str = ""
    upstream: list[str] = field(default_factory=list)
    rules: tuple[DayRule, ...] | None = None  # order dates: None never ordered automatically
    forced_by: list[tuple[str, str]] = field(default_factory=list)  # (task id, code) of jobs forcing it
    arguments_used: bool = False  # its %%PARMn variables are its script's arguments
    # Its child elements by name, in order (read once a job by `scope_of`, not once a question).
    by_tag: dict[str, list[Element]] = field(default_factory=dict, repr=False, compare=False)

    def children(self, tag: str) -> list[Element]:
        """Its child elements of that name, in order."""
        return self.by_tag.get(tag, _NONE)

    def child_names(self) -> KeysView[str]:
        """The names of its child elements."""
        return self.by_tag.keys()


_NONE: list[Element] = []  # no children of that name (never changed)


class Malformed(Exception):
    """A value of one job or folder that makes no sense: that flow's error, the others go on."""


@dataclass(slots=True)
class Folder:
    key: str
    name: str
    scope: Scope
    jobs: list[Job]
    producers: Producers
    options: Options
    notes: Notes = field(default_factory=Notes)
    flow_upstream: list[dict[str, Any]] = field(default_factory=list)
    firsts: dict[int, set[int]] = field(default_factory=dict)  # first jobs of each folder scope, by id


def all_subs(scope: Scope) -> list[Scope]:
    return [sub for child in scope.subs for sub in (child, *all_subs(child))]


def scope_of(element: Element, kind: str, parent: Scope | None) -> Scope:
    scope = Scope(kind, attributes_of(element), parent, element=element)
    for child in element:
        tag = tag_of(child)
        scope.child_names.add(tag)
        if tag == "JOB":
            attributes = attributes_of(child)
            name = attributes.get("JOBNAME", "").strip()
            if not name:
                raise Malformed(f"a <JOB> of {folder_name(scope.attributes) or 'the folder'} has no JOBNAME "
                                f"(MEMNAME {attributes.get('MEMNAME', '')!r})")
            by_tag: dict[str, list[Element]] = {}
            for grandchild in child:
                by_tag.setdefault(tag_of(grandchild), []).append(grandchild)
            scope.jobs.append(Job(child, attributes, scope, name, by_tag=by_tag))
        elif tag in RULE_DEFINITIONS:
            attributes = attributes_of(child)
            name = (attributes.get("NAME") or attributes.get("TAG_NAME") or "").strip()
            scope.rules[name] = days_of(attributes)
        elif tag in RULE_REFERENCES:  # criteria.py's `reference_names`, read in the same loop
            attributes = attributes_of(child)
            name = (attributes.get("NAME") or attributes.get("TAG_NAME") or "").strip()
            if name:
                scope.references.append(name)
        elif tag in SUB_FOLDERS:
            scope.subs.append(scope_of(child, "sub", scope))
    return scope
