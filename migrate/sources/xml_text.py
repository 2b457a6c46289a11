"""What the XML profiles that parse with defusedxml (Oozie, Task Scheduler XML, Rundeck; Control-M's
first pass, a plain expat parser; Control-M and Task Scheduler XML with `refuse_declarations`) say
of a file they cannot read as an export: `declaration_refused`, defusedxml's refusal of a DTD or an
entity in words with its line, and `utf16_without_mark`, the codec of UTF-16 text that has no
byte-order mark to say it."""

from __future__ import annotations

import re
from typing import Any
from xml.parsers.expat import XMLParserType

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden


def refuse_declarations(parser: XMLParserType) -> None:
    """Make an expat parser refuse what defusedxml refuses, with its exceptions (so
    `declaration_refused` says them): an entity declaration (a parameter entity's too) and a
    reference to another file; and a DOCTYPE with declarations of its own (`<!DOCTYPE x [...]>`),
    whose `<!ATTLIST>` would give an element attribute values the file does not show. A DOCTYPE that
    only names its DTD (`SYSTEM "x.dtd"`) is read: the DTD itself is never read."""
    internal: list[tuple[str, str | None, str | None]] = []  # the DOCTYPE that has declarations, while read

    def entity(name: str, _parameter: bool, value: str | None, base: str | None, system: str | None,
               public: str | None, notation: str | None) -> None:
        raise EntitiesForbidden(name, value, base, system, public, notation)

    def unparsed_entity(name: str, base: str | None, system: str | None, public: str | None,
                        notation: str | None) -> None:
        raise EntitiesForbidden(name, None, base, system, public, notation)

    def external(context: str | None, base: str | None, system: str | None, public: str | None) -> Any:
        raise ExternalReferenceForbidden(context, base, system, public)

    def doctype_start(name: str, system: str | None, public: str | None, has_internal_subset: bool) -> None:
        if has_internal_subset:
            internal.append((name, system, public))

    def doctype_end() -> None:  # its entities, if any, were refused as entities first, naming them
        if internal:
            raise DTDForbidden(*internal[0])

    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = unparsed_entity
    parser.ExternalEntityRefHandler = external
    parser.StartDoctypeDeclHandler = doctype_start
    parser.EndDoctypeDeclHandler = doctype_end


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
                    "beyond the file (an entity bomb) or read other files, and attribute values the file does not "
                    "show")
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
