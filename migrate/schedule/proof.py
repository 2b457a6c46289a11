"""The proof that a converted schedule fires when its source did: both sides' fire times over a
horizon, compared instant by instant.

The source side is read in its own grammar and zone by an evaluator that shares no code with the
converters, so that a converter's mistake cannot hide itself: cronsim for Vixie cron (`unix`),
croniter for croniter's dialect and Airflow's cron strings, plain `datetime` arithmetic from the
anchor for intervals (Airflow timedeltas and relativedeltas, ISO-8601 durations, robfig's `@every`,
EventBridge's `rate(…)`), cronsim again for Kubernetes (robfig) schedules with robfig's own day
rule applied around it, and an evaluator written here from AWS's documented table for EventBridge
`cron(…)`. A Quartz source (DolphinScheduler, Rundeck, a freq the service holds) is read by our
Quartz evaluator, which is then both sides' evaluator: what is proved there is that the canonical
form (and any zone shift) kept the instants. The saved side is the emitted `freq`, evaluated by
our Quartz evaluator (the one the emulator uses) in the service's zone.

Each side is a list of wall-clock times in its zone, turned into UTC instants by one rule (fold 0:
the earlier of a repeated hour; a time in a skipped hour read with the offset before the change):
what each scheduler does inside the hour that a daylight-saving change skips or repeats is not
part of the proof. Work is capped for frequent schedules (MAX_FIRES a side); the verdict says the
span actually compared. A grammar with no independent evaluator gets `unchecked` and the reason,
never `equivalent`.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any, Literal, TypeAlias
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from migrate.schedule.quartz import QuartzError, parse_quartz

DEFAULT_HORIZON_DAYS = 730  # two years from the run
MAX_FIRES = 10_000  # a side: an every-minute schedule is compared over its first week
EVIDENCE = 3  # differing instants shown on each side
NEITHER_FIRES = "neither schedule fires"
NOT_EQUIVALENT = "NOT_EQUIVALENT"

Verdict = Literal["equivalent", "differs", "unchecked", "manual"]
Interval: TypeAlias = timedelta | relativedelta


@dataclass(frozen=True)
class Proof:
    verdict: Verdict
    fires: int = 0  # instants compared (equivalent), on the source side
    begin: str = ""  # the span compared, as UTC instants
    until: str = ""
    source: tuple[str, ...] = ()  # differs: the first instants only the source fires at
    saved: tuple[str, ...] = ()  # ... and only the saved freq fires at
    reason: str = ""  # unchecked: why

    def as_json(self) -> dict[str, Any]:
        if self.verdict == "equivalent":
            return {"verdict": "equivalent", "fires": self.fires, "from": self.begin, "until": self.until}
        if self.verdict == "differs":
            return {"verdict": "differs", "source": list(self.source), "saved": list(self.saved),
                    "from": self.begin, "until": self.until}
        if self.verdict == "unchecked":
            return {"verdict": "unchecked", "reason": self.reason}
        return {"verdict": self.verdict}

    def sentence(self) -> str:
        """The verdict in words, for a plan and `migrate cron --proof`."""
        if self.verdict == "equivalent":
            return f"equivalent: the same {self.fires} fire times from {self.begin} until {self.until}"
        if self.verdict == "differs":
            sides = [f"{whose} fires at {', '.join(times)}, and {other} does not" for whose, times, other in (
                ("the source", self.source, "the saved freq"), ("the saved freq", self.saved, "the source")) if times]
            return f"differs (compared from {self.begin} until {self.until}): {'; '.join(sides)}"
        if self.verdict == "unchecked":
            return f"unchecked: {self.reason}"
        return "manual: no time schedule, nothing fires"


MANUAL = Proof("manual")


def unchecked(reason: str) -> Proof:
    return Proof("unchecked", reason=reason)


class Unchecked(Exception):
    """No independent evaluator reads this source: the reason."""


def proof_begin(now: datetime | None = None) -> datetime:
    """Where a run's proofs start: the start of the run's UTC day (one key a day for the cache)."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# --- instants --------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    return _zone_info(name)


@functools.lru_cache(maxsize=256)
def _zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# tzdata's zones of one offset for all time: its `etcetera` file (Etc/UTC, Etc/GMT+5...) and the
# `backward` names linked to them. A wall time there is its instant less that offset: no search
# for a transition, which is most of a proof's cost when it reads a thousand fire times.
_FIXED_ZONE = re.compile(r"Etc/[A-Za-z0-9+\-]+|UTC|UCT|GMT|GMT[+-]?0|Greenwich|Universal|Zulu")


@functools.lru_cache(maxsize=256)
def _fixed_offset(zone: str) -> timedelta | None:
    """The zone's one UTC offset when tzdata defines it as fixed; None for a zone that changes it."""
    if not _FIXED_ZONE.fullmatch(zone):
        return None
    return _zone(zone).utcoffset(datetime(2000, 1, 1))


def _instant(wall: datetime, zone: str) -> datetime:
    """A wall-clock time in a zone as a UTC instant (fold 0, both sides alike)."""
    offset = _fixed_offset(zone)
    if offset is not None:
        return (wall - offset).replace(tzinfo=UTC, fold=0)
    return wall.replace(tzinfo=_zone(zone)).astimezone(UTC)


def _wall(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(_zone(zone)).replace(tzinfo=None)


def _text(instant: datetime) -> str:
    """An instant in UTC to the second, and to the microsecond when it falls between seconds: a
    source firing at 20:35:13.2757 must not read as the saved freq's 20:35:13."""
    if instant.microsecond:
        return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _walls_to_instants(walls: Iterable[datetime], zone: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    """Wall times (ascending, from a little before `begin`) as instants within [begin, end): two
    years from a midnight hold 730 midnights, not 731. `_instant`'s rule, written out here: this
    reads every fire time of every proof."""
    past = end + timedelta(days=1)  # past the end (a day of slack for the zone's offset)
    offset = _fixed_offset(zone)
    if offset is not None:
        for wall in walls:
            instant = (wall - offset).replace(tzinfo=UTC, fold=0)
            if instant > past:
                return
            if begin <= instant < end:
                yield instant
        return
    tz = _zone(zone)
    for wall in walls:
        instant = wall.replace(tzinfo=tz).astimezone(UTC)
        if instant > past:
            return
        if begin <= instant < end:
            yield instant


def _search_start(begin: datetime, zone: str) -> datetime:
    """The wall time a cron evaluator searches from (strictly after): a day before `begin`, so that
    no fire near the start is lost to an offset."""
    return _wall(begin, zone) - timedelta(days=1)


# --- the saved side ------------------------------------------------------------------------------


def saved_fires(freq: str, zone: str, begin: datetime, end: datetime) -> Iterator[datetime]:
    """The emitted freq's fire times as UTC instants, read in the service's zone."""
    return _walls_to_instants(parse_quartz(freq).fire_times(_search_start(begin, zone)), zone, begin, end)


# --- source sides ---------------------------------------------------------------------------------

# man 5 crontab (Vixie/cronie): the macros, matched as written.
VIXIE_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
# Airflow's cron_presets (airflow/utils/dates.py): croniter knows every one but @quarterly.
AIRFLOW_PRESETS = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                   "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@quarterly": "0 0 1 */3 *",
                   "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"}


def _cronsim_walls(expression: str, after: datetime) -> Iterator[datetime]:
    from cronsim import CronSim, CronSimError

    try:
        reader = CronSim(expression, after)
        yield from _cronsim_by_day(reader, after) if after.tzinfo is None and _has_fields(reader) else reader
    except CronSimError as error:
        raise Unchecked(f"cronsim does not read {expression!r} ({error})") from None


# How far the day-by-day walk looks for a fire: past any proof's horizon (3,660 days at most).
DAYS_SEARCHED = 40 * 366


def _cronsim_by_day(reader: Any, after: datetime) -> Iterator[datetime]:
    """The walls CronSim yields, from cronsim's own reading of the fields (its value sets and its
    day rule, `match_day`: L, W, #, and Vixie's AND when a day field starts with *), a day at a
    time: a wall fires when its month is in cronsim's months, cronsim matches its day, and its
    time is one of cronsim's seconds, minutes and hours. CronSim's iterator steps an hour at a
    time between fires (some 30 ms for two years of a daily schedule); this is some ten times as
    fast, and tests/test_proof_property.py checks it yields what the iterator does."""
    clock = sorted(dt_time(hour, minute, second)
                   for hour in reader.hours for minute in reader.minutes for second in reader.seconds)
    months, match_day = reader.months, reader.match_day
    day, last = after.date(), after.date() + timedelta(days=DAYS_SEARCHED)
    while day <= last:
        if day.month in months and match_day(day):
            for moment in clock:
                wall = datetime.combine(day, moment)
                if wall > after:
                    yield wall
        day += timedelta(days=1)


def _has_fields(reader: Any) -> bool:
    """Whether this cronsim exposes the value sets and day rule `_cronsim_by_day` reads (its
    internals: another version may not; then its iterator is used)."""
    plain = ("seconds", "minutes", "hours", "months")
    return (all(isinstance(getattr(reader, name, None), set) for name in plain) and callable(
        getattr(reader, "match_day", None)) and all(type(value) is int for name in plain
                                                    for value in getattr(reader, name)))


def _croniter_walls(expression: str, after: datetime) -> Iterator[datetime]:
    from croniter import croniter

    try:
        walker = croniter(expression, after)
    except (ValueError, KeyError) as error:  # croniter's errors are ValueErrors
        raise Unchecked(f"croniter does not read {expression!r} ({error})") from None
    from croniter import CroniterBadDateError

    while True:
        try:
            yield walker.get_next(datetime)
        except CroniterBadDateError:  # a year-bounded expression past its last year: no more fires
            return


# cronsim 2.8 reads a range of one value with a step (`1-1/2`) as that value to the field's end;
# Vixie (and man 5 crontab) as the one value. The text is given to cronsim as Vixie reads it.
_ONE_VALUE_RANGE = re.compile(r"(?<![0-9A-Za-z])([0-9A-Za-z]+)-\1/[0-9]+(?![0-9])")


def _unix(source: str) -> str:
    text = source.strip()
    if text.startswith("@"):
        if text not in VIXIE_MACROS:
            raise Unchecked(f"{text!r} is not a Vixie cron macro")
        return VIXIE_MACROS[text]
    return _ONE_VALUE_RANGE.sub(r"\1", text)


# ISO 8601 durations, as the standard writes them (PnYnMnWnDTnHnMnS).
_ISO_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def _iso_interval(text: str) -> Interval:
    match = _ISO_DURATION.fullmatch(text.strip().upper())
    if match is None:
        raise Unchecked(f"{text!r} is not an ISO-8601 duration")
    years, months, weeks, days, hours, minutes, seconds = (int(v or 0) for v in match.groups())
    if years or months:
        return relativedelta(years=years, months=months, weeks=weeks, days=days, hours=hours, minutes=minutes,
                             seconds=seconds)
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


_TIMEDELTA_STR = re.compile(r"(?:(-?\d+) days?, )?(\d+):(\d\d):(\d\d)(?:\.(\d+))?")


def airflow_source(text: str) -> tuple[str, str | Interval]:
    """An Airflow schedule_interval (any export form) as ("cron", expression) or ("interval", delta)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        value = json.loads(stripped)
        kind = value.get("__type")
        if kind == "CronExpression":
            return airflow_source(str(value.get("value", "")))
        if kind == "TimeDelta":  # datetime.timedelta's own fields
            return "interval", timedelta(days=float(value.get("days", 0)), seconds=float(value.get("seconds", 0)),
                                         microseconds=float(value.get("microseconds", 0)))
        if kind == "RelativeDelta":  # dateutil's own relative fields
            relative = {k: value[k] for k in ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
                        if value.get(k)}
            return "interval", relativedelta(**relative)
        raise Unchecked(f"{stripped}: not an Airflow schedule form")
    if match := _TIMEDELTA_STR.fullmatch(stripped):  # str(timedelta), as timetable_summary shows it
        days, hours, minutes, seconds, _ = match.groups()
        return "interval", timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes),
                                     seconds=int(seconds))
    if stripped.lower() in AIRFLOW_PRESETS:
        return "cron", AIRFLOW_PRESETS[stripped.lower()]
    return "cron", stripped


def interval_fires(step: Interval, anchor: datetime, zone: str, begin: datetime,
                   end: datetime) -> Iterator[datetime]:
    """anchor, anchor + step, anchor + 2 step…: an anchor with an offset counts on UTC's clock, a
    wall-clock anchor on its zone's clock."""
    if anchor.tzinfo is not None:
        anchor, zone = anchor.astimezone(UTC).replace(tzinfo=None), "UTC"
    first = _wall(begin, zone) - timedelta(days=1)
    if isinstance(step, timedelta):
        if step <= timedelta(0):
            raise Unchecked(f"{step} is not a positive interval")
        k = max(0, math.floor((first - anchor) / step))
        delta: timedelta = step
        walls: Iterator[datetime] = (anchor + n * delta for n in itertools.count(k))
    elif not step.years and not step.months:  # days, hours …: a fixed step, as a timedelta's
        return interval_fires(timedelta(days=step.days, hours=step.hours, minutes=step.minutes,
                                        seconds=step.seconds), anchor, zone, begin, end)
    else:
        months = step.years * 12 + step.months
        if months <= 0 or any((step.weeks, step.days, step.hours, step.minutes, step.seconds)):
            raise Unchecked(f"{step}: months mixed with shorter units")
        k = max(0, ((first.year - anchor.year) * 12 + first.month - anchor.month) // months - 1)
        walls = (anchor + relativedelta(months=n * months) for n in itertools.count(k))
    return _walls_to_instants(walls, zone, max(begin, _instant(anchor, zone)), end)


def source_fires(source: str, grammar: str, zone: str, anchor: datetime | None, begin: datetime,
                 end: datetime) -> Iterator[datetime]:
    """The source's fire times as UTC instants, read in its own grammar and zone; Unchecked when no
    independent evaluator reads that grammar."""
    after = _search_start(begin, zone)
    if grammar == "unix":
        return _walls_to_instants(_cronsim_walls(_unix(source), after), zone, begin, end)
    if grammar == "croniter":
        return _walls_to_instants(_croniter_walls(source.strip(), after), zone, begin, end)
    if grammar in ("quartz", "service"):
        try:
            schedule = parse_quartz(source.strip())
        except QuartzError as error:
            raise Unchecked(str(error)) from None
        return _walls_to_instants(schedule.fire_times(after), zone, begin, end)
    if grammar in ("airflow", "iso8601"):
        _, value = airflow_source(source) if grammar == "airflow" else ("interval", _iso_interval(source))
        if isinstance(value, str):
            return _walls_to_instants(_croniter_walls(value, after), zone, begin, end)
        if anchor is None:
            raise Unchecked("an interval with no anchor")
        return interval_fires(value, anchor, zone, begin, end)
    from migrate.schedule import proof_grammars

    return proof_grammars.source_fires(source, grammar, zone, anchor, begin, end)


# --- the comparison --------------------------------------------------------------------------------


def _merged(*sides: Iterator[datetime]) -> Iterator[datetime]:
    """Several sorted streams as one, each instant once (one stream: each instant once too, as two
    wall times may be one instant around a daylight-saving change)."""
    last = None
    for instant in heapq.merge(*sides) if len(sides) > 1 else sides[0]:
        if instant != last:
            yield instant
            last = instant


def compare(source: Iterator[datetime], saved: Iterator[datetime], begin: datetime, end: datetime) -> Proof:
    """Both sides' instants within [begin, end], at most MAX_FIRES a side: the span shrinks to the
    side that reached the cap first, so that each list is complete over what is compared."""
    try:
        ours = list(itertools.islice(source, MAX_FIRES + 1))
    except Unchecked as reason:
        return unchecked(str(reason))
    theirs = list(itertools.islice(saved, MAX_FIRES + 1))
    until = end
    for side in (ours, theirs):
        if len(side) > MAX_FIRES:
            until = min(until, side[MAX_FIRES - 1])
    ours = [t for t in ours if t <= until and t < end]
    theirs = [t for t in theirs if t <= until and t < end]
    if ours == theirs and not ours:  # nothing to compare: no evidence either way
        return unchecked(f"{NEITHER_FIRES} from {_text(begin)} to {_text(end)}")
    if ours == theirs:
        return Proof("equivalent", fires=len(ours), begin=_text(begin), until=_text(until))
    only_source, only_saved = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
    return Proof("differs", source=tuple(map(_text, only_source[:EVIDENCE])),
                 saved=tuple(map(_text, only_saved[:EVIDENCE])), begin=_text(begin), until=_text(until))


# Proofs shared by the processes of one plan (engine/inventory.py): each maps other batches of one
# export, whose flows repeat a few hundred schedules, and a proof of a daily schedule costs some
# 20 ms; without sharing, every process would make every proof once. Keyed by `prove`'s arguments.
ProofKey: TypeAlias = tuple[Any, ...]
GIVEN_LIMIT = 8192  # proofs given by the other processes, kept (the oldest forgotten first)
_given: dict[ProofKey, Proof] = {}
_made: list[tuple[ProofKey, Proof]] | None = None  # None: not recorded (a process of its own)


def record_made_proofs() -> None:
    """From now on, remember the proofs this process makes, for `made_proofs` to hand over."""
    global _made
    _made = []


def made_proofs() -> list[tuple[ProofKey, Proof]]:
    """The proofs made here since the last call (and recording on), for the other processes."""
    global _made
    made, _made = (_made or []), ([] if _made is not None else None)
    return made


def give_proofs(proofs: Iterable[tuple[ProofKey, Proof]]) -> None:
    """Proofs another process made: `prove` takes them instead of making them again."""
    for key, proof in proofs:
        _given[key] = proof
    while len(_given) > GIVEN_LIMIT:
        del _given[next(iter(_given))]


@functools.lru_cache(maxsize=4096)  # a million rows repeat a few hundred schedules
def prove(source: str, grammar: str, zone: str | None, anchor: datetime | None, freqs: tuple[str, ...],
          target_zone: str | None, begin: datetime, horizon_days: int = DEFAULT_HORIZON_DAYS,
          saved_start: datetime | None = None) -> Proof:
    """`_prove`, once for the processes of a plan: a proof another one made is taken as it is."""
    key = (source, grammar, zone, anchor, freqs, target_zone, begin, horizon_days, saved_start)
    proof = _given.get(key)
    if proof is None:
        proof = _prove(*key)
        if _made is not None:
            _made.append((key, proof))
    return proof


def _prove(source: str, grammar: str, zone: str | None, anchor: datetime | None, freqs: tuple[str, ...],
           target_zone: str | None, begin: datetime, horizon_days: int = DEFAULT_HORIZON_DAYS,
           saved_start: datetime | None = None) -> Proof:
    """Whether `freqs` (one flow's, or a split's two) fire, in the service's zone, exactly when the
    source fires in its own grammar and zone, from `begin` (or the flow's `saved_start`, its
    startTime, when later) over `horizon_days`. A source with no zone fires in the service's zone.
    An interval fires from its anchor, never before it, so a source that starts later than the
    flow is a difference: the flow would fire first. Past a capped span (a frequent schedule), the days
    around each change of either zone's offset are compared too, where a shift shows."""
    target = target_zone or zone or "UTC"
    source_zone = zone or target
    end = begin + timedelta(days=horizon_days)
    # Both sides from the flow's start when it is later than the run's day: a cut-over date is the
    # user's choice, not a schedule's difference; a source that starts later still is one.
    begin = begin if saved_start is None else max(begin, saved_start)
    saved_begin = begin
    first = None  # an interval's (or an Airflow DAG's) own start: it never fires before it
    if anchor is not None and grammar in INTERVAL_GRAMMARS:
        first = (anchor if anchor.tzinfo is not None else _instant(anchor, source_zone)).astimezone(UTC)
    try:
        # The hours around each change of either zone's offset, which a daylight-saving change
        # repeats or skips, are left out on both sides: what each scheduler does there is not part
        # of the proof (the fold-0 reading alone cannot say it when the zones differ).
        hours = _changing_hours(source_zone, target, begin, end)
        source_side = _outside(_not_before(source_fires(source, grammar, source_zone, anchor, begin, end), first),
                               hours)
        saved_side = _outside(_merged(*(saved_fires(freq, target, saved_begin, end) for freq in freqs)), hours)
        proof = compare(source_side, saved_side, begin, end)
        if proof.verdict == "unchecked" and proof.reason.startswith(NEITHER_FIRES) and hours[0]:
            return _fires_only_around_changes(
                _not_before(source_fires(source, grammar, source_zone, anchor, begin, end), first),
                _merged(*(saved_fires(freq, target, saved_begin, end) for freq in freqs)),
                sorted({source_zone, target}), begin, end) or proof
        if proof.verdict != "equivalent" or proof.until == _text(end):
            return proof
        for change in _offset_changes(source_zone, target, datetime.fromisoformat(proof.until[:-1] + "+00:00"),
                                      end):
            window = (max(change - timedelta(days=1), saved_begin), min(change + timedelta(days=1), end))
            around = compare(_outside(_not_before(source_fires(source, grammar, source_zone, anchor, *window), first),
                                      hours),
                             _outside(_merged(*(saved_fires(freq, target, *window) for freq in freqs)), hours), *window)
            if around.verdict == "differs":
                return around
        return proof
    except Unchecked as reason:
        return unchecked(str(reason))
    except (ValueError, OverflowError, QuartzError) as error:  # an evaluator's own refusal: never a verdict
        return unchecked(f"{type(error).__name__}: {error}")


def _fires_only_around_changes(source: Iterator[datetime], saved: Iterator[datetime], zones: list[str],
                               begin: datetime, end: datetime) -> Proof | None:
    """Where neither side fires outside the hours left out around the changes of the zones' offsets,
    "neither fires" would be false: a one-time run at 02:30 on the night the clock goes forward, a
    last Sunday of March at 02:30, fire only there. The same instants on both sides (read alike,
    fold 0): no evidence either way, said so with their first fire times (the flow's DST_HOURS names
    those in a skipped or repeated hour). Other instants on one side: a difference (an approximate
    shift firing an hour before any reading of the source). None: neither fires at all."""
    ours = list(itertools.islice(source, MAX_FIRES))
    theirs = list(itertools.islice(saved, MAX_FIRES))
    if not ours and not theirs:
        return None
    if ours != theirs:
        only_source, only_saved = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
        return Proof("differs", source=tuple(map(_text, only_source[:EVIDENCE])),
                     saved=tuple(map(_text, only_saved[:EVIDENCE])), begin=_text(begin), until=_text(end))

    def listed(instants: list[datetime]) -> str:
        return ", ".join(map(_text, instants[:EVIDENCE])) + (" …" if len(instants) > EVIDENCE else "")

    return unchecked(f"every fire time of both falls in the hours around a change of {' or '.join(zones)}'s UTC "
                     f"offset, which the proof leaves out (schedulers differ there): the source fires at "
                     f"{listed(ours)}; the saved freq at {listed(theirs)}")


@dataclass(frozen=True)
class ClockChangeFire:
    """A fire time of the saved freq in the wall hour a change of the zone's offset skips (it does
    not exist that day) or repeats (it happens twice)."""

    wall: datetime
    kind: Literal["skipped", "repeated"]


@functools.lru_cache(maxsize=4096)
def clock_change_fires(freqs: tuple[str, ...], zone: str, begin: datetime, horizon_days: int) -> tuple[
        ClockChangeFire, ...]:
    """The freq's fire times, read in `zone`, that fall in an hour one of its daylight-saving
    changes skips or repeats over the horizon. The proof leaves those hours out (what a scheduler
    does there is its own: cron runs a skipped time as the clock jumps, and a repeated one once),
    so a flow firing in them is said, never silently called the same."""
    found = []
    for low, high, kind in _clock_change_hours(zone, begin, horizon_days):
        for freq in freqs:
            for wall in parse_quartz(freq).fire_times(low - timedelta(seconds=1)):
                if wall >= high:
                    break
                found.append(ClockChangeFire(wall, kind))  # each, as 02:00 and 02:30 of `0 0,30 2 …`
    return tuple(sorted(found, key=lambda fire: fire.wall))


@functools.lru_cache(maxsize=256)  # a zone's, once: not once for each of thousands of schedules
def _clock_change_hours(zone: str, begin: datetime, horizon_days: int) -> tuple[
        tuple[datetime, datetime, Literal["skipped", "repeated"]], ...]:
    """The wall-clock spans [low, high) each change of the zone's offset skips or repeats."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    spans: list[tuple[datetime, datetime, Literal["skipped", "repeated"]]] = []
    for hour in _offset_changes(zone, zone, begin, begin + timedelta(days=horizon_days)):
        change, offset = hour, hour.astimezone(tz).utcoffset()
        while (change - timedelta(minutes=1)).astimezone(tz).utcoffset() == offset:
            change -= timedelta(minutes=1)  # the minute it changed in (Lord Howe's is on the half hour)
        before = (change - timedelta(microseconds=1)).astimezone(tz).replace(tzinfo=None)
        after = change.astimezone(tz).replace(tzinfo=None)
        low, high = sorted((before + timedelta(microseconds=1), after))
        if low != high:  # else the zone's name changed, not its clock
            kind: Literal["skipped", "repeated"] = "skipped" if after > before else "repeated"
            spans.append((low, high, kind))
    return tuple(spans)


CHANGING_HOURS = timedelta(hours=2)  # the largest daylight-saving change (Antarctica/Troll's)


@functools.lru_cache(maxsize=256)
def _changing_hours(first: str, second: str, begin: datetime, end: datetime) -> tuple[tuple[datetime, ...],
                                                                                        tuple[datetime, ...]]:
    """(starts, stops) of the hours around each change of either zone's offset in [begin, end), two
    either side: the wall hours a change repeats or skips lie within them (one, or two where the
    change is two hours, as Antarctica/Troll's), whichever side of it a scheduler counts them on."""
    changes = _offset_changes(first, second, begin, end)
    return (tuple(change - CHANGING_HOURS for change in changes), tuple(change + CHANGING_HOURS for change in changes))


def _outside(instants: Iterator[datetime], hours: tuple[tuple[datetime, ...], tuple[datetime, ...]]
             ) -> Iterator[datetime]:
    """The instants that fall in none of the (starts, stops) windows (`_changing_hours`)."""
    starts, stops = hours
    if not starts:
        return instants
    return (t for t in instants if (at := bisect.bisect_right(starts, t) - 1) < 0 or t >= stops[at])


def _not_before(instants: Iterator[datetime], first: datetime | None) -> Iterator[datetime]:
    return instants if first is None else (t for t in instants if t >= first)


def _offset_changes(first: str, second: str, after: datetime, end: datetime) -> list[datetime]:
    """The instants in (after, end) at which either zone's UTC offset changes (to the hour)."""
    from zoneinfo import ZoneInfo

    changes: set[datetime] = set()
    for name in {first, second}:
        zone = ZoneInfo(name)
        hour = after.replace(minute=0, second=0, microsecond=0)
        offset = hour.astimezone(zone).utcoffset()
        while hour < end:  # a day at a time, then the hour it changed in
            day = hour + timedelta(days=1)
            if day.astimezone(zone).utcoffset() != offset:
                while hour.astimezone(zone).utcoffset() == offset:
                    hour += timedelta(hours=1)
                changes.add(hour)
                offset = hour.astimezone(zone).utcoffset()
            else:
                hour = day
    return sorted(changes)


# The grammars whose schedules count from an anchor (their proof starts there when it is later).
INTERVAL_GRAMMARS = frozenset({"airflow", "iso8601", "robfig", "eventbridge", "oozie"})


def next_fires(proof_source: Iterator[datetime], count: int = 5) -> list[str]:
    return [_text(t) for t in itertools.islice(proof_source, count)]


def first_fires(freq: str, zone: str | None, begin: datetime, count: int = 5) -> list[str]:
    """The saved freq's next fire times (UTC), for a reviewer."""
    try:
        return next_fires(saved_fires(freq, zone or "UTC", begin, begin + timedelta(days=3660)), count)
    except QuartzError:
        return []


def _eventbridge_in_words(text: str) -> str:
    """EventBridge's `cron(m h dom mon dow year)` is Quartz's fields but the seconds (its day of the
    week counts 1 = Sunday, as Quartz does): said as that Quartz text; `rate(5 minutes)` and
    `at(…)` as they read."""
    from migrate.schedule.words import in_words

    form, _, body = text.partition("(")
    body = body.removesuffix(")").strip()
    if form == "cron" and len(body.split()) == 6:
        return in_words(f"0 {body}")
    if form == "rate" and body:
        return f"every {body}"
    if form == "at" and body:
        return f"once, at {body.replace('T', ' ')}"
    return ""


@functools.lru_cache(maxsize=4096)
def schedule_in_words(source: str, grammar: str) -> str:
    """The source schedule in English, where cron-descriptor reads its grammar: a Quartz text as
    the freq is said (schedule/words.py), a 5-field cron with Vixie's numbering (0 = Sunday);
    else "" (never a guess)."""
    from migrate.schedule.words import in_words

    text = source.strip()
    if grammar in ("quartz", "service"):
        return in_words(text)
    if grammar == "eventbridge":
        return _eventbridge_in_words(text)
    if grammar == "robfig" and text.startswith(("CRON_TZ=", "TZ=")):  # the zone is shown beside it
        text = text.partition(" ")[2].strip()
    if grammar == "robfig" and len(fields := text.split()) == 5:  # `1/1`: Monday to Saturday, not every day
        from migrate.schedule.proof_grammars import robfig_day_of_week

        text = " ".join([*fields[:4], robfig_day_of_week(fields[4])])
    if grammar == "airflow" and text.lower() in AIRFLOW_PRESETS:
        text = AIRFLOW_PRESETS[text.lower()]
    elif grammar == "unix" and text in VIXIE_MACROS:
        text = VIXIE_MACROS[text]
    if grammar not in ("unix", "croniter", "airflow", "robfig") or len(text.split()) != 5:
        return ""
    rule = _day_rule(text, grammar)
    if rule == "every day":  # OR with a field that covers every day: cron-descriptor would list both
        fields = text.split()
        text = " ".join([*fields[:2], "*", fields[3], "*"])
    words = _described(text)
    # cron-descriptor says "or on Monday" whenever the day of the month is not a bare *; Vixie cron
    # and robfig AND the day fields when one of them "is *" by their own rule (`*/2`, `?`).
    if rule == "and" and ", or on " in words:
        words = words.replace(", or on ", ", and only on ", 1)
    elif rule == "or" and ", or " not in words:
        words = _or_days(text, words)
    return words


def _or_days(text: str, words: str) -> str:
    """cron-descriptor says "or" of a single weekday only: `30,31 2 1-5` read "on day 30 and 31 of
    the month, Monday through Friday", an AND to the eye. The weekdays' words (what the day of the
    week alone says beyond the day of the month alone) are led by "or"."""
    fields = text.split()
    alone = _described(" ".join([*fields[:2], "*", fields[3], fields[4]])).split(", ")
    without = set(_described(" ".join([*fields[:4], "*"])).split(", "))
    weekdays = next((part for part in alone if part not in without), None)
    if weekdays is None or f", {weekdays}" not in words:
        return words
    return words.replace(f", {weekdays}", f", or {weekdays}", 1)


def _described(text: str) -> str:
    from cron_descriptor import ExpressionDescriptor, Options

    from migrate.schedule.words import hours_one_by_one

    fields = text.split()
    text = " ".join([fields[0], hours_one_by_one(fields[0], fields[1]), *fields[2:]])

    options = Options()
    options.use_24hour_time_format = True
    options.verbose = True
    try:
        return str(ExpressionDescriptor(text.replace("?", "*"), options).get_description())
    except Exception:  # the library's own errors: no words rather than a guess
        return ""


def _day_rule(text: str, grammar: str) -> Literal["and", "or", "every day"] | None:
    """How a 5-field cron's grammar joins its day fields (each converter's own rule): both must
    match ("and"), either ("or"), or either where one covers every day ("every day"); None where
    the converter does not read them."""
    from migrate.schedule.cron import FULL_DOM, FULL_DOW, day_rule
    from migrate.schedule.result import Rejection
    from migrate.schedule.robfig import DAY_NAMES, read_field

    dom, dow = text.split()[2:5:2]
    try:
        if grammar != "robfig":
            return day_rule(dom, dow, "unix" if grammar == "unix" else "croniter")
        days, weekdays = read_field(dom, 1, 31, "day-of-month"), read_field(dow, 0, 6, "day-of-week", DAY_NAMES)
    except Rejection:
        return None
    if days.star or weekdays.star:
        return "and"
    return "every day" if days.values == FULL_DOM or weekdays.values == FULL_DOW else "or"


def fires_in_zone(instants: Iterable[str], zone: str | None) -> list[str]:
    """UTC instants (as proofs write them) as wall times of a zone, for a reviewer."""
    shown = []
    for text in instants:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
        shown.append(f"{_wall(instant, zone or 'UTC'):%Y-%m-%d %H:%M:%S}")
    return shown
