"""`migrate cron --dialect kubernetes|eventbridge|systemd`: one schedule of those grammars through
the same conversion the profile makes, then into the service's zone: for every schedule of the
shipped examples, the command prints the freq the profile's plan saves."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from conftest import REPO, run_cli


def _plan_freqs(capsys: pytest.CaptureFixture[str], profile: str, tmp_path: Path) -> tuple[dict[str, str], str]:
    text = (REPO / "configs" / f"{profile}.toml").read_text(encoding="utf-8").replace('"../', f'"{REPO}/')
    zone = re.search(r'^timezone = "([^"]+)"', text, re.MULTILINE)
    config = tmp_path / f"{profile}.toml"
    config.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(config), "--offline", "--json")
    assert code in (3, 5), err
    return ({a["source_key"]: a["freq"] for a in json.loads(out)["actions"] if a["action"] == "valid"},
            zone[1] if zone else "")


def _cron(capsys: pytest.CaptureFixture[str], expression: str, dialect: str, *extra: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, "cron", expression, "--dialect", dialect, "--json", *extra)
    assert code in (0, 2) and "Traceback" not in err, err
    answer: dict[str, Any] = json.loads(out)
    return answer


def test_kubernetes_schedules_as_the_profile_converts_them(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    planned, target = _plan_freqs(capsys, "kubernetes", tmp_path)
    compared = 0
    for item in yaml.safe_load_all((REPO / "data" / "examples" / "kubernetes-cronjobs.yaml").read_text()):
        for job in item.get("items", [item]) if item else []:
            key = f"{job['metadata'].get('namespace', 'default')}/{job['metadata']['name']}"
            if key not in planned:
                continue
            zone = ["--zone", job["spec"].get("timeZone") or "UTC"]
            answer = _cron(capsys, job["spec"]["schedule"], "kubernetes", *zone, "--target-zone", target)
            assert answer.get("freq") == planned[key], (key, answer)
            compared += 1
    assert compared >= 2


def test_eventbridge_and_systemd_grammars_convert_and_refuse_by_code(capsys: pytest.CaptureFixture[str]) -> None:
    weekdays = _cron(capsys, "cron(0 12 ? * MON-FRI *)", "eventbridge", "--target-zone", "UTC")
    assert weekdays["freq"] == "0 0 12 ? * 2-6 *"  # AWS's example: 12:00 UTC, Monday to Friday
    shifted = _cron(capsys, "cron(0 12 ? * MON-FRI *)", "eventbridge", "--target-zone", "Asia/Shanghai")
    assert shifted["freq"] == "0 0 20 ? * 2-6 *"  # the same instants on the service's clock
    assert _cron(capsys, "rate(5 minutes)", "eventbridge")["rejected"] == "NEEDS_START"
    assert _cron(capsys, "rate(5 minutes)", "eventbridge", "--start", "2026-01-01T00:02:00Z",
                 "--target-zone", "UTC")["freq"] == "0 2/5 * * * ? *"
    assert _cron(capsys, "Mon..Fri *-*-* 02:00:00 UTC", "systemd", "--target-zone", "UTC")["freq"] == \
        "0 0 2 ? * 2-6 *"
    assert _cron(capsys, "OnBootSec=5min", "systemd")["rejected"]
    assert _cron(capsys, "CRON_TZ=UTC 0 3 * * *", "kubernetes", "--target-zone", "Asia/Shanghai")["freq"] == \
        "0 0 11 * * ? *"


def test_the_advice_names_this_commands_flags_and_each_warning_comes_once(
        capsys: pytest.CaptureFixture[str]) -> None:
    no_zone = _cron(capsys, "cron(0 10 ? * MON-FRI *)", "eventbridge")
    assert "--target-zone" in no_zone["message"] and "[target]" not in no_zone["message"]
    assert "--start" in _cron(capsys, "rate(5 minutes)", "eventbridge")["message"]
    shifted = _cron(capsys, "0 2 * * *", "unix", "--zone", "America/New_York", "--target-zone", "Asia/Tokyo")
    assert "--approximate" in shifted["message"] and "timezone_shift" not in shifted["message"]
    # a year ahead: one passed fires no more (at the year's end, 2026's last Friday had passed)
    next_year = datetime.now(UTC).year + 1
    for expression, dialect in ((f"cron(15 10 ? * 6L {next_year})", "eventbridge"), ("quarterly", "systemd")):
        codes = [w["code"] for w in _cron(capsys, expression, dialect, "--target-zone", "UTC").get("warnings", [])]
        assert codes and len(codes) == len(set(codes)), (expression, codes)
    # a warning names the source text it read, as every dialect's does (not the freq twice)
    warned = _cron(capsys, "0 6 */2 * *", "kubernetes", "--target-zone", "UTC")["warnings"]
    assert [(w["code"], w["from"]) for w in warned] == [("EVERY_N_DAYS_APPROX", "0 6 */2 * *")], warned


def test_split_works_for_every_cron_dialect_that_ors_its_day_fields(capsys: pytest.CaptureFixture[str]) -> None:
    """A DAG's cron string ORs its day fields as a crontab line does: `--split` splits both (an
    Airflow DAG's used to be refused with advice to opt in to the split it ignored), and the next
    fire times shown are the two flows' together, as cronsim reads the source."""
    from datetime import UTC, datetime

    from cronsim import CronSim

    for dialect, expression in (("unix", "0 6 1 * 1"), ("croniter", "0 6 1 * 1"), ("airflow", "0 6 1 * 1"),
                                ("airflow", '{"__type": "CronExpression", "value": "0 6 1 * 1"}')):
        answer = _cron(capsys, expression, dialect, "--split", "--proof")
        assert (answer["freq"], answer["split"]["freq"]) == ("0 0 6 1 * ? *", "0 0 6 ? * 2 *"), (dialect, answer)
        assert answer["proof"]["verdict"] == "equivalent", answer
        begin = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        source = CronSim("0 6 1 * 1", begin)
        expected = [next(source).strftime("%Y-%m-%dT%H:%M:%SZ") for _ in range(5)]
        assert answer["next_fires"] == expected, (dialect, answer["next_fires"], expected)


@pytest.mark.parametrize("dialect,expression,reason", [
    ("kubernetes", "0 6 1 * 1", "DOM_OR_DOW"), ("eventbridge", "cron(0 6 1 * ? *)", "never ORs"),
    ("systemd", "Mon *-*-01 06:00", "never ORs")])
def test_split_is_refused_where_it_would_be_ignored(capsys: pytest.CaptureFixture[str], dialect: str,
                                                    expression: str, reason: str) -> None:
    code, out, err = run_cli(capsys, "cron", expression, "--dialect", dialect, "--split")
    assert code == 1 and not out and "--split" in err and reason in err and "Traceback" not in err, err


def test_eventbridge_at_converts_as_the_profile_saves_it(capsys: pytest.CaptureFixture[str]) -> None:
    """`migrate cron "at(…)" --dialect eventbridge` answered `rejected ONE_TIME: … not a recurring
    schedule`, exit 2, while a run saves at(…) ahead as the one-run freq of its minute, with its year,
    in its zone: the command converts one schedule as a run would, so it gives that freq now, placed
    at its instant in the service's zone and proved; one passed has no time schedule, said as the
    profile says it. Found by a reviewer."""
    ahead = (datetime.now(UTC) + timedelta(days=210)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = f"{ahead:%Y-%m-%dT%H:%M:%S}"
    run = ahead.replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    converted = _cron(capsys, f"at({body})", "eventbridge", "--zone", "Europe/Berlin", "--target-zone", "UTC",
                      "--proof")
    assert converted["freq"] == f"0 0 {run.hour} {run.day} {run.month} ? {run.year}", converted
    assert converted["proof"]["verdict"] == "equivalent", converted
    assert "ONE_TIME" in {w["code"] for w in converted["warnings"]}
    code, out, _ = run_cli(capsys, "cron", f"at({body})", "--dialect", "eventbridge", "--zone", "Europe/Berlin",
                           "--target-zone", "UTC")
    assert code == 0 and "warning ONE_TIME" in out, out
    passed = f"{datetime.now(UTC) - timedelta(days=3):%Y-%m-%dT%H:%M:%S}"
    code, out, _ = run_cli(capsys, "cron", f"at({passed})", "--dialect", "eventbridge", "--target-zone", "UTC")
    assert code == 2 and out.startswith(f"rejected NO_TIME_SCHEDULE: an EventBridge Scheduler one-time schedule "
                                        f"at({passed}) in UTC, which has passed"), out
