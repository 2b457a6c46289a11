"""Facts of the source that a flow must keep or report: interval anchors, time zones, jobs
without a time schedule, dependencies on other flows. Pure mapping, no I/O."""

from __future__ import annotations

import json
from typing import Any

import pytest

from migrate.cli import main
from migrate.config import Settings
from migrate.mapping.flows import InvalidFlow, ValidFlow, plan_flows
from migrate.sources.readers import SourceRow

DEFAULTS = {"type": 1, "alertMode": 0, "doAs": "db", "visitors": "", "startTime": "2026-12-01", "active": 1,
            "owners": "alice"}
FIELDS = {"id": "id", "name": "name", "freq": "freq"}


def settings(target: dict[str, Any] | None = None, **mapping: Any) -> Settings:
    return Settings.model_validate({
        "source": {"path": "x.csv"},
        "mapping": {"fields": FIELDS, **mapping},
        "defaults": DEFAULTS,
        "target": {"url": "http://127.0.0.1:1", "user_id": "u", "org_id": "o", **(target or {})},
    })


def one(cells: dict[str, str], config: Settings) -> ValidFlow | InvalidFlow:
    [flow] = list(plan_flows([SourceRow(2, {"id": "7", "name": "job", **cells})], config))
    return flow


def codes(flow: ValidFlow | InvalidFlow) -> list[str | None]:
    assert isinstance(flow, InvalidFlow), flow
    return [e.code for e in flow.errors]


def test_an_interval_is_never_anchored_on_a_default_start_time() -> None:
    flow = one({"freq": '{"__type": "TimeDelta", "days": 1, "seconds": 0, "microseconds": 0}'},
               settings(schedule_dialect="airflow"))
    assert codes(flow) == ["NEEDS_START"]


def test_an_interval_counts_from_the_rows_own_anchor() -> None:
    flow = one({"freq": "PT6H", "anchor": "2026-01-02T01:03:54"},
               settings(schedule_dialect="iso8601", schedule_start="anchor"))
    assert isinstance(flow, ValidFlow)
    assert flow.payload.freq == "54 3 1/6 * * ? *"


def test_an_anchor_with_an_offset_is_an_instant_placed_in_the_services_zone() -> None:
    """Airflow's next_dagrun is UTC: a daily interval at 01:03:54 UTC is 09:03:54 in Shanghai."""
    config = settings(target={"timezone": "Asia/Shanghai"}, schedule_dialect="iso8601", schedule_start="anchor")
    flow = one({"freq": "P1D", "anchor": "2026-01-02T01:03:54+00:00"}, config)
    assert isinstance(flow, ValidFlow)
    assert flow.payload.freq == "54 3 9 * * ? *"


def test_a_zone_the_service_cannot_be_matched_with_is_refused_by_name() -> None:
    flow = one({"freq": "0 2 * * *", "tz": "Europe/Berlin"},
               settings(schedule_dialect="unix", schedule_timezone="tz"))
    assert codes(flow) == ["TIMEZONE_MISMATCH"]
    assert "Europe/Berlin" in flow.errors[0].message and "[target] timezone" in flow.errors[0].message


def test_a_schedule_in_the_services_own_zone_converts_without_a_word() -> None:
    config = settings(target={"timezone": "Asia/Shanghai"}, schedule_dialect="unix", schedule_timezone="tz")
    flow = one({"freq": "0 2 * * 1-5", "tz": "Asia/Shanghai"}, config)
    assert isinstance(flow, ValidFlow) and flow.payload.freq == "0 0 2 ? * 2-6 *" and not flow.warnings


def test_an_export_wide_zone_shifts_every_schedule_exactly() -> None:
    config = settings(target={"timezone": "Asia/Shanghai"}, schedule_dialect="unix", source_timezone="UTC")
    flow = one({"freq": "30 20 * * 1"}, config)  # Monday 20:30 UTC is Tuesday 04:30 in Shanghai
    assert isinstance(flow, ValidFlow) and flow.payload.freq == "0 30 4 ? * 3 *"
    assert [(w["code"], w["from"], w["to"]) for w in flow.warnings] == [
        ("TIMEZONE_SHIFTED", "0 30 20 ? * 2 * (UTC)", "0 30 4 ? * 3 * (Asia/Shanghai)")]


def test_a_job_without_a_time_schedule_is_refused_with_what_triggers_it() -> None:
    flow = one({"freq": "", "unscheduled": "triggered by datasets: s3://bucket/orders"}, settings())
    assert codes(flow) == ["NO_TIME_SCHEDULE"]
    assert "s3://bucket/orders" in flow.errors[0].message and 'unscheduled = "manual"' in flow.errors[0].message


def test_opted_in_a_job_without_a_time_schedule_is_a_manual_inactive_flow() -> None:
    flow = one({"freq": "@reboot"}, settings(schedule_dialect="unix", unscheduled="manual"))
    assert isinstance(flow, ValidFlow)
    assert (flow.payload.type, flow.payload.active) == (0, 0)
    assert [w["code"] for w in flow.warnings] == ["MANUAL_FLOW"]


def test_a_dependency_on_another_flow_becomes_a_flow_node_and_relations() -> None:
    config = settings(flow_key=["id"], tasks={"task_id": "task", "upstream": "up"})
    upstream = json.dumps([{"flowId": "2788", "flowName": "load_orders", "cycleGap": "D0", "targets": []}])
    rows = [SourceRow(2, {"id": "7", "name": "job", "freq": "0 0 2 * * ?", "task": "11", "up": "",
                          "flow_upstream": upstream}),
            SourceRow(3, {"id": "7", "name": "job", "freq": "0 0 2 * * ?", "task": "12", "up": "11"})]
    [flow] = list(plan_flows(rows, config))
    assert isinstance(flow, ValidFlow)
    wire = flow.payload.wire()
    assert [(f["flowId"], f["nodeId"]) for f in wire["flows"]] == [("2788", "f_2788")]
    assert {(r["source"], r["target"]) for r in wire["relations"]} == {("t_11", "t_12"), ("f_2788", "t_11")}


def test_a_cell_of_json_nested_too_deep_makes_only_its_row_invalid() -> None:
    config = settings(fields={**FIELDS, "parameters": "params"})
    rows = [SourceRow(2, {"id": "7", "name": "a", "freq": "0 0 2 * * ?", "params": "[" * 100_000}),
            SourceRow(3, {"id": "8", "name": "b", "freq": "0 0 2 * * ?", "params": ""})]
    first, second = plan_flows(rows, config)
    assert isinstance(first, InvalidFlow) and first.errors[0].field == "parameters"
    assert isinstance(second, ValidFlow)


def test_a_schedule_that_would_not_fire_when_the_export_says_it_does_is_refused() -> None:
    """An Airflow cron DAG on a Berlin installation: its next_dagrun (02:00Z for 03:00) proves
    that it is not on the service's UTC clock, though the export names no zone."""
    config = settings(target={"timezone": "UTC"}, schedule_dialect="croniter")
    flow = one({"freq": "0 3 * * *", "next_fire": "2026-11-21T02:00:00+00:00"}, config)
    assert codes(flow) == ["TIMEZONE_MISMATCH"]
    assert "2026-11-21 02:00 in UTC" in flow.errors[0].message and "source_timezone" in flow.errors[0].message


def test_a_schedule_that_fires_when_the_export_says_it_does_is_saved() -> None:
    on_utc = one({"freq": "0 3 * * *", "next_fire": "2026-11-21T03:00:00+00:00"},
                 settings(target={"timezone": "UTC"}, schedule_dialect="croniter"))
    assert isinstance(on_utc, ValidFlow) and on_utc.payload.freq == "0 0 3 * * ? *"
    in_berlin = one({"freq": "0 3 * * *", "next_fire": "2026-11-21T02:00:00+00:00"},
                    settings(target={"timezone": "Europe/Berlin"}, schedule_dialect="croniter",
                             source_timezone="Europe/Berlin"))
    assert isinstance(in_berlin, ValidFlow) and in_berlin.payload.freq == "0 0 3 * * ? *"


def test_migrate_cron_converts_as_a_run_does_anchor_and_zones(capsys: pytest.CaptureFixture[str]) -> None:
    """By hand and in a run, one answer: the anchor's offset and both zones count."""
    assert main(["cron", "1 day, 0:00:00", "--dialect", "airflow", "--start", "2026-01-01T05:00:00-08:00",
                 "--target-zone", "UTC"]) == 0
    assert capsys.readouterr().out.startswith("freq: 0 0 13 * * ? *")
    assert main(["cron", "0 2 * * 1-5", "--dialect", "unix", "--zone", "Asia/Shanghai", "--target-zone", "UTC",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["freq"] == "0 0 18 ? * 1-5 *"
    assert main(["cron", "0 2 * * *", "--dialect", "unix", "--zone", "Europe/Berlin", "--target-zone", "UTC"]) == 2
    assert "TIMEZONE_MISMATCH" in capsys.readouterr().out
