"""A freq in words: what a reviewer reads in a plan must say what the service fires."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
