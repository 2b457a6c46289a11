"""The eventbridge profile on AWS CLI exports in their real shapes (fixtures in
tests/fixtures/eventbridge/): `aws events list-rules` with `list-targets-by-rule` answers beside it,
`aws scheduler list-schedules` with `get-schedule` answers (one a file, and several in one `jq -s`
list), read as folders.

There is no public evaluator of AWS's cron grammar, so the schedules are checked against one
written here from AWS's field table (eb-scheduled-rule-pattern.html), itself checked on every
example AWS documents; rates against plain arithmetic (an anchor plus whole intervals)."""

from __future__ import annotations

import calendar
import json
import re
import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from itertools import islice, takewhile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, base_state, plan_profile, profile_run_config, standard_cells
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.schedule.eventbridge import convert_cron, convert_rate, one_time, rate_seconds, read_expression
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Rejection
from migrate.sources.profiles import registry
from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "eventbridge"
WINDOW = timedelta(days=730)


def first_fires(times: Any, end: datetime, count: int = 40) -> list[datetime]:
    return list(islice(takewhile(lambda t: t <= end, times), count))


def flows_of(path: Path, **options: Any) -> dict[str, list[dict[str, str]]]:
    """Each flow's rows (one per task) by flow name."""
    settings = SourceSettings(path=path, profile="eventbridge", options=options)
    found: dict[str, list[dict[str, str]]] = {}
    for row in registry()["eventbridge"].read(settings):
        found.setdefault(row.cells["flow_name"], []).append(standard_cells(row))
    return found


def codes(cells: str) -> list[str]:
    return [entry["code"] for entry in json.loads(cells)] if cells else []


def messages(cells: str) -> str:
    return " ".join(entry["message"] for entry in json.loads(cells)) if cells else ""


def schedule_file(tmp_path: Path, **fields: Any) -> Path:
    """One get-schedule answer with the given fields over a plain daily one."""
    answer = {"Arn": "arn:aws:scheduler:us-east-1:111122223333:schedule/default/one", "Name": "one",
              "GroupName": "default", "ScheduleExpression": "cron(0 6 * * ? *)", "State": "ENABLED",
              "FlexibleTimeWindow": {"Mode": "OFF"},
              "Target": {"Arn": "arn:aws:lambda:us-east-1:111122223333:function:f", "Input": "{}",
                         "RoleArn": "arn:aws:iam::111122223333:role/r"}}
    answer.update(fields)
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    return path


# -- an evaluator of AWS's cron grammar, from its field table -----------------------------------------

MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                      "DEC"], 1)}
DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}


def aws_values(field: str, lo: int, hi: int, names: dict[str, int] | None = None) -> set[int]:
    """A plain field: values, names, ranges (wrapping past the end, as AWS's 20-2 example),
    steps from a value, a range or *, lists."""
    values: set[int] = set()

    def number(text: str) -> int:
        return (names or {}).get(text.upper()) or int(text)

    for term in field.split(","):
        head, _, step_text = term.partition("/")
        step = int(step_text) if step_text else 1
        if head == "*":
            first, last = lo, hi
        elif "-" in head:
            first, last = (number(part) for part in head.split("-"))
        else:
            first, last = number(head), (hi if step_text else number(head))
        if first <= last:
            values |= set(range(first, last + 1, step))
        else:
            values |= set(range(first, hi + 1)) | set(range(lo, last + 1))
    return values


def aws_day_matches(day: date, dom: str, dow: str) -> bool:
    length = calendar.monthrange(day.year, day.month)[1]
    weekday = (day.weekday() + 1) % 7 + 1  # AWS: 1 is Sunday
    if dom != "?":
        if dom == "L":
            return day.day == length
        if dom.endswith("W"):
            wanted = date(day.year, day.month, int(dom[:-1]))
            if wanted.weekday() == 5:  # Saturday: the Friday before, or the Monday after the 1st
                wanted += timedelta(days=2 if wanted.day == 1 else -1)
            elif wanted.weekday() == 6:  # Sunday: the Monday after, or the Friday before the last day
                wanted += timedelta(days=-2 if wanted.day == length else 1)
            return day == wanted
        return day.day in aws_values(dom, 1, 31)
    if dow == "L":
        return weekday == 7
    if dow.endswith("L"):
        wanted_day = DAYS.get(dow[:-1]) or int(dow[:-1])
        return weekday == wanted_day and day.day + 7 > length
    if "#" in dow:
        wanted_text, nth = dow.split("#")
        return weekday == (DAYS.get(wanted_text) or int(wanted_text)) and (day.day - 1) // 7 + 1 == int(nth)
    return weekday in aws_values(dow, 1, 7, DAYS)


def aws_fires(expression: str, after: datetime, until: datetime, count: int = 40) -> list[datetime]:
    minute, hour, dom, month, dow, year = read_expression(expression)[1].upper().split()
    minutes, hours = sorted(aws_values(minute, 0, 59)), sorted(aws_values(hour, 0, 23))
    months, years = aws_values(month, 1, 12, MONTHS), aws_values(year, 1970, 2199)
    fires: list[datetime] = []
    day = after.date()
    while day <= until.date() and len(fires) < count:
        if day.month in months and day.year in years and aws_day_matches(day, dom, dow):
            fires += [t for h in hours for m in minutes if after < (t := datetime(day.year, day.month, day.day, h, m))
                      <= until]
        day += timedelta(days=1)
    return fires[:count]


DOCUMENTED = [  # eb-scheduled-rule-pattern.html: its examples, and the wildcards' own sentences
    ("cron(0 10 * * ? *)", datetime(2025, 3, 3, 9, 0), [datetime(2025, 3, 3, 10, 0), datetime(2025, 3, 4, 10, 0)]),
    ("cron(15 12 * * ? *)", datetime(2025, 3, 3, 12, 15), [datetime(2025, 3, 4, 12, 15)]),
    ("cron(0 18 ? * MON-FRI *)", datetime(2025, 3, 7, 19, 0), [datetime(2025, 3, 10, 18, 0)]),  # Fri then Mon
    ("cron(0 8 1 * ? *)", datetime(2025, 3, 1, 9, 0), [datetime(2025, 4, 1, 8, 0)]),
    ("cron(0/15 * * * ? *)", datetime(2025, 3, 3, 9, 50), [datetime(2025, 3, 3, 10, 0), datetime(2025, 3, 3, 10, 15)]),
    ("cron(0/10 * ? * MON-FRI *)", datetime(2025, 3, 7, 23, 55), [datetime(2025, 3, 10, 0, 0)]),
    ("cron(0/5 8-17 ? * MON-FRI *)", datetime(2025, 3, 3, 17, 54), [datetime(2025, 3, 3, 17, 55),
                                                                     datetime(2025, 3, 4, 8, 0)]),
    ("cron(0/30 20-2 ? * MON-FRI *)", datetime(2025, 3, 3, 1, 59), [datetime(2025, 3, 3, 2, 0),
                                                                     datetime(2025, 3, 3, 2, 30),
                                                                     datetime(2025, 3, 3, 20, 0)]),
    ("cron(15 10 ? * 6L 2019-2022)", datetime(2019, 1, 1), [datetime(2019, 1, 25, 10, 15),
                                                            datetime(2019, 2, 22, 10, 15)]),  # last Fridays
    ("cron(1/10 0 * * ? *)", datetime(2025, 3, 3), [datetime(2025, 3, 3, 0, 1), datetime(2025, 3, 3, 0, 11),
                                                    datetime(2025, 3, 3, 0, 21)]),  # "the 11th, 21st, and 31st"
    ("cron(0 9 ? * 3#2 *)", datetime(2025, 3, 1), [datetime(2025, 3, 11, 9, 0)]),  # the second Tuesday
    ("cron(0 9 3W * ? *)", datetime(2025, 5, 1), [datetime(2025, 5, 2, 9, 0)]),  # 3 May 2025 is a Saturday
    ("cron(0 9 L * ? *)", datetime(2024, 2, 1), [datetime(2024, 2, 29, 9, 0)]),  # the last day of the month
    ("cron(0 9 ? * L *)", datetime(2025, 3, 3), [datetime(2025, 3, 8, 9, 0)]),  # the last day of the week
    ("cron(0 9 7 * ? *)", datetime(2025, 3, 1), [datetime(2025, 3, 7, 9, 0)]),  # "7 ... and ? in Day-of-week"
    ("cron(0 9 1 JAN,FEB,MAR ? *)", datetime(2025, 3, 2), [datetime(2026, 1, 1, 9, 0)]),
]


@pytest.mark.parametrize(("expression", "after", "expected"), DOCUMENTED)
def test_the_evaluator_fires_as_aws_documents(expression: str, after: datetime, expected: list[datetime]) -> None:
    assert aws_fires(expression, after, after + WINDOW, len(expected)) == expected


@pytest.mark.parametrize(("expression", "after", "expected"), [c for c in DOCUMENTED if c[0] != DOCUMENTED[8][0]])
def test_converted_documented_examples_fire_as_documented(expression: str, after: datetime,
                                                          expected: list[datetime]) -> None:
    freq = convert_cron(read_expression(expression)[1]).freq
    assert first_fires(parse_quartz(freq).fire_times(after), after + WINDOW, len(expected)) == expected


def test_a_schedule_only_in_past_years_never_fires_again() -> None:
    with pytest.raises(Rejection) as raised:
        convert_cron("15 10 ? * 6L 2019-2022")  # AWS's own example: those years are past
    assert raised.value.code == "IMPOSSIBLE_DATE"


def aws_field(draw: st.DrawFn, lo: int, hi: int, names: list[str] | None = None, wraps: bool = False,
              steps: bool = True) -> str:
    kind = draw(st.sampled_from(["*", "value", "range", "list", "name", "wrap"] + (["step", "star_step"] if steps
                                                                                  else [])))
    a = draw(st.integers(lo, hi - 1))
    b = draw(st.integers(a + 1, hi))
    n = draw(st.integers(1, max(1, (hi - lo) // 2)))
    return {"*": "*", "value": str(a), "range": f"{a}-{b}", "step": f"{a}/{n}", "star_step": f"*/{n}",
            "list": ",".join(sorted({str(draw(st.integers(lo, hi))) for _ in range(3)}, key=int)),
            "name": names[a - lo] if names else str(a),
            "wrap": f"{b}-{a}" if wraps and b > a + 1 else f"{a}-{b}"}[kind]


@st.composite
def aws_expressions(draw: st.DrawFn) -> str:
    minute, hour = aws_field(draw, 0, 59, wraps=True), aws_field(draw, 0, 23, wraps=True)
    month = aws_field(draw, 1, 12, list(MONTHS), wraps=True)
    year = draw(st.sampled_from(["*", "2024-2030", "2026", "2025/2", "2027,2029"]))
    if draw(st.booleans()):
        dom = draw(st.one_of(st.just("L"), st.integers(1, 28).map(lambda d: f"{d}W"), st.just(aws_field(draw, 1, 31))))
        return f"cron({minute} {hour} {dom} {month} ? {year})"
    dow = draw(st.one_of(st.just("L"), st.integers(1, 7).map(lambda d: f"{d}L"),
                         st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda p: f"{p[0]}#{p[1]}"),
                         st.just(aws_field(draw, 1, 7, list(DAYS), wraps=True, steps=False))))
    return f"cron({minute} {hour} ? {month} {dow} {year})"


@settings(max_examples=300, deadline=None)
@given(expression=aws_expressions(), start=st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1)))
def test_cron_expressions_fire_as_aws_documents_them(expression: str, start: datetime) -> None:
    start = start.replace(second=0, microsecond=0)
    try:
        freq = convert_cron(read_expression(expression)[1]).freq
    except Rejection as rejection:
        # Quartz has no step on a range that wraps; a date no month has, or only years past.
        assert rejection.code in ("INVALID_SYNTAX", "IMPOSSIBLE_DATE"), (expression, rejection)
        assert rejection.code == "IMPOSSIBLE_DATE" or "wrapping" in rejection.message, (expression, rejection)
        return
    assert first_fires(parse_quartz(freq).fire_times(start), start + WINDOW) == aws_fires(
        expression, start, start + WINDOW), (expression, freq)


@pytest.mark.parametrize(("expression", "reason"), [
    ("cron(0 8 * * * *)", "exactly one"),  # AWS refuses * in both day fields
    ("cron(0 8 ? * ? *)", "exactly one"),
    ("cron(0 8 LW * ? *)", "not guessed"),  # not in AWS's table
    ("cron(0 8 L-2 * ? *)", "not guessed"),
    ("cron(0 8 ? * MON/2 *)", "documented wildcards"),
    ("cron(0 8 ? * 2#1,4#3 *)", "one only"),  # AWS: "3#1,6#3" is not valid
    ("cron(0 8 ? * 0 *)", "out of range"),  # 1-7
    ("cron(0 8 * * ?)", "6 fields"),
    ("cron(0 0 1 * ? 2024-2150)", "after 2099"),
    ("cron(0 25 * * ? *)", "out of range"),
])
def test_what_aws_does_not_document_is_refused(expression: str, reason: str) -> None:
    with pytest.raises(Rejection) as raised:
        convert_cron(read_expression(expression)[1])
    assert raised.value.code == "INVALID_SYNTAX" and reason in raised.value.message


@pytest.mark.parametrize(("body", "seconds"), [("1 minute", 60), ("5 minutes", 300), ("1 hour", 3600),
                                               ("12 hours", 43200), ("1 day", 86400), ("7 days", 604800)])
def test_rates(body: str, seconds: int) -> None:
    assert rate_seconds(body) == seconds


@pytest.mark.parametrize("body", ["1 hours", "5 hour", "0 minutes", "5 weeks", "1.5 hours", "5  minutes x"])
def test_rates_aws_refuses(body: str) -> None:
    with pytest.raises(Rejection) as raised:
        rate_seconds(body)
    assert raised.value.code == "INVALID_SYNTAX"


@settings(max_examples=200, deadline=None)
@given(body=st.sampled_from(["1 minute", "2 minutes", "5 minutes", "15 minutes", "30 minutes", "1 hour", "2 hours",
                             "3 hours", "6 hours", "12 hours", "1 day", "7 days"]),
       anchor=st.datetimes(datetime(2023, 1, 1), datetime(2026, 1, 1)))
def test_a_rate_fires_at_its_anchor_plus_whole_intervals(body: str, anchor: datetime) -> None:
    """AWS: a fixed interval from the start (Scheduler: "24 hours after the last invocation"), to the minute."""
    anchor = anchor.replace(microsecond=0)
    start = anchor.replace(second=0)
    freq = convert_rate(body, anchor).freq
    step = timedelta(seconds=rate_seconds(body))
    assert first_fires(parse_quartz(freq).fire_times(start), start + WINDOW, 30) == [
        start + k * step for k in range(1, 31)]


def test_rates_that_drift_or_need_an_anchor_are_refused() -> None:
    for body, code in (("7 minutes", "UNSUPPORTED_INTERVAL"), ("5 hours", "UNSUPPORTED_INTERVAL"),
                       ("2 days", "UNSUPPORTED_INTERVAL"), ("10 minutes", "NEEDS_START")):
        with pytest.raises(Rejection) as raised:
            convert_rate(body, None if code == "NEEDS_START" else datetime(2024, 1, 1))
        assert raised.value.code == code
    assert convert_rate("1 minute", None).freq == "0 * * * * ? *"  # every minute: no phase to know


def test_one_time_and_bad_expressions() -> None:
    assert one_time("2024-10-01T03:00:00") == datetime(2024, 10, 1, 3, 0)
    for text in ("at(2024-10-01)", "hourly", "cron 0 8 * * ? *"):
        with pytest.raises(Rejection):
            _, body = read_expression(text)
            one_time(body)


# -- the profile: rules -----------------------------------------------------------------------------

def test_rules_with_their_targets() -> None:
    flows = flows_of(FIXTURES / "rules")
    etl = flows["nightly-etl"][0]
    assert etl["flow"] == "arn:aws:events:eu-west-1:111122223333:rule/nightly-etl"
    assert (etl["schedule"], etl["timezone"], etl["active"], etl["desc"]) == (
        "0 0 2 * * ? *", "UTC", "1", "Kick off the nightly ETL")
    assert etl["command"] == ("aws --region eu-west-1 lambda invoke --function-name "
                              "arn:aws:lambda:eu-west-1:111122223333:function:start-etl --invocation-type Event "
                              "--cli-binary-format raw-in-base64-out --payload "
                              "'{\"mode\": \"full\", \"tables\": [\"orders\", \"customers\"]}' /dev/null")
    assert codes(etl["__warnings__"]) == ["TARGET_AS_CLI"]


def test_a_rule_with_two_targets_is_two_tasks_side_by_side() -> None:
    report = flows_of(FIXTURES / "rules")["weekday-report"]
    assert [(t["task_name"], t["upstream"]) for t in report] == [("report-machine", ""), ("notify", "")]
    assert report[0]["command"].startswith("aws --region eu-west-1 stepfunctions start-execution --state-machine-arn "
                                           "arn:aws:states:eu-west-1:111122223333:stateMachine:weekday-report")
    assert report[1]["command"].startswith("aws --region eu-west-1 sns publish --topic-arn")
    warned = codes(report[0]["__warnings__"])
    assert {"TARGET_ROLE", "RETRY", "DEAD_LETTER_QUEUE", "EVENT_PAYLOAD"} <= set(warned)


def test_the_scheduled_event_is_named_where_the_target_got_it() -> None:
    heartbeat = flows_of(FIXTURES / "rules")["heartbeat"][0]
    assert heartbeat["schedule"] == "0 * * * * ? *"  # rate(1 minute) needs no anchor
    assert "EVENT_PAYLOAD" in codes(heartbeat["__warnings__"])
    assert heartbeat["command"].endswith("--queue-url https://sqs.eu-west-1.amazonaws.com/111122223333/heartbeats.fifo "
                                         "--message-body '{}' --message-group-id beat")


def test_rules_without_targets_a_rate_without_start_and_patterns() -> None:
    flows = flows_of(FIXTURES / "rules")
    warmer = flows["cache-warmer"][0]
    assert codes(warmer["__errors__"]) == ["NEEDS_START", "TARGETS_NOT_EXPORTED"]
    assert "rate_anchor" in messages(warmer["__errors__"]) and "list-targets-by-rule --rule cache-warmer" in messages(
        warmer["__errors__"])
    pattern = flows["s3-object-created"][0]
    assert pattern["schedule"] == "" and "aws.s3" in pattern["unscheduled"]
    closing = flows["last-friday-close"][0]
    assert (closing["schedule"], closing["active"]) == ("0 15 10 ? * 6L *", "0")
    assert "SOURCE_DISABLED" in codes(closing["__warnings__"])
    assert "MANAGED_RULE" in codes(flows["AutoScalingManagedRule"][0]["__warnings__"])


def test_a_rate_anchor_given_by_the_user(tmp_path: Path) -> None:
    warmer = flows_of(FIXTURES / "rules", rate_anchor="2025-02-03T04:07:41Z")["cache-warmer"][0]
    assert (warmer["schedule"], warmer["timezone"]) == ("0 7/10 * * * ? *", "UTC")
    assert "RATE_ANCHOR" in codes(warmer["__warnings__"])


# -- the profile: EventBridge Scheduler -------------------------------------------------------------------

def test_get_schedule_answers_complete_the_list_whatever_the_file_order() -> None:
    flows = flows_of(FIXTURES / "scheduler")
    invoice = flows["invoice-run"][0]
    assert (invoice["schedule"], invoice["timezone"]) == ("0 30 6 1W * ? *", "Asia/Shanghai")
    assert "--payload" in invoice["command"] and "execution-id" in invoice["command"]
    assert {"END_DATE", "FLEXIBLE_WINDOW", "TARGET_ROLE", "RETRY", "DEAD_LETTER_QUEUE", "INPUT_PLACEHOLDER"} <= set(
        codes(invoice["__warnings__"]))
    assert invoice["active"] == "1"  # its EndDate, 2031, is ahead
    assert codes(flows["not-described"][0]["__errors__"]) == ["MISSING_SCHEDULE"]


def test_a_universal_target_is_its_cli_call() -> None:
    scale = flows_of(FIXTURES / "scheduler")["ops_scale-down"][0]
    assert scale["flow"] == "arn:aws:scheduler:eu-central-1:111122223333:schedule/ops/scale-down"
    assert scale["command"] == ("aws --region eu-central-1 ecs update-service --cli-input-json "
                                "'{\"Cluster\": \"staging\", \"Service\": \"web\", \"DesiredCount\": 0}'")
    assert (scale["timezone"], scale["active"]) == ("Europe/Berlin", "0")


def test_a_rate_counts_from_its_start_date_in_utc() -> None:
    sync = flows_of(FIXTURES / "scheduler")["sync-every-2h"][0]
    assert (sync["schedule"], sync["timezone"]) == ("0 30 1/2 * * ? *", "UTC")  # 2024-06-01T01:30+02:00 is 23:30 UTC


def test_a_one_time_schedule_that_has_passed_has_no_time_schedule() -> None:
    cutover = flows_of(FIXTURES / "scheduler")["migration-cutover"][0]
    assert cutover["schedule"] == "" and "at(2024-10-01T03:00:00) in Europe/Berlin" in cutover["unscheduled"]
    assert "which has passed: AWS fired it then, if it was enabled, and never fires it again" in cutover["unscheduled"]
    assert "fires once, which a flow cannot" not in cutover["unscheduled"]  # a freq with its year can
    assert not cutover["unscheduled"].endswith(".")  # the plan goes on after it: no ".;" in its sentence
    # ActionAfterCompletion DELETE: a warning, not a reason of the refusal
    assert "DELETE" not in cutover["unscheduled"] and "ACTION_AFTER_COMPLETION" in codes(cutover["__warnings__"])


def at_ahead(days: int, clock: str = "02:00:00") -> str:
    """An at(…) body `days` days from today (UTC's), at `clock`: ahead in every zone from 2 days on."""
    return f"{(datetime.now(UTC) + timedelta(days=days)).date().isoformat()}T{clock}"


def test_a_one_time_schedule_still_ahead_fires_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`at(…)` still ahead was refused as unscheduled ("it fires once, which a flow cannot"), which is
    false: a freq with its year fires once, as the Windows profiles save a one-time trigger. It is
    that one-run freq now, in its ScheduleExpressionTimezone; the mapping places it in the service's
    zone (Tokyo's 02:00 is 17:00 UTC the day before) and proves it. AWS ignores a one-time schedule's
    EndDate: one passed no longer saves it inactive. Found by a new-user reviewer."""
    body = at_ahead(30)
    path = schedule_file(tmp_path, ScheduleExpression=f"at({body})", ScheduleExpressionTimezone="Asia/Tokyo",
                         ActionAfterCompletion="DELETE", EndDate="2020-01-01T00:00:00Z")
    once = flows_of(path)["one"][0]
    at = datetime.fromisoformat(body)
    assert (once["schedule"], once["timezone"], once["unscheduled"]) == (
        f"0 0 2 {at.day} {at.month} ? {at.year}", "Asia/Tokyo", "")
    assert once["active"] == "1" and "AWS ignores it for a one-time schedule" in messages(once["__warnings__"])
    assert {"ONE_TIME", "END_DATE", "ACTION_AFTER_COMPLETION"} <= set(codes(once["__warnings__"]))
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", path, target='timezone = "UTC"')
    assert code == 3, err
    [action] = planned["actions"]
    assert action["action"] == "valid" and action["proof"]["verdict"] == "equivalent", action
    assert action["proof"]["fires"] == 1, action
    run = at.replace(tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC).replace(tzinfo=None)
    assert list(parse_quartz(action["freq"]).fire_times(datetime(2000, 1, 1))) == [run], action["freq"]


def test_a_one_time_schedule_soon_starts_the_flow_on_its_day(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A run before the flow's startTime (a week ahead here) would never fire: the flow starts on its
    day. A run written with seconds fires on its minute (AWS fires within it, to the minute)."""
    body = at_ahead(2, "06:30:45")
    config = tmp_path / "plan.toml"
    config.write_text("\n".join([
        "[source]", f'path = "{schedule_file(tmp_path, ScheduleExpression=f"at({body})")}"', 'profile = "eventbridge"',
        "[defaults]", "type = 1", "alertMode = 0", 'doAs = "db"', 'visitors = ""', 'owners = "alice"',
        f'startTime = "{(datetime.now(UTC) + timedelta(days=7)).date().isoformat()}"',
        "[target]", 'url = "https://apim.example.invalid"', 'user_id = "u1"', 'org_id = "o1"', 'timezone = "UTC"', ""]),
        encoding="utf-8")
    code = main(["plan", str(config), "--json", "--offline"])
    [action] = json.loads(capsys.readouterr().out)["actions"]
    assert code == 3 and action["action"] == "valid" and action["proof"]["verdict"] == "equivalent", action
    run = datetime.fromisoformat(body).replace(second=0)
    assert list(parse_quartz(action["freq"]).fire_times(datetime(2000, 1, 1))) == [run], action
    warned = {warning["code"]: warning for warning in action["warnings"]}
    assert warned["START_DATE_SHIFTED"]["to"] == run.date().isoformat(), action
    assert "45 s before the time written" in warned["ONE_TIME"]["message"], action


@pytest.mark.parametrize(("target", "command"), [
    ({"Arn": "arn:aws:batch:eu-west-1:111122223333:job-queue/nightly",
      "Input": json.dumps({"Parameters": {"day": "x"}, "ContainerOverrides": {
          "Command": ["run", "Ref::day"], "Environment": [{"Name": "MODE", "Value": "full"}]},
          "DependsOn": [{"JobId": "j-1"}]}),
      "BatchParameters": {"JobDefinition": "jd:2", "JobName": "arr", "ArrayProperties": {"Size": 4},
                          "RetryStrategy": {"Attempts": 3}}},
     "aws --region eu-west-1 batch submit-job --job-queue arn:aws:batch:eu-west-1:111122223333:job-queue/nightly "
     "--job-name arr --job-definition jd:2 --array-properties size=4 --retry-strategy attempts=3 "
     "--parameters '{\"day\":\"x\"}' --container-overrides "
     "'{\"command\":[\"run\",\"Ref::day\"],\"environment\":[{\"name\":\"MODE\",\"value\":\"full\"}]}' "
     "--depends-on '[{\"jobId\":\"j-1\"}]'"),
    ({"Arn": "arn:aws:batch:eu-west-1:111122223333:job-queue/nightly", "Input": "{}",
      "BatchParameters": {"JobDefinition": "jd:2", "JobName": "one"}},
     "aws --region eu-west-1 batch submit-job --job-queue arn:aws:batch:eu-west-1:111122223333:job-queue/nightly "
     "--job-name one --job-definition jd:2"),
])
def test_a_batch_target_is_submitted_as_aws_submitted_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         target: dict[str, Any], command: str) -> None:
    """A rule's AWS Batch target lost its BatchParameters' ArrayProperties and RetryStrategy and its
    Input's Parameters, without a word: a 4-child array job became one job. submit-job takes each
    (--array-properties, --retry-strategy, and what AWS maps of the input: Parameters, ContainerOverrides'
    command, environment, memory and vcpus, DependsOn's jobId, eb-targets.html). Found by a new-user
    reviewer."""
    export = tmp_path / "export"
    write_json(export, "list-rules.json", {"Rules": [{
        "Name": "arr", "Arn": f"{RULE_ARN}/arr", "State": "ENABLED", "EventBusName": "default",
        "ScheduleExpression": "cron(0 2 * * ? *)", "Targets": [{"Id": "arr", **target}]}]})
    [task] = flows_of(export)["arr"]
    assert task["command"] == command and task["__errors__"] == "", task
    assert "TARGET_PARAMETERS" not in codes(task["__warnings__"])
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 3 and planned["actions"][0]["action"] == "valid", err


def test_what_aws_does_not_pass_of_a_batch_input_is_named_and_no_argument_is_null(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A DependsOn item without a jobId (`{"Type": "SEQUENTIAL"}`) became `--depends-on
    '[{"jobId":null}]'`, which the AWS CLI refuses (the task failed every run), and a dependency's
    Type, ContainerOverrides' ResourceRequirements and InstanceType and Input keys AWS does not use
    were dropped without a word. What AWS passes to submitJob is carried (Parameters;
    ContainerOverrides' command, environment, memory, vcpus; DependsOn's jobId), a null or empty
    one is no argument, and the rest is named under TARGET_PARAMETERS. Found by a reviewer."""
    export = tmp_path / "export"
    given = {"Parameters": {"day": "x"}, "Other": 5,
             "ContainerOverrides": {"Command": ["run"], "Memory": None, "InstanceType": "m5",
                                    "ResourceRequirements": [{"Type": "GPU", "Value": "1"}]},
             "DependsOn": [{"Type": "SEQUENTIAL"}, {"JobId": "j-2", "Type": "N_TO_N"}]}
    def batch_rule(target_input: dict[str, Any]) -> None:
        write_json(export, "list-rules.json", {"Rules": [{
            "Name": "arr", "Arn": f"{RULE_ARN}/arr", "State": "ENABLED", "EventBusName": "default",
            "ScheduleExpression": "cron(0 2 * * ? *)", "Targets": [{
                "Id": "arr", "Arn": "arn:aws:batch:eu-west-1:111122223333:job-queue/nightly",
                "Input": json.dumps(target_input), "BatchParameters": {"JobDefinition": "jd:2", "JobName": "arr"}}]}]})

    batch_rule(given)
    [task] = flows_of(export)["arr"]
    assert task["command"] == (
        "aws --region eu-west-1 batch submit-job --job-queue arn:aws:batch:eu-west-1:111122223333:job-queue/nightly "
        "--job-name arr --job-definition jd:2 --parameters '{\"day\":\"x\"}' --container-overrides "
        "'{\"command\":[\"run\"]}' --depends-on '[{\"jobId\":\"j-2\"}]'"), task["command"]
    named = messages(task["__warnings__"])
    for part in ("Input Other", "Input ContainerOverrides InstanceType", "Input ContainerOverrides ResourceRequirements",
                 "Input DependsOn Type N_TO_N, SEQUENTIAL", "Input DependsOn an item without a jobId"):
        assert part in named, (part, named)
    batch_rule(dict(given, DependsOn=[{"Type": "SEQUENTIAL"}], ContainerOverrides={"InstanceType": "m5"}))
    [alone] = flows_of(export)["arr"]
    assert "--depends-on" not in alone["command"] and "--container-overrides" not in alone["command"], alone
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 3 and planned["actions"][0]["action"] == "valid", err


@pytest.mark.parametrize(("zone", "service", "days"), [
    ("Europe/Berlin", "UTC", 45), ("Europe/Berlin", "UTC", 215), ("America/New_York", "UTC", 215),
    ("UTC", "America/New_York", 215)])
def test_a_one_time_schedule_is_placed_exactly_across_dst_zones(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                zone: str, service: str, days: int) -> None:
    """`at(…)` in Europe/Berlin (or New York) with the service in UTC, or a UTC at(…) with a New York
    service, was refused TIMEZONE_MISMATCH (the zones' offsets differ within ten years), though it
    fires once at one known instant. It is that instant's wall time in the service's zone now, with
    its year, proved equivalent. Found by a reviewer."""
    body = at_ahead(days, "09:30:00")
    path = schedule_file(tmp_path, ScheduleExpression=f"at({body})", ScheduleExpressionTimezone=zone)
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", path, target=f'timezone = "{service}"')
    assert code == 3, err
    [action] = planned["actions"]
    assert action["action"] == "valid" and action["proof"]["verdict"] == "equivalent", action
    run = datetime.fromisoformat(body).replace(tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo(service))
    assert list(parse_quartz(action["freq"]).fire_times(datetime(2000, 1, 1))) == [run.replace(tzinfo=None)], action
    assert "TIMEZONE_APPROXIMATE" not in {warning["code"] for warning in action["warnings"]}


def test_batch_settings_submit_job_cannot_take_are_named(tmp_path: Path) -> None:
    """What BatchParameters holds beyond what submit-job is given is TARGET_PARAMETERS; a Batch job
    queue target without its job definition and name (EventBridge Scheduler's Target has no
    BatchParameters: it submits jobs as the universal target batch:submitJob) is refused."""
    queue = "arn:aws:batch:us-east-1:111122223333:job-queue/q"
    more = flows_of(schedule_file(tmp_path, Target={
        "Arn": queue, "Input": "{}", "BatchParameters": {"JobDefinition": "jd", "JobName": "n", "ShareIdentifier": "a",
                                                         "RetryStrategy": {"Attempts": 2, "EvaluateOnExit": []}}}))
    named = messages(more["one"][0]["__warnings__"])
    assert "BatchParameters ShareIdentifier, BatchParameters RetryStrategy EvaluateOnExit not carried" in named, named
    assert "--retry-strategy attempts=2" in more["one"][0]["command"]
    bare = flows_of(schedule_file(tmp_path, Target={"Arn": queue, "Input": "{}"}))["one"][0]
    assert codes(bare["__errors__"]) == ["TARGET_NOT_CARRIED"], bare
    assert "aws-sdk:batch:submitJob" in messages(bare["__errors__"])
    request = {"jobName": "arr", "jobQueue": "q", "jobDefinition": "jd:2", "arrayProperties": {"size": 4},
               "retryStrategy": {"attempts": 3}, "parameters": {"day": "x"}}
    universal = flows_of(schedule_file(tmp_path, Target={"Arn": "arn:aws:scheduler:::aws-sdk:batch:submitJob",
                                                         "Input": json.dumps(request)}))["one"][0]
    assert universal["command"] == f"aws --region us-east-1 batch submit-job --cli-input-json '{json.dumps(request)}'"


def test_an_end_date_that_has_passed_saves_it_inactive(tmp_path: Path) -> None:
    flow = flows_of(schedule_file(tmp_path, EndDate="2020-01-01T00:00:00+00:00"))["one"][0]
    assert flow["active"] == "0" and "has passed" in messages(flow["__warnings__"])


def test_an_end_date_inside_the_proofs_span_leaves_the_proof_unchecked(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A schedule that stops firing in five months (EndDate): the flow fires on, a fact END_DATE
    says; the proof compared two years and said `equivalent`, as the docs say it must not (taskxml
    and Oozie said `unchecked`). One rule for every profile's end now: `unchecked`, naming it."""
    ends = (datetime.now(UTC) + timedelta(days=150)).replace(microsecond=0)
    code, inventory, err = plan_profile(tmp_path, capsys, "eventbridge", schedule_file(tmp_path, EndDate=ends.isoformat()),
                                        target='timezone = "UTC"')
    assert code == 3, err
    [action] = inventory["actions"]
    assert action["action"] == "valid" and action["proof"]["verdict"] == "unchecked", action
    assert f"stops firing after {ends.date()} (END_DATE)" in action["proof"]["reason"]
    assert "END_DATE" in {w["code"] for w in action["warnings"]}


def test_a_start_date_ahead_is_the_flows_start_time(tmp_path: Path) -> None:
    ahead = (datetime.now(UTC) + timedelta(days=400)).replace(hour=22, minute=0, second=0, microsecond=0)
    flow = flows_of(schedule_file(tmp_path, StartDate=ahead.isoformat(), ScheduleExpressionTimezone="Asia/Tokyo"))
    one = flow["one"][0]
    assert one["start_date"] == (ahead + timedelta(hours=9)).date().isoformat()  # the date in the schedule's zone
    assert "START_DATE" in codes(one["__warnings__"])


@pytest.mark.parametrize(("target", "command"), [
    ({"Arn": "arn:aws:ecs:us-east-1:111122223333:cluster/batch", "Input": "{\"containerOverrides\": []}",
      "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/nightly:3",
                        "TaskCount": 1, "LaunchType": "FARGATE",
                        "NetworkConfiguration": {"awsvpcConfiguration": {"Subnets": ["subnet-1"],
                                                                         "AssignPublicIp": "DISABLED"}}}},
     "aws --region us-east-1 ecs run-task --cluster arn:aws:ecs:us-east-1:111122223333:cluster/batch "
     "--task-definition arn:aws:ecs:us-east-1:111122223333:task-definition/nightly:3 --count 1 --launch-type FARGATE "
     "--network-configuration '{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-1\"],\"assignPublicIp\":\"DISABLED\"}}' "
     "--overrides '{\"containerOverrides\": []}'"),
    ({"Arn": "arn:aws:scheduler:::aws-sdk:rds:stopDBCluster", "Input": "{\"DbClusterIdentifier\": \"dev\"}"},
     "aws --region us-east-1 rds stop-db-cluster --cli-input-json '{\"DbClusterIdentifier\": \"dev\"}'"),
    ({"Arn": "arn:aws:scheduler:::aws-sdk:sfn:startExecution", "Input": "{}"},
     "aws --region us-east-1 stepfunctions start-execution --cli-input-json '{}'"),
    ({"Arn": "arn:aws:events:us-east-1:111122223333:event-bus/orders", "Input": "{\"a\": 1}",
      "EventBridgeParameters": {"DetailType": "Tick", "Source": "scheduler.tick"}},
     "aws --region us-east-1 events put-events --entries '[{\"EventBusName\":\"arn:aws:events:us-east-1:"
     "111122223333:event-bus/orders\",\"Source\":\"scheduler.tick\",\"DetailType\":\"Tick\",\"Detail\":\"{\\\"a\\\": 1}\"}]'"),
    ({"Arn": "arn:aws:kinesis:us-east-1:111122223333:stream/clicks", "Input": "{}",
      "KinesisParameters": {"PartitionKey": "p1"}},
     "aws --region us-east-1 kinesis put-record --stream-name clicks --partition-key p1 --cli-binary-format "
     "raw-in-base64-out --data '{}'"),
    ({"Arn": "arn:aws:sagemaker:us-east-1:111122223333:pipeline/train", "Input": "{}",
      "SageMakerPipelineParameters": {"PipelineParameterList": [{"Name": "epochs", "Value": "3"}]}},
     "aws --region us-east-1 sagemaker start-pipeline-execution --pipeline-name train --pipeline-parameters "
     "'[{\"Name\":\"epochs\",\"Value\":\"3\"}]'"),
])
def test_targets_become_the_same_call(tmp_path: Path, target: dict[str, Any], command: str) -> None:
    flow = flows_of(schedule_file(tmp_path, Target={**target, "RoleArn": "arn:aws:iam::1:role/r"}))["one"][0]
    assert flow["__errors__"] == "" and flow["command"] == command


def test_a_target_with_no_cli_equivalent_is_refused(tmp_path: Path) -> None:
    flow = flows_of(schedule_file(tmp_path, Target={"Arn": "arn:aws:firehose:us-east-1:1:deliverystream/x",
                                                    "Input": "{}"}))["one"][0]
    assert codes(flow["__errors__"]) == ["TARGET_NOT_CARRIED"] and "firehose" in messages(flow["__errors__"])


def test_a_file_that_is_not_an_eventbridge_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "dags.json"
    other.write_text(json.dumps({"dags": [{"dag_id": "x"}], "total_entries": 1}), encoding="utf-8")
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", other)
    assert code == 1 and "looks like an airflow export, not eventbridge" in err  # named by sources/detect.py
    with pytest.raises(SourceError, match="does not look like an AWS EventBridge export"):  # the profile itself
        list(registry()["eventbridge"].read(SourceSettings(path=other, profile="eventbridge")))


def test_pages_appended_into_one_file_are_named_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`aws events list-rules … >> rules.json` twice: two documents in one file. Refused, saying so
    (it said only 'Extra data')."""
    page = {"Rules": [{"Name": "nightly", "ScheduleExpression": "cron(0 2 * * ? *)", "State": "ENABLED"}]}
    joined = tmp_path / "rules.json"
    joined.write_text(json.dumps(page, indent=2) + "\n" + json.dumps(page, indent=2) + "\n", encoding="utf-8")
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", joined)
    assert code == 1 and "a second JSON document begins there (two exports or pages joined" in err, err


def test_options_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", FIXTURES / "rules",
                                source_lines='options = { rate_anchor = "yesterday" }')
    assert code == 1 and "rate_anchor" in err
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", FIXTURES / "rules", source_lines='options = { x = 1 }')
    assert code == 1 and "rate_anchor" in err


# -- through the CLI ---------------------------------------------------------------------------------

def test_plan_of_rules_and_schedules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan_profile(tmp_path, capsys, "eventbridge", FIXTURES / "scheduler", target='timezone = "UTC"')
    assert code == 5 and inventory["flows_found"] == 5
    # 1W in Shanghai has no exact UTC form, nor has 20:00 in Berlin (summer time); the one-time schedule has no
    # time schedule; one is a summary only
    assert inventory["invalid_by_reason"] == {"TIMEZONE_MISMATCH": 2, "NO_TIME_SCHEDULE": 1, "MISSING_SCHEDULE": 1}


def test_run_saves_the_targets_calls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "eventbridge", FIXTURES / "rules", target='timezone = "UTC"',
                                run="create_missing = true")
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 5 and report["by_status"]["created"] == 3  # nightly-etl, heartbeat, weekday-report
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = {flow["name"]: flow for flow in (json.loads(value) for (value,) in db.execute(
            "SELECT value FROM state WHERE key LIKE 'flow:%'"))}
    assert len(stored["weekday-report"]["task_details"]) == 2
    assert stored["nightly-etl"]["graph"]["freq"] == "0 0 2 * * ? *"


# -- the review's findings: duplicates, each rate's own phase, rules on other event buses ---------------

RULE_ARN = "arn:aws:events:eu-west-1:111122223333:rule"
LAMBDA = {"Id": "fn", "Arn": "arn:aws:lambda:eu-west-1:111122223333:function:tick", "Input": "{}"}


def write_json(folder: Path, name: str, document: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(document, indent=2), encoding="utf-8")


def test_the_same_rule_or_schedule_twice_is_a_duplicate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two list-rules files of one account (run twice, or from two profiles) hold the same rule: the
    second is refused naming where the first is, never merged or dropped in silence; so is a
    schedule answered twice. A list's summary and a get-schedule answer still complete each other."""
    export = tmp_path / "export"
    rule = {"Name": "nightly", "Arn": f"{RULE_ARN}/nightly", "State": "ENABLED", "EventBusName": "default",
            "ScheduleExpression": "cron(0 2 * * ? *)", "Targets": [LAMBDA]}
    write_json(export, "a-list-rules.json", {"Rules": [rule]})
    write_json(export, "b-list-rules.json", {"Rules": [{**rule, "ScheduleExpression": "cron(0 3 * * ? *)"}]})
    schedule = {"Name": "sync", "GroupName": "ops", "ScheduleExpression": "cron(0 6 * * ? *)",
                "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": {**LAMBDA, "RoleArn": "arn:aws:iam::1:role/r"}}
    write_json(export, "c-get-schedules.json", [schedule, {**schedule, "ScheduleExpression": "cron(0 7 * * ? *)"}])
    write_json(export, "d-list-schedules.json", {"Schedules": [{"Name": "sync", "GroupName": "ops",
                                                                "State": "ENABLED"}]})
    code, planned, _ = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 5
    duplicates = [flow for flow in planned["invalid_flows"] if flow["errors"][0]["code"] == "DUPLICATE"]
    messages_of = sorted(flow["errors"][0]["message"] for flow in duplicates)
    assert len(duplicates) == 2
    assert ("b-list-rules.json Rules[0]: rule default/nightly comes again (first at a-list-rules.json Rules[0])"
            in messages_of[0])
    assert "c-get-schedules.json[1]: schedule ops/sync comes again (first at c-get-schedules.json[0])" in messages_of[1]
    kept = {action["source_key"]: action["freq"] for action in planned["actions"] if action.get("freq")}
    assert kept[f"{RULE_ARN}/nightly"] == "0 0 2 * * ? *"  # the first, with its duplicate reported beside it


def test_a_listing_without_its_last_page_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`aws events list-rules --max-items 2` prints a page and its NextToken: with only such pages the
    rules of the pages after them would be missing without a word (and `--prune disable` would switch
    their flows off). Refused, exit 1, naming the page and token; the whole listing plans."""
    export = tmp_path / "export"
    rules = [{"Name": f"r{n}", "Arn": f"{RULE_ARN}/r{n}", "State": "ENABLED", "EventBusName": "default",
              "ScheduleExpression": f"cron(0 {n} * * ? *)", "Targets": [LAMBDA]} for n in range(4)]
    write_json(export, "rules-1.json", {"Rules": rules[:2], "NextToken": "AAAAAQ=="})
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 1 and "rules-1.json is a page of `aws events list-rules` that ends with NextToken 'AAAAAQ=='" in err
    assert "the rules of the pages after it are missing" in err and "(rules of event bus default)" in err
    # another bus's whole listing beside it (the CLI lists one bus a call) does not end this one's
    write_json(export, "rules-custom.json", {"Rules": [{**rules[0], "Name": "c", "Arn": f"{RULE_ARN}/custom/c",
                                                        "EventBusName": "custom"}]})
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 1 and "(rules of event bus default)" in err, err
    (export / "rules-custom.json").unlink()
    # an empty answer names no bus: another bus's whole (empty) listing, or this one's last page? It ends none
    write_json(export, "rules-archive.json", {"Rules": []})
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 1 and "empty answer(s) name no event bus or group, so none is taken for its last page" in err, err
    (export / "rules-archive.json").unlink()
    write_json(export, "rules-2.json", {"Rules": rules[2:]})  # the last page: no NextToken
    code, planned, _ = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 3 and planned["flows_found"] == 4
    # the same of list-schedules, also when pages were gathered into one file (`jq -s`)
    (export / "rules-1.json").unlink()
    (export / "rules-2.json").unlink()
    write_json(export, "schedules.json", [{"Schedules": [{"Name": "a", "GroupName": "ops"}], "NextToken": "T1"},
                                          {"Schedules": [{"Name": "b", "GroupName": "ops"}], "NextToken": "T2"}])
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 1 and "schedules.json[1] is a page of `aws scheduler list-schedules` that ends with NextToken 'T2'" in err
    write_json(export, "schedules-other.json", {"Schedules": []})  # another group's whole listing: it ends none
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 1 and "empty answer(s) name no event bus or group" in err, err


def test_another_json_file_in_the_folder_stops_the_read_naming_it(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A GCP Cloud Scheduler listing (or a failed answer) among the AWS CLI files was passed over: its
    jobs were missing from the inventory without a word."""
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "rules", export)
    write_json(export, "gcp-scheduler.json", {"jobs": [{"name": "projects/p/locations/l/jobs/nightly",
                                                        "schedule": "0 1 * * *", "timeZone": "UTC"}]})
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 1 and "gcp-scheduler.json: holds no rule, schedule or targets answer of the AWS CLI" in err
    (export / "gcp-scheduler.json").unlink()
    write_json(export, "targets-raw.json", {"Targets": [LAMBDA]})  # list-targets-by-rule without --query
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 1 and "targets-raw.json: a list-targets-by-rule answer that does not name its rule" in err
    (export / "targets-raw.json").unlink()
    code, _, _ = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code in (3, 5)


def test_each_rate_counts_from_its_own_start(tmp_path: Path) -> None:
    """Two rate rules made at different times fire at different minutes: each takes its own anchor
    (rate_anchor:NAME); a schedule without StartDate counts from its CreationDate; whatever is
    assumed is said (RATE_ANCHOR), and the one anchor for every rate says it is one for all."""
    export = tmp_path / "export"
    rules = [{"Name": name, "Arn": f"{RULE_ARN}/{name}", "ScheduleExpression": "rate(10 minutes)", "Targets": [LAMBDA]}
             for name in ("warm-a", "warm-b", "warm-c")]
    write_json(export, "list-rules.json", {"Rules": rules})
    write_json(export, "get-schedule.json", {
        "Name": "poll", "GroupName": "default", "ScheduleExpression": "rate(15 minutes)",
        "CreationDate": "2024-05-01T10:08:12.345000+02:00", "LastModificationDate": "2024-06-01T00:00:00+00:00",
        "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": LAMBDA})
    flows = flows_of(export, **{"rate_anchor:warm-a": "2025-02-03T04:07:41Z",
                                "rate_anchor:default/warm-b": "2025-02-03T04:03:00Z",
                                "rate_anchor": "2025-01-01T00:09:00Z"})
    assert flows["warm-a"][0]["schedule"] == "0 7/10 * * * ? *"
    assert flows["warm-b"][0]["schedule"] == "0 3/10 * * * ? *"
    assert flows["warm-c"][0]["schedule"] == "0 9/10 * * * ? *"
    assert "rate_anchor:warm-c" in messages(flows["warm-c"][0]["__warnings__"])  # one instant for all: said so
    assert "options rate_anchor:warm-a" in messages(flows["warm-a"][0]["__warnings__"])
    poll = flows["poll"][0]
    assert poll["schedule"] == "0 8/15 * * * ? *"  # 08:12 UTC, 15-minute phase 8
    assert codes(poll["__warnings__"]).count("RATE_ANCHOR") == 1
    assert "CreationDate" in messages(poll["__warnings__"]) and "may have moved" in messages(poll["__warnings__"])
    with pytest.raises(SourceError, match="rate_anchor:nope names no rule or schedule"):
        flows_of(export, **{"rate_anchor:nope": "2025-02-03T04:07:41Z"})


def test_targets_are_matched_by_event_bus_and_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`aws events list-rules --event-bus-name orders` and list-targets-by-rule answers: a rule of
    the same name on two buses gets each its own targets (EventBusName as a name or an ARN); an
    answer without EventBusName is the default bus's, never taken for a rule on another bus."""
    export = tmp_path / "export"
    write_json(export, "list-rules-default.json", {"Rules": [
        {"Name": "settle", "Arn": f"{RULE_ARN}/settle", "EventBusName": "default",
         "ScheduleExpression": "cron(0 1 * * ? *)"}]})
    write_json(export, "list-rules-orders.json", {"Rules": [
        {"Name": "settle", "Arn": f"{RULE_ARN}/orders/settle", "EventBusName": "orders",
         "ScheduleExpression": "cron(0 4 * * ? *)"},
        {"Name": "archive", "Arn": f"{RULE_ARN}/orders/archive", "EventBusName": "orders",
         "ScheduleExpression": "cron(0 5 * * ? *)"}]})
    write_json(export, "targets-settle.json", {"Name": "settle", "Targets": [{**LAMBDA, "Id": "default-settle"}]})
    write_json(export, "targets-orders-settle.json", {
        "Name": "settle", "EventBusName": "arn:aws:events:eu-west-1:111122223333:event-bus/orders",
        "Targets": [{**LAMBDA, "Id": "orders-settle"}]})
    write_json(export, "targets-archive.json", {"Name": "archive", "Targets": [{**LAMBDA, "Id": "orders-archive"}]})
    flows = flows_of(export)
    assert flows["settle"][0]["task_name"] == "default-settle"
    assert flows["orders_settle"][0]["task_name"] == "orders-settle"
    archive = flows["orders_archive"][0]
    assert codes(archive["__errors__"]) == ["TARGETS_NOT_EXPORTED"]
    # the command that exports them asks the rule's own bus (else the CLI answers the default bus's)
    assert "--rule archive --event-bus-name orders --query \"{Name: 'archive', EventBusName: 'orders', Targets: " \
           "Targets}\"" in messages(archive["__errors__"])
    assert "TARGETS_OTHER_BUS" in codes(archive["__warnings__"])
    assert "EventBusName: 'orders'" in messages(archive["__warnings__"])
    code, planned, _ = plan_profile(tmp_path, capsys, "eventbridge", export, target='timezone = "UTC"')
    assert code == 5 and planned["warnings_by_code"]["TARGETS_OTHER_BUS"] == 1


@pytest.mark.parametrize(("field", "said"), [("CreationDate", "CreationDate 2026-03-23T07:45:28"),
                                              ("StartDate", "28 s earlier")])
def test_a_rate_counted_from_an_instant_with_seconds_fires_on_its_minute_and_says_so(
        field: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A real get-schedule answer: its CreationDate has seconds, as nearly all do. The flow fires on
    # the minute; the proof counted the rate from the second and refused every such flow.
    path = schedule_file(tmp_path, ScheduleExpression="rate(2 hours)", ScheduleExpressionTimezone="UTC",
                         **{field: "2026-03-23T07:45:28Z"})
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", path, target='timezone = "UTC"')
    assert code == 3, (err, planned.get("invalid_flows"))
    (action,) = planned["actions"]
    assert action["freq"] == "0 45 1/2 * * ? *" and action["proof"]["verdict"] == "equivalent", action
    anchor = [w["message"] for w in action["warnings"] if w["code"] == "RATE_ANCHOR"]
    assert len(anchor) == 1 and said in anchor[0], anchor


def test_pages_saved_by_windows_powershell_in_utf16_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `aws events list-rules > list-rules.json` in Windows PowerShell 5 writes UTF-16 with its mark:
    # it stopped the read ("not utf-8-sig text (byte 0)").
    example = REPO / "data" / "examples" / "eventbridge"
    folder = tmp_path / "pages"
    folder.mkdir()
    for page in example.iterdir():
        (folder / page.name).write_bytes(page.read_text(encoding="utf-8").encode("utf-16"))
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", folder, target='timezone = "UTC"')
    code_utf8, expected, _ = plan_profile(tmp_path, capsys, "eventbridge", example, target='timezone = "UTC"')
    assert code == code_utf8 and "Traceback" not in err, err
    assert [a["source_key"] for a in planned["actions"]] == [a["source_key"] for a in expected["actions"]]
    assert planned["flows_found"] == expected["flows_found"] > 0


def test_utf16_without_its_mark_is_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "list-rules.json"
    page.write_bytes((REPO / "data" / "examples" / "eventbridge" / "list-rules.json").read_text(encoding="utf-8")
                     .encode("utf-16-le"))
    code, _, err = plan_profile(tmp_path, capsys, "eventbridge", page, target='timezone = "UTC"')
    assert code == 1 and "UTF-16 without a byte-order mark" in err and 'encoding = "utf-16-le"' in err, err


def test_dates_in_seconds_since_1970_are_read_as_the_api_writes_them(tmp_path: Path) -> None:
    """The Scheduler API's own dates are numbers (AWS CLI v1 prints them so, v2 with
    cli_timestamp_format = wire): read as absent, a passed EndDate left the flow active, a StartDate
    ahead let it fire months early, and a rate counted from the wrong instant (found by a reviewer)."""
    passed = flows_of(schedule_file(tmp_path, EndDate=1751241600.0))["one"][0]  # 2025-06-30
    assert passed["active"] == "0" and "has passed" in messages(passed["__warnings__"]), passed
    ahead = datetime.now(UTC) + timedelta(days=400)
    started = flows_of(schedule_file(tmp_path, StartDate=ahead.timestamp()))["one"][0]
    assert started["start_date"] == ahead.date().isoformat() and "START_DATE" in codes(started["__warnings__"])
    rate = flows_of(schedule_file(tmp_path, ScheduleExpression="rate(6 hours)", StartDate=1767229200,
                                  CreationDate=1706778764.118))["one"][0]  # 2026-01-01T01:00Z
    assert (rate["schedule"], rate["timezone"]) == ("0 0 1/6 * * ? *", "UTC"), rate
    unread = flows_of(schedule_file(tmp_path, EndDate="next tuesday"))["one"][0]
    assert codes(unread["__errors__"]) == ["INVALID_DATE"] and "EndDate next tuesday" in messages(unread["__errors__"])


def test_dates_in_seconds_since_1970_are_quoted_as_their_instant(tmp_path: Path) -> None:
    """An EndDate or StartDate of seconds since 1970 was read right but quoted raw: "EndDate
    1795876200.0: … disable it on that date", "StartDate 1795964400.0 … the flow starts on that day"
    (found by a reviewer). Each is quoted as its instant in UTC, ISO 8601, the number after it; so is
    a LastModificationDate, which was also said to differ from a CreationDate it equals, the number
    compared with an instant. Dates are built from now, whole seconds as AWS CLI v1 prints them."""
    def seconds(days: int) -> float:
        return float(int((datetime.now(UTC) + timedelta(days=days)).timestamp()))

    def quoted(value: float) -> str:
        return f"{datetime.fromtimestamp(value, UTC).isoformat()} ({value})"

    end, start, passed = seconds(30), seconds(20), seconds(-2)
    ahead = flows_of(schedule_file(tmp_path, StartDate=start, EndDate=end))["one"][0]
    said = messages(ahead["__warnings__"])
    assert f"EndDate {quoted(end)}: the job stops firing then" in said, said
    assert f"StartDate {quoted(start)}: the schedule fired only from then" in said, said
    assert re.search(r"EndDate \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \(\d{10}\.0\): ", said), said
    ended = flows_of(schedule_file(tmp_path, EndDate=passed))["one"][0]
    assert f"EndDate {quoted(passed)} has passed" in messages(ended["__warnings__"]), ended
    created, changed = seconds(-100), seconds(-50)
    for modified, says in ((created, ""), (changed, f"; it was modified at {quoted(changed)}, which")):
        rate = flows_of(schedule_file(tmp_path, ScheduleExpression="rate(6 hours)", CreationDate=created,
                                      LastModificationDate=modified))["one"][0]
        anchor = messages(rate["__warnings__"])
        assert "counted from its CreationDate" in anchor and ("modified at" in anchor) == bool(says), anchor
        assert says in anchor, anchor
    iso = flows_of(schedule_file(tmp_path, EndDate="2031-01-01T00:00:00Z"))["one"][0]  # text: as written
    assert "EndDate 2031-01-01T00:00:00Z: the job stops firing then" in messages(iso["__warnings__"])



def test_a_link_to_a_page_that_is_not_there_is_named(tmp_path: Path, capsys: Any) -> None:
    """A folder whose .json link points at a file not copied was read without it, its rules and
    schedules left out without a word. Found by a fuzzing reviewer (Airflow's pages too)."""
    import shutil

    folder = tmp_path / "eventbridge"
    shutil.copytree(REPO / "data" / "examples" / "eventbridge", folder)
    code, planned, _ = plan_profile(tmp_path, capsys, "eventbridge", folder)
    assert code in (3, 5) and planned["flows_found"], planned
    (folder / "more-rules.json").symlink_to(tmp_path / "elsewhere" / "more-rules.json")
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", folder)
    assert code == 1 and "more-rules.json: a link to a file that is not there" in planned["error"], err
    code, planned, err = plan_profile(tmp_path, capsys, "eventbridge", folder / "*.json")  # a glob of the pages
    assert code == 1 and "more-rules.json: a link to a file that is not there" in planned["error"], err
