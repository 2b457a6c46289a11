"""The export's files: a folder, a zip or one file of Oozie applications, read as bytes by path (only
`.xml` and `.properties` files, within size limits); and `job.properties` read as java.util.Properties
reads it (continuation lines, `:` or `=`, escapes; UTF-8, else ISO-8859-1).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from migrate.config import SourceSettings
from migrate.sources.readers import SourceError
from migrate.sources.tree import tree_files

# Files read from a folder or a zip: the applications and their properties, nothing bigger.
SUFFIXES = (".xml", ".properties")
MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES = 10_000_000, 20_000, 200_000_000
EXPECTED = ("expected an Oozie application: a folder or a zip of coordinator.xml (<coordinator-app>), "
            "workflow.xml (<workflow-app>) or bundle.xml (<bundle-app>) files, with their job.properties")


@dataclass
class ExportFiles:
    """The application files of the export, by path relative to its root (POSIX), as bytes."""

    root: Path
    files: dict[str, bytes]
    entry: str | None = None  # a single file given as the source: only its job makes flows


def _folder_files(folder: Path, settings: SourceSettings) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    total = 0
    for path in tree_files(folder):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or path.suffix.lower() not in SUFFIXES:
            continue
        if folder == settings.path and settings.leaves_out(path):
            continue
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        if len(found) >= MAX_FILES or total > MAX_TOTAL_BYTES:
            raise SourceError(f"{folder}: more than {MAX_FILES:,} files or {MAX_TOTAL_BYTES:,} bytes of XML and "
                              "properties: point [source] path at the folder of the Oozie applications")
        found[relative.as_posix()] = path.read_bytes()
        total += len(found[relative.as_posix()])
    return found


def _zip_files(path: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()
                       and PurePosixPath(m.filename).suffix.lower() in SUFFIXES]
            if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
                raise SourceError(f"{path}: refused: the zip unpacks to more than {MAX_FILES:,} files or "
                                  f"{MAX_TOTAL_BYTES:,} bytes of XML and properties")
            for member in members:
                name = PurePosixPath(member.filename.lstrip("/"))
                if ".." in name.parts or any(part.startswith(".") or part == "__MACOSX" for part in name.parts):
                    continue
                if member.file_size <= MAX_FILE_BYTES:
                    found[name.as_posix()] = archive.read(member)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
        raise SourceError(f"{path}: cannot read the zip: {error}") from None
    return found


def export_files(settings: SourceSettings) -> ExportFiles:
    path = settings.path
    if path.is_dir():
        return ExportFiles(path, _folder_files(path, settings))
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    if not path.stat().st_size:
        raise SourceError(f"{path}: the file is empty")
    if zipfile.is_zipfile(path):
        return ExportFiles(path, _zip_files(path))
    if path.suffix.lower() not in SUFFIXES:
        raise SourceError(f"{path}: this does not look like an Oozie export ({EXPECTED})")
    # One application file (or job.properties): its folder holds what it refers to.
    files = _folder_files(path.parent, settings)
    files[path.name] = path.read_bytes()
    return ExportFiles(path.parent, files, entry=path.name)


# -- Java properties --------------------------------------------------------------------------------

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[index + 2:index + 6]):
                out.append(chr(int(text[index + 2:index + 6], 16)))
                index += 6
                continue
            out.append(_ESCAPES.get(following, following))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _logical_lines(text: str) -> Iterator[str]:
    """java.util.Properties' logical lines: comments dropped, a line ending in an odd number of
    backslashes continued on the next, whose leading blanks are dropped."""
    pending: str | None = None
    for raw in text.splitlines():
        line = raw.lstrip(" \t\f") if pending is not None else raw
        if pending is None and (not line.strip() or line.lstrip(" \t\f")[:1] in ("#", "!")):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:
            pending = (pending or "") + line[:-1]
            continue
        yield (pending or "") + line
        pending = None
    if pending is not None:
        yield pending


def parse_properties(text: str) -> dict[str, str]:
    """A .properties file as java.util.Properties.load reads it (the last of a repeated key wins)."""
    values: dict[str, str] = {}
    for line in _logical_lines(text):
        line = line.lstrip(" \t\f")
        index = 0
        while index < len(line) and line[index] not in "=: \t\f":
            index += 2 if line[index] == "\\" else 1
        key = line[:index]
        rest = line[index:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        values[_unescape(key)] = _unescape(rest)
    return values


def decode(data: bytes) -> str:
    """Text as written (UTF-8), else as Java reads a properties file (ISO-8859-1)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
