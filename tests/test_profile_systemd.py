"""The systemd profile and its calendar converter.

The converter (migrate/schedule/systemd.py) is checked against the real thing: `systemd-analyze
calendar --base-time … --iterations …` (systemd 252, Debian's) on every example of systemd.time(7)
and on hypothesis-made events; where the tool is absent those tests are skipped, the documented
examples' conversions still checked by the Quartz evaluator. The profile is read on unit trees
built here in the shapes real hosts have: /etc/systemd/system with its timers.target.wants links,
drop-ins from `systemctl edit`, a host per folder with /etc over /usr/lib, template instances,
`systemctl cat` output, a zip, one .timer file."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import textwrap
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, base_state, plan_profile, profile_run_config, standard_cells
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Rejection
from migrate.schedule.systemd import convert_calendar, merge_calendars, parse_calendar
from migrate.sources.profiles import registry
from migrate.sources.readers import SourceError

EXAMPLE = REPO / "data" / "examples" / "systemd"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed (apt-get install "
                                                           "systemd): the converter's oracle")
BASE = datetime(datetime.now(UTC).year, 1, 1)  # past years are refused: the oracle starts in this one
ELAPSE = re.compile(r"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def systemd_elapses(expression: str, count: int = 12) -> list[datetime] | None:
    """The next `count` times systemd fires the event after BASE (UTC clock), or None when it refuses it."""
    assert ANALYZE is not None
    answer = subprocess.run([ANALYZE, "calendar", f"--base-time={BASE:%Y-%m-%d %H:%M:%S} UTC",
                             f"--iterations={count}", expression], capture_output=True, text=True, check=False,
                            env={**os.environ, "TZ": "UTC", "LC_ALL": "C", "SYSTEMD_COLORS": "0"})
    if answer.returncode != 0:
        return None
    return [datetime.strptime(found, "%Y-%m-%d %H:%M:%S") for found in ELAPSE.findall(answer.stdout)]


def quartz_fires(freq: str, count: int) -> list[datetime]:
    return list(itertools.islice(parse_quartz(freq).fire_times(BASE), count))


def freq_of(expression: str) -> str:
    return convert_calendar(expression).converted.freq


def refusal(expression: str) -> str:
    with pytest.raises(Rejection) as caught:
        convert_calendar(expression)
    return caught.value.code


# -- the converter on systemd.time(7) -------------------------------------------------------------------

# Every calendar example of systemd.time(7) (systemd 252): its normalized form, and what a flow makes of it.
MAN_PAGE = [
    ("Sat,Thu,Mon..Wed,Sat..Sun", "Mon..Thu,Sat,Sun *-*-* 00:00:00", "0 0 0 ? * 1-5,7 *"),
    ("Mon,Sun 12-*-* 2,1:23", "Mon,Sun 2012-*-* 01,02:23:00", "IMPOSSIBLE_DATE"),
    ("Wed *-1", "Wed *-*-01 00:00:00", "DOM_AND_DOW"),
    ("Wed..Wed,Wed *-1", "Wed *-*-01 00:00:00", "DOM_AND_DOW"),
    ("Wed, 17:48", "Wed *-*-* 17:48:00", "0 48 17 ? * 4 *"),
    ("Wed..Sat,Tue 12-10-15 1:2:3", "Tue..Sat 2012-10-15 01:02:03", "DOM_AND_DOW"),
    ("*-*-7 0:0:0", "*-*-07 00:00:00", "0 0 0 7 * ? *"),
    ("10-15", "*-10-15 00:00:00", "0 0 0 15 10 ? *"),
    ("monday *-12-* 17:00", "Mon *-12-* 17:00:00", "0 0 17 ? 12 2 *"),
    ("Mon,Fri *-*-3,1,2 *:30:45", "Mon,Fri *-*-01,02,03 *:30:45", "DOM_AND_DOW"),
    ("12,14,13,12:20,10,30", "*-*-* 12,13,14:10,20,30:00", "0 10-30/10 12-14 * * ? *"),
    ("12..14:10,20,30", "*-*-* 12..14:10,20,30:00", "0 10-30/10 12-14 * * ? *"),
    ("mon,fri *-1/2-1,3 *:30:45", "Mon,Fri *-01/2-01,03 *:30:45", "DOM_AND_DOW"),
    ("03-05 08:05:40", "*-03-05 08:05:40", "40 5 8 5 3 ? *"),
    ("08:05:40", "*-*-* 08:05:40", "40 5 8 * * ? *"),
    ("05:40", "*-*-* 05:40:00", "0 40 5 * * ? *"),
    ("Sat,Sun 12-05 08:05:40", "Sat,Sun *-12-05 08:05:40", "DOM_AND_DOW"),
    ("Sat,Sun 08:05:40", "Sat,Sun *-*-* 08:05:40", "40 5 8 ? * 1/6 *"),
    ("2003-03-05 05:40", "2003-03-05 05:40:00", "IMPOSSIBLE_DATE"),
    ("05:40:23.4200004/3.1700005", "*-*-* 05:40:23.420000/3.170001", "SUB_MINUTE"),
    ("2003-02..04-05", "2003-02..04-05 00:00:00", "IMPOSSIBLE_DATE"),
    ("2003-03-05 05:40 UTC", "2003-03-05 05:40:00 UTC", "IMPOSSIBLE_DATE"),
    ("2003-03-05", "2003-03-05 00:00:00", "IMPOSSIBLE_DATE"),
    ("03-05", "*-03-05 00:00:00", "0 0 0 5 3 ? *"),
    ("hourly", "*-*-* *:00:00", "0 0 * * * ? *"),
    ("daily", "*-*-* 00:00:00", "0 0 0 * * ? *"),
    ("daily UTC", "*-*-* 00:00:00 UTC", "0 0 0 * * ? *"),
    ("monthly", "*-*-01 00:00:00", "0 0 0 1 * ? *"),
    ("weekly", "Mon *-*-* 00:00:00", "0 0 0 ? * 2 *"),
    ("weekly Pacific/Auckland", "Mon *-*-* 00:00:00 Pacific/Auckland", "0 0 0 ? * 2 *"),
    ("yearly", "*-01-01 00:00:00", "0 0 0 1 1 ? *"),
    ("annually", "*-01-01 00:00:00", "0 0 0 1 1 ? *"),
    ("*:2/3", "*-*-* *:02/3:00", "0 2/3 * * * ? *"),
    # the shortcuts' table, the ~ examples and the repetition the issue names
    ("minutely", "*-*-* *:*:00", "0 * * * * ? *"),
    ("quarterly", "*-01,04,07,10-01 00:00:00", "0 0 0 1 1/3 ? *"),
    ("semiannually", "*-01,07-01 00:00:00", "0 0 0 1 1/6 ? *"),
    ("*-02~03", "*-02~03 00:00:00", "0 0 0 L-2 2 ? *"),
    ("Mon *-05~07/1", "Mon *-05~07/1 00:00:00", "0 0 0 ? 5 2L *"),
    ("Thu,Fri 2012-*-1,5 11:12:13", "Thu,Fri 2012-*-01,05 11:12:13", "DOM_AND_DOW"),
    ("*-*-* 02:00:00", "*-*-* 02:00:00", "0 0 2 * * ? *"),
    ("Mon..Fri *-*-* 8:00", "Mon..Fri *-*-* 08:00:00", "0 0 8 ? * 2-6 *"),
    ("*:0/15", "*-*-* *:00/15:00", "0 0/15 * * * ? *"),
]


def zone_of(normalized: str) -> str:
    """The zone a normalized form ends with ("" for none)."""
    found = re.search(r" (UTC|[A-Z][a-z]+/[A-Za-z_]+)$", normalized)
    return found[1] if found else ""


@pytest.mark.parametrize(("expression", "normalized", "expected"), MAN_PAGE, ids=[m[0] for m in MAN_PAGE])
def test_every_example_of_the_man_page(expression: str, normalized: str, expected: str) -> None:
    if " " in expected:
        event = convert_calendar(expression)
        assert event.converted.freq == expected
        assert event.timezone == zone_of(normalized)
    else:
        assert refusal(expression) == expected


def test_a_refusal_lists_the_days_it_names() -> None:
    """Days 1 and 31 are `1/30` in Quartz's canonical form, which reads as neither."""
    with pytest.raises(Rejection) as caught:
        convert_calendar("Mon *-*-1,31 02:00")
    assert "only when it is day 1, 31 of the month" in caught.value.message


@needs_analyze
@pytest.mark.parametrize(("expression", "normalized", "expected"), MAN_PAGE, ids=[m[0] for m in MAN_PAGE])
def test_the_man_page_examples_fire_as_systemd_fires_them(expression: str, normalized: str, expected: str) -> None:
    answer = subprocess.run([str(ANALYZE), "calendar", expression], capture_output=True, text=True, check=False,
                            env={**os.environ, "TZ": "UTC", "LC_ALL": "C"})
    assert f"Normalized form: {normalized}" in answer.stdout
    if " " in expected and not zone_of(normalized):  # a zone of its own: compared in another test
        assert quartz_fires(expected, 12) == systemd_elapses(expression)


def test_weekday_and_date_are_anded_into_the_nth_weekday() -> None:
    assert freq_of("Sat *-*-1..7 18:00") == "0 0 18 ? * 7#1 *"  # the first Saturday
    assert freq_of("Tue *-*-08..14 9:00") == "0 0 9 ? * 3#2 *"
    assert freq_of("Sun *-*-29..31 05:00") == "0 0 5 ? * 1#5 *"  # the fifth Sunday, when the month has one
    assert refusal("Mon,Fri *-*-1..7") == "DOM_AND_DOW"  # Quartz has one d#n
    assert refusal("Mon *-*-1..14") == "DOM_AND_DOW"


@needs_analyze
@pytest.mark.parametrize(("expression", "freq"), [
    ("Sun *-03-25..31 02:30", "0 30 2 ? 3 1L *"),  # the last Sunday of March: a DST night's job
    ("Sun *-03,10-25..31 01:00", "0 0 1 ? 3,10 1L *"),
    ("Fri *-04-24..31 17:00", "0 0 17 ? 4 6L *"),  # day 31 never comes in April
    ("Mon *-04,06,09,11-24..30", "0 0 0 ? 4,6,9,11 2L *")])
def test_the_last_week_of_months_of_one_length_is_the_last_weekday(expression: str, freq: str) -> None:
    """Found by a hunt over DST-night jobs: `Sun *-03-25..31` was refused DOM_AND_DOW, though in
    March days 25 to 31 are the last seven days, as systemd-analyze shows."""
    assert freq_of(expression) == freq
    wanted = systemd_elapses(expression)
    assert wanted is not None and quartz_fires(freq, len(wanted)) == wanted


def test_the_last_week_of_february_or_of_months_of_two_lengths_is_refused() -> None:
    assert freq_of("Sun *-02-22..28") == "0 0 0 ? 2 1#4 *"  # the fourth Sunday, in every year
    assert refusal("Sun *-02-23..29") == "DOM_AND_DOW"  # the last week of a leap year's February only
    assert refusal("Sun *-04,05-25..31") == "DOM_AND_DOW"
    assert refusal("Fri *-*-25..31") == "DOM_AND_DOW"


def test_days_from_the_months_end() -> None:
    assert freq_of("*-*~01 23:00") == "0 0 23 L * ? *"
    assert freq_of("*-*~03") == "0 0 0 L-2 * ? *"
    assert freq_of("Fri *-*~7/1 17:00") == "0 0 17 ? * 6L *"  # the last Friday
    assert freq_of("Fri *-*~1..7 17:00") == "0 0 17 ? * 6L *"
    assert refusal("*-*~1..3") == "LAST_DAYS"
    assert refusal("Fri *-*~1..3") == "DOM_AND_DOW"


def test_what_a_flow_cannot_fire_is_refused_by_code() -> None:
    assert refusal("*-*-* *:*:*") == "SUB_MINUTE"
    assert refusal("*-*-* 02:00:30.5") == "FRACTIONAL_SECONDS"  # Quartz names whole seconds
    assert refusal("*-*-* 02:00:00/20") == "SUB_MINUTE"  # Quartz could: a flow runs at most once a minute
    assert refusal("*-02-30") == "IMPOSSIBLE_DATE"
    assert refusal("*/2:00") == "INVALID_SYNTAX"  # systemd refuses it too
    assert refusal("Fri..Mon") == "INVALID_SYNTAX"
    assert refusal("*-*-* 02:00 Mars/Olympus") == "INVALID_SYNTAX"


def test_a_second_past_the_minute_is_carried_exactly() -> None:
    """Quartz's first field is the second: a timer at 02:00:30 is a flow at 02:00:30, as Windows
    Task XML's StartBoundary seconds are; the Quartz evaluator fires it at that second."""
    assert freq_of("*-*-* 02:00:30") == "30 0 2 * * ? *"
    assert freq_of("*:0/15:30") == "30 0/15 * * * ? *"
    assert freq_of("Mon..Fri 08:05:07.000000") == "7 5 8 ? * 2-6 *"
    fires = quartz_fires(freq_of("*-*-* 02:00:30"), 2)
    assert [(f.hour, f.minute, f.second) for f in fires] == [(2, 0, 30), (2, 0, 30)]


def test_the_zone_is_carried_apart_and_two_digit_years_are_read_as_systemd_does() -> None:
    event = convert_calendar("Mon..Fri 07:00 Europe/Berlin")
    assert (event.converted.freq, event.timezone) == ("0 0 7 ? * 2-6 *", "Europe/Berlin")
    assert convert_calendar("daily utc").timezone == "UTC"
    assert parse_calendar("45-1-1").years is not None and freq_of("45-1-1") == "0 0 0 1 1 ? 2045"


@needs_analyze
def test_a_zone_fires_the_same_instants_as_systemd() -> None:
    event = convert_calendar("Mon..Fri *-*-* 07:30 Asia/Shanghai")
    zone = ZoneInfo(event.timezone)
    walls = itertools.islice(parse_quartz(event.converted.freq).fire_times(BASE - timedelta(days=1)), 20)
    instants = [w.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None) for w in walls]
    assert systemd_elapses("Mon..Fri *-*-* 07:30 Asia/Shanghai", 10) == [i for i in instants if i > BASE][:10]


def test_several_calendars_merge_when_their_union_is_one_schedule() -> None:
    def merged(*expressions: str) -> str:
        return merge_calendars([convert_calendar(e) for e in expressions]).converted.freq

    assert merged("*-*-* 06:00", "*-*-* 18:00") == "0 0 6,18 * * ? *"
    assert merged("Mon 06:00", "Fri 06:00", "Sat 06:00") == "0 0 6 ? * 2,6,7 *"
    assert merged("*-*-01 03:00", "*-*-15 03:00", "*-*-01 03:00") == "0 0 3 1,15 * ? *"
    with pytest.raises(Rejection) as caught:
        merge_calendars([convert_calendar("Mon 06:00"), convert_calendar("*-*-01 07:00")])
    assert caught.value.code == "MULTIPLE_TRIGGERS" and "Mon 06:00" in caught.value.message
    with pytest.raises(Rejection) as caught:
        merge_calendars([convert_calendar("06:00 UTC"), convert_calendar("18:00 Europe/Berlin")])
    assert caught.value.code == "MULTIPLE_TRIGGERS" and "zones" in caught.value.message


# -- the converter against systemd-analyze, on events hypothesis makes --------------------------------

NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "monday", "FRIDAY", "sunday", "Thursday"]
_weekday_item = st.one_of(st.sampled_from(NAMES), st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)).map(
    lambda t: f"{t[0]}..{t[1]}"))
_weekdays = st.lists(_weekday_item, min_size=1, max_size=3).map(",".join)


def _component(low: int, high: int) -> st.SearchStrategy[str]:
    number = st.integers(low, high)
    return st.one_of(number.map(str), number.map(lambda v: f"{v:02d}"),
                     st.tuples(number, number).map(lambda t: f"{t[0]}..{t[1]}"),
                     st.tuples(number, st.integers(1, 12)).map(lambda t: f"{t[0]}/{t[1]}"),
                     st.tuples(number, number, st.integers(1, 6)).map(lambda t: f"{t[0]}..{t[1]}/{t[2]}"))


def _chain(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(st.just("*"), st.lists(_component(low, high), min_size=1, max_size=3).map(",".join))


_this_year = BASE.year
_years = st.one_of(st.just("*"), st.lists(st.one_of(st.integers(_this_year - 1, _this_year + 12).map(str),
                                                    st.integers(_this_year % 100, _this_year % 100 + 9).map(str)),
                                          min_size=1, max_size=2).map(",".join))
_dates = st.one_of(
    st.tuples(_chain(1, 12), _chain(1, 31)).map(lambda t: f"{t[0]}-{t[1]}"),
    st.tuples(_years, _chain(1, 12), _chain(1, 31)).map(lambda t: f"{t[0]}-{t[1]}-{t[2]}"),
    st.tuples(_years, _chain(1, 12), _chain(1, 28)).map(lambda t: f"{t[0]}-{t[1]}~{t[2]}"),
    st.tuples(_chain(1, 12), _chain(1, 10)).map(lambda t: f"{t[0]}~{t[1]}"))
_seconds = st.sampled_from(["00", "0", "*", "30", "0/30", "05", "0.5", "00.000000"])
_times = st.one_of(st.tuples(_chain(0, 23), _chain(0, 59)).map(lambda t: f"{t[0]}:{t[1]}"),
                   st.tuples(_chain(0, 23), _chain(0, 59), _seconds).map(lambda t: f"{t[0]}:{t[1]}:{t[2]}"))
EVENTS = st.tuples(st.one_of(st.none(), _weekdays), st.one_of(st.none(), _dates), st.one_of(st.none(), _times)).map(
    lambda parts: " ".join(p for p in parts if p)).filter(bool)


@needs_analyze
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(EVENTS)
def test_converted_events_fire_exactly_when_systemd_fires_them(expression: str) -> None:
    """What systemd refuses is INVALID_SYNTAX here and the other way round; a converted event fires
    at systemd's next twelve elapses, no more and no fewer; a refusal for a reason other than
    syntax is of an event systemd accepts (a past or impossible date: one systemd never fires)."""
    wanted = systemd_elapses(expression)
    try:
        event = convert_calendar(expression)
    except Rejection as rejection:
        assert (rejection.code == "INVALID_SYNTAX") == (wanted is None), (expression, rejection, wanted)
        if rejection.code == "IMPOSSIBLE_DATE":  # never again: none left since yesterday (a zone's slack)
            assert wanted is not None and all(w < datetime.now(UTC).replace(tzinfo=None) for w in wanted), wanted
        return
    assert wanted is not None, (expression, event)
    assert quartz_fires(event.converted.freq, len(wanted) or 1) == wanted, (expression, event.converted.freq)


# -- unit trees as hosts have them -----------------------------------------------------------------------

def write_units(root: Path, units: dict[str, str], links: dict[str, str] | None = None) -> Path:
    for name, text in units.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    for name, target in (links or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
    return root


def flows_of(path: Path) -> dict[str, dict[str, Any]]:
    """Flows by key: the first row's cells, with the tasks of every row."""
    found: dict[str, dict[str, Any]] = {}
    for row in registry()["systemd"].read(SourceSettings(path=path, profile="systemd")):
        cells = standard_cells(row)
        flow = found.setdefault(cells["flow"], {**cells, "tasks": []})
        flow["tasks"].append((cells["task_id"], cells["task_name"], cells["upstream"], cells["command"]))
    return found


def codes(cells: str) -> list[str]:
    return [entry["code"] for entry in json.loads(cells)] if cells else []


def messages(cells: str) -> str:
    return " ".join(entry["message"] for entry in json.loads(cells)) if cells else ""


def test_the_example_export() -> None:
    flows = flows_of(EXAMPLE)
    assert set(flows) == {"backup.timer", "cleanup.timer", "heartbeat.timer", "month-end.timer",
                          "old-export.timer", "report.timer"}
    backup = flows["backup.timer"]
    assert backup["schedule"] == "0 30 2 * * ? *" and backup["active"] == "1" and backup["timezone"] == ""
    assert backup["tasks"] == [
        ("1", "backup_pre1", "", "/usr/local/bin/check-free-space /var/backups 10G"),
        ("2", "backup", "1", '/usr/local/bin/backup.sh --full --target "${BACKUP_TARGET}"')]  # one word, as systemd
    assert json.loads(backup["params"]) == [{"key": "BACKUP_TARGET", "value": "s3://corp-backups/srv"},
                                            {"key": "RETENTION_DAYS", "value": "14"}]
    assert codes(backup["__warnings__"]) == ["HOST_TIMEZONE", "PERSISTENT", "RANDOMIZED_DELAY", "RUN_AS",
                                             "WORKING_DIRECTORY", "UNIT_DEPENDENCY"]
    assert "User=backup" in messages(backup["__warnings__"])
    assert backup["desc"] == "Nightly backup of /srv to the object store"
    report = flows["report.timer"]  # Unit= names a service of another name; the zone is UTC
    assert report["schedule"] == "0 0 7 ? * 2-6 *" and report["timezone"] == "UTC"
    assert report["tasks"][0][3] == "/opt/reports/bin/sales --yesterday --mail finance@example.com"
    cleanup = flows["cleanup.timer"]  # two OnCalendar= lines, one schedule; the drop-in's ExecStart= wins
    assert cleanup["schedule"] == "0 0 6,18 * * ? *" and "CALENDARS_MERGED" in codes(cleanup["__warnings__"])
    assert [t[3] for t in cleanup["tasks"]] == ["/usr/bin/find /var/tmp/app /var/tmp/uploads -mtime +2 -delete"]
    assert flows["month-end.timer"]["schedule"] == "0 0 23 L * ? *"
    heartbeat = flows["heartbeat.timer"]
    assert heartbeat["schedule"] == "" and "OnBootSec=5min, OnUnitActiveSec=15min" in heartbeat["unscheduled"]
    old = flows["old-export.timer"]  # not linked from timers.target.wants
    assert old["active"] == "0" and codes(old["__warnings__"]) == ["HOST_TIMEZONE", "SOURCE_DISABLED"]


HOSTS = {
    "web01/etc/systemd/system/logrotate.timer": """
        [Timer]
        OnCalendar=daily
        AccuracySec=12h
        """,
    "web01/usr/lib/systemd/system/logrotate.timer": """
        [Timer]
        OnCalendar=hourly
        """,
    "web01/usr/lib/systemd/system/logrotate.service": """
        [Unit]
        Description=Rotate log files
        ConditionACPower=true

        [Service]
        Type=oneshot
        ExecStart=/usr/sbin/logrotate /etc/logrotate.conf
        Nice=19
        IOSchedulingClass=best-effort
        """,
    "web01/etc/systemd/system/logrotate.service.d/override.conf": """
        [Service]
        Environment=LOGROTATE_DEBUG=0
        """,
    "db01/etc/systemd/system/logrotate.timer": """
        ; a comment in the other style
        [Timer]
        OnCalendar=Sun *-*-* 03:00:00 Europe/Berlin
        """,
    "db01/etc/systemd/system/logrotate.service": """
        [Service]
        ExecStart=/usr/sbin/logrotate -f /etc/logrotate.conf
        """,
}


def test_a_host_per_folder_with_etc_over_usr_lib_and_drop_ins(tmp_path: Path) -> None:
    flows = flows_of(write_units(tmp_path, HOSTS))
    assert set(flows) == {"web01/logrotate.timer", "db01/logrotate.timer"}
    web, db = flows["web01/logrotate.timer"], flows["db01/logrotate.timer"]
    assert web["flow_name"] == "web01_logrotate" and web["schedule"] == "0 0 0 * * ? *"  # /etc's daily, not hourly
    assert json.loads(web["params"]) == [{"key": "LOGROTATE_DEBUG", "value": "0"}]
    assert web["desc"] == "Rotate log files"
    assert {"ACCURACY", "SERVICE_SETTING", "UNIT_SETTING", "ENABLED_UNKNOWN"} <= set(codes(web["__warnings__"]))
    assert "Nice=19, IOSchedulingClass=best-effort" in messages(web["__warnings__"])
    assert db["schedule"] == "0 0 3 ? * 1 *" and db["timezone"] == "Europe/Berlin"


def test_list_settings_reset_and_commands_with_prefixes_and_specifiers(tmp_path: Path) -> None:
    root = write_units(tmp_path, {
        "sync.timer": """
            [Timer]
            OnCalendar=*:0/30
            OnCalendar=
            OnCalendar=*-*-* 01:15
            WakeSystem=true
            RemainAfterElapse=no
            DB_PASSWORD=S3cretF3 oops
            """,
        "sync.service": """
            [Service]
            Type=oneshot
            ExecStartPre=-/usr/bin/mkdir -p /srv/sync
            ExecStart=/usr/local/bin/sync --home %h\\
            # a comment line inside a continued value is skipped
                --verbose
            ExecStart=+/usr/local/bin/notify %n
            ExecStartPost=/usr/bin/logger "sync done"
            Environment="API_TOKEN=abc 123" DB_PASSWORD=hunter2
            EnvironmentFile=-/etc/default/sync
            ExecStop=/usr/bin/true
            PassEnvironment=DB_PASSWORD HOME
            SetCredential=dbpass:s3cret-literal
            SetCredential=apikey:an0ther-literal
            """,
        "nocommand.timer": "[Timer]\nOnCalendar=hourly\n",
        "nocommand.service": "[Service]\nType=oneshot\n",
        "orphan.timer": "[Timer]\nOnCalendar=hourly\n",
        "broken.timer": "[Timer]\nOnCalendar=Mon..Fri 25:00\nthis line has no equals sign\n",
        "broken.service": "[Service]\nExecStart=/bin/true\n",
    })
    flows = flows_of(root)
    sync = flows["sync.timer"]
    assert sync["schedule"] == "0 15 1 * * ? *"  # the empty OnCalendar= reset the list
    assert sync["tasks"] == [
        ("1", "sync_pre1", "", "/usr/bin/mkdir -p /srv/sync || true"),  # its failure ignored, as systemd did
        ("2", "sync", "1", "/usr/local/bin/sync --home %h --verbose"),  # no blank before the \\
        ("3", "sync_2", "2", "/usr/local/bin/notify sync.service"),
        ("4", "sync_post1", "3", "/usr/bin/logger 'sync done'")]  # one argument, quoted for the shell
    warned = codes(sync["__warnings__"])
    for code in ("WAKE_SYSTEM", "TIMER_SETTING", "IGNORE_FAILURE", "EXEC_PREFIX", "SPECIFIER", "ENVIRONMENT_SECRET",
                 "ENVIRONMENT_FILE", "SERVICE_SETTING"):
        assert code in warned, code
    assert {"key": "API_TOKEN", "value": "abc 123"} in json.loads(sync["params"])
    assert "hunter2" not in messages(sync["__warnings__"]) and "API_TOKEN, DB_PASSWORD" in messages(sync["__warnings__"])
    assert "ExecStop=/usr/bin/true" in messages(sync["__warnings__"])
    # a setting systemd does not know, holding a secret: named, its value not written (it was, in the plan and log)
    assert "DB_PASSWORD=(not shown: it looks like a secret)" in messages(sync["__warnings__"])
    assert "S3cretF3" not in json.dumps(sync)
    assert "PassEnvironment=DB_PASSWORD HOME" in messages(sync["__warnings__"])  # names, never values: shown
    # a credential's data is a secret itself: named by its id, never written into a warning (the plan, the log)
    assert "SetCredential= credentials dbpass, apikey (their data withheld)" in messages(sync["__warnings__"])
    assert "s3cret-literal" not in json.dumps(sync) and "an0ther-literal" not in json.dumps(sync)
    assert codes(flows["nocommand.timer"]["__errors__"]) == ["EMPTY_COMMAND"]
    orphan = flows["orphan.timer"]
    assert codes(orphan["__errors__"]) == ["MISSING_SERVICE"] and "orphan.service" in messages(orphan["__errors__"])
    broken = flows["broken.timer"]
    assert codes(broken["__errors__"]) == ["INVALID_SYNTAX"] and "Mon..Fri 25:00" in messages(broken["__errors__"])
    assert "MALFORMED_LINE" in codes(broken["__warnings__"]) and "line 3" in messages(broken["__warnings__"])


def test_enablement_links_masks_and_template_instances(tmp_path: Path) -> None:
    root = write_units(tmp_path, {
        "backup@.timer": "[Timer]\nOnCalendar=*-*-* 04:00\n",
        "backup@.service": "[Service]\nExecStart=/usr/local/bin/backup --volume %i --path %I\n",
        "backup@srv-data.timer.d/later.conf": "[Timer]\nOnCalendar=\nOnCalendar=*-*-* 05:00\n",
        "report@.timer": "[Timer]\nOnCalendar=daily\n",
        "report@.service": "[Service]\nExecStart=/bin/report %i\n",
        "fstrim.timer": "[Timer]\nOnCalendar=weekly\n",
        "fstrim.service": "[Service]\nExecStart=/sbin/fstrim -av\n",
        "idle.timer": "[Timer]\nOnCalendar=daily\n",
        "idle.service": "[Service]\nExecStart=/bin/true\n",
    }, links={
        "timers.target.wants/backup@home.timer": "/etc/systemd/system/backup@.timer",
        "timers.target.wants/backup@srv-data.timer": "/etc/systemd/system/backup@.timer",
        "timers.target.wants/fstrim.timer": "/lib/systemd/system/fstrim.timer",
        "fstrim.timer.bak": "/dev/null",
        "motd-news.timer": "/dev/null",
    })
    (root / "fstrim.timer").unlink()
    (root / "fstrim.timer").symlink_to("/dev/null")  # systemctl mask fstrim.timer, and a unit copy below it
    (root / "lib/systemd/system").mkdir(parents=True)
    (root / "lib/systemd/system/fstrim.timer").write_text("[Timer]\nOnCalendar=weekly\n", encoding="utf-8")
    flows = flows_of(root)
    home, data = flows["backup@home.timer"], flows["backup@srv-data.timer"]
    assert home["flow_name"] == "backup_home" and home["active"] == "1" and home["schedule"] == "0 0 4 * * ? *"
    assert home["tasks"][0][3] == "/usr/local/bin/backup --volume home --path home"
    assert data["schedule"] == "0 0 5 * * ? *"  # the instance's own drop-in
    assert data["tasks"][0][3] == "/usr/local/bin/backup --volume srv-data --path srv/data"
    assert codes(flows["report@.timer"]["__errors__"]) == ["TEMPLATE_UNIT"]
    assert flows["fstrim.timer"]["active"] == "0" and "masked" in messages(flows["fstrim.timer"]["__warnings__"])
    assert flows["idle.timer"]["active"] == "0"  # the export has wants links, and none to it
    assert codes(flows["motd-news.timer"]["__errors__"]) == ["MASKED"]  # masked, with no unit file left


def test_more_than_one_execstart_is_refused_unless_oneshot(tmp_path: Path) -> None:
    """systemd refuses a service of several ExecStart= commands but of Type=oneshot: a drop-in that
    adds one without resetting the list made a flow running both, where the host ran neither."""
    root = write_units(tmp_path, {
        **{f"{name}.timer": "[Timer]\nOnCalendar=*-*-* 06:00\n" for name in ("report", "twice", "steps", "reset")},
        "report.service": "[Service]\nExecStart=/usr/bin/report --all\n",
        "report.service.d/override.conf": "[Service]\nExecStart=/usr/bin/report --all --mail\n",
        "twice.service": "[Service]\nType=forking\nExecStart=/opt/a\nExecStart=/opt/b\n",
        "steps.service": "[Service]\nType=oneshot\nExecStart=/opt/a\nExecStart=/opt/b\n",
        "reset.service": "[Service]\nExecStart=/usr/bin/report --all\n",
        "reset.service.d/override.conf": "[Service]\nExecStart=\nExecStart=/usr/bin/report --all --mail\n",
    })
    flows = flows_of(root)
    for name, kind in (("report", "simple (the default)"), ("twice", "forking")):
        said = messages(flows[f"{name}.timer"]["__errors__"])
        assert codes(flows[f"{name}.timer"]["__errors__"]) == ["INVALID_COMMAND"], said
        assert "2 ExecStart= commands" in said and f"Type={kind} service" in said, said
    assert [task[3] for task in flows["steps.timer"]["tasks"]] == ["/opt/a", "/opt/b"]  # oneshot: in turn
    assert flows["reset.timer"]["__errors__"] == ""
    assert [task[3] for task in flows["reset.timer"]["tasks"]] == ["/usr/bin/report --all --mail"]


def test_drop_ins_of_a_name_prefix_and_of_the_unit_type_are_read_as_systemd_reads_them(tmp_path: Path) -> None:
    """systemd reads `a-b-.service.d/`, `a-.service.d/` (239 on) and `service.d/` (246 on) for
    `a-b-c.service` besides `a-b-c.service.d/`, and its own test (TEST-15-DROPIN, hierarchical
    drop-ins) has the most specific of same-named files win; files of other names apply in name
    order wherever they are, and a folder of higher priority (/etc) wins before specificity. They
    were not read: the flow fired at the unit's own time as its own user."""
    etc, lib = "etc/systemd/system", "usr/lib/systemd/system"
    root = write_units(tmp_path, {
        f"{etc}/a-b-c.timer": "[Timer]\nOnCalendar=*-*-* 22:00\n",
        f"{etc}/a-b-c.service": "[Service]\nExecStart=/opt/job\n",
        f"{etc}/timer.d/50-later.conf": "[Timer]\nOnCalendar=\nOnCalendar=*-*-* 23:30\n",
        # same-named override.conf at every level: the most specific wins
        **{f"{lib}/{folder}/override.conf": f"[Service]\nUser={folder.split('.')[0] or 'typed'}\n"
           for folder in ("service.d", "a-.service.d", "a-b-.service.d", "a-b-c.service.d")},
        f"{etc}/a-.service.d/05-pre.conf": "[Service]\nExecStartPre=/opt/pre\n",
        f"{lib}/service.d/90-post.conf": "[Service]\nExecStartPost=/opt/post\n",
        # /etc's generic one wins over /usr/lib's specific one of the same name
        f"{etc}/a-.service.d/zz.conf": "[Service]\nEnvironment=FROM=etc-prefix\n",
        f"{lib}/a-b-c.service.d/zz.conf": "[Service]\nEnvironment=FROM=lib-own\n",
        # another unit with no dash: the prefix folders are not its, the type's are
        f"{etc}/solo.timer": "[Timer]\nOnCalendar=*-*-* 01:00\n",
        f"{etc}/solo.service": "[Service]\nExecStart=/opt/solo\n",
    })
    flows = flows_of(root)
    job, solo = flows["a-b-c.timer"], flows["solo.timer"]
    assert job["schedule"] == "0 30 23 * * ? *" and solo["schedule"] == "0 30 23 * * ? *"
    assert [task[3] for task in job["tasks"]] == ["/opt/pre", "/opt/job", "/opt/post"]
    assert [task[3] for task in solo["tasks"]] == ["/opt/solo", "/opt/post"]
    said = messages(job["__warnings__"])
    assert "ran as User=a-b-c" in said and json.loads(job["params"]) == [{"key": "FROM", "value": "etc-prefix"}], said
    assert "a-.service.d/05-pre.conf: a drop-in of every service whose name begins a- (systemd 239" in said
    assert "timer.d/50-later.conf: a drop-in of every timer (systemd 246" in said


def test_a_zip_systemctl_cat_output_and_one_timer_file(tmp_path: Path) -> None:
    archive = tmp_path / "units.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(EXAMPLE.rglob("*")):
            if path.is_symlink():
                info = zipfile.ZipInfo(path.relative_to(EXAMPLE).as_posix())
                info.external_attr = 0o120777 << 16  # a symbolic link, as zip --symlinks stores it
                zipped.writestr(info, os.readlink(path))
            elif path.is_file():
                zipped.write(path, path.relative_to(EXAMPLE).as_posix())
    assert {k: (v["schedule"], v["active"]) for k, v in flows_of(archive).items()} == {
        k: (v["schedule"], v["active"]) for k, v in flows_of(EXAMPLE).items()}

    cat = tmp_path / "systemctl-cat.txt"
    cat.write_text(
        "# /etc/systemd/system/cleanup.timer\n" + (EXAMPLE / "cleanup.timer").read_text(encoding="utf-8")
        + "\n# /lib/systemd/system/cleanup.service\n" + (EXAMPLE / "cleanup.service").read_text(encoding="utf-8")
        + "\n# /etc/systemd/system/cleanup.service.d/override.conf\n"
        + (EXAMPLE / "cleanup.service.d" / "override.conf").read_text(encoding="utf-8"), encoding="utf-8")
    cleanup = flows_of(cat)["cleanup.timer"]
    assert cleanup["schedule"] == "0 0 6,18 * * ? *" and "/var/tmp/uploads" in cleanup["tasks"][0][3]

    only = flows_of(EXAMPLE / "report.timer")
    assert list(only) == ["report.timer"] and only["report.timer"]["active"] == "1"


@pytest.mark.parametrize("content", ["[Service]\nExecStart=/bin/true\n", "just some text\n", ""])
def test_an_export_without_a_timer_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              content: str) -> None:
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "only.service").write_text(content, encoding="utf-8")
    code, _, err = plan_profile(tmp_path, capsys, "systemd", tmp_path / "units")
    assert code == 1 and "this does not look like a systemd timer export (expected" in err
    with pytest.raises(SourceError, match="does not look like a systemd timer export"):
        flows_of(REPO / "data" / "examples" / "jobs.cron")


def test_an_unreadable_zip_and_an_option_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "units.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SourceError, match=r"units\.zip"):
        flows_of(bad)
    with pytest.raises(SourceError, match="takes no options"):
        list(registry()["systemd"].read(SourceSettings(path=EXAMPLE, profile="systemd", options={"system": True})))


# -- through the CLI ------------------------------------------------------------------------------------

def test_plan_of_the_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan_profile(tmp_path, capsys, "systemd", EXAMPLE, target='timezone = "Asia/Shanghai"')
    assert code == 5 and inventory["flows_found"] == 6 and inventory["convertible"] == 5
    assert inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1}
    report = next(a for a in inventory["actions"] if a["source_key"] == "report.timer")
    assert report["freq"] == "0 0 15 ? * 2-6 *"  # 07:00 UTC is 15:00 in Shanghai
    code, inventory, _ = plan_profile(tmp_path, capsys, "systemd", EXAMPLE, extra='[mapping]\nunscheduled = "manual"',
                                      target='timezone = "Asia/Shanghai"')
    assert code == 3 and inventory["convertible"] == 6


def test_a_folder_with_a_masked_unit_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`systemctl mask` links a unit to /dev/null: a copied folder holds the link. The check that
    refuses pipes and devices in a folder (read more than once, a pipe would hang) refused the
    whole export over it, exit 1; it is the unit's state, as in a zip."""
    root = write_units(tmp_path / "units", {
        "apt-daily.service": "[Service]\nExecStart=/usr/lib/apt/apt.systemd.daily\n",
        "report.timer": "[Timer]\nOnCalendar=*-*-* 06:00\n",
        "report.service": "[Service]\nExecStart=/usr/bin/report\n",
    }, links={"apt-daily.timer": "/dev/null", "timers.target.wants/report.timer": "../report.timer"})
    code, inventory, err = plan_profile(tmp_path, capsys, "systemd", root, target='timezone = "UTC"')
    assert code == 5, err  # the masked timer, with no unit file left, is MASKED; the other is saved
    by_key = {a["source_key"]: a for a in inventory["actions"]}
    assert by_key["report.timer"]["action"] == "valid"
    assert [e["code"] for e in by_key["apt-daily.timer"]["errors"]] == ["MASKED"], by_key["apt-daily.timer"]


def test_a_timer_whose_service_is_masked_ran_nothing(tmp_path: Path) -> None:
    """`systemctl mask m1.service` over a unit in /usr/lib: systemd refuses to start it, so its timer
    ran nothing. It was saved active, running the /usr/lib unit's command, without a word: now
    inactive, as a masked timer is; one with no unit file left was MISSING_SERVICE: now MASKED."""
    etc, lib = "etc/systemd/system", "usr/lib/systemd/system"
    root = write_units(tmp_path, {
        f"{lib}/m1.service": "[Service]\nExecStart=/bin/m1\n",
        f"{etc}/m1.timer": "[Timer]\nOnCalendar=*-*-* 03:00:00 UTC\n",
        f"{etc}/m2.timer": "[Timer]\nOnCalendar=*-*-* 04:00:00 UTC\n",
    }, links={f"{etc}/m1.service": "/dev/null", f"{etc}/m2.service": "/dev/null",
              f"{etc}/timers.target.wants/m1.timer": "../m1.timer", f"{etc}/timers.target.wants/m2.timer": "../m2.timer"})
    flows = flows_of(root)
    m1, m2 = flows["m1.timer"], flows["m2.timer"]
    assert m1["active"] == "0" and m1["__errors__"] == "" and [task[3] for task in m1["tasks"]] == ["/bin/m1"]
    assert "m1.service, is masked (linked to /dev/null): systemd refused to start it" in messages(m1["__warnings__"])
    assert m2["active"] == "0" and codes(m2["__errors__"]) == ["MASKED"], m2  # and nothing left to run


def test_run_saves_the_timers_with_their_commands_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "systemd", EXAMPLE, run="create_missing = true",
                                target='timezone = "UTC"')
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 5 and report["by_status"] == {"created": 5, "invalid": 1}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = {flow["name"]: flow for flow in (json.loads(value) for (value,) in db.execute(
            "SELECT value FROM state WHERE key LIKE 'flow:%'"))}
    backup = stored["backup"]
    assert backup["graph"]["freq"] == "0 30 2 * * ? *" and backup["active"] == 1
    assert sorted(task["cmd"] for task in backup["task_details"].values()) == [
        '/usr/local/bin/backup.sh --full --target "${BACKUP_TARGET}"',
        "/usr/local/bin/check-free-space /var/backups 10G"]
    assert stored["old-export"]["active"] == 0


# -- the review's findings: nothing vanishes, names as written, bounded zips, seconds, zones -------------

def test_an_enabled_timer_whose_unit_is_not_in_the_copy_is_a_failing_flow(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`cp -r /etc/systemd/system` leaves out units installed in /usr/lib: the link in
    timers.target.wants says the timer ran, and the plan says it is missing (exit 5)."""
    root = write_units(tmp_path / "etc-systemd-system", {
        "backup.timer": "[Timer]\nOnCalendar=*-*-* 02:00:00 UTC\n",
        "backup.service": "[Service]\nExecStart=/usr/local/bin/backup\n",
    }, links={
        "timers.target.wants/backup.timer": "/etc/systemd/system/backup.timer",
        "timers.target.wants/logrotate.timer": "/usr/lib/systemd/system/logrotate.timer",
        "timers.target.wants/snapshot@home.timer": "/usr/lib/systemd/system/snapshot@.timer",
    })
    code, planned, _ = plan_profile(tmp_path, capsys, "systemd", root, target='timezone = "UTC"')
    assert code == 5 and planned["flows_found"] == 3 and planned["convertible"] == 1
    missing = {flow["source_key"]: flow for flow in planned["invalid_flows"]}
    assert set(missing) == {"logrotate.timer", "snapshot@home.timer"}
    error = missing["logrotate.timer"]["errors"][0]
    assert error["code"] == "MISSING_UNIT"
    assert "timers.target.wants/logrotate.timer -> /usr/lib/systemd/system/logrotate.timer" in error["message"]


def test_a_timer_linked_into_the_folder_whose_file_is_not_in_the_copy_is_a_failing_flow(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A timer linked into /etc/systemd/system (`systemctl link`, or a link into /lib) whose file the
    copy does not hold was passed over without a word: the timer was lost. Found by a fuzzing reviewer."""
    root = write_units(tmp_path / "etc-systemd-system", {
        "backup.timer": "[Timer]\nOnCalendar=*-*-* 02:00:00 UTC\n",
        "backup.service": "[Service]\nExecStart=/usr/local/bin/backup\n",
    }, links={
        "report.timer": "/opt/units/report.timer",
        # the source host's /lib file, which the copy lacks: a file at that path here is another host's
        "apt-daily.timer": str(tmp_path / "lib" / "apt-daily.timer"),
        "logrotate.timer": "/usr/lib/systemd/system/logrotate.timer",
        "timers.target.wants/logrotate.timer": "/usr/lib/systemd/system/logrotate.timer",  # both: one flow
        "old.timer": "/dev/null",
    })
    write_units(tmp_path / "lib", {"apt-daily.timer": "[Timer]\nOnCalendar=*-*-* 6,18:00\n"})
    code, planned, _ = plan_profile(tmp_path, capsys, "systemd", root, target='timezone = "UTC"')
    missing = {flow["source_key"]: flow["errors"][0] for flow in planned["invalid_flows"]}
    assert code == 5 and planned["flows_found"] == 5 and set(missing) == {"report.timer", "logrotate.timer",
                                                                          "old.timer", "apt-daily.timer"}, missing
    assert missing["apt-daily.timer"]["code"] == "MISSING_UNIT"
    assert missing["report.timer"]["code"] == "MISSING_UNIT"
    assert "is a link (report.timer -> /opt/units/report.timer)" in missing["report.timer"]["message"]
    assert "is enabled (timers.target.wants/logrotate.timer" in missing["logrotate.timer"]["message"]
    assert missing["old.timer"]["code"] == "MASKED"


def test_flow_names_keep_letters_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """backup-été and backup-ete were one flow name once (non-ASCII stripped); Save Flow takes any
    name, so both keep theirs. Names that still meet (`:` and `_`) are refused, naming the other."""
    root = write_units(tmp_path / "units", {
        "backup-été.timer": "[Timer]\nOnCalendar=*-*-* 02:00 UTC\n",
        "backup-été.service": "[Service]\nExecStart=/usr/local/bin/backup --summer\n",
        "backup-ete.timer": "[Timer]\nOnCalendar=*-*-* 03:00 UTC\n",
        "backup-ete.service": "[Service]\nExecStart=/usr/local/bin/backup\n",
        "db:nightly.timer": "[Timer]\nOnCalendar=*-*-* 04:00 UTC\n",
        "db:nightly.service": "[Service]\nExecStart=/usr/local/bin/dump\n",
        "db_nightly.timer": "[Timer]\nOnCalendar=*-*-* 05:00 UTC\n",
        "db_nightly.service": "[Service]\nExecStart=/usr/local/bin/dump --full\n",
    })
    code, planned, _ = plan_profile(tmp_path, capsys, "systemd", root, target='timezone = "UTC"')
    assert code == 5
    names = {action["source_key"]: action["name"] for action in planned["actions"]}
    assert names["backup-été.timer"] == "backup-été" and names["backup-ete.timer"] == "backup-ete"
    (collision,) = planned["invalid_flows"]
    assert collision["source_key"] == "db_nightly.timer" and collision["errors"][0]["code"] == "NAME_COLLISION"
    assert "db:nightly.timer" in collision["errors"][0]["message"]


def test_a_zip_is_read_within_bounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A zip bomb (a few kilobytes that inflate to megabytes) is refused before it is inflated,
    naming the member; so is a zip whose unit files together pass the total bound."""
    from migrate.sources.profiles import systemd

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("etc/systemd/system/backup.timer", "[Timer]\nOnCalendar=daily\n")
        zipped.writestr("etc/systemd/system/backup.service", "[Service]\nExecStart=/bin/true\n" + " " * (2 << 20))
    assert bomb.stat().st_size < 20_000
    code, _, err = plan_profile(tmp_path, capsys, "systemd", bomb)
    assert code == 1 and "member etc/systemd/system/backup.service" in err and "refused" in err

    many = tmp_path / "many.zip"
    per_member = systemd.MAX_MEMBER_BYTES - 100
    with zipfile.ZipFile(many, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for number in range(systemd.MAX_ZIP_BYTES // per_member + 1):
            zipped.writestr(f"host{number}/backup.service", "[Service]\n#" + " " * per_member)
    with pytest.raises(SourceError, match=r"many\.zip: member host\d+/backup\.service: the zip's unit files pass"):
        flows_of(many)


def test_a_lying_zip_header_does_not_get_past_the_bound(tmp_path: Path) -> None:
    """A member whose local and central headers say it is small, but whose data inflates past the
    bound, is stopped while it inflates."""
    from migrate.sources.profiles import systemd

    archive = tmp_path / "lying.zip"
    body = b"[Service]\n#" + b" " * (systemd.MAX_MEMBER_BYTES + 10)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("backup.service", body)
    data = bytearray(archive.read_bytes())
    real = len(body).to_bytes(4, "little")
    assert data.count(real) == 2  # the local header's size and the central directory's
    archive.write_bytes(bytes(data).replace(real, (100).to_bytes(4, "little")))
    with pytest.raises(SourceError, match=r"lying\.zip"):
        flows_of(archive)


def test_seconds_and_the_hosts_zone_through_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`OnCalendar=*-*-* 02:00:30` is saved firing at 02:00:30; with no zone in the event the plan
    says the host's zone was assumed (HOST_TIMEZONE), as Kubernetes does for its controller's."""
    root = write_units(tmp_path / "units", {
        "backup.timer": "[Timer]\nOnCalendar=*-*-* 02:00:30\n",
        "backup.service": "[Service]\nExecStart=/usr/local/bin/backup\n",
        "fraction.timer": "[Timer]\nOnCalendar=*-*-* 02:00:30.25 UTC\n",
        "fraction.service": "[Service]\nExecStart=/bin/true\n",
    })
    code, planned, _ = plan_profile(tmp_path, capsys, "systemd", root, target='timezone = "UTC"')
    assert code == 5
    backup = next(action for action in planned["actions"] if action["source_key"] == "backup.timer")
    assert backup["freq"] == "30 0 2 * * ? *"
    assert planned["warnings_by_code"].get("HOST_TIMEZONE") == 1
    (fraction,) = planned["invalid_flows"]
    assert fraction["errors"][0]["code"] == "FRACTIONAL_SECONDS"


def test_two_times_in_one_minute_list_are_fired_as_systemd_does_and_said(tmp_path: Path) -> None:
    # Debian's apt-daily.timer writes `6:00,18:00`: to systemd hour 6, minutes 00 and 18.
    root = write_units(tmp_path / "units", {
        "apt-daily.timer": "[Timer]\nOnCalendar=*-*-* 6:00,18:00\n",
        "apt-daily.service": "[Service]\nExecStart=/usr/lib/apt/apt.systemd.daily update\n",
        "plain.timer": "[Timer]\nOnCalendar=*-*-* 6,18:00\n",
        "plain.service": "[Service]\nExecStart=/bin/true\n"})
    flows = flows_of(root)
    apt, plain = flows["apt-daily.timer"], flows["plain.timer"]
    assert apt["schedule"] == "0 0,18 6 * * ? *" and plain["schedule"] == "0 0 6,18 * * ? *"
    assert "CALENDAR_READING" in codes(apt["__warnings__"]) and "CALENDAR_READING" not in codes(plain["__warnings__"])
    said = messages(apt["__warnings__"])
    assert "06:00 and 06:18" in said and "write 6,18:00" in said, said


def test_a_hidden_folder_of_old_units_is_not_read(tmp_path: Path) -> None:
    """`host1/.old/` holding last year's copies of the units: systemd reads no file or folder whose name
    starts with a dot (hidden_or_backup_file), and neither does the profile (they were more flows)."""
    host = tmp_path / "host1"
    shutil.copytree(EXAMPLE, host, symlinks=True)
    (host / ".old").mkdir()
    for unit in EXAMPLE.glob("*.timer"):
        shutil.copy(unit, host / ".old" / unit.name)
    keys = set(flows_of(host))
    assert keys and not any(".old" in key for key in keys), keys


def test_a_secret_in_a_command_is_withheld_from_every_message_of_its_flow(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """SECRET_IN_COMMAND named no value, but EXEC_PREFIX and IGNORE_FAILURE quoted the command lines,
    passwords and all, into the plan and the result log (found by a reviewer)."""
    root = write_units(tmp_path / "units", {
        "dump.timer": "[Timer]\nOnCalendar=*-*-* 02:00:00 UTC\n",
        "dump.service": """
            [Service]
            Type=oneshot
            ExecStart=+/usr/bin/mysql -uroot -pXsd5aaa -e 'select 1'
            ExecStart=:/usr/bin/curl -u admin:Xsd7bbb https://hc/ping
            ExecStartPost=-/usr/bin/sshpass -p Xsd4ccc ssh host true
            """,
        # a command line systemd cannot read: its error quoted it whole
        "bad.timer": "[Timer]\nOnCalendar=*-*-* 03:00:00 UTC\n",
        "bad.service": "[Service]\nType=oneshot\nExecStart=/usr/bin/mysql -pHunter42xy -e \"select 1\n",
        # a short secret is named, but left in the messages: masked, `root` hid every `root` in them
        "short.timer": "[Timer]\nOnCalendar=*-*-* 04:00:00 UTC\n",
        "short.service": "[Service]\nType=oneshot\nExecStart=-/usr/bin/mysql -uroot -proot -e 'select 1'\n"})
    _, plan, _ = plan_profile(tmp_path, capsys, "systemd", root)
    actions = {a["source_key"]: a for a in plan["actions"]}
    said = json.dumps(actions["dump.timer"])
    assert "EXEC_PREFIX" in said and "IGNORE_FAILURE" in said and "SECRET_IN_COMMAND" in said, said
    assert not any(secret in said for secret in ("Xsd5aaa", "Xsd7bbb", "Xsd4ccc")), said
    assert "[not shown]" in said
    bad = json.dumps(actions["bad.timer"])
    assert "INVALID_COMMAND" in bad and "Hunter42xy" not in bad and "[not shown]" in bad, bad
    short = json.dumps(actions["short.timer"])
    assert "SECRET_IN_COMMAND" in short and "[not shown]" not in short and "-uroot" in short, short


@pytest.mark.timeout(60)
def test_a_long_word_in_a_command_is_read_in_linear_time(tmp_path: Path) -> None:
    """A 1.2 MB word in ExecStart= (a pasted blob) took some 20 s, this 3 MB one minutes: the word was
    built a character at a time. Linear now, a second or two; the suite's timeout is the fence."""
    root = write_units(tmp_path / "units", {
        "blob.timer": "[Timer]\nOnCalendar=*-*-* 02:00:00 UTC\n",
        "blob.service": "[Service]\nExecStart=/opt/run " + "a" * 3_000_000 + " " + "$x" * 200_000 + "\n"})
    [flow] = flows_of(root).values()
    assert flow["tasks"][0][3].startswith("/opt/run " + "a" * 1000)


def test_a_users_units_in_their_home_are_read_as_that_users(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A copy holding a user's units where systemd keeps them, `~/.config/systemd/user` (systemd.unit(5),
    "User Unit Search Path"), beside a host folder: they are that user's timers (`alice/sync.timer`),
    enabled by their own timers.target.wants link; the host folder's ENABLED_UNKNOWN names it, not the
    export (which has alice's link). They were dropped without a word, the hidden folder not read."""
    root = write_units(tmp_path / "copy", {
        "alice/.config/systemd/user/sync.timer": "[Timer]\nOnCalendar=*-*-* 06:00 UTC\n",
        "alice/.config/systemd/user/sync.service": "[Service]\nExecStart=/home/alice/bin/sync.sh\n",
        "alice/.config/systemd/user/idle.timer": "[Timer]\nOnCalendar=*-*-* 07:00 UTC\n",
        "alice/.config/systemd/user/idle.service": "[Service]\nExecStart=/bin/true\n",
        "bob/.local/share/systemd/user/fetch.timer": "[Timer]\nOnCalendar=hourly\n",
        "bob/.local/share/systemd/user/fetch.service": "[Service]\nExecStart=/usr/bin/fetch\n",
        "web01/weekly.timer": "[Timer]\nOnCalendar=Sun *-*-* 05:00:00 UTC\n",
        "web01/weekly.service": "[Service]\nExecStart=/usr/local/bin/weekly.sh\n",
    }, links={"alice/.config/systemd/user/timers.target.wants/sync.timer": "../sync.timer"})
    flows = flows_of(root)
    assert set(flows) == {"alice/sync.timer", "alice/idle.timer", "bob/fetch.timer", "web01/weekly.timer"}
    sync = flows["alice/sync.timer"]
    assert sync["flow_name"] == "alice_sync" and sync["schedule"] == "0 0 6 * * ? *" and sync["active"] == "1"
    assert sync["tasks"][0][3] == "/home/alice/bin/sync.sh"
    assert flows["alice/idle.timer"]["active"] == "0"  # alice's links say it is not enabled
    assert flows["bob/fetch.timer"]["flow_name"] == "bob_fetch"
    weekly = flows["web01/weekly.timer"]
    assert "the export has no *.wants folders for web01," in messages(weekly["__warnings__"]), weekly
    code, planned, _ = plan_profile(tmp_path, capsys, "systemd", root, target='timezone = "UTC"')
    assert code == 3 and {a["source_key"] for a in planned["actions"]} == set(flows), planned.get("invalid_flows")


def test_the_hidden_entries_not_read_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Hidden entries other than a user's unit folders are not read, as systemd reads none, and one
    warning on the export's first flow names them (they went without a word); an export of nothing
    else is refused naming them."""
    host = tmp_path / "host1"
    shutil.copytree(EXAMPLE, host, symlinks=True)
    write_units(host, {".old/backup.timer": "[Timer]\nOnCalendar=daily\n", "alice/.config/autostart/x.desktop": "x\n",
                       "alice/.config/systemd/user/.sync.timer.swp": "x\n"})
    flows = [standard_cells(row) for row in registry()["systemd"].read(SourceSettings(path=host, profile="systemd"))]
    noted = [flow for flow in flows if "HIDDEN_NOT_READ" in codes(flow["__warnings__"])]
    assert len(noted) == 1 and noted[0] is flows[0], [flow["flow"] for flow in noted]
    said = messages(noted[0]["__warnings__"])
    assert ".old, alice/.config/autostart, alice/.config/systemd/user/.sync.timer.swp" in said, said
    only_hidden = write_units(tmp_path / "only", {".old/backup.timer": "[Timer]\nOnCalendar=daily\n"})
    code, _, err = plan_profile(tmp_path, capsys, "systemd", only_hidden)
    assert code == 1 and "does not look like a systemd timer export" in err and ".old" in err, err
