"""Kubernetes CronJobs as `kubectl get cronjob -A -o yaml` prints them (a `List` with `items`), as
`-o json`, as the API serves them (`GET /apis/batch/v1/cronjobs`, `kubectl get --raw`: a
`CronJobList` whose items name no kind or apiVersion, being the list's), a single object, or a
multi-document file (`---`, as Helm and kustomize print them): one flow per CronJob (`batch/v1`,
`batch/v1beta1`, `batch/v2alpha1`), one task per container of its pod.

Identity: the flow's key is `namespace/name` (an object without a namespace, as a manifest
written for `kubectl apply -n`, takes `options = { namespace = "…" }`, "default" unless set, with
NAMESPACE_ASSUMED); its name is `namespace_name` (neither part can hold `_`).

Schedule: `spec.schedule` in robfig/cron's grammar, which the API server validates and the
controller fires (`migrate/schedule/robfig.py`: not Vixie's day rule), converted here to Quartz.
Its zone is `spec.timeZone`, or a `TZ=`/`CRON_TZ=` prefix of the schedule (TZ_IN_SCHEDULE: never
supported, refused on create since Kubernetes 1.29, still fired by the controller); the API
server refuses both at once, and so does this profile (TIMEZONE_CONFLICT). With neither, the
controller fired in kube-controller-manager's local zone (UTC in most clusters), which the export
does not say: CONTROLLER_TIMEZONE, until `[mapping] source_timezone` names it (the warning is
marked `"unless": "source_timezone"`, for the mapping to leave out then). `@every 5m` counts
from the CronJob's `status.lastScheduleTime`, else its `metadata.creationTimestamp`, as the
controller does (EVERY_ANCHOR), in UTC.

State: `spec.suspend` (and a job template whose Jobs start suspended) saves the flow inactive
(SUSPENDED). Labels are the flow's parameters; annotations are named (ANNOTATIONS), except
kubectl's last-applied-configuration, a copy of the object itself.

Tasks: the pod's containers run side by side, so each is a task with no upstream (POD_CONTAINERS
when there are several: they no longer share a network or volumes). A task's command runs the
container with `docker run --rm` (CONTAINER_AS_TASK): image, `command` (as `--entrypoint` and
its arguments), `args`, literal `env` values, `workingDir`, `imagePullPolicy` (Always, Never) and
`runAsUser`/`runAsGroup` carried exactly; `$(VAR)` references in command, args and env are
expanded as the kubelet expands them, and one it could have expanded from a variable the export
does not hold is named (ENV_REFERENCE; `$(date -Is)`, which can name no variable, is the shell's
to run, as written). Values the cluster supplies (`valueFrom`, `envFrom`) are
passed by name from the worker's environment and named (ENV_FROM_CLUSTER). Init containers are
reported, not run (INIT_CONTAINERS). What the pod and the Job had beyond that is named, each by a
code: RETRY (backoffLimit, 6 when unset, and restartPolicy), TIMEOUT (activeDeadlineSeconds),
VOLUMES, RESOURCES, SERVICE_ACCOUNT, POD_SPEC, CONTAINER_SETTINGS, JOB_SETTINGS,
CONCURRENCY_POLICY, STARTING_DEADLINE, HISTORY_LIMIT; a Job that runs its pod several times
(completions or parallelism above 1) would run once as a flow, and is refused (PARALLEL_PODS).
Defaults the API server writes into every export (dnsPolicy ClusterFirst, schedulerName,
terminationMessagePath, empty resources) are not reported, nor is an empty setting (`lifecycle: {}`,
`[]`, null, ""), which is no setting.

The rest of the file: objects that are not CronJobs (the Jobs a CronJob made, Deployments) are
skipped and named once, on the first flow (SKIPPED_OBJECTS); a file with no CronJob at all is
refused. A CronJob that cannot be read is that flow's MALFORMED_CRONJOB error.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import re
import shlex
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from migrate.config import SourceSettings
from migrate.schedule.result import Rejection
from migrate.schedule.robfig import EVERY, convert_robfig, split_zone
from migrate.sources.profiles import SECRET_NAME, FlowRows, Profile, look_like_secrets, parameters_text, rows_of
from migrate.sources.profiles.rundeck import EXPANSION_FACTOR, EXPANSION_FLOOR, _check_expansion
from migrate.sources.readers import DuplicateKey, SourceError, SourceRow, file_text, unique_keys, utf16_hint

OPTIONS = ("namespace",)
EXPECTED = ("expected `kubectl get cronjob -A -o yaml` (a List of CronJob items), the API's CronJobList, a CronJob "
            "object, or YAML documents of kind CronJob (apiVersion batch/v1 or batch/v1beta1)")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SPEC_KEYS = ("schedule", "timeZone", "suspend", "jobTemplate", "concurrencyPolicy", "startingDeadlineSeconds",
             "successfulJobsHistoryLimit", "failedJobsHistoryLimit")
SPEC_KEY_SET = frozenset(SPEC_KEYS)
HISTORY_DEFAULTS = {"successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}
JOB_KEYS = ("template", "backoffLimit", "activeDeadlineSeconds", "completions", "parallelism", "suspend")
JOB_KEY_SET = frozenset(JOB_KEYS)
BACKOFF_DEFAULT = 6
# What the API server writes into every pod spec and container: not a fact of the job.
POD_DEFAULTS: dict[str, Any] = {"dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                                "terminationGracePeriodSeconds": 30, "securityContext": {}}
POD_CARRIED = ("containers", "initContainers", "restartPolicy", "securityContext", "serviceAccountName",
               "serviceAccount", "volumes")
CONTAINER_DEFAULTS: dict[str, Any] = {"terminationMessagePath": "/dev/termination-log",
                                      "terminationMessagePolicy": "File", "resources": {}}
CONTAINER_CARRIED = ("name", "image", "command", "args", "env", "envFrom", "workingDir", "imagePullPolicy",
                     "securityContext", "resources", "volumeMounts")
RUN_AS = ("runAsUser", "runAsGroup")
# Keys with which a spec, pod, template or container says nothing the checks below would name: the
# common CronJob goes past those checks at a glance (each check is cheap; 100,000 CronJobs are not).
_PLAIN_SPEC = frozenset(("schedule", "timeZone", "suspend", "jobTemplate"))
_PLAIN_POD = frozenset(("containers", "initContainers", "restartPolicy"))
_PLAIN_TEMPLATE = frozenset(("spec",))
_PLAIN_CONTAINER = frozenset(("name", "image", "command", "args", "env", "envFrom", "workingDir", "imagePullPolicy"))
PULL = {"Always": "always", "Never": "never"}  # IfNotPresent is docker run's own default (missing)
NAME_LIST_LIMIT = 6
_LEADING_SPACE = re.compile(r"\s*")  # what str.lstrip() strips
_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # what json's scanner skips
_decode = json.JSONDecoder().raw_decode  # one value, as json.loads reads it
_ABSENT = object()  # a key without a default: never equal to a value of the export
_DOCKER_RUN = "docker run --rm "
# A warning that holds only while `[mapping] source_timezone` is unset (see CONTROLLER_TIMEZONE).
UNLESS_SOURCE_TIMEZONE = "source_timezone"


class Malformed(Exception):
    """A value of one CronJob whose shape makes no sense: that flow's error, not the file's."""


# -- values ---------------------------------------------------------------------------------------

def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise Malformed(f"{where} is a {type(value).__name__} where a map was expected")


def _sequence(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise Malformed(f"{where} is a {type(value).__name__} where a list was expected")


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise Malformed(f"{where} is a {type(value).__name__} where text was expected")


_TEXT_ONLY = frozenset((str,))


def _strings(value: Any, where: str) -> list[str]:
    if type(value) is list and {*map(type, value)} <= _TEXT_ONLY:
        return list(value)  # what _text makes of each: the string itself
    return [_text(item, f"{where}[{index}]") for index, item in enumerate(_sequence(value, where))]


# A container's securityContext settings as the API (and the container runtime) takes them when
# absent: one written at its default changes nothing; any other (allowPrivilegeEscalation: false,
# capabilities dropped) is a fact the task's docker run does not carry, and is named.
SECURITY_DEFAULTS: dict[str, Any] = {"privileged": False, "readOnlyRootFilesystem": False, "runAsNonRoot": False,
                                     "allowPrivilegeEscalation": True, "procMount": "Default"}


def _is_set(value: Any) -> bool:
    """Whether a setting says anything: an empty one (`lifecycle: {}`, `imagePullSecrets: []`, null,
    "", as some clusters' exports write what was never set) is no setting, as the API reads it."""
    return value is not None and value != {} and value != [] and value != ""


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAME_LIST_LIMIT])
    return shown + (f" and {len(names) - NAME_LIST_LIMIT} more" if len(names) > NAME_LIST_LIMIT else "")


def _instant(value: Any) -> datetime | None:
    """A Kubernetes timestamp (`"2024-05-01T02:30:00Z"`, or the datetime YAML makes of one unquoted)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


# -- reading the file -----------------------------------------------------------------------------

@dataclass
class _Found:
    """The CronJobs of the file (each read when its turn comes: see `_listing`), how many there
    are, and the other objects, named."""

    cronjobs: Iterable[Any]
    count: int
    skipped: list[str]


def _found(settings: SourceSettings) -> _Found:
    path = settings.path
    if not path.is_file() or not path.stat().st_size:
        raise SourceError(f"{path}: {'no such file' if not path.is_file() else 'the file is empty'}")
    try:
        text = file_text(path, settings.encoding)  # a UTF-16 file with its mark (PowerShell's `>`) too
        documents: list[Any] | None = None
        if text.startswith(("{", "["), _after(_LEADING_SPACE, text, 0)):  # kubectl -o json
            listing = _listing(text)
            if listing is not None:
                return listing
            with contextlib.suppress(json.JSONDecodeError):  # else YAML flow style, read below
                documents = [_json(text)]
        if documents is None:
            documents = _yaml_documents(text, path)
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not {settings.encoding} text (byte {error.start})") from None
    except yaml.YAMLError as error:
        raise SourceError(f"{path}: cannot parse: {error}{utf16_hint(text)}".replace("\n", " ")) from None
    except DuplicateKey as duplicate:
        raise SourceError(f"{path}: {duplicate}") from None
    except RecursionError:
        raise SourceError(f"{path}: refused: nested deeper than a Kubernetes export can be") from None
    cronjobs: list[dict[str, Any]] = []
    skipped: list[str] = []
    for document in documents:
        for item in _objects(document):
            if _is_cronjob(item):
                cronjobs.append(item)
            else:
                skipped.append(_described(item))
    return _Found(cronjobs, len(cronjobs), skipped)


def _yaml_documents(text: str, path: Path) -> list[Any]:
    loader = yaml.SafeLoader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            _check_expansion(node, max(EXPANSION_FLOOR, EXPANSION_FACTOR * len(text)), path)
            documents.append(loader.construct_document(node))
    finally:
        loader.dispose()
    return documents


def _json(text: str) -> Any:
    """The document, with the cyclic garbage collector paused: JSON builds no cycles, and a
    listing of 100,000 CronJobs is millions of containers, which set off collection after
    collection of everything built so far (three quarters of the parse)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    finally:
        if paused:
            gc.enable()


def _after(space: re.Pattern[str], text: str, at: int) -> int:
    """Where the text goes on after the blanks (as the pattern says) from `at`."""
    match = space.match(text, at)
    return match.end() if match is not None else at


def _listing(text: str) -> _Found | None:
    """A `List` document (`kubectl get cronjob -A -o json`, or the API's own `CronJobList`) read
    one item at a time, so that the listing is never whole in memory: a first pass checks that the
    whole text is JSON as `json.loads` reads it, finds the List's kind (kubectl writes it after
    its items) and which items hold CronJobs, keeping only where those begin; each is parsed again
    when its turn comes. None for any other text (a List whose items are not an array, another
    document, not JSON, a key given twice in one object): `json.loads` reads it whole then, or
    says why it cannot."""
    end = _after(_JSON_SPACE, text, 0)
    if text[end:end + 1] != "{":
        return None
    kind: Any = ""
    api_version: Any = ""
    items: _Items | None = None
    items_at, typed_as = 0, ("", "")
    keys: set[str] = set()
    end = _after(_JSON_SPACE, text, end + 1)
    try:
        while True:  # the document's members, as json's scanner reads an object
            if text[end:end + 1] != '"':
                return None
            key, end = _decode(text, end)
            if key in keys:
                return None  # a key given twice: json.loads says which (see unique_keys)
            keys.add(key)
            end = _after(_JSON_SPACE, text, end)
            if text[end:end + 1] != ":":
                return None
            end = _after(_JSON_SPACE, text, end + 1)
            if key == "items" and text[end:end + 1] == "[":
                items_at, typed_as = end + 1, (kind, api_version)
                items, end = _list_items(text, items_at, kind, api_version)
                if items is None:
                    return None
            else:
                value, end = _decode(text, end)
                if key == "kind":
                    kind = value
                elif key == "apiVersion":
                    api_version = value
            end = _after(_JSON_SPACE, text, end)
            if text[end:end + 1] == "}":
                break
            if text[end:end + 1] != ",":
                return None
            end = _after(_JSON_SPACE, text, end + 1)
    except ValueError:  # a malformed value, or none where one must be
        return None
    if _after(_JSON_SPACE, text, end + 1) != len(text) or items is None or not str(kind).endswith("List"):
        return None
    if items.kindless and typed_as != (kind, api_version):  # the kind their List gives them came after them
        items, _ = _list_items(text, items_at, kind, api_version)
        if items is None:
            return None
    return _Found(_parsed_cronjobs(text, items.spans, kind, api_version), items.count, items.skipped)


@dataclass
class _Items:
    """What the first pass over a List's items found: where each item that holds a CronJob begins
    and ends (flat: start, end, start, end...; the end is -1 where orjson would not read the item
    as json does), how many CronJobs, the other objects named, and whether an item had no kind
    (whose kind is then the List's: see `_typed`)."""

    spans: array[int]
    count: int
    skipped: list[str]
    kindless: bool


def _list_items(text: str, end: int, list_kind: Any, list_api_version: Any) -> tuple[_Items | None, int]:
    """The first pass over the items of a List of that kind and apiVersion, from just after its
    `[`; and where the array ends."""
    found = _Items(array("q"), 0, [], False)
    spans, skipped = found.spans, found.skipped
    wide = _WideIntegers()
    decode = json.JSONDecoder(parse_int=wide, object_pairs_hook=unique_keys).raw_decode
    end = _after(_JSON_SPACE, text, end)
    if text[end:end + 1] == "]":
        return found, end + 1
    while True:
        wide.seen = False
        item, after = decode(text, end)
        if type(item) is dict and not item.get("kind"):
            found.kindless = True
            item = _typed(item, list_kind, list_api_version)
        if _is_cronjob(item):  # the usual item: what _objects(item, 1) would give alone
            found.count += 1
            spans.extend((end, -1 if wide.seen else after))
        else:
            holds = False
            for member in _objects(item, 1):
                if _is_cronjob(member):
                    found.count += 1
                    holds = True
                else:
                    skipped.append(_described(member))
            if holds:
                spans.extend((end, -1 if wide.seen else after))
        end = _after(_JSON_SPACE, text, after)
        if text[end:end + 1] == "]":
            return found, end + 1
        if text[end:end + 1] != ",":
            return None, end
        end = _after(_JSON_SPACE, text, end + 1)


class _WideIntegers:
    """json's `parse_int` for the first pass: `int(text)`, as json reads an integer, noting one
    beyond 64 bits, which orjson would read as a float."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, text: str) -> int:
        value = int(text)
        if len(text) > 18 and not -(1 << 63) <= value < (1 << 64):
            self.seen = True
        return value


def _parsed_cronjobs(text: str, spans: array[int], list_kind: Any, list_api_version: Any) -> Iterator[Any]:
    for start, end in zip(spans[::2], spans[1::2], strict=True):
        item = _typed(_item(text, start, end), list_kind, list_api_version)
        if _is_cronjob(item):  # the usual item (see _list_items)
            yield item
            continue
        for member in _objects(item, 1):
            if _is_cronjob(member):
                yield member


def _item(text: str, start: int, end: int) -> Any:
    """The item the first pass found there, parsed again: by orjson, several times as fast as
    json and reading valid JSON alike, but for integers beyond 64 bits (end -1: see _list_items)
    and what it refuses (NaN, Infinity, numbers too large for a float, lone surrogates), which
    json reads, as it did in the first pass."""
    if end >= 0:
        try:
            return orjson.loads(text[start:end])
        except orjson.JSONDecodeError:
            pass
    return _decode(text, start)[0]


def _objects(document: Any, depth: int = 0) -> Iterator[Any]:
    """The objects of a document: a List's (or a CronJobList's) items, in order, else the document."""
    if isinstance(document, dict) and isinstance(document.get("items"), list) and depth < 3 and (
            str(document.get("kind", "")).endswith("List")):
        for item in document["items"]:
            yield from _objects(_typed(item, document.get("kind"), document.get("apiVersion")), depth + 1)
    elif isinstance(document, list) and depth < 3:
        for item in document:
            yield from _objects(item, depth + 1)
    elif document is not None:
        yield document


def _typed(item: Any, list_kind: Any, list_api_version: Any) -> Any:
    """An item of a List as the object it is. The API's own lists (`GET /apis/batch/v1/cronjobs`,
    `kubectl get --raw`, client-go dumps) are typed, a `CronJobList` or a `JobList`, and leave out
    each item's kind and apiVersion: they are the list's (CronJob, of its apiVersion). A `List`, as
    kubectl prints it, may mix kinds and names each item's own."""
    if type(item) is not dict or item.get("kind") or type(list_kind) is not str or list_kind == "List" or (
            not list_kind.endswith("List")):
        return item
    typed = {**item, "kind": list_kind.removesuffix("List")}
    if not typed.get("apiVersion") and list_api_version:
        typed["apiVersion"] = list_api_version
    return typed


def _is_cronjob(item: Any) -> bool:
    return (isinstance(item, dict) and item.get("kind") == "CronJob"
            and str(item.get("apiVersion", "")).startswith("batch/"))


def _described(item: Any) -> str:
    if not isinstance(item, dict):
        return f"a {type(item).__name__}"
    metadata: dict[str, Any] = item["metadata"] if isinstance(item.get("metadata"), dict) else {}
    where = "/".join(str(p) for p in (metadata.get("namespace"), metadata.get("name")) if p)
    kind = str(item.get("kind") or "an object without a kind")
    if kind == "CronJob":
        kind = f"CronJob of {item.get('apiVersion') or 'no apiVersion'}"
    return f"{kind} {where}".strip()


def _options(settings: SourceSettings) -> str:
    unknown = sorted(set(settings.options) - set(OPTIONS))
    if unknown:
        raise SourceError(f"{settings.path}: kubernetes options {unknown} are unknown (known: {', '.join(OPTIONS)})")
    return str(settings.options.get("namespace", "default"))


# -- one CronJob ----------------------------------------------------------------------------------

def _schedule(flow: FlowRows, spec: dict[str, Any], metadata: dict[str, Any], status: dict[str, Any]) -> None:
    """spec.schedule, its zone, and the anchor of an @every schedule."""
    raw = spec.get("schedule")
    if not isinstance(raw, str) or not raw.strip():
        raise Malformed(f"spec.schedule is {raw!r}: a CronJob needs a schedule")
    time_zone = spec.get("timeZone")
    if time_zone is not None and "TZ" in raw:  # the API server's own test (validateScheduleFormat)
        flow.fail("TIMEZONE_CONFLICT", f"spec.schedule {raw!r} names a zone with TZ or CRON_TZ and spec.timeZone is "
                                       f"{time_zone!r}: Kubernetes refuses both at once (\"cannot use both timeZone "
                                       "field and TZ or CRON_TZ in schedule\"); keep one")
        return
    try:
        prefix, rest = split_zone(raw)
        anchor_field, anchor = "", None
        if rest.startswith(EVERY):  # the one kind of schedule that counts from an instant
            anchor_field, anchor = "status.lastScheduleTime", _instant(status.get("lastScheduleTime"))
            if anchor is None:
                anchor_field, anchor = "metadata.creationTimestamp", _instant(metadata.get("creationTimestamp"))
        converted = convert_robfig(rest, anchor)
    except Rejection as rejection:
        flow.fail(rejection.code, f"spec.schedule {raw!r}: {rejection.message}"
                  + ("; the export has neither status.lastScheduleTime nor metadata.creationTimestamp to count "
                     "from" if rejection.code == "NEEDS_START" else ""))
        return
    flow.schedule = converted.freq
    flow.cells.update(source_schedule=rest, source_grammar="robfig")  # for the proof (mapping/flows.py)
    if anchor is not None:
        flow.cells["start"] = anchor.isoformat()
    if rest.startswith(EVERY):
        flow.cells["timezone"] = "UTC"
        flow.warn("EVERY_ANCHOR", f"{rest} is a fixed interval the controller counts from {anchor_field} "
                                  f"({anchor.isoformat() if anchor else ''}): carried in UTC from there; a long stop "
                                  "of the controller with startingDeadlineSeconds restarts the count")
        return
    if prefix is not None:
        zone = "UTC" if prefix == "" else prefix
        flow.warn("TZ_IN_SCHEDULE", f"spec.schedule {raw!r} names its zone with a prefix: Kubernetes never supported "
                                    "it officially and refuses it on new CronJobs since 1.29, but the controller "
                                    f"fires it in {zone}: carried as the zone")
        if zone != "Local":
            flow.cells["timezone"] = zone
            return
    elif isinstance(time_zone, str) and time_zone.strip():
        flow.cells["timezone"] = time_zone.strip()
        return
    elif time_zone is not None:
        flow.fail("INVALID_SYNTAX", f"spec.timeZone is {time_zone!r}: Kubernetes refuses an empty or non-text zone")
        return
    # Only news while nobody said which zone that is: "unless" asks the mapping to leave the warning
    # out when [mapping] source_timezone names it (the profile does not see the mapping's settings).
    flow.warnings.append({"code": "CONTROLLER_TIMEZONE", "unless": UNLESS_SOURCE_TIMEZONE, "message": (
        "no spec.timeZone: the controller fired the schedule in kube-controller-manager's local zone (UTC in most "
        "clusters), which the export does not say; set [mapping] source_timezone to it, else the schedule is taken "
        "to be in the service's zone")})


def _state(flow: FlowRows, spec: dict[str, Any], job: dict[str, Any]) -> None:
    flow.cells["active"] = "1"
    if spec.get("suspend") is True or str(spec.get("suspend")).lower() == "true":
        flow.cells["active"] = "0"
        flow.warn("SUSPENDED", "spec.suspend is true: the CronJob started no Jobs; saved inactive")
    elif job.get("suspend") is True:
        flow.cells["active"] = "0"
        flow.warn("SUSPENDED", "spec.jobTemplate.spec.suspend is true: every Job the CronJob made waited, suspended, "
                               "for someone to resume it; saved inactive")


def _cronjob_settings(flow: FlowRows, spec: dict[str, Any]) -> None:
    if spec.keys() <= _PLAIN_SPEC:
        return
    policy = _text(spec.get("concurrencyPolicy"), "spec.concurrencyPolicy")
    if policy in ("Forbid", "Replace"):
        what = ("skipped a run while the last one still ran" if policy == "Forbid"
                else "stopped a run still going when the next one came")
        flow.warn("CONCURRENCY_POLICY", f"concurrencyPolicy {policy}: Kubernetes {what}; not carried")
    if spec.get("startingDeadlineSeconds") is not None:
        flow.warn("STARTING_DEADLINE", f"startingDeadlineSeconds {spec['startingDeadlineSeconds']}: Kubernetes skipped "
                                       "a run it could not start that soon after its time; not carried")
    limits = [f"{key} {spec[key]}" for key, default in HISTORY_DEFAULTS.items()
              if spec.get(key) is not None and spec.get(key) != default]
    if limits:
        flow.warn("HISTORY_LIMIT", f"{', '.join(limits)}: how many finished Jobs Kubernetes kept; the service keeps "
                                   "its own run history")
    other = [key for key in spec.keys() - SPEC_KEY_SET if _is_set(spec[key])]
    if other:
        flow.warn("JOB_SETTINGS", f"spec.{', spec.'.join(sorted(other))}: not carried")


def _job_settings(flow: FlowRows, job: dict[str, Any], pod: dict[str, Any]) -> None:
    for key in ("completions", "parallelism"):
        if isinstance(job.get(key), int) and job[key] > 1:
            flow.fail("PARALLEL_PODS", f"spec.jobTemplate.spec.{key} is {job[key]}: each Job ran its pod several "
                                       "times (or side by side); a flow runs its tasks once")
            return
    backoff = job.get("backoffLimit")
    restart = _text(pod.get("restartPolicy"), "restartPolicy") or "Always"
    limit = backoff if isinstance(backoff, int) else BACKOFF_DEFAULT
    if limit:
        given = "backoffLimit" if isinstance(backoff, int) else "backoffLimit unset: its default"
        restarts = ", restarting the failed container in its pod" if restart == "OnFailure" else ""
        flow.warn("RETRY", f"Kubernetes retried a failed run up to {limit} time(s) ({given}{restarts}); the tasks are "
                           "not retried")
    if job.get("activeDeadlineSeconds") is not None:
        flow.warn("TIMEOUT", f"activeDeadlineSeconds {job['activeDeadlineSeconds']}: Kubernetes stopped a Job that ran "
                             "longer; not carried")
    other = [key for key in job.keys() - JOB_KEY_SET if _is_set(job[key])]
    if other:
        flow.warn("JOB_SETTINGS", f"spec.jobTemplate.spec.{', spec.jobTemplate.spec.'.join(sorted(other))}: not "
                                  "carried")


def _pod_settings(flow: FlowRows, pod: dict[str, Any], template: dict[str, Any]) -> None:
    if pod.keys() <= _PLAIN_POD and template.keys() <= _PLAIN_TEMPLATE:
        return
    account = pod.get("serviceAccountName") or pod.get("serviceAccount")
    if account:
        flow.warn("SERVICE_ACCOUNT", f"the pod ran as service account {account}, with its permissions in the cluster "
                                     "and any cloud role bound to it; the task runs as the service's doAs account")
    volumes = [_text(_mapping(v, "volume").get("name"), "volume name")
               for v in _sequence(pod.get("volumes"), "volumes")]
    if volumes:
        flow.warn("VOLUMES", f"the pod's volumes {_names(volumes)} (with the containers' mounts) are not carried: the "
                             "tasks see the worker's files")
    security = {k: v for k, v in _mapping(pod.get("securityContext"), "securityContext").items()
                if k not in RUN_AS and _is_set(v)}
    extra = [key for key, value in pod.items()
             if key not in POD_CARRIED and _is_set(value) and POD_DEFAULTS.get(key, _ABSENT) != value]
    extra += ["securityContext." + key for key in sorted(security)]
    metadata = {k: v for k, v in _mapping(template.get("metadata"), "template.metadata").items()
                if k in ("labels", "annotations") and v}
    extra += [f"template {key} ({', '.join(sorted(_mapping(value, key)))})" for key, value in metadata.items()]
    if extra:
        flow.warn("POD_SPEC", f"the pod's {', '.join(extra)} are not carried")


def _job_metadata(flow: FlowRows, job_template: dict[str, Any]) -> None:
    """The labels and annotations each Job the CronJob made carried (spec.jobTemplate.metadata):
    what selects or configures those Jobs in the cluster, which a flow has no place for."""
    metadata = {k: v for k, v in _mapping(job_template.get("metadata"), "spec.jobTemplate.metadata").items()
                if k in ("labels", "annotations") and _is_set(v)}
    if metadata:
        said = ", ".join(f"{key} ({', '.join(sorted(_mapping(value, key)))})" for key, value in metadata.items())
        flow.warn("JOB_SETTINGS", f"the Jobs' {said} (spec.jobTemplate.metadata) are not carried")


def expand(text: str, known: dict[str, str], unresolved: set[str]) -> str:
    """`$(VAR)` as the kubelet expands it (Kubernetes' forked expansion.Expand): a defined variable
    is replaced, `$$` is `$`, anything else stays as written. A reference whose value only the
    cluster knows is kept and noted in `unresolved`."""
    if "$" not in text:
        return text
    out: list[str] = []
    checkpoint, cursor = 0, 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            following = text[cursor + 1]
            if following == "$":
                out.append("$")
                advance = 1
            elif following == "(":
                close = text.find(")", cursor + 2)
                if close < 0:
                    out.append("$(")
                    advance = 1
                else:
                    name = text[cursor + 2:close]
                    if name in known:
                        out.append(known[name])
                    else:
                        out.append(f"$({name})")
                        unresolved.add(name)
                    advance = close - cursor
            else:
                out.append("$" + following)
                advance = 1
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


# The names a variable the export does not hold can have: a ConfigMap's or a Secret's key (through
# envFrom, after its prefix), a service's own (DB_SERVICE_HOST), an env name as the API server has
# long required one (validation.IsEnvVarName). The kubelet reads anything between `$(` and `)` as
# a name, but `$(date -Is)` can name none: it leaves it as written, as the task does, for the
# shell in the command to run.
_VARIABLE_NAME = re.compile(r"[-._a-zA-Z0-9]+")


def _may_be_defined(name: str, valued_by_cluster: set[str], prefixes: set[str]) -> bool:
    """Whether the cluster could have given `$(name)` a value that the export does not hold."""
    return name in valued_by_cluster or any(
        name.startswith(prefix) and _VARIABLE_NAME.fullmatch(name, len(prefix)) for prefix in prefixes)


def _run_as(container: dict[str, Any], pod: dict[str, Any], flow: FlowRows, where: str) -> str:
    """`--user` from runAsUser and runAsGroup (the container's, else the pod's)."""
    if "securityContext" not in container and "securityContext" not in pod:
        return ""
    pod_context = _mapping(pod.get("securityContext"), "securityContext")
    context = _mapping(container.get("securityContext"), f"{where}.securityContext")
    user = context.get("runAsUser", pod_context.get("runAsUser"))
    group = context.get("runAsGroup", pod_context.get("runAsGroup"))
    if user is None:
        if group is not None:  # docker's --user cannot name a group without a user
            flow.warn("RUN_AS", f"{where}: runAsGroup {group} with the image's own user: not carried")
        return ""
    return f"{user}:{group}" if group is not None else str(user)


def container_command(container: dict[str, Any], pod: dict[str, Any], flow: FlowRows, where: str) -> str:
    """The `docker run` that runs this container as its pod did (image, entrypoint, arguments,
    environment, working directory, user, pull policy)."""
    image = container.get("image")
    image = (image if type(image) is str else _text(image, f"{where}.image")).strip()
    if not image:
        raise Malformed(f"{where} has no image")
    known: dict[str, str] = {}
    from_cluster: list[str] = []
    valued_by_cluster: set[str] = set()
    prefixes = {""}  # of envFrom's keys
    unresolved: set[str] = set()
    words: list[str] = []  # after `docker run --rm`
    if container.get("imagePullPolicy") is not None:
        pull = PULL.get(_text(container["imagePullPolicy"], f"{where}.imagePullPolicy"))
        if pull:
            words += ["--pull", pull]
    user = _run_as(container, pod, flow, where)
    if user:
        words += ["--user", user]
    if container.get("workingDir"):
        words += ["--workdir", _text(container["workingDir"], f"{where}.workingDir")]
    for index, variable in enumerate(_sequence(container["env"], f"{where}.env") if "env" in container else ()):
        entry = _mapping(variable, f"{where}.env[{index}]")
        name = _text(entry.get("name"), f"{where}.env[{index}].name")
        if entry.get("valueFrom") is not None:
            source = ", ".join(sorted(_mapping(entry["valueFrom"], f"{where}.env[{index}].valueFrom")))
            from_cluster.append(f"{name} ({source})")
            valued_by_cluster.add(name)
            words += ["--env", name]
            continue
        known[name] = expand(_text(entry.get("value"), f"{where}.env[{index}].value"), known, unresolved)
        words += ["--env", f"{name}={known[name]}"]
    for index, reference in enumerate(_sequence(container["envFrom"], f"{where}.envFrom")
                                      if "envFrom" in container else ()):
        entry = _mapping(reference, f"{where}.envFrom[{index}]")
        prefixes.add(_text(entry.get("prefix"), f"{where}.envFrom[{index}].prefix"))
        from_cluster += [f"every key of {kind} {_mapping(ref, kind).get('name', '')}" for kind, ref in entry.items()
                         if kind in ("configMapRef", "secretRef")]
    command = [expand(word, known, unresolved) for word in _strings(container["command"], f"{where}.command")
               ] if container.get("command") is not None else []
    args = [expand(word, known, unresolved) for word in _strings(container["args"], f"{where}.args")
            ] if container.get("args") is not None else []
    if command:
        words += ["--entrypoint", command[0], image, *command[1:], *args]
    else:
        words += [image, *args]
    secrets = [name for name, value in known.items() if SECRET_NAME.held(name, value)]
    if secrets:  # as a crontab's or a systemd unit's environment: the value is now text of the task
        flow.warn("ENVIRONMENT_SECRET", f"{where}: {look_like_secrets(secrets)}, written in the manifest: "
                                        "carried in the task's command, which every owner and visitor of the flow "
                                        "can read; move them to a Secret the command reads, or the service's own "
                                        "secret store")
    if from_cluster:
        passed = ("the command passes each variable named by env on from the worker's environment (--env NAME)"
                  if valued_by_cluster else "")
        unnamed = ("the keys of a ConfigMap or Secret given whole (envFrom) are not named in the CronJob, so none is "
                   "passed on" if container.get("envFrom") else "")
        flow.warn("ENV_FROM_CLUSTER", f"{where}: {_names(from_cluster)} came from the cluster as each pod started "
                                      "(even a ConfigMap or Secret this file holds may have been changed there since): "
                                      "not carried as values; " + "; ".join(filter(None, (passed, unnamed))))
    unresolved = {name for name in unresolved if _may_be_defined(name, valued_by_cluster, prefixes)}
    if unresolved:
        flow.warn("ENV_REFERENCE", f"{where}: $({'), $('.join(sorted(unresolved))}) were expanded by the kubelet from "
                                   "values the cluster gave the container (a ConfigMap's or a Secret's, a Service's "
                                   "own such as DB_SERVICE_HOST), which are not carried, or were no variable of it: "
                                   "kept as written, so the program receives that text")
    return _DOCKER_RUN + " ".join(map(_quoted, words))


@functools.lru_cache(maxsize=8192)  # flags, images and entrypoints repeat from CronJob to CronJob
def _quoted(word: str) -> str:
    return shlex.quote(word)


def _container_settings(flow: FlowRows, container: dict[str, Any], where: str) -> None:
    if container.keys() <= _PLAIN_CONTAINER:
        return
    resources = _mapping(container.get("resources"), f"{where}.resources")
    if any(resources.values()):
        flow.warn("RESOURCES", f"{where}: resources {json.dumps(resources, sort_keys=True, default=str)} are not "
                               "carried")
    mounts = [_text(_mapping(m, "volumeMount").get("mountPath"), "mountPath")
              for m in _sequence(container.get("volumeMounts"), f"{where}.volumeMounts")]
    if mounts:
        flow.warn("VOLUMES", f"{where}: mounts at {_names(mounts)} are not carried")
    security = _mapping(container.get("securityContext"), f"{where}.securityContext")
    extra = [key for key, value in container.items()
             if key not in CONTAINER_CARRIED and _is_set(value) and CONTAINER_DEFAULTS.get(key, _ABSENT) != value]
    extra += [f"securityContext.{key}" for key, value in sorted(security.items())
              if key not in RUN_AS and _is_set(value) and SECURITY_DEFAULTS.get(key, _ABSENT) != value]
    if extra:
        flow.warn("CONTAINER_SETTINGS", f"{where}: {', '.join(extra)} not carried")


def _tasks(flow: FlowRows, pod: dict[str, Any]) -> None:
    containers = _sequence(pod.get("containers"), "the pod's containers")
    if not containers:
        raise Malformed("spec.jobTemplate.spec.template.spec.containers is empty: the pod runs nothing")
    for number, item in enumerate(containers, start=1):
        container = item if type(item) is dict else _mapping(item, f"container {number}")
        name = container.get("name")
        name = (name if type(name) is str else _text(name, f"container {number} name")) or f"container-{number}"
        where = f"container {name}"
        flow.tasks.append({"task_id": str(number), "task_name": name,
                           "command": container_command(container, pod, flow, where)})
        _container_settings(flow, container, where)
    flow.warn("CONTAINER_AS_TASK", "each task runs its container's image with docker run on the service's worker "
                                   "(image, command, args, env, working directory, user carried); the cluster around "
                                   "the pod is not")
    if len(containers) > 1:
        flow.warn("POD_CONTAINERS", f"the pod ran {len(containers)} containers side by side, sharing a network and "
                                    "volumes: each is a task, started together, sharing neither")
    listed = [_mapping(c, "init container") for c in _sequence(pod.get("initContainers"), "initContainers")] \
        if "initContainers" in pod else []
    named = [(f"{_text(c.get('name'), 'name')} ({_text(c.get('image'), 'image')})",
              str(c.get("restartPolicy", "")).strip() == "Always") for c in listed]
    init = [name for name, sidecar in named if not sidecar]
    sidecars = [name for name, sidecar in named if sidecar]  # Kubernetes 1.29+: native sidecars
    if init:
        flow.warn("INIT_CONTAINERS", f"init containers {_names(init)} ran first, in order, in the pod: not carried "
                                     "(they prepare what the pod shares, which the tasks do not)")
    if sidecars:
        flow.warn("INIT_CONTAINERS", f"sidecar containers {_names(sidecars)} (init containers with restartPolicy "
                                     "Always) ran beside the main containers for the whole Job: not carried")


def _annotations(flow: FlowRows, metadata: dict[str, Any]) -> None:
    if "annotations" not in metadata:
        return
    names = sorted(k for k in _mapping(metadata.get("annotations"), "metadata.annotations") if k != LAST_APPLIED)
    if names:
        flow.warn("ANNOTATIONS", f"annotations {_names(names)} are not carried")


def _flow(item: dict[str, Any], number: int, default_namespace: str) -> FlowRows:
    metadata: dict[str, Any] = item["metadata"] if isinstance(item.get("metadata"), dict) else {}
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        flow = FlowRows(key=f"cronjob {number}", name=f"cronjob_{number}")
        flow.fail("MALFORMED_CRONJOB", f"CronJob {number} of the file has no metadata.name")
        return flow
    namespace = metadata.get("namespace")
    assumed = not isinstance(namespace, str) or not namespace
    namespace = default_namespace if assumed else namespace
    flow = FlowRows(key=f"{namespace}/{name}", name=f"{namespace}_{name}")
    flow.cells["desc"] = f"Kubernetes CronJob {namespace}/{name}"
    if assumed:
        flow.warn("NAMESPACE_ASSUMED", f"the CronJob names no namespace: taken to be {namespace!r} ([source] options "
                                       "namespace)")
    try:
        spec = _mapping(item.get("spec"), "spec")
        job_template = _mapping(spec.get("jobTemplate"), "spec.jobTemplate")
        job = _mapping(job_template.get("spec"), "spec.jobTemplate.spec")
        template = _mapping(job.get("template"), "spec.jobTemplate.spec.template")
        pod = _mapping(template.get("spec"), "spec.jobTemplate.spec.template.spec")
        labels = _mapping(metadata.get("labels"), "metadata.labels")
        flow.cells["params"] = parameters_text([
            {"key": str(k), "value": v if type(v) is str else _text(v, f"label {k}")} for k, v in labels.items()])
        _schedule(flow, spec, metadata, _mapping(item.get("status"), "status"))
        _state(flow, spec, job)
        _tasks(flow, pod)
        _job_settings(flow, job, pod)
        _pod_settings(flow, pod, template)
        _job_metadata(flow, job_template)
        _cronjob_settings(flow, spec)
        _annotations(flow, metadata)
    except Malformed as error:
        flow.fail("MALFORMED_CRONJOB", f"CronJob {namespace}/{name}: {error}")
    return flow


def _flows(settings: SourceSettings) -> Iterator[FlowRows]:
    default_namespace = _options(settings)
    listed = _found(settings)
    skipped = listed.skipped
    if not listed.count:
        found = f"found {_names(skipped)}" if skipped else "found no object"
        raise SourceError(f"{settings.path}: this does not look like a Kubernetes CronJob export ({EXPECTED}; {found})")
    for number, item in enumerate(listed.cronjobs, start=1):
        flow = _flow(item, number, default_namespace)
        if number == 1 and skipped:
            flow.warn("SKIPPED_OBJECTS", f"the file also holds {len(skipped)} object(s) that are not CronJobs, "
                                         f"skipped: {_names(skipped)}")
        yield flow


# One CronJob twice (a Helm rendering, files joined): `kubectl apply` leaves the later in the
# cluster, while the earlier is the flow saved.
APPLIED_AGAIN = ("one namespace and name are one CronJob: `kubectl apply` of these documents left the later one in "
                 "the cluster, and the earlier is the flow saved; keep in the export only the one that runs there, "
                 "and plan before a run")


def read(settings: SourceSettings) -> Iterator[SourceRow]:
    return rows_of(_flows(settings), again=APPLIED_AGAIN)


PROFILE = Profile("kubernetes", "quartz", read, "Kubernetes CronJobs: kubectl get cronjob -A -o yaml")
