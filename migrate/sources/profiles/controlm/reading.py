"""Reading the export file: its prolog checked (`check_prolog`: not JSON), then
streamed one folder at a time (`folders`), each folder's tags and attribute names normalised to the
upper case, namespace-free names Control-M writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, iterparse

from defusedxml import DefusedXmlException

from migrate.sources.profiles.controlm.elements import EXPECTED
from migrate.sources.readers import SourceError
from migrate.sources.xml_text import declaration_refused

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


# How much of a file is read to tell what it is and to find the line of a declaration refused: the
# prologs of real exports are a few lines.
PROLOG_LIMIT = 1 << 20


def head_text(file: Any) -> str:
    """The file's first PROLOG_LIMIT bytes as text, enough to read its prolog (the file is left at its start)."""
    head = file.read(PROLOG_LIMIT)
    file.seek(0)
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "latin-1"
    return str(head.decode(encoding, errors="replace"))


def check_prolog(path: Path, file: Any) -> None:
    """Refuse JSON, saying what it looks like. (A DTD's entities and declarations are refused by the
    first pass's parser as it meets them, before any is expanded: conditions.py.)"""
    if head_text(file).lstrip("\ufeff \t\r\n").startswith(("{", "[")):
        raise SourceError(f"{path}: this is JSON, not a Control-M XML export (DEFTABLE): the Automation API's "
                          "JSON definitions (`ctm deploy jobs::get`) are not read; export the folders as XML "
                          "(Control-M/EM's exportdeftable, or Export in the Planning domain)")


def declaration_refused_here(path: Path, error: DefusedXmlException) -> SourceError:
    """The first pass's refusal of a DTD's declaration, in the words the other XML profiles use, naming its line."""
    with path.open("rb") as file:
        text = head_text(file)
    return SourceError(declaration_refused(path, text, error, "no Control-M export has"))


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
