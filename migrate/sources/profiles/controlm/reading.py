"""Reading the export file: its prolog checked (`check_prolog`: no entity declarations), then
streamed one folder at a time (`folders`), each folder's tags and attribute names normalised to the
upper case, namespace-free names Control-M writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, iterparse

from migrate.sources.profiles.controlm.elements import EXPECTED
from migrate.sources.readers import SourceError

_NORMAL_TAGS: set[str] = set()  # names seen written as Control-M writes them
# The attribute names of an element, in order, seen written as Control-M writes them: an export
# writes a few such lists over and over (a tuple's hash is made of its names', which their dict
# has made already, where testing every letter of every name would not be cheap).
_NORMAL_NAMES: set[tuple[str, ...]] = set()
_REMEMBERED = 1024


def normal_names(names: tuple[str, ...]) -> bool:
    """Whether an element's attribute names are all as Control-M writes them (upper case, no namespace)."""
    if names in _NORMAL_NAMES:
        return True
    joined = "".join(names)
    if "}" in joined or not joined.isupper():
        return False
    if len(_NORMAL_NAMES) < _REMEMBERED:
        _NORMAL_NAMES.add(names)
    return True


def normal_attributes(attributes: dict[str, str]) -> dict[str, str]:
    """The attributes with their names as Control-M writes them (the same dict when they are)."""
    if not attributes or normal_names(tuple(attributes)):
        return attributes
    return {key.rsplit("}", 1)[-1].upper(): value for key, value in attributes.items()}


def normalised(folder: Element) -> Element:
    """Tags and attribute names in upper case without a namespace, as Control-M writes them (so a
    hand-edited `Folder_Name` reads the same), changed in place once a folder."""
    for element in folder.iter():
        tag = element.tag
        if not isinstance(tag, str):  # a comment or processing instruction kept by a parser
            continue
        if tag not in _NORMAL_TAGS:
            if "}" in tag or not tag.isupper():
                element.tag = tag.rsplit("}", 1)[-1].upper()
            elif len(_NORMAL_TAGS) < _REMEMBERED:
                _NORMAL_TAGS.add(tag)
        attributes = element.attrib
        if attributes and not normal_names(tuple(attributes)):
            element.attrib = {key.rsplit("}", 1)[-1].upper(): value for key, value in attributes.items()}
    return folder


# How far into a file its root element must start: prologs of real exports are a few lines.
PROLOG_LIMIT = 1 << 20
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_ROOT_START = re.compile(r"<[A-Za-z_]")


def check_prolog(path: Path, file: Any) -> None:
    """Refuse a DTD that declares entities before parsing: no export does, and entities are the one
    way an XML file expands far beyond its size (an entity bomb) or reaches out to other files."""
    head = file.read(PROLOG_LIMIT)
    file.seek(0)
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "latin-1"
    text = head.decode(encoding, errors="replace")
    if text.lstrip("\ufeff \t\r\n").startswith(("{", "[")):  # not XML at all: say what it looks like
        raise SourceError(f"{path}: this is JSON, not a Control-M XML export (DEFTABLE): the Automation API's "
                          "JSON definitions (`ctm deploy jobs::get`) are not read; export the folders as XML "
                          "(Control-M/EM's exportdeftable, or Export in the Planning domain)")
    declaration, root = _ENTITY_DECLARATION.search(text), _ROOT_START.search(re.sub(r"<!--.*?-->", "", text,
                                                                                    flags=re.DOTALL))
    if declaration and (root is None or declaration.start() < root.start()):
        line = text[:declaration.start()].count("\n") + 1
        raise SourceError(f"{path}: refused: line {line} declares an XML entity (<!ENTITY …>), which no Control-M "
                          "export does: an entity bomb or a reference to another file is not an export")


def folders(path: Path) -> Iterator[Element]:
    """Each child of <DEFTABLE> once complete, then forgotten: memory holds one folder."""
    try:
        with path.open("rb") as file:
            check_prolog(path, file)
            root: Element | None = None
            depth = 0
            for event, element in iterparse(file, events=("start", "end")):
                if event == "start":
                    depth += 1
                    if root is None:
                        root = element
                        if root.tag.rsplit("}", 1)[-1].upper() != "DEFTABLE":
                            raise SourceError(f"{path}: this does not look like a Control-M export ({EXPECTED}; "
                                              f"found <{root.tag}>)")
                    continue
                depth -= 1
                if depth == 1 and root is not None:
                    yield normalised(element)
                    root.clear()  # the folder is done with: keep memory flat
    except ParseError as error:
        line, column = error.position
        if error.code == 3 and line == 1 and column == 0 and not path.stat().st_size:  # expat's "no element found"
            raise SourceError(f"{path}: the file is empty") from None
        raise SourceError(f"{path}: line {line}, column {column + 1}: {str(error).split(':')[0]}: not well-formed "
                          "XML (truncated, or not a Control-M export)") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror})") from None
    except RecursionError:
        raise SourceError(f"{path}: refused: nested deeper than a Control-M export can be") from None
