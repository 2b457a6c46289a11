"""A flow's identity: the source key a profile builds from facts that survive editing the export
(never a line or row number), and the short marker that carries it into the service.

The marker, `[migrate:<scope>/<digest>]` at the end of the flow's `desc`, is what lets another
machine with no local files find the flows an earlier run made: the digest is a hash of the
scope (by default the profile's name) and the source key, so the same export read anywhere gives
the same markers. The scope keeps two sources saved by one account apart: the flows of another
scope are never taken for ours, nor reported as orphans.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

DIGEST_LENGTH = 16  # 64 bits: two keys of a million flows share one with a chance of about 3 in 100 million
SCOPE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# A scope is up to 32 characters, but for a folder of several formats given one: each format's is
# `<scope>.<profile>` (mapping/flows.py entry_scope), longer.
MARKER = re.compile(r"\s?\[migrate:([A-Za-z0-9_.-]{1,64})/([0-9a-f]{16})\]\s*$")
# The source key of a table read one row per flow (mapping/flows.py): a row number, which moves
# whenever a line is added above.
ROW_KEY = re.compile(r"row \d+( \(split\))?")


def name_key(name: str) -> str:
    """A flow name as the eye reads it, for telling flows apart: compatibility forms folded
    (NFKC: a full-width `ｊob` is `job`, a no-break space a space), characters that do not show
    (zero-width spaces, byte-order marks: Unicode's format characters) dropped, and blanks
    trimmed and run together. Two rows whose names differ only so are one flow (a spreadsheet's
    trailing space would otherwise make a twin that looks the same in every list)."""
    if name.isascii() and name.isprintable() and name == name.strip() and "  " not in name:
        return name  # the common case, as it is
    folded = unicodedata.normalize("NFKC", name)
    shown = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return " ".join(shown.split())


def key_digest(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}\x1f{key}".encode()).hexdigest()[:DIGEST_LENGTH]


def marker(scope: str, key: str) -> str:
    return f"[migrate:{scope}/{key_digest(scope, key)}]"


def marker_of(desc: object) -> tuple[str, str] | None:
    """(scope, digest) of the marker at the end of a desc, or None."""
    found = MARKER.search(desc) if isinstance(desc, str) else None
    return (found[1], found[2]) if found else None


def without_marker(desc: str) -> str:
    return MARKER.sub("", desc) if "[migrate:" in desc else desc


def with_marker(desc: str, scope: str, key: str) -> str:
    """The desc with this key's marker at its end (an older marker replaced)."""
    text = without_marker(desc)
    return f"{text} {marker(scope, key)}" if text else marker(scope, key)

