"""Tasks and relations: each job's task id and name (`task_names`), and its upstream tasks
(`relations`): the jobs of the folder that post the conditions it waits on (a SUB_FOLDER's: its last
jobs; a SMART folder's or SUB_FOLDER's in-conditions: its first jobs'), and DOFORCEJOB on OK.
Conditions posted by other folders are `flow_upstream` entries or CROSS_FLOW_DEPENDENCY; the rest
(other order dates, OR-ed, deleted conditions) are named. A condition with several posters is
CONDITION_OR (the first to post it satisfied the wait); a SUB_FOLDER is one poster, however many
last jobs it has: it posts once, when all of them have ended, which is what the relations say.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from migrate.schedule.result import Rejection
from migrate.sources.profiles.controlm.conditions import ANY_DATE, ODAT, POSTING, SAME_RUN
from migrate.sources.profiles.controlm.elements import OK_CODES, attributes_of, tag_of
from migrate.sources.profiles.controlm.model import Folder, Job, Malformed, Scope, all_subs


@dataclass(frozen=True, slots=True)
class SubFolderPoster:
    """A SUB_FOLDER posting an out-condition: once, when the sub-folder ends, which is when its last
    jobs have ended; one poster, however many last jobs it has."""

    name: str
    last_jobs: tuple[Job, ...]


Poster = Job | SubFolderPoster


def _jobs_of(poster: Poster) -> tuple[Job, ...]:
    """The jobs whose end posts the condition: the job, or the sub-folder's last jobs."""
    return poster.last_jobs if isinstance(poster, SubFolderPoster) else (poster,)


def _label(poster: Poster) -> str:
    return f"sub-folder {poster.name}" if isinstance(poster, SubFolderPoster) else poster.name


def task_names(jobs: list[Job]) -> None:
    seen: dict[str, int] = {}
    for number, job in enumerate(jobs, 1):
        count = seen[job.name] = seen.get(job.name, 0) + 1
        job.task_id = str(number)
        job.task_name = job.name if count == 1 else f"{job.name}_{count}"


def _posts(element: Element) -> Iterator[tuple[str, str]]:
    """(condition name, ODATE) of each condition the element posts when it ends OK."""
    for child in element:
        if tag_of(child) == "OUTCOND":
            attributes = attributes_of(child)
            if attributes.get("SIGN", "+").strip().upper() in ("+", "ADD", "A"):
                yield attributes.get("NAME", "").strip(), attributes.get("ODATE", ODAT).strip().upper()


def _job_posts(job: Job) -> Iterator[tuple[str, str]]:
    """`_posts` of a job's element."""
    for child in job.children("OUTCOND"):
        attributes = attributes_of(child)
        if attributes.get("SIGN", "+").strip().upper() in ("+", "ADD", "A"):
            yield attributes.get("NAME", "").strip(), attributes.get("ODATE", ODAT).strip().upper()


def _sinks(scope: Scope) -> list[Job]:
    """The last jobs of a sub-folder: those whose conditions no other job of it waits on."""
    jobs = scope.all_jobs()
    awaited = {attributes_of(c).get("NAME", "").strip() for job in jobs for c in job.children("INCOND")}
    last = [job for job in jobs if not any(name in awaited for name, _ in _job_posts(job))]
    return last or jobs


def _firsts(scope: Scope) -> set[int]:
    """The first jobs of a SMART folder or sub-folder (by id): those that wait on no condition
    another job of it posts."""
    jobs = scope.all_jobs()
    posted = {name: job for job in jobs for name, _ in _job_posts(job)}
    return {id(job) for job in jobs
            if not any(posted.get(attributes_of(c).get("NAME", "").strip(), job) is not job
                       for c in job.children("INCOND"))}


def _in_conditions(job: Job, firsts: dict[int, set[int]]) -> list[dict[str, str]]:
    """The job's in-conditions, and those of each SMART folder or sub-folder it is one of the
    first jobs of (a folder waits as a whole)."""
    found = [attributes_of(child) for child in job.children("INCOND")]
    scope: Scope | None = job.scope
    while scope is not None and scope.kind != "regular":
        if scope.element is not None and "INCOND" in scope.child_names:
            if id(scope) not in firsts:
                firsts[id(scope)] = _firsts(scope)
            if id(job) in firsts[id(scope)]:
                found += [attributes_of(child) for child in scope.element if tag_of(child) == "INCOND"]
        scope = scope.parent
    return found


_DELETING = ("-", "DEL", "D")


def _local_posters(folder: Folder) -> tuple[dict[str, list[Poster]], list[tuple[Job, str, str]]]:
    """Condition name -> the jobs and sub-folders of this folder that post it; and the conditions
    its jobs delete (job, name as written, its ODATE), in order, for `_deleted_conditions`: one look at each
    out-condition."""
    posters: dict[str, list[Poster]] = defaultdict(list)
    deleted: list[tuple[Job, str, str]] = []
    for job in folder.jobs:
        for child in job.children("OUTCOND"):  # what _job_posts gives, inline: every job asks
            attributes = attributes_of(child)
            sign = attributes.get("SIGN", "+")
            if sign != "+":  # "+" is the commonest by far: the rest normalised
                sign = sign.strip().upper()
            if sign in POSTING:
                odate = attributes.get("ODATE", ODAT)
                if odate == ODAT or odate.strip().upper() in SAME_RUN:
                    posters[attributes.get("NAME", "").strip()].append(job)
            elif sign in _DELETING:
                deleted.append((job, attributes.get("NAME", ""), attributes.get("ODATE", ODAT).strip().upper()))
    return posters, deleted


def relations(folder: Folder) -> None:
    """Upstream task ids from the conditions (and forced jobs); the rest named."""
    posters, deleted = _local_posters(folder)
    by_name: dict[str, Job] = {}
    for job in folder.jobs:
        if "ON" not in job.by_tag:  # a DOFORCEJOB is an ON's action
            continue
        if not by_name:
            by_name = {job.name: job for job in folder.jobs}
        for action in _on_actions(job, "DOFORCEJOB"):
            forced = by_name.get(action.get("NAME", "").strip())
            table = action.get("TABLE_NAME", "").strip()
            if forced is not None and table in ("", folder.name):
                forced.forced_by.append((job.task_id, action["CODE"]))
                if action["CODE"].upper() in OK_CODES and job.task_id not in forced.upstream:
                    forced.upstream.append(job.task_id)
    for sub in all_subs(folder.scope) if folder.scope.subs else ():  # posted when a sub-folder's last jobs end
        for name, odate in _posts(sub.element) if sub.element is not None else ():
            if odate in SAME_RUN:
                posters[name].append(SubFolderPoster(sub.name(), tuple(_sinks(sub))))
    for job in folder.jobs:
        conditions = _in_conditions(job, folder.firsts)
        if len(conditions) > 1 and any(c.get("AND_OR", "A").strip().upper().startswith("O") for c in conditions[1:]):
            # each condition's AND_OR joins it to the one before (an "or" among "and"s is no "any one")
            said = conditions[0].get("NAME", "") + "".join(
                f" {'or' if c.get('AND_OR', 'A').strip().upper().startswith('O') else 'and'} {c.get('NAME', '')}"
                for c in conditions[1:])
            folder.notes.add("CONDITION_OR", f"job {job.name} waits on {said} in Control-M (its AND_OR, in order); "
                                             "the flow waits on all of them")
        for condition in conditions:
            _relation(folder, job, condition, posters)
    _deleted_conditions(folder, deleted, posters)


def _relation(folder: Folder, job: Job, condition: dict[str, str], posters: dict[str, list[Poster]]) -> None:
    name = condition.get("NAME", "").strip()
    odate = condition.get("ODATE", ODAT)
    if odate != ODAT:  # the commonest as it is
        odate = odate.strip().upper() or ODAT
    if not name:
        raise Malformed(f"job {job.name} has an INCOND without a NAME")
    posting = posters.get(name, ())
    local_posters = [poster for poster in posting if poster is not job]
    local = [other for poster in local_posters for other in _jobs_of(poster) if other is not job]
    outside = [(key, poster) for key, poster in folder.producers.posted.get(name, ()) if key != folder.key]
    if not local and any(other is job for poster in posting for other in _jobs_of(poster)):
        folder.notes.add("CONDITION_DATE", f"job {job.name} waits on {name}, which only it posts: its own previous "
                                           "run's, not carried")
        return
    if odate not in SAME_RUN:
        code = "CONDITION_DATE" if local or not outside else "CROSS_FLOW_DEPENDENCY"
        where = "" if local or not outside else f" (posted in folder {outside[0][0]})"
        folder.notes.add(code, f"job {job.name} waits on {name}{where} of order date {odate}: not carried")
        return
    if odate in ANY_DATE and local:
        folder.notes.add("CONDITION_DATE", f"job {job.name} waits on {name} of any order date ({odate}): carried as "
                                           "the same run's")
    if local:
        for poster in local:
            if poster.task_id not in job.upstream:
                job.upstream.append(poster.task_id)
        if len(local_posters) > 1 or outside:  # several posters: a sub-folder is one, whatever its last jobs
            others = [_label(p) for p in local_posters] + [f"{folder.producers.names.get(k, k)}/{p}"
                                                           for k, p in outside]
            folder.notes.add("CONDITION_OR", f"{name}, which job {job.name} waits on, is posted by {', '.join(others)}"
                                             " (the first to end satisfied it in Control-M)")
        return
    if outside:
        _cross_flow(folder, job, name, odate, outside)
        return
    outcome = folder.producers.on_outcome.get(name, ())
    if outcome:
        said = ", ".join(f"{folder.producers.names.get(k, k)}/{j} when it ends {code}" for k, j, code in outcome)
        raise Rejection("CONDITION_ON_OUTCOME", f"job {job.name} waits on {name}, posted only by an ON action ({said}):"
                                                " a flow has no branch that runs on one outcome only")
    folder.notes.add("CROSS_FLOW_DEPENDENCY", f"job {job.name} waits on {name}, which no job of this export posts "
                                              "(another export, another system or an operator adds it): not carried")


def _cross_flow(folder: Folder, job: Job, name: str, odate: str, outside: list[tuple[str, str]]) -> None:
    keys = list(dict.fromkeys(key for key, _ in outside))
    if len(keys) > 1:
        folder.notes.add("CROSS_FLOW_DEPENDENCY", f"job {job.name} waits on {name}, posted in folders "
                                                  f"{', '.join(keys)} (any one in Control-M): not carried")
        return
    key = keys[0]
    other = folder.producers.names.get(key, key)
    flow_id = folder.options.flow_ids.get(key) or folder.options.flow_ids.get(other)
    posted_by = ", ".join(poster for _, poster in outside)
    if flow_id is None:
        # A key given in other case, or a letter off, matches nothing: said, or the user sees only
        # the advice to give what they believe they gave.
        given = difflib.get_close_matches(other, list(folder.options.flow_ids), 1, 0.8) or [
            given for given in folder.options.flow_ids if given.casefold() in (other.casefold(), key.casefold())]
        near = f" (flow_ids gives {given[0]!r}, which is not it: folders are named exactly as written)" if given else ""
        folder.notes.add("CROSS_FLOW_DEPENDENCY", f"job {job.name} waits on {name}, posted by {posted_by} of folder "
                                                  f"{key} (in this export): give its EnOS flow id in [source] options "
                                                  f"flow_ids = \"{other}=<flow id>\" to carry it as a flow dependency"
                                                  + near)
        return
    if odate in ANY_DATE:
        folder.notes.add("CROSS_FLOW_DEPENDENCY", f"job {job.name} waits on {name} of any order date: carried as "
                                                  f"the same period's run of flow {flow_id}")
    entry = next((e for e in folder.flow_upstream if e["flowId"] == flow_id), None)
    if entry is None:
        entry = {"flowId": flow_id, "flowName": other, "targets": []}
        folder.flow_upstream.append(entry)
    if job.task_id not in entry["targets"]:
        entry["targets"].append(job.task_id)


def _deleted_conditions(folder: Folder, deleted: list[tuple[Job, str, str]],
                        posters: dict[str, list[Poster]]) -> None:
    """A job deleting its own in-condition is how Control-M resets a chain (a flow run starts with
    none); deleting any other condition is named, and so is one another job waits on too. Where that
    job also waits on what the deleting job posts, Control-M never started it (the condition is gone
    as the other comes), and the flow would run it every time: refused. `deleted`: what the jobs
    delete (`_local_posters`)."""
    if not deleted:
        return
    conditions = {id(job): _in_conditions(job, folder.firsts) for job in folder.jobs}
    waits = {key: {c.get("NAME", "").strip() for c in found} for key, found in conditions.items()}
    for job, name, odate in deleted:
        name = name.strip()
        if name not in waits[id(job)]:
            folder.notes.add("CONDITION_DELETED", f"job {job.name} deletes {name}")
        posted = {condition for condition, jobs in posters.items() if job in jobs}
        for other in folder.jobs:
            if other is job or name not in waits[id(other)]:
                continue
            after = sorted(waits[id(other)] & posted)
            # Sure only where it needs both (every condition ANDed, no parenthesis) of this run's date
            both = all(c.get("AND_OR", "A").strip().upper() in ("", "A") for c in conditions[id(other)][1:]) \
                and odate in ("", ODAT)
            if after and both:
                raise Rejection("CONDITION_DELETED", f"job {other.name} waits on {name} and on {', '.join(after)}, "
                                                     f"which job {job.name} posts as it deletes {name}: Control-M "
                                                     f"never started {other.name}, and the flow would run it every "
                                                     "time")
            folder.notes.add("CONDITION_DELETED", f"job {job.name} deletes {name}, which job {other.name} waits on "
                                                  f"too: Control-M started {other.name} only if it found {name} "
                                                  "before it was deleted; the flow runs it after its upstream tasks")
    for scope in [folder.scope, *all_subs(folder.scope)] if folder.scope.subs else [folder.scope]:
        if "OUTCOND" not in scope.child_names:
            continue
        for child in scope.element if scope.element is not None else ():
            attributes = attributes_of(child)
            if tag_of(child) == "OUTCOND" and attributes.get("SIGN", "+").strip().upper() in _DELETING:
                folder.notes.add("CONDITION_DELETED", f"folder {scope.name()} deletes {attributes.get('NAME', '')}")


def _on_actions(job: Job, *tags: str) -> list[dict[str, str]]:
    found = []
    for on in job.children("ON"):
        code = attributes_of(on).get("CODE", "").strip()
        for action in on:
            if not tags or tag_of(action) in tags:
                found.append({**attributes_of(action), "CODE": code, "TAG": tag_of(action)})
    return found
