"""`migrate edit` and `migrate restore`: a runbook's desired state for live flows, shown as the
reconcile plan, then applied by the run engine (engine/job.py).

Both verbs make the same thing: a list of snapshot lines (engine/export.py's format), the flows
as they should be. `edit` reads its selection live and applies its edits to each flow
(reconcile/edits.py); `restore` takes the flows of a snapshot file. That list is written as a
snapshot (`results/runbooks/<run-id>.desired.jsonl`) and read back by the `snapshot` profile, so that the
plan and the saves are `plan`'s and `run`'s, over the same mapping, diff and engine:

1. the plan: each flow mapped, compared with the live flow read just now (no second read), and
   given its action: `update` (the fields that differ), `unchanged`, `create` (a restored flow the
   service no longer has), `invalid`; flows left alone are listed too: an edit a flow cannot take
   (`invalid`, code EDIT_REFUSED) and, for a restore, a flow someone else changed since the
   snapshot (`conflict`, unless `--force`) and one whose live tasks run other bodies than the
   snapshot's (`invalid`, TASK_BODIES_DIFFER, `--force` or not: Save cannot set a task's body);
2. with `apply`, under the runbook verbs' lock: the **before snapshot** of exactly the flows that
   will change (as read for the plan) is written first, then the plan itself
   (`results/runbooks/<run-id>.plan.json`), then `run --plan` applies it: only its creates and updates,
   each only if the live flow is still as the plan saw it (else `stale`), paced, retried, with
   the breaker, an attempt record before each save, one result line a flow (`saved`, or
   `restored` for a restore), each naming the before file;
3. `--resume` continues run ID from its own desired file and plan: flows with a final line are
   not touched again, and one a dead run had a save in flight for is read back first (its save
   landed: `saved`; else sent). A run killed after its plan and before its first line sent
   nothing: its resume sends the whole plan.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.config import MappingSettings, Settings, SourceSettings
from migrate.console import flows_text
from migrate.engine.connection import Connection, connected
from migrate.engine.export import ExportResult, read_flows, write_snapshot
from migrate.engine.flow_actions import NothingSelected, check_new_run, runbook_file
from migrate.exit_codes import EXIT_CHANGES, EXIT_INVALID_ROWS, EXIT_OK, EXIT_SOME_FAILED, CannotRun
from migrate.reconcile.caller import caller_note, with_caller_name
from migrate.reconcile.diff import Action
from migrate.reconcile.edits import EditRefused, Edits, apply_edits
from migrate.reconcile.saved_plan import write_plan
from migrate.reconcile.targets import RebindError, aimed_at_live_tasks
from migrate.selection import Selection

if TYPE_CHECKING:  # the heavy modules are imported where used: `migrate --help` stays quick
    from migrate.engine.inventory import PlanResult
    from migrate.engine.job import RunResult

CHANGES = ("create", "update")
# What a desired line does not need once its flow exists: where it is (an existing flow stays
# where it is; the snapshot profile would warn DIRECTORY for nothing).
PLACE = ("dirId", "directory")


@dataclass
class Desired:
    """What a verb wants: the flows as they should be, the live flows as read (by id), and the
    flows it leaves alone, each as a plan action saying why."""

    selection: Selection
    lines: list[dict[str, Any]]
    live: dict[str, dict[str, Any]]
    listed: int
    left_alone: list[Action] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    source: str = ""  # what the plan is of: the runbook, the snapshot
    snapshot_flows: int | None = None  # a restore: the flows the snapshot file holds (the selection picks among them)
    names: dict[str, list[str]] = field(default_factory=dict)  # every listed flow's name -> its ids (a restore's)
    # Flows the caller only sees, whose action the plan decided from the live flow (`_only_seen`):
    # their lines are written before the run's, which does not map them again.
    only_seen: set[str] = field(default_factory=set)


@dataclass
class RunbookPlan:
    verb: str
    desired: Desired
    plan: PlanResult

    @property
    def actions(self) -> list[Action]:
        return self.plan.actions

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.plan.actions if a.action in CHANGES]

    @property
    def exit_code(self) -> int:
        by_action = self.plan.by_action()
        if by_action["invalid"]:
            return EXIT_INVALID_ROWS
        return EXIT_CHANGES if self.changes or by_action["conflict"] else EXIT_OK

    @property
    def count_line(self) -> str:
        """What the plan counts, in words: the flows matched of those the service lists (edit), or of
        the snapshot's (restore: the service's listing says nothing of the snapshot's flows)."""
        counts = ", ".join(f"{action} {n}" for action, n in self.plan.by_action().most_common()) or "none"
        matched = len(self.plan.actions)
        if self.desired.snapshot_flows is None:
            return f"{flows_text(matched)} matched of {self.desired.listed} listed: {counts}"
        return (f"{flows_text(matched)} matched of the snapshot's {self.desired.snapshot_flows}: {counts}; the service "
                f"lists {self.desired.listed} flows")

    def as_json(self) -> dict[str, Any]:
        counted = {} if self.desired.snapshot_flows is None else {"snapshot_flows": self.desired.snapshot_flows}
        return {"verb": self.verb, "source": self.desired.source, "selection": self.desired.selection.as_json(),
                "listed": self.desired.listed, **counted, "matched": len(self.plan.actions),
                "by_action": dict(self.plan.by_action()), "requests": dict(self.desired.requests),
                "exit_code": self.exit_code, "notes": self.plan.notes,
                "actions": [a.as_json() for a in self.plan.actions]}


@dataclass
class RunbookRun:
    exit_code: int
    plan: RunbookPlan | None
    run: RunResult | None
    log_path: Path
    before_path: Path | None
    notes: list[str] = field(default_factory=list)
    summary: Any = None  # results.log.Summary of the run's lines (a run that saved nothing may have some)


MakeDesired = Callable[[Connection, Settings], Awaitable[Desired]]


def snapshot_settings(settings: Settings, desired: Path, create_missing: bool, serial: bool = False) -> Settings:
    """The config's target and run, with the desired file as the source read by the `snapshot`
    profile (the config's own source, mapping and defaults are another export's); `serial`: one
    flow at a time (flows to create that depend on each other, dependencies first)."""
    run = {"create_missing": create_missing, "compare": "none", **({"concurrency": 1} if serial else {})}
    return settings.model_copy(update={
        "source": SourceSettings(path=desired, profile="snapshot"), "mapping": MappingSettings(), "defaults": {},
        "run": settings.run.model_copy(update=run),
    })


def _depends_on(line: dict[str, Any]) -> set[str]:
    from migrate.reconcile.compare import remote_graph

    return {str(f.get("flowId")) for f in remote_graph(line).get("flows") or [] if isinstance(f, dict)}


def dependencies_first(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines ordered so that a flow comes after the flows of the list it depends on (else as
    they were): a flow created before its upstream is refused by the service."""
    by_id = {str(line.get("flowId")): line for line in lines}
    placed: dict[str, dict[str, Any]] = {}

    def place(flow_id: str, path: frozenset[str]) -> None:
        if flow_id in placed or flow_id in path:
            return
        for upstream in sorted(_depends_on(by_id[flow_id]) & by_id.keys()):
            place(upstream, path | {flow_id})
        placed[flow_id] = by_id[flow_id]

    for flow_id in by_id:
        place(flow_id, frozenset())
    return list(placed.values())


def serial_creates(plan: RunbookPlan) -> bool:
    """Some flow to create depends on another flow to create: the run goes one flow at a time."""
    creates = {a.flow_id for a in plan.changes if a.action == "create"}
    return any(_depends_on(line) & creates for line in plan.desired.lines if str(line.get("flowId")) in creates)


def write_desired(path: Path, desired: Desired) -> None:
    """The desired lines as a snapshot (the `snapshot` profile's input): a flow that exists
    keeps no place (it stays where it is), a flow to create keeps it (its DIRECTORY warning)."""
    from migrate import snapshots

    lines = [{k: v for k, v in line.items() if k not in PLACE} if str(line.get("flowId")) in desired.live
             else snapshots.to_create(line) for line in desired.lines]
    write_snapshot(path, ExportResult(desired.source, listed=desired.listed, flows=lines), desired.selection)


async def read_live(connection: Connection, settings: Settings, selection: Selection) -> ExportResult:
    """The selection's live flows, as `export` reads them; a selection matching none is refused."""
    read = ExportResult(settings.target.url, settings.target.org_id)
    await read_flows(connection.runner, connection.client, selection, read)
    if not read.flows:
        raise NothingSelected(f"the selection ({selection.describe()}) matches none of the {read.listed} flows you "
                              f"can see; nothing sent ({read.requests_text()})")
    return read


async def _plan(settings: Settings, verb: str, desired: Desired, path: Path, create_missing: bool,
                decide: Callable[[RunbookPlan], None] | None) -> RunbookPlan:
    """The reconcile plan of the desired lines against the live flows already read."""
    from migrate.engine.inventory import plan_job
    from migrate.reconcile.diff import create_action, invalid_action, live_actions
    from migrate.reconcile.live import Listed, LiveFlows, ReadFailed

    write_desired(path, desired)
    derived = snapshot_settings(settings, path, create_missing)
    result = plan_job(derived, workers=1, keep="payloads")
    result.offline = False

    async def cached(flow_id: str) -> dict[str, Any]:  # read once already, by the selection
        if flow_id not in desired.live:
            raise ReadFailed(None, f"flow {flow_id} is not in the service")
        return desired.live[flow_id]

    listed = [Listed(flow_id, str(line.get("flowName", "")), True) for flow_id, line in desired.live.items()]
    missing = [flow for flow in result.ready if flow.flow_id not in desired.live]
    present = [flow for flow in result.ready if flow.flow_id in desired.live]
    actions = await live_actions(LiveFlows(listed, frozenset(), cached), present, set(), False,
                                 settings.run.concurrency)
    for flow in missing:
        holders = [flow_id for flow_id in desired.names.get(flow.name, []) if flow_id != flow.flow_id]
        if holders:  # made again since the snapshot (a run re-created the job): another would be a twin
            actions.append(invalid_action_name_taken(flow, holders))
        else:
            actions.append(create_action(flow) if create_missing else invalid_action_missing(flow))
    lines = {str(line.get("flowId")): line for line in desired.lines}
    actions += [_only_seen(invalid_action(f), desired, lines) for f in result.listed()]
    _where_they_are(actions, desired, result)
    order = {str(line.get("flowId")): n for n, line in enumerate(desired.lines)}
    actions.sort(key=lambda a: order.get(a.flow_id or a.source_key, len(order)))
    result.actions = actions + list(desired.left_alone)
    result.notes += desired.notes
    if any(change.get("field") == "owners" for action in actions for change in action.changes) and (
            note := caller_note(with_caller_name(settings))):  # the embedded emulator's config names the caller
        # A change of owners that leaves the caller out locks it out of the flow for good (Save
        # refuses it, 62103, and the listing no longer shows it): said where it cannot be checked.
        result.notes.append(f"{note}; a flow whose owners leave the caller out also drops out of its listing, and "
                            "a later run no longer finds it")
    plan = RunbookPlan(verb, desired, result)
    if decide is not None:
        decide(plan)
    if serial_creates(plan):
        result.notes.append("some flows to create depend on others created here: they are saved one at a time, "
                            "dependencies first")
    result.notes.append(f"read the live service: {sum(desired.requests.values())} requests "
                        f"({', '.join(f'{n} {a}' for a, n in desired.requests.most_common())})")
    return plan


def _where_they_are(actions: list[Action], desired: Desired, result: PlanResult) -> None:
    """A live flow in another directory than the desired line says (a restore of a flow moved, or
    deleted and created anew in the root): no action moves a flow, so the plan says so."""
    wanted = {str(line.get("flowId")): line for line in desired.lines if "directory" in line}
    for action in actions:
        line, live = wanted.get(action.flow_id), desired.live.get(action.flow_id)
        if line is None or live is None or line.get("dirId") == live.get("dirId"):
            continue
        action.warnings.append({"code": "DIRECTORY", "from": str(live.get("directory") or ""),
                                "to": str(line.get("directory") or ""), "message": (
            f"the flow is in directory {live.get('directory')!r} now, the snapshot has it in "
            f"{line.get('directory')!r}: the service has no action that moves a flow; move it by hand")})
        result.warnings_by_code["DIRECTORY"] += 1


def _only_seen(action: Action, desired: Desired, lines: dict[str, dict[str, Any]]) -> Action:
    """A flow the caller only sees (not among its live owners, which the verb does not change) is
    refused by the mapping, CALLER_NOT_OWNER, with a migration's advice: it is `unchanged` when
    the verb changes nothing of it (an edit that matches nothing there, a restore of it as it is),
    else `NO_PRIVILEGE` (Save would refuse it, 62103). It made every restore of a whole account
    exit 5 (found by a reviewer)."""
    from migrate.reconcile.compare import changed_fields, remote_graph, shown_changes

    codes = {error.get("code") for error in action.errors}
    live = desired.live.get(action.source_key)
    line = lines.get(action.source_key)
    if codes != {"CALLER_NOT_OWNER"} or live is None or line is None:
        return action
    wanted, held = remote_graph(line), remote_graph(live)
    changes = changed_fields(wanted, held)
    if live.get("hasEditPri") is not False and any(name == "owners" for name, _, _ in changes):
        return action  # an owner now, whom the verb leaves out of the owners: the mapping's refusal stands
    action.flow_id = action.source_key
    action.freq, action.cycle = str(wanted.get("freq") or ""), str(wanted.get("cycle") or "")
    desired.only_seen.add(action.source_key)
    if not changes:
        action.action, action.errors = "unchanged", []
        return action
    action.changes = shown_changes(changes)
    owners = held.get("owners") or live.get("owner") or ""
    action.errors = [{"code": "NO_PRIVILEGE", "message": (
        f"NO_PRIVILEGE: flow {action.source_key} is not yours to save: the calling user is not among its owners "
        f"({owners}), only sees it (the service refuses the save, 62103); have an owner add you, or leave it out of "
        "the selection")}]
    return action


def invalid_action_missing(flow: Any) -> Action:
    return Action("invalid", flow.source_key, flow.name, flow.rows, flow.flow_id,
                  errors=[{"code": "NOT_FOUND", "message": f"flow {flow.flow_id} is not in the service"}])


def invalid_action_name_taken(flow: Any, holders: list[str]) -> Action:
    """A flow to create again whose name live flows hold: made again since the snapshot (a
    migration's run re-creates a deleted job, under its own id); created too, the job would run twice."""
    held = ", ".join(holders[:5]) + (f" and {len(holders) - 5} more" if len(holders) > 5 else "")
    return Action("invalid", flow.source_key, flow.name, flow.rows, flow.flow_id, errors=[{
        "code": "NAME_TAKEN", "message": (
            f"NAME_TAKEN: flow {flow.flow_id} is not in the service, and flow {held} holds its name {flow.name!r} "
            "(made since the snapshot: perhaps a run made the job again): created too, the job would run twice; "
            "restore into the flow that holds the name, delete it first, or leave this flow out")}])


def plan_runbook(settings: Settings, verb: str, make: MakeDesired, create_missing: bool = False,
                 decide: Callable[[RunbookPlan], None] | None = None) -> RunbookPlan:
    """The plan only: the live flows read (never written), each flow with its action."""

    async def planned() -> RunbookPlan:
        from migrate.engine.pacing import StopSignal

        async with connected(settings, StopSignal()) as connection:
            desired = await make(connection, settings)
        with tempfile.TemporaryDirectory(prefix="migrate-") as folder:
            return await _plan(settings, verb, desired, Path(folder) / "desired.jsonl", create_missing, decide)

    return asyncio.run(planned())


def apply_runbook(settings: Settings, verb: str, make: MakeDesired, *, create_missing: bool = False,
                  decide: Callable[[RunbookPlan], None] | None = None, run_id: str | None = None,
                  resume: bool = False, before: Path | None = None, show: Callable[[RunbookPlan], None],
                  resume_hint: str, saved_status: str = "saved",
                  show_resumed: Callable[[int, Path, Path | None], None] | None = None) -> RunbookRun:
    """Plan, show it, write the before snapshot and the plan, apply it; or continue run ID
    (`show_resumed`: told the plan's changes, its file and the before file, before the first)."""
    from migrate.engine.job import new_run_id, run_job
    from migrate.engine.lock import RUNBOOK_SCOPE, run_lock
    from migrate.results.history import checked_run_id, log_path

    if resume and run_id is None:
        raise CannotRun("--resume needs --run-id: the run to continue")
    run_id = checked_run_id(run_id if run_id is not None else settings.run.run_id or new_run_id())
    path = log_path(settings, run_id)
    desired_path = runbook_file(path, run_id, "desired.jsonl")
    plan_path = runbook_file(path, run_id, "plan.json")
    given = before is not None
    before = before if before is not None else runbook_file(path, run_id, "before.jsonl")
    hint = f"{resume_hint} --run-id {run_id} --resume"  # the command line, run id and --resume added
    with run_lock(settings, path, run_id, RUNBOOK_SCOPE):  # before anything is read: a resume too
        if resume:
            _check_resumable(run_id, desired_path, plan_path)
            plan = None
            if show_resumed is not None:
                show_resumed(_planned_changes(plan_path), plan_path, before if before.is_file() else None)
        else:
            if plan_path.is_file() and not path.exists():  # planned, cut short before its first line
                raise CannotRun(f"run {run_id} exists already (its plan {plan_path}): continue it with --resume, "
                                "or give another --run-id")
            check_new_run(path, before, run_id, given)

            async def planned() -> RunbookPlan:
                from migrate.engine.pacing import StopSignal

                async with connected(settings, StopSignal()) as connection:
                    desired = await make(connection, settings)
                desired_path.parent.mkdir(parents=True, exist_ok=True)
                return await _plan(settings, verb, desired, desired_path, create_missing, decide)

            plan = asyncio.run(planned())
            try:
                show(plan)
            except BaseException:  # the plan could not be shown whole (`| head`, an interrupt): nothing sent
                desired_path.unlink(missing_ok=True)
                raise
            _record_not_sent(path, run_id, plan, before, settings.config_path.name)
            if not plan.changes:
                desired_path.unlink(missing_ok=True)
                code = EXIT_OK
                if plan.desired.left_alone:  # their lines are the run's only ones
                    code = EXIT_SOME_FAILED if any(a.action == "conflict" for a in plan.desired.left_alone) \
                        else EXIT_INVALID_ROWS
                elif plan.exit_code == EXIT_INVALID_ROWS:
                    code = EXIT_INVALID_ROWS
                return RunbookRun(code, plan, None, path, None, ["nothing to change: nothing was saved"],
                                  summary=_logged(path, run_id))
            # First the before file, whole: nothing changes before it is. Flows to create have no
            # before; when there is nothing else, there is no before file (an empty one would
            # select every flow as an ids file).
            changing = {a.flow_id for a in plan.changes if a.action == "update"}
            if changing:
                write_snapshot(before, ExportResult(settings.target.url, settings.target.org_id, plan.desired.listed,
                                                    [plan.desired.live[i] for i in plan.desired.live if i in changing]),
                               plan.desired.selection)
            write_plan(plan_path, settings.config_path, plan.plan)
            if plan.desired.only_seen:  # their lines are written: the run maps the others only
                write_desired(desired_path, replace(plan.desired, lines=[
                    line for line in plan.desired.lines if str(line.get("flowId")) not in plan.desired.only_seen]))
        serial = (plan is not None and serial_creates(plan)) or (resume and _planned_serial(plan_path))
        derived = snapshot_settings(settings, desired_path, create_missing, serial)
        # A run killed after its plan and before its first line has no log: nothing was sent, so
        # it goes on as a fresh run of that plan (the engine resumes only a run with a log).
        continues = resume and path.is_file()
        result = asyncio.run(run_job(derived, run_id=run_id, resume=continues, plan=plan_path, held_lock=True,
                                     resume_hint=hint, saved_status=saved_status,
                                     # a run that only creates flows has no before file to name
                                     line_extra={"before": str(before)} if before.is_file() else None))
    code = result.exit_code
    if plan is not None and _not_sent(plan):  # their lines were written before the run's own
        from migrate.engine.job import read_log_lines
        from migrate.results.log import Summary

        elapsed, sent = result.summary.elapsed_seconds, result.summary.sent
        result.summary = Summary.of(read_log_lines(path, run_id), elapsed_seconds=elapsed)
        result.summary.sent_in_elapsed = sent
        if code == EXIT_OK and (plan.desired.left_alone or result.summary.counts["invalid"]):
            # a conflict is a change not made; an edit refused; a flow the caller only sees, not saved
            code = EXIT_SOME_FAILED if result.summary.counts["stale"] else EXIT_INVALID_ROWS
    notes = [n for n in result.notes if not n.startswith(("applied the plan", "orphans"))]  # a run's, not ours
    if resume:
        notes.append(f"resumed run {run_id} from its own plan ({plan_path}): the command line's selection and "
                     "edits were not read again")
    return RunbookRun(code, plan, result, path, before, notes, summary=result.summary)


def _check_resumable(run_id: str, desired_path: Path, plan_path: Path) -> None:
    """A run to resume has its desired file and its plan; else the refusal names what is missing."""
    if desired_path.is_file() and plan_path.is_file():
        return
    if not desired_path.is_file() and not plan_path.is_file():
        raise CannotRun(f"run {run_id} has nothing to resume: no {desired_path} and no {plan_path} (a run that "
                        "changed nothing leaves none)")
    if not plan_path.is_file():
        raise CannotRun(f"run {run_id} has nothing to resume: no {plan_path} (it stopped before its plan was "
                        "written, so nothing was sent); run it again with another --run-id")
    raise CannotRun(f"run {run_id} cannot be resumed: its plan {plan_path} is there, but not the flows it applies, "
                    f"{desired_path}")


def _logged(path: Path, run_id: str) -> Any:
    """The summary of this run's lines so far, or None when it wrote none."""
    if not path.is_file():
        return None
    from migrate.engine.job import read_log_lines
    from migrate.results.log import Summary

    return Summary.of(read_log_lines(path, run_id))


def _planned_changes(plan_path: Path) -> int:
    """How many flows a written plan creates or updates (0 when it cannot be read: the run says so)."""
    try:
        by_action = json.loads(plan_path.read_text(encoding="utf-8")).get("by_action") or {}
        return sum(int(by_action.get(action, 0)) for action in CHANGES)
    except (OSError, ValueError, AttributeError, TypeError):
        return 0


def _planned_serial(plan_path: Path) -> bool:
    try:
        notes = json.loads(plan_path.read_text(encoding="utf-8")).get("notes") or []
        return any("one at a time" in str(note) for note in notes)
    except (OSError, ValueError, AttributeError):
        return False


def _not_sent(plan: RunbookPlan) -> list[Action]:
    """The flows the verb sends nothing for: already as wanted, left alone (an edit it cannot take,
    a conflict), and, when nothing is saved, those Save would refuse (a run that saves writes their
    `invalid` lines itself). Each gets its line before the run's own: a run's log has a line for
    every flow it matched, as `run`'s and `disable`'s have, and exists even when nothing is saved."""
    left_alone = {id(a) for a in plan.desired.left_alone}
    return [a for a in plan.actions if a.action == "unchanged" or id(a) in left_alone
            or (a.action not in CHANGES and (not plan.changes or a.flow_id in plan.desired.only_seen))]


def _record_not_sent(path: Path, run_id: str, plan: RunbookPlan, before: Path, config: str) -> None:
    """One result line for each flow the verb sends nothing for (`_not_sent`), with every field a
    line of a flow that was sent has (docs/reliability.md): none of its answer's."""
    left = _not_sent(plan)
    if not left:
        return
    from migrate.results.log import ResultLog

    written = any(a.action == "update" for a in plan.changes)  # the before file holds the flows to update
    log = ResultLog(path, run_id=run_id, source_file=plan.desired.source, config=config)
    try:
        for action in left:
            error = action.errors[0] if action.errors else {}
            status = {"unchanged": "unchanged", "conflict": "stale"}.get(action.action, "invalid")
            log.record(rows=[], source_key=action.source_key, flow_id=action.flow_id or None, name=action.name,
                       status=status, attempts=0, http_status=None, code=error.get("code"),
                       msg=error.get("message", ""), elapsed_ms=None, latency_ms=None, target=f"flow {action.flow_id}",
                       before=str(before) if written else None)
    finally:
        log.close()


# ---- What each verb wants --------------------------------------------------------------------

def edit_desired(selection: Selection, edits: Edits, source: str) -> MakeDesired:
    """`edit`: the selection read live, each flow with the edits made; a flow that cannot take
    them is left alone (`invalid`, EDIT_REFUSED, the reason)."""

    async def make(connection: Connection, settings: Settings) -> Desired:
        read = await read_live(connection, settings, selection)
        desired = Desired(selection, [], {str(line["flowId"]): line for line in read.flows}, read.listed,
                          requests=read.requests, source=source,
                          notes=[note] if (note := read.missing_note()) else [])
        for line in read.flows:
            flow_id = str(line["flowId"])
            try:
                desired.lines.append(apply_edits(line, edits))
            except EditRefused as why:
                desired.left_alone.append(Action("invalid", flow_id, str(line.get("flowName", "")), flow_id=flow_id,
                                                 errors=[{"code": "EDIT_REFUSED", "message": str(why)}]))
        return desired

    return make


@dataclass
class Snapshot:
    """A snapshot file's flows, checked before anything is read from the service."""

    path: Path
    header: dict[str, Any]
    flows: list[dict[str, Any]]


def read_snapshot(path: Path, selection: Selection) -> Snapshot:
    """The snapshot's flows that the selection picks; a file that is not a whole snapshot, or a
    selection that picks none of its flows, is refused here (exit 1, nothing read)."""
    from migrate import snapshots
    from migrate.selection import snapshot_matches

    found = snapshots.read(path)
    header, flows = found.header, []
    for number, line in found.lines:
        if isinstance(line, str) or not isinstance(line, dict) or "flowId" not in line:
            raise CannotRun(f"{path}: {line if isinstance(line, str) else f'line {number} is not a flow (no flowId)'}")
        flows.append(line)
    seen: dict[str, int] = {}
    for number, line in enumerate(flows, 2):
        flow_id = str(line["flowId"])
        if flow_id in seen:
            raise CannotRun(f"{path}: flow {flow_id} is in the snapshot twice (lines {seen[flow_id]} and {number}): "
                            "which one to restore? keep one")
        seen[flow_id] = number
    chosen = [line for line in flows if snapshot_matches(selection, line)]
    if not chosen:
        raise NothingSelected(f"the selection ({selection.describe()}) matches none of the {len(flows)} flows of "
                              f"{path}; nothing read, nothing sent")
    return Snapshot(path, header, chosen)


def restore_desired(snapshot: Snapshot, selection: Selection) -> MakeDesired:
    """`restore`: the snapshot's flows as they were, and the live flows they are now (one Get Flow
    each of those the service still lists, and Export Flow of those whose snapshot line holds
    their tasks' bodies: Save cannot set a task's body, so a flow whose live tasks differ from the
    snapshot's is left alone, `_bodies_refused`)."""

    async def make(connection: Connection, settings: Settings) -> Desired:
        from migrate import snapshots

        ids = Selection(ids=tuple(str(line["flowId"]) for line in snapshot.flows))
        # Export Flow too where the line holds bodies to compare, or where it holds none and would
        # switch the flow on: its live tasks may be the empty ones a snapshot without bodies made.
        with_bodies = {str(line["flowId"]) for line in snapshot.flows
                       if snapshots.task_bodies(line) or str(line.get("active")) == "1"}
        read = ExportResult(settings.target.url, settings.target.org_id)
        await read_flows(connection.runner, connection.client, ids, read, bodies=with_bodies)
        live = {str(line["flowId"]): line for line in read.flows}
        taken_from = str(snapshot.header.get("target", ""))
        notes = [] if taken_from == settings.target.url else [
            f"the snapshot was taken from {taken_from or 'an unnamed service'}; this restores it into "
            f"{settings.target.url}"]
        org = str(snapshot.header.get("org_id") or "")
        if org and org != settings.target.org_id:  # its flows are not this organization's: each would be made anew
            notes.append(f"the snapshot was taken from organization {org}; this config's is {settings.target.org_id}: "
                         "a flow of it the service here does not have is created here as a new flow (restore it "
                         "with the config of organization " + org + " to put that one's flows back)")
        held = snapshot.header.get("flows")
        desired = Desired(selection, [], live, read.listed, requests=read.requests, notes=notes,
                          source=str(snapshot.path),
                          snapshot_flows=held if isinstance(held, int) else len(snapshot.flows), names=read.names)
        unlisted = await _there_unlisted(connection, [line for line in snapshot.flows
                                                      if str(line["flowId"]) not in live], desired)
        anew = 0
        held = {flow_id for flow_id, why in unlisted.items() if why.startswith(ID_HELD)}
        for line in dependencies_first(snapshot.flows):
            flow_id = str(line["flowId"])
            if flow_id in live and not _same_flow(line, live[flow_id]):
                unlisted[flow_id] = _held_by_another(flow_id, live[flow_id])
                held.add(flow_id)
            if flow_id not in unlisted and (upstream := sorted(_depends_on(line) & held)):
                unlisted[flow_id] = (f"{UPSTREAM_HELD}: it depends on flow {', '.join(upstream)}, whose id here is "
                                     "another flow's (ID_HELD): restored, it would wait on that flow instead; left "
                                     "alone")
                held.add(flow_id)  # and what depends on it, in turn
            if flow_id in unlisted:  # there, and not the caller's to save: never created again beside it
                desired.left_alone.append(Action("invalid", flow_id, str(line.get("flowName", "")), flow_id=flow_id,
                                                 errors=[{"code": unlisted[flow_id].split(":")[0],
                                                          "message": unlisted[flow_id]}]))
                continue
            try:
                aimed = _aimed_at_tasks_made_anew(line, live.get(flow_id))
            except RebindError as why:
                desired.left_alone.append(Action("invalid", flow_id, str(line.get("flowName", "")), flow_id=flow_id,
                                                 errors=[{"code": "TASKS_MADE_ANEW", "message": (
                                                     f"none of the snapshot's tasks is in the live flow any more "
                                                     f"(made anew since), and they cannot be matched by name: "
                                                     f"{why}; delete the flow, then restore it (Import makes it "
                                                     "with the snapshot's tasks)")}]))
                continue
            refused = _bodies_refused(line, live.get(flow_id), snapshot.path, settings)
            if refused is not None:
                desired.left_alone.append(refused)
                continue
            anew += aimed is not line
            desired.lines.append(aimed)
        if anew:
            desired.notes.append(f"{anew} flows have none of the snapshot's tasks any more (made anew since: "
                                 "deleted and restored, or imported again): the snapshot's tasks are matched to "
                                 "theirs by name, since Save only references tasks the flow has")
        return desired

    return make


async def _there_unlisted(connection: Connection, lines: list[dict[str, Any]], desired: Desired) -> dict[str, str]:
    """Of the snapshot's flows the caller's listing does not show, those the service has all the
    same: still that flow (`_same_flow`), with other owners now, the caller not even a visitor
    (NO_PRIVILEGE), or another flow holding the id (ID_HELD: another name and other tasks; or one
    the caller may not read, 62103, which cannot be told apart): flow id -> why it is left alone.
    One Get Flow each. Not there (62102): created under its own id."""
    from migrate.reconcile.live import ReadFailed, answered_code
    from migrate.service.answers import INVALID_PARAMETER, NO_PRIVILEGE

    found: dict[str, str] = {}
    for line in lines:
        flow_id = str(line["flowId"])
        desired.requests["get"] += 1
        try:
            live = await connection.runner.read_flow(flow_id)
        except ReadFailed as failed:
            if answered_code(failed) == INVALID_PARAMETER:
                continue  # not there: restored by creating it, under its own id
            if answered_code(failed) == NO_PRIVILEGE:  # a flow holds the id, which the caller may not read
                found[flow_id] = (f"{ID_HELD}: flow {flow_id} is in the service, and the caller may not read it "
                                  "(another organisation's, or one the caller neither owns nor sees): whether it is "
                                  "this flow cannot be told, so nothing is saved into it or created for it; restore "
                                  "it as a user who can read that flow")
                continue
            found[flow_id] = (f"NOT_READABLE: flow {flow_id}, which the caller's flows do not list, could not be "
                              f"read to tell whether the service has it ({getattr(failed.failure, 'msg', '')}); "
                              "restore it again")
            continue
        if not _same_flow(line, live):
            found[flow_id] = _held_by_another(flow_id, live)
        else:
            owners = ", ".join(o for o in str(live.get("owner") or "").split(";") if o)
            found[flow_id] = (f"NO_PRIVILEGE: flow {flow_id} is in the service, owned by {owners or 'others'}, but not "
                              "among the caller's flows (neither owner nor visitor now): not created again beside "
                              "it; restore it as one of its owners, or make the caller one first")
    return found


ID_HELD, UPSTREAM_HELD = "ID_HELD", "UPSTREAM_HELD"


def _same_flow(line: dict[str, Any], live: dict[str, Any]) -> bool:
    """Whether the live flow of a snapshot line's id is that flow (renamed, edited, its tasks made
    anew) or another that holds the id now: in another service, whose ids are its own, or a flow
    made since under this id (Import asks for an id). The same name says it is this flow; else only
    the very tasks the line lists (the same task ids, all of them: a rename keeps them). A marker
    does not (a profile keyed by the flow's own id, enos-v2 or a table's id column, marks whatever
    flow holds the id), nor a task name in common (`extract`, `load`: any flow's)."""
    from migrate.mapping.identity import name_key

    same_name = name_key(str(live.get("flowName", ""))) == name_key(str(line.get("flowName", "")))
    return same_name or _same_task_ids(line, live)


def _held_by_another(flow_id: str, live: dict[str, Any]) -> str:
    return (f"{ID_HELD}: flow {flow_id} in the service is named {str(live.get('flowName', ''))!r}, not as the "
            "snapshot has it, and does not hold the snapshot's tasks (by id): another flow holds the id (in another "
            "service, whose ids are its own, or one made since under it), so it is never saved into, and this flow "
            "is not restored under another id (flows that depend on it would wait on that one); if it is this "
            "flow, renamed since and its tasks changed, delete it, then restore")


def _bodies_refused(line: dict[str, Any], live: dict[str, Any] | None, path: Path,
                    settings: Settings) -> Action | None:
    """A flow the service has whose tasks, as Export Flow gives them now, run other bodies or
    settings than the snapshot's (compared by task name, each field the snapshot's entry gives):
    Save only references tasks, it cannot set them, so the restore leaves the flow alone (`invalid`,
    TASK_BODIES_DIFFER), `--force` or not: a flow is never enabled to run other bodies than the
    snapshot says. Its live tasks unread (Export Flow failed): left alone too (TASK_BODIES_UNREAD).
    None: nothing to compare (the line holds no bodies, the flow is to be created) or no difference."""
    from migrate import snapshots

    wanted = snapshots.task_bodies(line)
    if live is None:
        return None
    flow_id, name = str(line["flowId"]), str(line.get("flowName", ""))
    found = snapshots.task_bodies(live)
    if not wanted:
        return _empty_switched_on(line, live, found, flow_id, name)
    if found is None:
        exported = live.get(snapshots.EXPORTED)
        why = exported.get("error") if isinstance(exported, dict) else None
        return Action("invalid", flow_id, name, flow_id=flow_id, errors=[{"code": "TASK_BODIES_UNREAD", "message": (
            f"Export Flow failed for the live flow ({why or 'no answer'}): its tasks' bodies could not be compared "
            "with the snapshot's, and Save cannot set them, so the flow is left alone; restore it again once "
            "Export Flow answers")}])
    differing = snapshots.tasks_differ(wanted, found)
    if not differing:
        return None
    shown = ", ".join(f"{task!r} ({', '.join(fields)})" for task, fields in list(differing.items())[:10])
    more = f" and {len(differing) - 10} more" if len(differing) > 10 else ""
    config = settings.config_path
    return Action("invalid", flow_id, name, flow_id=flow_id, errors=[{"code": "TASK_BODIES_DIFFER", "message": (
        f"the live flow's tasks differ from the snapshot's: {shown}{more}; Save cannot set a task's body or "
        "settings (it only references tasks): the flow is left alone as it is, --force or not (never enabled to "
        f"run other bodies than the snapshot's). To restore it whole, delete it (`migrate delete {config} --id "
        f"{flow_id} --apply`), then restore it (`migrate restore {path} --config {config} --id {flow_id} "
        "--apply`): Import makes it with the snapshot's tasks")}])


def _empty_switched_on(line: dict[str, Any], live: dict[str, Any], found: dict[str, dict[str, Any]] | None,
                       flow_id: str, name: str) -> Action | None:
    """A line without bodies that would switch on a flow the service holds inactive, whose live
    tasks run nothing (empty commands: made from a snapshot without bodies, their ids the service's
    new ones) or could not be read: left alone (`invalid`, TASK_BODIES_MISSING), never enabled to
    run empty tasks. The very tasks the line lists (by id: a disable's before file, undone) are
    switched on as they were when it was written, empty or not: that is the state it puts back."""
    if str(line.get("active")) != "1" or str(live.get("active")) == "1":
        return None
    if _same_task_ids(line, live):  # read by Get Flow: what Export Flow says of them (or fails to) matters not
        return None
    empty = sorted(task for task, entry in (found or {}).items() if not str(entry.get("cmd") or "").strip())
    if found is not None and not empty:
        return None
    what = f"its live tasks {empty} have no body" if found is not None else "its live tasks could not be read"
    return Action("invalid", flow_id, name, flow_id=flow_id, errors=[{"code": "TASK_BODIES_MISSING", "message": (
        f"the snapshot would switch it on, but {what} (Export Flow), and the snapshot holds none to give them "
        "(Save cannot set them): left alone, inactive; set the tasks' bodies in the service, then `migrate "
        f"enable` it, or restore it from a snapshot that holds them (`migrate export` keeps them)")}])


def _same_task_ids(line: dict[str, Any], live: dict[str, Any]) -> bool:
    """Whether the live flow holds the very tasks the line lists: the same task ids, all of them."""
    from migrate.reconcile.compare import remote_graph

    def ids(flow: dict[str, Any]) -> set[str]:
        return {str(task.get("taskId")) for task in remote_graph(flow).get("tasks") or [] if isinstance(task, dict)}

    written = ids(line)
    return bool(written) and written == ids(live)


def _aimed_at_tasks_made_anew(line: dict[str, Any], live: dict[str, Any] | None) -> dict[str, Any]:
    """A snapshot line aimed at its live flow's tasks when they were made anew since the snapshot
    (reconcile/targets.py aimed_at_live_tasks: a restore of a deleted flow imports new tasks, so
    the snapshot's old ids would point at tasks that are gone). RebindError: the names do not match."""
    graph, live_graph = line.get("graph"), (live or {}).get("graph")
    if not isinstance(graph, dict) or not isinstance(live_graph, dict):
        return line
    try:
        aimed = aimed_at_live_tasks(graph, str(line["flowId"]), live_graph)
    except (KeyError, TypeError):  # a graph without its node ids (edited by hand): the profile says what is wrong
        return line
    return line if aimed is graph else {**line, "graph": aimed}


def conflicts(caller: str | None, force: bool) -> Callable[[RunbookPlan], None]:
    """`restore`'s check: a flow to update that someone else changed since the snapshot (its last
    change is not the calling user's) is a conflict, left alone unless `force`. A flow the caller
    changed last (a runbook of this tool, or by hand as the same user) is restored."""

    def decide(plan: RunbookPlan) -> None:
        wanted = {str(line["flowId"]): line for line in plan.desired.lines}
        for action in plan.actions:
            if action.action != "update" or force:
                continue
            live = plan.desired.live.get(action.flow_id, {})
            who, when = str(live.get("updateUser", "")), str(live.get("updateTime", ""))
            if caller is not None and who == caller:
                continue
            was = str(wanted.get(action.flow_id, {}).get("updateTime", ""))
            action.action = "conflict"
            action.errors = [{"code": "CONFLICT", "message": (
                f"changed since the snapshot by {who or 'an unknown user'} at {when} (the snapshot has {was}): "
                "left alone; --force restores it anyway")}]
            plan.desired.left_alone.append(action)
        if caller is None and not force:
            plan.plan.notes.append("the calling user's name is not known ([target] user_name): every flow that "
                                   "differs from the snapshot counts as changed by someone else (a conflict)")

    return decide
