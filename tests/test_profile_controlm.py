"""The controlm profile on Control-M XML exports built here in the shape of real ones (Control-M/EM
`exportdeftable` and Automation API XML: FOLDER, SMART_FOLDER with SUB_FOLDERs and rule-based
calendars, the older SCHED_TABLE, conditions, cyclic jobs, calendars, plugin jobs), and the
schedule converter (migrate/schedule/controlm.py) checked against an evaluator of Control-M's
scheduling rules written here from BMC's documentation, itself checked on the documented examples.
"""

from __future__ import annotations

import calendar
import json
import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from conftest import REPO, base_state, plan_profile, profile_run_config, run_cli, standard_cells
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from migrate.config import SourceSettings
from migrate.schedule.controlm import (
    Days,
    Ordering,
    Timing,
    convert_controlm,
    day_rules,
)
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Rejection
from migrate.sources.profiles import registry
from migrate.sources.readers import SourceError

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
EVERY_MONTH = dict.fromkeys(MONTHS, "1")
# What Control-M/EM writes on every job whatever it does: bookkeeping and defaults, none of them reported.
EM_NOISE = {"CREATED_BY": "emuser", "CRITICAL": "0", "CYCLIC": "0", "INTERVAL": "00001M", "CONFIRM": "0",
            "RETRO": "0", "MAXWAIT": "0", "MAXRERUN": "0", "AUTOARCH": "1", "MAXDAYS": "0", "MAXRUNS": "0",
            "SHIFT": "Ignore Job", "SHIFTNUM": "+00", "SYSDB": "1", "IND_CYCLIC": "S", "CREATION_USER": "emuser",
            "CREATION_DATE": "20250110", "CREATION_TIME": "101500", "RULE_BASED_CALENDAR_RELATIONSHIP": "O",
            "APPL_TYPE": "OS", "MULTY_AGENT": "N", "USE_INSTREAM_JCL": "N", "VERSION_OPCODE": "N",
            "IS_CURRENT_VERSION": "Y", "VERSION_SERIAL": "1", "VERSION_HOST": "EMHOST", "CYCLIC_TOLERANCE": "0",
            "CYCLIC_TYPE": "C", "END_FOLDER": "N", "DAYS_AND_OR": "O"}


# -- the fixture generator -----------------------------------------------------------------------

def element(tag: str, attributes: dict[str, str], *children: str) -> str:
    written = " ".join(f"{name}={quoteattr(value)}" for name, value in attributes.items())
    return f"<{tag} {written}>{''.join(children)}</{tag}>" if children else f"<{tag} {written} />"


def job(name: str, *children: str, noise: bool = True, **attributes: str) -> str:
    """A <JOB> as EM writes it: defaults and bookkeeping unless `noise` is off, every month flag."""
    written = {"JOBISN": "1", "APPLICATION": "APP", "SUB_APPLICATION": "SUB", "JOBNAME": name,
               **(EM_NOISE if noise else {}), **EVERY_MONTH, "TASKTYPE": "Command", "CMDLINE": f"/opt/run {name}",
               **attributes}
    return element("JOB", {k: v for k, v in written.items() if v is not None}, *children)


def cond(kind: str, name: str, odate: str = "ODAT", sign: str = "+", and_or: str = "A") -> str:
    if kind == "IN":
        return element("INCOND", {"NAME": name, "ODATE": odate, "AND_OR": and_or})
    return element("OUTCOND", {"NAME": name, "ODATE": odate, "SIGN": sign})


def chain(*names: str, **attributes: str) -> list[str]:
    """Jobs joined one after another by conditions, each deleting the one it waited on (as EM draws them)."""
    jobs = []
    for index, name in enumerate(names):
        children = [cond("OUT", f"{name}-OK")]
        if index:
            before = f"{names[index - 1]}-OK"
            children = [cond("IN", before), cond("OUT", before, sign="-"), *children]
        jobs.append(job(name, *children, **attributes))
    return jobs


def folder(name: str, *jobs: str, order: str | None = "SYSTEM", datacenter: str = "ctm-prod",
           tag: str = "FOLDER", **attributes: str) -> str:
    written = {"DATACENTER": datacenter, "VERSION": "921", "PLATFORM": "UNIX",
               ("TABLE_NAME" if tag == "SCHED_TABLE" else "FOLDER_NAME"): name, "MODIFIED": "False",
               "LAST_UPLOAD": "20260301101500UTC", "REAL_FOLDER_ID": "7", "TYPE": "1", **attributes}
    if order is not None:
        written["TABLE_USERDAILY" if tag == "SCHED_TABLE" else "FOLDER_ORDER_METHOD"] = order
    return element(tag, written, *jobs)


def smart(name: str, *children: str, order: str | None = "SYSTEM", **attributes: str) -> str:
    return folder(name, *children, order=order, tag="SMART_FOLDER",
                  **{"JOBNAME": name, "TASKTYPE": "SMART Table", "TYPE": "2", **EVERY_MONTH, **attributes})


def rule(name: str, **attributes: str) -> str:
    return element("RULE_BASED_CALENDAR", {"NAME": name, "MAXWAIT": "00", "DAYS_AND_OR": "O", **EVERY_MONTH,
                                           "SHIFT": "Ignore Job", "RETRO": "0", "LEVEL": "N", **attributes})


def uses(name: str) -> str:
    return element("RULE_BASED_CALENDARS", {"NAME": name})


def deftable(*folders: str, prolog: str = "") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + prolog +
            '<!--Exported at 14-03-2026 06:12:40-->\n<DEFTABLE xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:noNamespaceSchemaLocation="Folder.xsd">\n' + "\n".join(folders) + "\n</DEFTABLE>\n")


def write(tmp_path: Path, *folders: str, name: str = "export.xml", prolog: str = "") -> Path:
    path = tmp_path / name
    path.write_text(deftable(*folders, prolog=prolog), encoding="utf-8")
    return path


def rows_of(path: Path, **options: Any) -> list[dict[str, str]]:
    settings = SourceSettings(path=path, profile="controlm", options=options)
    return [standard_cells(row) for row in registry()["controlm"].read(settings)]


def flows_of(path: Path, **options: Any) -> dict[str, list[dict[str, str]]]:
    flows: dict[str, list[dict[str, str]]] = {}
    for row in rows_of(path, **options):
        flows.setdefault(row["flow_name"], []).append(row)
    return flows


def notes(row: dict[str, str], kind: str = "__warnings__") -> dict[str, str]:
    return {entry["code"]: entry["message"] for entry in json.loads(row[kind] or "[]")}


def one(tmp_path: Path, *folders: str, **options: Any) -> list[dict[str, str]]:
    """The rows of the only (or first) flow of an export made of `folders`."""
    return next(iter(flows_of(write(tmp_path, *folders), **options).values()))


# -- an evaluator of Control-M's scheduling rules, from BMC's documentation -------------------------
#
# Days of the month: "3 means the 3rd day of the month, L2 means the day before the last day of the
# month" (Control-M DAYS parameter); "-n: the job is not ordered on that day"; "Negative values take
# precedence over positive values ... the job is not scheduled on that date even if a positive value
# would otherwise result in the job being scheduled" (General Information for DAYS); alone, "-L1:
# ordered on all days of the month except" that one (Control-M Web, Month days). Week days 0-6 are
# Sunday to Saturday. DAYS_AND_OR: "A (AND) – both DAYS and WDAYS criteria must be met ... If A (AND)
# is specified when either DAYS or WDAYS is specified (but not both), the missing DAYS or WDAYS value
# is automatically set to ALL"; "O (OR) – DAYS and/or WDAYS criteria must be met". A job's order date
# is a Control-M working day, which begins at New Day: its TIMEFROM is a time of that working day.

def _in_days(text: str, day: date) -> bool | None:
    """Whether DAYS orders on `day` (None when DAYS is blank)."""
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    if not tokens:
        return None
    length = calendar.monthrange(day.year, day.month)[1]
    positive, negative = set(), set()
    for token in tokens:
        target = negative if token.startswith("-") else positive
        token = token.lstrip("-")
        if token == "ALL":
            target.update(range(1, length + 1))
        elif token.startswith("L"):
            target.add(length - int(token[1:]) + 1)
        elif "-" in token:
            first, last = token.split("-")
            target.update(range(int(first), int(last) + 1))
        else:
            target.add(int(token))
    chosen = positive or set(range(1, length + 1))
    return day.day in chosen - negative


def _in_weekdays(text: str, day: date) -> bool | None:
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    if not tokens:
        return None
    weekday = (day.weekday() + 1) % 7  # Control-M: 0 is Sunday
    positive, negative = set(), set()
    for token in tokens:
        target = negative if token.startswith("-") else positive
        token = token.lstrip("-")
        if token == "ALL":
            target.update(range(7))
        elif "-" in token:
            first, last = token.split("-")
            target.update(range(int(first), int(last) + 1))
        else:
            target.add(int(token))
    return weekday in (positive or set(range(7))) - negative


def ordered_on(criteria: dict[str, str], day: date) -> bool:
    if criteria.get(MONTHS[day.month - 1], "1") != "1":
        return False
    by_day, by_weekday = _in_days(criteria.get("DAYS", ""), day), _in_weekdays(criteria.get("WEEKDAYS", ""), day)
    if by_day is None and by_weekday is None:
        return False
    if criteria.get("DAYS_AND_OR", "O") == "A":
        return by_day is not False and by_weekday is not False
    return bool(by_day) or bool(by_weekday)


def minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[2:])


def control_m_fires(criteria: dict[str, str], new_day: int, start: date, end: date) -> list[datetime]:
    """Every run of a job ordered at New Day (`new_day` minutes after midnight) over [start, end)."""
    found = []
    day = start - timedelta(days=3)
    while day < end:
        if ordered_on(criteria, day):
            working_day = datetime(day.year, day.month, day.day) + timedelta(minutes=new_day)
            first = (minutes(criteria["TIMEFROM"]) - new_day) % 1440 if criteria.get("TIMEFROM") else 0
            offsets = [first]
            if criteria.get("CYCLIC") == "1":
                until = (minutes(criteria["TIMETO"]) - new_day) % 1440 if criteria.get("TIMETO") else 1439
                step = int(criteria["INTERVAL"][:-1]) * (60 if criteria["INTERVAL"].endswith("H") else 1)
                offsets = list(range(first, until + 1, step))
            found += [working_day + timedelta(minutes=offset) for offset in offsets]
        day += timedelta(days=1)
    return sorted(t for t in found if datetime(start.year, start.month, start.day) <= t
                  < datetime(end.year, end.month, end.day))


def quartz_fires(freq: str, start: date, end: date) -> list[datetime]:
    found = []
    limit = datetime(end.year, end.month, end.day)
    for fire in parse_quartz(freq).fire_times(datetime(start.year, start.month, start.day) - timedelta(seconds=1)):
        if fire >= limit:
            break
        found.append(fire)
    return found


def days_of(criteria: dict[str, str], start: date, end: date) -> list[int]:
    """The days of the month in [start, end) a job is ordered on."""
    return [(start + timedelta(days=n)).day for n in range((end - start).days)
            if ordered_on(criteria, start + timedelta(days=n))]


class TestTheEvaluatorOnTheDocumentedExamples:
    def test_three_is_the_third_day_and_l2_the_day_before_the_last(self) -> None:
        assert days_of({"DAYS": "3"}, date(2026, 1, 1), date(2026, 2, 1)) == [3]
        assert days_of({"DAYS": "L2"}, date(2026, 1, 1), date(2026, 2, 1)) == [30]
        assert days_of({"DAYS": "L2"}, date(2026, 2, 1), date(2026, 3, 1)) == [27]  # a 28-day February
        assert days_of({"DAYS": "L1"}, date(2028, 2, 1), date(2028, 3, 1)) == [29]  # a leap year's

    def test_negative_values_take_precedence_and_alone_mean_every_other_day(self) -> None:
        assert days_of({"DAYS": "1,2,3,-2"}, date(2026, 4, 1), date(2026, 5, 1)) == [1, 3]
        assert days_of({"DAYS": "L1,-30"}, date(2026, 4, 1), date(2026, 5, 1)) == []  # 30 April is L1
        assert days_of({"DAYS": "-L1"}, date(2026, 4, 1), date(2026, 5, 1)) == list(range(1, 30))

    def test_week_days_count_from_sunday(self) -> None:
        assert days_of({"WEEKDAYS": "0"}, date(2026, 3, 1), date(2026, 3, 8)) == [1]  # 1 March 2026: a Sunday
        assert days_of({"WEEKDAYS": "1,2,3,4,5"}, date(2026, 3, 1), date(2026, 3, 8)) == [2, 3, 4, 5, 6]

    def test_and_sets_the_missing_list_to_all_and_or_takes_either(self) -> None:
        assert days_of({"DAYS": "1", "DAYS_AND_OR": "A"}, date(2026, 3, 1), date(2026, 4, 1)) == [1]
        assert days_of({"DAYS": "1-7", "WEEKDAYS": "1", "DAYS_AND_OR": "A"}, date(2026, 3, 1),
                       date(2026, 4, 1)) == [2]  # the first Monday of March 2026
        assert days_of({"DAYS": "15", "WEEKDAYS": "0"}, date(2026, 3, 1), date(2026, 3, 16)) == [1, 8, 15]

    def test_the_months_limit_the_days(self) -> None:
        assert days_of({"DAYS": "1", **EVERY_MONTH, "FEB": "0"}, date(2026, 1, 1), date(2026, 4, 1)) == [1, 1]

    def test_a_time_before_new_day_falls_on_the_next_calendar_day(self) -> None:
        fires = control_m_fires({"WEEKDAYS": "1", "TIMEFROM": "0300"}, 7 * 60, date(2026, 3, 1), date(2026, 3, 10))
        assert fires == [datetime(2026, 3, 3, 3, 0)]  # ordered for Monday 2 March, run at 03:00 on the Tuesday


# -- the converter against the evaluator -----------------------------------------------------------

def convert(criteria: dict[str, str], new_day: int | None, split_or: bool = False) -> list[str]:
    """Freqs for a job's criteria ordered at New Day, through the converter."""
    days = Days(days=criteria.get("DAYS", ""), weekdays=criteria.get("WEEKDAYS", ""),
                and_or=criteria.get("DAYS_AND_OR", ""),
                months=frozenset(i for i, m in enumerate(MONTHS, 1) if criteria.get(m, "1") == "1"))
    timing = Timing(time_from=criteria.get("TIMEFROM", ""), time_to=criteria.get("TIMETO", ""),
                    cyclic=criteria.get("CYCLIC") == "1", interval=criteria.get("INTERVAL", ""),
                    cyclic_from="T")
    ordering = Ordering(new_day=new_day, order_at=new_day)
    return [convert_controlm(rule, timing, ordering).freq for rule in day_rules(days, split_or)]


DAY_TOKENS = st.one_of(st.integers(1, 31).map(str), st.integers(1, 31).map(lambda n: f"-{n}"),
                       st.integers(1, 4).map(lambda n: f"L{n}"), st.integers(1, 3).map(lambda n: f"-L{n}"),
                       st.just("ALL"), st.tuples(st.integers(1, 28), st.integers(0, 6)).map(
                           lambda p: f"{p[0]}-{min(31, p[0] + p[1])}"))
WEEKDAY_TOKENS = st.one_of(st.integers(0, 6).map(str), st.integers(0, 6).map(lambda n: f"-{n}"), st.just("ALL"),
                           st.tuples(st.integers(0, 5), st.integers(1, 6)).map(
                               lambda p: f"{p[0]}-{max(p)}"))
CLOCKS = st.tuples(st.integers(0, 23), st.sampled_from([0, 5, 15, 30, 45])).map(lambda t: f"{t[0]:02d}{t[1]:02d}")


@st.composite
def criteria_of(draw: st.DrawFn) -> dict[str, str]:
    found: dict[str, str] = {}
    if draw(st.booleans()):
        found["DAYS"] = ",".join(draw(st.lists(DAY_TOKENS, min_size=1, max_size=3)))
    if draw(st.booleans()) or "DAYS" not in found:
        found["WEEKDAYS"] = ",".join(draw(st.lists(WEEKDAY_TOKENS, min_size=1, max_size=3)))
    found["DAYS_AND_OR"] = draw(st.sampled_from(["O", "A"]))
    if draw(st.integers(0, 3)) == 0:
        found.update({m: draw(st.sampled_from(["1", "1", "0"])) for m in MONTHS})
    if draw(st.booleans()):
        found["TIMEFROM"] = draw(CLOCKS)
    if draw(st.integers(0, 3)) == 0:
        found.update(CYCLIC="1", INTERVAL=draw(st.sampled_from(["00015M", "00030M", "00001H", "00045M", "00002H"])))
        if draw(st.booleans()):
            found["TIMETO"] = draw(CLOCKS)
    return found


WINDOW = (date(2026, 1, 1), date(2027, 3, 1))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(criteria=criteria_of(), new_day=st.sampled_from([0, 7 * 60, 18 * 60 + 30]), split=st.booleans())
def test_a_converted_schedule_fires_exactly_when_control_m_runs_the_job(criteria: dict[str, str], new_day: int,
                                                                        split: bool) -> None:
    try:
        freqs = convert(criteria, new_day, split)
    except Rejection as rejection:
        assert rejection.code in ("DOM_OR_DOW", "DOM_AND_DOW", "DAY_RULE", "IMPOSSIBLE_DATE", "NEW_DAY",
                                  "UNSUPPORTED_INTERVAL"), rejection
        return
    expected = control_m_fires(criteria, new_day, *WINDOW)
    fired = sorted(fire for freq in freqs for fire in quartz_fires(freq, *WINDOW))
    if len(freqs) == 2:  # split: a day in both lists fires twice, once for each flow
        assert sorted(set(fired)) == expected
    else:
        assert fired == expected, (criteria, freqs)


@settings(max_examples=150, deadline=None)
@given(days=st.lists(st.integers(1, 31), min_size=1, max_size=5), at=CLOCKS,
       weekdays=st.lists(st.integers(0, 6), min_size=1, max_size=4), months=st.sets(st.integers(1, 12), min_size=1))
def test_plain_day_lists_always_convert(days: list[int], at: str, weekdays: list[int], months: set[int]) -> None:
    """Day numbers alone, or week days alone, always have a Quartz form, New Day or not (but a
    date that never comes: 30 February alone is refused, IMPOSSIBLE_DATE, not converted)."""
    longest = max(calendar.monthrange(2024, month)[1] for month in months)  # 2024: 29 February counts
    assume(min(days) <= longest)
    flags = {m: "1" if i in months else "0" for i, m in enumerate(MONTHS, 1)}
    by_days = {"DAYS": ",".join(map(str, days)), "TIMEFROM": at, **flags}
    by_weekdays = {"WEEKDAYS": ",".join(map(str, weekdays)), "TIMEFROM": at, **flags}
    for criteria in (by_days, by_weekdays):
        freqs = convert(criteria, 0)
        assert sorted(quartz_fires(freqs[0], *WINDOW)) == control_m_fires(criteria, 0, *WINDOW)


@pytest.mark.parametrize(("criteria", "freq"), [
    ({"DAYS": "ALL", "TIMEFROM": "0130"}, "0 30 1 * * ? *"),
    ({"WEEKDAYS": "1,2,3,4,5", "TIMEFROM": "0800"}, "0 0 8 ? * 2-6 *"),
    ({"DAYS": "L1", "TIMEFROM": "2200"}, "0 0 22 L * ? *"),
    ({"DAYS": "L3", "TIMEFROM": "2200"}, "0 0 22 L-2 * ? *"),
    ({"DAYS": "1-7", "WEEKDAYS": "1", "DAYS_AND_OR": "A", "TIMEFROM": "0600"}, "0 0 6 ? * 2#1 *"),
    ({"DAYS": "1,15", "JAN": "1", **dict.fromkeys(MONTHS[1:], "0"), "TIMEFROM": "0000"}, "0 0 0 1,15 1 ? *"),
    ({"DAYS": "ALL", "CYCLIC": "1", "INTERVAL": "00030M"}, "0 0/30 * * * ? *"),
    ({"WEEKDAYS": "1,2,3,4,5", "CYCLIC": "1", "INTERVAL": "00015M", "TIMEFROM": "0800", "TIMETO": "1745"},
     "0 0/15 8-17 ? * 2-6 *"),
])
def test_documented_shapes_convert_as_written(criteria: dict[str, str], freq: str) -> None:
    assert convert(criteria, 0) == [freq]


@pytest.mark.parametrize(("criteria", "code", "words"), [
    ({"DAYS": "1,L1", "TIMEFROM": "0100"}, "DAY_RULE", "counted from the month's end"),
    ({"DAYS": "1,31,L2", "TIMEFROM": "0100"}, "DAY_RULE", "mixes days (1, 31)"),  # not Quartz's `1/30`
    ({"DAYS": "L1,L2", "TIMEFROM": "0100"}, "DAY_RULE", "Quartz takes one"),
    ({"DAYS": "1", "WEEKDAYS": "1", "TIMEFROM": "0100"}, "DOM_OR_DOW", "OR"),
    ({"DAYS": "2,3", "WEEKDAYS": "1", "DAYS_AND_OR": "A", "TIMEFROM": "0100"}, "DOM_AND_DOW", "AND"),
    ({"DAYS": "+5", "TIMEFROM": "0100"}, "INVALID_SYNTAX", "working days"),
    ({"DAYS": "D2", "TIMEFROM": "0100"}, "INVALID_SYNTAX", "DAYSCAL"),
    ({"WEEKDAYS": "D1W2", "TIMEFROM": "0100"}, "INVALID_SYNTAX", "WEEKSCAL"),
    ({"DAYS": "32", "TIMEFROM": "0100"}, "INVALID_SYNTAX", "1-31"),
    ({"WEEKDAYS": "SA", "TIMEFROM": "0100"}, "INVALID_SYNTAX", "Sunday-Saturday"),
    ({"DAYS": "ALL", **dict.fromkeys(MONTHS, "0"), "TIMEFROM": "0100"}, "IMPOSSIBLE_DATE", "month"),
    ({"DAYS": "ALL", "TIMEFROM": "2500"}, "INVALID_SYNTAX", "HHMM"),
    ({"DAYS": "ALL", "CYCLIC": "1", "INTERVAL": "00090M"}, "UNSUPPORTED_INTERVAL", "same minutes"),
    # the run the window's end cuts off is named, not hidden past the first six runs shown
    ({"DAYS": "ALL", "CYCLIC": "1", "INTERVAL": "00030M", "TIMEFROM": "0800", "TIMETO": "1800"},
     "UNSUPPORTED_INTERVAL", "08-17 at :00/:30, 18 at :00"),
    # no hour like most: each said ("most hours at :30" was one hour of four)
    ({"DAYS": "ALL", "CYCLIC": "1", "INTERVAL": "00035M", "TIMEFROM": "0800", "TIMETO": "1130"},
     "UNSUPPORTED_INTERVAL", "08 at :00/:35, 09 at :10/:45, 10 at :20/:55, 11 at :30"),
    ({"DAYS": "ALL", "CYCLIC": "1", "INTERVAL": "00002D"}, "UNSUPPORTED_INTERVAL", "day"),
    ({"DAYS": "ALL", "CYCLIC": "1", "INTERVAL": "00000M"}, "INVALID_SYNTAX", "interval"),
])
def test_what_quartz_cannot_say_is_refused_with_a_code(criteria: dict[str, str], code: str, words: str) -> None:
    with pytest.raises(Rejection) as refused:
        convert(criteria, 0)
    assert refused.value.code == code and words in refused.value.message


def test_new_day_moves_the_days_of_an_early_job_and_is_needed_when_it_matters() -> None:
    assert convert({"WEEKDAYS": "1,2,3,4,5", "TIMEFROM": "0300"}, 7 * 60) == ["0 0 3 ? * 3-7 *"]
    assert convert({"DAYS": "1", "TIMEFROM": "0300"}, 7 * 60) == ["0 0 3 2 * ? *"]
    assert convert({"DAYS": "L1", "TIMEFROM": "0300"}, 7 * 60) == ["0 0 3 1 * ? *"]  # the last day's: the 1st
    assert convert({"DAYS": "ALL", "TIMEFROM": "0300"}, None) == ["0 0 3 * * ? *"]  # every day: no matter
    for criteria in ({"WEEKDAYS": "1", "TIMEFROM": "0300"}, {"DAYS": "ALL"},
                     {"DAYS": "ALL", "CYCLIC": "1", "INTERVAL": "00030M"}):
        with pytest.raises(Rejection) as refused:
            convert(criteria, None)
        assert refused.value.code == "NEW_DAY" and "new_day" in refused.value.message
    with pytest.raises(Rejection) as refused:  # day 28 moved by a day is not in every month
        convert({"DAYS": "28", "TIMEFROM": "0300"}, 7 * 60)
    assert refused.value.code == "DAY_RULE"
    # The last day of the year's working day ends on 1 January; the 31st of the months that have
    # one ends on the 1st of the next: the same dates every year, so they have a Quartz form.
    year_end = {"DAYS": "31", **dict.fromkeys(MONTHS, "0"), "DEC": "1", "TIMEFROM": "0200"}
    assert convert(year_end, 7 * 60) == ["0 0 2 1 1 ? *"]
    assert quartz_fires("0 0 2 1 1 ? *", *WINDOW) == control_m_fires(year_end, 7 * 60, *WINDOW) != []
    month_ends = {"DAYS": "31", "TIMEFROM": "0200"}
    assert convert(month_ends, 7 * 60) == ["0 0 2 1 1,2,4,6,8,9,11 ? *"]
    assert quartz_fires(convert(month_ends, 7 * 60)[0], *WINDOW) == control_m_fires(month_ends, 7 * 60, *WINDOW)


def test_a_job_with_no_time_starts_when_its_folder_is_ordered() -> None:
    assert convert({"DAYS": "ALL"}, 7 * 60) == ["0 0 7 * * ? *"]
    user_daily = Ordering(new_day=7 * 60, order_at=13 * 60, by="the User Daily PLAN_1300", user_daily=True)
    rule = day_rules(Days(weekdays="0,1,2,3,4"))[0]
    # Ordered at 13:00: TIMEFROM 1000 has passed, so it starts at once; TIMEFROM 0200 is the next morning.
    assert convert_controlm(rule, Timing(time_from="1000"), user_daily).freq == "0 0 13 ? * 1-5 *"
    assert convert_controlm(rule, Timing(time_from="0200"), user_daily).freq == "0 0 2 ? * 2-6 *"
    with pytest.raises(Rejection) as refused:
        convert_controlm(rule, Timing(time_from="1000"), Ordering(new_day=420, by="the User Daily X",
                                                                   user_daily=True))
    assert refused.value.code == "NEW_DAY" and "user_dailies" in refused.value.message


def test_cyclic_kinds() -> None:
    every_day = day_rules(Days(days="ALL"))[0]
    ordering = Ordering(new_day=0, order_at=0)
    times = convert_controlm(every_day, Timing(cyclic=True, cyclic_type="S", times_sequence="0800,1200,1600"),
                             ordering)
    assert times.freq == "0 0 8-16/4 * * ? *"
    same = convert_controlm(every_day, Timing(cyclic=True, cyclic_type="V", interval_sequence="+30M,+30M",
                                              time_from="0600", time_to="0845", cyclic_from="S"), ordering)
    assert same.freq == "0 0/30 6-8 * * ? *" and "CYCLIC_FROM_START" in {w.code for w in same.warnings}
    for timing, words in ((Timing(cyclic=True, cyclic_type="V", interval_sequence="+10M,+20M"), "different"),
                          (Timing(cyclic=True, interval="00030M", cyclic_from="E"), "end of each run"),
                          (Timing(cyclic=True, cyclic_type="S", times_sequence="0800,0915"), "same minutes")):
        with pytest.raises(Rejection) as refused:
            convert_controlm(every_day, timing, ordering)
        assert refused.value.code == "UNSUPPORTED_INTERVAL" and words in refused.value.message


def test_calendars_are_refused_naming_them() -> None:
    for attribute in ("DAYSCAL", "WEEKSCAL", "CONFCAL"):
        with pytest.raises(Rejection) as refused:
            day_rules(Days(days="1", calendars=((attribute, "HOLIDAYS26"),)))
        assert refused.value.code == "CALENDAR" and f"{attribute}=HOLIDAYS26" in refused.value.message



# -- folders, jobs, relations ----------------------------------------------------------------------

def test_a_folder_is_a_flow_and_its_conditions_join_its_jobs(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("FIN-GL", *chain("EXTRACT", "LOAD", "REPORT", TIMEFROM="0130", DAYS="ALL")))
    assert [(r["task_id"], r["task_name"], r["upstream"]) for r in rows] == [
        ("1", "EXTRACT", ""), ("2", "LOAD", "1"), ("3", "REPORT", "2")]
    assert {r["flow"] for r in rows} == {"ctm-prod/FIN-GL"} and rows[0]["schedule"] == "0 30 1 * * ? *"
    assert [r["command"] for r in rows] == ["/opt/run EXTRACT", "/opt/run LOAD", "/opt/run REPORT"]
    # Deleting the condition it waited on is how EM resets a chain: nothing to report.
    assert "CONDITION_DELETED" not in notes(rows[0]) and rows[0]["__errors__"] == ""


def test_the_key_survives_editing_the_export_around_a_folder(tmp_path: Path) -> None:
    gl = folder("FIN-GL", *chain("A", "B", DAYS="ALL", TIMEFROM="0100"))
    other = folder("OPS", job("X", DAYS="ALL", TIMEFROM="0200"))
    before = {r["flow"] for r in rows_of(write(tmp_path, gl, other, name="a.xml"))}
    after = {r["flow"] for r in rows_of(write(tmp_path, other, folder("NEW", job("N", DAYS="ALL", TIMEFROM="0300")),
                                              gl, name="b.xml"))}
    assert before == {"ctm-prod/FIN-GL", "ctm-prod/OPS"} and before < after


def test_one_folder_name_in_two_data_centers_makes_two_flows_with_names_that_say_which(tmp_path: Path) -> None:
    flows = flows_of(write(tmp_path, folder("ETL", job("A", DAYS="ALL", TIMEFROM="0100"), datacenter="dc-east"),
                           folder("ETL", job("A", DAYS="ALL", TIMEFROM="0100"), datacenter="dc-west")))
    assert set(flows) == {"ETL@dc-east", "ETL@dc-west"}
    assert {rows[0]["flow"] for rows in flows.values()} == {"dc-east/ETL", "dc-west/ETL"}


def test_a_repeated_job_name_gets_its_own_task_name(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", job("COPY", DAYS="ALL", TIMEFROM="0100"), job("COPY", DAYS="ALL", TIMEFROM="0100")))
    assert [r["task_name"] for r in rows] == ["COPY", "COPY_2"]


def test_a_condition_of_another_folder_is_a_flow_dependency_when_its_id_is_known(tmp_path: Path) -> None:
    path = write(tmp_path, folder("FIN-GL", job("REPORT", cond("OUT", "GL-DONE"), DAYS="ALL", TIMEFROM="0100")),
                 folder("FIN-RECON", job("PREP", DAYS="ALL", TIMEFROM="0600"),
                        job("RECON", cond("IN", "GL-DONE"), DAYS="ALL", TIMEFROM="0600")))
    recon = flows_of(path)["FIN-RECON"]
    message = notes(recon[0])["CROSS_FLOW_DEPENDENCY"]
    assert "GL-DONE" in message and "REPORT of folder ctm-prod/FIN-GL" in message and 'flow_ids = "FIN-GL=' in message
    assert recon[0]["flow_upstream"] == ""
    linked = flows_of(path, flow_ids="FIN-GL=2788")["FIN-RECON"]
    assert json.loads(linked[0]["flow_upstream"]) == [{"flowId": "2788", "flowName": "FIN-GL", "targets": ["2"]}]
    assert "CROSS_FLOW_DEPENDENCY" not in notes(linked[0])
    by_key = flows_of(path, flow_ids="ctm-prod/FIN-GL=2788")["FIN-RECON"]  # the folder's key works too
    assert json.loads(by_key[0]["flow_upstream"])[0]["flowId"] == "2788"
    # a key in other case matches nothing: said, where it only told to give what was given
    cased = flows_of(path, flow_ids="fin-gl=2788")["FIN-RECON"]
    assert cased[0]["flow_upstream"] == ""
    assert "flow_ids gives 'fin-gl', which is not it" in notes(cased[0])["CROSS_FLOW_DEPENDENCY"]


def test_a_condition_no_job_of_the_export_posts_is_named(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", job("WAIT", cond("IN", "PARTNER-FILE-ARRIVED"), DAYS="ALL", TIMEFROM="0100")))
    assert "PARTNER-FILE-ARRIVED" in notes(rows[0])["CROSS_FLOW_DEPENDENCY"] and rows[0]["upstream"] == ""


def test_conditions_that_are_not_this_runs_are_named_not_joined(tmp_path: Path) -> None:
    rows = one(tmp_path, folder(
        "F", job("A", cond("OUT", "A-OK"), DAYS="ALL", TIMEFROM="0100"),
        job("B", cond("IN", "A-OK", odate="PREV"), DAYS="ALL", TIMEFROM="0100"),
        job("C", cond("IN", "A-OK", odate="****"), DAYS="ALL", TIMEFROM="0100"),
        job("D", cond("IN", "D-OK"), cond("OUT", "D-OK"), DAYS="ALL", TIMEFROM="0100")))
    said = notes(rows[0])["CONDITION_DATE"]
    assert [r["upstream"] for r in rows] == ["", "", "1", ""]
    assert "B waits on A-OK of order date PREV" in said and "C waits on A-OK of any order date" in said
    assert "D waits on D-OK, which only it posts" in said


def test_or_conditions_and_several_posters_are_named(tmp_path: Path) -> None:
    rows = one(tmp_path, folder(
        "F", job("A", cond("OUT", "READY"), DAYS="ALL", TIMEFROM="0100"),
        job("B", cond("OUT", "READY"), cond("OUT", "B-OK"), DAYS="ALL", TIMEFROM="0100"),
        job("C", cond("IN", "READY"), DAYS="ALL", TIMEFROM="0100"),
        job("E", cond("IN", "B-OK", and_or="O"), cond("IN", "A-OK", and_or="O"), DAYS="ALL", TIMEFROM="0100")))
    said = notes(rows[0])["CONDITION_OR"]
    assert rows[2]["upstream"] == "1,2" and "READY, which job C waits on, is posted by A, B" in said
    assert "E waits on B-OK or A-OK" in said


def test_a_condition_posted_only_on_a_failure_is_an_error(tmp_path: Path) -> None:
    on_failure = element("ON", {"STMT": "*", "CODE": "NOTOK"}, element("DOCOND", {"NAME": "A-FAILED", "ODATE": "ODAT",
                                                                                  "SIGN": "+"}))
    rows = one(tmp_path, folder("F", job("A", on_failure, DAYS="ALL", TIMEFROM="0100"),
                                job("CLEANUP", cond("IN", "A-FAILED"), DAYS="ALL", TIMEFROM="0100")))
    assert "CONDITION_ON_OUTCOME" in notes(rows[0], "__errors__")
    assert "A when it ends NOTOK" in notes(rows[0], "__errors__")["CONDITION_ON_OUTCOME"]


def test_a_job_forced_on_ok_runs_after_the_one_that_forces_it(tmp_path: Path) -> None:
    force = element("ON", {"STMT": "*", "CODE": "OK"},
                    element("DOFORCEJOB", {"TABLE_NAME": "F", "NAME": "NEXT", "ODATE": "ODAT", "REMOTE": "N"}))
    rows = one(tmp_path, folder("F", job("FIRST", force, DAYS="ALL", TIMEFROM="0100"),
                                job("NEXT", DAYS="", DAYSCAL="")))  # the Datio style: no criteria, forced
    assert [r["upstream"] for r in rows] == ["", "1"] and rows[0]["__errors__"] == ""
    assert "ON_DO" not in notes(rows[0])  # carried as the relation, not named as an action left behind
    # forced on another outcome, or another folder's job: named, not carried
    on_failure = element("ON", {"STMT": "*", "CODE": "NOTOK"},
                         element("DOFORCEJOB", {"TABLE_NAME": "F", "NAME": "NEXT", "ODATE": "ODAT"}))
    elsewhere = element("ON", {"STMT": "*", "CODE": "OK"},
                        element("DOFORCEJOB", {"TABLE_NAME": "G", "NAME": "ELSEWHERE", "ODATE": "ODAT"}))
    rows = one(tmp_path, folder("F", job("FIRST", force, on_failure, elsewhere, DAYS="ALL", TIMEFROM="0100"),
                                job("NEXT", DAYS="", DAYSCAL="")))
    said = notes(rows[0])["ON_DO"]
    assert "job FIRST on NOTOK: DOFORCEJOB TABLE_NAME=F NAME=NEXT" in said
    assert "job FIRST on OK: DOFORCEJOB TABLE_NAME=G NAME=ELSEWHERE" in said and "NAME=NEXT;" not in said.split("OK:")[-1]
    assert said.count("DOFORCEJOB") == 2


def test_a_job_forced_on_ok_and_ordered_on_its_own_days_too_is_refused(tmp_path: Path) -> None:
    # NEXT, ordered every day and waiting on nothing, ran at New Day, and again when FIRST forced it:
    # saved as a task after FIRST, its own run was gone without a word.
    force = element("ON", {"STMT": "*", "CODE": "OK"},
                    element("DOFORCEJOB", {"TABLE_NAME": "F", "NAME": "NEXT", "ODATE": "ODAT", "REMOTE": "N"}))
    rows = one(tmp_path, folder("F", job("FIRST", force, DAYS="ALL", TIMEFROM="0200"), job("NEXT", DAYS="ALL")))
    refused = notes(rows[0], "__errors__")["TASK_SCHEDULE_DIFFERS"]
    assert "job NEXT is ordered on its own days, and forced too when job FIRST ends OK: Control-M ran it twice" \
        in refused
    on_failure = element("ON", {"STMT": "*", "CODE": "NOTOK"},
                         element("DOFORCEJOB", {"TABLE_NAME": "F", "NAME": "NEXT", "ODATE": "ODAT"}))
    alone = one(tmp_path, folder("F", job("FIRST", on_failure, DAYS="ALL", TIMEFROM="0200"), job("NEXT")))
    assert "forced when job FIRST ends NOTOK" in notes(alone[0], "__errors__")["TASK_SCHEDULE_DIFFERS"]  # not "task 1"
    waits = one(tmp_path, folder("F", job("FIRST", force, cond("OUT", "F-OK"), DAYS="ALL", TIMEFROM="0200"),
                                 job("NEXT", cond("IN", "F-OK"), DAYS="ALL")))  # its own order after FIRST: twice too
    assert "TASK_SCHEDULE_DIFFERS" in notes(waits[0], "__errors__")


def test_another_condition_deleted_is_named(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", job("A", cond("OUT", "OTHER-FOLDER-READY", sign="-"), DAYS="ALL",
                                         TIMEFROM="0100")))
    assert "job A deletes OTHER-FOLDER-READY" in notes(rows[0])["CONDITION_DELETED"]


# -- SMART folders, sub-folders and rule-based calendars -----------------------------------------

def test_a_job_without_criteria_in_a_smart_folder_takes_the_folders_rule(tmp_path: Path) -> None:
    """As in real exports: jobs with only month flags, a sub-folder using `*`, the rule defined last."""
    sub = element("SUB_FOLDER", {"JOBNAME": "CLEANUP", "TASKTYPE": "Sub-Table", **EVERY_MONTH},
                  uses("*"), cond("IN", "ROTATE-OK"),
                  job("PURGE", cond("OUT", "PURGE-OK")),
                  job("VACUUM", cond("IN", "PURGE-OK"), cond("OUT", "PURGE-OK", sign="-")))
    rows = one(tmp_path, smart("OPS", job("ROTATE", cond("OUT", "ROTATE-OK"), uses("*"), TIMEFROM="2330"), sub,
                               element("VARIABLE", {"NAME": "%%LOG_ROOT", "VALUE": "/var/log/apps"}),
                               rule("WORKWEEK", WEEKDAYS="1,2,3,4,5")), new_day="0700")
    assert [(r["task_name"], r["upstream"]) for r in rows] == [("ROTATE", ""), ("PURGE", "1"), ("VACUUM", "2")]
    assert rows[0]["schedule"] == "0 30 23 ? * 2-6 *" and rows[0]["__errors__"] == ""
    assert json.loads(rows[0]["params"]) == [{"key": "LOG_ROOT", "value": "/var/log/apps"}]


@pytest.mark.parametrize(("where", "timing", "said"), [
    ("smart", {"TIMEFROM": "0800", "TIMETO": "1200", "CYCLIC": "1", "INTERVAL": "00030M"},
     "SMART folder OPS has its own time window or cycle (TIMEFROM=0800, TIMETO=1200, CYCLIC=1, INTERVAL=00030M)"),
    ("smart", {"TIMEFROM": "0300"}, "SMART folder OPS has its own time window or cycle (TIMEFROM=0300)"),
    ("sub", {"TIMEFROM": "2200", "TIMETO": ">"}, "SUB_FOLDER NIGHT has its own time window or cycle (TIMEFROM=2200)"),
])
def test_a_folders_own_time_window_or_cycle_is_refused_not_dropped(tmp_path: Path, where: str,
                                                                 timing: dict[str, str], said: str) -> None:
    """A SMART folder (or SUB_FOLDER) with its own TIMEFROM, TIMETO, CYCLIC and INTERVAL: Control-M
    ran its jobs only within them. The flow took its jobs' criteria alone, proved them equivalent
    to themselves, and fired once at New Day (found in a Control-M 9.0.21-shaped export)."""
    extract = job("EXTRACT", WEEKDAYS="1,2,3,4,5")
    if where == "smart":
        made = smart("OPS", extract, **timing)
    else:
        made = smart("OPS", element("SUB_FOLDER", {"JOBNAME": "NIGHT", "TASKTYPE": "Sub-Table", **EVERY_MONTH,
                                                   **timing}, extract))
    rows = one(tmp_path, made, new_day="0700")
    errors = notes(rows[0], "__errors__")
    assert list(errors) == ["FOLDER_TIMING"] and said in errors["FOLDER_TIMING"], errors
    # the defaults real exports write (not cyclic, an interval of none, no end) are no timing of their own
    quiet = one(tmp_path, smart("OPS", job("EXTRACT", WEEKDAYS="1,2,3,4,5", TIMEFROM="0800"), CYCLIC="0",
                                INTERVAL="00001M", TIMETO=">", TIMEFROM=""), new_day="0700")
    assert quiet[0]["__errors__"] == "" and quiet[0]["schedule"] == "0 0 8 ? * 2-6 *"


def test_a_smart_folders_active_period_is_its_jobs(tmp_path: Path) -> None:
    """ACTIVE_FROM and ACTIVE_TILL on the SMART folder bound its jobs' order dates: the flow's start
    date and end. They were dropped without a word (the same on a job were carried)."""
    rows = one(tmp_path, smart("OPS", job("EXTRACT", WEEKDAYS="1,2,3,4,5", TIMEFROM="0800"),
                               ACTIVE_FROM="20270104", ACTIVE_TILL="20271231"), new_day="0700")
    assert rows[0]["start_date"] == "2027-01-04" and "20271231" in notes(rows[0])["END_DATE"]


def test_a_jobs_own_days_are_within_its_smart_folders(tmp_path: Path) -> None:
    rows = one(tmp_path, smart("S", job("A", TIMEFROM="0600", DAYS="1-7", DAYS_AND_OR="A"),
                               rule("MONDAYS", WEEKDAYS="1")), new_day="0000")
    assert rows[0]["schedule"] == "0 0 6 ? * 2#1 *"  # the folder's Mondays AND the job's days 1-7


def weekday_folder(relationship: str) -> str:
    """A SMART folder ordered Monday to Friday (its rule WKDAYS) and its one job ordered on day 1
    and (`A`) or (`O`) the folder's rules, as the reviewer's export wrote it."""
    return smart("S-RBC-OR", job("S-JOB", uses("*"), noise=False, TIMEFROM="0900", DAYS="1", DAYS_AND_OR="O",
                                 RULE_BASED_CALENDAR_RELATIONSHIP=relationship),
                 rule("WKDAYS", WEEKDAYS="1,2,3,4,5"), DAYS_AND_OR="O")


@pytest.mark.parametrize("split_or", ["false", "true"])
def test_a_jobs_days_or_its_calendars_are_taken_within_its_smart_folders(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], split_or: str) -> None:
    """Day 1 OR the calendar's Monday to Friday, within the folder's Monday to Friday, is Monday to
    Friday: one Quartz expression, proved. Each part was put within the folder's days on its own,
    and day 1 within Monday to Friday, no one expression, was refused (DOM_AND_DOW) before the parts
    were joined again; without split_or, day 1 OR Monday to Friday was refused before that."""
    path = write(tmp_path, weekday_folder("O"))
    code, plan, _ = plan_profile(tmp_path, capsys, "controlm", path,
                                 source_lines=f'options = {{ new_day = "0700", split_or = {split_or} }}')
    assert code == 3 and plan["invalid"] == 0, plan
    [action] = plan["actions"]
    assert action["freq"] == "0 0 9 ? * 2-6 *"
    assert action["proof"]["verdict"] == "equivalent", action["proof"]


def test_a_jobs_days_and_its_calendars_that_quartz_cannot_say_are_refused_as_asked(tmp_path: Path) -> None:
    """With RULE_BASED_CALENDAR_RELATIONSHIP A it is day 1 when that is Monday to Friday: no one Quartz
    expression. The refusal says the days asked for, the folder's too."""
    rows = one(tmp_path, weekday_folder("A"), new_day="0700")
    message = notes(rows[0], "__errors__")["DOM_AND_DOW"]
    assert ("job S-JOB is ordered on 1 * ? AND ? * 2-6 (day-of-month month day-of-week, in Quartz's fields: "
            "Sunday is 1), within its SMART folder "
            "S-RBC-OR's ? * 2-6: ") in message, message


def test_a_jobs_days_or_its_calendars_that_quartz_cannot_say_are_refused_or_split(tmp_path: Path) -> None:
    """Day 1 OR the calendar's Mondays in a folder ordered every day: no one expression. Refused,
    saying so, or two flows with split_or."""
    export = smart("S", job("A", uses("MONDAYS"), TIMEFROM="0600", DAYS="1"),
                   rule("MONDAYS", WEEKDAYS="1"), rule("EVERY_DAY", DAYS="ALL"))
    refused = notes(one(tmp_path, export, new_day="0000")[0], "__errors__")
    assert list(refused) == ["DOM_OR_DOW"] and refused["DOM_OR_DOW"].startswith(
        "folder S: job A is ordered on 1 * ? OR ? * 2 (day-of-month month day-of-week, in Quartz's fields: "
        "Sunday is 1): "), refused
    flows = flows_of(write(tmp_path, export), split_or=True, new_day="0000")
    assert {name: rows[0]["schedule"] for name, rows in flows.items()} == {
        "S": "0 0 6 1 * ? *", "S (weekdays)": "0 0 6 ? * 2 *"}


def test_a_jobs_days_that_join_are_joined_before_the_folders_are_applied(tmp_path: Path) -> None:
    """Saturday and Sunday OR the calendar's Monday to Friday is every day: within a folder of days
    8-14 OR Monday to Friday, the folder's days (two flows with split_or), not weekend days 8-14, which
    no one expression says."""
    export = smart("S", job("A", uses("*"), TIMEFROM="0600", WEEKDAYS="0,6"), rule("WEEK", WEEKDAYS="1-5"),
                   DAYS="8-14")
    flows = flows_of(write(tmp_path, export), split_or=True, new_day="0000")
    assert {name: (rows[0]["schedule"], rows[0]["__errors__"]) for name, rows in flows.items()} == {
        "S": ("0 0 6 8-14 * ? *", ""), "S (weekdays)": ("0 0 6 ? * 2-6 *", "")}


def test_a_rule_the_folder_does_not_define_is_a_calendar_of_the_server(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", job("A", uses("GLOBAL_MONTH_END"), TIMEFROM="0100")))
    assert "GLOBAL_MONTH_END" in notes(rows[0], "__errors__")["CALENDAR"]


@pytest.mark.parametrize("attribute", ["DAYSCAL", "WEEKSCAL", "CONFCAL"])
def test_a_calendar_is_refused_naming_it(tmp_path: Path, attribute: str) -> None:
    rows = one(tmp_path, folder("PAY", job("RUN", TIMEFROM="1900", DAYS="1", **{attribute: "WORKDAYS_2026"})))
    assert f"{attribute}=WORKDAYS_2026" in notes(rows[0], "__errors__")["CALENDAR"]


def test_the_older_sched_table_is_read_as_a_folder(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("OLD_TBL", job("J1", DAYS="ALL", TIMEFROM="0500"), tag="SCHED_TABLE"))
    assert rows[0]["flow"] == "ctm-prod/OLD_TBL" and rows[0]["schedule"] == "0 0 5 * * ? *"


# -- how and when a folder is ordered ------------------------------------------------------------

def test_a_folder_ordered_by_hand_is_unscheduled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, folder("REINDEX", job("R", DAYS="ALL", TIMEFROM="0100"), order=None))
    rows = rows_of(path)
    assert rows[0]["schedule"] == "" and "not ordered automatically" in rows[0]["unscheduled"]
    code, plan, _ = plan_profile(tmp_path, capsys, "controlm", path)
    assert code == 5 and plan["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1}
    code, plan, _ = plan_profile(tmp_path, capsys, "controlm", path, extra='[mapping]\nunscheduled = "manual"')
    assert code == 3 and plan["warnings_by_code"]["MANUAL_FLOW"] == 1


def test_a_user_daily_orders_at_its_own_time(tmp_path: Path) -> None:
    export = folder("KYTL", job("LOAD", WEEKDAYS="0,1,2,3,4", TIMEFROM="0200"), order="PLAN_1300")
    unknown = one(tmp_path, export, new_day="0700")
    assert "user_dailies" in notes(unknown[0], "__errors__")["NEW_DAY"]
    rows = one(tmp_path, export, new_day="0700", user_dailies="PLAN_1300=1300")
    assert rows[0]["schedule"] == "0 0 2 ? * 2-6 *"  # Sunday to Thursday's, run the next morning
    assert "ORDER_DATE_SHIFT" in notes(rows[0])


def test_first_jobs_that_fire_at_different_times_are_refused(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100", RUN_AS="batch"),
                                job("B", DAYS="ALL", TIMEFROM="0200")))
    message = notes(rows[0], "__errors__")["TASK_SCHEDULE_DIFFERS"]
    assert "A: 0 0 1 * * ? *" in message and "B: 0 0 2 * * ? *" in message
    assert "RUN_AS" in notes(rows[0])  # the folder's other facts are said with the refusal (they were dropped)


def test_a_later_job_ordered_on_other_days_is_refused_and_its_own_time_named(tmp_path: Path) -> None:
    weekly = one(tmp_path, folder("F", *chain("A", "B", DAYS="ALL", TIMEFROM="0100")[:1],
                                  job("B", cond("IN", "A-OK"), WEEKDAYS="1")))
    assert "job B is ordered on ? * 2" in notes(weekly[0], "__errors__")["TASK_SCHEDULE_DIFFERS"]
    timed = one(tmp_path, folder("F", *chain("A", "B", DAYS="ALL", TIMEFROM="0100")[:1],
                                 job("B", cond("IN", "A-OK"), DAYS="ALL", TIMEFROM="0500")))
    assert timed[0]["__errors__"] == "" and "B waited for 0500" in notes(timed[0])["TASK_TIME_WINDOW"]


def test_a_job_after_a_cyclic_first_job_is_refused_as_it_would_run_every_cycle(tmp_path: Path) -> None:
    """A folder whose first job polls every hour (CYCLIC) and whose next job, ordered once a day,
    waits on its condition was saved as one hourly flow: Control-M ran the next job once, when the
    condition first came; the flow ran it ten times a day. Refused, as a cyclic job after others is."""
    poll = job("POLL", cond("OUT", "POLL-OK"), DAYS="ALL", CYCLIC="1", INTERVAL="00060M", TIMEFROM="0800",
               TIMETO="1700")
    rows = one(tmp_path, folder("F", poll, job("LOAD", cond("IN", "POLL-OK"), DAYS="ALL")), new_day="0700")
    message = notes(rows[0], "__errors__")["TASK_SCHEDULE_DIFFERS"]
    assert "job LOAD runs once an order date, after POLL, which is cyclic" in message, message
    assert "every cycle" in message
    alone = one(tmp_path, folder("F", poll), new_day="0700")  # a cyclic job alone is its flow's schedule
    assert alone[0]["__errors__"] == "" and alone[0]["schedule"] == "0 0 8-17 * * ? *", alone[0]


def test_split_or_saves_two_flows(tmp_path: Path) -> None:
    export = folder("F", job("A", DAYS="1,15", WEEKDAYS="5", TIMEFROM="0600"))
    refused = one(tmp_path, export, new_day="0000")
    assert "DOM_OR_DOW" in notes(refused[0], "__errors__")
    flows = flows_of(write(tmp_path, export), split_or=True, new_day="0000")
    assert {name: rows[0]["schedule"] for name, rows in flows.items()} == {
        "F": "0 0 6 1,15 * ? *", "F (weekdays)": "0 0 6 ? * 6 *"}
    assert flows["F (weekdays)"][0]["flow"] == "ctm-prod/F (weekdays)" and "SPLIT" in notes(flows["F"][0])


def test_time_zones_are_carried_or_refused(tmp_path: Path) -> None:
    iana = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100", TIMEZONE="America/New_York")))
    assert iana[0]["timezone"] == "America/New_York"
    code = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100", TIMEZONE="EST")))
    assert "timezones" in notes(code[0], "__errors__")["UNKNOWN_TIMEZONE"]
    # EST and CET are names of the tz database too: refused for what is so, that the code is the
    # server's TimeZone.dat's, not for "not being an IANA name".
    said = notes(code[0], "__errors__")["UNKNOWN_TIMEZONE"]
    assert "not an IANA zone name" not in said and "TimeZone.dat" in said and "the tz database's EST only" in said
    japan = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100", TIMEZONE="JST")))
    assert "TimeZone.dat" in (said := notes(japan[0], "__errors__")["UNKNOWN_TIMEZONE"]) and "tz database" not in said
    mapped = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100", TIMEZONE="EST")),
                 timezones="EST=America/New_York")
    assert mapped[0]["timezone"] == "America/New_York"


def test_the_active_period_is_the_flows_start_and_a_passed_end_makes_it_inactive(tmp_path: Path) -> None:
    ahead = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100", ACTIVE_FROM="20270101",
                                          ACTIVE_TILL="22001231")))
    assert ahead[0]["start_date"] == "2027-01-01" and ahead[0]["active"] == "1" and "END_DATE" in notes(ahead[0])
    ended = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100", ACTIVE_TILL="20200101")))
    assert ended[0]["active"] == "0" and "has passed" in notes(ended[0])["END_DATE"]


# -- what a job runs -----------------------------------------------------------------------------

def test_what_each_kind_of_job_runs(tmp_path: Path) -> None:
    parms = (element("VARIABLE", {"NAME": "%%PARM2", "VALUE": "--full run"}),
             element("VARIABLE", {"NAME": "%%PARM1", "VALUE": "%%$ODATE"}))
    plugin = (element("VARIABLE", {"NAME": "%%FTP-LPATH1", "VALUE": "/out/a.csv"}),
              element("VARIABLE", {"NAME": "%%FTP-RHOST", "VALUE": "partner"}))
    rows = one(tmp_path, folder(
        "F", job("SCRIPT", *parms, cond("OUT", "SCRIPT-OK"), TASKTYPE="Job", CMDLINE=None, MEMLIB="/opt/scripts/", MEMNAME="load.sh",
                 DAYS="ALL", TIMEFROM="0100"),
        *[job(name, cond("IN", "SCRIPT-OK"), DAYS="ALL", **attributes) for name, attributes in (
            ("WIN", {"TASKTYPE": "Job", "CMDLINE": None, "MEMLIB": "D:\\batch", "MEMNAME": "run.cmd"}),
            ("JCL", {"TASKTYPE": "Job", "CMDLINE": None, "MEMLIB": "CLM.PROD.JCL", "MEMNAME": "CLMJ010"}),
            ("INSTREAM", {"USE_INSTREAM_JCL": "Y", "INSTREAM_JCL": "cd /tmp\nls -l", "CMDLINE": None}),
            ("NOTUSED", {"USE_INSTREAM_JCL": "N", "INSTREAM_JCL": "rm -rf /"}),
            ("MARKER", {"TASKTYPE": "Dummy", "CMDLINE": None}),
            ("OFF", {"RUN_AS_DUMMY": "Y"}))],
        job("ADF", *plugin, cond("IN", "SCRIPT-OK"), TASKTYPE="Job", CMDLINE=None, APPL_TYPE="FILE_TRANS",
            APPL_FORM="AFT", DAYS="ALL"),
        job("BARE", cond("IN", "SCRIPT-OK"), noise=False, DAYS="ALL"),
        # a File Watcher written as a Dummy job (seen in real exports): its settings are not dropped for `exit 0`
        job("WATCH", element("VARIABLE", {"NAME": "%%FileWatch-FILE_PATH", "VALUE": "/in/*.csv"}),
            cond("IN", "SCRIPT-OK"), TASKTYPE="Dummy", CMDLINE=None, APPL_TYPE="FileWatch", DAYS="ALL")))
    commands = {r["task_name"]: r["command"] for r in rows}
    assert commands["SCRIPT"] == "/opt/scripts/load.sh %%$ODATE '--full run'"
    assert commands["WIN"] == "D:\\batch\\run.cmd" and commands["JCL"] == "CLM.PROD.JCL(CLMJ010)"
    assert commands["INSTREAM"] == "cd /tmp\nls -l" and commands["NOTUSED"] == "/opt/run NOTUSED"
    assert commands["MARKER"] == commands["OFF"] == "exit 0" and commands["BARE"] == "/opt/run BARE"
    assert json.loads(commands["ADF"]) == {"APPL_FORM": "AFT", "APPL_TYPE": "FILE_TRANS",
                                           "settings": {"%%FTP-LPATH1": "/out/a.csv", "%%FTP-RHOST": "partner"}}
    assert json.loads(commands["WATCH"]) == {"APPL_TYPE": "FileWatch", "settings": {"%%FileWatch-FILE_PATH": "/in/*.csv"}}
    said = notes(rows[0])
    assert {"SCRIPT_REFERENCE", "DUMMY_JOB", "TASK_BODY_AS_TEXT"} <= set(said)
    assert "job WATCH is a Dummy job that names the FileWatch plugin (APPL_TYPE)" in said["TASK_BODY_AS_TEXT"]
    assert "WATCH" not in said["DUMMY_JOB"]
    assert "%%PARM" not in rows[0]["params"]  # the script's arguments, not parameters


def test_a_job_with_nothing_to_run_fails_its_folder_and_the_others_go_on(tmp_path: Path) -> None:
    flows = flows_of(write(tmp_path, folder("BAD", job("EMPTY", CMDLINE=None, DAYS="ALL", TIMEFROM="0100")),
                           folder("GOOD", job("A", DAYS="ALL", TIMEFROM="0100")),
                           folder("NONAME", job("", DAYS="ALL"))))
    assert "job EMPTY (TASKTYPE Command) has nothing to run" in notes(flows["BAD"][0], "__errors__")["MALFORMED_JOB"]
    assert "has no JOBNAME" in notes(flows["NONAME"][0], "__errors__")["MALFORMED_JOB"]
    assert flows["GOOD"][0]["__errors__"] == "" and flows["GOOD"][0]["schedule"] == "0 0 1 * * ? *"


# -- facts carried and reported -----------------------------------------------------------------

def test_every_fact_of_a_job_is_carried_or_reported(tmp_path: Path) -> None:
    mail = element("ON", {"STMT": "*", "CODE": "NOTOK"},
                   element("DOMAIL", {"URGENCY": "R", "DEST": "oncall@example.com", "SUBJECT": "%%JOBNAME failed"}))
    ok_action = element("ON", {"STMT": "*", "CODE": "COMPSTAT EQ 7"}, element("DOACTION", {"ACTION": "OK"}))
    rows = one(tmp_path, folder("F", job(
        "A", element("VARIABLE", {"NAME": "%%SCHEMA", "VALUE": "STG"}), mail, ok_action,
        element("QUANTITATIVE", {"NAME": "DB-SLOTS", "QUANT": "2", "ONOK": "R", "ONFAIL": "R"}),
        element("CONTROL", {"NAME": "GL-LOCK", "TYPE": "E", "ONFAIL": "R"}),
        element("SHOUT", {"WHEN": "LATETIME", "TIME": "0300", "DEST": "EM", "MESSAGE": "late"}),
        CMDLINE="load --schema %%SCHEMA", DAYS="ALL", TIMEFROM="0100", TIMETO="0400", RUN_AS="finbatch",
        NODEID="fin-agents", PRIORITY="A1", CRITICAL="1", CONFIRM="1", MAXRERUN="3", MAXWAIT="5", RETRO="1",
        DESCRIPTION="Load the ledger", DUE_OUT="0500", SCHEDULING_ENVIRONMENT="LPAR2")))
    said = notes(rows[0])
    assert rows[0]["alert"] == "1" and "oncall@example.com" in said["ALERT_RECIPIENTS"]
    assert json.loads(rows[0]["params"]) == [{"key": "SCHEMA", "value": "STG"}]
    assert rows[0]["owners"] == "finbatch" and "finbatch" in said["RUN_AS"] and "fin-agents" in said["NODE"]
    for code in ("PRIORITY", "CRITICAL", "CONFIRM", "RETRY", "MAXWAIT", "RETRO", "RESOURCE", "SHOUT", "ON_DO",
                 "TIME_WINDOW", "VARIABLE_REFERENCE", "ATTRIBUTE_NOT_CARRIED"):
        assert code in said, code
    assert "DB-SLOTS (2)" in said["RESOURCE"] and "GL-LOCK" in said["RESOURCE"]
    assert "SCHEDULING_ENVIRONMENT=LPAR2" in said["ATTRIBUTE_NOT_CARRIED"] and "DUE_OUT=0500" in said[
        "ATTRIBUTE_NOT_CARRIED"]
    assert "Load the ledger" in rows[0]["desc"] and "application APP / SUB" in rows[0]["desc"]


def test_attributes_that_change_what_runs_are_named_not_taken_for_bookkeeping(tmp_path: Path) -> None:
    """RERUNMEM (the script an automatic rerun runs), MULTY_AGENT (the job runs on every agent of its
    host group), a SMART folder's ADJUST_COND, END_FOLDER and PREV_DAY (SAC) were left out as
    bookkeeping: a job rerunning another script, or run once on each of ten hosts, said nothing of it."""
    rows = one(tmp_path, smart("S", job("A", cond("OUT", "A-OK"), DAYS="ALL", TIMEFROM="0100", MAXRERUN="3",
                                        RERUNMEM="rerun.sh", MULTY_AGENT="Y", NODEID="etl-hosts"),
                               job("B", cond("IN", "A-OK"), DAYS="ALL", RERUNMEM="fix.sh", END_FOLDER="Y",
                                   PREV_DAY="P"),
                               ADJUST_COND="Y"))
    said = notes(rows[0])
    assert said["RETRY"].startswith("job A up to 3 times, each rerun running rerun.sh (RERUNMEM)")
    assert said["NODE"].startswith("job A ran on every agent of the host group etl-hosts (MULTY_AGENT)")
    not_carried = said["ATTRIBUTE_NOT_CARRIED"]
    for written in ("folder S ADJUST_COND=Y (its jobs did not wait", "job B RERUNMEM=fix.sh (the script an "
                    "automatic rerun runs)", "job B END_FOLDER=Y (the SMART folder ended", "job B PREV_DAY=P ("):
        assert written in not_carried, (written, not_carried)


def test_bookkeeping_and_defaults_are_not_reported(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100")))
    assert notes(rows[0]) == {}


def test_a_variable_with_two_values_keeps_the_first_and_says_so(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", *[job(name, element("VARIABLE", {"NAME": "%%ENV", "VALUE": value}),
                                          *([cond("IN", "A-OK")] if name == "B" else [cond("OUT", "A-OK")]),
                                          DAYS="ALL", TIMEFROM="0100")
                                      for name, value in (("A", "prod"), ("B", "test"))]))
    assert json.loads(rows[0]["params"]) == [{"key": "ENV", "value": "prod"}]
    assert "'prod'" in notes(rows[0])["VARIABLE_CONFLICT"] and "'test'" in notes(rows[0])["VARIABLE_CONFLICT"]


def test_every_spelling_of_a_variable_is_a_parameter_and_a_nameless_one_is_named(tmp_path: Path) -> None:
    """AUTOEDIT is written `EXP="%%NAME=value"`, and by some writers NAME and VALUE as AUTOEDIT2: each
    is a parameter. One without a name was a parameter with an empty key, its value gone unsaid."""
    rows = one(tmp_path, folder("F", job("A", element("AUTOEDIT", {"EXP": "%%MODE=full"}),
                                         element("AUTOEDIT", {"NAME": "%%PARM1", "VALUE": "--quick"}),
                                         element("AUTOEDIT2", {"NAME": "%%REGION", "VALUE": "eu"}),
                                         element("VARIABLE", {"VALUE": "orphan"}),
                                         DAYS="ALL", TIMEFROM="0100")))
    assert json.loads(rows[0]["params"]) == [{"key": "MODE", "value": "full"}, {"key": "PARM1", "value": "--quick"},
                                             {"key": "REGION", "value": "eu"}]
    assert "job A: a variable without a name (value 'orphan')" in notes(rows[0])["ATTRIBUTE_NOT_CARRIED"]


def test_a_variable_reference_ends_where_controlm_concatenates(tmp_path: Path) -> None:
    """`..` joins a variable to the text after it (`%%PARM1..csv`): the variable is %%PARM1."""
    rows = one(tmp_path, folder("F", job("A", CMDLINE="ctmfw /in/x_%%PARM1..csv %%APP.NAME %%ODATE.", DAYS="ALL",
                                         TIMEFROM="0100")))
    assert "A: %%APP.NAME, %%ODATE, %%PARM1 (" in notes(rows[0])["VARIABLE_REFERENCE"]


def test_a_variable_that_looks_like_a_secret_is_named(tmp_path: Path) -> None:
    """`%%DB_PASSWORD` set in the export becomes a flow parameter every owner and visitor reads: it
    went without a word (a crontab's environment, a unit's, an Azkaban flow's say so)."""
    rows = one(tmp_path, folder("F", job("A", element("VARIABLE", {"NAME": "%%DB_PASSWORD", "VALUE": "ctm-secret"}),
                                         element("VARIABLE", {"NAME": "%%REGION", "VALUE": "emea"}),
                                         DAYS="ALL", TIMEFROM="0100")))
    said = notes(rows[0])["SECRET_PARAMETER"]
    assert said.startswith("%%DB_PASSWORD (these look like secrets") and "REGION" not in said
    assert "ctm-secret" not in said


def test_older_autoedit_variables_are_parameters_too(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", job("A", element("AUTOEDIT2", {"NAME": "%%REGION", "VALUE": "emea"}),
                                         element("AUTOEDIT", {"EXP": "%%TIER=gold"}), DAYS="ALL", TIMEFROM="0100")))
    assert json.loads(rows[0]["params"]) == [{"key": "REGION", "value": "emea"}, {"key": "TIER", "value": "gold"}]
    assert "ATTRIBUTE_NOT_CARRIED" not in notes(rows[0])


def test_a_smart_folder_of_jobs_that_run_apart_is_refused_naming_each(tmp_path: Path) -> None:
    """The shape of a real SMART folder export: a cyclic keep-alive job beside sub-folders whose jobs
    have no criteria of their own (they take the folder's EVERYDAY rule) and no TIMEFROM, an in-stream
    script that is not used, the folder's variable and rule written after its sub-folders."""
    sub = element("SUB_FOLDER", {"JOBISN": "10", "JOBNAME": "ADD2LOG", "TASKTYPE": "Sub-Table", "DAYS": "ALL",
                                 **EVERY_MONTH}, uses("*"),
                  job("START", CMDLINE="jq '.pgmvars.addtkt2log = \"yes\"' %%fldr_tktfile | sponge %%fldr_tktfile",
                      INSTREAM_JCL="tktfile=$HOME/tkt.json\njq . $tktfile", RUN_AS="ctmem"))
    export = smart("DCO_SNow", job("KEEPALIVE", CYCLIC="1", INTERVAL="00002H", DAYS="ALL",
                                   CMDLINE='echo "%%JOBNAME:%%ODATE";exit 20', RUN_AS="ctmagent"),
                   sub, element("VARIABLE", {"NAME": "%%fldr_tktfile", "VALUE": "$HOME/tktvars.json"}),
                   rule("EVERYDAY", DAYS="ALL"), DAYS="ALL")
    rows = one(tmp_path, export, new_day="0000")
    message = notes(rows[0], "__errors__")["TASK_SCHEDULE_DIFFERS"]
    assert "KEEPALIVE: 0 0 0/2 * * ? *" in message and "START: 0 0 0 * * ? *" in message
    assert [r["command"] for r in rows][1].startswith("jq '.pgmvars.addtkt2log")  # the command, not the script


def test_jobs_waiting_on_each_other_in_a_circle_are_refused(tmp_path: Path) -> None:
    rows = one(tmp_path, folder("F", job("A", cond("IN", "B-OK"), cond("OUT", "A-OK"), DAYS="ALL", TIMEFROM="0100"),
                                job("B", cond("IN", "A-OK"), cond("OUT", "B-OK"), DAYS="ALL", TIMEFROM="0100")))
    assert "no job starts the flow" in notes(rows[0], "__errors__")["CONDITION_CYCLE"]


@pytest.mark.parametrize(("until", "said"), [("0600", "could not start after 0600 (TIMETO)"),
                                             ("06:00", "could not start after 06:00 (TIMETO)"),
                                             (">", "could still start past the next New Day (TIMETO >)")])
def test_timeto_as_exports_write_it(tmp_path: Path, until: str, said: str) -> None:
    rows = one(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100", TIMETO=until)))
    assert rows[0]["schedule"] == "0 0 1 * * ? *" and f"job A {said}" in notes(rows[0])["TIME_WINDOW"]


# -- files that are not exports, or broken ones --------------------------------------------------

@pytest.mark.parametrize(("content", "words"), [
    ('<?xml version="1.0"?>\n<DEFTABLE>\n<FOLDER FOLDER_NAME="F">\n<JOB JOBNAME="A" CMDLINE="x"', "line 4"),
    ('{"jobs": []}', "this is JSON, not a Control-M XML export"),  # the Automation API's JSON: said so
    ("<joblist><job><name>x</name></job></joblist>", "does not look like a Control-M export"),
    ('<DEFTABLE xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></DEFTABLE>', "holds no folder"),
    ("", "the file is empty"),
    ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><DEFTABLE><FOLDER '
     'FOLDER_NAME="F"><JOB JOBNAME="&b;"/></FOLDER></DEFTABLE>', "declares an XML entity"),
    ('<?xml version="1.0"?>\n<!DOCTYPE DEFTABLE [\n<!ENTITY % ext SYSTEM "http://example.invalid/x.dtd">\n%ext;\n]>\n'
     '<DEFTABLE/>', "line 3 declares an XML entity"),
])
def test_a_file_that_is_not_a_whole_export_stops_with_a_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  content: str, words: str) -> None:
    path = tmp_path / "export.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=words.replace("(", r"\(")):
        rows_of(path)
    code, _, err = plan_profile(tmp_path, capsys, "controlm", path)
    # Through the CLI, a file recognised as another format is named as that one first (sources/detect.py).
    expected = "looks like a rundeck export, not controlm" if "<joblist>" in content else words
    assert code == 1 and expected in err and "Traceback" not in err


@pytest.mark.parametrize(("doctype", "body", "words"), [
    # An internal entity after the export's comment was planned, its value saved as the command.
    ('<!DOCTYPE DEFTABLE [<!ENTITY cmd "/opt/evil.sh">]>', 'CMDLINE="&cmd;"',
     "line 3 declares an XML entity (<!ENTITY cmd …>)"),
    ('<!DOCTYPE DEFTABLE [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>', "", "line 3 declares an XML entity "
     "(<!ENTITY p …>)"),
    # One read from another file, in element content: "changed while it was read" was said, falsely.
    ('<!DOCTYPE DEFTABLE [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;", "line 3 declares an XML entity "
     "(<!ENTITY x …>)"),
    # No entity, but a default the job's attributes take: a command the file does not show.
    ('<!DOCTYPE DEFTABLE [<!ATTLIST JOB CMDLINE CDATA "/opt/evil.sh">]>', "", "line 3 declares a DTD "
     "(<!DOCTYPE DEFTABLE …>)"),
])
def test_a_dtd_after_the_exports_comment_is_refused_naming_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], doctype: str, body: str, words: str) -> None:
    lines = (REPO / "data" / "examples" / "controlm.xml").read_text(encoding="utf-8").splitlines(keepends=True)
    job_line = next(number for number, line in enumerate(lines) if 'CMDLINE="' in line)
    if body.startswith("CMDLINE"):
        lines[job_line] = re.sub(r'CMDLINE="[^"]*"', body, lines[job_line])
    else:
        lines[job_line] = body + lines[job_line]
    path = tmp_path / "export.xml"
    path.write_text("".join([*lines[:2], doctype + "\n", *lines[2:]]), encoding="utf-8")
    code, _, err = plan_profile(tmp_path, capsys, "controlm", path)
    assert code == 1 and f"{path}: refused: {words}, which no Control-M export has: " in err
    assert "changed while it was read" not in err and "Traceback" not in err


def test_a_doctype_naming_the_dtd_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100")),
                 prolog='<!DOCTYPE DEFTABLE SYSTEM "deftable.dtd">\n')
    assert rows_of(path)[0]["schedule"] == "0 0 1 * * ? *"


def test_an_element_that_is_not_a_folder_is_its_own_error(tmp_path: Path) -> None:
    flows = flows_of(write(tmp_path, element("CALENDAR", {"NAME": "X"}), folder("F", job("A", DAYS="ALL",
                                                                                        TIMEFROM="0100"))))
    assert "MALFORMED_FOLDER" in notes(flows["CALENDAR_1"][0], "__errors__") and flows["F"][0]["__errors__"] == ""


def test_unknown_and_malformed_options_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, folder("F", job("A", DAYS="ALL", TIMEFROM="0100")))
    for options, words in (('{ newday = "0700" }', "unknown"), ('{ new_day = "7am" }', "new_day"),
                           ('{ flow_ids = "F" }', "NAME=VALUE"), ('{ flow_ids = "F=abc" }', "digits")):
        code, _, err = plan_profile(tmp_path, capsys, "controlm", path, source_lines=f"options = {options}")
        assert code == 1 and words in err, (options, err)


# -- a generated export of varied folders, through the reader --------------------------------------

@st.composite
def folder_of(draw: st.DrawFn, index: int) -> tuple[str, dict[str, str]]:
    criteria = draw(criteria_of())
    criteria.setdefault("TIMEFROM", draw(CLOCKS))
    names = [f"J{index}_{n}" for n in range(draw(st.integers(1, 4)))]
    jobs = chain(*names[:1], **criteria) + [
        job(name, cond("IN", f"{names[0]}-OK"), **{k: v for k, v in criteria.items() if k != "TIMEFROM"})
        for name in names[1:]]
    kind = draw(st.sampled_from(["FOLDER", "SCHED_TABLE", "SMART_FOLDER"]))
    made = smart(f"F{index}", *jobs) if kind == "SMART_FOLDER" else folder(f"F{index}", *jobs, tag=kind)
    return made, criteria


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), new_day=st.sampled_from([0, 7 * 60]))
def test_generated_folders_fire_as_control_m_or_say_why_not(tmp_path: Path, data: st.DataObject,
                                                             new_day: int) -> None:
    made = [data.draw(folder_of(index)) for index in range(4)]
    path = write(tmp_path, *(text for text, _ in made))
    flows = flows_of(path, new_day=f"{new_day // 60:02d}{new_day % 60:02d}")
    assert set(flows) == {f"F{i}" for i in range(4)}
    for index, (_, criteria) in enumerate(made):
        rows = flows[f"F{index}"]
        assert [r["upstream"] for r in rows] == [""] + ["1"] * (len(rows) - 1)
        errors = notes(rows[0], "__errors__")
        if errors:
            assert set(errors) <= {"DOM_OR_DOW", "DOM_AND_DOW", "DAY_RULE", "IMPOSSIBLE_DATE", "NEW_DAY",
                                   "UNSUPPORTED_INTERVAL", "TASK_SCHEDULE_DIFFERS"}, errors
            continue
        expected = control_m_fires(criteria, new_day, *WINDOW)
        assert quartz_fires(rows[0]["schedule"], *WINDOW) == expected, (criteria, rows[0]["schedule"])


# -- plan and run --------------------------------------------------------------------------------

def test_plan_of_the_example_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, plan, _ = plan_profile(tmp_path, capsys, "controlm", REPO / "data" / "examples" / "controlm.xml",
                                 source_lines='options = { new_day = "0700" }')
    actions = {action["name"]: action for action in plan["actions"]}
    assert code == 5 and plan["invalid_by_reason"] == {"CALENDAR": 1, "NO_TIME_SCHEDULE": 1}
    assert {name: action.get("freq") for name, action in actions.items() if action["action"] == "valid"} == {
        "FIN-GL-NIGHTLY": "0 30 1 * * ? *", "FIN-RECON": "0 0 7 ? * 2-6 *", "FIN-MONTH-END": "0 0 22 L * ? *",
        "OPS-HOUSEKEEPING": "0 30 23 ? * 2-6 *", "INTEGRATION-POLL": "0 0/15 8-17 ? * 2-6 *"}
    assert actions["FIN-RECON"]["source_key"] == "ctm-prod/FIN-RECON"


def test_run_creates_the_folders_flows_with_their_tasks_relations_and_dependencies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=1)), encoding="utf-8")
    config = profile_run_config(tmp_path / "controlm.toml", "controlm", REPO / "data" / "examples" / "controlm.xml",
                                source_lines='options = { new_day = "0700", flow_ids = "FIN-GL-NIGHTLY=1001" }',
                                extra='[mapping]\nunscheduled = "manual"', run="create_missing = true")
    code, out, _ = run_cli(capsys, "run", str(config), "--json")
    report = json.loads(out)
    assert code == 5 and report["by_status"] == {"created": 6, "invalid": 1}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as database:
        stored = [json.loads(value) for key, value in database.execute("SELECT key, value FROM state")
                  if key.startswith("flow:")]
    flows = {flow["name"]: flow for flow in stored}
    gl = flows["FIN-GL-NIGHTLY"]
    assert [task["cmd"] for task in gl["task_details"].values()] == [
        "/opt/fin/scripts/gl_extract.sh %%$ODATE --full", "/opt/fin/bin/load_gl --schema %%GL_SCHEMA --date %%$ODATE",
        "python3 /opt/fin/reports/trial_balance.py"]
    assert len(gl["graph"]["relations"]) == 2 and gl["graph"]["alertMode"] == 1
    recon = flows["FIN-RECON"]["graph"]
    assert [node["flowId"] for node in recon["flows"]] == ["1001"]
    assert {relation["cycleGap"] for relation in recon["relations"]} == {"W0"}
    assert flows["OPS-REBUILD-INDEX"]["graph"]["type"] == 0  # ordered by hand: a manual flow


# -- what a flow's warnings say once -----------------------------------------------------------------

def plan_of(tmp_path: Path, capsys: pytest.CaptureFixture[str], *folders: str, extra: str = "",
            target: str = 'timezone = "UTC"') -> dict[str, dict[str, Any]]:
    """`migrate plan --json --offline` of an export: each flow's action by name."""
    code, plan, err = plan_profile(tmp_path, capsys, "controlm", write(tmp_path, *folders),
                                   source_lines='options = { new_day = "0700" }', extra=extra, target=target)
    assert code in (3, 5), err
    return {action["name"]: action for action in plan["actions"]}


def warning_codes(action: dict[str, Any]) -> list[str]:
    return [warning["code"] for warning in action.get("warnings", [])]


# What Control-M writes about the export itself, with values as real exports carry them.
EXPORT_BOOKKEEPING = {
    "CREATION_USER": "emuser", "CREATION_DATE": "20250110", "CREATION_TIME": "101500", "CHANGE_USERDAILY": "SYSTEM",
    "CHANGE_USERID": "ops1", "CHANGE_DATE": "20260214", "CHANGE_TIME": "093000", "VERSION_SERIAL": "7",
    "VERSION_HOST": "EMHOST", "LAST_UPLOAD": "20260301101500UTC", "USED_BY_CODE": "1", "PARENT_FOLDER": "F",
    "FOLDER_DSN": "CTM.PROD.SCHEDLIB", "PLATFORM": "UNIX", "REAL_FOLDER_ID": "7", "JOBISN": "12",
    "RULE_BASED_CALENDAR_RELATIONSHIP": "O"}


def test_bookkeeping_of_the_export_is_not_reported_and_a_real_setting_still_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flows = plan_of(tmp_path, capsys,
                    folder("F", job("A", DAYS="ALL", TIMEFROM="0100", **EXPORT_BOOKKEEPING), **EXPORT_BOOKKEEPING),
                    folder("G", job("B", DAYS="ALL", TIMEFROM="0100", SCHEDULING_ENVIRONMENT="LPAR2",
                                    **EXPORT_BOOKKEEPING)))
    assert "ATTRIBUTE_NOT_CARRIED" not in warning_codes(flows["F"])
    (said,) = [w["message"] for w in flows["G"]["warnings"] if w["code"] == "ATTRIBUTE_NOT_CARRIED"]
    assert "SCHEDULING_ENVIRONMENT=LPAR2" in said and not any(name in said for name in EXPORT_BOOKKEEPING)


def test_a_month_restriction_is_said_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    months = {**dict.fromkeys(MONTHS, "0"), "JAN": "1", "AUG": "1"}
    flows = plan_of(tmp_path, capsys, folder("F", job("A", *[cond("OUT", "A-OK")], DAYS="1", TIMEFROM="0800",
                                                      **months),
                                             job("B", cond("IN", "A-OK"), DAYS="1", **months)))
    assert set(parse_quartz(flows["F"]["freq"]).months) == {1, 8}
    assert warning_codes(flows["F"]).count("MONTH_RESTRICTED") == 1


def test_a_job_without_a_time_zone_is_read_in_source_timezone_else_in_the_services(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As a crontab line without CRON_TZ: no TIMEZONE on the job or its folder (Control-M ran it on
    the Control-M/Server's clock) leaves the zone to [mapping] source_timezone, else the service's."""
    export = folder("F", job("A", DAYS="ALL", TIMEFROM="0230"))
    as_written = plan_of(tmp_path, capsys, export)["F"]
    assert as_written["freq"] == "0 30 2 * * ? *" and not [c for c in warning_codes(as_written) if "ZONE" in c]
    named = plan_of(tmp_path, capsys, export, extra='[mapping]\nsource_timezone = "Asia/Tokyo"')["F"]
    assert named["freq"] == "0 30 17 * * ? *" and "TIMEZONE_SHIFTED" in warning_codes(named)
    written = plan_of(tmp_path, capsys, folder("F", job("A", DAYS="ALL", TIMEFROM="0230", TIMEZONE="Asia/Tokyo")),
                      extra='[mapping]\nsource_timezone = "Europe/Paris"')["F"]
    assert written["freq"] == "0 30 17 * * ? *"  # the job's own zone wins over source_timezone


def test_timeto_is_inclusive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cyclic run that falls on TIMETO itself runs (so 08:00 to 09:30 every 30 minutes is four
    runs, one Quartz expression; were TIMETO exclusive, three runs that are not)."""
    flows = plan_of(tmp_path, capsys, folder("F", job("A", DAYS="ALL", TIMEFROM="0800", TIMETO="0930", CYCLIC="1",
                                                      INTERVAL="00030M", CYCLIC_TYPE="C", IND_CYCLIC="T")))
    assert flows["F"]["freq"] == "0 0/30 8-9 * * ? *"


# -- real exports: a sub-folder's out-condition ----------------------------------------------------------

def extract_sub_folder(*more: str) -> str:
    """A SUB_FOLDER as Control-M/EM exports one (a real SMART folder's DataExtract): in-condition from
    the watcher, deleted when it starts; its out-condition posted once, when its three jobs have ended."""
    return element("SUB_FOLDER", {"JOBISN": "10", "JOBNAME": "DataExtract", "TASKTYPE": "Sub-Table", **EVERY_MONTH},
                   cond("IN", "WATCH-TO-DataExtract"), cond("OUT", "WATCH-TO-DataExtract", sign="-"),
                   cond("OUT", "DataExtract-TO-SPARK"),
                   *(job(f"Data Extract {what}") for what in ("SAP", "Inventory", "Warranty")), *more)


def smart_folder_waiting_on(sub_folder: str, *more: str) -> str:
    return smart("AZTEST", job("WATCH", cond("OUT", "WATCH-TO-DataExtract"), DAYS="ALL", TIMEFROM="0100"),
                 job("SPARK", cond("IN", "DataExtract-TO-SPARK"), cond("OUT", "DataExtract-TO-SPARK", sign="-")),
                 sub_folder, *more)


def test_a_sub_folders_out_condition_is_one_poster_not_an_or(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The sub-folder posts DataExtract-TO-SPARK once, when all its jobs have ended: SPARK waits on
    the three of them, as in Control-M, and nothing says the first to end satisfied it."""
    path = write(tmp_path, smart_folder_waiting_on(extract_sub_folder()))
    rows = rows_of(path, new_day="0700")
    assert [(r["task_name"], r["upstream"]) for r in rows] == [
        ("WATCH", ""), ("SPARK", "3,4,5"), ("Data Extract SAP", "1"), ("Data Extract Inventory", "1"),
        ("Data Extract Warranty", "1")]
    code, planned, err = plan_profile(tmp_path, capsys, "controlm", path, source_lines='options = { new_day = "0700" }',
                                      extra='[mapping]\nunscheduled = "manual"')
    assert code == 3, err
    assert "CONDITION_OR" not in planned["warnings_by_code"]


def test_a_sub_folder_and_a_job_posting_one_condition_are_two_posters(tmp_path: Path) -> None:
    backfill = job("BACKFILL", cond("OUT", "DataExtract-TO-SPARK"), DAYS="ALL", TIMEFROM="0100")
    rows = one(tmp_path, smart_folder_waiting_on(extract_sub_folder(), backfill), new_day="0700")
    said = notes(rows[0])["CONDITION_OR"]
    assert "DataExtract-TO-SPARK, which job SPARK waits on, is posted by BACKFILL, sub-folder DataExtract (the first " \
           "to end satisfied it in Control-M)" in said
    assert rows[1]["task_name"] == "SPARK" and rows[1]["upstream"] == "3,4,5,6"


def test_an_or_among_ands_is_said_as_written(tmp_path: Path) -> None:
    """`Y1-OK and Y2-OK or Y3-OK` was said "Y1-OK or Y2-OK or Y3-OK (any one of them)": Y1-OK alone
    never released the job (found by a reviewer)."""
    rows = one(tmp_path, folder(
        "F", *(job(f"Y{n}", cond("OUT", f"Y{n}-OK"), DAYS="ALL", TIMEFROM="0100") for n in (1, 2, 3)),
        job("Y5", cond("IN", "Y1-OK"), cond("IN", "Y2-OK"), cond("IN", "Y3-OK", and_or="O"))))
    said = notes(rows[0])["CONDITION_OR"]
    assert "Y5 waits on Y1-OK and Y2-OK or Y3-OK in Control-M" in said and "any one" not in said, said


def test_a_condition_deleted_as_the_other_one_a_job_waits_on_comes_refuses_the_folder(tmp_path: Path) -> None:
    """A2 waits on C, deletes it and posts A2-OK as it ends; A3 waits on C and A2-OK: both never
    stand at once, Control-M never started A3, and the flow ran it every day, with no word (found by
    a reviewer). A job waiting on C alone (A4) is named: it started only if it found C in time."""
    a1 = job("A1", cond("OUT", "C"), DAYS="ALL", TIMEFROM="1000")
    a2 = job("A2", cond("IN", "C"), cond("OUT", "C", sign="-"), cond("OUT", "A2-OK"))
    a3 = job("A3", cond("IN", "C"), cond("IN", "A2-OK"))
    rows = one(tmp_path, folder("RACE", a1, a2, a3))
    assert "never started A3" in notes(rows[0], "__errors__").get("CONDITION_DELETED", ""), rows[0]
    rows = one(tmp_path, folder("RACE", a1, a2, job("A4", cond("IN", "C"))))
    said = notes(rows[0]).get("CONDITION_DELETED", "")
    assert "job A2 deletes C, which job A4 waits on too" in said, rows[0]
    rows = one(tmp_path, folder("CHAIN", *chain("X", "Y", "Z", DAYS="ALL", TIMEFROM="0100")))  # the common reset
    assert "CONDITION_DELETED" not in notes(rows[0]), rows[0]
    # A3 needing either (OR), or A2 deleting another date's C: A3 ran in Control-M, named, not refused
    either = job("A3", cond("IN", "C"), cond("IN", "A2-OK", and_or="O"))
    other_date = job("A2", cond("IN", "C"), cond("OUT", "C", odate="PREV", sign="-"), cond("OUT", "A2-OK"))
    for jobs in ((a1, a2, either), (a1, other_date, a3)):
        rows = one(tmp_path, folder("RACE", *jobs))
        assert "CONDITION_DELETED" not in notes(rows[0], "__errors__"), rows[0]
        assert "which job A3 waits on too" in notes(rows[0])["CONDITION_DELETED"], rows[0]


def test_an_ok_action_on_failure_says_the_jobs_after_it_ran(tmp_path: Path) -> None:
    """DOACTION ACTION=OK on NOTOK: Control-M set the failed job Ended OK and the next one ran; the
    flow stops after a failed task, which the generic ON_DO did not say (found by a reviewer)."""
    on_failure = element("ON", {"STMT": "*", "CODE": "NOTOK"}, element("DOACTION", {"ACTION": "OK"}))
    rows = one(tmp_path, folder("F", job("H1", on_failure, cond("OUT", "H1-OK"), DAYS="ALL", TIMEFROM="0100"),
                                job("H2", cond("IN", "H1-OK"))))
    assert "Control-M set the job Ended OK and the jobs after it ran" in notes(rows[0])["ON_DO"], rows[0]


def test_a_windows_scripts_arguments_are_quoted_as_cmd_reads_them(tmp_path: Path) -> None:
    """MEMLIB C:\\scripts: `'a b'` was two arguments to a batch file (cmd.exe takes no single quotes)."""
    parms = "".join(element("VARIABLE", {"NAME": f"%%PARM{n}", "VALUE": value})
                    for n, value in ((1, "a b"), (2, ""), (3, "c")))
    windows = job("J3", parms, MEMLIB="C:\\scripts", MEMNAME="run.bat", CMDLINE=None, TASKTYPE="Job",
                  DAYS="ALL", TIMEFROM="0100")
    unix = job("J4", parms, MEMLIB="/opt/scripts", MEMNAME="run.sh", CMDLINE=None, TASKTYPE="Job",
               DAYS="ALL", TIMEFROM="0100")
    by_variable = job("J5", parms, MEMLIB="%%SCRIPTS", MEMNAME="run.cmd", CMDLINE=None, TASKTYPE="Job",
                      DAYS="ALL", TIMEFROM="0100")
    flows = flows_of(write(tmp_path, folder("W", windows), folder("U", unix), folder("V", by_variable)))
    assert flows["W"][0]["command"] == 'C:\\scripts\\run.bat "a b" "" c', flows["W"][0]["command"]
    assert flows["V"][0]["command"].endswith('run.cmd "a b" "" c'), flows["V"][0]["command"]
    assert flows["U"][0]["command"] == "/opt/scripts/run.sh 'a b' '' c", flows["U"][0]["command"]
