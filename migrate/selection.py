"""Which live flows a runbook verb works on: the selection every such verb shares (`export` now;
`edit`, `enable`, `disable`, `delete`, `restore` later), from the command line or from a runbook
file's `[select]` table, into one frozen `Selection`.

Criteria combine with AND; a criterion given several times matches any of its values (OR). The
cheap ones are tried first, on what Get My Flow's one listing already says (id, name, cycle) and
on List Directories' tree (directory); Get Flow is read only for the flows still in the running,
and the rest (owner, active state, modified since) are tried on its answer. No criterion at all
selects every flow the caller can see.

Light imports only: `add_selection_arguments` runs when `migrate --help` is built."""

from __future__ import annotations

import argparse
import codecs
import fnmatch
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from migrate.exit_codes import CannotRun
from migrate.redact import shown

# The `[select]` keys; the command line spells them with dashes (`--name-regex`).
SELECT_KEYS = ("id", "ids_file", "name", "name_regex", "owner", "dir_id", "dir", "recursive", "active", "cycle",
               "modified_since")
CYCLES = ("M", "W", "D", "H", "mi")


class SelectionError(CannotRun):
    """A selection that cannot be used: one line saying which criterion and why."""


@dataclass(frozen=True)
class Selection:
    ids: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # shell globs on the flow name (`etl_*`)
    name_regexes: tuple[str, ...] = ()  # searched in the flow name (anchor with ^…$ for a whole name)
    owners: tuple[str, ...] = ()
    dir_ids: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()  # directory paths under the root "Workflow" directory (`a/b`)
    recursive: bool = False  # dir_ids and dirs include their sub-directories
    active: int | None = None
    cycles: tuple[str, ...] = ()
    modified_since: str | None = None  # YYYY-MM-DD, compared with Get Flow's updateTime

    @functools.cached_property
    def id_set(self) -> frozenset[str]:  # an ids file may list thousands: looked up once a listed flow
        return frozenset(self.ids)

    @property
    def needs_directories(self) -> bool:
        return bool(self.dir_ids or self.dirs)

    @property
    def needs_flow(self) -> bool:
        """Some criterion is only known from Get Flow's answer."""
        return bool(self.owners) or self.active is not None or self.modified_since is not None

    def as_json(self) -> dict[str, Any]:
        """The criteria given, for a snapshot's header (the keys of a `[select]` table)."""
        given = {"id": list(self.ids), "name": list(self.names), "name_regex": list(self.name_regexes),
                 "owner": list(self.owners), "dir_id": list(self.dir_ids), "dir": list(self.dirs),
                 "recursive": self.recursive, "active": self.active, "cycle": list(self.cycles),
                 "modified_since": self.modified_since}
        return {key: value for key, value in given.items()
                if value is not None and value is not False and value != []}  # `active 0` is a criterion

    def describe(self) -> str:
        return ", ".join(f"{key} {value}" for key, value in self.as_json().items()) or "every flow"


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("selection", "which live flows (criteria AND, a repeated one OR; "
                                                   "none: every flow you can see)")
    group.add_argument("--id", action="append", default=[], metavar="ID", help="a flow id (repeatable)")
    group.add_argument("--ids-file", type=Path, metavar="FILE", help="flow ids, one a line, # comments")
    group.add_argument("--name", action="append", default=[], metavar="GLOB", help="flow name glob, e.g. 'etl_*'")
    group.add_argument("--name-regex", action="append", default=[], metavar="REGEX",
                       help="a regular expression found in the flow name")
    group.add_argument("--owner", action="append", default=[], metavar="USER", help="among the flow's owners")
    group.add_argument("--dir-id", action="append", default=[], metavar="D", help="in this directory (its key)")
    group.add_argument("--dir", action="append", default=[], metavar="PATH",
                       help="in this directory, by path under the root 'Workflow' directory: a/b")
    group.add_argument("--recursive", action="store_true", help="--dir-id and --dir include sub-directories")
    group.add_argument("--active", choices=("0", "1"), help="1 scheduled, 0 paused")
    group.add_argument("--cycle", action="append", default=[], choices=CYCLES, help="the flow's cycle")
    group.add_argument("--modified-since", metavar="DATE", help="updateTime on or after this day (YYYY-MM-DD)")


def selection_from_args(args: argparse.Namespace) -> Selection:
    return make_selection(ids=[*args.id, *(read_ids_file(args.ids_file) if args.ids_file else [])],
                          names=args.name, name_regexes=args.name_regex, owners=args.owner, dir_ids=args.dir_id,
                          dirs=args.dir, recursive=args.recursive, active=args.active, cycles=args.cycle,
                          modified_since=args.modified_since)


def selection_from_table(table: Mapping[str, Any], base: Path | None = None) -> Selection:
    """A runbook's `[select]` table (the command line's keys, with underscores; a list or one
    value each); `ids_file` is read relative to `base` (the runbook's folder)."""
    unknown = sorted(set(table) - set(SELECT_KEYS))
    if unknown:
        raise SelectionError(f"[select] has no key {', '.join(unknown)}; the keys are {', '.join(SELECT_KEYS)}")

    def listed(key: str) -> list[str]:
        value = table.get(key, [])
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    ids = listed("id")
    if "ids_file" in table:
        path = Path(str(table["ids_file"]))
        ids += read_ids_file(path if path.is_absolute() or base is None else base / path)
    active = table.get("active")
    recursive = table.get("recursive", False)
    if not isinstance(recursive, bool):
        raise SelectionError(f"[select] recursive must be true or false, not {recursive!r}")
    return make_selection(ids=ids, names=listed("name"), name_regexes=listed("name_regex"), owners=listed("owner"),
                          dir_ids=listed("dir_id"), dirs=listed("dir"), recursive=recursive,
                          active=None if active is None else str(active), cycles=listed("cycle"),
                          modified_since=None if "modified_since" not in table else str(table["modified_since"]))


def read_ids_file(path: Path) -> list[str]:
    """One id a line; blank lines and what follows a `#` are ignored. A snapshot (`migrate export`,
    a runbook's before file) gives the ids of its flows: "the flows that run paused". A file with
    no id is refused: no ids would be no criterion, and that selects every flow."""
    ids = _ids_in(path)
    if not ids:
        raise SelectionError(f"{path}: holds no flow id, so it selects no flow (an empty ids file is not \"every "
                             "flow\"); nothing read, nothing sent")
    return ids


def _ids_in(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        return _snapshot_ids(path)
    try:
        raw = path.read_bytes()
        if b"\x00" in raw and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise SelectionError(f"{path}: holds NUL bytes, as UTF-16 without a byte-order mark does: save it as UTF-8 "
                                 "(an ids file holds one flow id a line)")
        # A byte-order mark is no part of the first id: Notepad's UTF-8, or the UTF-16 that Windows
        # PowerShell 5.1's `>` and Out-File write.
        text = raw.decode("utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig")
    except OSError as error:
        raise SelectionError(f"{path}: cannot read the ids file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise SelectionError(f"{path}: not UTF-8 or UTF-16 text (an ids file holds one flow id a line)") from None
    if text.startswith('{"snapshot"'):
        return _snapshot_ids(path)
    ids = []
    for number, line in enumerate(text.splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if text:
            ids.append(_selected_id(text, f"{path}:{number}: {shown(text)}"))
    return ids


def _selected_id(text: str, where: str) -> str:
    """A flow id as the service reads it (service/model.py canonical_id): `0005` selects flow 5,
    as an export's row does; full-width digits, signs and 0 are no id (it matched nothing)."""
    from migrate.service.model import canonical_id  # pydantic: not at start-up, where the parser is built

    try:
        return canonical_id(text)
    except ValueError as error:
        raise SelectionError(f"{where} is not a flow id: it {error}") from None


def _snapshot_ids(path: Path) -> list[str]:
    from migrate import snapshots

    ids = []
    for number, flow in snapshots.read(path).lines:
        if not isinstance(flow, dict) or not str(flow.get("flowId", "")).isdigit():
            raise SelectionError(f"{path}:{number}: a snapshot line with no flow id")
        ids.append(str(flow["flowId"]))
    return ids


def make_selection(*, ids: Iterable[str] = (), names: Iterable[str] = (), name_regexes: Iterable[str] = (),
                   owners: Iterable[str] = (), dir_ids: Iterable[str] = (), dirs: Iterable[str] = (),
                   recursive: bool = False, active: str | None = None, cycles: Iterable[str] = (),
                   modified_since: str | None = None) -> Selection:
    """A Selection, each value checked: a bad one is refused before any request is made."""
    ids = tuple(dict.fromkeys(_selected_id(str(i).strip(), f"id {str(i).strip()!r}") for i in ids))
    regexes = tuple(_composed(pattern) for pattern in name_regexes)
    for pattern in regexes:
        try:
            re.compile(pattern)
        except re.error as error:
            raise SelectionError(f"name regex {pattern!r} is not a regular expression ({error})") from None
    if active not in (None, "0", "1"):
        raise SelectionError(f"active must be 0 or 1, not {active!r}")
    cycles = tuple(cycles)
    if any(c not in CYCLES for c in cycles):
        raise SelectionError(f"cycle must be one of {', '.join(CYCLES)}, not {cycles}")
    if modified_since is not None:
        try:
            date.fromisoformat(modified_since)
        except ValueError:
            raise SelectionError(f"modified since {modified_since!r} is not a date (YYYY-MM-DD)") from None
    return Selection(ids=ids, names=tuple(_composed(name) for name in names), name_regexes=regexes,
                     owners=tuple(owners), dir_ids=tuple(dir_ids),
                     dirs=tuple(d.strip("/") for d in dirs), recursive=recursive,
                     active=None if active is None else int(active), cycles=cycles, modified_since=modified_since)


def listing_matches(selection: Selection, flow_id: str, name: str, cycle: str | None) -> bool:
    """What Get My Flow's listing tells: id, name, cycle (None: the listing did not say; Get
    Flow's answer is asked instead)."""
    if selection.ids and flow_id not in selection.id_set:
        return False
    if (selection.names or selection.name_regexes) and not (
            any(fnmatch.fnmatchcase(_composed(name), glob) for glob in selection.names)
            or any(re.search(pattern, _composed(name)) for pattern in selection.name_regexes)):
        return False
    return not selection.cycles or cycle is None or cycle in selection.cycles


def _composed(text: str) -> str:
    """Unicode's composed form (NFC): `é` typed as e + a combining accent (a Mac's file names, some
    terminals) is the `é` a name holds; the two look alike and are one name to the eye."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def flow_matches(selection: Selection, flow: Mapping[str, Any]) -> bool:
    """What only Get Flow's answer tells: owners, active state, updateTime (and the cycle again,
    for a listing that did not carry it)."""
    if selection.owners:
        owners = {p.strip() for p in str(flow.get("owner") or "").split(";") if p.strip()}
        if not owners & set(selection.owners):
            return False
    if selection.active is not None and _integer(flow.get("active")) != selection.active:
        return False
    if selection.cycles and flow.get("cycle") not in selection.cycles:
        return False
    # updateTime is "2019-07-22 08:56:58.0": its first ten characters are the day
    return selection.modified_since is None or str(flow.get("updateTime") or "")[:10] >= selection.modified_since


def _integer(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Place:
    """Where a flow is in List Directories' tree: its directory's key and path ("" the root)."""

    dir_id: str
    directory: str


@dataclass(frozen=True)
class DirectoryTree:
    """List Workflow Directories' answer, flattened: each directory's path and parent, and each
    flow's place (a leaf's `key` is its flow id)."""

    paths: dict[str, str]  # dir key -> path under the root ("" for the root)
    parents: dict[str, str | None]
    places: dict[str, Place]  # flow id -> its directory

    def in_selected(self, selection: Selection) -> set[str] | None:
        """The flow ids in the selected directories; None when the selection names none."""
        if not selection.needs_directories:
            return None
        by_path = {path: key for key, path in self.paths.items()}
        missing = [d for d in selection.dirs if d not in by_path]
        if missing:
            others = sorted(path for path in by_path if path)
            shown = ", ".join(others[:12]) + (f" and {len(others) - 12} more" if len(others) > 12 else "")
            raise SelectionError(f"no directory {missing[0]!r} under the root 'Workflow' directory (paths are "
                                 f"case-sensitive; there are: {shown or 'none but the root'})")
        unknown = [d for d in selection.dir_ids if d not in self.paths]
        if unknown:
            raise SelectionError(f"no directory with key {unknown[0]!r} (List Directories names "
                                 f"{len(self.paths)}; --dir takes a path instead)")
        chosen = {*selection.dir_ids, *(by_path[d] for d in selection.dirs)}
        if selection.recursive:
            chosen = {key for key in self.paths if any(self._under(key, top) for top in chosen)}
        return {flow_id for flow_id, place in self.places.items() if place.dir_id in chosen}

    def _under(self, key: str, top: str) -> bool:
        at: str | None = key
        while at is not None:
            if at == top:
                return True
            at = self.parents.get(at)
        return False


def directory_tree(data: Any) -> DirectoryTree:
    paths: dict[str, str] = {}
    parents: dict[str, str | None] = {}
    places: dict[str, Place] = {}

    def walk(node: Mapping[str, Any], path: str | None, parent: str | None) -> None:
        key = str(node.get("key"))
        here = "" if path is None else f"{path}/{node.get('title')}".lstrip("/")
        paths[key], parents[key] = here, parent
        for child in node.get("children") or []:
            if not isinstance(child, dict):
                continue
            if child.get("isDirectory"):
                walk(child, here, key)
            else:
                places[str(child.get("key"))] = Place(key, here)

    for root in data if isinstance(data, list) else []:
        if isinstance(root, dict) and root.get("isDirectory"):
            walk(root, None, None)
    return DirectoryTree(paths, parents, places)


def snapshot_matches(selection: Selection, line: Mapping[str, Any]) -> bool:
    """A snapshot's flow line (engine/export.py): every criterion on what the line holds; a
    directory by its path or key as it was (`recursive` by path only: a snapshot keeps no tree)."""
    flow_id, name = str(line.get("flowId")), str(line.get("flowName") or "")
    if not listing_matches(selection, flow_id, name, None) or not flow_matches(selection, line):
        return False
    if not selection.needs_directories:
        return True
    path, dir_id = str(line.get("directory") or ""), str(line.get("dirId") or "")
    return dir_id in selection.dir_ids or any(
        path == wanted or (selection.recursive and path.startswith(wanted + "/")) for wanted in selection.dirs)
