"""A freq in words: what a reviewer reads in a plan must say what the service fires."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from pathlib import Path

import pytest
from conftest import plan_profile
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.schedule.proof import schedule_in_words
from migrate.schedule.quartz import parse_quartz
from migrate.schedule.words import in_words

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]  # datetime.weekday()


@pytest.mark.parametrize(("freq", "words"), [
    ("0 0 3 * * ? *", "At 03:00, every day"),
    ("0 0 0 ? * 1 *", "At 00:00, only on Sunday"),  # Quartz counts from Sunday = 1
    ("0 0 0 ? * 7 *", "At 00:00, only on Saturday"),
    ("0 0 0 ? * 2-6 *", "At 00:00, Monday through Friday"),
    ("0 30 2 L * ? *", "At 02:30, on the last day of the month"),
    ("0 0 12 15W * ? 2027", "At 12:00, on the weekday nearest day 15 of the month, only in 2027"),
    ("0 0 3 ? * 6#3 *", "At 03:00, on the third Friday of the month"),
    ("0 0 8 ? * 2L *", "At 08:00, on the last Monday of the month"),
    ("0 0/15 9-17 ? * MON-FRI *", "Every 15 minutes, between 09:00 and 17:59, Monday through Friday"),
])
def test_the_words_of_common_schedules(freq: str, words: str) -> None:
    assert in_words(freq) == words


@pytest.mark.parametrize("freq", ["", "   ", "not a schedule", "0 0 0 ? * 9 *", "61 0 0 * * ? *"])
def test_what_cannot_be_said_gets_no_words_and_no_exception(freq: str) -> None:
    assert in_words(freq) == ""


@settings(max_examples=200, deadline=None)
@given(minute=st.integers(0, 59), hour=st.integers(0, 23), weekday=st.integers(1, 7))
def test_the_words_name_the_time_and_the_day_the_service_fires(minute: int, hour: int, weekday: int) -> None:
    """Checked against our Quartz evaluator (itself checked against real Quartz by `make oracle`):
    the first fire time's clock and weekday are the ones the words say."""
    freq = f"0 {minute} {hour} ? * {weekday} *"
    fire = next(parse_quartz(freq).fire_times(datetime(2026, 1, 1)))
    words = in_words(freq)
    assert f"At {fire:%H:%M}" in words, words
    named = [day for day in DAYS if day in words]
    assert named == [DAYS[fire.weekday()]], words


@settings(max_examples=100, deadline=None)
@given(day=st.integers(1, 31), hour=st.integers(0, 23))
def test_the_words_name_the_day_of_the_month(day: int, hour: int) -> None:
    freq = f"0 0 {hour} {day} * ? *"
    fire = next(parse_quartz(freq).fire_times(datetime(2026, 1, 1)))
    assert re.search(rf"\bday {fire.day} of the month\b", in_words(freq)), in_words(freq)


@pytest.mark.parametrize(("freq", "words"), [
    # Sunday and Saturday: the canonical freq writes them as the step 1/6, which is no "every 6 days".
    ("0 0 0 ? * 1/6 *", "At 00:00, only on Sunday and Saturday"),
    ("0 0 0 ? * 2/3 *", "At 00:00, only on Monday and Thursday"),
    ("0 0 0 ? * 2-6/2 *", "At 00:00, only on Monday, Wednesday, and Friday"),
    ("0 0 1/22 * * ? *", "At 01:00 and 23:00, every day"),  # 22 hours then 2: no "every 22 hours"
    ("0 0 0 1/15 * ? *", "At 00:00, on day 1, 16, and 31 of the month"),
    ("0 0 0 1 1/11 ? *", "At 00:00, on day 1 of the month, only in January and December"),
    ("0 0 0 ? * 1 2027/2", "At 00:00, only on Sunday, every 2 years, 2027 through 2099"),  # not through 9999
    # A step that divides its field's cycle is the regular repetition it says.
    ("0 0/15 * * * ? *", "Every 15 minutes, every hour, every day"),
    ("0 0 1/12 * * ? *", "Every 12 hours, starting at 01:00, every day"),
])
def test_a_step_is_said_as_a_repetition_only_when_it_is_one(freq: str, words: str) -> None:
    assert in_words(freq) == words


@settings(max_examples=200, deadline=None)
@given(weekdays=st.sets(st.integers(1, 7), min_size=1, max_size=6))
def test_the_words_name_exactly_the_weekdays_the_service_fires(weekdays: set[int]) -> None:
    """Any set of weekdays, written canonically (steps included), is said as the days it fires on."""
    from migrate.schedule.quartz import set_text

    freq = f"0 0 0 ? * {set_text(frozenset(weekdays), 1, 7)} *"
    start = datetime(2026, 1, 1)
    fired = {DAYS[at.weekday()] for at in itertools.islice(parse_quartz(freq).fire_times(start), 14)}
    words = in_words(freq)
    said = {day for day in DAYS if day in words}
    week = [DAYS[6], *DAYS[:6]]  # Quartz's week, Sunday first
    for first, last in re.findall(r"(\w+day) through (\w+day)", words):  # `Sunday through Tuesday`
        said |= set(week[week.index(first):week.index(last) + 1])
    assert said == fired, (freq, words)


def test_a_plan_says_sunday_and_saturday_for_sun_6(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reviewer's view: `0 0 * * SUN,6` in a crontab is planned as 1/6 with its days named."""
    crontab = tmp_path / "crontab"
    crontab.write_text("0 0 * * SUN,6 /usr/local/bin/weekend-report\n", encoding="utf-8")
    code, planned, _ = plan_profile(tmp_path, capsys, "crontab", crontab)
    assert code == 3
    (action,) = planned["actions"]
    assert action["freq"] == "0 0 0 ? * 1/6 *"
    assert action["freq_words"] == "At 00:00, only on Sunday and Saturday"


@settings(max_examples=100, deadline=None)
@given(minute=st.integers(0, 59), hours=st.lists(st.tuples(st.integers(0, 23), st.integers(0, 3)), min_size=2,
                                                 max_size=4))
def test_a_list_of_hours_holding_a_range_names_every_time_it_fires(minute: int, hours: list[tuple[int, int]]) -> None:
    """At one minute of hours `10,11,14-16` the service fires at 14:00, 15:00 and 16:00, not "14:00
    through 16:59": every fire time of a day (our evaluator, checked against real Quartz by `make
    oracle`) is named, in the freq's words and in the old schedule's (a Vixie cron source)."""
    from cronsim import CronSim

    from migrate.schedule.proof import schedule_in_words

    terms = [str(start) if span == 0 or start + span > 23 else f"{start}-{start + span}" for start, span in hours]
    hour_field = ",".join(terms)
    freq = f"0 {minute} {hour_field} * * ? *"
    day = datetime(2027, 1, 4)
    fires = list(itertools.takewhile(lambda t: t.date() == day.date(), parse_quartz(freq).fire_times(day)))
    source = CronSim(f"{minute} {hour_field} * * *", day)
    assert [next(source) for _ in fires] == fires  # the source and the freq fire alike (cronsim, our evaluator)
    for words in (in_words(freq), schedule_in_words(f"{minute} {hour_field} * * *", "unix")):
        said = set(re.findall(r"\b\d\d:\d\d\b", words))
        assert {f"{t:%H:%M}" for t in fires} <= said or (
            len(fires) > 2 and "between" in words), (freq, words)  # a single range: "between 14:00 and 16:59"
        assert "through" not in words or len(terms) == 1, (freq, words)


def test_a_manual_flow_is_not_said_to_run_on_its_placeholder_schedule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A manual flow's freq is only what Save wants: the plan said "schedule: At 00:00, every day".
    crontab = tmp_path / "crontab"
    crontab.write_text("@reboot /usr/local/bin/warm-cache\n0 3 * * * /usr/local/bin/nightly\n", encoding="utf-8")
    code, planned, _ = plan_profile(tmp_path, capsys, "crontab", crontab, extra='[mapping]\nunscheduled = "manual"')
    assert code == 3
    words = {a["source_key"].split("/")[-1]: a["freq_words"] for a in planned["actions"]}
    assert words == {"warm-cache": "manual: no schedule (its freq a placeholder, never fired)",
                     "nightly": "At 03:00, every day"}, words
    config = tmp_path / "crontab-plan.toml"
    code, out, _ = _plan_text(capsys, config)
    assert "manual: no schedule" in out and "At 00:00" not in out, out
    code, out, _ = _plan_text(capsys, config, "--markdown")
    [row] = [line for line in out.splitlines() if "warm-cache" in line and "| `0 0 0 * * ? *` |" in line]
    assert "manual: no schedule" in row and "At 00:00" not in row and "00:00:00" not in row, row


def _plan_text(capsys: pytest.CaptureFixture[str], config: Path, *extra: str) -> tuple[int, str, str]:
    from migrate.cli import main

    code = main(["plan", str(config), "--offline", *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("source", "words"), [
    ("cron(0 12 * * ? *)", "At 12:00, every day"),
    ("cron(15 10 ? * 6L 2026)", "At 10:15, on the last Friday of the month, only in 2026"),  # 6: Friday, as Quartz
    ("rate(5 minutes)", "every 5 minutes"), ("at(2026-12-15T02:00:00)", "once, at 2026-12-15 02:00:00"),
    ("cron(x y z w v u)", ""), ("cron(bad)", "")])
def test_eventbridge_schedules_in_words(source: str, words: str) -> None:
    """A plan's review left an EventBridge schedule's words blank (found by a new user)."""
    assert schedule_in_words(source, "eventbridge") == words
