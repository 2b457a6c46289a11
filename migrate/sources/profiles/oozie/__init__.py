"""Oozie applications: a folder (or a zip) of coordinator, workflow and bundle XML files with the
`job.properties` they were submitted with. One flow per coordinator job (a bundle's coordinators
each), one per workflow submitted on its own; a workflow's actions are the flow's tasks.

What is read, by root element, whatever the file is called (`coordinator.xml`, `coord.xml`):
- `<coordinator-app>` (schemas 0.1-0.5): `frequency`, `start`, `end`, `timezone` become the schedule
  (migrate/schedule/oozie.py: cron texts on the processing zone's clock, intervals anchored on
  `start` in the coordinator's zone); `controls` (TIMEOUT, CONCURRENCY, EXECUTION_ORDER, THROTTLE),
  SLA and `<parameters>` are reported; `action/workflow/app-path` names the workflow, and its
  `configuration` the workflow's properties.
- data dependencies: a coordinator that waits on `input-events` keeps its time schedule (its
  actions are created at the nominal times, and each then waited for its data): DATA_DEPENDENCY
  names the datasets the flow no longer waits for, and CROSS_FLOW_DEPENDENCY the coordinators of
  the export whose `output-events` write them (wait on those flows in EnOS instead).
- `<workflow-app>` (schemas 0.1-1.0): each action reached from `start` by `ok` transitions is a task;
  `ok` transitions, `fork` and `join` are its relations. A `decision` node chooses which actions
  run, which a flow cannot: the flow is refused (DECISION_NODE), never run down every branch or a
  guessed one. `error` transitions are reported: to a `kill` node (the workflow fails, as a flow
  does when a task fails) as KILL_NODE, to other nodes as ERROR_PATH (their actions are not tasks:
  they would run on success too), and an `email` action on the error path turns on the flow's
  e-mail alerts (ERROR_EMAIL names its recipients). A `sub-workflow` found in the export is laid
  out in the flow (its actions named `<node>.<action>`), else it is a placeholder (SUB_WORKFLOW).
- actions: `shell` and `ssh` as their command lines; `java`, `spark`, `hive`, `hive2`, `pig`,
  `sqoop`, `distcp`, streaming `map-reduce` and `fs` as the equivalent command lines
  (ACTION_AS_COMMAND); plain `map-reduce`, `email` and unknown actions as text (TASK_BODY_AS_TEXT).
  The action's Hadoop configuration, job-tracker and name-node are comment lines in the command
  (ACTION_CONFIGURATION); files and archives it shipped (TASK_FILES), `retry-max` (RETRY),
  credentials (CREDENTIALS), captured output (CAPTURE_OUTPUT) are reported.
- `<bundle-app>`: each `<coordinator>` is a flow, with the bundle's configuration; `kick-off-time`
  is reported.
- `*.properties` (Java properties: continuation lines, `:` or `=`, escapes): the job's properties.
  One naming `oozie.coord.application.path` (or the bundle's or workflow's) is the job of that
  application; one without is the job of the application in its own folder. Its properties become
  the flow's parameters (`oozie.*` settings are OOZIE_SETTINGS; names like PASSWORD are
  PROPERTY_SECRET); `user.name` is RUN_AS and the owner.

Expressions: `${name}` is resolved from the job's properties (a coordinator's action configuration
and a workflow's `<parameters>` defaults too), as Oozie does; `wf:conf`, `wf:user`, `coord:user`,
`concat`, `trim`, `firstNotNull` and integer arithmetic are evaluated. What Oozie only knows when a
job runs (`coord:nominalTime()`, `wf:id()`, `coord:dataIn(...)`...) is kept as written and named by
EL_RUNTIME; a property the export does not define is kept as written and named by EL_UNRESOLVED
(an error where the schedule or the workflow's path needs it).

Time zones: the cron text fires on the processing zone's clock (`processing_timezone`, else the
offset the coordinator's own datetimes are written in: `Z` is UTC); intervals keep the
coordinator's `timezone`; the `timezone` column says which. Options:
- `processing_timezone = "GMT+0800"`: the server's `oozie.processing.timezone`;
- `oozie_version = "5.2.1"`: needed only for a cron coordinator whose `timezone` has daylight
  saving (OOZIE_VERSION otherwise): from 5.1 Oozie moves such actions with it;
- `first_day_of_week = "MONDAY"`: needed only for `coord:endOfWeeks` (the server's Java locale);
- `jobs = "jobs.json"`: the server's jobs list (`GET /oozie/v1/jobs?jobtype=coordinator`, and
  `jobtype=bundle`; several answers as a JSON list, which must add up to their `total`), relative
  to the export's folder. Oozie keeps a job's state in its server, not in the application: with
  the list, a coordinator (or its bundle) SUSPENDED or PAUSED is saved inactive (SOURCE_SUSPENDED),
  one KILLED, FAILED or SUCCEEDED too (JOB_ENDED), one not listed is JOB_NOT_LISTED; without it a
  flow is active unless its coordinator's `end` has passed (END_DATE).

Identity: `coordinator <name>`, `bundle <bundle>/<coordinator>` or `workflow <name>`, the names as
resolved; the flow's name is the coordinator's (a bundle's name for it, or the workflow's). An
application no properties file submits and no other application runs is a job of its own (its
`${…}` then unresolved). A folder with no Oozie application is refused; a file that names an Oozie
root element but is not well-formed XML, or is UTF-16 without a byte-order mark (`[source] encoding
= "utf-16-le"` reads it), and an empty `workflow.xml`, `coordinator.xml` or `bundle.xml`, is its own
invalid flow (MALFORMED_XML), and the error of each flow whose path names it, saying why it cannot be
read; DTDs and entities are refused (defusedxml), naming the file and the line that declares them.

Where things are: files.py reads the export's files and the Java properties; expressions.py
resolves `${…}`; elements.py reads XML; applications.py finds the applications of the export and
the one an app-path names; context.py holds what one flow gathers; workflow.py lays out a
workflow's nodes as tasks and actions.py writes each action's command; coordinator.py reads a
coordinator's schedule, controls and data dependencies; options.py reads the profile's options and
the server's jobs list; jobs.py makes each job's flow; messages.py words lists and errors.
"""

from __future__ import annotations

from collections.abc import Iterator

from migrate.config import SourceSettings
from migrate.sources.profiles import Profile, rows_of
from migrate.sources.profiles.oozie.expressions import Scope
from migrate.sources.profiles.oozie.files import parse_properties
from migrate.sources.profiles.oozie.jobs import flows
from migrate.sources.readers import SourceRow

__all__ = ["PROFILE", "Scope", "parse_properties", "read"]


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(flows(settings))


PROFILE = Profile("oozie", "quartz", read, "Oozie coordinator, workflow and bundle applications with job.properties")
