"""XML: `parse_xml` (DTDs and entities refused, by defusedxml, said in words by sources/xml_text.py's
`declaration_refused`) and the helpers that read an application's elements whatever their namespace
(`child`, `children`, `items`, `text`, and the `properties` of a `<configuration>` or `<parameters>`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree

from migrate.sources.readers import SourceError
from migrate.sources.xml_text import declaration_refused


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


def parse_xml(path: str, data: bytes | str, where: Path) -> Element:
    """An application file (as bytes, or as text when it was decoded in `[source] encoding`)."""
    try:
        parsed: Element = SafeTree.fromstring(data, forbid_dtd=True)
        return parsed
    except DefusedXmlException as error:
        text = data if isinstance(data, str) else data.decode(
            "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "latin-1", errors="replace")
        raise SourceError(declaration_refused(where / path, text, error, "no Oozie application has")) from None
