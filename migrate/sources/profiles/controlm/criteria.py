"""A job's or folder's scheduling criteria as written in its attributes: its days (`days_of`: DAYS,
WEEKDAYS, months, dates, calendars), its time (`timing`: TIMEFROM, TIMETO, cyclic runs) and the
rule-based calendars it names (`reference_names`). What they add up to is days.py's.
"""

from __future__ import annotations

import functools
from xml.etree.ElementTree import Element

from migrate.schedule.controlm import MONTH_FLAGS, Days, Timing, months_of
from migrate.sources.profiles.controlm.elements import RULE_REFERENCES, attributes_of, tag_of


def days_of(attributes: dict[str, str]) -> Days:
    calendars = tuple((name, attributes[name].strip()) for name in ("DAYSCAL", "WEEKSCAL", "CONFCAL")
                      if attributes.get(name, "").strip())
    return Days(days=attributes.get("DAYS", ""), weekdays=attributes.get("WEEKDAYS", ""),
                and_or=attributes.get("DAYS_AND_OR", ""), months=months_of(attributes),
                dates=attributes.get("DATE", ""), calendars=calendars)


_TIMING_NAMES = ("TIMEFROM", "TIMETO", "FROM_DAYSOFFSET", "TO_DAYSOFFSET", "CYCLIC", "CYCLIC_TYPE", "INTERVAL",
                 "CYCLIC_INTERVAL_SEQUENCE", "CYCLIC_TIMES_SEQUENCE", "IND_CYCLIC", "CYCLIC_TOLERANCE")
DAYS_NAMES = ("DAYS", "WEEKDAYS", "DAYS_AND_OR", "DATE", "DAYSCAL", "WEEKSCAL", "CONFCAL", *MONTH_FLAGS)


def written(values: tuple[str | None, ...], names: tuple[str, ...]) -> dict[str, str]:
    """The attributes whose values `tuple(map(attributes.get, names))` gave."""
    return {name: value for name, value in zip(names, values, strict=True) if value is not None}


def timing(attributes: dict[str, str]) -> Timing:
    return _timing_of(tuple(map(attributes.get, _TIMING_NAMES)))


@functools.lru_cache(maxsize=4096)  # a few time criteria repeat over thousands of jobs
def _timing_of(values: tuple[str | None, ...]) -> Timing:
    attributes = written(values, _TIMING_NAMES)
    return Timing(time_from=attributes.get("TIMEFROM", ""), time_to=attributes.get("TIMETO", ""),
                  from_days=attributes.get("FROM_DAYSOFFSET", ""), to_days=attributes.get("TO_DAYSOFFSET", ""),
                  cyclic=attributes.get("CYCLIC", "0").strip() == "1",
                  cyclic_type=attributes.get("CYCLIC_TYPE", ""), interval=attributes.get("INTERVAL", ""),
                  interval_sequence=attributes.get("CYCLIC_INTERVAL_SEQUENCE", ""),
                  times_sequence=attributes.get("CYCLIC_TIMES_SEQUENCE", ""),
                  cyclic_from=attributes.get("IND_CYCLIC", ""), tolerance=attributes.get("CYCLIC_TOLERANCE", ""))


def reference_names(element: Element) -> list[str]:
    names = []
    for child in element:
        if tag_of(child) in RULE_REFERENCES:
            attributes = attributes_of(child)
            name = (attributes.get("NAME") or attributes.get("TAG_NAME") or "").strip()
            if name:
                names.append(name)
    return names
