"""The taskxml profile on Windows Task Scheduler XML in its real shapes: `schtasks /query /xml`
output (UTF-16 with a byte-order mark, a `<Tasks>` root, each task after its `<!-- \\Folder\\Name -->`
comment), Export-ScheduledTask files, a copy of C:\\Windows\\System32\\Tasks (files without a
suffix), and files that are none of these.

No Task Scheduler runs here, so the trigger converter (migrate/schedule/taskxml.py) is checked
against an evaluator of the task schema's documented meaning (`task_scheduler_fires` below),
itself checked on the examples of Microsoft's schema pages."""

from __future__ import annotations

import calendar
import itertools
import json
import sqlite3
import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, base_state, plan_profile, profile_run_config, run_cli, standard_cells
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Rejection
from migrate.schedule.taskxml import DAY_NAMES, MONTHS, Trigger, convert_trigger, duration_minutes
from migrate.sources.profiles import registry
from migrate.sources.readers import SourceError

EXAMPLE = REPO / "data" / "examples" / "taskxml.xml"
NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
NOW = datetime(2025, 1, 1)


# -- an evaluator of the schema's documented meaning ---------------------------------------------------

def _runs_on(trigger: Trigger, day: date) -> bool:
    months = {MONTHS.index(m) + 1 for m in trigger.months} or set(range(1, 13))
    last = calendar.monthrange(day.year, day.month)[1]
    weekday = DAY_NAMES[day.weekday()]
    if trigger.kind == "TimeTrigger":  # once, on its start (a repetition goes on from there)
        return day == trigger.start.date()
    if trigger.kind == "ScheduleByDay":
        return (day - trigger.start.date()).days % trigger.interval == 0
    if trigger.kind == "ScheduleByWeek":
        week = ((day - trigger.start.date()).days + (trigger.start.weekday() + 1) % 7) // 7  # weeks from Sunday
        return weekday in trigger.days_of_week and week % trigger.interval == 0
    if day.month not in months:
        return False
    if trigger.kind == "ScheduleByMonth":
        return str(day.day) in trigger.days_of_month or ("Last" in trigger.days_of_month and day.day == last)
    # ScheduleByMonthDayOfWeek: week n is days 7n-6 .. 7n, Last the month's last seven days
    return weekday in trigger.days_of_week and (str((day.day - 1) // 7 + 1) in trigger.weeks
                                                or ("Last" in trigger.weeks and day.day > last - 7))


def task_scheduler_fires(trigger: Trigger, days: int) -> list[datetime]:
    """Each day the trigger runs on: its start time, and with a repetition every interval from it
    until the duration ends (its end excluded; indefinitely: on and on)."""
    horizon = trigger.start + timedelta(days=days)
    fires: set[datetime] = set()
    for offset in range(days):
        day = trigger.start.date() + timedelta(days=offset)
        if not _runs_on(trigger, day):
            continue
        first = datetime.combine(day, trigger.start.time())
        if not trigger.repeat_every:
            fires.add(first)
            continue
        every = timedelta(minutes=duration_minutes(trigger.repeat_every, "interval"))
        until = first + timedelta(minutes=duration_minutes(trigger.repeat_for, "duration")) if trigger.repeat_for \
            else horizon
        count = -(-(until - first) // every)  # the runs before the duration ends
        fires.update(first + k * every for k in range(count))
    return sorted(f for f in fires if trigger.start <= f < horizon)


def quartz_fires(freq: str, start: datetime, days: int) -> list[datetime]:
    horizon = start + timedelta(days=days)
    times = parse_quartz(freq).fire_times(start - timedelta(seconds=1))
    return list(itertools.takewhile(lambda t: t < horizon, times))


# Microsoft's examples (taskschedulerschema-*-element pages) and what a flow makes of them.
DOCUMENTED = [
    (Trigger("ScheduleByDay", datetime(2005, 1, 1, 8, 0)), "0 0 8 * * ? *"),  # every day at 8:00
    (Trigger("ScheduleByWeek", datetime(2005, 1, 1, 8, 0), 1, days_of_week=("Monday",)), "0 0 8 ? * 2 *"),
    (Trigger("ScheduleByMonth", datetime(2005, 1, 1, 8, 0), days_of_month=("1", "15"), months=MONTHS),
     "0 0 8 1,15 * ? *"),
    (Trigger("ScheduleByMonthDayOfWeek", datetime(2005, 1, 1, 8, 0), weeks=("1",), days_of_week=("Monday",),
             months=MONTHS), "0 0 8 ? * 2#1 *"),  # Monday of the first week of every month
    (Trigger("ScheduleByMonthDayOfWeek", datetime(2024, 1, 1, 9, 0), weeks=("Last",), days_of_week=("Friday",),
             months=MONTHS), "0 0 9 ? * 6L *"),
    # ComputerManagementDsc's weekly example: Monday, Wednesday, Saturday, every 15 minutes for 8 hours
    (Trigger("ScheduleByWeek", datetime(2024, 1, 1, 0, 0), 1, days_of_week=("Monday", "Wednesday", "Saturday"),
             repeat_every="PT15M", repeat_for="PT8H"), "0 0/15 0-7 ? * 2,4,7 *"),
    (Trigger("ScheduleByMonth", datetime(2024, 1, 31, 23, 0), days_of_month=("Last",), months=("March", "June")),
     "0 0 23 L 3,6 ? *"),
    (Trigger("ScheduleByDay", datetime(2024, 6, 1, 0, 5), repeat_every="PT15M"), "0 5/15 * * * ? *"),
    # every day at 20:00, every hour for 12 hours: past midnight, each morning's runs are the evening before's
    (Trigger("ScheduleByDay", datetime(2024, 1, 1, 20, 0), repeat_every="PT1H", repeat_for="PT12H"),
     "0 0 0-7,20-23 * * ? *"),
    # every 7 days from a Wednesday is every Wednesday; the 31st and the last day are the last day
    (Trigger("ScheduleByDay", datetime(2024, 1, 3, 6, 30), 7), "0 30 6 ? * 4 *"),
    (Trigger("ScheduleByMonth", datetime(2024, 1, 1, 8, 0), days_of_month=("31", "Last"), months=MONTHS),
     "0 0 8 L * ? *"),
    (Trigger("TimeTrigger", datetime(2024, 6, 1, 0, 5), repeat_every="PT30M"), "0 5/30 * * * ? *"),
]


@pytest.mark.parametrize(("trigger", "freq"), DOCUMENTED, ids=[f"{t.kind}-{f}" for t, f in DOCUMENTED])
def test_the_documented_triggers(trigger: Trigger, freq: str) -> None:
    assert convert_trigger(trigger, NOW).freq == freq
    assert quartz_fires(freq, trigger.start, 400) == task_scheduler_fires(trigger, 400)


@pytest.mark.parametrize(("trigger", "code"), [
    (Trigger("ScheduleByDay", datetime(2024, 1, 1, 8, 0), 2), "UNSUPPORTED_INTERVAL"),  # every other day drifts
    (Trigger("ScheduleByWeek", datetime(2024, 1, 1, 8, 0), 2, days_of_week=("Monday",)), "UNSUPPORTED_INTERVAL"),
    (Trigger("ScheduleByMonthDayOfWeek", datetime(2024, 1, 1, 8, 0), weeks=("1", "3"), days_of_week=("Monday",)),
     "NTH_WEEKDAY_LIST"),
    (Trigger("ScheduleByMonth", datetime(2024, 1, 1, 8, 0), days_of_month=("15", "Last")), "UNSUPPORTED_INTERVAL"),
    (Trigger("ScheduleByDay", datetime(2024, 1, 1, 8, 0), repeat_every="PT7M"), "UNSUPPORTED_INTERVAL"),
    (Trigger("ScheduleByDay", datetime(2024, 1, 1, 8, 0), repeat_every="PT30S"), "SUB_MINUTE"),
    (Trigger("TimeTrigger", datetime(2024, 1, 1, 8, 0), repeat_every="PT1H", repeat_for="PT8H"),
     "UNSUPPORTED_INTERVAL"),
    (Trigger("TimeTrigger", datetime(2024, 1, 1, 8, 0)), "IMPOSSIBLE_DATE"),  # once, in the past
])
def test_triggers_a_flow_cannot_fire_are_refused_by_code(trigger: Trigger, code: str) -> None:
    with pytest.raises(Rejection) as caught:
        convert_trigger(trigger, NOW)
    assert caught.value.code == code


def test_a_one_time_trigger_ahead_fires_once() -> None:
    converted = convert_trigger(Trigger("TimeTrigger", datetime(2031, 3, 4, 5, 6)), NOW)
    assert converted.freq == "0 6 5 4 3 ? 2031" and "ONE_TIME" in [w.code for w in converted.warnings]


_start = st.builds(datetime, st.just(2025), st.integers(1, 12), st.integers(1, 28), st.integers(0, 23),
                   st.sampled_from([0, 5, 30, 45]))
_repetition = st.one_of(st.just(("", "")), st.tuples(
    st.sampled_from(["PT5M", "PT10M", "PT15M", "PT20M", "PT30M", "PT1H", "PT90M", "PT2H", "PT3H", "PT7M"]),
    st.sampled_from(["", "PT30M", "PT1H", "PT2H", "PT8H", "PT12H", "P1D"])))


@st.composite
def triggers(draw: st.DrawFn) -> Trigger:
    kind = draw(st.sampled_from(["ScheduleByDay", "ScheduleByWeek", "ScheduleByMonth", "ScheduleByMonthDayOfWeek"]))
    every, lasting = draw(_repetition)
    return Trigger(
        kind, draw(_start), draw(st.sampled_from([1, 1, 1, 2])),
        days_of_week=tuple(draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=3, unique=True))),
        days_of_month=tuple(draw(st.lists(st.sampled_from([*map(str, range(1, 32)), "Last"]), min_size=1,
                                          max_size=3, unique=True))),
        weeks=tuple(draw(st.lists(st.sampled_from(["1", "2", "3", "4", "Last"]), min_size=1, max_size=2,
                                  unique=True))),
        months=tuple(draw(st.lists(st.sampled_from(MONTHS), max_size=4, unique=True))),
        repeat_every=every, repeat_for=lasting)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(triggers())
def test_converted_triggers_fire_as_task_scheduler_documents(trigger: Trigger) -> None:
    """Over 400 days from the trigger's start, the flow fires exactly when the task would; a
    refusal names a code for something a single Quartz schedule cannot say."""
    try:
        converted = convert_trigger(trigger, NOW)
    except Rejection as rejection:
        assert rejection.code in ("UNSUPPORTED_INTERVAL", "NTH_WEEKDAY_LIST", "IMPOSSIBLE_DATE"), rejection
        return
    assert quartz_fires(converted.freq, trigger.start, 400) == task_scheduler_fires(trigger, 400), converted.freq


# -- the profile -------------------------------------------------------------------------------------

def flows_of(path: Path, encoding: str = "utf-8-sig") -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in registry()["taskxml"].read(SourceSettings(path=path, profile="taskxml", encoding=encoding)):
        cells = standard_cells(row)
        flow = found.setdefault(cells["flow"], {**cells, "tasks": []})
        flow["tasks"].append((cells["task_id"], cells["upstream"], cells["command"]))
    return found


def codes(cells: str) -> list[str]:
    return [entry["code"] for entry in json.loads(cells)] if cells else []


def messages(cells: str) -> str:
    return " ".join(entry["message"] for entry in json.loads(cells)) if cells else ""


def task_xml(triggers: str, settings: str = "<Enabled>true</Enabled>", uri: str = "",
             actions: str = "<Exec><Command>C:\\jobs\\run.cmd</Command></Exec>", principal: str = "") -> str:
    registration = f"<RegistrationInfo><URI>{uri}</URI></RegistrationInfo>" if uri else ""
    return textwrap.dedent(f"""\
        <?xml version="1.0" encoding="UTF-16"?>
        <Task version="1.4" xmlns="{NAMESPACE}">
          {registration}
          <Triggers>{triggers}</Triggers>
          <Principals><Principal id="Author">{principal}</Principal></Principals>
          <Settings>{settings}</Settings>
          <Actions Context="Author">{actions}</Actions>
        </Task>
        """)


DAILY = "<CalendarTrigger><StartBoundary>2024-03-01T06:00:00</StartBoundary><ScheduleByDay><DaysInterval>1" \
        "</DaysInterval></ScheduleByDay></CalendarTrigger>"


def test_the_schtasks_query_xml_example_in_utf16() -> None:
    assert EXAMPLE.read_bytes()[:2] == b"\xff\xfe"  # as schtasks /query /xml > file writes it
    flows = flows_of(EXAMPLE)
    assert list(flows) == ["\\Backups\\Nightly", "\\Reports\\Weekly sales", "\\Ops\\Month end close",
                           "\\Ops\\First Monday patch check", "\\Ops\\Queue poll", "\\Ops\\Cache warm-up at boot",
                           "\\Legacy\\Old export"]
    nightly = flows["\\Backups\\Nightly"]
    assert nightly["flow_name"] == "Backups_Nightly" and nightly["schedule"] == "0 30 2 * * ? *"
    assert nightly["tasks"] == [("1", "", '"C:\\Program Files\\Backup\\robocopy-wrapper.exe" D:\\Data '
                                         "\\\\nas01\\backup /MIR /LOG:C:\\logs\\backup.log")]
    assert nightly["desc"] == "Nightly backup of D:\\Data to the NAS" and nightly["start_date"] == "2024-03-12"
    assert nightly["owners"] == "CORP\\svc-backup" and nightly["timezone"] == ""
    assert codes(nightly["__warnings__"]) == ["TASK_SETTING", "HOST_TIMEZONE", "WORKING_DIRECTORY", "RUN_AS"]
    assert "StartWhenAvailable=true" in messages(nightly["__warnings__"])
    assert "RunLevel HighestAvailable, LogonType Password" in messages(nightly["__warnings__"])
    weekly = flows["\\Reports\\Weekly sales"]  # +08:00 in its StartBoundary; two Exec actions in a row
    assert weekly["schedule"] == "0 0 18 ? * 2,5 *" and weekly["timezone"] == "Etc/GMT-8"
    assert weekly["tasks"] == [("1", "", "powershell.exe -NoProfile -File C:\\reports\\sales.ps1 -Week current"),
                               ("2", "1", "C:\\reports\\mail-report.cmd")]
    assert flows["\\Ops\\Month end close"]["schedule"] == "0 0 23 L * ? *"
    assert "END_DATE" in codes(flows["\\Ops\\Month end close"]["__warnings__"])
    assert flows["\\Ops\\First Monday patch check"]["schedule"] == "0 0 9 ? * 2#1 *"
    assert flows["\\Ops\\Queue poll"]["schedule"] == "0 5/15 * * * ? *"
    boot = flows["\\Ops\\Cache warm-up at boot"]
    assert boot["schedule"] == "" and "start-up" in boot["unscheduled"] and boot["__errors__"] == ""
    old = flows["\\Legacy\\Old export"]
    assert old["active"] == "0" and codes(old["__warnings__"]) == ["SOURCE_DISABLED", "HOST_TIMEZONE"]


def test_schtasks_query_xml_without_one_concatenates_documents_and_each_is_a_task(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`schtasks /query /xml` without `ONE` writes each task as an XML document of its own, one
    after the other (each with its declaration): not one XML document. Every task is read, named by
    its URI, or by the comment before it, or by its place in the file."""
    named = task_xml(DAILY, uri="\\Backup\\Nightly")
    commented = task_xml(DAILY.replace("06:00", "07:15")).replace("<Task ", "<!-- \\Reports\\Daily -->\n<Task ", 1)
    nameless = task_xml(DAILY.replace("06:00", "08:45"))
    path = tmp_path / "all-tasks.xml"
    path.write_bytes(b"\xff\xfe" + "\r\n\r\n".join((named, commented, nameless)).replace("\n", "\r\n").encode(
        "utf-16-le"))
    code, inventory, err = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"',
                                        extra='[mapping]\nsource_timezone = "UTC"')
    assert code == 3, err
    freqs = {action["source_key"]: action["freq"] for action in inventory["actions"]}
    assert freqs == {"\\Backup\\Nightly": "0 0 6 * * ? *", "\\Reports\\Daily": "0 15 7 * * ? *",
                     "\\all-tasks task 3": "0 45 8 * * ? *"}, freqs


def test_an_export_scheduledtask_file_in_utf8_takes_its_name_from_the_uri(tmp_path: Path) -> None:
    path = tmp_path / "nightly.xml"
    path.write_text(task_xml(DAILY, uri="\\Team A\\Load warehouse").replace('encoding="UTF-16"', 'encoding="UTF-8"'),
                    encoding="utf-8")
    flows = flows_of(path)
    assert list(flows) == ["\\Team A\\Load warehouse"] and flows["\\Team A\\Load warehouse"]["flow_name"] == \
        "Team_A_Load_warehouse"


def test_a_copy_of_the_tasks_folder(tmp_path: Path) -> None:
    (tmp_path / "Tasks" / "Finance").mkdir(parents=True)
    (tmp_path / "Tasks" / "Finance" / "Close books").write_bytes(task_xml(DAILY).encode("utf-16"))
    (tmp_path / "Tasks" / "desktop.ini").write_bytes(b"[.ShellClassInfo]\r\n")
    flows = flows_of(tmp_path / "Tasks")
    assert list(flows) == ["\\Finance\\Close books"] and flows["\\Finance\\Close books"]["schedule"] == "0 0 6 * * ? *"


def test_triggers_agree_or_are_refused_and_disabled_ones_are_named(tmp_path: Path) -> None:
    weekly = ("<CalendarTrigger><StartBoundary>2024-03-01T06:00:00</StartBoundary><ScheduleByWeek><DaysOfWeek>"
              "<Monday /></DaysOfWeek><WeeksInterval>1</WeeksInterval></ScheduleByWeek></CalendarTrigger>")
    off = DAILY.replace("<StartBoundary>", "<Enabled>false</Enabled><StartBoundary>")
    logon = "<LogonTrigger><Enabled>true</Enabled><UserId>CORP\\ops</UserId></LogonTrigger>"
    cases = {"same": DAILY + DAILY, "different": DAILY + weekly, "disabled": off + weekly, "logon": DAILY + logon,
             "all off": off, "offset": DAILY.replace("06:00:00", "06:00:00+05:30"),
             "ended": DAILY.replace("</StartBoundary>", "</StartBoundary><EndBoundary>2020-01-01T00:00:00"
                                                        "</EndBoundary>"),
             "utc": DAILY.replace("06:00:00", "06:00:00Z"), "bad date": DAILY.replace("2024-03-01", "2024-02-30")}
    body = "".join(f"<!-- \\T\\{name} -->" + task_xml(xml).split("\n", 1)[1] for name, xml in cases.items())
    path = tmp_path / "tasks.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-16"?>\n<Tasks>{body}</Tasks>', encoding="utf-16")
    flows = {key.removeprefix("\\T\\"): flow for key, flow in flows_of(path).items()}
    assert flows["same"]["schedule"] == "0 0 6 * * ? *" and flows["same"]["__errors__"] == ""
    assert codes(flows["different"]["__errors__"]) == ["MULTIPLE_TRIGGERS"]
    assert flows["disabled"]["schedule"] == "0 0 6 ? * 2 *"
    assert codes(flows["disabled"]["__warnings__"]) == ["TRIGGER_DISABLED", "HOST_TIMEZONE"]
    # a log-on start beside a daily one: the daily schedule carried, the log-on start named
    assert flows["logon"]["schedule"] == "0 0 6 * * ? *" and flows["logon"]["__errors__"] == ""
    assert "NO_TIME_TRIGGER" in codes(flows["logon"]["__warnings__"]) and "at log on" in messages(
        flows["logon"]["__warnings__"])
    assert flows["all off"]["unscheduled"] and flows["all off"]["schedule"] == ""
    assert codes(flows["offset"]["__errors__"]) == ["UNKNOWN_TIMEZONE"]
    assert flows["ended"]["active"] == "0" and "END_DATE" in codes(flows["ended"]["__warnings__"])
    assert flows["utc"]["timezone"] == "UTC"
    assert codes(flows["bad date"]["__errors__"]) == ["INVALID_DATE"]


def test_actions_that_are_not_commands(tmp_path: Path) -> None:
    mail = ("<SendEmail><Server>smtp</Server><To>ops@example.com</To></SendEmail>"
            "<ComHandler><ClassId>{00000000-0000-0000-0000-000000000000}</ClassId></ComHandler>")
    path = tmp_path / "mail.xml"
    path.write_text(task_xml(DAILY, actions=mail, uri="\\Mail"), encoding="utf-8")
    flow = flows_of(path)["\\Mail"]
    assert codes(flow["__errors__"]) == ["EMPTY_COMMAND"]
    assert codes(flow["__warnings__"]).count("ACTION_NOT_CARRIED") == 2


@pytest.mark.parametrize(("content", "expected"), [
    ('<?xml version="1.0"?><joblist><job><name>x</name></job></joblist>', "looks like a rundeck export, not taskxml"),
    ("<Task><Triggers>", "cannot parse it as XML"),
    ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><Task>&b;</Task>', "refused"),
    # an in-file DTD without entities: an attribute default the file does not show (found by a reviewer)
    ('<?xml version="1.0"?>\n<!DOCTYPE Task [<!ATTLIST Task version CDATA "1.2">]>\n<Task><Triggers/></Task>',
     "line 2 declares a DTD"),
    ("<Tasks></Tasks>", "holds no <Task>"),
])
def test_files_that_are_not_task_exports_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     content: str, expected: str) -> None:
    path = tmp_path / "export.xml"
    path.write_text(content, encoding="utf-8")
    code, _, err = plan_profile(tmp_path, capsys, "taskxml", path)
    assert code == 1 and expected in err and "Traceback" not in err


def test_a_crontab_is_not_a_task_export() -> None:
    with pytest.raises(SourceError, match="does not look like a Windows Task Scheduler XML export"):
        flows_of(REPO / "data" / "examples" / "jobs.cron")


# -- through the CLI ---------------------------------------------------------------------------------

def test_plan_of_the_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan_profile(tmp_path, capsys, "taskxml", EXAMPLE, target='timezone = "Asia/Shanghai"')
    assert code == 5 and inventory["flows_found"] == 7 and inventory["convertible"] == 6
    assert inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 1}
    assert inventory["warnings_by_code"]["SOURCE_DISABLED"] == 1


def test_run_saves_the_tasks_with_their_actions_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "taskxml", EXAMPLE, run="create_missing = true",
                                target='timezone = "Asia/Shanghai"')
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 5 and report["by_status"] == {"created": 6, "invalid": 1}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = {flow["name"]: flow for flow in (json.loads(value) for (value,) in db.execute(
            "SELECT value FROM state WHERE key LIKE 'flow:%'"))}
    weekly = stored["Reports_Weekly_sales"]
    assert weekly["graph"]["freq"] == "0 0 18 ? * 2,5 *"  # +08:00 is Shanghai's clock: no shift
    assert len(weekly["graph"]["relations"]) == 1
    assert stored["Legacy_Old_export"]["active"] == 0


# -- the review's findings: Windows' own tasks, one-byte code pages, the machine's zone -------------------

def tasks_export(tasks: dict[str, str]) -> str:
    """`schtasks /query /xml` of several tasks: each after its `<!-- \\Folder\\Name -->` comment."""
    body = "".join(f"<!-- {name} -->\n" + task_xml(xml).split("\n", 1)[1] for name, xml in tasks.items())
    return f'<?xml version="1.0" encoding="UTF-16"?>\n<Tasks>\n{body}</Tasks>\n'


BUILTIN = {
    "\\Microsoft\\Windows\\Defrag\\ScheduledDefrag": DAILY,
    "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan": DAILY.replace("06:00", "03:10"),
    "Microsoft\\Windows\\Diagnosis\\Scheduled": DAILY.replace("06:00", "04:20"),  # as a script's URI writes it
    "\\Microsoft\\Windows\\WindowsUpdate\\Scheduled Start": DAILY.replace("06:00", "05:30"),
}


def test_windows_own_tasks_are_skipped_with_one_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An export of everything holds Windows' own tasks: they are counted in one warning, not
    planned as flows, unless include_builtin asks for them."""
    path = tmp_path / "all-tasks.xml"
    path.write_text(tasks_export({**BUILTIN, "\\Finance\\Close books": DAILY}), encoding="utf-16")
    code, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, source_lines="",
                                    extra='[mapping]\nsource_timezone = "UTC"', target='timezone = "UTC"')
    assert code == 3 and planned["flows_found"] == 1
    assert [a["source_key"] for a in planned["actions"]] == ["\\Finance\\Close books"]
    assert planned["warnings_by_code"]["BUILTIN_TASKS_SKIPPED"] == 1
    code, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path,
                                    source_lines="options = { include_builtin = true }",
                                    extra='[mapping]\nsource_timezone = "UTC"', target='timezone = "UTC"')
    assert code == 3 and planned["flows_found"] == 5 and "BUILTIN_TASKS_SKIPPED" not in planned["warnings_by_code"]

    only_builtin = tmp_path / "builtin.xml"
    only_builtin.write_text(tasks_export(BUILTIN), encoding="utf-16")
    code, _, err = plan_profile(tmp_path, capsys, "taskxml", only_builtin)
    assert code == 1 and "only Windows' own tasks (4 under" in err and "include_builtin = true" in err
    code, _, err = plan_profile(tmp_path, capsys, "taskxml", path, source_lines="options = { include_builtin = 1 }")
    assert code == 1 and "include_builtin = 1 is not true or false" in err


def test_a_file_in_an_oem_code_page_names_the_guess_and_the_re_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`schtasks /query /xml > tasks.xml` in cmd.exe on a Western European machine: the
    declaration says UTF-16, the bytes are code page 850 (é is 0x82)."""
    export = tasks_export({"\\Compta\\Clôture mensuelle": DAILY}).replace(
        "<Triggers>", "<RegistrationInfo><Description>états financiers</Description></RegistrationInfo><Triggers>")
    path = tmp_path / "tasks.xml"
    path.write_bytes(export.replace("\n", "\r\n").encode("cp850"))
    code, _, err = plan_profile(tmp_path, capsys, "taskxml", path)
    assert code == 1 and "Traceback" not in err
    assert "OEM code page" in err and 'encoding = "cp850"' in err and "Clôture mensuelle" in err  # read as guessed
    assert "Export-ScheduledTask" in err and "Out-File -Encoding utf8" in err and "/query /xml > file" in err

    code, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, source_lines='encoding = "cp850"',
                                    extra='[mapping]\nsource_timezone = "Europe/Paris"',
                                    target='timezone = "Europe/Paris"')
    assert code == 3 and [a["name"] for a in planned["actions"]] == ["Compta_Clôture_mensuelle"]


def test_a_file_in_an_ansi_code_page_says_so_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The message said "its bytes are one a character".
    path = tmp_path / "task.xml"
    path.write_bytes(task_xml(DAILY, uri="\\Compta\\Clôture").replace('encoding="UTF-16"', 'encoding="UTF-8"')
                     .encode("cp1252"))
    code, _, err = plan_profile(tmp_path, capsys, "taskxml", path)
    assert code == 1 and "it is not UTF-8 either, and each character is one byte: a Windows ANSI code page" in err
    assert 'encoding = "cp1252"' in err and "one a character" not in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_cut_at_an_odd_byte_looks_truncated(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         encoding: str) -> None:
    # It was told it was in a Windows ANSI code page, and to set [source] encoding = "cp1252".
    path = tmp_path / "tasks.xml"
    data = tasks_export({"\\Finance\\Close books": DAILY}).encode(encoding)
    path.write_bytes(data[:len(data) // 2 * 2 - 101])
    code, _, err = plan_profile(tmp_path, capsys, "taskxml", path)
    assert code == 1 and "UTF-16 text cut in the middle of a character" in err and "looks truncated" in err
    assert "code page" not in err and "Traceback" not in err


def test_an_entity_is_refused_in_words_naming_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # defusedxml's own words were printed: "refused: EntitiesForbidden: EntitiesForbidden(name='a', ...)".
    document = task_xml(DAILY, uri="\\A")
    bomb = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE Task [\n  <!ENTITY a "aaaa">\n  <!ENTITY b "&a;&a;">\n'
            ']>\n<Task>&b;</Task>\n')
    path = tmp_path / "tasks.xml"
    path.write_text(document + bomb, encoding="utf-16")  # the second document of schtasks /query /xml
    code, _, err = plan_profile(tmp_path, capsys, "taskxml", path)
    line = document.count("\n") + 3
    assert code == 1 and f"{path}: refused: line {line} declares an XML entity (<!ENTITY a …>), which Task " \
                         "Scheduler never writes" in err and "Forbidden" not in err


def test_a_start_without_an_offset_says_the_machines_zone_is_assumed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tasks.xml"
    path.write_text(tasks_export({"\\Local": DAILY, "\\Utc": DAILY.replace("06:00:00", "06:00:30Z")}),
                    encoding="utf-16")
    code, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"')
    assert code == 3 and planned["warnings_by_code"]["HOST_TIMEZONE"] == 1
    freqs = {a["source_key"]: a["freq"] for a in planned["actions"]}
    assert freqs == {"\\Local": "0 0 6 * * ? *", "\\Utc": "30 0 6 * * ? *"}  # the start second is carried


def test_triggers_whose_union_is_one_schedule_are_merged_and_proved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A task run twice a day has two triggers (06:00 and 18:00), one run on Mondays and Thursdays
    two weekly ones: the flow fires at the union of their times, one schedule, proved against the
    triggers as written. A union no single schedule says, or a trigger that begins later, is
    refused: merged, it would fire before the source did."""
    evening = DAILY.replace("06:00:00", "18:00:00")
    monday, thursday = (("<CalendarTrigger><StartBoundary>2024-03-04T02:00:00Z</StartBoundary><ScheduleByWeek>"
                         f"<DaysOfWeek><{day} /></DaysOfWeek><WeeksInterval>1</WeeksInterval></ScheduleByWeek>"
                         "</CalendarTrigger>") for day in ("Monday", "Thursday"))
    path = tmp_path / "tasks.xml"
    path.write_text(tasks_export({
        "\\Twice": DAILY + evening, "\\Two days": monday + thursday,
        "\\Apart": DAILY + DAILY.replace("06:00:00", "18:30:00"),
        "\\Later": DAILY + evening.replace("2024-03-01", "2099-03-01")}), encoding="utf-16")
    code, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"',
                                    extra='[mapping]\nsource_timezone = "UTC"')
    actions = {a["source_key"]: a for a in planned["actions"]}
    assert actions["\\Twice"]["freq"] == "0 0 6,18 * * ? *"
    assert actions["\\Two days"]["freq"] == "0 0 2 ? * 2,5 *"
    for merged in ("\\Twice", "\\Two days"):
        assert actions[merged]["proof"]["verdict"] == "equivalent", actions[merged]["proof"]
        assert "TRIGGERS_MERGED" in [w["code"] for w in actions[merged]["warnings"]]
    refused = {f["source_key"]: f["errors"][0]["message"] for f in planned["invalid_flows"]}
    assert "whose union no single flow schedule says" in refused["\\Apart"]  # 06:00 and 18:30: four times
    # Without a [defaults] startTime, a refused task got "startTime missing" beside its one real reason
    config = tmp_path / "no-start.toml"
    config.write_text("\n".join(["[source]", f'path = "{path}"', 'profile = "taskxml"', "[mapping]",
                                 'source_timezone = "UTC"', "[defaults]", "type = 1", "alertMode = 0", 'doAs = "db"',
                                 'visitors = ""', 'owners = "alice"', "[target]", 'url = "https://apim.example.invalid"',
                                 'user_id = "u1"', 'org_id = "o1"', 'timezone = "UTC"', ""]), encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", str(config), "--json", "--offline")
    invalid = json.loads(out)["invalid_flows"]
    assert code == 5 and invalid and all(len(f["errors"]) == 1 for f in invalid), invalid
    assert "one begins at 2099-03-01T18:00:00, ahead: merged, the flow would fire before it begins" \
        in refused["\\Later"]
    assert code == 5 and planned["warnings_by_code"]["TRIGGERS_MERGED"] == 2


def test_triggers_merge_once_each_has_begun_by_the_instant_not_the_date(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Compared by date with today's UTC date: one starting later today was merged (the flow fired before
    # it began), and one begun an hour ago at +14:00, whose date there is ahead of UTC's, was refused.
    now = datetime.now(UTC).replace(microsecond=0)
    later = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    east = (now - timedelta(hours=1)).astimezone(timezone(timedelta(hours=14)))
    begun = east.strftime("%Y-%m-%dT%H:%M:%S+14:00")
    first = east.replace(year=2024, hour=(east.hour + 3) % 24).strftime("%Y-%m-%dT%H:%M:%S+14:00")  # same minute
    daily = DAILY.replace("2024-03-01T06:00:00", "2024-03-01T06:00:00Z")

    def hourly(start: str) -> str:
        return (f"<TimeTrigger><StartBoundary>{start}</StartBoundary><Repetition><Interval>PT1H</Interval>"
                "</Repetition></TimeTrigger>")

    path = tmp_path / "tasks.xml"
    path.write_text(tasks_export({"\\Later": daily + hourly(later)}), encoding="utf-16")
    code, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"')
    assert code == 5 and planned["invalid_by_reason"] == {"MULTIPLE_TRIGGERS": 1}
    path.write_text(tasks_export({"\\Begun": DAILY.replace("2024-03-01T06:00:00", first)
                                  + DAILY.replace("2024-03-01T06:00:00", begun)}), encoding="utf-16")
    code, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"')
    assert "MULTIPLE_TRIGGERS" not in planned["invalid_by_reason"], planned["invalid_flows"]
    assert "TRIGGERS_MERGED" in planned["warnings_by_code"]


def test_a_trigger_starting_later_in_its_first_day_says_the_flow_fires_earlier_that_day(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every hour from 13:10 on a day ahead: the flow starts that day at midnight, so it fires at 00:10
    … 12:10 as well (the proof said its start date kept it from firing before then)."""
    ahead = (datetime.now() + timedelta(days=40)).date()
    hourly = (f"<TimeTrigger><StartBoundary>{ahead}T13:10:00Z</StartBoundary><Repetition><Interval>PT1H"
              "</Interval></Repetition></TimeTrigger>")
    daily = DAILY.replace("2024-03-01T06:00:00", f"{ahead}T06:00:00Z")  # its first fire is its start: nothing said
    path = tmp_path / "tasks.xml"
    path.write_text(tasks_export({"\\Hourly": hourly, "\\Daily": daily}), encoding="utf-16")
    _, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"')
    actions = {a["source_key"]: a for a in planned["actions"]}
    (said,) = [w["message"] for w in actions["\\Hourly"]["warnings"] if w["code"] == "FIRST_DAY"]
    assert f"the source begins at {ahead} 13:10:00" in said and f"at {ahead} 00:10:00, {ahead} 01:10:00" in said
    assert "and 8 more" in said  # 13 runs before 13:10, five named
    assert actions["\\Hourly"]["proof"]["verdict"] == "unchecked"
    assert "FIRST_DAY" not in [w["code"] for w in actions["\\Daily"].get("warnings", [])]
    # Run once at 05:00 on day D+1 at +14:00, which is 15:00 on day D in UTC: saved with its written day as
    # its start, the flow's one run fell before it, and it never fired (exit 0). It starts on day D now.
    run_at = datetime.combine(ahead, datetime.min.time(), tzinfo=UTC).replace(hour=15)
    east = run_at.astimezone(timezone(timedelta(hours=14)))
    path.write_text(tasks_export({"\\East": f"<TimeTrigger><StartBoundary>{east:%Y-%m-%dT%H:%M:%S}+14:00"
                                              "</StartBoundary></TimeTrigger>"}), encoding="utf-16")
    code, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"')
    (action,) = planned["actions"]
    assert code == 3 and action["freq"] == f"0 0 15 {ahead.day} {ahead.month} ? {ahead.year}", action
    assert action["proof"]["verdict"] == "equivalent" and action["proof"]["fires"] == 1, action["proof"]
    (moved,) = [w for w in action["warnings"] if w["code"] == "START_DATE_SHIFTED"]
    assert moved["from"] == f"{east.date()}" and moved["to"] == f"{ahead}"
    # A start without an offset is in the machine's zone, taken (unknown) as the service's, as its schedule is:
    # read as UTC, a task run once at noon had its one run called early, with advice that would drop it.
    once = f"<TimeTrigger><StartBoundary>{ahead}T12:00:00</StartBoundary></TimeTrigger>"
    path.write_text(tasks_export({"\\Once": once}), encoding="utf-16")
    _, planned, _ = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "Asia/Shanghai"')
    (action,) = planned["actions"]
    assert "FIRST_DAY" not in [w["code"] for w in action["warnings"]] and action["proof"]["verdict"] == "equivalent"


# -- real exports: a StartBoundary set from the clock ------------------------------------------------------

def test_a_start_with_a_fraction_of_a_second_is_taken_at_the_whole_second_and_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Task Scheduler writes a start set from the clock with seven fraction digits (a real
    Export-ScheduledTask: `2015-07-15T20:35:13.2757294`, daily). A flow fires on whole seconds:
    the freq fires at 20:35:13, SUBSECOND_START says so, and the proof reads the start at the
    whole second too: equivalent, not NOT_EQUIVALENT over the same-looking instants."""
    clock_set = ("<CalendarTrigger><StartBoundary>2015-07-15T20:35:13.2757294</StartBoundary><Enabled>true</Enabled>"
                 "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger>")
    zero_fraction = DAILY.replace("06:00:00", "06:00:00.0000000")  # nothing lost: nothing said
    path = tmp_path / "tasks.xml"
    path.write_text(tasks_export({"\\Clock": clock_set, "\\Zero": zero_fraction}), encoding="utf-16")
    code, planned, err = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"')
    assert code == 3, err
    actions = {a["source_key"]: a for a in planned["actions"]}
    clock = actions["\\Clock"]
    assert clock["freq"] == "13 35 20 * * ? *" and clock["proof"]["verdict"] == "equivalent"
    subsecond = [w["message"] for w in clock["warnings"] if w["code"] == "SUBSECOND_START"]
    assert subsecond == ["trigger 1 (CalendarTrigger): StartBoundary 2015-07-15T20:35:13.2757294 fired 0.2757294 s "
                         "after the second; a flow fires on whole seconds: taken at 20:35:13"]
    assert actions["\\Zero"]["proof"]["verdict"] == "equivalent"
    assert planned["warnings_by_code"]["SUBSECOND_START"] == 1


def test_a_one_time_trigger_that_has_passed_leaves_the_others_to_decide(tmp_path: Path) -> None:
    # "Run once now" beside a daily trigger is common: the daily one still starts the task. Beside a
    # start-up trigger only, the task runs only at start-up: unscheduled, not an impossible date.
    passed = "<TimeTrigger><StartBoundary>2020-01-01T03:00:00</StartBoundary><Enabled>true</Enabled></TimeTrigger>"
    boot = "<BootTrigger><Enabled>true</Enabled></BootTrigger>"
    cases = {"daily": passed + DAILY, "boot": boot + passed, "alone": passed}
    body = "".join(f"<!-- \\T\\{name} -->" + task_xml(xml).split("\n", 1)[1] for name, xml in cases.items())
    path = tmp_path / "tasks.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-16"?>\n<Tasks>{body}</Tasks>', encoding="utf-16")
    flows = {key.removeprefix("\\T\\"): flow for key, flow in flows_of(path).items()}
    assert flows["daily"]["schedule"] == "0 0 6 * * ? *" and flows["daily"]["__errors__"] == ""
    assert "TRIGGER_PASSED" in codes(flows["daily"]["__warnings__"])
    assert "2020-01-01T03:00:00" in messages(flows["daily"]["__warnings__"])
    assert flows["boot"]["__errors__"] == "" and flows["boot"]["schedule"] == ""
    assert "at system start-up" in flows["boot"]["unscheduled"]
    assert "TRIGGER_PASSED" in codes(flows["boot"]["__warnings__"])
    assert codes(flows["alone"]["__errors__"]) == ["IMPOSSIBLE_DATE"]


def test_settings_that_change_how_a_task_runs_are_named(tmp_path: Path) -> None:
    path = tmp_path / "task.xml"
    path.write_text(task_xml(DAILY, settings="<Enabled>true</Enabled><AllowHardTerminate>false</AllowHardTerminate>"
                                             "<Priority>4</Priority><Hidden>true</Hidden>", uri="\\Ops\\Sync"),
                    encoding="utf-16")
    (flow,) = flows_of(path, encoding="utf-16").values()
    said = [w["message"] for w in json.loads(flow["__warnings__"]) if w["code"] == "TASK_SETTING"]
    assert len(said) == 1 and "AllowHardTerminate=false" in said[0] and "Priority=4" in said[0], said
    assert "Hidden" not in said[0]  # whether the task shows in the list changes nothing it does


def test_every_other_setting_is_named_whatever_it_is(tmp_path: Path) -> None:
    """MaintenanceSettings (Windows also starts the task in Automatic Maintenance), the network and
    the idle wait a RunOnlyIf… setting names, a remote session's refusal, a setting of a newer
    Windows: each went without a word (only a fixed list was compared). The idle and network
    details of a task that does not wait for them, and the defaults every export writes, say nothing."""
    path = tmp_path / "task.xml"
    path.write_text(task_xml(DAILY, uri="\\Ops\\NetIdle", settings=(
        "<Enabled>true</Enabled><RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>"
        "<NetworkSettings><Name>CorpLAN</Name></NetworkSettings><RunOnlyIfIdle>true</RunOnlyIfIdle>"
        "<IdleSettings><Duration>PT10M</Duration><WaitTimeout>PT1H</WaitTimeout></IdleSettings>"
        "<DisallowStartOnRemoteAppSession>true</DisallowStartOnRemoteAppSession>"
        "<MaintenanceSettings><Period>P1D</Period><Deadline>P2D</Deadline><Exclusive>true</Exclusive>"
        "</MaintenanceSettings><SomeFutureSetting>on</SomeFutureSetting>"
        "<AllowStartOnDemand>true</AllowStartOnDemand><UseUnifiedSchedulingEngine>true</UseUnifiedSchedulingEngine>")),
        encoding="utf-16")
    (flow,) = flows_of(path, encoding="utf-16").values()
    [said] = [w["message"] for w in json.loads(flow["__warnings__"]) if w["code"] == "TASK_SETTING"]
    for named in ("NetworkSettings(Name=CorpLAN)", "IdleSettings(Duration=PT10M, WaitTimeout=PT1H)",
                  "DisallowStartOnRemoteAppSession=true", "MaintenanceSettings(Period=P1D, Deadline=P2D, Exclusive=true)",
                  "SomeFutureSetting=on"):
        assert named in said, (named, said)
    assert "AllowStartOnDemand" not in said and "UseUnifiedSchedulingEngine" not in said
    quiet = tmp_path / "quiet.xml"
    quiet.write_text(task_xml(DAILY, settings="<Enabled>true</Enabled><IdleSettings><StopOnIdleEnd>true</StopOnIdleEnd>"
                                              "<RestartOnIdle>false</RestartOnIdle></IdleSettings>"), encoding="utf-16")
    (flow,) = flows_of(quiet, encoding="utf-16").values()
    assert "TASK_SETTING" not in codes(flow["__warnings__"])


def test_a_broken_task_file_is_said_to_be_broken_not_another_format(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # A real file with `--` inside a comment was "not a Windows Task Scheduler XML export".
    path = tmp_path / "task.xml"
    path.write_text(task_xml(DAILY).replace("<Triggers>", "<!-- weekly -- updates --><Triggers>"), encoding="utf-16")
    code, _, err = plan_profile(tmp_path, capsys, "taskxml", path)
    assert code == 1 and "not well-formed XML" in err and "does not look like" not in err and str(path) in err, err


@pytest.mark.parametrize(("end", "runs_left"), [("T05:59:00+00:00", False), ("T06:00:00+00:00", False),
                                                ("T06:01:00+00:00", True)])
def test_an_end_boundary_before_the_next_run_leaves_no_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           end: str, runs_left: bool) -> None:
    """A yearly 06:00 UTC whose EndBoundary is on the morning of its next run, before 06:00: Task
    Scheduler starts no run at or after it, so it runs no more; it was saved active, END_DATE saying
    "it stays active" (the end was taken as its whole day; found by a reviewer)."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    trigger = ("<CalendarTrigger><StartBoundary>2024-03-01T06:00:00Z</StartBoundary>"
               f"<EndBoundary>{day}{end}</EndBoundary><ScheduleByMonth><DaysOfMonth><Day>{day.day}</Day>"
               f"</DaysOfMonth><Months><{day:%B}/></Months></ScheduleByMonth></CalendarTrigger>")
    path = tmp_path / "task.xml"
    path.write_text(task_xml(trigger), encoding="utf-16")
    code, planned, err = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"')
    [action] = planned["actions"]
    said = [warning["code"] for warning in action.get("warnings", [])]
    assert code == 3 and ("NEVER_RUNS" in said) != runs_left and ("END_DATE" in said) == runs_left, (said, err)


def test_an_end_boundary_earlier_today_has_passed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An EndBoundary with its offset, a minute ago: taken as its day it was still to come, the flow
    saved active, END_DATE saying "it stays active", and the mapping, finding the instant past, said
    nothing more. It has passed: saved inactive."""
    ended = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    trigger = ("<CalendarTrigger><StartBoundary>2024-03-01T06:00:00Z</StartBoundary>"
               f"<EndBoundary>{ended:%Y-%m-%dT%H:%M:%S}Z</EndBoundary><ScheduleByDay><DaysInterval>1</DaysInterval>"
               "</ScheduleByDay></CalendarTrigger>")
    path = tmp_path / "task.xml"
    path.write_text(task_xml(trigger), encoding="utf-16")
    code, planned, err = plan_profile(tmp_path, capsys, "taskxml", path, target='timezone = "UTC"')
    [action] = planned["actions"]
    said = {warning["code"]: warning["message"] for warning in action.get("warnings", [])}
    assert code == 3 and "has passed" in said["END_DATE"] and "saved inactive" in said["END_DATE"], (said, err)
