"""The export as Oozie applications: `read_export` finds each coordinator, workflow and bundle by its
root element (with the `.properties` files, and the files that cannot be read as one: those that name
an Oozie root but are not well-formed XML, or UTF-16 without a byte-order mark, and an empty
`workflow.xml`, `coordinator.xml` or `bundle.xml`); `find_app` finds the application an HDFS path (an
`app-path`) names among them, or the file it names that cannot be read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeTree

from migrate.config import SourceSettings
from migrate.sources.profiles.oozie.elements import local, parse_xml
from migrate.sources.profiles.oozie.files import EXPECTED, ExportFiles, decode, export_files, parse_properties
from migrate.sources.profiles.oozie.messages import listed
from migrate.sources.readers import SourceError
from migrate.sources.xml_text import utf16_without_mark

KINDS = {"coordinator-app": "coordinator", "workflow-app": "workflow", "bundle-app": "bundle"}
DEFAULT_FILES = {"coordinator": "coordinator.xml", "workflow": "workflow.xml", "bundle": "bundle.xml"}


@dataclass
class App:
    path: str  # relative to the export's root
    kind: str  # coordinator, workflow, bundle
    root: Element

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.path).parent)


@dataclass
class Export:
    files: ExportFiles
    apps: dict[str, App]
    broken: dict[str, str]  # a file that should be an application but cannot be read: why
    properties: dict[str, dict[str, str]]

    def of_kind(self, kind: str) -> list[App]:
        return [app for app in self.apps.values() if app.kind == kind]

    def beside(self, near: str) -> list[App]:
        """The applications in the folder of `near` (a file of the export), but itself."""
        folder = str(PurePosixPath(near).parent)
        return [app for app in self.apps.values() if app.folder == folder and app.path != near]


def _names_an_app(data: bytes | str) -> bool:
    """Whether an XML file names an application's root element (in UTF-8, or UTF-16 by its mark, or
    the text it was decoded to)."""
    if isinstance(data, bytes) and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", errors="replace")
    if isinstance(data, bytes):
        return any(root_name.encode() in data for root_name in KINDS)
    return any(root_name in data for root_name in KINDS)


def read_export(settings: SourceSettings) -> Export:
    files = export_files(settings)
    apps: dict[str, App] = {}
    broken: dict[str, str] = {}
    properties: dict[str, dict[str, str]] = {}
    for path, data in files.files.items():
        if path.lower().endswith(".properties"):
            properties[path] = parse_properties(decode(data))
            continue
        if not data.lstrip(b"\xef\xbb\xbf").strip():
            # An empty workflow.xml (coordinator.xml, bundle.xml) is an application that cannot be read,
            # which the coordinator naming it says; another empty file (a site configuration) is none.
            if PurePosixPath(path).name in DEFAULT_FILES.values():
                broken[path] = "the file is empty"
            continue
        # UTF-16 without a byte-order mark (Oozie reads UTF-8, or UTF-16 by its mark): read in the codec
        # `[source] encoding` names, else its application is named as unreadable.
        codec = utf16_without_mark(data)
        readable = data if codec is None else data.decode(codec, errors="replace")
        if codec is not None and codecs.lookup(settings.encoding).name != codec:
            if _names_an_app(readable):
                broken[path] = (f"UTF-16 text without a byte-order mark, which does not say its encoding: set "
                                f"[source] encoding = \"{codec}\" to read it (or save the file as UTF-8)")
            continue
        if not _names_an_app(readable):
            continue  # no application (a log4j.xml, a pom.xml, a site configuration): not parsed, a DTD and all
        try:
            root = parse_xml(path, readable, files.root)
        except SafeTree.ParseError as error:
            broken[path] = f"not well-formed XML ({error})"
            continue
        except RecursionError:
            raise SourceError(f"{files.root / path}: refused: nested deeper than an application can be") from None
        kind = KINDS.get(local(root.tag))
        if kind is not None:
            apps[path] = App(path, kind, root)
    if not apps and not broken:
        seen = ", ".join(list(files.files)[:4]) or "no .xml or .properties file"
        raise SourceError(f"{settings.path}: this does not look like an Oozie export ({EXPECTED}; found {seen})")
    return Export(files, apps, broken, properties)


# -- application paths ------------------------------------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*://[^/]*")


@dataclass
class Found:
    app: App | None
    assumed: bool = False  # an unresolved part of the path was taken to match
    problem: str = ""
    unreadable: str = ""  # no application: the file the path names is in the export but cannot be read


def path_parts(text: str) -> list[str]:
    return [part for part in _SCHEME.sub("", text.strip()).split("/") if part and part != "."]


def find_app(export: Export, written: str, kind: str, near: str) -> Found:
    """The application an HDFS path names, matched on its last parts against the export's files
    (the nearest to `near`, the file that names it, when several match as well). A part still
    holding `${…}` matches any folders, but then only an application in `near`'s own folder is taken."""
    parts = path_parts(written)
    if not parts:
        return Found(None, problem=f"the path {written!r} is empty")
    if not parts[-1].lower().endswith(".xml"):
        parts.append(DEFAULT_FILES[kind])
    scored: list[tuple[int, bool, App]] = []
    for app in export.of_kind(kind):
        match = _match(parts, app.path)
        if app.path != near and match is not None:
            scored.append((*match, app))
    unresolved = any("${" in part for part in parts)
    unreadable = _unreadable(export, parts, near) if not scored else None
    if unreadable is not None:
        return Found(None, problem=f"{unreadable} cannot be read: {export.broken[unreadable]}", unreadable=unreadable)
    if not scored:
        what = "an unresolved path: no" if unresolved else "no"
        # Deployed folders are often named otherwise than the copy exported (a repository's `seoul/`
        # is HDFS's `kr_rollup/`): the one beside is named, not taken for it.
        beside = [app.path for app in export.beside(near) if app.kind == kind]
        hint = (f"; {beside[0]} stands beside {near}: if it is that one, name its folder in the export as the path "
                "does" if len(beside) == 1 else "")
        return Found(None, problem=f"{what} {kind} application of the export matches {written!r}{hint}")
    best = max(score for score, _, _ in scored)
    top = [(assumed, app) for score, assumed, app in scored if score == best]
    if any(assumed for assumed, _ in top):
        here = [(assumed, app) for assumed, app in top if app.folder == str(PurePosixPath(near).parent)]
        if len(here) != 1:
            return Found(None, problem=f"{written!r} is unresolved, and no single {kind} application stands beside "
                                       f"{near} to take for it")
        return Found(here[0][1], True)
    if len(top) > 1:  # the nearest to the file that names it: most folders in common
        closeness = {app.path: _common(app.path, near) for _, app in top}
        closest = max(closeness.values())
        nearby = [(assumed, app) for assumed, app in top if closeness[app.path] == closest]
        if len(nearby) != 1:
            return Found(None, problem=f"{written!r} matches {len(top)} {kind} applications: "
                                       f"{listed([app.path for _, app in top])}")
        top = nearby
    return Found(top[0][1], top[0][0])


def _match(parts: list[str], path: str) -> tuple[int, bool] | None:
    """How many last parts of an HDFS path a file of the export has, and whether a part still
    holding `${…}` was taken to match the folders above; None when it is not that file."""
    local = path.split("/")
    matched, assumed = 0, False
    for wanted, have in zip(reversed(parts), reversed(local), strict=False):
        if "${" in wanted:
            assumed = True
            break
        if wanted != have:
            break
        matched += 1
    complete = assumed or matched == len(local) or matched == len(parts)
    return (matched, assumed) if matched and (complete or matched >= 2) else None


def _unreadable(export: Export, parts: list[str], near: str) -> str | None:
    """The file of the export that cannot be read which a path names (matched as an application
    would be, and one matched on an unresolved part only in `near`'s own folder), if one alone is."""
    scored: list[tuple[int, str]] = []
    for path in export.broken:
        match = _match(parts, path)
        if path == near or match is None:
            continue
        if match[1] and PurePosixPath(path).parent != PurePosixPath(near).parent:
            continue
        scored.append((match[0], path))
    best = [path for score, path in scored if score == max(score for score, _ in scored)]
    return best[0] if len(best) == 1 else None


def _common(path: str, other: str) -> int:
    """How many leading folders two paths of the export share."""
    count = 0
    for a, b in zip(PurePosixPath(path).parent.parts, PurePosixPath(other).parent.parts, strict=False):
        if a != b:
            break
        count += 1
    return count
