"""The differential check against real Quartz 2.3.2 (`make oracle`; skipped unless ORACLE=1).

Three comparisons, on seeded generated expressions (thousands; ORACLE_CASES scales them):
1. our validator against `new CronExpression(text)`: what Quartz refuses we must refuse; what we
   refuse and Quartz accepts must be one of our documented refusals (`STRICTER`);
2. our evaluator against `getNextValidTimeAfter`, the next fire times after fixed instants, in UTC;
3. converted Unix and croniter schedules: real Quartz fires the converted `freq` at the times
   cronsim (Debian cron) and croniter (Airflow's library) fire the source.
Where Quartz's documentation and its behaviour differ we follow the behaviour; each case is in
tests/oracle/README.md.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice, takewhile

import pytest
from croniter import croniter
from cronsim import CronSim

from migrate.schedule.convert import convert
from migrate.schedule.quartz import QuartzError, parse_quartz
from migrate.schedule.result import Converted

pytestmark = pytest.mark.skipif(os.environ.get("ORACLE") != "1",
                                reason="needs a JVM and Quartz 2.3.2: run `make oracle`")

from quartz_oracle import QuartzProcess, harness  # noqa: E402  (pytest puts this folder on sys.path)

CASES = int(os.environ.get("ORACLE_CASES", "5000"))
SEED = int(os.environ.get("ORACLE_SEED", "20261126"))
# Fixed instants: a Monday 1st, a leap February's eve, a Saturday 1st (where the reference saw a
# newer Quartz skip 1W), a month's last second, a mid-month afternoon.
STARTS = (datetime(2024, 1, 1), datetime(2024, 2, 28, 23, 59, 30), datetime(2024, 6, 1),
          datetime(2025, 8, 31, 23, 59, 59), datetime(2026, 11, 17, 12, 0, 1))
FIRES = 12
# Quartz stops searching at (current year + 100); compare only what both can see.
HORIZON = datetime(2100, 1, 1)

# What we refuse although Quartz 2.3.2 accepts it, on purpose (quartz.py's docstring): the
# reason our validator gives, matched as a regular expression.
STRICTER = [
    r"Quartz ignores a step after a name",  # SUN-SAT/2: Quartz drops the step
    r"a step on a wrapping range is not supported",  # 22-2/2
    r"reads a bare L here as Saturday",  # L, L-2 in day of week
    r"L and W must stand alone",  # 1,L  L,15  1-5W  1W,15: Quartz accepts lists with L or W
    r"# and L take one day and stand alone",  # MON#1,FRI#2 (Quartz refuses), 2L,3 ...
    r"the offset of L-nW must be below 28",  # Quartz's search never returns
    r"out of range 1970-2099",  # years Quartz accepts and never fires (or fires after 2099)
    # Values outside the field that Quartz does not check in some places: 8#1 and 0#5, month or
    # day 0 at the end of a range (3-0), 0W, a month step of 13 (JUL/13).
    r"is out of range", r"must be between",
    r"is not a valid value",  # 4+ letter names Quartz reads by their first 3 letters (MONDAY)
]


@pytest.fixture(scope="module")
def quartz() -> Iterator[QuartzProcess]:
    yield from harness("QuartzOracle", QuartzProcess)


# -- generated Quartz expressions -----------------------------------------------------------------

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def _term(rng: random.Random, lo: int, hi: int, names: list[str] | None) -> str:
    def value() -> str:
        number = rng.randint(lo, hi) if rng.random() < 0.95 else rng.choice([lo - 1, hi + 1])
        if names and rng.random() < 0.3 and lo <= number <= hi:
            return names[number - lo]
        return str(number)

    kind = rng.choice(["value", "value", "range", "range", "step", "range_step", "star_step", "star"])
    if kind == "value":
        return value()
    if kind == "range":
        return f"{value()}-{value()}"  # wrapping, equal and mixed name-number ranges too
    if kind == "step":
        return f"{value()}/{rng.randint(1, hi - lo + 2)}"
    if kind == "range_step":
        return f"{value()}-{value()}/{rng.randint(1, max(1, hi - lo))}"
    if kind == "star_step":
        return f"*/{rng.randint(1, hi - lo + 1)}"
    return "*"


def _field(rng: random.Random, lo: int, hi: int, names: list[str] | None = None, star: float = 0.3) -> str:
    if rng.random() < star:
        return "*"
    return ",".join(_term(rng, lo, hi, names) for _ in range(rng.choice([1, 1, 1, 2, 3])))


def _days(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.5:  # day-of-month rules
        dom = rng.choice([
            lambda: _field(rng, 1, 31), lambda: "L", lambda: f"L-{rng.randint(0, 31)}",
            lambda: "LW", lambda: f"L-{rng.randint(0, 31)}W", lambda: f"{rng.randint(0, 32)}W",
            lambda: f"{_field(rng, 1, 31)},L", lambda: "*",
        ])()
        return dom, "?" if rng.random() < 0.97 else "*"
    dow = rng.choice([
        lambda: _field(rng, 1, 7, DAYS), lambda: f"{rng.randint(0, 8)}#{rng.randint(0, 6)}",
        lambda: f"{rng.choice(DAYS)}#{rng.randint(1, 5)}", lambda: f"{rng.randint(0, 8)}L",
        lambda: f"{rng.choice(DAYS)}L", lambda: "L", lambda: "*",
    ])()
    return "?" if rng.random() < 0.97 else "*", dow


def quartz_expressions(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        dom, dow = _days(rng)
        fields = [rng.choice(["0", "0", "30", _field(rng, 0, 59, star=0.05)]), _field(rng, 0, 59, star=0.1),
                  _field(rng, 0, 23, star=0.2), dom, _field(rng, 1, 12, MONTHS, star=0.6), dow]
        year = rng.random()
        if year < 0.15:
            fields.append(_field(rng, 2023, 2032, star=0.0))
        elif year < 0.5:
            fields.append("*")
        text = " ".join(fields)
        found.append(text.lower() if rng.random() < 0.1 else text)
    return found


def _ours(expression: str) -> tuple[bool, str]:
    try:
        parse_quartz(expression)
    except QuartzError as error:
        return False, error.reason
    return True, ""


def _our_fires(expression: str, start: datetime, count: int) -> tuple[datetime, ...]:
    times = parse_quartz(expression).fire_times(start)
    return tuple(islice(takewhile(lambda t: t < HORIZON, times), count))


def test_validator_refuses_what_quartz_refuses(quartz: QuartzProcess) -> None:
    accepted_refused, unexplained = [], []
    expressions = quartz_expressions(CASES, SEED)
    for expression in expressions:
        ours, reason = _ours(expression)
        theirs = quartz.ask(expression)
        if ours and not theirs.valid:
            accepted_refused.append(f"{expression!r}: Quartz says {theirs.error}")
        elif not ours and theirs.valid and not any(re.search(pattern, reason) for pattern in STRICTER):
            unexplained.append(f"{expression!r}: we say {reason}")
    assert not accepted_refused, "we accept what Quartz refuses:\n" + "\n".join(accepted_refused[:30])
    assert not unexplained, "we refuse what Quartz accepts, for no documented reason:\n" + "\n".join(unexplained[:30])


def test_evaluator_fires_when_quartz_fires(quartz: QuartzProcess) -> None:
    compared, differences = 0, []
    for expression in quartz_expressions(CASES, SEED + 1):
        if not _ours(expression)[0]:
            continue
        theirs = quartz.ask(expression, STARTS, FIRES)
        assert not theirs.hang, f"{expression!r}: we accept it, and Quartz's search never returns"
        assert theirs.valid, f"{expression!r}: we accept it, Quartz refuses it: {theirs.error}"
        for start, their_fires in zip(STARTS, theirs.fires, strict=True):
            expected = tuple(t for t in their_fires if t < HORIZON)
            ours = _our_fires(expression, start, len(expected) if len(their_fires) == FIRES else FIRES)
            compared += 1
            if ours != expected:
                differences.append(f"{expression!r} after {start}: ours {[str(t) for t in ours[:4]]} "
                                   f"Quartz {[str(t) for t in expected[:4]]}")
    assert compared > CASES, compared
    assert not differences, f"{len(differences)} of {compared} differ:\n" + "\n".join(differences[:30])


# -- converted schedules, fired by real Quartz ----------------------------------------------------

WINDOW = timedelta(days=400)


def _cron_field(rng: random.Random, lo: int, hi: int, names: list[str] | None, croniter_forms: bool) -> str:
    forms = ["*", "*", "value", "range", "range_step", "star_step", "list"]
    if croniter_forms:
        forms += ["wrap", "start_step", "full"]
    kind = rng.choice(forms)
    a, b = sorted(rng.sample(range(lo, hi + 1), 2))

    def name(value: int) -> str:
        return names[value - lo] if names and rng.random() < 0.3 else str(value)

    return {
        "*": "*", "value": name(a), "range": f"{name(a)}-{name(b)}",
        "range_step": f"{a}-{b}/{rng.randint(1, max(1, (hi - lo) // 2))}",
        "star_step": f"*/{rng.randint(1, max(1, (hi - lo) // 2))}",
        "list": ",".join(str(v) for v in sorted(rng.sample(range(lo, hi + 1), 3))),
        "wrap": f"{name(b)}-{name(a)}", "start_step": f"{a}/{rng.randint(1, max(1, (hi - lo) // 2))}",
        "full": rng.choice([f"{lo}-{hi}", "*/1", f"{lo}/1"]),
    }[kind]


def _cron_expressions(count: int, seed: int, croniter_forms: bool) -> list[str]:
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        dom = _cron_field(rng, 1, 31, None, croniter_forms)
        dow = _cron_field(rng, 0, 6, DAYS, croniter_forms)
        if croniter_forms and rng.random() < 0.2:
            dom, dow = rng.choice([("L", "*"), (f"{rng.randint(1, 31)}W", "*"), ("15-L", dow), ("?", dow),
                                   ("*", f"{rng.randint(0, 7)}#{rng.randint(1, 5)}"), ("*", f"L{rng.randint(0, 7)}"),
                                   (dom, "0-7"), (dom, "?")])
        found.append(" ".join([_cron_field(rng, 0, 59, None, croniter_forms), _cron_field(rng, 0, 23, None, False),
                               dom, _cron_field(rng, 1, 12, MONTHS, croniter_forms), dow]))
    return found


def _quartz_fires(quartz: QuartzProcess, freq: str, start: datetime) -> list[datetime]:
    answer = quartz.ask(freq, (start,), 25)
    assert answer.valid and not answer.hang, (freq, answer)
    return [t for t in answer.fires[0] if t <= start + WINDOW]


@pytest.mark.parametrize("dialect", ["unix", "croniter"])
def test_converted_schedules_fire_in_quartz_as_in_the_source(quartz: QuartzProcess, dialect: str) -> None:
    differences, converted = [], 0
    for expression in _cron_expressions(CASES // 3, SEED + 2 + (dialect == "croniter"), dialect == "croniter"):
        result = convert(expression, dialect)  # type: ignore[arg-type]
        if not isinstance(result, Converted):
            continue
        converted += 1
        start = STARTS[converted % len(STARTS)].replace(second=0)
        end = start + WINDOW
        try:
            source = CronSim(expression, start) if dialect == "unix" else croniter(expression, start,
                                                                                    ret_type=datetime)
            expected = list(islice(takewhile(lambda t: t <= end, source), 25))  # noqa: B023 - used at once
        except Exception as error:  # the source's own library refuses what we converted
            differences.append(f"{expression!r} -> {result.freq}: the source library refuses it: {error}")
            continue
        theirs = _quartz_fires(quartz, result.freq, start)[:len(expected)]
        if theirs != expected:
            differences.append(f"{expression!r} -> {result.freq}: source {[str(t) for t in expected[:3]]} "
                               f"Quartz {[str(t) for t in theirs[:3]]}")
    assert converted > CASES // 12, converted
    assert not differences, "\n".join(differences[:30])
