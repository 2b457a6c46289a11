"""The flow's schedule (`schedule`): how its folder is ordered (SYSTEM at New Day, a User Daily,
or by hand: unscheduled), its first jobs' days and times converted to one Quartz freq (two with
`split_or`) by migrate/schedule/controlm.py, in their time zone, every later job checked to run on
the same days; and its active period (`active_period`: ACTIVE_FROM, ACTIVE_TILL).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from datetime import date, timedelta

from migrate.schedule.controlm import DayRule, Ordering, convert_controlm
from migrate.schedule.cron import flags
from migrate.schedule.proof_controlm import controlm_source
from migrate.schedule.quartz import QuartzError, parse_quartz
from migrate.schedule.result import Rejection
from migrate.schedule.timezone import UNKNOWN_TIMEZONE, is_known_zone
from migrate.sources.profiles import FlowRows
from migrate.sources.profiles.controlm.criteria import timing
from migrate.sources.profiles.controlm.days import job_rules
from migrate.sources.profiles.controlm.elements import OK_CODES
from migrate.sources.profiles.controlm.model import Folder, Job, Malformed, all_subs
from migrate.sources.profiles.end_dates import report_end

IANA_LIKE = re.compile(r"^(?:[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)+|UTC|GMT)$")


def _ordering(folder: Folder) -> Ordering | None:
    """How the folder is ordered; None when it is not ordered automatically."""
    method = (folder.scope.attributes.get("FOLDER_ORDER_METHOD") or folder.scope.attributes.get("TABLE_USERDAILY")
              or "").strip()
    if not method or method.upper() in ("MANUAL", "NONE"):
        return None
    new_day = folder.options.new_day
    if method.upper() == "SYSTEM":
        return _system_ordering(new_day)
    return Ordering(new_day=new_day, order_at=folder.options.user_dailies.get(method), by=f"the User Daily {method}",
                    user_daily=True)


@functools.lru_cache(maxsize=64)
def _system_ordering(new_day: int | None) -> Ordering:
    return Ordering(new_day=new_day, order_at=new_day)


def _zone(folder: Folder, job: Job) -> str:
    written = job.attributes.get("TIMEZONE", "").strip() or folder.scope.attributes.get("TIMEZONE", "").strip()
    if not written:
        return ""
    if written in folder.options.timezones:
        return folder.options.timezones[written]
    if IANA_LIKE.match(written):
        return written
    # A code of Control-M's own (EST, CET, JST...): the Control-M/Server's TimeZone.dat defines it, an
    # offset from GMT with or without daylight-saving dates, and the export does not hold that file.
    # The tz database's zone of the same name (its legacy EST, CET) is not that definition: its EST
    # never changes, its CET keeps the EU's dates, where the server's may keep others or none.
    same_name = (f"; the tz database's {written} only shares its name" if is_known_zone(written)
                 else "")
    raise Rejection(UNKNOWN_TIMEZONE, f"job {job.name} runs in the Control-M time zone {written}, a code the "
                                        "Control-M/Server's TimeZone.dat defines (an offset from GMT, with or "
                                        f"without daylight-saving dates), a file the export does not hold{same_name}: "
                                        "say which zone it is in [source] options timezones = "
                                        f"\"{written}=Area/City\" (a code with no daylight-saving dates is a fixed "
                                        "offset: Etc/GMT+5 for GMT-05.00)")


# A SMART folder's (or SUB_FOLDER's) own time window and cycle: Control-M ran its jobs only within
# them, which the jobs' own criteria do not say.
FOLDER_TIMING = ("TIMEFROM", "TIMETO", "FROM_DAYSOFFSET", "TO_DAYSOFFSET", "CYCLIC", "INTERVAL",
                 "CYCLIC_INTERVAL_SEQUENCE", "CYCLIC_TIMES_SEQUENCE")
NOT_SET = ("", "0", "+00", "00000M", "N", ">")  # TIMETO `>`: no end, as none written


def _folder_timing(folder: Folder) -> None:
    """Refused: a flow whose jobs' schedule leaves out their folder's own time window or cycle
    would fire at other times than Control-M ran them (a folder cyclic every 30 minutes from 08:00
    became one run at New Day)."""
    for scope in (folder.scope, *all_subs(folder.scope)):
        cyclic = scope.attributes.get("CYCLIC", "").strip() == "1"
        written = [f"{name}={scope.attributes[name].strip()}" for name in FOLDER_TIMING
                   if scope.attributes.get(name, "").strip() not in NOT_SET
                   and (cyclic or name not in ("INTERVAL", "CYCLIC_INTERVAL_SEQUENCE", "CYCLIC_TIMES_SEQUENCE"))]
        if written:
            what = "SUB_FOLDER" if scope.kind == "sub" else "SMART folder" if scope.kind == "smart" else "folder"
            raise Rejection("FOLDER_TIMING", f"{what} {scope.name()} has its own time window or cycle "
                                             f"({', '.join(written)}): Control-M ran its jobs only within it, which "
                                             "their own criteria do not say, so the flow would fire at other times; "
                                             "set them on the first jobs of the folder in the export")


def schedule(folder: Folder, flow: FlowRows) -> tuple[str, ...]:
    """The flow's schedule(s): one Quartz freq, two with split_or, none when unscheduled."""
    _folder_timing(folder)
    for job in folder.jobs:
        job.rules = job_rules(job, folder.options)
    roots = [job for job in folder.jobs if not job.upstream]
    ordering = _ordering(folder)
    scheduled = [job for job in folder.jobs if job.rules is not None]
    if ordering is None or not scheduled:
        how = ("its folder is not ordered automatically (no FOLDER_ORDER_METHOD: a manual order)" if ordering is None
               else "no job of the folder has scheduling criteria")
        flow.unscheduled(f"a Control-M folder run by hand or by another job: {how}")
        return ()
    if not roots:
        raise Rejection("CONDITION_CYCLE", f"every job waits on another one ({', '.join(j.name for j in folder.jobs)}"
                                           "): no job starts the flow")
    freqs: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for job in roots:
        if job.rules is None:
            named = {other.task_id: other.name for other in folder.jobs}
            how = (f"forced when {', '.join(f'job {named.get(t, t)} ends {c}' for t, c in job.forced_by)}"
                   if job.forced_by
                   else "ordered only by hand or by another folder")
            raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} has no scheduling criteria ({how}), and the "
                                                     "flow runs it on every run")
        converted = tuple(convert_controlm(rule, timing(job.attributes), ordering) for rule in job.rules)
        for result in converted:
            for warning in result.warnings:
                if warning.code not in _said_of_the_freq(warning.new):
                    folder.notes.add(warning.code, f"job {job.name}: {warning.message}")
        zone = _zone(folder, job)
        freqs[(*(c.freq for c in converted), zone)].append(job.name)
    if len(freqs) > 1:
        said = "; ".join(f"{', '.join(jobs)}: {' + '.join(key[:-1])}{f' ({key[-1]})' if key[-1] else ''}"
                         for key, jobs in freqs.items())
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"the first jobs of the folder fire at different times ({said}); "
                                                 "a flow starts once for all of them")
    key = next(iter(freqs))
    flow.cells.update(source_schedule=controlm_source(roots[0], ordering, len(key) > 2), source_grammar="controlm")
    if key[-1]:
        flow.cells["timezone"] = key[-1]
    root_rules = roots[0].rules or ()
    cyclic_roots = [job for job in roots if _cyclic(job)]
    for job in folder.jobs:
        _check_later_job(folder, job, root_rules, cyclic_roots)
    return key[:-1]


@functools.lru_cache(maxsize=4096)
def _said_of_the_freq(freq: str) -> frozenset[str]:
    """The codes of the warnings any Quartz freq gives of itself (`cron.flags`: MONTH_RESTRICTED,
    YEARLY, HOUR_LIST...): the mapping gives them when it reads the flow's freq, so they are left
    to it, said once rather than twice."""
    try:
        return frozenset(warning.code for warning in flags(parse_quartz(freq), freq))
    except QuartzError:
        return frozenset()


def _cyclic(job: Job) -> bool:
    return job.attributes.get("CYCLIC", "0").strip() == "1"  # Timing.cyclic


def _check_later_job(folder: Folder, job: Job, root_rules: tuple[DayRule, ...], cyclic_roots: list[Job]) -> None:
    """A job after the first ones runs on every run of the flow: it must be ordered on the same days,
    and once a run of the first ones."""
    if not job.upstream:
        return
    if cyclic_roots and not _cyclic(job):
        # The flow fires on each cycle of the first job and runs every task each time; Control-M ran
        # a job ordered once a day once, when the conditions it waits on first came.
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} runs once an order date, after "
                                                 f"{cyclic_roots[0].name}, which is cyclic "
                                                 f"({timing(cyclic_roots[0].attributes).source()}): the flow would "
                                                 "run it on every cycle")
    forced = [task for task, code in job.forced_by if code.upper() in OK_CODES]
    if job.rules is None:
        if forced:
            return
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} has no scheduling criteria (ordered by hand, or "
                                                 "forced on another outcome), and the flow runs it on every run")
    if forced:
        # Ordered on its own days too: Control-M ran that order (at once, or when its conditions came)
        # and the forced one, a second run; a flow's task runs once a run of the flow.
        by = next((other.name for other in folder.jobs if other.task_id == forced[0]), f"task {forced[0]}")
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} is ordered on its own days, and forced too when "
                                                 f"job {by} ends OK: Control-M ran it twice (its own order and the "
                                                 "forced one), a flow's task runs once a run")
    if job.rules is not root_rules and set(job.rules) != set(root_rules):
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} is ordered on "
                                                 f"{' + '.join(r.text() for r in job.rules)} and the first jobs on "
                                                 f"{' + '.join(r.text() for r in root_rules)} (day-of-month month "
                                                 "day-of-week): a task runs on every run of its flow")
    if _cyclic(job):
        raise Rejection("TASK_SCHEDULE_DIFFERS", f"job {job.name} is cyclic ({timing(job.attributes).source()}) after "
                                                 "other jobs: a task runs once per run of its flow")
    time_from = job.attributes.get("TIMEFROM", "").strip()  # Timing.time_from
    if time_from:
        folder.notes.add("TASK_TIME_WINDOW", f"job {job.name} waited for {time_from} (TIMEFROM) too")


def active_period(folder: Folder, flow: FlowRows) -> None:
    """ACTIVE_FROM is the flow's start date; an ACTIVE_TILL that has passed saves it inactive. A
    SMART folder's (or SUB_FOLDER's) own are its jobs' too: Control-M orders none outside them."""
    holders = [job.attributes for job in folder.jobs] + [s.attributes for s in (folder.scope, *all_subs(folder.scope))]
    if not any("ACTIVE_FROM" in attributes or "ACTIVE_TILL" in attributes for attributes in holders):
        return
    starts = {a.get("ACTIVE_FROM", "").strip() for a in holders} - {""}
    ends = {a.get("ACTIVE_TILL", "").strip() for a in holders} - {""}
    for what, values in (("ACTIVE_FROM", starts), ("ACTIVE_TILL", ends)):
        for value in values:
            if not re.fullmatch(r"\d{8}", value):
                raise Malformed(f"{what} {value!r} is not a date YYYYMMDD")
    if len(starts) > 1 or len(ends) > 1:
        folder.notes.add("ATTRIBUTE_NOT_CARRIED", f"the jobs are active over different periods (ACTIVE_FROM "
                                                  f"{sorted(starts)}, ACTIVE_TILL {sorted(ends)}): the latest start "
                                                  "and the earliest end are the flow's")
    if starts:
        first = max(starts)
        flow.cells["start_date"] = f"{first[:4]}-{first[4:6]}-{first[6:]}"
        if folder.options.new_day is not None:
            # Its first working day begins at New Day: a run before New Day is the next calendar
            # day's. The mapping starts the flow on its first run's day (START_DATE_SHIFTED).
            hours, minutes = divmod(folder.options.new_day, 60)
            flow.cells["source_start"] = f"{flow.cells['start_date']}T{hours:02d}:{minutes:02d}:00"
    if ends:
        last = min(ends)
        try:
            till = date(int(last[:4]), int(last[4:6]), int(last[6:]))
        except ValueError:
            raise Malformed(f"ACTIVE_TILL {last!r} is not a calendar date") from None
        new_day = folder.options.new_day
        if new_day is None:
            report_end(flow, "ACTIVE_TILL", last, till)
            return
        # The last order date: its working day, and its runs, end at the next New Day.
        until = f"{till + timedelta(days=1)}T{new_day // 60:02d}:{new_day % 60:02d}:00"
        # Passed once that working day has: the day after ACTIVE_TILL, not ACTIVE_TILL itself.
        if not report_end(flow, "ACTIVE_TILL", f"{last} (the last order date, whose working day ends at New Day, "
                                               f"{until.replace('T', ' ')[:16]})", till + timedelta(days=1)):
            flow.cells["source_end"] = until
