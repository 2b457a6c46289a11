"""The proof (migrate/schedule/proof.py): every flow of every shipped config carries a verdict, a
converter with one rule broken is caught by the proof through `migrate plan`, opted-in
approximations keep their flows with the evidence, and `migrate cron --proof` prints it."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, plan_profile, run_cli

from migrate.schedule import cron as cron_rules
from migrate.schedule.convert import convert, convert_for_service
from migrate.schedule.proof import prove

CONFIGS = sorted((REPO / "configs").glob("*.toml"))
VERDICTS = {"equivalent", "differs", "unchecked", "manual"}


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Conversions and proofs are cached per process: a patched rule must not meet (or leave) a
    cached answer."""
    def clear() -> None:
        for cached in (convert, convert_for_service, cron_rules._expand, prove):
            cached.cache_clear()

    clear()
    yield
    clear()


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_flow_of_every_shipped_config_carries_a_verdict(config: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "configs" / config.name
    copy.parent.mkdir()
    copy.write_text(config.read_text().replace("../data/", f"{REPO / 'data'}/"), encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", str(copy), "--json", "--offline")
    plan = json.loads(out)
    assert code in (3, 5) and plan["actions"]
    for action in plan["actions"]:
        proof = action.get("proof")
        assert proof and proof["verdict"] in VERDICTS, action
        assert proof["verdict"] != "differs", action  # the shipped converters are right
        if proof["verdict"] == "unchecked":
            assert proof["reason"], action  # never a bare "unchecked"
        if proof["verdict"] == "equivalent":
            assert proof["fires"] >= 1 and proof["until"] > proof["from"], action
    shutil.rmtree(tmp_path / "results", ignore_errors=True)


def test_each_native_dialect_is_proved_equivalent_in_the_shipped_examples(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Not only "unchecked": the Vixie, Airflow and Quartz examples are proved instant by instant."""
    for name in ("crontab", "airflow", "dolphinscheduler", "demo"):
        _, out, _ = run_cli(capsys, "plan", str(REPO / "configs" / f"{name}.toml"), "--json", "--offline")
        verdicts = [a["proof"]["verdict"] for a in json.loads(out)["actions"] if a["action"] == "valid"]
        assert verdicts and set(verdicts) <= {"equivalent", "manual"} and "equivalent" in verdicts, (name, verdicts)


CRONTAB = "0 7 * * 1-5 /opt/jobs/report.sh daily\n30 2 * * * /opt/jobs/backup.sh\n"


def test_a_converter_with_one_rule_broken_is_caught_by_the_proof(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 fresh_caches: None) -> None:
    """Vixie ranges lose their last value (1-5 becomes Monday to Thursday): nothing in the
    converter notices, and the saved freq is valid Quartz; the proof, reading the source with
    cronsim, sees Fridays missing and the flow is refused with NOT_EQUIVALENT."""
    def off_by_one(term: str, first: int, end: str | None, step: int, lo: int, hi: int,
                   names: dict[str, int] | None, field: str) -> range:
        last = cron_rules._value(end or "", lo, hi, names, field)
        return range(first, last, step)  # the bug: the end of the range left out

    monkeypatch.setattr(cron_rules, "_vixie_range", off_by_one)
    export = tmp_path / "jobs.cron"
    export.write_text(CRONTAB, encoding="utf-8")
    code, plan, _ = plan_profile(tmp_path, capsys, "crontab", export, 'options = { user = "alice" }')
    assert code == 5
    report = next(a for a in plan["actions"] if "report.sh" in a["source_key"])
    assert report["action"] == "invalid"
    assert [e.get("code") for e in report["errors"]] == ["NOT_EQUIVALENT"]
    proof = report["proof"]
    assert proof["verdict"] == "differs" and proof["saved"] == []
    assert proof["source"] and all(datetime.fromisoformat(t.replace("Z", "+00:00")).weekday() == 4
                                   for t in proof["source"])  # every missing fire is a Friday
    backup = next(a for a in plan["actions"] if "backup.sh" in a["source_key"])  # no range: unharmed
    assert backup["action"] == "valid" and backup["proof"]["verdict"] == "equivalent"
    assert plan["invalid_by_reason"] == {"NOT_EQUIVALENT": 1}


def test_the_same_export_with_the_real_converter_is_equivalent(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               fresh_caches: None) -> None:
    export = tmp_path / "jobs.cron"
    export.write_text(CRONTAB, encoding="utf-8")
    code, plan, _ = plan_profile(tmp_path, capsys, "crontab", export, 'options = { user = "alice" }')
    assert code == 3
    proofs = [a["proof"] for a in plan["actions"]]
    assert [p["verdict"] for p in proofs] == ["equivalent", "equivalent"]
    assert proofs[0]["schedule"] == "0 7 * * 1-5" and proofs[0]["grammar"] == "unix"
    # The horizon starts on the run's day: count the weekdays at 07:00 in it, whatever today is.
    begin, until = (datetime.fromisoformat(proofs[0][k].replace("Z", "+00:00")) for k in ("from", "until"))
    first = begin.replace(hour=7, minute=0, second=0, microsecond=0)
    days = [first + timedelta(days=n) for n in range((until - first).days + 1)]
    assert proofs[0]["fires"] == sum(1 for d in days if d.weekday() < 5 and begin <= d <= until)


def test_an_approximate_shift_that_differs_is_a_warning_with_the_evidence(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "jobs.cron"
    export.write_text("CRON_TZ=Europe/Berlin\n0 9 * * 1-5 /opt/jobs/open.sh\n", encoding="utf-8")
    code, plan, _ = plan_profile(tmp_path, capsys, "crontab", export, 'options = { user = "alice" }',
                                 '[mapping]\ntimezone_shift = "approximate"', 'timezone = "UTC"')
    assert code == 3
    action = plan["actions"][0]
    assert action["action"] == "valid" and action["proof"]["verdict"] == "differs"
    warning = next(w for w in action["warnings"] if w["code"] == "NOT_EQUIVALENT")
    assert "opted-in approximation" in warning["message"] and action["proof"]["source"][0] in warning["message"]
    # Berlin's 09:00 is 07:00 UTC in summer; the freq fires at 08:00 UTC all year
    assert action["proof"]["source"][0].endswith("T07:00:00Z") and action["proof"]["saved"][0].endswith("T08:00:00Z")


def test_a_split_is_proved_by_its_two_flows_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export.csv"
    export.write_text("id,id2,name,schedule,task\n1001,1002,payroll,0 2 1 * 1,500001\n", encoding="utf-8")
    config = tmp_path / "split.toml"
    config.write_text("\n".join([
        "[source]", f'path = "{export}"',
        "[mapping]", 'schedule_dialect = "unix"', 'split_id_column = "id2"',
        "[mapping.fields]", 'id = "id"', 'name = "name"', 'freq = "schedule"',
        "[mapping.tasks]", 'task_id = "task"',
        "[defaults]", "type = 1", "alertMode = 0", 'doAs = "db"', 'visitors = ""', 'owners = "alice"',
        'startTime = "2026-12-01"', "active = 0",
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', ""]), encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", str(config), "--json", "--offline")
    actions = json.loads(out)["actions"]
    assert code == 3 and len(actions) == 2
    assert [a["proof"]["verdict"] for a in actions] == ["equivalent", "equivalent"]
    assert actions[0]["proof"] == actions[1]["proof"]  # the source against both freqs at once


def test_a_manual_flow_carries_the_manual_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "jobs.cron"
    export.write_text("@reboot /opt/jobs/warmup.sh\n", encoding="utf-8")
    code, plan, _ = plan_profile(tmp_path, capsys, "crontab", export, 'options = { user = "alice" }',
                                 '[mapping]\nunscheduled = "manual"')
    assert code == 3 and plan["actions"][0]["proof"] == {"verdict": "manual"}


def test_the_plan_in_markdown_shows_both_schedules_in_words_five_fire_times_and_the_verdict(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "plan", str(REPO / "configs" / "crontab.toml"), "--markdown", "--offline")
    assert code == 5
    section = out.split("## Schedules and their proof", 1)[1]
    row = next(line for line in section.splitlines() if line.startswith("| report.sh"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[1] == "`0 7 * * 1-5` (unix, UTC)" and cells[2] == "At 07:00, Monday through Friday"
    assert cells[3] == "`0 0 15 ? * 2-6 *`" and cells[4] == "At 15:00, Monday through Friday"
    upcoming = cells[5].split("<br>")
    assert len(upcoming) == 5 and all(re.fullmatch(r"\d{4}-\d\d-\d\d 15:00:00", t) for t in upcoming)
    assert min(upcoming) >= "2026-12-01"  # the config's startTime: the service fires nothing before it
    assert re.match(r"\*\*equivalent\*\*: the same 5[0-2][0-9] fire times", cells[6]), cells[6]  # two years of weekdays


def test_cron_proof_prints_the_same_for_one_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "cron", "0 2 * * 1-5", "--dialect", "unix", "--zone", "Asia/Shanghai",
                           "--target-zone", "UTC", "--proof")
    assert code == 0
    assert "old schedule in words: At 02:00, Monday through Friday" in out
    assert "freq in words: At 18:00, Sunday through Thursday" in out
    assert re.search(r"next five fire times \(UTC\): (\S+ 18:00:00(, )?){5}$", out, re.MULTILINE)
    assert "proof: equivalent: the same" in out
    # in the service's zone, as a plan's Markdown shows them (they were UTC instants whatever the zone)
    code, out, _ = run_cli(capsys, "cron", "0 2 * * 1-5", "--dialect", "unix", "--zone", "Asia/Shanghai",
                           "--target-zone", "Asia/Shanghai", "--proof")
    assert re.search(r"next five fire times \(Asia/Shanghai\): (\S+ 02:00:00(, )?){5}$", out, re.MULTILINE), out
    code, out, _ = run_cli(capsys, "cron", "0 9 * * 1-5", "--dialect", "unix", "--zone", "Europe/Berlin",
                           "--target-zone", "UTC", "--approximate", "--proof", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["proof"]["verdict"] == "differs" and len(shown["next_fires"]) == 5


def test_unchecked_is_never_equivalent_where_no_independent_evaluator_exists() -> None:
    begin = datetime(2026, 1, 1, tzinfo=UTC)
    proof = prove("0 5 * * 1", "controlm", "UTC", None, ("0 0 5 ? * 2 *",), "UTC", begin)
    assert proof.verdict == "unchecked"


def _tabular_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[str]) -> list[dict[str, Any]]:
    """A sheet whose `schedule` column is Quartz a profile wrote, with the source beside it."""
    export = tmp_path / "export.csv"
    export.write_text("id,name,schedule,source_schedule,source_grammar,start,task\n" + "\n".join(rows) + "\n",
                      encoding="utf-8")
    config = tmp_path / "grammar.toml"
    config.write_text("\n".join([
        "[source]", f'path = "{export}"',
        "[mapping.fields]", 'id = "id"', 'name = "name"', 'freq = "schedule"',
        "[mapping.tasks]", 'task_id = "task"',
        "[defaults]", "type = 1", "alertMode = 0", 'doAs = "db"', 'visitors = ""', 'owners = "alice"',
        'startTime = "2026-12-01"', "active = 0",
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', 'timezone = "UTC"',
        ""]), encoding="utf-8")
    _, out, _ = run_cli(capsys, "plan", str(config), "--json", "--offline")
    return list(json.loads(out)["actions"])


def test_a_profile_grammar_in_the_source_columns_is_proved_in_that_grammar(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    actions = _tabular_plan(tmp_path, capsys, [
        # robfig ORs `*/2` with Monday (a step above 1 is not a star): odd days AND Mondays, not odd Mondays
        "1001,odd-mondays,0 0 9 1/2 * ? *,0 9 */2 * 1,robfig,,500001",
        "1002,weekdays,0 0 9 ? * 2-6 *,0 9 * * 1-5,robfig,,500002",
        "1003,eb-weekdays,0 0 12 ? * 2-6 *,cron(0 12 ? * MON-FRI *),eventbridge,,500003",
        "1004,eb-rate,0 3/5 * * * ? *,rate(5 minutes),eventbridge,2026-01-01T00:03:00Z,500004",
        "1005,eb-second-tuesday,0 0 8 ? * 3#2 *,cron(0 8 ? * 3#2 *),eventbridge,,500005",
        "1006,timer,0 0 2 * * ? *,*-*-* 02:00:00,systemd,,500006",
    ])
    verdicts = {a["name"]: a["proof"] for a in actions}
    assert verdicts["odd-mondays"]["verdict"] == "differs"
    odd = next(a for a in actions if a["name"] == "odd-mondays")
    assert odd["action"] == "invalid" and odd["errors"][0]["code"] == "NOT_EQUIVALENT"
    for name in ("weekdays", "eb-weekdays", "eb-rate", "eb-second-tuesday"):
        assert verdicts[name]["verdict"] == "equivalent", (name, verdicts[name])
    assert verdicts["timer"]["verdict"] == "equivalent"  # systemd calendar events: schedule/proof_systemd.py


def test_eventbridge_evaluator_reads_the_documented_table() -> None:
    from migrate.schedule.proof_grammars import source_fires

    begin = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 12, 31, tzinfo=UTC)

    def first(expression: str, count: int = 3) -> list[str]:
        fires = source_fires(expression, "eventbridge", "UTC", None, begin, end)
        return [f"{next(fires):%Y-%m-%d %H:%M}" for _ in range(count)]

    # 3W: the weekday nearest the 3rd (2026-01-03 is a Saturday: Friday the 2nd)
    assert first("cron(0 10 3W * ? *)", 2) == ["2026-01-02 10:00", "2026-02-03 10:00"]
    assert first("cron(15 18 L * ? *)", 2) == ["2026-01-31 18:15", "2026-02-28 18:15"]
    assert first("cron(0 8 ? * 2#1 *)", 2) == ["2026-01-05 08:00", "2026-02-02 08:00"]  # first Mondays
    assert first("cron(0/20 9 ? JAN SUN 2026)") == ["2026-01-04 09:00", "2026-01-04 09:20", "2026-01-04 09:40"]
    # dL, as AWS's example `6L` (the last Friday of the month), and a range around the field's end (AWS's
    # example hours 20-2): read by this evaluator, not taken from the converter
    assert first("cron(15 10 ? * 6L 2026)", 2) == ["2026-01-30 10:15", "2026-02-27 10:15"]
    assert first("cron(0 22-1/2 ? * FRI-MON 2026)", 4) == ["2026-01-02 00:00", "2026-01-02 22:00",  # Fri 2 Jan
                                                           "2026-01-03 00:00", "2026-01-03 22:00"]
    assert first("cron(0 3 ? * FRI-MON 2026)", 5)[3:] == ["2026-01-05 03:00", "2026-01-09 03:00"]  # Mon, then Fri
    assert prove("cron(0 8 ? * 5L *)", "eventbridge", "UTC", None, ("0 0 8 ? * 5L *",), "UTC",
                 begin).verdict == "equivalent"
    assert prove("cron(0 8 ? * 5L *)", "eventbridge", "UTC", None, ("0 0 8 ? * 5#4 *",), "UTC",
                 begin).verdict == "differs"  # the fourth Thursday is not always the last


def _cron_proof(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(capsys, "cron", *args, "--proof", "--json")
    assert "Traceback" not in err, err
    return code, json.loads(out)["proof"] if out.strip() else {}


def test_the_review_cases_each_get_the_honest_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh review's cases: a source starting later than the flow, a frequent schedule whose
    approximate shift shows only at a DST change past the first 10,000 fires, nothing to compare,
    a year-bounded croniter line, a half-open span, EventBridge's UTC start."""
    # a flow starting before its source (a plan's startTime; `migrate cron --start` gives the flow the
    # source's start, tests/test_cron_command_start.py): the flow would fire first
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    later = prove("0 0 * * *", "airflow", "UTC", today + timedelta(days=200), ("0 0 0 * * ? *",), "UTC", today,
                  saved_start=today + timedelta(days=10))
    assert later.verdict == "differs" and later.saved and not later.source, later
    code, shifted = _cron_proof(capsys, "*/10 0-22 * * *", "--dialect", "unix", "--zone", "Europe/Berlin",
                                "--target-zone", "UTC", "--approximate")
    assert code == 0 and shifted["verdict"] == "differs", shifted  # opted in: said, not refused
    assert _cron_proof(capsys, "0 0 * 2 5#5", "--dialect", "croniter", "--target-zone", "UTC")[1]["verdict"] \
        == "unchecked"
    bounded = _cron_proof(capsys, "0 0 * * * 0 2027", "--dialect", "croniter", "--target-zone", "UTC")[1]
    assert bounded["verdict"] == "equivalent" and 0 < bounded["fires"] <= 365
    daily = _cron_proof(capsys, "@daily", "--dialect", "unix", "--target-zone", "UTC", "--horizon-days", "30")[1]
    assert daily["fires"] == 30  # [from, until): thirty midnights in thirty days
    hourly = _cron_proof(capsys, "rate(1 hour)", "--dialect", "eventbridge", "--start", "2026-11-20T05:03:00",
                         "--target-zone", "Asia/Kolkata")[1]
    assert hourly["verdict"] == "equivalent", hourly
    for wrong in ("0", "3661", "x"):  # argparse's refusal: a usage line naming the option
        with pytest.raises(SystemExit):
            run_cli(capsys, "cron", "@daily", "--dialect", "unix", "--proof", "--horizon-days", wrong)
        assert "argument --horizon-days" in capsys.readouterr().err


RUNDECK_STRUCTURED = """- name: weekly-report
  uuid: 0b1e7a4e-0000-4000-8000-00000000aa01
  group: ops
  scheduleEnabled: true
  schedule:
    time: {hour: '06', minute: '30', seconds: '0'}
    weekday: {day: 'MON,FRI'}
    month: '*'
  sequence:
    commands:
    - exec: /opt/report.sh
"""


def test_rundecks_structured_schedule_is_proved_and_a_broken_rule_caught(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    export = tmp_path / "jobs.yaml"
    export.write_text(RUNDECK_STRUCTURED, encoding="utf-8")
    code, plan, err = plan_profile(tmp_path, capsys, "rundeck", export, target='timezone = "UTC"')
    [action] = plan["actions"]
    assert action["proof"]["verdict"] == "equivalent" and action["proof"]["grammar"] == "rundeck", (action, err)
    import migrate.schedule.legacy as legacy

    real = legacy.rundeck_quartz_text

    def first_day_only(schedule: dict[str, Any]) -> str:  # a converter that keeps one weekday of a list
        fields = real(schedule).split()
        fields[5] = fields[5].split(",")[0]
        return " ".join(fields)

    monkeypatch.setattr("migrate.sources.profiles.rundeck.rundeck_quartz_text", first_day_only)
    code, plan, err = plan_profile(tmp_path, capsys, "rundeck", export, target='timezone = "UTC"')
    [action] = plan["actions"]
    assert code == 5 and action["proof"]["verdict"] == "differs", action
    assert plan["invalid_by_reason"] == {"NOT_EQUIVALENT": 1}


@pytest.mark.parametrize(("days", "grammar"), [
    (days, grammar) for grammar in ("unix", "croniter")
    for days in ("*/2 * 1", "1,15 * 1", "*/3 * 5", "1-10 * */2", "*/1 * 1", "? * 1", "10 * 1-5", "1-7 * 0",
                 "1-31 * 1-5", "1-15 * 0-6")
    if not (grammar == "unix" and "?" in days)])  # ? is not Vixie cron
def test_the_old_schedules_words_say_and_or_or_as_the_oracle_fires(days: str, grammar: str) -> None:
    """cron-descriptor says "or on Monday" whenever the day of the month is not a bare *; Vixie
    cron ANDs the day fields when one starts with * (cronsim), croniter only when one is a bare *.
    The words say what the oracle fires: a day of the month that is not such a weekday fires
    (OR) or not (AND)."""
    from croniter import croniter
    from cronsim import CronSim

    from migrate.schedule.proof import schedule_in_words

    expression = f"0 6 {days}"
    words = schedule_in_words(expression, grammar)
    begin = datetime(2027, 1, 1)
    if grammar == "unix":
        fires = CronSim(expression, begin)
    else:
        fires = croniter(expression.replace("?", "*"), begin).all_next(datetime)
    fired = {next(fires).date() for _ in range(60)}
    dow_days = {d for d in fired if str(d.isoweekday() % 7) in _weekday_values(days.split()[2])}
    ored = fired != dow_days  # some fire is on a day that is not one of the weekdays: either field fires
    assert (", or on " in words) <= ored and (", and only on " in words) <= (not ored), (expression, words, ored)
    every_day = len(fired) == (max(fired) - min(fired)).days + 1  # 60 fires on 60 days in a row
    assert ("every day" in words) == every_day, (expression, words)


def _weekday_values(field: str) -> set[str]:
    """The weekdays (0-6, Sunday 0) a day-of-week field of these cases names."""
    if field in ("*", "?"):
        return {str(d) for d in range(7)}
    values: set[int] = set()
    for term in field.split(","):
        body, _, step = term.partition("/")
        low, _, high = body.partition("-")
        start, end = (0, 6) if low == "*" else (int(low), int(high or low))
        values.update(range(start, end + 1, int(step or 1)))
    return {str(v % 7) for v in values}


def test_instants_that_differ_below_the_second_show_their_fraction() -> None:
    """A difference below the second is shown as one: never the same-looking instant on both sides."""
    from migrate.schedule.proof import compare

    at = datetime(2026, 1, 1, 20, 35, 13, tzinfo=UTC)
    proof = compare(iter([at + timedelta(microseconds=275729)]), iter([at]), at - timedelta(hours=1),
                    at + timedelta(hours=1))
    assert proof.source == ("2026-01-01T20:35:13.275729Z",) and proof.saved == ("2026-01-01T20:35:13Z",)


def test_a_zone_read_as_one_offset_never_changes_it() -> None:
    """UTC, GMT and the Etc/* zones are read as their one offset, with no search for a transition
    (`_fixed_offset`): each such zone of tzdata keeps that offset, reads every wall time as ZoneInfo
    does, and a zone that changes its offset is never one of them."""
    from zoneinfo import ZoneInfo, available_timezones

    from migrate.schedule.proof import _fixed_offset, _instant, _walls_to_instants

    fixed = sorted(name for name in available_timezones() if _fixed_offset(name) is not None)
    assert {"UTC", "GMT", "Etc/UTC", "Etc/GMT+5", "Etc/GMT-14"} <= set(fixed)
    assert all(_fixed_offset(name) is None for name in ("Europe/London", "GB", "EST5EDT", "America/New_York",
                                                        "Australia/Lord_Howe", "Antarctica/Troll"))
    walls = [datetime(1990, 1, 1) + timedelta(minutes=21101 * n) for n in range(1500)]  # 60 years, any time of day
    begin, end = datetime(1990, 1, 2, tzinfo=UTC), datetime(2049, 1, 1, tzinfo=UTC)
    for name in fixed:
        read_by_zoneinfo = [wall.replace(tzinfo=ZoneInfo(name)).astimezone(UTC) for wall in walls]
        assert [_instant(wall, name) for wall in walls] == read_by_zoneinfo, name
        assert list(_walls_to_instants(iter(walls), name, begin, end)) == [
            t for t in read_by_zoneinfo if begin <= t < end], name


def test_a_difference_says_who_fires_when_and_nothing_of_a_side_with_no_time() -> None:
    """"only the source fires at no other time; only the saved freq at …" read as the opposite of
    what happened (a user took it that the source fired where the freq did not)."""
    from migrate.schedule.proof import Proof

    one_sided = Proof("differs", begin="2026-12-01T00:00:00Z", until="2028-11-26T00:00:00Z",
                      saved=("2026-12-01T00:00:00Z",))
    assert one_sided.sentence() == ("differs (compared from 2026-12-01T00:00:00Z until 2028-11-26T00:00:00Z): the "
                                    "saved freq fires at 2026-12-01T00:00:00Z, and the source does not")
    both = Proof("differs", begin="a", until="b", source=("s1", "s2"), saved=("f1",))
    assert both.sentence() == ("differs (compared from a until b): the source fires at s1, s2, and the saved freq "
                               "does not; the saved freq fires at f1, and the source does not")


def test_a_relativedelta_of_hours_is_proved_as_a_fixed_step() -> None:
    """Airflow's `relativedelta(hours=+6)` converted, and its proof said "months mixed with shorter
    units", unchecked, though it has no months: it is a fixed step, proved as a timedelta is."""
    from datetime import UTC, datetime

    begin = datetime(2026, 12, 1, tzinfo=UTC)
    anchor = datetime(2026, 11, 20, 3, 15, tzinfo=UTC)
    source = '{"__type": "RelativeDelta", "hours": 6.0}'
    assert prove(source, "airflow", "UTC", anchor, ("0 15 3/6 * * ? *",), "UTC", begin).verdict == "equivalent"
    differs = prove(source, "airflow", "UTC", anchor, ("0 15 3/8 * * ? *",), "UTC", begin)
    assert differs.verdict == "differs", differs


def test_the_plan_is_shown_one_way_json_or_markdown_not_both(capsys: pytest.CaptureFixture[str]) -> None:
    """`--json --markdown` printed JSON and dropped the Markdown, saying nothing."""
    with pytest.raises(SystemExit) as stopped:
        run_cli(capsys, "plan", str(REPO / "configs" / "crontab.toml"), "--markdown", "--json", "--offline")
    assert stopped.value.code == 1
    assert "not allowed with argument --markdown" in json.loads(capsys.readouterr().out)["error"]


@pytest.mark.parametrize(("schedule", "freq", "days"), [
    ("30 6 * * 1/1", "0 30 6 ? * 2-7 *", "Monday, Tuesday, Wednesday, Thursday, Friday, and Saturday"),
    ("0 0 * * 5/1", "0 0 0 ? * 6-7 *", "Friday and Saturday"),
    ("0 0 * * MON/2", "0 0 0 ? * 2/2 *", "Monday, Wednesday, and Friday"),
    ("0 3 * * 6/1", "0 0 3 ? * 7 *", "only on Saturday"),  # `6-6/1` to cronsim, which read it as 6 and 7
    ("0 3 * * SAT/1", "0 0 3 ? * 7 *", "only on Saturday"),
    ("0 0 * * 5/2", "0 0 0 ? * 6 *", "only on Friday"),  # the words said "every 2 weeks"
    ("0 0 1 * */1", "0 0 0 1 * ? *", "on day 1 of the month"),  # a star: ANDed, the words said "every day"
])
def test_a_robfig_day_of_week_step_ends_on_saturday(capsys: pytest.CaptureFixture[str], schedule: str, freq: str,
                                                    days: str) -> None:
    """robfig reads `N/step` as `N-max/step`, and its day of the week ends at 6: `5/1` is Friday and
    Saturday. The proof read it with cronsim, whose day of the week runs to 7 (Sunday), and refused a
    right conversion, NOT_EQUIVALENT, saying the CronJob fired on Sundays; the words said every day."""
    code, out, _ = run_cli(capsys, "cron", schedule, "--dialect", "kubernetes", "--proof")
    assert code == 0, out
    assert f"freq: {freq}\n" in out and "proof: equivalent" in out, out
    assert f"old schedule in words: At {schedule.split()[1].zfill(2)}:{schedule.split()[0].zfill(2)}" in out
    assert days in out.split("old schedule in words:")[1].splitlines()[0], out


def test_a_robfig_step_of_zero_is_refused_with_its_proof_asked(capsys: pytest.CaptureFixture[str]) -> None:
    """`migrate cron '0 0 * * 3/0' --dialect kubernetes --proof` was a traceback (range() step 0)."""
    code, out, err = run_cli(capsys, "cron", "0 0 * * 3/0", "--dialect", "kubernetes", "--proof")
    assert code == 2 and "a step of 0 in '3/0'" in out + err and "Traceback" not in err, (out, err)


@pytest.mark.parametrize(("schedule", "freq"), [
    ("0 0 31 2 1", "0 0 0 ? 2 2 *"), ("0 0 30,31 2 1-5", "0 0 0 ? 2 2-6 *"), ("0 0 31 4,6 0", "0 0 0 ? 4,6 1 *")])
def test_a_robfig_or_whose_day_of_month_never_comes_is_its_day_of_week(
        capsys: pytest.CaptureFixture[str], schedule: str, freq: str) -> None:
    """robfig ORs the day fields as Vixie does: `0 0 31 2 1` runs on February's Mondays. It was
    refused DOM_OR_DOW, with advice to split it into a CronJob that never runs; now the day of the
    week alone (OR_HALF_NEVER), proved on robfig's reading (a reviewer's robfig evaluator counted the
    same fires)."""
    code, out, _ = run_cli(capsys, "cron", schedule, "--dialect", "kubernetes", "--proof")
    assert code == 0 and f"freq: {freq}\n" in out and "OR_HALF_NEVER" in out, out
    assert "proof: equivalent: the same" in out, out


def test_the_words_of_an_or_with_a_range_of_weekdays_say_or(capsys: pytest.CaptureFixture[str]) -> None:
    """`0 0 30,31 2 1-5` read "on day 30 and 31 of the month, Monday through Friday": an AND to the
    eye, where cron fires on either (cron-descriptor says "or" of a single weekday only)."""
    code, out, _ = run_cli(capsys, "cron", "0 0 30,31 2 1-5", "--dialect", "unix", "--proof")
    assert code == 0 and "old schedule in words: At 00:00, on day 30 and 31 of the month, or Monday through Friday" \
        in out, out
