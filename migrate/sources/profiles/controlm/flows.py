"""The flows of the export (`flows`): the options read, the conditions indexed, then each folder
streamed into its flow (tasks, relations, schedule, active period, description, facts, notes), or
into an invalid flow saying why; a `split_or` folder into two.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from migrate.config import SourceSettings
from migrate.schedule.result import Rejection
from migrate.sources.profiles import FlowRows
from migrate.sources.profiles.controlm.commands import command
from migrate.sources.profiles.controlm.conditions import Producers, index
from migrate.sources.profiles.controlm.elements import (
    EXPECTED,
    FOLDER_TAGS,
    REGULAR_FOLDERS,
    attributes_of,
    folder_key,
    folder_name,
    tag_of,
)
from migrate.sources.profiles.controlm.facts import description, facts
from migrate.sources.profiles.controlm.model import Folder, Malformed, scope_of
from migrate.sources.profiles.controlm.notes import EXPLANATIONS
from migrate.sources.profiles.controlm.options import Options, options
from migrate.sources.profiles.controlm.reading import folders
from migrate.sources.profiles.controlm.relations import relations, task_names
from migrate.sources.profiles.controlm.schedule import active_period, schedule
from migrate.sources.readers import SourceError


def _invalid(key: str, name: str, code: str, message: str) -> FlowRows:
    flow = FlowRows(key=key, name=name)
    flow.fail(code, message)
    flow.cells["active"] = "1"
    return flow


def folder_flows(element: Element, producers: Producers, options: Options, index: int) -> list[FlowRows]:
    """The flow of a child of the <DEFTABLE> (the `index`-th), two when split; or an invalid flow saying why."""
    tag = tag_of(element)
    attributes = attributes_of(element)
    if tag not in FOLDER_TAGS:
        return [_invalid(f"<{tag}> #{index}", f"{tag}_{index}", "MALFORMED_FOLDER",
                         f"<{tag}> (element {index} of the DEFTABLE) is not a folder ({EXPECTED}): not read")]
    name, key = folder_name(attributes), folder_key(attributes)
    if not name:
        return [_invalid(f"<{tag}> #{index}", f"{tag}_{index}", "MALFORMED_FOLDER",
                         f"<{tag}> (element {index} of the DEFTABLE) has no FOLDER_NAME")]
    flow = FlowRows(key=key, name=name)
    flow.cells["active"] = "1"
    duplicates = producers.keys_by_name.get(name, ())
    if len(duplicates) > 1 and len(set(duplicates)) > 1:
        flow.name = f"{name}@{attributes.get('DATACENTER', '').strip()}"  # one name in several data centers
    try:
        scope = scope_of(element, "regular" if tag in REGULAR_FOLDERS else "smart", None)
        folder = Folder(key, name, scope, scope.all_jobs(), producers, options)
        if not folder.jobs:
            flow.fail("MALFORMED_FOLDER", f"folder {name} holds no job: nothing for a task to run")
            return [flow]
        task_names(folder.jobs)
        flow.tasks = [{"task_id": job.task_id, "task_name": job.task_name, "command": command(job, folder.notes)}
                      for job in folder.jobs]
        relations(folder)
        for task, job in zip(flow.tasks, folder.jobs, strict=True):
            task["upstream"] = ",".join(job.upstream)
        try:
            schedules, refused = schedule(folder, flow), None
        except Rejection as rejection:  # the folder's other facts are said all the same
            schedules, refused = (), rejection
        active_period(folder, flow)
        flow.cells["desc"] = description(folder)
        facts(folder, flow)
        if folder.flow_upstream:
            flow.cells["flow_upstream"] = json.dumps(folder.flow_upstream, ensure_ascii=False)
        folder.notes.write(flow, EXPLANATIONS)
        if refused is not None:
            raise refused
    except Rejection as rejection:
        flow.fail(rejection.code, f"folder {name}: {rejection.message}")
        return [flow]
    except Malformed as error:
        flow.fail("MALFORMED_JOB", f"folder {name}: {error}")
        return [flow]
    if not schedules:
        return [flow]
    flow.schedule = schedules[0]
    if len(schedules) == 1:
        return [flow]
    twin = FlowRows(key=f"{key} (weekdays)", name=f"{flow.name} (weekdays)", schedule=schedules[1],
                    tasks=[dict(t) for t in flow.tasks], cells=dict(flow.cells), warnings=list(flow.warnings))
    for one in (flow, twin):
        one.warn("SPLIT", f"ordered on days of the month OR of the week: split into {flow.name} ({schedules[0]}) and "
                          f"{twin.name} ({schedules[1]}); a day matching both runs twice (split_or = true)")
    return [flow, twin]


def flows(settings: SourceSettings) -> Iterator[FlowRows]:
    controlm_options = options(settings)
    if not settings.path.is_file():
        raise SourceError(f"{settings.path}: no such file")
    yield from streamed_flows(settings, index(settings.path), controlm_options)


def streamed_flows(settings: SourceSettings, producers: Producers, controlm_options: Options) -> Iterator[FlowRows]:
    """The flows of the export's folders, read one at a time once the first pass is done."""
    for number, element in enumerate(folders(settings.path), 1):
        yield from folder_flows(element, producers, controlm_options, number)
