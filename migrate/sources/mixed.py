"""A folder of exports of several formats (a Control-M XML beside a crontab, a directory of
systemd units, a Kubernetes listing...) read as one source: one inventory, one run.

Each entry is read by its own profile exactly as it would be on its own (a profile that reads
folders reads the whole folder, as when it holds only its files, less the other formats'
entries), so a flow's key, its schedule dialect and its identity marker (scoped by its profile)
are the same either way: a flow planned here and later run from its own file or folder is found
again, not created twice. Rows are
numbered through the whole folder; `spans` says which rows came from which entry. A profile's
options are named with its format (`options = { "controlm.new_day" = "0700" }`). `[source] encoding`
is for the entries that are not UTF-8 text: one that is (or says its encoding by a byte-order mark)
is read as such, whatever it says (see entry_encoding)."""

from __future__ import annotations

import codecs
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migrate.config import Scalar, SourceSettings
from migrate.sources.detect import READ_FILES, Entry, companions, files_in, is_zip, mixed_entries
from migrate.sources.readers import OptionNeeded, SourceError, SourceRow

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
                "options": options_for(self.source, name), "encoding": entry_encoding(entry, self.source.encoding)})
            check_options(known[name], entry_source)
            base = number
            try:
                for row in known[name].read(entry_source):
                    # The entry's own numbers (a crontab's lines) past the entries before it, so
                    # that a row's place in its file is its number less the span's first plus one.
                    number = max(number + 1, base + row.number)
                    yield SourceRow(number, {**row.cells, PROFILE_COLUMN: name, ENTRY_COLUMN: str(place)})
            except OptionNeeded as refused:  # the option as this folder takes it, named with its format
                raise SourceError(refused.in_folder) from None
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


# Byte-order marks and the encoding each says, UTF-32's first (UTF-32 LE's begins with UTF-16 LE's).
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
UTF_8 = "utf-8-sig"  # as [source] encoding's default: a UTF-8 byte-order mark read as nothing
BLOCK_BYTES = 1 << 20


def entry_encoding(entry: Entry, encoding: str) -> str:
    """The encoding an entry of a mixed folder is read in. `[source] encoding` is set for the files
    that are not UTF-8 (a schtasks CSV in a Chinese console's GBK), and the folder's other entries
    are most often UTF-8: read in GBK, a crontab's `générer` became `g茅n茅rer` without a word. So a
    file that is UTF-8 text is read as UTF-8, one with a byte-order mark in the encoding the mark
    says, and only the others in `encoding`. An entry of several files (a folder, a zip, the folder's
    own files a profile reads together) is read in one encoding: UTF-8 when all of them are UTF-8
    text, `encoding` when none holds UTF-8 beyond ASCII (which reads alike in both), and refused
    when some do and others are not UTF-8: either way some of them would be misread."""
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return encoding  # a UTF-8 file is read so already; the byte-order marks as the profile reads them alone
    files = _entry_files(entry)
    if len(files) == 1 and not is_zip(files[0]):
        return _said_encoding(files[0]) or encoding
    said = {path: _said_encoding(path) for path in files}
    others = sorted(path for path, found in said.items() if found is None)
    if not others:
        return UTF_8
    utf8 = sorted(path for path, found in said.items() if found == UTF_8 and not _ascii(path))
    if utf8:
        raise SourceError(f"{entry.path}: the {entry.profile} export's files are in two encodings: {utf8[0]} is UTF-8 "
                          f"text and {others[0]} is not ([source] encoding = \"{encoding}\" reads it), and its "
                          f"profile reads them in one; save {others[0].name} and the files like it as UTF-8")
    return encoding


def _entry_files(entry: Entry) -> list[Path]:
    """The files a profile reads of an entry (as far as their encoding goes): the file, a zip, a
    folder's tree (or its own files, for a profile that reads only those), the files beside it that
    belong to it (an Azkaban project's schedules), less the other formats' entries."""
    path = entry.path
    beside = [companion for companion in companions(entry.profile, path) if companion.is_file()]
    found = [p for p in files_in(path, whole=entry.profile not in READ_FILES) if p.is_file()]
    return [p for p in found if p == path or p.relative_to(path).parts[0] not in entry.left_out] + beside


def _said_encoding(path: Path) -> str | None:
    """The encoding a file's bytes say for certain (a zip's: every member's alike): a byte-order
    mark's, UTF-8 for UTF-8 text (no NUL byte: UTF-16 without a mark is valid UTF-8 too), else None."""
    if is_zip(path):
        with zipfile.ZipFile(path) as archive:
            found = {_bytes_encoding(iter((archive.read(member),))) for member in archive.infolist()
                     if not member.is_dir()}
        return found.pop() if len(found) == 1 else None
    with path.open("rb") as stream:
        return _bytes_encoding(iter(lambda: stream.read(BLOCK_BYTES), b""))


def _bytes_encoding(blocks: Iterator[bytes]) -> str | None:
    """_said_encoding of a file's bytes, given block by block (an export may be large)."""
    first = next(blocks, b"")
    for mark, encoding in BYTE_ORDER_MARKS:
        if first.startswith(mark):
            return encoding
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in itertools.chain((first,), blocks):
            if b"\x00" in block:
                return None
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return UTF_8


def _ascii(path: Path) -> bool:
    """A file of ASCII bytes alone, which every encoding a folder is given reads alike."""
    if is_zip(path):
        return False
    with path.open("rb") as stream:
        return all(block.isascii() for block in iter(lambda: stream.read(BLOCK_BYTES), b""))
