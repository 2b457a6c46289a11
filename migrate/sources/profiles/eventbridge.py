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
- an `aws events describe-rule --name NAME` answer (a rule object with its rule ARN), read as a
  list-rules item, its targets from the same files;
- `{"Schedules": [...]}`: list-schedules (Name, GroupName, State, Target.Arn, no expression): each
  needs its `aws scheduler get-schedule --name NAME --group-name GROUP` answer, else MISSING_SCHEDULE;
- a get-schedule answer (or a list of them, `jq -s`): ScheduleExpression,
  ScheduleExpressionTimezone, StartDate, EndDate, FlexibleTimeWindow, Target (Arn, RoleArn, Input,
  RetryPolicy, DeadLetterConfig, and the Ecs/EventBridge/Kinesis/SageMakerPipeline/Sqs parameters),
  State, Description, ActionAfterCompletion, KmsKeyArn.
An object is told by its ARN (`:rule/`, `:schedule/`), else by keys only one of them has. One that
holds a rule's Targets beside its ScheduleExpression or EventPattern and no Arn is no answer of the
AWS CLI: the Properties of a CloudFormation AWS::Events::Rule, refused naming it.
A listing printed a page at a time (`--max-items`: each page but the last ends with a NextToken)
needs its last page: when every page of a listing has a NextToken, the export is refused.
A list's item and an answer about the same schedule or rule (a list-schedules summary and its
get-schedule answer) are one flow, the answer's facts over the summary's; but a list-rules item and
a describe-rule answer that differ in what both say (State, ScheduleExpression, ...) make the rule's
flow a DUPLICATE error naming both places and what differs: which is current no file says, and
merged, the one whose file sorted last won. Two of the same form (the same rule in two list-rules
files, a schedule answered twice) are a DUPLICATE: the second a failing flow naming the first's
file and place. Targets are matched to rules by event bus and name (`EventBusName` as a name or an
ARN; none is the default bus's, never taken for a rule on another bus: TARGETS_OTHER_BUS).

Identity: the key is the rule's or schedule's ARN (it holds the region and the account), else
`rule BUS/NAME` or `schedule GROUP/NAME`; the flow name is the name, after `GROUP_` or `BUS_` when
that is not `default`.

Schedule (`migrate/schedule/eventbridge.py`): `cron(…)` carried as Quartz in its zone (rules
always fire in UTC; a schedule in its ScheduleExpressionTimezone, UTC when unset); `rate(…)` is a
fixed interval counted from StartDate (exact), in UTC. Without one its phase is assumed, and said
(RATE_ANCHOR): `options = { "rate_anchor:NAME" = "…" }` (an instant that rule or schedule fired at,
by Name or BUS/NAME, GROUP/NAME), else a schedule's CreationDate, else `rate_anchor` (one instant
for every other rate); a rule's rate counts from when the rule was created, which no export says,
so it needs one of them (NEEDS_START otherwise) unless it is `rate(1 minute)`.
`at(…)` (Scheduler's one-time schedule) still ahead is the freq of its minute with its year, which
fires once (ONE_TIME), in its zone, as the Windows profiles carry a one-time trigger (the mapping
places it at its instant in the service's zone); the proof reads it as the `cron(…)` of that minute.
One that has passed fires no more: unscheduled. AWS ignores a one-time schedule's StartDate and
EndDate, and so does the flow (named under START_DATE, END_DATE).
A rule triggered by an event pattern has no time schedule either (unscheduled, naming the pattern).

State: DISABLED saves the flow inactive (SOURCE_DISABLED). EndDate, an instant (Scheduler fires only
before it), is END_DATE: one that has passed saves the flow inactive; one ahead is `source_end`, the
instant, so that the mapping saves a schedule ending before its first run inactive (NEVER_RUNS).
A StartDate still ahead becomes the flow's startTime (START_DATE), as an instant (`source_start`):
the mapping starts the flow on the day of its first run in the service's zone (START_DATE_SHIFTED),
or names the runs a day's start adds or misses (FIRST_DAY).
Reported: FLEXIBLE_WINDOW, RETRY, DEAD_LETTER_QUEUE, TARGET_ROLE, EVENT_PAYLOAD (the target got
EventBridge's own event, or a part of it, which a task cannot send), INPUT_PLACEHOLDER
(`<aws.scheduler.scheduled-time>` and the like, kept as written), KMS_KEY, MANAGED_RULE,
EVENT_PATTERN, TARGET_PARAMETERS, ACTION_AFTER_COMPLETION (DELETE: AWS deletes the schedule after its
last run; the flow stays).

Targets become AWS CLI commands doing the same call (TARGET_AS_CLI): Lambda (asynchronous
invoke), Step Functions, SQS, SNS, an event bus, ECS RunTask, Kinesis, CodeBuild, AWS Batch (a rule's
BatchParameters: job definition and name, `--array-properties`, `--retry-strategy`; and what AWS takes
of its Input: Parameters, ContainerOverrides, DependsOn, none null or empty; the rest TARGET_PARAMETERS),
SageMaker pipelines, and Scheduler's universal targets (`arn:aws:scheduler:::aws-sdk:sqs:sendMessage`
as `aws sqs send-message --cli-input-json INPUT`; Scheduler submits Batch jobs only so, its Target
having no BatchParameters).
Any other target is TARGET_NOT_CARRIED.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from migrate.config import SourceSettings
from migrate.schedule.eventbridge import (
    ONE_TIME,
    convert_cron,
    convert_one_time,
    convert_rate,
    rate_seconds,
    read_expression,
)
from migrate.schedule.result import NEEDS_START, Rejection
from migrate.sources.profiles import FlowRows, Profile, rows_of
from migrate.sources.profiles.end_dates import report_end
from migrate.sources.profiles.json_documents import json_files, read_json_file
from migrate.sources.readers import SourceError, SourceRow

EXPECTED = ("expected AWS CLI JSON: aws events list-rules ({\"Rules\": [...]}) or describe-rule answers, aws "
            "scheduler list-schedules ({\"Schedules\": [...]}) or get-schedule answers")
# Keys only a get-schedule answer has, and only a rule (describe-rule, a list-rules item) has: what an
# answer without an Arn is told by. A ScheduleExpression alone is a schedule's, as before.
SCHEDULE_ONLY_KEYS = ("FlexibleTimeWindow", "GroupName", "ScheduleExpressionTimezone", "Target")
RULE_ONLY_KEYS = ("EventPattern", "EventBusName", "ManagedBy", "CreatedBy")
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

@dataclass(frozen=True)
class Entry:
    """One rule, schedule or targets answer of the files, and where it stands in them."""

    kind: str  # "rule", "schedule" or "targets"
    facts: dict[str, Any]
    listed: bool  # an item of list-rules or list-schedules (else an answer about one: get-schedule, a rule object)
    place: str  # `list-rules.json: Rules[2]`


def _entries(document: Any, where: str) -> Iterator[Entry]:
    """Everything the document holds, each with its place in the file."""
    if isinstance(document, list):
        for number, item in enumerate(document):
            yield from _entries(item, f"{where}[{number}]")
        return
    if not isinstance(document, dict):
        return
    for key, kind in (("Rules", "rule"), ("Schedules", "schedule")):
        if isinstance(document.get(key), list):
            yield from (Entry(kind, item, True, f"{where} {key}[{number}]")
                        for number, item in enumerate(document[key]) if isinstance(item, dict))
            return
    arn = str(document.get("Arn") or "")
    targets = isinstance(document.get("Targets"), list)
    timed = "ScheduleExpression" in document or "EventPattern" in document
    # The ARN says which it is: a describe-rule answer has a ScheduleExpression too, and was read
    # as a schedule without its Target (MISSING_TARGET), its targets file passed over.
    if ":schedule/" in arn:
        yield Entry("schedule", document, False, where)
    elif ":rule/" in arn:
        yield Entry("rule", document, False, where)
    elif not arn and targets and timed:
        # No AWS CLI answer holds a rule's Targets without its Arn: CloudFormation's AWS::Events::Rule
        # Properties (or Terraform's, hand-copied) do, and describe what was deployed, not what runs.
        yield Entry("cloudformation", document, False, where)
    elif targets and isinstance(document.get("Name"), str):
        yield Entry("targets", document, False, where)
    elif any(key in document for key in SCHEDULE_ONLY_KEYS):
        yield Entry("schedule", document, False, where)
    elif any(key in document for key in RULE_ONLY_KEYS):
        yield Entry("rule", document, False, where)
    elif "ScheduleExpression" in document:
        yield Entry("schedule", document, False, where)


def _bus_name(value: Any) -> str:
    """An event bus as list-rules names it: `orders` for `arn:aws:events:…:event-bus/orders` too."""
    text = str(value) if value else "default"
    return text.split(":event-bus/", 1)[1] if ":event-bus/" in text else text


def _container(kind: str, entry: dict[str, Any]) -> str:
    """The schedule group or the rule's event bus (`default` when the export leaves it out)."""
    if kind == "schedule":
        return str(entry.get("GroupName") or "default")
    return _bus_name(entry.get("EventBusName"))


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


@dataclass
class Found:
    """A rule or schedule with the facts of every place it was found in."""

    kind: str
    facts: dict[str, Any]
    places: dict[bool, str] = field(default_factory=dict)  # listed or not -> the first place of that form
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (this place, the first's place)
    notes: list[tuple[str, str]] = field(default_factory=list)  # warnings found while matching (code, message)
    disagreement: str = ""  # a list-rules item and a describe-rule answer that differ: why the rule is refused


def _duplicate_message(kind: str, name: str, place: str, first: str) -> str:
    return (f"{place}: {kind} {name} comes again (first at {first}); two exports of one {kind} may disagree: the "
            "first is planned and this one is not: remove the one that is out of date")


def _merged(settings: SourceSettings) -> list[Found]:
    """Every rule and schedule of the files. A list's item and an answer about the same one (a
    list-schedules summary and its get-schedule answer) complete each other, whatever the file
    order; two of the same form (the same rule in two list-rules files) are a DUPLICATE."""
    found: dict[str, Found] = {}
    by_name: dict[tuple[str, str, str], str] = {}  # (kind, group or bus, name) -> key
    targets: dict[tuple[str, str], tuple[list[Any], str]] = {}  # (bus, rule) -> (targets, place)
    target_duplicates: dict[tuple[str, str], list[tuple[str, str]]] = {}
    pages: dict[str, list[tuple[str, str]]] = {}  # listing (one bus's rules, the schedules) -> (place, NextToken)
    files = json_files(settings)
    for path in files:
        document = read_json_file(path, settings.encoding)
        for listing, place, token in _pages(document, path.name):
            pages.setdefault(listing, []).append((place, token))
        entries = list(_entries(document, path.name))
        if not entries and not any(_pages(document, path.name)) and len(files) > 1:
            # A folder's (or a glob's) other JSON file: another scheduler's export, a failed answer.
            # Passed over, its jobs would be missing from the inventory without a word.
            if isinstance(document, dict) and isinstance(document.get("Targets"), list):
                raise SourceError(f"{path}: a list-targets-by-rule answer that does not name its rule: export it as "
                                  "aws events list-targets-by-rule --rule NAME --query \"{Name: 'NAME', Targets: "
                                  "Targets}\", so that its targets can be matched to their rule")
            raise SourceError(f"{path}: holds no rule, schedule or targets answer of the AWS CLI ({EXPECTED}): "
                              "move it out of the folder, or name the files of the export with a glob")
        for entry in entries:
            if entry.kind == "cloudformation":
                raise SourceError(
                    f"{path}{entry.place.removeprefix(path.name)}: looks like the Properties of a CloudFormation "
                    "AWS::Events::Rule (a rule's Name, ScheduleExpression or EventPattern and Targets, and no Arn), "
                    f"not an answer of the AWS CLI ({EXPECTED}): a template says what was deployed, not what runs "
                    "now; export the rules as they are, with aws events list-rules (or describe-rule --name NAME) "
                    "and aws events list-targets-by-rule --rule NAME --query \"{Name: 'NAME', Targets: Targets}\"")
            if entry.kind == "targets":
                rule = (_container("rule", entry.facts), str(entry.facts["Name"]))
                if rule in targets:
                    target_duplicates.setdefault(rule, []).append((entry.place, targets[rule][1]))
                else:
                    targets[rule] = (entry.facts["Targets"], entry.place)
                continue
            _add(found, by_name, entry)
    if not found:
        raise SourceError(f"{settings.path}: this does not look like an AWS EventBridge export ({EXPECTED}; found no "
                          "rule and no schedule)")
    _check_last_pages(settings, pages)
    _match_targets(found, targets, target_duplicates)
    return list(found.values())


LISTING_COMMANDS = {"Rules": "aws events list-rules", "Schedules": "aws scheduler list-schedules"}


def _pages(document: Any, where: str) -> Iterator[tuple[str, str, str]]:
    """Each list-rules or list-schedules answer of the document: (its listing, its place, its
    NextToken or "" when it is the last page). A list-rules listing is one event bus's (the CLI
    lists one bus a call): its pages are told apart by their rules' bus."""
    answers = document if isinstance(document, list) else [document]
    for number, answer in enumerate(answers):
        if isinstance(answer, dict):
            for listing in LISTING_COMMANDS:
                if isinstance(answer.get(listing), list):
                    place = where if answers is not document else f"{where}[{number}]"
                    buses = sorted({_bus_name(item.get("EventBusName")) for item in answer[listing]
                                    if isinstance(item, dict)}) if listing == "Rules" else []
                    # An empty answer is a listing of its own: it may be another bus's or group's whole one.
                    named = f"{listing} of event bus {', '.join(buses)}" if buses else \
                        f"{listing} (an empty answer)" if not answer[listing] else listing
                    yield named, place, str(answer.get("NextToken") or "")


def _check_last_pages(settings: SourceSettings, pages: dict[str, list[tuple[str, str]]]) -> None:
    """A listing printed a page at a time (the AWS CLI's --max-items, or the API's own pages)
    ends each page but the last with a NextToken. When every page of a listing has one, its last
    page is not in the export: the rules or schedules there would be missing without a word, and
    `--prune` would switch their flows off. Refused, naming the page and its token."""
    # An empty answer names no bus: it may be the last page of a bus's listing, or the whole listing of
    # a bus with no rules (`list-rules --event-bus-name archive`). It ends no listing: the safer reading.
    for listing, found in pages.items():
        if found and all(token for _, token in found):
            place, token = found[-1]
            command = LISTING_COMMANDS[listing.split()[0]]
            empties = sum(1 for _, end in pages.get(f"{listing.split()[0]} (an empty answer)", []) if not end)
            empty = (f"; the export's {empties} empty answer(s) name no event bus or group, so none is taken for its "
                     "last page: export the listing whole" if empties else "")
            raise SourceError(
                f"{settings.path}: {place} is a page of `{command}` that ends with NextToken {token!r}, and no "
                f"page of its listing ({listing.lower()}) in the export is the last (every page has a NextToken): "
                f"the {listing.split()[0].lower()} of the pages after it are missing{empty}. Export the whole "
                "listing (without --max-items the AWS CLI reads every page itself), or add the pages that follow "
                f"(`{command} --starting-token TOKEN`)")


def _add(found: dict[str, Found], by_name: dict[tuple[str, str, str], str], entry: Entry) -> None:
    named = (entry.kind, _container(entry.kind, entry.facts), str(entry.facts.get("Name")))
    key = _identity(entry.kind, entry.facts)
    if key not in found and not entry.facts.get("Arn"):  # the same one without its ARN: by group and name
        key = by_name.get(named, key)
    by_name.setdefault(named, key)
    given = {k: v for k, v in entry.facts.items() if v is not None}
    known = found.get(key)
    if known is None:
        found[key] = Found(entry.kind, given, {entry.listed: entry.place})
        return
    if entry.listed in known.places:
        known.duplicates.append((entry.place, known.places[entry.listed]))
        return
    known.places[entry.listed] = entry.place
    if entry.kind == "rule":
        known.disagreement = _disagreement(known, given, entry)
    # A get-schedule answer (it has the expression) wins over a list's summary, whatever the file order.
    over = "ScheduleExpression" in given or "ScheduleExpression" not in known.facts
    known.facts = _merge(known.facts, given) if over else _merge(given, known.facts)


def _disagreement(known: Found, given: dict[str, Any], entry: Entry) -> str:
    """A list-rules item and a describe-rule answer of one rule complete each other when what they
    both say agrees. Where they differ (exported at other times, the rule changed between), which is
    the rule as it runs the files do not say: merged, the file that sorted last won (a rule saved
    ENABLED at 02:00 or DISABLED at 03:00 by its files' names). The DUPLICATE error, or ""."""
    listed, answer = (given, known.facts) if entry.listed else (known.facts, given)
    # An event bus is a name in one and may be its ARN in the other: the same bus.
    differs = sorted(key for key in listed.keys() & answer.keys() if (
        _bus_name(listed[key]) != _bus_name(answer[key]) if key == "EventBusName" else listed[key] != answer[key]))
    if not differs:
        return ""
    def facts(of: dict[str, Any]) -> str:
        return ", ".join(f"{key} {_text(of[key])!r}" for key in differs)

    return (f"{known.places[True]} lists rule {_container('rule', answer)}/{answer.get('Name')} with {facts(listed)}, "
            f"and {known.places[False]}, a describe-rule answer for it, says {facts(answer)}: one of them is out of "
            "date, and the export does not say which, so the rule is not planned: export list-rules and describe-rule "
            "again, or remove the one that is out of date")


def _match_targets(found: dict[str, Found], targets: dict[tuple[str, str], tuple[list[Any], str]],
                   target_duplicates: dict[tuple[str, str], list[tuple[str, str]]]) -> None:
    """list-targets-by-rule answers to their rules, by event bus and name. An answer without
    EventBusName is the default bus's, as the AWS CLI's own default: one whose name is only a rule
    on another bus is named on that rule, never taken for it (two buses may hold the same name)."""
    rules = {(_container("rule", f.facts), str(f.facts.get("Name"))): f for f in found.values() if f.kind == "rule"}
    for rule, known in rules.items():
        for place, first in target_duplicates.get(rule, []):
            known.duplicates.append((place, first))
        listed = targets.get(rule)
        if listed is not None and not known.facts.get("Targets"):
            known.facts["Targets"] = listed[0]
    for (bus, name), (_, place) in targets.items():
        if (bus, name) in rules:
            continue
        elsewhere = sorted(b for b, n in rules if n == name)
        for other_bus in elsewhere:
            rules[(other_bus, name)].notes.append((
                "TARGETS_OTHER_BUS", f"{place} lists targets of a rule {name} on the event bus {bus}, and this rule "
                                     f"is on {other_bus}: not taken for it; if they are its targets, add "
                                     f"EventBusName: '{other_bus}' to the --query of aws events list-targets-by-rule "
                                     f"--event-bus-name {other_bus} --rule {name}"))


def _options(settings: SourceSettings, entries: list[Found]) -> Anchors:
    """`rate_anchor` (for every rate without a start of its own) and `rate_anchor:NAME` (one rule's
    or schedule's, by Name or GROUP/NAME, BUS/NAME), each an ISO instant it fired at."""
    anchors = Anchors()
    strays = sorted(o for o in settings.options if o != "rate_anchor" and not o.startswith("rate_anchor:"))
    if strays:
        raise SourceError(f"{settings.path}: eventbridge options {strays} are unknown (known: rate_anchor, "
                          "\"rate_anchor:NAME\")")
    for option, value in settings.options.items():
        anchor = _instant(value)
        if anchor is None:
            raise SourceError(f"{settings.path}: eventbridge option {option} = {value!r} is not an ISO instant such as "
                              "2024-05-01T10:03:00Z")
        if option == "rate_anchor":
            anchors.every = anchor
        else:
            anchors.named[option.removeprefix("rate_anchor:")] = anchor
    names = {n for f in entries for n in (str(f.facts.get("Name")), f"{_container(f.kind, f.facts)}/"
                                                                    f"{f.facts.get('Name')}")}
    unknown = sorted(set(anchors.named) - names)
    if unknown:
        raise SourceError(f"{settings.path}: eventbridge option rate_anchor:{unknown[0]} names no rule or schedule of "
                          "the export (a Name, or GROUP/NAME, BUS/NAME)")
    return anchors


@dataclass
class Anchors:
    """The instants the user gave for rates whose phase the export does not hold."""

    every: datetime | None = None
    named: dict[str, datetime] = field(default_factory=dict)

    def of(self, kind: str, entry: dict[str, Any]) -> tuple[datetime | None, str]:
        """The anchor for one rule or schedule, and the option it came from."""
        for name in (f"{_container(kind, entry)}/{entry.get('Name')}", str(entry.get("Name"))):
            if name in self.named:
                return self.named[name], f"rate_anchor:{name}"
        return self.every, "rate_anchor"


# -- values ---------------------------------------------------------------------------------------

def _instant(value: Any) -> datetime | None:
    """An AWS CLI date (`2024-05-01T10:00:00+00:00`, with or without fractions), as UTC; a date
    without an offset is UTC, as AWS writes it. Or seconds since 1970 (`1767229200.0`): the API's own
    form, which AWS CLI v1 prints, and v2 with `cli_timestamp_format = wire` (read as absent, a
    passed EndDate left the flow active, a StartDate ahead let it fire months early)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _date_said(value: Any, moment: datetime | None) -> str:
    """A date of the export, for a message: as written when it is text (ISO 8601, or what could not
    be read); seconds since 1970 as their instant in UTC, the number after it, since no reader takes
    the number for a date ("EndDate 1795876200.0 …: disable it on that date")."""
    if isinstance(value, str) or moment is None:
        return _text(value).strip()
    return f"{moment.isoformat()} ({_text(value)})"


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


# What EventBridge takes of a Batch target's input for submitJob (eb-targets.html, "AWS Batch job queues
# as targets"): these keys, each as the request parameter the AWS CLI option names; of ContainerOverrides
# only command, environment, memory and vcpus, of DependsOn only the jobId. AWS passes the rest of the
# input nowhere, so neither does the task, and each is named under TARGET_PARAMETERS (ResourceRequirements,
# InstanceType, a dependency's Type, keys such as "Other"); a null or empty one is no argument.
BATCH_INPUT = {"Parameters": "--parameters", "ContainerOverrides": "--container-overrides", "DependsOn": "--depends-on"}
BATCH_OVERRIDES = ("command", "environment", "memory", "vcpus")
# BatchParameters (the EventBridge API's): each with the submit-job option and shorthand key it is.
BATCH_SETTINGS = {"ArrayProperties": ("Size", "--array-properties", "size"),
                  "RetryStrategy": ("Attempts", "--retry-strategy", "attempts")}


def _input_object(payload: Any) -> dict[str, Any]:
    """A target's Input as the JSON object AWS reads keys from; {} when it is none (text, a list)."""
    try:
        document = json.loads(payload) if isinstance(payload, str) else payload
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _batch(target: dict[str, Any], arn: str, flow: FlowRows, where: str) -> list[str]:
    """`aws batch submit-job` as EventBridge submits the job: BatchParameters' job definition and
    name, its array size and retry attempts (a 4-child array job stays one of 4 children), and what
    AWS takes of the Input (Parameters, ContainerOverrides, DependsOn); anything else of
    BatchParameters is TARGET_PARAMETERS. EventBridge Scheduler's Target has no BatchParameters: it
    submits a job as the universal target arn:aws:scheduler:::aws-sdk:batch:submitJob, the whole
    request its Input (--cli-input-json)."""
    parameters = _map(target.get("BatchParameters"), f"{where} BatchParameters")
    missing = [key for key in ("JobDefinition", "JobName") if not parameters.get(key)]
    if missing:
        raise NotCarried(f"{where}: a Batch job queue target without BatchParameters {' and '.join(missing)}, which "
                         "a job is submitted with (EventBridge Scheduler has no BatchParameters: it submits a job "
                         "as the universal target arn:aws:scheduler:::aws-sdk:batch:submitJob)")
    words = ["batch", "submit-job", "--job-queue", arn, "--job-name", _text(parameters["JobName"]),
             "--job-definition", _text(parameters["JobDefinition"])]
    lost = [f"BatchParameters {key}" for key in sorted(set(parameters) - {"JobDefinition", "JobName", *BATCH_SETTINGS})]
    for key, (field_name, option, shorthand) in BATCH_SETTINGS.items():
        setting = _map(parameters.get(key), f"{where} BatchParameters {key}")
        value = setting.get(field_name)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool):
                raise Unreadable(f"{where} BatchParameters {key} {field_name} is {json.dumps(value)[:40]}, not a whole "
                                 "number")
            words += [option, f"{shorthand}={value}"]
        lost += [f"BatchParameters {key} {other}" for other in sorted(set(setting) - {field_name})]
    given = _input_object(target.get("Input"))
    lost += [f"Input {key}" for key in sorted(set(given) - set(BATCH_INPUT))]  # AWS passes them nowhere
    for key, option in BATCH_INPUT.items():
        value, dropped = _batch_input(key, given.get(key))
        lost += [f"Input {key} {item}" for item in dropped]
        if value not in (None, {}, []):  # an empty one is no argument: submit-job takes none
            words += [option, json.dumps(value, separators=(",", ":"))]
    if lost:
        flow.warn("TARGET_PARAMETERS", f"{where}: {', '.join(lost)} not carried")
    return words


def _batch_input(key: str, given: Any) -> tuple[Any, list[str]]:
    """One key of a Batch target's Input as EventBridge passes it to submitJob (BATCH_INPUT), in the
    request's spelling, and what of it is not passed: of ContainerOverrides what is not in
    BATCH_OVERRIDES or is null, of DependsOn every item without a jobId (AWS passes the jobId only: a
    `{"Type": "SEQUENTIAL"}` alone is no dependency of the job it submits, and `{"jobId": null}` one
    the AWS CLI refuses) and every Type."""
    if key == "Parameters" or given is None:
        return given, []  # parameter names are the job definition's own: kept as written
    value = _lower_keys(given)
    if key == "ContainerOverrides" and isinstance(value, dict):
        dropped = sorted(name for name, item in value.items() if name not in BATCH_OVERRIDES and item is not None)
        return {name: item for name, item in value.items() if name in BATCH_OVERRIDES and item is not None}, \
            [f"{name[:1].upper()}{name[1:]}" for name in dropped]
    if key == "DependsOn" and isinstance(value, list):
        kept = [{"jobId": item["jobId"]} for item in value if isinstance(item, dict) and item.get("jobId")]
        without = sum(1 for item in value if not (isinstance(item, dict) and item.get("jobId")))
        types = sorted({str(item["type"]) for item in value if isinstance(item, dict) and item.get("type")})
        dropped = ([f"Type {', '.join(types)}"] if types else []) + (
            [f"{'an item' if without == 1 else f'{without} items'} without a jobId"] if without else [])
        return kept, dropped
    return value, []


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
        return _batch(target, arn, flow, where)
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
            rule, bus = entry.get("Name"), _container(kind, entry)
            # a rule of another bus is asked for with it (else the CLI answers the default bus's rule of that name)
            on_bus = f" --event-bus-name {bus}" if bus != "default" else ""
            bus_key = f", EventBusName: '{bus}'" if bus != "default" else ""
            flow.fail("TARGETS_NOT_EXPORTED", f"the rule's targets are not in the export: add aws events "
                                              f"list-targets-by-rule --rule {rule}{on_bus} --query "
                                              f"\"{{Name: '{rule}'{bus_key}, Targets: Targets}}\" as a file beside it")
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


def _schedule(flow: FlowRows, kind: str, entry: dict[str, Any], anchors: Anchors) -> None:
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
    # The source text, for the proof that the freq fires when it did (mapping/flows.py)
    flow.cells.update(source_schedule=_text(expression), source_grammar="eventbridge")
    try:
        form, body = read_expression(_text(expression))
        if form == "cron":
            flow.schedule = convert_cron(body).freq
            flow.cells["timezone"] = zone
        elif form == "rate":
            _rate(flow, body, kind, entry, anchors)
        else:
            _one_time(flow, body, zone)
    except Rejection as rejection:
        flow.fail(rejection.code, f"ScheduleExpression {expression!r}: {rejection.message}")


def _rate(flow: FlowRows, body: str, kind: str, entry: dict[str, Any], anchors: Anchors) -> None:
    """A rate counts from its own start: StartDate when the export has it (exact). Else its phase
    is assumed, and said (RATE_ANCHOR): the user's anchor for this rule or schedule, a schedule's
    CreationDate, or the one anchor given for every rate."""
    start = _instant(entry.get("StartDate"))
    given, option = anchors.of(kind, entry)
    created = _instant(entry.get("CreationDate")) if kind == "schedule" else None
    anchor = start or (given if option != "rate_anchor" else None) or created or given
    try:
        converted = convert_rate(body, anchor.replace(tzinfo=None) if anchor else None)
    except Rejection as rejection:
        if rejection.code != NEEDS_START:
            raise
        when = ("from when the rule was created, which no export says" if kind == "rule"
                else "from when the schedule started, which the export does not say (no StartDate, no CreationDate)")
        raise Rejection(NEEDS_START, f"rate({body}) counts {when}: set [source] options = {{ \"rate_anchor:"
                                     f"{entry.get('Name')}\" = \"2024-05-01T10:03:00Z\" }} to an instant it fired at "
                                     "(its CloudWatch Invocations metric shows them)") from None
    flow.schedule = converted.freq
    flow.cells["timezone"] = "UTC"  # a rate is a fixed interval in absolute time
    if anchor is not None:  # what the proof counts the rate from
        flow.cells["start"] = anchor.isoformat()
    if start is not None and (start.second or start.microsecond) and rate_seconds(body) != 60:
        flow.warn("RATE_ANCHOR", f"rate({body}) counted from its StartDate {start.isoformat()}: a flow fires on the "
                                 f"minute, so each run comes {start.second} s earlier than the source's")
    if start is not None or anchor is None or rate_seconds(body) == 60:  # every minute: no phase to assume
        return
    if anchor is created:
        modified = entry.get("LastModificationDate")
        modified_at = _instant(modified)
        moved = (f"; it was modified at {_date_said(modified, modified_at)}, which may have moved the phase"
                 if _text(modified) and modified_at != created else "")
        flow.warn("RATE_ANCHOR", f"rate({body}) counted from its CreationDate {anchor.isoformat()}, to the minute: "
                                 f"the phase is assumed (the export has no StartDate){moved}; options "
                                 f"\"rate_anchor:{entry.get('Name')}\" sets an instant it fired at")
    elif option == "rate_anchor":
        flow.warn("RATE_ANCHOR", f"rate({body}) counted from {anchor.isoformat()} (options rate_anchor, for every rate "
                                 "without a start of its own), to the minute: the phase is assumed; each rule's own is "
                                 "when it was created, so unless they were made together give each its own with "
                                 f"\"rate_anchor:{entry.get('Name')}\"")
    else:
        flow.warn("RATE_ANCHOR", f"rate({body}) counted from {anchor.isoformat()} (options {option}), to the minute: "
                                 "the source's own start is not in the export")


def _one_time(flow: FlowRows, body: str, zone: str) -> None:
    """`at(…)`: one run, at that wall-clock time in the schedule's zone (schedule/eventbridge.py, as
    `migrate cron` converts it). Still ahead, it is the freq of its minute with its year, which fires
    once, as the Windows profiles carry a one-time trigger (ONE_TIME); the mapping places it in the
    service's zone, fire by fire, and proves it. Passed, it fires no more: no time schedule."""
    run = convert_one_time(body, zone)
    if run.converted is None:
        flow.unscheduled(run.passed)
        return
    flow.schedule = run.converted.freq
    flow.cells["timezone"] = zone
    # The proof's EventBridge evaluator reads cron(…) and rate(…): the run is the cron of its minute, day
    # and year, which AWS fires once too, in the same zone (schedule/proof_grammars.py checks the freq on it).
    flow.cells["source_schedule"] = run.proved_as
    for warning in run.converted.warnings:
        if warning.code == ONE_TIME:
            flow.warn(ONE_TIME, warning.message)


def _is_one_time(entry: dict[str, Any]) -> bool:
    """Whether the schedule is Scheduler's one-time `at(…)`, whose StartDate and EndDate AWS ignores."""
    try:
        return read_expression(_text(entry.get("ScheduleExpression")))[0] == "at"
    except Rejection:
        return False


def _dates(flow: FlowRows, entry: dict[str, Any], zone: str) -> None:
    for key in ("StartDate", "EndDate"):
        if entry.get(key) not in (None, "") and _instant(entry.get(key)) is None:
            # Unread, the schedule would fire before its start or after its end, unsaid.
            flow.fail("INVALID_DATE", f"{key} {_text(entry.get(key))} is no date this tool reads (ISO 8601, or "
                                      "seconds since 1970): the schedule's start or end would be lost")
    start, end = _instant(entry.get("StartDate")), _instant(entry.get("EndDate"))
    if end is not None:
        # an instant: Scheduler stops firing at it, not at the end of its day
        report_end(flow, "EndDate", _date_said(entry.get("EndDate"), end), end.date(), end)
    if start is not None and start > datetime.now(UTC):
        first: date = _in_zone(start, zone).date()
        flow.cells["start_date"] = first.isoformat()
        # The instant, for the mapping: the flow's startTime is a day in the service's zone, which it
        # moves to the day of the first run there (START_DATE_SHIFTED) or names the runs it adds or
        # loses (FIRST_DAY). The day in the schedule's zone alone lost the 08:00 Tokyo run of a start
        # at 15:00 UTC the day before, and the proof, which counts from the flow's day, did not see it.
        flow.cells["source_start"] = start.isoformat()
        flow.warn("START_DATE", f"StartDate {_date_said(entry['StartDate'], start)}: the schedule fired only from "
                                "then; the flow starts on that day, or on the day of its first run in the service's "
                                "zone where that is another (START_DATE_SHIFTED), or on the cut-over ([mapping] "
                                "not_before) where that is later")


def _dates_ignored(flow: FlowRows, entry: dict[str, Any]) -> None:
    """A one-time schedule's StartDate and EndDate, which AWS ignores (the API reference, StartDate
    and EndDate: "EventBridge Scheduler ignores … for one-time schedules"): named, not applied (an
    EndDate passed before the run saved it inactive, which AWS still fires)."""
    for key, code in (("StartDate", "START_DATE"), ("EndDate", "END_DATE")):
        if entry.get(key) not in (None, ""):
            flow.warn(code, f"{key} {_date_said(entry[key], _instant(entry[key]))}: AWS ignores it for a one-time "
                            "schedule, and so does the flow")


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
    if kind == "schedule" and entry.get("ActionAfterCompletion") == "DELETE":
        only = " (its only one)" if _is_one_time(entry) else ""
        flow.warn("ACTION_AFTER_COMPLETION", f"ActionAfterCompletion DELETE: AWS deletes the schedule once it has made "
                                             f"its last run{only}; the flow is not deleted with it: delete it by hand "
                                             "then, if it should go too")
    if entry.get("KmsKeyArn"):
        flow.warn("KMS_KEY", f"the schedule's data was encrypted with {entry['KmsKeyArn']}: not carried")
    if entry.get("ManagedBy"):
        flow.warn("MANAGED_RULE", f"the rule is managed by {entry['ManagedBy']}, which made it and may change it")
    if kind == "rule" and entry.get("RoleArn"):
        flow.warn("TARGET_ROLE", f"the rule sent its events as {entry['RoleArn']}: not carried")


def _flow(found: Found, anchors: Anchors) -> FlowRows:
    kind, entry = found.kind, found.facts
    name = _text(entry.get("Name"))
    container = _container(kind, entry)
    flow = FlowRows(key=_identity(kind, entry), name=name if container == "default" else f"{container}_{name}")
    if not name:
        flow.fail("MALFORMED_ENTRY", f"a {kind} without a Name: {json.dumps(entry, default=str)[:120]}")
        return flow
    if found.disagreement:
        flow.fail("DUPLICATE", found.disagreement)
        flow.cells["active"] = "1"  # its state is not read (the answers disagree): the error says why, nothing more
        return flow
    flow.cells["desc"] = _text(entry.get("Description"))
    for code, message in found.notes:
        flow.warn(code, message)
    try:
        _state(flow, entry)
        _schedule(flow, kind, entry, anchors)
        zone = flow.cells.get("timezone") or _text(entry.get("ScheduleExpressionTimezone")) or "UTC"
        if kind == "schedule" and _is_one_time(entry):
            _dates_ignored(flow, entry)
        elif kind == "schedule":
            _dates(flow, entry, zone)
        _notes(flow, kind, entry)
        if not any(error["code"] == "MISSING_SCHEDULE" for error in flow.errors):  # a summary: no target facts
            _tasks(flow, kind, entry)
    except Unreadable as error:
        flow.fail("MALFORMED_ENTRY", f"{kind} {container}/{name}: {error}")
    except NotCarried as error:
        flow.fail("TARGET_NOT_CARRIED", f"{kind} {container}/{name}: {error}; write its command by hand")
    return flow


def _duplicate(found: Found, place: str, first: str) -> FlowRows:
    """A second export of the same rule or schedule: a flow of its own that fails, naming the first.
    Its key names its place: rows of one key are one flow, so under the first's key it would be
    folded into the first and its error lost."""
    kind, entry = found.kind, found.facts
    name, container = _text(entry.get("Name")), _container(kind, entry)
    flow = FlowRows(key=f"{_identity(kind, entry)} (again at {place})",
                    name=name if container == "default" else f"{container}_{name}")
    flow.fail("DUPLICATE", _duplicate_message(kind, f"{container}/{name}", place, first))
    flow.cells["active"] = "1"  # its state is not read: the error says why, nothing more
    return flow


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    entries = _merged(settings)
    anchors = _options(settings, entries)
    for found in entries:
        yield _flow(found, anchors)
        for place, first in found.duplicates:
            yield _duplicate(found, place, first)


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings))


PROFILE = Profile("eventbridge", "quartz", read, "AWS EventBridge rules and Scheduler schedules (AWS CLI JSON)")
