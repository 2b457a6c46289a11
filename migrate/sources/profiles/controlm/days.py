"""The days a job is ordered on (`job_rules`): its own criteria and the rule-based calendars it
names, within its SMART folder's and SUB_FOLDERs' days (a job without criteria takes theirs); each
as Control-M day rules, the union of two at most (two with `split_or`).

The days are kept as a union of parts until the folders' days are applied, and only then made
one rule (or two): the job's own day 1 OR its calendar's Monday to Friday, within a folder of
Monday to Friday, is Monday to Friday (day 1 within Monday to Friday is no one Quartz rule, but
its days are the other part's); joined first, before the folder's days, they were no one rule.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from migrate.schedule.controlm import (
    CALENDAR,
    DAY_RULE,
    EVERY_DAY,
    WEEK_BLOCKS,
    DayRule,
    day_rules,
    intersect,
    union,
)
from migrate.schedule.result import DOM_OR_DOW, IMPOSSIBLE_DATE, Rejection
from migrate.sources.profiles.controlm.criteria import DAYS_NAMES, days_of, reference_names, written
from migrate.sources.profiles.controlm.elements import RULE_REFERENCES
from migrate.sources.profiles.controlm.model import Job, Scope
from migrate.sources.profiles.controlm.options import Options

# Days asked for as a union of parts, each the days of all its rules (an empty part: every day).
Asked = Sequence[tuple[DayRule, ...]]


class _Refused(NamedTuple):
    """A Rejection kept by a cache, raised again (a fresh one) each time it applies."""

    code: str
    message: str
    extra: tuple[str, ...]

    @staticmethod
    def of(rejection: Rejection) -> _Refused:
        return _Refused(rejection.code, rejection.message, tuple(rejection.extra))

    def rejection(self) -> Rejection:
        return Rejection(self.code, self.message, list(self.extra))


def _job_reference_names(job: Job) -> list[str]:
    """`reference_names` of a job's element."""
    if job.child_names().isdisjoint(RULE_REFERENCES):
        return []
    return reference_names(job.element)


def _resolved(job_or_scope: str, names: list[str], scope: Scope) -> list[DayRule]:
    """The days of the rule-based calendars a job or sub-folder names, as parts of a union (none
    when it names none). A calendar's day-of-month OR day-of-week is two parts, joined (or not)
    once the folders' days are applied."""
    found: list[DayRule] = []
    for name in names:
        if name == "*":
            rules = scope.all_rules()
        else:
            rule = scope.rule(name)
            if rule is None:
                raise Rejection(CALENDAR, f"{job_or_scope} uses the rule-based calendar {name}, which is not "
                                            "defined in its folder: a calendar of the Control-M server, not in the "
                                            "export")
            rules = [rule]
        for days in rules:
            found.extend(day_rules(days, True))
    return found


def _covers(wide: DayRule, narrow: DayRule) -> bool:
    """Whether every day of `narrow` is a day of `wide` (False when that is not plain from the rules)."""
    if not narrow.months <= wide.months:
        return False
    if wide.kind == "every" or wide.same_days(narrow):
        return True
    if wide.kind == "dow":
        return (narrow.kind == "dow" and narrow.dow <= wide.dow) or (narrow.kind == "nth" and narrow.nth[0] in wide.dow)
    if wide.kind != "dom":
        return False
    if narrow.kind == "dom":
        return narrow.dom <= wide.dom
    if narrow.kind == "last":  # L-n: day (length - n) of a month of 28 to 31 days
        return all(length - narrow.last in wide.dom for length in (28, 29, 30, 31))
    if narrow.kind == "nth":  # the n-th weekday falls on days 7n-6 to 7n
        return next(days for days, n in WEEK_BLOCKS.items() if n == narrow.nth[1]) <= wide.dom
    return False


def _intersection(rules: Sequence[DayRule]) -> DayRule:
    """The days of all the rules as one rule, intersected two at a time in whichever order gives one
    at each step (days 1-7 AND Monday to Friday is no one rule, but within Mondays it is Monday#1);
    Rejection when none does (IMPOSSIBLE_DATE: they share no day)."""
    left = list(rules) or [EVERY_DAY]
    while len(left) > 1:
        refused: Rejection | None = None
        for first, second in itertools.combinations(range(len(left)), 2):
            a, b = left[first], left[second]
            try:
                joined = b if _covers(a, b) else a if _covers(b, a) else intersect(a, b)
            except Rejection as rejection:
                if rejection.code == IMPOSSIBLE_DATE:
                    raise
                refused = refused or rejection
                continue
            left = [joined, *(rule for index, rule in enumerate(left) if index not in (first, second))]
            break
        else:
            assert refused is not None
            raise refused
    return left[0]


def _merged(rules: Iterable[DayRule]) -> list[DayRule]:
    """The union of the rules in as few as `union` allows, a rule whose days another has left out."""
    parts: list[DayRule] = []
    for rule in rules:
        parts = _added(parts, rule)
    return parts


def _added(parts: list[DayRule], rule: DayRule) -> list[DayRule]:
    for index, known in enumerate(parts):
        if _covers(known, rule):
            return parts
        try:
            joined = rule if _covers(rule, known) else union(known, rule)
        except Rejection:
            continue
        return _added(parts[:index] + parts[index + 1:], joined)  # the wider rule may take in others now
    return [*parts, rule]


def _within(asked: Asked, outer: Sequence[DayRule]) -> list[DayRule]:
    """The days of `asked` that are days of `outer` (a union too), as the parts of a union: the parts
    asked for joined first where `union` joins them (Saturday and Sunday OR Monday to Friday is every
    day, whatever the folder's days), else each on its own; the first Rejection when neither does."""
    joined: list[tuple[DayRule, ...]] = [(rule,) for rule in _merged(part[0] for part in asked if len(part) == 1)]
    joined += [part for part in asked if len(part) != 1]
    refused: Rejection | None = None
    for parts in ([joined, asked] if joined != list(asked) else [asked]):
        try:
            return _each_within(parts, outer)
        except Rejection as rejection:
            refused = refused or rejection
    assert refused is not None
    raise refused


def _each_within(asked: Asked, outer: Sequence[DayRule]) -> list[DayRule]:
    """Each part of `asked` within each part of `outer`, as the parts of a union. A part that shares
    no day is none; one that no one rule says is refused, unless its days are all in another part's
    (day 1 within Monday to Friday, beside Monday to Friday); IMPOSSIBLE_DATE when no day is left."""
    found: list[DayRule] = []
    refused: list[tuple[tuple[DayRule, ...], Rejection]] = []
    never: Rejection | None = None
    for part, days in itertools.product(asked, outer):
        try:
            found.append(_intersection((*part, days)))
        except Rejection as rejection:
            if rejection.code == IMPOSSIBLE_DATE:
                never = rejection
            else:
                refused.append(((*part, days), rejection))
    parts = _merged(found)
    for rules, refusal in refused:
        if not any(_covers(wide, rule) for wide in parts for rule in rules):
            raise refusal
    if not parts:
        assert never is not None
        raise never
    return parts


def _as_flows(parts: Sequence[DayRule], split_or: bool) -> tuple[DayRule, ...]:
    """The parts as one rule, or two with `split_or` when they are days of the month OR days of the
    week (each a flow of its own, the days of the month first); else the Rejection of their union."""
    if len(parts) > 2:
        raise Rejection(DAY_RULE, f"the rules {', '.join(r.text() for r in parts)} need {len(parts)} Quartz "
                                    "expressions")
    if len(parts) == 2:
        try:
            return (union(*parts),)
        except Rejection as rejection:
            if not split_or or rejection.code != DOM_OR_DOW:
                raise
        return tuple(sorted(parts, key=lambda rule: rule.kind in ("dow", "nth")))
    return tuple(parts)


def _said(asked: Asked) -> str:
    """Days asked for, as the rules' triples (day-of-month month day-of-week) with AND and OR."""
    said = [" AND ".join(rule.text() for rule in part) or EVERY_DAY.text() for part in asked]
    return " OR ".join(f"({text})" if " AND " in text and len(said) > 1 else text for text in said)


def _as_asked(rejection: Rejection, what: str, asked: Asked, outer: Sequence[DayRule], outer_what: str) -> Rejection:
    """`rejection` saying the days truly asked for, not just the part of them refused."""
    within = "" if list(outer) == [EVERY_DAY] else f", within its {outer_what}'s {_said([(r,) for r in outer])}"
    return Rejection(rejection.code, f"{what} is ordered on {_said(asked)} (day-of-month month day-of-week, in "
                                     f"Quartz's fields: Sunday is 1){within}: "
                                     f"{rejection.message}", rejection.extra)


def _scope_what(scope: Scope) -> str:
    return f"{'SUB_FOLDER' if scope.kind == 'sub' else 'SMART folder'} {scope.name()}"


def _scope_rules(scope: Scope) -> tuple[DayRule, ...]:
    """The days a folder or sub-folder is ordered on, as the parts of a union (every day for a
    regular folder)."""
    if scope.kind == "regular":
        return (EVERY_DAY,)
    if scope.ordered_on is None:
        scope.ordered_on = _scope_own_rules(scope)
    return scope.ordered_on


def _scope_own_rules(scope: Scope) -> tuple[DayRule, ...]:
    """Its own criteria OR the rule-based calendars it defines OR those it names (every day when
    none), within its parent's days."""
    what = _scope_what(scope)
    own = day_rules(days_of(scope.attributes), True)
    defined = [rule for days in scope.rules.values() for rule in day_rules(days, True)]
    parts = [*own, *defined, *_resolved(what, scope.references, scope)]
    if scope.parent is None:
        return tuple(_merged(parts)) or (EVERY_DAY,)
    asked: list[tuple[DayRule, ...]] = [(rule,) for rule in parts] or [()]
    outer = _scope_rules(scope.parent)
    try:
        return tuple(_within(asked, outer))
    except Rejection as rejection:
        raise _as_asked(rejection, what, asked, outer, _scope_what(scope.parent)) from None


def job_rules(job: Job, options: Options) -> tuple[DayRule, ...] | None:
    """The order dates of a job: its own criteria and rule-based calendars (either, or both with
    RULE_BASED_CALENDAR_RELATIONSHIP A), within its folder's; a job with none in a SMART folder
    takes the folder's; in a regular folder, None (by hand)."""
    references = _job_reference_names(job)
    if job.scope.kind == "regular" and not references:  # its own criteria alone: worked out once
        outcome = _own_rules(tuple(map(job.attributes.get, DAYS_NAMES)), options.split_or)
        if isinstance(outcome, _Refused):
            raise outcome.rejection()
        return outcome
    what = f"job {job.name}"
    own = day_rules(days_of(job.attributes), True)
    referenced = _resolved(what, references, job.scope)
    both = (job.attributes.get("RULE_BASED_CALENDAR_RELATIONSHIP") or job.attributes.get("TAG_RELATIONSHIP")
            or "O").strip().upper() in ("A", "AND")
    if not own and not referenced and job.scope.kind == "regular":
        return None
    asked: list[tuple[DayRule, ...]]
    if both and own and referenced:
        asked = [(mine, theirs) for mine in own for theirs in referenced]
    else:
        asked = [(rule,) for rule in (*own, *referenced)] or [()]
    outer = _scope_rules(job.scope)
    try:
        return _as_flows(_within(asked, outer), options.split_or)
    except Rejection as rejection:
        raise _as_asked(rejection, what, asked, outer, _scope_what(job.scope)) from None


@functools.lru_cache(maxsize=4096)  # an export repeats a few sets of criteria over thousands of jobs
def _own_rules(values: tuple[str | None, ...], split_or: bool) -> tuple[DayRule, ...] | _Refused | None:
    """What `job_rules` works out for a job of a regular folder that names no rule-based
    calendar (its own criteria, within every day), from those criteria alone; or its rejection."""
    try:
        own = day_rules(days_of(written(values, DAYS_NAMES)), split_or)
        return own or None
    except Rejection as rejection:
        return _Refused.of(rejection)
