"""The kubernetes profile on CronJob exports in their real shapes (fixtures in
tests/fixtures/kubernetes/): `kubectl get cronjob -A -o yaml` (a List, batch/v1 and batch/v1beta1),
`-o json`, Helm's multi-document output with other kinds and a CRD also called CronJob, a bare
manifest without a namespace, and a List with no CronJob.

Schedules are robfig/cron's (what Kubernetes validates and fires). They are checked three ways:
robfig's own documented cases (its spec_test.go TestActivation), a small evaluator of robfig's
grammar written here from parser.go and spec.go (getRange, dayMatches) and checked on those cases,
and cronsim (Vixie cron) only on the expressions where the two grammars mean the same: no `?`, no
`N/step`, day of week 0-6, and both day fields "star" alike (Vixie: the text starts with `*`;
robfig: a `*` or `?` term without a step above 1)."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta
from itertools import islice, takewhile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import base_state, plan_profile, profile_run_config, standard_cells
from cronsim import CronSim
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.result import Converted, Rejection
from migrate.schedule.robfig import convert_robfig, go_duration_seconds, split_zone
from migrate.sources.profiles import registry
from migrate.sources.profiles.kubernetes import expand
from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "kubernetes"
WINDOW = timedelta(days=730)


def first_fires(times: Any, end: datetime, count: int = 40) -> list[datetime]:
    return list(islice(takewhile(lambda t: t <= end, times), count))


def flows_of(path: Path, **options: Any) -> dict[str, list[dict[str, str]]]:
    """Each flow's rows (one per task) by flow key."""
    settings = SourceSettings(path=path, profile="kubernetes", options=options)
    found: dict[str, list[dict[str, str]]] = {}
    for row in registry()["kubernetes"].read(settings):
        found.setdefault(row.cells["flow"], []).append(standard_cells(row))
    return found


def codes(cells: str) -> list[str]:
    return [entry["code"] for entry in json.loads(cells)] if cells else []


def messages(cells: str) -> str:
    return " ".join(entry["message"] for entry in json.loads(cells)) if cells else ""


def cronjob(tmp_path: Path, schedule: str, extra_spec: str = "", container: str = "", status: str = "") -> Path:
    """A one-CronJob manifest with the given schedule (and spec, container, status lines)."""
    path = tmp_path / "cronjob.yaml"
    path.write_text(f"""apiVersion: batch/v1
kind: CronJob
metadata:
  name: job
  namespace: team
  creationTimestamp: "2024-03-01T10:20:30Z"
spec:
  schedule: {json.dumps(schedule)}
{extra_spec}  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: main
            image: busybox:1.36
{container}{status}""", encoding="utf-8")
    return path


# -- robfig/cron, the grammar Kubernetes reads ---------------------------------------------------

@pytest.mark.parametrize(
    ("spec", "freq"),
    [
        ("* * * * *", "0 * * * * ? *"),
        ("0/15 * * * *", "0 0/15 * * * ? *"),
        ("5/15 * * * *", "0 5/15 * * * ? *"),  # N/step runs to the end (Vixie refuses it)
        ("0/15 * * Jul *", "0 0/15 * * 7 ? *"),  # names, any case
        ("30 08 ? Jul Sun", "0 30 8 ? 7 1 *"),  # ? is *: AND, Sundays of July
        ("30 08 15 Jul ?", "0 30 8 15 7 ? *"),
        ("* * 1,15 * *", "0 * * 1,15 * ? *"),
        ("* * * * Mon", "0 * * ? * 2 *"),
        ("0 0 5,* * 1", "0 0 0 ? * 2 *"),  # a * term makes the field *: AND, Mondays (Vixie: OR, every day)
        ("0 0 1-31 * 1", "0 0 0 * * ? *"),  # no star: OR with every day of the month
        ("0 0 * Feb Mon/2", "0 0 0 ? 2 2/2 *"),  # Mon/2 is Mon-Sat/2 (robfig's TestNext)
        ("0 0 * * */1", "0 0 0 * * ? *"),  # */1 keeps the star
        ("*-5 0 * * *", "0 * 0 * * ? *"),  # the end after a star is ignored
        ("+05 007 * * *", "0 5 7 * * ? *"),  # strconv.Atoi: a + and leading zeros
        ("0 0 1,,15 * *", "0 0 0 1,15 * ? *"),  # empty list terms are skipped
        ("@hourly", "0 0 * * * ? *"),
        ("@daily", "0 0 0 * * ? *"),
        ("@midnight", "0 0 0 * * ? *"),
        ("@weekly", "0 0 0 ? * 1 *"),
        ("@monthly", "0 0 0 1 * ? *"),
        ("@yearly", "0 0 0 1 1 ? *"),
        ("@annually", "0 0 0 1 1 ? *"),
    ],
)
def test_robfig_golden(spec: str, freq: str) -> None:
    assert convert_robfig(spec).freq == freq


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ("* * 1,15 * Sun", "DOM_OR_DOW"),  # robfig's own example: both restricted, either matches
        ("* * */10 * Sun", "DOM_OR_DOW"),  # robfig issue 70: */10 is not *, so OR (Vixie: AND)
        ("0 0 * * 7", "INVALID_SYNTAX"),  # 0-6 only: the API server refuses 7
        ("H 0 * * *", "INVALID_SYNTAX"),  # Jenkins' H is not robfig's
        ("0 0 L * *", "INVALID_SYNTAX"),
        ("0 0 * * 1#2", "INVALID_SYNTAX"),
        ("0 0 0 * * *", "INVALID_SYNTAX"),  # six fields: the standard parser takes five
        ("@Daily", "INVALID_SYNTAX"),  # descriptors are matched exactly
        ("@reboot", "INVALID_SYNTAX"),
        ("0 22-2 * * *", "INVALID_SYNTAX"),  # backwards
        ("*/0 * * * *", "INVALID_SYNTAX"),
        ("0 0 30 2 *", "IMPOSSIBLE_DATE"),
        ("@every 90m", "UNSUPPORTED_INTERVAL"),
        ("@every 30s", "SUB_MINUTE"),
    ],
)
def test_robfig_refusals(spec: str, code: str) -> None:
    with pytest.raises(Rejection) as raised:
        convert_robfig(spec, datetime(2024, 1, 1))
    assert raised.value.code == code and raised.value.message


def test_every_counts_from_its_anchor_to_the_second() -> None:
    assert convert_robfig("@every 15m", datetime(2025, 3, 4, 9, 7, 13)).freq == "13 7/15 * * * ? *"
    assert convert_robfig("@every 2h", datetime(2025, 3, 4, 9, 7, 13)).freq == "13 7 1/2 * * ? *"
    assert convert_robfig("@every 24h", datetime(2025, 3, 4, 9, 7, 13)).freq == "13 7 9 * * ? *"
    with pytest.raises(Rejection) as raised:
        convert_robfig("@every 15m")
    assert raised.value.code == "NEEDS_START"


@pytest.mark.parametrize(("text", "seconds"), [
    ("15m", 900), ("1h30m", 5400), ("1.5h", 5400), ("90s", 90), ("2h45m30.9s", 9930), ("300ms", 1), ("0", 1),
    ("-5m", 1), ("1h0m0s", 3600)])
def test_go_durations_as_robfig_every_reads_them(text: str, seconds: int) -> None:
    """time.ParseDuration, then robfig's Every: at least a second, rounded down to whole seconds."""
    assert go_duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["5", "1d", "5 m", "", "m", "1h-5m"])
def test_not_go_durations(text: str) -> None:
    with pytest.raises(Rejection):
        go_duration_seconds(text)


def test_zone_prefixes_as_robfig_splits_them() -> None:
    assert split_zone("CRON_TZ=Asia/Tokyo 0 9 * * *") == ("Asia/Tokyo", "0 9 * * *")
    assert split_zone("TZ=America/New_York   @daily") == ("America/New_York", "@daily")
    assert split_zone("TZ= 0 9 * * *") == ("", "0 9 * * *")  # Go's LoadLocation(""): UTC
    assert split_zone("0 9 * * *") == (None, "0 9 * * *")
    with pytest.raises(Rejection):
        split_zone("TZ=UTC")


# A second reading of robfig's grammar, written from parser.go and spec.go, for the property test.

ROBFIG_NAMES = {"month": {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                                                      "oct", "nov", "dec"], 1)},
                "dow": {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}}


def robfig_bits(field: str, lo: int, hi: int, names: dict[str, int] | None = None) -> tuple[set[int], bool]:
    """getField: the values and the star bit."""
    values, star = set(), False
    for expr in filter(None, field.split(",")):
        range_step = expr.split("/")
        low_high = range_step[0].split("-")
        extra = False
        if low_high[0] in ("*", "?"):
            start, end, extra = lo, hi, True
        else:
            named = (names or {}).get(low_high[0].lower())
            start = int(low_high[0]) if named is None else named
            named = start if len(low_high) == 1 else (names or {}).get(low_high[1].lower())
            end = int(low_high[1]) if named is None else named
        step = 1
        if len(range_step) == 2:
            step = int(range_step[1])
            if len(low_high) == 1:
                end = hi
            if step > 1:
                extra = False
        assert lo <= start <= end <= hi and step > 0
        values |= set(range(start, end + 1, step))
        star = star or extra
    return values, star


def robfig_fires(spec: str, after: datetime, until: datetime, count: int = 40) -> list[datetime]:
    minute, hour, dom, month, dow = spec.split()
    minutes, hours = robfig_bits(minute, 0, 59)[0], robfig_bits(hour, 0, 23)[0]
    days, dom_star = robfig_bits(dom, 1, 31)
    weekdays, dow_star = robfig_bits(dow, 0, 6, ROBFIG_NAMES["dow"])
    months = robfig_bits(month, 1, 12, ROBFIG_NAMES["month"])[0]
    fires: list[datetime] = []
    day = after.date()
    while day <= until.date() and len(fires) < count:
        dom_match, dow_match = day.day in days, (day.weekday() + 1) % 7 in weekdays
        matches = dom_match and dow_match if (dom_star or dow_star) else dom_match or dow_match
        if day.month in months and matches:
            fires += [t for h in sorted(hours) for m in sorted(minutes)
                      if after < (t := datetime(day.year, day.month, day.day, h, m)) <= until]
        day += timedelta(days=1)
    return fires[:count]


ACTIVATION = [  # robfig/cron spec_test.go TestActivation, the five-field cases
    ("2012-07-09 15:00", "0/15 * * * *", True), ("2012-07-09 15:45", "0/15 * * * *", True),
    ("2012-07-09 15:40", "0/15 * * * *", False), ("2012-07-09 15:05", "5/15 * * * *", True),
    ("2012-07-09 15:20", "5/15 * * * *", True), ("2012-07-09 15:50", "5/15 * * * *", True),
    ("2012-07-15 15:00", "0/15 * * Jul *", True), ("2012-07-15 15:00", "0/15 * * Jun *", False),
    ("2012-07-15 08:30", "30 08 ? Jul Sun", True), ("2012-07-15 08:30", "30 08 15 Jul ?", True),
    ("2012-07-16 08:30", "30 08 ? Jul Sun", False), ("2012-07-16 08:30", "30 08 15 Jul ?", False),
    ("2012-07-15 00:00", "* * 1,15 * Sun", True), ("2012-06-15 00:00", "* * 1,15 * Sun", True),
    ("2012-08-01 00:00", "* * 1,15 * Sun", True), ("2012-07-15 00:00", "* * */10 * Sun", True),
    ("2012-07-15 00:00", "* * * * Mon", False), ("2012-07-09 00:00", "* * 1,15 * *", False),
    ("2012-07-15 00:00", "* * 1,15 * *", True), ("2012-07-15 00:00", "* * */2 * Sun", True),
]


@pytest.mark.parametrize(("moment", "spec", "fires"), ACTIVATION)
def test_the_evaluator_agrees_with_robfigs_own_cases(moment: str, spec: str, fires: bool) -> None:
    at = datetime.fromisoformat(moment)
    assert (robfig_fires(spec, at - timedelta(minutes=1), at, 1) == [at]) is fires


@pytest.mark.parametrize(("moment", "spec", "fires"), [case for case in ACTIVATION if not case[1].endswith("* Sun")])
def test_converted_schedules_fire_as_robfigs_own_cases(moment: str, spec: str, fires: bool) -> None:
    """Those whose days are ORed (`* * 1,15 * Sun`) have no Quartz form: refused, as tested above."""
    at = datetime.fromisoformat(moment)
    schedule = parse_quartz(convert_robfig(spec).freq)
    assert (next(schedule.fire_times(at - timedelta(seconds=1))) == at) is fires


def robfig_field(draw: st.DrawFn, lo: int, hi: int, names: list[str] | None = None) -> str:
    kind = draw(st.sampled_from(["*", "?", "value", "range", "step", "star_step", "start_step", "list", "name",
                                 "star_list"]))
    a = draw(st.integers(lo, hi - 1))
    b = draw(st.integers(a + 1, hi))
    n = draw(st.integers(1, max(1, (hi - lo) // 2)))
    name = (names[a - lo] if names else str(a))
    return {"*": "*", "?": "?", "value": str(a), "range": f"{a}-{b}", "step": f"{a}-{b}/{n}", "star_step": f"*/{n}",
            "start_step": f"{a}/{n}", "list": ",".join(sorted({str(draw(st.integers(lo, hi))) for _ in range(3)},
                                                                key=int)),
            "name": name, "star_list": f"{a},*"}[kind]


@st.composite
def robfig_expressions(draw: st.DrawFn) -> str:
    return " ".join([robfig_field(draw, 0, 59), robfig_field(draw, 0, 23), robfig_field(draw, 1, 31),
                     robfig_field(draw, 1, 12, ["Jan", "FEB", "mar", "Apr", "may", "JUN", "jul", "aug", "Sep",
                                                "oct", "nov", "DEC"]),
                     robfig_field(draw, 0, 6, ["Sun", "mon", "TUE", "wed", "thu", "Fri", "sat"])])


@settings(max_examples=300, deadline=None)
@given(spec=robfig_expressions(), start=st.datetimes(datetime(2023, 1, 1), datetime(2027, 1, 1)))
def test_robfig_schedules_fire_as_robfig_or_are_refused(spec: str, start: datetime) -> None:
    start = start.replace(second=0, microsecond=0)
    try:
        result: Converted | Rejection = convert_robfig(spec)
    except Rejection as rejection:
        result = rejection
    oracle = robfig_fires(spec, start, start + WINDOW)
    if isinstance(result, Rejection):
        assert result.code in ("DOM_OR_DOW", "IMPOSSIBLE_DATE"), (spec, result)
        return
    ours = first_fires(parse_quartz(result.freq).fire_times(start), start + WINDOW)
    assert ours == oracle, (spec, result.freq)


def _vixie_star(field: str) -> bool:
    return field.startswith("*")


def _robfig_star(field: str) -> bool:
    return any(re.fullmatch(r"[*?](?:-\d+)?(?:/1)?", term) for term in field.split(",") if term)


@settings(max_examples=600, deadline=None)
@given(spec=robfig_expressions(), start=st.datetimes(datetime(2023, 1, 1), datetime(2027, 1, 1)))
def test_where_robfig_and_vixie_agree_the_schedule_fires_as_cronsim(spec: str, start: datetime) -> None:
    """cronsim is Vixie cron (Debian): an oracle only where robfig's rules are the same."""
    fields = spec.split()
    if "?" in spec or any(re.search(r"(^|,)\w+/", f) for f in fields) or any(
            _vixie_star(f) != _robfig_star(f) for f in fields[2::2]):
        return
    start = start.replace(second=0, microsecond=0)
    try:
        result = convert_robfig(spec)
    except Rejection as rejection:
        assert rejection.code in ("DOM_OR_DOW", "IMPOSSIBLE_DATE"), (spec, rejection)
        return
    oracle = first_fires(CronSim(spec, start), start + WINDOW)
    ours = first_fires(parse_quartz(result.freq).fire_times(start), start + WINDOW)
    assert ours == oracle, (spec, result.freq)


# -- the kubelet's $(VAR) expansion (expansion_test.go's cases) ---------------------------------------

@pytest.mark.parametrize(("text", "expected", "unresolved"), [
    ("$(VAR_A)", "A", set()), ("___$(VAR_B)___", "___B___", set()), ("$(VAR_A)-$(VAR_A)", "A-A", set()),
    ("$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A", set()), ("$(VAR_DOES_NOT_EXIST)", "$(VAR_DOES_NOT_EXIST)",
                                                  {"VAR_DOES_NOT_EXIST"}),
    ("$(VAR_A", "$(VAR_A", set()), ("$$$$$$(BIG_MONEY)", "$$$(BIG_MONEY)", set()), ("$VAR_A", "$VAR_A", set()),
    ("$()", "$()", {""}), ("foo$", "foo$", set()), ("$$", "$", set()),
])
def test_expansion_as_the_kubelet_does_it(text: str, expected: str, unresolved: set[str]) -> None:
    found: set[str] = set()
    assert expand(text, {"VAR_A": "A", "VAR_B": "B"}, found) == expected
    assert found == unresolved


# -- the profile ---------------------------------------------------------------------------------

def test_kubectl_list_identity_schedule_zone_and_state() -> None:
    flows = flows_of(FIXTURES / "cronjobs-list.yaml")
    assert len(flows) == 10
    report = flows["analytics/nightly-report"][0]
    assert report["flow_name"] == "analytics_nightly-report"
    assert (report["schedule"], report["timezone"], report["active"]) == ("0 30 2 * * ? *", "Europe/Berlin", "1")
    assert json.loads(report["params"]) == [{"key": "app.kubernetes.io/name", "value": "nightly-report"},
                                            {"key": "team", "value": "analytics"}]
    assert flows["default/hello"][0]["schedule"] == "0 * * * * ? *"
    assert "CONTROLLER_TIMEZONE" in codes(flows["default/hello"][0]["__warnings__"])
    backup = flows["ops/db-backup"][0]
    assert backup["active"] == "0" and "SUSPENDED" in codes(backup["__warnings__"])
    assert flows["mail/weekly-digest"][0]["timezone"] == "Asia/Kolkata"
    assert flows["billing/month-end"][0]["schedule"] == "0 0 23 28-31 * ? *"  # ? in day of week: day of month only


def test_a_zone_prefix_is_carried_and_named() -> None:
    refresh = flows_of(FIXTURES / "cronjobs-list.yaml")["kube-system/cert-refresh"][0]
    assert (refresh["schedule"], refresh["timezone"]) == ("0 0 9 ? * 2-6 *", "Asia/Shanghai")
    assert "TZ_IN_SCHEDULE" in codes(refresh["__warnings__"])


def test_every_counts_from_the_last_schedule_time_in_utc() -> None:
    poller = flows_of(FIXTURES / "cronjobs-list.yaml")["data/queue-poller"][0]
    assert (poller["schedule"], poller["timezone"]) == ("13 7/15 * * * ? *", "UTC")
    assert "status.lastScheduleTime" in messages(poller["__warnings__"])


def test_every_without_status_counts_from_creation(tmp_path: Path) -> None:
    flow = flows_of(cronjob(tmp_path, "@every 1h"))["team/job"][0]
    assert flow["schedule"] == "30 20 * * * ? *" and "metadata.creationTimestamp" in messages(flow["__warnings__"])


def test_robfigs_or_is_refused_where_vixie_would_and() -> None:
    odd = flows_of(FIXTURES / "cronjobs-list.yaml")["data/odd-days"][0]
    assert codes(odd["__errors__"]) == ["DOM_OR_DOW"] and "'0 3 */2 * 1'" in messages(odd["__errors__"])


def test_both_zones_at_once_are_refused_as_the_api_server_refuses_them(tmp_path: Path) -> None:
    flow = flows_of(cronjob(tmp_path, "TZ=UTC 0 * * * *", '  timeZone: "Europe/Paris"\n'))["team/job"][0]
    assert codes(flow["__errors__"]) == ["TIMEZONE_CONFLICT"] and "Europe/Paris" in messages(flow["__errors__"])


def test_the_container_runs_as_its_pod_ran_it() -> None:
    flows = flows_of(FIXTURES / "cronjobs-list.yaml")
    assert flows["default/hello"][0]["command"] == (
        "docker run --rm --entrypoint /bin/sh busybox:1.28 -c 'date; echo Hello from the Kubernetes cluster'")
    report = flows["analytics/nightly-report"][0]["command"]
    assert report.startswith("docker run --rm --env REPORT_DATE_FORMAT=%Y-%m-%d --env REPORT_BUCKET_PREFIX=eu/%Y-%m-%d "
                             "--env DB_PASSWORD --entrypoint python registry.example.com/analytics/reports:2.14.1 -m "
                             "reports.nightly --date-format=%Y-%m-%d --out s3://reports/eu/%Y-%m-%d/daily")
    assert "'--password-from=$(DB_PASSWORD)'" in report  # a secret the export does not hold: kept as written
    assert flows["ops/db-backup"][0]["command"] == (
        "docker run --rm --pull always --user 70:70 --workdir /backups "
        "ghcr.io/example/pg-backup@sha256:4f1c9a2b7e3d5c6a8b9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b --all-databases")


def test_each_container_is_a_task_and_init_containers_are_reported() -> None:
    cleanup = flows_of(FIXTURES / "cronjobs-list.yaml")["ops/cleanup"]
    assert [(t["task_id"], t["task_name"], t["upstream"]) for t in cleanup] == [("1", "janitor", ""), ("2", "pusher", "")]
    assert cleanup[1]["command"] == ("docker run --rm --env PUSHGATEWAY=http://pushgateway.monitoring:9091 "
                                     "registry.example.com/ops/metrics-pusher:1.1")
    warned = codes(cleanup[0]["__warnings__"])
    assert "POD_CONTAINERS" in warned and "INIT_CONTAINERS" in warned
    assert "seed (busybox:1.36)" in messages(cleanup[0]["__warnings__"])


def test_a_secret_written_in_the_manifest_is_named_not_only_carried(tmp_path: Path) -> None:
    """`env: - {name: DB_PASSWORD, value: …}` is text of the task's command once carried: it went
    without a word (a crontab's or a unit's environment says ENVIRONMENT_SECRET). One from a Secret
    (valueFrom) is passed on by name, not carried, and needs no such warning."""
    path = tmp_path / "ledger.yaml"
    path.write_text(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: ledger-close, namespace: finance}\n"
        "spec:\n  schedule: '0 3 1 * *'\n  timeZone: Etc/UTC\n  jobTemplate:\n    spec:\n      template:\n"
        "        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: close\n"
        "            image: registry.example/ledger:3\n            env:\n            - {name: PERIOD, value: monthly}\n"
        "            - {name: DB_PASSWORD, value: s3cr3t-literal-pw}\n"
        "            - name: API_TOKEN\n              valueFrom: {secretKeyRef: {name: api, key: token}}\n",
        encoding="utf-8")
    [close] = flows_of(path)["finance/ledger-close"]
    [said] = [m for m in json.loads(close["__warnings__"]) if m["code"] == "ENVIRONMENT_SECRET"]
    assert "DB_PASSWORD looks like a secret, written" in said["message"] and "API_TOKEN" not in said["message"]
    assert "s3cr3t-literal-pw" not in said["message"]


def test_a_native_sidecar_is_said_to_run_beside_not_first(tmp_path: Path) -> None:
    """Kubernetes 1.29+: an init container with `restartPolicy: Always` is a sidecar, running beside
    the main containers for the whole Job; it was said to have run first, in order."""
    path = tmp_path / "sidecar.yaml"
    path.write_text(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: sync, namespace: ops}\n"
        "spec:\n  schedule: '0 4 * * *'\n  timeZone: Etc/UTC\n  jobTemplate:\n    spec:\n      template:\n"
        "        spec:\n          restartPolicy: OnFailure\n          initContainers:\n"
        "          - {name: migrate-db, image: 'tools/migrate:1'}\n"
        "          - {name: proxy, image: 'cloudsql/proxy:2', restartPolicy: Always}\n"
        "          containers:\n          - {name: main, image: 'ops/sync:3'}\n", encoding="utf-8")
    [main] = flows_of(path)["ops/sync"]
    said = [w["message"] for w in json.loads(main["__warnings__"]) if w["code"] == "INIT_CONTAINERS"]
    assert any("migrate-db (tools/migrate:1) ran first" in m for m in said), said
    assert any("sidecar containers proxy (cloudsql/proxy:2)" in m and "beside the main containers" in m
               for m in said), said


def test_what_the_job_and_pod_had_is_named() -> None:
    flows = flows_of(FIXTURES / "cronjobs-list.yaml")
    report = codes(flows["analytics/nightly-report"][0]["__warnings__"])
    for code in ("ENV_FROM_CLUSTER", "ENV_REFERENCE", "RESOURCES", "VOLUMES", "RETRY", "POD_SPEC",
                 "CONCURRENCY_POLICY", "HISTORY_LIMIT", "ANNOTATIONS", "CONTAINER_AS_TASK"):
        assert code in report, code
    annotations = messages(flows["analytics/nightly-report"][0]["__warnings__"])
    assert "owner.example.com/contact" in annotations and "last-applied-configuration" not in annotations
    # a variable by env is passed on by name; nothing said of envFrom's keys, which it has none of
    [from_cluster] = [w["message"] for w in json.loads(flows["analytics/nightly-report"][0]["__warnings__"])
                      if w["code"] == "ENV_FROM_CLUSTER"]
    assert "passes each variable named by env on" in from_cluster and "envFrom" not in from_cluster, from_cluster
    backup = codes(flows["ops/db-backup"][0]["__warnings__"])
    assert {"TIMEOUT", "SERVICE_ACCOUNT", "STARTING_DEADLINE", "CONCURRENCY_POLICY"} <= set(backup)
    assert "RETRY" not in backup  # backoffLimit 0
    hello = codes(flows["default/hello"][0]["__warnings__"])
    assert "RETRY" in hello and "6 time(s)" in messages(flows["default/hello"][0]["__warnings__"])  # the default
    assert not {"POD_SPEC", "CONTAINER_SETTINGS", "RESOURCES", "HISTORY_LIMIT"} & set(hello)  # API-server defaults


def test_a_job_that_runs_its_pod_several_times_is_refused() -> None:
    legacy = flows_of(FIXTURES / "cronjobs-list.yaml")["legacy/report-v1beta1"][0]
    assert codes(legacy["__errors__"]) == ["PARALLEL_PODS"]
    assert legacy["schedule"] == "0 15 1 * * ? *"  # batch/v1beta1 read as batch/v1


def test_helm_output_skips_other_kinds_with_a_note() -> None:
    flows = flows_of(FIXTURES / "helm-template.yaml")
    assert list(flows) == ["etl/extract", "etl/load"]
    first = flows["etl/extract"][0]
    skipped = messages(first["__warnings__"])
    assert "SKIPPED_OBJECTS" in codes(first["__warnings__"])
    assert "ServiceAccount etl/etl" in skipped and "ConfigMap etl/etl-config" in skipped
    assert "CronJob of batch.tutorial.kubebuilder.io/v1 etl/tutorial" in skipped
    assert first["command"].endswith("--source '$(SOURCE)' --since '$(yesterday)'")  # $$ escapes, envFrom unknown
    assert "configMapRef etl-config" in skipped


def test_a_manifest_without_a_namespace(tmp_path: Path) -> None:
    flows = flows_of(FIXTURES / "single.yaml")
    assert list(flows) == ["default/quarterly"] and "NAMESPACE_ASSUMED" in codes(
        flows["default/quarterly"][0]["__warnings__"])
    assert flows["default/quarterly"][0]["schedule"] == "0 0 6 1 1/3 ? *"
    assert list(flows_of(FIXTURES / "single.yaml", namespace="reports")) == ["reports/quarterly"]


def test_kubectl_json() -> None:
    sitemap = flows_of(FIXTURES / "cronjobs.json")["web/sitemap"][0]
    assert (sitemap["schedule"], sitemap["timezone"]) == ("0 0 4 ? * 1 *", "Europe/London")
    assert sitemap["command"] == ("docker run --rm registry.example.com/web/sitemap:9 generate --base-url "
                                  "https://www.example.com")


def test_a_malformed_cronjob_is_its_own_error(tmp_path: Path) -> None:
    path = cronjob(tmp_path, "0 1 * * *", container="            env: not-a-list\n")
    flow = flows_of(path)["team/job"][0]
    assert codes(flow["__errors__"]) == ["MALFORMED_CRONJOB"] and "env" in messages(flow["__errors__"])


def test_a_file_with_no_cronjob_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan_profile(tmp_path, capsys, "kubernetes", FIXTURES / "deployments.yaml")
    assert code == 1 and "does not look like a Kubernetes CronJob export" in err
    assert "Deployment web/api" in err and "Job default/hello-28571234" in err


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
        for i in range(8)]
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="alias"):
        flows_of(bomb)


def test_an_unknown_option_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan_profile(tmp_path, capsys, "kubernetes", FIXTURES / "single.yaml",
                                source_lines='options = { cluster = "prod" }')
    assert code == 1 and "cluster" in err and "namespace" in err


# -- through the CLI -------------------------------------------------------------------------------

def test_plan_of_the_kubectl_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan_profile(tmp_path, capsys, "kubernetes", FIXTURES / "cronjobs-list.yaml",
                                      extra='[mapping]\nsource_timezone = "UTC"', target='timezone = "UTC"')
    assert code == 5 and inventory["flows_found"] == 10
    # Berlin and Kolkata at 02:30/07:00 cannot be placed in UTC exactly at every instant (Berlin) or can (Kolkata)
    assert inventory["invalid_by_reason"] == {"DOM_OR_DOW": 1, "PARALLEL_PODS": 1, "TIMEZONE_MISMATCH": 1}
    assert inventory["warnings_by_code"]["CONTAINER_AS_TASK"] == 10


def test_run_saves_the_containers_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "kubernetes", FIXTURES / "helm-template.yaml",
                                target='timezone = "UTC"', run="create_missing = true")
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["by_status"] == {"created": 2}
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = [json.loads(value) for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    by_name = {flow["name"]: flow for flow in stored}
    assert set(by_name) == {"etl_extract", "etl_load"}
    assert [task["cmd"] for task in by_name["etl_load"]["task_details"].values()] == [
        "docker run --rm registry.example.com/etl/load:1.7.0"]
    assert by_name["etl_extract"]["graph"]["freq"] == "0 0 1 * * ? *"



# -- the controller's zone ---------------------------------------------------------------------------

ZONELESS = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: etl
spec:
  schedule: "30 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: nightly
            image: registry.example.com/etl/nightly:3
"""


def plan_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str = "") -> list[dict[str, str]]:
    export = tmp_path / "zoneless.yaml"
    export.write_text(ZONELESS, encoding="utf-8")
    code, inventory, err = plan_profile(tmp_path, capsys, "kubernetes", export, extra=extra,
                                        target='timezone = "Asia/Shanghai"')
    assert code == 3, err
    (action,) = inventory["actions"]
    return list(action.get("warnings", []))


def test_a_cronjob_without_a_zone_says_the_controller_fired_it_in_its_own(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = plan_warnings(tmp_path, capsys)
    assert [w["code"] for w in said].count("CONTROLLER_TIMEZONE") == 1
    assert not [w for w in said if w["code"] == "TIMEZONE_SHIFTED"]  # read in the service's zone, as written


def test_the_controller_zone_warning_is_marked_to_hold_only_while_no_source_timezone_is_set() -> None:
    """The profile cannot see [mapping]: it marks the warning, the mapping leaves it out."""
    flow = flows_of(FIXTURES / "cronjobs-list.yaml")["default/hello"][0]
    (entry,) = [w for w in json.loads(flow["__warnings__"]) if w["code"] == "CONTROLLER_TIMEZONE"]
    assert entry["unless"] == "source_timezone"
    timed = flows_of(FIXTURES / "cronjobs-list.yaml")["analytics/nightly-report"][0]
    assert "CONTROLLER_TIMEZONE" not in codes(timed["__warnings__"])


def test_source_timezone_names_the_controllers_zone_and_the_warning_goes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = plan_warnings(tmp_path, capsys, extra='[mapping]\nsource_timezone = "UTC"')
    assert any(w["code"] == "TIMEZONE_SHIFTED" for w in said)  # 02:30 UTC is 10:30 in Shanghai
    assert "CONTROLLER_TIMEZONE" not in [w["code"] for w in said]


def test_a_json_listing_reads_every_number_as_json_does(tmp_path: Path) -> None:
    """Each item is parsed again when its turn comes, by a faster parser where it reads alike: an
    integer beyond 64 bits (which it would make a float) and NaN (which it refuses) read as json
    reads them."""
    item = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "wide", "namespace": "etl"},
            "spec": {"schedule": "0 1 * * *", "timeZone": "UTC", "jobTemplate": {"spec": {
                "backoffLimit": 10**20, "template": {"spec": {"containers": [
                    {"name": "main", "image": "registry.example.com/etl/wide:1",
                     "args": ["--ratio", "x"], "securityContext": {"runAsUser": 2**64 - 1}}]}}}}}}
    odd = json.loads(json.dumps(item).replace("wide", "odd"))
    odd["metadata"]["labels"] = {"ratio": float("nan")}
    listing = tmp_path / "cronjobs.json"
    listing.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [item, odd]}), encoding="utf-8")
    flows = flows_of(listing)
    wide = flows["etl/wide"][0]
    assert "up to 100000000000000000000 time(s)" in messages(wide["__warnings__"])
    assert wide["command"].startswith(f"docker run --rm --user {2**64 - 1} ")
    assert json.loads(flows["etl/odd"][0]["params"]) == [{"key": "ratio", "value": "nan"}]


# -- the API's own lists (GET /apis/batch/v1/cronjobs, kubectl get --raw, client-go dumps) ----------

CRONJOB_LIST = FIXTURES / "cronjoblist-api.json"


def as_written(tmp_path: Path, variant: str) -> Path:
    """The API's CronJobList as served (kind before items: the first pass knows it), with its keys
    sorted (kind after items: the first pass learns it late), and as YAML (read whole)."""
    listing = json.loads(CRONJOB_LIST.read_text(encoding="utf-8"))
    path = tmp_path / f"cronjobs.{'yaml' if variant == 'yaml' else 'json'}"
    if variant == "as served":
        path.write_text(CRONJOB_LIST.read_text(encoding="utf-8"), encoding="utf-8")
    elif variant == "keys sorted":
        path.write_text(json.dumps(listing, sort_keys=True, indent=1), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(listing, sort_keys=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("variant", ["as served", "keys sorted", "yaml"])
def test_the_items_of_a_cronjoblist_are_its_cronjobs(tmp_path: Path, variant: str) -> None:
    """The API leaves out each item's kind and apiVersion: they are the list's."""
    flows = flows_of(as_written(tmp_path, variant))
    assert list(flows) == ["finance/ledger-export", "web/cache-warm"]
    ledger, cache = flows["finance/ledger-export"][0], flows["web/cache-warm"][0]
    assert (ledger["schedule"], ledger["active"]) == ("0 15 1 * * ? *", "1")
    assert ledger["command"] == "docker run --rm registry.example.com/finance/ledger-export:4.2 --since yesterday"
    assert (cache["schedule"], cache["active"]) == ("0 0/20 * * * ? *", "0")
    assert "SKIPPED_OBJECTS" not in codes(ledger["__warnings__"])


def test_plan_of_the_apis_cronjoblist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, err = plan_profile(tmp_path, capsys, "kubernetes", CRONJOB_LIST,
                                        extra='[mapping]\nsource_timezone = "UTC"', target='timezone = "UTC"')
    assert code == 3, err
    assert inventory["flows_found"] == 2 and inventory["by_action"] == {"valid": 2}


def test_auto_recognises_the_apis_cronjoblist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, err = plan_profile(tmp_path, capsys, "auto", CRONJOB_LIST,
                                        extra='[mapping]\nsource_timezone = "UTC"', target='timezone = "UTC"')
    assert code == 3, err
    assert inventory["profile"] == "kubernetes, recognised" and inventory["flows_found"] == 2


def api_list(kind: str, api_version: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": "1"}, "items": list(items)}


def listed_item(name: str, kind: str = "", api_version: str = "") -> dict[str, Any]:
    """An item as an API list holds it: no kind or apiVersion unless given."""
    typed = {"kind": kind, "apiVersion": api_version} if kind else {}
    return {**typed, "metadata": {"name": name, "namespace": "batch"}, "spec": {
        "schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "OnFailure", "containers": [{"name": "main", "image": "busybox:1.36"}]}}}}}}


@pytest.mark.parametrize("sort_keys", [False, True])
@pytest.mark.parametrize(("listing", "found"), [
    # a JobList's items are Jobs (the ones CronJobs made): skipped, named as Jobs
    (api_list("JobList", "batch/v1", listed_item("nightly-28571234")), "found Job batch/nightly-28571234"),
    # a CronJobList of another API group (a CRD also called CronJob): not Kubernetes' CronJobs
    (api_list("CronJobList", "batch.tutorial.kubebuilder.io/v1", listed_item("tutorial")),
     "found CronJob of batch.tutorial.kubebuilder.io/v1 batch/tutorial"),
    # a List (kubectl's, of mixed kinds) names each item's kind: an item without one has none
    (api_list("List", "v1", listed_item("nameless")), "found an object without a kind batch/nameless"),
])
def test_other_lists_keep_their_items_kinds(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            listing: dict[str, Any], found: str, sort_keys: bool) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps(listing, sort_keys=sort_keys), encoding="utf-8")
    code, _, err = plan_profile(tmp_path, capsys, "kubernetes", path)
    assert code == 1 and found in err


@pytest.mark.parametrize("sort_keys", [False, True])
def test_a_list_of_mixed_kinds_reads_its_cronjobs_and_names_the_rest(tmp_path: Path, sort_keys: bool) -> None:
    mixed = api_list("List", "v1", listed_item("nightly", "CronJob", "batch/v1"),
                     listed_item("nightly-28571234", "Job", "batch/v1"), listed_item("nameless"))
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps(mixed, sort_keys=sort_keys), encoding="utf-8")
    flows = flows_of(listing)
    assert list(flows) == ["batch/nightly"]
    skipped = messages(flows["batch/nightly"][0]["__warnings__"])
    assert "Job batch/nightly-28571234" in skipped and "an object without a kind batch/nameless" in skipped


# -- $(…) the kubelet reads as a variable name, and what a shell runs ----------------------------------

def test_shell_command_substitution_is_not_a_variable_reference(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`$(date -Is)` names no variable a cluster can define: the kubelet leaves it as written, as
    the task does, for bash to run; `$(KEEP)` is the container's own variable, expanded."""
    code, inventory, err = plan_profile(tmp_path, capsys, "kubernetes", FIXTURES / "pipelinerun-cleaner.yaml",
                                        extra='[mapping]\nsource_timezone = "UTC"', target='timezone = "UTC"')
    assert code == 3, err
    assert "ENV_REFERENCE" not in inventory["warnings_by_code"]
    (command,) = [task["command"] for task in flows_of(FIXTURES / "pipelinerun-cleaner.yaml")["default/pipelinerun-pruner"]]
    assert "head -n -5" in command and command.count("$(date -Is)") == 2 and "${RUN}" in command


@pytest.mark.parametrize(("reference", "container", "warned"), [
    ("$(date -Is)", "", False),  # a space: no variable's name
    ("$(A=B)", "", False),
    ("$()", "", False),
    ("$(hostname)", "", True),  # could be a service's variable, or a key of an envFrom
    ("$(1KEY.v2)", "", True),  # a ConfigMap key may start with a digit (envFrom, relaxed validation)
    ("$(DB PASS)", "            env:\n            - name: DB PASS\n              valueFrom:\n"
                   "                secretKeyRef: {name: db, key: pass}\n", True),  # the cluster valued that name
    ("$(CFG one)", "            envFrom:\n            - prefix: 'CFG '\n              configMapRef: {name: cfg}\n", True),
    ("$(CFG one two)", "            envFrom:\n            - prefix: 'CFG '\n              configMapRef: {name: cfg}\n",
     False),  # no key holds a space
])
def test_a_reference_is_named_only_where_the_cluster_could_define_it(
        tmp_path: Path, reference: str, container: str, warned: bool) -> None:
    args = f"            args: [{json.dumps('echo ' + reference)}]\n"
    flow = flows_of(cronjob(tmp_path, "0 1 * * *", container=container + args))["team/job"][0]
    assert reference in flow["command"]  # kept as written either way
    said = [w["message"] for w in json.loads(flow["__warnings__"]) if w["code"] == "ENV_REFERENCE"]
    assert bool(said) == warned and (not warned or reference in said[0])


# -- empty settings ----------------------------------------------------------------------------------

def test_an_empty_setting_is_no_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lifecycle: {}`, `ports: []`, `selector: null`, `hostname: ""` as some clusters export what
    was never set: nothing to name; a setting with a value still is (imagePullSecrets)."""
    code, inventory, err = plan_profile(tmp_path, capsys, "kubernetes", FIXTURES / "cronjob-empty-settings.json",
                                        extra='[mapping]\nsource_timezone = "UTC"', target='timezone = "UTC"')
    assert code == 3, err
    (action,) = inventory["actions"]
    said = {w["code"]: w["message"] for w in action["warnings"]}
    assert not {"CONTAINER_SETTINGS", "JOB_SETTINGS", "STARTING_DEADLINE"} & set(said)
    assert said["POD_SPEC"] == "the pod's imagePullSecrets are not carried"


def test_a_setting_with_a_value_is_still_named(tmp_path: Path) -> None:
    container = "            lifecycle:\n              preStop: {exec: {command: [sh, -c, sleep 5]}}\n            ports: []\n"
    flow = flows_of(cronjob(tmp_path, "0 1 * * *", container=container))["team/job"][0]
    (message,) = [w["message"] for w in json.loads(flow["__warnings__"]) if w["code"] == "CONTAINER_SETTINGS"]
    assert message == "container main: lifecycle not carried"


def test_a_security_setting_that_restricts_is_named_and_one_at_its_default_is_not(tmp_path: Path) -> None:
    """`allowPrivilegeEscalation: false` restricts the container (its default is true): a fact the
    task's docker run does not carry, so it is named; `privileged: false` is the default."""
    container = ("            securityContext:\n              allowPrivilegeEscalation: false\n"
                 "              privileged: false\n              readOnlyRootFilesystem: true\n")
    flow = flows_of(cronjob(tmp_path, "0 1 * * *", container=container))["team/job"][0]
    (message,) = [w["message"] for w in json.loads(flow["__warnings__"]) if w["code"] == "CONTAINER_SETTINGS"]
    assert message == ("container main: securityContext.allowPrivilegeEscalation, "
                       "securityContext.readOnlyRootFilesystem not carried")


def test_the_jobs_own_labels_and_annotations_are_named(tmp_path: Path) -> None:
    """spec.jobTemplate.metadata: what the Jobs carried (a label a monitor selects them by, CCE's
    `enable: true`): not carried by a flow, so named."""
    path = cronjob(tmp_path, "0 1 * * *")
    text = path.read_text(encoding="utf-8").replace(
        "  jobTemplate:\n    spec:\n",
        "  jobTemplate:\n    metadata:\n      labels: {team: data}\n      annotations: {enable: \"true\"}\n    spec:\n")
    path.write_text(text, encoding="utf-8")
    flow = flows_of(path)["team/job"][0]
    said = [w["message"] for w in json.loads(flow["__warnings__"]) if w["code"] == "JOB_SETTINGS"]
    assert said == ["the Jobs' labels (team), annotations (enable) (spec.jobTemplate.metadata) are not carried"]


def test_auto_recognises_a_large_cronjoblist_whose_kind_comes_last(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Keys sorted (`json.dumps(sort_keys=True)`, client-go dumps): the list's kind is its last
    member, far past the first 64 KB, and its items name none: the file's end says what it is."""
    items = [listed_item(f"job-{n:04d}") for n in range(600)]
    path = tmp_path / "cronjobs.json"
    path.write_text(json.dumps(api_list("CronJobList", "batch/v1", *items), sort_keys=True), encoding="utf-8")
    assert path.stat().st_size > 64 * 1024 and json.loads(path.read_text())["items"][0].get("kind") is None
    code, inventory, err = plan_profile(tmp_path, capsys, "auto", path, extra='[mapping]\nsource_timezone = "UTC"',
                                        target='timezone = "UTC"')
    assert code == 3, err
    assert inventory["profile"] == "kubernetes, recognised" and inventory["flows_found"] == 600


@pytest.mark.parametrize("profile", ["kubernetes", "rundeck"])
def test_a_yaml_export_saved_as_utf16_by_powershell_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             profile: str) -> None:
    """`kubectl get cronjob -A -o yaml > cronjobs.yaml` in Windows PowerShell 5 writes UTF-16 with its
    byte-order mark: it was "not utf-8-sig text (byte 0)"; the mark says the encoding, as for JSON."""
    example = {"kubernetes": "kubernetes-cronjobs.yaml", "rundeck": "rundeck-jobs.yaml"}[profile]
    source = Path(__file__).resolve().parent.parent / "data" / "examples" / example
    wide = tmp_path / example
    wide.write_bytes(source.read_text(encoding="utf-8").encode("utf-16"))  # with its mark
    runs = [plan_profile(tmp_path, capsys, profile, path, target='timezone = "UTC"') for path in (source, wide)]
    assert runs[1][0] == runs[0][0] and runs[1][1]["flows_found"] == runs[0][1]["flows_found"] > 0, runs[1][2]


def test_one_cronjob_twice_says_which_one_kubectl_apply_left(tmp_path: Path) -> None:
    """A Helm rendering with one CronJob twice: the earlier is saved, the later DUPLICATE, whose
    advice was "if they are two jobs, rename one", where `kubectl apply` left the later running."""
    one = cronjob(tmp_path, "*/30 * * * *").read_text(encoding="utf-8")
    path = tmp_path / "rendered.yaml"
    path.write_text(one + "---\n" + one.replace('"*/30 * * * *"', '"0 * * * *"'), encoding="utf-8")
    flows = flows_of(path)
    [again] = [rows for key, rows in flows.items() if "again" in key]
    said = messages(again[0]["__errors__"])
    assert codes(again[0]["__errors__"]) == ["DUPLICATE"] and "`kubectl apply`" in said and "the earlier is the flow saved" in said
