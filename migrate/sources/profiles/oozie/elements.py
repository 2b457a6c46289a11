"""XML: `parse_xml` (DTDs and entities refused, by defusedxml, said in words by `declaration_refused`),
`utf16_without_mark` (a file whose encoding its bytes tell but no byte-order mark says) and the
helpers that read an application's elements whatever their namespace (`child`, `children`,
`items`, `text`, and the `properties` of a `<configuration>` or `<parameters>`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
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


def parse_xml(path: str, data: bytes | str, where: Path) -> Element:
    """An application file (as bytes, or as text when it was decoded in `[source] encoding`)."""
    try:
        parsed: Element = SafeTree.fromstring(data, forbid_dtd=True)
        return parsed
    except DefusedXmlException as error:
        text = data if isinstance(data, str) else data.decode(
            "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "latin-1", errors="replace")
        raise SourceError(declaration_refused(where / path, text, error, "no Oozie application has")) from None


def declaration_refused(where: object, text: str, error: DefusedXmlException, whose: str, first_line: int = 1) -> str:
    """defusedxml's refusal in words, as the controlm profile says it: the line of the text (which
    begins at `first_line` of its file) that declares the DTD or the entity; `whose` ("no Oozie
    application has") says that no real export is refused so."""
    if isinstance(error, EntitiesForbidden):
        written = re.compile(rf"<!ENTITY\s+(?:%\s+)?{re.escape(str(error.name))}(?![\w.:-])")
        declares = (f"declares an XML entity (<!ENTITY {error.name} …>)", "an entity can expand far beyond the file "
                    "(an entity bomb) or read another file")
    elif isinstance(error, DTDForbidden):
        written = re.compile(r"<!DOCTYPE\b")
        declares = (f"declares a DTD (<!DOCTYPE {error.name} …>)", "a DTD declares the entities that expand far "
                    "beyond the file (an entity bomb) or read other files")
    else:  # an external reference: a DTD or an entity read from another file
        written = re.compile(r"<!(?:DOCTYPE|ENTITY)\b")
        declares = (f"refers to another file ({getattr(error, 'sysid', None) or 'an external DTD or entity'})",
                    "an export is read on its own")
    found = written.search(text)
    line = ""
    if found is not None:
        number = first_line + text.count("\n", 0, found.start())
        line = f"line {number} "
    return f"{where}: refused: {line}{declares[0]}, which {whose}: {declares[1]}"


def utf16_without_mark(data: bytes) -> str | None:
    """The codec of UTF-16 text without a byte-order mark ("utf-16-le" or "utf-16-be"), told by its
    first four characters, ASCII as an XML declaration, a comment or a tag begins (`<?xm`, `<!--`,
    `<Tas`; a name after them may not be): one byte of each pair NUL. Else None (UTF-8 text has no NUL)."""
    head = data[:8]
    if len(head) < 8 or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if not any(head[1::2]) and all(head[0::2]):
        return "utf-16-le"
    if not any(head[0::2]) and all(head[1::2]):
        return "utf-16-be"
    return None
