"""Place a converted schedule in the service's time zone: exactly, or not at all (unless opted in).

A Quartz `freq` is read as wall-clock time in one zone. A source schedule that fired in another
zone is rewritten only when the rewrite fires at the same instants for good: the two zones stay a
fixed time apart over the horizon (no DST change of one that the other does not make at the same
instant), and the shifted times still have a Quartz form (minutes and hours stay a product; when
fire times cross midnight, the days move with them exactly). Anything else is refused with
TIMEZONE_MISMATCH, naming both zones and the dates on which they drift apart; with the
approximate opt-in it is shifted by today's difference and keeps a TIMEZONE_APPROXIMATE warning
that names the dates on which it fires off.

A freq limited to years that fires a known, small number of times (a one-time run: every field one
value, its year included) is placed fire by fire instead: each fire is one instant, written as its
wall time in the service's zone, whatever DST either zone keeps, when one Quartz expression says
those wall times (TIMEZONE_SHIFTED, proved equivalent). A fire at a wall time the source zone skips
or repeats, or on one the service's zone repeats, has no one instant: refused, TIMEZONE_MISMATCH
naming it, or with the approximate opt-in placed at the offset before the change, with a warning.
"""

from __future__ import annotations

import functools
import itertools
import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from migrate.schedule.cycle import SubMinuteSchedule, cycle_of
from migrate.schedule.quartz import (
    YEAR_MAX,
    YEAR_MIN,
    QuartzError,
    QuartzSchedule,
    listed,
    parse_quartz,
    set_text,
)
from migrate.schedule.result import Converted, Rejected, ScheduleWarning

TIMEZONE_MISMATCH = "TIMEZONE_MISMATCH"
# A schedule that fires at every hour of every day: the same instants in any zone whose offset
# differs by whole hours, but in the hour a daylight-saving change repeats or skips.
ZONE_FREE = "ZONE_FREE"
TIMEZONE_APPROXIMATE = "TIMEZONE_APPROXIMATE"
UNKNOWN_TIMEZONE = "UNKNOWN_TIMEZONE"
SHIFT_REFUSED = "SHIFT_REFUSED"

# How far ahead the zones must stay a fixed time apart: zone rules further out are not known
# better than "as today", and ten years covers every recurring DST rule many times over.
HORIZON_YEARS = 10
# Offsets are sampled this often and each change is then bisected to the second. No zone changes
# its offset twice within six hours.
_SAMPLE_STEP = timedelta(hours=6)
_DAY_MINUTES = 24 * 60
# A freq limited to years whose fires are no more than this many is placed fire by fire.
_FIRES_PLACED = 1000
# How many dates a message lists before it says "and so on".
_DATES_SHOWN = 3
# The furthest west a clock runs (UTC-12): a day, or a wall time of a zone not known, is over
# everywhere once this long has passed since it ended read as UTC.
WESTMOST = timedelta(hours=12)


def wall_time_passed(at: datetime, zone: str | None) -> bool:
    """Whether a wall-clock time in `zone` has passed; in a zone not given or not known, only once it
    has passed in every zone (the furthest west: the mapping refuses an unknown zone itself)."""
    now = datetime.now(UTC)
    try:
        if zone:
            return at.replace(tzinfo=ZoneInfo(zone)) <= now
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        pass
    return at.replace(tzinfo=UTC) + WESTMOST <= now


class _NoQuartzForm(Exception):
    """The shifted schedule has no single Quartz expression; the text says why."""


@dataclass(frozen=True)
class _Piece:
    """From `start` on (until the next piece), the target zone's clock reads `difference` ahead
    of the source zone's; `changed` is the zone whose offset change began the piece."""

    start: datetime  # aware, UTC
    difference: timedelta
    changed: str


def place_in_zone(converted: Converted, source_zone: str, target_zone: str, approximate: bool = False,
                  today: date | None = None) -> Converted | Rejected:
    """`converted.freq` fires in `source_zone`; the same schedule for a service in `target_zone`.

    Unchanged when the zones keep the same clock; shifted when the shift is exact at every fire
    time over the next HORIZON_YEARS from `today`; otherwise Rejected(TIMEZONE_MISMATCH), or with
    `approximate`, shifted by today's difference with a TIMEZONE_APPROXIMATE warning.
    """
    return _place(converted, source_zone, target_zone, approximate, today or date.today())


@functools.lru_cache(maxsize=4096)  # exports repeat a few schedules and zones many times
def _place(converted: Converted, source_zone: str, target_zone: str, approximate: bool,
           today: date) -> Converted | Rejected:
    if source_zone == target_zone:
        return converted
    for zone in (source_zone, target_zone):
        if not is_known_zone(zone):
            role = "the schedule's zone" if zone == source_zone else "the service's zone"
            return Rejected(UNKNOWN_TIMEZONE, f"{zone!r} ({role}) is not an IANA time zone name such as "
                                              "'Asia/Shanghai' or 'UTC' (a fixed +08:00 is 'Etc/GMT-8')",
                            converted.freq)
    pieces = _pieces(source_zone, target_zone, today)
    difference = pieces[0].difference
    if len(pieces) == 1 and not difference:
        return converted  # the same clock at every instant: "UTC" and "Etc/UTC", Berlin and Paris
    if len(pieces) > 1 and _same_in_every_zone(converted.freq, pieces):
        return _with_warning(converted, ScheduleWarning(
            ZONE_FREE, f"{converted.freq} ({source_zone})", f"{converted.freq} ({target_zone})",
            f"it fires at every hour of every day at the same minutes, and {target_zone}'s clock differs from "
            f"{source_zone}'s by whole hours only: the same instants in both, but in the hour a daylight-saving "
            "change repeats or skips, where schedulers differ"))
    if len(pieces) > 1 and converted.split is None:
        placed = _place_each_fire(converted, source_zone, target_zone, approximate, today)
        if placed is not None:
            return placed
    if len(pieces) > 1 and not approximate:
        return Rejected(TIMEZONE_MISMATCH, _drift_message(source_zone, target_zone, pieces, today)
                        + "; no single Quartz schedule fires at the same instants in both. Rewrite the schedule "
                        "by hand, or opt in to a shift by today's difference with [mapping] timezone_shift = "
                        "\"approximate\" (a warning on every such flow)",
                        converted.freq)
    try:
        shifted = _shift(converted, difference) if difference else converted
    except _NoQuartzForm as reason:
        return Rejected(TIMEZONE_MISMATCH,
                        f"{target_zone}'s clock is {_apart(difference)} {source_zone}'s"
                        f"{' at every instant' if len(pieces) == 1 else f' on {today}'}, but the shifted "
                        f"schedule has no Quartz form: {reason}", converted.freq)
    if len(pieces) == 1:
        return shifted
    warning = ScheduleWarning(
        TIMEZONE_APPROXIMATE, f"{converted.freq} ({source_zone})", f"{shifted.freq} ({target_zone})",
        f"shifted by today's difference ({target_zone}'s clock is {_apart(difference)} {source_zone}'s on "
        f"{today}); {_off_periods(source_zone, pieces)}")
    return _with_warning(shifted, warning)


def _place_each_fire(converted: Converted, source_zone: str, target_zone: str, approximate: bool,
                     today: date) -> Converted | Rejected | None:
    """A freq limited to years fires a known number of times (a one-time run: one): each fire is one
    instant, whose wall time in `target_zone` is exact whatever either zone's DST, so the freq of
    those wall times fires at the same instants, when one Quartz expression says them all. None when
    the fires are too many to list or their wall times have no single Quartz form: the shift by
    offsets decides then. A fire whose wall time `source_zone` skips or repeats has no one instant
    (schedulers differ there), and one on the service's repeated hour is read at either instant:
    refused, or with `approximate`, placed at the earlier reading (the proof's) with a warning."""
    try:
        schedule = parse_quartz(converted.freq)
    except QuartzError:
        return None
    if schedule.years is None:
        return None
    source, target = ZoneInfo(source_zone), ZoneInfo(target_zone)
    # Fires from the day before today (UTC) on: the ones passed are no matter to the service.
    since = datetime.combine(today - timedelta(days=1), time(), UTC)
    fires = list(itertools.islice(schedule.fire_times(since.astimezone(source).replace(tzinfo=None)),
                                  _FIRES_PLACED + 1))
    if not fires or len(fires) > _FIRES_PLACED:
        return None
    walls: list[datetime] = []
    unclear: list[str] = []  # the fires whose instant is not one
    repeated: list[str] = []  # the fires on an hour the service's zone repeats: no wall time says them
    for fire in fires:
        instant = fire.replace(tzinfo=source).astimezone(UTC)  # fold 0: the earlier reading
        later = fire.replace(tzinfo=source, fold=1).astimezone(UTC)
        wall = instant.astimezone(target).replace(tzinfo=None)
        if instant != later:
            skipped = instant.astimezone(source).replace(tzinfo=None) != fire
            unclear.append(f"{fire:%Y-%m-%d %H:%M} {'does not exist' if skipped else 'comes twice'} in {source_zone} "
                           f"(its clock {'skips' if skipped else 'repeats'} that time)")
        if wall.replace(tzinfo=target, fold=0).astimezone(UTC) != wall.replace(tzinfo=target, fold=1).astimezone(UTC):
            repeated.append(f"{fire:%Y-%m-%d %H:%M} in {source_zone} is {wall:%Y-%m-%d %H:%M} in {target_zone}, a "
                            f"time {target_zone}'s clock repeats, which the service may read as either")
        walls.append(wall)
    placed = _wall_times_freq(walls, target, since)
    if placed is None:
        return None
    if repeated:
        # No wall time of the service's says that instant for sure (the later pass, read as the first,
        # fired half an hour or an hour early): refused, opted in or not.
        return Rejected(TIMEZONE_MISMATCH, f"it fires {_times(len(fires))}, placed fire by fire at its instant, but "
                                           f"{_listed(repeated)}: no wall time there says the instant. Rewrite the "
                                           "schedule at a time that exists once in both zones", converted.freq)
    shifted = parse_quartz(placed)
    warnings = tuple(replace(w, new=shifted.text if w.new == converted.freq else w.new) for w in converted.warnings)
    result = Converted(shifted.text, cycle_of(shifted), converted.source, warnings)
    if not unclear:
        return result
    said = (f"it fires {_times(len(fires))}, placed fire by fire at its instant, but {_listed(unclear)}: no one "
            "instant there, and schedulers differ")
    if not approximate:
        return Rejected(TIMEZONE_MISMATCH, f"{said}. Rewrite the schedule at a time that exists once, or opt in to "
                                           "the earlier reading with [mapping] timezone_shift = \"approximate\" (a "
                                           "warning on the flow)", converted.freq)
    return _with_warning(result, ScheduleWarning(
        TIMEZONE_APPROXIMATE, f"{converted.freq} ({source_zone})", f"{shifted.text} ({target_zone})",
        f"{said}; placed at the reading by the offset before the change (the earlier instant of a repeated hour)"))


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def _wall_times_freq(walls: list[datetime], zone: ZoneInfo, since: datetime) -> str | None:
    """The Quartz freq that fires at exactly these wall times from `since` on (the sets of their
    seconds, minutes, hours, days, months and years, when every combination of those is one of
    them), or None."""
    years = frozenset(wall.year for wall in walls)
    if min(years) < YEAR_MIN or max(years) > YEAR_MAX:
        return None
    fields = [set_text(frozenset(getattr(wall, name) for wall in walls), low, high)
              for name, low, high in (("second", 0, 59), ("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31),
                                      ("month", 1, 12))]
    text = " ".join([*fields, "?", set_text(years, YEAR_MIN, YEAR_MAX)])
    wanted = sorted(set(walls))
    fired = list(itertools.islice(parse_quartz(text).fire_times(since.astimezone(zone).replace(tzinfo=None)),
                                  len(wanted) + 1))
    return text if fired == wanted else None


def shift_freq(freq: str, minutes: int) -> Converted | Rejected:
    """The Quartz `freq` with every fire time moved `minutes` later on the wall clock (earlier
    when negative): a runbook's schedule shift. The days move with the times that cross midnight,
    exactly, as a zone shift's do; a shift with no Quartz form is Rejected(SHIFT_REFUSED) saying why."""
    try:
        schedule = parse_quartz(freq)
        return _shift(Converted(schedule.text, cycle_of(schedule), freq), timedelta(minutes=minutes))
    except (QuartzError, SubMinuteSchedule, _NoQuartzForm) as error:
        return Rejected(SHIFT_REFUSED, f"{freq} moved {minutes:+d} minutes has no Quartz form: {error}", freq)


def is_known_zone(zone: str) -> bool:
    """True for a name this machine's zone database knows ("Asia/Shanghai", "UTC")."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "America"
        return False
    return True


# ---- Offsets over the horizon ------------------------------------------------------------

def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset


@functools.lru_cache(maxsize=256)
def _offsets(zone_name: str, today: date) -> tuple[tuple[datetime, timedelta], ...]:
    """The zone's UTC offset at the start of the horizon, then each (instant, new offset)."""
    zone = ZoneInfo(zone_name)
    instant = datetime.combine(today, time(), UTC)
    end = datetime.combine(today.replace(year=today.year + HORIZON_YEARS, day=min(today.day, 28)), time(), UTC)
    offset = _offset(zone, instant)
    changes = [(instant, offset)]
    while instant < end:
        later = instant + _SAMPLE_STEP
        if _offset(zone, later) != offset:
            low, high = instant, later  # offset(low) == offset != offset(high): bisect to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(zone, middle) == offset else (low, middle)
            offset = _offset(zone, high)
            changes.append((high, offset))
        instant = later
    return tuple(changes)


@functools.lru_cache(maxsize=1024)
def _pieces(source_zone: str, target_zone: str, today: date) -> tuple[_Piece, ...]:
    """How far the target's clock is ahead of the source's, piece by piece over the horizon."""
    source_changes, target_changes = _offsets(source_zone, today), _offsets(target_zone, today)
    offsets = {source_zone: source_changes[0][1], target_zone: target_changes[0][1]}
    changes_at: dict[datetime, dict[str, timedelta]] = {}
    for zone, changes in ((source_zone, source_changes), (target_zone, target_changes)):
        for at, offset in changes[1:]:
            changes_at.setdefault(at, {})[zone] = offset
    pieces = [_Piece(source_changes[0][0], offsets[target_zone] - offsets[source_zone], "")]
    for at in sorted(changes_at):
        offsets.update(changes_at[at])
        difference = offsets[target_zone] - offsets[source_zone]
        if difference != pieces[-1].difference:  # both zones changing alike at one instant keeps it
            pieces.append(_Piece(at, difference, source_zone if source_zone in changes_at[at] else target_zone))
    return tuple(pieces)


def _duration(difference: timedelta) -> str:
    """'5:30' for five and a half hours, either way."""
    minutes = abs(int(difference.total_seconds())) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def _apart(difference: timedelta, of: bool = True) -> str:
    """'8:00 ahead of', '5:30 behind', 'the same as' ('8:00 ahead', 'the same' without `of`)."""
    if not difference:
        return "the same as" if of else "the same"
    ahead = "ahead of" if of else "ahead"
    return f"{_duration(difference)} {ahead if difference > timedelta(0) else 'behind'}"


def _local_date(piece: _Piece) -> date:
    return piece.start.astimezone(ZoneInfo(piece.changed)).date()


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_DATES_SHOWN])
    return shown + (f" and {len(items) - _DATES_SHOWN} more in the next {HORIZON_YEARS} years"
                    if len(items) > _DATES_SHOWN else "")


def _drift_message(source_zone: str, target_zone: str, pieces: tuple[_Piece, ...], today: date) -> str:
    """E.g. 'Europe/Berlin changes its offset relative to Asia/Shanghai at DST: …, then from
    2026-03-29 (6:00 ahead), 2026-10-25 (7:00 ahead), …'."""
    changers = sorted({p.changed for p in pieces[1:]})
    other = target_zone if changers == [source_zone] else source_zone if changers == [target_zone] else None
    if other is not None:
        who = f"{changers[0]} changes its offset relative to {other}"
    else:
        who = f"{source_zone} and {target_zone} change their offsets at different instants"
    changes = [f"{_local_date(p)} ({_apart(p.difference, of=False)})" for p in pieces[1:]]
    return (f"{who} at DST: {target_zone}'s clock is {_apart(pieces[0].difference)} {source_zone}'s on {today}, "
            f"then from {_listed(changes)}")


def _off_periods(source_zone: str, pieces: tuple[_Piece, ...]) -> str:
    """The periods in which a shift by the first piece's difference fires off, and by how much."""
    used = pieces[0].difference
    periods = []
    for index, piece in enumerate(pieces[1:], 1):
        if piece.difference == used:
            continue
        # A larger difference than the one used: the target's clock shows the shifted time
        # before the instant the source fired at, so the flow fires early.
        direction = "earlier" if piece.difference > used else "later"
        start = _local_date(piece)
        end = _local_date(pieces[index + 1]) if index + 1 < len(pieces) else None
        when = (f"from {start} on" if end is None else f"on {start} (for some hours)" if end == start
                else f"from {start} to {end}")
        periods.append(f"{_duration(piece.difference - used)} {direction} {when}")
    return f"it fires at other instants than it did in {source_zone}: {_listed(periods)}"


# ---- Shifting the expression ------------------------------------------------------------

def _with_warning(converted: Converted, warning: ScheduleWarning) -> Converted:
    split = _with_warning(converted.split, warning) if converted.split is not None else None
    return Converted(converted.freq, converted.cycle, converted.source, (*converted.warnings, warning), split)


def _shift(converted: Converted, difference: timedelta) -> Converted:
    """The same schedule with every fire time moved `difference` later on the wall clock."""
    seconds = int(difference.total_seconds())
    if seconds % 60:
        raise _NoQuartzForm(f"the zones are {seconds} seconds apart, not whole minutes")
    try:
        schedule = parse_quartz(converted.freq)
        shifted = parse_quartz(_shifted_text(schedule, seconds // 60))
        cycle = cycle_of(shifted)
    except (QuartzError, SubMinuteSchedule) as error:
        raise _NoQuartzForm(str(error)) from None
    split = _shift(converted.split, difference) if converted.split is not None else None
    # A warning's `new` names the freq it is about: keep it pointing at the freq that is saved.
    renamed = {converted.freq: shifted.text}
    if converted.split is not None and split is not None:
        renamed[f"{converted.freq} + {converted.split.freq}"] = f"{shifted.text} + {split.freq}"
    warnings = tuple(replace(w, new=renamed.get(w.new, w.new)) for w in converted.warnings)
    return Converted(shifted.text, cycle, converted.source, warnings, split)


def _clock(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def _shifted_text(schedule: QuartzSchedule, minutes: int) -> str:
    """Move each fire time `minutes` later; the days move with the times that cross midnight."""
    day_moves: dict[tuple[int, int], int] = {}  # (hour, minute) in the target -> days moved
    for hour in schedule.hours:
        for minute in schedule.minutes:
            moved_days, minute_of_day = divmod(hour * 60 + minute + minutes, _DAY_MINUTES)
            day_moves[divmod(minute_of_day, 60)] = moved_days
    hours = frozenset(h for h, _ in day_moves)
    minute_values = frozenset(m for _, m in day_moves)
    if len(day_moves) != len(hours) * len(minute_values):
        times = ", ".join(_clock(h * 60 + m) for h, m in sorted(day_moves)[:6])
        raise _NoQuartzForm(f"the shifted times ({times}{', …' if len(day_moves) > 6 else ''}) are not every "
                            "listed minute of every listed hour")
    fields = schedule.text.split()
    moves = set(day_moves.values())
    if moves == {0}:
        days = (fields[3], fields[4], fields[5], fields[6])
    elif len(moves) == 1:
        days = _shifted_days(schedule, moves.pop())
    elif _every_day(schedule):
        days = (fields[3], fields[4], fields[5], fields[6])  # the same every day: crossing changes nothing
    else:
        crossing = sorted(_clock(h * 60 + m) for (h, m), moved in day_moves.items() if moved)
        raise _NoQuartzForm(f"only some fire times cross midnight ({', '.join(crossing[:4])}"
                            f"{', …' if len(crossing) > 4 else ''} move to another day) and the schedule runs on "
                            "some days only; one Quartz expression has one set of days for all its times")
    dom, month, dow, year = days
    return " ".join([fields[0], set_text(minute_values, 0, 59), set_text(hours, 0, 23), dom, month, dow, year])


def _same_in_every_zone(freq: str, pieces: tuple[_Piece, ...]) -> bool:
    """Whether the freq fires at the same instants whatever the zone's offset, as long as the
    offsets differ by whole hours: every hour of every day at the same minutes and seconds (a
    Kubernetes CronJob `*/5 * * * *` with a timeZone, a crontab `0 * * * *` in a zone with DST)."""
    return not any(piece.difference % timedelta(hours=1) for piece in pieces) and fires_every_hour((freq,))


def _every_day(schedule: QuartzSchedule) -> bool:
    dom, dow = schedule.day_of_month, schedule.day_of_week
    all_days = (not dom.any_day and dom.last_offset is None and dom.nearest_weekday is None
                and dom.days == frozenset(range(1, 32))) or (
        dom.any_day and dow.nth is None and dow.last_of is None and dow.days == frozenset(range(1, 8)))
    return all_days and len(schedule.months) == 12 and schedule.years is None


def _limits(schedule: QuartzSchedule) -> str:
    """The months and years a schedule is limited to, for a message."""
    months = f"months {listed(schedule.months)}" if len(schedule.months) < 12 else ""
    years = f"years {listed(schedule.years)}" if schedule.years is not None else ""
    return " and ".join(part for part in (months, years) if part)


def _shifted_days(schedule: QuartzSchedule, moved: int) -> tuple[str, str, str, str]:
    """(day-of-month, month, day-of-week, year) for fire days moved `moved` days (a few, ±)."""
    fields = schedule.text.split()
    if _every_day(schedule):
        return fields[3], fields[4], fields[5], fields[6]
    dom, dow = schedule.day_of_month, schedule.day_of_week
    direction = "the next day" if moved > 0 else "the day before"
    months_or_years = len(schedule.months) < 12 or schedule.years is not None
    if dom.any_day:  # days of the week
        if dow.nth is not None or dow.last_of is not None:
            raise _NoQuartzForm(f"{direction} of an n-th or last weekday of the month ({fields[5]}) is not always "
                                "the n-th or last of another weekday")
        if months_or_years:
            raise _NoQuartzForm(f"moving weekdays to {direction} crosses into another month on some dates, and "
                                f"the schedule is limited to {_limits(schedule)}")
        weekdays = frozenset((day - 1 + moved) % 7 + 1 for day in dow.days)
        return "?", fields[4], set_text(weekdays, 1, 7), fields[6]
    if dom.nearest_weekday is not None or dom.last_weekday:
        raise _NoQuartzForm(f"{direction} of the weekday nearest a date ({fields[3]}) has no Quartz form")
    if dom.last_offset is not None:
        before_last = dom.last_offset - moved  # L-n moved by `moved` days is L-(n - moved)
        if dom.last_offset <= 27 and 0 <= before_last <= 27:  # the day exists in every month
            return ("L" if before_last == 0 else f"L-{before_last}"), fields[4], "?", fields[6]
        if dom.last_offset <= 27 and before_last < 0:  # past the month's end: day 1, 2 of the next
            return str(-before_last), *_months_moved(schedule, 1)
        raise _NoQuartzForm(f"{direction} of {fields[3]} falls on different days in months of different lengths")
    days = dom.days
    if all(1 <= day + moved <= 28 and day <= 28 for day in days):  # stays inside every month
        return set_text(frozenset(day + moved for day in days), 1, 31), fields[4], "?", fields[6]
    if days == {1} and moved in (-1, -2):  # the last day (or the one before) of the previous month
        return ("L" if moved == -1 else "L-1"), *_months_moved(schedule, -1)
    landed = _landing_days(schedule, moved)
    if landed is not None:
        return landed
    raise _NoQuartzForm(f"{direction} of day(s) {listed(days)} of the month is in another month for some of them, "
                        "or on a day not every month has")


# The months whose length never changes: February's does, so a day moved across its end is not
# always the same day.
FIXED_MONTH_DAYS = {1: 31, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _landing_days(schedule: QuartzSchedule, moved: int) -> tuple[str, str, str, str] | None:
    """(day-of-month, month, day-of-week, year) when days of the month moved `moved` days land on
    the same days of the same months every year, across a month's end included: 31 December
    the next day is 1 January, the 31st (which only months of 31 days have) the day before is
    the 30th of those months. None when they do not (a day whose next is 1 March or 29
    February; the 1st the day before, in months after ones of 30 and of 31 days)."""
    landed: set[tuple[int, int]] = set()
    crossings: list[bool] = []  # for each fire day, whether it moved into another year
    for month in schedule.months:
        length = FIXED_MONTH_DAYS.get(month, 28)  # February: only its first 28 days are every year's
        for day in schedule.day_of_month.days:
            if day > FIXED_MONTH_DAYS.get(month, 29):
                continue  # no such day that month: the schedule never fires there
            target = day + moved
            if month == 2 and (day > 28 or target > 28):
                return None  # the 29th, or past the 28th: leap years differ
            if 1 <= target <= length:
                landed.add((month, target))
                crossings.append(False)
            elif target > length:
                following = month % 12 + 1
                landed.add((following, target - length))
                crossings.append(month == 12)
            else:
                previous = (month - 2) % 12 + 1
                if previous == 2:
                    return None  # the day before the 1st of March: the 28th or the 29th
                landed.add((previous, FIXED_MONTH_DAYS[previous] + target))
                crossings.append(month == 1)
    months, days = {month for month, _ in landed}, {day for _, day in landed}
    if not landed or len(landed) != len(months) * len(days):
        return None  # not one set of days in one set of months
    year = _years_moved(schedule, 1 if moved > 0 else -1, crossings) if any(crossings) else schedule.text.split()[6]
    return set_text(frozenset(days), 1, 31), set_text(frozenset(months), 1, 12), "?", year


def _months_moved(schedule: QuartzSchedule, moved: int) -> tuple[str, str, str]:
    """(month, day-of-week, year) when every fire day moves into the next (1) or previous (-1) month."""
    fields = schedule.text.split()
    crossing = 12 if moved > 0 else 1  # the month whose days move into another year
    crossings = [month == crossing for month in schedule.months]
    year = _years_moved(schedule, moved, crossings) if any(crossings) else fields[6]
    months = frozenset((month - 1 + moved) % 12 + 1 for month in schedule.months)
    return set_text(months, 1, 12), "?", year


def _years_moved(schedule: QuartzSchedule, step: int, crossings: list[bool]) -> str:
    """The year field when fire days move across the year's end (`crossings`: for each, whether it
    does): every year when the schedule names none; the years named, moved by `step`, when every
    fire day moves with them (31 December 2027 the next day is 1 January 2028); else no form."""
    if schedule.years is None:
        return "*"
    if not all(crossings):
        raise _NoQuartzForm(f"some fire days move into another year and some do not, and the schedule is limited "
                            f"to years {listed(schedule.years)}")
    years = frozenset(y + step for y in schedule.years)
    if min(years) < YEAR_MIN or max(years) > YEAR_MAX:
        raise _NoQuartzForm(f"the days move into a year outside {YEAR_MIN}-{YEAR_MAX}")
    return set_text(years, YEAR_MIN, YEAR_MAX)


# Zones preferred as examples, as the ones a reader knows: the rest follow in name order.
_KNOWN_REGIONS = ("Europe/", "America/", "Australia/", "Asia/")


def fires_every_hour(freqs: tuple[str, ...]) -> bool:
    """Whether the freqs fire at every hour of every day: the same instants in any zone whose
    clock is whole hours from the service's, so the zone read is no matter (ZONE_FREE)."""
    try:
        return any(len((schedule := parse_quartz(freq)).hours) == 24 and _every_day(schedule) for freq in freqs)
    except QuartzError:
        return False


def zones_alike_then(zone: str, instant: datetime) -> tuple[str, ...]:
    """Up to three zones whose clocks read as `zone`'s at `instant` but differ from it on other
    dates of the two years from then: the zones one next-run instant cannot tell from it."""
    return _zones_alike_at(zone, instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0))


@functools.lru_cache(maxsize=4096)  # clocks change on the hour: next runs share a few hours
def _zones_alike_at(zone: str, hour: datetime) -> tuple[str, ...]:
    own = hour.astimezone(ZoneInfo(zone)).utcoffset()
    alike = (name for name in _zones_apart(zone, hour.year, hour.month)
             if hour.astimezone(ZoneInfo(name)).utcoffset() == own)
    return tuple(itertools.islice(alike, 3))


@functools.lru_cache(maxsize=64)
def _zones_apart(zone: str, year: int, month: int) -> tuple[str, ...]:
    """The zones whose clocks differ from `zone`'s on the first of some month of the two years
    from this month's, the ones a reader knows first."""
    probes = [datetime(year + (month - 1 + n) // 12, (month - 1 + n) % 12 + 1, 1, 12, tzinfo=UTC) for n in range(25)]
    own = [probe.astimezone(ZoneInfo(zone)).utcoffset() for probe in probes]
    apart: dict[tuple[timedelta | None, ...], str] = {}  # one name for each set of clocks: the first
    canonical = _canonical_zones()
    for name in sorted(zoneinfo.available_timezones(),
                       key=lambda n: (not n.startswith(_KNOWN_REGIONS), n not in canonical, n)):
        try:
            other = ZoneInfo(name)
        except (ValueError, OSError):
            continue
        clocks = tuple(probe.astimezone(other).utcoffset() for probe in probes)
        if any(a != b for a, b in zip(clocks, own, strict=True)):
            apart.setdefault(clocks, name)
    return tuple(apart.values())


@functools.lru_cache(maxsize=1)
def _canonical_zones() -> frozenset[str]:
    """The zone database's own names (zone1970.tab), not its old aliases (Europe/Belfast)."""
    for folder in zoneinfo.TZPATH:
        try:
            text = (Path(folder) / "zone1970.tab").read_text(encoding="utf-8")
        except OSError:
            continue
        return frozenset(line.split("\t")[2] for line in text.splitlines()
                         if line and not line.startswith("#") and line.count("\t") >= 2)
    return frozenset()
