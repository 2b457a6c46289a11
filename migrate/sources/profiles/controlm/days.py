"""The days a job is ordered on (`job_rules`): its own criteria and the rule-based calendars it
names, within its SMART folder's and SUB_FOLDERs' days (a job without criteria takes theirs); each
as Control-M day rules, the union of two at most (two with `split_or`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from migrate.schedule.controlm import CALENDAR, DAY_RULE, EVERY_DAY, DayRule, day_rules, intersect, union
from migrate.schedule.result import DOM_OR_DOW, Rejection
from migrate.sources.profiles.controlm.criteria import DAYS_NAMES, days_of, reference_names, written
from migrate.sources.profiles.controlm.elements import RULE_REFERENCES
from migrate.sources.profiles.controlm.model import Job, Scope
from migrate.sources.profiles.controlm.options import Options


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


def _resolved(job_or_scope: str, names: list[str], scope: Scope, options: Options) -> tuple[DayRule, ...] | None:
    """The union of the rule-based calendars a job or sub-folder names, None when it names none."""
    if not names:
        return None
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
            found.extend(day_rules(days, options.split_or))
    return _union_all(found, options) if found else None


def _union_all(rules: list[DayRule], options: Options) -> tuple[DayRule, ...]:
    result: list[DayRule] = []
    for rule in rules:
        merged = False
        for index, known in enumerate(result):
            try:
                result[index] = union(known, rule)
                merged = True
                break
            except Rejection as rejection:
                if not options.split_or or rejection.code != DOM_OR_DOW:
                    raise
        if not merged:
            result.append(rule)
    if len(result) > 2:
        raise Rejection(DAY_RULE, f"the rules {', '.join(r.text() for r in result)} need {len(result)} Quartz "
                                    "expressions")
    return tuple(result)


def _combined(a: tuple[DayRule, ...] | None, b: tuple[DayRule, ...] | None, both: bool,
              options: Options) -> tuple[DayRule, ...] | None:
    if a is None or b is None:
        return a if b is None else b
    if both:
        return tuple(intersect(x, y) for x in a for y in b)
    return _union_all([*a, *b], options)


def _within(rules: tuple[DayRule, ...], scope_rules: tuple[DayRule, ...]) -> tuple[DayRule, ...]:
    return tuple(intersect(rule, outer) for rule in rules for outer in scope_rules)


def _scope_rules(scope: Scope, options: Options) -> tuple[DayRule, ...]:
    """The days a folder or sub-folder is ordered on (every day for a regular folder)."""
    if scope.kind == "regular":
        return (EVERY_DAY,)
    if scope.ordered_on is None:
        scope.ordered_on = _scope_own_rules(scope, options)
    return scope.ordered_on


def _scope_own_rules(scope: Scope, options: Options) -> tuple[DayRule, ...]:
    what = f"{'SUB_FOLDER' if scope.kind == 'sub' else 'SMART folder'} {scope.name()}"
    own = day_rules(days_of(scope.attributes), options.split_or) or None
    defined = _union_all([r for days in scope.rules.values() for r in day_rules(days, options.split_or)],
                         options) if scope.rules else None
    referenced = _resolved(what, scope.references, scope, options)
    rules = _combined(_combined(own, defined, False, options), referenced, False, options) or (EVERY_DAY,)
    return _within(rules, _scope_rules(scope.parent, options)) if scope.parent is not None else rules


def job_rules(job: Job, options: Options) -> tuple[DayRule, ...] | None:
    """The order dates of a job: its own criteria and rule-based calendars, within its folder's;
    a job with none in a SMART folder takes the folder's; in a regular folder, None (by hand)."""
    references = _job_reference_names(job)
    if job.scope.kind == "regular" and not references:  # its own criteria alone: worked out once
        outcome = _own_rules(tuple(map(job.attributes.get, DAYS_NAMES)), options.split_or)
        if isinstance(outcome, _Refused):
            raise outcome.rejection()
        return outcome
    own = day_rules(days_of(job.attributes), options.split_or) or None
    referenced = _resolved(f"job {job.name}", references, job.scope, options)
    both = (job.attributes.get("RULE_BASED_CALENDAR_RELATIONSHIP") or job.attributes.get("TAG_RELATIONSHIP")
            or "O").strip().upper() in ("A", "AND")
    rules = _combined(own, referenced, both, options)
    if rules is None and job.scope.kind == "regular":
        return None
    return _within(rules or (EVERY_DAY,), _scope_rules(job.scope, options))


@functools.lru_cache(maxsize=4096)  # an export repeats a few sets of criteria over thousands of jobs
def _own_rules(values: tuple[str | None, ...], split_or: bool) -> tuple[DayRule, ...] | _Refused | None:
    """What `job_rules` works out for a job of a regular folder that names no rule-based
    calendar (its own criteria, within every day), from those criteria alone; or its rejection."""
    try:
        own = day_rules(days_of(written(values, DAYS_NAMES)), split_or) or None
        return None if own is None else _within(own, (EVERY_DAY,))
    except Rejection as rejection:
        return _Refused.of(rejection)
