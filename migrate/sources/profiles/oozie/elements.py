"""XML: `parse_xml` (DTDs and entities refused, by defusedxml) and the helpers that read an
application's elements whatever their namespace (`child`, `children`, `items`, `text`, and the
`properties` of a `<configuration>` or `<parameters>`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree

from migrate.sources.readers import SourceError


def local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if local(c.tag) == name]


def child(element: Element | None, name: str) -> Element | None:
    found = children(element, name)
    return found[0] if found else None


def items(element: Element | None) -> list[Element]:
    return [] if element is None else list(element)


def text(element: Element | None, name: str | None = None) -> str:
    target = element if name is None else child(element, name)
    return "".join(target.itertext()).strip() if target is not None else ""


def properties(element: Element | None) -> list[tuple[str, str | None]]:
    """`<configuration>` or `<parameters>`: (name, value), value None when not given."""
    pairs = []
    for item in children(element, "property"):
        name = text(item, "name")
        if name:
            pairs.append((name, text(item, "value") if child(item, "value") is not None else None))
    return pairs


def parse_xml(path: str, data: bytes, where: Path) -> Element:
    try:
        parsed: Element = SafeTree.fromstring(data, forbid_dtd=True)
        return parsed
    except DefusedXmlException as error:
        raise SourceError(f"{where / path}: refused: {type(error).__name__}: {error}") from None
