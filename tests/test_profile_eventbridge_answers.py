"""The eventbridge profile, through `migrate plan --json`: a Scheduler StartDate still ahead in another
zone than the service's (an instant: the flow's first day is worked out in the service's zone), and
objects that look like rules but are other answers: `aws events describe-rule` (a rule, read with its
targets file) and CloudFormation's AWS::Events::Rule Properties (refused, naming it).

The fire times are checked with cronsim (the source's cron in its own zone from its StartDate, the
flow's freq in the service's zone from its startTime's midnight)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import plan_profile
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
