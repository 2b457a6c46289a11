"""JSON exports read whole (JSON cannot be streamed without a parser of its own), with errors
that name the file and the position. An export that comes in pages (a REST collection saved one
`offset` at a time) is named by a folder or a glob, and read file by file."""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path
from typing import Any

from migrate.config import SourceSettings
from migrate.sources.readers import DuplicateKey, SourceError, file_text, unique_keys, utf16_hint

GLOB_CHARACTERS = re.compile(r"[*?[]")
DIGITS = re.compile(r"(\d+)")


def load_json(settings: SourceSettings) -> Any:
    return read_json_file(settings.path, settings.encoding)


def read_json_file(path: Path, encoding: str) -> Any:
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    text = file_text(path, encoding)  # Windows PowerShell 5 writes `aws … > file.json` as UTF-16
    if not text.strip():
        raise SourceError(f"{path}: the file is empty")
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except DuplicateKey as duplicate:
        raise SourceError(f"{path}: {duplicate}") from None
    except json.JSONDecodeError as error:
        hint = utf16_hint(text) or (
            "; a second JSON document begins there (two exports or pages joined into one file, as `>>` appends "
            "them): a file holds one; docs/sources.md says how each profile takes several (a folder of files, "
            "or one list of them)" if error.msg == "Extra data" else "")
        raise SourceError(f"{path}: not valid JSON at line {error.lineno} column {error.colno} ({error.msg}){hint}") \
            from None
    except RecursionError:
        raise SourceError(f"{path}: JSON nested too deep to read") from None


def _natural_order(path: Path) -> tuple[str, list[str | int]]:
    """page-2.json before page-10.json: digit runs compare as numbers (re.split keeps them at odd places)."""
    parts = DIGITS.split(path.name)
    return str(path.parent), [int(p) if i % 2 else p for i, p in enumerate(parts)]


def _no_dangling(source: Path, paths: list[Path]) -> None:
    """A link whose file is not there (a copy of links into another folder): its pages would be
    left out without a word, and with them their jobs. Refused, naming it."""
    dangling = sorted(p.name for p in paths if p.is_symlink() and not p.exists())
    if dangling:
        raise SourceError(f"{source}: {', '.join(dangling[:5])}{' …' if len(dangling) > 5 else ''}: a link to a file "
                          "that is not there (copy the file it points to, or remove the link)")


def json_files(settings: SourceSettings) -> list[Path]:
    """The files a source path names: the file itself, every `*.json` file of a folder (less those
    of other formats in a folder of several), or the files a glob such as `pages/dags-*.json`
    matches; in natural order (page-2 before page-10)."""
    path = settings.path
    if path.is_dir():
        found = [p for p in path.iterdir()
                 if p.is_file() and p.suffix.lower() == ".json" and not settings.leaves_out(p)]
        _no_dangling(path, [p for p in path.iterdir() if p.suffix.lower() == ".json" and not settings.leaves_out(p)])
        if not found:
            raise SourceError(f"{path}: a folder with no .json file in it")
    elif not path.exists() and GLOB_CHARACTERS.search(str(path)):
        matched = [Path(p) for p in glob.glob(str(path))]
        _no_dangling(path, matched)
        found = [p for p in matched if p.is_file()]
        if not found:
            raise SourceError(f"{path}: no file matches this pattern")
    else:
        return [path]
    return sorted(found, key=_natural_order)
