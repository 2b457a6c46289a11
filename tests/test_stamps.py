"""Time stamps formatted once a second (migrate/stamps.py) still say the time they were given."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from migrate.results.stamps import local_plain, utc_iso

SECONDS = st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False)


@given(SECONDS)
def test_the_result_log_stamp_is_utc_iso_to_the_millisecond(now: float) -> None:
    stamp = utc_iso(now)
    assert len(stamp) == len("2026-11-25T14:16:38.123+00:00") and stamp.endswith("+00:00")
    assert stamp[:19] == datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert abs(datetime.fromisoformat(stamp).timestamp() - now) < 0.001


@given(SECONDS)
def test_the_emulator_stamp_is_local_time_to_the_millisecond(now: float) -> None:
    plain = local_plain(now)
    assert len(plain) == len("2026-11-25 14:16:38.123")
    assert plain[:19] == datetime.fromtimestamp(int(now)).strftime("%Y-%m-%d %H:%M:%S")
    assert int(plain[20:]) == int((now - int(now)) * 1000)
