"""A coordinator's part of its flow: the schedule (`frequency`, `start`, `end`, `timezone`, converted
by migrate/schedule/oozie.py) and the proof's source of it, its `controls` reported, its datasets
and input and output events as data dependencies, and the workflow its actions ran
(`coordinator_workflow`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeTree

from migrate.schedule.oozie import place_frequency, read_datetime, read_zone
from migrate.schedule.result import Rejection
from migrate.sources.profiles import FlowRows
from migrate.sources.profiles.end_dates import report_end
from migrate.sources.profiles.oozie.applications import App, Export, find_app, path_parts
from migrate.sources.profiles.oozie.context import Context, required
from migrate.sources.profiles.oozie.elements import child, children, local, parse_xml, properties, text
from migrate.sources.profiles.oozie.expressions import Scope
from migrate.sources.profiles.oozie.messages import Malformed, listed
from migrate.sources.profiles.oozie.options import Settings
from migrate.sources.profiles.oozie.workflow import fill_workflow


def _moment(scope: Scope, app: App, attribute: str) -> tuple[datetime, int] | Malformed:
    """The coordinator's start or end, or why it cannot be read."""
    written = app.root.get(attribute)
    if written is None:
        return Malformed("MALFORMED_APP", f"the coordinator has no {attribute}")
    try:
        text = required(scope, written, attribute)
        return read_datetime(text)
    except Malformed as malformed:
        return malformed
    except Rejection as rejection:
        return Malformed("INVALID_DATE", f"{attribute} {written!r}: {rejection.message}")


def schedule(flow: FlowRows, app: App, scope: Scope, options: Settings, ctx: Context) -> None:
    frequency_text = app.root.get("frequency", "")
    try:
        frequency, resolved = scope.frequency(frequency_text)
    except Rejection as rejection:
        raise Malformed(rejection.code, f"frequency {frequency_text!r}: {rejection.message}") from None
    if frequency is None:
        required(scope, frequency_text, "frequency")  # names what is missing
        raise Malformed("INVALID_SYNTAX", f"frequency {frequency_text!r} ({resolved.text!r}) is not a frequency")
    if not app.root.get("timezone"):
        raise Malformed("MALFORMED_APP", "the coordinator has no timezone")
    zone_text = required(scope, app.root.get("timezone"), "timezone")
    start, end = _moment(scope, app, "start"), _moment(scope, app, "end")
    for moment, needed in ((start, frequency.unit != "cron"), (end, False)):
        if isinstance(moment, Malformed) and (needed or moment.code != "EL_UNRESOLVED"):
            raise moment
    if isinstance(start, Malformed):
        ctx.note("START_UNKNOWN", f"{start}: the flow's start date is not set")
    if isinstance(end, Malformed):
        ctx.note("END_UNKNOWN", f"{end}: the coordinator stopped then, which cannot be checked")
    known_start = start if not isinstance(start, Malformed) else None
    known_end = end if not isinstance(end, Malformed) else None
    try:
        zone = read_zone(zone_text)
        processing = options.processing_offset if options.processing_offset is not None else (
            known_start[1] if known_start else known_end[1] if known_end else 0)
        placed = place_frequency(frequency, known_start[0] if known_start else None, zone, processing,
                                 options.version, options.first_day_of_week)
    except Rejection as rejection:
        raise Malformed(rejection.code, f"frequency {frequency.source!r} ({zone_text}): {rejection.message}") from None
    if zone.alias:
        ctx.note("TIMEZONE_ALIAS", f"timezone {zone.alias} is Java's {zone.iana}")
    flow.schedule = placed.converted.freq
    flow.cells["timezone"] = placed.zone
    _proof_source(flow, app, scope, resolved.text, zone_text, options)
    if known_start is not None:
        flow.cells["start_date"] = zone.local(placed.first or known_start[0]).date().isoformat()
        # The instant it begins: the flow's start is a day in the service's zone, which may begin
        # before or after it (a coordinator in a zone east of the service's), and the mapping names
        # the runs between them (FIRST_DAY).
        flow.cells["source_start"] = known_start[0].isoformat()
    if known_end is not None:
        written = app.root.get("end", "")
        resolved_end = scope.resolve(written).text
        shown = written if written == resolved_end else f"{written} ({resolved_end})"
        # Oozie materialises no action whose nominal time is at or after its end
        report_end(flow, "the coordinator's end", shown, known_end[0].astimezone(UTC).date(), known_end[0])


def _proof_source(flow: FlowRows, app: App, scope: Scope, frequency: str, zone_text: str, options: Settings) -> None:
    """The coordinator as resolved, for the proof (mapping/flows.py, schedule/proof_oozie.py): a JSON
    object of its frequency, start, end and timezone (and the server's options that the frequency
    needs); `start` its anchor."""
    document = {"frequency": frequency, "timezone": zone_text}
    for attribute in ("start", "end"):
        resolved = scope.resolve(app.root.get(attribute, "")).text
        if resolved and "${" not in resolved:
            document[attribute] = resolved
    if options.processing_offset is not None:
        hours, minutes = divmod(abs(options.processing_offset), 60)
        document["processing_timezone"] = f"GMT{'-' if options.processing_offset < 0 else '+'}{hours:02d}{minutes:02d}"
    if options.first_day_of_week:
        document["first_day_of_week"] = options.first_day_of_week
    flow.cells.update(source_schedule=json.dumps(document), source_grammar="oozie", start=document.get("start", ""))


TIMEOUT_MINUTES = {"minute": 1, "day": 1440, "week": 10080, "month": 30 * 1440}


def controls(app: App, scope: Scope, ctx: Context) -> None:
    controls = child(app.root, "controls")
    meanings = {
        "timeout": ("TIMEOUT", "minutes an action waited for its data before Oozie gave up (-1: forever)"),
        "concurrency": ("CONCURRENCY", "actions of the coordinator that ran at once"),
        "execution": ("EXECUTION_ORDER", "the order waiting actions ran in (FIFO, LIFO, LAST_ONLY, NONE)"),
        "throttle": ("THROTTLE", "actions Oozie kept waiting at once"),
    }
    for tag, (code, meaning) in meanings.items():
        written = text(controls, tag)
        if not written:
            continue
        value = ctx.text(scope, written, tag)
        if tag == "timeout" and "${coord:" in written:  # ${coord:hours(16)}: for a timeout a day is 24 h
            try:
                frequency, _ = scope.frequency(written)
            except Rejection:
                frequency = None
            if frequency is not None and frequency.unit != "cron":
                value = f"{frequency.count * TIMEOUT_MINUTES[frequency.unit]} ({written})"
        ctx.flow.warn(code, f"{tag} {value}: {meaning}; a flow has no such setting, not carried")


def _datasets(app: App, scope: Scope, ctx: Context) -> dict[str, str]:
    """The coordinator's datasets by name (their uri-template), included files read too."""
    found: dict[str, str] = {}
    datasets = child(app.root, "datasets")
    if datasets is None:
        return found
    for include in children(datasets, "include"):
        written = ctx.text(scope, text(include), "datasets include")
        target = find_app_file(ctx.export, written, app.path)
        if target is None:
            ctx.note("DATA_DEPENDENCY", f"the datasets of {written} (not in the export)")
            continue
        for dataset in children(target, "dataset"):
            found[dataset.get("name", "")] = text(dataset, "uri-template")
    for dataset in children(datasets, "dataset"):
        found[dataset.get("name", "")] = text(dataset, "uri-template")
    return found


def find_app_file(export: Export, written: str, near: str) -> Element | None:
    """A `<datasets>` file an `<include>` names, matched on its last parts as application paths are."""
    parts = path_parts(written)
    best: tuple[int, Element] | None = None
    for path, data in export.files.files.items():
        file_parts = path.split("/")
        matched = 0
        for wanted, have in zip(reversed(parts), reversed(file_parts), strict=False):
            if wanted != have:
                break
            matched += 1
        if matched and (matched == len(file_parts) or matched >= 2) and (best is None or matched > best[0]):
            try:
                root = parse_xml(path, data, export.files.root)
            except SafeTree.ParseError:
                continue
            if local(root.tag) == "datasets":
                best = (matched, root)
    return best[1] if best else None


@dataclass
class DataEvents:
    inputs: list[tuple[str, str]]  # (event name, uri-template)
    outputs: list[tuple[str, str]]


def events(app: App, scope: Scope, ctx: Context) -> DataEvents:
    datasets = _datasets(app, scope, ctx)
    keep = Scope(scope.values, frozenset({"YEAR", "MONTH", "DAY", "HOUR", "MINUTE"}))
    events = DataEvents([], [])
    for tag, into in (("input-events", events.inputs), ("output-events", events.outputs)):
        for event in [*children(child(app.root, tag), "data-in"), *children(child(app.root, tag), "data-out")]:
            dataset = keep.resolve(event.get("dataset", "")).text
            template = keep.resolve(datasets.get(dataset, "")).text
            into.append((event.get("name", dataset), template or dataset))
    return events


def data_dependencies(flow: FlowRows, events: DataEvents, producers: dict[str, list[str]], key: str,
                       app: App) -> None:
    if events.inputs:
        logic = " (with <input-logic>)" if child(app.root, "input-logic") is not None else ""
        flow.warn("DATA_DEPENDENCY", f"each action waited for its input data{logic}: "
                                     f"{listed([f'{n} = {t}' for n, t in events.inputs], 4)}; the flow runs at the "
                                     "same times without waiting: make it wait on the flows that write the data")
    for name, template in events.inputs:
        writers = [w for w in producers.get(template, []) if w != key]
        if writers:
            flow.warn("CROSS_FLOW_DEPENDENCY", f"input {name} ({template}) is written by {listed(writers)} of this "
                                               "export: add those flows as upstream flows in EnOS")
    if events.outputs:
        flow.warn("OUTPUT_EVENTS", f"the coordinator declared the data it writes: "
                                   f"{listed([f'{n} = {t}' for n, t in events.outputs], 4)} (used by the flows that "
                                   "wait on it)")


def coordinator_workflow(app: App, scope: Scope, ctx: Context) -> None:
    """The workflow a coordinator's actions ran, with the action's configuration, as the tasks."""
    workflow = child(child(app.root, "action"), "workflow")
    if workflow is None:
        raise Malformed("MALFORMED_APP", f"{app.path}: the coordinator has no <action><workflow>")
    if child(child(app.root, "action"), "info") is not None:
        ctx.note("SLA", f"{app.path} (the coordinator's actions)")
    written = _required_path(scope, text(workflow, "app-path"), ctx)
    found = find_app(ctx.export, written, "workflow", app.path)
    if found.unreadable:
        raise Malformed("MALFORMED_XML", f"{app.path}: app-path {written}: its workflow {found.problem}")
    if found.app is None:
        # A workflow beside it is this coordinator's, most likely: not a manual flow of its own.
        ctx.used.update(beside.path for beside in ctx.export.beside(app.path) if beside.kind == "workflow")
        raise Malformed("WORKFLOW_NOT_FOUND", f"{app.path}: app-path {written}: {found.problem}")
    if found.assumed:
        ctx.note("APP_PATH_ASSUMED", f"app-path {written} is unresolved: taken as {found.app.path}, the workflow "
                                     "beside the coordinator")
    configuration = {name: scope.resolve(value or "").text
                     for name, value in properties(child(workflow, "configuration"))}
    ctx.flow.cells["desc"] = f"Oozie coordinator {app.path}, workflow {found.app.path}"[:500]
    fill_workflow(ctx, found.app, scope.child(configuration))


def _required_path(scope: Scope, written: str, ctx: Context) -> str:
    """An app-path: its properties resolved where defined (an unresolved part matches any folder)."""
    resolved = scope.resolve(written)
    for name in resolved.undefined:
        ctx.undefined.setdefault(name, []).append("app-path")
    return resolved.text
