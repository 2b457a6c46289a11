"""A folder of exports of several formats (a Control-M XML beside a crontab, a directory of
systemd units, a Kubernetes listing...) read as one source: one inventory, one run.

Each entry is read by its own profile exactly as it would be on its own (a profile that reads
folders reads the whole folder, as when it holds only its files, less the other formats'
entries), so a flow's key, its schedule dialect and its identity marker (scoped by its profile)
are the same either way: a flow planned here and later run from its own file or folder is found
again, not created twice. Rows are
numbered through the whole folder; `spans` says which rows came from which entry. A profile's
options are named with its format (`options = { "controlm.new_day" = "0700" }`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migrate.config import Scalar, SourceSettings
from migrate.sources.detect import mixed_entries
from migrate.sources.readers import SourceRow

LABEL_ENTRIES = 20  # the entries a Sources table names of those read together
PROFILE_COLUMN = "__profile__"  # the format a row was read as: the mapping takes its dialect and identity scope
ENTRY_COLUMN = "__entry__"  # the entry of the folder it came from: rows of two exports are never one flow


@dataclass(frozen=True)
class Span:
    """The rows one entry of the folder gave."""

    profile: str
    path: Path
    first_row: int
    last_row: int  # first_row - 1 when the entry gave none
    together: tuple[str, ...] = ()  # the folder's own files a folder-reading profile read as one (path: the folder)

    @property
    def label(self) -> str:
        """The entry, or the entries read together (the first LABEL_ENTRIES; the JSON lists all)."""
        if not self.together:
            return self.path.name
        shown = ", ".join(self.together[:LABEL_ENTRIES])
        more = len(self.together) - LABEL_ENTRIES
        return shown if more <= 0 else f"{shown} and {more} more (every one in --json `sources`)"

    def as_json(self) -> dict[str, object]:
        return {"profile": self.profile, "path": str(self.path), "rows": [self.first_row, self.last_row],
                **({"entries": list(self.together)} if self.together else {})}


@dataclass
class MixedRows:
    """The rows of every entry, in entry order; `spans` fills as they are read."""

    source: SourceSettings
    profiles: tuple[str, ...]
    spans: list[Span] = field(default_factory=list)

    def __iter__(self) -> Iterator[SourceRow]:
        from migrate.sources.profiles import check_options, registry

        known = registry()
        number = 0
        for place, entry in enumerate(mixed_entries(self.source.path, self.profiles)):
            name = entry.profile
            first = number + 1
            entry_source = self.source.model_copy(update={
                "path": entry.path, "profile": name, "left_out": entry.left_out,
                "options": options_for(self.source, name)})
            check_options(known[name], entry_source)
            base = number
            for row in known[name].read(entry_source):
                # The entry's own numbers (a crontab's lines) past the entries before it, so
                # that a row's place in its file is its number less the span's first plus one.
                number = max(number + 1, base + row.number)
                yield SourceRow(number, {**row.cells, PROFILE_COLUMN: name, ENTRY_COLUMN: str(place)})
            self.spans.append(Span(name, entry.path, first, number, entry.together))


def options_for(source: SourceSettings, profile: str) -> dict[str, Scalar]:
    """A mixed folder's options are named by format (`controlm.new_day = "0700"`): each
    profile gets its own, without the prefix."""
    prefix = f"{profile}."
    return {key.removeprefix(prefix): value for key, value in source.options.items() if key.startswith(prefix)}


def one_format_options(source: SourceSettings, profiles: tuple[str, ...]) -> SourceSettings:
    """A folder of one format's files (two crontabs) takes that format's options as one of its files
    does (`user = "ops"`), as well as by the format's name; a folder of several formats does not:
    which format an unnamed option is for would be a guess."""
    formats = formats_in(source, profiles)
    if len(formats) != 1:
        return source
    only = next(iter(formats))
    stray = set(unprefixed_options(source, profiles))
    options = {(f"{only}.{key}" if key in stray else key): value for key, value in source.options.items()}
    return source.model_copy(update={"options": options})


def unprefixed_options(source: SourceSettings, profiles: tuple[str, ...]) -> list[str]:
    """Options a mixed folder cannot give to any profile: not `<format>.<option>`."""
    return sorted(key for key in source.options if key.partition(".")[0] not in profiles)


def formats_in(source: SourceSettings, profiles: tuple[str, ...]) -> frozenset[str]:
    """The formats of a mixed folder's entries: the identity scopes its flows carry."""
    return frozenset(entry.profile for entry in mixed_entries(source.path, profiles))
