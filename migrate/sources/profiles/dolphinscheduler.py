"""DolphinScheduler workflow exports: the older keys (`processDefinition`,
`processTaskRelationList`) and the 3.3+ ones (`workflowDefinition`,
`workflowTaskRelationList`), with `taskDefinitionList`, the Quartz `schedule` and `locations`
(canvas positions, scaled into (0, 1)). Cross-references that do not agree (a relation to a task
that is not there, a schedule of another workflow) are reported, not followed and not crashed on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from migrate.config import SourceSettings
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.profiles.json_documents import load_json
from migrate.sources.readers import SourceError, SourceRow

GENERATIONS = (("workflowDefinition", "workflowTaskRelationList", "workflowDefinitionCode"),
               ("processDefinition", "processTaskRelationList", "processDefinitionCode"))


def _positions(locations: Any) -> dict[str, tuple[float, float]]:
    if isinstance(locations, str):
        try:
            locations = json.loads(locations) if locations.strip() else []
        except json.JSONDecodeError:
            return {}
    points = {str(p.get("taskCode")): (float(p.get("x", 0)), float(p.get("y", 0)))
              for p in locations or [] if isinstance(p, dict)}
    if not points:
        return {}
    width = max(x for x, _ in points.values()) or 1.0
    height = max(y for _, y in points.values()) or 1.0
    # DolphinScheduler places tasks in pixels; the flow canvas wants fractions inside (0, 1).
    return {code: (round(0.05 + 0.9 * x / width, 4), round(0.05 + 0.9 * y / height, 4))
            for code, (x, y) in points.items()}


def _flow(export: dict[str, Any], index: int) -> FlowRows:
    generation = next((g for g in GENERATIONS if g[0] in export), None)
    if generation is None:
        flow = FlowRows(key=f"workflow {index + 1}", name="")
        flow.fail("UNKNOWN_FORMAT", "neither workflowDefinition nor processDefinition")
        return flow
    definition_key, relations_key, code_key = generation
    definition = export.get(definition_key) or {}
    code = str(definition.get("code", ""))
    flow = FlowRows(key=f"workflow {code or index + 1}", name=str(definition.get("name", "")))
    tasks = {str(t.get("code")): t for t in export.get("taskDefinitionList") or [] if isinstance(t, dict)}
    upstream: dict[str, list[str]] = {task: [] for task in tasks}
    for relation in export.get(relations_key) or []:
        pre, post = str(relation.get("preTaskCode", 0)), str(relation.get("postTaskCode", 0))
        missing = [c for c in (pre, post) if c != "0" and c not in tasks]
        if missing:
            flow.fail("BROKEN_REFERENCE", f"relation {relation.get('id')} names task(s) {missing} that the export "
                                          f"does not define (tasks: {sorted(tasks)})")
            continue
        if str(relation.get(code_key, code)) != code:
            flow.warn("BROKEN_REFERENCE", f"relation {relation.get('id')} belongs to workflow "
                                          f"{relation.get(code_key)}, not {code}")
        if pre != "0":
            upstream[post].append(pre)
    schedule = export.get("schedule") or definition.get("schedule")
    if isinstance(schedule, dict):
        if str(schedule.get(code_key, code)) != code:
            flow.fail("BROKEN_REFERENCE", f"the schedule belongs to workflow {schedule.get(code_key)}, not {code}: "
                                          "not applied")
        flow.schedule = str(schedule.get("crontab") or "")
        flow.cells["start"] = str(schedule.get("startTime") or "")
        flow.cells["start_date"] = str(schedule.get("startTime") or "")[:10]
        if schedule.get("timezoneId"):
            flow.warn("TIMEZONE", f"the schedule ran in {schedule['timezoneId']}; a flow runs on the service's clock")
    else:
        flow.fail("MISSING_SCHEDULE", "the workflow has no schedule")
    positions = _positions(definition.get("locations"))
    for task_code, task in tasks.items():
        params = task.get("taskParams") or {}
        x, y = positions.get(task_code, ("", ""))
        flow.tasks.append({
            "task_id": task_code, "task_name": str(task.get("name", task_code)),
            "upstream": ";".join(upstream.get(task_code, [])),
            "command": str(params.get("rawScript", "")) if isinstance(params, dict) else "", "x": str(x), "y": str(y),
        })
    if positions and not set(positions) & set(tasks):
        flow.warn("BROKEN_REFERENCE", f"locations name tasks {sorted(positions)} that the export does not define; "
                                      "laid out anew")
        for task in flow.tasks:
            task["x"] = task["y"] = ""
    flow.cells.update(desc=str(definition.get("description") or ""),
                      active="1" if definition.get("releaseState") == "ONLINE" else "0",
                      owners=str(definition.get("userName") or ""))
    return flow


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    document = load_json(settings)
    exports = document if isinstance(document, list) else [document]
    if not all(isinstance(e, dict) for e in exports):
        raise SourceError(f"{settings.path}: expected a workflow export object or a list of them")
    return rows_of(_flow(export, index) for index, export in enumerate(exports))


PROFILE = Profile("dolphinscheduler", "quartz", read, "DolphinScheduler workflow exports (both generations)")
