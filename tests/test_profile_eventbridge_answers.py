"""The eventbridge profile, through `migrate plan --json`: a Scheduler StartDate still ahead in another
zone than the service's (an instant: the flow's first day is worked out in the service's zone), and
objects that look like rules but are other answers: `aws events describe-rule` (a rule, read with its
targets file) and CloudFormation's AWS::Events::Rule Properties (refused, naming it).

The fire times are checked with cronsim (the source's cron in its own zone from its StartDate, the
flow's freq in the service's zone from its startTime's midnight)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import PROFILE_DEFAULTS, plan_profile, run_cli
from cronsim import CronSim

ACCOUNT = "444455556666"
LAMBDA_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:nightly"


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def get_schedule(name: str, expression: str, zone: str, start: str) -> dict[str, Any]:
    """A get-schedule answer as the AWS CLI prints it."""
    return {"ActionAfterCompletion": "NONE", "Arn": f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule/default/{name}",
            "CreationDate": "2025-04-02T11:07:31.512000+02:00", "FlexibleTimeWindow": {"Mode": "OFF"},
            "GroupName": "default", "Name": name, "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": zone, "State": "ENABLED", "StartDate": start,
            "Target": {"Arn": LAMBDA_ARN, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/sched", "Input": "{}"}}


def fires(cron: str, zone: str, after: datetime, count: int = 5) -> list[datetime]:
    """The first instants (UTC) at which a five-field cron fires in the zone, from `after` on."""
    begin = after.astimezone(ZoneInfo(zone)) - timedelta(seconds=1)
    return [fire.astimezone(UTC) for fire in islice(CronSim(cron, begin), count)]


def quartz_as_cron(freq: str) -> str:
    """A daily Quartz freq of this test (`0 M H * * ? *`) as five cron fields."""
    _, minute, hour, day, month, _, _ = freq.split()
    return f"{minute} {hour} {day} {month} *"


def said(action: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {warning["code"]: warning for warning in action["warnings"]}


@pytest.mark.parametrize(("expression", "cron", "zone", "local_start"), [
    # 08:00 in Tokyo from 15:00 UTC: the first run is 23:00 UTC that same (UTC) day, the day before in
    # Tokyo; started on the Tokyo day, the flow lost that run (and its proof, from that day, was equivalent)
    ("cron(0 8 * * ? *)", "0 8 * * *", "Asia/Tokyo", "T15:00:00Z"),
    # 20:00 in Phoenix from midnight there: the first run is 03:00 UTC the next day; started on the
    # Phoenix day, the flow fired four hours before the schedule began
    ("cron(0 20 * * ? *)", "0 20 * * *", "America/Phoenix", "T00:00:00-07:00"),
])
def test_a_start_date_in_another_zone_starts_the_flow_on_its_first_runs_day(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], expression: str, cron: str, zone: str,
        local_start: str) -> None:
    ahead = datetime.now(UTC).date() + timedelta(days=60)
    start_text = f"{ahead.isoformat()}{local_start}"
    start = datetime.fromisoformat(start_text.replace("Z", "+00:00"))
    source = write_json(tmp_path / "export" / "get-schedule.json", get_schedule("daily", expression, zone, start_text))
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", source, target='timezone = "UTC"')
    [action] = planned["actions"]
    assert code == 3 and action["action"] == "valid", (action, err)
    warnings = said(action)
    assert "FIRST_DAY" not in warnings and action["proof"]["verdict"] == "equivalent", action
    flow_day = date.fromisoformat(warnings["START_DATE_SHIFTED"]["to"])  # the flow's startTime now
    flow_fires = fires(quartz_as_cron(action["freq"]), "UTC", datetime.combine(flow_day, time(), UTC))
    assert flow_fires == fires(cron, zone, start), (flow_fires, fires(cron, zone, start))


def test_a_rate_from_a_start_date_later_in_a_day_names_the_runs_before_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """rate(1 hour) from 15:03 UTC: the flow, started on that day, fires from its midnight; the
    runs before 15:03 are named (FIRST_DAY) and the proof says it compared nothing (unchecked)."""
    ahead = datetime.now(UTC).date() + timedelta(days=60)
    answer = get_schedule("hourly", "rate(1 hour)", "Asia/Tokyo", f"{ahead.isoformat()}T15:03:00Z")
    source = write_json(tmp_path / "export" / "get-schedule.json", answer)
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", source, target='timezone = "UTC"')
    [action] = planned["actions"]
    assert code == 3 and action["action"] == "valid" and action["freq"] == "0 3 * * * ? *", (action, err)
    first_day = said(action)["FIRST_DAY"]["message"]
    assert f"the source begins at {ahead} 15:03:00" in first_day and f"{ahead} 00:03:00" in first_day, first_day
    assert action["proof"]["verdict"] == "unchecked", action


def describe_rule_export(folder: Path) -> Path:
    """`aws events describe-rule --name desc-rule` and its list-targets-by-rule answer, each a file."""
    write_json(folder / "describe-rule.json", {
        "Name": "desc-rule", "Arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/desc-rule",
        "ScheduleExpression": "cron(0 9 * * ? *)", "State": "ENABLED", "EventBusName": "default",
        "CreatedBy": ACCOUNT})
    write_json(folder / "targets-desc-rule.json", {"Name": "desc-rule", "Targets": [{"Id": "1", "Arn": LAMBDA_ARN}]})
    return folder


@pytest.mark.parametrize("profile", ["eventbridge", "auto"])
def test_a_describe_rule_answer_is_a_rule_with_its_targets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: str) -> None:
    """describe-rule prints a ScheduleExpression, which was taken for a Scheduler schedule's: the
    flow failed MISSING_TARGET and the targets file beside it was passed over."""
    export = describe_rule_export(tmp_path / "export")
    code, planned, err = plan_profile(tmp_path, capsys, profile, export, target='timezone = "UTC"')
    [action] = planned["actions"]
    assert code == 3 and action["action"] == "valid", (action, err)
    assert action["source_key"] == f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/desc-rule"
    assert action["freq"] == "0 0 9 * * ? *" and action["proof"]["verdict"] == "equivalent", action
    assert {"TARGET_AS_CLI", "EVENT_PAYLOAD"} <= set(said(action)), action  # a rule's target, from its file
    # beside the list-rules item of the same rule: one rule, its two answers completing each other
    write_json(export / "list-rules.json", {"Rules": [{
        "Name": "desc-rule", "Arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/desc-rule",
        "ScheduleExpression": "cron(0 9 * * ? *)", "State": "ENABLED", "EventBusName": "default"}]})
    code, planned, err = plan_profile(tmp_path, capsys, profile, export, target='timezone = "UTC"')
    assert code == 3 and planned["flows_found"] == 1 and planned["actions"][0]["action"] == "valid", (planned, err)


@pytest.mark.parametrize("profile", ["eventbridge", "auto"])
def test_cloudformation_rule_properties_are_refused_naming_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: str) -> None:
    """An AWS::Events::Rule's Properties ({Name, ScheduleExpression, State, Targets}, no Arn) were read as
    a Scheduler schedule without its Target (MISSING_TARGET, NEEDS_START): no answer of the AWS CLI
    holds a rule's Targets without its Arn."""
    source = write_json(tmp_path / "cfn" / "rule-props.json", {
        "Name": "cfn-rule", "ScheduleExpression": "rate(1 hour)", "State": "ENABLED",
        "Targets": [{"Id": "1", "Arn": LAMBDA_ARN}]})
    code, planned, err = plan_profile(tmp_path, capsys, profile, source, target='timezone = "UTC"')
    assert code == 1 and not planned.get("actions"), planned
    assert f"{source}: looks like the Properties of a CloudFormation AWS::Events::Rule" in err, err
    assert "aws events list-rules (or describe-rule --name NAME)" in err, err


def schedule_ending(tmp_path: Path, expression: str, start: str, end: str) -> Path:
    """A folder holding one get-schedule answer, in UTC, with its StartDate and EndDate."""
    answer = {**get_schedule("ends", expression, "UTC", start), "EndDate": end}
    return write_json(tmp_path / "export" / "get-schedule.json", answer).parent


@pytest.mark.parametrize(("expression", "start", "end"), [
    # a daily 09:00 from 10:00 that ends at 08:00 the next day: its first run, at 09:00, is after the end
    ("cron(0 9 * * ? *)", "T10:00:00Z", "+1T08:00:00Z"),
    # ending the same day, an hour after the start: taken as the whole day, it ended at midnight (said so)
    ("cron(0 9 * * ? *)", "T10:00:00Z", "T11:00:00Z"),
    # a rate counted from 10:00 that ends a minute before its first run
    ("rate(1 day)", "T10:00:00Z", "T09:59:00Z"),
])
def test_an_end_date_before_the_first_run_is_an_instant_and_the_schedule_never_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], expression: str, start: str, end: str) -> None:
    """Scheduler fires only before its EndDate, an instant. Compared as its whole day, it let a
    schedule whose StartDate is ahead and whose EndDate comes before its first run be saved active
    (END_DATE: "it stays active"), where docs/schedules.md promises NEVER_RUNS and an inactive flow."""
    ahead = datetime.now(UTC).date() + timedelta(days=60)
    start_text = f"{ahead}{start}"
    end_text = f"{ahead + timedelta(days=1)}{end[2:]}" if end.startswith("+1") else f"{ahead}{end}"
    export = schedule_ending(tmp_path, expression, start_text, end_text)
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    [action] = planned["actions"]
    assert code == 3 and action["action"] == "valid", (action, err)
    warnings = said(action)
    assert "END_DATE" not in warnings and "START_DATE_SHIFTED" not in warnings, warnings
    ends = datetime.fromisoformat(end_text.replace("Z", "+00:00"))
    assert f"ends at {ends:%Y-%m-%d %H:%M:%S} in the service's zone" in warnings["NEVER_RUNS"]["message"], warnings
    assert "it never runs, and the flow is saved inactive (active 0)" in warnings["NEVER_RUNS"]["message"]


def test_an_end_date_after_the_first_run_keeps_the_flow_and_one_earlier_today_has_passed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An EndDate after the first run leaves the flow active, END_DATE naming it; one at today's
    midnight UTC has passed (taken as its day, it was still to come: the flow stayed active)."""
    ahead = datetime.now(UTC).date() + timedelta(days=60)
    export = schedule_ending(tmp_path, "cron(0 9 * * ? *)", f"{ahead}T10:00:00Z",
                             f"{ahead + timedelta(days=1)}T09:30:00Z")
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    [action] = planned["actions"]
    assert code == 3 and "NEVER_RUNS" not in said(action) and "stays active" in said(action)["END_DATE"]["message"]
    midnight = f"{datetime.now(UTC).date()}T00:00:00Z"
    export = schedule_ending(tmp_path, "cron(0 9 * * ? *)", "2026-01-01T00:00:00Z", midnight)
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    [action] = planned["actions"]
    assert f"EndDate {midnight} has passed" in said(action)["END_DATE"]["message"], (action, err)
    assert "saved inactive (active 0)" in said(action)["END_DATE"]["message"]


@pytest.mark.parametrize(("list_file", "describe_file"), [("aa-list.json", "zz-describe.json"),
                                                          ("zz-list.json", "aa-describe.json")])
def test_a_list_rules_item_and_a_describe_rule_answer_that_differ_refuse_the_rule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], list_file: str, describe_file: str) -> None:
    """The two answers for one rule were merged, the file that sorted last winning: ENABLED at 02:00
    or DISABLED at 03:00 by the files' names. Which is current the export does not say: the rule
    is refused, naming both files and what differs, whatever their order."""
    export = describe_rule_export(tmp_path / "export")
    (export / "describe-rule.json").rename(export / describe_file)
    write_json(export / describe_file, {**json.loads((export / describe_file).read_text(encoding="utf-8")),
                                        "State": "DISABLED", "ScheduleExpression": "cron(0 3 * * ? *)"})
    write_json(export / list_file, {"Rules": [{
        "Name": "desc-rule", "Arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/desc-rule",
        "ScheduleExpression": "cron(0 2 * * ? *)", "State": "ENABLED", "EventBusName": "default"}]})
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 5 and planned["flows_found"] == 1, (planned, err)
    [refused] = planned["invalid_flows"]
    [duplicate] = refused["errors"]  # the one reason: no "active is required" beside it (found by a reviewer)
    assert duplicate["code"] == "DUPLICATE" and refused["source_key"] == f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/desc-rule"
    assert (f"{list_file} Rules[0] lists rule default/desc-rule with ScheduleExpression 'cron(0 2 * * ? *)', State "
            f"'ENABLED', and {describe_file}, a describe-rule answer for it, says ScheduleExpression 'cron(0 3 * * ? *)'"
            ", State 'DISABLED'") in duplicate["message"], duplicate
    assert not any(action.get("freq") for action in planned["actions"]), planned["actions"]


@pytest.mark.parametrize("start", ["", "2026-01-01T00:00:00Z"])
def test_a_schedule_begun_whose_end_comes_before_its_next_run_never_runs_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str) -> None:
    """No StartDate (or one passed) and an EndDate ahead, but before the next run: AWS fires it no
    more, and it was saved active for ever, END_DATE saying "it stays active" (found by a
    reviewer). NEVER_RUNS, inactive; an end after the next run still keeps it."""
    next_run = datetime.now(UTC).date() + timedelta(days=60)
    expression = f"cron(0 6 {next_run.day} {next_run.month} ? *)"
    for end, never in ((next_run - timedelta(days=30), True), (next_run + timedelta(days=1), False)):
        answer = {**get_schedule("ends", expression, "UTC", start), "EndDate": f"{end}T05:00:00Z"}
        if not start:
            answer.pop("StartDate")
        export = write_json(tmp_path / "export" / "get-schedule.json", answer).parent
        code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
        [action] = planned["actions"]
        assert code == 3 and action["action"] == "valid", (action, err)
        warnings = said(action)
        assert ("NEVER_RUNS" in warnings) == never and ("END_DATE" in warnings) != never, warnings
        if never:
            # its next run, or, the profile's [defaults] startTime still ahead, its first run from there
            assert re.search(rf"before its (next run|first run from the flow's start \(startTime [\d-]+\)) at "
                             rf"{next_run} 06:00:00", warnings["NEVER_RUNS"]["message"]), warnings


def test_an_end_before_the_flows_start_never_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No StartDate, an EndDate five days ahead, the flow's [defaults] startTime ten days ahead: the
    flow, from its start, fired every day for ever where the source had ended, END_DATE saying to
    disable it after a run it never made (found by a reviewer)."""
    today = datetime.now(UTC).date()
    answer = {**get_schedule("ends", "cron(0 6 * * ? *)", "UTC", ""), "EndDate": f"{today + timedelta(days=5)}T05:00:00Z"}
    answer.pop("StartDate")
    export = write_json(tmp_path / "export" / "get-schedule.json", answer).parent
    config = tmp_path / "plan.toml"
    config.write_text("\n".join([
        "[source]", f'path = "{export}"', 'profile = "eventbridge"',
        *(line if not line.startswith("startTime") else f'startTime = "{today + timedelta(days=10)}"'
          for line in PROFILE_DEFAULTS),
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', 'timezone = "UTC"', ""]),
        encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--json", "--offline")
    [action] = json.loads(out)["actions"]
    warnings = said(action)
    assert code == 3 and "END_DATE" not in warnings, (warnings, err)
    assert f"before its first run from the flow's start (startTime {today + timedelta(days=10)})" in \
        warnings["NEVER_RUNS"]["message"], warnings
    # the first instant it no longer fires, as such (EndDate is exclusive: that instant itself)
    assert f"fires nothing at or after {today + timedelta(days=5)} 05:00:00" in warnings["NEVER_RUNS"]["message"]
