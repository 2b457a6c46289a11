"""What a flow cannot carry, gathered while its folder is read (`Notes`: one warning per code
naming every item), and what each code means for the flow (`EXPLANATIONS`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from migrate.sources.profiles import FlowRows


@dataclass
class Notes:
    """What a flow cannot carry, one warning per code with every item it names."""

    items: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, code: str, item: str) -> None:
        if item not in self.items[code]:
            self.items[code].append(item)

    def write(self, flow: FlowRows, explanations: dict[str, str]) -> None:
        for code, items in self.items.items():
            flow.warn(code, "; ".join(items) + (f" ({explanations[code]})" if code in explanations else ""))


EXPLANATIONS = {
    "RUN_AS": "the flow runs as the service's doAs account instead",
    "NODE": "a task runs where the service runs it",
    "PRIORITY": "not carried",
    "CRITICAL": "not carried",
    "CONFIRM": "Control-M waited for an operator's confirmation before submitting the job; the service starts it "
               "when the flow runs",
    "RETRY": "Control-M reran the job after a failure; not carried",
    "MAXWAIT": "the days a job stays waiting for its conditions and time in Control-M; a flow run has no such "
               "horizon: not carried",
    "TIME_WINDOW": "the service starts a task when its flow and upstream tasks let it, whatever the clock",
    "RESOURCE": "Control-M held the job until these resources were free; not carried",
    "SHOUT": "messages Control-M sent; not carried",
    "ON_DO": "actions Control-M took on a job's outcome; a flow has no such branch: not carried",
    "RETRO": "Control-M ordered the job for order dates it had missed (RETRO=1); the service does not catch up",
    "VARIABLE_REFERENCE": "Control-M variables that Control-M replaced in the text before running it; kept as "
                          "written: nothing resolves them in a task. Their values set in the export are the flow's "
                          "parameters",
    "VARIABLE_CONFLICT": "one flow has one set of parameters: the first value is kept",
    "SECRET_PARAMETER": "these look like secrets: carried as flow parameters, which every owner and visitor of the "
                        "flow can read; move them to the service's own secret store",
    "ATTRIBUTE_NOT_CARRIED": "not carried",
    "CONDITION_DATE": "a relation joins tasks of the same flow run",
    "CONDITION_OR": "carried as relations to all of them: the task waits for every one",
    "CONDITION_DELETED": "a flow run starts with no conditions; not carried",
    "TASK_TIME_WINDOW": "the task starts as soon as its upstream tasks end",
    "ALERT_RECIPIENTS": "the flow's e-mail alert goes to its EnOS users, not to these addresses",
    "DUMMY_JOB": "a Dummy job runs nothing: the task runs `exit 0`",
    "SCRIPT_REFERENCE": "the task runs that script, which must exist where the service runs it",
    "TASK_BODY_AS_TEXT": "the task's body is the plugin's settings as text, which do not run as a command",
}
