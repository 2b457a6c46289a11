"""The export as Oozie applications: `read_export` finds each coordinator, workflow and bundle by its
root element (with the `.properties` files, and the files that name an Oozie root but are not
well-formed XML); `find_app` finds the application an HDFS path (an `app-path`) names among them.
"""

from __future__ import annotations

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
    broken: dict[str, str]  # a file that names an Oozie root but is not well-formed: why
    properties: dict[str, dict[str, str]]

    def of_kind(self, kind: str) -> list[App]:
        return [app for app in self.apps.values() if app.kind == kind]

    def beside(self, near: str) -> list[App]:
        """The applications in the folder of `near` (a file of the export), but itself."""
        folder = str(PurePosixPath(near).parent)
        return [app for app in self.apps.values() if app.folder == folder and app.path != near]


def _names_an_app(data: bytes) -> bool:
    """Whether an XML file names an application's root element (in UTF-8, or UTF-16 by its mark)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", errors="replace").encode()
    return any(root_name.encode() in data for root_name in KINDS)


def read_export(settings: SourceSettings) -> Export:
    files = export_files(settings)
    apps: dict[str, App] = {}
    broken: dict[str, str] = {}
    properties: dict[str, dict[str, str]] = {}
    for path, data in files.files.items():
        if path.lower().endswith(".properties"):
            properties[path] = parse_properties(decode(data))
            continue
        if not _names_an_app(data):
            continue  # no application (a log4j.xml, a pom.xml, a site configuration): not parsed, a DTD and all
        try:
            root = parse_xml(path, data, files.root)
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
        if app.path == near:
            continue
        local = app.path.split("/")
        matched, assumed = 0, False
        for wanted, have in zip(reversed(parts), reversed(local), strict=False):
            if "${" in wanted:
                assumed = True
                break
            if wanted != have:
                break
            matched += 1
        complete = assumed or matched == len(local) or matched == len(parts)
        if matched and (complete or matched >= 2):
            scored.append((matched, assumed, app))
    unresolved = any("${" in part for part in parts)
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


def _common(path: str, other: str) -> int:
    """How many leading folders two paths of the export share."""
    count = 0
    for a, b in zip(PurePosixPath(path).parent.parts, PurePosixPath(other).parent.parts, strict=False):
        if a != b:
            break
        count += 1
    return count
