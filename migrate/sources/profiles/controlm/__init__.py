"""Control-M XML exports (`DEFTABLE`, as Control-M/EM `exportdeftable`, the Automation API's XML
and Control-M Planning write them): one flow per folder, one task per job.

Folders are `FOLDER` and `SMART_FOLDER` (older `SCHED_TABLE`/`TABLE` and `SCHED_GROUP`/
`SMART_TABLE`); a SMART folder's `SUB_FOLDER`s are part of its flow. The file is read twice,
streamed: first, building no tree, for which jobs post which conditions (and whether the file is
well-formed XML, naming the line where it is not), then one folder at a time for the flows. The
first pass refuses a DTD's entities (an entity bomb, a file read) and any DTD declared in the file
(its `<!ATTLIST>` gives attributes values the file does not show) before it reads on, naming the
line, as the other XML profiles do: no export has one. A DOCTYPE naming its DTD file is read.

- Identity: `DATACENTER/FOLDER_NAME` (the folder name alone without a data center); the flow is
  named after the folder; tasks after their jobs (a repeated job name gets `_2`, `_3`).
- Relations: a job that waits on a condition (`INCOND`) another job of the folder posts when it
  ends OK (`OUTCOND` +) runs after it; a SUB_FOLDER's conditions are its first and last jobs'.
  `DOFORCEJOB` of a job of the folder on OK is a relation too. A condition posted by another
  folder of the export is a `flow_upstream` entry when that folder's EnOS id is known (option
  `flow_ids`), else CROSS_FLOW_DEPENDENCY, as is one posted by nothing in the export. Conditions
  of another order date (PREV, NEXT, MMDD, `****`), OR-ed ones and those posted only by an ON
  action (DOCOND) are named (CONDITION_DATE, CONDITION_OR, CONDITION_ON_OUTCOME).
- Schedule: migrate/schedule/controlm.py converts each job's criteria (days, weekdays, months,
  rule-based calendars, the SMART folder's rules a job without criteria inherits, TIMEFROM, New
  Day, cyclic runs) exactly, or refuses them with a code. The flow fires when its first jobs
  (those waiting on no job of the folder) do: they must agree, and every other job must be ordered
  on the same days (TASK_SCHEDULE_DIFFERS otherwise, since a task runs on every run of its flow).
  A folder that is not ordered automatically (no FOLDER_ORDER_METHOD) is unscheduled. A job with
  no TIMEZONE (nor its folder) ran on the Control-M/Server's clock, which the export does not say:
  as a crontab line's, its schedule is read in `[mapping] source_timezone`, else the service's zone.
  What any Quartz freq says of itself (MONTH_RESTRICTED...) is left to the mapping, said once.
- Commands: `CMDLINE`; a script `MEMLIB/MEMNAME` with its `%%PARMn` arguments; an in-stream
  script; application-plugin jobs as readable text (TASK_BODY_AS_TEXT); a Dummy job `exit 0`.
- Reported: RUN_AS, NODE, PRIORITY, CRITICAL, CONFIRM, RETRY (MAXRERUN), MAXWAIT, TIME_WINDOW
  (TIMETO), TASK_TIME_WINDOW (a later job's own TIMEFROM), RESOURCE, SHOUT, ON_DO, RETRO,
  VARIABLE_REFERENCE, and
  any other attribute set to something not its default (ATTRIBUTE_NOT_CARRIED), but Control-M's
  bookkeeping (BOOKKEEPING: stamps, versions, ids, which describe the export); the folder's
  VARIABLEs and the jobs' become parameters, a failure e-mail (DOMAIL on NOTOK) turns alerts on.

Options: `new_day = "0700"` (the Control-M/Server's New Day time: when the working day begins),
`user_dailies = "PLAN_1200=1200; ..."` (when each User Daily orders its folders), `flow_ids =
"FOLDER=2788; DC/FOLDER=2790"` (EnOS ids of other folders' flows, for cross-folder conditions),
`timezones = "EST=Etc/GMT+5"` (Control-M time zone codes as IANA zones, as the server's TimeZone.dat
defines each: a code with no daylight-saving dates there is a fixed offset), `split_or = true`
(a day-of-month OR day-of-week schedule as two flows, the second keyed and named `… (weekdays)`).

Where things are: options.py reads the options; reading.py checks the file's prolog and streams it
one folder at a time, elements.py names its elements and reads their names and attributes;
conditions.py is the first pass, which job of which folder posts each condition, and where each
folder is (deferred.py reads each folder where its rows are mapped: a plan's workers); model.py holds one
folder (`Scope`, `Job`, `Folder`) and notes.py what its flow cannot carry; criteria.py reads a job's
days and times as written, days.py works out the days it is ordered on; relations.py joins the
jobs by their conditions; commands.py writes each task's command; facts.py gathers parameters,
owners, alerts, the description and the facts not carried; schedule.py converts the first jobs'
criteria to the flow's freq and reads the active period; flows.py makes each folder's flow.
"""

from __future__ import annotations

from collections.abc import Iterator

from migrate.config import SourceSettings
from migrate.sources.profiles import Profile, rows_of
from migrate.sources.profiles.controlm.days import _own_rules
from migrate.sources.profiles.controlm.deferred import read_deferred
from migrate.sources.profiles.controlm.flows import flows
from migrate.sources.readers import SourceRow

# `_own_rules`: its cache is emptied by tests that patch a converter rule (tests/test_proof_controlm.py).
__all__ = ["PROFILE", "_own_rules", "read"]


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(flows(settings))


PROFILE = Profile("controlm", "quartz", read, "Control-M XML export (DEFTABLE): one flow per folder",
                  read_deferred=read_deferred)
