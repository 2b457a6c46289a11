"""From a source to validated flows: the rows (through a profile or a table and its mapping),
cut into batches of whole flows for worker processes where that pays."""

from __future__ import annotations

import glob
import importlib
import os
import signal
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from migrate.config import ConfigError, Settings
from migrate.mapping.flows import mapped_columns
from migrate.sources.profiles import (
    PROFILE_MODULES,
    DeferredRows,
    Profile,
    Row,
    check_options,
    standard_mapping,
)
from migrate.sources.profiles.json_documents import GLOB_CHARACTERS
from migrate.sources.readers import SourceError, columns_named, read_header, read_rows
from migrate.sources.tree import tree_files

# What a source path that is neither a file nor a folder is, by its stat mode.
_SPECIAL_FILES = ((stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"))


def check_file_kind(path: Path) -> None:
    """Refuse a source that is not a file or a folder, or a folder holding one: an export is read
    more than once (to recognise its format, to count what the first pass needs, to read it), which
    a pipe cannot be (the second read would wait forever for a writer that has gone)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        if GLOB_CHARACTERS.search(str(path)):  # a glob of pages (json_documents.py): each file it matches
            for match in sorted(glob.glob(str(path))):
                check_file_kind(Path(match))
        return  # else no such file: said where it is read, with what was expected there
    _refuse_special(path, mode)
    if stat.S_ISDIR(mode):
        # The files the readers reach, through links to folders as they follow them and never round a
        # loop (os.walk's followlinks goes round one for ever: a link back up the folder hung the plan).
        for entry in tree_files(path, hidden=True, special=True):
            if entry.is_symlink() and os.path.realpath(entry) == os.devnull:
                continue  # a masked systemd unit: a fact of the export (reads as empty, never waits)
            try:
                _refuse_special(entry, entry.stat().st_mode, inside=path)
            except OSError:
                continue  # a broken link: the readers say what they make of it


def _refuse_special(path: Path, mode: int, inside: Path | None = None) -> None:
    for test, kind in _SPECIAL_FILES:
        if test(mode):
            what = (f"move it out of {inside}, or save what it gives to a file there" if inside is not None else
                    "save it to a file first (e.g. `kubectl get cronjob -A -o yaml > cronjobs.yaml`) and point "
                    "[source] path at that")
            raise SourceError(f"{path}: {kind}, not a file: an export is read more than once; {what}")


def with_profile(settings: Settings) -> tuple[Settings, Profile | None]:
    """The settings a profile implies: its built-in mapping under the user's own fields. A folder
    of several formats (`mixed`) keeps the standard mapping: each row names its own profile, whose
    dialect and identity scope the mapping takes (mapping/flows.py)."""
    if settings.source.profile == "tabular":
        return settings, None
    from migrate.sources.detect import AUTO, MIXED, auto_profile, entry_formats, mixed_entries, read_entry_by_entry

    name = settings.source.profile
    if (name == "azkaban" and settings.source.path.is_dir() and read_entry_by_entry(settings.source.path, name)
            and entry_formats(settings.source.path, tuple(profile_names())) == {name}):
        # A folder of projects, named so: read project by project, as `auto` reads it (read whole, it
        # was one project named after the folder, the projects' schedules files unread). Of projects
        # alone: one beside exports of other formats is refused as a named profile's is (check_profile),
        # not read as `auto` (every format's flows saved under `profile = "azkaban"`).
        settings = settings.model_copy(update={"source": settings.source.model_copy(update={"profile": MIXED})})
        name = MIXED
    if name == AUTO:  # the one format the source's own structure says (sources/detect.py)
        name = auto_profile(settings.source.path, profile_names())
        options = settings.source.options
        if name != MIXED:  # options named with the format, as a folder of several takes them: its own;
            # those named with another format are that format's, as in the folder (a file of it run alone)
            others = set(profile_names()) - {name}
            options = {key.removeprefix(f"{name}."): value for key, value in options.items()
                       if key.partition(".")[0] not in others or "." not in key}
        settings = settings.model_copy(update={"source": settings.source.model_copy(
            update={"profile": name, "options": options})})
    names = profile_names()
    if name != MIXED:
        profile = _named_profile(name)  # its module alone imported
        if profile is None:
            raise ConfigError(f"{settings.config_path}: source.profile {name!r} is not one of "
                              f"{['auto', 'tabular', MIXED, *sorted(names)]}")
        return _with_named(settings, profile, names)
    if not settings.source.path.is_dir():
        raise ConfigError(f"{settings.config_path}: source.profile \"mixed\" reads a folder of exports; "
                          f"{settings.source.path} is not a folder")
    mixed_entries(settings.source.path, tuple(names))  # every entry one format, or stop now
    from migrate.sources.mixed import formats_in, one_format_options, unprefixed_options

    settings = settings.model_copy(update={"source": one_format_options(settings.source, tuple(names))})
    if stray := unprefixed_options(settings.source, tuple(names)):
        raise ConfigError(f"{settings.config_path}: source.options {stray}: a folder of several formats takes "
                          "each option with its format's name, e.g. \"controlm.new_day\" = \"0700\"")
    present = formats_in(settings.source, tuple(names))
    if absent := sorted({key.partition(".")[0] for key in settings.source.options} - present):
        raise ConfigError(f"{settings.config_path}: source.options name {absent}, but the folder holds no export "
                          f"of {'that format' if len(absent) == 1 else 'those formats'} (it holds "
                          f"{', '.join(sorted(present))})")
    return settings.model_copy(update={"mapping": standard_mapping("quartz", settings.mapping)}), None


def _with_named(settings: Settings, profile: Profile, names: list[str]) -> tuple[Settings, Profile]:
    """`with_profile` for a profile named (or recognised): its built-in mapping, once the source is
    checked to be of its format (among the profiles `names`) and its options known."""
    from migrate.sources.detect import check_profile

    check_profile(settings.source.path, profile.name, names)  # a named profile over another format: stop
    check_options(profile, settings.source)
    mapping = standard_mapping(profile.dialect, settings.mapping, profile)
    return settings.model_copy(update={"mapping": mapping}), profile


def profile_names() -> list[str]:
    """The names of the profiles, in `registry()`'s order, without importing their modules (a
    profile's plan need not import the others': together they cost a plan some 0.4 s)."""
    return list(PROFILE_MODULES)


def _named_profile(name: str) -> Profile | None:
    """The profile of that name from its own module alone, or None (no such profile)."""
    module = PROFILE_MODULES.get(name)
    if module is None:
        return None
    profile: Profile = importlib.import_module(f"migrate.sources.profiles.{module}").PROFILE
    return profile


def source_rows(settings: Settings) -> tuple[Settings, Iterable[Row]]:
    """The settings to map with (a profile's built-in mapping) and the rows of the source, some of
    them perhaps deferred (`expanded_rows` makes them where they are mapped). A table's header is
    checked first: a misspelt column stops the run before any row."""
    check_file_kind(settings.source.path)
    settings, profile = with_profile(settings)
    if settings.source.profile == "mixed":
        from migrate.sources.mixed import MixedRows

        return settings, MixedRows(settings.source, tuple(profile_names()))
    if profile is not None:
        return settings, (profile.read_deferred or profile.read)(settings.source)
    header = read_header(settings.source)
    if header is not None:
        absent = sorted(mapped_columns(settings.mapping) - set(header))
        if absent:
            # Letters each with one NUL byte (three: UTF-32): UTF-16 text without its byte-order mark, read as UTF-8.
            width = "32" if any("\x00\x00\x00" in column for column in header) else "16"
            nuls = any("\x00" in column for column in header)
            raise SourceError(
                f"{settings.source.path}: the config maps column(s) {absent} that the file does not have; "
                f"its columns are {columns_named(header)}"
                + (f"; their NUL bytes say the file is UTF-{width} text without a byte-order mark: set "
                   f"source.encoding = \"utf-{width}-le\" (or \"utf-{width}-be\")" if nuls else "")
            )
    return settings, read_rows(settings.source)


def batches_of(rows: Iterable[Row], settings: Settings, size: int) -> Iterator[list[Row]]:
    """Batches of whole flows, of about `size` rows: with a flow key, cut only where the key
    changes (deferred rows are whole flows: a cut before them is always one)."""
    key_columns = settings.mapping.flow_key
    batch: list[Row] = []
    filled = 0
    for row in rows:
        if filled >= size and (not key_columns or isinstance(row, DeferredRows) or isinstance(batch[-1], DeferredRows)
                               or any(row.cells.get(c) != batch[-1].cells.get(c) for c in key_columns)):
            yield batch
            batch, filled = [], 0
        batch.append(row)
        filled += row.count if isinstance(row, DeferredRows) else 1
    if batch:
        yield batch


def can_batch(settings: Settings) -> bool:
    """Rows of one flow spread over the file cannot be cut into batches: a profile's come together
    (its contiguous_groups), a table's may be anywhere."""
    return not settings.mapping.flow_key or settings.mapping.contiguous_groups


_worker_settings: Settings | None = None


def start_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the main process decides


def worker_settings() -> Settings:
    assert _worker_settings is not None, "start_worker was not called"
    return _worker_settings


def chain(first: list[Row], rest: Iterator[list[Row]]) -> Iterator[Row]:
    yield from first
    for batch in rest:
        yield from batch
