"""AWS EventBridge schedules: scheduled rules (`aws events list-rules`) and EventBridge Scheduler
schedules (`aws scheduler list-schedules`, `aws scheduler get-schedule`), as the AWS CLI prints them
in JSON; one file, a folder of `.json` files or a glob. One flow per rule or schedule, one task per
target.

What each file may hold, recognised by its keys:
- `{"Rules": [...]}`: list-rules (Name, Arn, State, Description, ScheduleExpression or EventPattern,
  EventBusName, RoleArn, ManagedBy). It names no targets: give them as
  `aws events list-targets-by-rule --rule NAME --query "{Name: 'NAME', Targets: Targets}"` files
  (a `Targets` list beside a rule's `Name`, and `EventBusName` for another bus), or a rule object
  that holds its own `Targets`; a rule with none is TARGETS_NOT_EXPORTED;
- `{"Schedules": [...]}`: list-schedules (Name, GroupName, State, Target.Arn, no expression): each
  needs its `aws scheduler get-schedule --name NAME --group-name GROUP` answer, else MISSING_SCHEDULE;
- a get-schedule answer (or a list of them, `jq -s`): ScheduleExpression,
  ScheduleExpressionTimezone, StartDate, EndDate, FlexibleTimeWindow, Target (Arn, RoleArn, Input,
  RetryPolicy, DeadLetterConfig, and the Ecs/EventBridge/Kinesis/SageMakerPipeline/Sqs parameters),
  State, Description, ActionAfterCompletion, KmsKeyArn.
A schedule or rule found in several files is one flow, the facts of all put together (a
get-schedule answer over the list's summary).

Identity: the key is the rule's or schedule's ARN (it holds the region and the account), else
`rule BUS/NAME` or `schedule GROUP/NAME`; the flow name is the name, after `GROUP_` or `BUS_` when
that is not `default`.

Schedule (`migrate/schedule/eventbridge.py`): `cron(…)` carried as Quartz in its zone (rules
always fire in UTC; a schedule in its ScheduleExpressionTimezone, UTC when unset); `rate(…)` is a
fixed interval counted from StartDate, else from `options = { rate_anchor = "…" }` (an instant it
fired at, RATE_ANCHOR), in UTC; a rule's rate counts from when the rule was created, which no
export says, so it needs that option (NEEDS_START otherwise) unless it is `rate(1 minute)`.
`at(…)` fires once, which a flow cannot: unscheduled, like other one-time jobs. A rule triggered by
an event pattern has no time schedule either (unscheduled, naming the pattern).

State: DISABLED saves the flow inactive (SOURCE_DISABLED). EndDate is END_DATE (one that has passed
saves the flow inactive); a StartDate still ahead becomes the flow's startTime (START_DATE).
Reported: FLEXIBLE_WINDOW, RETRY, DEAD_LETTER_QUEUE, TARGET_ROLE, EVENT_PAYLOAD (the target got
EventBridge's own event, or a part of it, which a task cannot send), INPUT_PLACEHOLDER
(`<aws.scheduler.scheduled-time>` and the like, kept as written), KMS_KEY, MANAGED_RULE,
EVENT_PATTERN, TARGET_PARAMETERS.

Targets become AWS CLI commands doing the same call (TARGET_AS_CLI): Lambda (asynchronous
invoke), Step Functions, SQS, SNS, an event bus, ECS RunTask, Kinesis, CodeBuild, AWS Batch,
SageMaker pipelines, and Scheduler's universal targets (`arn:aws:scheduler:::aws-sdk:sqs:sendMessage`
as `aws sqs send-message --cli-input-json INPUT`). Any other target is TARGET_NOT_CARRIED.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from migrate.config import SourceSettings
from migrate.schedule.eventbridge import convert_cron, convert_rate, one_time, read_expression
from migrate.schedule.result import NEEDS_START, Rejection
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.profiles.end_dates import report_end, today
from migrate.sources.profiles.json_documents import json_files, read_json_file
from migrate.sources.readers import SourceError, SourceRow

OPTIONS = ("rate_anchor",)
EXPECTED = ("expected AWS CLI JSON: aws events list-rules ({\"Rules\": [...]}), aws scheduler list-schedules "
            "({\"Schedules\": [...]}) or aws scheduler get-schedule answers")
SCHEDULE_KEYS = ("ScheduleExpression", "FlexibleTimeWindow", "GroupName", "ScheduleExpressionTimezone", "Target")
PLACEHOLDER = re.compile(r"<aws\.scheduler\.[a-z-]+>")
UNIVERSAL = re.compile(r"^arn:aws[a-z-]*:scheduler:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$")
# Scheduler's universal targets name SDK clients; the AWS CLI calls a few of them otherwise.
CLI_SERVICES = {"sfn": "stepfunctions", "cloudwatchlogs": "logs", "eventbridge": "events",
                "elasticloadbalancingv2": "elbv2"}
KNOWN_TARGET_KEYS = ("Arn", "Id", "RoleArn", "Input", "InputPath", "InputTransformer", "RetryPolicy",
                     "DeadLetterConfig", "EcsParameters", "EventBridgeParameters", "KinesisParameters",
                     "SqsParameters", "SageMakerPipelineParameters", "BatchParameters")


class Unreadable(Exception):
    """A fact of one rule or schedule whose shape makes no sense: that flow's error."""


class NotCarried(Exception):
    """A target this profile cannot turn into a command: that flow's error."""


# -- reading the files ----------------------------------------------------------------------------

def _entries(document: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """("rule" | "schedule" | "targets", entry) for everything the document holds."""
    if isinstance(document, list):
        for item in document:
            yield from _entries(item, where)
        return
    if not isinstance(document, dict):
        return
    if isinstance(document.get("Rules"), list):
        yield from (("rule", item) for item in document["Rules"] if isinstance(item, dict))
    elif isinstance(document.get("Schedules"), list):
        yield from (("schedule", item) for item in document["Schedules"] if isinstance(item, dict))
    elif ":schedule/" in str(document.get("Arn", "")) or any(key in document for key in SCHEDULE_KEYS):
        yield "schedule", document
    elif ":rule/" in str(document.get("Arn", "")) or "EventPattern" in document:
        yield "rule", document
    elif isinstance(document.get("Targets"), list) and isinstance(document.get("Name"), str):
        yield "targets", document


def _container(kind: str, entry: dict[str, Any]) -> str:
    """The schedule group or the rule's event bus (`default` when the export leaves it out)."""
    name = entry.get("GroupName") if kind == "schedule" else entry.get("EventBusName")
    return str(name) if name else "default"


def _identity(kind: str, entry: dict[str, Any]) -> str:
    arn = entry.get("Arn")
    if isinstance(arn, str) and arn:
        return arn
    return f"{kind} {_container(kind, entry)}/{entry.get('Name', '')}"


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over`'s facts on top of `base`'s, objects (a Target) merged key by key."""
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(
            merged.get(key), dict) else value
    return merged


def _merged(settings: SourceSettings) -> list[tuple[str, dict[str, Any]]]:
    """Every rule and schedule of the files, a later file's facts filling in an earlier one's."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    by_name: dict[tuple[str, str, str], str] = {}  # (kind, group or bus, name) -> key
    targets: dict[tuple[str, str], list[Any]] = {}
    for path in json_files(settings.path):
        for kind, entry in _entries(read_json_file(path, settings.encoding), str(path)):
            if kind == "targets":
                targets[(_container("rule", entry), str(entry["Name"]))] = entry["Targets"]
                continue
            named = (kind, _container(kind, entry), str(entry.get("Name")))
            key = _identity(kind, entry)
            if key not in found and not entry.get("Arn"):  # the same one without its ARN: by group and name
                key = by_name.get(named, key)
            by_name.setdefault(named, key)
            known = found.get(key, (kind, {}))[1]
            given = {k: v for k, v in entry.items() if v is not None}
            # A get-schedule answer (it has the expression) wins over a list's summary, whatever the file order.
            found[key] = (kind, _merge(known, given) if "ScheduleExpression" in given or "ScheduleExpression" not in
                          known else _merge(given, known))
    for kind, entry in found.values():
        listed = targets.get((_container(kind, entry), str(entry.get("Name"))))
        if kind == "rule" and listed is not None and not entry.get("Targets"):
            entry["Targets"] = listed
    if not found:
        raise SourceError(f"{settings.path}: this does not look like an AWS EventBridge export ({EXPECTED}; found no "
                          "rule and no schedule)")
    return list(found.values())


def _options(settings: SourceSettings) -> datetime | None:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{settings.path}: eventbridge options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    text = settings.options.get("rate_anchor")
    if text is None:
        return None
    anchor = _instant(text)
    if anchor is None:
        raise SourceError(f"{settings.path}: eventbridge option rate_anchor = {text!r} is not an ISO instant such as "
                          "2024-05-01T10:03:00Z")
    return anchor


# -- values ---------------------------------------------------------------------------------------

def _instant(value: Any) -> datetime | None:
    """An AWS CLI date (`2024-05-01T10:00:00+00:00`, with or without fractions), as UTC; a date
    without an offset is UTC, as AWS writes it."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _map(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise Unreadable(f"{where} is {json.dumps(value)[:80]}, not an object")


def _region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 else ""


def _resource(arn: str) -> str:
    """The resource part of an ARN (`function:name`, `stateMachine:x`, `queue`, `cluster/x`)."""
    return arn.split(":", 5)[5] if arn.count(":") >= 5 else ""


def _kebab(action: str) -> str:
    """An SDK operation name as the AWS CLI spells it (botocore's xform_name): stopDBCluster ->
    stop-db-cluster."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", action)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", spaced).lower()


# -- targets --------------------------------------------------------------------------------------

def _lower_keys(value: Any) -> Any:
    """Scheduler and rules write ECS's awsvpcConfiguration keys capitalised; the ECS API's are not."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:]): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _ecs(target: dict[str, Any], arn: str, flow: FlowRows, where: str) -> list[str]:
    parameters = _map(target.get("EcsParameters"), f"{where} EcsParameters")
    words = ["ecs", "run-task", "--cluster", arn]
    options = {"TaskDefinitionArn": "--task-definition", "TaskCount": "--count", "LaunchType": "--launch-type",
               "PlatformVersion": "--platform-version", "Group": "--group"}
    for key, option in options.items():
        if parameters.get(key) is not None:
            words += [option, str(parameters[key])]
    network = parameters.get("NetworkConfiguration")
    if network:
        words += ["--network-configuration", json.dumps(_lower_keys(network), separators=(",", ":"))]
    other = sorted(set(parameters) - {*options, "NetworkConfiguration"})
    if other:
        flow.warn("TARGET_PARAMETERS", f"{where}: EcsParameters {', '.join(other)} are not carried")
    if target.get("Input"):
        words += ["--overrides", _text(target["Input"])]
    return words


def _target_words(target: dict[str, Any], flow: FlowRows, where: str) -> list[str]:
    """The AWS CLI words (after `aws`) of one target's call; the input as AWS sent it."""
    arn = _text(target.get("Arn"))
    payload = target.get("Input")
    body = _text(payload) if payload is not None else None
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    resource = _resource(arn)
    if universal := UNIVERSAL.match(arn):
        service_name, action = universal.groups()
        words = [CLI_SERVICES.get(service_name, service_name), _kebab(action)]
        return words + (["--cli-input-json", body] if body is not None else [])
    if service == "lambda":
        words = ["lambda", "invoke", "--function-name", arn, "--invocation-type", "Event"]
        if body is not None:
            words += ["--cli-binary-format", "raw-in-base64-out", "--payload", body]
        return [*words, "/dev/null"]
    if service == "states":
        return ["stepfunctions", "start-execution", "--state-machine-arn", arn] + (
            ["--input", body] if body is not None else [])
    if service == "sqs":
        parts = arn.split(":")
        words = ["sqs", "send-message", "--queue-url", f"https://sqs.{parts[3]}.amazonaws.com/{parts[4]}/{parts[5]}",
                 "--message-body", body if body is not None else "{}"]
        group = _map(target.get("SqsParameters"), f"{where} SqsParameters").get("MessageGroupId")
        return words + (["--message-group-id", str(group)] if group else [])
    if service == "sns":
        return ["sns", "publish", "--topic-arn", arn, "--message", body if body is not None else "{}"]
    if service == "events" and resource.startswith("event-bus/"):
        parameters = _map(target.get("EventBridgeParameters"), f"{where} EventBridgeParameters")
        entry = {"EventBusName": arn, "Source": parameters.get("Source", ""),
                 "DetailType": parameters.get("DetailType", ""), "Detail": body if body is not None else "{}"}
        return ["events", "put-events", "--entries", json.dumps([entry], separators=(",", ":"))]
    if service == "ecs" and resource.startswith("cluster/"):
        return _ecs(target, arn, flow, where)
    if service == "kinesis" and resource.startswith("stream/"):
        parameters = _map(target.get("KinesisParameters"), f"{where} KinesisParameters")
        key = parameters.get("PartitionKey")
        if key is None:
            raise NotCarried(f"{where}: a Kinesis target takes its partition key from the event "
                             f"({parameters.get('PartitionKeyPath', 'no PartitionKey')}), which a task cannot")
        return ["kinesis", "put-record", "--stream-name", resource.split("/", 1)[1], "--partition-key", str(key),
                "--cli-binary-format", "raw-in-base64-out", "--data", body if body is not None else "{}"]
    if service == "codebuild" and resource.startswith("project/"):
        return ["codebuild", "start-build", "--project-name", resource.split("/", 1)[1]]
    if service == "batch" and resource.startswith("job-queue/"):
        parameters = _map(target.get("BatchParameters"), f"{where} BatchParameters")
        return ["batch", "submit-job", "--job-queue", arn, "--job-name", str(parameters.get("JobName", "")),
                "--job-definition", str(parameters.get("JobDefinition", ""))]
    if service == "sagemaker" and resource.startswith("pipeline/"):
        parameters = _map(target.get("SageMakerPipelineParameters"), f"{where} SageMakerPipelineParameters")
        words = ["sagemaker", "start-pipeline-execution", "--pipeline-name", resource.split("/", 1)[1]]
        listed = parameters.get("PipelineParameterList")
        return words + (["--pipeline-parameters", json.dumps(listed, separators=(",", ":"))] if listed else [])
    raise NotCarried(f"{where}: the target {arn or '(no Arn)'} is not one this profile turns into a command "
                     "(Lambda, Step Functions, SQS, SNS, an event bus, ECS, Kinesis, CodeBuild, Batch, SageMaker "
                     "pipelines, universal targets)")


def _target_notes(flow: FlowRows, target: dict[str, Any], kind: str, where: str) -> None:
    """What AWS did around the call that the task does not."""
    if target.get("RoleArn"):
        flow.warn("TARGET_ROLE", f"{where}: AWS called it as {target['RoleArn']}; the task's aws CLI runs with the "
                                 "worker's credentials")
    retry = _map(target.get("RetryPolicy"), f"{where} RetryPolicy")
    if retry:
        flow.warn("RETRY", f"{where}: AWS retried a failed call ({', '.join(f'{k} {v}' for k, v in retry.items())}); "
                           "the task is not retried")
    dead_letter = _map(target.get("DeadLetterConfig"), f"{where} DeadLetterConfig")
    if dead_letter.get("Arn"):
        flow.warn("DEAD_LETTER_QUEUE", f"{where}: failed calls went to {dead_letter['Arn']}; not carried")
    reshaped = [key for key in ("InputPath", "InputTransformer") if target.get(key)]
    if reshaped:
        flow.warn("EVENT_PAYLOAD", f"{where}: the target got a part of EventBridge's Scheduled Event "
                                   f"({', '.join(reshaped)}), which changes at every run; the task sends none of it")
    elif target.get("Input") is None and kind == "rule":
        flow.warn("EVENT_PAYLOAD", f"{where}: the target got EventBridge's Scheduled Event (its id, time and "
                                   "resources, new at every run); the task sends an empty payload")
    elif target.get("Input") is None:
        flow.warn("EVENT_PAYLOAD", f"{where}: Scheduler called the target without an Input; the task sends an empty "
                                   "payload where the call needs one")
    placeholders = sorted(set(PLACEHOLDER.findall(_text(target.get("Input")))))
    if placeholders:
        flow.warn("INPUT_PLACEHOLDER", f"{where}: Scheduler put values in place of {', '.join(placeholders)} at each "
                                       "run; kept as written")
    other = sorted(set(target) - set(KNOWN_TARGET_KEYS))
    if other:
        flow.warn("TARGET_PARAMETERS", f"{where}: {', '.join(other)} not carried")


def _tasks(flow: FlowRows, kind: str, entry: dict[str, Any]) -> None:
    if kind == "rule":
        targets = entry.get("Targets")
        if not isinstance(targets, list) or not targets:
            rule = entry.get("Name")
            flow.fail("TARGETS_NOT_EXPORTED", f"the rule's targets are not in the export (list-rules names none): add "
                                              f"aws events list-targets-by-rule --rule {rule} --query "
                                              f"\"{{Name: '{rule}', Targets: Targets}}\" as a file beside it")
            return
    else:
        targets = [entry.get("Target")]
        if not isinstance(targets[0], dict) or not targets[0].get("Arn"):
            flow.fail("MISSING_TARGET", "the schedule has no Target.Arn")
            return
    region = _region(_text(entry.get("Arn")))
    for number, item in enumerate(targets, start=1):
        target = _map(item, f"target {number}")
        name = _text(target.get("Id")) or re.split(r"[:/]", _text(target.get("Arn")))[-1] or f"target{number}"
        where = f"target {name}"
        words = _target_words(target, flow, where)
        target_region = _region(_text(target.get("Arn"))) or region
        command = ["aws", *(["--region", target_region] if target_region else []), *words]
        flow.tasks.append({"task_id": str(number), "task_name": name, "command": shlex.join(command)})
        _target_notes(flow, target, kind, where)
    flow.warn("TARGET_AS_CLI", "each task makes its target's call with the AWS CLI (the aws command where the "
                               "service runs it)")


# -- schedules ------------------------------------------------------------------------------------

def _in_zone(moment: datetime, zone: str) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (KeyError, ValueError, OSError):
        return moment


def _schedule(flow: FlowRows, kind: str, entry: dict[str, Any], rate_anchor: datetime | None) -> None:
    expression = entry.get("ScheduleExpression")
    zone = "UTC" if kind == "rule" else (_text(entry.get("ScheduleExpressionTimezone")) or "UTC")
    if not expression:
        if kind == "rule":
            pattern = _text(entry.get("EventPattern"))
            flow.unscheduled(f"an EventBridge rule triggered by events matching {pattern[:200] or 'its pattern'}: it "
                             "has no time schedule")
        else:
            flow.fail("MISSING_SCHEDULE", "list-schedules holds no schedule expression: add the answer of aws "
                                          f"scheduler get-schedule --name {entry.get('Name')} --group-name "
                                          f"{_container(kind, entry)}")
        return
    if kind == "rule" and entry.get("EventPattern"):
        flow.warn("EVENT_PATTERN", "the rule also ran on events matching its pattern: not carried")
    try:
        form, body = read_expression(_text(expression))
        if form == "cron":
            flow.schedule = convert_cron(body).freq
            flow.cells["timezone"] = zone
        elif form == "rate":
            _rate(flow, body, kind, entry, rate_anchor)
        else:
            _one_time(flow, body, zone, entry)
    except Rejection as rejection:
        flow.fail(rejection.code, f"ScheduleExpression {expression!r}: {rejection.message}")


def _rate(flow: FlowRows, body: str, kind: str, entry: dict[str, Any], rate_anchor: datetime | None) -> None:
    start = _instant(entry.get("StartDate"))
    anchor = start or rate_anchor
    try:
        converted = convert_rate(body, anchor.replace(tzinfo=None) if anchor else None)
    except Rejection as rejection:
        if rejection.code != NEEDS_START:
            raise
        created = f" (its CreationDate {entry['CreationDate']} is that instant only if it never changed)" if (
            entry.get("CreationDate")) else ""
        when = ("from when the rule was created, which no export says" if kind == "rule"
                else f"from when the schedule started, which the export does not say{created}")
        raise Rejection(NEEDS_START, f"rate({body}) counts {when} (and no StartDate): set [source] options = "
                                     "{ rate_anchor = \"2024-05-01T10:03:00Z\" } to an instant it fired at (its "
                                     "CloudWatch Invocations metric shows them)") from None
    flow.schedule = converted.freq
    flow.cells["timezone"] = "UTC"  # a rate is a fixed interval in absolute time
    if start is None and anchor is not None and body not in ("1 minute",):
        flow.warn("RATE_ANCHOR", f"rate({body}) counted from {anchor.isoformat()} (options rate_anchor), to the "
                                 "minute: the source's own start is not in the export")


def _one_time(flow: FlowRows, body: str, zone: str, entry: dict[str, Any]) -> None:
    at = one_time(body)
    try:
        passed = " It has passed: it fired, or will not." if at.replace(tzinfo=ZoneInfo(zone)) < datetime.now(UTC) \
            else ""
    except (KeyError, ValueError, OSError):
        passed = ""
    after = entry.get("ActionAfterCompletion")
    deleted = " AWS deletes it after it fires (ActionAfterCompletion DELETE)." if after == "DELETE" else ""
    flow.unscheduled(f"an EventBridge Scheduler one-time schedule at({body}) in {zone}: it fires once, and a flow "
                     f"cannot.{passed}{deleted}")


def _dates(flow: FlowRows, entry: dict[str, Any], zone: str) -> None:
    start, end = _instant(entry.get("StartDate")), _instant(entry.get("EndDate"))
    if end is not None:
        report_end(flow, "EndDate", _text(entry.get("EndDate")), _in_zone(end, zone).date())
    if start is not None and start.date() > today():
        first: date = _in_zone(start, zone).date()
        flow.cells["start_date"] = first.isoformat()
        flow.warn("START_DATE", f"StartDate {entry['StartDate']}: the schedule fired only from then; the flow's "
                                f"startTime is {first} (a date: the day's earlier times fire too)")


def _state(flow: FlowRows, entry: dict[str, Any]) -> None:
    state = _text(entry.get("State")) or "ENABLED"
    flow.cells["active"] = "1" if state.startswith("ENABLED") else "0"
    if not state.startswith("ENABLED"):
        flow.warn("SOURCE_DISABLED", f"State {state}: saved inactive")


def _notes(flow: FlowRows, kind: str, entry: dict[str, Any]) -> None:
    window = _map(entry.get("FlexibleTimeWindow"), "FlexibleTimeWindow")
    if window.get("Mode") == "FLEXIBLE":
        flow.warn("FLEXIBLE_WINDOW", f"the schedule fired at a moment AWS chose within "
                                     f"{window.get('MaximumWindowInMinutes')} minutes of its time; the flow fires on "
                                     "the time itself")
    if entry.get("KmsKeyArn"):
        flow.warn("KMS_KEY", f"the schedule's data was encrypted with {entry['KmsKeyArn']}: not carried")
    if entry.get("ManagedBy"):
        flow.warn("MANAGED_RULE", f"the rule is managed by {entry['ManagedBy']}, which made it and may change it")
    if kind == "rule" and entry.get("RoleArn"):
        flow.warn("TARGET_ROLE", f"the rule sent its events as {entry['RoleArn']}: not carried")


def _flow(kind: str, entry: dict[str, Any], rate_anchor: datetime | None) -> FlowRows:
    name = _text(entry.get("Name"))
    container = _container(kind, entry)
    flow = FlowRows(key=_identity(kind, entry), name=name if container == "default" else f"{container}_{name}")
    if not name:
        flow.fail("MALFORMED_ENTRY", f"a {kind} without a Name: {json.dumps(entry, default=str)[:120]}")
        return flow
    flow.cells["desc"] = _text(entry.get("Description"))
    try:
        _state(flow, entry)
        _schedule(flow, kind, entry, rate_anchor)
        zone = flow.cells.get("timezone") or _text(entry.get("ScheduleExpressionTimezone")) or "UTC"
        if kind == "schedule":
            _dates(flow, entry, zone)
        _notes(flow, kind, entry)
        if not any(error["code"] == "MISSING_SCHEDULE" for error in flow.errors):  # a summary: no target facts
            _tasks(flow, kind, entry)
    except Unreadable as error:
        flow.fail("MALFORMED_ENTRY", f"{kind} {container}/{name}: {error}")
    except NotCarried as error:
        flow.fail("TARGET_NOT_CARRIED", f"{kind} {container}/{name}: {error}; write its command by hand")
    return flow


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    rate_anchor = _options(settings)
    for kind, entry in _merged(settings):
        yield _flow(kind, entry, rate_anchor)


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("eventbridge", "quartz", read, "AWS EventBridge rules and Scheduler schedules (AWS CLI JSON)")
