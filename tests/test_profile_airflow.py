"""The airflow profile on exports in the shapes Airflow writes them (fixtures in tests/fixtures/airflow/):
REST pages of GET /api/v1/dags that must add up to total_entries, a DAG's /details (time zone,
params, dataset expression), Airflow 3's /api/v2/dags, `airflow dags list -o json`; anchors of
intervals from the export's own facts; DAGs without a time schedule; files that are no DAG list."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import base_state, plan_profile, profile_run_config, standard_cells

from migrate.cli import main
from migrate.config import SourceSettings
from migrate.sources.profiles import registry
from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "airflow"
PAGES = FIXTURES / "rest-v1-page-*.json"
V2 = FIXTURES / "rest-v2-dags.json"


def rows_of(path: Path) -> dict[str, dict[str, str]]:
    """The profile's row of each flow (one task per DAG), by flow key."""
    rows = registry()["airflow"].read(SourceSettings(path=path, profile="airflow"))
    return {row.cells["flow"]: standard_cells(row) for row in rows}


EVERY_DAG = "DAG_AS_TASK"  # on every flow (tested on its own): left out of the codes compared below


def codes(cells: str) -> list[str]:
    return [entry["code"] for entry in json.loads(cells) if entry["code"] != EVERY_DAG] if cells else []


def all_codes(cells: str) -> list[str]:
    return [entry["code"] for entry in json.loads(cells)] if cells else []


def messages(cells: str) -> str:
    return " ".join(entry["message"] for entry in json.loads(cells)) if cells else ""


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def page(number: int) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / f"rest-v1-page-{number}.json").read_text(encoding="utf-8"))
    return document


def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: Path | str, extra: str = "",
         target: str = 'timezone = "UTC"', start_time: str | None = None) -> tuple[int, dict[str, Any], str]:
    return plan_profile(tmp_path, capsys, "airflow", source, extra=extra, target=target, start_time=start_time)


def errors_of(inventory: dict[str, Any], key: str) -> str:
    return " ".join(e["message"] for f in inventory["invalid_flows"] if f["source_key"] == key for e in f["errors"])


# -- pages: a glob or a folder, each DAG once, adding up to total_entries ------------------------

def test_a_glob_of_pages_reads_every_dag_once() -> None:
    rows = rows_of(PAGES)
    # quarterly_close moved from page 1 to page 2 between the fetches: one flow, and no word,
    # since both copies say the same.
    assert list(rows) == ["sales_daily", "metrics_6h", "quarterly_close", "orders_enriched", "ad_hoc_backfill",
                          "monthly_report"]
    assert "DUPLICATE_DAG" not in codes(rows["quarterly_close"]["__warnings__"])
    assert all(row["__errors__"] == "" for row in rows.values())


def test_a_folder_of_pages_in_page_order(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for number in (1, 2, 3):  # named as `curl -o dags-N.json` for offsets 0, 3, 6 would name them
        write(folder / f"dags-{(number - 1) * 3}.json", page(number))
    (folder / "README.txt").write_text("pages of GET /api/v1/dags?limit=3", encoding="utf-8")
    write(folder / "dags-30.json", {"dags": [], "total_entries": 6})  # past the end: sorts after dags-6
    rows = rows_of(folder)
    assert list(rows) == ["sales_daily", "metrics_6h", "quarterly_close", "orders_enriched", "ad_hoc_backfill",
                          "monthly_report"]


def test_a_missing_page_stops_with_the_count_and_how_to_export_them(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder / "page-1.json", page(1))
    write(folder / "page-3.json", page(3))
    with pytest.raises(SourceError) as refused:
        rows_of(folder / "page-*.json")
    message = str(refused.value)
    assert "4 of the 6 DAGs" in message and "2 missing" in message
    assert "offset=N" in message and "limit=100" in message and "dags-*.json" in message


def test_one_file_short_of_total_entries_is_the_same_refusal(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="3 of the 6 DAGs Airflow counted"):
        rows_of(write(tmp_path / "dags.json", page(1)))


def test_missing_pages_exit_1_before_anything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "dags.json", page(1))
    code, inventory, err = plan(tmp_path, capsys, source)
    assert code == 1 and inventory["exit_code"] == 1 and "3 missing" in err and str(source) in err and "Traceback" not in err


def test_a_repeated_dag_that_disagrees_is_named_and_the_first_kept(tmp_path: Path) -> None:
    second = page(2)
    second["dags"][0]["is_paused"] = False  # unpaused between the two fetches
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder / "page-1.json", page(1))
    write(folder / "page-2.json", second)
    write(folder / "page-3.json", page(3))
    row = rows_of(folder)["quarterly_close"]
    assert codes(row["__warnings__"]).count("DUPLICATE_DAG") == 1 and row["active"] == "0"
    assert "page-2.json DAG 1 gives another is_paused" in messages(row["__warnings__"])


def test_pages_and_details_join_into_one_flow_per_dag(tmp_path: Path) -> None:
    rows = rows_of(FIXTURES / "*-*.json").keys()  # pages, details, v2 list and CLI list together
    assert len(rows) == len(set(rows)) == 12  # 6 from v1 pages, 6 from v2; details and CLI add no new DAG


# -- interval anchors: next_dagrun, next_dagrun_data_interval_start, start_date ----------------

def test_an_interval_counts_from_the_next_runs_start_with_its_offset() -> None:
    # next_dagrun_create_after: the end of the data interval that begins at next_dagrun (01:03:54), on its grid
    assert rows_of(PAGES)["metrics_6h"]["start"] == "2024-01-02T07:03:54+00:00"
    assert rows_of(V2)["daily_delta"]["start"] == "2025-05-06T04:20:00Z"  # Airflow 3: next_dagrun_run_after


def test_a_next_run_after_today_starts_the_flow_that_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run starts when its data interval ends: a quarterly DAG whose next logical date is a
    quarter away runs a quarter after that, and nothing runs at that logical date. The flow starts
    the day the run does (START_DATE), and the proof, counting from that run, finds it equivalent;
    before, it counted from the logical date and the flow fired once more than Airflow."""
    from datetime import UTC, datetime

    from dateutil.relativedelta import relativedelta

    now = datetime.now(UTC)
    logical = datetime(now.year, 1 + 3 * ((now.month - 1) // 3), 1, tzinfo=UTC) + relativedelta(months=6)
    run_after = logical + relativedelta(months=3)
    dag = {"dag_id": "quarterly", "schedule_interval": {"__type": "CronExpression", "value": "@quarterly"},
           "is_paused": False, "is_active": True, "owners": ["finance"], "next_dagrun": logical.isoformat(),
           "next_dagrun_data_interval_start": logical.isoformat(), "next_dagrun_data_interval_end": run_after.isoformat(),
           "next_dagrun_create_after": run_after.isoformat()}
    code, inventory, err = plan(tmp_path, capsys, write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}))
    assert code == 3, err
    [action] = inventory["actions"]
    assert action["proof"]["verdict"] == "equivalent", action
    [said] = [w["message"] for w in action["warnings"] if w["code"] == "START_DATE"]
    assert f"next run starts at {run_after.isoformat()}" in said and "the flow starts no earlier than that run's day" \
        in said, said


def test_a_next_run_on_a_later_day_in_the_services_zone_starts_the_flow_that_day(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A daily timedelta DAG whose next run is at 20:00 UTC ten days ahead, the service in Tokyo,
    where that is 05:00 the next day: the flow started on the day in UTC, fired at 05:00 Tokyo
    that day, a run Airflow does not make, and was refused NOT_EQUIVALENT. It starts on the day
    in Tokyo now (START_DATE_SHIFTED), and fires exactly as Airflow does."""
    from datetime import UTC, datetime, timedelta

    run_after = (datetime.now(UTC) + timedelta(days=10)).replace(hour=20, minute=0, second=0, microsecond=0)
    dag = {"dag_id": "tokyo_delta", "schedule_interval": {"__type": "TimeDelta", "days": 1, "seconds": 0,
                                                          "microseconds": 0},
           "next_dagrun": (run_after - timedelta(days=1)).isoformat(),
           "next_dagrun_data_interval_start": (run_after - timedelta(days=1)).isoformat(),
           "next_dagrun_data_interval_end": run_after.isoformat(), "next_dagrun_create_after": run_after.isoformat()}
    code, inventory, err = plan(tmp_path, capsys, write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}),
                                target='timezone = "Asia/Tokyo"')
    [action] = inventory["actions"]
    assert code == 3 and action["action"] == "valid", (action, err)
    assert action["freq"] == "0 0 5 * * ? *" and action["proof"]["verdict"] == "equivalent", action
    [shifted] = [w for w in action["warnings"] if w["code"] == "START_DATE_SHIFTED"]
    assert shifted["to"] == (run_after + timedelta(hours=9)).date().isoformat(), shifted


@pytest.mark.parametrize(("summary", "logical", "run_after", "freq"), [
    ("6:00:00", "2026-11-27T02:17:00Z", "2026-11-27T03:17:00Z", "0 17 3/6 * * ? *"),  # DeltaTriggerTimetable(6h, interval=1h)
    ("12:00:00", "2026-11-26T22:30:00Z", "2026-11-27T06:30:00Z", "0 30 6/12 * * ? *"),  # and interval=8h
    ("0 3 * * *", "2026-11-28T02:00:00Z", "2026-11-28T03:00:00Z", "0 0 3 * * ? *"),  # CronTriggerTimetable, interval=1h
])
def test_a_trigger_timetable_with_an_interval_fires_when_its_runs_start(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], summary: str, logical: str, run_after: str,
        freq: str) -> None:
    """Airflow 3 (`/api/v2/dags`): a trigger timetable with an `interval` runs at `next_dagrun_run_after`,
    its logical date that less the interval. The interval was counted from the logical date (a flow
    an hour or eight off, proved equivalent to that reading), and the cron was checked against it
    (TIMEZONE_MISMATCH, pointing at a zone that would shift it)."""
    dag = {"dag_id": "trigger", "timetable_summary": summary, "is_paused": False, "is_stale": False,
           "owners": ["airflow"], "next_dagrun_logical_date": logical, "next_dagrun_data_interval_start": logical,
           "next_dagrun_data_interval_end": run_after, "next_dagrun_run_after": run_after}
    code, inventory, err = plan(tmp_path, capsys, write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}))
    assert code == 3, err
    [action] = inventory["actions"]
    assert (action["action"], action["freq"], action["proof"]["verdict"]) == ("valid", freq, "equivalent"), action


def test_an_interval_from_an_instant_keeps_utcs_clock_and_leaves_no_zone_unknown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Airflow adds a timedelta to its anchor in UTC, whatever the DAG's zone: the interval runs on
    UTC's clock (docs/schedules.md), and is placed from UTC. Its flow still warned HOST_TIMEZONE, as
    though the DAG's zone, which the list endpoint does not name, could move it. A cron DAG of the
    same list still does."""
    every_day = {"__type": "TimeDelta", "days": 1, "seconds": 0, "microseconds": 0}
    dags = [{"dag_id": "a3_delta", "timetable_summary": "1 day, 0:00:00", "is_paused": False, "is_stale": False,
             "next_dagrun_logical_date": "2026-12-02T02:15:00Z", "next_dagrun_run_after": "2026-12-02T02:15:00Z"},
            {"dag_id": "a2_delta", "schedule_interval": every_day, "next_dagrun": "2026-12-02T02:15:00+00:00",
             "next_dagrun_create_after": "2026-12-03T02:15:00+00:00"},
            {"dag_id": "a3_cron", "timetable_summary": "15 2 * * *", "next_dagrun_run_after": "2026-12-02T02:15:00Z"}]
    source = write(tmp_path / "dags.json", {"dags": dags, "total_entries": 3})
    assert {key: row["timezone"] for key, row in rows_of(source).items()} == {"a3_delta": "UTC", "a2_delta": "UTC",
                                                                              "a3_cron": ""}
    code, inventory, err = plan(tmp_path, capsys, source)
    assert code == 3, err
    actions = {action["name"]: action for action in inventory["actions"]}
    for name in ("a3_delta", "a2_delta"):
        action = actions[name]
        assert (action["action"], action["freq"], action["proof"]["verdict"]) == (
            "valid", "0 15 2 * * ? *", "equivalent"), action
        assert "HOST_TIMEZONE" not in [w["code"] for w in action["warnings"]], action["warnings"]
    assert "HOST_TIMEZONE" in [w["code"] for w in actions["a3_cron"]["warnings"]]


def test_anchors_in_order_of_trust_and_none_is_left_empty(tmp_path: Path) -> None:
    every_day = {"__type": "TimeDelta", "days": 1, "seconds": 0, "microseconds": 0}
    dags = [
        {"dag_id": "all_three", "schedule_interval": every_day, "next_dagrun": "2024-03-01T05:10:00+00:00",
         "next_dagrun_data_interval_start": "2024-02-29T05:10:00+00:00", "start_date": "2023-01-01T05:10:00+00:00"},
        {"dag_id": "interval_start", "schedule_interval": every_day, "next_dagrun": None,
         "next_dagrun_data_interval_start": "2024-02-29T05:10:00+00:00", "start_date": "2023-01-01T05:10:00+00:00"},
        {"dag_id": "start_date", "schedule_interval": every_day, "start_date": "2023-01-01T05:10:00+00:00"},
        {"dag_id": "nothing", "schedule_interval": every_day, "next_dagrun": None},
    ]
    rows = rows_of(write(tmp_path / "dags.json", {"dags": dags, "total_entries": 4}))
    assert [rows[k]["start"] for k in rows] == ["2024-03-01T05:10:00+00:00", "2024-02-29T05:10:00+00:00",
                                                "2023-01-01T05:10:00+00:00", ""]


def test_an_interval_without_anchor_needs_start_and_never_takes_the_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, PAGES)
    assert code == 5 and inventory["flows_found"] == 6 and inventory["convertible"] == 3
    assert inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 2, "NEEDS_START": 1}
    assert "NEEDS_START" in errors_of(inventory, "monthly_report")


def test_run_fires_the_interval_at_the_dags_own_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    config = profile_run_config(tmp_path / "run.toml", "airflow", PAGES, target='timezone = "UTC"',
                                run="create_missing = true")
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 5 and report["by_status"] == {"created": 3, "invalid": 3}  # 5: invalid rows only
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = [json.loads(value) for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    graphs = {flow["name"]: flow["graph"] for flow in stored}
    # every 6 hours from 01:03:54, as next_dagrun says; not from midnight of [defaults] startTime
    assert graphs["metrics_6h"]["freq"] == "54 3 1/6 * * ? *"
    assert graphs["sales_daily"]["freq"] == "0 0 3 * * ? *" and graphs["quarterly_close"]["active"] == 0


def test_an_opted_in_split_saves_a_dags_two_halves_found_again_by_their_markers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A DAG on day 1 of the month OR on Mondays, split (opted in): two flows, the second under its
    own marker (a DAG has no id column to give it one), both found again by the next plan. Its
    next run, a Monday, is a fire time of the split (of its second flow): no zone mismatch."""
    (tmp_path / "state.json").write_text(json.dumps(base_state(flows=0)), encoding="utf-8")
    dags = write(tmp_path / "dags.json", {"total_entries": 1, "dags": [{
        "dag_id": "close_books", "schedule_interval": {"__type": "CronExpression", "value": "0 6 1 * 1"},
        "owners": ["alice"], "is_paused": False,
        "next_dagrun_create_after": "2026-11-23T06:00:00+00:00"}]})  # a Monday: the weekday half fires next
    config = profile_run_config(tmp_path / "run.toml", "airflow", dags, target='timezone = "UTC"',
                                extra='[mapping]\nsplit_id_column = "split"', run="create_missing = true")
    code = main(["run", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["by_status"] == {"created": 2}, report
    with sqlite3.connect(tmp_path / "emulator.sqlite") as db:
        stored = [json.loads(value) for (value,) in db.execute("SELECT value FROM state WHERE key LIKE 'flow:%'")]
    assert sorted((flow["name"], flow["graph"]["freq"]) for flow in stored) == [
        ("close_books", "0 0 6 1 * ? *"), ("close_books (weekdays)", "0 0 6 ? * 2 *")]
    code = main(["plan", str(config), "--json"])
    again = json.loads(capsys.readouterr().out)
    assert code == 0 and again["by_action"] == {"unchanged": 2}, again


# -- time zones ---------------------------------------------------------------------------------

def test_the_details_zone_is_the_flows_zone_and_the_list_names_none(tmp_path: Path) -> None:
    assert rows_of(PAGES)["sales_daily"]["timezone"] == ""  # the list endpoint names no zone
    for name in ("rest-v1-page-1.json", "rest-v1-page-2.json", "rest-v1-page-3.json", "details-sales_daily.json"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    joined = rows_of(tmp_path)["sales_daily"]  # the page's copy and the details' make one flow
    assert joined["timezone"] == "Europe/Berlin" and joined["schedule"] == "0 3 * * *"
    # no TIMEZONE warning, no DUPLICATE_DAG
    assert codes(joined["__warnings__"]) == ["PARAM_DETAILS"]  # max_active_runs 16: Airflow's default


@pytest.mark.parametrize(("written", "zone"), [
    ("UTC", "UTC"), ("Timezone('UTC')", "UTC"), ("Asia/Shanghai", "Asia/Shanghai"),
    ("Timezone('America/New_York')", "America/New_York"), ("+02:00", "Etc/GMT-2"), ("Timezone('-05:00')", "Etc/GMT+5"),
    ("+00:00", "UTC"), (None, ""),
])
def test_zones_as_pendulum_writes_them(tmp_path: Path, written: str | None, zone: str) -> None:
    dag = {"dag_id": "d", "schedule_interval": "0 3 * * *", "timezone": written}
    assert rows_of(write(tmp_path / "details.json", dag))["d"]["timezone"] == zone


@pytest.mark.parametrize("written", ["+05:30", "Timezone('Mars/Olympus')", 7])
def test_a_zone_with_no_iana_name_is_that_dags_error(tmp_path: Path, written: object) -> None:
    dag = {"dag_id": "d", "schedule_interval": "0 3 * * *", "timezone": written}
    row = rows_of(write(tmp_path / "details.json", dag))["d"]
    assert codes(row["__errors__"]) == ["MALFORMED_DAG"] and "timezone" in messages(row["__errors__"])


def test_a_cron_dag_in_another_zone_is_refused_not_shifted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, FIXTURES / "details-sales_daily.json")
    assert code == 5 and inventory["invalid_by_reason"] == {"TIMEZONE_MISMATCH": 1}  # Berlin's DST vs UTC
    assert "Europe/Berlin" in errors_of(inventory, "sales_daily")
    assert "TIMEZONE" not in inventory["warnings_by_code"]


def test_a_cron_dag_whose_next_run_contradicts_the_assumed_zone_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A page without the details names no zone; next_dagrun (02:00Z for a 03:00 cron) proves
    the installation is not on UTC, so saving it on UTC's clock would fire an hour late."""
    dags = {"total_entries": 2, "dags": [
        {"dag_id": "etl_berlin", "schedule_interval": {"__type": "CronExpression", "value": "0 3 * * *"},
         "next_dagrun": "2026-11-21T02:00:00+00:00", "is_paused": False, "owners": ["a"]},
        {"dag_id": "etl_utc", "schedule_interval": {"__type": "CronExpression", "value": "0 3 * * *"},
         "next_dagrun": "2026-11-21T03:00:00+00:00", "is_paused": False, "owners": ["a"]}]}
    code, inventory, _ = plan(tmp_path, capsys, write(tmp_path / "dags.json", dags))
    assert code == 5 and inventory["invalid_by_reason"] == {"TIMEZONE_MISMATCH": 1}
    assert "2026-11-21T02:00:00+00:00" in errors_of(inventory, "etl_berlin")
    code, inventory, _ = plan(tmp_path, capsys, tmp_path / "dags.json", extra='[mapping]\nsource_timezone = "Europe/Berlin"',
                              target='timezone = "Europe/Berlin"')
    assert inventory["invalid_by_reason"] == {"TIMEZONE_MISMATCH": 1}  # now the UTC one is the contradiction
    assert "etl_utc" in [f["source_key"] for f in inventory["invalid_flows"]]


# -- no time schedule: datasets, assets, None, @once, @continuous ------------------------------

def test_a_dataset_triggered_dag_is_unscheduled_with_its_datasets() -> None:
    listed = rows_of(PAGES)["orders_enriched"]
    assert listed["schedule"] == "" and listed["unscheduled"].startswith("an Airflow DAG triggered by datasets")
    assert "/api/v1/dags/orders_enriched/details" in listed["unscheduled"]  # the list does not name them
    detailed = rows_of(FIXTURES / "details-orders_enriched.json")["orders_enriched"]
    assert detailed["unscheduled"] == ("an Airflow DAG triggered by datasets: s3://lake/orders/raw.parquet or "
                                       "(s3://lake/customers.parquet and s3://lake/fx_rates.parquet)")
    assert detailed["__errors__"] == ""


def test_an_asset_triggered_dag_of_airflow_3(tmp_path: Path) -> None:
    assert rows_of(V2)["asset_consumer"]["unscheduled"].startswith("an Airflow DAG triggered by assets")
    assert "GET /api/v2/dags/asset_consumer/details" in rows_of(V2)["asset_consumer"]["unscheduled"]  # Airflow 3's
    details = {"dag_id": "a3", "timetable_summary": "Asset", "timetable_description": "Triggered by assets",
               "asset_expression": {"all": [{"asset": {"uri": "s3://b/x", "name": "x_table", "group": "asset", "id": 4}},
                                            {"alias": {"name": "late", "group": "asset"}}]}}
    row = rows_of(write(tmp_path / "a3.json", details))["a3"]
    assert row["unscheduled"] == "an Airflow DAG triggered by assets: x_table (s3://b/x) and alias late"


def test_datasets_or_a_time_schedule_keeps_the_time_schedule(tmp_path: Path) -> None:
    dag = {"dag_id": "either", "schedule_interval": {"__type": "CronExpression", "value": "0 0 * * *"},
           "timetable_description": "Triggered by datasets or At 00:00",
           "dataset_expression": {"any": ["s3://lake/a", "s3://lake/b"]}}
    row = rows_of(write(tmp_path / "either.json", dag))["either"]
    assert row["unscheduled"] == "" and row["schedule"] == "0 0 * * *"
    assert codes(row["__warnings__"]) == ["DATASET_TRIGGER", "HOST_TIMEZONE"]
    assert "s3://lake/a or s3://lake/b" in row["__warnings__"]


@pytest.mark.parametrize(("schedule", "summary", "says"), [
    (None, "ignored", "no schedule"),
    ("None", None, "no schedule"),
    ({"__type": "CronExpression", "value": "@once"}, None, "@once"),
    ("@continuous", None, "@continuous"),
    ({"__type": "CronExpression", "value": "Dataset"}, None, "triggered by datasets"),
])
def test_dags_with_no_time_schedule(tmp_path: Path, schedule: object, summary: object, says: str) -> None:
    dag = {"dag_id": "d", "schedule_interval": schedule}
    if summary != "ignored":
        dag["timetable_summary"] = summary
    row = rows_of(write(tmp_path / "d.json", [dag]))["d"]
    assert row["schedule"] == "" and says in row["unscheduled"] and row["__errors__"] == ""


def test_airflow_3_summaries_with_no_time_schedule() -> None:
    rows = rows_of(V2)
    assert "no schedule" in rows["manual_only"]["unscheduled"] and "@once" in rows["one_shot"]["unscheduled"]
    assert rows["hourly_sync"]["schedule"] == "0 * * * *" and rows["hourly_sync"]["unscheduled"] == ""


def test_plan_refuses_unscheduled_dags_with_their_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, V2)
    assert code == 5 and inventory["invalid_by_reason"] == {"NO_TIME_SCHEDULE": 3}
    assert "triggered by assets" in errors_of(inventory, "asset_consumer")
    assert "@once" in errors_of(inventory, "one_shot") and "no schedule" in errors_of(inventory, "manual_only")
    assert inventory["convertible"] == 3 and inventory["warnings_by_code"]["INACTIVE_DAG"] == 1


def test_unscheduled_dags_become_manual_flows_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, V2, extra='[mapping]\nunscheduled = "manual"')
    assert code == 3 and inventory["convertible"] == 6 and inventory["warnings_by_code"]["MANUAL_FLOW"] == 3


# -- timetable summaries: what Airflow writes for timetables other than one cron or interval --------

TIMETABLES = FIXTURES / "timetables_v2.json"  # no "-": the glob of the other fixtures leaves it out


def test_an_asset_or_time_summary_is_its_time_schedule_with_the_trigger_named() -> None:
    row = rows_of(TIMETABLES)["meter_rollup"]
    assert row["schedule"] == "15 3 * * *" and row["unscheduled"] == "" and row["__errors__"] == ""
    assert codes(row["__warnings__"]) == ["DATASET_TRIGGER"] and "triggered by assets" in row["__warnings__"]


def test_a_dataset_or_time_schedule_interval_of_airflow_2_is_its_time_schedule(tmp_path: Path) -> None:
    # Airflow 2.9+ writes the DatasetOrTimeSchedule's summary into schedule_interval, tagged as a cron.
    dag = {"dag_id": "either2", "schedule_interval": {"__type": "CronExpression", "value": "Dataset or @hourly"},
           "timetable_description": "Triggered by datasets or At the start of every hour"}
    row = rows_of(write(tmp_path / "either2.json", dag))["either2"]
    assert row["schedule"] == "@hourly" and codes(row["__warnings__"]) == ["DATASET_TRIGGER", "HOST_TIMEZONE"]


def test_crons_of_a_multiple_cron_timetable_differing_in_one_field_are_their_union() -> None:
    row = rows_of(TIMETABLES)["shift_report"]
    assert row["schedule"] == "0 6,18 * * *" and row["__errors__"] == ""


def test_crons_whose_union_no_cron_says_are_refused_by_name() -> None:
    row = rows_of(TIMETABLES)["weekday_mix"]
    assert codes(row["__errors__"]) == ["MULTIPLE_SCHEDULES"] and row["schedule"] == ""
    assert "0 6 * * 1, 30 7 * * 5" in row["__errors__"]


def test_a_relativedelta_summary_is_that_interval() -> None:
    rows = rows_of(TIMETABLES)
    assert json.loads(rows["billing_cycle"]["schedule"]) == {"__type": "RelativeDelta", "months": 1}
    assert rows["billing_cycle"]["start"] == "2025-10-03T04:00:00Z"
    assert json.loads(rows["quarter_close"]["schedule"])["day"] == "1"  # absolute: the dialect refuses it


def test_events_and_partition_timetables_are_unscheduled_with_their_reason() -> None:
    rows = rows_of(TIMETABLES)
    assert "EventsTimetable" in rows["match_days"]["unscheduled"] and "4 listed instants" in \
        rows["match_days"]["unscheduled"]
    assert "partition key" in rows["reprocess_on_demand"]["unscheduled"]


@pytest.mark.parametrize(("summary", "description"), [
    ("AfterWorkdayTimetable", "Runs after each workday at 01:00"),  # Timetable.summary's default: the class name
    ("after_workday(01:00)", None),
    ("every second Tuesday", "every second Tuesday"),
    ("runs on the third workday", None),  # five words: five fields, not a cron's
])
def test_a_custom_timetable_is_refused_by_name_not_as_a_cron(tmp_path: Path, summary: str,
                                                              description: str | None) -> None:
    dag = {"dag_id": "workdays", "schedule_interval": None, "timetable_summary": summary,
           "timetable_description": description, "next_dagrun": "2026-12-02T01:00:00+00:00"}
    row = rows_of(write(tmp_path / "workdays.json", {"dags": [dag], "total_entries": 1}))["workdays"]
    assert codes(row["__errors__"]) == ["CUSTOM_TIMETABLE"] and row["schedule"] == ""
    assert f"({summary}" + (f": {description})" if description and description != summary else ")") \
        in row["__errors__"]


def test_a_custom_timetables_advice_names_the_field_of_its_airflow_version(tmp_path: Path) -> None:
    """Airflow 3's list (/api/v2) has no schedule_interval, where the advice sent its users to write
    a cron: the cron goes where the profile reads it, each version's field."""
    airflow_2 = {"dag_id": "v1", "schedule_interval": None, "timetable_summary": "AfterWorkdayTimetable",
                 "next_dagrun": "2026-12-02T01:00:00+00:00"}
    airflow_3 = {"dag_id": "v2", "timetable_summary": "AfterWorkdayTimetable", "is_stale": False,
                 "next_dagrun_run_after": "2026-12-02T01:00:00Z"}
    rows = rows_of(write(tmp_path / "dags.json", {"dags": [airflow_2, airflow_3], "total_entries": 2}))
    assert "a cron that fires as it does in the DAG's schedule_interval (null for such a timetable)" in messages(
        rows["v1"]["__errors__"])
    said = messages(rows["v2"]["__errors__"])
    assert "in the DAG's timetable_summary (Airflow 3's DAG list has no schedule_interval)" in said


def test_a_custom_timetables_advice_says_what_the_exports_schedule_interval_holds(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A schedule_interval that holds the timetable's name as a CronExpression, not null: the advice
    said "(null for such a timetable)", sending its user to look for a null that is not there."""
    dag = {"dag_id": "custom2b", "is_active": True, "is_paused": False, "owners": ["a"],
           "schedule_interval": {"__type": "CronExpression", "value": "MyPluginTimetable"},
           "timetable_description": "Runs on business days", "next_dagrun": "2026-11-29T02:30:00+00:00"}
    code, inventory, err = plan(tmp_path, capsys, write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}))
    said = errors_of(inventory, "custom2b")
    assert code == 5 and "CUSTOM_TIMETABLE" in said, (inventory, err)
    assert ('in the DAG\'s schedule_interval (it holds {"__type": "CronExpression", "value": "MyPluginTimetable"}: '
            "the cron goes in its value) in the export") in said, said
    assert "null" not in said, said


@pytest.mark.parametrize("summary", ["0 2 * * *", "30 1 * * MON-FRI", "1 day, 0:00:00", "0:30:00", "@daily",
                                     "0 0 L * ?"])
def test_the_summaries_of_airflows_own_timetables_are_not_custom(tmp_path: Path, summary: str) -> None:
    dag = {"dag_id": "own", "schedule_interval": None, "timetable_summary": summary,
           "next_dagrun": "2026-12-02T01:00:00+00:00"}
    row = rows_of(write(tmp_path / "own.json", {"dags": [dag], "total_entries": 1}))["own"]
    assert "CUSTOM_TIMETABLE" not in codes(row["__errors__"]) and row["schedule"] == summary


@pytest.mark.parametrize(("facts", "warned"), [
    ({}, True),  # a DAG that never ran: the list names no zone, and no next run to check against
    ({"next_dagrun": "2026-12-02T02:30:00+00:00"}, False),  # checked against that (TIMEZONE_MISMATCH if off)
    ({"timezone": "Europe/Berlin"}, False),  # the details name it
    ({"schedule_interval": {"__type": "TimeDelta", "days": 1, "seconds": 0}, "start_date": "2026-01-01T00:00:00Z"},
     False),  # an interval counts from an instant
])
def test_a_cron_dag_whose_zone_nothing_says_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      facts: dict[str, Any], warned: bool) -> None:
    dag = {"dag_id": "never_ran", "schedule_interval": {"__type": "CronExpression", "value": "30 2 * * *"},
           "next_dagrun": None, **facts}
    source = write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1})
    assert ("HOST_TIMEZONE" in codes(rows_of(source)["never_ran"]["__warnings__"])) is warned
    if warned:  # in the plan, and moot there once the installation's zone is named
        assert "HOST_TIMEZONE" in json.dumps(plan(tmp_path, capsys, source)[1]["actions"])
        _, inventory, _ = plan(tmp_path, capsys, source, extra='[mapping]\nsource_timezone = "UTC"')
        assert "HOST_TIMEZONE" not in json.dumps(inventory["actions"])


@pytest.mark.parametrize(("next_run", "target", "alike"), [
    # A winter next run agrees with UTC, and with Dublin, London and Lisbon, whose clocks read UTC's
    # then and not in summer: a DAG of an installation in London would fire an hour off from March.
    ("2026-11-20T02:30:00+00:00", "UTC", "Europe/Dublin"),
    ("2026-07-02T02:30:00+00:00", "UTC", "Atlantic/Azores"),  # in summer: the Azores are on UTC then
    ("2026-11-20T18:30:00+00:00", "Asia/Shanghai", None),  # no zone reads +08:00 now and otherwise later
])
def test_a_next_run_that_cannot_tell_the_zone_from_others_is_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], next_run: str, target: str, alike: str | None) -> None:
    """The list names no zone, and the next run agreed with the service's: the schedule was taken
    to be in the service's zone with no word, though one instant cannot tell UTC from London's
    winter clock. HOST_TIMEZONE now names zones it cannot tell apart; none where there are none."""
    dag = {"dag_id": "nightly", "schedule_interval": {"__type": "CronExpression", "value": "30 2 * * *"},
           "next_dagrun": next_run}
    source = write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1})
    code, inventory, err = plan(tmp_path, capsys, source, target=f'timezone = "{target}"')
    (action,) = inventory["actions"]
    assert action["action"] == "valid" and code == 3, (action, err)  # warnings: DAG_AS_TASK on every DAG
    said = [w["message"] for w in action.get("warnings", []) if w["code"] == "HOST_TIMEZONE"]
    if alike is None:
        assert not said, said
    else:
        assert len(said) == 1 and f"agrees with the service's zone {target}, and as well with {alike}" in said[0]
    _, inventory, _ = plan(tmp_path, capsys, source, extra='[mapping]\nsource_timezone = "UTC"',
                           target=f'timezone = "{target}"')
    assert "HOST_TIMEZONE" not in json.dumps(inventory["actions"])  # the zone named: nothing left to say


def test_plan_of_the_timetable_summaries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, inventory, _ = plan(tmp_path, capsys, TIMETABLES)
    freqs = {a["source_key"]: a.get("freq") for a in inventory["actions"]}
    assert freqs["meter_rollup"] == "0 15 3 * * ? *" and freqs["shift_report"] == "0 0 6,18 * * ? *"
    assert freqs["billing_cycle"] == "0 0 4 3 * ? *"  # monthly from the next run's logical date
    assert code == 5 and inventory["invalid_by_reason"] == {"MULTIPLE_SCHEDULES": 1, "UNSUPPORTED_INTERVAL": 1,
                                                            "NO_TIME_SCHEDULE": 2}
    assert "absolute fields ['day']" in errors_of(inventory, "quarter_close")


# -- state, owners, tags, params, end date ------------------------------------------------------

def test_paused_and_vanished_dags_are_saved_inactive_with_a_word(tmp_path: Path) -> None:
    assert rows_of(PAGES)["quarterly_close"]["active"] == "0"
    assert codes(rows_of(PAGES)["quarterly_close"]["__warnings__"]) == ["PAUSED"]
    stale = rows_of(V2)["stale_dag"]  # Airflow 3: is_stale
    assert stale["active"] == "0" and codes(stale["__warnings__"]) == ["INACTIVE_DAG"]
    gone = {"dag_id": "gone", "schedule_interval": "0 1 * * *", "is_active": False, "is_paused": False}
    row = rows_of(write(tmp_path / "gone.json", gone))["gone"]
    assert row["active"] == "0" and codes(row["__warnings__"]) == ["INACTIVE_DAG", "HOST_TIMEZONE"]
    assert rows_of(PAGES)["sales_daily"]["active"] == "1"


def test_owners_tags_description_and_params_of_the_details() -> None:
    row = rows_of(FIXTURES / "details-sales_daily.json")["sales_daily"]
    assert row["owners"] == "data-eng" and row["desc"] == "Daily sales rollup [tags: sales, finance]"
    assert json.loads(row["params"]) == [{"key": "region", "value": "emea"}, {"key": "days_back", "value": "1"}]
    # region has a description and an enum schema, which a flow parameter cannot keep; days_back has neither
    assert codes(row["__warnings__"]) == ["PARAM_DETAILS"] and "params region:" in row["__warnings__"]


def test_an_end_date_that_has_passed_saves_the_flow_inactive(tmp_path: Path) -> None:
    dag = {"dag_id": "ended", "schedule_interval": "0 1 * * *", "end_date": "2003-12-31T00:00:00+00:00"}
    row = rows_of(write(tmp_path / "ended.json", dag))["ended"]
    assert row["active"] == "0" and codes(row["__warnings__"]) == ["END_DATE", "HOST_TIMEZONE"]
    # Airflow 2's cron DAG (schedule_interval): the interval from 01:00 on the 30th, on or before the
    # end, ran at its end, the last run; UTC's clock, as the export names no zone
    assert "last run 2003-12-31T01:00:00+00:00 (its end_date 2003-12-31T00:00:00+00:00 is a logical date" \
        in messages(row["__warnings__"]) and "its zone taken as UTC" in messages(row["__warnings__"])
    assert "has passed" in messages(row["__warnings__"]) and "saved inactive" in messages(row["__warnings__"])


def test_an_end_date_ahead_keeps_the_flow_active_and_names_the_date(tmp_path: Path) -> None:
    dag = {"dag_id": "ends", "schedule_interval": "0 1 * * *", "end_date": "2203-06-30T22:00:00-02:00"}
    row = rows_of(write(tmp_path / "ends.json", dag))["ends"]
    assert row["active"] == "1" and codes(row["__warnings__"]) == ["END_DATE", "HOST_TIMEZONE"]
    assert "2203-06-30T22:00:00-02:00" in messages(row["__warnings__"]) and "stays active" in row["__warnings__"]


def _next_hour() -> datetime:
    """The next whole hour in UTC, an hour or less ahead: a daily cron's time that suits any hour."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def test_a_data_interval_dags_last_run_comes_after_its_end_date(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Airflow makes every run whose logical date is on or before end_date, and a data-interval
    DAG's run for an interval starts when that interval ends: end_date, passed an hour ago, let
    the interval that began before it run a day later. The run was compared with end_date's day
    (NEVER_RUNS, saved inactive: it runs, at that interval's end); the end is that run now."""
    logical = _next_hour() - timedelta(hours=2)  # on the cron's grid, 1 to 2 hours ago
    end, run_after = logical + timedelta(minutes=30), logical + timedelta(days=1)
    dag = {"dag_id": "a3", "schedule_interval": {"__type": "CronExpression", "value": f"0 {logical.hour} * * *"},
           "timezone": "UTC", "is_paused": False, "is_active": True, "end_date": end.isoformat(),
           "next_dagrun": logical.isoformat(), "next_dagrun_create_after": run_after.isoformat()}
    source = write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1})
    row = rows_of(source)["a3"]
    assert row["active"] == "1" and datetime.fromisoformat(row["source_end"]) == run_after + timedelta(seconds=1), row
    said = messages(row["__warnings__"])
    assert f"the DAG's last run {run_after.isoformat()} (its end_date {end.isoformat()} is a logical date" in said \
        and f"data interval that starts at {logical.isoformat()}" in said and "stays active" in said, said
    code, inventory, err = plan(tmp_path, capsys, source)
    [action] = inventory["actions"]
    warned = {w["code"]: w["message"] for w in action["warnings"]}
    assert code == 3 and action["action"] == "valid" and "NEVER_RUNS" not in warned, (warned, err)
    assert f"last run {run_after.isoformat()}" in warned["END_DATE"] and "stays active" in warned["END_DATE"]


def test_a_dag_airflow_plans_no_more_runs_of_is_saved_inactive(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An end_date still ahead, and no next run (next_dagrun null: Airflow leaves it so once the
    next run would come past end_date): Airflow starts none. Saved active, the flow fired at the
    cron's next time and every day after it."""
    fires = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    end = datetime.now(UTC) + timedelta(hours=1)
    dag = {"dag_id": "a8", "schedule_interval": {"__type": "CronExpression",
                                                 "value": f"{fires.minute} {fires.hour} * * *"},
           "timezone": "UTC", "is_paused": False, "is_active": True, "end_date": end.isoformat(),
           "next_dagrun": None, "next_dagrun_data_interval_start": None, "next_dagrun_data_interval_end": None,
           "next_dagrun_create_after": None}
    source = write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1})
    row = rows_of(source)["a8"]
    assert row["active"] == "0" and codes(row["__warnings__"]) == ["END_DATE"], row
    assert "Airflow plans no more runs of the DAG (next_dagrun is null" in messages(row["__warnings__"])
    code, inventory, err = plan(tmp_path, capsys, source)
    [action] = inventory["actions"]
    warned = {w["code"]: w["message"] for w in action["warnings"]}
    assert code == 3 and "saved inactive" in warned["END_DATE"] and "stays active" not in str(warned), (warned, err)


def test_a_trigger_timetables_end_date_is_compared_with_its_run_times(tmp_path: Path) -> None:
    """A trigger timetable (Airflow 3's for a cron: its next run starts at its logical date) runs
    at most until end_date, a run at that instant included: the end is end_date's next second, not
    its day, which left runs after it that day (and the end of a data-interval DAG, a day off)."""
    fires = _next_hour() + timedelta(hours=1)
    end = fires + timedelta(minutes=30)
    dag = {"dag_id": "trigger", "timetable_summary": f"0 {fires.hour} * * *", "is_paused": False,
           "is_stale": False, "end_date": end.isoformat(), "next_dagrun_logical_date": fires.isoformat(),
           "next_dagrun_run_after": fires.isoformat()}
    row = rows_of(write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}))["trigger"]
    assert row["active"] == "1" and datetime.fromisoformat(row["source_end"]) == end + timedelta(seconds=1), row
    said = messages(row["__warnings__"])
    assert f"the DAG's end_date {end.isoformat()}: the job stops firing then" in said and "last run" not in said


@pytest.mark.parametrize("schedule", ["cron", "timedelta"])
def test_a_later_end_date_is_placed_after_the_last_interval_by_the_schedule(tmp_path: Path, schedule: str) -> None:
    """An end_date past the next run: the last interval that starts on or before it runs at its
    end, the schedule's first point after end_date: a cron's on the wall clock of the DAG's zone
    (09:00 in Berlin, whatever its offset that day), an interval's counted on from the next run on
    UTC's clock, as Airflow adds it."""
    berlin = ZoneInfo("Europe/Berlin")
    day = datetime.now(UTC).date()
    logical = datetime.combine(day + timedelta(days=1), time(9), berlin).astimezone(UTC)
    if schedule == "cron":
        every: dict[str, Any] = {"__type": "CronExpression", "value": "0 9 * * *"}
        run_after = datetime.combine(day + timedelta(days=2), time(9), berlin)
        end = datetime.combine(day + timedelta(days=6), time(8, 30), berlin)
        last = datetime.combine(day + timedelta(days=6), time(9), berlin)
    else:
        every = {"__type": "TimeDelta", "days": 1, "seconds": 0, "microseconds": 0}
        run_after = logical + timedelta(days=1)
        end = logical + timedelta(days=5, minutes=-30)
        last = logical + timedelta(days=5)
    dag = {"dag_id": "later", "timezone": "Europe/Berlin", "schedule_interval": every,
           "end_date": end.astimezone(UTC).isoformat(), "next_dagrun": logical.isoformat(),
           "next_dagrun_create_after": run_after.astimezone(UTC).isoformat()}
    row = rows_of(write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}))["later"]
    assert row["active"] == "1" and datetime.fromisoformat(row["source_end"]) == last + timedelta(seconds=1), row
    shown = last.astimezone(berlin if schedule == "cron" else UTC).isoformat()
    assert f"the DAG's last run {shown} (its end_date" in messages(row["__warnings__"]), row["__warnings__"]


def test_run_settings_and_a_broken_dag_are_named(tmp_path: Path) -> None:
    dag = {"dag_id": "busy", "schedule_interval": "0 1 * * *", "max_active_runs": 3, "catchup": True,
           "has_import_errors": True}
    row = rows_of(write(tmp_path / "busy.json", dag))["busy"]
    assert codes(row["__warnings__"]) == ["IMPORT_ERRORS", "MAX_ACTIVE_RUNS", "CATCHUP", "HOST_TIMEZONE"]
    assert "up to 3 runs" in row["__warnings__"] and "could not import" in row["__warnings__"]
    assert row["active"] == "0", row  # its scheduler starts no run of it (found by a reviewer: saved active)
    at_default = rows_of(write(tmp_path / "calm.json", {**dag, "max_active_runs": 16, "catchup": False}))["busy"]
    assert "MAX_ACTIVE_RUNS" not in codes(at_default["__warnings__"])  # Airflow's default: every DAG would say it
    quiet = {"dag_id": "quiet", "schedule_interval": "0 1 * * *", "catchup": False, "has_import_errors": False}
    assert codes(rows_of(write(tmp_path / "quiet.json", quiet))["quiet"]["__warnings__"]) == ["HOST_TIMEZONE"]


def test_a_subdag_is_saved_inactive_as_its_parent_runs_it(tmp_path: Path) -> None:
    """A SubDAG, listed beside its parent with the parent's schedule, runs only within the parent's
    runs: saved active, it ran twice (once through the parent's flow) (found by a reviewer)."""
    parent = {"dag_id": "parent", "schedule_interval": "@daily", "is_subdag": False, "root_dag_id": None}
    child = {"dag_id": "parent.section_1", "schedule_interval": "@daily", "is_subdag": True, "root_dag_id": "parent"}
    rows = rows_of(write(tmp_path / "dags.json", {"dags": [parent, child], "total_entries": 2}))
    assert rows["parent"]["active"] == "1" and "SUBDAG" not in codes(rows["parent"]["__warnings__"])
    assert rows["parent.section_1"]["active"] == "0" and "SUBDAG" in codes(rows["parent.section_1"]["__warnings__"])
    assert "a SubDAG of parent" in rows["parent.section_1"]["__warnings__"]


def test_every_flow_says_its_task_triggers_the_dag_through_the_cli() -> None:
    for key, row in rows_of(PAGES).items():
        assert row["command"] == f"airflow dags trigger {key}"
        assert all_codes(row["__warnings__"])[-1] == "DAG_AS_TASK"
        assert "DAG's own tasks are not in the export" in row["__warnings__"] and "Airflow CLI" in row["__warnings__"]


def test_a_param_without_a_default_is_named(tmp_path: Path) -> None:
    dag = {"dag_id": "p", "schedule_interval": "0 1 * * *",
           "params": {"region": {"__class": "airflow.models.param.Param", "value": None}, "limit": None, "env": "x"}}
    row = rows_of(write(tmp_path / "p.json", dag))["p"]
    assert json.loads(row["params"]) == [{"key": "region", "value": ""}, {"key": "limit", "value": ""},
                                         {"key": "env", "value": "x"}]
    assert codes(row["__warnings__"]) == ["PARAM_NULL", "HOST_TIMEZONE"] and "params region, limit" in row["__warnings__"]


def test_the_cli_list_has_owners_and_state_but_no_schedule() -> None:
    rows = rows_of(FIXTURES / "cli-dags-list.json")
    assert rows["quarterly_close"]["owners"] == "finance;airflow" and rows["quarterly_close"]["active"] == "0"
    assert all(codes(r["__errors__"]) == ["MISSING_SCHEDULE"] for r in rows.values())


# -- files that are no DAG list, entries that are no DAG ----------------------------------------

NOT_AIRFLOW = {
    "dolphinscheduler": [{"processDefinition": {"code": 7, "name": "etl", "releaseState": "ONLINE"},
                          "schedule": {"crontab": "0 0 3 * * ? *"}}],
    "unrelated objects": [{"name": "backup", "cron": "0 2 * * *"}, {"name": "report"}],
    "dags not a list": {"dags": "x"},
    "dags of unrelated objects": {"dags": [{"name": "backup"}], "total_entries": 1},
    "an empty list": [],
    "a number": 42,
}


@pytest.mark.parametrize("document", NOT_AIRFLOW.values(), ids=NOT_AIRFLOW.keys())
def test_a_file_that_is_no_dag_list_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               document: object) -> None:
    source = write(tmp_path / "export.json", document)
    with pytest.raises(SourceError, match="this does not look like an Airflow DAG list \\(expected"):
        rows_of(source)
    code, _, err = plan(tmp_path, capsys, source)
    expected = "looks like a dolphinscheduler export, not airflow" if isinstance(document, list) and document and \
        "processDefinition" in document[0] else "does not look like an Airflow DAG list"
    assert code == 1 and expected in err and str(source) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("document", [{"dags": [], "total_entries": 0}, {"dags": []}])
def test_an_empty_collection_is_refused_like_every_profiles_empty_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], document: object) -> None:
    source = write(tmp_path / "dags.json", document)
    with pytest.raises(SourceError, match="holds no DAGs"):
        rows_of(source)
    code, _, err = plan(tmp_path, capsys, source)
    assert code == 1 and "holds no DAGs" in err and str(source) in err and "Traceback" not in err


def test_an_empty_last_page_among_full_ones_is_read(tmp_path: Path) -> None:
    for number in (1, 2, 3):
        shutil.copy(FIXTURES / f"rest-v1-page-{number}.json", tmp_path / f"rest-v1-page-{number}.json")
    write(tmp_path / "rest-v1-page-4.json", {"dags": [], "total_entries": page(1)["total_entries"]})
    assert rows_of(tmp_path).keys() == rows_of(PAGES).keys()


def test_a_folder_without_json_and_a_glob_matching_nothing(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no \.json file"):
        rows_of(tmp_path)
    with pytest.raises(SourceError, match="no file matches"):
        rows_of(tmp_path / "dags-*.json")


def test_malformed_entries_are_their_own_flows_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cron = {"__type": "CronExpression", "value": "0 3 * * *"}
    dags = [
        {"dag_id": "fine", "schedule_interval": cron, "owners": ["a"], "is_paused": False},
        "sales_daily",
        {"schedule_interval": cron, "owners": ["a"]},
        {"dag_id": "odd_flag", "schedule_interval": cron, "is_paused": "sometimes"},
        {"dag_id": "odd_tags", "schedule_interval": cron, "tags": 5},
        {"dag_id": "odd_anchor", "schedule_interval": {"__type": "TimeDelta", "days": 1, "seconds": 0,
                                                       "microseconds": 0}, "next_dagrun": "tomorrow"},
        {"dag_id": "odd_params", "schedule_interval": cron, "params": ["region"]},
    ]
    source = write(tmp_path / "dags.json", {"dags": dags, "total_entries": 7})
    rows = rows_of(source)
    assert [k for k, r in rows.items() if r["__errors__"] == ""] == ["fine"]
    assert all(codes(r["__errors__"]) == ["MALFORMED_DAG"] for k, r in rows.items() if k != "fine")
    assert "DAG 2: an entry that is not a DAG object" in rows["DAG 2"]["__errors__"]
    assert "is_paused 'sometimes'" in rows["odd_flag"]["__errors__"]
    assert "next_dagrun 'tomorrow'" in rows["odd_anchor"]["__errors__"]
    code, inventory, err = plan(tmp_path, capsys, source)
    assert code == 5 and inventory["convertible"] == 1 and inventory["invalid_by_reason"] == {"MALFORMED_DAG": 6}
    assert "Traceback" not in err


def test_params_whose_names_say_they_hold_a_secret_are_named(tmp_path: Path) -> None:
    """A DAG's params carried as flow parameters, which every owner and visitor of the flow reads:
    a password or a key among them is named (SECRET_PARAMETER), as every profile names them."""
    details = {"dag_id": "loader", "schedule_interval": "0 1 * * *", "timezone": "UTC", "params": {
        "db_password": {"__class": "airflow.models.param.Param", "value": "not-a-real-one", "description": None,
                        "schema": {}},
        "aws_secret_access_key": "not-a-real-key", "region": "emea", "api_token": None}}
    row = rows_of(write(tmp_path / "details-loader.json", details))["loader"]
    warned = json.loads(row["__warnings__"])
    (secret,) = [entry["message"] for entry in warned if entry["code"] == "SECRET_PARAMETER"]
    assert secret.startswith("db_password, aws_secret_access_key look like secrets")  # api_token: no value


def test_the_clis_yaml_or_plain_listing_is_refused_saying_to_export_json(tmp_path: Path) -> None:
    """`airflow dags list -o yaml` read by the airflow profile said only "not valid JSON at line 1"."""
    path = tmp_path / "dags.yaml"
    path.write_text("- dag_id: etl_daily\n  fileloc: /opt/airflow/dags/etl.py\n  owners: data\n", encoding="utf-8")
    with pytest.raises(SourceError) as refused:
        rows_of(path)
    assert "this looks like `airflow dags list -o yaml`" in str(refused.value)
    assert "export it with `-o json`" in str(refused.value)


def test_an_hourly_dag_whose_zone_cannot_matter_is_not_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every hour at :00 fires at the same instants in UTC and in London: nothing to say."""
    dag = {"dag_id": "hourly", "schedule_interval": {"__type": "CronExpression", "value": "0 * * * *"},
           "next_dagrun": "2026-11-20T02:00:00+00:00"}
    _, inventory, _ = plan(tmp_path, capsys, write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}))
    (action,) = inventory["actions"]
    assert action["action"] == "valid" and "HOST_TIMEZONE" not in json.dumps(action), action


def test_pages_of_two_moments_are_refused_as_such(tmp_path: Path) -> None:
    """Two pages saved while a DAG was added: the second counts one DAG more and holds again the
    last DAG of the first (it moved a page down). The refusal said "1 missing: save every page",
    where no page is missing: it says the pages are of two moments, to be saved again together.
    Every DAG there (one added at the end), they are read."""
    folder = tmp_path / "export"
    folder.mkdir()
    first, second = page(1), page(2)
    write(folder / "dags-0.json", {**first, "total_entries": 6})
    write(folder / "dags-3.json", {"dags": [first["dags"][-1], *second["dags"][:2]], "total_entries": 7})
    with pytest.raises(SourceError) as refused:
        rows_of(folder)
    message = str(refused.value)
    assert "saved at different moments" in message and "6 in dags-0.json, 7 in dags-3.json" in message, message
    assert "missing" not in message
    whole = tmp_path / "whole"
    whole.mkdir()
    write(whole / "dags-0.json", {**first, "total_entries": 3})
    write(whole / "dags-3.json", {"dags": second["dags"][1:2], "total_entries": 4})  # one DAG added at the end
    assert len(rows_of(whole)) == 4


def test_a_task_list_beside_the_dag_pages_is_named_as_such(tmp_path: Path) -> None:
    """`GET /dags/{id}/tasks` saved in the export folder: refused as "not an Airflow DAG list", which
    left a user wondering what was wrong with an Airflow answer (found by a reviewer)."""
    tasks = {"tasks": [{"task_id": "extract", "owner": "airflow", "downstream_task_ids": []}], "total_entries": 1}
    with pytest.raises(SourceError, match=r"an Airflow task list \(`GET /dags/\{dag_id\}/tasks`\).*Remove it"):
        rows_of(write(tmp_path / "tasks-etl.json", tasks))


@pytest.mark.parametrize(("zone", "offset"), [("Pacific/Auckland", 13), ("America/Los_Angeles", -8)])
def test_an_end_date_hours_ahead_keeps_the_flow_active_in_any_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 zone: str, offset: int) -> None:
    """An hourly DAG in Auckland whose end_date is seven hours ahead was saved inactive, "has passed":
    the profile gave the end's day in UTC, which the mapping read as a day in the DAG's zone, over
    there at 11:00 UTC; one ended seven hours ago in Los Angeles stayed active (a reviewer's)."""
    for hours, passed in ((7, False), (-7, True)):
        end = (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)
        shown = end.astimezone(timezone(timedelta(hours=offset))).isoformat()
        dag = {"dag_id": "hourly", "schedule_interval": {"__type": "CronExpression", "value": "0 * * * *"},
               "timezone": f"Timezone('{zone}')", "end_date": shown}
        code, planned, err = plan(tmp_path, capsys, write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}),
                                  start_time="2020-01-01")  # the flow runs from now
        [action] = planned["actions"]
        said = {w["code"]: w["message"] for w in action.get("warnings", [])}
        assert code == 3 and ("has passed" in said["END_DATE"]) is passed, (hours, said, err)
        assert ("stays active" in said["END_DATE"]) is not passed and "NEVER_RUNS" not in said, (hours, said)


@pytest.mark.parametrize("document", [
    {"import_errors": [{"filename": "/dags/broken.py", "stack_trace": "Traceback …", "import_error_id": 1}],
     "total_entries": 1},
    [{"filepath": "/dags/broken.py", "error": "SyntaxError"}],  # airflow dags list-import-errors -o json
    {"task_id": "extract", "owner": "airflow", "downstream_task_ids": []},  # GET /dags/{id}/tasks/{task_id}
])
def test_other_airflow_answers_in_the_export_are_named(tmp_path: Path, document: object) -> None:
    """An import-error list or one task's answer beside the DAG pages was "not an Airflow DAG list"."""
    with pytest.raises(SourceError, match=r"this is an Airflow (import-error|task) list .*Remove it"):
        rows_of(write(tmp_path / "answer.json", document))


def test_a_data_interval_dags_last_run_is_counted_in_source_timezone(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A DAG of no zone (a list page), daily at 01:00, its end_date a week ahead, `[mapping]
    source_timezone = "Asia/Tokyo"`: its last run (the schedule's first point past end_date) was
    counted in UTC, a time the flow never fires at, and the advice to disable it after that run lost
    the real last run, the next day (found by a reviewer)."""
    end = datetime.combine(datetime.now(UTC).date() + timedelta(days=7), time(), UTC)  # 09:00 that day in Tokyo
    dag = {"dag_id": "daily", "schedule_interval": {"__type": "CronExpression", "value": "0 1 * * *"},
           "end_date": end.isoformat()}
    _, planned, err = plan(tmp_path, capsys, write(tmp_path / "dags.json", {"dags": [dag], "total_entries": 1}),
                              extra='[mapping]\nsource_timezone = "Asia/Tokyo"', target='timezone = "Asia/Tokyo"',
                              start_time="2020-01-01")
    [action] = planned["actions"]
    said = {w["code"]: w["message"] for w in action.get("warnings", [])}
    last = end.date() + timedelta(days=1)  # 01:00 Tokyo the next day: the first point past 09:00 Tokyo
    assert f"its last run before then is at {last} 01:00:00 in the service's zone" in said["END_DATE"], (said, err)
