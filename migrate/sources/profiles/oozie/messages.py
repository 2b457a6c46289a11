"""How the profile words what it finds: `listed` (the items of a message, cut after SHOWN) and
`Malformed` (an application Oozie would refuse: the error of the flow it belongs to).
"""

from __future__ import annotations

SHOWN = 6  # items a message lists before "and n more"


def listed(items: list[str] | set[str], shown: int = SHOWN) -> str:
    ordered = list(dict.fromkeys(items)) if isinstance(items, list) else sorted(items)
    more = f" and {len(ordered) - shown} more" if len(ordered) > shown else ""
    return ", ".join(ordered[:shown]) + more


class Malformed(ValueError):
    """An application whose shape Oozie would refuse: that flow's error (code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
