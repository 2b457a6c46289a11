"""Azkaban's periods against Joda-Time itself (`make oracle`; skipped unless ORACLE=1).

Azkaban's Schedule.getNextRuntime adds a period to the time before with Joda-Time's DateTime.plus
in the schedule's zone: where a daylight-saving gap skips the time, or a month is too short for the
day, Joda moves it, and every later addition starts from the moved time. Both of our readings of
that are checked against Debian's Joda-Time (libjoda-time-java) on seeded generated cases, biased
to the hours gaps skip and to the month's last days:
1. the proof's source side (schedule/proof_grammars.py, `azkaban`): the fire times from the first;
2. the converter's `phase` (schedule/azkaban.py): where the period stands at a later time.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from migrate.schedule.azkaban import phase
from migrate.schedule.proof import source_fires

pytestmark = pytest.mark.skipif(os.environ.get("ORACLE") != "1",
                                reason="needs a JVM and Joda-Time: run `make oracle`")

from quartz_oracle import BUILD, harness  # noqa: E402  (pytest puts this folder on sys.path)

JODA_JAR = "/usr/share/java/joda-time.jar"
CASES = int(os.environ.get("ORACLE_CASES", "5000")) // 10
SEED = int(os.environ.get("ORACLE_SEED", "20261126"))
FIRES = 200
# Zones with gaps at 02:00 (New York), 02:00 UTC+1 (Berlin), half an hour (Lord Howe), midnight
# (Havana, Santiago), a whole day skipped (Apia, 30 December 2011), and none (Shanghai, UTC).
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Havana", "America/Santiago",
         "Pacific/Apia", "Asia/Shanghai", "UTC")
PERIODS = ("1d", "2d", "3d", "7d", "1w", "2w", "1M", "2M", "3M", "6M", "12M", "1y", "1h", "2h", "6h", "30m", "90m")
# Joda's own zone rules are Debian's package's; compare only years both rule sets agree on.
UNTIL = datetime(2027, 1, 1, tzinfo=UTC)


class JodaProcess:
    def __init__(self) -> None:
        self.process = subprocess.Popen(["java", "-cp", f"{BUILD}:{JODA_JAR}", "JodaOracle"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def fires(self, zone: str, first: datetime, period: str, count: int) -> list[datetime]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{zone}\t{int(first.timestamp() * 1000)}\t{period}\t{count}\n")
        kind, _, rest = self.process.stdout.readline().rstrip("\n").partition("\t")
        assert kind == "OK", rest
        return [datetime.fromtimestamp(int(ms) / 1000, UTC) for ms in rest.split()]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def joda() -> Iterator[JodaProcess]:
    yield from harness("JodaOracle", JodaProcess)


def cases(count: int, seed: int) -> Iterator[tuple[str, datetime, str]]:
    """(zone, first as an instant, period): wall times drawn where Joda has something to move."""
    rng = random.Random(seed)
    for _ in range(count):
        zone = rng.choice(ZONES)
        day = rng.choice([rng.randint(1, 28), rng.randint(28, 31)])
        month, year = rng.randint(1, 12), rng.randint(2008, 2025)
        while True:
            try:
                wall = datetime(year, month, day, rng.choice([0, 1, 2, 2, 3, rng.randint(0, 23)]),
                                rng.choice([0, 15, 30, 45]))
                break
            except ValueError:
                day -= 1
        if zone == "Pacific/Apia" and rng.random() < 0.3:
            wall = datetime(2011, 12, rng.randint(20, 29), wall.hour, wall.minute)  # across the day Samoa skipped
        yield zone, wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC), rng.choice(PERIODS)


def _wall(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def test_the_proof_counts_azkabans_periods_as_joda_does(joda: JodaProcess) -> None:
    compared = 0
    for zone, first, period in cases(CASES, SEED):
        oracle = [t for t in joda.fires(zone, first, period, FIRES) if t < compared_until(first)]
        source = json.dumps({"period": period, "first": _wall(first, zone).isoformat(), "timezone": zone})
        ours = list(source_fires(source, "azkaban", zone, None, first, compared_until(first)))[:len(oracle)]
        assert ours == oracle, (zone, _wall(first, zone), period)
        compared += len(oracle)
    assert compared > CASES * 50  # the cases reached well into their sequences


def compared_until(first: datetime) -> datetime:
    return min(UNTIL, first + timedelta(days=3 * 366))


def test_the_converter_finds_where_joda_has_moved_the_period(joda: JodaProcess) -> None:
    rng = random.Random(SEED + 1)
    moved = 0
    for zone, first, period in cases(CASES, SEED + 2):
        if period[-1] not in "dwMy":
            continue  # hours and shorter are fixed durations: nothing moves on the wall clock
        oracle = joda.fires(zone, first, period, FIRES)
        if oracle[-1] >= UNTIL:
            oracle = [t for t in oracle if t < UNTIL]
        until = rng.choice(oracle[1:]) - timedelta(seconds=rng.choice([0, 1, 3600]))
        expected = next(t for t in oracle if t >= until)
        found = phase(period, _wall(first, zone), zone, _wall(until, zone))
        assert found.at == _wall(expected, zone), (zone, _wall(first, zone), period, _wall(until, zone))
        moved += found.moved
    assert moved > 10  # the cases did meet gaps and short months
