"""The enos-v2 profile on Get Flow answers of the v2.0 service (tests/fixtures/enos_v2/), and on files
that are not such an export at all: another scheduler's export is refused by name (exit 1), never
read as flows that lack every field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_profiles import flows_of, plan

from migrate.sources.readers import SourceError

FIXTURES = Path(__file__).parent / "fixtures"
ANSWERS = FIXTURES / "enos_v2" / "get-flow-answers.json"


def test_get_flow_answers_are_read_as_flows() -> None:
    rows = flows_of("enos-v2", ANSWERS)
    assert [(r["flow_id"], r["flow_name"], r["task_id"], r["upstream"]) for r in rows] == [
        ("3001", "ops_daily_load", "300101", ""), ("3001", "ops_daily_load", "300102", "300101"),
        ("3002", "ops_weekly", "", "")]
    assert all(r["__errors__"] == "" for r in rows)


NOT_ENOS = {
    "a DolphinScheduler export": (FIXTURES / "dolphinscheduler" / "dependent.json", "DolphinScheduler"),
    "an Airflow page": (FIXTURES / "airflow" / "rest-v1-page-1.json", "Airflow"),
}


@pytest.mark.parametrize("case", NOT_ENOS.values(), ids=NOT_ENOS.keys())
def test_another_schedulers_export_is_refused_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      case: tuple[Path, str]) -> None:
    path, other = case
    with pytest.raises(SourceError, match=r"this does not look like an EnOS v2\.0 flow export \(expected"):
        flows_of("enos-v2", path)
    code, _, err = plan(tmp_path, capsys, "enos-v2", path)  # named by sources/detect.py before the profile reads
    article = "an" if other == "Airflow" else "a"
    assert code == 1 and f"this looks like {article} {other.lower()} export, not enos-v2" in err and str(path) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("document", [[], {}, [{"name": "backup", "cron": "0 2 * * *"}], "text", [1, 2],
                                      {"status": 0, "msg": "Success", "data": {"list": []}}])
def test_json_that_holds_no_flow_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            document: Any) -> None:
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, _, err = plan(tmp_path, capsys, "enos-v2", path)
    assert code == 1 and "this does not look like an EnOS v2.0 flow export" in err and "Traceback" not in err


def test_one_entry_that_is_no_flow_fails_alone(tmp_path: Path) -> None:
    answers = json.loads(ANSWERS.read_text(encoding="utf-8"))
    path = tmp_path / "v2.json"
    path.write_text(json.dumps([answers[0], {"name": "stray"}]), encoding="utf-8")
    rows = flows_of("enos-v2", path)
    assert rows[0]["__errors__"] == "" and rows[-1]["flow"] == "entry 2"
    assert "entry 2 is not a Get Flow answer" in rows[-1]["__errors__"]
